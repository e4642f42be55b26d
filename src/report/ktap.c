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
 *
 * The scenarios of the catalog that mirror the kernel's cow.c and
 * gup_longterm.c (those under a cow/ or gup_longterm/ directory, report
 * name "cow/..." or "gup_longterm/...") are named as the kernel names them,
 * then the preset and backing, then pinlab's name, so that a kselftest run
 * and a pinlab run join line by line on the test name:
 *
 *	ok 1 Basic COW after fork() ... with base page [v5.7 base] cow/a01-basic-cow-after-fork
 *
 * (the kernel's names hold no " [").
 */
#include "report/report.h"

#include <string.h>

/* A result of a scenario that mirrors a kernel selftest, by its report name. */
static bool ktap_mirrors_kselftest(const struct pl_result *r)
{
	return r->kselftest[0] && r->id &&
	       (!strncmp(r->id, "cow/", 4) || !strncmp(r->id, "gup_longterm/", 13));
}

void pl_ktap_write(FILE *out, int n, const struct pl_result *r)
{
	if (!r->match)
		fprintf(out, "# %s [%s %s]: %s, expected %s: %s\n", r->id, r->preset, r->backing,
			r->outcome, r->expected, r->detail);
	if (ktap_mirrors_kselftest(r))
		fprintf(out, "%s %d %s [%s %s] %s", r->match ? "ok" : "not ok", n, r->kselftest,
			r->preset, r->backing, r->id);
	else
		fprintf(out, "%s %d %s [%s %s]", r->match ? "ok" : "not ok", n, r->id, r->preset,
			r->backing);
	if (r->skipped)
		fprintf(out, " # SKIP %s", r->reason);
	else if (!strcmp(r->outcome, "xfail"))
		fprintf(out, " # XFAIL %s", r->reason);
	fputc('\n', out);
}
