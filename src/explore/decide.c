/*
 * decide.c - who runs next (explore_internal.h): the accesses each step
 * makes and when two conflict, the sleep sets (opts.por), the preemption
 * bound, sharding, and decide(), called at every scheduling point.  The
 * design is in explore.c's header.
 */
#include "explore/explore_internal.h"

/* ---------------------------------------------------------------------------
 * Accesses and conflicts.
 */
static size_t ptr_slot(const void *p, size_t mask)
{
	return (size_t)mix64((uint64_t)(uintptr_t)p) & mask;
}

void ids_reset(struct xids *t)
{
	t->n = 0;
	if (++t->gen == 0) {	/* wrapped: really clear */
		if (t->gens)
			memset(t->gens, 0, t->cap * sizeof(*t->gens));
		t->gen = 1;
	}
}

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

void shard_decide(struct xeng *x)
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
int decide(struct xeng *x)
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
