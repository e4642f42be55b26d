build-verify/obj/src/fuzzdiff/gen.o: src/fuzzdiff/gen.c \
 src/fuzzdiff/fuzzdiff.h
src/fuzzdiff/fuzzdiff.h:
