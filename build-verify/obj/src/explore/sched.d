build-verify/obj/src/explore/sched.o: src/explore/sched.c \
 src/explore/explore.h include/pinlab/core.h
src/explore/explore.h:
include/pinlab/core.h:
