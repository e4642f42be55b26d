/*
 * pinlab: command-line entry point.  Finds the command in the table
 * (commands.c) and hands it the rest of argv; each command lives in its own
 * file with its usage text beside its options (cli.h).  Exit codes are one
 * enum (cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Standard output is checked once, at the end: a full disk or a closed pipe
 * (SIGPIPE ignored by the host commands) is exit 3 with the reason, never 0.
 */
static bool stdout_failed;	/* said already (wrap_run) */

static int main_flush(int ret)
{
	if (stdout_failed)
		return ret;
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return ret;
	/* an earlier flush may have failed already, and its errno is gone */
	fprintf(stderr, "pinlab: cannot write standard output: %s\n",
		errno ? strerror(errno) : "a write failed (a full disk or a closed pipe?)");
	return ret == PL_EXIT_OK || ret == PL_EXIT_MISMATCH ? PL_EXIT_INTERNAL : ret;
}

/* "pinlab 0.1 (git d84a9632f1b0)": PINLAB_VERSION and PINLAB_GIT, written by the Makefile. */
#include "pinlab_version.h"

/*
 * Text output fits the terminal (wrap.c): every command's standard output is
 * wrapped at its width, 100 columns when not a terminal, unless it is
 * something other than text -- --format json, ktap or dot, HTML with -o -,
 * a completion script, the guest's protocol, a fuzz-diff (its .pin text must
 * stay as written).  A failed write through the filter is a failed write to
 * stdout.
 */
static bool wrap_wanted(const struct cli_cmd *c, int argc, char **argv)
{
	static const char *const raw[] = { "completion", "guest", "fuzz-diff", "host" };

	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		if (!strcmp(c->name, raw[i]))
			return false;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *fmt = NULL, *out = NULL;

		if ((!strcmp(a, "--format") || !strcmp(a, "-f")) && i + 1 < argc)
			fmt = argv[i + 1];
		else if (!strncmp(a, "--format=", 9))
			fmt = a + 9;
		else if (!strncmp(a, "-f", 2) && a[2])
			fmt = a + 2;
		else if ((!strcmp(a, "--output") || !strcmp(a, "-o")) && i + 1 < argc)
			out = argv[i + 1];
		else if (!strncmp(a, "--output=", 9))
			out = a + 9;
		else if (!strncmp(a, "-o", 2) && a[2])
			out = a + 2;
		if (fmt && strcmp(fmt, "text") && strcmp(fmt, "table"))
			return false;
		if (out && !strcmp(out, "-"))
			return false;
	}
	return true;
}

static int wrap_run(const struct cli_cmd *c, int argc, char **argv)
{
	int ret, end;

	if (!wrap_wanted(c, argc, argv))
		return c->fn(argc, argv);
	if (cli_wrap_stdout())
		return cli_oom();
	ret = c->fn(argc, argv);
	end = cli_wrap_end();
	if (end == -2) {	/* the wrapper's line buffer: the command's output is cut */
		stdout_failed = true;
		return ret == PL_EXIT_INTERNAL ? ret : cli_oom();
	}
	if (end) {
		stdout_failed = true;
		fputs("pinlab: cannot write standard output: a write failed (a full disk or a "
		      "closed pipe?)\n", stderr);
		return PL_EXIT_INTERNAL;
	}
	return ret;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		cli_help_text(stderr);
		return PL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_help(1, argv);
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("pinlab %s (git %s)\n", PINLAB_VERSION, PINLAB_GIT);
		return PL_EXIT_OK;
	}
	c = cli_command_find(argv[1]);
	if (!c)
		return cli_unknown_command(argv[1]);
	/* CMD ... --help (before a "--"): the command's usage */
	for (int i = 2; i < argc && strcmp(argv[i], "--"); i++) {
		if (strcmp(argv[i], "--help") && strcmp(argv[i], "-h"))
			continue;
		fputs(c->usage, stdout);
		return PL_EXIT_OK;
	}
	return main_flush(wrap_run(c, argc - 1, argv + 1));
}
