/*
 * Description: the per-table loops of fork, zap and GUP leave what the
 * per-PTE path leaves.  copy_pte_table() (fork), zap_pte_table() (exit,
 * munmap) and gup_pte_batch() (GUP of small pages) do their work in one
 * loop per PTE table when nothing watches each access (no explorer hooks,
 * no event listener), and hand every entry they do not batch (swap, zero
 * page, pinned, large) to the per-PTE functions.  Each sub-test runs the
 * same operations on two worlds, one plain (batched) and one with an event
 * listener (entry by entry), and after every operation requires the same
 * memmap byte for byte (every struct page), the same page-table entries and
 * used-slot bits of every task, the same violations, and the checker quiet.
 */
#include "testlib.h"

#include <errno.h>
#include <string.h>

#include "pinlab/core.h"
#include "same_tables.h"

#define NPAGES (3 * 512 + 100)	/* three PTE tables and part of a fourth */
#define NZERO 64		/* a second mapping read, never written: the zero page */

static unsigned nr_events;

static void count_event(struct world *w, const struct pl_event *ev, void *arg)
{
	(void)w, (void)ev, (void)arg;
	nr_events++;
}

struct side {
	struct world *w;
	int pid, child;
	pl_addr addr, zaddr;
	pl_pfn pages[NPAGES];
};

/* A world with NPAGES of written base pages and NZERO pages read, no THP. */
static int side_setup(struct side *s, const char *preset, bool listen)
{
	pl_token tok;

	s->w = pl_world_new(&pl_preset_find(preset)->policy, preset);
	if (!s->w)
		return -1;
	if (listen)
		s->w->on_event = count_event;
	s->pid = pl_task_create(s->w);
	s->addr = pl_mmap(s->w, s->pid, 0, NPAGES * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	s->zaddr = pl_mmap(s->w, s->pid, 0, NZERO * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			   PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	if (pl_err(s->addr) || pl_err(s->zaddr))
		return -1;
	if (pl_madvise(s->w, s->pid, s->addr, NPAGES * PAGE_SIZE, PL_MADV_NOHUGEPAGE) ||
	    pl_madvise(s->w, s->pid, s->zaddr, NZERO * PAGE_SIZE, PL_MADV_NOHUGEPAGE))
		return -1;
	/* written page by page: MADV_POPULATE_WRITE is 5.14's */
	for (unsigned i = 0; i < NPAGES; i++)
		if (pl_user_write(s->w, s->pid, s->addr + i * PAGE_SIZE,
				  pl_token_intern(s->w, "a")))
			return -1;
	/* swap entries in the middle of a table, and zero-page entries between written ones */
	if (pl_swapon(s->w, 4096) ||
	    pl_madvise(s->w, s->pid, s->addr + 200 * PAGE_SIZE, 60 * PAGE_SIZE, PL_MADV_PAGEOUT))
		return -1;
	for (unsigned i = 0; i < NZERO; i += 2)
		if (pl_user_read(s->w, s->pid, s->zaddr + i * PAGE_SIZE, &tok))
			return -1;
	for (unsigned i = 1; i < NZERO; i += 4)
		if (pl_user_write(s->w, s->pid, s->zaddr + i * PAGE_SIZE,
				  pl_token_intern(s->w, "z")))
			return -1;
	return 0;
}

/* The whole model state the batches touch: the same on both sides. */
static void same_state(struct side *a, struct side *b)
{
	T_EQ(a->w->next_pfn, b->w->next_pfn);
	T_EQ(a->w->nr_swap, b->w->nr_swap);
	for (uint32_t i = 0; i < a->w->nr_swap && i < b->w->nr_swap; i++)
		T_EQ(a->w->swap[i].count, b->w->swap[i].count);
	for (pl_pfn pfn = 1; pfn < a->w->next_pfn && pfn < b->w->next_pfn; pfn++)
		if (memcmp(pfn_to_page(a->w, pfn), pfn_to_page(b->w, pfn), sizeof(struct page))) {
			T_NOTE("struct page of pfn %u differs", pfn);
			T_ASSERT(false);
			break;
		}
	T_EQ(a->w->nr_tasks, b->w->nr_tasks);
	for (int i = 0; i < a->w->nr_tasks && i < b->w->nr_tasks; i++)
		same_tables(a->w, b->w, a->w->tasks[i]->pid);
	T_EQ(a->w->stats.fork_copies, b->w->stats.fork_copies);
	pl_check_world(a->w);
	pl_check_world(b->w);
	T_EQ(a->w->nr_violations, b->w->nr_violations);
	T_EQ(a->w->nr_violations, 0);
}

/*
 * fork, COW on both sides, a fork of the child, pin and unpin of parts of
 * the range (FOLL_WRITE and read pins), exits and a munmap in the middle:
 * the same state after each.
 */
static void run_both(const char *preset, unsigned pin_flags)
{
	static struct side a, b;
	struct side *s[2] = { &a, &b };
	int grandchild[2];

	nr_events = 0;
	for (int k = 0; k < 2; k++)
		T_REQUIRE(side_setup(s[k], preset, k == 1) == 0);
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		s[k]->child = pl_fork(s[k]->w, s[k]->pid);
		T_REQUIRE(s[k]->child > 0);
	}
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		pl_token t = pl_token_intern(s[k]->w, "w");

		for (unsigned i = 0; i < NPAGES; i += 3)
			T_EQ(pl_user_write(s[k]->w, s[k]->pid, s[k]->addr + i * PAGE_SIZE, t), 0);
		for (unsigned i = 1; i < NPAGES; i += 7)
			T_EQ(pl_user_write(s[k]->w, s[k]->child, s[k]->addr + i * PAGE_SIZE, t), 0);
		grandchild[k] = pl_fork(s[k]->w, s[k]->child);
		T_REQUIRE(grandchild[k] > 0);
	}
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		struct mm_struct *mm = pl_task(s[k]->w, s[k]->pid)->mm;

		T_EQ(pin_user_pages(s[k]->w, mm, s[k]->addr + 5 * PAGE_SIZE, 1200, pin_flags,
				    s[k]->pages),
		     1200);
	}
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		/* with a pin, fork copies maybe-pinned pages: the per-PTE path */
		int c2 = pl_fork(s[k]->w, s[k]->pid);

		T_REQUIRE(c2 > 0);
		unpin_user_pages(s[k]->w, s[k]->pages, 1200);
		T_EQ(pl_exit(s[k]->w, c2), 0);
	}
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		T_EQ(pl_exit(s[k]->w, s[k]->child), 0);
		T_EQ(pl_munmap(s[k]->w, s[k]->pid, s[k]->addr + 700 * PAGE_SIZE,
			       300 * PAGE_SIZE), 0);
		T_EQ(pl_exit(s[k]->w, grandchild[k]), 0);
	}
	same_state(&a, &b);
	for (int k = 0; k < 2; k++)
		T_EQ(pl_exit(s[k]->w, s[k]->pid), 0);
	same_state(&a, &b);
	/* the listener saw the per-PTE path */
	T_REQUIRE(nr_events >= NPAGES);
	pl_world_free(a.w);
	pl_world_free(b.w);
}

static void test_latest_write_longterm(void)
{
	run_both("latest", FOLL_WRITE | FOLL_LONGTERM);
}

static void test_latest_read_pin(void)
{
	run_both("latest", 0);
}

/* v5.10: no PG_anon_exclusive; fork takes its reference after the pin test */
static void test_v5_10_write_pin(void)
{
	run_both("v5.10", FOLL_WRITE);
}

/* v5.4: no FOLL_PIN, pins are plain references */
static void test_v5_4_write_longterm(void)
{
	run_both("v5.4", FOLL_WRITE | FOLL_LONGTERM);
}

int main(void)
{
	T_RUN(test_latest_write_longterm);
	T_RUN(test_latest_read_pin);
	T_RUN(test_v5_10_write_pin);
	T_RUN(test_v5_4_write_longterm);
	return T_DONE();
}
