build-verify/obj/src/report/html_page.o: src/report/html_page.c
