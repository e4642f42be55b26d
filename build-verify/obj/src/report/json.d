build-verify/obj/src/report/json.o: src/report/json.c src/report/report.h \
 include/pinlab/result.h include/pinlab/view.h include/pinlab/core.h
src/report/report.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
