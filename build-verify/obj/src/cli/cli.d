build-verify/obj/src/cli/cli.o: src/cli/cli.c src/cli/cli.h \
 src/backend/host/profile.h src/lang/exec.h src/lang/ast.h \
 include/pinlab/backend.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h include/pinlab/ops.def src/lang/front.h \
 src/lang/check.h src/lang/diag.h src/backend/host/backend_host.h
src/cli/cli.h:
src/backend/host/profile.h:
src/lang/exec.h:
src/lang/ast.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
src/lang/front.h:
src/lang/check.h:
src/lang/diag.h:
src/backend/host/backend_host.h:
