/*
 * mlock(2) and munlock(2) (mm/mlock.c): VM_LOCKED on a range of vmas, and
 * for mlock the range faulted in at once (__mm_populate()).
 *
 * What matters to pinning and COW is the populate: in a private writable
 * mapping it is a write fault (populate_vma_page_range() adds FOLL_WRITE "to
 * break COW"), so mlock() in a child after fork() gives the child its own
 * copy of every page it still shares, exactly as a write would; elsewhere it
 * is a FOLL_FORCE read.  Checked in Debian's 6.1 and 6.12 sources (mm/gup.c,
 * mm/mlock.c).  A VM_LOCKED vma keeps its pages from reclaim (vmscan.c).
 *
 * Not modelled: RLIMIT_MEMLOCK and mm->locked_vm for mlock (`memlock`
 * limits the pinners; under it the host backend skips mlock steps),
 * mlock2(MLOCK_ONFAULT), mlockall(), and the LRU side (unevictable list).
 */
#include "internal.h"

/*
 * vma_supports_mlock() (mm/internal.h): special, hugetlb, DAX and secretmem
 * vmas keep their flags; mlock_fixup() neither sets nor clears VM_LOCKED
 * on them (secretmem is VM_LOCKED from mmap and stays so).
 */
static int mlock_vma_check(const struct world *w, const struct vm_area_struct *v, uint32_t set)
{
	(void)set;
	if (v->vm_flags & (VM_IO | VM_PFNMAP | VM_HUGETLB | VM_SECRETMEM))
		return 1;
	return v->file >= 0 && pl_file_get(w, v->file)->dax;
}

/*
 * mm_populate() - __mm_populate(): fault in every page of [start, end) the
 * way populate_vma_page_range() does, vma by vma; VM_IO/VM_PFNMAP vmas are
 * passed over.  Return: 0, or GUP's -errno (-EFAULT for a PROT_NONE vma).
 */
static int mm_populate(struct world *w, int pid, struct mm_struct *mm, pl_addr start, pl_addr end)
{
	for (pl_addr a = start; a < end; a += PAGE_SIZE) {
		struct vm_area_struct *v = vma_lookup(mm, a);
		unsigned flags = FOLL_TOUCH;
		long got;

		if (!v)
			return -ENOMEM;
		if (v->vm_flags & (VM_IO | VM_PFNMAP))
			continue;
		if (!(v->vm_flags & (VM_READ | VM_WRITE | VM_EXEC)))
			return -EFAULT;
		if ((v->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			flags |= FOLL_WRITE;	/* break COW */
		else
			flags |= FOLL_FORCE;
		w->cur_pid = pid;
		got = get_user_pages(w, mm, a, 1, flags, NULL);
		if (got < 0)
			return (int)got;
	}
	return 0;
}

/*
 * do_mlock() / munlock(): [addr, addr + len) rounded out to pages.  A hole
 * ends the walk with -ENOMEM, the vmas before it changed (as
 * apply_vma_lock_flags() leaves them).  mlock then populates; its errors
 * read as mlock(2) gives them (__mlock_posix_error_return(): EFAULT is
 * ENOMEM, ENOMEM is EAGAIN).
 */
static int do_mlock(struct world *w, int pid, pl_addr addr, uint64_t len, bool lock)
{
	struct mm_struct *mm = pl_mm_of(w, pid);
	pl_addr start = addr & PAGE_MASK;
	pl_addr end = (addr + len + PAGE_SIZE - 1) & PAGE_MASK;
	pl_addr stop;
	int ret;

	if (!mm)
		return -ESRCH;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	stop = mapped_until(mm, start, end);
	if (stop == start)
		return -ENOMEM;
	w->cur_pid = pid;
	ret = vma_modify_flags_range(w, mm, start, stop, lock ? VM_LOCKED : 0,
				     lock ? 0 : VM_LOCKED, mlock_vma_check);
	if (!ret && stop < end)
		ret = -ENOMEM;
	if (ret || !lock)
		return ret;
	ret = mm_populate(w, pid, mm, start, end);
	if (ret == -EFAULT)
		return -ENOMEM;
	return ret == -ENOMEM ? -EAGAIN : ret;
}

int pl_mlock(struct world *w, int pid, pl_addr addr, uint64_t len)
{
	return do_mlock(w, pid, addr, len, true);
}

int pl_munlock(struct world *w, int pid, pl_addr addr, uint64_t len)
{
	return do_mlock(w, pid, addr, len, false);
}
