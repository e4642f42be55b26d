/*
 * html_page.c - the template of the HTML report (page.html beside this file),
 * linked into the binary as the NUL-terminated string pl_html_page.  The
 * page is edited as HTML; the assembler includes it byte for byte (the
 * Makefile makes this object depend on page.html).
 */
extern const char pl_html_page[];

__asm__(".section .rodata\n"
	".global pl_html_page\n"
	".type pl_html_page, @object\n"
	"pl_html_page:\n"
	".incbin \"src/report/page.html\"\n"
	".byte 0\n"
	".size pl_html_page, . - pl_html_page\n"
	".previous\n");
