/*
 * diag.c - collecting and formatting diagnostics.  See diag.h.
 */
#include "lang/diag.h"

#include <stdarg.h>
#include <string.h>

/* How much of a source line a caret display shows. */
#define DIAG_SHOW_MAX 160

void pl_diag_init(struct pl_diag_list *dl, const char *path, const char *text, size_t len)
{
	memset(dl, 0, sizeof(*dl));
	dl->path = path;
	dl->text = text;
	dl->len = len;
}

bool pl_diag_add(struct pl_diag_list *dl, int line, int col, const char *fmt, ...)
{
	struct pl_diag *d;
	va_list ap;

	if (dl->overflow)
		return false;
	if (dl->n == PL_DIAG_MAX) {
		dl->overflow = true;
		dl->over.line = line;
		dl->over.col = col;
		snprintf(dl->over.msg, sizeof(dl->over.msg), "too many errors, giving up");
		return false;
	}
	d = &dl->d[dl->n++];
	d->line = line > 0 ? line : 1;
	d->col = col > 0 ? col : 1;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	return true;
}

void pl_diag_sort(struct pl_diag_list *dl)
{
	/* insertion sort: at most PL_DIAG_MAX entries, and stable */
	for (int i = 1; i < dl->n; i++) {
		struct pl_diag tmp = dl->d[i];
		int j = i;

		while (j > 0 && (dl->d[j - 1].line > tmp.line ||
				 (dl->d[j - 1].line == tmp.line && dl->d[j - 1].col > tmp.col))) {
			dl->d[j] = dl->d[j - 1];
			j--;
		}
		dl->d[j] = tmp;
	}
}

/* Start of line `line` (1-based) in the source, or NULL. */
static const char *diag_line_start(const struct pl_diag_list *dl, int line, size_t *len)
{
	const char *p = dl->text, *end, *nl;

	if (!p)
		return NULL;
	end = p + dl->len;
	for (int i = 1; i < line; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	*len = (size_t)((nl ? nl : end) - p);
	return p;
}

/*
 * The source line (at most DIAG_SHOW_MAX bytes, control bytes shown as '?')
 * and under it a caret at column col; tabs are copied so the caret lines up.
 */
static void diag_show_caret(const struct pl_diag_list *dl, const struct pl_diag *d, FILE *out)
{
	size_t len, shown, i;
	const char *s = diag_line_start(dl, d->line, &len);
	int col = 1;

	if (!s)
		return;
	shown = len < DIAG_SHOW_MAX ? len : DIAG_SHOW_MAX;
	while (shown > 0 && shown < len && ((unsigned char)s[shown] & 0xc0) == 0x80)
		shown--;	/* do not cut a UTF-8 sequence */
	if (shown && s[shown - 1] == '\r')
		shown--;
	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];

		fputc(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?', out);
	}
	if (shown < len)
		fputs(" ...", out);
	fputc('\n', out);
	for (i = 0; i < shown && col < d->col; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c & 0xc0) == 0x80)
			continue;
		fputc(c == '\t' ? '\t' : ' ', out);
		col++;
	}
	fputs("^\n", out);
}

/* The one function that formats a diagnostic. */
static void diag_format(const struct pl_diag_list *dl, const struct pl_diag *d, FILE *out,
			bool tty)
{
	fprintf(out, "%s:%d:%d: error: %s\n", dl->path, d->line, d->col, d->msg);
	if (tty)
		diag_show_caret(dl, d, out);
}

void pl_diag_print(const struct pl_diag_list *dl, FILE *out, bool tty)
{
	for (int i = 0; i < dl->n; i++)
		diag_format(dl, &dl->d[i], out, tty);
	if (dl->overflow)
		diag_format(dl, &dl->over, out, false);
}
