/*
 * table.c - `--format table`: one line per run, for people.
 *
 *	ok   scenarios/cow/basic.pin v5.7   base         pass          expected pass
 *	FAIL scenarios/cow/a3.pin    v5.9   thp-2048k    leak          expected pass  step 8 ...
 *	skip scenarios/cow/a3.pin    v5.9   hugetlb-...  skip          expected leak  1 GiB ...
 *
 * With a width (a terminal's, or 100 for a pipe) a line that would be
 * longer puts its detail on the lines below, indented, for the CLI's wrapper
 * (src/cli/wrap.c) to fold at that width:
 *
 *	ok   scenarios/cow/a03-vmsplice-unmap-in-child.pin v5.9   swapped   leak   expected leak
 *	     step 8 (line 43) C: check read pipe1 == "old" as leak: the pipe gave ...
 */
#include "report/report.h"

#include <string.h>

#define T_GREEN "\033[32m"
#define T_RED	"\033[31m"
#define T_GREY	"\033[33m"
#define T_OFF	"\033[0m"

/* Padding cut by up to @over columns, never below the text's own length; @over is reduced. */
static int table_pad(int pad, const char *text, int *over)
{
	int cut = pad - (int)strlen(text);

	if (cut <= 0 || *over <= 0)
		return pad;
	if (cut > *over)
		cut = *over;
	*over -= cut;
	return pad - cut;
}

void pl_table_write(FILE *out, const struct pl_result *r, bool color, int width)
{
	const char *word = r->skipped ? "skip" : r->match ? "ok" : "FAIL";
	const char *on = !color ? "" : r->skipped ? T_GREY : r->match ? T_GREEN : T_RED;
	bool reason = r->reason[0] && !r->skipped && strcmp(r->outcome, "pass");
	int bpad = 26, opad = 13, len, over;
	bool below;

	len = snprintf(NULL, 0, "%-4s %s %-6s %-*s %-*s expected %s", word, r->file, r->preset,
		       bpad, r->backing, opad, r->outcome, r->expected);
	/* a head longer than the width gives up the padding of backing and outcome first */
	over = width > 0 ? len - width : 0;
	bpad = table_pad(bpad, r->backing, &over);
	opad = table_pad(opad, r->outcome, &over);
	len = snprintf(NULL, 0, "%-4s %s %-6s %-*s %-*s expected %s", word, r->file, r->preset,
		       bpad, r->backing, opad, r->outcome, r->expected);
	if (r->detail[0])
		len += 14 - (int)strlen(r->expected) + (int)strlen(r->detail);
	if (reason)
		len += 3 + (int)strlen(r->reason);
	below = width > 0 && len > width && (r->detail[0] || reason);
	fprintf(out, "%s%-4s%s %s %-6s %-*s %-*s expected %s", on, word, color ? T_OFF : "",
		r->file, r->preset, bpad, r->backing, opad, r->outcome, r->expected);
	if (below)
		fprintf(out, "\n    ");
	if (r->detail[0])
		fprintf(out, "%*s %s", below ? 0 : (int)(13 - strlen(r->expected)), "",
			r->detail);
	if (reason)
		fprintf(out, " (%s)", r->reason);
	fputc('\n', out);
}
