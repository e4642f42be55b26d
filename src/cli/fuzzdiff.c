/*
 * fuzzdiff.c - `pinlab fuzz-diff`: random differential testing, model vs host.
 *
 *	seed S, index i --splitmix64--> a random .pin text (the generator)
 *	        |                                  |
 *	        |                 pl_lang_load (must check: it is a file anyone can replay)
 *	        v                                  v
 *	   model run (preset P)  <-- compare -->  host run      (probe.c: cli_rec_*)
 *	                              |
 *	                  a disagreement? -> ddmin over steps, then operands
 *	                              -> DIR/s<S>-<i>.pin, printed
 *
 * The generator writes scenario text, not ASTs, so that what fails is the
 * file that is kept and can be replayed with `pinlab diff FILE` (or, errnos
 * of every step compared too, `pinlab fuzz-diff --replay FILE`).  Every line
 * remembers the names it defines and uses: the shrinker drops a line's users
 * with it (a closure over names), and pl_lang_load() is the final judge of
 * whether a candidate is well formed.
 *
 * Checks are `check read X != "~"`: no generated write ever stores "~", so a
 * check states no expectation of its own; what is compared is what the model
 * and the host read (and every step's errno), the same comparison as `diff`.
 *
 * Determinism: scenario i of seed S comes from its own PRNG stream, derived
 * from (S, i) only, and from the host capabilities probed at start (THP, ext4
 * at /tmp, swap, io_uring), which the summary prints.  Nothing printed depends
 * on time or addresses.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "backend/host/backend_host.h"
#include "report/report.h"

#define FD_TIMEOUT_MS	10000
#define FD_NAME		16	/* "m12", "C3", "F1", "p2", "r1" */
#define FD_LINE		160
#define FD_DEFS		2
#define FD_USES		4
#define FD_PROCS	5	/* processes alive at once */
#define FD_MAPS		6	/* mappings per process */
#define FD_OPS_MIN	6
#define FD_OPS_VAR	22

static const char fd_usage[] =
	"usage: pinlab fuzz-diff --seed S --count N [--preset P] [--format table|json]\n"
	"                        [--keep DIR] [--index I] [--lock-timeout S]\n"
	"       pinlab fuzz-diff --seed S --count N --emit DIR\n"
	"       pinlab fuzz-diff --replay FILE... [--preset P]\n"
	"\n"
	"Random differential testing: generate N random, well-formed scenarios from the\n"
	"language's grammar (pin x fork x COW x unmap interleavings over anonymous, THP,\n"
	"memfd, shmem, tmpfs and ext4 memory, only what the host backend can run), run\n"
	"each under the model and on this kernel, and compare every observation (each\n"
	"check's value, each step's errno) as `pinlab diff` does.  Every disagreement\n"
	"is shrunk (ddmin over steps, then over operands) to a minimal .pin file that\n"
	"`pinlab diff FILE` replays, written to DIR and printed.\n"
	"  --seed S          the seed (a number); scenario i depends only on (S, i)\n"
	"  --count N         how many scenarios (0 .. 1000000)\n"
	"  --index I         only scenario I of the seed (regenerate one alone)\n"
	"  --preset P        the model's preset (default: the one whose kernel range\n"
	"                    holds `uname -r`, see 'pinlab presets')\n"
	"  --format F        table (default): each disagreement, then one summary line;\n"
	"                    json: one object per disagreement, then a summary object\n"
	"                    {seed, preset, kernel, host, scenarios, steps, disagreements,\n"
	"                    skipped}\n"
	"  --keep DIR        where shrunk scenarios go (default: build/fuzz-diff)\n"
	"                    as s<S>-<I>.pin\n"
	"  --replay FILE...  compare these scenarios (kept ones, or any) as fuzz-diff\n"
	"                    does: `pinlab diff` compares checks and outcomes only,\n"
	"                    this every step's errno too; runs each on its first backing\n"
	CLI_HOST_HELP
	"  --emit DIR        testing: write every generated scenario to DIR as\n"
	"                    s<S>-<I>.pin and run nothing\n"
	"  --test-shrink     testing: run the shrinker on synthetic predicates and\n"
	"                    print what it kept\n"
	"\n"
	"Host runs that skip are counted, not compared.  Same seed and count, same\n"
	"host capabilities (printed in the summary): the same scenarios and output.\n"
	"\n"
	"exit status: 0 no disagreement, 1 a disagreement, 2 bad usage, 3 internal\n"
	"error, 130 interrupted\n";

/* ---------------------------------------------------------------------------
 * splitmix64: small, fast, and every seed is a good one.
 */
struct fd_rng {
	uint64_t s;
};

static uint64_t fd_next(struct fd_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Scenario @index of @seed: a stream of its own, so it can be regenerated alone. */
static void fd_rng_init(struct fd_rng *r, uint64_t seed, uint64_t index)
{
	struct fd_rng a = { seed }, b = { index ^ 0x5851f42d4c957f2dull };

	r->s = fd_next(&a) ^ (fd_next(&b) * 0xd1342543de82ef95ull);
}

static int fd_below(struct fd_rng *r, int n)
{
	return n <= 1 ? 0 : (int)(fd_next(r) % (uint64_t)n);
}

static bool fd_chance(struct fd_rng *r, int percent)
{
	return fd_below(r, 100) < percent;
}

/* ---------------------------------------------------------------------------
 * A scenario as lines, each with the names it defines and uses.
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

static void fd_scen_free(struct fd_scen *s)
{
	free(s->l);
	memset(s, 0, sizeof(*s));
}

/* Append a line; the names are NULL-terminated lists (defs first, then uses). */
static struct fd_line *fd_add(struct fd_scen *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static struct fd_line *fd_add(struct fd_scen *s, const char *fmt, ...)
{
	struct fd_line *l;
	va_list ap;

	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 64;
		struct fd_line *nl = realloc(s->l, (size_t)cap * sizeof(*nl));

		if (!nl) {
			fprintf(stderr, "pinlab: out of memory\n");
			exit(PL_EXIT_INTERNAL);
		}
		s->l = nl;
		s->cap = cap;
	}
	l = &s->l[s->n++];
	memset(l, 0, sizeof(*l));
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
	return l;
}

static void fd_def(struct fd_line *l, const char *name)
{
	for (int i = 0; i < FD_DEFS; i++)
		if (!l->def[i][0]) {
			snprintf(l->def[i], FD_NAME, "%s", name);
			return;
		}
}

static void fd_use(struct fd_line *l, const char *name)
{
	for (int i = 0; i < FD_USES; i++) {
		if (!strcmp(l->use[i], name))
			return;
		if (!l->use[i][0]) {
			snprintf(l->use[i], FD_NAME, "%s", name);
			return;
		}
	}
}

/* The .pin text of the lines kept (all when keep is NULL); caller frees. */
static char *fd_render(const struct fd_scen *s, const bool *keep, const char *note, size_t *len)
{
	size_t cap = 256 + (note ? strlen(note) : 0) + (size_t)s->n * (FD_LINE + 1);
	char *t = malloc(cap);
	size_t n;

	if (!t) {
		fprintf(stderr, "pinlab: out of memory\n");
		exit(PL_EXIT_INTERNAL);
	}
	n = (size_t)snprintf(t, cap,
			     "# Random scenario %d of seed %llu (pinlab fuzz-diff --seed %llu "
			     "--index %d).\n%sscenario \"fuzz-diff %llu/%d\"\n\n",
			     s->index, (unsigned long long)s->seed, (unsigned long long)s->seed,
			     s->index, note ? note : "", (unsigned long long)s->seed, s->index);
	for (int i = 0; i < s->n; i++)
		if (!keep || keep[i])
			n += (size_t)snprintf(t + n, cap - n, "%s\n", s->l[i].text);
	*len = n;
	return t;
}

/* ---------------------------------------------------------------------------
 * The generator.  It tracks just enough static state (who is alive, which
 * mappings each process knows and their sizes, files, pipes, rings) to write
 * only what `pinlab check` accepts; what happens at run time (faults,
 * refusals) is for the model and the host to agree on.
 */
struct fd_caps {
	bool thp;		/* thp-2048k mappings run on the host */
	bool ext4;		/* ext4 files (and tmpfile mappings) */
	bool swap;		/* MADV_PAGEOUT means something */
	bool iouring;		/* fixed buffers can be registered */
};

enum fd_kind { K_ANON, K_THP, K_MEMFD, K_SHMEM, K_TMPFILE, K_FILE, K_NR };

/*
 * A mapping as one process knows it.  Pages it unmapped (or did not inherit:
 * MADV_DONTFORK) are never touched again: a later mmap may reuse the
 * address, and where the model and the kernel place new mappings differs
 * (neither is wrong), so what such an access finds says nothing.
 */
struct g_map {
	int id;			/* m<id> */
	int pages;
	int kind;
	bool shared;
	unsigned int gone;	/* pages unmapped in this process */
	unsigned int nofork;	/* pages with MADV_DONTFORK */
	bool split;		/* maybe more than one vma: mremap would fail (EFAULT) */
};

struct g_proc {
	char name[FD_NAME];
	bool alive;
	struct g_map maps[FD_MAPS];
	int nr_maps;
};

struct g_file {
	int pages;
	bool ext4;
};

struct g_pipe {
	int queued;		/* pages queued (vmsplice) minus pages read: a bound, not exact */
	bool alive;
};

struct g_ring {
	int owner;		/* index into procs */
	int pages;
	bool alive;
};

struct gen {
	struct fd_rng rng;
	const struct fd_caps *caps;
	struct fd_scen *s;
	struct g_proc procs[12];
	int nr_procs;
	struct g_file files[3];
	int nr_files;
	struct g_pipe pipes[8];
	int nr_pipes;
	struct g_ring rings[4];
	int nr_rings;
	int next_map, next_val;
	bool pageout;		/* a MADV_PAGEOUT was written: the model needs swap */
};

static int g_alive(struct gen *g, int *out)
{
	int n = 0;

	for (int i = 0; i < g->nr_procs; i++)
		if (g->procs[i].alive)
			out[n++] = i;
	return n;
}

/* A random live process that knows at least one mapping; -1 if none. */
static int g_pick_proc_with_map(struct gen *g)
{
	int idx[12], n = 0;

	for (int i = 0; i < g->nr_procs; i++)
		if (g->procs[i].alive && g->procs[i].nr_maps)
			idx[n++] = i;
	return n ? idx[fd_below(&g->rng, n)] : -1;
}

static unsigned int g_bits(int lo, int hi)
{
	return ((2u << hi) - 1) & ~((1u << lo) - 1);
}

/*
 * "m3", "m3[1]", "m3[0..2]": a random part of @m that avoids the pages it
 * lost; *lo and *hi get the range.
 */
static void g_ref_range(struct gen *g, const struct g_map *m, bool allow_whole, char *buf,
			size_t len, int *plo, int *phi)
{
	int lo, hi, n = 0, live[32];

	for (int i = 0; i < m->pages; i++)
		if (!(m->gone & (1u << i)))
			live[n++] = i;
	if (allow_whole && !m->gone && fd_chance(&g->rng, 35)) {
		snprintf(buf, len, "m%d", m->id);
		*plo = 0;
		*phi = m->pages - 1;
		return;
	}
	lo = live[fd_below(&g->rng, n)];
	hi = lo + fd_below(&g->rng, m->pages - lo);
	for (int i = lo + 1; i <= hi; i++)
		if (m->gone & (1u << i)) {
			hi = i - 1;
			break;
		}
	if (hi > lo)
		snprintf(buf, len, "m%d[%d..%d]", m->id, lo, hi);
	else
		snprintf(buf, len, "m%d[%d]", m->id, lo);
	*plo = lo;
	*phi = hi;
}

static void g_ref(struct gen *g, const struct g_map *m, bool allow_whole, char *buf, size_t len)
{
	int lo, hi;

	g_ref_range(g, m, allow_whole, buf, len, &lo, &hi);
}

static void g_name_map(char *buf, int id)
{
	snprintf(buf, FD_NAME, "m%d", id);
}

static void g_check_map(struct gen *g, int p, const struct g_map *m)
{
	struct g_proc *pr = &g->procs[p];
	char ref[32], mn[FD_NAME];
	struct fd_line *l;

	g_ref(g, m, false, ref, sizeof(ref));
	l = fd_add(g->s, "%s: check read %s != \"~\"", pr->name, ref);
	g_name_map(mn, m->id);
	fd_use(l, pr->name);
	fd_use(l, mn);
}

static const char *const kind_word[K_NR] = {
	[K_ANON] = "base", [K_THP] = "thp-2048k", [K_MEMFD] = "memfd", [K_SHMEM] = "shmem",
	[K_TMPFILE] = "tmpfile", [K_FILE] = "file",
};

static void g_mmap(struct gen *g, int p)
{
	struct g_proc *pr = &g->procs[p];
	struct g_map *m;
	struct fd_line *l;
	char mn[FD_NAME], fn[FD_NAME] = "", opts[48] = "";
	int kind, w = fd_below(&g->rng, 100);
	bool shared;

	if (pr->nr_maps == FD_MAPS)
		return;
	/* weights: anonymous memory first (COW), then the file-backed kinds */
	if (w < 38)
		kind = K_ANON;
	else if (w < 52)
		kind = g->caps->thp ? K_THP : K_ANON;
	else if (w < 64)
		kind = K_MEMFD;
	else if (w < 72)
		kind = K_SHMEM;
	else if (w < 80)
		kind = g->caps->ext4 ? K_TMPFILE : K_MEMFD;
	else
		kind = K_FILE;
	if (kind == K_FILE) {	/* a file with pages to map, if there is one */
		int n = 0;

		for (int i = 0; i < g->nr_files; i++)
			n += g->files[i].pages > 0;
		if (!n)
			kind = K_ANON;
	}
	m = &pr->maps[pr->nr_maps++];
	memset(m, 0, sizeof(*m));
	m->id = ++g->next_map;
	m->kind = kind;
	m->pages = 1 + fd_below(&g->rng, 4);
	shared = fd_chance(&g->rng, 50);	/* drawn always: the stream stays the same */
	m->shared = kind == K_SHMEM ||
		    ((kind == K_MEMFD || kind == K_TMPFILE || kind == K_FILE) && shared);
	if (kind == K_FILE) {
		int f;

		do
			f = fd_below(&g->rng, g->nr_files);
		while (!g->files[f].pages);

		snprintf(fn, sizeof(fn), "F%d", f + 1);
		if (m->pages > g->files[f].pages)
			m->pages = g->files[f].pages;
		snprintf(opts, sizeof(opts), " file %s", fn);
	} else {
		snprintf(opts, sizeof(opts), " %s", kind_word[kind]);
	}
	if (fd_chance(&g->rng, 10))
		strcat(opts, " populate");
	g_name_map(mn, m->id);
	l = fd_add(g->s, "%s: %s = mmap %d page%s rw %s%s", pr->name, mn, m->pages,
		   m->pages == 1 ? "" : "s", m->shared ? "shared" : "private", opts);
	fd_def(l, mn);
	fd_use(l, pr->name);
	if (fn[0])
		fd_use(l, fn);
	/* the fill: cow.c writes its range before the test */
	if (fd_chance(&g->rng, 80)) {
		l = fd_add(g->s, "%s: write %s \"v%d\"", pr->name, mn, ++g->next_val);
		fd_use(l, pr->name);
		fd_use(l, mn);
	}
}

static void g_fork(struct gen *g, int p)
{
	int alive[12], na = g_alive(g, alive);
	struct g_proc *pr = &g->procs[p], *c;
	struct fd_line *l;

	if (na >= FD_PROCS || g->nr_procs == 12)
		return;
	c = &g->procs[g->nr_procs];
	*c = *pr;	/* the child knows the parent's mappings, under the same names */
	snprintf(c->name, sizeof(c->name), "C%d", g->nr_procs);
	for (int i = 0; i < c->nr_maps; i++) {	/* ... but not what was MADV_DONTFORK */
		struct g_map *m = &c->maps[i];

		m->gone |= m->nofork;
		if (m->gone == g_bits(0, m->pages - 1))
			c->maps[i--] = c->maps[--c->nr_maps];
	}
	g->nr_procs++;
	l = fd_add(g->s, "%s: fork %s", pr->name, c->name);
	fd_def(l, c->name);
	fd_use(l, pr->name);
}

static void g_exit(struct gen *g, int p)
{
	struct fd_line *l;

	if (p == 0)	/* P stays: there is always someone to look */
		return;
	l = fd_add(g->s, "%s: exit", g->procs[p].name);
	fd_use(l, g->procs[p].name);
	g->procs[p].alive = false;
	for (int i = 0; i < g->nr_rings; i++)
		if (g->rings[i].owner == p)
			g->rings[i].alive = false;	/* the ring went with its process */
}

static void g_map_op(struct gen *g, int p, int what)
{
	static const char *const advice[] = {
		"dontneed", "dontneed", "dontfork", "dofork", "wipeonfork", "keeponfork",
		"populate-read", "populate-write", "cold", "pageout",
	};
	static const char *const prot[] = { "r", "rw", "none", "rw" };
	struct g_proc *pr = &g->procs[p];
	int mi = fd_below(&g->rng, pr->nr_maps);
	struct g_map *m = &pr->maps[mi];
	char ref[32], mn[FD_NAME], ad;
	struct fd_line *l = NULL;
	int np, lo, hi;

	g_name_map(mn, m->id);
	switch (what) {
	case 0:		/* write */
		g_ref(g, m, true, ref, sizeof(ref));
		l = fd_add(g->s, "%s: write %s \"v%d\"", pr->name, ref, ++g->next_val);
		break;
	case 1:		/* read */
		g_ref(g, m, true, ref, sizeof(ref));
		l = fd_add(g->s, "%s: read %s", pr->name, ref);
		break;
	case 2:		/* munmap, whole or partial */
		g_ref_range(g, m, true, ref, sizeof(ref), &lo, &hi);
		l = fd_add(g->s, "%s: munmap %s", pr->name, ref);
		m->gone |= g_bits(lo, hi);
		if (m->gone == g_bits(0, m->pages - 1)) {	/* the name ends */
			pr->maps[mi] = pr->maps[--pr->nr_maps];
			m = NULL;
		}
		break;
	case 3:		/* mprotect */
		g_ref_range(g, m, true, ref, sizeof(ref), &lo, &hi);
		l = fd_add(g->s, "%s: mprotect %s %s", pr->name, ref, prot[fd_below(&g->rng, 4)]);
		m->split |= strchr(ref, '[') != NULL;
		break;
	case 4:		/* madvise */
		g_ref_range(g, m, true, ref, sizeof(ref), &lo, &hi);
		m->split |= strchr(ref, '[') != NULL;
		ad = (char)fd_below(&g->rng, 10);
		if (!strcmp(advice[(int)ad], "pageout") && !g->caps->swap)
			ad = 8;		/* "cold": without swap, pageout of anon does nothing */
		g->pageout |= !strcmp(advice[(int)ad], "pageout");
		l = fd_add(g->s, "%s: madvise %s %s", pr->name, ref, advice[(int)ad]);
		if (!strcmp(advice[(int)ad], "dontfork"))
			m->nofork |= g_bits(lo, hi);
		else if (!strcmp(advice[(int)ad], "dofork"))
			m->nofork &= ~g_bits(lo, hi);
		break;
	case 5:
		/*
		 * mremap of the whole mapping: not THP (the whole THP is 512
		 * pages), not over holes (whose addresses may belong to a
		 * newer mapping), not of several vmas (EFAULT, and then the
		 * pages past the old end are whatever the allocator put
		 * there), and growing only with `move` (whether the next
		 * pages are free is, again, where the allocator put things).
		 */
		if (m->kind == K_THP || m->gone || m->nofork || m->split)
			return;
		np = 1 + fd_below(&g->rng, 6);
		if (m->kind == K_FILE && np > m->pages)
			np = m->pages;	/* past the end of the file is SIGBUS: allowed, but dull */
		l = fd_add(g->s, "%s: mremap %s %d page%s%s", pr->name, mn, np, np == 1 ? "" : "s",
			   np > m->pages || fd_chance(&g->rng, 75) ? " move" : "");
		m->pages = np;
		break;
	}
	fd_use(l, pr->name);
	fd_use(l, mn);
	if (m && what != 1 && fd_chance(&g->rng, 40))
		g_check_map(g, p, m);
}

static void g_vmsplice(struct gen *g, int p)
{
	struct g_proc *pr = &g->procs[p];
	struct g_map *m = &pr->maps[fd_below(&g->rng, pr->nr_maps)];
	int pi = -1, n;
	char ref[32], mn[FD_NAME], pn[FD_NAME];
	struct fd_line *l;
	bool created = false;

	for (int i = 0; i < g->nr_pipes; i++)
		if (g->pipes[i].alive && g->pipes[i].queued < 8 && fd_chance(&g->rng, 60))
			pi = i;
	if (pi < 0) {
		if (g->nr_pipes == 8)
			return;
		pi = g->nr_pipes++;
		g->pipes[pi].alive = true;
		g->pipes[pi].queued = 0;
		created = true;		/* the first vmsplice creates the pipe */
	}
	g_ref(g, m, true, ref, sizeof(ref));
	n = strchr(ref, '[') ? 1 : m->pages;
	if (strstr(ref, ".."))
		n = 4;
	g_name_map(mn, m->id);
	snprintf(pn, sizeof(pn), "p%d", pi + 1);
	l = fd_add(g->s, "%s: vmsplice %s -> %s", pr->name, ref, pn);
	if (created)
		fd_def(l, pn);
	else
		fd_use(l, pn);
	fd_use(l, pr->name);
	fd_use(l, mn);
	g->pipes[pi].queued += n;
}

static int g_pick_pipe(struct gen *g)
{
	int idx[8], n = 0;

	for (int i = 0; i < g->nr_pipes; i++)
		if (g->pipes[i].alive)
			idx[n++] = i;
	return n ? idx[fd_below(&g->rng, n)] : -1;
}

static void g_pipe_op(struct gen *g)
{
	int pi = g_pick_pipe(g), w = fd_below(&g->rng, 10);
	struct fd_line *l;
	char pn[FD_NAME];

	if (pi < 0)
		return;
	snprintf(pn, sizeof(pn), "p%d", pi + 1);
	if (w < 6)
		l = fd_add(g->s, "check read %s != \"~\"", pn);
	else if (w < 8)
		l = fd_add(g->s, "read %s", pn);
	else {
		l = fd_add(g->s, "close %s", pn);
		g->pipes[pi].alive = false;
	}
	fd_use(l, pn);
	if (g->pipes[pi].queued)
		g->pipes[pi].queued--;
}

static int g_pick_ring(struct gen *g)
{
	int idx[4], n = 0;

	for (int i = 0; i < g->nr_rings; i++)
		if (g->rings[i].alive)
			idx[n++] = i;
	return n ? idx[fd_below(&g->rng, n)] : -1;
}

static void g_ring_register(struct gen *g, int p)
{
	struct g_proc *pr = &g->procs[p];
	struct g_map *m = &pr->maps[fd_below(&g->rng, pr->nr_maps)];
	struct g_ring *r;
	char ref[32], mn[FD_NAME], rn[FD_NAME];
	struct fd_line *l;
	int lo, hi;

	if (g->nr_rings == 4 || (g_pick_ring(g) >= 0 && fd_chance(&g->rng, 50)))
		return;
	g_ref_range(g, m, false, ref, sizeof(ref), &lo, &hi);
	r = &g->rings[g->nr_rings++];
	r->owner = p;
	r->pages = hi - lo + 1;
	r->alive = true;
	g_name_map(mn, m->id);
	snprintf(rn, sizeof(rn), "r%d", g->nr_rings);
	l = fd_add(g->s, "%s: %s = iouring-register %s", pr->name, rn, ref);
	fd_def(l, rn);
	fd_use(l, pr->name);
	fd_use(l, mn);
}

static void g_ring_op(struct gen *g)
{
	int ri = g_pick_ring(g), w = fd_below(&g->rng, 10), f;
	struct g_ring *r;
	struct fd_line *l;
	char rn[FD_NAME], fn[FD_NAME];

	if (ri < 0)
		return;
	r = &g->rings[ri];
	snprintf(rn, sizeof(rn), "r%d", ri + 1);
	f = g->nr_files ? fd_below(&g->rng, g->nr_files) : -1;
	if (w < 3 && f >= 0 && g->files[f].pages >= r->pages) {
		snprintf(fn, sizeof(fn), "F%d", f + 1);
		l = fd_add(g->s, "iouring-write-fixed %s -> %s[%d]", rn, fn,
			   fd_below(&g->rng, g->files[f].pages - r->pages + 1));
		fd_use(l, fn);
	} else if (w < 6 && f >= 0 && g->files[f].pages >= r->pages) {
		snprintf(fn, sizeof(fn), "F%d", f + 1);
		l = fd_add(g->s, "iouring-read-fixed %s[%d] -> %s", fn,
			   fd_below(&g->rng, g->files[f].pages - r->pages + 1), rn);
		fd_use(l, fn);
	} else if (w < 9) {
		l = fd_add(g->s, "check read %s[%d] != \"~\"", rn, fd_below(&g->rng, r->pages));
	} else {
		l = fd_add(g->s, "iouring-unregister %s", rn);
		r->alive = false;
	}
	fd_use(l, rn);
}

static void g_file_op(struct gen *g)
{
	int f, w = fd_below(&g->rng, 12), np;
	struct g_file *gf;
	struct fd_line *l;
	char fn[FD_NAME];

	if (!g->nr_files)
		return;
	f = fd_below(&g->rng, g->nr_files);
	gf = &g->files[f];
	snprintf(fn, sizeof(fn), "F%d", f + 1);
	if (!gf->pages)
		w = 8;	/* an empty file can only be truncated (up) */
	if (w < 4) {
		l = fd_add(g->s, "write %s[%d] \"v%d\"", fn, fd_below(&g->rng, gf->pages),
			   ++g->next_val);
	} else if (w < 6) {
		l = fd_add(g->s, "check read %s[%d] != \"~\"", fn, fd_below(&g->rng, gf->pages));
	} else if (w < 8) {
		l = fd_add(g->s, "read %s[%d]", fn, fd_below(&g->rng, gf->pages));
	} else if (w < 10) {
		/* smaller mostly: mapped pages past EOF fault (SIGBUS) */
		np = fd_below(&g->rng, 5);
		l = fd_add(g->s, "truncate %s %d page%s", fn, np, np == 1 ? "" : "s");
		gf->pages = np;
	} else if (w < 11) {
		l = fd_add(g->s, "writeback %s", fn);
	} else {
		l = fd_add(g->s, "writeback %s[%d]", fn, fd_below(&g->rng, gf->pages));
	}
	fd_use(l, fn);
}

/* Check every page of @m that @pr still has: the whole, or each stretch between holes. */
static void g_check_live(struct gen *g, const struct g_proc *pr, const struct g_map *m)
{
	struct fd_line *l;
	char n[FD_NAME];

	g_name_map(n, m->id);
	for (int lo = 0, hi; lo < m->pages; lo = hi + 1) {
		for (hi = lo; hi < m->pages && !(m->gone & (1u << hi)); hi++)
			;
		if (hi == lo)
			continue;	/* a page it lost */
		if (!m->gone)
			l = fd_add(g->s, "%s: check read %s != \"~\"", pr->name, n);
		else if (hi - 1 == lo)
			l = fd_add(g->s, "%s: check read %s[%d] != \"~\"", pr->name, n, lo);
		else
			l = fd_add(g->s, "%s: check read %s[%d..%d] != \"~\"", pr->name, n, lo,
				   hi - 1);
		fd_use(l, pr->name);
		fd_use(l, n);
	}
}

/* The last steps: read everything anyone can still read, in a fixed order. */
static void g_sweep(struct gen *g)
{
	struct fd_line *l;
	char n[FD_NAME];

	for (int p = 0; p < g->nr_procs; p++) {
		struct g_proc *pr = &g->procs[p];

		if (!pr->alive)
			continue;
		for (int i = 0; i < pr->nr_maps; i++)
			g_check_live(g, pr, &pr->maps[i]);
	}
	for (int i = 0; i < g->nr_rings; i++) {
		if (!g->rings[i].alive)
			continue;
		snprintf(n, sizeof(n), "r%d", i + 1);
		l = fd_add(g->s, "check read %s != \"~\"", n);
		fd_use(l, n);
	}
	for (int i = 0; i < g->nr_pipes; i++) {
		if (!g->pipes[i].alive)
			continue;
		snprintf(n, sizeof(n), "p%d", i + 1);
		for (int k = 0; k < 2; k++) {
			l = fd_add(g->s, "check read %s != \"~\"", n);
			fd_use(l, n);
		}
	}
	for (int i = 0; i < g->nr_files; i++) {
		if (!g->files[i].pages)
			continue;
		snprintf(n, sizeof(n), "F%d", i + 1);
		l = fd_add(g->s, "check read %s != \"~\"", n);
		fd_use(l, n);
	}
}

/* Generate scenario @index of @seed into @s. */
static void fd_generate(struct fd_scen *s, uint64_t seed, int index, const struct fd_caps *caps)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct fd_line *l;
	int nops;

	if (!g) {
		fprintf(stderr, "pinlab: out of memory\n");
		exit(PL_EXIT_INTERNAL);
	}
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->index = index;
	g->s = s;
	g->caps = caps;
	fd_rng_init(&g->rng, seed, (uint64_t)index);

	l = fd_add(s, "process P");
	fd_def(l, "P");
	snprintf(g->procs[0].name, FD_NAME, "P");
	g->procs[0].alive = true;
	g->nr_procs = 1;
	g->nr_files = fd_below(&g->rng, 3);
	for (int i = 0; i < g->nr_files; i++) {
		char fn[FD_NAME];

		g->files[i].pages = 1 + fd_below(&g->rng, 4);
		g->files[i].ext4 = fd_chance(&g->rng, 50) && caps->ext4;
		snprintf(fn, sizeof(fn), "F%d", i + 1);
		l = fd_add(s, "file %s %s %d page%s \"f%d\"", fn,
			   g->files[i].ext4 ? "ext4" : "tmpfs", g->files[i].pages,
			   g->files[i].pages == 1 ? "" : "s", i + 1);
		fd_def(l, fn);
	}
	for (int i = 1 + fd_below(&g->rng, 2); i > 0; i--)
		g_mmap(g, 0);

	nops = FD_OPS_MIN + fd_below(&g->rng, FD_OPS_VAR);
	for (int k = 0; k < nops; k++) {
		int w = fd_below(&g->rng, 100);
		int p = g_pick_proc_with_map(g);
		int alive[12] = { 0 }, na = g_alive(g, alive), any = alive[fd_below(&g->rng, na)];

		/* weights: pin x fork x COW x unmap first */
		if (w < 5)
			g_mmap(g, any);
		else if (p < 0)
			g_mmap(g, any);
		else if (w < 25)
			g_map_op(g, p, 0);		/* write: the COW trigger */
		else if (w < 35)
			g_fork(g, p);
		else if (w < 44)
			g_vmsplice(g, p);
		else if (w < 50 && caps->iouring)
			g_ring_register(g, p);
		else if (w < 56)
			g_ring_op(g);
		else if (w < 61)
			g_pipe_op(g);
		else if (w < 66)
			g_map_op(g, p, 1);		/* read */
		else if (w < 72)
			g_map_op(g, p, 2);		/* munmap */
		else if (w < 76)
			g_map_op(g, p, 3);		/* mprotect */
		else if (w < 84)
			g_map_op(g, p, 4);		/* madvise */
		else if (w < 87)
			g_map_op(g, p, 5);		/* mremap */
		else if (w < 90)
			g_exit(g, any);
		else if (w < 96)
			g_file_op(g);
		else if (w < 98)
			g_check_map(g, p, &g->procs[p].maps[fd_below(&g->rng,
								     g->procs[p].nr_maps)]);
		else {
			l = fd_add(s, "%s: clear-refs", g->procs[any].name);
			fd_use(l, g->procs[any].name);
		}
	}
	g_sweep(g);
	if (g->pageout) {	/* the model's swap device, for MADV_PAGEOUT: line 2 */
		fd_add(s, "swapon 64");
		memmove(&s->l[2], &s->l[1], (size_t)(s->n - 2) * sizeof(*s->l));
		memset(&s->l[1], 0, sizeof(*s->l));
		snprintf(s->l[1].text, FD_LINE, "swapon 64");
	}
	free(g);
}

/* ---------------------------------------------------------------------------
 * Running one scenario text under the model and on the host.
 */
enum fd_verdict { FD_AGREE, FD_DISAGREE, FD_SKIP, FD_BAD, FD_ERROR, FD_INTR };

struct fd_dlist {
	struct cli_disagree *d;
	int n, cap;
};

struct fd_ctx {
	struct pl_backend *model, *host;	/* cli_rec_new() wrappers */
	const char *preset;
	struct fd_caps caps;
	struct cli_profile prof;		/* the host's facts, applied to the model */
	struct utsname u;
	int tests;				/* predicate evaluations (shrinker) */
	const char *synthetic;			/* --test-shrink: the outcome wanted */
};

static void fd_collect(void *arg, const struct cli_disagree *d)
{
	struct fd_dlist *l = arg;

	if (!l)
		return;
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 8;
		struct cli_disagree *nd = realloc(l->d, (size_t)cap * sizeof(*nd));

		if (!nd)
			return;	/* the count stays right; only the list is short */
		l->d = nd;
		l->cap = cap;
	}
	l->d[l->n++] = *d;
}

static void fd_step_begin(void *arg, const struct pl_exec_point *at)
{
	if (at->setup)
		cli_rec_setup(arg, true);
}

static void fd_step_end(void *arg, const struct pl_exec_point *at,
			const struct pl_folio_change *changes, int nr_changes)
{
	(void)changes;
	(void)nr_changes;
	if (at->setup)
		cli_rec_setup(arg, false);
}

/* One run of @sc on @be; FD_ERROR (printed) if the executor failed. */
static int fd_exec(struct fd_ctx *c, const struct pl_scenario *sc, struct pl_backend *be,
		   struct pl_result *r)
{
	struct pl_exec_hooks h = { .step_begin = fd_step_begin, .step_end = fd_step_end,
				   .arg = be };
	struct pl_exec_opts eo = { .preset = c->preset, .hooks = &h };
	int ret;

	if (be == c->model) {
		eo.sets = c->prof.sets;
		eo.nr_sets = c->prof.nr_sets;
	}
	ret = pl_exec_run(sc, sc->backings[0].idx, be, &eo, r);

	if (be->end)
		be->end(be);
	if (ret < 0) {
		fprintf(stderr, "pinlab: internal error: fuzz-diff [%s %s]: %s\n", c->preset,
			be->name, ret == -ENOMEM ? "out of memory" : r->detail);
		pl_result_free(r);
		return FD_ERROR;
	}
	return FD_AGREE;
}

/*
 * fd_run() - load @text, run it on both sides (or, for --test-shrink, on the
 * model only, wanting outcome c->synthetic) and compare.  *nr_steps gets the
 * scenario's step count; @out (may be NULL) every disagreement.
 */
static int fd_run(struct fd_ctx *c, const char *text, size_t len, struct fd_dlist *out,
		  int *nr_steps, bool show_errors)
{
	struct pl_scenario *sc;
	struct pl_diag_list diags;
	struct pl_result mr, hr;
	int v;

	c->tests++;
	if (pl_lang_load("fuzz-diff.pin", text, len, &sc, &diags)) {
		if (show_errors) {
			pl_diag_print(&diags, stderr, false);
			fprintf(stderr, "%.*s", (int)len, text);
		}
		return FD_BAD;
	}
	if (nr_steps)
		*nr_steps = sc->nr_steps;
	v = fd_exec(c, sc, c->model, &mr);
	if (v == FD_AGREE && c->synthetic) {
		v = strcmp(mr.outcome, c->synthetic) ? FD_AGREE : FD_DISAGREE;
		pl_result_free(&mr);
		pl_scenario_free(sc);
		return v;
	}
	if (v == FD_AGREE) {
		v = fd_exec(c, sc, c->host, &hr);
		if (v != FD_AGREE) {
			pl_result_free(&mr);
		} else {
			if (pl_host_interrupted())
				v = FD_INTR;
			else if (hr.skipped)
				v = FD_SKIP;
			else if (cli_rec_compare(&mr, c->model, &hr, c->host, fd_collect, out))
				v = FD_DISAGREE;
			pl_result_free(&mr);
			pl_result_free(&hr);
		}
	}
	pl_scenario_free(sc);
	return v;
}

/* --emit: that the scenario checks (printing why not), and its step count. */
static int fd_load_only(const char *text, size_t len, int *nr_steps)
{
	struct pl_scenario *sc;
	struct pl_diag_list diags;

	if (pl_lang_load("fuzz-diff.pin", text, len, &sc, &diags)) {
		pl_diag_print(&diags, stderr, false);
		fprintf(stderr, "%.*s", (int)len, text);
		return FD_BAD;
	}
	*nr_steps = sc->nr_steps;
	pl_scenario_free(sc);
	return FD_AGREE;
}

/* ---------------------------------------------------------------------------
 * The shrinker.
 *
 * ddmin (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing
 * Input") over a set of line numbers: try each of n chunks alone, then each
 * complement; keep the first that still fails; else split finer.  The
 * predicate may shrink the set it was given further (the closure over
 * names), and the result is what it tested.
 */
typedef bool (*fd_pred)(void *arg, int *set, int *n);

static int fd_ddmin(int *c, int n, fd_pred pred, void *arg)
{
	int *t = malloc(((size_t)n + 1) * sizeof(*t));
	int gran = 2;

	if (!t)
		return n;
	while (n >= 2) {
		int chunk = (n + gran - 1) / gran;
		bool reduced = false;

		for (int lo = 0; lo < n && !reduced; lo += chunk) {
			int tn = lo + chunk > n ? n - lo : chunk;

			memcpy(t, c + lo, (size_t)tn * sizeof(*t));
			if (pred(arg, t, &tn)) {
				memcpy(c, t, (size_t)tn * sizeof(*t));
				n = tn;
				gran = 2;
				reduced = true;
			}
		}
		for (int lo = 0; lo < n && !reduced && gran > 2; lo += chunk) {
			int tn = 0;

			for (int i = 0; i < n; i++)
				if (i < lo || i >= lo + chunk)
					t[tn++] = c[i];
			if (pred(arg, t, &tn)) {
				memcpy(c, t, (size_t)tn * sizeof(*t));
				n = tn;
				gran = gran - 1 > 2 ? gran - 1 : 2;
				reduced = true;
			}
		}
		if (!reduced) {
			if (gran >= n)
				break;
			gran = 2 * gran < n ? 2 * gran : n;
		}
	}
	free(t);
	return n;
}

struct fd_shrink {
	struct fd_ctx *c;
	struct fd_scen *s;
	bool *keep;
};

/* Keep only lines whose every used name is defined by an earlier kept line. */
static void fd_closure(const struct fd_scen *s, bool *keep)
{
	char (*def)[FD_NAME] = malloc(((size_t)s->n * FD_DEFS + 1) * FD_NAME);
	int nd = 0;

	if (!def)
		return;
	for (int i = 0; i < s->n; i++) {
		const struct fd_line *l = &s->l[i];

		if (!keep[i])
			continue;
		for (int u = 0; u < FD_USES && l->use[u][0] && keep[i]; u++) {
			bool found = false;

			for (int d = 0; d < nd && !found; d++)
				found = !strcmp(def[d], l->use[u]);
			keep[i] = found;
		}
		for (int d = 0; d < FD_DEFS && keep[i] && l->def[d][0]; d++)
			memcpy(def[nd++], l->def[d], FD_NAME);
	}
	free(def);
}

static bool fd_test_keep(struct fd_shrink *k)
{
	size_t len;
	char *text = fd_render(k->s, k->keep, NULL, &len);
	int v = fd_run(k->c, text, len, NULL, NULL, false);

	free(text);
	if (v == FD_ERROR) {
		fprintf(stderr, "pinlab: fuzz-diff: internal error while shrinking\n");
		exit(PL_EXIT_INTERNAL);
	}
	return v == FD_DISAGREE;
}

static bool fd_pred_lines(void *arg, int *set, int *n)
{
	struct fd_shrink *k = arg;
	int m = 0;

	memset(k->keep, 0, (size_t)k->s->n * sizeof(bool));
	for (int i = 0; i < *n; i++)
		k->keep[set[i]] = true;
	fd_closure(k->s, k->keep);
	for (int i = 0; i < k->s->n; i++)
		if (k->keep[i])
			set[m++] = i;
	if (!m || !fd_test_keep(k))
		return false;
	*n = m;
	return true;
}

/* Operand variants of one line: smaller ranges and sizes, fewer options. */
static int fd_variants(const char *line, char (*out)[FD_LINE], int max)
{
	char tok[24][48];
	int nt = 0, nv = 0;
	char buf[FD_LINE];

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *save, *t = strtok_r(buf, " ", &save); t && nt < 24;
	     t = strtok_r(NULL, " ", &save))
		snprintf(tok[nt++], sizeof(tok[0]), "%s", t);

#define EMIT(i, repl)							\
	do {								\
		size_t o_ = 0;						\
		if (nv == max)						\
			break;						\
		for (int j_ = 0; j_ < nt; j_++) {			\
			const char *w_ = j_ == (i) ? (repl) : tok[j_];	\
			if (!w_[0])					\
				continue;				\
			o_ += (size_t)snprintf(out[nv] + o_, FD_LINE - o_, "%s%s",	\
					       o_ ? " " : "", w_);	\
		}							\
		if (strcmp(out[nv], line))				\
			nv++;						\
	} while (0)

	for (int i = 0; i < nt; i++) {
		char name[24], r[96];
		int a, b;

		if (sscanf(tok[i], "%23[^[][%d..%d]", name, &a, &b) == 3 && b > a) {
			snprintf(r, sizeof(r), "%s[%d]", name, a);
			EMIT(i, r);
			snprintf(r, sizeof(r), "%s[%d]", name, b);
			EMIT(i, r);
			if (b - 1 > a) {
				snprintf(r, sizeof(r), "%s[%d..%d]", name, a, b - 1);
				EMIT(i, r);
				snprintf(r, sizeof(r), "%s[%d..%d]", name, a + 1, b);
				EMIT(i, r);
			}
		} else if (i + 1 < nt && sscanf(tok[i], "%d", &a) == 1 && a > 1 &&
			   !strncmp(tok[i + 1], "page", 4)) {
			char cp[2][48];

			memcpy(cp, tok + i, sizeof(cp));
			for (int v = 0; v < 2; v++) {
				int nn = v ? a - 1 : 1;

				if (v && nn == 1)
					break;
				snprintf(tok[i], sizeof(tok[0]), "%d", nn);
				snprintf(tok[i + 1], sizeof(tok[0]), "%s",
					 nn == 1 ? "page" : "pages");
				EMIT(-1, "");
			}
			memcpy(tok + i, cp, sizeof(cp));
		} else if (!strcmp(tok[i], "populate")) {
			/* (not `move`: whether a mapping can grow in place depends on
			 * where the allocator put its neighbours) */
			EMIT(i, "");
		} else if (!strcmp(tok[i], "thp-2048k") || !strcmp(tok[i], "memfd") ||
			   !strcmp(tok[i], "tmpfile")) {
			EMIT(i, "base");
		} else if (i >= 2 && tok[i][0] == 'm' && !strchr(tok[i], '[') &&
			   sscanf(tok[i] + 1, "%d", &a) == 1 && strcmp(tok[i - 1], "=") &&
			   strcmp(tok[i - 1], "mremap")) {
			/* a whole mapping in a data or mm operation: its first page */
			snprintf(r, sizeof(r), "%.40s[0]", tok[i]);
			EMIT(i, r);
		}
	}
#undef EMIT
	return nv;
}

/* Shrink operands line by line, to a fixpoint; true if anything changed. */
static bool fd_shrink_operands(struct fd_shrink *k)
{
	char (*var)[FD_LINE] = malloc(16 * FD_LINE);
	bool any = false, changed = true;

	if (!var)
		return false;
	while (changed) {
		changed = false;
		for (int i = 0; i < k->s->n; i++) {
			char orig[FD_LINE];
			int nv;

			if (!k->keep[i])
				continue;
			memcpy(orig, k->s->l[i].text, FD_LINE);
			nv = fd_variants(orig, var, 16);
			for (int v = 0; v < nv; v++) {
				memcpy(k->s->l[i].text, var[v], FD_LINE);
				if (fd_test_keep(k)) {
					changed = any = true;
					break;
				}
				memcpy(k->s->l[i].text, orig, FD_LINE);
			}
		}
	}
	free(var);
	return any;
}

/*
 * fd_shrink() - shrink @s (which disagrees) in place: ddmin over its lines,
 * then over operands, then lines again if operands changed.  keep[] (s->n
 * entries) gets the lines kept.  Returns how many.
 */
static int fd_shrink(struct fd_ctx *c, struct fd_scen *s, bool *keep)
{
	struct fd_shrink k = { c, s, keep };
	int *set = malloc(((size_t)s->n + 1) * sizeof(*set));
	int n = s->n;

	if (!set) {
		fprintf(stderr, "pinlab: out of memory\n");
		exit(PL_EXIT_INTERNAL);
	}
	for (int i = 0; i < n; i++)
		set[i] = i;
	for (int round = 0; round < 3; round++) {
		n = fd_ddmin(set, n, fd_pred_lines, &k);
		memset(keep, 0, (size_t)s->n * sizeof(bool));
		for (int i = 0; i < n; i++)
			keep[set[i]] = true;
		if (!fd_shrink_operands(&k))
			break;
	}
	free(set);
	return n;
}

/* ---------------------------------------------------------------------------
 * The host: what its backend can run.
 */

/* Does a tiny scenario run (not skip) on the host? */
static bool fd_host_can(struct fd_ctx *c, const char *body)
{
	char text[512];
	struct pl_scenario *sc;
	struct pl_diag_list diags;
	struct pl_result r;
	bool ok;
	int n = snprintf(text, sizeof(text), "scenario \"probe\"\n%s", body);

	if (pl_lang_load("fuzz-diff-probe.pin", text, (size_t)n, &sc, &diags))
		return false;
	ok = fd_exec(c, sc, c->host, &r) == FD_AGREE;
	if (ok) {
		ok = !r.skipped && !strcmp(r.outcome, "pass");
		pl_result_free(&r);
	}
	pl_scenario_free(sc);
	return ok;
}

static void fd_probe_caps(struct fd_ctx *c)
{
	c->caps.thp = fd_host_can(c, "process P\n"
				  "P: m = mmap 1 page rw private thp-2048k\n"
				  "P: write m \"x\"\n"
				  "P: check read m[0] == \"x\"\n");
	c->caps.ext4 = fd_host_can(c, "process P\n"
				   "file F ext4 1 page \"x\"\n"
				   "P: m = mmap 1 page rw shared tmpfile\n"
				   "check read F[0] == \"x\"\n");
	c->caps.swap = fd_host_can(c, "swapon 16\n");
	c->caps.iouring = fd_host_can(c, "process P\n"
				      "P: m = mmap 1 page rw private base\n"
				      "P: r = iouring-register m\n"
				      "iouring-unregister r\n");
}

static void fd_caps_str(const struct fd_caps *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", k->thp ? " thp" : "", k->ext4 ? " ext4" : "",
		 k->swap ? " swap" : "", k->iouring ? " io_uring" : "");
	if (!buf[0])
		snprintf(buf, len, " none");
	memmove(buf, buf + 1, strlen(buf));	/* the leading space */
}

/* ---------------------------------------------------------------------------
 * Output.
 */
struct fd_opts {
	uint64_t seed;
	long count;
	long index;		/* -1: all */
	const char *preset;
	bool json;
	const char *keep;
	const char *emit;
	bool test_shrink;
	char **replay;		/* --replay FILE...: argv slice */
	int nr_replay;
	struct cli_opts host;	/* the CLI_HOST options (--lock-timeout) */
};

static int fd_mkdirs(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(path, 0777) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(path, 0777) && errno != EEXIST)
		return -errno;
	return 0;
}

struct fd_text {
	const char *text;
	size_t len;
};

static int fd_write_text(FILE *f, const void *arg)
{
	const struct fd_text *t = arg;

	return fwrite(t->text, 1, t->len, f) != t->len;
}

static int fd_write_file(const char *dir, uint64_t seed, int index, const char *text, size_t len,
			 char *path, size_t plen)
{
	int err = fd_mkdirs(dir);

	snprintf(path, plen, "%s/s%llu-%d.pin", dir, (unsigned long long)seed, index);
	if (err) {
		fprintf(stderr, "pinlab: fuzz-diff: %s: %s\n", dir, strerror(-err));
		return PL_EXIT_INTERNAL;
	}
	struct fd_text t = { text, len };

	return cli_write_out(path, fd_write_text, &t) ? PL_EXIT_INTERNAL : 0;
}

static void fd_print_disagreement(const struct fd_opts *o, const struct fd_scen *s, int steps,
				  int shrunk, const struct fd_dlist *dl, const char *path,
				  const char *text)
{
	if (o->json) {
		printf("{\"seed\": %llu, \"index\": %d, \"file\": ", (unsigned long long)s->seed,
		       s->index);
		pl_json_str(stdout, path);
		printf(", \"steps\": %d, \"shrunk_steps\": %d, \"disagreements\": [", steps,
		       shrunk);
		for (int i = 0; i < dl->n; i++) {
			const struct cli_disagree *d = &dl->d[i];

			printf("%s{", i ? ", " : "");
			if (d->outcome)
				printf("\"what\": \"outcome\"");
			else
				printf("\"what\": \"step\", \"step\": %d", d->step);
			printf(", \"model\": ");
			pl_json_str(stdout, d->model);
			printf(", \"host\": ");
			pl_json_str(stdout, d->host);
			printf("}");
		}
		printf("], \"pin\": ");
		pl_json_str(stdout, text);
		printf("}\n");
		return;
	}
	printf("fuzz-diff %llu/%d: %d disagreement%s, shrunk from %d to %d steps: %s\n",
	       (unsigned long long)s->seed, s->index, dl->n, dl->n == 1 ? "" : "s", steps, shrunk,
	       path);
	for (int i = 0; i < dl->n; i++) {
		const struct cli_disagree *d = &dl->d[i];

		if (d->outcome)
			printf("    outcome: model %s, host %s\n", d->model, d->host);
		else
			printf("    step %d: model %s, host %s\n", d->step, d->model, d->host);
	}
	for (const char *p = text; *p;) {
		const char *e = strchr(p, '\n');
		int len = e ? (int)(e - p) : (int)strlen(p);

		printf("    | %.*s\n", len, p);
		p += len + (e ? 1 : 0);
	}
}

/* The disagreement notes at the top of a kept file. */
static char *fd_notes(struct fd_ctx *c, const struct fd_dlist *dl, int steps)
{
	size_t cap = 256 + (size_t)dl->n * 800, n;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	n = (size_t)snprintf(t, cap,
			     "# Shrunk from %d steps.  Model (preset %s) vs host (%s) disagree:\n",
			     steps, c->preset, c->u.release);
	for (int i = 0; i < dl->n && n < cap; i++) {
		const struct cli_disagree *d = &dl->d[i];

		if (d->outcome)
			n += (size_t)snprintf(t + n, cap - n, "#   outcome: model %s, host %s\n",
					      d->model, d->host);
		else
			n += (size_t)snprintf(t + n, cap - n, "#   step %d: model %s, host %s\n",
					      d->step, d->model, d->host);
	}
	return t;
}

/* ---------------------------------------------------------------------------
 * --test-shrink: the shrinker on predicates whose answer is known.
 */
static bool fd_pred_contains(void *arg, int *set, int *n)
{
	const int *want = arg;
	int *calls = (int *)arg + 4;
	int found = 0;

	++*calls;
	for (int w = 0; w < want[3]; w++)
		for (int i = 0; i < *n; i++)
			found += set[i] == want[w];
	return found == want[3];
}

static int fd_test_shrink(struct fd_ctx *c)
{
	/* 1. ddmin on numbers: the smallest set holding 3, 17 and 29 */
	int set[40], arg[5] = { 3, 17, 29, 3, 0 }, n;
	/* 2. a scenario whose failing check needs P, m1, the fork and C1's write */
	static const char *const lines[] = {
		"process P", "file F1 tmpfs 2 pages \"f1\"",
		"P: m1 = mmap 2 pages rw private base populate", "P: write m1 \"v1\"",
		"P: m2 = mmap 1 page rw shared memfd", "P: write m2 \"v2\"", "P: fork C1",
		"C1: write m1[0..1] \"v3\"", "P: vmsplice m1[0] -> p1", "P: write m1 \"v4\"",
		"C1: check read m1[1] != \"v3\" as leak", "P: check read m1 != \"~\"",
		"check read p1 != \"~\"", "check read F1 != \"~\"",
	};
	static const char *const defs[][2] = {
		{ "P" }, { "F1" }, { "m1" }, { 0 }, { "m2" }, { 0 }, { "C1" }, { 0 }, { "p1" },
		{ 0 }, { 0 }, { 0 }, { 0 }, { 0 },
	};
	static const char *const uses[][3] = {
		{ 0 }, { 0 }, { "P" }, { "P", "m1" }, { "P" }, { "P", "m2" }, { "P" },
		{ "C1", "m1" }, { "P", "m1" }, { "P", "m1" }, { "C1", "m1" }, { "P", "m1" },
		{ "p1" }, { "F1" },
	};
	struct fd_scen s = { .seed = 0, .index = 0 };
	bool keep[16];
	size_t len;
	char *text;

	for (int i = 0; i < 40; i++)
		set[i] = i;
	n = fd_ddmin(set, 40, fd_pred_contains, arg);
	printf("ddmin 0..39 for {3 17 29}:");
	for (int i = 0; i < n; i++)
		printf(" %d", set[i]);
	printf(" (%d tests)\n", arg[4]);
	arg[3] = 1;
	arg[4] = 0;
	for (int i = 0; i < 40; i++)
		set[i] = i;
	n = fd_ddmin(set, 40, fd_pred_contains, arg);
	printf("ddmin 0..39 for {3}:");
	for (int i = 0; i < n; i++)
		printf(" %d", set[i]);
	printf(" (%d tests)\n", arg[4]);

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct fd_line *l = fd_add(&s, "%s", lines[i]);

		for (int d = 0; d < 2 && defs[i][d]; d++)
			fd_def(l, defs[i][d]);
		for (int u = 0; u < 3 && uses[i][u]; u++)
			fd_use(l, uses[i][u]);
	}
	c->synthetic = "leak";
	c->tests = 0;
	n = fd_shrink(c, &s, keep);
	text = fd_render(&s, keep, NULL, &len);
	printf("shrunk a %d-step scenario to %d steps (model outcome leak):\n%s", s.n, n, text);
	free(text);
	fd_scen_free(&s);
	return PL_EXIT_OK;
}

/*
 * --replay FILE...: kept files (or any scenario on base) compared as
 * fuzz-diff compares, every step's errno included, which `pinlab diff`
 * leaves out.
 */
static int fd_replay(struct fd_ctx *c, const struct fd_opts *o)
{
	struct cli_files files;
	int ret = cli_load(o->replay, o->nr_replay, &files), agree = 0, disagree = 0, skip = 0;

	for (int i = 0; !ret && i < files.n && !pl_host_interrupted(); i++) {
		struct fd_dlist dl = { 0 };
		int v = fd_run(c, files.f[i].text, files.f[i].len, &dl, NULL, false);

		if (v == FD_ERROR || v == FD_BAD)
			ret = PL_EXIT_INTERNAL;
		skip += v == FD_SKIP;
		agree += v == FD_AGREE;
		disagree += v == FD_DISAGREE;
		for (int k = 0; k < dl.n; k++) {
			if (dl.d[k].outcome)
				printf("%s: outcome: model %s, host %s\n", files.f[i].path,
				       dl.d[k].model, dl.d[k].host);
			else
				printf("%s: step %d: model %s, host %s\n", files.f[i].path,
				       dl.d[k].step, dl.d[k].model, dl.d[k].host);
		}
		free(dl.d);
	}
	if (!ret && pl_host_interrupted()) {
		printf("interrupted by %s: %d of %d files: %d agree, %d disagree, %d skipped on "
		       "the host (incomplete)\n", cli_signal_name(), agree + disagree + skip,
		       files.n, agree, disagree, skip);
		ret = cli_interrupted_exit();
	} else if (!ret) {
		printf("%d file%s: %d agree, %d disagree, %d skipped on the host\n", files.n,
		       files.n == 1 ? "" : "s", agree, disagree, skip);
		ret = disagree ? PL_EXIT_MISMATCH : PL_EXIT_OK;
	}
	if (pl_host_interrupted())
		ret = cli_interrupted_exit();
	cli_files_free(&files);
	return ret;
}

/* ---------------------------------------------------------------------------
 * The command.
 */
static int fd_parse(int argc, char **argv, struct fd_opts *o)
{
	bool have_seed = false, have_count = false;

	memset(o, 0, sizeof(*o));
	o->index = -1;
	o->host.lock_timeout = -1;
	o->keep = "build/fuzz-diff";
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		char *end;

		if (!strcmp(a, "--test-shrink")) {
			o->test_shrink = true;
			continue;
		}
		if (!strcmp(a, "--replay")) {
			o->replay = argv + i + 1;
			while (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) {
				o->nr_replay++;
				i++;
			}
			if (!o->nr_replay)
				return cli_usage_error("fuzz-diff", "--replay needs a FILE");
			continue;
		}
		if (a[0] != '-' || a[1] != '-')
			return cli_usage_error("fuzz-diff", "unexpected argument '%s'", a);
		if (!v)
			return cli_usage_error("fuzz-diff", "option '%s' needs a value", a);
		i++;
		errno = 0;
		if (!strcmp(a, "--seed")) {
			o->seed = strtoull(v, &end, 0);
			if (errno || end == v || *end || v[0] == '-')
				return cli_usage_error("fuzz-diff", "--seed: not a number: '%s'",
						       v);
			have_seed = true;
		} else if (!strcmp(a, "--count") || !strcmp(a, "--index")) {
			long n = strtol(v, &end, 10);

			if (errno || end == v || *end || n < 0 || n > 1000000)
				return cli_usage_error("fuzz-diff",
						       "%s: expected 0..1000000, got '%s'", a, v);
			if (a[2] == 'c') {
				o->count = n;
				have_count = true;
			} else {
				o->index = n;
			}
		} else if (!strcmp(a, "--preset")) {
			if (!pl_preset_find(v))
				return cli_usage_error("fuzz-diff", "unknown preset '%s' (see "
						       "'pinlab presets')", v);
			o->preset = pl_preset_find(v)->name;
		} else if (!strcmp(a, "--format")) {
			if (strcmp(v, "table") && strcmp(v, "json"))
				return cli_usage_error("fuzz-diff", "unknown format '%s' "
						       "(expected table or json)", v);
			o->json = !strcmp(v, "json");
		} else if (!strcmp(a, "--keep")) {
			o->keep = v;
		} else if (!strcmp(a, "--emit")) {
			o->emit = v;
		} else if (!strcmp(a, "--lock-timeout")) {
			long n = strtol(v, &end, 10);

			if (errno || end == v || *end || n < 0 || n > 86400)
				return cli_usage_error("fuzz-diff", "--lock-timeout expects seconds "
						       "(0 to 86400), found '%s'", v);
			o->host.lock_timeout = (int)n;
		} else {
			return cli_usage_error("fuzz-diff", "unknown option '%s'", a);
		}
	}
	if (o->test_shrink || o->nr_replay)
		return 0;
	if (!have_seed)
		return cli_usage_error("fuzz-diff", "--seed S is required");
	if (!have_count && o->index < 0)
		return cli_usage_error("fuzz-diff", "--count N (or --index I) is required");
	return 0;
}

static int cmd_fuzz_diff(int argc, char **argv)
{
	struct fd_opts o;
	struct fd_ctx c;
	char caps[128];
	long first, last, scenarios = 0, steps = 0, disagree = 0, skipped = 0;
	int ret = fd_parse(argc, argv, &o);

	if (ret)
		return ret;
	memset(&c, 0, sizeof(c));
	if (uname(&c.u))
		snprintf(c.u.release, sizeof(c.u.release), "unknown");
	c.preset = o.preset ? o.preset : cli_uname_preset(&c.u)->name;
	c.model = cli_rec_new(pl_model_backend_new(), true);
	pl_host_catch_signals();
	if (!o.emit && !o.test_shrink) {
		struct pl_backend *hb = cli_host_backend("fuzz-diff", &o.host, FD_TIMEOUT_MS);

		if (!hb && pl_host_interrupted()) {
			fprintf(stderr, "pinlab: fuzz-diff: interrupted by %s while waiting for the "
				"host lock\n", cli_signal_name());
			ret = cli_interrupted_exit();
			goto out;
		}
		if (!hb) {
			ret = PL_EXIT_INTERNAL;	/* said why */
			goto out;
		}
		c.host = cli_rec_new(hb, true);
	} else {
		c.host = cli_rec_new(pl_host_backend_new(FD_TIMEOUT_MS), true);
	}
	if (!c.model || !c.host) {
		fprintf(stderr, "pinlab: out of memory\n");
		ret = PL_EXIT_INTERNAL;
		goto out;
	}
	if (o.test_shrink) {
		ret = fd_test_shrink(&c);
		goto out;
	}
	if (!o.emit) {
		ret = cli_profile_get(&c.prof, NULL, c.host);
		if (ret)
			goto out;
		fprintf(stderr, "%s\n", c.prof.line);
	}
	if (o.nr_replay) {
		ret = fd_replay(&c, &o);
		goto out;
	}
	fd_probe_caps(&c);
	fd_caps_str(&c.caps, caps, sizeof(caps));
	/* the facts applied to the model, as "zero_page=false" -> "no-zero-page" */
	for (int i = 0; i < c.prof.nr_sets; i++) {
		size_t at = strlen(caps);

		snprintf(caps + at, sizeof(caps) - at, " no-%.*s", (int)strcspn(c.prof.sets[i], "="),
			 c.prof.sets[i]);
		for (char *u = caps + at; *u; u++)
			if (*u == '_')
				*u = '-';
	}
	first = o.index >= 0 ? o.index : 0;
	last = o.index >= 0 ? o.index + 1 : o.count;
	for (long i = first; i < last && !ret && !pl_host_interrupted(); i++) {
		struct fd_scen s;
		struct fd_dlist dl = { 0 };
		size_t len;
		char *text, path[4200];
		int nr = 0, v;

		fd_generate(&s, o.seed, (int)i, &c.caps);
		text = fd_render(&s, NULL, NULL, &len);
		if (o.emit) {
			ret = fd_write_file(o.emit, o.seed, (int)i, text, len, path, sizeof(path));
			v = fd_load_only(text, len, &nr);
		} else {
			v = fd_run(&c, text, len, NULL, &nr, true);
		}
		free(text);
		scenarios++;
		steps += nr;
		if (v == FD_BAD) {
			fprintf(stderr, "pinlab: internal error: fuzz-diff: scenario %ld of seed "
				"%llu does not check\n", i, (unsigned long long)o.seed);
			ret = PL_EXIT_INTERNAL;
		} else if (v == FD_ERROR) {
			ret = PL_EXIT_INTERNAL;
		} else if (v == FD_SKIP) {
			skipped++;
		} else if (v == FD_DISAGREE) {
			bool *keep = calloc((size_t)s.n + 1, sizeof(bool));
			char *notes;
			int n;

			if (!keep) {
				ret = PL_EXIT_INTERNAL;
				fd_scen_free(&s);
				break;
			}
			disagree++;
			n = fd_shrink(&c, &s, keep);
			text = fd_render(&s, keep, NULL, &len);
			fd_run(&c, text, len, &dl, NULL, false);
			free(text);
			notes = fd_notes(&c, &dl, nr);
			text = fd_render(&s, keep, notes, &len);
			ret = fd_write_file(o.keep, o.seed, (int)i, text, len, path, sizeof(path));
			if (!ret)
				fd_print_disagreement(&o, &s, nr, n, &dl, path, text);
			free(text);
			free(notes);
			free(dl.d);
			free(keep);
		}
		fd_scen_free(&s);
		fflush(stdout);
	}
	if (pl_host_interrupted()) {
		/* the summary of what ran, marked incomplete; destroy() restores the host */
		fprintf(stderr, "pinlab: fuzz-diff: interrupted by %s; workers and temp files "
			"removed, the host restored\n", cli_signal_name());
		ret = 0;
	}
	if (ret)
		goto out;
	if (o.emit)
		printf("fuzz-diff seed %llu: %ld scenarios written to %s (host: %s)\n",
		       (unsigned long long)o.seed, scenarios, o.emit, caps);
	else if (o.json) {
		printf("{\"seed\": %llu, \"preset\": \"%s\", \"kernel\": ",
		       (unsigned long long)o.seed, c.preset);
		pl_json_str(stdout, c.u.release);
		printf(", \"host\": \"%s\", \"scenarios\": %ld, \"steps\": %ld, "
		       "\"disagreements\": %ld, \"skipped\": %ld", caps, scenarios, steps,
		       disagree, skipped);
		if (pl_host_interrupted())
			printf(", \"incomplete\": true, \"signal\": \"%s\"", cli_signal_name());
		printf("}\n");
	}
	else
		printf("fuzz-diff seed %llu: %ld scenarios, %ld steps, %ld disagreement%s, "
		       "%ld skipped (preset %s, kernel %s, host: %s)%s%s\n",
		       (unsigned long long)o.seed, scenarios, steps, disagree,
		       disagree == 1 ? "" : "s", skipped, c.preset, c.u.release, caps,
		       pl_host_interrupted() ? "; incomplete: interrupted by " : "",
		       pl_host_interrupted() ? cli_signal_name() : "");
	ret = pl_host_interrupted() ? cli_interrupted_exit() :
	      disagree ? PL_EXIT_MISMATCH : PL_EXIT_OK;
out:
	if (c.model)
		c.model->destroy(c.model);
	if (c.host)
		c.host->destroy(c.host);
	fflush(stdout);
	return ret;
}

const struct cli_cmd cli_cmd_fuzz_diff = { "fuzz-diff", cmd_fuzz_diff, fd_usage };
