/*
 * tests/unit/check_detects.c - the invariant checker sees every broken rule.
 *
 * The catalog and the random tests show that a healthy model stays clean;
 * they cannot show that the checker would notice the kernel rules being
 * broken, since a correct model never breaks most of them.  Each sub-test
 * here builds a small healthy world, asserts that a scan finds nothing, then
 * breaks exactly one kernel rule by hand -- a writable PTE in a vma without
 * VM_WRITE, an exclusive page mapped twice, a swap PTE naming no slot ... --
 * and asserts the exact set of invariants the next scan reports.  Where one
 * corruption breaks more than one rule (a folio whose refcount drops to 0 is
 * also under-counted), the comment says why each name is expected.
 *
 * The rules are the kernel's (docs: ../shared/reference/linux-gup-cow.md
 * and the comments in src/core/check.c); none of these states is reachable
 * through the model's own operations in the preset used.
 */
#include "testlib.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pinlab/core.h"
#include "scan_names.h"

/*
 * The corruptions below are made by hand, past the marks the model's own
 * writes leave for the incremental checker (pl_page_changed(), a file's
 * cache range), so these worlds scan in full, as `--check=full` does.
 */
static struct world *new_world(const char *preset)
{
	const struct pl_preset *p = pl_preset_find(preset);
	struct world *w = p ? pl_world_new(&p->policy, preset) : NULL;

	if (w)
		w->check_full = true;
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

static pte_t *ptep_at(struct world *w, int pid, pl_addr a)
{
	return pl_pte_lookup(pl_task(w, pid)->mm, a);
}

static struct page *page_at(struct world *w, int pid, pl_addr a)
{
	pte_t *ptep = ptep_at(w, pid, a);

	return ptep && pte_present(*ptep) ? pfn_to_page(w, pte_pfn(*ptep)) : NULL;
}

static struct vm_area_struct *vma_at(struct world *w, int pid, pl_addr a)
{
	return vma_lookup(pl_task(w, pid)->mm, a);
}

/* A world with one process and `pages` written anon pages at *a. */
static struct world *anon_world(const char *preset, unsigned long pages, pl_addr *a)
{
	struct world *w = new_world(preset);
	int pid;

	if (!w)
		return NULL;
	pid = pl_task_create(w);
	*a = anon(w, pid, pages);
	for (unsigned long i = 0; i < pages; i++)
		if (pl_user_write(w, pid, *a + i * PAGE_SIZE, tok(w, "data"))) {
			pl_world_free(w);
			return NULL;
		}
	return w;
}

/* ---------------------------------------------------------------------------
 * vmas and page tables
 */
static void test_vma_list(void)
{
	pl_addr a, b;
	struct world *w = anon_world("latest", 1, &a);
	struct mm_struct *mm;
	struct vm_area_struct *v;
	int saved;

	T_REQUIRE(w);
	mm = pl_task(w, 1)->mm;
	/* a second, unpopulated vma, so vmas can be bent without orphaning PTEs */
	b = pl_mmap(w, 1, 0, 4 * PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1,
		    0);
	T_REQUIRE(!pl_err(b));
	T_STREQ(scan(w), "");
	T_EQ(mm->nr_vmas, 2);

	/*
	 * The count of vmas beyond the array: find_vma would read garbage.
	 * The checker then trusts no vma, so the one mapped page also lies
	 * outside every vma.
	 */
	saved = mm->nr_vmas;
	mm->nr_vmas = mm->cap_vmas + 1;
	T_STREQ(scan(w), "pte-outside-vma vma-list-sane");
	mm->nr_vmas = saved;

	/* an empty vma */
	v = vma_at(w, 1, b);
	T_REQUIRE(v);
	v->vm_end = v->vm_start;
	T_STREQ(scan(w), "vma-list-sane");
	v->vm_end = v->vm_start + 4 * PAGE_SIZE;

	/* a vma not page aligned */
	v->vm_end -= 1;
	T_STREQ(scan(w), "vma-list-sane");
	v->vm_end += 1;

	/* overlapping neighbours: the lower one reaches into the upper one */
	mm->vmas[0].vm_end += PAGE_SIZE;
	if (mm->vmas[0].vm_end <= mm->vmas[1].vm_start) {
		/* not adjacent: stretch it all the way */
		mm->vmas[0].vm_end -= PAGE_SIZE;
		T_SKIP("the two vmas are not adjacent (%#llx, %#llx)",
		       (unsigned long long)mm->vmas[0].vm_end,
		       (unsigned long long)mm->vmas[1].vm_start);
	}
	T_STREQ(scan(w), "vma-list-sane");
	mm->vmas[0].vm_end -= PAGE_SIZE;

	/* a hugetlb page order on a vma that is not hugetlb */
	v = vma_at(w, 1, b);
	v->hugetlb_order = HPAGE_PMD_ORDER;
	T_STREQ(scan(w), "vma-list-sane");
	/* and VM_HUGETLB with an order that is no huge page size */
	v->vm_flags |= VM_HUGETLB;
	v->hugetlb_order = 4;
	T_STREQ(scan(w), "vma-list-sane");
	v->vm_flags &= ~VM_HUGETLB;
	v->hugetlb_order = 0;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_hugetlb_vma_cut(void)
{
	struct world *w = new_world("latest");
	struct vm_area_struct *v;
	pl_addr h;
	int pid;

	T_REQUIRE(w);
	pid = pl_task_create(w);
	T_EQ(pl_hugetlb_set_pool(w, 2), 0);
	h = pl_mmap(w, pid, 0, 2 * PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	T_REQUIRE(!pl_err(h));
	T_STREQ(scan(w), "");
	/* a hugetlb vma ending inside its second (unpopulated) huge page */
	v = vma_at(w, pid, h);
	T_REQUIRE(v && v->hugetlb_order == HPAGE_PMD_ORDER);
	v->vm_end -= PAGE_SIZE;
	T_STREQ(scan(w), "vma-list-sane");
	v->vm_end += PAGE_SIZE;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_writable_pte_without_vm_write(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 1, &a);
	struct vm_area_struct *v;

	T_REQUIRE(w);
	v = vma_at(w, 1, a);
	T_REQUIRE(v && pte_write(*ptep_at(w, 1, a)));
	/* mprotect(PROT_READ) that forgot to write-protect the PTE */
	v->vm_flags &= ~VM_WRITE;
	T_STREQ(scan(w), "writable-needs-vm-write");
	v->vm_flags |= VM_WRITE;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_pte_outside_vma(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 2, &a);
	struct vm_area_struct *v;

	T_REQUIRE(w);
	v = vma_at(w, 1, a);
	T_REQUIRE(v);
	/* munmap of the last page that dropped the vma part but not the PTE */
	v->vm_end -= PAGE_SIZE;
	T_STREQ(scan(w), "pte-outside-vma");
	v->vm_end += PAGE_SIZE;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_pgtable_shapes(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 2, &a);
	pte_t *ptep;
	pmd_t *pmdp, saved;

	T_REQUIRE(w);
	/* page 1 is populated; make page 2's PTE neither present nor swap */
	T_EQ(pl_munmap(w, 1, a + PAGE_SIZE, PAGE_SIZE), 0);
	T_REQUIRE(pl_mmap(w, 1, a + PAGE_SIZE, PAGE_SIZE, PL_PROT_READ,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_FIXED, -1, 0) == a + PAGE_SIZE);
	ptep = ptep_at(w, 1, a + PAGE_SIZE);
	T_REQUIRE(ptep && pte_none(*ptep));
	T_STREQ(scan(w), "");
	*ptep = _PAGE_DIRTY | _PAGE_ACCESSED;
	T_STREQ(scan(w), "pgtable-well-formed");
	*ptep = 0;

	/* a pmd slot holding both a PTE table and a (non-leaf) value */
	pmdp = pl_pmd_lookup(pl_task(w, 1)->mm, a);
	T_REQUIRE(pmdp && *pmdp == 0);
	saved = *pmdp;
	*pmdp = _PAGE_PRESENT;
	T_STREQ(scan(w), "pgtable-well-formed");
	*pmdp = saved;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_swap_pte_bad_slot(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 1, &a);
	pte_t *ptep;

	T_REQUIRE(w);
	T_EQ(pl_swapon(w, 4), 0);
	/* a second, empty page in the same PTE table */
	T_REQUIRE(pl_mmap(w, 1, a + PAGE_SIZE, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_FIXED, -1, 0) == a + PAGE_SIZE);
	ptep = ptep_at(w, 1, a + PAGE_SIZE);
	T_REQUIRE(ptep && pte_none(*ptep));
	/* a swap entry past the end of the swap device */
	*ptep = swp_entry_to_pte(1000, false);
	T_STREQ(scan(w), "swapcache-consistent");
	*ptep = 0;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_pte_maps_free_or_dead_page(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 1, &a);
	struct page *p;
	pte_t *ptep;

	T_REQUIRE(w);
	T_REQUIRE(pl_mmap(w, 1, a + PAGE_SIZE, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_FIXED, -1, 0) == a + PAGE_SIZE);
	ptep = ptep_at(w, 1, a + PAGE_SIZE);
	T_REQUIRE(ptep && pte_none(*ptep));
	/* a PTE naming a pfn the memmap has never handed out */
	*ptep = pfn_pte(w->next_pfn + 7, _PAGE_PRESENT);
	T_STREQ(scan(w), "no-free-mapped");
	*ptep = 0;

	/*
	 * A mapped folio whose refcount dropped to 0: a use-after-free.  The
	 * same state also under-counts the folio (refcount-balance) and
	 * leaves it mapped more often than referenced (mapcount-le-refcount).
	 */
	p = page_at(w, 1, a);
	T_REQUIRE(p && p->_refcount == 1);
	p->_refcount = 0;
	T_STREQ(scan(w), "mapcount-le-refcount no-free-mapped refcount-balance");
	p->_refcount = 1;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_zero_page_rules(void)
{
	struct world *w = new_world("latest");
	struct page *z;
	pte_t *ptep;
	pl_addr a;
	pl_token t;
	int pid;

	T_REQUIRE(w);
	pid = pl_task_create(w);
	a = anon(w, pid, 1);
	T_EQ(pl_user_read(w, pid, a, &t), 0);
	ptep = ptep_at(w, pid, a);
	T_REQUIRE(ptep && pte_pfn(*ptep) == w->zero_pfn);
	T_STREQ(scan(w), "");
	/* the shared zero page mapped writable: one write reaches every process */
	*ptep = pte_mkwrite(*ptep);
	T_STREQ(scan(w), "zero-page-readonly");
	*ptep = pte_wrprotect(*ptep);
	/* the zero page turned into an anon, exclusive page */
	z = pfn_to_page(w, w->zero_pfn);
	z->flags |= PG_anon_exclusive;
	T_STREQ(scan(w), "zero-page-readonly");
	z->flags &= ~PG_anon_exclusive;
	/* c8070b787519: a FOLL_PIN of the zero page leaves no pin on it */
	z->gup_pins = 1;
	z->_refcount += GUP_PIN_COUNTING_BIAS;
	T_STREQ(scan(w), "zero-page-never-pinned");
	z->gup_pins = 0;
	z->_refcount -= GUP_PIN_COUNTING_BIAS;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * file mappings and the page cache
 */
static void test_file_mapping_rules(void)
{
	struct world *w = new_world("latest");
	struct vm_area_struct *v;
	struct page *p;
	pte_t *ptep;
	pl_addr priv, shared;
	pl_token t;
	int pid, file;

	T_REQUIRE(w);
	pid = pl_task_create(w);
	file = pl_file_create(w, PL_FS_EXT4, 4, tok(w, "disk"));
	T_REQUIRE(file >= 0);
	priv = pl_mmap(w, pid, 0, 2 * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_PRIVATE,
		       file, 0);
	shared = pl_mmap(w, pid, 0, 2 * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED,
			 file, 2);
	T_REQUIRE(!pl_err(priv) && !pl_err(shared));
	T_EQ(pl_user_read(w, pid, priv, &t), 0);
	T_STREQ(pl_token_text(w, t), "disk");
	T_EQ(pl_user_write(w, pid, shared, tok(w, "mine")), 0);
	T_STREQ(scan(w), "");

	/*
	 * A private file mapping whose R/O page-cache PTE became writable:
	 * the process could write the file (what Dirty COW did).
	 */
	ptep = ptep_at(w, pid, priv);
	T_REQUIRE(ptep && pte_present(*ptep) && !pte_write(*ptep));
	*ptep = pte_mkwrite(*ptep);
	T_STREQ(scan(w), "private-writable-is-anon");
	*ptep = pte_wrprotect(*ptep);

	/* the vma offset moved: the PTE maps index 0 where the vma says 1 */
	v = vma_at(w, pid, priv);
	T_REQUIRE(v);
	v->vm_pgoff = 1;
	T_STREQ(scan(w), "pte-matches-vma");
	v->vm_pgoff = 0;

	/*
	 * Writeback that cleaned the folio but left the shared PTE writable:
	 * the next write through it is never written back (folio_mkclean).
	 */
	p = page_at(w, pid, shared);
	T_REQUIRE(p && (p->flags & PG_dirty) && pte_write(*ptep_at(w, pid, shared)));
	p->flags &= ~PG_dirty;
	T_STREQ(scan(w), "shared-writable-dirty");
	p->flags |= PG_dirty;

	/* PG_anon_exclusive means PG_mappedtodisk on a page-cache page */
	p->flags |= PG_anon_exclusive;
	T_STREQ(scan(w), "exclusive-is-anon");
	p->flags &= ~PG_anon_exclusive;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_page_cache_links(void)
{
	struct world *w = new_world("latest");
	struct pl_file *f;
	pl_pfn head;
	pl_token t;
	int file;

	T_REQUIRE(w);
	file = pl_file_create(w, PL_FS_EXT4, 4, tok(w, "disk"));
	T_REQUIRE(file >= 0);
	/* read(2) leaves no trace in the model's cache; write(2) caches a folio */
	T_EQ(pl_file_read(w, file, 3, &t), 0);
	T_STREQ(pl_token_text(w, t), "disk");
	T_EQ(pl_file_write(w, file, 3, tok(w, "new")), 0);
	f = w->files[file - 1];
	T_REQUIRE(f && f->id == file && f->cap >= 4 && f->cache[3] != PL_PFN_NONE);
	head = f->cache[3];
	T_STREQ(scan(w), "");

	/* i_size shrank without truncating the cache: index 3 is past the end */
	f->nr_pages = 3;
	T_STREQ(scan(w), "pagecache-consistent");
	f->nr_pages = 4;

	/* a slot naming a pfn nobody allocated */
	T_EQ(f->cache[1], PL_PFN_NONE);
	f->cache[1] = w->next_pfn + 3;
	T_STREQ(scan(w), "pagecache-consistent");
	/* a slot naming a folio that belongs to another index */
	f->cache[1] = head;
	T_STREQ(scan(w), "pagecache-consistent");
	f->cache[1] = PL_PFN_NONE;

	/* the folio side: its ->index points at a slot that does not name it */
	pfn_to_page(w, head)->index = 2;
	T_STREQ(scan(w), "pagecache-consistent");
	pfn_to_page(w, head)->index = 3;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_memmap_broken(void)
{
	struct world *w = new_world("latest");
	struct page *p;
	pl_token t;
	int file;

	T_REQUIRE(w);
	file = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "disk"));
	T_REQUIRE(file >= 0);
	T_EQ(pl_file_write(w, file, 0, tok(w, "new")), 0);
	T_EQ(pl_file_read(w, file, 0, &t), 0);
	T_STREQ(pl_token_text(w, t), "new");
	p = pfn_to_page(w, w->files[file - 1]->cache[0]);
	T_STREQ(scan(w), "");
	/*
	 * An allocated page that is no folio head: the memmap check reports
	 * it, and the page-cache slot naming it names no live folio.
	 */
	p->flags &= ~PG_head;
	T_STREQ(scan(w), "memmap-sane pagecache-consistent");
	p->flags |= PG_head;
	/* a head whose head field points elsewhere */
	p->head = 0;
	T_STREQ(scan(w), "memmap-sane pagecache-consistent");
	p->head = w->files[file - 1]->cache[0];
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_memmap_broken_tail(void)
{
	struct world *w = new_world("latest");
	struct page *h;
	pmd_t *pmdp;
	pl_addr a;
	int pid;

	T_REQUIRE(w);
	pid = pl_task_create(w);
	a = pl_mmap(w, pid, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_REQUIRE(!pl_err(a));
	T_EQ(pl_madvise(w, pid, a, PMD_SIZE, PL_MADV_HUGEPAGE), 0);
	T_EQ(pl_user_write(w, pid, a, tok(w, "thp")), 0);
	pmdp = pl_pmd_lookup(pl_task(w, pid)->mm, a);
	T_REQUIRE(pmdp && pmd_leaf(*pmdp));
	h = pfn_to_page(w, pte_pfn(*pmdp));
	T_EQ(h->order, HPAGE_PMD_ORDER);
	T_STREQ(scan(w), "");
	/*
	 * A tail that lost PG_tail: the memmap no longer describes one folio.
	 * The head itself is intact, so the PMD leaf still finds it; the
	 * broken folio's counts are not judged until the memmap is sane.
	 */
	h[5].flags &= ~PG_tail;
	T_STREQ(scan(w), "memmap-sane");
	h[5].flags |= PG_tail;
	T_STREQ(scan(w), "");

	/* the leaf crosses the end of its vma: a split was skipped */
	vma_at(w, pid, a)->vm_end -= PMD_SIZE / 2;
	T_STREQ(scan(w), "pmd-maps-pmd-folio");
	vma_at(w, pid, a)->vm_end += PMD_SIZE / 2;

	/* pincount-exact: a large folio's _pincount with no pin behind it */
	h->_pincount = 1;
	T_STREQ(scan(w), "pincount-exact");
	/*
	 * maybe-pinned-true: a pin the folio does not show.  The ghost pin
	 * is counted into the expected refcount (one per pin on a large
	 * folio), so the refcount is raised to match and only the two pin
	 * rules remain: _pincount 0 != 1 pin, and maybe_dma_pinned() false.
	 */
	h->_pincount = 0;
	h->gup_pins = 1;
	h->_refcount += 1;
	T_STREQ(scan(w), "maybe-pinned-true pincount-exact");
	h->gup_pins = 0;
	h->_refcount -= 1;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * exclusivity
 */
static void test_exclusive_rules(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 1, &a);
	struct page *p;
	pte_t *pp, *cp;
	int child;

	T_REQUIRE(w);
	child = pl_fork(w, 1);
	T_GT(child, 0);
	p = page_at(w, 1, a);
	T_REQUIRE(p && p == page_at(w, child, a));
	T_ASSERT(!PageAnonExclusive(p));
	T_STREQ(scan(w), "");
	/* an exclusive page mapped by two processes (fork forgot to clear it) */
	p->flags |= PG_anon_exclusive;
	T_STREQ(scan(w), "exclusive-single-map");
	p->flags &= ~PG_anon_exclusive;

	/*
	 * The parent's PTE made writable while the child maps the page: the
	 * parent's writes reach the child.  With PG_anon_exclusive in the era
	 * a writable anon PTE on a shared page is also non-exclusive.
	 */
	pp = ptep_at(w, 1, a);
	cp = ptep_at(w, child, a);
	T_REQUIRE(pp && cp && !pte_write(*pp) && !pte_write(*cp));
	*pp = pte_mkwrite(*pp);
	T_STREQ(scan(w), "no-shared-writable writable-anon-exclusive");
	*pp = pte_wrprotect(*pp);
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_exclusive_rules_before_anon_exclusive(void)
{
	pl_addr a;
	struct world *w = anon_world("v5.18", 1, &a);
	struct page *p;
	pte_t *pp;
	int child;

	T_REQUIRE(w);
	T_REQUIRE(!w->policy.anon_exclusive);
	p = page_at(w, 1, a);
	T_REQUIRE(p);
	/* an era without the flag never sets it (it is PG_mappedtodisk there) */
	p->flags |= PG_anon_exclusive;
	T_STREQ(scan(w), "exclusive-is-anon");
	p->flags &= ~PG_anon_exclusive;

	child = pl_fork(w, 1);
	T_GT(child, 0);
	pp = ptep_at(w, 1, a);
	T_REQUIRE(pp && !pte_write(*pp));
	/* without PG_anon_exclusive only the sharing rule speaks */
	*pp = pte_mkwrite(*pp);
	T_STREQ(scan(w), "no-shared-writable");
	*pp = pte_wrprotect(*pp);
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_ksm_never_exclusive(void)
{
	struct world *w = new_world("latest");
	struct page *p;
	pl_addr a;
	int pid;

	T_REQUIRE(w);
	pid = pl_task_create(w);
	a = anon(w, pid, 2);
	T_EQ(pl_user_write(w, pid, a, tok(w, "same")), 0);
	T_EQ(pl_user_write(w, pid, a + PAGE_SIZE, tok(w, "same")), 0);
	T_EQ(pl_madvise(w, pid, a, 2 * PAGE_SIZE, PL_MADV_MERGEABLE), 0);
	T_GE(pl_ksm_merge(w), 1);
	p = page_at(w, pid, a);
	T_REQUIRE(p && p == page_at(w, pid, a + PAGE_SIZE));
	T_ASSERT(p->flags & PG_ksm);
	T_STREQ(scan(w), "");
	/*
	 * A FOLL_PIN on a KSM page: where R/O pins unshare, GUP copies the
	 * page out first (gup_must_unshare: KSM pages are never exclusive).
	 */
	p->gup_pins = 1;
	p->_refcount += GUP_PIN_COUNTING_BIAS;
	T_STREQ(scan(w), "ksm-never-exclusive");
	p->gup_pins = 0;
	p->_refcount -= GUP_PIN_COUNTING_BIAS;
	/* an exclusive KSM page, mapped twice: both rules see it */
	p->flags |= PG_anon_exclusive;
	T_STREQ(scan(w), "exclusive-single-map ksm-never-exclusive");
	p->flags &= ~PG_anon_exclusive;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * pins
 */
static void test_pin_rules(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 1, &a);
	struct mm_struct *mm;
	struct page *p;
	pte_t *ptep;
	int h;

	T_REQUIRE(w);
	mm = pl_task(w, 1)->mm;
	h = pl_gup_test_pin(w, 1, a, 1, true, false);
	T_GT(h, 0);
	p = page_at(w, 1, a);
	T_REQUIRE(p && p->gup_pins == 1);
	T_EQ(p->_refcount, 1 + GUP_PIN_COUNTING_BIAS);
	T_ASSERT(mm->flags & MMF_HAS_PINNED);
	T_STREQ(scan(w), "");

	/* fork trusts MMF_HAS_PINNED to look for pinned pages at all */
	mm->flags &= ~MMF_HAS_PINNED;
	T_STREQ(scan(w), "has-pinned-set");
	mm->flags |= MMF_HAS_PINNED;

	/* a pinned page that lost exclusivity (R/O PTE, so only the pin rule) */
	ptep = ptep_at(w, 1, a);
	*ptep = pte_wrprotect(*ptep);
	T_STREQ(scan(w), "");
	p->flags &= ~PG_anon_exclusive;
	T_STREQ(scan(w), "pinned-exclusive");
	p->flags |= PG_anon_exclusive;

	/* a small folio never has a _pincount: pins live in the bias */
	p->_pincount = 1;
	T_STREQ(scan(w), "pincount-exact");
	p->_pincount = 0;

	/* the pinner lists the page, but its pin was dropped behind its back */
	p->gup_pins = 0;
	p->_refcount -= GUP_PIN_COUNTING_BIAS;
	T_STREQ(scan(w), "pinset-refs-held");
	/* and a ghost pin without the bias: refcount short, not maybe-pinned */
	p->gup_pins = 1;
	T_STREQ(scan(w), "maybe-pinned-true refcount-balance");
	p->_refcount += GUP_PIN_COUNTING_BIAS;
	T_STREQ(scan(w), "");
	T_EQ(pl_gup_test_unpin(w, h), 0);
	T_EQ(p->_refcount, 1);
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * swap
 */
static void test_swap_rules(void)
{
	pl_addr a;
	struct world *w = anon_world("latest", 1, &a);
	struct swap_slot *slot;
	pte_t *ptep;
	uint32_t s;
	int child;

	T_REQUIRE(w);
	T_EQ(pl_swapon(w, 4), 0);
	T_EQ(pl_reclaim(w, 1, a), 0);
	ptep = ptep_at(w, 1, a);
	T_REQUIRE(ptep && is_swap_pte(*ptep) && pte_swp_exclusive(*ptep));
	s = pte_swp_offset(*ptep);
	T_REQUIRE(s > 0 && s < w->nr_swap);
	slot = &w->swap[s];
	T_EQ(slot->count, 1);
	T_STREQ(scan(w), "");

	/* swap_map counts one more user than there are swap PTEs */
	slot->count++;
	T_STREQ(scan(w), "swapcache-consistent");
	slot->count--;
	/* SWAP_HAS_CACHE without a swap-cache folio */
	if (!slot->has_cache) {
		slot->has_cache = true;
		T_STREQ(scan(w), "swapcache-consistent");
		slot->has_cache = false;
	}

	/* fork duplicates the entry and clears swp_exclusive on both sides */
	child = pl_fork(w, 1);
	T_GT(child, 0);
	T_EQ(slot->count, 2);
	T_ASSERT(!pte_swp_exclusive(*ptep));
	T_ASSERT(!pte_swp_exclusive(*ptep_at(w, child, a)));
	T_STREQ(scan(w), "");
	/* an exclusive entry while another process holds the same slot */
	*ptep |= _PAGE_SWP_EXCLUSIVE;
	T_STREQ(scan(w), "swp-exclusive-unmapped");
	*ptep &= ~_PAGE_SWP_EXCLUSIVE;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_swp_exclusive_before_its_era(void)
{
	pl_addr a;
	struct world *w = anon_world("v5.18", 1, &a);
	pte_t *ptep;

	T_REQUIRE(w);
	T_REQUIRE(!w->policy.swp_exclusive);
	T_EQ(pl_swapon(w, 4), 0);
	T_EQ(pl_reclaim(w, 1, a), 0);
	ptep = ptep_at(w, 1, a);
	T_REQUIRE(ptep && is_swap_pte(*ptep));
	/* 1493a1913e34 is not in v5.18: nothing sets the bit there */
	T_ASSERT(!pte_swp_exclusive(*ptep));
	T_STREQ(scan(w), "");
	*ptep |= _PAGE_SWP_EXCLUSIVE;
	T_STREQ(scan(w), "swp-exclusive-unmapped");
	*ptep &= ~_PAGE_SWP_EXCLUSIVE;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * the checker's own contract
 */
static void test_unknown_invariant_is_internal_error(void)
{
	struct world *w = new_world("latest");
	char msg[256] = "";
	int status = 0, fds[2];
	ssize_t n;
	pid_t child;

	T_REQUIRE(w);
	T_REQUIRE(pipe(fds) == 0);
	fflush(stdout);
	fflush(stderr);
	child = fork();
	T_REQUIRE(child >= 0);
	if (child == 0) {
		/* stdout stays the parent's KTAP; stderr goes to the parent */
		close(fds[0]);
		if (!freopen("/dev/null", "w", stdout) || dup2(fds[1], 2) < 0)
			_exit(99);
		pl_violation(w, "no-such-invariant", 1, 0, 0, "x");
		_exit(0);	/* not reached: pl_bug() exits 3 */
	}
	close(fds[1]);
	n = read(fds[0], msg, sizeof(msg) - 1);
	close(fds[0]);
	msg[n > 0 ? n : 0] = '\0';
	T_EQ(waitpid(child, &status, 0), child);
	T_ASSERT(WIFEXITED(status));
	T_EQ(WEXITSTATUS(status), 3);
	/* the internal-error contract: a located message, exit 3 */
	T_ASSERT(strncmp(msg, "pinlab: internal error: src/core/check.c:", 41) == 0);
	T_ASSERT(strstr(msg, "unknown invariant 'no-such-invariant'") != NULL);
	/* a known name is recorded once per step, with its details */
	w->step = 5;
	pl_violation(w, "lost-write", 1, 0x1000, 0, "detail %d", 42);
	pl_violation(w, "lost-write", 1, 0x1000, 0, "again");
	T_EQ(w->nr_violations, 1);
	T_STREQ(w->violations[0].inv->name, "lost-write");
	T_STREQ(w->violations[0].detail, "detail 42");
	T_EQ(w->violations[0].step, 5);
	T_STREQ(pl_class_name(w->violations[0].inv->cls), "lost-write");
	T_STREQ(pl_class_name((enum pl_outcome_class)99), "?");
	T_ASSERT(pl_invariant_find(NULL) == NULL);
	T_ASSERT(pl_invariant_find("no-such-invariant") == NULL);
	/* pl_expected_refcount() of a pfn that is no folio head */
	T_EQ(pl_expected_refcount(w, w->next_pfn + 1, NULL), 0);
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * The incremental scan (check_inc.c) against the full one
 */
/*
 * Two worlds run the same steps, one scanned in full (--check=full), one
 * incrementally.  A child's vma loses VM_WRITE under its writable PTE, so
 * writable-needs-vm-write holds from then on and is reported every step;
 * meanwhile only the parent forks and children exit, so the incremental
 * scans walk the parent and the new child and report the broken child's
 * violation again without walking it.  Both worlds must record the same
 * violations, step by step, and the incremental one must have scanned
 * without a walk of every mm.
 */
static void test_incremental_matches_full(void)
{
	struct world *ws[2];
	int incremental = 0, broken = 0;
	pl_addr a = 0;

	for (int k = 0; k < 2; k++) {
		struct world *w = ws[k] = new_world("latest");

		T_REQUIRE(w);
		w->check_full = k == 0;
		w->check_verify = true;
		T_REQUIRE(pl_task_create(w) == 1);
		a = anon(w, 1, 1);
		T_REQUIRE(!pl_user_write(w, 1, a, tok(w, "data")));
		T_STREQ(scan(w), "");
		for (int i = 0; i < 3; i++)
			T_REQUIRE(pl_fork(w, 1) == 2 + i);
		T_REQUIRE(!pl_user_write(w, 3, a, tok(w, "mine")));
		T_STREQ(scan(w), "");
		/* mprotect(PROT_READ) in child 3 that forgot to write-protect the PTE */
		vma_at(w, 3, a)->vm_flags &= ~VM_WRITE;
		T_STREQ(scan(w), "writable-needs-vm-write");
		for (int i = 0; i < 20; i++) {
			T_REQUIRE(pl_fork(w, 1) > 0);
			if (i % 5 == 4)
				T_REQUIRE(!pl_exit(w, 2 + i / 5 + (i / 5 >= 1)));
			T_STREQ(scan(w), "writable-needs-vm-write");
			if (k == 1 && w->chk_walked && w->chk_folio_gen == w->chk_walk_gen)
				incremental++;
		}
	}
	T_EQ(ws[0]->nr_violations, ws[1]->nr_violations);
	for (int i = 0; i < ws[0]->nr_violations && i < ws[1]->nr_violations; i++) {
		const struct pl_violation *x = &ws[0]->violations[i], *y = &ws[1]->violations[i];

		T_REQUIRE(x->inv == y->inv && x->step == y->step && x->pid == y->pid &&
			  x->addr == y->addr && x->pfn == y->pfn && !strcmp(x->detail, y->detail));
		broken += !strcmp(x->inv->name, "writable-needs-vm-write") && x->pid == 3;
	}
	T_EQ(broken, 21);
	/* most of the 20 steps were scanned without walking every mm */
	T_REQUIRE(incremental >= 15);
	pl_world_free(ws[0]);
	pl_world_free(ws[1]);
}

/*
 * A marked mm's walk reads only the entries that differ from its last
 * walk's copy (check_inc.c): PTEs broken and mended one at a time, through
 * the lookups that mark the mm, between steps that only read, and a vma
 * split under the table; every step's violations must be the full walk's.
 */
static void test_incremental_diff_matches_full(void)
{
	struct world *ws[2];
	int diffed = 0, broken = 0;
	pl_addr a = 0;

	for (int k = 0; k < 2; k++) {
		struct world *w = ws[k] = new_world("latest");
		pl_token t;

		T_REQUIRE(w);
		w->check_full = k == 0;
		w->check_verify = true;
		T_REQUIRE(pl_task_create(w) == 1);
		a = anon(w, 1, 8);
		for (int i = 0; i < 8; i++)
			T_REQUIRE(!pl_user_write(w, 1, a + (pl_addr)i * PAGE_SIZE, tok(w, "data")));
		T_STREQ(scan(w), "");
		T_REQUIRE(!pl_mprotect(w, 1, a, 8 * PAGE_SIZE, PL_PROT_READ));
		T_STREQ(scan(w), "");
		for (int i = 0; i < 8; i++) {
			pl_addr p = a + (pl_addr)i * PAGE_SIZE;
			pte_t *ptep = ptep_at(w, 1, p);

			T_REQUIRE(ptep);
			*ptep = pte_mkwrite(*ptep);	/* mprotect(-W) missed one */
			T_STREQ(scan(w), "writable-needs-vm-write");
			T_REQUIRE(!pl_user_read(w, 1, a, &t));
			T_STREQ(scan(w), "writable-needs-vm-write");
			ptep = ptep_at(w, 1, p);
			*ptep = pte_wrprotect(*ptep);
			T_STREQ(scan(w), "");
			T_REQUIRE(!pl_user_read(w, 1, p, &t));
			if (k == 1 && w->chk_walked && w->chk_folio_gen == w->chk_walk_gen)
				diffed++;
			T_STREQ(scan(w), "");
		}
		/* the upper half writable again: a vma split over the same table */
		T_REQUIRE(!pl_mprotect(w, 1, a + 4 * PAGE_SIZE, 4 * PAGE_SIZE,
				       PL_PROT_READ | PL_PROT_WRITE));
		T_STREQ(scan(w), "");
		T_REQUIRE(!pl_user_write(w, 1, a + 5 * PAGE_SIZE, tok(w, "more")));
		T_STREQ(scan(w), "");
		/* the vma changes under a PTE that does not */
		vma_at(w, 1, a + 5 * PAGE_SIZE)->vm_flags &= ~VM_WRITE;
		T_STREQ(scan(w), "writable-needs-vm-write");
		vma_at(w, 1, a + 5 * PAGE_SIZE)->vm_flags |= VM_WRITE;
		T_STREQ(scan(w), "");
		*ptep_at(w, 1, a + PAGE_SIZE) = pte_mkwrite(*ptep_at(w, 1, a + PAGE_SIZE));
		T_STREQ(scan(w), "writable-needs-vm-write");
		T_REQUIRE(!pl_munmap(w, 1, a, 2 * PAGE_SIZE));
		T_STREQ(scan(w), "");
	}
	T_EQ(ws[0]->nr_violations, ws[1]->nr_violations);
	for (int i = 0; i < ws[0]->nr_violations && i < ws[1]->nr_violations; i++) {
		const struct pl_violation *x = &ws[0]->violations[i], *y = &ws[1]->violations[i];

		T_REQUIRE(x->inv == y->inv && x->step == y->step && x->pid == y->pid &&
			  x->addr == y->addr && x->pfn == y->pfn && !strcmp(x->detail, y->detail));
		broken++;
	}
	T_EQ(broken, 21);
	T_EQ(diffed, 8);
	pl_world_free(ws[0]);
	pl_world_free(ws[1]);
}

int main(void)
{
	T_RUN(test_vma_list);
	T_RUN(test_hugetlb_vma_cut);
	T_RUN(test_writable_pte_without_vm_write);
	T_RUN(test_pte_outside_vma);
	T_RUN(test_pgtable_shapes);
	T_RUN(test_swap_pte_bad_slot);
	T_RUN(test_pte_maps_free_or_dead_page);
	T_RUN(test_zero_page_rules);
	T_RUN(test_file_mapping_rules);
	T_RUN(test_page_cache_links);
	T_RUN(test_memmap_broken);
	T_RUN(test_memmap_broken_tail);
	T_RUN(test_exclusive_rules);
	T_RUN(test_exclusive_rules_before_anon_exclusive);
	T_RUN(test_ksm_never_exclusive);
	T_RUN(test_pin_rules);
	T_RUN(test_swap_rules);
	T_RUN(test_swp_exclusive_before_its_era);
	T_RUN(test_unknown_invariant_is_internal_error);
	T_RUN(test_incremental_matches_full);
	T_RUN(test_incremental_diff_matches_full);
	return T_DONE();
}
