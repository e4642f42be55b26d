/*
 * commands.c - the command table: every subcommand, `pinlab help` and its
 * text, finding a command by name (with "did you mean ...?"), and the list
 * completion.c generates the shell scripts from.  main.c dispatches through
 * it; it is not in main.c so that the fuzz harnesses, which link every CLI
 * object but main.o, have it too.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char usage_text[] =
	"usage: pinlab COMMAND [ARGS]\n"
	"\n"
	"An executable model of Linux get_user_pages(), page pinning and copy-on-write.\n"
	"\n"
	"commands:\n"
	"  run PATH... [-p P|--presets A..B|--all-presets] [--backing B] [--set knob=value]...\n"
	"              [-f table|ktap|json] [-q] [-v|--trace]\n"
	"                                     run .pin scenarios, compare with expectations\n"
	"  check PATH...                      parse and check scenarios, run nothing\n"
	"  show FILE [--at STEP] [--preset P] [--backing B] [--format text|dot]\n"
	"                                     the state after a step: processes, PTEs, folios\n"
	"  explain FILE [--preset P] [--backing B]\n"
	"                                     every COW/GUP decision with its rule and commit\n"
	"  explore FILE [--preset P] [--bound K] [--por] [--shard K/N] [--jobs N]\n"
	"               [--out F.sched] ...   search the interleavings of its thread blocks\n"
	"  explore --merge R...               combine shard results (--result R)\n"
	"  replay FILE F.sched [--preset P] [--trace]\n"
	"                                     re-run one schedule, print the interleaving\n"
	"  probe PATH... [--preset P] [--backing B] [--format table|ktap|json]\n"
	"                                     run scenarios on this kernel (host backend)\n"
	"  probe --explain-skips              why a host run can be skipped\n"
	"  diff PATH... [--preset P] [--backing B]\n"
	"                                     model vs this kernel: every disagreement\n"
	"  probe|diff --kernel K PATH...      the same on kernel image K, booted under qemu\n"
	"  kernels                            the kernel images --kernel can boot\n"
	"  host restore                       put back what a killed pinlab changed (root)\n"
	"  fuzz-diff --seed S --count N [--preset P] [--format table|json] [--keep DIR]\n"
	"                                     random scenarios, model vs this kernel, shrunk\n"
	"  report [PATH...] [-p P|--presets LIST] -o FILE.html\n"
	"                                     the matrix and step-by-step pictures, as one page\n"
	"  demo [-o FILE.html]                every scenario under ./scenarios x every preset\n"
	"  history [--preset P|--all-presets] [--set knob=value]... [--trace] [CASE...]\n"
	"                                     run the built-in historical bug cases\n"
	"  show CASE [--preset P]             one history case's final state\n"
	"  presets [--format table|json]     era presets with the kernels and commits they model\n"
	"  knobs                              every policy knob with its commit\n"
	"  invariants [--format table|json]  the invariants the checker enforces\n"
	"  completion bash|zsh                a shell completion script\n"
	"  help [COMMAND]                     this text, or one command's\n"
	"\n"
	"PATH or FILE may be - (standard input).  run, show, explain, explore and\n"
	"replay take --max-steps N and --max-pages N ('pinlab help run').  Scenario\n"
	"files are regular files (or -) of at most 16 MiB (--max-input SIZE); links\n"
	"to directories are walked only with --follow-symlinks.\n"
	"\n"
	"Options: --opt value or --opt=value, -p V or -pV, -- ends them; 'pinlab CMD\n"
	"--help' is 'pinlab help CMD'; presets by name (v5.7) or kernel release (6.1);\n"
	"--format json everywhere (docs/pinlab.schema.json); 'pinlab --version'.\n"
	"\n"
	"exit status: 0 all expectations met, 1 an expectation failed, 2 bad input or\n"
	"usage, 3 internal error, out of memory or a limit reached\n";


static const char help_usage[] =
	"usage: pinlab help [COMMAND]\n"
	"\n"
	"Print the list of commands, or the usage of one command.\n";

static const struct cli_cmd cli_cmd_help = { "help", cli_help, help_usage };

static const struct cli_cmd *const commands[] = {
	&cli_cmd_run, &cli_cmd_check, &cli_cmd_show, &cli_cmd_explain, &cli_cmd_report, &cli_cmd_demo,
	&cli_cmd_explore, &cli_cmd_replay, &cli_cmd_probe, &cli_cmd_diff, &cli_cmd_kernels, &cli_cmd_host, &cli_cmd_guest, &cli_cmd_fuzz_diff, &cli_cmd_history, &cli_cmd_presets, &cli_cmd_knobs, &cli_cmd_invariants, &cli_cmd_completion, &cli_cmd_help,
};

#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The user's commands, in table order (not the hidden "__guest"), for completion.c. */
const struct cli_cmd *const *cli_commands(int *n)
{
	static const struct cli_cmd *visible[NR_COMMANDS];
	static int nr;

	if (!nr)
		for (size_t i = 0; i < NR_COMMANDS; i++)
			if (strncmp(commands[i]->name, "__", 2))
				visible[nr++] = commands[i];
	*n = nr;
	return visible;
}

const struct cli_cmd *cli_command_find(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

void cli_help_text(FILE *out)
{
	fputs(usage_text, out);
}

int cli_help(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		fputs(usage_text, stdout);
		return PL_EXIT_OK;
	}
	if (argc > 2)
		return cli_usage_error("help", "unexpected argument '%s'", argv[2]);
	c = cli_command_find(argv[1]);
	if (!c)
		return cli_unknown_command(argv[1]);
	fputs(c->usage, stdout);
	return PL_EXIT_OK;
}

int cli_unknown_command(const char *name)
{
	const char *names[NR_COMMANDS];
	const char *s;
	int n;
	const struct cli_cmd *const *cmds = cli_commands(&n);

	for (int i = 0; i < n; i++)
		names[i] = cmds[i]->name;
	s = cli_suggest(name, names, n);
	if (s)
		return cli_usage_error(NULL, "unknown command '%s'; did you mean '%s'?", name, s);
	return cli_usage_error(NULL, "unknown command '%s'", name);
}
