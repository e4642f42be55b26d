/*
 * KSM: the model of one ksmd pass (mm/ksm.c).
 *
 * ksmd looks at every small anon page in VM_MERGEABLE private vmas and
 * merges pages with identical contents into one write-protected "KSM page"
 * (the kernel's stable tree).  The model compares tokens instead of bytes
 * and does the whole pass at once:
 *
 *   1. scan: collect (mm, addr, pfn, token) for every candidate page, and
 *      every KSM folio already mapped (the stable tree).
 *   2. group by token; within a group, one unit per folio (a folio shared
 *      after fork is mapped at several places, all of which must be found).
 *   3. write_protect_page(): under the PTL, clear the PTE, check that the
 *      folio has no reference besides its mappings -- the kernel's
 *      "mapcount + 1 + swapped == refcount", the 1 being ksmd's own
 *      reference which the model does not take -- give up exclusivity with
 *      __folio_try_share_anon_rmap(), and reinstall the PTE read-only and
 *      clean.  A GUP reference (O_DIRECT in flight, a pin) makes it fail:
 *      merging would make the DMA target diverge from the process.
 *   4. replace_page(): every other unit's PTEs are pointed at the KSM folio
 *      (a stable one of the same token, or else the group's first unit,
 *      which becomes PG_ksm); the old pages lose their mappings and die.
 *
 *   page A (excl, W) --+                          +--> KSM page (R/O, PG_ksm,
 *   page B (excl, W) --+-- write-protect, share --+      never exclusive)
 *   page C (pinned)  ----- refcount != mapcount: skipped, stays exclusive
 *
 * A write to a KSM page always copies (do_wp_page never reuses PG_ksm).
 * use_zero_pages=0: zero-filled pages merge into a KSM page like any other.
 */
#include "internal.h"

struct ksm_rmap_item {
	struct mm_struct *mm;
	pl_addr addr;
	pl_pfn pfn;
	pl_token token;
};

struct ksm_scan {
	struct world *w;
	struct ksm_rmap_item *cand;	/* candidate pages, one per PTE */
	int nr_cand, cap_cand;
	struct ksm_rmap_item *stable;	/* KSM folios seen mapped */
	int nr_stable, cap_stable;
};

static void ksm_push(struct world *w, struct ksm_rmap_item **v, int *nr, int *cap,
		     const struct ksm_rmap_item *it)
{
	PL_ARRAY_PUSH_ROOM(w, *v, *nr, *cap, 64);
	(*v)[(*nr)++] = *it;
}

/* vma_ksm_compatible(): private, no hugetlb, no special mappings. */
static bool vma_ksm_mergeable(const struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MERGEABLE))
		return false;
	return !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE | VM_HUGETLB | VM_PFNMAP | VM_IO));
}

/* scan_get_next_rmap_item(): one PTE of a mergeable vma. */
static int ksm_scan_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			pl_addr addr, pte_t *ptep, void *arg)
{
	struct ksm_scan *s = arg;
	pte_t pte = pl_ptep_get(w, ptep);
	struct ksm_rmap_item it;
	struct folio *f;
	struct page *p;

	(void)vma;
	if (!pte_present(pte) || pte_protnone(pte) || pte_special(pte) ||
	    pl_is_zero_pfn(w, pte_pfn(pte)))
		return 0;
	p = pfn_to_page(w, pte_pfn(pte));
	f = page_folio(w, p);
	if (!folio_test_anon(f) || folio_test_hugetlb(f))
		return 0;
	it.mm = mm;
	it.addr = addr;
	it.pfn = pte_pfn(pte);
	it.token = pl_page_token(w, p);
	if (folio_test_ksm(f)) {
		for (int i = 0; i < s->nr_stable; i++)
			if (s->stable[i].pfn == it.pfn)
				return 0;
		ksm_push(w, &s->stable, &s->nr_stable, &s->cap_stable, &it);
		return 0;
	}
	if (folio_test_large(f) || folio_test_swapcache(f))
		return 0;
	ksm_push(w, &s->cand, &s->nr_cand, &s->cap_cand, &it);
	return 0;
}

static int ksm_item_cmp(const void *a, const void *b)
{
	const struct ksm_rmap_item *x = a, *y = b;

	if (x->token != y->token)
		return x->token < y->token ? -1 : 1;
	if (x->pfn != y->pfn)
		return x->pfn < y->pfn ? -1 : 1;
	if (x->mm->id != y->mm->id)
		return x->mm->id < y->mm->id ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return 0;
}

/*
 * write_protect_page(): make one mapping of the folio read-only, clean and
 * non-exclusive -- or leave it alone if anything but mappings holds the
 * folio, or it may be pinned.
 */
static bool write_protect_page(struct world *w, const struct ksm_rmap_item *it, int extra)
{
	struct pl_lock *ptl = pl_pte_lockptr(it->mm, it->addr);
	pte_t *ptep = pl_pte_lookup(it->mm, it->addr);
	struct page *p = pfn_to_page(w, it->pfn);
	struct folio *f = page_folio(w, p);
	struct pl_share_sample early = { 0 };
	bool ok = false;
	pte_t pte;

	if (!ptep || !ptl)
		return false;
	pl_spin_lock(w, ptl);
	pte = pl_ptep_get(w, ptep);
	if (!pte_present(pte) || pte_pfn(pte) != it->pfn)
		goto unlock;
	if (pte_write(pte) || pte_dirty(pte) || pl_page_anon_exclusive_bit(w, p)) {
		/* before 088b8aa537c2 the checks below may see counts from before the clear */
		pl_share_sample_take(w, f, &early);
		pl_set_pte(w, ptep, 0);		/* ptep_clear_flush() */
		/* no O_DIRECT or other GUP reference in flight */
		if ((int)pl_share_sample_refcount(w, f, &early) != folio_mapcount(f) + extra ||
		    folio_try_share_anon_rmap_sampled(w, f, p, &early)) {
			pl_set_pte(w, ptep, pte);
			goto unlock;
		}
		if (pte_dirty(pte))
			folio_mark_dirty(w, f);
		pl_set_pte(w, ptep, pte_wrprotect(pte_mkclean(pte)));
	}
	ok = (int)pl_share_sample_refcount(w, f, &early) == folio_mapcount(f) + extra;
unlock:
	pl_spin_unlock(w, ptl);
	return ok;
}

/*
 * replace_page(): point one mapping at the KSM folio.  The old folio loses
 * this mapping; the caller drops the mapping's reference afterwards.
 */
static bool replace_page(struct world *w, const struct ksm_rmap_item *it, struct folio *kfolio)
{
	struct pl_lock *ptl = pl_pte_lockptr(it->mm, it->addr);
	pte_t *ptep = pl_pte_lookup(it->mm, it->addr);
	struct vm_area_struct *vma = vma_lookup(it->mm, it->addr);
	struct page *p = pfn_to_page(w, it->pfn);
	pte_t pte;

	if (!ptep || !ptl || !vma)
		return false;
	pl_spin_lock(w, ptl);
	pte = pl_ptep_get(w, ptep);
	if (!pte_present(pte) || pte_pfn(pte) != it->pfn || pte_write(pte)) {
		pl_spin_unlock(w, ptl);
		return false;
	}
	folio_get(w, kfolio);
	folio_add_anon_rmap_pte(w, kfolio, &kfolio->page, vma, false);
	pl_set_pte(w, ptep, pl_mk_pte(vma, folio_pfn(kfolio), false) |
				    (pte & (_PAGE_SOFT_DIRTY | _PAGE_UFFD_WP)));
	folio_remove_rmap_pte(w, page_folio(w, p), p, vma);
	pl_spin_unlock(w, ptl);
	pl_event_emit(w, PL_EV_KSM_MERGE, "replace_page", "VM_MERGEABLE", it->addr, it->pfn,
		      folio_pfn(kfolio), "\"%s\" merged into KSM page", pl_token_text(w, it->token));
	return true;
}

/* A folio of the group: items [first, last) all map it. */
struct ksm_unit {
	int first, last;
	bool ok;
	bool held;		/* we hold a reference on it (the scan's follow_page ref) */
};

/* Merge one group of same-token items [first, last); return pages merged. */
static int ksm_merge_group(struct world *w, struct ksm_scan *s, int first, int last)
{
	struct ksm_rmap_item *items = s->cand;
	struct folio *kfolio = NULL;
	struct folio *knew = NULL;
	struct ksm_unit *units;
	int nr_units = 0, nr_ok = 0, merged = 0;
	bool kheld;

	for (int i = 0; i < s->nr_stable && !kfolio; i++)
		if (s->stable[i].token == items[first].token)
			kfolio = pfn_folio(w, s->stable[i].pfn);
	/*
	 * get_ksm_page(): hold the stable page while merging into it; a racing
	 * unmap may otherwise free it under us.  Gone already: nothing to merge.
	 */
	if (kfolio && !folio_try_get(w, kfolio))
		return 0;
	kheld = kfolio != NULL;
	units = pl_zalloc(w, (size_t)(last - first) * sizeof(*units));
	for (int i = first; i < last;) {
		struct folio *f = pfn_folio(w, items[i].pfn);
		int j = i;

		while (j < last && items[j].pfn == items[i].pfn)
			j++;
		units[nr_units].first = i;
		units[nr_units].last = j;
		/* every mapping found, and nothing but mappings holds it */
		units[nr_units].ok = folio_mapcount(f) == j - i &&
				     (int)folio_ref_count(w, f) == folio_mapcount(f);
		nr_ok += units[nr_units].ok;
		nr_units++;
		i = j;
	}
	if (nr_ok < (kfolio ? 1 : 2))
		goto out;
	nr_ok = 0;
	for (int u = 0; u < nr_units; u++) {
		struct folio *f = pfn_folio(w, items[units[u].first].pfn);

		if (!units[u].ok)
			continue;
		/*
		 * Like ksmd, hold the page while it is locked and merged: a
		 * racing COW or unmap must not free it under us.  The checks
		 * below then expect one reference more than the mappings.
		 */
		if (!folio_try_get(w, f)) {
			units[u].ok = false;
			continue;
		}
		units[u].held = true;
		if (!folio_trylock(w, f)) {
			units[u].ok = false;
			continue;
		}
		for (int i = units[u].first; i < units[u].last && units[u].ok; i++)
			units[u].ok = write_protect_page(w, &items[i], 1);
		/*
		 * try_to_merge_one_page(): the first page of a new pair becomes
		 * the stable page (PageKsm) before the page lock is dropped, so
		 * a racing write fault never reuses it in place.
		 */
		if (units[u].ok && !kfolio && !knew) {
			knew = f;
			pl_page_flags_set(w, &f->page, PG_ksm);
		}
		folio_unlock(w, f);
		nr_ok += units[u].ok;
	}
	if (nr_ok < (kfolio ? 1 : 2)) {
		/* no partner: break_cow() -- the page is an ordinary anon page again */
		if (knew)
			pl_page_flags_clear(w, &knew->page, PG_ksm);
		goto out;
	}
	for (int u = 0; u < nr_units; u++) {
		struct folio *f = pfn_folio(w, items[units[u].first].pfn);
		int puts = 0;

		if (!units[u].ok)
			continue;
		if (!kfolio) {
			/* the first page became the stable KSM page above (held as a unit) */
			PL_BUG_ON(f != knew);
			kfolio = f;
			continue;
		}
		for (int i = units[u].first; i < units[u].last; i++)
			puts += replace_page(w, &items[i], kfolio);
		/* the mappings' references: the old page is freed with the last */
		if (puts)
			folio_put_refs(w, f, puts);
		merged += puts;
	}
out:
	if (kheld)
		folio_put(w, kfolio);
	for (int u = 0; u < nr_units; u++)
		if (units[u].held)
			folio_put(w, pfn_folio(w, items[units[u].first].pfn));
	free(units);
	return merged;
}

/**
 * pl_ksm_merge() - one full ksmd pass over every mergeable vma of every mm.
 * Return: the number of mappings redirected to a KSM page (pages saved).
 */
int pl_ksm_merge(struct world *w)
{
	struct ksm_scan s = { .w = w };
	struct mm_struct *mm;
	int pos = 0, merged = 0;

	while ((mm = pl_next_mm(w, &pos))) {
		for (int i = 0; i < mm->nr_vmas; i++) {
			struct vm_area_struct *vma = &mm->vmas[i];

			if (vma_ksm_mergeable(vma))
				pl_walk_range(w, mm, vma, vma->vm_start, vma->vm_end, NULL,
					      ksm_scan_pte, &s);
		}
	}
	if (s.nr_cand)
		qsort(s.cand, (size_t)s.nr_cand, sizeof(*s.cand), ksm_item_cmp);
	for (int i = 0; i < s.nr_cand;) {
		int j = i;

		while (j < s.nr_cand && s.cand[j].token == s.cand[i].token)
			j++;
		merged += ksm_merge_group(w, &s, i, j);
		i = j;
	}
	free(s.cand);
	free(s.stable);
	return merged;
}
