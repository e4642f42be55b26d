/*
 * print.c - the column printer (pl_explore_print, explore.h): replays one
 * schedule with tracing callbacks (pl_explore_replay) and prints each
 * thread's steps in its own column, with the events between them.
 */
#include "explore/explore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * The column printer.
 */
#define COLW 38

struct ptrace_step {
	uint64_t index;
	int thread;
	int op;
	int where;
	bool switched, preemption;
	char obj[64];
	char rel[80];		/* the lock this step released at its end */
	size_t ev_first, ev_n;
};

struct ptrace {
	struct ptrace_step *st;
	size_t n, cap;
	char (*ev)[224];
	size_t nev, capev;
	size_t end_ev;		/* events from here on came from the check */
	bool ended;
	bool oom;
};

static void pt_on_step(struct world *w, const struct pl_step_info *si, void *arg)
{
	struct ptrace *t = arg;
	struct ptrace_step *s;

	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct ptrace_step *ns = realloc(t->st, cap * sizeof(*ns));

		if (!ns) {
			t->oom = true;
			return;
		}
		t->st = ns;
		t->cap = cap;
	}
	if (si->op == PL_STEP_END) {
		t->end_ev = t->nev;
		t->ended = true;
		return;
	}
	if (si->released && t->n) {
		struct ptrace_step *prev = &t->st[t->n - 1];
		char name[64];

		pl_explore_describe(w, si->released, name, sizeof(name));
		if (!strcmp(name, "?"))
			snprintf(name, sizeof(name), "lock#%u",
				 ((const struct pl_lock *)si->released)->id);
		snprintf(prev->rel, sizeof(prev->rel), "%s %s", pl_sync_op_name(si->released_op),
			 name);
	}
	s = &t->st[t->n++];
	memset(s, 0, sizeof(*s));
	s->index = si->index;
	s->thread = si->thread;
	s->op = si->op;
	s->where = si->where;
	s->switched = si->switched;
	s->preemption = si->preemption;
	s->ev_first = t->nev;
	if (si->op == PL_STEP_START || si->op == PL_SYNC_YIELD || !si->obj) {
		s->obj[0] = 0;
		return;
	}
	pl_explore_describe(w, si->obj, s->obj, sizeof(s->obj));
	if (!strcmp(s->obj, "?") &&
	    (si->op == PL_SYNC_LOCK || si->op == PL_SYNC_UNLOCK || si->op == PL_SYNC_READ_LOCK ||
	     si->op == PL_SYNC_READ_UNLOCK || si->op == PL_SYNC_TRYLOCK))
		snprintf(s->obj, sizeof(s->obj), "lock#%u", ((const struct pl_lock *)si->obj)->id);
}

static void pt_on_event(struct world *w, const struct pl_event *ev, void *arg)
{
	struct ptrace *t = arg;

	(void)w;
	if (!t->n)
		return;
	if (t->nev == t->capev) {
		size_t cap = t->capev ? 2 * t->capev : 64;
		char (*ne)[224] = realloc(t->ev, cap * sizeof(*ne));

		if (!ne) {
			t->oom = true;
			return;
		}
		t->ev = ne;
		t->capev = cap;
	}
	snprintf(t->ev[t->nev], sizeof(t->ev[0]), "= %s %s%s%s%s%s", pl_event_kind_name(ev->kind),
		 ev->func ? ev->func : "", ev->detail[0] ? ": " : "", ev->detail,
		 ev->rule ? "  [" : "", ev->rule ? ev->rule : "");
	if (ev->rule)
		strncat(t->ev[t->nev], "]", sizeof(t->ev[0]) - strlen(t->ev[t->nev]) - 1);
	t->nev++;
	if (!t->ended)
		t->st[t->n - 1].ev_n++;
}

static void op_text(const struct ptrace_step *s, char *buf, size_t len)
{
	if (s->op == PL_STEP_START)
		snprintf(buf, len, "start");
	else if (s->op == PL_SYNC_UNLOCK || s->op == PL_SYNC_READ_UNLOCK)
		snprintf(buf, len, "(after %s)", pl_sync_op_name(s->op));
	else if (s->op == PL_SYNC_YIELD)
		snprintf(buf, len, "yield %s", pl_yield_point_name((enum pl_yield_point)s->where));
	else if (s->obj[0])
		snprintf(buf, len, "%s %s", pl_sync_op_name(s->op), s->obj);
	else
		snprintf(buf, len, "%s", pl_sync_op_name(s->op));
}

static void put_cell(FILE *out, const char *idx, int col, const char *text, bool clip)
{
	fprintf(out, "%6s  %*s", idx, col * (COLW + 2), "");
	if (clip && strlen(text) > COLW)
		fprintf(out, "%.*s~\n", COLW - 1, text);
	else
		fprintf(out, "%s\n", text);
}

/* Steps worth a line of their own when not printing all of them. */
static bool interesting(const struct ptrace *t, size_t i)
{
	const struct ptrace_step *s = &t->st[i];

	if (s->ev_n || s->op == PL_STEP_START || s->switched || s->rel[0])
		return true;
	if (i + 1 == t->n || t->st[i + 1].thread != s->thread)
		return true;
	return s->op != PL_SYNC_READ_ONCE && s->op != PL_SYNC_ATOMIC &&
	       s->op != PL_SYNC_UNLOCK && s->op != PL_SYNC_READ_UNLOCK;
}

enum pl_verdict pl_explore_print(FILE *out, const struct pl_explore_spec *spec,
				 const struct pl_sched *s, unsigned flags)
{
	struct ptrace t;
	struct pl_replay r;
	enum pl_verdict v;
	size_t hidden = 0;
	int hidden_thread = -1;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	r.on_step = pt_on_step;
	r.on_event = pt_on_event;
	r.cb_arg = &t;
	v = pl_explore_replay(spec, s, &r);
	if (r.oom || t.oom) {
		/* an incomplete interleaving must not pass for the schedule */
		free(t.st);
		free(t.ev);
		errno = ENOMEM;
		return PL_VERDICT_ERROR;
	}
	fprintf(out, "schedule %s: %d threads, %d preemption%s, %" PRIu64 " steps\n",
		spec && spec->name ? spec->name : (s && s->name[0] ? s->name : "?"),
		spec ? spec->nr_threads : 0, r.preemptions, r.preemptions == 1 ? "" : "s", r.steps);
	fprintf(out, "%6s  ", "step");
	for (int c = 0; spec && c < spec->nr_threads; c++) {
		char title[COLW + 1];

		snprintf(title, sizeof(title), "T%d %s", c,
			 spec->thread_name[c] ? spec->thread_name[c] : "");
		fprintf(out, "%-*s%s", COLW, title, c + 1 < spec->nr_threads ? "  " : "\n");
	}
	for (size_t i = 0; i < t.n; i++) {
		const struct ptrace_step *st = &t.st[i];
		char idx[24], text[160];

		if (!(flags & PL_PRINT_ALL_STEPS) && !interesting(&t, i)) {
			hidden++;
			hidden_thread = st->thread;
			continue;
		}
		if (hidden) {
			snprintf(text, sizeof(text), "... %zu step%s", hidden, hidden == 1 ? "" : "s");
			put_cell(out, "", hidden_thread, text, false);
			hidden = 0;
		}
		if (st->switched && i > 0) {
			int from = t.st[i - 1].thread;
			bool ends = true;

			for (size_t j = i; j < t.n && ends; j++)
				if (t.st[j].thread == from)
					ends = false;
			if (st->preemption)
				snprintf(text, sizeof(text), "---- T%d preempts T%d ----", st->thread,
					 from);
			else
				snprintf(text, sizeof(text), "---- T%d %s, T%d runs ----", from,
					 ends ? "finished" : "blocked", st->thread);
			put_cell(out, "", 0, text, false);
		}
		snprintf(idx, sizeof(idx), "%" PRIu64, st->index);
		op_text(st, text, sizeof(text));
		put_cell(out, idx, st->thread, text, true);
		for (size_t e = 0; e < st->ev_n; e++)
			put_cell(out, "", st->thread, t.ev[st->ev_first + e], false);
		if (st->rel[0])
			put_cell(out, "", st->thread, st->rel, true);
	}
	if (hidden) {
		char text[64];

		snprintf(text, sizeof(text), "... %zu step%s", hidden, hidden == 1 ? "" : "s");
		put_cell(out, "", hidden_thread, text, false);
	}
	if (t.ended && t.end_ev < t.nev) {
		put_cell(out, "", 0, "---- all threads done; the check: ----", false);
		for (size_t e = t.end_ev; e < t.nev; e++)
			put_cell(out, "", 0, t.ev[e], false);
	}
	fprintf(out, "verdict: %s%s%s\n", pl_verdict_name(v), r.why[0] ? ": " : "", r.why);
	free(t.st);
	free(t.ev);
	return v;
}
