/*
 * uprobes.c - uprobes (kernel/events/uprobes.c), a user of get_user_pages()
 * beside those of pinners.c: the only one that changes page tables itself.
 *
 * A breakpoint goes into every private (COW) mapping of the probed file
 * page, in every mm -- possibly not the caller's: seed 000's point is that
 * this is a page-table change no application controls.
 *
 *   old (v3.5 .. 2025)  R/O GET of the old page; copy it into a new anon
 *                       page; poke the breakpoint; __replace_page() swaps the
 *                       PTE -- whatever was mapped, pinned or not.  A pinned
 *                       anon page is thereby disconnected from the process.
 *   2025 rewrite        FOLL_FORCE|FOLL_WRITE GUP: the forced write fault
 *   (uprobes_write_     makes the page an exclusive anon page (or it already
 *    in_place)          is one); the breakpoint is written in place, so a pin
 *                       of that page stays coherent.
 *
 * The model's page is one token, so "the breakpoint" is the whole page's
 * contents, and unregistering restores the file's current contents.
 */
#include "internal.h"

struct uprobe_target {
	int pid;
	pl_addr addr;
};

struct uprobe_targets {
	struct world *w;
	struct uprobe_target *v;
	int nr, cap;
};

static int uprobe_collect(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, void *arg)
{
	struct uprobe_targets *t = arg;

	if (!is_cow_mapping(vma->vm_flags) || (vma->vm_flags & VM_HUGETLB))
		return 0;
	PL_ARRAY_PUSH_ROOM(w, t->v, t->nr, t->cap, 8);
	t->v[t->nr].pid = pl_mm_pid(w, mm);
	t->v[t->nr].addr = addr;
	t->nr++;
	return 0;
}

/*
 * build_map_info(): where the probe goes.  Collected first, acted on later
 * by pid and address: GUP may fault and "sleep", and the mm must be looked
 * up again afterwards.
 */
static int uprobe_targets(struct world *w, int file, uint32_t index, struct uprobe_targets *t)
{
	struct pl_file *f = pl_file_get(w, file);

	memset(t, 0, sizeof(*t));
	t->w = w;
	if (!f)
		return -EBADF;
	if (index >= f->nr_pages || f->fs == PL_FS_HUGETLBFS)
		return -EINVAL;
	rmap_walk_file(w, file, index, uprobe_collect, t);
	return 0;
}

/* The mm and vma of one target, if the probed file page is still mapped there. */
static struct vm_area_struct *uprobe_vma(struct world *w, const struct uprobe_target *t, int file,
					 struct mm_struct **mmp)
{
	struct mm_struct *mm = pl_mm_of(w, t->pid);
	struct vm_area_struct *vma = mm ? vma_lookup(mm, t->addr) : NULL;

	if (!vma || vma->file != file || !is_cow_mapping(vma->vm_flags))
		return NULL;
	*mmp = mm;
	return vma;
}

static void uprobe_anon_vma_prepare(struct world *w, struct vm_area_struct *vma)
{
	if (!vma->anon_vma)
		vma->anon_vma = ++w->next_anon_vma;
}

/*
 * __replace_page(): under the PTL, if the PTE still maps @old_pfn, map
 * @nf read-only instead (or nothing, when @nf is NULL) and drop the old
 * page's mapping.  Return: 0, or -EAGAIN if the PTE changed.
 */
static int __replace_page(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, pl_pfn old_pfn, struct folio *nf)
{
	struct pl_lock *ptl = pl_pte_lockptr(mm, addr);
	pte_t *ptep = pl_pte_lookup(mm, addr);
	struct page *old_page = pfn_to_page(w, old_pfn);
	struct folio *old = page_folio(w, old_page);
	pte_t pte;

	if (!ptep || !ptl)
		return -EAGAIN;
	pl_spin_lock(w, ptl);
	pte = pl_ptep_get(w, ptep);
	if (!pte_present(pte) || pte_pfn(pte) != old_pfn) {
		pl_spin_unlock(w, ptl);
		return -EAGAIN;
	}
	if (!nf) {
		/* unregister, contents identical to the file: map nothing */
		zap_pte(w, mm, vma, addr, ptep);
		pl_spin_unlock(w, ptl);
		return 0;
	}
	uprobe_anon_vma_prepare(w, vma);
	/* the allocation's reference becomes the new mapping's */
	folio_add_new_anon_rmap(w, nf, vma, addr, true, false);
	pl_set_pte(w, ptep, pl_mk_pte(vma, folio_pfn(nf), false));	/* vm_page_prot: R/O */
	folio_remove_rmap_pte(w, old, old_page, vma);
	pl_spin_unlock(w, ptl);
	if (folio_test_anon(old) && folio_mapcount(old) == 0)
		folio_free_swap(w, old);
	folio_put(w, old);		/* the old mapping's reference */
	return 0;
}

/* uprobe_write_opcode(), old style: copy, poke, replace. */
static int uprobe_replace(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, pl_token tok)
{
	for (int tries = 0; tries < 4; tries++) {
		struct folio *old, *nf;
		pl_pfn old_pfn;
		bool pinned;
		int ret;

		if (get_user_pages(w, mm, addr, 1, FOLL_FORCE | FOLL_REMOTE, &old_pfn) != 1)
			return -EFAULT;
		pl_yield(w, YIELD_UPROBE_REPLACE);
		vma = vma_lookup(mm, addr);
		if (!vma) {
			put_page(w, old_pfn);
			return -EFAULT;
		}
		old = pfn_folio(w, old_pfn);
		nf = folio_alloc(w, 0);
		if (!nf) {
			put_page(w, old_pfn);
			return -ENOMEM;
		}
		/* copy_highpage() + copy_to_page(): the breakpoint is the whole model page */
		folio_page(nf, 0)->token = dma_read_page(w, old_pfn);
		folio_page(nf, 0)->token = tok;
		pinned = folio_maybe_dma_pinned(old);
		ret = __replace_page(w, mm, vma, addr, old_pfn, nf);
		if (ret) {
			folio_put(w, nf);
			put_page(w, old_pfn);
			continue;
		}
		pl_event_emit(w, PL_EV_REPLACE, "__replace_page", "uprobes_write_in_place=false",
			      addr, old_pfn, folio_pfn(nf), "breakpoint \"%s\" in a new anon page%s",
			      pl_token_text(w, tok),
			      pinned ? "; the old page was maybe pinned: its pin now maps nothing" : "");
		put_page(w, old_pfn);
		return 0;
	}
	return -EAGAIN;
}

/*
 * uprobe_write() (2025): a forced write GUP makes the page ours, then
 * __uprobe_write_opcode() writes in place under the PTL -- only into a
 * writable PTE or an exclusive anon page without uffd-wp.
 */
static int uprobe_write_in_place(struct world *w, struct mm_struct *mm, pl_addr addr, pl_token tok,
				 bool *pinned)
{
	for (int tries = 0; tries < 4; tries++) {
		struct pl_lock *ptl;
		struct folio *f;
		struct page *p;
		pte_t *ptep;
		pl_pfn pfn;
		pte_t pte;

		if (get_user_pages(w, mm, addr, 1,
				   FOLL_FORCE | FOLL_WRITE | FOLL_SPLIT_PMD | FOLL_REMOTE, &pfn) != 1)
			return -EFAULT;
		p = pfn_to_page(w, pfn);
		f = page_folio(w, p);
		ptl = pl_pte_lockptr(mm, addr);
		ptep = pl_pte_lookup(mm, addr);
		if (!ptl || !ptep) {
			put_page(w, pfn);
			continue;
		}
		pl_spin_lock(w, ptl);
		pte = pl_ptep_get(w, ptep);
		if (!pte_present(pte) || pte_pfn(pte) != pfn) {
			pl_spin_unlock(w, ptl);
			put_page(w, pfn);
			continue;
		}
		if (!folio_test_anon(f) || folio_test_zero(f) || pte_uffd_wp(pte) ||
		    (!pte_write(pte) && w->policy.anon_exclusive && !pl_page_anon_exclusive_bit(w, p))) {
			pl_spin_unlock(w, ptl);
			put_page(w, pfn);
			return -EAGAIN;
		}
		pl_set_pte(w, ptep, 0);		/* ptep_clear_flush() */
		pl_page_write(w, p, tok, false);
		pl_set_pte(w, ptep, pte_mkdirty(pte));
		pl_spin_unlock(w, ptl);
		if (pinned)
			*pinned = folio_maybe_dma_pinned(f);
		pl_event_emit(w, PL_EV_REPLACE, "__uprobe_write_opcode", "uprobes_write_in_place=true",
			      addr, pfn, pfn, "\"%s\" written in place", pl_token_text(w, tok));
		put_page(w, pfn);
		return 0;
	}
	return -EAGAIN;
}


/* The page currently mapped at addr, if it is a present anon page (peek under the PTL). */
static bool uprobe_mapped_anon(struct world *w, struct mm_struct *mm, pl_addr addr, pl_pfn *pfn)
{
	struct pl_lock *ptl;
	pte_t *ptep = pte_offset_map_lock(w, mm, addr, &ptl);
	bool anon = false;
	pte_t pte;

	if (!ptep)
		return false;
	pte = pl_ptep_get(w, ptep);
	if (pte_present(pte) && !pte_special(pte) && !pl_is_zero_pfn(w, pte_pfn(pte))) {
		*pfn = pte_pfn(pte);
		anon = folio_test_anon(pfn_folio(w, *pfn));
	}
	pl_spin_unlock(w, ptl);
	return anon;
}

/*
 * 2025 unregister: write the original back in place, then zap the anon
 * page if it now equals the file and nobody but the mapping holds it, so the
 * next fault maps the page cache again.  A pinned page stays (and stays
 * coherent).
 */
static int uprobe_restore_in_place(struct world *w, struct mm_struct *mm,
				   struct vm_area_struct *vma, pl_addr addr, pl_token orig)
{
	struct pl_lock *ptl;
	pte_t *ptep;
	pl_pfn pfn;
	int ret;

	if (!uprobe_mapped_anon(w, mm, addr, &pfn))
		return -ENOENT;		/* the page cache is mapped: no breakpoint here */
	if (pl_page_token(w, pfn_to_page(w, pfn)) != orig) {
		ret = uprobe_write_in_place(w, mm, addr, orig, NULL);
		if (ret)
			return ret;
	}
	if (!uprobe_mapped_anon(w, mm, addr, &pfn))
		return 0;
	ptl = pl_pte_lockptr(mm, addr);
	ptep = pl_pte_lookup(mm, addr);
	if (!ptl || !ptep)
		return 0;
	pl_spin_lock(w, ptl);
	{
		struct folio *f = pfn_folio(w, pfn);
		pte_t pte = pl_ptep_get(w, ptep);

		if (pte_present(pte) && pte_pfn(pte) == pfn && !folio_test_large(f) &&
		    !folio_test_swapcache(f) && folio_mapcount(f) == 1 &&
		    folio_ref_count(w, f) == 1 && pl_page_token(w, pfn_to_page(w, pfn)) == orig)
			zap_pte(w, mm, vma, addr, ptep);
	}
	pl_spin_unlock(w, ptl);
	return 0;
}

/* Old unregister: the restored copy equals the page cache, so replace it by nothing. */
static int uprobe_restore_replace(struct world *w, struct mm_struct *mm,
				  struct vm_area_struct *vma, pl_addr addr, pl_token orig)
{
	for (int tries = 0; tries < 4; tries++) {
		pl_pfn pfn;
		int ret;

		if (get_user_pages(w, mm, addr, 1, FOLL_FORCE | FOLL_REMOTE, &pfn) != 1)
			return -EFAULT;
		/* verify_opcode(): nothing to undo on the page cache or an original copy */
		if (!folio_test_anon(pfn_folio(w, pfn)) || dma_read_page(w, pfn) == orig) {
			put_page(w, pfn);
			return -ENOENT;
		}
		ret = __replace_page(w, mm, vma, addr, pfn, NULL);
		if (!ret)
			pl_event_emit(w, PL_EV_REPLACE, "__replace_page",
				      "uprobes_write_in_place=false", addr, pfn, 0,
				      "breakpoint removed: the page cache will be mapped again");
		put_page(w, pfn);
		if (ret != -EAGAIN)
			return ret;
	}
	return -EAGAIN;
}

/*
 * register_for_each_vma(): install (@is_register, breakpoint @tok) or
 * remove the breakpoint at page @index of @file in every mapping of it;
 * returns how many mappings were patched or restored, or -EBADF / -EINVAL.
 */
static int register_for_each_vma(struct world *w, int file, uint32_t index, bool is_register,
				 pl_token tok)
{
	struct uprobe_targets t;
	int done = 0;
	int ret = uprobe_targets(w, file, index, &t);

	if (ret)
		return ret;
	for (int i = 0; i < t.nr; i++) {
		struct mm_struct *mm;
		struct vm_area_struct *vma = uprobe_vma(w, &t.v[i], file, &mm);
		pl_token orig;

		if (!vma)
			continue;
		if (is_register) {	/* install_breakpoint() */
			if (w->policy.uprobes_write_in_place)
				ret = uprobe_write_in_place(w, mm, t.v[i].addr, tok, NULL);
			else
				ret = uprobe_replace(w, mm, vma, t.v[i].addr, tok);
		} else {		/* remove_breakpoint(): the original from the file */
			if (pl_file_read(w, file, index, &orig))
				continue;
			if (w->policy.uprobes_write_in_place)
				ret = uprobe_restore_in_place(w, mm, vma, t.v[i].addr, orig);
			else
				ret = uprobe_restore_replace(w, mm, vma, t.v[i].addr, orig);
		}
		done += ret == 0;
	}
	free(t.v);
	return done;
}

/**
 * pl_uprobe_register() - install breakpoint @tok at page @index of @file.
 * Return: the number of mappings patched, or -EBADF / -EINVAL.
 */
int pl_uprobe_register(struct world *w, int file, uint32_t index, pl_token tok)
{
	return register_for_each_vma(w, file, index, true, tok);
}

/**
 * pl_uprobe_unregister() - remove the breakpoint at page @index of @file.
 * Return: the number of mappings restored, or -EBADF / -EINVAL.
 */
int pl_uprobe_unregister(struct world *w, int file, uint32_t index)
{
	return register_for_each_vma(w, file, index, false, 0);
}

