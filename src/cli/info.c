/*
 * info.c - the reference listings: `pinlab presets`, `pinlab knobs`,
 * `pinlab invariants` (docs/presets.md and docs/invariants.md are generated
 * from them by `make docs`).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static const char presets_usage[] =
	"usage: pinlab presets [--format table|json]\n"
	"\n"
	"List the era presets: the kernel versions each models, the commits behind its\n"
	"rules, and a table of every knob's value per preset.\n";

static const char knobs_usage[] =
	"usage: pinlab knobs [--format table|json]\n"
	"\n"
	"List every policy knob: the first and last mainline release that has its rule,\n"
	"the stable releases that took it early or dropped it early, the commit, and\n"
	"how the release was verified; then a timeline of the releases 4.8 - 6.18, one\n"
	"row per knob.  Every preset is derived from this table: --preset takes a\n"
	"checkpoint name or any release (--preset 5.10.9).  Override one knob with\n"
	"--set knob=value (run, show, explain, history).\n"
	"--set also takes the host facts zero_page and huge_zero_page (true: a read\n"
	"fault maps the shared / huge zero page, as upstream; false: a fresh page, as\n"
	"on some vendor kernels).  They describe a machine, not an era: diff and\n"
	"fuzz-diff set them from the host profile (docs/host.md).\n";

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

/* One "KEY": "VALUE" member of a JSON line; @first opens the object. */
static void info_json_str(bool first, const char *key, const char *val)
{
	printf("%s\"%s\": ", first ? "{" : ", ", key);
	pl_json_str(stdout, val);
}

static int cmd_presets(int argc, char **argv)
{
	bool json = false;
	int n, nk, per, ret = info_parse("presets", argc, argv, INFO_OPTIONS, &json);
	const struct pl_preset *p = pl_presets(&n);
	const struct pl_knob *k = pl_knobs(&nk);

	if (ret)
		return ret;
	for (int i = 0; i < n; i++) {
		if (!json) {
			printf("%-7s %-24s %s\n", p[i].name, p[i].kernels, p[i].summary);
			continue;
		}
		info_json_str(true, "preset", p[i].name);
		info_json_str(false, "kernels", p[i].kernels);
		info_json_str(false, "summary", p[i].summary);
		printf(", \"knobs\": {");
		for (int j = 0; j < nk; j++) {
			printf("%s", j ? ", " : "");
			pl_json_str(stdout, k[j].name);
			printf(": ");
			pl_json_str(stdout, pl_policy_knob_value(&p[i].policy, &k[j]));
		}
		printf("}, \"version\": %d}\n", PL_JSON_VERSION);
	}
	if (json)
		return PL_EXIT_OK;
	/* the knob x preset matrix, in blocks of as many presets as fit the width */
	per = (cli_width() - 28) / 7;
	if (per < 1)
		per = 1;
	for (int first = 0; first < n; first += per) {
		int last = first + per < n ? first + per : n;

		printf("\n%-28s", "knob");
		for (int i = first; i < last; i++)
			printf(" %-6s", p[i].name);
		printf("\n");
		for (int j = 0; j < nk; j++) {
			printf("%-28s", k[j].name);
			for (int i = first; i < last; i++)
				printf(" %-6s", info_short(pl_policy_knob_value(&p[i].policy, &k[j])));
			printf("\n");
		}
	}
	return PL_EXIT_OK;
}

/* The mainline releases 4.8 - 6.18, as the timeline's columns. */
static int info_mainline(char names[][8], int max)
{
	int n = 0;

	for (int major = 4; major <= 6; major++)
		for (int minor = 0; minor <= 20 && n < max; minor++) {
			struct pl_policy p;

			snprintf(names[n], sizeof(names[0]), "%d.%d", major, minor);
			if (!pl_release_policy(names[n], &p))
				n++;
		}
	return n;
}

static bool info_rule_on(const struct pl_policy *p, const struct pl_knob *k)
{
	const char *v = pl_policy_knob_value(p, k);

	return !strcmp(v, "true") || !strcmp(v, "refcount");
}

/*
 * One row per knob, one column per mainline release: '#' where the release
 * has the rule.  Above, the release numbers read downwards and a row that
 * marks where each checkpoint starts.
 */
static void knobs_timeline(const struct pl_knob *k, int nk)
{
	static const char marks[] = "0123456789abcdefghijklmnopqrstuv";
	static const char *const head[] = { "checkpoint", "major", "minor", "" };
	char rel[64][8];
	int nr = info_mainline(rel, 64), np;
	const struct pl_preset *p = pl_presets(&np);

	printf("\ntimeline: one column per mainline release %s - %s, read downwards\n"
	       "(major, minor tens, minor units); # = the release has the rule (a digit:\n"
	       "which step of a many-valued knob's history, . = its first value).  The\n"
	       "checkpoint row marks where each named preset starts (legend below);\n"
	       "stable backports are in the \"stable\" column above.\n\n",
	       PL_RELEASE_OLDEST, PL_RELEASE_NEWEST);
	for (int line = 0; line < 4; line++) {
		printf("%-28s", head[line]);
		for (int c = 0; c < nr; c++) {
			int minor = atoi(strchr(rel[c], '.') + 1), cp = -1;

			for (int i = 0; i < np; i++)
				if (!strcmp(p[i].first, rel[c]))
					cp = i;
			if (line == 0)
				putchar(cp < 0 ? ' ' : marks[cp % 32]);
			else if (line == 1)
				putchar(c == 0 || minor == 0 ? rel[c][0] : ' ');
			else if (line == 2)
				putchar('0' + minor / 10);
			else
				putchar('0' + minor % 10);
		}
		printf("\n");
	}
	for (int j = 0; j < nk; j++) {
		printf("%-28s", k[j].name);
		for (int c = 0; c < nr; c++) {
			struct pl_policy pol;

			pl_release_policy(rel[c], &pol);
			if (k[j].steps) {
				/* a many-valued knob: which step of its history */
				unsigned char v = *((const unsigned char *)&pol + k[j].offset);

				putchar(v ? '0' + v : '.');
			} else {
				putchar(info_rule_on(&pol, &k[j]) ? '#' : '.');
			}
		}
		printf("\n");
	}
	printf("\ncheckpoints:");
	for (int i = 0; i < np; i++)
		printf("%s%c=%s (%s)", i % 4 ? "  " : "\n  ", marks[i % 32], p[i].name,
		       p[i].kernels);
	printf("\n");
}

static int cmd_knobs(int argc, char **argv)
{
	bool json = false;
	int nk, ret = info_parse("knobs", argc, argv, INFO_OPTIONS, &json);
	const struct pl_knob *k = pl_knobs(&nk);

	if (ret)
		return ret;
	if (!json)
		printf("%-28s %-6s %-6s %-12s %-26s %s\n", "knob", "first", "last", "stable",
		       "commit", "rule");
	for (int j = 0; j < nk; j++) {
		if (!json) {
			printf("%-28s %-6s %-6s %-12s %-26s %s\n%-28s %s\n", k[j].name,
			       k[j].first ? k[j].first : "<=4.8", k[j].last ? k[j].last : "-",
			       k[j].stable ? k[j].stable : "-", k[j].commit, k[j].doc, "",
			       k[j].source);
			continue;
		}
		info_json_str(true, "knob", k[j].name);
		info_json_str(false, "first", k[j].first ? k[j].first : PL_RELEASE_OLDEST);
		info_json_str(false, "last", k[j].last ? k[j].last : PL_RELEASE_NEWEST);
		info_json_str(false, "stable", k[j].stable ? k[j].stable : "");
		info_json_str(false, "commit", k[j].commit);
		info_json_str(false, "rule", k[j].doc);
		info_json_str(false, "source", k[j].source);
		printf(", \"version\": %d}\n", PL_JSON_VERSION);
	}
	if (!json)
		knobs_timeline(k, nk);
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
		info_json_str(true, "invariant", inv[i].name);
		info_json_str(false, "class", pl_class_name(inv[i].cls));
		info_json_str(false, "rule", inv[i].rule);
		info_json_str(false, "kernel", inv[i].kernel);
		printf(", \"version\": %d}\n", PL_JSON_VERSION);
	}
	return PL_EXIT_OK;
}

const struct cli_cmd cli_cmd_presets = { "presets", cmd_presets, presets_usage };
const struct cli_cmd cli_cmd_knobs = { "knobs", cmd_knobs, knobs_usage };
const struct cli_cmd cli_cmd_invariants = { "invariants", cmd_invariants, invariants_usage };
