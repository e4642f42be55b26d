/*
 * record.h - backends that wrap another backend: the recorder writes each
 * call and its answer down (a transcript), the replayer answers the same
 * calls from a transcript, and the observer keeps what each step observed
 * for comparing two runs (`pinlab diff`, `fuzz-diff`).  The qemu runner (src/guest/) records in the
 * guest and replays on the host, so `probe --kernel` goes through the very
 * executor and report code of `probe`.
 *
 * May include: pinlab/backend.h, pinlab/core.h, libc.
 */
#ifndef PINLAB_BACKEND_RECORD_H
#define PINLAB_BACKEND_RECORD_H

#include <stddef.h>
#include <stdio.h>

#include "pinlab/backend.h"

/* ---------------------------------------------------------------------------
 * A wrapper (wrap.c): what it does not override goes to @in as it is.
 */
struct pl_wrapper {
	struct pl_backend be;		/* what the caller holds */
	struct pl_backend *in;
};

/*
 * A new wrapper of @in: calloc(1, @size), @size being that of the wrapper's
 * own struct, whose first member is the struct pl_wrapper; w->be forwards
 * every member to @in, and destroy() destroys @in and frees the whole.
 * @ops: the wrapper's own begin, step, has and destroy, where not NULL,
 * replace the forwarding ones (its other members are not looked at).
 * NULL when @in is NULL, or out of memory (then @in is destroyed).
 */
struct pl_wrapper *pl_wrapper_new(struct pl_backend *in, size_t size,
				  const struct pl_backend *ops);

/* ---------------------------------------------------------------------------
 * The observer (observe.c).
 */
struct pl_obs {
	int step;			/* 1-based scenario step */
	int op;
	long ret;			/* 0 or -errno */
	bool prop;			/* CHECK_PROP */
	long count;			/* CHECK_COUNT; vmsplice: pages spliced */
	char text[64];			/* CHECK_VALUE */
};

/*
 * A wrapper around @in (destroyed with it) keeping each check step's answer,
 * and with @all_steps every step's errno and vmsplice's page count.  NULL
 * (and @in destroyed) when out of memory.
 */
struct pl_backend *pl_observer_new(struct pl_backend *in, bool all_steps);
/* Between (be, true) and (be, false) steps are the executor's set-up: not kept. */
void pl_observer_setup(struct pl_backend *be, bool setup);
/* What the current (or last) run observed, in order. */
const struct pl_obs *pl_observer_obs(struct pl_backend *be, int *n);
/* The same observation (a check's answer; a step's errno or page count)? */
bool pl_obs_same(const struct pl_obs *a, const struct pl_obs *b);
bool pl_obs_is_check(int op);
/* The backend an observer wraps; @be itself when it is no observer. */
struct pl_backend *pl_observer_inner(struct pl_backend *be);

/*
 * Transcripts (transcript.c).  One line per backend call:
 *
 *	@pinlab-guest 1 RELEASE		header (PID 1, after the set-up)
 *	@note TEXT			set-up remarks (a module that did not load ...)
 *	@profile FACTS			the guest's host profile (backend/host/profile.h)
 *	@run K				plan index K begins
 *	b RET TEXT			begin()
 *	h 0|1 FEATURE			has()
 *	s STEP OP RET ADDR ID COUNT PROP TEXT	step() and its struct pl_bresult
 *	@end K USEC			run K is over (guest time)
 *	@done				every run of the job is over
 *	@died TEXT			the runner ended early (PID 1 says how)
 *
 * TEXT has every byte outside '!'..'~' and every '\' as \xHH; "~" is NULL.
 */

/* A backend that forwards to @in and writes each call to @out (the guest side). */
struct pl_backend *pl_recorder_new(struct pl_backend *in, FILE *out);

struct pl_transcript;

struct pl_transcript *pl_transcript_new(int nr_runs);
void pl_transcript_free(struct pl_transcript *t);
/*
 * Parse a transcript (all of it, or what a dead guest wrote).  Runs already
 * complete are kept.  Return: the first plan index not complete (== nr_runs
 * when all are), or -EPROTO with why in @why.
 */
int pl_transcript_parse(struct pl_transcript *t, const char *text, size_t len, char *why,
			size_t whylen);
const char *pl_transcript_release(const struct pl_transcript *t);
/* The facts of the last @profile line ("" if none: the guest never got that far). */
const char *pl_transcript_profile(const struct pl_transcript *t);
/* The @note lines, joined by '\n' ("" if none). */
const char *pl_transcript_notes(const struct pl_transcript *t);
/* Guest microseconds of run K (0 if not complete). */
long pl_transcript_usec(const struct pl_transcript *t, int k);
/*
 * What happened to run K when it is not complete: the guest died (or hung)
 * during it, or never reached it.  @errno_ is what its unanswered calls get.
 */
void pl_transcript_lost(struct pl_transcript *t, int k, int errno_, const char *why);
void pl_transcript_skip_run(struct pl_transcript *t, int k, const char *why);
/* Every run not complete and not lost: skipped with @why (no qemu, no image ...). */
void pl_transcript_skip_rest(struct pl_transcript *t, const char *why);

/*
 * The replay backend: the executor's calls for plan run 0, 1, 2 ... (one
 * begin() each) are answered from the transcript.  A call that is not the
 * one the guest saw is an internal error (-EPROTO): both sides must run the
 * same pinlab.
 */
struct pl_backend *pl_replay_new(struct pl_transcript *t);

#endif /* PINLAB_BACKEND_RECORD_H */
