/*
 * check_internal.h - what the invariant checker's files share: the scan's
 * state (struct chk), the per-pfn tally (struct pl_tally), and the helpers
 * each file offers the others.  Only src/core/check*.c include it.
 *
 *	check.c		the invariant table, recording violations, the scan
 *			(pl_check_world) and pl_expected_refcount()
 *	check_tally.c	the scan's bookkeeping: reporting, the per-pfn tally,
 *			range-checked reads of the memmap and the VMA list
 *	check_mm.c	per mm: the VMA list and the page tables, tallied
 *	check_refs.c	the other holders of references: page caches,
 *			pinners, swap slots and the swap cache
 *	check_folio.c	per folio: counts, exclusivity, links, the memmap walk
 *	check_inc.c	the incremental scan: which mms to walk, what each walk
 *			added to the running totals and reported
 *
 * Each invariant's precise statement is a comment where it is checked.
 */
#ifndef PINLAB_CORE_CHECK_INTERNAL_H
#define PINLAB_CORE_CHECK_INTERNAL_H

#include "internal.h"
#include "pinlab/view.h"

#include <stdarg.h>
#include <sys/mman.h>

enum {
	TALLY_IN_CACHE	= 1u << 1,	/* head: some page-cache slot names the folio */
};

struct pl_tally {
	uint32_t ptes;		/* present PTEs mapping this page */
	uint32_t wptes;		/* ... of them writable */
	uint32_t pmds;		/* head: PMD leaves mapping the folio */
	uint32_t wpmds;		/* ... of them writable */
	uint32_t held;		/* head: pages active pinners list in this folio */
	uint32_t fptes;		/* head: PTEs mapping any page of the folio */
	uint32_t dmaps;		/* head: dirty PTEs and PMD/PUD leaves mapping the folio */
	uint8_t flags;		/* TALLY_* */
	uint8_t listed;		/* the pfn is on w->check_list */
};

struct chk {
	struct world *w;
	struct pl_tally *t;	/* by pfn, [0, w->next_pfn) */
	uint32_t *swap_ptes;	/* by slot: swap PTEs naming it */
	uint32_t *swap_excl;	/* ... of them swp_exclusive */
	uint32_t hugetlb_used;	/* live 2 MiB hugetlb folios seen */
	uint32_t hugetlb_1g_used; /* live 1 GiB hugetlb folios seen */
	bool report;		/* false: only tally (pl_expected_refcount) */
	bool sparse;		/* t is the world's tally, reset through w->check_list */
	int found;		/* violations added by this scan */
	uint64_t hits;		/* chk_report() calls, duplicates included */
	/*
	 * The folio chk_memmap() is at: its listed pfns (sorted), and whether
	 * every one of its pages is to be read (see chk_pages_all()).
	 */
	const uint32_t *fl;
	size_t fn;
	bool fall;
	/* the mm being walked */
	struct mm_struct *mm;
	int pid;
	/* the record of the mm being walked (check_inc.c), or NULL */
	struct pl_chk_mm *rec;
};

/*
 * What one walk of an mm added to the running totals, one record per tally
 * entry written (pfn << 8 | CHK_R_*; a swap slot for CHK_R_SWAP*), and the
 * violations it reported, to be reported again while the mm stays unmarked.
 */
enum {
	CHK_R_PTE = 1, CHK_R_WPTE = 2, CHK_R_FPTE = 4, CHK_R_DMAP = 8,
	CHK_R_PMD = 16, CHK_R_WPMD = 32, CHK_R_SWAP = 64, CHK_R_SWAPX = 128,
};
struct pl_chk_mm {
	uint64_t *rec;
	size_t nrec, caprec;
	struct pl_violation *viol;
	uint32_t nviol, capviol;
	bool listed;		/* on world->chk_viol */
};

/* check.c */
__attribute__((format(printf, 6, 0)))
bool violation_add(struct world *w, const struct pl_invariant *inv, int pid, pl_addr addr,
		   pl_pfn pfn, const char *fmt, va_list ap);

bool chk_violation_put(struct world *w, const struct pl_violation *v);

/* check_tally.c */
__attribute__((format(printf, 6, 7)))
void chk_report(struct chk *c, const char *name, int pid, pl_addr addr, pl_pfn pfn,
		const char *fmt, ...);
struct pl_tally *tally(struct chk *c, pl_pfn pfn);
struct page *chk_head(const struct world *w, pl_pfn pfn, pl_pfn *headp);
bool chk_is_zero(const struct world *w, pl_pfn pfn);
const struct page *chk_tail(const struct page *h, unsigned i);
const struct page *excl_page(const struct page *h, unsigned i);
const struct vm_area_struct *chk_vma(const struct mm_struct *mm, pl_addr addr);
bool vma_is_rawpfn(const struct vm_area_struct *vma);

/* check_mm.c */
void chk_mm(struct chk *c, struct mm_struct *mm, int pid);

/* check_inc.c */
void chk_add(struct chk *c, pl_pfn pfn, unsigned bits);
void chk_collect_mms(struct chk *c, bool full);
void chk_capture(struct chk *c, const struct pl_violation *v);

/* check_refs.c */
void chk_file(struct chk *c, const struct pl_file *f);
void tally_pinsets(struct chk *c);
void chk_pinset(struct chk *c, const struct pl_pinset *ps);
void chk_swap(struct chk *c);

/* check_folio.c */
uint64_t folio_expected(const struct chk *c, pl_pfn head, const struct page *h,
			uint64_t *maps);
void chk_memmap(struct chk *c, bool policy_changed);

#endif /* PINLAB_CORE_CHECK_INTERNAL_H */
