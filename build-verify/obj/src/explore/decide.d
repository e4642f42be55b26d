build-verify/obj/src/explore/decide.o: src/explore/decide.c \
 src/explore/explore_internal.h src/explore/explore.h \
 include/pinlab/core.h
src/explore/explore_internal.h:
src/explore/explore.h:
include/pinlab/core.h:
