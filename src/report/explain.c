/*
 * explain.c - `pinlab explain`: every decision the modelled kernel took
 * that a GUP/COW story turns on, with the step that caused it, the rule of
 * the active preset and the kernel function it models:
 *
 *	step 6 (line 15): P: write buf[0] "new"
 *	  reuse          reused folio 511 ...
 *	    kernel:      do_wp_page()
 *	    rule:        anon_reuse=mapcount
 *	    knob:        anon_reuse = mapcount in v5.7 (09854ba94c6a: do_wp_page() ...)
 *
 * The decisions are the core's events of kind COW, reuse, unshare, fork
 * copy/share, GUP refusal, GUP retry and GUP-fast bail; faults, zaps and
 * swap traffic are left to --trace.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

static bool ex_decision(enum pl_event_kind k)
{
	switch (k) {
	case PL_EV_COW:
	case PL_EV_REUSE:
	case PL_EV_UNSHARE:
	case PL_EV_FORK_COPY:
	case PL_EV_FORK_SHARE:
	case PL_EV_GUP_REFUSE:
	case PL_EV_GUP_RETRY:
	case PL_EV_GUP_FAST_BAIL:
		return true;
	default:
		return false;
	}
}

const struct pl_knob *pl_rule_knob(const char *rule)
{
	size_t len = strcspn(rule, "= (");
	int n;
	const struct pl_knob *k = pl_knobs(&n);

	for (int i = 0; i < n; i++)
		if (strlen(k[i].name) == len && !strncmp(k[i].name, rule, len))
			return &k[i];
	return NULL;
}

static void ex_header(struct pl_explain *e, const struct pl_exec_point *at)
{
	if (e->last_step == at->step && !at->setup)
		return;
	e->last_step = at->setup ? -1 : at->step;
	if (at->setup) {
		if (at->step)
			fprintf(e->out, "step %d (line %d), set-up: %s\n", at->step, at->line,
				at->text);
		else
			fprintf(e->out, "set-up: %s\n", at->text);
		return;
	}
	fprintf(e->out, "step %d (line %d): ", at->step, at->line);
	at->print(e->out, at);
	fputc('\n', e->out);
}

static void ex_event(void *arg, const struct pl_exec_point *at, const struct pl_event *ev)
{
	struct pl_explain *e = arg;
	const struct pl_knob *k;

	if (!ex_decision(ev->kind))
		return;
	ex_header(e, at);
	e->nr++;
	fprintf(e->out, "  %-14s", pl_event_kind_name(ev->kind));
	if (ev->detail[0])
		fprintf(e->out, " %s\n", ev->detail);
	else
		fprintf(e->out, " pid %d addr 0x%llx pfn %u -> %u\n", ev->pid,
			(unsigned long long)ev->addr, ev->old_pfn, ev->new_pfn);
	fprintf(e->out, "    kernel:      %s()\n", ev->func);
	if (!ev->rule)
		return;
	fprintf(e->out, "    rule:        %s\n", ev->rule);
	k = pl_rule_knob(ev->rule);
	if (k && e->policy) {
		const struct pl_preset *p = pl_preset_find(e->preset);
		char next[16];
		struct pl_policy then;

		fprintf(e->out, "    knob:        %s = %s in %s (%s: %s)\n", k->name,
			pl_policy_knob_value(e->policy, k), e->preset, k->commit, k->doc);
		/* what history did next with that rule: the release that changes it */
		if (p && pl_knob_next_change(k, p->first, next, sizeof(next)) &&
		    !pl_release_policy(next, &then))
			fprintf(e->out, "    changed:     %s = %s from %s (%s)\n", k->name,
				pl_policy_knob_value(&then, k), next,
				pl_knob_change_commit(k, k->last && !strcmp(
					pl_policy_knob_value(&then, k), "false")));
	}
}

void pl_explain_hooks(struct pl_explain *e, struct pl_exec_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->event = ex_event;
	h->arg = e;
	e->last_step = -1;
	e->nr = 0;
}
