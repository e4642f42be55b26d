/*
 * fuzz_core.c - bytes decoded as a sequence of core operations on a small
 * world, in checked mode (the invariant checker after every operation).
 *
 * Decoding (every read past the end yields 0, so any input is a program):
 *   byte 0      preset (index into pl_presets(), modulo their number)
 *   byte 1      world: THP mode, huge zero page, ZONE_MOVABLE, mTHP on,
 *               one or two first processes
 *   byte 2      mTHP orders allowed when mTHP is on
 *   then        operations: an opcode byte and its operand bytes, up to
 *               MAX_OPS of them
 *
 * The world has an ext4 file, a tmpfs file and a 2 MiB hugetlbfs memfd, a
 * swap device and a 2 MiB hugetlb pool.  Up to 4 processes (fork, exit),
 * up to 8 mappings each of every backing (anon, shmem, ext4 and tmpfs files
 * shared and private, THP, hugetlb anon and memfd, the zero pages, KSM,
 * mTHP), every GUP entry point with the public FOLL_* flags and the
 * raw references kept until a put/unpin, every pinner, munmap / mremap /
 * mprotect / madvise, reclaim, writeback, swap, KSM, THP collapse/split.
 *
 * Properties:
 *   - never a crash, sanitizer report or PL_BUG_ON (pl_bug() exits 3, which
 *     libFuzzer reports, and the replay sees as a failed test);
 *   - under `latest` no invariant violation at all, except the kernel's own
 *     known behaviour that the model reports as such: hugetlb keeps
 *     mapcount-based COW reuse, so a FOLL_GET reference (vmsplice's) held
 *     elsewhere still sees the owner's writes -- the missed-cow the kernel's
 *     selftest cow.c marks XFAIL (as tests/unit/core_random.c);
 *   - under every older preset the era's bugs may show, but never broken
 *     counting: no violation of class `count` (refcount, mapcount, pincount,
 *     maybe-pinned, pinset references, hugetlb pool).
 */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "pinlab/core.h"

#define MAX_OPS		200
#define MAX_PROCS	4
#define MAX_MAPS	8
#define MAX_REFS	64
#define MAX_HANDLES	16

struct in {
	const uint8_t *p;
	size_t n, i;
};

static unsigned u8(struct in *in)
{
	return in->i < in->n ? in->p[in->i++] : 0;
}

static unsigned pick(struct in *in, unsigned n)
{
	return n ? u8(in) % n : 0;
}

struct map {
	pl_addr addr;
	uint64_t len;
};

struct ref {
	pl_pfn pfn;
	bool pin, write;
};

struct fz {
	struct world *w;
	struct in in;
	bool latest;
	int pids[MAX_PROCS], np;
	struct map maps[MAX_PROCS][MAX_MAPS];
	int nm[MAX_PROCS];
	struct ref refs[MAX_REFS];
	int nr_refs;
	/* pinner handles, by kind */
	int pipes[MAX_HANDLES], nr_pipes;
	int bufs[MAX_HANDLES], nr_bufs;
	int dios[MAX_HANDLES], nr_dios;
	int mrs[MAX_HANDLES], nr_mrs;
	int tests[MAX_HANDLES], nr_tests;
	int files[3];			/* ext4, tmpfs, hugetlbfs */
	int step;
};

static void add_handle(int *arr, int *n, int h)
{
	if (h > 0 && *n < MAX_HANDLES)
		arr[(*n)++] = h;
}

/* Take handle i out of the list (the caller releases it). */
static int take_handle(struct in *in, int *arr, int *n)
{
	int i, h;

	if (!*n)
		return 0;
	i = (int)pick(in, (unsigned)*n);
	h = arr[i];
	arr[i] = arr[--*n];
	return h;
}

static int some_handle(struct in *in, const int *arr, int n)
{
	return n ? arr[pick(in, (unsigned)n)] : 0;
}

static pl_token tok(struct fz *f)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "v%d", f->step);
	return pl_token_intern(f->w, buf);
}

/* A process slot; its pid may have exited (the model answers -ESRCH). */
static int proc(struct fz *f, int *pi)
{
	*pi = (int)pick(&f->in, (unsigned)f->np);
	return f->pids[*pi];
}

/* An address in one of the process's mappings (or a wild one, rarely). */
static pl_addr addr_in(struct fz *f, int pi)
{
	unsigned sel = u8(&f->in), off = u8(&f->in);
	const struct map *m;
	uint64_t pages;

	if (!f->nm[pi] || sel == 0xff)
		return 0x10000000UL + (uint64_t)off * PAGE_SIZE;
	m = &f->maps[pi][sel % (unsigned)f->nm[pi]];
	pages = m->len / PAGE_SIZE;
	/* spread the offset over a 512-page mapping, exactly over a small one */
	if (pages > 256)
		off = off * 2 + (u8(&f->in) & 1);
	return m->addr + (uint64_t)(off % pages) * PAGE_SIZE;
}

static uint64_t len_pages(struct fz *f)
{
	unsigned v = u8(&f->in);

	return v >= 0xf0 ? PMD_SIZE : (uint64_t)(v % 8 + 1) * PAGE_SIZE;
}

static void add_map(struct fz *f, int pi, pl_addr a, uint64_t len)
{
	if (pl_err(a) || !a)
		return;
	if (f->nm[pi] < MAX_MAPS) {
		f->maps[pi][f->nm[pi]++] = (struct map){ a, len };
	} else {
		f->maps[pi][u8(&f->in) % MAX_MAPS] = (struct map){ a, len };
	}
}

static void op_mmap(struct fz *f)
{
	int pi, pid = proc(f, &pi);
	unsigned kind = u8(&f->in), extra = u8(&f->in);
	int prot = PL_PROT_READ | PL_PROT_WRITE;
	unsigned flags = 0;
	uint64_t len = (uint64_t)(extra % 8 + 1) * PAGE_SIZE;
	int file = -1;
	uint32_t pgoff = 0;
	pl_addr a;

	if (extra & 0x10)
		flags |= PL_MAP_POPULATE;
	if (extra & 0x20)
		flags |= PL_MAP_LOCKED;
	if (extra & 0x40)
		prot = PL_PROT_READ;
	switch (kind % 14) {
	case 0:		/* anon private */
		flags |= PL_MAP_PRIVATE | PL_MAP_ANONYMOUS;
		break;
	case 1:		/* shmem */
		flags |= PL_MAP_SHARED | PL_MAP_ANONYMOUS;
		break;
	case 2: case 3:	/* ext4 file */
	case 4: case 5:	/* tmpfs file */
		file = f->files[kind % 14 < 4 ? 0 : 1];
		flags |= kind & 1 ? PL_MAP_PRIVATE : PL_MAP_SHARED;
		pgoff = (extra >> 7) * 2;
		len = (uint64_t)(extra % 4 + 1) * PAGE_SIZE;
		break;
	case 6:		/* THP by madvise */
	case 7:		/* THP by mode (or mTHP) */
		flags |= PL_MAP_PRIVATE | PL_MAP_ANONYMOUS;
		len = PMD_SIZE;
		break;
	case 8:		/* hugetlb anon */
		flags |= PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB;
		len = PMD_SIZE;
		break;
	case 9: case 10:	/* hugetlbfs memfd, shared or private */
		file = f->files[2];
		flags |= kind & 1 ? PL_MAP_SHARED : PL_MAP_PRIVATE;
		len = PMD_SIZE;
		break;
	case 11:	/* read-only anon: the zero page / huge zero page */
		flags |= PL_MAP_PRIVATE | PL_MAP_ANONYMOUS;
		prot = PL_PROT_READ;
		len = extra & 1 ? PMD_SIZE : len;
		break;
	case 12:	/* KSM candidates */
		flags |= PL_MAP_PRIVATE | PL_MAP_ANONYMOUS;
		break;
	default:	/* anon shared hugetlb */
		flags |= PL_MAP_SHARED | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB;
		len = PMD_SIZE;
		break;
	}
	a = pl_mmap(f->w, pid, 0, len, prot, flags, file, pgoff);
	if (!pl_err(a) && kind % 14 == 6)
		pl_madvise(f->w, pid, a, len, PL_MADV_HUGEPAGE);
	if (!pl_err(a) && kind % 14 == 12)
		pl_madvise(f->w, pid, a, len, PL_MADV_MERGEABLE);
	add_map(f, pi, a, len);
}

static void op_fork(struct fz *f)
{
	int pi, pid = proc(f, &pi), c;

	if (f->np >= MAX_PROCS)
		return;
	c = pl_fork(f->w, pid);
	if (c > 0) {
		f->pids[f->np] = c;
		memcpy(f->maps[f->np], f->maps[pi], sizeof(f->maps[pi]));
		f->nm[f->np] = f->nm[pi];
		f->np++;
	}
}

static const unsigned foll_public[] = {
	FOLL_WRITE, FOLL_LONGTERM, FOLL_FORCE, FOLL_NOFAULT, FOLL_TOUCH, FOLL_GET, FOLL_PIN,
	FOLL_REMOTE,
};

/* A raw GUP call, its references kept in f->refs until op_put(). */
static void op_gup(struct fz *f)
{
	int pi, pid = proc(f, &pi), tpi = pi;
	unsigned how = u8(&f->in), fb = u8(&f->in), flags = 0;
	unsigned long nr = u8(&f->in) % 4 + 1;
	pl_pfn pages[4];
	struct mm_struct *mm;
	pl_addr a = addr_in(f, pi);
	bool pin;
	long got;

	for (unsigned i = 0; i < sizeof(foll_public) / sizeof(foll_public[0]); i++)
		if (fb & (1u << i))
			flags |= foll_public[i];
	/* FOLL_REMOTE: another process's mm, as process_vm_* or ptrace would */
	if ((flags & FOLL_REMOTE) && f->np > 1)
		tpi = (pi + 1 + (int)(how >> 4) % (f->np - 1)) % f->np;
	(void)pid;
	mm = pl_task(f->w, f->pids[tpi]) ? pl_task(f->w, f->pids[tpi])->mm : NULL;
	if (!mm || f->nr_refs + 4 > MAX_REFS)
		return;
	if (tpi != pi)
		a = addr_in(f, tpi);
	f->w->cur_pid = f->pids[pi];
	switch (how % 5) {
	case 0:
		got = get_user_pages(f->w, mm, a, nr, flags, pages);
		break;
	case 1:
		got = get_user_pages_fast(f->w, mm, a, nr, flags, pages);
		break;
	case 2:
		got = pin_user_pages(f->w, mm, a, nr, flags, pages);
		break;
	case 3:
		got = pin_user_pages_fast(f->w, mm, a, nr, flags, pages);
		break;
	default:
		got = gup_fast_only(f->w, mm, a, nr, flags | (flags & FOLL_PIN ? 0 : FOLL_GET),
				    pages);
		break;
	}
	FUZZ_ASSERT(got <= (long)nr, "GUP returned %ld for %lu pages", got, nr);
	pin = how % 5 == 2 || how % 5 == 3 || (how % 5 == 4 && (flags & FOLL_PIN));
	for (long i = 0; i < got; i++)
		f->refs[f->nr_refs++] = (struct ref){ pages[i], pin, (flags & FOLL_WRITE) != 0 };
}

/* Release one raw reference, as a driver would (dirtying what it wrote). */
static void op_put(struct fz *f)
{
	unsigned how = u8(&f->in);
	struct ref r;
	int i;

	if (!f->nr_refs)
		return;
	i = (int)pick(&f->in, (unsigned)f->nr_refs);
	r = f->refs[i];
	f->refs[i] = f->refs[--f->nr_refs];
	if (r.pin) {
		if (how & 1)
			unpin_user_pages_dirty_lock(f->w, &r.pfn, 1, r.write || (how & 2));
		else if (r.write)
			unpin_user_pages_dirty_lock(f->w, &r.pfn, 1, true);
		else
			unpin_user_page(f->w, r.pfn);
	} else {
		if (r.write || (how & 2))
			set_page_dirty_lock(f->w, r.pfn);
		put_page(f->w, r.pfn);
	}
}

static void op_pipe(struct fz *f)
{
	int pi, pid = proc(f, &pi), p;
	unsigned what = u8(&f->in);
	pl_token t;

	switch (what % 4) {
	case 0:
		add_handle(f->pipes, &f->nr_pipes, pl_pipe_create(f->w));
		break;
	case 1:
		p = some_handle(&f->in, f->pipes, f->nr_pipes);
		if (p)
			pl_vmsplice(f->w, pid, p, addr_in(f, pi), u8(&f->in) % 4 + 1);
		break;
	case 2:
		p = some_handle(&f->in, f->pipes, f->nr_pipes);
		if (p)
			pl_pipe_read(f->w, p, &t);
		break;
	default:
		p = take_handle(&f->in, f->pipes, &f->nr_pipes);
		if (p)
			pl_pipe_close(f->w, p);
		break;
	}
}

static void op_iouring(struct fz *f)
{
	int pi, pid = proc(f, &pi), h;
	unsigned what = u8(&f->in);
	int file = f->files[u8(&f->in) % 2];

	switch (what % 4) {
	case 0:
		h = io_uring_register_buffers(f->w, pid, addr_in(f, pi), u8(&f->in) % 4 + 1);
		add_handle(f->bufs, &f->nr_bufs, h);
		break;
	case 1:
		h = some_handle(&f->in, f->bufs, f->nr_bufs);
		if (h)
			io_uring_read_fixed(f->w, h, file, u8(&f->in) % 8);
		break;
	case 2:
		h = some_handle(&f->in, f->bufs, f->nr_bufs);
		if (h)
			io_uring_write_fixed(f->w, h, file, u8(&f->in) % 8);
		break;
	default:
		h = take_handle(&f->in, f->bufs, &f->nr_bufs);
		if (h)
			io_uring_unregister_buffers(f->w, h);
		break;
	}
}

static void op_dio(struct fz *f)
{
	int pi, pid = proc(f, &pi), h;
	unsigned what = u8(&f->in);

	if (what & 1) {
		h = take_handle(&f->in, f->dios, &f->nr_dios);
		if (h)
			pl_dio_complete(f->w, h);
		return;
	}
	add_handle(f->dios, &f->nr_dios,
		   pl_dio_submit(f->w, pid, f->files[u8(&f->in) % 2], u8(&f->in) % 8,
				 addr_in(f, pi), u8(&f->in) % 3 + 1, (what & 2) != 0));
}

static void op_rdma(struct fz *f)
{
	int pi, pid = proc(f, &pi), h;
	unsigned what = u8(&f->in);
	pl_token t;

	switch (what % 4) {
	case 0:
		add_handle(f->mrs, &f->nr_mrs,
			   pl_rdma_reg_mr(f->w, pid, addr_in(f, pi), u8(&f->in) % 4 + 1,
					  (what & 4) != 0));
		break;
	case 1:
		h = some_handle(&f->in, f->mrs, f->nr_mrs);
		if (h)
			pl_rdma_dma_write(f->w, h, u8(&f->in) % 4, tok(f));
		break;
	case 2:
		h = some_handle(&f->in, f->mrs, f->nr_mrs);
		if (h)
			pl_rdma_dma_read(f->w, h, u8(&f->in) % 4, &t);
		break;
	default:
		h = take_handle(&f->in, f->mrs, &f->nr_mrs);
		if (h)
			pl_rdma_dereg_mr(f->w, h);
		break;
	}
}

static void op_gup_test(struct fz *f)
{
	int pi, pid = proc(f, &pi), h;
	unsigned what = u8(&f->in);
	pl_token t;

	switch (what % 3) {
	case 0:
		add_handle(f->tests, &f->nr_tests,
			   pl_gup_test_pin(f->w, pid, addr_in(f, pi), u8(&f->in) % 4 + 1,
					   (what & 4) != 0, (what & 8) != 0));
		break;
	case 1:
		h = some_handle(&f->in, f->tests, f->nr_tests);
		if (h)
			pl_gup_test_read(f->w, h, u8(&f->in) % 4, &t);
		break;
	default:
		h = take_handle(&f->in, f->tests, &f->nr_tests);
		if (h)
			pl_gup_test_unpin(f->w, h);
		break;
	}
}

static void op_remote(struct fz *f)
{
	int pi, pid = proc(f, &pi), ti, target = proc(f, &ti);
	unsigned what = u8(&f->in);
	pl_addr a = addr_in(f, ti);
	pl_token t;

	switch (what % 4) {
	case 0:
		pl_proc_mem_write(f->w, pid, target, a, tok(f));
		break;
	case 1:
		pl_proc_mem_read(f->w, pid, target, a, &t);
		break;
	case 2:
		pl_process_vm_writev(f->w, pid, target, a, tok(f));
		break;
	default:
		pl_process_vm_readv(f->w, pid, target, a, &t);
		break;
	}
}

static void op_file(struct fz *f)
{
	unsigned what = u8(&f->in);
	int file = f->files[u8(&f->in) % 2];
	uint32_t idx = u8(&f->in) % 10;
	pl_token t;

	switch (what % 8) {
	case 0:
		pl_file_write(f->w, file, idx, tok(f));
		break;
	case 1:
		pl_file_read(f->w, file, idx, &t);
		break;
	case 2:
		pl_file_truncate(f->w, file, idx);
		break;
	case 3:
		pl_evict(f->w, file, idx);
		break;
	case 4:
		pl_writeback(f->w, file, idx);
		break;
	case 5:
		pl_writeback_file(f->w, file);
		break;
	case 6:
		pl_uprobe_register(f->w, file, idx, tok(f));
		break;
	default:
		pl_uprobe_unregister(f->w, file, idx);
		break;
	}
}

static void op_mm(struct fz *f)
{
	int pi, pid = proc(f, &pi);
	unsigned what = u8(&f->in);
	pl_addr a = addr_in(f, pi), b;
	uint64_t len = len_pages(f);

	switch (what % 6) {
	case 0:
		pl_munmap(f->w, pid, a, len);
		break;
	case 1: {
		uint64_t nlen = len_pages(f);

		b = pl_mremap(f->w, pid, a, len, nlen, (what & 8) != 0, 0);
		if (!pl_err(b))
			add_map(f, pi, b, nlen);
		break;
	}
	case 2:
		pl_mprotect(f->w, pid, a, len, (int)(u8(&f->in) % 8));
		break;
	case 3:
		pl_madvise(f->w, pid, a, len, (enum pl_madv)(u8(&f->in) % (PL_MADV_COLLAPSE + 1)));
		break;
	case 4:
		pl_clear_refs_soft_dirty(f->w, pid);
		break;
	default:
		pl_uffdio_continue(f->w, pid, a);
		break;
	}
}

static void op_reclaim(struct fz *f)
{
	int pi, pid = proc(f, &pi);
	unsigned what = u8(&f->in);

	switch (what % 6) {
	case 0: case 1:
		pl_reclaim(f->w, pid, addr_in(f, pi));
		break;
	case 2:
		pl_reclaim_swapcache(f->w);
		break;
	case 3:
		pl_ksm_merge(f->w);
		break;
	case 4:
		pl_thp_collapse(f->w, pid, addr_in(f, pi));
		break;
	default:
		pl_thp_split(f->w, pid, addr_in(f, pi));
		break;
	}
}

static void op_access(struct fz *f, bool write)
{
	int pi, pid = proc(f, &pi);
	pl_addr a = addr_in(f, pi);
	pl_token t;

	if (write)
		pl_user_write(f->w, pid, a, tok(f));
	else
		pl_user_read(f->w, pid, a, &t);
}

static void op_misc(struct fz *f)
{
	int pi, pid = proc(f, &pi);
	unsigned what = u8(&f->in);

	switch (what % 3) {
	case 0:
		if (pi)		/* the first process stays, so the world never empties */
			pl_exit(f->w, pid);
		break;
	case 1:
		op_fork(f);
		break;
	default:
		pl_hugetlb_set_pool(f->w, u8(&f->in) % 8);
		break;
	}
}

/* FUZZ_TRACE=1 in the environment: every operation and event on stderr. */
static void trace_event(struct world *w, const struct pl_event *ev, void *arg)
{
	(void)arg;
	fprintf(stderr, "  step %llu pid %d %s %s [%s] %s\n", (unsigned long long)w->step, ev->pid,
		pl_event_kind_name(ev->kind), ev->func, ev->rule ? ev->rule : "", ev->detail);
}

static const char *const op_names[16] = {
	"mmap", "mmap", "write", "write", "read", "exit/fork/pool",
	("munmap/mremap/mprotect/" "madvise/clear-refs/uffd"), "gup", "put", "pipe", "io_uring", "dio", "rdma", "gup_test",
	"remote", "file/reclaim",
};

static void step(struct fz *f)
{
	unsigned op = u8(&f->in);

	if (f->w->on_event)
		fprintf(stderr, "op %d: %s (byte %zu)\n", f->step, op_names[op % 16], f->in.i - 1);

	f->w->cur_pid = f->pids[0];
	switch (op % 16) {
	case 0: case 1:
		op_mmap(f);
		break;
	case 2: case 3:
		op_access(f, true);
		break;
	case 4:
		op_access(f, false);
		break;
	case 5:
		op_misc(f);
		break;
	case 6:
		op_mm(f);
		break;
	case 7:
		op_gup(f);
		break;
	case 8:
		op_put(f);
		break;
	case 9:
		op_pipe(f);
		break;
	case 10:
		op_iouring(f);
		break;
	case 11:
		op_dio(f);
		break;
	case 12:
		op_rdma(f);
		break;
	case 13:
		op_gup_test(f);
		break;
	case 14:
		op_remote(f);
		break;
	default:
		if (op & 16)
			op_file(f);
		else
			op_reclaim(f);
		break;
	}
}

/* The kernel's own known behaviour today (tests/unit/core_random.c). */
static bool known_kernel_behaviour(const struct pl_violation *v)
{
	return !strcmp(v->inv->name, "missed-cow") && strstr(v->detail, "hugetlb") != NULL;
}

static void check(struct fz *f, int before)
{
	struct world *w = f->w;

	pl_check_world(w);
	for (int i = before; i < w->nr_violations; i++) {
		const struct pl_violation *v = &w->violations[i];

		if (f->latest)
			FUZZ_ASSERT(known_kernel_behaviour(v), "latest, op %d: %s: %s", f->step,
				    v->inv->name, v->detail);
		else
			FUZZ_ASSERT(v->inv->cls != PL_CLASS_COUNT, "%s, op %d: %s: %s", w->preset,
				    f->step, v->inv->name, v->detail);
	}
}

/*
 * One world for the whole process, made anew by pl_world_reset() (the start
 * pl_world_new() gives, so an input runs the same alone as after any other).
 * The reset comes at the end of each input, under its preset, so an input
 * frees what it allocated: libFuzzer runs an input again, and then scans the
 * heap for leaks, whenever it made more allocations than it freed.  The next
 * input resets once more only if it wants another preset.
 */
static struct world *world;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;
	int np;
	const struct pl_preset *presets = pl_presets(&np);
	const struct pl_preset *p;
	unsigned cfg;

	memset(&f, 0, sizeof(f));
	f.in = (struct in){ data, size, 0 };
	p = &presets[u8(&f.in) % (unsigned)np];
	f.latest = !strcmp(p->name, "latest");
	cfg = u8(&f.in);
	if (!world)
		world = pl_world_new(&p->policy, p->name);
	else if (world->preset != p->name)
		pl_world_reset(world, &p->policy, p->name);
	f.w = world;
	FUZZ_ASSERT(f.w != NULL, "pl_world_new");
	f.w->checked = true;
	if (getenv("FUZZ_TRACE")) {
		f.w->on_event = trace_event;
		fprintf(stderr, "preset %s cfg 0x%x\n", p->name, cfg);
	}
	f.w->max_pages = 1u << 15;	/* 128 MiB of modelled memory is plenty */
	f.w->thp = (enum pl_thp_mode)(cfg % 3);
	f.w->huge_zero_page = (cfg & 4) != 0;
	f.w->zone_movable = (cfg & 8) != 0;
	if (cfg & 16)
		f.w->mthp_always = (uint16_t)((u8(&f.in) & 0x7fu) << 2);
	pl_swapon(f.w, 256);
	pl_hugetlb_set_pool(f.w, 4);
	f.files[0] = pl_file_create(f.w, PL_FS_EXT4, 8, pl_token_intern(f.w, "ext4"));
	f.files[1] = pl_file_create(f.w, PL_FS_TMPFS, 8, pl_token_intern(f.w, "tmpfs"));
	f.files[2] = pl_file_create(f.w, PL_FS_HUGETLBFS, HPAGE_PMD_NR, PL_TOKEN_ZERO);
	FUZZ_ASSERT(f.files[0] > 0 && f.files[1] > 0 && f.files[2] > 0, "file create");
	FUZZ_ASSERT(pl_file_set_huge_order(f.w, f.files[2], HPAGE_PMD_ORDER) == 0, "huge order");
	f.pids[f.np++] = pl_task_create(f.w);
	if (cfg & 32)
		f.pids[f.np++] = pl_task_create(f.w);
	check(&f, 0);
	for (f.step = 0; f.step < MAX_OPS && f.in.i < f.in.n; f.step++) {
		int before = f.w->nr_violations;

		step(&f);
		f.w->step++;
		check(&f, before);
	}
	/* the drivers let go of everything: still consistent */
	while (f.nr_refs) {
		int before = f.w->nr_violations;

		op_put(&f);
		check(&f, before);
	}
	pl_world_reset(f.w, &p->policy, p->name);
	return 0;
}
