build-verify/obj/src/explore/state.o: src/explore/state.c \
 src/explore/explore.h include/pinlab/core.h include/pinlab/view.h
src/explore/explore.h:
include/pinlab/core.h:
include/pinlab/view.h:
