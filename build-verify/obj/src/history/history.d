build-verify/obj/src/history/history.o: src/history/history.c \
 src/history/history.h
src/history/history.h:
