/*
 * kernels.c - other kernels: `pinlab kernels`, the `--kernel K` half of
 * probe/diff, and the hidden `__guest` command the guest's PID 1 runs.
 *
 * probe/diff --kernel K first boot K once under qemu with every
 * (scenario, backing) of the call (src/guest/vm.c), the guest running them
 * on its host backend and writing every backend call to a transcript; then
 * they run exactly as without --kernel, on a replay backend that answers
 * from the transcript (src/backend/record/transcript.c).  A guest that dies
 * loses the run it was in (its unanswered steps fail with ECHILD); one that
 * hangs makes it a timeout (the first unanswered step skips with the host's
 * timeout reason, counted apart); either way the console tail goes to stderr
 * and the guest is booted again for the runs after it, at most CK_BOOTS times.  A kernel that never reached the
 * guest's init skips every run left, the one it was started for included.  No qemu, no image, no static
 * pinlab: every run is skipped with the reason, as probe skips.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/host/backend_host.h"
#include "backend/host/profile.h"
#include "guest/guest.h"

#define CK_BOOTS 3
#define CK_RUN_MS 10000		/* a run's time limit on a machine as fast as the host */
#define CK_RUN_MAX_S 150	/* ... scaled by the guest's slowness, at most (< VM_IDLE_S) */
#define CK_MAX_DIRS 8
#define CK_MAX_IMAGES 64

struct cli_kernel {
	struct pl_transcript *t;
	char release[128];
	const char *preset;
	int nr_runs;
	int *run_file, *run_backing;	/* plan index -> file, backing */
	bool said_skip;			/* "every run skipped: why" is on stderr */
};

/* ---------------------------------------------------------------------------
 * Where images are: /boot, and $PINLAB_KERNELS (DIR:DIR...) or else
 * build/kernels (tools/fetch-kernels.sh) and the kernels/ beside the binary.
 */
struct ck_dirs {
	char *v[CK_MAX_DIRS];
	char real[CK_MAX_DIRS][PATH_MAX];
	int n;
	char buf[4096];
};

static void ck_add_dir(struct ck_dirs *d, char *dir)
{
	char real[PATH_MAX];

	if (d->n == CK_MAX_DIRS || !realpath(dir, real))
		return;
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->real[i], real))
			return;
	snprintf(d->real[d->n], sizeof(d->real[d->n]), "%s", real);
	d->v[d->n++] = dir;
}

static void ck_dirs(struct ck_dirs *d)
{
	const char *env = getenv("PINLAB_KERNELS");
	char exe[PATH_MAX], *p = d->buf, *save = NULL;
	ssize_t n;

	memset(d, 0, sizeof(*d));
	if (env) {
		snprintf(d->buf, sizeof(d->buf), "%s", env);
		for (char *s = strtok_r(d->buf, ":", &save); s; s = strtok_r(NULL, ":", &save))
			ck_add_dir(d, s);
		return;
	}
	snprintf(p, sizeof(d->buf), "build/kernels");
	ck_add_dir(d, p);
	p += strlen(p) + 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		*strrchr(exe, '/') = 0;
		snprintf(p, sizeof(d->buf) - (size_t)(p - d->buf), "%s/kernels", exe);
		ck_add_dir(d, p);
	}
}

/* The static pinlab for the guest: $PINLAB_STATIC, else pinlab-static beside this binary. */
static bool ck_static(char *out, size_t len)
{
	const char *env = getenv("PINLAB_STATIC");
	char exe[PATH_MAX];
	ssize_t n;

	if (env) {
		snprintf(out, len, "%s", env);
		return !access(out, R_OK);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = 0;
	*strrchr(exe, '/') = 0;
	if ((size_t)snprintf(out, len, "%s/pinlab-static", exe) >= len)
		return false;
	return !access(out, R_OK);
}

/*
 * Is the pinlab-static beside this binary older than it?  Then the guest
 * would run another build's model and language: a scenario that uses a
 * newer operation stops the guest's runner with a parse error, which diff
 * would count against the host.  `make` relinks both; PINLAB_STATIC names a
 * static pinlab on purpose and is not checked.
 */
static bool ck_static_stale(const char *st)
{
	struct stat a, b;

	if (getenv("PINLAB_STATIC") || stat("/proc/self/exe", &a) || stat(st, &b))
		return false;
	return b.st_mtim.tv_sec < a.st_mtim.tv_sec ||
	       (b.st_mtim.tv_sec == a.st_mtim.tv_sec && b.st_mtim.tv_nsec < a.st_mtim.tv_nsec);
}

/* ---------------------------------------------------------------------------
 * pinlab kernels
 */
static const char kernels_usage[] =
	"usage: pinlab kernels\n"
	"\n"
	"List the kernel images `probe --kernel K` and `diff --kernel K` can boot:\n"
	"/boot/vmlinuz-*, and DIR/*/boot/vmlinuz-* for every DIR of $PINLAB_KERNELS\n"
	"(colon-separated), else of build/kernels and the kernels/ directory beside\n"
	"the pinlab binary (`make kernels` unpacks Debian's images there).  Each line:\n"
	"the release (from the image header), the preset it maps to (the newest whose\n"
	"first kernel is not newer), whether its modules were found, and the image.\n"
	"Then how a boot would run: qemu and its accelerator, and the static pinlab.\n";

static int cmd_kernels(int argc, char **argv)
{
	struct ck_dirs d;
	struct pl_kimage *img;
	char qemu[PL_KPATH], st[PATH_MAX];
	int n;

	(void)argv;
	if (argc > 1)
		return cli_usage_error("kernels", "unexpected argument '%s'", argv[1]);
	img = calloc(CK_MAX_IMAGES, sizeof(*img));
	if (!img) {
		fprintf(stderr, "pinlab: out of memory\n");
		return PL_EXIT_INTERNAL;
	}
	ck_dirs(&d);
	n = pl_kimages_find((const char *const *)d.v, d.n, img, CK_MAX_IMAGES);
	printf("%-26s %-7s %-8s %s\n", "release", "preset", "modules", "image");
	/* an image path that does not fit beside the row goes below it, indented */
	for (int i = 0; i < n; i++) {
		bool below = 44 + strlen(img[i].path) > (size_t)cli_width();

		printf("%-26s %-7s %-*s%s%s\n", img[i].release, img[i].preset, below ? 0 : 8,
		       img[i].moddir[0] ? "yes" : "no", below ? "\n    " : " ", img[i].path);
	}
	if (!n)
		printf("(no kernel image found: `make kernels` unpacks Debian's 6.1 and 6.12)\n");
	if (pl_vm_qemu(qemu, sizeof(qemu)))
		printf("qemu: %s (accelerator %s)\n", qemu, pl_vm_accel());
	else
		printf("qemu: qemu-system-x86_64 not found: --kernel runs are skipped\n");
	if (ck_static(st, sizeof(st)))
		printf("guest pinlab: %s\n", st);
	else
		printf("guest pinlab: no static pinlab (`make` builds build/pinlab-static):"
		       " --kernel runs are skipped\n");
	free(img);
	return PL_EXIT_OK;
}

/* ---------------------------------------------------------------------------
 * The runner: every (scenario, backing) of a job through the recorder.
 */
static double ck_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The per-run time limit of a guest: CK_RUN_MS scaled by how much slower
 * than the host (@ref_us, 0 = unknown) this machine runs the speed test.
 * Said in a note, which the host prints.
 */
static int ck_run_limit_ms(FILE *out, long ref_us)
{
	long us;
	double ratio;
	int ms;

	if (ref_us <= 0)
		return CK_RUN_MS;
	us = pl_host_speed_us();
	ratio = (double)us / (double)ref_us;
	ms = ratio <= 1.0 ? CK_RUN_MS : ratio * CK_RUN_MS >= CK_RUN_MAX_S * 1000.0 ?
	     CK_RUN_MAX_S * 1000 : (int)(ratio * CK_RUN_MS);
	fprintf(out, "@note speed test: %.1f ms here, %.1f ms on the host (%.1fx): each run may "
		"take %d s\n", (double)us / 1000, (double)ref_us / 1000, ratio, ms / 1000);
	return ms;
}

/*
 * in_guest: the runner is a qemu guest's init, a throw-away machine with
 * nothing to lock or journal.  Under --kernel running it runs on this
 * machine, so it locks the host and journals its changes like probe does:
 * without that, a run changed the real machine's hugetlb pools and THP
 * settings with no lock and nothing to restore them after a crash.
 */
static int ck_run_job(FILE *out, const char *preset, int backing, char **paths, int nr,
		      int first, long ref_us, bool in_guest)
{
	struct cli_files files;
	struct pl_backend *be, *hb;
	int k = 0, idx[CLI_MAX_BACKINGS], ret;

	setvbuf(out, NULL, _IOLBF, 0);
	if (cli_load(paths, nr, &files)) {
		fprintf(out, "@died the guest could not load the scenarios\n");
		cli_files_free(&files);
		return PL_EXIT_USAGE;
	}
	hb = pl_host_backend_new(ck_run_limit_ms(out, ref_us));
	if (hb && in_guest)
		pl_host_lock_options(hb, false, 0);
	if (hb) {
		struct pl_host_profile hp;
		char facts[512], why[160];

		/* the kernel's own facts; $PINLAB_HOST_PROFILE applies on the host side */
		unsetenv(PL_PROFILE_ENV);
		if (!pl_host_backend_profile(hb, &hp, why, sizeof(why))) {
			pl_host_profile_format(&hp, facts, sizeof(facts));
			fprintf(out, "@profile %s\n", facts);
		}
	}
	be = pl_recorder_new(hb, out);
	if (!be) {
		cli_files_free(&files);
		return PL_EXIT_INTERNAL;
	}
	for (int i = 0; i < files.n; i++) {
		int nb = cli_backings(files.f[i].sc, backing, idx);

		for (int b = 0; b < nb; b++, k++) {
			struct pl_exec_opts eo = { .preset = preset };
			struct pl_result r;
			double t0;

			if (k < first)
				continue;
			fprintf(out, "@run %d\n", k);
			t0 = ck_now();
			ret = pl_exec_run(files.f[i].sc, idx[b], be, &eo, &r);
			be->end(be);
			fprintf(out, "@end %d %ld\n", k, (long)((ck_now() - t0) * 1e6));
			if (ret >= 0)
				pl_result_free(&r);
		}
	}
	fprintf(out, "@done\n");
	fflush(out);
	be->destroy(be);
	cli_files_free(&files);
	return PL_EXIT_OK;
}

/* __guest FIRST: PID 1 of the guest (hidden; see src/guest/guest.c). */
static int cmd_guest(int argc, char **argv)
{
	char line[PATH_MAX + 16], preset[64] = "latest";
	char **paths = NULL;
	int fd, backing = -1, first = argc > 1 ? atoi(argv[1]) : 0, nr = 0, ret;
	long ref_us = 0;
	FILE *job, *out;

	fd = pl_guest_init();
	if (fd == -EPERM) {
		fprintf(stderr, "pinlab: __guest is the init of a guest booted by --kernel\n");
		return PL_EXIT_USAGE;
	}
	if (fd < 0)
		return PL_EXIT_INTERNAL;
	out = fdopen(fd, "w");
	job = fopen(PL_GUEST_JOB, "re");
	if (!out || !job)
		return PL_EXIT_INTERNAL;
	while (fgets(line, sizeof(line), job)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "preset ", 7)) {
			snprintf(preset, sizeof(preset), "%.63s", line + 7);
		} else if (!strncmp(line, "backing ", 8)) {
			backing = atoi(line + 8);
		} else if (!strncmp(line, "speed_ref_us ", 13)) {
			ref_us = atol(line + 13);
		} else if (!strncmp(line, "file ", 5)) {
			char **np = realloc(paths, (size_t)(nr + 1) * sizeof(*np));

			if (!np || !(np[nr] = strdup(line + 5)))
				return PL_EXIT_INTERNAL;
			paths = np;
			nr++;
		}
	}
	fclose(job);
	ret = ck_run_job(out, preset, backing, paths, nr, first, ref_us, true);
	for (int i = 0; i < nr; i++)
		free(paths[i]);
	free(paths);
	fclose(out);
	return ret;
}

/* ---------------------------------------------------------------------------
 * probe/diff --kernel K
 */
void cli_kernel_free(struct cli_kernel *kc)
{
	if (!kc)
		return;
	pl_transcript_free(kc->t);
	free(kc->run_file);
	free(kc->run_backing);
	free(kc);
}

const char *cli_kernel_release(const struct cli_kernel *kc)
{
	return kc->release;
}

const char *cli_kernel_preset(const struct cli_kernel *kc)
{
	return kc->preset;
}

/*
 * The guest's host profile, with $PINLAB_HOST_PROFILE applied; -ENOENT when
 * the guest wrote none (no qemu, no image, a guest that never booted).
 */
int cli_kernel_profile(const struct cli_kernel *kc, struct pl_host_profile *p, char *why,
		       size_t whylen)
{
	const char *env = getenv(PL_PROFILE_ENV);

	if (pl_host_profile_parse(p, pl_transcript_profile(kc->t))) {
		snprintf(why, whylen, "no host profile from the guest");
		return -ENOENT;
	}
	if (env && *env)
		return pl_host_profile_override(p, env, why, whylen);
	return 0;
}

struct pl_backend *cli_kernel_backend(struct cli_kernel *kc)
{
	return pl_replay_new(kc->t);
}

static void ck_tail(const char *console)
{
	const char *s = console && console[0] ? console : "(nothing)\n";

	while (*s) {
		size_t n = strcspn(s, "\n");

		fprintf(stderr, "  | %.*s\n", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

/* Without qemu: the guest runner on this kernel (K = "running"), for tests. */
static int ck_run_here(struct cli_kernel *kc, const struct cli_files *files, int backing,
		       char *why, size_t whylen)
{
	char *text = NULL, **paths;
	size_t len = 0;
	FILE *out;
	pid_t pid;
	int st, ret;
	struct utsname u;

	paths = calloc((size_t)files->n + 1, sizeof(*paths));
	out = open_memstream(&text, &len);
	if (!paths || !out) {
		free(paths);
		if (out)
			fclose(out);
		return -ENOMEM;
	}
	for (int i = 0; i < files->n; i++)
		paths[i] = files->f[i].path;
	uname(&u);
	fprintf(out, "@pinlab-guest 1 %s\n", u.release);
	fflush(out);
	/* A child, as in the guest: its workers, signals and exit are its own. */
	{
		int p[2];

		if (pipe(p)) {
			fclose(out);
			free(text);
			free(paths);
			return -errno;
		}
		pid = fork();
		if (pid == 0) {
			FILE *w;

			close(p[0]);
			w = fdopen(p[1], "w");
			_exit(w ? ck_run_job(w, kc->preset, backing, paths, files->n, 0, 0, false) : 3);
		}
		close(p[1]);
		for (;;) {
			char buf[8192];
			ssize_t got = read(p[0], buf, sizeof(buf));

			if (got < 0 && errno == EINTR && !pl_host_interrupted())
				continue;
			if (got <= 0)
				break;
			fwrite(buf, 1, (size_t)got, out);
		}
		close(p[0]);
		if (pid > 0)
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
	}
	fclose(out);
	free(paths);
	ret = pl_transcript_parse(kc->t, text, len, why, whylen);
	snprintf(kc->release, sizeof(kc->release), "%s", pl_transcript_release(kc->t));
	free(text);
	if (ret >= 0 && ret < kc->nr_runs) {
		pl_transcript_lost(kc->t, ret, ECHILD, "the runner stopped");
		pl_transcript_skip_rest(kc->t, "not run: the runner stopped before it");
	}
	return ret < 0 ? ret : 0;
}

static void ck_stats(const struct cli_kernel *kc, const struct cli_files *files,
		     const struct pl_vm_result *res, int boot)
{
	const char *path = getenv("PINLAB_KERNEL_STATS");
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	fprintf(f, "boot %d %s %s boot_s %.2f run_s %.2f\n", boot, kc->release, pl_vm_accel(),
		res->boot_s, res->run_s);
	for (int k = 0; k < kc->nr_runs; k++) {
		long us = pl_transcript_usec(kc->t, k);

		if (us)
			fprintf(f, "run %s %s %ld\n", files->f[kc->run_file[k]].id,
				pl_backing_info(kc->run_backing[k])->name, us);
	}
	fclose(f);
}

/* Boot until every run is done, lost or skipped. */
static int ck_boot(struct cli_kernel *kc, const struct pl_kimage *img, const char *init,
		   const struct cli_files *files, int backing)
{
	char **paths = calloc((size_t)files->n + 1, sizeof(*paths));
	struct pl_vm_job job = { .img = img, .init = init, .preset = kc->preset,
				 .backing = backing, .nr_files = files->n,
				 .speed_ref_us = pl_host_speed_us() };
	char why[320];
	int first = 0, ret = 0;

	if (!paths)
		return -ENOMEM;
	for (int i = 0; i < files->n; i++)
		paths[i] = files->f[i].path;
	job.files = paths;
	for (int boot = 0; first < kc->nr_runs && !pl_host_interrupted(); boot++) {
		struct pl_vm_result res;
		int next;

		if (boot == CK_BOOTS) {
			snprintf(why, sizeof(why), "not run: the guest died %d times", CK_BOOTS);
			pl_transcript_skip_rest(kc->t, why);
			break;
		}
		job.first = first;
		ret = pl_vm_run(&job, &res);
		if (res.notes && res.notes[0] && boot == 0) {
			fprintf(stderr, "pinlab: %s: ", img->release);
			fputs(res.notes, stderr);
		}
		if (ret < 0 || res.end == PL_VM_ERROR || res.end == PL_VM_INTR) {
			if (res.end != PL_VM_INTR) {
				fprintf(stderr, "pinlab: %s: %s\n", img->release, res.why);
				snprintf(why, sizeof(why), "no guest: %s", res.why);
				pl_transcript_skip_rest(kc->t, why);
			}
			pl_vm_result_free(&res);
			ret = 0;
			break;
		}
		next = pl_transcript_parse(kc->t, res.transcript ? res.transcript : "",
					   res.transcript_len, why, sizeof(why));
		if (next < 0) {
			fprintf(stderr, "pinlab: internal error: the guest's transcript: %s\n", why);
			pl_vm_result_free(&res);
			ret = next;
			break;
		}
		if (pl_transcript_release(kc->t)[0])
			snprintf(kc->release, sizeof(kc->release), "%s",
				 pl_transcript_release(kc->t));
		if (boot == 0 && pl_transcript_notes(kc->t)[0]) {
			fprintf(stderr, "pinlab: %s: the guest says: ", img->release);
			fputs(pl_transcript_notes(kc->t), stderr);
		}
		ck_stats(kc, files, &res, boot);
		if (next < kc->nr_runs) {
			int lost = next < first ? first : next;
			bool booted = pl_transcript_release(kc->t)[0] != 0;

			fprintf(stderr, "pinlab: %s: %s, during %s [%s]; the console's last lines:\n",
				img->release, res.why, files->f[kc->run_file[lost]].id,
				pl_backing_info(kc->run_backing[lost])->name);
			ck_tail(res.console);
			if (booted && res.end == PL_VM_HUNG) {
				/*
				 * No output for the idle limit: a guest too slow for
				 * the run, as the host's own deadline is, so the run
				 * is a timeout (counted apart), not a failed step
				 * whose missing answers diff would hold against the
				 * kernel.
				 */
				pl_transcript_skip_run(kc->t, lost, pl_host_timeout_reason());
			} else if (booted) {
				snprintf(why, sizeof(why), "%s", res.why);
				pl_transcript_lost(kc->t, lost, ECHILD, why);
			} else {
				/*
				 * No init ran: the kernel said nothing about any
				 * scenario, so the run it was "in" is not run either
				 * (a TCG boot too slow for the kernel's own checks
				 * is not a disagreement).
				 */
				snprintf(why, sizeof(why), "not run: the guest kernel did not boot (%s)",
					 res.why);
				pl_transcript_skip_rest(kc->t, why);
			}
			first = lost + 1;
		} else {
			first = next;
		}
		pl_vm_result_free(&res);
	}
	free(paths);
	return ret;
}

struct cli_kernel *cli_kernel_start(const char *k, const struct cli_files *files, int backing,
				    const char *preset)
{
	struct cli_kernel *kc = calloc(1, sizeof(*kc));
	struct pl_kimage img;
	struct ck_dirs d;
	char why[320], init[PATH_MAX], qemu[PL_KPATH];
	int idx[CLI_MAX_BACKINGS], n = 0, ret = 0;

	if (!kc)
		goto oom;
	for (int i = 0; i < files->n; i++)
		n += cli_backings(files->f[i].sc, backing, idx);
	kc->nr_runs = n;
	kc->run_file = calloc((size_t)n + 1, sizeof(int));
	kc->run_backing = calloc((size_t)n + 1, sizeof(int));
	kc->t = pl_transcript_new(n);
	if (!kc->run_file || !kc->run_backing || !kc->t)
		goto oom;
	n = 0;
	for (int i = 0; i < files->n; i++) {
		int nb = cli_backings(files->f[i].sc, backing, idx);

		for (int b = 0; b < nb; b++, n++) {
			kc->run_file[n] = i;
			kc->run_backing[n] = idx[b];
		}
	}
	snprintf(kc->release, sizeof(kc->release), "%s", k);
	if (!strcmp(k, "running")) {
		kc->preset = preset ? preset : "latest";
		ret = ck_run_here(kc, files, backing, why, sizeof(why));
		if (ret < 0) {
			fprintf(stderr, "pinlab: internal error: the runner's transcript: %s\n",
				ret == -ENOMEM ? "out of memory" : why);
			goto fail;
		}
		return kc;
	}
	ck_dirs(&d);
	if (pl_kimage_resolve(k, (const char *const *)d.v, d.n, &img, why, sizeof(why))) {
		/* No image: the preset of the version K names (latest if none). */
		kc->preset = preset ? preset : pl_preset_for_kernel(k)->name;
		goto skip;
	}
	snprintf(kc->release, sizeof(kc->release), "%s", img.release);
	kc->preset = preset ? preset : img.preset;
	if (!pl_vm_qemu(qemu, sizeof(qemu))) {
		snprintf(why, sizeof(why), "qemu-system-x86_64 not found (Debian: qemu-system-x86)");
		goto skip;
	}
	if (!ck_static(init, sizeof(init))) {
		snprintf(why, sizeof(why), "no static pinlab for the guest (%.200s; `make` builds it)",
			 init[0] ? init : "pinlab-static");
		goto skip;
	}
	if (ck_static_stale(init)) {
		snprintf(why, sizeof(why),
			 "%.200s is older than this pinlab, so the guest would run another build "
			 "(`make` relinks it)", init);
		goto skip;
	}
	if (ck_boot(kc, &img, init, files, backing) < 0)
		goto fail;
	return kc;
skip:
	fprintf(stderr, "pinlab: --kernel %s: every run skipped: %s\n", k, why);
	kc->said_skip = true;
	pl_transcript_skip_rest(kc->t, why);
	return kc;
oom:
	fprintf(stderr, "pinlab: out of memory\n");
fail:
	cli_kernel_free(kc);
	return NULL;
}

const struct cli_cmd cli_cmd_kernels = { "kernels", cmd_kernels, kernels_usage };
const struct cli_cmd cli_cmd_guest = { "__guest", cmd_guest, "" };

bool cli_kernel_said_skip(const struct cli_kernel *kc)
{
	return kc && kc->said_skip;
}
