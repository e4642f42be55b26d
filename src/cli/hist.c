/*
 * hist.c - the built-in history cases (history.c) on the command line:
 * `pinlab history`, `pinlab show CASE`, and the matrix `pinlab demo` shows
 * when there is no scenarios/ directory to run.
 */
#include "hist.h"

#include <stdio.h>
#include <string.h>

#include "report/dump.h"
#include "history/history.h"
#include "report/report.h"

static const char history_usage[] =
	"usage: pinlab history [--preset P | --all-presets] [--set knob=value]...\n"
	"                      [--format table|json] [--trace] [CASE...]\n"
	"\n"
	"Run the built-in historical bug cases (default: all) under a preset (default:\n"
	"latest) and compare each outcome with the era's expectation.  --trace prints\n"
	"every COW, reuse, unshare, fork copy and GUP decision with its rule, then the\n"
	"final state.  With --set the expectations are not enforced.\n";

#define HISTORY_OPTIONS (CLI_PRESET | CLI_ALL | CLI_SET | CLI_FORMAT | CLI_TRACE)

static const struct pl_hist_case *hist_find(const char *name)
{
	int n;
	const struct pl_hist_case *hc = pl_hist_cases(&n);

	for (int i = 0; i < n; i++)
		if (!strcmp(hc[i].name, name))
			return &hc[i];
	return NULL;
}

static void hist_trace_event(struct world *w, const struct pl_event *ev, void *arg)
{
	(void)arg;
	printf("    step %llu %-13s %-28s pid %d addr 0x%llx pfn %u->%u%s%s%s\n",
	       (unsigned long long)w->step, pl_event_kind_name(ev->kind), ev->func, ev->pid,
	       (unsigned long long)ev->addr, ev->old_pfn, ev->new_pfn,
	       ev->rule ? " [" : "", ev->rule ? ev->rule : "", ev->rule ? "]" : "");
	if (ev->detail[0])
		printf("        %s\n", ev->detail);
}

static void hist_result(bool json, const struct pl_hist_case *hc, const char *preset,
			const char *got, const char *want, const char *note)
{
	if (!json) {
		printf("%-4s %-20s %-7s %-13s (expected %s) %s\n",
		       strcmp(got, want) ? "FAIL" : "ok", hc->name, preset, got, want, note);
		return;
	}
	printf("{\"scenario\": ");
	pl_json_str(stdout, hc->name);
	printf(", \"preset\": ");
	pl_json_str(stdout, preset);
	printf(", \"outcome\": ");
	pl_json_str(stdout, got);
	printf(", \"expected\": ");
	pl_json_str(stdout, want);
	printf(", \"match\": %s, \"detail\": ", strcmp(got, want) ? "false" : "true");
	pl_json_str(stdout, note);
	printf(", \"version\": %d}\n", PL_JSON_VERSION);
}

static int cmd_history(int argc, char **argv)
{
	struct cli_opts o;
	int n, np, mismatches = 0, total = 0;
	const struct pl_hist_case *hc = pl_hist_cases(&n);
	const struct pl_preset *presets = pl_presets(&np);
	const char *preset;
	bool json = false;
	int ret = cli_parse("history", argc, argv, HISTORY_OPTIONS, &o);

	if (!ret && o.format) {
		json = !strcmp(o.format, "json");
		if (!json && strcmp(o.format, "table"))
			ret = cli_usage_error("history",
					      "bad --format value (expected table or json)");
	}
	for (int i = 0; !ret && i < o.nr_args; i++)
		if (!hist_find(o.args[i]))
			ret = cli_usage_error("history", "unknown case '%s' (see 'pinlab history')",
					      o.args[i]);
	if (ret) {
		cli_opts_free(&o);
		return ret;
	}
	preset = o.preset ? o.preset : "latest";
	for (int c = 0; c < n; c++) {
		bool selected = o.nr_args == 0;

		for (int i = 0; i < o.nr_args; i++)
			selected |= !strcmp(o.args[i], hc[c].name);
		if (!selected)
			continue;
		for (int p = 0; p < np; p++) {
			struct pl_policy pol;
			char note[256];
			const char *got, *want;
			struct world *w = NULL;

			if (!o.all_presets && strcmp(presets[p].name, preset))
				continue;
			pol = cli_policy(presets[p].name, &o);
			if (o.trace)
				printf("# %s under %s\n", hc[c].name, presets[p].name);
			got = pl_hist_run_traced(&hc[c], &pol, presets[p].name,
						 o.trace ? hist_trace_event : NULL, NULL,
						 o.trace ? &w : NULL, note, sizeof(note));
			if (w) {
				pl_dump_world(stdout, w);
				pl_world_free(w);
			}
			want = pl_hist_expected(&hc[c], presets[p].name);
			total++;
			mismatches += o.nr_sets == 0 && strcmp(got, want) != 0;
			hist_result(json, &hc[c], presets[p].name, got, want, note);
		}
	}
	if (!json)
		printf("%d results, %d mismatched\n", total, mismatches);
	cli_opts_free(&o);
	return mismatches ? PL_EXIT_MISMATCH : PL_EXIT_OK;
}

int cli_hist_show(const char *name, const struct cli_opts *o)
{
	const struct pl_hist_case *hc = hist_find(name);
	const char *preset = o->preset ? o->preset : "latest";
	struct pl_policy pol;
	struct world *w;
	char note[256];
	const char *got;

	if (!hc)
		return cli_usage_error("show", "no file and no history case '%s' (see 'pinlab "
				       "history')", name);
	pol = cli_policy(preset, o);
	got = pl_hist_run(hc, &pol, preset, &w, note, sizeof(note));
	printf("# %s under %s: %s (%s)\n", hc->name, preset, got, note);
	pl_dump_world(stdout, w);
	pl_world_free(w);
	return PL_EXIT_OK;
}

int cli_hist_demo(void)
{
	int n, np, mismatches = 0;
	const struct pl_hist_case *hc = pl_hist_cases(&n);
	const struct pl_preset *presets = pl_presets(&np);
	struct world *w;
	char note[256];
	const char *got;

	printf("pinlab: the historical GUP/COW bugs under every era preset\n");
	printf("(a failure class where that era had the bug, 'pass' where it was fixed; "
	       "'*' marks an outcome that differs from the expectation)\n\n");
	printf("%-20s", "case");
	for (int p = 0; p < np; p++)
		printf(" %-13s", presets[p].name);
	printf("\n");
	for (int c = 0; c < n; c++) {
		printf("%-20s", hc[c].name);
		for (int p = 0; p < np; p++) {
			bool ok;
			char cell[24];

			got = pl_hist_run(&hc[c], &presets[p].policy, presets[p].name, NULL, NULL,
					  0);
			ok = !strcmp(got, pl_hist_expected(&hc[c], presets[p].name));
			mismatches += !ok;
			snprintf(cell, sizeof(cell), "%s%s", got, ok ? "" : "*");
			printf(" %-13s", cell);
		}
		printf("\n");
	}
	printf("\n%d results: %d matched, %d mismatched, 0 skipped\n", n * np,
	       n * np - mismatches, mismatches);
	printf("\nState after CVE-2020-29374 under v5.7 (the child's pipe still holds the "
	       "parent's page):\n");
	got = pl_hist_run(hist_find("cve-2020-29374"), &pl_preset_find("v5.7")->policy, "v5.7", &w,
			  note, sizeof(note));
	printf("outcome: %s (%s)\n", got, note);
	pl_dump_world(stdout, w);
	pl_world_free(w);
	return mismatches ? PL_EXIT_MISMATCH : PL_EXIT_OK;
}

const struct cli_cmd cli_cmd_history = { "history", cmd_history, history_usage };
