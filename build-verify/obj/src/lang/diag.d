build-verify/obj/src/lang/diag.o: src/lang/diag.c src/lang/diag.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h
src/lang/diag.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
