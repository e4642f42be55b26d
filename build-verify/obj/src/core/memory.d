build-verify/obj/src/core/memory.o: src/core/memory.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
