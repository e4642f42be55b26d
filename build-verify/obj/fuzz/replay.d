build-verify/obj/fuzz/replay.o: fuzz/replay.c fuzz/fuzz.h
fuzz/fuzz.h:
