/*
 * demo.c - `pinlab demo`: every scenario under ./scenarios under every era
 * preset, as one matrix.
 *
 *	scenario            v4.8     v5.7     v5.8  ...
 *	cow/vmsplice-child  LEAK:54  LEAK:54  pass  ...
 *
 * A cell is "pass" when every backing of the scenario passed under that
 * preset; otherwise the failure classes, in capitals, each with the number
 * of backings that ended in it.  '*' marks a cell where some outcome differs
 * from the scenario's expectation.  Without a scenarios/ directory it shows
 * the built-in history matrix instead.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hist.h"
#include "report/report.h"

static const char demo_usage[] =
	"usage: pinlab demo [-o FILE.html]\n"
	"\n"
	"Run every scenario under ./scenarios (relative to the current directory)\n"
	"under every era preset and print a matrix scenario x preset: 'pass' where\n"
	"every backing passed, else the failure classes in capitals with the number of\n"
	"backings (LEAK:3), '*' where an outcome differs from the expectation; then the\n"
	"number of (scenario, preset, backing) results.  Without ./scenarios, the\n"
	"built-in history matrix.\n"
	"\n"
	"  -o, --output FILE   also write the HTML report of these runs to FILE\n"
	"                      (as 'pinlab report scenarios -o FILE' would)\n"
	"\n"
	"exit status: 0 everything matched its expectation, 1 something did not,\n"
	"2 a scenario is bad, 3 internal error\n";

#define DEMO_DIR "scenarios"
#define DEMO_CELL 48

struct demo_cell {
	int count[PL_OUT_NR];		/* backings per outcome class */
	bool mismatch;
	char text[DEMO_CELL];
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

static int demo_scenarios(const struct cli_opts *opts)
{
	char *paths[] = { DEMO_DIR };
	struct cli_files files;
	struct demo_cell *cells;
	struct pl_backend *be;
	const struct pl_preset *presets;
	struct pl_html *h = NULL;
	struct cli_progress prog = { .on = false };
	long total_runs = 0;
	const char *names[PL_HTML_MAX_PRESETS];
	int np, ret, total = 0, matched = 0, mismatched = 0, skipped = 0, w_id = 8, w_cell = 4;

	presets = pl_presets(&np);
	for (int p = 0; p < np && p < PL_HTML_MAX_PRESETS; p++)
		names[p] = presets[p].name;
	ret = cli_load(paths, 1, &files);
	if (ret) {
		cli_files_free(&files);
		return ret;
	}
	cells = calloc((size_t)files.n * (size_t)np + 1, sizeof(*cells));
	be = pl_model_backend_new();
	if (opts->output)
		h = pl_html_new("pinlab demo", names, np < PL_HTML_MAX_PRESETS ? np :
				PL_HTML_MAX_PRESETS);
	if (!cells || !be || (opts->output && !h)) {
		fprintf(stderr, "pinlab: out of memory\n");
		ret = PL_EXIT_INTERNAL;
		goto out;
	}
	for (int i = 0; i < files.n; i++)
		total_runs += (long)np * files.f[i].sc->nr_backings;
	cli_progress_begin(&prog, "demo", total_runs);
	for (int i = 0; i < files.n; i++) {
		const struct pl_scenario *sc = files.f[i].sc;

		if (h && pl_html_scenario(h, files.f[i].id, sc->name, files.f[i].path)) {
			ret = cli_oom();
			goto out;
		}

		for (int p = 0; p < np; p++) {
			struct demo_cell *c = &cells[i * np + p];
			struct pl_exec_opts eo = { .preset = presets[p].name };

			for (int b = 0; b < sc->nr_backings; b++) {
				struct pl_result r;
				int o;

				if (pl_exec_run(sc, sc->backings[b].idx, be, &eo, &r) < 0) {
					fprintf(stderr, "pinlab: internal error: %s [%s %s]: %s\n",
						files.f[i].path, presets[p].name,
						sc->backings[b].name, r.detail);
					pl_result_free(&r);
					ret = PL_EXIT_INTERNAL;
					goto out;
				}
				if (be->end)
					be->end(be);
				o = pl_outcome_find(r.failure, strlen(r.failure));
				c->count[o >= 0 ? o : PL_OUT_INVARIANT]++;
				c->mismatch |= !r.match;
				total++;
				skipped += r.skipped;
				matched += !r.skipped && r.match;
				mismatched += !r.match;
				cli_progress_step(&prog);
				r.id = files.f[i].id;
				if (h && pl_html_result(h, &r)) {
					pl_result_free(&r);
					ret = cli_oom();
					goto out;
				}
				pl_result_free(&r);
			}
			demo_cell_text(c);
			if ((int)strlen(c->text) > w_cell)
				w_cell = (int)strlen(c->text);
		}
		if ((int)strlen(files.f[i].id) > w_id)
			w_id = (int)strlen(files.f[i].id);
		if (h && (ret = cli_html_timelines(h, &files.f[i], be, opts)))
			goto out;
	}
	cli_progress_end(&prog);
	printf("pinlab: every scenario under %s/ under every era preset\n", DEMO_DIR);
	printf("('pass' where every backing passed, else the failure classes with the number "
	       "of backings; '*' marks an outcome that differs from the expectation)\n\n");
	printf("%-*s", w_id, "scenario");
	for (int p = 0; p < np; p++)
		printf(" %-*s", p + 1 < np ? w_cell : 0, presets[p].name);
	printf("\n");
	for (int i = 0; i < files.n; i++) {
		printf("%-*s", w_id, files.f[i].id);
		for (int p = 0; p < np; p++)
			printf(" %-*s", p + 1 < np ? w_cell : 0, cells[i * np + p].text);
		printf("\n");
	}
	printf("\n%d results (scenario x preset x backing): %d matched, %d mismatched, "
	       "%d skipped\n", total, matched, mismatched, skipped);
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
	if (be)
		be->destroy(be);
	pl_html_free(h);
	free(cells);
	cli_files_free(&files);
	return ret;
}

static int cmd_demo(int argc, char **argv)
{
	struct stat st;
	struct cli_opts o;
	int ret = cli_parse("demo", argc, argv, CLI_OUTPUT, &o);

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
