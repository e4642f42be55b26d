build-verify/obj/src/lang/front.o: src/lang/front.c src/lang/front.h \
 src/lang/ast.h include/pinlab/backend.h include/pinlab/result.h \
 include/pinlab/view.h include/pinlab/core.h include/pinlab/ops.def \
 src/lang/check.h src/lang/diag.h src/lang/parse.h
src/lang/front.h:
src/lang/ast.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
src/lang/check.h:
src/lang/diag.h:
src/lang/parse.h:
