build-verify/obj/src/report/html.o: src/report/html.c src/report/report.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h
src/report/report.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
