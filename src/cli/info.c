/*
 * info.c - the reference listings: `pinlab presets`, `pinlab knobs`,
 * `pinlab invariants` (docs/presets.md and docs/invariants.md are generated
 * from them by `make docs`).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "report/report.h"

static const char presets_usage[] =
	"usage: pinlab presets [--format table|json]\n"
	"\n"
	"List the era presets: the kernel versions each models, the commits behind its\n"
	"rules, and a table of every knob's value per preset.\n";

static const char knobs_usage[] =
	"usage: pinlab knobs\n"
	"\n"
	"List every policy knob with the commit that introduced its rule.\n"
	"Override one with --set knob=value (run, show, explain, history).\n";

static const char invariants_usage[] =
	"usage: pinlab invariants [--format table|json]\n"
	"\n"
	"List the invariants the checker enforces, with their class and kernel rule.\n";

#define INFO_OPTIONS CLI_FORMAT

/* --format table|json; *json set.  0 or PL_EXIT_USAGE. */
static int info_parse(const char *cmd, int argc, char **argv, unsigned int allowed, bool *json)
{
	struct cli_opts o;
	int ret = cli_parse(cmd, argc, argv, allowed, &o);

	if (!ret && o.nr_args)
		ret = cli_usage_error(cmd, "unexpected argument '%s'", o.args[0]);
	if (!ret && o.format) {
		*json = !strcmp(o.format, "json");
		if (!*json && strcmp(o.format, "table"))
			ret = cli_usage_error(cmd, "unknown format '%s' (expected table or json)",
					      o.format);
	}
	cli_opts_free(&o);
	return ret;
}

static const char *info_short(const char *v)
{
	return !strcmp(v, "true") ? "yes" : !strcmp(v, "false") ? "-" : !strcmp(v, "mapcount")
		   ? "mapc" : !strcmp(v, "refcount") ? "refc" : v;
}

static int cmd_presets(int argc, char **argv)
{
	bool json = false;
	int n, nk, ret = info_parse("presets", argc, argv, INFO_OPTIONS, &json);
	const struct pl_preset *p = pl_presets(&n);
	const struct pl_knob *k = pl_knobs(&nk);

	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		if (!json) {
			printf("%-7s %-24s %s\n", p[i].name, p[i].kernels, p[i].summary);
			continue;
		}
		printf("{\"preset\": ");
		pl_json_str(stdout, p[i].name);
		printf(", \"kernels\": ");
		pl_json_str(stdout, p[i].kernels);
		printf(", \"summary\": ");
		pl_json_str(stdout, p[i].summary);
		printf(", \"knobs\": {");
		for (int j = 0; j < nk; j++) {
			printf("%s", j ? ", " : "");
			pl_json_str(stdout, k[j].name);
			printf(": ");
			pl_json_str(stdout, pl_policy_knob_value(&p[i].policy, &k[j]));
		}
		printf("}}\n");
	}
	if (json)
		return PL_EXIT_OK;
	printf("\n%-28s", "knob");
	for (int i = 0; i < n; i++)
		printf(" %-6s", p[i].name);
	printf("\n");
	for (int j = 0; j < nk; j++) {
		printf("%-28s", k[j].name);
		for (int i = 0; i < n; i++)
			printf(" %-6s", info_short(pl_policy_knob_value(&p[i].policy, &k[j])));
		printf("\n");
	}
	return PL_EXIT_OK;
}

static int cmd_knobs(int argc, char **argv)
{
	bool json = false;
	int nk, ret = info_parse("knobs", argc, argv, 0, &json);
	const struct pl_knob *k = pl_knobs(&nk);

	if (ret)
		return ret;
	for (int j = 0; j < nk; j++)
		printf("%-28s %-28s %s\n", k[j].name, k[j].commit, k[j].doc);
	return PL_EXIT_OK;
}

static int cmd_invariants(int argc, char **argv)
{
	bool json = false;
	int n, ret = info_parse("invariants", argc, argv, INFO_OPTIONS, &json);
	const struct pl_invariant *inv = pl_invariants(&n);

	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		if (!json) {
			printf("%-26s %-14s %s\n%-41s [%s]\n", inv[i].name,
			       pl_class_name(inv[i].cls), inv[i].rule, "", inv[i].kernel);
			continue;
		}
		printf("{\"invariant\": ");
		pl_json_str(stdout, inv[i].name);
		printf(", \"class\": ");
		pl_json_str(stdout, pl_class_name(inv[i].cls));
		printf(", \"rule\": ");
		pl_json_str(stdout, inv[i].rule);
		printf(", \"kernel\": ");
		pl_json_str(stdout, inv[i].kernel);
		printf("}\n");
	}
	return PL_EXIT_OK;
}

const struct cli_cmd cli_cmd_presets = { "presets", cmd_presets, presets_usage };
const struct cli_cmd cli_cmd_knobs = { "knobs", cmd_knobs, knobs_usage };
const struct cli_cmd cli_cmd_invariants = { "invariants", cmd_invariants, invariants_usage };
