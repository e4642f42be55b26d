/*
 * check_folio.c - the invariants of each folio (check_internal.h): its
 * counts against the tally (_refcount, _mapcount, _pincount),
 * PageAnonExclusive and the mappings, GUP writes, the head/tail links; and
 * the memmap walk that visits the folios a scan must read.
 *
 * What a folio's rules read: its head's and pages' struct page fields, the
 * tally entries of its pfns, the policy, the swap slots it caches, its
 * file's page-cache slot and disk blocks.  The walk visits, in pfn order,
 * the folios marked since the last scan (pl_chk_mark_pfn(), internal.h:
 * every writer of one of those fields or slots marks the folio), the ones
 * whose tally entries this scan changed (chk_add(), tally_hf()), and the
 * ones it found unsound or counted in a hugetlb pool last time
 * (w->chk_keep, so the pools' counts stay whole); the others would read
 * as sound as before.  A world's first scan, --check=full, a policy
 * change, a swap device that grew, a mark not kept and memmap-sane broken
 * walk every folio and free block instead.
 *
 * Over 900 lines: the folio rules, the walk that picks the folios and the
 * walk's debug path (chk_memmap_verify()) share the walk's helpers
 * (resolve_head(), visit()); apart, check_internal.h would export them.
 */
#include "check_internal.h"

/* ---------------------------------------------------------------------------
 * Folios.
 */

/*
 * The pages of the folio at c->fl a per-page rule must read, in ascending
 * order: all of them when c->fall, else the head and the pages whose tally
 * entry is listed (mapped now or at the last scan).  A page left out is one
 * that no write changed since a scan read it and found it sound, with no
 * mapping then or now, so a rule would find it as sound again: the
 * violations found, and their order, are the full walk's.
 */
struct pages {
	const uint32_t *l;
	size_t n, k;
	pl_pfn head;
	unsigned i, nr;
	bool all;
};

static struct pages pages_of(const struct chk *c, pl_pfn head, const struct page *h)
{
	struct pages it = { .l = c->fl, .n = c->fn, .head = head, .nr = 1u << h->order,
			    .all = c->fall };

	return it;
}

/* inline: the per-page loops below run for every page of a folio read whole */
static inline __attribute__((always_inline)) bool pages_next(struct pages *it, unsigned *i)
{
	if (it->all || it->i == 0) {
		if (it->i >= it->nr)
			return false;
		*i = it->i++;
		return true;
	}
	while (it->k < it->n && it->l[it->k] <= it->head)
		it->k++;
	if (it->k >= it->n)
		return false;
	*i = it->l[it->k++] - it->head;
	return true;
}

/* Pin weight of one outstanding pin on this folio in this era. */
static uint64_t pin_weight(const struct world *w, const struct page *h)
{
	if (!w->policy.foll_pin)
		return 1;	/* before FOLL_PIN, a "pin" is a GET */
	return h->order ? 1 : GUP_PIN_COUNTING_BIAS;
}

/* _refcount from first principles; *maps receives PTE + PMD mappings. */
uint64_t folio_expected(const struct chk *c, pl_pfn head, const struct page *h,
			uint64_t *maps)
{
	unsigned nr = 1u << h->order;
	uint64_t exp;

	*maps = (uint64_t)c->t[head].fptes + c->t[head].pmds;
	exp = *maps;
	/* the page cache holds one reference per page; hugetlb one per folio */
	if (c->t[head].flags & TALLY_IN_CACHE)
		exp += (h->flags & PG_hugetlb) ? 1 : nr;
	if (h->flags & PG_swapcache)
		exp += nr;
	exp += h->gup_gets;
	exp += h->gup_pins * pin_weight(c->w, h);
	/* the zero pages keep the reference they were created with */
	if (h->flags & PG_zero)
		exp += 1;
	return exp;
}

static void chk_folio_counts(struct chk *c, pl_pfn head, const struct page *h)
{
	const struct world *w = c->w;
	const struct pl_tally *th = &c->t[head];
	int64_t mapcount = h->_entire_mapcount;
	uint64_t maps, exp = folio_expected(c, head, h, &maps);
	/* only a 1 GiB folio's tails go through folio_page() (chk_tail()) */
	bool big = h->order == HPAGE_PUD_ORDER;
	unsigned i;

	/*
	 * refcount-balance: _refcount equals, exactly, one per PTE and per PMD
	 * mapping, nr for the page cache (hugetlb: 1) and for the swap cache,
	 * one per FOLL_GET, and per FOLL_PIN 1024 on a small folio or 1 on a
	 * large one (eras without FOLL_PIN: 1).  Between steps nothing else may
	 * hold a reference.  PG_reserved pages other than the zero pages are
	 * driver memory with references of their own and are not counted.
	 */
	if ((!(h->flags & PG_reserved) || (h->flags & PG_zero)) && h->_refcount != exp)
		chk_report(c, "refcount-balance", 0, 0, head,
			   "refcount %u, expected %llu (maps %llu, gets %u, pins %u%s%s)",
			   h->_refcount, (unsigned long long)exp, (unsigned long long)maps,
			   (unsigned)h->gup_gets, (unsigned)h->gup_pins,
			   (th->flags & TALLY_IN_CACHE) ? ", page cache" : "",
			   (h->flags & PG_swapcache) ? ", swap cache" : "");

	/*
	 * mapcount-balance: page i's _mapcount is the number of PTEs mapping
	 * it and the head's _entire_mapcount the number of PMD leaves mapping
	 * the folio; rmap updates them with every PTE/PMD change.
	 */
	if (h->_entire_mapcount < 0 || (uint32_t)h->_entire_mapcount != th->pmds)
		chk_report(c, "mapcount-balance", 0, 0, head,
			   "_entire_mapcount %d, %u PMD leaves map the folio", h->_entire_mapcount,
			   th->pmds);
	/*
	 * ... and a large folio's kept _large_mapcount (page[1]) is every PTE
	 * and PMD/PUD leaf mapping it: the total folio_mapcount() answers
	 * with, without summing the pages.
	 */
	if (h->order && (folio_large_mapcount((const struct folio *)h) < 0 ||
			 (uint64_t)folio_large_mapcount((const struct folio *)h) != maps))
		chk_report(c, "mapcount-balance", 0, 0, head,
			   "_large_mapcount %d, %llu PTEs and PMD leaves map the folio",
			   folio_large_mapcount((const struct folio *)h), (unsigned long long)maps);
	for (struct pages it = pages_of(c, head, h); pages_next(&it, &i);) {
		const struct page *p = big ? chk_tail(h, i) : h + i;

		mapcount += p->_mapcount;
		if (p->_mapcount < 0 || (uint32_t)p->_mapcount != c->t[head + i].ptes) {
			chk_report(c, "mapcount-balance", 0, 0, head + i,
				   "page %u of folio %u: _mapcount %d, %u PTEs map it", i, head,
				   p->_mapcount, c->t[head + i].ptes);
			break;
		}
	}

	/*
	 * mapcount-le-refcount: a folio's total mapcount never exceeds its
	 * refcount; the reference is taken before a mapping is made and dropped
	 * only after it is gone.
	 */
	if (mapcount > (int64_t)h->_refcount)
		chk_report(c, "mapcount-le-refcount", 0, 0, head, "mapcount %lld > refcount %u",
			   (long long)mapcount, h->_refcount);

	/*
	 * pincount-exact: a large folio's _pincount is exactly its number of
	 * outstanding FOLL_PIN pins (none before FOLL_PIN existed); small
	 * folios keep pins in the refcount bias and have _pincount 0.
	 */
	{
		uint32_t want = (h->order && w->policy.foll_pin) ? h->gup_pins : 0;

		if (h->_pincount < 0 || (uint32_t)h->_pincount != want)
			chk_report(c, "pincount-exact", 0, 0, head,
				   "_pincount %d, %u outstanding pins (order %u)", h->_pincount,
				   want, (unsigned)h->order);
	}

	/*
	 * maybe-pinned-true: folio_maybe_dma_pinned() may report false
	 * positives (many GETs on a small folio) but never a false negative:
	 * fork, swapout and KSM rely on it to leave pinned pages alone.
	 */
	if (w->policy.foll_pin && h->gup_pins && !(h->flags & PG_zero) &&
	    !folio_maybe_dma_pinned((const struct folio *)h))
		chk_report(c, "maybe-pinned-true", 0, 0, head,
			   "%u pins outstanding but folio_maybe_dma_pinned() is false",
			   (unsigned)h->gup_pins);

	/*
	 * pinset-refs-held: every page listed by an active pinner still holds
	 * the GUP reference it was given, so the folio has at least as many
	 * ghost GETs + pins as pinners list pages in it.
	 */
	if (th->held > (uint32_t)h->gup_gets + h->gup_pins)
		chk_report(c, "pinset-refs-held", 0, 0, head,
			   "pinners list %u pages of the folio, it holds %u GUP references",
			   th->held, (unsigned)(h->gup_gets + h->gup_pins));
}

static void chk_folio_exclusive(struct chk *c, pl_pfn head, const struct page *h)
{
	const struct world *w = c->w;
	const struct pl_tally *th = &c->t[head];
	bool anon = (h->flags & PG_anon) != 0, ksm = (h->flags & PG_ksm) != 0;
	bool hugetlb = (h->flags & PG_hugetlb) != 0;
	uint64_t folio_maps = (uint64_t)th->fptes + th->pmds;
	/*
	 * Read once, not per page (the loop runs for every page of a folio
	 * read whole): what does not depend on the page, and h + i for
	 * chk_tail() but on a 1 GiB folio.
	 */
	bool big = h->order == HPAGE_PUD_ORDER, excl_head = (h->flags & PG_excl_head) != 0;
	bool excl_folio = (h->flags & (PG_hugetlb | PG_excl_head)) != 0;	/* excl_page() is h */
	bool h_excl = PageAnonExclusive(h);
	bool excl_wrong = !anon || (h->flags & PG_zero) || !w->policy.anon_exclusive;
	uint32_t pmds = th->pmds, wpmds = th->wpmds;
	unsigned i;

	for (struct pages it = pages_of(c, head, h); pages_next(&it, &i);) {
		const struct page *p = big ? chk_tail(h, i) : h + i;
		bool p_excl = PageAnonExclusive(p);
		uint32_t maps = c->t[head + i].ptes + pmds;
		uint32_t wmaps = c->t[head + i].wptes + wpmds;

		/*
		 * exclusive-is-anon: PG_anon_exclusive lives only on pages of
		 * anon folios (for hugetlb only on the head), and only in eras
		 * that have the flag (knob anon_exclusive).  On other pages the
		 * bit is PG_mappedtodisk and means something else entirely.
		 */
		if ((excl_head ? h_excl : p_excl) && (excl_wrong || (hugetlb && i))) {
			chk_report(c, "exclusive-is-anon", 0, 0, head + i,
				   "PG_anon_exclusive on page %u of a %s folio", i,
				   !anon ? "non-anon" :
				   hugetlb ? "hugetlb" : "anon (era without it)");
			break;
		}
		/*
		 * exclusive-single-map: an exclusive page is mapped by at most one
		 * PTE or PMD, hence by one mm.  fork, KSM and swapout clear the
		 * bit before a second mapping or a shared swap entry can appear.
		 * A hugetlb folio carries the bit on its head for the whole folio.
		 */
		if ((excl_folio ? h_excl : p_excl) && (hugetlb ? folio_maps : maps) > 1) {
			chk_report(c, "exclusive-single-map", 0, 0, head + i,
				   "exclusive page %u of folio %u is mapped %llu times", i, head,
				   (unsigned long long)(hugetlb ? folio_maps : maps));
			break;
		}
		/*
		 * no-shared-writable: an anon page mapped writable has no other
		 * mapping, in any mm.  fork write-protects both sides of every
		 * shared anon page; reuse needs the sole mapping.  Two mappings
		 * with one writable let one process write what another reads.
		 */
		if ((anon || ksm) && wmaps && maps > 1) {
			chk_report(c, "no-shared-writable", 0, 0, head + i,
				   "anon page %u of folio %u: %u mappings, %u writable", i, head,
				   maps, wmaps);
			break;
		}
	}

	/*
	 * ksm-never-exclusive: a KSM page is shared by construction, so none of
	 * its pages is exclusive, and where R/O pins unshare (gup_unshare) a
	 * FOLL_PIN never lands on it -- unsharing copies it out first.
	 */
	if (ksm) {
		for (struct pages it = pages_of(c, head, h); pages_next(&it, &i);) {
			if (!PageAnonExclusive((h->flags & PG_excl_head) ? h : chk_tail(h, i)))
				continue;
			chk_report(c, "ksm-never-exclusive", 0, 0, head + i,
				   "KSM page %u is PG_anon_exclusive", i);
			break;
		}
		if (w->policy.gup_unshare && w->policy.foll_pin && h->gup_pins)
			chk_report(c, "ksm-never-exclusive", 0, 0, head, "KSM folio holds %u pins",
				   (unsigned)h->gup_pins);
	}
}

/*
 * gup-write-undirtied: a page-cache (ext4) or swap-cache folio written
 * through a GUP reference is marked dirty before the last GUP reference
 * is dropped (unpin_user_pages_dirty_lock, set_page_dirty_lock).  The
 * violation is the state right after: the folio is clean, no PTE holds a
 * dirty bit for it, nobody holds a reference that could still dirty it, and
 * its contents differ from what disk or swap has -- eviction will lose them.
 */
static void chk_gup_written(struct chk *c, pl_pfn head, const struct page *h)
{
	const struct world *w = c->w;
	unsigned nr = 1u << h->order;

	if (!(h->flags & PG_gup_written) || (h->flags & (PG_dirty | PG_writeback)) ||
	    h->gup_gets || h->gup_pins || c->t[head].dmaps)
		return;
	for (unsigned i = 0; i < nr; i++) {
		pl_token backing;

		if (h->flags & PG_swapcache) {
			uint32_t s = h->swap + i;

			if (s >= w->nr_swap || !w->swap[s].written)
				return;
			backing = w->swap[s].token;
		} else if (c->t[head].flags & TALLY_IN_CACHE) {
			const struct pl_file *f = pl_file_get(w, (int)h->mapping - 1);
			uint32_t idx = h->index + i;

			if (!f || f->fs != PL_FS_EXT4 || idx >= f->cap)
				return;
			backing = pl_file_disk_at(f, idx);
		} else {
			return;
		}
		if (chk_tail(h, i)->token != backing) {
			chk_report(c, "gup-write-undirtied", 0, 0, head + i,
				   "clean folio written through GUP, GUP references gone, "
				   "contents differ from %s",
				   (h->flags & PG_swapcache) ? "swap" : "disk");
			return;
		}
	}
}

static void chk_folio_links(struct chk *c, pl_pfn head, const struct page *h)
{
	const struct world *w = c->w;
	unsigned nr = 1u << h->order;

	/*
	 * pagecache-consistent, the folio side (stated in chk_file()): a file
	 * folio -- ->mapping set, not anon/KSM/zero -- is in its file's cache
	 * at its ->index; filemap_remove_folio() clears ->mapping.
	 */
	if (!(h->flags & (PG_anon | PG_ksm | PG_zero)) && h->mapping) {
		const struct pl_file *f = pl_file_get(w, (int)h->mapping - 1);

		if (!f || pl_file_cache(f, h->index) != head)
			chk_report(c, "pagecache-consistent", 0, 0, head,
				   "folio of mapping %u index %u is not in that page cache",
				   h->mapping, h->index);
	}
	/* swapcache-consistent, the folio side (stated in chk_swap()) */
	if (h->flags & PG_swapcache) {
		for (unsigned i = 0; i < nr; i++) {
			uint32_t s = h->swap + i;

			if (s < w->nr_swap && w->swap && w->swap[s].cache == head)
				continue;
			chk_report(c, "swapcache-consistent", 0, 0, head,
				   "PG_swapcache folio, slot %u does not name it", s);
			break;
		}
	}
}

static void chk_folio(struct chk *c, pl_pfn head, const struct page *h)
{
	const struct world *w = c->w;
	unsigned i;

	chk_folio_counts(c, head, h);
	if (h->flags & PG_zero) {
		/*
		 * zero-page-never-pinned (c8070b787519): FOLL_PIN on the zero
		 * page or huge zero page takes no pin -- no ghost pins, no
		 * _pincount -- because such a page can never be DMA'd into and
		 * pinning it would only make it look "maybe pinned".
		 */
		if (w->policy.zero_page_never_pinned && (h->gup_pins || h->_pincount))
			chk_report(c, "zero-page-never-pinned", 0, 0, head,
				   "zero page holds %u pins, _pincount %d", (unsigned)h->gup_pins,
				   h->_pincount);
		/* zero-page-readonly, the flags half (stated in chk_zero_mapping()) */
		for (struct pages it = pages_of(c, head, h); pages_next(&it, &i);) {
			if (!(chk_tail(h, i)->flags & (PG_anon | PG_ksm | PG_anon_exclusive)))
				continue;
			chk_report(c, "zero-page-readonly", 0, 0, head + i,
				   "zero page %u is anon, KSM or exclusive", i);
			break;
		}
		return;
	}
	chk_folio_exclusive(c, head, h);
	chk_gup_written(c, head, h);
	chk_folio_links(c, head, h);
	if ((h->flags & PG_hugetlb) && h->order == HPAGE_PUD_ORDER)
		c->hugetlb_1g_used++;
	else if (h->flags & PG_hugetlb)
		c->hugetlb_used++;
}

/*
 * memmap-sane: every allocated pfn belongs to exactly one folio: a head
 * with order <= 9 (or 18 for a 1 GiB hugetlb page), naturally aligned,
 * inside the memmap, whose tails are marked PG_tail and point back at it.
 * Returns the number of pfns the folio covers, or 0 if it is broken (the
 * caller then moves on by one).
 */
static unsigned chk_memmap_folio(struct chk *c, pl_pfn pfn, const struct page *p)
{
	const struct world *w = c->w;
	unsigned nr;

	if (!(p->flags & PG_head)) {
		chk_report(c, "memmap-sane", 0, 0, pfn,
			   "allocated pfn %u is not inside any folio (flags %#x)", pfn, p->flags);
		return 0;
	}
	if ((p->order > HPAGE_PMD_ORDER &&
	     (p->order != HPAGE_PUD_ORDER || !(p->flags & PG_hugetlb))) ||
	    p->head != pfn || (pfn & ((1u << p->order) - 1)) ||
	    (uint64_t)pfn + (1u << p->order) > w->next_pfn) {
		chk_report(c, "memmap-sane", 0, 0, pfn, "folio head %u: order %u, head field %u",
			   pfn, (unsigned)p->order, p->head);
		return 0;
	}
	nr = 1u << p->order;
	/* tails are written only through pl_page_changed() or a new folio */
	for (unsigned i = 1; c->fall && i < nr; i++) {
		const struct page *t = chk_tail(p, i);

		if ((t->flags & (PG_head | PG_free)) || !(t->flags & PG_tail) || t->head != pfn) {
			chk_report(c, "memmap-sane", 0, 0, pfn + i,
				   "tail %u of folio %u: flags %#x, head field %u", i, pfn,
				   t->flags, t->head);
			return 0;
		}
	}
	return nr;
}

static int cmp_pfn(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * Whether every page of the folio at pfn is read this scan: in --check=full,
 * after a policy change, when a page other than the head changed
 * (p->chk_dirty), and when two PMD leaves map a non-hugetlb folio (then
 * every page counts as mapped twice, and exclusive-single-map reads each
 * page's own bit; a hugetlb folio keeps it in the head, and for the other
 * rules an unmapped tail breaks one only where the head does first).
 * No per-page rule of the (huge) zero page depends on the policy, so a
 * policy change -- every new world's first scan -- does not make a scan
 * read its 512 tails: like any new folio's, they were written whole when it
 * was made, and a later write to one marks the head (pl_page_changed()).
 */
static bool chk_pages_all(const struct chk *c, bool policy_changed, pl_pfn pfn,
			  const struct page *p)
{
	return c->w->check_full || c->w->check_list_lost ||
	       (policy_changed && !(p->flags & PG_zero)) || p->chk_dirty ||
	       (c->t[pfn].pmds >= 2 && !(p->flags & PG_hugetlb));
}

/*
 * Sort the check list.  Entries kept from the last scan are still in its
 * order (tally_reset() compacts in place), and this scan appends the pfns it
 * newly tallied: sort only that tail and merge it in.
 */
static void sort_check_list(struct world *w, uint32_t *l, size_t n)
{
	size_t k = 1, i = 0, j, o = 0;
	uint32_t *tail;

	while (k < n && l[k - 1] < l[k])
		k++;
	if (k >= n)
		return;
	qsort(l + k, n - k, sizeof(*l), cmp_pfn);
	if (l[k - 1] < l[k])
		return;
	tail = malloc((n - k) * sizeof(*l));
	if (!tail) {
		/* sorted all the same, but a failed allocation ends the run (failalloc.sh) */
		qsort(l, n, sizeof(*l), cmp_pfn);
		w->oom = 1;
		return;
	}
	memcpy(tail, l + k, (n - k) * sizeof(*l));
	/* merge from the back, so the prefix is read before it is overwritten */
	i = k;
	j = n - k;
	o = n;
	while (j > 0) {
		if (i > 0 && l[i - 1] > tail[j - 1])
			l[--o] = l[--i];
		else
			l[--o] = tail[--j];
	}
	free(tail);
}

/* Append a head to the list the next walk visits again (unsound, hugetlb). */
static void keep_add(struct world *w, pl_pfn head)
{
	if (w->chk_nr_keep == w->chk_cap_keep) {
		uint32_t cap = w->chk_cap_keep ? 2 * w->chk_cap_keep : 16;
		uint32_t *l = realloc(w->chk_keep, cap * sizeof(*l));

		if (!l) {
			w->chk_mark_lost = true;	/* not kept: the next walk is whole */
			return;
		}
		w->chk_keep = l;
		w->chk_cap_keep = cap;
	}
	w->chk_keep[w->chk_nr_keep++] = head;
}

/*
 * Read one folio whose head chk_memmap_folio() is about to vet: the pages
 * of it the check list names (l[k ..]), all of them when chk_pages_all(),
 * and its rules.  Returns the pfns it covers, or 0 if it is broken.
 */
static unsigned visit(struct chk *c, bool policy_changed, pl_pfn pfn, struct page *p,
		      const uint32_t *l, size_t n, size_t k)
{
	struct world *w = c->w;
	uint64_t hits = c->hits;
	uint32_t hugetlb = c->hugetlb_used + c->hugetlb_1g_used;
	unsigned nr;

	c->fl = l ? l + k : NULL;	/* no list yet: nothing listed */
	c->fn = 0;
	if (p->flags & PG_head) {
		uint64_t end = (uint64_t)pfn + (1u << PL_MIN(p->order, HPAGE_PUD_ORDER));

		while (k + c->fn < n && l[k + c->fn] < end)
			c->fn++;
	}
	c->fall = chk_pages_all(c, policy_changed, pfn, p);
	nr = chk_memmap_folio(c, pfn, p);
	if (!nr) {
		w->chk_memmap_insane = true;
		return 0;
	}
	chk_folio(c, pfn, p);
	/* sound: its unchanged pages need not be read again */
	if (c->hits == hits)
		p->chk_dirty = 0;
	/* unsound, or counted in a hugetlb pool: the next walk visits it again */
	if (c->hits != hits || c->hugetlb_used + c->hugetlb_1g_used != hugetlb)
		keep_add(w, pfn);
	return nr;
}

/* Every folio and free block, in pfn order. */
static void walk_whole(struct chk *c, bool policy_changed)
{
	struct world *w = c->w;
	const uint32_t *l = w->check_list;
	size_t n = w->check_list_lost ? 0 : w->check_nr, k = 0;
	/*
	 * The runs of free blocks earlier scans recorded: pl_alloc_pages()
	 * drops a run when it hands out a pfn inside it, and a free adds no
	 * used pfn to a run, so each still holds only free blocks.
	 */
	bool memo = !w->check_full;
	pl_pfn pfn = 1;

	if (!memo)
		w->check_nr_runs = 0;
	while (pfn < w->next_pfn) {
		struct page *p = pfn_to_page(w, pfn);
		unsigned nr;

		if (p->flags & PG_free) {
			/*
			 * A free block: only its head is written (folio.c's
			 * alignment gaps leave the tails untouched), so skip it
			 * whole by the order its head records.
			 */
			struct page *base = w->memmap[pfn >> HPAGE_PUD_ORDER];
			pl_pfn start = pfn;
			unsigned blocks = 0;
			bool known = false;
			uint64_t end;

			/* a run the last scan recorded, with no pfn allocated or freed since */
			for (uint32_t r = 0; memo && r < w->check_nr_runs; r++)
				if (w->check_runs[r][0] == pfn) {
					pfn = w->check_runs[r][1];
					known = true;
					break;
				}
			if (known)
				continue;
			end = PL_MIN(((uint64_t)(pfn >> HPAGE_PUD_ORDER) + 1) << HPAGE_PUD_ORDER,
				     (uint64_t)w->next_pfn);
			/*
			 * A run of free blocks (the alignment gap below the huge
			 * zero page is 510 of them) is skipped in place, inside
			 * its chunk: free heads are always written, and a chunk
			 * whose first block is not 1 GiB writes every head.
			 */
			do {
				unsigned order = p->order <= HPAGE_PUD_ORDER ? p->order : 0;

				pfn = (pl_pfn)PL_MIN((uint64_t)pfn + (1u << order), end);
				if (pfn >= end)
					break;
				p = &base[pfn & (HPAGE_PUD_NR - 1)];
				blocks++;
			} while (p->flags & PG_free);
			if (memo && blocks >= 16 && w->check_nr_runs < PL_ARRAY_SIZE(w->check_runs)) {
				w->check_runs[w->check_nr_runs][0] = start;
				w->check_runs[w->check_nr_runs][1] = pfn;
				w->check_nr_runs++;
			}
			continue;
		}
		/* the listed pfns of this folio: l[k .. k + c->fn) */
		while (k < n && l[k] < pfn)
			k++;
		nr = visit(c, policy_changed, pfn, p, l, n, k);
		if (!nr) {
			/* skip the rest of a broken folio: its tails were reported */
			pfn++;
			while (pfn < w->next_pfn && (pfn_to_page(w, pfn)->flags & PG_tail))
				pfn++;
			continue;
		}
		pfn += nr;
	}
}

/*
 * The head of the folio holding @pfn as the whole walk would reach it, in
 * *head (PL_PFN_NONE: a free pfn, nothing to read).  False if the memmap
 * there is not what pl_alloc_pages() and the frees leave (the whole walk
 * then reports memmap-sane): the caller walks everything instead.
 */
static bool resolve_head(const struct world *w, pl_pfn pfn, pl_pfn *head)
{
	const struct page *p = pfn_to_page(w, pfn), *h = p;
	pl_pfn hp = pfn;

	*head = PL_PFN_NONE;
	if (p->flags & PG_free)
		return true;
	if (p->flags & PG_tail) {
		hp = p->head;
		if (hp >= pfn)
			return false;
		h = pfn_to_page(w, hp);
	}
	if (!(h->flags & PG_head) || (h->flags & (PG_tail | PG_free)) || h->head != hp ||
	    (h->order > HPAGE_PMD_ORDER && (h->order != HPAGE_PUD_ORDER || !(h->flags & PG_hugetlb))) ||
	    (hp & ((1u << h->order) - 1)) || (uint64_t)hp + (1u << h->order) > w->next_pfn ||
	    pfn - hp >= (1u << h->order))
		return false;
	*head = hp;
	return true;
}

static size_t lower_bound(const uint32_t *l, size_t n, uint32_t pfn)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l[mid] < pfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Sort a short list in place (a scan's marks are a few dozen; qsort() allocates). */
static void sort_pfns(uint32_t *l, size_t n)
{
	if (n > 64) {
		qsort(l, n, sizeof(*l), cmp_pfn);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = l[i];
		size_t j = i;

		for (; j > 0 && l[j - 1] > x; j--)
			l[j] = l[j - 1];
		l[j] = x;
	}
}

/*
 * The folios that may read differently from the last walk, in pfn order:
 * the marked (w->chk_mark: a write to a struct page, swap or page-cache
 * slot, or a tally entry this scan changed) and the ones kept (w->chk_keep:
 * unsound at the last walk, or hugetlb, so the pool counts are whole).
 * Into w->chk_mark, sorted and without repeats; false without the memory.
 */
static bool gather(struct world *w)
{
	size_t need = (size_t)w->chk_nr_mark + w->chk_nr_keep, n = 0;
	uint32_t *l = w->chk_mark;

	if (need > w->chk_cap_mark) {
		l = realloc(w->chk_mark, need * sizeof(*l));
		if (!l)
			return false;
		w->chk_mark = l;
		w->chk_cap_mark = (uint32_t)need;
	}
	if (w->chk_nr_keep)
		memcpy(l + w->chk_nr_mark, w->chk_keep, w->chk_nr_keep * sizeof(*l));
	sort_pfns(l, need);
	for (size_t i = 0; i < need; i++)
		if (!n || l[n - 1] != l[i])
			l[n++] = l[i];
	w->chk_nr_mark = (uint32_t)n;
	return true;
}

/* The marked folios only; false (nothing reported) if the memmap needs the whole walk. */
static bool walk_marked(struct chk *c, bool policy_changed)
{
	struct world *w = c->w;
	const uint32_t *l = w->check_list;
	size_t n = w->check_nr;
	pl_pfn last = 0;
	uint32_t nm;

	if (!gather(w))
		return false;
	nm = w->chk_nr_mark;
	/* vet every head first: a whole walk after a report would repeat it */
	for (uint32_t i = 0; i < nm; i++) {
		pl_pfn pfn = w->chk_mark[i], head;

		if (pfn == 0 || pfn >= w->next_pfn)
			continue;
		if (!resolve_head(w, pfn, &head))
			return false;
		if (head == PL_PFN_NONE)
			continue;
		if (head < last && last != 0)
			return false;
		w->chk_mark[i] = head;
		last = head;
	}
	w->chk_nr_keep = 0;
	last = PL_PFN_NONE;
	for (uint32_t i = 0; i < nm; i++) {
		pl_pfn head = w->chk_mark[i];

		if (head == 0 || head >= w->next_pfn || head == last ||
		    (pfn_to_page(w, head)->flags & PG_free))
			continue;
		last = head;
		visit(c, policy_changed, head, pfn_to_page(w, head), l, n, lower_bound(l, n, head));
	}
	return true;
}

/*
 * The memmap walk.  @whole: every folio (--check=full, a world's first
 * scan, a policy change, a mark not kept, memmap-sane broken at the last
 * walk); so too when the mms were walked from scratch (check.c: the
 * tally changed wherever something is mapped, most live folios); else the
 * folios gather() names.  A folio left out is one the last walk found
 * sound, with no write to its struct pages, swap or page-cache slots since
 * (pl_chk_mark_pfn()) and the same tally entries, so every rule would read
 * it as sound again: the violations found, and their order, are the whole
 * walk's (the debug path below checks it).
 */
void chk_memmap(struct chk *c, bool policy_changed, bool whole)
{
	struct world *w = c->w;

	/* a list that could not grow during this scan's tally, too */
	if (w->check_list_lost || w->chk_mark_lost)
		whole = true;
	if (w->check_nr && !w->check_list_lost)
		sort_check_list(w, w->check_list, w->check_nr);
	if (!whole && w->chk_nr_mark == 0 && w->chk_nr_keep == 0) {
		w->chk_memmap_insane = false;
		return;
	}
	w->chk_memmap_insane = false;
	if (whole || !walk_marked(c, policy_changed)) {
		w->chk_nr_keep = 0;
		walk_whole(c, policy_changed);
	}
	w->chk_nr_mark = 0;
	w->chk_mark_lost = false;
	w->chk_memmap_valid = true;
	w->chk_memmap_nr_swap = w->nr_swap;
}

/* The mark list is full: grow it, or let the next walk visit every folio. */
#define PL_CHK_MARK_MAX (1u << 12)
void pl_chk_mark_slow(struct world *w, pl_pfn pfn)
{
	uint32_t cap = w->chk_cap_mark ? 2 * w->chk_cap_mark : 256;
	uint32_t *l;

	if (w->chk_mark_lost)
		return;
	/*
	 * Past a few thousand folios changed in one step a whole walk costs
	 * about what visiting them would, and a world nobody scans (the bench,
	 * an explorer run without checks) stops paying for marks here: a
	 * population of 1 GiB would fill a list of 262,144 otherwise.
	 */
	l = cap <= PL_CHK_MARK_MAX ? realloc(w->chk_mark, cap * sizeof(*l)) : NULL;
	if (!l) {
		w->chk_mark_lost = true;
		return;
	}
	w->chk_mark = l;
	w->chk_cap_mark = cap;
	l[w->chk_nr_mark++] = pfn;
}

void chk_marks_free(struct world *w)
{
	free(w->chk_mark);
	free(w->chk_keep);
	free(w->chk_hf);
	free(w->chk_shadow);
	w->chk_mark = w->chk_keep = NULL;
	w->chk_hf = NULL;
	w->chk_shadow = NULL;
	w->chk_nr_mark = w->chk_cap_mark = w->chk_nr_keep = w->chk_cap_keep = 0;
	w->chk_nr_hf = w->chk_cap_hf = 0;
	w->chk_shadow_n = 0;
	w->chk_memmap_valid = false;
}

/* ---------------------------------------------------------------------------
 * The debug path (w->check_verify, -DPL_CHECK_VERIFY=1; check.c).
 */
#define CHK_SHADOW_MAX (1u << 17)	/* pfns: a copy of 6 MiB at most */

static bool in_sorted(const uint32_t *l, size_t n, uint32_t pfn)
{
	size_t i = lower_bound(l, n, pfn);

	return i < n && l[i] == pfn;
}

/* The first field a rule reads that differs between two copies of a page, or NULL. */
static const char *page_diff(const struct page *a, const struct page *b)
{
#define D(f) do { if (a->f != b->f) return #f; } while (0)
	D(flags); D(_mapcount); D(token); D(head);
	/* a head's folio fields; page[1]'s _large_mapcount shares _refcount's word */
	D(_refcount);
	if (a->flags & PG_tail)
		return NULL;
	D(_entire_mapcount); D(_pincount); D(mapping); D(index); D(swap);
	D(gup_gets); D(gup_pins); D(order);
#undef D
	return NULL;
}

/*
 * Every page that is not free and differs from the copy the last scan
 * kept (its chk_dirty byte aside) belongs to a folio this walk visits: a
 * write that skipped pl_chk_mark_pfn() stops pinlab here even when it
 * breaks no rule.  The tails of a 1 GiB folio are left out: folio_page()
 * writes them on first use, reads included.
 */
static void shadow_check(struct world *w)
{
	size_t n = (size_t)w->chk_nr_mark + w->chk_nr_keep;
	uint32_t *l = malloc((n ? n : 1) * sizeof(*l));
	size_t k = 0;

	if (!l || !w->chk_shadow) {
		free(l);
		return;
	}
	if (w->chk_nr_mark)
		memcpy(l, w->chk_mark, w->chk_nr_mark * sizeof(*l));
	if (w->chk_nr_keep)
		memcpy(l + w->chk_nr_mark, w->chk_keep, w->chk_nr_keep * sizeof(*l));
	for (size_t i = 0; i < n; i++) {
		pl_pfn head;

		if (l[i] && l[i] < w->next_pfn && resolve_head(w, l[i], &head) &&
		    head != PL_PFN_NONE)
			l[k++] = head;
	}
	qsort(l, k, sizeof(*l), cmp_pfn);
	for (pl_pfn pfn = 1; pfn < w->next_pfn; pfn++) {
		const struct page *p = pfn_to_page(w, pfn);
		const char *what = "new";
		pl_pfn head;

		if (p->flags & PG_free)
			continue;
		if (pfn < w->chk_shadow_n && !(what = page_diff(p, &w->chk_shadow[pfn])))
			continue;
		if (!resolve_head(w, pfn, &head) || head == PL_PFN_NONE)
			continue;	/* the whole walk reports it */
		if (pfn != head && pfn_to_page(w, head)->order == HPAGE_PUD_ORDER)
			continue;
		if (!in_sorted(l, k, head)) {
			char msg[160];

			snprintf(msg, sizeof(msg),
				 "incremental checker: pfn %u (folio %u) changed unmarked: %s",
				 pfn, head, what);
			pl_bug(__FILE__, __LINE__, msg);
		}
	}
	free(l);
}

/* Keep a copy of the memmap for the next scan's shadow_check(). */
void chk_shadow_save(struct world *w)
{
	size_t n = w->next_pfn;

	if (n > CHK_SHADOW_MAX) {
		free(w->chk_shadow);
		w->chk_shadow = NULL;
		w->chk_shadow_n = 0;
		return;
	}
	if (n > w->chk_shadow_n || !w->chk_shadow) {
		struct page *s = realloc(w->chk_shadow, (n ? n : 1) * sizeof(*s));

		if (!s) {
			free(w->chk_shadow);
			w->chk_shadow = NULL;
			w->chk_shadow_n = 0;
			return;
		}
		w->chk_shadow = s;
	}
	for (size_t pfn = 0; pfn < n; pfn += HPAGE_PUD_NR) {
		size_t m = PL_MIN((size_t)HPAGE_PUD_NR, n - pfn);

		memcpy(&w->chk_shadow[pfn], w->memmap[pfn >> HPAGE_PUD_ORDER], m * sizeof(struct page));
	}
	w->chk_shadow_n = n;
}

/*
 * The walk of the marked folios, then the whole walk, which stands: the
 * violations each found, in order, and the hugetlb pools' counts must be
 * the same, else pinlab is wrong and stops.
 */
void chk_memmap_verify(struct chk *c, bool policy_changed)
{
	struct world *w = c->w;
	int v0 = w->nr_violations, found = c->found, ninc;
	uint64_t hits = c->hits;
	uint32_t used, used_1g;
	struct pl_violation *inc;

	shadow_check(w);
	chk_memmap(c, policy_changed, false);
	ninc = w->nr_violations - v0;
	inc = malloc((size_t)(ninc ? ninc : 1) * sizeof(*inc));
	if (!inc) {
		w->oom = 1;
		return;
	}
	if (ninc)
		memcpy(inc, w->violations + v0, (size_t)ninc * sizeof(*inc));
	used = c->hugetlb_used;
	used_1g = c->hugetlb_1g_used;
	w->nr_violations = v0;
	c->found = found;
	c->hits = hits;
	c->hugetlb_used = c->hugetlb_1g_used = 0;
	chk_memmap(c, policy_changed, true);
	if (used != c->hugetlb_used || used_1g != c->hugetlb_1g_used)
		pl_bug(__FILE__, __LINE__, "incremental checker: a hugetlb pool count differs");
	if (ninc != w->nr_violations - v0)
		pl_bug(__FILE__, __LINE__, "incremental checker: the memmap walk found "
			"a different number of violations");
	for (int i = 0; i < ninc; i++) {
		const struct pl_violation *a = &inc[i], *b = &w->violations[v0 + i];

		if (a->inv != b->inv || a->pid != b->pid || a->addr != b->addr ||
		    a->pfn != b->pfn || strcmp(a->detail, b->detail))
			pl_bug(__FILE__, __LINE__, "incremental checker: the memmap walk "
				"found other violations");
	}
	free(inc);
}
