/*
 * rmap.c - the reverse map, as the model keeps it: mm/rmap.c and the mapcount
 * helpers of include/linux/rmap.h.
 *
 * The model keeps no reverse map.  Mappings are counted (the rmap calls
 * below, named after the kernel's folio_add_*_rmap_*() and
 * folio_remove_rmap_*()), large folios remember which mms map them (the MM
 * owner slots), and the invariant checker recomputes every count by walking
 * every page table (check_mm.c).  An rmap walk (rmap_walk_anon(),
 * rmap_walk_file()) visits every live mm and each vma that covers the page.
 */
#include "internal.h"

/* ---------------------------------------------------------------------------
 * MM owner tracking of large folios (6af8cb80d3a9, v6.15; include/linux/rmap.h
 * folio_add_large_mapcount() / folio_sub_large_mapcount()).  A large folio
 * that is not hugetlb has two slots, each an mm id with that mm's number of
 * mappings, and one "maybe mapped shared" bit:
 *
 *   map by an mm in a slot          its count grows
 *   map by a new mm, slot 0 free    it takes slot 0; shared if anyone else maps
 *   map by a new mm, slot 1 free    it takes slot 1; shared (slot 0 maps too)
 *   map by a third mm               no slot; the bit is already set
 *   unmap, the mm keeps mappings    nothing else changes
 *   unmap, the mm's slot empties    slot freed; the bit clears if one slot
 *   (or the mm had none)            now holds every mapping of the folio
 *
 * So the bit is exact while at most two mms map the folio and may stay set
 * ("maybe") once a third one did.  The model keeps it in every era; only
 * do_wp_page() under large_anon_reuse=mm_id reads it (1da190f4d0a6).
 */
static bool folio_tracks_mm_ids(const struct folio *f)
{
	return folio_test_large(f) && !folio_test_hugetlb(f);
}

/* Called after the mapcounts grew by diff mappings of mm mm_id. */
static void folio_add_large_mapcount(struct folio *f, uint32_t mm_id, int diff)
{
	struct page *h = folio_mm_ids(f);

	if (!folio_tracks_mm_ids(f))
		return;
	if (h->_mm_id[0] == mm_id) {
		h->_mm_id_mapcount[0] = (int16_t)(h->_mm_id_mapcount[0] + diff);
	} else if (h->_mm_id[1] == mm_id) {
		h->_mm_id_mapcount[1] = (int16_t)(h->_mm_id_mapcount[1] + diff);
	} else if (h->_mm_id[0] == 0) {
		h->_mm_id[0] = (uint16_t)mm_id;
		h->_mm_id_mapcount[0] = (int16_t)diff;
		if (folio_mapcount(f) != diff)	/* other mappings already */
			f->page.flags |= PG_mm_shared;
	} else if (h->_mm_id[1] == 0) {
		h->_mm_id[1] = (uint16_t)mm_id;
		h->_mm_id_mapcount[1] = (int16_t)diff;
		f->page.flags |= PG_mm_shared;	/* slot 0 certainly maps it too */
	}
}

/* Called after the mapcounts shrank by diff mappings of mm mm_id. */
static void folio_sub_large_mapcount(struct folio *f, uint32_t mm_id, int diff)
{
	struct page *h = folio_mm_ids(f);
	int total;

	if (!folio_tracks_mm_ids(f))
		return;
	for (int i = 0; i < 2; i++) {
		if (h->_mm_id[i] != mm_id)
			continue;
		h->_mm_id_mapcount[i] = (int16_t)(h->_mm_id_mapcount[i] - diff);
		if (h->_mm_id_mapcount[i] > 0)
			return;
		/* a mapping added while no slot was free may underflow it */
		h->_mm_id_mapcount[i] = 0;
		h->_mm_id[i] = 0;
		break;
	}
	total = folio_mapcount(f);
	if (h->_mm_id_mapcount[0] == total || h->_mm_id_mapcount[1] == total)
		f->page.flags &= ~PG_mm_shared;
}

/* split_folio(): the pieces are small folios and track nothing. */
void folio_clear_mm_ids(struct folio *f)
{
	struct page *h = folio_mm_ids(f);

	h->_mm_id[0] = h->_mm_id[1] = 0;
	h->_mm_id_mapcount[0] = h->_mm_id_mapcount[1] = 0;
	f->page.flags &= ~PG_mm_shared;
}

/* __split_huge_pmd(): one PMD mapping became nr PTE mappings in the same mm. */
void folio_remap_pmd_as_ptes(struct folio *f, const struct vm_area_struct *vma, int nr)
{
	folio_add_large_mapcount(f, vma->vm_mm_id, nr);
	folio_sub_large_mapcount(f, vma->vm_mm_id, 1);
}

/* ---------------------------------------------------------------------------
 * rmap.  The model keeps no reverse map; mappings are counted, and the
 * checker recomputes the counts by walking every page table.
 */
void folio_add_new_anon_rmap(struct world *w, struct folio *f, struct vm_area_struct *vma,
			     pl_addr addr, bool exclusive, bool pmd)
{
	unsigned nr = folio_nr_pages(f);

	f->page.flags |= PG_anon;
	/*
	 * Placement: the vma's (a `movable`/`cma` mapping), else ZONE_MOVABLE for
	 * all anon memory when the world has one (movablecore=).  Inside a
	 * FOLL_LONGTERM GUP memalloc_pin_save() keeps allocations out of both.
	 */
	if (!w->memalloc_pin && !(f->page.flags & (PG_movable | PG_cma))) {
		if (vma->vm_placement)
			f->page.flags |= pl_zone_pgflags(vma->vm_placement);
		else if (w->zone_movable && !folio_test_hugetlb(f))
			f->page.flags |= PG_movable;	/* FOLL_LONGTERM must migrate it first */
	}
	pl_chk_folio_changed_at(w, folio_pfn(f));
	f->page.mapping = vma->anon_vma;
	f->page.index = (uint32_t)(((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff);
	pl_chk_mark_folio(w, f);
	if (pmd)
		pl_folio_entire_mapcount_add(w, f, 1);
	else	/* every page of a PTE-mapped (m)THP gets its PTE */
		for (unsigned i = 0; i < nr; i++)
			pl_page_mapcount_add(w, folio_page(f, i), 1);
	folio_add_large_mapcount(f, vma->vm_mm_id, pmd ? 1 : (int)nr);
	/* RMAP_EXCLUSIVE: every fresh anon page is exclusive (knob anon_exclusive). */
	if (exclusive && w->policy.anon_exclusive) {
		if (pmd && !folio_test_hugetlb(f) && !w->hooks.sync &&
		    f->page.order == HPAGE_PMD_ORDER) {
			/* a PMD-mapped THP: on the head (PG_excl_head) */
			pl_page_flags_set(w, &f->page, PG_anon_exclusive);
			pl_folio_anon_exclusive_pmd(w, f, true);
			return;
		}
		if (folio_test_hugetlb(f))
			nr = 1;		/* hugetlb: the bit lives in the head only */
		for (unsigned i = 0; i < nr; i++)
			pl_page_flags_set(w, folio_page(f, i), PG_anon_exclusive);
	}
}

void folio_add_anon_rmap_pte(struct world *w, struct folio *f, struct page *p,
			     const struct vm_area_struct *vma, bool exclusive)
{
	pl_page_mapcount_add(w, p, 1);
	folio_add_large_mapcount(f, vma->vm_mm_id, 1);
	if (exclusive && w->policy.anon_exclusive)
		pl_page_flags_set(w, p, PG_anon_exclusive);
}

void folio_add_file_rmap_pte(struct world *w, struct folio *f, struct page *p,
			     const struct vm_area_struct *vma)
{
	pl_page_mapcount_add(w, p, 1);
	folio_add_large_mapcount(f, vma->vm_mm_id, 1);
}

void folio_add_rmap_pmd(struct world *w, struct folio *f, const struct vm_area_struct *vma)
{
	pl_folio_entire_mapcount_add(w, f, 1);
	folio_add_large_mapcount(f, vma->vm_mm_id, 1);
}

void folio_remove_rmap_pte(struct world *w, struct folio *f, struct page *p,
			   const struct vm_area_struct *vma)
{
	PL_BUG_ON(p->_mapcount <= 0);
	pl_page_mapcount_add(w, p, -1);
	folio_sub_large_mapcount(f, vma->vm_mm_id, 1);
}

void folio_remove_rmap_pmd(struct world *w, struct folio *f, const struct vm_area_struct *vma)
{
	PL_BUG_ON(f->page._entire_mapcount <= 0);
	pl_folio_entire_mapcount_add(w, f, -1);
	folio_sub_large_mapcount(f, vma->vm_mm_id, 1);
}

/*
 * folio_needs_cow_for_dma(): fork must copy this anon folio instead of
 * sharing it.  70e806e4e645 (ptes), 4eae4efa2c29 (hugetlb); only checked when
 * the mm ever pinned anything (MMF_HAS_PINNED, 008cfe4418b3).
 */
bool folio_needs_cow_for_dma(struct world *w, struct mm_struct *mm, struct folio *f)
{
	bool knob = folio_test_hugetlb(f) ? w->policy.fork_copy_pinned_hugetlb
					   : w->policy.fork_copy_pinned;

	if (!knob || !(mm->flags & MMF_HAS_PINNED))
		return false;
	return folio_maybe_dma_pinned(f);
}

/*
 * __folio_try_dup_anon_rmap(): fork's duplication of one anon mapping.
 * Refuses (-EBUSY) when the folio may be pinned, so the caller copies the
 * page for the child and the parent keeps its writable, exclusive mapping.
 * With PG_anon_exclusive (v5.19+) only exclusive pages can be pinned, so a
 * shared page is never refused.  Otherwise exclusivity is cleared: the page
 * is now shared with the child.  One function for the kernel's
 * folio_try_dup_anon_rmap_pte() and _pmd() (@pmd), as include/linux/rmap.h
 * has both call __folio_try_dup_anon_rmap() with the level.
 */
int __folio_try_dup_anon_rmap(struct world *w, struct folio *f, struct page *p, bool pmd,
			      struct mm_struct *src_mm, const struct vm_area_struct *dst_vma)
{
	struct page *excl = folio_test_hugetlb(f) ? &f->page : p;
	bool maybe_pinned = folio_needs_cow_for_dma(w, src_mm, f);

	if (maybe_pinned && (!w->policy.anon_exclusive || pl_page_anon_exclusive(w, excl)))
		return -EBUSY;
	if (pmd && folio_test_hugetlb(f) && !w->hooks.sync) {
		/*
		 * hugetlb_try_dup_anon_rmap(): the bit lives in the head only
		 * (folio_add_new_anon_rmap() sets no tail's), so only the head's
		 * is cleared, not 512 or 262,144 pages walked for nothing.  Under
		 * the explorer (a sync hook) the walk stays, so its schedules
		 * see the same stores as before.
		 */
		pl_page_flags_clear(w, &f->page, PG_anon_exclusive);
		pl_folio_entire_mapcount_add(w, f, 1);
	} else if (pmd && f->page.order == HPAGE_PMD_ORDER && !folio_test_hugetlb(f)) {
		/* a PMD-mapped THP: the head's bit (PG_excl_head), one store */
		pl_folio_anon_exclusive_pmd(w, f, false);
		pl_folio_entire_mapcount_add(w, f, 1);
	} else if (pmd) {
		for (unsigned g = 0; g < folio_nr_pages(f); g += PL_PAGE_GROUP) {
			unsigned end = PL_MIN(folio_nr_pages(f), g + PL_PAGE_GROUP);

			if (!folio_page_present(f, g))
				continue;	/* default tails: not exclusive */
			pl_folio_pages_flags(w, f, g, end - g, PG_anon_exclusive, false);
		}
		pl_folio_entire_mapcount_add(w, f, 1);
	} else {
		pl_page_flags_clear(w, excl, PG_anon_exclusive);
		pl_page_mapcount_add(w, p, 1);
	}
	folio_add_large_mapcount(f, dst_vma->vm_mm_id, 1);
	return 0;
}

/*
 * folio_dup_anon_rmap_ptes() and folio_remove_rmap_ptes(): nr PTEs mapping
 * pages page..page+nr-1 of one large anon folio, duplicated by fork or
 * unmapped, as the kernel's folio_try_dup_anon_rmap_ptes() and
 * folio_remove_rmap_ptes() take a batch of one folio's PTEs
 * (copy_present_ptes() since f8d937761d65, zap_present_ptes()).  Only when
 * nothing watches each store (no sync or yield hook, no event listener) and
 * the dup cannot be refused (fork_needs_no_pin_check): the counts, the
 * MM-id slots and the flags end as after nr calls of the one-page
 * functions, page by page in the same order.
 */
void folio_dup_anon_rmap_ptes(struct world *w, struct folio *f, struct page *page, unsigned nr,
			      const struct vm_area_struct *dst_vma)
{
	struct page *h = &f->page;
	bool tail = false, cleared = false;

	if (h->flags & PG_excl_head)
		pl_folio_anon_exclusive_expand(f);
	for (unsigned i = 0; i < nr; i++) {
		struct page *p = page + i;

		cleared |= (p->flags & PG_anon_exclusive) != 0;
		p->flags &= ~(uint32_t)PG_anon_exclusive;
		p->_mapcount++;
		tail |= p != h;
		h[1]._large_mapcount++;
		folio_add_large_mapcount(f, dst_vma->vm_mm_id, 1);
	}
	if (tail)
		h->chk_dirty = 1;
	pl_chk_mark_folio(w, f);
	if (cleared)
		pl_chk_folio_changed_at(w, folio_pfn(f));
}

void folio_remove_rmap_ptes(struct world *w, struct folio *f, struct page *page, unsigned nr,
			    const struct vm_area_struct *vma)
{
	struct page *h = &f->page;
	bool tail = false;

	pl_chk_mark_folio(w, f);
	for (unsigned i = 0; i < nr; i++) {
		struct page *p = page + i;

		PL_BUG_ON(p->_mapcount <= 0);
		p->_mapcount--;
		tail |= p != h;
		h[1]._large_mapcount--;
		folio_sub_large_mapcount(f, vma->vm_mm_id, 1);
	}
	if (tail)
		h->chk_dirty = 1;
}

/*
 * __folio_try_share_anon_rmap(): swapout, migration and KSM give up
 * exclusivity of a page they are about to unmap or share.  The caller has
 * already cleared (or write-protected) the PTE; the full barrier here pairs
 * with the one GUP-fast issues after taking its pin (include/linux/rmap.h,
 * 088b8aa537c2): either we see the pin and back off, or GUP-fast sees the
 * PTE change and backs off.  The window before 088b8aa537c2 (knob
 * exclusive_clear_barrier=false) is a memory-ordering race; callers model it
 * with the _sampled variant below, so the race explorer can find it.  The
 * kernel's folio_try_share_anon_rmap_pte()/_pmd() wrap
 * __folio_try_share_anon_rmap(); for hugetlb (the head page decides) it is
 * hugetlb_try_share_anon_rmap().
 */
int __folio_try_share_anon_rmap(struct world *w, struct folio *f, struct page *p)
{
	struct page *excl = folio_test_hugetlb(f) ? &f->page : p;

	if (!pl_PageAnonExclusive(w, excl))
		return 0;
	pl_sync(w, PL_SYNC_ATOMIC, &f->page._refcount);	/* smp_mb() */
	if (folio_maybe_dma_pinned(f))
		return -EBUSY;
	pl_page_flags_clear(w, excl, PG_anon_exclusive);
	return 0;
}

/*
 * The missing barrier as the model states it (knob exclusive_clear_barrier
 * off, anon_exclusive eras before 088b8aa537c2).  Nothing orders the store
 * that clears the PTE before the loads of the folio's counts, so those loads
 * may be satisfied before GUP-fast can observe the cleared PTE -- a
 * store->load reordering a sequentially consistent model cannot show by
 * itself.  The callers therefore make the loads explicit: they sample the
 * counts with pl_share_sample_take() *before* clearing the PTE and, when
 * the sample is stale (no barrier), decide on it.  With the barrier the
 * sample is not taken and the decision reads the counts after the clear,
 * as __folio_try_share_anon_rmap() does.  In a plain run nothing happens
 * between the sample and the clear, so plain runs are unchanged.
 */
void pl_share_sample_take(struct world *w, struct folio *f, struct pl_share_sample *s)
{
	s->stale = w->policy.anon_exclusive && !w->policy.exclusive_clear_barrier;
	s->refcount = 0;
	s->maybe_pinned = false;
	if (!s->stale)
		return;
	pl_sync(w, PL_SYNC_READ_ONCE, &f->page._refcount);
	s->refcount = f->page._refcount;
	s->maybe_pinned = folio_maybe_dma_pinned(f);
}

uint32_t pl_share_sample_refcount(struct world *w, struct folio *f, const struct pl_share_sample *s)
{
	return s->stale ? s->refcount : folio_ref_count(w, f);
}

int folio_try_share_anon_rmap_sampled(struct world *w, struct folio *f, struct page *p,
				      const struct pl_share_sample *s)
{
	struct page *excl = folio_test_hugetlb(f) ? &f->page : p;

	if (!s->stale)
		return __folio_try_share_anon_rmap(w, f, p);
	if (!pl_PageAnonExclusive(w, excl))
		return 0;
	if (s->maybe_pinned)
		return -EBUSY;
	pl_page_flags_clear(w, excl, PG_anon_exclusive);
	return 0;
}

/* ---------------------------------------------------------------------------
 * rmap walks.  The model has no reverse map: visit every live mm.
 */

/** pl_next_mm() - the next distinct live mm after *@pos, or NULL at the end. */
struct mm_struct *pl_next_mm(const struct world *w, int *pos)
{
	while (*pos < w->nr_tasks) {
		struct task_struct *t = w->tasks[(*pos)++];
		bool seen = false;

		if (t->exited || !t->mm)
			continue;
		/* tasks sharing an mm (CLONE_VM) are one address space */
		for (int i = 0; i < *pos - 1 && !seen; i++)
			seen = w->tasks[i]->mm == t->mm && !w->tasks[i]->exited;
		if (!seen)
			return t->mm;
	}
	return NULL;
}

/*
 * The vmas of every live mm that cover page @index of @key, in the order
 * rmap_walk_anon() and rmap_walk_file() promise; fn's first non-zero return
 * ends the walk.  vma_address() arithmetic: a vma covers index i at
 * vm_start + (i - vm_pgoff) pages.
 */
static int rmap_walk_vmas(struct world *w, bool anon, uint32_t key, uint32_t index,
			  pl_rmap_fn fn, void *arg)
{
	struct mm_struct *mm;
	int pos = 0;

	while ((mm = pl_next_mm(w, &pos))) {
		for (int i = 0; i < mm->nr_vmas; i++) {
			struct vm_area_struct *vma = &mm->vmas[i];
			uint64_t npages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
			bool mine = anon ? vma->anon_vma == key : vma->file == (int)key;
			int ret;

			if (!mine || index < vma->vm_pgoff || index >= vma->vm_pgoff + npages)
				continue;
			ret = fn(w, mm, vma,
				 vma->vm_start + ((pl_addr)(index - vma->vm_pgoff) << PAGE_SHIFT), arg);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/**
 * rmap_walk_anon() - every (mm, vma, addr) where the page at linear index
 * @index of anon_vma @anon_vma may be mapped: anon pages keep the linear
 * index they were born at.
 * Return: 0, or the first non-zero value @fn returned.
 */
int rmap_walk_anon(struct world *w, uint32_t anon_vma, uint32_t index, pl_rmap_fn fn, void *arg)
{
	if (!anon_vma)
		return 0;
	return rmap_walk_vmas(w, true, anon_vma, index, fn, arg);
}

/**
 * rmap_walk_file() - every place page @index of @file is mapped.
 * Return: 0, or the first non-zero value @fn returned.
 */
int rmap_walk_file(struct world *w, int file, uint32_t index, pl_rmap_fn fn, void *arg)
{
	return rmap_walk_vmas(w, false, (uint32_t)file, index, fn, arg);
}

/*
 * page_vma_mapped_walk() - the small-page case of the kernel's
 * page_vma_mapped_walk() (mm/page_vma_mapped.c): map and lock the PTE at
 * pvmw->address, and keep it only when it is present and maps pvmw->pfn.
 * The callers are rmap-walk callbacks (try_to_unmap_one(),
 * page_mkclean_one()) that act under the PTL.
 */
bool page_vma_mapped_walk(struct world *w, struct page_vma_mapped_walk *pvmw)
{
	pte_t *ptep = pte_offset_map_lock(w, pvmw->mm, pvmw->address, &pvmw->ptl);
	pte_t pte;

	if (!ptep)
		return false;
	pte = pl_ptep_get(w, ptep);
	if (!pte_present(pte) || pte_pfn(pte) != pvmw->pfn) {
		pl_spin_unlock(w, pvmw->ptl);
		return false;
	}
	pvmw->pte = ptep;
	pvmw->pteval = pte;
	return true;
}
