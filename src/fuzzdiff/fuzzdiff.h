/*
 * fuzzdiff.h - random differential testing, the library half of
 * `pinlab fuzz-diff` (src/cli/fuzzdiff.c runs it: model vs host):
 *
 *	seed S, index i --splitmix64--> a random .pin text (gen.c)
 *	        |                                  |
 *	        |             the caller loads it (it must check) and runs it
 *	        v                                  v
 *	   model run (preset P)  <-- compare -->  host run
 *	                              |
 *	                  a disagreement? -> fd_shrink(): ddmin over lines, then
 *	                     operands (shrink.c), asking the caller's predicate
 *	                     whether each candidate text still fails
 *
 * Nothing here runs a scenario or knows the language's AST: the generator
 * writes text that `pinlab check` accepts, the shrinker edits text, and
 * the caller judges.
 *
 * May include: libc, fuzzdiff/.
 */
#ifndef PINLAB_FUZZDIFF_H
#define PINLAB_FUZZDIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FD_NAME		16	/* "m12", "C3", "F1", "p2", "r1" */
#define FD_LINE		160
#define FD_DEFS		2
#define FD_USES		4

/* What the host can run: the generator writes only that. */
struct fd_caps {
	bool thp;		/* thp-2048k mappings run on the host */
	bool ext4;		/* ext4 files (and tmpfile mappings) */
	bool swap;		/* MADV_PAGEOUT means something */
	bool iouring;		/* fixed buffers can be registered */
};

/* ---------------------------------------------------------------------------
 * A scenario as lines, each with the names it defines and uses (gen.c).
 */
struct fd_line {
	char text[FD_LINE];
	char def[FD_DEFS][FD_NAME];
	char use[FD_USES][FD_NAME];
};

struct fd_scen {
	uint64_t seed;
	int index;
	struct fd_line *l;
	int n, cap;
};

void fd_scen_free(struct fd_scen *s);
/* Append a line (printf-style); fd_def()/fd_use() then record its names. */
struct fd_line *fd_add(struct fd_scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fd_def(struct fd_line *l, const char *name);
void fd_use(struct fd_line *l, const char *name);
/* The .pin text of the lines kept (all when keep is NULL), note as comment lines; caller frees. */
char *fd_render(const struct fd_scen *s, const bool *keep, const char *note, size_t *len);
/* Generate scenario @index of @seed into @s (empty, or freed first). */
void fd_generate(struct fd_scen *s, uint64_t seed, int index, const struct fd_caps *caps);

/* ---------------------------------------------------------------------------
 * The shrinker (shrink.c).
 */

/*
 * A ddmin predicate over a set of n indexes: does the subset still fail?  It
 * may shrink the set further (*n) and then says what it tested.
 */
typedef bool (*fd_pred)(void *arg, int *set, int *n);

/* ddmin (Zeller and Hildebrandt) over c[0..n): returns the size of the subset kept in c. */
int fd_ddmin(int *c, int n, fd_pred pred, void *arg);

/* Does this scenario text still fail (disagree)? */
typedef bool (*fd_fails)(void *arg, const char *text, size_t len);

/*
 * fd_shrink() - shrink @s (whose text fails) in place: ddmin over its lines
 * (with the closure over names), then over operands, then lines again if
 * operands changed.  keep[] (s->n entries) gets the lines kept.
 * Return: how many, or -1 when out of memory.
 */
int fd_shrink(struct fd_scen *s, bool *keep, fd_fails fails, void *arg);

#endif /* PINLAB_FUZZDIFF_H */
