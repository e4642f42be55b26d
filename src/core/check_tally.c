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

/*
 * The tally entry of pfn, for writing.  In the world's tally every entry
 * written is listed, so the next scan clears only those (and a 1 GiB folio's
 * 262,144 entries are never touched unless something maps its pages).
 */
struct pl_tally *tally(struct chk *c, pl_pfn pfn)
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
struct page *chk_head(const struct world *w, pl_pfn pfn, pl_pfn *headp)
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

bool chk_is_zero(const struct world *w, pl_pfn pfn)
{
	return pfn != PL_PFN_NONE && pl_is_zero_pfn(w, pfn);
}

/*
 * Page i of the folio headed by h (a 1 GiB folio writes its tails on first
 * use: folio_page()).  h is a head chk_head() or chk_memmap_folio() vetted.
 */
const struct page *chk_tail(const struct page *h, unsigned i)
{
	return folio_page((struct folio *)h, i);
}

/* The page that carries PG_anon_exclusive for page i of a folio. */
const struct page *excl_page(const struct page *h, unsigned i)
{
	return (h->flags & (PG_hugetlb | PG_excl_head)) ? h : chk_tail(h, i);
}

const struct vm_area_struct *chk_vma(const struct mm_struct *mm, pl_addr addr)
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

bool vma_is_rawpfn(const struct vm_area_struct *vma)
{
	return vma && (vma->vm_flags & (VM_PFNMAP | VM_IO));
}
