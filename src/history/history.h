/*
 * Built-in history cases: each historical GUP/COW bug as a short program
 * against the core, with the outcome every era preset must produce.  They
 * are the regression suite of the core (tests/unit/history.c) and what
 * `pinlab demo` shows until the scenario language runs the catalog.
 */
#ifndef PINLAB_HISTORY_H
#define PINLAB_HISTORY_H

#include "pinlab/core.h"

struct pl_hist_ctx {
	struct world *w;
	int fired;			/* the yield hook's one-shot action ran */
	uint64_t cow_breaks;		/* COWs + reuses before the racing call */
	int pid, child;			/* the processes of the case */
	pl_addr addr;
	int file, handle;
	pl_pfn pinned[4];
	long pinned_nr;
	char note[160];			/* what was observed, for the report */
};

struct pl_hist_case {
	const char *name;		/* "cve-2020-29374" */
	const char *title;		/* one line */
	const char *kselftest;		/* the traceable kernel selftest name, or NULL */
	const char *fix;		/* commits that fixed it */
	/*
	 * Expected outcome per preset: space-separated "RANGE=OUTCOME" items,
	 * RANGE being "v5.9", "v4.8..v5.7" or "*"; the first match wins.
	 */
	const char *expect;
	/* Run the case; returns the observed data outcome ("pass", "leak" ...). */
	const char *(*run)(struct pl_hist_ctx *c);
};

const struct pl_hist_case *pl_hist_cases(int *n);
/* The outcome a preset must produce for a case. */
const char *pl_hist_expected(const struct pl_hist_case *hc, const char *preset);
/*
 * Run one case under one policy in checked mode; returns the outcome:
 * the data outcome if it is not "pass", else "invariant" if a violation was
 * recorded, else "pass".  *w_out (may be NULL) receives the world (caller
 * frees it with pl_world_free).
 */
const char *pl_hist_run(const struct pl_hist_case *hc, const struct pl_policy *policy,
			const char *preset, struct world **w_out, char *note, size_t notelen);
/* The same with an event callback attached to the world (--trace, explain). */
const char *pl_hist_run_traced(const struct pl_hist_case *hc, const struct pl_policy *policy,
			       const char *preset,
			       void (*on_event)(struct world *, const struct pl_event *, void *),
			       void *arg, struct world **w_out, char *note, size_t notelen);

#endif
