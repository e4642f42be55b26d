build-verify/obj/src/explore/coro.o: src/explore/coro.c \
 src/explore/explore_internal.h src/explore/explore.h \
 include/pinlab/core.h
src/explore/explore_internal.h:
src/explore/explore.h:
include/pinlab/core.h:
