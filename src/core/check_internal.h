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
enum {	/* pl_tally.mark: the memmap walk's bookkeeping within one scan */
	TALLY_MARKED	= 1u << 0,	/* the pfn is on w->chk_mark for this scan's walk */
	TALLY_HF_OLD	= 1u << 1,	/* the last scan's held/flags are on w->chk_hf */
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
	uint8_t mark;		/* TALLY_MARKED, TALLY_HF_OLD; cleared by tally_reset() */
};

struct chk {
	struct world *w;
	struct pl_tally *t;	/* by pfn, [0, w->next_pfn) */
	uint32_t *swap_ptes;	/* by slot: swap PTEs naming it */
	uint32_t *swap_excl;	/* ... of them swp_exclusive */
	uint32_t hugetlb_used;	/* live 2 MiB hugetlb folios seen */
	uint32_t hugetlb_1g_used; /* live 1 GiB hugetlb folios seen */
	bool report;		/* false: only tally (pl_expected_refcount) */
	bool marks;		/* tally changes mark their pfn for the memmap walk */
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
	/* the mm being walked, and the VMA list its entries are read against */
	struct mm_struct *mm;
	int pid;
	const struct vm_area_struct *vmas;
	int nr_vmas, cap_vmas;
	bool vsorted;				/* vmas is sorted, no overlaps */
	const struct vm_area_struct *vhint;	/* the last vma found (vsorted only) */
	/*
	 * The record of the mm being walked (check_inc.c), or NULL; @diff: the
	 * walk re-reads only what differs from that record (its units from
	 * @cur on are still to be matched).  @sign is -1 while a unit of a
	 * record is taken back out of the totals (@quiet: nothing reported).
	 */
	struct pl_chk_mm *rec;
	bool diff, quiet;
	int sign;
	size_t cur;
};

/*
 * What the last walk of an mm added to the running totals: one unit per
 * pmd slot (or PUD leaf) it tallied, in walk order, each a copy of the leaf
 * and of the PTE table's 512 entries as they were; with the VMA list of
 * then, every entry's contribution can be computed again and taken back
 * out (check_inc.c).  And the violations it reported, to be reported
 * again while the mm stays unmarked.
 */
enum {	/* what a PTE or leaf adds to a tally entry (or to a swap slot's counts) */
	CHK_R_PTE = 1, CHK_R_WPTE = 2, CHK_R_FPTE = 4, CHK_R_DMAP = 8,
	CHK_R_PMD = 16, CHK_R_WPMD = 32, CHK_R_SWAP = 64, CHK_R_SWAPX = 128,
};
struct chk_unit {
	uint64_t key;		/* addr << 1, | 1 for a pmd slot; a PUD leaf's is even */
	uint64_t leaf;		/* the PMD or PUD leaf tallied, or 0 */
	pte_t *pte;		/* the PTE table's entries tallied, or NULL: ... */
	uint16_t lo, hi;	/* ... slots [lo, hi), the ones it ever handed out, */
	uint16_t cap;		/* ... in pte[0, hi - lo) of cap */
};
struct pl_chk_mm {
	struct chk_unit *unit, *next;	/* the last walk's units; the walk's new ones */
	size_t nunit, capunit, nnext, capnext;
	struct vm_area_struct *vmas;	/* the VMA list the units were read against */
	int nr_vmas;			/* -1: the list could not be read (no vma found) */
	size_t capvmas;
	bool vmas_sorted;		/* ... and was sorted, without overlaps */
	bool valid;			/* the units hold all the last walk added */
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
struct pl_tally *tally_list(struct chk *c, struct pl_tally *t, pl_pfn pfn);

/*
 * The tally entry of pfn, for writing.  In the world's tally every entry
 * written is listed, so the next scan clears only those (and a 1 GiB folio's
 * 262,144 entries are never touched unless something maps its pages).
 */
static inline struct pl_tally *tally(struct chk *c, pl_pfn pfn)
{
	struct pl_tally *t = &c->t[pfn];

	if (!c->sparse || t->listed)
		return t;
	return tally_list(c, t, pfn);
}

/* Out of line: chk_add() stays small enough to inline. */
__attribute__((noinline)) void chk_mark_tally(struct chk *c, struct pl_tally *t, pl_pfn pfn);

/*
 * Count one mapping (CHK_R_* of pfn, or of a swap slot), or take it back
 * out (c->sign).  Inline: chk_pte() calls it once or twice per PTE walked.
 */
static inline __attribute__((always_inline)) void chk_add(struct chk *c, pl_pfn pfn, unsigned bits)
{
	uint32_t sign = (uint32_t)c->sign;
	struct pl_tally *t;

	if (bits & CHK_R_SWAP) {
		c->swap_ptes[pfn] += sign;
		if (bits & CHK_R_SWAPX)
			c->swap_excl[pfn] += sign;
		return;
	}
	t = tally(c, pfn);
	/*
	 * The folio's counts changed: the memmap walk visits it.  Its head's
	 * entry changes with every page's (chk_pte() adds a tail's PTE with
	 * the head's FPTE), so the head is marked, once a scan.
	 */
	if (c->marks && (bits & (CHK_R_FPTE | CHK_R_PMD)) && !(t->mark & TALLY_MARKED))
		chk_mark_tally(c, t, pfn);
	if (bits & CHK_R_PTE)
		t->ptes += sign;
	if (bits & CHK_R_WPTE)
		t->wptes += sign;
	if (bits & CHK_R_FPTE)
		t->fptes += sign;
	if (bits & CHK_R_DMAP)
		t->dmaps += sign;
	if (bits & CHK_R_PMD)
		t->pmds += sign;
	if (bits & CHK_R_WPMD)
		t->wpmds += sign;
}

/*
 * The tally entry of a folio's head for held/flags (files, pinsets: counted
 * from scratch every scan): a head that had neither at the last scan is
 * marked for the memmap walk; the others are compared with the last scan's
 * values afterwards (chk_hf_compare()).
 */
static inline struct pl_tally *tally_hf(struct chk *c, pl_pfn head)
{
	struct pl_tally *t = tally(c, head);

	if (c->sparse && !(t->mark & (TALLY_MARKED | TALLY_HF_OLD)) && !t->held && !t->flags) {
		t->mark |= TALLY_MARKED;
		pl_chk_mark_pfn(c->w, head);
	}
	return t;
}

/* The struct page of pfn, or NULL if pfn lies outside the memmap. */
static inline struct page *chk_page(const struct world *w, pl_pfn pfn)
{
	if (pfn == PL_PFN_NONE || pfn >= w->next_pfn)
		return NULL;
	return pfn_to_page(w, pfn);
}

/*
 * The head of the live folio containing pfn, or NULL if pfn is free,
 * outside the memmap, or the memmap is inconsistent there (memmap-sane
 * reports that).  Never trusts page->head or ->order blindly: the folio
 * returned is naturally aligned and lies wholly inside the memmap, so
 * h[0 .. nr) is safe to read even in a corrupt world.  Always inline:
 * chk_pte() asks once per PTE it reads (the calls were 1.4 % of the
 * catalog's instructions).
 */
static inline __attribute__((always_inline))
struct page *chk_head(const struct world *w, pl_pfn pfn, pl_pfn *headp)
{
	struct page *p = chk_page(w, pfn), *h;
	pl_pfn head;
	unsigned nr;

	if (!p || (p->flags & PG_free) || p->head > pfn)
		return NULL;
	head = p->head;
	h = head == pfn ? p : chk_page(w, head);
	if (!h || (h->flags & (PG_free | PG_tail)) || !(h->flags & PG_head) ||
	    h->order > HPAGE_PUD_ORDER)
		return NULL;
	nr = 1u << h->order;
	if (pfn - head >= nr || (head & (nr - 1)) || (uint64_t)head + nr > w->next_pfn)
		return NULL;
	*headp = head;
	return h;
}

static inline bool chk_is_zero(const struct world *w, pl_pfn pfn)
{
	return pfn != PL_PFN_NONE && pl_is_zero_pfn(w, pfn);
}

/*
 * Page i of the folio headed by h (a 1 GiB folio writes its tails on first
 * use: folio_page()).  h is a head chk_head() or chk_memmap_folio() vetted.
 */
static inline const struct page *chk_tail(const struct page *h, unsigned i)
{
	return folio_page((struct folio *)h, i);
}

/* The page that carries PG_anon_exclusive for page i of a folio. */
static inline const struct page *excl_page(const struct page *h, unsigned i)
{
	return (h->flags & (PG_hugetlb | PG_excl_head)) ? h : chk_tail(h, i);
}
const struct vm_area_struct *chk_vma(const struct mm_struct *mm, pl_addr addr);
const struct vm_area_struct *chk_vma_in(const struct vm_area_struct *vmas, int nr, int cap,
					pl_addr addr);
bool chk_vmas_sorted(const struct vm_area_struct *v, int nr, int cap);
void chk_set_vmas(struct chk *c, const struct vm_area_struct *vmas, int nr, int cap,
		  bool sorted);
bool vma_is_rawpfn(const struct vm_area_struct *vma);

/* check_mm.c */
void chk_mm(struct chk *c, struct mm_struct *mm, int pid);
void chk_unit_sub(struct chk *c, const struct chk_unit *u);

/* check_inc.c */
void chk_collect_mms(struct chk *c, bool full);
bool chk_folios_mapped(const struct world *w);
void chk_capture(struct chk *c, const struct pl_violation *v);
struct chk_unit *chk_unit_old(struct chk *c, uint64_t key);
bool chk_unit_vmas_same(const struct chk *c, uint64_t key);
bool chk_vma_same_at(const struct chk *c, pl_addr addr);
void chk_unit_keep(struct chk *c, uint64_t key, uint64_t leaf, const pte_t *pte,
		   unsigned lo, unsigned hi, struct chk_unit *old, bool same);

/* check_refs.c */
void chk_file(struct chk *c, const struct pl_file *f);
void tally_pinsets(struct chk *c);
void chk_pinset(struct chk *c, const struct pl_pinset *ps);
void chk_swap(struct chk *c);

/* check_folio.c */
uint64_t folio_expected(const struct chk *c, pl_pfn head, const struct page *h,
			uint64_t *maps);
void chk_memmap(struct chk *c, bool policy_changed, bool whole);
void chk_memmap_verify(struct chk *c, bool policy_changed);
void chk_marks_free(struct world *w);
void chk_shadow_save(struct world *w);

#endif /* PINLAB_CORE_CHECK_INTERNAL_H */
