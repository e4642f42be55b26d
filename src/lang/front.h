/*
 * front.h - the scenario front end in one call: lex, parse, check.
 *
 * Used by the CLI (`pinlab check`, `pinlab run`) and the tests:
 *
 *	struct pl_diag_list diags;
 *	struct pl_scenario *sc;
 *
 *	if (pl_lang_load(path, text, len, &sc, &diags)) {
 *		pl_diag_print(&diags, stderr, isatty(2));
 *		exit(2);
 *	}
 *	... execute sc ...
 *	pl_scenario_free(sc);
 *
 * diags borrows path and text for printing caret lines: keep them until the
 * diagnostics are printed.
 */
#ifndef PINLAB_LANG_FRONT_H
#define PINLAB_LANG_FRONT_H

#include <stddef.h>

#include "lang/ast.h"
#include "lang/check.h"
#include "lang/diag.h"

/* The preset names pl_lang_load() accepts, oldest first (as src/core's table). */
const char *const *pl_lang_default_presets(int *n);

/**
 * pl_lang_load() - parse and check one scenario.
 * @path: the name used in diagnostics
 * @text, @len: the file's contents (need not be NUL-terminated)
 * @out: receives the scenario on success, NULL on failure
 * @diags: initialised here; receives every error, sorted by position
 * Return: 0, 2 (the CLI's exit code for bad input) if any error was found,
 * or -ENOMEM (diags->oom; nothing to print) if an allocation failed.
 */
int pl_lang_load(const char *path, const char *text, size_t len, struct pl_scenario **out,
		 struct pl_diag_list *diags);

/* The same, checking presets against an explicit list. */
int pl_lang_load_opts(const char *path, const char *text, size_t len,
		      const struct pl_check_opts *opts, struct pl_scenario **out,
		      struct pl_diag_list *diags);

#endif /* PINLAB_LANG_FRONT_H */
