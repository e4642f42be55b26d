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
 * default).  Page tables are read where a step changed them (check_inc.c),
 * pinners and swap are walked whole (they hold only what a scenario
 * touched); the per-pfn tally is sparse (w->check_list: only
 * entries written are cleared); a file's slots are read only in the range
 * ever filled; the memmap walk (check_folio.c) visits only the folios
 * marked since the last scan -- every write to a struct page field, swap
 * slot or disk block a folio rule reads calls pl_chk_mark_pfn() -- the
 * ones whose tally entries this scan changed, and the ones unsound or
 * hugetlb at the last walk; a world's first scan, a policy change and a
 * mark not kept walk every folio.  Of a folio it visits it reads the other
 * pages only when one of them changed since the last scan (head->chk_dirty,
 * set by pl_page_changed(); a fresh folio's plain tails break no rule) or
 * is mapped now or was at the last scan.  A folio or page skipped is one a
 * scan already found sound (or a fresh one) that nothing wrote since, so
 * the violations, and their order, are those of the full walk.
 * w->check_full (--check=full) reads everything every time;
 * tests/cli/check_modes.sh compares the two on the whole catalog.  State
 * broken by hand, past pl_page_changed() and pl_chk_mark_pfn(), is seen by
 * the full walk only (tests/unit/check_detects.c, check_marks.c).
 *
 * The checker's files share the scan through check_internal.h, which
 * lists them: this one holds the invariant table, the recording of
 * violations and the scan itself.
 */
#include "check_internal.h"

#include <pthread.h>

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
	{ "pmd-share-aligned", PL_CLASS_STRUCT,
	  "a pmd table shared between mms lies under a MAP_SHARED 2 MiB hugetlb vma covering "
	  "its whole 1 GiB range in each",
	  "mm/hugetlb.c want_pmd_share(), huge_pmd_share(), hugetlb_split()" },
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
bool violation_add(struct world *w, const struct pl_invariant *inv, int pid, pl_addr addr,
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
	PL_ARRAY_PUSH_ROOM(w, w->violations, w->nr_violations, w->cap_violations, 16);
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

static bool violation_addf(struct world *w, const struct pl_invariant *inv, int pid,
			   pl_addr addr, pl_pfn pfn, const char *fmt, ...)
{
	va_list ap;
	bool added;

	va_start(ap, fmt);
	added = violation_add(w, inv, pid, addr, pfn, fmt, ap);
	va_end(ap);
	return added;
}

/* Record a violation already formatted (v->step is ignored: it is now). */
bool chk_violation_put(struct world *w, const struct pl_violation *v)
{
	return violation_addf(w, v->inv, v->pid, v->addr, v->pfn, "%s", v->detail);
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
 * The scan.
 */
/*
 * The world's per-pfn tally, ready for a scan: grown to the memmap, and the
 * entries the last scan wrote cleared.  An entry the last scan wrote stays
 * listed (empty) for this one, so the pages that lost their last mapping
 * are read once more.  Only listed entries are ever non-zero, so a scan
 * costs what is mapped, not the size of the memmap.
 */
/*
 * Tallies outlive their world in a small per-process pool, all zero, so the
 * next world of a catalog or an explorer search reuses memory the kernel
 * has already faulted in (a fresh mapping's first touch clears a whole
 * transparent huge page).
 */
#define TALLY_POOL 4
static pthread_mutex_t tally_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { struct pl_tally *t; size_t cap; } tally_pool[TALLY_POOL];

/* A clean tally of at least @cap entries from the pool, or NULL. */
static struct pl_tally *tally_pool_take(size_t *cap)
{
	struct pl_tally *t = NULL;

	pthread_mutex_lock(&tally_pool_lock);
	for (int i = 0; i < TALLY_POOL; i++)
		if (tally_pool[i].t && tally_pool[i].cap >= *cap) {
			t = tally_pool[i].t;
			*cap = tally_pool[i].cap;
			tally_pool[i].t = NULL;
			break;
		}
	pthread_mutex_unlock(&tally_pool_lock);
	return t;
}

/* Clear the world's tally (only listed entries are non-zero) and pool or unmap it. */
void pl_check_tally_free(struct world *w)
{
	struct pl_tally *t = w->check_tally;
	bool kept = false;

	w->check_tally = NULL;
	if (!t)
		return;
	if (w->check_list_lost)
		memset(t, 0, w->check_tally_cap * sizeof(*t));
	else
		for (size_t i = 0; i < w->check_nr; i++)
			memset(&t[w->check_list[i]], 0, sizeof(*t));
	pthread_mutex_lock(&tally_pool_lock);
	for (int i = 0; i < TALLY_POOL && !kept; i++)
		if (!tally_pool[i].t) {
			tally_pool[i].t = t;
			tally_pool[i].cap = w->check_tally_cap;
			kept = true;
		}
	pthread_mutex_unlock(&tally_pool_lock);
	if (!kept)
		munmap(t, w->check_tally_cap * sizeof(*t));
	w->check_tally_cap = 0;
}

/*
 * Keep an entry's held/flags of the last scan, to compare with this scan's
 * (chk_hf_compare()); without the memory, the next walk visits every folio.
 */
static bool hf_keep(struct world *w, uint32_t pfn, const struct pl_tally *e)
{
	if (w->chk_nr_hf == w->chk_cap_hf) {
		uint32_t cap = w->chk_cap_hf ? 2 * w->chk_cap_hf : 64;
		uint32_t (*l)[3] = realloc(w->chk_hf, cap * sizeof(*l));

		if (!l) {
			w->chk_mark_lost = true;
			return false;
		}
		w->chk_hf = l;
		w->chk_cap_hf = cap;
	}
	w->chk_hf[w->chk_nr_hf][0] = pfn;
	w->chk_hf[w->chk_nr_hf][1] = e->held;
	w->chk_hf[w->chk_nr_hf++][2] = e->flags;
	return true;
}

/* A head whose held/flags differ from the last scan's: the memmap walk visits it. */
static void chk_hf_compare(struct chk *c)
{
	struct world *w = c->w;

	for (uint32_t i = 0; i < w->chk_nr_hf; i++) {
		uint32_t pfn = w->chk_hf[i][0];
		struct pl_tally *e = &c->t[pfn];

		if (e->held != w->chk_hf[i][1] || e->flags != w->chk_hf[i][2])
			pl_chk_mark_pfn(w, pfn);
		e->mark &= (uint8_t)~TALLY_HF_OLD;
	}
	w->chk_nr_hf = 0;
}

/*
 * @full: clear every entry, as before a walk of every mm; else keep what
 * the mms added (the running totals, check_inc.c) and clear the rest.
 */
static bool tally_reset(struct world *w, bool full)
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
		struct pl_tally *nt = tally_pool_take(&cap);

		if (!nt) {
			nt = mmap(NULL, cap * sizeof(*nt), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (nt == MAP_FAILED)
				return false;
		}
		if (t && w->check_list_lost)
			memcpy(nt, t, w->check_tally_cap * sizeof(*t));
		else
			for (size_t i = 0; i < w->check_nr; i++)
				nt[w->check_list[i]] = t[w->check_list[i]];
		pl_check_tally_free(w);	/* check_list still names its non-zero entries */
		w->check_tally = t = nt;
		w->check_tally_cap = cap;
	}
	if (w->check_list_lost) {
		memset(t, 0, w->check_tally_cap * sizeof(*t));
		w->check_nr = 0;
		w->check_list_lost = false;
		return true;
	}
	w->chk_nr_hf = 0;
	for (size_t i = 0; i < w->check_nr; i++) {
		uint32_t pfn = w->check_list[i];
		struct pl_tally *e = &t[pfn];
		bool used = e->ptes || e->wptes || e->pmds || e->wpmds || e->held || e->fptes ||
			    e->dmaps || e->flags;
		bool hf = (e->held || e->flags) && hf_keep(w, pfn, e);

		if (full) {
			memset(e, 0, sizeof(*e));
		} else {
			e->held = 0;
			e->flags = 0;
			e->mark = 0;
		}
		if (hf)
			e->mark = TALLY_HF_OLD;
		if (used) {
			e->listed = 1;
			w->check_list[keep++] = pfn;
		} else {
			e->listed = 0;
		}
	}
	w->check_nr = keep;
	return true;
}

static bool chk_begin(struct chk *c, struct world *w, bool report, bool full)
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
	if (!report) {
		c->t = calloc((size_t)w->next_pfn + 1, sizeof(*c->t));
		c->swap_ptes = calloc(w->nr_swap ? w->nr_swap : 1, sizeof(*c->swap_ptes));
		c->swap_excl = calloc(w->nr_swap ? w->nr_swap : 1, sizeof(*c->swap_excl));
		return c->t && c->swap_ptes && c->swap_excl;
	}
	if (!tally_reset(w, full))
		return false;
	c->t = w->check_tally;
	/* the swap-slot totals: kept with the tally, cleared with it */
	if (full || w->chk_swap_n != w->nr_swap || !w->chk_swap) {
		uint32_t n = w->nr_swap ? w->nr_swap : 1;
		uint32_t *s = w->chk_swap_n >= n ? w->chk_swap : calloc(2 * (size_t)n, sizeof(*s));

		if (!s)
			return false;
		if (s != w->chk_swap) {
			free(w->chk_swap);
			w->chk_swap = s;
		}
		memset(s, 0, 2 * (size_t)n * sizeof(*s));
		w->chk_swap_n = w->nr_swap;
	}
	c->swap_ptes = w->chk_swap;
	c->swap_excl = w->chk_swap + (w->nr_swap ? w->nr_swap : 1);
	return true;
}

static void chk_end(struct chk *c)
{
	if (c->sparse)
		return;		/* the tally and swap counts belong to the world */
	free(c->t);
	free(c->swap_ptes);
	free(c->swap_excl);
}

/*
 * Tally every mapping, cache slot and pinner reference in the world: the
 * mms' mappings from scratch (@full) or only what changed (check_inc.c).
 */
static void chk_collect(struct chk *c, bool full)
{
	struct world *w = c->w;

	chk_collect_mms(c, full);
	for (int i = 0; i < w->nr_files; i++)
		if (w->files && w->files[i])
			chk_file(c, w->files[i]);
	tally_pinsets(c);
}

/*
 * The debug path of the incremental scan (w->check_verify, or every world
 * in a build with -DPL_CHECK_VERIFY=1): after the walks, the totals kept
 * from scan to scan must equal a count from scratch of every live mm, file
 * and pinner (pl_expected_refcount()'s way, in a tally of its own); else
 * pinlab is wrong and stops.  It costs a full walk per scan.  The memmap
 * walk's own check is chk_memmap_verify() (check_folio.c): the walk of the
 * marked folios against the whole walk, and every page changed since the
 * last scan against the folios marked.
 */
#ifndef PL_CHECK_VERIFY
#define PL_CHECK_VERIFY 0
#endif
static void chk_verify(const struct chk *c)
{
	struct world *w = c->w;
	bool stale = w->chk_stale;
	struct chk v;

	if (chk_begin(&v, w, false, true)) {
		chk_collect(&v, true);
		for (pl_pfn pfn = 0; pfn <= w->next_pfn; pfn++) {
			const struct pl_tally *a = &c->t[pfn], *b = &v.t[pfn];

			if (a->ptes != b->ptes || a->wptes != b->wptes || a->pmds != b->pmds ||
			    a->wpmds != b->wpmds || a->held != b->held || a->fptes != b->fptes ||
			    a->dmaps != b->dmaps || a->flags != b->flags)
				pl_bug(__FILE__, __LINE__, "incremental checker: a tally total differs");
		}
		for (uint32_t s = 0; s < w->nr_swap; s++)
			if (c->swap_ptes[s] != v.swap_ptes[s] || c->swap_excl[s] != v.swap_excl[s])
				pl_bug(__FILE__, __LINE__, "incremental checker: a swap total differs");
	}
	chk_end(&v);
	w->chk_stale = stale;	/* the recount is not a walk of the scan's */
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
	bool policy_changed, full, whole, first;
	struct chk c;

	policy_changed = !w->check_policy_valid ||
			 memcmp(&w->check_policy, &w->policy, sizeof(w->policy)) != 0;
	/*
	 * every folio, or only the ones marked (check_folio.c); after a walk
	 * of every mm, too, as the tally changed wherever something is mapped
	 */
	whole = w->check_full || w->check_list_lost || w->chk_mark_lost || w->chk_memmap_insane;
	if (!w->chk_memmap_valid && !whole) {
		/*
		 * A world's first walk: every folio but the zero pages was
		 * made since the world was, and pl_alloc_pages() marked it
		 * (the zero pages come from the template, folio.c, unmarked).
		 */
		pl_chk_mark_pfn(w, w->zero_pfn);
		pl_chk_mark_pfn(w, w->huge_zero_pfn);
	} else {
		whole = whole || policy_changed || w->chk_memmap_nr_swap != w->nr_swap;
	}
	first = !w->chk_memmap_valid;
	/* every mm from scratch, or only the marked ones (check_inc.c) */
	full = w->check_full || w->check_list_lost || policy_changed || !w->chk_walked ||
	       w->chk_lost || w->chk_stale || w->chk_folio_gen != w->chk_walk_gen ||
	       w->chk_swap_n != w->nr_swap || w->nr_pmd_shares || w->pmd_share_changed ||
	       chk_folios_mapped(w);
	w->chk_nr_fchg = 0;
	if (!chk_begin(&c, w, true, full)) {
		chk_end(&c);
		/* an unchecked world must not pass for a checked one: the run fails */
		w->oom = 1;
		w->chk_walked = false;
		w->chk_mark_lost = true;
		return 0;
	}
	w->check_policy = w->policy;
	w->check_policy_valid = true;
	whole = whole || (full && !first);
	c.marks = !whole;	/* tally changes mark their folios (chk_add()) */
	chk_collect(&c, full);
	chk_hf_compare(&c);
	c.marks = false;
	if ((w->check_verify || PL_CHECK_VERIFY) && !w->check_list_lost)
		chk_verify(&c);
	if (full)
		w->pmd_share_changed = false;
	chk_swap(&c);
	if ((w->check_verify || PL_CHECK_VERIFY) && !whole && !w->check_list_lost &&
	    !w->chk_mark_lost)
		chk_memmap_verify(&c, policy_changed);
	else
		chk_memmap(&c, policy_changed, whole);
	if (w->check_verify || PL_CHECK_VERIFY)
		chk_shadow_save(w);
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
	if (chk_begin(&c, w, false, true)) {
		chk_collect(&c, true);
		exp = folio_expected(&c, head, h, &maps);
	}
	chk_end(&c);
	if (mapcount_out)
		*mapcount_out = (int)maps;
	return exp;
}
