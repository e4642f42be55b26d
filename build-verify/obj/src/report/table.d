build-verify/obj/src/report/table.o: src/report/table.c \
 src/report/report.h include/pinlab/result.h include/pinlab/view.h \
 include/pinlab/core.h
src/report/report.h:
include/pinlab/result.h:
include/pinlab/view.h:
include/pinlab/core.h:
