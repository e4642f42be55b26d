/*
 * Description: fork and zap take a large folio's PTEs in one batch, counted
 * as the per-entry path counts them.  copy_present_ptes() (fork.c) shares
 * a run of one large anon folio's entries with the child at once and
 * zap_present_ptes() (memory.c) unmaps one, but only when nothing watches
 * each store (no explorer hooks, no event listener).  Each sub-test runs
 * the same operations on two worlds, one plain (batched) and one with an
 * event listener (entry by entry), and after every operation requires the
 * same memmap, struct page by struct page (all but the checker's chk_dirty),
 * the same entries in every page table of the range, the same violations
 * and the checker quiet in both.
 */
#include "testlib.h"

#include <string.h>

#include "pinlab/core.h"

#define NPAGES (4 * 512)	/* four PMD ranges */

static unsigned nr_events;

static void count_event(struct world *w, const struct pl_event *ev, void *arg)
{
	(void)w, (void)ev, (void)arg;
	nr_events++;
}

struct side {
	struct world *w;
	int pid, child;
	pl_addr addr;
};

/* NPAGES of private anon memory in 64 kB mTHPs, or PMD THPs, all written. */
static void side_setup(struct side *s, bool listen, bool thp)
{
	s->w = pl_world_new(&pl_preset_find("latest")->policy, "latest");
	T_REQUIRE(s->w);
	s->w->checked = true;
	s->w->thp = THP_MADVISE;
	if (!thp)
		s->w->mthp_always = 1u << 4;
	if (listen)
		s->w->on_event = count_event;
	s->pid = pl_task_create(s->w);
	s->addr = pl_mmap(s->w, s->pid, 0, NPAGES * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_REQUIRE(!pl_err(s->addr));
	if (thp)
		T_EQ(pl_madvise(s->w, s->pid, s->addr, NPAGES * PAGE_SIZE, PL_MADV_HUGEPAGE), 0);
	T_EQ(pl_madvise(s->w, s->pid, s->addr, NPAGES * PAGE_SIZE, PL_MADV_POPULATE_WRITE), 0);
}

static void same_ptes(struct side *a, struct side *b, int pa, int pb)
{
	struct mm_struct *ma = pl_task(a->w, pa)->mm, *mb = pl_task(b->w, pb)->mm;

	T_REQUIRE((ma != NULL) == (mb != NULL));
	if (!ma)
		return;
	for (unsigned i = 0; i < NPAGES; i++) {
		pte_t *ea = pl_pte_lookup(ma, a->addr + i * PAGE_SIZE);
		pte_t *eb = pl_pte_lookup(mb, b->addr + i * PAGE_SIZE);

		T_REQUIRE((ea != NULL) == (eb != NULL));
		if (ea && *ea != *eb) {
			T_EQ(*ea, *eb);
			return;
		}
	}
}

/* The whole memmap, both mms' tables, the violations: the same on both sides. */
static void same_state(struct side *a, struct side *b)
{
	T_EQ(a->w->next_pfn, b->w->next_pfn);
	for (pl_pfn pfn = 1; pfn < a->w->next_pfn && pfn < b->w->next_pfn; pfn++) {
		struct page pa = *pfn_to_page(a->w, pfn), pb = *pfn_to_page(b->w, pfn);

		pa.chk_dirty = pb.chk_dirty = 0;	/* the checker's, not the model's */
		if (memcmp(&pa, &pb, sizeof(pa))) {
			t_fail(__FILE__, __LINE__, "struct page differs");
			fprintf(stderr, "# pfn %u: flags %#x/%#x map %d/%d ref %u/%u\n", pfn,
				pa.flags, pb.flags, pa._mapcount, pb._mapcount, pa._refcount,
				pb._refcount);
			return;
		}
	}
	same_ptes(a, b, a->pid, b->pid);
	if (a->child > 0)
		same_ptes(a, b, a->child, b->child);
	T_EQ(a->w->nr_violations, b->w->nr_violations);
	T_EQ(pl_check_world(a->w), 0);
	T_EQ(pl_check_world(b->w), 0);
}

static void fork_both(struct side *s)
{
	s[0].child = pl_fork(s[0].w, s[0].pid);
	s[1].child = pl_fork(s[1].w, s[1].pid);
	T_REQUIRE(s[0].child > 0 && s[0].child == s[1].child);
}

static void write_both(struct side *s, bool child, unsigned page)
{
	for (int k = 0; k < 2; k++)
		T_EQ(pl_user_write(s[k].w, child ? s[k].child : s[k].pid,
				   s[k].addr + page * PAGE_SIZE, pl_token_intern(s[k].w, "x")), 0);
}

static void munmap_both(struct side *s, bool child, unsigned first, unsigned nr)
{
	for (int k = 0; k < 2; k++)
		T_EQ(pl_munmap(s[k].w, child ? s[k].child : s[k].pid,
			       s[k].addr + first * PAGE_SIZE, nr * PAGE_SIZE), 0);
}

static void exit_both(struct side *s)
{
	T_EQ(pl_exit(s[0].w, s[0].child), 0);
	T_EQ(pl_exit(s[1].w, s[1].child), 0);
	s[0].child = s[1].child = 0;
}

/*
 * fork, COW writes in parent and child (a folio the other side still maps
 * is copied a page at a time), a munmap that cuts folios in the middle on
 * each side, the child's exit, a second fork of the now mixed range and a
 * second exit.
 */
static void run(bool thp)
{
	struct side s[2];
	unsigned before;

	side_setup(&s[0], false, thp);
	side_setup(&s[1], true, thp);
	s[0].child = s[1].child = 0;
	if (thp) {
		/* PTE-map two of the THPs: a PMD split by a partial munmap each */
		munmap_both(s, false, 512 - 3, 1);
		munmap_both(s, false, 3 * 512 + 100, 2);
	}
	same_state(&s[0], &s[1]);
	before = nr_events;
	fork_both(s);
	T_ASSERT(nr_events > before);	/* the listening side went entry by entry */
	same_state(&s[0], &s[1]);
	write_both(s, false, 5);
	write_both(s, true, 17);
	write_both(s, true, 600);
	same_state(&s[0], &s[1]);
	munmap_both(s, true, 30, 7);		/* inside a 64 kB folio and across two */
	munmap_both(s, false, 1024 + 8, 20);
	same_state(&s[0], &s[1]);
	exit_both(s);
	same_state(&s[0], &s[1]);
	fork_both(s);
	same_state(&s[0], &s[1]);
	write_both(s, false, 1500);
	exit_both(s);
	same_state(&s[0], &s[1]);
	munmap_both(s, false, 0, NPAGES);
	same_state(&s[0], &s[1]);
	pl_world_free(s[0].w);
	pl_world_free(s[1].w);
}

static void test_mthp64k_fork_zap(void)
{
	run(false);
}

static void test_pte_mapped_thp_fork_zap(void)
{
	run(true);
}

int main(void)
{
	T_RUN(test_mthp64k_fork_zap);
	T_RUN(test_pte_mapped_thp_fork_zap);
	return T_DONE();
}
