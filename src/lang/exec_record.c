/*
 * exec_record.c - what a run records (exec_internal.h): the point the
 * hooks see (--trace, explain), the first failure of each kind, the
 * invariant violations taken from the backend (de-duplicated), and the
 * folio snapshots before and after each step whose difference --trace
 * prints.
 */
#include "lang/exec_internal.h"

/* snprintf() that may cut: details are for people, and long strings are cut short. */
__attribute__((format(printf, 3, 4)))
static void x_fmt(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* The canonical text of a step, as pl_step_print() writes it; sets x->oom if it cannot. */
static const char *x_step_text(struct exec *x, const struct pl_step *s, char *buf, size_t size)
{
	FILE *f;

	memset(buf, 0, size);
	f = fmemopen(buf, size - 1, "w");
	if (!f) {
		x->oom = true;	/* a result without its step's text would mislead */
		return "";
	}
	pl_step_print(f, x->sc, s);
	fclose(f);
	return buf;
}

/* pl_exec_point.print: the step as .pin source, for --trace and explain */
static void x_print_at(FILE *out, const struct pl_exec_point *at)
{
	pl_step_print(out, at->ctx, at->src);
}

/* The (last) operation of the point returned ret: say so to the hooks. */
void x_at_ret(struct exec *x, long ret)
{
	char e[32];

	x->at.ret = ret < 0 ? ret : 0;
	if (ret < 0)
		snprintf(x->at.ret_name, sizeof(x->at.ret_name), "%s",
			 pl_errno_name((int)-ret, e, sizeof(e)));
}

/* The point is scenario step s (or its set-up): say so to the hooks. */
void x_at_step(struct exec *x, const struct pl_step *s)
{
	x->at.src = s;
	x->at.ctx = x->sc;
	x->at.print = x_print_at;
	x->at.line = s->pos.line;
	x->at.new_process = NULL;
	for (int i = 0; i < x->sc->nr_syms && x->h != &x_no_hooks; i++) {
		const struct pl_sym *y = &x->sc->syms[i];

		if (y->kind == PL_SYM_PROCESS && y->def_step == (int)(s - x->sc->steps)) {
			x->at.new_process = y->name;
			break;
		}
	}
}

/* ---------------------------------------------------------------------------
 * Failures.  The first of each kind is kept; exec.h says which kind wins.
 */
static void x_vrecord(struct exec *x, bool check, enum pl_outcome cls, const char *fmt,
		      va_list ap)
{
	char what[X_TEXT], text[X_TEXT / 2];
	const struct pl_step *s = x->at.src;
	int step = x->at.step;
	char *dst = check ? x->check_detail : x->fail_detail;

	vsnprintf(what, sizeof(what), fmt, ap);
	if (s && (s->flags & PL_STEP_REQUIRE) && !x->at.setup) {
		/* `require`: the precondition is not met, the run ends as a skip */
		if (!x->skip[0])
			snprintf(x->skip, sizeof(x->skip), "step %d (line %d) %.70s: %.80s",
				 step, s->pos.line, x_step_text(x, s, text, sizeof(text)), what);
		return;
	}
	if (check ? x->check_step : x->fail_step)
		return;
	if (x->at.setup)
		x_fmt(dst, X_TEXT, "step %d (line %d), set-up: %s", step, x->at.line, what);
	else
		x_fmt(dst, X_TEXT, "step %d (line %d) %s: %s", step, s ? s->pos.line : 0,
		      s ? x_step_text(x, s, text, sizeof(text)) : "", what);
	if (check) {
		x->check_step = step ? step : -1;
		x->check_cls = cls;
	} else {
		x->fail_step = step ? step : -1;
		x->fail_cls = cls;
	}
}

__attribute__((format(printf, 3, 4)))
void x_check_failed(struct exec *x, enum pl_outcome cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	x_vrecord(x, true, cls, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4)))
void x_step_failed(struct exec *x, enum pl_outcome cls, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	x_vrecord(x, false, cls, fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------------------
 * Violations and folio snapshots.
 */
static bool x_vkey_seen(struct exec *x, const struct pl_bviolation *v)
{
	for (int i = 0; i < x->nr_vkeys; i++) {
		const struct xvkey *k = &x->vkeys[i];

		if (k->pid == v->pid && k->addr == v->addr && k->pfn == v->pfn &&
		    !strcmp(k->invariant, v->invariant))
			return true;
	}
	if (x->nr_vkeys == x->cap_vkeys) {
		int cap = x->cap_vkeys ? 2 * x->cap_vkeys : 16;
		struct xvkey *n = realloc(x->vkeys, (size_t)cap * sizeof(*n));

		if (!n) {
			x->oom = true;
			return true;
		}
		x->vkeys = n;
		x->cap_vkeys = cap;
	}
	x->vkeys[x->nr_vkeys++] = (struct xvkey){ v->invariant, v->pid, v->addr, v->pfn };
	return false;
}

/* Run the backend's checker and take in what it found since last time. */
void x_collect(struct exec *x)
{
	struct pl_result *r = x->res;
	int n;

	if (!x->be->check)
		return;
	if (x->be->check(x->be) == -ENOMEM) {
		x->oom = true;
		return;
	}
	n = x->be->nr_violations(x->be);
	for (; x->seen < n; x->seen++) {
		struct pl_bviolation v;
		struct pl_result_violation *rv;

		x->be->violation(x->be, x->seen, &v);
		if (x_vkey_seen(x, &v))
			continue;
		r->nr_violations_total++;
		if (r->nr_violations == PL_RESULT_MAX_VIOLATIONS)
			continue;
		if (!r->violations) {
			r->violations = calloc(PL_RESULT_MAX_VIOLATIONS, sizeof(*r->violations));
			if (!r->violations) {
				x->oom = true;
				return;
			}
		}
		rv = &r->violations[r->nr_violations++];
		snprintf(rv->invariant, sizeof(rv->invariant), "%s", v.invariant);
		rv->step = v.step;
		snprintf(rv->detail, sizeof(rv->detail), "%s", v.detail ? v.detail : "");
	}
}

static int x_snapshot(struct exec *x, struct pl_folio_state **buf, int *cap)
{
	int n = x->be->folios(x->be, *buf, *cap);

	if (n > *cap) {
		struct pl_folio_state *b = realloc(*buf, (size_t)n * sizeof(*b));

		if (!b) {
			x->oom = true;
			return 0;
		}
		*buf = b;
		*cap = n;
		n = x->be->folios(x->be, *buf, *cap);
	}
	return n;
}

static bool x_folio_same(const struct pl_folio_state *a, const struct pl_folio_state *b)
{
	return a->order == b->order && a->refcount == b->refcount && a->mapcount == b->mapcount &&
	       a->pincount == b->pincount && a->flags == b->flags &&
	       a->exclusive == b->exclusive && !strcmp(a->text, b->text);
}

static bool x_add_change(struct exec *x, int *n, const struct pl_folio_state *b,
			 const struct pl_folio_state *a)
{
	struct pl_folio_change *c;

	if (*n == x->cap_changes) {
		int cap = x->cap_changes ? 2 * x->cap_changes : 16;
		struct pl_folio_change *nc = realloc(x->changes, (size_t)cap * sizeof(*nc));

		if (!nc) {
			x->oom = true;
			return false;
		}
		x->changes = nc;
		x->cap_changes = cap;
	}
	c = &x->changes[(*n)++];
	memset(c, 0, sizeof(*c));
	c->has_before = b != NULL;
	c->has_after = a != NULL;
	if (b)
		c->before = *b;
	if (a)
		c->after = *a;
	return true;
}

/* Merge the two pfn-sorted snapshots into the list of changed folios. */
static int x_diff(struct exec *x, int nb, int na)
{
	int i = 0, j = 0, n = 0;

	while (i < nb || j < na) {
		const struct pl_folio_state *b = i < nb ? &x->fb[i] : NULL;
		const struct pl_folio_state *a = j < na ? &x->fa[j] : NULL;
		bool ok = true;

		if (b && (!a || b->pfn < a->pfn)) {
			ok = x_add_change(x, &n, b, NULL);
			i++;
		} else if (a && (!b || a->pfn < b->pfn)) {
			ok = x_add_change(x, &n, NULL, a);
			j++;
		} else {
			if (!x_folio_same(b, a))
				ok = x_add_change(x, &n, b, a);
			i++;
			j++;
		}
		if (!ok)
			break;
	}
	return n;
}

static bool x_want_folios(const struct exec *x)
{
	return x->h->want_folios && x->be->folios && x->h->step_end;
}

/* Open a traced unit (a step, or a set-up operation outside any step). */
int x_begin(struct exec *x)
{
	x->at.world = x->be->world ? x->be->world(x->be) : NULL;
	if (x->h->step_begin)
		x->h->step_begin(x->h->arg, &x->at);
	if (x_want_folios(x))
		return x_snapshot(x, &x->fb, &x->cap_fb);
	return 0;
}

void x_end(struct exec *x, int nb, bool diff)
{
	int n = 0;

	if (diff && x_want_folios(x))
		n = x_diff(x, nb, x_snapshot(x, &x->fa, &x->cap_fa));
	x->at.world = x->be->world ? x->be->world(x->be) : NULL;
	if (x->h->step_end)
		x->h->step_end(x->h->arg, &x->at, x->changes, n);
}

void x_event(void *arg, const struct pl_event *ev)
{
	struct exec *x = arg;

	x->at.world = x->be->world ? x->be->world(x->be) : NULL;
	if (x->h->event)
		x->h->event(x->h->arg, &x->at, ev);
}
