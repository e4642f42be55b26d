build-verify/obj/src/core/world.o: src/core/world.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
