build-verify/obj/src/core/sync.o: src/core/sync.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
