build-verify/obj/src/backend/host/profile.o: src/backend/host/profile.c \
 src/backend/host/profile.h
src/backend/host/profile.h:
