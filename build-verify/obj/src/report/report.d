build-verify/obj/src/report/report.o: src/report/report.c \
 src/report/report.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h
src/report/report.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
