/*
 * Page faults, copy-on-write and zapping: the model of mm/memory.c.
 *
 * handle_mm_fault() dispatches like the kernel:
 *
 *   hugetlb vma ------------------------------------------> hugetlb_fault()
 *   pmd none, THP-suitable anon vma ------------------------> do_huge_pmd_anonymous_page()
 *   PMD leaf, (WRITE|UNSHARE) on a R/O leaf -----------------> do_huge_pmd_wp_page()
 *   pte none:     anon ---------------------------------------> do_anonymous_page()
 *                 file: read / private write / shared write --> do_read_fault / do_cow_fault /
 *                                                              do_shared_fault
 *   swap entry -----------------------------------------------> do_swap_page()
 *   present, (WRITE|UNSHARE) and !pte_write -----------------> do_wp_page()
 *
 * do_wp_page() is where every era's COW rule lives.  The decision "reuse the
 * page in place or copy it" is one predicate, wp_can_reuse_anon_folio(),
 * read through the policy knobs:
 *
 *   anon_exclusive (v5.19+)   PageAnonExclusive -> always reuse, no questions
 *   anon_reuse=mapcount        mapcount (+ swap count) == 1 -> reuse   (<= v5.8:
 *                              the CVE-2020-29374 leak: GUP refs are invisible)
 *   anon_reuse=refcount        refcount == 1 -> reuse (09854ba94c6a, v5.9: any
 *                              extra reference, a pin included, forces a copy)
 *
 * A write or unshare fault never trusts what it saw before dropping the PTL:
 * wp_page_copy() re-checks the PTE and backs off if it changed (invariant
 * cow-pte-same, enforced here by construction).
 *
 * Over 900 lines: the fault path of mm/memory.c (do_anonymous_page,
 * do_wp_page and its reuse rules, do_swap_page, handle_mm_fault) is one chain
 * of calls, kept in the kernel's file as the kernel keeps it.
 */
#include "internal.h"

bool pl_vma_is_anon(const struct vm_area_struct *vma)
{
	return vma->file < 0 && !(vma->vm_flags & (VM_HUGETLB | VM_SHARED));
}

/*
 * vma_wants_writenotify(): shared writable mappings of filesystems that
 * track dirty pages (ext4) start write-protected so the first write calls
 * page_mkwrite.  tmpfs and hugetlbfs do not need it.
 */
bool vma_wants_writenotify(struct world *w, const struct vm_area_struct *vma)
{
	struct pl_file *f;

	if (!(vma->vm_flags & VM_SHARED) || vma->file < 0)
		return false;
	f = pl_file_get(w, vma->file);
	return f && f->fs == PL_FS_EXT4;
}

pte_t pl_mk_pte(struct vm_area_struct *vma, pl_pfn pfn, bool write)
{
	pte_t pte = pfn_pte(pfn, _PAGE_PRESENT | _PAGE_ACCESSED);

	if (write && (vma->vm_flags & VM_WRITE))
		pte |= _PAGE_RW;
	if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)))
		pte = (pte & ~_PAGE_PRESENT) | _PAGE_PROTNONE;
	return pte;
}

int pl_fault_error(unsigned ret)
{
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & VM_FAULT_SIGBUS)
		return -EBUSY;
	if (ret & VM_FAULT_SIGSEGV)
		return -EFAULT;
	return 0;
}

/*
 * pl_page_write(): the contents of a page change.  A write through a GUP
 * reference (DMA) does not go through a PTE, so nothing marks the folio
 * dirty: the ghost PG_gup_written remembers that until someone calls
 * folio_mark_dirty() (unpin_user_pages_dirty_lock(), set_page_dirty_lock()).
 */
void pl_page_write(struct world *w, struct page *p, pl_token tok, bool via_gup)
{
	struct folio *f = page_folio(w, p);

	PL_BUG_ON(folio_test_zero(f));
	pl_sync(w, PL_SYNC_WRITE_ONCE, &p->token);
	p->token = tok;
	pl_chk_mark_page(w, p);
	if (via_gup)
		pl_page_flags_set(w, &f->page, PG_gup_written);
}

/*
 * The owner unmapped (munmap, MADV_DONTNEED) part of a pinned range: the pin
 * legitimately maps nothing there any more, and whatever is faulted in later
 * is new memory.  The pin stops promising coherence (pin-coherence).
 */
void pl_pins_forget_mapping(struct world *w, struct mm_struct *mm, pl_addr addr, uint64_t len)
{
	for (int i = 0; i < w->nr_pins; i++) {
		struct pl_pinset *ps = w->pins[i];

		if (ps->active && ps->coherent && ps->mm_id == mm->id &&
		    addr < ps->addr + (uint64_t)ps->nr * PAGE_SIZE && ps->addr < addr + len)
			ps->coherent = false;
	}
}

/*
 * mremap moved [old, old + len) of @mm to @new: a pin wholly inside the
 * moved part follows its pages (pin-coherence looks at the new address, not
 * at whatever is mapped later at the old one -- found by fuzz-diff); a pin
 * only partly inside is detached as by munmap.
 */
void pl_pins_moved(struct world *w, struct mm_struct *mm, pl_addr old, uint64_t len, pl_addr new)
{
	for (int i = 0; i < w->nr_pins; i++) {
		struct pl_pinset *ps = w->pins[i];
		pl_addr end = ps->addr + (uint64_t)ps->nr * PAGE_SIZE;

		if (!ps->active || ps->mm_id != mm->id || end <= old || ps->addr >= old + len)
			continue;
		if (ps->addr >= old && end <= old + len)
			ps->addr = ps->addr - old + new;
		else
			ps->coherent = false;
	}
}

static void anon_vma_prepare(struct world *w, struct vm_area_struct *vma)
{
	if (!vma->anon_vma)
		vma->anon_vma = ++w->next_anon_vma;
}

/* ---------------------------------------------------------------------------
 * Zapping (zap_pte_range / zap_present_ptes).
 */
void zap_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma, pl_addr addr,
	     pte_t *ptep)
{
	pte_t pte = pl_ptep_get(w, ptep);
	struct page *page;
	struct folio *f;

	if (pte_none(pte))
		return;
	pl_pins_forget_mapping(w, mm, addr, PAGE_SIZE);
	pl_set_pte(w, ptep, 0);
	if (is_swap_pte(pte)) {
		uint32_t slot = pte_swp_offset(pte);
		struct folio *cache;

		swap_free(w, slot);
		/* free_swap_and_cache(): the last swap PTE gone, drop an unused cache folio */
		cache = pl_swapcache_lookup(w, slot);
		if (cache && folio_mapcount(cache) == 0)
			folio_free_swap(w, cache);
		return;
	}
	page = vm_normal_page(w, vma, addr, pte);
	if (!page)
		return;		/* zero page, special */
	f = page_folio(w, page);
	/* file pages: a dirty PTE makes the folio dirty before the rmap goes */
	if (!folio_test_anon(f) && pte_dirty(pte))
		folio_mark_dirty(w, f);
	folio_remove_rmap_pte(w, f, page, vma);
	pl_event_emit(w, PL_EV_ZAP, "zap_present_ptes", NULL, addr, page_to_pfn(w, page), 0, NULL);
	/* mmu_gather: the reference goes only after the TLB flush */
	folio_put(w, f);
	if (folio_test_swapcache(f) && folio_mapcount(f) == 0 &&
	    w->swap[f->page.swap].count == 0)
		folio_free_swap(w, f);
}

/* zap_huge_pmd() / zap_huge_pud(): one PMD or PUD leaf, sized by its folio. */
static int zap_pmd_cb(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		      pl_addr addr, pmd_t *pmdp, void *arg)
{
	pl_addr *range = arg;
	struct pl_lock *ptl;
	pmd_t pmd = *pmdp;
	struct folio *f = pfn_folio(w, pte_pfn(pmd));
	uint64_t size = folio_size(f);
	pl_addr base = addr & ~(size - 1);

	if (base < range[0] || base + size > range[1]) {
		/*
		 * partial: split into PTEs, the PTE walk zaps the part in range.
		 * hugetlb callers (munmap, MADV_DONTNEED) refuse unaligned ranges.
		 */
		PL_BUG_ON(vma->vm_flags & VM_HUGETLB);
		__split_huge_pmd(w, mm, vma, base);
		return 0;
	}
	/* zap_huge_pmd() / zap_huge_pud(): under the lock of the leaf's level */
	ptl = size == PUD_SIZE ? pl_pud_lockptr(mm, base) : pl_pmd_lockptr(mm, base);
	pl_spin_lock(w, ptl);
	pl_set_pte(w, pmdp, 0);
	pl_pins_forget_mapping(w, mm, base, size);
	if (!folio_test_zero(f)) {
		if (!folio_test_anon(f) && pte_dirty(pmd))
			folio_mark_dirty(w, f);
		folio_remove_rmap_pmd(w, f, vma);
		pl_event_emit(w, PL_EV_ZAP, size == PUD_SIZE ? "zap_huge_pud" : "zap_huge_pmd",
			      NULL, base, folio_pfn(f), 0, NULL);
	}
	pl_spin_unlock(w, ptl);
	if (!folio_test_zero(f))
		folio_put(w, f);
	return 0;
}

/*
 * zap_present_ptes() (its folio_pte_batch() since 10ebac4f95e7, v6.10): up to
 * @max entries from @ptep that map consecutive pages of one large anon
 * folio outside the swap cache, unmapped in one go: each entry cleared, a
 * mapping per entry fewer (folio_remove_rmap_ptes()), then the entries'
 * references (the last frees the folio).  Only when nothing watches each store and no
 * pinset has to forget the mappings; the state is what zap_pte() leaves
 * entry by entry.  Returns the entries zapped, 0 to take zap_pte().
 */
static unsigned zap_present_ptes(struct world *w, struct vm_area_struct *vma, pl_addr addr,
				 pte_t *ptep, unsigned max)
{
	pte_t pte = *ptep;
	struct page *page;
	struct folio *f;
	unsigned nr;
	pl_pfn pfn;

	if (w->hooks.sync || w->hooks.yield || w->on_event || w->nr_pins || max < 2 ||
	    !pte_present(pte) || pte_special(pte))
		return 0;
	page = vm_normal_page(w, vma, addr, pte);
	if (!page || !(page->flags & PG_tail || page->order))
		return 0;
	f = page_folio(w, page);
	if ((f->page.flags & (PG_anon | PG_ksm | PG_hugetlb | PG_zero | PG_swapcache)) != PG_anon)
		return 0;
	pfn = pte_pfn(pte);
	max = PL_MIN(max, folio_pfn(f) + folio_nr_pages(f) - pfn);
	nr = folio_pte_batch(ptep, pfn, max);
	if (nr < 2)
		return 0;
	for (unsigned i = 0; i < nr; i++)
		ptep[i] = 0;
	folio_remove_rmap_ptes(w, f, page, nr, vma);
	folio_put_refs(w, f, (int)nr);
	return nr;
}

static int zap_pte_cb(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		      pl_addr addr, pte_t *ptep, void *arg)
{
	struct pl_lock *ptl = pl_pte_lockptr(mm, addr);

	(void)arg;
	/* zap_pte_range() clears under the PTE lock, like every other PTE writer */
	pl_spin_lock(w, ptl);
	zap_pte(w, mm, vma, addr, ptep);
	pl_spin_unlock(w, ptl);
	return 0;
}

/*
 * zap_pte_range(): one table's part of the range under its lock, taken once.
 * With nothing watching each access (pl_batch_ok()) and no pinset to
 * detach, a present small anon page outside the swap cache is unmapped
 * here in one loop: the entry cleared, a mapping and a reference fewer (the
 * last frees it) -- what zap_pte() leaves.  Any other entry goes through
 * zap_pte().
 */
static int zap_pte_table(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 struct pl_ptetab *t, pl_addr addr, pl_addr end, void *arg)
{
	unsigned i = (unsigned)((addr >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1));
	unsigned last = i + (unsigned)((end - addr) >> PAGE_SHIFT);
	bool batch = pl_batch_ok(w) && !w->nr_pins;

	(void)arg;
	if (!batch) {
		for (; i < last; i++, addr += PAGE_SIZE) {
			if (pte_none(t->pte[i]))
				continue;
			zap_pte_cb(w, mm, vma, addr, &t->pte[i], NULL);
		}
		return 0;
	}
	pl_spin_lock(w, &t->ptl);
	for (; i < last; i++, addr += PAGE_SIZE) {
		pte_t pte = t->pte[i];
		struct page *p;

		if (pte_none(pte))
			continue;
		p = vm_normal_page(w, vma, addr, pte);
		if (!p || (p->flags & (PG_head | PG_anon | PG_swapcache | PG_zero)) !=
			  (PG_head | PG_anon) || p->order || p->_mapcount <= 0) {
			/* a large folio's run at once, else this entry alone */
			unsigned n = zap_present_ptes(w, vma, addr, &t->pte[i], last - i);

			if (n) {
				i += n - 1;
				addr += (pl_addr)(n - 1) * PAGE_SIZE;
				continue;
			}
			zap_pte(w, mm, vma, addr, &t->pte[i]);
			continue;
		}
		t->pte[i] = 0;
		p->_mapcount--;	/* folio_put() marks the folio */
		folio_put(w, (struct folio *)p);
	}
	pl_spin_unlock(w, &t->ptl);
	return 0;
}

void zap_page_range(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		    pl_addr start, pl_addr end)
{
	pl_addr range[2] = { start, end };

	/* __unmap_hugepage_range(): a shared pmd table is unshared, not zapped */
	if (vma->vm_flags & VM_HUGETLB)
		pl_hugetlb_unshare_range(w, mm, start, end);
	pl_walk_range_tab(w, mm, vma, start, end, zap_pmd_cb, zap_pte_table, range);
}

/* ---------------------------------------------------------------------------
 * Anonymous and file faults.
 */
/*
 * alloc_anon_folio(): with mTHP enabled, a write fault maps the largest
 * enabled order whose naturally aligned range lies inside the vma and has
 * no PTE yet, all of it at once -- a PTE-mapped large folio from birth.
 * Returns true when it mapped one.
 */
static bool alloc_anon_folio_mthp(struct world *w, struct mm_struct *mm,
				  struct vm_area_struct *vma, pl_addr addr)
{
	uint16_t orders = w->mthp_always;

	if (vma->vm_flags & VM_HUGEPAGE)
		orders |= w->mthp_madvise;
	if (!orders || (vma->vm_flags & VM_NOHUGEPAGE) || w->thp == THP_NEVER)
		return false;
	for (int order = HPAGE_PMD_ORDER - 1; order >= 2; order--) {
		unsigned nr = 1u << order;
		pl_addr base = addr & ~((pl_addr)nr * PAGE_SIZE - 1);
		struct pl_lock *ptl;
		struct folio *f;
		pte_t *ptep;
		bool empty = true;

		if (!(orders & (1u << order)) || base < vma->vm_start ||
		    base + (pl_addr)nr * PAGE_SIZE > vma->vm_end)
			continue;
		ptep = pl_pte_lookup(mm, base);
		/* the slots of the range are handed out together (struct pl_ptetab) */
		for (unsigned i = 0; i < nr; i++)
			pl_table_mark(pl_ptetab_lookup(mm, base)->used,
				      (unsigned)((base >> PAGE_SHIFT) & 511) + i);
		for (unsigned i = 0; i < nr && empty; i++)
			empty = pte_none(ptep[i]);
		if (!empty)
			continue;
		f = folio_alloc(w, (unsigned)order);
		if (!f)
			continue;
		ptl = pl_pte_lockptr(mm, base);
		pl_spin_lock(w, ptl);
		folio_ref_add(w, f, (int)nr - 1);	/* one reference per PTE */
		folio_add_new_anon_rmap(w, f, vma, base, true, false);
		for (unsigned i = 0; i < nr; i++)
			pl_set_pte(w, &ptep[i], (vma->vm_flags & VM_WRITE) ?
				   pte_mkdirty(pl_mk_pte(vma, folio_pfn(f) + i, true)) :
				   pl_mk_pte(vma, folio_pfn(f) + i, true));
		pl_spin_unlock(w, ptl);
		return true;
	}
	return false;
}

/*
 * The end of do_anonymous_page() and do_cow_fault(): under the PTL, map the
 * new anon folio @f by @entry unless the PTE was filled meanwhile (a fault
 * that ran first won: @f is dropped).  The allocation's reference becomes
 * the mapping's.  Return: true if @f was mapped.
 */
static bool set_pte_new_anon(struct world *w, struct vm_area_struct *vma, pl_addr addr,
			     pte_t *ptep, struct pl_lock *ptl, struct folio *f, pte_t entry)
{
	pl_spin_lock(w, ptl);
	if (!pte_none(pl_ptep_get(w, ptep))) {
		pl_spin_unlock(w, ptl);
		folio_put(w, f);
		return false;
	}
	folio_add_new_anon_rmap(w, f, vma, addr, true, false);
	pl_set_pte(w, ptep, entry);
	pl_spin_unlock(w, ptl);
	return true;
}

static unsigned do_anonymous_page(struct world *w, struct mm_struct *mm,
				  struct vm_area_struct *vma, pl_addr addr, pte_t *ptep,
				  unsigned flags)
{
	struct pl_lock *ptl = &pl_ptetab_of(ptep, addr)->ptl;	/* pl_pte_lockptr() */
	struct folio *f;
	pte_t entry;

	/*
	 * Read fault: map the shared zero page, R/O and special -- unless the
	 * machine never maps it (host fact zero_page off, a vendor kernel's
	 * pvm_no_zero_page=1): then a read allocates like a write below.
	 */
	if (!(flags & FAULT_FLAG_WRITE) && w->zero_page) {
		entry = pfn_pte(w->zero_pfn, _PAGE_PRESENT | _PAGE_SPECIAL | _PAGE_ACCESSED);
		pl_spin_lock(w, ptl);
		if (pte_none(pl_ptep_get(w, ptep)))
			pl_set_pte(w, ptep, entry);
		pl_spin_unlock(w, ptl);
		return 0;
	}
	anon_vma_prepare(w, vma);
	if (alloc_anon_folio_mthp(w, mm, vma, addr))
		return 0;
	f = folio_alloc(w, 0);
	if (!f)
		return VM_FAULT_OOM;
	/* dirty when writable (a read fault without the zero page may map R/O) */
	entry = pl_mk_pte(vma, folio_pfn(f), true);
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkdirty(entry);
	set_pte_new_anon(w, vma, addr, ptep, ptl, f, entry);
	return 0;
}

static uint32_t linear_page_index(const struct vm_area_struct *vma, pl_addr addr)
{
	return (uint32_t)(((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff);
}

/* Map one page-cache page at addr (set_pte_range / finish_fault). */
static void map_file_pte(struct world *w, struct vm_area_struct *vma, pte_t *ptep,
			 struct folio *f, uint32_t idx, bool write)
{
	struct page *p = folio_page(f, idx - f->page.index);
	pte_t entry = pl_mk_pte(vma, page_to_pfn(w, p), write);

	if (write)
		entry = pte_mkdirty(entry);
	if (vma->vm_flags & VM_PFNMAP) {
		/*
		 * remap_pfn_range(): a special PTE with no reference and no rmap
		 * (the model's "device" memory is the unlinked file's page, which
		 * the file keeps).  vm_normal_page() sees no page behind it, so GUP
		 * (fast or slow), zap and fork leave the page alone.
		 */
		pl_set_pte(w, ptep, entry | _PAGE_SPECIAL);
		return;
	}
	folio_get(w, f);
	folio_add_file_rmap_pte(w, f, p, vma);
	pl_set_pte(w, ptep, entry);
}

/* The PTE a read fault gives a page-cache page of @vma (do_read_fault and fault-around). */
static void map_file_pte_read(struct world *w, struct vm_area_struct *vma, pte_t *ptep,
			      struct folio *f, uint32_t idx)
{
	/* shared mappings without writenotify map writable (vm_page_prot), clean */
	bool mkwrite = (vma->vm_flags & VM_SHARED) && !vma_wants_writenotify(w, vma);

	map_file_pte(w, vma, ptep, f, idx, mkwrite);
	if (mkwrite)
		pl_set_pte(w, ptep, pte_mkclean(*ptep));
}

/*
 * Fault-around (vm_ops->map_pages, 8c6e50b0290c, v3.15): a read fault of a
 * file page first maps the neighbours that are already in the page cache,
 * so reading g[2] of a filled tmpfs or ext4 file makes g[0] present too.
 * Read in Debian linux-source-6.1 (6.1.x) and -6.12 (6.12.x) mm/memory.c,
 * mm/filemap.c, mm/shmem.c and include/linux/userfaultfd_k.h; the same on
 * every preset (4.8 on), so there is no knob:
 *
 *  - do_read_fault() only: do_cow_fault (private write) and
 *    do_shared_fault (shared write) never fault around.
 *  - should_fault_around(): the vma has ->map_pages (ext4 and shmem --
 *    tmpfs, memfd, shared anonymous -- use filemap_map_pages(); hugetlbfs,
 *    secretmem, fsdax and a driver's PFN map have none), is not
 *    userfaultfd-wp or -minor registered (uffd_disable_fault_around(),
 *    since those flags came to file vmas in 5.13; the model registers
 *    uffd-wp on anonymous vmas only and has no minor mode), and
 *    fault_around_bytes (debugfs, default 64 KiB) is more than a page.
 *  - do_fault_around(): the window is fault_around_bytes long, aligned
 *    down to its size, its start clamped up to vm_start, its end clamped
 *    to the vma and to the faulting page table (512 entries).  6.4 rewrote
 *    the arithmetic (9042599e81c2, "mm: refactor do_fault_around()",
 *    checked against the old code for equal output) and counts
 *    fault_around_pages (53d36a56d8c4); the window did not change.
 *  - filemap_map_pages(): each index of the window below i_size whose
 *    folio is in the cache, uptodate, not PG_readahead, not locked (a
 *    trylock), not hwpoisoned, at a pte_none() slot, gets the PTE a read
 *    fault gives it, one reference and one mapcount per page (6.1: a
 *    reference per page; 6.12: folio_ref_add() per folio for its pages).
 *    Swapped-out shmem slots (value entries) are skipped.  A PMD-size
 *    folio is mapped by a PMD (filemap_map_pmd()); the model's tmpfs and
 *    ext4 folios are all order 0, so it never applies here.
 *
 * The kernel maps the neighbours before it faults the target page; the
 * model does it after, under the same page-table lock: the PTEs, counts
 * and contents are the same.  Not modelled: readahead, which on an ext4
 * file the model never filled would bring neighbours into the cache that
 * a later fault then maps.
 */
#define FAULT_AROUND_PAGES 16u	/* fault_around_bytes: 64 KiB of 4 KiB pages */

static bool should_fault_around(const struct vm_area_struct *vma, const struct pl_file *file)
{
	if (file->fs == PL_FS_HUGETLBFS || file->secret || file->dax ||
	    (vma->vm_flags & (VM_HUGETLB | VM_PFNMAP | VM_SECRETMEM)))
		return false;		/* no ->map_pages */
	if (vma->vm_flags & VM_UFFD_WP)
		return false;		/* uffd_disable_fault_around() */
	return FAULT_AROUND_PAGES > 1;
}

/* filemap_map_pages(): map [@start, @end] of @file's cached pages at @addr. */
static void filemap_map_pages(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			      struct pl_file *file, pl_addr addr, uint32_t start, uint32_t end)
{
	for (uint32_t idx = start; idx <= end && idx < file->nr_pages;
	     idx++, addr += PAGE_SIZE) {
		pl_pfn pfn = pl_file_cache(file, idx);
		struct folio *f;
		pte_t *ptep;

		if (pfn != PL_PFN_NONE)
			f = pfn_folio(w, pfn);
		else if (pl_file_prefilled(file, idx))
			f = filemap_get_folio(w, file, idx, true);	/* cached in the kernel */
		else
			continue;
		if (!f || (f->page.flags & PG_locked))
			continue;
		ptep = pl_pte_lookup(mm, addr);
		if (ptep && pte_none(pl_ptep_get(w, ptep)))
			map_file_pte_read(w, vma, ptep, f, idx);
	}
}

/* do_fault_around(): the window around @addr, then filemap_map_pages(). */
static void do_fault_around(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			    struct pl_file *file, pl_addr addr)
{
	uint32_t nr = FAULT_AROUND_PAGES;
	uint64_t pte_off = (addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1);	/* pte_index() */
	uint64_t vma_off = (addr - vma->vm_start) >> PAGE_SHIFT;
	uint64_t vma_pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
	uint64_t from = PL_MAX(pte_off & ~(uint64_t)(nr - 1), pte_off - PL_MIN(pte_off, vma_off));
	uint64_t to = PL_MIN(PL_MIN(from + nr, (uint64_t)PTRS_PER_TABLE),
			     pte_off + vma_pages - vma_off) - 1;
	uint32_t idx = linear_page_index(vma, addr);

	filemap_map_pages(w, mm, vma, file, addr - ((pte_off - from) << PAGE_SHIFT),
			  idx - (uint32_t)(pte_off - from), idx + (uint32_t)(to - pte_off));
}

/*
 * do_read_fault / do_cow_fault / do_shared_fault (mm/memory.c): the three
 * ways a file-backed PTE is born.
 */
static unsigned do_fault(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 pl_addr addr, pte_t *ptep, unsigned flags)
{
	struct pl_lock *ptl = pl_pte_lockptr(mm, addr);
	struct pl_file *file = pl_file_get(w, vma->file);
	uint32_t idx = linear_page_index(vma, addr);
	bool write = flags & FAULT_FLAG_WRITE;
	struct folio *f, *copy;
	pte_t entry;

	if (!file || idx >= file->nr_pages)
		return VM_FAULT_SIGBUS;
	f = filemap_get_folio(w, file, idx, true);
	if (!f)
		return VM_FAULT_OOM;
	if (write && !(vma->vm_flags & VM_SHARED)) {
		/* do_cow_fault: a private copy of the page-cache page */
		anon_vma_prepare(w, vma);
		copy = folio_alloc(w, 0);
		if (!copy)
			return VM_FAULT_OOM;
		folio_page(copy, 0)->token = folio_page(f, idx - f->page.index)->token;
		entry = pte_mkdirty(pl_mk_pte(vma, folio_pfn(copy), true));
		if (!set_pte_new_anon(w, vma, addr, ptep, ptl, copy, entry))
			return 0;
		pl_event_emit(w, PL_EV_COW, "do_cow_fault", "private file write", addr,
			      page_to_pfn(w, folio_page(f, idx - f->page.index)), folio_pfn(copy),
			      "page cache -> anon copy");
		return 0;
	}
	if (write) {
		/* do_shared_fault: the filesystem hears about the write first */
		if (vma_wants_writenotify(w, vma))
			page_mkwrite(w, vma, f);
		folio_mark_dirty(w, f);
	}
	pl_spin_lock(w, ptl);
	if (pte_none(pl_ptep_get(w, ptep))) {
		if (write)
			map_file_pte(w, vma, ptep, f, idx, true);
		else
			map_file_pte_read(w, vma, ptep, f, idx);	/* do_read_fault */
	}
	if (!write && should_fault_around(vma, file))
		do_fault_around(w, mm, vma, file, addr);
	pl_spin_unlock(w, ptl);
	return 0;
}

/* ---------------------------------------------------------------------------
 * do_wp_page() and its helpers.
 */

/*
 * The refcount rule's last test (wp_can_reuse_anon_folio()): ours is the
 * only reference once the swap cache, if it holds the folio, lets go of it
 * under the folio lock.
 */
static bool wp_reuse_sole_reference(struct world *w, struct folio *f)
{
	if (folio_ref_count(w, f) > 1u + (folio_test_swapcache(f) ? 1u : 0u))
		return false;
	/*
	 * Not in the swap cache and no sync hook (nothing can take the lock or
	 * a reference between the trylock and the unlock): the trylock's
	 * answer and the refcount test decide, and PG_locked would be set and
	 * cleared again.  Under the explorer both stay its scheduling points.
	 */
	if (!w->hooks.sync && !folio_test_swapcache(f))
		return !(f->page.flags & PG_locked) && f->page._refcount == 1;
	if (!folio_trylock(w, f))
		return false;
	if (folio_test_swapcache(f))
		folio_free_swap(w, f);
	if (folio_ref_count(w, f) != 1) {
		folio_unlock(w, f);
		return false;
	}
	folio_unlock(w, f);
	return true;
}

/*
 * wp_can_reuse_large_anon_folio(): a non-exclusive page of a PTE-mapped
 * large anon folio in the refcount eras (knob large_anon_reuse).
 *
 *  refcount (v5.9 - v6.8): the small-folio test sees the folio's refcount,
 *	which counts every mapped page: reuse only when the faulting page is
 *	the last one mapped and nothing else holds the folio (the swap cache
 *	is freed first if that is all that holds it).
 *  never (cd197c3a2040, v6.9): copy the faulting page and give the large
 *	folio back sooner.
 *  mm_id (1da190f4d0a6, v6.15): reuse when more than one page is mapped,
 *	the folio is not "maybe mapped shared" (no other mm maps it), and every
 *	reference is one of those mappings: large mapcount == refcount, after
 *	freeing the swap cache under a folio trylock.  The kernel re-checks
 *	under folio_lock_large_mapcount(), which nothing in the model can
 *	interleave with.  A pin or any GUP reference makes it copy.
 */
static bool wp_can_reuse_large_anon_folio(struct world *w, struct folio *f,
					  struct mm_struct *mm)
{
	int mapcount = folio_mapcount(f);

	switch (w->policy.large_anon_reuse) {
	case LARGE_REUSE_NEVER:
		return false;
	case LARGE_REUSE_MM_ID:
		if (mapcount <= 1 || folio_test_large_maybe_mapped_shared(f))
			return false;
		if (folio_test_swapcache(f)) {
			if (!folio_trylock(w, f))
				return false;
			folio_free_swap(w, f);
			folio_unlock(w, f);
		}
		if ((uint32_t)folio_mapcount(f) != folio_ref_count(w, f))
			return false;
		/* every mapping is ours: the one slot that is not free is this mm */
		PL_BUG_ON(folio_mm_ids(f)->_mm_id[0] != mm->id &&
			  folio_mm_ids(f)->_mm_id[1] != mm->id);
		return true;
	default:
		if (mapcount != 1)
			return false;
		return wp_reuse_sole_reference(w, f);
	}
}

bool pl_wp_large_anon_would_reuse(const struct world *w, const struct folio *f, const char **why)
{
	uint32_t refs = f->page._refcount, maps = (uint32_t)folio_mapcount(f);
	uint32_t cache = folio_test_swapcache(f) ? folio_nr_pages(f) : 0;
	int most = 0;

	if (folio_test_ksm(f)) {
		*why = "KSM pages are never reused";
		return false;
	}
	if (w->policy.anon_reuse == REUSE_MAPCOUNT) {
		for (unsigned i = 0; i < folio_nr_pages(f); i++)
			most = PL_MAX(most, folio_page((struct folio *)f, i)->_mapcount);
		most += f->page._entire_mapcount;
		*why = most == 1 ? "anon_reuse=mapcount: no page of the folio is mapped twice"
				 : "anon_reuse=mapcount: a page of the folio is mapped twice";
		return most == 1;
	}
	switch (w->policy.large_anon_reuse) {
	case LARGE_REUSE_NEVER:
		*why = "large_anon_reuse=never: large folios are not reused (cd197c3a2040)";
		return false;
	case LARGE_REUSE_MM_ID:
		if (maps <= 1) {
			*why = "large_anon_reuse=mm_id: one page mapped, give the folio back";
			return false;
		}
		if (folio_test_large_maybe_mapped_shared(f)) {
			*why = "large_anon_reuse=mm_id: maybe mapped shared (another mm holds or held a slot)";
			return false;
		}
		if (maps + cache != refs) {
			*why = "large_anon_reuse=mm_id: references other than this mm's mappings";
			return false;
		}
		*why = "large_anon_reuse=mm_id: one mm maps it and every reference is a mapping";
		return true;
	default:
		if (maps != 1 || refs - cache != 1) {
			*why = "large_anon_reuse=refcount: refcount is not 1 (other pages mapped or held)";
			return false;
		}
		*why = "large_anon_reuse=refcount: the last mapped page, nothing else holds it";
		return true;
	}
}

/*
 * wp_can_reuse_anon_folio(): may the faulting process write to this
 * (non-exclusive) anon folio in place?  The whole history of COW is in here.
 */
static bool wp_can_reuse_anon_folio(struct world *w, struct folio *f, struct mm_struct *mm)
{
	/*
	 * A PTE-level fault follows the small-page rule even on a PTE-mapped
	 * THP: 09854ba94c6a's refcount test saw the compound page's count.
	 * Only do_huge_pmd_wp_page() and swap-in kept mapcount reuse until
	 * v5.18 (knob thp_swap_reuse).
	 */
	uint8_t rule = w->policy.anon_reuse;

	if (folio_test_ksm(f))
		return false;
	if (rule == REUSE_MAPCOUNT) {
		/*
		 * reuse_swap_page() (c475a8ab625d .. v5.17): mapcount + swapcount
		 * == 1.  References that are not mappings -- GUP, the pipe of
		 * vmsplice -- are invisible here: CVE-2020-29374.  For a THP it
		 * used page_trans_huge_mapcount() (6d0a07edd17c): the largest
		 * mapcount of any one subpage, PMD maps included.
		 */
		int count = folio_mapcount(f);

		if (folio_test_large(f)) {
			count = 0;
			for (unsigned i = 0; i < folio_nr_pages(f); i++)
				count = PL_MAX(count, folio_page(f, i)->_mapcount);
			count += f->page._entire_mapcount;
		}

		if (folio_test_swapcache(f))
			count += w->swap[f->page.swap].count;
		if (count != 1)
			return false;
		/*
		 * do_wp_page() decided under the page lock (lock_page(), then
		 * PageKsm() and reuse_swap_page()).  The kernel sleeps for the
		 * lock and re-checks; the model copies when it is taken.  That
		 * is the kernel's result whenever the holder is ksmd, which
		 * marks the page PageKsm before it unlocks and holds a
		 * reference meanwhile, so the page is never reused under it.
		 */
		if (!folio_trylock(w, f))
			return false;
		if (folio_test_ksm(f)) {
			folio_unlock(w, f);
			return false;
		}
		if (folio_test_swapcache(f) && !(f->page.flags & PG_writeback)) {
			folio_free_swap(w, f);
			folio_mark_dirty(w, f);
		}
		folio_unlock(w, f);
		return true;
	}
	/* refcount rule, 09854ba94c6a (v5.9): reuse only if ours is the only reference */
	if (folio_test_large(f))
		return wp_can_reuse_large_anon_folio(w, f, mm);
	if (folio_ref_count(w, f) > 3)
		return false;
	return wp_reuse_sole_reference(w, f);
}

/*
 * missed-cow: reusing a folio while another mm holds a GUP reference to it
 * lets that reference see this process's future writes (CVE-2020-29374).
 * Event invariant; the kernel avoids it by the refcount rule (09854ba94c6a)
 * and by unsharing on R/O pins (a7f226604170).
 */
static void check_missed_cow(struct world *w, struct mm_struct *mm, struct folio *f, pl_addr addr)
{
	if (f->page.gup_gets + f->page.gup_pins == 0 || f->page.gup_holder == mm->id)
		return;
	pl_violation(w, "missed-cow", pl_mm_pid(w, mm), addr, folio_pfn(f),
		     "reused folio with %u GUP reference(s) held by another process",
		     (unsigned)(f->page.gup_gets + f->page.gup_pins));
}

/* The rule that decided do_wp_page() on a non-exclusive anon page, for events. */
static const char *wp_reuse_rule(const struct world *w, const struct folio *f)
{
	static const char *const large[] = {
		[LARGE_REUSE_REFCOUNT] = "large_anon_reuse=refcount",
		[LARGE_REUSE_NEVER] = "large_anon_reuse=never: copy the faulting page (cd197c3a2040)",
		[LARGE_REUSE_MM_ID] = "large_anon_reuse=mm_id: all refs are this mm's maps (1da190f4d0a6)",
	};

	if (!folio_test_large(f) || w->policy.anon_reuse == REUSE_MAPCOUNT ||
	    w->policy.large_anon_reuse >= PL_ARRAY_SIZE(large))
		return pl_rule_reuse(w, false);
	return large[w->policy.large_anon_reuse];
}

/* wp_page_reuse(): the PTE becomes writable and dirty, the page is ours. */
static void wp_page_reuse(struct world *w, struct vm_area_struct *vma, pl_addr addr,
			  pte_t *ptep, pte_t orig, bool unshare)
{
	pte_t entry = orig;

	if (unshare)
		return;		/* FAULT_FLAG_UNSHARE: exclusive now, still R/O */
	entry = pte_mkyoung(pte_mkdirty(entry));
	if (vma->vm_flags & VM_WRITE)
		entry = pte_mkwrite(entry);
	pl_set_pte(w, ptep, entry);
	(void)addr;
}

/*
 * wp_page_copy(): allocate, copy without the PTL, re-take it and install
 * the copy only if the PTE is still what we saw.  The old folio loses its
 * mapping only after the new PTE is in (invariant cow-pte-same).
 */
static unsigned wp_page_copy(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			     pl_addr addr, pte_t *ptep, pte_t orig, struct page *old_page,
			     bool unshare, const char *rule)
{
	struct pl_lock *ptl = &pl_ptetab_of(ptep, addr)->ptl;	/* pl_pte_lockptr() */
	struct folio *old = old_page ? page_folio(w, old_page) : NULL;
	struct folio *nf;
	pte_t entry;

	(void)mm;
	/* caller holds the PTL and a reference on old */
	pl_spin_unlock(w, ptl);
	pl_yield(w, YIELD_WP_COPY);
	anon_vma_prepare(w, vma);
	nf = folio_alloc(w, 0);
	if (!nf) {
		if (old)
			folio_put(w, old);
		pl_spin_lock(w, ptl);
		return VM_FAULT_OOM;
	}
	folio_page(nf, 0)->token = old_page ? old_page->token : PL_TOKEN_ZERO;
	pl_spin_lock(w, ptl);
	if (pl_ptep_get(w, ptep) != orig) {
		/* somebody changed the PTE meanwhile: drop our copy and refault */
		pl_spin_unlock(w, ptl);
		folio_put(w, nf);
		if (old)
			folio_put(w, old);
		pl_spin_lock(w, ptl);
		return 0;
	}
	entry = pl_mk_pte(vma, folio_pfn(nf), !unshare);
	if (unshare)
		entry |= orig & (_PAGE_SOFT_DIRTY | _PAGE_UFFD_WP);
	else
		entry = pte_mkdirty(entry);
	folio_add_new_anon_rmap(w, nf, vma, addr, true, false);
	pl_set_pte(w, ptep, entry);	/* ptep_clear_flush + set_pte_at */
	if (old) {
		folio_remove_rmap_pte(w, old, old_page, vma);
		folio_put(w, old);	/* the mapping's reference */
	}
	w->stats.cows += !unshare;
	w->stats.unshares += unshare;
	if (w->on_event)
		pl_event_emit(w, unshare ? PL_EV_UNSHARE : PL_EV_COW, "wp_page_copy", rule, addr,
			      old_page ? page_to_pfn(w, old_page) : w->zero_pfn, folio_pfn(nf),
			      "%s", unshare ? "unshared into a new exclusive anon page"
					    : "copied into a new anon page");
	if (old) {
		if (folio_test_swapcache(old) && folio_mapcount(old) == 0 &&
		    w->swap[old->page.swap].count == 0)
			folio_free_swap(w, old);	/* free_swap_cache() */
		folio_put(w, old);	/* our temporary reference */
	}
	return unshare ? 0 : VM_FAULT_WRITE;
}

/* wp_page_shared(): a write to a shared mapping -- never COW. */
static unsigned wp_page_shared(struct world *w, struct vm_area_struct *vma, pl_addr addr,
			       pte_t *ptep, pte_t orig, struct page *page)
{
	struct folio *f = page_folio(w, page);

	if (vma_wants_writenotify(w, vma))
		page_mkwrite(w, vma, f);
	folio_mark_dirty(w, f);
	pl_set_pte(w, ptep, pte_mkwrite(pte_mkyoung(pte_mkdirty(orig))));
	pl_event_emit(w, PL_EV_MKWRITE, "wp_page_shared", "VM_SHARED: no COW", addr,
		      page_to_pfn(w, page), page_to_pfn(w, page), NULL);
	return 0;
}

/* do_wp_page(): called with the PTL held; returns with it held. */
static unsigned do_wp_page(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			   pl_addr addr, pte_t *ptep, pte_t orig, unsigned flags)
{
	bool unshare = flags & FAULT_FLAG_UNSHARE;
	struct page *page = vm_normal_page(w, vma, addr, orig);
	struct folio *f;
	const char *rule;

	/*
	 * userfaultfd_pte_wp(): a write to a uffd-wp protected PTE in an armed
	 * vma goes to the monitor (handle_userfault(vmf, VM_UFFD_WP)); the
	 * model's monitor has UFFD_FEATURE_SIGBUS.  An unshare is no write.
	 */
	if (!unshare && (vma->vm_flags & VM_UFFD_WP) && pte_uffd_wp(orig)) {
		pl_event_emit(w, PL_EV_FAULT, "handle_userfault", "uffd_wp (63b2d4174c4a)", addr,
			      pte_pfn(orig), 0, "write to a uffd-wp protected page: userfault");
		return VM_FAULT_SIGBUS;
	}
	if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE)) {
		if (!page)
			return 0;
		if (unshare)
			return 0;
		return wp_page_shared(w, vma, addr, ptep, orig, page);
	}
	if (!page) {
		/* zero page: always copy (allocate a zeroed page) */
		return wp_page_copy(w, mm, vma, addr, ptep, orig, NULL, unshare,
				    "zero page is never reused");
	}
	f = page_folio(w, page);
	if (folio_test_anon(f)) {
		bool excl = pl_PageAnonExclusive(w, page);

		if (excl || wp_can_reuse_anon_folio(w, f, mm)) {
			check_missed_cow(w, mm, f, addr);
			if (w->policy.anon_exclusive)
				pl_page_flags_set(w, page, PG_anon_exclusive);
			wp_page_reuse(w, vma, addr, ptep, orig, unshare);
			w->stats.reuses++;
			/* the rule's name and the pfn only for a listener: no event otherwise */
			if (w->on_event)
				pl_event_emit(w, PL_EV_REUSE, "do_wp_page",
					      excl ? "anon_exclusive: PageAnonExclusive"
						   : wp_reuse_rule(w, f),
					      addr, page_to_pfn(w, page), page_to_pfn(w, page),
					      "%s", unshare ? "unshare: already exclusive, PTE stays R/O"
							    : "reused in place");
			return unshare ? 0 : VM_FAULT_WRITE;
		}
		rule = !w->on_event ? NULL
		       : folio_test_ksm(f) ? "KSM pages are never reused"
					   : wp_reuse_rule(w, f);
	} else {
		rule = "page cache page in a private mapping";
	}
	folio_get(w, f);
	return wp_page_copy(w, mm, vma, addr, ptep, orig, page, unshare, rule);
}

/* ---------------------------------------------------------------------------
 * do_swap_page().
 */
static unsigned do_swap_page(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			     pl_addr addr, pte_t *ptep, pte_t orig, unsigned flags)
{
	struct pl_lock *ptl = &pl_ptetab_of(ptep, addr)->ptl;	/* pl_pte_lockptr() */
	uint32_t slot = pte_swp_offset(orig);
	bool write = flags & FAULT_FLAG_WRITE;
	bool exclusive = false, mkwrite = false;
	struct folio *f;
	unsigned ret;
	pte_t entry;

	f = pl_swapcache_lookup(w, slot);
	if (f) {
		/* lookup_swap_cache(): a folio being freed meanwhile cannot be taken */
		if (!folio_try_get(w, f))
			return 0;
	} else {
		/* swapin_readahead(): read the slot into a new swap-cache folio */
		f = folio_alloc(w, 0);
		if (!f)
			return VM_FAULT_OOM;
		folio_page(f, 0)->token = w->swap[slot].token;
		f->page.flags |= PG_anon | PG_swapcache;
		pl_chk_folio_changed_at(w, folio_pfn(f));
		f->page.mapping = vma->anon_vma;
		f->page.index = linear_page_index(vma, addr);
		f->page.swap = slot;
		w->swap[slot].cache = folio_pfn(f);
		w->swap[slot].has_cache = true;
		folio_get(w, f);	/* the swap cache's reference + ours */
	}
	/* folio_lock_or_retry(): reclaim may be unmapping it or freeing its swap right now */
	folio_lock(w, f);
	if (!folio_test_swapcache(f) || f->page.swap != slot) {
		/* it left the swap cache meanwhile: refault */
		folio_unlock(w, f);
		folio_put(w, f);
		return 0;
	}
	pl_spin_lock(w, ptl);
	if (pl_ptep_get(w, ptep) != orig) {
		pl_spin_unlock(w, ptl);
		folio_unlock(w, f);
		folio_put(w, f);
		return 0;
	}
	/* a swap PTE never points at a swap-cache page that is still exclusive */
	PL_BUG_ON(pl_PageAnonExclusive(w, &f->page));
	swap_free(w, slot);
	if (folio_test_ksm(f)) {
		exclusive = false;
	} else if (w->policy.thp_swap_reuse == REUSE_MAPCOUNT) {
		/*
		 * reuse_swap_page() (until v5.17): on a write fault, reuse if
		 * mapcount + swapcount == 1 -- this entry was the only user.
		 * GUP references are not counted.
		 */
		if (write && folio_mapcount(f) + w->swap[slot].count == 0) {
			exclusive = mkwrite = true;
			if (folio_test_swapcache(f))
				folio_free_swap(w, f);
		}
	} else {
		/*
		 * v5.18+ (c145e0b47c77): drop the swap cache on a write fault when
		 * nobody else holds the folio (should_try_to_free_swap), then reuse
		 * if the swap PTE was exclusive (1493a1913e34, knob swp_exclusive)
		 * or ours is the only reference left.
		 */
		exclusive = w->policy.swp_exclusive && pte_swp_exclusive(orig);
		if (folio_test_swapcache(f) && w->swap[slot].count == 0 && write &&
		    folio_ref_count(w, f) == 2)
			folio_free_swap(w, f);
		if (exclusive || folio_ref_count(w, f) == 1)
			exclusive = mkwrite = true;
	}
	if (!write && w->policy.thp_swap_reuse == REUSE_MAPCOUNT)
		mkwrite = false;
	/* a protected page stays read-only until the monitor resolves it */
	if ((vma->vm_flags & VM_UFFD_WP) && pte_uffd_wp(orig))
		mkwrite = false;
	entry = pl_mk_pte(vma, folio_pfn(f), mkwrite && (vma->vm_flags & VM_WRITE));
	if (mkwrite && (vma->vm_flags & VM_WRITE))
		entry = pte_mkdirty(entry);
	if (!(vma->vm_flags & VM_WRITE))
		entry = pte_wrprotect(entry);
	/* pte_swp_uffd_wp() -> pte_mkuffd_wp(): the marker survives swap (f45ec5ff16a7) */
	entry |= orig & _PAGE_UFFD_WP;
	/* our reference becomes the mapping's reference */
	folio_add_anon_rmap_pte(w, f, &f->page, vma, exclusive);
	if (exclusive && pte_write(entry))
		check_missed_cow(w, mm, f, addr);
	pl_set_pte(w, ptep, entry);
	folio_unlock(w, f);
	w->stats.swapins++;
	pl_event_emit(w, PL_EV_SWAPIN, "do_swap_page",
		      w->policy.swp_exclusive ? "swp_exclusive" : pl_rule_reuse(w, true), addr, 0,
		      folio_pfn(f), "%s%s", exclusive ? "exclusive" : "shared",
		      pte_write(entry) ? ", writable" : ", R/O");
	ret = 0;
	if (write && !pte_write(entry) && (vma->vm_flags & VM_WRITE))
		ret = do_wp_page(w, mm, vma, addr, ptep, entry, flags);
	pl_spin_unlock(w, ptl);
	return ret;
}

/* ---------------------------------------------------------------------------
 * handle_mm_fault().
 */

/* sanitize_fault_flags(): unsharing only means something in a COW mapping. */
static unsigned sanitize_fault_flags(struct vm_area_struct *vma, unsigned flags)
{
	if ((flags & FAULT_FLAG_UNSHARE) && !is_cow_mapping(vma->vm_flags))
		flags &= ~FAULT_FLAG_UNSHARE;
	PL_BUG_ON((flags & FAULT_FLAG_UNSHARE) && (flags & FAULT_FLAG_WRITE));
	return flags;
}

static unsigned handle_pte_fault(struct world *w, struct mm_struct *mm,
				 struct vm_area_struct *vma, pl_addr addr, pte_t *ptep,
				 unsigned flags)
{
	struct pl_lock *ptl = &pl_ptetab_of(ptep, addr)->ptl;	/* pl_pte_lockptr() */
	pte_t orig = pl_ptep_get(w, ptep);
	unsigned ret = 0;

	if (pte_none(orig)) {
		if (vma->file < 0)
			return do_anonymous_page(w, mm, vma, addr, ptep, flags);
		return do_fault(w, mm, vma, addr, ptep, flags);
	}
	if (is_migration_entry(orig)) {
		migration_entry_wait(w, orig);	/* then the access retries */
		return 0;
	}
	if (is_swap_pte(orig))
		return do_swap_page(w, mm, vma, addr, ptep, orig, flags);
	pl_spin_lock(w, ptl);
	if (pl_ptep_get(w, ptep) != orig)
		goto unlock;
	/*
	 * A prot-none PTE in an inaccessible vma is an ordinary PTE without
	 * permissions (the user path refused the access already); only FOLL_FORCE
	 * gets here, and a forced write COWs like any R/O PTE.  The model makes
	 * no NUMA-hinting prot-none PTEs.
	 */
	if ((flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pte_write(orig)) {
		ret = do_wp_page(w, mm, vma, addr, ptep, orig, flags);
		goto unlock;
	}
	if (flags & FAULT_FLAG_WRITE)
		pl_set_pte(w, ptep, pte_mkdirty(pte_mkyoung(orig)));
	else
		pl_set_pte(w, ptep, pte_mkyoung(orig));
unlock:
	pl_spin_unlock(w, ptl);
	return ret;
}

/**
 * handle_mm_fault() - resolve one fault at @addr of @vma.
 * @fault_flags: FAULT_FLAG_WRITE / FAULT_FLAG_UNSHARE / FAULT_FLAG_REMOTE
 *
 * Permission checks are the caller's (the user access path or GUP's
 * check_vma_flags), as in the kernel's arch fault handler.
 * Return: 0 or VM_FAULT_* error bits.
 */
static unsigned __handle_mm_fault(struct world *w, struct mm_struct *mm,
				  struct vm_area_struct *vma, pl_addr addr, unsigned fault_flags);

unsigned handle_mm_fault(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 pl_addr addr, unsigned fault_flags)
{
	unsigned ret;

	addr &= PAGE_MASK;
	fault_flags = sanitize_fault_flags(vma, fault_flags);
	w->stats.faults++;
	/* the gfp of this fault: page-cache folios it creates take the vma's placement */
	w->alloc_zone = w->memalloc_pin ? PL_ZONE_NORMAL : vma->vm_placement;
	ret = __handle_mm_fault(w, mm, vma, addr, fault_flags);
	w->alloc_zone = PL_ZONE_NORMAL;
	return ret;
}

/*
 * handle_mm_fault() of a user access whose lookup found @ptep, a non-none
 * entry of a PTE table for @addr in a vma that is not hugetlb: there
 * __handle_mm_fault()'s walks find that same table and change nothing (no
 * THP fault goes where a PTE is; the slots are marked already), so the fault
 * starts at handle_pte_fault().  Only with no explorer hook, so the hook
 * sees the same calls either way.
 */
static unsigned handle_mm_fault_pte(struct world *w, struct mm_struct *mm,
				    struct vm_area_struct *vma, pl_addr addr, pte_t *ptep,
				    unsigned fault_flags)
{
	unsigned ret;

	addr &= PAGE_MASK;
	fault_flags = sanitize_fault_flags(vma, fault_flags);
	w->stats.faults++;
	w->alloc_zone = w->memalloc_pin ? PL_ZONE_NORMAL : vma->vm_placement;
	ret = handle_pte_fault(w, mm, vma, addr, ptep, fault_flags);
	w->alloc_zone = PL_ZONE_NORMAL;
	return ret;
}

static unsigned __handle_mm_fault(struct world *w, struct mm_struct *mm,
				  struct vm_area_struct *vma, pl_addr addr, unsigned fault_flags)
{
	pmd_t *pmdp;
	pte_t *ptep;
	unsigned ret;

	if (vma->vm_flags & VM_HUGETLB)
		return hugetlb_fault(w, mm, vma, addr, fault_flags);
	pmdp = pl_pmd_alloc(w, mm, addr);
	if (*pmdp == 0 && pl_thp_suitable(w, vma, addr) && pl_pmd_free_empty_ptetab(w, mm, addr)) {
		ret = do_huge_pmd_anonymous_page(w, mm, vma, addr, fault_flags);
		if (ret != VM_FAULT_RETRY)	/* RETRY = fall back to PTEs */
			return ret;
	}
	if (pmd_leaf(*pmdp)) {
		pmd_t orig = *pmdp;

		if ((fault_flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) && !pte_write(orig)) {
			ret = do_huge_pmd_wp_page(w, mm, vma, addr, pmdp, orig, fault_flags);
			if (ret != VM_FAULT_RETRY)
				return ret;
		} else {
			*pmdp = pte_mkyoung(orig);
			if (fault_flags & FAULT_FLAG_WRITE)
				*pmdp = pte_mkdirty(*pmdp);
			return 0;
		}
	}
	ptep = pl_pte_alloc(w, mm, addr);
	PL_BUG_ON(!ptep);
	return handle_pte_fault(w, mm, vma, addr, ptep, fault_flags);
}

/* ---------------------------------------------------------------------------
 * User access: a load or store by a task, as the CPU and the arch fault
 * handler do it.
 */

/* user_lookup()'s last step: the PTE @ptep of a table, its slot marked used. */
static inline struct page *user_lookup_pte(struct world *w, pte_t *ptep, bool write,
					   pte_t **ptep_out, pte_t **slot_out)
{
	pte_t pte = *ptep;

	*slot_out = ptep;
	if (!pte_present(pte) || pte_protnone(pte) || (write && !pte_write(pte)))
		return NULL;
	*ptep_out = ptep;
	return pfn_to_page(w, pte_pfn(pte));
}

/* Where does addr currently point, if the access may proceed without a fault? */
static struct page *user_lookup(struct world *w, struct mm_struct *mm, pl_addr addr, bool write,
				pte_t **ptep_out, pte_t **slot_out)
{
	pud_t *pudp;
	pmd_t *pmdp;
	struct pl_ptetab *t = pl_walk_lookup(mm, addr, &pudp, &pmdp);
	pte_t *ptep;
	pte_t pte;

	*ptep_out = NULL;
	*slot_out = NULL;
	if (pudp && pud_leaf(*pudp)) {
		/* a 1 GiB hugetlb page: the subpage is the offset inside it */
		pte = *pudp;
		if (!pte_present(pte) || pte_protnone(pte) || (write && !pte_write(pte)))
			return NULL;
		*ptep_out = pudp;
		return pfn_to_page(w, pte_pfn(pte) + (pl_pfn)((addr & ~PUD_MASK) >> PAGE_SHIFT));
	}
	if (pmdp && pmd_leaf(*pmdp)) {
		pte = *pmdp;
		if (!pte_present(pte) || pte_protnone(pte) || (write && !pte_write(pte)))
			return NULL;
		*ptep_out = pmdp;
		return pfn_to_page(w, pte_pfn(pte) + (pl_pfn)((addr & ~PMD_MASK) >> PAGE_SHIFT));
	}
	if (!t)
		return NULL;
	ptep = &t->pte[(addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1)];
	pl_table_mark(t->used, (unsigned)((addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1)));
	return user_lookup_pte(w, ptep, write, ptep_out, slot_out);
}

/* A sub-page store: bytes [off, off + n) of the page. */
struct user_patch {
	uint32_t off, n;
	const void *bytes;
};

static int user_access(struct world *w, int pid, pl_addr addr, bool write, pl_token *tok,
		       const struct user_patch *patch)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	struct vm_area_struct *vma;
	struct pl_lock *lock;
	pte_t *known = NULL;	/* the slot a fault from the lookup's entry left */
	int ret = -EFAULT;

	if (!mm)
		return -ESRCH;
	w->cur_pid = pid;
	/*
	 * From 6.4 (knob per_vma_lock, 0bff0aaea03e) the arch fault handler
	 * first tries lock_vma_under_rcu(): the vma's lock for reading and no
	 * mmap_lock.  A vma being changed is write-locked (vma_start_write()),
	 * and the fault then waits (in the kernel it falls back to mmap_lock,
	 * held by the writer: the same wait).  fork() write-locks the parent's
	 * vmas only from fb49c455323f (knob fork_locks_vmas).
	 */
	lock = w->policy.per_vma_lock ? pl_mm_vma_lock(w, mm) : &mm->mmap_lock;
	pl_down_read(w, lock);
	vma = pl_vma_lookup(mm, addr);	/* vma_lookup() */
	if (!vma || !(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
		goto out;	/* SIGSEGV */
	for (int tries = 0; tries < 8; tries++) {
		pte_t *ptep, *slot;
		struct page *p;
		unsigned fr;

		/*
		 * A load or store is one instruction through the TLB: it reads the
		 * translation and touches the page with nothing in between.  An
		 * unmap (migration, reclaim) clears and flushes the PTE before it
		 * copies or frees, so the access lands entirely before or after.
		 * The one scheduling point is therefore before the lookup.
		 */
		if (w->hooks.sync) {
			/* the entry's own address, looked up only for the hook */
			pte_t *sp = pl_pte_lookup(mm, addr);

			pl_sync(w, PL_SYNC_READ_ONCE, sp ? (const void *)sp : (const void *)mm);
		}
		/*
		 * After a fault from the entry the lookup found (no hook: see
		 * below), the walk would end at that same slot, marked already:
		 * handle_pte_fault() on a non-none entry neither frees nor
		 * replaces the table, nor makes the PMD a leaf.  Read the slot.
		 */
		if (known)
			p = user_lookup_pte(w, known, write, &ptep, &slot);
		else
			p = user_lookup(w, mm, addr, write, &ptep, &slot);

		if (p) {
			struct folio *f = page_folio(w, p);

			if (write) {
				/*
				 * private-file-write: a COW mapping must never write a
				 * page-cache page (Dirty COW, CVE-2016-5195; CVE-2022-2590).
				 */
				if (!folio_test_anon(f) && is_cow_mapping(vma->vm_flags))
					pl_violation(w, "private-file-write", pid, addr,
						     page_to_pfn(w, p),
						     "store through a private mapping hit the page cache");
				*ptep = pte_mkdirty(pte_mkyoung(*ptep));
				PL_BUG_ON(folio_test_zero(f));
				/* the store itself: no scheduling point */
				p->token = patch ? pl_token_patch(w, p->token, patch->off,
								  patch->bytes, patch->n)
						 : *tok;
				pl_chk_mark_page(w, p);
			} else {
				*tok = folio_test_zero(f) ? PL_TOKEN_ZERO : p->token;
			}
			ret = 0;
			goto out;
		}
		known = NULL;
		if (slot && !pte_none(*slot) && !(vma->vm_flags & VM_HUGETLB) && !w->hooks.sync &&
		    !w->hooks.yield) {
			fr = handle_mm_fault_pte(w, mm, vma, addr, slot,
						 write ? FAULT_FLAG_WRITE : 0);
			known = slot;
		} else {
			fr = handle_mm_fault(w, mm, vma, addr, write ? FAULT_FLAG_WRITE : 0);
		}
		if (fr & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_OOM)) {
			ret = pl_fault_error(fr);
			goto out;
		}
	}
	PL_BUG_ON("user access did not make progress after 8 faults");
out:
	pl_up_read(w, lock);
	return ret;
}

int pl_user_read(struct world *w, int pid, pl_addr addr, pl_token *out)
{
	return user_access(w, pid, addr, false, out, NULL);
}

int pl_user_write(struct world *w, int pid, pl_addr addr, pl_token tok)
{
	return user_access(w, pid, addr, true, &tok, NULL);
}

int pl_user_write_bytes(struct world *w, int pid, pl_addr addr, uint32_t off,
			const void *bytes, uint32_t n)
{
	struct user_patch patch = { .off = off, .n = n, .bytes = bytes };

	if (off > PAGE_SIZE || n > PAGE_SIZE - off)
		return -EINVAL;
	return user_access(w, pid, addr, true, NULL, &patch);
}
