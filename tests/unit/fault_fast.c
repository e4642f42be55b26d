/*
 * Description: a user access faults as fast without a sync hook as the
 * explorer's per-step path does with one.  With no hook, user_access()
 * re-reads the slot its fault started from instead of walking the tables
 * again, and do_wp_page()'s refcount rule decides a folio outside the swap
 * cache without setting and clearing PG_locked (wp_reuse_sole_reference()).
 * Each sub-test runs the same accesses on two worlds, one plain and one with
 * a sync hook that does nothing (every lock, trylock and walk as the
 * explorer sees them), and after every step requires the same memmap struct
 * page by struct page, the same entries and used-slot bits in every page
 * table, the same fault, COW and reuse counts, the same violations and the
 * checker quiet: reuse after the child's exit, COW while it lives, a locked
 * folio (copied), swapped-out pages written and read (swap-cache reuse),
 * the zero page written, and a R/O mapping's write refused.
 */
#include "testlib.h"

#include <errno.h>
#include <string.h>

#include "pinlab/core.h"
#include "same_tables.h"

#define NPAGES (2 * 512 + 77)	/* two PTE tables and part of a third */
#define NZERO 40

static unsigned nr_syncs;

static void count_sync(struct world *w, enum pl_sync_op op, const void *obj, void *arg)
{
	(void)w, (void)op, (void)obj, (void)arg;
	nr_syncs++;
}

struct side {
	struct world *w;
	int pid, child;
	pl_addr addr, zaddr;
};

static void side_setup(struct side *s, const char *preset, bool hook)
{
	s->w = pl_world_new(&pl_preset_find(preset)->policy, preset);
	T_REQUIRE(s->w);
	s->w->thp = THP_NEVER;
	if (hook)
		s->w->hooks.sync = count_sync;
	s->pid = pl_task_create(s->w);
	s->addr = pl_mmap(s->w, s->pid, 0, NPAGES * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	s->zaddr = pl_mmap(s->w, s->pid, 0, NZERO * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			   PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	T_REQUIRE(!pl_err(s->addr) && !pl_err(s->zaddr));
	for (unsigned i = 0; i < NPAGES; i++)
		T_EQ(pl_user_write(s->w, s->pid, s->addr + i * PAGE_SIZE,
				   pl_token_intern(s->w, "a")), 0);
	T_EQ(pl_swapon(s->w, 4096), 0);
}

static void same_state(struct side *a, struct side *b)
{
	T_EQ(a->w->next_pfn, b->w->next_pfn);
	for (pl_pfn pfn = 1; pfn < a->w->next_pfn && pfn < b->w->next_pfn; pfn++)
		if (memcmp(pfn_to_page(a->w, pfn), pfn_to_page(b->w, pfn), sizeof(struct page))) {
			T_NOTE("struct page of pfn %u differs", pfn);
			T_ASSERT(false);
			break;
		}
	T_EQ(a->w->nr_swap, b->w->nr_swap);
	for (uint32_t i = 0; i < a->w->nr_swap && i < b->w->nr_swap; i++)
		T_EQ(a->w->swap[i].count, b->w->swap[i].count);
	T_EQ(a->w->nr_tasks, b->w->nr_tasks);
	for (int i = 0; i < a->w->nr_tasks && i < b->w->nr_tasks; i++)
		same_tables(a->w, b->w, a->w->tasks[i]->pid);
	T_EQ(a->w->stats.faults, b->w->stats.faults);
	T_EQ(a->w->stats.cows, b->w->stats.cows);
	T_EQ(a->w->stats.reuses, b->w->stats.reuses);
	T_EQ(a->w->stats.swapins, b->w->stats.swapins);
	pl_check_world(a->w);
	pl_check_world(b->w);
	T_EQ(a->w->nr_violations, b->w->nr_violations);
	T_EQ(a->w->nr_violations, 0);
}

/* PG_locked of the folio mapped at @addr in @pid, as a holder would leave it. */
static void lock_folio_at(struct side *s, pl_addr addr, bool lock)
{
	pte_t *ptep = pl_pte_lookup(pl_task(s->w, s->pid)->mm, addr);
	struct page *p;

	T_REQUIRE(ptep && pte_present(*ptep));
	p = pfn_to_page(s->w, pte_pfn(*ptep));
	if (lock)
		p->flags |= PG_locked;
	else
		p->flags &= ~PG_locked;
}

static void run_both(const char *preset)
{
	static struct side a, b;
	struct side *s[2] = { &a, &b };
	pl_token tok[2];

	nr_syncs = 0;
	for (int k = 0; k < 2; k++)
		side_setup(s[k], preset, k == 1);
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		struct side *x = s[k];
		pl_token t = pl_token_intern(x->w, "c");

		/* pages 100-159 and 600-639 to swap, the zero page in the second mapping */
		T_EQ(pl_madvise(x->w, x->pid, x->addr + 100 * PAGE_SIZE, 60 * PAGE_SIZE,
				PL_MADV_PAGEOUT), 0);
		T_EQ(pl_madvise(x->w, x->pid, x->addr + 600 * PAGE_SIZE, 40 * PAGE_SIZE,
				PL_MADV_PAGEOUT), 0);
		for (unsigned i = 0; i < NZERO; i += 2)
			T_EQ(pl_user_read(x->w, x->pid, x->zaddr + i * PAGE_SIZE, &tok[k]), 0);
		x->child = pl_fork(x->w, x->pid);
		T_REQUIRE(x->child > 0);
		/* COW while the child lives: every 5th page, some of them swapped */
		for (unsigned i = 0; i < NPAGES; i += 5)
			T_EQ(pl_user_write(x->w, x->pid, x->addr + i * PAGE_SIZE, t), 0);
	}
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		struct side *x = s[k];
		pl_token t = pl_token_intern(x->w, "r");

		T_EQ(pl_exit(x->w, x->child), 0);
		lock_folio_at(x, x->addr + 301 * PAGE_SIZE, true);
		/* reuse after the exit: every page; swapped ones fault twice */
		for (unsigned i = 0; i < NPAGES; i++)
			T_EQ(pl_user_write(x->w, x->pid, x->addr + i * PAGE_SIZE, t), 0);
		/* the zero page, read and unread entries */
		for (unsigned i = 0; i < NZERO; i += 3)
			T_EQ(pl_user_write(x->w, x->pid, x->zaddr + i * PAGE_SIZE, t), 0);
	}
	same_state(&a, &b);
	for (int k = 0; k < 2; k++) {
		struct side *x = s[k];
		pl_token t = pl_token_intern(x->w, "s");

		/* the locked folio was copied: the new one is not locked, the old one freed */
		lock_folio_at(x, x->addr + 301 * PAGE_SIZE, false);
		/* swap out again and read back (swap cache), then a second fork and writes */
		T_EQ(pl_madvise(x->w, x->pid, x->addr + 700 * PAGE_SIZE, 30 * PAGE_SIZE,
				PL_MADV_PAGEOUT), 0);
		for (unsigned i = 700; i < 730; i += 2)
			T_EQ(pl_user_read(x->w, x->pid, x->addr + i * PAGE_SIZE, &tok[k]), 0);
		x->child = pl_fork(x->w, x->pid);
		T_REQUIRE(x->child > 0);
		T_EQ(pl_exit(x->w, x->child), 0);
		for (unsigned i = 690; i < 740; i++)
			T_EQ(pl_user_write(x->w, x->pid, x->addr + i * PAGE_SIZE, t), 0);
		/* a write to a R/O mapping is refused before any fault */
		T_EQ(pl_mprotect(x->w, x->pid, x->addr, 8 * PAGE_SIZE, PL_PROT_READ), 0);
		T_EQ(pl_user_write(x->w, x->pid, x->addr + 3 * PAGE_SIZE, t), -EFAULT);
	}
	same_state(&a, &b);
	T_EQ(a.w->stats.reuses > NPAGES / 2, true);
	for (int k = 0; k < 2; k++)
		T_EQ(pl_exit(s[k]->w, s[k]->pid), 0);
	same_state(&a, &b);
	/* the hooked side went through the sync layer at every step */
	T_REQUIRE(nr_syncs >= 4 * NPAGES);
	pl_world_free(a.w);
	pl_world_free(b.w);
}

static void test_latest(void)
{
	run_both("latest");
}

/* v5.10: the refcount rule without PG_anon_exclusive decides every reuse */
static void test_v5_10(void)
{
	run_both("v5.10");
}

/* v5.4: the mapcount rule (reuse_swap_page()) */
static void test_v5_4(void)
{
	run_both("v5.4");
}

int main(void)
{
	T_RUN(test_latest);
	T_RUN(test_v5_10);
	T_RUN(test_v5_4);
	return T_DONE();
}
