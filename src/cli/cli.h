/*
 * cli.h - what the subcommands of `pinlab` share: exit codes, the command
 * table entry, option parsing and loading scenario files.
 *
 * One file per subcommand (run.c: run and check; show.c: show and explain;
 * demo.c; hist.c: history; info.c: presets, knobs, invariants), each with
 * its usage text next to the options it accepts.  main.c only dispatches.
 */
#ifndef PINLAB_CLI_H
#define PINLAB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backend/host/profile.h"
#include "lang/exec.h"
#include "lang/front.h"

/* Exit codes: one enum, as the CLI promises (docs/pinlab.1). */
enum pl_exit {
	PL_EXIT_OK = 0,		/* every outcome matched its expectation */
	PL_EXIT_MISMATCH = 1,	/* an outcome differs from its expectation */
	PL_EXIT_USAGE = 2,	/* bad input (a scenario error) or bad usage */
	PL_EXIT_INTERNAL = 3,	/* pinlab itself is wrong */
};

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);	/* argv[0] is the command name */
	const char *usage;			/* `pinlab help NAME` */
};

extern const struct cli_cmd cli_cmd_run, cli_cmd_check, cli_cmd_show, cli_cmd_explain,
	cli_cmd_demo, cli_cmd_history, cli_cmd_presets, cli_cmd_knobs, cli_cmd_invariants,
	cli_cmd_explore, cli_cmd_replay, cli_cmd_probe, cli_cmd_diff, cli_cmd_kernels,
	cli_cmd_guest, cli_cmd_fuzz_diff, cli_cmd_host, cli_cmd_report, cli_cmd_completion;
/* The user's commands, in table order (commands.c). */
const struct cli_cmd *const *cli_commands(int *n);
/* Any command by name (the hidden ones too), or NULL. */
const struct cli_cmd *cli_command_find(const char *name);
/* `pinlab help [COMMAND]`; the command list alone on out. */
int cli_help(int argc, char **argv);
void cli_help_text(FILE *out);
/* "pinlab: unknown command 'x'; did you mean 'y'?"; returns PL_EXIT_USAGE. */
int cli_unknown_command(const char *name);

/* "pinlab: CMD: message" and a hint on stderr; returns PL_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------------------
 * Options.  Each command passes the set it accepts; anything else is a usage
 * error naming the option.
 */
enum {
	CLI_PRESET	= 1u << 0,	/* --preset P */
	CLI_ALL		= 1u << 1,	/* --all-presets */
	CLI_BACKING	= 1u << 2,	/* --backing B */
	CLI_SET		= 1u << 3,	/* --set knob=value (repeatable) */
	CLI_FORMAT	= 1u << 4,	/* --format F */
	CLI_TRACE	= 1u << 5,	/* --trace */
	CLI_AT		= 1u << 6,	/* --at STEP */
	CLI_SWAPFILE	= 1u << 7,	/* --allow-swapfile */
	CLI_LIST	= 1u << 8,	/* --list */
	CLI_KERNEL	= 1u << 9,	/* --kernel K */
	CLI_LIMITS	= 1u << 10,	/* --max-steps N, --max-pages N */
	CLI_CHECK	= 1u << 11,	/* --check=full|changed */
	CLI_HOST	= 1u << 12,	/* --lock-timeout S */
	CLI_PRESETS	= 1u << 13,	/* --presets LIST (commas, A..B ranges) */
	CLI_OUTPUT	= 1u << 14,	/* -o, --output FILE */
	CLI_QUIET	= 1u << 15,	/* -q, --quiet */
	CLI_JOBS	= 1u << 16,	/* -j, --jobs N */
	CLI_DIFF	= 1u << 17,	/* --diff FILE.json (repeatable) */
};

#define CLI_MAX_DIFFS 4

#define CLI_MAX_SETS 32

struct cli_opts {
	const char *preset;		/* NULL: not given */
	bool all_presets;
	const char *backing;
	int backing_idx;		/* pl_backing_find(backing), -1 */
	const char *sets[CLI_MAX_SETS];
	int nr_sets;
	const char *format;		/* NULL: not given (the command checks the value) */
	bool trace;
	int at;				/* 0: not given */
	uint64_t max_steps, max_pages;	/* 0: not given (the executor's defaults) */
	uint64_t max_procs, max_ms;	/* --max-procs N, --max-time S (in ms); 0: not given */
	bool check_full;		/* --check=full: the checker rescans everything */
	uint64_t max_input;		/* --max-input SIZE; 0: CLI_MAX_INPUT */
	bool follow_symlinks;		/* --follow-symlinks: walk into linked directories */
	bool allow_swapfile;
	int lock_timeout;		/* --lock-timeout S; -1: not given */
	uint64_t host_max_memory;	/* --host-max-memory SIZE; 0: half of MemAvailable */
	bool list;
	const char *kernel;		/* --kernel K, NULL: not given */
	const char *presets;		/* --presets LIST, checked; NULL: not given */
	const char *output;		/* -o FILE, NULL: not given */
	bool quiet;			/* -q: only what did not match, and the summary */
	int jobs;			/* -j N; 0: not given */
	const char *diffs[CLI_MAX_DIFFS];	/* --diff FILE: `pinlab diff -f json` output */
	int nr_diffs;
	char **args;			/* the operands, in order */
	int nr_args;
};

/* Parse argv[1..]; validates presets, backings and --set assignments.  0 or PL_EXIT_USAGE. */
int cli_parse(const char *cmd, int argc, char **argv, unsigned int allowed, struct cli_opts *o);
void cli_opts_free(struct cli_opts *o);
/*
 * The preset names a command covers, oldest first, into names[max]: --presets
 * LIST, --all-presets, -p P; else every preset (@all_by_default) or latest.
 */
int cli_presets(const struct cli_opts *o, const char **names, int max, bool all_by_default);
/* The candidate nearest to a mistyped word (edit distance, prefixes), or NULL. */
const char *cli_suggest(const char *word, const char *const *cands, int n);
/* "; did you mean 'v5.7'?" for an unknown preset name, or "". */
const char *cli_preset_hint(char *buf, size_t len, const char *name);
/* A preset by name ("v5.7") or by kernel release ("6.1", "5.10.102"); NULL if neither. */
struct utsname;
const struct pl_preset *cli_uname_preset(const struct utsname *u);
const struct pl_preset *cli_preset_find(const char *name);
/* The policy of a preset with the --set overrides applied. */
struct pl_policy cli_policy(const char *preset, const struct cli_opts *o);

/* ---------------------------------------------------------------------------
 * Scenario files.
 */
struct cli_file {
	char *path;			/* as found: "scenarios/cow/basic.pin" */
	char *id;			/* report name: "cow/basic" */
	char *text;
	size_t len;
	struct pl_scenario *sc;
	bool is_stdin;			/* "-": read from standard input, path "<stdin>" */
};

struct cli_files {
	struct cli_file *f;
	int n, cap;
};

/*
 * cli_load() - expand PATHs (directories: every *.pin below, sorted; "-":
 * standard input, shown as <stdin>) and load and check every file.  Every
 * error of every file is printed.
 * Return: PL_EXIT_OK, PL_EXIT_USAGE if a path or a scenario was bad (a
 * directory where a file is needed, an unreadable file), or PL_EXIT_INTERNAL
 * after "pinlab: out of memory".
 */
int cli_load(char **paths, int nr_paths, struct cli_files *out);
/*
 * The same with the command's --max-input and --follow-symlinks (@o may be
 * NULL).  Only regular files are read, and "-"; each at most max_input bytes.
 */
#define CLI_MAX_INPUT (16ull << 20)
int cli_load_opts(char **paths, int nr_paths, struct cli_files *out, const struct cli_opts *o);
/* "16M", "4096", "2G" (K, M, G, T: powers of 1024) as bytes; 0, or -1 if not a size. */
int cli_size(const char *v, uint64_t *out);
/*
 * The backings one scenario runs with: --backing B (@backing >= 0), else its
 * matrix, in order, into idx[CLI_MAX_BACKINGS].  Returns how many.  The
 * checker refuses duplicates, so a matrix holds at most every backing there is.
 */
#define CLI_MAX_BACKINGS 64
int cli_backings(const struct pl_scenario *sc, int backing, int *idx);
/*
 * cli_load_history() - the built-in history cases (src/history/) named in
 * @names (all when @nr_names is 0), in their order, loaded as the files
 * scenarios/history/NAME.pin.  Every name must be a case (pl_hist_find()).
 * Return: 0, or an exit status (out of memory; a case that does not load).
 */
int cli_load_history(char **names, int nr_names, struct cli_files *out);
void cli_files_free(struct cli_files *files);

/* "pinlab: out of memory" on stderr; returns PL_EXIT_INTERNAL. */
int cli_oom(void);
/*
 * "pinlab: limit: FILE [PRESET BACKING]: step N (line L): what" on stderr; returns
 * PL_EXIT_INTERNAL.  A run stopped at --max-steps or --max-pages has no
 * outcome to compare (not exit 1), and its input was not wrong (not exit 2).
 */
struct cli_file;
int cli_limit(const struct cli_file *f, const char *preset, int backing, const char *what);

/* The limits help text of the commands that take CLI_LIMITS. */
#define CLI_LIMITS_HELP \
	"  --max-steps N     stop a run after N executed steps, set-up operations\n" \
	"                    included (default 1000000)\n" \
	"  --max-pages N     pages of memory the model may allocate in one run\n" \
	"                    (default 4194304: 16 GiB modelled, ~400 MiB of pinlab's)\n" \
	"  --max-procs N     processes one run may create (default 1024)\n" \
	"  --max-time S      seconds one run may take (default 600; fractions allowed)\n" \
	"  A run that reaches a limit stops: \"pinlab: limit: FILE [PRESET BACKING]:\n" \
	"  step N (line L): ...\" on stderr, exit 3 (it has no outcome to compare).\n" \
	"  Mappings are lazy: only the pages a scenario touches count.\n"
/* The host options' help text (CLI_HOST). */
#define CLI_HOST_HELP \
	"  --lock-timeout S  wait at most S seconds (default 900) for the host lock\n" \
	"                    another pinlab holds; 0: do not wait\n" \
	"  --host-max-memory SIZE  the memory a scenario's pools, populated mappings\n" \
	"                    and files may make the host (or a --kernel guest) hold\n" \
	"                    (default: half of MemAvailable); a scenario over it is\n" \
	"                    refused before anything runs, FILE:LINE:COL: error\n"
/*
 * The host backend for probe/diff/fuzz-diff with the CLI_HOST options,
 * its lock taken and a killed pinlab's changes put back (docs/host.md).
 * NULL after a message (exit 3).
 */
struct pl_backend *cli_host_backend(const char *cmd, const struct cli_opts *o, int timeout_ms);
/*
 * Host memory (host.c): the limit (--host-max-memory, else half of
 * MemAvailable; *why names which), the check of every scenario against it
 * before anything runs (a located error, PL_EXIT_USAGE), and a --kernel
 * guest's memory brought under it (PL_EXIT_USAGE if it cannot be).
 */
uint64_t cli_host_max_memory(const struct cli_opts *o, const char **why);
int cli_host_check_memory(const struct cli_files *files, const struct cli_opts *o);
int cli_guest_memory(const struct cli_opts *o);

/*
 * cli_write_out() - an output file written whole or not at all: @fn writes
 * it to a stream (non-zero on error).  A regular file (or none yet) is
 * written to an O_TMPFILE file beside it and renamed over it; a device or a
 * FIFO (/dev/null, /dev/full) is written in place and never removed; a
 * symbolic link is refused.  0, PL_EXIT_USAGE (a symlink) or
 * PL_EXIT_INTERNAL after "pinlab: PATH: cannot write: why".
 */
int cli_write_out(const char *path, int (*fn)(FILE *f, const void *arg), const void *arg);

/* "pinlab: PATH: what" on stderr, PATH quoted if it needs it (pl_path_put). */
void cli_path_error(const char *path, const char *what);

/* The path a scenario read from standard input ("-") goes by in messages. */
#define CLI_STDIN "<stdin>"
/*
 * cli_run_files() - `pinlab run` after loading (run.c): each file x preset x
 * backing as a report of format fmt (enum pl_format) on out; --trace lines go
 * to out, or to aside with JSON.  Return: the exit code.
 */
int cli_run_files(const struct cli_files *files, const struct cli_opts *o, int fmt, bool color,
		  FILE *out, FILE *aside);

/*
 * SIGINT/SIGTERM (the host backend's flag, pl_host_catch_signals()): a
 * command stops at the next step, prints what it has, marked incomplete,
 * and exits 128 + the signal (cli_interrupted_exit()).
 */
void cli_catch_signals(void);
bool cli_interrupted(void);
int cli_interrupted_exit(void);
const char *cli_signal_name(void);

/* Colours only on a terminal. */
bool cli_color(void);

/* Where a SHOW step's output goes (show.c): a stream and a line prefix. */
struct cli_show_to {
	FILE *out;
	const char *prefix;
	bool oom;			/* set by the hook: a SHOW step's output is missing */
};

/* The executor's show hook; arg is a struct cli_show_to. */
void cli_show_hook(void *arg, struct pl_backend *be, const struct pl_show_req *req);

/* ---------------------------------------------------------------------------
 * probe/diff --kernel K (kernels.c): boot K once with every (file, backing)
 * of the call, then replay.  @preset NULL: the preset K's version maps to.
 * NULL on an internal error (printed); an interrupted boot returns normally
 * (check pl_host_interrupted()).
 */
struct cli_kernel;

struct cli_kernel *cli_kernel_start(const char *k, const struct cli_files *files, int backing,
				    const char *preset);
/* The preset the runs use, the guest's uname -r (or K when it did not boot). */
const char *cli_kernel_preset(const struct cli_kernel *kc);
const char *cli_kernel_release(const struct cli_kernel *kc);
/* A backend answering run after run, in plan order; destroy it before cli_kernel_free(). */
struct pl_backend *cli_kernel_backend(struct cli_kernel *kc);
void cli_kernel_free(struct cli_kernel *kc);
/* The runner could not start a guest and said so ("every run skipped: why"). */
bool cli_kernel_said_skip(const struct cli_kernel *kc);

/*
 * The host profile of a probe/diff/fuzz-diff (probe.c; src/backend/host/profile.h):
 * the guest's when @kc, else this machine's, probed now through @host (a
 * host backend, maybe in a pl_observer_new() wrapper: under its lock), with
 * $PINLAB_HOST_PROFILE applied.  cli_profile_get() fills @cp: the facts, a
 * line for people ("host profile: ..."), and the model settings they imply
 * (sets[], "zero_page=false" ...; none on an upstream-like machine).
 * Return: 0, 130 (interrupted waiting for the lock), or PL_EXIT_USAGE after
 * printing why $PINLAB_HOST_PROFILE is bad.
 */
struct cli_profile {
	struct pl_host_profile p;
	bool known;			/* false: a guest that never booted */
	char line[512];
	const char *sets[4];
	int nr_sets;
};

int cli_profile_get(struct cli_profile *cp, const struct cli_kernel *kc, struct pl_backend *host);
int cli_kernel_profile(const struct cli_kernel *kc, struct pl_host_profile *p, char *why,
		       size_t whylen);

/*
 * Model vs host (probe.c), for `diff` and `fuzz-diff`: the comparison of two
 * runs observed by pl_observer_new() backends (src/backend/record/), one
 * callback per disagreement.
 */
struct cli_disagree {
	bool outcome;		/* the outcomes differ (else: the observation of step) */
	bool ending;		/* same outcome, ended at another step or errno (step) */
	int step;		/* 1-based scenario step, 0 = matrix set-up */
	int model_step, host_step;	/* with ending: the step each run ended at */
	char model[352], host[352];
};

/* The step of a `require` that skipped run @r ("step N (line L) ..."); 0 for any other. */
int cli_require_step(const struct pl_result *r);

int cli_rec_compare(const struct pl_result *mr, struct pl_backend *model,
		    const struct pl_result *hr, struct pl_backend *host,
		    void (*fn)(void *arg, const struct cli_disagree *d), void *arg);

/* ---------------------------------------------------------------------------
 * Tables that fit (wrap.c): the terminal's width, 100 when not a terminal.
 * cli_wrap_stdout() wraps every longer line of standard output until
 * cli_wrap_end(), which returns -1 if a write failed and -2 if memory ran
 * out (cli_wrap_stdout() returns -1 then too).
 */
int cli_width(void);
int cli_wrap_stdout(void);
int cli_wrap_end(void);

/* ---------------------------------------------------------------------------
 * A progress line on standard error for long runs (progress.c), only when
 * standard error is a terminal: "run: 1200/17154 runs, 850/s, ETA 0:18",
 * redrawn at most ten times a second and erased at the end.  Nothing at all
 * otherwise, so output to files and pipes stays byte-deterministic.
 */
struct cli_progress {
	bool on;
	const char *what;
	long done, total;		/* total < 0: not known ("explore: 1200, 850/s") */
	double start, last;		/* CLOCK_MONOTONIC seconds */
	int pid;			/* drawn by this process only, not by forked workers */
};

void cli_progress_begin(struct cli_progress *p, const char *what, long total);
void cli_progress_step(struct cli_progress *p);
void cli_progress_end(struct cli_progress *p);

/* ---------------------------------------------------------------------------
 * The HTML report (report.c), shared with `pinlab demo -o`.
 */
struct pl_html;
/* The timelines of f, after its results went into h; 0 or an exit status. */
int cli_html_timelines(struct pl_html *h, const struct cli_file *f, struct pl_backend *be,
		       const struct cli_opts *o);
/*
 * The --diff files of report and demo (`pinlab diff --format json`): checked,
 * put on the page as host columns, their compared runs added to the
 * timelines; 0 or an exit status after a message.  _print: their runs as a
 * text table (demo); _free: forget them.
 */
int cli_html_diffs(struct pl_html *h, const struct cli_opts *o);
void cli_html_diffs_print(void);
void cli_html_diffs_free(void);
/* Write the page to path (- = stdout); 0 or an exit status after its message. */
int cli_html_save(struct pl_html *h, const char *path);

#endif /* PINLAB_CLI_H */
