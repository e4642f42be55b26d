/*
 * exec_step.c - one step (exec_internal.h): its operands checked for
 * values, the operation dispatched by its form (pinlab/ops.def; only the
 * operations of form OWN have code of their own here), the result judged
 * against `fails [ERRNO]`, the checker run after it.
 */
#include "lang/exec_internal.h"

/* ---------------------------------------------------------------------------
 * Steps.
 */
static void x_define(struct exec *x, const struct pl_step *s, int id)
{
	if (s->def.sym >= 0 && !(s->flags & PL_STEP_FAILS)) {
		x->sym[s->def.sym].live = true;
		x->sym[s->def.sym].id = id;
	}
}

static long x_fork(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, PL_OP_FORK, pid);
	struct pl_bresult r;
	long ret = x_call(x, &b, &r);

	if (ret < 0 || (s->flags & PL_STEP_FAILS))
		return ret;
	x_define(x, s, r.id);
	for (int i = 0; i < s->nr_inherit; i++) {
		const struct xsym *parent = &x->sym[s->inherit[2 * i]];
		struct xsym *child = &x->sym[s->inherit[2 * i + 1]];

		*child = *parent;
		child->zero_fill = false;
	}
	return 0;
}

static long x_mremap(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, PL_OP_MREMAP, pid);
	struct xsym *m = &x->sym[s->a.sym], *d;
	uint32_t pages = (uint32_t)s->n, whole = pages;
	struct pl_bresult r;
	long ret;

	x_range(x, &s->a, true, &b.addr, &b.nr);
	/* resizing a whole matrix mapping keeps what the backing added beyond its pages */
	if (!s->a.indexed && m->whole > m->pages)
		whole = m->whole - m->pages + pages;
	b.n = (uint64_t)whole * PAGE_SIZE;
	b.flags = s->flags & (PL_STEP_MOVE | PL_STEP_DONTUNMAP);
	if (s->b.name) {	/* `to M[i]`: MREMAP_FIXED at that page's address */
		uint32_t nr;

		x_range(x, &s->b, false, &b.new_addr, &nr);
	}
	ret = x_call(x, &b, &r);
	if (ret < 0 || (s->flags & PL_STEP_FAILS))
		return ret;
	d = s->def.sym >= 0 ? &x->sym[s->def.sym] : m;
	if (d != m)
		*d = *m;
	d->live = true;
	d->addr = r.addr;
	d->pages = pages;
	d->whole = s->a.indexed ? pages : whole;
	return 0;
}

/* A write or read of a mapping, a file or (read) a pipe. */
static long x_rw(struct exec *x, const struct pl_step *s, int pid)
{
	const struct pl_sym *y = &x->sc->syms[s->a.sym];
	struct pl_bstep b = x_bstep(x, s->op, pid);

	b.text = s->flags & PL_STEP_ZERO ? NULL : s->str;
	switch (y->kind) {
	case PL_SYM_MAPPING:
		x_range(x, &s->a, false, &b.addr, &b.nr);
		x_bytes(&b, &s->a);
		if (s->op == PL_OP_WRITE && x->sym[s->a.sym].zero_fill) {
			/* zeropage backings: the fill faults the pages in for reading */
			b.op = PL_OP_READ;
			x_setup(x, &b, NULL, "%s: a read fault instead of the write", s->a.name);
			return 0;
		}
		break;
	case PL_SYM_FILE:
		b.file = x_id(x, &s->a);
		b.index = s->a.lo;
		b.nr = x_count(&s->a);
		break;
	default:	/* a pipe: n bytes (a write: the value's, `zero` a page; a read: a page) */
		b.handle = x_id(x, &s->a);
		b.nr = 1;
		b.n = s->flags & PL_STEP_LEN ? s->n : s->op == PL_OP_READ || !b.text ? PAGE_SIZE :
		      strlen(b.text);
		break;
	}
	return x_call(x, &b, NULL);
}

static long x_vmsplice(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, PL_OP_VMSPLICE, pid);

	if (s->b.sym >= 0 && !x->sym[s->b.sym].live) {
		struct pl_bstep p = x_bstep(x, PL_OP_PIPE, pid);
		struct pl_bresult r;

		if (x_setup(x, &p, &r, "%s = pipe()", s->b.name) < 0)
			return 0;
		x->sym[s->b.sym].live = true;
		x->sym[s->b.sym].id = r.id;
	}
	x_range(x, &s->a, false, &b.addr, &b.nr);
	x_bytes(&b, &s->a);
	b.handle = x_id(x, &s->b);
	return x_call(x, &b, NULL);
}

/* Operations that create a handle over the pages of a mapping. */
static long x_pinner(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, s->op, pid);
	struct pl_bresult r;
	long ret;

	b.prot = s->prot;
	b.gup_flags = s->gup_flags;
	b.flags = s->flags & (PL_STEP_FAST | PL_STEP_ODP);
	if (s->op == PL_OP_GUP)
		b.n = s->n;	/* times: the calls, each holding its references */
	switch (s->op) {
	case PL_OP_DIO_READ:	/* file a -> memory b */
		b.file = x_id(x, &s->a);
		b.index = s->a.lo;
		b.file_off = s->a.off;
		x_range(x, &s->b, false, &b.addr, &b.nr);
		x_bytes(&b, &s->b);
		break;
	case PL_OP_DIO_WRITE:	/* memory a -> file b */
		b.file = x_id(x, &s->b);
		b.index = s->b.lo;
		b.file_off = s->b.off;
		x_range(x, &s->a, false, &b.addr, &b.nr);
		x_bytes(&b, &s->a);
		break;
	default:
		x_range(x, &s->a, false, &b.addr, &b.nr);
		break;
	}
	ret = x_call(x, &b, &r);
	if (ret >= 0)
		x_define(x, s, r.id);
	return ret;
}

/* Steps on a handle alone, or a handle and a file. */
static long x_handle_op(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, s->op, pid);

	switch (s->op) {
	case PL_OP_IOURING_WRITE_FIXED:	/* ring a -> file b */
		b.handle = x_id(x, &s->a);
		b.file = x_id(x, &s->b);
		b.index = s->b.lo;
		break;
	case PL_OP_IOURING_READ_FIXED:	/* file a -> ring b */
	case PL_OP_SPLICE:		/* file a -> pipe b, n bytes */
		b.file = x_id(x, &s->a);
		b.index = s->a.lo;
		b.handle = x_id(x, &s->b);
		b.n = s->flags & PL_STEP_LEN ? s->n : PAGE_SIZE;
		break;
	case PL_OP_DMA_WRITE:
		b.handle = x_id(x, &s->a);
		b.page = s->a.lo;
		b.nr = x_count(&s->a);
		b.text = s->flags & PL_STEP_ZERO ? NULL : s->str;
		break;
	default:
		b.handle = x_id(x, &s->a);
		break;
	}
	return x_call(x, &b, NULL);
}

/* Steps on a file (or pages of it). */
static long x_file_op(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, s->op, pid);

	b.file = x_id(x, &s->a);
	b.index = s->a.lo;
	b.nr = x_count(&s->a);
	b.n = s->n;
	b.arg = s->arg;
	b.text = s->flags & PL_STEP_ZERO ? NULL : s->str;
	if (s->op == PL_OP_WRITEBACK && !s->a.indexed)
		b.flags |= PL_BSTEP_WHOLE_FILE;
	return x_call(x, &b, NULL);
}

/* Steps on a range of the actor's (or the target's) mapping. */
static long x_range_op(struct exec *x, const struct pl_step *s, int pid, bool mm_op)
{
	struct pl_bstep b = x_bstep(x, s->op, pid);

	x_range(x, &s->a, mm_op, &b.addr, &b.nr);
	b.prot = s->prot;
	b.arg = s->arg;
	b.text = s->flags & PL_STEP_ZERO ? NULL : s->str;
	if (s->target.sym >= 0)
		b.target = x_id(x, &s->target);
	return x_call(x, &b, NULL);
}

/* ---------------------------------------------------------------------------
 * One step.
 */

/* Every operand the step names has a value (else the step cannot run). */
static const char *x_missing(const struct exec *x, const struct pl_step *s)
{
	const struct pl_ref *refs[] = { &s->actor, &s->a, &s->target, &s->b };

	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		const struct pl_ref *r = refs[i];

		if (!r->name || r->sym < 0)
			continue;
		/* vmsplice creates its pipe; mmap's a is a file (checked like the rest) */
		if (r == &s->b && s->op == PL_OP_VMSPLICE)
			continue;
		if (!x_live(x, r))
			return r->name;
	}
	return NULL;
}

static long x_dispatch(struct exec *x, const struct pl_step *s, int pid)
{
	struct pl_bstep b = x_bstep(x, s->op, pid);
	struct pl_bresult r;
	long ret;

	switch (pl_op_form(s->op)) {
	case PL_FORM_PLAIN:
		b.n = s->n;
		b.arg = s->arg;
		return x_call(x, &b, NULL);
	case PL_FORM_RANGE:
		return x_range_op(x, s, pid, true);
	case PL_FORM_PAGES:
		return x_range_op(x, s, pid, false);
	case PL_FORM_FILE:
		return x_file_op(x, s, pid);
	case PL_FORM_CREATE:
		ret = x_call(x, &b, &r);
		if (ret >= 0)
			x_define(x, s, r.id);
		return ret;
	case PL_FORM_HANDLE:
		return x_pinner(x, s, pid);
	case PL_FORM_RELEASE:
		return x_handle_op(x, s, pid);
	case PL_FORM_OWN:
		break;
	}
	/* the operations of form OWN (pinlab/ops.def) */
	switch (s->op) {
	case PL_OP_UDMABUF_CREATE:
		b.file = x_id(x, &s->a);
		b.index = s->a.lo;
		b.nr = x_count(&s->a);
		ret = x_call(x, &b, &r);
		if (ret >= 0)
			x_define(x, s, r.id);
		return ret;
	case PL_OP_PROCESS:
	case PL_OP_FILE:
		b.arg = s->arg;
		b.n = s->n;
		b.text = s->str;
		b.prot = s->prot;	/* PROT_READ: `ro`, the fd is O_RDONLY */
		ret = x_call(x, &b, &r);
		if (ret >= 0)
			x_define(x, s, r.id);
		return ret;
	case PL_OP_EXIT:
		b.n = s->n;
		b.arg = s->arg;
		return x_call(x, &b, NULL);
	case PL_OP_MMAP:
		return x_mmap(x, s, pid);
	case PL_OP_MUNMAP:
		return x_range_op(x, s, pid, true);
	case PL_OP_MREMAP:
		return x_mremap(x, s, pid);
	case PL_OP_FORK:
		return x_fork(x, s, pid);
	case PL_OP_WRITE:
	case PL_OP_READ:
		return x_rw(x, s, pid);
	case PL_OP_TRUNCATE:
	case PL_OP_SEAL:
		return x_file_op(x, s, pid);
	case PL_OP_VMSPLICE:
		return x_vmsplice(x, s, pid);
	case PL_OP_DIO_READ:
	case PL_OP_DIO_WRITE:
		return x_pinner(x, s, pid);
	case PL_OP_IOURING_WRITE_FIXED:
	case PL_OP_IOURING_READ_FIXED:
	case PL_OP_DMA_WRITE:
	case PL_OP_SPLICE:
		return x_handle_op(x, s, pid);
	case PL_OP_PROC_MEM_WRITE:
	case PL_OP_PROCESS_VM_WRITEV:
	case PL_OP_PTRACE_POKE:
		return x_range_op(x, s, pid, false);
	case PL_OP_CHECK_VALUE:
		x_check_value(x, s, pid);
		return 0;
	case PL_OP_CHECK_PROP:
	case PL_OP_CHECK_COUNT:
		x_check_page(x, s, pid);
		return 0;
	case PL_OP_CHECK_INVARIANTS:
		x_check_invariants(x, s);
		return 0;
	case PL_OP_SHOW:
		x_show(x, s);
		return 0;
	default:	/* the forms above */
		break;
	}
	return -EINVAL;
}

/* Did the step do what it promised (`fails [ERRNO]` or nothing)? */
static void x_judge(struct exec *x, const struct pl_step *s, long ret)
{
	enum pl_outcome cls = s->has_cls ? s->cls : PL_OUT_REFUSED;
	char e1[32], e2[32];

	if (!(s->flags & PL_STEP_FAILS)) {
		if (ret < 0 && ret != -PL_BSKIP && !(s->flags & PL_STEP_MAY_FAIL)) {
			x_step_failed(x, PL_OUT_REFUSED, "failed with %s",
				      pl_errno_name((int)-ret, e1, sizeof(e1)));
			/* `expect refused`: the run ends with this failure */
			if (s->flags & PL_STEP_STOP)
				x->stopped = true;
		}
		return;
	}
	if (ret >= 0)
		x_step_failed(x, cls, "succeeded, but should have failed%s%s",
			      s->err ? " with " : "",
			      s->err ? pl_errno_name(s->err, e1, sizeof(e1)) : "");
	else if (s->err && -ret != s->err)
		x_step_failed(x, cls, "failed with %s instead of %s",
			      pl_errno_name((int)-ret, e1, sizeof(e1)),
			      pl_errno_name(s->err, e2, sizeof(e2)));
}

void x_step(struct exec *x, int i)
{
	const struct pl_step *s = &x->sc->steps[i];
	const char *missing = x_missing(x, s);
	int pid = 0, nb;
	long ret = 0;
	char note[160];

	x->at = (struct pl_exec_point){ .step = i + 1 };
	x_at_step(x, s);
	if (!x_count_op(x))
		return;
	x->in_step = true;
	nb = x_begin(x);
	if (missing) {
		snprintf(note, sizeof(note), "not run: '%s' was not created", missing);
		x->at.note = note;
	} else {
		if (s->actor.sym >= 0)
			pid = x_id(x, &s->actor);
		ret = x_dispatch(x, s, pid);
		x_at_ret(x, ret);
		x_judge(x, s, ret);
		x->res->steps++;
	}
	x_end(x, nb, true);
	x->in_step = false;
	if (x->racing)
		return;
	if (missing || s->op != PL_OP_CHECK_INVARIANTS)	/* that one just ran the checker */
		x_collect(x);
}

/* Steps [from, to), with the transform of a matrix mapping after its fill. */
void x_run_steps(struct exec *x, int from, int to)
{
	for (int i = from; i < to && !x->skip[0] && !x->limit[0] && !x->oom && !x->stopped; i++) {
		if (x->tf_sym >= 0 && !x_is_fill(x, &x->sc->steps[i]))
			x_transform(x);
		x_step(x, i);
	}
}
