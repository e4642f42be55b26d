/*
 * shrink.c - the fuzz-diff shrinker: a failing scenario to a minimal one.
 */
#include "fuzzdiff/fuzzdiff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * The shrinker.
 *
 * ddmin (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing
 * Input") over a set of line numbers: try each of n chunks alone, then each
 * complement; keep the first that still fails; else split finer.  The
 * predicate may shrink the set it was given further (the closure over
 * names), and the result is what it tested.
 */
int fd_ddmin(int *c, int n, fd_pred pred, void *arg)
{
	int *t = malloc(((size_t)n + 1) * sizeof(*t));
	int gran = 2;

	if (!t)
		return n;
	while (n >= 2) {
		int chunk = (n + gran - 1) / gran;
		bool reduced = false;

		for (int lo = 0; lo < n && !reduced; lo += chunk) {
			int tn = lo + chunk > n ? n - lo : chunk;

			memcpy(t, c + lo, (size_t)tn * sizeof(*t));
			if (pred(arg, t, &tn)) {
				memcpy(c, t, (size_t)tn * sizeof(*t));
				n = tn;
				gran = 2;
				reduced = true;
			}
		}
		for (int lo = 0; lo < n && !reduced && gran > 2; lo += chunk) {
			int tn = 0;

			for (int i = 0; i < n; i++)
				if (i < lo || i >= lo + chunk)
					t[tn++] = c[i];
			if (pred(arg, t, &tn)) {
				memcpy(c, t, (size_t)tn * sizeof(*t));
				n = tn;
				gran = gran - 1 > 2 ? gran - 1 : 2;
				reduced = true;
			}
		}
		if (!reduced) {
			if (gran >= n)
				break;
			gran = 2 * gran < n ? 2 * gran : n;
		}
	}
	free(t);
	return n;
}

struct fd_shrink {
	struct fd_scen *s;
	bool *keep;
	fd_fails fails;
	void *arg;
};

/* Keep only lines whose every used name is defined by an earlier kept line. */
static void fd_closure(const struct fd_scen *s, bool *keep)
{
	char (*def)[FD_NAME] = malloc(((size_t)s->n * FD_DEFS + 1) * FD_NAME);
	int nd = 0;

	if (!def)
		return;
	for (int i = 0; i < s->n; i++) {
		const struct fd_line *l = &s->l[i];

		if (!keep[i])
			continue;
		for (int u = 0; u < FD_USES && l->use[u][0] && keep[i]; u++) {
			bool found = false;

			for (int d = 0; d < nd && !found; d++)
				found = !strcmp(def[d], l->use[u]);
			keep[i] = found;
		}
		for (int d = 0; d < FD_DEFS && keep[i] && l->def[d][0]; d++)
			memcpy(def[nd++], l->def[d], FD_NAME);
	}
	free(def);
}

static bool fd_test_keep(struct fd_shrink *k)
{
	size_t len;
	char *text = fd_render(k->s, k->keep, NULL, &len);
	bool fails = k->fails(k->arg, text, len);

	free(text);
	return fails;
}

static bool fd_pred_lines(void *arg, int *set, int *n)
{
	struct fd_shrink *k = arg;
	int m = 0;

	memset(k->keep, 0, (size_t)k->s->n * sizeof(bool));
	for (int i = 0; i < *n; i++)
		k->keep[set[i]] = true;
	fd_closure(k->s, k->keep);
	for (int i = 0; i < k->s->n; i++)
		if (k->keep[i])
			set[m++] = i;
	if (!m || !fd_test_keep(k))
		return false;
	*n = m;
	return true;
}

/* Operand variants of one line: smaller ranges and sizes, fewer options. */
static int fd_variants(const char *line, char (*out)[FD_LINE], int max)
{
	char tok[24][48];
	int nt = 0, nv = 0;
	char buf[FD_LINE];

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save, *t = strtok_r(buf, " ", &save); t && nt < 24;
	     t = strtok_r(NULL, " ", &save))
		snprintf(tok[nt++], sizeof(tok[0]), "%s", t);

#define EMIT(i, repl)							\
	do {								\
		size_t o_ = 0;						\
		if (nv == max)						\
			break;						\
		for (int j_ = 0; j_ < nt; j_++) {			\
			const char *w_ = j_ == (i) ? (repl) : tok[j_];	\
			if (!w_[0])					\
				continue;				\
			o_ += (size_t)snprintf(out[nv] + o_, FD_LINE - o_, "%s%s",	\
					       o_ ? " " : "", w_);	\
		}							\
		if (strcmp(out[nv], line))				\
			nv++;						\
	} while (0)

	for (int i = 0; i < nt; i++) {
		char name[24], r[96];
		int a, b;

		if (sscanf(tok[i], "%23[^[][%d..%d]", name, &a, &b) == 3 && b > a) {
			snprintf(r, sizeof(r), "%s[%d]", name, a);
			EMIT(i, r);
			snprintf(r, sizeof(r), "%s[%d]", name, b);
			EMIT(i, r);
			if (b - 1 > a) {
				snprintf(r, sizeof(r), "%s[%d..%d]", name, a, b - 1);
				EMIT(i, r);
				snprintf(r, sizeof(r), "%s[%d..%d]", name, a + 1, b);
				EMIT(i, r);
			}
		} else if (i + 1 < nt && sscanf(tok[i], "%d", &a) == 1 && a > 1 &&
			   !strncmp(tok[i + 1], "page", 4)) {
			char cp[2][48];

			memcpy(cp, tok + i, sizeof(cp));
			for (int v = 0; v < 2; v++) {
				int nn = v ? a - 1 : 1;

				if (v && nn == 1)
					break;
				snprintf(tok[i], sizeof(tok[0]), "%d", nn);
				snprintf(tok[i + 1], sizeof(tok[0]), "%s",
					 nn == 1 ? "page" : "pages");
				EMIT(-1, "");
			}
			memcpy(tok + i, cp, sizeof(cp));
		} else if (!strcmp(tok[i], "populate")) {
			/* (not `move`: whether a mapping can grow in place depends on
			 * where the allocator put its neighbours) */
			EMIT(i, "");
		} else if (!strcmp(tok[i], "thp-2048k") || !strcmp(tok[i], "memfd") ||
			   !strcmp(tok[i], "tmpfile")) {
			EMIT(i, "base");
		} else if (i >= 2 && tok[i][0] == 'm' && !strchr(tok[i], '[') &&
			   sscanf(tok[i] + 1, "%d", &a) == 1 && strcmp(tok[i - 1], "=") &&
			   strcmp(tok[i - 1], "mremap")) {
			/* a whole mapping in a data or mm operation: its first page */
			snprintf(r, sizeof(r), "%.40s[0]", tok[i]);
			EMIT(i, r);
		}
	}
#undef EMIT
	return nv;
}

/* Shrink operands line by line, to a fixpoint; true if anything changed. */
static bool fd_shrink_operands(struct fd_shrink *k)
{
	char (*var)[FD_LINE] = malloc(16 * FD_LINE);
	bool any = false, changed = true;

	if (!var)
		return false;
	while (changed) {
		changed = false;
		for (int i = 0; i < k->s->n; i++) {
			char orig[FD_LINE];
			int nv;

			if (!k->keep[i])
				continue;
			memcpy(orig, k->s->l[i].text, FD_LINE);
			nv = fd_variants(orig, var, 16);
			for (int v = 0; v < nv; v++) {
				memcpy(k->s->l[i].text, var[v], FD_LINE);
				if (fd_test_keep(k)) {
					changed = any = true;
					break;
				}
				memcpy(k->s->l[i].text, orig, FD_LINE);
			}
		}
	}
	free(var);
	return any;
}

int fd_shrink(struct fd_scen *s, bool *keep, fd_fails fails, void *arg)
{
	struct fd_shrink k = { s, keep, fails, arg };
	int *set = malloc(((size_t)s->n + 1) * sizeof(*set));
	int n = s->n;

	if (!set)
		return -1;
	for (int i = 0; i < n; i++)
		set[i] = i;
	for (int round = 0; round < 3; round++) {
		n = fd_ddmin(set, n, fd_pred_lines, &k);
		memset(keep, 0, (size_t)s->n * sizeof(bool));
		for (int i = 0; i < n; i++)
			keep[set[i]] = true;
		if (!fd_shrink_operands(&k))
			break;
	}
	free(set);
	return n;
}
