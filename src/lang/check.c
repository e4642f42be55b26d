/*
 * check.c - the static checker.  See check.h.
 *
 * One walk over the steps in order, keeping for every symbol its current
 * size and whether it is still alive.  Names live in two namespaces:
 *
 *	global			processes, threads, files, pipes, io_uring buffers,
 *				O_DIRECT requests, RDMA regions, pins, GUP references
 *	per process		mappings; fork copies the parent's into the child,
 *				so `C: write buf[0]` means C's copy of buf
 *
 * A name whose object died (exit, munmap, unpin ...) may be defined again;
 * using it in between is an error that names the step that killed it.
 *
 * Thread blocks.  Consecutive thread blocks run in parallel, so the order of
 * their steps is not known statically.  Within one thread the usual rules
 * apply; a name created by one thread is invisible to its siblings until the
 * group ends; a release in a sibling thread may not have happened yet, so it
 * does not make a name dead for the other threads of the group.
 *
 * Over 900 lines: one pass over the steps with one symbol table; the header
 * checks (matrix, expectations) and the step checks share it.
 */
#include "lang/check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lang/parse.h"

#define CK_BIT(k)	(1u << (k))
#define CK_PAGED	(CK_BIT(PL_SYM_FILE) | CK_BIT(PL_SYM_MAPPING) | CK_BIT(PL_SYM_RING) | \
			 CK_BIT(PL_SYM_REQ) | CK_BIT(PL_SYM_MR) | CK_BIT(PL_SYM_PIN) | \
			 CK_BIT(PL_SYM_GUP))
#define CK_ANY		((1u << PL_SYM_NR) - 1)

/* Namespaces of the name map: the global one, and "a mapping of some process". */
#define CK_GLOBAL	(-1)
#define CK_ANY_MAPPING	(-2)

struct ck_slot {
	const char *name;	/* NULL: empty */
	int owner;
	int val;
};

/* Open-addressing map (owner, name) -> int. */
struct ck_map {
	struct ck_slot *slots;
	size_t cap, n;
};

struct ck_state {
	uint32_t size;			/* current size in pages */
	int first_map, last_map;	/* process: its mapping symbols, in order (-1: none) */
	int next_map;			/* mapping: the next of the same process */
	int def_group, def_thread;
	bool dead;
	enum pl_op dead_op;
	struct pl_pos dead_pos;
	int dead_group, dead_thread;
};

struct checker {
	struct pl_scenario *sc;
	struct pl_diag_list *diags;
	const struct pl_check_opts *opts;
	struct ck_state *st;		/* parallel to sc->syms */
	int cap_st;
	struct ck_map names;		/* (owner, name) -> newest symbol */
	struct ck_map first_def;	/* name -> first step defining it */
	int step;			/* index of the step being checked */
	int group, thread;		/* of that step */
	bool fails;			/* that step expects to fail */
	bool empty_ok;			/* a whole-object reference may have no pages */
	bool placing;			/* an address only (`fixed`, `to`): unmapped names too */
	bool oom;
};

/* ---------------------------------------------------------------------------
 * The name map.
 */
static size_t ck_hash(int owner, const char *name)
{
	size_t h = 2166136261u ^ (size_t)(unsigned int)owner;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h;
}

static struct ck_slot *ck_map_slot(const struct ck_map *m, int owner, const char *name)
{
	size_t i = ck_hash(owner, name) & (m->cap - 1);

	while (m->slots[i].name && (m->slots[i].owner != owner || strcmp(m->slots[i].name, name)))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static int ck_map_get(const struct ck_map *m, int owner, const char *name)
{
	const struct ck_slot *s;

	if (!m->cap)
		return -1;
	s = ck_map_slot(m, owner, name);
	return s->name ? s->val : -1;
}

static bool ck_map_put(struct checker *ck, struct ck_map *m, int owner, const char *name,
		       int val, bool replace)
{
	struct ck_slot *s;

	if ((m->n + 1) * 2 > m->cap) {
		struct ck_map bigger = { NULL, m->cap ? m->cap * 2 : 64, 0 };

		bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
		if (!bigger.slots) {
			ck->oom = true;
			return false;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (m->slots[i].name) {
				*ck_map_slot(&bigger, m->slots[i].owner, m->slots[i].name) =
					m->slots[i];
				bigger.n++;
			}
		}
		free(m->slots);
		*m = bigger;
	}
	s = ck_map_slot(m, owner, name);
	if (s->name && !replace)
		return true;
	if (!s->name)
		m->n++;
	s->name = name;
	s->owner = owner;
	s->val = val;
	return true;
}

/* ---------------------------------------------------------------------------
 * Errors.
 */
/* Record an error at @pos; false, so that `return ck_error(...)` fails the check. */
#define ck_error(ck, pos, ...) \
	pl_diag_error((ck)->diags, (pos).line, (pos).col, __VA_ARGS__)

static const char *ck_article(enum pl_sym_kind k)
{
	return k == PL_SYM_RING || k == PL_SYM_REQ || k == PL_SYM_MR ? "an" : "a";
}

/* "a mapping or a file" */
static void ck_describe_kinds(unsigned int want, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (want == CK_ANY) {
		snprintf(buf, size, "a name");
		return;
	}
	for (int k = 0; k < PL_SYM_NR; k++) {
		if (!(want & CK_BIT(k)))
			continue;
		want &= ~CK_BIT(k);
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s %s",
					len ? (want ? ", " : " or ") : "",
					ck_article((enum pl_sym_kind)k),
					pl_sym_kind_name((enum pl_sym_kind)k));
		if (len >= size)
			return;
	}
}

/* ---------------------------------------------------------------------------
 * Symbols.
 */
static struct pl_sym *ck_sym(struct checker *ck, int sym)
{
	return &ck->sc->syms[sym];
}

/* Dead for the current step?  A release in a parallel sibling may not have happened yet. */
static bool ck_dead(const struct checker *ck, int sym)
{
	const struct ck_state *st = &ck->st[sym];

	if (!st->dead)
		return false;
	return !(ck->group && st->dead_group == ck->group && st->dead_thread != ck->thread);
}

/* Visible to the current step?  A parallel sibling's names are not, until the group ends. */
static bool ck_visible(const struct checker *ck, int sym)
{
	const struct ck_state *st = &ck->st[sym];

	return !(ck->group && st->def_group == ck->group && st->def_thread != ck->thread);
}

static void ck_kill(struct checker *ck, int sym, const struct pl_step *s)
{
	struct ck_state *st = &ck->st[sym];

	st->dead = true;
	st->dead_op = s->op;
	st->dead_pos = s->pos;
	st->dead_group = ck->group;
	st->dead_thread = ck->thread;
}

static int ck_new_sym(struct checker *ck, enum pl_sym_kind kind, const char *name,
		      struct pl_pos pos, int owner, uint32_t size)
{
	int sym = pl_ast_add_sym(ck->sc, kind, name, pos);
	struct ck_state *st;

	if (sym < 0) {
		ck->oom = true;
		return -1;
	}
	if (sym >= ck->cap_st) {
		int cap = ck->cap_st ? ck->cap_st * 2 : 32;
		struct ck_state *n = realloc(ck->st, (size_t)cap * sizeof(*n));

		if (!n) {
			ck->oom = true;
			return -1;
		}
		ck->st = n;
		ck->cap_st = cap;
	}
	st = &ck->st[sym];
	memset(st, 0, sizeof(*st));
	st->size = size;
	st->first_map = st->last_map = st->next_map = -1;
	if (kind == PL_SYM_MAPPING) {
		struct ck_state *o = &ck->st[owner];

		if (o->last_map >= 0)
			ck->st[o->last_map].next_map = sym;
		else
			o->first_map = sym;
		o->last_map = sym;
	}
	st->def_group = ck->group;
	st->def_thread = ck->thread;
	ck_sym(ck, sym)->owner = owner;
	ck_sym(ck, sym)->nr_pages = size;
	ck_sym(ck, sym)->def_step = ck->step;
	if (!ck_map_put(ck, &ck->names, owner >= 0 ? owner : CK_GLOBAL, name, sym, true))
		return -1;
	if (kind == PL_SYM_MAPPING &&
	    !ck_map_put(ck, &ck->names, CK_ANY_MAPPING, name, sym, true))
		return -1;
	return sym;
}

/* An earlier live symbol that a new definition of `name` would clash with. */
static int ck_clash(struct checker *ck, int owner, const char *name)
{
	int old = ck_map_get(&ck->names, owner >= 0 ? owner : CK_GLOBAL, name);

	if (old >= 0 && !ck->st[old].dead)
		return old;
	old = ck_map_get(&ck->names, owner >= 0 ? CK_GLOBAL : CK_ANY_MAPPING, name);
	if (old >= 0 && !ck->st[old].dead)
		return old;
	return -1;
}

/* Define the name in r (owned by process `owner`, -1 = global). */
static int ck_define(struct checker *ck, enum pl_sym_kind kind, int owner, struct pl_ref *r,
		     uint32_t size)
{
	int old = ck_clash(ck, owner, r->name);

	if (old >= 0) {
		const struct pl_step *s = ck->step >= 0 ? &ck->sc->steps[ck->step] : NULL;

		ck_error(ck, r->pos, "duplicate name '%s' (%s %s defined at line %d%s)", r->name,
			 ck_article(ck_sym(ck, old)->kind), pl_sym_kind_name(ck_sym(ck, old)->kind),
			 ck_sym(ck, old)->pos.line,
			 s && s->iter ? ", in an earlier round of its repeat block: release it "
					"in the block" : "");
		return -1;
	}
	r->sym = ck_new_sym(ck, kind, r->name, r->pos, owner, size);
	return r->sym;
}

/* ---------------------------------------------------------------------------
 * References.
 */
static uint32_t ck_count(const struct pl_ref *r)
{
	return r->hi - r->lo + 1;
}

/* Fill in and check the page range of r against the symbol's current size. */
static bool ck_range(struct checker *ck, struct pl_ref *r)
{
	struct pl_sym *y = ck_sym(ck, r->sym);
	uint32_t size = ck->st[r->sym].size;

	if (!(CK_PAGED & CK_BIT(y->kind))) {
		if (r->indexed)
			return ck_error(ck, r->pos, "%s '%s' has no pages to index",
					pl_sym_kind_name(y->kind), r->name);
		return true;
	}
	if (!size && ck->empty_ok && !r->indexed)
		return true;
	if (!size)
		return ck_error(ck, r->pos, "%s '%s' has no pages", pl_sym_kind_name(y->kind),
				r->name);
	if (!r->indexed) {
		r->lo = 0;
		r->hi = size - 1;
		return true;
	}
	if (r->open)
		r->hi = r->lo > size - 1 ? r->lo : size - 1;
	if (r->lo > r->hi)
		return ck_error(ck, r->pos, "empty page range %s[%u..%u]", r->name, r->lo, r->hi);
	if (ck->fails)
		return true;	/* touching past the end may be what the step tests */
	if (r->hi >= size)
		return ck_error(ck, r->pos, "page %u is out of range: %s '%s' has %u page%s",
				r->lo >= size ? r->lo : r->hi, pl_sym_kind_name(y->kind), r->name,
				size, size == 1 ? "" : "s");
	return true;
}

/* Why `name` cannot be found from here. */
static int ck_undefined(struct checker *ck, struct pl_ref *r, unsigned int want, int proc,
			int hidden)
{
	int first = ck_map_get(&ck->first_def, CK_GLOBAL, r->name);
	int mapping = ck_map_get(&ck->names, CK_ANY_MAPPING, r->name);

	if (hidden >= 0) {
		const struct pl_thread *th = &ck->sc->threads[ck->st[hidden].def_thread];

		ck_error(ck, r->pos, "'%s' is created by thread '%s', which runs in parallel "
			 "with this one", r->name, th->name);
		return -1;
	}
	if (first > ck->step) {
		const struct pl_step *d = &ck->sc->steps[first];

		if (d->op == PL_OP_FORK)
			ck_error(ck, r->pos, "process '%s' is used before it is forked at line %d",
				 r->name, d->pos.line);
		else
			ck_error(ck, r->pos, "'%s' is used before it is defined at line %d",
				 r->name, d->pos.line);
		return -1;
	}
	if ((want & CK_BIT(PL_SYM_MAPPING)) &&
	    (mapping >= 0 || (proc >= 0 && !(want & ~(CK_BIT(PL_SYM_MAPPING) |
						    CK_BIT(PL_SYM_FILE)))))) {
		if (proc >= 0)
			ck_error(ck, r->pos, "undefined mapping '%s' in process '%s'", r->name,
				 ck_sym(ck, proc)->name);
		else
			ck_error(ck, r->pos, "mapping '%s' needs a process, as in 'P: %s ...'",
				 r->name, pl_op_name(ck->sc->steps[ck->step].op));
		return -1;
	}
	for (int k = 0; k < PL_SYM_NR; k++) {
		if (want == CK_BIT(k)) {
			ck_error(ck, r->pos, "undefined %s '%s'",
				 pl_sym_kind_name((enum pl_sym_kind)k), r->name);
			return -1;
		}
	}
	ck_error(ck, r->pos, "undefined name '%s'", r->name);
	return -1;
}

/*
 * ck_resolve() - look r up as one of the kinds in `want`; mappings are
 * looked up in process `proc` (-1: none).  Checks kind, liveness and range.
 * Return: the symbol, or -1 (reported).
 */
static int ck_resolve(struct checker *ck, struct pl_ref *r, unsigned int want, int proc)
{
	int sym = -1;
	struct pl_sym *y;
	char kinds[96];

	if (!r->name)
		return -1;
	if (proc >= 0 && (want & CK_BIT(PL_SYM_MAPPING)))
		sym = ck_map_get(&ck->names, proc, r->name);
	if (sym < 0)
		sym = ck_map_get(&ck->names, CK_GLOBAL, r->name);
	if (sym < 0 || !ck_visible(ck, sym))
		return ck_undefined(ck, r, want, proc, sym);
	y = ck_sym(ck, sym);
	if (!(want & CK_BIT(y->kind))) {
		ck_describe_kinds(want, kinds, sizeof(kinds));
		ck_error(ck, r->pos, "expected %s, found %s '%s'", kinds, pl_sym_kind_name(y->kind),
			 r->name);
		return -1;
	}
	if (ck_dead(ck, sym) && !ck->fails && !(ck->placing && y->kind == PL_SYM_MAPPING &&
						   ck->st[sym].dead_op != PL_OP_EXIT)) {
		ck_error(ck, r->pos, "%s '%s' is used after '%s' at line %d",
			 pl_sym_kind_name(y->kind), r->name, pl_op_name(ck->st[sym].dead_op),
			 ck->st[sym].dead_pos.line);
		return -1;
	}
	r->sym = sym;
	return ck_range(ck, r) ? sym : -1;
}

static bool ck_whole(const struct checker *ck, const struct pl_ref *r)
{
	return r->lo == 0 && r->hi + 1 == ck->st[r->sym].size;
}

/*
 * A transfer of `count` pages to or from file pages starting at r->lo: the
 * file must be long enough, and an explicit range must have that length.
 */
static bool ck_file_span(struct checker *ck, struct pl_ref *r, uint32_t count)
{
	uint32_t size = ck->st[r->sym].size;

	if (r->indexed && !r->open && r->hi != r->lo && ck_count(r) != count)
		return ck_error(ck, r->pos, "length mismatch: %u pages of '%s' for %u page%s",
				ck_count(r), r->name, count, count == 1 ? "" : "s");
	r->hi = r->lo + count - 1;
	if ((uint64_t)r->lo + count > size && !ck->fails)
		return ck_error(ck, r->pos,
				"file '%s' is too short: %u page%s at page %u need %llu, it has %u",
				r->name, count, count == 1 ? "" : "s", r->lo,
				(unsigned long long)r->lo + count, size);
	return true;
}

/* ---------------------------------------------------------------------------
 * Steps.
 */
/* A live mapping of its process, under its current name. */
static bool ck_live_mapping(const struct checker *ck, int proc, int i)
{
	return !ck->st[i].dead && ck_map_get(&ck->names, proc, ck->sc->syms[i].name) == i;
}

static void ck_fork(struct checker *ck, struct pl_step *s, int parent)
{
	int child = ck_define(ck, PL_SYM_PROCESS, -1, &s->def, 0);
	int n = 0;

	if (child < 0)
		return;
	for (int i = ck->st[parent].first_map; i >= 0; i = ck->st[i].next_map)
		n += ck_live_mapping(ck, parent, i);
	if (!n)
		return;
	s->inherit = pl_ast_alloc(ck->sc, (size_t)n * 2 * sizeof(int));
	if (!s->inherit) {
		ck->oom = true;
		return;
	}
	/* the copies join the child's list, so the parent's does not move under us */
	for (int i = ck->st[parent].first_map; i >= 0; i = ck->st[i].next_map) {
		const char *name = ck_sym(ck, i)->name;
		int copy;

		if (!ck_live_mapping(ck, parent, i))
			continue;
		copy = ck_new_sym(ck, PL_SYM_MAPPING, name, s->def.pos, child, ck->st[i].size);
		if (copy < 0)
			return;
		ck_sym(ck, copy)->parent = i;
		s->inherit[2 * s->nr_inherit] = i;
		s->inherit[2 * s->nr_inherit + 1] = copy;
		s->nr_inherit++;
	}
}

static void ck_exit(struct checker *ck, const struct pl_step *s, int proc)
{
	ck_kill(ck, proc, s);
	for (int i = ck->st[proc].first_map; i >= 0; i = ck->st[i].next_map)
		if (!ck->st[i].dead)
			ck_kill(ck, i, s);
}

static void ck_mremap(struct checker *ck, struct pl_step *s, int proc)
{
	bool dontunmap = s->flags & PL_STEP_DONTUNMAP;

	if (ck_resolve(ck, &s->a, CK_BIT(PL_SYM_MAPPING), proc) < 0)
		return;
	if (s->b.name) {
		int to;

		ck->placing = true;	/* an unmapped name still gives its address */
		to = ck_resolve(ck, &s->b, CK_BIT(PL_SYM_MAPPING), proc);
		ck->placing = false;
		if (to < 0)
			return;
		if (!s->def.name) {
			ck_error(ck, s->b.pos, "a move to '%s' needs a name for the result, as in "
				 "'P: NAME = mremap %s ... move to %s'", s->b.name, s->a.name,
				 s->b.name);
			return;
		}
		/* MREMAP_FIXED unmaps what the target range held */
		if (!ck->fails && s->b.lo == 0 && s->n >= ck->st[s->b.sym].size &&
		    s->b.sym != s->a.sym && !ck->st[s->b.sym].dead)
			ck_kill(ck, s->b.sym, s);
	}
	if (dontunmap && !s->def.name) {
		ck_error(ck, s->pos, "mremap ... dontunmap needs a name for the moved pages, as in "
			 "'P: NAME = mremap %s ... move dontunmap'", s->a.name);
		return;
	}
	if (s->def.name) {
		bool whole = ck_whole(ck, &s->a);
		int old = s->a.sym;

		/* with MREMAP_DONTUNMAP the old range stays mapped, empty */
		if (ck_define(ck, PL_SYM_MAPPING, proc, &s->def, (uint32_t)s->n) >= 0 && whole &&
		    !ck->fails && !dontunmap)
			ck_kill(ck, old, s);
		return;
	}
	if (s->a.indexed && !ck_whole(ck, &s->a)) {
		ck_error(ck, s->a.pos, "mremap of part of '%s' needs a name for the result, "
			 "as in 'P: NAME = mremap %s[...] ...'", s->a.name, s->a.name);
		return;
	}
	if (!ck->fails)
		ck->st[s->a.sym].size = (uint32_t)s->n;
}

/* `vmsplice M -> PIPE`: the pipe is created by its first vmsplice. */
static void ck_vmsplice(struct checker *ck, struct pl_step *s, int proc)
{
	int pipe = ck_map_get(&ck->names, CK_GLOBAL, s->b.name);

	ck_resolve(ck, &s->a, CK_BIT(PL_SYM_MAPPING), proc);
	if (pipe < 0 || ck->st[pipe].dead)
		ck_define(ck, PL_SYM_PIPE, -1, &s->b, 0);
	else
		ck_resolve(ck, &s->b, CK_BIT(PL_SYM_PIPE), -1);
}

/* `write REF [len N] VALUE`, `read REF [len N]`: a byte count only on a pipe. */
static void ck_rw(struct checker *ck, struct pl_step *s, int proc)
{
	unsigned int want = CK_BIT(PL_SYM_MAPPING) | CK_BIT(PL_SYM_FILE);
	int g = s->a.name ? ck_map_get(&ck->names, CK_GLOBAL, s->a.name) : -1;

	/* (a write names a pipe only once there is one: its errors speak of mappings) */
	if (s->op == PL_OP_READ || (g >= 0 && ck_sym(ck, g)->kind == PL_SYM_PIPE))
		want |= CK_BIT(PL_SYM_PIPE);
	if (ck_resolve(ck, &s->a, want, proc) < 0)
		return;
	if (ck_sym(ck, s->a.sym)->kind != PL_SYM_PIPE && (s->flags & PL_STEP_LEN)) {
		ck_error(ck, s->a.pos, "'len' right after '%s' counts bytes of a pipe; bytes of a "
			 "%s are written '%s[i]+OFFSET len N'", s->a.name,
			 pl_sym_kind_name(ck_sym(ck, s->a.sym)->kind), s->a.name);
	}
}

/* `splice F[i] [len N] -> PIPE`: bytes of one file page into a pipe made by `pipe`. */
static void ck_splice(struct checker *ck, struct pl_step *s)
{
	if (ck_resolve(ck, &s->a, CK_BIT(PL_SYM_FILE), -1) >= 0 && s->a.lo != s->a.hi)
		ck_error(ck, s->a.pos, "splice takes one file page, as in '%s[%u]', not %u",
			 s->a.name, s->a.lo, s->a.hi - s->a.lo + 1);
	ck_resolve(ck, &s->b, CK_BIT(PL_SYM_PIPE), -1);
}

static const enum pl_src ck_src_of_kind[PL_SYM_NR] = {
	[PL_SYM_MAPPING] = PL_SRC_USER, [PL_SYM_PIPE] = PL_SRC_PIPE, [PL_SYM_PIN] = PL_SRC_PIN,
	[PL_SYM_GUP] = PL_SRC_GUP, [PL_SYM_RING] = PL_SRC_RING, [PL_SYM_MR] = PL_SRC_DMA,
	[PL_SYM_FILE] = PL_SRC_FILE,
};

/* One source of a value check: its kind decided, its names resolved; -1 if not. */
static int ck_source(struct checker *ck, struct pl_step *s, enum pl_src *src,
		     struct pl_ref *target, struct pl_ref *r, int proc)
{
	unsigned int want = CK_BIT(PL_SYM_MAPPING) | CK_BIT(PL_SYM_PIPE) | CK_BIT(PL_SYM_PIN) |
			    CK_BIT(PL_SYM_GUP) | CK_BIT(PL_SYM_RING) | CK_BIT(PL_SYM_MR) |
			    CK_BIT(PL_SYM_FILE);
	int sym;

	switch (*src) {
	case PL_SRC_AUTO:
		sym = ck_resolve(ck, r, want, proc);
		if (sym >= 0)
			*src = ck_src_of_kind[ck_sym(ck, sym)->kind];
		return sym;
	case PL_SRC_DMA:
		return ck_resolve(ck, r, CK_BIT(PL_SYM_MR), -1);
	case PL_SRC_DISK:
		return ck_resolve(ck, r, CK_BIT(PL_SYM_FILE), -1);
	default:	/* proc-mem-read, process-vm-readv */
		if (proc < 0) {
			ck_error(ck, s->pos, "'%s' needs a process, as in 'P: check %s ...'",
				 *src == PL_SRC_PROC_MEM ? "proc-mem-read" : "process-vm-readv",
				 *src == PL_SRC_PROC_MEM ? "proc-mem-read" : "process-vm-readv");
			return -1;
		}
		sym = ck_resolve(ck, target, CK_BIT(PL_SYM_PROCESS), -1);
		return sym >= 0 ? ck_resolve(ck, r, CK_BIT(PL_SYM_MAPPING), sym) : -1;
	}
}

/* Pages a source reads: a pipe gives one buffer per read. */
static uint32_t ck_source_pages(enum pl_src src, const struct pl_ref *r)
{
	return src == PL_SRC_PIPE ? 1 : ck_count(r);
}

static void ck_check_value(struct checker *ck, struct pl_step *s, int proc)
{
	int proc2 = proc, a, b;

	a = ck_source(ck, s, &s->src, &s->target, &s->a, proc);
	if (!(s->flags & PL_STEP_CMP))
		return;
	if (s->actor2.name) {
		proc2 = ck_resolve(ck, &s->actor2, CK_BIT(PL_SYM_PROCESS), -1);
		if (proc2 < 0)
			return;
	}
	b = ck_source(ck, s, &s->src2, &s->target2, &s->b, proc2);
	if (a < 0 || b < 0)
		return;
	if ((s->src2 == PL_SRC_USER || s->src2 == PL_SRC_PROC_MEM || s->src2 == PL_SRC_VM_READV) &&
	    proc2 < 0) {
		ck_error(ck, s->b.pos, "reading mapping '%s' needs a process, as in "
			 "'check ... == P: %s'", s->b.name, s->b.name);
		return;
	}
	if (ck_source_pages(s->src, &s->a) != ck_source_pages(s->src2, &s->b))
		ck_error(ck, s->b.pos, "the two sides compare %u and %u pages: they must be as long",
			 ck_source_pages(s->src, &s->a), ck_source_pages(s->src2, &s->b));
	else if (s->a.bytes != s->b.bytes || s->a.has_len != s->b.has_len ||
		 (s->a.has_len && s->a.len != s->b.len))
		ck_error(ck, s->b.pos, "the two sides read different lengths: write the same "
			 "'+OFF len N' on both, or on neither");
}

/* O_DIRECT: a byte offset in the file (@file) needs a byte range in memory (@mem). */
static void ck_dio_bytes(struct checker *ck, const struct pl_ref *file, const struct pl_ref *mem)
{
	if (file->bytes && !mem->has_len && file->sym >= 0 && mem->sym >= 0)
		ck_error(ck, file->off_pos, "a byte offset in the file needs a byte range "
			 "in memory ('%s[N]+OFF len LEN')", mem->name);
}

/*
 * Byte ranges (`M[i]+OFF [len N]`): one page, and only where bytes are
 * read or written: user stores, value checks, O_DIRECT.
 */
static void ck_bytes(struct checker *ck, struct pl_step *s, struct pl_ref *r, bool ok,
		     bool len_ok)
{
	if (!r->bytes || r->sym < 0)
		return;
	if (!ok) {
		ck_error(ck, r->off_pos, "a byte range ('+OFF') does not apply to %s '%s' here: "
			 "only to writes to and reads of a mapping, value checks, O_DIRECT and "
			 "vmsplice",
			 pl_sym_kind_name(ck_sym(ck, r->sym)->kind), r->name);
		return;
	}
	if (r->hi != r->lo) {
		ck_error(ck, r->off_pos, "a byte range lies inside one page: write '%s[N]+%u', "
			 "not %u pages", r->name, r->off, ck_count(r));
		return;
	}
	if (r->has_len && !len_ok)
		ck_error(ck, r->len_pos, "'len' goes on the memory side of '%s'; the file side "
			 "takes only '+OFF'", pl_op_name(s->op));
}

static void ck_step_bytes(struct checker *ck, struct pl_step *s)
{
	bool user;

	switch (s->op) {
	case PL_OP_WRITE:
		user = s->a.sym >= 0 && ck_sym(ck, s->a.sym)->kind == PL_SYM_MAPPING;
		ck_bytes(ck, s, &s->a, user, true);
		if (user && s->a.bytes && !s->a.has_len && s->str &&
		    s->a.off + strlen(s->str) + 1 > PAGE_SIZE)
			ck_error(ck, s->str_pos, "the string and its NUL do not fit in the page at "
				 "offset %u", s->a.off);
		break;
	case PL_OP_CHECK_VALUE:
		ck_bytes(ck, s, &s->a, s->src != PL_SRC_PIPE, true);
		ck_bytes(ck, s, &s->b, s->src2 != PL_SRC_PIPE, true);
		break;
	case PL_OP_DIO_READ:	/* file -> memory */
		ck_bytes(ck, s, &s->a, true, false);
		ck_bytes(ck, s, &s->b, true, true);
		ck_dio_bytes(ck, &s->a, &s->b);
		break;
	case PL_OP_DIO_WRITE:	/* memory -> file */
		ck_bytes(ck, s, &s->a, true, true);
		ck_bytes(ck, s, &s->b, true, false);
		ck_dio_bytes(ck, &s->b, &s->a);
		break;
	case PL_OP_VMSPLICE:	/* memory -> pipe: an iovec of bytes inside one page */
		ck_bytes(ck, s, &s->a, true, true);
		ck_bytes(ck, s, &s->b, false, false);
		if (s->a.bytes && !s->a.has_len && s->a.sym >= 0)
			ck_error(ck, s->a.off_pos, "a vmsplice byte range needs its length: "
				 "'%s[N]+OFF len LEN'", s->a.name);
		break;
	default:
		ck_bytes(ck, s, &s->a, false, false);
		ck_bytes(ck, s, &s->b, false, false);
		break;
	}
	if ((s->op == PL_OP_DIO_READ || s->op == PL_OP_DIO_WRITE) &&
	    (s->op == PL_OP_DIO_READ ? &s->b : &s->a)->bytes &&
	    !(s->op == PL_OP_DIO_READ ? &s->b : &s->a)->has_len)
		ck_error(ck, (s->op == PL_OP_DIO_READ ? &s->b : &s->a)->off_pos,
			 "an O_DIRECT byte range needs its length: '+OFF len LEN'");
}

/* A new handle over the pages of s->a (the range must have resolved). */
static void ck_handle(struct checker *ck, struct pl_step *s, enum pl_sym_kind kind,
		      const struct pl_ref *pages)
{
	if (pages->sym < 0 || ck->fails)
		return;
	ck_define(ck, kind, -1, &s->def, ck_count(pages));
}

/* Resolve a and, unless the step expects to fail, release it. */
static void ck_release(struct checker *ck, struct pl_step *s, enum pl_sym_kind kind)
{
	if (ck_resolve(ck, &s->a, CK_BIT(kind), -1) >= 0 && !ck->fails)
		ck_kill(ck, s->a.sym, s);
}

static void ck_step(struct checker *ck, struct pl_step *s)
{
	const unsigned int map = CK_BIT(PL_SYM_MAPPING), file = CK_BIT(PL_SYM_FILE);
	int proc = -1, sym;

	ck->group = s->group;
	ck->thread = s->thread;
	ck->fails = s->flags & PL_STEP_FAILS;
	if (s->actor.name) {
		bool fails = ck->fails;

		ck->fails = false;	/* the process itself must exist */
		proc = ck_resolve(ck, &s->actor, CK_BIT(PL_SYM_PROCESS), -1);
		ck->fails = fails;
		if (proc < 0)
			return;
	}
	switch (pl_op_form(s->op)) {
	case PL_FORM_PLAIN:
		return;
	case PL_FORM_RANGE:
	case PL_FORM_PAGES:
		ck_resolve(ck, &s->a, map, proc);
		return;
	case PL_FORM_FILE:
		ck_resolve(ck, &s->a, file, -1);
		return;
	case PL_FORM_CREATE:
		if (!ck->fails)
			ck_define(ck, pl_op_kind(s->op), -1, &s->def, 0);
		return;
	case PL_FORM_HANDLE:
		ck_resolve(ck, &s->a, map, proc);
		ck_handle(ck, s, pl_op_kind(s->op), &s->a);
		return;
	case PL_FORM_RELEASE:
		ck_release(ck, s, pl_op_kind(s->op));
		return;
	case PL_FORM_OWN:
		break;
	}
	/* the operations of form OWN (pinlab/ops.def) */
	switch (s->op) {
	case PL_OP_PROCESS:
		ck_define(ck, PL_SYM_PROCESS, -1, &s->def, 0);
		break;
	case PL_OP_FILE:
		ck_define(ck, PL_SYM_FILE, -1, &s->def, (uint32_t)s->n);
		break;
	case PL_OP_UDMABUF_CREATE:	/* pages of a file, no mapping: an MR-like handle */
		if (ck_resolve(ck, &s->a, file, -1) >= 0)
			ck_handle(ck, s, PL_SYM_MR, &s->a);
		break;
	case PL_OP_MMAP:
		if (s->arg == PL_BACKING_FILE && ck_resolve(ck, &s->a, file, -1) < 0)
			break;
		if (s->b.name) {	/* an unmapped name still gives its address */
			ck->placing = true;
			sym = ck_resolve(ck, &s->b, map, proc);
			ck->placing = false;
			if (sym < 0)
				break;
		}
		/* MAP_FIXED over all of a mapping unmaps it first: its name ends */
		if (s->b.name && (s->mflags & PL_MAP_FIXED) && !ck->fails && s->b.lo == 0 &&
		    s->n >= ck->st[s->b.sym].size && !ck->st[s->b.sym].dead)
			ck_kill(ck, s->b.sym, s);
		if (!ck->fails)
			ck_define(ck, PL_SYM_MAPPING, proc, &s->def, (uint32_t)s->n);
		break;
	case PL_OP_MUNMAP:
		if (ck_resolve(ck, &s->a, map, proc) >= 0 && ck_whole(ck, &s->a) && !ck->fails)
			ck_kill(ck, s->a.sym, s);
		break;
	case PL_OP_MREMAP:
		ck_mremap(ck, s, proc);
		break;
	case PL_OP_FORK:
		if (!ck->fails)
			ck_fork(ck, s, proc);
		break;
	case PL_OP_EXIT:
		if (!ck->fails)
			ck_exit(ck, s, proc);
		break;
	case PL_OP_CHECK_PROP:
	case PL_OP_CHECK_COUNT:
		ck_resolve(ck, &s->a, map, proc);
		if (s->op == PL_OP_CHECK_PROP && s->arg == PL_PROP_SAME_PAGE) {
			sym = ck_resolve(ck, &s->target, CK_BIT(PL_SYM_PROCESS), -1);
			if (sym >= 0)
				ck_resolve(ck, &s->b, map, sym);
		}
		break;
	case PL_OP_WRITE:
	case PL_OP_READ:
		ck_rw(ck, s, proc);
		break;
	case PL_OP_SPLICE:
		ck_splice(ck, s);
		break;
	case PL_OP_SEAL:
		ck_resolve(ck, &s->a, file, -1);
		break;
	case PL_OP_TRUNCATE:
		ck->empty_ok = true;	/* a file truncated to nothing may grow again */
		sym = ck_resolve(ck, &s->a, file, -1);
		ck->empty_ok = false;
		if (sym >= 0 && !ck->fails)
			ck->st[sym].size = (uint32_t)s->n;
		break;
	case PL_OP_VMSPLICE:
		ck_vmsplice(ck, s, proc);
		break;
	case PL_OP_IOURING_WRITE_FIXED:
		if (ck_resolve(ck, &s->a, CK_BIT(PL_SYM_RING), -1) >= 0 &&
		    ck_resolve(ck, &s->b, file, -1) >= 0)
			ck_file_span(ck, &s->b, ck->st[s->a.sym].size);
		break;
	case PL_OP_IOURING_READ_FIXED:
		if (ck_resolve(ck, &s->b, CK_BIT(PL_SYM_RING), -1) >= 0 &&
		    ck_resolve(ck, &s->a, file, -1) >= 0)
			ck_file_span(ck, &s->a, ck->st[s->b.sym].size);
		break;
	case PL_OP_DIO_READ:
		if (ck_resolve(ck, &s->b, map, proc) >= 0 && ck_resolve(ck, &s->a, file, -1) >= 0 &&
		    ck_file_span(ck, &s->a, ck_count(&s->b)))
			ck_handle(ck, s, PL_SYM_REQ, &s->b);
		break;
	case PL_OP_DIO_WRITE:
		if (ck_resolve(ck, &s->a, map, proc) >= 0 && ck_resolve(ck, &s->b, file, -1) >= 0 &&
		    ck_file_span(ck, &s->b, ck_count(&s->a)))
			ck_handle(ck, s, PL_SYM_REQ, &s->a);
		break;
	case PL_OP_DMA_WRITE:
		ck_resolve(ck, &s->a, CK_BIT(PL_SYM_MR), -1);
		break;
	case PL_OP_PROC_MEM_WRITE:
	case PL_OP_PROCESS_VM_WRITEV:
	case PL_OP_PTRACE_POKE:
		sym = ck_resolve(ck, &s->target, CK_BIT(PL_SYM_PROCESS), -1);
		if (sym >= 0)
			ck_resolve(ck, &s->a, map, sym);
		break;
	case PL_OP_CHECK_VALUE:
		ck_check_value(ck, s, proc);
		break;
	case PL_OP_SHOW:
		if (s->a.name)
			ck_resolve(ck, &s->a, CK_ANY & ~map, -1);
		break;
	case PL_OP_CHECK_INVARIANTS:
	default:	/* the forms above */
		break;
	}
}

/* ---------------------------------------------------------------------------
 * Header: the backing matrix and the expectations.
 */

/* "v5.19" -> 5019000; "latest" -> the largest; -1 if not a version. */
static long long ck_version(const char *s)
{
	long long v = 0, part = 0;
	int parts = 0;

	if (!strcmp(s, "latest"))
		return 1LL << 62;
	if (*s++ != 'v')
		return -1;
	for (;; s++) {
		if (*s >= '0' && *s <= '9') {
			part = part * 10 + (*s - '0');
			if (part > 999)
				return -1;
			continue;
		}
		if (*s != '.' && *s != '\0')
			return -1;
		if (s[-1] == '.' || s[-1] == 'v' || ++parts > 3)
			return -1;
		v = v * 1000 + part;
		part = 0;
		if (!*s)
			break;
	}
	while (parts++ < 3)
		v *= 1000;
	return v;
}

static int ck_preset_index(const struct checker *ck, const char *name)
{
	for (int i = 0; i < ck->opts->nr_presets; i++)
		if (!strcmp(ck->opts->presets[i], name))
			return i;
	return -1;
}

static bool ck_unknown_preset(struct checker *ck, const char *name, struct pl_pos pos)
{
	char list[256];
	size_t len = 0;

	if (pl_backing_find(name, strlen(name)) >= 0)
		return ck_error(ck, pos, "unknown preset '%s' (it is a backing: write 'with %s')",
				name, name);
	list[0] = '\0';
	for (int i = 0; i < ck->opts->nr_presets && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? " " : "",
					ck->opts->presets[i]);
	return ck_error(ck, pos, "unknown preset '%s' (known: %s)", name, list);
}

/* A range end: a preset name or any version vX.Y. */
static long long ck_endpoint(struct checker *ck, const char *name, struct pl_pos pos)
{
	long long v = ck_version(name);

	if (v < 0 && ck_preset_index(ck, name) < 0) {
		ck_unknown_preset(ck, name, pos);
		return -1;
	}
	return v;
}

/* "v5.10.4": a version of three parts, a stable release rather than a checkpoint */
static bool ck_stable(const char *s)
{
	const char *dot = strchr(s, '.');

	return ck_version(s) >= 0 && dot && strchr(dot + 1, '.');
}

static bool ck_preset_item(struct checker *ck, const struct pl_preset_item *it, uint64_t *mask)
{
	long long lo = 0, hi = 1LL << 62;
	uint64_t m = 0;
	int i;

	if (it->kind == PL_PI_ONE) {
		i = ck_preset_index(ck, it->lo);
		if (i < 0)
			return ck_unknown_preset(ck, it->lo, it->pos);
		*mask |= 1ull << i;
		return true;
	}
	if (it->kind == PL_PI_OLDER || it->kind == PL_PI_RANGE)
		hi = ck_endpoint(ck, it->kind == PL_PI_RANGE ? it->hi : it->lo,
				 it->kind == PL_PI_RANGE ? it->hi_pos : it->pos);
	if (it->kind == PL_PI_NEWER || it->kind == PL_PI_RANGE)
		lo = ck_endpoint(ck, it->lo, it->pos);
	if (lo < 0 || hi < 0)
		return false;
	if (lo > hi)
		return ck_error(ck, it->pos, "empty preset range %s..%s", it->lo, it->hi);
	for (i = 0; i < ck->opts->nr_presets; i++) {
		long long v = ck_version(ck->opts->presets[i]);

		if (v >= lo && v <= hi)
			m |= 1ull << i;
	}
	/* a range that ends at a stable release ("v5.10.4..v5.10.8") may cover
	 * release presets only (ast.c, expect_item_takes()) */
	if (!m && !(it->kind == PL_PI_RANGE && (ck_stable(it->lo) || ck_stable(it->hi))))
		return ck_error(ck, it->pos, "'%s%s%s' matches no preset", it->lo,
				it->kind == PL_PI_RANGE ? ".." : it->kind == PL_PI_OLDER ?
				" and older" : " and newer", it->kind == PL_PI_RANGE ? it->hi : "");
	*mask |= m;
	return true;
}

static void ck_backings(struct checker *ck)
{
	struct pl_scenario *sc = ck->sc;
	struct pl_name *b;

	for (int i = 0; i < sc->nr_backings; i++) {
		b = &sc->backings[i];
		b->idx = pl_backing_find(b->name, strlen(b->name));
		if (b->idx < 0) {
			if (ck_version(b->name) >= 0)
				ck_error(ck, b->pos,
					 "unknown backing '%s' (it looks like a preset)", b->name);
			else
				ck_error(ck, b->pos, "unknown backing '%s'", b->name);
			continue;
		}
		for (int j = 0; j < i; j++)
			if (sc->backings[j].idx == b->idx)
				ck_error(ck, b->pos, "duplicate backing '%s'", b->name);
	}
	if (!sc->nr_backings) {
		b = pl_ast_add_backing(sc);
		if (!b) {
			ck->oom = true;
			return;
		}
		b->name = "base";
		b->idx = pl_backing_find("base", 4);
	}
}

static void ck_expect(struct checker *ck, struct pl_expect *e)
{
	struct pl_scenario *sc = ck->sc;

	e->preset_mask = 0;
	for (int i = 0; i < e->nr_on; i++)
		ck_preset_item(ck, &e->on[i], &e->preset_mask);
	if (!e->nr_on)
		e->preset_mask = ck->opts->nr_presets >= 64 ? ~0ull :
				 (1ull << ck->opts->nr_presets) - 1;
	/* "latest" is a preset of its own (v6.15's rules plus the uprobes rewrite),
	 * newer than every numbered one: "v6.15 and newer" includes it. */

	e->backing_mask = 0;
	for (int i = 0; i < e->nr_with; i++) {
		struct pl_name *w = &e->with[i];
		int j;

		w->idx = pl_backing_find(w->name, strlen(w->name));
		if (w->idx < 0) {
			if (ck_version(w->name) >= 0)
				ck_error(ck, w->pos, "unknown backing '%s' (it is a preset: "
					 "write 'on %s')", w->name, w->name);
			else
				ck_error(ck, w->pos, "unknown backing '%s'", w->name);
			continue;
		}
		for (j = 0; j < sc->nr_backings; j++)
			if (sc->backings[j].idx == w->idx)
				break;
		if (j == sc->nr_backings) {
			if (sc->backing_pos.line)
				ck_error(ck, w->pos, "backing '%s' is not in the matrix (line %d)",
					 w->name, sc->backing_pos.line);
			else
				ck_error(ck, w->pos, "backing '%s' is not in the matrix: without a "
					 "'backing' line the scenario runs on base only", w->name);
			continue;
		}
		if (j < 64)	/* more would be duplicates, reported above */
			e->backing_mask |= 1ull << j;
	}
	if (!e->nr_with)
		e->backing_mask = sc->nr_backings >= 64 ? ~0ull :
				  (1ull << sc->nr_backings) - 1;
}

/* ---------------------------------------------------------------------------
 * Driver.
 */

/* First definition of every name, for "used before it is defined" messages. */
static void ck_first_defs(struct checker *ck)
{
	for (int i = 0; i < ck->sc->nr_steps; i++) {
		const struct pl_step *s = &ck->sc->steps[i];

		if (s->def.name)
			ck_map_put(ck, &ck->first_def, CK_GLOBAL, s->def.name, i, false);
		if (s->op == PL_OP_VMSPLICE && s->b.name)
			ck_map_put(ck, &ck->first_def, CK_GLOBAL, s->b.name, i, false);
	}
}

static void ck_threads(struct checker *ck)
{
	ck->step = -1;
	for (int i = 0; i < ck->sc->nr_threads; i++) {
		struct pl_thread *th = &ck->sc->threads[i];
		struct pl_ref r = { .name = th->name, .pos = th->pos, .sym = -1 };

		th->sym = ck_define(ck, PL_SYM_THREAD, -1, &r, 0);
	}
}

int pl_check(struct pl_scenario *sc, const struct pl_check_opts *opts,
	     struct pl_diag_list *diags)
{
	struct checker ck;
	int before = diags->n + (diags->overflow ? 1 : 0);

	memset(&ck, 0, sizeof(ck));
	ck.sc = sc;
	ck.diags = diags;
	ck.opts = opts;
	ck.thread = -1;

	sc->presets = pl_ast_alloc(sc, (size_t)(opts->nr_presets + 1) * sizeof(char *));
	if (sc->presets) {
		for (int i = 0; i < opts->nr_presets && i < 64; i++)
			sc->presets[i] = pl_ast_strndup(sc, opts->presets[i],
							strlen(opts->presets[i]));
		sc->nr_presets = opts->nr_presets < 64 ? opts->nr_presets : 64;
	}
	ck_backings(&ck);
	for (int i = 0; i < sc->nr_expects && !pl_diag_full(diags); i++)
		ck_expect(&ck, &sc->expects[i]);
	ck_first_defs(&ck);
	ck_threads(&ck);
	for (int i = 0; i < sc->nr_steps && !pl_diag_full(diags) && !ck.oom; i++) {
		ck.step = i;
		ck_step(&ck, &sc->steps[i]);
		ck_step_bytes(&ck, &sc->steps[i]);
	}
	if (ck.oom || sc->oom)
		diags->oom = true;
	free(ck.st);
	free(ck.names.slots);
	free(ck.first_def.slots);
	return diags->n + (diags->overflow ? 1 : 0) > before ? -1 : 0;
}
