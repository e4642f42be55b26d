/*
 * backend_host.c - the host backend (first slice): each resolved step is a
 * real system call in a real process.  See backend_host.h and docs/host.md.
 *
 *	pinlab (controller)                      worker (one per scenario process)
 *	-------------------                      ------------------------------
 *	files: memfd, or an unlinked file in     mmap munmap mprotect madvise mremap
 *	  a mkdtemp() dir under /tmp (ext4)      user writes and reads (SIGSEGV -> EFAULT)
 *	pipes: pipe2(); the write end goes to    vmsplice into the pipe it was sent
 *	  the vmsplicing worker per request      io_uring rings: setup, register buffers,
 *	pread/pwrite of files, read and write      write_fixed/read_fixed to the file sent
 *	  of pipes, splice of a file into one
 *	deadline for the whole run               fork: clone(CLONE_PARENT) with the new
 *	                                           socket it was sent; exit: _exit()
 *
 * Requests and replies are fixed-size structs on a SOCK_SEQPACKET
 * socketpair, an fd (file, pipe, new socket) in SCM_RIGHTS when the op
 * needs one.  Workers are all children of pinlab (CLONE_PARENT), die with
 * it (PR_SET_PDEATHSIG) and are reaped by end().  Files are unlinked as
 * soon as they are open, so nothing stays on disk once their fds close.
 *
 * Global state: host_sig (a volatile sig_atomic_t set by the SIGINT/SIGTERM
 * handler) in pinlab, and host_segv_env (the jump buffer of the SIGSEGV
 * handler) in workers only.
 *
 * Files (host.h): this one is the controller -- the backend's members, its
 * processes, files, pipes, rings, pins and checks, and one step; worker.c
 * the protocol and the worker; settings.c the system-wide settings (THP,
 * mTHP, hugetlb pools, KSM, a swapfile) and their restoring; journal.c the
 * host lock and the on-disk journal; profile.c the host profile.  Over
 * 900 lines: the step's operations and checks are the controller's half of
 * each request, beside the code that sends it.
 */
#include "backend/host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fiemap.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const host_skips[SK_NR] = {
	[SK_GUP_FAST]	= "no host equivalent: explicit GUP-fast choice",
	[SK_GUP_TEST]	= "R/O long-term pin: no user API but gup_test (/sys/kernel/debug/gup_test, CONFIG_GUP_TEST, 6.2+), which this kernel lacks",
	[SK_RAW_GUP]	= "no host equivalent: a FOLL_GET reference held across steps that is not a read get_user_pages[_fast]() (vmsplice() holds those): FOLL_WRITE, FOLL_FAST_ONLY or other flags; gup_test gets and puts within one ioctl",
	[SK_NO_SWAP]	= "no swap on this machine (pinlab can add a temporary swapfile: --allow-swapfile, as root)",
	[SK_RDMA]	= "a read-only RDMA MR: no RDMA device, and no gup_test to take ib_umem_get()'s R/O long-term pin in its place",
	[SK_KPAGEFLAGS]	= "page flags need /proc/kpageflags and PFNs in pagemap (root)",
	[SK_RECLAIM]	= "no host equivalent: reclaim of one chosen page (MADV_PAGEOUT stands in only for a small anonymous page mapped once; this one is a file page, shared, large, locked, or its flags are not readable)",
	[SK_THP_OP]	= "no host equivalent: splitting the PMD mapping of one chosen THP and nothing else",
	[SK_UFFD]	= "uffd-continue: this kernel has no userfaultfd minor faults on shmem (UFFD_FEATURE_MINOR_SHMEM, c949b097ef2e, 5.14, and CONFIG_HAVE_ARCH_USERFAULTFD_MINOR), or no userfaultfd(2)",
	[SK_UPROBE]	= "no uprobe PMU (/sys/bus/event_source/devices/uprobe/type: this kernel lacks CONFIG_UPROBE_EVENTS)",
	[SK_KSM]	= "this kernel has no KSM (/sys/kernel/mm/ksm)",
	[SK_EVICT]	= "no host equivalent: eviction of one chosen page cache page",
	[SK_DISK]	= "reading the disk behind the page cache: only for ext4 files (FIEMAP, then the block device)",
	[SK_DISK_DEV]	= "reading the disk behind the page cache: this machine refuses to open the filesystem's block device (EPERM or EACCES, even as root: a device cgroup or LSM, or not root)",
	[SK_NO_EXT4]	= "no ext4 filesystem for temporary files ($TMPDIR, else /tmp)",
	[SK_BIG_FILE]	= "a filled file of more than 4096 pages",
	[SK_PROP]	= "page state not observable from userspace (PG_anon_exclusive, PTE write bit, pins)",
	[SK_COUNT]	= "no host equivalent: refcount and pincount are not observable (only dump_page() prints them, into the kernel log, with the looker's own reference and any per-CPU LRU batch reference counted in)",
	[SK_IOURING]	= "io_uring unavailable (disabled, or not supported by this kernel)",
	[SK_MEMLOCK]	= "io_uring buffer registration refused: RLIMIT_MEMLOCK too low or not root",
	[SK_PFNMAP]	= "no host equivalent: a driver's PFN mapping",
	[SK_LIMIT]	= "scenario larger than the host backend's tables",
	[SK_NOT_ROOT]	= "changing THP, mTHP or hugetlb pool settings needs root",
	[SK_NO_SETTING]	= "this kernel lacks the THP/mTHP size or hugetlb page size (no sysfs file)",
	[SK_POOL]	= "the kernel could not allocate the hugetlb pages the backing needs",
	[SK_SWAPFILE]	= "could not set up a temporary swapfile in $TMPDIR or /tmp (not ext4, or swapon refused)",
	[SK_PUD_FORK]	= "this kernel loses 1 GiB hugetlb pages across fork (self-test failed; docs/host.md)",
	[SK_PIN_FILE]	= "io_uring, the host's long-term pin, refuses file-backed buffers on this kernel (before ~6.5)",
	[SK_UFFD_FORK]	= "uffd-writeprotect fork-event: this kernel refuses UFFD_FEATURE_EVENT_FORK with UFFD_FEATURE_SIGBUS (CAP_SYS_PTRACE is needed since 3c1c24d91ffd, 5.5), or has no userfaultfd(2)",
	[SK_NO_UFFD]	= "userfaultfd write-protect unavailable (no userfaultfd(2), or UFFD_FEATURE_SIGBUS / MODE_WP refused)",
	[SK_VFIO]	= "vfio type1: the host backend opens no vfio container (no IOMMU group bound to vfio here)",
	[SK_UDMABUF]	= "udmabuf: the host backend does not drive /dev/udmabuf (UDMABUF_CREATE); this machine has none",
	[SK_MEMLOCK_LATE] = "memlock after the first process: the host backend limits its workers when it starts them (io_uring checks CAP_IPC_LOCK when a ring is made)",
	[SK_MEMLOCK_STANDIN] = "memlock: the host's stand-in for this pin (an io_uring buffer for a R/W MR or pin, gup_test for a R/O one) is charged to RLIMIT_MEMLOCK by another rule than the pinner it stands for (no RDMA device or gup_test charge here)",
	[SK_MEMLOCK_RINGS] = "memlock with a second process on a kernel that charges io_uring ring memory to RLIMIT_MEMLOCK (io_create_region(), after 6.12): every worker pinlab starts makes its own rings first, and the host backend can discount only the first worker's",
	[SK_MEMLOCK_SET] = "memlock: the scenario's RLIMIT_MEMLOCK, plus what the host backend's own io_uring rings are charged, is over the hard limit pinlab inherited",
	[SK_MEMLOCK_PUT] = "memlock: a buffer registered after another was unregistered from a ring that keeps others; 6.1 gives that charge back from delayed work (rsrc_put_work, a second later), so the outcome would depend on time",
	[SK_MEMLOCK_ONE_RING] = "memlock: this kernel refuses a sparse io_uring buffer table (IORING_REGISTER_BUFFERS2 with IORING_RSRC_REGISTER_SPARSE, 5.19), which the host backend needs to give a process's buffers one ring, as the model has them",
	[SK_MEMLOCK_MLOCK] = "memlock: the kernel also charges mlock(), MAP_LOCKED and memfd_secret() mappings to RLIMIT_MEMLOCK without CAP_IPC_LOCK, which the model does not (docs/model.md)",
	[SK_PLACEMENT]	= "no host equivalent: placing a mapping in ZONE_MOVABLE or CMA",
	[SK_GUPT_ONE]	= "gup_test holds one long-term pin at a time; this scenario holds two",
	[SK_TIMEOUT]	= "timed out: the run did not finish within its time limit (a slow machine or guest; counted apart, not compared)",
	[SK_SECRETMEM]	= "memfd_secret() unavailable (no CONFIG_SECRETMEM, or disabled: secretmem.enable=0)",
	[SK_DAX]	= "no DAX filesystem here (ext4 on pmem mounted -o dax)",
	[SK_KPF_KSM]	= "this kernel's /proc/kpageflags sets KPF_KSM on every anonymous page (dee3d0bef2b0, 6.10, until \"fs/proc: fix KPF_KSM reported for all anonymous pages\"): a KSM page cannot be told from another",
	[SK_UPROBE_VALUE] = "the kernel's breakpoint is int3 (0xcc) at the page's byte 0: the value must be the page's text with its first byte replaced by \\xcc",
	[SK_UPROBE_PERM] = "perf_event_open() of a uprobe refused: needs root or CAP_PERFMON (kernel.perf_event_paranoid)",
	[SK_DMA_WRITE]	= "no RDMA device: a device write through a read-only MR (its stand-in, gup_test's pin, is only read through)",
	[SK_NO_SOFT_DIRTY] = "this kernel keeps no soft-dirty bits (CONFIG_MEM_SOFT_DIRTY unset: pagemap's bit 55 stays clear after a write)",
	[SK_GIGA_GROW]	= "this kernel cannot grow the 1 GiB hugetlb pool at run time (no CONFIG_CONTIG_ALLOC: only pages reserved at boot, hugepagesz=1G hugepages=N, and a freed one never comes back), and the run needs a pool of another size",
	[SK_ODP]	= "no host equivalent: an on-demand-paging MR mirrors the page tables through an MMU notifier and takes no pin (needs an ODP-capable RDMA device)",
	[SK_DIO_FS]	= "an O_DIRECT request held in flight: the host backend holds it on an ext4 file only (the file is on tmpfs or hugetlbfs here)",
	[SK_DIO_EXTENT]	= "an O_DIRECT request held in flight: the sector after the request must be in the same ext4 extent as the request (one bio), and it is not here (a hole, an unwritten extent, or a new extent)",
	[SK_DIO_UNHELD]	= "an O_DIRECT request held in flight: the kernel did not block in GUP of the held page (it finished, or blocked elsewhere: no one-bio O_DIRECT on this filesystem)",
	[SK_DIO_LOCK]	= "an O_DIRECT request held in flight holds its file's inode lock (ext4_dio_read_iter() and ext4_dio_write_iter() keep it until the I/O is done): no write or truncate of that file until it completes",
	[SK_DIO_UFFD]	= "an O_DIRECT request held in flight needs userfaultfd (MISSING mode) to hold it, which this kernel refuses",
	[SK_COLLAPSE_RO] = "MADV_COLLAPSE refused the range with EINVAL (from 6.1 a range with no writable PTE is SCAN_PAGE_RO; before 6.1 no MADV_COLLAPSE): the model's collapse is khugepaged's without that rule; cow.c skips this case too",
};

const char *const *pl_host_skip_reasons(int *nr)
{
	*nr = SK_NR;
	return host_skips;
}

volatile sig_atomic_t host_sig;

static void host_on_signal(int sig)
{
	host_sig = sig;
}

void pl_host_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_on_signal;	/* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed output pipe is a write error (exit 3), not death before the host is restored */
	signal(SIGPIPE, SIG_IGN);
}

bool pl_host_interrupted(void)
{
	return host_sig != 0;
}

int pl_host_signal(void)
{
	return host_sig;
}

long host_skip(struct pl_bresult *r, enum host_skip why)
{
	r->text = host_skips[why];
	return -PL_BSKIP;
}

/* Where temporary files go: $TMPDIR when it is an absolute path, else /tmp. */
const char *host_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' && strlen(t) < PATH_MAX - 32 ? t : "/tmp";
}

int host_ms_left(const struct host *h)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(h->deadline.tv_sec - now.tv_sec) * 1000 +
	     (h->deadline.tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 1000000 ? 1000000 : (int)ms;
}

static void host_kill_all(struct host *h)
{
	for (int i = 0; i < h->nr_procs; i++)
		if (h->procs[i].pid > 0)
			kill(h->procs[i].pid, SIGKILL);
	for (int i = 0; i < h->nr_procs; i++) {
		struct hproc *p = &h->procs[i];

		if (p->pid > 0)
			while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
				;
		if (p->sock >= 0)
			close(p->sock);
		p->pid = 0;
		p->sock = -1;
	}
}

void host_die(struct host *h, long err)
{
	host_kill_all(h);
	h->dead = true;
	h->dead_err = err;
}

static struct hproc *host_proc(struct host *h, int pid)
{
	if (pid < 1 || pid > h->nr_procs || h->procs[pid - 1].pid <= 0)
		return NULL;
	return &h->procs[pid - 1];
}

/* One request to worker @pid and its reply.  Returns p->ret or -errno. */
static long host_call(struct host *h, int pid, struct w_req *q, int fd, struct w_rep *p)
{
	struct hproc *w;
	struct pollfd pfd;
	int got, rfd;

	memset(p, 0, sizeof(*p));
	q->thread = h->cur_thread;
	if (host_sig)
		host_die(h, -EINTR);
	if (h->dead)
		return h->dead_err;
	w = host_proc(h, pid);
	if (!w)
		return -ESRCH;
	if (!host_ms_left(h)) {		/* the run's time is up */
		host_die(h, -ETIMEDOUT);
		return -ETIMEDOUT;
	}
	if (send_msg(w->sock, q, sizeof(*q), fd))
		return -ECHILD;
	pfd.fd = w->sock;
	pfd.events = POLLIN;
	for (;;) {
		got = poll(&pfd, 1, host_ms_left(h));
		if (got > 0)
			break;
		if (got == 0) {
			host_die(h, -ETIMEDOUT);
			return -ETIMEDOUT;
		}
		if (errno == EINTR && host_sig) {
			host_die(h, -EINTR);
			return -EINTR;
		}
	}
	if (recv_msg(w->sock, p, sizeof(*p), &rfd)) {
		/* the worker crashed */
		while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(w->sock);
		w->pid = 0;
		w->sock = -1;
		return -ECHILD;
	}
	if (rfd >= 0)
		close(rfd);
	p->text[HOST_TEXT - 1] = 0;
	return p->ret;
}

static int host_new_proc(struct host *h, int *idx, int *theirs)
{
	int sv[2];

	if (h->nr_procs == HOST_MAX)
		return -EMFILE;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	*idx = h->nr_procs++;
	h->procs[*idx].sock = sv[0];
	h->procs[*idx].pid = 0;
	*theirs = sv[1];
	return 0;
}

/*
 * `memlock N`: every process is an ordinary user's, RLIMIT_MEMLOCK N pages
 * and no CAP_IPC_LOCK, which otherwise lifts the limit: can_do_mlock() and
 * mlock's checks (mm/mlock.c), ib_umem_get() (drivers/infiniband/core/
 * umem.c), and io_uring, which charges a ring's buffers to its creator's
 * user->locked_vm only if ns_capable_noaudit(&init_user_ns, CAP_IPC_LOCK)
 * failed when io_uring_create() made the ring, against RLIMIT_MEMLOCK read
 * at registration (__io_account_mem(), io_uring/rsrc.c) -- all read in
 * Debian's 6.1.192 and 6.12.118 sources.  pinlab runs as root, so the new
 * worker (pinlab's fork child, before it makes its rings) drops
 * CAP_IPC_LOCK from its effective, permitted and inheritable sets with
 * capset(2); then W_MEMLOCK sets its RLIMIT_MEMLOCK (soft limit; workers
 * forked from it inherit both).  The charge goes to the ring creator's
 * user_struct, and a ring's charges are given back only when its exit work
 * runs, some time after its last process died: so the workers of each
 * `memlock` run take a uid of their own (h->memlock_uid; the other
 * capabilities are kept across setresuid() with PR_SET_KEEPCAPS), whose
 * locked_vm no earlier run's rings still hold (seen: pinners/10 after 07 in
 * one diff found 07's charge gone half way).
 *
 * Later kernels also charge a ring's own memory there (io_create_region()
 * in io_uring/memmap.c, mainline at 086714bbb96f; not in 6.12.118), so the
 * 16 rings every worker makes at its start would eat the scenario's budget.
 * The first worker measures what its uid has charged once its rings exist
 * (W_MEMLOCK, worker.c) and its limit is the scenario's plus that; a later
 * worker pinlab starts adds rings of its own the first's limit does not
 * cover, so where rings are charged a second `process` skips.
 */
static int host_unprivileged(uid_t uid)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	uint32_t bit = 1u << (CAP_IPC_LOCK % 32);
	int w = CAP_IPC_LOCK / 32;

	/* keep the permitted set across the uid change; effective comes back below */
	if (prctl(PR_SET_KEEPCAPS, 1) || setresuid(uid, uid, uid))
		return -errno;
	prctl(PR_SET_DUMPABLE, 1);	/* a uid change cleared it: /proc/PID stays ours */
	if (syscall(SYS_capget, &hdr, d))
		return -errno;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		d[i].effective = d[i].permitted;
	d[w].effective &= ~bit;
	d[w].permitted &= ~bit;
	d[w].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, d))
		return -errno;
	return 0;
}

static long host_process(struct host *h, struct pl_bresult *r)
{
	int idx, theirs, err;
	pid_t pid, me;

	if (h->memlock && h->memlock_workers && h->memlock_base)
		return host_skip(r, SK_MEMLOCK_RINGS);
	err = host_new_proc(h, &idx, &theirs);
	if (err)
		return err;
	fflush(NULL);
	me = getpid();
	pid = fork();
	if (pid < 0) {
		close(theirs);
		return -errno;
	}
	if (pid == 0) {
		if (h->memlock && host_unprivileged(h->memlock_uid))
			_exit(126);	/* pinlab's first call on it fails with EPIPE */
		host_worker_run(theirs, me);
	}
	close(theirs);
	h->procs[idx].pid = pid;
	r->id = idx + 1;
	if (h->memlock) {
		struct w_req q = { .op = W_MEMLOCK, .n = h->memlock_pages,
				   .arg = !h->memlock_workers, .addr = h->memlock_base };
		struct w_rep p;
		long ret = host_call(h, r->id, &q, -1, &p);

		if (ret == -EINVAL)
			return host_skip(r, SK_MEMLOCK_SET);
		if (ret < 0)
			return ret;
		if (!h->memlock_workers++)
			h->memlock_base = p.val;
	}
	return 0;
}

static long host_fork(struct host *h, int pid, struct pl_bresult *r)
{
	int idx, theirs, err;
	struct w_req q = { .op = W_FORK };
	struct w_rep p;
	long ret;

	if (!host_proc(h, pid))
		return -ESRCH;
	err = host_new_proc(h, &idx, &theirs);
	if (err)
		return err;
	ret = host_call(h, pid, &q, theirs, &p);
	close(theirs);
	if (ret < 0) {
		close(h->procs[idx].sock);
		h->procs[idx].sock = -1;
		return ret;
	}
	h->procs[idx].pid = (int)ret;
	r->id = idx + 1;
	return 0;
}

static long host_exit(struct host *h, int pid)
{
	struct w_req q = { .op = W_EXIT };
	struct w_rep p;
	struct hproc *w;
	long ret = host_call(h, pid, &q, -1, &p);

	if (ret < 0)
		return ret;
	w = &h->procs[pid - 1];
	while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(w->sock);
	w->pid = 0;
	w->sock = -1;
	return 0;
}

/*
 * Write @text at byte @off of a file, and zeroes to the end of its page (a
 * page written whole holds its value, as in the model).  hugetlbfs has no write(2): its pages
 * are written through a shared mapping of the huge page that holds @off.
 */
static int host_file_store(const struct hfile *f, const char *text, off_t off)
{
	size_t huge, len = strlen(text) + 1;
	char page[HOST_PAGE];
	off_t base;
	char *p;

	if (f->fs != PL_FS_HUGETLBFS) {
		/* the whole page: the text, then zeroes (the model's token) */
		memset(page, 0, sizeof(page));
		memcpy(page, text, len < sizeof(page) ? len : sizeof(page));
		return pwrite(f->fd, page, sizeof(page), off) < 0 ? -errno : 0;
	}
	huge = (size_t)HOST_PAGE << f->huge_order;
	base = off - off % (off_t)huge;
	p = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, base);
	if (p == MAP_FAILED)
		return -errno;
	memset(p + (off - base), 0, HOST_PAGE);
	memcpy(p + (off - base), text, len < HOST_PAGE ? len : HOST_PAGE);
	munmap(p, huge);
	return 0;
}

static long host_file(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct hfile *f;
	struct statfs st;
	char name[48];
	int fd, err;

	if (h->nr_files == HOST_MAX)
		return host_skip(r, SK_LIMIT);
	if (s->text && s->n > 4096)
		return host_skip(r, SK_BIG_FILE);
	if (s->arg == PL_FS_EXT4_DAX)
		return host_skip(r, SK_DAX);
	if (s->arg == PL_FS_EXT4) {
		if (statfs(host_tmpdir(), &st) || st.f_type != EXT4_MAGIC)
			return host_skip(r, SK_NO_EXT4);
		/* a file with no name: nothing on disk once the fd is closed, even after SIGKILL */
		fd = open(host_tmpdir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0)
			return errno == EOPNOTSUPP || errno == EISDIR ? host_skip(r, SK_NO_EXT4)
								       : -errno;
	} else if (s->arg == PL_FS_HUGETLBFS) {
		/* memfd_create(MFD_HUGETLB) is a file on the kernel's internal hugetlbfs */
		unsigned int flags = MFD_CLOEXEC | MFD_HUGETLB | MFD_ALLOW_SEALING;

		flags |= (s->huge_order == 18 ? 30u : 21u) << MAP_HUGE_SHIFT;	/* == MFD_HUGE_SHIFT */
		pl_hj_memfd_name(name, sizeof(name), "hugetlb");
		fd = memfd_create(name, flags);
		if (fd < 0)
			return errno == EINVAL ? host_skip(r, SK_NO_SETTING) : -errno;
	} else {
		pl_hj_memfd_name(name, sizeof(name), "file");
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);	/* `seal` */
		if (fd < 0)
			return -errno;
	}
	f = &h->files[h->nr_files];
	f->fd = fd;
	f->fs = s->arg;
	f->huge_order = s->arg == PL_FS_HUGETLBFS ? (s->huge_order ? s->huge_order : 9) : 0;
	/*
	 * A filled ext4 file gets its blocks and one more past its end in one
	 * allocation (FALLOC_FL_KEEP_SIZE: not part of the file): an O_DIRECT
	 * request held at the end of the file adds that page, which then joins
	 * the file's extent (host_dio()).  Best effort: without it the request
	 * may skip.
	 */
	if (s->arg == PL_FS_EXT4 && s->text && s->n < 4096 &&
	    fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)(s->n + 1) * HOST_PAGE))
		errno = 0;
	if (ftruncate(fd, (off_t)s->n * HOST_PAGE)) {
		err = -errno;
		close(fd);
		return err;
	}
	for (uint64_t i = 0; s->text && i < s->n; i++) {
		err = host_file_store(f, s->text, (off_t)(i * HOST_PAGE));
		if (err) {
			close(fd);
			return err;
		}
	}
	/* the model's new file is on disk, nothing dirty: `check disk` reads it there */
	if (s->arg == PL_FS_EXT4 && s->text && fsync(fd)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (s->prot == PL_PROT_READ) {
		/* `file F ... ro`: filled through the O_RDWR fd, used through an O_RDONLY one */
		char path[64];
		int ro;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ro = open(path, O_RDONLY | O_CLOEXEC);
		err = -errno;
		close(fd);
		if (ro < 0)
			return err;
		f->fd = ro;
	}
	h->nr_files++;
	r->id = h->nr_files;
	return 0;
}

static struct hfile *host_filep(struct host *h, int id)
{
	return id >= 1 && id <= h->nr_files ? &h->files[id - 1] : NULL;
}

static struct hpipe *host_pipe(struct host *h, int id)
{
	if (id < 1 || id > h->nr_pipes || h->pipes[id - 1].rfd < 0)
		return NULL;
	return &h->pipes[id - 1];
}

static struct hring *host_ring(struct host *h, int id)
{
	if (id < 1 || id > h->nr_rings || h->rings[id - 1].idx < 0)
		return NULL;
	return &h->rings[id - 1];
}

/* Read one page (the text at its start) of fd at page index. */
static long host_pread(struct host *h, int fd, uint32_t index)
{
	ssize_t got = pread(fd, h->text, HOST_TEXT - 1, (off_t)index * HOST_PAGE);

	if (got < 0)
		return -errno;
	h->text[got] = 0;	/* past EOF: zeroes */
	return 0;
}

/* What a page's bytes show for a byte-range step (PL_BSTEP_BYTES), as the model shows them. */
static void host_bytes_view(struct host *h, const char *page, const struct pl_bstep *s)
{
	uint32_t n = s->blen ? s->blen : HOST_TEXT - 1;

	if (n > HOST_PAGE - s->boff)
		n = HOST_PAGE - s->boff;
	if (s->blen) {
		pl_bytes_show(page + s->boff, n, h->text, sizeof(h->text));
	} else {
		memcpy(h->text, page + s->boff, n);
		h->text[n] = 0;
	}
}

/* A byte range of a file page (PL_BSTEP_BYTES), as the model observes it. */
static long host_pread_bytes(struct host *h, int fd, const struct pl_bstep *s)
{
	char page[HOST_PAGE];

	if (s->boff >= HOST_PAGE)
		return -EINVAL;
	memset(page, 0, sizeof(page));	/* past EOF: zeroes */
	if (pread(fd, page, sizeof(page), (off_t)s->index * HOST_PAGE) < 0)
		return -errno;
	host_bytes_view(h, page, s);
	return 0;
}

/* The byte range of a step, for the worker. */
static void host_req_bytes(struct w_req *q, const struct pl_bstep *s)
{
	if (!(s->flags & PL_BSTEP_BYTES))
		return;
	q->bytes = 1;
	q->boff = s->boff;
	q->blen = s->blen;
}

/* read(2) of up to @len bytes (at most a full pipe, 64K); the text of the first. */
static long host_pipe_read(struct host *h, int id, size_t len)
{
	struct hpipe *pp = host_pipe(h, id);
	char *data;
	ssize_t got;

	if (!pp)
		return -EBADF;
	len = len < 16 * HOST_PAGE ? len : 16 * HOST_PAGE;
	data = malloc(len);
	if (!data)
		return -ENOMEM;
	got = read(pp->rfd, data, len);
	if (got > 0) {
		size_t n = (size_t)got < HOST_TEXT - 1 ? (size_t)got : HOST_TEXT - 1;

		memcpy(h->text, data, n);
		h->text[n] = 0;
	}
	free(data);
	if (got < 0)
		return -errno;
	return got ? 0 : -ENODATA;
}

/* write(2) of @len bytes (@text, then zeroes) into a pipe; its write end does not block. */
static long host_pipe_write(struct host *h, const struct pl_bstep *s)
{
	struct hpipe *pp = host_pipe(h, s->handle);
	size_t len = s->n < 16 * HOST_PAGE ? (size_t)s->n : 16 * HOST_PAGE;
	char *data;
	long ret;

	if (!pp)
		return -EBADF;
	data = calloc(1, len ? len : 1);
	if (!data)
		return -ENOMEM;
	if (s->text)
		memcpy(data, s->text, strlen(s->text) < len ? strlen(s->text) : len);
	ret = write(pp->wfd, data, len) < 0 ? -errno : 0;
	free(data);
	return ret;
}

/* splice(2) of @n bytes at the start of file page @index into a pipe. */
static long host_splice(struct host *h, const struct pl_bstep *s)
{
	struct hpipe *pp = host_pipe(h, s->handle);
	struct hfile *f = host_filep(h, s->file);
	loff_t off = (loff_t)s->index * HOST_PAGE;

	if (!pp || !f)
		return -EBADF;
	return splice(f->fd, &off, pp->wfd, NULL, (size_t)s->n, SPLICE_F_NONBLOCK) < 0 ? -errno
										     : 0;
}

static long host_file_rw(struct host *h, const struct pl_bstep *s, bool write)
{
	struct hfile *f = host_filep(h, s->file);

	if (!f)
		return -EBADF;
	for (uint32_t i = 0; i < s->nr; i++) {
		off_t off = (off_t)(s->index + i) * HOST_PAGE;
		ssize_t got;

		if (!write) {
			got = pread(f->fd, h->text, 1, off);
		} else if (s->text) {
			got = host_file_store(f, s->text, off);
		} else if (f->fs == PL_FS_HUGETLBFS) {
			got = host_file_store(f, "", off);
		} else {
			static const char zero[HOST_PAGE];

			got = pwrite(f->fd, zero, sizeof(zero), off);
		}
		if (got < 0)
			return -errno;
	}
	return 0;
}

/* memfd_secret(2): 447 on x86-64 and arm64 (the libc may not wrap it) */
#ifdef __NR_memfd_secret
#define HOST_NR_MEMFD_SECRET __NR_memfd_secret
#else
#define HOST_NR_MEMFD_SECRET 447
#endif

static int host_mmap_flags(unsigned int m)
{
	int f = 0;

	f |= m & PL_MAP_PRIVATE ? MAP_PRIVATE : 0;
	f |= m & PL_MAP_SHARED ? MAP_SHARED : 0;
	f |= m & PL_MAP_ANONYMOUS ? MAP_ANONYMOUS : 0;
	f |= m & PL_MAP_POPULATE ? MAP_POPULATE : 0;
	f |= m & PL_MAP_HUGETLB ? MAP_HUGETLB : 0;
	f |= m & PL_MAP_LOCKED ? MAP_LOCKED : 0;
	f |= m & PL_MAP_HUGE_1GB ? (30 << MAP_HUGE_SHIFT) : 0;
	f |= m & PL_MAP_FIXED ? MAP_FIXED : 0;
	f |= m & PL_MAP_FIXED_NOREPLACE ? MAP_FIXED_NOREPLACE : 0;
	return f;
}

static const int host_madv[] = {
	[PL_MADV_DONTNEED] = MADV_DONTNEED, [PL_MADV_DONTFORK] = MADV_DONTFORK,
	[PL_MADV_DOFORK] = MADV_DOFORK, [PL_MADV_WIPEONFORK] = MADV_WIPEONFORK,
	[PL_MADV_KEEPONFORK] = MADV_KEEPONFORK, [PL_MADV_PAGEOUT] = MADV_PAGEOUT,
	[PL_MADV_COLD] = MADV_COLD, [PL_MADV_HUGEPAGE] = MADV_HUGEPAGE,
	[PL_MADV_NOHUGEPAGE] = MADV_NOHUGEPAGE, [PL_MADV_POPULATE_READ] = 22,
	[PL_MADV_POPULATE_WRITE] = 23, [PL_MADV_MERGEABLE] = MADV_MERGEABLE,
	[PL_MADV_UNMERGEABLE] = MADV_UNMERGEABLE, [PL_MADV_COLLAPSE] = 25,
};

static long host_ring_register(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_RING_REG, .addr = s->addr, .nr = s->nr, .arg = h->nr_rings };
	uint32_t used = 0;
	struct w_rep p;
	long ret;

	if (h->nr_rings == HOST_RINGS)	/* the instances every worker made at its start */
		return host_skip(r, SK_LIMIT);
	/*
	 * `memlock`: the process's buffers share one ring, a slot each
	 * (worker.c, w_ring_slot()); a new ring takes an instance no one used
	 * (a forked worker's instance i is its parent's).
	 */
	for (int i = 0; h->memlock && i < h->nr_rings; i++)
		if (h->rings[i].owner == s->pid && h->rings[i].idx >= 0 && h->rings[i].slot) {
			q.arg = h->rings[i].idx;
			used |= 1u << (h->rings[i].slot - 1);
		}
	if (h->memlock)
		q.n = 1 + (uint64_t)__builtin_ctz(~used);
	if (h->memlock && h->memlock_put)
		return host_skip(r, SK_MEMLOCK_PUT);
	ret = host_call(h, s->pid, &q, -1, &p);
	if (ret == -ENOSYS)
		return host_skip(r, SK_IOURING);
	if (ret == W_RING_NOTABLE)
		return host_skip(r, SK_MEMLOCK_ONE_RING);
	/* under `memlock`, ENOMEM past RLIMIT_MEMLOCK is the answer to compare */
	if (ret == -ENOMEM && !h->dead && !h->memlock)
		return host_skip(r, SK_MEMLOCK);
	if (ret < 0)
		return ret;
	h->rings[h->nr_rings].owner = s->pid;
	h->rings[h->nr_rings].idx = (int)ret;
	h->rings[h->nr_rings].slot = (int)q.n;
	r->id = ++h->nr_rings;
	return 0;
}

/*
 * `pin M rw`: io_uring's registration stands in for pin_user_pages(). Before
 * about 6.5 io_uring also refused buffers in file mappings other than shmem
 * and hugetlbfs itself (EOPNOTSUPP), a check of its own that
 * pin_user_pages() does not make: there the stand-in says nothing.
 */
static long host_pin(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	long ret = host_ring_register(h, s, r);

	return ret == -EOPNOTSUPP ? host_skip(r, SK_PIN_FILE) : ret;
}

/*
 * gup_test (gup_test.h): where /sys/kernel/debug/gup_test has the
 * PIN_LONGTERM_TEST_* ioctls, every `pin` is its START, issued by the
 * scenario process (the kernel pins current->mm), R/W or R/O, GUP or
 * GUP-fast, as the kernel's cow.c and gup_longterm.c take theirs; `unpin`
 * is STOP and reading the pin is READ.  pinlab keeps the file open, so the
 * pin outlives the process that took it, until STOP or the end of the run.
 *
 * Found once, without side effects: START with a NULL argument fails with
 * EFAULT where the ioctl exists and no pin is held, and with EINVAL on a
 * gup_test older than v6.2 (c77369b437f9), which lacks these ioctls (or
 * while another program holds the one pin; then pinlab does without).
 */
static void host_gupt_find(struct host *h)
{
	if (h->gupt_tried)
		return;
	h->gupt_tried = true;
	h->gupt_fd = open(PL_GUPT_PATH, O_RDWR | O_CLOEXEC);
	if (h->gupt_fd < 0)
		return;
	if (ioctl(h->gupt_fd, PL_GUPT_START, NULL) < 0 && errno == EFAULT)
		return;
	close(h->gupt_fd);
	h->gupt_fd = -1;
}

static long host_gupt_pin(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = {
		.op = W_GUPT_PIN, .addr = s->addr, .nr = s->nr,
		.write = !!(s->prot & PL_PROT_WRITE), .arg = !!(s->flags & PL_BSTEP_FAST),
	};
	struct w_rep p;
	long ret;

	if (h->gupt_pin)
		return host_skip(r, SK_GUPT_ONE);
	ret = host_call(h, s->pid, &q, h->gupt_fd, &p);
	if (ret < 0)
		return ret;
	h->gupt_pin = ++h->nr_gupt;
	h->gupt_nr = s->nr;
	r->id = h->gupt_pin;
	return 0;
}

static long host_gupt_unpin(struct host *h, int handle)
{
	if (!handle || handle != h->gupt_pin)
		return -EBADF;
	h->gupt_pin = 0;
	return ioctl(h->gupt_fd, PL_GUPT_STOP) ? -errno : 0;
}

/* What the pin holds in its page @page: READ copies every pinned page out. */
static long host_gupt_read(struct host *h, int handle, uint32_t page, const struct pl_bstep *s)
{
	size_t len = (size_t)h->gupt_nr * HOST_PAGE;
	uint64_t where;
	char *buf;
	long ret = 0;

	if (!handle || handle != h->gupt_pin || page >= h->gupt_nr)
		return -EBADF;
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (buf == MAP_FAILED)
		return -errno;
	where = (uintptr_t)buf;
	if (ioctl(h->gupt_fd, PL_GUPT_READ, &where))
		ret = -errno;
	else if ((s->flags & PL_BSTEP_BYTES) && s->boff < HOST_PAGE)
		host_bytes_view(h, buf + (size_t)page * HOST_PAGE, s);
	else
		snprintf(h->text, sizeof(h->text), "%.*s", HOST_TEXT - 1,
			 buf + (size_t)page * HOST_PAGE);
	munmap(buf, len);
	return ret;
}

static long host_ring_op(struct host *h, const struct pl_bstep *s, int op, bool write, int fd,
			 uint32_t page, uint32_t nr)
{
	struct hring *g = host_ring(h, s->handle);
	struct w_req q = { .op = op, .write = write, .page = page, .nr = nr, .index = s->index };
	struct w_rep p;
	long ret;

	if (!g)
		return -EBADF;
	q.arg = g->idx;
	q.n = (uint64_t)g->slot;
	ret = host_call(h, g->owner, &q, fd, &p);
	if (ret >= 0 && op == W_RING_UNREG) {
		/* an emptied slot of a ring that keeps others: worker.c, w_ring_slot_free() */
		for (int i = 0; g->slot && i < h->nr_rings; i++)
			if (&h->rings[i] != g && h->rings[i].owner == g->owner &&
			    h->rings[i].idx == g->idx && h->rings[i].slot)
				h->memlock_put = true;
		g->idx = -1;
	}
	return ret < 0 ? ret : 0;
}

/* The run's scratch memfd (h->scratch), made on first use: 0 or -errno. */
static long host_scratch(struct host *h)
{
	char name[48];

	if (h->scratch >= 0)
		return 0;
	pl_hj_memfd_name(name, sizeof(name), "scratch");
	h->scratch = memfd_create(name, MFD_CLOEXEC);
	return h->scratch < 0 ? -errno : 0;
}

/* What the ring's device sees in buffer page @page: write it to a memfd, read that. */
static long host_ring_read(struct host *h, const struct pl_bstep *s)
{
	long ret = host_scratch(h);

	if (ret < 0)
		return ret;
	ret = host_ring_op(h, &(struct pl_bstep){ .handle = s->handle, .index = 0 }, W_RING_RW,
			   true, h->scratch, s->page, 1);
	if (ret < 0)
		return ret;
	if (s->flags & PL_BSTEP_BYTES)
		return host_pread_bytes(h, h->scratch, &(struct pl_bstep){
			.flags = s->flags, .boff = s->boff, .blen = s->blen, .index = 0 });
	return host_pread(h, h->scratch, 0);
}

/*
 * gup M[i..] FOLL_GET [fast] [times N]: a read get_user_pages() reference
 * held across steps.  No user API hands one out, and gup_test gets and puts
 * within one ioctl (GUP_BASIC_TEST; 6.12's mm/gup_test.c), but vmsplice()
 * holds exactly that: iter_to_pipe() takes the pages with
 * iov_iter_get_pages2(), which is get_user_pages_fast(gup_flags 0) for a
 * source iterator (lib/iov_iter.c, 6.0 on; iov_iter_get_pages() before),
 * and the pipe keeps the references until its buffers are released.  So the
 * actor vmsplices the range into a pipe of the run's own, N times, and the
 * pipe is the reference: `check g[i]` reads a tee() copy of it (the
 * references stay), `put g` closes it.
 *
 * GUP-fast then the slow walk, as get_user_pages_fast() does: for a read
 * FOLL_GET reference that is what get_user_pages() returns as well, since
 * only FOLL_PIN unshares (gup_must_unshare(), mm/internal.h) and GUP-fast
 * takes only a page the slow walk would find without a fault.  Not so for
 * FOLL_FAST_ONLY (which fails where vmsplice falls back), FOLL_WRITE (a
 * write reference: vmsplice reads) or FOLL_PIN: those still skip.
 *
 * One pipe holds a buffer a page, and growing it past pipe-max-size
 * (/proc/sys/fs/pipe-max-size, 1 MiB: 256 pages by default) needs
 * CAP_SYS_RESOURCE (pipe_set_size(), fs/pipe.c in Debian 6.1 and 6.12),
 * which even root may lack (a container's bounding set: this VM's has
 * none).  So the references go into as many pipes as it takes, each filled
 * to the size it could get before the next is made: page k of the
 * reference is page k % per of pipe k / per.
 */
static void host_gup_close(struct hgup *g)
{
	for (uint32_t i = 0; g->fds && i < 2 * g->nr_pipes; i++)
		close(g->fds[i]);
	free(g->fds);
	g->fds = NULL;
	g->nr_pipes = 0;
}

/*
 * A new pipe of @g of g->per pages; for the first, g->per halves until the
 * kernel allows the size (the later pipes are as large as the first).
 */
static long host_gup_pipe(struct hgup *g, struct pl_bresult *r)
{
	int fds[2], *more;

	if (g->nr_pipes == HOST_GUP_PIPES)
		return host_skip(r, SK_LIMIT);
	more = realloc(g->fds, sizeof(int) * 2 * (g->nr_pipes + 1));
	if (!more)
		return -ENOMEM;
	g->fds = more;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	while (fcntl(fds[1], F_SETPIPE_SZ, (int)((size_t)g->per * HOST_PAGE)) < 0) {
		/* 16 pages: the size of a new pipe, which shrinking never refuses */
		if (errno != EPERM || g->nr_pipes || g->per <= 16) {
			long ret = errno == EPERM ? host_skip(r, SK_LIMIT) : -errno;

			close(fds[0]);
			close(fds[1]);
			return ret;
		}
		g->per /= 2;
	}
	g->fds[2 * g->nr_pipes] = fds[0];
	g->fds[2 * g->nr_pipes + 1] = fds[1];
	g->nr_pipes++;
	return 0;
}

static long host_gup(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	uint64_t times = s->n ? s->n : 1, total = (uint64_t)s->nr * times;
	struct hgup g = { .per = (uint32_t)total };
	uint32_t fill = 0;	/* pages in the newest pipe */
	long ret = 0;

	if (s->gup_flags != FOLL_GET)
		return host_skip(r, SK_RAW_GUP);
	if (h->nr_gups == HOST_MAX || !s->nr || total > HOST_GUP_PAGES)
		return host_skip(r, SK_LIMIT);
	ret = host_gup_pipe(&g, r);
	for (uint64_t t = 0; t < times && !ret; t++) {
		for (uint32_t done = 0; done < s->nr && !ret; ) {
			struct w_req q = { .op = W_VMSPLICE };
			struct w_rep p;
			uint32_t k = s->nr - done;

			if (fill == g.per) {
				ret = host_gup_pipe(&g, r);
				fill = 0;
				continue;
			}
			if (k > g.per - fill)
				k = g.per - fill;
			q.addr = s->addr + (uint64_t)done * HOST_PAGE;
			q.nr = k;
			ret = host_call(h, s->pid, &q, g.fds[2 * g.nr_pipes - 1], &p);
			/* a short count fails the call, as model_gup() has it */
			if (!ret && p.val != k)
				ret = -EFAULT;
			done += k;
			fill += k;
		}
	}
	if (ret < 0) {
		host_gup_close(&g);
		return ret;
	}
	g.nr = (uint32_t)total;
	h->gups[h->nr_gups] = g;
	r->id = ++h->nr_gups;
	return 0;
}

static struct hgup *host_gupp(struct host *h, int id)
{
	if (id < 1 || id > h->nr_gups || !h->gups[id - 1].fds)
		return NULL;
	return &h->gups[id - 1];
}

static long host_put(struct host *h, int id)
{
	struct hgup *g = host_gupp(h, id);

	if (!g)
		return -EBADF;
	host_gup_close(g);
	return 0;
}

/* What page @s->page of reference @s->handle holds: the page of a tee() copy. */
static long host_gup_read(struct host *h, const struct pl_bstep *s)
{
	struct hgup *g = host_gupp(h, s->handle);
	uint32_t pipe, slot, held;
	size_t want, got = 0;
	char *buf = NULL;
	int fds[2];
	long ret = 0;

	if (!g || s->page >= g->nr)
		return -EBADF;
	pipe = s->page / g->per;
	slot = s->page % g->per;
	held = pipe + 1 < g->nr_pipes ? g->per : g->nr - pipe * g->per;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	want = ((size_t)slot + 1) * HOST_PAGE;
	if (fcntl(fds[1], F_SETPIPE_SZ, (int)((size_t)held * HOST_PAGE)) < 0 ||
	    tee(g->fds[2 * pipe], fds[1], (size_t)held * HOST_PAGE, SPLICE_F_NONBLOCK) < 0) {
		ret = -errno;
		goto out;
	}
	buf = malloc(want);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < want) {
		ssize_t n = read(fds[0], buf + got, want - got);

		if (n <= 0) {
			ret = n < 0 ? -errno : -ENODATA;
			goto out;
		}
		got += (size_t)n;
	}
	if ((s->flags & PL_BSTEP_BYTES) && s->boff < HOST_PAGE)
		host_bytes_view(h, buf + (size_t)slot * HOST_PAGE, s);
	else
		snprintf(h->text, sizeof(h->text), "%.*s", HOST_TEXT - 1,
			 buf + (size_t)slot * HOST_PAGE);
out:
	free(buf);
	close(fds[0]);
	close(fds[1]);
	return ret;
}

/*
 * RDMA MRs.  ibv_reg_mr()'s ib_umem_get() is pin_user_pages_fast(
 * FOLL_LONGTERM, plus FOLL_WRITE for a writable MR) (drivers/infiniband/
 * core/umem.c in 6.12).  io_uring's buffer registration makes the same call
 * with FOLL_WRITE | FOLL_LONGTERM (io_pin_pages(), io_uring/memmap.c in
 * 6.12), so it is a R/W MR: the device's reads are WRITE_FIXED from the
 * buffer to a memfd, its writes READ_FIXED from a memfd into the buffer,
 * through the pinned pages and not the process's page tables, as a device's
 * DMA.  A R/O MR is gup_test's START without PIN_LONGTERM_TEST_FLAG_USE_WRITE
 * (no other user API takes a R/O long-term pin): its reads are READ, and it
 * has no writes.  One difference stays: ib_umem_release() marks a writable
 * MR's pages dirty when it unpins them and io_uring does not; a `check disk`
 * of a file page after rdma-dereg would see it, and that check skips anyway.
 * An on-demand-paging MR takes no pin at all (an MMU-notifier mirror) and
 * has no stand-in.
 */
static struct hmr *host_mr(struct host *h, int id)
{
	return id >= 1 && id <= h->nr_mrs ? &h->mrs[id - 1] : NULL;
}

static long host_rdma_reg(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct pl_bstep fast = *s;
	struct hmr *mr;
	long ret;

	if (s->flags & PL_BSTEP_ODP)
		return host_skip(r, SK_ODP);
	if (h->nr_mrs == HOST_MAX)
		return host_skip(r, SK_LIMIT);
	mr = &h->mrs[h->nr_mrs];
	if (s->prot & PL_PROT_WRITE) {
		ret = host_ring_register(h, s, r);
		if (ret == -EOPNOTSUPP)
			return host_skip(r, SK_PIN_FILE);
		if (ret < 0)
			return ret;
		*mr = (struct hmr){ .ring = r->id };
	} else {
		if (h->gupt_fd < 0)
			return host_skip(r, SK_RDMA);
		fast.flags |= PL_BSTEP_FAST;
		ret = host_gupt_pin(h, &fast, r);
		if (ret < 0)
			return ret;
		*mr = (struct hmr){ .gupt = r->id };
	}
	r->id = ++h->nr_mrs;
	return 0;
}

static long host_rdma_dereg(struct host *h, const struct pl_bstep *s)
{
	struct hmr *mr = host_mr(h, s->handle);
	long ret;

	if (!mr || (!mr->ring && !mr->gupt))
		return -EBADF;
	if (mr->ring)
		ret = host_ring_op(h, &(struct pl_bstep){ .handle = mr->ring }, W_RING_UNREG, false,
				   -1, 0, 0);
	else
		ret = host_gupt_unpin(h, mr->gupt);
	if (!ret)
		*mr = (struct hmr){ 0 };
	return ret;
}

/* dma-write MR[i..] VALUE: a READ_FIXED of a memfd holding VALUE in each page. */
static long host_dma_write(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct hmr *mr = host_mr(h, s->handle);
	char page[HOST_PAGE];
	long ret;

	if (!mr || (!mr->ring && !mr->gupt))
		return -EBADF;
	if (!mr->ring)
		return host_skip(r, SK_DMA_WRITE);
	ret = host_scratch(h);
	if (ret < 0)
		return ret;
	memset(page, 0, sizeof(page));
	if (s->text)
		memcpy(page, s->text, strnlen(s->text, HOST_PAGE - 1));
	for (uint32_t i = 0; i < s->nr; i++)
		if (pwrite(h->scratch, page, sizeof(page), (off_t)i * HOST_PAGE) != sizeof(page))
			return -EIO;
	return host_ring_op(h, &(struct pl_bstep){ .handle = mr->ring, .index = 0 }, W_RING_RW,
			    false, h->scratch, s->page, s->nr ? s->nr : 1);
}

/* check dma-read MR[i]: what the device reads through the pin. */
static long host_dma_read(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct hmr *mr = host_mr(h, s->handle);
	struct pl_bstep t = *s;

	if (!mr || (!mr->ring && !mr->gupt))
		return -EBADF;
	(void)r;
	if (mr->ring) {
		t.handle = mr->ring;
		return host_ring_read(h, &t);
	}
	return host_gupt_read(h, mr->gupt, s->page, s);
}

/* proc-mem-write / process-vm-writev (and their reads): the actor on the target. */
static long host_remote(struct host *h, const struct pl_bstep *s, int kind)
{
	struct hproc *t = host_proc(h, s->target);
	struct w_req q = { .op = W_REMOTE, .arg = kind, .addr = s->addr };
	struct w_rep p;
	long ret;

	if (!t)
		return -ESRCH;
	q.n = (uint64_t)t->pid;
	if (s->text)
		snprintf(q.text, sizeof(q.text), "%s", s->text);
	host_req_bytes(&q, s);
	ret = host_call(h, s->pid, &q, -1, &p);
	/* a write covers every page of the range, as the model's does; a read is one page */
	for (uint32_t i = 1; ret >= 0 && kind != R_PROC_MEM_READ && kind != R_VM_READV && i < s->nr;
	     i++) {
		q.addr = s->addr + (uint64_t)i * HOST_PAGE;
		ret = host_call(h, s->pid, &q, -1, &p);
	}
	if (ret >= 0)
		snprintf(h->text, sizeof(h->text), "%s", p.text);
	return ret < 0 ? ret : 0;
}

/*
 * `check disk F[i]`: what the disk holds for file page i, past the page
 * cache.  FIEMAP (not synced: nothing is written back by looking) gives the
 * page's block on the filesystem's block device, which is read with
 * O_DIRECT (past the device's own cache too).  A page with no written block
 * (a hole, an unwritten extent, a delayed allocation never written back)
 * reads as zeroes, as the model's disk[] does.  -EPERM: not here (a file
 * that is not ext4, no FIEMAP); -EACCES: the device may not be opened.
 */
static long host_disk_read(struct host *h, const struct pl_bstep *s)
{
	static char page[HOST_PAGE] __attribute__((aligned(HOST_PAGE)));
	struct hfile *f = host_filep(h, s->file);
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[1];
	} u;
	const struct fiemap_extent *e = &u.ext[0];
	uint64_t off = (uint64_t)s->index * HOST_PAGE;
	char path[64], dev[64 + NAME_MAX];
	struct stat st;
	FILE *ue;
	int fd;

	if (!f)
		return -EBADF;
	if (f->fs != PL_FS_EXT4 || fstat(f->fd, &st))
		return -EPERM;
	memset(page, 0, sizeof(page));
	memset(&u, 0, sizeof(u));
	u.fm.fm_start = off;
	u.fm.fm_length = HOST_PAGE;
	u.fm.fm_extent_count = 1;
	if (ioctl(f->fd, FS_IOC_FIEMAP, &u.fm))
		return -EPERM;
	if (u.fm.fm_mapped_extents == 1 && e->fe_logical <= off &&
	    e->fe_logical + e->fe_length >= off + HOST_PAGE &&
	    !(e->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
			     FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_NOT_ALIGNED |
			     FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_ENCODED |
			     FIEMAP_EXTENT_DATA_ENCRYPTED))) {
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(st.st_dev),
			 minor(st.st_dev));
		ue = fopen(path, "re");
		dev[0] = 0;
		while (ue && fgets(path, sizeof(path), ue))
			if (!strncmp(path, "DEVNAME=", 8)) {
				path[strcspn(path, "\n")] = 0;
				snprintf(dev, sizeof(dev), "/dev/%s", path + 8);
			}
		if (ue)
			fclose(ue);
		fd = dev[0] ? open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC) : -1;
		if (fd < 0)
			return dev[0] && (errno == EPERM || errno == EACCES) ? -EACCES : -EPERM;
		if (pread(fd, page, HOST_PAGE, (off_t)(e->fe_physical + off - e->fe_logical)) !=
		    HOST_PAGE) {
			close(fd);
			return -EIO;
		}
		close(fd);
	}
	if (s->flags & PL_BSTEP_BYTES) {
		host_bytes_view(h, page, s);
	} else {
		memcpy(h->text, page, HOST_TEXT - 1);
		h->text[HOST_TEXT - 1] = 0;
	}
	return 0;
}

static long host_check_value(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_READ, .addr = s->addr, .nr = 1 };
	struct w_rep p;
	struct hfile *f;
	long ret;

	host_req_bytes(&q, s);
	switch (s->src) {
	case PL_SRC_USER:
		ret = host_call(h, s->pid, &q, -1, &p);
		if (ret < 0)
			return ret;
		snprintf(h->text, sizeof(h->text), "%s", p.text);
		break;
	case PL_SRC_PIPE:
		ret = host_pipe_read(h, s->handle, HOST_PAGE);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_FILE:
		f = host_filep(h, s->file);
		if (!f)
			return -EBADF;
		ret = s->flags & PL_BSTEP_BYTES ? host_pread_bytes(h, f->fd, s)
						: host_pread(h, f->fd, s->index);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_PIN:	/* gup_test's READ, else a R/W pin is an io_uring buffer */
		if (h->gupt_fd >= 0) {
			ret = host_gupt_read(h, s->handle, s->page, s);
			if (ret < 0)
				return ret;
			break;
		}
		/* fall through */
	case PL_SRC_RING:
		ret = host_ring_read(h, s);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_GUP:	/* a tee() copy of the pipe that holds the references */
		ret = host_gup_read(h, s);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_DMA:	/* what the device would read through the MR's pin */
		ret = host_dma_read(h, s, r);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_DISK:
		ret = host_disk_read(h, s);
		if (ret == -EPERM || ret == -EACCES)
			return host_skip(r, ret == -EPERM ? SK_DISK : SK_DISK_DEV);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_PROC_MEM:
	case PL_SRC_VM_READV:
		ret = host_remote(h, s, s->src == PL_SRC_PROC_MEM ? R_PROC_MEM_READ : R_VM_READV);
		if (ret < 0)
			return ret;
		break;
	default:
		return -EINVAL;
	}
	r->text = h->text;
	return 0;
}

/*
 * collapse: the model's collapse is khugepaged's collapse_huge_page() of one
 * PMD range (a copy into a new THP, refused while a page has references
 * other than its mappings).  MADV_COLLAPSE (6.1, 7d8faaf15545) runs the same
 * collapse synchronously on the range asked for, so it stands in, once per
 * PMD range the pages touch, as the model does.  Its one extra rule: a range
 * with no writable PTE is SCAN_PAGE_RO, reported as EINVAL, where the model
 * collapses (khugepaged would just leave the range alone); and a kernel
 * without MADV_COLLAPSE says EINVAL too.  Either way that run skips with
 * the reason, as the kernel's own cow.c skips it ("MADV_COLLAPSE failed").
 */
#define HOST_PMD_SIZE	(2UL << 20)	/* x86-64 */

static long host_collapse(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	uint64_t end = s->addr + (uint64_t)s->nr * HOST_PAGE;

	for (uint64_t a = s->addr & ~(uint64_t)(HOST_PMD_SIZE - 1); a < end; a += HOST_PMD_SIZE) {
		struct w_req q = { .op = W_MADVISE, .addr = a, .len = HOST_PMD_SIZE,
				   .arg = host_madv[PL_MADV_COLLAPSE] };
		struct w_rep p;
		long ret = host_call(h, s->pid, &q, -1, &p);

		if (ret == -EINVAL)
			return host_skip(r, SK_COLLAPSE_RO);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst) */
#define KPF_ANON		12
#define KPF_SWAPCACHE		14
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_UNEVICTABLE		18
#define KPF_KSM			21
#define KPF_ZERO_PAGE		24
#define KPF_MLOCKED		33

/*
 * same-page: the PFNs pagemap gives the two workers (root only: PFNs read
 * as 0 otherwise) are equal.  Both pages must be present.
 */
static long host_same_page(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_PAGEMAP, .addr = s->addr };
	struct w_rep a, b;
	long ret = host_call(h, s->pid, &q, -1, &a);

	if (ret >= 0) {
		q.addr = s->new_addr;
		ret = host_call(h, s->target, &q, -1, &b);
	}
	if (ret == -EPERM)
		return host_skip(r, SK_KPAGEFLAGS);
	if (ret < 0)
		return ret;
	if ((a.val & PM_PRESENT && !(a.val & PM_PFN_MASK)) ||
	    (b.val & PM_PRESENT && !(b.val & PM_PFN_MASK)))
		return host_skip(r, SK_KPAGEFLAGS);	/* PFNs hidden: not root */
	r->prop = (a.val & PM_PRESENT) && (b.val & PM_PRESENT) &&
		  (a.val & PM_PFN_MASK) == (b.val & PM_PFN_MASK);
	return 0;
}

/*
 * Page properties userspace can see: the pagemap entry (present, swapped,
 * soft-dirty) and, as root, the physical page's kpageflags and kpagecount.
 * PG_anon_exclusive, PTE writability and pins are not visible.
 */
static long host_check_prop(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_PAGEMAP, .addr = s->addr };
	struct w_rep p;
	uint64_t kflags, kcount;
	bool present;
	long ret;

	switch (s->arg) {
	case PL_PROP_PRESENT:
	case PL_PROP_SWAPPED:
	case PL_PROP_SOFT_DIRTY:
	case PL_PROP_UFFD_WP:
	case PL_PROP_ZERO:
	case PL_PROP_HUGE:
	case PL_PROP_KSM:
	case PL_PROP_SWAPCACHE:
	case PL_PROP_SHARED:
		break;
	case PL_PROP_SAME_PAGE:
		return host_same_page(h, s, r);
	default:
		return host_skip(r, SK_PROP);
	}
	ret = host_call(h, s->pid, &q, -1, &p);
	if (ret == -EPERM)
		return host_skip(r, SK_KPAGEFLAGS);
	if (ret < 0)
		return ret;
	present = p.val >> 63 & 1;
	kflags = p.addr;
	memcpy(&kcount, p.text, sizeof(kcount));
	switch (s->arg) {
	case PL_PROP_PRESENT:
		r->prop = present;
		break;
	case PL_PROP_SWAPPED:
		r->prop = p.val >> 62 & 1;
		break;
	case PL_PROP_SOFT_DIRTY:
		if (!pl_host_soft_dirty())
			return host_skip(r, SK_NO_SOFT_DIRTY);
		r->prop = p.val >> 55 & 1;
		break;
	case PL_PROP_UFFD_WP:
		r->prop = p.val >> 57 & 1;	/* PM_UFFD_WP (fb8e37f35a2f, 5.14) */
		break;
	default:
		if (present && !(p.val & PM_PFN_MASK))
			return host_skip(r, SK_KPAGEFLAGS);	/* PFNs hidden: not root */
		if (s->arg == PL_PROP_SHARED)
			r->prop = present && kcount > 1;
		else
			r->prop = present && (kflags >> (s->arg == PL_PROP_ZERO ? KPF_ZERO_PAGE :
						      s->arg == PL_PROP_KSM ? KPF_KSM :
						      s->arg == PL_PROP_SWAPCACHE ? KPF_SWAPCACHE :
						      KPF_COMPOUND_HEAD) & 1);
		if (s->arg == PL_PROP_HUGE)
			r->prop = r->prop || (present && (kflags >> KPF_COMPOUND_TAIL & 1));
		/* a clear bit still means "not KSM"; a set one means nothing there */
		if (s->arg == PL_PROP_KSM && r->prop && pl_host_kpf_ksm_anon())
			return host_skip(r, SK_KPF_KSM);
		break;
	}
	return 0;
}

/*
 * `reclaim M`: kswapd's shrink_folio_list() of the chosen pages.  No user
 * API picks one page for kswapd, but MADV_PAGEOUT hands the range to the
 * same shrink_folio_list() (reclaim_pages(), mm/vmscan.c) after draining the
 * caller's CPU's LRU batches, with ignore_references as the model's reclaim
 * has it.  It differs from kswapd where it leaves a page alone: one mapped
 * more than once (madvise_cold_or_pageout_pte_range() passes over it in 6.1
 * and 6.12), a VM_LOCKED vma (EINVAL), a large folio it may split first;
 * and on file pages the model's reclaim is kswapd's writeback of a dirty
 * page, which the pageout path does not reproduce (docs/scenario-language.md).
 * So the stand-in is taken only for small anonymous pages mapped once, as
 * pagemap, /proc/kpageflags and /proc/kpagecount show them (root); every
 * other `reclaim` skips.
 */
static long host_reclaim(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_MADVISE, .addr = s->addr, .arg = MADV_PAGEOUT };
	struct w_rep p;
	long ret;

	for (uint32_t i = 0; i < s->nr; i++) {
		struct w_req m = { .op = W_PAGEMAP, .addr = s->addr + (uint64_t)i * HOST_PAGE };
		uint64_t kflags, kcount;

		ret = host_call(h, s->pid, &m, -1, &p);
		if (ret == -EPERM)
			return host_skip(r, SK_RECLAIM);
		if (ret < 0)
			return ret;
		if (!(p.val >> 63 & 1))
			continue;	/* nothing mapped there: neither reclaims anything */
		kflags = p.addr;
		memcpy(&kcount, p.text, sizeof(kcount));
		if (!(p.val & PM_PFN_MASK) || !(kflags >> KPF_ANON & 1) || kcount != 1 ||
		    (kflags >> KPF_COMPOUND_HEAD & 1) || (kflags >> KPF_COMPOUND_TAIL & 1) ||
		    (kflags >> KPF_UNEVICTABLE & 1) || (kflags >> KPF_MLOCKED & 1))
			return host_skip(r, SK_RECLAIM);
	}
	q.len = (uint64_t)s->nr * HOST_PAGE;
	ret = host_call(h, s->pid, &q, -1, &p);
	return ret == -EINVAL ? host_skip(r, SK_RECLAIM) : ret < 0 ? ret : 0;
}

static long host_vmsplice(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct hpipe *pp = host_pipe(h, s->handle);
	struct w_req q = { .op = W_VMSPLICE, .addr = s->addr, .nr = s->nr };
	struct w_rep p;
	long ret;

	if (!pp)
		return -EBADF;
	host_req_bytes(&q, s);
	ret = host_call(h, s->pid, &q, pp->wfd, &p);
	if (ret < 0)
		return ret;
	r->count = (long)p.val;
	return 0;
}

/* ---------------------------------------------------------------------------
 * O_DIRECT held in flight (worker.c, w_dio_start(), says how).
 */
/* A request still held on file @file: its inode lock is taken (SK_DIO_LOCK). */
static bool host_dio_on(const struct host *h, int file)
{
	for (int i = 0; i < h->nr_dios; i++)
		if (h->dios[i].pid && h->dios[i].file == file)
			return true;
	return false;
}

/* The held page's length: the file's O_DIRECT alignment (statx STATX_DIOALIGN, 6.1), 512 at least. */
static size_t host_dio_align(int fd)
{
	struct statx stx;

	memset(&stx, 0, sizeof(stx));
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) || !(stx.stx_mask & STATX_DIOALIGN) ||
	    stx.stx_dio_offset_align < 512)
		return 512;
	return stx.stx_dio_offset_align > HOST_PAGE ? HOST_PAGE : stx.stx_dio_offset_align;
}

/*
 * [off, end) of the file lies in one written extent (FIEMAP, flushed first):
 * ext4_iomap_begin() then maps it at once, and iomap_dio_bio_iter() builds
 * one bio for the whole request.
 */
static bool host_dio_one_extent(int fd, off_t off, off_t end)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent ext[2];
	} u;
	const struct fiemap_extent *e = &u.ext[0];

	memset(&u, 0, sizeof(u));
	u.fm.fm_start = (uint64_t)off;
	u.fm.fm_length = (uint64_t)(end - off);
	u.fm.fm_flags = FIEMAP_FLAG_SYNC;
	u.fm.fm_extent_count = 2;
	if (ioctl(fd, FS_IOC_FIEMAP, &u.fm) || u.fm.fm_mapped_extents != 1)
		return false;
	return e->fe_logical <= (uint64_t)off && e->fe_logical + e->fe_length >= (uint64_t)end &&
	       !(e->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
				FIEMAP_EXTENT_UNWRITTEN | FIEMAP_EXTENT_NOT_ALIGNED |
				FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_ENCODED));
}

static void host_dio_restore(struct hdio *d)
{
	if (d->rw_fd < 0)
		return;
	if (d->restore >= 0 && ftruncate(d->rw_fd, d->restore))
		d->restore = -1;	/* (the run goes on with the longer file; it is unlinked) */
	close(d->rw_fd);
	d->rw_fd = -1;
}

/*
 * dio-read / dio-write: the request, from the buffer (or its byte range)
 * and file offset the step names, then the worker's held page over the
 * file's next sector(s).  When the request ends at the end of the file, the
 * file gets those sectors (zeroes) until the request completes.
 */
static long host_dio(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	static const char zero[HOST_PAGE];
	struct hfile *f = host_filep(h, s->file);
	bool bytes = s->flags & PL_BSTEP_BYTES;
	struct hdio *d;
	struct w_req q;
	struct w_rep p;
	struct stat st;
	char path[64];
	off_t off, len, end;
	size_t held;
	long ret;
	int fd;

	if (!f)
		return -EBADF;
	if (f->fs != PL_FS_EXT4)
		return host_skip(r, SK_DIO_FS);
	if (h->nr_dios == HOST_MAX)
		return host_skip(r, SK_LIMIT);
	if (host_dio_on(h, s->file) && s->op == PL_OP_DIO_WRITE)
		return host_skip(r, SK_DIO_LOCK);
	d = &h->dios[h->nr_dios];
	memset(d, 0, sizeof(*d));
	d->file = s->file;
	d->rw_fd = -1;
	d->restore = -1;
	off = (off_t)s->index * HOST_PAGE + (bytes ? s->file_off : 0);
	len = bytes ? (off_t)s->blen : (off_t)s->nr * HOST_PAGE;
	held = host_dio_align(f->fd);
	end = off + len + (off_t)held;
	if (fstat(f->fd, &st))
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
	if (end > st.st_size && off < st.st_size) {
		off_t to = (end + HOST_PAGE - 1) / HOST_PAGE * HOST_PAGE;

		d->rw_fd = open(path, O_RDWR | O_CLOEXEC);
		if (d->rw_fd < 0)
			return -errno;
		d->restore = st.st_size;
		for (off_t at = st.st_size; at < to; at += HOST_PAGE)
			if (pwrite(d->rw_fd, zero, sizeof(zero), at) != sizeof(zero)) {
				ret = -errno;
				host_dio_restore(d);
				return ret;
			}
	}
	if (off < st.st_size && !host_dio_one_extent(f->fd, off, end)) {
		host_dio_restore(d);
		return host_skip(r, SK_DIO_EXTENT);
	}
	fd = open(path, (fcntl(f->fd, F_GETFL) & O_ACCMODE) | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		host_dio_restore(d);
		return ret == -EINVAL ? host_skip(r, SK_DIO_FS) : ret;
	}
	memset(&q, 0, sizeof(q));
	q.op = W_DIO;
	q.write = s->op == PL_OP_DIO_WRITE;
	q.addr = s->addr;
	q.nr = s->nr;
	q.n = (uint64_t)off;
	q.len = held;
	q.arg = host_ms_left(h) < 5000 ? host_ms_left(h) : 5000;
	host_req_bytes(&q, s);
	ret = host_call(h, s->pid, &q, fd, &p);
	close(fd);
	if (ret < 0 || ret == W_DIO_UNHELD) {
		host_dio_restore(d);
		if (ret == W_DIO_UNHELD)
			return host_skip(r, SK_DIO_UNHELD);
		return ret == -ENOSYS ? host_skip(r, SK_DIO_UFFD) : ret;
	}
	d->pid = s->pid;
	d->slot = (int)ret;
	r->id = ++h->nr_dios;
	return 0;
}

/* complete REQ: the held page is filled, the request goes on to the device and returns. */
static long host_dio_complete(struct host *h, int id)
{
	struct hdio *d = id >= 1 && id <= h->nr_dios ? &h->dios[id - 1] : NULL;
	struct w_req q = { .op = W_DIO_DONE };
	struct w_rep p;
	long ret;

	if (!d || !d->pid)
		return -EBADF;
	q.arg = d->slot;
	ret = host_call(h, d->pid, &q, -1, &p);
	d->pid = 0;
	host_dio_restore(d);
	return ret;
}

/* The uprobe PMU's perf type (the kernel's "uprobe" event source), or -1. */
static int host_uprobe_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
	int type = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	return type;
}

/*
 * uprobe-register F[i] VALUE: a perf_event of the uprobe PMU on byte 0 of
 * file page i, for every task (pid -1, cpu 0).  Opening it installs int3
 * into every private, non-writable, exec-able mapping of the page
 * (uprobe_perf_open() -> uprobe_apply()); closing it takes it out.  The
 * file is named by /proc/self/fd/N: kern_path() follows the link to the
 * unlinked O_TMPFILE inode.  VALUE must be what the kernel will write.
 */
static long host_uprobe(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct hfile *f = host_filep(h, s->file);
	struct perf_event_attr a;
	char path[64], want[HOST_TEXT];
	int type, fd;
	long ret;

	if (!f)
		return -EBADF;
	if (s->op == PL_OP_UPROBE_UNREGISTER) {
		for (int i = h->nr_uprobes - 1; i >= 0; i--) {
			struct huprobe *u = &h->uprobes[i];

			if (u->fd >= 0 && u->file == s->file && u->index == s->index) {
				close(u->fd);
				u->fd = -1;
				return 0;
			}
		}
		return -ENOENT;
	}
	type = host_uprobe_type();
	if (type < 0)
		return host_skip(r, SK_UPROBE);
	if (h->nr_uprobes == HOST_MAX)
		return host_skip(r, SK_LIMIT);
	ret = host_pread(h, f->fd, s->index);
	if (ret < 0)
		return ret;
	snprintf(want, sizeof(want), "\xcc%s", h->text[0] ? h->text + 1 : "");
	if (!s->text || strcmp(s->text, want))
		return host_skip(r, SK_UPROBE_VALUE);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), f->fd);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = (uint32_t)type;
	a.config1 = (uint64_t)(uintptr_t)path;		/* uprobe_path */
	a.config2 = (uint64_t)s->index * HOST_PAGE;	/* probe_offset */
	fd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return errno == EACCES || errno == EPERM ? host_skip(r, SK_UPROBE_PERM) : -errno;
	h->uprobes[h->nr_uprobes++] = (struct huprobe){ .file = s->file, .index = s->index,
						       .fd = fd };
	return 0;
}

static long host_simple(struct host *h, int pid, struct w_req *q, struct pl_bresult *r)
{
	struct w_rep p;
	long ret = host_call(h, pid, q, -1, &p);

	if (ret >= 0)
		r->addr = p.addr;
	return ret < 0 ? ret : 0;
}

/*
 * uffd-continue: UFFDIO_CONTINUE page by page, each under a minor-mode
 * registration the worker makes and drops around it (worker.c).
 */
static long host_uffd_continue(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_UFFD_CONTINUE };
	long ret = 0;

	for (uint32_t i = 0; i < s->nr && !ret; i++) {
		q.addr = s->addr + (uint64_t)i * HOST_PAGE;
		ret = host_simple(h, s->pid, &q, r);
	}
	return ret == -ENOSYS ? host_skip(r, SK_UFFD) : ret;
}

static long host_step_one(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct host *h = host_of(be);
	uint64_t len = (uint64_t)s->nr * HOST_PAGE;
	struct w_req q;
	struct hfile *f;
	struct hpipe *pp;
	int fds[2];

	memset(r, 0, sizeof(*r));
	memset(&q, 0, sizeof(q));
	h->cur_thread = s->thread;
	/* gup_test and raw GUP steps skip for what they are, fast or not */
	if ((s->flags & PL_BSTEP_FAST) && s->op != PL_OP_PIN && s->op != PL_OP_UNPIN &&
	    s->op != PL_OP_GUP && s->op != PL_OP_PUT)
		return host_skip(r, SK_GUP_FAST);
	switch (s->op) {
	case PL_OP_PROCESS:
		return host_process(h, r);
	case PL_OP_FORK:
		return host_fork(h, s->pid, r);
	case PL_OP_EXIT:
		return host_exit(h, s->pid);
	case PL_OP_FILE:
		return host_file(h, s, r);
	case PL_OP_SWAPON:
		return host_swapon(h, r);
	case PL_OP_HUGETLB_POOL:
		return host_pool(h, 9, s->n, r);
	case PL_OP_MEMLOCK:
		if (h->nr_procs)
			return host_skip(r, SK_MEMLOCK_LATE);
		/* a uid no one uses, new for each run of this pinlab (256 runs apart) */
		h->memlock_uid = 0x40000000u + ((uid_t)(getpid() & 0xfffff) << 8) +
				 (h->memlock_runs++ & 0xff);
		h->memlock = true;
		h->memlock_pages = s->n;
		return 0;
	case PL_OP_THP:
		return host_thp_mode(h, s->arg, r);
	case PL_BOP_MTHP:
		return host_mthp(h, s->arg, r);
	case PL_BOP_POOL:
		return host_pool(h, (unsigned int)s->arg, s->n, r);
	case PL_OP_PIPE:
		if (h->nr_pipes == HOST_MAX)
			return host_skip(r, SK_LIMIT);
		if (pipe2(fds, O_CLOEXEC))
			return -errno;
		fcntl(fds[0], F_SETFL, O_NONBLOCK);	/* reading an empty pipe: EAGAIN */
		fcntl(fds[1], F_SETFL, O_NONBLOCK);	/* writing a full one too */
		h->pipes[h->nr_pipes].rfd = fds[0];
		h->pipes[h->nr_pipes].wfd = fds[1];
		r->id = ++h->nr_pipes;
		return 0;
	case PL_OP_CLOSE:
		pp = host_pipe(h, s->handle);
		if (!pp)
			return -EBADF;
		close(pp->rfd);
		close(pp->wfd);
		pp->rfd = pp->wfd = -1;
		return 0;
	case PL_OP_SPLICE:
		return host_splice(h, s);
	case PL_OP_MMAP:
		if (s->mflags & PL_MAP_PFNMAP)
			return host_skip(r, SK_PFNMAP);
		if (s->mflags & (PL_MAP_MOVABLE | PL_MAP_CMA))
			return host_skip(r, SK_PLACEMENT);
		if (h->memlock && (s->mflags & (PL_MAP_LOCKED | PL_MAP_SECRET)))
			return host_skip(r, SK_MEMLOCK_MLOCK);
		f = s->file >= 0 ? host_filep(h, s->file) : NULL;
		if (s->file >= 0 && !f)
			return -EBADF;
		q.op = W_MMAP;
		q.addr = s->addr;	/* MAP_FIXED(_NOREPLACE): where; else 0 */
		q.len = s->n;
		q.prot = s->prot;
		q.arg = host_mmap_flags(s->mflags);
		/* pud-aligned: the worker places it on a 1 GiB boundary */
		q.n = (s->mflags & PL_MAP_PUD_ALIGNED) && !s->addr ? 1ull << 30 : 0;
		{
			struct w_rep p;
			int sfd = -1;
			long ret;

			if (s->mflags & PL_MAP_SECRET) {
				/* memfd_secret(2), sized, mapped MAP_SHARED by the worker */
				sfd = (int)syscall(HOST_NR_MEMFD_SECRET, 0);
				if (sfd < 0)
					return errno == ENOSYS ? host_skip(r, SK_SECRETMEM) : -errno;
				if (ftruncate(sfd, (off_t)s->n) < 0) {
					ret = -errno;
					close(sfd);
					return ret;
				}
				q.arg &= ~MAP_ANONYMOUS;
			}
			ret = host_call(h, s->pid, &q, sfd >= 0 ? sfd : f ? f->fd : -1, &p);
			if (sfd >= 0)
				close(sfd);
			if (ret < 0)
				return ret;
			r->addr = p.addr;
			return 0;
		}
	case PL_OP_MUNMAP:
		q.op = W_MUNMAP;
		q.addr = s->addr;
		q.len = len;
		return host_simple(h, s->pid, &q, r);
	case PL_OP_MPROTECT:
		q.op = W_MPROTECT;
		q.addr = s->addr;
		q.len = len;
		q.prot = s->prot;
		return host_simple(h, s->pid, &q, r);
	case PL_OP_MADVISE:
		if (s->arg < 0 || s->arg >= (int)(sizeof(host_madv) / sizeof(host_madv[0])))
			return -EINVAL;
		q.op = W_MADVISE;
		q.addr = s->addr;
		q.len = len;
		q.arg = host_madv[s->arg];
		return host_simple(h, s->pid, &q, r);
	case PL_OP_MLOCK:
	case PL_OP_MUNLOCK:
		if (h->memlock && s->op == PL_OP_MLOCK)
			return host_skip(r, SK_MEMLOCK_MLOCK);
		q.op = W_RANGE_SYSCALL;
		q.arg = s->op == PL_OP_MLOCK ? SYS_mlock : SYS_munlock;
		q.addr = s->addr;
		q.len = len;
		return host_simple(h, s->pid, &q, r);
	case PL_OP_MREMAP:
		q.op = W_MREMAP;
		q.addr = s->addr;
		q.len = len;
		q.n = s->n;
		q.new_addr = s->new_addr;
		q.arg = (s->flags & PL_BSTEP_MOVE ? MREMAP_MAYMOVE : 0) |
			(s->new_addr ? MREMAP_MAYMOVE | MREMAP_FIXED : 0) |
			(s->flags & PL_BSTEP_DONTUNMAP ? MREMAP_MAYMOVE | MREMAP_DONTUNMAP : 0);
		return host_simple(h, s->pid, &q, r);
	case PL_OP_CLEAR_REFS:
		q.op = W_CLEAR_REFS;
		return host_simple(h, s->pid, &q, r);
	case PL_OP_UFFD_WRITEPROTECT: {
		long ret;

		q.op = W_UFFD_WP;
		q.addr = s->addr;
		q.len = len;
		q.arg = s->arg & 3;	/* on, fork-event */
		ret = host_simple(h, s->pid, &q, r);
		/* the worker says -ENOSYS when it could not set up a uffd at all */
		if (ret == -ENOSYS)
			return host_skip(r, s->arg & 2 ? SK_UFFD_FORK : SK_NO_UFFD);
		return ret;
	}
	case PL_OP_WRITE:
	case PL_OP_READ:
		if (s->op == PL_OP_READ && s->handle)
			return host_pipe_read(h, s->handle, (size_t)s->n);
		if (s->handle)
			return host_pipe_write(h, s);
		if (s->file >= 0 && s->op == PL_OP_WRITE && host_dio_on(h, s->file))
			return host_skip(r, SK_DIO_LOCK);
		if (s->file >= 0)
			return host_file_rw(h, s, s->op == PL_OP_WRITE);
		q.op = s->op == PL_OP_WRITE ? W_WRITE : W_READ;
		q.addr = s->addr;
		q.nr = s->nr;
		q.zero = !s->text;
		host_req_bytes(&q, s);
		if (s->text)
			snprintf(q.text, sizeof(q.text), "%s", s->text);
		return host_simple(h, s->pid, &q, r);
	case PL_OP_SEAL: {
		/* fcntl(F_ADD_SEALS) on the scenario's memfd (made MFD_ALLOW_SEALING) */
		static const int seal_bits[] = { [PL_SEAL_SHRINK] = 0x0002, [PL_SEAL_GROW] = 0x0004,
						 [PL_SEAL_WRITE] = 0x0008,
						 [PL_SEAL_FUTURE_WRITE] = 0x0010 };

		f = host_filep(h, s->file);
		if (!f)
			return -EBADF;
		if (s->arg <= 0 || s->arg >= (int)(sizeof(seal_bits) / sizeof(seal_bits[0])) ||
		    !seal_bits[s->arg])
			return -EINVAL;
		return fcntl(f->fd, 1033 /* F_ADD_SEALS */, seal_bits[s->arg]) < 0 ? -errno : 0;
	}
	case PL_OP_TRUNCATE:
		f = host_filep(h, s->file);
		if (!f)
			return -EBADF;
		if (host_dio_on(h, s->file))
			return host_skip(r, SK_DIO_LOCK);
		return ftruncate(f->fd, (off_t)s->n * HOST_PAGE) ? -errno : 0;
	case PL_OP_WRITEBACK:
		f = host_filep(h, s->file);
		if (!f)
			return -EBADF;
		if (s->flags & PL_BSTEP_WHOLE_FILE)
			return fsync(f->fd) ? -errno : 0;
		return sync_file_range(f->fd, (off_t)s->index * HOST_PAGE, (off_t)len,
				       SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				       SYNC_FILE_RANGE_WAIT_AFTER) ? -errno : 0;
	case PL_OP_VMSPLICE:
		return host_vmsplice(h, s, r);
	case PL_OP_IOURING_REGISTER:
		return host_ring_register(h, s, r);
	case PL_OP_IOURING_UNREGISTER:
		return host_ring_op(h, s, W_RING_UNREG, false, -1, 0, 0);
	case PL_OP_IOURING_WRITE_FIXED:
	case PL_OP_IOURING_READ_FIXED:
		f = host_filep(h, s->file);
		if (!f)
			return -EBADF;
		return host_ring_op(h, s, W_RING_RW, s->op == PL_OP_IOURING_WRITE_FIXED, f->fd,
				    0, 0);	/* the whole buffer */
	case PL_OP_DIO_READ:
	case PL_OP_DIO_WRITE:
		return host_dio(h, s, r);
	case PL_OP_COMPLETE:
		return host_dio_complete(h, s->handle);
	case PL_OP_RDMA_REG:
		/* ib_umem_get() charges mm->pinned_vm, io_uring the user's locked_vm */
		if (h->memlock && !(s->flags & PL_BSTEP_ODP))
			return host_skip(r, SK_MEMLOCK_STANDIN);
		return host_rdma_reg(h, s, r);
	case PL_OP_RDMA_DEREG:
		return host_rdma_dereg(h, s);
	case PL_OP_DMA_WRITE:
		return host_dma_write(h, s, r);
	case PL_OP_UDMABUF_CREATE:
	case PL_OP_UDMABUF_CLOSE:
		return host_skip(r, SK_UDMABUF);
	case PL_OP_VFIO_MAP:
	case PL_OP_VFIO_UNMAP:
		return host_skip(r, SK_VFIO);
	case PL_OP_PIN:
		if (h->gupt_fd >= 0)
			return host_gupt_pin(h, s, r);
		/*
		 * Without gup_test: its R/W long-term pin is pin_user_pages[_fast](
		 * FOLL_WRITE | FOLL_LONGTERM); io_uring's buffer registration makes
		 * exactly that call, so it stands in.  A R/O long-term pin has no
		 * other user API.
		 */
		if (!(s->prot & PL_PROT_WRITE))
			return host_skip(r, SK_GUP_TEST);
		/* pin_user_pages() charges nothing; io_uring charges locked_vm */
		if (h->memlock)
			return host_skip(r, SK_MEMLOCK_STANDIN);
		return host_pin(h, s, r);
	case PL_OP_UNPIN:
		if (h->gupt_fd >= 0)
			return host_gupt_unpin(h, s->handle);
		return host_ring_op(h, s, W_RING_UNREG, false, -1, 0, 0);
	case PL_OP_GUP:
		return host_gup(h, s, r);
	case PL_OP_PUT:
		return host_put(h, s->handle);
	case PL_OP_PROC_MEM_WRITE:
		return host_remote(h, s, R_PROC_MEM_WRITE);
	case PL_OP_PTRACE_POKE:
		return host_remote(h, s, R_PTRACE_POKE);
	case PL_OP_PROCESS_VM_WRITEV:
		return host_remote(h, s, R_VM_WRITEV);
	case PL_OP_RECLAIM:
		return host_reclaim(h, s, r);
	case PL_OP_COLLAPSE:
		return host_collapse(h, s, r);
	case PL_OP_SPLIT:
		return host_skip(r, SK_THP_OP);
	case PL_OP_UFFD_CONTINUE:
		return host_uffd_continue(h, s, r);
	case PL_OP_UPROBE_REGISTER:
	case PL_OP_UPROBE_UNREGISTER:
		return host_uprobe(h, s, r);
	case PL_OP_KSM_MERGE:
		return host_ksm_merge(h, r);
	case PL_OP_EVICT:
		return host_skip(r, SK_EVICT);
	case PL_OP_CHECK_VALUE:
		return host_check_value(h, s, r);
	case PL_OP_CHECK_PROP:
		return host_check_prop(h, s, r);
	case PL_OP_CHECK_COUNT:
		return host_skip(r, SK_COUNT);
	default:
		return -EINVAL;
	}
}

/* ---------------------------------------------------------------------------
 * Runs.
 */
/*
 * A run that reached its time limit has no outcome to compare: its workers
 * are dead, and a slower machine would have finished it.  The step that
 * found the deadline gone says so as a skip, with its own reason, which
 * diff counts apart ("timed out").
 */
static long host_step(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct host *h = host_of(be);
	long ret = host_step_one(be, s, r);

	if (ret == -ETIMEDOUT && h->dead && h->dead_err == -ETIMEDOUT)
		return host_skip(r, SK_TIMEOUT);
	return ret;
}

bool pl_host_skip_is_timeout(const char *reason)
{
	return reason && !strcmp(reason, host_skips[SK_TIMEOUT]);
}

const char *pl_host_timeout_reason(void)
{
	return host_skips[SK_TIMEOUT];
}

/*
 * $PINLAB_HOST_TIMEOUT_MS replaces every run's limit; 0 means the time is
 * up at once, so every run times out at its first call (tests of the
 * timeout path, tests/cli/timeout.sh).
 */
static int host_env_timeout(int timeout_ms)
{
	const char *e = getenv("PINLAB_HOST_TIMEOUT_MS");
	char *end;
	long v;

	if (!e || !*e)
		return timeout_ms > 0 ? timeout_ms : 10000;
	v = strtol(e, &end, 10);
	return *end || v < 0 || v > 3600000 ? (timeout_ms > 0 ? timeout_ms : 10000) : (int)v;
}

static void host_end(struct pl_backend *be)
{
	struct host *h = host_of(be);

	if (h->gupt_pin)
		ioctl(h->gupt_fd, PL_GUPT_STOP);
	h->gupt_pin = 0;
	h->nr_gupt = 0;
	host_kill_all(h);
	h->nr_procs = 0;
	for (int i = 0; i < h->nr_dios; i++)
		host_dio_restore(&h->dios[i]);
	h->nr_dios = 0;
	for (int i = 0; i < h->nr_uprobes; i++)
		if (h->uprobes[i].fd >= 0)
			close(h->uprobes[i].fd);
	h->nr_uprobes = 0;
	for (int i = 0; i < h->nr_files; i++)
		close(h->files[i].fd);
	h->nr_files = 0;
	host_restore_settings(h);
	for (int i = 0; i < h->nr_pipes; i++)
		if (h->pipes[i].rfd >= 0) {
			close(h->pipes[i].rfd);
			close(h->pipes[i].wfd);
		}
	h->nr_pipes = 0;
	for (int i = 0; i < h->nr_gups; i++)
		host_gup_close(&h->gups[i]);
	h->nr_gups = 0;
	h->nr_mrs = 0;
	h->nr_rings = 0;
	h->memlock = false;
	h->memlock_pages = 0;
	h->memlock_base = 0;
	h->memlock_workers = 0;
	h->memlock_put = false;
	if (h->scratch >= 0)
		close(h->scratch);
	h->scratch = -1;
	h->dead = false;
}

/*
 * Host runs change machine-wide state (THP/mTHP modes, hugetlb pools, KSM,
 * swap) and observe it, so two pinlab processes must not run scenarios at
 * the same time: as root, the host lock of journal.h (a record lock on a
 * file only root can open), taken before the first run and held until
 * destroy(); a journal a killed pinlab left is replayed first.
 */
static int host_lock(struct host *h, char *err, size_t errlen)
{
	if (!h->journal || pl_hj_active(&h->j))
		return 0;
	return pl_hj_open(&h->j, h->lock_timeout_s, pl_host_interrupted, stderr, err, errlen);
}

int pl_host_prepare(struct pl_backend *be, char *err, size_t errlen)
{
	return host_lock(host_of(be), err, errlen);
}

static int host_begin(struct pl_backend *be, const char *preset, const char *const *sets,
		      int nr_sets, char *err, size_t errlen)
{
	struct host *h = host_of(be);
	int ret;

	(void)preset;
	host_end(be);
	if (nr_sets) {
		snprintf(err, errlen, "the host backend has no knobs (--set %s)", sets[0]);
		return -EINVAL;
	}
	ret = host_lock(h, err, errlen);
	if (ret)
		return ret;
	host_gupt_find(h);
	clock_gettime(CLOCK_MONOTONIC, &h->deadline);
	h->deadline.tv_sec += h->timeout_ms / 1000;
	h->deadline.tv_nsec += (long)(h->timeout_ms % 1000) * 1000000;
	if (h->deadline.tv_nsec >= 1000000000) {
		h->deadline.tv_sec++;
		h->deadline.tv_nsec -= 1000000000;
	}
	return 0;
}

/*
 * The host profile, probed under the lock: no other pinlab is switching THP
 * modes or has its swapfile on while the facts are read.
 */
int pl_host_backend_profile(struct pl_backend *be, struct pl_host_profile *p, char *why,
			    size_t whylen)
{
	int ret = host_lock(host_of(be), why, whylen);

	return ret ? ret : pl_host_profile_probe(p, why, whylen);
}

static bool host_has(struct pl_backend *be, const char *feature)
{
	(void)be;
	(void)feature;
	return true;	/* 1 GiB hugetlb: tried, and skipped by the pool set-up */
}

static void host_destroy(struct pl_backend *be)
{
	host_end(be);
	host_swapfile_remove(host_of(be));
	pl_hj_close(&host_of(be)->j);
	if (host_of(be)->gupt_fd >= 0)
		close(host_of(be)->gupt_fd);
	free(host_of(be));
}

void pl_host_allow_swapfile(struct pl_backend *be, bool allow)
{
	host_of(be)->allow_swapfile = allow;
}

void pl_host_lock_options(struct pl_backend *be, bool journal, int lock_timeout_s)
{
	host_of(be)->journal = journal;
	host_of(be)->lock_timeout_s = lock_timeout_s;
}

static const struct pl_backend host_backend_ops = {
	.name = "host",
	.begin = host_begin,
	.step = host_step,
	.has = host_has,
	.end = host_end,
	.destroy = host_destroy,
};

struct pl_backend *pl_host_backend_new(int timeout_ms)
{
	struct host *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->timeout_ms = host_env_timeout(timeout_ms);
	h->scratch = -1;
	h->journal = true;
	h->lock_timeout_s = PL_HJ_LOCK_TIMEOUT_S;
	pl_hj_init(&h->j);
	h->gupt_fd = -1;
	h->be = host_backend_ops;
	h->be.priv = h;
	return &h->be;
}

int pl_host_restore(int lock_timeout_s, FILE *msg, char *err, size_t errlen)
{
	if (geteuid() != 0) {
		snprintf(err, errlen, "only root can restore the host (nothing else changes it)");
		return -EPERM;
	}
	struct pl_hjournal j;
	int ret;

	pl_hj_init(&j);
	ret = pl_hj_open(&j, lock_timeout_s, pl_host_interrupted, msg, err, errlen);
	if (!ret && !j.replayed && msg)
		fprintf(msg, "pinlab: nothing to restore (%s is empty)\n", PL_HJ_FILE);
	pl_hj_close(&j);
	return ret;
}
