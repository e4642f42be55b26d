/*
 * lex.c - the .pin lexer.  See lex.h.
 *
 * Bytes the language accepts: printable ASCII, tab, and the CR of a CRLF
 * line end anywhere; valid UTF-8 inside strings and comments.  Anything else
 * -- NUL, other control bytes, a stray UTF-8 continuation byte, an overlong
 * or surrogate sequence -- is an error located at its line and column, so
 * binary garbage gets a clear message instead of a confusing parse.
 */
#include "lang/lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ORDER KW: alphabetical, one entry per enum pl_kw. */
static const char *const kw_names[KW_NR] = {
	"as",
	"backing",
	"disk",
	"dma-read",
	"expect",
	"fails",
	"invariants",
	"mapcount",
	"pincount",
	"proc-mem-read",
	"process-vm-readv",
	"refcount",
	"repeat",
	"require",
	"scenario",
	"thread",
};

/* The operation keywords, by enum pl_op (the check ops share "check"). */
static const char *const kw_op_names[PL_OP_NR] = {
#define PL_OP(id, keyword, ...) keyword,
#include "pinlab/ops.def"
#undef PL_OP
};

const char *pl_kw_name(enum pl_kw kw)
{
	if (pl_kw_op(kw) >= 0)
		return kw_op_names[pl_kw_op(kw)];
	return (unsigned int)kw < KW_NR ? kw_names[kw] : "?";
}

/* An operation keyword: the first operation spelled so (CHECK_VALUE for "check"). */
static int kw_op_find(const char *s, size_t len)
{
	for (int op = 0; op < PL_OP_NR; op++)
		if (!strncmp(kw_op_names[op], s, len) && kw_op_names[op][len] == '\0')
			return KW_OP(op);
	return -1;
}

int pl_kw_find(const char *s, size_t len)
{
	int lo = 0, hi = KW_NR - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strncmp(kw_names[mid], s, len);

		if (c == 0 && kw_names[mid][len] != '\0')
			c = 1;
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return kw_op_find(s, len);
}

int pl_lex_init(struct pl_lexer *lx, const char *src, size_t len, struct pl_diag_list *diags)
{
	memset(lx, 0, sizeof(*lx));
	lx->src = src;
	lx->len = len;
	lx->diags = diags;
	lx->toks = malloc((PL_LINE_MAX + 1) * sizeof(*lx->toks));
	lx->buf = malloc(PL_LINE_MAX + 1);
	if (!lx->toks || !lx->buf) {
		pl_lex_free(lx);
		return -1;
	}
	return 0;
}

void pl_lex_free(struct pl_lexer *lx)
{
	free(lx->toks);
	free(lx->buf);
	lx->toks = NULL;
	lx->buf = NULL;
}

/* ---------------------------------------------------------------------------
 * Character classes.
 */
static bool lex_is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool lex_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool lex_is_alnum(int c)
{
	return lex_is_alpha(c) || lex_is_digit(c);
}

/*
 * Length of the valid UTF-8 sequence at p (2..4) or 0: no overlong forms,
 * no surrogates, nothing above U+10FFFF.  *cp gets the code point.
 */
static int lex_utf8(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
	uint32_t c = p[0], min;
	int n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (end - p < n)
		return 0;
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* ---------------------------------------------------------------------------
 * Errors.  Each reports once and marks the line bad.
 */
struct lex_line {
	struct pl_lexer *lx;
	struct pl_line *ln;
	const unsigned char *p, *end;
	int col;
};

static bool lex_error(struct lex_line *L, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool lex_error(struct lex_line *L, int col, const char *fmt, ...)
{
	char msg[PL_DIAG_MSG];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pl_diag_add(L->lx->diags, L->ln->line, col, "%s", msg);
	L->ln->bad = true;
	return false;
}

/* A byte that cannot start anything here: say what it is. */
static bool lex_bad_byte(struct lex_line *L)
{
	unsigned char c = *L->p;
	char what[48];
	uint32_t cp;

	if (c == 0)
		return lex_error(L, L->col, "unexpected NUL byte");
	if (c < 0x20 || c == 0x7f) {
		snprintf(what, sizeof(what), "0x%02x", c);
		return lex_error(L, L->col, "unexpected control character %s", what);
	}
	if (c >= 0x80) {
		if (lex_utf8(L->p, L->end, &cp)) {
			snprintf(what, sizeof(what), "U+%04X", (unsigned int)cp);
			return lex_error(L, L->col, "unexpected character %s", what);
		}
		snprintf(what, sizeof(what), "0x%02x", c);
		return lex_error(L, L->col, "invalid UTF-8 byte %s", what);
	}
	snprintf(what, sizeof(what), "'%c'", c);
	return lex_error(L, L->col, "unexpected character %s", what);
}

/*
 * Text inside a string or comment: a tab, printable ASCII or valid UTF-8.
 * Returns its length in bytes, 0 if bad (reported).
 */
static int lex_text_char(struct lex_line *L)
{
	unsigned char c = *L->p;
	uint32_t cp;
	int n;

	if (c == '\t' || (c >= 0x20 && c < 0x7f))
		return 1;
	if (c == '\r' && L->p + 1 == L->end)
		return 1;
	if (c >= 0x80) {
		n = lex_utf8(L->p, L->end, &cp);
		if (n)
			return n;
	}
	lex_bad_byte(L);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Tokens.
 */
static struct pl_token *lex_push(struct lex_line *L, enum pl_tok t, const unsigned char *start,
				 int col)
{
	struct pl_token *tk = &L->lx->toks[L->ln->n++];

	memset(tk, 0, sizeof(*tk));
	tk->t = t;
	tk->line = L->ln->line;
	tk->col = col;
	tk->ecol = L->col;
	tk->s = (const char *)start;
	tk->len = (size_t)(L->p - start);
	return tk;
}

static void lex_skip(struct lex_line *L, int n)
{
	while (n-- > 0) {
		if ((*L->p & 0xc0) != 0x80)
			L->col++;
		L->p++;
	}
}

/* word -> [A-Za-z_] { [A-Za-z0-9_] | '-' wordchar | '.' digit } */
static bool lex_word(struct lex_line *L)
{
	const unsigned char *start = L->p;
	int col = L->col, kw;
	struct pl_token *tk;

	lex_skip(L, 1);
	while (L->p < L->end) {
		if (lex_is_alnum(*L->p))
			lex_skip(L, 1);
		else if (*L->p == '-' && L->p + 1 < L->end && lex_is_alnum(L->p[1]))
			lex_skip(L, 2);
		else if (*L->p == '.' && L->p + 1 < L->end && lex_is_digit(L->p[1]))
			lex_skip(L, 2);
		else
			break;
	}
	tk = lex_push(L, TK_WORD, start, col);
	kw = pl_kw_find(tk->s, tk->len);
	if (kw >= 0) {
		tk->t = TK_KW;
		tk->kw = (enum pl_kw)kw;
	}
	return true;
}

/* number -> ( digit {digit} | '0x' hex {hex} ) [ 'K' | 'M' | 'G' ] */
static bool lex_number(struct lex_line *L)
{
	const unsigned char *start = L->p;
	int col = L->col, base = 10, shift = 0;
	uint64_t v = 0;
	bool big = false, any = false;
	struct pl_token *tk;
	char text[40];

	if (L->p[0] == '0' && L->p + 1 < L->end && (L->p[1] == 'x' || L->p[1] == 'X')) {
		base = 16;
		lex_skip(L, 2);
	}
	for (; L->p < L->end; lex_skip(L, 1)) {
		int c = *L->p, d;

		if (lex_is_digit(c))
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			big = true;
		v = v * (uint64_t)base + (uint64_t)d;
		any = true;
	}
	if (L->p < L->end && (*L->p == 'K' || *L->p == 'M' || *L->p == 'G')) {
		shift = *L->p == 'K' ? 10 : *L->p == 'M' ? 20 : 30;
		lex_skip(L, 1);
	}
	/* "4pages", "0x", "5.8": one bad token, not several good ones */
	if (!any || (L->p < L->end && (lex_is_alnum(*L->p) ||
				       (*L->p == '.' && L->p + 1 < L->end &&
					lex_is_digit(L->p[1]))))) {
		while (L->p < L->end && (lex_is_alnum(*L->p) || *L->p == '.' || *L->p == '-'))
			lex_skip(L, 1);
		snprintf(text, sizeof(text), "%.*s%s", (int)(L->p - start > 24 ? 24 : L->p - start),
			 (const char *)start, L->p - start > 24 ? "..." : "");
		return lex_error(L, col, "invalid number '%s'", text);
	}
	if (shift && v > (UINT64_MAX >> shift))
		big = true;
	if (big) {
		snprintf(text, sizeof(text), "%.*s%s", (int)(L->p - start > 24 ? 24 : L->p - start),
			 (const char *)start, L->p - start > 24 ? "..." : "");
		return lex_error(L, col, "number too large: %s", text);
	}
	tk = lex_push(L, TK_NUM, start, col);
	tk->num = v << shift;
	tk->sized = shift != 0;
	return true;
}

/* string -> '"' { char | '\\' ( '\\' | '"' | 'n' | 't' | 'x' hex hex ) } '"' */
static bool lex_string(struct lex_line *L, size_t *bufpos)
{
	const unsigned char *start = L->p;
	int col = L->col;
	char *out = L->lx->buf + *bufpos, *o = out;
	struct pl_token *tk;
	char esc[8];

	lex_skip(L, 1);
	for (;;) {
		int n;

		if (L->p >= L->end || (*L->p == '\r' && L->p + 1 == L->end))
			return lex_error(L, col, "unterminated string");
		if (*L->p == '"')
			break;
		if (*L->p == '\\') {
			int e = L->p + 1 < L->end ? L->p[1] : 0, h1, h2;

			if (e == '\\' || e == '"') {
				*o++ = (char)e;
			} else if (e == 'n') {
				*o++ = '\n';
			} else if (e == 't') {
				*o++ = '\t';
			} else if (e == 'x' && L->end - L->p >= 4 &&
				   (h1 = hex_to_bin(L->p[2])) >= 0 &&
				   (h2 = hex_to_bin(L->p[3])) >= 0 && (h1 || h2)) {
				*o++ = (char)(h1 * 16 + h2);
				lex_skip(L, 2);
			} else {
				if (e > 0x20 && e < 0x7f)
					snprintf(esc, sizeof(esc), "'\\%c'", e);
				else
					snprintf(esc, sizeof(esc), "'\\'");
				return lex_error(L, L->col, "invalid escape %s in string", esc);
			}
			lex_skip(L, 2);
			continue;
		}
		n = lex_text_char(L);
		if (!n)
			return false;
		memcpy(o, L->p, (size_t)n);
		o += n;
		lex_skip(L, n);
	}
	lex_skip(L, 1);
	*o = '\0';
	tk = lex_push(L, TK_STR, start, col);
	tk->s = out;
	tk->len = (size_t)(o - out);
	*bufpos += tk->len + 1;
	return true;
}

/* punct -> ':' | '=' | '==' | '!=' | '[' | ']' | '{' | '}' | '->' | ',' | '..' | '|' | '+' */
static bool lex_punct(struct lex_line *L)
{
	const unsigned char *start = L->p;
	int col = L->col, c = *L->p, c2 = L->p + 1 < L->end ? L->p[1] : 0;
	enum pl_tok t;
	int n = 1;

	switch (c) {
	case ':': t = TK_COLON; break;
	case '[': t = TK_LBRACKET; break;
	case ']': t = TK_RBRACKET; break;
	case '{': t = TK_LBRACE; break;
	case '}': t = TK_RBRACE; break;
	case ',': t = TK_COMMA; break;
	case '|': t = TK_BAR; break;
	case '+': t = TK_PLUS; break;
	case '=':
		t = c2 == '=' ? TK_EQ : TK_ASSIGN;
		n = c2 == '=' ? 2 : 1;
		break;
	case '!':
		if (c2 != '=')
			return lex_bad_byte(L);
		t = TK_NE;
		n = 2;
		break;
	case '-':
		if (c2 != '>')
			return lex_bad_byte(L);
		t = TK_ARROW;
		n = 2;
		break;
	case '.':
		if (c2 != '.')
			return lex_bad_byte(L);
		t = TK_DOTDOT;
		n = 2;
		break;
	default:
		return lex_bad_byte(L);
	}
	lex_skip(L, n);
	lex_push(L, t, start, col);
	return true;
}

/* comment -> '#' { text } : to the end of the line */
static bool lex_comment(struct lex_line *L)
{
	const unsigned char *start = L->p + 1;
	size_t len;

	lex_skip(L, 1);
	while (L->p < L->end) {
		int n = lex_text_char(L);

		if (!n)
			return false;
		lex_skip(L, n);
	}
	len = (size_t)(L->end - start);
	if (len && start[len - 1] == '\r')
		len--;
	L->ln->comment = (const char *)start;
	L->ln->comment_len = len;
	return true;
}

/* Column (in characters) of byte offset `off` of a line. */
static int lex_col_of(const unsigned char *s, size_t off)
{
	int col = 1;

	for (size_t i = 0; i < off; i++)
		if ((s[i] & 0xc0) != 0x80)
			col++;
	return col;
}

static void lex_tokens(struct lex_line *L)
{
	size_t bufpos = 0;

	while (L->p < L->end) {
		int c = *L->p;
		bool ok;

		if (c == ' ' || c == '\t' || (c == '\r' && L->p + 1 == L->end)) {
			lex_skip(L, 1);
			continue;
		}
		if (c == '#')
			ok = lex_comment(L);
		else if (lex_is_alpha(c))
			ok = lex_word(L);
		else if (lex_is_digit(c))
			ok = lex_number(L);
		else if (c == '"')
			ok = lex_string(L, &bufpos);
		else
			ok = lex_punct(L);
		if (!ok)
			return;
	}
}

bool pl_lex_line(struct pl_lexer *lx, struct pl_line *ln)
{
	const unsigned char *start, *nl, *end, *nul;
	struct lex_line L;
	struct pl_token *eol;
	size_t len;
	char what[64];

	if (lx->pos >= lx->len)
		return false;
	start = (const unsigned char *)lx->src + lx->pos;
	len = lx->len - lx->pos;
	nl = memchr(start, '\n', len);
	end = nl ? nl : start + len;
	lx->pos += (size_t)(end - start) + (nl ? 1 : 0);

	memset(ln, 0, sizeof(*ln));
	ln->line = ++lx->line;
	ln->toks = lx->toks;
	L.lx = lx;
	L.ln = ln;
	L.p = start;
	L.end = end;
	L.col = 1;
	if ((size_t)(end - start) > PL_LINE_MAX &&
	    (nul = memchr(start, 0, (size_t)(end - start)))) {
		/* binary data, not a long line: name what is wrong with it */
		lex_error(&L, lex_col_of(start, (size_t)(nul - start)), "unexpected NUL byte");
	} else if ((size_t)(end - start) > PL_LINE_MAX) {
		snprintf(what, sizeof(what), "%zu bytes, the limit is %d", (size_t)(end - start),
			 PL_LINE_MAX);
		lex_error(&L, lex_col_of(start, PL_LINE_MAX), "line too long (%s)", what);
	} else {
		lex_tokens(&L);
	}
	if (ln->bad)
		ln->n = 0;
	eol = &lx->toks[ln->n];
	memset(eol, 0, sizeof(*eol));
	eol->t = TK_EOL;
	eol->line = ln->line;
	eol->col = ln->n ? lx->toks[ln->n - 1].ecol : 1;
	eol->ecol = eol->col;
	return true;
}

void pl_tok_describe(const struct pl_token *t, char *buf, size_t size)
{
	static const char *const punct[] = {
		[TK_COLON] = ":", [TK_ASSIGN] = "=", [TK_EQ] = "==", [TK_NE] = "!=",
		[TK_LBRACKET] = "[", [TK_RBRACKET] = "]", [TK_LBRACE] = "{", [TK_RBRACE] = "}",
		[TK_ARROW] = "->", [TK_COMMA] = ",", [TK_DOTDOT] = "..", [TK_BAR] = "|",
		[TK_PLUS] = "+",
	};
	int n = t->len > 32 ? 32 : (int)t->len;
	const char *more = t->len > 32 ? "..." : "";

	while (n > 0 && (size_t)n < t->len && ((unsigned char)t->s[n] & 0xc0) == 0x80)
		n--;	/* do not cut a UTF-8 sequence */

	switch (t->t) {
	case TK_EOL:
		snprintf(buf, size, "end of line");
		break;
	case TK_WORD:
	case TK_NUM:
		snprintf(buf, size, "'%.*s%s'", n, t->s, more);
		break;
	case TK_KW:
		snprintf(buf, size, "keyword '%s'", pl_kw_name(t->kw));
		break;
	case TK_STR: {
		char clean[40];
		int i;

		for (i = 0; i < n; i++)
			clean[i] = (unsigned char)t->s[i] < 0x20 ? '?' : t->s[i];
		clean[i] = '\0';
		snprintf(buf, size, "string \"%s%s\"", clean, more);
		break;
	}
	default:
		snprintf(buf, size, "'%s'", punct[t->t]);
		break;
	}
}
