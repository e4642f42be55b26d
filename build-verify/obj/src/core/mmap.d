build-verify/obj/src/core/mmap.o: src/core/mmap.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
