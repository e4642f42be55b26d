/*
 * ktap.c - `--format ktap`: what kselftest prints (tools/testing/selftests/
 * kselftest.h), so the results drop into the kernel's test tooling:
 *
 *	KTAP version 1
 *	1..3
 *	ok 1 cow/basic-cow [v5.7 base]
 *	# cow/vmsplice [v5.9 thp-2048k]: leak, expected pass: step 8 ...
 *	not ok 2 cow/vmsplice [v5.9 thp-2048k]
 *	ok 3 cow/vmsplice [v5.9 hugetlb-2048k] # XFAIL hugetlb keeps mapcount reuse
 *	# Totals: pass:1 fail:1 xfail:1 xpass:0 skip:0 error:0
 *
 * A result that matches a failing expectation (the era had the bug) is ok:
 * the model reproduced history.  Diagnostics are "# " lines before the
 * result line, as ksft_print_msg() does.
 */
#include "report/report.h"

#include <string.h>

void pl_ktap_write(FILE *out, int n, const struct pl_result *r)
{
	if (!r->match)
		fprintf(out, "# %s [%s %s]: %s, expected %s: %s\n", r->id, r->preset, r->backing,
			r->outcome, r->expected, r->detail);
	fprintf(out, "%s %d %s [%s %s]", r->match ? "ok" : "not ok", n, r->id, r->preset,
		r->backing);
	if (r->skipped)
		fprintf(out, " # SKIP %s", r->reason);
	else if (!strcmp(r->outcome, "xfail"))
		fprintf(out, " # XFAIL %s", r->reason);
	fputc('\n', out);
}
