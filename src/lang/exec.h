/*
 * exec.h - the executor: runs one checked scenario against a backend, once
 * per (preset, backing), and classifies what happened.
 *
 *	struct pl_backend *be = pl_model_backend_new();
 *	struct pl_exec_opts o = { .preset = "v5.7" };
 *	struct pl_result r;
 *
 *	for (int b = 0; b < sc->nr_backings; b++) {
 *		pl_exec_run(sc, sc->backings[b].idx, be, &o, &r);
 *		... print r ...
 *		pl_result_free(&r);
 *	}
 *
 * The executor owns the meaning of a scenario: the value of every symbol
 * (pids, addresses, file ids, handles), the backing matrix (set-up and
 * transform, see docs/scenario-language.md "Matrix semantics"), the
 * expectations and the outcome.  The backend only performs operations.
 *
 * Outcome of a run, first rule that applies:
 *
 *   1. a `check` failed                      -> its class (`as CLASS`, default invariant)
 *   2. a step failed without `fails`, or a
 *      `fails [ERRNO]` step succeeded or got
 *      another errno (the earliest of these) -> refused / the step's `as CLASS`
 *   3. the invariant checker found anything  -> invariant
 *   4.                                       -> pass
 *
 * A backend that cannot do a step (-PL_BSKIP, backend.h) ends the run:
 * outcome skip with the backend's reason, before any of these rules.
 *
 * Execution goes on after a failure (the first one decides).  `expect xfail`
 * turns a failing outcome into "xfail" and accepts a pass; `expect skip`
 * does not run at all.
 */
#ifndef PINLAB_LANG_EXEC_H
#define PINLAB_LANG_EXEC_H

#include <stdbool.h>

#include "lang/ast.h"
#include "pinlab/backend.h"
#include "pinlab/result.h"

/*
 * Limits of one run (pinlab run --max-steps / --max-pages).  A run that
 * reaches one stops there and pl_exec_run() returns -ERANGE: the scenario
 * has no outcome, as it did not run as written.  Defaults below; 0 = default.
 */
#define PL_EXEC_MAX_STEPS_DEFAULT	1000000ULL	/* scenario steps + set-up operations */
#define PL_EXEC_MAX_PAGES_DEFAULT	4194304ULL	/* 16 GiB of 4 KiB pages, ~400 MiB here */
#define PL_EXEC_MAX_PROCS_DEFAULT	1024ULL		/* processes created in one run */
#define PL_EXEC_MAX_MS_DEFAULT		600000ULL	/* 10 minutes of wall-clock time per run */

struct pl_exec_opts {
	const char *preset;		/* a preset name (pl_presets()) */
	const char *const *sets;	/* "knob=value" overrides */
	int nr_sets;
	int stop_after;			/* run steps 1..stop_after only; 0 = all */
	const struct pl_exec_hooks *hooks;	/* NULL: none */
	uint64_t max_steps;		/* executed steps, set-up operations included */
	uint64_t max_pages;		/* pages the model's world may allocate */
	uint64_t max_procs;		/* processes a run may create (process, fork); 0: default */
	uint64_t max_ms;		/* wall-clock milliseconds a run may take; 0: default */
	bool (*stop)(void);		/* polled every step: true ends the run (SIGINT) as a limit */
	bool check_full;		/* the checker rescans everything (world->check_full) */
};

/**
 * pl_exec_run() - run @sc once under one preset and one backing.
 * @backing: an index into pl_backings() (a matrix entry's idx, or any other)
 * @res: filled in; release with pl_result_free()
 *
 * The backend keeps the run's world until its end() or the next run (for
 * `show`); a run that is skipped leaves no world.
 *
 * Return: 0, or -EINVAL when the backend refused the preset or a --set
 * (res->detail says why), -ERANGE when a limit stopped the run (res->detail:
 * "step N (line L): ..."), or -ENOMEM.
 */
int pl_exec_run(const struct pl_scenario *sc, int backing, struct pl_backend *be,
		const struct pl_exec_opts *opts, struct pl_result *res);

/*
 * The bytes of hugetlb pool that the matrix set-up of (@sc, @backing) asks the
 * backend for before step 1 (0 when the scenario has its own `hugetlb-pool`
 * step, or maps no hugetlb memory); *line, *col: the first hugetlb mapping.
 */
uint64_t pl_exec_pool_bytes(const struct pl_scenario *sc, int backing, int *line, int *col);

/* The expectation of (preset, backing) for any backing, in or out of the matrix. */
const struct pl_expect *pl_exec_expect(const struct pl_scenario *sc, const char *preset,
				       int backing);

/*
 * Races.  A scenario with one parallel group of thread blocks, as the race
 * explorer (src/explore/explore.h) wants it, without this layer depending
 * on the explorer:
 *
 *	setup()		pl_exec_race_setup: a fresh world, the matrix set-up and
 *			every step before the group run (then transforms)
 *	thread[t]	pl_exec_race_thread(r, t): the steps of the group's t-th
 *			thread, in order (no invariant checker between them)
 *	check()		pl_exec_race_check: the invariant checker, the steps after
 *			the group, the outcome rules above
 *
 * A schedule fails when its outcome is the target: the class of the
 * expectation for (preset, backing) -- `expect CLASS`, `expect xfail CLASS`
 * -- or, when that is pass or a bare xfail, any outcome but pass.  Each
 * schedule's world belongs to the explorer (it frees it); the backend must
 * provide world() and disown() (the model does), and save() and restore()
 * for snapshot/restore, with which setup() runs once per search.
 */
#define PL_EXEC_RACE_MAX_THREADS 4

struct pl_exec_race;

/*
 * NULL with "FILE:LINE:COL: error: ..." (or why not) in err: no group, two
 * groups ...; or NULL with errno ENOMEM when out of memory.
 */
struct pl_exec_race *pl_exec_race_new(const struct pl_scenario *sc, int backing,
				      struct pl_backend *be, const struct pl_exec_opts *opts,
				      char *err, size_t errlen);
void pl_exec_race_free(struct pl_exec_race *r);
int pl_exec_race_nr_threads(const struct pl_exec_race *r);
const char *pl_exec_race_thread_name(const struct pl_exec_race *r, int t);
const struct pl_expect *pl_exec_race_expect(const struct pl_exec_race *r);
enum pl_outcome pl_exec_race_target(const struct pl_exec_race *r);
/* The outcome of the last schedule checked, and "CLASS: detail". */
enum pl_outcome pl_exec_race_outcome(const struct pl_exec_race *r, const char **detail);
/* A setup() failed (bad preset or --set, out of memory). */
bool pl_exec_race_error(const struct pl_exec_race *r);
/* A schedule ran out of memory; the search result means nothing. */
bool pl_exec_race_oom(const struct pl_exec_race *r);
/* A schedule stopped at a limit (--max-steps, --max-pages): why; else NULL. */
const char *pl_exec_race_limit(const struct pl_exec_race *r);
/* The explorer's spec->broken: out of memory or a limit, else NULL. */
const char *pl_exec_race_broken(void *race);
struct world *pl_exec_race_setup(void *race);
/*
 * The explorer's spec->snapshot / spec->restore: keep the executor's state
 * as setup() left it (and the backend's, through save()); put it back for
 * a run on w, a copy of setup()'s world.  false: out of memory (oom set),
 * an earlier schedule's limit or out of memory, or a backend without
 * save()/restore(); the search then ends as when setup() fails.
 */
bool pl_exec_race_snapshot(void *race);
bool pl_exec_race_restore(void *race, struct world *w);
void pl_exec_race_thread(struct pl_exec_race *r, int t);
bool pl_exec_race_check(struct world *w, void *race, char *why, size_t len);

/* "EFAULT", or "errno 123" in buf. */
const char *pl_errno_name(int err, char *buf, size_t size);

#endif /* PINLAB_LANG_EXEC_H */
