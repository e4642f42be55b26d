build-verify/obj/src/core/uprobes.o: src/core/uprobes.c \
 src/core/internal.h include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
