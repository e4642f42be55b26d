build-verify/obj/src/lang/exec_check.o: src/lang/exec_check.c \
 src/lang/exec_internal.h src/lang/exec.h src/lang/ast.h \
 include/pinlab/backend.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h include/pinlab/ops.def src/lang/diag.h
src/lang/exec_internal.h:
src/lang/exec.h:
src/lang/ast.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
src/lang/diag.h:
