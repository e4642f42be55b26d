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
 *	pread/pwrite of files, read of pipes       write_fixed/read_fixed to the file sent
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
 */
#include "backend/host/backend_host.h"
#include "backend/host/journal.h"
#include "backend/host/gup_test.h"
#include "backend/host/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOST_PAGE	4096
#define HOST_TEXT	256
#define HOST_MAX	64	/* processes, files, pipes, rings per run */
#define HOST_RINGS	16	/* rings per worker */
#define HOST_THREADS	8	/* scenario threads per worker */
#define HOST_SETTINGS	24	/* sysfs files changed in one run */
#define HOST_SWAP_PAGES	16384	/* the temporary swapfile: 64 MiB */
#define EXT4_MAGIC	0xEF53

/* ---------------------------------------------------------------------------
 * Skip reasons: the executor reports a run that hits one as `skip`.
 */
enum host_skip {
	SK_GUP_FAST, SK_GUP_TEST, SK_RAW_GUP, SK_NO_SWAP, SK_DIO, SK_RDMA,
	SK_KPAGEFLAGS, SK_RECLAIM, SK_THP_OP, SK_UFFD, SK_UPROBE, SK_KSM, SK_EVICT, SK_DISK,
	SK_NO_EXT4, SK_BIG_FILE, SK_PROP, SK_COUNT, SK_IOURING, SK_MEMLOCK,
	SK_PFNMAP, SK_LIMIT, SK_NOT_ROOT, SK_NO_SETTING, SK_POOL, SK_SWAPFILE, SK_PUD_FORK,
	SK_PIN_FILE, SK_PLACEMENT, SK_GUPT_ONE, SK_TIMEOUT, SK_SECRETMEM, SK_DAX,
	SK_NR,
};

static const char *const host_skips[SK_NR] = {
	[SK_GUP_FAST]	= "no host equivalent: explicit GUP-fast choice",
	[SK_GUP_TEST]	= "R/O long-term pin: no user API but gup_test (/sys/kernel/debug/gup_test, CONFIG_GUP_TEST, 6.2+), which this kernel lacks",
	[SK_RAW_GUP]	= "no host equivalent: a raw get_user_pages() reference",
	[SK_NO_SWAP]	= "no swap on this machine (pinlab can add a temporary swapfile: --allow-swapfile, as root)",
	[SK_DIO]	= "no host equivalent: an O_DIRECT request held open across steps (the kernel completes it when it likes)",
	[SK_RDMA]	= "no RDMA device",
	[SK_KPAGEFLAGS]	= "page flags need /proc/kpageflags and PFNs in pagemap (root)",
	[SK_RECLAIM]	= "no host equivalent: reclaim of one chosen page",
	[SK_THP_OP]	= "no host equivalent: collapse or split of one chosen THP",
	[SK_UFFD]	= "userfaultfd is not in the host backend yet",
	[SK_UPROBE]	= "uprobes are not in the host backend yet",
	[SK_KSM]	= "this kernel has no KSM (/sys/kernel/mm/ksm)",
	[SK_EVICT]	= "no host equivalent: eviction of one chosen page cache page",
	[SK_DISK]	= "no host equivalent: reading the disk behind the page cache",
	[SK_NO_EXT4]	= "no ext4 filesystem for temporary files ($TMPDIR, else /tmp)",
	[SK_BIG_FILE]	= "a filled file of more than 4096 pages",
	[SK_PROP]	= "page state not observable from userspace (PG_anon_exclusive, PTE write bit, pins)",
	[SK_COUNT]	= "no host equivalent: refcount, mapcount and pincount are not observable",
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
	[SK_PLACEMENT]	= "no host equivalent: placing a mapping in ZONE_MOVABLE or CMA",
	[SK_GUPT_ONE]	= "gup_test holds one long-term pin at a time; this scenario holds two",
	[SK_TIMEOUT]	= "timed out: the run did not finish within its time limit (a slow machine or guest; counted apart, not compared)",
	[SK_SECRETMEM]	= "memfd_secret() unavailable (no CONFIG_SECRETMEM, or disabled: secretmem.enable=0)",
	[SK_DAX]	= "no DAX filesystem here (ext4 on pmem mounted -o dax)",
};

const char *const *pl_host_skip_reasons(int *nr)
{
	*nr = SK_NR;
	return host_skips;
}

static volatile sig_atomic_t host_sig;

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

/* ---------------------------------------------------------------------------
 * The protocol.
 */
enum w_op {
	W_MMAP, W_MUNMAP, W_MPROTECT, W_MADVISE, W_MREMAP, W_WRITE, W_READ, W_FORK, W_EXIT,
	W_VMSPLICE, W_RING_REG, W_RING_UNREG, W_RING_RW, W_PAGEMAP, W_CLEAR_REFS, W_REMOTE,
	W_GUPT_PIN,
};

/* W_REMOTE: q->arg */
enum { R_PROC_MEM_WRITE, R_VM_WRITEV, R_PROC_MEM_READ, R_VM_READV };

struct w_req {
	int op;
	int thread;		/* the scenario thread to do it in, 1-based; 0 = the worker's main */
	int arg;		/* mmap flags, madvise advice, mprotect prot, ring index */
	int prot;
	int write;		/* W_RING_RW: write_fixed (1) or read_fixed (0); W_GUPT_PIN: R/W */
	uint64_t addr, len, n, new_addr;
	uint32_t nr, page, index;
	int zero;		/* W_WRITE: zeroes instead of text */
	char text[HOST_TEXT];
};

struct w_rep {
	long ret;		/* 0, a count or an id; or -errno */
	uint64_t addr;
	uint64_t val;
	char text[HOST_TEXT];
};

static int send_msg(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = { (void *)buf, len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EPIPE;
}

/* One message; *fd = the fd it carried or -1.  0, or -EPIPE at EOF. */
static int recv_msg(int sock, void *buf, size_t len, int *fd)
{
	struct iovec iov = { buf, len };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
	struct cmsghdr *c;
	ssize_t got;

	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.buf;
	m.msg_controllen = sizeof(u.buf);
	*fd = -1;
	do
		got = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (got < 0 && errno == EINTR && !host_sig);
	if (got != (ssize_t)len)
		return -EPIPE;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

/* ---------------------------------------------------------------------------
 * The worker.  Never returns; never uses stdio (its buffers belong to pinlab).
 */
struct w_ring {
	int fd;
	void *sq, *cq, *sqes;
	size_t sq_len, cq_len, sqes_len;
	struct io_uring_params p;
	uint64_t base;		/* the registered buffer */
	uint32_t nr;
};

/*
 * A scenario `thread` block is a real thread of its process's worker.  The
 * executor still runs one step at a time: the worker's main thread hands
 * the request to the thread (go) and waits for it (done), so the kernel
 * sees the operation come from that thread, in the scenario's order.
 */
struct w_state;

struct w_thread {
	int id;			/* scenario thread, 1-based; 0 = free */
	pthread_t tid;
	sem_t go, done;
	struct w_state *st;
	const struct w_req *q;
	struct w_rep *p;
	int fd;
	long ret;
};

struct w_state {
	pid_t pinlab;		/* the pinlab process: every worker's parent (CLONE_PARENT) */
	struct w_ring rings[HOST_RINGS];
	struct w_thread threads[HOST_THREADS];
};

static sigjmp_buf host_segv_env;

static void host_on_segv(int sig)
{
	siglongjmp(host_segv_env, sig);
}

/* Byte loops, not memcpy: a fault must land here, not in an interceptor. */
static __attribute__((noinline)) void w_store_bytes(volatile char *p, const char *text, int zero)
{
	if (zero) {
		for (int i = 0; i < HOST_PAGE; i++)
			p[i] = 0;
	} else {
		size_t i = 0;

		do
			p[i] = text[i];
		while (text[i++]);
	}
}

static __attribute__((noinline)) void w_load_bytes(volatile const char *p, char *out)
{
	for (int i = 0; i < HOST_TEXT - 1; i++) {
		out[i] = p[i];
		if (!out[i])
			return;
	}
	out[HOST_TEXT - 1] = 0;
}

/*
 * A user store or load of one page; a SIGSEGV there is -EFAULT and a SIGBUS
 * (past the end of a file, no huge page) -EBUSY, as the model reports them.
 */
static long w_access(const struct w_req *q, uint32_t i, char *out)
{
	int sig = sigsetjmp(host_segv_env, 1);

	if (sig)
		return sig == SIGBUS ? -EBUSY : -EFAULT;
	if (q->op == W_WRITE)
		w_store_bytes((volatile char *)(uintptr_t)(q->addr + (uint64_t)i * HOST_PAGE),
			      q->text, q->zero);
	else
		w_load_bytes((volatile const char *)(uintptr_t)(q->addr + (uint64_t)i * HOST_PAGE),
			     out);
	return 0;
}

static long w_err(long ret)
{
	return ret < 0 ? -errno : ret;
}

/*
 * A ring instance: io_uring_setup() and its three mmaps.  Every worker that
 * pinlab starts makes all HOST_RINGS of them first, before the scenario maps
 * anything: the kernel places ring memory itself (a hint is EINVAL), and made
 * later it would fill a hole the scenario unmapped, where a later access of
 * the scenario would find it (found by fuzz-diff).  Forked workers inherit
 * them.  -errno in r->fd when io_uring is unavailable.
 */
static void w_ring_create(struct w_ring *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &r->p);
	if (r->fd < 0) {
		r->fd = errno == EPERM || errno == ENOSYS ? -ENOSYS : -errno;
		return;
	}
	r->sq_len = r->p.sq_off.array + r->p.sq_entries * sizeof(uint32_t);
	r->cq_len = r->p.cq_off.cqes + r->p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = r->p.sq_entries * sizeof(struct io_uring_sqe);
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_SQ_RING);
	r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd,
		     IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		       r->fd, IORING_OFF_SQES);
	if (r->sq == MAP_FAILED || r->cq == MAP_FAILED || r->sqes == MAP_FAILED) {
		close(r->fd);
		r->fd = -ENOMEM;
	}
}

/* Register [base, base + nr pages) as the instance's one fixed buffer. */
static long w_ring_setup(struct w_ring *r, uint64_t base, uint32_t nr)
{
	struct iovec iov = { (void *)(uintptr_t)base, (size_t)nr * HOST_PAGE };

	if (r->fd < 0)
		return r->fd;
	if (r->nr)
		return -EBUSY;
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0)
		return -errno;
	r->base = base;
	r->nr = nr;
	return 0;
}

static long w_ring_free(struct w_ring *r)
{
	if (r->fd < 0 || !r->nr)
		return -EBADF;
	if (syscall(__NR_io_uring_register, r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0) < 0)
		return -errno;
	r->nr = 0;
	return 0;
}

/*
 * One WRITE_FIXED / READ_FIXED of @nr buffer pages from page @page (0: to the
 * end of the buffer, as the language's write/read-fixed move the whole
 * buffer) at file page @index.
 */
static long w_ring_rw(struct w_ring *r, int fd, bool write, uint32_t page, uint32_t nr,
		      uint32_t index)
{
	char *sq = r->sq, *cq = r->cq;
	volatile uint32_t *tail = (uint32_t *)(sq + r->p.sq_off.tail);
	uint32_t mask = *(uint32_t *)(sq + r->p.sq_off.ring_mask);
	uint32_t *array = (uint32_t *)(sq + r->p.sq_off.array);
	volatile uint32_t *chead = (uint32_t *)(cq + r->p.cq_off.head);
	volatile uint32_t *ctail = (uint32_t *)(cq + r->p.cq_off.tail);
	uint32_t cmask = *(uint32_t *)(cq + r->p.cq_off.ring_mask);
	struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + r->p.cq_off.cqes);
	struct io_uring_sqe *sqe;
	uint32_t t = *tail, h;
	long ret;

	if (page >= r->nr)
		return -EFAULT;
	if (!nr || nr > r->nr - page)
		nr = r->nr - page;
	sqe = &((struct io_uring_sqe *)r->sqes)[t & mask];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = write ? IORING_OP_WRITE_FIXED : IORING_OP_READ_FIXED;
	sqe->fd = fd;
	sqe->addr = r->base + (uint64_t)page * HOST_PAGE;
	sqe->len = nr * HOST_PAGE;
	sqe->off = (uint64_t)index * HOST_PAGE;
	sqe->buf_index = 0;
	array[t & mask] = t & mask;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	ret = syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	if (ret < 0)
		return -errno;
	h = *chead;
	if (h == __atomic_load_n(ctail, __ATOMIC_ACQUIRE))
		return -EIO;
	ret = cqes[h & cmask].res;
	__atomic_store_n(chead, h + 1, __ATOMIC_RELEASE);
	if (ret < 0)
		return ret;
	return ret == (long)nr * HOST_PAGE ? 0 : -EIO;
}

/* Read one u64 at index @i of a /proc table; 0 or -errno. */
static long w_proc_u64(const char *path, uint64_t i, uint64_t *val)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	*val = 0;
	if (fd < 0)
		return -errno;
	got = pread(fd, val, sizeof(*val), (off_t)(i * sizeof(*val)));
	close(fd);
	return got == sizeof(*val) ? 0 : -EIO;
}

/*
 * The page at @addr as the kernel reports it: the pagemap entry, and for a
 * present page whose PFN we may see (CAP_SYS_ADMIN), its /proc/kpageflags
 * and /proc/kpagecount entries (flags[0], flags[1]).
 */
#define PM_PRESENT	(1ull << 63)
#define PM_PFN_MASK	((1ull << 55) - 1)

static long w_pagemap(uint64_t addr, uint64_t *val, uint64_t flags[2])
{
	long ret = w_proc_u64("/proc/self/pagemap", addr / HOST_PAGE, val);
	uint64_t pfn = *val & PM_PFN_MASK;

	flags[0] = flags[1] = 0;
	if (ret || !(*val & PM_PRESENT) || !pfn)
		return ret;
	if (w_proc_u64("/proc/kpageflags", pfn, &flags[0]) ||
	    w_proc_u64("/proc/kpagecount", pfn, &flags[1]))
		return -EPERM;
	return 0;
}

/* /proc/PID/mem (FOLL_FORCE) or process_vm_{readv,writev} (no force) of one page's text. */
static long w_remote(const struct w_req *q, char *out)
{
	struct iovec local, remote = { (void *)(uintptr_t)q->addr, 0 };
	bool write = q->arg == R_PROC_MEM_WRITE || q->arg == R_VM_WRITEV;
	char path[64];
	ssize_t got;
	int fd;

	local.iov_base = write ? (void *)q->text : out;
	local.iov_len = write ? strlen(q->text) + 1 : HOST_TEXT - 1;
	remote.iov_len = local.iov_len;
	memset(out, 0, HOST_TEXT);
	if (q->arg == R_VM_WRITEV || q->arg == R_VM_READV) {
		got = write ? process_vm_writev((pid_t)q->n, &local, 1, &remote, 1, 0)
			    : process_vm_readv((pid_t)q->n, &local, 1, &remote, 1, 0);
		return got < 0 ? -errno : 0;
	}
	snprintf(path, sizeof(path), "/proc/%llu/mem", (unsigned long long)q->n);
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = write ? pwrite(fd, local.iov_base, local.iov_len, (off_t)q->addr)
		    : pread(fd, local.iov_base, local.iov_len, (off_t)q->addr);
	close(fd);
	return got < 0 ? -errno : 0;
}

static long w_clear_refs(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	long ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, "4", 1) == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

static void worker_main(int sock, struct w_state *st) __attribute__((noreturn));

/* The start of a new worker: its socket at fd 3, dies with pinlab. */
static void worker_start(int sock, struct w_state *st, bool from_pinlab)
{
	struct sigaction sa;

	if (sock != 3) {
		dup2(sock, 3);
		close(sock);
	}
	if (from_pinlab) {	/* pinlab's fds are not the scenario's */
		syscall(__NR_close_range, 4, ~0u, 0);
		for (int i = 0; i < HOST_RINGS; i++)
			w_ring_create(&st->rings[i]);
	}
	/*
	 * Dies with pinlab; if pinlab died before the prctl, at once.  The name
	 * lets a journal replay find a worker that outlived a killed pinlab.
	 */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != st->pinlab)
		_exit(1);
	{
		char name[16];

		snprintf(name, sizeof(name), "plw.%d", (int)st->pinlab);
		prctl(PR_SET_NAME, name);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = host_on_segv;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGINT, SIG_IGN);	/* pinlab decides when workers go */
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* a forked worker has only the thread that forked: none of the parent's */
	for (int i = 0; i < HOST_THREADS; i++)
		st->threads[i].id = 0;
	worker_main(3, st);
}

static long worker_do(int sock, const struct w_req *q, int fd, struct w_rep *p,
		      struct w_state *st)
{
	struct w_ring *rings = st->rings;
	struct iovec iov;
	long ret = 0;
	void *a;

	switch (q->op) {
	case W_MMAP:
		a = mmap(NULL, q->len, q->prot, q->arg, fd, 0);
		if (a == MAP_FAILED)
			return -errno;
		p->addr = (uintptr_t)a;
		return 0;
	case W_MUNMAP:
		return w_err(munmap((void *)(uintptr_t)q->addr, q->len));
	case W_MPROTECT:
		return w_err(mprotect((void *)(uintptr_t)q->addr, q->len, q->prot));
	case W_MADVISE:
		return w_err(madvise((void *)(uintptr_t)q->addr, q->len, q->arg));
	case W_MREMAP:
		a = mremap((void *)(uintptr_t)q->addr, q->len, q->n, q->arg,
			   (void *)(uintptr_t)q->new_addr);
		if (a == MAP_FAILED)
			return -errno;
		p->addr = (uintptr_t)a;
		return 0;
	case W_WRITE:
	case W_READ:
		for (uint32_t i = 0; i < q->nr && !ret; i++)
			ret = w_access(q, i, p->text);
		return ret;
	case W_FORK:
		ret = syscall(__NR_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
		if (ret < 0)
			return -errno;
		if (ret == 0)
			worker_start(fd, st, false);
		return ret;
	case W_VMSPLICE:
		iov.iov_base = (void *)(uintptr_t)q->addr;
		iov.iov_len = (size_t)q->nr * HOST_PAGE;
		ret = vmsplice(fd, &iov, 1, SPLICE_F_NONBLOCK);
		if (ret < 0)
			return -errno;
		p->val = (uint64_t)ret / HOST_PAGE;
		return 0;
	case W_RING_REG:	/* the controller chose the instance: each is used once a run */
		if (q->arg < 0 || q->arg >= HOST_RINGS)
			return -EBADF;
		ret = w_ring_setup(&rings[q->arg], q->addr, q->nr);
		return ret < 0 ? ret : q->arg;
	case W_RING_UNREG:
		if (q->arg < 0 || q->arg >= HOST_RINGS)
			return -EBADF;
		return w_ring_free(&rings[q->arg]);
	case W_RING_RW:
		if (q->arg < 0 || q->arg >= HOST_RINGS || rings[q->arg].fd < 0 ||
		    !rings[q->arg].nr)
			return -EBADF;
		return w_ring_rw(&rings[q->arg], fd, q->write, q->page, q->nr, q->index);
	case W_PAGEMAP: {
		uint64_t flags[2];
		long ret2 = w_pagemap(q->addr, &p->val, flags);

		p->addr = flags[0];
		memcpy(p->text, &flags[1], sizeof(flags[1]));
		return ret2;
	}
	case W_REMOTE:
		return w_remote(q, p->text);
	case W_CLEAR_REFS:
		return w_clear_refs();
	case W_GUPT_PIN: {	/* fd: gup_test; the pin is taken in this mm */
		struct pl_gupt_pin arg = {
			.addr = q->addr, .size = (uint64_t)q->nr * HOST_PAGE,
			.flags = (q->write ? PL_GUPT_WRITE : 0) | (q->arg ? PL_GUPT_FAST : 0),
		};

		return w_err(ioctl(fd, PL_GUPT_START, &arg));
	}
	}
	(void)sock;
	return -EINVAL;
}

static void *w_thread_main(void *arg)
{
	struct w_thread *t = arg;

	for (;;) {
		while (sem_wait(&t->go))
			;
		t->ret = worker_do(-1, t->q, t->fd, t->p, t->st);
		sem_post(&t->done);
	}
	return NULL;
}

/* Scenario thread @id of this worker, started on first use; NULL if none free. */
static struct w_thread *w_thread_get(struct w_state *st, int id)
{
	struct w_thread *t = NULL;

	for (int i = 0; i < HOST_THREADS; i++) {
		if (st->threads[i].id == id)
			return &st->threads[i];
		if (!t && !st->threads[i].id)
			t = &st->threads[i];
	}
	if (!t)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->st = st;
	if (sem_init(&t->go, 0, 0) || sem_init(&t->done, 0, 0))
		return NULL;
	if (pthread_create(&t->tid, NULL, w_thread_main, t))
		return NULL;
	t->id = id;
	return t;
}

static long w_in_thread(struct w_state *st, const struct w_req *q, int fd, struct w_rep *p)
{
	struct w_thread *t = w_thread_get(st, q->thread);

	if (!t)
		return -EAGAIN;
	t->q = q;
	t->p = p;
	t->fd = fd;
	sem_post(&t->go);
	while (sem_wait(&t->done))
		;
	return t->ret;
}

static void worker_main(int sock, struct w_state *st)
{
	for (;;) {
		struct w_req q;
		struct w_rep p;
		int fd;

		if (recv_msg(sock, &q, sizeof(q), &fd))
			_exit(0);
		memset(&p, 0, sizeof(p));
		q.text[HOST_TEXT - 1] = 0;
		if (q.op == W_EXIT) {
			send_msg(sock, &p, sizeof(p), -1);
			_exit(0);
		}
		if (q.thread > 0)
			p.ret = w_in_thread(st, &q, fd, &p);
		else
			p.ret = worker_do(sock, &q, fd, &p, st);
		if (fd >= 0)
			close(fd);
		if (send_msg(sock, &p, sizeof(p), -1))
			_exit(0);
	}
}

/* ---------------------------------------------------------------------------
 * The controller.
 */
struct hproc {
	int pid;		/* real pid; 0 = gone */
	int sock;
};

struct hfile {
	int fd;
	int fs;
	unsigned int huge_order;	/* hugetlbfs: 9 or 18 */
};

struct hpipe {
	int rfd, wfd;
};

/* A sysfs file the run changed, and what it held before. */
struct hsetting {
	char path[112];
	char orig[32];
};

struct hring {
	int owner;		/* scenario pid (index + 1) */
	int idx;		/* the ring in that worker; -1 = unregistered */
};

struct host {
	struct pl_backend be;
	int timeout_ms;
	struct timespec deadline;
	bool dead;		/* timed out or interrupted: every worker is killed */
	long dead_err;
	struct hproc procs[HOST_MAX];
	int nr_procs;
	struct hfile files[HOST_MAX];
	int nr_files;
	struct hpipe pipes[HOST_MAX];
	int nr_pipes;
	struct hring rings[HOST_MAX];
	int nr_rings;
	int scratch;		/* memfd for reading ring pages; -1 */
	int gupt_fd;		/* /sys/kernel/debug/gup_test with PIN_LONGTERM_TEST_*; -1 = none */
	bool gupt_tried;	/* gupt_fd was looked for */
	int gupt_pin;		/* the pin gup_test holds: its handle; 0 = none */
	uint32_t gupt_nr;	/* its pages */
	int nr_gupt;		/* pin handles given out this run */
	struct hsetting set[HOST_SETTINGS];	/* journal: restored by end(), newest first */
	int nr_set;
	uint64_t pool_max[2];	/* hugetlb pages of 2 MiB, 1 GiB the kernel found at most; 0 = any */
	int pud_fork;		/* 1 GiB pages survive fork: 1 yes, -1 no, 0 not tried */
	bool allow_swapfile;
	bool journal;		/* take the host lock and journal changes (not in a guest) */
	int lock_timeout_s;
	struct pl_hjournal j;	/* the host lock and the on-disk journal (journal.h) */
	char swapfile[PATH_MAX];	/* our swapfile, swapon'd; "" = none (removed by destroy()) */
	char text[HOST_TEXT];	/* a reply's text, valid until the next step */
	int cur_thread;		/* the step's scenario thread (w_req.thread) */
};

static struct host *host_of(struct pl_backend *be)
{
	return be->priv;
}

static long host_skip(struct pl_bresult *r, enum host_skip why)
{
	r->text = host_skips[why];
	return -PL_BSKIP;
}

/* Where temporary files go: $TMPDIR when it is an absolute path, else /tmp. */
static const char *host_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	return t && t[0] == '/' && strlen(t) < PATH_MAX - 32 ? t : "/tmp";
}

static int host_ms_left(const struct host *h)
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

static void host_die(struct host *h, long err)
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

static long host_process(struct host *h, struct pl_bresult *r)
{
	int idx, theirs, err = host_new_proc(h, &idx, &theirs);
	pid_t pid, me;

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
		struct w_state st;	/* lives as long as the worker: worker_start() never returns */

		memset(&st, 0, sizeof(st));
		st.pinlab = me;
		worker_start(theirs, &st, true);
	}
	close(theirs);
	h->procs[idx].pid = pid;
	r->id = idx + 1;
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
 * Write @text at byte @off of a file.  hugetlbfs has no write(2): its pages
 * are written through a shared mapping of the huge page that holds @off.
 */
static int host_file_store(const struct hfile *f, const char *text, off_t off)
{
	size_t huge, len = strlen(text) + 1;
	off_t base;
	char *p;

	if (f->fs != PL_FS_HUGETLBFS)
		return pwrite(f->fd, text, len, off) < 0 ? -errno : 0;
	huge = (size_t)HOST_PAGE << f->huge_order;
	base = off - off % (off_t)huge;
	p = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, base);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(p + (off - base), text, len);
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
		unsigned int flags = MFD_CLOEXEC | MFD_HUGETLB;

		flags |= (s->huge_order == 18 ? 30u : 21u) << MAP_HUGE_SHIFT;	/* == MFD_HUGE_SHIFT */
		pl_hj_memfd_name(name, sizeof(name), "hugetlb");
		fd = memfd_create(name, flags);
		if (fd < 0)
			return errno == EINVAL ? host_skip(r, SK_NO_SETTING) : -errno;
	} else {
		pl_hj_memfd_name(name, sizeof(name), "file");
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	f = &h->files[h->nr_files];
	f->fd = fd;
	f->fs = s->arg;
	f->huge_order = s->arg == PL_FS_HUGETLBFS ? (s->huge_order ? s->huge_order : 9) : 0;
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

static long host_pipe_read(struct host *h, int id)
{
	struct hpipe *pp = host_pipe(h, id);
	char page[HOST_PAGE];
	ssize_t got;

	if (!pp)
		return -EBADF;
	got = read(pp->rfd, page, sizeof(page));
	if (got < 0)
		return -errno;
	if (got == 0)
		return -ENODATA;
	page[got == HOST_PAGE ? HOST_PAGE - 1 : got] = 0;
	page[HOST_TEXT - 1] = 0;
	memcpy(h->text, page, HOST_TEXT);
	return 0;
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

/* ---------------------------------------------------------------------------
 * System-wide settings: THP and mTHP modes, hugetlb pools, a swapfile.
 *
 * The kernel's own cow.c changes the same sysfs files around each test; so
 * does the host backend, as root only, journaling the value each file held
 * before its first change.  end() writes them back after every run, newest
 * first, once the run's workers are reaped (so the hugetlb pages they held
 * are free again).  The swapfile, when --allow-swapfile let us make one,
 * lives until destroy(): swapoff, then unlink.
 */
static int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;
	char *nl;

	if (fd < 0)
		return -errno;
	got = read(fd, buf, len - 1);
	close(fd);
	if (got < 0)
		return -EIO;
	buf[got] = 0;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	return 0;
}

static int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* "always [madvise] never" -> "madvise"; a plain value stays as it is. */
static void sysfs_selected(char *buf)
{
	char *open_br = strchr(buf, '['), *close_br;

	if (!open_br || !(close_br = strchr(open_br, ']')))
		return;
	*close_br = 0;
	memmove(buf, open_br + 1, strlen(open_br + 1) + 1);
}

static long host_setting(struct host *h, const char *path, const char *val,
			 struct pl_bresult *r)
{
	struct hsetting *e = NULL;
	int err;

	if (access(path, F_OK))
		return host_skip(r, SK_NO_SETTING);
	if (geteuid() != 0)
		return host_skip(r, SK_NOT_ROOT);
	for (int i = 0; i < h->nr_set && !e; i++)
		if (!strcmp(h->set[i].path, path))
			e = &h->set[i];
	if (!e) {
		if (h->nr_set == HOST_SETTINGS)
			return host_skip(r, SK_LIMIT);
		e = &h->set[h->nr_set];
		snprintf(e->path, sizeof(e->path), "%s", path);
		err = sysfs_read(path, e->orig, sizeof(e->orig));
		if (err)
			return err;
		sysfs_selected(e->orig);
		/* write-ahead: the original is on disk before the first change */
		err = pl_hj_set(&h->j, path, e->orig);
		if (err)
			return err;
		h->nr_set++;
	}
	err = sysfs_write(path, val);
	pl_hj_point(&h->j);
	return err;
}

/* Clean-up that a signal must not cut short: SIGINT/SIGTERM wait meanwhile. */
static void host_block_signals(sigset_t *old)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, old);
}

/* Newest first; a signal meanwhile must not cut a pool resize short. */
static void host_restore_settings(struct host *h)
{
	sigset_t old;

	if (!h->nr_set)
		return;
	host_block_signals(&old);
	while (h->nr_set > 0) {
		struct hsetting *e = &h->set[--h->nr_set];
		int err = sysfs_write(e->path, e->orig);

		if (err)
			fprintf(stderr, "pinlab: could not restore %s to '%s': %s\n", e->path,
				e->orig, strerror(-err));
	}
	pl_hj_clean(&h->j);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static const char thp_dir[] = "/sys/kernel/mm/transparent_hugepage";

static long host_thp_mode(struct host *h, int mode, struct pl_bresult *r)
{
	char path[112];
	const char *val = mode == THP_ALWAYS ? "always" : mode == THP_NEVER ? "never" : "madvise";

	snprintf(path, sizeof(path), "%s/enabled", thp_dir);
	return host_setting(h, path, val, r);
}

/* PL_BOP_MTHP: hugepages-<size>kB/enabled = always for one mTHP order. */
static long host_mthp(struct host *h, int order, struct pl_bresult *r)
{
	char path[112];

	snprintf(path, sizeof(path), "%s/hugepages-%ukB/enabled", thp_dir, 4u << order);
	return host_setting(h, path, "always", r);
}

/*
 * A self-test, once per backend, before the first 1 GiB row: does a child
 * see its parent's private 1 GiB hugetlb page after fork?  On the PVM
 * guest this was written on, the child's PUD entry is sometimes simply
 * missing right after the parent's first fault (between 1 fork in 6 and 1
 * in 24, depending on load; 2 MiB pages: 30 of 30 fine), which no model of
 * Linux should reproduce; such a kernel skips the 1 GiB rows.  48 fresh
 * faults and forks, in a process of its own, with one free 1 GiB page.
 */
static bool host_pud_fork_works(void)
{
	pid_t me = getpid(), pid = fork();
	int status;

	if (pid < 0)
		return false;
	if (pid == 0) {
		/* its 1 GiB pages go with it, and it goes with pinlab */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)
			_exit(2);
		/* a page lost is lost at its first fork: a fresh fault every time */
		for (int i = 0; i < 48; i++) {
			volatile char *m = mmap(NULL, 1ul << 30, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
						(30 << MAP_HUGE_SHIFT), -1, 0);
			pid_t child;

			if (m == MAP_FAILED)
				_exit(2);
			m[0] = 'p';
			child = fork();
			if (child == 0)
				_exit(m[0] == 'p' ? 0 : 1);
			if (child < 0 || waitpid(child, &status, 0) != child ||
			    !WIFEXITED(status) || WEXITSTATUS(status))
				_exit(1);
			munmap((void *)m, 1ul << 30);
		}
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * A hugetlb pool of exactly @n free pages of one order.  The kernel may
 * fail to find contiguous memory for all of them (1 GiB pages at run time):
 * that is a skip, not a failure.
 */
static long host_pool(struct host *h, unsigned int order, uint64_t n, struct pl_bresult *r)
{
	char path[112], val[32];
	long ret;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages",
		 4ul << order);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)n);
	char free_path[112], got[32];
	uint64_t *max = &h->pool_max[order > 9];

	/* a size the kernel could not find once is not tried again in this backend */
	if (*max && n > *max)
		return host_skip(r, SK_POOL);
	snprintf(free_path, sizeof(free_path),
		 "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages", 4ul << order);
	/*
	 * Pages of the last run may come back late (io_uring drops its buffer
	 * pins from a workqueue), and huge ranges may need compaction first:
	 * a few tries, compacting memory once, before giving up.
	 */
	for (int try = 0; try < 20; try++) {
		ret = host_setting(h, path, val, r);
		if (ret)
			return ret;
		if (sysfs_read(free_path, got, sizeof(got)))
			break;
		if (strtoull(got, NULL, 10) == n) {
			if (order != 18 || n == 0)
				return 0;
			if (!h->pud_fork)
				h->pud_fork = host_pud_fork_works() ? 1 : -1;
			return h->pud_fork > 0 ? 0 : host_skip(r, SK_PUD_FORK);
		}
		if (try == 19)
			*max = strtoull(got, NULL, 10) ? strtoull(got, NULL, 10) : 1;
		if (try == 0)
			sysfs_write("/proc/sys/vm/compact_memory", "1");
		else
			nanosleep(&(struct timespec){ .tv_nsec = 25 * 1000000 }, NULL);
	}
	return host_skip(r, SK_POOL);
}

/*
 * ksm-merge: one synchronous scan of every MADV_MERGEABLE range, done as
 * cow.c does it: let ksmd run flat out until it has completed two full
 * scans (the first may start in the middle), then stop it (run = 0 keeps
 * the merged pages).  end() puts the knobs back.
 */
static long host_ksm_merge(struct host *h, struct pl_bresult *r)
{
	static const char ksm[] = "/sys/kernel/mm/ksm";
	char path[112], val[32];
	unsigned long long start;
	long ret;

	snprintf(path, sizeof(path), "%s/full_scans", ksm);
	if (sysfs_read(path, val, sizeof(val)))
		return host_skip(r, SK_KSM);
	start = strtoull(val, NULL, 10);
	snprintf(path, sizeof(path), "%s/sleep_millisecs", ksm);
	ret = host_setting(h, path, "0", r);
	snprintf(path, sizeof(path), "%s/pages_to_scan", ksm);
	if (!ret)
		ret = host_setting(h, path, "10000", r);
	snprintf(path, sizeof(path), "%s/run", ksm);
	if (!ret)
		ret = host_setting(h, path, "1", r);
	if (ret)
		return ret;
	for (;;) {
		snprintf(path, sizeof(path), "%s/full_scans", ksm);
		if (sysfs_read(path, val, sizeof(val)))
			return -EIO;
		if (strtoull(val, NULL, 10) >= start + 2)
			break;
		if (!host_ms_left(h) || host_sig) {
			host_die(h, host_sig ? -EINTR : -ETIMEDOUT);
			return h->dead_err;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 2 * 1000000 }, NULL);
	}
	snprintf(path, sizeof(path), "%s/run", ksm);
	return host_setting(h, path, "0", r);
}

static bool host_has_swap(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[256];
	int n = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;
}

/*
 * mkswap, in our words: page 0 holds, from byte 1024, the version (1), the
 * last usable page, the number of bad pages (0) and a UUID and label (left
 * zero), and ends with the magic "SWAPSPACE2".  Every other page is written
 * (zeroes), so the file has no holes for swapon to refuse.
 */
static int host_write_swapfile(int fd)
{
	static const char magic[] = "SWAPSPACE2";
	char page[HOST_PAGE];
	uint32_t hdr[3] = { 1, HOST_SWAP_PAGES - 1, 0 };

	memset(page, 0, sizeof(page));
	memcpy(page + 1024, hdr, sizeof(hdr));
	memcpy(page + HOST_PAGE - (sizeof(magic) - 1), magic, sizeof(magic) - 1);
	if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
		return -EIO;
	memset(page, 0, sizeof(page));
	for (int i = 1; i < HOST_SWAP_PAGES; i++)
		if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
			return -EIO;
	return fsync(fd) ? -errno : 0;
}

/*
 * swapoff brings every page back in and gives up with EINTR when a signal
 * arrives meanwhile (an active swapfile cannot be unlinked either), so
 * SIGINT/SIGTERM wait until it is done.
 */
static void host_swapfile_remove(struct host *h)
{
	sigset_t old;
	int ret;

	if (!h->swapfile[0])
		return;
	host_block_signals(&old);
	do
		ret = swapoff(h->swapfile);
	while (ret && errno == EINTR);
	if (ret) {
		fprintf(stderr, "pinlab: swapoff %s: %s (left in place: swapoff and remove it)\n",
			h->swapfile, strerror(errno));
	} else {
		unlink(h->swapfile);
		pl_hj_swapfile_gone(&h->j, h->swapfile);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	h->swapfile[0] = 0;
}

/* swapon: there is swap, or (--allow-swapfile, root, ext4 /tmp) we add some. */
static long host_swapon(struct host *h, struct pl_bresult *r)
{
	struct statfs st;
	char proc[32];
	int fd, err;

	if (h->swapfile[0] || host_has_swap())
		return 0;
	if (!h->allow_swapfile)
		return host_skip(r, SK_NO_SWAP);
	if (geteuid() != 0)
		return host_skip(r, SK_NOT_ROOT);
	if (statfs(host_tmpdir(), &st) || st.f_type != EXT4_MAGIC)
		return host_skip(r, SK_SWAPFILE);
	/*
	 * Written as a file with no name (O_TMPFILE), journaled, then given
	 * its name: a crash before the link leaves nothing, after it the
	 * journal names the file for the next run to remove.
	 */
	fd = open(host_tmpdir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return host_skip(r, SK_SWAPFILE);
	err = host_write_swapfile(fd);
	snprintf(h->swapfile, sizeof(h->swapfile), "%s/pinlab-swap.%d", host_tmpdir(),
		 (int)getpid());
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (!err)
		err = pl_hj_swapfile(&h->j, h->swapfile);
	if (!err && linkat(AT_FDCWD, proc, AT_FDCWD, h->swapfile, AT_SYMLINK_FOLLOW))
		err = -errno;
	close(fd);
	if (err) {
		h->swapfile[0] = 0;
		return host_skip(r, SK_SWAPFILE);
	}
	pl_hj_point(&h->j);
	if (swapon(h->swapfile, 0)) {
		unlink(h->swapfile);
		pl_hj_swapfile_gone(&h->j, h->swapfile);
		h->swapfile[0] = 0;
		return host_skip(r, SK_SWAPFILE);
	}
	pl_hj_point(&h->j);
	return 0;
}

static long host_ring_register(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_RING_REG, .addr = s->addr, .nr = s->nr, .arg = h->nr_rings };
	struct w_rep p;
	long ret;

	if (h->nr_rings == HOST_RINGS)	/* the instances every worker made at its start */
		return host_skip(r, SK_LIMIT);
	ret = host_call(h, s->pid, &q, -1, &p);
	if (ret == -ENOSYS)
		return host_skip(r, SK_IOURING);
	if (ret == -ENOMEM && !h->dead)
		return host_skip(r, SK_MEMLOCK);
	if (ret < 0)
		return ret;
	h->rings[h->nr_rings].owner = s->pid;
	h->rings[h->nr_rings].idx = (int)ret;
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
static long host_gupt_read(struct host *h, int handle, uint32_t page)
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
	ret = host_call(h, g->owner, &q, fd, &p);
	if (ret >= 0 && op == W_RING_UNREG)
		g->idx = -1;
	return ret < 0 ? ret : 0;
}

/* What the ring's device sees in buffer page @page: write it to a memfd, read that. */
static long host_ring_read(struct host *h, const struct pl_bstep *s)
{
	long ret;

	if (h->scratch < 0) {
		char name[48];

		pl_hj_memfd_name(name, sizeof(name), "scratch");
		h->scratch = memfd_create(name, MFD_CLOEXEC);
		if (h->scratch < 0)
			return -errno;
	}
	ret = host_ring_op(h, &(struct pl_bstep){ .handle = s->handle, .index = 0 }, W_RING_RW,
			   true, h->scratch, s->page, 1);
	if (ret < 0)
		return ret;
	return host_pread(h, h->scratch, 0);
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
	ret = host_call(h, s->pid, &q, -1, &p);
	if (ret >= 0)
		snprintf(h->text, sizeof(h->text), "%s", p.text);
	return ret < 0 ? ret : 0;
}

static long host_check_value(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct w_req q = { .op = W_READ, .addr = s->addr, .nr = 1 };
	struct w_rep p;
	struct hfile *f;
	long ret;

	switch (s->src) {
	case PL_SRC_USER:
		ret = host_call(h, s->pid, &q, -1, &p);
		if (ret < 0)
			return ret;
		snprintf(h->text, sizeof(h->text), "%s", p.text);
		break;
	case PL_SRC_PIPE:
		ret = host_pipe_read(h, s->handle);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_FILE:
		f = host_filep(h, s->file);
		if (!f)
			return -EBADF;
		ret = host_pread(h, f->fd, s->index);
		if (ret < 0)
			return ret;
		break;
	case PL_SRC_PIN:	/* gup_test's READ, else a R/W pin is an io_uring buffer */
		if (h->gupt_fd >= 0) {
			ret = host_gupt_read(h, s->handle, s->page);
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
	case PL_SRC_GUP:
		return host_skip(r, SK_RAW_GUP);
	case PL_SRC_DMA:
		return host_skip(r, SK_RDMA);
	case PL_SRC_DISK:
		return host_skip(r, SK_DISK);
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

/* /proc/kpageflags bits (Documentation/admin-guide/mm/pagemap.rst) */
#define KPF_SWAPCACHE		14
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_KSM			21
#define KPF_ZERO_PAGE		24

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
		r->prop = p.val >> 55 & 1;
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
		break;
	}
	return 0;
}

static long host_vmsplice(struct host *h, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct hpipe *pp = host_pipe(h, s->handle);
	struct w_req q = { .op = W_VMSPLICE, .addr = s->addr, .nr = s->nr };
	struct w_rep p;
	long ret;

	if (!pp)
		return -EBADF;
	ret = host_call(h, s->pid, &q, pp->wfd, &p);
	if (ret < 0)
		return ret;
	r->count = (long)p.val;
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
	case PL_OP_MMAP:
		if (s->mflags & (PL_MAP_PFNMAP | PL_MAP_FIXED))
			return host_skip(r, SK_PFNMAP);
		if (s->mflags & (PL_MAP_MOVABLE | PL_MAP_CMA))
			return host_skip(r, SK_PLACEMENT);
		f = s->file >= 0 ? host_filep(h, s->file) : NULL;
		if (s->file >= 0 && !f)
			return -EBADF;
		q.op = W_MMAP;
		q.len = s->n;
		q.prot = s->prot;
		q.arg = host_mmap_flags(s->mflags);
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
	case PL_OP_MREMAP:
		q.op = W_MREMAP;
		q.addr = s->addr;
		q.len = len;
		q.n = s->n;
		q.new_addr = s->new_addr;
		q.arg = (s->flags & PL_BSTEP_MOVE ? MREMAP_MAYMOVE : 0) |
			(s->new_addr ? MREMAP_MAYMOVE | MREMAP_FIXED : 0);
		return host_simple(h, s->pid, &q, r);
	case PL_OP_CLEAR_REFS:
		q.op = W_CLEAR_REFS;
		return host_simple(h, s->pid, &q, r);
	case PL_OP_WRITE:
	case PL_OP_READ:
		if (s->op == PL_OP_READ && s->handle)
			return host_pipe_read(h, s->handle);
		if (s->file >= 0)
			return host_file_rw(h, s, s->op == PL_OP_WRITE);
		q.op = s->op == PL_OP_WRITE ? W_WRITE : W_READ;
		q.addr = s->addr;
		q.nr = s->nr;
		q.zero = !s->text;
		if (s->text)
			snprintf(q.text, sizeof(q.text), "%s", s->text);
		return host_simple(h, s->pid, &q, r);
	case PL_OP_TRUNCATE:
		f = host_filep(h, s->file);
		if (!f)
			return -EBADF;
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
	case PL_OP_COMPLETE:
		return host_skip(r, SK_DIO);
	case PL_OP_RDMA_REG:
	case PL_OP_RDMA_DEREG:
	case PL_OP_DMA_WRITE:
		return host_skip(r, SK_RDMA);
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
		return host_pin(h, s, r);
	case PL_OP_UNPIN:
		if (h->gupt_fd >= 0)
			return host_gupt_unpin(h, s->handle);
		return host_ring_op(h, s, W_RING_UNREG, false, -1, 0, 0);
	case PL_OP_GUP:
	case PL_OP_PUT:
		return host_skip(r, SK_RAW_GUP);
	case PL_OP_PROC_MEM_WRITE:
		return host_remote(h, s, R_PROC_MEM_WRITE);
	case PL_OP_PROCESS_VM_WRITEV:
		return host_remote(h, s, R_VM_WRITEV);
	case PL_OP_RECLAIM:
		return host_skip(r, SK_RECLAIM);
	case PL_OP_COLLAPSE:
	case PL_OP_SPLIT:
		return host_skip(r, SK_THP_OP);
	case PL_OP_UFFD_CONTINUE:
		return host_skip(r, SK_UFFD);
	case PL_OP_UPROBE_REGISTER:
	case PL_OP_UPROBE_UNREGISTER:
		return host_skip(r, SK_UPROBE);
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
	h->nr_rings = 0;
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
	h->be.name = "host";
	h->be.priv = h;
	h->be.begin = host_begin;
	h->be.step = host_step;
	h->be.has = host_has;
	h->be.end = host_end;
	h->be.destroy = host_destroy;
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
