/*
 * wrap.c - tables that fit a terminal.  cli_wrap_stdout() puts a filter in
 * front of standard output (fopencookie) that breaks every line longer than
 * the width -- the terminal's (TIOCGWINSZ, else $COLUMNS); when standard
 * output is not a terminal, $COLUMNS if exported, else 100 -- at a space,
 * and indents what follows
 * under the start of the line's last column (the text after its last run of
 * three, else two, spaces in the first two thirds of the line), so that a
 * table's free-text column wraps inside itself:
 *
 *	anon_reuse      5.9  09854ba94c6a  do_wp_page() on a small anon folio:
 *	                                   reuse when mapcount is 1, or only
 *
 * A word longer than the room left is cut.  main.c puts it in front of every
 * command's text output (not JSON, KTAP, DOT, HTML or scripts).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct wrap {
	FILE *out;
	int width;
	char *line;
	size_t len, cap;
};

static bool wrap_oom;		/* a line did not fit in memory: out of memory, not a write error */

int cli_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");

	/* not a terminal: $COLUMNS when the caller exported one (a script's choice), else 100 */
	if (!isatty(STDOUT_FILENO))
		return env && atoi(env) >= 40 ? atoi(env) : 100;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	if (env && atoi(env) >= 40)
		return atoi(env);
	return 80;
}

/*
 * Where the last column of line starts: after its last run of @gap or more
 * spaces within the first two thirds of the width; else -1.  Columns are
 * padded with runs of three or more spaces, prose has two after a full stop,
 * so three is tried first.
 */
static int wrap_column(const char *line, size_t len, int width, int gap)
{
	int col = -1, run = 0;

	for (size_t i = 0; i + 1 < len && (int)i < width * 2 / 3; i++) {
		run = line[i] == ' ' ? run + 1 : 0;
		if (run >= gap && line[i + 1] != ' ' && (int)i + 1 <= width * 2 / 3)
			col = (int)i + 1;
	}
	return col;
}

static void wrap_line(struct wrap *w, const char *line, size_t len)
{
	int indent, lead = 0, room;
	size_t pos = 0;

	if ((int)len <= w->width) {
		fwrite(line, 1, len, w->out);
		fputc('\n', w->out);
		return;
	}
	while (lead < (int)len && line[lead] == ' ')
		lead++;
	indent = wrap_column(line, len, w->width, 3);
	if (indent < 0)
		indent = wrap_column(line, len, w->width, 2);
	if (indent < 0 || indent > w->width * 2 / 3)
		indent = lead + 4 < w->width / 2 ? lead + 4 : 4;
	room = w->width;
	while (pos < len) {
		size_t end = pos + (size_t)room, cut;

		if (end >= len) {
			fwrite(line + pos, 1, len - pos, w->out);
			fputc('\n', w->out);
			break;
		}
		for (cut = end; cut > pos && line[cut] != ' '; cut--)
			;
		if (cut <= pos + (size_t)room / 3)	/* no space worth breaking at: cut the word */
			cut = end;
		fwrite(line + pos, 1, cut - pos, w->out);
		fputc('\n', w->out);
		pos = cut;
		while (pos < len && line[pos] == ' ')
			pos++;
		if (pos < len)
			fprintf(w->out, "%*s", indent, "");
		room = w->width - indent;
	}
}

static ssize_t wrap_write(void *cookie, const char *buf, size_t size)
{
	struct wrap *w = cookie;

	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			wrap_line(w, w->line ? w->line : "", w->len);
			w->len = 0;
			continue;
		}
		if (w->len + 1 >= w->cap) {
			size_t cap = w->cap ? 2 * w->cap : 256;
			char *n = realloc(w->line, cap);

			if (!n) {
				wrap_oom = true;
				return -1;
			}
			w->line = n;
			w->cap = cap;
		}
		w->line[w->len++] = buf[i];
	}
	return ferror(w->out) ? -1 : (ssize_t)size;
}

static int wrap_close(void *cookie)
{
	struct wrap *w = cookie;
	int ret;

	if (w->len)
		wrap_line(w, w->line, w->len);
	ret = fflush(w->out) || ferror(w->out) ? -1 : 0;
	free(w->line);
	free(w);
	return ret;
}

static FILE *wrap_real_stdout;

/*
 * The model ends a command that runs out of memory with exit(3) (pl_oom());
 * the wrapper then still stands in for stdout.  Closing it from atexit()
 * writes out its last line and frees it, so the exit is clean (LeakSanitizer
 * reported the wrapper and turned exit 3 into 1 in tests/cli/failalloc.sh).
 */
static void wrap_atexit(void)
{
	cli_wrap_end();
}

int cli_wrap_stdout(void)
{
	cookie_io_functions_t io = { .write = wrap_write, .close = wrap_close };
	struct wrap *w = calloc(1, sizeof(*w));
	FILE *f;

	/*
	 * The line buffer up front, big enough for the lines commands print, so
	 * that running out of memory shows at the start, not after the command
	 * has said other things (a longer line still grows it).
	 */
	if (w) {
		w->cap = 1024;
		w->line = malloc(w->cap);
	}
	if (!w || !w->line) {
		wrap_oom = true;
		free(w);
		return -1;
	}
	w->out = stdout;
	w->width = cli_width();
	f = fopencookie(w, "w", io);
	if (!f) {
		wrap_oom = true;
		free(w->line);
		free(w);
		return -1;
	}
	wrap_real_stdout = stdout;
	stdout = f;
	atexit(wrap_atexit);	/* a failure leaves only the leak at exit */
	return 0;
}

int cli_wrap_end(void)
{
	int ret;

	if (!wrap_real_stdout)
		return 0;
	ret = ferror(stdout) ? -1 : 0;
	ret |= fclose(stdout);
	stdout = wrap_real_stdout;
	wrap_real_stdout = NULL;
	return wrap_oom ? -2 : ret ? -1 : 0;
}
