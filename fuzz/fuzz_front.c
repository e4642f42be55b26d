/*
 * fuzz_front.c - arbitrary bytes -> lexer, parser, checker (pl_lang_load).
 *
 * Properties checked on every input:
 *   - it is accepted (a scenario, no diagnostic) or refused (no scenario,
 *     at least one diagnostic), never both or neither;
 *   - every diagnostic is located: line and column >= 1, the line inside the
 *     file (or one past its end), and a non-empty message;
 *   - the printed diagnostics are "PATH:LINE:COL: error: MESSAGE" lines
 *     (plus source and caret lines when tty), one message per diagnostic;
 *   - an accepted scenario prints back as canonical source that loads again
 *     and prints identically (the printer's round-trip promise, ast.h);
 *   - no crash, leak or undefined behaviour (the sanitizers) and no input
 *     slower than libFuzzer's -timeout (make fuzz: 1 s).
 */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "lang/front.h"

#define PATH "fuzz.pin"

static char *print_diags(const struct pl_diag_list *dl, bool tty, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FUZZ_ASSERT(f != NULL, "open_memstream");
	pl_diag_print(dl, f, tty);
	fclose(f);
	return buf;
}

static char *print_scenario(const struct pl_scenario *sc, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	FUZZ_ASSERT(f != NULL, "open_memstream");
	pl_scenario_print(f, sc);
	fclose(f);
	return buf;
}

static int count_lines(const uint8_t *data, size_t size)
{
	int n = 1;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	return n;
}

/* Every "PATH:" line of the plain listing is "PATH:L:C: error: msg". */
static void check_listing(const char *text, size_t len, int ndiags)
{
	const char *p = text, *end = text + len;
	int located = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int line, col, used = 0;

		FUZZ_ASSERT(nl != NULL, "diagnostic listing does not end in a newline");
		FUZZ_ASSERT(n > sizeof(PATH) && !memcmp(p, PATH ":", sizeof(PATH)),
			    "diagnostic line without the path: '%.*s'", (int)n, p);
		if (sscanf(p + sizeof(PATH), "%d:%d: error: %n", &line, &col, &used) == 2 &&
		    used > 0) {
			FUZZ_ASSERT(line >= 1 && col >= 1, "bad position in '%.*s'", (int)n, p);
			located++;
		} else {
			FUZZ_ASSERT(0, "unlocated diagnostic '%.*s'", (int)n, p);
		}
		p += n + 1;
	}
	FUZZ_ASSERT(located >= ndiags, "%d diagnostics printed as %d lines", ndiags, located);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pl_diag_list dl, dl2;
	struct pl_scenario *sc = NULL, *sc2 = NULL;
	char *listing, *src, *src2;
	size_t len, len2;
	int ret, lines = count_lines(data, size);

	ret = pl_lang_load(PATH, (const char *)data, size, &sc, &dl);
	FUZZ_ASSERT(ret == 0 || ret == 2, "pl_lang_load returned %d", ret);
	if (ret) {
		FUZZ_ASSERT(sc == NULL, "refused, but a scenario came back");
		FUZZ_ASSERT(dl.n > 0, "refused without a diagnostic");
		for (int i = 0; i < dl.n; i++) {
			FUZZ_ASSERT(dl.d[i].line >= 1 && dl.d[i].line <= lines + 1 &&
					    dl.d[i].col >= 1,
				    "diagnostic %d at %d:%d of a %d-line input", i, dl.d[i].line,
				    dl.d[i].col, lines);
			FUZZ_ASSERT(dl.d[i].msg[0] != '\0', "empty diagnostic message");
			FUZZ_ASSERT(memchr(dl.d[i].msg, '\n', strnlen(dl.d[i].msg, PL_DIAG_MSG)) ==
					    NULL,
				    "newline in a diagnostic message");
		}
		listing = print_diags(&dl, false, &len);
		check_listing(listing, len, dl.n);
		free(listing);
		/* the caret form reads the source lines: exercise it too */
		listing = print_diags(&dl, true, &len);
		free(listing);
		return 0;
	}
	FUZZ_ASSERT(sc != NULL, "accepted, but no scenario");
	FUZZ_ASSERT(dl.n == 0, "accepted with %d diagnostics", dl.n);

	src = print_scenario(sc, &len);
	ret = pl_lang_load(PATH, src, len, &sc2, &dl2);
	if (ret) {
		listing = print_diags(&dl2, false, &len2);
		FUZZ_ASSERT(0, "the canonical form does not load again:\n%s--\n%s", src, listing);
	}
	src2 = print_scenario(sc2, &len2);
	FUZZ_ASSERT(len == len2 && !memcmp(src, src2, len),
		    "the canonical form is not a fixpoint:\n%s--\n%s", src, src2);
	free(src2);
	free(src);
	pl_scenario_free(sc2);
	pl_scenario_free(sc);
	return 0;
}
