/*
 * check_mm.c - the invariants of one mm (check_internal.h): its VMA list,
 * and every present and swap entry of its page tables, tallied per pfn for
 * the folio rules (check_folio.c) and per swap slot (check_refs.c).
 */
#include "check_internal.h"

/* ---------------------------------------------------------------------------
 * Page tables.
 */

/*
 * vma-list-sane: every vma is [start, end) with start < end, both page
 * aligned and below TASK_SIZE, and the list is sorted without overlaps --
 * the shape every lookup (find_vma) relies on.  A hugetlb vma records its
 * page order (9 or 18, 0 for any other vma) and starts and ends on that
 * page size: its pages are mapped whole by one leaf, never cut.
 */
static void chk_vmas(struct chk *c, const struct mm_struct *mm)
{
	if (mm->nr_vmas < 0 || mm->nr_vmas > mm->cap_vmas || (mm->nr_vmas && !mm->vmas)) {
		chk_report(c, "vma-list-sane", c->pid, 0, 0, "nr_vmas %d, cap %d", mm->nr_vmas,
			   mm->cap_vmas);
		return;
	}
	for (int i = 0; i < mm->nr_vmas; i++) {
		const struct vm_area_struct *v = &mm->vmas[i];

		if (v->vm_start >= v->vm_end || (v->vm_start | v->vm_end) & ~PAGE_MASK ||
		    v->vm_end > PL_TASK_SIZE)
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "vma %d is [%#llx, %#llx)", i, (unsigned long long)v->vm_start,
				   (unsigned long long)v->vm_end);
		else if (i && mm->vmas[i - 1].vm_end > v->vm_start)
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "vma %d starts at %#llx, before the previous one ends", i,
				   (unsigned long long)v->vm_start);
		if ((v->vm_flags & VM_HUGETLB) ? (v->hugetlb_order != HPAGE_PMD_ORDER &&
						  v->hugetlb_order != HPAGE_PUD_ORDER)
					       : v->hugetlb_order != 0)
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "vma %d: hugetlb order %u%s", i, (unsigned)v->hugetlb_order,
				   (v->vm_flags & VM_HUGETLB) ? "" : " without VM_HUGETLB");
		else if ((v->vm_flags & VM_HUGETLB) &&
			 ((v->vm_start | v->vm_end) & ((PAGE_SIZE << v->hugetlb_order) - 1)))
			chk_report(c, "vma-list-sane", c->pid, v->vm_start, 0,
				   "hugetlb vma %d [%#llx, %#llx) cuts its %llu KiB pages", i,
				   (unsigned long long)v->vm_start, (unsigned long long)v->vm_end,
				   (unsigned long long)(PAGE_SIZE << v->hugetlb_order) >> 10);
	}
}

/*
 * Checks shared by PTEs and PMD/PUD leaves mapping page pfn of folio head h.
 * @lvl: "PTE", or "PMD"/"PUD" for a leaf mapping the whole folio.
 */
static void chk_mapping(struct chk *c, const struct vm_area_struct *vma, pl_addr addr,
			pte_t e, const struct page *h, pl_pfn head, pl_pfn pfn, const char *lvl)
{
	const struct world *w = c->w;
	bool anon = (h->flags & (PG_anon | PG_ksm)) != 0;
	bool pmd = lvl[1] != 'T';	/* "PMD" or "PUD", not "PTE" (no strcmp() per PTE) */
	unsigned nr = pmd ? 1u << h->order : 1, first = pmd ? 0 : pfn - head;

	/*
	 * writable-needs-vm-write: a PTE or PMD is writable only inside a
	 * VM_WRITE vma.  maybe_mkwrite() asks the vma, and mprotect(-W)
	 * write-protects every entry of the range.
	 */
	if (pte_write(e) && !(vma->vm_flags & VM_WRITE))
		chk_report(c, "writable-needs-vm-write", c->pid, addr, pfn,
			   "writable %s in a vma without VM_WRITE", lvl);

	/*
	 * pte-matches-vma: a private anonymous vma maps anon pages only; a file
	 * vma maps its own file's page-cache page for the offset the address
	 * stands for (vm_pgoff + page offset), or -- in a COW mapping only -- an
	 * anon copy made by a write fault.  A shared file vma never maps anon
	 * pages.  Shared anonymous vmas are shmem inside and are not checked.
	 */
	if (vma->file < 0) {
		if (!(vma->vm_flags & VM_SHARED) && !anon)
			chk_report(c, "pte-matches-vma", c->pid, addr, pfn,
				   "anonymous vma maps a non-anon folio (mapping %u)", h->mapping);
	} else if (anon) {
		if (!is_cow_mapping(vma->vm_flags))
			chk_report(c, "pte-matches-vma", c->pid, addr, pfn,
				   "shared file vma maps an anon folio");
	} else if (!(h->flags & PG_zero)) {
		uint64_t idx = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);

		if (h->mapping != (uint32_t)vma->file + 1 || (uint64_t)h->index + first != idx)
			chk_report(c, "pte-matches-vma", c->pid, addr, pfn,
				   "file %d index %llu maps folio of mapping %u index %u",
				   vma->file, (unsigned long long)idx, h->mapping,
				   h->index + first);
	}

	if (!pte_write(e))
		return;

	/*
	 * private-writable-is-anon: in a COW mapping a writable entry maps an
	 * anonymous page.  A write fault on a page-cache page copies it first
	 * (do_wp_page -> wp_page_copy, do_cow_fault); a writable page-cache
	 * page in a private mapping would let the process modify the file.
	 */
	if (is_cow_mapping(vma->vm_flags) && !anon)
		chk_report(c, "private-writable-is-anon", c->pid, addr, pfn,
			   "writable %s maps a page-cache folio in a private mapping",
			   lvl);

	/*
	 * writable-anon-exclusive (PG_anon_exclusive eras): a writable entry
	 * mapping an anon page implies the page is exclusive.  Reuse sets the
	 * bit before making the PTE writable, fork clears it only after
	 * write-protecting, and mprotect(+W) makes only exclusive pages
	 * writable (can_change_pte_writable).
	 */
	if (w->policy.anon_exclusive && anon) {
		/* hugetlb: the head's bit stands for every page, so one look will do */
		if (h->flags & PG_hugetlb)
			nr = 1;
		for (unsigned i = first; i < first + nr; i++) {
			if (PageAnonExclusive(excl_page(h, i)))
				continue;
			chk_report(c, "writable-anon-exclusive", c->pid, addr, head + i,
				   "writable %s maps anon page %u of the folio, not exclusive",
				   lvl, i);
			break;
		}
	}

	/*
	 * shared-writable-dirty: in a shared mapping of a filesystem that tracks
	 * dirty pages (ext4), a writable entry maps a dirty folio.  Such
	 * mappings start write-protected; the write fault runs page_mkwrite and
	 * dirties the folio, and writeback write-protects every PTE
	 * (folio_mkclean) before it cleans the folio.  A writable PTE on a
	 * clean folio means writes the filesystem will never hear of.
	 */
	if ((vma->vm_flags & VM_SHARED) && !anon && !(h->flags & PG_dirty)) {
		struct pl_file *f = pl_file_get(w, vma->file);

		if (f && f->fs == PL_FS_EXT4)
			chk_report(c, "shared-writable-dirty", c->pid, addr, pfn,
				   "writable PTE on a clean ext4 folio (file %d)", vma->file);
	}
}

/*
 * zero-page-readonly: the shared zero page and the huge zero page are
 * mapped read-only (and special) everywhere; a write fault replaces them.
 * Checked here for the mappings, in chk_folio() for the flags.
 */
static void chk_zero_mapping(struct chk *c, pl_addr addr, pte_t e, pl_pfn pfn)
{
	if (pte_write(e))
		chk_report(c, "zero-page-readonly", c->pid, addr, pfn,
			   "the zero page is mapped writable");
}

/*
 * The vma of @addr in the list the walk reads (chk_vma_in()), starting from
 * the last one found: in a sorted list only one vma holds an address.
 */
static const struct vm_area_struct *chk_vma_c(struct chk *c, pl_addr addr)
{
	const struct vm_area_struct *v = c->vhint;

	if (v && addr >= v->vm_start && addr < v->vm_end)
		return v;
	v = chk_vma_in(c->vmas, c->nr_vmas, c->cap_vmas, addr);
	if (c->vsorted)
		c->vhint = v;
	return v;
}

static void chk_pte(struct chk *c, pl_addr addr, pte_t pte)
{
	struct world *w = c->w;
	const struct vm_area_struct *vma = chk_vma_c(c, addr);
	struct page *h;
	pl_pfn pfn, head;

	/*
	 * pte-outside-vma: every non-empty PTE or PMD lies inside a vma.
	 * munmap zaps the range before it drops the vma, so an entry outside
	 * all vmas is a mapping nobody can ever unmap again.
	 */
	if (!vma)
		chk_report(c, "pte-outside-vma", c->pid, addr, pte_pfn(pte),
			   "PTE %#llx outside every vma", (unsigned long long)pte);

	if (is_swap_pte(pte)) {
		uint32_t slot = pte_swp_offset(pte);

		if (slot >= w->nr_swap) {
			chk_report(c, "swapcache-consistent", c->pid, addr, 0,
				   "swap PTE names slot %u of %u", slot, w->nr_swap);
			return;
		}
		chk_add(c, slot, CHK_R_SWAP | (pte_swp_exclusive(pte) ? CHK_R_SWAPX : 0));
		/* swp-exclusive-unmapped (stated in chk_swap()) */
		if (pte_swp_exclusive(pte) && !w->policy.swp_exclusive)
			chk_report(c, "swp-exclusive-unmapped", c->pid, addr, 0,
				   "swp_exclusive set on slot %u in an era without it", slot);
		return;
	}
	/*
	 * A migration entry (migrate.c) exists only while its folio is locked
	 * and isolated by a migration in progress: it holds no mapcount and no
	 * reference, like the kernel's.
	 */
	if (is_migration_entry(pte))
		return;
	/* pgtable-well-formed (stated in chk_mm()) */
	if (!pte_present(pte)) {
		chk_report(c, "pgtable-well-formed", c->pid, addr, 0,
			   "PTE %#llx is neither present nor a swap entry",
			   (unsigned long long)pte);
		return;
	}
	pfn = pte_pfn(pte);
	if (vma_is_rawpfn(vma) && (pte_special(pte) || pfn >= w->next_pfn)) {
		/*
		 * remap_pfn_range(): no struct page rules.  Past the memmap
		 * only while it is not grown that far: a record holding such a
		 * PTE cannot be taken back out by reading it again, so every
		 * scan walks every mm while one is mapped (check_inc.c).
		 */
		if (!pte_special(pte))
			w->chk_stale = true;
		return;
	}
	if (chk_is_zero(w, pfn)) {
		chk_zero_mapping(c, addr, pte, pfn);
		return;
	}
	if (pte_special(pte))
		return;
	/*
	 * no-free-mapped: a PTE or PMD never maps a free page, a pfn outside
	 * the memmap, or a folio whose refcount reached 0.  Each mapping holds a
	 * reference, and pages are freed only after the PTE is cleared and the
	 * TLB flushed; anything else is a use-after-free.
	 */
	h = chk_head(w, pfn, &head);
	if (!h) {
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "PTE maps a free or invalid pfn");
		return;
	}
	if (h->_refcount == 0)
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "PTE maps a folio with refcount 0");
	if (pfn == head) {
		chk_add(c, pfn, CHK_R_PTE | CHK_R_FPTE | (pte_write(pte) ? CHK_R_WPTE : 0) |
			(pte_dirty(pte) ? CHK_R_DMAP : 0));
	} else {
		chk_add(c, pfn, CHK_R_PTE | (pte_write(pte) ? CHK_R_WPTE : 0));
		chk_add(c, head, CHK_R_FPTE | (pte_dirty(pte) ? CHK_R_DMAP : 0));
	}
	if (vma && !c->quiet)
		chk_mapping(c, vma, addr, pte, h, head, pfn, "PTE");
}

/* A PMD leaf (pud == false) or a PUD leaf: both map a whole folio once. */
static void chk_pmd(struct chk *c, pl_addr addr, pmd_t pmd, bool pud)
{
	struct world *w = c->w;
	const struct vm_area_struct *vma = chk_vma_c(c, addr);
	const char *lvl = pud ? "PUD" : "PMD";
	unsigned order = pud ? HPAGE_PUD_ORDER : HPAGE_PMD_ORDER;
	uint64_t size = PAGE_SIZE << order;
	struct page *h;
	pl_pfn pfn, head;

	if (!vma)	/* pte-outside-vma (stated in chk_pte()) */
		chk_report(c, "pte-outside-vma", c->pid, addr, pte_pfn(pmd),
			   "%s leaf %#llx outside every vma", lvl, (unsigned long long)pmd);
	if (!pte_present(pmd)) {
		chk_report(c, "pgtable-well-formed", c->pid, addr, 0,
			   "%s leaf %#llx is not present", lvl, (unsigned long long)pmd);
		return;
	}
	pfn = pte_pfn(pmd);
	if (vma_is_rawpfn(vma))
		return;
	if (chk_is_zero(w, pfn)) {
		chk_zero_mapping(c, addr, pmd, pfn);
		return;
	}
	if (pte_special(pmd))
		return;
	h = chk_head(w, pfn, &head);
	if (!h) {	/* no-free-mapped (stated in chk_pte()) */
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "%s maps a free or invalid pfn", lvl);
		return;
	}
	if (h->_refcount == 0)
		chk_report(c, "no-free-mapped", c->pid, addr, pfn,
			   "%s maps a folio with refcount 0", lvl);
	/*
	 * pmd-maps-pmd-folio: a PMD leaf maps exactly one naturally aligned
	 * order-9 folio, starting at its head, and its 2 MiB lie inside one
	 * vma (THP and hugetlb are only PMD-mapped where the vma covers the
	 * whole range; a partial munmap/mprotect splits the PMD first).  A
	 * PUD leaf likewise maps a whole order-18 folio -- only a 1 GiB hugetlb
	 * page, in a hugetlb vma of that order, since nothing else is PUD-mapped
	 * and hugetlb leaves are never split.
	 */
	if (pfn != head || h->order != order)
		chk_report(c, "pmd-maps-pmd-folio", c->pid, addr, pfn,
			   "%s leaf maps pfn %u of a folio of order %u at %u", lvl, pfn,
			   (unsigned)h->order, head);
	if (vma && (addr < vma->vm_start || addr + size > vma->vm_end))
		chk_report(c, "pmd-maps-pmd-folio", c->pid, addr, pfn,
			   "%s leaf crosses the end of its vma", lvl);
	if (vma && pud && (!(vma->vm_flags & VM_HUGETLB) || vma->hugetlb_order != order ||
			   !(h->flags & PG_hugetlb)))
		chk_report(c, "pmd-maps-pmd-folio", c->pid, addr, pfn,
			   "PUD leaf outside a 1 GiB hugetlb vma, or of a non-hugetlb folio");
	chk_add(c, head, CHK_R_PMD | (pte_write(pmd) ? CHK_R_WPMD : 0) |
		(pte_dirty(pmd) ? CHK_R_DMAP : 0));
	if (vma && pfn == head && h->order == order && !c->quiet)
		chk_mapping(c, vma, addr, pmd, h, head, pfn, lvl);
}

/*
 * The first slot from i on that a walk of a table reads: every slot in
 * --check=full, else only those pgtable.c ever handed out (struct pl_dir
 * ->used): a slot never handed out is still empty.
 */
static unsigned next_slot(const struct chk *c, const uint64_t *used, unsigned i)
{
	return c->w->check_full ? i : pl_dir_next_used(used, i);
}

static void chk_ptes(struct chk *c, pl_addr base, const struct pl_ptetab *tab)
{
	for (unsigned l = next_slot(c, tab->used, 0); l < PTRS_PER_TABLE;
	     l = next_slot(c, tab->used, l + 1))
		if (!pte_none(tab->pte[l]))
			chk_pte(c, base | ((pl_addr)l << PAGE_SHIFT), tab->pte[l]);
}

/* Take one entry of a record back out of the totals: what it added, negated. */
static void chk_sub(struct chk *c, pl_addr addr, uint64_t e, int level)
{
	const struct vm_area_struct *vmas = c->vmas;
	int nr = c->nr_vmas, cap = c->cap_vmas;
	bool quiet = c->quiet, sorted = c->vsorted;

	if (c->diff)	/* read against the VMA list the entry was tallied with */
		chk_set_vmas(c, c->rec->vmas, c->rec->nr_vmas, c->rec->nr_vmas,
			     c->rec->vmas_sorted);
	c->quiet = true;
	c->sign = -1;
	if (level)
		chk_pmd(c, addr, e, level == 2);
	else
		chk_pte(c, addr, e);
	c->sign = 1;
	c->quiet = quiet;
	if (c->diff)
		chk_set_vmas(c, vmas, nr, cap, sorted);
}

/* Take a unit of a record (check_inc.c) back out of the totals. */
void chk_unit_sub(struct chk *c, const struct chk_unit *u)
{
	pl_addr base = u->key >> 1;

	if (u->leaf)
		chk_sub(c, base, u->leaf, (u->key & 1) ? 1 : 2);
	for (unsigned l = u->lo; u->pte && l < u->hi; l++)
		if (!pte_none(u->pte[l - u->lo]))
			chk_sub(c, base | ((pl_addr)l << PAGE_SHIFT), u->pte[l - u->lo], 0);
}

/* The slots [*lo, *hi) of a table between the first and the last it handed out. */
static void table_span(const uint64_t *used, unsigned *lo, unsigned *hi)
{
	int a = 0, b = PTRS_PER_TABLE / 64 - 1;

	while (a <= b && !used[a])
		a++;
	while (b >= a && !used[b])
		b--;
	if (a > b) {
		*lo = *hi = 0;
		return;
	}
	*lo = (unsigned)a * 64 + (unsigned)__builtin_ctzll(used[a]);
	*hi = (unsigned)b * 64 + 64 - (unsigned)__builtin_clzll(used[b]);
}

/*
 * One pmd slot (@pud: one PUD leaf) at @base: its leaf and its PTE table.
 * A walk that records (c->rec) keeps a copy; one that diffs (c->diff)
 * reads only the entries that differ from the copy its last walk kept,
 * taking the old entry out of the totals and tallying the new one: an
 * entry equal to the copy, under the same VMA list and the same folios
 * (check_inc.c), adds what it added then and reports nothing, as then.
 */
static void chk_unit(struct chk *c, pl_addr base, bool pud, uint64_t leaf,
		     const struct pl_ptetab *tab)
{
	uint64_t key = base << 1 | (pud ? 0 : 1);
	unsigned lo = 0, hi = 0;
	struct chk_unit *o;
	bool same = false, vmas_same;

	if (!c->rec) {
		if (leaf)
			chk_pmd(c, base, leaf, pud);
		if (tab)
			chk_ptes(c, base, tab);
		return;
	}
	o = c->diff ? chk_unit_old(c, key) : NULL;
	/* other VMAs over its range: each entry is read again where its own vma changed */
	vmas_same = !o || chk_unit_vmas_same(c, key);
	if (!o || o->leaf != leaf || !vmas_same) {
		if (o && o->leaf)
			chk_sub(c, base, o->leaf, pud ? 2 : 1);
		if (leaf)
			chk_pmd(c, base, leaf, pud);
	}
	if (tab)
		table_span(tab->used, &lo, &hi);
	if (tab && o && o->pte) {
		/* the copy holds slots [o->lo, o->hi); the table's other slots stayed empty */
		unsigned from = PL_MIN(lo, o->lo), to = PL_MAX(hi, o->hi);

		same = lo == o->lo && hi == o->hi &&
		       !memcmp(o->pte, tab->pte + lo, (hi - lo) * sizeof(*o->pte));
		for (unsigned l = from; (!same || !vmas_same) && l < to; l++) {
			pl_addr addr = base | ((pl_addr)l << PAGE_SHIFT);
			pte_t oe = l >= o->lo && l < o->hi ? o->pte[l - o->lo] : 0;
			pte_t ne = l >= lo && l < hi ? tab->pte[l] : 0;

			if (oe == ne && (vmas_same || pte_none(oe) || chk_vma_same_at(c, addr)))
				continue;
			if (!pte_none(oe))
				chk_sub(c, addr, oe, 0);
			if (!pte_none(ne))
				chk_pte(c, addr, ne);
		}
	} else if (tab) {
		chk_ptes(c, base, tab);
	} else if (o && o->pte) {
		for (unsigned l = o->lo; l < o->hi; l++)
			if (!pte_none(o->pte[l - o->lo]))
				chk_sub(c, base | ((pl_addr)l << PAGE_SHIFT), o->pte[l - o->lo], 0);
	}
	chk_unit_keep(c, key, leaf, tab ? tab->pte : NULL, lo, hi, o, same);
}

/* Walk every table of one mm directly, so entries outside vmas are seen too. */
void chk_mm(struct chk *c, struct mm_struct *mm, int pid)
{
	const struct pl_dir *pgd = mm->pgd;

	c->mm = mm;
	c->pid = pid;
	chk_set_vmas(c, mm->vmas, mm->nr_vmas, mm->cap_vmas,
		     chk_vmas_sorted(mm->vmas, mm->nr_vmas, mm->cap_vmas));
	c->sign = 1;
	chk_vmas(c, mm);
	if (!pgd)
		return;
	for (unsigned i = next_slot(c, pgd->used, 0); i < PTRS_PER_TABLE;
	     i = next_slot(c, pgd->used, i + 1)) {
		const struct pl_dir *pud = pgd->next[i];

		if (!pud)
			continue;
		for (unsigned j = next_slot(c, pud->used, 0); j < PTRS_PER_TABLE;
		     j = next_slot(c, pud->used, j + 1)) {
			const struct pl_dir *pmd = pud->next[j];
			pl_addr pud_base = ((pl_addr)i << 39) | ((pl_addr)j << PUD_SHIFT);
			pud_t pe = pud->e[j];

			/* pgtable-well-formed, the pud level: a pmd table or a PUD leaf */
			if ((pe && pmd) || (pe && !pud_leaf(pe)))
				chk_report(c, "pgtable-well-formed", pid, pud_base, 0,
					   "pud slot holds %#llx and %s table",
					   (unsigned long long)pe, pmd ? "a" : "no");
			if (pe && pud_leaf(pe))
				chk_unit(c, pud_base, true, pe, NULL);
			if (!pmd)
				continue;
			if (pmd->pt_share_count) {
				const struct vm_area_struct *v = chk_vma(mm, pud_base);

				/*
				 * pmd-share-aligned: a pmd table hangs under
				 * several pud slots only where each mm has one
				 * MAP_SHARED 2 MiB hugetlb vma over the whole
				 * PUD range (want_pmd_share(), hugetlb_split()).
				 */
				if (!v || !pl_want_pmd_share(c->w, v, pud_base))
					chk_report(c, "pmd-share-aligned", pid, pud_base, 0,
						   "a shared pmd table under %s",
						   v ? "a vma that may not share it"
						     : "no vma");
				/* its entries count once, for the first mm that walks it */
				if (pmd->chk_scan == c->w->check_scan)
					continue;
				((struct pl_dir *)pmd)->chk_scan = c->w->check_scan;
			}
			for (unsigned k = next_slot(c, pmd->used, 0); k < PTRS_PER_TABLE;
			     k = next_slot(c, pmd->used, k + 1)) {
				pl_addr base = ((pl_addr)i << 39) | ((pl_addr)j << 30) |
					       ((pl_addr)k << PMD_SHIFT);
				const struct pl_ptetab *tab = pmd->next[k];
				pmd_t e = pmd->e[k];

				/*
				 * pgtable-well-formed: a pmd slot holds a PTE
				 * table, a PMD leaf or nothing -- never both,
				 * never a non-leaf value -- and a PTE is empty,
				 * present (or PROT_NONE) or a swap entry; the
				 * model has no migration or device entries.
				 * Every walker, GUP-fast first, assumes both.
				 */
				if ((e && tab) || (e && !pmd_leaf(e)))
					chk_report(c, "pgtable-well-formed", pid, base, 0,
						   "pmd slot holds %#llx and %s table",
						   (unsigned long long)e, tab ? "a" : "no");
				if ((e && pmd_leaf(e)) || tab)
					chk_unit(c, base, false, (e && pmd_leaf(e)) ? e : 0, tab);
			}
		}
	}
}
