build-verify/obj/src/report/explain.o: src/report/explain.c \
 src/report/report.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h
src/report/report.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
