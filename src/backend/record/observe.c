/*
 * observe.c - the observer: a wrapper that keeps what each step observed,
 * for comparing a model run with a host run (`pinlab diff`, `fuzz-diff`).
 *
 * Kept: every check step's answer (a value, a property, a count, or its
 * errno); with all_steps, also every other step's errno and vmsplice's page
 * count.  The executor's set-up operations (alignment trims, MADV_HUGEPAGE
 * ...) depend on addresses, not on what the kernel decides: between
 * pl_observer_setup(be, true) and (be, false) nothing is kept.
 */
#include "backend/record/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct observer {
	struct pl_wrapper w;	/* first: see wrap.c */
	struct pl_obs *v;
	int n, cap;
	bool all_steps;
	bool in_setup;
};

static struct observer *obs_of(struct pl_backend *be)
{
	return be->priv;
}

bool pl_obs_is_check(int op)
{
	return op == PL_OP_CHECK_VALUE || op == PL_OP_CHECK_PROP || op == PL_OP_CHECK_COUNT;
}

static int obs_begin(struct pl_backend *be, const char *preset, const char *const *sets,
		     int nr_sets, char *err, size_t errlen)
{
	struct observer *c = obs_of(be);
	struct pl_backend *in = c->w.in;

	c->n = 0;
	return in->begin ? in->begin(in, preset, sets, nr_sets, err, errlen) : 0;
}

static long obs_step(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct observer *c = obs_of(be);
	long ret = c->w.in->step(c->w.in, s, r);
	struct pl_obs *o;

	if (!pl_obs_is_check(s->op) && (!c->all_steps || c->in_setup))
		return ret;
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 16;
		struct pl_obs *nv = realloc(c->v, (size_t)cap * sizeof(*nv));

		if (!nv)
			return ret;
		c->v = nv;
		c->cap = cap;
	}
	o = &c->v[c->n++];
	memset(o, 0, sizeof(*o));
	o->step = s->step;
	o->op = s->op;
	o->ret = ret;
	if (ret >= 0) {
		o->prop = r->prop;
		o->count = r->count;
		if (!pl_obs_is_check(s->op) && s->op != PL_OP_VMSPLICE)
			o->count = 0;	/* only vmsplice's page count is an observation */
		if (s->op == PL_OP_CHECK_VALUE && r->text)
			snprintf(o->text, sizeof(o->text), "%s", r->text);
	}
	return ret;
}

static void obs_destroy(struct pl_backend *be)
{
	struct observer *c = obs_of(be);

	c->w.in->destroy(c->w.in);
	free(c->v);
	free(c);
}

static const struct pl_backend obs_ops = {
	.begin = obs_begin,
	.step = obs_step,
	.destroy = obs_destroy,
};

struct pl_backend *pl_observer_new(struct pl_backend *in, bool all_steps)
{
	struct observer *c = (struct observer *)pl_wrapper_new(in, sizeof(*c), &obs_ops);

	if (!c)
		return NULL;
	c->all_steps = all_steps;
	return &c->w.be;
}

void pl_observer_setup(struct pl_backend *be, bool setup)
{
	obs_of(be)->in_setup = setup;
}

const struct pl_obs *pl_observer_obs(struct pl_backend *be, int *n)
{
	*n = obs_of(be)->n;
	return obs_of(be)->v;
}

bool pl_obs_same(const struct pl_obs *a, const struct pl_obs *b)
{
	if (a->op != b->op)
		return false;
	if (!pl_obs_is_check(a->op))	/* a step (fuzz-diff): its errno, or its page count */
		return a->ret < 0 || b->ret < 0 ? a->ret == b->ret : a->count == b->count;
	if (a->ret < 0 || b->ret < 0)
		return (a->ret < 0) == (b->ret < 0);
	if (a->op == PL_OP_CHECK_VALUE)
		return !strcmp(a->text, b->text);
	if (a->op == PL_OP_CHECK_PROP)
		return a->prop == b->prop;
	return a->count == b->count;
}

struct pl_backend *pl_observer_inner(struct pl_backend *be)
{
	return be->begin == obs_begin ? obs_of(be)->w.in : be;
}
