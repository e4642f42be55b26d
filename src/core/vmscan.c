/*
 * The swap device and reclaim: the model of mm/swapfile.c, mm/swap_state.c,
 * the try_to_unmap() half of mm/rmap.c and shrink_folio_list() in
 * mm/vmscan.c.
 *
 * A swap slot is one entry of w->swap[], indexed by the swap offset that a
 * swap PTE carries.  Offset 0 is never handed out, so a zero offset always
 * means "no slot".
 *
 *   struct swap_slot   count      swap PTEs referencing it (swap_map)
 *                      has_cache  a folio is in the swap cache for it (SWAP_HAS_CACHE)
 *                      cache      that folio's pfn
 *                      token      what pageout() last wrote
 *
 *   a slot is free  <=>  count == 0 && !has_cache
 *
 * Swapping out one anon folio (shrink_folio_list):
 *
 *   mapped ---add_to_swap---> mapped + swap cache ---try_to_unmap---> swap cache only
 *   (PTE)     slot, +1 ref,    (PTE, slot.count 0)    swap PTE per       (slot.count = n)
 *             PG_dirty                                mapping, -1 ref
 *                                                         |
 *          freed <---__remove_mapping (refcount == 1, clean)---+---pageout: slot.token,
 *                                                                  clear PG_dirty
 *
 * The pin checks, in the order the kernel makes them:
 *   - feb889fb40fa (knob swapout_skip_pinned): a maybe-pinned folio is never
 *     even added to the swap cache; and once unmapped (it cannot gain new
 *     pins then) a maybe-pinned folio is not paged out or freed.
 *   - try_to_unmap_one: PTE cleared first, then __folio_try_share_anon_rmap()
 *     refuses for a pinned exclusive page (088b8aa537c2 pairs the two with a
 *     barrier against GUP-fast); the PTE is restored and the unmap aborted.
 *   - __remove_mapping: only a folio whose last reference is the swap cache
 *     is freed.  GET/PIN references keep it in the swap cache, where a later
 *     swap-in finds it again.
 *
 * Seed 003's hazard lives between pageout and the free: a GUP writer that
 * writes after pageout() and drops its reference without dirtying the folio
 * leaves a clean swap-cache folio whose data never reached the slot.
 * pl_reclaim_swapcache() frees it and reports "lost-write".
 */
#include "internal.h"

/* ---------------------------------------------------------------------------
 * Swap slots (mm/swapfile.c).
 */

/* swapon: more than 2^26 slots (256 GiB) is a typo, not a test. */
#define PL_SWAP_MAX_SLOTS (1u << 26)

static void swap_reserve(struct world *w, uint32_t n)
{
	uint32_t cap = w->cap_swap;

	if (n <= cap)
		return;
	while (cap < n)
		cap = cap ? 2 * cap : 64;
	w->swap = pl_realloc_array(w, w->swap, cap, sizeof(*w->swap));
	memset(w->swap + w->cap_swap, 0, (size_t)(cap - w->cap_swap) * sizeof(*w->swap));
	w->cap_swap = cap;
}

static inline bool swap_slot_free(const struct swap_slot *s)
{
	return s->count == 0 && !s->has_cache;
}

static inline bool swap_slot_valid(const struct world *w, uint32_t slot)
{
	return slot >= 1 && slot < w->nr_swap;
}

/**
 * pl_swapon() - enable a swap device of @nr_slots pages (offsets 1..nr_slots).
 * The slot array grows lazily, so a large device costs nothing until used.
 * Return: 0, -EINVAL (no slots, absurd size), -EBUSY (already on).
 */
int pl_swapon(struct world *w, uint32_t nr_slots)
{
	if (nr_slots == 0 || nr_slots > PL_SWAP_MAX_SLOTS)
		return -EINVAL;
	if (w->swap_max)
		return -EBUSY;
	swap_reserve(w, 1);
	w->nr_swap = PL_MAX(w->nr_swap, 1u);	/* offset 0: never used */
	w->swap_max = nr_slots;
	w->swap_free_hint = 1;
	return 0;
}

/* Claim slot @i: it was free, now it is ours with a clean state. */
static uint32_t swap_claim(struct world *w, uint32_t i)
{
	if (i >= w->nr_swap) {
		swap_reserve(w, i + 1);
		w->nr_swap = i + 1;
	} else if (w->swap[i].cache != PL_PFN_NONE) {
		pl_chk_mark_pfn(w, w->swap[i].cache);	/* a folio rule reads the slot */
	}
	memset(&w->swap[i], 0, sizeof(w->swap[i]));
	w->swap_free_hint = i + 1;
	return i;
}

/*
 * get_swap_page(): the first free slot at or after the hint, wrapping
 * around once.  Return: the offset, or 0 if the device is full.
 */
static uint32_t get_swap_page(struct world *w)
{
	uint32_t start = PL_MAX(w->swap_free_hint, 1u);

	if (!w->swap_max)
		return 0;
	for (uint32_t i = start; i <= w->swap_max; i++)
		if (i >= w->nr_swap || swap_slot_free(&w->swap[i]))
			return swap_claim(w, i);
	for (uint32_t i = 1; i < start && i <= w->swap_max; i++)
		if (i >= w->nr_swap || swap_slot_free(&w->swap[i]))
			return swap_claim(w, i);
	return 0;
}

/* The slot became free: forget its contents, let the allocator find it. */
static void swap_slot_release(struct world *w, uint32_t slot)
{
	w->swap[slot].token = PL_TOKEN_ZERO;
	w->swap[slot].written = false;
	if (slot < w->swap_free_hint)
		w->swap_free_hint = slot;
}

/** swap_duplicate() - one more swap PTE references @slot (fork, try_to_unmap). */
void swap_duplicate(struct world *w, uint32_t slot)
{
	struct swap_slot *s;

	PL_BUG_ON(!swap_slot_valid(w, slot));
	s = &w->swap[slot];
	PL_BUG_ON(swap_slot_free(s) || s->count == UINT16_MAX);
	pl_sync(w, PL_SYNC_ATOMIC, &s->count);
	s->count++;
}

/** swap_free() - a swap PTE referencing @slot went away (swap-in, zap). */
void swap_free(struct world *w, uint32_t slot)
{
	struct swap_slot *s;

	PL_BUG_ON(!swap_slot_valid(w, slot));
	s = &w->swap[slot];
	PL_BUG_ON(s->count == 0);
	pl_sync(w, PL_SYNC_ATOMIC, &s->count);
	s->count--;
	if (swap_slot_free(s))
		swap_slot_release(w, slot);
}

/**
 * pl_swap_put_cache() - the swap cache lets go of @slot (put_swap_folio):
 * SWAP_HAS_CACHE is cleared; with no swap PTE left the slot is free.  The
 * folio itself is the caller's business (see pl_swapcache_del()).
 */
void pl_swap_put_cache(struct world *w, uint32_t slot)
{
	struct swap_slot *s;

	PL_BUG_ON(!swap_slot_valid(w, slot));
	s = &w->swap[slot];
	pl_sync(w, PL_SYNC_WRITE_ONCE, &s->cache);
	if (s->cache != PL_PFN_NONE)
		pl_chk_mark_pfn(w, s->cache);
	s->has_cache = false;
	s->cache = PL_PFN_NONE;
	if (swap_slot_free(s))
		swap_slot_release(w, slot);
}

/**
 * pl_swapcache_lookup() - the swap-cache folio of @slot, or NULL.
 * No reference is taken for the caller (a model step runs to completion).
 */
struct folio *pl_swapcache_lookup(struct world *w, uint32_t slot)
{
	struct swap_slot *s;

	if (!swap_slot_valid(w, slot))
		return NULL;
	s = &w->swap[slot];
	pl_sync(w, PL_SYNC_READ_ONCE, &s->cache);
	if (!s->has_cache || s->cache == PL_PFN_NONE)
		return NULL;
	return pfn_folio(w, s->cache);
}

/** pl_swapcache_add() - add_to_swap_cache(): @f caches @slot; the cache takes a reference. */
void pl_swapcache_add(struct world *w, struct folio *f, uint32_t slot)
{
	struct swap_slot *s;

	PL_BUG_ON(!swap_slot_valid(w, slot) || folio_test_swapcache(f) || folio_test_large(f));
	s = &w->swap[slot];
	PL_BUG_ON(s->has_cache);
	folio_get(w, f);	/* marks the folio */
	f->page.swap = slot;
	pl_page_flags_set(w, &f->page, PG_swapcache);
	pl_sync(w, PL_SYNC_WRITE_ONCE, &s->cache);
	s->cache = folio_pfn(f);
	s->has_cache = true;
}

/**
 * pl_swapcache_del() - delete_from_swap_cache(): @f leaves the swap cache
 * and the cache's reference is dropped; @f may be freed on return.
 */
void pl_swapcache_del(struct world *w, struct folio *f)
{
	pl_swapcache_remove(w, f);
	folio_put(w, f);
}

/*
 * pl_swapcache_remove(): the slot forgets the folio first, so a concurrent
 * lookup either finds a folio still in the swap cache or nothing; the
 * cache's reference is left to the caller (pl_swapcache_del() drops it).
 */
void pl_swapcache_remove(struct world *w, struct folio *f)
{
	uint32_t slot = f->page.swap;

	PL_BUG_ON(!folio_test_swapcache(f));
	pl_swap_put_cache(w, slot);
	pl_page_flags_clear(w, &f->page, PG_swapcache);
	f->page.swap = 0;
	pl_chk_mark_folio(w, f);
}

/**
 * folio_free_swap() - drop @f from the swap cache if no swap PTE needs it any more.
 *
 * The kernel's condition: in the swap cache, not under writeback, and the
 * slot's swap count is zero (folio_swapped() false).  Drops the cache's
 * reference, so a folio nobody else holds is freed on return.
 * Return: true if it was removed.
 */
bool folio_free_swap(struct world *w, struct folio *f)
{
	if (!folio_test_swapcache(f) || (f->page.flags & PG_writeback))
		return false;
	PL_BUG_ON(!swap_slot_valid(w, f->page.swap));
	if (w->swap[f->page.swap].count != 0)
		return false;
	pl_swapcache_del(w, f);
	return true;
}

/* ---------------------------------------------------------------------------
 * try_to_unmap (mm/rmap.c).
 */
static const char *rule_skip_pinned(const struct world *w)
{
	return w->policy.swapout_skip_pinned ? "swapout_skip_pinned=true (feb889fb40fa)"
					     : "swapout_skip_pinned=false";
}

static const char *rule_skip_unmapped(const struct world *w)
{
	return w->policy.reclaim_skip_pinned ? "reclaim_skip_pinned=true (d824ec2a1546)"
					     : "reclaim_skip_pinned=false";
}

struct unmap_arg {
	struct folio *folio;
	struct page *page;
	uint32_t slot;
	int unmapped;
	pl_addr busy_addr;	/* where an unmap was refused */
	const char *why;
};

/* split_huge_pmd_address(): the PMD mapping this large folio becomes PTEs. */
static int split_pmd_one(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 pl_addr addr, void *arg)
{
	struct unmap_arg *a = arg;
	pmd_t *pmdp = pl_pmd_lookup(mm, addr);

	if (pmdp && pmd_leaf(*pmdp) && pte_pfn(*pmdp) == folio_pfn(a->folio) &&
	    __split_huge_pmd(w, mm, vma, addr))
		return -EBUSY;
	return 0;
}

/* try_to_unmap_one() gives up at pvmw's address (the PTE is as it was): unlock, say why. */
static int unmap_busy(struct world *w, struct page_vma_mapped_walk *pvmw, struct unmap_arg *a,
		      const char *why)
{
	page_vma_mapped_walk_done(w, pvmw);
	a->busy_addr = pvmw->address;
	a->why = why;
	return -EBUSY;
}

/*
 * An anon page going to swap: under the PTL, clear the PTE, then give up
 * exclusivity -- which fails while the page may be pinned -- and only then
 * install the swap entry.
 */
static int try_to_unmap_anon_pte(struct world *w, struct vm_area_struct *vma,
				 struct page_vma_mapped_walk *pvmw, struct unmap_arg *a)
{
	struct pl_share_sample early;
	pte_t pte = pvmw->pteval, swp;
	bool exclusive;

	/* before 088b8aa537c2 the pin check may see the pins from before the clear */
	pl_share_sample_take(w, a->folio, &early);
	pl_set_pte(w, pvmw->pte, 0);		/* ptep_clear_flush() */
	pl_yield(w, YIELD_UNMAP_BEFORE_PIN_CHECK);
	exclusive = pl_page_anon_exclusive_bit(w, a->page);
	if (exclusive && folio_try_share_anon_rmap_sampled(w, a->folio, a->page, &early)) {
		/* pinned exclusive page: it must stay mapped (invariant 20) */
		pl_set_pte(w, pvmw->pte, pte);
		return unmap_busy(w, pvmw, a, "maybe pinned: folio_try_share_anon_rmap failed");
	}
	if (pte_dirty(pte))
		folio_mark_dirty(w, a->folio);
	swap_duplicate(w, a->slot);
	/* 1493a1913e34: the swap PTE remembers that the page was exclusive */
	swp = swp_entry_to_pte(a->slot, exclusive && w->policy.swp_exclusive) |
	      (pte & (_PAGE_SOFT_DIRTY | _PAGE_UFFD_WP));
	pl_set_pte(w, pvmw->pte, swp);
	folio_remove_rmap_pte(w, a->folio, a->page, vma);
	page_vma_mapped_walk_done(w, pvmw);
	folio_put(w, a->folio);		/* the mapping's reference */
	a->unmapped++;
	return 0;
}

/*
 * try_to_unmap_one() (mm/rmap.c): the page's PTE at @addr, under the PTL.
 * An anon page gets a swap entry in its place (try_to_unmap_anon_pte()); a
 * page-cache page's PTE just goes, the next access refaults.
 */
static int try_to_unmap_one(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			    pl_addr addr, void *arg)
{
	struct unmap_arg *a = arg;
	struct page_vma_mapped_walk pvmw = {
		.pfn = page_to_pfn(w, a->page), .mm = mm, .address = addr,
	};

	if (!page_vma_mapped_walk(w, &pvmw))
		return 0;
	/* mlocked: try_to_unmap gives up, the folio goes back to the LRU */
	if (vma->vm_flags & VM_LOCKED)
		return unmap_busy(w, &pvmw, a, "VM_LOCKED");
	if (folio_test_anon(a->folio))
		return try_to_unmap_anon_pte(w, vma, &pvmw, a);
	/* zap_pte(): PTE dirty -> folio dirty, rmap and the mapping's reference go */
	zap_pte(w, mm, vma, addr, pvmw.pte);
	page_vma_mapped_walk_done(w, &pvmw);
	a->unmapped++;
	return 0;
}

/*
 * The index-based walk missed a mapping (a folio whose ->index does not
 * give its address in every vma): look at every PTE of every vma of the
 * anon_vma instead.  Slow, but only a fallback.
 */
static int unmap_anon_scan_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			       pl_addr addr, pte_t *ptep, void *arg)
{
	struct unmap_arg *a = arg;
	pte_t pte = pl_ptep_get(w, ptep);

	if (!pte_present(pte) || pte_pfn(pte) != page_to_pfn(w, a->page))
		return 0;
	return try_to_unmap_one(w, mm, vma, addr, arg);
}

static int rmap_walk_anon_scan(struct world *w, struct unmap_arg *a)
{
	uint32_t anon_vma = a->folio->page.mapping;
	struct mm_struct *mm;
	int pos = 0;

	while ((mm = pl_next_mm(w, &pos))) {
		for (int i = 0; i < mm->nr_vmas && folio_mapcount(a->folio) > 0; i++) {
			struct vm_area_struct *vma = &mm->vmas[i];
			int ret;

			if (!anon_vma || vma->anon_vma != anon_vma)
				continue;
			ret = pl_walk_range(w, mm, vma, vma->vm_start, vma->vm_end, NULL,
					    unmap_anon_scan_pte, a);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * shrink_folio_list (mm/vmscan.c), one folio at a time.
 */

/* pageout() to swap: the slot gets the folio's current contents. */
static void swap_writepage(struct world *w, struct folio *f)
{
	struct swap_slot *s = &w->swap[f->page.swap];

	pl_page_flags_clear(w, &f->page, PG_dirty);
	pl_sync(w, PL_SYNC_WRITE_ONCE, &s->token);
	s->token = pl_page_token(w, &f->page);
	s->written = true;
	pl_chk_mark_folio(w, f);
	pl_page_flags_clear(w, &f->page, PG_gup_written);
	pl_yield(w, YIELD_PAGEOUT);
}

static int shrink_anon_folio(struct world *w, struct folio *f, struct page *page, pl_addr addr)
{
	struct unmap_arg a = { .folio = f, .page = page };
	pl_pfn pfn = folio_pfn(f);
	uint32_t slot;
	int ret;

	if (!folio_trylock(w, f))
		return -EBUSY;
	/* feb889fb40fa: a maybe-pinned folio never enters the swap cache */
	if (w->policy.swapout_skip_pinned && folio_maybe_dma_pinned(f)) {
		folio_unlock(w, f);
		pl_event_emit(w, PL_EV_SWAPOUT, "shrink_folio_list", rule_skip_pinned(w), addr, pfn,
			      pfn, "kept: folio may be DMA-pinned");
		return -EBUSY;
	}
	if (!folio_test_swapcache(f)) {
		/* add_to_swap(): a slot, the swap cache's reference, and dirty */
		slot = get_swap_page(w);
		if (!slot) {
			folio_unlock(w, f);
			return -ENOMEM;
		}
		pl_swapcache_add(w, f, slot);
		folio_mark_dirty(w, f);
	}
	a.slot = f->page.swap;
	ret = rmap_walk_anon(w, f->page.mapping, f->page.index, try_to_unmap_one, &a);
	if (!ret && folio_mapcount(f) > 0)
		ret = rmap_walk_anon_scan(w, &a);
	if (ret || folio_mapcount(f) > 0) {
		/* the folio stays mapped, and in the swap cache */
		folio_unlock(w, f);
		pl_event_emit(w, PL_EV_SWAPOUT, "try_to_unmap_one",
			      w->policy.exclusive_clear_barrier ? "exclusive_clear_barrier=true"
								: "anon_exclusive",
			      a.busy_addr ? a.busy_addr : addr, pfn, pfn,
			      "unmap aborted (%s); %d mapping(s) unmapped, folio stays in the "
			      "swap cache (slot %u)",
			      a.why ? a.why : "mapping not found", a.unmapped, a.slot);
		return -EBUSY;
	}
	/* d824ec2a1546: unmapped, it cannot gain a new pin; an existing one keeps it here */
	if (w->policy.reclaim_skip_pinned && folio_maybe_dma_pinned(f)) {
		folio_unlock(w, f);
		pl_event_emit(w, PL_EV_SWAPOUT, "shrink_folio_list", rule_skip_unmapped(w), addr,
			      pfn, pfn, "unmapped to slot %u; kept in the swap cache: maybe pinned",
			      a.slot);
		return 0;
	}
	if (folio_test_dirty(f))
		swap_writepage(w, f);
	w->stats.swapouts++;
	pl_event_emit(w, PL_EV_SWAPOUT, "shrink_folio_list", rule_skip_pinned(w), addr, pfn, 0,
		      "%d mapping(s) -> slot %u%s", a.unmapped, a.slot,
		      folio_maybe_dma_pinned(f) ? " (folio may be pinned)" : "");
	/*
	 * __remove_mapping(), still under the folio lock: out of the swap cache
	 * only if the cache holds the last reference; freed after the unlock.
	 */
	if (folio_ref_count(w, f) == 1 && folio_mapcount(f) == 0 &&
	    !(f->page.flags & (PG_dirty | PG_writeback))) {
		pl_swapcache_remove(w, f);
		folio_unlock(w, f);
		folio_put(w, f);
		return 0;
	}
	folio_unlock(w, f);
	return 0;
}

static int shrink_file_folio(struct world *w, struct folio *f, struct page *page)
{
	struct unmap_arg a = { .folio = f, .page = page };
	struct pl_file *file = pl_file_get(w, (int)f->page.mapping - 1);
	uint32_t index = f->page.index;
	int ret;

	if (!f->page.mapping || !file || folio_test_hugetlb(f))
		return -EBUSY;
	if (!folio_trylock(w, f))
		return -EBUSY;
	ret = rmap_walk_file(w, file->id, index, try_to_unmap_one, &a);
	folio_unlock(w, f);
	if (ret || folio_mapcount(f) > 0)
		return -EBUSY;
	/* shmem goes to swap: without a swap device the page stays cached */
	if (file->fs != PL_FS_EXT4 && (file->fs != PL_FS_TMPFS || !w->swap_max))
		return 0;
	/*
	 * d824ec2a1546: an unmapped folio cannot gain a new pin, and an existing
	 * one means the pinner may still write it: back to the active list.
	 * Before, nothing here looked at pins: pageout() wrote a pinned shmem
	 * page to swap (shmem_writepage) or a pinned file page to disk while the
	 * device could still be writing it (seed 003).
	 */
	if (w->policy.reclaim_skip_pinned && folio_maybe_dma_pinned(f)) {
		pl_event_emit(w, PL_EV_SWAPOUT, "shrink_folio_list", rule_skip_unmapped(w), 0,
			      folio_pfn(f), folio_pfn(f),
			      "file %d page %u unmapped; kept: folio may be DMA-pinned", file->id,
			      index);
		return 0;
	}
	/*
	 * shrink_folio_list(): "Only kswapd can writeback filesystem folios"
	 * (6.1 and 6.12 alike, and long before): reclaim in the caller's
	 * context, MADV_PAGEOUT's, leaves a dirty ext4 folio unmapped and dirty
	 * in the page cache (activate_locked) for the flusher.  `reclaim` is
	 * kswapd's and writes it.  Seen with `pinlab diff --kernel 6.1` once
	 * the host could read the disk (seeds/003-reclaim-writeback-pinned-file).
	 */
	if (w->reclaim_direct && file->fs == PL_FS_EXT4 && folio_test_dirty(f))
		return 0;
	if (folio_maybe_dma_pinned(f) && folio_test_dirty(f))
		pl_event_emit(w, PL_EV_SWAPOUT, "pageout", rule_skip_unmapped(w), 0, folio_pfn(f),
			      folio_pfn(f), "file %d page %u written out while it may be DMA-pinned",
			      file->id, index);
	/* pageout() to the filesystem or to swap, then drop the page if nobody holds it */
	if (file->fs == PL_FS_TMPFS)
		return pl_shmem_swapout(w, file->id, index);
	if (folio_test_dirty(f))
		pl_writeback(w, file->id, index);
	if (folio_ref_count(w, f) == pl_filemap_cache_refs(f) && !folio_test_dirty(f))
		pl_evict(w, file->id, index);
	return 0;
}

/*
 * Find the page mapped at addr; a PMD-mapped THP is split into PTEs first
 * (reclaim works on base pages once a THP cannot be swapped whole).
 * Return: 0 with *pagep set or NULL (nothing mapped), or -errno.
 */
static int reclaim_lookup(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, struct page **pagep)
{
	pmd_t *pmdp = pl_pmd_lookup(mm, addr);
	pte_t *ptep;
	pte_t pte;

	*pagep = NULL;
	if (pmdp && pmd_leaf(*pmdp)) {
		pmd_t pmd = *pmdp;
		struct folio *f;

		if (!pte_present(pmd))
			return 0;
		if (pl_is_zero_pfn(w, pte_pfn(pmd)))
			return -EBUSY;
		f = pfn_folio(w, pte_pfn(pmd));
		if (!folio_test_anon(f) || folio_test_hugetlb(f))
			return -EBUSY;
		if (!w->swap_max)
			return -ENOMEM;
		if (__split_huge_pmd(w, mm, vma, addr))
			return -EBUSY;
	}
	ptep = pl_pte_lookup(mm, addr);
	if (!ptep)
		return 0;
	pte = pl_ptep_get(w, ptep);
	if (!pte_present(pte))
		return 0;		/* none, or already a swap entry */
	if (pte_special(pte) || pl_is_zero_pfn(w, pte_pfn(pte)))
		return -EBUSY;		/* the zero page is never reclaimed */
	*pagep = pfn_to_page(w, pte_pfn(pte));
	return 0;
}

/**
 * pl_reclaim() - shrink_folio_list() on the folio mapped at @addr of @pid.
 *
 * MADV_PAGEOUT does this per page.  Anon folios go to swap (a large one is
 * split first); page-cache folios are unmapped everywhere, written back if
 * dirty (ext4) and dropped if nobody else holds them.
 *
 * Return:
 *   0        nothing is mapped at @addr any more (or nothing was: none/swap PTE)
 *   -EBUSY   a page stays mapped: zero page, KSM, hugetlb, VM_LOCKED, PFNMAP,
 *            a maybe-pinned anon folio (feb889fb40fa), a pinned exclusive
 *            page (try_to_unmap aborted), an unsplittable large folio
 *   -ENOMEM  anon memory and no swap device, or the device is full
 *   -ESRCH / -EFAULT   no such task / no vma at @addr
 */
int pl_reclaim(struct world *w, int pid, pl_addr addr)
{
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	struct folio *f;
	struct page *page;
	int ret = pl_find_task_vma(w, pid, addr, -EFAULT, &mm, &vma);

	if (ret)
		return ret;
	addr &= PAGE_MASK;
	w->cur_pid = pid;
	if (vma->vm_flags & (VM_LOCKED | VM_HUGETLB | VM_IO | VM_PFNMAP))
		return -EBUSY;
	ret = reclaim_lookup(w, mm, vma, addr, &page);
	if (ret || !page)
		return ret;
	f = page_folio(w, page);
	if (folio_test_ksm(f) || folio_test_hugetlb(f))
		return -EBUSY;
	if (!folio_test_anon(f))
		return shrink_file_folio(w, f, page);
	if (!w->swap_max)
		return -ENOMEM;
	if (folio_test_large(f)) {
		struct unmap_arg a = { .folio = f };

		/* every PMD mapping of it (other mms after fork) becomes PTEs */
		if (rmap_walk_anon(w, f->page.mapping, f->page.index, split_pmd_one, &a) ||
		    split_folio(w, f))
			return -EBUSY;
		f = page_folio(w, page);
	}
	return shrink_anon_folio(w, f, page, addr);
}

/**
 * pl_reclaim_swapcache() - free every clean, unmapped, unreferenced swap-cache folio.
 *
 * lost-write: such a folio must hold what its slot holds.  If it does not,
 * somebody wrote it through a GUP reference after pageout() and dropped the
 * reference without dirtying it; freeing it now loses that write (seed 003).
 * Return: the number of folios freed.
 */
int pl_reclaim_swapcache(struct world *w)
{
	int freed = 0;

	for (uint32_t slot = 1; slot < w->nr_swap; slot++) {
		struct folio *f = pl_swapcache_lookup(w, slot);
		pl_token tok;

		if (!f || folio_test_large(f) || folio_mapcount(f) > 0 ||
		    folio_ref_count(w, f) != 1 ||
		    (f->page.flags & (PG_dirty | PG_writeback | PG_locked)))
			continue;
		tok = pl_page_token(w, &f->page);
		if (tok != w->swap[slot].token)
			pl_violation(w, "lost-write", w->cur_pid, 0, folio_pfn(f),
				     "clean swap-cache page holds \"%s\" but swap slot %u has \"%s\": "
				     "written through a GUP reference after pageout, never marked dirty",
				     pl_token_text(w, tok), slot, pl_token_text(w, w->swap[slot].token));
		pl_event_emit(w, PL_EV_SWAPOUT, "__remove_mapping", NULL, 0, folio_pfn(f), 0,
			      "swap-cache folio of slot %u freed", slot);
		pl_swapcache_del(w, f);
		freed++;
	}
	return freed;
}
