/*
 * Description: the fuzz-diff library (src/fuzzdiff/) on its own -- the
 * generator is deterministic per (seed, index, host capabilities) and writes
 * only scenarios the front end accepts; ddmin finds a minimal failing subset;
 * the shrinker keeps what a failure needs, with the definitions its lines
 * use, and shrinks operands.  No backend runs: the predicates are synthetic.
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "fuzzdiff/fuzzdiff.h"
#include "lang/front.h"

static const struct fd_caps all_caps = { .thp = true, .ext4 = true, .swap = true,
					 .iouring = true };

static char *gen_text(uint64_t seed, int index, const struct fd_caps *caps, size_t *len)
{
	struct fd_scen s = { 0 };
	char *text;

	fd_generate(&s, seed, index, caps);
	text = fd_render(&s, NULL, NULL, len);
	fd_scen_free(&s);
	return text;
}

/* The same (seed, index, caps): the same text; another index: another text. */
static void test_generator_deterministic(void)
{
	size_t la, lb, lc;
	char *a = gen_text(42, 3, &all_caps, &la);
	char *b = gen_text(42, 3, &all_caps, &lb);
	char *c = gen_text(42, 4, &all_caps, &lc);

	T_EQ(la, lb);
	T_ASSERT(!strcmp(a, b));
	T_ASSERT(strcmp(a, c) != 0);
	T_ASSERT(strstr(a, "scenario \"fuzz-diff 42/3\"") != NULL);
	free(a);
	free(b);
	free(c);
}

/* Every generated scenario checks, with and without the host's extras. */
static void test_generator_well_formed(void)
{
	static const struct fd_caps none = { 0 };
	int bad = 0, ext4 = 0;

	for (int i = 0; i < 200; i++) {
		const struct fd_caps *caps = i % 2 ? &all_caps : &none;
		struct pl_diag_list diags;
		struct pl_scenario *sc;
		size_t len;
		char *text = gen_text(7, i, caps, &len);

		if (pl_lang_load("gen.pin", text, len, &sc, &diags)) {
			if (!bad++)
				T_NOTE("scenario %d does not check:\n%s", i, text);
		} else {
			pl_scenario_free(sc);
		}
		/* without ext4 on the host, no ext4 file is ever written */
		if (caps == &none && strstr(text, "ext4"))
			ext4++;
		free(text);
	}
	T_EQ(bad, 0);
	T_EQ(ext4, 0);
}

/* ddmin: the failure needs elements 3 and 11 of 0..19. */
static bool needs_3_and_11(void *arg, int *set, int *n)
{
	bool has3 = false, has11 = false;

	(*(int *)arg)++;
	for (int i = 0; i < *n; i++) {
		has3 |= set[i] == 3;
		has11 |= set[i] == 11;
	}
	return has3 && has11;
}

static void test_ddmin(void)
{
	int c[20], tests = 0, n;

	for (int i = 0; i < 20; i++)
		c[i] = i;
	n = fd_ddmin(c, 20, needs_3_and_11, &tests);
	T_EQ(n, 2);
	T_EQ(c[0], 3);
	T_EQ(c[1], 11);
	T_GT(tests, 0);
}

/* Fails while the text still writes "v2" into m1 somewhere. */
static bool writes_v2(void *arg, const char *text, size_t len)
{
	(void)arg;
	(void)len;
	return strstr(text, "write m1") && strstr(text, "\"v2\"");
}

static void test_shrink_closure_and_operands(void)
{
	static const char *const lines[] = {
		"process P",
		"P: m1 = mmap 4 pages rw private populate",
		"P: m2 = mmap 1 page rw private",
		"P: write m2[0] \"v1\"",
		"P: fork C",
		"C: write m1[0..3] \"v2\"",
		"C: exit",
	};
	static const char *const defs[][2] = { { "P" }, { "m1" }, { "m2" }, { 0 }, { "C" },
					       { 0 }, { 0 } };
	static const char *const uses[][2] = { { 0 }, { "P" }, { "P" }, { "P", "m2" }, { "P" },
					       { "C", "m1" }, { "C" } };
	struct fd_scen s = { .seed = 1, .index = 1 };
	bool keep[7];
	size_t len;
	char *text;
	int n;

	for (int i = 0; i < 7; i++) {
		struct fd_line *l = fd_add(&s, "%s", lines[i]);

		for (int d = 0; d < 2 && defs[i][d]; d++)
			fd_def(l, defs[i][d]);
		for (int u = 0; u < 2 && uses[i][u]; u++)
			fd_use(l, uses[i][u]);
	}
	n = fd_shrink(&s, keep, writes_v2, NULL);
	text = fd_render(&s, keep, NULL, &len);
	/* the write and what it names: P, m1, C; not m2 or the exit */
	T_EQ(n, 4);
	T_ASSERT(keep[0] && keep[1] && keep[4] && keep[5]);
	T_ASSERT(!keep[2] && !keep[3] && !keep[6]);
	/* operands shrunk: one page, no populate, one page written */
	T_ASSERT(strstr(text, "P: m1 = mmap 1 page rw private\n") != NULL);
	T_ASSERT(strstr(text, "C: write m1[0] \"v2\"\n") != NULL);
	if (!strstr(text, "C: write m1[0] \"v2\"\n"))
		T_NOTE("%s", text);
	free(text);
	fd_scen_free(&s);
}

int main(void)
{
	T_RUN(test_generator_deterministic);
	T_RUN(test_generator_well_formed);
	T_RUN(test_ddmin);
	T_RUN(test_shrink_closure_and_operands);
	return T_DONE();
}
