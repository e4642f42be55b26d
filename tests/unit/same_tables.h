/*
 * same_tables.h - compare one process's page tables in two worlds, for the
 * unit tests that run the same operations on a plain world and on one where
 * the fast paths are off (a sync hook, no batching) and require the same
 * result: table_batch.c and fault_fast.c.  Include after testlib.h and
 * pinlab/core.h.
 */
#ifndef PINLAB_TESTS_SAME_TABLES_H
#define PINLAB_TESTS_SAME_TABLES_H

#include <string.h>

/* Every PTE of every vma of @pid, and the used bits of its tables, equal in @wa and @wb. */
static inline void same_tables(struct world *wa, struct world *wb, int pid)
{
	struct task_struct *ta = pl_task(wa, pid), *tb = pl_task(wb, pid);
	struct mm_struct *ma, *mb;

	T_REQUIRE(ta && tb);
	ma = ta->mm;
	mb = tb->mm;
	T_EQ(!ma, !mb);
	if (!ma || !mb)
		return;
	T_EQ(ma->nr_vmas, mb->nr_vmas);
	T_EQ(ma->nr_ptes, mb->nr_ptes);
	for (int v = 0; v < ma->nr_vmas && v < mb->nr_vmas; v++) {
		T_EQ(ma->vmas[v].vm_start, mb->vmas[v].vm_start);
		for (pl_addr x = ma->vmas[v].vm_start; x < ma->vmas[v].vm_end; x += PMD_SIZE) {
			struct pl_ptetab *pa = pl_ptetab_lookup(ma, x), *pb = pl_ptetab_lookup(mb, x);

			T_EQ(!pa, !pb);
			if (!pa || !pb)
				continue;
			if (memcmp(pa->pte, pb->pte, sizeof(pa->pte)) ||
			    memcmp(pa->used, pb->used, sizeof(pa->used)) || pa->ptl.owner ||
			    pb->ptl.owner) {
				T_NOTE("pid %d, table at %#lx differs", pid, (unsigned long)x);
				T_ASSERT(false);
				return;
			}
		}
	}
}

#endif
