build-verify/obj/src/core/vmscan.o: src/core/vmscan.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
