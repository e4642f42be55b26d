/*
 * Description: every historical GUP/COW bug happens under its era's preset
 * and not under the fix's: each built-in history case is run under every
 * preset in checked mode and must produce exactly the expected outcome.
 */
#include "testlib.h"

#include "pinlab/core.h"

/* the cases come from libpinlab-app.a (src/history/) */
#include "history/history.h"

static const struct pl_hist_case *cur;

static void test_case_all_presets(void)
{
	int np;
	const struct pl_preset *p = pl_presets(&np);
	int buggy = 0, fixed = 0;

	for (int i = 0; i < np; i++) {
		char note[256];
		const char *got = pl_hist_run(cur, &p[i].policy, p[i].name, NULL, note,
					      sizeof(note));
		const char *want = pl_hist_expected(cur, p[i].name);

		if (strcmp(got, want))
			T_NOTE("%s under %s: got %s, expected %s (%s)", cur->name, p[i].name,
			       got, want, note);
		T_STREQ(got, want);
		if (strcmp(want, "pass"))
			buggy++;
		else
			fixed++;
	}
	/* a history case must show the bug somewhere (vmsplice-hugetlb: everywhere) */
	T_GT(buggy, 0);
	if (strcmp(cur->name, "vmsplice-hugetlb"))
		T_GT(fixed, 0);
}

int main(void)
{
	int n;
	const struct pl_hist_case *hc = pl_hist_cases(&n);

	for (int i = 0; i < n; i++) {
		cur = &hc[i];
		t_begin(hc[i].name);
		test_case_all_presets();
		t_end();
	}
	return T_DONE();
}
