/*
 * check_tally.c - the invariant scan's bookkeeping (check_internal.h):
 * reporting a violation, the per-pfn tally the walks fill, and reads of
 * the memmap and the VMA list that survive any state (every pfn is
 * range-checked before use).
 */
#include "check_internal.h"

/* ---------------------------------------------------------------------------
 * The scan's bookkeeping.
 */
__attribute__((format(printf, 6, 7)))
void chk_report(struct chk *c, const char *name, int pid, pl_addr addr, pl_pfn pfn,
		const char *fmt, ...)
{
	struct pl_violation v;
	va_list ap;

	if (c->quiet)
		return;		/* a record taken back out: reported when it was made */
	c->hits++;
	if (!c->report)
		return;
	memset(&v, 0, sizeof(v));
	v.inv = pl_invariant_find(name);
	PL_BUG_ON(!v.inv);
	v.pid = pid;
	v.addr = addr;
	v.pfn = pfn;
	va_start(ap, fmt);
	vsnprintf(v.detail, sizeof(v.detail), fmt, ap);
	va_end(ap);
	if (chk_violation_put(c->w, &v))
		c->found++;
	/* a walk of an mm keeps what it reported, to report it again unwalked */
	if (c->rec)
		chk_capture(c, &v);
}

/* A tally entry of a folio's head changed this scan: mark the folio (chk_add()). */
void chk_mark_tally(struct chk *c, struct pl_tally *t, pl_pfn pfn)
{
	t->mark |= TALLY_MARKED;
	pl_chk_mark_pfn(c->w, pfn);
}

/* tally() of an entry not yet listed: list it (check_internal.h). */
struct pl_tally *tally_list(struct chk *c, struct pl_tally *t, pl_pfn pfn)
{
	struct world *w = c->w;

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

const struct vm_area_struct *chk_vma(const struct mm_struct *mm, pl_addr addr)
{
	return chk_vma_in(mm->vmas, mm->nr_vmas, mm->cap_vmas, addr);
}

/*
 * Whether a VMA list is sorted, each vma non-empty, none overlapping (what
 * vma-list-sane asks of the order), so a lookup of an address finds the
 * one vma that holds it.
 */
bool chk_vmas_sorted(const struct vm_area_struct *v, int nr, int cap)
{
	if (nr < 0 || nr > cap || (nr && !v))
		return false;
	for (int i = 0; i < nr; i++)
		if (v[i].vm_start >= v[i].vm_end || (i && v[i - 1].vm_end > v[i].vm_start))
			return false;
	return true;
}

/* The VMA list the walk reads entries against (@sorted: chk_vmas_sorted()). */
void chk_set_vmas(struct chk *c, const struct vm_area_struct *vmas, int nr, int cap,
		  bool sorted)
{
	c->vmas = vmas;
	c->nr_vmas = nr;
	c->cap_vmas = cap;
	c->vsorted = sorted;
	c->vhint = NULL;
}

/* The vma of @addr in a list of @nr (capacity @cap), or NULL; any list is safe. */
const struct vm_area_struct *chk_vma_in(const struct vm_area_struct *vmas, int nr, int cap,
					pl_addr addr)
{
	int lo = 0, hi;

	if (!vmas || nr <= 0 || nr > cap)
		return NULL;
	hi = nr - 1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		const struct vm_area_struct *v = &vmas[mid];

		if (addr < v->vm_start)
			hi = mid - 1;
		else if (addr >= v->vm_end)
			lo = mid + 1;
		else
			return v;
	}
	return NULL;
}

bool vma_is_rawpfn(const struct vm_area_struct *vma)
{
	return vma && (vma->vm_flags & (VM_PFNMAP | VM_IO));
}
