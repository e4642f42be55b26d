build-verify/obj/src/fuzzdiff/shrink.o: src/fuzzdiff/shrink.c \
 src/fuzzdiff/fuzzdiff.h
src/fuzzdiff/fuzzdiff.h:
