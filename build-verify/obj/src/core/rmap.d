build-verify/obj/src/core/rmap.o: src/core/rmap.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
