/*
 * view.c - the read-only walks of include/pinlab/view.h.
 *
 * The one page-table walk every reader shares.  At each address, from the
 * top: a PUD leaf (1 GiB hugetlb) maps the whole PUD range, a PMD leaf
 * (PMD-mapped THP, 2 MiB hugetlb) the whole PMD range; otherwise the PTE
 * table, if there is one, has an entry per page, and a missing PTE table
 * skips to the next PMD range.  The lookups are core's (pgtable.c); they
 * take a mutable mm only because the writers share them, and nothing here
 * writes through what they return.
 */
#include "pinlab/view.h"

#include "internal.h"

const char *pl_leaf_level_name(enum pl_leaf_level level)
{
	switch (level) {
	case PL_LEAF_PTE:
		return "pte";
	case PL_LEAF_PMD:
		return "pmd";
	case PL_LEAF_PUD:
		return "pud";
	}
	return "?";
}

bool pl_cache_next(const struct pl_file *f, uint32_t *index, pl_pfn *pfn)
{
	if (!f->cache)
		return false;
	for (uint32_t i = *index; i < f->nr_pages && i < f->cap;) {
		pl_pfn p = *pl_file_cache_slot(f, i);

		if (p != PL_PFN_NONE) {
			*index = i;
			*pfn = p;
			return true;
		}
		/* the next slot's first index */
		i = ((i >> f->cache_shift) + 1) << f->cache_shift;
	}
	return false;
}

/* The huge leaf mapping addr, if any: a PUD leaf or a PMD leaf. */
static bool huge_leaf_at(struct mm_struct *mm, pl_addr addr, struct pl_leaf *out)
{
	pud_t *pudp = pl_pud_lookup(mm, addr);
	pmd_t *pmdp;

	if (pudp && pud_leaf(*pudp)) {
		*out = (struct pl_leaf){ addr & PUD_MASK, *pudp, PL_LEAF_PUD };
		return true;
	}
	pmdp = pl_pmd_lookup(mm, addr);
	if (pmdp && pmd_leaf(*pmdp)) {
		*out = (struct pl_leaf){ addr & PMD_MASK, *pmdp, PL_LEAF_PMD };
		return true;
	}
	return false;
}

bool pl_leaf_at(const struct mm_struct *mm, pl_addr addr, struct pl_leaf *out)
{
	struct mm_struct *m = (struct mm_struct *)mm;	/* read only, see above */
	pte_t *ptep;

	if (huge_leaf_at(m, addr, out))
		return true;
	ptep = pl_pte_lookup(m, addr);
	*out = (struct pl_leaf){ addr & PAGE_MASK, ptep ? *ptep : 0, PL_LEAF_PTE };
	return ptep != NULL;
}

bool pl_leaf_next(struct pl_leaf_iter *it, struct pl_leaf *out)
{
	struct mm_struct *mm = (struct mm_struct *)it->mm;	/* read only, see above */

	while (it->next < it->end) {
		pl_addr a = it->next;
		pte_t *ptep;

		if (huge_leaf_at(mm, a, out)) {
			it->next = out->addr + (out->level == PL_LEAF_PUD ? PUD_SIZE : PMD_SIZE);
			return true;
		}
		ptep = pl_pte_lookup(mm, a);
		if (!ptep) {
			it->next = (a & PMD_MASK) + PMD_SIZE;
			continue;
		}
		it->next = a + PAGE_SIZE;
		if (!pte_none(*ptep)) {
			*out = (struct pl_leaf){ a, *ptep, PL_LEAF_PTE };
			return true;
		}
	}
	return false;
}

bool pl_leaf_first(struct pl_leaf_iter *it, const struct mm_struct *mm, pl_addr start,
		   pl_addr end, struct pl_leaf *out)
{
	it->mm = mm;
	it->next = start;
	it->end = end;
	return pl_leaf_next(it, out);
}

void pl_tables_at(const struct mm_struct *mm, pl_addr addr, struct pl_tables *out)
{
	struct mm_struct *m = (struct mm_struct *)mm;	/* read only, see above */

	out->pud = pl_pud_lookup(m, addr);
	out->pmd = pl_pmd_lookup(m, addr);
	out->ptes = pl_ptetab_lookup(m, addr);
}

/*
 * Walk the memmap folio by folio.  Free blocks and never-touched pfns (the
 * alignment gap below a 1 GiB folio) are skipped; the reserved zero pages
 * never change and are left out.
 */
int pl_folio_states(const struct world *w, struct pl_folio_state *out, int max)
{
	int n = 0;

	for (pl_pfn pfn = 1; pfn < w->next_pfn;) {
		const struct page *p = pfn_to_page(w, pfn);
		struct folio *f = (struct folio *)p;
		unsigned int nr = 1u << p->order;

		if (!(p->flags & PG_head) || (p->flags & (PG_free | PG_reserved)) ||
		    p->head != pfn) {
			pfn += (p->flags & PG_free) && p->head == pfn ? nr : 1;
			continue;
		}
		if (n < max) {
			struct pl_folio_state *st = &out[n];

			st->pfn = pfn;
			st->order = p->order;
			st->refcount = p->_refcount;
			st->mapcount = folio_mapcount(f);
			st->pincount = folio_has_pincount(f) ? p->_pincount : p->gup_pins;
			st->flags = p->flags & ~(uint32_t)PL_PG_MODEL_ONLY;
			st->exclusive = 0;
			for (unsigned int i = 0; i < nr; i++)
				st->exclusive += pl_page_anon_exclusive_bit(w, folio_page(f, i));
			st->text = pl_token_text(w, p->token);
		}
		n++;
		pfn += nr;
	}
	return n;
}
