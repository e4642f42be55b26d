/*
 * tests/unit/testlib.h - the whole framework for pinlab's core unit tests.
 *
 * Every tests/unit/NAME.c is one program about one feature: it includes this
 * header, writes each sub-test as a `static void test_xxx(void)` and runs
 * them from main():
 *
 *	#include "testlib.h"
 *
 *	static void test_fork_write_protects(void)
 *	{
 *		struct world *w = pl_world_new(&pl_preset_find("latest")->policy, "latest");
 *
 *		T_REQUIRE(w != NULL);		// stops this sub-test if false
 *		T_EQ(pl_fork(w, 1), 2);		// records a failure, carries on
 *		pl_world_free(w);
 *	}
 *
 *	int main(void)
 *	{
 *		T_RUN(test_fork_write_protects);
 *		return T_DONE();
 *	}
 *
 * Output is KTAP-like, one line per sub-test:
 *
 *	KTAP version 1
 *	tests/unit/fork.c:12: assertion failed: pl_fork(w, 1) == 2 (-12 vs 2, 0xfffffffffffffff4 vs 0x2)
 *	not ok 1 test_fork_write_protects
 *	ok 2 test_fork_dontfork
 *	ok 3 test_fork_hugetlb # SKIP no hugetlb pool
 *	1..3
 *	# totals: pass:1 fail:1 skip:1
 *
 * T_DONE() returns the exit status tests/run.sh understands: 1 if any
 * sub-test failed, 77 (skip) if every sub-test skipped, 0 otherwise.
 *
 * Tests are single translation units, so the state lives in one static
 * struct behind t_state(); nothing here needs linking.
 */
#ifndef PINLAB_TESTLIB_H
#define PINLAB_TESTLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

struct t_state {
	const char *name;	/* current sub-test, NULL between sub-tests */
	int n;			/* sub-tests started */
	int case_failures;	/* failed assertions in the current sub-test */
	bool case_skipped;
	char skip_reason[160];
	int passed, failed, skipped;
	bool header_done;
};

static inline struct t_state *t_state(void)
{
	static struct t_state state;

	return &state;
}

static inline void t_header(void)
{
	struct t_state *s = t_state();

	if (!s->header_done) {
		printf("KTAP version 1\n");
		s->header_done = true;
	}
}

/* Print "file:line: assertion failed: ..." and count it against the sub-test. */
__attribute__((format(printf, 3, 4)))
static inline void t_fail(const char *file, int line, const char *fmt, ...)
{
	struct t_state *s = t_state();
	va_list ap;

	t_header();
	printf("%s:%d: assertion failed: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	s->case_failures++;
	if (!s->name)		/* an assertion outside any sub-test still fails the program */
		s->failed++;
}

/* A "# ..." diagnostic line; ignored by the runner, read by people. */
__attribute__((format(printf, 1, 2)))
static inline void t_note(const char *fmt, ...)
{
	va_list ap;

	t_header();
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Mark the current sub-test skipped (use T_SKIP, which also returns). */
__attribute__((format(printf, 1, 2)))
static inline void t_skip(const char *fmt, ...)
{
	struct t_state *s = t_state();
	va_list ap;

	s->case_skipped = true;
	va_start(ap, fmt);
	vsnprintf(s->skip_reason, sizeof(s->skip_reason), fmt, ap);
	va_end(ap);
}

/* Open a sub-test; for table-driven tests call t_begin()/t_end() in a loop. */
static inline void t_begin(const char *name)
{
	struct t_state *s = t_state();

	t_header();
	s->name = name;
	s->n++;
	s->case_failures = 0;
	s->case_skipped = false;
	s->skip_reason[0] = '\0';
}

/* Close the sub-test and print its result line.  Failures win over a skip. */
static inline void t_end(void)
{
	struct t_state *s = t_state();

	if (s->case_failures) {
		printf("not ok %d %s\n", s->n, s->name);
		s->failed++;
	} else if (s->case_skipped) {
		printf("ok %d %s # SKIP %s\n", s->n, s->name, s->skip_reason);
		s->skipped++;
	} else {
		printf("ok %d %s\n", s->n, s->name);
		s->passed++;
	}
	fflush(stdout);
	s->name = NULL;
}

/* Print the plan and totals; the exit status for main(). */
static inline int t_done(void)
{
	struct t_state *s = t_state();

	t_header();
	printf("1..%d\n", s->n);
	printf("# totals: pass:%d fail:%d skip:%d\n", s->passed, s->failed, s->skipped);
	fflush(stdout);
	if (s->failed)
		return T_EXIT_FAIL;
	if (s->skipped && !s->passed)
		return T_EXIT_SKIP;
	return T_EXIT_PASS;
}

#define T_RUN(fn)                  \
	do {                       \
		t_begin(#fn);      \
		fn();              \
		t_end();           \
	} while (0)

#define T_DONE() t_done()

#define T_NOTE(...) t_note(__VA_ARGS__)

/* Skip the rest of the current sub-test (a void function) with a reason. */
#define T_SKIP(...)                      \
	do {                             \
		t_skip(__VA_ARGS__);     \
		return;                  \
	} while (0)

/* Non-fatal: record the failure and carry on. */
#define T_ASSERT(cond)                                            \
	do {                                                      \
		if (!(cond))                                      \
			t_fail(__FILE__, __LINE__, "%s", #cond);  \
	} while (0)

/* Fatal for the sub-test: record the failure and return from it. */
#define T_REQUIRE(cond)                                           \
	do {                                                      \
		if (!(cond)) {                                    \
			t_fail(__FILE__, __LINE__, "%s", #cond);  \
			return;                                   \
		}                                                 \
	} while (0)

/*
 * Integer (or pointer) comparisons.  Each operand is evaluated once and
 * converted to long long, so mixing signedness never trips -Wsign-compare
 * and a u64 holding -errno equals -errno; ordering of u64 values above
 * LLONG_MAX is therefore not meaningful.  Both values are printed, signed
 * and in hex, so errnos and addresses both read.
 */
#define T_CMP_(a, op, b)                                                                    \
	do {                                                                                \
		long long t_a_ = (long long)(a);                                            \
		long long t_b_ = (long long)(b);                                            \
		if (!(t_a_ op t_b_))                                                        \
			t_fail(__FILE__, __LINE__, "%s %s %s (%lld vs %lld, %#llx vs %#llx)", \
			       #a, #op, #b, t_a_, t_b_, (unsigned long long)t_a_,           \
			       (unsigned long long)t_b_);                                   \
	} while (0)

#define T_EQ(a, b) T_CMP_(a, ==, b)
#define T_NE(a, b) T_CMP_(a, !=, b)
#define T_LT(a, b) T_CMP_(a, <, b)
#define T_LE(a, b) T_CMP_(a, <=, b)
#define T_GT(a, b) T_CMP_(a, >, b)
#define T_GE(a, b) T_CMP_(a, >=, b)

/* String equality; NULL compares equal only to NULL. */
#define T_STREQ(a, b)                                                                     \
	do {                                                                              \
		const char *t_sa_ = (a);                                                  \
		const char *t_sb_ = (b);                                                  \
		if (!(t_sa_ == t_sb_ || (t_sa_ && t_sb_ && strcmp(t_sa_, t_sb_) == 0)))   \
			t_fail(__FILE__, __LINE__, "%s == %s (\"%s\" vs \"%s\")", #a, #b, \
			       t_sa_ ? t_sa_ : "(null)", t_sb_ ? t_sb_ : "(null)");       \
	} while (0)

#endif /* PINLAB_TESTLIB_H */
