/*
 * host.c - `pinlab host restore` (put back what a killed pinlab changed on
 * this machine), and the host backend as probe, diff and fuzz-diff set it
 * up: lock taken and journal replayed before anything runs.
 */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/host/backend_host.h"
#include "backend/host/journal.h"

static const char host_usage[] =
	"usage: pinlab host restore [--lock-timeout S]\n"
	"\n"
	"As root: take the host lock and put the machine back as it was before a\n"
	"pinlab that was killed (SIGKILL, a crash, a power cut of /run) changed it:\n"
	"every THP/mTHP mode, hugetlb pool size and KSM knob it changed is written\n"
	"back, its swapfile is turned off and removed, and what is left of its\n"
	"workers is killed.  Every probe, diff and fuzz-diff does this first on its\n"
	"own; each thing put back is said on stderr.  The record of changes is\n"
	PL_HJ_FILE " (docs/host.md).\n"
	CLI_HOST_HELP
	"\n"
	"exit status: 0 the machine is as before (or nothing was left to restore),\n"
	"2 bad usage, 3 the lock could not be taken or not root\n";

struct pl_backend *cli_host_backend(const char *cmd, const struct cli_opts *o, int timeout_ms)
{
	struct pl_backend *be = pl_host_backend_new(timeout_ms);
	char err[400];
	int ret;

	if (!be) {
		cli_oom();
		return NULL;
	}
	pl_host_allow_swapfile(be, o->allow_swapfile);
	pl_host_lock_options(be, true, o->lock_timeout >= 0 ? o->lock_timeout
							    : PL_HJ_LOCK_TIMEOUT_S);
	ret = pl_host_prepare(be, err, sizeof(err));
	if (ret) {
		if (ret != -EINTR)	/* interrupted: the command says so, once */
			fprintf(stderr, "pinlab: %s: %s\n", cmd, err);
		be->destroy(be);
		return NULL;
	}
	return be;
}

static int cmd_host(int argc, char **argv)
{
	struct cli_opts o;
	char err[400];
	int ret = cli_parse("host", argc, argv, CLI_HOST, &o);

	if (!ret && (o.nr_args != 1 || strcmp(o.args[0], "restore")))
		ret = cli_usage_error("host", o.nr_args ? "unknown subcommand '%s'"
					      : "expected a subcommand (restore)%s",
				      o.nr_args ? o.args[0] : "");
	if (!ret) {
		pl_host_catch_signals();
		if (pl_host_restore(o.lock_timeout >= 0 ? o.lock_timeout : PL_HJ_LOCK_TIMEOUT_S,
				    stderr, err, sizeof(err))) {
			fprintf(stderr, "pinlab: host restore: %s\n", err);
			ret = PL_EXIT_INTERNAL;
		}
	}
	cli_opts_free(&o);
	return ret;
}

const struct cli_cmd cli_cmd_host = { "host", cmd_host, host_usage };

/* ---------------------------------------------------------------------------
 * Host memory: what a scenario may make the machine hold at once.
 */
static uint64_t host_mem_available(void)
{
	char line[128];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

uint64_t cli_host_max_memory(const struct cli_opts *o, const char **why)
{
	if (o->host_max_memory) {
		*why = "--host-max-memory";
		return o->host_max_memory;
	}
	*why = "half of MemAvailable; --host-max-memory SIZE changes it";
	return host_mem_available() / 2;
}

static void host_size_str(char *buf, size_t len, uint64_t b)
{
	if (b >= (1ull << 30))
		snprintf(buf, len, "%.1f GiB", (double)b / (1ull << 30));
	else
		snprintf(buf, len, "%.1f MiB", (double)b / (1ull << 20));
}

/*
 * An upper bound of what the scenario's own steps make the host hold, all
 * at once (nothing is counted as freed): hugetlb pools, populated or
 * locked mappings, files (every page of tmpfs and hugetlbfs is memory).
 * The first step past @max is a located error.
 */
static int host_check_file(const struct cli_file *f, int backing, uint64_t max, const char *why)
{
	const struct pl_scenario *sc = f->sc;
	uint64_t huge = 2ull << 20, sum = 0, pool;
	int line, col;
	char a[32], m[32];

	for (int b = 0; b < sc->nr_backings; b++)
		if (strstr(pl_backing_info(sc->backings[b].idx)->name, "1048576k"))
			huge = 1ull << 30;
	/* the matrix's hugetlb pool, set up before step 1 and held all the run */
	pool = pl_exec_pool_bytes(sc, backing, &line, &col);
	if (pool > max) {
		host_size_str(a, sizeof(a), pool);
		host_size_str(m, sizeof(m), max);
		pl_path_put(stderr, f->path);
		fprintf(stderr, ":%d:%d: error: with backing %s the host would hold %s of hugetlb "
			"pool for this mapping (two pages per mapping plus spares), over the limit "
			"of %s (%s)\n", line, col, pl_backing_info(backing)->name, a, m, why);
		return PL_EXIT_USAGE;
	}
	sum = pool;
	for (int i = 0; i < sc->nr_steps; i++) {
		const struct pl_step *s = &sc->steps[i];
		uint64_t need = 0, bytes = s->n > (~0ull >> 31) ? ~0ull >> 1 : s->n * 4096;

		if (s->op == PL_OP_HUGETLB_POOL)
			need = s->n > (~0ull >> 31) ? ~0ull >> 1 : s->n * huge;
		else if (s->op == PL_OP_FILE)
			need = bytes;
		else if (s->op == PL_OP_MMAP && (s->mflags & (PL_MAP_POPULATE | PL_MAP_LOCKED)))
			need = (s->mflags & PL_MAP_HUGE_1GB) ?
			       ((bytes + (1ull << 30) - 1) & ~((1ull << 30) - 1)) : bytes;
		if (!need)
			continue;
		sum = sum + need < sum ? ~0ull : sum + need;
		if (sum <= max)
			continue;
		host_size_str(a, sizeof(a), sum);
		host_size_str(m, sizeof(m), max);
		pl_path_put(stderr, f->path);
		fprintf(stderr, ":%d:%d: error: the host would hold %s of memory for this scenario "
			"by this step%s%s%s, over the limit of %s (%s)\n", s->pos.line, s->pos.col, a,
			pool ? " (with the hugetlb pool of backing " : "",
			pool ? pl_backing_info(backing)->name : "", pool ? ")" : "", m, why);
		return PL_EXIT_USAGE;
	}
	return 0;
}

int cli_host_check_memory(const struct cli_files *files, const struct cli_opts *o)
{
	const char *why;
	uint64_t max = cli_host_max_memory(o, &why);
	int ret = 0;

	if (!max)
		return 0;	/* no /proc/meminfo: nothing to go by */
	for (int i = 0; i < files->n; i++) {
		int idx[CLI_MAX_BACKINGS];
		int nb = cli_backings(files->f[i].sc, o->backing_idx, idx);

		for (int b = 0; b < nb; b++)
			if (host_check_file(&files->f[i], idx[b], max, why)) {
				ret = PL_EXIT_USAGE;
				break;	/* one error per file */
			}
	}
	return ret;
}

int cli_guest_memory(const struct cli_opts *o)
{
	const char *why, *env = getenv("PINLAB_QEMU_MEM");
	uint64_t max = cli_host_max_memory(o, &why) >> 20;
	long want = env && atoi(env) >= 256 ? atoi(env) : 2048;
	char buf[32];

	if (!max || (uint64_t)want <= max)
		return 0;
	if (max < 256) {
		fprintf(stderr, "pinlab: --kernel: a guest needs 256 MiB at least; the host "
			"memory limit is %" PRIu64 " MiB (%s)\n", max, why);
		return PL_EXIT_USAGE;
	}
	/* the guest gets what the limit allows (vm.c reads PINLAB_QEMU_MEM) */
	snprintf(buf, sizeof(buf), "%" PRIu64, max);
	setenv("PINLAB_QEMU_MEM", buf, 1);
	return 0;
}
