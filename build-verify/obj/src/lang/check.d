build-verify/obj/src/lang/check.o: src/lang/check.c src/lang/check.h \
 src/lang/ast.h include/pinlab/backend.h include/pinlab/result.h \
 include/pinlab/view.h include/pinlab/core.h include/pinlab/ops.def \
 src/lang/diag.h src/lang/parse.h
src/lang/check.h:
src/lang/ast.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
src/lang/diag.h:
src/lang/parse.h:
