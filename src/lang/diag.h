/*
 * diag.h - diagnostics of the scenario front end.
 *
 * Every stage (lexer, parser, checker) reports a mistake by adding it to a
 * struct pl_diag_list with its position; nothing is printed and nothing
 * exits.  The caller prints the list with pl_diag_print() -- the one place
 * a diagnostic is formatted -- and exits 2:
 *
 *	scen.pin:12:4: error: expected 'page' or 'pages', found 'pgs'
 *
 * Lowercase, no final period, what was expected and what was found.  When
 * the output is a terminal the source line and a caret follow:
 *
 *	P: buf = mmap 4 pgs rw private
 *	                ^
 *
 * The list holds at most PL_DIAG_MAX errors; the next one becomes "too many
 * errors" and every stage stops as soon as pl_diag_full() says so, so even a
 * file of binary garbage costs a bounded amount of work.
 */
#ifndef PINLAB_LANG_DIAG_H
#define PINLAB_LANG_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PL_DIAG_MAX	20
#define PL_DIAG_MSG	240

struct pl_diag {
	int line;		/* 1-based */
	int col;		/* 1-based, in characters */
	char msg[PL_DIAG_MSG];
};

struct pl_diag_list {
	const char *path;	/* as shown in messages; borrowed */
	const char *text;	/* the source, for caret lines; borrowed, may be NULL */
	size_t len;
	int n;			/* diagnostics in d[] */
	bool overflow;		/* more than PL_DIAG_MAX: a "too many errors" line follows */
	bool oom;		/* an allocation failed: the load fails with -ENOMEM, not a
				 * diagnostic (the CLI says "out of memory" and exits 3) */
	struct pl_diag over;	/* position of the first one dropped */
	struct pl_diag d[PL_DIAG_MAX];
};

void pl_diag_init(struct pl_diag_list *dl, const char *path, const char *text, size_t len);

/**
 * pl_diag_add() - record one error at line:col.
 * Return: false once the list is full (the caller should stop).
 */
bool pl_diag_add(struct pl_diag_list *dl, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * pl_diag_error() - pl_diag_add() for a step that fails there: always
 * false, so that a parser or checker says `return pl_diag_error(...)`.
 */
bool pl_diag_error(struct pl_diag_list *dl, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline bool pl_diag_full(const struct pl_diag_list *dl)
{
	return dl->overflow;
}

/* Order the list by position (stable), as a reader expects. */
void pl_diag_sort(struct pl_diag_list *dl);

/**
 * pl_diag_print() - format every diagnostic to out.
 * @tty: add the source line and a caret line under each message.
 */
void pl_diag_print(const struct pl_diag_list *dl, FILE *out, bool tty);

/*
 * Paths in messages.  pl_path_put() writes @path as it is when
 * pl_path_is_plain() (printable ASCII or valid UTF-8, no space, quote,
 * backslash or control character), else in double quotes with C escapes:
 * "my scenario.pin", "bad\xff\n.pin".  One line of output stays one line.
 */
bool pl_path_is_plain(const char *path);
void pl_path_put(FILE *out, const char *path);

#endif /* PINLAB_LANG_DIAG_H */
