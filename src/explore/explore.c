/*
 * The race explorer's engine: coroutines, scheduling points, the bounded
 * depth-first search, sleep sets, sharding, minimisation and replay.
 *
 * Coroutines.  Each model thread runs on its own malloc'd stack
 * (makecontext/swapcontext).  The core calls hooks.sync / hooks.yield
 * *before* each racing access; the hook records the access as the thread's
 * pending op and asks decide() who runs next.  If that is the same thread
 * the hook simply returns (no context switch), so the common case costs a
 * function call; otherwise it switches straight to the chosen thread's
 * context.  The engine's own context ("main") only starts the first thread
 * and gets control back when every thread has finished, when all are
 * blocked (deadlock) or when the schedule is too long (livelock guard).
 *
 * Steps.  A step is one resumption of a thread: its pending op and the code
 * after it, up to the next scheduling point.  Unlocks report after the
 * release (sync.c), so a step that ends at a PL_SYNC_UNLOCK includes that
 * release; step_access() accounts for it.
 *
 * The search tree.  Every scheduling decision is a node on a stack
 * (struct xnode): which threads were runnable, which ran before, which
 * choices have been explored, which are asleep.  A schedule is run by
 * re-creating the world with spec->setup() -- or, with spec->snapshot and
 * spec->restore, copying the world setup() made once per search into the
 * previous schedule's (coro.c run_once()) -- and following the stack's
 * choices; past its end, the default policy (keep running the thread that
 * ran last) extends it.  backtrack() then flips the deepest node that still
 * has an allowed, unexplored choice.  Bounds are searched in turn; in
 * iteration k, schedules with fewer than k preemptions are run again (to
 * reach their siblings) but not checked again.
 *
 * Sleep sets (opts.por).  When, at a node, the thread that ran last (c)
 * has been explored and the search now preempts it for u, c is put to
 * sleep in u's subtree, together with the accesses of the step it would
 * take; it wakes when a step conflicts with that step, or when a thread's
 * next pending op does (that keeps every thread's "could it go on"
 * unchanged, so preemption counts do not change either).  A schedule
 * p.u.w.c.v pruned this way is equivalent to p.c.u.w.v, explored first,
 * and the latter has no more preemptions: putting only c to sleep (not
 * every explored sibling) is what keeps the reduction sound under the
 * bound.  When every runnable thread is asleep the schedule is redundant:
 * it is run to its end (threads cannot be abandoned mid-operation without
 * leaking their locals) but neither checked nor expanded.
 *
 * Sharding.  A schedule's key is where it first leaves the default path:
 * the positions (branching node index, rank of the choice) of its first
 * shard_depth non-default choices at branching nodes (nodes with two or more
 * allowed choices); shard k of n owns the schedules whose key hashes to k.
 * Every process explores the same tree up to that point (the default path
 * and one run per key), so the shards partition the schedules exactly.
 * Keying on the first few choices instead, as this did first, dealt the
 * subtree under the default prefix -- most of a bounded search, since a
 * preemption bound leaves most choices default -- to one shard: 68 % of the
 * schedules of 6-ksm-exclusive at bound 3 went to one of 8 shards.
 *
 * The engine's parts share struct xeng through explore_internal.h, which
 * lists the files: this one holds the search, the worker processes, the
 * replay and the minimiser.
 */
#include "explore/explore_internal.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>

const char *pl_verdict_name(enum pl_verdict v)
{
	static const char *const names[] = {
		"pass", "fail", "violation", "deadlock", "livelock", "infeasible", "error",
	};

	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

struct pl_explore_opts pl_explore_opts_default(void)
{
	struct pl_explore_opts o;

	memset(&o, 0, sizeof(o));
	o.bound = 2;
	o.max_states = PL_EXPLORE_MAX_STATES_DEFAULT;
	return o;
}
/* ---------------------------------------------------------------------------
 * Replay of a schedule on an engine (used by the minimiser and the API).
 */
static enum pl_verdict eng_replay(struct xeng *x, const struct pl_sched *s, bool world_check,
				  char *why, size_t len, bool keep_world)
{
	enum pl_verdict v;
	uint64_t hash;

	x->mode = XM_SCHED;
	x->sched = s;
	x->bound = -1;
	x->por = false;
	x->shard_n = 0;
	x->nr_nodes = 0;
	x->nondet = false;
	if (!run_once(x)) {
		snprintf(why, len, "setup() failed");
		return PL_VERDICT_ERROR;
	}
	if (x->rp && x->rp->on_step) {
		struct pl_step_info st = { .index = x->steps + 1, .thread = -1, .op = PL_STEP_END };

		x->rp->on_step(x->w, &st, x->rp->cb_arg);
	}
	v = evaluate(x, world_check, why, len, &hash);
	if (x->infeasible) {
		v = PL_VERDICT_INFEASIBLE;
		snprintf(why, len, "the schedule names a thread that cannot run at that step");
	}
	if (!keep_world)
		world_drop(x);
	return v;
}

static struct pl_sched *sched_without(const struct pl_sched *s, int skip)
{
	struct pl_sched *c = pl_sched_new();

	if (!c)
		return NULL;
	for (int i = 0; i < s->nr_runs; i++)
		if (i != skip && pl_sched_add(c, s->runs[i].thread, s->runs[i].steps)) {
			pl_sched_free(c);
			return NULL;
		}
	return c;
}

/*
 * Try cand; if it fails the same way and is smaller than *best, it (in its
 * normal form) becomes *best.  true if it did.  A schedule that could not
 * be allocated sets *oom: the minimised result would depend on where memory
 * ran out, so the search ends as out of memory instead.
 */
static bool minimise_try(struct xeng *x, struct pl_sched *cand, struct pl_sched **best,
			 enum pl_verdict want, bool world_check, char *why, size_t len,
			 uint64_t *replays, bool *oom)
{
	char w2[256];
	enum pl_verdict v;
	struct pl_sched *norm;
	bool better = false;

	if (!cand) {
		*oom = true;
		return false;
	}
	(*replays)++;
	v = eng_replay(x, cand, world_check, w2, sizeof(w2), false);
	if (v == want) {
		norm = sched_from_run(x);
		if (!norm)
			*oom = true;
		if (norm && sched_cmp(norm, *best) < 0) {
			pl_sched_free(*best);
			*best = norm;
			snprintf(why, len, "%s", w2);
			better = true;
		} else {
			pl_sched_free(norm);
		}
	}
	pl_sched_free(cand);
	return better;
}

/*
 * Greedy minimisation of res->fail: drop a run, or end a run earlier (the
 * switch comes sooner), while the schedule still fails the same way and
 * gets smaller (sched_cmp).  Each try is one replay.
 */
static int minimise(struct xeng *x, struct pl_explore_result *res, uint32_t budget,
		    bool world_check)
{
	struct pl_sched *best = res->fail;
	bool improved = true, oom = false;

	if (!best)
		return 0;
	while (improved && !oom && res->minimise_replays < budget) {
		improved = false;
		for (int i = 0; i < best->nr_runs && !improved && !oom; i++) {
			improved = minimise_try(x, sched_without(best, i), &best, res->verdict,
						world_check, res->why, sizeof(res->why),
						&res->minimise_replays, &oom);
			for (uint32_t c = 1; !improved && !oom && c < best->runs[i].steps &&
					     res->minimise_replays < budget; c++) {
				struct pl_sched *cand = pl_sched_dup(best);

				if (cand)
					cand->runs[i].steps = c;
				improved = minimise_try(x, cand, &best, res->verdict, world_check,
							res->why, sizeof(res->why),
							&res->minimise_replays, &oom);
			}
		}
	}
	res->fail = best;
	return oom ? -ENOMEM : 0;
}

/* ---------------------------------------------------------------------------
 * The search.
 */
static bool backtrack(struct xeng *x)
{
	while (x->nr_nodes > 0) {
		struct xnode *n = &x->nodes[x->nr_nodes - 1];

		if (!(n->flags & XN_FROZEN)) {
			uint8_t left = n->allowed & (uint8_t)~n->done;

			if (left) {
				n->chosen = (uint8_t)lowest(left);
				return true;
			}
		}
		x->nr_nodes--;
	}
	return false;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The first departure alone is too coarse: the choice of which thread starts
 * is one, and its subtree held 77 % of 6-ksm-exclusive's schedules at bound 3
 * (8 shards).  The first two give ~800 keys there: the largest of 8 shards
 * took 18 % of the schedules, for ~790 foreign runs per shard (3 % of the
 * search).  Three balance to 1 % but cost ~9,000 foreign runs per shard, so
 * they are kept for more than 256 shards.
 */
static int auto_shard_depth(int n)
{
	return n <= 256 ? 2 : 3;
}

static int search(const struct pl_explore_spec *spec, const struct pl_explore_opts *o,
		  struct pl_explore_result *res)
{
	struct xeng x;
	int K = o->bound, k;
	int k0 = (o->no_iterate || K < 0) ? K : 0;
	bool world_check = !o->no_world_check, stop = false;
	char why[256];
	int err = eng_init(&x, spec, o->stack_size);

	if (err) {
		eng_fini(&x);
		return err;
	}
	x.mode = XM_SEARCH;
	x.use_base = spec->snapshot && spec->restore && !o->fresh_worlds;
	x.por = o->por;
	x.max_steps = o->max_steps ? o->max_steps : X_MAX_STEPS_DEFAULT;
	if (o->shard_n > 1) {
		x.shard_n = o->shard_n;
		x.shard_k = o->shard_k;
		x.shard_depth = o->shard_depth > 0 ? o->shard_depth : auto_shard_depth(o->shard_n);
	}
	for (k = k0;; k++) {
		bool iter_complete = true;

		x.bound = k;
		x.nr_nodes = 0;
		x.bound_cut = false;
		do {
			enum pl_verdict v;
			uint64_t hash;

			if ((o->max_schedules && res->runs >= o->max_schedules) ||
			    (o->max_states && res->distinct_states >= o->max_states) ||
			    (o->stop && o->stop())) {
				iter_complete = false;
				break;
			}
			if (!run_once(&x)) {
				const char *b = spec->broken ? spec->broken(spec->arg) : NULL;

				res->error = true;
				snprintf(res->why, sizeof(res->why), "%s", b ? b : "setup() failed");
				stop = true;
				break;
			}
			res->runs++;
			res->steps += x.steps;
			if (x.nondet) {
				res->error = true;
				snprintf(res->why, sizeof(res->why),
					 "setup() or a thread is not deterministic: a replayed "
					 "schedule took another path");
				world_drop(&x);
				stop = true;
				break;
			}
			if (x.redundant) {
				res->redundant++;
			} else if (x.foreign) {
				res->foreign++;
			} else if (k > k0 && (int)x.preempt < k) {
				res->revisited++;
			} else if (x.livelock) {
				res->livelocks++;
			} else {
				v = evaluate(&x, world_check, why, sizeof(why), &hash);
				res->schedules++;
				if (states_insert(res, hash) < 0) {
					world_drop(&x);
					eng_fini(&x);
					return -ENOMEM;
				}
				if (v == PL_VERDICT_DEADLOCK)
					res->deadlocks++;
				if (spec->broken && spec->broken(spec->arg)) {
					/* no verdict: the schedule did not run as written */
					res->error = true;
					snprintf(res->why, sizeof(res->why), "%s",
						 spec->broken(spec->arg));
					stop = true;
				} else if (pl_verdict_failed(v)) {
					struct pl_sched *fs = sched_from_run(&x);

					if (!fs) {
						/* a failure without its schedule is no result */
						world_drop(&x);
						eng_fini(&x);
						return -ENOMEM;
					}
					res->failures++;
					record_failure(res, fs, v, why);
					if (!o->all)
						stop = true;
				}
			}
			world_drop(&x);
		} while (!stop && backtrack(&x));
		res->bound = k;
		if (stop || !iter_complete)
			break;
		if (!x.bound_cut && x.shard_n <= 1) {
			/*
			 * Nothing was cut by the bound: the whole tree was searched.
			 * (A shard sees only its part of the tree, and a bigger bound
			 * re-deals the parts, so shards always go on to K.)
			 */
			res->complete = true;
			res->exhaustive = true;
			break;
		}
		if (K < 0 || k >= K) {
			res->complete = true;
			res->exhaustive = K < 0 && !x.bound_cut;
			break;
		}
	}
	if (res->fail && !o->no_minimise && !res->error && !(o->stop && o->stop()) &&
	    minimise(&x, res, o->minimise_budget ? o->minimise_budget : X_MINIMISE_DEFAULT,
		     world_check)) {
		eng_fini(&x);
		return -ENOMEM;
	}
	eng_fini(&x);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Worker processes (jobs): each takes one shard, results merged here.
 *
 * Signals: a SIGINT or SIGTERM sent to this process alone (not to the whole
 * process group, as a terminal's ^C is) must stop the workers too.  The
 * parent polls o->stop while it collects their results and, once it is true,
 * sends SIGTERM to every worker still running; a worker inherited the
 * caller's handler, so its own o->stop turns true, its search stops between
 * schedules and it writes what it has (incomplete), which is merged as
 * usual.  A worker whose parent dies first gets SIGKILL (PR_SET_PDEATHSIG):
 * nobody would read its result.
 */
struct job_out {
	char *buf;
	size_t len, cap;
};

static int job_slurp(int fd, struct job_out *o)
{
	if (o->cap - o->len < 4096) {
		size_t cap = o->cap ? o->cap * 2 : 65536;
		char *b = realloc(o->buf, cap);

		if (!b)
			return -ENOMEM;
		o->buf = b;
		o->cap = cap;
	}
	for (;;) {
		ssize_t n = read(fd, o->buf + o->len, o->cap - o->len);

		if (n > 0)
			o->len += (size_t)n;
		if (n >= 0)
			return n > 0;	/* 0: end of file */
		if (errno != EINTR)
			return -EIO;
	}
}

static int search_jobs(const struct pl_explore_spec *spec, const struct pl_explore_opts *o,
		       struct pl_explore_result *res)
{
	int J = o->jobs, N = o->shard_n > 1 ? o->shard_n : 1, K = o->shard_n > 1 ? o->shard_k : 0;
	pid_t parent = getpid();
	pid_t pids[256];
	int fds[256];
	struct job_out outs[256];
	bool forwarded = false;
	int err = 0, open_fds = 0;

	if (J > 256)
		J = 256;
	memset(outs, 0, sizeof(outs));
	fflush(NULL);
	for (int j = 0; j < J; j++) {
		int p[2];

		pids[j] = -1;
		fds[j] = -1;
		if (pipe(p)) {
			err = -EIO;
			break;
		}
		pids[j] = fork();
		if (pids[j] < 0) {
			close(p[0]);
			close(p[1]);
			err = -EIO;
			break;
		}
		if (pids[j] == 0) {
			struct pl_explore_opts co = *o;
			struct pl_explore_result cr;
			FILE *f;
			int st;

			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
				_exit(1);
			close(p[0]);
			for (int i = 0; i < j; i++)
				if (fds[i] >= 0)
					close(fds[i]);
			co.jobs = 0;
			co.shard_n = N * J;
			co.shard_k = K + N * j;
			if (!co.shard_depth)
				co.shard_depth = auto_shard_depth(co.shard_n);
			st = pl_explore(spec, &co, &cr);
			f = fdopen(p[1], "w");
			if (st || !f || pl_explore_result_write(f, &cr) || fflush(f))
				_exit(1);
			fclose(f);
			_exit(0);
		}
		close(p[1]);
		fds[j] = p[0];
		open_fds++;
	}
	/* collect every worker's output as it comes, so that none blocks on a full pipe */
	while (open_fds > 0) {
		struct pollfd pfd[256];
		int idx[256], n = 0, r;

		if (!forwarded && o->stop && o->stop()) {
			forwarded = true;
			for (int j = 0; j < J; j++)
				if (pids[j] > 0 && fds[j] >= 0)
					kill(pids[j], SIGTERM);
		}
		for (int j = 0; j < J; j++) {
			if (fds[j] < 0)
				continue;
			pfd[n].fd = fds[j];
			pfd[n].events = POLLIN;
			idx[n++] = j;
		}
		r = poll(pfd, (nfds_t)n, forwarded || !o->stop ? -1 : 100);
		if (r < 0 && errno != EINTR) {
			err = -EIO;
			break;
		}
		for (int i = 0; r > 0 && i < n; i++) {
			int j = idx[i], got;

			if (!pfd[i].revents)
				continue;
			got = job_slurp(fds[j], &outs[j]);
			if (got <= 0) {
				if (got < 0)
					err = got;
				close(fds[j]);
				fds[j] = -1;
				open_fds--;
			}
		}
	}
	for (int j = 0; j < J; j++) {
		struct pl_explore_result cr;
		char e[128];
		FILE *f = NULL;
		int status = 0;

		if (fds[j] >= 0)
			close(fds[j]);
		if (pids[j] <= 0)
			continue;
		if (!err && outs[j].len)
			f = fmemopen(outs[j].buf, outs[j].len, "r");
		if (!err && (!f || pl_explore_result_read(f, &cr, e, sizeof(e)))) {
			err = -EIO;
		} else if (!err) {
			if (pl_explore_merge(res, &cr))
				err = -ENOMEM;
			pl_explore_result_free(&cr);
		}
		if (f)
			fclose(f);
		free(outs[j].buf);
		while (waitpid(pids[j], &status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			err = -EIO;
	}
	return err;
}

int pl_explore(const struct pl_explore_spec *spec, const struct pl_explore_opts *opts,
	       struct pl_explore_result *res)
{
	struct pl_explore_opts o = opts ? *opts : pl_explore_opts_default();
	double t0 = now_seconds();
	int err;

	memset(res, 0, sizeof(*res));
	if (!spec_ok(spec) || (o.shard_n > 1 && (o.shard_k < 0 || o.shard_k >= o.shard_n)))
		return -EINVAL;
	if (o.jobs > 1) {
		pl_explore_result_init(res);
		err = search_jobs(spec, &o, res);
	} else {
		err = search(spec, &o, res);
	}
	res->seconds = now_seconds() - t0;
	return err;
}
/* ---------------------------------------------------------------------------
 * Replay.
 */
enum pl_verdict pl_explore_replay(const struct pl_explore_spec *spec, const struct pl_sched *s,
				  struct pl_replay *r)
{
	struct pl_replay dummy;
	struct xeng x;
	enum pl_verdict v;
	int err = 0;

	if (!r) {
		memset(&dummy, 0, sizeof(dummy));
		r = &dummy;
	}
	r->w = NULL;
	r->why[0] = 0;
	r->steps = 0;
	r->preemptions = 0;
	r->oom = false;
	if (!spec_ok(spec) || !s || (err = eng_init(&x, spec, 0))) {
		if (spec_ok(spec) && s)
			eng_fini(&x);
		r->oom = err == -ENOMEM;
		snprintf(r->why, sizeof(r->why), "%s",
			 r->oom ? "out of memory" : "malformed spec or schedule");
		return r->verdict = PL_VERDICT_ERROR;
	}
	x.rp = r;
	v = eng_replay(&x, s, !r->no_world_check, r->why, sizeof(r->why), r->keep_world);
	r->steps = x.steps;
	r->preemptions = (int)x.preempt;
	if (r->keep_world) {
		r->w = x.w;
		if (r->w) {
			r->w->on_event = NULL;
			r->w->event_arg = NULL;
		}
		x.w = NULL;
	}
	eng_fini(&x);
	return r->verdict = v;
}
