/*
 * result.c - the explorer's result (explore_internal.h): the set of
 * distinct end states, the failing schedule kept (the least by
 * sched_cmp()), merging the results of worker processes and shards, and
 * the result's text form (explore.h).
 */
#include "explore/explore_internal.h"

void pl_explore_result_free(struct pl_explore_result *res)
{
	pl_sched_free(res->fail);
	free(res->states);
	memset(res, 0, sizeof(*res));
}

#define BOUND_NONE (-2)	/* pl_explore_result_init(): no shard merged yet */

/*
 * The counters of a result, in the order of its text form ("KEY N" lines):
 * those of two shards add up when they merge.
 */
static const struct result_counter {
	const char *key;
	size_t off;
} result_counters[] = {
	{ "runs", offsetof(struct pl_explore_result, runs) },
	{ "schedules", offsetof(struct pl_explore_result, schedules) },
	{ "redundant", offsetof(struct pl_explore_result, redundant) },
	{ "revisited", offsetof(struct pl_explore_result, revisited) },
	{ "foreign", offsetof(struct pl_explore_result, foreign) },
	{ "livelocks", offsetof(struct pl_explore_result, livelocks) },
	{ "deadlocks", offsetof(struct pl_explore_result, deadlocks) },
	{ "failures", offsetof(struct pl_explore_result, failures) },
	{ "steps", offsetof(struct pl_explore_result, steps) },
	{ "minimise-replays", offsetof(struct pl_explore_result, minimise_replays) },
};
#define NR_RESULT_COUNTERS (sizeof(result_counters) / sizeof(result_counters[0]))

static uint64_t *result_counter(struct pl_explore_result *r, size_t i)
{
	return (uint64_t *)((char *)r + result_counters[i].off);
}

static uint64_t result_counter_get(const struct pl_explore_result *r, size_t i)
{
	return *(const uint64_t *)((const char *)r + result_counters[i].off);
}

void pl_explore_result_init(struct pl_explore_result *res)
{
	memset(res, 0, sizeof(*res));
	res->complete = true;
	res->exhaustive = true;
	res->bound = BOUND_NONE;
}

int pl_explore_merge(struct pl_explore_result *into, const struct pl_explore_result *from)
{
	for (size_t i = 0; i < NR_RESULT_COUNTERS; i++)
		*result_counter(into, i) += result_counter_get(from, i);
	if (into->bound == BOUND_NONE || from->bound > into->bound)
		into->bound = from->bound;
	into->complete = into->complete && from->complete;
	into->exhaustive = into->exhaustive && from->exhaustive;
	into->error = into->error || from->error;
	if (from->error && !into->fail && !into->why[0])
		snprintf(into->why, sizeof(into->why), "%s", from->why);
	for (size_t i = 0; i < from->cap_states; i++)
		if (from->states[i] && states_insert(into, from->states[i]) < 0)
			return -ENOMEM;
	if (from->fail && (!into->fail || sched_cmp(from->fail, into->fail) < 0)) {
		struct pl_sched *s = pl_sched_dup(from->fail);

		if (!s)
			return -ENOMEM;
		pl_sched_free(into->fail);
		into->fail = s;
		into->verdict = from->verdict;
		snprintf(into->why, sizeof(into->why), "%s", from->why);
	}
	return 0;
}

/* Fewest preemptions, then fewest steps, then the shortest explicit part. */
int sched_cmp(const struct pl_sched *a, const struct pl_sched *b)
{
	uint64_t ea = pl_sched_explicit_steps(a), eb = pl_sched_explicit_steps(b);

	if (a->preemptions != b->preemptions)
		return a->preemptions < b->preemptions ? -1 : 1;
	if (a->steps != b->steps)
		return a->steps < b->steps ? -1 : 1;
	if (ea != eb)
		return ea < eb ? -1 : 1;
	return 0;
}

/* ---------------------------------------------------------------------------
 * End-state set.
 */
int states_insert(struct pl_explore_result *res, uint64_t h)
{
	size_t mask;

	if (!h)
		h = 1;
	if ((res->distinct_states + 1) * 2 > res->cap_states) {
		size_t cap = res->cap_states ? 2 * res->cap_states : 1024;
		uint64_t *ns = calloc(cap, sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		for (size_t i = 0; i < res->cap_states; i++) {
			uint64_t v = res->states[i];
			size_t j;

			if (!v)
				continue;
			for (j = (size_t)mix64(v) & (cap - 1); ns[j]; j = (j + 1) & (cap - 1))
				;
			ns[j] = v;
		}
		free(res->states);
		res->states = ns;
		res->cap_states = cap;
	}
	mask = res->cap_states - 1;
	for (size_t j = (size_t)mix64(h) & mask;; j = (j + 1) & mask) {
		if (res->states[j] == h)
			return 0;
		if (!res->states[j]) {
			res->states[j] = h;
			res->distinct_states++;
			return 1;
		}
	}
}

void record_failure(struct pl_explore_result *res, struct pl_sched *s, enum pl_verdict v,
		    const char *why)
{
	if (!s)
		return;
	if (res->fail && sched_cmp(s, res->fail) >= 0) {
		pl_sched_free(s);
		return;
	}
	pl_sched_free(res->fail);
	res->fail = s;
	res->verdict = v;
	snprintf(res->why, sizeof(res->why), "%s", why);
}

/* ---------------------------------------------------------------------------
 * Result text form.
 */
static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int pl_explore_result_write(FILE *f, const struct pl_explore_result *r)
{
	uint64_t *sorted = NULL;
	size_t n = 0;

	fprintf(f, "# pinlab explore result v1\n");
	for (size_t i = 0; i < NR_RESULT_COUNTERS; i++)
		fprintf(f, "%s %" PRIu64 "\n", result_counters[i].key, result_counter_get(r, i));
	fprintf(f, "bound %d\ncomplete %d\nexhaustive %d\nerror %d\nseconds %.6f\n", r->bound,
		r->complete, r->exhaustive, r->error, r->seconds);
	if (r->distinct_states) {
		sorted = malloc(r->distinct_states * sizeof(*sorted));
		if (!sorted)
			return -ENOMEM;
		for (size_t i = 0; i < r->cap_states; i++)
			if (r->states[i])
				sorted[n++] = r->states[i];
		qsort(sorted, n, sizeof(*sorted), u64_cmp);
	}
	fprintf(f, "states %zu\n", n);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "state %016" PRIx64 "\n", sorted[i]);
	free(sorted);
	if (r->why[0]) {
		char line[sizeof(r->why)];

		snprintf(line, sizeof(line), "%s", r->why);
		for (char *p = line; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fprintf(f, "why %s\n", line);
	}
	if (r->fail) {
		fprintf(f, "verdict %s\nfail\n", pl_verdict_name(r->verdict));
		if (pl_sched_write(f, r->fail))
			return -EIO;
	}
	fprintf(f, "end-result\n");
	return ferror(f) ? -EIO : 0;
}

int pl_explore_result_read(FILE *f, struct pl_explore_result *r, char *err, size_t errlen)
{
	char line[512];
	int lineno = 0;

	memset(r, 0, sizeof(*r));
	while (fgets(line, sizeof(line), f)) {
		char key[32];
		uint64_t v = 0;
		size_t c;
		int iv = 0;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!strcmp(line, "end-result"))
			return 0;
		if (!strcmp(line, "fail")) {
			r->fail = pl_sched_read(f, err, errlen);
			if (!r->fail) {
				pl_explore_result_free(r);
				return -EINVAL;
			}
			continue;
		}
		if (!strncmp(line, "why ", 4)) {
			snprintf(r->why, sizeof(r->why), "%.255s", line + 4);
			continue;
		}
		if (!strncmp(line, "verdict ", 8)) {
			for (int i = 0; i <= PL_VERDICT_ERROR; i++)
				if (!strcmp(line + 8, pl_verdict_name((enum pl_verdict)i)))
					r->verdict = (enum pl_verdict)i;
			continue;
		}
		if (!strncmp(line, "seconds ", 8)) {
			r->seconds = strtod(line + 8, NULL);
			continue;
		}
		if (sscanf(line, "state %" SCNx64, &v) == 1) {
			if (states_insert(r, v) < 0)
				goto bad;
			continue;
		}
		if (sscanf(line, "%31s %" SCNu64, key, &v) != 2)
			goto bad;
		iv = (int)v;
		for (c = 0; c < NR_RESULT_COUNTERS; c++)
			if (!strcmp(key, result_counters[c].key))
				break;
		if (c < NR_RESULT_COUNTERS)
			*result_counter(r, c) = v;
		else if (!strcmp(key, "bound"))
			r->bound = iv;
		else if (!strcmp(key, "complete"))
			r->complete = iv != 0;
		else if (!strcmp(key, "exhaustive"))
			r->exhaustive = iv != 0;
		else if (!strcmp(key, "error"))
			r->error = iv != 0;
		else if (strcmp(key, "states"))
			goto bad;
	}
	if (err)
		snprintf(err, errlen, "line %d: missing end-result", lineno);
	pl_explore_result_free(r);
	return -EINVAL;
bad:
	if (err)
		snprintf(err, errlen, "line %d: malformed", lineno);
	pl_explore_result_free(r);
	return -EINVAL;
}
