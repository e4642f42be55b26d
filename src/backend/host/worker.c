/*
 * worker.c - the host backend's worker process (host.h): one per scenario
 * process, forked by pinlab (or cloned by another worker for `fork`); it
 * reads requests from its socket, does each as real system calls in its
 * own address space (or in one of its scenario threads), and replies.
 *
 * Over 1,100 lines: one case per request of enum w_op in worker_do(), each
 * a few system calls, beside the small helpers they share (byte access
 * under a SIGSEGV guard, the io_uring ring, pagemap, the scenario threads);
 * the userfaultfd parts (w_uffd_*, the fork-event monitor of w_fork(), and
 * the O_DIRECT-in-flight requests, w_dio_*: a userfaultfd-held iovec and
 * its thread) are the ones to move to a file of their own when it grows.
 */
#include "backend/host/host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
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
#include <sys/eventfd.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int send_msg(int sock, const void *buf, size_t len, int fd)
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
int recv_msg(int sock, void *buf, size_t len, int *fd)
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
	/* `memlock`: a process's buffers in slots of one sparse table (w_ring_slot()) */
	bool table;
	uint32_t live;		/* slots in use */
	struct {
		uint64_t base;
		uint32_t nr;	/* 0 = empty */
	} slot[HOST_RINGS];
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

/* An O_DIRECT request held in flight (w_dio_start()). */
struct w_dio {
	bool busy;
	pthread_t tid;
	int fd;			/* our dup of the O_DIRECT fd */
	int efd;		/* the worker's eventfd: the syscall returned */
	bool write;
	struct iovec iov[2];	/* the buffer, then the held page */
	off_t off;
	size_t want;
	long ret;		/* the syscall's result, set by its thread */
};

struct w_state {
	pid_t pinlab;		/* the pinlab process: every worker's parent (CLONE_PARENT) */
	struct w_ring rings[HOST_RINGS];
	struct w_thread threads[HOST_THREADS];
	struct w_dio dio[HOST_DIO];
	char *dio_pages;	/* HOST_DIO pages between two PROT_NONE guards; NULL = none */
	int dio_ufd, dio_efd;	/* this worker's userfaultfd (MISSING on dio_pages), eventfd */
	pid_t dio_owner;	/* the worker they were made in: a forked worker makes its own */
	int wp_ufd, wp_ev_ufd;	/* uffd-wp contexts: plain, and with EVENT_FORK (w_uffd_wp()) */
};

/* A write's held page: the file's bytes under it, written back unchanged. */
static char w_dio_keep[HOST_DIO][HOST_PAGE] __attribute__((aligned(HOST_PAGE)));

static sigjmp_buf host_segv_env;

static void host_on_segv(int sig)
{
	siglongjmp(host_segv_env, sig);
}

/*
 * Byte loops, not memcpy: a fault must land here, not in an interceptor.
 * A page written whole holds the text, then zeroes (as the model's token
 * does); a byte range (q->bytes) stores only its bytes.
 */
static __attribute__((noinline)) void w_store_bytes(volatile char *p, const struct w_req *q)
{
	size_t k = q->zero ? 0 : strlen(q->text);

	if (q->bytes && q->blen) {
		for (uint32_t i = 0; i < q->blen; i++)
			p[q->boff + i] = k ? q->text[i % k] : 0;
	} else if (q->bytes) {
		for (size_t i = 0; i <= k; i++)
			p[q->boff + i] = i < k ? q->text[i] : 0;
	} else {
		for (int i = 0; i < HOST_PAGE; i++)
			p[i] = (size_t)i < k ? q->text[i] : 0;
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

/* A byte-range load: the C string at boff, or blen bytes rendered. */
static __attribute__((noinline)) void w_load_range(volatile const char *p, const struct w_req *q,
						   char *out)
{
	char buf[HOST_PAGE];
	uint32_t n = q->blen ? q->blen : HOST_TEXT - 1;

	if (n > HOST_PAGE - q->boff)
		n = HOST_PAGE - q->boff;
	for (uint32_t i = 0; i < n; i++)
		buf[i] = p[q->boff + i];
	if (q->blen) {
		pl_bytes_show(buf, n, out, HOST_TEXT);
	} else {
		memcpy(out, buf, n);
		out[n] = 0;
	}
}

/*
 * A user store or load of one page; a SIGSEGV there is -EFAULT and a SIGBUS
 * (past the end of a file, no huge page) -EBUSY, as the model reports them.
 */
static long w_access(const struct w_req *q, uint32_t i, char *out)
{
	int sig = sigsetjmp(host_segv_env, 1);
	uint64_t a = q->addr + (uint64_t)i * HOST_PAGE;

	if (sig)
		return sig == SIGBUS ? -EBUSY : -EFAULT;
	if (q->bytes && (q->boff >= HOST_PAGE || q->nr != 1))
		return -EINVAL;
	if (q->op == W_WRITE && q->bytes &&
	    q->boff + (uint64_t)(q->blen ? q->blen : (q->zero ? 0 : strlen(q->text)) + 1) >
	    HOST_PAGE)
		return -EINVAL;	/* the model refuses a store past the page the same way */
	if (q->op == W_WRITE)
		w_store_bytes((volatile char *)(uintptr_t)a, q);
	else if (q->bytes)
		w_load_range((volatile const char *)(uintptr_t)a, q, out);
	else
		w_load_bytes((volatile const char *)(uintptr_t)a, out);
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

/* RLIMIT_MEMLOCK's soft limit of @pages; a limit over the hard one is EINVAL. */
static long w_memlock_limit(uint64_t pages)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return -errno;
	if (rl.rlim_max != RLIM_INFINITY && pages > rl.rlim_max / HOST_PAGE)
		return -EINVAL;
	rl.rlim_cur = pages * HOST_PAGE;
	return w_err(setrlimit(RLIMIT_MEMLOCK, &rl));
}

/*
 * W_MEMLOCK's measure: the pages our uid's user->locked_vm holds now (our
 * rings, where the kernel charges them), without CAP_IPC_LOCK.  Registering
 * one page passes __io_account_mem() iff locked_vm + 1 <= the soft limit,
 * so the least limit that lets it is locked_vm + 1: a binary search over
 * the limit, each probe registering and unregistering a page of a mapping
 * of its own (unmapped again: the scenario's address space is as before).
 * No io_uring: nothing is charged, 0.
 */
static long w_memlock_base(struct w_ring *r, uint64_t *base)
{
	struct iovec iov = { NULL, HOST_PAGE };
	uint64_t lo = 0, hi = 1ull << 30;	/* fails at lo, passes at hi */
	struct rlimit rl;
	long ret = 0;

	*base = 0;
	if (r->fd < 0 || r->nr)
		return 0;
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return -errno;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max / HOST_PAGE < hi)
		hi = rl.rlim_max / HOST_PAGE;
	iov.iov_base = mmap(NULL, HOST_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	if (iov.iov_base == MAP_FAILED)
		return -errno;
	for (bool first = true; !ret && (first || hi - lo > 1); first = false) {
		uint64_t mid = first ? hi : lo + (hi - lo) / 2;

		ret = w_memlock_limit(mid);
		if (ret)
			break;
		if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS, &iov, 1) < 0) {
			if (errno != ENOMEM)
				ret = -errno;
			else if (first)
				ret = -EINVAL;	/* not even one page under the hard limit */
			else
				lo = mid;
			continue;
		}
		syscall(__NR_io_uring_register, r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0);
		hi = mid;
	}
	munmap(iov.iov_base, HOST_PAGE);
	if (!ret)
		*base = hi - 1;
	return ret;
}

/*
 * `memlock`: the model takes all of a process's buffers as one ring, and
 * io_uring charges a huge page once across one ring's buffers
 * (headpage_already_acct(), 6.1 and 6.12), so under `memlock` a process's
 * buffers go into slots of one sparse table (IORING_REGISTER_BUFFERS2 with
 * IORING_RSRC_REGISTER_SPARSE, 5.19; then IORING_REGISTER_BUFFERS_UPDATE
 * of one slot).  Emptying a slot gives its charge back from 6.1's delayed
 * rsrc_put_work, so the last buffer goes with IORING_UNREGISTER_BUFFERS,
 * which waits for every put (io_rsrc_ref_quiesce()): a register after the
 * ring's last unregister sees everything given back.  After an emptied slot
 * of a ring that keeps others the controller skips any later registration
 * (SK_MEMLOCK_PUT): 6.1 would give that charge back a second later.
 */
static long w_ring_slot(struct w_ring *r, uint32_t slot, uint64_t base, uint32_t nr)
{
	struct iovec iov = { (void *)(uintptr_t)base, (size_t)nr * HOST_PAGE };
	struct io_uring_rsrc_update2 u = { .offset = slot, .data = (uintptr_t)&iov, .nr = 1 };
	long ret;

	if (r->fd < 0)
		return r->fd;
	if (r->nr || slot >= HOST_RINGS || r->slot[slot].nr || !nr)
		return -EBUSY;
	if (!r->table) {
		struct io_uring_rsrc_register reg = {
			.nr = HOST_RINGS, .flags = IORING_RSRC_REGISTER_SPARSE,
		};

		if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS2, &reg,
			    sizeof(reg)) < 0)
			return errno == EINVAL ? W_RING_NOTABLE : -errno;
		r->table = true;
	}
	ret = syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS_UPDATE, &u, sizeof(u));
	if (ret != 1) {
		ret = ret < 0 ? -errno : -EIO;
		if (!r->live &&
		    !syscall(__NR_io_uring_register, r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0))
			r->table = false;
		return ret;
	}
	r->slot[slot].base = base;
	r->slot[slot].nr = nr;
	r->live++;
	return 0;
}

static long w_ring_slot_free(struct w_ring *r, uint32_t slot)
{
	struct iovec iov = { NULL, 0 };
	struct io_uring_rsrc_update2 u = { .offset = slot, .data = (uintptr_t)&iov, .nr = 1 };

	if (r->fd < 0 || !r->table || slot >= HOST_RINGS || !r->slot[slot].nr)
		return -EBADF;
	if (r->live == 1) {
		if (syscall(__NR_io_uring_register, r->fd, IORING_UNREGISTER_BUFFERS, NULL, 0) < 0)
			return -errno;
		r->table = false;
	} else if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS_UPDATE, &u,
			   sizeof(u)) != 1) {
		return -errno;
	}
	r->slot[slot].nr = 0;
	r->live--;
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
		      uint32_t index, uint32_t slot)
{
	/* slot: 1 + the buffer's slot (w_ring_slot()), or 0 for the ring's one buffer */
	uint64_t base = slot ? r->slot[slot - 1].base : r->base;
	uint32_t bnr = slot ? r->slot[slot - 1].nr : r->nr;
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

	if (page >= bnr)
		return -EFAULT;
	if (!nr || nr > bnr - page)
		nr = bnr - page;
	sqe = &((struct io_uring_sqe *)r->sqes)[t & mask];
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = write ? IORING_OP_WRITE_FIXED : IORING_OP_READ_FIXED;
	sqe->fd = fd;
	sqe->addr = base + (uint64_t)page * HOST_PAGE;
	sqe->len = nr * HOST_PAGE;
	sqe->off = (uint64_t)index * HOST_PAGE;
	sqe->buf_index = slot ? slot - 1 : 0;
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

/* The observation of a byte range read remotely into page[0..n). */
static void w_remote_range(const struct w_req *q, const char *page, size_t n, char *out)
{
	if (q->blen) {
		pl_bytes_show(page, (uint32_t)n, out, HOST_TEXT);
	} else {
		memcpy(out, page, n < HOST_TEXT - 1 ? n : HOST_TEXT - 1);
		out[HOST_TEXT - 1] = 0;
	}
}

/* /proc/PID/mem (FOLL_FORCE) or process_vm_{readv,writev} (no force) of one page's text. */
/*
 * PTRACE_POKETEXT, as a debugger writes a breakpoint: seize and stop the
 * target, write the text (NUL included) a word at a time over what
 * PTRACE_PEEKTEXT read, detach.  Both are ptrace_access_vm(): FOLL_FORCE.
 */
static long w_ptrace_poke(const struct w_req *q)
{
	pid_t pid = (pid_t)q->n;
	size_t len = strnlen(q->text, HOST_TEXT - 1) + 1;
	long ret = 0;
	int st;

	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL))
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) || waitpid(pid, &st, __WALL) != pid)
		ret = -errno;
	for (size_t off = 0; !ret && off < len; off += sizeof(long)) {
		void *a = (void *)(uintptr_t)(q->addr + off);
		size_t n = len - off < sizeof(long) ? len - off : sizeof(long);
		long word;

		errno = 0;
		word = ptrace(PTRACE_PEEKTEXT, pid, a, NULL);
		if (errno) {
			ret = -errno;
			break;
		}
		memcpy(&word, q->text + off, n);
		if (ptrace(PTRACE_POKETEXT, pid, a, (void *)word))
			ret = -errno;
	}
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return ret;
}

static long w_remote(const struct w_req *q, char *out)
{
	struct iovec local, remote = { (void *)(uintptr_t)q->addr, 0 };
	bool write = q->arg == R_PROC_MEM_WRITE || q->arg == R_VM_WRITEV;
	char path[64], page[HOST_PAGE];
	ssize_t got;
	int fd;

	if (q->arg == R_PTRACE_POKE)
		return w_ptrace_poke(q);
	memset(page, 0, sizeof(page));
	if (write) {
		/* the whole page: the text, then zeroes (as a user store) */
		snprintf(page, sizeof(page), "%s", q->text);
		local.iov_base = page;
		local.iov_len = HOST_PAGE;
	} else if (q->bytes) {
		if (q->boff >= HOST_PAGE)
			return -EINVAL;
		remote.iov_base = (void *)(uintptr_t)(q->addr + q->boff);
		local.iov_base = page;
		local.iov_len = q->blen ? q->blen : HOST_TEXT - 1;
		if (local.iov_len > HOST_PAGE - q->boff)
			local.iov_len = HOST_PAGE - q->boff;
	} else {
		local.iov_base = out;
		local.iov_len = HOST_TEXT - 1;
	}
	remote.iov_len = local.iov_len;
	memset(out, 0, HOST_TEXT);
	if (q->arg == R_VM_WRITEV || q->arg == R_VM_READV) {
		got = write ? process_vm_writev((pid_t)q->n, &local, 1, &remote, 1, 0)
			    : process_vm_readv((pid_t)q->n, &local, 1, &remote, 1, 0);
		if (got >= 0 && !write && q->bytes)
			w_remote_range(q, page, (size_t)local.iov_len, out);
		return got < 0 ? -errno : 0;
	}
	snprintf(path, sizeof(path), "/proc/%llu/mem", (unsigned long long)q->n);
	fd = open(path, (write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	got = write ? pwrite(fd, local.iov_base, local.iov_len, (off_t)q->addr)
		    : pread(fd, local.iov_base, local.iov_len, (off_t)(uintptr_t)remote.iov_base);
	close(fd);
	if (got >= 0 && !write && q->bytes)
		w_remote_range(q, page, (size_t)local.iov_len, out);
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

/*
 * userfaultfd write-protect of [addr, addr+len).  A worker has up to two
 * contexts of its own, made on first use with UFFD_FEATURE_SIGBUS (a write
 * to a protected page is SIGBUS, which w_access() reports as -EBUSY: no
 * fault message to read): wp_ufd, and wp_ev_ufd with UFFD_FEATURE_EVENT_FORK
 * too (`fork-event`), whose registrations fork hands to the child under a
 * context of its own (w_fork()).  UFFDIO_REGISTER(MODE_WP) when protecting,
 * then UFFDIO_WRITEPROTECT.  -ENOSYS: no usable userfaultfd here.
 */
static int w_uffd_make(uint64_t features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int ufd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (ufd < 0)
		return -ENOSYS;
	if (ioctl(ufd, UFFDIO_API, &api) < 0 || !(api.ioctls & (1ULL << _UFFDIO_REGISTER))) {
		close(ufd);
		return -ENOSYS;
	}
	return ufd;
}

static long w_uffd_wp(struct w_state *st, const struct w_req *q)
{
	bool protect = q->arg & 1, event = q->arg & 2;
	int *slot = event ? &st->wp_ev_ufd : &st->wp_ufd;
	struct uffdio_writeprotect wp = {
		.range = { .start = q->addr, .len = q->len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};
	struct uffdio_register reg = {
		.range = { .start = q->addr, .len = q->len },
		.mode = UFFDIO_REGISTER_MODE_WP,
	};
	int ufd;

	if (!protect) {
		/*
		 * Either context will do: mwriteprotect_range() checks that the
		 * vmas are registered for WP, not by which context (Debian 6.1
		 * and 6.12 mm/userfaultfd.c).
		 */
		ufd = st->wp_ev_ufd >= 0 ? st->wp_ev_ufd : st->wp_ufd;
		if (ufd < 0)
			return -ENOENT;	/* nothing registered: as for a range outside it */
		return ioctl(ufd, UFFDIO_WRITEPROTECT, &wp) < 0 ? -errno : 0;
	}
	if (*slot < 0) {
		*slot = w_uffd_make(UFFD_FEATURE_SIGBUS | (event ? UFFD_FEATURE_EVENT_FORK : 0));
		if (*slot < 0) {
			long err = *slot;

			*slot = -1;
			return err;
		}
	}
	ufd = *slot;
	if (ioctl(ufd, UFFDIO_REGISTER, &reg) < 0) {
		/*
		 * Registered already by the other context (EBUSY): without
		 * `fork-event` the model keeps a range's fork-event
		 * registration, so protect it there.
		 */
		if (errno != EBUSY || event || st->wp_ev_ufd < 0)
			return -errno;
		ufd = st->wp_ev_ufd;
		if (ioctl(ufd, UFFDIO_REGISTER, &reg) < 0)
			return -errno;
	}
	return ioctl(ufd, UFFDIO_WRITEPROTECT, &wp) < 0 ? -errno : 0;
}

/*
 * The vma holding @addr, from /proc/self/maps: [*start, *end).  0, or
 * -EFAULT when nothing is mapped there.
 */
static long w_vma_range(uint64_t addr, uint64_t *start, uint64_t *end)
{
	char buf[4096];
	size_t have = 0;
	long ret = -EFAULT;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t got = read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line = buf, *nl;

		if (got <= 0)
			break;
		have += (size_t)got;
		buf[have] = 0;
		while ((nl = strchr(line, '\n'))) {
			unsigned long long a, b;

			*nl = 0;
			if (sscanf(line, "%llx-%llx", &a, &b) == 2 && addr >= a && addr < b) {
				*start = a;
				*end = b;
				ret = 0;
				goto out;
			}
			line = nl + 1;
		}
		have = strlen(line);
		memmove(buf, line, have);
	}
out:
	close(fd);
	return ret;
}

/*
 * UFFDIO_CONTINUE of one page of a private (or shared) mapping of a tmpfs
 * file: map the page-cache page into the empty PTE.  The language has no
 * registration step, so the worker makes a context with
 * UFFD_FEATURE_MINOR_SHMEM (c949b097ef2e, 5.14), registers the page's
 * whole vma UFFDIO_REGISTER_MODE_MINOR, continues, and closes the context,
 * which unregisters it (userfaultfd_release()): later faults there are
 * ordinary again, as in the model.  The whole vma, as a monitor registers
 * the area it serves: registering only the page would split the vma, and
 * 6.1 and 6.12 do not merge it back on release once UFFDIO_CONTINUE gave
 * the private page's part an anon_vma (vma_merge() wants the other part's
 * anon_vma_chain to be singular), where the model has one mapping: a later
 * `mremap` of the whole mapping failed.  -ENOSYS: the kernel has no
 * minor-fault mode for shmem (before 5.14, or without
 * CONFIG_HAVE_ARCH_USERFAULTFD_MINOR, which UFFDIO_API then leaves out of
 * its features: Debian 6.1 and 6.12 fs/userfaultfd.c).
 */
static long w_uffd_continue(const struct w_req *q)
{
	uint64_t page = q->addr & ~(uint64_t)(HOST_PAGE - 1);
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MINOR };
	struct uffdio_continue c = { .range = { .start = page, .len = HOST_PAGE } };
	uint64_t start, end;
	long ret = w_vma_range(page, &start, &end);
	int ufd;

	if (ret)
		return ret;
	reg.range.start = start;
	reg.range.len = end - start;
	ufd = w_uffd_make(UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MINOR_SHMEM);
	if (ufd < 0)
		return ufd;
	if (ioctl(ufd, UFFDIO_REGISTER, &reg) < 0)
		ret = -errno;	/* EINVAL: not shmem (vma_can_userfault()), as the model says */
	else if (!(reg.ioctls & (1ULL << _UFFDIO_CONTINUE)))
		ret = -ENOSYS;
	else
		ret = ioctl(ufd, UFFDIO_CONTINUE, &c) < 0 ? -errno : 0;
	close(ufd);
	return ret;
}

/*
 * fork of a worker with a UFFD_FEATURE_EVENT_FORK context.  dup_mmap()
 * gives the child's registered vmas a new context, then
 * dup_userfaultfd_complete() queues UFFD_EVENT_FORK on the parent's and
 * waits (TASK_KILLABLE) until a reader has read it: the read installs the
 * new context as a descriptor of the reader (resolve_userfault_fork()),
 * and only then does fork return (Debian 6.1 and 6.12 fs/userfaultfd.c,
 * kernel/fork.c).  So a monitor thread of the parent waits for the event
 * while the forking thread is in clone; the parent passes the child's
 * context on over a socket pair made for the fork and closes its copy;
 * the child adopts it as its wp_ev_ufd.  The monitor stops on an eventfd
 * when clone failed without an event (6.12's dup_userfaultfd_fail() sends
 * none; 6.1 sends it anyway, and the new context is closed).
 */
struct w_forkmon {
	int ufd, stop;		/* the parent's EVENT_FORK context; eventfd: give up */
	int child_ufd;		/* the child's context read from the event, or -1 */
};

static void *w_forkmon_main(void *arg)
{
	struct w_forkmon *m = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = m->ufd, .events = POLLIN },
			{ .fd = m->stop, .events = POLLIN },
		};
		struct uffd_msg msg;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (pfd[0].revents & POLLIN) {
			if (read(m->ufd, &msg, sizeof(msg)) == sizeof(msg) &&
			    msg.event == UFFD_EVENT_FORK) {
				m->child_ufd = (int)msg.arg.fork.ufd;
				return NULL;
			}
			continue;
		}
		if (pfd[1].revents & POLLIN)
			return NULL;
	}
}

static void worker_start(int sock, struct w_state *st, bool from_pinlab, int ev_ufd)
	__attribute__((noreturn));

static long w_fork(struct w_state *st, int fd)
{
	struct w_forkmon m = { .ufd = st->wp_ev_ufd, .stop = -1, .child_ufd = -1 };
	uint64_t one = 1;
	pthread_t tid;
	int sp[2];
	char c = 0;
	long ret;

	/*
	 * fork's copy-or-share of an anon page reads its refcount
	 * (folio_maybe_dma_pinned() in copy_present_pte(), 6.1 and 6.12), and
	 * a per-CPU LRU batch holding the page adds one reference for as long
	 * as the batch is not drained: a page just faulted in, or activated
	 * by a GUP with FOLL_TOUCH, looks one reference more used, which tips
	 * a count of 1023 over GUP_PIN_COUNTING_BIAS (transient/03, once in a
	 * few runs) depending on what else ran on this CPU.  The model has no
	 * batches, so drain them first: MADV_COLD calls lru_add_drain() for
	 * the caller's CPU (madvise_cold(), mm/madvise.c in Debian 6.1 and
	 * 6.12), and every worker runs on one CPU; here on the guard page
	 * below dio_pages, never faulted, so nothing else changes.
	 */
	if (st->dio_pages)
		madvise(st->dio_pages - HOST_PAGE, HOST_PAGE, MADV_COLD);
	if (st->wp_ev_ufd < 0) {
		ret = syscall(__NR_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
		if (ret < 0)
			return -errno;
		if (ret == 0)
			worker_start(fd, st, false, -1);
		return ret;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp))
		return -errno;
	m.stop = eventfd(0, EFD_CLOEXEC);
	if (m.stop < 0 || pthread_create(&tid, NULL, w_forkmon_main, &m)) {
		ret = m.stop < 0 ? -errno : -EAGAIN;
		if (m.stop >= 0)
			close(m.stop);
		close(sp[0]);
		close(sp[1]);
		return ret;
	}
	ret = syscall(__NR_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	if (ret == 0) {
		int got = -1;

		/* the child: only this thread; the parent sends its context or closes */
		close(sp[0]);
		close(m.stop);
		if (recv_msg(sp[1], &c, 1, &got))
			got = -1;
		close(sp[1]);
		worker_start(fd, st, false, got);
	}
	if (ret < 0)
		ret = -errno;
	/* the monitor has read the event, or stops now */
	while (write(m.stop, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	pthread_join(tid, NULL);
	close(m.stop);
	close(sp[1]);
	/* a child gone already reads EOF, or nothing: pinlab reaps it */
	if (ret > 0)
		send_msg(sp[0], &c, 1, m.child_ufd);
	close(sp[0]);
	if (m.child_ufd >= 0)
		close(m.child_ufd);
	return ret;
}

/*
 * O_DIRECT held in flight.  A real request completes when the device is
 * done, so the worker holds it where the kernel lets userspace hold it:
 * inside GUP.  The request is a preadv/pwritev of two segments, the
 * scenario's buffer, then one held page of this worker that is
 * registered userfaultfd MISSING and empty.  The block layer takes the
 * pages of a bio one iovec segment at a time (bio_iov_iter_get_pages()
 * loops on __bio_iov_iter_get_pages(), whose iov_iter_get_pages2() in 6.1
 * and iov_iter_extract_pages() in 6.12 take the first segment's pages:
 * get_user_pages_fast(), FOLL_GET, before a7e689dd1c06 (6.5),
 * pin_user_pages_fast(), FOLL_PIN, from it).  So the buffer's pages are
 * referenced (6.1) or pinned (6.5+) first, then GUP of the held page
 * faults into handle_userfault(), which drops mmap_lock and sleeps: the
 * buffer's pages are held, the bio not yet submitted (iomap_dio_bio_iter()
 * submits it after bio_iov_iter_get_pages() returns), and the process's
 * other steps (fork, stores, madvise) run.  `complete` fills the held page
 * (UFFDIO_COPY), GUP goes on, the bio is submitted, the device moves the
 * data between the file and the pages taken before: the pages the request
 * was given, as for a request the device was holding.  The controller
 * (backend_host.c) makes sure the held page's file range follows the
 * buffer's in the same extent, so the whole request is one bio.
 */
static void *w_dio_main(void *arg)
{
	struct w_dio *d = arg;
	uint64_t one = 1;
	ssize_t got;

	got = d->write ? pwritev(d->fd, d->iov, 2, d->off) : preadv(d->fd, d->iov, 2, d->off);
	d->ret = got < 0 ? -errno : (long)got;
	if (write(d->efd, &one, sizeof(one)) < 0)
		d->ret = -EIO;
	return NULL;
}

/* This worker's userfaultfd over its held pages: 0, or -ENOSYS when it cannot have one. */
static long w_dio_uffd(struct w_state *st)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)st->dio_pages, .len = HOST_DIO * HOST_PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (st->dio_owner == getpid())
		return 0;
	if (!st->dio_pages)
		return -ENOSYS;
	st->dio_ufd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (st->dio_ufd < 0)
		return -ENOSYS;
	st->dio_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (st->dio_efd < 0 || ioctl(st->dio_ufd, UFFDIO_API, &api) < 0 ||
	    ioctl(st->dio_ufd, UFFDIO_REGISTER, &reg) < 0) {
		close(st->dio_ufd);
		if (st->dio_efd >= 0)
			close(st->dio_efd);
		st->dio_ufd = st->dio_efd = -1;
		return -ENOSYS;
	}
	st->dio_owner = getpid();
	return 0;
}

/*
 * Start the request and wait (q->arg ms at most) until GUP blocks on the
 * held page.  The slot, -errno when the kernel refused the request before
 * that (GUP of the buffer failed, misaligned), W_DIO_UNHELD when it
 * finished or did not block in time.
 */
static long w_dio_start(struct w_state *st, const struct w_req *q, int fd)
{
	struct w_dio *d = NULL;
	char *held;
	long ret;
	int i;

	for (i = 0; i < HOST_DIO && !d; i++)
		if (!st->dio[i].busy)
			d = &st->dio[i];
	if (!d)
		return -EAGAIN;
	i--;
	ret = w_dio_uffd(st);
	if (ret)
		return ret;
	if (q->len == 0 || q->len > HOST_PAGE ||
	    (q->bytes && q->boff + (uint64_t)q->blen > HOST_PAGE))
		return -EINVAL;
	held = st->dio_pages + (size_t)i * HOST_PAGE;
	/* empty again: the next touch is MISSING */
	if (madvise(held, HOST_PAGE, MADV_DONTNEED))
		return -errno;
	memset(d, 0, sizeof(*d));
	d->write = q->write;
	d->iov[0].iov_base = (void *)(uintptr_t)(q->addr + (q->bytes ? q->boff : 0));
	d->iov[0].iov_len = q->bytes ? q->blen : (size_t)q->nr * HOST_PAGE;
	d->iov[1].iov_base = held;
	d->iov[1].iov_len = q->len;
	d->off = (off_t)q->n;
	d->want = d->iov[0].iov_len + q->len;
	d->efd = st->dio_efd;
	memset(w_dio_keep[i], 0, HOST_PAGE);
	d->fd = dup(fd);
	if (d->fd < 0)
		return -errno;
	if (d->write && pread(d->fd, w_dio_keep[i], q->len, d->off + (off_t)d->iov[0].iov_len) !=
	    (ssize_t)q->len) {
		close(d->fd);
		return -EIO;
	}
	{
		uint64_t v;

		while (read(st->dio_efd, &v, sizeof(v)) > 0)
			;
	}
	if (pthread_create(&d->tid, NULL, w_dio_main, d)) {
		close(d->fd);
		return -EAGAIN;
	}
	d->busy = true;
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = st->dio_ufd, .events = POLLIN },
			{ .fd = st->dio_efd, .events = POLLIN },
		};
		struct uffd_msg msg;
		int got = poll(pfd, 2, q->arg);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return W_DIO_UNHELD;	/* stuck elsewhere: the slot stays busy */
		if (pfd[0].revents & POLLIN) {
			if (read(st->dio_ufd, &msg, sizeof(msg)) == sizeof(msg) &&
			    msg.event == UFFD_EVENT_PAGEFAULT &&
			    (msg.arg.pagefault.address & ~(uint64_t)(HOST_PAGE - 1)) ==
			    (uintptr_t)held)
				return i;
			continue;
		}
		/* the syscall returned without blocking on the held page */
		pthread_join(d->tid, NULL);
		close(d->fd);
		d->busy = false;
		return d->ret < 0 ? d->ret : W_DIO_UNHELD;
	}
}

/* `complete`: fill the held page, let the request finish; 0 or -errno. */
static long w_dio_done(struct w_state *st, int slot)
{
	struct w_dio *d = slot >= 0 && slot < HOST_DIO ? &st->dio[slot] : NULL;
	struct uffdio_copy c;
	long ret;

	if (!d || !d->busy || st->dio_owner != getpid())
		return -EBADF;
	memset(&c, 0, sizeof(c));
	c.dst = (uintptr_t)d->iov[1].iov_base;
	c.src = (uintptr_t)w_dio_keep[slot];
	c.len = HOST_PAGE;
	if (ioctl(st->dio_ufd, UFFDIO_COPY, &c) < 0 && errno != EEXIST)
		return -errno;
	pthread_join(d->tid, NULL);
	close(d->fd);
	d->busy = false;
	ret = d->ret < 0 ? d->ret : (size_t)d->ret == d->want ? 0 : -EIO;
	return ret;
}

static void worker_main(int sock, struct w_state *st) __attribute__((noreturn));

/*
 * The start of a new worker: its socket at fd 3, dies with pinlab.  A
 * forked worker's uffd-wp context is @ev_ufd, the one fork gave it (or -1):
 * the parent's are not its own.
 */
static void worker_start(int sock, struct w_state *st, bool from_pinlab, int ev_ufd)
{
	struct sigaction sa;

	if (sock != 3) {
		dup2(sock, 3);
		close(sock);
	}
	if (from_pinlab) {	/* pinlab's fds are not the scenario's */
		int cpu = sched_getcpu();

		/*
		 * One CPU for the worker, its threads and the workers forked
		 * from it (they inherit the mask).  A folio just faulted in
		 * waits in that CPU's lru_add batch until it is drained, and
		 * MADV_PAGEOUT drains only the caller's CPU before it isolates
		 * the folio (lru_add_drain() in madvise_pageout(), Debian 6.1
		 * and 6.12 mm/madvise.c): a worker that moved CPU between its
		 * write and its pageout found the page still mapped
		 * (uffd/02-wp-survives-swap, once in three runs under
		 * --kernel 6.12).  Steps run one at a time anyway.
		 */
		if (cpu >= 0) {
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
		}
		syscall(__NR_close_range, 4, ~0u, 0);
		for (int i = 0; i < HOST_RINGS; i++)
			w_ring_create(&st->rings[i]);
		/* the held pages of O_DIRECT requests, made now for the same reason as the rings */
		st->dio_pages = mmap(NULL, (HOST_DIO + 2) * HOST_PAGE, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (st->dio_pages == MAP_FAILED ||
		    mprotect(st->dio_pages + HOST_PAGE, HOST_DIO * HOST_PAGE,
			     PROT_READ | PROT_WRITE))
			st->dio_pages = NULL;
		else
			st->dio_pages += HOST_PAGE;
		st->dio_ufd = st->dio_efd = -1;
		st->wp_ufd = st->wp_ev_ufd = -1;
	} else if (st->dio_owner) {
		/* the parent's userfaultfd and requests are not this worker's */
		close(st->dio_ufd);
		close(st->dio_efd);
		st->dio_ufd = st->dio_efd = -1;
		st->dio_owner = 0;
	}
	if (!from_pinlab) {
		if (st->wp_ufd >= 0)
			close(st->wp_ufd);
		if (st->wp_ev_ufd >= 0)
			close(st->wp_ev_ufd);
		st->wp_ufd = -1;
		st->wp_ev_ufd = ev_ufd;
	}
	for (int i = 0; i < HOST_DIO; i++)
		st->dio[i].busy = false;
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
		if (q->n) {
			/*
			 * An aligned placement, as programs make one: reserve
			 * len + align of PROT_NONE, map MAP_FIXED at the first
			 * aligned address inside, give the rest back.
			 */
			uintptr_t r, at;

			a = mmap(NULL, q->len + q->n, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (a == MAP_FAILED)
				return -errno;
			r = (uintptr_t)a;
			at = (r + q->n - 1) & ~(uintptr_t)(q->n - 1);
			a = mmap((void *)at, q->len, q->prot, q->arg | MAP_FIXED, fd, 0);
			if (a == MAP_FAILED) {
				ret = -errno;
				munmap((void *)r, q->len + q->n);
				return ret;
			}
			if (at > r)
				munmap((void *)r, at - r);
			if (r + q->len + q->n > at + q->len)
				munmap((void *)(at + q->len), r + q->len + q->n - (at + q->len));
			p->addr = at;
			return 0;
		}
		a = mmap((void *)(uintptr_t)q->addr, q->len, q->prot, q->arg, fd, 0);
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
	case W_RANGE_SYSCALL:
		return w_err(syscall(q->arg, (unsigned long)q->addr, (size_t)q->len));
	case W_MEMLOCK:	/* q->arg: measure the base first; else it is q->addr */
		p->val = q->addr;
		if (q->arg) {
			ret = w_memlock_base(&rings[0], &p->val);
			if (ret)
				return ret;
		}
		return w_memlock_limit(q->n + p->val);
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
		return w_fork(st, fd);
	case W_VMSPLICE:	/* the pages, or the byte range: one buffer */
		iov.iov_base = (void *)(uintptr_t)(q->addr + (q->bytes ? q->boff : 0));
		iov.iov_len = q->bytes ? q->blen : (size_t)q->nr * HOST_PAGE;
		if (q->bytes && (!q->blen || q->boff >= HOST_PAGE || q->blen > HOST_PAGE - q->boff))
			return -EINVAL;
		ret = vmsplice(fd, &iov, 1, SPLICE_F_NONBLOCK);
		if (ret < 0)
			return -errno;
		p->val = q->bytes ? 1 : (uint64_t)ret / HOST_PAGE;
		return 0;
	case W_RING_REG:	/* the controller chose the instance (and q->n: 1 + the slot) */
		if (q->arg < 0 || q->arg >= HOST_RINGS)
			return -EBADF;
		if (q->n)
			ret = w_ring_slot(&rings[q->arg], (uint32_t)q->n - 1, q->addr, q->nr);
		else
			ret = w_ring_setup(&rings[q->arg], q->addr, q->nr);
		return ret < 0 ? ret : q->arg;
	case W_RING_UNREG:
		if (q->arg < 0 || q->arg >= HOST_RINGS)
			return -EBADF;
		if (q->n)
			return w_ring_slot_free(&rings[q->arg], (uint32_t)q->n - 1);
		return w_ring_free(&rings[q->arg]);
	case W_RING_RW:
		if (q->arg < 0 || q->arg >= HOST_RINGS || rings[q->arg].fd < 0 ||
		    q->n > HOST_RINGS ||
		    !(q->n ? rings[q->arg].slot[q->n - 1].nr : rings[q->arg].nr))
			return -EBADF;
		return w_ring_rw(&rings[q->arg], fd, q->write, q->page, q->nr, q->index,
				 (uint32_t)q->n);
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
	case W_UFFD_WP:
		return w_uffd_wp(st, q);
	case W_UFFD_CONTINUE:
		return w_uffd_continue(q);
	case W_DIO:
		return w_dio_start(st, q, fd);
	case W_DIO_DONE:
		return w_dio_done(st, q->arg);
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


void host_worker_run(int sock, pid_t pinlab)
{
	struct w_state st;	/* lives as long as the worker: worker_start() never returns */

	memset(&st, 0, sizeof(st));
	st.pinlab = pinlab;
	worker_start(sock, &st, true, -1);
}
