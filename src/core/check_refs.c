/*
 * check_refs.c - the invariants of the other reference holders
 * (check_internal.h): page-cache slots, active pinners and the pages they
 * list, swap slots and the swap cache.  Each adds to the per-pfn tally
 * that the folio rules compare with the counters.
 */
#include "check_internal.h"

/* ---------------------------------------------------------------------------
 * Page caches.
 */

/*
 * pagecache-consistent: page-cache slots and file folios point at each
 * other.  A slot names the head of a live, non-anon folio whose ->mapping
 * is this file and whose index range covers the slot; a file folio is found
 * in its file's cache at its ->index (checked in chk_folio_links()); and no
 * slot at or past i_size is occupied, because truncation removes them.
 * The page cache's references are only right if both directions hold.
 */
void chk_file(struct chk *c, const struct pl_file *f)
{
	/* only filemap_add_folio() fills slots, and it widens [cache_lo, cache_hi) */
	uint32_t lo = c->w->check_full ? 0 : PL_MIN(f->cache_lo, f->cap);
	uint32_t hi = c->w->check_full ? f->cap : PL_MIN(f->cache_hi, f->cap);

	/* the folio of the slot before: a large folio fills a run of slots */
	pl_pfn last = PL_PFN_NONE, head = PL_PFN_NONE;
	const struct page *h = NULL;

	if (!f->cache)
		return;
	for (uint32_t idx = lo; idx < hi; idx++) {
		pl_pfn pfn = *pl_file_cache_slot(f, idx);
		/* the last index of idx's slot: every index of a slot names one pfn */
		uint32_t slot_end = (uint32_t)PL_MIN((uint64_t)((idx >> f->cache_shift) + 1) <<
						     f->cache_shift, (uint64_t)hi);

		if (pfn == PL_PFN_NONE) {
			idx = slot_end - 1;
			continue;
		}
		if (idx >= f->nr_pages)
			chk_report(c, "pagecache-consistent", 0, 0, pfn,
				   "file %d caches index %u past i_size %u", f->id, idx,
				   f->nr_pages);
		if (pfn == last && h && idx - h->index < (1u << h->order) && idx >= h->index) {
			/*
			 * The slot before said all of this, and tallied it.  A
			 * large folio fills a run of indexes (262,144 for 1 GiB):
			 * skip the rest of the run below i_size, a slot at a
			 * time (hugetlbfs: one slot per huge page) or 16
			 * slots at a time.
			 */
			uint32_t e = (uint32_t)PL_MIN((uint64_t)h->index + (1u << h->order),
						      (uint64_t)PL_MIN(hi, f->nr_pages));

			if (f->cache_shift) {
				if (idx < e)
					idx = PL_MIN(slot_end, e) - 1;
				continue;
			}
			while (idx + 17 <= e) {
				uint32_t diff = 0;

				for (unsigned j = 1; j <= 16; j++)
					diff |= f->cache[idx + j] ^ pfn;
				if (diff)
					break;
				idx += 16;
			}
			continue;
		}
		last = pfn;
		h = chk_head(c->w, pfn, &head);
		if (!h) {
			chk_report(c, "pagecache-consistent", 0, 0, pfn,
				   "file %d index %u names a free or invalid pfn", f->id, idx);
			continue;
		}
		if (pfn != head || (h->flags & (PG_anon | PG_ksm | PG_zero)) ||
		    h->mapping != (uint32_t)f->id + 1 || idx < h->index ||
		    idx - h->index >= (1u << h->order))
			chk_report(c, "pagecache-consistent", 0, 0, pfn,
				   "file %d index %u: folio %u has mapping %u index %u order %u",
				   f->id, idx, head, h->mapping, h->index, (unsigned)h->order);
		tally_hf(c, head)->flags |= TALLY_IN_CACHE;
	}
}

/* ---------------------------------------------------------------------------
 * Pinners.
 */
static bool pinset_page_held(const struct pl_pinset *ps, uint32_t i)
{
	/* a pipe gives up each buffer's reference as read(2) consumes it */
	return ps->kind != PL_PIN_PIPE || i >= ps->consumed;
}

void tally_pinsets(struct chk *c)
{
	struct world *w = c->w;

	for (int n = 0; n < w->nr_pins; n++) {
		const struct pl_pinset *ps = w->pins[n];

		if (!ps || !ps->active || !ps->pages)
			continue;
		for (uint32_t i = 0; i < ps->nr; i++) {
			pl_pfn pfn = ps->pages[i], head;

			if (!pinset_page_held(ps, i) || chk_is_zero(w, pfn))
				continue;
			if (chk_head(w, pfn, &head))
				tally_hf(c, head)->held++;
		}
	}
}

enum map_kind { MAP_NONE, MAP_PRESENT, MAP_SWAP };

/* The swap-cache page holding swap slot `slot`, or PL_PFN_NONE. */
static pl_pfn swapcache_page(const struct world *w, uint32_t slot)
{
	pl_pfn head;
	struct page *h;

	if (slot >= w->nr_swap || !w->swap)
		return PL_PFN_NONE;
	h = chk_head(w, w->swap[slot].cache, &head);
	if (!h || !(h->flags & PG_swapcache) || slot < h->swap ||
	    slot - h->swap >= (1u << h->order))
		return PL_PFN_NONE;
	return head + (slot - h->swap);
}

/*
 * What mm's page tables show at addr: a present mapping (its pfn), a swap
 * entry (the pfn of its swap-cache page, or PL_PFN_NONE), or nothing.
 */
static enum map_kind chk_lookup(const struct world *w, struct mm_struct *mm, pl_addr addr,
				pl_pfn *pfn)
{
	struct pl_leaf l;

	*pfn = PL_PFN_NONE;
	if (!pl_leaf_at(mm, addr, &l) || pte_none(l.entry))
		return MAP_NONE;
	if (pte_present(l.entry)) {
		*pfn = pl_leaf_pfn(&l, addr);
		return MAP_PRESENT;
	}
	if (l.level == PL_LEAF_PTE && is_swap_pte(l.entry)) {
		*pfn = swapcache_page(w, pte_swp_offset(l.entry));
		return MAP_SWAP;
	}
	return MAP_NONE;
}

static struct mm_struct *chk_mm_by_id(const struct world *w, uint32_t id)
{
	for (int i = 0; i < w->nr_tasks; i++) {
		const struct task_struct *t = w->tasks[i];

		if (t && !t->exited && t->mm && t->mm->id == id)
			return t->mm;
	}
	return NULL;
}

void chk_pinset(struct chk *c, const struct pl_pinset *ps)
{
	const struct world *w = c->w;
	struct mm_struct *mm = chk_mm_by_id(w, ps->mm_id);
	bool pin = (ps->gup_flags & FOLL_PIN) && w->policy.foll_pin;

	if (!mm)
		return;		/* the owner exited: its pins map nothing */
	/*
	 * has-pinned-set: an mm on which a FOLL_PIN pin is outstanding has
	 * MMF_HAS_PINNED.  GUP sets it before pinning and nothing clears it;
	 * fork trusts it to decide whether to look for pinned pages at all.
	 */
	if (pin && !(mm->flags & MMF_HAS_PINNED))
		chk_report(c, "has-pinned-set", ps->pid, ps->addr, 0,
			   "pinset %d pins pages of mm %u, which lacks MMF_HAS_PINNED", ps->id,
			   mm->id);
	if (!ps->pages)
		return;
	for (uint32_t i = 0; i < ps->nr; i++) {
		pl_addr addr = ps->addr + (pl_addr)i * PAGE_SIZE;
		const struct vm_area_struct *vma = chk_vma(mm, addr);
		pl_pfn want = ps->pages[i], got, head;
		enum map_kind kind;
		struct page *h;

		if (want == PL_PFN_NONE || !vma || (vma->vm_flags & VM_SHARED))
			continue;
		kind = chk_lookup(w, mm, addr, &got);
		/*
		 * pin-coherence: while a pin the era promises to be coherent is
		 * active (not a pipe's FOLL_GET), the owner's private mapping at
		 * the pinned address still shows the pinned page -- present, or
		 * swapped out with that page in the swap cache.  A write fault,
		 * unshare or fork that COWs the page away from the pin is a
		 * "wrong COW": the device and the process diverge.  An empty PTE
		 * counts as coherent: munmap and MADV_DONTNEED legitimately
		 * detach a pin.  (A refault after such a detach maps a new page
		 * here; only the pinner can tell that from a wrong COW, by
		 * dropping ->coherent when the range is zapped.)
		 */
		if (ps->coherent && ps->kind != PL_PIN_PIPE && kind != MAP_NONE && got != want)
			chk_report(c, "pin-coherence", ps->pid, addr, want,
				   "pinset %d page %u holds pfn %u, the mapping shows %s%u", ps->id,
				   i, want, kind == MAP_SWAP ? "swap slot with pfn " : "pfn ",
				   got);
		/*
		 * pinned-exclusive (PG_anon_exclusive eras): an anon page held by
		 * FOLL_PIN and still mapped where it was pinned is exclusive.
		 * GUP pins only exclusive pages (R/O pins unshare first), and
		 * fork/KSM/swapout may not clear the bit while the page may be
		 * pinned.  Unmapped, the bit means nothing, so only mapped pages
		 * are checked.
		 */
		if (!pin || !w->policy.anon_exclusive || kind != MAP_PRESENT || got != want)
			continue;
		h = chk_head(w, want, &head);
		if (h && (h->flags & PG_anon) && !(h->flags & PG_ksm) &&
		    !PageAnonExclusive(excl_page(h, want - head)))
			chk_report(c, "pinned-exclusive", ps->pid, addr, want,
				   "pinset %d page %u is pinned but not exclusive", ps->id, i);
	}
}

/* ---------------------------------------------------------------------------
 * Swap.
 */
void chk_swap(struct chk *c)
{
	const struct world *w = c->w;

	for (uint32_t s = 0; s < w->nr_swap; s++) {
		const struct swap_slot *slot = &w->swap[s];
		pl_pfn page, head = PL_PFN_NONE;
		struct page *h;

		/*
		 * swapcache-consistent: a slot's swap_map count is the number of
		 * swap PTEs naming it (and every swap PTE names an existing
		 * slot); SWAP_HAS_CACHE is set exactly when a folio sits in the
		 * swap cache for the slot, and that folio is PG_swapcache with a
		 * swap range covering the slot -- as every PG_swapcache folio's
		 * slots name it back (chk_folio_links()).  swap_free() and
		 * swap-in decide on these counts.
		 */
		if (slot->count != c->swap_ptes[s])
			chk_report(c, "swapcache-consistent", 0, 0, slot->cache,
				   "slot %u: swap_map count %u, %u swap PTEs", s,
				   (unsigned)slot->count, c->swap_ptes[s]);
		if (slot->has_cache != (slot->cache != PL_PFN_NONE))
			chk_report(c, "swapcache-consistent", 0, 0, slot->cache,
				   "slot %u: has_cache %d but cache pfn %u", s, slot->has_cache,
				   slot->cache);
		page = swapcache_page(w, s);
		h = page != PL_PFN_NONE ? chk_head(w, page, &head) : NULL;
		if (slot->cache != PL_PFN_NONE && (!h || head != slot->cache))
			chk_report(c, "swapcache-consistent", 0, 0, slot->cache,
				   "slot %u names pfn %u, not a swap-cache folio for it", s,
				   slot->cache);
		if (!h)
			page = PL_PFN_NONE;
		/*
		 * swp-exclusive-unmapped: a swap PTE marked swp_exclusive stands
		 * for a page that was exclusive when it was unmapped, so it is
		 * the slot's only user: no second swap PTE (fork clears the bit
		 * when it duplicates the entry) and no present mapping of the
		 * slot's swap-cache page (swap-in consumes the entry).  Eras
		 * without 1493a1913e34 (knob swp_exclusive) never set the bit.
		 */
		if (c->swap_excl[s] &&
		    (c->swap_ptes[s] > 1 ||
		     (page != PL_PFN_NONE && c->t[page].ptes + c->t[head].pmds > 0)))
			chk_report(c, "swp-exclusive-unmapped", 0, 0, page,
				   "slot %u: exclusive swap PTE, %u swap PTEs, page mapped %u "
				   "times",
				   s, c->swap_ptes[s],
				   page != PL_PFN_NONE ? c->t[page].ptes : 0);
		/*
		 * swap-pte-exclusive-page: a swap PTE never leads to a swap-cache
		 * page that is still PageAnonExclusive.  Exclusivity moves into
		 * the swap PTE at unmap and back at swap-in; a page exclusive to
		 * one mm while another still has it swapped out is shared
		 * memory someone may write without COW (do_swap_page BUG_ON).
		 */
		if (page != PL_PFN_NONE && c->swap_ptes[s]) {
			if (PageAnonExclusive(excl_page(h, page - head)))
				chk_report(c, "swap-pte-exclusive-page", 0, 0, page,
					   "slot %u: %u swap PTEs, swap-cache page exclusive", s,
					   c->swap_ptes[s]);
		}
	}
}
