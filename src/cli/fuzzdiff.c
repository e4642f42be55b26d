/*
 * fuzzdiff.c - `pinlab fuzz-diff`: random differential testing, model vs host.
 *
 *	seed S, index i --splitmix64--> a random .pin text (the generator)
 *	        |                                  |
 *	        |                 pl_lang_load (must check: it is a file anyone can replay)
 *	        v                                  v
 *	   model run (preset P)  <-- compare -->  host run      (observed: backend/record)
 *	                              |
 *	                  a disagreement? -> ddmin over steps, then operands
 *	                              -> DIR/s<S>-<i>.pin, printed
 *
 * The generator writes scenario text, not ASTs, so that what fails is the
 * file that is kept and can be replayed with `pinlab diff FILE` (or, errnos
 * of every step compared too, `pinlab fuzz-diff --replay FILE`).  Every line
 * remembers the names it defines and uses: the shrinker drops a line's users
 * with it (a closure over names), and pl_lang_load() is the final judge of
 * whether a candidate is well formed.
 *
 * Checks are `check read X != "~"`: no generated write ever stores "~", so a
 * check states no expectation of its own; what is compared is what the model
 * and the host read (and every step's errno), the same comparison as `diff`.
 *
 * Determinism: scenario i of seed S comes from its own PRNG stream, derived
 * from (S, i) only, and from the host capabilities probed at start (THP, ext4
 * at /tmp, swap, io_uring), which the summary prints.  Nothing printed depends
 * on time or addresses.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "backend/host/backend_host.h"
#include "backend/record/record.h"
#include "fuzzdiff/fuzzdiff.h"
#include "report/report.h"

#define FD_TIMEOUT_MS	10000

static const char fd_usage[] =
	"usage: pinlab fuzz-diff --seed S --count N [-p P] [--format table|json]\n"
	"                        [--keep DIR] [--index I] [--lock-timeout S]\n"
	"       pinlab fuzz-diff --seed S --count N --emit DIR\n"
	"       pinlab fuzz-diff --replay FILE... [--preset P]\n"
	"\n"
	"Random differential testing: generate N random, well-formed scenarios from the\n"
	"language's grammar (pin x fork x COW x unmap interleavings over anonymous, THP,\n"
	"memfd, shmem, tmpfs and ext4 memory, only what the host backend can run), run\n"
	"each under the model and on this kernel, and compare every observation (each\n"
	"check's value, each step's errno) as `pinlab diff` does.  Every disagreement\n"
	"is shrunk (ddmin over steps, then over operands) to a minimal .pin file that\n"
	"`pinlab diff FILE` replays, written to DIR and printed.\n"
	"  --seed S          the seed (a number); scenario i depends only on (S, i)\n"
	"  --count N         how many scenarios (0 .. 1000000)\n"
	"  --index I         only scenario I of the seed (regenerate one alone)\n"
	"  -p, --preset P    the model's preset, by name or kernel release (default:\n"
	"                    the one whose kernel range holds `uname -r`)\n"
	"  -f, --format F    table (default): each disagreement, then one summary line;\n"
	"                    json: one object per disagreement, then a summary object\n"
	"                    {seed, preset, kernel, host, scenarios, steps, disagreements,\n"
	"                    skipped}\n"
	"  --keep DIR        where shrunk scenarios go (default: build/fuzz-diff)\n"
	"                    as s<S>-<I>.pin\n"
	"  --replay FILE...  compare these scenarios (kept ones, or any) as fuzz-diff\n"
	"                    does: `pinlab diff` compares checks and outcomes only,\n"
	"                    this every step's errno too; runs each on its first backing\n"
	CLI_HOST_HELP
	"  --emit DIR        testing: write every generated scenario to DIR as\n"
	"                    s<S>-<I>.pin and run nothing\n"
	"  --test-shrink     testing: run the shrinker on synthetic predicates and\n"
	"                    print what it kept\n"
	"\n"
	"Options as everywhere: '--seed 5' or '--seed=5', '-p 6.1' or '-p6.1', an\n"
	"unambiguous prefix, -- ends them; a progress line on stderr when it is a\n"
	"terminal.\n"
	"Host runs that skip are counted, not compared.  Same seed and count, same\n"
	"host capabilities (printed in the summary): the same scenarios and output.\n"
	"\n"
	"exit status: 0 no disagreement, 1 a disagreement, 2 bad usage, 3 internal\n"
	"error, 130 interrupted\n";

/* ---------------------------------------------------------------------------
 * Running one scenario text under the model and on the host.
 */
enum fd_verdict { FD_AGREE, FD_DISAGREE, FD_SKIP, FD_BAD, FD_ERROR, FD_INTR };

struct fd_dlist {
	struct cli_disagree *d;
	int n, cap;
};

struct fd_ctx {
	struct pl_backend *model, *host;	/* pl_observer_new() wrappers */
	const char *preset;
	struct fd_caps caps;
	struct cli_profile prof;		/* the host's facts, applied to the model */
	struct utsname u;
	int tests;				/* predicate evaluations (shrinker) */
	const char *synthetic;			/* --test-shrink: the outcome wanted */
};

static void fd_collect(void *arg, const struct cli_disagree *d)
{
	struct fd_dlist *l = arg;

	if (!l)
		return;
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 8;
		struct cli_disagree *nd = realloc(l->d, (size_t)cap * sizeof(*nd));

		if (!nd)
			return;	/* the count stays right; only the list is short */
		l->d = nd;
		l->cap = cap;
	}
	l->d[l->n++] = *d;
}

static void fd_step_begin(void *arg, const struct pl_exec_point *at)
{
	if (at->setup)
		pl_observer_setup(arg, true);
}

static void fd_step_end(void *arg, const struct pl_exec_point *at,
			const struct pl_folio_change *changes, int nr_changes)
{
	(void)changes;
	(void)nr_changes;
	if (at->setup)
		pl_observer_setup(arg, false);
}

/* One run of @sc on @be; FD_ERROR (printed) if the executor failed. */
static int fd_exec(struct fd_ctx *c, const struct pl_scenario *sc, struct pl_backend *be,
		   struct pl_result *r)
{
	struct pl_exec_hooks h = { .step_begin = fd_step_begin, .step_end = fd_step_end,
				   .arg = be };
	struct pl_exec_opts eo = { .preset = c->preset, .hooks = &h };
	int ret;

	if (be == c->model) {
		eo.sets = c->prof.sets;
		eo.nr_sets = c->prof.nr_sets;
	}
	ret = pl_exec_run(sc, sc->backings[0].idx, be, &eo, r);

	if (be->end)
		be->end(be);
	if (ret < 0) {
		fprintf(stderr, "pinlab: internal error: fuzz-diff [%s %s]: %s\n", c->preset,
			be->name, ret == -ENOMEM ? "out of memory" : r->detail);
		pl_result_free(r);
		return FD_ERROR;
	}
	return FD_AGREE;
}

/*
 * fd_run() - load @text, run it on both sides (or, for --test-shrink, on the
 * model only, wanting outcome c->synthetic) and compare.  *nr_steps gets the
 * scenario's step count; @out (may be NULL) every disagreement.
 */
static int fd_run(struct fd_ctx *c, const char *text, size_t len, struct fd_dlist *out,
		  int *nr_steps, bool show_errors)
{
	struct pl_scenario *sc;
	struct pl_diag_list diags;
	struct pl_result mr, hr;
	int v;

	c->tests++;
	if (pl_lang_load("fuzz-diff.pin", text, len, &sc, &diags)) {
		if (show_errors) {
			pl_diag_print(&diags, stderr, false);
			fprintf(stderr, "%.*s", (int)len, text);
		}
		return FD_BAD;
	}
	if (nr_steps)
		*nr_steps = sc->nr_steps;
	v = fd_exec(c, sc, c->model, &mr);
	if (v == FD_AGREE && c->synthetic) {
		v = strcmp(mr.outcome, c->synthetic) ? FD_AGREE : FD_DISAGREE;
		pl_result_free(&mr);
		pl_scenario_free(sc);
		return v;
	}
	if (v == FD_AGREE) {
		v = fd_exec(c, sc, c->host, &hr);
		if (v != FD_AGREE) {
			pl_result_free(&mr);
		} else {
			if (pl_host_interrupted())
				v = FD_INTR;
			else if (hr.skipped)
				v = FD_SKIP;
			else if (cli_rec_compare(&mr, c->model, &hr, c->host, fd_collect, out))
				v = FD_DISAGREE;
			pl_result_free(&mr);
			pl_result_free(&hr);
		}
	}
	pl_scenario_free(sc);
	return v;
}

/* --emit: that the scenario checks (printing why not), and its step count. */
static int fd_load_only(const char *text, size_t len, int *nr_steps)
{
	struct pl_scenario *sc;
	struct pl_diag_list diags;

	if (pl_lang_load("fuzz-diff.pin", text, len, &sc, &diags)) {
		pl_diag_print(&diags, stderr, false);
		fprintf(stderr, "%.*s", (int)len, text);
		return FD_BAD;
	}
	*nr_steps = sc->nr_steps;
	pl_scenario_free(sc);
	return FD_AGREE;
}

/* ---------------------------------------------------------------------------
 * Shrinking (src/fuzzdiff/shrink.c) with the runner as its judge.
 */
static bool fd_still_fails(void *arg, const char *text, size_t len)
{
	int v = fd_run(arg, text, len, NULL, NULL, false);

	if (v == FD_ERROR) {
		fprintf(stderr, "pinlab: fuzz-diff: internal error while shrinking\n");
		exit(PL_EXIT_INTERNAL);
	}
	return v == FD_DISAGREE;
}

static int fd_shrink_run(struct fd_ctx *c, struct fd_scen *s, bool *keep)
{
	int n = fd_shrink(s, keep, fd_still_fails, c);

	if (n < 0) {
		fprintf(stderr, "pinlab: out of memory\n");
		exit(PL_EXIT_INTERNAL);
	}
	return n;
}

/* ---------------------------------------------------------------------------
 * The host: what its backend can run.
 */

/* Does a tiny scenario run (not skip) on the host? */
static bool fd_host_can(struct fd_ctx *c, const char *body)
{
	char text[512];
	struct pl_scenario *sc;
	struct pl_diag_list diags;
	struct pl_result r;
	bool ok;
	int n = snprintf(text, sizeof(text), "scenario \"probe\"\n%s", body);

	if (pl_lang_load("fuzz-diff-probe.pin", text, (size_t)n, &sc, &diags))
		return false;
	ok = fd_exec(c, sc, c->host, &r) == FD_AGREE;
	if (ok) {
		ok = !r.skipped && !strcmp(r.outcome, "pass");
		pl_result_free(&r);
	}
	pl_scenario_free(sc);
	return ok;
}

static void fd_probe_caps(struct fd_ctx *c)
{
	c->caps.thp = fd_host_can(c, "process P\n"
				  "P: m = mmap 1 page rw private thp-2048k\n"
				  "P: write m \"x\"\n"
				  "P: check read m[0] == \"x\"\n");
	c->caps.ext4 = fd_host_can(c, "process P\n"
				   "file F ext4 1 page \"x\"\n"
				   "P: m = mmap 1 page rw shared tmpfile\n"
				   "check read F[0] == \"x\"\n");
	c->caps.swap = fd_host_can(c, "swapon 16\n");
	c->caps.iouring = fd_host_can(c, "process P\n"
				      "P: m = mmap 1 page rw private base\n"
				      "P: r = iouring-register m\n"
				      "iouring-unregister r\n");
}

static void fd_caps_str(const struct fd_caps *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", k->thp ? " thp" : "", k->ext4 ? " ext4" : "",
		 k->swap ? " swap" : "", k->iouring ? " io_uring" : "");
	if (!buf[0])
		snprintf(buf, len, " none");
	memmove(buf, buf + 1, strlen(buf));	/* the leading space */
}

/* ---------------------------------------------------------------------------
 * Output.
 */
struct fd_opts {
	uint64_t seed;
	long count;
	long index;		/* -1: all */
	const char *preset;
	bool json;
	const char *keep;
	const char *emit;
	bool test_shrink;
	char **replay;		/* --replay FILE...: argv slice */
	int nr_replay;
	struct cli_opts host;	/* the CLI_HOST options (--lock-timeout) */
};

static int fd_mkdirs(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(path, 0777) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(path, 0777) && errno != EEXIST)
		return -errno;
	return 0;
}

struct fd_text {
	const char *text;
	size_t len;
};

static int fd_write_text(FILE *f, const void *arg)
{
	const struct fd_text *t = arg;

	return fwrite(t->text, 1, t->len, f) != t->len;
}

static int fd_write_file(const char *dir, uint64_t seed, int index, const char *text, size_t len,
			 char *path, size_t plen)
{
	int err = fd_mkdirs(dir);

	snprintf(path, plen, "%s/s%llu-%d.pin", dir, (unsigned long long)seed, index);
	if (err) {
		fprintf(stderr, "pinlab: fuzz-diff: %s: %s\n", dir, strerror(-err));
		return PL_EXIT_INTERNAL;
	}
	struct fd_text t = { text, len };

	return cli_write_out(path, fd_write_text, &t) ? PL_EXIT_INTERNAL : 0;
}

static void fd_print_disagreement(const struct fd_opts *o, const struct fd_scen *s, int steps,
				  int shrunk, const struct fd_dlist *dl, const char *path,
				  const char *text)
{
	if (o->json) {
		printf("{\"seed\": %llu, \"index\": %d, \"file\": ", (unsigned long long)s->seed,
		       s->index);
		pl_json_str(stdout, path);
		printf(", \"steps\": %d, \"shrunk_steps\": %d, \"disagreements\": [", steps,
		       shrunk);
		for (int i = 0; i < dl->n; i++) {
			const struct cli_disagree *d = &dl->d[i];

			printf("%s{", i ? ", " : "");
			if (d->outcome)
				printf("\"what\": \"outcome\"");
			else if (d->ending)
				printf("\"what\": \"ending\", \"model_step\": %d, \"host_step\": %d",
				       d->model_step, d->host_step);
			else
				printf("\"what\": \"step\", \"step\": %d", d->step);
			printf(", \"model\": ");
			pl_json_str(stdout, d->model);
			printf(", \"host\": ");
			pl_json_str(stdout, d->host);
			printf("}");
		}
		printf("], \"pin\": ");
		pl_json_str(stdout, text);
		printf("}\n");
		return;
	}
	printf("fuzz-diff %llu/%d: %d disagreement%s, shrunk from %d to %d steps: %s\n",
	       (unsigned long long)s->seed, s->index, dl->n, dl->n == 1 ? "" : "s", steps, shrunk,
	       path);
	for (int i = 0; i < dl->n; i++) {
		const struct cli_disagree *d = &dl->d[i];

		if (d->outcome)
			printf("    outcome: model %s, host %s\n", d->model, d->host);
		else if (d->ending)
			printf("    ending step: model %s, host %s\n", d->model, d->host);
		else
			printf("    step %d: model %s, host %s\n", d->step, d->model, d->host);
	}
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		int len = e ? (int)(e - p) : (int)strlen(p);

		printf("    | %.*s\n", len, p);
		p += len + (e ? 1 : 0);
	}
}

/* The disagreement notes at the top of a kept file. */
static char *fd_notes(struct fd_ctx *c, const struct fd_dlist *dl, int steps)
{
	size_t cap = 256 + (size_t)dl->n * 800, n;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	n = (size_t)snprintf(t, cap,
			     "# Shrunk from %d steps.  Model (preset %s) vs host (%s) disagree:\n",
			     steps, c->preset, c->u.release);
	for (int i = 0; i < dl->n && n < cap; i++) {
		const struct cli_disagree *d = &dl->d[i];

		if (d->outcome)
			n += (size_t)snprintf(t + n, cap - n, "#   outcome: model %s, host %s\n",
					      d->model, d->host);
		else if (d->ending)
			n += (size_t)snprintf(t + n, cap - n, "#   ending step: model %s, host %s\n",
					      d->model, d->host);
		else
			n += (size_t)snprintf(t + n, cap - n, "#   step %d: model %s, host %s\n",
					      d->step, d->model, d->host);
	}
	return t;
}

/* ---------------------------------------------------------------------------
 * --test-shrink: the shrinker on predicates whose answer is known.
 */
static bool fd_pred_contains(void *arg, int *set, int *n)
{
	const int *want = arg;
	int *calls = (int *)arg + 4;
	int found = 0;

	++*calls;
	for (int w = 0; w < want[3]; w++)
		for (int i = 0; i < *n; i++)
			found += set[i] == want[w];
	return found == want[3];
}

/* ddmin over 0..39 with fd_pred_contains(@arg); print what it kept and how many tests it ran. */
static void fd_test_ddmin(int *arg, const char *want)
{
	int set[40], n;

	for (int i = 0; i < 40; i++)
		set[i] = i;
	n = fd_ddmin(set, 40, fd_pred_contains, arg);
	printf("ddmin 0..39 for {%s}:", want);
	for (int i = 0; i < n; i++)
		printf(" %d", set[i]);
	printf(" (%d tests)\n", arg[4]);
}

static int fd_test_shrink(struct fd_ctx *c)
{
	/* 1. ddmin on numbers: the smallest set holding 3, 17 and 29 */
	int arg[5] = { 3, 17, 29, 3, 0 }, n;
	/* 2. a scenario whose failing check needs P, m1, the fork and C1's write */
	static const char *const lines[] = {
		"process P", "file F1 tmpfs 2 pages \"f1\"",
		"P: m1 = mmap 2 pages rw private base populate", "P: write m1 \"v1\"",
		"P: m2 = mmap 1 page rw shared memfd", "P: write m2 \"v2\"", "P: fork C1",
		"C1: write m1[0..1] \"v3\"", "P: vmsplice m1[0] -> p1", "P: write m1 \"v4\"",
		"C1: check read m1[1] != \"v3\" as leak", "P: check read m1 != \"~\"",
		"check read p1 != \"~\"", "check read F1 != \"~\"",
	};
	static const char *const defs[][2] = {
		{ "P" }, { "F1" }, { "m1" }, { 0 }, { "m2" }, { 0 }, { "C1" }, { 0 }, { "p1" },
		{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
	};
	static const char *const uses[][3] = {
		{ 0 }, { 0 }, { "P" }, { "P", "m1" }, { "P" }, { "P", "m2" }, { "P" },
		{ "C1", "m1" }, { "P", "m1" }, { "P", "m1" }, { "C1", "m1" }, { "P", "m1" },
		{ "p1" }, { "F1" },
	};
	struct fd_scen s = { .seed = 0, .index = 0 };
	bool keep[16];
	size_t len;
	char *text;

	fd_test_ddmin(arg, "3 17 29");
	arg[3] = 1;
	arg[4] = 0;
	fd_test_ddmin(arg, "3");

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct fd_line *l = fd_add(&s, "%s", lines[i]);

		for (int d = 0; d < 2 && defs[i][d]; d++)
			fd_def(l, defs[i][d]);
		for (int u = 0; u < 3 && uses[i][u]; u++)
			fd_use(l, uses[i][u]);
	}
	c->synthetic = "leak";
	c->tests = 0;
	n = fd_shrink_run(c, &s, keep);
	text = fd_render(&s, keep, NULL, &len);
	printf("shrunk a %d-step scenario to %d steps (model outcome leak):\n%s", s.n, n, text);
	free(text);
	fd_scen_free(&s);
	return PL_EXIT_OK;
}

/*
 * --replay FILE...: kept files (or any scenario on base) compared as
 * fuzz-diff compares, every step's errno included, which `pinlab diff`
 * leaves out.
 */
static int fd_replay(struct fd_ctx *c, const struct fd_opts *o)
{
	struct cli_files files;
	int ret = cli_load(o->replay, o->nr_replay, &files), agree = 0, disagree = 0, skip = 0;

	for (int i = 0; !ret && i < files.n && !pl_host_interrupted(); i++) {
		struct fd_dlist dl = { 0 };
		int v = fd_run(c, files.f[i].text, files.f[i].len, &dl, NULL, false);

		if (v == FD_ERROR || v == FD_BAD)
			ret = PL_EXIT_INTERNAL;
		skip += v == FD_SKIP;
		agree += v == FD_AGREE;
		disagree += v == FD_DISAGREE;
		for (int k = 0; k < dl.n; k++) {
			if (dl.d[k].outcome)
				printf("%s: outcome: model %s, host %s\n", files.f[i].path,
				       dl.d[k].model, dl.d[k].host);
			else
				printf("%s: step %d: model %s, host %s\n", files.f[i].path,
				       dl.d[k].step, dl.d[k].model, dl.d[k].host);
		}
		free(dl.d);
	}
	if (!ret && pl_host_interrupted()) {
		printf("interrupted by %s: %d of %d files: %d agree, %d disagree, %d skipped on "
		       "the host (incomplete)\n", cli_signal_name(), agree + disagree + skip,
		       files.n, agree, disagree, skip);
		ret = cli_interrupted_exit();
	} else if (!ret) {
		printf("%d file%s: %d agree, %d disagree, %d skipped on the host\n", files.n,
		       files.n == 1 ? "" : "s", agree, disagree, skip);
		ret = disagree ? PL_EXIT_MISMATCH : PL_EXIT_OK;
	}
	if (pl_host_interrupted())
		ret = cli_interrupted_exit();
	cli_files_free(&files);
	return ret;
}

/* ---------------------------------------------------------------------------
 * The command.
 */
/*
 * The options, through getopt_long(3) as everywhere in pinlab: "--opt value",
 * "--opt=value", an unambiguous prefix, -p/-f, "--" ending them; an unknown
 * one gets "did you mean".  --replay takes the operands as its files.
 */
enum { FD_SEED = 256, FD_COUNT, FD_INDEX, FD_KEEP, FD_EMIT, FD_LOCK, FD_HOSTMEM, FD_REPLAY,
       FD_SHRINK };

static const struct option fd_options[] = {
	{ "seed", required_argument, NULL, FD_SEED },
	{ "count", required_argument, NULL, FD_COUNT },
	{ "index", required_argument, NULL, FD_INDEX },
	{ "preset", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "keep", required_argument, NULL, FD_KEEP },
	{ "emit", required_argument, NULL, FD_EMIT },
	{ "lock-timeout", required_argument, NULL, FD_LOCK },
	{ "host-max-memory", required_argument, NULL, FD_HOSTMEM },
	{ "replay", no_argument, NULL, FD_REPLAY },
	{ "test-shrink", no_argument, NULL, FD_SHRINK },
	{ NULL, 0, NULL, 0 },
};

static int fd_unknown(const char *a)
{
	const char *names[sizeof(fd_options) / sizeof(fd_options[0])];
	char buf[sizeof(names) / sizeof(names[0])][24], word[64];
	const char *s;
	int n = 0;

	for (const struct option *op = fd_options; op->name; op++) {
		snprintf(buf[n], sizeof(buf[n]), "--%s", op->name);
		names[n] = buf[n];
		n++;
	}
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(a, "="), a);
	s = cli_suggest(word, names, n);
	return cli_usage_error("fuzz-diff", "unknown option '%s'%s%s%s", a,
			       s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
}

static int fd_parse(int argc, char **argv, struct fd_opts *o)
{
	bool have_seed = false, have_count = false, replay = false;
	const char *cmd = "fuzz-diff";
	int c;

	memset(o, 0, sizeof(*o));
	o->index = -1;
	o->host.lock_timeout = -1;
	o->keep = "build/fuzz-diff";
	optind = 0;	/* glibc: start over (another command may have parsed) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:f:", fd_options, NULL)) != -1) {
		const char *v = optarg;
		char *end;
		long n;

		errno = 0;
		switch (c) {
		case FD_SEED:
			o->seed = strtoull(v, &end, 0);
			if (errno || end == v || *end || v[0] == '-')
				return cli_usage_error(cmd, "--seed: not a number: '%s'", v);
			have_seed = true;
			break;
		case FD_COUNT:
		case FD_INDEX:
			n = strtol(v, &end, 10);
			if (errno || end == v || *end || n < 0 || n > 1000000)
				return cli_usage_error(cmd, "%s: expected 0..1000000, got '%s'",
						       c == FD_COUNT ? "--count" : "--index", v);
			if (c == FD_COUNT) {
				o->count = n;
				have_count = true;
			} else {
				o->index = n;
			}
			break;
		case 'p': {
			char hint[96];

			if (!cli_preset_find(v))
				return cli_usage_error(cmd, "unknown preset '%s' (see 'pinlab "
						       "presets')%s", v,
						       cli_preset_hint(hint, sizeof(hint), v));
			o->preset = cli_preset_find(v)->name;
			break;
		}
		case 'f':
			if (strcmp(v, "table") && strcmp(v, "text") && strcmp(v, "json"))
				return cli_usage_error(cmd, "unknown format '%s' (expected table "
						       "or json)", v);
			o->json = !strcmp(v, "json");
			break;
		case FD_KEEP:
			o->keep = v;
			break;
		case FD_EMIT:
			o->emit = v;
			break;
		case FD_LOCK:
			n = strtol(v, &end, 10);
			if (errno || end == v || *end || n < 0 || n > 86400)
				return cli_usage_error(cmd, "--lock-timeout expects seconds (0 to "
						       "86400), found '%s'", v);
			o->host.lock_timeout = (int)n;
			break;
		case FD_HOSTMEM:
			if (cli_size(v, &o->host.host_max_memory) || !o->host.host_max_memory)
				return cli_usage_error(cmd, "--host-max-memory expects a size (a K, "
						       "M, G or T suffix allowed), found '%s'", v);
			break;
		case FD_REPLAY:
			replay = true;
			break;
		case FD_SHRINK:
			o->test_shrink = true;
			break;
		case ':':
			return cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt && optopt < 256)
				return cli_usage_error(cmd, "unknown option '-%c'", optopt);
			return fd_unknown(argv[optind - 1]);
		}
	}
	if (replay) {
		o->replay = argv + optind;
		o->nr_replay = argc - optind;
		if (!o->nr_replay)
			return cli_usage_error(cmd, "--replay needs a FILE");
	} else if (optind < argc) {
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	if (o->test_shrink || o->nr_replay)
		return 0;
	if (!have_seed)
		return cli_usage_error(cmd, "--seed S is required");
	if (!have_count && o->index < 0)
		return cli_usage_error(cmd, "--count N (or --index I) is required");
	return 0;
}

static int cmd_fuzz_diff(int argc, char **argv)
{
	struct fd_opts o;
	struct fd_ctx c;
	char caps[128];
	long first, last, scenarios = 0, steps = 0, disagree = 0, skipped = 0;
	struct cli_progress prog = { .on = false };
	int ret = fd_parse(argc, argv, &o);

	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	if (uname(&c.u))
		snprintf(c.u.release, sizeof(c.u.release), "unknown");
	c.preset = o.preset ? o.preset : cli_uname_preset(&c.u)->name;
	c.model = pl_observer_new(pl_model_backend_new(), true);
	pl_host_catch_signals();
	if (!o.emit && !o.test_shrink) {
		struct pl_backend *hb = cli_host_backend("fuzz-diff", &o.host, FD_TIMEOUT_MS);

		if (!hb && pl_host_interrupted()) {
			fprintf(stderr, "pinlab: fuzz-diff: interrupted by %s while waiting for the "
				"host lock\n", cli_signal_name());
			ret = cli_interrupted_exit();
			goto out;
		}
		if (!hb) {
			ret = PL_EXIT_INTERNAL;	/* said why */
			goto out;
		}
		c.host = pl_observer_new(hb, true);
	} else {
		c.host = pl_observer_new(pl_host_backend_new(FD_TIMEOUT_MS), true);
	}
	if (!c.model || !c.host) {
		fprintf(stderr, "pinlab: out of memory\n");
		ret = PL_EXIT_INTERNAL;
		goto out;
	}
	if (o.test_shrink) {
		ret = fd_test_shrink(&c);
		goto out;
	}
	if (!o.emit) {
		ret = cli_profile_get(&c.prof, NULL, c.host);
		if (ret)
			goto out;
		fprintf(stderr, "%s\n", c.prof.line);
	}
	if (o.nr_replay) {
		ret = fd_replay(&c, &o);
		goto out;
	}
	fd_probe_caps(&c);
	fd_caps_str(&c.caps, caps, sizeof(caps));
	/* the facts applied to the model, as "zero_page=false" -> "no-zero-page" */
	for (int i = 0; i < c.prof.nr_sets; i++) {
		size_t at = strlen(caps);

		snprintf(caps + at, sizeof(caps) - at, " no-%.*s", (int)strcspn(c.prof.sets[i], "="),
			 c.prof.sets[i]);
		for (char *u = caps + at; *u; u++)
			if (*u == '_')
				*u = '-';
	}
	first = o.index >= 0 ? o.index : 0;
	last = o.index >= 0 ? o.index + 1 : o.count;
	cli_progress_begin(&prog, "fuzz-diff", last - first);
	for (long i = first; i < last && !ret && !pl_host_interrupted(); i++) {
		struct fd_scen s;
		struct fd_dlist dl = { 0 };
		size_t len;
		char *text, path[4200];
		int nr = 0, v;

		fd_generate(&s, o.seed, (int)i, &c.caps);
		text = fd_render(&s, NULL, NULL, &len);
		if (o.emit) {
			ret = fd_write_file(o.emit, o.seed, (int)i, text, len, path, sizeof(path));
			v = fd_load_only(text, len, &nr);
		} else {
			v = fd_run(&c, text, len, NULL, &nr, true);
		}
		free(text);
		scenarios++;
		steps += nr;
		if (v == FD_BAD) {
			fprintf(stderr, "pinlab: internal error: fuzz-diff: scenario %ld of seed "
				"%llu does not check\n", i, (unsigned long long)o.seed);
			ret = PL_EXIT_INTERNAL;
		} else if (v == FD_ERROR) {
			ret = PL_EXIT_INTERNAL;
		} else if (v == FD_SKIP) {
			skipped++;
		} else if (v == FD_DISAGREE) {
			bool *keep = calloc((size_t)s.n + 1, sizeof(bool));
			char *notes;
			int n;

			if (!keep) {
				ret = PL_EXIT_INTERNAL;
				fd_scen_free(&s);
				break;
			}
			disagree++;
			n = fd_shrink_run(&c, &s, keep);
			text = fd_render(&s, keep, NULL, &len);
			fd_run(&c, text, len, &dl, NULL, false);
			free(text);
			notes = fd_notes(&c, &dl, nr);
			text = fd_render(&s, keep, notes, &len);
			ret = fd_write_file(o.keep, o.seed, (int)i, text, len, path, sizeof(path));
			if (!ret)
				fd_print_disagreement(&o, &s, nr, n, &dl, path, text);
			free(text);
			free(notes);
			free(dl.d);
			free(keep);
		}
		fd_scen_free(&s);
		fflush(stdout);
		cli_progress_step(&prog);
	}
	cli_progress_end(&prog);
	if (pl_host_interrupted()) {
		/* the summary of what ran, marked incomplete; destroy() restores the host */
		fprintf(stderr, "pinlab: fuzz-diff: interrupted by %s; workers and temp files "
			"removed, the host restored\n", cli_signal_name());
		ret = 0;
	}
	if (ret)
		goto out;
	if (o.emit)
		printf("fuzz-diff seed %llu: %ld scenarios written to %s (host: %s)\n",
		       (unsigned long long)o.seed, scenarios, o.emit, caps);
	else if (o.json) {
		printf("{\"seed\": %llu, \"preset\": \"%s\", \"kernel\": ",
		       (unsigned long long)o.seed, c.preset);
		pl_json_str(stdout, c.u.release);
		printf(", \"host\": \"%s\", \"scenarios\": %ld, \"steps\": %ld, "
		       "\"disagreements\": %ld, \"skipped\": %ld", caps, scenarios, steps,
		       disagree, skipped);
		if (pl_host_interrupted())
			printf(", \"incomplete\": true, \"signal\": \"%s\"", cli_signal_name());
		printf("}\n");
	}
	else
		printf("fuzz-diff seed %llu: %ld scenarios, %ld steps, %ld disagreement%s, "
		       "%ld skipped (preset %s, kernel %s, host: %s)%s%s\n",
		       (unsigned long long)o.seed, scenarios, steps, disagree,
		       disagree == 1 ? "" : "s", skipped, c.preset, c.u.release, caps,
		       pl_host_interrupted() ? "; incomplete: interrupted by " : "",
		       pl_host_interrupted() ? cli_signal_name() : "");
	ret = pl_host_interrupted() ? cli_interrupted_exit() :
	      disagree ? PL_EXIT_MISMATCH : PL_EXIT_OK;
out:
	if (c.model)
		c.model->destroy(c.model);
	if (c.host)
		c.host->destroy(c.host);
	fflush(stdout);
	return ret;
}

const struct cli_cmd cli_cmd_fuzz_diff = { "fuzz-diff", cmd_fuzz_diff, fd_usage };

