/*
 * exec.c - the executor.  See exec.h for the interface and the outcome
 * rules; docs/scenario-language.md ("Matrix semantics") for what each
 * backing means.
 *
 * One run is a walk over sc->steps[] in order:
 *
 *	set-up        mTHP size, swap device, hugetlb pool      (before step 1)
 *	for each step
 *	    transform   if a matrix mapping's set-up phase just ended
 *	    resolve     symbols -> pids, addresses, file ids, handles
 *	    do          one or more backend operations
 *	    classify    check failed? step failed? `fails` kept?
 *	    check       the backend's invariant checker (checked mode)
 *
 * Runtime values live in x->sym[], parallel to sc->syms: a pid per
 * process, an address and a size per mapping, an id per file and per
 * handle.  A symbol whose creating step failed has no value; steps using it
 * are not run (they report "not run" and do not decide the outcome).
 *
 * Matrix mappings.  An mmap without an explicit backing takes the run's;
 * the set-up phase of such a mapping is the mmap plus the writes to it by
 * its owner that follow at once (the "fill").  When the next step is
 * anything else, the backing's transform runs, exactly as the kernel's
 * cow.c prepares its memory:
 *
 *	swapped, thp-swapped	MADV_PAGEOUT
 *	thp-pte (2048k)		mprotect(page 1, R) and back: splits the PMD mapping
 *	thp-pte-swapped		the same, then MADV_PAGEOUT
 *	thp-single-pte[-swapped] MADV_DONTNEED of all but page 0 [+ MADV_PAGEOUT of it]
 *	thp-mremap		the upper half moved onto a fresh PROT_NONE area
 *	thp-partial-shared	MADV_DONTFORK of all but page 0, fork a child that exits,
 *				MADV_DOFORK
 *	zeropage, huge-zeropage	read faults (the fill's writes become reads)
 *	ksm			MADV_MERGEABLE, one ksmd scan
 *
 * A THP backing of size S gives a mapping of N pages an S-aligned region of
 * max(S, N) pages; page 0 is the THP's first page.  A reference to the
 * whole mapping (no index) means the range the selftest works on (the whole
 * THP, its lower half for thp-mremap, one page for thp-single-pte, the
 * whole huge page for hugetlb) in memory-management operations (munmap,
 * mprotect, madvise, mremap); data operations (write, read, pins, checks)
 * touch the scenario's N pages.
 *
 * Over 900 lines: one struct exec threads through every part.  The seams
 * are the backing set-up ("Backings") and the races ("Races"): each can
 * move to a file of its own once the helpers they share (x_bstep, x_call,
 * x_setup, x_id, x_range) have an internal header.
 */
#include "lang/exec.h"

#include "lang/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define X_TEXT 320

/* The runtime value of one symbol. */
struct xsym {
	bool live;		/* has a value (its creating step succeeded) */
	int id;			/* pid, file id or handle */
	pl_addr addr;		/* mapping: page 0 */
	uint32_t pages;		/* mapping: the scenario's pages */
	uint32_t whole;		/* mapping: pages a whole reference covers */
	int prot;		/* mapping: as mapped */
	bool zero_fill;		/* mapping: in a zeropage set-up phase, writes become reads */
};

struct xvkey {
	const char *invariant;
	int pid;
	uint64_t addr;
	uint32_t pfn;
};

struct exec {
	const struct pl_scenario *sc;
	struct pl_backend *be;
	const struct pl_exec_opts *o;
	const struct pl_exec_hooks *h;	/* never NULL (a zeroed struct when none) */
	int backing;			/* the run's, index into pl_backings() */
	struct xsym *sym;
	int *bk_file;			/* by backing index: the run's shared file, 0 = none yet */
	uint32_t *bk_pages;		/* by backing index: the largest mmap of it */
	int nr_bk;
	struct pl_exec_point at;	/* where we are, for hooks */
	bool in_step;			/* a scenario step is running (set-up ops nest in it) */
	/* the mapping whose set-up phase is open */
	int tf_sym, tf_bk, tf_step;
	/* the outcome */
	int check_step;
	enum pl_outcome check_cls;
	char check_detail[X_TEXT];
	int fail_step;
	enum pl_outcome fail_cls;
	char fail_detail[X_TEXT];
	/* violations: consumed from the backend, de-duplicated */
	int seen;
	struct xvkey *vkeys;
	int nr_vkeys, cap_vkeys;
	struct pl_result *res;
	/* folio snapshots for --trace */
	struct pl_folio_state *fb, *fa;
	int cap_fb, cap_fa;
	struct pl_folio_change *changes;
	int cap_changes;
	bool oom;
	/* limits: operations run so far; why the run stopped at one ("" = it did not) */
	uint64_t nr_ops;
	uint64_t nr_procs;		/* processes created (--max-procs) */
	struct timespec t0;		/* when the run began (--max-time) */
	char limit[X_TEXT];
	/*
	 * The steps of a parallel group run as explorer threads: no invariant
	 * checker between steps (another thread may be inside an operation),
	 * no set-up transforms.
	 */
	bool racing;
	/* the backend could not do a step here (-PL_BSKIP): the reason; "" = none */
	char skip[200];
};

static const struct pl_exec_hooks x_no_hooks;

const char *pl_errno_name(int err, char *buf, size_t size)
{
	const char *n = pl_word_name(pl_errno_words, err);

	if (strcmp(n, "?"))
		return n;
	snprintf(buf, size, "errno %d", err);
	return buf;
}

/* snprintf() that may cut: details are for people, and long strings are cut short. */
__attribute__((format(printf, 3, 4)))
static void x_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* The canonical text of a step, as pl_step_print() writes it; sets x->oom if it cannot. */
static const char *x_step_text(struct exec *x, const struct pl_step *s, char *buf, size_t size)
{
	FILE *f;

	memset(buf, 0, size);
	f = fmemopen(buf, size - 1, "w");
	if (!f) {
		x->oom = true;	/* a result without its step's text would mislead */
		return "";
	}
	pl_step_print(f, x->sc, s);
	fclose(f);
	return buf;
}

/* pl_exec_point.print: the step as .pin source, for --trace and explain */
static void x_print_at(FILE *out, const struct pl_exec_point *at)
{
	pl_step_print(out, at->ctx, at->src);
}

/* The (last) operation of the point returned ret: say so to the hooks. */
static void x_at_ret(struct exec *x, long ret)
{
	char e[32];

	x->at.ret = ret < 0 ? ret : 0;
	if (ret < 0)
		snprintf(x->at.ret_name, sizeof(x->at.ret_name), "%s",
			 pl_errno_name((int)-ret, e, sizeof(e)));
}

/* The point is scenario step s (or its set-up): say so to the hooks. */
static void x_at_step(struct exec *x, const struct pl_step *s)
{
	x->at.src = s;
	x->at.ctx = x->sc;
	x->at.print = x_print_at;
	x->at.line = s->pos.line;
	x->at.new_process = NULL;
	for (int i = 0; i < x->sc->nr_syms && x->h != &x_no_hooks; i++) {
		const struct pl_sym *y = &x->sc->syms[i];

		if (y->kind == PL_SYM_PROCESS && y->def_step == (int)(s - x->sc->steps)) {
			x->at.new_process = y->name;
			break;
		}
	}
}

/* ---------------------------------------------------------------------------
 * Failures.  The first of each kind is kept; exec.h says which kind wins.
 */
static void x_vrecord(struct exec *x, bool check, enum pl_outcome cls, const char *fmt,
		      va_list ap)
{
	char what[X_TEXT], text[X_TEXT / 2];
	const struct pl_step *s = x->at.src;
	int step = x->at.step;
	char *dst = check ? x->check_detail : x->fail_detail;

	if (check ? x->check_step : x->fail_step)
		return;
	vsnprintf(what, sizeof(what), fmt, ap);
	if (x->at.setup)
		x_fmt(dst, X_TEXT, "step %d (line %d), set-up: %s", step, x->at.line, what);
	else
		x_fmt(dst, X_TEXT, "step %d (line %d) %s: %s", step, s ? s->pos.line : 0,
		      s ? x_step_text(x, s, text, sizeof(text)) : "", what);
	if (check) {
		x->check_step = step ? step : -1;
		x->check_cls = cls;
	} else {
		x->fail_step = step ? step : -1;
		x->fail_cls = cls;
	}
}

__attribute__((format(printf, 3, 4)))
static void x_check_failed(struct exec *x, enum pl_outcome cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	x_vrecord(x, true, cls, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
static void x_step_failed(struct exec *x, enum pl_outcome cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	x_vrecord(x, false, cls, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------------------
 * Violations and folio snapshots.
 */
static bool x_vkey_seen(struct exec *x, const struct pl_bviolation *v)
{
	for (int i = 0; i < x->nr_vkeys; i++) {
		const struct xvkey *k = &x->vkeys[i];

		if (k->pid == v->pid && k->addr == v->addr && k->pfn == v->pfn &&
		    !strcmp(k->invariant, v->invariant))
			return true;
	}
	if (x->nr_vkeys == x->cap_vkeys) {
		int cap = x->cap_vkeys ? 2 * x->cap_vkeys : 16;
		struct xvkey *n = realloc(x->vkeys, (size_t)cap * sizeof(*n));

		if (!n) {
			x->oom = true;
			return true;
		}
		x->vkeys = n;
		x->cap_vkeys = cap;
	}
	x->vkeys[x->nr_vkeys++] = (struct xvkey){ v->invariant, v->pid, v->addr, v->pfn };
	return false;
}

/* Run the backend's checker and take in what it found since last time. */
static void x_collect(struct exec *x)
{
	struct pl_result *r = x->res;
	int n;

	if (!x->be->check)
		return;
	if (x->be->check(x->be) == -ENOMEM) {
		x->oom = true;
		return;
	}
	n = x->be->nr_violations(x->be);
	for (; x->seen < n; x->seen++) {
		struct pl_bviolation v;
		struct pl_result_violation *rv;

		x->be->violation(x->be, x->seen, &v);
		if (x_vkey_seen(x, &v))
			continue;
		r->nr_violations_total++;
		if (r->nr_violations == PL_RESULT_MAX_VIOLATIONS)
			continue;
		if (!r->violations) {
			r->violations = calloc(PL_RESULT_MAX_VIOLATIONS, sizeof(*r->violations));
			if (!r->violations) {
				x->oom = true;
				return;
			}
		}
		rv = &r->violations[r->nr_violations++];
		snprintf(rv->invariant, sizeof(rv->invariant), "%s", v.invariant);
		rv->step = v.step;
		snprintf(rv->detail, sizeof(rv->detail), "%s", v.detail ? v.detail : "");
	}
}

static int x_snapshot(struct exec *x, struct pl_folio_state **buf, int *cap)
{
	int n = x->be->folios(x->be, *buf, *cap);

	if (n > *cap) {
		struct pl_folio_state *b = realloc(*buf, (size_t)n * sizeof(*b));

		if (!b) {
			x->oom = true;
			return 0;
		}
		*buf = b;
		*cap = n;
		n = x->be->folios(x->be, *buf, *cap);
	}
	return n;
}

static bool x_folio_same(const struct pl_folio_state *a, const struct pl_folio_state *b)
{
	return a->order == b->order && a->refcount == b->refcount && a->mapcount == b->mapcount &&
	       a->pincount == b->pincount && a->flags == b->flags &&
	       a->exclusive == b->exclusive && !strcmp(a->text, b->text);
}

static bool x_add_change(struct exec *x, int *n, const struct pl_folio_state *b,
			 const struct pl_folio_state *a)
{
	struct pl_folio_change *c;

	if (*n == x->cap_changes) {
		int cap = x->cap_changes ? 2 * x->cap_changes : 16;
		struct pl_folio_change *nc = realloc(x->changes, (size_t)cap * sizeof(*nc));

		if (!nc) {
			x->oom = true;
			return false;
		}
		x->changes = nc;
		x->cap_changes = cap;
	}
	c = &x->changes[(*n)++];
	memset(c, 0, sizeof(*c));
	c->has_before = b != NULL;
	c->has_after = a != NULL;
	if (b)
		c->before = *b;
	if (a)
		c->after = *a;
	return true;
}

/* Merge the two pfn-sorted snapshots into the list of changed folios. */
static int x_diff(struct exec *x, int nb, int na)
{
	int i = 0, j = 0, n = 0;

	while (i < nb || j < na) {
		const struct pl_folio_state *b = i < nb ? &x->fb[i] : NULL;
		const struct pl_folio_state *a = j < na ? &x->fa[j] : NULL;
		bool ok = true;

		if (b && (!a || b->pfn < a->pfn)) {
			ok = x_add_change(x, &n, b, NULL);
			i++;
		} else if (a && (!b || a->pfn < b->pfn)) {
			ok = x_add_change(x, &n, NULL, a);
			j++;
		} else {
			if (!x_folio_same(b, a))
				ok = x_add_change(x, &n, b, a);
			i++;
			j++;
		}
		if (!ok)
			break;
	}
	return n;
}

static bool x_want_folios(const struct exec *x)
{
	return x->h->want_folios && x->be->folios && x->h->step_end;
}

/* Open a traced unit (a step, or a set-up operation outside any step). */
static int x_begin(struct exec *x)
{
	x->at.world = x->be->world ? x->be->world(x->be) : NULL;
	if (x->h->step_begin)
		x->h->step_begin(x->h->arg, &x->at);
	if (x_want_folios(x))
		return x_snapshot(x, &x->fb, &x->cap_fb);
	return 0;
}

static void x_end(struct exec *x, int nb, bool diff)
{
	int n = 0;

	if (diff && x_want_folios(x))
		n = x_diff(x, nb, x_snapshot(x, &x->fa, &x->cap_fa));
	x->at.world = x->be->world ? x->be->world(x->be) : NULL;
	if (x->h->step_end)
		x->h->step_end(x->h->arg, &x->at, x->changes, n);
}

static void x_event(void *arg, const struct pl_event *ev)
{
	struct exec *x = arg;

	x->at.world = x->be->world ? x->be->world(x->be) : NULL;
	if (x->h->event)
		x->h->event(x->h->arg, &x->at, ev);
}

/* ---------------------------------------------------------------------------
 * Backend calls.
 */
static struct pl_bstep x_bstep(const struct exec *x, int op, int pid)
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

static uint64_t x_max(uint64_t v, uint64_t dflt)
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
static bool x_count_op(struct exec *x)
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

		clock_gettime(CLOCK_MONOTONIC, &now);
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

static long x_call(struct exec *x, const struct pl_bstep *b, struct pl_bresult *r)
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
static long x_setup(struct exec *x, const struct pl_bstep *b, struct pl_bresult *r,
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
static bool x_live(const struct exec *x, const struct pl_ref *r)
{
	return r->sym >= 0 && x->sym[r->sym].live;
}

static int x_id(const struct exec *x, const struct pl_ref *r)
{
	return x->sym[r->sym].id;
}

/*
 * A mapping range: whole references mean the selftest's range in
 * memory-management operations (mm_op), the scenario's pages otherwise.
 */
static void x_range(const struct exec *x, const struct pl_ref *r, bool mm_op, pl_addr *addr,
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
static uint32_t x_count(const struct pl_ref *r)
{
	return r->hi - r->lo + 1;
}

static int x_owner_pid(const struct exec *x, int mapping_sym)
{
	int owner = x->sc->syms[mapping_sym].owner;

	return owner >= 0 && x->sym[owner].live ? x->sym[owner].id : 0;
}

/* ---------------------------------------------------------------------------
 * Backings: shared files, mmap, set-up phase and transform.
 */
static const struct pl_backing *x_bk(int idx)
{
	return pl_backing_info(idx);
}

static uint32_t x_huge_pages(const struct pl_backing *b)
{
	return b->kb / 4;	/* kB -> 4 KiB pages */
}

static uint32_t x_round_up(uint32_t n, uint32_t to)
{
	return to > 1 ? (n + to - 1) / to * to : n;
}

static bool x_is_file_kind(enum pl_backing_kind k)
{
	return k == PL_BK_MEMFD || k == PL_BK_TMPFILE || k == PL_BK_LOCAL_TMPFILE ||
	       k == PL_BK_MEMFD_HUGETLB || k == PL_BK_SHMEM;
}

/* The file every mapping of backing bk shares in this run, created on first use. */
static int x_backing_file(struct exec *x, int bk)
{
	const struct pl_backing *b = x_bk(bk);
	struct pl_bstep f = x_bstep(x, PL_OP_FILE, 0);
	struct pl_bresult r;
	const char *fs = "tmpfs";

	if (x->bk_file[bk])
		return x->bk_file[bk];
	f.arg = PL_FS_TMPFS;
	f.n = x->bk_pages[bk] ? x->bk_pages[bk] : 1;
	if (b->kind == PL_BK_TMPFILE || b->kind == PL_BK_LOCAL_TMPFILE) {
		f.arg = PL_FS_EXT4;	/* /tmp and the test directory: ext4 on this machine */
		fs = "ext4";
	} else if (b->kind == PL_BK_MEMFD_HUGETLB) {
		f.arg = PL_FS_HUGETLBFS;
		f.huge_order = b->kb == 1048576 ? HPAGE_PUD_ORDER : HPAGE_PMD_ORDER;
		f.n = x_round_up((uint32_t)f.n, x_huge_pages(b));
		fs = "hugetlbfs";
	}
	if (x_setup(x, &f, &r, "%s: a zero-filled %s file of %llu pages", b->name, fs,
		    (unsigned long long)f.n) < 0)
		return 0;
	x->bk_file[bk] = r.id;
	return r.id;
}

/* Is the hugetlbfs-ness of a declared file known?  Its `file` step says. */
static bool x_file_is_hugetlbfs(const struct exec *x, int file_sym)
{
	int def = x->sc->syms[file_sym].def_step;

	return def >= 0 && x->sc->steps[def].arg == PL_FS_HUGETLBFS;
}

/* Map [region] S-aligned: map S - 1 more pages, then trim both ends (as cow.c does). */
static long x_mmap_aligned(struct exec *x, struct pl_bstep *b, uint32_t region, uint32_t align,
			   const char *name, pl_addr *out)
{
	uint64_t slack = (uint64_t)(align - 1) * PAGE_SIZE, size = (uint64_t)region * PAGE_SIZE;
	uint64_t a_bytes = (uint64_t)align * PAGE_SIZE;
	struct pl_bresult r;
	pl_addr start;
	long ret;

	b->n = size + slack;
	ret = x_call(x, b, &r);
	if (ret < 0 || align <= 1) {
		*out = r.addr;
		return ret;
	}
	start = (r.addr + a_bytes - 1) / a_bytes * a_bytes;
	if (start > r.addr) {
		struct pl_bstep u = x_bstep(x, PL_OP_MUNMAP, b->pid);

		u.addr = r.addr;
		u.nr = (uint32_t)((start - r.addr) / PAGE_SIZE);
		x_setup(x, &u, NULL, "%s: munmap %u pages below the %u-page alignment", name,
			u.nr, align);
	}
	if (r.addr + size + slack > start + size) {
		struct pl_bstep u = x_bstep(x, PL_OP_MUNMAP, b->pid);

		u.addr = start + size;
		u.nr = (uint32_t)((r.addr + size + slack - u.addr) / PAGE_SIZE);
		x_setup(x, &u, NULL, "%s: munmap %u pages above the aligned region", name, u.nr);
	}
	*out = start;
	return 0;
}

static void x_madvise_setup(struct exec *x, int pid, pl_addr addr, uint32_t nr,
			    enum pl_madv advice, const char *what)
{
	struct pl_bstep b = x_bstep(x, PL_OP_MADVISE, pid);

	b.addr = addr;
	b.nr = nr;
	b.arg = advice;
	x_setup(x, &b, NULL, "%s: madvise %s", what, pl_word_name(pl_madv_words, advice));
}

static bool x_has_transform(const struct pl_backing *b)
{
	switch (b->kind) {
	case PL_BK_SWAPPED:
	case PL_BK_THP_SWAPPED:
	case PL_BK_THP_PTE_SWAPPED:
	case PL_BK_THP_SINGLE_PTE:
	case PL_BK_THP_SINGLE_PTE_SWAPPED:
	case PL_BK_THP_MREMAP:
	case PL_BK_THP_PARTIAL_SHARED:
	case PL_BK_ZEROPAGE:
	case PL_BK_HUGE_ZEROPAGE:
	case PL_BK_KSM:
		return true;
	case PL_BK_THP_PTE:
		return b->kb == 2048;	/* mTHP are PTE-mapped from birth */
	default:
		return false;
	}
}

/* How a mapping of N pages is laid out for its backing. */
struct x_layout {
	uint32_t region;	/* pages mapped */
	uint32_t whole;		/* pages a whole reference covers */
	uint32_t align;		/* region alignment in pages (THP size) */
	bool hugepage;		/* MADV_HUGEPAGE before the first fault (PMD THP) */
	bool nohuge;		/* MADV_NOHUGEPAGE (base pages) */
};

/* The layout and mmap flags of backing b (NULL: a declared file) for step s. */
static void x_mmap_layout(const struct exec *x, const struct pl_step *s,
			  const struct pl_backing *b, struct pl_bstep *m, struct x_layout *l)
{
	uint32_t n = (uint32_t)s->n;

	l->region = l->whole = n;
	l->align = 1;
	l->hugepage = l->nohuge = false;
	if (!b) {
		if (x_file_is_hugetlbfs(x, s->a.sym))
			l->region = l->whole = x_round_up(n, HPAGE_PMD_NR);
		return;
	}
	switch (b->kind) {
	case PL_BK_SHMEM:	/* MAP_SHARED|MAP_ANONYMOUS is shared by definition */
		m->mflags = (m->mflags & ~(unsigned int)PL_MAP_PRIVATE) | PL_MAP_SHARED;
		return;
	case PL_BK_MEMFD_HUGETLB:
		l->region = l->whole = x_round_up(n, x_huge_pages(b));
		return;
	case PL_BK_MEMFD:
	case PL_BK_TMPFILE:
	case PL_BK_LOCAL_TMPFILE:
		return;
	case PL_BK_BASE:
	case PL_BK_SWAPPED:
	case PL_BK_KSM:
		l->nohuge = true;
		break;
	case PL_BK_ZEROPAGE:
		break;
	case PL_BK_HUGETLB:
		l->region = l->whole = x_round_up(n, x_huge_pages(b));
		m->mflags |= PL_MAP_HUGETLB | (b->kb == 1048576 ? PL_MAP_HUGE_1GB : 0);
		break;
	default:	/* THP kinds and the huge zero page */
		l->align = x_huge_pages(b);
		l->region = n > l->align ? n : l->align;
		l->whole = l->align;
		if (b->kind == PL_BK_THP_SINGLE_PTE || b->kind == PL_BK_THP_SINGLE_PTE_SWAPPED)
			l->whole = 1;
		else if (b->kind == PL_BK_THP_MREMAP)
			l->whole = l->align / 2;
		l->whole = n > l->whole ? n : l->whole;
		l->hugepage = l->align == HPAGE_PMD_NR;
		break;
	}
	m->mflags |= PL_MAP_ANONYMOUS;
}

/* P: NAME = mmap N pages [options] */
static long x_mmap(struct exec *x, const struct pl_step *s, int pid)
{
	const struct pl_backing *b = NULL;
	struct pl_bstep m = x_bstep(x, PL_OP_MMAP, pid);
	const char *name = s->def.name ? s->def.name : "mmap";
	bool populate = false;
	struct x_layout l;
	struct xsym *xs;
	int bk = -1;
	pl_addr addr;
	long ret;

	m.prot = s->prot;
	m.mflags = s->mflags;
	if (s->arg == PL_BACKING_FILE) {
		m.file = x->sym[s->a.sym].id;
	} else {
		bk = s->arg == PL_BACKING_MATRIX ? x->backing : s->arg;
		b = x_bk(bk);
		if (x_is_file_kind(b->kind) && !(m.file = x_backing_file(x, bk)))
			return 0;	/* reported by x_backing_file */
	}
	x_mmap_layout(x, s, b, &m, &l);
	/*
	 * MADV_HUGEPAGE and MADV_NOHUGEPAGE must come before the first fault:
	 * populate after them.  (With mTHP enabled on the host, MAP_POPULATE
	 * of a `base` mapping would otherwise fault in large folios whenever
	 * the address happens to be aligned -- found by fuzz-diff.)
	 */
	if ((l.hugepage || l.nohuge) && (m.mflags & PL_MAP_POPULATE)) {
		m.mflags &= ~(unsigned int)PL_MAP_POPULATE;
		populate = true;
	}
	ret = x_mmap_aligned(x, &m, l.region, l.align, name, &addr);
	if (ret < 0 || (s->flags & PL_STEP_FAILS))
		return ret;
	if (l.hugepage)
		x_madvise_setup(x, pid, addr, l.region, PL_MADV_HUGEPAGE, name);
	if (l.nohuge)
		x_madvise_setup(x, pid, addr, l.region, PL_MADV_NOHUGEPAGE, name);
	if (populate)
		x_madvise_setup(x, pid, addr, l.region,
				(s->prot & PL_PROT_WRITE) && !(s->mflags & PL_MAP_SHARED)
					? PL_MADV_POPULATE_WRITE : PL_MADV_POPULATE_READ, name);
	if (s->def.sym < 0)
		return 0;
	xs = &x->sym[s->def.sym];
	xs->live = true;
	xs->addr = addr;
	xs->pages = (uint32_t)s->n;
	xs->whole = l.whole;
	xs->prot = s->prot;
	if (b && x_has_transform(b)) {
		x->tf_sym = s->def.sym;
		x->tf_bk = bk;
		x->tf_step = x->at.step;
		xs->zero_fill = b->kind == PL_BK_ZEROPAGE || b->kind == PL_BK_HUGE_ZEROPAGE;
	}
	return 0;
}

/* The step belongs to the open set-up phase: a write to the mapping by its owner. */
static bool x_is_fill(const struct exec *x, const struct pl_step *s)
{
	return s->op == PL_OP_WRITE && s->a.sym == x->tf_sym && !(s->flags & PL_STEP_FAILS) &&
	       s->actor.sym == x->sc->syms[x->tf_sym].owner;
}

/* thp-pte-2048k: mprotect page 1 R and back splits the PMD mapping into PTEs. */
static void x_tf_split(struct exec *x, int pid, const struct xsym *m, const char *what)
{
	struct pl_bstep p = x_bstep(x, PL_OP_MPROTECT, pid);

	p.addr = m->addr + PAGE_SIZE;
	p.nr = 1;
	p.prot = PL_PROT_READ;
	x_setup(x, &p, NULL, "%s: mprotect page 1 r (splits the PMD mapping)", what);
	p.prot = m->prot;
	x_setup(x, &p, NULL, "%s: mprotect page 1 %s", what, pl_word_name(pl_prot_words, m->prot));
}

/* thp-mremap: the upper half moves onto a fresh PROT_NONE area (MAYMOVE|FIXED). */
static void x_tf_mremap(struct exec *x, int pid, const struct xsym *m, uint32_t half,
			const char *what)
{
	struct pl_bstep p = x_bstep(x, PL_OP_MMAP, pid);
	struct pl_bresult r;

	p.n = (uint64_t)half * PAGE_SIZE;
	p.prot = PL_PROT_NONE;
	p.mflags = PL_MAP_PRIVATE | PL_MAP_ANONYMOUS;
	if (x_setup(x, &p, &r, "%s: mmap %u pages none (a place to move to)", what, half) < 0)
		return;
	p = x_bstep(x, PL_OP_MREMAP, pid);
	p.addr = m->addr + (pl_addr)half * PAGE_SIZE;
	p.nr = half;
	p.n = (uint64_t)half * PAGE_SIZE;
	p.flags = PL_STEP_MOVE;
	p.new_addr = r.addr;
	x_setup(x, &p, NULL, "%s: mremap the upper %u pages onto it (MAYMOVE|FIXED)", what,
		half);
}

/* thp-partial-shared: only page 0 goes to a child, which exits at once. */
static void x_tf_partial_share(struct exec *x, int pid, const struct xsym *m, uint32_t S,
			       const char *what)
{
	struct pl_bstep f = x_bstep(x, PL_OP_FORK, pid);
	struct pl_bresult r;

	x_madvise_setup(x, pid, m->addr + PAGE_SIZE, S - 1, PL_MADV_DONTFORK, what);
	if (x_setup(x, &f, &r, "%s: fork a child that shares page 0", what) >= 0) {
		f = x_bstep(x, PL_OP_EXIT, r.id);
		x_setup(x, &f, NULL, "%s: the child exits", what);
	}
	x_madvise_setup(x, pid, m->addr + PAGE_SIZE, S - 1, PL_MADV_DOFORK, what);
}

/* The set-up phase of the mapping x->tf_sym ended: make it what the backing promises. */
static void x_transform(struct exec *x)
{
	const struct pl_backing *b = x_bk(x->tf_bk);
	struct xsym *m = &x->sym[x->tf_sym];
	int pid = x_owner_pid(x, x->tf_sym);
	uint32_t S = x_huge_pages(b);
	struct pl_exec_point saved = x->at;
	struct pl_bstep op;
	char what[96];

	x->at.step = x->tf_step;
	x_at_step(x, &x->sc->steps[x->tf_step - 1]);
	x->at.transform = true;
	snprintf(what, sizeof(what), "%s (%s)", x->sc->syms[x->tf_sym].name, b->name);
	x->tf_sym = -1;
	m->zero_fill = false;
	switch (b->kind) {
	case PL_BK_SWAPPED:
		x_madvise_setup(x, pid, m->addr, m->whole, PL_MADV_PAGEOUT, what);
		break;
	case PL_BK_THP_SWAPPED:
		x_madvise_setup(x, pid, m->addr, S, PL_MADV_PAGEOUT, what);
		break;
	case PL_BK_THP_PTE:
	case PL_BK_THP_PTE_SWAPPED:
		if (S == HPAGE_PMD_NR)	/* mTHP are PTE-mapped from birth */
			x_tf_split(x, pid, m, what);
		if (b->kind == PL_BK_THP_PTE_SWAPPED)
			x_madvise_setup(x, pid, m->addr, S, PL_MADV_PAGEOUT, what);
		break;
	case PL_BK_THP_SINGLE_PTE:
	case PL_BK_THP_SINGLE_PTE_SWAPPED:
		x_madvise_setup(x, pid, m->addr + PAGE_SIZE, S - 1, PL_MADV_DONTNEED, what);
		if (b->kind == PL_BK_THP_SINGLE_PTE_SWAPPED)
			x_madvise_setup(x, pid, m->addr, 1, PL_MADV_PAGEOUT, what);
		break;
	case PL_BK_THP_MREMAP:
		x_tf_mremap(x, pid, m, S / 2, what);
		break;
	case PL_BK_THP_PARTIAL_SHARED:
		x_tf_partial_share(x, pid, m, S, what);
		break;
	case PL_BK_ZEROPAGE:
	case PL_BK_HUGE_ZEROPAGE:
		op = x_bstep(x, PL_OP_READ, pid);
		op.addr = m->addr;
		op.nr = m->whole;
		x_setup(x, &op, NULL, "%s: read-fault %u pages", what, m->whole);
		break;
	case PL_BK_KSM:
		x_madvise_setup(x, pid, m->addr, m->whole, PL_MADV_MERGEABLE, what);
		op = x_bstep(x, PL_OP_KSM_MERGE, 0);
		x_setup(x, &op, NULL, "%s: ksm-merge", what);
		break;
	default:
		break;
	}
	x_collect(x);
	x->at = saved;
}

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
	b.flags = s->flags & PL_STEP_MOVE;
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
	default:	/* a pipe */
		b.handle = x_id(x, &s->a);
		b.nr = 1;
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
	b.flags = s->flags & PL_STEP_FAST;
	switch (s->op) {
	case PL_OP_DIO_READ:	/* file a -> memory b */
		b.file = x_id(x, &s->a);
		b.index = s->a.lo;
		x_range(x, &s->b, false, &b.addr, &b.nr);
		break;
	case PL_OP_DIO_WRITE:	/* memory a -> file b */
		b.file = x_id(x, &s->b);
		b.index = s->b.lo;
		x_range(x, &s->a, false, &b.addr, &b.nr);
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
		b.file = x_id(x, &s->a);
		b.index = s->a.lo;
		b.handle = x_id(x, &s->b);
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
 * Checks.
 */
static enum pl_outcome x_cls(const struct pl_step *s)
{
	return s->has_cls ? s->cls : PL_OUT_INVARIANT;
}

static const char *x_src_what(const struct pl_step *s)
{
	switch (s->src) {
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

static void x_check_value(struct exec *x, const struct pl_step *s, int pid)
{
	const char *want = s->flags & PL_STEP_ZERO ? "" : s->str;
	bool ne = s->flags & PL_STEP_NE;
	struct pl_bstep b = x_bstep(x, PL_OP_CHECK_VALUE, pid);
	uint32_t nr = 1;
	char e[32];

	b.src = s->src;
	switch (s->src) {
	case PL_SRC_USER:
		x_range(x, &s->a, false, &b.addr, &nr);
		break;
	case PL_SRC_PROC_MEM:
	case PL_SRC_VM_READV:
		b.target = x_id(x, &s->target);
		x_range(x, &s->a, false, &b.addr, &nr);
		break;
	case PL_SRC_PIPE:
		b.handle = x_id(x, &s->a);
		break;
	case PL_SRC_FILE:
	case PL_SRC_DISK:
		b.file = x_id(x, &s->a);
		b.index = s->a.lo;
		nr = x_count(&s->a);
		break;
	default:	/* a handle's pages */
		b.handle = x_id(x, &s->a);
		b.page = s->a.lo;
		nr = x_count(&s->a);
		break;
	}
	for (uint32_t i = 0; i < nr; i++) {
		struct pl_bresult r;
		uint32_t at = s->a.lo + i;
		long ret = x_call(x, &b, &r);
		bool same;

		if (ret < 0) {
			x_check_failed(x, x_cls(s), "the read %s %s failed: %s",
				       s->src == PL_SRC_PIPE ? "from" : "of", s->a.name,
				       pl_errno_name((int)-ret, e, sizeof(e)));
			return;
		}
		same = !strcmp(r.text, want);
		if (same == ne) {
			char where[96];

			if (s->src == PL_SRC_PIPE)
				snprintf(where, sizeof(where), "from %s", s->a.name);
			else
				snprintf(where, sizeof(where), "at %s[%u]", s->a.name, at);
			x_check_failed(x, x_cls(s), "%s \"%s\" %s%s", x_src_what(s), r.text, where,
				       ne ? ", expected anything else" : "");
			return;
		}
		b.addr += PAGE_SIZE;
		b.page++;
		b.index++;
	}
}

static void x_check_page(struct exec *x, const struct pl_step *s, int pid)
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

static void x_check_invariants(struct exec *x, const struct pl_step *s)
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

static void x_show(struct exec *x, const struct pl_step *s)
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
	case PL_OP_PROCESS:
	case PL_OP_FILE:
		b.arg = s->arg;
		b.n = s->n;
		b.text = s->str;
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
		return x_file_op(x, s, pid);
	case PL_OP_VMSPLICE:
		return x_vmsplice(x, s, pid);
	case PL_OP_DIO_READ:
	case PL_OP_DIO_WRITE:
		return x_pinner(x, s, pid);
	case PL_OP_IOURING_WRITE_FIXED:
	case PL_OP_IOURING_READ_FIXED:
	case PL_OP_DMA_WRITE:
		return x_handle_op(x, s, pid);
	case PL_OP_PROC_MEM_WRITE:
	case PL_OP_PROCESS_VM_WRITEV:
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
		if (ret < 0 && !(s->flags & PL_STEP_MAY_FAIL))
			x_step_failed(x, PL_OUT_REFUSED, "failed with %s",
				      pl_errno_name((int)-ret, e1, sizeof(e1)));
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

static void x_step(struct exec *x, int i)
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
static void x_run_steps(struct exec *x, int from, int to)
{
	for (int i = from; i < to && !x->skip[0] && !x->limit[0] && !x->oom; i++) {
		if (x->tf_sym >= 0 && !x_is_fill(x, &x->sc->steps[i]))
			x_transform(x);
		x_step(x, i);
	}
}

/* ---------------------------------------------------------------------------
 * The run.
 */

/* What the run's mappings need from the world, read off the mmap steps. */
struct x_needs {
	bool swapon, pool;		/* the scenario sets these up itself */
	bool swap;			/* a swapped row */
	uint32_t maps[2];		/* hugetlb mappings: 2 MiB, 1 GiB */
	uint16_t mthp;			/* mTHP orders to enable */
};

static void x_scan(struct exec *x, struct x_needs *need)
{
	memset(need, 0, sizeof(*need));
	for (int i = 0; i < x->sc->nr_steps; i++) {
		const struct pl_step *s = &x->sc->steps[i];
		const struct pl_backing *b;
		int bk;

		need->swapon |= s->op == PL_OP_SWAPON;
		need->pool |= s->op == PL_OP_HUGETLB_POOL;
		if (s->op != PL_OP_MMAP || s->arg == PL_BACKING_FILE)
			continue;
		bk = s->arg == PL_BACKING_MATRIX ? x->backing : s->arg;
		b = x_bk(bk);
		if ((uint32_t)s->n > x->bk_pages[bk])
			x->bk_pages[bk] = (uint32_t)s->n;
		need->swap |= b->kind == PL_BK_SWAPPED || b->kind == PL_BK_THP_SWAPPED ||
			      b->kind == PL_BK_THP_PTE_SWAPPED ||
			      b->kind == PL_BK_THP_SINGLE_PTE_SWAPPED;
		if (b->kind == PL_BK_HUGETLB || b->kind == PL_BK_MEMFD_HUGETLB)
			need->maps[b->kb == 1048576]++;
		if (b->kind < PL_BK_THP || b->kind > PL_BK_THP_PARTIAL_SHARED || b->kb >= 2048)
			continue;
		for (int order = 2; order < HPAGE_PMD_ORDER; order++)
			if ((4u << order) == b->kb)
				need->mthp |= (uint16_t)(1u << order);
	}
}

/* Matrix set-up before step 1: mTHP size, swap device, hugetlb pools. */
static void x_setup_world(struct exec *x)
{
	struct x_needs need;
	struct pl_bstep b;

	x_scan(x, &need);
	for (int order = 2; order < HPAGE_PMD_ORDER; order++) {
		if (!(need.mthp & (1u << order)))
			continue;
		b = x_bstep(x, PL_BOP_MTHP, 0);
		b.arg = order;
		x_setup(x, &b, NULL, "hugepages-%ukB/enabled = always", 4u << order);
	}
	if (need.swap && !need.swapon) {
		b = x_bstep(x, PL_OP_SWAPON, 0);
		b.n = 4096;
		x_setup(x, &b, NULL, "swapon 4096 slots");
	}
	for (int g = 0; g < 2 && !need.pool; g++) {
		if (!need.maps[g])
			continue;
		/* two per mapping (one to COW or unshare into) plus spares: one of 1 GiB, as few
		 * machines can find four 1 GiB-aligned free ranges at run time */
		b = x_bstep(x, PL_BOP_POOL, 0);
		b.arg = g ? HPAGE_PUD_ORDER : HPAGE_PMD_ORDER;
		b.n = 2 * need.maps[g] + (g ? 1 : 4);
		x_setup(x, &b, NULL, "hugepages-%skB/nr_hugepages = %llu",
			g ? "1048576" : "2048", (unsigned long long)b.n);
	}
	x_collect(x);
}

static bool x_needs_1g(const struct exec *x)
{
	for (int i = 0; i < x->sc->nr_steps; i++) {
		const struct pl_step *s = &x->sc->steps[i];
		int bk;

		if (s->op != PL_OP_MMAP || s->arg == PL_BACKING_FILE)
			continue;
		bk = s->arg == PL_BACKING_MATRIX ? x->backing : s->arg;
		if (x_bk(bk)->kb == 1048576 && (x_bk(bk)->kind == PL_BK_HUGETLB ||
						x_bk(bk)->kind == PL_BK_MEMFD_HUGETLB))
			return true;
	}
	return false;
}

const struct pl_expect *pl_exec_expect(const struct pl_scenario *sc, const char *preset,
				       int backing)
{
	int p = -1;

	for (int j = 0; j < sc->nr_backings; j++)
		if (sc->backings[j].idx == backing)
			return pl_expect_match(sc, preset, j);
	/* off the matrix: only lines without a `with` list apply */
	p = pl_expect_preset_slot(sc, preset);
	for (int i = sc->nr_expects - 1; i >= 0; i--) {
		const struct pl_expect *e = &sc->expects[i];

		if (e->nr_with || (p < 0 ? e->nr_on > 0 : !(e->preset_mask & (1ull << p))))
			continue;
		return e;
	}
	return NULL;
}

static void x_result_init(struct pl_result *r, const struct pl_scenario *sc, const char *preset,
			  int backing)
{
	const struct pl_backing *b = pl_backing_info(backing);

	memset(r, 0, sizeof(*r));
	r->scenario = sc->name;
	r->file = sc->path;
	r->id = sc->path;
	r->preset = preset;
	r->backing = b->name;
	r->display = b->display;
	if (sc->backing_pos.line)
		snprintf(r->kselftest, sizeof(r->kselftest), "%s ... with %s", sc->name,
			 b->display);
	else
		snprintf(r->kselftest, sizeof(r->kselftest), "%s", sc->name);
	r->nr_steps = sc->nr_steps;
	r->outcome = r->failure = r->expected = pl_outcome_name(PL_OUT_PASS);
	r->match = true;
}

static void x_skip(struct pl_result *r, const char *reason)
{
	r->outcome = r->failure = pl_outcome_name(PL_OUT_SKIP);
	r->skipped = true;
	r->match = true;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->detail, sizeof(r->detail), "%s", reason);
}

/* The first rule of exec.h that applies; returns the outcome before xfail. */
static enum pl_outcome x_classify(struct exec *x, const struct pl_expect *e)
{
	struct pl_result *r = x->res;
	enum pl_outcome out = PL_OUT_PASS, want = e ? e->outcome : PL_OUT_PASS;

	if (x->check_step) {
		out = x->check_cls;
		r->fail_step = x->check_step;
		snprintf(r->detail, sizeof(r->detail), "%s", x->check_detail);
	} else if (x->fail_step) {
		out = x->fail_cls;
		r->fail_step = x->fail_step;
		snprintf(r->detail, sizeof(r->detail), "%s", x->fail_detail);
	} else if (r->nr_violations_total) {
		out = PL_OUT_INVARIANT;
		r->fail_step = r->violations[0].step ? r->violations[0].step : -1;
		snprintf(r->detail, sizeof(r->detail), "%s at step %d: %s",
			 r->violations[0].invariant, r->violations[0].step,
			 r->violations[0].detail);
	}
	if (r->fail_step < 0)
		r->fail_step = 0;
	r->failure = r->outcome = pl_outcome_name(out);
	r->expected = pl_outcome_name(want);
	if (e && e->because)
		snprintf(r->reason, sizeof(r->reason), "%s", e->because);
	if (want == PL_OUT_XFAIL) {
		r->match = true;
		if (out != PL_OUT_PASS)
			r->outcome = pl_outcome_name(PL_OUT_XFAIL);
		if (!r->reason[0])
			snprintf(r->reason, sizeof(r->reason), "%s", r->failure);
	} else {
		r->match = out == want;
	}
	return out;
}

static void x_free(struct exec *x)
{
	free(x->sym);
	free(x->bk_file);
	free(x->bk_pages);
	free(x->vkeys);
	free(x->fb);
	free(x->fa);
	free(x->changes);
}

/* A zeroed exec for one run; -ENOMEM. */
static int x_init(struct exec *x, const struct pl_scenario *sc, int backing,
		  struct pl_backend *be, const struct pl_exec_opts *opts, struct pl_result *res)
{
	memset(x, 0, sizeof(*x));
	x->sc = sc;
	x->be = be;
	x->o = opts;
	x->h = opts->hooks ? opts->hooks : &x_no_hooks;
	x->backing = backing;
	x->res = res;
	x->tf_sym = -1;
	clock_gettime(CLOCK_MONOTONIC, &x->t0);
	pl_backings(&x->nr_bk);
	x->sym = calloc((size_t)sc->nr_syms + 1, sizeof(*x->sym));
	x->bk_file = calloc((size_t)x->nr_bk, sizeof(*x->bk_file));
	x->bk_pages = calloc((size_t)x->nr_bk, sizeof(*x->bk_pages));
	if (!x->sym || !x->bk_file || !x->bk_pages) {
		x_free(x);
		return -ENOMEM;
	}
	return 0;
}

/* A fresh world under the run's preset, the matrix set-up done; -EINVAL. */
static int x_start(struct exec *x)
{
	struct pl_backend *be = x->be;
	char err[200];

	if (be->begin && be->begin(be, x->o->preset, x->o->sets, x->o->nr_sets, err,
				   sizeof(err)) < 0) {
		snprintf(x->res->detail, sizeof(x->res->detail), "%s", err);
		return -EINVAL;
	}
	if (be->on_event)
		be->on_event(be, x_event, x);
	if (be->world && be->world(be)) {
		be->world(be)->max_pages = x_max(x->o->max_pages, PL_EXEC_MAX_PAGES_DEFAULT);
		be->world(be)->check_full = x->o->check_full;
	}
	x_setup_world(x);
	return 0;
}

int pl_exec_run(const struct pl_scenario *sc, int backing, struct pl_backend *be,
		const struct pl_exec_opts *opts, struct pl_result *res)
{
	const struct pl_expect *e = pl_exec_expect(sc, opts->preset, backing);
	struct exec x;
	int ret = 0, last;

	if (be->end)
		be->end(be);	/* the previous run's world, kept for `show`, goes now */
	x_result_init(res, sc, opts->preset, backing);
	if (e)
		res->expected = pl_outcome_name(e->outcome);
	if (e && e->outcome == PL_OUT_SKIP) {
		x_skip(res, e->because ? e->because : "expect skip");
		return 0;
	}
	if (x_init(&x, sc, backing, be, opts, res))
		return -ENOMEM;
	if (x_needs_1g(&x) && !(be->has && be->has(be, "hugetlb-1g"))) {
		x_skip(res, "1 GiB hugetlb not modelled");
		x_free(&x);
		return 0;
	}
	if (x_start(&x)) {
		x_free(&x);
		return -EINVAL;
	}
	last = opts->stop_after > 0 && opts->stop_after < sc->nr_steps ? opts->stop_after
								       : sc->nr_steps;
	x_run_steps(&x, 0, last);
	if (x.tf_sym >= 0)
		x_transform(&x);
	if (be->on_event)
		be->on_event(be, NULL, NULL);
	if (x.oom) {
		ret = -ENOMEM;
	} else if (x.limit[0]) {
		snprintf(res->detail, sizeof(res->detail), "%s", x.limit);
		ret = -ERANGE;
	} else if (x.skip[0]) {
		x_skip(res, x.skip);
	} else {
		x_classify(&x, e);
	}
	x_free(&x);
	return ret;
}

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

void pl_exec_race_free(struct pl_exec_race *r)
{
	if (!r)
		return;
	race_drop(r);
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

	for (int i = r->first; i < r->end; i++)
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

void pl_result_free(struct pl_result *r)
{
	free(r->violations);
	r->violations = NULL;
	r->nr_violations = 0;
}
