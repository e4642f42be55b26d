/*
 * coro.c - the model threads as coroutines (explore_internal.h): each on its
 * own stack, switched at the core's sync/yield hooks; one run of a
 * schedule from a fresh world to its end, and the verdict on that end.
 * The design is in explore.c's header.
 */
#include "explore/explore_internal.h"

/* ---------------------------------------------------------------------------
 * Coroutines.
 */
static void thread_main(struct xeng *x);

#ifdef X_FAST_SWITCH
/*
 * x_ctx_swap(from, to): push the System V callee-saved registers on the
 * running stack, store the stack pointer in from->sp, load to->sp, pop the
 * registers saved there and return into that context.  x_ctx_start is where
 * a new context first returns to: it calls %r13(%r12) -- thread_main(x) --
 * on the new stack, which never returns.
 */
void x_ctx_swap(struct xctx *from, struct xctx *to);
void x_ctx_start(void);
__asm__(".text\n"
	".p2align 4\n"
	".type x_ctx_swap, @function\n"
	"x_ctx_swap:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq (%rsi), %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size x_ctx_swap, .-x_ctx_swap\n"
	".p2align 4\n"
	".type x_ctx_start, @function\n"
	"x_ctx_start:\n"
	"	movq %r12, %rdi\n"
	"	callq *%r13\n"
	"	ud2\n"
	".size x_ctx_start, .-x_ctx_start\n");

/* A context that starts thread_main(x) on the stack [base, base + size). */
static void ctx_make(struct xctx *c, char *base, size_t size, struct xeng *x)
{
	uintptr_t top = ((uintptr_t)base + size) & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)top - 7;

	/* popped by x_ctx_swap: r15, r14, r13, r12, rbx, rbp; then its return address */
	sp[0] = 0;
	sp[1] = 0;
	sp[2] = (uint64_t)(uintptr_t)thread_main;
	sp[3] = (uint64_t)(uintptr_t)x;
	sp[4] = 0;
	sp[5] = 0;
	sp[6] = (uint64_t)(uintptr_t)x_ctx_start;	/* %rsp is 16-aligned after its ret */
	c->sp = sp;
}

static void ctx_swap(struct xctx *from, struct xctx *to)
{
	x_ctx_swap(from, to);
}
#else
static void trampoline(unsigned int hi, unsigned int lo)
{
	thread_main((struct xeng *)(uintptr_t)(((uint64_t)hi << 32) | (uint64_t)lo));
}

static void ctx_make(struct xctx *c, char *base, size_t size, struct xeng *x)
{
	uintptr_t self = (uintptr_t)x;

	getcontext(&c->uc);
	c->uc.uc_stack.ss_sp = base;
	c->uc.uc_stack.ss_size = size;
	c->uc.uc_link = NULL;
	makecontext(&c->uc, (void (*)(void))trampoline, 2,
		    (unsigned int)((uint64_t)self >> 32), (unsigned int)(self & 0xffffffffu));
}

static void ctx_swap(struct xctx *from, struct xctx *to)
{
	swapcontext(&from->uc, &to->uc);
}
#endif

static void switch_to(struct xeng *x, struct xctx *from, int next, bool dying)
{
	struct xctx *to;
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
	ctx_swap(from, to);
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
_Noreturn void x_oom(struct world *w, void *arg)
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

/* A thread's coroutine: runs its model thread, then hands over for good. */
static void thread_main(struct xeng *x)
{
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

int eng_init(struct xeng *x, const struct pl_explore_spec *spec, size_t stack_size)
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

void eng_fini(struct xeng *x)
{
	for (int t = 0; t < x->nt; t++) {
		free(x->th[t].stack);
#ifdef PL_X_TSAN
		if (x->th[t].fiber)
			__tsan_destroy_fiber(x->th[t].fiber);
#endif
	}
	/* a world left by a run that could not start, the spare, the base */
	pl_world_free(x->w);
	pl_world_free(x->spare);
	pl_world_free(x->base);
	free(x->nodes);
	free(x->ids.keys);
	free(x->ids.vals);
	free(x->ids.gens);
	memset(x, 0, sizeof(*x));
}

bool spec_ok(const struct pl_explore_spec *spec)
{
	if (!spec || !spec->setup || spec->nr_threads < 1 || spec->nr_threads > MAXT ||
	    !spec->snapshot != !spec->restore)
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
bool run_once(struct xeng *x)
{
	const struct pl_explore_spec *sp = x->spec;
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
	if (x->w)
		world_drop(x);	/* left by a run that could not start */
	if (x->use_base) {
		/* the set-up runs once; every schedule starts on a copy of its world */
		if (!x->base) {
			x->base = sp->setup(sp->arg);
			if (!x->base || !sp->snapshot(sp->arg))
				return false;
		}
		w = x->spare;
		x->spare = NULL;
		if (w)
			pl_world_copy_into(w, x->base);
		else
			w = pl_world_clone(x->base);
		x->w = w;
		if (!sp->restore(sp->arg, w))
			return false;
	} else {
		w = sp->setup(sp->arg);
		x->w = w;
		if (!w)
			return false;
	}
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

		ctx_make(&th->ctx, th->stack, x->stack_size, x);
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
enum pl_verdict evaluate(struct xeng *x, bool world_check, char *why, size_t len,
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

void world_drop(struct xeng *x)
{
	if (x->use_base && !x->spare && x->w) {
		/* released by the next schedule's copy into it */
		x->spare = x->w;
		x->w = NULL;
		return;
	}
	pl_world_free(x->w);
	x->w = NULL;
}

/* The run just made as a schedule: runs up to the last non-default choice. */
struct pl_sched *sched_from_run(const struct xeng *x)
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
