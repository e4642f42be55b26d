/*
 * demo.c - `pinlab demo`: every scenario under ./scenarios under the landmark
 * era presets (--all-presets: every one), as one matrix, cut into blocks of
 * presets that fit the terminal's width.
 *
 *	scenario            v4.8     v5.7     v5.8  ...
 *	cow/vmsplice-child  LEAK:54  LEAK:54  pass  ...
 *
 * A cell is "pass" when every backing of the scenario passed under that
 * preset; otherwise the failure classes, in capitals, each with the number
 * of backings that ended in it.  '*' marks a cell where some outcome differs
 * from the scenario's expectation.  Without a scenarios/ directory it shows
 * the built-in history matrix instead.
 *
 * The runs go to worker processes (-j, one per CPU by default), each taking
 * every n-th scenario and writing fixed-size records to a temporary file the
 * parent reads back in scenario order, so the output does not depend on n.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hist.h"
#include "report/report.h"

/* The default presets: where the catalog changes most (--all-presets: every one). */
#define DEMO_PRESETS "v4.8,v5.7,v5.8,v5.9,v5.19,latest"
#define DEMO_PRESETS_TEXT "v4.8, v5.7, v5.8, v5.9, v5.19, latest"

static const char demo_usage[] =
	"usage: pinlab demo [-o FILE.html [--diff FILE.json]...]\n"
	"                   [-p P | --presets LIST | --all-presets] [-j N]\n"
	"\n"
	"Run every scenario under ./scenarios (relative to the current directory)\n"
	"under the landmark era presets (" DEMO_PRESETS_TEXT ")\n"
	"and print a matrix scenario x preset: 'pass' where every backing passed, else\n"
	"the failure classes in capitals with the number of backings (LEAK:3), '*'\n"
	"where an outcome differs from the expectation; then the number of (scenario,\n"
	"preset, backing) results.  The matrix is cut into blocks of presets that fit\n"
	"the terminal (100 columns when not a terminal).  Without ./scenarios, the\n"
	"built-in history matrix.\n"
	"\n"
	"  -o, --output FILE   also write the HTML report of these runs to FILE\n"
	"                      (as 'pinlab report scenarios -o FILE' would)\n"
	"  -p, --preset P      one preset (name or kernel release)\n"
	"  --presets LIST      presets separated by commas; A..B is a range\n"
	"  --all-presets       every preset (the whole catalog: ~25000 runs)\n"
	"  -j, --jobs N        run in N processes (default: one per CPU, at most 8);\n"
	"                      the output does not depend on N\n"
	"  --diff FILE.json    with -o: a host column from `pinlab diff -f json`, as\n"
	"                      'pinlab help report' says; and its runs as a table\n"
	"                      after the matrix\n"
	"\n"
	"exit status: 0 everything matched its expectation, 1 something did not,\n"
	"2 a scenario is bad, 3 internal error\n";

#define DEMO_DIR "scenarios"
#define DEMO_CELL 48
#define DEMO_MAX_JOBS 8

struct demo_cell {
	int count[PL_OUT_NR];		/* backings per outcome class */
	bool mismatch;
	char text[DEMO_CELL];
};

/*
 * One run as a worker process hands it to the parent: what pl_html_result()
 * and the matrix read of a struct pl_result (outcome names as their class).
 */
struct demo_rec {
	int outcome, failure, expected;	/* enum pl_outcome */
	int fail_step;
	bool match, skipped;
	char detail[sizeof(((struct pl_result *)0)->detail)];
	char reason[sizeof(((struct pl_result *)0)->reason)];
};

static void demo_cell_text(struct demo_cell *c)
{
	int len = 0, runs = 0;

	for (int o = 0; o < PL_OUT_NR; o++)
		runs += c->count[o];
	if (runs == c->count[PL_OUT_SKIP]) {
		snprintf(c->text, sizeof(c->text), "skip%s", c->mismatch ? "*" : "");
		return;
	}
	for (int o = PL_OUT_LEAK; o <= PL_OUT_COUNT; o++) {
		char name[24];

		if (!c->count[o])
			continue;
		snprintf(name, sizeof(name), "%s", pl_outcome_name((enum pl_outcome)o));
		for (char *p = name; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
		len += snprintf(c->text + len, sizeof(c->text) - (size_t)len, "%s%s:%d",
				len ? "+" : "", name, c->count[o]);
		if (len >= (int)sizeof(c->text))
			break;
	}
	if (!len)
		snprintf(c->text, sizeof(c->text), "pass");
	if (c->mismatch && strlen(c->text) + 1 < sizeof(c->text))
		strcat(c->text, "*");
}

static int demo_outcome(const char *name)
{
	int o = pl_outcome_find(name, strlen(name));

	return o >= 0 ? o : PL_OUT_INVARIANT;
}

/*
 * Worker k of n: the runs of files k, k + n, ... (each under every preset,
 * each backing) as records on out, in that order.  0 or PL_EXIT_INTERNAL
 * after its message.
 */
static int demo_work(const struct cli_files *files, const char *const *names, int np, int k,
		     int n, FILE *out, struct cli_progress *prog)
{
	struct pl_backend *be = pl_model_backend_new();
	int ret = 0;

	if (!be)
		return cli_oom();
	for (int i = k; i < files->n && !ret; i += n) {
		const struct pl_scenario *sc = files->f[i].sc;

		for (int p = 0; p < np && !ret; p++) {
			struct pl_exec_opts eo = { .preset = names[p] };

			for (int b = 0; b < sc->nr_backings && !ret; b++) {
				struct demo_rec rec;
				struct pl_result r;

				if (pl_exec_run(sc, sc->backings[b].idx, be, &eo, &r) < 0) {
					fprintf(stderr, "pinlab: internal error: %s [%s %s]: %s\n",
						files->f[i].path, names[p], sc->backings[b].name,
						r.detail);
					ret = PL_EXIT_INTERNAL;
				}
				if (be->end)
					be->end(be);
				memset(&rec, 0, sizeof(rec));
				rec.outcome = demo_outcome(r.outcome);
				rec.failure = demo_outcome(r.failure);
				rec.expected = demo_outcome(r.expected);
				rec.fail_step = r.fail_step;
				rec.match = r.match;
				rec.skipped = r.skipped;
				memcpy(rec.detail, r.detail, sizeof(rec.detail));
				memcpy(rec.reason, r.reason, sizeof(rec.reason));
				pl_result_free(&r);
				if (!ret && fwrite(&rec, sizeof(rec), 1, out) != 1) {
					fprintf(stderr, "pinlab: demo: cannot write a temporary file\n");
					ret = PL_EXIT_INTERNAL;
				}
				for (int s = 0; s < n; s++)
					cli_progress_step(prog);
			}
		}
	}
	be->destroy(be);
	if (!ret && fflush(out)) {
		fprintf(stderr, "pinlab: demo: cannot write a temporary file\n");
		ret = PL_EXIT_INTERNAL;
	}
	return ret;
}

/*
 * Run the workers: n - 1 child processes and this one, each writing its
 * records to its own temporary file, read back in file order afterwards, so
 * the output is the same for any n.  A worker that cannot be forked runs
 * here after the others.
 */
static int demo_run_all(const struct cli_files *files, const char *const *names, int np, int n,
			FILE **tmp, struct cli_progress *prog)
{
	pid_t pids[DEMO_MAX_JOBS];
	int ret = 0;

	fflush(NULL);
	for (int k = 1; k < n; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			struct cli_progress quiet = { .on = false };

			_exit(demo_work(files, names, np, k, n, tmp[k], &quiet));
		}
	}
	ret = demo_work(files, names, np, 0, n, tmp[0], prog);
	for (int k = 1; k < n; k++) {
		int st;

		if (pids[k] < 0) {
			if (!ret)
				ret = demo_work(files, names, np, k, n, tmp[k], prog);
			continue;
		}
		while (waitpid(pids[k], &st, 0) < 0 && errno == EINTR)
			;
		if (!ret && (!WIFEXITED(st) || WEXITSTATUS(st))) {
			if (!WIFEXITED(st))
				fprintf(stderr, "pinlab: demo: a worker process died (signal %d)\n",
					WTERMSIG(st));
			ret = PL_EXIT_INTERNAL;
		}
	}
	for (int k = 0; k < n && !ret; k++)
		rewind(tmp[k]);
	return ret;
}

/* How many presets from @from fit beside the scenario column (at least one). */
static int demo_block(int from, int np, int w_id, const int *w, int width)
{
	int used = w_id, k = from;

	while (k < np && (k == from || used + 1 + w[k] <= width))
		used += 1 + w[k++];
	return k - from;
}

static int demo_scenarios(const struct cli_opts *opts)
{
	char *paths[] = { DEMO_DIR };
	struct cli_files files;
	struct demo_cell *cells = NULL;
	struct pl_backend *be;
	struct pl_html *h = NULL;
	struct cli_progress prog = { .on = false };
	FILE *tmp[DEMO_MAX_JOBS] = { NULL };
	long total_runs = 0;
	const char *names[PL_HTML_MAX_PRESETS];
	int w[PL_HTML_MAX_PRESETS];
	int np, ret, total = 0, matched = 0, mismatched = 0, skipped = 0, w_id = 8, jobs;
	struct cli_opts po = *opts;

	if (!po.preset && !po.presets && !po.all_presets)
		po.presets = DEMO_PRESETS;
	np = cli_presets(&po, names, PL_HTML_MAX_PRESETS, true);
	ret = cli_load(paths, 1, &files);
	if (ret) {
		cli_files_free(&files);
		return ret;
	}
	jobs = opts->jobs ? opts->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (jobs < 1)
		jobs = 1;
	if (jobs > DEMO_MAX_JOBS)
		jobs = DEMO_MAX_JOBS;
	if (jobs > files.n)
		jobs = files.n > 0 ? files.n : 1;
	be = pl_model_backend_new();
	if (opts->output)
		h = pl_html_new("pinlab demo", names, np);
	cells = calloc((size_t)files.n * (size_t)np + 1, sizeof(*cells));
	for (int k = 0; k < jobs; k++)
		tmp[k] = tmpfile();
	for (int k = 0; k < jobs && cells; k++)
		if (!tmp[k]) {
			fprintf(stderr, "pinlab: demo: cannot create a temporary file: %s\n",
				strerror(errno));
			ret = PL_EXIT_INTERNAL;
			goto out;
		}
	if (!cells || !be || (opts->output && !h)) {
		ret = cli_oom();
		goto out;
	}
	if (opts->nr_diffs && !h) {
		ret = cli_usage_error("demo", "--diff draws a host column: it needs -o FILE.html");
		goto out;
	}
	if (h && (ret = cli_html_diffs(h, opts)))
		goto out;
	for (int i = 0; i < files.n; i++)
		total_runs += (long)np * files.f[i].sc->nr_backings;
	cli_progress_begin(&prog, "demo", total_runs);
	ret = demo_run_all(&files, names, np, jobs, tmp, &prog);
	/* this process counted its share n times over: end the line on N/N */
	if (!ret && prog.done < prog.total) {
		prog.done = prog.total - 1;
		cli_progress_step(&prog);
	}
	cli_progress_end(&prog);
	if (ret)
		goto out;
	for (int i = 0; i < files.n; i++) {
		const struct pl_scenario *sc = files.f[i].sc;

		if (h && pl_html_scenario(h, files.f[i].id, sc->name, files.f[i].path)) {
			ret = cli_oom();
			goto out;
		}
		for (int p = 0; p < np; p++) {
			struct demo_cell *c = &cells[i * np + p];

			for (int b = 0; b < sc->nr_backings; b++) {
				struct demo_rec rec;
				struct pl_result r;

				if (fread(&rec, sizeof(rec), 1, tmp[i % jobs]) != 1) {
					fprintf(stderr, "pinlab: demo: a worker's results are short\n");
					ret = PL_EXIT_INTERNAL;
					goto out;
				}
				memset(&r, 0, sizeof(r));
				r.id = files.f[i].id;
				r.scenario = sc->name;
				r.file = files.f[i].path;
				r.preset = names[p];
				r.backing = pl_backing_info(sc->backings[b].idx)->name;
				r.outcome = pl_outcome_name((enum pl_outcome)rec.outcome);
				r.failure = pl_outcome_name((enum pl_outcome)rec.failure);
				r.expected = pl_outcome_name((enum pl_outcome)rec.expected);
				r.match = rec.match;
				r.skipped = rec.skipped;
				r.fail_step = rec.fail_step;
				memcpy(r.detail, rec.detail, sizeof(r.detail));
				memcpy(r.reason, rec.reason, sizeof(r.reason));
				c->count[rec.failure]++;
				c->mismatch |= !r.match;
				total++;
				skipped += r.skipped;
				matched += !r.skipped && r.match;
				mismatched += !r.match;
				if (h && pl_html_result(h, &r)) {
					ret = cli_oom();
					goto out;
				}
			}
			demo_cell_text(c);
		}
		if ((int)strlen(files.f[i].id) > w_id)
			w_id = (int)strlen(files.f[i].id);
		if (h && (ret = cli_html_timelines(h, &files.f[i], be, opts)))
			goto out;
	}
	for (int p = 0; p < np; p++) {
		w[p] = (int)strlen(names[p]);
		for (int i = 0; i < files.n; i++)
			if ((int)strlen(cells[i * np + p].text) > w[p])
				w[p] = (int)strlen(cells[i * np + p].text);
	}
	if (po.all_presets)
		printf("pinlab: every scenario under %s/ under every era preset\n", DEMO_DIR);
	else
		printf("pinlab: every scenario under %s/ under %d era preset%s (--all-presets: "
		       "all of them)\n", DEMO_DIR, np, np == 1 ? "" : "s");
	printf("('pass' where every backing passed, else the failure classes with the number\n"
	       "of backings; '*' marks an outcome that differs from the expectation)\n");
	for (int from = 0, k; from < np; from += k) {
		k = demo_block(from, np, w_id, w, cli_width());
		printf("\n%-*s", w_id, "scenario");
		for (int p = from; p < from + k; p++)
			printf(" %-*s", p + 1 < from + k ? w[p] : 0, names[p]);
		printf("\n");
		for (int i = 0; i < files.n; i++) {
			printf("%-*s", w_id, files.f[i].id);
			for (int p = from; p < from + k; p++)
				printf(" %-*s", p + 1 < from + k ? w[p] : 0,
				       cells[i * np + p].text);
			printf("\n");
		}
	}
	printf("\n%d results (scenario x preset x backing): %d matched, %d mismatched, "
	       "%d skipped\n", total, matched, mismatched, skipped);
	cli_html_diffs_print();
	ret = mismatched ? PL_EXIT_MISMATCH : PL_EXIT_OK;
	if (h) {
		int st = cli_html_save(h, opts->output);

		if (st)
			ret = st;
		else if (strcmp(opts->output, "-"))
			printf("HTML report: %s\n", opts->output);
	}
out:
	cli_progress_end(&prog);
	for (int k = 0; k < jobs; k++)
		if (tmp[k])
			fclose(tmp[k]);
	if (be)
		be->destroy(be);
	pl_html_free(h);
	cli_html_diffs_free();
	free(cells);
	cli_files_free(&files);
	return ret;
}

static int cmd_demo(int argc, char **argv)
{
	struct stat st;
	struct cli_opts o;
	int ret = cli_parse("demo", argc, argv, CLI_OUTPUT | CLI_PRESET | CLI_PRESETS | CLI_ALL |
			    CLI_JOBS | CLI_DIFF, &o);

	if (!ret && o.nr_args)
		ret = cli_usage_error("demo", "unexpected argument '%s'", o.args[0]);
	if (ret) {
		cli_opts_free(&o);
		return ret;
	}
	if (stat(DEMO_DIR, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("pinlab: no %s/ directory here, so no scenarios to run; showing the "
		       "built-in history matrix instead\n\n", DEMO_DIR);
		ret = cli_hist_demo();
	} else {
		ret = demo_scenarios(&o);
	}
	cli_opts_free(&o);
	return ret;
}

const struct cli_cmd cli_cmd_demo = { "demo", cmd_demo, demo_usage };
