build-verify/obj/src/core/check_tally.o: src/core/check_tally.c \
 src/core/check_internal.h src/core/internal.h include/pinlab/core.h \
 include/pinlab/view.h
src/core/check_internal.h:
src/core/internal.h:
include/pinlab/core.h:
include/pinlab/view.h:
