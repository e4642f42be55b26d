build-verify/obj/src/core/ksm.o: src/core/ksm.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
