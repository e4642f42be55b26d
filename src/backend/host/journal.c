/*
 * journal.c - the host lock and the write-ahead journal of system-wide
 * changes (journal.h, docs/host.md).
 *
 * The journal is a text file of one record a line, appended with O_APPEND
 * and fsync()ed before the change it describes is made:
 *
 *	owner PID		the pinlab process the records below belong to
 *	set PATH VALUE		PATH held VALUE before this run's first change
 *	clean			every "set" above is written back
 *	swap PATH		a swapfile is about to appear at PATH
 *	swapgone PATH		that swapfile is off and removed
 *
 * (fields separated by one tab; the paths are pinlab's own, never a tab or
 * a newline in them).  Replay puts back every "set" after the last
 * "clean", newest first, turns off and removes every swapfile without its
 * "swapgone", and kills what is left of each owner's workers, found by
 * their names (comm "plw.PID") and their memfds ("memfd:pinlab.PID.*").
 */
#include "backend/host/journal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HJ_MAX_BYTES	(16u << 20)	/* a journal bigger than this is not ours */

void pl_hj_init(struct pl_hjournal *j)
{
	const char *s = getenv("PINLAB_CRASH_AT");

	memset(j, 0, sizeof(*j));
	j->lock_fd = -1;
	j->fd = -1;
	j->crash_at = s ? strtol(s, NULL, 10) : 0;
}

bool pl_hj_active(const struct pl_hjournal *j)
{
	return j->fd >= 0;
}

void pl_hj_point(struct pl_hjournal *j)
{
	if (j->crash_at > 0 && ++j->points == j->crash_at)
		kill(getpid(), SIGKILL);
}

void pl_hj_memfd_name(char *buf, size_t len, const char *what)
{
	snprintf(buf, len, "pinlab.%d.%s", (int)getpid(), what);
}

void pl_hj_block_signals(sigset_t *old)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, old);
}

/* A root-owned file or directory nobody else may write: ours to trust. */
static int hj_check_owned(int fd, bool dir, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if ((dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) || st.st_uid != 0 ||
	    (st.st_mode & 022)) {
		snprintf(err, errlen, "%s is not a %s only root can write (remove it)", path,
			 dir ? "directory" : "file");
		return -EPERM;
	}
	return 0;
}

static int hj_append(struct pl_hjournal *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int hj_append(struct pl_hjournal *j, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (j->fd < 0)
		return 0;
	if (!j->owner_written) {
		j->owner_written = true;
		if (hj_append(j, "owner\t%d\n", (int)getpid()))
			return -EIO;
	}
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -ENAMETOOLONG;
	if (write(j->fd, line, (size_t)n) != n || fdatasync(j->fd))
		return -errno ? -errno : -EIO;
	return 0;
}

int pl_hj_set(struct pl_hjournal *j, const char *path, const char *orig)
{
	int err = hj_append(j, "set\t%s\t%s\n", path, orig);

	if (!err)
		pl_hj_point(j);
	return err;
}

int pl_hj_swapfile(struct pl_hjournal *j, const char *path)
{
	int err = hj_append(j, "swap\t%s\n", path);

	if (!err)
		pl_hj_point(j);
	return err;
}

int pl_hj_swapfile_gone(struct pl_hjournal *j, const char *path)
{
	return hj_append(j, "swapgone\t%s\n", path);
}

static int hj_empty(struct pl_hjournal *j)
{
	if (j->fd < 0)
		return 0;
	j->owner_written = false;
	if (ftruncate(j->fd, 0) || fdatasync(j->fd))
		return -errno;
	return 0;
}

int pl_hj_clean(struct pl_hjournal *j)
{
	return hj_append(j, "clean\n");
}

/* ---------------------------------------------------------------------------
 * Replay.
 */
int pl_hj_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* /proc/PID/comm is "plw.OWNER", or a fd of PID is a memfd of OWNER's. */
static bool hj_is_leftover(const char *pid, const char *owner)
{
	char path[300], buf[128], want[48];
	struct dirent *e;
	bool hit = false;
	ssize_t n;
	DIR *d;
	int fd;

	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	snprintf(want, sizeof(want), "plw.%s\n", owner);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			if (!strcmp(buf, want))
				return true;
		}
	}
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	snprintf(want, sizeof(want), "/memfd:pinlab.%s.", owner);
	d = opendir(path);
	if (!d)
		return false;
	while (!hit && (e = readdir(d))) {
		char link[600];

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		n = readlink(link, buf, sizeof(buf) - 1);
		if (n > 0) {
			buf[n] = 0;
			hit = !strncmp(buf, want, strlen(want));
		}
	}
	closedir(d);
	return hit;
}

/* SIGKILL what is left of @owner's workers and wait until each is gone. */
static int hj_kill_leftovers(const char *owner, FILE *msg)
{
	struct dirent *e;
	int killed = 0;
	DIR *d;

	if (!strcmp(owner, "0"))
		return 0;
	d = opendir("/proc");
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		int pidfd;

		if (!isdigit((unsigned char)e->d_name[0]) || !hj_is_leftover(e->d_name, owner))
			continue;
		pidfd = (int)syscall(SYS_pidfd_open, atoi(e->d_name), 0);
		if (pidfd < 0)
			continue;
		if (!syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0)) {
			struct pollfd p = { .fd = pidfd, .events = POLLIN };

			/* readable once the process has exited (its memfds are gone) */
			while (poll(&p, 1, -1) < 0 && errno == EINTR)
				;
			killed++;
		}
		close(pidfd);
	}
	closedir(d);
	if (killed && msg)
		fprintf(msg, "pinlab: killed %d leftover worker%s of pinlab pid %s (and their memfds)\n",
			killed, killed == 1 ? "" : "s", owner);
	return killed;
}

/* Turn off and remove a swapfile we made, if it is still the regular root-owned file. */
static void hj_swapfile_remove(const char *path, FILE *msg)
{
	struct stat st;
	int ret;

	if (lstat(path, &st))
		return;		/* gone, or never linked in: nothing left */
	if (!S_ISREG(st.st_mode) || st.st_uid != 0) {
		if (msg)
			fprintf(msg, "pinlab: %s is no longer our swapfile: left alone\n", path);
		return;
	}
	do
		ret = swapoff(path);
	while (ret && errno == EINTR);
	if (ret && errno != EINVAL) {	/* EINVAL: it was not on */
		if (msg)
			fprintf(msg, "pinlab: swapoff %s: %s (left in place)\n", path,
				strerror(errno));
		return;
	}
	unlink(path);
	if (msg)
		fprintf(msg, "pinlab: removed the swapfile %s%s\n", path,
			ret ? "" : " (after swapoff)");
}

struct hj_rec {
	char *kind, *path, *val;
};

static int hj_replay(struct pl_hjournal *j, FILE *msg)
{
	struct hj_rec *recs = NULL;
	int nr = 0, last_clean = -1, restored = 0;
	char *buf, *line, *save = NULL, owners[256] = "";
	struct stat st;
	sigset_t old;
	ssize_t got;

	if (fstat(j->fd, &st))
		return -errno;
	if (st.st_size == 0)
		return 0;
	if (st.st_size > (off_t)HJ_MAX_BYTES)
		return -EFBIG;
	buf = malloc((size_t)st.st_size + 1);
	recs = calloc((size_t)st.st_size / 2 + 1, sizeof(*recs));
	if (!buf || !recs) {
		free(buf);
		free(recs);
		return -ENOMEM;
	}
	got = pread(j->fd, buf, (size_t)st.st_size, 0);
	if (got < 0) {
		free(buf);
		free(recs);
		return -errno;
	}
	buf[got] = 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct hj_rec *r = &recs[nr];
		char *tab = strchr(line, '\t');

		r->kind = line;
		if (tab) {
			*tab = 0;
			r->path = tab + 1;
			tab = strchr(r->path, '\t');
			if (tab) {
				*tab = 0;
				r->val = tab + 1;
			}
		}
		if (!strcmp(r->kind, "clean"))
			last_clean = nr;
		if (!strcmp(r->kind, "owner") && r->path &&
		    strlen(owners) + strlen(r->path) + 2 < sizeof(owners)) {
			strcat(owners, owners[0] ? " " : "");
			strcat(owners, r->path);
		}
		nr++;
	}
	pl_hj_block_signals(&old);
	if (msg)
		fprintf(msg, "pinlab: restoring the host after a run that did not finish "
			"(pinlab pid %s; journal %s)\n", owners[0] ? owners : "?", PL_HJ_FILE);
	for (int i = 0; i < nr; i++)
		if (!strcmp(recs[i].kind, "owner") && recs[i].path)
			hj_kill_leftovers(recs[i].path, msg);
	for (int i = nr - 1; i > last_clean; i--) {
		struct hj_rec *r = &recs[i];
		int err;

		if (strcmp(r->kind, "set") || !r->path || !r->val)
			continue;
		err = pl_hj_sysfs_write(r->path, r->val);
		if (msg && err)
			fprintf(msg, "pinlab: could not restore %s to '%s': %s\n", r->path, r->val,
				strerror(-err));
		else if (msg)
			fprintf(msg, "pinlab: restored %s to '%s'\n", r->path, r->val);
		restored++;
	}
	for (int i = 0; i < nr; i++) {
		bool gone = false;

		if (strcmp(recs[i].kind, "swap") || !recs[i].path)
			continue;
		for (int k = i + 1; k < nr && !gone; k++)
			gone = !strcmp(recs[k].kind, "swapgone") && recs[k].path &&
			       !strcmp(recs[k].path, recs[i].path);
		if (!gone)
			hj_swapfile_remove(recs[i].path, msg);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	free(recs);
	free(buf);
	j->replayed = true;
	(void)restored;
	return hj_empty(j);
}

/* ---------------------------------------------------------------------------
 * The lock.
 */
static pid_t hj_holder(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_GETLK, &fl) || fl.l_type == F_UNLCK)
		return 0;
	return fl.l_pid;
}

static long hj_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int hj_lock(struct pl_hjournal *j, int timeout_s, bool (*stop)(void), FILE *msg,
		   char *err, size_t errlen)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct timespec t0;
	bool said = false;
	int dfd, ret;

	if (mkdir(PL_HJ_DIR, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot make %s: %s", PL_HJ_DIR, strerror(errno));
		return -errno;
	}
	dfd = open(PL_HJ_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", PL_HJ_DIR, strerror(errno));
		return -errno;
	}
	ret = hj_check_owned(dfd, true, PL_HJ_DIR, err, errlen);
	if (!ret) {
		j->lock_fd = openat(dfd, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (j->lock_fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open %s: %s", PL_HJ_LOCK, strerror(errno));
		}
	}
	if (!ret)
		ret = hj_check_owned(j->lock_fd, false, PL_HJ_LOCK, err, errlen);
	if (!ret) {
		j->fd = openat(dfd, "journal", O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
			       0600);
		if (j->fd < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open %s: %s", PL_HJ_FILE, strerror(errno));
		}
	}
	if (!ret)
		ret = hj_check_owned(j->fd, false, PL_HJ_FILE, err, errlen);
	if (!ret && fsync(dfd))
		ret = -errno;
	close(dfd);
	if (ret)
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fcntl(j->lock_fd, F_SETLK, &fl)) {
		pid_t who;

		if (errno != EAGAIN && errno != EACCES && errno != EINTR) {
			snprintf(err, errlen, "cannot lock %s: %s", PL_HJ_LOCK, strerror(errno));
			return -errno;
		}
		who = hj_holder(j->lock_fd);
		if (hj_ms_since(&t0) >= (long)timeout_s * 1000) {
			snprintf(err, errlen, "the host lock %s is held by pid %d (gave up after "
				 "%d s; --lock-timeout)", PL_HJ_LOCK, (int)who, timeout_s);
			return -ETIMEDOUT;
		}
		if (!said && msg) {
			fprintf(msg, "pinlab: waiting for pid %d, which holds the host lock %s "
				"(at most %d s)\n", (int)who, PL_HJ_LOCK, timeout_s);
			said = true;
		}
		if (stop && stop()) {
			snprintf(err, errlen, "interrupted while waiting for the host lock");
			return -EINTR;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 50 * 1000000 }, NULL);
	}
	return 0;
}

int pl_hj_open(struct pl_hjournal *j, int timeout_s, bool (*stop)(void), FILE *msg, char *err,
	       size_t errlen)
{
	int ret;

	if (j->lock_fd >= 0)
		return 0;
	if (geteuid() != 0)
		return 0;
	ret = hj_lock(j, timeout_s, stop, msg, err, errlen);
	if (!ret) {
		ret = hj_replay(j, msg);
		if (ret)
			snprintf(err, errlen, "cannot replay %s: %s", PL_HJ_FILE, strerror(-ret));
	}
	if (ret) {
		if (j->fd >= 0)
			close(j->fd);
		if (j->lock_fd >= 0)
			close(j->lock_fd);
		j->fd = j->lock_fd = -1;
	}
	return ret;
}

void pl_hj_close(struct pl_hjournal *j)
{
	hj_empty(j);
	if (j->fd >= 0)
		close(j->fd);
	if (j->lock_fd >= 0)
		close(j->lock_fd);	/* drops the record lock */
	j->fd = j->lock_fd = -1;
}
