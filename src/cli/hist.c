/*
 * hist.c - the built-in history cases (src/history/: each
 * scenarios/history/NAME.pin linked into the binary) on the command line: `pinlab history`, `pinlab
 * show CASE`, and the matrix `pinlab demo` shows when there is no
 * scenarios/ directory to run.  Each case runs as `pinlab run` runs the
 * file, on the model backend, so its outcome and expectation are the .pin
 * file's.
 */
#include "hist.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "history/history.h"
#include "report/dump.h"
#include "report/report.h"

static const char history_usage[] =
	"usage: pinlab history [--preset P | --all-presets] [--set knob=value]...\n"
	"                      [--format table|json] [--trace] [CASE...]\n"
	"\n"
	"Run the built-in historical bug cases (default: all; scenarios/history/*.pin,\n"
	"built into pinlab) under a preset (default: latest) and compare each outcome\n"
	"with the scenario's expectation for that era.  --trace prints every COW,\n"
	"reuse, unshare, fork copy and GUP decision with its rule, then the final\n"
	"state.  With --set the expectations are not enforced.\n";

#define HISTORY_OPTIONS (CLI_PRESET | CLI_ALL | CLI_SET | CLI_FORMAT | CLI_TRACE)

/* The case's name: its file name without scenarios/history/ and .pin. */
static const char *hist_name(const struct cli_file *f)
{
	const char *id = f->id;

	return strncmp(id, "history/", 8) ? id : id + 8;
}

static void hist_trace_event(void *arg, const struct pl_exec_point *at, const struct pl_event *ev)
{
	(void)arg;
	printf("    step %d %-13s %-28s pid %d addr 0x%llx pfn %u->%u%s%s%s\n", at->step,
	       pl_event_kind_name(ev->kind), ev->func, ev->pid, (unsigned long long)ev->addr,
	       ev->old_pfn, ev->new_pfn, ev->rule ? " [" : "", ev->rule ? ev->rule : "",
	       ev->rule ? "]" : "");
	if (ev->detail[0])
		printf("        %s\n", ev->detail);
}

/*
 * Run one case under one preset on @be, with --set and --trace from @o (may
 * be NULL); the world stays in @be.  0, or the exit status of an error.
 */
static int hist_run(const struct cli_file *f, const char *preset, const struct cli_opts *o,
		    struct pl_backend *be, struct pl_result *r)
{
	struct pl_exec_hooks trace = { .event = hist_trace_event };
	struct pl_exec_opts eo = { .preset = preset, .stop = cli_interrupted };
	int ret;

	if (o) {
		eo.sets = o->sets;
		eo.nr_sets = o->nr_sets;
		eo.hooks = o->trace ? &trace : NULL;
	}
	ret = pl_exec_run(f->sc, f->sc->backings[0].idx, be, &eo, r);
	if (ret < 0)
		pl_result_free(r);
	if (ret == -ENOMEM)
		return cli_oom();
	if (ret == -ERANGE)
		return cli_limit(f, preset, f->sc->backings[0].idx, r->detail);
	if (ret < 0) {
		fprintf(stderr, "pinlab: internal error: %s: %s\n", f->path, r->detail);
		return PL_EXIT_INTERNAL;
	}
	return 0;
}

static void hist_result(bool json, const char *name, const char *preset,
			const struct pl_result *r)
{
	if (!json) {
		printf("%-4s %-20s %-7s %-13s (expected %s)%s%s\n", r->match ? "ok" : "FAIL", name,
		       preset, r->outcome, r->expected, r->detail[0] ? " " : "", r->detail);
		return;
	}
	printf("{\"scenario\": ");
	pl_json_str(stdout, name);
	printf(", \"preset\": ");
	pl_json_str(stdout, preset);
	printf(", \"outcome\": ");
	pl_json_str(stdout, r->outcome);
	printf(", \"expected\": ");
	pl_json_str(stdout, r->expected);
	printf(", \"match\": %s, \"detail\": ", r->match ? "true" : "false");
	pl_json_str(stdout, r->detail);
	printf(", \"version\": %d}\n", PL_JSON_VERSION);
}

static int cmd_history(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files;
	struct pl_backend *be = NULL;
	int np, mismatches = 0, total = 0;
	const struct pl_preset *presets = pl_presets(&np);
	const char *preset;
	bool json = false;
	int ret = cli_parse("history", argc, argv, HISTORY_OPTIONS, &o);

	memset(&files, 0, sizeof(files));
	if (!ret && o.format) {
		json = !strcmp(o.format, "json");
		if (!json && strcmp(o.format, "table"))
			ret = cli_usage_error("history",
					      "bad --format value (expected table or json)");
	}
	for (int i = 0; !ret && i < o.nr_args; i++)
		if (!pl_hist_find(o.args[i]))
			ret = cli_usage_error("history", "unknown case '%s' (see 'pinlab history')",
					      o.args[i]);
	if (!ret)
		ret = cli_load_history(o.args, o.nr_args, &files);
	if (!ret && !(be = pl_model_backend_new()))
		ret = cli_oom();
	preset = o.preset ? o.preset : "latest";
	for (int c = 0; !ret && c < files.n; c++) {
		for (int p = 0; !ret && p < np; p++) {
			struct pl_result r;

			if (!o.all_presets && strcmp(presets[p].name, preset))
				continue;
			if (o.trace)
				printf("# %s under %s\n", hist_name(&files.f[c]), presets[p].name);
			ret = hist_run(&files.f[c], presets[p].name, &o, be, &r);
			if (!ret && o.trace && pl_model_backend_world(be))
				pl_dump_world(stdout, pl_model_backend_world(be));
			if (!ret) {
				total++;
				mismatches += o.nr_sets == 0 && !r.match;
				hist_result(json, hist_name(&files.f[c]), presets[p].name, &r);
			}
			pl_result_free(&r);
		}
	}
	if (!ret && !json)
		printf("%d results, %d mismatched\n", total, mismatches);
	if (!ret)
		ret = mismatches ? PL_EXIT_MISMATCH : PL_EXIT_OK;
	if (be)
		be->destroy(be);
	cli_files_free(&files);
	cli_opts_free(&o);
	return ret;
}

int cli_hist_show(const char *name, const struct cli_opts *o)
{
	const char *preset = o->preset ? o->preset : "latest";
	char *names[] = { (char *)name };
	struct cli_files files;
	struct pl_backend *be;
	struct pl_result r;
	int ret;

	if (!pl_hist_find(name))
		return cli_usage_error("show", "no file and no history case '%s' (see 'pinlab "
				       "history')", name);
	ret = cli_load_history(names, 1, &files);
	be = ret ? NULL : pl_model_backend_new();
	if (!ret && !be)
		ret = cli_oom();
	if (!ret)
		ret = hist_run(&files.f[0], preset, o, be, &r);
	if (!ret) {
		printf("# %s under %s: %s (%s)\n", name, preset, r.outcome, r.detail);
		if (pl_model_backend_world(be))
			pl_dump_world(stdout, pl_model_backend_world(be));
		pl_result_free(&r);
	}
	if (be)
		be->destroy(be);
	cli_files_free(&files);
	return ret;
}

int cli_hist_demo(void)
{
	int np, mismatches = 0, total = 0, ret;
	const struct pl_preset *presets = pl_presets(&np);
	char *v57[] = { "cve-2020-29374" };
	struct cli_files files;
	struct pl_backend *be;
	struct pl_result r;

	ret = cli_load_history(NULL, 0, &files);
	be = ret ? NULL : pl_model_backend_new();
	if (!ret && !be)
		ret = cli_oom();
	if (ret)
		goto out;
	printf("pinlab: the historical GUP/COW bugs under every era preset\n");
	printf("(a failure class where that era had the bug, 'pass' where it was fixed; "
	       "'*' marks an outcome that differs from the expectation)\n\n");
	printf("%-20s", "case");
	for (int p = 0; p < np; p++)
		printf(" %-13s", presets[p].name);
	printf("\n");
	for (int c = 0; !ret && c < files.n; c++) {
		printf("%-20s", hist_name(&files.f[c]));
		for (int p = 0; !ret && p < np; p++) {
			char cell[24];

			ret = hist_run(&files.f[c], presets[p].name, NULL, be, &r);
			if (ret)
				break;
			total++;
			mismatches += !r.match;
			snprintf(cell, sizeof(cell), "%s%s", r.outcome, r.match ? "" : "*");
			printf(" %-13s", cell);
			pl_result_free(&r);
		}
		printf("\n");
	}
	if (ret)
		goto out;
	printf("\n%d results: %d matched, %d mismatched, 0 skipped\n", total,
	       total - mismatches, mismatches);
	printf("\nState after CVE-2020-29374 under v5.7 (the child's pipe still holds the "
	       "parent's page):\n");
	cli_files_free(&files);
	ret = cli_load_history(v57, 1, &files);
	if (!ret)
		ret = hist_run(&files.f[0], "v5.7", NULL, be, &r);
	if (ret)
		goto out;
	printf("outcome: %s (%s)\n", r.outcome, r.detail);
	if (pl_model_backend_world(be))
		pl_dump_world(stdout, pl_model_backend_world(be));
	pl_result_free(&r);
	ret = mismatches ? PL_EXIT_MISMATCH : PL_EXIT_OK;
out:
	if (be)
		be->destroy(be);
	cli_files_free(&files);
	return ret;
}

const struct cli_cmd cli_cmd_history = { "history", cmd_history, history_usage };
