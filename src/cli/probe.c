/*
 * probe.c - `pinlab probe` (scenarios on the running kernel, the host
 * backend) and `pinlab diff` (model vs host, run by run).
 *
 * diff runs each (scenario, backing) twice, under the model (preset P) and
 * on the host, each through a recording wrapper backend that keeps every
 * observation (check step: value, property or count, or its errno); then it
 * compares outcomes and observations in order.  A host run that skipped is
 * not a disagreement.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "backend/host/backend_host.h"
#include "backend/record/record.h"
#include "report/report.h"

#define PROBE_TIMEOUT_MS 10000

static const char probe_usage[] =
	"usage: pinlab probe PATH... [--preset P] [--backing B] [--format table|ktap|json]\n"
	"                    [--allow-swapfile] [--kernel K] [--lock-timeout S]\n"
	"       pinlab probe --explain-skips\n"
	"\n"
	"Run scenarios on the running kernel (the host backend): every scenario process\n"
	"is a real worker process, every step a real system call, every check reads\n"
	"real bytes.  Output as for `pinlab run`; JSON adds \"backend\": \"host\" and\n"
	"\"kernel\": the uname -r of this machine.\n"
	"  --preset P        whose `expect` lines apply (default: the preset of this\n"
	"                    kernel's release, as `pinlab presets` lists the ranges)\n"
	"  --backing B       only backing B (default: the scenario's matrix)\n"
	"  --format F        table (default), ktap or json\n"
	"  --allow-swapfile  as root, with no swap: add a temporary 64 MiB swapfile in\n"
	"                    /tmp for the swapped backings (removed at the end)\n"
	CLI_HOST_HELP
	CLI_LIMITS_HELP
	"  --explain-skips   list every reason a host run can be skipped\n"
	"  --kernel K        boot kernel image K under qemu and probe that kernel:\n"
	"                    K is a version prefix (`pinlab kernels`), the same with\n"
	"                    -guptest for the GUP_TEST kernel (`make gup-test-kernel`),\n"
	"                    or a bzImage path;\n"
	"                    \"kernel\" is then the guest's uname -r and the default\n"
	"                    preset the one K's version maps to (docs/kernels.md)\n"
	"\n"
	"The host profile (see `pinlab help diff`) goes to stderr first.\n"
	"A step with no host equivalent, or a kernel feature this machine lacks, makes\n"
	"the run `skip` with the reason.  As root, the backings that need them change\n"
	"THP/mTHP modes and hugetlb pool sizes in sysfs, as the kernel's cow.c does;\n"
	"every value is written back after each run.  Each run is killed after 10 s\n"
	"(in a --kernel guest: scaled by the guest's speed); it is then a timeout, a\n"
	"skip that diff counts apart.  Workers, temp files, the\n"
	"swapfile and the sysfs values are cleaned up also on SIGINT/SIGTERM.\n"
	"\n"
	"exit status: 0 every outcome matched its expectation, 1 one did not,\n"
	"2 bad input or usage, 3 internal error, 130 interrupted\n";

static const char diff_usage[] =
	"usage: pinlab diff PATH... [--preset P] [--backing B] [--allow-swapfile] [--list]\n"
	"                   [--kernel K] [--lock-timeout S] [--format text|json]\n"
	"\n"
	"Run each (scenario, backing) on the model under preset P (default: the\n"
	"preset of this kernel's release) and on the running kernel, and print\n"
	"every outcome and every observation (check step) where they disagree,\n"
	"with both values.  The same outcome must end at the same step (a refused\n"
	"step with the same errno), else \"ending step: model ... at step N, host\n"
	"... at step M\".  Host runs that skip are counted, not compared (two\n"
	"`require` skips at other steps disagree; docs/host.md, \"What diff\n"
	"compares\").  First line: the host profile (the kernel's\n"
	"facts that change outcomes in any release: shared zero page, huge zero\n"
	"page, THP ...; docs/host.md); the model runs with the host's zero_page and\n"
	"huge_zero_page ($PINLAB_HOST_PROFILE=zero_page=off,... replaces probed\n"
	"facts).  Last line: \"N runs: N agree, N disagree, N skipped on the host\".\n"
	"  --allow-swapfile  as for probe: a temporary swapfile for swapped rows\n"
	CLI_HOST_HELP
	CLI_LIMITS_HELP
	"  --list            also one line per run: the model's and the host's\n"
	"                    outcome, and agree, DISAGREE or why the host skipped\n"
	"  --kernel K        the host is kernel image K booted under qemu (see\n"
	"                    `pinlab help probe`); default preset: the one K maps to\n"
	"  -f, --format F    text (default) or json: one object per run (the model's\n"
	"                    and the host's outcome, the verdict, \"disagree_on\":\n"
	"                    outcome, step and/or observation, every observed step\n"
	"                    with both values), then a summary object with the host\n"
	"                    profile (then on stderr); `pinlab report` draws such a\n"
	"                    file beside the model (docs/report.md)\n"
	"\n"
	"exit status: 0 no disagreement, 1 a disagreement, 2 bad input or usage,\n"
	"3 internal error, 130 interrupted\n";

#define PROBE_OPTIONS (CLI_PRESET | CLI_BACKING | CLI_FORMAT | CLI_SWAPFILE | CLI_KERNEL | \
		       CLI_HOST | CLI_LIMITS)
#define DIFF_OPTIONS (CLI_PRESET | CLI_BACKING | CLI_SWAPFILE | CLI_LIST | CLI_KERNEL | CLI_HOST | \
		      CLI_LIMITS | CLI_FORMAT)

/* --preset, or the preset whose kernel range holds this machine's release. */
static const char *probe_preset(const struct cli_opts *o)
{
	struct utsname u;

	if (o->preset)
		return pl_preset_find(o->preset)->name;
	if (uname(&u))
		return "latest";
	return cli_uname_preset(&u)->name;
}

static int probe_explain(void)
{
	int n;
	const char *const *why = pl_host_skip_reasons(&n);

	for (int i = 0; i < n; i++)
		printf("%s\n", why[i]);
	return PL_EXIT_OK;
}

/* One run; @sets: the model's host facts (NULL for the host). */
static int probe_run(const struct cli_file *f, int backing, struct pl_backend *be,
		     const char *preset, const struct cli_opts *o, const struct cli_profile *cp,
		     struct pl_result *r)
{
	struct pl_exec_opts eo = { .preset = preset, .max_steps = o->max_steps,
				   .max_pages = o->max_pages, .max_procs = o->max_procs,
				   .max_ms = o->max_ms, .stop = cli_interrupted,
				   .sets = cp ? cp->sets : NULL, .nr_sets = cp ? cp->nr_sets : 0 };
	int ret = pl_exec_run(f->sc, backing, be, &eo, r);

	if (be->end)
		be->end(be);
	if (ret < 0 && cli_interrupted()) {
		pl_result_free(r);	/* cut short: the caller stops */
		return PL_EXIT_INTERNAL;
	}
	if (ret == -ENOMEM || ret == -ERANGE) {
		ret = ret == -ENOMEM ? cli_oom() : cli_limit(f, preset, backing, r->detail);
		pl_result_free(r);
		return ret;
	}
	if (ret < 0) {
		fputs("pinlab: internal error: ", stderr);
		pl_path_put(stderr, f->path);
		fprintf(stderr, " [%s %s]: %s\n", preset, pl_backing_info(backing)->name,
			r->detail);
		pl_result_free(r);
		return PL_EXIT_INTERNAL;
	}
	r->id = f->id;
	return 0;
}

/*
 * The end of probe and diff: free what the command holds; after SIGINT or
 * SIGTERM (the backend has removed its workers, temp files, swapfile and
 * sysfs changes, the kernel runner its qemu) say so and exit 130.
 */
static int probe_finish(const char *cmd, int ret, struct cli_kernel *kc, struct cli_files *files,
			struct cli_opts *o)
{
	const char *what = kc ? "qemu" : "workers";

	fflush(stdout);
	cli_kernel_free(kc);
	cli_files_free(files);
	cli_opts_free(o);
	if (pl_host_interrupted()) {
		fprintf(stderr, "pinlab: %s: interrupted by %s; %s and temp files removed, the "
			"host restored\n", cmd, cli_signal_name(), what);
		ret = cli_interrupted_exit();
	}
	return ret;
}

/*
 * --kernel K where no run ran (no qemu, no image, a guest that never
 * booted): nothing was tested, which is no success.  The kernel runner has
 * said why on stderr ("every run skipped: WHY"), once; that line is not
 * repeated here.
 */
static int probe_all_skipped(const struct cli_kernel *kc, const char *k, const char *why)
{
	if (!cli_kernel_said_skip(kc))
		fprintf(stderr, "pinlab: --kernel %s: every run skipped: %s\n", k, why);
	return PL_EXIT_INTERNAL;
}

/*
 * probe and diff start alike: probe_parse() reads argv and wants a PATH
 * (@files is set up even on failure, for cli_files_free()); after the
 * command's own --format check, probe_load() loads the scenarios and checks
 * that this machine (or --kernel's guest) has the memory they ask for.
 */
static int probe_parse(const char *cmd, int argc, char **argv, unsigned int allowed,
		       struct cli_opts *o, struct cli_files *files)
{
	int ret;

	memset(files, 0, sizeof(*files));
	ret = cli_parse(cmd, argc, argv, allowed, o);
	if (!ret && !o->nr_args)
		ret = cli_usage_error(cmd, "expected a PATH (a .pin file or a directory)");
	return ret;
}

static int probe_load(struct cli_opts *o, struct cli_files *files)
{
	int ret = cli_load_opts(o->args, o->nr_args, files, o);

	/* a guest's own size first: the scenarios' pools then live in it */
	if (!ret && o->kernel)
		ret = cli_guest_memory(o);
	if (!ret)
		ret = cli_host_check_memory(files, o);
	return ret;
}

static int cmd_probe(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files;
	struct pl_report rp;
	struct pl_backend *be = NULL;
	struct cli_kernel *kc = NULL;
	struct cli_profile cp;
	struct utsname u;
	const char *preset, *kernel;
	int fmt = PL_FMT_TABLE, plan = 0, ret;
	int idx[CLI_MAX_BACKINGS];
	char why[200] = "";
	struct cli_progress prog = { .on = false };

	if (argc == 2 && !strcmp(argv[1], "--explain-skips"))
		return probe_explain();
	ret = probe_parse("probe", argc, argv, PROBE_OPTIONS, &o, &files);
	if (!ret && o.format && (fmt = pl_format_find(o.format)) < 0)
		ret = cli_usage_error("probe", "unknown format '%s' (expected table, ktap or json)",
				      o.format);
	if (!ret)
		ret = probe_load(&o, &files);
	if (ret)
		goto out;
	preset = probe_preset(&o);
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	kernel = u.release;
	for (int i = 0; i < files.n; i++)
		plan += cli_backings(files.f[i].sc, o.backing_idx, idx);
	pl_host_catch_signals();
	if (o.kernel) {
		kc = cli_kernel_start(o.kernel, &files, o.backing_idx, o.preset ? preset : NULL);
		if (kc) {
			preset = cli_kernel_preset(kc);
			kernel = cli_kernel_release(kc);
			be = cli_kernel_backend(kc);
		}
	} else {
		be = cli_host_backend("probe", &o, PROBE_TIMEOUT_MS);
		if (!be && pl_host_interrupted()) {
			/* while waiting for the host lock: an empty report, marked */
			pl_report_begin(&rp, stdout, (enum pl_format)fmt, cli_color(), plan);
			pl_report_interrupted(&rp, cli_signal_name());
		}
		if (!be) {
			ret = PL_EXIT_INTERNAL;	/* said why */
			goto out;
		}
	}
	if (!be) {
		ret = cli_oom();	/* its one failure is calloc() */
		goto out;
	}
	ret = cli_profile_get(&cp, kc, be);
	if (ret) {
		be->destroy(be);
		goto out;
	}
	fprintf(stderr, "%s\n", cp.line);
	pl_report_begin(&rp, stdout, (enum pl_format)fmt, cli_color(), plan);
	rp.width = cli_width();
	/* the results on a terminal are their own progress; else a line on stderr */
	cli_progress_begin(&prog, kc ? "probe --kernel" : "probe",
			   isatty(STDOUT_FILENO) ? 0 : plan);
	for (int i = 0; i < files.n && !ret && !pl_host_interrupted(); i++) {
		int nb = cli_backings(files.f[i].sc, o.backing_idx, idx);

		for (int b = 0; b < nb && !ret && !pl_host_interrupted(); b++) {
			struct pl_result r;

			ret = probe_run(&files.f[i], idx[b], be, preset, &o, NULL, &r);
			if (ret)
				break;
			r.backend = "host";
			r.kernel = kernel;
			if (!pl_host_interrupted())
				pl_report_result(&rp, &r);
			if (r.skipped && !why[0])
				snprintf(why, sizeof(why), "%s", r.reason[0] ? r.reason : "skipped");
			pl_result_free(&r);
			cli_progress_step(&prog);
		}
	}
	cli_progress_end(&prog);
	if (pl_host_interrupted()) {
		pl_report_interrupted(&rp, cli_signal_name());
	} else if (!ret) {
		pl_report_end(&rp);
		ret = rp.mismatched ? PL_EXIT_MISMATCH : PL_EXIT_OK;
		if (kc && rp.n && rp.skipped == rp.n)
			ret = probe_all_skipped(kc, o.kernel, why);
	}
	be->destroy(be);
out:
	return probe_finish("probe", ret, kc, &files, &o);
}

/* ---------------------------------------------------------------------------
 * diff: two observed runs (src/backend/record/observe.c) compared.
 */
/*
 * The host profile (cli.h): the guest's or this machine's.  A guest that
 * never booted has none: its runs are all skipped, nothing to apply.
 */
int cli_profile_get(struct cli_profile *cp, const struct cli_kernel *kc, struct pl_backend *host)
{
	char why[200];
	int ret;

	memset(cp, 0, sizeof(*cp));
	if (!kc)
		host = pl_observer_inner(host);
	ret = kc ? cli_kernel_profile(kc, &cp->p, why, sizeof(why))
		 : pl_host_backend_profile(host, &cp->p, why, sizeof(why));
	if (ret == -ENOENT) {
		snprintf(cp->line, sizeof(cp->line), "host profile: unknown (%s)", why);
		return 0;
	}
	if (ret == -EINTR)
		return 130;
	if (ret) {
		fprintf(stderr, "pinlab: %s\n", why);
		return PL_EXIT_USAGE;
	}
	cp->known = true;
	pl_host_profile_line(&cp->p, cp->line, sizeof(cp->line));
	cp->nr_sets = pl_host_profile_sets(&cp->p, cp->sets, 4);
	return 0;
}

static void obs_print(const struct pl_obs *o, char *buf, size_t size)
{
	char e[32];

	if (!o)
		snprintf(buf, size, "(no observation)");
	else if (o->ret < 0)
		snprintf(buf, size, "failed: %s",
			 o->ret == -PL_BSKIP ? "skipped" : pl_errno_name((int)-o->ret, e, sizeof(e)));
	else if (!pl_obs_is_check(o->op)) {
		if (o->op == PL_OP_VMSPLICE)
			snprintf(buf, size, "ok (%ld pages)", o->count);
		else
			snprintf(buf, size, "ok");
	} else if (o->op == PL_OP_CHECK_VALUE)
		snprintf(buf, size, "\"%s\"", o->text);
	else if (o->op == PL_OP_CHECK_PROP)
		snprintf(buf, size, "%s", o->prop ? "true" : "false");
	else
		snprintf(buf, size, "%ld", o->count);
}

/*
 * The errno a refused step ended with, from the executor's detail ("... failed
 * with EFAULT" for a step, "... failed: EFAULT" for a set-up call): the word
 * after the last "failed"; "" when there is none.
 */
static void rec_errno(const char *detail, char *buf, size_t size)
{
	const char *p = NULL, *q;
	size_t n;

	for (q = strstr(detail, "failed"); q; q = strstr(q + 1, "failed"))
		p = q;
	buf[0] = '\0';
	if (!p)
		return;
	p += strlen("failed");
	if (!strncmp(p, " with ", 6))
		p += 6;
	else if (!strncmp(p, ": ", 2))
		p += 2;
	else
		return;
	n = strcspn(p, " ,;)");
	snprintf(buf, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

/*
 * Both runs have the same outcome: do they end the same way?  An outcome that
 * a step decides (every one but pass: a failed check, a refused step, a
 * lost write or a stale pin seen at the check that reads it, ...) must be
 * decided at the same step, under xfail by the same failure class, and a
 * refused step must fail with the same errno.  The executor is the same for
 * both backends, so fail_step is the same kind of step on both sides: the
 * check step for what a check sees, the failing step for a refused one; the
 * model's invariant checker (no host counterpart) gives the outcome
 * "invariant", which the host never has, so that is an outcome disagreement.
 */
static bool rec_ending_differs(const struct pl_result *mr, const struct pl_result *hr)
{
	char a[64], b[64];

	if (!strcmp(mr->outcome, "pass"))
		return false;
	if (mr->fail_step != hr->fail_step || strcmp(mr->failure, hr->failure))
		return true;
	if (strcmp(mr->failure, "refused"))
		return false;
	rec_errno(mr->detail, a, sizeof(a));
	rec_errno(hr->detail, b, sizeof(b));
	return strcmp(a, b) != 0;
}

static void rec_ending_print(const struct pl_result *r, char *buf, size_t size)
{
	char e[64];

	rec_errno(r->detail, e, sizeof(e));
	if (!strcmp(r->failure, "refused") && e[0])
		snprintf(buf, size, "%s at step %d with %s (%.200s)", r->failure, r->fail_step, e,
			 r->detail[0] ? r->detail : "-");
	else
		snprintf(buf, size, "%s at step %d (%.200s)", r->failure, r->fail_step,
			 r->detail[0] ? r->detail : "-");
}

/*
 * cli_rec_compare() - compare a model run with a host run, both observed by
 * pl_observer_new() backends: the outcomes, then the observations in order.
 * Calls @fn once per disagreement; returns how many.
 */
int cli_rec_compare(const struct pl_result *mr, struct pl_backend *model,
		    const struct pl_result *hr, struct pl_backend *host,
		    void (*fn)(void *arg, const struct cli_disagree *d), void *arg)
{
	int mn, hn;
	const struct pl_obs *mv = pl_observer_obs(model, &mn), *hv = pl_observer_obs(host, &hn);
	struct cli_disagree d;
	int any = 0, n = mn > hn ? mn : hn;

	if (strcmp(mr->outcome, hr->outcome)) {
		memset(&d, 0, sizeof(d));
		d.outcome = true;
		snprintf(d.model, sizeof(d.model), "%s (%s)", mr->outcome,
			 mr->detail[0] ? mr->detail : "-");
		snprintf(d.host, sizeof(d.host), "%s (%s)", hr->outcome,
			 hr->detail[0] ? hr->detail : "-");
		fn(arg, &d);
		any++;
	} else if (rec_ending_differs(mr, hr)) {
		memset(&d, 0, sizeof(d));
		d.ending = true;
		d.step = mr->fail_step;
		d.model_step = mr->fail_step;
		d.host_step = hr->fail_step;
		rec_ending_print(mr, d.model, sizeof(d.model));
		rec_ending_print(hr, d.host, sizeof(d.host));
		fn(arg, &d);
		any++;
	}
	for (int i = 0; i < n; i++) {
		const struct pl_obs *a = i < mn ? &mv[i] : NULL;
		const struct pl_obs *b = i < hn ? &hv[i] : NULL;

		if (a && b && a->step == b->step && pl_obs_same(a, b))
			continue;
		memset(&d, 0, sizeof(d));
		d.step = a ? a->step : b->step;
		obs_print(a, d.model, sizeof(d.model));
		obs_print(b, d.host, sizeof(d.host));
		fn(arg, &d);
		any++;
	}
	return any;
}

struct diff_print {
	const char *id, *backing;
};

static void diff_print_one(void *arg, const struct cli_disagree *d)
{
	const struct diff_print *p = arg;

	if (d->outcome)
		printf("%s [%s]: outcome: model %s, host %s\n", p->id, p->backing, d->model,
		       d->host);
	else if (d->ending)
		printf("%s [%s]: ending step: model %s, host %s\n", p->id, p->backing, d->model,
		       d->host);
	else
		printf("%s [%s]: step %d: model %s, host %s\n", p->id, p->backing, d->step,
		       d->model, d->host);
}

/* What kinds of disagreement a run has (JSON "disagree_on"). */
struct diff_kinds {
	bool outcome, step, observation;
};

static void diff_count(void *arg, const struct cli_disagree *d)
{
	struct diff_kinds *k = arg;

	if (d->outcome)
		k->outcome = true;
	else if (d->ending)
		k->step = true;
	else
		k->observation = true;
}

/*
 * A run that `require` skipped says at which step ("step N (line L) ...",
 * exec_record.c); 0 for any other skip (a step with no host equivalent, a
 * missing kernel feature, a timeout).
 */
int cli_require_step(const struct pl_result *r)
{
	int step, line;

	if (!r->skipped || sscanf(r->reason, "step %d (line %d)", &step, &line) != 2)
		return 0;
	return step;
}

/*
 * Both runs skipped by `require`: the same precondition must stop them at the
 * same step.  Only then are two skips compared; a host run that skips for any
 * other reason is counted, not compared.
 */
static bool diff_require_differs(const struct pl_result *mr, const struct pl_result *hr)
{
	int a = cli_require_step(mr), b = cli_require_step(hr);

	return a && b && a != b;
}

static void diff_require_print(const struct cli_file *f, int backing, const struct pl_result *mr,
			       const struct pl_result *hr)
{
	printf("%s [%s]: ending step: model skip at step %d (%s), host skip at step %d (%s)\n",
	       f->id, pl_backing_info(backing)->name, cli_require_step(mr), mr->reason,
	       cli_require_step(hr), hr->reason);
}

/* Print the disagreements of one (scenario, backing); true if any. */
static bool diff_one(const struct cli_file *f, int backing, const struct pl_result *mr,
		     struct pl_backend *m, const struct pl_result *hr, struct pl_backend *h)
{
	struct diff_print p = { f->id, pl_backing_info(backing)->name };

	return cli_rec_compare(mr, m, hr, h, diff_print_one, &p) > 0;
}

/*
 * diff --format json: one (scenario, backing) as an object, with every step
 * either side observed (in order, both values, whether they agree), so that
 * a reader -- `pinlab report --diff` -- can put model and host side by side.
 */
static void diff_json_run(const struct cli_file *f, int backing, const char *preset,
			  const char *kernel, const struct pl_result *mr, struct pl_backend *m,
			  const struct pl_result *hr, struct pl_backend *h, const char *verdict,
			  const struct diff_kinds *k)
{
	int mn, hn, n;
	const struct pl_obs *mv = pl_observer_obs(m, &mn), *hv = pl_observer_obs(h, &hn);
	char a[352], b[352];

	n = mn > hn ? mn : hn;
	printf("{\"command\": \"diff\", \"scenario\": ");
	pl_json_str(stdout, f->sc->name);
	printf(", \"id\": ");
	pl_json_str(stdout, f->id);
	printf(", \"file\": ");
	pl_json_str(stdout, f->path);
	printf(", \"preset\": \"%s\", \"backing\": \"%s\", \"kernel\": ", preset,
	       pl_backing_info(backing)->name);
	pl_json_str(stdout, kernel);
	printf(", \"model\": \"%s\", \"host\": \"%s\", \"verdict\": \"%s\", \"model_detail\": ",
	       mr->outcome, hr->skipped ? "skip" : hr->outcome, verdict);
	pl_json_str(stdout, mr->detail);
	printf(", \"host_detail\": ");
	pl_json_str(stdout, hr->detail);
	printf(", \"reason\": ");
	pl_json_str(stdout, hr->skipped ? hr->reason : "");
	printf(", \"model_fail_step\": %d, \"host_fail_step\": %d, \"disagree_on\": [%s%s%s%s%s]"
	       ", \"model_end_step\": %d, \"host_end_step\": %d, \"steps\": [",
	       mr->fail_step, hr->skipped ? 0 : hr->fail_step,
	       k->outcome ? "\"outcome\"" : "", k->outcome && k->step ? ", " : "",
	       k->step ? "\"step\"" : "", (k->outcome || k->step) && k->observation ? ", " : "",
	       k->observation ? "\"observation\"" : "",
	       mr->skipped ? cli_require_step(mr) : mr->fail_step,
	       hr->skipped ? cli_require_step(hr) : hr->fail_step);
	for (int i = 0; i < n && !hr->skipped; i++) {
		const struct pl_obs *x = i < mn ? &mv[i] : NULL, *y = i < hn ? &hv[i] : NULL;

		obs_print(x, a, sizeof(a));
		obs_print(y, b, sizeof(b));
		printf("%s{\"step\": %d, \"model\": ", i ? ", " : "", x ? x->step : y->step);
		pl_json_str(stdout, a);
		printf(", \"host\": ");
		pl_json_str(stdout, b);
		printf(", \"agree\": %s}", x && y && x->step == y->step && pl_obs_same(x, y) ?
		       "true" : "false");
	}
	printf("], \"version\": 1}\n");
}

static int cmd_diff(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_files files;
	struct pl_backend *model = NULL, *host = NULL;
	struct cli_kernel *kc = NULL;
	struct cli_profile cp;
	const char *preset;
	int ret, runs = 0, agree = 0, disagree = 0, skipped = 0, timedout = 0;
	int idx[CLI_MAX_BACKINGS];
	char why[200] = "";
	bool json = false;
	struct utsname u;
	const char *kernel;
	struct cli_progress prog = { .on = false };
	long plan = 0;

	ret = probe_parse("diff", argc, argv, DIFF_OPTIONS, &o, &files);
	if (!ret && o.format && strcmp(o.format, "text") && strcmp(o.format, "table") &&
	    strcmp(o.format, "json"))
		ret = cli_usage_error("diff", "unknown format '%s' (expected text or json)", o.format);
	json = !ret && o.format && !strcmp(o.format, "json");
	if (!ret)
		ret = probe_load(&o, &files);
	if (ret)
		goto out;
	preset = probe_preset(&o);
	pl_host_catch_signals();
	if (o.kernel) {
		kc = cli_kernel_start(o.kernel, &files, o.backing_idx, o.preset ? preset : NULL);
		if (!kc) {
			ret = PL_EXIT_INTERNAL;
			goto out;
		}
		preset = cli_kernel_preset(kc);
	}
	model = pl_observer_new(pl_model_backend_new(), false);
	if (!kc) {
		struct pl_backend *hb = cli_host_backend("diff", &o, PROBE_TIMEOUT_MS);

		if (!hb) {
			if (pl_host_interrupted() && !json)
				printf("interrupted by %s: 0 runs: 0 agree, 0 disagree, 0 skipped on "
				       "the host (incomplete)\n", cli_signal_name());
			ret = PL_EXIT_INTERNAL;	/* said why */
			goto done;
		}
		host = pl_observer_new(hb, false);
	} else {
		host = pl_observer_new(cli_kernel_backend(kc), false);
	}
	if (!model || !host) {
		ret = cli_oom();
		goto done;
	}
	ret = cli_profile_get(&cp, kc, host);
	if (ret)
		goto done;
	/* like with like: the model runs with the host's facts */
	if (json)
		fprintf(stderr, "%s\n", cp.line);
	else
		printf("%s\n", cp.line);
	if (kc)
		kernel = cli_kernel_release(kc);
	else
		kernel = uname(&u) ? "unknown" : u.release;
	for (int i = 0; i < files.n; i++)
		plan += cli_backings(files.f[i].sc, o.backing_idx, idx);
	cli_progress_begin(&prog, kc ? "diff --kernel" : "diff", plan);
	for (int i = 0; i < files.n && !ret && !pl_host_interrupted(); i++) {
		int nb = cli_backings(files.f[i].sc, o.backing_idx, idx);

		for (int b = 0; b < nb && !ret && !pl_host_interrupted(); b++) {
			struct pl_result mr, hr;

			ret = probe_run(&files.f[i], idx[b], model, preset, &o, &cp, &mr);
			if (ret)
				break;
			ret = probe_run(&files.f[i], idx[b], host, preset, &o, NULL, &hr);
			if (ret) {
				pl_result_free(&mr);
				break;
			}
			if (!pl_host_interrupted()) {
				bool differ = false, req = diff_require_differs(&mr, &hr);
				struct diff_kinds k = { .step = req };

				runs++;
				if (hr.skipped && !why[0])
					snprintf(why, sizeof(why), "%s",
						 hr.reason[0] ? hr.reason : "skipped");
				if (req) {
					differ = true;
					if (!json)
						diff_require_print(&files.f[i], idx[b], &mr, &hr);
				} else if (hr.skipped && pl_host_skip_is_timeout(hr.reason)) {
					timedout++;
				} else if (hr.skipped) {
					skipped++;
				} else if (json) {
					differ = cli_rec_compare(&mr, model, &hr, host, diff_count,
								 &k) > 0;
				} else {
					differ = diff_one(&files.f[i], idx[b], &mr, model, &hr, host);
				}
				if ((!hr.skipped || req) && differ)
					disagree++;
				else if (!hr.skipped)
					agree++;
				cli_progress_step(&prog);
				if (json)
					diff_json_run(&files.f[i], idx[b], preset, kernel, &mr, model,
						      &hr, host, req ? "disagree" : !hr.skipped ?
						      differ ? "disagree" : "agree" :
						      pl_host_skip_is_timeout(hr.reason) ? "timeout" :
						      "skip", &k);
				else if (o.list)
					printf("%-40s %-14s model %-9s host %-9s %s%s\n", files.f[i].id,
					       pl_backing_info(idx[b])->name, mr.outcome,
					       hr.skipped ? "skip" : hr.outcome,
					       req ? "DISAGREE" : hr.skipped ? "skipped: " :
					       differ ? "DISAGREE" : "agree",
					       hr.skipped && !req ? hr.reason : "");
			}
			pl_result_free(&mr);
			pl_result_free(&hr);
		}
	}
	cli_progress_end(&prog);
	if (json && (pl_host_interrupted() || !ret)) {
		printf("{\"command\": \"diff\", \"summary\": true, \"profile\": ");
		pl_json_str(stdout, cp.line);
		printf(", \"preset\": \"%s\", \"kernel\": ", preset);
		pl_json_str(stdout, kernel);
		printf(", \"runs\": %d, \"agree\": %d, \"disagree\": %d, \"skipped\": %d, "
		       "\"timed_out\": %d, \"incomplete\": %s, \"version\": 1}\n", runs, agree,
		       disagree, skipped, timedout, pl_host_interrupted() ? "true" : "false");
	}
	if (pl_host_interrupted()) {
		if (!json)
			printf("interrupted by %s: %d run%s: %d agree, %d disagree, %d skipped on "
			       "the host (incomplete)\n", cli_signal_name(), runs,
			       runs == 1 ? "" : "s", agree, disagree, skipped);
	} else if (!ret) {
		if (!json) {
			printf("%d run%s: %d agree, %d disagree, %d skipped on the host", runs,
			       runs == 1 ? "" : "s", agree, disagree, skipped);
			if (timedout)	/* not compared: a slower or faster machine decides those */
				printf(", %d timed out", timedout);
			putchar('\n');
		}
		ret = disagree ? PL_EXIT_MISMATCH : PL_EXIT_OK;
		if (kc && runs && skipped + timedout == runs)
			ret = probe_all_skipped(kc, o.kernel, why);
	}
done:
	if (model)
		model->destroy(model);
	if (host)
		host->destroy(host);
out:
	return probe_finish("diff", ret, kc, &files, &o);
}

const struct cli_cmd cli_cmd_probe = { "probe", cmd_probe, probe_usage };
const struct cli_cmd cli_cmd_diff = { "diff", cmd_diff, diff_usage };
