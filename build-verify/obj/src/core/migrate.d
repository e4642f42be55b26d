build-verify/obj/src/core/migrate.o: src/core/migrate.c \
 src/core/internal.h include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
