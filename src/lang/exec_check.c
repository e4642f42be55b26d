/*
 * exec_check.c - the check steps (exec_internal.h): check value (user
 * memory, another process's, a file, the disk, a pipe, a handle's pages),
 * check prop/count page by page, check invariants, and show.  A failed
 * check is recorded with the step's class (default: invariant).
 */
#include "lang/exec_internal.h"

/* ---------------------------------------------------------------------------
 * Checks.
 */
static enum pl_outcome x_cls(const struct pl_step *s)
{
	return s->has_cls ? s->cls : PL_OUT_INVARIANT;
}

static const char *x_src_what(enum pl_src src)
{
	switch (src) {
	case PL_SRC_DMA:
		return "the device read";
	case PL_SRC_DISK:
		return "the disk holds";
	case PL_SRC_PIPE:
		return "the pipe gave";
	default:
		return "read";
	}
}

/* The backend call reading one source of a value check, and its page count. */
static uint32_t x_source(struct exec *x, struct pl_bstep *b, enum pl_src src,
			 const struct pl_ref *target, const struct pl_ref *r)
{
	uint32_t nr = 1;

	b->src = src;
	switch (src) {
	case PL_SRC_USER:
		x_range(x, r, false, &b->addr, &nr);
		break;
	case PL_SRC_PROC_MEM:
	case PL_SRC_VM_READV:
		b->target = x_id(x, target);
		x_range(x, r, false, &b->addr, &nr);
		break;
	case PL_SRC_PIPE:
		b->handle = x_id(x, r);
		break;
	case PL_SRC_FILE:
	case PL_SRC_DISK:
		b->file = x_id(x, r);
		b->index = r->lo;
		nr = x_count(r);
		break;
	default:	/* a handle's pages */
		b->handle = x_id(x, r);
		b->page = r->lo;
		nr = x_count(r);
		break;
	}
	x_bytes(b, r);
	return r->bytes ? 1 : nr;
}

static void x_where(char *where, size_t len, const struct pl_step *s, enum pl_src src,
		    const struct pl_ref *r, uint32_t at)
{
	if (src == PL_SRC_PIPE)
		snprintf(where, len, "from %s", r->name);
	else if (r->bytes)
		snprintf(where, len, "at %s[%u]+%u", r->name, at, r->off);
	else
		snprintf(where, len, "at %s[%u]", r->name, at);
	(void)s;
}

/*
 * One read of a check (CHECK_VALUE step @b) into @out; a failed read fails
 * the check, naming the source @ref it read.  Return: false if it failed.
 */
static bool x_check_read(struct exec *x, const struct pl_step *s, struct pl_bstep *b,
			 enum pl_src src, const struct pl_ref *ref, char *out, size_t len)
{
	struct pl_bresult r;
	char e[32];
	long ret = x_call(x, b, &r);

	if (ret < 0) {
		x_check_failed(x, x_cls(s), "the read %s %s failed: %s",
			       src == PL_SRC_PIPE ? "from" : "of", ref->name,
			       pl_errno_name((int)-ret, e, sizeof(e)));
		return false;
	}
	snprintf(out, len, "%s", r.text ? r.text : "");
	return true;
}

void x_check_value(struct exec *x, const struct pl_step *s, int pid)
{
	const char *want = s->flags & PL_STEP_ZERO ? "" : s->str;
	bool ne = s->flags & PL_STEP_NE, cmp = s->flags & PL_STEP_CMP;
	struct pl_bstep b = x_bstep(x, PL_OP_CHECK_VALUE, pid);
	struct pl_bstep b2 = x_bstep(x, PL_OP_CHECK_VALUE, pid);
	char other[PAGE_SIZE + 1], pattern[PL_BYTES_SHOW_MAX], seen[PAGE_SIZE + 1];
	uint32_t nr;

	nr = x_source(x, &b, s->src, &s->target, &s->a);
	if (cmp) {
		if (s->actor2.sym >= 0)
			b2.pid = x_id(x, &s->actor2);
		x_source(x, &b2, s->src2, &s->target2, &s->b);
	} else if (s->a.has_len) {
		/* `+OFF len N == VALUE`: the value repeated over the N bytes */
		char buf[PAGE_SIZE];

		pl_bytes_fill(buf, s->a.len, want);
		pl_bytes_show(buf, s->a.len, pattern, sizeof(pattern));
		want = pattern;
	}
	for (uint32_t i = 0; i < nr; i++) {
		uint32_t at = s->a.lo + i;
		bool same;

		if (!x_check_read(x, s, &b, s->src, &s->a, seen, sizeof(seen)))
			return;
		if (cmp) {
			if (!x_check_read(x, s, &b2, s->src2, &s->b, other, sizeof(other)))
				return;
			want = other;
		}
		same = !strcmp(seen, want);
		if (same == ne) {
			char where[96], where2[96];

			x_where(where, sizeof(where), s, s->src, &s->a, at);
			if (cmp) {
				x_where(where2, sizeof(where2), s, s->src2, &s->b, s->b.lo + i);
				x_check_failed(x, x_cls(s), "%s \"%s\" %s, %s \"%s\" %s%s",
					       x_src_what(s->src), seen, where,
					       x_src_what(s->src2), want, where2,
					       ne ? ", expected them to differ" : "");
			} else {
				x_check_failed(x, x_cls(s), "%s \"%s\" %s%s", x_src_what(s->src),
					       seen, where,
					       ne ? ", expected anything else" : "");
			}
			return;
		}
		b.addr += PAGE_SIZE;
		b.page++;
		b.index++;
		b2.addr += PAGE_SIZE;
		b2.page++;
		b2.index++;
	}
}

void x_check_page(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, s->op, pid);
	uint32_t nr;
	char e[32];

	bool same = s->op == PL_OP_CHECK_PROP && s->arg == PL_PROP_SAME_PAGE;

	b.arg = s->arg;
	x_range(x, &s->a, false, &b.addr, &nr);
	if (same) {
		uint32_t nr_b;

		/* page i of a against page i of the target's b, in new_addr */
		b.target = x_id(x, &s->target);
		x_range(x, &s->b, false, &b.new_addr, &nr_b);
		if (nr_b != nr) {
			x_check_failed(x, x_cls(s), "same-page: %s has %u pages, %s %u", s->a.name,
				       nr, s->b.name, nr_b);
			return;
		}
	}
	for (uint32_t i = 0; i < nr; i++, b.addr += PAGE_SIZE, b.new_addr += same ? PAGE_SIZE : 0) {
		struct pl_bresult r;
		uint32_t at = (s->a.indexed ? s->a.lo : 0) + i;
		long ret = x_call(x, &b, &r);

		if (ret < 0) {
			x_check_failed(x, x_cls(s), "no page to look at in %s[%u]: %s", s->a.name,
				       at, pl_errno_name((int)-ret, e, sizeof(e)));
			return;
		}
		if (s->op == PL_OP_CHECK_PROP && r.prop == !!(s->flags & PL_STEP_NOT)) {
			if (same)
				x_check_failed(x, x_cls(s), "%s[%u] is %ssame-page %s %s[%u]",
					       s->a.name, at, r.prop ? "" : "not ", s->target.name,
					       s->b.name, (s->b.indexed ? s->b.lo : 0) + i);
			else
				x_check_failed(x, x_cls(s), "%s[%u] is %s%s", s->a.name, at,
					       r.prop ? "" : "not ",
					       pl_word_name(pl_prop_words, s->arg));
			return;
		}
		if (s->op == PL_OP_CHECK_COUNT &&
		    ((uint64_t)r.count == s->n) == !!(s->flags & PL_STEP_NE)) {
			x_check_failed(x, x_cls(s), "%s of %s[%u] is %ld",
				       pl_word_name(pl_count_words, s->arg), s->a.name, at,
				       r.count);
			return;
		}
	}
}

void x_check_invariants(struct exec *x, const struct pl_step *s)
{
	const struct pl_result *r = x->res;

	x_collect(x);
	if (x->oom || !r->nr_violations_total)
		return;		/* out of memory: the run ends with -ENOMEM */
	x_check_failed(x, x_cls(s), "%d violation%s, the first: %s at step %d: %s",
		       r->nr_violations_total, r->nr_violations_total == 1 ? "" : "s",
		       r->violations[0].invariant, r->violations[0].step,
		       r->violations[0].detail);
}

void x_show(struct exec *x, const struct pl_step *s)
{
	struct pl_show_req req = { NULL, PL_SYM_PROCESS, 0 };

	if (!x->h->show)
		return;
	if (s->a.sym >= 0) {
		req.name = s->a.name;
		req.kind = x->sc->syms[s->a.sym].kind;
		req.id = x_id(x, &s->a);
	}
	x->h->show(x->h->arg, x->be, &req);
}
