/*
 * bench/host_ops.h - the real-kernel half of `make bench`.
 *
 * Each function measures, on the machine running the benchmark, the kernel
 * operation that pinlab models, so that one run of build/pinlab-bench prints
 * model and kernel figures side by side.  Every function sets up its own
 * anonymous private mapping of @bytes (rounded up to whole 4 KiB pages,
 * MADV_NOHUGEPAGE so that the kernel works on base pages just as the model
 * does), populates it outside the timed region, and leaves nothing behind:
 * mappings are unmapped, descriptors closed and children reaped.
 *
 * All return wall-clock nanoseconds (CLOCK_MONOTONIC), or -1 when the
 * measurement cannot be made; the reason has then been printed on stderr.
 */
#ifndef PINLAB_BENCH_KERNEL_H
#define PINLAB_BENCH_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* 4 KiB: the page size the benchmark touches, whatever the model calls it. */
#define KBENCH_PAGE 4096UL

/*
 * What the memory of the rows is made of, on both sides: base pages, 64 kB
 * mTHP (PTE-mapped), PMD THP (2 MiB, MADV_HUGEPAGE), 2 MiB hugetlb.
 */
enum kbench_mem { KBENCH_BASE, KBENCH_MTHP64K, KBENCH_THP, KBENCH_HUGETLB };

/*
 * How far apart the writes (or reads) of a fault row are, the same on both
 * sides.  A COW row writes every 4 KiB page, each a fault in the kernel
 * (a PMD THP shared with a child is split on the first write and every page
 * copied on its own: do_huge_pmd_wp_page() falls back), except hugetlb,
 * which copies a whole 2 MiB page per fault.  The reuse and huge-zero-read
 * rows touch one byte per folio that the kernel maps with one fault: every
 * 2 MiB on THP and hugetlb, every 4 KiB otherwise.
 */
static inline size_t kbench_stride(enum kbench_mem mode, int cow)
{
	if (mode == KBENCH_HUGETLB || (mode == KBENCH_THP && !cow))
		return (size_t)2 << 20;
	return KBENCH_PAGE;
}

/**
 * kernel_fork_ns() - time fork() of a process with @bytes of populated anon memory
 * @bytes: size of the private anonymous mapping
 *
 * The child _exit(0)s at once; the clock stops when the parent has reaped it,
 * so the figure covers copy_page_range() in fork and the child's exit_mmap().
 *
 * Return: nanoseconds, or -1.
 */
int64_t kernel_fork_ns(size_t bytes);

/**
 * kernel_pin_unpin_ns() - time io_uring fixed-buffer registration of @bytes
 * @bytes: size of the private anonymous mapping
 *
 * IORING_REGISTER_BUFFERS (FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE of every
 * page) followed by IORING_UNREGISTER_BUFFERS, through raw syscalls.  The
 * range is split into iovecs of at most 1 GiB, the kernel's cap on one
 * buffer.  As root, RLIMIT_MEMLOCK is raised to infinity for the call and
 * restored afterwards.
 *
 * Return: nanoseconds for register + unregister, or -1 when io_uring is
 * unavailable (no syscall, io_uring_disabled, memlock limit ...).
 */
int64_t kernel_pin_unpin_ns(size_t bytes);

/**
 * kernel_cow_fault_ns() - time write faults on pages shared copy-on-write with a child
 * @bytes: size of the private anonymous mapping
 *
 * After populating, the process forks a child that blocks on a pipe, so every
 * page stays mapped in both; the parent then writes one byte per page, each
 * write taking a COW fault (do_wp_page() -> wp_page_copy()).  Only the writes
 * are timed.  Divide by bytes / KBENCH_PAGE for the cost per page.
 *
 * Return: nanoseconds for all the writes, or -1.
 */
int64_t kernel_cow_fault_ns(size_t bytes);

/**
 * kernel_vmsplice_ns() - time vmsplice() of every page of @bytes into a pipe
 * @bytes: size of the private anonymous mapping
 *
 * A pipe of the default 16 buffers; for each 16-page chunk, vmsplice(2)
 * takes a FOLL_GET reference on every page (GUP-fast) and one read(2) of
 * 64 KiB copies them out and drops the references.
 *
 * Return: nanoseconds for the whole range, or -1.
 */
int64_t kernel_vmsplice_ns(size_t bytes);

/**
 * kernel_mem_enable() - measure on another kind of memory from now on
 * @mem: the kind (KBENCH_BASE changes nothing)
 * @bytes: the rows' size (the hugetlb pool is sized from it)
 *
 * The 64 kB mTHP rows: KBENCH_MTHP64K makes every later measurement
 * map its memory with 64 kB large anonymous folios: as root, through the
 * host journal of src/backend/host/journal.h (the host lock, and the
 * original of each sysfs file on disk before it changes, so a killed bench
 * is undone by the next pinlab host run), it sets
 * /sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled to "always" and
 * every other size to "never", and the mappings are 64 kB aligned and not
 * MADV_NOHUGEPAGE.  Each populate then checks the size's anon_fault_alloc
 * counter: a mapping that did not get 64 kB folios fails the measurement.
 * kernel_mem_base() writes every file back and drops the lock.
 *
 * The THP rows: PMD-mapped 2 MiB folios by MADV_HUGEPAGE in a 2 MiB aligned
 * range (needs transparent_hugepage/enabled madvise or always; the
 * machine is not changed).  The hugetlb rows: as root, through the host
 * journal, nr_hugepages of hugepages-2048kB is set to twice the pages of
 * @bytes (a COW copies every page), and MAP_HUGETLB mappings.
 * kernel_mem_base() goes back to base pages and puts every setting back.
 *
 * Return: 0, or -1 with the reason on stderr (not root, no mTHP sysfs, THP
 * "never", host lock busy, pool not grown); the rows then print kernel=skip.
 */
int kernel_mem_enable(enum kbench_mem mem, size_t bytes);
void kernel_mem_base(void);

/**
 * kernel_fork_parent_ns() - time the parent's side of fork() alone
 * @bytes: size of the private anonymous mapping
 *
 * From fork() to its return in the parent (copy_page_range() of every
 * mapping); the child blocks until the parent has read the clock.
 * Return: nanoseconds, or -1.
 */
int64_t kernel_fork_parent_ns(size_t bytes);

/**
 * kernel_reuse_ns() - time write faults on pages a child no longer maps
 * @bytes: size of the private anonymous mapping
 *
 * Fork, the child exits at once and is reaped, then the parent writes one
 * byte every kbench_stride(mode, 0) bytes: each write is a write fault on
 * a R/O PTE (or PMD) whose folio is the parent's alone, reused in place
 * (wp_can_reuse_anon_folio(), do_huge_pmd_wp_page()).
 * Return: nanoseconds for all the writes, or -1.
 */
int64_t kernel_reuse_ns(size_t bytes);

/**
 * kernel_zero_read_ns() - time the read faults of an untouched mapping
 * @bytes: size of the private anonymous mapping
 *
 * One read every kbench_stride(mode, 0) bytes of a fresh mapping: in THP
 * mode each maps the huge zero page with one PMD (do_huge_pmd_anonymous_page()
 * with use_zero_page), otherwise the shared zero page with one PTE.
 * Return: nanoseconds for all the reads, or -1.
 */
int64_t kernel_zero_read_ns(size_t bytes);

#endif /* PINLAB_BENCH_KERNEL_H */
