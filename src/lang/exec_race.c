/*
 * exec_race.c - races (exec.h): a scenario's parallel group of thread
 * blocks run as the explorer's threads, one struct exec per schedule.
 */
#include "lang/exec_internal.h"

/* ---------------------------------------------------------------------------
 * Races: the parallel group's threads as explorer threads (exec.h).
 */
struct pl_exec_race {
	const struct pl_scenario *sc;
	struct pl_backend *be;
	struct pl_exec_opts opts;
	int backing;
	const struct pl_expect *e;
	enum pl_outcome target;		/* what a failing schedule gives; PASS: anything else */
	int first, end;			/* the group: steps [first, end) */
	int nr_threads;
	int thread[PL_EXEC_RACE_MAX_THREADS];	/* indexes into sc->threads */
	/* the current schedule */
	struct exec x;
	struct pl_result res;
	bool live;			/* x and res hold a run */
	enum pl_outcome outcome;	/* of the last check */
	char detail[X_TEXT + 64];
	bool error;
	bool oom;			/* a schedule ran out of memory: no result is trusted */
	char limit[X_TEXT];		/* a schedule stopped at a limit: why ("" = none) */
	/*
	 * pl_exec_race_snapshot(): x and res as setup() left them, for the
	 * schedules the explorer runs on copies of setup()'s world, and when
	 * that was (so that --max-time counts the set-up once per run)
	 */
	struct exec saved_x;
	struct pl_result saved_res;
	bool saved;
	struct timespec saved_at;
};

static void race_error(char *err, size_t len, const struct pl_scenario *sc, struct pl_pos pos,
		       const char *msg)
{
	const char *path = sc->path ? sc->path : "<scenario>";
	FILE *f = len ? fmemopen(err, len, "w") : NULL;

	/* a whole-file error (no thread blocks) points at 1:1, as diag.c does */
	if (pos.line < 1) {
		pos.line = 1;
		pos.col = 1;
	}
	if (!f) {	/* no stream to quote the path with: the message as it is */
		snprintf(err, len, "%s:%d:%d: error: %s", path, pos.line, pos.col, msg);
		return;
	}
	pl_path_put(f, path);	/* quoted like every diagnostic's path (diag.c) */
	fprintf(f, ":%d:%d: error: %s", pos.line, pos.col, msg);
	fclose(f);
}

struct pl_exec_race *pl_exec_race_new(const struct pl_scenario *sc, int backing,
				      struct pl_backend *be, const struct pl_exec_opts *opts,
				      char *err, size_t errlen)
{
	struct pl_exec_race *r;
	struct pl_pos pos = { 0 };

	err[0] = 0;
	if (!be->world || !be->disown) {
		snprintf(err, errlen, "the %s backend cannot explore races", be->name);
		return NULL;
	}
	if (sc->nr_groups < 1) {
		race_error(err, errlen, sc, pos, "nothing to explore: no thread blocks");
		return NULL;
	}
	if (sc->nr_groups > 1) {
		for (int t = 0; t < sc->nr_threads; t++)
			if (sc->threads[t].group > 1) {
				pos = sc->threads[t].pos;
				break;
			}
		race_error(err, errlen, sc, pos,
			   "pinlab explore handles one parallel group; this is a second one");
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	r->sc = sc;
	r->be = be;
	r->opts = *opts;
	r->opts.hooks = NULL;
	r->opts.stop_after = 0;
	r->backing = backing;
	r->e = pl_exec_expect(sc, opts->preset, backing);
	if (r->e)
		r->target = r->e->outcome == PL_OUT_XFAIL ? r->e->xfail_cls : r->e->outcome;
	if (r->target == PL_OUT_SKIP)
		r->target = PL_OUT_PASS;
	r->first = -1;
	for (int i = 0; i < sc->nr_steps; i++) {
		const struct pl_step *s = &sc->steps[i];
		int k;

		if (s->thread < 0)
			continue;
		if (r->first < 0)
			r->first = i;
		r->end = i + 1;
		for (k = 0; k < r->nr_threads && r->thread[k] != s->thread; k++)
			;
		if (k < r->nr_threads)
			continue;
		if (k == PL_EXEC_RACE_MAX_THREADS) {
			race_error(err, errlen, sc, sc->threads[s->thread].pos,
				   "too many threads in the group (at most 4)");
			free(r);
			return NULL;
		}
		r->thread[r->nr_threads++] = s->thread;
	}
	return r;
}

static void race_drop(struct pl_exec_race *r)
{
	if (!r->live)
		return;
	x_free(&r->x);
	pl_result_free(&r->res);
	r->live = false;
}

static void race_unsave(struct pl_exec_race *r)
{
	if (!r->saved)
		return;
	x_free(&r->saved_x);
	pl_result_free(&r->saved_res);
	r->saved = false;
}

void pl_exec_race_free(struct pl_exec_race *r)
{
	if (!r)
		return;
	race_drop(r);
	race_unsave(r);
	/* the explorer freed the last world */
	r->be->disown(r->be);
	free(r);
}

int pl_exec_race_nr_threads(const struct pl_exec_race *r)
{
	return r->nr_threads;
}

const char *pl_exec_race_thread_name(const struct pl_exec_race *r, int t)
{
	return r->sc->threads[r->thread[t]].name;
}

const struct pl_expect *pl_exec_race_expect(const struct pl_exec_race *r)
{
	return r->e;
}

enum pl_outcome pl_exec_race_target(const struct pl_exec_race *r)
{
	return r->target;
}

enum pl_outcome pl_exec_race_outcome(const struct pl_exec_race *r, const char **detail)
{
	if (detail)
		*detail = r->detail;
	return r->outcome;
}

bool pl_exec_race_error(const struct pl_exec_race *r)
{
	return r->error;
}

bool pl_exec_race_oom(const struct pl_exec_race *r)
{
	return r->oom;
}

const char *pl_exec_race_limit(const struct pl_exec_race *r)
{
	return r->limit[0] ? r->limit : NULL;
}

const char *pl_exec_race_broken(void *race)
{
	const struct pl_exec_race *r = race;

	if (r->oom)
		return "out of memory";
	return pl_exec_race_limit(r);
}

struct world *pl_exec_race_setup(void *arg)
{
	struct pl_exec_race *r = arg;
	struct exec *x = &r->x;

	race_drop(r);
	/* the explorer has freed the previous schedule's world */
	r->be->disown(r->be);
	if (r->oom || r->limit[0]) {
		/* an earlier schedule ran out of memory or hit a limit: end the search */
		r->error = true;
		return NULL;
	}
	x_result_init(&r->res, r->sc, r->opts.preset, r->backing);
	if (x_init(x, r->sc, r->backing, r->be, &r->opts, &r->res)) {
		r->error = true;
		r->oom = true;
		return NULL;
	}
	r->live = true;
	if (x_start(x)) {
		r->error = true;
		return NULL;
	}
	x_run_steps(x, 0, r->first);
	if (x->tf_sym >= 0)
		x_transform(x);
	if (x->oom || x->limit[0]) {
		r->oom = x->oom;
		snprintf(r->limit, sizeof(r->limit), "%s", x->limit);
		r->error = true;
		/* the explorer never sees this world: it is the backend's to free */
		if (r->be->end)
			r->be->end(r->be);
		return NULL;
	}
	x->racing = true;
	r->outcome = PL_OUT_PASS;
	r->detail[0] = 0;
	return r->be->world(r->be);
}

void pl_exec_race_thread(struct pl_exec_race *r, int t)
{
	struct exec *x = &r->x;

	for (int i = r->first; i < r->end && !x->skip[0] && !x->stopped; i++)
		if (r->sc->steps[i].thread == r->thread[t])
			x_step(x, i);
}

bool pl_exec_race_check(struct world *w, void *arg, char *why, size_t len)
{
	struct pl_exec_race *r = arg;
	struct exec *x = &r->x;
	enum pl_outcome out;

	(void)w;
	x->racing = false;
	x_collect(x);
	x_run_steps(x, r->end, r->sc->nr_steps);
	if (x->tf_sym >= 0)
		x_transform(x);
	if (x->oom || x->limit[0]) {
		/* no verdict: the next setup() ends the search, the CLI says why */
		r->oom = x->oom;
		snprintf(r->limit, sizeof(r->limit), "%s", x->limit);
		snprintf(why, len, "%s", x->oom ? "out of memory" : x->limit);
		return true;
	}
	if (x->skip[0]) {
		/* a `require` did not hold under this schedule: no verdict, no failure */
		r->outcome = PL_OUT_PASS;
		snprintf(r->detail, sizeof(r->detail), "skip: %s", x->skip);
		snprintf(why, len, "%s", r->detail);
		return true;
	}
	out = x_classify(x, r->e);
	r->outcome = out;
	if (out == PL_OUT_PASS)
		snprintf(r->detail, sizeof(r->detail), "pass");
	else
		snprintf(r->detail, sizeof(r->detail), "%s: %s", pl_outcome_name(out),
			 r->res.detail);
	snprintf(why, len, "%s", r->detail);
	if (r->target == PL_OUT_PASS)
		return out == PL_OUT_PASS;
	return out != r->target;
}

/*
 * A copy of the executor's state *s for a run whose result is *res: its
 * own symbol values, backing files and violation keys; no folio snapshots
 * (--trace only, which a race does not take).  -ENOMEM, d freeable.
 */
static int race_copy_exec(struct exec *d, const struct exec *s, struct pl_result *res)
{
	size_t nsym = (size_t)s->sc->nr_syms + 1;

	*d = *s;
	d->res = res;
	d->sym = NULL;
	d->bk_file = NULL;
	d->bk_pages = NULL;
	d->vkeys = NULL;
	d->fb = d->fa = NULL;
	d->changes = NULL;
	d->cap_fb = d->cap_fa = d->cap_changes = 0;
	d->sym = malloc(nsym * sizeof(*d->sym));
	d->bk_file = malloc(((size_t)s->nr_bk ? (size_t)s->nr_bk : 1) * sizeof(*d->bk_file));
	d->bk_pages = malloc(((size_t)s->nr_bk ? (size_t)s->nr_bk : 1) * sizeof(*d->bk_pages));
	if (s->cap_vkeys)
		d->vkeys = malloc((size_t)s->cap_vkeys * sizeof(*d->vkeys));
	if (!d->sym || !d->bk_file || !d->bk_pages || (s->cap_vkeys && !d->vkeys)) {
		x_free(d);
		memset(d, 0, sizeof(*d));
		return -ENOMEM;
	}
	memcpy(d->sym, s->sym, nsym * sizeof(*d->sym));
	memcpy(d->bk_file, s->bk_file, (size_t)s->nr_bk * sizeof(*d->bk_file));
	memcpy(d->bk_pages, s->bk_pages, (size_t)s->nr_bk * sizeof(*d->bk_pages));
	if (s->nr_vkeys)
		memcpy(d->vkeys, s->vkeys, (size_t)s->nr_vkeys * sizeof(*d->vkeys));
	return 0;
}

/* A copy of a result (its violation list too).  -ENOMEM, d empty. */
static int race_copy_result(struct pl_result *d, const struct pl_result *s)
{
	*d = *s;
	d->violations = NULL;
	if (!s->violations)
		return 0;
	d->violations = malloc(PL_RESULT_MAX_VIOLATIONS * sizeof(*d->violations));
	if (!d->violations) {
		d->nr_violations = 0;
		return -ENOMEM;
	}
	memcpy(d->violations, s->violations, PL_RESULT_MAX_VIOLATIONS * sizeof(*d->violations));
	return 0;
}

bool pl_exec_race_snapshot(void *arg)
{
	struct pl_exec_race *r = arg;

	race_unsave(r);
	if (!r->live || !r->be->save || !r->be->restore) {
		r->error = true;
		return false;
	}
	if (race_copy_exec(&r->saved_x, &r->x, &r->res)) {
		r->error = r->oom = true;
		return false;
	}
	if (race_copy_result(&r->saved_res, &r->res) || r->be->save(r->be)) {
		x_free(&r->saved_x);
		pl_result_free(&r->saved_res);
		r->error = r->oom = true;
		return false;
	}
	clock_gettime(PL_EXEC_CLOCK, &r->saved_at);
	r->saved = true;
	return true;
}

bool pl_exec_race_restore(void *arg, struct world *w)
{
	struct pl_exec_race *r = arg;
	struct timespec now;
	long long ns;

	race_drop(r);
	if (r->oom || r->limit[0] || !r->saved) {
		/* as setup(): an earlier schedule ran out of memory or hit a limit */
		r->error = true;
		return false;
	}
	if (race_copy_exec(&r->x, &r->saved_x, &r->res)) {
		r->error = r->oom = true;
		return false;
	}
	if (race_copy_result(&r->res, &r->saved_res) || r->be->restore(r->be, w)) {
		x_free(&r->x);
		pl_result_free(&r->res);
		r->error = r->oom = true;
		return false;
	}
	r->live = true;
	/* --max-time: this run began its set-up as long ago as the saved one had */
	clock_gettime(PL_EXEC_CLOCK, &now);
	ns = ((long long)r->saved_at.tv_sec - r->saved_x.t0.tv_sec) * 1000000000LL +
	     (r->saved_at.tv_nsec - r->saved_x.t0.tv_nsec);
	ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec - ns;
	r->x.t0.tv_sec = (time_t)(ns / 1000000000LL);
	r->x.t0.tv_nsec = (long)(ns % 1000000000LL);
	r->x.racing = true;
	r->outcome = PL_OUT_PASS;
	r->detail[0] = 0;
	return true;
}
