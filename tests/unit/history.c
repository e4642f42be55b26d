/*
 * Description: every historical GUP/COW bug happens under its era's preset
 * and not under the fix's: each case, a short C program against the core
 * API, is run under every preset in checked mode and must produce exactly
 * the expected outcome.
 *
 * These programs are the core's regression suite that needs no language:
 * races are made deterministic with a one-shot action on a sync-layer yield
 * point (the interleaving the race explorer would find), which a .pin file
 * cannot say.  `pinlab history` runs the files of scenarios/history/ instead; the
 * cases here say the same bugs in C (they were src/history/history.c).
 */
#include "testlib.h"

#include "pinlab/core.h"
/* the built-in cases `pinlab history` runs come from libpinlab-app.a */
#include "history/history.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hist_ctx {
	struct world *w;
	int fired;			/* the yield hook's one-shot action ran */
	uint64_t cow_breaks;		/* COWs + reuses before the racing call */
	int pid, child;			/* the processes of the case */
	pl_addr addr;
	int file, handle;
	pl_pfn pinned[4];
	long pinned_nr;
	char note[160];			/* what was observed, for the report */
};

struct hist_case {
	const char *name;		/* "cve-2020-29374" */
	const char *title;		/* one line */
	const char *kselftest;		/* the traceable kernel selftest name, or NULL */
	const char *fix;		/* commits that fixed it */
	/*
	 * Expected outcome per preset: space-separated "RANGE=OUTCOME" items,
	 * RANGE being "v5.9", "v4.8..v5.7" or "*"; the first match wins.
	 */
	const char *expect;
	/* Run the case; returns the observed data outcome ("pass", "leak" ...). */
	const char *(*run)(struct hist_ctx *c);
};

const struct hist_case *hist_cases(int *n);
/* The outcome a preset must produce for a case. */
const char *hist_expected(const struct hist_case *hc, const char *preset);
/*
 * Run one case under one policy in checked mode; returns the outcome:
 * the data outcome if it is not "pass", else "invariant" if a violation was
 * recorded, else "pass".  *w_out (may be NULL) receives the world (caller
 * frees it with pl_world_free).
 */
const char *hist_run(const struct hist_case *hc, const struct pl_policy *policy,
			const char *preset, struct world **w_out, char *note, size_t notelen);
/* The same with an event callback attached to the world (--trace, explain). */
const char *hist_run_traced(const struct hist_case *hc, const struct pl_policy *policy,
			       const char *preset,
			       void (*on_event)(struct world *, const struct pl_event *, void *),
			       void *arg, struct world **w_out, char *note, size_t notelen);

static pl_token tok(struct hist_ctx *c, const char *s)
{
	return pl_token_intern(c->w, s);
}

static const char *text(struct hist_ctx *c, pl_token t)
{
	return pl_token_text(c->w, t);
}

/* One step of a case: advance the step counter, check invariants. */
static void step(struct hist_ctx *c)
{
	c->w->step++;
	if (c->w->checked)
		pl_check_world(c->w);
}

static pl_addr map_anon(struct hist_ctx *c, int pid, unsigned long pages, unsigned flags)
{
	pl_addr a = pl_mmap(c->w, pid, 0, pages * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | flags, -1, 0);

	step(c);
	return a;
}

static int write_tok(struct hist_ctx *c, int pid, pl_addr a, const char *s)
{
	int r = pl_user_write(c->w, pid, a, tok(c, s));

	step(c);
	return r;
}

static const char *read_tok(struct hist_ctx *c, int pid, pl_addr a)
{
	pl_token t = 0;

	if (pl_user_read(c->w, pid, a, &t))
		return "<fault>";
	step(c);
	return text(c, t);
}

static const char *expect_eq(struct hist_ctx *c, const char *got, const char *want,
			     const char *fail)
{
	snprintf(c->note, sizeof(c->note), "read \"%s\", expected \"%s\"", got, want);
	return strcmp(got, want) ? fail : "pass";
}

/* ---------------------------------------------------------------------------
 * Dirty COW (CVE-2016-5195).
 */
static void dirty_cow_zap(struct world *w, enum pl_yield_point where, void *arg)
{
	struct hist_ctx *c = arg;

	/*
	 * Right after the fault that broke COW (do_wp_page copied or reused
	 * the page: VM_FAULT_WRITE), before GUP looks the page up again.  A
	 * do_cow_fault() that only installed a R/O copy does not count.
	 */
	if (where != YIELD_GUP_AFTER_FAULT || c->fired ||
	    w->stats.cows + w->stats.reuses == c->cow_breaks)
		return;
	c->fired = 1;
	/* thread B: madvise(MADV_DONTNEED) between the COW-breaking fault and the retry */
	pl_madvise(w, c->pid, c->addr, PAGE_SIZE, PL_MADV_DONTNEED);
}

static const char *run_dirty_cow(struct hist_ctx *c)
{
	struct world *w = c->w;
	pl_token t;
	int r;

	c->file = pl_file_create(w, PL_FS_EXT4, 1, tok(c, "root-owned"));
	c->pid = pl_task_create(w);
	c->addr = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, c->file, 0);
	step(c);
	read_tok(c, c->pid, c->addr);
	c->cow_breaks = w->stats.cows + w->stats.reuses;
	w->hooks.yield = dirty_cow_zap;
	w->hooks.arg = c;
	/* thread A: pwrite(/proc/self/mem) -> FOLL_FORCE|FOLL_WRITE */
	r = pl_proc_mem_write(w, c->pid, c->pid, c->addr, tok(c, "evil"));
	w->hooks.yield = NULL;
	step(c);
	if (r < 0) {
		snprintf(c->note, sizeof(c->note), "/proc/self/mem write failed: %d", r);
		return "refused";
	}
	pl_file_read(w, c->file, 0, &t);
	snprintf(c->note, sizeof(c->note), "file page reads \"%s\"", text(c, t));
	return strcmp(text(c, t), "root-owned") ? "file-modified" : "pass";
}

/* ---------------------------------------------------------------------------
 * CVE-2020-29374: vmsplice() + unmap in the child (cow.c A3), three backings.
 */
static const char *vmsplice_unmap_child(struct hist_ctx *c, int backing)
{
	struct world *w = c->w;
	unsigned long pages = backing == 1 ? HPAGE_PMD_NR : 1;
	int pipe;
	pl_token t = 0;
	pl_addr len = pages * PAGE_SIZE;

	c->pid = pl_task_create(w);
	if (backing == 2)
		pl_swapon(w, 64);
	c->addr = map_anon(c, c->pid, pages, 0);
	if (backing == 1) {
		pl_madvise(w, c->pid, c->addr, len, PL_MADV_HUGEPAGE);
		step(c);
	}
	write_tok(c, c->pid, c->addr, "old");
	c->child = pl_fork(w, c->pid);
	step(c);
	if (backing == 2) {
		pl_reclaim(w, c->pid, c->addr);	/* swapped out of both processes */
		step(c);
	}
	pipe = pl_pipe_create(w);
	if (pl_vmsplice(w, c->child, pipe, c->addr, 1) != 1) {
		snprintf(c->note, sizeof(c->note), "vmsplice failed");
		return "refused";
	}
	step(c);
	pl_munmap(w, c->child, c->addr, len);
	step(c);
	write_tok(c, c->pid, c->addr, "secret");
	pl_pipe_read(w, pipe, &t);
	step(c);
	return expect_eq(c, text(c, t), "old", "leak");
}

static const char *run_cve_base(struct hist_ctx *c) { return vmsplice_unmap_child(c, 0); }
static const char *run_cve_thp(struct hist_ctx *c) { return vmsplice_unmap_child(c, 1); }
static const char *run_cve_swap(struct hist_ctx *c) { return vmsplice_unmap_child(c, 2); }

static const char *run_vmsplice_hugetlb(struct hist_ctx *c)
{
	struct world *w = c->w;
	pl_token t = 0;
	int pipe;

	pl_hugetlb_set_pool(w, 4);
	c->pid = pl_task_create(w);
	c->addr = pl_mmap(w, c->pid, 0, PMD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			  PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB, -1, 0);
	step(c);
	write_tok(c, c->pid, c->addr, "old");
	c->child = pl_fork(w, c->pid);
	step(c);
	pipe = pl_pipe_create(w);
	if (pl_vmsplice(w, c->child, pipe, c->addr, 1) != 1)
		return "refused";
	step(c);
	pl_munmap(w, c->child, c->addr, PMD_SIZE);
	step(c);
	write_tok(c, c->pid, c->addr, "secret");
	pl_pipe_read(w, pipe, &t);
	step(c);
	return expect_eq(c, text(c, t), "old", "leak");
}

/* ---------------------------------------------------------------------------
 * A pinned buffer COWed away from its owner by fork (cow.c A8, RDMA).
 */
static const char *run_pinned_fork(struct hist_ctx *c)
{
	struct world *w = c->w;
	pl_token t = 0;
	int ring;

	c->file = pl_file_create(w, PL_FS_EXT4, 1, tok(c, ""));
	c->pid = pl_task_create(w);
	c->addr = map_anon(c, c->pid, 1, 0);
	write_tok(c, c->pid, c->addr, "old");
	ring = io_uring_register_buffers(w, c->pid, c->addr, 1);
	if (ring < 0)
		return "refused";
	step(c);
	c->child = pl_fork(w, c->pid);		/* the child stays alive */
	step(c);
	write_tok(c, c->pid, c->addr, "new");
	io_uring_write_fixed(w, ring, c->file, 0);
	step(c);
	pl_file_read(w, c->file, 0, &t);
	return expect_eq(c, text(c, t), "new", "stale-pin");
}

/* ---------------------------------------------------------------------------
 * GUP-fast pinning between fork's pin check and its write-protect.
 */
static void pin_during_fork(struct world *w, enum pl_yield_point where, void *arg)
{
	struct hist_ctx *c = arg;

	if (where != YIELD_FORK_AFTER_PIN_CHECK || c->fired)
		return;
	c->fired = 1;
	/* another thread: pin_user_pages_fast(FOLL_WRITE|FOLL_LONGTERM), lockless */
	c->pinned_nr = gup_fast_only(w, pl_task(w, c->pid)->mm, c->addr, 1,
				     FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM, c->pinned);
}

static const char *run_gup_fast_fork(struct hist_ctx *c)
{
	struct world *w = c->w;
	struct mm_struct *mm;

	c->pid = pl_task_create(w);
	c->addr = map_anon(c, c->pid, 1, 0);
	write_tok(c, c->pid, c->addr, "old");
	mm = pl_task(w, c->pid)->mm;
	w->hooks.yield = pin_during_fork;
	w->hooks.arg = c;
	c->child = pl_fork(w, c->pid);
	w->hooks.yield = NULL;
	step(c);
	if (c->pinned_nr <= 0) {
		/* GUP-fast backed off (write_protect_seq): the slow path runs after fork */
		c->pinned_nr = pin_user_pages(w, mm, c->addr, 1, FOLL_WRITE | FOLL_LONGTERM,
					      c->pinned);
		if (c->pinned_nr != 1)
			return "refused";
		step(c);
	}
	write_tok(c, c->pid, c->addr, "new");
	{
		const char *got = text(c, pfn_to_page(w, c->pinned[0])->token);
		const char *r = expect_eq(c, got, "new", "stale-pin");

		unpin_user_pages(w, c->pinned, 1);
		step(c);
		return r;
	}
}

/* ---------------------------------------------------------------------------
 * R/O long-term pins (cow.c A9, A13, non-anon cases).
 */
static const char *check_pin(struct hist_ctx *c, const char *want)
{
	pl_token t = 0;
	const char *r;

	pl_gup_test_read(c->w, c->handle, 0, &t);
	r = expect_eq(c, text(c, t), want, "stale-pin");
	pl_gup_test_unpin(c->w, c->handle);
	step(c);
	return r;
}

static int ro_pin(struct hist_ctx *c, bool fast)
{
	c->handle = pl_gup_test_pin(c->w, c->pid, c->addr, 1, false, fast);
	step(c);
	return c->handle;
}

static const char *run_ro_pin_exclusive(struct hist_ctx *c)
{
	struct world *w = c->w;

	c->pid = pl_task_create(w);
	c->addr = map_anon(c, c->pid, 1, 0);
	write_tok(c, c->pid, c->addr, "old");
	/* mprotect R, clear_refs, mprotect RW: exclusive but write-protected */
	pl_mprotect(w, c->pid, c->addr, PAGE_SIZE, PL_PROT_READ);
	pl_clear_refs_soft_dirty(w, c->pid);
	pl_mprotect(w, c->pid, c->addr, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE);
	step(c);
	if (ro_pin(c, false) < 0)
		return "refused";
	write_tok(c, c->pid, c->addr, "new");
	return check_pin(c, "new");
}

static const char *run_ro_pin_shared(struct hist_ctx *c)
{
	struct world *w = c->w;

	c->pid = pl_task_create(w);
	c->addr = map_anon(c, c->pid, 1, 0);
	write_tok(c, c->pid, c->addr, "old");
	c->child = pl_fork(w, c->pid);
	step(c);
	if (ro_pin(c, false) < 0)
		return "refused";
	write_tok(c, c->pid, c->addr, "new");
	return check_pin(c, "new");
}

static const char *run_ro_pin_zeropage(struct hist_ctx *c)
{
	struct world *w = c->w;

	c->pid = pl_task_create(w);
	c->addr = map_anon(c, c->pid, 1, 0);
	read_tok(c, c->pid, c->addr);		/* maps the shared zero page */
	if (ro_pin(c, false) < 0)
		return "refused";
	write_tok(c, c->pid, c->addr, "new");
	return check_pin(c, "new");
}

static const char *run_ro_pin_pagecache(struct hist_ctx *c)
{
	struct world *w = c->w;

	c->file = pl_file_create(w, PL_FS_TMPFS, 1, tok(c, "file"));
	c->pid = pl_task_create(w);
	c->addr = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_PRIVATE,
			  c->file, 0);
	step(c);
	read_tok(c, c->pid, c->addr);		/* maps the page-cache page R/O */
	if (ro_pin(c, false) < 0)
		return "refused";
	write_tok(c, c->pid, c->addr, "new");
	return check_pin(c, "new");
}

/* ---------------------------------------------------------------------------
 * CVE-2022-2590: FOLL_FORCE writes a read-only shmem file through a R/O,
 * dirty PTE installed by UFFDIO_CONTINUE after the COW copy was zapped.
 */
static void shmem_continue(struct world *w, enum pl_yield_point where, void *arg)
{
	struct hist_ctx *c = arg;

	/* after the COW-breaking fault, as for Dirty COW */
	if (where != YIELD_GUP_AFTER_FAULT || c->fired ||
	    w->stats.cows + w->stats.reuses == c->cow_breaks)
		return;
	c->fired = 1;
	pl_madvise(w, c->pid, c->addr, PAGE_SIZE, PL_MADV_DONTNEED);
	pl_uffdio_continue(w, c->pid, c->addr);
}

static const char *run_shmem_foll_force(struct hist_ctx *c)
{
	struct world *w = c->w;
	pl_token t;
	int r;

	c->file = pl_file_create(w, PL_FS_TMPFS, 1, tok(c, "sealed"));
	c->pid = pl_task_create(w);
	c->addr = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, c->file, 0);
	step(c);
	c->cow_breaks = w->stats.cows + w->stats.reuses;
	w->hooks.yield = shmem_continue;
	w->hooks.arg = c;
	r = pl_proc_mem_write(w, c->pid, c->pid, c->addr, tok(c, "evil"));
	w->hooks.yield = NULL;
	step(c);
	if (r < 0)
		return "refused";
	pl_file_read(w, c->file, 0, &t);
	snprintf(c->note, sizeof(c->note), "shmem file reads \"%s\"", text(c, t));
	return strcmp(text(c, t), "sealed") ? "file-modified" : "pass";
}

/* ---------------------------------------------------------------------------
 * Writable long-term pin of a MAP_SHARED ext4 page (gup_longterm; seed 003).
 */
static const char *run_longterm_file_write(struct hist_ctx *c)
{
	struct world *w = c->w;
	pl_token t;
	int mr;

	c->file = pl_file_create(w, PL_FS_EXT4, 1, tok(c, "disk"));
	c->pid = pl_task_create(w);
	c->addr = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED,
			  c->file, 0);
	step(c);
	write_tok(c, c->pid, c->addr, "user");
	mr = pl_rdma_reg_mr(w, c->pid, c->addr, 1, true);
	step(c);
	if (mr < 0) {
		snprintf(c->note, sizeof(c->note), "registration refused (%d)", mr);
		return "pass";	/* the fix: FOLL_LONGTERM|FOLL_WRITE on ext4 fails */
	}
	pl_writeback(w, c->file, 0);	/* cleans and write-protects the page */
	step(c);
	pl_rdma_dma_write(w, mr, 0, tok(c, "device"));	/* no page_mkwrite, page stays clean */
	step(c);
	pl_rdma_dereg_mr(w, mr);
	step(c);
	pl_reclaim(w, c->pid, c->addr);	/* unmap, write back if dirty, drop */
	step(c);
	pl_file_read(w, c->file, 0, &t);
	return expect_eq(c, text(c, t), "device", "lost-write");
}

/* ---------------------------------------------------------------------------
 * Seed 003: swap-out of a pinned anon page, then the owner's write COWs it
 * away from the device.
 */
static const char *run_swapout_pinned(struct hist_ctx *c)
{
	struct world *w = c->w;
	pl_token t = 0;
	int mr;

	pl_swapon(w, 64);
	c->pid = pl_task_create(w);
	c->addr = map_anon(c, c->pid, 1, 0);
	write_tok(c, c->pid, c->addr, "old");
	mr = pl_rdma_reg_mr(w, c->pid, c->addr, 1, true);
	if (mr < 0)
		return "refused";
	step(c);
	pl_reclaim(w, c->pid, c->addr);
	step(c);
	read_tok(c, c->pid, c->addr);
	write_tok(c, c->pid, c->addr, "new");
	pl_rdma_dma_read(w, mr, 0, &t);
	{
		const char *r = expect_eq(c, text(c, t), "new", "stale-pin");

		pl_rdma_dereg_mr(w, mr);
		step(c);
		return r;
	}
}

/* ---------------------------------------------------------------------------
 * Seed 000: uprobes replaces a page a driver has pinned long-term.
 */
static const char *run_uprobes_pinned(struct hist_ctx *c)
{
	struct world *w = c->w;
	int tracer;

	c->file = pl_file_create(w, PL_FS_EXT4, 1, tok(c, "code"));
	c->pid = pl_task_create(w);
	tracer = pl_task_create(w);
	(void)tracer;
	c->addr = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_EXEC, PL_MAP_PRIVATE,
			  c->file, 0);
	step(c);
	read_tok(c, c->pid, c->addr);
	if (ro_pin(c, false) < 0)
		return "refused";
	if (pl_uprobe_register(w, c->file, 0, tok(c, "int3")) < 0)
		return "refused";
	step(c);
	/* the driver expects the pinned page to be what the process executes */
	return check_pin(c, read_tok(c, c->pid, c->addr));
}

/* ---------------------------------------------------------------------------
 * The table.
 */
static const struct hist_case cases[] = {
	{ "dirty-cow", "Dirty COW: /proc/self/mem write vs MADV_DONTNEED on a R/O private file",
	  NULL, "19be0eaffa3a",
	  "v4.8=file-modified *=pass", run_dirty_cow },
	{ "cve-2020-29374", "vmsplice() + unmap in child: the parent's later write leaks",
	  "cow 1..: vmsplice() + unmap in child ... with base page", "17839856fd58, 09854ba94c6a",
	  "v4.8..v5.7=leak *=pass", run_cve_base },
	{ "cve-2020-29374-thp", "the same through a PMD-mapped THP (mapcount reuse)",
	  "vmsplice() + unmap in child ... with THP (2048 kB)", "3bff7e3f1f16",
	  "v4.8..v5.7=leak v5.9..v5.17=leak *=pass", run_cve_thp },
	{ "cve-2020-29374-swap", "the same through the swap cache (reuse_swap_page)",
	  "vmsplice() + unmap in child ... with swapped out base page", "c145e0b47c77, 53a05ad9f21d",
	  "v4.8..v5.7=leak v5.9..v5.17=leak *=pass", run_cve_swap },
	{ "vmsplice-hugetlb", "the same on hugetlb: still leaks (cow.c XFAIL)",
	  "vmsplice() + unmap in child ... with hugetlb (2048 kB)", "not fixed (XFAIL since v6.10)",
	  "v5.8=pass *=leak", run_vmsplice_hugetlb },
	{ "pinned-fork", "io_uring fixed buffer, fork, parent writes: the pin is COWed away",
	  "fork() with an iouring fixed buffer ... with base page", "70e806e4e645",
	  "v4.8..v4.17=refused v5.1..v5.8=stale-pin *=pass", run_pinned_fork },
	{ "gup-fast-fork", "GUP-fast pins between fork's pin check and its write-protect",
	  NULL, "57efa1fe5957",
	  "v4.8..v5.10=stale-pin *=pass", run_gup_fast_fork },
	{ "ro-pin-exclusive", "R/O pin of a write-protected exclusive page; owner writes",
	  "R/O GUP pin on R/O-mapped exclusive page ... with base page", "6c287605fd56",
	  "v5.9..v5.18=stale-pin *=pass", run_ro_pin_exclusive },
	{ "ro-pin-shared", "R/O pin of a page shared with a child; owner writes",
	  "R/O GUP pin on R/O-mapped shared page ... with base page", "a7f226604170",
	  "v4.8..v5.7=stale-pin v5.9..v5.18=stale-pin *=pass", run_ro_pin_shared },
	{ "ro-pin-zeropage", "R/O long-term pin of the shared zero page; owner writes",
	  "R/O longterm GUP pin ... with shared zeropage", "84209e87c696",
	  "v4.8..v5.7=stale-pin v5.9..v6.1=stale-pin *=pass", run_ro_pin_zeropage },
	{ "ro-pin-pagecache", "R/O long-term pin of a page-cache page in MAP_PRIVATE; owner writes",
	  "R/O longterm GUP pin ... with memfd", "8d6a0ac09a16",
	  "v4.8..v5.7=stale-pin v5.9..v6.1=stale-pin *=pass", run_ro_pin_pagecache },
	{ "cve-2022-2590", "FOLL_FORCE writes a R/O shmem file via a R/O dirty PTE",
	  NULL, "5535be309971",
	  "v4.8..v5.19=file-modified *=pass", run_shmem_foll_force },
	{ "longterm-file-write", "writable long-term pin of a MAP_SHARED ext4 page vs writeback",
	  "R/W longterm GUP pin in MAP_SHARED file mapping ... with tmpfile",
	  "8ac268436e6d, a6e79df92e4a",
	  "v4.8..v6.4=invariant *=pass", run_longterm_file_write },
	{ "swapout-pinned", "seed 003: a pinned page is swapped out, swapped in R/O, COWed",
	  "R/O-mapping a page registered as iouring fixed buffer ... with swapped out base page",
	  "feb889fb40fa",
	  "v5.9..v5.10=stale-pin *=pass", run_swapout_pinned },
	{ "uprobes-pinned", "seed 000: uprobes replaces a page a driver pinned",
	  NULL, "2025 uprobes rewrite (in-place opcode write)",
	  "v4.8..v6.15=stale-pin *=pass", run_uprobes_pinned },
};

const struct hist_case *hist_cases(int *n)
{
	*n = (int)(sizeof(cases) / sizeof(cases[0]));
	return cases;
}

/* Does preset p fall in "a..b" or equal "a"?  Order is the preset table's. */
static bool in_range(const char *range, size_t len, const char *preset)
{
	char buf[64];
	const char *dots;
	int lo, hi, me = pl_preset_index(preset);

	if (len == 1 && range[0] == '*')
		return true;
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, range, len);
	buf[len] = 0;
	dots = strstr(buf, "..");
	if (!dots)
		return strcmp(buf, preset) == 0;
	buf[dots - buf] = 0;
	lo = pl_preset_index(buf);
	hi = pl_preset_index(dots + 2);
	return me >= 0 && lo >= 0 && hi >= 0 && me >= lo && me <= hi;
}

const char *hist_expected(const struct hist_case *hc, const char *preset)
{
	static const char *const outcomes[] = {
		"pass", "leak", "stale-pin", "lost-write", "file-modified", "invariant", "refused",
	};
	const char *p = hc->expect;

	while (*p) {
		const char *sp = strchr(p, ' '), *eq = strchr(p, '=');
		size_t itemlen = sp ? (size_t)(sp - p) : strlen(p);

		if (eq && (size_t)(eq - p) < itemlen && in_range(p, (size_t)(eq - p), preset)) {
			size_t olen = itemlen - (size_t)(eq - p) - 1;

			for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++)
				if (strlen(outcomes[i]) == olen && !strncmp(eq + 1, outcomes[i], olen))
					return outcomes[i];
			return "?";
		}
		p += itemlen;
		while (*p == ' ')
			p++;
	}
	return "pass";
}

const char *hist_run(const struct hist_case *hc, const struct pl_policy *policy,
			const char *preset, struct world **w_out, char *note, size_t notelen)
{
	return hist_run_traced(hc, policy, preset, NULL, NULL, w_out, note, notelen);
}

const char *hist_run_traced(const struct hist_case *hc, const struct pl_policy *policy,
			       const char *preset,
			       void (*on_event)(struct world *, const struct pl_event *, void *),
			       void *arg, struct world **w_out, char *note, size_t notelen)
{
	struct hist_ctx c;
	const char *out;

	memset(&c, 0, sizeof(c));
	c.w = pl_world_new(policy, preset);
	c.w->checked = true;
	c.w->on_event = on_event;
	c.w->event_arg = arg;
	out = hc->run(&c);
	if (!strcmp(out, "pass") && c.w->nr_violations)
		out = "invariant";
	if (note) {
		if (c.w->nr_violations)
			snprintf(note, notelen, "%s; %s: %s", c.note,
				 c.w->violations[0].inv ? c.w->violations[0].inv->name : "?",
				 c.w->violations[0].detail);
		else
			snprintf(note, notelen, "%s", c.note);
	}
	if (w_out)
		*w_out = c.w;
	else
		pl_world_free(c.w);
	return out;
}

static const struct hist_case *cur;

static void test_case_all_presets(void)
{
	int np;
	const struct pl_preset *p = pl_presets(&np);
	int buggy = 0, fixed = 0;

	for (int i = 0; i < np; i++) {
		char note[256];
		const char *got = hist_run(cur, &p[i].policy, p[i].name, NULL, note,
					      sizeof(note));
		const char *want = hist_expected(cur, p[i].name);

		if (strcmp(got, want))
			T_NOTE("%s under %s: got %s, expected %s (%s)", cur->name, p[i].name,
			       got, want, note);
		T_STREQ(got, want);
		if (strcmp(want, "pass"))
			buggy++;
		else
			fixed++;
	}
	/* a history case must show the bug somewhere (vmsplice-hugetlb: everywhere) */
	T_GT(buggy, 0);
	if (strcmp(cur->name, "vmsplice-hugetlb"))
		T_GT(fixed, 0);
}

/*
 * The built-in cases are scenarios/history/ as it is (run from the
 * repository root), one for each C case here, under the same name.
 */
static void test_builtin_cases_are_the_directory(void)
{
	int nb, nc, nr_files = 0;
	const struct pl_hist_case *b = pl_hist_cases(&nb);
	const struct hist_case *c = hist_cases(&nc);
	DIR *d = opendir("scenarios/history");
	struct dirent *e;

	T_EQ(nb, nc);
	T_ASSERT(d != NULL);
	while ((e = readdir(d)))
		nr_files += strlen(e->d_name) > 4 &&
			    !strcmp(e->d_name + strlen(e->d_name) - 4, ".pin");
	closedir(d);
	T_EQ(nr_files, nb);
	for (int i = 0; i < nb; i++) {
		FILE *f = fopen(b[i].path, "rb");
		size_t len = strlen(b[i].text);
		char *buf = malloc(len + 2);

		T_ASSERT(f != NULL && buf != NULL);
		T_EQ(fread(buf, 1, len + 1, f), len);	/* the same length ... */
		T_ASSERT(memcmp(buf, b[i].text, len) == 0);	/* ... and bytes */
		fclose(f);
		free(buf);
		T_ASSERT(pl_hist_find(b[i].name) == &b[i]);
		T_STREQ(b[i].name, c[i].name);
	}
}

int main(void)
{
	int n;
	const struct hist_case *hc = hist_cases(&n);

	T_RUN(test_builtin_cases_are_the_directory);

	for (int i = 0; i < n; i++) {
		cur = &hc[i];
		t_begin(hc[i].name);
		test_case_all_presets();
		t_end();
	}
	return T_DONE();
}
