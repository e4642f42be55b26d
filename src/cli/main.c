/*
 * pinlab: command-line entry point.  Parses argv and dispatches to one
 * function per subcommand.  Exit codes are one enum, as the CLI promises.
 */
#include "dump.h"
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum pl_exit {
	PL_EXIT_OK = 0,		/* every outcome matched its expectation */
	PL_EXIT_MISMATCH = 1,	/* an expectation failed */
	PL_EXIT_USAGE = 2,	/* bad input or usage */
	PL_EXIT_INTERNAL = 3,	/* pinlab itself is wrong */
};

static const char usage_text[] =
	"usage: pinlab COMMAND [ARGS]\n"
	"\n"
	"An executable model of Linux get_user_pages(), page pinning and copy-on-write.\n"
	"\n"
	"commands:\n"
	"  presets [--format table|json]     era presets with the kernels and commits they model\n"
	"  knobs                              every policy knob with its commit\n"
	"  invariants [--format table|json]  the invariants the checker enforces\n"
	"  history [--preset P|--all-presets] [--set knob=value]... [--trace] [CASE...]\n"
	"                                     run the built-in historical bug cases\n"
	"  show CASE [--preset P]             run one history case and dump the final state\n"
	"  demo                               the history matrix under every preset\n"
	"  help [COMMAND]                     this text, or one command's\n"
	"\n"
	"exit status: 0 all expectations met, 1 an expectation failed, 2 bad usage,\n"
	"3 internal error\n";

#include <stdarg.h>

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pinlab: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'pinlab help'.\n");
	return PL_EXIT_USAGE;
}

/* ---------------------------------------------------------------------------
 * JSON string output (escapes quotes, backslashes and control characters).
 */
static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static int parse_format(int argc, char **argv, int *i, bool *json)
{
	if (strcmp(argv[*i], "--format") != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	(*i)++;
	if (!strcmp(argv[*i], "json"))
		*json = true;
	else if (!strcmp(argv[*i], "table"))
		*json = false;
	else
		return -1;
	return 1;
}

/* ---------------------------------------------------------------------------
 * pinlab presets / knobs / invariants
 */
static int cmd_presets(int argc, char **argv)
{
	bool json = false;
	int n, nk;
	const struct pl_preset *p = pl_presets(&n);
	const struct pl_knob *k = pl_knobs(&nk);

	for (int i = 1; i < argc; i++)
		if (parse_format(argc, argv, &i, &json) != 1)
			return usage_error("presets: unknown option '%s'", argv[i]);
	for (int i = 0; i < n; i++) {
		if (json) {
			printf("{\"preset\": ");
			json_str(stdout, p[i].name);
			printf(", \"kernels\": ");
			json_str(stdout, p[i].kernels);
			printf(", \"summary\": ");
			json_str(stdout, p[i].summary);
			printf(", \"knobs\": {");
			for (int j = 0; j < nk; j++) {
				printf("%s", j ? ", " : "");
				json_str(stdout, k[j].name);
				printf(": ");
				json_str(stdout, pl_policy_knob_value(&p[i].policy, &k[j]));
			}
			printf("}}\n");
			continue;
		}
		printf("%-7s %-24s %s\n", p[i].name, p[i].kernels, p[i].summary);
	}
	if (!json) {
		printf("\n%-28s", "knob");
		for (int i = 0; i < n; i++)
			printf(" %-6s", p[i].name);
		printf("\n");
		for (int j = 0; j < nk; j++) {
			printf("%-28s", k[j].name);
			for (int i = 0; i < n; i++) {
				const char *v = pl_policy_knob_value(&p[i].policy, &k[j]);

				printf(" %-6s", !strcmp(v, "true")	? "yes"
						 : !strcmp(v, "false") ? "-"
						 : !strcmp(v, "mapcount") ? "mapc"
						 : !strcmp(v, "refcount") ? "refc" : v);
			}
			printf("\n");
		}
	}
	return PL_EXIT_OK;
}

static int cmd_knobs(int argc, char **argv)
{
	int nk;
	const struct pl_knob *k = pl_knobs(&nk);

	if (argc > 1)
		return usage_error("knobs: unexpected argument '%s'", argv[1]);
	for (int j = 0; j < nk; j++)
		printf("%-28s %-28s %s\n", k[j].name, k[j].commit, k[j].doc);
	return PL_EXIT_OK;
}

static int cmd_invariants(int argc, char **argv)
{
	bool json = false;
	int n;
	const struct pl_invariant *inv = pl_invariants(&n);

	for (int i = 1; i < argc; i++)
		if (parse_format(argc, argv, &i, &json) != 1)
			return usage_error("invariants: unknown option '%s'", argv[i]);
	for (int i = 0; i < n; i++) {
		if (json) {
			printf("{\"invariant\": ");
			json_str(stdout, inv[i].name);
			printf(", \"class\": ");
			json_str(stdout, pl_class_name(inv[i].cls));
			printf(", \"rule\": ");
			json_str(stdout, inv[i].rule);
			printf(", \"kernel\": ");
			json_str(stdout, inv[i].kernel);
			printf("}\n");
		} else {
			printf("%-26s %-14s %s\n%-41s [%s]\n", inv[i].name, pl_class_name(inv[i].cls),
			       inv[i].rule, "", inv[i].kernel);
		}
	}
	return PL_EXIT_OK;
}

/* ---------------------------------------------------------------------------
 * pinlab history / show / demo
 */
struct hist_opts {
	int all_presets;
	const char *preset;
	const char *sets[16];
	int nr_sets;
	bool trace, json;
	const char *cases[64];
	int nr_cases;
};

static void trace_event(struct world *w, const struct pl_event *ev, void *arg)
{
	(void)arg;
	printf("    step %llu %-13s %-28s pid %d addr 0x%llx pfn %u->%u%s%s%s\n",
	       (unsigned long long)w->step, pl_event_kind_name(ev->kind), ev->func, ev->pid,
	       (unsigned long long)ev->addr, ev->old_pfn, ev->new_pfn,
	       ev->rule ? " [" : "", ev->rule ? ev->rule : "", ev->rule ? "]" : "");
	if (ev->detail[0])
		printf("        %s\n", ev->detail);
}

static int parse_hist_opts(int argc, char **argv, struct hist_opts *o)
{
	for (int i = 1; i < argc; i++) {
		int f = parse_format(argc, argv, &i, &o->json);

		if (f < 0)
			return usage_error("bad --format value (expected table or json)");
		if (f)
			continue;
		if (!strcmp(argv[i], "--all-presets")) {
			o->all_presets = 1;
		} else if (!strcmp(argv[i], "--preset") && i + 1 < argc) {
			o->preset = argv[++i];
			if (!pl_preset_find(o->preset))
				return usage_error("unknown preset '%s' (see 'pinlab presets')",
						   o->preset);
		} else if (!strcmp(argv[i], "--set") && i + 1 < argc) {
			if (o->nr_sets == 16)
				return usage_error("too many --set options");
			o->sets[o->nr_sets++] = argv[++i];
		} else if (!strcmp(argv[i], "--trace")) {
			o->trace = true;
		} else if (argv[i][0] == '-') {
			return usage_error("unknown option '%s'", argv[i]);
		} else {
			if (o->nr_cases == 64)
				return usage_error("too many cases");
			o->cases[o->nr_cases++] = argv[i];
		}
	}
	return 0;
}

static const struct pl_hist_case *find_case(const char *name)
{
	int n;
	const struct pl_hist_case *hc = pl_hist_cases(&n);

	for (int i = 0; i < n; i++)
		if (!strcmp(hc[i].name, name))
			return &hc[i];
	return NULL;
}

static int policy_for(const char *preset, const struct hist_opts *o, struct pl_policy *p)
{
	char err[160];

	*p = pl_preset_find(preset)->policy;
	for (int i = 0; i < o->nr_sets; i++)
		if (pl_policy_set(p, o->sets[i], err, sizeof(err)))
			return usage_error("--set: %s", err);
	return 0;
}

static int cmd_history(int argc, char **argv)
{
	struct hist_opts o = { 0 };
	int n, np, mismatches = 0, total = 0, ret;
	const struct pl_hist_case *hc = pl_hist_cases(&n);
	const struct pl_preset *presets = pl_presets(&np);

	ret = parse_hist_opts(argc, argv, &o);
	if (ret)
		return ret;
	for (int i = 0; i < o.nr_cases; i++)
		if (!find_case(o.cases[i]))
			return usage_error("unknown case '%s' (see 'pinlab history')", o.cases[i]);
	if (!o.preset && !o.all_presets)
		o.preset = "latest";
	for (int c = 0; c < n; c++) {
		bool selected = o.nr_cases == 0;

		for (int i = 0; i < o.nr_cases; i++)
			selected |= !strcmp(o.cases[i], hc[c].name);
		if (!selected)
			continue;
		for (int p = 0; p < np; p++) {
			struct pl_policy pol;
			char note[256];
			const char *got, *want;
			struct world *w = NULL;

			if (!o.all_presets && strcmp(presets[p].name, o.preset))
				continue;
			ret = policy_for(presets[p].name, &o, &pol);
			if (ret)
				return ret;
			if (o.trace)
				printf("# %s under %s\n", hc[c].name, presets[p].name);
			got = pl_hist_run_traced(&hc[c], &pol, presets[p].name,
						 o.trace ? trace_event : NULL, NULL,
						 o.trace ? &w : NULL, note, sizeof(note));
			if (w) {
				pl_dump_world(stdout, w);
				pl_world_free(w);
			}
			want = pl_hist_expected(&hc[c], presets[p].name);
			total++;
			mismatches += o.nr_sets == 0 && strcmp(got, want) != 0;
			if (o.json) {
				printf("{\"scenario\": ");
				json_str(stdout, hc[c].name);
				printf(", \"preset\": ");
				json_str(stdout, presets[p].name);
				printf(", \"outcome\": ");
				json_str(stdout, got);
				printf(", \"expected\": ");
				json_str(stdout, want);
				printf(", \"match\": %s, \"detail\": ", strcmp(got, want) ? "false" : "true");
				json_str(stdout, note);
				printf("}\n");
			} else {
				printf("%-4s %-20s %-7s %-13s (expected %s) %s\n",
				       strcmp(got, want) ? "FAIL" : "ok", hc[c].name, presets[p].name,
				       got, want, note);
			}
		}
	}
	if (!o.json)
		printf("%d results, %d mismatched\n", total, mismatches);
	return mismatches ? PL_EXIT_MISMATCH : PL_EXIT_OK;
}

static int cmd_show(int argc, char **argv)
{
	struct hist_opts o = { 0 };
	const struct pl_hist_case *hc;
	struct pl_policy pol;
	struct world *w;
	char note[256];
	const char *got;
	int ret = parse_hist_opts(argc, argv, &o);

	if (ret)
		return ret;
	if (o.nr_cases != 1)
		return usage_error("show: expected one case name");
	hc = find_case(o.cases[0]);
	if (!hc)
		return usage_error("unknown case '%s' (see 'pinlab history')", o.cases[0]);
	if (!o.preset)
		o.preset = "latest";
	ret = policy_for(o.preset, &o, &pol);
	if (ret)
		return ret;
	got = pl_hist_run(hc, &pol, o.preset, &w, note, sizeof(note));
	printf("# %s under %s: %s (%s)\n", hc->name, o.preset, got, note);
	pl_dump_world(stdout, w);
	pl_world_free(w);
	return PL_EXIT_OK;
}

static int cmd_demo(int argc, char **argv)
{
	int n, np, mismatches = 0;
	const struct pl_hist_case *hc = pl_hist_cases(&n);
	const struct pl_preset *presets = pl_presets(&np);

	(void)argv;
	if (argc > 1)
		return usage_error("demo: unexpected argument '%s'", argv[1]);
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
			const char *got = pl_hist_run(&hc[c], &presets[p].policy, presets[p].name,
						      NULL, NULL, 0);
			bool ok = !strcmp(got, pl_hist_expected(&hc[c], presets[p].name));
			char cell[24];

			mismatches += !ok;
			snprintf(cell, sizeof(cell), "%s%s", !strcmp(got, "pass") ? "pass" : got,
				 ok ? "" : "*");
			printf(" %-13s", cell);
		}
		printf("\n");
	}
	printf("\n%d cases x %d presets, %d unexpected\n", n, np, mismatches);
	printf("\nState after CVE-2020-29374 under v5.7 (the child's pipe still holds the "
	       "parent's page):\n");
	{
		struct world *w;
		char note[256];
		const char *got = pl_hist_run(find_case("cve-2020-29374"),
					      &pl_preset_find("v5.7")->policy, "v5.7", &w, note,
					      sizeof(note));

		printf("outcome: %s (%s)\n", got, note);
		pl_dump_world(stdout, w);
		pl_world_free(w);
	}
	return mismatches ? PL_EXIT_MISMATCH : PL_EXIT_OK;
}

static int cmd_help(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "presets", cmd_presets,
	  "usage: pinlab presets [--format table|json]\n"
	  "List the era presets: the kernel versions each models, the commits behind its\n"
	  "rules, and a table of every knob's value per preset.\n" },
	{ "knobs", cmd_knobs,
	  "usage: pinlab knobs\nList every policy knob with the commit that introduced its rule.\n"
	  "Override one with --set knob=value.\n" },
	{ "invariants", cmd_invariants,
	  "usage: pinlab invariants [--format table|json]\n"
	  "List the invariants the checker enforces, with their class and kernel rule.\n" },
	{ "history", cmd_history,
	  "usage: pinlab history [--preset P | --all-presets] [--set knob=value]...\n"
	  "                      [--format table|json] [--trace] [CASE...]\n"
	  "Run the built-in historical bug cases (default: all) under a preset (default:\n"
	  "latest) and compare each outcome with the era's expectation.  --trace prints\n"
	  "every COW, reuse, unshare, fork copy and GUP decision with its rule, then the\n"
	  "final state.  With --set the expectations are not enforced.\n" },
	{ "show", cmd_show,
	  "usage: pinlab show CASE [--preset P] [--set knob=value]...\n"
	  "Run one history case and print every process, VMA, PTE and folio.\n" },
	{ "demo", cmd_demo,
	  "usage: pinlab demo\nThe history matrix under every preset, and one state dump.\n" },
	{ "help", cmd_help, "usage: pinlab help [COMMAND]\n" },
};

static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stdout);
		return PL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, argv[1])) {
			fputs(commands[i].help, stdout);
			return PL_EXIT_OK;
		}
	return usage_error("help: unknown command '%s'", argv[1]);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return PL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, argv);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[1]))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			fputs(commands[i].help, stdout);
			return PL_EXIT_OK;
		}
		return commands[i].fn(argc - 1, argv + 1);
	}
	return usage_error("unknown command '%s'", argv[1]);
}
