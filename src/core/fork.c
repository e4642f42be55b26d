/*
 * fork() and exit(): dup_mmap -> copy_page_range -> copy_pte_range ->
 * copy_present_pte, and exit_mmap.
 *
 * For every present anon page in a COW vma fork either
 *
 *   shares it:  __folio_try_dup_anon_rmap() clears PG_anon_exclusive, adds a
 *               mapping, and both PTEs become R/O -- the next write COWs; or
 *   copies it:  when the folio may be pinned (knob fork_copy_pinned,
 *               70e806e4e645; hugetlb 4eae4efa2c29) the child gets a private
 *               copy at once and the parent's PTE, writability and
 *               exclusivity stay untouched, so the pin stays coherent.
 *
 * Before 70e806e4e645 a pinned page was shared like any other and the
 * parent's next write COWed it away from the device (the RDMA/io_uring
 * "pinned buffer silently COWed after fork" bug; MADV_DONTFORK was the
 * workaround).
 *
 * GUP-fast does not take mmap_lock, so it can pin a page between fork's
 * "is it pinned?" check and its write-protect.  Since 57efa1fe5957 (knob
 * write_protect_seq) fork holds mm->write_protect_seq for writing across
 * the copy and FOLL_PIN GUP-fast backs off if the count is odd or moved.
 */
#include "internal.h"

int pl_task_create_child(struct world *w, int parent, struct mm_struct **mm_out);

struct fork_ctx {
	struct mm_struct *src, *dst;
	struct vm_area_struct *dst_vma;
	pte_t src_pte;			/* the parent's entry being copied */
	int err;
	/* the child's PTE table of the PMD range being copied: one walk per range */
	struct pl_ptetab *dst_tab;
	pl_addr dst_tab_addr;		/* its range's start; 1 = none */
	/* copy_present_ptes() copied the entries below this address already */
	pl_addr done_until;
};

/*
 * pte_alloc() of the child's slot for addr, the table walked once per PMD
 * range (copy_pte_range() allocates the destination table once).  Only fork
 * fills the child's tables while it copies, so a table found stays; the
 * slot is marked used as pl_pte_alloc() marks it.
 */
static pte_t *fork_dst_pte(struct world *w, struct fork_ctx *c, pl_addr addr)
{
	unsigned i = (unsigned)((addr >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1));
	pte_t *ptep;

	if (c->dst_tab && c->dst_tab_addr == (addr & PMD_MASK)) {
		pl_table_mark(c->dst_tab->used, i);
		return &c->dst_tab->pte[i];
	}
	ptep = pl_pte_alloc(w, c->dst, addr);
	c->dst_tab = ptep ? pl_ptetab_lookup(c->dst, addr) : NULL;
	c->dst_tab_addr = addr & PMD_MASK;
	return ptep;
}

/*
 * The uffd-wp bit of a child's entry.  From 8f34f1eac382 (knob
 * uffd_wp_fork_fixed) it is kept only where the child's vma is armed (the
 * context had UFFD_FEATURE_EVENT_FORK); before, copy_present_pte() asked the
 * parent's vma, and swap entries always kept it.
 */
static pte_t fork_uffd_wp(struct world *w, const struct fork_ctx *c,
			  const struct vm_area_struct *src_vma, pte_t pte, bool swap)
{
	bool keep;

	if (w->policy.uffd_wp_fork_fixed)
		keep = c->dst_vma->vm_flags & VM_UFFD_WP;
	else
		keep = swap || (src_vma->vm_flags & VM_UFFD_WP);
	return keep ? pte : pte & ~(pte_t)_PAGE_UFFD_WP;
}

/* copy_present_page(): the child gets its own copy of a maybe-pinned page. */
static int copy_present_page(struct world *w, struct fork_ctx *c, struct vm_area_struct *src_vma,
			     pl_addr addr, pte_t *dst_ptep, struct page *page)
{
	struct folio *nf = folio_alloc(w, 0);

	if (!nf)
		return -ENOMEM;
	pte_t pte;

	folio_page(nf, 0)->token = page->token;
	folio_add_new_anon_rmap(w, nf, c->dst_vma, addr, true, false);
	pte = pte_mkdirty(pl_mk_pte(c->dst_vma, folio_pfn(nf), true));
	/*
	 * 8f34f1eac382 (5.14, knob uffd_wp_fork_fixed): the copy keeps the
	 * parent's uffd-wp protection when the child's vma is armed; before,
	 * the child's copy came out writable and unprotected.
	 */
	if (w->policy.uffd_wp_fork_fixed && (c->dst_vma->vm_flags & VM_UFFD_WP) &&
	    pte_uffd_wp(c->src_pte))
		pte = pte_wrprotect(pte | _PAGE_UFFD_WP);
	pl_set_pte(w, dst_ptep, pte);
	w->stats.fork_copies++;
	pl_event_emit(w, PL_EV_FORK_COPY, "copy_present_page", "fork_copy_pinned (70e806e4e645)",
		      addr, page_to_pfn(w, page), folio_pfn(nf),
		      "maybe-pinned page copied for the child; parent keeps its writable mapping");
	(void)src_vma;
	return 0;
}

/* Does an active FOLL_PIN pinset hold page @pfn itself? */
static bool page_pinned_exactly(const struct world *w, pl_pfn pfn)
{
	for (int i = 0; i < w->nr_pins; i++) {
		const struct pl_pinset *ps = w->pins[i];

		if (!ps->active || !(ps->gup_flags & FOLL_PIN) || ps->kind == PL_PIN_PIPE)
			continue;
		for (uint32_t k = ps->consumed; k < ps->nr; k++)
			if (ps->pages[k] == pfn)
				return true;
	}
	return false;
}

/*
 * fork-shared-pinned: where the era promises that fork copies pinned pages,
 * a page that is pinned once fork has write-protected it means a pin slipped
 * in between the check and the write-protect (GUP-fast vs fork).  The pin
 * count is the folio's: in a large folio only the pinned page itself counts
 * -- its other pages, shared at an earlier fork, are not exclusive and are
 * shared again, as folio_try_dup_anon_rmap_ptes() does (found by fuzz-diff;
 * scenarios/seeds/005-thp-pin-one-page-fork.pin).  @page NULL: a PMD
 * leaf, the whole folio shared.
 */
static void check_fork_shared_pinned(struct world *w, struct fork_ctx *c, struct folio *f,
				     struct page *page, pl_addr addr)
{
	/* hugetlb pages have their own promise: 4eae4efa2c29 (5.12), not 70e806e4e645 */
	bool promised = folio_test_hugetlb(f) ? w->policy.fork_copy_pinned_hugetlb
					      : w->policy.fork_copy_pinned;

	if (!promised || !f->page.gup_pins)
		return;
	if (f->page.order && page && !page_pinned_exactly(w, page_to_pfn(w, page)))
		return;
	/*
	 * Pins a GUP-fast call still holds on the way back are not pinned
	 * pages yet: it drops them when it sees fork ran (write_protect_seq)
	 * or the PTE changed, and reports the page itself if it keeps one
	 * (gup_fast()).  Only the explorer stops a thread there.
	 */
	if (w->gup_fast_calls &&
	    pl_gup_fast_pins_in_flight(w, folio_pfn(f), false, 0, 0) >= f->page.gup_pins) {
		pl_gup_fast_pins_in_flight(w, folio_pfn(f), true, pl_mm_pid(w, c->src), addr);
		return;
	}
	pl_violation(w, "fork-shared-pinned", pl_mm_pid(w, c->src), addr, folio_pfn(f),
		     "pinned page shared R/O with the child (pin raced with fork)");
}

/*
 * copy_nonpresent_pte(): a migration entry or a swap entry, shared with the
 * child.  A page being migrated: in a COW mapping both sides become
 * readable, non-exclusive migration entries, and remove_migration_ptes()
 * then maps the new folio into both.  A swap entry: neither side is
 * exclusive any more.
 */
static void copy_nonpresent_pte(struct world *w, pte_t *dst_ptep, pte_t *src_ptep, pte_t pte,
				bool cow)
{
	if (is_migration_entry(pte)) {
		if (cow) {
			pte &= ~(_PAGE_RW | _PAGE_SWP_EXCLUSIVE);
			pl_set_pte(w, src_ptep, pte);
		}
		pl_set_pte(w, dst_ptep, pte);
		return;
	}
	swap_duplicate(w, pte_swp_offset(pte));
	if (pte_swp_exclusive(pte)) {
		pte &= ~_PAGE_SWP_EXCLUSIVE;
		pl_set_pte(w, src_ptep, pte);
	}
	pl_set_pte(w, dst_ptep, pte);
}

/*
 * copy_present_pte(): share the page with the child R/O (COW mapping), or
 * give the child a copy when the page may be pinned (copy_present_page()).
 */
static int copy_present_pte(struct world *w, struct fork_ctx *c, struct vm_area_struct *vma,
			    pl_addr addr, pte_t *dst_ptep, pte_t *src_ptep, pte_t pte)
{
	struct page *page;
	struct folio *f;
	bool cow = is_cow_mapping(vma->vm_flags);

	page = vm_normal_page(w, vma, addr, pte);
	if (page) {
		/*
		 * Whose reference does the maybe-pinned test see?  From
		 * fb3d824d1a46 (5.19, the PG_anon_exclusive series: knob
		 * anon_exclusive) fork takes the child's reference first and
		 * then asks page_try_dup_anon_rmap(), so a small page with 1023
		 * references reaches GUP_PIN_COUNTING_BIAS by fork's own; in
		 * 5.9 - 5.18 copy_present_page() asked page_needs_cow_for_dma()
		 * before get_page().
		 */
		bool get_first = w->policy.anon_exclusive;

		f = page_folio(w, page);
		if (get_first)
			folio_get(w, f);
		if (folio_test_anon(f)) {
			if (__folio_try_dup_anon_rmap(w, f, page, false, c->src, c->dst_vma)) {
				if (get_first)
					folio_put(w, f);
				c->err = copy_present_page(w, c, vma, addr, dst_ptep, page);
				return c->err;
			}
			if (!get_first)
				folio_get(w, f);
			pl_yield(w, YIELD_FORK_AFTER_PIN_CHECK);
		} else {
			if (!get_first)
				folio_get(w, f);
			folio_add_file_rmap_pte(w, f, page, c->dst_vma);
		}
	}
	/* __copy_present_ptes() */
	pte = pl_ptep_get(w, src_ptep);
	if (cow && pte_write(pte)) {
		pte = pte_wrprotect(pte);
		pl_set_pte(w, src_ptep, pte);
	}
	if (vma->vm_flags & VM_SHARED)
		pte = pte_mkclean(pte);
	pl_set_pte(w, dst_ptep, fork_uffd_wp(w, c, vma, pte_mkold(pte), false));
	if (page && folio_test_anon(page_folio(w, page))) {
		f = page_folio(w, page);
		/*
		 * anon-rmap-linked: the child's vma is linked to the anon_vma of
		 * every anon page fork maps into it (anon_vma_fork() before
		 * copy_page_range()), or rmap walks (reclaim, migration, KSM)
		 * never find the child's PTE.
		 */
		if (!folio_test_ksm(f) && f->page.mapping != c->dst_vma->anon_vma)
			pl_violation(w, "anon-rmap-linked", pl_mm_pid(w, c->dst), addr,
				     page_to_pfn(w, page),
				     "fork mapped an anon page into a child vma outside its "
				     "anon_vma (a fault gave the parent its anon_vma during fork)");
		check_fork_shared_pinned(w, c, page_folio(w, page), page, addr);
		pl_event_emit(w, PL_EV_FORK_SHARE, "copy_present_pte", NULL, addr,
			      page_to_pfn(w, page), page_to_pfn(w, page),
			      "anon page shared R/O with the child");
	}
	return 0;
}

/*
 * copy_present_ptes() (f8d937761d65, v6.9: folio_pte_batch()): the run of
 * present entries from @src_ptep that map consecutive pages of one large
 * anon folio, shared with the child in one go: a reference and a mapping
 * per entry (folio_dup_anon_rmap_ptes()), each entry write-protected in a
 * COW mapping.  Only when nothing watches each store and fork cannot have
 * to copy a maybe-pinned page (no pin check: the knob off or an mm that
 * never pinned), the folio not pinned and in the child's anon_vma; then
 * the state is what copy_present_pte() leaves entry by entry.  Returns
 * the entries copied, 0 to take the one-entry path.
 */
static unsigned copy_present_ptes(struct world *w, struct fork_ctx *c,
				  struct vm_area_struct *vma, pl_addr addr, pte_t *src_ptep,
				  pte_t pte)
{
	bool cow = is_cow_mapping(vma->vm_flags);
	struct folio *f;
	struct page *page;
	unsigned nr, max, i;
	pl_pfn pfn;

	if (w->hooks.sync || w->hooks.yield || w->on_event || !pte_present(pte) ||
	    pte_special(pte) || (w->policy.fork_copy_pinned && (c->src->flags & MMF_HAS_PINNED)))
		return 0;
	page = vm_normal_page(w, vma, addr, pte);
	if (!page || !(page->flags & PG_tail || page->order))
		return 0;
	f = page_folio(w, page);
	if ((f->page.flags & (PG_anon | PG_ksm | PG_hugetlb | PG_zero)) != PG_anon ||
	    f->page.mapping != c->dst_vma->anon_vma || f->page.gup_pins || !f->page._refcount)
		return 0;
	pfn = pte_pfn(pte);
	/* the folio's pages from this one, within the PMD range and the vma */
	max = folio_pfn(f) + folio_nr_pages(f) - pfn;
	max = PL_MIN(max, (unsigned)((((addr & PMD_MASK) + PMD_SIZE) - addr) >> PAGE_SHIFT));
	max = PL_MIN(max, (unsigned)((vma->vm_end - addr) >> PAGE_SHIFT));
	nr = folio_pte_batch(src_ptep, pfn, max);
	if (nr < 2)
		return 0;
	for (i = 0; i < nr; i++) {
		pl_addr a = addr + (pl_addr)i * PAGE_SIZE;
		pte_t *dst_ptep = fork_dst_pte(w, c, a);

		PL_BUG_ON(!dst_ptep);
		pte = src_ptep[i];
		if (cow && pte_write(pte)) {
			pte = pte_wrprotect(pte);
			src_ptep[i] = pte;
		}
		*dst_ptep = fork_uffd_wp(w, c, vma, pte_mkold(pte), false);
	}
	folio_ref_add(w, f, (int)nr);
	folio_dup_anon_rmap_ptes(w, f, page, nr, c->dst_vma);
	c->src_pte = src_ptep[nr - 1];
	c->done_until = addr + (pl_addr)nr * PAGE_SIZE;
	return nr;
}

/* copy_pte_range()'s loop body for one PTE (copy_one_pte() before 5.10). */
static int copy_one_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			pl_addr addr, pte_t *src_ptep, void *arg)
{
	struct fork_ctx *c = arg;
	pte_t pte, *dst_ptep;

	if (addr < c->done_until)
		return 0;	/* copied with the run before it */
	pte = pl_ptep_get(w, src_ptep);
	if (copy_present_ptes(w, c, vma, addr, src_ptep, pte))
		return 0;
	dst_ptep = fork_dst_pte(w, c, addr);
	(void)mm;
	PL_BUG_ON(!dst_ptep);
	c->src_pte = pte;
	if (is_migration_entry(pte) || is_swap_pte(pte)) {
		copy_nonpresent_pte(w, dst_ptep, src_ptep, pte, is_cow_mapping(vma->vm_flags));
		if (pte_uffd_wp(*dst_ptep))
			pl_set_pte(w, dst_ptep, fork_uffd_wp(w, c, vma, *dst_ptep, true));
		return 0;
	}
	return copy_present_pte(w, c, vma, addr, dst_ptep, src_ptep, pte);
}

/*
 * copy_pte_range(): the PTEs of one PMD range, table by table.  With nothing
 * watching each access (pl_batch_ok()) and no pin that fork would have to
 * look for (the knob off, or an mm that never pinned: folio_needs_cow_for_dma()
 * is false for every page), a present small anon page that fork shares is
 * done here in one loop: a reference and a mapping more, PG_anon_exclusive
 * cleared, both entries write-protected (a COW mapping is never VM_SHARED),
 * the child's slot marked used: the state copy_present_pte() leaves.  Any other
 * entry (swap, migration, special, file, large, KSM, a ghost pin, an
 * anon_vma the child's vma does not share) goes through copy_one_pte().
 */
static int copy_pte_table(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  struct pl_ptetab *t, pl_addr addr, pl_addr end, void *arg)
{
	struct fork_ctx *c = arg;
	bool cow = is_cow_mapping(vma->vm_flags), excl_cleared = false;
	uint32_t anon_vma = c->dst_vma->anon_vma;
	struct pl_ptetab *dt = NULL;
	unsigned i = (unsigned)((addr >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1)), last = i + (unsigned)((end - addr) >> PAGE_SHIFT);
	int ret;

	if (!pl_batch_ok(w) || !cow ||
	    (w->policy.fork_copy_pinned && (c->src->flags & MMF_HAS_PINNED))) {
		for (; i < last; i++, addr += PAGE_SIZE) {
			if (pte_none(t->pte[i]))
				continue;
			ret = copy_one_pte(w, mm, vma, addr, &t->pte[i], arg);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (; i < last; i++, addr += PAGE_SIZE) {
		pte_t pte = t->pte[i];
		struct page *p;

		if (pte_none(pte))
			continue;
		p = vm_normal_page(w, vma, addr, pte);
		if (!p || (p->flags & (PG_head | PG_anon | PG_ksm | PG_hugetlb | PG_zero |
				  PG_excl_head)) != (PG_head | PG_anon) || p->order || p->mapping != anon_vma ||
		    p->gup_pins || !p->_refcount) {
			ret = copy_one_pte(w, mm, vma, addr, &t->pte[i], arg);
			if (ret)
				return ret;
			dt = NULL;	/* it may have allocated the child's table */
			continue;
		}
		if (!dt) {
			pte_t *dptep = fork_dst_pte(w, c, addr);

			PL_BUG_ON(!dptep);
			dt = c->dst_tab;
		}
		p->_refcount++;
		excl_cleared |= (p->flags & PG_anon_exclusive) != 0;
		p->flags &= ~(uint32_t)PG_anon_exclusive;
		p->_mapcount++;
		pl_chk_mark_page(w, p);
		if (pte_write(pte)) {
			pte = pte_wrprotect(pte);
			t->pte[i] = pte;
		}
		pl_table_mark(dt->used, i);
		dt->pte[i] = fork_uffd_wp(w, c, vma, pte_mkold(pte), false);
	}
	if (excl_cleared)
		pl_chk_folio_changed(w);	/* PG_anon_exclusive is a PL_CHK_MAP_FLAGS bit */
	return 0;
}

/*
 * copy_huge_pmd() and copy_hugetlb_page_range(): a PMD leaf, or a PUD leaf
 * of a 1 GiB hugetlb page.  The leaf's size is its folio's; the child's
 * entry goes in the slot of the same level.
 */
static int copy_pmd(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		    pl_addr addr, pmd_t *src_pmdp, void *arg)
{
	struct fork_ctx *c = arg;
	pmd_t pmd = *src_pmdp;
	struct folio *f = pfn_folio(w, pte_pfn(pmd));
	bool pud = f->page.order == HPAGE_PUD_ORDER;
	pl_addr base = addr & ~(folio_size(f) - 1);
	pmd_t *dst_pmdp = pud ? pl_pud_alloc(w, c->dst, base) : pl_pmd_alloc(w, c->dst, base);
	bool cow = is_cow_mapping(vma->vm_flags);

	if (!folio_test_zero(f)) {
		folio_get(w, f);
		if (folio_test_anon(f)) {
			if (__folio_try_dup_anon_rmap(w, f, &f->page, true, c->src, c->dst_vma)) {
				folio_put(w, f);
				if (!folio_test_hugetlb(f)) {
					/* d042035eaf5f: split and copy per PTE */
					__split_huge_pmd(w, mm, vma, base);
					return 0;	/* the PTE walk continues */
				}
				/* hugetlb: copy the whole huge page (needs a pool page) */
				struct folio *nf = pl_hugetlb_alloc(w, f->page.order);

				if (!nf)
					return c->err = -ENOMEM;
				folio_copy_contents(nf, f);
				folio_add_new_anon_rmap(w, nf, c->dst_vma, base, true, true);
				pl_set_pte(w, dst_pmdp, pte_mkdirty(pl_mk_pte(c->dst_vma,
						folio_pfn(nf), true) | _PAGE_PSE));
				w->stats.fork_copies++;
				pl_event_emit(w, PL_EV_FORK_COPY, "copy_hugetlb_page_range",
					      "fork_copy_pinned_hugetlb (4eae4efa2c29)", base,
					      folio_pfn(f), folio_pfn(nf),
					      "pinned hugetlb page copied for the child");
				return 0;
			}
			pl_yield(w, YIELD_FORK_AFTER_PIN_CHECK);
		} else {
			folio_add_rmap_pmd(w, f, c->dst_vma);
		}
	}
	pmd = *src_pmdp;
	if (cow && pte_write(pmd)) {
		pmd = pte_wrprotect(pmd);
		pl_set_pte(w, src_pmdp, pmd);
	}
	pl_set_pte(w, dst_pmdp, pte_mkold(pmd));
	if (folio_test_anon(f))
		check_fork_shared_pinned(w, c, f, NULL, base);	/* all of it is shared */
	return 0;
}

/* vma_needs_copy(): only vmas a fault could not rebuild are copied eagerly. */
static bool vma_needs_copy(const struct vm_area_struct *vma)
{
	return vma->anon_vma || (vma->vm_flags & (VM_PFNMAP | VM_UFFD_WP));
}

/**
 * pl_fork() - fork task @pid.
 * Return: the child's pid, or -errno.
 */
int pl_fork(struct world *w, int pid)
{
	struct mm_struct *src = pl_mm_of(w, pid), *dst;
	struct fork_ctx c = { 0 };
	int child;

	if (!src)
		return -ESRCH;
	w->cur_pid = pid;
	child = pl_task_create_child(w, pid, &dst);
	c.src = src;
	c.dst = dst;
	pl_down_write(w, &src->mmap_lock);
	/*
	 * fb49c455323f (6.5, stable 6.4.3; knob fork_locks_vmas): dup_mmap()
	 * vma_start_write()s every parent vma, so no fault under the per-VMA
	 * lock (6.4) runs while fork copies it.  Before, a fault could give
	 * the parent's vma its first anon_vma after the child's copy of the vma
	 * was made without one (anon_vma_fork() had nothing to link), and fork
	 * then copied the new page's PTE into a child vma that rmap cannot
	 * reach from the page.  Before 6.4 mmap_lock kept every fault out.
	 */
	if (w->policy.per_vma_lock && w->policy.fork_locks_vmas)
		pl_down_write(w, pl_mm_vma_lock(w, src));
	dst->mmap_base = src->mmap_base;
	/* the child inherits MMF_HAS_PINNED? No: it starts with no pins. */
	for (int i = 0; i < src->nr_vmas && !c.err; i++) {
		struct vm_area_struct *v = &src->vmas[i], nv;
		bool cow = is_cow_mapping(v->vm_flags);

		if (v->vm_flags & VM_DONTCOPY)
			continue;
		nv = *v;
		/* dup_mmap(): mlock is not inherited (6.1 and 6.12 kernel/fork.c) */
		nv.vm_flags &= ~(uint32_t)VM_LOCKED;
		/* dup_userfaultfd(): without EVENT_FORK the child is not registered */
		if (!(nv.vm_flags & VM_UFFD_EVENT_FORK))
			nv.vm_flags &= ~(uint32_t)VM_UFFD_WP;
		if (v->vm_flags & VM_WIPEONFORK) {
			nv.anon_vma = 0;	/* no page tables, no anon_vma: reads as zero */
			vma_insert(w, dst, &nv);
			continue;
		}
		c.dst_vma = vma_insert(w, dst, &nv);
		pl_yield(w, YIELD_FORK_VMA_COPIED);	/* anon_vma_fork() may sleep */
		if (!vma_needs_copy(v))
			continue;
		if (cow && w->policy.write_protect_seq)
			pl_seq_write_begin(w, &src->write_protect_seq);
		c.done_until = 0;
		pl_walk_range_tab(w, src, v, v->vm_start, v->vm_end, copy_pmd, copy_pte_table, &c);
		if (cow && w->policy.write_protect_seq)
			pl_seq_write_end(w, &src->write_protect_seq);
	}
	if (w->policy.per_vma_lock && w->policy.fork_locks_vmas)
		pl_up_write(w, pl_mm_vma_lock(w, src));
	pl_up_write(w, &src->mmap_lock);
	if (c.err) {
		pl_exit(w, child);
		return c.err;
	}
	return child;
}

/*
 * exit: release what the task's files held, then exit_mmap().  Pipes are
 * not the task's: the scenario holds both ends (as cow.c's parent does, and
 * the host backend), so buffers a child vmspliced stay readable after it
 * exits (found by fuzz-diff; scenarios/seeds/005-pipe-outlives-splicer.pin).
 */
int pl_exit(struct world *w, int pid)
{
	struct task_struct *t = pl_task(w, pid);

	if (!t || t->exited)
		return -ESRCH;
	w->cur_pid = pid;
	for (int i = 0; i < w->nr_pins; i++)
		if (w->pins[i]->pid == pid && w->pins[i]->kind != PL_PIN_PIPE)
			pl_pinset_release(w, w->pins[i], true);
	pl_mm_free(w, t->mm);
	t->mm = NULL;
	t->exited = true;
	return 0;
}
