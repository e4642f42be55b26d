/*
 * gen.c - the fuzz-diff generator: random, well-formed .pin text from a
 * seed and an index (fuzzdiff.h has the picture).
 *
 * Scenario i of seed S comes from a PRNG stream of its own, derived from
 * (S, i) only, and from the host's capabilities: the same (S, i, caps), the
 * same text.  It is text, not an AST, so that what fails is the file that
 * is kept and replayed; every line remembers the names it defines and uses,
 * for the shrinker's closure.
 */
#include "fuzzdiff/fuzzdiff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FD_PROCS	5	/* processes alive at once */
#define FD_MAPS		6	/* mappings per process */
#define FD_OPS_MIN	6
#define FD_OPS_VAR	22

/* Out of memory while generating: the run means nothing; say so and stop (exit 3). */
static void fd_oom(void)
{
	fprintf(stderr, "pinlab: out of memory\n");
	exit(3);
}

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
void fd_scen_free(struct fd_scen *s)
{
	free(s->l);
	memset(s, 0, sizeof(*s));
}

struct fd_line *fd_add(struct fd_scen *s, const char *fmt, ...)
{
	struct fd_line *l;
	va_list ap;

	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 64;
		struct fd_line *nl = realloc(s->l, (size_t)cap * sizeof(*nl));

		if (!nl) {
			fd_oom();
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

void fd_def(struct fd_line *l, const char *name)
{
	for (int i = 0; i < FD_DEFS; i++)
		if (!l->def[i][0]) {
			snprintf(l->def[i], FD_NAME, "%s", name);
			return;
		}
}

void fd_use(struct fd_line *l, const char *name)
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
char *fd_render(const struct fd_scen *s, const bool *keep, const char *note, size_t *len)
{
	size_t cap = 256 + (note ? strlen(note) : 0) + (size_t)s->n * (FD_LINE + 1);
	char *t = malloc(cap);
	size_t n;

	if (!t) {
		fd_oom();
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
void fd_generate(struct fd_scen *s, uint64_t seed, int index, const struct fd_caps *caps)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct fd_line *l;
	int nops;

	if (!g) {
		fd_oom();
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

