/*
 * run.c - `pinlab run` and `pinlab check`.
 *
 * Both load and check every file first: if any file is bad, every error of
 * every file is printed and nothing runs (exit 2).  `run` then executes each
 * scenario under each selected preset and each backing of its matrix and
 * writes one result per run in the chosen format.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "report/dump.h"
#include "report/report.h"

static const char run_usage[] =
	"usage: pinlab run PATH... [-p P | --presets LIST | --all-presets] [--backing B]\n"
	"                  [--set knob=value]... [--format table|ktap|json] [--trace]\n"
	"                  [--max-steps N] [--max-pages N] [--check=full|changed]\n"
	"\n"
	"Run scenarios against the model.  PATH is a .pin file, a directory searched\n"
	"recursively for *.pin files (sorted), or - for standard input (named <stdin>\n"
	"in messages).  Every file is loaded and checked before anything runs; one bad\n"
	"file (or a directory where a file is needed, an unreadable file) means exit 2\n"
	"and no run at all.\n"
	"\n"
	"Each scenario runs once per preset and per backing of its matrix:\n"
	"  -p, --preset P    the era preset to run (default: latest; 'pinlab presets'),\n"
	"                    by name (v5.7) or kernel release (6.1, 5.10.102)\n"
	"  --presets LIST    presets separated by commas; A..B is a range (5.4..6.1)\n"
	"  --all-presets     every preset, oldest first\n"
	"  --backing B       only backing B (any backing, even one not in the matrix:\n"
	"                    then only `expect` lines without `with` apply)\n"
	"  --set knob=value  override one policy knob ('pinlab knobs') or host fact\n"
	"                    (zero_page, huge_zero_page: docs/host.md); repeatable\n"
	"  -f, --format F    table (default): one line per run and a summary;\n"
	"                    ktap: KTAP version 1 as kselftest prints it;\n"
	"                    json: one object per run per line\n"
	"  -q, --quiet       table: only the runs that did not match, and the summary\n"
	"  -v, --trace       before each result, every step with the events it caused\n"
	"                    and the folios it changed (\"# \" lines in KTAP; on stderr\n"
	"                    with --format json)\n"
	CLI_LIMITS_HELP
	"  --check=full      after each step, re-check every process, every page of\n"
	"                    every folio and every page-cache slot (slow; the\n"
	"                    checker's own test); default --check=changed: the\n"
	"                    processes and pages a step changed or maps (same\n"
	"                    violations, cost follows the work done)\n"
	"\n"
	"backings: base (anon) swapped thp-2048k (thp) thp-swapped-2048k hugetlb-2048k\n"
	"  (hugetlb) hugetlb-1048576k zeropage huge-zeropage memfd tmpfile local-tmpfile\n"
	"  memfd-hugetlb-2048k memfd-hugetlb-1048576k ksm shmem, and for S in 16 32 64\n"
	"  128 256 512 1024 2048: thp-pte-Sk thp-pte-swapped-Sk thp-single-pte-Sk\n"
	"  thp-single-pte-swapped-Sk thp-mremap-Sk thp-partial-shared-Sk\n"
	"\n"
	"exit status: 0 every outcome matched its expectation, 1 one did not,\n"
	"2 bad input or usage, 3 internal error, out of memory (\"pinlab: out of\n"
	"memory\") or a limit reached (\"pinlab: limit: ...\")\n";

#define RUN_OPTIONS (CLI_QUIET | CLI_PRESETS | CLI_PRESET | CLI_ALL | CLI_BACKING | CLI_SET | CLI_FORMAT | CLI_TRACE | \
		     CLI_LIMITS | CLI_CHECK)

static const char check_usage[] =
	"usage: pinlab check PATH... [--format text|json]\n"
	"\n"
	"Parse and check scenarios without running them.  PATH is a .pin file, a\n"
	"directory searched recursively for *.pin files, or - for standard input\n"
	"(named <stdin> in messages).  Prints every error as\n"
	"FILE:LINE:COL: error: MESSAGE, or \"N scenarios OK\".\n"
	"\n"
	"exit status: 0 all scenarios are valid, 2 an error was found\n";

#define CHECK_OPTIONS CLI_FORMAT

struct run_ctx {
	struct pl_report rp;
	struct pl_trace tr;
	struct cli_show_to show_to;
	struct pl_exec_hooks hooks;
	struct pl_backend *be;
	const char *presets[64];
	int nr_presets;
};

static int run_one(struct run_ctx *c, const struct cli_file *f, const struct cli_opts *o,
		   const char *preset, int backing)
{
	struct pl_exec_opts eo = {
		.preset = preset, .sets = o->sets, .nr_sets = o->nr_sets,
		.hooks = o->trace ? &c->hooks : NULL,
		.max_steps = o->max_steps, .max_pages = o->max_pages,
		.max_procs = o->max_procs, .max_ms = o->max_ms, .stop = cli_interrupted,
		.check_full = o->check_full,
	};
	struct pl_result r;
	int ret;

	if (o->trace) {
		fprintf(c->tr.out, "%s== %s [%s %s]: %s\n", c->tr.prefix, f->id, preset,
			pl_backing_info(backing)->name, f->sc->name);
	}
	ret = pl_exec_run(f->sc, backing, c->be, &eo, &r);
	if (c->be->end)
		c->be->end(c->be);
	if (ret == 0 && c->show_to.oom)
		ret = -ENOMEM;	/* a SHOW step's state is missing from the trace */
	if (ret == -ENOMEM) {
		pl_result_free(&r);
		return cli_oom();
	}
	if (ret == -ERANGE && cli_interrupted()) {
		pl_result_free(&r);	/* cut short: not a result */
		return 0;
	}
	if (ret == -ERANGE) {
		ret = cli_limit(f, preset, backing, r.detail);
		pl_result_free(&r);
		return ret;
	}
	if (ret < 0) {
		fputs("pinlab: internal error: ", stderr);
		pl_path_put(stderr, f->path);
		fprintf(stderr, " [%s %s]: %s\n", preset, pl_backing_info(backing)->name,
			r.detail);
		pl_result_free(&r);
		return PL_EXIT_INTERNAL;
	}
	r.id = f->id;
	pl_report_result(&c->rp, &r);
	pl_result_free(&r);
	return 0;
}

/*
 * cli_run_files() - the run pipeline after loading: every file x preset x
 * backing into a report on out.  Trace lines go to out, or to aside with
 * --format json (they are not JSON).  The fuzz harness (fuzz/fuzz_run.c)
 * calls this with memory streams.
 */
int cli_run_files(const struct cli_files *files, const struct cli_opts *o, int fmt, bool color,
		  FILE *out, FILE *aside)
{
	struct run_ctx c;
	struct cli_progress prog;
	int plan = 0, ret = 0;
	int idx[CLI_MAX_BACKINGS];

	memset(&c, 0, sizeof(c));
	c.nr_presets = cli_presets(o, c.presets, 64, false);
	for (int i = 0; i < files->n; i++)
		plan += c.nr_presets * cli_backings(files->f[i].sc, o->backing_idx, idx);
	c.be = pl_model_backend_new();
	if (!c.be)
		return cli_oom();
	/* trace lines are KTAP diagnostics; beside JSON lines they go aside */
	c.tr.out = fmt == PL_FMT_JSON ? aside : out;
	c.tr.prefix = fmt == PL_FMT_KTAP ? "# " : "";
	c.show_to.out = c.tr.out;
	c.show_to.prefix = c.tr.prefix;
	c.tr.show = cli_show_hook;
	c.tr.show_arg = &c.show_to;
	pl_trace_hooks(&c.tr, &c.hooks);
	pl_report_begin(&c.rp, out, (enum pl_format)fmt, color, plan);
	c.rp.quiet = o->quiet;
	c.rp.width = out == stdout ? cli_width() : 0;
	/* the results on a terminal are their own progress; else a line on stderr */
	cli_progress_begin(&prog, "run", out == stdout && !isatty(STDOUT_FILENO) && !o->trace ?
			   plan : 0);
	for (int i = 0; i < files->n && !ret && !cli_interrupted(); i++) {
		int nb = cli_backings(files->f[i].sc, o->backing_idx, idx);

		for (int p = 0; p < c.nr_presets && !ret && !cli_interrupted(); p++) {
			for (int b = 0; b < nb && !ret && !cli_interrupted(); b++) {
				ret = run_one(&c, &files->f[i], o, c.presets[p], idx[b]);
				cli_progress_step(&prog);
			}
		}
	}
	cli_progress_end(&prog);
	if (!ret && cli_interrupted()) {
		pl_report_interrupted(&c.rp, cli_signal_name());
		ret = cli_interrupted_exit();
	} else if (!ret) {
		pl_report_end(&c.rp);
		ret = c.rp.mismatched ? PL_EXIT_MISMATCH : PL_EXIT_OK;
	}
	c.be->destroy(c.be);
	return ret;
}

static int cmd_run(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files;
	int fmt = PL_FMT_TABLE, ret;

	ret = cli_parse("run", argc, argv, RUN_OPTIONS, &o);
	if (!ret && !o.nr_args)
		ret = cli_usage_error("run", "expected a PATH (a .pin file or a directory)");
	if (!ret && o.format && (fmt = pl_format_find(o.format)) < 0)
		ret = cli_usage_error("run", "unknown format '%s' (expected table, ktap or json)",
				      o.format);
	if (!ret)
		ret = cli_load_opts(o.args, o.nr_args, &files, &o);
	else
		memset(&files, 0, sizeof(files));
	if (!ret) {
		cli_catch_signals();
		ret = cli_run_files(&files, &o, fmt, cli_color(), stdout, stderr);
	}
	fflush(stdout);
	cli_files_free(&files);
	cli_opts_free(&o);
	return ret;
}

static int cmd_check(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files;
	int ret = cli_parse("check", argc, argv, CHECK_OPTIONS, &o);
	bool json = !ret && o.format && !strcmp(o.format, "json");

	memset(&files, 0, sizeof(files));
	if (!ret && o.format && !json && strcmp(o.format, "text"))
		ret = cli_usage_error("check", "unknown format '%s' (expected text or json)",
				      o.format);
	if (!ret && !o.nr_args)
		ret = cli_usage_error("check", "expected a PATH (a .pin file or a directory)");
	if (!ret)
		ret = cli_load_opts(o.args, o.nr_args, &files, &o);
	if (!ret && json) {
		printf("{\"version\": %d, \"command\": \"check\", \"scenarios\": %d, \"files\": [",
		       PL_JSON_VERSION, files.n);
		for (int i = 0; i < files.n; i++) {
			fputs(i ? ", " : "", stdout);
			pl_json_str(stdout, files.f[i].path);
		}
		printf("], \"ok\": true}\n");
	} else if (!ret) {
		printf("%d scenario%s OK\n", files.n, files.n == 1 ? "" : "s");
	}
	cli_files_free(&files);
	cli_opts_free(&o);
	return ret;
}

const struct cli_cmd cli_cmd_run = { "run", cmd_run, run_usage };
const struct cli_cmd cli_cmd_check = { "check", cmd_check, check_usage };
