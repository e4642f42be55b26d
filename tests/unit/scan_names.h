/*
 * scan_names.h - one checker scan as the unit tests of the checker read it:
 * the distinct invariant names a scan reported, sorted and joined by spaces
 * ("" for a clean scan), for check_detects.c and check_marks.c.  Include
 * after testlib.h and pinlab/core.h.
 */
#ifndef PINLAB_TESTS_SCAN_NAMES_H
#define PINLAB_TESTS_SCAN_NAMES_H

#include <string.h>

/* Run one scan in a new step; the names it reported (a static buffer). */
static inline const char *scan(struct world *w)
{
	static char out[512];
	const char *names[64];
	int n = 0, first = w->nr_violations;

	w->step++;
	pl_check_world(w);
	for (int i = first; i < w->nr_violations; i++) {
		const char *name = w->violations[i].inv->name;
		int j = 0;

		while (j < n && strcmp(names[j], name) < 0)
			j++;
		if ((j < n && strcmp(names[j], name) == 0) || n == 64)
			continue;
		memmove(names + j + 1, names + j, (size_t)(n - j) * sizeof(*names));
		names[j] = name;
		n++;
	}
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, names[i]);
	}
	return out;
}

#endif
