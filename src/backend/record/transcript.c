/*
 * transcript.c - the guest's backend calls, written down and played back.
 *
 * In the guest the recorder wraps the host backend and writes one line per
 * call (format in record.h).  On the host the replay backend answers the
 * same executor's calls from those lines, so `probe --kernel` produces its
 * results, expectations and reports with exactly the code `probe` uses.
 * Each replayed call is checked against the recorded one (the call, and for
 * a step its number and op): a difference means the two sides did not run
 * the same pinlab, and is an internal error rather than a wrong answer.
 */
#include "backend/record/record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Text fields.
 */
static void put_text(FILE *out, const char *s)
{
	if (!s) {
		fputc('~', out);
		return;
	}
	if (!*s)
		fputs("\\x00", out);	/* "" is not "~"; \x00 ends the string when read */
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch <= ' ' || ch >= '~' || ch == '\\')	/* '~' alone means NULL */
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
}

/* Decode a text field in place; NULL for "~". */
static char *get_text(char *s)
{
	char *o = s, *start = s;

	if (!strcmp(s, "~"))
		return NULL;
	while (*s) {
		int hi = s[0] == '\\' && s[1] == 'x' ? hex_to_bin((unsigned char)s[2]) : -1;
		int lo = hi >= 0 ? hex_to_bin((unsigned char)s[3]) : -1;

		if (lo >= 0) {
			*o++ = (char)(hi << 4 | lo);
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = 0;
	return start;
}

/* ---------------------------------------------------------------------------
 * The recorder (guest side).
 */
struct recorder {
	struct pl_wrapper w;	/* first: see wrap.c */
	FILE *out;
};

static struct recorder *rec_of(struct pl_backend *be)
{
	return be->priv;
}

static int rec_begin(struct pl_backend *be, const char *preset, const char *const *sets,
		     int nr_sets, char *err, size_t errlen)
{
	struct recorder *r = rec_of(be);
	struct pl_backend *in = r->w.in;
	int ret = in->begin ? in->begin(in, preset, sets, nr_sets, err, errlen) : 0;

	fprintf(r->out, "b %d ", ret);
	put_text(r->out, ret ? err : NULL);
	fputc('\n', r->out);
	fflush(r->out);
	return ret;
}

static long rec_step(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *res)
{
	struct recorder *r = rec_of(be);
	long ret = r->w.in->step(r->w.in, s, res);

	fprintf(r->out, "s %d %d %ld %" PRIx64 " %d %ld %d ", s->step, s->op, ret,
		(uint64_t)res->addr, res->id, res->count, res->prop ? 1 : 0);
	put_text(r->out, res->text);
	fputc('\n', r->out);
	fflush(r->out);
	return ret;
}

static bool rec_has(struct pl_backend *be, const char *feature)
{
	struct recorder *r = rec_of(be);
	bool yes = r->w.in->has && r->w.in->has(r->w.in, feature);

	fprintf(r->out, "h %d ", yes ? 1 : 0);
	put_text(r->out, feature);
	fputc('\n', r->out);
	fflush(r->out);
	return yes;
}

static const struct pl_backend rec_ops = {
	.begin = rec_begin,
	.step = rec_step,
	.has = rec_has,
};

struct pl_backend *pl_recorder_new(struct pl_backend *in, FILE *out)
{
	struct recorder *r = (struct recorder *)pl_wrapper_new(in, sizeof(*r), &rec_ops);

	if (!r)
		return NULL;
	r->out = out;
	return &r->w.be;
}

/* ---------------------------------------------------------------------------
 * Parsed transcripts.
 */
struct call {
	char kind;			/* 'b', 'h', 's' */
	int step, op;
	long ret;
	uint64_t addr;
	int id;
	long count;
	bool prop;
	char *text;			/* NULL = NULL */
};

enum run_state { RUN_NONE, RUN_DONE, RUN_LOST, RUN_SKIP };

struct trun {
	enum run_state state;
	struct call *v;
	int n, cap;
	long usec;
	int lost_errno;
	const char *why;		/* RUN_LOST / RUN_SKIP: owned by the transcript */
};

struct pl_transcript {
	struct trun *runs;
	int nr_runs;
	char release[128];
	char profile[512];		/* the @profile line's facts, "" = none yet */
	char *notes;
	size_t notes_len;
	char **whys;			/* the reasons given to lost()/skip_rest() */
	int nr_whys;
	/* replay position */
	int cur;			/* the run being replayed */
	int pos;			/* next call of that run */
	int ends;			/* end() calls so far */
	char text[4096];		/* the text of the last answer */
};

struct pl_transcript *pl_transcript_new(int nr_runs)
{
	struct pl_transcript *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->runs = calloc((size_t)(nr_runs > 0 ? nr_runs : 1), sizeof(*t->runs));
	if (!t->runs) {
		free(t);
		return NULL;
	}
	t->nr_runs = nr_runs;
	return t;
}

static void run_clear(struct trun *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->v[i].text);
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

void pl_transcript_free(struct pl_transcript *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->nr_runs; i++)
		run_clear(&t->runs[i]);
	for (int i = 0; i < t->nr_whys; i++)
		free(t->whys[i]);
	free(t->whys);
	free(t->runs);
	free(t->notes);
	free(t);
}

const char *pl_transcript_profile(const struct pl_transcript *t)
{
	return t->profile;
}

const char *pl_transcript_release(const struct pl_transcript *t)
{
	return t->release;
}

const char *pl_transcript_notes(const struct pl_transcript *t)
{
	return t->notes ? t->notes : "";
}

long pl_transcript_usec(const struct pl_transcript *t, int k)
{
	return k >= 0 && k < t->nr_runs && t->runs[k].state == RUN_DONE ? t->runs[k].usec : 0;
}

static const char *keep_why(struct pl_transcript *t, const char *why)
{
	char **nw = realloc(t->whys, (size_t)(t->nr_whys + 1) * sizeof(*nw));

	if (!nw)
		return "the guest did not run it";
	t->whys = nw;
	nw[t->nr_whys] = strdup(why);
	return nw[t->nr_whys] ? nw[t->nr_whys++] : "the guest did not run it";
}

void pl_transcript_lost(struct pl_transcript *t, int k, int errno_, const char *why)
{
	if (k < 0 || k >= t->nr_runs || t->runs[k].state == RUN_DONE)
		return;
	t->runs[k].state = RUN_LOST;
	t->runs[k].lost_errno = errno_;
	t->runs[k].why = keep_why(t, why);
}

/*
 * Run @k stopped where its answers end, and its outcome is not to be
 * compared (the guest hung: a slower machine, not the kernel, decided it).
 * The steps it answered replay; the first one it did not is a skip with
 * @why.
 */
void pl_transcript_skip_run(struct pl_transcript *t, int k, const char *why)
{
	if (k < 0 || k >= t->nr_runs || t->runs[k].state == RUN_DONE)
		return;
	t->runs[k].state = RUN_SKIP;
	t->runs[k].why = keep_why(t, why);
}

void pl_transcript_skip_rest(struct pl_transcript *t, const char *why)
{
	const char *w = NULL;

	for (int k = 0; k < t->nr_runs; k++)
		if (t->runs[k].state == RUN_NONE) {
			if (!w)
				w = keep_why(t, why);
			t->runs[k].state = RUN_SKIP;
			t->runs[k].why = w;
			run_clear(&t->runs[k]);
		}
}

static void add_note(struct pl_transcript *t, const char *s)
{
	size_t n = strlen(s);
	char *nn = realloc(t->notes, t->notes_len + n + 2);

	if (!nn)
		return;
	t->notes = nn;
	memcpy(nn + t->notes_len, s, n);
	t->notes_len += n;
	nn[t->notes_len++] = '\n';
	nn[t->notes_len] = 0;
}

static int add_call(struct trun *r, const struct call *c)
{
	if (r->n == r->cap) {
		int cap = r->cap ? 2 * r->cap : 16;
		struct call *nv = realloc(r->v, (size_t)cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		r->v = nv;
		r->cap = cap;
	}
	r->v[r->n++] = *c;
	return 0;
}

/* Split @line at spaces into at most @max fields; the last takes the rest. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	while (*line && n < max) {
		f[n++] = line;
		if (n == max)
			break;
		line = strchr(line, ' ');
		if (!line)
			break;
		*line++ = 0;
	}
	return n;
}

static int parse_line(struct pl_transcript *t, char *line, int *cur, char *why, size_t whylen)
{
	char *f[9];
	struct call c;
	int n;

	memset(&c, 0, sizeof(c));
	if (!strncmp(line, "@pinlab-guest ", 14)) {
		n = split(line, f, 3);
		if (n < 3 || strcmp(f[1], "1")) {
			snprintf(why, whylen, "unknown transcript version");
			return -EPROTO;
		}
		snprintf(t->release, sizeof(t->release), "%s", f[2]);
		return 0;
	}
	if (!strncmp(line, "@profile ", 9)) {
		snprintf(t->profile, sizeof(t->profile), "%s", line + 9);
		return 0;
	}
	if (!strncmp(line, "@note ", 6)) {
		add_note(t, line + 6);
		return 0;
	}
	if (!strncmp(line, "@run ", 5)) {
		int k = atoi(line + 5);

		if (k < 0 || k >= t->nr_runs) {
			snprintf(why, whylen, "run %d is not in the plan", k);
			return -EPROTO;
		}
		run_clear(&t->runs[k]);
		t->runs[k].state = RUN_NONE;
		*cur = k;
		return 0;
	}
	if (!strncmp(line, "@end ", 5)) {
		n = split(line, f, 3);
		if (n == 3 && atoi(f[1]) == *cur && *cur >= 0) {
			t->runs[*cur].state = RUN_DONE;
			t->runs[*cur].usec = atol(f[2]);
		}
		*cur = -1;
		return 0;
	}
	if (line[0] == '@' || !line[0])
		return 0;	/* @done, @died: the caller looks at them */
	if (*cur < 0) {
		snprintf(why, whylen, "a backend call outside a run: %.60s", line);
		return -EPROTO;
	}
	c.kind = line[0];
	if (line[0] == 'b' && (n = split(line, f, 3)) == 3) {
		c.ret = atol(f[1]);
		c.text = get_text(f[2]);
	} else if (line[0] == 'h' && (n = split(line, f, 3)) == 3) {
		c.prop = atoi(f[1]) != 0;
		c.text = get_text(f[2]);
	} else if (line[0] == 's' && (n = split(line, f, 9)) == 9) {
		c.step = atoi(f[1]);
		c.op = atoi(f[2]);
		c.ret = atol(f[3]);
		c.addr = strtoull(f[4], NULL, 16);
		c.id = atoi(f[5]);
		c.count = atol(f[6]);
		c.prop = atoi(f[7]) != 0;
		c.text = get_text(f[8]);
	} else {
		snprintf(why, whylen, "a line that is not a backend call: %.60s", line);
		return -EPROTO;
	}
	if (c.text && !(c.text = strdup(c.text)))
		return -ENOMEM;
	if (add_call(&t->runs[*cur], &c)) {
		free(c.text);
		return -ENOMEM;
	}
	return 0;
}

int pl_transcript_parse(struct pl_transcript *t, const char *text, size_t len, char *why,
			size_t whylen)
{
	char *copy = malloc(len + 1), *line, *save = NULL;
	int cur = -1, ret = 0;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = 0;
	/* A last line without its '\n' was cut off by the guest's end: not a call. */
	if (len && copy[len - 1] != '\n') {
		char *nl = strrchr(copy, '\n');

		*(nl ? nl + 1 : copy) = 0;
	}
	for (line = strtok_r(copy, "\n", &save); line && !ret; line = strtok_r(NULL, "\n", &save))
		ret = parse_line(t, line, &cur, why, whylen);
	free(copy);
	if (ret)
		return ret;
	for (int k = 0; k < t->nr_runs; k++)
		if (t->runs[k].state == RUN_NONE)
			return k;
	return t->nr_runs;
}

/* ---------------------------------------------------------------------------
 * The replay backend.
 */
struct replay {
	struct pl_backend be;
	struct pl_transcript *t;
};

static struct pl_transcript *tr_of(struct pl_backend *be)
{
	return ((struct replay *)be->priv)->t;
}

/* The next recorded call of the current run if it is of @kind; NULL when none is left. */
static const struct call *next_call(struct pl_transcript *t, char kind, bool *mismatch)
{
	struct trun *r;

	*mismatch = false;
	if (t->cur < 0 || t->cur >= t->nr_runs)
		return NULL;
	r = &t->runs[t->cur];
	if (t->pos >= r->n)
		return NULL;
	if (r->v[t->pos].kind != kind) {
		*mismatch = true;
		return NULL;
	}
	return &r->v[t->pos++];
}

static int replay_begin(struct pl_backend *be, const char *preset, const char *const *sets,
			int nr_sets, char *err, size_t errlen)
{
	struct pl_transcript *t = tr_of(be);
	const struct call *c;
	bool mismatch;

	(void)preset;
	(void)sets;
	(void)nr_sets;
	if (t->cur >= t->nr_runs) {
		snprintf(err, errlen, "internal error: more runs than the guest was given");
		return -EPROTO;
	}
	c = next_call(t, 'b', &mismatch);
	if (!c && t->runs[t->cur].state != RUN_DONE)
		return 0;	/* lost or skipped: its steps answer for it */
	if (!c) {
		snprintf(err, errlen, "internal error: the guest's transcript has no begin()");
		return -EPROTO;
	}
	if (c->ret && c->text)
		snprintf(err, errlen, "%s", c->text);
	return (int)c->ret;
}

static long replay_step(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct pl_transcript *t = tr_of(be);
	struct trun *run = t->cur >= 0 && t->cur < t->nr_runs ? &t->runs[t->cur] : NULL;
	const struct call *c;
	bool mismatch;

	if (!run)
		return -EPROTO;
	c = next_call(t, 's', &mismatch);
	if (!c && !mismatch) {
		/* The guest never answered this call. */
		if (run->state == RUN_SKIP || run->state == RUN_NONE) {
			r->text = run->why ? run->why : "the guest did not run it";
			return -PL_BSKIP;
		}
		if (run->state == RUN_LOST)
			return -run->lost_errno;
		mismatch = true;
	}
	if (mismatch || c->step != s->step || c->op != s->op) {
		r->text = "internal error: the guest ran another step here (not the same pinlab?)";
		return -EPROTO;
	}
	r->addr = (pl_addr)c->addr;
	r->id = c->id;
	r->count = c->count;
	r->prop = c->prop;
	r->text = NULL;
	if (c->text) {
		snprintf(t->text, sizeof(t->text), "%s", c->text);
		r->text = t->text;
	}
	return c->ret;
}

static bool replay_has(struct pl_backend *be, const char *feature)
{
	struct pl_transcript *t = tr_of(be);
	const struct call *c;
	bool mismatch;

	c = next_call(t, 'h', &mismatch);
	if (!c || !c->text || strcmp(c->text, feature))
		return true;	/* not answered: the steps that follow say what happened */
	return c->prop;
}

/*
 * Run boundaries: pl_exec_run() calls end() before it starts, and its
 * callers (probe, diff, the guest's runner) once after each run, so every
 * second end() closes a run, whether the run called anything or not.
 */
static void replay_end(struct pl_backend *be)
{
	struct pl_transcript *t = tr_of(be);

	if (++t->ends % 2 == 0) {
		t->cur++;
		t->pos = 0;
	}
}

static void replay_destroy(struct pl_backend *be)
{
	free(be->priv);
}

/* It answers for the host backend that recorded the transcript, under its name. */
static const struct pl_backend replay_backend_ops = {
	.name = "host",
	.begin = replay_begin,
	.step = replay_step,
	.has = replay_has,
	.end = replay_end,
	.destroy = replay_destroy,
};

struct pl_backend *pl_replay_new(struct pl_transcript *t)
{
	struct replay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->t = t;
	t->cur = 0;
	t->pos = 0;
	t->ends = 0;
	r->be = replay_backend_ops;
	r->be.priv = r;
	return &r->be;
}
