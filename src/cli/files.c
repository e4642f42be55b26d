/*
 * files.c - finding and loading scenario files for the subcommands (cli.h):
 * FILE and DIR arguments walked in sorted order (links to directories
 * skipped or followed), each file read with a size cap and named by its id,
 * and the backings of a scenario's matrix a run iterates.
 */
#include "cli.h"

#include "history/history.h"

#include "backend/host/backend_host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * Files.
 */
static bool cli_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* A copy of s as pl_path_put() shows it; NULL when out of memory. */
static char *cli_shown(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (pl_path_is_plain(s))
		return strdup(s);
	m = open_memstream(&buf, &len);
	if (!m)
		return NULL;
	pl_path_put(m, s);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The name a file goes by in reports: the path below the last "scenarios/"
 * directory, else below the directory argument it was found in, else its
 * base name; without ".pin".  scenarios/cow/basic.pin -> cow/basic.  A name
 * that needs quoting is quoted (pl_path_put), so that a report line stays one
 * line.  NULL when out of memory.
 */
static char *cli_id(const char *path, const char *root)
{
	const char *p = NULL, *s;
	char *base, *id;
	size_t n;

	for (s = path; (s = strstr(s, "scenarios/")); s++)
		if (s == path || s[-1] == '/')
			p = s + strlen("scenarios/");
	if (!p && root) {
		n = strlen(root);
		while (n && root[n - 1] == '/')
			n--;
		if (!strncmp(path, root, n) && path[n] == '/')
			p = path + n + 1;
	}
	if (!p) {
		p = strrchr(path, '/');
		p = p ? p + 1 : path;
	}
	base = strdup(p);
	if (!base)
		return NULL;
	if (cli_has_suffix(base, ".pin") && strlen(base) > 4)
		base[strlen(base) - 4] = '\0';
	id = cli_shown(base);
	free(base);
	return id;
}

/* Append a file; PL_EXIT_INTERNAL when out of memory. */
static int cli_add(struct cli_files *fs, const char *path, const char *root)
{
	struct cli_file *f;

	if (fs->n == fs->cap) {
		int cap = fs->cap ? 2 * fs->cap : 16;
		struct cli_file *n = realloc(fs->f, (size_t)cap * sizeof(*n));

		if (!n)
			return PL_EXIT_INTERNAL;
		fs->f = n;
		fs->cap = cap;
	}
	f = &fs->f[fs->n++];
	memset(f, 0, sizeof(*f));
	f->path = strdup(path);
	f->id = cli_id(path, root);
	return f->path && f->id ? 0 : PL_EXIT_INTERNAL;
}

static int cli_cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct cli_file *)a)->path, ((const struct cli_file *)b)->path);
}

/*
 * A directory walk: every directory is read once (device + inode), so a
 * symlink cycle or a directory reached twice costs nothing more; a symlink
 * to a directory is followed only with --follow-symlinks, and one that leads
 * back to a directory being walked (a cycle) is reported.
 */
struct cli_dir {
	dev_t dev;
	ino_t ino;
	bool open;		/* being walked: reaching it again is a cycle */
};

struct cli_walker {
	struct cli_files *fs;
	const char *root;
	bool follow;
	struct cli_dir *dirs;
	int nr, cap;
};

#define CLI_WALK_DEPTH 64

/* Every *.pin below dir.  PL_EXIT_USAGE after a message, PL_EXIT_INTERNAL: out of memory. */
static int cli_walk(struct cli_walker *w, const char *dir, int depth)
{
	struct stat st;
	struct dirent *e;
	int ret = 0, me;
	DIR *d;

	if (stat(dir, &st)) {
		cli_path_error(dir, strerror(errno));
		return PL_EXIT_USAGE;
	}
	for (int i = 0; i < w->nr; i++) {
		if (w->dirs[i].dev != st.st_dev || w->dirs[i].ino != st.st_ino)
			continue;
		if (!w->dirs[i].open)
			return 0;	/* reached before by another path: its files are in */
		cli_path_error(dir, "a symlink cycle: this directory contains itself "
			       "(not walked again)");
		return PL_EXIT_USAGE;
	}
	if (depth > CLI_WALK_DEPTH) {
		cli_path_error(dir, "directories nested too deep (not walked)");
		return PL_EXIT_USAGE;
	}
	if (w->nr == w->cap) {
		int cap = w->cap ? 2 * w->cap : 16;
		struct cli_dir *n = realloc(w->dirs, (size_t)cap * sizeof(*n));

		if (!n)
			return PL_EXIT_INTERNAL;
		w->dirs = n;
		w->cap = cap;
	}
	me = w->nr++;
	w->dirs[me] = (struct cli_dir){ .dev = st.st_dev, .ino = st.st_ino, .open = true };
	d = opendir(dir);
	if (!d) {
		if (errno == ENOMEM)
			return PL_EXIT_INTERNAL;
		cli_path_error(dir, strerror(errno));
		return PL_EXIT_USAGE;
	}
	while (ret != PL_EXIT_INTERNAL && (e = readdir(d))) {
		struct stat lst;
		char *path;
		size_t n;
		int r = 0;

		if (e->d_name[0] == '.')
			continue;
		n = strlen(dir) + strlen(e->d_name) + 2;
		path = malloc(n);
		if (!path) {
			ret = PL_EXIT_INTERNAL;
			break;
		}
		snprintf(path, n, "%s%s%s", dir, cli_has_suffix(dir, "/") ? "" : "/", e->d_name);
		if (lstat(path, &lst) == 0 && (!S_ISLNK(lst.st_mode) || stat(path, &st) == 0)) {
			bool link = S_ISLNK(lst.st_mode);

			if (!link)
				st = lst;
			if (S_ISDIR(st.st_mode) && (!link || w->follow))
				r = cli_walk(w, path, depth + 1);
			else if (S_ISREG(st.st_mode) && cli_has_suffix(e->d_name, ".pin"))
				r = cli_add(w->fs, path, w->root);
		}
		if (r > ret)
			ret = r;
		free(path);
	}
	closedir(d);
	w->dirs[me].open = false;
	return ret;
}

/*
 * All of fd, at most @max bytes; NULL with *why set (errno ENOMEM when out
 * of memory).
 */
static char *cli_read_fd(int fd, uint64_t max, size_t *len, const char **why)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;

	for (;;) {
		ssize_t got;

		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 8192;
			char *b;

			if (ncap > max + 1)
				ncap = max + 1;
			b = realloc(buf, ncap);
			if (!b) {
				free(buf);
				errno = ENOMEM;
				*why = strerror(ENOMEM);
				return NULL;
			}
			buf = b;
			cap = ncap;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*why = strerror(errno);
			free(buf);
			errno = EIO;
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			free(buf);
			errno = EFBIG;
			*why = "larger than the input limit (--max-input SIZE raises it; "
			       "default 16M)";
			return NULL;
		}
	}
	*len = n;
	return buf;
}

static const char *cli_file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ?
	       "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

/*
 * A scenario file's text.  Only regular files are read (a FIFO or a device
 * could block or never end; "-" is the way to read a stream), and at most
 * @max bytes of anything.  NULL with *why set.
 */
static char *cli_read(const struct cli_file *cf, uint64_t max, size_t *len, const char **why)
{
	struct stat st;
	char *buf;
	int fd;

	if (cf->is_stdin)
		return cli_read_fd(STDIN_FILENO, max, len, why);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer */
	fd = open(cf->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st)) {
		*why = strerror(errno);
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		*why = S_ISDIR(st.st_mode) ? strerror(EISDIR) : cli_file_kind(st.st_mode);
		close(fd);
		return NULL;
	}
	errno = 0;
	buf = cli_read_fd(fd, max, len, why);
	close(fd);
	return buf;
}

/* One PATH operand: "-" (stdin), a file, or a directory to walk. */
static int cli_load_path(struct cli_files *out, const char *path, bool follow)
{
	struct cli_walker w = { .fs = out, .root = path, .follow = follow };
	struct stat st;
	int first = out->n, ret;

	if (!strcmp(path, "-")) {
		ret = cli_add(out, CLI_STDIN, NULL);
		if (out->n > first)	/* added, even if out of memory after that */
			out->f[out->n - 1].is_stdin = true;
		return ret;
	}
	if (stat(path, &st) != 0) {
		cli_path_error(path, strerror(errno));
		return PL_EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode))
		return cli_add(out, path, NULL);
	ret = cli_walk(&w, path, 0);
	free(w.dirs);
	if (ret == PL_EXIT_INTERNAL)
		return ret;
	if (out->n > first) {
		qsort(out->f + first, (size_t)(out->n - first), sizeof(*out->f), cli_cmp_path);
	} else if (!ret) {
		cli_path_error(path, "no .pin files in this directory");
		ret = PL_EXIT_USAGE;
	}
	return ret;
}

int cli_load(char **paths, int nr_paths, struct cli_files *out)
{
	return cli_load_opts(paths, nr_paths, out, NULL);
}

int cli_load_opts(char **paths, int nr_paths, struct cli_files *out, const struct cli_opts *o)
{
	uint64_t max = o && o->max_input ? o->max_input : CLI_MAX_INPUT;
	int ret = PL_EXIT_OK, nr_stdin = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < nr_paths; i++) {
		int r;

		if (!strcmp(paths[i], "-") && nr_stdin++) {
			fputs("pinlab: '-' (standard input) can be given only once\n", stderr);
			ret = PL_EXIT_USAGE;
			continue;
		}
		r = cli_load_path(out, paths[i], o && o->follow_symlinks);
		if (r == PL_EXIT_INTERNAL)
			return cli_oom();
		if (r)
			ret = r;
	}
	/* every file is loaded and checked, so every error is reported at once */
	for (int i = 0; i < out->n; i++) {
		struct cli_file *f = &out->f[i];
		struct pl_diag_list diags;
		const char *why = NULL;
		int r;

		f->text = cli_read(f, max, &f->len, &why);
		if (!f->text) {
			if (errno == ENOMEM)
				return cli_oom();
			if (errno == EINVAL) {	/* not a regular file */
				char msg[128];

				snprintf(msg, sizeof(msg), "%s, not a regular file (only '-' reads "
					 "a stream)", why);
				why = msg;
				cli_path_error(f->path, why);
			} else {
				cli_path_error(f->path, why);
			}
			ret = PL_EXIT_USAGE;
			continue;
		}
		r = pl_lang_load(f->path, f->text, f->len, &f->sc, &diags);
		if (r == -ENOMEM)
			return cli_oom();
		if (r) {
			pl_diag_print(&diags, stderr, isatty(STDERR_FILENO));
			ret = PL_EXIT_USAGE;
		}
	}
	return ret;
}

int cli_load_history(char **names, int nr_names, struct cli_files *out)
{
	int n;
	const struct pl_hist_case *hc = pl_hist_cases(&n);

	memset(out, 0, sizeof(*out));
	for (int c = 0; c < n; c++) {
		bool selected = nr_names == 0;
		struct pl_diag_list diags;
		struct cli_file *f;
		int r;

		for (int i = 0; i < nr_names; i++)
			selected |= !strcmp(names[i], hc[c].name);
		if (!selected)
			continue;
		if (cli_add(out, hc[c].path, NULL))
			return cli_oom();
		f = &out->f[out->n - 1];
		f->len = strlen(hc[c].text);
		f->text = strdup(hc[c].text);
		if (!f->text)
			return cli_oom();
		r = pl_lang_load(f->path, f->text, f->len, &f->sc, &diags);
		if (r == -ENOMEM)
			return cli_oom();
		if (r) {	/* the build took scenarios/history/ as it was: ours to fix */
			pl_diag_print(&diags, stderr, false);
			fprintf(stderr, "pinlab: internal error: built-in history case %s does not "
				"load\n", hc[c].name);
			return PL_EXIT_INTERNAL;
		}
	}
	return PL_EXIT_OK;
}

void cli_files_free(struct cli_files *fs)
{
	for (int i = 0; i < fs->n; i++) {
		pl_scenario_free(fs->f[i].sc);
		free(fs->f[i].path);
		free(fs->f[i].id);
		free(fs->f[i].text);
	}
	free(fs->f);
	memset(fs, 0, sizeof(*fs));
}

int cli_backings(const struct pl_scenario *sc, int backing, int *idx)
{
	int n = sc->nr_backings < CLI_MAX_BACKINGS ? sc->nr_backings : CLI_MAX_BACKINGS;

	if (backing >= 0) {
		idx[0] = backing;
		return 1;
	}
	for (int i = 0; i < n; i++)
		idx[i] = sc->backings[i].idx;
	return n;
}
