build-verify/obj/src/guest/initramfs.o: src/guest/initramfs.c \
 src/guest/guest.h src/backend/record/record.h include/pinlab/backend.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h \
 include/pinlab/ops.def
src/guest/guest.h:
src/backend/record/record.h:
include/pinlab/backend.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
include/pinlab/ops.def:
