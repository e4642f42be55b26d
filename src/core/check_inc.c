/*
 * check_inc.c - the incremental invariant scan (check_internal.h).
 *
 * A scan used to walk the page tables of every live mm after every step,
 * so N processes cost N walks a step and N^2 over a run.  Now the model
 * marks an mm whenever it may change its page tables or VMAs: every table
 * lookup (pgtable.c), every VMA lookup or edit (mmap.c) and every operation
 * on the process (pl_mm_of()) calls pl_chk_mm_mark().  A scan walks only the
 * marked mms.  The per-pfn tally and the per-slot swap counts are running
 * totals: each walk of an mm keeps a record of what it tallied (struct
 * pl_chk_mm: a copy of every PMD/PUD leaf and PTE table it read, and the
 * VMA list it read them against), and the next walk of that mm, or its
 * exit, takes the record back out by reading the copies again with the
 * sign reversed.
 *
 * Nor does a walk of a marked mm read all its entries: it diffs the tables
 * against the record (check_mm.c chk_unit()).  A PTE table equal to its
 * copy costs one memcmp(); an entry that differs is taken out as it was
 * and tallied as it is; a table whose range now finds other VMAs (as far
 * as a walk reads a vma: bounds, flags, file, offset, hugetlb order) is
 * read again whole.  An entry equal to its copy, under the same VMA, of a
 * folio whose mapping-relevant state did not change, adds to the totals
 * what it added then and breaks no rule it did not break then -- and a
 * record is diffed only if its last walk reported nothing, so it broke
 * none.  So the walk's violations, and their order, are a full walk's.
 *
 * What it relies on:
 *
 *   - every write to an mm's page tables or VMAs goes through the marking
 *     calls (a pointer from a lookup that marked the mm is fine, within
 *     the step); a PTE written behind them is seen by --check=full only;
 *   - every change of what a walk reads from a folio (PL_CHK_MAP_FLAGS,
 *     ->mapping, ->index, ->order, a free) goes through
 *     pl_chk_folio_changed(), which makes the next scan walk every mm
 *     from zero, or pl_chk_folio_changed_at(), which names the folio's
 *     head: then every mm is walked from zero only if the totals show a
 *     mapping of that folio (chk_folios_mapped(): the head's PTE and leaf
 *     counts take every mapping of any page of the folio that a record
 *     holds), since a record mapping none of the named folios reads the
 *     same from every copy it holds;
 *   - a folio's _refcount reaching 0 while mapped, without a free, is not
 *     a mapping-relevant change: no-free-mapped sees it in the entries a
 *     scan reads (as before for the mms a step did not mark);
 *   - a PTE of a VM_PFNMAP/VM_IO vma past the memmap (read as no page) sets
 *     w->chk_stale, so every mm is walked from zero while one exists: the
 *     memmap growing would change what reading its copy again takes out.
 *
 * After a policy change, when the tally had to be cleared, a list could not
 * grow, a pmd table is shared, or the swap area changed size, every mm is
 * walked from scratch, as in --check=full.  Violations repeat every step
 * they hold, so an mm walked once with violations is walked again (whole,
 * not diffed), or its violations reported again, each scan, in pid order
 * as a full scan reports them.
 *
 * --check=full (w->check_full) walks every mm every scan and records
 * nothing; tests/cli/check_modes.sh requires both modes to give the same
 * results on the whole catalog, tests/unit/check_detects.c the same
 * violations step by step where a PTE or a vma changes under a diffed walk.
 * The debug path: w->check_verify (tests/unit/core_random, check_detects),
 * or every world of a build with -DPL_CHECK_VERIFY=1, recounts the totals
 * from scratch after every scan's walks and stops pinlab if they differ
 * (check.c chk_verify()).
 */
#include "check_internal.h"

#include <pthread.h>
#include <stdlib.h>

/* ---------------------------------------------------------------------------
 * Marks, from the model.
 */
void pl_chk_mm_mark_slow(struct mm_struct *mm)
{
	struct world *w = mm->world;

	if (!w)
		return;
	if (w->chk_nr_dirty == w->chk_cap_dirty) {
		uint32_t cap = w->chk_cap_dirty ? 2 * w->chk_cap_dirty : 16;
		struct mm_struct **l = realloc(w->chk_dirty, cap * sizeof(*l));

		if (!l) {
			w->chk_lost = true;	/* the next scan walks every mm */
			return;
		}
		w->chk_dirty = l;
		w->chk_cap_dirty = cap;
	}
	w->chk_dirty[w->chk_nr_dirty++] = mm;
	mm->chk_slot = w->chk_nr_dirty;
}

static bool rec_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 8;
	void *np;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	np = realloc(*p, n * size);
	if (!np)
		return false;
	*p = np;
	*cap = n;
	return true;
}

static void viol_unlist(struct world *w, struct mm_struct *mm, struct pl_chk_mm *r)
{
	for (uint32_t i = 0; i < w->chk_nr_viol; i++)
		if (w->chk_viol[i] == mm) {
			memmove(&w->chk_viol[i], &w->chk_viol[i + 1],
				(w->chk_nr_viol - i - 1) * sizeof(*w->chk_viol));
			w->chk_nr_viol--;
			break;
		}
	r->listed = false;
}

/*
 * A copy of n PTEs holds 8, 64 or 512 (*cap).  Whole-table copies outlive
 * their record in a per-process pool, as tallies do (check.c): an explorer
 * search or a catalog makes and frees a world, its mms and their records
 * per run.  Smaller ones (an mm that maps a few pages: every process of a
 * many-fork run) are malloc()ed to size.
 */
#define PTE_POOL 256
static pthread_mutex_t pte_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pte_t *pte_pool[PTE_POOL];
static unsigned pte_pool_n;

static pte_t *copy_take(unsigned n, uint16_t *cap)
{
	pte_t *p = NULL;

	*cap = n <= 8 ? 8 : n <= 64 ? 64 : PTRS_PER_TABLE;
	if (*cap == PTRS_PER_TABLE) {
		pthread_mutex_lock(&pte_pool_lock);
		if (pte_pool_n)
			p = pte_pool[--pte_pool_n];
		pthread_mutex_unlock(&pte_pool_lock);
	}
	return p ? p : malloc(*cap * sizeof(*p));
}

static void copy_put(pte_t *p, unsigned cap)
{
	if (!p)
		return;
	if (cap == PTRS_PER_TABLE) {
		pthread_mutex_lock(&pte_pool_lock);
		if (pte_pool_n < PTE_POOL) {
			pte_pool[pte_pool_n++] = p;
			p = NULL;
		}
		pthread_mutex_unlock(&pte_pool_lock);
	}
	free(p);
}

/* Free a record, its units' copies to the pool. */
static void rec_free(struct pl_chk_mm *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nunit; i++)
		copy_put(r->unit[i].pte, r->unit[i].cap);
	for (size_t i = 0; i < r->nnext; i++)
		copy_put(r->next[i].pte, r->next[i].cap);
	free(r->unit);
	free(r->next);
	free(r->vmas);
	free(r->viol);
	free(r);
}

/*
 * The mm is being freed: its record is subtracted at the next scan (not
 * now: the entries it leaves empty stay listed one more scan, as a full
 * scan keeps them, so the pages that lost their last mapping are read).
 */
void pl_chk_mm_gone(struct world *w, struct mm_struct *mm)
{
	struct pl_chk_mm *r = mm->chk;

	if (mm->chk_slot && mm->chk_slot <= w->chk_nr_dirty &&
	    w->chk_dirty[mm->chk_slot - 1] == mm)
		w->chk_dirty[mm->chk_slot - 1] = NULL;
	mm->chk_slot = 0;
	if (!r)
		return;
	mm->chk = NULL;
	if (r->listed)
		viol_unlist(w, mm, r);
	if (w->chk_walked && r->valid && r->nunit) {
		if (rec_grow((void **)&w->chk_gone, &w->chk_cap_gone, w->chk_nr_gone + 1,
			     sizeof(*w->chk_gone))) {
			w->chk_gone[w->chk_nr_gone++] = r;
			return;
		}
		/*
		 * A full walk next would put the totals right, but a
		 * failed allocation ends the run as out of memory
		 * wherever it happens (tests/cli/failalloc.sh: the
		 * last allocation of examples/iouring-fork, an exit).
		 */
		w->chk_lost = true;
		w->oom = 1;
	}
	rec_free(r);
}

static void gone_free(struct world *w)
{
	for (size_t i = 0; i < w->chk_nr_gone; i++)
		rec_free(w->chk_gone[i]);
	w->chk_nr_gone = 0;
}

void pl_chk_inc_free(struct world *w)
{
	gone_free(w);
	chk_marks_free(w);
	free(w->chk_dirty);
	free(w->chk_viol);
	free(w->chk_gone);
	free(w->chk_swap);
	w->chk_dirty = w->chk_viol = NULL;
	w->chk_gone = NULL;
	w->chk_swap = NULL;
	w->chk_nr_dirty = w->chk_cap_dirty = w->chk_nr_viol = w->chk_cap_viol = 0;
	w->chk_nr_gone = w->chk_cap_gone = 0;
	w->chk_swap_n = 0;
	w->chk_walked = false;
}

/*
 * Whether a folio that changed since the last scan (w->chk_fchg) is mapped
 * in the running totals: by an mm whose record holds the mapping, or by
 * one gone since.  A record that maps none of them reads the same from
 * every entry it holds (check_mm.c takes the folio of an entry from its
 * head: the head's PTE and PMD counts see every mapping of the folio).
 */
bool chk_folios_mapped(const struct world *w)
{
	for (uint32_t i = 0; i < w->chk_nr_fchg; i++) {
		uint32_t pfn = w->chk_fchg[i];
		const struct pl_tally *t;

		if (!w->check_tally || pfn >= w->check_tally_cap)
			return true;
		t = (const struct pl_tally *)w->check_tally + pfn;
		if (t->fptes || t->pmds || t->ptes)
			return true;
	}
	return false;
}

/* ---------------------------------------------------------------------------
 * Records, from the walk.
 */
void chk_capture(struct chk *c, const struct pl_violation *v)
{
	struct pl_chk_mm *r = c->rec;
	size_t cap = r->capviol;

	if (!strcmp(v->inv->name, "no-free-mapped"))
		c->w->chk_stale = true;	/* see pl_alloc_pages() */
	if (!rec_grow((void **)&r->viol, &cap, (size_t)r->nviol + 1, sizeof(*r->viol))) {
		c->w->chk_lost = true;
		return;
	}
	r->capviol = (uint32_t)cap;
	r->viol[r->nviol++] = *v;
}

/*
 * The record can no longer hold what the walk adds: walk every mm next
 * scan.  This scan's totals are still right, but a failed allocation ends
 * the run as out of memory wherever it happens (tests/cli/failalloc.sh).
 */
static void rec_lost(struct chk *c)
{
	c->rec->valid = false;
	c->w->chk_lost = true;
	c->w->oom = 1;
}

/*
 * The unit of the last walk at @key, or NULL; the units before it are gone
 * from the tables: taken out of the totals (a diffing walk only).
 */
struct chk_unit *chk_unit_old(struct chk *c, uint64_t key)
{
	struct pl_chk_mm *r = c->rec;

	while (c->cur < r->nunit && r->unit[c->cur].key < key) {
		struct chk_unit *u = &r->unit[c->cur++];

		chk_unit_sub(c, u);
		copy_put(u->pte, u->cap);
		u->pte = NULL;
	}
	if (c->cur < r->nunit && r->unit[c->cur].key == key)
		return &r->unit[c->cur++];
	return NULL;
}

/*
 * Keep the unit just tallied in the walk's record: the leaf and a copy of
 * the PTE table (@same: equal to the copy @old holds, taken over as it is).
 */
void chk_unit_keep(struct chk *c, uint64_t key, uint64_t leaf, const pte_t *pte,
		   unsigned lo, unsigned hi, struct chk_unit *old, bool same)
{
	struct pl_chk_mm *r = c->rec;
	pte_t *copy = old ? old->pte : NULL;
	uint16_t cap = old ? old->cap : 0;

	if (old)
		old->pte = NULL;
	if (!r->valid) {
		copy_put(copy, cap);
		return;
	}
	if (!pte) {
		copy_put(copy, cap);
		copy = NULL;
		lo = hi = 0;
		cap = 0;
	} else if (!same) {
		if (copy && cap < hi - lo) {
			copy_put(copy, cap);
			copy = NULL;
		}
		if (!copy)
			copy = copy_take(hi - lo, &cap);
		if (!copy) {
			rec_lost(c);
			return;
		}
		memcpy(copy, pte + lo, (hi - lo) * sizeof(*copy));
	}
	if (!rec_grow((void **)&r->next, &r->capnext, r->nnext + 1, sizeof(*r->next))) {
		copy_put(copy, cap);
		rec_lost(c);
		return;
	}
	r->next[r->nnext++] = (struct chk_unit){ .key = key, .leaf = leaf, .pte = copy,
						 .lo = (uint16_t)lo, .hi = (uint16_t)hi,
						 .cap = cap };
}

/* Take a whole record out of the totals, against the VMA list it was read with. */
static void rec_sub(struct chk *c, struct pl_chk_mm *r)
{
	chk_set_vmas(c, r->vmas, r->nr_vmas, r->nr_vmas, r->vmas_sorted);
	for (size_t i = 0; i < r->nunit; i++)
		chk_unit_sub(c, &r->unit[i]);
	chk_set_vmas(c, NULL, 0, 0, false);
}

/* The fields of a vma that a walk of a mapping reads (check_mm.c). */
static bool vma_same(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_start == b->vm_start && a->vm_end == b->vm_end &&
	       a->vm_flags == b->vm_flags && a->vm_pgoff == b->vm_pgoff &&
	       a->file == b->file && a->hugetlb_order == b->hugetlb_order;
}

/* The first vma of a sorted list that ends above @lo. */
static int vma_from(const struct vm_area_struct *v, int nr, pl_addr lo)
{
	int a = 0, b = nr;

	while (a < b) {
		int m = a + (b - a) / 2;

		if (v[m].vm_end <= lo)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

/* Whether @addr finds the same vma (as a walk reads one) in the record's list and the mm's. */
bool chk_vma_same_at(const struct chk *c, pl_addr addr)
{
	const struct pl_chk_mm *r = c->rec;
	const struct vm_area_struct *o = chk_vma_in(r->vmas, r->nr_vmas, r->nr_vmas, addr);
	const struct vm_area_struct *n = chk_vma_in(c->vmas, c->nr_vmas, c->cap_vmas, addr);

	return o && n ? vma_same(o, n) : o == n;
}

/*
 * Whether every address of the unit at @key finds the same vma (as far as
 * a walk reads one) in the mm's VMA list as in its record's: then an entry
 * equal to its copy reads as it did.
 */
bool chk_unit_vmas_same(const struct chk *c, uint64_t key)
{
	const struct pl_chk_mm *r = c->rec;
	pl_addr lo = key >> 1, hi = lo + ((key & 1) ? PMD_SIZE : PUD_SIZE);
	const struct vm_area_struct *o = r->vmas, *n = c->vmas;
	int on = r->nr_vmas, nn = c->nr_vmas;
	int i = vma_from(o, on, lo), j = vma_from(n, nn, lo);

	for (;;) {
		bool oi = i < on && o[i].vm_start < hi, nj = j < nn && n[j].vm_start < hi;

		if (!oi || !nj)
			return oi == nj;
		if (!vma_same(&o[i], &n[j]))
			return false;
		i++;
		j++;
	}
}

/* After a recording walk: its units become the record, with the VMA list. */
static void rec_finish(struct chk *c, struct pl_chk_mm *r, struct mm_struct *mm)
{
	struct chk_unit *u;
	size_t cap;

	/* a diffing walk: the units past the last one found are gone too */
	if (c->diff)
		(void)chk_unit_old(c, UINT64_MAX);
	for (size_t i = 0; i < r->nunit; i++)
		copy_put(r->unit[i].pte, r->unit[i].cap);
	u = r->unit;
	cap = r->capunit;
	r->unit = r->next;
	r->capunit = r->capnext;
	r->nunit = r->nnext;
	r->next = u;
	r->capnext = cap;
	r->nnext = 0;
	r->nr_vmas = -1;
	r->vmas_sorted = chk_vmas_sorted(mm->vmas, mm->nr_vmas, mm->cap_vmas);
	if (mm->nr_vmas >= 0 && mm->nr_vmas <= mm->cap_vmas && (!mm->nr_vmas || mm->vmas)) {
		if (rec_grow((void **)&r->vmas, &r->capvmas, (size_t)mm->nr_vmas + 1,
			     sizeof(*r->vmas))) {
			if (mm->nr_vmas)
				memcpy(r->vmas, mm->vmas, (size_t)mm->nr_vmas * sizeof(*r->vmas));
			r->nr_vmas = mm->nr_vmas;
		} else {
			rec_lost(c);
		}
	}
	if (!r->valid) {
		for (size_t i = 0; i < r->nunit; i++)
			copy_put(r->unit[i].pte, r->unit[i].cap);
		r->nunit = 0;
	}
}

/*
 * Walk one mm, recording unless --check=full, after taking its last record
 * out of the totals (@sub; a walk of every mm starts from zero).  With the
 * same VMA list, no violation in the last walk and no pmd table shared, the
 * walk diffs against the record: it reads only the entries that changed.
 */
static void walk(struct chk *c, struct mm_struct *mm, bool record, bool sub)
{
	struct world *w = c->w;
	struct pl_chk_mm *r = mm->chk;

	if (record && !r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			w->chk_lost = true;
		else
			r->nr_vmas = -1;
		mm->chk = r;
	}
	c->diff = false;
	if (r) {
		c->diff = sub && r->valid && !r->nviol && !w->nr_pmd_shares && r->vmas_sorted &&
			  r->nr_vmas >= 0 && chk_vmas_sorted(mm->vmas, mm->nr_vmas, mm->cap_vmas);
		if (sub && !c->diff)
			rec_sub(c, r);
		if (!c->diff) {
			for (size_t i = 0; i < r->nunit; i++)
				copy_put(r->unit[i].pte, r->unit[i].cap);
			r->nunit = 0;
		}
		r->nviol = 0;
		r->nnext = 0;
		r->valid = true;
	}
	c->rec = record ? r : NULL;
	c->cur = 0;
	chk_mm(c, mm, mm->chk_pid);
	if (c->rec)
		rec_finish(c, r, mm);
	c->rec = NULL;
	c->diff = false;
	if (r && r->nviol && !r->listed) {
		size_t cap = w->chk_cap_viol;

		if (rec_grow((void **)&w->chk_viol, &cap, (size_t)w->chk_nr_viol + 1,
			     sizeof(*w->chk_viol))) {
			w->chk_cap_viol = (uint32_t)cap;
			w->chk_viol[w->chk_nr_viol++] = mm;
			r->listed = true;
		} else {
			w->chk_lost = true;
		}
	} else if (r && !r->nviol && r->listed) {
		viol_unlist(w, mm, r);
	}
}

static int cmp_mm_pid(const void *a, const void *b)
{
	const struct mm_struct *x = *(struct mm_struct *const *)a;
	const struct mm_struct *y = *(struct mm_struct *const *)b;

	return (x->chk_pid > y->chk_pid) - (x->chk_pid < y->chk_pid);
}

/* Clear every mark: the scan has seen them. */
static void unmark_all(struct world *w)
{
	for (uint32_t i = 0; i < w->chk_nr_dirty; i++)
		if (w->chk_dirty[i])
			w->chk_dirty[i]->chk_slot = 0;
	w->chk_nr_dirty = 0;
}

/* Every live mm, in pid order, from zero totals. */
static void collect_all(struct chk *c)
{
	struct world *w = c->w;
	bool record = c->report && !w->check_full;

	if (c->report) {
		unmark_all(w);
		gone_free(w);
		w->chk_stale = false;
		w->chk_lost = false;
	}
	/* an mm shared by two tasks is walked once, for the first of them */
	w->check_scan++;
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task_struct *t = w->tasks[i];

		if (!t || t->exited || !t->mm || t->mm->chk_scan == w->check_scan)
			continue;
		t->mm->chk_scan = w->check_scan;
		if (c->report) {
			t->mm->chk_pid = t->pid;
			walk(c, t->mm, record, false);
		} else {
			chk_mm(c, t->mm, t->pid);
		}
	}
	if (c->report) {
		w->chk_walked = record && !w->chk_lost;
		w->chk_walk_gen = w->chk_folio_gen;
	}
}

/*
 * The marked mms and the mms with violations, in pid order: walk the
 * marked ones again, report the others' violations again.
 */
static void collect_changed(struct chk *c)
{
	struct world *w = c->w;
	size_t n = 0, cap = (size_t)w->chk_nr_dirty + w->chk_nr_viol;
	struct mm_struct **l = cap ? malloc(cap * sizeof(*l)) : NULL;

	if (cap && !l) {
		/*
		 * No memory for the list.  Not collect_all(): this scan kept
		 * the totals instead of zeroing them, so walking every mm again
		 * counted each mapping twice (a false refcount-balance; found
		 * by tests/cli/failalloc.sh).  As when chk_begin() fails, an
		 * unchecked world must not pass for a checked one: the run
		 * ends with -ENOMEM, and a later scan walks every mm from zero.
		 */
		w->chk_lost = true;
		w->oom = 1;
		return;
	}
	for (size_t i = 0; i < w->chk_nr_gone; i++)
		rec_sub(c, w->chk_gone[i]);
	gone_free(w);
	for (uint32_t i = 0; i < w->chk_nr_dirty; i++)
		if (w->chk_dirty[i])
			l[n++] = w->chk_dirty[i];
	for (uint32_t i = 0; i < w->chk_nr_viol; i++)
		if (!w->chk_viol[i]->chk_slot)
			l[n++] = w->chk_viol[i];
	if (n > 1)
		qsort(l, n, sizeof(*l), cmp_mm_pid);
	for (size_t i = 0; i < n; i++) {
		struct mm_struct *mm = l[i];

		if (mm->chk_slot) {
			mm->chk_slot = 0;
			walk(c, mm, true, true);
			continue;
		}
		for (uint32_t j = 0; j < mm->chk->nviol; j++)
			if (chk_violation_put(w, &mm->chk->viol[j]))
				c->found++;
	}
	w->chk_nr_dirty = 0;
	free(l);
}

/*
 * chk_collect_mms() - tally every live mm's mappings: all of them (@full,
 * or a scan that does not report), else only what changed since the last.
 */
void chk_collect_mms(struct chk *c, bool full)
{
	if (full || !c->report)
		collect_all(c);
	else
		collect_changed(c);
	c->mm = NULL;
	c->pid = 0;
}
