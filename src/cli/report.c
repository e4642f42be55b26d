/*
 * report.c - `pinlab report`: the HTML report of a set of scenarios
 * (src/report/html.c writes it), and cli_html_scenario(), which `pinlab
 * demo -o` shares to add its runs to a page.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"

static const char report_usage[] =
	"usage: pinlab report [PATH...] [-p P | --presets LIST | --all-presets]\n"
	"                     [--backing B] [--set knob=value]... -o FILE.html\n"
	"\n"
	"Run scenarios (default: ./scenarios) and write one self-contained HTML page\n"
	"(inline CSS, JavaScript and SVG: it fetches nothing and needs no graphviz),\n"
	"then say where (\"HTML report: FILE (N scenarios x M presets)\"):\n"
	"  - the scenario x preset matrix, each cell coloured by outcome (the failure\n"
	"    classes over the scenario's backings), filterable by name and outcome,\n"
	"    with the cells where a case changes from one era to the next marked;\n"
	"  - per scenario, the runs under each preset and backing, and a step-by-step\n"
	"    timeline of the first failing run (and of the same backing under the\n"
	"    first preset that fixed it): each step's state as a picture (processes,\n"
	"    VMAs, page-table entries folded into runs, folios with refcount,\n"
	"    mapcount, pins and PG_anon_exclusive, pinners), what the step changed\n"
	"    highlighted, the failure drawn at the step that decided it, and the\n"
	"    decisions of that step with their kernel function, knob and commit.\n"
	"\n"
	"  -p, --preset P      one preset (name or kernel release, 'pinlab presets')\n"
	"  --presets LIST      presets separated by commas; A..B is a range\n"
	"  --all-presets       every preset (the default)\n"
	"  --backing B         only backing B\n"
	"  --set knob=value    override one policy knob; repeatable\n"
	"  -o, --output FILE   where to write the page (- for standard output)\n"
	"  --diff FILE.json    a host column: the output of `pinlab diff -f json` (this\n"
	"                      kernel, or a guest kernel booted by diff); each of up to 4\n"
	"                      files adds a column \"host RELEASE\" after the presets, the\n"
	"                      host's outcomes coloured the same way, and each\n"
	"                      scenario it ran gets the model's and the host's\n"
	"                      outcome per backing and a timeline under the diff's\n"
	"                      preset with both sides' observation at every step\n"
	CLI_LIMITS_HELP
	"\n"
	"exit status: 0 every outcome matched its expectation, 1 one did not (the\n"
	"page is written either way), 2 bad input or usage, 3 internal error\n";

#define REPORT_OPTIONS (CLI_PRESET | CLI_ALL | CLI_PRESETS | CLI_BACKING | CLI_SET | \
			CLI_OUTPUT | CLI_LIMITS | CLI_DIFF)

/* ---------------------------------------------------------------------------
 * --diff FILE: `pinlab diff --format json` lines, checked to be JSON (the page
 * parses them; a broken file must not break it), handed to the page whole,
 * and the (scenario, preset, backing) of each compared run kept, so that the
 * scenario's timelines include the run the host was compared on.
 */
static const char *js_value(const char *p, int depth);

static const char *js_ws(const char *p)
{
	while (p && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static const char *js_string(const char *p)
{
	if (!p || *p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\')
			continue;
		p++;
		if (*p == 'u') {
			for (int i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)p[i]))
					return NULL;
			p += 4;
		} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
			return NULL;
		}
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *js_digits(const char *p)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	while (isdigit((unsigned char)*p))
		p++;
	return p;
}

static const char *js_number(const char *p)
{
	p += *p == '-';
	p = js_digits(p);
	if (p && *p == '.')
		p = js_digits(p + 1);
	if (p && (*p == 'e' || *p == 'E')) {
		p++;
		p += *p == '+' || *p == '-';
		p = js_digits(p);
	}
	return p;
}

/* Past one JSON value (nested at most 32 deep), or NULL if it is not one. */
static const char *js_value(const char *p, int depth)
{
	char close;

	p = js_ws(p);
	if (depth > 32)
		return NULL;
	switch (*p) {
	case '"':
		return js_string(p);
	case '{':
	case '[':
		close = *p == '{' ? '}' : ']';
		p = js_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = js_ws(js_string(js_ws(p)));
				if (!p || *p != ':')
					return NULL;
				p++;
			}
			p = js_ws(js_value(p, depth + 1));
			if (!p)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p != ',')
				return NULL;
			p++;
		}
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return js_number(p);
	}
}

/* The string value of top-level key @key of one diff object ("" if none), decoded simply. */
static void js_get(const char *obj, const char *key, char *out, size_t size)
{
	char pat[40];
	const char *p, *end;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": \"", key);
	out[0] = 0;
	p = strstr(obj, pat);
	if (!p)
		return;
	p += strlen(pat) - 1;
	end = js_string(p);
	for (p++; end && p < end - 1 && n + 1 < size; p++) {
		if (*p == '\\')
			p++;
		out[n++] = *p;
	}
	out[n] = 0;
}

/* A run the host was compared on: its scenario's timelines include it. */
struct report_pick {
	char id[256], preset[32], backing[40];
	bool disagree;
};

static struct report_pick *report_picks;
static int report_nr_picks;

/* Every run of the --diff files, for demo's text table. */
struct report_row {
	char id[256], backing[40], model[16], host[16], verdict[12], kernel[80], preset[32];
};

static struct report_row *report_rows;
static int report_nr_rows;

static int report_row_add(const char *obj)
{
	struct report_row *n, *r;

	if (strstr(obj, "\"summary\": true"))
		return 0;
	n = realloc(report_rows, (size_t)(report_nr_rows + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	report_rows = n;
	r = &report_rows[report_nr_rows++];
	js_get(obj, "id", r->id, sizeof(r->id));
	js_get(obj, "backing", r->backing, sizeof(r->backing));
	js_get(obj, "model", r->model, sizeof(r->model));
	js_get(obj, "host", r->host, sizeof(r->host));
	js_get(obj, "verdict", r->verdict, sizeof(r->verdict));
	js_get(obj, "kernel", r->kernel, sizeof(r->kernel));
	js_get(obj, "preset", r->preset, sizeof(r->preset));
	return 0;
}

static int report_pick_add(const char *obj)
{
	struct report_pick p = { .disagree = false };
	char verdict[16];
	struct report_pick *n;

	js_get(obj, "verdict", verdict, sizeof(verdict));
	if (strcmp(verdict, "agree") && strcmp(verdict, "disagree"))
		return 0;
	js_get(obj, "id", p.id, sizeof(p.id));
	js_get(obj, "preset", p.preset, sizeof(p.preset));
	js_get(obj, "backing", p.backing, sizeof(p.backing));
	p.disagree = !strcmp(verdict, "disagree");
	for (int i = 0; i < report_nr_picks; i++) {
		struct report_pick *q = &report_picks[i];

		if (strcmp(q->id, p.id))
			continue;
		if (p.disagree && !q->disagree)
			*q = p;		/* a disagreement is the one worth drawing */
		return 0;
	}
	n = realloc(report_picks, (size_t)(report_nr_picks + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	report_picks = n;
	report_picks[report_nr_picks++] = p;
	return 0;
}

static int report_diff(struct pl_html *h, const char *path);

int cli_html_diffs(struct pl_html *h, const struct cli_opts *o)
{
	int ret = 0;

	for (int i = 0; i < o->nr_diffs && !ret; i++)
		ret = report_diff(h, o->diffs[i]);
	return ret;
}

void cli_html_diffs_free(void)
{
	free(report_picks);
	report_picks = NULL;
	report_nr_picks = 0;
	free(report_rows);
	report_rows = NULL;
	report_nr_rows = 0;
}

/*
 * The runs of the --diff files as a table (demo): one line per (scenario,
 * backing) with the model's and the host's outcome and the verdict, then
 * the counts.  Nothing without --diff.
 */
void cli_html_diffs_print(void)
{
	int agree = 0, disagree = 0, skipped = 0;

	if (!report_nr_rows)
		return;
	printf("\nmodel (%s) vs host %s, from pinlab diff --format json:\n",
	       report_rows[0].preset, report_rows[0].kernel);
	for (int i = 0; i < report_nr_rows; i++) {
		const struct report_row *r = &report_rows[i];

		printf("%-40s %-14s model %-9s host %-9s %s\n", r->id, r->backing, r->model,
		       r->host, r->verdict);
		agree += !strcmp(r->verdict, "agree");
		disagree += !strcmp(r->verdict, "disagree");
		skipped += strcmp(r->verdict, "agree") && strcmp(r->verdict, "disagree");
	}
	printf("%d runs: %d agree, %d disagree, %d skipped on the host\n", report_nr_rows, agree,
	       disagree, skipped);
}

/* Read one --diff file into the page; 0 or an exit status after a message. */
static int report_diff(struct pl_html *h, const char *path)
{
	FILE *f = fopen(path, "r"), *m;
	char *line = NULL, *arr = NULL;
	size_t cap = 0, len = 0;
	ssize_t n;
	int nr = 0, lineno = 0, ret = 0;

	if (!f) {
		cli_path_error(path, strerror(errno));
		return errno == ENOMEM ? PL_EXIT_INTERNAL : PL_EXIT_USAGE;
	}
	m = open_memstream(&arr, &len);
	if (!m) {
		fclose(f);
		return cli_oom();
	}
	fputc('[', m);
	while (!ret && (n = getline(&line, &cap, f)) >= 0) {
		const char *end;

		lineno++;
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n)
			continue;
		end = js_ws(js_value(line, 0));
		if (!end || *end || strncmp(line, "{\"command\": \"diff\", ",
							   strlen("{\"command\": \"diff\", "))) {
			fprintf(stderr, "%s:%d:1: error: not a `pinlab diff --format json` object\n",
				path, lineno);
			ret = PL_EXIT_USAGE;
			break;
		}
		fprintf(m, "%s%s", nr++ ? ",\n" : "", line);
		if (report_pick_add(line) || report_row_add(line))
			ret = cli_oom();
	}
	fputc(']', m);
	if (!ret && ferror(f)) {
		cli_path_error(path, strerror(errno));
		ret = PL_EXIT_USAGE;
	}
	if (!ret && !nr) {
		fprintf(stderr, "%s:1:1: error: no `pinlab diff --format json` object in it\n", path);
		ret = PL_EXIT_USAGE;
	}
	if (fclose(m))
		ret = ret ? ret : cli_oom();
	if (!ret && pl_html_host(h, arr))
		ret = cli_oom();
	free(arr);
	free(line);
	fclose(f);
	return ret;
}

/* Timelines (pl_html_pick) of the scenario whose results h holds. */
int cli_html_timelines(struct pl_html *h, const struct cli_file *f, struct pl_backend *be,
		       const struct cli_opts *o)
{
	struct pl_html_pick picks[3];
	int n = pl_html_pick(h, picks, 2);

	/* the run a --diff compared the host on, when it is not drawn already */
	for (int i = 0; i < report_nr_picks; i++) {
		const struct report_pick *p = &report_picks[i];
		bool have = false;

		if (strcmp(p->id, f->id) || !pl_preset_find(p->preset))
			continue;
		for (int k = 0; k < n; k++)
			have |= !strcmp(picks[k].preset, p->preset) &&
				!strcmp(picks[k].backing, p->backing);
		if (!have) {
			picks[n].preset = pl_preset_find(p->preset)->name;
			snprintf(picks[n].backing, sizeof(picks[n].backing), "%s", p->backing);
			n++;
		}
		break;
	}

	for (int i = 0; i < n; i++) {
		struct pl_exec_hooks hooks;
		struct pl_exec_opts eo = {
			.preset = picks[i].preset, .sets = o->sets, .nr_sets = o->nr_sets,
			.hooks = &hooks, .max_steps = o->max_steps, .max_pages = o->max_pages,
			.max_procs = o->max_procs, .max_ms = o->max_ms, .stop = cli_interrupted,
		};
		int backing = pl_backing_find(picks[i].backing, strlen(picks[i].backing));
		struct pl_html_tl *t;
		struct pl_result r;
		int ret;

		if (backing < 0)
			continue;
		t = pl_html_tl_begin(h, picks[i].preset, picks[i].backing, &hooks);
		if (!t)
			return cli_oom();
		ret = pl_exec_run(f->sc, backing, be, &eo, &r);
		if (be->end)
			be->end(be);
		if (ret == -ENOMEM) {
			pl_html_tl_end(t, &r);
			pl_result_free(&r);
			return cli_oom();
		}
		if (ret < 0) {
			pl_html_tl_end(t, &r);
			ret = ret == -ERANGE ? cli_limit(f, picks[i].preset, backing, r.detail) :
			      PL_EXIT_INTERNAL;
			pl_result_free(&r);
			return ret;
		}
		ret = pl_html_tl_end(t, &r);
		pl_result_free(&r);
		if (ret)
			return cli_oom();
	}
	return 0;
}

static int cli_html_put(FILE *f, const void *arg)
{
	return pl_html_write((struct pl_html *)arg, f);
}

/*
 * Write the page to path ("-": stdout) whole or not at all (cli_write_out);
 * 0 or the exit status after a message.  Standard output is checked at exit.
 */
int cli_html_save(struct pl_html *h, const char *path)
{
	if (pl_html_finish(h))
		return cli_oom();
	if (!strcmp(path, "-"))
		return pl_html_write(h, stdout) ? cli_oom() : 0;
	return cli_write_out(path, cli_html_put, h);
}

static int report_runs(const struct cli_files *files, const struct cli_opts *o,
		       const char **presets, int np, struct pl_html *h, struct pl_backend *be,
		       int *mismatched, struct cli_progress *prog)
{
	int idx[CLI_MAX_BACKINGS];

	for (int i = 0; i < files->n; i++) {
		const struct cli_file *f = &files->f[i];
		int nb = cli_backings(f->sc, o->backing_idx, idx), ret;

		if (pl_html_scenario(h, f->id, f->sc->name, f->path))
			return cli_oom();
		for (int p = 0; p < np; p++) {
			for (int b = 0; b < nb; b++) {
				struct pl_exec_opts eo = {
					.preset = presets[p], .sets = o->sets, .nr_sets = o->nr_sets,
					.max_steps = o->max_steps, .max_pages = o->max_pages,
					.max_procs = o->max_procs, .max_ms = o->max_ms,
					.stop = cli_interrupted,
				};
				struct pl_result r;

				ret = pl_exec_run(f->sc, idx[b], be, &eo, &r);
				if (be->end)
					be->end(be);
				if (ret == -ENOMEM) {
					pl_result_free(&r);
					return cli_oom();
				}
				if (ret < 0) {
					ret = ret == -ERANGE ? cli_limit(f, presets[p], idx[b], r.detail)
					      : PL_EXIT_INTERNAL;
					if (ret == PL_EXIT_INTERNAL && !r.detail[0])
						fprintf(stderr, "pinlab: internal error: %s\n",
							f->path);
					pl_result_free(&r);
					return ret;
				}
				r.id = f->id;
				if (!r.skipped && !r.match)
					(*mismatched)++;
				ret = pl_html_result(h, &r);
				pl_result_free(&r);
				if (ret)
					return cli_oom();
				cli_progress_step(prog);
			}
		}
		ret = cli_html_timelines(h, f, be, o);
		if (ret)
			return ret;
	}
	return 0;
}

static int report_run(const struct cli_files *files, const struct cli_opts *o,
		      const char **presets, int np, struct pl_html *h, struct pl_backend *be,
		      int *mismatched)
{
	int idx[CLI_MAX_BACKINGS], ret;
	long total = 0;
	struct cli_progress prog;

	for (int i = 0; i < files->n; i++)
		total += (long)np * cli_backings(files->f[i].sc, o->backing_idx, idx);
	cli_progress_begin(&prog, "report", total);
	ret = report_runs(files, o, presets, np, h, be, mismatched, &prog);
	cli_progress_end(&prog);
	return ret;
}

static int cmd_report(int argc, char **argv)
{
	static char *default_paths[] = { "scenarios" };
	struct cli_opts o;
	struct cli_files files;
	struct pl_html *h = NULL;
	struct pl_backend *be = NULL;
	const char *presets[PL_HTML_MAX_PRESETS];
	int np, mismatched = 0, ret = cli_parse("report", argc, argv, REPORT_OPTIONS, &o);

	memset(&files, 0, sizeof(files));
	if (ret)
		goto out;
	if (!o.output) {
		ret = cli_usage_error("report", "expected -o FILE.html (or -o - for stdout)");
		goto out;
	}
	np = cli_presets(&o, presets, PL_HTML_MAX_PRESETS, true);
	ret = o.nr_args ? cli_load(o.args, o.nr_args, &files) : cli_load(default_paths, 1, &files);
	if (ret)
		goto out;
	h = pl_html_new("pinlab report", presets, np);
	be = pl_model_backend_new();
	if (!h || !be) {
		ret = cli_oom();
		goto out;
	}
	ret = cli_html_diffs(h, &o);
	if (ret)
		goto out;
	ret = report_run(&files, &o, presets, np, h, be, &mismatched);
	if (!ret)
		ret = cli_html_save(h, o.output);
	/* say where the page went (not when it went to standard output) */
	if (!ret && strcmp(o.output, "-"))
		printf("HTML report: %s (%d scenario%s x %d preset%s%s)\n", o.output, files.n,
		       files.n == 1 ? "" : "s", np, np == 1 ? "" : "s",
		       o.nr_diffs ? ", with host columns" : "");
	if (!ret && mismatched)
		ret = PL_EXIT_MISMATCH;
out:
	if (be)
		be->destroy(be);
	pl_html_free(h);
	cli_files_free(&files);
	cli_opts_free(&o);
	cli_html_diffs_free();
	return ret;
}

const struct cli_cmd cli_cmd_report = { "report", cmd_report, report_usage };
