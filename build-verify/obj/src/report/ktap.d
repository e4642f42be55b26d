build-verify/obj/src/report/ktap.o: src/report/ktap.c src/report/report.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h
src/report/report.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
