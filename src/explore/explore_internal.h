/*
 * explore_internal.h - what the explorer engine's files share: the engine
 * (struct xeng), its decision stack (struct xnode), the threads' pending
 * ops and accesses, and the helpers each file offers the others.  Only
 * src/explore/{explore,decide,coro,result}.c include it; explore.h is the
 * interface.
 *
 *	explore.c	the search (bounds, backtracking), worker processes,
 *			replay on an engine and the minimiser, pl_explore()
 *	decide.c	accesses and conflicts, sleep sets, decisions, sharding
 *	coro.c		coroutines: the threads' stacks, the sync/yield hooks,
 *			one run of a schedule and its verdict
 *	result.c	the result: end-state set, failures kept, merge, text form
 *
 * sched.c (schedules and their file format) and print.c (the column
 * printer, on top of pl_explore_replay) use only explore.h.
 */
#ifndef PINLAB_EXPLORE_INTERNAL_H
#define PINLAB_EXPLORE_INTERNAL_H

#include "explore/explore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#define PL_X_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#define PL_X_TSAN 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) && !defined(PL_X_ASAN)
#define PL_X_ASAN 1
#endif
#if __has_feature(thread_sanitizer) && !defined(PL_X_TSAN)
#define PL_X_TSAN 1
#endif
#endif
#ifdef PL_X_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef PL_X_TSAN
#include <sanitizer/tsan_interface.h>
#endif

#define MAXT PL_EXPLORE_MAX_THREADS
#define XK_START 64		/* pending op of a thread that has not run yet */
#define XK_DONE 65		/* ... of a finished thread */
#define XN_FROZEN 1u		/* node of a redundant or foreign schedule: no backtracking */
#define X_STACK_DEFAULT (256u * 1024u)
#define X_MAX_STEPS_DEFAULT 1000000u
#define X_MINIMISE_DEFAULT 4000u

/* The op a thread's next step starts with. */
struct xpend {
	uint8_t op;			/* enum pl_sync_op, XK_START or XK_DONE */
	uint8_t where;			/* yield point, for PL_SYNC_YIELD */
	const void *obj;
};

/*
 * What a step touches: at most its op's object and a release at its end.
 * Objects are named by run-stable ids (obj_id()), not by address: each
 * schedule builds a new world, and its objects need not land at the same
 * addresses as in the run that recorded a sleeping thread's step.
 */
struct xacc {
	uint32_t obj[2];
	uint8_t wr[2];
	uint8_t n;
};

/*
 * Object ids: the order in which a run first names an object (1, 2, ...).
 * Runs that share a prefix of steps give the objects named in it the same
 * ids; a sleeping thread's step only touches objects its thread named before
 * it was put to sleep (its pending op's object, and the lock it releases,
 * which it named when taking it), so comparing ids across runs is exact.
 */
struct xids {
	const void **keys;
	uint32_t *vals;
	uint32_t *gens;
	size_t cap, n;
	uint32_t gen;
};

struct xnode {
	uint8_t enabled;		/* runnable threads */
	uint8_t done;			/* choices explored (incl. the current one) */
	uint8_t sleep;			/* asleep here */
	uint8_t allowed;		/* runnable, awake, within the bound */
	uint8_t chosen;
	uint8_t dflt;			/* the replay default: prev if runnable, else lowest */
	uint8_t sdflt;			/* the search default (the same, among awake threads) */
	int8_t prev;			/* thread that ran the step before; -1 at the root */
	uint8_t flags;
	uint32_t preempt;		/* preemptions before this node */
	struct xacc acc[MAXT];		/* the step each explored choice took */
	struct xacc sleep_acc[MAXT];	/* the step each sleeping thread would take */
};

/*
 * A coroutine's saved context.  On x86-64 the switch is coro.c's own few
 * instructions (callee-saved registers and the stack pointer): glibc's
 * swapcontext() and getcontext() also save and restore the signal mask, a
 * system call each time (780 of them in races/8's 112 runs, 0.3-0.6 us
 * apiece on this machine), which the threads never change.  Elsewhere, and
 * under ASan or TSan (whose swapcontext() interceptors also reset the
 * target stack's shadow), ucontext.
 */
#if defined(__x86_64__) && !defined(PL_X_ASAN) && !defined(PL_X_TSAN)
#define X_FAST_SWITCH 1
struct xctx {
	void *sp;
};
#else
struct xctx {
	ucontext_t uc;
};
#endif

struct xthread {
	struct xctx ctx;
	char *stack;
	struct xpend pend;		/* next step starts with this */
	struct xpend step_pend;		/* the current step started with this */
	int cur_pid;			/* world->cur_pid while this thread runs */
#ifdef PL_X_TSAN
	void *fiber;
#endif
};

enum xmode { XM_SEARCH, XM_SCHED };

struct xeng {
	const struct pl_explore_spec *spec;
	int nt;
	size_t stack_size;
	struct xthread th[MAXT];
	struct xctx main_ctx;
	const void *main_bottom;	/* ASan: the engine's own stack */
	size_t main_size;
	bool from_main;
#ifdef PL_X_TSAN
	void *main_fiber;
#endif
	struct world *w;
	/*
	 * spec->snapshot/restore in use: the world setup() made, once, and
	 * a released world kept for the next schedule's copy (world_drop())
	 */
	bool use_base;
	struct world *base;
	struct world *spare;
	int base_violations;
	int cur;			/* running thread, -1 = engine */
	/* the decision stack */
	struct xnode *nodes;
	size_t nr_nodes, cap_nodes;
	size_t depth;			/* nodes decided in this run */
	/* configuration */
	enum xmode mode;
	int bound;			/* < 0: unbounded */
	bool por;
	uint64_t max_steps;
	int shard_k, shard_n, shard_depth;
	const struct pl_sched *sched;	/* XM_SCHED */
	const struct pl_replay *rp;	/* tracing callbacks, or NULL */
	/* this run */
	uint64_t steps;
	uint32_t preempt;
	int run_i;
	uint32_t run_pos;
	bool deadlock, livelock, redundant, frozen, foreign, infeasible, nondet;
	bool oom;		/* a thread ran out of memory: leave from the main stack */
	int nbranch;			/* branching nodes passed (sharding) */
	int nleave;			/* non-default choices among them */
	uint64_t key;
	bool shard_decided;
	/* this iteration */
	bool bound_cut;
	struct xids ids;		/* por only */
};
static inline uint8_t bit(int t)
{
	return (uint8_t)(1u << t);
}

static inline int lowest(uint8_t m)
{
	return m ? __builtin_ctz(m) : -1;
}

static inline uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* decide.c */
void ids_reset(struct xids *t);
void shard_decide(struct xeng *x);
int decide(struct xeng *x);

/* coro.c */
bool run_once(struct xeng *x);
_Noreturn void x_oom(struct world *w, void *arg);
int eng_init(struct xeng *x, const struct pl_explore_spec *spec, size_t stack_size);
void eng_fini(struct xeng *x);
bool spec_ok(const struct pl_explore_spec *spec);
enum pl_verdict evaluate(struct xeng *x, bool world_check, char *why, size_t len,
			 uint64_t *hash);
void world_drop(struct xeng *x);
struct pl_sched *sched_from_run(const struct xeng *x);

/* result.c */
int states_insert(struct pl_explore_result *res, uint64_t h);
int sched_cmp(const struct pl_sched *a, const struct pl_sched *b);
void record_failure(struct pl_explore_result *res, struct pl_sched *s, enum pl_verdict v,
		    const char *why);

#endif /* PINLAB_EXPLORE_INTERNAL_H */
