/*
 * check_inc.c - the incremental invariant scan (check_internal.h).
 *
 * A scan used to walk the page tables of every live mm after every step,
 * so N processes cost N walks a step and N^2 over a run.  Now the model
 * marks an mm whenever it may change its page tables or VMAs: every table
 * lookup (pgtable.c), every VMA lookup or edit (mmap.c) and every operation
 * on the process (pl_mm_of()) calls pl_chk_mm_mark().  A scan walks only the
 * marked mms.  The per-pfn tally and the per-slot swap counts are running
 * totals: each walk of an mm records what it added (struct pl_chk_mm), and
 * the next walk of that mm, or its exit, subtracts the record first.
 *
 * What a walk reports also depends on the folios it maps (their flags,
 * mapping, index, order, whether they are free), so whenever one of those
 * changes (w->chk_folio_gen: PL_CHK_MAP_FLAGS, a mapping or order written,
 * a folio freed), after a policy change, when the tally had to be cleared
 * or a list could not grow, every mm is walked from scratch, as in
 * --check=full.  Violations repeat every step they hold, so an mm walked
 * once with violations is walked again, or its violations reported again,
 * each scan, in pid order as a full scan reports them.
 *
 * --check=full (w->check_full) walks every mm every scan and records
 * nothing; tests/cli/check_modes.sh requires both modes to give the same
 * results on the whole catalog.
 */
#include "check_internal.h"

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

static void viol_unlist(struct world *w, struct mm_struct *mm)
{
	for (uint32_t i = 0; i < w->chk_nr_viol; i++)
		if (w->chk_viol[i] == mm) {
			memmove(&w->chk_viol[i], &w->chk_viol[i + 1],
				(w->chk_nr_viol - i - 1) * sizeof(*w->chk_viol));
			w->chk_nr_viol--;
			break;
		}
	mm->chk->listed = false;
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
	if (r->listed)
		viol_unlist(w, mm);
	if (w->chk_walked && r->nrec) {
		if (rec_grow((void **)&w->chk_gone, &w->chk_cap_gone, w->chk_nr_gone + r->nrec,
			     sizeof(*w->chk_gone))) {
			memcpy(&w->chk_gone[w->chk_nr_gone], r->rec, r->nrec * sizeof(*r->rec));
			w->chk_nr_gone += r->nrec;
		} else {
			/*
			 * A full walk next would put the totals right, but a
			 * failed allocation ends the run as out of memory
			 * wherever it happens (tests/cli/failalloc.sh: the
			 * last allocation of examples/iouring-fork, an exit).
			 */
			w->chk_lost = true;
			w->oom = 1;
		}
	}
	free(r->rec);
	free(r->viol);
	free(r);
	mm->chk = NULL;
}

void pl_chk_inc_free(struct world *w)
{
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

/* ---------------------------------------------------------------------------
 * Records, from the walk.
 */
static void apply(struct chk *c, uint64_t r, int sign)
{
	uint32_t x = (uint32_t)(r >> 8);
	unsigned b = r & 0xff;
	struct pl_tally *t;

	if (b & CHK_R_SWAP) {
		c->swap_ptes[x] += (uint32_t)sign;
		if (b & CHK_R_SWAPX)
			c->swap_excl[x] += (uint32_t)sign;
		return;
	}
	t = tally(c, x);
	if (b & CHK_R_PTE)
		t->ptes += (uint32_t)sign;
	if (b & CHK_R_WPTE)
		t->wptes += (uint32_t)sign;
	if (b & CHK_R_FPTE)
		t->fptes += (uint32_t)sign;
	if (b & CHK_R_DMAP)
		t->dmaps += (uint32_t)sign;
	if (b & CHK_R_PMD)
		t->pmds += (uint32_t)sign;
	if (b & CHK_R_WPMD)
		t->wpmds += (uint32_t)sign;
}

/* Count one mapping (CHK_R_* of pfn, or of a swap slot) and record it. */
void chk_add(struct chk *c, pl_pfn pfn, unsigned bits)
{
	struct pl_chk_mm *r = c->rec;
	uint64_t e = (uint64_t)pfn << 8 | bits;

	apply(c, e, 1);
	if (!r)
		return;
	if (!rec_grow((void **)&r->rec, &r->caprec, r->nrec + 1, sizeof(*r->rec))) {
		c->w->chk_lost = true;	/* the record is short: walk everything next scan */
		c->rec = NULL;
		return;
	}
	r->rec[r->nrec++] = e;
}

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
 * Walk one mm, recording unless --check=full, after subtracting its last
 * record from the totals (@sub; a walk of every mm starts from zero).
 */
static void walk(struct chk *c, struct mm_struct *mm, bool record, bool sub)
{
	struct world *w = c->w;
	struct pl_chk_mm *r = mm->chk;

	if (record && !r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			w->chk_lost = true;
		mm->chk = r;
	}
	if (r) {
		for (size_t i = 0; sub && i < r->nrec; i++)
			apply(c, r->rec[i], -1);
		r->nrec = 0;
		r->nviol = 0;
	}
	c->rec = record ? r : NULL;
	chk_mm(c, mm, mm->chk_pid);
	c->rec = NULL;
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
		viol_unlist(w, mm);
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
		w->chk_nr_gone = 0;
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
		apply(c, w->chk_gone[i], -1);
	w->chk_nr_gone = 0;
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
