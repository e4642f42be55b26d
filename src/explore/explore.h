/*
 * pinlab race explorer: stateless model checking of model threads.
 *
 * A race is stated as a world factory plus up to PL_EXPLORE_MAX_THREADS C
 * functions that run concurrently on the world it makes, and a property
 * checked once they have all finished.  The engine runs each thread as a
 * coroutine (ucontext, its own stack, no pthreads) and installs the core's
 * sync hooks: every sync op and named yield point of the running thread is
 * a scheduling point, where the engine may let another runnable thread go
 * first.  A thread about to take a lock (PL_SYNC_LOCK / PL_SYNC_READ_LOCK)
 * that another thread holds is blocked until it is released; when every
 * unfinished thread is blocked the schedule ends in a deadlock.
 *
 * The search is depth-first over the scheduling choices, starting each
 * schedule from the world factory's initial state: re-running the factory
 * (CHESS, Nidhugg: no state is saved or restored), or, with the spec's
 * snapshot/restore, running it once and starting each schedule on a copy
 * of its world (pl_world_copy_into(); no thread exists yet at that point).
 * It is bounded by preemptions: switching away from a thread that could
 * go on counts one, switching when it blocks or ends is free.
 * Bounds are searched in turn (0, 1, ... K), so the first failure found
 * has the fewest preemptions.  Optionally, sleep sets prune schedules that
 * only reorder independent steps (see por below).
 *
 * A schedule is a list of (thread, steps) runs followed by the default
 * policy (the running thread goes on while it can; otherwise the lowest
 * numbered runnable thread).  A failing one is minimised, can be written to
 * and read from a .sched file, replayed exactly, and printed as columns.
 *
 *	struct pl_explore_spec spec = { .name = "dirty-cow", .setup = mk,
 *		.nr_threads = 2, .thread = { writer, zapper }, .check = file_intact,
 *		.arg = &ctx };
 *	struct pl_explore_opts o = pl_explore_opts_default();
 *	struct pl_explore_result r;
 *
 *	pl_explore(&spec, &o, &r);
 *	if (r.fail)
 *		pl_explore_print(stdout, &spec, r.fail, 0);
 *	pl_explore_result_free(&r);
 *
 * Every function here is deterministic: the same spec and options give
 * the same schedules, counts and output (r.seconds aside).  There is no
 * global state; each call builds its own engine.
 */
#ifndef PINLAB_EXPLORE_H
#define PINLAB_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pinlab/core.h"

#define PL_EXPLORE_MAX_THREADS 4

/* A model thread: runs model operations on w.  Returning ends the thread. */
typedef void (*pl_thread_fn)(struct world *w, void *arg);

struct pl_explore_spec {
	const char *name;		/* for .sched files and printing; may be NULL */
	/*
	 * A fresh world in the initial state, the same on every call (the
	 * engine calls it once per schedule, or once per search with
	 * snapshot/restore below, and frees the world with pl_world_free()).
	 * It also resets whatever per-run state the threads keep in arg.
	 * NULL = cannot run (PL_VERDICT_ERROR).
	 */
	struct world *(*setup)(void *arg);
	int nr_threads;			/* 1 .. PL_EXPLORE_MAX_THREADS */
	pl_thread_fn thread[PL_EXPLORE_MAX_THREADS];
	const char *thread_name[PL_EXPLORE_MAX_THREADS];	/* column titles; may be NULL */
	/*
	 * The property, after every thread has finished (no hooks installed:
	 * it may run model operations, such as the owner's final write).
	 * true = holds; false = fails, with the reason in why.  A schedule
	 * also fails on any pl_violation recorded after setup().  May be NULL.
	 */
	bool (*check)(struct world *w, void *arg, char *why, size_t len);
	/*
	 * Invariants (pl_invariant names) whose violations do not fail a
	 * schedule: an era's rule that every run breaks, so that only the
	 * property and the other invariants decide.  NULL-terminated; may be NULL.
	 */
	const char *const *ignore_violations;
	/*
	 * May be NULL.  After each schedule: non-NULL when it did not run as
	 * the spec means it to (a limit of the run was reached), saying why.
	 * The search then stops, with error set and why in the result -- also
	 * in a worker process of a --jobs search, whose arg the caller cannot
	 * see.
	 */
	const char *(*broken)(void *arg);
	/*
	 * Both or neither; may be NULL.  With both, a search calls setup()
	 * once (once per shard, per worker process), keeps the world it made
	 * as the base and then snapshot(arg), which keeps what arg holds of
	 * that run; each schedule then runs on a copy of the base
	 * (pl_world_copy_into()) after restore(arg, w), which puts arg back
	 * as snapshot() saw it, for a run on w.  false from either = cannot
	 * run, as setup() returning NULL.  Without them (and for
	 * pl_explore_replay()), setup() runs for every schedule.
	 */
	bool (*snapshot)(void *arg);
	bool (*restore)(void *arg, struct world *w);
	void *arg;
};

enum pl_verdict {
	PL_VERDICT_PASS,
	PL_VERDICT_FAIL,		/* check() returned false */
	PL_VERDICT_VIOLATION,		/* an invariant violation (pl_violation) */
	PL_VERDICT_DEADLOCK,		/* every unfinished thread blocked on a lock */
	PL_VERDICT_LIVELOCK,		/* max_steps reached (not counted as a failure) */
	PL_VERDICT_INFEASIBLE,		/* replay: the schedule names a thread that cannot run */
	PL_VERDICT_ERROR,		/* setup() failed, or the spec is malformed */
};
const char *pl_verdict_name(enum pl_verdict v);
static inline bool pl_verdict_failed(enum pl_verdict v)
{
	return v == PL_VERDICT_FAIL || v == PL_VERDICT_VIOLATION || v == PL_VERDICT_DEADLOCK;
}

/* ---------------------------------------------------------------------------
 * Schedules and .sched files.
 *
 *	# pinlab schedule v1
 *	# any line starting with '#' is a comment
 *	name dirty-cow
 *	threads 2
 *	preemptions 1
 *	steps 121
 *	run 0 14
 *	run 1 40
 *	end
 *
 * "run T N": thread T (0-based) executes N consecutive steps -- a step is
 * what a thread does from one scheduling point to the next: the pending
 * sync op or yield point and the code after it (the first step of a thread
 * runs it up to its first scheduling point).  After the last run the
 * default policy finishes the schedule: the thread that ran last goes on
 * while it can, otherwise the lowest-numbered runnable thread.  The runs
 * are required; name, threads, preemptions and steps are informational (a
 * replay reports the preemptions and steps it actually saw).  Written
 * files are deterministic: the same schedule gives the same bytes.
 */
struct pl_sched_run {
	int thread;
	uint32_t steps;			/* >= 1 */
};

struct pl_sched {
	char name[64];
	int nr_threads;			/* 0 = unknown */
	int preemptions;		/* of the whole schedule; -1 = unknown */
	uint64_t steps;			/* of the whole schedule; 0 = unknown */
	int nr_runs, cap_runs;
	struct pl_sched_run *runs;
};

struct pl_sched *pl_sched_new(void);
void pl_sched_free(struct pl_sched *s);
struct pl_sched *pl_sched_dup(const struct pl_sched *s);
/* Append; merges with the last run of the same thread.  0 or -EINVAL. */
int pl_sched_add(struct pl_sched *s, int thread, uint32_t steps);
/* Steps the runs name explicitly (the default policy does the rest). */
uint64_t pl_sched_explicit_steps(const struct pl_sched *s);
int pl_sched_write(FILE *f, const struct pl_sched *s);
/* NULL on a malformed file, with "line N: what" in err. */
struct pl_sched *pl_sched_read(FILE *f, char *err, size_t errlen);

/* ---------------------------------------------------------------------------
 * Search.
 */
#define PL_EXPLORE_MAX_STATES_DEFAULT 1000000ULL	/* ~32 MiB of state set */

struct pl_explore_opts {
	int bound;			/* preemption bound K; < 0: unbounded */
	bool no_iterate;		/* search bound K only, not 0, 1, .. K in turn */
	uint64_t max_schedules;		/* schedules run (all kinds); 0: no limit */
	/*
	 * distinct end states kept (the state set is the search's one memory
	 * that grows with the schedules run); reaching it stops the search,
	 * incomplete, like max_schedules.  0: no limit
	 */
	uint64_t max_states;
	uint64_t max_steps;		/* per schedule, livelock guard; 0: 1,000,000 */
	bool all;			/* keep going after a failure (count them all) */
	/*
	 * Sleep sets: a thread whose next step is independent of everything
	 * run since it was passed over is not scheduled again until something
	 * it depends on runs.  Steps conflict when they name the same object
	 * and one writes (READ_ONCE, SEQ_BEGIN/RETRY, READ_LOCK and read
	 * unlocks read; the rest of the named ops write); only the preempted
	 * thread is put to sleep, which keeps the reduction sound under the
	 * preemption bound.  Sound only as far as the model routes every racy
	 * access through the sync layer (see docs: accesses between two sync
	 * ops are assumed thread-private or lock-protected).
	 */
	bool por;
	bool no_minimise;
	uint32_t minimise_budget;	/* replays the minimiser may spend; 0: 4000 */
	int shard_k, shard_n;		/* cover shard k of n (0 <= k < n); n <= 1: all */
	int shard_depth;		/* branch points hashed into the shard key; 0: auto */
	int jobs;			/* worker processes (fork); <= 1: this process */
	size_t stack_size;		/* per thread; 0: 256 KiB */
	bool no_world_check;		/* skip pl_check_world() at the end of each schedule */
	/*
	 * setup() for every schedule even when the spec has snapshot/restore
	 * (the way before copies, for A/B; the results are the same)
	 */
	bool fresh_worlds;
	bool (*stop)(void);		/* polled per schedule: true stops the search, incomplete */
};

/* bound 2 (CHESS found its bugs within 2 preemptions), everything else default. */
struct pl_explore_opts pl_explore_opts_default(void);

struct pl_explore_result {
	uint64_t schedules;		/* complete schedules checked */
	uint64_t runs;			/* schedules run, of every kind below too */
	uint64_t redundant;		/* cut by sleep sets (equivalent to a checked one) */
	uint64_t revisited;		/* fewer preemptions than the bound: checked before */
	uint64_t foreign;		/* other shards' */
	uint64_t livelocks;
	uint64_t deadlocks;
	uint64_t failures;		/* failing schedules seen */
	uint64_t steps;			/* scheduling steps run, all schedules */
	uint64_t distinct_states;	/* distinct end states (pl_explore_state_hash) */
	int bound;			/* highest bound searched */
	bool complete;			/* every schedule within bound explored (this shard) */
	bool exhaustive;		/* ... and no schedule was cut by the bound at all */
	bool error;			/* the spec could not run */
	double seconds;			/* wall time (the one nondeterministic field) */
	/* the failing schedule (minimised unless no_minimise) */
	struct pl_sched *fail;
	enum pl_verdict verdict;	/* of fail */
	char why[256];
	uint64_t minimise_replays;
	/* end-state hashes, for merging shards: an open-addressing set */
	uint64_t *states;
	size_t cap_states;
};

/*
 * pl_explore() - search the schedules of spec within opts.
 * Return: 0 (res filled; res->fail set if a schedule failed), or -EINVAL
 * (malformed spec or options), -ENOMEM, -EIO (a worker process failed).
 */
int pl_explore(const struct pl_explore_spec *spec, const struct pl_explore_opts *opts,
	       struct pl_explore_result *res);
void pl_explore_result_free(struct pl_explore_result *res);
/*
 * Fold one shard's result into another: counts add, state sets unite,
 * completeness is the conjunction, the better failure (fewest preemptions,
 * then steps) wins.  Start from pl_explore_result_init() (the empty,
 * complete result).
 */
void pl_explore_result_init(struct pl_explore_result *res);
int pl_explore_merge(struct pl_explore_result *into, const struct pl_explore_result *from);
/* A text form of a result (for workers and for merging shards run elsewhere). */
int pl_explore_result_write(FILE *f, const struct pl_explore_result *res);
int pl_explore_result_read(FILE *f, struct pl_explore_result *res, char *err, size_t errlen);

/* ---------------------------------------------------------------------------
 * Replay and printing.
 */
enum {
	PL_STEP_START = -1,		/* pl_step_info.op of a thread's first step */
	PL_STEP_END = -2,		/* after the last step, before the check (thread -1) */
};

struct pl_step_info {
	uint64_t index;			/* 1-based step number */
	int thread;
	int op;				/* enum pl_sync_op, or PL_STEP_START */
	enum pl_yield_point where;	/* op == PL_SYNC_YIELD */
	const void *obj;		/* the object the op names (may be NULL) */
	bool switched;			/* a different thread ran the step before */
	bool preemption;		/* ... and it could have gone on */
	/*
	 * The step before this one ended by releasing a lock (unlocks report
	 * after the release: the thread is now pending at that unlock).
	 */
	const void *released;
	int released_op;		/* PL_SYNC_UNLOCK or PL_SYNC_READ_UNLOCK */
};

struct pl_replay {
	/* in (all optional) */
	void (*on_step)(struct world *w, const struct pl_step_info *st, void *arg);
	void (*on_event)(struct world *w, const struct pl_event *ev, void *arg);
	void *cb_arg;
	bool keep_world;		/* hand the final world back in w (caller frees) */
	bool no_world_check;
	/* out */
	enum pl_verdict verdict;
	char why[256];
	int preemptions;
	uint64_t steps;
	struct world *w;
	bool oom;			/* PL_VERDICT_ERROR because memory ran out */
};

/*
 * pl_explore_replay() - run exactly schedule s (deterministic).  on_step is
 * called before each step with the op it starts with (and once more with
 * PL_STEP_END before the check runs), on_event for every model event
 * during it.  r may be NULL.
 */
enum pl_verdict pl_explore_replay(const struct pl_explore_spec *spec, const struct pl_sched *s,
				  struct pl_replay *r);

enum {
	PL_PRINT_ALL_STEPS = 1u << 0,	/* every step, not just the interesting ones */
};
/*
 * pl_explore_print() - replay s and print it as columns, one per thread:
 * the op or yield point each step starts with, the model events (COW,
 * reuse, pin, zap ...) it caused, where the schedule preempts, and the
 * verdict.  Return: the verdict; PL_VERDICT_ERROR with errno ENOMEM, and
 * nothing printed, when memory ran out.
 */
enum pl_verdict pl_explore_print(FILE *out, const struct pl_explore_spec *spec,
				 const struct pl_sched *s, unsigned flags);

/* ---------------------------------------------------------------------------
 * Helpers (state.c).
 */
/*
 * A hash of the world's observable state that does not depend on
 * allocation order: per task, its vmas and every PTE/PMD/PUD entry (bits,
 * the contents, counts and flags of the folio it maps, folios numbered in
 * the order they are met), swap PTEs by their slot's contents; page caches
 * and disks; swap slots; pinsets; the violations recorded (as a multiset).
 */
uint64_t pl_explore_state_hash(const struct world *w);
/* "pte(mm1 0x7f0000001000)", "_refcount(pfn 530)", "mmap_lock(mm1)" ... or "?" */
void pl_explore_describe(const struct world *w, const void *obj, char *buf, size_t len);
const char *pl_sync_op_name(int op);
const char *pl_yield_point_name(enum pl_yield_point where);

#endif /* PINLAB_EXPLORE_H */
