/*
 * exec_call.c - the executor's calls into the backend (exec_internal.h):
 * one operation with the run's limits (--max-steps, --max-time,
 * --max-procs, --max-pages) counted, a set-up operation traced as its own
 * unit, and the runtime values of a step's operands (pids, ids, ranges).
 */
#include "lang/exec_internal.h"

/* ---------------------------------------------------------------------------
 * Backend calls.
 */
struct pl_bstep x_bstep(const struct exec *x, int op, int pid)
{
	struct pl_bstep b;

	memset(&b, 0, sizeof(b));
	b.op = op;
	b.step = x->at.step;
	b.pid = pid;
	b.file = -1;
	b.thread = x->at.src && !x->at.setup ? ((const struct pl_step *)x->at.src)->thread + 1 : 0;
	return b;
}

uint64_t x_max(uint64_t v, uint64_t dflt)
{
	return v ? v : dflt;
}

/* Stop the run at a limit: the first one reached is the one reported. */
__attribute__((format(printf, 2, 3)))
static void x_limit(struct exec *x, const char *fmt, ...)
{
	char what[X_TEXT / 2];
	va_list ap;

	if (x->limit[0])
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(x->limit, sizeof(x->limit), "step %d (line %d): %s", x->at.step, x->at.line,
		 what);
}

/* Count one executed step or set-up operation; false once past --max-steps. */
bool x_count_op(struct exec *x)
{
	uint64_t max = x_max(x->o->max_steps, PL_EXEC_MAX_STEPS_DEFAULT);

	if (x->limit[0])
		return false;
	if (++x->nr_ops > max) {
		x_limit(x, "more than %llu steps (--max-steps %llu)", (unsigned long long)max,
			(unsigned long long)max);
		return false;
	}
	if (x->o->stop && x->o->stop()) {
		x_limit(x, "interrupted");
		return false;
	}
	{
		uint64_t max_ms = x_max(x->o->max_ms, PL_EXEC_MAX_MS_DEFAULT), ms;
		struct timespec now;

		clock_gettime(PL_EXEC_CLOCK, &now);
		ms = (uint64_t)(now.tv_sec - x->t0.tv_sec) * 1000 +
		     (uint64_t)((now.tv_nsec - x->t0.tv_nsec) / 1000000);
		if (ms > max_ms) {
			x_limit(x, "more than %llu ms (--max-time %.3g)", (unsigned long long)max_ms,
				(double)max_ms / 1000);
			return false;
		}
	}
	return true;
}

long x_call(struct exec *x, const struct pl_bstep *b, struct pl_bresult *r)
{
	struct pl_bresult scratch, *res = r ? r : &scratch;
	uint64_t max_procs = x_max(x->o->max_procs, PL_EXEC_MAX_PROCS_DEFAULT);
	struct world *w;
	long ret;

	if ((b->op == PL_OP_PROCESS || b->op == PL_OP_FORK) && ++x->nr_procs > max_procs) {
		x_limit(x, "more than %llu processes (--max-procs %llu)",
			(unsigned long long)max_procs, (unsigned long long)max_procs);
		return -E2BIG;
	}
	ret = x->be->step(x->be, b, res);

	if (ret == -PL_BSKIP && !x->skip[0])
		snprintf(x->skip, sizeof(x->skip), "%s", res->text ? res->text : "skipped");
	w = x->be->world ? x->be->world(x->be) : NULL;
	if (w && w->oom)
		x->oom = true;	/* the model's memmap could not grow: the run ends, -ENOMEM */
	if (w && w->max_pages_hit)
		x_limit(x, "more than %llu pages of modelled memory (--max-pages %llu)",
			(unsigned long long)w->max_pages, (unsigned long long)w->max_pages);
	return ret;
}

/*
 * A set-up operation: traced as its own unit under the current step, and
 * run.  A failure is the step's failure (refused): the memory is not what
 * the selftest would test.  The invariant checker runs after the whole
 * set-up (x_setup_world, x_transform) or after the step it belongs to.
 */
__attribute__((format(printf, 4, 5)))
long x_setup(struct exec *x, const struct pl_bstep *b, struct pl_bresult *r,
	     const char *fmt, ...)
{
	struct pl_exec_point saved = x->at;
	char text[X_TEXT], e[32];
	const struct pl_preset *pp;
	va_list ap;
	long ret;
	int nb;

	if (!x_count_op(x))
		return -E2BIG;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	x->at.setup = true;
	x->at.text = text;
	x->at.note = NULL;
	x->at.ret = 0;
	nb = x_begin(x);
	ret = x_call(x, b, r);
	x_at_ret(x, ret);
	x_end(x, nb, !x->in_step);
	if (ret == -EINVAL && b->op == PL_OP_MADVISE && (pp = pl_preset_find(x->o->preset)) &&
	    !pl_policy_madvise_known(&pp->policy, (enum pl_madv)b->arg)) {
		/*
		 * The backing's set-up needs advice this release does not have
		 * (MADV_PAGEOUT before 5.4, MADV_POPULATE_* before 5.14): the
		 * kselftests skip such a case; a scenario's own madvise step is
		 * refused with EINVAL as usual.
		 */
		if (!x->skip[0])
			snprintf(x->skip, sizeof(x->skip),
				 "%.120s: MADV_%s does not exist in this release", text,
				 pl_word_name(pl_madv_words, (int)b->arg));
	} else if (ret < 0) {
		x_step_failed(x, PL_OUT_REFUSED, "%s failed: %s", text,
			      pl_errno_name((int)-ret, e, sizeof(e)));
	}
	x->at = saved;
	return ret;
}

/* ---------------------------------------------------------------------------
 * Resolving operands.
 */
bool x_live(const struct exec *x, const struct pl_ref *r)
{
	return r->sym >= 0 && x->sym[r->sym].live;
}

int x_id(const struct exec *x, const struct pl_ref *r)
{
	return x->sym[r->sym].id;
}

/*
 * A mapping range: whole references mean the selftest's range in
 * memory-management operations (mm_op), the scenario's pages otherwise.
 */
void x_range(const struct exec *x, const struct pl_ref *r, bool mm_op, pl_addr *addr,
	     uint32_t *nr)
{
	const struct xsym *m = &x->sym[r->sym];
	uint32_t size = mm_op ? m->whole : m->pages;
	uint32_t lo = r->indexed ? r->lo : 0;

	if (!r->indexed)
		*nr = size;
	else if (r->open && mm_op)
		*nr = size > lo ? size - lo : 1;
	else
		*nr = r->hi - r->lo + 1;
	*addr = m->addr + (pl_addr)lo * PAGE_SIZE;
}

/* A handle or file range: [lo, hi] as resolved by the checker. */
uint32_t x_count(const struct pl_ref *r)
{
	return r->hi - r->lo + 1;
}

/* `M[i]+OFF [len N]`: the byte range of a one-page operand. */
void x_bytes(struct pl_bstep *b, const struct pl_ref *r)
{
	if (!r->bytes)
		return;
	b->flags |= PL_BSTEP_BYTES;
	b->boff = r->off;
	b->blen = r->has_len ? r->len : 0;
	b->nr = 1;
}

int x_owner_pid(const struct exec *x, int mapping_sym)
{
	int owner = x->sc->syms[mapping_sym].owner;

	return owner >= 0 && x->sym[owner].live ? x->sym[owner].id : 0;
}
