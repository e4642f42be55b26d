build-verify/obj/src/backend/model/backend_model.o: \
 src/backend/model/backend_model.c include/pinlab/backend.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h \
 include/pinlab/ops.def
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
