/*
 * result.h - the outcome of one (scenario, preset, backing) run, as every
 * report writer sees it.
 *
 * The executor (src/lang/exec.c) fills one struct pl_result per run; the
 * writers in src/report/ (table, KTAP, JSON) print it and nothing else.  It
 * holds text, never model objects, so a run on the host kernel produces the
 * same structure.  Strings are either static, owned by the scenario (name,
 * path) or stored inline; pl_result_free() releases the violation list.
 *
 * Stable names (relied on by users' scripts; see design.md):
 *
 *	outcome, expected	pass leak stale-pin lost-write file-modified refused
 *				invariant count xfail skip
 *	backing			the canonical backing name ("base", "thp-pte-64k" ...)
 */
#ifndef PINLAB_RESULT_H
#define PINLAB_RESULT_H

#include <stdbool.h>
#include <stddef.h>

/* At most this many distinct violations are kept per run (the rest are counted). */
#define PL_RESULT_MAX_VIOLATIONS 16

struct pl_result_violation {
	char invariant[40];		/* the checker's name: "refcount-balance" */
	int step;			/* 1-based scenario step; 0 = matrix set-up */
	char detail[200];
};

struct pl_result {
	const char *scenario;		/* scenario "NAME" */
	const char *file;		/* the path given on the command line */
	const char *id;			/* "cow/basic-cow": the file's report name (KTAP, demo) */
	const char *preset;		/* "v5.7" */
	const char *backend;		/* "host" when not the model (JSON only); NULL = model */
	const char *kernel;		/* with backend: uname -r */
	const char *backing;		/* canonical backing name */
	const char *display;		/* the selftest's spelling: "PTE-mapped THP (64 kB)" */
	char kselftest[320];		/* "<scenario> ... with <display>" */
	const char *outcome;		/* what happened (after xfail folding) */
	const char *failure;		/* the failure class behind an xfail; else == outcome */
	const char *expected;		/* what the expect lines say */
	bool match;			/* outcome agrees with the expectation */
	bool skipped;			/* not run: `expect skip`, or no such backing here */
	char detail[320];		/* the deciding step and what it saw; errno names */
	char reason[200];		/* skip or xfail reason (`because`), "" if none */
	int steps;			/* scenario steps executed */
	int nr_steps;			/* steps in the scenario */
	int fail_step;			/* the step that decided a failing outcome; 0 = none */
	struct pl_result_violation *violations;
	int nr_violations;		/* kept in violations[] */
	int nr_violations_total;	/* distinct violations seen (may exceed the list) */
};

void pl_result_free(struct pl_result *r);

#endif /* PINLAB_RESULT_H */
