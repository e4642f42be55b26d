/*
 * check.h - the static checker of .pin scenarios.
 *
 * Runs after a clean parse and before anything executes.  It resolves every
 * name to a symbol (filling pl_ref.sym and the page range), and reports:
 * undefined and duplicate names, names of the wrong kind, page indexes out
 * of range (sizes are known statically), processes used before `fork` made
 * them or after `exit`, handles used after release, unknown presets and
 * backings, expectations that match nothing.  It also resolves each
 * `expect` line to a preset mask and a backing mask.
 */
#ifndef PINLAB_LANG_CHECK_H
#define PINLAB_LANG_CHECK_H

#include "lang/ast.h"
#include "lang/diag.h"

struct pl_check_opts {
	const char *const *presets;	/* preset names, oldest first ("latest" aliases) */
	int nr_presets;			/* at most 64 */
};

/**
 * pl_check() - check a parsed scenario and resolve its names.
 * Return: 0 if no error was reported, -1 otherwise.
 */
int pl_check(struct pl_scenario *sc, const struct pl_check_opts *opts,
	     struct pl_diag_list *diags);

#endif /* PINLAB_LANG_CHECK_H */
