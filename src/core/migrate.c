/*
 * Page migration (mm/migrate.c) as FOLL_LONGTERM needs it: move a folio out
 * of ZONE_MOVABLE or a CMA area before it is pinned for good, and refuse to
 * move a folio that someone else holds.
 *
 * One folio at a time, as migrate_pages() -> migrate_folio_unmap() ->
 * move_to_new_folio() -> remove_migration_ptes() does it:
 *
 *   1. allocate the target (zone normal; hugetlb: a free page of its pool)
 *   2. lock the old folio and take the isolation reference
 *   3. try_to_migrate(): every PTE mapping a page of it becomes a migration
 *      entry (write / read-exclusive / read, like swap entries); an exclusive
 *      anon page that may be pinned cannot lose its exclusivity
 *      (folio_try_share_anon_rmap_pte() fails) and the folio stays
 *   4. folio_migrate_mapping(): the refcount must be exactly what the cache
 *      and our isolation hold (folio_expected_ref_count() + 1, frozen); any
 *      other reference -- a GUP pin or GET, a pipe buffer -- fails the move
 *   5. copy contents and flags, move the page-cache or swap-cache slot
 *   6. remove_migration_ptes(): each entry becomes a PTE of the new folio
 *
 * A fault that finds a migration entry waits for the old folio's lock and
 * retries (migration_entry_wait()); GUP-fast sees a non-present PTE and
 * falls back to the slow path, which faults.  Between 3 and 6 the explorer
 * may run anything (YIELD_MIGRATE).  PMD-mapped THPs are PTE-mapped first
 * (the kernel can keep the PMD with a PMD migration entry; the model splits
 * the mapping, never the folio).  hugetlb folios are moved under their
 * locks in one step (no hugetlb migration entries in the model).
 *
 * The rules were read in the 6.1 and 6.12 sources (mm/gup.c
 * check_and_migrate_movable_pages()/..._folios(), mm/migrate.c).
 */
#include "internal.h"

#include <string.h>

struct migrate_ctl {
	struct folio *old, *new;
	int unmapped;		/* PTEs turned into migration entries */
};

/* Every PTE of every mm that maps a page of f: callback(mm, vma, addr, ptep). */
static int migrate_for_each_pte(struct world *w, struct folio *f, bool entries,
				int (*cb)(struct world *w, struct mm_struct *mm,
					  struct vm_area_struct *vma, pl_addr addr, pte_t *ptep,
					  struct migrate_ctl *c),
				struct migrate_ctl *c)
{
	pl_pfn lo = folio_pfn(f), hi = lo + folio_nr_pages(f);

	for (int t = 0; t < w->nr_tasks; t++) {
		struct mm_struct *mm = w->tasks[t]->mm;

		for (int i = 0; mm && i < mm->nr_vmas; i++) {
			struct vm_area_struct *v = &mm->vmas[i];

			for (pl_addr a = v->vm_start; a < v->vm_end; a += PAGE_SIZE) {
				pte_t *ptep, pte;
				int err;

				if (!pl_ptetab_lookup(mm, a)) {
					a = (a & PMD_MASK) + PMD_SIZE - PAGE_SIZE;
					continue;
				}
				ptep = pl_pte_lookup(mm, a);
				pte = ptep ? *ptep : 0;
				if (entries ? !is_migration_entry(pte)
					    : (!pte_present(pte) || pte_special(pte)))
					continue;
				if (pte_pfn(pte) < lo || pte_pfn(pte) >= hi)
					continue;
				err = cb(w, mm, v, a, ptep, c);
				if (err)
					return err;
			}
		}
	}
	return 0;
}

/* PMD leaves mapping f become PTE mappings of the same folio. */
static void migrate_split_pmds(struct world *w, struct folio *f)
{
	for (int t = 0; t < w->nr_tasks; t++) {
		struct mm_struct *mm = w->tasks[t]->mm;

		for (int i = 0; mm && i < mm->nr_vmas; i++) {
			struct vm_area_struct *v = &mm->vmas[i];

			for (pl_addr a = v->vm_start & PMD_MASK; a < v->vm_end; a += PMD_SIZE) {
				pmd_t *pmdp = pl_pmd_lookup(mm, a);

				if (pmdp && pmd_leaf(*pmdp) && pte_present(*pmdp) &&
				    pte_pfn(*pmdp) == folio_pfn(f))
					__split_huge_pmd(w, mm, v, a);
			}
		}
	}
}

/* try_to_migrate_one(): one PTE becomes a migration entry. */
static int migrate_unmap_one(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			     pl_addr addr, pte_t *ptep, struct migrate_ctl *c)
{
	struct pl_lock *ptl = pl_pte_lockptr(mm, addr);
	pte_t pte;
	struct page *page;
	bool excl;

	pl_spin_lock(w, ptl);
	pte = pl_ptep_get(w, ptep);
	page = pfn_to_page(w, pte_pfn(pte));
	excl = folio_test_anon(c->old) && w->policy.anon_exclusive &&
	       pl_page_anon_exclusive(w, page);
	pl_set_pte(w, ptep, 0);		/* ptep_clear_flush() */
	if (excl && __folio_try_share_anon_rmap(w, c->old, page)) {
		/* maybe pinned: the page must stay exclusive, so it cannot move */
		pl_set_pte(w, ptep, pte);
		pl_spin_unlock(w, ptl);
		return -EBUSY;
	}
	pl_set_pte(w, ptep, make_migration_entry(pte, excl));
	folio_remove_rmap_pte(w, c->old, page, vma);
	folio_put(w, c->old);		/* the mapping's reference */
	c->unmapped++;
	pl_spin_unlock(w, ptl);
	return 0;
}

/* remove_migration_pte(): the entry maps dst's page at the same offset. */
static int migrate_remap_one(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			     pl_addr addr, pte_t *ptep, struct migrate_ctl *c)
{
	struct pl_lock *ptl = pl_pte_lockptr(mm, addr);
	struct folio *dst = c->new ? c->new : c->old;
	pte_t e, pte;
	struct page *page;

	pl_spin_lock(w, ptl);
	e = pl_ptep_get(w, ptep);
	page = folio_page(dst, pte_pfn(e) - folio_pfn(c->old));
	pte = pfn_pte(page_to_pfn(w, page), _PAGE_PRESENT | _PAGE_ACCESSED |
		      (e & (_PAGE_RW | _PAGE_DIRTY | _PAGE_SOFT_DIRTY | _PAGE_UFFD_WP)));
	folio_get(w, dst);
	if (folio_test_anon(dst))
		folio_add_anon_rmap_pte(w, dst, page, vma, (e & _PAGE_SWP_EXCLUSIVE) != 0);
	else
		folio_add_file_rmap_pte(w, dst, page, vma);
	pl_set_pte(w, ptep, pte);
	pl_spin_unlock(w, ptl);
	return 0;
}

/* folio_migrate_mapping() + folio_migrate_flags(): contents, flags, cache slot. */
static void migrate_move_state(struct world *w, struct folio *old, struct folio *new)
{
	unsigned nr = folio_nr_pages(old);
	const uint32_t keep = PG_anon | PG_dirty | PG_swapcache | PG_hugetlb | PG_ksm;

	for (unsigned i = 0; i < nr; i++) {
		struct page *o = folio_page(old, i), *n = folio_page(new, i);

		n->token = o->token;
		n->flags |= o->flags & PG_gup_written;
	}
	new->page.flags |= old->page.flags & keep;
	pl_chk_folio_changed(w);
	new->page.mapping = old->page.mapping;
	new->page.index = old->page.index;
	if (folio_test_swapcache(old)) {
		new->page.swap = old->page.swap;
		w->swap[old->page.swap].cache = folio_pfn(new);
		folio_ref_add(w, new, (int)nr);		/* the swap cache's references */
		old->page.flags &= ~PG_swapcache;
		folio_put_refs(w, old, (int)nr);
	} else if (!folio_test_anon(old) && old->page.mapping) {
		struct pl_file *file = pl_file_get(w, (int)old->page.mapping - 1);
		int refs = (int)pl_filemap_cache_refs(old);

		for (unsigned i = 0; file && i < nr; i += 1u << file->cache_shift)
			if (old->page.index + i < file->nr_pages &&
			    *pl_file_cache_slot(file, old->page.index + i) == folio_pfn(old))
				*pl_file_cache_slot(file, old->page.index + i) = folio_pfn(new);
		folio_ref_add(w, new, refs);		/* the page cache's references */
		folio_put_refs(w, old, refs);
		pl_chk_folio_changed(w);
		old->page.mapping = 0;
	}
	old->page.flags &= ~(PG_dirty | PG_anon);
	/* both folios' fields, and the swap or page-cache slots naming them */
	pl_chk_mark_folio(w, old);
	pl_chk_mark_folio(w, new);
}

/* The target of a migration for a long-term pin: never movable, never CMA. */
static struct folio *migrate_alloc_target(struct world *w, struct folio *old)
{
	struct folio *f;

	if (folio_test_hugetlb(old))
		f = pl_hugetlb_alloc(w, old->page.order);
	else
		f = folio_alloc(w, old->page.order);
	if (f)
		f->page.flags &= ~(PG_movable | PG_cma);
	return f;
}

/*
 * A hugetlb folio: its PMD or PUD leaves switch to a page of the pool in one
 * step under the folio lock (isolate_hugetlb(), then the same expected
 * refcount test).  The target is a free huge page of the same size; none
 * free means -ENOMEM, as alloc_migration_target() fails.
 */
static int migrate_hugetlb_move(struct world *w, struct folio *f, const char *reason)
{
	struct folio *new = migrate_alloc_target(w, f);
	uint32_t cache = (!folio_test_anon(f) && f->page.mapping) ? pl_filemap_cache_refs(f) : 0;
	uint32_t leaves = 0;

	if (!new)
		return -ENOMEM;
	folio_lock(w, f);
	for (int pass = 0; pass < 2; pass++) {
		for (int t = 0; t < w->nr_tasks; t++) {
			struct mm_struct *mm = w->tasks[t]->mm;

			for (int i = 0; mm && i < mm->nr_vmas; i++) {
				struct vm_area_struct *v = &mm->vmas[i];
				pl_addr step = vma_huge_page_size(v);

				if (!(v->vm_flags & VM_HUGETLB))
					continue;
				for (pl_addr a = v->vm_start; a < v->vm_end; a += step) {
					pte_t *leaf = step == PUD_SIZE ? pl_pud_lookup(mm, a)
								       : pl_pmd_lookup(mm, a);

					if (!leaf || !pte_present(*leaf) ||
					    pte_pfn(*leaf) != folio_pfn(f))
						continue;
					/*
					 * try_to_migrate_one(): a file folio mapped
					 * through a shared pmd table is unmapped from
					 * this vma by unsharing it; the last mm that
					 * holds the table keeps the entry and migrates.
					 */
					if (pass == 0 && step == PMD_SIZE &&
					    pl_huge_pmd_unshare(w, mm, a))
						continue;
					if (pass == 0) {
						leaves++;
						continue;
					}
					pl_set_pte(w, leaf, pfn_pte(folio_pfn(new),
								    *leaf & ~_PAGE_PFN_MASK));
				}
			}
		}
		if (pass)
			break;
		if ((folio_test_anon(f) && w->policy.anon_exclusive &&
		     PageAnonExclusive(&f->page) && folio_maybe_dma_pinned(f)) ||
		    folio_ref_count(w, f) != leaves + cache) {
			folio_unlock(w, f);
			folio_put(w, new);
			pl_event_emit(w, PL_EV_NOTE, "migrate_pages", reason, 0, folio_pfn(f), 0,
				      "hugetlb folio not migrated: unexpected references");
			return -EAGAIN;
		}
	}
	for (unsigned i = 0; i < folio_nr_pages(f); i++)
		folio_page(new, i)->token = folio_page(f, i)->token;
	new->page.flags |= f->page.flags & (PG_anon | PG_dirty | PG_anon_exclusive);
	pl_chk_folio_changed(w);
	new->page.mapping = f->page.mapping;
	new->page.index = f->page.index;
	new->page._entire_mapcount = (int32_t)leaves;
	(&new->page)[1]._large_mapcount = (int32_t)leaves;	/* no PTE maps a hugetlb page */
	folio_ref_add(w, new, (int)leaves);
	if (cache) {
		struct pl_file *file = pl_file_get(w, (int)f->page.mapping - 1);

		if (file && pl_file_cache(file, f->page.index) == folio_pfn(f))
			for (uint32_t i = 0; i < folio_nr_pages(f) && f->page.index + i < file->nr_pages;
			     i += 1u << file->cache_shift)
				if (*pl_file_cache_slot(file, f->page.index + i) == folio_pfn(f))
					*pl_file_cache_slot(file, f->page.index + i) = folio_pfn(new);
		folio_ref_add(w, new, (int)cache);
		pl_chk_folio_changed(w);
		f->page.mapping = 0;
	}
	f->page._entire_mapcount = 0;
	(&f->page)[1]._large_mapcount = 0;
	f->page.flags &= ~(PG_anon | PG_dirty | PG_anon_exclusive);
	pl_chk_mark_folio(w, f);
	pl_chk_mark_folio(w, new);
	folio_unlock(w, f);
	pl_event_emit(w, PL_EV_NOTE, "migrate_pages", reason, 0, folio_pfn(f), folio_pfn(new),
		      "hugetlb folio moved to a page of the pool that may be pinned");
	folio_put(w, new);
	folio_put_refs(w, f, (int)(leaves + cache));
	return 0;
}

/**
 * migrate_folio_move() - migrate_pages() of one folio to a pinnable target.
 * @w: the world
 * @f: the folio (the caller holds no reference that is not a mapping or cache)
 * @reason: for the event ("FOLL_LONGTERM", "move_pages" ...)
 *
 * Return: 0 when every mapping now maps the new folio; -EBUSY when an
 * exclusive anon page may be pinned (try_to_migrate refused), -EAGAIN when
 * the refcount is not the expected one (someone else holds the folio),
 * -ENOMEM when no target could be allocated.  On failure nothing changed.
 */
int migrate_folio_move(struct world *w, struct folio *f, const char *reason)
{
	struct migrate_ctl c = { .old = f };
	unsigned nr = folio_nr_pages(f);
	uint32_t cache = folio_test_swapcache(f) ? nr
			 : (!folio_test_anon(f) && f->page.mapping) ? pl_filemap_cache_refs(f) : 0;
	int err;

	if (folio_test_hugetlb(f))
		return migrate_hugetlb_move(w, f, reason);
	c.new = migrate_alloc_target(w, f);
	if (!c.new)
		return -ENOMEM;
	folio_get(w, f);		/* folio_isolate_lru() */
	folio_lock(w, f);
	if (folio_test_large(f) && !folio_test_hugetlb(f))
		migrate_split_pmds(w, f);
	err = migrate_for_each_pte(w, f, false, migrate_unmap_one, &c);
	if (!err) {
		pl_yield(w, YIELD_MIGRATE);
		/* folio_ref_freeze(expected): only the cache and our isolation ref left */
		if (folio_ref_count(w, f) != 1 + cache || folio_mapcount(f) != 0)
			err = -EAGAIN;
	}
	if (err) {
		struct folio *target = c.new;

		c.new = NULL;		/* remove_migration_ptes(src, src) */
		migrate_for_each_pte(w, f, true, migrate_remap_one, &c);
		folio_unlock(w, f);
		folio_put(w, f);
		folio_put(w, target);
		pl_event_emit(w, PL_EV_NOTE, "migrate_pages", reason, 0, folio_pfn(f), 0,
			      "%s", err == -EBUSY ? "not migrated: an exclusive page may be pinned"
						  : "not migrated: unexpected references");
		return err;
	}
	migrate_move_state(w, f, c.new);
	migrate_for_each_pte(w, f, true, migrate_remap_one, &c);
	folio_unlock(w, f);
	pl_event_emit(w, PL_EV_NOTE, "migrate_pages", reason, 0, folio_pfn(f), folio_pfn(c.new),
		      "moved to a folio that may be pinned (order %u)", f->page.order);
	folio_put(w, c.new);		/* the allocation reference */
	folio_put(w, f);		/* isolation: the old folio is freed */
	return 0;
}

/* migration_entry_wait(): sleep until the migration of the entry's folio ends. */
void migration_entry_wait(struct world *w, pte_t entry)
{
	struct folio *f = pfn_folio(w, pte_pfn(entry));

	folio_lock(w, f);
	folio_unlock(w, f);
}
