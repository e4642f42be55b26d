build-verify/obj/src/core/check_mm.o: src/core/check_mm.c \
 src/core/check_internal.h src/core/internal.h include/pinlab/core.h \
 include/pinlab/view.h
src/core/check_internal.h:
src/core/internal.h:
include/pinlab/core.h:
include/pinlab/view.h:
