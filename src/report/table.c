/*
 * table.c - `--format table`: one line per run, for people.
 *
 *	ok   scenarios/cow/basic.pin v5.7   base         pass          expected pass
 *	FAIL scenarios/cow/a3.pin    v5.9   thp-2048k    leak          expected pass  step 8 ...
 *	skip scenarios/cow/a3.pin    v5.9   hugetlb-...  skip          expected leak  1 GiB ...
 */
#include "report/report.h"

#include <string.h>

#define T_GREEN "\033[32m"
#define T_RED	"\033[31m"
#define T_GREY	"\033[33m"
#define T_OFF	"\033[0m"

void pl_table_write(FILE *out, const struct pl_result *r, bool color)
{
	const char *word = r->skipped ? "skip" : r->match ? "ok" : "FAIL";
	const char *on = !color ? "" : r->skipped ? T_GREY : r->match ? T_GREEN : T_RED;

	fprintf(out, "%s%-4s%s %s %-6s %-26s %-13s expected %s", on, word, color ? T_OFF : "",
		r->file, r->preset, r->backing, r->outcome, r->expected);
	if (r->detail[0])
		fprintf(out, "%*s %s", (int)(13 - strlen(r->expected)), "", r->detail);
	if (r->reason[0] && !r->skipped && strcmp(r->outcome, "pass"))
		fprintf(out, " (%s)", r->reason);
	fputc('\n', out);
}
