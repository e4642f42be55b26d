/*
 * Description: one sub-test per core mechanism -- faults, the zero page,
 * COW after fork, pin accounting with the 1024 bias and _pincount, GUP slow
 * and fast, unsharing, fork's copy of pinned pages, MADV_DONTFORK /
 * WIPEONFORK, THP fault/split/collapse, hugetlb pool exhaustion, mremap,
 * mprotect, swap round trip, fault-around's window, and the invariant checker staying quiet on
 * healthy runs.  Every sub-test asserts contents and counts.
 */
#include "testlib.h"

#include <errno.h>
#include <string.h>

#include "pinlab/core.h"

static struct world *new_world(const char *preset)
{
	struct world *w = pl_world_new(&pl_preset_find(preset)->policy, preset);

	w->checked = true;
	return w;
}

static struct folio *folio_at(struct world *w, int pid, pl_addr a)
{
	pte_t *ptep = pl_pte_lookup(pl_task(w, pid)->mm, a);
	pmd_t *pmdp = pl_pmd_lookup(pl_task(w, pid)->mm, a);

	if (pmdp && pmd_leaf(*pmdp))
		return pfn_folio(w, pte_pfn(*pmdp));
	if (!ptep || !pte_present(*ptep))
		return NULL;
	return pfn_folio(w, pte_pfn(*ptep));
}

static pte_t pte_at(struct world *w, int pid, pl_addr a)
{
	pte_t *ptep = pl_pte_lookup(pl_task(w, pid)->mm, a);

	return ptep ? *ptep : 0;
}

static const char *rd(struct world *w, int pid, pl_addr a)
{
	pl_token t = 0;

	if (pl_user_read(w, pid, a, &t))
		return "<fault>";
	return pl_token_text(w, t);
}

static pl_addr anon(struct world *w, int pid, unsigned long pages)
{
	return pl_mmap(w, pid, 0, pages * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		       PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
}

static void test_read_fault_maps_zero_page(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);

	T_STREQ(rd(w, p, a), "");
	T_ASSERT(pte_special(pte_at(w, p, a)));
	T_EQ(pte_pfn(pte_at(w, p, a)), w->zero_pfn);
	T_ASSERT(!pte_write(pte_at(w, p, a)));
	/* the first write replaces the zero page by a fresh exclusive page */
	T_EQ(pl_user_write(w, p, a, pl_token_intern(w, "x")), 0);
	T_ASSERT(pte_write(pte_at(w, p, a)));
	T_ASSERT(PageAnonExclusive(&folio_at(w, p, a)->page));
	T_EQ(folio_at(w, p, a)->page._refcount, 1);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

static void test_fork_shares_then_cow(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 1);
	struct folio *f;

	pl_user_write(w, p, a, pl_token_intern(w, "old"));
	f = folio_at(w, p, a);
	c = pl_fork(w, p);
	T_GT(c, 0);
	T_EQ(folio_at(w, c, a), f);
	T_EQ(f->page._refcount, 2);
	T_EQ(folio_mapcount(f), 2);
	T_ASSERT(!PageAnonExclusive(&f->page));
	T_ASSERT(!pte_write(pte_at(w, p, a)) && !pte_write(pte_at(w, c, a)));
	/* the parent writes: it copies (refcount 2), the child keeps the old page */
	pl_user_write(w, p, a, pl_token_intern(w, "new"));
	T_NE(folio_at(w, p, a), f);
	T_STREQ(rd(w, c, a), "old");
	T_STREQ(rd(w, p, a), "new");
	T_EQ(f->page._refcount, 1);
	/* the child's write now reuses: it is the only reference */
	pl_user_write(w, c, a, pl_token_intern(w, "child"));
	T_EQ(folio_at(w, c, a), f);
	T_ASSERT(PageAnonExclusive(&f->page));
	T_EQ(w->stats.cows, 1);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_pin_bias_small_and_pincount_large(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);
	pl_addr h;
	pl_pfn pages[2];
	struct folio *f;

	pl_user_write(w, p, a, pl_token_intern(w, "x"));
	f = folio_at(w, p, a);
	T_EQ(pin_user_pages(w, pl_task(w, p)->mm, a, 1, FOLL_WRITE, pages), 1);
	T_EQ(f->page._refcount, 1 + GUP_PIN_COUNTING_BIAS);
	T_ASSERT(folio_maybe_dma_pinned(f));
	T_ASSERT(pl_task(w, p)->mm->flags & MMF_HAS_PINNED);
	T_EQ(get_user_pages(w, pl_task(w, p)->mm, a, 1, 0, pages + 1), 1);
	T_EQ(f->page._refcount, 2 + GUP_PIN_COUNTING_BIAS);
	put_page(w, pages[1]);
	unpin_user_pages(w, pages, 1);
	T_EQ(f->page._refcount, 1);
	T_ASSERT(!folio_maybe_dma_pinned(f));
	/* a THP: a pin is +1 refcount and +1 _pincount */
	h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_EQ(pl_madvise(w, p, h, PMD_SIZE, PL_MADV_HUGEPAGE), 0);
	pl_user_write(w, p, h, pl_token_intern(w, "huge"));
	f = folio_at(w, p, h);
	T_REQUIRE(f != NULL);
	T_EQ(f->page.order, HPAGE_PMD_ORDER);
	T_EQ(pin_user_pages_fast(w, pl_task(w, p)->mm, h, 2, FOLL_WRITE, pages), 2);
	T_EQ(f->page._pincount, 2);
	T_EQ(f->page._refcount, 3);
	T_EQ(pl_check_world(w), 0);
	unpin_user_pages_dirty_lock(w, pages, 2, true);
	T_EQ(f->page._pincount, 0);
	T_EQ(f->page._refcount, 1);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_gup_flag_rules(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);
	struct mm_struct *mm = pl_task(w, p)->mm;
	pl_pfn pg[1];
	pl_addr ro;

	/* FOLL_LONGTERM needs FOLL_PIN; GET and PIN are exclusive */
	T_EQ(get_user_pages(w, mm, a, 1, FOLL_LONGTERM, pg), -EINVAL);
	T_EQ(pin_user_pages(w, mm, a, 1, FOLL_GET, pg), -EINVAL);
	/* no vma */
	T_EQ(get_user_pages(w, mm, 0x1000, 1, 0, pg), -EFAULT);
	/* FOLL_WRITE on a R/O mapping needs FOLL_FORCE, and FOLL_NOFAULT never faults */
	ro = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_EQ(get_user_pages(w, mm, ro, 1, FOLL_WRITE, pg), -EFAULT);
	T_EQ(get_user_pages(w, mm, a, 1, FOLL_NOFAULT, pg), -EFAULT);
	T_EQ(get_user_pages(w, mm, ro, 1, FOLL_WRITE | FOLL_FORCE, pg), 1);
	/* the forced write COWed the zero page into an exclusive anon page, R/O */
	T_ASSERT(!pte_write(pte_at(w, p, ro)));
	T_ASSERT(folio_test_anon(folio_at(w, p, ro)));
	put_page(w, pg[0]);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_ro_pin_unshares_shared_page(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 1);
	struct folio *shared;
	pl_pfn pg[1];

	pl_user_write(w, p, a, pl_token_intern(w, "old"));
	shared = folio_at(w, p, a);
	c = pl_fork(w, p);
	/* GUP-fast must refuse a non-exclusive page; the slow path unshares */
	T_EQ(pin_user_pages_fast(w, pl_task(w, p)->mm, a, 1, FOLL_LONGTERM, pg), 1);
	T_NE(pfn_folio(w, pg[0]), shared);
	T_EQ(folio_at(w, p, a), pfn_folio(w, pg[0]));
	T_ASSERT(PageAnonExclusive(&folio_at(w, p, a)->page));
	T_ASSERT(!pte_write(pte_at(w, p, a)));	/* unshare never maps writable */
	T_EQ(folio_at(w, c, a), shared);
	T_EQ(w->stats.unshares, 1);
	unpin_user_pages(w, pg, 1);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_fork_copies_pinned_page(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 1);
	struct folio *f;
	pl_pfn pg[1];

	pl_user_write(w, p, a, pl_token_intern(w, "data"));
	f = folio_at(w, p, a);
	T_EQ(pin_user_pages(w, pl_task(w, p)->mm, a, 1, FOLL_WRITE | FOLL_LONGTERM, pg), 1);
	c = pl_fork(w, p);
	T_NE(folio_at(w, c, a), f);		/* the child got a copy */
	T_EQ(folio_at(w, p, a), f);
	T_ASSERT(pte_write(pte_at(w, p, a)));	/* the parent kept its writable PTE */
	T_ASSERT(PageAnonExclusive(&f->page));
	T_STREQ(rd(w, c, a), "data");
	T_EQ(w->stats.fork_copies, 1);
	unpin_user_pages(w, pg, 1);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_dontfork_wipeonfork(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 1), b = anon(w, p, 1);

	pl_user_write(w, p, a, pl_token_intern(w, "a"));
	pl_user_write(w, p, b, pl_token_intern(w, "b"));
	T_EQ(pl_madvise(w, p, a, PAGE_SIZE, PL_MADV_DONTFORK), 0);
	T_EQ(pl_madvise(w, p, b, PAGE_SIZE, PL_MADV_WIPEONFORK), 0);
	c = pl_fork(w, p);
	T_STREQ(rd(w, c, a), "<fault>");	/* not mapped in the child */
	T_STREQ(rd(w, c, b), "");		/* wiped: reads zero */
	T_STREQ(rd(w, p, b), "b");
	T_ASSERT(pte_write(pte_at(w, p, a)));	/* untouched by fork */
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_thp_partial_munmap_splits(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	struct folio *f;

	pl_madvise(w, p, h, PMD_SIZE, PL_MADV_HUGEPAGE);
	pl_user_write(w, p, h + PAGE_SIZE, pl_token_intern(w, "one"));
	f = folio_at(w, p, h);
	T_REQUIRE(f && folio_test_large(f));
	T_EQ(f->page._entire_mapcount, 1);
	/* unmap all but the first page: the PMD splits, the folio stays large */
	T_EQ(pl_munmap(w, p, h + PAGE_SIZE, PMD_SIZE - PAGE_SIZE), 0);
	T_EQ(f->page._entire_mapcount, 0);
	T_EQ(folio_mapcount(f), 1);
	T_EQ(f->page._refcount, 1);
	T_STREQ(rd(w, p, h), "");
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

/* folio_mapcount() of a THP: the kept total equals the PMD leaves plus every page's PTEs. */
static int sum_mapcount(struct folio *f)
{
	int n = folio_entire_mapcount(f);

	for (unsigned i = 0; i < folio_nr_pages(f); i++)
		n += folio_page(f, i)->_mapcount;
	return n;
}

static bool any_named(struct world *w, const char *name)
{
	for (int i = 0; i < w->nr_violations; i++)
		if (w->violations[i].inv && !strcmp(w->violations[i].inv->name, name))
			return true;
	return false;
}

/*
 * A PMD-mapped THP keeps PG_anon_exclusive on its head (PG_excl_head) and
 * its mapcount in page[1] (_large_mapcount): fork and reuse touch no tail
 * page, and every page still reads as if each held its own bit.  A write
 * of one page's bit (fork of the PTE-mapped folio) copies the head's out
 * to every page first.
 */
static void test_thp_head_exclusive_kept_mapcount(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	struct folio *f;
	struct page *t;

	pl_madvise(w, p, h, PMD_SIZE, PL_MADV_HUGEPAGE);
	pl_user_write(w, p, h, pl_token_intern(w, "a"));
	f = folio_at(w, p, h);
	T_REQUIRE(f && f->page.order == HPAGE_PMD_ORDER);
	t = folio_page(f, 7);
	T_ASSERT(f->page.flags & PG_excl_head);
	T_ASSERT(!PageAnonExclusive(t));		/* the tail's own bit is stale */
	T_ASSERT(pl_page_anon_exclusive_bit(w, t));	/* the head's stands for it */
	T_ASSERT(pl_page_anon_exclusive(w, t));
	T_EQ(folio_mapcount(f), 1);
	T_EQ(folio_entire_mapcount(f), 1);

	/* fork: the head's bit goes, for every page; two PMD leaves */
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	T_ASSERT(!pl_page_anon_exclusive_bit(w, t));
	T_ASSERT(!pl_page_anon_exclusive_bit(w, &f->page));
	T_EQ(folio_mapcount(f), 2);
	T_EQ(folio_large_mapcount(f), sum_mapcount(f));

	/* the child's write splits its PMD and copies one page: 1 PMD + 511 PTEs */
	pl_user_write(w, c, h + 3 * PAGE_SIZE, pl_token_intern(w, "c"));
	T_EQ(folio_mapcount(f), 512);
	T_EQ(folio_large_mapcount(f), sum_mapcount(f));
	T_EQ(pl_exit(w, c), 0);
	T_EQ(folio_mapcount(f), 1);

	/* the parent's write reuses the whole folio: exclusive again, on the head */
	pl_user_write(w, p, h + 9 * PAGE_SIZE, pl_token_intern(w, "b"));
	T_EQ(folio_at(w, p, h), f);
	T_ASSERT(f->page.flags & PG_excl_head);
	T_ASSERT(pl_page_anon_exclusive_bit(w, t) && !PageAnonExclusive(t));
	T_EQ(pl_check_world(w), 0);

	/* a partial munmap splits the PMD: 511 PTEs, still exclusive page by page */
	T_EQ(pl_munmap(w, p, h + PMD_SIZE - PAGE_SIZE, PAGE_SIZE), 0);
	T_EQ(folio_mapcount(f), 511);
	T_EQ(folio_large_mapcount(f), sum_mapcount(f));
	T_ASSERT(pl_page_anon_exclusive_bit(w, t));
	/* fork of the PTE-mapped folio clears each page's bit: copied out first */
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	T_ASSERT(!(f->page.flags & PG_excl_head));
	for (unsigned i = 0; i < HPAGE_PMD_NR - 1; i++)
		T_ASSERT(!PageAnonExclusive(folio_page(f, i)));
	T_EQ(folio_mapcount(f), 2 * 511);
	T_EQ(folio_large_mapcount(f), sum_mapcount(f));
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);

	/* the checker compares the kept total with the page tables */
	w->check_full = true;
	w->step = 1;
	(&f->page)[1]._large_mapcount++;
	T_GE(pl_check_world(w), 1);
	T_ASSERT(any_named(w, "mapcount-balance"));
	(&f->page)[1]._large_mapcount--;
	pl_world_free(w);
}

static void test_thp_collapse(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);

	for (int i = 0; i < 4; i++)
		pl_user_write(w, p, h + i * PAGE_SIZE, pl_token_intern(w, "s"));
	T_REQUIRE(!folio_test_large(folio_at(w, p, h)));
	T_EQ(pl_madvise(w, p, h, PMD_SIZE, PL_MADV_COLLAPSE), 0);
	T_ASSERT(folio_test_large(folio_at(w, p, h)));
	T_STREQ(rd(w, p, h + 3 * PAGE_SIZE), "s");
	T_STREQ(rd(w, p, h + 9 * PAGE_SIZE), "");
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

static void test_hugetlb_pool_exhaustion_sigbus(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr h;

	pl_hugetlb_set_pool(w, 1);
	h = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	T_EQ(pl_user_write(w, p, h, pl_token_intern(w, "h")), 0);
	T_EQ(w->hugetlb_free, 0);
	c = pl_fork(w, p);
	/* the COW needs a second huge page: none left, the writer gets SIGBUS */
	T_EQ(pl_user_write(w, c, h, pl_token_intern(w, "x")), -EBUSY);
	T_STREQ(rd(w, c, h), "h");
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_mremap_moves_ptes(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 2), n;
	struct folio *f;

	pl_user_write(w, p, a + PAGE_SIZE, pl_token_intern(w, "m"));
	f = folio_at(w, p, a + PAGE_SIZE);
	n = pl_mremap(w, p, a, 2 * PAGE_SIZE, 4 * PAGE_SIZE, true, 0);
	T_ASSERT(!pl_err(n));
	T_STREQ(rd(w, p, n + PAGE_SIZE), "m");
	T_EQ(folio_at(w, p, n + PAGE_SIZE), f);
	T_EQ(f->page._refcount, 1);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

static void test_mprotect_keeps_exclusive_writable(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);

	pl_user_write(w, p, a, pl_token_intern(w, "v"));
	T_EQ(pl_mprotect(w, p, a, PAGE_SIZE, PL_PROT_READ), 0);
	T_ASSERT(!pte_write(pte_at(w, p, a)));
	T_EQ(pl_user_write(w, p, a, pl_token_intern(w, "x")), -EFAULT);
	T_EQ(pl_mprotect(w, p, a, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE), 0);
	/* exclusive and soft-dirty: mprotect maps it writable directly */
	T_ASSERT(pte_write(pte_at(w, p, a)));
	T_EQ(pl_mprotect(w, p, a, PAGE_SIZE, PL_PROT_NONE), 0);
	T_STREQ(rd(w, p, a), "<fault>");
	pl_world_free(w);
}

static void test_swap_round_trip(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);

	pl_swapon(w, 8);
	pl_user_write(w, p, a, pl_token_intern(w, "swapped"));
	T_EQ(pl_reclaim(w, p, a), 0);
	T_ASSERT(is_swap_pte(pte_at(w, p, a)));
	T_ASSERT(pte_swp_exclusive(pte_at(w, p, a)));
	T_STREQ(rd(w, p, a), "swapped");
	/* exclusive swap entry: mapped writable again on a read fault */
	T_ASSERT(pte_write(pte_at(w, p, a)));
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_exit_releases_everything(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 4);

	for (int i = 0; i < 4; i++)
		pl_user_write(w, p, a + i * PAGE_SIZE, pl_token_intern(w, "z"));
	c = pl_fork(w, p);
	T_GT(w->nr_alloc_pages, 0);
	T_EQ(pl_exit(w, c), 0);
	T_EQ(pl_exit(w, p), 0);
	T_EQ(w->nr_alloc_pages, 0);
	T_EQ(pl_exit(w, p), -ESRCH);
	pl_world_free(w);
}

struct zap_ctx {
	int pid;
	pl_addr addr;
	int fired;
};

static void zap_after_grab(struct world *w, enum pl_yield_point where, void *arg)
{
	struct zap_ctx *z = arg;

	if (where != YIELD_GUP_FAST_AFTER_GRAB || z->fired)
		return;
	z->fired = 1;
	pl_madvise(w, z->pid, z->addr, PAGE_SIZE, PL_MADV_DONTNEED);
}

/*
 * Seed 001: GUP-fast re-reads the PTE after taking its reference and backs
 * off if it changed.  MADV_DONTNEED lands between the grab and the re-check:
 * with the re-check GUP-fast gives up; with knob gup_fast_recheck_pte=false
 * it returns a page that is no longer mapped there (gup-fast-stale).
 */
static long fast_with_zap(const char *knob, int *violations)
{
	struct pl_policy pol = pl_preset_find("latest")->policy;
	struct zap_ctx z = { 0 };
	char err[80];
	struct world *w;
	pl_pfn pg[1];
	long got;

	if (knob)
		pl_policy_set(&pol, knob, err, sizeof(err));
	w = pl_world_new(&pol, "latest");
	z.pid = pl_task_create(w);
	z.addr = anon(w, z.pid, 1);
	pl_user_write(w, z.pid, z.addr, pl_token_intern(w, "a"));
	w->hooks.yield = zap_after_grab;
	w->hooks.arg = &z;
	got = gup_fast_only(w, pl_task(w, z.pid)->mm, z.addr, 1, FOLL_GET, pg);
	w->hooks.yield = NULL;
	if (got == 1)
		put_page(w, pg[0]);
	*violations = w->nr_violations;
	T_EQ(w->nr_alloc_pages, 0);	/* the zapped page is freed once we let go */
	pl_world_free(w);
	return got;
}

static void test_gup_fast_recheck_pte(void)
{
	int v;

	T_EQ(fast_with_zap(NULL, &v), 0);
	T_EQ(v, 0);
	T_EQ(fast_with_zap("gup_fast_recheck_pte=false", &v), 1);
	T_EQ(v, 1);
}

static void test_longterm_pin_migrates_movable(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);
	struct folio *before, *after;
	pl_pfn pg[1];

	w->zone_movable = true;
	pl_user_write(w, p, a, pl_token_intern(w, "dma"));
	before = folio_at(w, p, a);
	T_ASSERT(!folio_is_longterm_pinnable(before));
	/* a short-term pin may stay where it is */
	T_EQ(pin_user_pages(w, pl_task(w, p)->mm, a, 1, FOLL_WRITE, pg), 1);
	T_EQ(pfn_folio(w, pg[0]), before);
	unpin_user_pages(w, pg, 1);
	/* FOLL_LONGTERM: migrated out of ZONE_MOVABLE first, then pinned */
	T_EQ(pin_user_pages(w, pl_task(w, p)->mm, a, 1, FOLL_WRITE | FOLL_LONGTERM, pg), 1);
	after = folio_at(w, p, a);
	T_NE(after, before);
	T_EQ(pfn_folio(w, pg[0]), after);
	T_ASSERT(folio_is_longterm_pinnable(after));
	T_STREQ(rd(w, p, a), "dma");
	T_EQ(after->page._refcount, 1 + GUP_PIN_COUNTING_BIAS);
	T_EQ(pl_check_world(w), 0);
	unpin_user_pages(w, pg, 1);
	T_EQ(w->nr_alloc_pages, 1);	/* the old page was freed */
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_force_write_prot_none(void)
{
	/* ptrace/proc-mem may write a PROT_NONE private mapping: it COWs, stays prot-none */
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);
	pl_pfn pg[1];

	pl_user_write(w, p, a, pl_token_intern(w, "v"));
	T_EQ(pl_mprotect(w, p, a, PAGE_SIZE, PL_PROT_NONE), 0);
	T_EQ(get_user_pages(w, pl_task(w, p)->mm, a, 1, FOLL_FORCE, pg), 1);
	T_EQ(pfn_to_page(w, pg[0])->token, pl_token_intern(w, "v"));
	put_page(w, pg[0]);
	T_EQ(pl_proc_mem_write(w, p, p, a, pl_token_intern(w, "poked")), 0);
	T_ASSERT(pte_protnone(pte_at(w, p, a)));
	T_EQ(pl_mprotect(w, p, a, PAGE_SIZE, PL_PROT_READ), 0);
	T_STREQ(rd(w, p, a), "poked");
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_mthp_fault_fork_cow(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a = anon(w, p, 32);
	struct folio *f;

	w->mthp_always = 1u << 4;	/* hugepages-64kB/enabled = always */
	T_EQ(pl_user_write(w, p, a + 5 * PAGE_SIZE, pl_token_intern(w, "m")), 0);
	f = folio_at(w, p, a + 5 * PAGE_SIZE);
	T_REQUIRE(f != NULL);
	T_EQ(f->page.order, 4);
	T_EQ(folio_at(w, p, a), f);		/* the whole aligned 64 kB is mapped */
	T_EQ(folio_mapcount(f), 16);
	T_EQ(f->page._refcount, 16);
	T_ASSERT(PageAnonExclusive(folio_page(f, 15)));
	c = pl_fork(w, p);
	T_EQ(f->page._refcount, 32);
	pl_user_write(w, p, a + 5 * PAGE_SIZE, pl_token_intern(w, "parent"));
	T_NE(folio_at(w, p, a + 5 * PAGE_SIZE), f);	/* one page copied */
	T_EQ(folio_at(w, p, a + 6 * PAGE_SIZE), f);
	T_STREQ(rd(w, c, a + 5 * PAGE_SIZE), "m");
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static bool present(struct world *w, int pid, pl_addr a)
{
	return pte_present(pte_at(w, pid, a));
}

/*
 * Fault-around (do_fault_around -> filemap_map_pages, mm/memory.c): a read
 * fault of a file page maps the cached pages of a 16-page (64 KiB) window
 * aligned down to 64 KiB, its start clamped up to vm_start, its end to the
 * vma, the page table (2 MiB) and i_size.  Write faults and uncached pages
 * do not take part.
 */
static void test_fault_around_window(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	int f = pl_file_create(w, PL_FS_TMPFS, 1024, pl_token_intern(w, "c"));
	int hole = pl_file_create(w, PL_FS_TMPFS, 64, PL_TOKEN_ZERO);
	int small = pl_file_create(w, PL_FS_TMPFS, 3, pl_token_intern(w, "s"));
	pl_addr base = 0x7f0000400000ULL;	/* 2 MiB aligned */
	pl_addr a, b, c, d, e;
	struct pl_file *file;

	/* vm_start 3 pages into a 64 KiB block: the window starts at vm_start */
	a = pl_mmap(w, p, base + 3 * PAGE_SIZE, 32 * PAGE_SIZE, PL_PROT_READ,
		    PL_MAP_PRIVATE | PL_MAP_FIXED, f, 0);
	T_REQUIRE(a == base + 3 * PAGE_SIZE);
	T_STREQ(rd(w, p, a + 2 * PAGE_SIZE), "c");
	for (int i = 0; i < 16; i++)
		T_ASSERT(present(w, p, a + (pl_addr)i * PAGE_SIZE));
	T_ASSERT(!present(w, p, a + 16 * PAGE_SIZE));
	/* a neighbour holds the cache's reference and its mapping's */
	T_EQ(folio_at(w, p, a)->page._refcount, 2);
	T_EQ(folio_mapcount(folio_at(w, p, a)), 1);
	T_ASSERT(!pte_write(pte_at(w, p, a)));

	/* 2 pages below a page-table boundary: the window stops at the table's end */
	b = pl_mmap(w, p, base + PMD_SIZE - 8 * PAGE_SIZE, 16 * PAGE_SIZE, PL_PROT_READ,
		    PL_MAP_PRIVATE | PL_MAP_FIXED, f, 100);
	T_REQUIRE(b == base + PMD_SIZE - 8 * PAGE_SIZE);
	T_STREQ(rd(w, p, b + 6 * PAGE_SIZE), "c");
	for (int i = 0; i < 8; i++)
		T_ASSERT(present(w, p, b + (pl_addr)i * PAGE_SIZE));
	T_ASSERT(!present(w, p, b + 8 * PAGE_SIZE));	/* the next page table */

	/* a 4-page vma: nothing beyond its end is made or mapped */
	file = w->files[f - 1];	/* ids are 1-based */
	c = pl_mmap(w, p, base + 2 * PMD_SIZE, 4 * PAGE_SIZE, PL_PROT_READ,
		    PL_MAP_PRIVATE | PL_MAP_FIXED, f, 500);
	T_STREQ(rd(w, p, c + PAGE_SIZE), "c");
	for (int i = 0; i < 4; i++)
		T_ASSERT(present(w, p, c + (pl_addr)i * PAGE_SIZE));
	T_EQ(pl_file_cache(file, 504), PL_PFN_NONE);
	T_EQ(pl_file_cache(file, 499), PL_PFN_NONE);

	/* i_size: a 3-page file under an 8-page vma maps 3 pages */
	d = pl_mmap(w, p, base + 3 * PMD_SIZE, 8 * PAGE_SIZE, PL_PROT_READ,
		    PL_MAP_PRIVATE | PL_MAP_FIXED, small, 0);
	T_STREQ(rd(w, p, d), "s");
	T_ASSERT(present(w, p, d + 2 * PAGE_SIZE));
	T_ASSERT(!present(w, p, d + 3 * PAGE_SIZE));

	/* nothing cached in a hole; a private write fault maps one page */
	e = pl_mmap(w, p, base + 4 * PMD_SIZE, 16 * PAGE_SIZE,
		    PL_PROT_READ | PL_PROT_WRITE, PL_MAP_PRIVATE | PL_MAP_FIXED, hole, 0);
	T_STREQ(rd(w, p, e + 2 * PAGE_SIZE), "");
	T_ASSERT(!present(w, p, e));
	T_EQ(pl_user_write(w, p, e + 5 * PAGE_SIZE, pl_token_intern(w, "w")), 0);
	T_ASSERT(!present(w, p, e + 4 * PAGE_SIZE));
	/* a later read fault maps both cached pages of the hole file */
	T_STREQ(rd(w, p, e + 9 * PAGE_SIZE), "");
	T_ASSERT(present(w, p, e + 2 * PAGE_SIZE));
	T_ASSERT(!present(w, p, e + 3 * PAGE_SIZE));
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

int main(void)
{
	T_RUN(test_read_fault_maps_zero_page);
	T_RUN(test_fork_shares_then_cow);
	T_RUN(test_pin_bias_small_and_pincount_large);
	T_RUN(test_gup_flag_rules);
	T_RUN(test_ro_pin_unshares_shared_page);
	T_RUN(test_fork_copies_pinned_page);
	T_RUN(test_dontfork_wipeonfork);
	T_RUN(test_thp_partial_munmap_splits);
	T_RUN(test_thp_head_exclusive_kept_mapcount);
	T_RUN(test_thp_collapse);
	T_RUN(test_hugetlb_pool_exhaustion_sigbus);
	T_RUN(test_mremap_moves_ptes);
	T_RUN(test_mprotect_keeps_exclusive_writable);
	T_RUN(test_swap_round_trip);
	T_RUN(test_exit_releases_everything);
	T_RUN(test_gup_fast_recheck_pte);
	T_RUN(test_longterm_pin_migrates_movable);
	T_RUN(test_force_write_prot_none);
	T_RUN(test_mthp_fault_fork_cow);
	T_RUN(test_fault_around_window);
	return T_DONE();
}
