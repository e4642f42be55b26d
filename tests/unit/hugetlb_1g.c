/*
 * Description: 1 GiB hugetlb pages (hugepages-1048576kB) mapped by PUD
 * leaves -- the kernel selftests' "hugetlb (1048576 kB)" and "memfd hugetlb
 * (1048576 kB)" rows.  Faults take order-18 folios from their own pool, user
 * access and GUP (slow and fast) find the subpage by offset, fork shares or
 * (pinned) copies the whole page, COW and unsharing need a second 1 GiB page,
 * partial ranges are refused, and a memfd of 1 GiB pages behaves like
 * hugetlbfs: writable long-term pins allowed, private mappings COW.  The
 * vmsplice leak stays (hugetlb keeps mapcount reuse: cow.c's XFAIL).
 */
#include "testlib.h"

#include <errno.h>
#include <string.h>

#include "pinlab/core.h"

#define LAST_PAGE (PUD_SIZE - PAGE_SIZE)	/* offset of the last 4 KiB page */

static struct world *new_world(const char *preset)
{
	struct world *w = pl_world_new(&pl_preset_find(preset)->policy, preset);

	w->checked = true;
	return w;
}

/* The folio mapped at a, through a PUD leaf, a PMD leaf or a PTE. */
static struct folio *folio_at(struct world *w, int pid, pl_addr a)
{
	struct mm_struct *mm = pl_task(w, pid)->mm;
	pud_t *pudp = pl_pud_lookup(mm, a);
	pmd_t *pmdp = pl_pmd_lookup(mm, a);
	pte_t *ptep = pl_pte_lookup(mm, a);

	if (pudp && pud_leaf(*pudp))
		return pfn_folio(w, pte_pfn(*pudp));
	if (pmdp && pmd_leaf(*pmdp))
		return pfn_folio(w, pte_pfn(*pmdp));
	if (!ptep || !pte_present(*ptep))
		return NULL;
	return pfn_folio(w, pte_pfn(*ptep));
}

static pud_t pud_at(struct world *w, int pid, pl_addr a)
{
	pud_t *pudp = pl_pud_lookup(pl_task(w, pid)->mm, a);

	return pudp ? *pudp : 0;
}

static const char *rd(struct world *w, int pid, pl_addr a)
{
	pl_token t = 0;

	if (pl_user_read(w, pid, a, &t))
		return "<fault>";
	return pl_token_text(w, t);
}

static int wr(struct world *w, int pid, pl_addr a, const char *text)
{
	return pl_user_write(w, pid, a, pl_token_intern(w, text));
}

/* mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB) of n pages */
static pl_addr map_1g(struct world *w, int pid, unsigned n)
{
	return pl_mmap(w, pid, 0, (uint64_t)n * PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		       PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB | PL_MAP_HUGE_1GB, -1, 0);
}

static void test_fault_maps_pud_leaf_from_1g_pool(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr small, a;
	struct folio *f;

	T_EQ(pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2), 0);
	T_EQ(pl_hugetlb_set_pool(w, 3), 0);
	/* something small first, so the 1 GiB vma has to be placed aligned */
	small = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE | PL_MAP_ANONYMOUS,
			-1, 0);
	T_REQUIRE(!pl_err(small));
	a = map_1g(w, p, 1);
	T_REQUIRE(!pl_err(a));
	T_EQ(a & (PUD_SIZE - 1), 0);
	T_EQ(vma_lookup(pl_task(w, p)->mm, a)->hugetlb_order, HPAGE_PUD_ORDER);
	/* a private anon hugetlb read fault allocates at once, like the kernel */
	T_STREQ(rd(w, p, a + PAGE_SIZE), "");
	T_ASSERT(pud_leaf(pud_at(w, p, a)));
	T_ASSERT(pl_pmd_lookup(pl_task(w, p)->mm, a) == NULL);
	f = folio_at(w, p, a);
	T_REQUIRE(f != NULL);
	T_EQ(f->page.order, HPAGE_PUD_ORDER);
	T_EQ(folio_nr_pages(f), HPAGE_PUD_NR);
	T_EQ(folio_size(f), PUD_SIZE);
	T_ASSERT(folio_test_hugetlb(f) && folio_test_anon(f));
	T_EQ(folio_pfn(f) & (HPAGE_PUD_NR - 1), 0);
	T_EQ(f->page._entire_mapcount, 1);
	T_EQ(folio_mapcount(f), 1);
	T_EQ(f->page._refcount, 1);
	T_ASSERT(PageAnonExclusive(&f->page));
	/* only the 1 GiB pool paid for it */
	T_EQ(w->hugetlb_1g_free, 1);
	T_EQ(w->hugetlb_1g_total, 2);
	T_EQ(w->hugetlb_free, 3);
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_access_by_offset(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	struct folio *f;
	pl_addr a;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1);
	a = map_1g(w, p, 1);
	T_REQUIRE(!pl_err(a));
	T_EQ(wr(w, p, a, "first"), 0);
	T_EQ(wr(w, p, a + PAGE_SIZE, "second"), 0);
	T_EQ(wr(w, p, a + LAST_PAGE, "last"), 0);
	T_STREQ(rd(w, p, a), "first");
	T_STREQ(rd(w, p, a + PAGE_SIZE), "second");
	T_STREQ(rd(w, p, a + LAST_PAGE), "last");
	T_STREQ(rd(w, p, a + 2 * PAGE_SIZE), "");
	/* each 4 KiB subpage keeps its own contents inside the one folio */
	f = folio_at(w, p, a);
	T_REQUIRE(f != NULL);
	T_EQ(folio_at(w, p, a + LAST_PAGE), f);
	T_STREQ(pl_token_text(w, folio_page(f, HPAGE_PUD_NR - 1)->token), "last");
	T_STREQ(pl_token_text(w, folio_page(f, 1)->token), "second");
	T_ASSERT(pte_write(pud_at(w, p, a)) && pte_dirty(pud_at(w, p, a)));
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_empty_1g_pool_sigbus(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a;

	/* plenty of 2 MiB pages do not help a 1 GiB mapping: pools are per size */
	pl_hugetlb_set_pool(w, 4);
	a = map_1g(w, p, 1);
	T_REQUIRE(!pl_err(a));
	T_EQ(wr(w, p, a, "x"), -EBUSY);
	T_EQ(pud_at(w, p, a), 0);
	T_EQ(w->hugetlb_free, 4);
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_fork_cow(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	struct folio *f, *cf;
	pl_addr a;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2);
	a = map_1g(w, p, 1);
	T_REQUIRE(!pl_err(a));
	T_EQ(wr(w, p, a + PAGE_SIZE, "old"), 0);
	f = folio_at(w, p, a);
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	/* shared R/O by both, one folio mapped twice, exclusivity gone */
	T_EQ(folio_at(w, c, a), f);
	T_EQ(f->page._entire_mapcount, 2);
	T_EQ(f->page._refcount, 2);
	T_ASSERT(!pte_write(pud_at(w, p, a)) && !pte_write(pud_at(w, c, a)));
	T_ASSERT(!PageAnonExclusive(&f->page));
	T_EQ(pl_check_world(w), 0);
	/* the child's write copies the whole 1 GiB page from the pool */
	T_EQ(wr(w, c, a + LAST_PAGE, "child"), 0);
	cf = folio_at(w, c, a);
	T_REQUIRE(cf != NULL);
	T_NE(cf, f);
	T_EQ(cf->page.order, HPAGE_PUD_ORDER);
	T_EQ(w->hugetlb_1g_free, 0);
	T_STREQ(rd(w, c, a + PAGE_SIZE), "old");
	T_STREQ(rd(w, c, a + LAST_PAGE), "child");
	T_STREQ(rd(w, p, a + LAST_PAGE), "");
	/* the parent is the only mapper left: reuse in place, no copy */
	T_EQ(wr(w, p, a + PAGE_SIZE, "parent"), 0);
	T_EQ(folio_at(w, p, a), f);
	T_STREQ(rd(w, c, a + PAGE_SIZE), "old");
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_cow_with_empty_pool_sigbus(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr a;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1);
	a = map_1g(w, p, 1);
	T_EQ(wr(w, p, a, "h"), 0);
	T_EQ(w->hugetlb_1g_free, 0);
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	/* the COW needs a second 1 GiB page: none left, the writer gets SIGBUS */
	T_EQ(wr(w, c, a, "x"), -EBUSY);
	T_STREQ(rd(w, c, a), "h");
	T_STREQ(rd(w, p, a), "h");
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

/*
 * A R/O long-term pin of a page shared with a child unshares it first
 * (a7f226604170 / 84209e87c696): the pin then holds the parent's exclusive
 * copy, and the parent's later write lands in the page the pin sees.
 */
static void ro_pin_unshares(bool fast)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c, h;
	struct folio *shared, *mine;
	pl_token t = 0;
	pl_addr a;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2);
	a = map_1g(w, p, 1);
	T_REQUIRE(!pl_err(a));
	T_EQ(wr(w, p, a + LAST_PAGE, "a"), 0);
	shared = folio_at(w, p, a);
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	T_EQ(pl_mprotect(w, p, a, PUD_SIZE, PL_PROT_READ), 0);
	h = pl_gup_test_pin(w, p, a + LAST_PAGE, 1, false, fast);
	T_REQUIRE(h > 0);
	/* GUP-fast cannot unshare: it bails to the slow path, which does */
	T_EQ(w->stats.gup_fast_bails, fast ? 1 : 0);
	mine = folio_at(w, p, a);
	T_NE(mine, shared);
	T_ASSERT(PageAnonExclusive(&mine->page));
	T_ASSERT(!pte_write(pud_at(w, p, a)));
	T_EQ(mine->page._pincount, 1);
	T_EQ(pl_pinset_get(w, h)->pages[0], folio_pfn(mine) + HPAGE_PUD_NR - 1);
	T_EQ(folio_at(w, c, a), shared);
	T_EQ(pl_check_world(w), 0);
	/* the owner writes again: reuse of its exclusive page, the pin sees it */
	T_EQ(pl_mprotect(w, p, a, PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE), 0);
	T_EQ(wr(w, p, a + LAST_PAGE, "b"), 0);
	T_EQ(folio_at(w, p, a), mine);
	T_EQ(pl_gup_test_read(w, h, 0, &t), 0);
	T_STREQ(pl_token_text(w, t), "b");
	T_STREQ(rd(w, c, a + LAST_PAGE), "a");
	T_EQ(pl_check_world(w), 0);
	T_EQ(pl_gup_test_unpin(w, h), 0);
	T_EQ(mine->page._pincount, 0);
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

static void test_ro_longterm_pin_unshares_slow(void)
{
	ro_pin_unshares(false);
}

static void test_ro_longterm_pin_unshares_fast(void)
{
	ro_pin_unshares(true);
}

/* 4eae4efa2c29: fork copies a pinned hugetlb page for the child, from its own pool. */
static void test_fork_copies_pinned_1g_page(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c, h;
	struct folio *f, *cf;
	pl_addr a;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1);
	pl_hugetlb_set_pool(w, 8);
	a = map_1g(w, p, 1);
	T_EQ(wr(w, p, a + PAGE_SIZE, "dma"), 0);
	f = folio_at(w, p, a);
	h = pl_gup_test_pin(w, p, a + PAGE_SIZE, 1, true, true);
	T_REQUIRE(h > 0);
	T_EQ(w->stats.gup_fast_bails, 0);	/* the lockless walk took the PUD leaf */
	T_EQ(pl_pinset_get(w, h)->pages[0], folio_pfn(f) + 1);
	/* no second 1 GiB page (2 MiB ones do not count): fork fails */
	T_EQ(pl_fork(w, p), -ENOMEM);
	T_EQ(pl_check_world(w), 0);
	T_EQ(pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2), 0);
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	cf = folio_at(w, c, a);
	T_REQUIRE(cf != NULL);
	T_NE(cf, f);
	T_EQ(cf->page.order, HPAGE_PUD_ORDER);
	T_EQ(w->hugetlb_1g_free, 0);
	T_EQ(w->hugetlb_free, 8);
	/* the parent keeps its writable, exclusive mapping: the pin stays coherent */
	T_EQ(folio_at(w, p, a), f);
	T_ASSERT(pte_write(pud_at(w, p, a)) && PageAnonExclusive(&f->page));
	T_STREQ(rd(w, c, a + PAGE_SIZE), "dma");
	T_EQ(wr(w, p, a + PAGE_SIZE, "new"), 0);
	T_STREQ(rd(w, c, a + PAGE_SIZE), "dma");
	T_EQ(pl_check_world(w), 0);
	T_EQ(pl_gup_test_unpin(w, h), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

/*
 * cow.c "vmsplice() + unmap in child ... with hugetlb (1048576 kB)": hugetlb
 * reuses on mapcount == 1, so once the child unmapped, the parent's write
 * lands in the page the child's pipe still references.  XFAIL upstream.
 */
static void test_vmsplice_unmap_child_leaks(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c, pipe;
	pl_token t = 0;
	pl_addr a;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2);
	a = map_1g(w, p, 1);
	T_EQ(wr(w, p, a, "old"), 0);
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	pipe = pl_pipe_create(w);
	T_EQ(pl_vmsplice(w, c, pipe, a, 1), 1);
	T_EQ(pl_munmap(w, c, a, PUD_SIZE), 0);
	T_EQ(pl_check_world(w), 0);
	T_EQ(wr(w, p, a, "secret"), 0);
	T_EQ(pl_pipe_read(w, pipe, &t), 0);
	T_STREQ(pl_token_text(w, t), "secret");		/* the leak */
	T_EQ(w->hugetlb_1g_free, 1);			/* reused, never copied */
	T_REQUIRE(w->nr_violations >= 1);
	T_STREQ(w->violations[0].inv->name, "missed-cow");
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

static struct pl_file *file_of(struct world *w, int id)
{
	return w->files[id - 1];
}

/* "memfd hugetlb (1048576 kB)": hugetlbfs rules, 1 GiB folios in the page cache. */
static void test_memfd_1g(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), file, tmp, h, hf, mr;
	struct folio *f, *cow;
	pl_addr sh, pv;
	pl_token t = 0;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2);
	/* memfd_create(MFD_HUGETLB | MFD_HUGE_1GB): born 2 MiB, resized before use */
	file = pl_file_create(w, PL_FS_HUGETLBFS, 1, PL_TOKEN_ZERO);
	T_REQUIRE(file > 0);
	tmp = pl_file_create(w, PL_FS_TMPFS, HPAGE_PUD_NR, PL_TOKEN_ZERO);
	T_EQ(pl_file_set_huge_order(w, tmp, HPAGE_PUD_ORDER), -EINVAL);
	T_EQ(pl_mmap(w, p, 0, PUD_SIZE, PL_PROT_READ, PL_MAP_SHARED | PL_MAP_HUGE_1GB, tmp, 0),
	     -EINVAL);
	T_EQ(file_of(w, file)->huge_order, HPAGE_PMD_ORDER);
	T_EQ(file_of(w, file)->nr_pages, HPAGE_PMD_NR);
	T_EQ(pl_file_set_huge_order(w, file, HPAGE_PMD_ORDER + 1), -EINVAL);
	T_EQ(pl_file_set_huge_order(w, file, HPAGE_PUD_ORDER), 0);
	T_EQ(file_of(w, file)->nr_pages, HPAGE_PUD_NR);
	/* one page-cache slot per 1 GiB page, and no disk while it is all zero */
	T_EQ(pl_file_cache_slots(file_of(w, file)), 1);
	T_ASSERT(file_of(w, file)->disk == NULL);
	/* ksys_mmap_pgoff() rounds a hugetlbfs length up to whole 1 GiB pages */
	sh = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED, file, 0);
	T_REQUIRE(!pl_err(sh));
	T_EQ(vma_lookup(pl_task(w, p)->mm, sh)->vm_end - sh, PUD_SIZE);
	T_EQ(pl_munmap(w, p, sh, PUD_SIZE), 0);
	sh = pl_mmap(w, p, 0, PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED, file, 0);
	T_REQUIRE(!pl_err(sh));
	T_EQ(sh & (PUD_SIZE - 1), 0);
	T_EQ(vma_lookup(pl_task(w, p)->mm, sh)->hugetlb_order, HPAGE_PUD_ORDER);
	T_EQ(pl_file_set_huge_order(w, file, HPAGE_PMD_ORDER), -EBUSY);
	T_EQ(wr(w, p, sh + PAGE_SIZE, "shared"), 0);
	T_EQ(pl_file_read(w, file, 1, &t), 0);
	T_STREQ(pl_token_text(w, t), "shared");
	f = folio_at(w, p, sh);
	T_REQUIRE(f != NULL);
	T_ASSERT(folio_test_hugetlb(f) && !folio_test_anon(f));
	T_EQ(f->page.order, HPAGE_PUD_ORDER);
	T_EQ(f->page._refcount, 2);		/* page cache + the PUD mapping */
	/* every index of the 1 GiB page reads its one slot */
	T_EQ(pl_file_cache(file_of(w, file), 0), folio_pfn(f));
	T_EQ(pl_file_cache(file_of(w, file), HPAGE_PUD_NR - 1), folio_pfn(f));
	T_EQ(pl_file_cache(file_of(w, file), HPAGE_PUD_NR), PL_PFN_NONE);
	T_ASSERT(pud_leaf(pud_at(w, p, sh)) && pte_write(pud_at(w, p, sh)));

	/* writable long-term pins of hugetlbfs are allowed (no writenotify), slow and fast */
	h = pl_gup_test_pin(w, p, sh + LAST_PAGE, 1, true, false);
	T_GT(h, 0);
	hf = pl_gup_test_pin(w, p, sh + LAST_PAGE, 1, true, true);
	T_GT(hf, 0);
	T_EQ(w->stats.gup_fast_bails, 0);
	T_EQ(f->page._pincount, 2);
	mr = pl_rdma_reg_mr(w, p, sh + 2 * PAGE_SIZE, 1, true);
	T_REQUIRE(mr > 0);
	T_EQ(pl_rdma_dma_write(w, mr, 0, pl_token_intern(w, "dev")), 0);
	T_EQ(pl_rdma_dereg_mr(w, mr), 0);
	T_EQ(pl_file_read(w, file, 2, &t), 0);
	T_STREQ(pl_token_text(w, t), "dev");
	T_EQ(pl_check_world(w), 0);

	/* a private mapping COWs into an anon 1 GiB page: the file never changes */
	pv = pl_mmap(w, p, 0, PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_PRIVATE, file, 0);
	T_REQUIRE(!pl_err(pv));
	T_STREQ(rd(w, p, pv + PAGE_SIZE), "shared");
	T_EQ(folio_at(w, p, pv), f);
	T_ASSERT(!pte_write(pud_at(w, p, pv)));
	T_EQ(wr(w, p, pv + PAGE_SIZE, "private"), 0);
	cow = folio_at(w, p, pv);
	T_REQUIRE(cow != NULL);
	T_NE(cow, f);
	T_ASSERT(folio_test_anon(cow) && folio_test_hugetlb(cow));
	T_EQ(w->hugetlb_1g_free, 0);
	T_STREQ(rd(w, p, pv + PAGE_SIZE), "private");
	T_STREQ(rd(w, p, pv + 2 * PAGE_SIZE), "dev");
	T_STREQ(rd(w, p, sh + PAGE_SIZE), "shared");
	T_EQ(pl_file_read(w, file, 1, &t), 0);
	T_STREQ(pl_token_text(w, t), "shared");
	T_EQ(pl_check_world(w), 0);

	T_EQ(pl_gup_test_unpin(w, h), 0);
	T_EQ(pl_gup_test_unpin(w, hf), 0);
	/* the anon copy goes back to the pool; the file's page stays cached */
	T_EQ(pl_munmap(w, p, pv, PUD_SIZE), 0);
	T_EQ(w->hugetlb_1g_free, 1);
	T_EQ(pl_munmap(w, p, sh, PUD_SIZE), 0);
	T_EQ(w->hugetlb_1g_free, 1);
	T_EQ(f->page._refcount, 1);
	T_EQ(pl_file_set_huge_order(w, file, HPAGE_PMD_ORDER), -EBUSY);	/* still cached */
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	/* the file's contents live in its folio: disk[] was never needed */
	T_ASSERT(file_of(w, file)->disk == NULL);
	pl_world_free(w);
}

/* Is there a violation of @name among w->violations[from..]? */
static bool has_violation(const struct world *w, int from, const char *name)
{
	for (int i = from; i < (int)w->nr_violations; i++)
		if (!strcmp(w->violations[i].inv->name, name))
			return true;
	return false;
}

/*
 * The checker reads a hugetlbfs file's cache slot by slot (one per 1 GiB
 * page) and reports what a slot per index would: an index past i_size, a
 * folio its slot does not name.  Both checker modes must agree.
 */
static void test_memfd_1g_cache_checked(void)
{
	for (int full = 0; full <= 1; full++) {
		struct world *w = new_world("latest");
		int p = pl_task_create(w), file;
		struct pl_file *pf;
		struct folio *f;
		pl_addr sh;

		w->check_full = full;
		pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1);
		file = pl_file_create(w, PL_FS_HUGETLBFS, 1, PL_TOKEN_ZERO);
		T_REQUIRE(file > 0);
		T_EQ(pl_file_set_huge_order(w, file, HPAGE_PUD_ORDER), 0);
		pf = file_of(w, file);
		sh = pl_mmap(w, p, 0, PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED,
			     file, 0);
		T_REQUIRE(!pl_err(sh));
		T_EQ(wr(w, p, sh + LAST_PAGE, "x"), 0);
		f = folio_at(w, p, sh);
		T_REQUIRE(f != NULL);
		T_EQ(pl_check_world(w), 0);
		/* i_size two pages short: the first index cached past it is named */
		w->step++;
		pf->nr_pages = HPAGE_PUD_NR - 2;
		T_EQ(pl_check_world(w), 1);
		T_STREQ(w->violations[0].inv->name, "pagecache-consistent");
		T_ASSERT(strstr(w->violations[0].detail, "caches index 262142 past i_size 262142"));
		pf->nr_pages = HPAGE_PUD_NR;
		/* the slot lost: the folio is in no page cache */
		w->step++;
		*pl_file_cache_slot(pf, 0) = PL_PFN_NONE;
		T_GE(pl_check_world(w), 1);
		T_ASSERT(has_violation(w, 1, "pagecache-consistent"));
		*pl_file_cache_slot(pf, 0) = folio_pfn(f);
		w->step++;
		T_EQ(pl_check_world(w), 0);
		pl_world_free(w);
	}
}

/* Partial 1 GiB ranges are refused (-EINVAL) but by mmap, whole ones return to the pool. */
static void test_partial_ranges_refused_munmap_frees(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	struct mm_struct *mm = pl_task(w, p)->mm;
	pl_addr a;

	T_EQ(pl_hugetlb_set_pool_order(w, HPAGE_PMD_ORDER + 1, 1), -EINVAL);
	T_EQ(pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2), 0);
	/* MAP_HUGETLB lengths are rounded up to whole pages (ksys_mmap_pgoff()) */
	a = pl_mmap(w, p, 0, PUD_SIZE + PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGE_1GB, -1, 0);
	T_REQUIRE(!pl_err(a));
	T_EQ(vma_lookup(mm, a)->vm_end - a, 2 * PUD_SIZE);
	T_EQ(pl_munmap(w, p, a, 2 * PUD_SIZE), 0);
	a = map_1g(w, p, 2);
	T_REQUIRE(!pl_err(a));
	T_EQ(pl_mmap(w, p, a + PMD_SIZE, PUD_SIZE, PL_PROT_READ,
		     PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGE_1GB | PL_MAP_FIXED, -1, 0),
	     -EINVAL);
	/* MAP_FIXED over half a 1 GiB page cannot unmap that half */
	T_EQ(pl_mmap(w, p, a + PUD_SIZE + PMD_SIZE, PMD_SIZE, PL_PROT_READ,
		     PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_FIXED, -1, 0), -EINVAL);
	T_EQ(wr(w, p, a, "one"), 0);
	T_EQ(wr(w, p, a + PUD_SIZE + LAST_PAGE, "two"), 0);
	T_EQ(w->hugetlb_1g_free, 0);
	T_EQ(pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1), -EBUSY);

	T_EQ(pl_munmap(w, p, a + PMD_SIZE, PMD_SIZE), -EINVAL);
	T_EQ(pl_munmap(w, p, a, PUD_SIZE + PMD_SIZE), -EINVAL);
	T_EQ(pl_madvise(w, p, a, PMD_SIZE, PL_MADV_DONTNEED), -EINVAL);
	T_EQ(pl_mprotect(w, p, a + PAGE_SIZE, PAGE_SIZE, PL_PROT_READ), -EINVAL);
	T_EQ(pl_mremap(w, p, a, PUD_SIZE, PMD_SIZE, true, 0), -EINVAL);
	/* a move carries the PUD leaves whole (move_hugetlb_page_tables()), and back */
	T_EQ(pl_mremap(w, p, a, 2 * PUD_SIZE, 2 * PUD_SIZE, true, a + 4 * PUD_SIZE),
	     a + 4 * PUD_SIZE);
	T_EQ(mm->nr_vmas, 1);
	T_EQ(pud_at(w, p, a), 0);
	T_STREQ(rd(w, p, a + 4 * PUD_SIZE + PUD_SIZE + LAST_PAGE), "two");
	T_EQ(w->hugetlb_1g_free, 0);
	T_EQ(pl_check_world(w), 0);
	T_EQ(pl_mremap(w, p, a + 4 * PUD_SIZE, 2 * PUD_SIZE, 2 * PUD_SIZE, true, a), a);
	T_EQ(mm->nr_vmas, 1);
	T_STREQ(rd(w, p, a), "one");
	T_STREQ(rd(w, p, a + PUD_SIZE + LAST_PAGE), "two");
	T_EQ(pl_check_world(w), 0);

	/* whole pages: munmap, mremap shrink and MADV_DONTNEED free them */
	T_EQ(pl_mremap(w, p, a, 2 * PUD_SIZE, PUD_SIZE, false, 0), a);
	T_EQ(w->hugetlb_1g_free, 1);
	T_EQ(pl_madvise(w, p, a, PUD_SIZE, PL_MADV_DONTNEED), 0);
	T_EQ(w->hugetlb_1g_free, 2);
	T_EQ(pud_at(w, p, a), 0);
	T_STREQ(rd(w, p, a), "");		/* refault: a fresh zeroed page */
	T_EQ(w->hugetlb_1g_free, 1);
	T_EQ(pl_munmap(w, p, a, PUD_SIZE), 0);
	T_EQ(w->hugetlb_1g_free, 2);
	T_EQ(mm->nr_vmas, 0);
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

/* The checker walks PUD leaves: one whole-folio mapping, one pool per size. */
static void test_checker_sees_pud_leaves(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), maps = 0;
	struct folio *f;
	pl_addr a;

	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1);
	a = map_1g(w, p, 1);
	T_EQ(wr(w, p, a + LAST_PAGE, "x"), 0);
	f = folio_at(w, p, a);
	T_REQUIRE(f != NULL);
	T_EQ(pl_expected_refcount(w, folio_pfn(f), &maps), 1);
	T_EQ(maps, 1);
	T_EQ(pl_check_world(w), 0);
	/* a 1 GiB folio counted in the wrong pool is caught */
	w->hugetlb_free++;
	w->hugetlb_total++;
	w->hugetlb_1g_free++;
	T_EQ(pl_check_world(w), 1);
	T_STREQ(w->violations[0].inv->name, "hugetlb-pool");
	w->hugetlb_free--;
	w->hugetlb_total--;
	w->hugetlb_1g_free--;
	/* and so is a PUD leaf the folio's _entire_mapcount does not know */
	w->step++;
	f->page._entire_mapcount = 0;
	T_GE(pl_check_world(w), 1);
	T_STREQ(w->violations[1].inv->name, "mapcount-balance");
	f->page._entire_mapcount = 1;
	w->step++;
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* A yield hook that zaps the 1 GiB page while GUP-fast holds its grab. */
struct zap_ctx {
	int pid;
	pl_addr addr;
	int zapped;
};

static void zap_after_grab(struct world *w, enum pl_yield_point where, void *arg)
{
	struct zap_ctx *z = arg;

	if (where != YIELD_GUP_FAST_AFTER_GRAB || z->zapped++)
		return;
	pl_madvise(w, z->pid, z->addr, PUD_SIZE, PL_MADV_DONTNEED);
}

/*
 * GUP-fast re-reads the PUD after the grab: a leaf zapped in between is put
 * back and the walk bails.  Without the re-check (knob gup_fast_recheck_pte,
 * seed 001's bug) it keeps a page nobody maps: gup-fast-stale.
 */
static void gup_fast_pud_recheck(bool recheck)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	struct zap_ctx z = { .pid = p };
	pl_pfn page = PL_PFN_NONE;
	long got;

	w->policy.gup_fast_recheck_pte = recheck;
	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1);
	z.addr = map_1g(w, p, 1);
	T_EQ(wr(w, p, z.addr + LAST_PAGE, "v"), 0);
	w->hooks.yield = zap_after_grab;
	w->hooks.arg = &z;
	got = gup_fast_only(w, pl_task(w, p)->mm, z.addr + LAST_PAGE, 1, 0, &page);
	w->hooks.yield = NULL;
	T_EQ(z.zapped, 1);
	T_EQ(pud_at(w, p, z.addr), 0);
	if (recheck) {
		T_EQ(got, 0);
		T_EQ(w->hugetlb_1g_free, 1);	/* the put-back freed it */
		T_EQ(w->nr_violations, 0);
	} else {
		T_EQ(got, 1);
		T_EQ(w->hugetlb_1g_free, 0);	/* the stale reference keeps it */
		T_REQUIRE(w->nr_violations >= 1);
		T_STREQ(w->violations[0].inv->name, "gup-fast-stale");
		T_EQ(pl_check_world(w), 0);
		put_page(w, page);
		T_EQ(w->hugetlb_1g_free, 1);
	}
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

static void test_gup_fast_rechecks_pud(void)
{
	gup_fast_pud_recheck(true);
}

static void test_gup_fast_without_recheck_is_stale(void)
{
	gup_fast_pud_recheck(false);
}

/* 2 MiB and 1 GiB hugetlb side by side: each size its own level, lock and pool. */
static void test_mixed_sizes(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), c;
	pl_addr m, g;

	pl_hugetlb_set_pool(w, 2);
	pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 2);
	m = pl_mmap(w, p, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	g = map_1g(w, p, 1);
	T_REQUIRE(!pl_err(m) && !pl_err(g));
	T_EQ(wr(w, p, m, "2m"), 0);
	T_EQ(wr(w, p, g, "1g"), 0);
	T_EQ(folio_at(w, p, m)->page.order, HPAGE_PMD_ORDER);
	T_EQ(folio_at(w, p, g)->page.order, HPAGE_PUD_ORDER);
	T_EQ(w->hugetlb_free, 1);
	T_EQ(w->hugetlb_1g_free, 1);
	c = pl_fork(w, p);
	T_REQUIRE(c > 0);
	T_EQ(wr(w, c, m, "c2m"), 0);
	T_EQ(wr(w, c, g, "c1g"), 0);
	T_EQ(w->hugetlb_free, 0);
	T_EQ(w->hugetlb_1g_free, 0);
	T_STREQ(rd(w, p, m), "2m");
	T_STREQ(rd(w, p, g), "1g");
	T_EQ(pl_check_world(w), 0);
	T_EQ(pl_exit(w, c), 0);
	T_EQ(pl_exit(w, p), 0);
	T_EQ(w->hugetlb_free, 2);
	T_EQ(w->hugetlb_1g_free, 2);
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	pl_world_free(w);
}

int main(void)
{
	T_RUN(test_fault_maps_pud_leaf_from_1g_pool);
	T_RUN(test_access_by_offset);
	T_RUN(test_empty_1g_pool_sigbus);
	T_RUN(test_fork_cow);
	T_RUN(test_cow_with_empty_pool_sigbus);
	T_RUN(test_ro_longterm_pin_unshares_slow);
	T_RUN(test_ro_longterm_pin_unshares_fast);
	T_RUN(test_fork_copies_pinned_1g_page);
	T_RUN(test_vmsplice_unmap_child_leaks);
	T_RUN(test_memfd_1g);
	T_RUN(test_memfd_1g_cache_checked);
	T_RUN(test_partial_ranges_refused_munmap_frees);
	T_RUN(test_checker_sees_pud_leaves);
	T_RUN(test_gup_fast_rechecks_pud);
	T_RUN(test_gup_fast_without_recheck_is_stale);
	T_RUN(test_mixed_sizes);
	return T_DONE();
}
