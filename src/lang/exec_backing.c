/*
 * exec_backing.c - the backings (exec_internal.h): the run's shared files,
 * mmap of a matrix mapping, its set-up phase and its transform.
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
 */
#include "lang/exec_internal.h"

/* ---------------------------------------------------------------------------
 * Backings: shared files, mmap, set-up phase and transform.
 */
const struct pl_backing *x_bk(int idx)
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
long x_mmap(struct exec *x, const struct pl_step *s, int pid)
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
	if (s->b.name) {	/* `fixed M[i]`: MAP_FIXED(_NOREPLACE) at that page's address */
		uint32_t nr;

		x_range(x, &s->b, false, &m.addr, &nr);
		l.align = 1;
	}
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
bool x_is_fill(const struct exec *x, const struct pl_step *s)
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
void x_transform(struct exec *x)
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
