build-verify/obj/src/backend/host/journal.o: src/backend/host/journal.c \
 src/backend/host/journal.h
src/backend/host/journal.h:
