/*
 * The invariant checker: the modelled kernel's rules, checked against the
 * model's state.
 *
 * A violation here is an *outcome*: the modelled kernel broke one of its
 * own rules (a preset reproducing Dirty COW must break one), and the report
 * names the rule, the step, the process, the address and the page.  It is
 * never an abort.  PL_BUG_ON() is for pinlab being wrong; this file is for
 * Linux (as modelled) being wrong.
 *
 * Two kinds of invariants, never mixed:
 *
 *   world-scan   pl_check_world() recomputes everything from first
 *                principles -- every page table of every mm, every page
 *                cache, every swap slot, every pinner -- and compares with
 *                the counters and flags the model keeps.  It runs after every
 *                step in checked mode, so it reads state only, never through
 *                the sync layer (no scheduling points), and survives any
 *                state, however corrupt: every pfn is range-checked before use.
 *
 *   event        things only visible at the moment they happen (a reuse
 *                despite a foreign GUP reference, a write reaching the page
 *                cache through a private mapping ...).  The core code that
 *                sees them calls pl_violation(w, "name", ...).  They are in
 *                the table so `pinlab invariants` lists them.
 *
 * How a scan works:
 *
 *     tasks -> mm -> pgd/pud/pmd/pte tables ---+    (a PUD leaf counts as a PMD map)
 *     files -> page-cache slots ---------------+--> struct pl_tally per pfn
 *     active pinsets -> pages[] ---------------+    (PTE maps, PMD maps,
 *     swap PTEs ------------------> per slot        writable maps, cached,
 *                                                   listed by pinners)
 *                                                         |
 *     memmap, folio by folio: _refcount, _mapcount, _pincount, flags, ghost
 *     GETs/pins  <--- compared with ---------------------+
 *
 * Ghost state: page->gup_gets / gup_pins count the GUP references the model
 * handed out.  The kernel cannot know them; the checker uses them to rebuild
 * _refcount exactly:
 *
 *   _refcount = PTE maps + PMD/PUD maps + page cache (nr; hugetlb 1) +
 *               swap cache (nr) + GETs + pin weight (+1 for the zero pages)
 *   pin weight = 1024 * pins (small folio) | pins (large folio)
 *              = pins, as GETs, in eras without FOLL_PIN
 *
 * Violations are deduplicated per step on (invariant, pid, addr, pfn) and
 * capped at PL_MAX_VIOLATIONS per world.
 *
 * Cost follows the work done, not the memory declared (--check=changed, the
 * default).  Page tables, pinners and swap are walked whole (they hold only
 * what a scenario touched); the per-pfn tally is sparse (w->check_list: only
 * entries written are cleared); a file's slots are read only in the range
 * ever filled; the memmap walk visits one struct page per folio or free
 * block, and reads the other pages of a folio only when one of them changed
 * since the last scan (head->chk_dirty, set by pl_page_changed(); a fresh
 * folio's plain tails break no rule) or is mapped now or was at the last
 * scan.  A page skipped is one a scan already found sound (or a fresh one)
 * that nothing wrote since, so the violations, and their order, are those of
 * the full walk.  w->check_full (--check=full)
 * reads everything every time; tests/cli/check_modes.sh compares the two on
 * the whole catalog.  State broken by hand, past pl_page_changed(), is seen
 * by the full walk only (tests/unit/check_detects.c).
 *
 * Over 900 lines: every invariant is stated once, where it is checked, and
 * they share one scan and its per-pfn tally ("The scan's bookkeeping").  The
 * seams are the sections: page tables, page caches, pinners, swap, folios.
 */
#include "internal.h"
#include "pinlab/view.h"

#include <stdarg.h>
#include <sys/mman.h>

#define PL_MAX_VIOLATIONS 1000

/*
 * The invariants.  The rule text is what `pinlab invariants` prints; the
 * precise statement sits as a comment where the rule is checked.
 */
static const struct pl_invariant invariants[] = {
	/* ORDER: counting, structure, exclusivity, swap and page cache, pins, events */
	{ "refcount-balance", PL_CLASS_COUNT,
	  "_refcount = PTE maps + PMD maps + cache refs + GETs + pin weight",
	  "include/linux/mm.h GUP_PIN_COUNTING_BIAS; mm/gup.c try_grab_folio()" },
	{ "mapcount-balance", PL_CLASS_COUNT,
	  "each page's _mapcount counts the PTEs mapping it; _entire_mapcount the PMD/PUD leaves",
	  "mm/rmap.c folio_add_*_rmap_*(), folio_remove_rmap_*()" },
	{ "mapcount-le-refcount", PL_CLASS_COUNT,
	  "a folio is never mapped more often than it is referenced",
	  "mm/memory.c: the reference is taken before mapping, dropped after unmapping" },
	{ "pincount-exact", PL_CLASS_COUNT,
	  "a large folio's _pincount equals its outstanding FOLL_PIN pins; small folios have 0",
	  "mm/gup.c try_grab_folio(), gup_put_folio()" },
	{ "maybe-pinned-true", PL_CLASS_COUNT,
	  "folio_maybe_dma_pinned() is never false while a FOLL_PIN pin is outstanding",
	  "include/linux/mm.h folio_maybe_dma_pinned()" },
	{ "pinset-refs-held", PL_CLASS_COUNT,
	  "every page an active pinner lists still carries a GUP reference",
	  "mm/gup.c: references live until unpin_user_pages() / put_page()" },
	{ "zero-page-never-pinned", PL_CLASS_COUNT,
	  "with c8070b787519 a pin of the zero page leaves no pin accounting on it",
	  "mm/gup.c try_grab_folio(): FOLL_PIN skips the zero folio" },
	{ "hugetlb-pool", PL_CLASS_COUNT,
	  "per huge page size: free <= pool size, and hugetlb folios in use = pool - free",
	  "mm/hugetlb.c free_huge_pages / nr_huge_pages" },
	{ "memmap-sane", PL_CLASS_STRUCT,
	  "every allocated folio is a naturally aligned head whose tails point back to it",
	  "include/linux/page-flags.h compound_head()" },
	{ "pgtable-well-formed", PL_CLASS_STRUCT,
	  "a pud/pmd slot is a table, a leaf or empty; a PTE is none, present or swap",
	  "include/linux/pgtable.h; mm/huge_memory.c __split_huge_pmd()" },
	{ "vma-list-sane", PL_CLASS_STRUCT,
	  "vmas are page aligned, non-empty, sorted, non-overlapping; hugetlb ones huge-aligned",
	  "mm/vma.c" },
	{ "pte-outside-vma", PL_CLASS_STRUCT,
	  "no page-table entry exists outside every vma",
	  "mm/vma.c unmap_region(): zap before the vma goes" },
	{ "no-free-mapped", PL_CLASS_STRUCT,
	  "no PTE or PMD maps a free page or a folio whose refcount is 0",
	  "mm/mmu_gather.c: pages are freed only after unmap and TLB flush" },
	{ "pmd-maps-pmd-folio", PL_CLASS_STRUCT,
	  "a PMD (PUD) leaf maps a whole order-9 (order-18) folio from its head, inside one vma",
	  "mm/huge_memory.c do_huge_pmd_anonymous_page(); mm/hugetlb.c" },
	{ "pte-matches-vma", PL_CLASS_STRUCT,
	  "anon vmas map anon pages; file vmas map their file at the vma offset or COW copies",
	  "mm/memory.c vm_normal_page(), do_fault()" },
	{ "writable-needs-vm-write", PL_CLASS_STRUCT,
	  "a writable PTE or PMD exists only in a VM_WRITE vma",
	  "mm/memory.c maybe_mkwrite(); mm/mprotect.c change_pte_range()" },
	{ "private-writable-is-anon", PL_CLASS_FILE_MODIFIED,
	  "in a COW mapping a writable PTE maps an anonymous page, never the page cache",
	  "mm/memory.c do_wp_page() -> wp_page_copy()" },
	{ "shared-writable-dirty", PL_CLASS_LOST_WRITE,
	  "in a dirty-tracked shared file mapping a writable PTE maps a dirty folio",
	  "mm/memory.c wp_page_shared(); mm/rmap.c folio_mkclean()" },
	{ "gup-write-undirtied", PL_CLASS_LOST_WRITE,
	  "a cached folio written through GUP is dirtied before its last GUP reference goes",
	  "mm/gup.c unpin_user_pages_dirty_lock(); set_page_dirty_lock()" },
	{ "writable-anon-exclusive", PL_CLASS_STRUCT,
	  "a writable mapping of an anon page implies PageAnonExclusive",
	  "mm/memory.c do_wp_page(), do_swap_page(); mm/mprotect.c can_change_pte_writable()" },
	{ "exclusive-is-anon", PL_CLASS_STRUCT,
	  "PG_anon_exclusive is set only on anon pages (hugetlb: head), in eras that have it",
	  "include/linux/page-flags.h PageAnonExclusive()" },
	{ "exclusive-single-map", PL_CLASS_STRUCT,
	  "an exclusive anon page is mapped by at most one PTE or PMD",
	  "mm/rmap.c __folio_try_dup_anon_rmap(), __folio_try_share_anon_rmap()" },
	{ "ksm-never-exclusive", PL_CLASS_STRUCT,
	  "KSM pages are never exclusive and, where R/O pins unshare, never FOLL_PIN-pinned",
	  "mm/ksm.c; mm/internal.h gup_must_unshare()" },
	{ "no-shared-writable", PL_CLASS_LEAK,
	  "an anon page mapped writable has no other mapping in any mm",
	  "mm/memory.c copy_present_pte() write-protects both sides" },
	{ "zero-page-readonly", PL_CLASS_LEAK,
	  "the zero pages are never mapped writable and never become anon, KSM or exclusive",
	  "mm/memory.c do_anonymous_page(): zero page mapped special and R/O" },
	{ "pinned-exclusive", PL_CLASS_STRUCT,
	  "a FOLL_PIN-pinned anon page still mapped at its pinned address is exclusive",
	  "mm/gup.c sanity_check_pinned_pages()" },
	{ "swapcache-consistent", PL_CLASS_STRUCT,
	  "swap-cache folios and slots point at each other; a slot counts its swap PTEs",
	  "mm/swap_state.c; mm/swapfile.c swap_map" },
	{ "swp-exclusive-unmapped", PL_CLASS_STRUCT,
	  "an exclusive swap PTE is its slot's only user: no other swap PTE, no mapping",
	  "mm/rmap.c try_to_unmap_one(); mm/memory.c do_swap_page()" },
	{ "swap-pte-exclusive-page", PL_CLASS_STRUCT,
	  "no swap PTE leads to a swap-cache page that is still exclusive",
	  "mm/memory.c do_swap_page() BUG_ON" },
	{ "pagecache-consistent", PL_CLASS_STRUCT,
	  "page-cache slots and file folios point at each other; nothing cached past EOF",
	  "mm/filemap.c __filemap_add_folio(), truncate_inode_pages_range()" },
	{ "has-pinned-set", PL_CLASS_STRUCT,
	  "an mm with an outstanding FOLL_PIN pin has MMF_HAS_PINNED",
	  "mm/gup.c mm_set_has_pinned_flag()" },
	{ "pin-coherence", PL_CLASS_STALE_PIN,
	  "a coherent pin's page is what its owner's private mapping shows at that address",
	  "mm/memory.c do_wp_page(); mm/gup.c unsharing; mm/memory.c copy_present_page()" },

	/*
	 * Event invariants: checked where they happen, in the file named by
	 * "kernel", through pl_violation().
	 */
	/* missed-cow: do_wp_page() never reuses, or maps writable, a folio while
	 * another mm holds a GUP reference to it (CVE-2020-29374). */
	{ "missed-cow", PL_CLASS_LEAK,
	  "COW never reuses a folio while another mm holds a GUP reference on it",
	  "mm/memory.c wp_can_reuse_anon_folio() (model: memory.c, huge_memory.c)" },
	/* private-file-write: a write through a private (COW) mapping never lands
	 * in a page-cache folio (Dirty COW, CVE-2016-5195 / CVE-2022-2590). */
	{ "private-file-write", PL_CLASS_FILE_MODIFIED,
	  "a write through a private mapping never reaches the page cache",
	  "mm/gup.c can_follow_write_pte() (model: memory.c, gup.c)" },
	/* lost-write: a clean page-cache or swap-cache folio is dropped only when
	 * its contents equal the disk or swap copy. */
	{ "lost-write", PL_CLASS_LOST_WRITE,
	  "a clean cached folio is dropped only if the disk or swap copy matches it",
	  "mm/vmscan.c shrink_folio_list(); mm/truncate.c (model: filemap.c)" },
	/* gup-write-downgraded: GUP keeps FOLL_WRITE across fault retries; the
	 * pre-19be0eaffa3a downgrade is Dirty COW. */
	{ "gup-write-downgraded", PL_CLASS_STRUCT,
	  "GUP never drops FOLL_WRITE while retrying after a fault",
	  "mm/gup.c __get_user_pages(), 19be0eaffa3a (model: gup.c)" },
	/* unshare-made-writable: FAULT_FLAG_UNSHARE leaves the PTE read-only and
	 * not newly dirty; only exclusivity changes. */
	{ "unshare-made-writable", PL_CLASS_STRUCT,
	  "FAULT_FLAG_UNSHARE never makes a PTE writable or newly dirty",
	  "mm/memory.c do_wp_page(), wp_page_copy() (model: memory.c)" },
	/* pin-on-nonexclusive: where PG_anon_exclusive exists, a R/O FOLL_PIN
	 * returns only exclusive anon pages (it unshares first). */
	{ "pin-on-nonexclusive", PL_CLASS_STRUCT,
	  "a FOLL_PIN returns only exclusive anon pages where the era has PG_anon_exclusive",
	  "mm/internal.h gup_must_unshare() (model: gup.c)" },
	/* longterm-pin-unpinnable: where the era promises it, a R/O long-term pin
	 * in a COW mapping never holds the zero page or a page-cache page, and no
	 * writable long-term pin lands on a dirty-tracked file mapping. */
	{ "longterm-pin-unpinnable", PL_CLASS_STALE_PIN,
	  "no long-term pin of a zero/page-cache page in a COW map, or of a dirty-tracked file",
	  "mm/gup.c gup_must_unshare(), writable_file_mapping_allowed() (model: gup.c)" },
	/* fork-shared-pinned: where the era copies pinned pages at fork, fork
	 * never shares a maybe-pinned anon page with the child. */
	{ "fork-shared-pinned", PL_CLASS_STALE_PIN,
	  "fork never shares a maybe-pinned anon page where the era copies it",
	  "mm/memory.c copy_present_pte() (model: fork.c)" },
	/* gup-fast-stale: GUP-fast never returns a page whose PTE changed after
	 * the reference was taken (the re-check of seed 001). */
	{ "gup-fast-stale", PL_CLASS_STALE_PIN,
	  "GUP-fast returns no page whose PTE changed after it took the reference",
	  "mm/gup.c gup_fast_pte_range() (model: gup.c)" },
	/* anon-rmap-linked: fork links the child's vma to the anon_vma of every
	 * anon page it maps there (fb49c455323f keeps faults out meanwhile). */
	{ "anon-rmap-linked", PL_CLASS_STRUCT,
	  "fork maps an anon page only into a child vma linked to the page's anon_vma",
	  "kernel/fork.c dup_mmap(): anon_vma_fork(), vma_start_write() (model: fork.c)" },
	/* swapout-pinned: where the era forbids it, a maybe-pinned anon folio
	 * never enters the swap cache. */
	{ "swapout-pinned", PL_CLASS_STALE_PIN,
	  "a maybe-pinned anon folio never enters the swap cache where the era forbids it",
	  "mm/vmscan.c shrink_folio_list(), feb889fb40fa (model: vmscan.c)" },
};

const struct pl_invariant *pl_invariants(int *n)
{
	if (n)
		*n = (int)PL_ARRAY_SIZE(invariants);
	return invariants;
}

const struct pl_invariant *pl_invariant_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < PL_ARRAY_SIZE(invariants); i++)
		if (strcmp(invariants[i].name, name) == 0)
			return &invariants[i];
	return NULL;
}

const char *pl_class_name(enum pl_outcome_class c)
{
	static const char *const names[] = {
		/* ORDER: enum pl_outcome_class; the JSON "outcome" spellings */
		"count", "leak", "stale-pin", "lost-write", "file-modified", "struct",
	};

	if ((unsigned)c >= PL_ARRAY_SIZE(names))
		return "?";
	return names[c];
}

/* ---------------------------------------------------------------------------
 * Recording violations.
 */
__attribute__((format(printf, 6, 0)))
static bool violation_add(struct world *w, const struct pl_invariant *inv, int pid, pl_addr addr,
			  pl_pfn pfn, const char *fmt, va_list ap)
{
	struct pl_violation *v;

	/* the same fact seen twice in one step is one violation */
	for (int i = w->nr_violations - 1; i >= 0 && w->violations[i].step == w->step; i--) {
		v = &w->violations[i];
		if (v->inv == inv && v->pid == pid && v->addr == addr && v->pfn == pfn)
			return false;
	}
	if (w->nr_violations >= PL_MAX_VIOLATIONS)
		return false;
	if (w->nr_violations == w->cap_violations) {
		w->cap_violations = w->cap_violations ? 2 * w->cap_violations : 16;
		w->violations = pl_realloc_array(w, w->violations, (size_t)w->cap_violations,
						 sizeof(*w->violations));
	}
	v = &w->violations[w->nr_violations++];
	memset(v, 0, sizeof(*v));
	v->inv = inv;
	v->step = w->step;
	v->pid = pid;
	v->addr = addr;
	v->pfn = pfn;
	if (fmt)
		vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	return true;
}

/**
 * pl_violation() - record an event invariant broken right now.
 * @invariant: a name from the table; anything else is a pinlab bug
 */
void pl_violation(struct world *w, const char *invariant, int pid, pl_addr addr, pl_pfn pfn,
		  const char *fmt, ...)
{
	const struct pl_invariant *inv = pl_invariant_find(invariant);
	va_list ap;

	if (!inv) {
		char what[128];

		snprintf(what, sizeof(what), "pl_violation: unknown invariant '%s'",
			 invariant ? invariant : "(null)");
		pl_bug(__FILE__, __LINE__, what);
	}
	va_start(ap, fmt);
	violation_add(w, inv, pid, addr, pfn, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------------------
 * The scan's bookkeeping.
 */
enum {
	TALLY_DIRTY_MAP	= 1u << 0,	/* head: some PTE/PMD mapping the folio is dirty */
	TALLY_IN_CACHE	= 1u << 1,	/* head: some page-cache slot names the folio */
};

struct pl_tally {
	uint32_t ptes;		/* present PTEs mapping this page */
	uint32_t wptes;		/* ... of them writable */
	uint32_t pmds;		/* head: PMD leaves mapping the folio */
	uint32_t wpmds;		/* ... of them writable */
	uint32_t held;		/* head: pages active pinners list in this folio */
	uint32_t fptes;		/* head: PTEs mapping any page of the folio */
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
};

__attribute__((format(printf, 6, 7)))
static void chk_report(struct chk *c, const char *name, int pid, pl_addr addr, pl_pfn pfn,
		       const char *fmt, ...)
{
	const struct pl_invariant *inv;
	va_list ap;

	c->hits++;
	if (!c->report)
		return;
	inv = pl_invariant_find(name);
	PL_BUG_ON(!inv);
	va_start(ap, fmt);
	if (violation_add(c->w, inv, pid, addr, pfn, fmt, ap))
		c->found++;
	va_end(ap);
}

/*
 * The tally entry of pfn, for writing.  In the world's tally every entry
 * written is listed, so the next scan clears only those (and a 1 GiB folio's
 * 262,144 entries are never touched unless something maps its pages).
 */
static struct pl_tally *tally(struct chk *c, pl_pfn pfn)
{
	struct world *w = c->w;
	struct pl_tally *t = &c->t[pfn];

	if (!c->sparse || t->listed)
		return t;
	if (w->check_nr == w->check_cap) {
		size_t cap = w->check_cap ? 2 * w->check_cap : 256;
		uint32_t *l = realloc(w->check_list, cap * sizeof(*l));

		if (!l) {
			/* unlisted: the next scan clears the whole tally instead */
			w->check_list_lost = true;
			return t;
		}
		w->check_list = l;
		w->check_cap = cap;
	}
	w->check_list[w->check_nr++] = pfn;
	t->listed = 1;
	return t;
}

/* The struct page of pfn, or NULL if pfn lies outside the memmap. */
static struct page *chk_page(const struct world *w, pl_pfn pfn)
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
 * h[0 .. nr) is safe to read even in a corrupt world.
 */
static struct page *chk_head(const struct world *w, pl_pfn pfn, pl_pfn *headp)
{
	struct page *p = chk_page(w, pfn), *h;
	pl_pfn head;
	unsigned nr;

	if (!p || (p->flags & PG_free) || p->head > pfn)
		return NULL;
	head = p->head;
	h = chk_page(w, head);
	if (!h || (h->flags & (PG_free | PG_tail)) || !(h->flags & PG_head) ||
	    h->order > HPAGE_PUD_ORDER)
		return NULL;
	nr = 1u << h->order;
	if (pfn - head >= nr || (head & (nr - 1)) || (uint64_t)head + nr > w->next_pfn)
		return NULL;
	*headp = head;
	return h;
}

static bool chk_is_zero(const struct world *w, pl_pfn pfn)
{
	return pfn != PL_PFN_NONE && pl_is_zero_pfn(w, pfn);
}

/*
 * Page i of the folio headed by h (a 1 GiB folio writes its tails on first
 * use: folio_page()).  h is a head chk_head() or chk_memmap_folio() vetted.
 */
static const struct page *chk_tail(const struct page *h, unsigned i)
{
	return folio_page((struct folio *)h, i);
}

/* The page that carries PG_anon_exclusive for page i of a folio. */
static const struct page *excl_page(const struct page *h, unsigned i)
{
	return (h->flags & PG_hugetlb) ? h : chk_tail(h, i);
}

static const struct vm_area_struct *chk_vma(const struct mm_struct *mm, pl_addr addr)
{
	int lo = 0, hi;

	if (!mm->vmas || mm->nr_vmas <= 0 || mm->nr_vmas > mm->cap_vmas)
		return NULL;
	hi = mm->nr_vmas - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct vm_area_struct *v = &mm->vmas[mid];

		if (addr < v->vm_start)
			hi = mid - 1;
		else if (addr >= v->vm_end)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

static bool vma_is_rawpfn(const struct vm_area_struct *vma)
{
	return vma && (vma->vm_flags & (VM_PFNMAP | VM_IO));
}

/* ---------------------------------------------------------------------------
 * Page tables.
 */

/*
 * vma-list-sane: every vma is [start, end) with start < end, both page
 * aligned and below TASK_SIZE, and the list is sorted without overlaps --
 * the shape every lookup (find_vma) relies on.  A hugetlb vma records its
 * page order (9 or 18, 0 for any other vma) and starts and ends on that
 * page size: its pages are mapped whole by one leaf, never cut.
 */
static void chk_vmas(struct chk *c, const struct mm_struct *mm)
{
	if (mm->nr_vmas < 0 || mm->nr_vmas > mm->cap_vmas || (mm->nr_vmas && !mm->vmas)) {
		chk_report(c, "vma-list-sane", c->pid, 0, 0, "nr_vmas %d, cap %d", mm->nr_vmas,
			   mm->cap_vmas);
		return;
	}
	for (int i = 0; i < mm->nr_vmas; i++) {
		const struct vm_area_struct *v = &mm->vmas[i];

		if (v->vm_start >= v->vm_end || (v->vm_start | v->vm_end) & ~PAGE_MASK ||
		    v->vm_end > PL_TASK_SIZE)
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "vma %d is [%#llx, %#llx)", i, (unsigned long long)v->vm_start,
				   (unsigned long long)v->vm_end);
		else if (i && mm->vmas[i - 1].vm_end > v->vm_start)
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "vma %d starts at %#llx, before the previous one ends", i,
				   (unsigned long long)v->vm_start);
		if ((v->vm_flags & VM_HUGETLB) ? (v->hugetlb_order != HPAGE_PMD_ORDER &&
						  v->hugetlb_order != HPAGE_PUD_ORDER)
					       : v->hugetlb_order != 0)
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "vma %d: hugetlb order %u%s", i, (unsigned)v->hugetlb_order,
				   (v->vm_flags & VM_HUGETLB) ? "" : " without VM_HUGETLB");
		else if ((v->vm_flags & VM_HUGETLB) &&
			 ((v->vm_start | v->vm_end) & ((PAGE_SIZE << v->hugetlb_order) - 1)))
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "hugetlb vma %d [%#llx, %#llx) cuts its %llu KiB pages", i,
				   (unsigned long long)v->vm_start, (unsigned long long)v->vm_end,
				   (unsigned long long)(PAGE_SIZE << v->hugetlb_order) >> 10);
	}
}

/*
 * Checks shared by PTEs and PMD/PUD leaves mapping page pfn of folio head h.
 * @lvl: "PTE", or "PMD"/"PUD" for a leaf mapping the whole folio.
 */
static void chk_mapping(struct chk *c, const struct vm_area_struct *vma, pl_addr addr,
			pte_t e, const struct page *h, pl_pfn head, pl_pfn pfn, const char *lvl)
{
	const struct world *w = c->w;
	bool anon = (h->flags & (PG_anon | PG_ksm)) != 0;
	bool pmd = strcmp(lvl, "PTE") != 0;
	unsigned nr = pmd ? 1u << h->order : 1, first = pmd ? 0 : pfn - head;

	/*
	 * writable-needs-vm-write: a PTE or PMD is writable only inside a
	 * VM_WRITE vma.  maybe_mkwrite() asks the vma, and mprotect(-W)
	 * write-protects every entry of the range.
	 */
	if (pte_write(e) && !(vma->vm_flags & VM_WRITE))
		chk_report(c, "writable-needs-vm-write", c->pid, addr, pfn,
			   "writable %s in a vma without VM_WRITE", lvl);

	/*
	 * pte-matches-vma: a private anonymous vma maps anon pages only; a file
	 * vma maps its own file's page-cache page for the offset the address
	 * stands for (vm_pgoff + page offset), or -- in a COW mapping only -- an
	 * anon copy made by a write fault.  A shared file vma never maps anon
	 * pages.  Shared anonymous vmas are shmem inside and are not checked.
	 */
	if (vma->file < 0) {
		if (!(vma->vm_flags & VM_SHARED) && !anon)
			chk_report(c, "pte-matches-vma", c->pid, addr, pfn,
				   "anonymous vma maps a non-anon folio (mapping %u)", h->mapping);
	} else if (anon) {
		if (!is_cow_mapping(vma->vm_flags))
			chk_report(c, "pte-matches-vma", c->pid, addr, pfn,
				   "shared file vma maps an anon folio");
	} else if (!(h->flags & PG_zero)) {
		uint64_t idx = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);

		if (h->mapping != (uint32_t)vma->file + 1 || (uint64_t)h->index + first != idx)
			chk_report(c, "pte-matches-vma", c->pid, addr, pfn,
				   "file %d index %llu maps folio of mapping %u index %u",
				   vma->file, (unsigned long long)idx, h->mapping,
				   h->index + first);
	}

	if (!pte_write(e))
		return;

	/*
	 * private-writable-is-anon: in a COW mapping a writable entry maps an
	 * anonymous page.  A write fault on a page-cache page copies it first
	 * (do_wp_page -> wp_page_copy, do_cow_fault); a writable page-cache
	 * page in a private mapping would let the process modify the file.
	 */
	if (is_cow_mapping(vma->vm_flags) && !anon)
		chk_report(c, "private-writable-is-anon", c->pid, addr, pfn,
			   "writable %s maps a page-cache folio in a private mapping",
			   lvl);

	/*
	 * writable-anon-exclusive (PG_anon_exclusive eras): a writable entry
	 * mapping an anon page implies the page is exclusive.  Reuse sets the
	 * bit before making the PTE writable, fork clears it only after
	 * write-protecting, and mprotect(+W) makes only exclusive pages
	 * writable (can_change_pte_writable).
	 */
	if (w->policy.anon_exclusive && anon) {
		/* hugetlb: the head's bit stands for every page, so one look will do */
		if (h->flags & PG_hugetlb)
			nr = 1;
		for (unsigned i = first; i < first + nr; i++) {
			if (PageAnonExclusive(excl_page(h, i)))
				continue;
			chk_report(c, "writable-anon-exclusive", c->pid, addr, head + i,
				   "writable %s maps anon page %u of the folio, not exclusive",
				   lvl, i);
			break;
		}
	}

	/*
	 * shared-writable-dirty: in a shared mapping of a filesystem that tracks
	 * dirty pages (ext4), a writable entry maps a dirty folio.  Such
	 * mappings start write-protected; the write fault runs page_mkwrite and
	 * dirties the folio, and writeback write-protects every PTE
	 * (folio_mkclean) before it cleans the folio.  A writable PTE on a
	 * clean folio means writes the filesystem will never hear of.
	 */
	if ((vma->vm_flags & VM_SHARED) && !anon && !(h->flags & PG_dirty)) {
		struct pl_file *f = pl_file_get(w, vma->file);

		if (f && f->fs == PL_FS_EXT4)
			chk_report(c, "shared-writable-dirty", c->pid, addr, pfn,
				   "writable PTE on a clean ext4 folio (file %d)", vma->file);
	}
}

/*
 * zero-page-readonly: the shared zero page and the huge zero page are
 * mapped read-only (and special) everywhere; a write fault replaces them.
 * Checked here for the mappings, in chk_folio() for the flags.
 */
static void chk_zero_mapping(struct chk *c, pl_addr addr, pte_t e, pl_pfn pfn)
{
	if (pte_write(e))
		chk_report(c, "zero-page-readonly", c->pid, addr, pfn,
			   "the zero page is mapped writable");
}

static void chk_pte(struct chk *c, pl_addr addr, pte_t pte)
{
	struct world *w = c->w;
	const struct vm_area_struct *vma = chk_vma(c->mm, addr);
	struct page *h;
	pl_pfn pfn, head;

	/*
	 * pte-outside-vma: every non-empty PTE or PMD lies inside a vma.
	 * munmap zaps the range before it drops the vma, so an entry outside
	 * all vmas is a mapping nobody can ever unmap again.
	 */
	if (!vma)
		chk_report(c, "pte-outside-vma", c->pid, addr, pte_pfn(pte),
			   "PTE %#llx outside every vma", (unsigned long long)pte);

	if (is_swap_pte(pte)) {
		uint32_t slot = pte_swp_offset(pte);

		if (slot >= w->nr_swap) {
			chk_report(c, "swapcache-consistent", c->pid, addr, 0,
				   "swap PTE names slot %u of %u", slot, w->nr_swap);
			return;
		}
		c->swap_ptes[slot]++;
		if (pte_swp_exclusive(pte))
			c->swap_excl[slot]++;
		/* swp-exclusive-unmapped (stated in chk_swap()) */
		if (pte_swp_exclusive(pte) && !w->policy.swp_exclusive)
			chk_report(c, "swp-exclusive-unmapped", c->pid, addr, 0,
				   "swp_exclusive set on slot %u in an era without it", slot);
		return;
	}
	/*
	 * A migration entry (migrate.c) exists only while its folio is locked
	 * and isolated by a migration in progress: it holds no mapcount and no
	 * reference, like the kernel's.
	 */
	if (is_migration_entry(pte))
		return;
	/* pgtable-well-formed (stated in chk_mm()) */
	if (!pte_present(pte)) {
		chk_report(c, "pgtable-well-formed", c->pid, addr, 0,
			   "PTE %#llx is neither present nor a swap entry",
			   (unsigned long long)pte);
		return;
	}
	pfn = pte_pfn(pte);
	if (vma_is_rawpfn(vma) && (pte_special(pte) || pfn >= w->next_pfn))
		return;		/* remap_pfn_range(): no struct page rules */
	if (chk_is_zero(w, pfn)) {
		chk_zero_mapping(c, addr, pte, pfn);
		return;
	}
	if (pte_special(pte))
		return;
	/*
	 * no-free-mapped: a PTE or PMD never maps a free page, a pfn outside
	 * the memmap, or a folio whose refcount reached 0.  Each mapping holds a
	 * reference, and pages are freed only after the PTE is cleared and the
	 * TLB flushed; anything else is a use-after-free.
	 */
	h = chk_head(w, pfn, &head);
	if (!h) {
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "PTE maps a free or invalid pfn");
		return;
	}
	if (h->_refcount == 0)
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "PTE maps a folio with refcount 0");
	tally(c, pfn)->ptes++;
	if (pte_write(pte))
		tally(c, pfn)->wptes++;
	tally(c, head)->fptes++;
	if (pte_dirty(pte))
		tally(c, head)->flags |= TALLY_DIRTY_MAP;
	if (vma)
		chk_mapping(c, vma, addr, pte, h, head, pfn, "PTE");
}

/* A PMD leaf (pud == false) or a PUD leaf: both map a whole folio once. */
static void chk_pmd(struct chk *c, pl_addr addr, pmd_t pmd, bool pud)
{
	struct world *w = c->w;
	const struct vm_area_struct *vma = chk_vma(c->mm, addr);
	const char *lvl = pud ? "PUD" : "PMD";
	unsigned order = pud ? HPAGE_PUD_ORDER : HPAGE_PMD_ORDER;
	uint64_t size = PAGE_SIZE << order;
	struct page *h;
	pl_pfn pfn, head;

	if (!vma)	/* pte-outside-vma (stated in chk_pte()) */
		chk_report(c, "pte-outside-vma", c->pid, addr, pte_pfn(pmd),
			   "%s leaf %#llx outside every vma", lvl, (unsigned long long)pmd);
	if (!pte_present(pmd)) {
		chk_report(c, "pgtable-well-formed", c->pid, addr, 0,
			   "%s leaf %#llx is not present", lvl, (unsigned long long)pmd);
		return;
	}
	pfn = pte_pfn(pmd);
	if (vma_is_rawpfn(vma))
		return;
	if (chk_is_zero(w, pfn)) {
		chk_zero_mapping(c, addr, pmd, pfn);
		return;
	}
	if (pte_special(pmd))
		return;
	h = chk_head(w, pfn, &head);
	if (!h) {	/* no-free-mapped (stated in chk_pte()) */
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "%s maps a free or invalid pfn", lvl);
		return;
	}
	if (h->_refcount == 0)
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "%s maps a folio with refcount 0", lvl);
	/*
	 * pmd-maps-pmd-folio: a PMD leaf maps exactly one naturally aligned
	 * order-9 folio, starting at its head, and its 2 MiB lie inside one
	 * vma (THP and hugetlb are only PMD-mapped where the vma covers the
	 * whole range; a partial munmap/mprotect splits the PMD first).  A
	 * PUD leaf likewise maps a whole order-18 folio -- only a 1 GiB hugetlb
	 * page, in a hugetlb vma of that order, since nothing else is PUD-mapped
	 * and hugetlb leaves are never split.
	 */
	if (pfn != head || h->order != order)
		chk_report(c, "pmd-maps-pmd-folio", c->pid, addr, pfn,
			   "%s leaf maps pfn %u of a folio of order %u at %u", lvl, pfn,
			   (unsigned)h->order, head);
	if (vma && (addr < vma->vm_start || addr + size > vma->vm_end))
		chk_report(c, "pmd-maps-pmd-folio", c->pid, addr, pfn,
			   "%s leaf crosses the end of its vma", lvl);
	if (vma && pud && (!(vma->vm_flags & VM_HUGETLB) || vma->hugetlb_order != order ||
			   !(h->flags & PG_hugetlb)))
		chk_report(c, "pmd-maps-pmd-folio", c->pid, addr, pfn,
			   "PUD leaf outside a 1 GiB hugetlb vma, or of a non-hugetlb folio");
	tally(c, head)->pmds++;
	if (pte_write(pmd))
		tally(c, head)->wpmds++;
	if (pte_dirty(pmd))
		tally(c, head)->flags |= TALLY_DIRTY_MAP;
	if (vma && pfn == head && h->order == order)
		chk_mapping(c, vma, addr, pmd, h, head, pfn, lvl);
}

/*
 * The first slot from i on that a walk of a table reads: every slot in
 * --check=full, else only those pgtable.c ever handed out (struct pl_dir
 * ->used): a slot never handed out is still empty.
 */
static unsigned next_slot(const struct chk *c, const uint64_t *used, unsigned i)
{
	if (c->w->check_full)
		return i;
	while (i < PTRS_PER_TABLE) {
		uint64_t m = used[i / 64] >> (i % 64);

		if (m)
			return i + (unsigned)__builtin_ctzll(m);
		i = (i | 63) + 1;
	}
	return PTRS_PER_TABLE;
}

/* Walk every table of one mm directly, so entries outside vmas are seen too. */
static void chk_mm(struct chk *c, struct mm_struct *mm, int pid)
{
	const struct pl_dir *pgd = mm->pgd;

	c->mm = mm;
	c->pid = pid;
	chk_vmas(c, mm);
	if (!pgd)
		return;
	for (unsigned i = next_slot(c, pgd->used, 0); i < PTRS_PER_TABLE;
	     i = next_slot(c, pgd->used, i + 1)) {
		const struct pl_dir *pud = pgd->next[i];

		if (!pud)
			continue;
		for (unsigned j = next_slot(c, pud->used, 0); j < PTRS_PER_TABLE;
		     j = next_slot(c, pud->used, j + 1)) {
			const struct pl_dir *pmd = pud->next[j];
			pl_addr pud_base = ((pl_addr)i << 39) | ((pl_addr)j << PUD_SHIFT);
			pud_t pe = pud->e[j];

			/* pgtable-well-formed, the pud level: a pmd table or a PUD leaf */
			if ((pe && pmd) || (pe && !pud_leaf(pe)))
				chk_report(c, "pgtable-well-formed", pid, pud_base, 0,
					   "pud slot holds %#llx and %s table",
					   (unsigned long long)pe, pmd ? "a" : "no");
			if (pe && pud_leaf(pe))
				chk_pmd(c, pud_base, pe, true);
			if (!pmd)
				continue;
			for (unsigned k = next_slot(c, pmd->used, 0); k < PTRS_PER_TABLE;
			     k = next_slot(c, pmd->used, k + 1)) {
				pl_addr base = ((pl_addr)i << 39) | ((pl_addr)j << 30) |
					       ((pl_addr)k << PMD_SHIFT);
				const struct pl_ptetab *tab = pmd->next[k];
				pmd_t e = pmd->e[k];

				/*
				 * pgtable-well-formed: a pmd slot holds a PTE
				 * table, a PMD leaf or nothing -- never both,
				 * never a non-leaf value -- and a PTE is empty,
				 * present (or PROT_NONE) or a swap entry; the
				 * model has no migration or device entries.
				 * Every walker, GUP-fast first, assumes both.
				 */
				if ((e && tab) || (e && !pmd_leaf(e)))
					chk_report(c, "pgtable-well-formed", pid, base, 0,
						   "pmd slot holds %#llx and %s table",
						   (unsigned long long)e, tab ? "a" : "no");
				if (e && pmd_leaf(e))
					chk_pmd(c, base, e, false);
				if (!tab)
					continue;
				for (unsigned l = next_slot(c, tab->used, 0); l < PTRS_PER_TABLE;
				     l = next_slot(c, tab->used, l + 1))
					if (!pte_none(tab->pte[l]))
						chk_pte(c, base | ((pl_addr)l << PAGE_SHIFT),
							tab->pte[l]);
			}
		}
	}
}

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
static void chk_file(struct chk *c, const struct pl_file *f)
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
		pl_pfn pfn = f->cache[idx];

		if (pfn == PL_PFN_NONE)
			continue;
		if (idx >= f->nr_pages)
			chk_report(c, "pagecache-consistent", 0, 0, pfn,
				   "file %d caches index %u past i_size %u", f->id, idx,
				   f->nr_pages);
		if (pfn == last && h && idx - h->index < (1u << h->order) && idx >= h->index)
			continue;	/* the slot before said all of this, and tallied it */
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
		tally(c, head)->flags |= TALLY_IN_CACHE;
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

static void tally_pinsets(struct chk *c)
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
				tally(c, head)->held++;
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

static void chk_pinset(struct chk *c, const struct pl_pinset *ps)
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
static void chk_swap(struct chk *c)
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

static bool pages_next(struct pages *it, unsigned *i)
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
static uint64_t folio_expected(const struct chk *c, pl_pfn head, const struct page *h,
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
	for (struct pages it = pages_of(c, head, h); pages_next(&it, &i);) {
		const struct page *p = chk_tail(h, i);

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
	unsigned i;

	for (struct pages it = pages_of(c, head, h); pages_next(&it, &i);) {
		const struct page *p = chk_tail(h, i);
		uint32_t maps = c->t[head + i].ptes + th->pmds;
		uint32_t wmaps = c->t[head + i].wptes + th->wpmds;

		/*
		 * exclusive-is-anon: PG_anon_exclusive lives only on pages of
		 * anon folios (for hugetlb only on the head), and only in eras
		 * that have the flag (knob anon_exclusive).  On other pages the
		 * bit is PG_mappedtodisk and means something else entirely.
		 */
		if (PageAnonExclusive(p) &&
		    (!anon || (h->flags & PG_zero) || (hugetlb && i) ||
		     !w->policy.anon_exclusive)) {
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
		if (PageAnonExclusive(excl_page(h, i)) && (hugetlb ? folio_maps : maps) > 1) {
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
			if (!PageAnonExclusive(chk_tail(h, i)))
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
	    h->gup_gets || h->gup_pins || (c->t[head].flags & TALLY_DIRTY_MAP))
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

			if (!f || f->fs != PL_FS_EXT4 || !f->disk || idx >= f->cap)
				return;
			backing = f->disk[idx];
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

		if (!f || !f->cache || h->index >= f->cap || f->cache[h->index] != head)
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
 */
static bool chk_pages_all(const struct chk *c, bool policy_changed, pl_pfn pfn,
			  const struct page *p)
{
	return c->w->check_full || c->w->check_list_lost || policy_changed || p->chk_dirty ||
	       (c->t[pfn].pmds >= 2 && !(p->flags & PG_hugetlb));
}

static void chk_memmap(struct chk *c, bool policy_changed)
{
	struct world *w = c->w;
	const uint32_t *l = w->check_list;
	size_t n = w->check_list_lost ? 0 : w->check_nr, k = 0;
	pl_pfn pfn = 1;

	if (n)
		qsort(w->check_list, n, sizeof(*w->check_list), cmp_pfn);
	while (pfn < w->next_pfn) {
		struct page *p = pfn_to_page(w, pfn);
		uint64_t hits = c->hits;
		unsigned nr;

		if (p->flags & PG_free) {
			/*
			 * A free block: only its head is written (folio.c's
			 * alignment gaps leave the tails untouched), so skip it
			 * whole by the order its head records.
			 */
			unsigned order = p->order <= HPAGE_PUD_ORDER ? p->order : 0;

			pfn = (pl_pfn)PL_MIN((uint64_t)pfn + (1u << order), (uint64_t)w->next_pfn);
			continue;
		}
		/* the listed pfns of this folio: l[k .. k + c->fn) */
		while (k < n && l[k] < pfn)
			k++;
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
			/* skip the rest of a broken folio: its tails were reported */
			pfn++;
			while (pfn < w->next_pfn && (pfn_to_page(w, pfn)->flags & PG_tail))
				pfn++;
			continue;
		}
		chk_folio(c, pfn, p);
		/* sound: its unchanged pages need not be read again */
		if (c->hits == hits)
			p->chk_dirty = 0;
		pfn += nr;
	}
}

/* ---------------------------------------------------------------------------
 * The scan.
 */
/*
 * The world's per-pfn tally, ready for a scan: grown to the memmap, and the
 * entries the last scan wrote cleared.  An entry the last scan wrote stays
 * listed (empty) for this one, so the pages that lost their last mapping
 * are read once more.  Only listed entries are ever non-zero, so a scan
 * costs what is mapped, not the size of the memmap.
 */
/* Unmap the world's tally (world.c frees the world with it). */
void pl_check_tally_free(struct world *w)
{
	if (w->check_tally)
		munmap(w->check_tally, w->check_tally_cap * sizeof(struct pl_tally));
	w->check_tally = NULL;
	w->check_tally_cap = 0;
}

static bool tally_reset(struct world *w)
{
	struct pl_tally *t = w->check_tally;
	size_t keep = 0;

	if (w->check_tally_cap < (size_t)w->next_pfn + 1) {
		/*
		 * Straight from mmap(), as the memmap: zero pages, touched only
		 * where written.  (calloc() would clear all of it whenever glibc
		 * serves it from a heap grown by an earlier world's tally.)
		 */
		size_t cap = PL_MAX((size_t)w->next_pfn + 1, 2 * w->check_tally_cap);
		struct pl_tally *nt = mmap(NULL, cap * sizeof(*nt), PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (nt == MAP_FAILED)
			return false;
		if (t && w->check_list_lost)
			memcpy(nt, t, w->check_tally_cap * sizeof(*t));
		else
			for (size_t i = 0; i < w->check_nr; i++)
				nt[w->check_list[i]] = t[w->check_list[i]];
		pl_check_tally_free(w);
		w->check_tally = t = nt;
		w->check_tally_cap = cap;
	}
	if (w->check_list_lost) {
		memset(t, 0, w->check_tally_cap * sizeof(*t));
		w->check_nr = 0;
		w->check_list_lost = false;
		return true;
	}
	for (size_t i = 0; i < w->check_nr; i++) {
		uint32_t pfn = w->check_list[i];
		struct pl_tally *e = &t[pfn];
		bool used = e->ptes || e->wptes || e->pmds || e->wpmds || e->held || e->fptes ||
			    e->flags;

		memset(e, 0, sizeof(*e));
		if (used) {
			e->listed = 1;
			w->check_list[keep++] = pfn;
		}
	}
	w->check_nr = keep;
	return true;
}

static bool chk_begin(struct chk *c, struct world *w, bool report)
{
	memset(c, 0, sizeof(*c));
	c->w = w;
	c->report = report;
	/*
	 * A scan that reports uses the world's tally, kept from scan to scan
	 * (see tally_reset()); pl_expected_refcount() counts in one of its
	 * own, so it leaves the checker's record of the last scan alone.
	 */
	c->sparse = report;
	if (report) {
		if (!tally_reset(w))
			return false;
		c->t = w->check_tally;
	} else {
		c->t = calloc((size_t)w->next_pfn + 1, sizeof(*c->t));
	}
	c->swap_ptes = calloc(w->nr_swap ? w->nr_swap : 1, sizeof(*c->swap_ptes));
	c->swap_excl = calloc(w->nr_swap ? w->nr_swap : 1, sizeof(*c->swap_excl));
	return c->t && c->swap_ptes && c->swap_excl;
}

static void chk_end(struct chk *c)
{
	if (!c->sparse)
		free(c->t);	/* else it belongs to the world (check_tally) */
	free(c->swap_ptes);
	free(c->swap_excl);
}

/* Tally every mapping, cache slot and pinner reference in the world. */
static void chk_collect(struct chk *c)
{
	struct world *w = c->w;

	/* an mm shared by two tasks is walked once, for the first of them */
	w->check_scan++;
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task_struct *t = w->tasks[i];

		if (!t || t->exited || !t->mm || t->mm->chk_scan == w->check_scan)
			continue;
		t->mm->chk_scan = w->check_scan;
		chk_mm(c, t->mm, t->pid);
	}
	c->mm = NULL;
	c->pid = 0;
	for (int i = 0; i < w->nr_files; i++)
		if (w->files && w->files[i])
			chk_file(c, w->files[i]);
	tally_pinsets(c);
}

/**
 * pl_check_world() - check every world-scan invariant now.
 *
 * Reads the model only (violations are appended to w->violations, stamped
 * with w->step).  Deterministic, and safe on any state.
 * Return: the number of new violations recorded.  Without the memory to scan
 * with, w->oom is set: the world is then not known to be sound.
 */
int pl_check_world(struct world *w)
{
	bool policy_changed;
	struct chk c;

	if (!chk_begin(&c, w, true)) {
		chk_end(&c);
		/* an unchecked world must not pass for a checked one: the run fails */
		w->oom = 1;
		return 0;
	}
	policy_changed = !w->check_policy_valid ||
			 memcmp(&w->check_policy, &w->policy, sizeof(w->policy)) != 0;
	w->check_policy = w->policy;
	w->check_policy_valid = true;
	chk_collect(&c);
	chk_swap(&c);
	chk_memmap(&c, policy_changed);
	for (int i = 0; i < w->nr_pins; i++)
		if (w->pins && w->pins[i] && w->pins[i]->active)
			chk_pinset(&c, w->pins[i]);
	/*
	 * hugetlb-pool: for each huge page size (hstate), the pool never has
	 * more free huge pages than it has pages, and the hugetlb folios of
	 * that size alive are exactly the ones not free.  A 1 GiB folio freed
	 * into the 2 MiB pool (or the reverse) shows up as both pools wrong.
	 */
	if (w->hugetlb_free > w->hugetlb_total ||
	    c.hugetlb_used != w->hugetlb_total - w->hugetlb_free ||
	    w->hugetlb_1g_free > w->hugetlb_1g_total ||
	    c.hugetlb_1g_used != w->hugetlb_1g_total - w->hugetlb_1g_free)
		chk_report(&c, "hugetlb-pool", 0, 0, 0,
			   "2 MiB: pool %u, free %u, %u alive; 1 GiB: pool %u, free %u, %u alive",
			   w->hugetlb_total, w->hugetlb_free, c.hugetlb_used, w->hugetlb_1g_total,
			   w->hugetlb_1g_free, c.hugetlb_1g_used);
	chk_end(&c);
	return c.found;
}

/**
 * pl_expected_refcount() - the refcount the checker derives for a folio.
 * @head: pfn of the folio's head page
 * @mapcount_out: receives the number of PTE and PMD mappings found (may be NULL)
 *
 * Walks the whole world, so it is meant for `show` and tests, not loops.
 * Return: the expected _refcount, or 0 if @head is not a live folio head.
 */
uint64_t pl_expected_refcount(struct world *w, pl_pfn head, int *mapcount_out)
{
	struct chk c;
	struct page *h;
	pl_pfn hp;
	uint64_t exp = 0, maps = 0;

	if (mapcount_out)
		*mapcount_out = 0;
	h = chk_head(w, head, &hp);
	if (!h || hp != head)
		return 0;
	if (chk_begin(&c, w, false)) {
		chk_collect(&c);
		exp = folio_expected(&c, head, h, &maps);
	}
	chk_end(&c);
	if (mapcount_out)
		*mapcount_out = (int)maps;
	return exp;
}
