/*
 * result.h - the outcome of one (scenario, preset, backing) run, as every
 * report writer sees it.
 *
 * The executor (src/lang/exec.c) fills one struct pl_result per run; the
 * writers in src/report/ (table, KTAP, JSON) print it and nothing else.
 * The hooks at the end of this file are how --trace and explain watch a run
 * step by step without knowing the executor or the scenario's AST.  It
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
#include <stdint.h>
#include <stdio.h>

#include "pinlab/view.h"	/* struct pl_folio_state, a world for readers; core.h */

struct pl_backend;

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

/*
 * pl_utf8_len() - the length of the valid UTF-8 sequence of 2 to 4 bytes at
 * @p (which ends before @end), or 0 when the bytes there are not one: a stray
 * continuation byte, a truncated sequence, an overlong form, a surrogate or
 * a code point beyond U+10FFFF.  A result's text is bytes (a file name is any
 * bytes); the writers that must show it as UTF-8 (JSON, diagnostics, paths)
 * decide with this which bytes pass through as they are.
 */
static inline int pl_utf8_len(const unsigned char *p, const unsigned char *end)
{
	int n = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;

	if (!n || end - p < n || p[0] > 0xf4)
		return 0;
	for (int i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0) ||
	    (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))
		return 0;	/* overlong, surrogate, beyond U+10FFFF */
	return n;
}

/* ---------------------------------------------------------------------------
 * A run as it happens: the executor calls these hooks (struct pl_exec_opts)
 * around every step, for --trace, explain and `show` (src/report/).
 */
/* Where the executor is, for hooks: one scenario step, or one set-up operation of it. */
struct pl_exec_point {
	int step;		/* 1-based scenario step; 0 = matrix set-up before step 1 */
	int line;		/* its source line, 0 for set-up */
	/*
	 * print() writes the scenario step as .pin source text ("P: fork C");
	 * NULL for set-up.  src and ctx are the executor's, for print().
	 */
	void (*print)(FILE *out, const struct pl_exec_point *at);
	const void *src, *ctx;
	bool setup;		/* a matrix set-up or transform operation, not a scenario step */
	bool transform;		/* ... the transform of step's mapping, run after its fill */
	const char *text;	/* set-up: what is done ("buf[1..511]: madvise dontneed") */
	long ret;		/* step_end: 0 or -errno of the (last) operation */
	char ret_name[32];	/* step_end, ret < 0: "EFAULT", or "errno 123" */
	const char *note;	/* step_end: why the step did not run, or NULL */
	const char *new_process; /* the name of the process the step creates, or NULL */
	const struct world *world; /* the backend's world (model), to read through view.h;
				    * NULL when the backend has none (host) */
};

struct pl_folio_change {
	bool has_before, has_after;	/* new folio / freed folio */
	struct pl_folio_state before, after;
};

/* What a SHOW step asks for: the whole world, or one object. */
struct pl_show_req {
	const char *name;		/* NULL: everything */
	int kind;			/* enum pl_sym_kind (src/lang/ast.h) */
	int id;				/* pid, file id or handle */
};

struct pl_exec_hooks {
	void (*step_begin)(void *arg, const struct pl_exec_point *at);
	void (*event)(void *arg, const struct pl_exec_point *at, const struct pl_event *ev);
	/* changes: the folios the step created, changed or freed (only with want_folios) */
	void (*step_end)(void *arg, const struct pl_exec_point *at,
			 const struct pl_folio_change *changes, int nr_changes);
	void (*show)(void *arg, struct pl_backend *be, const struct pl_show_req *req);
	void *arg;
	bool want_folios;		/* diff the folio table around each step (slow) */
};


#endif /* PINLAB_RESULT_H */
