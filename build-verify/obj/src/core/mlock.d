build-verify/obj/src/core/mlock.o: src/core/mlock.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
