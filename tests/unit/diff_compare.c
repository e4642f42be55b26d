/*
 * Description: `pinlab diff`'s comparison of a model run with a host run
 * (cli_rec_compare(), src/cli/probe.c) without a host: both sides are the
 * model behind a fault-injecting wrapper that refuses one write with a
 * chosen errno, as a host kernel that refuses it would.  Two runs that end
 * with the same outcome at different steps, or refused at the same step with
 * different errnos, disagree ("ending step", both steps kept); the same
 * ending agrees.  A run that `require` skips names its step
 * (cli_require_step()), which diff compares when both runs skip so.
 */
#include "testlib.h"

#include <errno.h>

#include "backend/record/record.h"
#include "cli/cli.h"
#include "lang/exec.h"
#include "lang/front.h"

/* The model, except that the write at scenario step @at fails with -@err. */
struct refuser {
	struct pl_wrapper w;	/* first: see wrap.c */
	int at, err;
};

static long refuser_step(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct refuser *f = be->priv;

	if (s->op == PL_OP_WRITE && s->step == f->at)
		return -f->err;
	return f->w.in->step(f->w.in, s, r);
}

static const struct pl_backend refuser_ops = { .step = refuser_step };

/* An observed model run that refuses the write at step @at with @err (0: none). */
static struct pl_backend *side_new(int at, int err)
{
	struct refuser *f = (struct refuser *)pl_wrapper_new(pl_model_backend_new(),
							     sizeof(*f), &refuser_ops);

	if (!f)
		return NULL;
	f->at = at;
	f->err = err;
	return pl_observer_new(&f->w.be, false);
}

/* A process (step 1), a mapping (2), four writes (3-6), then a check (7). */
static const char text[] =
	"scenario \"t\"\nexpect pass\nprocess P\nP: b = mmap 1 page\n"
	"P: write b \"a\"\nP: write b \"b\"\nP: write b \"c\"\nP: write b \"d\"\n"
	"P: check b[0] == \"d\"\n";

struct seen {
	int n, ending, outcome, model_step, host_step;
	char model[352], host[352];
};

static void collect(void *arg, const struct cli_disagree *d)
{
	struct seen *s = arg;

	s->n++;
	s->ending += d->ending;
	s->outcome += d->outcome;
	if (d->ending) {
		s->model_step = d->model_step;
		s->host_step = d->host_step;
		snprintf(s->model, sizeof(s->model), "%s", d->model);
		snprintf(s->host, sizeof(s->host), "%s", d->host);
	}
}

/* Compare the model refusing (mat, merr) with the host refusing (hat, herr). */
static struct seen compare(int mat, int merr, int hat, int herr, const char *mout,
			   const char *hout)
{
	struct pl_diag_list diags;
	struct pl_scenario *sc = NULL;
	struct pl_backend *m = side_new(mat, merr), *h = side_new(hat, herr);
	struct pl_exec_opts o = { .preset = "latest" };
	struct pl_result mr, hr;
	struct seen s = { 0 };

	T_ASSERT(m && h);
	T_EQ(pl_lang_load("t.pin", text, sizeof(text) - 1, &sc, &diags), 0);
	T_EQ(pl_exec_run(sc, sc->backings[0].idx, m, &o, &mr), 0);
	T_EQ(pl_exec_run(sc, sc->backings[0].idx, h, &o, &hr), 0);
	T_STREQ(mr.outcome, mout);
	if (hout)	/* NULL: anything but the model's */
		T_STREQ(hr.outcome, hout);
	else
		T_ASSERT(strcmp(hr.outcome, mout) != 0);
	T_EQ(cli_rec_compare(&mr, m, &hr, h, collect, &s), s.n);
	pl_result_free(&mr);
	pl_result_free(&hr);
	pl_scenario_free(sc);
	m->destroy(m);
	h->destroy(h);
	return s;
}

/* The same outcome, ended at different steps: one "ending step" disagreement. */
static void test_same_outcome_other_step(void)
{
	struct seen s = compare(5, EFAULT, 3, EFAULT, "refused", "refused");

	T_EQ(s.ending, 1);
	T_EQ(s.model_step, 5);
	T_EQ(s.host_step, 3);
	T_ASSERT(strstr(s.model, "refused at step 5 with EFAULT") != NULL);
	T_ASSERT(strstr(s.host, "refused at step 3 with EFAULT") != NULL);
	T_EQ(s.outcome, 0);
}

/* Refused at the same step with another errno: disagree, both errnos shown. */
static void test_same_step_other_errno(void)
{
	struct seen s = compare(3, EFAULT, 3, ENOMEM, "refused", "refused");

	T_EQ(s.ending, 1);
	T_EQ(s.model_step, 3);
	T_EQ(s.host_step, 3);
	T_ASSERT(strstr(s.model, "with EFAULT") != NULL);
	T_ASSERT(strstr(s.host, "with ENOMEM") != NULL);
}

/* The same ending agrees; another outcome is an outcome disagreement only. */
static void test_same_ending_agrees(void)
{
	struct seen s = compare(3, EFAULT, 3, EFAULT, "refused", "refused");

	T_EQ(s.n, 0);
	s = compare(0, 0, 0, 0, "pass", "pass");
	T_EQ(s.n, 0);
	s = compare(0, 0, 6, EFAULT, "pass", NULL);
	T_EQ(s.outcome, 1);
	T_EQ(s.ending, 0);
}

/*
 * Two runs that `require` skips: diff compares the step (cli_require_step());
 * the same failure on a step without `require` is no skip.
 */
static void test_require_step(void)
{
	static const char req[] =
		"scenario \"t\"\nprocess P\nP: b = mmap 1 page\nrequire P: write b \"a\"\n"
		"require P: write b \"b\"\nP: check b[0] == \"b\"\n";
	struct pl_diag_list diags;
	struct pl_scenario *sc = NULL;
	struct pl_exec_opts o = { .preset = "latest" };
	int at[3] = { 3, 4, 0 }, want[3] = { 3, 4, 0 };

	T_EQ(pl_lang_load("t.pin", req, sizeof(req) - 1, &sc, &diags), 0);
	for (int i = 0; i < 3 && sc; i++) {
		struct pl_backend *be = side_new(at[i], EFAULT);
		struct pl_result r;

		T_EQ(pl_exec_run(sc, sc->backings[0].idx, be, &o, &r), 0);
		T_EQ(r.skipped, at[i] != 0);
		T_EQ(cli_require_step(&r), want[i]);
		pl_result_free(&r);
		be->destroy(be);
	}
	pl_scenario_free(sc);
}

int main(void)
{
	T_RUN(test_same_outcome_other_step);
	T_RUN(test_same_step_other_errno);
	T_RUN(test_same_ending_agrees);
	T_RUN(test_require_step);
	return T_DONE();
}
