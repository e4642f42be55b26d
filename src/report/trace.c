/*
 * trace.c - `--trace`: what each step did.
 *
 *	step 3 (line 12): P: write buf[0] "old"
 *	    fault         do_anonymous_page pid 1 addr 0x7f0000000000 pfn 0 -> 511
 *	    + folio 511 order 0 ref 1 map 1 pin 0 excl 1 anon dirty "old"
 *	step 4 (line 13): P: fork C
 *	    ~ folio 511 order 0 ref 1->2 map 1->2 pin 0 excl 1->0 anon dirty "old"
 *
 * "+" a folio the step allocated, "-" one it freed, "~" one whose counters,
 * flags or contents changed (old->new).  Matrix set-up operations appear as
 * "set-up:" lines under the step they belong to.  Every line starts with
 * the caller's prefix ("# " inside KTAP output).
 */
#include "report/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 3)))
static void tr_line(const struct pl_trace *t, const char *fmt, ...)
{
	va_list ap;

	fputs(t->prefix, t->out);
	va_start(ap, fmt);
	vfprintf(t->out, fmt, ap);
	va_end(ap);
	fputc('\n', t->out);
}

static void tr_flags(FILE *out, uint32_t flags)
{
	const char *name;
	size_t i = 0;

	while ((name = pl_folio_flag_next(flags, &i)))
		fprintf(out, " %s", name);
}

/* "ref 1" or "ref 1->2" */
static void tr_field(FILE *out, const char *name, long long before, long long after, bool changed)
{
	if (changed && before != after)
		fprintf(out, " %s %lld->%lld", name, before, after);
	else
		fprintf(out, " %s %lld", name, after);
}

static void tr_change(FILE *out, const struct pl_folio_change *c)
{
	const struct pl_folio_state *a = c->has_after ? &c->after : &c->before;
	const struct pl_folio_state *b = c->has_before ? &c->before : &c->after;
	bool both = c->has_before && c->has_after;

	fprintf(out, "%s folio %u order %u", !c->has_before ? "+" : !c->has_after ? "-" : "~",
		a->pfn, a->order);
	if (!c->has_after) {
		fputs(" freed", out);
		return;
	}
	tr_field(out, "ref", b->refcount, a->refcount, both);
	tr_field(out, "map", b->mapcount, a->mapcount, both);
	tr_field(out, "pin", b->pincount, a->pincount, both);
	tr_field(out, "excl", b->exclusive, a->exclusive, both);
	if (both && b->flags != a->flags) {
		fputs(" [", out);
		tr_flags(out, b->flags);
		fputs(" ] ->", out);
	}
	tr_flags(out, a->flags);
	if (both && strcmp(b->text, a->text))
		fprintf(out, " \"%s\"->\"%s\"", b->text, a->text);
	else
		fprintf(out, " \"%s\"", a->text);
}

void pl_trace_folio(FILE *out, const struct pl_folio_state *f)
{
	struct pl_folio_change c = { .has_before = false, .has_after = true, .after = *f };

	tr_change(out, &c);
}

static void tr_step_begin(void *arg, const struct pl_exec_point *at)
{
	struct pl_trace *t = arg;

	if (at->transform) {
		tr_line(t, "  set-up of step %d: %s", at->step, at->text);
		return;
	}
	if (at->setup) {
		tr_line(t, "%sset-up: %s", at->step ? "  " : "", at->text);
		return;
	}
	fprintf(t->out, "%sstep %d (line %d): ", t->prefix, at->step, at->line);
	at->print(t->out, at);
	fputc('\n', t->out);
}

static void tr_event(void *arg, const struct pl_exec_point *at, const struct pl_event *ev)
{
	struct pl_trace *t = arg;

	(void)at;
	tr_line(t, "    %-13s %s pid %d addr 0x%llx pfn %u -> %u%s%s%s",
		pl_event_kind_name(ev->kind), ev->func, ev->pid, (unsigned long long)ev->addr, ev->old_pfn, ev->new_pfn,
		ev->rule ? " [" : "", ev->rule ? ev->rule : "", ev->rule ? "]" : "");
	if (ev->detail[0])
		tr_line(t, "        %s", ev->detail);
}

static void tr_step_end(void *arg, const struct pl_exec_point *at,
			const struct pl_folio_change *changes, int nr)
{
	struct pl_trace *t = arg;

	if (at->note)
		tr_line(t, "    (%s)", at->note);
	else if (at->ret < 0)
		tr_line(t, "    -> %s", at->ret_name);
	for (int i = 0; i < nr; i++) {
		fputs(t->prefix, t->out);
		fputs("    ", t->out);
		tr_change(t->out, &changes[i]);
		fputc('\n', t->out);
	}
}

static void tr_show(void *arg, struct pl_backend *be, const struct pl_show_req *req)
{
	struct pl_trace *t = arg;

	if (t->show)
		t->show(t->show_arg, be, req);
}

static const struct pl_exec_hooks tr_hooks = {
	.step_begin = tr_step_begin,
	.event = tr_event,
	.step_end = tr_step_end,
	.show = tr_show,
	.want_folios = true,
};

void pl_trace_hooks(struct pl_trace *t, struct pl_exec_hooks *h)
{
	*h = tr_hooks;
	h->arg = t;
}
