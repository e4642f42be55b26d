/*
 * history.h - the historical GUP/COW bugs, built in: the text of each
 * scenarios/history/NAME.pin, linked into the binary so that `pinlab
 * history`, `pinlab show CASE` and the demo's fallback run them from any
 * directory.  scenarios/history/ is the one source; tests/unit/history.c
 * keeps the same bugs as C programs against the core (with the races made
 * deterministic), as the core's regression suite.
 */
#ifndef PINLAB_HISTORY_H
#define PINLAB_HISTORY_H

struct pl_hist_case {
	const char *name;		/* "cve-2020-29374" */
	const char *path;		/* "scenarios/history/cve-2020-29374.pin" */
	const char *text;		/* the file's bytes, NUL-terminated */
};

/* The cases, oldest bug first. */
const struct pl_hist_case *pl_hist_cases(int *n);
/* The case called @name, or NULL. */
const struct pl_hist_case *pl_hist_find(const char *name);

#endif
