/*
 * backend.h - what the executor drives: one resolved step at a time.
 *
 * This is the interface between the language (src/lang/) and the
 * backends (src/backend/): a backend includes this header and core.h,
 * never the language's AST; the language produces these calls.
 *
 * The executor (src/lang/exec.c) owns everything a scenario means: symbols and their
 * runtime values, the backing matrix and its set-up, expectations, outcome
 * classification and results.  A backend only *does* things, one call per
 * operation, in the vocabulary of system calls:
 *
 *	executor                                   backend
 *	--------                                   -------
 *	P: write buf[1] "x"      ---- step() --->  op WRITE, pid 3, addr 0x7f..1000,
 *	                                           nr 1, text "x"
 *	                         <--- 0 / -errno   (pl_user_write, or a real store)
 *	P: check read buf[0] == "x"
 *	                         ---- step() --->  op CHECK_VALUE, src USER, pid 3, addr
 *	                         <--- text "x"     (the executor compares)
 *	after every step         ---- check() -->  invariant checker (model only)
 *
 * Names never cross the interface: processes are pids, mappings are
 * addresses, files and handles are the ids the backend returned when it
 * created them.  Two implementations:
 *
 *	model	src/backend/model/: the core (src/core), in checked mode, with events
 *	host	src/backend/host/: real processes and system calls (docs/host.md)
 *
 * and two that wrap another backend (src/backend/record/): the recorder
 * writes each call to a transcript, the replayer answers from one.
 *
 * Every member but step() may be NULL when a backend cannot provide it
 * (the host has no invariant checker, no folio table and no events).
 *
 * Ops.  A step carries an enum pl_op (the table in ast.h says which fields
 * the language uses; the same fields, resolved, are used here), or one of
 * the executor-only ops below that set the matrix up.
 */
#ifndef PINLAB_BACKEND_H
#define PINLAB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pinlab/result.h"	/* struct pl_folio_state */
#include "pinlab/core.h"	/* pl_addr, PL_MAP_*, FOLL_*, enum pl_madv, struct pl_event */

/*
 * The operations, one per statement keyword of the scenario language,
 * declared in pinlab/ops.def (with their grammar entries; the table of
 * operands in src/lang/ast.h says which struct pl_bstep fields each
 * uses).  SHOW and CHECK_INVARIANTS never reach a backend: the executor
 * does them.
 */
enum pl_op {
#define PL_OP(id, ...) PL_OP_##id,
#include "pinlab/ops.def"
#undef PL_OP
	PL_OP_NR,
};

/* Where a `check ... == VALUE` reads from; the checker resolves PL_SRC_AUTO,
 * a backend never sees it. */
enum pl_src {
	PL_SRC_AUTO,		/* `[read] NAME`: decided by what NAME is */
	PL_SRC_USER,		/* a load by the actor from a mapping (pl_user_read) */
	PL_SRC_PIPE,		/* read(2) of the next pipe buffer (pl_pipe_read) */
	PL_SRC_PIN,		/* gup_test PIN_LONGTERM_TEST_READ of a pin */
	PL_SRC_GUP,		/* the page a GUP reference holds */
	PL_SRC_RING,		/* an io_uring fixed buffer page */
	PL_SRC_DMA,		/* `dma-read MR[i]`: the device reads memory */
	PL_SRC_FILE,		/* read(2) of a file page (page cache) */
	PL_SRC_DISK,		/* `disk F[i]`: what is on the disk */
	PL_SRC_PROC_MEM,	/* `proc-mem-read C buf[i]`: /proc/C/mem, FOLL_FORCE */
	PL_SRC_VM_READV,	/* `process-vm-readv C buf[i]` */
	PL_SRC_NR,
};

/* `check M[i] is [not] PROP`.  grep "ORDER PROP". */
enum pl_prop {
	PL_PROP_PRESENT,	/* a present PTE maps the page */
	PL_PROP_SWAPPED,	/* a swap entry */
	PL_PROP_WRITABLE,	/* the PTE is writable */
	PL_PROP_DIRTY,		/* the folio is dirty */
	PL_PROP_SOFT_DIRTY,	/* the PTE is soft-dirty */
	PL_PROP_EXCLUSIVE,	/* PG_anon_exclusive */
	PL_PROP_PINNED,		/* folio_maybe_dma_pinned() */
	PL_PROP_SHARED,		/* mapped by more than one PTE (folio mapcount > 1) */
	PL_PROP_ZERO,		/* the shared zero page or the huge zero page */
	PL_PROP_HUGE,		/* part of a large folio */
	PL_PROP_KSM,		/* a KSM page */
	PL_PROP_SWAPCACHE,	/* in the swap cache */
	PL_PROP_MOVABLE,	/* placed in ZONE_MOVABLE or CMA: not long-term pinnable */
	PL_PROP_SAME_PAGE,	/* `is same-page C M[j]`: the same physical page as C's M[j] */
	PL_PROP_UFFD_WP,	/* the PTE or swap entry carries the uffd-wp bit */
	PL_PROP_NR,
};

/* `check COUNT M[i] == N`.  grep "ORDER COUNT". */
enum pl_count {
	PL_COUNT_REFCOUNT,
	PL_COUNT_MAPCOUNT,
	PL_COUNT_PINCOUNT,
	PL_COUNT_NR,
};

/* pl_bstep.flags (the language's PL_STEP_* use the same bits) */
#define PL_BSTEP_FAST	(1u << 0)	/* pin/gup: the *_fast() entry point */
#define PL_BSTEP_MOVE	(1u << 1)	/* mremap: MREMAP_MAYMOVE */
#define PL_BSTEP_DONTUNMAP (1u << 12)	/* mremap: MREMAP_DONTUNMAP (PL_STEP_DONTUNMAP) */
#define PL_BSTEP_ODP	(1u << 7)	/* rdma-reg: an on-demand-paging MR, no pin */
/*
 * A byte range inside the one page at addr (write, CHECK_VALUE, dio-*):
 * boff, blen.  blen 0: a write stores text and its NUL at boff (`zero`:
 * one NUL), a read gives the C string at boff; blen N: a write stores
 * exactly N bytes (text repeated, or zeroes), a read gives the N bytes as
 * pl_bytes_show() renders them.  O_DIRECT: blen bytes between boff of the
 * memory page and file_off of the file page.
 */
#define PL_BSTEP_BYTES	(1u << 17)	/* executor-only, as PL_BSTEP_WHOLE_FILE: no PL_STEP_* bit */

/*
 * Operations only the executor issues (matrix set-up); numbered apart from
 * enum pl_op, so that a new operation renumbers none of them.
 */
enum pl_bop {
	PL_BOP_MTHP = 1000,	/* hugepages-<size>kB/enabled = always: arg = order (2..8) */
	PL_BOP_POOL,		/* nr_hugepages of one size: arg = order (9 or 18), n = pages */
	PL_BOP_NR,
};

/*
 * One resolved operation.  Ranges are [addr, addr + nr pages); handle pages
 * and file pages are 0-based indexes.  Unused fields are 0 (file: -1).
 */
struct pl_bstep {
	int op;			/* enum pl_op or enum pl_bop */
	int step;		/* 1-based scenario step (0 = before the first); for violations */
	int pid;		/* the actor; 0 = none (device-side operations) */
	int target;		/* proc-mem-*, process-vm-*: the other process */
	pl_addr addr;		/* first page of a mapping range */
	uint32_t nr;		/* pages in the range (mapping, handle or file) */
	int file;		/* a file id from PL_OP_FILE, -1 = none */
	uint32_t index;		/* first file page */
	int handle;		/* pipe, ring, request, region, pin or GUP reference */
	uint32_t page;		/* first page within the handle */
	const char *text;	/* a page value; NULL = zeroes (`zero`) */
	uint64_t n;		/* mmap/mremap: bytes; file/truncate: pages; swapon: slots ... */
	int prot;		/* PL_PROT_* */
	unsigned int mflags;	/* PL_MAP_* */
	unsigned int gup_flags;	/* FOLL_* */
	int arg;		/* op-specific enum (madvise advice, fs, property, count, order) */
	unsigned int flags;	/* PL_BSTEP_* */
	enum pl_src src;	/* CHECK_VALUE: where to read */
	pl_addr new_addr;	/* mremap: MREMAP_FIXED target, 0 = none;
				 * CHECK_PROP same-page: the page of `target` to compare */
	unsigned int huge_order; /* PL_OP_FILE on hugetlbfs: page order (9 or 18) */
	int thread;		/* the scenario `thread` block doing it, 1-based; 0 = main */
	uint32_t boff, blen;	/* PL_BSTEP_BYTES: the byte range inside the page */
	uint32_t file_off;	/* dio-* with PL_BSTEP_BYTES: the offset in the file page */
};

/*
 * A step the backend cannot do here (no host equivalent, a missing kernel
 * feature): step() returns -PL_BSKIP with the reason in r->text (a static
 * string).  The executor runs no further step and reports the run as
 * `skip` with that reason.
 */
#define PL_BSKIP 4095

/* pl_bstep.flags: the operation covers the whole file (writeback F) */
#define PL_BSTEP_WHOLE_FILE (1u << 16)

struct pl_bresult {
	pl_addr addr;		/* mmap, mremap: the address */
	int id;			/* created: pid (process, fork), file id, handle */
	long count;		/* vmsplice: pages spliced; CHECK_COUNT: the count */
	bool prop;		/* CHECK_PROP */
	const char *text;	/* CHECK_VALUE: what was read; valid until the next call */
};

/* A violation the backend's checker found (model only). */
struct pl_bviolation {
	const char *invariant;	/* stable name, as `pinlab invariants` lists */
	int step;		/* the bstep.step it was found in */
	int pid;		/* identity for de-duplication: (invariant, pid, addr, pfn) */
	uint64_t addr;
	uint32_t pfn;
	const char *detail;
};

struct pl_backend {
	const char *name;	/* "model", "host" */
	void *priv;
	/*
	 * begin() - start one run in a fresh world: the era @preset with
	 * "knob=value" overrides.  Return: 0, or -EINVAL with a message in err.
	 */
	int (*begin)(struct pl_backend *be, const char *preset, const char *const *sets,
		     int nr_sets, char *err, size_t errlen);
	/* step() - do one operation.  Return: 0 (or a count), or -errno. */
	long (*step)(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r);
	/* has() - can this backend run a feature ("hugetlb-1g")? */
	bool (*has)(struct pl_backend *be, const char *feature);
	/* check() - run the invariant checker now; new violations are then listed by: */
	int (*check)(struct pl_backend *be);
	int (*nr_violations)(struct pl_backend *be);
	void (*violation)(struct pl_backend *be, int i, struct pl_bviolation *out);
	/* folios() - the live folios by pfn (at most max); returns how many there are */
	int (*folios)(struct pl_backend *be, struct pl_folio_state *out, int max);
	/* on_event() - events (COW, reuse, GUP refusal ...) go to fn from now on; NULL: none */
	void (*on_event)(struct pl_backend *be,
			 void (*fn)(void *arg, const struct pl_event *ev), void *arg);
	/* end() - the run is over: free its world (the backend may be reused) */
	void (*end)(struct pl_backend *be);
	/*
	 * For the race explorer (model only), which runs each schedule on a
	 * world of its own and frees it itself: world() is the current run's
	 * world; disown() forgets it without freeing it (call it once the
	 * owner has freed the world, before the next begin()).
	 */
	struct world *(*world)(struct pl_backend *be);
	void (*disown)(struct pl_backend *be);
	/*
	 * For the explorer's copies of a world (model only; both or neither):
	 * save() keeps what the backend holds of the current run beside its
	 * world (the raw GUP references), as it is now; restore() puts that
	 * back and makes @w, a copy of the saved run's world
	 * (pl_world_copy_into()), the run's world, owned by the caller as
	 * world() is.  -ENOMEM, or 0.  The saved state goes with destroy().
	 */
	int (*save)(struct pl_backend *be);
	int (*restore)(struct pl_backend *be, struct world *w);
	void (*destroy)(struct pl_backend *be);
};

/* The model backend (src/backend/model/backend_model.c). */
struct pl_backend *pl_model_backend_new(void);
/* The world of the current run, for `show` (NULL between runs). */
struct world *pl_model_backend_world(struct pl_backend *be);

#endif /* PINLAB_BACKEND_H */
