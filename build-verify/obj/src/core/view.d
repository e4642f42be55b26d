build-verify/obj/src/core/view.o: src/core/view.c include/pinlab/view.h \
 include/pinlab/core.h src/core/internal.h
include/pinlab/view.h:
include/pinlab/core.h:
src/core/internal.h:
