/*
 * bench/bench.c - `make bench`: how much does the model cost next to the kernel?
 *
 * Each benchmark runs the same operation twice in one process: through the
 * core API on a modelled world (preset "latest"), and on this machine's
 * kernel (bench/host_ops.c).  One line per benchmark:
 *
 *	bench NAME model=<ns> kernel=<ns> ratio=<model/kernel> spread=model:MIN-MAX,kernel:MIN-MAX
 *
 * The rows, first on base pages (MADV_NOHUGEPAGE on the kernel side):
 *
 *   fork          fork of a process with the whole range populated, until the
 *                 child has exited (pl_fork + pl_exit / fork + waitpid)
 *   fork-parent   the parent's fork alone (pl_fork / fork() until it returns
 *                 in the parent), the child left alive
 *   pin-unpin     FOLL_WRITE | FOLL_LONGTERM pin of every page, then unpin
 *                 (pin_user_pages + unpin_user_pages / io_uring buffer
 *                 register + unregister)
 *   cow-fault     after fork, with the child alive, the parent writes every
 *                 page; nanoseconds per 4 KiB page of the range
 *   reuse         after fork and the child's exit, the parent writes every
 *                 page: a write fault that reuses the page in place
 *   vmsplice      every page into a pipe of 16 buffers, 16 pages at a time,
 *                 each chunk drained without copying (pl_vmsplice +
 *                 pl_pipe_read / vmsplice(2) + splice(2) to /dev/null): FOLL_GET
 *                 via GUP-fast and put_page
 *   bytes-per-page[-after-fork]  pl_world_bytes() of the populated world
 *                 (with a forked child mapping it all) / pages of the range
 *
 * then the same on other memory (host_ops.h, enum kbench_mem):
 *
 *   *-mthp64k     fork, pin-unpin, cow-fault on PTE-mapped 64 kB anon folios
 *                 (model: mthp_always order 4; kernel: hugepages-64kB/enabled
 *                 = always through the host journal, restored after the rows).
 *                 fork shares each folio (copy_present_ptes() batches a folio
 *                 since f8d937761d65), the parent's write copies one 4 kB page
 *                 of a folio the child still maps.
 *   *-thp         PMD THP (MADV_HUGEPAGE in a 2 MiB aligned range, both
 *                 sides): fork, fork-parent, pin-unpin, cow-fault (every 4 KiB
 *                 page: the PMD is split on the first write and each page
 *                 copied on its own fault), reuse and huge-zero-read (one
 *                 write / read per 2 MiB, one fault each in the kernel: the
 *                 whole folio reused, the huge zero page mapped), and
 *                 bytes-per-page-thp[-after-fork]
 *   *-hugetlb     2 MiB hugetlb (MAP_HUGETLB; the kernel's pool set through
 *                 the host journal to twice the range and put back): fork,
 *                 fork-parent, pin-unpin, cow-fault and reuse (one write per
 *                 2 MiB page, the fault copies or reuses the whole page)
 *
 * The per-page rows divide by the 4 KiB pages of the range whatever the
 * stride of the writes.  Not root, no mTHP, THP "never", no hugetlb: that
 * kind's rows print kernel=skip (the reason on stderr).
 *
 * The size is 1 GiB of 4 KiB pages; PINLAB_BENCH_MB overrides it, and the
 * names follow (fork-256MiB).  Each side runs once to warm up, then
 * PINLAB_BENCH_REPS times (default 5), model and kernel in turn; a line gives
 * the medians, the ratio of the medians and spread=model:MIN-MAX,kernel:MIN-MAX.
 * PINLAB_BENCH_ONLY=WORD[,WORD] runs only the rows whose name contains one;
 * PINLAB_BENCH_MODEL_ONLY=1 skips every kernel side (to profile the model);
 * PINLAB_BENCH_PERF=CTL,ACK lets perf sample the timed part only (perf_open()).
 * A kernel measurement that cannot be made (no io_uring, say) prints
 * kernel=skip ratio=skip, the reason on stderr.  Exit status 1 if a model
 * measurement failed.
 *
 * `pinlab-bench scale` (`make bench-scale`): the model alone at 1, 4, 16 and
 * 64 GiB, user and system CPU ns per page and bytes per page (scale()).
 *
 * Adding a row: its model and kernel functions and one line of rows[] that
 * names the kinds of memory it runs on; a new kind of memory is one line of
 * mem_passes[] and one case of kernel_mem_enable() (host_ops.c).
 */
#include "host_ops.h"

#include <pinlab/core.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>

#define BENCH_DEFAULT_MB 1024UL
#define BENCH_MAX_MB	 (1UL << 20)	/* 1 TiB: a typo guard, not a limit of the model */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* User and system CPU time of the last model measurement (`make bench-scale`). */
static struct rusage ru_start, ru_stop;

static int64_t tv_ns(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

/*
 * PINLAB_BENCH_PERF=CTL,ACK: the control and ack fifos of a `perf record -D -1
 * --control fifo:CTL,ACK` that runs this bench (bench/profile.sh): sampling
 * is switched on for the timed part of each model measurement only, so a
 * row's profile leaves out its set-up (populating the range) and teardown.
 * Unset: nothing is opened and the clock is all there is.
 */
static FILE *perf_ctl, *perf_ack;

static void perf_open(void)
{
	const char *env = getenv("PINLAB_BENCH_PERF");
	char ctl[512];
	const char *comma;

	if (!env || !*env)
		return;
	comma = strchr(env, ',');
	if (!comma || (size_t)(comma - env) >= sizeof(ctl)) {
		fprintf(stderr, "bench: PINLAB_BENCH_PERF: expected CTL-FIFO,ACK-FIFO\n");
		exit(2);
	}
	memcpy(ctl, env, (size_t)(comma - env));
	ctl[comma - env] = 0;
	perf_ctl = fopen(ctl, "w");
	perf_ack = perf_ctl ? fopen(comma + 1, "r") : NULL;
	if (!perf_ctl || !perf_ack) {
		fprintf(stderr, "bench: PINLAB_BENCH_PERF: cannot open %s: %s\n", env,
			strerror(errno));
		exit(2);
	}
}

/* Tell perf to start or stop sampling, and wait until it has (its "ack"). */
static void perf_switch(const char *cmd)
{
	char ack[16];

	if (!perf_ctl)
		return;
	fprintf(perf_ctl, "%s\n", cmd);
	fflush(perf_ctl);
	if (!fgets(ack, sizeof(ack), perf_ack)) {
		fprintf(stderr, "bench: PINLAB_BENCH_PERF: perf did not answer '%s'\n", cmd);
		exit(2);
	}
}

static int64_t clock_start(void)
{
	perf_switch("enable");
	getrusage(RUSAGE_SELF, &ru_start);
	return now_ns();
}

static int64_t clock_stop(void)
{
	int64_t t = now_ns();

	getrusage(RUSAGE_SELF, &ru_stop);
	perf_switch("disable");
	return t;
}

/* ---------------------------------------------------------------------------
 * Model side.
 */
struct model {
	struct world *w;
	int pid;
	pl_addr addr;
	unsigned long nr_pages;
};

/*
 * A world holding one process with @bytes of private anonymous memory, every
 * page populated for write: the state the kernel side starts from too.
 */
/* What the rows' memory is made of (host_ops.h), on both sides. */
static enum kbench_mem bench_mode = KBENCH_BASE;
#define BENCH_MTHP_ORDER 4

static bool model_check_folios(struct model *m, const char *what)
{
	struct mm_struct *mm = pl_task(m->w, m->pid)->mm;
	pte_t *ptep;
	pmd_t *pmdp;

	switch (bench_mode) {
	case KBENCH_BASE:
		return true;
	case KBENCH_MTHP64K:
		ptep = pl_pte_lookup(mm, m->addr);
		if (ptep && pte_present(*ptep) &&
		    pfn_to_page(m->w, pte_pfn(*ptep))->order == BENCH_MTHP_ORDER)
			return true;
		fprintf(stderr, "bench: %s: model: the range did not get 64 kB folios\n", what);
		return false;
	case KBENCH_THP:
	case KBENCH_HUGETLB:
		pmdp = pl_pmd_lookup(mm, m->addr);
		if (pmdp && pmd_leaf(*pmdp))
			return true;
		fprintf(stderr, "bench: %s: model: the range is not PMD-mapped\n", what);
		return false;
	}
	return false;
}

/*
 * A world holding one process with @bytes of private anonymous memory, every
 * page populated for write unless !populate: the state the kernel side
 * starts from too.
 */
static int model_setup_mem(struct model *m, const char *what, size_t bytes, bool populate)
{
	const struct pl_preset *preset = pl_preset_find("latest");
	unsigned flags = PL_MAP_PRIVATE | PL_MAP_ANONYMOUS;
	int ret;

	memset(m, 0, sizeof(*m));
	m->nr_pages = (unsigned long)(bytes / PAGE_SIZE);
	if (!preset) {
		fprintf(stderr, "bench: %s: model: no preset \"latest\"\n", what);
		return -1;
	}
	m->w = pl_world_new(&preset->policy, "latest");
	if (!m->w) {
		fprintf(stderr, "bench: %s: model: pl_world_new failed\n", what);
		return -1;
	}
	/* Base pages, like the kernel side's MADV_NOHUGEPAGE; no per-step checking. */
	m->w->thp = THP_NEVER;
	m->w->checked = false;
	switch (bench_mode) {
	case KBENCH_BASE:
		break;
	case KBENCH_MTHP64K:
		/* PMD THP only on MADV_HUGEPAGE (not given), 64 kB mTHP always */
		m->w->thp = THP_MADVISE;
		m->w->mthp_always = 1u << BENCH_MTHP_ORDER;
		break;
	case KBENCH_THP:
		m->w->thp = THP_MADVISE;	/* the host's setting; the range asks */
		m->w->huge_zero_page = true;
		break;
	case KBENCH_HUGETLB:
		/* as the kernel side: twice the range, a COW copies every page */
		ret = pl_hugetlb_set_pool(m->w, (uint32_t)(bytes / PMD_SIZE * 2));
		if (ret < 0) {
			fprintf(stderr, "bench: %s: model: hugetlb pool: %s\n", what, strerror(-ret));
			goto free_world;
		}
		flags |= PL_MAP_HUGETLB;
		break;
	}

	m->pid = pl_task_create(m->w);
	if (m->pid <= 0) {
		fprintf(stderr, "bench: %s: model: pl_task_create: %d\n", what, m->pid);
		goto free_world;
	}
	m->addr = pl_mmap(m->w, m->pid, 0, bytes, PL_PROT_READ | PL_PROT_WRITE, flags, -1, 0);
	if (pl_err(m->addr)) {
		fprintf(stderr, "bench: %s: model: pl_mmap: %s\n", what,
			strerror(-(int)(int64_t)m->addr));
		goto free_world;
	}
	if (bench_mode == KBENCH_THP) {
		ret = pl_madvise(m->w, m->pid, m->addr, bytes, PL_MADV_HUGEPAGE);
		if (ret < 0) {
			fprintf(stderr, "bench: %s: model: MADV_HUGEPAGE: %s\n", what, strerror(-ret));
			goto free_world;
		}
	}
	if (!populate)
		return 0;
	ret = pl_madvise(m->w, m->pid, m->addr, bytes, PL_MADV_POPULATE_WRITE);
	if (ret < 0) {
		fprintf(stderr, "bench: %s: model: MADV_POPULATE_WRITE: %s\n", what, strerror(-ret));
		goto free_world;
	}
	if (!model_check_folios(m, what))
		goto free_world;
	return 0;

free_world:
	pl_world_free(m->w);
	m->w = NULL;
	return -1;
}

static int model_setup(struct model *m, const char *what, size_t bytes)
{
	return model_setup_mem(m, what, bytes, true);
}

static void model_teardown(struct model *m)
{
	pl_world_free(m->w);
	m->w = NULL;
}

/*
 * pl_fork() of the populated range; with @child_exit the clock stops after
 * the child's pl_exit() too (the kernel side's stops after its exit_mmap()),
 * otherwise the child is left alive: the parent's fork alone.
 */
static int64_t model_fork_time(size_t bytes, const char *what, bool child_exit)
{
	struct model m;
	int64_t t0, t1;
	int child, ret = 0;

	if (model_setup(&m, what, bytes) < 0)
		return -1;
	t0 = clock_start();
	child = pl_fork(m.w, m.pid);
	if (child >= 0 && child_exit)
		ret = pl_exit(m.w, child);
	t1 = clock_stop();
	model_teardown(&m);
	if (child < 0 || ret < 0) {
		fprintf(stderr, "bench: %s: model: %s: %s\n", what, child < 0 ? "pl_fork" : "pl_exit",
			strerror(child < 0 ? -child : -ret));
		return -1;
	}
	return t1 - t0;
}

static int64_t model_fork_ns(size_t bytes)
{
	return model_fork_time(bytes, "fork", true);
}

static int64_t model_pin_unpin_ns(size_t bytes)
{
	struct model m;
	unsigned long done = 0;
	int64_t t0, t1, ret = -1;
	struct mm_struct *mm;
	pl_pfn *pages;

	if (model_setup(&m, "pin-unpin", bytes) < 0)
		return -1;
	mm = pl_task(m.w, m.pid)->mm;
	pages = calloc(m.nr_pages, sizeof(*pages));
	if (!pages) {
		fprintf(stderr, "bench: pin-unpin: out of memory\n");
		goto teardown;
	}

	t0 = clock_start();
	/* Like __gup_longterm_locked()'s callers: keep going until every page is pinned. */
	while (done < m.nr_pages) {
		long r = pin_user_pages(m.w, mm, m.addr + done * PAGE_SIZE, m.nr_pages - done,
					FOLL_WRITE | FOLL_LONGTERM, pages + done);

		if (r <= 0) {
			fprintf(stderr, "bench: pin-unpin: model: pin_user_pages at page %lu: %s\n",
				done, r < 0 ? strerror((int)-r) : "no progress");
			unpin_user_pages(m.w, pages, done);
			goto free_pages;
		}
		done += (unsigned long)r;
	}
	unpin_user_pages(m.w, pages, done);
	t1 = clock_stop();
	ret = t1 - t0;

free_pages:
	free(pages);
teardown:
	model_teardown(&m);
	return ret;
}

/* The parent's fork() alone: pl_fork(), the child left alive. */
static int64_t model_fork_parent_ns(size_t bytes)
{
	return model_fork_time(bytes, "fork-parent", false);
}

/*
 * Fork, then the parent writes once every kbench_stride() bytes of the range
 * (every page, or every folio when @child_exit), the child alive (each write
 * a COW copy) or, @child_exit, gone first (each reuses in place).
 * Returns the time for all the writes; the caller divides by the page count.
 */
static int64_t model_fork_write(size_t bytes, const char *what, bool child_exit)
{
	unsigned long stride = kbench_stride(bench_mode, !child_exit);
	int64_t t0, ret = -1;
	struct model m;
	pl_token tok;
	int child;

	if (model_setup(&m, what, bytes) < 0)
		return -1;
	child = pl_fork(m.w, m.pid);
	if (child < 0 || (child_exit && pl_exit(m.w, child) < 0)) {
		fprintf(stderr, "bench: %s: model: fork or exit failed\n", what);
		goto teardown;
	}
	tok = pl_token_intern(m.w, "bench");
	t0 = clock_start();
	for (unsigned long off = 0; off < m.nr_pages * PAGE_SIZE; off += stride) {
		int r = pl_user_write(m.w, m.pid, m.addr + off, tok);

		if (r < 0) {
			fprintf(stderr, "bench: %s: model: pl_user_write at %#lx: %s\n", what, off,
				strerror(-r));
			goto teardown;
		}
	}
	ret = clock_stop() - t0;
teardown:
	model_teardown(&m);
	return ret;
}

static int64_t model_cow_fault_ns(size_t bytes)
{
	return model_fork_write(bytes, "cow-fault", false);
}

static int64_t model_reuse_ns(size_t bytes)
{
	return model_fork_write(bytes, "reuse", true);
}


/* Read faults of an untouched range: the (huge) zero page. */
static int64_t model_zero_read_ns(size_t bytes)
{
	unsigned long stride = kbench_stride(bench_mode, false);
	struct model m;
	int64_t t0, t1, ret = -1;
	pl_token tok;
	int r;

	if (model_setup_mem(&m, "zero-read", bytes, false) < 0)
		return -1;
	t0 = clock_start();
	for (unsigned long off = 0; off < m.nr_pages * PAGE_SIZE; off += stride) {
		r = pl_user_read(m.w, m.pid, m.addr + off, &tok);
		if (r < 0 || tok != PL_TOKEN_ZERO) {
			fprintf(stderr, "bench: zero-read: model: pl_user_read at %#lx: %s\n", off,
				r < 0 ? strerror(-r) : "not zero");
			goto teardown;
		}
	}
	t1 = clock_stop();
	ret = t1 - t0;
	if (bench_mode == KBENCH_THP) {
		pmd_t *pmdp = pl_pmd_lookup(pl_task(m.w, m.pid)->mm, m.addr);

		if (!pmdp || !pmd_leaf(*pmdp)) {
			fprintf(stderr, "bench: zero-read: model: no huge zero page mapped\n");
			ret = -1;
		}
	}
teardown:
	model_teardown(&m);
	return ret;
}

static int64_t model_vmsplice_ns(size_t bytes)
{
	struct model m;
	int64_t t0, t1, ret = -1;
	pl_token tok;
	int pipe;

	if (model_setup(&m, "vmsplice", bytes) < 0)
		return -1;
	pipe = pl_pipe_create(m.w);
	if (pipe < 0) {
		fprintf(stderr, "bench: vmsplice: model: pl_pipe_create: %s\n", strerror(-pipe));
		goto teardown;
	}
	t0 = clock_start();
	for (unsigned long i = 0; i < m.nr_pages; i += 16) {
		long got = pl_vmsplice(m.w, m.pid, pipe, m.addr + i * PAGE_SIZE,
				       m.nr_pages - i < 16 ? m.nr_pages - i : 16);

		if (got <= 0) {
			fprintf(stderr, "bench: vmsplice: model: pl_vmsplice at page %lu: %s\n", i,
				strerror(got ? (int)-got : EAGAIN));
			goto teardown;
		}
		while (got--)
			if (pl_pipe_read(m.w, pipe, &tok) < 0) {
				fprintf(stderr, "bench: vmsplice: model: pl_pipe_read failed\n");
				goto teardown;
			}
	}
	t1 = clock_stop();
	ret = t1 - t0;
	pl_pipe_close(m.w, pipe);
teardown:
	model_teardown(&m);
	return ret;
}

/*
 * Model memory per modelled 4 KiB page: pl_world_bytes() of the populated
 * world over its pages; after_fork: with a child that maps every page too,
 * still over the pages of one copy (what the kernel's memory holds).
 */
static int64_t model_bytes_per_page(size_t bytes, bool after_fork)
{
	struct model m;
	int64_t ret;

	if (model_setup(&m, "bytes-per-page", bytes) < 0)
		return -1;
	if (after_fork && pl_fork(m.w, m.pid) < 0) {
		model_teardown(&m);
		return -1;
	}
	ret = (int64_t)(pl_world_bytes(m.w) / m.nr_pages);
	model_teardown(&m);
	return ret;
}

/* The kernel side of the rows of a mode: only when the mode could be set up. */
static bool kernel_mode_ok = true;

/* PINLAB_BENCH_MODEL_ONLY=1: no kernel side at all (profiling the model). */
static bool model_only;

#define KERNEL_GATED(fn) \
	static int64_t gated_##fn(size_t bytes) \
	{ return kernel_mode_ok && !model_only ? fn(bytes) : -1; }
KERNEL_GATED(kernel_fork_ns)
KERNEL_GATED(kernel_fork_parent_ns)
KERNEL_GATED(kernel_pin_unpin_ns)
KERNEL_GATED(kernel_cow_fault_ns)
KERNEL_GATED(kernel_reuse_ns)
KERNEL_GATED(kernel_zero_read_ns)
KERNEL_GATED(kernel_vmsplice_ns)

/* ---------------------------------------------------------------------------
 * Driver.
 */
struct bench_cfg {
	size_t bytes;
	unsigned long nr_pages;
	int reps;
	char size_name[32];	/* "1GiB", "256MiB" */
};

typedef int64_t (*bench_fn)(size_t bytes);

#define BENCH_MAX_REPS 1000

/* The figures of one side of a row: median, min and max; -1 if a run failed. */
struct sample {
	int64_t med, min, max;
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static struct sample summarise(int64_t *ns, int n)
{
	struct sample s = { -1, -1, -1 };

	for (int i = 0; i < n; i++)
		if (ns[i] < 0)
			return s;
	qsort(ns, (size_t)n, sizeof(*ns), cmp_i64);
	s.min = ns[0];
	s.max = ns[n - 1];
	s.med = n % 2 ? ns[n / 2] : (ns[n / 2 - 1] + ns[n / 2]) / 2;
	return s;
}

/*
 * Both sides of one row: a warm-up run of each (not counted: page
 * allocator, page tables and caches warm), then cfg->reps runs of each in
 * turn, model then kernel, so drift of the machine hits both alike.
 */
static void measure(const struct bench_cfg *cfg, bench_fn model_fn, bench_fn kernel_fn,
		    struct sample *model, struct sample *kernel)
{
	static int64_t m[BENCH_MAX_REPS], k[BENCH_MAX_REPS];
	bool kernel_ok = kernel_fn(cfg->bytes) >= 0;

	model_fn(cfg->bytes);
	for (int i = 0; i < cfg->reps; i++) {
		m[i] = model_fn(cfg->bytes);
		k[i] = kernel_ok ? kernel_fn(cfg->bytes) : -1;
	}
	*model = summarise(m, cfg->reps);
	*kernel = summarise(k, cfg->reps);
}

/*
 * One result line: medians, the ratio of the medians, and each side's min
 * and max; per_page divides every figure by the page count.
 */
static bool report(const struct bench_cfg *cfg, const char *name, bench_fn model_fn,
		   bench_fn kernel_fn, bool per_page)
{
	double div = per_page ? (double)cfg->nr_pages : 1;
	/* per page: one decimal, a THP row's write per 2 MiB is a fraction of a ns */
	int prec = per_page ? 1 : 0;
	struct sample model, kernel;

	measure(cfg, model_fn, kernel_fn, &model, &kernel);
	printf("bench %s", name);
	if (model.med >= 0)
		printf(" model=%.*f", prec, (double)model.med / div);
	else
		printf(" model=fail");
	if (kernel.med >= 0)
		printf(" kernel=%.*f", prec, (double)kernel.med / div);
	else
		printf(" kernel=skip");
	if (model.med >= 0 && kernel.med > 0)
		printf(" ratio=%.3f", (double)model.med / (double)kernel.med);
	else
		printf(" ratio=skip");
	printf(" spread=model:");
	if (model.med >= 0)
		printf("%.*f-%.*f", prec, (double)model.min / div, prec, (double)model.max / div);
	else
		printf("fail");
	printf(",kernel:");
	if (kernel.med >= 0)
		printf("%.*f-%.*f", prec, (double)kernel.min / div, prec, (double)kernel.max / div);
	else
		printf("skip");
	printf("\n");
	fflush(stdout);
	return model.med >= 0;
}

static int parse_env_ulong(const char *var, unsigned long dflt, unsigned long max,
			   unsigned long *out)
{
	const char *s = getenv(var);
	unsigned long v;
	char *end;

	*out = dflt;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max) {
		fprintf(stderr, "bench: %s=%s: expected a whole number from 1 to %lu\n", var, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* PINLAB_BENCH_ONLY=WORD[,WORD...]: only the rows whose name contains one of them. */
static bool row_wanted(const char *name)
{
	const char *only = getenv("PINLAB_BENCH_ONLY"), *p;

	if (!only || !*only)
		return true;
	for (p = only; *p;) {
		size_t n = strcspn(p, ",");
		char word[64];

		if (n && n < sizeof(word)) {
			memcpy(word, p, n);
			word[n] = 0;
			if (strstr(name, word))
				return true;
		}
		p += n + (p[n] == ',');
	}
	return false;
}

/* A bit per kind of memory (enum kbench_mem) a row runs on; SCALE: `pinlab-bench scale` too. */
#define ON(mem)		(1u << (mem))
#define ON_ALL		(ON(KBENCH_BASE) | ON(KBENCH_MTHP64K) | ON(KBENCH_THP) | ON(KBENCH_HUGETLB))
#define ON_NOT_MTHP	(ON_ALL & ~ON(KBENCH_MTHP64K))
#define SCALE		(1u << 8)

/*
 * The rows: NAME, then the memory's tag ("-thp"), then "-1GiB" or "-per-page".
 * Each kind of memory (mem_passes[] below) runs the rows that name it, in
 * this order; a new row is one line here.
 */
struct row {
	const char *name;
	bench_fn model, kernel;
	bool per_page;
	unsigned on;		/* ON() of each kind of memory, SCALE */
};

static const struct row rows[] = {
	{ "fork", model_fork_ns, gated_kernel_fork_ns, false, ON_ALL | SCALE },
	{ "fork-parent", model_fork_parent_ns, gated_kernel_fork_parent_ns, false, ON_NOT_MTHP },
	{ "pin-unpin", model_pin_unpin_ns, gated_kernel_pin_unpin_ns, false, ON_ALL | SCALE },
	{ "cow-fault", model_cow_fault_ns, gated_kernel_cow_fault_ns, true, ON_ALL | SCALE },
	{ "reuse", model_reuse_ns, gated_kernel_reuse_ns, true, ON_NOT_MTHP },
	{ "vmsplice", model_vmsplice_ns, gated_kernel_vmsplice_ns, false, ON(KBENCH_BASE) },
	{ "huge-zero-read", model_zero_read_ns, gated_kernel_zero_read_ns, true, ON(KBENCH_THP) },
	{ NULL, NULL, NULL, false, 0 }
};

/*
 * The kinds of memory in the order they run: TAG goes into the row names;
 * BYTES_ROWS: bytes-per-page TAG [-after-fork] follow the timed rows.  A
 * kind whose rows PINLAB_BENCH_ONLY all leaves out is not switched on.
 */
static const struct mem_pass {
	enum kbench_mem mem;
	const char *tag;
	bool bytes_rows;
} mem_passes[] = {
	{ KBENCH_BASE, "", true },
	{ KBENCH_MTHP64K, "-mthp64k", false },	/* sysfs set, then put back */
	{ KBENCH_THP, "-thp", true },		/* MADV_HUGEPAGE, nothing changed */
	{ KBENCH_HUGETLB, "-hugetlb", false },	/* the pool set, then put back */
};

static bool bytes_row(const struct bench_cfg *cfg, const char *name, bool after_fork)
{
	int64_t bpp = model_bytes_per_page(cfg->bytes, after_fork);

	if (bpp >= 0)
		printf("bench %s model=%" PRId64 "\n", name, bpp);
	else
		printf("bench %s model=fail\n", name);
	fflush(stdout);
	return bpp >= 0;
}

static void row_name(char *buf, size_t len, const char *name, const char *tag, const char *size)
{
	snprintf(buf, len, "%s%s-%s", name, tag, size);
}

/*
 * The rows of one kind of memory that PINLAB_BENCH_ONLY keeps: run them
 * (clearing *ok if a model measurement fails), or with !ok only count them.
 */
static int pass_rows(const struct bench_cfg *cfg, const struct mem_pass *mp, bool *ok)
{
	char name[96];
	int kept = 0;

	for (const struct row *r = rows; r->name; r++) {
		if (!(r->on & ON(mp->mem)))
			continue;
		row_name(name, sizeof(name), r->name, mp->tag,
			 r->per_page ? "per-page" : cfg->size_name);
		if (!row_wanted(name))
			continue;
		kept++;
		if (ok)
			*ok &= report(cfg, name, r->model, r->kernel, r->per_page);
	}
	for (int after_fork = 0; mp->bytes_rows && after_fork < 2; after_fork++) {
		snprintf(name, sizeof(name), "bytes-per-page%s%s", mp->tag,
			 after_fork ? "-after-fork" : "");
		if (!row_wanted(name))
			continue;
		kept++;
		if (ok)
			*ok &= bytes_row(cfg, name, after_fork);
	}
	return kept;
}

static void set_size(struct bench_cfg *cfg, unsigned long mb)
{
	cfg->bytes = (size_t)mb << 20;
	cfg->nr_pages = (unsigned long)(cfg->bytes / PAGE_SIZE);
	if (mb % 1024 == 0)
		snprintf(cfg->size_name, sizeof(cfg->size_name), "%luGiB", mb / 1024);
	else
		snprintf(cfg->size_name, sizeof(cfg->size_name), "%luMiB", mb);
}

/*
 * `make bench-scale` (pinlab-bench scale): the model alone at 1, 4, 16 and
 * 64 GiB (PINLAB_BENCH_SCALE_GB=1,4,... overrides), base pages and PMD THP:
 * per row the median of the runs' user and system CPU time per 4 KiB page
 * (getrusage() around the timed part) and the bytes of model memory per
 * page.  Cost is flat when the per-page figures do not grow with the size.
 */
static bool scale(int reps)
{
	const char *list = getenv("PINLAB_BENCH_SCALE_GB");
	static const unsigned long dflt[] = { 1, 4, 16, 64 };
	unsigned long gbs[16];
	int n = 0;
	bool ok = true;

	if (list && *list) {
		for (const char *p = list; *p && n < 16;) {
			char *end;
			unsigned long v = strtoul(p, &end, 10);

			if (end == p || v == 0 || v > 1024 || (*end && *end != ',')) {
				fprintf(stderr, "bench: PINLAB_BENCH_SCALE_GB=%s: expected GiB,GiB...\n",
					list);
				return false;
			}
			gbs[n++] = v;
			p = *end ? end + 1 : end;
		}
	} else {
		memcpy(gbs, dflt, sizeof(dflt));
		n = 4;
	}
	printf("# pinlab-bench scale: the model alone, median of %d runs (one warm-up) per row;\n"
	       "# user and sys: CPU ns per 4 KiB page of the timed part\n", reps);
	for (int mode = 0; mode < 2; mode++) {
		bench_mode = mode ? KBENCH_THP : KBENCH_BASE;
		for (int i = 0; i < n; i++) {
			struct bench_cfg cfg;
			int64_t bpp;

			cfg.reps = reps;
			set_size(&cfg, gbs[i] * 1024);
			for (const struct row *r = rows; r->name; r++) {
				int64_t user[BENCH_MAX_REPS], sys[BENCH_MAX_REPS];
				struct sample su, ss;
				char name[96];

				if (!(r->on & SCALE))
					continue;
				row_name(name, sizeof(name), r->name, mode ? "-thp" : "", "per-page");
				if (!row_wanted(name))
					continue;
				r->model(cfg.bytes);
				for (int k = 0; k < reps; k++) {
					if (r->model(cfg.bytes) < 0) {
						user[k] = sys[k] = -1;
						continue;
					}
					user[k] = tv_ns(ru_stop.ru_utime) - tv_ns(ru_start.ru_utime);
					sys[k] = tv_ns(ru_stop.ru_stime) - tv_ns(ru_start.ru_stime);
				}
				su = summarise(user, reps);
				ss = summarise(sys, reps);
				if (su.med < 0) {
					printf("bench-scale %s %s fail\n", name, cfg.size_name);
					ok = false;
					continue;
				}
				printf("bench-scale %s size=%s user=%.1f sys=%.1f "
				       "spread=user:%.1f-%.1f,sys:%.1f-%.1f\n", name, cfg.size_name,
				       (double)su.med / cfg.nr_pages, (double)ss.med / cfg.nr_pages,
				       (double)su.min / cfg.nr_pages, (double)su.max / cfg.nr_pages,
				       (double)ss.min / cfg.nr_pages, (double)ss.max / cfg.nr_pages);
				fflush(stdout);
			}
			bpp = model_bytes_per_page(cfg.bytes, false);
			printf("bench-scale bytes-per-page%s size=%s model=%" PRId64, mode ? "-thp" : "",
			       cfg.size_name, bpp);
			bpp = model_bytes_per_page(cfg.bytes, true);
			printf(" after-fork=%" PRId64 "\n", bpp);
			fflush(stdout);
		}
	}
	return ok;
}

int main(int argc, char **argv)
{
	struct bench_cfg cfg;
	unsigned long mb, reps;
	bool ok = true;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "scale"))) {
		fprintf(stderr, "usage: pinlab-bench [scale]\n");
		return 2;
	}
	if (parse_env_ulong("PINLAB_BENCH_MB", BENCH_DEFAULT_MB, BENCH_MAX_MB, &mb) < 0 ||
	    parse_env_ulong("PINLAB_BENCH_REPS", argc == 2 ? 3 : 5, BENCH_MAX_REPS, &reps) < 0)
		return 2;
	perf_open();
	if (argc == 2)
		return scale((int)reps) ? 0 : 1;
	set_size(&cfg, mb);
	cfg.reps = (int)reps;
	model_only = getenv("PINLAB_BENCH_MODEL_ONLY") &&
		     !strcmp(getenv("PINLAB_BENCH_MODEL_ONLY"), "1");

	printf("# pinlab-bench: %s of 4 KiB pages (%lu pages), preset latest, one warm-up run\n"
	       "# then %d runs a side in turn; medians, ratio of medians, spread min-max\n",
	       cfg.size_name, cfg.nr_pages, cfg.reps);
	fflush(stdout);

	for (size_t i = 0; i < sizeof(mem_passes) / sizeof(mem_passes[0]); i++) {
		const struct mem_pass *mp = &mem_passes[i];

		if (!pass_rows(&cfg, mp, NULL))
			continue;
		bench_mode = mp->mem;
		kernel_mode_ok = !model_only && kernel_mem_enable(mp->mem, cfg.bytes) == 0;
		pass_rows(&cfg, mp, &ok);
		kernel_mem_base();
	}
	return ok ? 0 : 1;
}
