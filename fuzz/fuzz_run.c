/*
 * fuzz_run.c - arbitrary bytes -> the whole `pinlab run` pipeline: load and
 * check (as cli_load does), then cli_run_files() with the report written into
 * memory streams, so every byte of output can be checked.
 *
 * The input is a .pin file.  Its first line may choose the options:
 *
 *	# fuzz-run: json --all-presets --trace
 *
 * (a .pin comment, so any scenario stays valid): the words after the colon
 * are `pinlab run` options, given to cli_parse() as they are.  Without that
 * line the format follows the input's length (table, ktap, json), so every
 * seed exercises one.
 *
 * Properties checked:
 *   - the run never ends in an internal error (exit 3) or a crash: a
 *     scenario that loads is runnable under every preset and backing;
 *   - json: every line of the report is one JSON object (a strict RFC 8259
 *     parse, below);
 *   - ktap: "KTAP version 1", the plan "1..N", then only "# " diagnostics and
 *     "ok K ..." / "not ok K ..." with K = 1, 2, ... and, when the run
 *     completes, exactly N results;
 *   - table: the last line is the "N results: ..." summary.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "cli/cli.h"
#include "report/report.h"

#define MAX_WORDS 12

/* ---------------------------------------------------------------------------
 * A strict JSON parser that only says yes or no (RFC 8259).
 */
struct js {
	const char *p, *end;
	int depth;
};

static void js_ws(struct js *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool js_lit(struct js *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
		return false;
	j->p += n;
	return true;
}

static bool js_digits(struct js *j)
{
	const char *s = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > s;
}

static bool js_number(struct js *j)
{
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!js_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!js_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!js_digits(j))
			return false;
	}
	return true;
}

static bool js_hex4(struct js *j, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++, j->p++) {
		char c = j->p < j->end ? *j->p : 0;

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	return true;
}

/* Length of the UTF-8 sequence at p (1..4), 0 if it is not well formed. */
static size_t js_utf8(const unsigned char *p, const unsigned char *end)
{
	size_t n;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1fu;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0fu;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07u;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool js_string(struct js *j)
{
	if (j->p >= j->end || *j->p != '"')
		return false;
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p;
		unsigned v, lo;
		size_t n;

		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\') {
			n = js_utf8((const unsigned char *)j->p, (const unsigned char *)j->end);
			if (!n)
				return false;
			j->p += n;
			continue;
		}
		j->p++;
		if (j->p >= j->end)
			return false;
		c = (unsigned char)*j->p++;
		if (strchr("\"\\/bfnrt", c) && c)
			continue;
		if (c != 'u' || !js_hex4(j, &v))
			return false;
		if (v >= 0xdc00 && v <= 0xdfff)
			return false;
		if (v >= 0xd800 && v <= 0xdbff) {	/* a high surrogate needs its low half */
			if (!js_lit(j, "\\u") || !js_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
				return false;
		}
	}
	return false;
}

static bool js_value(struct js *j);

static bool js_object(struct js *j)
{
	j->p++;
	js_ws(j);
	if (js_lit(j, "}"))
		return true;
	for (;;) {
		js_ws(j);
		if (!js_string(j))
			return false;
		js_ws(j);
		if (!js_lit(j, ":") || !js_value(j))
			return false;
		js_ws(j);
		if (js_lit(j, "}"))
			return true;
		if (!js_lit(j, ","))
			return false;
	}
}

static bool js_array(struct js *j)
{
	j->p++;
	js_ws(j);
	if (js_lit(j, "]"))
		return true;
	for (;;) {
		if (!js_value(j))
			return false;
		js_ws(j);
		if (js_lit(j, "]"))
			return true;
		if (!js_lit(j, ","))
			return false;
	}
}

static bool js_value(struct js *j)
{
	bool ok;

	js_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{':
		ok = js_object(j);
		break;
	case '[':
		ok = js_array(j);
		break;
	case '"':
		ok = js_string(j);
		break;
	case 't':
		ok = js_lit(j, "true");
		break;
	case 'f':
		ok = js_lit(j, "false");
		break;
	case 'n':
		ok = js_lit(j, "null");
		break;
	default:
		ok = js_number(j);
		break;
	}
	j->depth--;
	return ok;
}

/* One line of the report: exactly one JSON object. */
static bool json_line_ok(const char *s, size_t n)
{
	struct js j = { s, s + n, 0 };

	js_ws(&j);
	if (j.p >= j.end || *j.p != '{' || !js_value(&j))
		return false;
	js_ws(&j);
	return j.p == j.end;
}

/* ---------------------------------------------------------------------------
 * The report checks.
 */
static const char *next_line(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	FUZZ_ASSERT(nl != NULL, "output does not end in a newline: '%.*s'", (int)(end - s), s);
	*n = (size_t)(nl - s);
	*p = nl + 1;
	return s;
}

static void check_json(const char *out, size_t len)
{
	const char *p = out, *s;
	size_t n;

	while ((s = next_line(&p, out + len, &n)))
		FUZZ_ASSERT(json_line_ok(s, n), "not a JSON object: '%.*s'", (int)n, s);
}

static void check_ktap(const char *out, size_t len, bool complete)
{
	const char *p = out, *s;
	size_t n;
	int plan = -1, k = 0, used = 0;

	s = next_line(&p, out + len, &n);
	FUZZ_ASSERT(s && n == 14 && !memcmp(s, "KTAP version 1", 14), "no KTAP version line");
	s = next_line(&p, out + len, &n);
	FUZZ_ASSERT(s && sscanf(s, "1..%d%n", &plan, &used) == 1 && (size_t)used == n &&
			    plan >= 0,
		    "no KTAP plan line");
	while ((s = next_line(&p, out + len, &n))) {
		int num = -1, off = 0;

		if (n >= 1 && s[0] == '#') {
			FUZZ_ASSERT(n == 1 || s[1] == ' ', "bad KTAP diagnostic '%.*s'", (int)n, s);
			continue;
		}
		if (n > 3 && !memcmp(s, "ok ", 3))
			off = 3;
		else if (n > 7 && !memcmp(s, "not ok ", 7))
			off = 7;
		FUZZ_ASSERT(off > 0, "bad KTAP line '%.*s'", (int)n, s);
		used = 0;
		FUZZ_ASSERT(sscanf(s + off, "%d%n", &num, &used) == 1 && s[off] != '+' &&
				    s[off] != '-' && s[off] != ' ',
			    "KTAP result without a number: '%.*s'", (int)n, s);
		FUZZ_ASSERT(num == k + 1, "KTAP result %d after %d", num, k);
		FUZZ_ASSERT((size_t)(off + used) == n || s[off + used] == ' ',
			    "KTAP number not followed by a space: '%.*s'", (int)n, s);
		k = num;
	}
	FUZZ_ASSERT(k <= plan, "%d KTAP results for a plan of %d", k, plan);
	if (complete)
		FUZZ_ASSERT(k == plan, "%d KTAP results for a plan of %d", k, plan);
}

static void check_table(const char *out, size_t len)
{
	const char *p = out, *s, *last = NULL;
	size_t n, lastn = 0;
	int a, b, c, d, used = 0;

	while ((s = next_line(&p, out + len, &n))) {
		last = s;
		lastn = n;
	}
	FUZZ_ASSERT(last && sscanf(last, "%d results: %d matched, %d mismatched, %d skipped%n", &a,
				   &b, &c, &d, &used) == 4 && (size_t)used == lastn &&
			    a == b + c + d,
		    "no table summary line");
}

/* ---------------------------------------------------------------------------
 * The options line.
 */
static int split_options(char *line, char **argv, int max)
{
	int n = 0;

	for (char *t = strtok(line, " \t"); t && n < max; t = strtok(NULL, " \t"))
		argv[n++] = t;
	return n;
}

static char *dup_mem(const void *p, size_t n)
{
	char *s = malloc(n + 1);

	FUZZ_ASSERT(s != NULL, "out of memory");
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tag[] = "# fuzz-run:";
	static const char *const fmts[] = { "table", "ktap", "json" };
	struct cli_files files;
	struct cli_opts o;
	struct pl_diag_list diags;
	char *argv[MAX_WORDS + 4], *optline = NULL, *out = NULL, *aside = NULL;
	size_t outlen = 0, asidelen = 0;
	int argc = 0, fmt, ret;
	FILE *fo, *fa;

	/* the run's options, as `pinlab run fuzz.pin OPTIONS` */
	argv[argc++] = "run";
	argv[argc++] = "fuzz.pin";
	if (size >= sizeof(tag) - 1 && !memcmp(data, tag, sizeof(tag) - 1)) {
		const uint8_t *nl = memchr(data, '\n', size);
		size_t n = (nl ? (size_t)(nl - data) : size) - (sizeof(tag) - 1);

		optline = dup_mem(data + sizeof(tag) - 1, n);
		if (strlen(optline) != n) {	/* a NUL in the options: argv cannot hold it */
			free(optline);
			return 0;
		}
		argc += split_options(optline, argv + argc, MAX_WORDS);
	} else {
		argv[argc++] = "--format";
		argv[argc++] = (char *)fmts[size % 3];
	}
	argv[argc] = NULL;
	if (cli_parse("run", argc, argv, CLI_PRESET | CLI_ALL | CLI_BACKING | CLI_SET |
				 CLI_FORMAT | CLI_TRACE, &o)) {
		cli_opts_free(&o);
		free(optline);
		return 0;	/* a usage error, as the CLI would print */
	}
	fmt = o.format ? pl_format_find(o.format) : PL_FMT_TABLE;
	if (fmt < 0 || o.nr_args != 1) {
		cli_opts_free(&o);
		free(optline);
		return 0;
	}

	/* cli_load() of one file, from memory */
	memset(&files, 0, sizeof(files));
	files.f = calloc(1, sizeof(*files.f));
	FUZZ_ASSERT(files.f != NULL, "out of memory");
	files.n = files.cap = 1;
	files.f[0].path = dup_mem("fuzz.pin", 8);
	files.f[0].id = dup_mem("fuzz", 4);
	files.f[0].text = dup_mem(data, size);
	files.f[0].len = size;
	if (pl_lang_load(files.f[0].path, files.f[0].text, size, &files.f[0].sc, &diags)) {
		cli_files_free(&files);
		cli_opts_free(&o);
		free(optline);
		return 0;	/* the front end's refusals are fuzz_front's business */
	}

	fo = open_memstream(&out, &outlen);
	fa = open_memstream(&aside, &asidelen);
	FUZZ_ASSERT(fo && fa, "open_memstream");
	ret = cli_run_files(&files, &o, fmt, false, fo, fa);
	fclose(fo);
	fclose(fa);
	FUZZ_ASSERT(ret == PL_EXIT_OK || ret == PL_EXIT_MISMATCH,
		    "pinlab run ended with exit %d (internal error)", ret);
	switch (fmt) {
	case PL_FMT_JSON:
		check_json(out, outlen);
		break;
	case PL_FMT_KTAP:
		check_ktap(out, outlen, true);
		break;
	default:
		check_table(out, outlen);
		break;
	}
	free(out);
	free(aside);
	cli_files_free(&files);
	cli_opts_free(&o);
	free(optline);
	return 0;
}
