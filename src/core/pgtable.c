/*
 * Page tables: four levels as on x86-64 with 4-level paging.
 *
 *   addr bits  47..39   38..30   29..21   20..12   11..0
 *              pgd      pud      pmd      pte      offset
 *
 *   mm->pgd --> struct pl_dir --> struct pl_dir --+--> struct pl_dir --+--> struct pl_ptetab
 *                (pgd)             (pud)          |     (pmd)          |     pte[512] + PTL
 *                        e[j] PUD leaf -----------+  e[i] PMD leaf ----+
 *                        (_PAGE_PSE: 1 GiB)          (_PAGE_PSE: 2 MiB)
 *
 * A pmd slot holds either a PTE table (next[i]) or a PMD leaf (e[i]), never
 * both; a pud slot likewise holds a pmd table or a PUD leaf, and only 1 GiB
 * hugetlb makes PUD leaves.  Each PTE table carries its own split lock (the
 * PTL); the pmd-level directory carries the pmd lock that guards PMD leaves
 * and the pud-level directory the pud lock that guards PUD leaves.
 *
 * Tables are freed only by pl_free_pgtables() at exit, by a PMD collapse,
 * and when a hugetlb fault finds an empty table where its leaf must go
 * (pl_pmd_free_empty_ptetab(), pl_pud_free_empty_pmd()).
 * The kernel frees page tables after an IPI or an RCU-sched grace period, so
 * a GUP-fast walker with IRQs off never sees a table vanish under it; in the
 * model a table that a walker may be reading is simply never freed while the
 * walker runs (the walk happens within one sync-layer IRQ-off section).
 */
#include "internal.h"

#include <pthread.h>
#include <stddef.h>

/*
 * Directories (struct pl_dir, 8 KiB: 512 entries and 512 pointers) come
 * from a small per-process pool of clean ones.  A world maps a few slots of
 * each (a pgd, a pud and a pmd per mm, most with one or two slots used), so
 * calloc()'s clearing of 8 KiB per directory -- about 100,000 of them in a
 * catalog, 0.9 GB zeroed -- was most of what a directory cost.  A directory
 * goes back into the pool with only its used slots cleared: used[] has a
 * bit for every slot whose address pgtable.c ever handed out (a write to
 * e[] or next[] goes through such an address, or sets the bit itself, as
 * pl_free_pgtables()'s walk already relies on; a build with
 * -DPL_DIR_POOL_CHECK checks the whole directory clean).  Under ASan the
 * pool is off, so a directory used after its free is still reported.
 */
#if defined(__SANITIZE_ADDRESS__)
#define DIR_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIR_POOL 0
#endif
#endif
#ifndef DIR_POOL
#define DIR_POOL 64
#endif

#if DIR_POOL
static pthread_mutex_t dir_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pl_dir *dir_pool[DIR_POOL];
static unsigned dir_pool_nr;
#endif

/* A zeroed directory: from the pool, else calloc() (pl_zalloc(): out of memory ends the run). */
struct pl_dir *pl_dir_alloc(struct world *w)
{
#if DIR_POOL
	struct pl_dir *d = NULL;

	pthread_mutex_lock(&dir_pool_lock);
	if (dir_pool_nr)
		d = dir_pool[--dir_pool_nr];
	pthread_mutex_unlock(&dir_pool_lock);
	if (d)
		return d;
#endif
	return pl_zalloc(w, sizeof(struct pl_dir));
}

/* Give a directory back: its used slots and its tail cleared, into the pool or free(). */
static void dir_free(struct pl_dir *d)
{
#if DIR_POOL
	bool kept = false;

	if (!d)
		return;
	for (unsigned i = pl_dir_next_used(d->used, 0); i < PTRS_PER_TABLE;
	     i = pl_dir_next_used(d->used, i + 1)) {
		d->e[i] = 0;
		d->next[i] = NULL;
	}
	memset((char *)d + offsetof(struct pl_dir, ptl), 0,
	       sizeof(*d) - offsetof(struct pl_dir, ptl));
#ifdef PL_DIR_POOL_CHECK
	/* a debug build's proof of the used[] rule above: the whole directory is clean */
	for (unsigned i = 0; i < PTRS_PER_TABLE; i++)
		if (d->e[i] || d->next[i])
			pl_bug(__FILE__, __LINE__, "a page-table slot was written without its used bit");
#endif
	pthread_mutex_lock(&dir_pool_lock);
	if (dir_pool_nr < DIR_POOL) {
		dir_pool[dir_pool_nr++] = d;
		kept = true;
	}
	pthread_mutex_unlock(&dir_pool_lock);
	if (kept)
		return;
#endif
	free(d);
}


/*
 * Every lookup and allocation starts at one of these two: both mark the mm
 * for the checker's next scan (pl_chk_mm_mark()), reads included, since a
 * caller may write through the pointer it gets.
 */
static struct pl_dir *pud_dir_lookup(struct mm_struct *mm, pl_addr addr)
{
	pl_chk_mm_mark(mm);
	if (!mm || !mm->pgd)
		return NULL;
	return mm->pgd->next[pgd_index(addr)];
}

/* A PUD leaf has no pmd table under it: next[] of its slot stays NULL. */
static struct pl_dir *pmd_dir_lookup(struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pud = pud_dir_lookup(mm, addr);

	if (!pud)
		return NULL;
	return pud->next[pud_index(addr)];
}

static struct pl_dir *pud_dir_alloc(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir **pudp = (struct pl_dir **)&mm->pgd->next[pgd_index(addr)];

	pl_chk_mm_mark(mm);
	pl_table_mark(mm->pgd->used, pgd_index(addr));
	if (!*pudp) {
		*pudp = pl_dir_alloc(w);
		mm->nr_ptes += 2;
	}
	return *pudp;
}

static struct pl_dir *pmd_dir_alloc(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pud = pud_dir_alloc(w, mm, addr);
	struct pl_dir **pmdp;

	/* a PUD leaf is never under a table: its hugetlb vma covers the whole range */
	PL_BUG_ON(pud_leaf(pud->e[pud_index(addr)]));
	pmdp = (struct pl_dir **)&pud->next[pud_index(addr)];
	pl_table_mark(pud->used, pud_index(addr));
	if (!*pmdp) {
		*pmdp = pl_dir_alloc(w);
		(*pmdp)->ptl.id = ++w->next_lock_id;
		mm->nr_ptes += 2;
	}
	return *pmdp;
}

pmd_t *pl_pmd_lookup(struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_lookup(mm, addr);

	if (!pmd)
		return NULL;
	pl_table_mark(pmd->used, pmd_index(addr));
	return &pmd->e[pmd_index(addr)];
}

pmd_t *pl_pmd_alloc(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_alloc(w, mm, addr);

	pl_table_mark(pmd->used, pmd_index(addr));
	return &pmd->e[pmd_index(addr)];
}

pud_t *pl_pud_lookup(struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pud = pud_dir_lookup(mm, addr);

	if (!pud)
		return NULL;
	pl_table_mark(pud->used, pud_index(addr));
	return &pud->e[pud_index(addr)];
}

/*
 * pl_pud_alloc(): the pud slot for addr.  The pud lock gets its identity on
 * first use, so worlds without 1 GiB pages number their locks as before.
 */
pud_t *pl_pud_alloc(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pud = pud_dir_alloc(w, mm, addr);

	if (!pud->ptl.id)
		pud->ptl.id = ++w->next_lock_id;
	pl_table_mark(pud->used, pud_index(addr));
	return &pud->e[pud_index(addr)];
}

struct pl_lock *pl_pud_lockptr(struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pud = pud_dir_lookup(mm, addr);

	return pud ? &pud->ptl : NULL;
}

/*
 * pl_pud_free_empty_pmd(): free_pgtables() for one pud slot: drop the pmd
 * table (and its PTE tables) a former mapping left at addr if nothing is
 * mapped through it.  Returns true when the slot has no pmd table afterwards
 * (so a PUD leaf may go there).
 */
bool pl_pud_free_empty_pmd(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pud = pud_dir_lookup(mm, addr);
	struct pl_dir *pmd = pud ? pud->next[pud_index(addr)] : NULL;

	(void)w;
	if (!pmd)
		return true;
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		struct pl_ptetab *t = pmd->next[i];

		if (pmd->e[i])
			return false;
		for (int j = 0; t && j < PTRS_PER_TABLE; j++)
			if (!pte_none(t->pte[j]))
				return false;
	}
	for (int i = 0; i < PTRS_PER_TABLE; i++) {
		if (pmd->next[i]) {
			free(pmd->next[i]);
			mm->nr_ptes--;
		}
	}
	dir_free(pmd);
	pud->next[pud_index(addr)] = NULL;
	mm->nr_ptes -= 2;
	return true;
}

/* ---------------------------------------------------------------------------
 * hugetlb PMD sharing (39dde65c9940, 2.6.20; Debian 6.1 and 6.12 mm/hugetlb.c).
 *
 * A pmd table that maps 2 MiB hugetlb pages of a file over a whole 1 GiB
 * (PUD_SIZE) aligned range may hang under the pud slots of several mms that
 * map the same file offsets at the same offset within that range, with the
 * same vm_flags (VM_LOCKED aside): the second mm's hugetlb fault finds the
 * first one's table through the file's i_mmap (huge_pmd_share()) instead of
 * allocating its own.  Its entries, and so the folios' mapcounts, count once
 * however many mms walk it; pt_share_count counts the extra mms (an
 * independent counter since 59d9094df3d7, 6.13; the table page's refcount
 * before, which a transient reference could fake: CVE-2024-57883).  Any
 * change to one mm's view of the range -- munmap, MADV_DONTNEED, mprotect,
 * mremap, a vma split inside it, exit, migration's rmap walk -- first takes
 * the table out of that mm's pud slot (huge_pmd_unshare()): the mm then maps
 * nothing there and refaults, the other mms keep the pages mapped.
 */
static bool pmd_share_flags_match(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	const uint32_t ignore = VM_LOCKED | VM_UFFD_EVENT_FORK;

	return (a->vm_flags & ~ignore) == (b->vm_flags & ~ignore);
}

/*
 * want_pmd_share(): a MAP_SHARED (VM_MAYSHARE) 2 MiB hugetlb vma, not
 * registered for uffd-wp (uffd_disable_huge_pmd_share()), covering the whole
 * PUD_SIZE-aligned range around addr.
 */
bool pl_want_pmd_share(const struct world *w, const struct vm_area_struct *vma, pl_addr addr)
{
	pl_addr start = addr & PUD_MASK;

	return w->policy.hugetlb_pmd_share && (vma->vm_flags & VM_HUGETLB) &&
	       vma->hugetlb_order == HPAGE_PMD_ORDER && (vma->vm_flags & VM_MAYSHARE) &&
	       !(vma->vm_flags & VM_UFFD_WP) && vma->file >= 0 && vma->vm_start <= start &&
	       start + PUD_SIZE <= vma->vm_end;
}

/*
 * huge_pmd_share(): before mm gets a pmd table at addr, look for a vma of
 * another mm (or another vma of this one) that maps the same file page at
 * the same offset inside a whole PUD range of its own (page_table_shareable())
 * and already has a table there; hang that table under mm's pud slot.
 * Returns true when it did.
 */
bool pl_huge_pmd_share(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		       pl_addr addr)
{
	uint32_t idx = vma->vm_pgoff + (uint32_t)((addr - vma->vm_start) >> PAGE_SHIFT);
	struct pl_dir *pud;

	if (!pl_want_pmd_share(w, vma, addr) || pmd_dir_lookup(mm, addr))
		return false;
	for (int t = 0; t < w->nr_tasks; t++) {
		struct mm_struct *smm = w->tasks[t] ? w->tasks[t]->mm : NULL;

		if (!smm || !smm->pgd)
			continue;
		for (int i = 0; i < smm->nr_vmas; i++) {
			struct vm_area_struct *sv = &smm->vmas[i];
			struct pl_dir *spmd;
			pl_addr saddr;

			if (sv == vma || sv->file != vma->file || !(sv->vm_flags & VM_HUGETLB) ||
			    idx < sv->vm_pgoff ||
			    idx - sv->vm_pgoff >= (sv->vm_end - sv->vm_start) >> PAGE_SHIFT)
				continue;
			saddr = sv->vm_start + ((pl_addr)(idx - sv->vm_pgoff) << PAGE_SHIFT);
			if (pmd_index(saddr) != pmd_index(addr) ||
			    (saddr & ~PUD_MASK) != (addr & ~PUD_MASK) ||
			    !pmd_share_flags_match(sv, vma) || !pl_want_pmd_share(w, sv, saddr))
				continue;
			spmd = pmd_dir_lookup(smm, saddr);
			if (!spmd)
				continue;
			pud = pud_dir_alloc(w, mm, addr);
			pud->next[pud_index(addr)] = spmd;
			pl_table_mark(pud->used, pud_index(addr));
			spmd->pt_share_count++;
			mm->nr_ptes += 2;
			w->nr_pmd_shares++;
			w->pmd_share_changed = true;
			pl_event_emit(w, PL_EV_NOTE, "huge_pmd_share", "hugetlb_pmd_share (39dde65c9940)",
				      addr & PUD_MASK, 0, 0, "the pmd table of another mapping of the "
				      "file is shared");
			return true;
		}
	}
	return false;
}

/* Is the pmd table at addr of mm hung under more than one pud slot? */
bool pl_pmd_table_shared(struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_lookup(mm, addr);

	return pmd && pmd->pt_share_count;
}

/*
 * huge_pmd_unshare(): if mm's pmd table at addr is shared, take it out of
 * mm's pud slot (the other mms keep it and its mappings).  Returns true when
 * it did: the whole PUD range then maps nothing in mm.
 */
bool pl_huge_pmd_unshare(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pud = pud_dir_lookup(mm, addr);
	struct pl_dir *pmd = pud ? pud->next[pud_index(addr)] : NULL;

	if (!pmd || !pmd->pt_share_count)
		return false;
	pl_sync(w, PL_SYNC_WRITE_ONCE, &pud->e[pud_index(addr)]);	/* pud_clear() */
	pud->next[pud_index(addr)] = NULL;
	pmd->pt_share_count--;
	mm->nr_ptes -= 2;
	w->nr_pmd_shares--;
	w->pmd_share_changed = true;
	pl_event_emit(w, PL_EV_NOTE, "huge_pmd_unshare", NULL, addr & PUD_MASK, 0, 0,
		      "the shared pmd table leaves this mm; the others keep it");
	return true;
}

/* Unshare every shared pmd table that [start, end) touches (hugetlb_unshare_pmds()). */
void pl_hugetlb_unshare_range(struct world *w, struct mm_struct *mm, pl_addr start, pl_addr end)
{
	for (pl_addr a = start & PUD_MASK; a < end; a += PUD_SIZE)
		pl_huge_pmd_unshare(w, mm, a);
}

struct pl_ptetab *pl_ptetab_lookup(struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_lookup(mm, addr);

	return pmd ? pmd->next[pmd_index(addr)] : NULL;
}

pte_t *pl_pte_lookup(struct mm_struct *mm, pl_addr addr)
{
	struct pl_ptetab *t = pl_ptetab_lookup(mm, addr);

	if (!t)
		return NULL;
	pl_table_mark(t->used, pte_index(addr));
	return &t->pte[pte_index(addr)];
}

/* pl_pmd_install_ptetab() into @pmd, the pmd table pmd_dir_alloc() gave for addr */
static struct pl_ptetab *install_ptetab(struct world *w, struct mm_struct *mm,
					struct pl_dir *pmd, pl_addr addr)
{
	struct pl_ptetab *t = pmd->next[pmd_index(addr)];

	if (!t) {
		t = pl_zalloc(w, sizeof(*t));
		t->ptl.id = ++w->next_lock_id;
		pmd->next[pmd_index(addr)] = t;
		mm->nr_ptes++;
	}
	pl_table_mark(pmd->used, pmd_index(addr));
	return t;
}

struct pl_ptetab *pl_pmd_install_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	return install_ptetab(w, mm, pmd_dir_alloc(w, mm, addr), addr);
}

void pl_pmd_free_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_lookup(mm, addr);

	(void)w;
	if (!pmd || !pmd->next[pmd_index(addr)])
		return;
	free(pmd->next[pmd_index(addr)]);
	pmd->next[pmd_index(addr)] = NULL;
	mm->nr_ptes--;
}

/*
 * pmdp_collapse_flush() for a PTE table: take it out of its pmd slot (a later
 * walk finds none) without freeing it; a GUP-fast walker that read the slot
 * before may still read its PTEs.  The store is a sync op on the slot, so the
 * explorer orders it against GUP-fast's reads of the pmd.
 */
struct pl_ptetab *pl_pmd_detach_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_lookup(mm, addr);
	struct pl_ptetab *t;

	if (!pmd)
		return NULL;
	t = pmd->next[pmd_index(addr)];
	pl_sync(w, PL_SYNC_WRITE_ONCE, &pmd->e[pmd_index(addr)]);
	pmd->next[pmd_index(addr)] = NULL;
	return t;
}

/* pmd_populate() of a table that pl_pmd_detach_ptetab() took out (a failed collapse). */
void pl_pmd_attach_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr,
			  struct pl_ptetab *t)
{
	struct pl_dir *pmd = pmd_dir_lookup(mm, addr);

	PL_BUG_ON(!pmd || pmd->next[pmd_index(addr)]);
	pl_sync(w, PL_SYNC_WRITE_ONCE, &pmd->e[pmd_index(addr)]);
	pmd->next[pmd_index(addr)] = t;
}

/*
 * Free a detached table as the kernel does after the IPI or RCU grace period
 * (tlb_remove_table): here, with the world, since a walker may hold a pointer
 * into it.
 */
void pl_ptetab_free_rcu(struct world *w, struct mm_struct *mm, struct pl_ptetab *t)
{
	if (!t)
		return;
	mm->nr_ptes--;
	if (w->nr_rcu_tables == w->cap_rcu_tables) {
		uint32_t cap = w->cap_rcu_tables ? 2 * w->cap_rcu_tables : 8;
		void **n = realloc(w->rcu_tables, cap * sizeof(*n));

		if (!n) {
			free(t);	/* no room to defer: no walker runs outside the explorer */
			return;
		}
		w->rcu_tables = n;
		w->cap_rcu_tables = cap;
	}
	w->rcu_tables[w->nr_rcu_tables++] = t;
}

/*
 * pl_pmd_free_empty_ptetab(): free_pgtables() for one pmd slot: drop the PTE
 * table at addr if nothing is mapped in it.  Returns true when the slot has
 * no PTE table afterwards (so a PMD leaf may go there).
 */
bool pl_pmd_free_empty_ptetab(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_ptetab *t = pl_ptetab_lookup(mm, addr);

	if (!t)
		return true;
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (!pte_none(t->pte[i]))
			return false;
	pl_pmd_free_ptetab(w, mm, addr);
	return true;
}

/* pte_alloc_map(): the PTE slot for addr, allocating tables; NULL if a PMD leaf is there. */
pte_t *pl_pte_alloc(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_alloc(w, mm, addr);

	if (pmd_leaf(pmd->e[pmd_index(addr)]))
		return NULL;
	/* one walk: a second pmd_dir_alloc() of the same addr finds the same table */
	struct pl_ptetab *t = install_ptetab(w, mm, pmd, addr);

	pl_table_mark(t->used, pte_index(addr));
	return &t->pte[pte_index(addr)];
}

struct pl_lock *pl_pte_lockptr(struct mm_struct *mm, pl_addr addr)
{
	struct pl_ptetab *t = pl_ptetab_lookup(mm, addr);

	return t ? &t->ptl : NULL;
}

pte_t *pte_offset_map_lock(struct world *w, struct mm_struct *mm, pl_addr addr,
			   struct pl_lock **ptlp)
{
	struct pl_lock *ptl = pl_pte_lockptr(mm, addr);
	pte_t *ptep = pl_pte_lookup(mm, addr);

	if (!ptep || !ptl)
		return NULL;
	pl_spin_lock(w, ptl);
	*ptlp = ptl;
	return ptep;
}

struct pl_lock *pl_pmd_lockptr(struct mm_struct *mm, pl_addr addr)
{
	struct pl_dir *pmd = pmd_dir_lookup(mm, addr);

	return pmd ? &pmd->ptl : NULL;
}

void pl_free_pgtables(struct world *w, struct mm_struct *mm)
{
	struct pl_dir *pgd = mm->pgd;

	(void)w;
	if (!pgd)
		return;
	for (unsigned i = pl_dir_next_used(pgd->used, 0); i < PTRS_PER_TABLE;
	     i = pl_dir_next_used(pgd->used, i + 1)) {
		struct pl_dir *pud = pgd->next[i];

		if (!pud)
			continue;
		for (unsigned j = pl_dir_next_used(pud->used, 0); j < PTRS_PER_TABLE;
		     j = pl_dir_next_used(pud->used, j + 1)) {
			struct pl_dir *pmd = pud->next[j];

			if (!pmd)
				continue;
			if (pmd->pt_share_count) {	/* another mm still hangs it */
				pmd->pt_share_count--;
				w->nr_pmd_shares--;
				w->pmd_share_changed = true;
				continue;
			}
			for (unsigned k = pl_dir_next_used(pmd->used, 0); k < PTRS_PER_TABLE;
			     k = pl_dir_next_used(pmd->used, k + 1))
				free(pmd->next[k]);
			dir_free(pmd);
		}
		dir_free(pud);
	}
	dir_free(pgd);
	mm->pgd = NULL;
	mm->nr_ptes = 0;
}

/*
 * pl_walk_range(): visit [start, end) of one vma.  pmd_fn sees every PMD
 * leaf and every PUD leaf (the leaf's size is its folio's: callbacks derive
 * it from the folio order, never assume PMD_SIZE), pte_fn every non-none
 * PTE.  Either callback may return non-zero to stop the walk (that value is
 * returned).  Tables are looked up afresh per pmd so a callback may split a
 * PMD leaf; PUD leaves (hugetlb) are never split.
 */
static int walk_range(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		      pl_addr start, pl_addr end, pl_pmd_fn pmd_fn, pl_pte_fn pte_fn,
		      pl_tab_fn tab_fn, void *arg)
{
	pl_addr addr = start;

	while (addr < end) {
		pl_addr next = PL_MIN((addr & PMD_MASK) + PMD_SIZE, end);
		struct pl_dir *pmd = pmd_dir_lookup(mm, addr);
		int ret;

		if (!pmd) {
			/* a PUD leaf, or a whole pud range with no tables */
			pl_addr pud_next = (addr & PUD_MASK) + PUD_SIZE;
			pud_t *pudp = pl_pud_lookup(mm, addr);

			if (pmd_fn && pudp && pud_leaf(*pudp)) {
				ret = pmd_fn(w, mm, vma, addr, pudp, arg);
				if (ret)
					return ret;
			}
			addr = PL_MIN(pud_next, end);
			continue;
		}
		if (pmd_leaf(pmd->e[pmd_index(addr)])) {
			if (pmd_fn) {
				ret = pmd_fn(w, mm, vma, addr, &pmd->e[pmd_index(addr)], arg);
				if (ret)
					return ret;
			}
			/* the callback may have split the leaf into a table */
			if (pmd_leaf(pmd->e[pmd_index(addr)])) {
				addr = next;
				continue;
			}
		}
		if (tab_fn && pmd->next[pmd_index(addr)]) {
			ret = tab_fn(w, mm, vma, pmd->next[pmd_index(addr)], addr, next, arg);
			if (ret)
				return ret;
		} else if (pte_fn && pmd->next[pmd_index(addr)]) {
			for (; addr < next; addr += PAGE_SIZE) {
				struct pl_ptetab *t = pmd->next[pmd_index(addr)];
				pte_t *ptep;

				if (!t)
					break;
				ptep = &t->pte[pte_index(addr)];
				if (pte_none(*ptep))
					continue;
				ret = pte_fn(w, mm, vma, addr, ptep, arg);
				if (ret)
					return ret;
			}
		}
		addr = next;
	}
	return 0;
}

int pl_walk_range(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		  pl_addr start, pl_addr end, pl_pmd_fn pmd_fn, pl_pte_fn pte_fn, void *arg)
{
	return walk_range(w, mm, vma, start, end, pmd_fn, pte_fn, NULL, arg);
}

int pl_walk_range_tab(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		      pl_addr start, pl_addr end, pl_pmd_fn pmd_fn, pl_tab_fn tab_fn, void *arg)
{
	return walk_range(w, mm, vma, start, end, pmd_fn, NULL, tab_fn, arg);
}
