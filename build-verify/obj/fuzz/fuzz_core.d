build-verify/obj/fuzz/fuzz_core.o: fuzz/fuzz_core.c fuzz/fuzz.h \
 include/pinlab/core.h
fuzz/fuzz.h:
include/pinlab/core.h:
