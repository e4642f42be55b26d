/*
 * report.c - the result stream: counts results and hands each to the
 * writer of the chosen format.  See report.h.
 */
#include "report/report.h"

#include <string.h>

int pl_format_find(const char *name)
{
	static const char *const names[] = { "table", "ktap", "json" };	/* ORDER: enum pl_format */

	for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

void pl_report_begin(struct pl_report *rp, FILE *out, enum pl_format fmt, bool color, int plan)
{
	memset(rp, 0, sizeof(*rp));
	rp->out = out;
	rp->fmt = fmt;
	rp->color = color && fmt == PL_FMT_TABLE;
	rp->plan = plan;
	if (fmt == PL_FMT_KTAP)
		fprintf(out, "KTAP version 1\n1..%d\n", plan);
}

void pl_report_result(struct pl_report *rp, const struct pl_result *r)
{
	rp->n++;
	if (r->skipped) {
		rp->skipped++;
	} else if (!r->match) {
		rp->mismatched++;
		rp->failed++;
	} else {
		rp->matched++;
		if (!strcmp(r->outcome, "xfail"))
			rp->xfailed++;
		else
			rp->passed++;
	}
	switch (rp->fmt) {
	case PL_FMT_TABLE:
		if (rp->quiet && (r->match || r->skipped))
			break;
		pl_table_write(rp->out, r, rp->color, rp->width);
		break;
	case PL_FMT_KTAP:
		pl_ktap_write(rp->out, rp->n, r);
		break;
	case PL_FMT_JSON:
		pl_json_write(rp->out, r);
		break;
	}
}

void pl_report_end(struct pl_report *rp)
{
	if (rp->fmt == PL_FMT_JSON)
		return;
	if (rp->fmt == PL_FMT_KTAP)
		fprintf(rp->out, "# Totals: pass:%d fail:%d xfail:%d xpass:0 skip:%d error:0\n",
			rp->passed, rp->failed, rp->xfailed, rp->skipped);
	fprintf(rp->out, "%s%d results: %d matched, %d mismatched, %d skipped\n",
		rp->fmt == PL_FMT_KTAP ? "# " : "", rp->n, rp->matched, rp->mismatched,
		rp->skipped);
}

void pl_report_interrupted(struct pl_report *rp, const char *sig)
{
	if (rp->fmt == PL_FMT_JSON) {
		fprintf(rp->out, "{\"incomplete\": true, \"signal\": \"%s\", \"results\": %d, "
			"\"planned\": %d, \"version\": %d}\n", sig, rp->n, rp->plan, PL_JSON_VERSION);
		return;
	}
	if (rp->fmt == PL_FMT_KTAP)
		fprintf(rp->out, "Bail out! interrupted by %s after %d of %d results\n", sig, rp->n,
			rp->plan);
	else
		fprintf(rp->out, "interrupted by %s after %d of %d results\n", sig, rp->n,
			rp->plan);
	pl_report_end(rp);
}
