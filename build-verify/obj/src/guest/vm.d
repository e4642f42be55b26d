build-verify/obj/src/guest/vm.o: src/guest/vm.c src/guest/guest.h \
 src/backend/record/record.h include/pinlab/backend.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h \
 include/pinlab/ops.def src/backend/host/backend_host.h
src/guest/guest.h:
src/backend/record/record.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
src/backend/host/backend_host.h:
