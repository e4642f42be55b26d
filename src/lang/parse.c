/*
 * parse.c - recursive-descent parser for .pin scenarios.
 *
 * The grammar is line oriented; the lexer gives us one line of tokens at a
 * time and every statement is one line, except thread blocks, whose body
 * lines are ordinary steps between `thread NAME {` and `}`.  Each parse_*
 * function starts with the production it recognises.  On an error we report
 * it and drop the rest of the line, so one mistake costs one message.
 *
 *	file	-> { comment } 'scenario' STRING { header } { statement }
 *	header	-> 'backing' ... | 'expect' ...
 *	statement -> step | 'thread' NAME '{' { step } '}'
 *	step	-> [NAME ':'] [NAME '='] op args ['may-fail' | 'fails' [ERRNO]] ['as' CLASS]
 *
 * Which operations take a process (`P:`), which name a result (`x =`), and
 * which function parses their arguments is one table, op_syntax[], indexed
 * by operation and written in include/pinlab/ops.def.
 *
 * Over 900 lines: one parse_* function per production, each with its
 * production above it; they share the parser's token cursor.
 */
#include "lang/parse.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lex.h"

struct parser {
	struct pl_scenario *sc;
	struct pl_diag_list *diags;
	struct pl_lexer lx;
	struct pl_line ln;
	int i;				/* next token in ln */
	int nr_stmts;
	bool have_scenario;
	struct pl_pos first_step;	/* line 0: no step yet */
	int thread;			/* open thread block, -1 if none */
	int thread_steps;		/* statement lines in the open block */
	int skip_braces;		/* '}' of wrongly nested blocks still to come */
	bool after_thread;		/* the last statement closed a thread block */
	struct pl_pos loop_pos;		/* open `repeat` block; line 0 if none */
	uint64_t loop_n;		/* its bound */
	int loop_first;			/* its first step */
	int loop_skip;			/* a bad `repeat` line: its '}' is skipped */
	char *desc;			/* description being collected */
	size_t desc_len, desc_cap;
};

/* ---------------------------------------------------------------------------
 * Tokens.
 */
static struct pl_token *pz_peek(struct parser *p)
{
	return &p->ln.toks[p->i];
}

static struct pl_token *pz_peek_at(struct parser *p, int k)
{
	return &p->ln.toks[p->i + k > p->ln.n ? p->ln.n : p->i + k];
}

static struct pl_token *pz_next(struct parser *p)
{
	struct pl_token *t = pz_peek(p);

	if (p->i < p->ln.n)
		p->i++;
	return t;
}

static bool pz_at(struct parser *p, enum pl_tok t)
{
	return pz_peek(p)->t == t;
}

static bool pz_accept(struct parser *p, enum pl_tok t)
{
	if (!pz_at(p, t))
		return false;
	pz_next(p);
	return true;
}

/* A word or keyword spelled `w` (contextual words are matched by text). */
static bool pz_is_word(const struct pl_token *t, const char *w)
{
	size_t len = strlen(w);

	return (t->t == TK_WORD || t->t == TK_KW) && t->len == len && !memcmp(t->s, w, len);
}

static bool pz_accept_word(struct parser *p, const char *w)
{
	if (!pz_is_word(pz_peek(p), w))
		return false;
	pz_next(p);
	return true;
}

static bool pz_at_kw(struct parser *p, enum pl_kw kw)
{
	return pz_peek(p)->t == TK_KW && pz_peek(p)->kw == kw;
}

static struct pl_pos pz_pos(const struct pl_token *t)
{
	struct pl_pos pos = { t->line, t->col };

	return pos;
}

/* ---------------------------------------------------------------------------
 * Errors.
 */
/* Record an error at @pos; false, so that `return pz_error_at(...)` fails the parse. */
#define pz_error_at(p, pos, ...) \
	pl_diag_error((p)->diags, (pos).line, (pos).col, __VA_ARGS__)

/* "expected WHAT, found TOKEN" at the current token. */
static bool pz_expected(struct parser *p, const char *what)
{
	char found[64];

	pl_tok_describe(pz_peek(p), found, sizeof(found));
	return pz_error_at(p, pz_pos(pz_peek(p)), "expected %s, found %s", what, found);
}

static bool pz_expect(struct parser *p, enum pl_tok t, const char *what)
{
	if (pz_accept(p, t))
		return true;
	return pz_expected(p, what);
}

static bool pz_expect_eol(struct parser *p)
{
	return pz_at(p, TK_EOL) || pz_expected(p, "end of line");
}

static const char *pz_text(struct parser *p, const struct pl_token *t)
{
	return pl_ast_strndup(p->sc, t->s, t->len);
}

/* ---------------------------------------------------------------------------
 * Operands.
 */

/* name -> WORD  (letters, digits, '_' and '-'; not a keyword) */
static bool parse_name(struct parser *p, struct pl_ref *r, const char *what)
{
	struct pl_token *t = pz_peek(p);

	if (t->t == TK_KW) {
		return pz_error_at(p, pz_pos(t), "expected %s, found keyword '%s'", what,
				   pl_kw_name(t->kw));
	}
	if (t->t != TK_WORD)
		return pz_expected(p, what);
	if (memchr(t->s, '.', t->len)) {
		return pz_error_at(p, pz_pos(t),
				   "bad name '%.*s': names are letters, digits, '_' and '-'",
				   (int)(t->len > 32 ? 32 : t->len), t->s);
	}
	if (t->len > PL_NAME_MAX) {
		return pz_error_at(p, pz_pos(t), "name too long: %zu characters, the limit is %d",
				   t->len, PL_NAME_MAX);
	}
	pz_next(p);
	r->name = pz_text(p, t);
	r->pos = pz_pos(t);
	return true;
}

/* index -> NUMBER  (a plain page index) */
static bool parse_index(struct parser *p, uint32_t *out)
{
	struct pl_token *t = pz_peek(p);

	if (t->t != TK_NUM)
		return pz_expected(p, "a page index");
	if (t->sized) {
		return pz_error_at(p, pz_pos(t), "page index must be a plain number, found '%.*s'",
				   (int)t->len, t->s);
	}
	if (t->num >= PL_MAX_PAGES) {
		return pz_error_at(p, pz_pos(t), "page index too large: %llu",
				   (unsigned long long)t->num);
	}
	*out = (uint32_t)t->num;
	pz_next(p);
	return true;
}

/* bytes -> '+' NUMBER ['len' NUMBER]  (a byte offset and length inside one page) */
static bool parse_bytes(struct parser *p, struct pl_ref *r)
{
	struct pl_token *t = pz_peek(p);

	r->bytes = true;
	r->off_pos = pz_pos(t);
	pz_next(p);
	t = pz_peek(p);
	if (t->t != TK_NUM)
		return pz_expected(p, "a byte offset");
	if (t->num >= PAGE_SIZE)
		return pz_error_at(p, pz_pos(t), "byte offset %llu is past the %lu-byte page",
				   (unsigned long long)t->num, PAGE_SIZE);
	r->off = (uint32_t)t->num;
	pz_next(p);
	if (!pz_is_word(pz_peek(p), "len"))
		return true;
	pz_next(p);
	t = pz_peek(p);
	if (t->t != TK_NUM)
		return pz_expected(p, "a length in bytes");
	if (t->num == 0 || t->num > PAGE_SIZE - r->off)
		return pz_error_at(p, pz_pos(t), "byte length %llu does not fit in the page at "
				   "offset %u (1 to %lu bytes)", (unsigned long long)t->num, r->off,
				   PAGE_SIZE - r->off);
	r->has_len = true;
	r->len = (uint32_t)t->num;
	r->len_pos = pz_pos(t);
	pz_next(p);
	return true;
}

/* ref -> NAME ['[' index ['..' [index]] ']'] [bytes] */
static bool parse_ref(struct parser *p, struct pl_ref *r, const char *what)
{
	if (!parse_name(p, r, what))
		return false;
	if (!pz_accept(p, TK_LBRACKET))
		return pz_at(p, TK_PLUS) ? parse_bytes(p, r) : true;
	r->indexed = true;
	if (!parse_index(p, &r->lo))
		return false;
	r->hi = r->lo;
	if (pz_accept(p, TK_DOTDOT)) {
		if (pz_at(p, TK_RBRACKET))
			r->open = true;
		else if (!parse_index(p, &r->hi))
			return false;
	}
	if (!pz_expect(p, TK_RBRACKET, "']'"))
		return false;
	return pz_at(p, TK_PLUS) ? parse_bytes(p, r) : true;
}

/* size -> NUMBER ('page' | 'pages') | NUMBER ('K' | 'M' | 'G') */
static bool parse_size(struct parser *p, uint64_t *pages, bool zero_ok)
{
	struct pl_token *t = pz_peek(p);
	uint64_t n;

	if (t->t != TK_NUM)
		return pz_expected(p, "a size (N pages, or bytes with K, M or G)");
	pz_next(p);
	if (t->sized) {
		if (t->num % PAGE_SIZE) {
			return pz_error_at(p, pz_pos(t),
					   "size '%.*s' is not a multiple of the %luK page size",
					   (int)t->len, t->s, PAGE_SIZE >> 10);
		}
		n = t->num / PAGE_SIZE;
	} else {
		n = t->num;
		if (!pz_accept_word(p, "pages") && !pz_accept_word(p, "page"))
			return pz_expected(p, "'page' or 'pages'");
	}
	if (n == 0 && !zero_ok)
		return pz_error_at(p, pz_pos(t), "size must be at least one page");
	if (n > PL_MAX_PAGES) {
		return pz_error_at(p, pz_pos(t), "size too large: %llu pages, the limit is %u",
				   (unsigned long long)n, PL_MAX_PAGES);
	}
	*pages = n;
	return true;
}

/* count -> NUMBER */
static bool parse_count(struct parser *p, uint64_t *out, uint64_t min)
{
	struct pl_token *t = pz_peek(p);

	if (t->t != TK_NUM || t->sized)
		return pz_expected(p, "a count");
	if (t->num < min)
		return pz_error_at(p, pz_pos(t), "expected a count of at least %llu, found %llu",
				   (unsigned long long)min, (unsigned long long)t->num);
	if (t->num > PL_MAX_PAGES)
		return pz_error_at(p, pz_pos(t), "count too large: %llu, the limit is %u",
				   (unsigned long long)t->num, PL_MAX_PAGES);
	*out = t->num;
	pz_next(p);
	return true;
}

/*
 * word -> WORD  (one of a vocabulary table: "unknown NOUN 'x'", or
 * "expected a NOUN, found ..." when not a word at all)
 */
static bool parse_word_in(struct parser *p, const struct pl_word *table, const char *noun,
			  int *value)
{
	struct pl_token *t = pz_peek(p);
	const struct pl_word *w;
	char what[64];

	if (t->t == TK_WORD || t->t == TK_KW) {
		w = pl_word_find(table, t->s, t->len);
		if (!w) {
			return pz_error_at(p, pz_pos(t), "unknown %s '%.*s'", noun,
					   (int)(t->len > 32 ? 32 : t->len), t->s);
		}
		pz_next(p);
		*value = w->value;
		return true;
	}
	snprintf(what, sizeof(what), "%s %s", strchr("aeiou", noun[0]) ? "an" : "a", noun);
	return pz_expected(p, what);
}

/* value -> STRING | 'zero' */
static bool parse_value(struct parser *p, struct pl_step *s)
{
	struct pl_token *t = pz_peek(p);

	if (pz_accept_word(p, "zero")) {
		s->flags |= PL_STEP_ZERO;
		s->str_pos = pz_pos(t);
		return true;
	}
	if (t->t != TK_STR)
		return pz_expected(p, "a string");
	pz_next(p);
	s->str = pz_text(p, t);
	s->str_pos = pz_pos(t);
	return true;
}

/* string -> STRING */
static bool parse_string(struct parser *p, const char **out, struct pl_pos *pos)
{
	struct pl_token *t = pz_peek(p);

	if (t->t != TK_STR)
		return pz_expected(p, "a string");
	pz_next(p);
	*out = pz_text(p, t);
	if (pos)
		*pos = pz_pos(t);
	return true;
}

/* ---------------------------------------------------------------------------
 * Operations.  Each gets the step with actor, def and op filled in and the
 * keyword consumed.
 */

/* args -> (nothing) */
static bool parse_args_none(struct parser *p, struct pl_step *s)
{
	(void)p;
	(void)s;
	return true;
}

/* args -> ref */
static bool parse_args_ref(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a name");
}

/* args -> NAME */
static bool parse_args_name(struct parser *p, struct pl_step *s)
{
	return parse_name(p, &s->a, "a name");
}

/* args -> ref value */
static bool parse_args_ref_value(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a name") && parse_value(p, s);
}

/*
 * len -> 'len' (NUMBER | NUMBER ('K' | 'M') | NUMBER ('page' | 'pages'))
 * A byte count, 1 .. max (64K: what a pipe holds); s->n, flags&LEN.
 */
static bool parse_len(struct parser *p, struct pl_step *s, uint64_t max)
{
	struct pl_token *t;
	uint64_t n;

	if (!pz_accept_word(p, "len"))
		return true;
	t = pz_peek(p);
	if (t->t != TK_NUM)
		return pz_expected(p, "a length in bytes (N, NK, or N pages)");
	pz_next(p);
	n = t->num;
	if (!t->sized && (pz_accept_word(p, "pages") || pz_accept_word(p, "page")))
		n *= PAGE_SIZE;
	if (n == 0 || n > max)
		return pz_error_at(p, pz_pos(t), "length must be 1 to %llu bytes, found %llu",
				   (unsigned long long)max, (unsigned long long)n);
	s->n = n;
	s->flags |= PL_STEP_LEN;
	return true;
}

/* write -> 'write' ref ['len' LEN] value */
static bool parse_write(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a name") && parse_len(p, s, 16 * PAGE_SIZE) &&
	       parse_value(p, s);
}

/* read -> 'read' ref ['len' LEN] */
static bool parse_read(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a name") && parse_len(p, s, 16 * PAGE_SIZE);
}

/* splice -> 'splice' ref ['len' LEN] '->' NAME */
static bool parse_splice(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a file name") && parse_len(p, s, PAGE_SIZE) &&
	       pz_expect(p, TK_ARROW, "'->'") && parse_name(p, &s->b, "a pipe name");
}

/* args -> ref '->' ref */
static bool parse_args_flow(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a name") && pz_expect(p, TK_ARROW, "'->'") &&
	       parse_ref(p, &s->b, "a name");
}

/* process -> 'process' NAME */
static bool parse_process(struct parser *p, struct pl_step *s)
{
	return parse_name(p, &s->def, "a process name");
}

/* file -> 'file' NAME FS size [STRING] ['ro']  (ro: the fd is O_RDONLY; prot = READ) */
static bool parse_file(struct parser *p, struct pl_step *s)
{
	if (!parse_name(p, &s->def, "a file name") ||
	    !parse_word_in(p, pl_fs_words, "filesystem", &s->arg) || !parse_size(p, &s->n, false))
		return false;
	if (pz_at(p, TK_STR) && !parse_string(p, &s->str, &s->str_pos))
		return false;
	if (pz_accept_word(p, "ro"))
		s->prot = PL_PROT_READ;
	return true;
}

/* swapon -> 'swapon' NUMBER */
static bool parse_swapon(struct parser *p, struct pl_step *s)
{
	return parse_count(p, &s->n, 1);
}

/* memlock -> 'memlock' size  (RLIMIT_MEMLOCK of every process, in pages) */
static bool parse_memlock(struct parser *p, struct pl_step *s)
{
	return parse_size(p, &s->n, true);
}

/* hugetlb-pool -> 'hugetlb-pool' NUMBER */
static bool parse_hugetlb_pool(struct parser *p, struct pl_step *s)
{
	return parse_count(p, &s->n, 0);
}

/* thp -> 'thp' ('always' | 'madvise' | 'never') */
static bool parse_thp(struct parser *p, struct pl_step *s)
{
	return parse_word_in(p, pl_thp_words, "THP mode", &s->arg);
}

/*
 * mmap -> 'mmap' size { mmap_opt }
 * mmap_opt -> PROT | 'private' | 'shared' | 'populate' | 'locked' | 'pud-aligned'
 *	     | BACKING | 'file' NAME | 'backing'
 */
static bool parse_mmap(struct parser *p, struct pl_step *s)
{
	bool have_prot = false, have_share = false, have_backing = false;

	s->prot = PL_PROT_READ | PL_PROT_WRITE;
	s->mflags = PL_MAP_PRIVATE;
	s->arg = PL_BACKING_MATRIX;
	if (!parse_size(p, &s->n, false))
		return false;
	while (pz_peek(p)->t == TK_WORD || (pz_peek(p)->t == TK_KW && !pz_at_kw(p, KW_FAILS) &&
					    !pz_at_kw(p, KW_AS))) {
		struct pl_token *t = pz_peek(p);
		const struct pl_word *w = pl_word_find(pl_prot_words, t->s, t->len);
		int b = pl_backing_find(t->s, t->len);
		bool dup;

		if (w) {
			dup = have_prot;
			have_prot = true;
			s->prot = w->value;
		} else if (pz_is_word(t, "private") || pz_is_word(t, "shared")) {
			dup = have_share;
			have_share = true;
			s->mflags &= ~(unsigned int)(PL_MAP_PRIVATE | PL_MAP_SHARED);
			s->mflags |= pz_is_word(t, "shared") ? PL_MAP_SHARED : PL_MAP_PRIVATE;
		} else if (pz_is_word(t, "populate") || pz_is_word(t, "locked") ||
			   pz_is_word(t, "movable") || pz_is_word(t, "cma") ||
			   pz_is_word(t, "secret") || pz_is_word(t, "pfnmap") ||
			   pz_is_word(t, "pud-aligned")) {
			unsigned int f = PL_MAP_LOCKED;

			if (pz_is_word(t, "pud-aligned"))
				f = PL_MAP_PUD_ALIGNED;
			else if (pz_is_word(t, "populate"))
				f = PL_MAP_POPULATE;
			else if (pz_is_word(t, "secret"))
				f = PL_MAP_SECRET;
			else if (pz_is_word(t, "pfnmap"))
				f = PL_MAP_PFNMAP;
			else if (pz_is_word(t, "movable"))
				f = PL_MAP_MOVABLE;
			else if (pz_is_word(t, "cma"))
				f = PL_MAP_CMA;
			dup = (s->mflags & f) ||
			      ((f & (PL_MAP_MOVABLE | PL_MAP_CMA)) &&
			       (s->mflags & (PL_MAP_MOVABLE | PL_MAP_CMA)));
			s->mflags |= f;
		} else if (pz_is_word(t, "fixed") || pz_is_word(t, "fixed-noreplace")) {
			dup = s->b.name != NULL;
			if (!dup) {
				s->mflags |= pz_is_word(t, "fixed") ? PL_MAP_FIXED
								    : PL_MAP_FIXED_NOREPLACE;
				pz_next(p);
				if (!parse_ref(p, &s->b, "a mapping name (the address)"))
					return false;
				continue;
			}
		} else if (pz_is_word(t, "file") || pz_is_word(t, "backing") || b >= 0) {
			dup = have_backing;
			have_backing = true;
			if (pz_is_word(t, "file") && !dup) {
				pz_next(p);
				if (!parse_name(p, &s->a, "a file name"))
					return false;
				s->arg = PL_BACKING_FILE;
				continue;
			}
			s->arg = b >= 0 ? b : PL_BACKING_MATRIX;
		} else {
			return pz_error_at(p, pz_pos(t), "unknown mmap option '%.*s'",
					   (int)(t->len > 32 ? 32 : t->len), t->s);
		}
		if (dup) {
			return pz_error_at(p, pz_pos(t),
					   "'%.*s' repeats or contradicts an earlier option",
					   (int)t->len, t->s);
		}
		pz_next(p);
	}
	return true;
}

/* mremap -> 'mremap' ref size ['move' ['to' ref] ['dontunmap']] */
static bool parse_mremap(struct parser *p, struct pl_step *s)
{
	if (!parse_ref(p, &s->a, "a mapping name") || !parse_size(p, &s->n, false))
		return false;
	if (!pz_accept_word(p, "move")) {
		if (pz_is_word(pz_peek(p), "to") || pz_is_word(pz_peek(p), "dontunmap"))
			return pz_error_at(p, pz_pos(pz_peek(p)), "'%s' needs 'move' before it "
					   "(MREMAP_FIXED and MREMAP_DONTUNMAP need MREMAP_MAYMOVE)",
					   pz_is_word(pz_peek(p), "to") ? "to" : "dontunmap");
		return true;
	}
	s->flags |= PL_STEP_MOVE;
	if (pz_accept_word(p, "to") && !parse_ref(p, &s->b, "a mapping name (the address)"))
		return false;
	if (pz_accept_word(p, "dontunmap"))
		s->flags |= PL_STEP_DONTUNMAP;
	return true;
}

/* mprotect -> 'mprotect' ref PROT */
static bool parse_mprotect(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a mapping name") &&
	       parse_word_in(p, pl_prot_words, "protection", &s->prot);
}

/* madvise -> 'madvise' ref ADVICE */
static bool parse_madvise(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a mapping name") &&
	       parse_word_in(p, pl_madv_words, "madvise advice", &s->arg);
}

/*
 * uffd_writeprotect -> 'uffd-writeprotect' ref ('on' | 'off') ['fork-event']
 * arg: bit 0 protect, bit 1 UFFD_FEATURE_EVENT_FORK
 */
static bool parse_uffd_wp(struct parser *p, struct pl_step *s)
{
	if (!parse_ref(p, &s->a, "a mapping name"))
		return false;
	if (pz_accept_word(p, "on"))
		s->arg = 1;
	else if (!pz_accept_word(p, "off"))
		return pz_expected(p, "'on' or 'off'");
	if (s->arg && pz_accept_word(p, "fork-event"))
		s->arg |= 2;
	return true;
}

/* fork -> 'fork' NAME */
static bool parse_fork(struct parser *p, struct pl_step *s)
{
	return parse_name(p, &s->def, "a name for the child process");
}

/* truncate -> 'truncate' NAME size */
static bool parse_truncate(struct parser *p, struct pl_step *s)
{
	return parse_name(p, &s->a, "a file name") && parse_size(p, &s->n, true);
}

/* vmsplice -> 'vmsplice' ref '->' NAME */
static bool parse_vmsplice(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a mapping name") && pz_expect(p, TK_ARROW, "'->'") &&
	       parse_name(p, &s->b, "a pipe name");
}

/* iouring-write-fixed -> 'iouring-write-fixed' NAME '->' ref */
static bool parse_iouring_write(struct parser *p, struct pl_step *s)
{
	return parse_name(p, &s->a, "an io_uring buffer name") &&
	       pz_expect(p, TK_ARROW, "'->'") && parse_ref(p, &s->b, "a file name");
}

/* iouring-read-fixed -> 'iouring-read-fixed' ref '->' NAME */
static bool parse_iouring_read(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a file name") && pz_expect(p, TK_ARROW, "'->'") &&
	       parse_name(p, &s->b, "an io_uring buffer name");
}

/* prot_rw -> 'r' | 'ro' | 'rw'  (a pin or registration, never 'none') */
static bool parse_prot_rw(struct parser *p, struct pl_step *s)
{
	struct pl_token *t = pz_peek(p);

	if (pz_is_word(t, "none") || pz_is_word(t, "rx") || pz_is_word(t, "rwx"))
		return pz_expected(p, "'ro' or 'rw'");
	return parse_word_in(p, pl_prot_words, "protection", &s->prot);
}

/* rdma-reg -> 'rdma-reg' ref ('ro' | 'rw') */
static bool parse_rdma_reg(struct parser *p, struct pl_step *s)
{
	if (!parse_ref(p, &s->a, "a mapping name") || !parse_prot_rw(p, s))
		return false;
	if (pz_accept_word(p, "odp"))
		s->flags |= PL_STEP_ODP;
	return true;
}

/* vfio-map -> 'vfio-map' ref ('ro' | 'rw') */
static bool parse_vfio_map(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a mapping name") && parse_prot_rw(p, s);
}

/* seal -> 'seal' NAME ('shrink' | 'grow' | 'write' | 'future-write')  (F_ADD_SEALS) */
static bool parse_seal(struct parser *p, struct pl_step *s)
{
	return parse_name(p, &s->a, "a file name") &&
	       parse_word_in(p, pl_seal_words, "seal", &s->arg);
}

/* udmabuf-create -> 'udmabuf-create' ref  (pages of a file, by index) */
static bool parse_udmabuf(struct parser *p, struct pl_step *s)
{
	return parse_ref(p, &s->a, "a file name");
}

/* pin -> 'pin' ref ('ro' | 'rw') ['fast'] */
static bool parse_pin(struct parser *p, struct pl_step *s)
{
	if (!parse_ref(p, &s->a, "a mapping name") || !parse_prot_rw(p, s))
		return false;
	if (pz_accept_word(p, "fast"))
		s->flags |= PL_STEP_FAST;
	return true;
}

/* The most calls one `gup ... times N` makes (each holds its references). */
#define PL_GUP_MAX_TIMES 65536

/* gup -> 'gup' ref FOLL_FLAG { '|' FOLL_FLAG } ['fast'] ['times' NUMBER] */
static bool parse_gup(struct parser *p, struct pl_step *s)
{
	struct pl_pos pos;
	int flag;

	if (!parse_ref(p, &s->a, "a mapping name"))
		return false;
	pos = pz_pos(pz_peek(p));
	do {
		if (!parse_word_in(p, pl_foll_words, "GUP flag", &flag))
			return false;
		s->gup_flags |= (unsigned int)flag;
	} while (pz_accept(p, TK_BAR));
	if ((s->gup_flags & FOLL_GET) && (s->gup_flags & FOLL_PIN))
		return pz_error_at(p, pos, "FOLL_GET and FOLL_PIN cannot be combined");
	if (!(s->gup_flags & (FOLL_GET | FOLL_PIN)))
		return pz_error_at(p, pos, "gup needs FOLL_GET or FOLL_PIN");
	if (pz_accept_word(p, "fast"))
		s->flags |= PL_STEP_FAST;
	s->n = 1;
	if (pz_accept_word(p, "times")) {
		struct pl_pos npos = pz_pos(pz_peek(p));

		if (!parse_count(p, &s->n, 1))
			return false;
		if (s->n > PL_GUP_MAX_TIMES)
			return pz_error_at(p, npos, "gup repeated too often: %llu times, the limit is %u",
					   (unsigned long long)s->n, PL_GUP_MAX_TIMES);
	}
	return true;
}

/* remote_write -> ('proc-mem-write' | 'process-vm-writev') NAME ref value */
static bool parse_remote_write(struct parser *p, struct pl_step *s)
{
	return parse_name(p, &s->target, "a process name") &&
	       parse_ref(p, &s->a, "a mapping name") && parse_value(p, s);
}

/* show -> 'show' [NAME] */
static bool parse_show(struct parser *p, struct pl_step *s)
{
	if (pz_at(p, TK_EOL))
		return true;
	return parse_name(p, &s->a, "a name or end of line");
}

/*
 * source -> ['read'] ref | 'dma-read' ref | 'disk' ref
 *	   | ('proc-mem-read' | 'process-vm-readv') NAME ref
 * *plain: no keyword was written (`ref is PROP` is then possible).
 */
static bool parse_source(struct parser *p, enum pl_src *src, struct pl_ref *target,
			 struct pl_ref *ref, bool *plain)
{
	struct pl_token *t = pz_peek(p);

	*src = PL_SRC_AUTO;
	*plain = true;
	if (t->t == TK_KW) {
		switch ((int)t->kw) {
		case KW_OP(PL_OP_READ):
			break;
		case KW_DMA_READ:
			*src = PL_SRC_DMA;
			break;
		case KW_DISK:
			*src = PL_SRC_DISK;
			break;
		case KW_PROC_MEM_READ:
			*src = PL_SRC_PROC_MEM;
			break;
		case KW_PROCESS_VM_READV:
			*src = PL_SRC_VM_READV;
			break;
		default:
			return pz_expected(p, "something to check");
		}
		pz_next(p);
		*plain = false;
	}
	if ((*src == PL_SRC_PROC_MEM || *src == PL_SRC_VM_READV) &&
	    !parse_name(p, target, "a process name"))
		return false;
	return parse_ref(p, ref, "a name");
}

/*
 * other -> value | [NAME ':'] source  (what a value check compares with: a
 * value, or a second observation, read by NAME or by the step's process)
 */
static bool parse_other(struct parser *p, struct pl_step *s)
{
	struct pl_token *t = pz_peek(p);
	bool plain;

	if (t->t == TK_STR || pz_is_word(t, "zero"))
		return parse_value(p, s);
	if (t->t != TK_WORD && t->t != TK_KW)
		return pz_expected(p, "a string, 'zero' or something to compare with");
	s->flags |= PL_STEP_CMP;
	if ((t->t == TK_WORD || t->t == TK_KW) && pz_peek_at(p, 1)->t == TK_COLON) {
		if (!parse_name(p, &s->actor2, "a process name"))
			return false;
		pz_next(p);
	}
	s->str_pos = pz_pos(pz_peek(p));
	return parse_source(p, &s->src2, &s->target2, &s->b, &plain);
}

/*
 * check  -> 'check' 'invariants'
 *	   | 'check' COUNT ref cmp NUMBER
 *	   | 'check' ref 'is' ['not'] PROPERTY
 *	   | 'check' ref 'is' ['not'] 'same-page' NAME ref
 *	   | 'check' source cmp other
 * cmp    -> '==' | '!='
 * COUNT  -> 'refcount' | 'mapcount' | 'pincount'
 */
static bool parse_check(struct parser *p, struct pl_step *s)
{
	struct pl_token *t = pz_peek(p);
	bool plain = true;
	int v;

	if (pz_at_kw(p, KW_INVARIANTS)) {
		pz_next(p);
		s->op = PL_OP_CHECK_INVARIANTS;
		return true;
	}
	if (t->t == TK_KW && (t->kw == KW_REFCOUNT || t->kw == KW_MAPCOUNT ||
			      t->kw == KW_PINCOUNT)) {
		pz_next(p);
		s->op = PL_OP_CHECK_COUNT;
		s->arg = t->kw == KW_REFCOUNT ? PL_COUNT_REFCOUNT :
			 t->kw == KW_MAPCOUNT ? PL_COUNT_MAPCOUNT : PL_COUNT_PINCOUNT;
		if (!parse_ref(p, &s->a, "a mapping name"))
			return false;
		if (pz_accept(p, TK_NE))
			s->flags |= PL_STEP_NE;
		else if (!pz_expect(p, TK_EQ, "'==' or '!='"))
			return false;
		return parse_count(p, &s->n, 0);
	}
	s->op = PL_OP_CHECK_VALUE;
	if (!parse_source(p, &s->src, &s->target, &s->a, &plain))
		return false;
	if (plain && pz_accept_word(p, "is")) {
		s->op = PL_OP_CHECK_PROP;
		if (pz_accept_word(p, "not"))
			s->flags |= PL_STEP_NOT;
		if (!parse_word_in(p, pl_prop_words, "page property", &v))
			return false;
		s->arg = v;
		if (v == PL_PROP_SAME_PAGE)
			return parse_name(p, &s->target, "a process name") &&
			       parse_ref(p, &s->b, "a mapping name");
		return true;
	}
	if (pz_accept(p, TK_NE))
		s->flags |= PL_STEP_NE;
	else if (!pz_expect(p, TK_EQ, plain ? "'==', '!=' or 'is'" : "'==' or '!='"))
		return false;
	return parse_other(p, s);
}

/* ---------------------------------------------------------------------------
 * The operation table.
 */
enum { ACTOR_NO, ACTOR_OPT, ACTOR_REQ };
enum { DEF_NO, DEF_REQ, DEF_OPT, DEF_OPERAND };

struct op_syntax {
	enum pl_op op;
	unsigned char actor;	/* may or must the step name a process? */
	unsigned char def;	/* may or must it name its result? */
	bool decl;		/* a declaration or setting: no threads, no 'fails' */
	bool (*parse)(struct parser *p, struct pl_step *s);
};

/*
 * Indexed by operation: the grammar entries of pinlab/ops.def.  A NULL
 * parse (the check ops after the first) means the keyword does not start
 * a step of its own.
 */
static const struct op_syntax op_syntax[PL_OP_NR] = {
#define PL_OP(id, keyword, actor, def, decl, parse, form, kind) \
	[PL_OP_##id] = { PL_OP_##id, ACTOR_##actor, DEF_##def, decl, parse },
#include "pinlab/ops.def"
#undef PL_OP
};

static bool pz_is_check(enum pl_op op)
{
	return op >= PL_OP_CHECK_VALUE && op <= PL_OP_CHECK_INVARIANTS;
}

/* trailer -> ['may-fail' | 'fails' [ERRNO] | 'expect' 'refused'] ['as' CLASS] */
static bool parse_trailer(struct parser *p, struct pl_step *s, const struct op_syntax *syn)
{
	struct pl_token *t = pz_peek(p);
	int v;

	if (t->t == TK_WORD && t->len == 8 && !memcmp(t->s, "may-fail", 8)) {
		if (syn->decl || pz_is_check(s->op))
			return pz_error_at(p, pz_pos(t), "'may-fail' does not apply to '%s'",
					   pl_op_name(s->op));
		pz_next(p);
		s->flags |= PL_STEP_MAY_FAIL;
	} else if (pz_at_kw(p, KW_FAILS)) {
		if (syn->decl || pz_is_check(s->op)) {
			return pz_error_at(p, pz_pos(t), "'fails' does not apply to '%s'",
					   pl_op_name(s->op));
		}
		pz_next(p);
		s->flags |= PL_STEP_FAILS;
		if (pz_at(p, TK_WORD) && !pz_at_kw(p, KW_AS)) {
			if (!parse_word_in(p, pl_errno_words, "errno", &v))
				return false;
			s->err = v;
		}
	} else if (pz_at_kw(p, KW_EXPECT)) {
		if (pz_is_check(s->op) || s->op == PL_OP_SHOW)
			return pz_error_at(p, pz_pos(t), "'expect refused' does not apply to '%s': "
					   "a check that fails decides the outcome already",
					   pl_op_name(s->op));
		if (s->flags & PL_STEP_REQUIRE)
			return pz_error_at(p, pz_pos(t), "a 'require' step cannot also "
					   "'expect refused': its failure is a skip");
		pz_next(p);
		if (!pz_accept_word(p, "refused"))
			return pz_expected(p, "'refused' after 'expect' (the outcome a failure "
					   "of this step ends the run with)");
		s->flags |= PL_STEP_STOP;
	}
	if ((s->flags & PL_STEP_REQUIRE) && (s->flags & (PL_STEP_FAILS | PL_STEP_MAY_FAIL)))
		return pz_error_at(p, pz_pos(t), "a 'require' step cannot also be '%s'",
				   s->flags & PL_STEP_FAILS ? "fails" : "may-fail");
	t = pz_peek(p);
	if (pz_at_kw(p, KW_AS)) {
		if (!pz_is_check(s->op) && !(s->flags & PL_STEP_FAILS)) {
			return pz_error_at(p, pz_pos(t),
					   "'as' classifies a check or a 'fails' step, not '%s'",
					   pl_op_name(s->op));
		}
		pz_next(p);
		t = pz_peek(p);
		v = t->t == TK_WORD ? pl_outcome_find(t->s, t->len) : -1;
		if (v < PL_OUT_LEAK || v > PL_OUT_COUNT) {
			return pz_expected(p, "a check class (leak, stale-pin, lost-write, "
					      "file-modified, refused, invariant, count)");
		}
		pz_next(p);
		s->cls = (enum pl_outcome)v;
		s->has_cls = true;
	}
	return pz_expect_eol(p);
}

/* step -> ['require'] [NAME ':'] [NAME '='] op args trailer */
static bool parse_step(struct parser *p)
{
	struct pl_ref actor = { .sym = -1 }, def = { .sym = -1 };
	struct pl_token *t = pz_peek(p);
	struct pl_pos pos = pz_pos(t), req_pos = { 0, 0 };
	const struct op_syntax *syn;
	struct pl_step *s;

	if (pz_at_kw(p, KW_REQUIRE)) {
		req_pos = pos;
		pz_next(p);
		t = pz_peek(p);
		pos = pz_pos(t);
		if (t->t == TK_EOL)
			return pz_expected(p, "a step after 'require'");
	}
	if ((t->t == TK_WORD || t->t == TK_KW) && pz_peek_at(p, 1)->t == TK_COLON) {
		if (!parse_name(p, &actor, "a process name"))
			return false;
		pz_next(p);
	}
	t = pz_peek(p);
	if ((t->t == TK_WORD || t->t == TK_KW) && pz_peek_at(p, 1)->t == TK_ASSIGN) {
		if (!parse_name(p, &def, "a name"))
			return false;
		pz_next(p);
	}
	t = pz_peek(p);
	syn = t->t == TK_KW && pl_kw_op(t->kw) >= 0 ? &op_syntax[pl_kw_op(t->kw)] : NULL;
	if (!syn || !syn->parse) {
		if (t->t == TK_WORD && !actor.name && !def.name)
			return pz_error_at(p, pz_pos(t), "unknown statement '%.*s'",
					   (int)(t->len > 32 ? 32 : t->len), t->s);
		if (t->t == TK_WORD)
			return pz_error_at(p, pz_pos(t), "unknown operation '%.*s'",
					   (int)(t->len > 32 ? 32 : t->len), t->s);
		return pz_expected(p, actor.name || def.name ? "an operation" : "a statement");
	}
	if (syn->actor == ACTOR_NO && actor.name)
		return pz_error_at(p, actor.pos, "'%s' does not take a process", pl_kw_name(t->kw));
	if (syn->actor == ACTOR_REQ && !actor.name)
		return pz_error_at(p, pos, "'%s' needs a process, as in 'P: %s%s ...'",
				   pl_kw_name(t->kw), syn->def == DEF_REQ ? "NAME = " : "",
				   pl_kw_name(t->kw));
	if (syn->def == DEF_REQ && !def.name)
		return pz_error_at(p, pz_pos(t),
				   "'%s' needs a name for its result, as in 'P: NAME = %s ...'",
				   pl_kw_name(t->kw), pl_kw_name(t->kw));
	if (syn->def != DEF_REQ && syn->def != DEF_OPT && def.name)
		return pz_error_at(p, def.pos, "'%s' has no result to name", pl_kw_name(t->kw));
	if (p->thread >= 0 && syn->decl)
		return pz_error_at(p, pz_pos(t), "'%s' cannot appear inside a thread block",
				   pl_kw_name(t->kw));
	s = pl_ast_add_step(p->sc);
	if (!s)
		return false;
	if (!p->first_step.line)
		p->first_step = pos;
	s->pos = pos;
	s->op = syn->op;
	s->actor = actor;
	s->def = def;
	s->thread = p->thread;
	s->group = p->thread >= 0 ? p->sc->threads[p->thread].group : 0;
	s->loop_pos = p->loop_pos;
	if (req_pos.line) {
		if (syn->op == PL_OP_SHOW || syn->op == PL_OP_PROCESS || syn->op == PL_OP_FILE)
			return pz_error_at(p, req_pos, "'require' does not apply to '%s': it cannot "
					   "fail", pl_kw_name(t->kw));
		s->flags |= PL_STEP_REQUIRE;
	}
	pz_next(p);
	if (!syn->parse(p, s))
		return false;
	if (req_pos.line && s->op == PL_OP_CHECK_INVARIANTS)
		return pz_error_at(p, req_pos, "'require' does not apply to 'check invariants': "
				   "a broken invariant is never a precondition");
	if ((s->op == PL_OP_CHECK_PROP || s->op == PL_OP_CHECK_COUNT) && !actor.name)
		return pz_error_at(p, pos, "this check reads a page table and needs a process, "
				   "as in 'P: check ...'");
	return parse_trailer(p, s, syn);
}

/* ---------------------------------------------------------------------------
 * Header.
 */
static bool pz_header_order(struct parser *p, struct pl_token *t)
{
	if (p->thread >= 0)
		return pz_error_at(p, pz_pos(t), "'%s' cannot appear inside a thread block",
				   pl_kw_name(t->kw));
	if (p->first_step.line)
		return pz_error_at(p, pz_pos(t), "'%s' must come before the first step (line %d)",
				   pl_kw_name(t->kw), p->first_step.line);
	return true;
}

/* scenario_line -> 'scenario' STRING */
static bool parse_scenario(struct parser *p)
{
	struct pl_token *t = pz_next(p);

	if (p->have_scenario && p->sc->pos.line)
		return pz_error_at(p, pz_pos(t), "duplicate 'scenario' line (first at line %d)",
				   p->sc->pos.line);
	p->have_scenario = true;
	if (!pz_header_order(p, t))
		return false;
	p->sc->pos = pz_pos(t);
	if (!parse_string(p, &p->sc->name, NULL))
		return false;
	if (!p->sc->name[0])
		return pz_error_at(p, pz_pos(t), "the scenario name is empty");
	return pz_expect_eol(p);
}

/* backing_line -> 'backing' BACKING { [','] BACKING } */
static bool parse_backing(struct parser *p)
{
	struct pl_token *t = pz_next(p);

	if (!pz_header_order(p, t))
		return false;
	if (p->sc->backing_pos.line)
		return pz_error_at(p, pz_pos(t), "duplicate 'backing' line (first at line %d)",
				   p->sc->backing_pos.line);
	p->sc->backing_pos = pz_pos(t);
	do {
		struct pl_token *b = pz_peek(p);
		struct pl_name *n;

		if (b->t != TK_WORD && b->t != TK_KW)
			return pz_expected(p, "a backing");
		pz_next(p);
		n = pl_ast_add_backing(p->sc);
		if (!n)
			return false;
		n->name = pz_text(p, b);
		n->pos = pz_pos(b);
		pz_accept(p, TK_COMMA);
	} while (!pz_at(p, TK_EOL));
	return true;
}

/* preset_item -> PRESET ['..' PRESET | 'and' ('older' | 'newer')] */
static bool parse_preset_item(struct parser *p, struct pl_preset_item *it)
{
	struct pl_token *t = pz_peek(p);

	if (t->t != TK_WORD)
		return pz_expected(p, "a preset");
	pz_next(p);
	it->kind = PL_PI_ONE;
	it->lo = pz_text(p, t);
	it->pos = pz_pos(t);
	if (pz_accept(p, TK_DOTDOT)) {
		t = pz_peek(p);
		if (t->t != TK_WORD)
			return pz_expected(p, "a preset");
		pz_next(p);
		it->kind = PL_PI_RANGE;
		it->hi = pz_text(p, t);
		it->hi_pos = pz_pos(t);
	} else if (pz_accept_word(p, "and")) {
		if (pz_accept_word(p, "older"))
			it->kind = PL_PI_OLDER;
		else if (pz_accept_word(p, "newer"))
			it->kind = PL_PI_NEWER;
		else
			return pz_expected(p, "'older' or 'newer'");
	}
	return true;
}

static bool pz_list_end(struct parser *p)
{
	return pz_at(p, TK_EOL) || pz_is_word(pz_peek(p), "with") ||
	       pz_is_word(pz_peek(p), "because");
}

/*
 * expect_line -> 'expect' OUTCOME [OUTCOME after xfail] ['on' preset_item { [','] preset_item }]
 *		  ['with' BACKING { [','] BACKING }] ['because' STRING]
 */
static bool parse_expect(struct parser *p)
{
	struct pl_token *t = pz_next(p);
	struct pl_preset_item items[64];
	struct pl_name names[64];
	struct pl_expect *e;
	int n = 0, o;

	if (!pz_header_order(p, t))
		return false;
	e = pl_ast_add_expect(p->sc);
	if (!e)
		return false;
	e->pos = pz_pos(t);
	t = pz_peek(p);
	if (t->t != TK_WORD)
		return pz_expected(p, "an outcome");
	o = pl_outcome_find(t->s, t->len);
	if (o < 0)
		return pz_error_at(p, pz_pos(t), "unknown outcome '%.*s'",
				   (int)(t->len > 32 ? 32 : t->len), t->s);
	pz_next(p);
	e->outcome = (enum pl_outcome)o;
	/* `expect xfail CLASS`: the failure some other schedule gives (pinlab explore) */
	t = pz_peek(p);
	if (o == PL_OUT_XFAIL && t->t == TK_WORD) {
		int c = pl_outcome_find(t->s, t->len);

		if (c >= 0) {
			if (c == PL_OUT_PASS || c == PL_OUT_XFAIL || c == PL_OUT_SKIP)
				return pz_error_at(p, pz_pos(t), "expected a failing outcome after "
						   "'xfail', found '%.*s'",
						   (int)(t->len > 32 ? 32 : t->len), t->s);
			pz_next(p);
			e->xfail_cls = (enum pl_outcome)c;
		}
	}
	if (pz_accept_word(p, "on")) {
		do {
			if (n == 64)
				return pz_error_at(p, pz_pos(pz_peek(p)), "too many presets");
			memset(&items[n], 0, sizeof(items[n]));
			if (!parse_preset_item(p, &items[n++]))
				return false;
			pz_accept(p, TK_COMMA);
		} while (!pz_list_end(p));
		e->on = pl_ast_alloc(p->sc, (size_t)n * sizeof(*items));
		if (!e->on)
			return false;
		memcpy(e->on, items, (size_t)n * sizeof(*items));
		e->nr_on = n;
	}
	if (pz_accept_word(p, "with")) {
		n = 0;
		do {
			struct pl_token *b = pz_peek(p);

			if (b->t != TK_WORD && b->t != TK_KW)
				return pz_expected(p, "a backing");
			if (n == 64)
				return pz_error_at(p, pz_pos(b), "too many backings");
			pz_next(p);
			names[n].name = pz_text(p, b);
			names[n].pos = pz_pos(b);
			names[n++].idx = -1;
			pz_accept(p, TK_COMMA);
		} while (!pz_list_end(p));
		e->with = pl_ast_alloc(p->sc, (size_t)n * sizeof(*names));
		if (!e->with)
			return false;
		memcpy(e->with, names, (size_t)n * sizeof(*names));
		e->nr_with = n;
	}
	if (pz_accept_word(p, "because") && !parse_string(p, &e->because, NULL))
		return false;
	return pz_expect_eol(p);
}

/* thread_open -> 'thread' NAME '{' */
static bool parse_thread_open(struct parser *p)
{
	struct pl_token *t = pz_next(p);
	struct pl_ref name = { .sym = -1 };
	struct pl_thread *th;

	if (p->thread >= 0) {
		p->skip_braces++;	/* its '}' is not T's */
		return pz_error_at(p, pz_pos(t), "thread blocks cannot nest (thread '%s' is open)",
				   p->sc->threads[p->thread].name);
	}
	if (p->loop_pos.line) {
		p->skip_braces++;
		return pz_error_at(p, pz_pos(t), "a thread block cannot be inside a repeat block "
				   "(put the repeat inside the thread)");
	}
	if (!parse_name(p, &name, "a thread name") || !pz_expect(p, TK_LBRACE, "'{'") ||
	    !pz_expect_eol(p))
		return false;
	th = pl_ast_add_thread(p->sc);
	if (!th)
		return false;
	th->name = name.name;
	th->pos = pz_pos(t);
	if (!p->after_thread)
		p->sc->nr_groups++;
	th->group = p->sc->nr_groups;
	p->thread = p->sc->nr_threads - 1;
	p->thread_steps = 0;
	return true;
}

/*
 * repeat_open -> 'repeat' NUMBER '{'
 * The block's steps are unrolled when it closes: N copies, in order.
 */
static bool parse_repeat_open(struct parser *p)
{
	struct pl_token *t = pz_next(p), *n = pz_peek(p);

	if (p->loop_pos.line) {
		p->loop_skip++;
		return pz_error_at(p, pz_pos(t), "repeat blocks cannot nest (the one at line %d "
				   "is open)", p->loop_pos.line);
	}
	if (n->t != TK_NUM || n->sized) {
		p->loop_skip++;
		return pz_expected(p, "a number of rounds");
	}
	if (n->num < 1 || n->num > PL_REPEAT_MAX) {
		p->loop_skip++;
		return pz_error_at(p, pz_pos(n), "repeat count %llu out of range (1 to %u)",
				   (unsigned long long)n->num, PL_REPEAT_MAX);
	}
	pz_next(p);
	if (!pz_expect(p, TK_LBRACE, "'{'") || !pz_expect_eol(p)) {
		p->loop_skip++;
		return false;
	}
	p->loop_pos = pz_pos(t);
	p->loop_n = n->num;
	p->loop_first = p->sc->nr_steps;
	return true;
}

/* repeat_close -> '}': the body again, N - 1 times */
static bool parse_repeat_close(struct parser *p)
{
	struct pl_scenario *sc = p->sc;
	int first = p->loop_first, body = sc->nr_steps - first;
	struct pl_pos at = p->loop_pos;
	uint64_t total;

	p->loop_pos = (struct pl_pos){ 0, 0 };
	pz_next(p);
	if (!body)
		return pz_error_at(p, at, "repeat block has no steps");
	total = (uint64_t)body * p->loop_n;
	if (total > PL_REPEAT_STEPS_MAX)
		return pz_error_at(p, at, "repeat block unrolls to %llu steps, the limit is %u",
				   (unsigned long long)total, PL_REPEAT_STEPS_MAX);
	for (uint64_t k = 1; k < p->loop_n; k++) {
		for (int i = 0; i < body; i++) {
			struct pl_step *s = pl_ast_add_step(sc);

			if (!s)
				return false;
			*s = sc->steps[first + i];
			s->iter = (uint32_t)k;
		}
	}
	return pz_expect_eol(p);
}

/* thread_close -> '}' */
static bool parse_thread_close(struct parser *p)
{
	struct pl_token *t = pz_next(p);
	struct pl_thread *th;

	if (p->skip_braces) {
		p->skip_braces--;
		return true;
	}
	if (p->thread < 0)
		return pz_error_at(p, pz_pos(t), "unexpected '}' outside a thread block");
	th = &p->sc->threads[p->thread];
	p->thread = -1;
	p->after_thread = true;
	if (!p->thread_steps)
		return pz_error_at(p, th->pos, "thread '%s' has no steps", th->name);
	return pz_expect_eol(p);
}

/* ---------------------------------------------------------------------------
 * Lines.
 */
static void pz_add_description(struct parser *p)
{
	const char *c = p->ln.comment;
	size_t len = p->ln.comment_len;

	if (len && c[0] == ' ') {
		c++;
		len--;
	}
	if (p->desc_len + len + 2 > p->desc_cap) {
		size_t cap = (p->desc_cap + len + 2) * 2;
		char *d = realloc(p->desc, cap);

		if (!d) {
			p->sc->oom = true;
			return;
		}
		p->desc = d;
		p->desc_cap = cap;
	}
	if (p->desc_len)
		p->desc[p->desc_len++] = '\n';
	memcpy(p->desc + p->desc_len, c, len);
	p->desc_len += len;
}

/* line -> [statement] [comment] EOL */
static void parse_line(struct parser *p)
{
	struct pl_token *t = pz_peek(p);
	bool closes = t->t == TK_RBRACE, opens = t->t == TK_KW && t->kw == KW_THREAD;
	bool loops = t->t == TK_KW && t->kw == KW_REPEAT;

	if (p->ln.n == 0) {
		if (p->ln.comment && !p->have_scenario)
			pz_add_description(p);
		return;
	}
	p->nr_stmts++;
	if (!closes && !opens)
		p->after_thread = false;
	if (!closes && p->thread >= 0)
		p->thread_steps++;
	if (!p->have_scenario && !(t->t == TK_KW && t->kw == KW_SCENARIO)) {
		p->have_scenario = true;
		pz_expected(p, "'scenario' as the first statement");
		return;
	}
	if (closes && p->loop_skip)
		p->loop_skip--;
	else if (closes && p->loop_pos.line)
		parse_repeat_close(p);
	else if (closes)
		parse_thread_close(p);
	else if (loops)
		parse_repeat_open(p);
	else if (opens)
		parse_thread_open(p);
	else if (t->t == TK_KW && t->kw == KW_SCENARIO)
		parse_scenario(p);
	else if (t->t == TK_KW && t->kw == KW_BACKING)
		parse_backing(p);
	else if (t->t == TK_KW && t->kw == KW_EXPECT)
		parse_expect(p);
	else
		parse_step(p);
}

/* file -> { line } EOF */
int pl_parse(struct pl_scenario *sc, const char *text, size_t len, struct pl_diag_list *diags)
{
	struct parser p;
	int before = diags->n + (diags->overflow ? 1 : 0);

	memset(&p, 0, sizeof(p));
	p.sc = sc;
	p.diags = diags;
	p.thread = -1;
	if (pl_lex_init(&p.lx, text, len, diags)) {
		diags->oom = true;
		return -1;
	}
	while (!pl_diag_full(diags) && pl_lex_line(&p.lx, &p.ln)) {
		p.i = 0;
		if (!p.ln.bad) {
			parse_line(&p);
		} else {
			p.nr_stmts++;
			p.thread_steps++;
		}
	}
	if (!pl_diag_full(diags)) {
		if (p.loop_pos.line) {
			pz_error_at(&p, p.loop_pos, "repeat block is not closed: expected '}' before "
				    "the end of the file");
		} else if (p.thread >= 0) {
			struct pl_thread *th = &sc->threads[p.thread];

			pz_error_at(&p, th->pos, "thread '%s' is not closed: expected '}' before "
				    "the end of the file", th->name);
		} else if (!p.nr_stmts) {
			pl_diag_add(diags, 1, 1, "empty scenario");
		} else if (sc->pos.line && !sc->nr_steps && diags->n == before) {
			pz_error_at(&p, sc->pos, "the scenario has no steps");
		}
	}
	if (p.desc_len)
		sc->description = pl_ast_strndup(sc, p.desc, p.desc_len);
	free(p.desc);
	pl_lex_free(&p.lx);
	if (sc->oom)
		diags->oom = true;
	if (diags->oom)
		return -1;
	return diags->n + (diags->overflow ? 1 : 0) > before ? -1 : 0;
}
