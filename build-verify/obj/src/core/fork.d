build-verify/obj/src/core/fork.o: src/core/fork.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
