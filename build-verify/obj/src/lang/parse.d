build-verify/obj/src/lang/parse.o: src/lang/parse.c src/lang/parse.h \
 src/lang/ast.h include/pinlab/backend.h include/pinlab/result.h \
 include/pinlab/view.h include/pinlab/core.h include/pinlab/ops.def \
 src/lang/diag.h src/lang/lex.h
src/lang/parse.h:
src/lang/ast.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
src/lang/diag.h:
src/lang/lex.h:
