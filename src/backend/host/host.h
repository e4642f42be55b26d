/*
 * host.h - the host backend's own header, shared by its files:
 *
 *	backend_host.c	the controller: the backend's members, processes,
 *			files, pipes, rings, pins, checks, one step
 *	worker.c	the protocol and the worker process that runs each
 *			scenario process's system calls
 *	settings.c	system-wide settings a run changes and end() restores:
 *			THP and mTHP modes, hugetlb pools, KSM, a swapfile
 *
 * backend_host.c's top comment draws the whole.  Nothing outside
 * src/backend/host/ includes this file.
 */
#ifndef PINLAB_BACKEND_HOST_HOST_H
#define PINLAB_BACKEND_HOST_HOST_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "backend/host/backend_host.h"
#include "backend/host/journal.h"
#include "backend/host/gup_test.h"
#include "backend/host/profile.h"

#define HOST_PAGE	4096
#define HOST_TEXT	256
#define HOST_MAX	64	/* processes, files, pipes, rings per run */
#define HOST_GUP_PAGES	16384	/* pages one `gup` may hold (nr x times): its pipes' buffers */
#define HOST_GUP_PIPES	1024	/* pipes one `gup` may use (pipe-max-size each, at least 16 pages) */
#define HOST_RINGS	16	/* rings per worker */
#define HOST_THREADS	8	/* scenario threads per worker */
#define HOST_DIO	4	/* O_DIRECT requests held in flight per worker */
#define HOST_SETTINGS	24	/* sysfs files changed in one run */
#define HOST_SWAP_PAGES	16384	/* the temporary swapfile: 64 MiB */
#define EXT4_MAGIC	0xEF53

/* ---------------------------------------------------------------------------
 * Skip reasons: the executor reports a run that hits one as `skip`.
 */
enum host_skip {
	SK_GUP_FAST, SK_GUP_TEST, SK_RAW_GUP, SK_NO_SWAP, SK_RDMA,
	SK_KPAGEFLAGS, SK_RECLAIM, SK_THP_OP, SK_UFFD, SK_UPROBE, SK_KSM, SK_EVICT, SK_DISK,
	SK_NO_EXT4, SK_BIG_FILE, SK_PROP, SK_COUNT, SK_IOURING, SK_MEMLOCK,
	SK_PFNMAP, SK_LIMIT, SK_NOT_ROOT, SK_NO_SETTING, SK_POOL, SK_SWAPFILE, SK_PUD_FORK,
	SK_PIN_FILE, SK_PLACEMENT, SK_GUPT_ONE, SK_TIMEOUT, SK_SECRETMEM, SK_DAX,
	SK_UFFD_FORK, SK_NO_UFFD, SK_KPF_KSM,
	SK_UPROBE_VALUE, SK_UPROBE_PERM, SK_UDMABUF, SK_VFIO,
	SK_DMA_WRITE, SK_COLLAPSE_RO, SK_ODP, SK_NO_SOFT_DIRTY, SK_GIGA_GROW,
	SK_DIO_FS, SK_DIO_EXTENT, SK_DIO_UNHELD, SK_DIO_LOCK, SK_DIO_UFFD, SK_DISK_DEV,
	SK_MEMLOCK_LATE, SK_MEMLOCK_STANDIN, SK_MEMLOCK_MLOCK, SK_MEMLOCK_RINGS, SK_MEMLOCK_SET,
	SK_MEMLOCK_ONE_RING, SK_MEMLOCK_PUT,
	SK_NR,
};

/* /proc/PID/pagemap entry bits (W_PAGEMAP replies) */
#define PM_PRESENT	(1ull << 63)
#define PM_PFN_MASK	((1ull << 55) - 1)

/* Set by the SIGINT/SIGTERM handler in pinlab (backend_host.c). */
extern volatile sig_atomic_t host_sig;

/* ---------------------------------------------------------------------------
 * The protocol.
 */
enum w_op {
	W_MMAP, W_MUNMAP, W_MPROTECT, W_MADVISE, W_MREMAP, W_WRITE, W_READ, W_FORK, W_EXIT,
	W_VMSPLICE, W_RING_REG, W_RING_UNREG, W_RING_RW, W_PAGEMAP, W_CLEAR_REFS, W_REMOTE,
	W_GUPT_PIN, W_UFFD_WP, W_DIO, W_DIO_DONE, W_UFFD_CONTINUE,
	W_RANGE_SYSCALL,	/* syscall(arg, addr, len): a range call answered by errno only */
	W_MEMLOCK,		/* RLIMIT_MEMLOCK: n pages past what its uid has charged (worker.c) */
};

/* W_REMOTE: q->arg */
enum { R_PROC_MEM_WRITE, R_VM_WRITEV, R_PROC_MEM_READ, R_VM_READV, R_PTRACE_POKE };

struct w_req {
	int op;
	int thread;		/* the scenario thread to do it in, 1-based; 0 = the worker's main */
	int arg;		/* mmap flags, madvise advice, mprotect prot, ring index,
				 * W_RANGE_SYSCALL's syscall number */
	int prot;
	int write;		/* W_RING_RW: write_fixed (1) or read_fixed (0); W_GUPT_PIN: R/W */
	uint64_t addr, len, n, new_addr;
	uint32_t nr, page, index;
	int zero;		/* W_WRITE: zeroes instead of text */
	int bytes;		/* W_WRITE, W_READ, W_REMOTE: only [boff, boff + blen) (PL_BSTEP_BYTES) */
	uint32_t boff, blen;
	char text[HOST_TEXT];
};

/*
 * W_DIO: an O_DIRECT preadv/pwritev (q->write) through the fd sent, of the
 * buffer [addr, addr + nr pages) or its byte range, at file byte q->n,
 * then q->len bytes into a held page (worker.c); q->arg: how long to wait
 * for the request to block, in ms.  Reply: the request's slot, or -errno,
 * or W_DIO_UNHELD.  W_DIO_DONE of slot q->arg: the transfer's result.
 */
#define W_DIO_UNHELD	(-4094L)
/* W_RING_REG of a slot (q->n): the kernel has no sparse buffer table (worker.c) */
#define W_RING_NOTABLE	(-4093L)

struct w_rep {
	long ret;		/* 0, a count or an id; or -errno */
	uint64_t addr;
	uint64_t val;
	char text[HOST_TEXT];
};

/* A message with at most one fd (SCM_RIGHTS): 0, or -EPIPE (worker.c). */
int send_msg(int sock, const void *buf, size_t len, int fd);
/* One message; *fd = the fd it carried or -1.  0, or -EPIPE at EOF. */
int recv_msg(int sock, void *buf, size_t len, int *fd);
/* The child of pinlab's fork() becomes a worker on @sock; never returns. */
void host_worker_run(int sock, pid_t pinlab) __attribute__((noreturn));

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

/*
 * A read FOLL_GET reference held across steps (gup ... FOLL_GET): the pages
 * vmsplice() put into pipes of our own; closing them puts them.
 */
struct hgup {
	int *fds;		/* nr_pipes pairs (read end, write end); NULL = put */
	uint32_t nr_pipes;
	uint32_t per;		/* pages each pipe holds: page k is in pipe k / per */
	uint32_t nr;		/* pages held (nr x times) */
};

/* A sysfs file the run changed, and what it held before. */
struct hsetting {
	char path[112];
	char orig[32];
};

/* A uprobe the run registered: a perf_event fd of the uprobe PMU. */
struct huprobe {
	int file;		/* file id */
	uint32_t index;		/* file page; the probe is at its byte 0 */
	int fd;			/* -1 = unregistered */
};

/* An O_DIRECT request held in flight in a worker (worker.c, w_dio_start()). */
struct hdio {
	int pid;		/* the process whose worker holds it; 0 = completed */
	int slot;		/* the worker's slot */
	int file;		/* file id */
	int rw_fd;		/* restoring the file's size: an O_RDWR fd of it, or -1 */
	off_t restore;		/* the size before the held range was added to the file */
};

/*
 * An RDMA MR (rdma-reg): ib_umem_get()'s pin, taken by a stand-in.  A R/W
 * MR is an io_uring buffer (the same pin_user_pages_fast(FOLL_WRITE |
 * FOLL_LONGTERM) call; a device write is a READ_FIXED into it), a R/O one
 * gup_test's START.
 */
struct hmr {
	int ring;		/* its ring's handle; 0 = none */
	int gupt;		/* its gup_test pin's handle; 0 = none */
};

struct hring {
	int owner;		/* scenario pid (index + 1) */
	int idx;		/* the ring in that worker; -1 = unregistered */
	int slot;		/* `memlock`: 1 + its slot in the process's one ring; 0 = a ring of its own */
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
	struct hgup gups[HOST_MAX];
	int nr_gups;
	struct hmr mrs[HOST_MAX];
	int nr_mrs;
	struct hring rings[HOST_MAX];
	int nr_rings;
	struct huprobe uprobes[HOST_MAX];
	int nr_uprobes;
	struct hdio dios[HOST_MAX];
	int nr_dios;
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
	int giga_grow;		/* the 1 GiB pool can grow at run time: 1 yes, -1 no, 0 not tried */
	bool allow_swapfile;
	bool journal;		/* take the host lock and journal changes (not in a guest) */
	int lock_timeout_s;
	struct pl_hjournal j;	/* the host lock and the on-disk journal (journal.h) */
	char swapfile[PATH_MAX];	/* our swapfile, swapon'd; "" = none (removed by destroy()) */
	char text[HOST_TEXT];	/* a reply's text, valid until the next step */
	int cur_thread;		/* the step's scenario thread (w_req.thread) */
	bool memlock;		/* `memlock`: workers without CAP_IPC_LOCK, RLIMIT_MEMLOCK ... */
	uint64_t memlock_pages;	/* ... of this many pages */
	uint64_t memlock_base;	/* pages its uid had charged when the first worker started */
	int memlock_workers;	/* workers pinlab started under `memlock` */
	uid_t memlock_uid;	/* their uid: io_uring charges that user_struct */
	unsigned int memlock_runs;	/* `memlock` runs so far: picks the next uid */
	bool memlock_put;	/* a slot was emptied while its ring kept others */
};

static inline struct host *host_of(struct pl_backend *be)
{
	return be->priv;
}

/* A step the host cannot do: -PL_BSKIP with the reason in r->text. */
long host_skip(struct pl_bresult *r, enum host_skip why);

/* backend_host.c, for settings.c */
const char *host_tmpdir(void);
int host_ms_left(const struct host *h);
void host_die(struct host *h, long err);

/* settings.c: each returns 0, -errno, or host_skip() with the reason */
void host_restore_settings(struct host *h);
long host_thp_mode(struct host *h, int mode, struct pl_bresult *r);
long host_mthp(struct host *h, int order, struct pl_bresult *r);
long host_pool(struct host *h, unsigned int order, uint64_t n, struct pl_bresult *r);
long host_ksm_merge(struct host *h, struct pl_bresult *r);
void host_swapfile_remove(struct host *h);
long host_swapon(struct host *h, struct pl_bresult *r);
#endif /* PINLAB_BACKEND_HOST_HOST_H */
