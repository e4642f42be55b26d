build-verify/obj/src/backend/record/wrap.o: src/backend/record/wrap.c \
 src/backend/record/record.h include/pinlab/backend.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h \
 include/pinlab/ops.def
src/backend/record/record.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
