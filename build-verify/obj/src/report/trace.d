build-verify/obj/src/report/trace.o: src/report/trace.c \
 src/report/report.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h
src/report/report.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
