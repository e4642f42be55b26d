build-verify/obj/src/core/filemap.o: src/core/filemap.c \
 src/core/internal.h include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
