/*
 * Internal interfaces shared by the files of src/core/.  Nothing outside
 * src/core/ includes this header.
 */
#ifndef PINLAB_CORE_INTERNAL_H
#define PINLAB_CORE_INTERNAL_H

#include "pinlab/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * PL_BUG_ON(): pinlab itself is wrong (not the modelled kernel).  Prints the
 * place and exits 3, as the CLI promises for internal errors.
 */
#define PL_BUG_ON(cond)                                                                    \
	do {                                                                               \
		if (cond)                                                                  \
			pl_bug(__FILE__, __LINE__, #cond);                                 \
	} while (0)
_Noreturn void pl_bug(const char *file, int line, const char *what);

_Noreturn void pl_oom(struct world *w);
void *pl_zalloc(struct world *w, size_t n);
void *pl_realloc_array(struct world *w, void *p, size_t nmemb, size_t size);
void *pl_array_grow(struct world *w, void *p, int nr, int *cap, int first, size_t size);
/*
 * PL_ARRAY_PUSH_ROOM(): make room for element @nr of the growable array @v
 * whose capacity is the int @cap: the first growth gives @first, then it doubles.
 */
#define PL_ARRAY_PUSH_ROOM(w, v, nr, cap, first) \
	((v) = pl_array_grow((w), (v), (nr), &(cap), (first), sizeof(*(v))))
/*
 * PL_TABLE_ADD(): append a new zeroed object to @v, a growable array of
 * pointers to objects.  Evaluates to the object, whose 1-based id is @nr
 * after it.
 */
#define PL_TABLE_ADD(w, v, nr, cap, first) \
	(PL_ARRAY_PUSH_ROOM(w, v, nr, cap, first), (v)[(nr)++] = pl_zalloc((w), sizeof(**(v))))

/* ---------------------------------------------------------------------------
 * Sync layer.  See core.h.  Every function below is the single place a
 * racing access to shared model state goes through.  With no hooks
 * installed (a plain run) each one is the bare access.
 */
static inline void pl_sync(struct world *w, enum pl_sync_op op, const void *obj)
{
	if (w->hooks.sync)
		w->hooks.sync(w, op, obj, w->hooks.arg);
}

static inline void pl_yield(struct world *w, enum pl_yield_point where)
{
	if (w->hooks.yield)
		w->hooks.yield(w, where, w->hooks.arg);
}

/*
 * pl_PageAnonExclusive() - the kernel's PageAnonExclusive() test, in the
 * modelled era: PG_anon_exclusive exists from v5.19 (6c287605fd56, knob
 * anon_exclusive); in older eras no page is ever exclusive, whatever the
 * flag word holds.  The one place the model asks "may this anon page be
 * reused or pinned without a copy, by the flag".
 */
static inline bool pl_PageAnonExclusive(const struct world *w, const struct page *page)
{
	return w->policy.anon_exclusive && pl_page_anon_exclusive(w, page);
}

static inline pte_t pl_ptep_get(struct world *w, const pte_t *ptep)
{
	pl_sync(w, PL_SYNC_READ_ONCE, ptep);
	return *ptep;
}

static inline void pl_set_pte(struct world *w, pte_t *ptep, pte_t val)
{
	pl_sync(w, PL_SYNC_WRITE_ONCE, ptep);
	*ptep = val;
}

/*
 * The locks (sync.c describes them).  The PTL and the mmap_lock / vma lock
 * for reading, taken on every fault and user access, are inline: a call to
 * each of the four cost the reuse fault about 10 of its 47 ns.
 */
static inline void pl_spin_lock(struct world *w, struct pl_lock *l)
{
	pl_sync(w, PL_SYNC_LOCK, l);
	PL_BUG_ON(l->owner != 0);
	l->owner = w->cur_thread + 1;
}

static inline void pl_spin_unlock(struct world *w, struct pl_lock *l)
{
	PL_BUG_ON(l->owner != w->cur_thread + 1);
	l->owner = 0;
	pl_sync(w, PL_SYNC_UNLOCK, l);
}

static inline void pl_down_read(struct world *w, struct pl_lock *l)
{
	pl_sync(w, PL_SYNC_READ_LOCK, l);
	PL_BUG_ON(l->owner != 0);
	l->readers++;
}

static inline void pl_up_read(struct world *w, struct pl_lock *l)
{
	PL_BUG_ON(l->readers <= 0);
	l->readers--;
	pl_sync(w, PL_SYNC_READ_UNLOCK, l);
}
void pl_down_write(struct world *w, struct pl_lock *l);
void pl_up_write(struct world *w, struct pl_lock *l);
bool pl_trylock(struct world *w, struct pl_lock *l);

static inline void pl_local_irq_disable(struct world *w) { pl_sync(w, PL_SYNC_IRQ_DISABLE, NULL); }
static inline void pl_local_irq_enable(struct world *w) { pl_sync(w, PL_SYNC_IRQ_ENABLE, NULL); }

/*
 * One GUP-fast call from its first grab to its return (gup_fast(), linked
 * on w->gup_fast_calls): the pages it grabbed so far, pages[0..nr), and the
 * folio it is grabbing now.  Until the call returns them these references
 * are not its caller's yet: GUP-fast drops them when fork ran meanwhile
 * (write_protect_seq, 57efa1fe5957) or a re-check after the grab fails.
 * fork's fork-shared-pinned check (fork.c) leaves such pins out and notes
 * the folio on the call instead; the call reports it if it returns a page
 * of that folio pinned after all.  Only the explorer stops a thread inside
 * GUP-fast, so elsewhere no fork ever sees a call here.
 */
struct pl_gup_fast_call {
	const pl_pfn *pages;
	long nr;
	pl_pfn grabbing;		/* head of the folio being grabbed, or PL_PFN_NONE */
	bool pin;			/* FOLL_PIN: the grabs count in gup_pins */
	bool fork_shared;		/* fork shared a folio this call holds pinned */
	int fork_pid;
	pl_addr fork_addr;
	pl_pfn fork_folio;
	struct pl_gup_fast_call *next;
};

/* FOLL_PIN pins the GUP-fast calls in flight hold on the folio at @head; with
 * @note, fork shared that folio at @pid/@addr: each such call remembers it. */
unsigned pl_gup_fast_pins_in_flight(struct world *w, pl_pfn head, bool note, int pid,
				    pl_addr addr);

static inline uint32_t pl_seq_begin(struct world *w, const uint32_t *seq)
{
	pl_sync(w, PL_SYNC_SEQ_BEGIN, seq);
	return *seq;
}
static inline bool pl_seq_retry(struct world *w, const uint32_t *seq, uint32_t start)
{
	pl_sync(w, PL_SYNC_SEQ_RETRY, seq);
	return *seq != start;
}
static inline void pl_seq_write_begin(struct world *w, uint32_t *seq)
{
	pl_sync(w, PL_SYNC_SEQ_WRITE_BEGIN, seq);
	(*seq)++;
}
static inline void pl_seq_write_end(struct world *w, uint32_t *seq)
{
	pl_sync(w, PL_SYNC_SEQ_WRITE_END, seq);
	(*seq)++;
}

/* Atomic updates of folio counters. */
static inline void pl_atomic_add(struct world *w, uint32_t *v, int32_t d)
{
	pl_sync(w, PL_SYNC_ATOMIC, v);
	*v = (uint32_t)((int64_t)*v + d);
}
static inline void pl_atomic_add_int(struct world *w, int32_t *v, int32_t d)
{
	pl_sync(w, PL_SYNC_ATOMIC, v);
	*v += d;
}
/*
 * pl_chk_mark_pfn(): the folio holding @pfn (any of its pages), or the free
 * block at @pfn, changed since the checker's last scan.  The memmap walk
 * visits only the folios marked, the ones whose tally entries a scan
 * changed, and the ones it found unsound or hugetlb last time
 * (check_folio.c), so every write to a struct page field a folio rule
 * reads -- flags, _refcount, _mapcount, _entire_mapcount, page[1]'s
 * _large_mapcount and _mm_id, _pincount, mapping, index, swap, token,
 * order, head, the ghost gup_gets/gup_pins -- and every write to a swap
 * slot or page-cache slot or file disk block a folio rule reads marks the
 * folio it concerns.  Marks are appended to a list drained by each scan;
 * one that cannot be kept makes the next walk visit every folio.
 * pl_chk_mark_page() marks the folio of a page (by its ->head).
 */
void pl_chk_mark_slow(struct world *w, pl_pfn pfn);	/* check_folio.c */
static inline void pl_chk_mark_pfn(struct world *w, pl_pfn pfn)
{
	uint32_t n = w->chk_nr_mark;

	/*
	 * Lost: the next walk is whole anyway.  First, so that a world nobody
	 * scans (the bench, past 4,096 marks) pays one load per write: the
	 * unpin loop of the pin-unpin row spent 19 % of its samples here.
	 */
	if (w->chk_mark_lost || (n && w->chk_mark[n - 1] == pfn))
		return;
	if (n < w->chk_cap_mark)
		w->chk_mark[w->chk_nr_mark++] = pfn;
	else
		pl_chk_mark_slow(w, pfn);
}
static inline void pl_chk_mark_page(struct world *w, const struct page *p)
{
	pl_chk_mark_pfn(w, p->head);
}
static inline void pl_chk_mark_folio(struct world *w, const struct folio *f)
{
	pl_chk_mark_pfn(w, f->page.head);
}
/*
 * pl_page_changed(): a page's own fields (_mapcount, flags) changed.  The
 * checker re-reads the tail pages of a large folio only when its head says
 * one of them changed since the last scan (check.c), so every write to a
 * page's _mapcount or flags goes through the helpers below.
 */
static inline void pl_page_changed(struct world *w, struct page *p, uint32_t f)
{
	/* a head is always read; of its flags, PG_anon and PG_ksm rule its tails */
	if (p->flags & PG_tail)
		pfn_to_page(w, p->head)->chk_dirty = 1;
	else if (f & (PG_anon | PG_ksm))
		p->chk_dirty = 1;
	pl_chk_mark_page(w, p);
}
/*
 * The page flags the checker's walk of a mapping reads (check_mm.c): a
 * change of one of them, of a folio's mapping, index or order, or a free,
 * bumps w->chk_folio_gen, and the next scan walks every mm again.
 * pl_chk_folio_changed_at() names the one folio that changed (by its head):
 * the next scan walks every mm only if one it walked mapped that folio
 * (check_inc.c); too many names in one step count as a bump.
 */
#define PL_CHK_MAP_FLAGS (PG_dirty | PG_anon | PG_ksm | PG_hugetlb | PG_anon_exclusive | \
			  PG_zero | PG_head | PG_tail | PG_free)
static inline void pl_chk_folio_changed(struct world *w)
{
	w->chk_folio_gen++;
}
static inline void pl_chk_folio_changed_at(struct world *w, pl_pfn head)
{
	uint32_t n = w->chk_nr_fchg;

	if (n && w->chk_fchg[n - 1] == head)
		return;
	if (n < sizeof(w->chk_fchg) / sizeof(w->chk_fchg[0]))
		w->chk_fchg[w->chk_nr_fchg++] = head;
	else
		w->chk_folio_gen++;
}
/* A mapping-relevant flag of @p changed: its folio, or every folio if @f makes or breaks one. */
static inline void pl_chk_page_flags_changed(struct world *w, const struct page *p, uint32_t f)
{
	if (f & (PG_head | PG_tail | PG_free))
		pl_chk_folio_changed(w);
	else
		pl_chk_folio_changed_at(w, p->head);
}
/*
 * pl_chk_mm_mark(): the mm's page tables or VMAs may change (every table
 * lookup and VMA lookup calls it), so the next scan walks it again.
 */
void pl_chk_mm_mark_slow(struct mm_struct *mm);	/* check_inc.c */
static inline void pl_chk_mm_mark(struct mm_struct *mm)
{
	if (mm && !mm->chk_slot)
		pl_chk_mm_mark_slow(mm);
}
void pl_chk_mm_gone(struct world *w, struct mm_struct *mm);	/* check_inc.c */
void pl_chk_inc_free(struct world *w);				/* check_inc.c */

/*
 * PG_excl_head (core.h): pl_folio_anon_exclusive_expand() copies the head's
 * PG_anon_exclusive out to every page of the folio and drops PG_excl_head;
 * every page reads as before.  pl_page_excl_expand() does it for the folio
 * of @p when that folio keeps the bit on its head, before a write of one
 * page's bit.
 */
void pl_folio_anon_exclusive_expand(struct folio *f);	/* folio.c */
static inline void pl_page_excl_expand(struct world *w, struct page *p, uint32_t f)
{
	struct page *h;

	if (!(f & PG_anon_exclusive))
		return;
	h = (p->flags & PG_tail) ? pfn_to_page(w, p->head) : p;
	if (h->flags & PG_excl_head) {
		pl_folio_anon_exclusive_expand((struct folio *)h);
		pl_chk_mark_page(w, h);
	}
}
static inline void pl_page_flags_set(struct world *w, struct page *p, uint32_t f)
{
	pl_page_excl_expand(w, p, f);
	pl_sync(w, PL_SYNC_ATOMIC, &p->flags);
	if ((p->flags & f) != f) {
		pl_page_changed(w, p, f & ~p->flags);
		if (f & ~p->flags & PL_CHK_MAP_FLAGS)
			pl_chk_page_flags_changed(w, p, f & ~p->flags);
	}
	p->flags |= f;
}
static inline void pl_page_flags_clear(struct world *w, struct page *p, uint32_t f)
{
	pl_page_excl_expand(w, p, f);
	pl_sync(w, PL_SYNC_ATOMIC, &p->flags);
	if (p->flags & f) {
		pl_page_changed(w, p, f & p->flags);
		if (f & p->flags & PL_CHK_MAP_FLAGS)
			pl_chk_page_flags_changed(w, p, f & p->flags);
	}
	p->flags &= ~f;
}
/*
 * folio_pte_batch() - how many PTEs from @ptep on map consecutive pfns of one
 * folio: ptep[0] maps @pfn (the caller checked it), ptep[i] must be present,
 * not special and map @pfn + i; at most @max.  The kernel's helper of that name
 * (mm/internal.h) batches fork's copy_present_ptes() (f8d937761d65, v6.9) and
 * zap_present_ptes() (10ebac4f95e7, v6.10); the model's batches are the same
 * walk.  The caller bounds @max by the folio, the PMD range and the vma.
 */
static inline unsigned folio_pte_batch(const pte_t *ptep, pl_pfn pfn, unsigned max)
{
	unsigned nr;

	for (nr = 1; nr < max; nr++) {
		pte_t e = ptep[nr];

		if (!pte_present(e) || pte_special(e) || pte_pfn(e) != pfn + nr)
			break;
	}
	return nr;
}
/*
 * pl_page_flags_set() / _clear() of @f on pages [first, first + n) of one
 * folio (no 1 GiB folio's unwritten group among them).  With no sync hook
 * (no explorer watching each store) the stores go in one loop and the
 * head's chk_dirty is set once; the pages end as after the per-page calls.
 */
static inline void pl_folio_pages_flags(struct world *w, struct folio *fo, unsigned first,
					unsigned n, uint32_t f, bool set)
{
	struct page *h = &fo->page, *p = h + first;
	bool tail_changed = false, changed = false;

	if ((f & PG_anon_exclusive) && (h->flags & PG_excl_head)) {
		pl_folio_anon_exclusive_expand(fo);
		pl_chk_mark_folio(w, fo);
	}
	if (w->hooks.sync || (f & (PG_anon | PG_ksm))) {
		for (unsigned i = 0; i < n; i++) {
			if (set)
				pl_page_flags_set(w, p + i, f);
			else
				pl_page_flags_clear(w, p + i, f);
		}
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t old = p[i].flags;

		p[i].flags = set ? old | f : old & ~f;
		tail_changed |= p[i].flags != old && (old & PG_tail);
		changed |= p[i].flags != old;
	}
	if (tail_changed)
		h->chk_dirty = 1;
	if (changed)
		pl_chk_mark_folio(w, fo);
}
/*
 * A page's _mapcount, and with it its large folio's kept _large_mapcount
 * (page[1]; a plain store: the explorer schedules on the page's own count,
 * as before the total was kept).
 */
/*
 * pl_folio_anon_exclusive_pmd(): PG_anon_exclusive of a whole PMD-mapped
 * folio set or cleared at the PMD level.  A PMD-size THP keeps it on the
 * head (PG_excl_head): one store, not 512.  Under a sync hook (the
 * explorer watches each store) and for other folios every page is written,
 * as before.  Tails whose bit may have changed mark the head's chk_dirty,
 * as pl_folio_pages_flags() does.
 */
static inline void pl_folio_anon_exclusive_pmd(struct world *w, struct folio *f, bool set)
{
	struct page *h = &f->page;
	uint32_t old = h->flags;

	if (w->hooks.sync || h->order != HPAGE_PMD_ORDER || (old & PG_hugetlb)) {
		pl_folio_pages_flags(w, f, 0, folio_nr_pages(f), PG_anon_exclusive, set);
		return;
	}
	h->flags = (set ? old | PG_anon_exclusive : old & ~PG_anon_exclusive) | PG_excl_head;
	if (!(old & PG_excl_head) || ((old ^ h->flags) & PG_anon_exclusive)) {
		h->chk_dirty = 1;
		pl_chk_mark_folio(w, f);
	}
}
static inline void pl_page_mapcount_add(struct world *w, struct page *p, int32_t d)
{
	struct page *h = (p->flags & PG_tail) ? pfn_to_page(w, p->head) : p;

	pl_atomic_add_int(w, &p->_mapcount, d);
	if (h->order)
		h[1]._large_mapcount += d;
	pl_page_changed(w, p, 0);
}
/* A large folio's PMD/PUD leaves, and its kept _large_mapcount with them. */
static inline void pl_folio_entire_mapcount_add(struct world *w, struct folio *f, int32_t d)
{
	pl_atomic_add_int(w, &f->page._entire_mapcount, d);
	(&f->page)[1]._large_mapcount += d;
	pl_chk_mark_folio(w, f);
}

/* ---------------------------------------------------------------------------
 * Folio helpers (folio.c).
 */
size_t pl_memmap_chunk_bytes(void);
void pl_file_disk_set(struct world *w, struct pl_file *f, uint32_t idx, pl_token tok);
void pl_file_free(struct pl_file *f);
void pl_memmap_chunk_release(struct page *chunk, bool first, pl_pfn low);
struct page *pl_memmap_chunk_copy(const struct page *src);	/* world_copy.c */
void pl_memmap_chunk_copy_into(struct page *dst, const struct page *src, pl_pfn same,
			       pl_pfn zero_pfn);
void pl_file_copy(struct world *w, struct pl_file *f, const struct pl_file *src);
void pl_pinset_copy(struct world *w, struct pl_pinset *ps, const struct pl_pinset *src);
void pl_memmap_template_save(struct world *w);
bool pl_file_prefilled(const struct pl_file *f, uint32_t idx);
void pl_file_prefilled_clear(struct pl_file *f, uint32_t idx);
bool pl_memmap_template_load(struct world *w);
pl_pfn pl_alloc_pages(struct world *w, unsigned order);		/* PL_PFN_NONE on OOM */
struct folio *folio_alloc(struct world *w, unsigned order);	/* refcount 1 */
void folio_get(struct world *w, struct folio *f);
void folio_ref_add(struct world *w, struct folio *f, int n);
void folio_put(struct world *w, struct folio *f);
void folio_put_refs(struct world *w, struct folio *f, int n);
bool folio_try_get(struct world *w, struct folio *f);
bool folio_ref_try_add(struct world *w, struct folio *f, int n);
static inline uint32_t folio_ref_count(struct world *w, const struct folio *f)
{
	pl_sync(w, PL_SYNC_READ_ONCE, &f->page._refcount);
	return f->page._refcount;
}
void folio_mark_dirty(struct world *w, struct folio *f);
bool folio_trylock(struct world *w, struct folio *f);
void folio_lock(struct world *w, struct folio *f);	/* waits (explorer); never held twice */
void folio_unlock(struct world *w, struct folio *f);
/* rmap (rmap.c) */
void folio_add_new_anon_rmap(struct world *w, struct folio *f, struct vm_area_struct *vma,
			     pl_addr addr, bool exclusive, bool pmd);
void folio_add_anon_rmap_pte(struct world *w, struct folio *f, struct page *p,
			     const struct vm_area_struct *vma, bool exclusive);
void folio_add_file_rmap_pte(struct world *w, struct folio *f, struct page *p,
			     const struct vm_area_struct *vma);
void folio_add_rmap_pmd(struct world *w, struct folio *f, const struct vm_area_struct *vma);
void folio_dup_anon_rmap_ptes(struct world *w, struct folio *f, struct page *page, unsigned nr,
			      const struct vm_area_struct *dst_vma);
void folio_remove_rmap_ptes(struct world *w, struct folio *f, struct page *page, unsigned nr,
			    const struct vm_area_struct *vma);
void folio_remove_rmap_pte(struct world *w, struct folio *f, struct page *p,
			   const struct vm_area_struct *vma);
void folio_remove_rmap_pmd(struct world *w, struct folio *f, const struct vm_area_struct *vma);
/* the MM ids of a large folio (6af8cb80d3a9): see folio.c */
void folio_clear_mm_ids(struct folio *f);
void folio_remap_pmd_as_ptes(struct folio *f, const struct vm_area_struct *vma, int nr);
/* The page flags of a placement (enum pl_zone). */
static inline uint32_t pl_zone_pgflags(unsigned zone)
{
	return zone == PL_ZONE_MOVABLE ? PG_movable : zone == PL_ZONE_CMA ? PG_cma : 0;
}
/* migrate.c */
int migrate_folio_move(struct world *w, struct folio *f, const char *reason);
void migration_entry_wait(struct world *w, pte_t entry);
static inline pte_t make_migration_entry(pte_t pte, bool exclusive)
{
	return (pte & (_PAGE_PFN_MASK | _PAGE_RW | _PAGE_DIRTY | _PAGE_SOFT_DIRTY | _PAGE_UFFD_WP)) |
	       _PAGE_MIGRATION | (exclusive ? _PAGE_SWP_EXCLUSIVE : 0);
}
/* fork: clear exclusivity and add a mapping unless maybe pinned; -EBUSY then */
int __folio_try_dup_anon_rmap(struct world *w, struct folio *f, struct page *p, bool pmd,
			      struct mm_struct *src_mm, const struct vm_area_struct *dst_vma);
/* swap/KSM/migration: clear exclusivity unless maybe pinned; -EBUSY then */
int __folio_try_share_anon_rmap(struct world *w, struct folio *f, struct page *p);
/*
 * 088b8aa537c2 (knob exclusive_clear_barrier): counts sampled before the PTE
 * clear, used instead of fresh reads when the era lacks the barrier.
 */
struct pl_share_sample {
	bool stale;			/* no barrier: decide on the values below */
	bool maybe_pinned;
	uint32_t refcount;
};
void pl_share_sample_take(struct world *w, struct folio *f, struct pl_share_sample *s);
uint32_t pl_share_sample_refcount(struct world *w, struct folio *f,
				  const struct pl_share_sample *s);
int folio_try_share_anon_rmap_sampled(struct world *w, struct folio *f, struct page *p,
				      const struct pl_share_sample *s);
bool folio_needs_cow_for_dma(struct world *w, struct mm_struct *mm, struct folio *f);
void folio_copy_contents(struct folio *dst, struct folio *src);
bool pl_is_zero_pfn(const struct world *w, pl_pfn pfn);
/* A folio of @order (9 or 18) from that size's pool; NULL if the pool is empty. */
struct folio *pl_hugetlb_alloc(struct world *w, unsigned order);
struct folio *pl_zero_folio(struct world *w);
/* Record ghost GUP ownership. */
void pl_grab_folio(struct world *w, struct folio *f, unsigned flags);
void pl_gup_ghost_add(struct world *w, struct folio *f, unsigned gup_flags, uint32_t mm_id, int n);
void pl_gup_ghost_sub(struct world *w, struct folio *f, unsigned gup_flags, int n);

/* ---------------------------------------------------------------------------
 * Page tables (pgtable.c).
 */
static inline unsigned pgd_index(pl_addr a) { return (a >> 39) & 511; }
static inline unsigned pud_index(pl_addr a) { return (a >> 30) & 511; }
static inline unsigned pmd_index(pl_addr a) { return (a >> 21) & 511; }
static inline unsigned pte_index(pl_addr a) { return (a >> 12) & 511; }
/*
 * pl_pud_lookup(), pl_pmd_lookup() and pl_ptetab_lookup() of one address in
 * one walk: the pud and pmd slots (NULL where no table holds them) and the
 * PTE table (NULL if none), with the same used-slot marks as the three calls.
 * Inline: every user access walks with it.
 */
static inline struct pl_ptetab *pl_walk_lookup(struct mm_struct *mm, pl_addr addr, pud_t **pudp,
					       pmd_t **pmdp)
{
	struct pl_dir *pud, *pmd;

	pl_chk_mm_mark(mm);
	pud = mm && mm->pgd ? mm->pgd->next[pgd_index(addr)] : NULL;
	*pudp = NULL;
	*pmdp = NULL;
	if (!pud)
		return NULL;
	pl_table_mark(pud->used, pud_index(addr));
	*pudp = &pud->e[pud_index(addr)];
	pmd = pud->next[pud_index(addr)];
	if (!pmd)
		return NULL;
	pl_table_mark(pmd->used, pmd_index(addr));
	*pmdp = &pmd->e[pmd_index(addr)];
	return pmd->next[pmd_index(addr)];
}
pte_t *pl_pte_alloc(struct world *w, struct mm_struct *mm, pl_addr addr);
pmd_t *pl_pmd_alloc(struct world *w, struct mm_struct *mm, pl_addr addr);
struct pl_lock *pl_pte_lockptr(struct mm_struct *mm, pl_addr addr);
/*
 * pte_offset_map_lock(): the PTE that maps @addr in @mm with its page-table
 * lock taken (*@ptlp), or NULL, with nothing taken, when no page table
 * covers @addr.  pl_spin_unlock(w, *ptlp) is pte_unmap_unlock().
 */
pte_t *pte_offset_map_lock(struct world *w, struct mm_struct *mm, pl_addr addr,
			   struct pl_lock **ptlp);
struct pl_lock *pl_pmd_lockptr(struct mm_struct *mm, pl_addr addr);
/* PUD leaves (1 GiB hugetlb): the slot in the pud-level pl_dir, its lock. */
pud_t *pl_pud_alloc(struct world *w, struct mm_struct *mm, pl_addr addr);
struct pl_lock *pl_pud_lockptr(struct mm_struct *mm, pl_addr addr);
bool pl_pud_free_empty_pmd(struct world *w, struct mm_struct *mm, pl_addr addr);
/* hugetlb PMD sharing (pgtable.c) */
bool pl_want_pmd_share(const struct world *w, const struct vm_area_struct *vma, pl_addr addr);
bool pl_huge_pmd_share(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		       pl_addr addr);
bool pl_pmd_table_shared(struct mm_struct *mm, pl_addr addr);
bool pl_huge_pmd_unshare(struct world *w, struct mm_struct *mm, pl_addr addr);
void pl_hugetlb_unshare_range(struct world *w, struct mm_struct *mm, pl_addr start, pl_addr end);
void pl_free_pgtables(struct world *w, struct mm_struct *mm);
struct pl_dir *pl_dir_alloc(struct world *w);	/* a zeroed directory (pgtable.c's pool) */
/* Install a fresh PTE table for addr's PMD slot (after a PMD leaf split). */
struct pl_ptetab *pl_pmd_install_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr);
void pl_pmd_free_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr);
struct pl_ptetab *pl_pmd_detach_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr);
void pl_pmd_attach_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr,
			  struct pl_ptetab *t);
void pl_ptetab_free_rcu(struct world *w, struct mm_struct *mm, struct pl_ptetab *t);

/*
 * mmap_write_lock() for a change of the vma tree: from 6.4 (knob
 * per_vma_lock) the kernel also vma_start_write()s every vma it changes, so
 * a fault under the vma lock waits; the model write-locks the mm's one vma
 * lock.  mmap_write_unlock() drops both.
 */
static inline struct pl_lock *pl_mm_vma_lock(struct world *w, struct mm_struct *mm)
{
	if (!mm->vma_lock.id)
		mm->vma_lock.id = ++w->next_lock_id;
	return &mm->vma_lock;
}

static inline void pl_mmap_write_lock(struct world *w, struct mm_struct *mm)
{
	pl_down_write(w, &mm->mmap_lock);
	if (w->policy.per_vma_lock)
		pl_down_write(w, pl_mm_vma_lock(w, mm));
}

static inline void pl_mmap_write_unlock(struct world *w, struct mm_struct *mm)
{
	if (w->policy.per_vma_lock)
		pl_up_write(w, pl_mm_vma_lock(w, mm));
	pl_up_write(w, &mm->mmap_lock);
}
bool pl_pmd_free_empty_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr);
/* Iterate over present PTE slots: calls fn for every non-none pte in [start,end). */
typedef int (*pl_pte_fn)(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 pl_addr addr, pte_t *ptep, void *arg);
typedef int (*pl_pmd_fn)(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 pl_addr addr, pmd_t *pmdp, void *arg);
int pl_walk_range(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		  pl_addr start, pl_addr end, pl_pmd_fn pmd_fn, pl_pte_fn pte_fn, void *arg);
/*
 * A whole PTE table's part of a walk: [addr, end) lies in one PMD range,
 * mapped by table @t.  pl_walk_range_tab() hands each such range to tab_fn
 * (instead of calling a pte_fn per PTE), so an operation can do its work per
 * table -- one lock, one lookup -- and fall back to its per-PTE function for
 * the entries it does not batch.
 */
typedef int (*pl_tab_fn)(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 struct pl_ptetab *t, pl_addr addr, pl_addr end, void *arg);
int pl_walk_range_tab(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		      pl_addr start, pl_addr end, pl_pmd_fn pmd_fn, pl_tab_fn tab_fn, void *arg);
/*
 * pl_batch_ok(): may an operation do its work per table in one loop?  Only
 * when no explorer hook sees each access and no listener wants an event per
 * page: the state after the loop is what the per-PTE calls leave.
 */
static inline bool pl_batch_ok(const struct world *w)
{
	return !w->hooks.sync && !w->hooks.yield && !w->on_event;
}

/* ---------------------------------------------------------------------------
 * Memory / faults (memory.c, huge_memory.c).
 */
/*
 * vm_normal_page() - the struct page a present PTE maps, NULL for a special
 * entry.  The model's answer needs neither @vma nor @addr; inline because
 * fork's and zap's per-table batch loops ask it for every entry.
 */
static inline struct page *vm_normal_page(struct world *w, struct vm_area_struct *vma,
					  pl_addr addr, pte_t pte)
{
	(void)vma;
	(void)addr;
	if (!pte_present(pte) || pte_special(pte))
		return NULL;
	return pfn_to_page(w, pte_pfn(pte));
}
void pl_pins_forget_mapping(struct world *w, struct mm_struct *mm, pl_addr addr, uint64_t len);
void pl_pins_moved(struct world *w, struct mm_struct *mm, pl_addr old, uint64_t len, pl_addr new);
void zap_page_range(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		    pl_addr start, pl_addr end);
void zap_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma, pl_addr addr,
	     pte_t *ptep);
int __split_huge_pmd(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		     pl_addr addr);
void split_huge_pmds_range(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			   pl_addr start, pl_addr end);
int split_folio(struct world *w, struct folio *f);
int split_folio_zero_remap(struct world *w, struct folio *f);
unsigned do_huge_pmd_anonymous_page(struct world *w, struct mm_struct *mm,
				    struct vm_area_struct *vma, pl_addr addr, unsigned flags);
unsigned do_huge_pmd_wp_page(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			     pl_addr addr, pmd_t *pmdp, pmd_t orig, unsigned flags);
unsigned hugetlb_fault(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		       pl_addr addr, unsigned flags);
bool pl_thp_suitable(struct world *w, struct vm_area_struct *vma, pl_addr addr);
pte_t pl_mk_pte(struct vm_area_struct *vma, pl_pfn pfn, bool write);
bool pl_vma_is_anon(const struct vm_area_struct *vma);

/* huge_page_size(hstate_vma()): the page size of a hugetlb vma. */
static inline uint64_t vma_huge_page_size(const struct vm_area_struct *vma)
{
	return PAGE_SIZE << vma->hugetlb_order;
}
bool vma_wants_writenotify(struct world *w, const struct vm_area_struct *vma);
int pl_fault_error(unsigned ret);
/* Write one token into a page as the CPU would (dirty ghost for GUP writes). */
void pl_page_write(struct world *w, struct page *p, pl_token tok, bool via_gup);

/* ---------------------------------------------------------------------------
 * Files / swap / mm helpers.
 */
struct pl_file *pl_file_get(const struct world *w, int id);
struct folio *filemap_get_folio(struct world *w, struct pl_file *f, uint32_t index, bool create);
void filemap_remove_folio(struct world *w, struct pl_file *f, struct folio *folio);
int page_mkwrite(struct world *w, struct vm_area_struct *vma, struct folio *folio);
struct folio *pl_swapcache_lookup(struct world *w, uint32_t slot);
void swap_duplicate(struct world *w, uint32_t slot);
void swap_free(struct world *w, uint32_t slot);
bool folio_free_swap(struct world *w, struct folio *f);
void pl_swap_put_cache(struct world *w, uint32_t slot);
/* The live mm of task @pid, or NULL (inline: every user access asks). */
static inline struct mm_struct *pl_mm_of(const struct world *w, int pid)
{
	struct task_struct *t = pid >= 1 && pid <= w->nr_tasks ? w->tasks[pid - 1] : NULL;
	struct mm_struct *mm = t && !t->exited ? t->mm : NULL;

	pl_chk_mm_mark(mm);	/* an operation on the process: the checker walks it */
	return mm;
}
/*
 * pl_find_task_vma(): task @pid's mm and the vma covering @addr in it.
 * Return: 0, -ESRCH when there is no live task @pid, @novma when no vma
 * covers @addr.
 */
int pl_find_task_vma(const struct world *w, int pid, pl_addr addr, int novma,
		     struct mm_struct **mmp, struct vm_area_struct **vmap);
int vma_split(struct world *w, struct mm_struct *mm, pl_addr addr);
/*
 * The next slot from @i on that a table ever handed out (struct pl_dir
 * ->used, never cleared): a table hangs only under such a slot, so freeing
 * (pgtable.c) and the checker's walks read those alone, not all 512.
 */
static inline unsigned pl_dir_next_used(const uint64_t *used, unsigned i)
{
	while (i < PTRS_PER_TABLE) {
		uint64_t m = used[i / 64] >> (i % 64);

		if (m)
			return i + (unsigned)__builtin_ctzll(m);
		i = (i | 63) + 1;
	}
	return PTRS_PER_TABLE;
}
/* The end of the mapped stretch that starts at @start (@start if unmapped), at most @end. */
pl_addr mapped_until(struct mm_struct *mm, pl_addr start, pl_addr end);
typedef int (*vma_flags_check_fn)(const struct world *w, const struct vm_area_struct *v,
				  uint32_t set);
int vma_modify_flags_range(struct world *w, struct mm_struct *mm, pl_addr start, pl_addr end,
			   uint32_t set, uint32_t clear, vma_flags_check_fn check);
/* The index in mm->vmas of the vma covering @addr, or -1 (a binary search). */
static inline int vma_index(struct mm_struct *mm, pl_addr addr)
{
	int lo = 0, hi = mm->nr_vmas - 1;

	pl_chk_mm_mark(mm);	/* the caller may change the vma it finds */
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct vm_area_struct *v = &mm->vmas[mid];

		if (addr < v->vm_start)
			hi = mid - 1;
		else if (addr >= v->vm_end)
			lo = mid + 1;
		else
			return mid;
	}
	return -1;
}
/* vma_lookup() (core.h) of a non-NULL @mm, inline for the user-access path. */
static inline struct vm_area_struct *pl_vma_lookup(struct mm_struct *mm, pl_addr addr)
{
	int i = vma_index(mm, addr);

	return i < 0 ? NULL : &mm->vmas[i];
}
void vma_remove_at(struct mm_struct *mm, int idx);
struct vm_area_struct *vma_insert(struct world *w, struct mm_struct *mm,
				  const struct vm_area_struct *v);
void pl_mm_free(struct world *w, struct mm_struct *mm);
void pl_mm_free_gone(struct world *w, struct mm_struct *mm);
struct task_struct *pl_task_of_mm(const struct world *w, const struct mm_struct *mm);
int pl_mm_pid(const struct world *w, const struct mm_struct *mm);
void pl_pinset_drop_all(struct world *w);
void pl_pinset_release(struct world *w, struct pl_pinset *ps, bool complete_io);
void pl_check_tally_free(struct world *w);	/* check.c */

/* Rule strings for events: "knob=value" of the active policy. */
const char *pl_rule_reuse(const struct world *w, bool thp_or_swap);

#define PL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PL_MAX(a, b) ((a) > (b) ? (a) : (b))
#define PL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* added by filemap/vmscan/pinners */
/* pl_page_token(): read one page's contents, as a READ_ONCE for the explorer. */
static inline pl_token pl_page_token(struct world *w, const struct page *p)
{
	pl_sync(w, PL_SYNC_READ_ONCE, &p->token);
	return p->token;
}
/*
 * rmap.c: the model keeps no reverse map, so rmap walks visit every live mm.
 * pl_next_mm(): iterate the distinct live mms; start with *pos = 0.
 * rmap_walk_file(): call fn for every (mm, vma, addr) whose vma maps page
 * @index of @file (any vma with vma->file == file covering it); a non-zero
 * return stops the walk and is returned.  fn may change PTEs, not vmas.
 * rmap_walk_anon(): the same for linear index @index of anon_vma @anon_vma.
 */
typedef int (*pl_rmap_fn)(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, void *arg);
struct mm_struct *pl_next_mm(const struct world *w, int *pos);
int rmap_walk_file(struct world *w, int file, uint32_t index, pl_rmap_fn fn, void *arg);
int rmap_walk_anon(struct world *w, uint32_t anon_vma, uint32_t index, pl_rmap_fn fn, void *arg);
/*
 * page_vma_mapped_walk(): the small-page case of the kernel's walk
 * (mm/page_vma_mapped.c), for one address of an rmap walk's callback.  The
 * caller fills .pfn, .mm and .address; it returns true when the PTE there is
 * present and maps page .pfn, with .pte mapped, .ptl taken and .pteval the
 * value read under it; else false with nothing taken.
 * page_vma_mapped_walk_done() drops the PTL, as the kernel's does.
 */
struct page_vma_mapped_walk {
	pl_pfn pfn;
	struct mm_struct *mm;
	pl_addr address;
	pte_t *pte;
	pte_t pteval;
	struct pl_lock *ptl;
};
bool page_vma_mapped_walk(struct world *w, struct page_vma_mapped_walk *pvmw);
static inline void page_vma_mapped_walk_done(struct world *w, struct page_vma_mapped_walk *pvmw)
{
	pl_spin_unlock(w, pvmw->ptl);
}
/* Page-cache references a cached folio holds: 1 for hugetlb (head), else nr pages. */
unsigned pl_filemap_cache_refs(const struct folio *f);
/*
 * Swap cache (vmscan.c).  pl_swapcache_add(): folio joins the swap cache
 * for @slot (PG_swapcache, ->swap, slot->cache, SWAP_HAS_CACHE, +1 ref).
 * pl_swapcache_del(): leaves it (the inverse; drops that ref, so the folio
 * may be freed on return).
 */
void pl_swapcache_add(struct world *w, struct folio *f, uint32_t slot);
void pl_swapcache_del(struct world *w, struct folio *f);
/* pl_swapcache_del() without dropping the cache's reference (the caller does). */
void pl_swapcache_remove(struct world *w, struct folio *f);
/* What a device reading @pfn sees: the zero page's contents, or the page's (pinners.c). */
pl_token dma_read_page(struct world *w, pl_pfn pfn);
/* end of block added by filemap/vmscan/pinners */

#endif
