build-verify/obj/src/backend/host/worker.o: src/backend/host/worker.c \
 src/backend/host/host.h src/backend/host/backend_host.h \
 include/pinlab/backend.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h include/pinlab/ops.def src/backend/host/journal.h \
 src/backend/host/gup_test.h src/backend/host/profile.h
src/backend/host/host.h:
src/backend/host/backend_host.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
src/backend/host/journal.h:
src/backend/host/gup_test.h:
src/backend/host/profile.h:
