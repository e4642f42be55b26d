build-verify/obj/src/explore/explore.o: src/explore/explore.c \
 src/explore/explore_internal.h src/explore/explore.h \
 include/pinlab/core.h
src/explore/explore_internal.h:
src/explore/explore.h:
include/pinlab/core.h:
