/*
 * exec_internal.h - what the executor's files share: struct exec (one
 * run's state, threaded through every part) and the x_ helpers each part
 * offers the others.  Only src/lang/exec*.c include it; the executor's
 * interface is exec.h.
 *
 *	exec.c		the run: world set-up, the outcome, pl_exec_run()
 *	exec_step.c	one step: operands resolved, dispatched by form, judged
 *	exec_check.c	the check steps (check value/prop/count/invariants, show)
 *	exec_call.c	backend calls, set-up operations, limits, operand values
 *	exec_backing.c	the backings: shared files, mmap, set-up phase, transform
 *	exec_record.c	what a run records: the hook point, failures, violations,
 *			folio snapshots for --trace
 *	exec_race.c	a parallel group's threads as explorer threads
 */
#ifndef PINLAB_LANG_EXEC_INTERNAL_H
#define PINLAB_LANG_EXEC_INTERNAL_H

#include "lang/exec.h"

#include "lang/diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The clock of --max-time, read before every step: the coarse clock (the
 * kernel's last tick, a few ms of resolution) costs a load where
 * CLOCK_MONOTONIC reads the TSC, which was 1.9 % of the catalog's samples
 * (docs/performance.md); a limit in whole ms loses nothing by it.
 */
#ifdef CLOCK_MONOTONIC_COARSE
#define PL_EXEC_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define PL_EXEC_CLOCK CLOCK_MONOTONIC
#endif

#define X_TEXT 320

/* The runtime value of one symbol. */
struct xsym {
	bool live;		/* has a value (its creating step succeeded) */
	int id;			/* pid, file id or handle */
	pl_addr addr;		/* mapping: page 0 */
	uint32_t pages;		/* mapping: the scenario's pages */
	uint32_t whole;		/* mapping: pages a whole reference covers */
	int prot;		/* mapping: as mapped */
	bool zero_fill;		/* mapping: in a zeropage set-up phase, writes become reads */
};

struct xvkey {
	const char *invariant;
	int pid;
	uint64_t addr;
	uint32_t pfn;
};

struct exec {
	const struct pl_scenario *sc;
	struct pl_backend *be;
	const struct pl_exec_opts *o;
	const struct pl_exec_hooks *h;	/* never NULL (a zeroed struct when none) */
	int backing;			/* the run's, index into pl_backings() */
	struct xsym *sym;
	int *bk_file;			/* by backing index: the run's shared file, 0 = none yet */
	uint32_t *bk_pages;		/* by backing index: the largest mmap of it */
	int nr_bk;
	struct pl_exec_point at;	/* where we are, for hooks */
	bool in_step;			/* a scenario step is running (set-up ops nest in it) */
	/* the mapping whose set-up phase is open */
	int tf_sym, tf_bk, tf_step;
	/* the outcome */
	int check_step;
	enum pl_outcome check_cls;
	char check_detail[X_TEXT];
	int fail_step;
	enum pl_outcome fail_cls;
	char fail_detail[X_TEXT];
	/* violations: consumed from the backend, de-duplicated */
	int seen;
	struct xvkey *vkeys;
	int nr_vkeys, cap_vkeys;
	struct pl_result *res;
	/* folio snapshots for --trace */
	struct pl_folio_state *fb, *fa;
	int cap_fb, cap_fa;
	struct pl_folio_change *changes;
	int cap_changes;
	bool oom;
	/* limits: operations run so far; why the run stopped at one ("" = it did not) */
	uint64_t nr_ops;
	uint64_t nr_procs;		/* processes created (--max-procs) */
	struct timespec t0;		/* when the run began (--max-time), PL_EXEC_CLOCK */
	char limit[X_TEXT];
	/*
	 * The steps of a parallel group run as explorer threads: no invariant
	 * checker between steps (another thread may be inside an operation),
	 * no set-up transforms.
	 */
	bool racing;
	bool stopped;			/* an `expect refused` step failed: no step runs after it */
	/* the backend could not do a step here (-PL_BSKIP): the reason; "" = none */
	char skip[200];
};

/* The hooks of a run that has none (exec.c). */
extern const struct pl_exec_hooks x_no_hooks;

/* exec.c */
void x_result_init(struct pl_result *r, const struct pl_scenario *sc, const char *preset,
		   int backing);
enum pl_outcome x_classify(struct exec *x, const struct pl_expect *e);
void x_free(struct exec *x);
int x_init(struct exec *x, const struct pl_scenario *sc, int backing,
	   struct pl_backend *be, const struct pl_exec_opts *opts, struct pl_result *res);
int x_start(struct exec *x);

/* exec_record.c */
void x_at_ret(struct exec *x, long ret);
void x_at_step(struct exec *x, const struct pl_step *s);
__attribute__((format(printf, 3, 4)))
void x_check_failed(struct exec *x, enum pl_outcome cls, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void x_step_failed(struct exec *x, enum pl_outcome cls, const char *fmt, ...);
void x_collect(struct exec *x);
int x_begin(struct exec *x);
void x_end(struct exec *x, int nb, bool diff);
void x_event(void *arg, const struct pl_event *ev);

/* exec_call.c */
struct pl_bstep x_bstep(const struct exec *x, int op, int pid);
uint64_t x_max(uint64_t v, uint64_t dflt);
bool x_count_op(struct exec *x);
long x_call(struct exec *x, const struct pl_bstep *b, struct pl_bresult *r);
__attribute__((format(printf, 4, 5)))
long x_setup(struct exec *x, const struct pl_bstep *b, struct pl_bresult *r,
	     const char *fmt, ...);
bool x_live(const struct exec *x, const struct pl_ref *r);
int x_id(const struct exec *x, const struct pl_ref *r);
void x_range(const struct exec *x, const struct pl_ref *r, bool mm_op, pl_addr *addr,
	     uint32_t *nr);
uint32_t x_count(const struct pl_ref *r);
void x_bytes(struct pl_bstep *b, const struct pl_ref *r);
int x_owner_pid(const struct exec *x, int mapping_sym);

/* exec_backing.c */
const struct pl_backing *x_bk(int idx);
long x_mmap(struct exec *x, const struct pl_step *s, int pid);
bool x_is_fill(const struct exec *x, const struct pl_step *s);
void x_transform(struct exec *x);

/* exec_step.c */
void x_step(struct exec *x, int i);
void x_run_steps(struct exec *x, int from, int to);

/* exec_check.c */
void x_check_value(struct exec *x, const struct pl_step *s, int pid);
void x_check_page(struct exec *x, const struct pl_step *s, int pid);
void x_check_invariants(struct exec *x, const struct pl_step *s);
void x_show(struct exec *x, const struct pl_step *s);

#endif /* PINLAB_LANG_EXEC_INTERNAL_H */
