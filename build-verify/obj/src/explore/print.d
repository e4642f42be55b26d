build-verify/obj/src/explore/print.o: src/explore/print.c \
 src/explore/explore.h include/pinlab/core.h
src/explore/explore.h:
include/pinlab/core.h:
