/*
 * backend_host.h - the host backend: scenario steps on the running kernel.
 *
 * Each scenario process is a real worker process.  The first one is forked
 * by pinlab; `fork` makes a worker clone itself (CLONE_PARENT, so every
 * worker is pinlab's child and pinlab reaps them all).  pinlab drives each
 * worker over a SOCK_SEQPACKET socketpair: one request (op and operands,
 * maybe one fd in SCM_RIGHTS), one reply (-errno and what was observed).
 *
 * Steps without a host equivalent, and missing kernel features, return
 * -PL_BSKIP with the reason; the executor reports the run as `skip`.
 * docs/host.md lists what runs where.
 */
#ifndef PINLAB_HOST_BACKEND_HOST_H
#define PINLAB_HOST_BACKEND_HOST_H

#include <stdbool.h>
#include <stdio.h>

#include "pinlab/backend.h"

/* A backend whose runs are killed after timeout_ms (each run: every worker). */
struct pl_backend *pl_host_backend_new(int timeout_ms);

/*
 * Let the backend add a temporary swapfile (root, ext4 /tmp) when a run
 * needs swap and the machine has none; destroy() turns it off and deletes it.
 */
void pl_host_allow_swapfile(struct pl_backend *be, bool allow);

/*
 * The host lock and journal (journal.h): @journal false for a backend in a
 * throw-away guest; @lock_timeout_s: how long to wait for another pinlab.
 */
void pl_host_lock_options(struct pl_backend *be, bool journal, int lock_timeout_s);
/*
 * Take the host lock and replay what a killed pinlab left, before any run
 * (begin() does it otherwise).  0, or -errno with the reason in @err
 * (-ETIMEDOUT: the holder's PID is in it).
 */
int pl_host_prepare(struct pl_backend *be, char *err, size_t errlen);
/*
 * `pinlab host restore`: take the lock and replay the journal, saying on
 * @msg what was put back.  0 or -errno (@err).
 */
int pl_host_restore(int lock_timeout_s, FILE *msg, char *err, size_t errlen);
/*
 * The host profile of this machine (profile.h), probed after taking the
 * host lock the runs take (so another pinlab's sysfs changes are not seen).
 * Return: 0, -EINTR (interrupted while waiting) or -EINVAL (a bad
 * $PINLAB_HOST_PROFILE), with why in @why.
 */
struct pl_host_profile;
int pl_host_backend_profile(struct pl_backend *be, struct pl_host_profile *p, char *why,
			    size_t whylen);

/*
 * A run that reaches its time limit (pl_host_backend_new(); the guest of
 * --kernel scales it with its measured speed; $PINLAB_HOST_TIMEOUT_MS
 * replaces it) ends as a skip whose reason this recognises: not an outcome,
 * not a disagreement.
 */
bool pl_host_skip_is_timeout(const char *reason);
/* the reason of a run that reached its time limit (a skip diff counts apart) */
const char *pl_host_timeout_reason(void);

/* The distinct skip reasons, for `pinlab probe --explain-skips`. */
const char *const *pl_host_skip_reasons(int *nr);

/*
 * SIGINT/SIGTERM: set a flag (the only global state: one volatile
 * sig_atomic_t) that makes the running step kill its workers and return
 * -EINTR.  The caller then destroys the backend (which removes everything)
 * and stops.
 */
void pl_host_catch_signals(void);
bool pl_host_interrupted(void);
/* The signal that set the flag (SIGINT or SIGTERM), 0 if none. */
int pl_host_signal(void);

#endif /* PINLAB_HOST_BACKEND_HOST_H */
