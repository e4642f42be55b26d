/*
 * tests/unit/host_facts.c - the model's host facts (docs/host.md "Host profile").
 *
 * A host fact describes a machine, not an era: zero_page (a read fault maps
 * the shared zero page) and huge_zero_page (transparent_hugepage/
 * use_zero_page).  Both are on in a new world, as on an upstream kernel.
 * With zero_page off (a vendor kernel booted with pvm_no_zero_page=1) every
 * read fault -- a plain load, MADV_POPULATE_READ, vmsplice's GUP, a
 * /proc/pid/mem read -- maps a fresh exclusive anonymous page instead, so a
 * write after vmsplice of a never-touched page reuses the spliced page and
 * the pipe reads the write, where upstream the write copies the zero page
 * and the pipe reads zeroes.  The assignments parse like knobs.
 */
#include "testlib.h"

#include <errno.h>

#include "pinlab/core.h"

/* src/core/internal.h: not in the public header */
bool pl_is_zero_pfn(const struct world *w, pl_pfn pfn);

static struct world *new_world(bool zero_page)
{
	const struct pl_preset *p = pl_preset_find("latest");
	struct world *w = pl_world_new(&p->policy, p->name);
	char err[128];

	w->checked = true;
	if (!zero_page)
		T_EQ(pl_world_set_fact(w, "zero_page=off", err, sizeof(err)), 0);
	return w;
}

static pl_addr anon(struct world *w, int pid, unsigned long pages, int prot)
{
	return pl_mmap(w, pid, 0, pages * PAGE_SIZE, prot, PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1,
		       0);
}

static pte_t pte_at(struct world *w, int pid, pl_addr a)
{
	pte_t *ptep = pl_pte_lookup(pl_task(w, pid)->mm, a);

	return ptep ? *ptep : 0;
}

static bool maps_zero(struct world *w, int pid, pl_addr a)
{
	pte_t pte = pte_at(w, pid, a);

	return pte_present(pte) && pl_is_zero_pfn(w, pte_pfn(pte));
}

static void clean(struct world *w)
{
	T_EQ(pl_check_world(w), 0);
	for (int i = 0; i < w->nr_violations; i++)
		T_NOTE("violation %s: %s", w->violations[i].inv->name, w->violations[i].detail);
	T_EQ(w->nr_violations, 0);
}

static void test_defaults_are_upstream(void)
{
	struct world *w = new_world(true);
	int n;
	const struct pl_fact *f = pl_facts(&n);

	T_ASSERT(w->zero_page);
	T_ASSERT(w->huge_zero_page);
	T_EQ(n, 2);
	T_STREQ(f[0].name, "zero_page");
	T_STREQ(f[1].name, "huge_zero_page");
	pl_world_free(w);
}

static void test_fact_assignments(void)
{
	struct world *w = new_world(true);
	char err[128] = "";

	T_ASSERT(pl_fact_is("zero_page=false"));
	T_ASSERT(pl_fact_is("huge_zero_page"));
	T_ASSERT(!(pl_fact_is("zero_page_never_pinned=true")));
	T_ASSERT(!(pl_fact_is("anon_reuse=refcount")));
	T_EQ(pl_world_set_fact(w, "huge_zero_page=0", err, sizeof(err)), 0);
	T_ASSERT(!(w->huge_zero_page));
	T_EQ(pl_world_set_fact(w, "huge_zero_page=yes", err, sizeof(err)), 0);
	T_ASSERT(w->huge_zero_page);
	T_EQ(pl_world_set_fact(w, "zero_page=maybe", err, sizeof(err)), -EINVAL);
	T_STREQ(err, "bad value 'maybe' for host fact 'zero_page' (expected true or false)");
	T_EQ(pl_world_set_fact(w, "zero_pages=off", err, sizeof(err)), -EINVAL);
	T_STREQ(err, "unknown host fact 'zero_pages'");
	T_EQ(pl_world_set_fact(w, "zero_page", err, sizeof(err)), -EINVAL);
	T_STREQ(err, "expected fact=value, found 'zero_page'");
	T_ASSERT(w->zero_page);
	pl_world_free(w);
}

/* A plain load: the zero page, or a fresh exclusive page (R/O in a R/O vma, not dirty). */
static void test_read_fault(void)
{
	for (int zp = 1; zp >= 0; zp--) {
		struct world *w = new_world(zp);
		int p = pl_task_create(w);
		pl_addr rw = anon(w, p, 1, PL_PROT_READ | PL_PROT_WRITE);
		pl_addr ro = anon(w, p, 1, PL_PROT_READ);
		pl_token t = 99;
		pte_t pte;

		T_NOTE("zero_page=%d", zp);
		T_EQ(pl_user_read(w, p, rw, &t), 0);
		T_EQ(t, PL_TOKEN_ZERO);
		T_EQ(maps_zero(w, p, rw), zp);
		T_EQ(pl_user_read(w, p, ro, &t), 0);
		T_EQ(maps_zero(w, p, ro), zp);
		pte = pte_at(w, p, ro);
		T_ASSERT(!(pte_write(pte)));
		T_ASSERT(!(pte_dirty(pte)));
		if (!zp) {
			struct page *pg = pfn_to_page(w, pte_pfn(pte_at(w, p, rw)));

			T_ASSERT(pte_write(pte_at(w, p, rw)));
			T_ASSERT(PageAnonExclusive(pg));
			T_EQ(pfn_folio(w, pte_pfn(pte_at(w, p, rw)))->page._refcount, 1);
		}
		/* MADV_POPULATE_READ faults the same way */
		rw = anon(w, p, 2, PL_PROT_READ | PL_PROT_WRITE);
		T_EQ(pl_madvise(w, p, rw, 2 * PAGE_SIZE, PL_MADV_POPULATE_READ), 0);
		T_EQ(maps_zero(w, p, rw), zp);
		T_EQ(maps_zero(w, p, rw + PAGE_SIZE), zp);
		clean(w);
		pl_world_free(w);
	}
}

/*
 * vmsplice of a never-touched page, then a write: the pipe reads zeroes with
 * the zero page (the write copied it), the write without (the write reused
 * the exclusive page the pipe holds).  The shape fuzz-diff found 9 times in
 * 300 scenarios on a pvm_no_zero_page=1 kernel.
 */
static void test_vmsplice_then_write(void)
{
	for (int zp = 1; zp >= 0; zp--) {
		struct world *w = new_world(zp);
		int p = pl_task_create(w), pipe = pl_pipe_create(w);
		pl_addr a = anon(w, p, 1, PL_PROT_READ | PL_PROT_WRITE);
		pl_token t = 99;

		T_NOTE("zero_page=%d", zp);
		T_EQ(pl_vmsplice(w, p, pipe, a, 1), 1);
		T_EQ(maps_zero(w, p, a), zp);
		T_EQ(pl_user_write(w, p, a, pl_token_intern(w, "x")), 0);
		T_EQ(pl_pipe_read(w, pipe, &t), 0);
		T_STREQ(pl_token_text(w, t), zp ? "" : "x");
		T_EQ(pl_pipe_close(w, pipe), 0);
		clean(w);
		pl_world_free(w);
	}
}

/* A /proc/pid/mem read of another process's never-touched page faults it in the same way. */
static void test_proc_mem_read(void)
{
	for (int zp = 1; zp >= 0; zp--) {
		struct world *w = new_world(zp);
		int p = pl_task_create(w), q = pl_task_create(w);
		pl_addr a = anon(w, q, 1, PL_PROT_READ | PL_PROT_WRITE);
		pl_token t = 99;

		T_NOTE("zero_page=%d", zp);
		T_EQ(pl_proc_mem_read(w, p, q, a, &t), 0);
		T_EQ(t, PL_TOKEN_ZERO);
		T_EQ(maps_zero(w, q, a), zp);
		clean(w);
		pl_world_free(w);
	}
}

int main(void)
{
	T_RUN(test_defaults_are_upstream);
	T_RUN(test_fact_assignments);
	T_RUN(test_read_fault);
	T_RUN(test_vmsplice_then_write);
	T_RUN(test_proc_mem_read);
	return T_DONE();
}
