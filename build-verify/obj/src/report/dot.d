build-verify/obj/src/report/dot.o: src/report/dot.c src/report/dump.h \
 include/pinlab/view.h include/pinlab/core.h src/report/report.h \
 include/pinlab/result.h
src/report/dump.h:
include/pinlab/view.h:
include/pinlab/core.h:
src/report/report.h:
include/pinlab/result.h:
