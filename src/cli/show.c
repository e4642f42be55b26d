/*
 * show.c - `pinlab show` (the state of the world after a step, as text or
 * DOT) and `pinlab explain` (every COW/GUP decision with its rule).
 *
 * Both run one scenario under one preset and one backing: --preset
 * (default latest) and --backing (default the first of the matrix).
 * `show CASE` (a name that is not a file) still shows a built-in history
 * case, as before the scenario language existed.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report/dump.h"
#include "hist.h"
#include "report/report.h"

static const char show_usage[] =
	"usage: pinlab show FILE [--at STEP] [--preset P] [--backing B] [--set knob=value]...\n"
	"                   [--format text|dot|json] [--max-steps N] [--max-pages N]\n"
	"       pinlab show CASE [--preset P] [--set knob=value]...\n"
	"\n"
	"Run the scenario in FILE up to and including step STEP (default: all steps;\n"
	"steps are numbered from 1 in the order written) under one preset (default:\n"
	"latest) and one backing (default: the first of its matrix), then print every\n"
	"process, VMA, page-table entry and folio, the page caches, the pinners and the\n"
	"invariant violations, marked against the step before: '+' a line the step\n"
	"added or changed, '-' one it removed.  --format dot writes a Graphviz graph instead (processes\n"
	"-> VMAs -> PTEs -> folios, and the pages of each PTE-mapped large anon folio:\n"
	"who maps each, what a write fault would copy; render with 'dot -Tsvg');\n"
	"--format json one object (docs/pinlab.schema.json) with the state: processes\n"
	"by their scenario names,\n"
	"VMAs, runs of alike page-table entries, folios, pinners, violations.  `show` steps of the\n"
	"scenario print their state along the way (text format only).\n"
	"\n"
	"FILE may be - (standard input).\n"
	CLI_LIMITS_HELP
	"\n"
	"With a CASE name instead of a file: run that built-in history case ('pinlab\n"
	"history' lists them) and dump its final state.\n";

#define SHOW_OPTIONS (CLI_PRESET | CLI_BACKING | CLI_SET | CLI_FORMAT | CLI_AT | CLI_LIMITS)

static const char explain_usage[] =
	"usage: pinlab explain FILE [--preset P] [--backing B] [--set knob=value]...\n"
	"                      [--format text|json] [--max-steps N] [--max-pages N]\n"
	"\n"
	"Run the scenario in FILE under one preset (default: latest) and one backing\n"
	"(default: the first of its matrix) and print each decision the modelled kernel\n"
	"took: every COW, reuse, unshare, fork copy or share, GUP refusal, GUP retry and\n"
	"GUP-fast bail, under the step that caused it (with its source line), with the\n"
	"kernel function it models and the rule that decided it -- the knob of the\n"
	"active preset and the commit that introduced it.  Ends with the outcome.\n"
	"--format json: one object (docs/pinlab.schema.json) with every step, its\n"
	"events with their knobs and commits, and the state after it.\n"
	"FILE may be - (standard input).\n"
	CLI_LIMITS_HELP;

#define EXPLAIN_OPTIONS (CLI_PRESET | CLI_BACKING | CLI_SET | CLI_LIMITS | CLI_FORMAT)

/* Print a SHOW step's request, each line with the prefix of arg (a cli_show_to). */
void cli_show_hook(void *arg, struct pl_backend *be, const struct pl_show_req *req)
{
	struct cli_show_to *to = arg;
	FILE *out = to->out;
	const char *prefix = to->prefix;
	struct world *w = pl_model_backend_world(be);
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *m;

	if (!w)
		return;
	m = open_memstream(&buf, &len);
	if (!m) {
		to->oom = true;
		return;
	}
	if (!req->name) {
		pl_dump_world(m, w);
	} else if (req->kind == PL_SYM_PROCESS) {
		pl_dump_process(m, w, req->id);
	} else if (req->kind == PL_SYM_FILE) {
		pl_dump_file(m, w, req->id);
	} else if (req->kind == PL_SYM_GUP) {
		fprintf(m, "GUP reference %s (held by the executor)\n", req->name);
	} else if (req->kind != PL_SYM_THREAD) {
		pl_dump_pinset(m, w, req->id);
	}
	if (fclose(m) != 0) {
		to->oom = true;
		free(buf);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(out, "%s    | %s\n", prefix, line);
	free(buf);
}

/* A scenario file rather than a history case name? */
static bool show_is_file(const char *arg)
{
	struct stat st;
	size_t n = strlen(arg);

	return !strcmp(arg, "-") || stat(arg, &st) == 0 || (n > 4 && !strcmp(arg + n - 4, ".pin")) ||
	       strchr(arg, '/');
}

/* Load the one FILE operand of show/explain; pick preset and backing. */
static int show_load(const char *cmd, struct cli_opts *o, struct cli_files *files,
		     const char **preset, int *backing)
{
	int ret;

	if (o->nr_args != 1)
		return cli_usage_error(cmd, "expected one FILE");
	ret = cli_load_opts(o->args, 1, files, o);
	if (ret)
		return ret;
	if (files->n != 1)
		return cli_usage_error(cmd, "'%s' holds %d scenarios; name one file", o->args[0],
				       files->n);
	*preset = o->preset ? pl_preset_find(o->preset)->name : "latest";
	*backing = o->backing_idx >= 0 ? o->backing_idx : files->f[0].sc->backings[0].idx;
	return 0;
}

static void show_step_line(const struct pl_scenario *sc, int step)
{
	const struct pl_step *s = &sc->steps[step - 1];

	printf("# after step %d of %d (line %d): ", step, sc->nr_steps, s->pos.line);
	pl_step_print(stdout, sc, s);
	printf("\n");
}

/* pl_exec_run(); 0, or the exit status after an internal error or out of memory. */
static int show_exec(const struct pl_scenario *sc, int backing, struct pl_backend *be,
		     const struct pl_exec_opts *eo, struct pl_result *r, const struct cli_file *f)
{
	int ret = pl_exec_run(sc, backing, be, eo, r);

	if (ret == -ENOMEM)
		return cli_oom();
	if (ret == -ERANGE)
		return cli_limit(f, eo->preset, backing, r->detail);
	if (ret < 0) {
		fputs("pinlab: internal error: ", stderr);
		pl_path_put(stderr, f->path);
		fprintf(stderr, ": %s\n", r->detail);
		return PL_EXIT_INTERNAL;
	}
	return 0;
}

/*
 * show/explain --format json: one object, {"version": 1, "command": CMD,
 * "scenario", "id", "file", "at", "run": {...}}, the run as the HTML report's
 * timeline records it (report/html.c): explain gives every step with its
 * events, decisions, knobs and state; show the state after step --at (or the
 * last), with processes named as the scenario names them.
 */
static int show_json(const char *cmd, struct cli_opts *o)
{
	bool explain = !strcmp(cmd, "explain");
	struct cli_files files;
	struct pl_exec_hooks hooks;
	struct pl_exec_opts eo = { .sets = o->sets, .nr_sets = o->nr_sets,
				   .max_steps = o->max_steps, .max_pages = o->max_pages };
	struct pl_backend *be = NULL;
	struct pl_html *h = NULL;
	struct pl_html_tl *t;
	struct pl_result r;
	const struct pl_scenario *sc;
	const char *preset;
	int backing, ret;

	memset(&files, 0, sizeof(files));
	ret = show_load(cmd, o, &files, &eo.preset, &backing);
	if (ret)
		goto out;
	sc = files.f[0].sc;
	if (o->at > sc->nr_steps) {
		ret = cli_usage_error(cmd, "--at %d: the scenario has %d steps", o->at, sc->nr_steps);
		goto out;
	}
	preset = eo.preset;
	eo.stop_after = o->at;
	be = pl_model_backend_new();
	h = pl_html_new(cmd, &preset, 1);
	if (!be || !h || pl_html_scenario(h, files.f[0].id, sc->name, files.f[0].path)) {
		ret = cli_oom();
		goto out;
	}
	t = pl_html_tl_begin(h, preset, pl_backing_info(backing)->name, &hooks);
	if (!t) {
		ret = cli_oom();
		goto out;
	}
	eo.hooks = &hooks;
	ret = show_exec(sc, backing, be, &eo, &r, &files.f[0]);
	if (ret) {
		pl_html_tl_json(t, &r, stderr, true);	/* frees it; nothing is written */
		pl_result_free(&r);
		goto out;
	}
	printf("{\"version\": 1, \"command\": \"%s\", \"scenario\": ", cmd);
	pl_json_str(stdout, sc->name);
	printf(", \"id\": ");
	pl_json_str(stdout, files.f[0].id);
	printf(", \"file\": ");
	pl_json_str(stdout, files.f[0].path);
	printf(", \"at\": %d, \"run\": ", o->at ? o->at : sc->nr_steps);
	if (pl_html_tl_json(t, &r, stdout, !explain))
		ret = cli_oom();
	printf("}\n");
	pl_result_free(&r);
out:
	if (be)
		be->destroy(be);
	pl_html_free(h);
	cli_files_free(&files);
	return ret;
}

/*
 * What a step changed, for the text of `show`: the world dumped at the end
 * of the step before (the last set-up operation for step 1) is kept, and the
 * final dump is printed as a diff of it with full context -- "+ " a line the
 * step added or changed, "- " one it removed, two spaces one it left alone.
 */
struct show_prev {
	struct cli_show_to *to;		/* SHOW steps' output, as without this */
	int want;			/* the step before --at */
	char *buf;			/* its dump */
	size_t len;
	bool oom;
};

static void show_prev_end(void *arg, const struct pl_exec_point *at,
			  const struct pl_folio_change *changes, int nr_changes)
{
	struct show_prev *p = arg;
	FILE *m;

	(void)changes;
	(void)nr_changes;
	if (at->step != p->want || !at->world)
		return;
	free(p->buf);
	p->buf = NULL;
	m = open_memstream(&p->buf, &p->len);
	if (!m) {
		p->oom = true;
		return;
	}
	pl_dump_world(m, at->world);
	if (fclose(m)) {
		p->oom = true;
		free(p->buf);
		p->buf = NULL;
	}
}

static void show_prev_show(void *arg, struct pl_backend *be, const struct pl_show_req *req)
{
	cli_show_hook(((struct show_prev *)arg)->to, be, req);
}

/* Split text into lines in place; the array of them, NULL when out of memory. */
static char **show_lines(char *text, int *n)
{
	int cap = 1;
	char **l;

	for (const char *c = text; c && *c; c++)
		cap += *c == '\n';
	l = calloc((size_t)cap, sizeof(*l));
	*n = 0;
	if (!l)
		return NULL;
	for (char *c = text, *nl; c && *c; c = nl + 1) {
		nl = strchr(c, '\n');
		l[(*n)++] = c;
		if (!nl)
			break;
		*nl = 0;
	}
	return l;
}

/* The "world: preset P, step N" line differs at every step; it is no change. */
static bool show_same(const char *a, const char *b)
{
	return !strcmp(a, b) || (!strncmp(a, "world: ", 7) && !strncmp(b, "world: ", 7));
}

/* Print cur as a diff of prev (a longest common subsequence of lines); -1 when out of memory. */
static int show_diff(char *prev, char *cur)
{
	int n, m, ret = -1;
	char **a = show_lines(prev, &n), **b = show_lines(cur, &m);
	int *L = NULL;

	if (!a || !b)
		goto out;
	/* at most 4M cells: a bigger world is compared line by line in place */
	if ((long)(n + 1) * (m + 1) <= 4l << 20)
		L = calloc((size_t)(n + 1) * (size_t)(m + 1), sizeof(*L));
	if (L) {
		for (int i = n - 1; i >= 0; i--)
			for (int j = m - 1; j >= 0; j--)
				L[i * (m + 1) + j] = show_same(a[i], b[j]) ?
					L[(i + 1) * (m + 1) + j + 1] + 1 :
					L[(i + 1) * (m + 1) + j] > L[i * (m + 1) + j + 1] ?
					L[(i + 1) * (m + 1) + j] : L[i * (m + 1) + j + 1];
	}
	for (int i = 0, j = 0; i < n || j < m;) {
		if (i < n && j < m && show_same(a[i], b[j])) {
			printf("  %s\n", b[j]);
			i++;
			j++;
		} else if (i < n && (j == m || (L ? L[(i + 1) * (m + 1) + j] >=
						    L[i * (m + 1) + j + 1] : j >= m))) {
			printf("- %s\n", a[i++]);
		} else {
			printf("+ %s\n", b[j++]);
			if (!L && i < n)
				printf("- %s\n", a[i++]);
		}
	}
	ret = 0;
out:
	free(L);
	free(a);
	free(b);
	return ret;
}

/* The final state, marked against the step before; 0 or an exit status. */
static int show_changes(const struct world *w, struct show_prev *prev, int before)
{
	char *cur = NULL, *old = prev->buf ? prev->buf : (char *)"";
	size_t len = 0;
	FILE *m = open_memstream(&cur, &len);
	int ret;

	if (!m)
		return cli_oom();
	pl_dump_world(m, w);
	if (fclose(m)) {
		free(cur);
		return cli_oom();
	}
	if (before > 0)
		printf("# '+' added or changed by step %d, '-' removed by it (since step %d)\n",
		       before + 1, before);
	else
		printf("# '+' added or changed by step 1, '-' removed by it (since the set-up)\n");
	ret = show_diff(old, cur) ? cli_oom() : 0;
	free(cur);
	return ret;
}

static int show_scenario(struct cli_opts *o)
{
	struct cli_files files;
	struct cli_show_to to = { .out = stdout, .prefix = "" };
	struct show_prev prev = { .to = &to };
	struct pl_exec_hooks hooks = { .show = show_prev_show, .step_end = show_prev_end,
				       .arg = &prev };
	struct pl_exec_opts eo = { .sets = o->sets, .nr_sets = o->nr_sets,
				   .max_steps = o->max_steps, .max_pages = o->max_pages,
				   .max_procs = o->max_procs, .max_ms = o->max_ms,
				   .stop = cli_interrupted };
	struct pl_backend *be = NULL;
	struct pl_result r;
	const struct pl_scenario *sc;
	bool dot = false;
	int backing, ret;
	char title[512];

	memset(&files, 0, sizeof(files));
	if (o->format && !strcmp(o->format, "json"))
		return show_json("show", o);
	if (o->format && strcmp(o->format, "text") && strcmp(o->format, "dot")) {
		ret = cli_usage_error("show", "unknown format '%s' (expected text, dot or json)",
				      o->format);
		goto out;
	}
	dot = o->format && !strcmp(o->format, "dot");
	ret = show_load("show", o, &files, &eo.preset, &backing);
	if (ret)
		goto out;
	sc = files.f[0].sc;
	if (o->at > sc->nr_steps) {
		ret = cli_usage_error("show", "--at %d: the scenario has %d steps", o->at,
				      sc->nr_steps);
		goto out;
	}
	eo.stop_after = o->at;
	eo.hooks = dot ? NULL : &hooks;
	prev.want = (o->at ? o->at : sc->nr_steps) - 1;
	be = pl_model_backend_new();
	if (!be) {
		ret = cli_oom();
		goto out;
	}
	ret = show_exec(sc, backing, be, &eo, &r, &files.f[0]);
	if (!ret && (to.oom || prev.oom))
		ret = cli_oom();
	if (ret) {
		pl_result_free(&r);
		goto out;
	}
	if (pl_model_backend_world(be))	/* the last operation may be a set-up of an earlier step */
		pl_model_backend_world(be)->step = (uint64_t)(o->at ? o->at : sc->nr_steps);
	snprintf(title, sizeof(title), "%s [%s %s]", files.f[0].id, eo.preset,
		 pl_backing_info(backing)->name);
	if (!pl_model_backend_world(be)) {
		/* not run: skipped by its expectation or by the backend */
		printf("# %s: %s: %s\n", title, r.outcome, r.detail);
	} else if (dot) {
		if (pl_dot_world(stdout, pl_model_backend_world(be), title))
			ret = cli_oom();
	} else {
		printf("# %s: scenario \"%s\"\n", title, sc->name);
		show_step_line(sc, o->at ? o->at : sc->nr_steps);
		if (!o->at)
			printf("# outcome %s, expected %s%s%s\n", r.outcome, r.expected,
			       r.detail[0] ? ": " : "", r.detail);
		ret = show_changes(pl_model_backend_world(be), &prev, prev.want);
	}
	pl_result_free(&r);
out:
	free(prev.buf);
	if (be)
		be->destroy(be);
	cli_files_free(&files);
	return ret;
}

static int cmd_show(int argc, char **argv)
{
	struct cli_opts o;
	int ret = cli_parse("show", argc, argv, SHOW_OPTIONS, &o);

	if (!ret && o.nr_args == 1 && !show_is_file(o.args[0])) {
		/* a built-in history case */
		if (o.at || o.backing || o.format)
			ret = cli_usage_error("show", "--at, --backing and --format need a FILE");
		else
			ret = cli_hist_show(o.args[0], &o);
	} else if (!ret) {
		ret = show_scenario(&o);
	}
	cli_opts_free(&o);
	return ret;
}

static int cmd_explain(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files;
	struct pl_explain ex = { .out = stdout };
	struct pl_exec_hooks hooks;
	struct pl_exec_opts eo;
	struct pl_backend *be = NULL;
	struct pl_policy policy;
	struct pl_result r;
	int backing, ret = cli_parse("explain", argc, argv, EXPLAIN_OPTIONS, &o);

	memset(&files, 0, sizeof(files));
	memset(&eo, 0, sizeof(eo));
	if (!ret && o.format && !strcmp(o.format, "json")) {
		ret = show_json("explain", &o);
		cli_opts_free(&o);
		return ret;
	}
	if (!ret && o.format && strcmp(o.format, "text"))
		ret = cli_usage_error("explain", "unknown format '%s' (expected text or json)",
				      o.format);
	if (!ret)
		ret = show_load("explain", &o, &files, &eo.preset, &backing);
	if (ret)
		goto out;
	be = pl_model_backend_new();
	if (!be) {
		ret = cli_oom();
		goto out;
	}
	policy = cli_policy(eo.preset, &o);
	ex.policy = &policy;
	ex.preset = eo.preset;
	pl_explain_hooks(&ex, &hooks);
	eo.sets = o.sets;
	eo.nr_sets = o.nr_sets;
	eo.hooks = &hooks;
	eo.max_steps = o.max_steps;
	eo.max_pages = o.max_pages;
	eo.max_procs = o.max_procs;
	eo.max_ms = o.max_ms;
	eo.stop = cli_interrupted;
	printf("# %s [%s %s (%s)]: scenario \"%s\"\n", files.f[0].id, eo.preset,
	       pl_backing_info(backing)->name, pl_backing_info(backing)->display, files.f[0].sc->name);
	ret = show_exec(files.f[0].sc, backing, be, &eo, &r, &files.f[0]);
	if (ret) {
		pl_result_free(&r);
		goto out;
	}
	if (!ex.nr)
		printf("no COW, reuse, unshare, fork copy or GUP decision was taken\n");
	printf("# outcome %s, expected %s%s%s\n", r.outcome, r.expected, r.detail[0] ? ": " : "",
	       r.detail);
	pl_result_free(&r);
out:
	if (be)
		be->destroy(be);
	cli_files_free(&files);
	cli_opts_free(&o);
	return ret;
}

const struct cli_cmd cli_cmd_show = { "show", cmd_show, show_usage };
const struct cli_cmd cli_cmd_explain = { "explain", cmd_explain, explain_usage };
