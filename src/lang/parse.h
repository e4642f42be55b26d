/*
 * parse.h - recursive-descent parser for .pin scenarios.
 *
 * Fills a struct pl_scenario with what the source says, reporting syntax
 * errors (with positions) to the diagnostics list.  Names are not resolved
 * here; that is the checker's job.
 */
#ifndef PINLAB_LANG_PARSE_H
#define PINLAB_LANG_PARSE_H

#include <stddef.h>

#include "lang/ast.h"
#include "lang/diag.h"

/* The largest mapping, file or range the language accepts, in pages (1 TiB). */
#define PL_MAX_PAGES	(1u << 28)
/* The longest name. */
#define PL_NAME_MAX	64
#define PL_REPEAT_MAX	100000u		/* rounds of one `repeat` block */
#define PL_REPEAT_STEPS_MAX 20000u	/* steps a `repeat` block unrolls to */

/**
 * pl_parse() - parse text into sc.
 * Return: 0 if no error was reported, -1 otherwise (sc holds what parsed).
 */
int pl_parse(struct pl_scenario *sc, const char *text, size_t len, struct pl_diag_list *diags);

#endif /* PINLAB_LANG_PARSE_H */
