/*
 * bench/bench.c - `make bench`: how much does the model cost next to the kernel?
 *
 * Each benchmark runs the same operation twice in one process: through the
 * core API on a modelled world (preset "latest"), and on this machine's
 * kernel (bench/host_ops.c).  One line per benchmark:
 *
 *	bench fork-1GiB model=<ns> kernel=<ns> ratio=<model/kernel> spread=...
 *	bench pin-unpin-1GiB model=<ns> kernel=<ns> ratio=<r>
 *	bench cow-fault-per-page model=<ns> kernel=<ns> ratio=<r>
 *	bench vmsplice-1GiB model=<ns> kernel=<ns> ratio=<r>
 *	bench bytes-per-page model=<n>
 *	bench fork-mthp64k-1GiB model=<ns> kernel=<ns> ratio=<r> ...
 *	bench pin-unpin-mthp64k-1GiB model=<ns> kernel=<ns> ratio=<r> ...
 *	bench cow-fault-mthp64k-per-page model=<ns> kernel=<ns> ratio=<r> ...
 *
 *   fork          fork of a process with the whole range populated, until the
 *                 child has exited (pl_fork + pl_exit / fork + waitpid)
 *   pin-unpin     FOLL_WRITE | FOLL_LONGTERM pin of every page, then unpin
 *                 (pin_user_pages + unpin_user_pages / io_uring buffer
 *                 register + unregister)
 *   cow-fault     after fork, with the child alive, the parent writes every
 *                 page; nanoseconds per page
 *   vmsplice      every page into a pipe of 16 buffers, 16 pages at a time,
 *                 each chunk drained without copying (pl_vmsplice +
 *                 pl_pipe_read / vmsplice(2) + splice(2) to /dev/null): FOLL_GET
 *                 via GUP-fast and put_page
 *   bytes-per-page  pl_world_bytes() of the populated world / pages
 *   *-mthp64k     the same three on 64 kB mTHP: the memory is populated with
 *                 PTE-mapped 64 kB anon folios (model: mthp_always order 4;
 *                 kernel: hugepages-64kB/enabled=always through the host
 *                 journal, restored after the rows, see host_ops.h).  fork
 *                 shares each folio (copy_present_ptes() batches a folio since
 *                 f8d937761d65), the parent's write copies one 4 kB page of a
 *                 folio the child still maps (do_wp_page(), no large reuse
 *                 while the child maps it), pin-unpin pins every page
 *                 (_pincount per folio).  Not root or no mTHP: kernel=skip.
 *
 * The size is 1 GiB of 4 KiB pages; PINLAB_BENCH_MB overrides it, and the
 * names follow (fork-256MiB).  Each side runs once to warm up, then
 * PINLAB_BENCH_REPS times (default 5), model and kernel in turn; a line gives
 * the medians, the ratio of the medians and spread=model:MIN-MAX,kernel:MIN-MAX.
 * A kernel measurement that cannot be made (no io_uring, say) prints
 * kernel=skip ratio=skip, the reason on stderr.  Exit status 1 if a model
 * measurement failed.
 */
#include "host_ops.h"

#include <pinlab/core.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_DEFAULT_MB 1024UL
#define BENCH_MAX_MB	 (1UL << 20)	/* 1 TiB: a typo guard, not a limit of the model */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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
/* The *-mthp64k rows: model_setup() populates with 64 kB folios (order 4). */
static bool bench_mthp;
#define BENCH_MTHP_ORDER 4

static int model_setup(struct model *m, const char *what, size_t bytes)
{
	const struct pl_preset *preset = pl_preset_find("latest");
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
	if (bench_mthp) {
		/* PMD THP only on MADV_HUGEPAGE (not given), 64 kB mTHP always */
		m->w->thp = THP_MADVISE;
		m->w->mthp_always = 1u << BENCH_MTHP_ORDER;
	}

	m->pid = pl_task_create(m->w);
	if (m->pid <= 0) {
		fprintf(stderr, "bench: %s: model: pl_task_create: %d\n", what, m->pid);
		goto free_world;
	}
	m->addr = pl_mmap(m->w, m->pid, 0, bytes, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	if (pl_err(m->addr)) {
		fprintf(stderr, "bench: %s: model: pl_mmap: %s\n", what,
			strerror(-(int)(int64_t)m->addr));
		goto free_world;
	}
	ret = pl_madvise(m->w, m->pid, m->addr, bytes, PL_MADV_POPULATE_WRITE);
	if (ret < 0) {
		fprintf(stderr, "bench: %s: model: MADV_POPULATE_WRITE: %s\n", what, strerror(-ret));
		goto free_world;
	}
	if (bench_mthp) {
		pte_t *ptep = pl_pte_lookup(pl_task(m->w, m->pid)->mm, m->addr);

		if (!ptep || !pte_present(*ptep) ||
		    pfn_to_page(m->w, pte_pfn(*ptep))->order != BENCH_MTHP_ORDER) {
			fprintf(stderr, "bench: %s: model: the range did not get 64 kB folios\n",
				what);
			goto free_world;
		}
	}
	return 0;

free_world:
	pl_world_free(m->w);
	m->w = NULL;
	return -1;
}

static void model_teardown(struct model *m)
{
	pl_world_free(m->w);
	m->w = NULL;
}

static int64_t model_fork_ns(size_t bytes)
{
	struct model m;
	int64_t t0, t1;
	int child, ret;

	if (model_setup(&m, "fork", bytes) < 0)
		return -1;
	t0 = now_ns();
	child = pl_fork(m.w, m.pid);
	if (child < 0) {
		fprintf(stderr, "bench: fork: model: pl_fork: %s\n", strerror(-child));
		model_teardown(&m);
		return -1;
	}
	/* The kernel side's clock stops after the child's exit_mmap(); so does this one. */
	ret = pl_exit(m.w, child);
	t1 = now_ns();
	model_teardown(&m);
	if (ret < 0) {
		fprintf(stderr, "bench: fork: model: pl_exit: %s\n", strerror(-ret));
		return -1;
	}
	return t1 - t0;
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

	t0 = now_ns();
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
	t1 = now_ns();
	ret = t1 - t0;

free_pages:
	free(pages);
teardown:
	model_teardown(&m);
	return ret;
}

/* Returns the time for all the writes; the caller divides by the page count. */
static int64_t model_cow_fault_ns(size_t bytes)
{
	struct model m;
	int64_t t0, t1, ret = -1;
	pl_token tok;
	int child, r;

	if (model_setup(&m, "cow-fault", bytes) < 0)
		return -1;
	child = pl_fork(m.w, m.pid);
	if (child < 0) {
		fprintf(stderr, "bench: cow-fault: model: pl_fork: %s\n", strerror(-child));
		goto teardown;
	}
	tok = pl_token_intern(m.w, "bench");

	t0 = now_ns();
	for (unsigned long i = 0; i < m.nr_pages; i++) {
		r = pl_user_write(m.w, m.pid, m.addr + i * PAGE_SIZE, tok);
		if (r < 0) {
			fprintf(stderr, "bench: cow-fault: model: pl_user_write at page %lu: %s\n", i,
				strerror(-r));
			goto teardown;
		}
	}
	t1 = now_ns();
	ret = t1 - t0;
	pl_exit(m.w, child);

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
	t0 = now_ns();
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
	t1 = now_ns();
	ret = t1 - t0;
	pl_pipe_close(m.w, pipe);
teardown:
	model_teardown(&m);
	return ret;
}

static int64_t model_bytes_per_page(size_t bytes)
{
	struct model m;
	int64_t ret;

	if (model_setup(&m, "bytes-per-page", bytes) < 0)
		return -1;
	ret = (int64_t)(pl_world_bytes(m.w) / m.nr_pages);
	model_teardown(&m);
	return ret;
}

/* The kernel side of the mTHP rows: only when 64 kB mTHP could be enabled. */
static bool kernel_mthp_ok;

static int64_t kernel_fork_mthp_ns(size_t bytes)
{
	return kernel_mthp_ok ? kernel_fork_ns(bytes) : -1;
}

static int64_t kernel_pin_unpin_mthp_ns(size_t bytes)
{
	return kernel_mthp_ok ? kernel_pin_unpin_ns(bytes) : -1;
}

static int64_t kernel_cow_fault_mthp_ns(size_t bytes)
{
	return kernel_mthp_ok ? kernel_cow_fault_ns(bytes) : -1;
}

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
	int64_t div = per_page ? (int64_t)cfg->nr_pages : 1;
	struct sample model, kernel;

	measure(cfg, model_fn, kernel_fn, &model, &kernel);
	printf("bench %s", name);
	if (model.med >= 0)
		printf(" model=%" PRId64, model.med / div);
	else
		printf(" model=fail");
	if (kernel.med >= 0)
		printf(" kernel=%" PRId64, kernel.med / div);
	else
		printf(" kernel=skip");
	if (model.med >= 0 && kernel.med > 0)
		printf(" ratio=%.3f", (double)model.med / (double)kernel.med);
	else
		printf(" ratio=skip");
	printf(" spread=model:");
	if (model.med >= 0)
		printf("%" PRId64 "-%" PRId64, model.min / div, model.max / div);
	else
		printf("fail");
	printf(",kernel:");
	if (kernel.med >= 0)
		printf("%" PRId64 "-%" PRId64, kernel.min / div, kernel.max / div);
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

int main(void)
{
	struct bench_cfg cfg;
	unsigned long mb, reps;
	char name[64];
	bool ok = true;

	if (parse_env_ulong("PINLAB_BENCH_MB", BENCH_DEFAULT_MB, BENCH_MAX_MB, &mb) < 0 ||
	    parse_env_ulong("PINLAB_BENCH_REPS", 5, BENCH_MAX_REPS, &reps) < 0)
		return 2;
	cfg.bytes = (size_t)mb << 20;
	cfg.nr_pages = (unsigned long)(cfg.bytes / PAGE_SIZE);
	cfg.reps = (int)reps;
	if (mb % 1024 == 0)
		snprintf(cfg.size_name, sizeof(cfg.size_name), "%luGiB", mb / 1024);
	else
		snprintf(cfg.size_name, sizeof(cfg.size_name), "%luMiB", mb);

	printf("# pinlab-bench: %s of 4 KiB pages (%lu pages), preset latest, one warm-up run\n"
	       "# then %d runs a side in turn; medians, ratio of medians, spread min-max\n",
	       cfg.size_name, cfg.nr_pages, cfg.reps);
	fflush(stdout);

	snprintf(name, sizeof(name), "fork-%s", cfg.size_name);
	ok &= report(&cfg, name, model_fork_ns, kernel_fork_ns, false);

	snprintf(name, sizeof(name), "pin-unpin-%s", cfg.size_name);
	ok &= report(&cfg, name, model_pin_unpin_ns, kernel_pin_unpin_ns, false);

	ok &= report(&cfg, "cow-fault-per-page", model_cow_fault_ns, kernel_cow_fault_ns, true);

	snprintf(name, sizeof(name), "vmsplice-%s", cfg.size_name);
	ok &= report(&cfg, name, model_vmsplice_ns, kernel_vmsplice_ns, false);

	{
		int64_t bpp = model_bytes_per_page(cfg.bytes);

		if (bpp >= 0)
			printf("bench bytes-per-page model=%" PRId64 "\n", bpp);
		else
			printf("bench bytes-per-page model=fail\n");
		ok &= bpp >= 0;
	}

	/* 64 kB mTHP: both sides switch, the kernel's sysfs is put back after */
	bench_mthp = true;
	kernel_mthp_ok = kernel_mthp_enable() == 0;

	snprintf(name, sizeof(name), "fork-mthp64k-%s", cfg.size_name);
	ok &= report(&cfg, name, model_fork_ns, kernel_fork_mthp_ns, false);

	snprintf(name, sizeof(name), "pin-unpin-mthp64k-%s", cfg.size_name);
	ok &= report(&cfg, name, model_pin_unpin_ns, kernel_pin_unpin_mthp_ns, false);

	ok &= report(&cfg, "cow-fault-mthp64k-per-page", model_cow_fault_ns,
		     kernel_cow_fault_mthp_ns, true);

	if (kernel_mthp_ok)
		kernel_mthp_restore();
	return ok ? 0 : 1;
}
