build-verify/obj/src/core/pinners.o: src/core/pinners.c \
 src/core/internal.h include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
