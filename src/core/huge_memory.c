/*
 * Transparent huge pages (PMD-mapped, 2 MiB) and hugetlb.
 *
 * A THP is an order-9 anon folio.  It is born PMD-mapped by
 * do_huge_pmd_anonymous_page(); a partial munmap/mprotect/MADV_DONTNEED or a
 * COW that cannot reuse it splits the *mapping* (__split_huge_pmd) into 512
 * PTEs of the same folio -- a "PTE-mapped THP".  Splitting the *folio*
 * (split_folio) into 512 small folios is only possible without extra
 * references: a pinned THP cannot be split.
 *
 *   PMD-mapped:   _entire_mapcount = 1, page[i]._mapcount = 0, refcount = 1 (+refs)
 *   PTE-mapped:   _entire_mapcount = 0, page[i]._mapcount = 1, refcount = 512 (+refs)
 *
 * hugetlb folios come from a fixed pool per size and are always mapped whole
 * by one leaf at the vma's level: a 2 MiB page (order 9) by a PMD leaf, a
 * 1 GiB page (order 18, hugepages-1048576kB) by a PUD leaf.  Either way the
 * leaf maps the whole folio once (_entire_mapcount), and everything below
 * is the same code for both sizes.  Their COW rule never moved to
 * refcounts: a needless copy needs a second huge page that may not exist,
 * so hugetlb_wp() reuses on mapcount == 1 (PG_anon_exclusive first where
 * the era has it).  That is why R/O FOLL_GET references (vmsplice) can
 * still leak on hugetlb, of either size -- cow.c's XFAIL.
 */
#include "internal.h"

bool pl_thp_suitable(struct world *w, struct vm_area_struct *vma, pl_addr addr)
{
	pl_addr base = addr & PMD_MASK;

	if (!pl_vma_is_anon(vma) || (vma->vm_flags & VM_NOHUGEPAGE))
		return false;
	if (w->thp == THP_NEVER || (w->thp == THP_MADVISE && !(vma->vm_flags & VM_HUGEPAGE)))
		return false;
	return base >= vma->vm_start && base + PMD_SIZE <= vma->vm_end;
}

static pmd_t mk_huge_pmd(struct vm_area_struct *vma, pl_pfn pfn, bool write)
{
	return pl_mk_pte(vma, pfn, write) | _PAGE_PSE;
}

unsigned do_huge_pmd_anonymous_page(struct world *w, struct mm_struct *mm,
				    struct vm_area_struct *vma, pl_addr addr, unsigned flags)
{
	pl_addr base = addr & PMD_MASK;
	pmd_t *pmdp = pl_pmd_alloc(w, mm, base);
	struct pl_lock *ptl = pl_pmd_lockptr(mm, base);
	struct folio *f;

	if (!(flags & FAULT_FLAG_WRITE) && w->huge_zero_page) {
		/* read fault: the huge zero page, R/O, never refcounted per map */
		pl_spin_lock(w, ptl);
		if (*pmdp == 0)
			pl_set_pte(w, pmdp, pfn_pte(w->huge_zero_pfn, _PAGE_PRESENT | _PAGE_PSE |
						    _PAGE_SPECIAL | _PAGE_ACCESSED));
		pl_spin_unlock(w, ptl);
		return 0;
	}
	if (!vma->anon_vma)
		vma->anon_vma = ++w->next_anon_vma;
	f = folio_alloc(w, HPAGE_PMD_ORDER);
	if (!f)
		return VM_FAULT_RETRY;	/* fall back to small pages */
	pl_spin_lock(w, ptl);
	if (*pmdp != 0) {
		pl_spin_unlock(w, ptl);
		folio_put(w, f);
		return 0;
	}
	folio_add_new_anon_rmap(w, f, vma, base, true, true);
	pl_set_pte(w, pmdp, pte_mkdirty(mk_huge_pmd(vma, folio_pfn(f), true)));
	pl_spin_unlock(w, ptl);
	return 0;
}

/* A new zeroed THP in place of the huge zero page; -ENOMEM if none (then split). */
static int do_huge_zero_wp_pmd(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			       pl_addr addr, pmd_t *pmdp, pmd_t orig)
{
	pl_addr base = addr & PMD_MASK;
	struct pl_lock *ptl = pl_pmd_lockptr(mm, base);
	struct folio *f;

	if (base < vma->vm_start || base + PMD_SIZE > vma->vm_end)
		return -EINVAL;
	if (!vma->anon_vma)
		vma->anon_vma = ++w->next_anon_vma;
	f = folio_alloc(w, HPAGE_PMD_ORDER);
	if (!f)
		return -ENOMEM;
	pl_spin_lock(w, ptl);
	if (*pmdp != orig) {		/* someone else changed it: retry the fault */
		pl_spin_unlock(w, ptl);
		folio_put(w, f);
		return 0;
	}
	folio_add_new_anon_rmap(w, f, vma, base, true, true);
	pl_set_pte(w, pmdp, pte_mkyoung(pte_mkdirty(mk_huge_pmd(vma, folio_pfn(f), true))));
	pl_spin_unlock(w, ptl);
	pl_event_emit(w, PL_EV_COW, "do_huge_zero_wp_pmd", "huge_zero_wp_thp", base,
		      w->huge_zero_pfn, folio_pfn(f), "huge zero page -> a new zeroed THP");
	return 0;
}

/*
 * __split_huge_pmd(): replace a PMD leaf by a table of 512 PTEs mapping the
 * same pages with the same bits.  Each PTE takes its own reference, the PMD's
 * one goes.
 */
int __split_huge_pmd(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		     pl_addr addr)
{
	pl_addr base = addr & PMD_MASK;
	pmd_t *pmdp = pl_pmd_lookup(mm, base);
	struct pl_ptetab *t;
	struct folio *f;
	pmd_t pmd;

	if (!pmdp || !pmd_leaf(*pmdp))
		return 0;
	if (vma->vm_flags & VM_HUGETLB)
		return -EINVAL;		/* hugetlb mappings are never split */
	pmd = *pmdp;
	pl_set_pte(w, pmdp, 0);
	t = pl_pmd_install_ptetab(w, mm, base);
	memset(t->used, 0xff, sizeof(t->used));	/* all 512 slots are written below */
	f = pfn_folio(w, pte_pfn(pmd));
	if (folio_test_zero(f)) {
		for (unsigned i = 0; i < HPAGE_PMD_NR; i++)
			t->pte[i] = pfn_pte(w->zero_pfn, _PAGE_PRESENT | _PAGE_SPECIAL |
						       (pmd & _PAGE_ACCESSED));
		pl_event_emit(w, PL_EV_SPLIT, "__split_huge_zero_page_pmd", NULL, base, 0, 0,
			      "huge zero page -> 512 zero-page PTEs");
		return 0;
	}
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t bits = pmd & (_PAGE_PRESENT | _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED |
				    _PAGE_SOFT_DIRTY | _PAGE_UFFD_WP | _PAGE_PROTNONE);

		t->pte[i] = pfn_pte(folio_pfn(f) + i, bits);
		pl_page_mapcount_add(w, folio_page(f, i), 1);
	}
	pl_folio_entire_mapcount_add(w, f, -1);
	folio_remap_pmd_as_ptes(f, vma, HPAGE_PMD_NR);
	folio_ref_add(w, f, HPAGE_PMD_NR - 1);
	w->stats.fork_copies += 0;
	pl_event_emit(w, PL_EV_SPLIT, "__split_huge_pmd", NULL, base, folio_pfn(f), folio_pfn(f),
		      "PMD mapping -> 512 PTEs of the same folio");
	return 0;
}

void split_huge_pmds_range(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			   pl_addr start, pl_addr end)
{
	/* only the PMDs straddling start or end need splitting */
	if (start & ~PMD_MASK)
		__split_huge_pmd(w, mm, vma, start);
	if (end & ~PMD_MASK)
		__split_huge_pmd(w, mm, vma, end);
}

/*
 * split_folio(): turn a PTE-mapped large anon folio into small folios.
 * Possible only when every reference is a mapping (plus the swap cache):
 * can_split_folio() -- a pinned or GUP-referenced THP stays whole.
 */
struct zero_remap_arg {
	pl_pfn head;
	unsigned nr;
};

/*
 * remove_migration_pte() with RMP_USE_SHARED_ZEROPAGE
 * (try_to_map_unused_to_zeropage()): a subpage of the split folio that holds
 * only zeros is mapped by the shared zero page instead, and freed.
 */
static int zero_remap_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, pte_t *ptep, void *arg)
{
	struct zero_remap_arg *a = arg;
	pte_t pte = pl_ptep_get(w, ptep);
	struct page *p;
	struct folio *sub;

	(void)mm;
	(void)addr;
	if (!pte_present(pte) || pte_special(pte) || pte_pfn(pte) < a->head ||
	    pte_pfn(pte) >= a->head + a->nr || (vma->vm_flags & VM_LOCKED))
		return 0;
	p = pfn_to_page(w, pte_pfn(pte));
	if (pl_page_token(w, p) != PL_TOKEN_ZERO)
		return 0;
	sub = page_folio(w, p);
	pl_set_pte(w, ptep, pfn_pte(w->zero_pfn, _PAGE_PRESENT | _PAGE_SPECIAL | _PAGE_ACCESSED) |
				    (pte & (_PAGE_SOFT_DIRTY | _PAGE_UFFD_WP)));
	folio_remove_rmap_pte(w, sub, p, vma);
	folio_put(w, sub);
	return 0;
}

static void split_remap_zero_pages(struct world *w, uint32_t anon_vma, pl_pfn head, unsigned nr)
{
	struct zero_remap_arg a = { .head = head, .nr = nr };
	struct mm_struct *mm;
	int pos = 0;

	while (anon_vma && (mm = pl_next_mm(w, &pos)))
		for (int i = 0; i < mm->nr_vmas; i++)
			if (mm->vmas[i].anon_vma == anon_vma)
				pl_walk_range(w, mm, &mm->vmas[i], mm->vmas[i].vm_start,
					      mm->vmas[i].vm_end, NULL, zero_remap_pte, &a);
}

int split_folio(struct world *w, struct folio *f)
{
	unsigned nr = folio_nr_pages(f);
	pl_pfn head = folio_pfn(f);
	uint32_t flags;

	if (!folio_test_large(f))
		return 0;
	if (folio_test_hugetlb(f) || f->page._entire_mapcount || folio_test_swapcache(f))
		return -EBUSY;
	if ((int)folio_ref_count(w, f) != folio_mapcount(f))
		return -EBUSY;
	if (f->page.flags & PG_excl_head)	/* each small folio keeps its own bit */
		pl_folio_anon_exclusive_expand(f);
	flags = f->page.flags & (PG_anon | PG_dirty | PG_lru);
	pl_chk_folio_changed(w);	/* new heads, orders, flags */
	folio_clear_mm_ids(f);
	for (unsigned i = 0; i < nr; i++) {
		struct page *p = folio_page(f, i);

		p->head = head + i;
		p->order = 0;
		p->flags = (p->flags & PG_anon_exclusive) | flags | PG_head;
		p->_refcount = (uint32_t)p->_mapcount;
		p->mapping = f->page.mapping;
		p->index = f->page.index + i;
		p->_entire_mapcount = 0;
		p->_pincount = 0;
		p->swap = 0;
		p->gup_gets = p->gup_pins = p->gup_holder = 0;
		p->chk_dirty = 1;
		pl_chk_mark_pfn(w, head + i);
	}
	/* a subpage nobody maps any more is freed at once */
	for (unsigned i = 0; i < nr; i++) {
		struct folio *sub = pfn_folio(w, head + i);

		if (sub->page._refcount == 0) {
			sub->page._refcount = 1;
			folio_put(w, sub);
		}
	}
	pl_event_emit(w, PL_EV_SPLIT, "split_folio", NULL, 0, head, head,
		      "large folio -> %u small folios", nr);
	return 0;
}

/**
 * split_folio_zero_remap() - split_folio() with remap_page()'s
 * RMP_USE_SHARED_ZEROPAGE (knob thp_split_zero_remap, b1f202060afe): the
 * zero-filled subpages of the anon folio end up mapped by the zero page.
 * Only madvise's splits take it so far; reclaim's split keeps every
 * subpage (a known gap: the kernel remaps there too).
 */
int split_folio_zero_remap(struct world *w, struct folio *f)
{
	uint32_t anon_vma = f->page.mapping;
	bool anon = folio_test_anon(f);
	pl_pfn head = folio_pfn(f);
	unsigned nr = folio_nr_pages(f);
	int ret = split_folio(w, f);

	if (!ret && anon && w->policy.thp_split_zero_remap)
		split_remap_zero_pages(w, anon_vma, head, nr);
	return ret;
}

/*
 * do_huge_pmd_wp_page(): write or unshare fault on a R/O PMD-mapped THP.
 * Reuse if exclusive; else (v5.18+, 3bff7e3f1f16) if refcount == 1, or
 * (before) if mapcount == 1 -- the THP variant of CVE-2020-29374.  Otherwise
 * split the PMD and let the PTE level copy one page (VM_FAULT_FALLBACK).
 */
unsigned do_huge_pmd_wp_page(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			     pl_addr addr, pmd_t *pmdp, pmd_t orig, unsigned flags)
{
	struct folio *f = pfn_folio(w, pte_pfn(orig));
	bool unshare = flags & FAULT_FLAG_UNSHARE;
	bool reuse = false;
	const char *rule = pl_rule_reuse(w, true);

	/*
	 * Knob huge_zero_wp_thp (about v6.13): a write to the huge zero page
	 * maps a freshly zeroed THP, writable, where older kernels split the
	 * PMD and copied one small page (found by fuzz-diff;
	 * scenarios/seeds/005-huge-zero-write-maps-thp.pin).  No THP to be
	 * had: the old way.
	 */
	if (folio_test_zero(f) && !unshare && w->policy.huge_zero_wp_thp &&
	    pl_vma_is_anon(vma) && !(vma->vm_flags & VM_SHARED) &&
	    do_huge_zero_wp_pmd(w, mm, vma, addr, pmdp, orig) == 0)
		return 0;
	if (folio_test_zero(f) || !folio_test_anon(f) || (vma->vm_flags & VM_SHARED)) {
		__split_huge_pmd(w, mm, vma, addr);
		return VM_FAULT_RETRY;
	}
	if (pl_PageAnonExclusive(w, &f->page)) {
		reuse = true;
		rule = "anon_exclusive: PageAnonExclusive";
	} else if (w->policy.thp_swap_reuse == REUSE_MAPCOUNT) {
		reuse = folio_mapcount(f) == 1;
	} else {
		reuse = folio_ref_count(w, f) == 1;
	}
	if (!reuse) {
		__split_huge_pmd(w, mm, vma, addr);
		return VM_FAULT_RETRY;
	}
	if (f->page.gup_gets + f->page.gup_pins && f->page.gup_holder != mm->id)
		pl_violation(w, "missed-cow", pl_mm_pid(w, mm), addr, folio_pfn(f),
			     "reused THP with GUP references held by another process");
	if (w->policy.anon_exclusive)	/* on the head (PG_excl_head), as the kernel */
		pl_folio_anon_exclusive_pmd(w, f, true);
	if (!unshare) {
		pmd_t entry = pte_mkyoung(pte_mkdirty(orig));

		if (vma->vm_flags & VM_WRITE)
			entry = pte_mkwrite(entry);
		pl_set_pte(w, pmdp, entry);
	}
	w->stats.reuses++;
	pl_event_emit(w, PL_EV_REUSE, "do_huge_pmd_wp_page", rule, addr & PMD_MASK, folio_pfn(f),
		      folio_pfn(f), "THP reused in place");
	return unshare ? 0 : VM_FAULT_WRITE;
}

/* ---------------------------------------------------------------------------
 * hugetlb.
 */
static uint32_t hugetlb_index(const struct vm_area_struct *vma, pl_addr base)
{
	return (uint32_t)(((base - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff);
}

/*
 * The hugetlb functions below take the leaf slot (pmdp: a pmd entry for
 * 2 MiB pages, a pud entry for 1 GiB pages) and the vma's page order; the
 * entry format is the same at both levels.
 */
static unsigned hugetlb_no_page(struct world *w, struct mm_struct *mm,
				struct vm_area_struct *vma, pl_addr base, pmd_t *pmdp,
				unsigned flags)
{
	unsigned order = vma->hugetlb_order;
	bool write = flags & FAULT_FLAG_WRITE;
	struct folio *f, *copy;
	struct pl_file *file;

	(void)mm;
	if (vma->file < 0 && !(vma->vm_flags & VM_SHARED)) {
		/* private anonymous hugetlb: a fresh zeroed huge page, even on read */
		f = pl_hugetlb_alloc(w, order);
		if (!f)
			return VM_FAULT_SIGBUS;
		if (!vma->anon_vma)
			vma->anon_vma = ++w->next_anon_vma;
		folio_add_new_anon_rmap(w, f, vma, base, true, true);
		pl_set_pte(w, pmdp, mk_huge_pmd(vma, folio_pfn(f), true) |
					   (write ? _PAGE_DIRTY : 0));
		if (!write)
			pl_set_pte(w, pmdp, pte_wrprotect(*pmdp) |
						   ((vma->vm_flags & VM_WRITE) ? _PAGE_RW : 0));
		return 0;
	}
	file = pl_file_get(w, vma->file);
	if (!file || hugetlb_index(vma, base) >= file->nr_pages)
		return VM_FAULT_SIGBUS;
	f = filemap_get_folio(w, file, hugetlb_index(vma, base), true);
	if (!f)
		return VM_FAULT_SIGBUS;
	/* the file's page size was fixed before it could be mapped (pl_mmap) */
	PL_BUG_ON(f->page.order != order);
	if (write && !(vma->vm_flags & VM_SHARED)) {
		/* private write: COW from the page cache needs a second huge page */
		copy = pl_hugetlb_alloc(w, order);
		if (!copy)
			return VM_FAULT_SIGBUS;
		folio_copy_contents(copy, f);
		if (!vma->anon_vma)
			vma->anon_vma = ++w->next_anon_vma;
		folio_add_new_anon_rmap(w, copy, vma, base, true, true);
		pl_set_pte(w, pmdp, pte_mkdirty(mk_huge_pmd(vma, folio_pfn(copy), true)));
		return 0;
	}
	folio_get(w, f);
	folio_add_rmap_pmd(w, f, vma);
	if (write)
		folio_mark_dirty(w, f);
	pl_set_pte(w, pmdp, mk_huge_pmd(vma, folio_pfn(f), (vma->vm_flags & VM_SHARED) != 0) |
				   (write ? _PAGE_DIRTY : 0));
	return 0;
}

/*
 * hugetlb_wp(): hugetlb's own do_wp_page.  Its reuse test is the mapcount in
 * every era, whatever knob anon_reuse says: hugetlb_cow()/hugetlb_wp() reuse
 * an anon huge page when its mapcount is 1 (Debian 6.1: page_mapcount() == 1,
 * Debian 6.12: folio_mapcount() == 1), because a spurious COW would need a
 * second page from a fixed pool.  Since 6c287605fd56 an exclusive page is
 * reused first (knob anon_exclusive).
 */
static unsigned hugetlb_wp(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			   pl_addr base, pmd_t *pmdp, pmd_t orig, unsigned flags)
{
	struct folio *f = pfn_folio(w, pte_pfn(orig));
	bool unshare = flags & FAULT_FLAG_UNSHARE;
	struct folio *copy;

	if (vma->vm_flags & VM_SHARED) {
		if (!unshare) {
			folio_mark_dirty(w, f);
			pl_set_pte(w, pmdp, pte_mkwrite(pte_mkdirty(orig)));
		}
		return 0;
	}
	if (folio_test_anon(f) &&
	    (pl_PageAnonExclusive(w, &f->page) || folio_mapcount(f) == 1)) {
		if (f->page.gup_gets + f->page.gup_pins && f->page.gup_holder != mm->id)
			pl_violation(w, "missed-cow", pl_mm_pid(w, mm), base, folio_pfn(f),
				     "hugetlb reuse on mapcount == 1 with a foreign GUP reference");
		if (w->policy.anon_exclusive)
			pl_page_flags_set(w, &f->page, PG_anon_exclusive);
		if (!unshare && (vma->vm_flags & VM_WRITE))
			pl_set_pte(w, pmdp, pte_mkwrite(pte_mkdirty(orig)));
		else if (!unshare && w->policy.foll_cow)
			/*
			 * A forced write (FOLL_FORCE) into a R/O vma before 6.0:
			 * the old reuse path dirtied the huge PTE whatever the
			 * vma said, so GUP's FOLL_COW retry can follow it.
			 * Without this a clean R/O PTE faulted forever (found by
			 * fuzz_core once the refusal became era knob
			 * hugetlb_force_write_refused).
			 */
			pl_set_pte(w, pmdp, pte_mkdirty(orig));
		w->stats.reuses++;
		pl_event_emit(w, PL_EV_REUSE, "hugetlb_wp", "hugetlb: mapcount == 1", base,
			      folio_pfn(f), folio_pfn(f), "hugetlb folio reused in place");
		return unshare ? 0 : VM_FAULT_WRITE;
	}
	copy = pl_hugetlb_alloc(w, f->page.order);
	if (!copy)
		return VM_FAULT_SIGBUS;	/* the pool is empty: the process dies */
	folio_copy_contents(copy, f);
	folio_add_new_anon_rmap(w, copy, vma, base, true, true);
	pl_set_pte(w, pmdp, unshare ? (mk_huge_pmd(vma, folio_pfn(copy), false))
				    : pte_mkdirty(mk_huge_pmd(vma, folio_pfn(copy), true)));
	folio_remove_rmap_pmd(w, f, vma);
	folio_put(w, f);
	w->stats.cows++;
	pl_event_emit(w, unshare ? PL_EV_UNSHARE : PL_EV_COW, "hugetlb_wp",
		      "hugetlb: mapcount > 1", base, folio_pfn(f), folio_pfn(copy),
		      "copied into a new huge page");
	return unshare ? 0 : VM_FAULT_WRITE;
}

/*
 * hugetlb_fault(): huge_pte_alloc() at the vma's level -- the pmd slot for a
 * 2 MiB page, the pud slot for a 1 GiB page -- under that level's lock.
 */
unsigned hugetlb_fault(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		       pl_addr addr, unsigned flags)
{
	pl_addr base = addr & ~(vma_huge_page_size(vma) - 1);
	struct pl_lock *ptl;
	unsigned ret = 0;
	pmd_t *pmdp;
	pmd_t orig;

	if (vma->hugetlb_order == HPAGE_PUD_ORDER) {
		/* a PUD leaf has no pmd table under it; drop one a former mapping left */
		if (!pl_pud_free_empty_pmd(w, mm, base))
			return VM_FAULT_SIGBUS;
		pmdp = pl_pud_alloc(w, mm, base);
		ptl = pl_pud_lockptr(mm, base);
	} else {
		PL_BUG_ON(vma->hugetlb_order != HPAGE_PMD_ORDER);
		/* huge_pte_alloc(): an empty pud slot may take another mm's table */
		pl_huge_pmd_share(w, mm, vma, base);
		pmdp = pl_pmd_alloc(w, mm, base);
		ptl = pl_pmd_lockptr(mm, base);
		/* a hugetlb vma never has PTE tables; drop one a former mapping left */
		if (!pl_pmd_free_empty_ptetab(w, mm, base))
			return VM_FAULT_SIGBUS;
	}
	pl_spin_lock(w, ptl);
	orig = *pmdp;
	if (orig == 0) {
		ret = hugetlb_no_page(w, mm, vma, base, pmdp, flags);
	} else if (is_swap_pte(orig)) {
		ret = VM_FAULT_SIGBUS;		/* hugetlb is never swapped */
	} else if ((flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pte_write(orig)) {
		ret = hugetlb_wp(w, mm, vma, base, pmdp, orig, flags);
	} else if (flags & FAULT_FLAG_WRITE) {
		pl_set_pte(w, pmdp, pte_mkdirty(pte_mkyoung(orig)));
	}
	pl_spin_unlock(w, ptl);
	return ret;
}

/* ---------------------------------------------------------------------------
 * MADV_COLLAPSE and explicit splits.
 */

/*
 * pl_thp_collapse(): collapse one PMD range of PTEs into a new THP (copy,
 * like khugepaged).  Refused (-EINVAL/-EAGAIN) when a page has references
 * other than its mappings (GUP, swap cache), when a PTE is a swap entry,
 * when no PTE of the range is writable (SCAN_PAGE_RO, see below), or
 * when the range is not inside one THP-able vma.  The new THP is exclusive:
 * nobody else maps the copy.
 */
static int thp_collapse(struct world *w, int pid, pl_addr addr, bool need_writable)
{
	pl_addr base = addr & PMD_MASK;
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	struct pl_ptetab *t;
	struct folio *nf;
	pmd_t *pmdp;
	bool writable = false;
	int ret = pl_find_task_vma(w, pid, addr, -EINVAL, &mm, &vma);

	if (ret)
		return ret;
	if (!pl_vma_is_anon(vma) || base < vma->vm_start || base + PMD_SIZE > vma->vm_end)
		return -EINVAL;
	pmdp = pl_pmd_lookup(mm, base);
	if (pmdp && pmd_leaf(*pmdp))
		return 0;	/* already a THP */
	t = pl_ptetab_lookup(mm, base);
	if (!t)
		return -EINVAL;
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t pte = t->pte[i];
		struct folio *f;

		if (pte_none(pte) || (pte_present(pte) && pte_special(pte)))
			continue;
		if (is_swap_pte(pte))
			return -EAGAIN;
		f = pfn_folio(w, pte_pfn(pte));
		if (!folio_test_anon(f) || folio_test_ksm(f) || folio_test_swapcache(f))
			return -EAGAIN;
		/* every reference must be a mapping: no GUP refs, no pins */
		if ((int)folio_ref_count(w, f) != folio_mapcount(f))
			return -EAGAIN;
		writable |= pte_write(pte);
	}
	/*
	 * hpage_collapse_scan_pmd() and __collapse_huge_page_isolate(): a range
	 * with no writable PTE is SCAN_PAGE_RO, which MADV_COLLAPSE reports as
	 * EINVAL (madvise_collapse_errno()).  So a PTE-mapped THP that fork()
	 * write-protected in both mms is refused until one page is written;
	 * then its COW-shared pages are copied like any other (mapcount > 1
	 * only counts against max_ptes_shared, which binds khugepaged alone).
	 * Read in Debian 6.1 and 6.12: the same rule in both, and khugepaged
	 * applies it too (hpage_collapse_scan_pmd() and the isolate step test
	 * `writable` whether or not cc->is_khugepaged), so the `collapse` step
	 * (the model's khugepaged, offered in every era) refuses such a range
	 * with EINVAL as well; khugepaged would just leave it alone.  Releases
	 * before 6.1 were not read (docs/model.md, "THP collapse").  6.18 drops
	 * the rule (knob collapse_needs_writable): the range is copied.
	 */
	if (need_writable && !writable && w->policy.collapse_needs_writable)
		return -EINVAL;
	nf = folio_alloc(w, HPAGE_PMD_ORDER);
	if (!nf)
		return -ENOMEM;
	/*
	 * collapse_huge_page(): pmdp_collapse_flush() takes the PTE table out
	 * of the pmd first, then __collapse_huge_page_isolate() looks at the
	 * references again.  A GUP-fast walker that read the pmd before may
	 * still take a reference now, after that look and before the copy; it
	 * then sees the PTE unchanged (the PTEs are cleared only after the
	 * copy), and only its re-read of the pmd (70cbc3cc78a9, knob
	 * gup_fast_recheck_pmd) tells it the table is gone.  Without that it
	 * returns a page the process no longer maps.
	 */
	pl_mmap_write_lock(w, mm);	/* collapse_huge_page(): mmap_lock and vma_start_write() */
	t = pl_pmd_detach_ptetab(w, mm, base);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t pte = t->pte[i];
		struct folio *f;

		if (pte_none(pte) || !pte_present(pte) || pte_special(pte))
			continue;
		f = pfn_folio(w, pte_pfn(pte));
		if ((int)folio_ref_count(w, f) != folio_mapcount(f)) {
			pl_pmd_attach_ptetab(w, mm, base, t);	/* SCAN_PAGE_COUNT */
			pl_mmap_write_unlock(w, mm);
			folio_put(w, nf);
			return -EAGAIN;
		}
	}
	pl_yield(w, YIELD_COLLAPSE_COPY);
	for (unsigned i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t pte = t->pte[i];

		if (!pte_none(pte) && !pte_special(pte))
			folio_page(nf, i)->token = pfn_to_page(w, pte_pfn(pte))->token;
		zap_pte(w, mm, vma, base + i * PAGE_SIZE, &t->pte[i]);
	}
	pl_ptetab_free_rcu(w, mm, t);
	pmdp = pl_pmd_alloc(w, mm, base);
	folio_add_new_anon_rmap(w, nf, vma, base, true, true);
	pl_set_pte(w, pmdp, pte_mkdirty(mk_huge_pmd(vma, folio_pfn(nf), true)));
	pl_mmap_write_unlock(w, mm);
	pl_event_emit(w, PL_EV_COLLAPSE, "collapse_huge_page", NULL, base, 0, folio_pfn(nf),
		      "512 PTEs copied into a new exclusive THP");
	return 0;
}

int pl_thp_collapse(struct world *w, int pid, pl_addr addr)
{
	return thp_collapse(w, pid, addr, true);
}

/** pl_madvise_collapse() - MADV_COLLAPSE of the PMD range at @addr: also -EINVAL with no writable PTE. */
int pl_madvise_collapse(struct world *w, int pid, pl_addr addr)
{
	return thp_collapse(w, pid, addr, true);
}

int pl_thp_split(struct world *w, int pid, pl_addr addr)
{
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	int ret = pl_find_task_vma(w, pid, addr, -EINVAL, &mm, &vma);

	return ret ? ret : __split_huge_pmd(w, mm, vma, addr);
}
