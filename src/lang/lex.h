/*
 * lex.h - the .pin lexer.
 *
 * The language is line oriented: one statement per line, so the lexer hands
 * the parser one whole line of tokens at a time (pl_lex_line), ending in
 * TK_EOL.  That keeps lookahead trivial and bounds memory by the line limit:
 * a line longer than PL_LINE_MAX bytes is reported and skipped without being
 * tokenized, so a 10 MB line or a file of binary garbage costs one memchr()
 * per line.
 *
 * The lexer owns positions: every token carries its line and column (in
 * characters, 1-based).  A lexical error is reported once per line through
 * the diagnostics list; the line comes back marked `bad` and the parser
 * skips it.
 *
 * Words.  [A-Za-z_] then letters, digits and '_'; '-' joins two word
 * characters (populate-read) and '.' may be followed by a digit (v5.8), so
 * `v5.8..v6.1` is WORD DOTDOT WORD and `buf->pipe` is WORD ARROW WORD.
 * Reserved words come back as TK_KW; the table is in lex.c.
 */
#ifndef PINLAB_LANG_LEX_H
#define PINLAB_LANG_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lang/diag.h"
#include "pinlab/backend.h"	/* enum pl_op */

#define PL_LINE_MAX 4096	/* bytes per line, not counting the newline */

enum pl_tok {
	TK_EOL,
	TK_WORD,
	TK_KW,
	TK_NUM,
	TK_STR,
	TK_COLON,	/* : */
	TK_ASSIGN,	/* = */
	TK_EQ,		/* == */
	TK_NE,		/* != */
	TK_LBRACKET,	/* [ */
	TK_RBRACKET,	/* ] */
	TK_LBRACE,	/* { */
	TK_RBRACE,	/* } */
	TK_ARROW,	/* -> */
	TK_COMMA,	/* , */
	TK_DOTDOT,	/* .. */
	TK_BAR,		/* | */
	TK_PLUS,	/* + */
};

/*
 * Reserved words: the operation keywords (pinlab/ops.def: a token of
 * one has kw == KW_OP(PL_OP_...)), the other statement keywords and the few
 * words whose position alone would be ambiguous.  Everything else (rw, private, anon,
 * dontneed, v5.8, leak ...) is an ordinary word that the parser matches in
 * context, so it stays free for use as a name.
 * ORDER KW: this enum and kw_names[] in lex.c, alphabetical (operation
 * keywords are not here: they come from pinlab/ops.def).
 */
enum pl_kw {
	KW_AS,
	KW_BACKING,
	KW_DISK,
	KW_DMA_READ,
	KW_EXPECT,
	KW_FAILS,
	KW_INVARIANTS,
	KW_MAPCOUNT,
	KW_PINCOUNT,
	KW_PROC_MEM_READ,
	KW_PROCESS_VM_READV,
	KW_REFCOUNT,
	KW_REPEAT,
	KW_REQUIRE,
	KW_SCENARIO,
	KW_THREAD,
	KW_NR,
};

/* The token kw of operation op's keyword ("check": PL_OP_CHECK_VALUE). */
#define KW_OP(op) ((enum pl_kw)(KW_NR + (op)))

/* The operation a keyword starts, or -1 when it is not an operation keyword. */
static inline int pl_kw_op(enum pl_kw kw)
{
	return (int)kw >= KW_NR && (int)kw < KW_NR + PL_OP_NR ? (int)kw - KW_NR : -1;
}

struct pl_token {
	enum pl_tok t;
	enum pl_kw kw;		/* TK_KW */
	int line, col;		/* start */
	int ecol;		/* one past the end */
	const char *s;		/* source text; TK_STR: the decoded value, NUL-terminated */
	size_t len;
	uint64_t num;		/* TK_NUM: the value (bytes if sized) */
	bool sized;		/* TK_NUM had a K, M or G suffix */
};

struct pl_line {
	int line;
	int n;			/* tokens before the final TK_EOL */
	struct pl_token *toks;	/* toks[n].t == TK_EOL */
	const char *comment;	/* text after '#', NULL if none */
	size_t comment_len;
	bool bad;		/* a lexical error was reported on this line */
};

struct pl_lexer {
	const char *src;
	size_t len, pos;
	int line;
	struct pl_diag_list *diags;
	struct pl_token *toks;	/* PL_LINE_MAX + 1 */
	char *buf;		/* decoded strings of the current line */
};

/* Return: 0, or -1 if out of memory. */
int pl_lex_init(struct pl_lexer *lx, const char *src, size_t len, struct pl_diag_list *diags);
void pl_lex_free(struct pl_lexer *lx);

/**
 * pl_lex_line() - tokenize the next line.
 * Return: false at the end of the input.
 */
bool pl_lex_line(struct pl_lexer *lx, struct pl_line *ln);

const char *pl_kw_name(enum pl_kw kw);
/* A reserved word -> its kw (an operation keyword: KW_OP(op)), or -1. */
int pl_kw_find(const char *s, size_t len);

/* "'->'", "'frob'", "keyword 'read'", "end of line" ... for messages. */
void pl_tok_describe(const struct pl_token *t, char *buf, size_t size);

#endif /* PINLAB_LANG_LEX_H */
