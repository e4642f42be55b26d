/*
 * explore.c - `pinlab explore` and `pinlab replay`: a scenario's parallel
 * group of thread blocks searched by the race explorer (src/explore/), and
 * one schedule of it re-run.
 *
 * The executor (lang/exec.h, "Races") turns the scenario into the three
 * parts the explorer wants: setup() runs everything before the group in a
 * fresh world, each thread runs the steps of one thread block, check() runs
 * the steps after the group and applies the outcome rules.  A schedule fails
 * when its outcome is the one the scenario's expectation names for the
 * preset (`expect CLASS`, `expect xfail CLASS`), or, when it expects pass or
 * a bare xfail, any outcome but pass.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "explore/explore.h"
#include "report/report.h"

static const char explore_usage[] =
	"usage: pinlab explore FILE [--preset P] [--backing B] [--set knob=value]...\n"
	"                      [--bound K] [--max-schedules N] [--max-states N] [--all]\n"
	"                      [--por] [--max-steps N] [--max-pages N]\n"
	"                      [--shard K/N] [--jobs N] [--out F.sched] [--result R]\n"
	"                      [--format table|json]\n"
	"       pinlab explore --merge R... [--out F.sched] [--format table|json]\n"
	"\n"
	"Search the interleavings of the scenario's thread blocks (one parallel group)\n"
	"for a schedule that fails: every sync point of the model (locks, READ_ONCE,\n"
	"atomics, seqcounts, GUP-fast's lockless walk ...) inside the threads' steps is\n"
	"a place where another thread may run first.  Steps before the group make the\n"
	"world every schedule starts from (run once, then copied for each schedule);\n"
	"steps after it are the check.\n"
	"\n"
	"  --preset P          era preset (default: latest)\n"
	"  --backing B         backing (default: each of the scenario's matrix)\n"
	"  --set knob=value    override one policy knob; repeatable\n"
	"  --bound K           preemption bound (default 2; bounds 0..K are searched in\n"
	"                      turn, so the first failure has the fewest preemptions)\n"
	"  --max-schedules N   stop after N schedules (the search is then incomplete)\n"
	"  --max-states N      stop when N distinct end states were seen (incomplete;\n"
	"                      default 1000000: the state set is the memory a search\n"
	"                      grows)\n"
	"  --max-steps N, --max-pages N  limits of each schedule's run, as for\n"
	"                      'pinlab run' (a schedule that reaches one ends the\n"
	"                      command: \"pinlab: limit: ...\", exit 3)\n"
	"  --all               do not stop at the first failure: count them all\n"
	"  --por               sleep sets: skip reorderings of independent steps\n"
	"  --shard K/N         explore only shard K (0-based) of N; the shards of one\n"
	"                      search partition its schedules exactly\n"
	"  --jobs N            N worker processes on this machine\n"
	"  --out F.sched       write the (minimised) failing schedule to F.sched\n"
	"  --result R          write the search result (counts, end states, failure) to\n"
	"                      R, for --merge\n"
	"  --merge R...        combine shard results written with --result\n"
	"  --format F          table (default) or json (one object per backing)\n"
	"\n"
	"A failing schedule is printed as one column per thread.  Its outcome is\n"
	"compared with the expectation: `expect CLASS` or `expect xfail CLASS` on the\n"
	"preset means the search must find a schedule with that outcome; `expect pass`\n"
	"means it must not find a failing one; a bare `expect xfail` accepts both.\n"
	"\n"
	"exit status: 0 the result matches the expectation, 1 it does not, 2 bad input\n"
	"or usage (also: no thread blocks, or more than one parallel group), 3 internal\n"
	"error\n";

static const char replay_usage[] =
	"usage: pinlab replay FILE F.sched [--preset P] [--backing B] [--set knob=value]...\n"
	"                     [--trace] [--max-steps N] [--max-pages N]\n"
	"\n"
	"Re-run exactly the schedule in F.sched (written by `pinlab explore --out`) on\n"
	"the scenario's thread blocks and print the interleaving, one column per thread,\n"
	"with the model events of each step, then the outcome.\n"
	"\n"
	"  --preset P        era preset (default: latest)\n"
	"  --backing B       backing (default: the first of the scenario's matrix)\n"
	"  --set knob=value  override one policy knob; repeatable\n"
	"  --trace           every step, not only the interesting ones\n"
	"\n"
	"exit status: 0 the outcome matches the expectation as `pinlab explore` reads\n"
	"it (the expected failure reproduced, or a pass where pass is expected), 1 it\n"
	"does not, 2 bad input (also: a schedule that does not fit the scenario)\n";

#define EXPLORE_OPTIONS (CLI_PRESET | CLI_BACKING | CLI_SET | CLI_FORMAT | CLI_LIMITS)
#define REPLAY_OPTIONS (CLI_PRESET | CLI_BACKING | CLI_SET | CLI_TRACE | CLI_LIMITS)

struct xo {
	struct pl_explore_opts eo;
	const char *out;
	const char *result;
	bool merge;
	bool json;
};

static int xo_num(const char *cmd, const char *opt, const char *v, long min, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min)
		return cli_usage_error(cmd, "%s: expected a number of at least %ld, found '%s'",
				       opt, min, v);
	*out = n;
	return 0;
}

/*
 * Take the explorer's options out of argv (the rest goes to cli_parse).
 * rest must hold argc + 1 pointers.
 */
static int xo_parse(int argc, char **argv, struct xo *x, char **rest, int *nrest)
{
	const char *cmd = "explore";
	const char *fresh;

	memset(x, 0, sizeof(*x));
	x->eo = pl_explore_opts_default();
	/* A/B of the set-up run once per search: PINLAB_EXPLORE_FRESH=1 runs it per schedule */
	fresh = getenv("PINLAB_EXPLORE_FRESH");
	x->eo.fresh_worlds = fresh && *fresh && strcmp(fresh, "0");
	*nrest = 0;
	rest[(*nrest)++] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *attached = NULL, *eq = strchr(a, '=');
		char name[32];
		bool has_value;
		const char *v = NULL;
		long n;

		/* getopt_long's spellings: "-j N", "-jN", "--opt=value" */
		if (!strncmp(a, "-j", 2)) {
			attached = a[2] ? a + 2 : NULL;
			a = "--jobs";
		} else if (!strncmp(a, "--", 2) && eq && (size_t)(eq - a) < sizeof(name)) {
			memcpy(name, a, (size_t)(eq - a));
			name[eq - a] = 0;
			a = name;
			attached = eq + 1;
		}
		has_value = !strcmp(a, "--bound") || !strcmp(a, "--max-schedules") ||
			    !strcmp(a, "--max-states") ||
			    !strcmp(a, "--shard") || !strcmp(a, "--jobs") ||
			    !strcmp(a, "--out") || !strcmp(a, "--result");
		if (attached && !has_value)
			a = argv[i];	/* not ours: cli_parse() reads it */
		if (!strcmp(a, "--")) {
			while (i < argc)
				rest[(*nrest)++] = argv[i++];
			break;
		}
		if (has_value && attached) {
			v = attached;
		} else if (has_value) {
			if (i + 1 >= argc)
				return cli_usage_error(cmd, "option '%s' needs a value", a);
			v = argv[++i];
		}
		if (!strcmp(a, "--bound")) {
			if (xo_num(cmd, a, v, 0, &n))
				return PL_EXIT_USAGE;
			x->eo.bound = (int)(n > 64 ? 64 : n);
		} else if (!strcmp(a, "--max-schedules")) {
			if (xo_num(cmd, a, v, 1, &n))
				return PL_EXIT_USAGE;
			x->eo.max_schedules = (uint64_t)n;
		} else if (!strcmp(a, "--max-states")) {
			if (xo_num(cmd, a, v, 1, &n))
				return PL_EXIT_USAGE;
			x->eo.max_states = (uint64_t)n;
		} else if (!strcmp(a, "--jobs")) {
			if (xo_num(cmd, a, v, 1, &n))
				return PL_EXIT_USAGE;
			x->eo.jobs = (int)(n > 64 ? 64 : n);
		} else if (!strcmp(a, "--shard")) {
			int k, nn, len = 0;

			if (sscanf(v, "%d/%d%n", &k, &nn, &len) != 2 || v[len] || nn < 1 ||
			    k < 0 || k >= nn)
				return cli_usage_error(cmd, "--shard: expected K/N with 0 <= K < N, "
						       "found '%s'", v);
			x->eo.shard_k = k;
			x->eo.shard_n = nn;
		} else if (!strcmp(a, "--out")) {
			x->out = v;
		} else if (!strcmp(a, "--result")) {
			x->result = v;
		} else if (!strcmp(a, "--all")) {
			x->eo.all = true;
		} else if (!strcmp(a, "--por")) {
			x->eo.por = true;
		} else if (!strcmp(a, "--merge")) {
			x->merge = true;
		} else {
			rest[(*nrest)++] = argv[i];
			continue;
		}
	}
	rest[*nrest] = NULL;
	return 0;
}

/* ---------------------------------------------------------------------------
 * The scenario as an explorer spec.
 */
static void race_t0(struct world *w, void *arg) { (void)w; pl_exec_race_thread(arg, 0); }
static void race_t1(struct world *w, void *arg) { (void)w; pl_exec_race_thread(arg, 1); }
static void race_t2(struct world *w, void *arg) { (void)w; pl_exec_race_thread(arg, 2); }
static void race_t3(struct world *w, void *arg) { (void)w; pl_exec_race_thread(arg, 3); }

static const pl_thread_fn race_fns[PL_EXEC_RACE_MAX_THREADS] = {
	race_t0, race_t1, race_t2, race_t3,
};

struct race_run {
	struct pl_backend *be;
	struct pl_exec_race *race;
	struct pl_explore_spec spec;
	const char **ignore;		/* every invariant: check() decides by the outcome rules */
	char name[64];
};

static void race_run_free(struct race_run *rr)
{
	pl_exec_race_free(rr->race);
	if (rr->be)
		rr->be->destroy(rr->be);
	free(rr->ignore);
	memset(rr, 0, sizeof(*rr));
}

/* 0, PL_EXIT_USAGE (message printed) or PL_EXIT_INTERNAL. */
static int race_run_init(struct race_run *rr, const char *cmd, const struct cli_file *f,
			 int backing, const struct pl_exec_opts *eo)
{
	char err[320];
	int ni;
	const struct pl_invariant *inv = pl_invariants(&ni);
	const char *base;

	memset(rr, 0, sizeof(*rr));
	rr->be = pl_model_backend_new();
	rr->ignore = calloc((size_t)ni + 1, sizeof(*rr->ignore));
	if (!rr->be || !rr->ignore) {
		race_run_free(rr);
		return cli_oom();
	}
	for (int i = 0; i < ni; i++)
		rr->ignore[i] = inv[i].name;
	errno = 0;
	rr->race = pl_exec_race_new(f->sc, backing, rr->be, eo, err, sizeof(err));
	if (!rr->race) {
		race_run_free(rr);
		if (errno == ENOMEM)
			return cli_oom();
		fprintf(stderr, "%s\n", err);
		return PL_EXIT_USAGE;
	}
	base = strrchr(f->path, '/');
	base = base ? base + 1 : f->path;
	snprintf(rr->name, sizeof(rr->name), "%.*s", (int)strcspn(base, "."), base);
	rr->spec.name = rr->name;
	rr->spec.setup = pl_exec_race_setup;
	rr->spec.nr_threads = pl_exec_race_nr_threads(rr->race);
	for (int t = 0; t < rr->spec.nr_threads; t++) {
		rr->spec.thread[t] = race_fns[t];
		rr->spec.thread_name[t] = pl_exec_race_thread_name(rr->race, t);
	}
	rr->spec.check = pl_exec_race_check;
	rr->spec.broken = pl_exec_race_broken;
	if (rr->be->save && rr->be->restore) {
		/* the steps before the group run once per search; schedules copy their world */
		rr->spec.snapshot = pl_exec_race_snapshot;
		rr->spec.restore = pl_exec_race_restore;
	}
	rr->spec.ignore_violations = rr->ignore;
	rr->spec.arg = rr->race;
	(void)cmd;
	return 0;
}

/* What the expectation asks of the search: the outcome it must find, or PASS. */
static const char *race_expected(const struct pl_exec_race *race, bool *bare_xfail)
{
	const struct pl_expect *e = pl_exec_race_expect(race);
	enum pl_outcome t = pl_exec_race_target(race);

	*bare_xfail = e && e->outcome == PL_OUT_XFAIL && t == PL_OUT_PASS;
	return pl_outcome_name(t);
}

/* Does a search (found: outcome of its failure, or NULL) meet the expectation? */
static bool race_match(const struct pl_exec_race *race, const char *found)
{
	bool bare;
	const char *want = race_expected(race, &bare);

	if (bare)
		return true;
	if (!strcmp(want, "pass"))
		return !found;
	return found && !strcmp(found, want);
}

/* Output files are written whole or not at all (cli_write_out()). */
static int write_file(const char *path, const void *what,
		      int (*write)(FILE *f, const void *what))
{
	return cli_write_out(path, write, what);
}

static int write_sched_fn(FILE *f, const void *s)
{
	return pl_sched_write(f, s);
}

static int write_result_fn(FILE *f, const void *r)
{
	return pl_explore_result_write(f, r);
}

static int write_sched(const char *path, const struct pl_sched *s)
{
	return write_file(path, s, write_sched_fn);
}

static int write_result(const char *path, const struct pl_explore_result *r)
{
	return write_file(path, r, write_result_fn);
}

static void print_counts(FILE *out, const struct pl_explore_result *r)
{
	/* two lines, so that they fit 100 columns with large counts */
	fprintf(out, "  schedules %llu (runs %llu: revisited %llu, redundant %llu, foreign %llu)\n"
		     "  steps %llu, distinct states %llu\n",
		(unsigned long long)r->schedules, (unsigned long long)r->runs,
		(unsigned long long)r->revisited, (unsigned long long)r->redundant,
		(unsigned long long)r->foreign, (unsigned long long)r->steps,
		(unsigned long long)r->distinct_states);
	fprintf(out, "  bound %d: %s\n", r->bound,
		r->exhaustive ? "exhaustive (no schedule cut by the bound)" :
		r->complete ? "complete within the bound" : "incomplete (search stopped)");
}

static void json_counts(FILE *out, const struct pl_explore_result *r)
{
	fprintf(out, "\"schedules\": %llu, \"runs\": %llu, \"revisited\": %llu, "
		     "\"redundant\": %llu, \"foreign\": %llu, \"steps\": %llu, "
		     "\"distinct_states\": %llu, \"failures\": %llu, \"bound\": %d, "
		     "\"complete\": %s, \"exhaustive\": %s",
		(unsigned long long)r->schedules, (unsigned long long)r->runs,
		(unsigned long long)r->revisited, (unsigned long long)r->redundant,
		(unsigned long long)r->foreign, (unsigned long long)r->steps,
		(unsigned long long)r->distinct_states, (unsigned long long)r->failures, r->bound,
		r->complete ? "true" : "false", r->exhaustive ? "true" : "false");
}

/*
 * The progress line of a search (a terminal only): schedules so far and
 * their rate -- the search's size is not known ahead.  Polled per schedule
 * through the explorer's stop hook, which is also where SIGINT stops it.
 */
static struct cli_progress explore_prog;

static bool explore_stop(void)
{
	cli_progress_step(&explore_prog);
	return cli_interrupted();
}

/* One (scenario, preset, backing) search.  Returns an exit code; *match set. */
static int explore_one(const struct cli_file *f, const struct cli_opts *o, const struct xo *x,
		       int backing, bool *match)
{
	const char *preset = o->preset ? pl_preset_find(o->preset)->name : "latest";
	/* SIGINT stops the search between schedules (x->eo.stop), not inside one */
	struct pl_exec_opts eo = { .preset = preset, .sets = o->sets, .nr_sets = o->nr_sets,
				   .max_steps = o->max_steps, .max_pages = o->max_pages,
				   .max_procs = o->max_procs, .max_ms = o->max_ms };
	struct race_run rr;
	struct pl_explore_result r;
	const char *found = NULL, *detail = "", *want;
	bool bare;
	int ret;

	ret = race_run_init(&rr, "explore", f, backing, &eo);
	if (ret)
		return ret;
	cli_progress_begin(&explore_prog, "explore: schedules", -1);
	ret = pl_explore(&rr.spec, &x->eo, &r);
	cli_progress_end(&explore_prog);
	if (ret == -ENOMEM || pl_exec_race_oom(rr.race)) {
		pl_explore_result_free(&r);
		race_run_free(&rr);
		return cli_oom();
	}
	if (pl_exec_race_limit(rr.race)) {
		ret = cli_limit(f, preset, backing, pl_exec_race_limit(rr.race));
		pl_explore_result_free(&r);
		race_run_free(&rr);
		return ret;
	}
	if (ret || r.error || pl_exec_race_error(rr.race)) {
		fputs("pinlab: explore: ", stderr);
		pl_path_put(stderr, f->path);
		/* with --jobs, a worker's limit arrives only as the result's why */
		fprintf(stderr, " [%s %s]: the search could not run%s%s\n", preset,
			pl_backing_info(backing)->name, r.why[0] ? ": " : "", r.why);
		pl_explore_result_free(&r);
		race_run_free(&rr);
		return PL_EXIT_INTERNAL;
	}
	want = race_expected(rr.race, &bare);
	if (!x->json) {
		printf("explore %s [%s %s]:", f->id, preset, pl_backing_info(backing)->name);
		for (int t = 0; t < rr.spec.nr_threads; t++)
			printf(" T%d %s%s", t, rr.spec.thread_name[t],
			       t + 1 < rr.spec.nr_threads ? "," : "");
		printf("\n");
		print_counts(stdout, &r);
	}
	if (r.fail) {
		/* replay it: prints the interleaving and leaves its outcome in the race */
		FILE *out = x->json ? stderr : stdout;
		enum pl_verdict v;

		if (!x->json)
			printf("  failure: %s after %d preemption(s), %llu steps\n",
			       pl_verdict_name(r.verdict), r.fail->preemptions,
			       (unsigned long long)r.fail->steps);
		errno = 0;
		v = pl_explore_print(out, &rr.spec, r.fail, 0);
		if (pl_exec_race_oom(rr.race) || (v == PL_VERDICT_ERROR && errno == ENOMEM)) {
			pl_explore_result_free(&r);
			race_run_free(&rr);
			return cli_oom();
		}
		found = pl_outcome_name(pl_exec_race_outcome(rr.race, &detail));
		if (v == PL_VERDICT_DEADLOCK || v == PL_VERDICT_VIOLATION) {
			found = pl_verdict_name(v);
			detail = r.why;
		}
		if (x->out && (ret = write_sched(x->out, r.fail)) == 0 && !x->json)
			printf("  wrote %s\n", x->out);
	}
	if (!ret && x->result)
		ret = write_result(x->result, &r);
	*match = race_match(rr.race, found);
	if (x->json) {
		printf("{\"file\": ");
		pl_json_str(stdout, f->id);
		printf(", \"preset\": \"%s\", \"backing\": \"%s\", ", preset,
		       pl_backing_info(backing)->name);
		json_counts(stdout, &r);
		printf(", \"found\": ");
		if (found)
			pl_json_str(stdout, found);
		else
			printf("null");
		if (r.fail)
			printf(", \"preemptions\": %d, \"schedule_steps\": %llu", r.fail->preemptions,
			       (unsigned long long)r.fail->steps);
		printf(", \"expected\": \"%s%s\", \"match\": %s", bare ? "xfail" : "", bare ? "" : want,
		       *match ? "true" : "false");
		if (cli_interrupted())
			printf(", \"incomplete\": true, \"signal\": \"%s\"", cli_signal_name());
		printf(", \"version\": %d}\n", PL_JSON_VERSION);
	} else {
		printf("  %s: %s, expected %s%s\n", *match ? "ok" : "MISMATCH",
		       found ? detail : "no failing schedule", bare ? "xfail (either)" : want,
		       strcmp(want, "pass") && !bare ? " (a schedule must give it)" : "");
		if (cli_interrupted())
			printf("  interrupted by %s: the search is incomplete\n", cli_signal_name());
	}
	if (!ret && cli_interrupted())
		ret = cli_interrupted_exit();
	if (ret != PL_EXIT_INTERNAL)	/* after "out of memory", nothing more */
		fprintf(stderr, "pinlab: explore: %s [%s %s]: %.3f s\n", f->id, preset,
			pl_backing_info(backing)->name, r.seconds);
	pl_explore_result_free(&r);
	race_run_free(&rr);
	return ret;
}

/*
 * @path could not be opened or read: out of memory is exit 3, anything else a
 * usage error naming the file and @why (NULL: errno's text).
 */
static int read_failed(const char *path, const char *why)
{
	int err = errno;

	if (err == ENOMEM)
		return cli_oom();
	cli_path_error(path, why ? why : strerror(err));
	return PL_EXIT_USAGE;
}

static int explore_merge(const struct cli_opts *o, const struct xo *x)
{
	struct pl_explore_result into, part;
	char err[160];
	int ret = 0;

	if (!o->nr_args)
		return cli_usage_error("explore", "--merge: expected result files (--result R)");
	pl_explore_result_init(&into);
	for (int i = 0; i < o->nr_args && !ret; i++) {
		FILE *f = fopen(o->args[i], "r");

		if (!f) {
			ret = read_failed(o->args[i], NULL);
			break;
		}
		if (pl_explore_result_read(f, &part, err, sizeof(err))) {
			cli_path_error(o->args[i], err);
			ret = PL_EXIT_USAGE;
		} else {
			if (pl_explore_merge(&into, &part))
				ret = PL_EXIT_INTERNAL;
			pl_explore_result_free(&part);
		}
		fclose(f);
	}
	if (!ret) {
		if (x->json) {
			printf("{\"merged\": %d, ", o->nr_args);
			json_counts(stdout, &into);
			printf(", \"failure\": ");
			if (into.fail)
				pl_json_str(stdout, into.why);
			else
				printf("null");
			printf(", \"version\": %d}\n", PL_JSON_VERSION);
		} else {
			printf("merged %d result%s\n", o->nr_args, o->nr_args == 1 ? "" : "s");
			print_counts(stdout, &into);
			if (into.fail)
				printf("  failure: %s after %d preemption(s), %llu steps: %s\n",
				       pl_verdict_name(into.verdict), into.fail->preemptions,
				       (unsigned long long)into.fail->steps, into.why);
			else
				printf("  no failing schedule\n");
		}
		if (into.fail && x->out)
			ret = write_sched(x->out, into.fail);
	}
	pl_explore_result_free(&into);
	return ret;
}

static int load_one(const char *cmd, struct cli_opts *o, struct cli_files *files, int nargs)
{
	memset(files, 0, sizeof(*files));
	if (o->nr_args != nargs)
		return cli_usage_error(cmd, nargs == 1 ? "expected one FILE" :
					    "expected FILE and F.sched");
	return cli_load_opts(o->args, 1, files, o);
}

static int cmd_explore(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files;
	struct xo x;
	char **rest = calloc((size_t)argc + 1, sizeof(*rest));
	int nrest, ret, nb, idx[64];
	bool all_match = true;

	memset(&files, 0, sizeof(files));
	memset(&o, 0, sizeof(o));
	if (!rest)
		return cli_oom();
	ret = xo_parse(argc, argv, &x, rest, &nrest);
	if (!ret)
		ret = cli_parse("explore", nrest, rest, EXPLORE_OPTIONS, &o);
	if (!ret && o.format && strcmp(o.format, "table") && strcmp(o.format, "json"))
		ret = cli_usage_error("explore", "unknown format '%s' (expected table or json)",
				      o.format);
	x.json = o.format && !strcmp(o.format, "json");
	if (ret)
		goto out;
	if (x.merge) {
		ret = explore_merge(&o, &x);
		goto out;
	}
	ret = load_one("explore", &o, &files, 1);
	if (ret)
		goto out;
	cli_catch_signals();
	x.eo.stop = explore_stop;
	if (o.backing_idx >= 0) {
		idx[0] = o.backing_idx;
		nb = 1;
	} else {
		nb = files.f[0].sc->nr_backings;
		for (int b = 0; b < nb && b < 64; b++)
			idx[b] = files.f[0].sc->backings[b].idx;
	}
	for (int b = 0; b < nb && !ret; b++) {
		bool match = true;

		ret = explore_one(&files.f[0], &o, &x, idx[b], &match);
		all_match &= match;
	}
	if (!ret && !all_match)
		ret = PL_EXIT_MISMATCH;
out:
	fflush(stdout);
	cli_files_free(&files);
	cli_opts_free(&o);
	free(rest);
	return ret;
}

/* The schedule file of `pinlab replay`, or NULL with *ret set. */
static struct pl_sched *replay_read_sched(const char *path, int *ret)
{
	struct pl_sched *s;
	char err[160];
	FILE *f = fopen(path, "r");

	if (!f) {
		*ret = read_failed(path, NULL);
		return NULL;
	}
	s = pl_sched_read(f, err, sizeof(err));
	fclose(f);
	if (!s)
		*ret = read_failed(path, err);
	return s;
}

/* Run scenario @file under schedule @s (read from @sched_path) and say whether it matched. */
static int replay_run(const struct cli_opts *o, const struct cli_file *file,
		      const char *sched_path, struct pl_sched *s, const char *preset)
{
	struct pl_exec_opts eo = { .preset = preset, .sets = o->sets,
				   .nr_sets = o->nr_sets, .max_steps = o->max_steps,
				   .max_pages = o->max_pages, .max_procs = o->max_procs,
				   .max_ms = o->max_ms, .stop = cli_interrupted };
	int backing = o->backing_idx >= 0 ? o->backing_idx : file->sc->backings[0].idx;
	const char *detail = "", *found = NULL;
	struct race_run rr;
	enum pl_verdict v;
	int ret;

	ret = race_run_init(&rr, "replay", file, backing, &eo);
	if (ret)
		return ret;
	if (s->nr_threads && s->nr_threads != rr.spec.nr_threads) {
		fprintf(stderr, "%s: the schedule has %d threads, the scenario %d\n",
			sched_path, s->nr_threads, rr.spec.nr_threads);
		race_run_free(&rr);
		return PL_EXIT_USAGE;
	}
	printf("replay %s %s [%s %s]:", file->id, sched_path, preset,
	       pl_backing_info(backing)->name);
	for (int t = 0; t < rr.spec.nr_threads; t++)
		printf(" T%d %s%s", t, rr.spec.thread_name[t],
		       t + 1 < rr.spec.nr_threads ? "," : "");
	printf("\n");
	errno = 0;
	v = pl_explore_print(stdout, &rr.spec, s, o->trace ? PL_PRINT_ALL_STEPS : 0);
	if (pl_exec_race_oom(rr.race) || (v == PL_VERDICT_ERROR && errno == ENOMEM)) {
		ret = cli_oom();
	} else if (pl_exec_race_limit(rr.race)) {
		ret = cli_limit(file, preset, backing, pl_exec_race_limit(rr.race));
	} else if (v == PL_VERDICT_INFEASIBLE || v == PL_VERDICT_ERROR) {
		fprintf(stderr, "pinlab: replay: %s does not fit %s: %s\n", sched_path,
			file->path, pl_verdict_name(v));
		ret = PL_EXIT_USAGE;
	} else {
		enum pl_outcome out = pl_exec_race_outcome(rr.race, &detail);
		bool match;

		if (out != PL_OUT_PASS)
			found = pl_outcome_name(out);
		if (v == PL_VERDICT_DEADLOCK) {
			found = pl_verdict_name(v);
			detail = found;
		}
		match = race_match(rr.race, found);
		printf("outcome: %s\n", found ? detail : "pass");
		ret = match ? PL_EXIT_OK : PL_EXIT_MISMATCH;
	}
	race_run_free(&rr);
	return ret;
}

static int cmd_replay(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files = { 0 };
	struct pl_sched *s = NULL;
	int ret = cli_parse("replay", argc, argv, REPLAY_OPTIONS, &o);

	if (!ret)
		ret = load_one("replay", &o, &files, 2);
	if (!ret)
		s = replay_read_sched(o.args[1], &ret);
	if (s)
		ret = replay_run(&o, &files.f[0], o.args[1], s,
				 o.preset ? pl_preset_find(o.preset)->name : "latest");
	fflush(stdout);
	pl_sched_free(s);
	cli_files_free(&files);
	cli_opts_free(&o);
	return ret;
}

const struct cli_cmd cli_cmd_explore = { "explore", cmd_explore, explore_usage };
const struct cli_cmd cli_cmd_replay = { "replay", cmd_replay, replay_usage };
