build-verify/obj/src/lang/lex.o: src/lang/lex.c src/lang/lex.h \
 src/lang/diag.h include/pinlab/backend.h include/pinlab/result.h \
 include/pinlab/view.h include/pinlab/core.h include/pinlab/ops.def
src/lang/lex.h:
src/lang/diag.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
