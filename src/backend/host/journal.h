/*
 * journal.h - the host lock and the crash-safe journal of what a host run
 * changed on the machine (docs/host.md, "What pinlab changes and how it is
 * put back").
 *
 * As root, before a host run changes anything system-wide it takes an
 * exclusive POSIX record lock on /run/pinlab/lock (a root-only directory:
 * no other user can open the file, so none can hold the lock), replays a
 * journal that a killed run left behind, and from then on appends one
 * record to /run/pinlab/journal, fsync()ed, before each change: the value a
 * sysfs file held before its first change, a swapfile about to be made.
 * A clean end appends "clean" (every earlier setting is back); destroy()
 * empties the file.  A run killed at any point leaves a journal whose
 * replay (the next run, or `pinlab host restore`) writes every original
 * value back, turns off and removes the swapfile and kills what is left
 * of the dead run's workers (whose memfds then go).
 */
#ifndef PINLAB_BACKEND_HOST_JOURNAL_H
#define PINLAB_BACKEND_HOST_JOURNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PL_HJ_DIR	"/run/pinlab"
#define PL_HJ_LOCK	PL_HJ_DIR "/lock"
#define PL_HJ_FILE	PL_HJ_DIR "/journal"

/* The lock waits this long by default (--lock-timeout). */
#define PL_HJ_LOCK_TIMEOUT_S	900

struct pl_hjournal {
	int lock_fd;		/* /run/pinlab/lock, write-locked (F_SETLK); -1 */
	int fd;			/* /run/pinlab/journal, O_APPEND; -1 */
	bool owner_written;	/* the "owner PID" record of this process is in */
	long crash_at;		/* PINLAB_CRASH_AT: SIGKILL ourselves at that point */
	long points;		/* journal points passed */
	bool replayed;		/* pl_hj_open() found a journal and replayed it */
};

void pl_hj_init(struct pl_hjournal *j);
/*
 * pl_hj_open() - take the host lock, waiting up to @timeout_s seconds
 * (0: do not wait), then replay a journal left by a run that died, saying
 * on @msg what was put back.  Not root: nothing to lock or journal (such a
 * run changes nothing system-wide), returns 0.  @stop, when not NULL, is
 * polled while waiting (SIGINT/SIGTERM).
 * Return: 0, -ETIMEDOUT (the holder's PID in @err), -EINTR, or another
 * -errno with the reason in @err.
 */
int pl_hj_open(struct pl_hjournal *j, int timeout_s, bool (*stop)(void), FILE *msg, char *err,
	       size_t errlen);
bool pl_hj_active(const struct pl_hjournal *j);
/* Journal records, each fsync()ed before it returns; 0 or -errno. */
int pl_hj_set(struct pl_hjournal *j, const char *path, const char *orig);
int pl_hj_swapfile(struct pl_hjournal *j, const char *path);
int pl_hj_swapfile_gone(struct pl_hjournal *j, const char *path);
/* Every setting journaled so far is back. */
int pl_hj_clean(struct pl_hjournal *j);
/*
 * A journal point: the record before a change is on disk, or the change is
 * done.  With PINLAB_CRASH_AT=N in the environment, the Nth point SIGKILLs
 * pinlab (tests/cli/journal.sh).
 */
void pl_hj_point(struct pl_hjournal *j);
/* Everything is back: empty the journal and drop the lock. */
void pl_hj_close(struct pl_hjournal *j);

/* The name a host memfd of this pinlab carries, so a replay can find leftovers. */
void pl_hj_memfd_name(char *buf, size_t len, const char *what);

/*
 * Write @val to the sysfs or procfs file @path: 0 or -errno.  The one writer
 * of the files a run changes (settings.c) and of the journal's replay of
 * them; O_NOFOLLOW, since a replayed path comes from a file on disk and
 * none of these files is a symlink.
 */
int pl_hj_sysfs_write(const char *path, const char *val);

/* Block SIGINT and SIGTERM (the old mask into @old): clean-up a signal must not cut short. */
void pl_hj_block_signals(sigset_t *old);

#endif /* PINLAB_BACKEND_HOST_JOURNAL_H */
