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
 * re-creating the world with spec->setup() and following the stack's
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
 * Over 900 lines: the engine's state (coroutines, decisions, the end-state
 * set) is one struct that the search, the replay and the worker processes
 * share.  The seams: coroutines, the search, worker processes (jobs), and the
 * result's text form.
 */
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

struct xthread {
	ucontext_t ctx;
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
	ucontext_t main_ctx;
	const void *main_bottom;	/* ASan: the engine's own stack */
	size_t main_size;
	bool from_main;
#ifdef PL_X_TSAN
	void *main_fiber;
#endif
	struct world *w;
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

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

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
 * Accesses and conflicts.
 */
static size_t ptr_slot(const void *p, size_t mask)
{
	return (size_t)mix64((uint64_t)(uintptr_t)p) & mask;
}

static void ids_reset(struct xids *t)
{
	t->n = 0;
	if (++t->gen == 0) {	/* wrapped: really clear */
		if (t->gens)
			memset(t->gens, 0, t->cap * sizeof(*t->gens));
		t->gen = 1;
	}
}

static _Noreturn void x_oom(struct world *w, void *arg);

static uint32_t obj_id(struct xeng *x, const void *obj)
{
	struct xids *t = &x->ids;
	size_t j;

	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		const void **nk = calloc(cap, sizeof(*nk));
		uint32_t *nv = calloc(cap, sizeof(*nv)), *ng = calloc(cap, sizeof(*ng));

		if (!nk || !nv || !ng)
			x_oom(NULL, x);
		for (size_t i = 0; i < t->cap; i++) {
			if (t->gens[i] != t->gen)
				continue;
			for (j = ptr_slot(t->keys[i], cap - 1); ng[j]; j = (j + 1) & (cap - 1))
				;
			nk[j] = t->keys[i];
			nv[j] = t->vals[i];
			ng[j] = t->gen;
		}
		free(t->keys);
		free(t->vals);
		free(t->gens);
		t->keys = nk;
		t->vals = nv;
		t->gens = ng;
		t->cap = cap;
		if (!t->gen)
			t->gen = 1;
		for (size_t i = 0; i < cap; i++)
			if (ng[i] && ng[i] != t->gen)
				ng[i] = 0;
	}
	for (j = ptr_slot(obj, t->cap - 1); t->gens[j] == t->gen; j = (j + 1) & (t->cap - 1))
		if (t->keys[j] == obj)
			return t->vals[j];
	t->keys[j] = obj;
	t->gens[j] = t->gen;
	t->vals[j] = (uint32_t)++t->n;
	return t->vals[j];
}

static void acc_add(struct xeng *x, struct xacc *a, const void *obj, bool wr)
{
	if (obj && a->n < 2) {
		a->obj[a->n] = obj_id(x, obj);
		a->wr[a->n] = wr;
		a->n++;
	}
}

static void op_access(struct xeng *x, const struct xpend *p, struct xacc *a)
{
	switch (p->op) {
	case PL_SYNC_READ_ONCE:
	case PL_SYNC_SEQ_BEGIN:
	case PL_SYNC_SEQ_RETRY:
	case PL_SYNC_READ_LOCK:
		acc_add(x, a, p->obj, false);
		break;
	case PL_SYNC_WRITE_ONCE:
	case PL_SYNC_ATOMIC:
	case PL_SYNC_TRY_GET:
	case PL_SYNC_LOCK:
	case PL_SYNC_TRYLOCK:
	case PL_SYNC_FOLIO_LOCK:
	case PL_SYNC_SEQ_WRITE_BEGIN:
	case PL_SYNC_SEQ_WRITE_END:
		acc_add(x, a, p->obj, true);
		break;
	default:
		break;
	}
}

/* The step from pending op `from` to pending op `to`: the op, and the release before `to`. */
static void step_access(struct xeng *x, const struct xpend *from, const struct xpend *to,
			struct xacc *a)
{
	memset(a, 0, sizeof(*a));
	op_access(x, from, a);
	if (to->op == PL_SYNC_UNLOCK)
		acc_add(x, a, to->obj, true);
	else if (to->op == PL_SYNC_READ_UNLOCK)
		acc_add(x, a, to->obj, false);
}

static bool acc_conflict(const struct xacc *a, const struct xacc *b)
{
	for (int i = 0; i < a->n; i++)
		for (int j = 0; j < b->n; j++)
			if (a->obj[i] == b->obj[j] && (a->wr[i] || b->wr[j]))
				return true;
	return false;
}

/*
 * Would the pending op wait?  Only lock acquisitions do: LOCK and READ_LOCK
 * name a struct pl_lock, FOLIO_LOCK a folio's flags word.
 */
static bool pend_blocked(const struct xpend *p)
{
	const struct pl_lock *l = p->obj;

	if (p->op == PL_SYNC_LOCK)
		return l->owner != 0 || l->readers != 0;
	if (p->op == PL_SYNC_READ_LOCK)
		return l->owner != 0;
	if (p->op == PL_SYNC_FOLIO_LOCK)
		return (*(const uint32_t *)p->obj & PG_locked) != 0;
	return false;
}

/* ---------------------------------------------------------------------------
 * Decisions.
 */
static int choice_cost(const struct xnode *n, int c)
{
	return n->prev >= 0 && c != n->prev && (n->enabled & bit(n->prev)) ? 1 : 0;
}

static uint8_t allowed_mask(const struct xeng *x, const struct xnode *n)
{
	uint8_t m = n->enabled & (uint8_t)~n->sleep, ok = 0;

	for (int t = 0; t < x->nt; t++)
		if ((m & bit(t)) &&
		    (x->bound < 0 || n->preempt + (uint32_t)choice_cost(n, t) <= (uint32_t)x->bound))
			ok |= bit(t);
	return ok;
}

/* Child sleep set: see the header comment ("Sleep sets"). */
static void compute_sleep(struct xeng *x, struct xnode *n, const struct xnode *p)
{
	int u = p->chosen;
	uint8_t cand = p->sleep;
	struct xacc q = { { 0, 0 }, { 0, 0 }, 0 };

	memcpy(n->sleep_acc, p->sleep_acc, sizeof(n->sleep_acc));
	if (p->prev >= 0 && p->prev != u && (p->enabled & bit(p->prev)) &&
	    (p->done & bit(p->prev)) && !(p->sleep & bit(p->prev))) {
		cand |= bit(p->prev);
		n->sleep_acc[p->prev] = p->acc[p->prev];
	}
	cand &= (uint8_t)~bit(u);
	op_access(x, &x->th[u].pend, &q);
	for (int y = 0; y < x->nt; y++)
		if ((cand & bit(y)) && (acc_conflict(&n->sleep_acc[y], &p->acc[u]) ||
					acc_conflict(&n->sleep_acc[y], &q)))
			cand &= (uint8_t)~bit(y);
	n->sleep = cand;
}

static struct xnode *push_node(struct xeng *x, uint8_t enabled)
{
	size_t d = x->nr_nodes;
	struct xnode *n;
	uint8_t avail;

	if (x->nr_nodes == x->cap_nodes) {
		size_t cap = x->cap_nodes ? 2 * x->cap_nodes : 256;
		struct xnode *nn = realloc(x->nodes, cap * sizeof(*nn));

		if (!nn)
			x_oom(NULL, x);
		x->nodes = nn;
		x->cap_nodes = cap;
	}
	n = &x->nodes[x->nr_nodes++];
	memset(n, 0, sizeof(*n));
	n->enabled = enabled;
	n->prev = d ? (int8_t)x->nodes[d - 1].chosen : -1;
	n->preempt = x->preempt;
	n->dflt = (uint8_t)((n->prev >= 0 && (enabled & bit(n->prev))) ? n->prev : lowest(enabled));
	if (x->frozen)
		n->flags |= XN_FROZEN;
	if (x->por && d > 0 && !x->frozen)
		compute_sleep(x, n, &x->nodes[d - 1]);
	n->allowed = allowed_mask(x, n);
	avail = enabled & (uint8_t)~n->sleep;
	if (avail & (uint8_t)~n->allowed)
		x->bound_cut = true;
	if (!avail)
		n->sdflt = n->dflt;
	else if (n->prev >= 0 && (avail & bit(n->prev)))
		n->sdflt = (uint8_t)n->prev;
	else
		n->sdflt = (uint8_t)lowest(avail);
	return n;
}

static int sched_choice(struct xeng *x, const struct xnode *n)
{
	const struct pl_sched *s = x->sched;
	const struct pl_sched_run *r;
	int c;

	if (!s || x->run_i >= s->nr_runs)
		return n->dflt;
	r = &s->runs[x->run_i];
	if (r->thread < 0 || r->thread >= x->nt || !(n->enabled & bit(r->thread))) {
		x->infeasible = true;
		c = n->dflt;
	} else {
		c = r->thread;
	}
	if (++x->run_pos >= r->steps) {
		x->run_i++;
		x->run_pos = 0;
	}
	return c;
}

static int choose_new(struct xeng *x, struct xnode *n)
{
	if (x->mode == XM_SCHED)
		return sched_choice(x, n);
	if (!(n->enabled & (uint8_t)~n->sleep)) {
		/* every runnable thread asleep: equivalent to a schedule already explored */
		x->redundant = true;
		x->frozen = true;
		n->flags |= XN_FROZEN;
		return n->dflt;
	}
	return n->sdflt;
}

static void shard_decide(struct xeng *x)
{
	uint64_t h = mix64(x->key ^ mix64((uint64_t)x->nleave));

	x->shard_decided = true;
	if ((int)(h % (uint64_t)x->shard_n) != x->shard_k) {
		x->foreign = true;
		x->frozen = true;
	}
}

/* Position of c in the order the search tries n's choices: sdflt, then ascending. */
static int choice_rank(const struct xnode *n, int c)
{
	int r = 1;

	if (c == n->sdflt)
		return 0;
	for (int t = 0; t < c; t++)
		if ((n->allowed & bit(t)) && t != n->sdflt)
			r++;
	return r;
}

static void shard_note(struct xeng *x, const struct xnode *n, int c)
{
	int rank;

	if (x->shard_decided || __builtin_popcount(n->allowed) < 2)
		return;
	rank = choice_rank(n, c);
	x->nbranch++;
	if (rank == 0)
		return;
	x->key = mix64(x->key ^ mix64(((uint64_t)x->nbranch << 8) | (uint64_t)rank));
	if (++x->nleave >= x->shard_depth)
		shard_decide(x);
}

/*
 * decide() - the scheduling point: close the step that just ended, build
 * (or replay) the node for the next one, pick the thread.  -1 = the run is
 * over (all finished, deadlock or livelock).
 */
static int decide(struct xeng *x)
{
	size_t d = x->depth;
	uint8_t enabled = 0;
	struct xnode *n;
	int c = -1;

	if (d > 0 && x->por) {
		struct xnode *p = &x->nodes[d - 1];
		struct xthread *pt = &x->th[p->chosen];

		step_access(x, &pt->step_pend, &pt->pend, &p->acc[p->chosen]);
	}
	for (int t = 0; t < x->nt; t++)
		if (x->th[t].pend.op != XK_DONE && !pend_blocked(&x->th[t].pend))
			enabled |= bit(t);
	if (!enabled) {
		for (int t = 0; t < x->nt; t++)
			if (x->th[t].pend.op != XK_DONE)
				x->deadlock = true;
		return -1;
	}
	if (x->steps >= x->max_steps) {
		x->livelock = true;
		return -1;
	}
	if (d < x->nr_nodes) {
		n = &x->nodes[d];
		if (n->enabled == enabled && n->preempt == x->preempt && (enabled & bit(n->chosen))) {
			c = n->chosen;
		} else {
			/* setup() or a thread is not deterministic: the stored tree is void */
			x->nondet = true;
			x->nr_nodes = d;
		}
	}
	if (c < 0) {
		n = push_node(x, enabled);
		c = choose_new(x, n);
		n->chosen = (uint8_t)c;
	}
	n = &x->nodes[d];
	if (x->mode == XM_SEARCH && x->shard_n > 1)
		shard_note(x, n, c);
	if (x->rp && x->rp->on_step) {
		struct pl_step_info st = {
			.index = x->steps + 1,
			.thread = c,
			.op = x->th[c].pend.op == XK_START ? PL_STEP_START : x->th[c].pend.op,
			.where = (enum pl_yield_point)x->th[c].pend.where,
			.obj = x->th[c].pend.obj,
			.switched = n->prev >= 0 && n->prev != c,
			.preemption = choice_cost(n, c) != 0,
		};

		if (d > 0) {
			const struct xpend *pp = &x->th[x->nodes[d - 1].chosen].pend;

			if (pp->op == PL_SYNC_UNLOCK || pp->op == PL_SYNC_READ_UNLOCK) {
				st.released_op = pp->op;
				st.released = pp->obj;
			}
		}

		x->rp->on_step(x->w, &st, x->rp->cb_arg);
	}
	x->preempt += (uint32_t)choice_cost(n, c);
	n->done |= bit(c);
	x->depth = d + 1;
	x->steps++;
	x->th[c].step_pend = x->th[c].pend;
	return c;
}

/* ---------------------------------------------------------------------------
 * Coroutines.
 */
static void switch_to(struct xeng *x, ucontext_t *from, int next, bool dying)
{
	ucontext_t *to;
#ifdef PL_X_ASAN
	void *fake = NULL;
	const void *old_bottom = NULL;
	size_t old_size = 0;
	const void *bottom;
	size_t size;
#endif

	if (next >= 0) {
		to = &x->th[next].ctx;
		x->w->cur_thread = next;
		x->w->cur_pid = x->th[next].cur_pid;
#ifdef PL_X_ASAN
		bottom = x->th[next].stack;
		size = x->stack_size;
#endif
	} else {
		to = &x->main_ctx;
#ifdef PL_X_ASAN
		bottom = x->main_bottom;
		size = x->main_size;
#endif
	}
	x->cur = next;
#ifdef PL_X_ASAN
	__sanitizer_start_switch_fiber(dying ? NULL : &fake, bottom, size);
#endif
#ifdef PL_X_TSAN
	__tsan_switch_to_fiber(next >= 0 ? x->th[next].fiber : x->main_fiber, 0);
#endif
	(void)dying;
	swapcontext(from, to);
#ifdef PL_X_ASAN
	__sanitizer_finish_switch_fiber(fake, &old_bottom, &old_size);
	if (x->from_main) {
		x->main_bottom = old_bottom;
		x->main_size = old_size;
		x->from_main = false;
	}
#endif
}

/* A scheduling point in the running thread. */
static void x_point(struct xeng *x)
{
	int me = x->cur;
	int next = decide(x);

	if (next == me)
		return;
	x->th[me].cur_pid = x->w->cur_pid;
	switch_to(x, &x->th[me].ctx, next, false);
}

static void x_sync(struct world *w, enum pl_sync_op op, const void *obj, void *arg)
{
	struct xeng *x = arg;

	(void)w;
	if (x->cur < 0)
		return;
	x->th[x->cur].pend.op = (uint8_t)op;
	x->th[x->cur].pend.where = 0;
	x->th[x->cur].pend.obj = obj;
	x_point(x);
}

/*
 * Out of memory in the model or in the engine.  There is no way back up
 * through a thread's steps, so the command ends here ("pinlab: out of
 * memory", exit 3, as the CLI says it) -- but from the engine's own stack,
 * never from a thread's: everything the program holds is then still
 * reachable from the stack that called pl_explore(), and nothing looks
 * leaked.  A thread switches to the main context for good; run_once() exits.
 */
static _Noreturn void x_oom(struct world *w, void *arg)
{
	struct xeng *x = arg;

	(void)w;
	if (x->cur >= 0) {
		x->oom = true;
		switch_to(x, &x->th[x->cur].ctx, -1, true);
		abort();	/* never resumed */
	}
	fputs("pinlab: out of memory\n", stderr);
	exit(3);
}

static void x_yield(struct world *w, enum pl_yield_point where, void *arg)
{
	struct xeng *x = arg;

	(void)w;
	if (x->cur < 0)
		return;
	x->th[x->cur].pend.op = PL_SYNC_YIELD;
	x->th[x->cur].pend.where = (uint8_t)where;
	x->th[x->cur].pend.obj = NULL;
	x_point(x);
}

static void trampoline(unsigned int hi, unsigned int lo)
{
	struct xeng *x = (struct xeng *)(uintptr_t)(((uint64_t)hi << 32) | (uint64_t)lo);
	int me = x->cur;
	int next;

#ifdef PL_X_ASAN
	{
		const void *old_bottom = NULL;
		size_t old_size = 0;

		__sanitizer_finish_switch_fiber(NULL, &old_bottom, &old_size);
		if (x->from_main) {
			x->main_bottom = old_bottom;
			x->main_size = old_size;
			x->from_main = false;
		}
	}
#endif
	x->spec->thread[me](x->w, x->spec->arg);
	x->th[me].pend.op = XK_DONE;
	x->th[me].pend.obj = NULL;
	x->th[me].cur_pid = x->w->cur_pid;
	next = decide(x);
	switch_to(x, &x->th[me].ctx, next, true);
	abort();	/* a finished thread is never resumed */
}

static int eng_init(struct xeng *x, const struct pl_explore_spec *spec, size_t stack_size)
{
	memset(x, 0, sizeof(*x));
	x->spec = spec;
	x->nt = spec->nr_threads;
	x->stack_size = stack_size ? stack_size : X_STACK_DEFAULT;
	x->cur = -1;
	x->max_steps = X_MAX_STEPS_DEFAULT;
	x->bound = -1;
	for (int t = 0; t < x->nt; t++) {
		x->th[t].stack = malloc(x->stack_size);
		if (!x->th[t].stack)
			return -ENOMEM;
#ifdef PL_X_TSAN
		x->th[t].fiber = __tsan_create_fiber(0);
#endif
	}
#ifdef PL_X_TSAN
	x->main_fiber = __tsan_get_current_fiber();
#endif
	return 0;
}

static void eng_fini(struct xeng *x)
{
	for (int t = 0; t < x->nt; t++) {
		free(x->th[t].stack);
#ifdef PL_X_TSAN
		if (x->th[t].fiber)
			__tsan_destroy_fiber(x->th[t].fiber);
#endif
	}
	free(x->nodes);
	free(x->ids.keys);
	free(x->ids.vals);
	free(x->ids.gens);
	memset(x, 0, sizeof(*x));
}

static bool spec_ok(const struct pl_explore_spec *spec)
{
	if (!spec || !spec->setup || spec->nr_threads < 1 || spec->nr_threads > MAXT)
		return false;
	for (int t = 0; t < spec->nr_threads; t++)
		if (!spec->thread[t])
			return false;
	return true;
}

/*
 * Run one schedule on a fresh world; x->w is left alive for evaluate().
 * false if setup() failed.
 */
static bool run_once(struct xeng *x)
{
	const struct pl_explore_spec *sp = x->spec;
	uintptr_t self = (uintptr_t)x;
	struct world *w;
	int first;

	x->depth = 0;
	x->steps = 0;
	x->preempt = 0;
	x->run_i = 0;
	x->run_pos = 0;
	x->deadlock = x->livelock = x->redundant = x->frozen = false;
	x->foreign = x->infeasible = false;
	x->nbranch = 0;
	x->nleave = 0;
	x->key = 0;
	x->shard_decided = false;
	ids_reset(&x->ids);
	w = sp->setup(sp->arg);
	x->w = w;
	if (!w)
		return false;
	x->base_violations = w->nr_violations;
	w->hooks.sync = x_sync;
	w->hooks.yield = x_yield;
	w->hooks.oom = x_oom;
	w->hooks.arg = x;
	if (x->rp && x->rp->on_event) {
		w->on_event = x->rp->on_event;
		w->event_arg = x->rp->cb_arg;
	}
	for (int t = 0; t < x->nt; t++) {
		struct xthread *th = &x->th[t];

		getcontext(&th->ctx);
		th->ctx.uc_stack.ss_sp = th->stack;
		th->ctx.uc_stack.ss_size = x->stack_size;
		th->ctx.uc_link = NULL;
		makecontext(&th->ctx, (void (*)(void))trampoline, 2,
			    (unsigned int)((uint64_t)self >> 32), (unsigned int)(self & 0xffffffffu));
		th->pend.op = XK_START;
		th->pend.where = 0;
		th->pend.obj = NULL;
		th->cur_pid = w->cur_pid;
	}
	first = decide(x);
	if (first >= 0) {
		x->from_main = true;
		switch_to(x, &x->main_ctx, first, false);
	}
	x->cur = -1;
	if (x->oom)
		x_oom(w, x);
	w->hooks.sync = NULL;
	w->hooks.yield = NULL;
	w->hooks.oom = NULL;
	w->hooks.arg = NULL;
	w->cur_thread = 0;
	if (x->mode == XM_SEARCH && x->shard_n > 1 && !x->shard_decided)
		shard_decide(x);
	return true;
}

static void deadlock_why(struct xeng *x, char *why, size_t len)
{
	size_t off;

	off = (size_t)snprintf(why, len, "deadlock:");
	for (int t = 0; t < x->nt && off < len; t++) {
		const struct xpend *p = &x->th[t].pend;
		char obj[64];

		if (p->op == XK_DONE)
			continue;
		pl_explore_describe(x->w, p->obj, obj, sizeof(obj));
		if (!strcmp(obj, "?") && p->obj)
			snprintf(obj, sizeof(obj), "lock#%u", ((const struct pl_lock *)p->obj)->id);
		off += (size_t)snprintf(why + off, len - off, " T%d waits in %s %s;", t,
					pl_sync_op_name(p->op), obj);
	}
}

static bool violation_ignored(const struct pl_explore_spec *sp, const struct pl_violation *v)
{
	for (const char *const *p = sp->ignore_violations; p && *p; p++)
		if (v->inv && !strcmp(v->inv->name, *p))
			return true;
	return false;
}

/* The verdict of the run just made; *hash gets the end state's hash. */
static enum pl_verdict evaluate(struct xeng *x, bool world_check, char *why, size_t len,
				uint64_t *hash)
{
	const struct pl_explore_spec *sp = x->spec;
	struct world *w = x->w;
	bool ok = true;

	why[0] = 0;
	if (x->livelock) {
		snprintf(why, len, "more than %" PRIu64 " steps", x->max_steps);
		*hash = 0;
		return PL_VERDICT_LIVELOCK;
	}
	if (x->deadlock) {
		*hash = pl_explore_state_hash(w);
		deadlock_why(x, why, len);
		return PL_VERDICT_DEADLOCK;
	}
	if (world_check) {
		pl_check_world(w);
		if (w->oom)
			x_oom(w, x);	/* an unchecked world has no verdict */
	}
	*hash = pl_explore_state_hash(w);
	if (sp->check)
		ok = sp->check(w, sp->arg, why, len);
	if (!ok) {
		if (!why[0])
			snprintf(why, len, "check failed");
		return PL_VERDICT_FAIL;
	}
	for (int i = x->base_violations; i < w->nr_violations; i++) {
		const struct pl_violation *v = &w->violations[i];

		if (violation_ignored(sp, v))
			continue;
		snprintf(why, len, "%s: %s", v->inv ? v->inv->name : "?", v->detail);
		return PL_VERDICT_VIOLATION;
	}
	return PL_VERDICT_PASS;
}

static void world_drop(struct xeng *x)
{
	pl_world_free(x->w);
	x->w = NULL;
}

/* The run just made as a schedule: runs up to the last non-default choice. */
static struct pl_sched *sched_from_run(const struct xeng *x)
{
	struct pl_sched *s = pl_sched_new();
	size_t last = 0;
	bool any = false;

	if (!s)
		return NULL;
	for (size_t i = 0; i < x->depth; i++)
		if (x->nodes[i].chosen != x->nodes[i].dflt) {
			last = i;
			any = true;
		}
	for (size_t i = 0; any && i <= last; i++)
		if (pl_sched_add(s, x->nodes[i].chosen, 1)) {
			pl_sched_free(s);
			return NULL;
		}
	if (x->spec->name)
		snprintf(s->name, sizeof(s->name), "%s", x->spec->name);
	s->nr_threads = x->nt;
	s->preemptions = (int)x->preempt;
	s->steps = x->steps;
	return s;
}

/* Fewest preemptions, then fewest steps, then the shortest explicit part. */
static int sched_cmp(const struct pl_sched *a, const struct pl_sched *b)
{
	uint64_t ea = pl_sched_explicit_steps(a), eb = pl_sched_explicit_steps(b);

	if (a->preemptions != b->preemptions)
		return a->preemptions < b->preemptions ? -1 : 1;
	if (a->steps != b->steps)
		return a->steps < b->steps ? -1 : 1;
	if (ea != eb)
		return ea < eb ? -1 : 1;
	return 0;
}

/* ---------------------------------------------------------------------------
 * End-state set.
 */
static int states_insert(struct pl_explore_result *res, uint64_t h)
{
	size_t mask;

	if (!h)
		h = 1;
	if ((res->distinct_states + 1) * 2 > res->cap_states) {
		size_t cap = res->cap_states ? 2 * res->cap_states : 1024;
		uint64_t *ns = calloc(cap, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		for (size_t i = 0; i < res->cap_states; i++) {
			uint64_t v = res->states[i];
			size_t j;

			if (!v)
				continue;
			for (j = (size_t)mix64(v) & (cap - 1); ns[j]; j = (j + 1) & (cap - 1))
				;
			ns[j] = v;
		}
		free(res->states);
		res->states = ns;
		res->cap_states = cap;
	}
	mask = res->cap_states - 1;
	for (size_t j = (size_t)mix64(h) & mask;; j = (j + 1) & mask) {
		if (res->states[j] == h)
			return 0;
		if (!res->states[j]) {
			res->states[j] = h;
			res->distinct_states++;
			return 1;
		}
	}
}

static void record_failure(struct pl_explore_result *res, struct pl_sched *s, enum pl_verdict v,
			   const char *why)
{
	if (!s)
		return;
	if (res->fail && sched_cmp(s, res->fail) >= 0) {
		pl_sched_free(s);
		return;
	}
	pl_sched_free(res->fail);
	res->fail = s;
	res->verdict = v;
	snprintf(res->why, sizeof(res->why), "%s", why);
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
 * normal form) becomes *best.  true if it did.
 */
static bool minimise_try(struct xeng *x, struct pl_sched *cand, struct pl_sched **best,
			 enum pl_verdict want, bool world_check, char *why, size_t len,
			 uint64_t *replays)
{
	char w2[256];
	enum pl_verdict v;
	struct pl_sched *norm;
	bool better = false;

	if (!cand)
		return false;
	(*replays)++;
	v = eng_replay(x, cand, world_check, w2, sizeof(w2), false);
	if (v == want) {
		norm = sched_from_run(x);
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
static void minimise(struct xeng *x, struct pl_explore_result *res, uint32_t budget,
		     bool world_check)
{
	struct pl_sched *best = res->fail;
	bool improved = true;

	if (!best)
		return;
	while (improved && res->minimise_replays < budget) {
		improved = false;
		for (int i = 0; i < best->nr_runs && !improved; i++) {
			improved = minimise_try(x, sched_without(best, i), &best, res->verdict,
						world_check, res->why, sizeof(res->why),
						&res->minimise_replays);
			for (uint32_t c = 1; !improved && c < best->runs[i].steps &&
					     res->minimise_replays < budget; c++) {
				struct pl_sched *cand = pl_sched_dup(best);

				if (!cand)
					break;
				cand->runs[i].steps = c;
				improved = minimise_try(x, cand, &best, res->verdict, world_check,
							res->why, sizeof(res->why),
							&res->minimise_replays);
			}
		}
	}
	res->fail = best;
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
					res->failures++;
					record_failure(res, sched_from_run(&x), v, why);
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
	if (res->fail && !o->no_minimise && !res->error && !(o->stop && o->stop()))
		minimise(&x, res, o->minimise_budget ? o->minimise_budget : X_MINIMISE_DEFAULT,
			 world_check);
	eng_fini(&x);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Worker processes (jobs): each takes one shard, results merged here.
 */
static int search_jobs(const struct pl_explore_spec *spec, const struct pl_explore_opts *o,
		       struct pl_explore_result *res)
{
	int J = o->jobs, N = o->shard_n > 1 ? o->shard_n : 1, K = o->shard_n > 1 ? o->shard_k : 0;
	pid_t pids[256];
	int fds[256];
	int err = 0;

	if (J > 256)
		J = 256;
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
	}
	for (int j = 0; j < J; j++) {
		struct pl_explore_result cr;
		char e[128];
		FILE *f;
		int status = 0;

		if (fds[j] < 0)
			continue;
		f = fdopen(fds[j], "r");
		if (!f || pl_explore_result_read(f, &cr, e, sizeof(e))) {
			err = -EIO;
		} else {
			if (pl_explore_merge(res, &cr))
				err = -ENOMEM;
			pl_explore_result_free(&cr);
		}
		if (f)
			fclose(f);
		else
			close(fds[j]);
		if (pids[j] > 0 && (waitpid(pids[j], &status, 0) < 0 || !WIFEXITED(status) ||
				    WEXITSTATUS(status)))
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

void pl_explore_result_free(struct pl_explore_result *res)
{
	pl_sched_free(res->fail);
	free(res->states);
	memset(res, 0, sizeof(*res));
}

#define BOUND_NONE (-2)	/* pl_explore_result_init(): no shard merged yet */

void pl_explore_result_init(struct pl_explore_result *res)
{
	memset(res, 0, sizeof(*res));
	res->complete = true;
	res->exhaustive = true;
	res->bound = BOUND_NONE;
}

int pl_explore_merge(struct pl_explore_result *into, const struct pl_explore_result *from)
{
	into->schedules += from->schedules;
	into->runs += from->runs;
	into->redundant += from->redundant;
	into->revisited += from->revisited;
	into->foreign += from->foreign;
	into->livelocks += from->livelocks;
	into->deadlocks += from->deadlocks;
	into->failures += from->failures;
	into->steps += from->steps;
	into->minimise_replays += from->minimise_replays;
	if (into->bound == BOUND_NONE || from->bound > into->bound)
		into->bound = from->bound;
	into->complete = into->complete && from->complete;
	into->exhaustive = into->exhaustive && from->exhaustive;
	into->error = into->error || from->error;
	if (from->error && !into->fail && !into->why[0])
		snprintf(into->why, sizeof(into->why), "%s", from->why);
	for (size_t i = 0; i < from->cap_states; i++)
		if (from->states[i] && states_insert(into, from->states[i]) < 0)
			return -ENOMEM;
	if (from->fail && (!into->fail || sched_cmp(from->fail, into->fail) < 0)) {
		struct pl_sched *s = pl_sched_dup(from->fail);

		if (!s)
			return -ENOMEM;
		pl_sched_free(into->fail);
		into->fail = s;
		into->verdict = from->verdict;
		snprintf(into->why, sizeof(into->why), "%s", from->why);
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * Result text form.
 */
static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int pl_explore_result_write(FILE *f, const struct pl_explore_result *r)
{
	uint64_t *sorted = NULL;
	size_t n = 0;

	fprintf(f, "# pinlab explore result v1\n");
	fprintf(f, "runs %" PRIu64 "\nschedules %" PRIu64 "\nredundant %" PRIu64
		   "\nrevisited %" PRIu64 "\nforeign %" PRIu64 "\nlivelocks %" PRIu64
		   "\ndeadlocks %" PRIu64 "\nfailures %" PRIu64 "\nsteps %" PRIu64
		   "\nminimise-replays %" PRIu64 "\n",
		r->runs, r->schedules, r->redundant, r->revisited, r->foreign, r->livelocks,
		r->deadlocks, r->failures, r->steps, r->minimise_replays);
	fprintf(f, "bound %d\ncomplete %d\nexhaustive %d\nerror %d\nseconds %.6f\n", r->bound,
		r->complete, r->exhaustive, r->error, r->seconds);
	if (r->distinct_states) {
		sorted = malloc(r->distinct_states * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		for (size_t i = 0; i < r->cap_states; i++)
			if (r->states[i])
				sorted[n++] = r->states[i];
		qsort(sorted, n, sizeof(*sorted), u64_cmp);
	}
	fprintf(f, "states %zu\n", n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "state %016" PRIx64 "\n", sorted[i]);
	free(sorted);
	if (r->why[0]) {
		char line[sizeof(r->why)];

		snprintf(line, sizeof(line), "%s", r->why);
		for (char *p = line; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fprintf(f, "why %s\n", line);
	}
	if (r->fail) {
		fprintf(f, "verdict %s\nfail\n", pl_verdict_name(r->verdict));
		if (pl_sched_write(f, r->fail))
			return -EIO;
	}
	fprintf(f, "end-result\n");
	return ferror(f) ? -EIO : 0;
}

int pl_explore_result_read(FILE *f, struct pl_explore_result *r, char *err, size_t errlen)
{
	char line[512];
	int lineno = 0;

	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		char key[32];
		uint64_t v = 0;
		int iv = 0;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!strcmp(line, "end-result"))
			return 0;
		if (!strcmp(line, "fail")) {
			r->fail = pl_sched_read(f, err, errlen);
			if (!r->fail) {
				pl_explore_result_free(r);
				return -EINVAL;
			}
			continue;
		}
		if (!strncmp(line, "why ", 4)) {
			snprintf(r->why, sizeof(r->why), "%.255s", line + 4);
			continue;
		}
		if (!strncmp(line, "verdict ", 8)) {
			for (int i = 0; i <= PL_VERDICT_ERROR; i++)
				if (!strcmp(line + 8, pl_verdict_name((enum pl_verdict)i)))
					r->verdict = (enum pl_verdict)i;
			continue;
		}
		if (!strncmp(line, "seconds ", 8)) {
			r->seconds = strtod(line + 8, NULL);
			continue;
		}
		if (sscanf(line, "state %" SCNx64, &v) == 1) {
			if (states_insert(r, v) < 0)
				goto bad;
			continue;
		}
		if (sscanf(line, "%31s %" SCNu64, key, &v) != 2)
			goto bad;
		iv = (int)v;
		if (!strcmp(key, "runs"))
			r->runs = v;
		else if (!strcmp(key, "schedules"))
			r->schedules = v;
		else if (!strcmp(key, "redundant"))
			r->redundant = v;
		else if (!strcmp(key, "revisited"))
			r->revisited = v;
		else if (!strcmp(key, "foreign"))
			r->foreign = v;
		else if (!strcmp(key, "livelocks"))
			r->livelocks = v;
		else if (!strcmp(key, "deadlocks"))
			r->deadlocks = v;
		else if (!strcmp(key, "failures"))
			r->failures = v;
		else if (!strcmp(key, "steps"))
			r->steps = v;
		else if (!strcmp(key, "minimise-replays"))
			r->minimise_replays = v;
		else if (!strcmp(key, "bound"))
			r->bound = iv;
		else if (!strcmp(key, "complete"))
			r->complete = iv != 0;
		else if (!strcmp(key, "exhaustive"))
			r->exhaustive = iv != 0;
		else if (!strcmp(key, "error"))
			r->error = iv != 0;
		else if (strcmp(key, "states"))
			goto bad;
	}
	if (err)
		snprintf(err, errlen, "line %d: missing end-result", lineno);
	pl_explore_result_free(r);
	return -EINVAL;
bad:
	if (err)
		snprintf(err, errlen, "line %d: malformed", lineno);
	pl_explore_result_free(r);
	return -EINVAL;
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
