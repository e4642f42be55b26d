/*
 * Description: pl_world_clone() and pl_world_copy_into() (src/core/world_copy.c),
 * what the race explorer starts every schedule from.  A script of
 * operations covering the world's parts (anonymous and file memory, the page
 * cache, fork and COW, a pipe, a gup_test pin, io_uring buffers, swap, a
 * THP, KSM, exit, munmap, a /proc/pid/mem write; then hugetlb: a pmd
 * table two mms share, a 1 GiB page) is cut after every operation: the world is copied
 * there (a new world, or into a world that held another run), and from then
 * on the copy must behave step for step like the original -- the same return
 * values, the same pl_explore_state_hash(), the same violations from the
 * invariant checker (which starts from nothing walked in the copy), the same
 * struct pages and allocator state -- and be independent of it: a step on
 * the copy leaves the original's hash unchanged.
 */
#include "testlib.h"

#include "pinlab/core.h"

#include "explore/explore.h"

struct ctx {
	int pid, child, file, pipe, pin, ring;
	pl_addr a, fa, thp, ro;
};

#define NR_OPS 21

static pl_token tk(struct world *w, const char *s)
{
	return pl_token_intern(w, s);
}

/* Operation i of the script; its result, folded to one number. */
static long op(struct world *w, struct ctx *c, int i)
{
	pl_token t = 0;
	long r = 0;

	switch (i) {
	case 0:
		return c->pid = pl_task_create(w);
	case 1:
		c->a = pl_mmap(w, c->pid, 0, 8 * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			       PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
		return (long)c->a;
	case 2:
		r += pl_user_write(w, c->pid, c->a, tk(w, "p0"));
		r += pl_user_write(w, c->pid, c->a + PAGE_SIZE, tk(w, "p1"));
		r += pl_user_write(w, c->pid, c->a + 2 * PAGE_SIZE, tk(w, "p2"));
		r += pl_user_write(w, c->pid, c->a + 3 * PAGE_SIZE, tk(w, "p3"));
		return r;
	case 3:
		c->file = pl_file_create(w, PL_FS_EXT4, 4, tk(w, "disk"));
		c->fa = pl_mmap(w, c->pid, 0, 4 * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
				PL_MAP_SHARED, c->file, 0);
		return (long)c->fa + c->file;
	case 4:
		r = pl_user_write(w, c->pid, c->fa, tk(w, "via-map"));
		return r * 10 + pl_file_write(w, c->file, 1, tk(w, "fw"));
	case 5:
		return c->child = pl_fork(w, c->pid);
	case 6:
		return pl_user_write(w, c->child, c->a, tk(w, "child"));
	case 7:
		c->pipe = pl_pipe_create(w);
		return pl_vmsplice(w, c->pid, c->pipe, c->a + PAGE_SIZE, 2) * 100 + c->pipe;
	case 8:
		return c->pin = pl_gup_test_pin(w, c->pid, c->a + 2 * PAGE_SIZE, 1, true, false);
	case 9:
		r = pl_swapon(w, 64);
		return r * 10 + pl_reclaim(w, c->pid, c->a + 3 * PAGE_SIZE);
	case 10:
		return c->ring = io_uring_register_buffers(w, c->pid, c->a + 4 * PAGE_SIZE, 2);
	case 11:
		c->thp = pl_mmap(w, c->pid, 0, 2 * PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
				 PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
		c->thp = (c->thp + PMD_SIZE - 1) & ~(pl_addr)(PMD_SIZE - 1);
		r = pl_madvise(w, c->pid, c->thp, PMD_SIZE, PL_MADV_HUGEPAGE);
		return r * 10 + pl_user_write(w, c->pid, c->thp + 5 * PAGE_SIZE, tk(w, "thp"));
	case 12:
		/* Dirty COW's write: a violation under v4.8 (gup-write-downgraded), kept */
		c->ro = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, c->file, 0);
		r = pl_user_read(w, c->pid, c->ro, &t);
		return r * 10 + pl_proc_mem_write(w, c->pid, c->pid, c->ro, tk(w, "evil"));
	case 13:
		return pl_exit(w, c->child);
	case 14:
		r = pl_user_write(w, c->pid, c->a + 3 * PAGE_SIZE, tk(w, "back"));
		return r * 10 + pl_user_read(w, c->pid, c->a + 3 * PAGE_SIZE, &t) + t;
	case 15:
		r = pl_pipe_read(w, c->pipe, &t);
		return r * 1000 + t * 10 + pl_gup_test_unpin(w, c->pin);
	case 16:
		r = pl_user_write(w, c->pid, c->a + 5 * PAGE_SIZE, tk(w, "same"));
		r += pl_user_write(w, c->pid, c->a + 6 * PAGE_SIZE, tk(w, "same"));
		r += pl_madvise(w, c->pid, c->a, 8 * PAGE_SIZE, PL_MADV_MERGEABLE);
		return r * 10 + pl_ksm_merge(w);
	case 17:
		return io_uring_unregister_buffers(w, c->ring);
	case 18:
		return pl_munmap(w, c->pid, c->a + 6 * PAGE_SIZE, 2 * PAGE_SIZE);
	case 19:
		return pl_fork(w, c->pid) * 10 + pl_user_write(w, c->pid, c->thp, tk(w, "cow"));
	case 20:
		r = pl_file_read(w, c->file, 0, &t);
		return r * 10 + t + pl_exit(w, c->pid);
	}
	return -1;
}

/*
 * The second script: hugetlb.  A 2 MiB hugetlbfs file mapped shared over a
 * whole aligned 1 GiB, so that fork shares the pmd table (hugetlb PMD
 * sharing: one table in two mms, copied once), and a 1 GiB hugetlb page (a
 * chunk of its own whose struct pages are written group by group).
 */
#define NR_HOPS 8

static long hop(struct world *w, struct ctx *c, int i)
{
	pl_addr b;

	switch (i) {
	case 0:
		c->pid = pl_task_create(w);
		return c->pid * 10 + pl_hugetlb_set_pool(w, 1024);
	case 1:
		c->file = pl_file_create(w, PL_FS_HUGETLBFS, 2 * 262144, 0);
		c->fa = pl_mmap(w, c->pid, 0, 2 * PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
				PL_MAP_SHARED, c->file, 0);
		return (long)c->fa + c->file;
	case 2:
		b = (c->fa + PUD_SIZE - 1) & ~(pl_addr)(PUD_SIZE - 1);
		return pl_user_write(w, c->pid, b, tk(w, "h0"));
	case 3:
		return c->child = pl_fork(w, c->pid);
	case 4:
		b = (c->fa + PUD_SIZE - 1) & ~(pl_addr)(PUD_SIZE - 1);
		return pl_user_write(w, c->child, b + PMD_SIZE, tk(w, "h1")) * 100 +
		       w->nr_pmd_shares;
	case 5:
		if (pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1))
			return -1;
		c->thp = pl_mmap(w, c->pid, 0, PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
				 PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB |
				 PL_MAP_HUGE_1GB, -1, 0);
		return (long)c->thp;
	case 6:
		return pl_user_write(w, c->pid, c->thp + 77 * PMD_SIZE, tk(w, "giga"));
	case 7:
		return pl_exit(w, c->child) * 10 + pl_munmap(w, c->pid, c->fa, 2 * PUD_SIZE);
	}
	return -1;
}

/* The same state, read every way a run can tell. */
static void same_world(struct world *a, struct world *b, const char *when, int i)
{
	int na, nb;

	T_EQ(pl_explore_state_hash(a), pl_explore_state_hash(b));
	T_EQ(a->next_pfn, b->next_pfn);
	T_EQ(a->nr_free_pages, b->nr_free_pages);
	T_EQ(a->nr_alloc_pages, b->nr_alloc_pages);
	T_ASSERT(!memcmp(a->free_list, b->free_list, sizeof(a->free_list)));
	T_EQ(a->nr_tokens, b->nr_tokens);
	T_EQ(a->nr_tasks, b->nr_tasks);
	T_EQ(a->next_lock_id, b->next_lock_id);
	for (pl_pfn p = 1; p < a->next_pfn && p < b->next_pfn; p++)
		if (memcmp(pfn_to_page(a, p), pfn_to_page(b, p), sizeof(struct page))) {
			T_NOTE("%s %d: struct page of pfn %u differs", when, i, p);
			T_ASSERT(0);
			break;
		}
	na = pl_check_world(a);
	nb = pl_check_world(b);
	T_EQ(na, nb);
	T_EQ(a->nr_violations, b->nr_violations);
	for (int v = 0; v < a->nr_violations && v < b->nr_violations; v++) {
		const struct pl_violation *x = &a->violations[v], *y = &b->violations[v];

		T_ASSERT(x->inv == y->inv && x->step == y->step && x->pid == y->pid &&
			 x->addr == y->addr && x->pfn == y->pfn && !strcmp(x->detail, y->detail));
	}
	if ((t_state()->case_failures > 0))
		T_NOTE("... %s operation %d", when, i);
}

static const char *preset = "latest";

static struct world *new_world(void)
{
	struct world *w = pl_world_new(&pl_preset_find(preset)->policy, preset);

	w->check_verify = true;		/* the checker's totals recounted every scan */
	return w;
}

typedef long (*op_fn)(struct world *w, struct ctx *c, int i);

/* Cut the script after k operations, copy, run the rest on both. */
static void cut_at(op_fn run, int nr_ops, int k, bool into)
{
	struct world *orig = new_world(), *copy;
	struct ctx co, cc;

	memset(&co, 0, sizeof(co));
	for (int i = 0; i < k; i++) {
		orig->step = (uint64_t)i + 1;
		run(orig, &co, i);
		pl_check_world(orig);
	}
	if (into) {
		/* a world that held another run, as the explorer's spare one */
		struct ctx junk;

		memset(&junk, 0, sizeof(junk));
		copy = new_world();
		for (int i = 0; i < nr_ops; i += 2)
			run(copy, &junk, i);
		pl_world_copy_into(copy, orig);
	} else {
		copy = pl_world_clone(orig);
	}
	cc = co;
	T_EQ(pl_explore_state_hash(copy), pl_explore_state_hash(orig));
	for (int i = k; i < nr_ops; i++) {
		uint64_t before = pl_explore_state_hash(orig);
		long rc, ro;

		copy->step = orig->step = (uint64_t)i + 1;
		rc = run(copy, &cc, i);
		/* independent: the copy's step left the original as it was */
		T_EQ(pl_explore_state_hash(orig), before);
		ro = run(orig, &co, i);
		T_EQ(rc, ro);
		same_world(orig, copy, "after", i);
		if ((t_state()->case_failures > 0))
			break;
	}
	pl_world_free(copy);
	pl_world_free(orig);
}

static void test_copy_step_for_step(void)
{
	for (int k = 0; k <= NR_OPS && !(t_state()->case_failures > 0); k++)
		cut_at(op, NR_OPS, k, false);
}

static void test_copy_into_used_world(void)
{
	for (int k = 0; k <= NR_OPS && !(t_state()->case_failures > 0); k++)
		cut_at(op, NR_OPS, k, true);
}

/* A copy of a copy, and the original freed first: nothing is shared. */
static void test_copy_of_copy(void)
{
	struct world *orig = new_world(), *c1, *c2;
	struct ctx co, cc;
	uint64_t h;

	memset(&co, 0, sizeof(co));
	for (int i = 0; i < 12; i++)
		op(orig, &co, i);
	c1 = pl_world_clone(orig);
	h = pl_explore_state_hash(orig);
	pl_world_free(orig);
	c2 = pl_world_clone(c1);
	T_EQ(pl_explore_state_hash(c1), h);
	T_EQ(pl_explore_state_hash(c2), h);
	cc = co;
	for (int i = 12; i < NR_OPS; i++) {
		T_EQ(op(c1, &co, i), op(c2, &cc, i));
		same_world(c1, c2, "copy of copy", i);
	}
	pl_world_free(c1);
	pl_world_free(c2);
}

/* v4.8: the /proc/pid/mem write breaks a rule, so violations are copied and re-found */
static void test_copy_with_violations(void)
{
	preset = "v4.8";
	for (int k = 0; k <= NR_OPS && !(t_state()->case_failures > 0); k++)
		cut_at(op, NR_OPS, k, k % 2);
	preset = "latest";
}

static void test_copy_hugetlb(void)
{
	for (int k = 0; k <= NR_HOPS && !(t_state()->case_failures > 0); k++) {
		cut_at(hop, NR_HOPS, k, false);
		cut_at(hop, NR_HOPS, k, true);
	}
}

int main(void)
{
	T_RUN(test_copy_step_for_step);
	T_RUN(test_copy_into_used_world);
	T_RUN(test_copy_of_copy);
	T_RUN(test_copy_with_violations);
	T_RUN(test_copy_hugetlb);
	return T_DONE();
}
