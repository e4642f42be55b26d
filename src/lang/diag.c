/*
 * diag.c - collecting and formatting diagnostics.  See diag.h.
 */
#include "lang/diag.h"
#include "pinlab/result.h"	/* pl_utf8_len() */

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

static bool diag_vadd(struct pl_diag_list *dl, int line, int col, const char *fmt, va_list ap)
{
	struct pl_diag *d, tmp;

	if (dl->overflow)
		return false;
	tmp.line = line > 0 ? line : 1;
	tmp.col = col > 0 ? col : 1;
	vsnprintf(tmp.msg, sizeof(tmp.msg), fmt, ap);
	/*
	 * One error per cause: the same message on the same line again says
	 * nothing new -- the rounds of a `repeat` block are checked each; a name
	 * listed twice in one `backing` line, both unknown; a third copy of a
	 * backing, a duplicate of each earlier one; an undefined mapping used
	 * twice in one step (tests/cli/diagdup.sh searches for these).
	 */
	for (int i = 0; i < dl->n; i++)
		if (dl->d[i].line == tmp.line && !strcmp(dl->d[i].msg, tmp.msg))
			return true;
	if (dl->n == PL_DIAG_MAX) {
		dl->overflow = true;
		dl->over.line = line;
		dl->over.col = col;
		snprintf(dl->over.msg, sizeof(dl->over.msg), "too many errors, giving up");
		return false;
	}
	d = &dl->d[dl->n++];
	*d = tmp;
	return true;
}

bool pl_diag_add(struct pl_diag_list *dl, int line, int col, const char *fmt, ...)
{
	va_list ap;
	bool room;

	va_start(ap, fmt);
	room = diag_vadd(dl, line, col, fmt, ap);
	va_end(ap);
	return room;
}

bool pl_diag_error(struct pl_diag_list *dl, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(dl, line, col, fmt, ap);
	va_end(ap);
	return false;
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
 * The source line and under it a caret at column col.  At most DIAG_SHOW_MAX
 * bytes are shown, a window around the column if the line is long; bytes
 * that are not printable text are shown as '?'; tabs are copied into the
 * caret line so the caret lines up.
 */
static void diag_show_caret(const struct pl_diag_list *dl, const struct pl_diag *d, FILE *out)
{
	size_t len, i, at = 0, from = 0, to;
	const char *line = diag_line_start(dl, d->line, &len);
	const unsigned char *s = (const unsigned char *)line;
	int col = 1;

	if (!s)
		return;
	if (len && s[len - 1] == '\r')
		len--;
	while (at < len && col < d->col) {	/* byte offset of the column */
		if ((s[at] & 0xc0) != 0x80)
			col++;
		at++;
	}
	while (at < len && (s[at] & 0xc0) == 0x80)
		at++;
	if (at > DIAG_SHOW_MAX / 2) {
		from = at - DIAG_SHOW_MAX / 4;
		while (from < at && (s[from] & 0xc0) == 0x80)
			from++;
	}
	to = len - from > DIAG_SHOW_MAX ? from + DIAG_SHOW_MAX : len;
	while (to > from && to < len && (s[to] & 0xc0) == 0x80)
		to--;
	fputs(from ? "... " : "", out);
	for (i = from; i < to;) {
		int n = s[i] >= 0x80 ? pl_utf8_len(s + i, s + to) : 1;

		if (n > 1)
			fwrite(s + i, 1, (size_t)n, out);
		else
			fputc(s[i] == '\t' || (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?', out);
		i += n ? (size_t)n : 1;
	}
	fputs(to < len ? " ...\n" : "\n", out);
	fputs(from ? "    " : "", out);
	for (i = from; i < at && i < to;) {
		int n = s[i] >= 0x80 ? pl_utf8_len(s + i, s + to) : 1;

		fputc(s[i] == '\t' ? '\t' : ' ', out);
		i += n ? (size_t)n : 1;
	}
	fputs("^\n", out);
}

/*
 * A path is shown as it is unless it holds a byte a reader could not see or
 * could misread: a space, a quote, a backslash, a control character, or a
 * byte that is not part of valid UTF-8.  Such a path is shown in double
 * quotes with C escapes (\", \\, \n, \t, \r, \xNN), so that one line of
 * output stays one line and every byte of the name can be recovered.
 */
bool pl_path_is_plain(const char *path)
{
	const unsigned char *s = (const unsigned char *)path, *end = s + strlen(path);

	if (s == end)
		return false;
	while (s < end) {
		int n = *s >= 0x80 ? pl_utf8_len(s, end) : 1;

		if (!n || (n == 1 && (*s <= 0x20 || *s == 0x7f || *s == '"' || *s == '\\' ||
				      *s == '\'')))
			return false;
		s += n;
	}
	return true;
}

void pl_path_put(FILE *out, const char *path)
{
	const unsigned char *s = (const unsigned char *)path, *end = s + strlen(path);

	if (pl_path_is_plain(path)) {
		fputs(path, out);
		return;
	}
	fputc('"', out);
	while (s < end) {
		int n = *s >= 0x80 ? pl_utf8_len(s, end) : 1;

		if (n > 1)
			fwrite(s, 1, (size_t)n, out);
		else if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (*s == '\t')
			fputs("\\t", out);
		else if (*s == '\r')
			fputs("\\r", out);
		else if (*s < 0x20 || *s >= 0x7f)
			fprintf(out, "\\x%02x", *s);
		else
			fputc(*s, out);
		s += n ? n : 1;
	}
	fputc('"', out);
}

/* The one function that formats a diagnostic. */
static void diag_format(const struct pl_diag_list *dl, const struct pl_diag *d, FILE *out,
			bool tty)
{
	pl_path_put(out, dl->path);
	fprintf(out, ":%d:%d: error: %s\n", d->line, d->col, d->msg);
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
