/*
 * json.c - `--format json`: one object per line per (scenario, preset,
 * backing).  The keys are a stable interface (design.md); "kselftest" is the
 * name the kernel's selftest prints for the same case and "steps" the number
 * of scenario steps executed.
 *
 *	{"scenario": "...", "file": "...", "preset": "v5.7", "backing": "base",
 *	 "outcome": "leak", "expected": "leak", "match": true,
 *	 "violations": [{"invariant": "...", "step": 7, "detail": "..."}],
 *	 "kselftest": "... with base page", "detail": "step 8 (line 20) ...",
 *	 "fail_step": 8, "reason": "", "version": 1, "steps": 9}
 *
 * "version" is PL_JSON_VERSION, in every object of every command's JSON
 * (docs/pinlab.schema.json describes them all).
 *
 * `pinlab probe` (the host backend) adds "backend": "host" and "kernel":
 * "6.18.0" after "preset".
 */
#include "report/report.h"

#include <string.h>

/*
 * A JSON string.  JSON text is UTF-8, so a byte that is not part of valid
 * UTF-8 (a file name is any bytes) becomes U+FFFD, the replacement
 * character; control characters are escaped.
 */
static void json_str(FILE *out, const char *s, bool html)
{
	const unsigned char *end = (const unsigned char *)s + strlen(s);

	fputc('"', out);
	for (; *s; s++) {
		const char *run = s;
		unsigned char ch;
		int n;

		/* a run of printable ASCII that needs no escape goes out in one write */
		while ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f && *s != '"' &&
		       *s != '\\' && !(html && (*s == '<' || *s == '>' || *s == '&')))
			s++;
		if (s > run)
			fwrite(run, 1, (size_t)(s - run), out);
		if (!*s)
			break;
		ch = (unsigned char)*s;
		n = ch >= 0x80 ? pl_utf8_len((const unsigned char *)s, end) : 1;

		if (n > 1) {
			fwrite(s, 1, (size_t)n, out);
			s += n - 1;
			continue;
		}
		if (!n)
			fputs("\\ufffd", out);
		else if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (html && (ch == '<' || ch == '>' || ch == '&'))
			fprintf(out, "\\u%04x", ch);
		else if (ch == '\n')
			fputs("\\n", out);
		else if (ch == '\t')
			fputs("\\t", out);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

void pl_json_str(FILE *out, const char *s)
{
	json_str(out, s, false);
}

void pl_json_str_html(FILE *out, const char *s)
{
	json_str(out, s, true);
}

static void json_key(FILE *out, const char *key, const char *val)
{
	fputs(", \"", out);
	fputs(key, out);
	fputs("\": ", out);
	pl_json_str(out, val);
}

void pl_json_write(FILE *out, const struct pl_result *r)
{
	fputs("{\"scenario\": ", out);
	pl_json_str(out, r->scenario);
	json_key(out, "file", r->file);
	json_key(out, "preset", r->preset);
	if (r->backend) {
		json_key(out, "backend", r->backend);
		json_key(out, "kernel", r->kernel ? r->kernel : "");
	}
	json_key(out, "backing", r->backing);
	json_key(out, "outcome", r->outcome);
	json_key(out, "expected", r->expected);
	fprintf(out, ", \"match\": %s, \"violations\": [", r->match ? "true" : "false");
	for (int i = 0; i < r->nr_violations; i++) {
		const struct pl_result_violation *v = &r->violations[i];

		fprintf(out, "%s{\"invariant\": ", i ? ", " : "");
		pl_json_str(out, v->invariant);
		fprintf(out, ", \"step\": %d, \"detail\": ", v->step);
		pl_json_str(out, v->detail);
		fputc('}', out);
	}
	fputc(']', out);
	json_key(out, "kselftest", r->kselftest);
	/* what decided a failure (or why a run was skipped or is an xfail) */
	json_key(out, "detail", r->detail);
	fprintf(out, ", \"fail_step\": %d", r->fail_step);
	json_key(out, "reason", r->reason);
	fprintf(out, ", \"version\": %d, \"steps\": %d}\n", PL_JSON_VERSION, r->steps);
}
