/*
 * tests/unit/core_edges.c - the edges of the core's system-call surface.
 *
 * The catalog exercises what scenarios do; this covers what they rarely
 * reach: the errno of each refused call (as the kernel spells it), the
 * madvise advice no scenario uses, pipes that are read and refilled, the
 * O_DIRECT write path, exit with long-term pins and I/O in flight, reclaim
 * of an mlocked mapping, ftruncate, explicit THP split and MADV_COLLAPSE's
 * refusals, and a swap device that fills up and wraps around.  Every
 * sub-test asserts return values, contents and reference counts.
 */
#include "testlib.h"

#include <errno.h>

#include "pinlab/core.h"

/* src/core/internal.h: not in the public header */
const char *pl_madv_name(enum pl_madv m);

static struct world *new_world(const char *preset)
{
	const struct pl_preset *p = pl_preset_find(preset);
	struct world *w = p ? pl_world_new(&p->policy, preset) : NULL;

	if (w)
		w->checked = true;
	return w;
}

static pl_addr anon(struct world *w, int pid, unsigned long pages)
{
	return pl_mmap(w, pid, 0, pages * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		       PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
}

static pl_token tok(struct world *w, const char *s)
{
	return pl_token_intern(w, s);
}

static const char *rd(struct world *w, int pid, pl_addr a)
{
	pl_token t = 0;

	if (pl_user_read(w, pid, a, &t))
		return "<fault>";
	return pl_token_text(w, t);
}

static pte_t pte_at(struct world *w, int pid, pl_addr a)
{
	pte_t *ptep = pl_pte_lookup(pl_task(w, pid)->mm, a);

	return ptep ? *ptep : 0;
}

static struct folio *folio_at(struct world *w, int pid, pl_addr a)
{
	pmd_t *pmdp = pl_pmd_lookup(pl_task(w, pid)->mm, a);
	pte_t pte = pte_at(w, pid, a);

	if (pmdp && pmd_leaf(*pmdp))
		return pfn_folio(w, pte_pfn(*pmdp));
	return pte_present(pte) ? pfn_folio(w, pte_pfn(pte)) : NULL;
}

/* Fail the sub-test if the world recorded a violation (it should not). */
static void clean(struct world *w)
{
	T_EQ(pl_check_world(w), 0);
	for (int i = 0; i < w->nr_violations; i++)
		T_NOTE("violation %s: %s", w->violations[i].inv->name, w->violations[i].detail);
	T_EQ(w->nr_violations, 0);
}

/* ---------------------------------------------------------------------------
 * mmap, munmap, mprotect, mremap, madvise
 */
static void test_mmap_errors(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), f;
	pl_addr a;

	T_EQ((int64_t)pl_mmap(w, 99, 0, PAGE_SIZE, PL_PROT_READ,
			      PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0), -ESRCH);
	/* length 0, neither or both of MAP_PRIVATE/MAP_SHARED: EINVAL */
	T_EQ((int64_t)pl_mmap(w, p, 0, 0, PL_PROT_READ, PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0),
	     -EINVAL);
	T_EQ((int64_t)pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_ANONYMOUS, -1, 0), -EINVAL);
	T_EQ((int64_t)pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ,
			      PL_MAP_PRIVATE | PL_MAP_SHARED | PL_MAP_ANONYMOUS, -1, 0), -EINVAL);
	/* a file mapping of a descriptor that is not open: EBADF */
	T_EQ((int64_t)pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, 7, 0), -EBADF);
	/* MAP_HUGETLB of a regular file: EINVAL (ksys_mmap_pgoff) */
	f = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "d"));
	T_EQ((int64_t)pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ, PL_MAP_SHARED | PL_MAP_HUGETLB,
			      f, 0), -EINVAL);
	/* MAP_HUGETLB rounds the length up to whole huge pages (ksys_mmap_pgoff) */
	T_EQ(pl_hugetlb_set_pool(w, 1), 0);
	a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	T_REQUIRE(!pl_err(a));
	T_EQ(a & (PMD_SIZE - 1), 0);
	T_EQ(vma_lookup(pl_task(w, p)->mm, a)->vm_end - a, PMD_SIZE);
	/* MAP_FIXED at an unaligned address: EINVAL */
	T_EQ((int64_t)pl_mmap(w, p, 0x10000010, PAGE_SIZE, PL_PROT_READ,
			      PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_FIXED, -1, 0), -EINVAL);
	/* the length rounds up to whole pages */
	a = pl_mmap(w, p, 0, 100, PL_PROT_READ, PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_REQUIRE(!pl_err(a));
	T_EQ(vma_lookup(pl_task(w, p)->mm, a)->vm_end - a, PAGE_SIZE);
	/* MAP_LOCKED sets VM_LOCKED; a driver's PFN map is VM_IO | VM_PFNMAP */
	a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_LOCKED, -1, 0);
	T_ASSERT(vma_lookup(pl_task(w, p)->mm, a)->vm_flags & VM_LOCKED);
	a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_SHARED | PL_MAP_ANONYMOUS | PL_MAP_PFNMAP, -1, 0);
	T_EQ(vma_lookup(pl_task(w, p)->mm, a)->vm_flags & (VM_IO | VM_PFNMAP),
	     VM_IO | VM_PFNMAP);
	clean(w);
	pl_world_free(w);
}

static void test_munmap_mprotect_errors(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), f;
	pl_addr a = anon(w, p, 2), ro;

	T_EQ(pl_munmap(w, 99, a, PAGE_SIZE), -ESRCH);
	T_EQ(pl_munmap(w, p, a + 1, PAGE_SIZE), -EINVAL);
	T_EQ(pl_munmap(w, p, a, 0), -EINVAL);
	T_EQ(pl_mprotect(w, 99, a, PAGE_SIZE, PL_PROT_READ), -ESRCH);
	T_EQ(pl_mprotect(w, p, a + 1, PAGE_SIZE, PL_PROT_READ), -EINVAL);
	/* a hole in the range: ENOMEM */
	T_EQ(pl_mprotect(w, p, a, 64 * PAGE_SIZE, PL_PROT_READ), -ENOMEM);
	/*
	 * A shared mapping of a file opened read-only has no VM_MAYWRITE
	 * (do_mmap clears it); mprotect(PROT_WRITE) on it is EACCES.  The
	 * model's vma records the same flags; drop VM_MAYWRITE as do_mmap
	 * would for an O_RDONLY descriptor.
	 */
	f = pl_file_create(w, PL_FS_TMPFS, 1, tok(w, "t"));
	ro = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_SHARED, f, 0);
	T_REQUIRE(!pl_err(ro));
	vma_lookup(pl_task(w, p)->mm, ro)->vm_flags &= ~VM_MAYWRITE;
	T_EQ(pl_mprotect(w, p, ro, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE), -EACCES);
	T_ASSERT(!(vma_lookup(pl_task(w, p)->mm, ro)->vm_flags & VM_WRITE));
	clean(w);
	pl_world_free(w);
}

static void test_mprotect_thp_prot_none(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	pmd_t *pmdp;

	T_EQ(pl_madvise(w, p, h, PMD_SIZE, PL_MADV_HUGEPAGE), 0);
	T_EQ(pl_user_write(w, p, h, tok(w, "huge")), 0);
	pmdp = pl_pmd_lookup(pl_task(w, p)->mm, h);
	T_REQUIRE(pmdp && pmd_leaf(*pmdp) && pte_write(*pmdp));
	/* PROT_NONE on the whole PMD: the leaf stays, inaccessible (protnone) */
	T_EQ(pl_mprotect(w, p, h, PMD_SIZE, PL_PROT_NONE), 0);
	T_ASSERT(pmd_leaf(*pmdp) && pte_protnone(*pmdp) && !pte_write(*pmdp));
	T_STREQ(rd(w, p, h), "<fault>");
	/* back to R/W: exclusive and soft-dirty, so writable without a fault */
	T_EQ(pl_mprotect(w, p, h, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE), 0);
	T_ASSERT(pmd_leaf(*pmdp) && !pte_protnone(*pmdp) && pte_write(*pmdp));
	T_STREQ(rd(w, p, h), "huge");
	clean(w);
	pl_world_free(w);
}

static void test_mremap_edges(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 4), b, n;

	T_EQ((int64_t)pl_mremap(w, 99, a, PAGE_SIZE, PAGE_SIZE, false, 0), -ESRCH);
	T_EQ((int64_t)pl_mremap(w, p, a + 1, PAGE_SIZE, PAGE_SIZE, false, 0), -EINVAL);
	T_EQ((int64_t)pl_mremap(w, p, a, PAGE_SIZE, 0, false, 0), -EINVAL);
	/*
	 * Not growing, mremap only unmaps the tail (nothing here) and returns the
	 * address, holes or not (fuzz-diff, checked on 6.18); growing a range
	 * that leaves its vma is EFAULT.
	 */
	T_EQ((int64_t)pl_mremap(w, p, a, 8 * PAGE_SIZE, 8 * PAGE_SIZE, false, 0), (int64_t)a);
	T_EQ((int64_t)pl_mremap(w, p, a, 8 * PAGE_SIZE, 9 * PAGE_SIZE, false, 0), -EFAULT);
	T_EQ((int64_t)pl_mremap(w, p, 0x1000, PAGE_SIZE, PAGE_SIZE, false, 0), -EFAULT);

	for (int i = 0; i < 4; i++)
		T_EQ(pl_user_write(w, p, a + i * PAGE_SIZE, tok(w, i ? "rest" : "first")), 0);
	/* a neighbour right after the mapping blocks growing in place */
	b = pl_mmap(w, p, a + 4 * PAGE_SIZE, PAGE_SIZE, PL_PROT_READ,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_FIXED, -1, 0);
	T_REQUIRE(b == a + 4 * PAGE_SIZE);
	/* without MREMAP_MAYMOVE: ENOMEM, nothing changes */
	T_EQ((int64_t)pl_mremap(w, p, a, 4 * PAGE_SIZE, 8 * PAGE_SIZE, false, 0), -ENOMEM);
	T_STREQ(rd(w, p, a), "first");
	/* same size, no move: nothing to do, the address comes back */
	T_EQ((int64_t)pl_mremap(w, p, a, 4 * PAGE_SIZE, 4 * PAGE_SIZE, false, 0), (int64_t)a);
	/* shrink while moving: the tail is unmapped, the head travels */
	n = pl_mremap(w, p, a, 4 * PAGE_SIZE, 2 * PAGE_SIZE, true, 0x700000000000ULL);
	T_EQ(n, 0x700000000000ULL);
	T_STREQ(rd(w, p, n), "first");
	T_STREQ(rd(w, p, n + PAGE_SIZE), "rest");
	T_ASSERT(vma_lookup(pl_task(w, p)->mm, a) == NULL);
	T_EQ(vma_lookup(pl_task(w, p)->mm, n)->vm_end, n + 2 * PAGE_SIZE);
	T_EQ(folio_at(w, p, n)->page._refcount, 1);
	clean(w);
	pl_world_free(w);
}

static void test_mremap_moves_thp_table(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr h = pl_mmap(w, p, 0, 2 * PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0), n;
	struct folio *f;

	/* PTE-mapped pages in a PMD-aligned range: move_ptes moves the whole table */
	T_EQ(pl_madvise(w, p, h, 2 * PMD_SIZE, PL_MADV_NOHUGEPAGE), 0);
	T_EQ(pl_user_write(w, p, h + 3 * PAGE_SIZE, tok(w, "moved")), 0);
	f = folio_at(w, p, h + 3 * PAGE_SIZE);
	T_REQUIRE(f && !folio_test_large(f));
	n = pl_mremap(w, p, h, 2 * PMD_SIZE, 2 * PMD_SIZE, true, 0x600000000000ULL);
	T_EQ(n, 0x600000000000ULL);
	T_STREQ(rd(w, p, n + 3 * PAGE_SIZE), "moved");
	T_EQ(folio_at(w, p, n + 3 * PAGE_SIZE), f);
	T_EQ(f->page._refcount, 1);
	T_EQ(folio_mapcount(f), 1);
	T_ASSERT(pl_pte_lookup(pl_task(w, p)->mm, h) == NULL ||
		 pte_none(*pl_pte_lookup(pl_task(w, p)->mm, h + 3 * PAGE_SIZE)));
	clean(w);
	pl_world_free(w);
}

static void test_madvise_edges(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c, f;
	pl_addr a = anon(w, p, 2), fm;
	struct vm_area_struct *v;

	T_EQ(pl_madvise(w, 99, a, PAGE_SIZE, PL_MADV_COLD), -ESRCH);
	T_EQ(pl_madvise(w, p, a + 1, PAGE_SIZE, PL_MADV_COLD), -EINVAL);
	T_EQ(pl_madvise(w, p, a, PAGE_SIZE, (enum pl_madv)99), -EINVAL);
	/* MADV_COLD only deactivates: contents and mapping stay */
	T_EQ(pl_user_write(w, p, a, tok(w, "kept")), 0);
	T_EQ(pl_madvise(w, p, a, 2 * PAGE_SIZE, PL_MADV_COLD), 0);
	T_STREQ(rd(w, p, a), "kept");
	T_ASSERT(pte_present(pte_at(w, p, a)));

	/* WIPEONFORK then KEEPONFORK: the child inherits the contents again */
	T_EQ(pl_madvise(w, p, a, 2 * PAGE_SIZE, PL_MADV_WIPEONFORK), 0);
	T_EQ(pl_madvise(w, p, a, 2 * PAGE_SIZE, PL_MADV_KEEPONFORK), 0);
	v = vma_lookup(pl_task(w, p)->mm, a);
	T_ASSERT(!(v->vm_flags & VM_WIPEONFORK));
	c = pl_fork(w, p);
	T_GT(c, 0);
	T_STREQ(rd(w, c, a), "kept");
	/* MERGEABLE then UNMERGEABLE: ksmd leaves the range alone */
	T_EQ(pl_madvise(w, p, a, 2 * PAGE_SIZE, PL_MADV_MERGEABLE), 0);
	T_ASSERT(vma_lookup(pl_task(w, p)->mm, a)->vm_flags & VM_MERGEABLE);
	T_EQ(pl_madvise(w, p, a, 2 * PAGE_SIZE, PL_MADV_UNMERGEABLE), 0);
	T_ASSERT(!(vma_lookup(pl_task(w, p)->mm, a)->vm_flags & VM_MERGEABLE));

	/* MADV_WIPEONFORK is for private anonymous memory only: EINVAL */
	f = pl_file_create(w, PL_FS_TMPFS, 1, tok(w, "t"));
	fm = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_SHARED, f, 0);
	T_EQ(pl_madvise(w, p, fm, PAGE_SIZE, PL_MADV_WIPEONFORK), -EINVAL);
	/* MADV_POPULATE_READ maps the page cache page without a write fault */
	T_EQ(pl_madvise(w, p, fm, PAGE_SIZE, PL_MADV_POPULATE_READ), 0);
	T_ASSERT(pte_present(pte_at(w, p, fm)) && !pte_write(pte_at(w, p, fm)));
	/* MADV_DONTNEED refuses VM_LOCKED and PFN maps (EINVAL) */
	fm = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		     PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_LOCKED, -1, 0);
	T_EQ(pl_madvise(w, p, fm, PAGE_SIZE, PL_MADV_DONTNEED), -EINVAL);

	/* the names the reports print */
	T_STREQ(pl_madv_name(PL_MADV_DONTNEED), "MADV_DONTNEED");
	T_STREQ(pl_madv_name(PL_MADV_KEEPONFORK), "MADV_KEEPONFORK");
	T_STREQ(pl_madv_name(PL_MADV_COLLAPSE), "MADV_COLLAPSE");
	T_STREQ(pl_madv_name((enum pl_madv)99), "MADV_?");
	clean(w);
	pl_world_free(w);
}

static void test_uffdio_continue_errors(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), shm, ext;
	pl_addr a = anon(w, p, 1), m, e;

	shm = pl_file_create(w, PL_FS_TMPFS, 1, tok(w, "shm"));
	ext = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "ext"));
	T_EQ(pl_uffdio_continue(w, 99, a), -ESRCH);
	/* UFFDIO_CONTINUE is for shmem (minor faults): anon and ext4 are EINVAL */
	T_EQ(pl_uffdio_continue(w, p, a), -EINVAL);
	e = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, ext, 0);
	T_EQ(pl_uffdio_continue(w, p, e), -EINVAL);
	/* a vma reaching past EOF: the page beyond i_size is EFAULT */
	m = pl_mmap(w, p, 0, 2 * PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, shm, 0);
	T_EQ(pl_uffdio_continue(w, p, m + PAGE_SIZE), -EFAULT);
	/* the first install maps the cached page R/O; a second finds the PTE: EEXIST */
	T_EQ(pl_uffdio_continue(w, p, m), 0);
	T_ASSERT(pte_present(pte_at(w, p, m)) && !pte_write(pte_at(w, p, m)));
	T_STREQ(rd(w, p, m), "shm");
	T_EQ(pl_uffdio_continue(w, p, m), -EEXIST);
	clean(w);
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * GUP argument rules
 */
static void test_gup_argument_rules(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	struct mm_struct *mm = pl_task(w, p)->mm;
	pl_addr a = anon(w, p, 1), io;
	pl_pfn pg[1];

	/* each entry point refuses the other family's flag */
	T_EQ(get_user_pages(w, mm, a, 1, FOLL_PIN, pg), -EINVAL);
	T_EQ(get_user_pages_fast(w, mm, a, 1, FOLL_PIN, pg), -EINVAL);
	T_EQ(pin_user_pages_fast(w, mm, a, 1, FOLL_GET, pg), -EINVAL);
	/* FOLL_LONGTERM needs FOLL_PIN, on the fast path too */
	T_EQ(get_user_pages_fast(w, mm, a, 1, FOLL_LONGTERM, pg), -EINVAL);
	/* GUP-fast always returns pages: NULL is EINVAL; no mm is EFAULT/EINVAL */
	T_EQ(get_user_pages_fast(w, mm, a, 1, 0, NULL), -EINVAL);
	T_EQ(get_user_pages(w, NULL, a, 1, 0, pg), -EFAULT);
	/* is_valid_gup_args() refuses before the mm is touched */
	T_ASSERT(!(mm->flags & MMF_HAS_PINNED));
	/* VM_IO | VM_PFNMAP: check_vma_flags refuses with EFAULT */
	io = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		     PL_MAP_SHARED | PL_MAP_ANONYMOUS | PL_MAP_PFNMAP, -1, 0);
	T_EQ(get_user_pages(w, mm, io, 1, 0, pg), -EFAULT);
	T_EQ(pin_user_pages(w, mm, io, 1, FOLL_WRITE, pg), -EFAULT);
	/*
	 * A FOLL_PIN call that passed the flag checks marks the mm before it
	 * walks (mm_set_has_pinned_flag), even when the walk then fails.
	 */
	T_ASSERT(mm->flags & MMF_HAS_PINNED);
	clean(w);
	pl_world_free(w);
}

static void test_force_read_of_prot_none(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), t = pl_task_create(w);
	struct mm_struct *mm = pl_task(w, p)->mm;
	pl_addr a = anon(w, p, 1);
	pl_token got = 0;
	pl_pfn pg[1];

	T_EQ(pl_user_write(w, p, a, tok(w, "secret")), 0);
	T_EQ(pl_mprotect(w, p, a, PAGE_SIZE, PL_PROT_NONE), 0);
	/* a plain read GUP of a PROT_NONE vma: EFAULT (no VM_READ) */
	T_EQ(get_user_pages(w, mm, a, 1, 0, pg), -EFAULT);
	/* FOLL_FORCE reads it: VM_MAYREAD is still set (ptrace, /proc/pid/mem) */
	T_EQ(pl_proc_mem_read(w, t, p, a, &got), 0);
	T_STREQ(pl_token_text(w, got), "secret");
	T_EQ(folio_at(w, p, a) ? folio_at(w, p, a)->page._refcount : 0, 1);
	/* /proc/pid/mem needs a live reader and target, and a buffer */
	T_EQ(pl_proc_mem_read(w, 99, p, a, &got), -ESRCH);
	T_EQ(pl_proc_mem_read(w, t, 99, a, &got), -ESRCH);
	T_EQ(pl_proc_mem_read(w, t, p, a, NULL), -EFAULT);
	/* nothing mapped there: EIO */
	T_EQ(pl_proc_mem_read(w, t, p, 0x1000, &got), -EIO);
	/* process_vm_readv has no FOLL_FORCE: EFAULT on the PROT_NONE page */
	T_EQ(pl_process_vm_readv(w, t, p, a, &got), -EFAULT);
	T_EQ(pl_process_vm_readv(w, t, p, a, NULL), -EFAULT);
	T_EQ(pl_process_vm_readv(w, t, 99, a, &got), -ESRCH);
	T_EQ(pl_process_vm_writev(w, t, 99, a, tok(w, "x")), -ESRCH);
	T_EQ(pl_process_vm_writev(w, t, p, a, tok(w, "x")), -EFAULT);
	clean(w);
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * Pinners
 */
static void test_pipe_refill_and_full(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), pipe;
	pl_addr a = anon(w, p, 20);
	char name[8];
	pl_token t;

	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		T_EQ(pl_user_write(w, p, a + i * PAGE_SIZE, tok(w, name)), 0);
	}
	pipe = pl_pipe_create(w);
	T_GT(pipe, 0);
	T_EQ(pl_vmsplice(w, 99, pipe, a, 1), -ESRCH);
	T_EQ(pl_vmsplice(w, p, pipe + 100, a, 1), -EBADF);
	T_EQ(pl_vmsplice(w, p, pipe, a, 0), 0);
	/* a pipe holds 16 buffers (PIPE_DEF_BUFFERS): 20 pages splice 16 */
	T_EQ(pl_vmsplice(w, p, pipe, a, 20), 16);
	T_EQ(folio_at(w, p, a)->page._refcount, 2);
	T_EQ(pl_vmsplice(w, p, pipe, a + 16 * PAGE_SIZE, 1), -EAGAIN);
	/* reading two buffers makes room for two more, in order */
	T_EQ(pl_pipe_read(w, pipe, &t), 0);
	T_STREQ(pl_token_text(w, t), "p0");
	T_EQ(pl_pipe_read(w, pipe, &t), 0);
	T_STREQ(pl_token_text(w, t), "p1");
	T_EQ(folio_at(w, p, a)->page._refcount, 1);
	T_EQ(pl_pipe_read(w, pipe, NULL), -EFAULT);
	T_EQ(pl_vmsplice(w, p, pipe, a + 16 * PAGE_SIZE, 4), 2);
	for (int i = 2; i < 18; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		T_EQ(pl_pipe_read(w, pipe, &t), 0);
		T_STREQ(pl_token_text(w, t), name);
	}
	T_EQ(pl_pipe_read(w, pipe, &t), -EAGAIN);
	T_EQ(pl_pipe_read(w, pipe + 100, &t), -EBADF);
	T_EQ(pl_pipe_close(w, pipe + 100), -EBADF);
	T_EQ(pl_pipe_close(w, pipe), 0);
	for (int i = 0; i < 20; i++)
		T_EQ(folio_at(w, p, a + i * PAGE_SIZE)->page._refcount, 1);
	clean(w);
	pl_world_free(w);
}

static void test_pinner_handle_errors(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), f, buf, mr, h;
	pl_addr a = anon(w, p, 2);
	pl_token t;

	f = pl_file_create(w, PL_FS_EXT4, 2, tok(w, "disk"));
	T_EQ(pl_user_write(w, p, a, tok(w, "buf")), 0);
	/* io_uring: bad handle, file ranges outside the file */
	buf = io_uring_register_buffers(w, p, a, 2);
	T_GT(buf, 0);
	T_EQ(io_uring_register_buffers(w, 99, a, 1), -ESRCH);
	T_EQ(io_uring_register_buffers(w, p, a, 0), -EINVAL);
	T_EQ(io_uring_write_fixed(w, buf + 100, f, 0), -EBADF);
	T_EQ(io_uring_read_fixed(w, buf + 100, f, 0), -EBADF);
	T_EQ(io_uring_write_fixed(w, buf, f + 100, 0), -EBADF);
	T_EQ(io_uring_write_fixed(w, buf, f, 1), -EINVAL);	/* 2 pages from index 1 */
	T_EQ(io_uring_read_fixed(w, buf, f, 2), -EINVAL);
	T_EQ(io_uring_unregister_buffers(w, buf + 100), -EBADF);
	/* RDMA: a read-only MR takes no DMA writes (EACCES), pages are bounded */
	mr = pl_rdma_reg_mr(w, p, a, 1, false);
	T_GT(mr, 0);
	T_EQ(pl_rdma_dma_write(w, mr, 0, tok(w, "x")), -EACCES);
	T_EQ(pl_rdma_dma_write(w, mr, 1, tok(w, "x")), -EINVAL);
	T_EQ(pl_rdma_dma_write(w, mr + 100, 0, tok(w, "x")), -EBADF);
	T_EQ(pl_rdma_dma_read(w, mr, 1, &t), -EINVAL);
	T_EQ(pl_rdma_dma_read(w, mr + 100, 0, &t), -EBADF);
	T_EQ(pl_rdma_dma_read(w, mr, 0, NULL), -EFAULT);
	T_EQ(pl_rdma_dma_read(w, mr, 0, &t), 0);
	T_STREQ(pl_token_text(w, t), "buf");
	T_EQ(pl_rdma_dereg_mr(w, mr), 0);
	T_EQ(pl_rdma_dereg_mr(w, mr), -EBADF);	/* already deregistered */
	/* gup_test */
	T_EQ(pl_gup_test_pin(w, 99, a, 1, false, false), -ESRCH);
	/* a range with a hole: all or nothing, EFAULT and no pin left behind */
	T_EQ(pl_gup_test_pin(w, p, a, 64, false, false), -EFAULT);
	T_EQ(folio_at(w, p, a)->page._refcount, 1 + GUP_PIN_COUNTING_BIAS);	/* io_uring's */
	h = pl_gup_test_pin(w, p, a, 1, false, true);
	T_GT(h, 0);
	T_EQ(pl_gup_test_read(w, h + 100, 0, &t), -EBADF);
	T_EQ(pl_gup_test_read(w, h, 1, &t), -EINVAL);
	T_EQ(pl_gup_test_read(w, h, 0, NULL), -EFAULT);
	T_EQ(pl_gup_test_unpin(w, h + 100), -EBADF);
	T_EQ(pl_gup_test_unpin(w, h), 0);
	/* O_DIRECT */
	T_EQ(pl_dio_submit(w, 99, f, 0, a, 1, false), -ESRCH);
	T_EQ(pl_dio_submit(w, p, f, 0, a, 0, false), -EINVAL);
	T_EQ(pl_dio_submit(w, p, f + 100, 0, a, 1, false), -EBADF);
	T_EQ(pl_dio_submit(w, p, f, 0, a, 64, false), -EINVAL);	/* past EOF */
	T_EQ(pl_dio_complete(w, 12345), -EBADF);
	T_EQ(io_uring_unregister_buffers(w, buf), 0);
	T_EQ(folio_at(w, p, a)->page._refcount, 1);
	clean(w);
	pl_world_free(w);
}

static void test_dio_write_to_ext4(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), f, req;
	pl_addr a = anon(w, p, 1);
	pl_token t;

	f = pl_file_create(w, PL_FS_EXT4, 2, tok(w, "old"));
	T_EQ(pl_user_write(w, p, a, tok(w, "payload")), 0);
	/* page 1 is cached (a buffered write), page 0 is not */
	T_EQ(pl_file_write(w, f, 1, tok(w, "cached")), 0);
	req = pl_dio_submit(w, p, f, 0, a, 1, true);
	T_GT(req, 0);
	/* write(2) with O_DIRECT: the device only reads memory, no FOLL_WRITE */
	T_EQ(folio_at(w, p, a)->page._refcount, 1 + GUP_PIN_COUNTING_BIAS);
	T_EQ(pl_dio_complete(w, req), 0);
	T_STREQ(pl_token_text(w, pl_file_disk(w, f, 0)), "payload");
	T_EQ(pl_file_read(w, f, 0, &t), 0);
	T_STREQ(pl_token_text(w, t), "payload");
	T_EQ(folio_at(w, p, a)->page._refcount, 1);
	/* a second O_DIRECT write over the cached page keeps the cache coherent */
	req = pl_dio_submit(w, p, f, 1, a, 1, true);
	T_EQ(pl_dio_complete(w, req), 0);
	T_STREQ(pl_token_text(w, pl_file_disk(w, f, 1)), "payload");
	T_EQ(pl_file_read(w, f, 1, &t), 0);
	T_STREQ(pl_token_text(w, t), "payload");
	T_EQ(pl_dio_complete(w, req), -EBADF);	/* completed once */
	T_EQ(pl_file_disk(w, f + 100, 0), PL_TOKEN_ZERO);
	T_EQ(pl_file_disk(w, f, 7), PL_TOKEN_ZERO);
	clean(w);
	pl_world_free(w);
}

static void test_exit_releases_pins_and_waits_for_io(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), f, c, buf, req;
	pl_addr a = anon(w, p, 2);
	struct folio *f0, *f1;

	f = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "from disk"));
	T_EQ(pl_user_write(w, p, a, tok(w, "zero")), 0);
	T_EQ(pl_user_write(w, p, a + PAGE_SIZE, tok(w, "one")), 0);
	c = pl_fork(w, p);
	T_GT(c, 0);
	/* the child registers an io_uring buffer and starts an O_DIRECT read */
	buf = io_uring_register_buffers(w, c, a, 1);
	T_GT(buf, 0);
	req = pl_dio_submit(w, c, f, 0, a + PAGE_SIZE, 1, false);
	T_GT(req, 0);
	f0 = folio_at(w, c, a);
	f1 = folio_at(w, c, a + PAGE_SIZE);
	T_REQUIRE(f0 && f1);
	/* both pins unshared the pages from the parent (FOLL_WRITE: COW) */
	T_NE(f0, folio_at(w, p, a));
	T_NE(f1, folio_at(w, p, a + PAGE_SIZE));
	T_EQ(f0->page._refcount, 1 + GUP_PIN_COUNTING_BIAS);
	/*
	 * exit: the ring is torn down (buffers unpinned) and in-flight
	 * O_DIRECT completes before the mm goes; then the pages are freed.
	 */
	T_EQ(pl_exit(w, c), 0);
	T_ASSERT(!pl_pinset_get(w, buf)->active);
	T_ASSERT(!pl_pinset_get(w, req)->active);
	T_STREQ(rd(w, p, a), "zero");
	T_STREQ(rd(w, p, a + PAGE_SIZE), "one");
	clean(w);
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * Reclaim, swap, files, THP
 */
static void test_reclaim_mlocked_elsewhere(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c, f;
	pl_addr a = anon(w, p, 1), fm;
	struct folio *folio;

	T_EQ(pl_swapon(w, 8), 0);
	T_EQ(pl_user_write(w, p, a, tok(w, "locked")), 0);
	c = pl_fork(w, p);
	folio = folio_at(w, p, a);
	/* the child mlocks its copy of the mapping: VM_LOCKED, read-only populate */
	T_EQ(pl_mprotect(w, c, a, PAGE_SIZE, PL_PROT_READ), 0);
	T_EQ(pl_mlock(w, c, a, PAGE_SIZE), 0);
	T_ASSERT(vma_lookup(pl_task(w, c)->mm, a)->vm_flags & VM_LOCKED);
	/*
	 * Reclaim from the parent: try_to_unmap stops at the VM_LOCKED vma,
	 * so the folio stays mapped there (and in the swap cache).
	 */
	T_EQ(pl_reclaim(w, p, a), -EBUSY);
	T_EQ(folio_at(w, c, a), folio);
	T_ASSERT(folio_test_swapcache(folio));
	T_STREQ(rd(w, p, a), "locked");
	T_STREQ(rd(w, c, a), "locked");
	/* the reclaimer itself: a VM_LOCKED vma is never reclaimed */
	T_EQ(pl_reclaim(w, c, a), -EBUSY);
	T_EQ(pl_reclaim(w, 99, a), -ESRCH);
	T_EQ(pl_reclaim(w, p, 0x1000), -EFAULT);

	/* the same for a page-cache page mapped VM_LOCKED in another process */
	f = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "file"));
	fm = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_SHARED, f, 0);
	T_REQUIRE(!pl_err(fm));
	T_STREQ(rd(w, p, fm), "file");
	T_REQUIRE(pl_mmap(w, c, fm, PAGE_SIZE, PL_PROT_READ, PL_MAP_SHARED | PL_MAP_FIXED |
			  PL_MAP_LOCKED, f, 0) == fm);
	T_STREQ(rd(w, c, fm), "file");
	T_EQ(pl_reclaim(w, p, fm), -EBUSY);
	T_ASSERT(pte_present(pte_at(w, c, fm)));
	clean(w);
	pl_world_free(w);
}

/* mlock(2)/munlock(2): holes, PROT_NONE, fork, and the COW its populate breaks. */
static void test_mlock_edges(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 2), none;
	struct mm_struct *mm = pl_task(w, p)->mm;

	T_EQ(pl_mlock(w, 99, a, PAGE_SIZE), -ESRCH);
	T_EQ(pl_mlock(w, p, a, 0), 0);
	T_ASSERT(!(vma_lookup(mm, a)->vm_flags & VM_LOCKED));
	/* a hole: the mapped part before it is locked, then ENOMEM */
	T_EQ(pl_mlock(w, p, a, 64 * PAGE_SIZE), -ENOMEM);
	T_ASSERT(vma_lookup(mm, a + PAGE_SIZE)->vm_flags & VM_LOCKED);
	T_ASSERT(!pte_present(pte_at(w, p, a + PAGE_SIZE)));	/* no populate after the error */
	/* an address inside a page covers the whole page */
	T_EQ(pl_munlock(w, p, a + PAGE_SIZE + 100, 1), 0);
	T_ASSERT(vma_lookup(mm, a)->vm_flags & VM_LOCKED);
	T_ASSERT(!(vma_lookup(mm, a + PAGE_SIZE)->vm_flags & VM_LOCKED));
	/* PROT_NONE: the populate is EFAULT, which mlock(2) reports as ENOMEM */
	none = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_NONE, PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_REQUIRE(!pl_err(none));
	T_EQ(pl_mlock(w, p, none, PAGE_SIZE), -ENOMEM);
	T_ASSERT(vma_lookup(mm, none)->vm_flags & VM_LOCKED);
	/* fork: mlock is not inherited; the child's mlock breaks COW at once */
	T_EQ(pl_user_write(w, p, a, tok(w, "old")), 0);
	c = pl_fork(w, p);
	T_ASSERT(!(vma_lookup(pl_task(w, c)->mm, a)->vm_flags & VM_LOCKED));
	T_EQ(folio_at(w, c, a), folio_at(w, p, a));
	T_EQ(pl_mlock(w, c, a, PAGE_SIZE), 0);
	T_ASSERT(folio_at(w, c, a) != folio_at(w, p, a));
	T_STREQ(rd(w, c, a), "old");
	T_EQ(pl_user_write(w, p, a, tok(w, "new")), 0);
	T_STREQ(rd(w, c, a), "old");
	clean(w);
	pl_world_free(w);
}

static void test_swap_full_and_wrap(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 3);
	pl_token t;

	T_EQ(pl_swapon(w, 0), -EINVAL);
	T_EQ(pl_swapon(w, 2), 0);
	T_EQ(pl_swapon(w, 2), -EBUSY);
	for (int i = 0; i < 3; i++)
		T_EQ(pl_user_write(w, p, a + i * PAGE_SIZE, tok(w, i == 0 ? "a" : i == 1 ? "b"
									       : "c")), 0);
	T_EQ(pl_reclaim(w, p, a), 0);
	T_EQ(pl_reclaim(w, p, a + PAGE_SIZE), 0);
	/* two slots, both used: the third page has nowhere to go */
	T_EQ(pl_reclaim(w, p, a + 2 * PAGE_SIZE), -ENOMEM);
	T_ASSERT(pte_present(pte_at(w, p, a + 2 * PAGE_SIZE)));
	/* swap the first page back in and drop it: its slot is free again */
	T_STREQ(rd(w, p, a), "a");
	T_EQ(pl_munmap(w, p, a, PAGE_SIZE), 0);
	/* the allocator wraps around to the freed slot 1 */
	T_EQ(pl_reclaim(w, p, a + 2 * PAGE_SIZE), 0);
	T_EQ(pte_swp_offset(pte_at(w, p, a + 2 * PAGE_SIZE)), 1);
	T_EQ(pl_user_read(w, p, a + 2 * PAGE_SIZE, &t), 0);
	T_STREQ(pl_token_text(w, t), "c");
	T_STREQ(rd(w, p, a + PAGE_SIZE), "b");
	clean(w);
	pl_world_free(w);
}

static void test_reclaim_swapcache(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 1);
	struct folio *f;

	T_EQ(pl_swapon(w, 4), 0);
	T_EQ(pl_user_write(w, p, a, tok(w, "shared")), 0);
	c = pl_fork(w, p);
	/* both mappings go to one slot, the folio is freed */
	T_EQ(pl_reclaim(w, p, a), 0);
	T_ASSERT(is_swap_pte(pte_at(w, p, a)) && is_swap_pte(pte_at(w, c, a)));
	T_EQ(pl_reclaim_swapcache(w), 0);
	/* the child swaps in: the folio sits in the swap cache, mapped */
	T_STREQ(rd(w, c, a), "shared");
	f = folio_at(w, c, a);
	T_REQUIRE(f && folio_test_swapcache(f));
	/* mapped: not freeable */
	T_EQ(pl_reclaim_swapcache(w), 0);
	/* unmapped, clean, only the swap cache's reference left: freed */
	T_EQ(pl_munmap(w, c, a, PAGE_SIZE), 0);
	T_EQ(f->page._refcount, 1);
	T_EQ(pl_reclaim_swapcache(w), 1);
	T_EQ(pl_reclaim_swapcache(w), 0);
	/* the parent's swap entry still reads the slot's contents */
	T_STREQ(rd(w, p, a), "shared");
	clean(w);
	pl_world_free(w);
}

static void test_truncate(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), f;
	struct mm_struct *mm = pl_task(w, p)->mm;
	struct folio *folio;
	pl_pfn pg[1];
	pl_addr m;
	pl_token t;

	f = pl_file_create(w, PL_FS_EXT4, 4, tok(w, "data"));
	T_EQ(pl_file_truncate(w, f + 100, 1), -EBADF);
	T_EQ(pl_file_truncate(w, f, 0xffffffffu), -EFBIG);
	T_EQ(pl_file_write(w, f, 3, tok(w, "tail")), 0);
	/* shrink: the cached page past the new end is dropped, blocks freed */
	T_EQ(pl_file_truncate(w, f, 2), 0);
	T_EQ(pl_file_read(w, f, 3, &t), -EINVAL);
	/* grow again: the new pages are a hole, read as zeroes */
	T_EQ(pl_file_truncate(w, f, 4), 0);
	T_EQ(pl_file_read(w, f, 3, &t), 0);
	T_EQ(t, PL_TOKEN_ZERO);
	T_EQ(pl_file_read(w, f, 1, &t), 0);
	T_STREQ(pl_token_text(w, t), "data");

	/*
	 * A page held by a GUP reference but no longer mapped: truncation
	 * takes it out of the page cache; the reference keeps the folio
	 * alive, orphaned, until put_page().
	 */
	m = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_SHARED, f, 1);
	T_EQ(get_user_pages(w, mm, m, 1, 0, pg), 1);
	T_EQ(pl_munmap(w, p, m, PAGE_SIZE), 0);
	folio = pfn_folio(w, pg[0]);
	T_EQ(folio->page._refcount, 2);		/* page cache + GET */
	T_EQ(pl_file_truncate(w, f, 1), 0);
	T_EQ(folio->page._refcount, 1);		/* the GET only */
	T_EQ(folio->page.mapping, 0);
	T_STREQ(pl_token_text(w, pfn_to_page(w, pg[0])->token), "data");
	clean(w);
	put_page(w, pg[0]);
	T_ASSERT(pfn_to_page(w, pg[0])->flags & PG_free);
	clean(w);
	pl_world_free(w);
}

static void test_writeback_errors(void)
{
	struct world *w = new_world("latest");
	int f, shm;

	f = pl_file_create(w, PL_FS_EXT4, 2, tok(w, "d"));
	shm = pl_file_create(w, PL_FS_TMPFS, 1, tok(w, "s"));
	T_EQ(pl_file_create(w, (enum pl_fs)9, 1, 0), -EINVAL);
	T_EQ(pl_file_create(w, PL_FS_EXT4, 0xffffffffu, 0), -EFBIG);
	T_EQ(pl_writeback(w, f + 100, 0), -EBADF);
	T_EQ(pl_writeback(w, f, 2), -EINVAL);
	T_EQ(pl_writeback(w, f, 0), 0);		/* nothing cached: nothing to write */
	T_EQ(pl_writeback(w, shm, 0), 0);	/* tmpfs has no disk: nothing to do */
	T_EQ(pl_writeback_file(w, f + 100), -EBADF);
	T_EQ(pl_file_set_huge_order(w, f + 100, HPAGE_PMD_ORDER), -EBADF);
	T_EQ(pl_file_set_huge_order(w, f, HPAGE_PMD_ORDER), -EINVAL);	/* not hugetlbfs */
	T_EQ(pl_file_write(w, f, 1, tok(w, "new")), 0);
	T_EQ(pl_writeback_file(w, f), 0);
	T_STREQ(pl_token_text(w, pl_file_disk(w, f, 1)), "new");
	clean(w);
	pl_world_free(w);
}

static void test_thp_split_and_collapse_refusals(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), h;
	pl_addr t = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0), a, hp;
	struct folio *f;

	T_EQ(pl_madvise(w, p, t, PMD_SIZE, PL_MADV_HUGEPAGE), 0);
	T_EQ(pl_user_write(w, p, t + 5 * PAGE_SIZE, tok(w, "five")), 0);
	f = folio_at(w, p, t);
	T_REQUIRE(f && folio_test_large(f) && f->page._entire_mapcount == 1);
	/* MADV_COLLAPSE of what is already a PMD-mapped THP succeeds, no-op */
	T_EQ(pl_thp_collapse(w, p, t), 0);
	T_EQ(folio_at(w, p, t), f);
	/* split the PMD: 512 PTEs map the same large folio, contents intact */
	T_EQ(pl_thp_split(w, 99, t), -ESRCH);
	T_EQ(pl_thp_split(w, p, 0x1000), -EINVAL);
	T_EQ(pl_thp_split(w, p, t), 0);
	T_EQ(f->page._entire_mapcount, 0);
	T_EQ(folio_mapcount(f), HPAGE_PMD_NR);
	T_EQ(f->page._refcount, HPAGE_PMD_NR);
	T_ASSERT(pte_present(pte_at(w, p, t + 5 * PAGE_SIZE)));
	T_STREQ(rd(w, p, t + 5 * PAGE_SIZE), "five");
	/* splitting what is no longer PMD-mapped does nothing */
	T_EQ(pl_thp_split(w, p, t), 0);
	clean(w);

	/* a pinned page blocks MADV_COLLAPSE (SCAN_PAGE_COUNT -> EAGAIN) */
	a = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_EQ(pl_madvise(w, p, a, PMD_SIZE, PL_MADV_NOHUGEPAGE), 0);
	T_EQ(pl_user_write(w, p, a, tok(w, "pinned")), 0);
	h = pl_gup_test_pin(w, p, a, 1, true, false);
	T_GT(h, 0);
	T_EQ(pl_thp_collapse(w, p, a), -EAGAIN);
	T_EQ(pl_thp_collapse(w, 99, a), -ESRCH);
	T_ASSERT(!folio_test_large(folio_at(w, p, a)));
	T_EQ(pl_gup_test_unpin(w, h), 0);
	clean(w);

	/* hugetlb PMDs are never split */
	T_EQ(pl_hugetlb_set_pool(w, 1), 0);
	hp = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		     PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	T_EQ(pl_user_write(w, p, hp, tok(w, "huge")), 0);
	T_EQ(pl_thp_split(w, p, hp), -EINVAL);
	T_STREQ(rd(w, p, hp), "huge");
	clean(w);
	pl_world_free(w);
}

static void test_file_fault_past_eof(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), f;
	struct mm_struct *mm = pl_task(w, p)->mm;
	pl_addr m;
	pl_pfn pg[2];

	f = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "only"));
	/* a two-page mapping of a one-page file: mmap allows it */
	m = pl_mmap(w, p, 0, 2 * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_PRIVATE, f, 0);
	T_REQUIRE(!pl_err(m));
	T_STREQ(rd(w, p, m), "only");
	/* the page past EOF is SIGBUS, for reads and for (COW) writes (-EBUSY here) */
	T_EQ(pl_user_write(w, p, m + PAGE_SIZE, tok(w, "x")), -EBUSY);
	T_STREQ(rd(w, p, m + PAGE_SIZE), "<fault>");
	T_ASSERT(pte_none(pte_at(w, p, m + PAGE_SIZE)));
	/* GUP turns the SIGBUS into EFAULT for the first page it cannot get */
	T_EQ(get_user_pages(w, mm, m + PAGE_SIZE, 1, 0, pg), -EFAULT);
	/* ... and returns the pages it got before it */
	T_EQ(get_user_pages(w, mm, m, 2, 0, pg), 1);
	put_page(w, pg[0]);
	clean(w);
	pl_world_free(w);
}

static void test_1g_page_over_former_small_mapping(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	struct mm_struct *mm = pl_task(w, p)->mm;
	pl_addr base = 0x40000000ULL * 8, h;	/* PUD aligned */
	pud_t *pudp;
	uint64_t tables;

	/* small pages first: a pmd table and a PTE table under the pud slot */
	T_REQUIRE(pl_mmap(w, p, base, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_FIXED, -1, 0) == base);
	T_EQ(pl_user_write(w, p, base, tok(w, "small")), 0);
	T_EQ(pl_munmap(w, p, base, PAGE_SIZE), 0);
	tables = mm->nr_ptes;
	/* then a 1 GiB hugetlb page at the same place: the empty tables go */
	T_EQ(pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1), 0);
	h = pl_mmap(w, p, base, PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB | PL_MAP_HUGE_1GB |
		    PL_MAP_FIXED, -1, 0);
	T_EQ(h, base);
	T_EQ(pl_user_write(w, p, h + PAGE_SIZE, tok(w, "huge")), 0);
	pudp = pl_pud_lookup(mm, h);
	T_REQUIRE(pudp && pud_leaf(*pudp));
	T_ASSERT(pl_pmd_lookup(mm, h) == NULL || pud_leaf(*pl_pmd_lookup(mm, h)));
	T_LT(mm->nr_ptes, tables);
	T_STREQ(rd(w, p, h), "");
	T_STREQ(rd(w, p, h + PAGE_SIZE), "huge");
	T_EQ(w->hugetlb_1g_free, 0);
	clean(w);
	pl_world_free(w);
}

static void test_names_of_unknown_values(void)
{
	struct world *w = new_world("latest");

	/* reports print "?" for a value outside the tables, never garbage */
	T_STREQ(pl_event_kind_name(PL_EV_COW), "cow");
	T_STREQ(pl_event_kind_name(PL_EV_NOTE), "note");
	T_STREQ(pl_event_kind_name((enum pl_event_kind)999), "?");
	T_STREQ(pl_token_text(w, PL_TOKEN_ZERO), "");
	T_STREQ(pl_token_text(w, 123456), "?");
	T_ASSERT(pl_task(w, 0) == NULL && pl_task(w, 1) == NULL);
	pl_world_free(w);
}

/*
 * uprobes: a breakpoint goes into every private mapping of the probed file
 * page as an anon copy (COW), never into the page cache; unregistering puts
 * the original back.  Both eras: the old __replace_page() path (v6.5) and
 * the 2025 write-in-place rewrite (latest).
 */
static void uprobe_round_trip(const char *preset)
{
	struct world *w = new_world(preset);
	int p = pl_task_create(w), q = pl_task_create(w), f, shm;
	pl_addr tp, tq, sh;
	pl_token t;

	f = pl_file_create(w, PL_FS_EXT4, 2, tok(w, "text"));
	shm = pl_file_create(w, PL_FS_HUGETLBFS, HPAGE_PMD_NR, tok(w, "h"));
	tp = pl_mmap(w, p, 0, 2 * PAGE_SIZE, PL_PROT_READ | PL_PROT_EXEC, PL_MAP_PRIVATE, f, 0);
	tq = pl_mmap(w, q, 0, 2 * PAGE_SIZE, PL_PROT_READ | PL_PROT_EXEC, PL_MAP_PRIVATE, f, 0);
	/* a shared mapping of the same file is never patched */
	sh = pl_mmap(w, q, 0, 2 * PAGE_SIZE, PL_PROT_READ, PL_MAP_SHARED, f, 0);
	T_STREQ(rd(w, p, tp), "text");
	T_STREQ(rd(w, q, tq), "text");
	T_STREQ(rd(w, q, sh), "text");
	T_EQ(pl_uprobe_register(w, f + 100, 0, tok(w, "int3")), -EBADF);
	T_EQ(pl_uprobe_register(w, f, 2, tok(w, "int3")), -EINVAL);	/* past EOF */
	T_EQ(pl_uprobe_register(w, shm, 0, tok(w, "int3")), -EINVAL);	/* hugetlbfs */
	T_EQ(pl_uprobe_unregister(w, f + 100, 0), -EBADF);
	/* nothing installed yet: nothing to restore */
	T_EQ(pl_uprobe_unregister(w, f, 0), 0);

	T_EQ(pl_uprobe_register(w, f, 0, tok(w, "int3")), 2);
	T_STREQ(rd(w, p, tp), "int3");
	T_STREQ(rd(w, q, tq), "int3");
	T_ASSERT(folio_test_anon(folio_at(w, p, tp)));
	/* the file and its shared mapping never see the breakpoint */
	T_EQ(pl_file_read(w, f, 0, &t), 0);
	T_STREQ(pl_token_text(w, t), "text");
	T_STREQ(rd(w, q, sh), "text");
	T_STREQ(rd(w, p, tp + PAGE_SIZE), "text");

	T_EQ(pl_uprobe_unregister(w, f, 0), 2);
	T_STREQ(rd(w, p, tp), "text");
	T_STREQ(rd(w, q, tq), "text");
	/* a second unregister finds only original text: nothing restored */
	T_EQ(pl_uprobe_unregister(w, f, 0), 0);
	clean(w);
	pl_world_free(w);
}

static void test_uprobe_replace_page(void)
{
	uprobe_round_trip("v6.5");
}

static void test_uprobe_write_in_place(void)
{
	uprobe_round_trip("latest");
}

/*
 * hugetlb_wp(): a write fault on a R/O hugetlb PTE whose anon page is
 * mapped once (the fork child exited) reuses it: no copy, the pool keeps
 * its free page.
 */
static void test_hugetlb_write_reuses_sole_mapping(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr h;
	struct folio *f;
	pmd_t *pmdp;

	T_EQ(pl_hugetlb_set_pool(w, 2), 0);
	h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	T_EQ(pl_user_write(w, p, h, tok(w, "before")), 0);
	f = folio_at(w, p, h);
	c = pl_fork(w, p);
	T_GT(c, 0);
	pmdp = pl_pmd_lookup(pl_task(w, p)->mm, h);
	T_REQUIRE(pmdp && pmd_leaf(*pmdp) && !pte_write(*pmdp));
	T_EQ(pl_exit(w, c), 0);
	T_EQ(folio_mapcount(f), 1);
	T_EQ(w->hugetlb_free, 1);
	T_EQ(pl_user_write(w, p, h, tok(w, "after")), 0);
	T_EQ(folio_at(w, p, h), f);
	T_ASSERT(pte_write(*pmdp) && pte_dirty(*pmdp));
	T_EQ(w->hugetlb_free, 1);
	T_STREQ(rd(w, p, h), "after");
	clean(w);
	pl_world_free(w);
}

/*
 * Every world starts the same: its first 1,024 pfns (the zero page, the free
 * alignment gap, the huge zero page) and the allocator's state after them,
 * whether pl_world_new() wrote them or took a chunk that a freed world left
 * with the template in it (folio.c).  Ten worlds alive at once: the pool
 * holds at most 8 chunks, so some start the usual way; and again after a
 * world that took pages from the gap, forked and wrote was freed.
 */
#define START_PAGES 1024
struct world_start {
	struct page pages[START_PAGES];
	pl_pfn next_pfn, zero_pfn, huge_zero_pfn;
	pl_pfn free_list[HPAGE_PUD_ORDER + 1];
	uint32_t check_runs[8][2], check_nr_runs;
	uint64_t memmap_gen, nr_alloc_pages;
};

static void world_start(const struct world *w, struct world_start *s)
{
	memset(s, 0, sizeof(*s));
	for (pl_pfn pfn = 1; pfn < START_PAGES; pfn++)
		s->pages[pfn] = *pfn_to_page(w, pfn);
	s->next_pfn = w->next_pfn;
	s->zero_pfn = w->zero_pfn;
	s->huge_zero_pfn = w->huge_zero_pfn;
	memcpy(s->free_list, w->free_list, sizeof(s->free_list));
	memcpy(s->check_runs, w->check_runs, sizeof(s->check_runs));
	s->check_nr_runs = w->check_nr_runs;
	s->memmap_gen = w->memmap_gen;
	s->nr_alloc_pages = w->nr_alloc_pages;
}

static void test_every_world_starts_the_same(void)
{
	static struct world_start first, other;
	struct world *ws[10];

	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 10; i++) {
			ws[i] = new_world("latest");
			T_REQUIRE(ws[i] != NULL);
			world_start(ws[i], i || round ? &other : &first);
			if (i || round)
				T_ASSERT(!memcmp(&first, &other, sizeof(first)));
		}
		/* dirty them all: gap pages taken, mapped, forked, written, freed */
		for (int i = 0; i < 10; i++) {
			struct world *w = ws[i];
			int p = pl_task_create(w), c;
			pl_addr a = anon(w, p, 4);

			T_EQ(pl_user_write(w, p, a, tok(w, "x")), 0);
			T_EQ(pl_user_write(w, p, a + PAGE_SIZE, tok(w, "y")), 0);
			c = pl_fork(w, p);
			T_GT(c, 0);
			T_EQ(pl_user_write(w, c, a, tok(w, "z")), 0);
			T_NE(w->next_pfn == first.next_pfn && w->free_list[0] == first.free_list[0], 1);
			pl_world_free(w);
		}
	}
}

/*
 * A reset world is a new world: pl_world_reset() of a world that mapped,
 * forked, pinned, swapped, used a file and the hugetlb pool and recorded
 * violations (under v4.8) starts as pl_world_new() starts, and the same
 * program then does the same on both, page for page (fuzz/fuzz_core.c runs
 * every input on one world reset in between).
 */
#define RESET_PAGES 4096
struct world_run {
	int ret[16];
	struct page pages[RESET_PAGES];
	pl_pfn next_pfn, free_list[HPAGE_PUD_ORDER + 1];
	uint64_t nr_alloc_pages, memmap_gen;
	uint32_t nr_tokens, nr_swap, hugetlb_total, hugetlb_free, check_nr_runs;
	int nr_violations, nr_tasks, nr_files, nr_pins;
	struct pl_stats stats;
};

static void world_program(struct world *w, struct world_run *r)
{
	int p, c, n = 0, file;
	pl_addr a, h, m;

	memset(r, 0, sizeof(*r));
	r->ret[n++] = pl_swapon(w, 64);
	r->ret[n++] = pl_hugetlb_set_pool(w, 2);
	file = pl_file_create(w, PL_FS_EXT4, 4, tok(w, "file"));
	r->ret[n++] = file;
	p = pl_task_create(w);
	a = anon(w, p, 8);
	h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	m = pl_mmap(w, p, 0, 4 * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_PRIVATE, file, 0);
	r->ret[n++] = pl_user_write(w, p, a, tok(w, "a"));
	r->ret[n++] = pl_user_write(w, p, a + PAGE_SIZE, tok(w, "b"));
	r->ret[n++] = pl_user_write(w, p, h, tok(w, "h"));
	r->ret[n++] = pl_user_write(w, p, m, tok(w, "m"));
	r->ret[n++] = pl_gup_test_pin(w, p, a, 1, false, false);
	c = pl_fork(w, p);
	r->ret[n++] = c;
	r->ret[n++] = pl_user_write(w, p, a, tok(w, "c"));
	r->ret[n++] = pl_user_write(w, c, a, tok(w, "e"));
	r->ret[n++] = pl_reclaim(w, p, a + PAGE_SIZE);
	r->ret[n++] = pl_user_write(w, p, a + PAGE_SIZE, tok(w, "d"));
	r->ret[n++] = pl_check_world(w);
	for (pl_pfn pfn = 1; pfn < RESET_PAGES && pfn < w->next_pfn; pfn++)
		memcpy(&r->pages[pfn], pfn_to_page(w, pfn), sizeof(r->pages[pfn]));
	r->next_pfn = w->next_pfn;
	memcpy(r->free_list, w->free_list, sizeof(r->free_list));
	r->nr_alloc_pages = w->nr_alloc_pages;
	r->memmap_gen = w->memmap_gen;
	r->nr_tokens = w->nr_tokens;
	r->nr_swap = w->nr_swap;
	r->hugetlb_total = w->hugetlb_total;
	r->hugetlb_free = w->hugetlb_free;
	r->check_nr_runs = w->check_nr_runs;
	r->nr_violations = w->nr_violations;
	r->nr_tasks = w->nr_tasks;
	r->nr_files = w->nr_files;
	r->nr_pins = w->nr_pins;
	r->stats = w->stats;
}

static void test_reset_world_starts_the_same(void)
{
	static struct world_start fresh, reset;
	static struct world_run a, b;
	const struct pl_preset *latest = pl_preset_find("latest");
	struct world *w = new_world("v4.8"), *n;

	T_REQUIRE(w != NULL && latest != NULL);
	world_program(w, &a);
	T_GT(a.nr_violations, 0);	/* the pin lost to the parent's COW (v4.8) */
	pl_world_reset(w, &latest->policy, "latest");
	w->checked = true;
	n = new_world("latest");
	T_REQUIRE(n != NULL);
	world_start(n, &fresh);
	world_start(w, &reset);
	T_ASSERT(!memcmp(&fresh, &reset, sizeof(fresh)));
	T_EQ(w->nr_violations, 0);
	T_EQ(w->nr_tasks, 0);
	T_EQ(w->nr_tokens, n->nr_tokens);
	T_STREQ(w->preset, "latest");
	world_program(n, &a);
	world_program(w, &b);
	for (int i = 0; i < 16; i++)
		T_EQ(a.ret[i], b.ret[i]);
	T_ASSERT(!memcmp(&a, &b, sizeof(a)));
	T_EQ(a.nr_violations, 0);
	pl_world_free(n);
	pl_world_free(w);
}

int main(void)
{
	T_RUN(test_mmap_errors);
	T_RUN(test_munmap_mprotect_errors);
	T_RUN(test_mprotect_thp_prot_none);
	T_RUN(test_mremap_edges);
	T_RUN(test_mremap_moves_thp_table);
	T_RUN(test_madvise_edges);
	T_RUN(test_uffdio_continue_errors);
	T_RUN(test_gup_argument_rules);
	T_RUN(test_force_read_of_prot_none);
	T_RUN(test_pipe_refill_and_full);
	T_RUN(test_pinner_handle_errors);
	T_RUN(test_dio_write_to_ext4);
	T_RUN(test_exit_releases_pins_and_waits_for_io);
	T_RUN(test_reclaim_mlocked_elsewhere);
	T_RUN(test_mlock_edges);
	T_RUN(test_swap_full_and_wrap);
	T_RUN(test_reclaim_swapcache);
	T_RUN(test_truncate);
	T_RUN(test_writeback_errors);
	T_RUN(test_thp_split_and_collapse_refusals);
	T_RUN(test_file_fault_past_eof);
	T_RUN(test_1g_page_over_former_small_mapping);
	T_RUN(test_names_of_unknown_values);
	T_RUN(test_uprobe_replace_page);
	T_RUN(test_uprobe_write_in_place);
	T_RUN(test_hugetlb_write_reuses_sole_mapping);
	T_RUN(test_every_world_starts_the_same);
	T_RUN(test_reset_world_starts_the_same);
	return T_DONE();
}
