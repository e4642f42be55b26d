/*
 * Schedules: struct pl_sched and the .sched text format (see explore.h).
 * It uses nothing of the engine; the engine and print.c use it.
 */
#include "explore/explore.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct pl_sched *pl_sched_new(void)
{
	struct pl_sched *s = calloc(1, sizeof(*s));

	if (s)
		s->preemptions = -1;
	return s;
}

void pl_sched_free(struct pl_sched *s)
{
	if (!s)
		return;
	free(s->runs);
	free(s);
}

struct pl_sched *pl_sched_dup(const struct pl_sched *s)
{
	struct pl_sched *c = pl_sched_new();

	if (!c)
		return NULL;
	*c = *s;
	c->runs = NULL;
	c->cap_runs = 0;
	c->nr_runs = 0;
	for (int i = 0; i < s->nr_runs; i++)
		if (pl_sched_add(c, s->runs[i].thread, s->runs[i].steps)) {
			pl_sched_free(c);
			return NULL;
		}
	return c;
}

int pl_sched_add(struct pl_sched *s, int thread, uint32_t steps)
{
	if (thread < 0 || thread >= PL_EXPLORE_MAX_THREADS || !steps)
		return -EINVAL;
	if (s->nr_runs && s->runs[s->nr_runs - 1].thread == thread) {
		if (s->runs[s->nr_runs - 1].steps > UINT32_MAX - steps)
			return -EINVAL;
		s->runs[s->nr_runs - 1].steps += steps;
		return 0;
	}
	if (s->nr_runs == s->cap_runs) {
		int cap = s->cap_runs ? 2 * s->cap_runs : 8;
		struct pl_sched_run *r = realloc(s->runs, (size_t)cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		s->runs = r;
		s->cap_runs = cap;
	}
	s->runs[s->nr_runs].thread = thread;
	s->runs[s->nr_runs].steps = steps;
	s->nr_runs++;
	return 0;
}

uint64_t pl_sched_explicit_steps(const struct pl_sched *s)
{
	uint64_t n = 0;

	for (int i = 0; i < s->nr_runs; i++)
		n += s->runs[i].steps;
	return n;
}

int pl_sched_write(FILE *f, const struct pl_sched *s)
{
	fprintf(f, "# pinlab schedule v1\n");
	fprintf(f, "# \"run T N\": thread T runs N steps; after the last run the thread that ran\n"
		   "# last goes on while it can, else the lowest-numbered runnable thread.\n");
	if (s->name[0])
		fprintf(f, "name %s\n", s->name);
	if (s->nr_threads > 0)
		fprintf(f, "threads %d\n", s->nr_threads);
	if (s->preemptions >= 0)
		fprintf(f, "preemptions %d\n", s->preemptions);
	if (s->steps)
		fprintf(f, "steps %" PRIu64 "\n", s->steps);
	for (int i = 0; i < s->nr_runs; i++)
		fprintf(f, "run %d %" PRIu32 "\n", s->runs[i].thread, s->runs[i].steps);
	fprintf(f, "end\n");
	return ferror(f) ? -EIO : 0;
}

struct pl_sched *pl_sched_read(FILE *f, char *err, size_t errlen)
{
	struct pl_sched *s = pl_sched_new();
	char line[256], scratch[8];
	int lineno = 0;

	if (!err) {
		err = scratch;
		errlen = sizeof(scratch);
	}

	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	errno = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long long a, b;
		char word[16];
		int n = 0;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "line %d: too long", lineno);
			goto bad;
		}
		line[strcspn(line, "\r\n")] = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strcmp(p, "end"))
			return s;
		if (sscanf(p, "%15s%n", word, &n) != 1)
			goto malformed;
		p += n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strcmp(word, "name")) {
			snprintf(s->name, sizeof(s->name), "%s", p);
			continue;
		}
		errno = 0;
		a = strtoull(p, &end, 10);
		if (errno || end == p || *p == '-')
			goto malformed;
		p = end;
		if (!strcmp(word, "run")) {
			while (*p == ' ' || *p == '\t')
				p++;
			b = strtoull(p, &end, 10);
			if (errno || end == p || *p == '-' || *end || a >= PL_EXPLORE_MAX_THREADS ||
			    !b || b > UINT32_MAX)
				goto malformed;
			if (pl_sched_add(s, (int)a, (uint32_t)b))
				goto malformed;
			continue;
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			goto malformed;
		if (!strcmp(word, "threads") && a >= 1 && a <= PL_EXPLORE_MAX_THREADS)
			s->nr_threads = (int)a;
		else if (!strcmp(word, "preemptions") && a < 1000000)
			s->preemptions = (int)a;
		else if (!strcmp(word, "steps"))
			s->steps = a;
		else
			goto malformed;
	}
	snprintf(err, errlen, "line %d: missing \"end\"", lineno);
	goto bad;
malformed:
	snprintf(err, errlen, "line %d: expected \"run THREAD STEPS\", \"name\", \"threads\", "
		 "\"preemptions\", \"steps\" or \"end\"", lineno);
bad:
	pl_sched_free(s);
	return NULL;
}
