build-verify/obj/src/core/folio.o: src/core/folio.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
