/*
 * VMAs and the address-space syscalls: mmap, munmap, mremap, mprotect,
 * madvise, /proc/pid/clear_refs and UFFDIO_CONTINUE.
 *
 * The VMA tree is a sorted array searched by bisection (the maple tree's
 * job, without its cleverness).  Splitting keeps vm_pgoff consistent so
 * that linear_page_index() of any address is the same before and after.
 * Adjacent VMAs are merged back when they are identical continuations of
 * each other (MADV_DOFORK after MADV_DONTFORK, as cow.c's collapse tests need).
 *
 * Over 900 lines: mmap, munmap, mremap, mprotect and madvise share the VMA
 * list's split and merge code, as mm/mmap.c, mm/mremap.c, mm/mprotect.c and
 * mm/madvise.c share mm/vma.c in the kernel; madvise is the seam to cut next.
 */
#include "internal.h"

struct vm_area_struct *vma_lookup(struct mm_struct *mm, pl_addr addr)
{
	return mm ? pl_vma_lookup(mm, addr) : NULL;
}

struct vm_area_struct *vma_insert(struct world *w, struct mm_struct *mm,
				  const struct vm_area_struct *v)
{
	int i = 0;

	pl_chk_mm_mark(mm);
	PL_ARRAY_PUSH_ROOM(w, mm->vmas, mm->nr_vmas, mm->cap_vmas, 8);
	while (i < mm->nr_vmas && mm->vmas[i].vm_start < v->vm_start)
		i++;
	memmove(&mm->vmas[i + 1], &mm->vmas[i], (size_t)(mm->nr_vmas - i) * sizeof(*v));
	mm->vmas[i] = *v;
	mm->vmas[i].vm_mm_id = mm->id;
	mm->nr_vmas++;
	return &mm->vmas[i];
}

void vma_remove_at(struct mm_struct *mm, int idx)
{
	pl_chk_mm_mark(mm);
	memmove(&mm->vmas[idx], &mm->vmas[idx + 1],
		(size_t)(mm->nr_vmas - idx - 1) * sizeof(*mm->vmas));
	mm->nr_vmas--;
}

/* vma_split(): make addr a VMA boundary (split_vma).  THP PMDs across it are split. */
int vma_split(struct world *w, struct mm_struct *mm, pl_addr addr)
{
	int i = vma_index(mm, addr);
	struct vm_area_struct upper;

	if (i < 0 || mm->vmas[i].vm_start == addr)
		return 0;
	/* hugetlb_vm_op_split(): only on a huge page boundary */
	if ((mm->vmas[i].vm_flags & VM_HUGETLB) &&
	    (addr & (vma_huge_page_size(&mm->vmas[i]) - 1)))
		return -EINVAL;
	split_huge_pmds_range(w, mm, &mm->vmas[i], addr, addr);
	/*
	 * hugetlb_split() (081056dc00a2, 6.16; b30c14cd6102, 6.2, before it did
	 * the same from ->may_split()): a split inside a PUD range the vma
	 * covers whole unshares that range's pmd table, since PMD sharing needs
	 * the whole range in one vma.
	 */
	if ((mm->vmas[i].vm_flags & VM_HUGETLB) && (addr & ~PUD_MASK) &&
	    (addr & PUD_MASK) >= mm->vmas[i].vm_start &&
	    (addr & PUD_MASK) + PUD_SIZE <= mm->vmas[i].vm_end)
		pl_huge_pmd_unshare(w, mm, addr);
	upper = mm->vmas[i];
	upper.vm_start = addr;
	upper.vm_pgoff += (uint32_t)((addr - mm->vmas[i].vm_start) >> PAGE_SHIFT);
	mm->vmas[i].vm_end = addr;
	vma_insert(w, mm, &upper);
	return 0;
}

/* Merge i with i+1 when they continue each other exactly. */
static void vma_try_merge(struct mm_struct *mm, int i)
{
	struct vm_area_struct *a, *b;

	if (i < 0 || i + 1 >= mm->nr_vmas)
		return;
	a = &mm->vmas[i];
	b = &mm->vmas[i + 1];
	if (a->vm_end != b->vm_start || a->vm_flags != b->vm_flags || a->file != b->file ||
	    a->anon_vma != b->anon_vma || a->hugetlb_order != b->hugetlb_order ||
	    a->vm_pgoff + ((a->vm_end - a->vm_start) >> PAGE_SHIFT) != b->vm_pgoff)
		return;
	a->vm_end = b->vm_end;
	a->vm_softdirty |= b->vm_softdirty;
	vma_remove_at(mm, i + 1);
}

static void vma_merge_all(struct mm_struct *mm)
{
	for (int i = mm->nr_vmas - 2; i >= 0; i--)
		vma_try_merge(mm, i);
}

/* Would vma_split() at addr be refused?  (a hugetlb vma cut off its page size) */
static bool vma_split_refused(struct mm_struct *mm, pl_addr addr)
{
	struct vm_area_struct *v = vma_lookup(mm, addr);

	return v && v->vm_start != addr && (v->vm_flags & VM_HUGETLB) &&
	       (addr & (vma_huge_page_size(v) - 1));
}

/*
 * Split at start and end; return the index of the first vma inside [start,end).
 * Both ends are checked first, so a refused range leaves the vmas untouched.
 */
static int vma_isolate(struct world *w, struct mm_struct *mm, pl_addr start, pl_addr end)
{
	int ret;

	if (vma_split_refused(mm, start) || vma_split_refused(mm, end))
		return -EINVAL;
	ret = vma_split(w, mm, start);

	if (!ret)
		ret = vma_split(w, mm, end);
	return ret;
}

/* The end of the mapped stretch that starts at @start (@start if unmapped), at most @end. */
pl_addr mapped_until(struct mm_struct *mm, pl_addr start, pl_addr end)
{
	pl_addr a = start;

	while (a < end) {
		struct vm_area_struct *v = vma_lookup(mm, a);

		if (!v)
			break;
		a = v->vm_end;
	}
	return PL_MIN(a, end);
}

/* The first mapped address at or after @a, or @end if none is below @end. */
static pl_addr next_mapped(struct mm_struct *mm, pl_addr a, pl_addr end)
{
	pl_addr best = end;

	for (int i = 0; i < mm->nr_vmas; i++) {
		const struct vm_area_struct *v = &mm->vmas[i];

		if (v->vm_end > a && v->vm_start < best)
			best = PL_MAX(v->vm_start, a);
	}
	return best;
}

static uint32_t prot_to_vm_flags(int prot)
{
	return ((prot & PL_PROT_READ) ? VM_READ : 0) | ((prot & PL_PROT_WRITE) ? VM_WRITE : 0) |
	       ((prot & PL_PROT_EXEC) ? VM_EXEC : 0);
}

/* Find a free range of len bytes, aligned to align (get_unmapped_area). */
static pl_addr get_unmapped_area(struct mm_struct *mm, uint64_t len, uint64_t align)
{
	pl_addr a = (mm->mmap_base + align - 1) & ~(align - 1);

	for (;;) {
		bool clash = false;

		for (int i = 0; i < mm->nr_vmas; i++) {
			struct vm_area_struct *v = &mm->vmas[i];

			if (v->vm_start < a + len && a < v->vm_end) {
				a = (v->vm_end + align - 1) & ~(align - 1);
				clash = true;
			}
		}
		if (!clash)
			break;
	}
	if (a + len > PL_TASK_SIZE)
		return (pl_addr)-ENOMEM;
	return a;
}

static int populate_range(struct world *w, int pid, pl_addr start, pl_addr end, bool write)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	long got;

	for (pl_addr a = start; a < end; a += PAGE_SIZE) {
		/* MADV_POPULATE_(READ|WRITE) / MAP_POPULATE: GUP without pages */
		got = get_user_pages(w, mm, a, 1, (write ? FOLL_WRITE : 0) |
						     FOLL_TOUCH, NULL);
		if (got < 0)
			return (int)got;
	}
	return 0;
}

/**
 * pl_mmap() - map anonymous memory or a file.
 * Return: the address, or -errno cast to pl_addr.
 */
pl_addr pl_mmap(struct world *w, int pid, pl_addr hint, uint64_t len, int prot, unsigned flags,
		int file, uint32_t pgoff)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	struct vm_area_struct v = { 0 };
	uint64_t align = PAGE_SIZE;
	struct pl_file *hfile = NULL;
	pl_addr addr;
	int ret;

	if (!mm)
		return (pl_addr)-ESRCH;
	if (len == 0 || len > PL_TASK_SIZE || !(flags & (PL_MAP_PRIVATE | PL_MAP_SHARED)) ||
	    ((flags & PL_MAP_PRIVATE) && (flags & PL_MAP_SHARED)))
		return (pl_addr)-EINVAL;
	len = (len + PAGE_SIZE - 1) & PAGE_MASK;
	if (flags & PL_MAP_SECRET) {
		/*
		 * memfd_secret() + ftruncate() + mmap(): pages of a secretmem inode,
		 * removed from the kernel's direct map, so nothing may GUP them
		 * (1507f51255c9, v5.14).  secretmem_mmap() wants MAP_SHARED and
		 * sets VM_LOCKED; vma_is_secretmem() is VM_SECRETMEM here.
		 */
		if (!w->policy.memfd_secret)
			return (pl_addr)-ENOSYS;
		if (!(flags & PL_MAP_SHARED) || (flags & (PL_MAP_HUGETLB | PL_MAP_HUGE_1GB)))
			return (pl_addr)-EINVAL;
		file = pl_file_create(w, PL_FS_TMPFS, (uint32_t)(len >> PAGE_SHIFT), PL_TOKEN_ZERO);
		if (file < 0)
			return (pl_addr)(int64_t)file;
		pl_file_get(w, file)->unlinked = true;
		pl_file_get(w, file)->secret = true;
		flags = (flags & ~(unsigned)PL_MAP_ANONYMOUS) | PL_MAP_LOCKED;
		pgoff = 0;
	}
	if ((flags & PL_MAP_ANONYMOUS) && (flags & PL_MAP_SHARED)) {
		/*
		 * MAP_SHARED|MAP_ANONYMOUS is not anonymous memory to the kernel:
		 * the vma gets an unlinked file of its own, shmem_zero_setup()'s
		 * shmem file or, with MAP_HUGETLB, hugetlb_file_setup()'s hugetlbfs
		 * file (ksys_mmap_pgoff() rounds the length up to whole huge pages
		 * first).  Its pages are page cache: fork shares them, nothing COWs.
		 * The model keeps the file (and its pages) until the world goes.
		 */
		unsigned order = !(flags & (PL_MAP_HUGETLB | PL_MAP_HUGE_1GB)) ? 0 :
				 (flags & PL_MAP_HUGE_1GB) ? HPAGE_PUD_ORDER : HPAGE_PMD_ORDER;
		uint64_t huge = (uint64_t)PAGE_SIZE << order;

		len = (len + huge - 1) & ~(huge - 1);
		if (len > PL_TASK_SIZE)
			return (pl_addr)-ENOMEM;
		file = pl_file_create(w, order ? PL_FS_HUGETLBFS : PL_FS_TMPFS,
				      (uint32_t)(len >> PAGE_SHIFT), PL_TOKEN_ZERO);
		if (file < 0)
			return (pl_addr)(int64_t)file;
		if (order && (ret = pl_file_set_huge_order(w, file, order)) < 0)
			return (pl_addr)(int64_t)ret;
		pl_file_get(w, file)->unlinked = true;
		flags &= ~(unsigned)(PL_MAP_ANONYMOUS | PL_MAP_HUGETLB | PL_MAP_HUGE_1GB);
		pgoff = 0;
	}
	if (flags & PL_MAP_ANONYMOUS)
		file = -1;
	else if (!pl_file_get(w, file))
		return (pl_addr)-EBADF;
	/* do_mmap(): MAP_SHARED with PROT_WRITE needs an fd open for writing */
	if (file >= 0 && pl_file_get(w, file)->rdonly && (flags & PL_MAP_SHARED) &&
	    (prot & PL_PROT_WRITE))
		return (pl_addr)-EACCES;
	if (file >= 0 && pl_file_get(w, file)->fs == PL_FS_HUGETLBFS)
		hfile = pl_file_get(w, file);
	/* ksys_mmap_pgoff(): MAP_HUGETLB asks for hugetlbfs; another file cannot be */
	if (file >= 0 && !hfile && (flags & (PL_MAP_HUGETLB | PL_MAP_HUGE_1GB)))
		return (pl_addr)-EINVAL;
	if (flags & (PL_MAP_HUGETLB | PL_MAP_HUGE_1GB) || hfile) {
		/*
		 * The page size is the file's for hugetlbfs (MFD_HUGE_1GB), else
		 * MAP_HUGE_1GB's or the default 2 MiB.  ksys_mmap_pgoff() rounds
		 * the length up to whole huge pages; the file offset must be
		 * one; the vma lands on a huge page boundary, so a 1 GiB vma is
		 * PUD-aligned.
		 */
		v.hugetlb_order = hfile ? hfile->huge_order
					: (flags & PL_MAP_HUGE_1GB) ? HPAGE_PUD_ORDER
								    : HPAGE_PMD_ORDER;
		align = vma_huge_page_size(&v);
		len = (len + align - 1) & ~(align - 1);
		if (len > PL_TASK_SIZE || (hfile && (pgoff & ((1u << v.hugetlb_order) - 1))))
			return (pl_addr)-EINVAL;
		v.vm_flags |= VM_HUGETLB;
	} else if (len >= PMD_SIZE) {
		align = PMD_SIZE;	/* THP-friendly placement, as thp_get_unmapped_area */
	}
	/*
	 * pud-aligned: no mmap flag asks for a 1 GiB boundary; a program that
	 * wants one (to share hugetlb pmd tables) maps more and places the
	 * mapping with MAP_FIXED inside, which the host backend does.
	 */
	if (flags & PL_MAP_PUD_ALIGNED)
		align = PUD_SIZE;
	w->cur_pid = pid;
	if (flags & PL_MAP_FIXED_NOREPLACE) {
		bool taken = false;

		for (int j = 0; j < mm->nr_vmas; j++)
			taken |= mm->vmas[j].vm_start < hint + len && mm->vmas[j].vm_end > hint;
		/*
		 * do_mmap(): MAP_FIXED_NOREPLACE maps at the hint or fails EEXIST;
		 * before a4ff8e8620d3 (4.17) the flag was unknown and ignored, so
		 * the address was a hint: used if free, else somewhere else.
		 */
		if (taken && w->policy.map_fixed_noreplace)
			return (pl_addr)-EEXIST;
		if (hint & ~PAGE_MASK || ((v.vm_flags & VM_HUGETLB) && (hint & (align - 1))))
			return (pl_addr)-EINVAL;
		if (!taken)
			flags |= PL_MAP_FIXED;
	}
	if (flags & PL_MAP_FIXED) {
		if (hint & ~PAGE_MASK || ((v.vm_flags & VM_HUGETLB) && (hint & (align - 1))))
			return (pl_addr)-EINVAL;
		addr = hint;
		/* what is there goes first; a hugetlb vma it would cut refuses (-EINVAL) */
		ret = pl_munmap(w, pid, addr, len);
		if (ret)
			return (pl_addr)ret;
	} else {
		addr = get_unmapped_area(mm, len, align);
		if (pl_err(addr))
			return addr;
	}
	v.vm_start = addr;
	v.vm_end = addr + len;
	v.vm_flags |= prot_to_vm_flags(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (flags & PL_MAP_SHARED)
		v.vm_flags |= VM_SHARED | VM_MAYSHARE;
	/* do_mmap(): a shared mapping of an fd not open for writing may never write */
	if (file >= 0 && pl_file_get(w, file)->rdonly && (flags & PL_MAP_SHARED))
		v.vm_flags &= ~(unsigned)VM_MAYWRITE;
	if (flags & PL_MAP_LOCKED)
		v.vm_flags |= VM_LOCKED;
	if (flags & PL_MAP_SECRET)
		v.vm_flags |= VM_SECRETMEM;
	/* where this mapping's faults allocate (the scenario's placement option) */
	v.vm_placement = (flags & PL_MAP_CMA) ? PL_ZONE_CMA
			 : (flags & PL_MAP_MOVABLE) ? PL_ZONE_MOVABLE : PL_ZONE_NORMAL;
	if (flags & PL_MAP_PFNMAP)
		v.vm_flags |= VM_IO | VM_PFNMAP;
	v.file = file;
	v.vm_pgoff = file >= 0 ? pgoff : (uint32_t)(addr >> PAGE_SHIFT);
	v.id = ++w->next_vma_id;
	v.vm_softdirty = true;	/* __mmap_region(): a new vma is soft-dirty */
	pl_mmap_write_lock(w, mm);
	vma_insert(w, mm, &v);
	pl_mmap_write_unlock(w, mm);
	if (flags & PL_MAP_POPULATE) {
		ret = populate_range(w, pid, addr, addr + len,
				     (prot & PL_PROT_WRITE) && !(flags & PL_MAP_SHARED));
		if (ret == -ENOMEM)
			return (pl_addr)-ENOMEM;
	}
	return addr;
}

static void unmap_vma_range(struct world *w, struct mm_struct *mm, int i)
{
	struct vm_area_struct *v = &mm->vmas[i];

	zap_page_range(w, mm, v, v->vm_start, v->vm_end);
	vma_remove_at(mm, i);
}

int pl_munmap(struct world *w, int pid, pl_addr addr, uint64_t len)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	pl_addr end;
	int ret;

	if (!mm)
		return -ESRCH;
	if ((addr & ~PAGE_MASK) || len == 0)
		return -EINVAL;
	end = addr + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	w->cur_pid = pid;
	pl_mmap_write_lock(w, mm);
	ret = vma_isolate(w, mm, addr, end);
	if (!ret) {
		for (int i = mm->nr_vmas - 1; i >= 0; i--)
			if (mm->vmas[i].vm_start >= addr && mm->vmas[i].vm_end <= end)
				unmap_vma_range(w, mm, i);
	}
	pl_mmap_write_unlock(w, mm);
	return ret;
}

/*
 * move_page_tables(): entries move, folios and their counts stay.  A 1 GiB
 * hugetlb leaf moves whole, as move_hugetlb_page_tables() moves one entry of
 * huge_page_size() per step (mm/hugetlb.c, Debian 6.12.118; mremap() has
 * checked that both ends and the length are aligned to it).
 */
static void move_ptes(struct world *w, struct mm_struct *mm, pl_addr old, pl_addr new_addr,
		      uint64_t len)
{
	for (uint64_t off = 0; off < len;) {
		bool pud_aligned = !((old + off) & ~PUD_MASK) && !((new_addr + off) & ~PUD_MASK) &&
				   off + PUD_SIZE <= len;
		pud_t *opud = pud_aligned ? pl_pud_lookup(mm, old + off) : NULL;
		pmd_t *opmd;

		if (opud && pud_leaf(*opud) && pl_pud_free_empty_pmd(w, mm, new_addr + off)) {
			pud_t *npud = pl_pud_alloc(w, mm, new_addr + off);

			*npud = *opud;
			*opud = 0;
			off += PUD_SIZE;
			continue;
		}
		opmd = pl_pmd_lookup(mm, old + off);

		if (opmd && pmd_leaf(*opmd) && !((old + off) & ~PMD_MASK) &&
		    !((new_addr + off) & ~PMD_MASK) && off + PMD_SIZE <= len &&
		    pl_pmd_free_empty_ptetab(w, mm, new_addr + off)) {
			pmd_t *npmd = pl_pmd_alloc(w, mm, new_addr + off);

			*npmd = *opmd;
			*opmd = 0;
			off += PMD_SIZE;
			continue;
		}
		{
			pte_t *optep = pl_pte_lookup(mm, old + off);

			if (optep && !pte_none(*optep)) {
				pte_t *nptep = pl_pte_alloc(w, mm, new_addr + off);

				PL_BUG_ON(!nptep);
				*nptep = *optep;
				*optep = 0;
			}
		}
		off += PAGE_SIZE;
	}
}

/**
 * pl_mremap() - grow, shrink or move a mapping.
 * Return: the new address or -errno as pl_addr.
 */
pl_addr pl_mremap(struct world *w, int pid, pl_addr old, uint64_t old_len, uint64_t new_len,
		  bool maymove, pl_addr new_addr)
{
	return pl_mremap2(w, pid, old, old_len, new_len, maymove, new_addr, false);
}

/*
 * pl_mremap2() - pl_mremap() with MREMAP_DONTUNMAP (e346b3813067, 5.7): the
 * pages move, the old range stays mapped and empty (a fault there finds
 * nothing: a new zero-filled page, or the file's page).  It needs
 * MREMAP_MAYMOVE and equal lengths.  5.7 - 5.12 refused it outside private
 * anonymous memory; the model follows 5.13's rule (any mapping but hugetlb
 * here) in every era that has the flag.
 */
pl_addr pl_mremap2(struct world *w, int pid, pl_addr old, uint64_t old_len, uint64_t new_len,
		   bool maymove, pl_addr new_addr, bool dontunmap)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	struct vm_area_struct *v, copy;
	int i;

	if (!mm)
		return (pl_addr)-ESRCH;
	old_len = (old_len + PAGE_SIZE - 1) & PAGE_MASK;
	new_len = (new_len + PAGE_SIZE - 1) & PAGE_MASK;
	if ((old & ~PAGE_MASK) || !new_len || !old_len)
		return (pl_addr)-EINVAL;
	/*
	 * mremap_to(): MREMAP_FIXED onto a range that overlaps the old one is
	 * EINVAL before the old vma is even looked up (mm/mremap.c, the same in
	 * 6.1 and 6.12).  Without it the model unmapped the old range as the
	 * target and moved from nothing.
	 */
	if (new_addr && old + old_len > new_addr && new_addr + new_len > old)
		return (pl_addr)-EINVAL;
	if (dontunmap && (!w->policy.mremap_dontunmap || !maymove || old_len != new_len))
		return (pl_addr)-EINVAL;
	w->cur_pid = pid;
	v = vma_lookup(mm, old);
	if (!v)
		return (pl_addr)-EFAULT;
	if (dontunmap && (v->vm_flags & (VM_HUGETLB | VM_PFNMAP)))
		return (pl_addr)-EINVAL;
	if (v->vm_flags & VM_HUGETLB &&
	    ((new_len | old_len | old | new_addr) & (vma_huge_page_size(v) - 1)))
		return (pl_addr)-EINVAL;
	/*
	 * mremap(2): "always allow a shrinking remap", and one to the same
	 * size: only the tail is unmapped, holes in it or not (found by
	 * fuzz-diff; scenarios/seeds/mremap-shrink-over-hole.pin).
	 */
	if (new_len <= old_len && !new_addr && !dontunmap) {
		if (new_len < old_len)
			pl_munmap(w, pid, old + new_len, old_len - new_len);
		return old;
	}
	/*
	 * Growing or moving goes through vma_to_resize(), which refused every
	 * hugetlb vma until 550a7d60bd5e (5.16); shrinking always worked.
	 */
	/*
	 * 550a7d60bd5e allowed moves only: "Don't allow remap expansion" (the
	 * hugetlb reservation cannot be split), EINVAL in mremap() itself, in
	 * Debian 6.1 and 6.12 and on this machine's 6.18 alike.
	 */
	if (v->vm_flags & VM_HUGETLB && new_len > old_len)
		return (pl_addr)-EINVAL;
	if (v->vm_flags & VM_HUGETLB && !w->policy.hugetlb_mremap) {
		pl_event_emit(w, PL_EV_GUP_REFUSE, "vma_to_resize", "hugetlb_mremap (off)", old, 0,
			      0, "mremap of a hugetlb vma: EINVAL before 550a7d60bd5e");
		return (pl_addr)-EINVAL;
	}
	if (old + old_len > v->vm_end)
		return (pl_addr)-EFAULT;
	pl_mmap_write_lock(w, mm);
	vma_isolate(w, mm, old, old + old_len);
	i = vma_index(mm, old);
	v = &mm->vmas[i];
	if (!new_addr && new_len > old_len) {
		/* grow in place if the space after is free */
		bool free_after = true;

		for (int j = 0; j < mm->nr_vmas; j++)
			if (mm->vmas[j].vm_start < old + new_len &&
			    mm->vmas[j].vm_end > old + old_len)
				free_after = false;
		if (free_after) {
			v->vm_end = old + new_len;
			pl_mmap_write_unlock(w, mm);
			return old;
		}
		if (!maymove) {
			pl_mmap_write_unlock(w, mm);
			return (pl_addr)-ENOMEM;
		}
	}
	if (!maymove) {
		pl_mmap_write_unlock(w, mm);
		return (pl_addr)-EINVAL;
	}
	pl_mmap_write_unlock(w, mm);
	if (new_addr) {
		pl_munmap(w, pid, new_addr, new_len);
	} else {
		new_addr = get_unmapped_area(mm, new_len, (v->vm_flags & VM_HUGETLB) ?
							  vma_huge_page_size(v) : PAGE_SIZE);
		if (pl_err(new_addr))
			return new_addr;
	}
	pl_mmap_write_lock(w, mm);
	i = vma_index(mm, old);
	copy = mm->vmas[i];
	/* the moved part must not straddle a THP: split PMDs that it cuts */
	if ((new_addr ^ old) & ~PMD_MASK)
		for (pl_addr a = old & PMD_MASK; a < old + old_len; a += PMD_SIZE)
			__split_huge_pmd(w, mm, &mm->vmas[i], a);
	/* move_hugetlb_page_tables(): a shared pmd table is unshared, not moved */
	if (copy.vm_flags & VM_HUGETLB)
		pl_hugetlb_unshare_range(w, mm, old, old + PL_MIN(old_len, new_len));
	move_ptes(w, mm, old, new_addr, PL_MIN(old_len, new_len));
	/*
	 * A pin of the moved pages follows them to their new address (found by
	 * fuzz_core and fuzz-diff: a file mapped later at the old address
	 * counted as a wrong COW).
	 */
	pl_pins_moved(w, mm, old, PL_MIN(old_len, new_len), new_addr);
	if (new_len < old_len)
		zap_page_range(w, mm, &mm->vmas[i], old + new_len, old + old_len);
	if (!dontunmap)
		vma_remove_at(mm, i);
	else
		copy.id = ++w->next_vma_id;	/* copy_vma(): a vma of its own */
	copy.vm_start = new_addr;
	copy.vm_end = new_addr + new_len;
	vma_insert(w, mm, &copy);
	pl_mmap_write_unlock(w, mm);
	return new_addr;
}

/*
 * change_pte_range(): new protections.  Removing write always write-protects.
 * Adding write maps a PTE writable at once only where no fault is needed:
 * an exclusive anon page (can_change_pte_writable), or a shared mapping
 * without dirty tracking.  A soft-dirty-clean PTE keeps faulting.
 */
static int change_prot_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			   pl_addr addr, pte_t *ptep, void *arg)
{
	pte_t pte = *ptep;
	struct page *page;

	(void)mm;
	(void)arg;
	if (is_swap_pte(pte))
		return 0;
	if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))) {
		pl_set_pte(w, ptep, (pte & ~(_PAGE_PRESENT | _PAGE_RW)) | _PAGE_PROTNONE);
		return 0;
	}
	pte = (pte & ~_PAGE_PROTNONE) | _PAGE_PRESENT;
	if (!(vma->vm_flags & VM_WRITE)) {
		pl_set_pte(w, ptep, pte_wrprotect(pte));
		return 0;
	}
	page = vm_normal_page(w, vma, addr, pte);
	if (pte_write(pte) || !page) {
		pl_set_pte(w, ptep, pte);
		return 0;
	}
	if (vma->vm_flags & VM_SHARED) {
		if (!vma_wants_writenotify(w, vma))
			pte = pte_mkwrite(pte);
	} else if (pl_PageAnonExclusive(w, page) &&
		   folio_test_anon(page_folio(w, page)) && pte_soft_dirty(pte)) {
		pte = pte_mkwrite(pte);
	}
	pl_set_pte(w, ptep, pte);
	return 0;
}

static int change_prot_pmd(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			   pl_addr addr, pmd_t *pmdp, void *arg)
{
	pmd_t pmd = *pmdp;
	struct folio *f = pfn_folio(w, pte_pfn(pmd));

	(void)mm;
	(void)addr;
	(void)arg;
	if (!(vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))) {
		pl_set_pte(w, pmdp, (pmd & ~(_PAGE_PRESENT | _PAGE_RW)) | _PAGE_PROTNONE);
		return 0;
	}
	pmd = (pmd & ~_PAGE_PROTNONE) | _PAGE_PRESENT;
	if (!(vma->vm_flags & VM_WRITE))
		pmd = pte_wrprotect(pmd);
	else if (!pte_write(pmd) && !folio_test_zero(f) &&
		 ((vma->vm_flags & VM_SHARED) ||
		  (pl_PageAnonExclusive(w, &f->page) && pte_soft_dirty(pmd))))
		pmd = pte_mkwrite(pmd);
	pl_set_pte(w, pmdp, pmd);
	return 0;
}

/*
 * do_mprotect_pkey(): the range must start in a vma; vmas are changed in
 * order up to the first hole, and then the call fails with ENOMEM -- what
 * it changed stays changed (found by fuzz-diff;
 * scenarios/seeds/005-mprotect-madvise-over-hole.pin).
 */
int pl_mprotect(struct world *w, int pid, pl_addr addr, uint64_t len, int prot)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	pl_addr end, stop;
	int ret;

	if (!mm)
		return -ESRCH;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	end = addr + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	stop = mapped_until(mm, addr, end);
	if (stop == addr)
		return -ENOMEM;
	if (stop < end) {
		ret = pl_mprotect(w, pid, addr, stop - addr, prot);
		return ret ? ret : -ENOMEM;
	}
	w->cur_pid = pid;
	pl_mmap_write_lock(w, mm);
	ret = vma_isolate(w, mm, addr, end);
	for (int i = 0; !ret && i < mm->nr_vmas; i++) {
		struct vm_area_struct *v = &mm->vmas[i];

		if (v->vm_start < addr || v->vm_end > end)
			continue;
		if ((prot & PL_PROT_WRITE) && !(v->vm_flags & VM_MAYWRITE)) {
			ret = -EACCES;
			break;
		}
		v->vm_flags = (v->vm_flags & ~(VM_READ | VM_WRITE | VM_EXEC)) |
			      prot_to_vm_flags(prot);
		/* hugetlb_change_protection(): a shared pmd table is unshared first */
		if (v->vm_flags & VM_HUGETLB)
			pl_hugetlb_unshare_range(w, mm, v->vm_start, v->vm_end);
		pl_walk_range(w, mm, v, v->vm_start, v->vm_end, change_prot_pmd, change_prot_pte,
			      NULL);
	}
	vma_merge_all(mm);
	pl_mmap_write_unlock(w, mm);
	return ret;
}

static int madvise_pageout(struct world *w, int pid, pl_addr start, pl_addr end)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	int ret = 0;

	for (pl_addr a = start; a < end; a += PAGE_SIZE) {
		pte_t *ptep = pl_pte_lookup(mm, a);
		pmd_t *pmdp = pl_pmd_lookup(mm, a);

		if ((ptep && pte_present(*ptep) && !pte_special(*ptep)) ||
		    (pmdp && pmd_leaf(*pmdp) && !pte_special(*pmdp))) {
			int r;

			w->reclaim_direct = true;	/* the caller's reclaim, not kswapd's */
			r = pl_reclaim(w, pid, a);
			w->reclaim_direct = false;

			if (r == -ENOMEM)
				ret = r;	/* no swap: nothing more to do */
		}
	}
	(void)ret;	/* no swap device: MADV_PAGEOUT quietly does nothing */
	return 0;
}

const char *pl_madv_name(enum pl_madv m)
{
	static const char *const names[] = {
		/* ORDER: enum pl_madv */
		"MADV_DONTNEED", "MADV_DONTFORK", "MADV_DOFORK", "MADV_WIPEONFORK",
		"MADV_KEEPONFORK", "MADV_PAGEOUT", "MADV_COLD", "MADV_HUGEPAGE",
		"MADV_NOHUGEPAGE", "MADV_POPULATE_READ", "MADV_POPULATE_WRITE",
		"MADV_MERGEABLE", "MADV_UNMERGEABLE", "MADV_COLLAPSE",
	};

	return (unsigned)m < PL_ARRAY_SIZE(names) ? names[m] : "MADV_?";
}

/*
 * vma_modify_flags_range() - set @set and clear @clear on each vma of
 * [@start, @end), split at both ends first and merged again after, under
 * the mmap write lock (madvise_update_vma(), mlock_fixup()).  @check (NULL:
 * none) rules on each vma: 0 change it, 1 leave it as it is, -errno stop
 * there (the vmas before it keep their change, as in the kernel).
 */
int vma_modify_flags_range(struct world *w, struct mm_struct *mm, pl_addr start, pl_addr end,
			   uint32_t set, uint32_t clear, vma_flags_check_fn check)
{
	int ret;

	pl_mmap_write_lock(w, mm);
	ret = vma_isolate(w, mm, start, end);
	for (int i = 0; !ret && i < mm->nr_vmas; i++) {
		struct vm_area_struct *v = &mm->vmas[i];
		int verdict;

		if (v->vm_start < start || v->vm_end > end)
			continue;
		verdict = check ? check(w, v, set) : 0;
		if (verdict < 0)
			ret = verdict;
		else if (!verdict)
			v->vm_flags = (v->vm_flags | set) & ~clear;
	}
	vma_merge_all(mm);
	pl_mmap_write_unlock(w, mm);
	return ret;
}

/*
 * MADV_WIPEONFORK: anonymous private memory only; a MAP_HUGETLB mapping has
 * a hugetlbfs file behind it, so it is EINVAL in every release.
 */
static int madvise_flags_check(const struct world *w, const struct vm_area_struct *v,
			       uint32_t set)
{
	(void)w;
	if ((set & VM_WIPEONFORK) && (v->vm_flags & (VM_SHARED | VM_HUGETLB) || v->file >= 0))
		return -EINVAL;
	return 0;
}

static int madvise_set_flags(struct world *w, struct mm_struct *mm, pl_addr start, pl_addr end,
			     uint32_t set, uint32_t clear)
{
	return vma_modify_flags_range(w, mm, start, end, set, clear, madvise_flags_check);
}

/* Is some page of @f mapped more than once (by a PMD or PTEs)?  folio_maybe_mapped_shared(). */
static bool folio_maybe_mapped_shared(const struct folio *f)
{
	if (f->page._entire_mapcount > 1)
		return true;
	for (unsigned i = 0; i < folio_nr_pages(f); i++)
		if (folio_page_present(f, i) &&	/* else default tails: _mapcount 0 */
		    (&f->page)[i]._mapcount + f->page._entire_mapcount > 1)
			return true;
	return false;
}

/*
 * MADV_COLD (madvise_cold_or_pageout_pte_range()): deactivation, which the
 * model does not track -- except that a large anon folio the range covers
 * only in part, mapped by this process alone, is split first (a PMD mapping
 * too), so that only the advised pages would be deactivated.  A folio that
 * cannot be split (pinned, GUP-referenced) stays whole.  Found by
 * fuzz-diff: afterwards a pin on one page no longer makes the folio's other
 * pages maybe-pinned (scenarios/seeds/005-cold-splits-thp.pin).
 */
static void madvise_cold(struct world *w, struct mm_struct *mm, pl_addr start, pl_addr end)
{
	for (pl_addr a = start; a < end;) {
		struct vm_area_struct *v = vma_lookup(mm, a);
		pmd_t *pmdp = pl_pmd_lookup(mm, a & PMD_MASK);
		pl_addr fstart, fend;
		struct folio *f;
		bool pmd = pmdp && pmd_leaf(*pmdp);

		if (pmd) {
			f = pfn_folio(w, pte_pfn(*pmdp));
			fstart = a & PMD_MASK;
		} else {
			pte_t *ptep = pl_pte_lookup(mm, a);

			if (!ptep || !pte_present(*ptep) || pte_special(*ptep)) {
				a += PAGE_SIZE;
				continue;
			}
			f = pfn_folio(w, pte_pfn(*ptep));
			fstart = a - ((pl_addr)(pte_pfn(*ptep) - folio_pfn(f)) << PAGE_SHIFT);
		}
		fend = fstart + ((pl_addr)folio_nr_pages(f) << PAGE_SHIFT);
		if (folio_test_large(f) && folio_test_anon(f) && !folio_test_zero(f) &&
		    !folio_test_hugetlb(f) && (fstart < start || fend > end) &&
		    !folio_maybe_mapped_shared(f) && !folio_test_swapcache(f) &&
		    (int)folio_ref_count(w, f) == folio_mapcount(f)) {
			if (pmd)
				__split_huge_pmd(w, mm, v, a);
			split_folio_zero_remap(w, f);
		}
		a = fend > a ? fend : a + PAGE_SIZE;
	}
}

/* One advice on [addr, end), which is mapped throughout. */
static int madvise_mapped(struct world *w, int pid, struct mm_struct *mm, pl_addr addr,
			  pl_addr end, enum pl_madv advice)
{
	int ret = 0;

	switch (advice) {
	case PL_MADV_DONTNEED:
		pl_down_read(w, &mm->mmap_lock);
		for (pl_addr a = addr; a < end;) {
			struct vm_area_struct *v = vma_lookup(mm, a);
			pl_addr e = PL_MIN(end, v->vm_end);

			if (v->vm_flags & (VM_LOCKED | VM_PFNMAP))
				ret = -EINVAL;
			/* can_madv_lru_vma() refused hugetlb until 90e7e7f5ef3f */
			if ((v->vm_flags & VM_HUGETLB) && !w->policy.hugetlb_madv_dontneed)
				ret = -EINVAL;
			/* hugetlb pages go whole or not at all */
			if ((v->vm_flags & VM_HUGETLB) && ((a | e) & (vma_huge_page_size(v) - 1)))
				ret = -EINVAL;
			if (!ret)
				zap_page_range(w, mm, v, a, e);
			a = e;
		}
		pl_up_read(w, &mm->mmap_lock);
		return ret;
	case PL_MADV_DONTFORK:
		return madvise_set_flags(w, mm, addr, end, VM_DONTCOPY, 0);
	case PL_MADV_DOFORK:
		return madvise_set_flags(w, mm, addr, end, 0, VM_DONTCOPY);
	case PL_MADV_WIPEONFORK:
		return madvise_set_flags(w, mm, addr, end, VM_WIPEONFORK, 0);
	case PL_MADV_KEEPONFORK:
		return madvise_set_flags(w, mm, addr, end, 0, VM_WIPEONFORK);
	case PL_MADV_HUGEPAGE:
		return madvise_set_flags(w, mm, addr, end, VM_HUGEPAGE, VM_NOHUGEPAGE);
	case PL_MADV_NOHUGEPAGE:
		return madvise_set_flags(w, mm, addr, end, VM_NOHUGEPAGE, VM_HUGEPAGE);
	case PL_MADV_MERGEABLE:
		return madvise_set_flags(w, mm, addr, end, VM_MERGEABLE, 0);
	case PL_MADV_UNMERGEABLE:
		return madvise_set_flags(w, mm, addr, end, 0, VM_MERGEABLE);
	case PL_MADV_PAGEOUT:
	case PL_MADV_COLD:
		/*
		 * madvise_cold() and madvise_pageout() ask can_madv_lru_vma()
		 * first: a locked, PFN-mapped or hugetlb vma is EINVAL, and the
		 * walk stops there, the vmas before it already advised (since
		 * 9c276cc65a58, 5.4, the release both advices came with; read in
		 * Debian 6.1 and 6.12 mm/madvise.c).  Found by the host:
		 * scenarios/pinners/08 on a VM_LOCKED range.
		 */
		for (pl_addr a = addr; a < end;) {
			struct vm_area_struct *v = vma_lookup(mm, a);
			pl_addr e = PL_MIN(end, v->vm_end);

			if (v->vm_flags & (VM_LOCKED | VM_PFNMAP | VM_HUGETLB))
				return -EINVAL;
			if (advice == PL_MADV_PAGEOUT)
				madvise_pageout(w, pid, a, e);
			else
				madvise_cold(w, mm, a, e);
			a = e;
		}
		return 0;
	case PL_MADV_POPULATE_READ:
	case PL_MADV_POPULATE_WRITE:
		/*
		 * madvise(2): EINVAL when the range "includes ranges with
		 * insufficient permissions" -- checked vma by vma as it goes,
		 * before GUP would turn them into EFAULT (found by fuzz-diff).
		 */
		for (pl_addr a = addr; a < end;) {
			struct vm_area_struct *v = vma_lookup(mm, a);
			pl_addr e = PL_MIN(end, v->vm_end);
			uint32_t need = advice == PL_MADV_POPULATE_WRITE ? VM_WRITE : VM_READ;

			if (!(v->vm_flags & need) || (v->vm_flags & VM_PFNMAP))
				return -EINVAL;
			ret = populate_range(w, pid, a, e, advice == PL_MADV_POPULATE_WRITE);
			if (ret)
				return ret;
			a = e;
		}
		return 0;
	case PL_MADV_COLLAPSE:
		for (pl_addr a = addr & PMD_MASK; a < end; a += PMD_SIZE) {
			ret = pl_madvise_collapse(w, pid, a);
			if (ret)
				return ret;
		}
		return 0;
	}
	return -EINVAL;
}

/*
 * madvise_walk_vmas(): the advice goes to every mapped part of the range;
 * a hole anywhere makes the result ENOMEM, but only after the rest was
 * advised (found by fuzz-diff;
 * scenarios/seeds/005-mprotect-madvise-over-hole.pin).  MADV_POPULATE_*
 * (madvise_populate()) stops at the first hole instead.
 */
/*
 * madvise_behavior_valid(): advice a release does not know yet is EINVAL
 * before anything else is looked at.
 */
bool pl_policy_madvise_known(const struct pl_policy *p, enum pl_madv advice)
{
	switch (advice) {
	case PL_MADV_WIPEONFORK:
	case PL_MADV_KEEPONFORK:
		return p->madv_wipeonfork;
	case PL_MADV_COLD:
	case PL_MADV_PAGEOUT:
		return p->madv_cold_pageout;
	case PL_MADV_POPULATE_READ:
	case PL_MADV_POPULATE_WRITE:
		return p->madv_populate;
	case PL_MADV_COLLAPSE:
		return p->madv_collapse;
	default:
		return true;
	}
}

int pl_madvise(struct world *w, int pid, pl_addr addr, uint64_t len, enum pl_madv advice)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	bool populate = advice == PL_MADV_POPULATE_READ || advice == PL_MADV_POPULATE_WRITE;
	bool hole = false, any = false;
	pl_addr end;

	if (!mm)
		return -ESRCH;
	if (!pl_policy_madvise_known(&w->policy, advice)) {
		pl_event_emit(w, PL_EV_GUP_REFUSE, "madvise", "advice not in this release", addr,
			      0, 0, "unknown advice: EINVAL");
		return -EINVAL;
	}
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	end = addr + ((len + PAGE_SIZE - 1) & PAGE_MASK);
	w->cur_pid = pid;
	for (pl_addr a = addr; a < end;) {
		pl_addr s = next_mapped(mm, a, end), e;
		int ret;

		if (s > a) {
			hole = true;
			if (populate)
				return -ENOMEM;
		}
		if (s >= end)
			break;
		e = mapped_until(mm, s, end);
		ret = madvise_mapped(w, pid, mm, s, e, advice);
		if (ret)
			return ret;
		any = true;
		a = e;
	}
	return !any || hole ? -ENOMEM : 0;
}

/*
 * clear_refs "4" (fs/proc/task_mmu.c): clear soft-dirty and write-protect
 * every PTE so the next write faults.  Since 9348b73c2e1b (knob
 * clear_refs_skip_pinned) maybe-pinned anon pages are left alone, because
 * the write fault would COW them away from their pin.
 */
static int clear_refs_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, pte_t *ptep, void *arg)
{
	pte_t pte = *ptep;
	struct page *page;

	(void)mm;
	(void)arg;
	if (!pte_present(pte))
		return 0;
	page = vm_normal_page(w, vma, addr, pte);
	if (page && w->policy.clear_refs_skip_pinned && folio_test_anon(page_folio(w, page)) &&
	    folio_maybe_dma_pinned(page_folio(w, page)))
		return 0;
	pl_set_pte(w, ptep, pte_wrprotect(pte) & ~_PAGE_SOFT_DIRTY);
	return 0;
}

static int clear_refs_pmd(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			  pl_addr addr, pmd_t *pmdp, void *arg)
{
	struct folio *f = pfn_folio(w, pte_pfn(*pmdp));

	(void)mm;
	(void)vma;
	(void)addr;
	(void)arg;
	if (w->policy.clear_refs_skip_pinned && folio_test_anon(f) && folio_maybe_dma_pinned(f))
		return 0;
	pl_set_pte(w, pmdp, pte_wrprotect(*pmdp) & ~_PAGE_SOFT_DIRTY);
	return 0;
}

int pl_clear_refs_soft_dirty(struct world *w, int pid)
{
	struct mm_struct *mm = pl_mm_of(w, pid);

	if (!mm)
		return -ESRCH;
	w->cur_pid = pid;
	pl_down_read(w, &mm->mmap_lock);
	for (int i = 0; i < mm->nr_vmas; i++) {
		struct vm_area_struct *v = &mm->vmas[i];

		v->vm_softdirty = false;	/* clear_refs_write(): every vma */
		if (v->vm_flags & VM_SHARED)
			continue;
		pl_walk_range(w, mm, v, v->vm_start, v->vm_end, clear_refs_pmd, clear_refs_pte,
			      NULL);
	}
	pl_up_read(w, &mm->mmap_lock);
	return 0;
}

/*
 * userfaultfd write-protect (fs/userfaultfd.c, mm/mprotect.c):
 * UFFDIO_REGISTER with UFFDIO_REGISTER_MODE_WP arms the vmas (VM_UFFD_WP),
 * then UFFDIO_WRITEPROTECT sets or clears the uffd-wp bit of every PTE in
 * the range (change_protection() with MM_CP_UFFD_WP / _RESOLVE): a present
 * PTE is also write-protected, a swap entry keeps the bit for swap-in.  Pinned
 * pages are write-protected like any other (change_pte_range() skips
 * maybe-pinned pages only for NUMA hinting), so a device writing through a
 * pin is never seen by the tracker.  Resolving leaves the PTE read-only; the
 * next write reuses or copies in do_wp_page().  Model simplifications: the
 * monitor runs with UFFD_FEATURE_SIGBUS (a write to a protected page is
 * SIGBUS, -EBUSY, as the host backend does it).  Registration arms exactly
 * the range: userfaultfd_register() splits the vmas at its ends and merges
 * the armed vmas with like neighbours (Debian 6.1 and 6.12
 * fs/userfaultfd.c), under mmap_lock held for writing; UFFDIO_WRITEPROTECT
 * then holds it for reading.  @event_fork: the context has
 * UFFD_FEATURE_EVENT_FORK, so children keep the registration.
 * Anonymous private memory only (uffd-wp on shmem and hugetlb, 5.19, is not
 * modelled): -EINVAL elsewhere, and before 63b2d4174c4a (knob uffd_wp).
 */
static int uffd_wp_pte(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		       pl_addr addr, pte_t *ptep, void *arg)
{
	bool protect = *(bool *)arg;
	pte_t pte = *ptep;

	(void)mm;
	(void)vma;
	(void)addr;
	if (pte_none(pte) || is_migration_entry(pte))
		return 0;
	if (protect) {
		pte |= _PAGE_UFFD_WP;
		if (pte_present(pte))
			pte = pte_wrprotect(pte);
	} else {
		pte &= ~_PAGE_UFFD_WP;
	}
	pl_set_pte(w, ptep, pte);
	return 0;
}

static int uffd_wp_pmd(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
		       pl_addr addr, pmd_t *pmdp, void *arg)
{
	bool protect = *(bool *)arg;
	pmd_t pmd = *pmdp;

	(void)mm;
	(void)vma;
	(void)addr;
	pl_set_pte(w, pmdp, protect ? pte_wrprotect(pmd | _PAGE_UFFD_WP) : pmd & ~_PAGE_UFFD_WP);
	return 0;
}

/* Every page of [addr, end) mapped, anonymous and private: 0, else -EINVAL. */
static int uffd_wp_range_ok(struct mm_struct *mm, pl_addr addr, pl_addr end)
{
	for (pl_addr a = addr; a < end;) {
		struct vm_area_struct *v = vma_lookup(mm, a);

		if (!v || v->file >= 0 || (v->vm_flags & (VM_SHARED | VM_HUGETLB | VM_PFNMAP)))
			return -EINVAL;
		a = v->vm_end;
	}
	return 0;
}

/* UFFDIO_REGISTER(MODE_WP) of [addr, end): split, arm, merge. */
static int uffd_register_wp(struct world *w, struct mm_struct *mm, pl_addr addr, pl_addr end,
			    bool event_fork)
{
	int ret, first, last;

	pl_mmap_write_lock(w, mm);
	ret = uffd_wp_range_ok(mm, addr, end);
	if (!ret)
		ret = vma_isolate(w, mm, addr, end);
	if (!ret) {
		first = vma_index(mm, addr);
		last = vma_index(mm, end - 1);
		for (int i = first; i <= last; i++)
			mm->vmas[i].vm_flags |= VM_UFFD_WP | (event_fork ? VM_UFFD_EVENT_FORK : 0);
		for (int i = last; i >= first - 1 && i >= 0; i--)
			vma_try_merge(mm, i);
	}
	pl_mmap_write_unlock(w, mm);
	return ret;
}

int pl_uffd_writeprotect(struct world *w, int pid, pl_addr addr, uint64_t len, bool protect,
			 bool event_fork)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	pl_addr end = addr + len;
	int ret;

	if (!mm)
		return -ESRCH;
	if (!w->policy.uffd_wp)
		return -EINVAL;
	w->cur_pid = pid;
	if (protect) {
		ret = uffd_register_wp(w, mm, addr, end, event_fork);
		if (ret)
			return ret;
	}
	pl_down_read(w, &mm->mmap_lock);
	ret = uffd_wp_range_ok(mm, addr, end);
	if (ret) {
		pl_up_read(w, &mm->mmap_lock);
		return ret;
	}
	for (pl_addr a = addr; a < end;) {
		struct vm_area_struct *v = vma_lookup(mm, a);
		pl_addr e = PL_MIN(end, v->vm_end);

		if (!protect && !(v->vm_flags & VM_UFFD_WP)) {
			pl_up_read(w, &mm->mmap_lock);
			return -ENOENT;		/* UFFDIO_WRITEPROTECT outside a registered range */
		}
		pl_walk_range(w, mm, v, a, e, uffd_wp_pmd, uffd_wp_pte, &protect);
		a = e;
	}
	pl_up_read(w, &mm->mmap_lock);
	return 0;
}

/*
 * UFFDIO_CONTINUE on a private mapping of a shmem file: maps the existing
 * page-cache page R/O.  Before 5535be309971 the PTE was also dirty -- which
 * is what let FOLL_FORCE|FOLL_COW write a read-only tmpfs file
 * (CVE-2022-2590).  The model maps it dirty in every era; whether that is
 * harmful is GUP's rule (knob foll_cow vs foll_force_needs_exclusive).
 */
/*
 * mfill_atomic_install_pte() (mm/userfaultfd.c): map @page of page-cache
 * folio @f at @addr, only into an empty PTE, under the PTL.
 */
static int mfill_atomic_install_pte(struct world *w, struct mm_struct *mm,
				    struct vm_area_struct *vma, pl_addr addr, pte_t *ptep,
				    struct folio *f, struct page *page)
{
	struct pl_lock *ptl = pl_pte_lockptr(mm, addr);

	pl_spin_lock(w, ptl);
	if (!pte_none(pl_ptep_get(w, ptep))) {
		pl_spin_unlock(w, ptl);
		return -EEXIST;
	}
	folio_get(w, f);
	folio_add_file_rmap_pte(w, f, page, vma);
	pl_set_pte(w, ptep, pte_mkdirty(pl_mk_pte(vma, page_to_pfn(w, page), false)));
	pl_spin_unlock(w, ptl);
	return 0;
}

int pl_uffdio_continue(struct world *w, int pid, pl_addr addr)
{
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	struct pl_file *file;
	struct folio *f;
	pte_t *ptep;
	uint32_t idx;
	int ret = pl_find_task_vma(w, pid, addr, -EINVAL, &mm, &vma);

	if (ret)
		return ret;
	if (vma->file < 0)
		return -EINVAL;
	file = pl_file_get(w, vma->file);
	if (!file || file->fs != PL_FS_TMPFS)
		return -EINVAL;
	idx = (uint32_t)(((addr - vma->vm_start) >> PAGE_SHIFT) + vma->vm_pgoff);
	if (idx >= file->nr_pages)
		return -EFAULT;
	addr &= PAGE_MASK;
	ptep = pl_pte_alloc(w, mm, addr);
	if (!ptep)
		return -EEXIST;
	f = filemap_get_folio(w, file, idx, true);
	if (!f)
		return -ENOMEM;
	return mfill_atomic_install_pte(w, mm, vma, addr, ptep, f, folio_page(f, idx - f->page.index));
}

/* ---------------------------------------------------------------------------
 * Teardown.
 */
void pl_mm_free(struct world *w, struct mm_struct *mm)
{
	for (int i = mm->nr_vmas - 1; i >= 0; i--)
		unmap_vma_range(w, mm, i);
	pl_free_pgtables(w, mm);
	pl_chk_mm_gone(w, mm);
	free(mm->vmas);
	free(mm);
}

/*
 * pl_mm_free_gone() - free an mm of a world being released (world.c).
 * Nothing reads that world's folios, counts, free lists or swap again: its
 * memmap chunks go back zeroed whatever they hold, and its swap, files and
 * pinners are freed whole.  So the entries are not zapped one by one (rmap,
 * refcounts, folios back to the free lists: 5 % of the catalog's CPU); only
 * the memory the mm holds goes, its page tables (a shared hugetlb PMD table
 * by the last mm that hangs it) and its VMA list.
 */
void pl_mm_free_gone(struct world *w, struct mm_struct *mm)
{
	pl_free_pgtables(w, mm);
	pl_chk_mm_gone(w, mm);
	free(mm->vmas);
	free(mm);
}
