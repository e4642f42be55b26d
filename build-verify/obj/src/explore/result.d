build-verify/obj/src/explore/result.o: src/explore/result.c \
 src/explore/explore_internal.h src/explore/explore.h \
 include/pinlab/core.h
src/explore/explore_internal.h:
src/explore/explore.h:
include/pinlab/core.h:
