/*
 * ast.h - the syntax tree of a .pin scenario.
 *
 * One scenario is one struct pl_scenario: a header (name, description,
 * backing matrix, expectations) and a flat list of steps.  The parser
 * (parse.c) fills in what is written; the checker (check.c) resolves every
 * name to a symbol, fills in page ranges and expectation masks, and rejects
 * anything an executor could trip over.  After a clean check an executor can
 * walk sc->steps[] from first to last and switch on step->op, without ever
 * looking a name up:
 *
 *	for each backing b in sc->backings[]		(the matrix)
 *	    for each step s in sc->steps[]		(in order)
 *		pid  = pid_of[s->actor.sym]		(if s->actor.name)
 *		addr = addr_of[s->a.sym] + s->a.lo * PAGE_SIZE, nr = s->a.hi - s->a.lo + 1
 *		switch (s->op) ...
 *
 * Threads.  Steps written inside `thread T { ... }` carry s->thread (an index
 * into sc->threads[]) and s->group: consecutive thread blocks form one
 * parallel group.  Running the list in order is one valid interleaving (each
 * thread to completion, in the order written); the race explorer regroups
 * the steps of a group by thread and interleaves them.
 *
 * Operands by op.  Every step uses the same few fields; which ones, and what
 * they mean, is fixed per op (see the table below enum pl_op).  Data flows
 * from a to b: `vmsplice a -> b`, `dio-read a -> b`.
 *
 * Memory: every string and array hanging off a scenario lives in its arena
 * or in arrays freed by pl_scenario_free(); nothing is shared with the
 * source text.
 */
#ifndef PINLAB_LANG_AST_H
#define PINLAB_LANG_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pinlab/backend.h"	/* enum pl_op, pl_src, pl_prop, pl_count: the operations */
#include "pinlab/core.h"	/* PL_PROT_*, PL_MAP_*, enum pl_madv, enum pl_fs, FOLL_* */

struct pl_pos {
	int line;		/* 1-based; 0 = not written in the source */
	int col;		/* 1-based, in characters */
};

/*
 * Outcomes of one (scenario, preset, backing) run.  `expect` lines name any
 * of them; `as CLASS` on a check names one of the failure classes (leak ..
 * count).  The names are a stable interface (JSON "outcome").
 * grep "ORDER OUTCOME" when changing this enum.
 */
enum pl_outcome {
	PL_OUT_PASS,
	PL_OUT_LEAK,
	PL_OUT_STALE_PIN,
	PL_OUT_LOST_WRITE,
	PL_OUT_FILE_MODIFIED,
	PL_OUT_REFUSED,
	PL_OUT_INVARIANT,
	PL_OUT_COUNT,
	PL_OUT_XFAIL,
	PL_OUT_SKIP,
	PL_OUT_NR,
};

/*
 * Operations.  One per statement keyword; `check` has four forms.
 * grep "ORDER OP" when changing this enum (ast.c names, parse.c syntax).
 *
 * op                   actor def      a                    b      other fields
 * -------------------------------------------------------------------------------------------
 * PROCESS              -     process  -                    -      -
 * FILE                 -     file     -                    -      arg=enum pl_fs, n, str=init,
 *                                                                 prot=READ: `ro` (O_RDONLY fd)
 * SWAPON               -     -        -                    -      n=slots
 * HUGETLB_POOL         -     -        -                    -      n=huge pages
 * THP                  -     -        -                    -      arg=enum pl_thp_mode
 * MMAP                 req   mapping  file (arg=FILE)      [mapping] n, prot, mflags, arg=backing;
 *                                                                 b: MAP_FIXED(_NOREPLACE) address
 * MUNMAP               req   -        mapping              -
 * MREMAP               req   [mapping] mapping             [mapping] n, flags&MOVE, flags&DONTUNMAP;
 *                                                                 b: MREMAP_FIXED address
 * MPROTECT             req   -        mapping              -      prot
 * MADVISE              req   -        mapping              -      arg=enum pl_madv
 * FORK                 req   process  -                    -      inherit[] (checker)
 * EXIT, CLEAR_REFS     req   -        -                    -
 * WRITE                opt   -        mapping|file|pipe    -      str (file: actor optional),
 *                                                                 pipe: flags&LEN, n=bytes
 * READ                 opt   -        mapping|file|pipe    -      pipe: flags&LEN, n=bytes
 * TRUNCATE             opt   -        file                 -      n=new size in pages
 * VMSPLICE             req   -        mapping              pipe   (pipe made on first use)
 * CLOSE                opt   -        pipe                 -
 * IOURING_REGISTER     req   ring     mapping              -
 * IOURING_UNREGISTER   opt   -        ring                 -
 * IOURING_WRITE_FIXED  opt   -        ring                 file
 * IOURING_READ_FIXED   opt   -        file                 ring
 * DIO_READ             req   request  file                 mapping
 * DIO_WRITE            req   request  mapping              file
 * COMPLETE             opt   -        request              -
 * RDMA_REG             req   region   mapping              -      prot
 * RDMA_DEREG           opt   -        region               -
 * DMA_WRITE            opt   -        region               -      str
 * PIN                  req   pin      mapping              -      prot, flags&FAST
 * UNPIN                opt   -        pin                  -
 * GUP                  req   gup      mapping              -      gup_flags, flags&FAST
 * PUT                  opt   -        gup                  -
 * PROC_MEM_WRITE       req   -        mapping (of target)  -      target, str
 * PROCESS_VM_WRITEV    req   -        mapping (of target)  -      target, str
 * PTRACE_POKE          req   -        mapping (of target)  -      target, str
 * UPROBE_REGISTER      opt   -        file                 -      str
 * UPROBE_UNREGISTER    opt   -        file                 -
 * RECLAIM, COLLAPSE,
 * SPLIT, UFFD_CONTINUE req   -        mapping              -
 * WRITEBACK, EVICT     opt   -        file                 -
 * KSM_MERGE            opt   -        -                    -
 * CHECK_VALUE          opt   -        source (see src)     -      src, str or flags&ZERO,
 *                                                                 flags&NE, target
 * CHECK_PROP           req   -        mapping              -      arg=enum pl_prop, flags&NOT
 * CHECK_COUNT          req   -        mapping              -      arg=enum pl_count, n,
 *                                                                 flags&NE
 * CHECK_INVARIANTS     opt   -        -                    -
 * SHOW                 -     -        [any global name]    -
 * PIPE                 opt   pipe     -                    -
 * SPLICE               opt   -        file (one page)      pipe   flags&LEN, n=bytes
 *
 * str is NULL when a write or check value is `zero` (flags&ZERO instead).
 * Every step but the declarations may end in `fails [ERRNO]`; checks and
 * `fails` steps may end in `as CLASS`.
 *
 * The enum itself, with enum pl_src, pl_prop and pl_count, is the backends'
 * operation vocabulary and lives in include/pinlab/backend.h.
 */

/* step->flags */
enum {
	PL_STEP_FAST	= PL_BSTEP_FAST,	/* pin/gup: the *_fast() entry point */
	PL_STEP_MOVE	= PL_BSTEP_MOVE,	/* mremap: MREMAP_MAYMOVE */
	PL_STEP_NE	= 1u << 2,	/* check: '!=' instead of '==' */
	PL_STEP_NOT	= 1u << 3,	/* check ... is not PROP */
	PL_STEP_ZERO	= 1u << 4,	/* check value / write: the zero page's contents */
	PL_STEP_FAILS	= 1u << 5,	/* `fails [ERRNO]`: err is the errno, 0 = any */
	/*
	 * `may-fail`: a failure of this step decides nothing (GUP-fast backing
	 * off in a race); what it would have created is then missing, and the
	 * steps using it do not run.
	 */
	PL_STEP_MAY_FAIL = 1u << 6,
	PL_STEP_ODP	= PL_BSTEP_ODP,	/* rdma-reg ... odp: IB_ACCESS_ON_DEMAND */
	/*
	 * `require STEP`: if the step fails (or, for a check, does not hold),
	 * the run ends here with outcome `skip` and the reason (the errno, or
	 * the check's detail); nothing after it runs.
	 */
	PL_STEP_REQUIRE	= 1u << 8,
	/* `STEP expect refused`: a failure of the step ends the run here, as `refused` */
	PL_STEP_STOP	= 1u << 9,
	/* `check SOURCE == SOURCE`: compare with a second observation (b, src2 ...) */
	PL_STEP_CMP	= 1u << 10,
	PL_STEP_LEN	= 1u << 11,	/* `len N` written: n is a byte count (pipes, splice) */
	PL_STEP_DONTUNMAP = PL_BSTEP_DONTUNMAP,	/* mremap ... dontunmap */
};

/* mmap backing (step->arg): an index into pl_backings(), or one of these. */
enum {
	PL_BACKING_MATRIX = -1,		/* the run's backing from the matrix (the default) */
	PL_BACKING_FILE = -2,		/* `file F`: step->a names the file */
};

/* Symbols: every name the scenario defines.  grep "ORDER SYM". */
enum pl_sym_kind {
	PL_SYM_PROCESS,
	PL_SYM_THREAD,
	PL_SYM_FILE,
	PL_SYM_MAPPING,
	PL_SYM_PIPE,
	PL_SYM_RING,		/* io_uring fixed buffer */
	PL_SYM_REQ,		/* O_DIRECT request */
	PL_SYM_MR,		/* RDMA/vfio memory region */
	PL_SYM_PIN,		/* gup_test long-term pin */
	PL_SYM_GUP,		/* raw GUP reference set */
	PL_SYM_NR,
};

/* A name as written, with an optional page range: NAME, NAME[i], NAME[i..j], NAME[i..]. */
struct pl_ref {
	const char *name;	/* NULL: operand absent */
	struct pl_pos pos;
	int sym;		/* checker: index into sc->syms, -1 until checked */
	bool indexed;		/* '[...]' was written */
	bool open;		/* '[i..]': to the end */
	uint32_t lo, hi;	/* inclusive page range; the checker fills it for whole/open refs */
	/*
	 * `NAME[i]+OFF [len N]`: a byte range inside page i (lo == hi).  Without
	 * `len` a write stores the string and its NUL, a read sees the C string
	 * at OFF; with it, exactly N bytes (a value repeats to fill them).
	 */
	bool bytes;
	bool has_len;
	uint32_t off, len;
	struct pl_pos off_pos, len_pos;
};

struct pl_step {
	struct pl_pos pos;		/* of the statement (the actor, or the keyword) */
	enum pl_op op;
	int thread;			/* index into sc->threads, -1 = main sequence */
	int group;			/* parallel group of the thread block, 0 = none */
	struct pl_ref actor;		/* `P:` -- the process doing the step */
	struct pl_ref def;		/* the name created (`NAME =`, fork C, process P) */
	struct pl_ref a, b;		/* operands in data-flow order */
	struct pl_ref target;		/* the other process (proc-mem-*, process-vm-*) */
	const char *str;		/* string operand; NULL if none */
	struct pl_pos str_pos;
	uint64_t n;			/* pages, slots or an expected count */
	int prot;			/* PL_PROT_* */
	unsigned int mflags;		/* PL_MAP_* (mmap) */
	unsigned int gup_flags;		/* FOLL_* (gup) */
	int arg;			/* op-specific enum, see the table above */
	unsigned int flags;		/* PL_STEP_* */
	enum pl_src src;		/* CHECK_VALUE */
	int err;			/* with PL_STEP_FAILS: expected errno (positive), 0 = any */
	enum pl_outcome cls;		/* class of a failed check / unexpected success */
	bool has_cls;			/* `as CLASS` written (else PL_OUT_INVARIANT) */
	/* checker: fork copies these mapping symbols, pairs of (parent sym, child sym) */
	int *inherit;
	int nr_inherit;
	/* PL_STEP_CMP: the second source is b, read by actor2 (or the actor) from src2 */
	enum pl_src src2;
	struct pl_ref actor2;		/* `P:` before the second source */
	struct pl_ref target2;		/* its proc-mem-read / process-vm-readv process */
	/* `repeat N { ... }`: the steps are unrolled; iter is the 0-based round */
	uint32_t iter;
	struct pl_pos loop_pos;		/* of the `repeat` line; line 0 = not in a loop */
};

/* One item of `expect ... on ITEMS`. */
enum pl_preset_item_kind {
	PL_PI_ONE,		/* v5.9 */
	PL_PI_RANGE,		/* v5.8..v6.1 */
	PL_PI_OLDER,		/* v5.7 and older */
	PL_PI_NEWER,		/* v5.8 and newer */
};

struct pl_preset_item {
	enum pl_preset_item_kind kind;
	const char *lo, *hi;	/* ONE/OLDER/NEWER use lo; RANGE both */
	struct pl_pos pos, hi_pos;
};

struct pl_name {
	const char *name;
	struct pl_pos pos;
	int idx;		/* checker: index into pl_backings() */
};

struct pl_expect {
	struct pl_pos pos;
	enum pl_outcome outcome;
	/*
	 * `expect xfail CLASS`: the failing outcome another schedule of the
	 * threads gives (what `pinlab explore` must find); PL_OUT_PASS = any.
	 */
	enum pl_outcome xfail_cls;
	struct pl_preset_item *on;	/* empty = every preset */
	int nr_on;
	struct pl_name *with;		/* empty = every backing */
	int nr_with;
	const char *because;		/* NULL if none */
	/* checker */
	uint64_t preset_mask;		/* bit i: sc->presets[i] */
	uint64_t backing_mask;		/* bit i: sc->backings[i] */
};

struct pl_thread {
	const char *name;
	struct pl_pos pos;
	int group;
	int sym;		/* checker */
};

struct pl_sym {
	enum pl_sym_kind kind;
	const char *name;
	struct pl_pos pos;	/* where it is defined */
	int def_step;		/* the step creating it, -1 for threads */
	int owner;		/* mapping: the process symbol; -1 otherwise */
	int parent;		/* a mapping copied by fork: the parent's; else -1 */
	uint32_t nr_pages;	/* size when created (paged kinds only) */
};

struct pl_arena;

struct pl_scenario {
	const char *path;
	const char *name;		/* scenario "NAME" */
	struct pl_pos pos;		/* of the scenario line */
	const char *description;	/* the comment lines above it, '\n'-separated; "" if none */
	struct pl_name *backings;	/* the matrix (the checker adds `base` if empty) */
	int nr_backings;
	struct pl_pos backing_pos;
	struct pl_expect *expects;
	int nr_expects;
	struct pl_thread *threads;
	int nr_threads;
	int nr_groups;
	struct pl_step *steps;
	int nr_steps;
	/* checker */
	struct pl_sym *syms;
	int nr_syms;
	const char **presets;		/* the preset names expectation masks refer to */
	int nr_presets;
	/* storage */
	struct pl_arena *arena;
	int cap_backings, cap_expects, cap_threads, cap_steps, cap_syms;
	bool oom;
};

/* ---------------------------------------------------------------------------
 * Vocabulary tables (ast.c).  Each *_find() returns the index or -1.
 */
struct pl_word {
	const char *name;
	int value;
	const char *doc;
};

const char *pl_outcome_name(enum pl_outcome o);
int pl_outcome_find(const char *s, size_t len);
const char *pl_op_name(enum pl_op op);

/*
 * What the checker and the executor do with an operation's operands: the
 * FORM column of pinlab/ops.def, which says what each means.  An operation
 * of a form other than OWN needs no code of its own in check.c or exec.c.
 */
enum pl_op_form {
	PL_FORM_PLAIN,		/* no named operands: n and arg as they are */
	PL_FORM_RANGE,		/* a: pages of the actor's mapping, an mm call */
	PL_FORM_PAGES,		/* a: pages of the actor's mapping, a page operation */
	PL_FORM_FILE,		/* a: a file, or pages of it */
	PL_FORM_CREATE,		/* defines a pl_op_kind() handle, no operands */
	PL_FORM_HANDLE,		/* a: pages of the actor's mapping; defines a handle on them */
	PL_FORM_RELEASE,	/* a: a pl_op_kind() handle, released */
	PL_FORM_OWN,		/* its own code, in check.c and exec.c */
};

enum pl_op_form pl_op_form(enum pl_op op);
/* CREATE, HANDLE, RELEASE: the kind of the handle; else PL_SYM_NR. */
enum pl_sym_kind pl_op_kind(enum pl_op op);
const char *pl_sym_kind_name(enum pl_sym_kind k);
const char *pl_src_name(enum pl_src s);

/*
 * Backings: the rows of the kernel selftests' matrices (cow.c, gup_longterm.c).
 * A backing is a kind of memory plus, for THP and hugetlb, a page size; the
 * executor sets each kind up the way the selftest does (src/lang/exec.c).
 * grep "ORDER BACKING" when changing the table in ast.c.
 */
enum pl_backing_kind {
	PL_BK_BASE,			/* private anon base pages (MADV_NOHUGEPAGE) */
	PL_BK_SWAPPED,			/* ... then MADV_PAGEOUT */
	PL_BK_THP,			/* PMD-mapped THP (2048 kB only) */
	PL_BK_THP_SWAPPED,		/* ... then MADV_PAGEOUT */
	PL_BK_THP_PTE,			/* PTE-mapped THP (mTHP, or a split PMD mapping) */
	PL_BK_THP_PTE_SWAPPED,		/* ... then MADV_PAGEOUT */
	PL_BK_THP_SINGLE_PTE,		/* MADV_DONTNEED of all but the first page */
	PL_BK_THP_SINGLE_PTE_SWAPPED,	/* ... then MADV_PAGEOUT of that page */
	PL_BK_THP_MREMAP,		/* the upper half mremap()ed away */
	PL_BK_THP_PARTIAL_SHARED,	/* page 0 shared with a child that exited */
	PL_BK_HUGETLB,			/* MAP_HUGETLB anon */
	PL_BK_ZEROPAGE,			/* read faults map the shared zero page */
	PL_BK_HUGE_ZEROPAGE,		/* read faults map the huge zero page */
	PL_BK_MEMFD,			/* memfd_create(): tmpfs */
	PL_BK_TMPFILE,			/* tmpfile() in /tmp: ext4 here */
	PL_BK_LOCAL_TMPFILE,		/* mkstemp() + unlink in the test directory: ext4 */
	PL_BK_MEMFD_HUGETLB,		/* memfd_create(MFD_HUGETLB): hugetlbfs */
	PL_BK_KSM,			/* MADV_MERGEABLE + one ksmd scan */
	PL_BK_SHMEM,			/* MAP_SHARED|MAP_ANONYMOUS: tmpfs */
	PL_BK_NR,
};

struct pl_backing {
	const char *name;		/* "thp-pte-64k"; the stable name (JSON "backing") */
	const char *display;		/* "PTE-mapped THP (64 kB)": the selftest's suffix */
	enum pl_backing_kind kind;
	uint32_t kb;			/* THP or hugetlb page size in kB; 0 for base pages */
};

/* The backing table (ORDER BACKING), without aliases; *n receives its length. */
const struct pl_backing *pl_backings(int *n);
/* The entry of a backing index (from pl_backing_find()), or NULL. */
const struct pl_backing *pl_backing_info(int idx);
/* A name or alias (anon, thp, hugetlb) -> its index in pl_backings(), or -1. */
int pl_backing_find(const char *s, size_t len);

/* Word tables: protections, madvise advice, filesystems, THP modes, errnos,
 * FOLL_* flags, page properties, counts.  Lookup returns the entry or NULL. */
const struct pl_word *pl_word_find(const struct pl_word *table, const char *s, size_t len);
const char *pl_word_name(const struct pl_word *table, int value);
extern const struct pl_word pl_prot_words[];
extern const struct pl_word pl_madv_words[];
extern const struct pl_word pl_fs_words[];
extern const struct pl_word pl_thp_words[];
extern const struct pl_word pl_seal_words[];
extern const struct pl_word pl_errno_words[];
extern const struct pl_word pl_foll_words[];
extern const struct pl_word pl_prop_words[];
extern const struct pl_word pl_count_words[];

/* ---------------------------------------------------------------------------
 * Construction (used by the parser and checker) and queries.
 */
struct pl_scenario *pl_scenario_new(const char *path);
void pl_scenario_free(struct pl_scenario *sc);
void *pl_ast_alloc(struct pl_scenario *sc, size_t size);
const char *pl_ast_strndup(struct pl_scenario *sc, const char *s, size_t len);
struct pl_step *pl_ast_add_step(struct pl_scenario *sc);
struct pl_expect *pl_ast_add_expect(struct pl_scenario *sc);
struct pl_name *pl_ast_add_backing(struct pl_scenario *sc);
struct pl_thread *pl_ast_add_thread(struct pl_scenario *sc);
int pl_ast_add_sym(struct pl_scenario *sc, enum pl_sym_kind kind, const char *name,
		   struct pl_pos pos);

/* The expectation deciding (preset, backing): the last matching `expect`
 * line, or NULL, meaning `expect pass`.  preset is a name from sc->presets. */
int pl_expect_preset_slot(const struct pl_scenario *sc, const char *preset);
/* Whether line @e's `on` list takes @preset (a stable release: see ast.c). */
bool pl_expect_applies(const struct pl_scenario *sc, const struct pl_expect *e,
		       const char *preset);
const struct pl_expect *pl_expect_match(const struct pl_scenario *sc, const char *preset,
					int backing);
enum pl_outcome pl_expected_outcome(const struct pl_scenario *sc, const char *preset,
				    int backing);

/* Print the scenario back as canonical .pin source (for tests and `check --dump`). */
void pl_scenario_print(FILE *out, const struct pl_scenario *sc);
void pl_step_print(FILE *out, const struct pl_scenario *sc, const struct pl_step *s);

#endif /* PINLAB_LANG_AST_H */
