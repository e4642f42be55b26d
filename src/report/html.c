/*
 * html.c - `pinlab report` and `pinlab demo -o`: one self-contained HTML
 * page (inline CSS, JavaScript and SVG; nothing fetched, no graphviz).
 *
 * The page is a fixed template (html_page.c, from page.html) plus one JSON
 * document that this file writes into it:
 *
 *	{"version": 1, "title": "...", "presets": ["v4.8", ...],
 *	 "hosts": [[diff object, ...] per --diff file],	(only with --diff)
 *	 "scenarios": [{"id": "cow/a01-...", "name": "...", "file": "...",
 *	   "cells": [[run, ...] per preset],	run: [backing, outcome, expected,
 *						      match, detail, fail_step]
 *	   "timelines": [{"preset", "backing", "outcome", "expected", "detail",
 *			  "fail_step", "steps": [step, ...]}]}]}
 *
 *	step: {"n": 3, "line": 15, "text": "P: write buf[0] \"old\"",
 *	       "setup": ["pipe1 = pipe()"], "ret": "EFAULT", "note": "...",
 *	       "events": [{"kind", "func", "rule", "detail", "knob"}],
 *	       "changed": [pfn...], "created": [pfn...], "freed": [pfn...],
 *	       "state": {"procs": [{"pid", "name", "exited", "mm", "pinned",
 *			  "vmas": [{"start", "end", "prot", "shared", "file",
 *				    "entries": [[level, addr, count, pfn, folio, bits]]}]}],
 *			 "folios": [{"pfn", "n", "order", "ref", "map", "pin", "excl",
 *				     "flags": [...], "text"}],	n alike folios from pfn
 *			 "pins": [{"id", "kind", "pid", "how", "folios": [pfn...]}],
 *			 "violations": [{"invariant", "pfn", "detail"}]}}
 *
 * Runs of identical page-table entries are folded into one entry with a
 * count ("PTE 0x..000 x511"): same level, same bits, consecutive pfns of
 * one folio, or consecutive swap slots; and runs of alike folios (same
 * order, counters, flags and contents, adjacent: a split THP) into one.  The script draws each step's state
 * as an SVG (processes -> VMAs -> entries -> folios <- pins), marks what the
 * step changed, and draws the failure at the step that decided it.
 *
 * Everything is a model value (pfns, addresses, names), so the page is
 * byte-deterministic for a given input.
 *
 * Over 900 lines: one writer of the one JSON document above, whose sections
 * (timelines, the state after a step, the page) follow the document's shape
 * and share its escaping and folding helpers.
 */
#include "report/report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The page template, NUL-terminated; "@DATA@" is replaced by the JSON. */
extern const char pl_html_page[];

struct pl_html {
	const char *const *presets;
	int nr_presets;
	const char *title;
	FILE *data;			/* the "scenarios" array so far */
	char *data_buf;
	size_t data_len;
	int nr_scenarios;
	/* the scenario being written */
	FILE *cells[PL_HTML_MAX_PRESETS];
	char *cell_buf[PL_HTML_MAX_PRESETS];
	size_t cell_len[PL_HTML_MAX_PRESETS];
	int cell_n[PL_HTML_MAX_PRESETS];
	FILE *tls;
	char *tls_buf;
	size_t tls_len;
	int nr_tls;
	bool open;
	/* what pl_html_pick() chooses from: the failure classes seen, per preset and backing */
	struct html_seen {
		int preset;
		char backing[40];
		bool failed, passed;
	} *seen;
	int nr_seen, cap_seen;
	char *hosts[8];			/* pl_html_host(): JSON arrays, escaped */
	int nr_hosts;
	int oom;
};

/* A JSON string; <, > and & are escaped so that no "</script>" can end the data block. */
static void h_str(FILE *out, const char *s)
{
	pl_json_str_html(out, s ? s : "");
}

struct pl_html *pl_html_new(const char *title, const char *const *presets, int nr_presets)
{
	struct pl_html *h;

	if (nr_presets > PL_HTML_MAX_PRESETS)
		nr_presets = PL_HTML_MAX_PRESETS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->title = title;
	h->presets = presets;
	h->nr_presets = nr_presets;
	h->data = open_memstream(&h->data_buf, &h->data_len);
	if (!h->data) {
		free(h);
		return NULL;
	}
	return h;
}

static void h_close(FILE **f, char **buf)
{
	if (*f) {
		fclose(*f);
		*f = NULL;
	}
	free(*buf);
	*buf = NULL;
}

/* Append the open scenario's cells and timelines to the data and close it. */
static void h_flush_scenario(struct pl_html *h)
{
	if (!h->open)
		return;
	fputs(", \"cells\": [", h->data);
	for (int p = 0; p < h->nr_presets; p++) {
		if (h->cells[p] && fclose(h->cells[p]))
			h->oom = 1;
		h->cells[p] = NULL;
		fprintf(h->data, "%s[%s]", p ? ", " : "", h->cell_buf[p] ? h->cell_buf[p] : "");
		free(h->cell_buf[p]);
		h->cell_buf[p] = NULL;
	}
	if (h->tls && fclose(h->tls))
		h->oom = 1;
	h->tls = NULL;
	fprintf(h->data, "], \"timelines\": [%s]}", h->tls_buf ? h->tls_buf : "");
	free(h->tls_buf);
	h->tls_buf = NULL;
	h->open = false;
}

int pl_html_scenario(struct pl_html *h, const char *id, const char *name, const char *file)
{
	h_flush_scenario(h);
	for (int p = 0; p < h->nr_presets; p++) {
		h->cells[p] = open_memstream(&h->cell_buf[p], &h->cell_len[p]);
		h->cell_n[p] = 0;
		if (!h->cells[p])
			h->oom = 1;
	}
	h->tls = open_memstream(&h->tls_buf, &h->tls_len);
	if (!h->tls)
		h->oom = 1;
	h->nr_tls = 0;
	h->nr_seen = 0;
	h->open = true;
	fprintf(h->data, "%s{\"id\": ", h->nr_scenarios++ ? ",\n" : "");
	h_str(h->data, id);
	fputs(", \"name\": ", h->data);
	h_str(h->data, name);
	fputs(", \"file\": ", h->data);
	h_str(h->data, file);
	return h->oom ? -ENOMEM : 0;
}

static int h_preset(const struct pl_html *h, const char *preset)
{
	for (int p = 0; p < h->nr_presets; p++)
		if (!strcmp(h->presets[p], preset))
			return p;
	return -1;
}

static bool h_failed(const char *outcome)
{
	return strcmp(outcome, "pass") && strcmp(outcome, "skip");
}

int pl_html_result(struct pl_html *h, const struct pl_result *r)
{
	int p = h_preset(h, r->preset);
	FILE *c;

	if (p < 0 || !h->open || h->oom)
		return h->oom ? -ENOMEM : 0;
	c = h->cells[p];
	fprintf(c, "%s[", h->cell_n[p]++ ? ", " : "");
	h_str(c, r->backing);
	fputs(", ", c);
	h_str(c, r->outcome);
	fputs(", ", c);
	h_str(c, r->expected);
	fprintf(c, ", %d, ", r->match ? 1 : 0);
	/* the detail of what did not pass; a skip's or xfail's reason */
	h_str(c, h_failed(r->failure) || !r->match ? r->detail : r->reason);
	fprintf(c, ", %d]", r->fail_step);
	if (h->nr_seen == h->cap_seen) {
		int cap = h->cap_seen ? 2 * h->cap_seen : 64;
		struct html_seen *n = realloc(h->seen, (size_t)cap * sizeof(*n));

		if (!n) {
			h->oom = 1;
			return -ENOMEM;
		}
		h->seen = n;
		h->cap_seen = cap;
	}
	h->seen[h->nr_seen].preset = p;
	snprintf(h->seen[h->nr_seen].backing, sizeof(h->seen[0].backing), "%s", r->backing);
	h->seen[h->nr_seen].failed = !r->skipped && h_failed(r->failure);
	h->seen[h->nr_seen].passed = !r->skipped && !strcmp(r->outcome, "pass");
	h->nr_seen++;
	return 0;
}

int pl_html_host(struct pl_html *h, const char *json)
{
	size_t n = 0;
	char *c;

	if (h->nr_hosts == (int)(sizeof(h->hosts) / sizeof(h->hosts[0])))
		return -E2BIG;
	for (const char *s = json; *s; s++)
		n += strchr("<>&", *s) ? 6 : 1;
	c = malloc(n + 1);
	if (!c) {
		h->oom = 1;
		return -ENOMEM;
	}
	h->hosts[h->nr_hosts++] = c;
	/* inside strings only (valid JSON has them nowhere else): no "</script>" */
	for (const char *s = json; *s; s++)
		c += strchr("<>&", *s) ? sprintf(c, "\\u%04x", *s) : (*c = *s, 1);
	*c = 0;
	return 0;
}

/*
 * The runs worth drawing: the first backing (matrix order) that fails under
 * some preset, under the oldest preset where it fails; then the same backing
 * under the first later preset where it passes (the fix), when there is one.
 * With no failure at all: the first backing under the newest preset.
 */
int pl_html_pick(const struct pl_html *h, struct pl_html_pick *out, int max)
{
	int n = 0;

	for (int i = 0; i < h->nr_seen && max > 0; i++) {
		const struct html_seen *s = &h->seen[i];
		int first = -1, fix = -1;

		if (!s->failed)
			continue;
		for (int j = 0; j < h->nr_seen; j++) {
			const struct html_seen *t = &h->seen[j];

			if (strcmp(t->backing, s->backing))
				continue;
			if (t->failed && (first < 0 || t->preset < h->seen[first].preset))
				first = j;
		}
		for (int j = 0; j < h->nr_seen; j++) {
			const struct html_seen *t = &h->seen[j];

			if (strcmp(t->backing, s->backing) || !t->passed ||
			    t->preset <= h->seen[first].preset)
				continue;
			if (fix < 0 || t->preset < h->seen[fix].preset)
				fix = j;
		}
		out[n].preset = h->presets[h->seen[first].preset];
		snprintf(out[n].backing, sizeof(out[n].backing), "%s", s->backing);
		n++;
		if (fix >= 0 && n < max) {
			out[n].preset = h->presets[h->seen[fix].preset];
			snprintf(out[n].backing, sizeof(out[n].backing), "%s", s->backing);
			n++;
		}
		return n;
	}
	for (int i = 0; i < h->nr_seen && max > 0; i++) {
		if (h->seen[i].preset != h->nr_presets - 1 || h->seen[i].failed ||
		    (!h->seen[i].passed && i + 1 < h->nr_seen))
			continue;
		out[0].preset = h->presets[h->seen[i].preset];
		snprintf(out[0].backing, sizeof(out[0].backing), "%s", h->seen[i].backing);
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * Timelines: the executor's hooks record each step.
 */
struct html_step {
	int n, line;
	bool used;
	FILE *head, *setup, *events, *changed, *created, *freed;
	char *head_b, *setup_b, *events_b, *changed_b, *created_b, *freed_b;
	size_t head_l, setup_l, events_l, changed_l, created_l, freed_l;
	int nr_setup, nr_events, nr_changed, nr_created, nr_freed;
	char *state;			/* the last snapshot taken in this step */
	char ret[40], note[200];
};

struct pl_html_tl {
	struct pl_html *h;
	struct pl_policy policy;
	const char *preset, *backing;
	FILE *steps;
	char *steps_b;
	size_t steps_l;
	int nr_steps;
	struct html_step cur;
	/* process names: pid -> scenario name (pid 1-based, at most PL_HTML_MAX_PIDS) */
	const char *names[PL_HTML_MAX_PIDS + 1];
	int nr_pids_seen;
	struct pl_folio_state *fs;
	int cap_fs;
	int *grp;			/* per folio: the index of the first of its alike run */
	int cap_grp;
	struct pl_event ev;		/* the pending event and how many alike ones follow it */
	int nr_ev;
};

static FILE *h_mem(struct pl_html_tl *t, char **b, size_t *l)
{
	FILE *f = open_memstream(b, l);

	if (!f)
		t->h->oom = 1;
	return f;
}

static void h_step_free(struct html_step *s)
{
	h_close(&s->head, &s->head_b);
	h_close(&s->setup, &s->setup_b);
	h_close(&s->events, &s->events_b);
	h_close(&s->changed, &s->changed_b);
	h_close(&s->created, &s->created_b);
	h_close(&s->freed, &s->freed_b);
	free(s->state);
	memset(s, 0, sizeof(*s));
}

static int h_step_open(struct pl_html_tl *t, int n, int line)
{
	struct html_step *s = &t->cur;

	memset(s, 0, sizeof(*s));
	s->n = n;
	s->line = line;
	s->used = true;
	s->head = h_mem(t, &s->head_b, &s->head_l);
	s->setup = h_mem(t, &s->setup_b, &s->setup_l);
	s->events = h_mem(t, &s->events_b, &s->events_l);
	s->changed = h_mem(t, &s->changed_b, &s->changed_l);
	s->created = h_mem(t, &s->created_b, &s->created_l);
	s->freed = h_mem(t, &s->freed_b, &s->freed_l);
	if (t->h->oom) {
		h_step_free(s);
		return -ENOMEM;
	}
	return 0;
}

static const char *h_done(FILE **f, char **b)
{
	if (*f && fclose(*f))
		*b = NULL;
	*f = NULL;
	return *b ? *b : "";
}

static void h_event_flush(struct pl_html_tl *t);

/* Write the open step to the timeline and free it. */
static void h_step_close(struct pl_html_tl *t)
{
	struct html_step *s = &t->cur;
	FILE *o = t->steps;

	if (!s->used)
		return;
	h_event_flush(t);
	fprintf(o, "%s{\"n\": %d, \"line\": %d, \"text\": ", t->nr_steps++ ? ", " : "", s->n,
		s->line);
	h_str(o, h_done(&s->head, &s->head_b));
	fprintf(o, ", \"setup\": [%s]", h_done(&s->setup, &s->setup_b));
	fputs(", \"ret\": ", o);
	h_str(o, s->ret);
	fputs(", \"note\": ", o);
	h_str(o, s->note);
	fprintf(o, ", \"events\": [%s]", h_done(&s->events, &s->events_b));
	fprintf(o, ", \"changed\": [%s]", h_done(&s->changed, &s->changed_b));
	fprintf(o, ", \"created\": [%s]", h_done(&s->created, &s->created_b));
	fprintf(o, ", \"freed\": [%s]", h_done(&s->freed, &s->freed_b));
	fprintf(o, ", \"state\": %s}", s->state ? s->state : "null");
	h_step_free(s);
}

static void tl_step_begin(void *arg, const struct pl_exec_point *at)
{
	struct pl_html_tl *t = arg;
	struct html_step *s = &t->cur;

	if (at->setup) {
		if (!s->used && h_step_open(t, at->step, at->line))
			return;
		if (!s->used)
			return;
		fprintf(s->setup, "%s", s->nr_setup++ ? ", " : "");
		h_str(s->setup, at->text);
		return;
	}
	h_step_close(t);
	if (h_step_open(t, at->step, at->line))
		return;
	at->print(s->head, at);
}

/* Write the pending event (a run of alike events) of the open step. */
static void h_event_flush(struct pl_html_tl *t)
{
	struct html_step *s = &t->cur;
	const struct pl_event *ev = &t->ev;
	const struct pl_knob *k;
	FILE *e = s->events;

	if (!t->nr_ev || !s->used)
		return;
	fprintf(e, "%s{\"kind\": ", s->nr_events++ ? ", " : "");
	h_str(e, pl_event_kind_name(ev->kind));
	fputs(", \"func\": ", e);
	h_str(e, ev->func);
	fprintf(e, ", \"n\": %d, \"pid\": %d, \"old\": %u, \"new\": %u, \"rule\": ", t->nr_ev,
		ev->pid, ev->old_pfn, ev->new_pfn);
	h_str(e, ev->rule);
	fputs(", \"detail\": ", e);
	h_str(e, ev->detail);
	fputs(", \"knob\": ", e);
	k = ev->rule ? pl_rule_knob(ev->rule) : NULL;
	if (k) {
		char buf[600];

		snprintf(buf, sizeof(buf), "%s = %s in %s (%s: %s)", k->name,
			 pl_policy_knob_value(&t->policy, k), t->preset, k->commit, k->doc);
		h_str(e, buf);
	} else {
		h_str(e, "");
	}
	fputc('}', e);
	t->nr_ev = 0;
}

static bool h_str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Events in a row that differ only in address and pfn (fork copying 511 PTEs) fold. */
static void tl_event(void *arg, const struct pl_exec_point *at, const struct pl_event *ev)
{
	struct pl_html_tl *t = arg;

	(void)at;
	if (!t->cur.used)
		return;
	if (t->nr_ev && t->ev.kind == ev->kind && t->ev.pid == ev->pid &&
	    h_str_eq(t->ev.func, ev->func) && h_str_eq(t->ev.rule, ev->rule) &&
	    !strcmp(t->ev.detail, ev->detail)) {
		t->nr_ev++;
		return;
	}
	h_event_flush(t);
	t->ev = *ev;
	t->nr_ev = 1;
}

/* ---------------------------------------------------------------------------
 * The state of the world after a step.
 */
static const char *h_name(struct pl_html_tl *t, int pid)
{
	return pid >= 1 && pid <= PL_HTML_MAX_PIDS && t->names[pid] ? t->names[pid] : NULL;
}

/* Name the processes that appeared in this step after the step's process symbols. */
static void h_name_new(struct pl_html_tl *t, const struct world *w, const struct pl_exec_point *at)
{
	const char *step_name = at->new_process;

	for (int i = t->nr_pids_seen; i < w->nr_tasks; i++) {
		int pid = w->tasks[i]->pid;
		const char *name = at->setup ? "(set-up)" : step_name;

		if (!at->setup)
			step_name = NULL;	/* a step creates at most one named process */
		if (pid >= 1 && pid <= PL_HTML_MAX_PIDS)
			t->names[pid] = name;
	}
	t->nr_pids_seen = w->nr_tasks;
}

/*
 * The folio holding pfn, as drawn: the head pfn of its run of alike folios
 * (h_group), found by binary search in the folio list (sorted by pfn); pfn
 * itself if no live folio holds it.
 */
static pl_pfn h_head(const struct pl_html_tl *t, int nr, pl_pfn pfn)
{
	int lo = 0, hi = nr - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct pl_folio_state *f = &t->fs[mid];

		if (pfn < f->pfn)
			hi = mid - 1;
		else if (pfn >= f->pfn + (1u << f->order))
			lo = mid + 1;
		else
			return t->fs[t->grp[mid]].pfn;
	}
	return pfn;
}

/* Alike neighbours: the same order, counters, flags and contents, adjacent pfns. */
static bool h_alike(const struct pl_folio_state *a, const struct pl_folio_state *b)
{
	return b->pfn == a->pfn + (1u << a->order) && a->order == b->order &&
	       a->refcount == b->refcount && a->mapcount == b->mapcount &&
	       a->pincount == b->pincount && a->flags == b->flags &&
	       a->exclusive == b->exclusive && !strcmp(a->text, b->text);
}

/* Fold runs of alike folios (a split THP: 512 order-0 folios) into one drawn folio. */
static int h_group(struct pl_html_tl *t, int nr)
{
	if (nr > t->cap_grp) {
		int *g = realloc(t->grp, (size_t)nr * sizeof(*g));

		if (!g)
			return -ENOMEM;
		t->grp = g;
		t->cap_grp = nr;
	}
	for (int i = 0; i < nr; i++)
		t->grp[i] = i && h_alike(&t->fs[i - 1], &t->fs[i]) ? t->grp[i - 1] : i;
	return 0;
}

struct h_entry {
	const char *lvl;		/* "pte" "pmd" "pud" "swap" */
	pl_addr addr;
	unsigned long count;
	pl_pfn pfn, folio;		/* swap: pfn = the slot */
	char bits[48];
	size_t size;			/* bytes one entry maps */
	long stride;			/* pfn step within a run: 0 (same pfn) or +-one entry */
};

static void h_entry_put(FILE *o, const struct h_entry *e, int *n)
{
	fprintf(o, "%s[\"%s\", %llu, %lu, %u, %u, ", (*n)++ ? ", " : "", e->lvl,
		(unsigned long long)e->addr, e->count, e->pfn, e->folio);
	h_str(o, e->bits);
	fputc(']', o);
}

/*
 * Fold e into run (same kind, bits and folio, the next address, and the next
 * pfn up or down -- the model allocates downwards -- or the same pfn all
 * along, as for the zero page), else flush run.
 */
static void h_entry_add(FILE *o, struct h_entry *run, const struct h_entry *e, int *n)
{
	unsigned long next = strcmp(e->lvl, "swap") ? e->size / PAGE_SIZE : 1;

	if (run->count && !strcmp(run->lvl, e->lvl) && !strcmp(run->bits, e->bits) &&
	    run->folio == e->folio && e->addr == run->addr + run->count * run->size) {
		long d = (long)e->pfn - (long)run->pfn;

		if (run->count == 1 && (d == 0 || d == (long)next || d == -(long)next))
			run->stride = d;
		if (d == (long)run->count * run->stride) {
			run->count++;
			return;
		}
	}
	if (run->count)
		h_entry_put(o, run, n);
	*run = *e;
}

static void h_entry_of(struct pl_html_tl *t, const struct world *w, int nr, pl_addr addr, pte_t e,
		       const char *lvl, size_t size, struct h_entry *out)
{
	memset(out, 0, sizeof(*out));
	out->addr = addr;
	out->count = 1;
	out->size = size;
	if (is_swap_pte(e)) {
		out->lvl = "swap";
		out->pfn = pte_swp_offset(e);
		out->folio = PL_PFN_NONE;
		snprintf(out->bits, sizeof(out->bits), "%s", pte_swp_exclusive(e) ? "exclusive" : "");
		return;
	}
	out->lvl = lvl;
	out->pfn = pte_pfn(e);
	out->folio = h_head(t, nr, out->pfn);
	snprintf(out->bits, sizeof(out->bits), "%s%s%s%s%s", pte_protnone(e) ? "prot-none " : "",
		 pte_write(e) ? "write" : "ro", pte_dirty(e) ? " dirty" : "",
		 pte_special(e) ? " special" : "",
		 pl_page_anon_exclusive_bit(w, pfn_to_page(w, out->pfn)) ? " exclusive" : "");
}

static void h_vma_entries(struct pl_html_tl *t, FILE *o, const struct world *w, int nr,
			  struct mm_struct *mm, const struct vm_area_struct *v)
{
	struct h_entry run = { .count = 0 }, e;
	struct pl_leaf_iter it;
	struct pl_leaf l;
	int n = 0;

	pl_for_each_leaf(it, l, mm, v) {
		static const size_t size[] = { [PL_LEAF_PTE] = PAGE_SIZE, [PL_LEAF_PMD] = PMD_SIZE,
					       [PL_LEAF_PUD] = PUD_SIZE };

		h_entry_of(t, w, nr, l.addr, l.entry, pl_leaf_level_name(l.level), size[l.level],
			   &e);
		h_entry_add(o, &run, &e, &n);
	}
	if (run.count)
		h_entry_put(o, &run, &n);
}

static const char *h_pin_kind(enum pl_pin_kind k)
{
	static const char *const kinds[] = {
		/* ORDER: enum pl_pin_kind */
		"pipe", "io_uring", "O_DIRECT", "rdma", "gup_test",
	};

	return (unsigned int)k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "?";
}

static void h_folio_flags(FILE *o, uint32_t flags)
{
	const char *name;
	size_t i = 0;
	int n = 0;

	while ((name = pl_folio_flag_next(flags, &i)))
		fprintf(o, "%s\"%s\"", n++ ? ", " : "", name);
}

/* Snapshot the world into the open step (replacing an earlier snapshot of it). */
static void h_snapshot(struct pl_html_tl *t, const struct pl_exec_point *at)
{
	const struct world *w = at->world;
	struct html_step *s = &t->cur;
	char *buf = NULL;
	size_t len = 0;
	FILE *o;
	int nr;

	if (!w || !s->used)
		return;
	nr = pl_folio_states(w, t->fs, t->cap_fs);
	if (nr > t->cap_fs) {
		struct pl_folio_state *n = realloc(t->fs, (size_t)nr * sizeof(*n));

		if (!n) {
			t->h->oom = 1;
			return;
		}
		t->fs = n;
		t->cap_fs = nr;
		nr = pl_folio_states(w, t->fs, t->cap_fs);
	}
	if (h_group(t, nr)) {
		t->h->oom = 1;
		return;
	}
	h_name_new(t, w, at);
	o = open_memstream(&buf, &len);
	if (!o) {
		t->h->oom = 1;
		return;
	}
	fputs("{\"procs\": [", o);
	for (int i = 0; i < w->nr_tasks; i++) {
		const struct task_struct *k = w->tasks[i];
		const char *name = h_name(t, k->pid);

		fprintf(o, "%s{\"pid\": %d, \"name\": ", i ? ", " : "", k->pid);
		h_str(o, name ? name : "");
		fprintf(o, ", \"exited\": %s, \"mm\": %d, \"pinned\": %s, \"vmas\": [",
			k->exited ? "true" : "false", k->mm ? (int)k->mm->id : 0,
			k->mm && (k->mm->flags & MMF_HAS_PINNED) ? "true" : "false");
		for (int j = 0; k->mm && j < k->mm->nr_vmas; j++) {
			const struct vm_area_struct *v = &k->mm->vmas[j];

			fprintf(o, "%s{\"start\": %llu, \"end\": %llu, \"prot\": \"%c%c%c\", "
				"\"shared\": %s, \"hugetlb\": %s, \"file\": %d, \"entries\": [",
				j ? ", " : "", (unsigned long long)v->vm_start,
				(unsigned long long)v->vm_end, (v->vm_flags & VM_READ) ? 'r' : '-',
				(v->vm_flags & VM_WRITE) ? 'w' : '-',
				(v->vm_flags & VM_EXEC) ? 'x' : '-',
				(v->vm_flags & VM_SHARED) ? "true" : "false",
				(v->vm_flags & VM_HUGETLB) ? "true" : "false", v->file);
			h_vma_entries(t, o, w, nr, k->mm, v);
			fputs("]}", o);
		}
		fputs("]}", o);
	}
	fputs("], \"folios\": [", o);
	for (int i = 0, n; i < nr; i += n) {
		const struct pl_folio_state *f = &t->fs[i];

		for (n = 1; i + n < nr && t->grp[i + n] == i; n++)
			;
		fprintf(o, "%s{\"pfn\": %u, \"n\": %d, \"order\": %u, \"ref\": %u, \"map\": %d, "
			"\"pin\": %d, \"excl\": %u, \"flags\": [", i ? ", " : "", f->pfn, n, f->order,
			f->refcount, f->mapcount, f->pincount, f->exclusive);
		h_folio_flags(o, f->flags);
		fputs("], \"text\": ", o);
		h_str(o, (f->flags & PG_zero) ? "" : f->text);
		fputc('}', o);
	}
	fputs("], \"pins\": [", o);
	for (int i = 0, n = 0; i < w->nr_pins; i++) {
		const struct pl_pinset *ps = w->pins[i];
		uint32_t first = ps->kind == PL_PIN_PIPE ? ps->consumed : 0;
		pl_pfn last = PL_PFN_NONE;
		int m = 0;

		if (!ps->active)
			continue;
		fprintf(o, "%s{\"id\": %d, \"kind\": \"%s\", \"pid\": %d, \"how\": \"%s\", "
			"\"pages\": %u, \"folios\": [", n++ ? ", " : "", ps->id,
			h_pin_kind(ps->kind), ps->pid, (ps->gup_flags & FOLL_PIN) ? "PIN" : "GET",
			ps->nr - first);
		for (uint32_t j = first; ps->pages && j < ps->nr; j++) {
			pl_pfn head;

			if (ps->pages[j] == PL_PFN_NONE)
				continue;
			head = h_head(t, nr, ps->pages[j]);
			if (head == last)
				continue;
			fprintf(o, "%s%u", m++ ? ", " : "", head);
			last = head;
		}
		fputs("]}", o);
	}
	fputs("], \"violations\": [", o);
	for (int i = 0, n = 0; i < w->nr_violations; i++) {
		const struct pl_violation *v = &w->violations[i];

		if (v->step != w->step)
			continue;
		fprintf(o, "%s{\"invariant\": ", n++ ? ", " : "");
		h_str(o, v->inv ? v->inv->name : "?");
		fprintf(o, ", \"pfn\": %u, \"detail\": ", h_head(t, nr, v->pfn));
		h_str(o, v->detail);
		fputc('}', o);
	}
	fputs("]}", o);
	if (fclose(o)) {
		t->h->oom = 1;
		free(buf);
		return;
	}
	free(s->state);
	s->state = buf;
}

static void tl_step_end(void *arg, const struct pl_exec_point *at,
			const struct pl_folio_change *changes, int nr)
{
	struct pl_html_tl *t = arg;
	struct html_step *s = &t->cur;

	if (!s->used)
		return;
	if (!at->setup) {
		if (at->note)
			snprintf(s->note, sizeof(s->note), "%s", at->note);
		else if (at->ret < 0 && !strncmp(at->ret_name, "errno ", 6))
			/*
			 * Only an errno without a name reaches the page, as
			 * before (pl_errno_name() wrote its buffer only then);
			 * the named ones are left out.  Keeping the page as it
			 * was: whether to show them is the page's owner's call.
			 */
			snprintf(s->ret, sizeof(s->ret), "%s", at->ret_name);
	}
	for (int i = 0; i < nr; i++) {
		const struct pl_folio_change *c = &changes[i];

		if (!c->has_before)
			fprintf(s->created, "%s%u", s->nr_created++ ? ", " : "", c->after.pfn);
		else if (!c->has_after)
			fprintf(s->freed, "%s%u", s->nr_freed++ ? ", " : "", c->before.pfn);
		else
			fprintf(s->changed, "%s%u", s->nr_changed++ ? ", " : "", c->after.pfn);
	}
	h_snapshot(t, at);
}

static const struct pl_exec_hooks tl_hooks = {
	.step_begin = tl_step_begin,
	.event = tl_event,
	.step_end = tl_step_end,
	.want_folios = true,
};

struct pl_html_tl *pl_html_tl_begin(struct pl_html *h, const char *preset, const char *backing,
				    struct pl_exec_hooks *hooks)
{
	struct pl_html_tl *t = calloc(1, sizeof(*t));

	if (!t) {
		h->oom = 1;
		return NULL;
	}
	t->h = h;
	t->preset = preset;
	t->backing = backing;
	t->policy = pl_preset_find(preset)->policy;
	t->steps = open_memstream(&t->steps_b, &t->steps_l);
	if (!t->steps) {
		free(t);
		h->oom = 1;
		return NULL;
	}
	*hooks = tl_hooks;
	hooks->arg = t;
	return t;
}

/* The timeline as one JSON object: preset, backing, outcome ... steps. */
static void h_tl_put(struct pl_html_tl *t, const struct pl_result *r, FILE *o)
{
	fputs("{\"preset\": ", o);
	h_str(o, t->preset);
	fputs(", \"backing\": ", o);
	h_str(o, t->backing);
	fputs(", \"outcome\": ", o);
	h_str(o, r->outcome);
	fputs(", \"expected\": ", o);
	h_str(o, r->expected);
	fputs(", \"detail\": ", o);
	h_str(o, r->detail[0] ? r->detail : r->reason);
	fprintf(o, ", \"fail_step\": %d, \"steps\": [%s]}", r->fail_step,
		t->steps_b ? t->steps_b : "");
}

static int h_tl_free(struct pl_html_tl *t)
{
	struct pl_html *h = t->h;

	free(t->steps_b);
	free(t->fs);
	free(t->grp);
	free(t);
	return h->oom ? -ENOMEM : 0;
}

int pl_html_tl_end(struct pl_html_tl *t, const struct pl_result *r)
{
	struct pl_html *h = t->h;

	h_step_close(t);
	if (fclose(t->steps))
		h->oom = 1;
	if (!h->oom && h->tls) {
		fputs(h->nr_tls++ ? ",\n" : "", h->tls);
		h_tl_put(t, r, h->tls);
	}
	return h_tl_free(t);
}

int pl_html_tl_json(struct pl_html_tl *t, const struct pl_result *r, FILE *out, bool last_state)
{
	struct pl_html *h = t->h;
	char *state = t->cur.state ? strdup(t->cur.state) : NULL;

	if (t->cur.state && !state)
		h->oom = 1;
	h_step_close(t);
	if (fclose(t->steps))
		h->oom = 1;
	if (!h->oom && !last_state) {
		h_tl_put(t, r, out);
	} else if (!h->oom) {
		fputs("{\"preset\": ", out);
		h_str(out, t->preset);
		fputs(", \"backing\": ", out);
		h_str(out, t->backing);
		fprintf(out, ", \"state\": %s}", state ? state : "null");
	}
	free(state);
	return h_tl_free(t);
}

/* ---------------------------------------------------------------------------
 * The page.
 */
int pl_html_finish(struct pl_html *h)
{
	h_flush_scenario(h);
	if (fflush(h->data))
		h->oom = 1;
	return h->oom ? -ENOMEM : 0;
}

int pl_html_write(struct pl_html *h, FILE *out)
{
	const char *mark = strstr(pl_html_page, "@DATA@");

	if (pl_html_finish(h) || !mark)
		return -ENOMEM;
	fwrite(pl_html_page, 1, (size_t)(mark - pl_html_page), out);
	fputs("{\"version\": 1, \"title\": ", out);
	h_str(out, h->title);
	fputs(", \"presets\": [", out);
	for (int p = 0; p < h->nr_presets; p++) {
		fputs(p ? ", " : "", out);
		h_str(out, h->presets[p]);
	}
	if (h->nr_hosts) {	/* only with --diff: without, the page is as it was */
		fputs("],\n\"hosts\": [", out);
		for (int i = 0; i < h->nr_hosts; i++)
			fprintf(out, "%s%s", i ? ",\n" : "\n", h->hosts[i]);
	}
	fputs("],\n\"scenarios\": [\n", out);
	fwrite(h->data_buf, 1, h->data_len, out);
	fputs("]}", out);
	fputs(mark + strlen("@DATA@"), out);
	return 0;
}

void pl_html_free(struct pl_html *h)
{
	if (!h)
		return;
	h_flush_scenario(h);
	h_close(&h->data, &h->data_buf);
	for (int i = 0; i < h->nr_hosts; i++)
		free(h->hosts[i]);
	free(h->seen);
	free(h);
}
