/*
 * view.h - a read-only view of a world: the way every reader walks it.
 *
 * Only src/core/ writes a world.  Everything else that looks at one -- the
 * state dump and the DOT picture (src/report/), the explorer's state hash
 * and lock names (src/explore/), the model backend's `check` answers, the
 * invariant checker's helpers -- walks it through the iterators below, so
 * the page-table walk is written once, here and in src/core/view.c:
 *
 *	struct world
 *	  tasks[]  --pl_for_each_mm-->  struct mm_struct
 *	                                  vmas[]  --pl_for_each_vma-->  struct vm_area_struct
 *	                                  pgd -> pud -> pmd -> pte
 *	                                      --pl_leaf_first/next-->  struct pl_leaf
 *	                                         (a PUD leaf, a PMD leaf, or a PTE that is not none)
 *	  folios   --pl_folio_states-->  struct pl_folio_state (counters, flags, contents)
 *	  files[]  --pl_for_each_file-->  struct pl_file
 *	                                  cache[] --pl_cache_next--> (index, pfn)
 *
 * Everything is const: a reader gets values (struct pl_leaf holds a copy
 * of the entry) or const pointers, never a way to change the world.
 *
 * May include: pinlab/core.h, libc.
 */
#ifndef PINLAB_VIEW_H
#define PINLAB_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "pinlab/core.h"

/* ---------------------------------------------------------------------------
 * Processes, address spaces, VMAs, files.
 */

/* Every task, exited ones included (t->mm is then NULL), in pid order. */
#define pl_for_each_task(w, i, t) \
	for ((i) = 0; (i) < (w)->nr_tasks && ((t) = (w)->tasks[i], 1); (i)++)

/* Every VMA of mm, lowest address first. */
#define pl_for_each_vma(mm, i, v) \
	for ((i) = 0; (i) < (mm)->nr_vmas && ((v) = &(mm)->vmas[i], 1); (i)++)

/* Every file, in id order (unlinked ones too). */
#define pl_for_each_file(w, i, f) \
	for ((i) = 0; (i) < (w)->nr_files && ((f) = (w)->files[i], 1); (i)++)

/*
 * pl_cache_next() - the next page-cache page of @f at or after *@index:
 * sets *@index and *@pfn and returns true, or returns false at the end.
 * Walk a whole cache with: for (i = 0; pl_cache_next(f, &i, &pfn); i++).
 */
bool pl_cache_next(const struct pl_file *f, uint32_t *index, pl_pfn *pfn);

/* ---------------------------------------------------------------------------
 * Folios.
 */
/* One folio's counters: --trace, the HTML timeline, the backend's folios(). */
struct pl_folio_state {
	uint32_t pfn;		/* head */
	uint32_t order;
	uint32_t refcount;
	int32_t mapcount;	/* folio_mapcount() */
	int32_t pincount;	/* _pincount (large folios), else GUP_PIN_COUNTING_BIAS multiples */
	uint32_t flags;		/* PG_* of the head page */
	uint32_t exclusive;	/* pages with PG_anon_exclusive */
	const char *text;	/* contents of the head page */
};

/*
 * pl_folio_states() - the live folios of @w by pfn: at most @max into @out.
 * Free blocks, tail pages and the reserved zero pages are left out.
 * Return: how many there are (more than @max: call again with more room).
 */
int pl_folio_states(const struct world *w, struct pl_folio_state *out, int max);

/* ---------------------------------------------------------------------------
 * Page-table leaves: what maps an address.
 */
enum pl_leaf_level {
	PL_LEAF_PTE = 1,	/* a PTE (present, swap entry or other non-none entry) */
	PL_LEAF_PMD = 2,	/* a PMD leaf: a PMD-mapped THP or 2 MiB hugetlb page */
	PL_LEAF_PUD = 3,	/* a PUD leaf: a 1 GiB hugetlb page */
};

struct pl_leaf {
	pl_addr addr;			/* first address the entry maps (aligned to its size) */
	uint64_t entry;			/* the entry: pte_t, pmd_t or pud_t */
	enum pl_leaf_level level;
};

/* "pte", "pmd", "pud" */
const char *pl_leaf_level_name(enum pl_leaf_level level);

/* The pfn of the 4 KiB page @addr (inside the leaf) maps; the leaf must be present. */
static inline pl_pfn pl_leaf_pfn(const struct pl_leaf *l, pl_addr addr)
{
	return pte_pfn(l->entry) + (pl_pfn)((addr - l->addr) >> PAGE_SHIFT);
}

struct pl_leaf_iter {
	const struct mm_struct *mm;
	pl_addr next, end;
};

/*
 * pl_leaf_first() / pl_leaf_next() - the leaves of @mm mapping [@start, @end),
 * lowest address first: each PUD leaf and PMD leaf once, each PTE that is
 * not none.  A leaf may begin below @start (a huge leaf covering it).
 * Return: true with *@out filled, or false when there are no more.
 *
 *	struct pl_leaf_iter it;
 *	struct pl_leaf l;
 *
 *	for (bool ok = pl_leaf_first(&it, mm, v->vm_start, v->vm_end, &l); ok;
 *	     ok = pl_leaf_next(&it, &l))
 */
bool pl_leaf_first(struct pl_leaf_iter *it, const struct mm_struct *mm, pl_addr start,
		   pl_addr end, struct pl_leaf *out);
bool pl_leaf_next(struct pl_leaf_iter *it, struct pl_leaf *out);

/* Every leaf of one VMA. */
#define pl_for_each_leaf(it, l, mm, v) \
	for (bool _ok = pl_leaf_first(&(it), (mm), (v)->vm_start, (v)->vm_end, &(l)); _ok; \
	     _ok = pl_leaf_next(&(it), &(l)))

/*
 * pl_leaf_at() - the entry that maps @addr in @mm: a PUD or PMD leaf, or
 * the PTE (which may be none).  Return: false when no page table reaches
 * @addr (then *@out is a none PTE).
 */
bool pl_leaf_at(const struct mm_struct *mm, pl_addr addr, struct pl_leaf *out);

/*
 * The page-table objects on the way to @addr, for naming a pointer (the
 * explorer names locks and entries by what they are): the pud and pmd
 * entries, and the PTE table; NULL where there is none.
 */
struct pl_tables {
	const pud_t *pud;
	const pmd_t *pmd;
	const struct pl_ptetab *ptes;
};

void pl_tables_at(const struct mm_struct *mm, pl_addr addr, struct pl_tables *out);

#endif /* PINLAB_VIEW_H */
