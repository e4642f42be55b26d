/*
 * cli.c - helpers the subcommands share: usage errors, option parsing, "did
 * you mean", out of memory, output files and signals.  Finding and loading
 * scenario files is in files.c.
 */
#include "cli.h"

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

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pinlab: %s%s", cmd ? cmd : "", cmd ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pinlab help%s%s'.\n", cmd ? " " : "", cmd ? cmd : "");
	return PL_EXIT_USAGE;
}

bool cli_color(void)
{
	return isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
}

/* ---------------------------------------------------------------------------
 * Options.
 */
static const char *cli_value(const char *cmd, int argc, char **argv, int *i)
{
	if (*i + 1 >= argc) {
		cli_usage_error(cmd, "option '%s' needs a value", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

/* "16M", "4096", "2G": bytes; -1 if not a size. */
int cli_size(const char *v, uint64_t *out)
{
	unsigned long long u;
	char *end;
	int shift = 0;

	errno = 0;
	u = strtoull(v, &end, 10);
	if (errno || end == v || v[0] == '-')
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M')
		shift = 20;
	else if (*end == 'G')
		shift = 30;
	else if (*end == 'T')
		shift = 40;
	if (shift)
		end++;
	if (*end || (shift && u > (~0ull >> shift)))
		return -1;
	*out = (uint64_t)u << shift;
	return 0;
}

static const char *cli_knob_hint(char *buf, size_t len, const char *assignment);

static int cli_check_set(const char *cmd, const char *assignment)
{
	struct pl_policy p = pl_preset_find("latest")->policy;
	char err[160], hint[96];

	if (pl_fact_is(assignment)) {
		/* a host fact (zero_page=off ...): checked on a scratch world */
		struct world *w = pl_world_new(&p, NULL);
		int ret = pl_world_set_fact(w, assignment, err, sizeof(err));

		pl_world_free(w);
		return ret ? cli_usage_error(cmd, "--set: %s", err) : 0;
	}
	if (pl_policy_set(&p, assignment, err, sizeof(err)))
		return cli_usage_error(cmd, "--set: %s%s", err,
				       cli_knob_hint(hint, sizeof(hint), assignment));
	return 0;
}

/* ---------------------------------------------------------------------------
 * "did you mean ...?": the candidate nearest to a mistyped word.
 */
static size_t cli_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], prev, tmp;

	if (lb >= sizeof(row) / sizeof(row[0]) || la >= 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *cli_suggest(const char *word, const char *const *cands, int n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(word), limit = len < 6 ? 2 : len / 3;

	for (int i = 0; i < n; i++) {
		size_t d = cli_distance(word, cands[i]);

		/* a prefix of the word ("--pres" for "--presets") counts as close */
		if (len >= 3 && !strncmp(cands[i], word, len))
			d = d < 1 ? d : 1;
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	return best_d <= limit ? best : NULL;
}

/* " (did you mean 'x'?)" or "" */
static const char *cli_hint(char *buf, size_t len, const char *word, const char *const *cands,
			    int n)
{
	const char *s = cli_suggest(word, cands, n);

	if (!s)
		return "";
	snprintf(buf, len, "; did you mean '%s'?", s);
	return buf;
}

const char *cli_preset_hint(char *buf, size_t len, const char *name)
{
	const char *names[64];
	int np;
	const struct pl_preset *p = pl_presets(&np);

	for (int i = 0; i < np && i < 64; i++)
		names[i] = p[i].name;
	return cli_hint(buf, len, name, names, np < 64 ? np : 64);
}

static const char *cli_backing_hint(char *buf, size_t len, const char *name)
{
	const char *names[256];
	int nb;
	const struct pl_backing *b = pl_backings(&nb);

	for (int i = 0; i < nb && i < 256; i++)
		names[i] = b[i].name;
	return cli_hint(buf, len, name, names, nb < 256 ? nb : 256);
}

/* The knob of "knob=value", for a --set whose knob is unknown. */
static const char *cli_knob_hint(char *buf, size_t len, const char *assignment)
{
	const char *names[128];
	char knob[64];
	int nk;
	const struct pl_knob *k = pl_knobs(&nk);

	snprintf(knob, sizeof(knob), "%.*s", (int)strcspn(assignment, "="), assignment);
	for (int i = 0; i < nk && i < 128; i++) {
		if (!strcmp(k[i].name, knob))
			return "";
		names[i] = k[i].name;
	}
	return cli_hint(buf, len, knob, names, nk < 128 ? nk : 128);
}

/*
 * The options of cli_parse(), for short forms, --opt=value and suggestions:
 * which CLI_* bit allows each, its short form, and whether it takes a value.
 */
static const struct cli_option {
	unsigned int bit;		/* 0: every command */
	const char *name;
	char short_name;
	bool value;
} cli_options[] = {
	{ CLI_PRESET, "--preset", 'p', true },
	{ CLI_PRESETS, "--presets", 0, true },
	{ CLI_ALL, "--all-presets", 0, false },
	{ CLI_BACKING, "--backing", 0, true },
	{ CLI_SET, "--set", 0, true },
	{ CLI_FORMAT, "--format", 'f', true },
	{ CLI_OUTPUT, "--output", 'o', true },
	{ CLI_TRACE, "--trace", 'v', false },
	{ CLI_QUIET, "--quiet", 'q', false },
	{ CLI_JOBS, "--jobs", 'j', true },
	{ CLI_DIFF, "--diff", 0, true },
	{ CLI_AT, "--at", 0, true },
	{ CLI_SWAPFILE, "--allow-swapfile", 0, false },
	{ CLI_LIST, "--list", 0, false },
	{ CLI_KERNEL, "--kernel", 0, true },
	{ CLI_LIMITS, "--max-steps", 0, true },
	{ CLI_LIMITS, "--max-pages", 0, true },
	{ CLI_CHECK, "--check", 0, true },
	{ CLI_HOST, "--lock-timeout", 0, true },
	{ 0, "--max-input", 0, true },
	{ 0, "--follow-symlinks", 0, false },
	{ 0, "--help", 'h', false },
};

#define CLI_NR_OPTIONS ((int)(sizeof(cli_options) / sizeof(cli_options[0])))

static const struct cli_option *cli_option_find(const char *name, size_t len, unsigned int allowed)
{
	for (int i = 0; i < CLI_NR_OPTIONS; i++) {
		const struct cli_option *op = &cli_options[i];

		if ((!op->bit || (allowed & op->bit)) && strlen(op->name) == len &&
		    !strncmp(op->name, name, len))
			return op;
	}
	return NULL;
}

static int cli_unknown_option(const char *cmd, const char *a, unsigned int allowed)
{
	const char *names[CLI_NR_OPTIONS];
	char hint[96], word[64];
	int n = 0;

	for (int i = 0; i < CLI_NR_OPTIONS; i++)
		if (!cli_options[i].bit || (allowed & cli_options[i].bit))
			names[n++] = cli_options[i].name;
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(a, "="), a);
	return cli_usage_error(cmd, "unknown option '%s'%s", a,
			       cli_hint(hint, sizeof(hint), word, names, n));
}

/*
 * The preset of the kernel uname() describes.  A distribution's release
 * string names its ABI ("6.1.0-27-amd64"); its version string names the
 * stable release ("... Debian 6.1.192-3 ..."), which pl_preset_for_kernel()
 * prefers.
 */
const struct pl_preset *cli_uname_preset(const struct utsname *u)
{
	char both[sizeof(u->release) + sizeof(u->version) + 2];

	snprintf(both, sizeof(both), "%s %s", u->release, u->version);
	return pl_preset_for_kernel(both);
}

const struct pl_preset *cli_preset_find(const char *name)
{
	const struct pl_preset *p = pl_preset_find(name);

	if (p)
		return p;
	if (name[0] < '0' || name[0] > '9')
		return NULL;
	for (const char *c = name; *c; c++)
		if (!((*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '+' ||
		      (*c >= 'a' && *c <= 'z')))
			return NULL;
	return pl_preset_for_kernel(name);
}

/* LIST: "v5.7,v6.1", "5.4..6.1", "v5.8..latest" -> names (oldest first, once each); -1 if bad. */
static int cli_presets_parse(const char *cmd, const char *list, const char **names, int max)
{
	int np, n = 0;
	const struct pl_preset *all = pl_presets(&np);
	bool want[64] = { false };
	char item[64];

	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");
		const char *dots;
		int lo, hi;

		if (!len || len >= sizeof(item))
			return cli_usage_error(cmd, "--presets: bad list '%s'", list), -1;
		memcpy(item, s, len);
		item[len] = 0;
		s += len + (s[len] == ',');
		dots = strstr(item, "..");
		if (dots) {
			const struct pl_preset *a, *b;

			item[dots - item] = 0;
			a = cli_preset_find(item[0] ? item : all[0].name);
			b = cli_preset_find(dots[2] ? dots + 2 : all[np - 1].name);
			if (!a || !b)
				return cli_usage_error(cmd, "--presets: unknown preset '%s' (see "
						       "'pinlab presets')", !a ? item : dots + 2), -1;
			/* a stable release's own preset ranks as its checkpoint */
			lo = pl_preset_index(a->base ? a->base : a->name);
			hi = pl_preset_index(b->base ? b->base : b->name);
			if (lo > hi)
				return cli_usage_error(cmd, "--presets: empty range '%s..%s'",
						       item, dots + 2), -1;
		} else {
			const struct pl_preset *a = cli_preset_find(item);

			if (!a)
				return cli_usage_error(cmd, "--presets: unknown preset '%s' (see "
						       "'pinlab presets')", item), -1;
			lo = hi = pl_preset_index(a->base ? a->base : a->name);
		}
		for (int i = lo; i <= hi && i < 64; i++)
			want[i] = true;
	}
	for (int i = 0; i < np && i < 64 && n < max; i++)
		if (want[i])
			names[n++] = all[i].name;
	return n;
}

int cli_presets(const struct cli_opts *o, const char **names, int max, bool all_by_default)
{
	int np, n = 0;
	const struct pl_preset *p = pl_presets(&np);

	if (o->presets)
		return cli_presets_parse(NULL, o->presets, names, max);
	if (o->preset || (!o->all_presets && !all_by_default)) {
		names[0] = o->preset ? o->preset : "latest";
		return 1;
	}
	for (int i = 0; i < np && n < max; i++)
		names[n++] = p[i].name;
	return n;
}

static int cli_parse_one(const char *cmd, int argc, char **argv, int *i, unsigned int allowed,
			 struct cli_opts *o)
{
	const char *a = argv[*i], *v;
	char *end, hint[96];
	long n;

	if ((allowed & CLI_PRESET) && (!strcmp(a, "--preset") || !strcmp(a, "-p"))) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		if (!cli_preset_find(v))
			return cli_usage_error(cmd, "unknown preset '%s' (see 'pinlab presets')%s",
					       v, cli_preset_hint(hint, sizeof(hint), v));
		o->preset = cli_preset_find(v)->name;
	} else if ((allowed & CLI_PRESETS) && !strcmp(a, "--presets")) {
		const char *names[64];

		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		if (cli_presets_parse(cmd, v, names, 64) < 0)
			return PL_EXIT_USAGE;
		o->presets = v;
	} else if ((allowed & CLI_OUTPUT) && (!strcmp(a, "--output") || !strcmp(a, "-o"))) {
		if (!(o->output = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
	} else if ((allowed & CLI_JOBS) && (!strcmp(a, "--jobs") || !strcmp(a, "-j"))) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < 1 || n > 64)
			return cli_usage_error(cmd, "--jobs expects a number from 1 to 64, "
					       "found '%s'", v);
		o->jobs = (int)n;
	} else if ((allowed & CLI_DIFF) && !strcmp(a, "--diff")) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		if (o->nr_diffs == CLI_MAX_DIFFS)
			return cli_usage_error(cmd, "at most %d --diff files", CLI_MAX_DIFFS);
		o->diffs[o->nr_diffs++] = v;
	} else if ((allowed & CLI_QUIET) && !strcmp(a, "--quiet")) {
		o->quiet = true;
	} else if ((allowed & CLI_ALL) && !strcmp(a, "--all-presets")) {
		o->all_presets = true;
	} else if ((allowed & CLI_BACKING) && !strcmp(a, "--backing")) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		o->backing_idx = pl_backing_find(v, strlen(v));
		if (o->backing_idx < 0)
			return cli_usage_error(cmd, "unknown backing '%s' (see 'pinlab help run')%s",
					       v, cli_backing_hint(hint, sizeof(hint), v));
		o->backing = v;
	} else if ((allowed & CLI_SET) && !strcmp(a, "--set")) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		if (o->nr_sets == CLI_MAX_SETS)
			return cli_usage_error(cmd, "too many --set options");
		if (cli_check_set(cmd, v))
			return PL_EXIT_USAGE;
		o->sets[o->nr_sets++] = v;
	} else if ((allowed & CLI_FORMAT) && !strcmp(a, "--format")) {
		if (!(o->format = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
	} else if ((allowed & CLI_KERNEL) && !strcmp(a, "--kernel")) {
		if (!(o->kernel = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
	} else if ((allowed & CLI_TRACE) && !strcmp(a, "--trace")) {
		o->trace = true;
	} else if ((allowed & CLI_LIST) && !strcmp(a, "--list")) {
		o->list = true;
	} else if ((allowed & CLI_SWAPFILE) && !strcmp(a, "--allow-swapfile")) {
		o->allow_swapfile = true;
	} else if ((allowed & CLI_HOST) && !strcmp(a, "--host-max-memory")) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		if (cli_size(v, &o->host_max_memory) || !o->host_max_memory)
			return cli_usage_error(cmd, "--host-max-memory expects a size (a K, M, G "
					       "or T suffix allowed), found '%s'", v);
	} else if ((allowed & CLI_HOST) && !strcmp(a, "--lock-timeout")) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || end == v || *end || n < 0 || n > 86400)
			return cli_usage_error(cmd, "--lock-timeout expects seconds (0 to 86400), "
					       "found '%s'", v);
		o->lock_timeout = (int)n;
	} else if ((allowed & CLI_LIMITS) && !strcmp(a, "--max-time")) {
		double secs;

		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		errno = 0;
		secs = strtod(v, &end);
		if (errno || end == v || *end || !(secs >= 0.001) || secs > 1e9)
			return cli_usage_error(cmd, "--max-time expects seconds (at least 0.001), "
					       "found '%s'", v);
		o->max_ms = (uint64_t)(secs * 1000);
	} else if ((allowed & CLI_LIMITS) &&
		   (!strcmp(a, "--max-steps") || !strcmp(a, "--max-pages") ||
		    !strcmp(a, "--max-procs"))) {
		unsigned long long u;

		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		errno = 0;
		u = strtoull(v, &end, 10);
		if (errno || end == v || *end || u < 1 || v[0] == '-')
			return cli_usage_error(cmd, "%s expects a number of at least 1, found '%s'",
					       a, v);
		if (!strcmp(a, "--max-steps"))
			o->max_steps = u;
		else if (!strcmp(a, "--max-procs"))
			o->max_procs = u;
		else
			o->max_pages = u;
	} else if ((allowed & CLI_CHECK) && !strncmp(a, "--check=", 8)) {
		if (strcmp(a + 8, "full") && strcmp(a + 8, "changed"))
			return cli_usage_error(cmd, "--check expects full or changed, found '%s'",
					       a + 8);
		o->check_full = !strcmp(a + 8, "full");
	} else if (!strcmp(a, "--max-input")) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		if (cli_size(v, &o->max_input) || o->max_input < 1)
			return cli_usage_error(cmd, "--max-input expects a size in bytes (a K, M "
					       "or G suffix allowed), found '%s'", v);
	} else if (!strcmp(a, "--follow-symlinks")) {
		o->follow_symlinks = true;
	} else if ((allowed & CLI_AT) && !strcmp(a, "--at")) {
		if (!(v = cli_value(cmd, argc, argv, i)))
			return PL_EXIT_USAGE;
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || n < 1 || n > 1000000)
			return cli_usage_error(cmd, "--at expects a step number, found '%s'", v);
		o->at = (int)n;
	} else {
		return cli_unknown_option(cmd, a, allowed);
	}
	return 0;
}

/*
 * getopt_long's spellings of an option: "-p V", "-pV" and "--preset=V" are
 * "--preset V"; "-v" is "--trace".  argv[*i] is a short option or a long one
 * with '='.
 */
static int cli_parse_split(const char *cmd, int argc, char **argv, int *i, unsigned int allowed,
			   struct cli_opts *o)
{
	const char *a = argv[*i], *val = NULL;
	const struct cli_option *op = NULL;
	char *two[3];
	int j = 0, n;

	if (a[1] != '-') {
		for (int k = 0; k < CLI_NR_OPTIONS && !op; k++)
			if (cli_options[k].short_name == a[1] &&
			    (!cli_options[k].bit || (allowed & cli_options[k].bit)))
				op = &cli_options[k];
		if (!op)
			return cli_unknown_option(cmd, a, allowed);
		if (a[2] && !op->value)
			return cli_usage_error(cmd, "option '-%c' takes no value (in '%s')", a[1], a);
		if (a[2])
			val = a + 2;
		else if (op->value && *i + 1 < argc)
			val = argv[++*i];
		else if (op->value)
			return cli_usage_error(cmd, "option '-%c' needs a value", a[1]);
	} else {
		const char *eq = strchr(a, '=');

		op = cli_option_find(a, (size_t)(eq - a), allowed);
		if (!op)
			return cli_unknown_option(cmd, a, allowed);
		if (!op->value)
			return cli_usage_error(cmd, "option '%s' takes no value (in '%s')", op->name,
					       a);
		val = eq + 1;
	}
	two[0] = (char *)op->name;
	two[1] = (char *)val;
	two[2] = NULL;
	n = val ? 2 : 1;
	return cli_parse_one(cmd, n, two, &j, allowed, o);
}

int cli_parse(const char *cmd, int argc, char **argv, unsigned int allowed, struct cli_opts *o)
{
	bool dashdash = false;

	memset(o, 0, sizeof(*o));
	o->backing_idx = -1;
	o->lock_timeout = -1;
	o->args = calloc((size_t)argc + 1, sizeof(*o->args));
	if (!o->args)
		return cli_oom();
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || !a[1]) {
			o->args[o->nr_args++] = argv[i];
		} else if (!strcmp(a, "--")) {
			dashdash = true;
		} else if (a[1] != '-' || (strchr(a, '=') && strncmp(a, "--check=", 8))) {
			if (cli_parse_split(cmd, argc, argv, &i, allowed, o))
				return PL_EXIT_USAGE;
		} else if (cli_parse_one(cmd, argc, argv, &i, allowed, o)) {
			return PL_EXIT_USAGE;
		}
	}
	if (!!o->preset + o->all_presets + !!o->presets > 1)
		return cli_usage_error(cmd, "--preset, --presets and --all-presets exclude each other");
	return 0;
}

void cli_opts_free(struct cli_opts *o)
{
	free(o->args);
	o->args = NULL;
}

struct pl_policy cli_policy(const char *preset, const struct cli_opts *o)
{
	struct pl_policy p = pl_preset_find(preset)->policy;
	char err[160];

	for (int i = 0; i < o->nr_sets; i++)
		if (!pl_fact_is(o->sets[i]))	/* facts go to the world (backend_model.c) */
			pl_policy_set(&p, o->sets[i], err, sizeof(err));	/* checked by cli_parse */
	return p;
}

/* ---------------------------------------------------------------------------
 * Out of memory.  Every allocation failure anywhere below the CLI comes back
 * here as -ENOMEM (or NULL) and ends the command with this one message and
 * exit status 3, after the command has freed what it holds and removed any
 * output file it had begun.
 */
int cli_oom(void)
{
	fputs("pinlab: out of memory\n", stderr);
	return PL_EXIT_INTERNAL;
}

int cli_limit(const struct cli_file *f, const char *preset, int backing, const char *what)
{
	fputs("pinlab: limit: ", stderr);
	pl_path_put(stderr, f->path);
	fprintf(stderr, " [%s %s]: %s\n", preset, pl_backing_info(backing)->name, what);
	return PL_EXIT_INTERNAL;
}

/* "pinlab: PATH: what", with PATH quoted when it needs to be (pl_path_put). */
void cli_path_error(const char *path, const char *what)
{
	fputs("pinlab: ", stderr);
	pl_path_put(stderr, path);
	fprintf(stderr, ": %s\n", what);
}

/* ---------------------------------------------------------------------------
 * Output files.
 */
static mode_t cli_umask(void)
{
	mode_t m = umask(022);

	umask(m);
	return m;
}

static int cli_out_error(const char *path, int err)
{
	char msg[200];

	if (err == ENOMEM)
		return cli_oom();
	snprintf(msg, sizeof(msg), "cannot write: %s", strerror(err));
	cli_path_error(path, msg);
	return PL_EXIT_INTERNAL;
}

/* fn's output on a stream over @fd (closed here); 0 or an errno. */
static int cli_out_stream(int fd, int (*fn)(FILE *f, const void *arg), const void *arg,
			  bool sync)
{
	FILE *f = fdopen(fd, "w");
	int err;

	if (!f) {
		err = errno;
		close(fd);
		return err ? err : ENOMEM;
	}
	errno = 0;
	err = fn(f, arg) ? (errno ? errno : EIO) : 0;
	if (!err && fflush(f))
		err = errno ? errno : EIO;
	if (!err && ferror(f))
		err = EIO;
	if (!err && sync && fsync(fileno(f)) && errno != EINVAL)
		err = errno;
	if (fclose(f) && !err)	/* the one close of fd */
		err = errno ? errno : EIO;
	return err;
}

int cli_write_out(const char *path, int (*fn)(FILE *f, const void *arg), const void *arg)
{
	char *dir, *slash, *tmp = NULL, proc[32];
	struct stat st;
	int fd, err;
	size_t n;

	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			cli_path_error(path, "a symbolic link: not written through (name its "
				       "target)");
			return PL_EXIT_USAGE;
		}
		if (S_ISDIR(st.st_mode))
			return cli_out_error(path, EISDIR);
		if (!S_ISREG(st.st_mode)) {
			/* a device or a FIFO (/dev/null, /dev/full, a pipe): written, never removed */
			fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
			if (fd < 0)
				return cli_out_error(path, errno);
			err = cli_out_stream(fd, fn, arg, false);
			return err ? cli_out_error(path, err) : 0;
		}
	} else if (errno != ENOENT) {
		return cli_out_error(path, errno);
	}
	/*
	 * A regular file, or none yet: written whole to a file with no name in
	 * the same directory, then linked in under a temporary name and renamed
	 * over PATH, so PATH is the old file or the whole new one, never half
	 * of one, and a symlink put at PATH meanwhile is replaced, not followed.
	 */
	n = strlen(path) + 16;
	dir = strdup(path);
	tmp = malloc(n);
	if (!dir || !tmp) {
		free(dir);
		free(tmp);
		return cli_oom();
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0) {
		int fd2 = dup(fd);

		err = fd2 < 0 ? errno : cli_out_stream(fd2, fn, arg, true);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		for (int i = 0; !err; i++) {
			snprintf(tmp, n, "%s.%d.%d~", path, (int)getpid(), i);
			if (!linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW))
				break;
			if (errno != EEXIST || i == 100)
				err = errno;
		}
		close(fd);
	} else {
		/* no O_TMPFILE here: a named temporary file, removed on error */
		snprintf(tmp, n, "%s.XXXXXX", path);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0) {
			err = errno;
		} else {
			fchmod(fd, 0644 & ~cli_umask());
			err = cli_out_stream(fd, fn, arg, true);
			if (err)
				unlink(tmp);
		}
	}
	if (!err && rename(tmp, path)) {
		err = errno;
		unlink(tmp);
	}
	free(dir);
	free(tmp);
	return err ? cli_out_error(path, err) : 0;
}

/* ---------------------------------------------------------------------------
 * Signals.
 */
void cli_catch_signals(void)
{
	pl_host_catch_signals();
}

bool cli_interrupted(void)
{
	return pl_host_interrupted();
}

int cli_interrupted_exit(void)
{
	return 128 + pl_host_signal();
}

const char *cli_signal_name(void)
{
	return pl_host_signal() == SIGTERM ? "SIGTERM" : "SIGINT";
}
