/*
 * exec.c - the executor.  See exec.h for the interface and the outcome
 * rules; docs/scenario-language.md ("Matrix semantics") for what each
 * backing means.
 *
 * One run is a walk over sc->steps[] in order:
 *
 *	set-up        mTHP size, swap device, hugetlb pool      (before step 1)
 *	for each step
 *	    transform   if a matrix mapping's set-up phase just ended
 *	    resolve     symbols -> pids, addresses, file ids, handles
 *	    do          one or more backend operations
 *	    classify    check failed? step failed? `fails` kept?
 *	    check       the backend's invariant checker (checked mode)
 *
 * Runtime values live in x->sym[], parallel to sc->syms: a pid per
 * process, an address and a size per mapping, an id per file and per
 * handle.  A symbol whose creating step failed has no value; steps using it
 * are not run (they report "not run" and do not decide the outcome).
 *
 * The parts live in exec_*.c (listed in exec_internal.h); the backings'
 * set-up, and what "matrix mapping" means, in exec_backing.c.
 */
#include "lang/exec_internal.h"

const struct pl_exec_hooks x_no_hooks;

const char *pl_errno_name(int err, char *buf, size_t size)
{
	const char *n = pl_word_name(pl_errno_words, err);

	if (strcmp(n, "?"))
		return n;
	snprintf(buf, size, "errno %d", err);
	return buf;
}

/* ---------------------------------------------------------------------------
 * The run.
 */

/* What the run's mappings need from the world, read off the mmap steps. */
struct x_needs {
	bool swapon, pool;		/* the scenario sets these up itself */
	bool swap;			/* a swapped row */
	uint32_t maps[2];		/* hugetlb mappings: 2 MiB, 1 GiB */
	uint16_t mthp;			/* mTHP orders to enable */
};

static void x_scan(struct exec *x, struct x_needs *need)
{
	memset(need, 0, sizeof(*need));
	for (int i = 0; i < x->sc->nr_steps; i++) {
		const struct pl_step *s = &x->sc->steps[i];
		const struct pl_backing *b;
		int bk;

		need->swapon |= s->op == PL_OP_SWAPON;
		need->pool |= s->op == PL_OP_HUGETLB_POOL;
		if (s->op != PL_OP_MMAP || s->arg == PL_BACKING_FILE)
			continue;
		bk = s->arg == PL_BACKING_MATRIX ? x->backing : s->arg;
		b = x_bk(bk);
		if ((uint32_t)s->n > x->bk_pages[bk])
			x->bk_pages[bk] = (uint32_t)s->n;
		need->swap |= b->kind == PL_BK_SWAPPED || b->kind == PL_BK_THP_SWAPPED ||
			      b->kind == PL_BK_THP_PTE_SWAPPED ||
			      b->kind == PL_BK_THP_SINGLE_PTE_SWAPPED;
		if (b->kind == PL_BK_HUGETLB || b->kind == PL_BK_MEMFD_HUGETLB)
			need->maps[b->kb == 1048576]++;
		if (b->kind < PL_BK_THP || b->kind > PL_BK_THP_PARTIAL_SHARED || b->kb >= 2048)
			continue;
		for (int order = 2; order < HPAGE_PMD_ORDER; order++)
			if ((4u << order) == b->kb)
				need->mthp |= (uint16_t)(1u << order);
	}
}

/*
 * The hugetlb pool the matrix set-up asks for: two pages per mapping (one to
 * COW or unshare into) plus spares; one spare of 1 GiB, as few machines can
 * find four 1 GiB-aligned free ranges at run time.  @g: 1 for 1 GiB pages.
 */
static uint64_t x_pool_pages(int g, int maps)
{
	return 2 * (uint64_t)maps + (g ? 1 : 4);
}

uint64_t pl_exec_pool_bytes(const struct pl_scenario *sc, int backing, int *line, int *col)
{
	int maps[2] = { 0, 0 };
	uint64_t bytes = 0;

	*line = *col = 0;
	for (int i = 0; i < sc->nr_steps; i++) {
		const struct pl_step *s = &sc->steps[i];
		const struct pl_backing *b;

		if (s->op == PL_OP_HUGETLB_POOL)
			return 0;	/* the scenario sizes the pool itself */
		if (s->op != PL_OP_MMAP || s->arg == PL_BACKING_FILE)
			continue;
		b = x_bk(s->arg == PL_BACKING_MATRIX ? backing : s->arg);
		if (b->kind != PL_BK_HUGETLB && b->kind != PL_BK_MEMFD_HUGETLB)
			continue;
		if (!*line) {
			*line = s->pos.line;
			*col = s->pos.col;
		}
		maps[b->kb == 1048576]++;
	}
	for (int g = 0; g < 2; g++)
		if (maps[g])
			bytes += x_pool_pages(g, maps[g]) << (g ? 30 : 21);
	return bytes;
}

/* Matrix set-up before step 1: mTHP size, swap device, hugetlb pools. */
static void x_setup_world(struct exec *x)
{
	struct x_needs need;
	struct pl_bstep b;

	x_scan(x, &need);
	for (int order = 2; order < HPAGE_PMD_ORDER; order++) {
		if (!(need.mthp & (1u << order)))
			continue;
		b = x_bstep(x, PL_BOP_MTHP, 0);
		b.arg = order;
		x_setup(x, &b, NULL, "hugepages-%ukB/enabled = always", 4u << order);
	}
	if (need.swap && !need.swapon) {
		b = x_bstep(x, PL_OP_SWAPON, 0);
		b.n = 4096;
		x_setup(x, &b, NULL, "swapon 4096 slots");
	}
	for (int g = 0; g < 2 && !need.pool; g++) {
		if (!need.maps[g])
			continue;
		b = x_bstep(x, PL_BOP_POOL, 0);
		b.arg = g ? HPAGE_PUD_ORDER : HPAGE_PMD_ORDER;
		b.n = x_pool_pages(g, need.maps[g]);
		x_setup(x, &b, NULL, "hugepages-%skB/nr_hugepages = %llu",
			g ? "1048576" : "2048", (unsigned long long)b.n);
	}
	x_collect(x);
}

static bool x_needs_1g(const struct exec *x)
{
	for (int i = 0; i < x->sc->nr_steps; i++) {
		const struct pl_step *s = &x->sc->steps[i];
		int bk;

		if (s->op != PL_OP_MMAP || s->arg == PL_BACKING_FILE)
			continue;
		bk = s->arg == PL_BACKING_MATRIX ? x->backing : s->arg;
		if (x_bk(bk)->kb == 1048576 && (x_bk(bk)->kind == PL_BK_HUGETLB ||
						x_bk(bk)->kind == PL_BK_MEMFD_HUGETLB))
			return true;
	}
	return false;
}

const struct pl_expect *pl_exec_expect(const struct pl_scenario *sc, const char *preset,
				       int backing)
{
	for (int j = 0; j < sc->nr_backings; j++)
		if (sc->backings[j].idx == backing)
			return pl_expect_match(sc, preset, j);
	/* off the matrix: only lines without a `with` list apply */
	for (int i = sc->nr_expects - 1; i >= 0; i--) {
		const struct pl_expect *e = &sc->expects[i];

		if (e->nr_with || !pl_expect_applies(sc, e, preset))
			continue;
		return e;
	}
	return NULL;
}

void x_result_init(struct pl_result *r, const struct pl_scenario *sc, const char *preset,
		   int backing)
{
	const struct pl_backing *b = pl_backing_info(backing);

	memset(r, 0, sizeof(*r));
	r->scenario = sc->name;
	r->file = sc->path;
	r->id = sc->path;
	r->preset = preset;
	r->backing = b->name;
	r->display = b->display;
	if (sc->backing_pos.line)
		snprintf(r->kselftest, sizeof(r->kselftest), "%s ... with %s", sc->name,
			 b->display);
	else
		snprintf(r->kselftest, sizeof(r->kselftest), "%s", sc->name);
	r->nr_steps = sc->nr_steps;
	r->outcome = r->failure = r->expected = pl_outcome_name(PL_OUT_PASS);
	r->match = true;
}

static void x_skip(struct pl_result *r, const char *reason)
{
	r->outcome = r->failure = pl_outcome_name(PL_OUT_SKIP);
	r->skipped = true;
	r->match = true;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->detail, sizeof(r->detail), "%s", reason);
}

/* The first rule of exec.h that applies; returns the outcome before xfail. */
enum pl_outcome x_classify(struct exec *x, const struct pl_expect *e)
{
	struct pl_result *r = x->res;
	enum pl_outcome out = PL_OUT_PASS, want = e ? e->outcome : PL_OUT_PASS;

	if (x->check_step) {
		out = x->check_cls;
		r->fail_step = x->check_step;
		snprintf(r->detail, sizeof(r->detail), "%s", x->check_detail);
	} else if (x->fail_step) {
		out = x->fail_cls;
		r->fail_step = x->fail_step;
		snprintf(r->detail, sizeof(r->detail), "%s", x->fail_detail);
	} else if (r->nr_violations_total) {
		out = PL_OUT_INVARIANT;
		r->fail_step = r->violations[0].step ? r->violations[0].step : -1;
		snprintf(r->detail, sizeof(r->detail), "%s at step %d: %s",
			 r->violations[0].invariant, r->violations[0].step,
			 r->violations[0].detail);
	}
	if (r->fail_step < 0)
		r->fail_step = 0;
	r->failure = r->outcome = pl_outcome_name(out);
	r->expected = pl_outcome_name(want);
	if (e && e->because)
		snprintf(r->reason, sizeof(r->reason), "%s", e->because);
	if (want == PL_OUT_XFAIL) {
		r->match = true;
		if (out != PL_OUT_PASS)
			r->outcome = pl_outcome_name(PL_OUT_XFAIL);
		if (!r->reason[0])
			snprintf(r->reason, sizeof(r->reason), "%s", r->failure);
	} else {
		r->match = out == want;
	}
	return out;
}

void x_free(struct exec *x)
{
	free(x->sym);
	free(x->bk_file);
	free(x->bk_pages);
	free(x->vkeys);
	free(x->fb);
	free(x->fa);
	free(x->changes);
}

/* A zeroed exec for one run; -ENOMEM. */
int x_init(struct exec *x, const struct pl_scenario *sc, int backing,
	   struct pl_backend *be, const struct pl_exec_opts *opts, struct pl_result *res)
{
	memset(x, 0, sizeof(*x));
	x->sc = sc;
	x->be = be;
	x->o = opts;
	x->h = opts->hooks ? opts->hooks : &x_no_hooks;
	x->backing = backing;
	x->res = res;
	x->tf_sym = -1;
	clock_gettime(PL_EXEC_CLOCK, &x->t0);
	pl_backings(&x->nr_bk);
	x->sym = calloc((size_t)sc->nr_syms + 1, sizeof(*x->sym));
	x->bk_file = calloc((size_t)x->nr_bk, sizeof(*x->bk_file));
	x->bk_pages = calloc((size_t)x->nr_bk, sizeof(*x->bk_pages));
	if (!x->sym || !x->bk_file || !x->bk_pages) {
		x_free(x);
		return -ENOMEM;
	}
	return 0;
}

/* A fresh world under the run's preset, the matrix set-up done; -EINVAL. */
int x_start(struct exec *x)
{
	struct pl_backend *be = x->be;
	char err[200];

	if (be->begin && be->begin(be, x->o->preset, x->o->sets, x->o->nr_sets, err,
				   sizeof(err)) < 0) {
		snprintf(x->res->detail, sizeof(x->res->detail), "%s", err);
		return -EINVAL;
	}
	/*
	 * Events go only to a hook that wants them (--trace, explain): with
	 * none, the world formats no event and GUP may take a huge leaf's
	 * pages in one grab (gup_batch_ok()).
	 */
	if (be->on_event && x->h->event)
		be->on_event(be, x_event, x);
	if (be->world && be->world(be)) {
		be->world(be)->max_pages = x_max(x->o->max_pages, PL_EXEC_MAX_PAGES_DEFAULT);
		be->world(be)->check_full = x->o->check_full;
	}
	x_setup_world(x);
	return 0;
}

int pl_exec_run(const struct pl_scenario *sc, int backing, struct pl_backend *be,
		const struct pl_exec_opts *opts, struct pl_result *res)
{
	const struct pl_expect *e = pl_exec_expect(sc, opts->preset, backing);
	struct exec x;
	int ret = 0, last;

	if (be->end)
		be->end(be);	/* the previous run's world, kept for `show`, goes now */
	x_result_init(res, sc, opts->preset, backing);
	if (e)
		res->expected = pl_outcome_name(e->outcome);
	if (e && e->outcome == PL_OUT_SKIP) {
		x_skip(res, e->because ? e->because : "expect skip");
		return 0;
	}
	if (x_init(&x, sc, backing, be, opts, res))
		return -ENOMEM;
	if (x_needs_1g(&x) && !(be->has && be->has(be, "hugetlb-1g"))) {
		x_skip(res, "1 GiB hugetlb not modelled");
		x_free(&x);
		return 0;
	}
	if (x_start(&x)) {
		x_free(&x);
		return -EINVAL;
	}
	last = opts->stop_after > 0 && opts->stop_after < sc->nr_steps ? opts->stop_after
								       : sc->nr_steps;
	x_run_steps(&x, 0, last);
	if (x.tf_sym >= 0)
		x_transform(&x);
	if (be->on_event)
		be->on_event(be, NULL, NULL);
	if (x.oom) {
		ret = -ENOMEM;
	} else if (x.limit[0]) {
		snprintf(res->detail, sizeof(res->detail), "%s", x.limit);
		ret = -ERANGE;
	} else if (x.skip[0]) {
		x_skip(res, x.skip);
	} else {
		x_classify(&x, e);
	}
	x_free(&x);
	return ret;
}

void pl_result_free(struct pl_result *r)
{
	free(r->violations);
	r->violations = NULL;
	r->nr_violations = 0;
}
