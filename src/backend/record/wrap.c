/*
 * wrap.c - a backend around another: every member the wrapper does not
 * override goes to the inner backend as it is.  The transcript recorder
 * (transcript.c) and the observer (observe.c) are such wrappers.
 */
#include "backend/record/record.h"

#include <stdlib.h>

static struct pl_backend *inner(struct pl_backend *be)
{
	return ((struct pl_wrapper *)be->priv)->in;
}

static int wrap_begin(struct pl_backend *be, const char *preset, const char *const *sets,
		      int nr_sets, char *err, size_t errlen)
{
	struct pl_backend *in = inner(be);

	return in->begin ? in->begin(in, preset, sets, nr_sets, err, errlen) : 0;
}

static long wrap_step(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r)
{
	return inner(be)->step(inner(be), s, r);
}

static bool wrap_has(struct pl_backend *be, const char *feature)
{
	struct pl_backend *in = inner(be);

	return in->has && in->has(in, feature);
}

static int wrap_check(struct pl_backend *be)
{
	return inner(be)->check(inner(be));
}

static int wrap_nr_violations(struct pl_backend *be)
{
	return inner(be)->nr_violations(inner(be));
}

static void wrap_violation(struct pl_backend *be, int i, struct pl_bviolation *out)
{
	inner(be)->violation(inner(be), i, out);
}

static void wrap_end(struct pl_backend *be)
{
	struct pl_backend *in = inner(be);

	if (in->end)
		in->end(in);
}

/* The wrapper is the first member of what was allocated: free that too. */
static void wrap_destroy(struct pl_backend *be)
{
	struct pl_wrapper *w = be->priv;

	w->in->destroy(w->in);
	free(w);
}

struct pl_wrapper *pl_wrapper_new(struct pl_backend *in, size_t size, const struct pl_backend *ops)
{
	struct pl_wrapper *w;

	if (!in)
		return NULL;
	w = calloc(1, size);
	if (!w) {
		in->destroy(in);
		return NULL;
	}
	w->in = in;
	w->be.name = in->name;
	w->be.priv = w;
	w->be.begin = wrap_begin;
	w->be.step = wrap_step;
	w->be.has = wrap_has;
	w->be.check = in->check ? wrap_check : NULL;
	w->be.nr_violations = in->nr_violations ? wrap_nr_violations : NULL;
	w->be.violation = in->violation ? wrap_violation : NULL;
	w->be.end = wrap_end;
	w->be.destroy = wrap_destroy;
	if (ops->begin)
		w->be.begin = ops->begin;
	if (ops->step)
		w->be.step = ops->step;
	if (ops->has)
		w->be.has = ops->has;
	if (ops->destroy)
		w->be.destroy = ops->destroy;
	return w;
}
