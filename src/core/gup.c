/*
 * get_user_pages(): the slow path, GUP-fast, and release.
 *
 * "grab" in this file means: look at the flags to decide FOLL_PIN vs FOLL_GET.
 *
 *   FOLL_GET:  +1 refcount; release with put_page().
 *   FOLL_PIN:  small folio +1024 (GUP_PIN_COUNTING_BIAS), large folio +1 and
 *              _pincount +1; release with unpin_user_page*().  The zero page
 *              is never counted (c8070b787519, knob zero_page_never_pinned).
 *   Before FOLL_PIN existed (knob foll_pin=false) every pin is a GET.
 *
 * The slow path (__get_user_pages) loops
 *
 *      follow_page_mask() --NULL / -EMLINK--> faultin_page() --> retry
 *
 * until the lookup succeeds under the PTL: GUP never trusts a fault, and never
 * drops its write intent.  Before 19be0eaffa3a it did -- after a COW fault
 * on a vma without VM_WRITE it retried *without FOLL_WRITE* (knob dirty_cow);
 * a MADV_DONTNEED between the fault and the retry then let the retry find
 * the page-cache page and the "forced write" landed in the file: Dirty COW.
 *
 * GUP-fast walks the page tables with IRQs off and no locks:
 *
 *   read PTE -> checks -> grab (try-get; fails on a freed folio) -> full barrier
 *            -> re-read PMD and PTE: changed? put back and bail to the slow path
 *            -> R/O PTE and must unshare? put back and bail
 *
 * The re-check is what makes the lockless grab safe (seed 001: a page can be
 * unmapped and freed without an IPI the walker would block); knob
 * gup_fast_recheck_pte=false removes it to show why.  The re-read of the PMD
 * above a PTE is younger (70cbc3cc78a9, 6.0, knob gup_fast_recheck_pmd):
 * before it a THP collapse could copy a page GUP-fast had just grabbed.  FOLL_PIN GUP-fast also
 * backs off while fork write-protects the mm (write_protect_seq, 57efa1fe5957).
 *
 * Over 900 lines: the slow path, GUP-fast and release share the grab and
 * the flag rules, as they share mm/gup.c in the kernel; the batched paths
 * (a huge leaf in one grab, a folio's run unpinned at once) sit beside the
 * page-at-a-time ones they must match.  GUP-fast is the section to move to
 * a file of its own next.
 */
#include "internal.h"

/* is_valid_gup_args(): every flag rule in one place. */
static int gup_check_flags(unsigned flags)
{
	/* FOLL_GET and FOLL_PIN are mutually exclusive */
	if ((flags & FOLL_GET) && (flags & FOLL_PIN))
		return -EINVAL;
	/* FOLL_LONGTERM only with FOLL_PIN */
	if ((flags & FOLL_LONGTERM) && !(flags & FOLL_PIN))
		return -EINVAL;
	return 0;
}

/*
 * try_grab_folio(): take one GET or PIN reference on a folio known to be
 * alive (we hold the PTL).  The zero page is not counted for pins.
 */
static int try_grab_folio(struct world *w, struct folio *f, unsigned flags, struct mm_struct *mm)
{
	if (flags & FOLL_PIN) {
		if (folio_test_zero(f) && w->policy.zero_page_never_pinned)
			return 0;
		if (folio_has_pincount(f)) {
			folio_ref_add(w, f, 1);
			pl_atomic_add_int(w, &f->page._pincount, 1);
			pl_chk_mark_folio(w, f);
		} else {
			folio_ref_add(w, f, GUP_PIN_COUNTING_BIAS);
		}
	} else if (flags & FOLL_GET) {
		folio_ref_add(w, f, 1);
	} else {
		return 0;
	}
	pl_gup_ghost_add(w, f, flags, mm->id, 1);
	return 0;
}

/*
 * try_grab_folio() of @n subpages of one folio at once, as __get_user_pages()
 * does for the rest of a huge leaf (the kernel grabs page_increm - 1 more
 * references in one call since 57edfcfd3419, v6.1).  Only on the path no
 * explorer watches (gup_batch_ok()): the counters end the same as after @n
 * single grabs.
 */
static void try_grab_folio_refs(struct world *w, struct folio *f, unsigned flags,
				struct mm_struct *mm, int n)
{
	if (flags & FOLL_PIN) {
		if (folio_test_zero(f) && w->policy.zero_page_never_pinned)
			return;
		if (folio_has_pincount(f)) {
			folio_ref_add(w, f, n);
			pl_atomic_add_int(w, &f->page._pincount, n);
			pl_chk_mark_folio(w, f);
		} else {
			folio_ref_add(w, f, GUP_PIN_COUNTING_BIAS * n);
		}
	} else if (flags & FOLL_GET) {
		folio_ref_add(w, f, n);
	} else {
		return;
	}
	pl_gup_ghost_add(w, f, flags, mm->id, n);
}

/*
 * May GUP take the pages of a huge leaf, or release the pages of a folio,
 * in one step rather than page by page?  Only when nothing watches the
 * steps in between: no explorer (its sync and yield hooks see every lock
 * and atomic) and no event listener.  The state at the end is the same.
 * The ghost counters are 16 bits: a batch that would wrap them goes page by
 * page, so that the holder bookkeeping stays as it was.
 */
static bool gup_batch_ok(const struct world *w, const struct folio *f, unsigned n)
{
	return !w->hooks.sync && !w->hooks.yield && !w->on_event &&
	       (unsigned)f->page.gup_pins + f->page.gup_gets + n < 0x10000u;
}

/* pl_grab_folio(): one GET or PIN on a page-cache folio no mm maps for the taker (udmabuf). */
void pl_grab_folio(struct world *w, struct folio *f, unsigned flags)
{
	struct mm_struct none = { .id = 0 };

	try_grab_folio(w, f, flags, &none);
}

/* gup_put_folio(): undo one grab. */
static void gup_put_folio(struct world *w, struct folio *f, unsigned flags)
{
	if (flags & FOLL_PIN) {
		if (folio_test_zero(f) && w->policy.zero_page_never_pinned)
			return;
		pl_gup_ghost_sub(w, f, flags, 1);
		if (folio_has_pincount(f)) {
			pl_atomic_add_int(w, &f->page._pincount, -1);
			pl_chk_mark_folio(w, f);
			folio_put(w, f);
		} else {
			folio_put_refs(w, f, GUP_PIN_COUNTING_BIAS);
		}
	} else if (flags & FOLL_GET) {
		pl_gup_ghost_sub(w, f, flags, 1);
		folio_put(w, f);
	}
}

/*
 * gup_put_folio() @n times on one folio that holds at least @n of these
 * references beside the one that keeps it mapped (not the zero folio).
 */
static void gup_put_folio_refs(struct world *w, struct folio *f, unsigned flags, int n)
{
	if (flags & FOLL_PIN) {
		pl_gup_ghost_sub(w, f, flags, n);
		if (folio_has_pincount(f)) {
			pl_atomic_add_int(w, &f->page._pincount, -n);
			pl_chk_mark_folio(w, f);
			folio_put_refs(w, f, n);
		} else {
			folio_put_refs(w, f, GUP_PIN_COUNTING_BIAS * n);
		}
	} else if (flags & FOLL_GET) {
		pl_gup_ghost_sub(w, f, flags, n);
		folio_put_refs(w, f, n);
	}
}

/* Before FOLL_PIN existed, pinners took plain references. */
static unsigned gup_era_flags(struct world *w, unsigned flags)
{
	if ((flags & FOLL_PIN) && !w->policy.foll_pin)
		flags = (flags & ~FOLL_PIN) | FOLL_GET;
	return flags;
}

/*
 * vma_needs_dirty_tracking() for writable long-term pins: a shared mapping
 * of a filesystem with page_mkwrite (ext4).  8ac268436e6d refuses those:
 * the device would write behind the filesystem's back.
 */
static bool writable_file_mapping_allowed(struct world *w, struct vm_area_struct *vma,
					  unsigned flags)
{
	if (!w->policy.longterm_file_write_refused)
		return true;
	if ((flags & (FOLL_LONGTERM | FOLL_PIN | FOLL_WRITE)) !=
	    (FOLL_LONGTERM | FOLL_PIN | FOLL_WRITE))
		return true;
	return !vma_wants_writenotify(w, vma);
}

/*
 * f347454d0349 (v6.0): hugetlb has no fake write fault (a write fault in a vma
 * without VM_WRITE), so FOLL_FORCE|FOLL_WRITE on a R/O hugetlb vma is refused.
 * Before it, hugetlb's COW reuse made such a PTE writable.  The model does not
 * have that older behaviour: it refuses in every era, and v5.8's forced COW
 * break on read leaves R/O hugetlb vmas alone, rather than fault without
 * making progress (found by fuzz_core: GUP retried until PL_BUG_ON).
 */
static bool hugetlb_fake_write(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_HUGETLB) && !(vma->vm_flags & VM_WRITE);
}

/* knob hugetlb_force_write_refused: 6.0 - 6.13 refuse the forced write */
static bool hugetlb_force_write_refused(const struct world *w, const struct vm_area_struct *vma)
{
	return hugetlb_fake_write(vma) && w->policy.hugetlb_force_write_refused;
}

static int check_vma_flags(struct world *w, struct vm_area_struct *vma, unsigned flags)
{
	uint32_t vm = vma->vm_flags;

	if (vm & (VM_IO | VM_PFNMAP))
		return -EFAULT;
	if ((flags & FOLL_LONGTERM) && vma->file >= 0 && pl_file_get(w, vma->file) &&
	    pl_file_get(w, vma->file)->dax) {
		/* vma_is_fsdax(): the filesystem owns these pages (2bb6d2837083) */
		pl_event_emit(w, PL_EV_GUP_REFUSE, "check_vma_flags", "FOLL_LONGTERM on fsdax",
			      vma->vm_start, 0, 0, "long-term pin of a DAX file: -EOPNOTSUPP");
		return -EOPNOTSUPP;
	}
	if (vm & VM_SECRETMEM) {
		/* vma_is_secretmem(): no GUP of any kind (1507f51255c9) */
		pl_event_emit(w, PL_EV_GUP_REFUSE, "check_vma_flags", "secretmem (1507f51255c9)",
			      vma->vm_start, 0, 0, "memfd_secret memory: -EFAULT");
		return -EFAULT;
	}
	if (!writable_file_mapping_allowed(w, vma, flags)) {
		pl_event_emit(w, PL_EV_GUP_REFUSE, "check_vma_flags",
			      "longterm_file_write_refused (8ac268436e6d)", vma->vm_start, 0, 0,
			      "writable FOLL_LONGTERM pin of a dirty-tracked file mapping");
		return -EFAULT;
	}
	if (flags & FOLL_WRITE) {
		if (!(vm & VM_WRITE)) {
			/* FOLL_FORCE may write a R/O mapping only if it is a COW mapping */
			if (!(flags & FOLL_FORCE) || !is_cow_mapping(vm))
				return -EFAULT;
			if (hugetlb_force_write_refused(w, vma))
				return -EFAULT;
		}
	} else if (!(vm & VM_READ)) {
		if (!(flags & FOLL_FORCE) || !(vm & VM_MAYREAD))
			return -EFAULT;
	}
	return 0;
}

/*
 * can_follow_write_pte(): may FOLL_WRITE use this R/O PTE?  Three eras:
 *   dirty_cow (<= 4.8.2): never; the retry simply dropped FOLL_WRITE instead.
 *   foll_cow (19be0eaffa3a): after our own COW fault (FOLL_COW) if the PTE is
 *       dirty -- CVE-2022-2590: a shmem PTE mapped R/O *and dirty* passes too.
 *   foll_force_needs_exclusive (5535be309971): FOLL_FORCE on a private,
 *       !VM_WRITE mapping whose page is an exclusive anon page.
 */
static bool can_follow_write_pte(struct world *w, pte_t pte, struct page *page,
				 struct vm_area_struct *vma, unsigned flags)
{
	if (pte_write(pte))
		return true;
	if (!(flags & FOLL_FORCE))
		return false;
	if (w->policy.foll_force_needs_exclusive) {
		if (vma->vm_flags & (VM_SHARED | VM_MAYSHARE))
			return false;
		if (!(vma->vm_flags & VM_MAYWRITE) || (vma->vm_flags & VM_WRITE))
			return false;
		struct folio *f = page ? page_folio(w, page) : NULL;

		/*
		 * A hugetlb folio keeps PageAnonExclusive on its head page only
		 * (the kernel's PageAnonExclusive() refuses a hugetlb tail), as
		 * gup_must_unshare() reads it.  Testing the tail here made a
		 * forced write into a R/O private hugetlb vma at an address past
		 * the folio's first 4 KiB fault and retry forever from 6.14,
		 * where hugetlb_force_write_refused ends (found by fuzz_core).
		 */
		if (!f || !folio_test_anon(f) ||
		    !pl_page_anon_exclusive(w, page))
			return false;
		if ((vma->vm_flags & VM_SOFTDIRTY) && !pte_soft_dirty(pte))
			return false;
		return !pte_uffd_wp(pte);
	}
	if (w->policy.foll_cow)
		return (flags & FOLL_COW) && pte_dirty(pte);
	return false;
}

/*
 * gup_must_unshare(): must a R/O pin of this page first unshare it?
 * Only consulted for R/O PTEs.  a7f226604170 (v5.19, knob gup_unshare) for
 * anon pages; 84209e87c696 (v6.2, knob longterm_unshare_cow) for page-cache
 * and zero pages in COW mappings.  vma == NULL means GUP-fast, which cannot
 * tell and bails to the slow path.
 */
static bool gup_must_unshare(struct world *w, struct vm_area_struct *vma, unsigned flags,
			     struct page *page)
{
	struct folio *f = page_folio(w, page);

	if (!w->policy.gup_unshare)
		return false;
	if ((flags & (FOLL_WRITE | FOLL_PIN)) != FOLL_PIN)
		return false;
	if (!folio_test_anon(f)) {
		if (!w->policy.longterm_unshare_cow || !(flags & FOLL_LONGTERM))
			return false;
		if (!vma)
			return true;
		return is_cow_mapping(vma->vm_flags);
	}
	pl_sync(w, PL_SYNC_READ_ONCE, &page->flags);	/* smp_rmb() */
	return !pl_page_anon_exclusive(w, page);
}

/*
 * longterm-pin-unpinnable: a writable FOLL_LONGTERM reference to a page of a
 * dirty-tracked (ext4) file lets a device write behind the filesystem's back:
 * writeback cleans and write-protects the page, the device keeps writing,
 * page_mkwrite never runs.  Rejected since 8ac268436e6d / a6e79df92e4a.
 */
static void check_longterm_file(struct world *w, struct mm_struct *mm, pl_addr addr,
				struct folio *f, unsigned flags)
{
	struct pl_file *file;

	if ((flags & (FOLL_LONGTERM | FOLL_WRITE)) != (FOLL_LONGTERM | FOLL_WRITE))
		return;
	if (folio_test_anon(f) || !f->page.mapping)
		return;
	file = pl_file_get(w, (int)f->page.mapping - 1);
	if (file && file->fs == PL_FS_EXT4)
		pl_violation(w, "longterm-pin-unpinnable", pl_mm_pid(w, mm), addr, folio_pfn(f),
			     "writable long-term pin of a dirty-tracked file page");
}

#define GUP_EMLINK ((struct page *)-1)
#define GUP_EEXIST ((struct page *)-2)

/*
 * follow_page_pte() / follow_huge_pmd() / follow_huge_pud(): look up and
 * grab under the lock of the entry's level.  A PMD or PUD leaf yields the
 * subpage at addr's offset inside it.  Returns the page, NULL (fault
 * needed), GUP_EMLINK (unshare needed) or GUP_EEXIST (a special PFN without
 * a struct page).
 */
static struct page *follow_page_mask(struct world *w, struct mm_struct *mm,
				     struct vm_area_struct *vma, pl_addr addr, unsigned flags,
				     unsigned long *leaf_left)
{
	pud_t *pudp = pl_pud_lookup(mm, addr);
	pmd_t *pmdp = pl_pmd_lookup(mm, addr);
	struct pl_lock *ptl;
	struct page *page = NULL;
	bool huge = pmdp && pmd_leaf(*pmdp);
	uint64_t leaf_mask = ~PMD_MASK;
	pte_t *ptep, pte;
	struct folio *f;

	if (pudp && pud_leaf(*pudp)) {
		/* 1 GiB hugetlb: never split, the pud lock guards the leaf */
		ptl = pl_pud_lockptr(mm, addr);
		ptep = pudp;
		huge = true;
		leaf_mask = ~PUD_MASK;
		goto locked;
	}
	if (!pmdp)
		return NULL;
	if (huge) {
		if (flags & FOLL_SPLIT_PMD && !(vma->vm_flags & VM_HUGETLB)) {
			__split_huge_pmd(w, mm, vma, addr);
			huge = false;
		}
	}
	if (huge) {
		ptl = pl_pmd_lockptr(mm, addr);
		ptep = pmdp;
	} else {
		ptep = pl_pte_lookup(mm, addr);
		if (!ptep)
			return NULL;
		ptl = pl_pte_lockptr(mm, addr);
	}
locked:
	pl_spin_lock(w, ptl);
	pte = pl_ptep_get(w, ptep);
	/* gup_can_follow_protnone(): prot-none of a PROT_NONE vma is followed */
	if (!pte_present(pte) ||
	    (pte_protnone(pte) && (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))))
		goto out;
	if (pte_special(pte)) {
		if (!pl_is_zero_pfn(w, pte_pfn(pte))) {
			page = GUP_EEXIST;
			goto out;
		}
	}
	page = pfn_to_page(w, pte_pfn(pte) +
				      (huge ? (pl_pfn)((addr & leaf_mask) >> PAGE_SHIFT) : 0));
	if ((flags & FOLL_WRITE) &&
	    !can_follow_write_pte(w, pte, pte_special(pte) ? NULL : page, vma, flags)) {
		page = NULL;
		goto out;
	}
	if (!pte_write(pte) && gup_must_unshare(w, vma, flags, page)) {
		page = GUP_EMLINK;
		goto out;
	}
	f = page_folio(w, page);
	try_grab_folio(w, f, flags, mm);
	/*
	 * The pages after addr in a writable huge leaf: each would pass the
	 * same checks (a writable leaf needs neither can_follow_write_pte()'s
	 * exclusive test nor an unshare), ctx.page_mask in the kernel.
	 */
	if (huge && pte_write(pte) && !pte_special(pte))
		*leaf_left = (unsigned long)((~addr & leaf_mask) >> PAGE_SHIFT);
	if (flags & FOLL_TOUCH) {
		if ((flags & FOLL_WRITE) && !pte_dirty(pte) && !folio_test_zero(f)) {
			pl_set_pte(w, ptep, pte_mkdirty(pte));
			folio_mark_dirty(w, f);
		}
	}
out:
	pl_spin_unlock(w, ptl);
	return page;
}

/*
 * faultin_page(): resolve what follow_page_mask() could not.  The era rule
 * for writes to R/O private mappings (FOLL_FORCE) lives here: Dirty COW's
 * downgrade, or FOLL_COW.
 */
static int faultin_page(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			pl_addr addr, unsigned *flags, bool unshare)
{
	unsigned fault_flags = 0, ret;

	if (*flags & FOLL_NOFAULT)
		return -EFAULT;
	if (*flags & FOLL_WRITE)
		fault_flags |= FAULT_FLAG_WRITE;
	if (*flags & FOLL_REMOTE)
		fault_flags |= FAULT_FLAG_REMOTE;
	if (*flags & FOLL_TRIED)
		fault_flags |= FAULT_FLAG_TRIED;
	if (unshare)
		fault_flags |= FAULT_FLAG_UNSHARE;
	ret = handle_mm_fault(w, mm, vma, addr, fault_flags);
	if (ret & VM_FAULT_OOM)
		return -ENOMEM;
	if (ret & (VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV))
		return -EFAULT;
	/*
	 * Only a fault that really broke COW (VM_FAULT_WRITE: do_wp_page copied
	 * or reused the page) changes the flags; a do_cow_fault() that merely
	 * installed a R/O copy leaves FOLL_WRITE for another round.
	 */
	if ((ret & VM_FAULT_WRITE) && !(vma->vm_flags & VM_WRITE)) {
		if (w->policy.dirty_cow) {
			/*
			 * gup-write-downgraded: write intent must survive retries
			 * ("GUP never trusts a fault").  The pre-19be0eaffa3a code
			 * dropped FOLL_WRITE here: CVE-2016-5195.
			 */
			*flags &= ~FOLL_WRITE;
			pl_violation(w, "gup-write-downgraded", pl_mm_pid(w, mm), addr, 0,
				     "FOLL_WRITE dropped after a COW fault on a R/O mapping");
			pl_event_emit(w, PL_EV_GUP_RETRY, "faultin_page", "dirty_cow", addr, 0, 0,
				      "COW fault done; retrying as a read (FOLL_WRITE dropped)");
		} else if (w->policy.foll_cow) {
			*flags |= FOLL_COW;
		}
	}
	return 0;
}

static void gup_release_pages(struct world *w, pl_pfn *pages, long n, unsigned flags)
{
	for (long i = 0; pages && i < n; i++)
		gup_put_folio(w, pfn_folio(w, pages[i]), flags);
}

/* What __get_user_pages() checks of each page it took. */
static void gup_after_grab(struct world *w, struct mm_struct *mm, pl_addr addr,
			   struct page *page, unsigned foll_flags)
{
	struct folio *f;

	if (!(foll_flags & (FOLL_GET | FOLL_PIN)))
		return;
	f = page_folio(w, page);
	check_longterm_file(w, mm, addr, f, foll_flags);
	if ((foll_flags & FOLL_PIN) && folio_test_anon(f) && !(foll_flags & FOLL_WRITE) &&
	    w->policy.gup_unshare &&
	    !pl_page_anon_exclusive(w, page))
		pl_violation(w, "pin-on-nonexclusive", pl_mm_pid(w, mm), addr,
			     page_to_pfn(w, page), "R/O pin of a shared anon page");
}

/* Can gup_after_grab() report anything for a page of @f? */
static bool gup_after_grab_may_report(const struct world *w, const struct folio *f,
				      unsigned foll_flags)
{
	if (!(foll_flags & (FOLL_GET | FOLL_PIN)))
		return false;
	if (folio_test_anon(f))
		return (foll_flags & FOLL_PIN) && !(foll_flags & FOLL_WRITE) &&
		       w->policy.gup_unshare;
	return (foll_flags & (FOLL_LONGTERM | FOLL_WRITE)) == (FOLL_LONGTERM | FOLL_WRITE) &&
	       f->page.mapping;
}

/*
 * The PTEs after @addr in its table, taken in one loop once the page at
 * @addr was (the kernel's follow_page_pte() per page, with the table found
 * once).  Only when nothing watches each access (pl_batch_ok()) and only
 * while each entry is one follow_page_mask() would grab at once: present,
 * not special or prot-none, writable (so neither can_follow_write_pte()'s
 * tests nor gup_must_unshare() apply, read or write), already dirty (so
 * FOLL_TOUCH changes nothing), a small folio with references.  Stops at the
 * first other entry, which the per-page loop then handles.  Returns the
 * number of pages taken after @addr, stored from @pages.
 */
static unsigned long gup_pte_batch(struct world *w, struct mm_struct *mm,
				   struct vm_area_struct *vma, pl_addr addr, unsigned long max,
				   unsigned flags, pl_pfn *pages)
{
	struct pl_ptetab *t;
	unsigned i = (unsigned)((addr >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1));
	unsigned long k = 0;

	if (!pl_batch_ok(w) || !pages || !(flags & (FOLL_GET | FOLL_PIN)))
		return 0;
	max = PL_MIN(max, (unsigned long)(HPAGE_PMD_NR - 1 - i));
	max = PL_MIN(max, (unsigned long)((vma->vm_end - addr) >> PAGE_SHIFT) - 1);
	t = pl_ptetab_lookup(mm, addr);
	if (!t)
		return 0;
	for (; k < max; k++) {
		pte_t pte = t->pte[i + 1 + k];
		struct page *p;

		if (!pte_present(pte) || pte_special(pte) || pte_protnone(pte) || !pte_dirty(pte) ||
		    !pte_write(pte))
			break;
		p = pfn_to_page(w, pte_pfn(pte));
		if ((p->flags & (PG_head | PG_zero)) != PG_head || p->order || !p->_refcount)
			break;
		pl_table_mark(t->used, i + 1 + k);
		try_grab_folio(w, (struct folio *)p, flags, mm);
		pages[k] = pte_pfn(pte);
		if (gup_after_grab_may_report(w, (struct folio *)p, flags))
			gup_after_grab(w, mm, addr + (k + 1) * PAGE_SIZE, p, flags);
	}
	return k;
}

/* __get_user_pages(): the slow path, mmap_lock held for reading. */
static long __get_user_pages(struct world *w, struct mm_struct *mm, pl_addr start,
			     unsigned long nr, unsigned flags, pl_pfn *pages)
{
	unsigned long i;

	for (i = 0; i < nr; i++) {
		pl_addr addr = start + i * PAGE_SIZE;
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		unsigned foll_flags = flags;
		unsigned long leaf_left = 0;
		struct page *page;
		int err, tries = 0;

		if (!vma) {
			err = -EFAULT;
			goto fail;
		}
		err = check_vma_flags(w, vma, flags);
		if (err)
			goto fail;
		if (!pages)
			foll_flags &= ~(FOLL_GET | FOLL_PIN);
		/*
		 * 17839856fd58 (v5.8): a reference on a COW mapping breaks COW
		 * first, "with very similar semantics to FOLL_FORCE" -- so it also
		 * works on a R/O private mapping (the flags were checked above).
		 */
		if (w->policy.gup_cow_break_on_read && (foll_flags & (FOLL_GET | FOLL_PIN)) &&
		    is_cow_mapping(vma->vm_flags) && !(foll_flags & FOLL_WRITE) &&
		    !hugetlb_fake_write(vma)) {
			foll_flags |= FOLL_WRITE | FOLL_FORCE;
			pl_event_emit(w, PL_EV_GUP_RETRY, "__get_user_pages",
				      "gup_cow_break_on_read (17839856fd58)", addr, 0, 0,
				      "a read reference on a COW mapping breaks COW as a forced "
				      "write first");
		}
retry:
		leaf_left = 0;
		page = follow_page_mask(w, mm, vma, addr, foll_flags, &leaf_left);
		if (page == GUP_EEXIST) {
			err = -EFAULT;
			goto fail;
		}
		if (!page || page == GUP_EMLINK) {
			bool unshare = page == GUP_EMLINK;

			if (unshare)
				pl_event_emit(w, PL_EV_GUP_RETRY, "follow_page_pte",
					      "gup_must_unshare", addr, 0, 0,
					      "R/O pin of a possibly shared page: unshare first");
			err = faultin_page(w, mm, vma, addr, &foll_flags, unshare);
			if (err)
				goto fail;
			foll_flags |= FOLL_TRIED;
			pl_yield(w, YIELD_GUP_AFTER_FAULT);
			/* the vma may have changed while we "slept" */
			vma = vma_lookup(mm, addr);
			if (!vma) {
				err = -EFAULT;
				goto fail;
			}
			PL_BUG_ON(++tries > 16);
			goto retry;
		}
		if (pages)
			pages[i] = page_to_pfn(w, page);
		gup_after_grab(w, mm, addr, page, foll_flags);
		/*
		 * The rest of a writable huge leaf in one grab (the kernel's
		 * page_increm), when nothing watches the steps in between: the
		 * pages the per-page loop would have taken, with the same
		 * per-page checks after, in the same order.
		 */
		if (leaf_left && i + 1 < nr) {
			struct folio *f = page_folio(w, page);
			unsigned long more = PL_MIN(leaf_left, nr - i - 1);
			pl_pfn pfn = page_to_pfn(w, page);

			if (!gup_batch_ok(w, f, (unsigned)PL_MIN(more, 0x10000UL)))
				continue;
			try_grab_folio_refs(w, f, foll_flags, mm, (int)more);
			if (pages)
				for (unsigned long k = 1; k <= more; k++)
					pages[i + k] = pfn + (pl_pfn)k;
			for (unsigned long k = 1; gup_after_grab_may_report(w, f, foll_flags) &&
			     k <= more; k++)
				gup_after_grab(w, mm, addr + k * PAGE_SIZE,
					       pfn_to_page(w, pfn + (pl_pfn)k), foll_flags);
			i += more;
		} else if (!leaf_left && i + 1 < nr) {
			i += gup_pte_batch(w, mm, vma, addr, nr - i - 1, foll_flags,
					   pages ? pages + i + 1 : NULL);
		}
		continue;
fail:
		if (i)
			return (long)i;
		return err;
	}
	return (long)i;
}

/*
 * check_and_migrate_movable_folios() (mm/gup.c): every pinned folio that may
 * not be pinned for long (ZONE_MOVABLE, CMA) is migrated after the whole
 * array has been unpinned (pins are unexpected references to migration).
 * Return: 0 when all may stay pinned, -EAGAIN after migrating (pin again),
 * -ENOMEM when migrate_pages() failed (pinned or busy elsewhere, or no
 * target): everything is unpinned then.
 */
static long check_and_migrate_movable_folios(struct world *w, pl_pfn *pages, long n,
					     unsigned flags)
{
	pl_pfn todo[64];
	int ntodo = 0;
	long err = -EAGAIN;

	struct folio *prev = NULL;

	for (long i = 0; i < n; i++) {
		struct folio *f;
		bool dup = false;

		/* the next entry of the folio just looked at (the kernel skips it too) */
		if (prev && pages[i] >= folio_pfn(prev) &&
		    pages[i] - folio_pfn(prev) < folio_nr_pages(prev))
			continue;
		f = prev = pfn_folio(w, pages[i]);
		if (folio_is_longterm_pinnable(f))
			continue;
		for (int k = 0; k < ntodo && !dup; k++)
			dup = todo[k] == folio_pfn(f);
		if (!dup && ntodo < (int)PL_ARRAY_SIZE(todo))
			todo[ntodo++] = folio_pfn(f);
	}
	if (!ntodo)
		return 0;
	gup_release_pages(w, pages, n, flags);	/* unpin_folio() of every entry */
	for (int k = 0; k < ntodo; k++) {
		if (migrate_folio_move(w, pfn_folio(w, todo[k]), "FOLL_LONGTERM")) {
			err = -ENOMEM;
			pl_event_emit(w, PL_EV_GUP_REFUSE, "migrate_longterm_unpinnable_folios",
				      "FOLL_LONGTERM", 0, todo[k], 0,
				      "the folio could not leave ZONE_MOVABLE/CMA: -ENOMEM");
		}
	}
	return err;
}

/*
 * __gup_longterm_locked(): pin, then make sure nothing pinned lives where a
 * long-term pin must not (ZONE_MOVABLE/CMA); migrate and pin again if so.
 * memalloc_pin_save(): pages faulted in meanwhile come from pinnable memory.
 * The kernel repeats while migration succeeds; the model gives up (-ENOMEM)
 * after four rounds, which no scenario reaches.
 */
static long __gup_longterm_locked(struct world *w, struct mm_struct *mm, pl_addr start,
				  unsigned long nr, unsigned flags, pl_pfn *pages)
{
	bool saved = w->memalloc_pin;
	long ret = -ENOMEM;

	if (flags & FOLL_LONGTERM)
		w->memalloc_pin = true;
	for (int round = 0; round < 4; round++) {
		long got, rc;

		pl_down_read(w, &mm->mmap_lock);
		got = __get_user_pages(w, mm, start, nr, flags, pages);
		pl_up_read(w, &mm->mmap_lock);
		if (got <= 0 || !(flags & FOLL_LONGTERM) || !pages) {
			ret = got;
			break;
		}
		rc = check_and_migrate_movable_folios(w, pages, got, flags);
		if (rc != -EAGAIN) {
			ret = rc ? rc : got;
			break;
		}
	}
	w->memalloc_pin = saved;
	return ret;
}

static long gup_slow(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		     unsigned flags, pl_pfn *pages)
{
	int err = gup_check_flags(flags);

	if (err)
		return err;
	if (!mm)
		return -EFAULT;
	w->stats.gup_calls++;
	flags = gup_era_flags(w, flags);
	if (flags & FOLL_PIN)
		mm->flags |= MMF_HAS_PINNED;
	if (pages && !(flags & FOLL_PIN))
		flags |= FOLL_GET;
	return __gup_longterm_locked(w, mm, start, nr, flags | FOLL_TOUCH, pages);
}

long get_user_pages(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		    unsigned gup_flags, pl_pfn *pages)
{
	if (gup_flags & FOLL_PIN)
		return -EINVAL;
	return gup_slow(w, mm, start, nr, gup_flags, pages);
}

long pin_user_pages(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		    unsigned gup_flags, pl_pfn *pages)
{
	if (gup_flags & FOLL_GET)
		return -EINVAL;
	return gup_slow(w, mm, start, nr, gup_flags | FOLL_PIN, pages);
}

/* ---------------------------------------------------------------------------
 * GUP-fast.
 */

/* gup_fast_folio_allowed(): writable long-term pins only of anon/shmem/hugetlb (a6e79df92e4a). */
static bool gup_fast_folio_allowed(struct world *w, struct folio *f, unsigned flags)
{
	struct pl_file *file;

	/* secretmem folios are refused whatever the flags (they are never large) */
	if (!folio_test_anon(f) && !folio_test_large(f)) {
		file = f->page.mapping ? pl_file_get(w, (int)f->page.mapping - 1) : NULL;
		if (file && file->secret)
			return false;
		/* fsdax pages: pte_devmap(), no FOLL_LONGTERM on the fast path */
		if (file && file->dax && (flags & FOLL_LONGTERM))
			return false;
	}
	if (!w->policy.longterm_file_write_refused)
		return true;
	if ((flags & (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE)) !=
	    (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE))
		return true;
	if (folio_test_anon(f) || folio_test_hugetlb(f))
		return true;
	pl_sync(w, PL_SYNC_READ_ONCE, &f->page.mapping);
	if (!f->page.mapping)
		return false;	/* truncated under us: let the slow path decide */
	file = pl_file_get(w, (int)f->page.mapping - 1);
	return file && file->fs != PL_FS_EXT4;
}

/* try_grab_folio_fast(): the lockless try-get plus the pin weight. */
static struct folio *try_grab_folio_fast(struct world *w, struct page *page, unsigned flags,
					 struct mm_struct *mm)
{
	struct folio *f = page_folio(w, page);

	if (!folio_ref_try_add(w, f, 1))
		return NULL;
	if (page_folio(w, page) != f) {
		folio_put(w, f);	/* split raced with us */
		return NULL;
	}
	if (flags & FOLL_PIN) {
		if ((flags & FOLL_LONGTERM) && !folio_is_longterm_pinnable(f)) {
			folio_put(w, f);
			return NULL;
		}
		if (folio_has_pincount(f))
			pl_atomic_add_int(w, &f->page._pincount, 1);
		else
			pl_atomic_add(w, &f->page._refcount, GUP_PIN_COUNTING_BIAS - 1);
		pl_chk_mark_folio(w, f);
		pl_sync(w, PL_SYNC_ATOMIC, &f->page._refcount);	/* smp_mb__after_atomic() */
	}
	pl_gup_ghost_add(w, f, flags, mm->id, 1);
	return f;
}

/*
 * gup_fast_pgd_range() for one page: the lockless walk of one PTE (or one
 * subpage of a PMD or PUD leaf); false = stop.  The descent is that of
 * gup_fast_pud_range() and gup_fast_pmd_range(); the grab and the re-check
 * after it are gup_fast_pte_range()'s, or on a leaf gup_fast_pmd_leaf()'s and
 * gup_fast_pud_leaf()'s (a PUD leaf is grabbed like a PMD leaf and re-checked
 * at its own level).  The kernel walks a range level by level; gup_fast()
 * here calls this once per page, which takes the same entries in the same
 * order.
 */
static bool gup_fast_pgd_range(struct world *w, struct mm_struct *mm, pl_addr addr,
			       unsigned flags, pl_pfn *out, struct pl_gup_fast_call *call)
{
	pud_t *pudp = pl_pud_lookup(mm, addr);
	pmd_t *pmdp;
	pmd_t pmd;
	pte_t *ptep = NULL, pte;
	struct pl_ptetab *tab = NULL;
	bool moved, pmd_moved;
	uint64_t leaf_mask = ~PMD_MASK;
	struct page *page;
	struct folio *f;
	bool huge;

	if (!pudp)
		return false;
	pmd = pl_ptep_get(w, pudp);		/* READ_ONCE(*pudp) */
	if (pud_leaf(pmd)) {
		pmdp = pudp;		/* the leaf entry to re-check is the pud */
		leaf_mask = ~PUD_MASK;
	} else {
		pmdp = pl_pmd_lookup(mm, addr);
		if (!pmdp)
			return false;
		pmd = pl_ptep_get(w, pmdp);	/* pmdp_get_lockless */
	}
	huge = pmd_leaf(pmd);
	if (huge) {
		pte = pmd;
	} else {
		/* the table the pmd points to is part of the pmd's value */
		tab = pl_ptetab_lookup(mm, addr);
		ptep = pl_pte_lookup(mm, addr);
		if (!ptep)
			return false;
		pte = pl_ptep_get(w, ptep);	/* ptep_get_lockless */
	}
	pl_yield(w, YIELD_GUP_FAST_AFTER_READ);
	if (!pte_present(pte) || pte_protnone(pte) || pte_special(pte))
		return false;
	if ((flags & FOLL_WRITE) && !pte_write(pte))
		return false;
	/*
	 * 17839856fd58: get_user_pages_fast() cannot know if a R/O PTE is COW,
	 * so it leaves it to the slow path; __get_user_pages_fast()
	 * (FOLL_FAST_ONLY) was left unchanged.
	 */
	if (w->policy.gup_cow_break_on_read && (flags & (FOLL_GET | FOLL_PIN)) &&
	    !(flags & FOLL_FAST_ONLY) && !pte_write(pte))
		return false;
	page = pfn_to_page(w, pte_pfn(pte) + (huge ? (pl_pfn)((addr & leaf_mask) >> PAGE_SHIFT)
						   : 0));
	if (page->flags & PG_free)
		return false;
	f = try_grab_folio_fast(w, page, flags, mm);
	if (!f)
		return false;
	call->grabbing = folio_pfn(f);	/* until it is in pages[] or put back */
	pl_yield(w, YIELD_GUP_FAST_AFTER_GRAB);
	/*
	 * The leaf's own re-check (the PTE, or the PMD/PUD leaf: gup_huge_pmd()
	 * always had it) and, for a PTE, the re-read of the pmd above it
	 * (70cbc3cc78a9): a THP collapse clears the pmd before it looks at the
	 * references and clears the PTEs only after the copy.
	 */
	if (ptep) {
		pmd_moved = pl_ptep_get(w, pmdp) != pmd || pl_ptetab_lookup(mm, addr) != tab;
		moved = pl_ptep_get(w, ptep) != pte;
	} else {
		moved = pl_ptep_get(w, pmdp) != pmd;
		pmd_moved = false;
	}
	if ((moved && w->policy.gup_fast_recheck_pte) ||
	    (pmd_moved && w->policy.gup_fast_recheck_pmd)) {
		gup_put_folio(w, f, flags);
		return false;
	}
	if (moved || pmd_moved) {
		/*
		 * gup-fast-stale: each page GUP-fast returns was still mapped
		 * at that address after the reference was taken.
		 */
		pl_violation(w, "gup-fast-stale", pl_mm_pid(w, mm), addr, page_to_pfn(w, page),
			     moved ? "GUP-fast kept a page whose PTE changed after the grab"
				   : "GUP-fast kept a page whose page table a THP collapse took "
				     "away after the grab (no pmd re-check before 70cbc3cc78a9)");
	}
	if (!gup_fast_folio_allowed(w, f, flags)) {
		gup_put_folio(w, f, flags);
		return false;
	}
	if (!pte_write(pte) && gup_must_unshare(w, NULL, flags, page)) {
		gup_put_folio(w, f, flags);
		return false;
	}
	check_longterm_file(w, mm, addr, f, flags);
	*out = page_to_pfn(w, page);
	return true;
}

unsigned pl_gup_fast_pins_in_flight(struct world *w, pl_pfn head, bool note, int pid,
				    pl_addr addr)
{
	unsigned n = 0;

	for (struct pl_gup_fast_call *c = w->gup_fast_calls; c; c = c->next) {
		unsigned mine = c->pin && c->grabbing == head;

		for (long k = 0; c->pin && k < c->nr; k++)
			mine += pfn_to_page(w, c->pages[k])->head == head;
		if (mine && note && !c->fork_shared) {
			c->fork_shared = true;
			c->fork_pid = pid;
			c->fork_addr = addr;
			c->fork_folio = head;
		}
		n += mine;
	}
	return n;
}

static void gup_fast_unlink(struct world *w, struct pl_gup_fast_call *call)
{
	struct pl_gup_fast_call **pp = &w->gup_fast_calls;

	while (*pp != call)
		pp = &(*pp)->next;
	*pp = call->next;
}

static long gup_fast(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		     unsigned flags, pl_pfn *pages)
{
	struct pl_gup_fast_call call = { .pages = pages, .grabbing = PL_PFN_NONE,
					 .pin = (flags & FOLL_PIN) != 0 };
	uint32_t seq = 0;
	unsigned long i;

	if ((flags & FOLL_PIN) && w->policy.write_protect_seq) {
		seq = pl_seq_begin(w, &mm->write_protect_seq);
		if (seq & 1)
			return 0;	/* fork is write-protecting this mm */
	}
	call.next = w->gup_fast_calls;
	w->gup_fast_calls = &call;
	pl_local_irq_disable(w);
	for (i = 0; i < nr; i++) {
		bool got = gup_fast_pgd_range(w, mm, start + i * PAGE_SIZE, flags, &pages[i], &call);

		call.grabbing = PL_PFN_NONE;
		if (!got)
			break;
		call.nr = (long)i + 1;
	}
	pl_local_irq_enable(w);
	if ((flags & FOLL_PIN) && w->policy.write_protect_seq &&
	    pl_seq_retry(w, &mm->write_protect_seq, seq)) {
		gup_release_pages(w, pages, (long)i, flags);
		gup_fast_unlink(w, &call);
		pl_event_emit(w, PL_EV_GUP_FAST_BAIL, "gup_fast", "write_protect_seq (57efa1fe5957)",
			      start, 0, 0, "fork ran concurrently: all pins dropped");
		return 0;
	}
	gup_fast_unlink(w, &call);
	/*
	 * fork-shared-pinned, the half fork left to us (fork.c): fork shared a
	 * folio while this call held it pinned, and the call keeps that pin.
	 */
	for (unsigned long k = 0; call.fork_shared && k < i; k++)
		if (pfn_to_page(w, pages[k])->head == call.fork_folio) {
			pl_violation(w, "fork-shared-pinned", call.fork_pid, call.fork_addr,
				     call.fork_folio, "pinned page shared R/O with the child (pin "
				     "raced with fork; GUP-fast returned it)");
			break;
		}
	return (long)i;
}

static long gup_fast_fallback(struct world *w, struct mm_struct *mm, pl_addr start,
			      unsigned long nr, unsigned flags, pl_pfn *pages)
{
	long got, rest;
	unsigned slow_flags;
	int err = gup_check_flags(flags);

	if (err)
		return err;
	if (!mm || !pages)
		return -EINVAL;
	slow_flags = flags & ~FOLL_GET;	/* gup_slow() applies the era's flags itself */
	flags = gup_era_flags(w, flags);
	if (!(flags & FOLL_PIN))
		flags |= FOLL_GET;
	if (flags & FOLL_PIN)
		mm->flags |= MMF_HAS_PINNED;
	got = gup_fast(w, mm, start, nr, flags, pages);
	if ((unsigned long)got == nr || (flags & FOLL_FAST_ONLY))
		return got;
	w->stats.gup_fast_bails++;
	pl_event_emit(w, PL_EV_GUP_FAST_BAIL, "gup_fast_fallback", NULL, start + got * PAGE_SIZE,
		      0, 0, "lockless walk stopped after %ld of %lu pages: slow path", got, nr);
	rest = gup_slow(w, mm, start + got * PAGE_SIZE, nr - got, slow_flags, pages + got);
	if (rest < 0)
		return got ? got : rest;
	return got + rest;
}

long get_user_pages_fast(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
			 unsigned gup_flags, pl_pfn *pages)
{
	if (gup_flags & FOLL_PIN)
		return -EINVAL;
	return gup_fast_fallback(w, mm, start, nr, gup_flags | FOLL_GET, pages);
}

long pin_user_pages_fast(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
			 unsigned gup_flags, pl_pfn *pages)
{
	if (gup_flags & FOLL_GET)
		return -EINVAL;
	return gup_fast_fallback(w, mm, start, nr, gup_flags | FOLL_PIN, pages);
}

long gup_fast_only(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		   unsigned gup_flags, pl_pfn *pages)
{
	if (!(gup_flags & FOLL_PIN))
		gup_flags |= FOLL_GET;
	return gup_fast_fallback(w, mm, start, nr, gup_flags | FOLL_FAST_ONLY, pages);
}

/* ---------------------------------------------------------------------------
 * Release.
 */
void put_page(struct world *w, pl_pfn pfn)
{
	gup_put_folio(w, pfn_folio(w, pfn), FOLL_GET);
}

/*
 * unpin_user_page(): the caller pinned with FOLL_PIN -- unless the era had
 * no FOLL_PIN, in which case the "pin" was a GET.
 */
void unpin_user_page(struct world *w, pl_pfn pfn)
{
	gup_put_folio(w, pfn_folio(w, pfn), w->policy.foll_pin ? FOLL_PIN : FOLL_GET);
	pl_event_emit(w, PL_EV_UNPIN, "unpin_user_page", NULL, 0, pfn, 0, NULL);
}

/*
 * unpin_user_pages(): the kernel drops the references of each run of
 * entries in one folio at once (gup_folio_range_next()); the model does
 * so when nothing watches the steps (gup_batch_ok()), else page by page.
 */
void unpin_user_pages(struct world *w, const pl_pfn *pages, unsigned long n)
{
	unsigned flags = w->policy.foll_pin ? FOLL_PIN : FOLL_GET;

	for (unsigned long i = 0; i < n;) {
		struct folio *f = pfn_folio(w, pages[i]);
		unsigned long run = 1;

		while (i + run < n && run < 0x8000 && pages[i + run] >= folio_pfn(f) &&
		       pages[i + run] - folio_pfn(f) < folio_nr_pages(f))
			run++;
		/* page by page where the ghost counters could not cover the run */
		if (run == 1 && !folio_test_zero(f) && pl_batch_ok(w)) {
			gup_put_folio(w, f, flags);	/* unpin_user_page() with no listener */
			i++;
			continue;
		}
		if (run == 1 || !gup_batch_ok(w, f, 0) || folio_test_zero(f) ||
		    (flags & FOLL_PIN ? f->page.gup_pins : f->page.gup_gets) < run) {
			unpin_user_page(w, pages[i++]);
			continue;
		}
		gup_put_folio_refs(w, f, flags, (int)run);
		i += run;
	}
}

/*
 * unpin_user_pages_dirty_lock(): a GUP writer must dirty the folio before
 * letting go, or reclaim may drop the data (invariant lost-write).
 */
void unpin_user_pages_dirty_lock(struct world *w, const pl_pfn *pages, unsigned long n,
				 bool make_dirty)
{
	for (unsigned long i = 0; i < n; i++) {
		struct folio *f = pfn_folio(w, pages[i]);

		if (make_dirty && !folio_test_zero(f) && !folio_test_dirty(f))
			folio_mark_dirty(w, f);
		unpin_user_page(w, pages[i]);
	}
}

void set_page_dirty_lock(struct world *w, pl_pfn pfn)
{
	struct folio *f = pfn_folio(w, pfn);

	if (!folio_test_zero(f))
		folio_mark_dirty(w, f);
}
