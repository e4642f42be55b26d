/*
 * host.c - `pinlab host restore` (put back what a killed pinlab changed on
 * this machine), and the host backend as probe, diff and fuzz-diff set it
 * up: lock taken and journal replayed before anything runs.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
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
