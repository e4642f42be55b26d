build-verify/obj/src/core/huge_memory.o: src/core/huge_memory.c \
 src/core/internal.h include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
