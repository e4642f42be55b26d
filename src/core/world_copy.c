/*
 * world_copy.c - a deep copy of a world (pl_world_clone(), pl_world_copy_into()).
 *
 * The race explorer runs a scenario's set-up once and starts every schedule
 * on a copy of the world it left, instead of building that world again.  A
 * copy must run exactly as the original would: the same pfns, pids, ids,
 * lock ids, tokens and free lists, so that the same operations hand out the
 * same pfns and name the same objects in every report.
 *
 * Most of a world is plain data or names other objects by number (pfns,
 * pids, file ids, mm ids, token numbers), so it is copied as it is.  What
 * it holds by pointer is copied object by object: the memmap chunks (only
 * the groups of struct pages a chunk marks written, as the template does:
 * folio.c; into a world's own chunks, only what may differ), the tasks and
 * their mms (page-table trees, a hugetlb pmd table shared by several mms
 * copied once and shared again, the VMA arrays), the files with their page
 * caches and disks, the swap slots, the pinners' handles with their pipes,
 * the tokens and the violations.
 *
 * Not copied:
 *   - the incremental checker's state (the per-pfn tally, the records of
 *     the mms' last walks, the lists of marked and gone mms, the swap
 *     totals, the memmap walk's marked and kept folios: its next walk
 *     visits every folio): the copy starts as a new world does, with nothing walked,
 *     so its next scan walks every mm from zero -- which finds what an
 *     incremental scan of the original finds (check_inc.c: the walk's
 *     violations, and their order, are a full walk's);
 *   - the page tables a THP collapse detached for GUP-fast walkers
 *     (w->rcu_tables): nothing points into them once no model thread runs;
 *   - the sync hooks (a copy is made between runs; the caller installs its
 *     own).  The event listener (on_event, event_arg) is copied.
 *
 * Copy only a world no model thread is running in (no lock held, no walk
 * or GUP-fast call under way: w->gup_fast_calls is not copied).  Out of
 * memory, the copy ends the program as pl_oom() does.
 */
#include "internal.h"

#include <stddef.h>

static void *copy_mem(struct world *w, const void *src, size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		pl_oom(w);
	if (n)
		memcpy(p, src, n);
	return p;
}

/* A hugetlb pmd table several mms hang: its copy, once made. */
struct share_map {
	const struct pl_dir **from;
	struct pl_dir **to;
	size_t n, cap;
};

static struct pl_dir *share_find(const struct share_map *m, const struct pl_dir *t)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->from[i] == t)
			return m->to[i];
	return NULL;
}

static void share_add(struct world *w, struct share_map *m, const struct pl_dir *from,
		      struct pl_dir *to)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 8;

		m->from = pl_realloc_array(w, m->from, cap, sizeof(*m->from));
		m->to = pl_realloc_array(w, m->to, cap, sizeof(*m->to));
		m->cap = cap;
	}
	m->from[m->n] = from;
	m->to[m->n++] = to;
}

/*
 * The table at @src and everything under it: @level 0 is the pgd, 1 a pud
 * table, 2 a pmd table (whose next[] are PTE tables).
 */
static struct pl_dir *copy_dir(struct world *w, const struct pl_dir *src, int level,
			       struct share_map *sm)
{
	struct pl_dir *d;

	if (level == 2 && src->pt_share_count) {
		d = share_find(sm, src);
		if (d)
			return d;
	}
	/*
	 * A clean directory (pgtable.c's pool), and only the slots used[]
	 * marks: every other slot of @src is empty (pgtable.c's dir_free()
	 * relies on the same rule), then the fields from the lock on.
	 */
	d = pl_dir_alloc(w);
	memcpy((char *)d + offsetof(struct pl_dir, ptl), (const char *)src +
	       offsetof(struct pl_dir, ptl), sizeof(*d) - offsetof(struct pl_dir, ptl));
	if (level == 2 && src->pt_share_count)
		share_add(w, sm, src, d);
	for (unsigned i = pl_dir_next_used(src->used, 0); i < PTRS_PER_TABLE;
	     i = pl_dir_next_used(src->used, i + 1)) {
		d->e[i] = src->e[i];
		if (!src->next[i])
			continue;
		if (level == 2)
			d->next[i] = copy_mem(w, src->next[i], sizeof(struct pl_ptetab));
		else
			d->next[i] = copy_dir(w, src->next[i], level + 1, sm);
	}
	return d;
}

static struct mm_struct *copy_mm(struct world *w, const struct mm_struct *src,
				 struct share_map *sm)
{
	struct mm_struct *mm = copy_mem(w, src, sizeof(*mm));

	mm->world = w;
	mm->chk = NULL;		/* the checker's record: see the header */
	mm->chk_slot = 0;
	mm->pgd = NULL;
	mm->vmas = NULL;
	if (src->vmas)
		mm->vmas = copy_mem(w, src->vmas, (size_t)src->cap_vmas * sizeof(*mm->vmas));
	if (src->pgd)
		mm->pgd = copy_dir(w, src->pgd, 0, sm);
	return mm;
}

static void copy_tasks(struct world *w, const struct world *src)
{
	struct share_map sm = { 0 };

	if (!src->tasks)
		return;
	w->tasks = pl_realloc_array(w, NULL, (size_t)src->cap_tasks, sizeof(*w->tasks));
	w->cap_tasks = src->cap_tasks;
	for (int i = 0; i < src->nr_tasks; i++) {
		const struct task_struct *st = src->tasks[i];
		struct task_struct *t = copy_mem(w, st, sizeof(*t));

		w->tasks[w->nr_tasks++] = t;
		t->mm = NULL;
		if (!st->mm)
			continue;
		/* an mm two tasks share (CLONE_VM) is copied once */
		for (int j = 0; j < i && !t->mm; j++)
			if (src->tasks[j]->mm == st->mm)
				t->mm = w->tasks[j]->mm;
		if (!t->mm)
			t->mm = copy_mm(w, st->mm, &sm);
	}
	free(sm.from);
	free(sm.to);
}

static void copy_files(struct world *w, const struct world *src)
{
	if (!src->files)
		return;
	w->files = pl_realloc_array(w, NULL, (size_t)src->cap_files, sizeof(*w->files));
	w->cap_files = src->cap_files;
	for (int i = 0; i < src->nr_files; i++) {
		struct pl_file *f = pl_zalloc(w, sizeof(*f));

		w->files[w->nr_files++] = f;
		pl_file_copy(w, f, src->files[i]);
	}
}

static void copy_pins(struct world *w, const struct world *src)
{
	if (!src->pins)
		return;
	w->pins = pl_realloc_array(w, NULL, (size_t)src->cap_pins, sizeof(*w->pins));
	w->cap_pins = src->cap_pins;
	for (int i = 0; i < src->nr_pins; i++) {
		struct pl_pinset *ps = pl_zalloc(w, sizeof(*ps));

		w->pins[w->nr_pins++] = ps;
		pl_pinset_copy(w, ps, src->pins[i]);
	}
}

static void copy_tokens(struct world *w, const struct world *src)
{
	if (!src->cap_tokens)
		return;
	w->tokens = pl_realloc_array(w, NULL, src->cap_tokens, sizeof(*w->tokens));
	w->token_len = copy_mem(w, src->token_len, src->cap_tokens * sizeof(*w->token_len));
	w->cap_tokens = src->cap_tokens;
	for (uint32_t i = 0; i < src->nr_tokens; i++)
		w->tokens[w->nr_tokens++] = copy_mem(w, src->tokens[i],
						     (size_t)src->token_len[i] + 1);
}

/*
 * Everything @src holds, into @w, which holds nothing but, maybe, the
 * memmap chunks @old (@nr of them, in an array @w no longer holds) of the
 * world it was: those are made copies of @src's in place, writing only
 * what may differ, and for chunk 0 nothing below @same (see
 * pl_world_copy_into()).
 */
static void copy_world(struct world *w, const struct world *src, struct page **old,
		       uint32_t nr, pl_pfn same)
{
	*w = *src;
	/* from here on @w owns only what is copied below, so it can be freed at any point */
	w->memmap = NULL;
	w->nr_chunks = w->cap_chunks = 0;
	w->tasks = NULL;
	w->nr_tasks = w->cap_tasks = 0;
	w->files = NULL;
	w->nr_files = w->cap_files = 0;
	w->swap = NULL;
	w->pins = NULL;
	w->nr_pins = w->cap_pins = 0;
	w->tokens = NULL;
	w->token_len = NULL;
	w->nr_tokens = w->cap_tokens = 0;
	w->rcu_tables = NULL;
	w->nr_rcu_tables = w->cap_rcu_tables = 0;
	w->violations = NULL;
	w->nr_violations = w->cap_violations = 0;
	w->gup_fast_calls = NULL;	/* empty between steps: no GUP-fast call is under way */
	memset(&w->hooks, 0, sizeof(w->hooks));
	/* the checker starts from nothing walked, as in a new world */
	w->check_tally = NULL;
	w->check_tally_cap = 0;
	w->check_list = NULL;
	w->check_nr = w->check_cap = 0;
	w->check_list_lost = false;
	w->chk_dirty = NULL;
	w->chk_nr_dirty = w->chk_cap_dirty = 0;
	w->chk_viol = NULL;
	w->chk_nr_viol = w->chk_cap_viol = 0;
	w->chk_gone = NULL;
	w->chk_nr_gone = w->chk_cap_gone = 0;
	w->chk_swap = NULL;
	w->chk_swap_n = 0;
	w->chk_walked = false;
	/* the memmap walk's marks, too: the copy's first walk visits every folio */
	w->chk_mark = w->chk_keep = NULL;
	w->chk_nr_mark = w->chk_cap_mark = w->chk_nr_keep = w->chk_cap_keep = 0;
	w->chk_hf = NULL;
	w->chk_nr_hf = w->chk_cap_hf = 0;
	w->chk_shadow = NULL;
	w->chk_shadow_n = 0;
	w->chk_mark_lost = true;
	w->chk_memmap_valid = false;

	w->memmap = pl_realloc_array(w, NULL, src->cap_chunks, sizeof(*w->memmap));
	w->cap_chunks = src->cap_chunks;
	for (uint32_t c = 0; c < src->nr_chunks; c++) {
		struct page *chunk = c < nr ? old[c] : pl_memmap_chunk_copy(src->memmap[c]);

		if (!chunk)
			pl_oom(w);
		if (c < nr)
			pl_memmap_chunk_copy_into(chunk, src->memmap[c], c ? 0 : same,
						  src->zero_pfn);
		w->memmap[w->nr_chunks++] = chunk;
	}
	for (uint32_t c = src->nr_chunks; c < nr; c++)
		pl_memmap_chunk_release(old[c], c == 0, 0);
	free(old);
	copy_tokens(w, src);
	copy_tasks(w, src);
	copy_files(w, src);
	if (src->swap)
		w->swap = copy_mem(w, src->swap, (size_t)src->cap_swap * sizeof(*w->swap));
	copy_pins(w, src);
	if (src->violations) {
		w->violations = copy_mem(w, src->violations,
					 (size_t)src->cap_violations * sizeof(*w->violations));
		w->cap_violations = src->cap_violations;
		w->nr_violations = src->nr_violations;
	}
}

struct world *pl_world_clone(const struct world *src)
{
	struct world *w = pl_zalloc(NULL, sizeof(*w));

	copy_world(w, src, NULL, 0, 0);
	return w;
}

/*
 * @dst's memmap chunks are kept and overwritten where they may differ from
 * @src's, instead of being cleaned for the pool and copied into again.  In
 * chunk 0, both worlds still hold the template below the lowest template
 * pfn either was handed and below the huge zero page (folio.c,
 * pl_memmap_chunk_release()): those struct pages are not written at all.
 */
void pl_world_copy_into(struct world *dst, const struct world *src)
{
	struct page **old = dst->memmap;
	uint32_t nr = dst->nr_chunks;
	pl_pfn same = 0;

	if (nr && src->nr_chunks && dst->tmpl_low && src->tmpl_low &&
	    dst->zero_pfn == src->zero_pfn && dst->huge_zero_pfn == src->huge_zero_pfn)
		same = PL_MIN(PL_MIN(dst->tmpl_low, src->tmpl_low), src->huge_zero_pfn);
	dst->memmap = NULL;
	dst->nr_chunks = dst->cap_chunks = 0;
	pl_world_empty(dst);
	copy_world(dst, src, old, nr, same);
}
