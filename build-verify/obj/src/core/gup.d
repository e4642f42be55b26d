build-verify/obj/src/core/gup.o: src/core/gup.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
