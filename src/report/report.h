/*
 * report.h - every output format of pinlab, in one place.
 *
 * Results (one struct pl_result per scenario x preset x backing) go through
 * a struct pl_report, which counts them and hands each to the writer of the
 * chosen format:
 *
 *	table	one line per run: ok/FAIL/skip, file, preset, backing, outcome,
 *		expected, detail; then "N results: N matched, N mismatched, N skipped"
 *	ktap	KTAP version 1, as kselftest prints it: plan, "ok N id [preset
 *		backing]", "# SKIP reason", "# XFAIL reason", "# Totals: ..."
 *	json	one object per line (design.md's stable keys, plus "kselftest"
 *		and "steps")
 *
 * The state writers (text in dump.c, DOT in dot.c) read a world through
 * pinlab/view.h; the --trace writer and the explain writer read the
 * executor's hooks (pinlab/result.h).  Nothing here knows the executor or
 * the scenario's AST.
 *
 * May include: pinlab/result.h, pinlab/view.h (and through it core.h's
 * types), report/, libc.  Output
 * is byte-deterministic: model pfns and addresses, never host pointers,
 * times or colours unless the caller asks for colour (stdout is a tty).
 */
#ifndef PINLAB_REPORT_H
#define PINLAB_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "pinlab/result.h"
#include "pinlab/view.h"

enum pl_format {
	PL_FMT_TABLE,
	PL_FMT_KTAP,
	PL_FMT_JSON,
};

/* "table" / "ktap" / "json" -> the format; -1 if unknown. */
int pl_format_find(const char *name);

struct pl_report {
	FILE *out;
	enum pl_format fmt;
	bool color;			/* ANSI colours (only when out is a tty) */
	bool quiet;			/* table: only the results that did not match, and the summary */
	int width;			/* table: a longer line's detail goes below; 0: never */
	int n;				/* results written */
	int matched, mismatched, skipped;
	int passed, failed, xfailed;	/* kselftest totals (KTAP) */
	int plan;			/* results announced by pl_report_begin() */
};

void pl_report_begin(struct pl_report *rp, FILE *out, enum pl_format fmt, bool color,
		     int plan);
void pl_report_result(struct pl_report *rp, const struct pl_result *r);
/* The last line: "N results: N matched, N mismatched, N skipped" (table, KTAP). */
void pl_report_end(struct pl_report *rp);
/*
 * The end of a report cut short by signal @sig ("SIGINT"): what was written
 * stays valid and is marked incomplete -- table: "interrupted by SIG after
 * N of M results" and the summary; KTAP: "Bail out!" and the totals; JSON:
 * a last object {"incomplete": true, "signal": SIG, "results": N,
 * "planned": M}.
 */
void pl_report_interrupted(struct pl_report *rp, const char *sig);

/* The writers, one per format (table.c, ktap.c, json.c). */
void pl_table_write(FILE *out, const struct pl_result *r, bool color, int width);
void pl_ktap_write(FILE *out, int n, const struct pl_result *r);
void pl_json_write(FILE *out, const struct pl_result *r);
/* The "version" of every JSON object pinlab prints (docs/pinlab.schema.json). */
#define PL_JSON_VERSION 1

/* A JSON string literal with escapes. */
void pl_json_str(FILE *out, const char *s);
/* The same with <, > and & escaped too, for JSON inside an HTML <script> element. */
void pl_json_str_html(FILE *out, const char *s);

/* ---------------------------------------------------------------------------
 * --trace (trace.c): each step as its source text, every event it caused and
 * the folios it changed.  Lines start with prefix ("# " inside KTAP).
 */
struct pl_trace {
	FILE *out;
	const char *prefix;
	void (*show)(void *arg, struct pl_backend *be, const struct pl_show_req *req);
	void *show_arg;
};

/* Fill hooks so that the executor writes the trace to t. */
void pl_trace_hooks(struct pl_trace *t, struct pl_exec_hooks *h);
/* Format one folio state ("folio 511 order 0 ref 1 map 1 pin 0 anon dirty \"x\""). */
void pl_trace_folio(FILE *out, const struct pl_folio_state *f);

/* ---------------------------------------------------------------------------
 * explain (explain.c): each COW, reuse, unshare, fork copy/share, GUP refusal,
 * retry and GUP-fast bail with its step, the rule of the active preset (knob
 * and commit) and the kernel function it models.
 */
struct pl_explain {
	FILE *out;
	const struct pl_policy *policy;	/* the run's knobs, for their values */
	const char *preset;
	int last_step;			/* the step whose header was printed last */
	int nr;				/* decisions printed */
};

void pl_explain_hooks(struct pl_explain *e, struct pl_exec_hooks *h);
/* The knob a rule string names ("anon_reuse=refcount", "fork_copy_pinned (70e8...)"), or NULL. */
const struct pl_knob *pl_rule_knob(const char *rule);
/*
 * The folio flags the reports name (anon, ksm, hugetlb, dirty, writeback,
 * swapcache, zero), in the order they print them: the name of the next one
 * set in @flags from position *@i on, or NULL; start with *@i = 0.
 */
const char *pl_folio_flag_next(uint32_t flags, size_t *i);

/* ---------------------------------------------------------------------------
 * Graphviz DOT of a world (dot.c): processes -> VMAs -> page-table entries ->
 * folios, plus pinners and page caches.  Node ids are derived from pids, VMA
 * indexes, pfns and handles, so the output is deterministic.
 */
/* 0, or -ENOMEM: out of memory, the picture is incomplete. */
int pl_dot_world(FILE *out, const struct world *w, const char *title);

/* ---------------------------------------------------------------------------
 * The HTML report (html.c; `pinlab report`, `pinlab demo -o`): one page with
 * the scenario x preset matrix and, per scenario, a step-by-step timeline of
 * one or two runs with an SVG of each step's state.  Usage:
 *
 *	h = pl_html_new(title, presets, nr);
 *	for each scenario:
 *		pl_html_scenario(h, id, name, file);
 *		for each preset and backing: run it, pl_html_result(h, &r);
 *		n = pl_html_pick(h, picks, 2);
 *		for each pick: t = pl_html_tl_begin(h, be, sc, preset, backing, &hooks);
 *			       run it with hooks; pl_html_tl_end(t, &r);
 *	pl_html_write(h, out); pl_html_free(h);
 *
 * Each returns 0 or -ENOMEM (the page is then incomplete: do not write it).
 */
#define PL_HTML_MAX_PRESETS 64
#define PL_HTML_MAX_PIDS 64

struct pl_html;
struct pl_html_tl;

struct pl_html_pick {
	const char *preset;
	char backing[40];
};

struct pl_html *pl_html_new(const char *title, const char *const *presets, int nr_presets);
int pl_html_scenario(struct pl_html *h, const char *id, const char *name, const char *file);
int pl_html_result(struct pl_html *h, const struct pl_result *r);
/*
 * A host column: @json, a JSON array of `pinlab diff --format json` objects
 * (checked by the caller; copied, with <, > and & escaped), drawn beside the
 * presets and in the timelines of the same (preset, backing).
 */
int pl_html_host(struct pl_html *h, const char *json);
/* The runs of the current scenario worth a timeline: the first failure, then its fix. */
int pl_html_pick(const struct pl_html *h, struct pl_html_pick *out, int max);
/*
 * Fill hooks that record a timeline of the run (on the model backend: the
 * hooks read its world, pl_exec_point.world); NULL: no memory.
 */
struct pl_html_tl *pl_html_tl_begin(struct pl_html *h, const char *preset, const char *backing,
				    struct pl_exec_hooks *hooks);
int pl_html_tl_end(struct pl_html_tl *t, const struct pl_result *r);
/*
 * End a timeline by writing it to out as one JSON object instead: preset,
 * backing, outcome, expected, detail, fail_step and steps (`explain --format
 * json`); or with @last_state, preset, backing and the state after the last
 * step run (`show --format json`).
 */
int pl_html_tl_json(struct pl_html_tl *t, const struct pl_result *r, FILE *out, bool last_state);
/* Close the last scenario: 0, or -ENOMEM when some of the data is missing. */
int pl_html_finish(struct pl_html *h);
/* The page (after pl_html_finish()); non-zero when the data is incomplete. */
int pl_html_write(struct pl_html *h, FILE *out);
void pl_html_free(struct pl_html *h);

#endif /* PINLAB_REPORT_H */
