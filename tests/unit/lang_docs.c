/*
 * Description: the grammar in docs/scenario-language.md and the parser
 * agree.  Every example of the page -- each fenced block opened with a bare
 * ``` (blocks that are not .pin text are fenced ```text) -- goes through the
 * front end: a block with a `scenario` line and steps is a whole scenario,
 * loaded (parsed and checked) as `pinlab check` loads a file; any other
 * block is a fragment of steps or header lines, parsed after a `scenario`
 * line of its own (its names are defined elsewhere on the page, so only
 * the parser judges it).  A block that fails names its line in the page and
 * the diagnostic.  A page with fewer examples than a floor fails too, so a
 * change of fence style cannot make the test pass vacuously.
 *
 * Run it from the top of the tree, or pass the tree as argv[1] (or
 * PINLAB_SRCDIR).
 */
#include "testlib.h"

#include <stdlib.h>
#include <string.h>

#include "lang/front.h"
#include "lang/parse.h"

#define DOC "docs/scenario-language.md"
#define MIN_EXAMPLES 33		/* 27 before issue 15, then byte ranges, require, comparisons, repeat */

static const char *srcdir = ".";

static char *ld_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static void ld_report(const struct pl_diag_list *dl, int doc_line, size_t shift)
{
	for (int i = 0; i < dl->n; i++)
		T_NOTE("%s:%d: example: line %d:%d: %s", DOC,
		       doc_line + dl->d[i].line - (int)shift - 1, dl->d[i].line, dl->d[i].col,
		       dl->d[i].msg);
}

static bool ld_has_steps(const char *text)
{
	static const char *const headers[] = { "scenario", "backing", "expect", "#" };
	const char *l = text;

	while (*l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		bool header = n == 0;

		for (size_t k = 0; k < sizeof(headers) / sizeof(headers[0]) && !header; k++)
			header = !strncmp(l, headers[k], strlen(headers[k]));
		if (!header)
			return true;
		l = nl ? nl + 1 : l + n;
	}
	return false;
}

/* One example, at doc_line (the line after its fence). */
static bool ld_example(const char *body, int doc_line)
{
	bool whole = !strncmp(body, "scenario ", 9) || strstr(body, "\nscenario ");
	struct pl_diag_list dl;
	struct pl_scenario *sc = NULL;
	size_t len = strlen(body) + 64;
	char *text = malloc(len);
	size_t shift = 0;
	int ret;

	if (!text || !(sc = pl_scenario_new("example")))
		abort();	/* out of memory in a test */
	pl_scenario_free(sc);
	sc = NULL;
	if (whole && ld_has_steps(body)) {
		snprintf(text, len, "%s", body);
		ret = pl_lang_load("example", text, strlen(text), &sc, &dl);
	} else {
		/* a fragment: a scenario line before it, a step after header lines */
		snprintf(text, len, "%s%s%s", whole ? "" : "scenario \"doc\"\n", body,
			 ld_has_steps(body) ? "" : "show\n");
		shift = whole ? 0 : 1;
		sc = pl_scenario_new("example");
		if (!sc)
			abort();
		pl_diag_init(&dl, "example", text, strlen(text));
		ret = pl_parse(sc, text, strlen(text), &dl);
	}
	if (ret)
		ld_report(&dl, doc_line, shift);
	pl_scenario_free(sc);
	free(text);
	return ret == 0;
}

static void test_every_example_parses(void)
{
	char path[4096];
	size_t len = 0;
	char *doc, *p;
	int line = 1, examples = 0, bad = 0, start_line = 0;
	bool in_block = false, example = false;
	char *start = NULL;

	snprintf(path, sizeof(path), "%s/%s", srcdir, DOC);
	doc = ld_read(path, &len);
	T_REQUIRE(doc != NULL);
	/* every line starting with ``` opens or closes a block; bare ones are examples */
	p = doc;
	while (*p) {
		char *nl = strchr(p, '\n');

		if (!nl)
			break;
		if (!strncmp(p, "```", 3)) {
			if (!in_block) {
				in_block = true;
				example = nl == p + 3;
				start = nl + 1;
				start_line = line + 1;
			} else {
				in_block = false;
				if (example) {
					*p = '\0';	/* the body ends at this fence */
					examples++;
					if (!ld_example(start, start_line))
						bad++;
				}
			}
		}
		line++;
		p = nl + 1;
	}
	T_ASSERT(!in_block);
	T_NOTE("%d examples, %d rejected", examples, bad);
	T_EQ(bad, 0);
	T_GE(examples, MIN_EXAMPLES);
	free(doc);
}

int main(int argc, char **argv)
{
	const char *env = getenv("PINLAB_SRCDIR");

	if (argc > 1)
		srcdir = argv[1];
	else if (env && *env)
		srcdir = env;
	T_RUN(test_every_example_parses);
	return T_DONE();
}
