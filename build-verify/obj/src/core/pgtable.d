build-verify/obj/src/core/pgtable.o: src/core/pgtable.c \
 src/core/internal.h include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
