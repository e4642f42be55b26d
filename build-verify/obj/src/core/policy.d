build-verify/obj/src/core/policy.o: src/core/policy.c src/core/internal.h \
 include/pinlab/core.h
src/core/internal.h:
include/pinlab/core.h:
