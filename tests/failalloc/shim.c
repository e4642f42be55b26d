/*
 * tests/failalloc/shim.c - allocation-failure injection for pinlab's OOM
 * tests (tests/cli/failalloc.sh), in the manner of SQLite's OOM tests.
 *
 * build/pinlab-failalloc is build/pinlab's own objects linked with
 * -Wl,--wrap=malloc,--wrap=calloc,... (Makefile, FAILALLOC_WRAP) and this
 * file: every allocation the product asks for by name comes through a
 * __wrap_ function here, which counts it and, from the Nth one on, fails it
 * the way libc would (NULL and errno = ENOMEM).  The product binary has no
 * hook at all, and the counter lives here, in the test harness, not in the
 * product (which keeps no mutable state outside its world object).
 *
 *   PINLAB_FAIL_ALLOC=N        fail allocation N (1-based) and every later
 *                              one (a heap that stays exhausted); unset or 0:
 *                              fail nothing, only count
 *   PINLAB_FAIL_ALLOC_ONCE=1   fail allocation N only (a transient failure)
 *   PINLAB_FAIL_ALLOC_COUNT=F  at exit, write the number of allocations this
 *                              process made to F (only the first process:
 *                              forked workers of the explorer do not write)
 *
 * Counted: malloc, calloc, realloc, strdup, strndup, fopen, fdopen,
 * fmemopen, open_memstream, opendir and anonymous mmap (the model's memmap)
 * -- every allocating call in src/ (`grep -n` the list in FAILALLOC_WRAP).
 * Allocations libc makes for itself (stdio buffers, qsort) are not seen.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fdopen(int fd, const char *mode);
FILE *__real_fmemopen(void *buf, size_t size, const char *mode);
FILE *__real_open_memstream(char **bufp, size_t *sizep);
DIR *__real_opendir(const char *name);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fdopen(int fd, const char *mode);
FILE *__wrap_fmemopen(void *buf, size_t size, const char *mode);
FILE *__wrap_open_memstream(char **bufp, size_t *sizep);
DIR *__wrap_opendir(const char *name);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

/* The harness's own state: set once before main(), then only counted. */
static unsigned long fail_at;		/* 0: never fail */
static bool fail_once;
static unsigned long nr_allocs;
static const char *count_path;
static pid_t main_pid;

static void failalloc_report(void)
{
	char line[32];
	int fd, n;

	if (!count_path || getpid() != main_pid)
		return;
	fd = open(count_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	n = snprintf(line, sizeof(line), "%lu\n", __atomic_load_n(&nr_allocs, __ATOMIC_RELAXED));
	if (write(fd, line, (size_t)n) != n)
		perror("pinlab-failalloc: writing PINLAB_FAIL_ALLOC_COUNT");
	close(fd);
}

__attribute__((constructor)) static void failalloc_init(void)
{
	const char *s = getenv("PINLAB_FAIL_ALLOC");
	const char *once = getenv("PINLAB_FAIL_ALLOC_ONCE");

	fail_at = s ? strtoul(s, NULL, 10) : 0;
	fail_once = once && *once && strcmp(once, "0");
	count_path = getenv("PINLAB_FAIL_ALLOC_COUNT");
	main_pid = getpid();
	atexit(failalloc_report);
}

/* Count one allocation; true when it is to fail. */
static bool failalloc_now(void)
{
	unsigned long n = __atomic_add_fetch(&nr_allocs, 1, __ATOMIC_RELAXED);

	if (!fail_at || n < fail_at || (fail_once && n != fail_at))
		return false;
	errno = ENOMEM;
	return true;
}

void *__wrap_malloc(size_t n)
{
	return failalloc_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
	return failalloc_now() ? NULL : __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return failalloc_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return failalloc_now() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return failalloc_now() ? NULL : __real_strndup(s, n);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	return failalloc_now() ? NULL : __real_fopen(path, mode);
}

FILE *__wrap_fdopen(int fd, const char *mode)
{
	return failalloc_now() ? NULL : __real_fdopen(fd, mode);
}

FILE *__wrap_fmemopen(void *buf, size_t size, const char *mode)
{
	return failalloc_now() ? NULL : __real_fmemopen(buf, size, mode);
}

FILE *__wrap_open_memstream(char **bufp, size_t *sizep)
{
	return failalloc_now() ? NULL : __real_open_memstream(bufp, sizep);
}

DIR *__wrap_opendir(const char *name)
{
	return failalloc_now() ? NULL : __real_opendir(name);
}

/* Only anonymous memory is an allocation; a file or device mapping is not. */
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & MAP_ANONYMOUS) && failalloc_now())
		return MAP_FAILED;
	return __real_mmap(addr, len, prot, flags, fd, off);
}
