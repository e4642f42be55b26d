/*
 * bench/host_ops.c - measure, on this machine, the kernel operations pinlab models.
 *
 * The benchmark's point is a ratio: how much slower the model is than the
 * real thing.  So the kernel side does the work the model does, on the same
 * number of 4 KiB pages, in the same process run:
 *
 *   fork         copy_page_range() over populated PTEs, then the child's
 *                exit_mmap(); the clock runs from fork() to waitpid().
 *   pin/unpin    io_uring fixed buffers: IORING_REGISTER_BUFFERS takes a
 *                FOLL_PIN | FOLL_LONGTERM | FOLL_WRITE reference on every
 *                page, IORING_UNREGISTER_BUFFERS drops them.  Raw syscalls,
 *                so the benchmark needs no liburing.
 *   COW fault    after fork, with the child alive and blocked on a pipe, the
 *                parent writes one byte per page: one do_wp_page() copy each.
 *
 * Mappings are MADV_NOHUGEPAGE: with THP the kernel would handle 512 pages
 * per fault or per PMD copy and the comparison with the model's base pages
 * would be meaningless.  Populating happens before the clock starts.  The
 * exception is the 64 kB mTHP rows (kernel_mem_enable()): there both sides
 * use 64 kB anon folios, PTE-mapped, and the mapping is 64 kB aligned.
 */
#include "host_ops.h"

#include "backend/host/journal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#if defined(__has_include)
#if __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#define KBENCH_HAVE_IO_URING 1
#endif
#endif
#ifndef KBENCH_HAVE_IO_URING
#define KBENCH_HAVE_IO_URING 0
#endif

/* The kernel refuses a single registered buffer larger than this (SZ_1G). */
#define KBENCH_MAX_IOV_LEN (1UL << 30)

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t round_to_pages(size_t bytes)
{
	if (bytes == 0)
		bytes = KBENCH_PAGE;
	return (bytes + KBENCH_PAGE - 1) & ~(KBENCH_PAGE - 1);
}

/* Write one byte in every page so each gets its own anon folio. */
static void touch_pages(char *p, size_t len, char val)
{
	volatile char *v = p;

	for (size_t off = 0; off < len; off += KBENCH_PAGE)
		v[off] = val;
}

/* Write (or read) one byte every @stride bytes. */
static void touch_stride(char *p, size_t len, size_t stride, char val)
{
	volatile char *v = p;

	for (size_t off = 0; off < len; off += stride)
		v[off] = val;
}

static char read_stride(const char *p, size_t len, size_t stride)
{
	const volatile char *v = p;
	char sum = 0;

	for (size_t off = 0; off < len; off += stride)
		sum = (char)(sum + v[off]);
	return sum;
}

/* ---------------------------------------------------------------------------
 * 64 kB mTHP mode.
 */
#define KBENCH_THP_DIR	  "/sys/kernel/mm/transparent_hugepage"
#define KBENCH_MTHP_KB	  64u
#define KBENCH_MTHP_BYTES ((size_t)KBENCH_MTHP_KB << 10)
#define KBENCH_PMD	  ((size_t)2 << 20)

static enum kbench_mem mem_mode = KBENCH_BASE;
static bool journal_open;
static struct pl_hjournal mthp_journal;
static struct {
	char path[128], orig[32];
} mthp_saved[16];
static int mthp_nr_saved;

static int sysfs_get(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;
	char *o, *c;

	if (fd < 0)
		return -1;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return -1;
	buf[got] = 0;
	/* "always [never]" -> "never" */
	o = strchr(buf, '[');
	c = o ? strchr(o, ']') : NULL;
	if (o && c) {
		*c = 0;
		memmove(buf, o + 1, strlen(o + 1) + 1);
	}
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int sysfs_put(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

/* Journal the original of @path, then write @val. */
static int mthp_set(const char *path, const char *val)
{
	int i = mthp_nr_saved;

	if (i == (int)(sizeof(mthp_saved) / sizeof(mthp_saved[0])))
		return -1;
	snprintf(mthp_saved[i].path, sizeof(mthp_saved[i].path), "%s", path);
	if (sysfs_get(path, mthp_saved[i].orig, sizeof(mthp_saved[i].orig)) < 0)
		return -1;
	if (pl_hj_set(&mthp_journal, path, mthp_saved[i].orig) < 0)
		return -1;
	mthp_nr_saved++;
	return sysfs_put(path, val);
}

static void kernel_mthp_restore(void)
{
	while (mthp_nr_saved > 0) {
		int i = --mthp_nr_saved;

		if (sysfs_put(mthp_saved[i].path, mthp_saved[i].orig) < 0)
			fprintf(stderr, "bench: could not restore %s to '%s': %s\n",
				mthp_saved[i].path, mthp_saved[i].orig, strerror(errno));
	}
	if (journal_open && pl_hj_active(&mthp_journal)) {
		pl_hj_clean(&mthp_journal);
		pl_hj_close(&mthp_journal);
	}
	journal_open = false;
	mem_mode = KBENCH_BASE;
}

/* Take the host lock and start a journal (root only); 0 or -1 with the reason printed. */
static int journal_start(const char *what)
{
	char err[256] = "";
	int ret;

	if (geteuid() != 0) {
		fprintf(stderr, "bench: %s: not root, cannot change the machine's settings\n", what);
		return -1;
	}
	pl_hj_init(&mthp_journal);
	ret = pl_hj_open(&mthp_journal, 60, NULL, stderr, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "bench: %s: host lock: %s\n", what, err[0] ? err : strerror(-ret));
		return -1;
	}
	journal_open = true;
	return 0;
}

static int kernel_mthp_enable(void)
{
	static const unsigned sizes[] = { 16, 32, 128, 256, 512, 1024, 2048 };
	char path[128];

	snprintf(path, sizeof(path), KBENCH_THP_DIR "/hugepages-%ukB/enabled", KBENCH_MTHP_KB);
	if (access(path, F_OK)) {
		fprintf(stderr, "bench: mthp-64k: no %s (kernel without mTHP, before 6.8)\n", path);
		return -1;
	}
	if (journal_start("mthp-64k") < 0)
		return -1;
	if (mthp_set(path, "always") < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		snprintf(path, sizeof(path), KBENCH_THP_DIR "/hugepages-%ukB/enabled", sizes[i]);
		if (!access(path, F_OK) && mthp_set(path, "never") < 0)
			goto fail;
	}
	mem_mode = KBENCH_MTHP64K;
	return 0;
fail:
	fprintf(stderr, "bench: mthp-64k: cannot set %s: %s\n", path, strerror(errno));
	kernel_mthp_restore();
	return -1;
}

/*
 * PMD THP needs no change of the machine when transparent_hugepage/enabled
 * is "madvise" or "always": the mappings ask with MADV_HUGEPAGE.  The huge
 * zero page needs use_zero_page=1 (the default).
 */
static int kernel_thp_enable(void)
{
	char buf[64];

	if (sysfs_get(KBENCH_THP_DIR "/enabled", buf, sizeof(buf)) < 0 ||
	    !strcmp(buf, "never")) {
		fprintf(stderr, "bench: thp: transparent_hugepage/enabled is not madvise or always\n");
		return -1;
	}
	mem_mode = KBENCH_THP;
	return 0;
}

static int kernel_hugetlb_enable(size_t bytes)
{
	char path[] = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", want[32], got[32];
	unsigned long nr = (unsigned long)(round_to_pages(bytes) / KBENCH_PMD) * 2;

	if (access(path, F_OK)) {
		fprintf(stderr, "bench: hugetlb: no %s\n", path);
		return -1;
	}
	if (journal_start("hugetlb") < 0)
		return -1;
	snprintf(want, sizeof(want), "%lu", nr);
	if (mthp_set(path, want) < 0 || sysfs_get(path, got, sizeof(got)) < 0 ||
	    strtoul(got, NULL, 10) < nr) {
		fprintf(stderr, "bench: hugetlb: could not reserve %lu 2 MiB pages\n", nr);
		kernel_mthp_restore();
		return -1;
	}
	mem_mode = KBENCH_HUGETLB;
	return 0;
}

int kernel_mem_enable(enum kbench_mem mem, size_t bytes)
{
	switch (mem) {
	case KBENCH_BASE:
		return 0;
	case KBENCH_MTHP64K:
		return kernel_mthp_enable();
	case KBENCH_THP:
		return kernel_thp_enable();
	case KBENCH_HUGETLB:
		return kernel_hugetlb_enable(bytes);
	}
	return -1;
}

void kernel_mem_base(void)
{
	kernel_mthp_restore();
}

static unsigned long mthp_fault_allocs(void)
{
	char buf[32];

	if (sysfs_get(KBENCH_THP_DIR "/hugepages-64kB/stats/anon_fault_alloc", buf,
		      sizeof(buf)) < 0)
		return 0;
	return strtoul(buf, NULL, 10);
}

/* This process's AnonHugePages in kB (/proc/self/smaps_rollup), or 0. */
static unsigned long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "re");
	char line[128];
	unsigned long kb = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/*
 * An anonymous private mapping of len bytes, every page populated for write
 * unless !populate: base pages (MADV_NOHUGEPAGE); in mTHP mode 64 kB folios
 * in a 64 kB aligned range; in THP mode PMD-mapped 2 MiB folios
 * (MADV_HUGEPAGE, 2 MiB aligned; checked in smaps_rollup's AnonHugePages);
 * in hugetlb mode MAP_HUGETLB 2 MiB pages.  NULL (reason on stderr) on
 * failure.
 */
static char *map_mem(const char *what, size_t len, bool populate)
{
	size_t align = mem_mode == KBENCH_MTHP64K ? KBENCH_MTHP_BYTES :
		       mem_mode == KBENCH_THP	  ? KBENCH_PMD : 0;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | (mem_mode == KBENCH_HUGETLB ? MAP_HUGETLB : 0);
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE, flags, -1, 0);
	unsigned long before = 0, huge_before = 0;

	if (p == MAP_FAILED) {
		fprintf(stderr, "bench: %s: mmap of %zu bytes: %s\n", what, len, strerror(errno));
		return NULL;
	}
	if (align) {
		/* trim to an aligned range of len bytes */
		uintptr_t a = (uintptr_t)p, al = (a + align - 1) & ~(uintptr_t)(align - 1);

		if (al > a)
			munmap(p, al - a);
		if (al + len < a + len + align)
			munmap((char *)al + len, a + len + align - (al + len));
		p = (char *)al;
	}
	switch (mem_mode) {
	case KBENCH_BASE:
		/* Best effort: without THP support there is nothing to turn off. */
		(void)madvise(p, len, MADV_NOHUGEPAGE);
		break;
	case KBENCH_THP:
		if (madvise(p, len, MADV_HUGEPAGE)) {
			fprintf(stderr, "bench: %s: MADV_HUGEPAGE: %s\n", what, strerror(errno));
			munmap(p, len);
			return NULL;
		}
		huge_before = anon_huge_kb();
		break;
	case KBENCH_MTHP64K:
		before = mthp_fault_allocs();
		break;
	case KBENCH_HUGETLB:
		break;
	}
	if (!populate)
		return p;
	touch_pages(p, len, 1);
	if (mem_mode == KBENCH_MTHP64K && mthp_fault_allocs() - before < len / KBENCH_MTHP_BYTES) {
		fprintf(stderr, "bench: %s: populating %zu bytes made %lu 64 kB folios, not %zu\n",
			what, len, mthp_fault_allocs() - before, len / KBENCH_MTHP_BYTES);
		munmap(p, len);
		return NULL;
	}
	if (mem_mode == KBENCH_THP && (anon_huge_kb() - huge_before) * 1024 < len) {
		fprintf(stderr, "bench: %s: populating %zu bytes made %lu kB of THPs\n", what, len,
			anon_huge_kb() - huge_before);
		munmap(p, len);
		return NULL;
	}
	return p;
}

static char *map_populated(const char *what, size_t len)
{
	return map_mem(what, len, true);
}

/* Reap pid; returns 0 if it exited with status 0. */
static int reap(const char *what, pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "bench: %s: waitpid: %s\n", what, strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: %s: child did not exit cleanly (status %#x)\n", what,
			(unsigned)status);
		return -1;
	}
	return 0;
}

int64_t kernel_fork_ns(size_t bytes)
{
	size_t len = round_to_pages(bytes);
	char *p = map_populated("fork", len);
	int64_t t0, t1;
	pid_t pid;

	if (!p)
		return -1;

	t0 = now_ns();
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0) {
		fprintf(stderr, "bench: fork: %s\n", strerror(errno));
		munmap(p, len);
		return -1;
	}
	if (reap("fork", pid) < 0) {
		munmap(p, len);
		return -1;
	}
	t1 = now_ns();

	munmap(p, len);
	return t1 - t0;
}

#if KBENCH_HAVE_IO_URING && defined(__NR_io_uring_setup) && defined(__NR_io_uring_register)

/* io_uring_setup(2) refuses with EPERM when kernel.io_uring_disabled says so. */
static const char *io_uring_setup_reason(int err)
{
	switch (err) {
	case ENOSYS:
		return "kernel built without io_uring";
	case EPERM:
		return "io_uring disabled (sysctl kernel.io_uring_disabled) or not permitted";
	default:
		return strerror(err);
	}
}

/*
 * As root, lift RLIMIT_MEMLOCK so pinned pages are never refused for
 * accounting; *saved records what to put back.  Returns true if it changed it.
 */
static bool memlock_raise(struct rlimit *saved)
{
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };

	if (geteuid() != 0 || getrlimit(RLIMIT_MEMLOCK, saved) != 0)
		return false;
	return setrlimit(RLIMIT_MEMLOCK, &inf) == 0;
}

int64_t kernel_pin_unpin_ns(size_t bytes)
{
	size_t len = round_to_pages(bytes);
	size_t nr_iov = (len + KBENCH_MAX_IOV_LEN - 1) / KBENCH_MAX_IOV_LEN;
	struct io_uring_params params;
	struct iovec *iov = NULL;
	struct rlimit saved;
	bool raised = false;
	int64_t t0, t1, t2, ret = -1;
	char *p;
	long r;
	int fd;

	p = map_populated("pin-unpin", len);
	if (!p)
		return -1;
	iov = calloc(nr_iov, sizeof(*iov));
	if (!iov) {
		fprintf(stderr, "bench: pin-unpin: out of memory\n");
		goto unmap;
	}
	for (size_t i = 0; i < nr_iov; i++) {
		size_t off = i * KBENCH_MAX_IOV_LEN;

		iov[i].iov_base = p + off;
		iov[i].iov_len = len - off < KBENCH_MAX_IOV_LEN ? len - off : KBENCH_MAX_IOV_LEN;
	}

	raised = memlock_raise(&saved);
	memset(&params, 0, sizeof(params));
	fd = (int)syscall(__NR_io_uring_setup, 1u, &params);
	if (fd < 0) {
		fprintf(stderr, "bench: pin-unpin: io_uring_setup: %s\n",
			io_uring_setup_reason(errno));
		goto restore_memlock;
	}

	t0 = now_ns();
	r = syscall(__NR_io_uring_register, fd, IORING_REGISTER_BUFFERS, iov, (unsigned)nr_iov);
	t1 = now_ns();
	if (r < 0) {
		fprintf(stderr, "bench: pin-unpin: IORING_REGISTER_BUFFERS of %zu bytes: %s%s\n", len,
			strerror(errno),
			errno == ENOMEM ? " (RLIMIT_MEMLOCK too small? run as root)" : "");
		goto close_ring;
	}
	r = syscall(__NR_io_uring_register, fd, IORING_UNREGISTER_BUFFERS, NULL, 0u);
	t2 = now_ns();
	if (r < 0) {
		fprintf(stderr, "bench: pin-unpin: IORING_UNREGISTER_BUFFERS: %s\n", strerror(errno));
		goto close_ring;	/* closing the ring unregisters them anyway */
	}
	ret = (t1 - t0) + (t2 - t1);

close_ring:
	close(fd);
restore_memlock:
	if (raised)
		setrlimit(RLIMIT_MEMLOCK, &saved);
unmap:
	free(iov);
	munmap(p, len);
	return ret;
}

#else /* no io_uring at build time */

int64_t kernel_pin_unpin_ns(size_t bytes)
{
	(void)bytes;
	fprintf(stderr, "bench: pin-unpin: built without <linux/io_uring.h> or io_uring syscall numbers\n");
	return -1;
}

#endif

/*
 * A child blocked on a pipe until *wfd is closed (it keeps every page
 * mapped until then); -1 on failure.  With @fork_ns, the time fork() took
 * in the parent goes there.
 */
static pid_t fork_blocked(const char *what, int *wfd, int64_t *fork_ns)
{
	int64_t t0;
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "bench: %s: pipe: %s\n", what, strerror(errno));
		return -1;
	}
	t0 = now_ns();
	pid = fork();
	if (fork_ns)
		*fork_ns = now_ns() - t0;
	if (pid == 0) {
		char c;

		close(pipefd[1]);
		while (read(pipefd[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(pipefd[0]);
	if (pid < 0) {
		fprintf(stderr, "bench: %s: fork: %s\n", what, strerror(errno));
		close(pipefd[1]);
		return -1;
	}
	*wfd = pipefd[1];
	return pid;
}

int64_t kernel_cow_fault_ns(size_t bytes)
{
	size_t len = round_to_pages(bytes);
	int64_t t0, t1, ret = -1;
	pid_t pid;
	int wfd;
	char *p;

	p = map_populated("cow-fault", len);
	if (!p)
		return -1;
	pid = fork_blocked("cow-fault", &wfd, NULL);
	if (pid < 0)
		goto unmap;

	t0 = now_ns();
	touch_stride(p, len, kbench_stride(mem_mode, true), 2);
	t1 = now_ns();

	close(wfd);		/* releases the child */
	if (reap("cow-fault", pid) == 0)
		ret = t1 - t0;
unmap:
	munmap(p, len);
	return ret;
}

int64_t kernel_vmsplice_ns(size_t bytes)
{
	enum { CHUNK = 16 };	/* the pipe's default 16 buffers */
	size_t len = round_to_pages(bytes);
	int64_t t0, t1, ret = -1;
	int pipefd[2], devnull;
	char *p;

	p = map_populated("vmsplice", len);
	if (!p)
		return -1;
	/* the model's pl_pipe_read() copies nothing: drain the pipe by splice(2) */
	devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (devnull < 0) {
		fprintf(stderr, "bench: vmsplice: /dev/null: %s\n", strerror(errno));
		goto unmap;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "bench: vmsplice: pipe: %s\n", strerror(errno));
		close(devnull);
		goto unmap;
	}
	t0 = now_ns();
	for (size_t off = 0; off < len; off += CHUNK * KBENCH_PAGE) {
		struct iovec iov = { p + off, CHUNK * KBENCH_PAGE };
		size_t left = iov.iov_len;

		if (len - off < iov.iov_len)
			iov.iov_len = left = len - off;
		if (vmsplice(pipefd[1], &iov, 1, 0) != (ssize_t)iov.iov_len) {
			fprintf(stderr, "bench: vmsplice: vmsplice: %s\n", strerror(errno));
			goto close;
		}
		while (left) {
			ssize_t got = splice(pipefd[0], NULL, devnull, NULL, left, 0);

			if (got <= 0) {
				fprintf(stderr, "bench: vmsplice: splice: %s\n", strerror(errno));
				goto close;
			}
			left -= (size_t)got;
		}
	}
	t1 = now_ns();
	ret = t1 - t0;
close:
	close(pipefd[0]);
	close(pipefd[1]);
	close(devnull);
unmap:
	munmap(p, len);
	return ret;
}

/* fork_blocked(), then the child let go at once and reaped: 0, or -1. */
static int fork_reaped(const char *what, int64_t *fork_ns)
{
	pid_t pid;
	int wfd;

	pid = fork_blocked(what, &wfd, fork_ns);
	if (pid < 0)
		return -1;
	close(wfd);
	return reap(what, pid);
}

int64_t kernel_fork_parent_ns(size_t bytes)
{
	size_t len = round_to_pages(bytes);
	char *p = map_populated("fork-parent", len);
	int64_t ret = -1, fork_ns;

	if (!p)
		return -1;
	if (fork_reaped("fork-parent", &fork_ns) == 0)
		ret = fork_ns;
	munmap(p, len);
	return ret;
}

int64_t kernel_reuse_ns(size_t bytes)
{
	size_t len = round_to_pages(bytes);
	char *p = map_populated("reuse", len);
	int64_t t0, t1, ret = -1;

	if (!p)
		return -1;
	if (fork_reaped("reuse", NULL) == 0) {
		t0 = now_ns();
		touch_stride(p, len, kbench_stride(mem_mode, false), 3);
		t1 = now_ns();
		ret = t1 - t0;
	}
	munmap(p, len);
	return ret;
}

int64_t kernel_zero_read_ns(size_t bytes)
{
	size_t len = round_to_pages(bytes);
	char *p = map_mem("zero-read", len, false);
	int64_t t0, t1;
	char sum;

	if (!p)
		return -1;
	t0 = now_ns();
	sum = read_stride(p, len, kbench_stride(mem_mode, false));
	t1 = now_ns();
	munmap(p, len);
	if (sum) {
		fprintf(stderr, "bench: zero-read: read a non-zero byte\n");
		return -1;
	}
	return t1 - t0;
}
