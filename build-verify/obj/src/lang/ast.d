build-verify/obj/src/lang/ast.o: src/lang/ast.c src/lang/ast.h \
 include/pinlab/backend.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h include/pinlab/ops.def
src/lang/ast.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
