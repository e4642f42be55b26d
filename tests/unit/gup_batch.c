/*
 * Description: GUP's batches are the per-page path, counted the same.
 * __get_user_pages() takes the rest of a writable huge leaf (PMD THP,
 * hugetlb) in one grab and unpin_user_pages() drops a run of entries of one
 * folio at once, but only when nothing watches the steps (no explorer
 * hooks, no event listener).  Each sub-test runs the same operations on two
 * worlds, one plain (batched) and one with an event listener (page by page),
 * and requires the same pfns, the same counters of every folio (_refcount,
 * _pincount, the ghost GET/PIN counts and holder), the same violations and
 * the checker quiet in both, after the pin and after the unpin.
 */
#include "testlib.h"

#include <errno.h>

#include "pinlab/core.h"

#define NPAGES (3 * 512)	/* three 2 MiB leaves */

static unsigned nr_events;

static void count_event(struct world *w, const struct pl_event *ev, void *arg)
{
	(void)w, (void)ev, (void)arg;
	nr_events++;
}

struct side {
	struct world *w;
	int pid;
	pl_addr addr;
	pl_pfn pages[NPAGES];
	long got;
};

/* A world with NPAGES of private anon memory, THP or hugetlb, written. */
static int side_setup(struct side *s, bool listen, bool hugetlb)
{
	s->w = pl_world_new(&pl_preset_find("latest")->policy, "latest");
	if (!s->w)
		return -1;
	s->w->checked = true;
	s->w->thp = THP_MADVISE;
	if (listen)
		s->w->on_event = count_event;
	if (hugetlb && pl_hugetlb_set_pool(s->w, NPAGES / 512) < 0)
		return -1;
	s->pid = pl_task_create(s->w);
	s->addr = pl_mmap(s->w, s->pid, 0, NPAGES * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | (hugetlb ? PL_MAP_HUGETLB : 0), -1, 0);
	if (pl_err(s->addr))
		return -1;
	if (!hugetlb && pl_madvise(s->w, s->pid, s->addr, NPAGES * PAGE_SIZE, PL_MADV_HUGEPAGE))
		return -1;
	return pl_madvise(s->w, s->pid, s->addr, NPAGES * PAGE_SIZE, PL_MADV_POPULATE_WRITE);
}

/* Every folio of the range: the same counters on both sides. */
static void same_folios(struct side *a, struct side *b)
{
	struct mm_struct *ma = pl_task(a->w, a->pid)->mm, *mb = pl_task(b->w, b->pid)->mm;

	for (unsigned i = 0; i < NPAGES; i += 512) {
		pmd_t *pa = pl_pmd_lookup(ma, a->addr + i * PAGE_SIZE);
		pmd_t *pb = pl_pmd_lookup(mb, b->addr + i * PAGE_SIZE);
		struct folio *fa, *fb;

		T_REQUIRE(pa && pb && pmd_leaf(*pa) && pmd_leaf(*pb));
		fa = pfn_folio(a->w, pte_pfn(*pa));
		fb = pfn_folio(b->w, pte_pfn(*pb));
		T_EQ(folio_pfn(fa), folio_pfn(fb));
		T_EQ(fa->page._refcount, fb->page._refcount);
		T_EQ(fa->page._pincount, fb->page._pincount);
		T_EQ(fa->page.gup_pins, fb->page.gup_pins);
		T_EQ(fa->page.gup_gets, fb->page.gup_gets);
		T_EQ(fa->page.gup_holder, fb->page.gup_holder);
	}
	T_EQ(a->w->nr_violations, b->w->nr_violations);
	pl_check_world(a->w);
	pl_check_world(b->w);
	T_EQ(a->w->nr_violations, 0);
	T_EQ(b->w->nr_violations, 0);
}

/*
 * Pin [first, first + nr) of the range with @flags on both sides, compare,
 * unpin (entries reversed when @reverse, so runs are cut differently),
 * compare; the counters must be back where they started.
 */
static void pin_both(bool hugetlb, unsigned first, unsigned nr, unsigned flags, bool reverse)
{
	static struct side a, b;
	static pl_pfn rev[NPAGES];
	uint32_t ref0;

	nr_events = 0;
	T_REQUIRE(side_setup(&a, false, hugetlb) == 0);
	T_REQUIRE(side_setup(&b, true, hugetlb) == 0);
	ref0 = pfn_folio(a.w, pte_pfn(*pl_pmd_lookup(pl_task(a.w, a.pid)->mm, a.addr)))->page._refcount;

	a.got = pin_user_pages(a.w, pl_task(a.w, a.pid)->mm, a.addr + first * PAGE_SIZE, nr, flags,
			       a.pages);
	b.got = pin_user_pages(b.w, pl_task(b.w, b.pid)->mm, b.addr + first * PAGE_SIZE, nr, flags,
			       b.pages);
	T_EQ(a.got, (long)nr);
	T_EQ(b.got, (long)nr);
	for (unsigned i = 0; i < nr; i++)
		if (a.pages[i] != b.pages[i] || a.pages[i] != a.pages[0] + i) {
			T_EQ(a.pages[i], b.pages[i]);
			T_EQ(a.pages[i], a.pages[0] + i);
			break;
		}
	same_folios(&a, &b);

	if (reverse) {
		for (unsigned i = 0; i < nr; i++)
			rev[i] = a.pages[nr - 1 - i];
		unpin_user_pages(a.w, rev, nr);
		for (unsigned i = 0; i < nr; i++)
			rev[i] = b.pages[nr - 1 - i];
		unpin_user_pages(b.w, rev, nr);
	} else {
		unpin_user_pages(a.w, a.pages, nr);
		unpin_user_pages(b.w, b.pages, nr);
	}
	same_folios(&a, &b);
	T_EQ(pfn_folio(a.w, pte_pfn(*pl_pmd_lookup(pl_task(a.w, a.pid)->mm, a.addr)))->page._refcount,
	     ref0);
	/* the listener saw the per-page path: one unpin event per page at least */
	T_REQUIRE(nr_events >= nr);
	pl_world_free(a.w);
	pl_world_free(b.w);
}

static void test_thp_write_longterm_whole(void)
{
	pin_both(false, 0, NPAGES, FOLL_WRITE | FOLL_LONGTERM, false);
}

static void test_thp_mid_leaf_to_mid_leaf(void)
{
	pin_both(false, 3, 700, FOLL_WRITE | FOLL_LONGTERM, false);
}

static void test_thp_read_pin_reverse_unpin(void)
{
	pin_both(false, 511, 514, 0, true);
}

static void test_hugetlb_write_pin(void)
{
	pin_both(true, 5, NPAGES - 10, FOLL_WRITE | FOLL_LONGTERM, false);
}

static void test_hugetlb_read_pin_reverse(void)
{
	pin_both(true, 0, NPAGES, 0, true);
}

/* Single pages of the same folio, unpinned in one call with others between. */
static void test_unpin_mixed_runs(void)
{
	static struct side a, b;
	struct side *s[2] = { &a, &b };

	nr_events = 0;
	for (int k = 0; k < 2; k++) {
		struct mm_struct *mm;
		pl_pfn list[6];

		T_REQUIRE(side_setup(s[k], k == 1, false) == 0);
		mm = pl_task(s[k]->w, s[k]->pid)->mm;
		T_EQ(pin_user_pages(s[k]->w, mm, s[k]->addr, 4, FOLL_WRITE, s[k]->pages), 4);
		T_EQ(pin_user_pages(s[k]->w, mm, s[k]->addr + 600 * PAGE_SIZE, 2, FOLL_WRITE,
				    s[k]->pages + 4), 2);
		/* folio 0, 0, folio 1, 0, folio 1, 0 */
		list[0] = s[k]->pages[0];
		list[1] = s[k]->pages[1];
		list[2] = s[k]->pages[4];
		list[3] = s[k]->pages[2];
		list[4] = s[k]->pages[5];
		list[5] = s[k]->pages[3];
		unpin_user_pages(s[k]->w, list, 6);
	}
	same_folios(&a, &b);
	pl_world_free(a.w);
	pl_world_free(b.w);
}

int main(void)
{
	T_RUN(test_thp_write_longterm_whole);
	T_RUN(test_thp_mid_leaf_to_mid_leaf);
	T_RUN(test_thp_read_pin_reverse_unpin);
	T_RUN(test_hugetlb_write_pin);
	T_RUN(test_hugetlb_read_pin_reverse);
	T_RUN(test_unpin_mixed_runs);
	return T_DONE();
}
