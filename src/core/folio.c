/*
 * Folios: allocation and reference counting (the mapcounts, the reverse-map
 * accounting, are in rmap.c).
 *
 * The memmap is a list of chunks of 2^18 struct page; a chunk never moves,
 * so a struct page pointer stays valid for the life of the world.  Folios of
 * order n are 2^n contiguous, naturally aligned pfns, so the largest folio (a
 * 1 GiB hugetlb page, order 18) fills exactly one chunk and never straddles
 * two: folio_page(f, i) is pointer arithmetic (plus, for a 1 GiB folio,
 * writing the page's group of struct pages on first use: struct
 * pl_chunk_hdr).  Chunks come zeroed from mmap() or from a per-process pool
 * of clean ones, so the memmap of pfns nobody touched costs no host memory
 * and no time.  Free pfns sit
 * on one list per order (linked through page->index); new memory comes from
 * a bump frontier.  Nothing is ever merged: the model needs identity, not
 * fragmentation behaviour.
 *
 * Counting follows the kernel literally:
 *
 *   _refcount  +1 per PTE and per PMD mapping, +nr for the page cache or the
 *              swap cache, +1 per FOLL_GET, and per FOLL_PIN:
 *                 small folio:  +GUP_PIN_COUNTING_BIAS (1024)
 *                 large folio:  +1, and _pincount += 1
 *
 *              refcount  0 ......... 1 ........ 1023 | 1024 ............
 *              small:    free  mapped/cached/GET     | "maybe pinned"
 *
 *   _mapcount  per page: PTE mappings;  _entire_mapcount: PMD mappings.
 *
 * PG_anon_exclusive lifecycle (one page; knob anon_exclusive, 6c287605fd56):
 *
 *     fresh anon fault / COW copy / reuse ----> EXCLUSIVE
 *        ^                                        |  fork (not pinned): __folio_try_dup_anon_rmap
 *        |  do_wp_page reuse, unshare,            |  KSM, swapout: __folio_try_share_anon_rmap
 *        |  swap-in of an exclusive entry         v        (both refuse while maybe pinned)
 *        +------------------------------------ SHARED (may be mapped by several mms)
 */
#include "internal.h"

#include <pthread.h>
#include <sys/mman.h>

#define PL_MEMMAP_CHUNK_SHIFT HPAGE_PUD_ORDER
#define PL_MEMMAP_CHUNK (1u << PL_MEMMAP_CHUNK_SHIFT)
#define PL_GROUPS (PL_MEMMAP_CHUNK / PL_PAGE_GROUP)

/*
 * A memmap chunk is one mmap() of PL_CHUNK_HDR bytes of header followed by
 * 2^18 struct pages (w->memmap[c] points past the header).  The header has
 * one bit per group of PL_PAGE_GROUP (512) struct pages: the group has been
 * written since the chunk was last clean.
 *
 * In a chunk that holds a 1 GiB folio (its first page has order 18, head or
 * free) the bit means more: a clear bit is a group never written, all zero
 * bytes, and stands for 512 tail pages in their default state -- PG_tail
 * (PG_free while the folio is free), head = the chunk's first pfn, nothing
 * else set.  pfn_to_page() and folio_page() write such a group the first
 * time anything asks for one of its pages, so a 1 GiB folio costs the
 * groups a scenario touches, not 262,144 struct pages at allocation and
 * again at free.  Loops over a whole 1 GiB folio that only look for
 * non-default pages skip the clear groups (pl_folio_group_filled()).
 */
struct pl_chunk_hdr {
	uint64_t filled[PL_GROUPS / 64];
	/*
	 * The group's first struct page alone was written (a free block's
	 * head that free_alignment_gap() left there): cleaning the chunk
	 * zeroes that one struct page, not the group, and the chunk still
	 * counts as clean enough for the pool.
	 */
	uint64_t head_only[PL_GROUPS / 64];
};

static struct pl_chunk_hdr *chunk_hdr(const struct page *chunk)
{
	return (struct pl_chunk_hdr *)((char *)chunk - PL_CHUNK_HDR);
}

static void group_mark(const struct page *chunk, unsigned g)
{
	chunk_hdr(chunk)->filled[g / 64] |= 1ULL << (g % 64);
}

bool pl_folio_group_filled(const struct folio *f, unsigned i)
{
	unsigned g = i / PL_PAGE_GROUP;

	return (chunk_hdr(&f->page)->filled[g / 64] >> (g % 64)) & 1;
}

/* Write group i / PL_PAGE_GROUP of the 1 GiB folio (or free block) at h in its default state. */
void pl_folio_group_fill(struct page *h, unsigned i)
{
	unsigned g = i / PL_PAGE_GROUP;
	struct page *p = h + (size_t)g * PL_PAGE_GROUP;
	uint32_t flags = (h->flags & PG_free) ? PG_free : PG_tail;

	memset(p, 0, PL_PAGE_GROUP * sizeof(*p));
	for (unsigned j = 0; j < PL_PAGE_GROUP; j++) {
		p[j].head = h->head;
		p[j].flags = flags;
	}
	group_mark(h, g);
}

/* pfn_to_page() (core.h) for a bad pfn or a page of a 1 GiB chunk's groups. */
struct page *pl_pfn_to_page_slow(const struct world *w, pl_pfn pfn)
{
	uint32_t c = pfn >> PL_MEMMAP_CHUNK_SHIFT, off = pfn & (PL_MEMMAP_CHUNK - 1);
	struct page *base;

	PL_BUG_ON(pfn == PL_PFN_NONE || c >= w->nr_chunks);
	base = w->memmap[c];
	if (off >= PL_PAGE_GROUP && base->order == HPAGE_PUD_ORDER &&
	    !pl_folio_group_filled((struct folio *)base, off))
		pl_folio_group_fill(base, off);
	return &base[off];
}

bool pl_is_zero_pfn(const struct world *w, pl_pfn pfn)
{
	return pfn == w->zero_pfn ||
	       (pfn >= w->huge_zero_pfn && pfn < w->huge_zero_pfn + HPAGE_PMD_NR);
}

struct folio *pl_zero_folio(struct world *w)
{
	return pfn_folio(w, w->zero_pfn);
}

/*
 * Chunks come straight from mmap(): the kernel hands out zeroed pages
 * lazily, so a world only pays for the struct pages it touches.  A freed
 * world gives its chunks back clean (its written groups zeroed again) to a
 * small per-process pool, so the next world reuses memory the kernel has
 * already faulted in instead of faulting in (and later unmapping) fresh
 * pages: one catalog runs thousands of worlds.
 */
#define PL_CHUNK_POOL 8
static pthread_mutex_t chunk_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct page *chunk_pool[PL_CHUNK_POOL];
static unsigned chunk_pool_nr;

static size_t chunk_map_bytes(void)
{
	return PL_CHUNK_HDR + pl_memmap_chunk_bytes();
}

static struct page *pl_memmap_chunk_alloc(void)
{
	struct page *chunk = NULL;
	void *p;

	pthread_mutex_lock(&chunk_pool_lock);
	if (chunk_pool_nr)
		chunk = chunk_pool[--chunk_pool_nr];
	pthread_mutex_unlock(&chunk_pool_lock);
	if (chunk)
		return chunk;
	p = mmap(NULL, chunk_map_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	return p == MAP_FAILED ? NULL : (struct page *)((char *)p + PL_CHUNK_HDR);
}

/*
 * The start of every world.  pl_world_new() reserves the same first 1,024
 * pfns in every world: pfn 0 unused, the zero page, the 510 free blocks of
 * the alignment gap and the huge zero page -- about 1,000 struct pages and
 * a walk of the gap, more than the whole run of a small explorer schedule
 * costs.  The first world of the process keeps a copy of those two groups
 * and of the allocator's state after them (the template); a world's chunk 0
 * goes back to a pool of its own with the template written in again
 * instead of zeroes, so the next world takes it as it is and writes no
 * struct page to start (pl_memmap_template_load()).  Same memmap, same free
 * lists, same pfns: nothing a run shows can tell the two starts apart.
 */
#define PL_TMPL_GROUPS 2u
_Static_assert(PL_TMPL_GROUPS < 64, "pl_memmap_chunk_release() masks them in the first word");
#define PL_TMPL_PAGES (PL_TMPL_GROUPS * PL_PAGE_GROUP)
static struct {
	struct page *pages;		/* NULL: no template (yet) */
	pl_pfn next_pfn, zero_pfn, huge_zero_pfn;
	pl_pfn free_list[HPAGE_PUD_ORDER + 1];
	uint32_t check_runs[PL_ARRAY_SIZE(((struct world *)0)->check_runs)][2];
	uint32_t check_nr_runs;
	uint64_t memmap_gen;
} tmpl;
static struct page *tmpl_pool[PL_CHUNK_POOL];
static unsigned tmpl_pool_nr;

/* After pl_world_new() reserved its pages the usual way: keep them as the template. */
void pl_memmap_template_save(struct world *w)
{
	struct page *copy;

	pthread_mutex_lock(&chunk_pool_lock);
	if (tmpl.pages || w->nr_chunks != 1 || w->next_pfn != PL_TMPL_PAGES ||
	    w->nr_alloc_pages) {
		pthread_mutex_unlock(&chunk_pool_lock);
		return;
	}
	pthread_mutex_unlock(&chunk_pool_lock);
	/* without the memory for a copy every world starts the usual way */
	copy = malloc(PL_TMPL_PAGES * sizeof(*copy));
	if (!copy)
		return;
	memcpy(copy, w->memmap[0], PL_TMPL_PAGES * sizeof(*copy));
	pthread_mutex_lock(&chunk_pool_lock);
	if (tmpl.pages) {
		pthread_mutex_unlock(&chunk_pool_lock);
		free(copy);
		return;
	}
	tmpl.next_pfn = w->next_pfn;
	tmpl.zero_pfn = w->zero_pfn;
	tmpl.huge_zero_pfn = w->huge_zero_pfn;
	memcpy(tmpl.free_list, w->free_list, sizeof(tmpl.free_list));
	memcpy(tmpl.check_runs, w->check_runs, sizeof(tmpl.check_runs));
	tmpl.check_nr_runs = w->check_nr_runs;
	tmpl.memmap_gen = w->memmap_gen;
	tmpl.pages = copy;
	w->tmpl_low = PL_TMPL_PAGES;
	pthread_mutex_unlock(&chunk_pool_lock);
}

/*
 * A new world's first pages from a chunk that holds the template: true if
 * one was in the pool (the world then has its chunk 0, zero pages and free
 * lists); false, nothing changed, and pl_world_new() reserves the pages.
 */
bool pl_memmap_template_load(struct world *w)
{
	struct page **m = malloc(16 * sizeof(*m));
	struct page *chunk = NULL;

	if (!m)
		return false;
	pthread_mutex_lock(&chunk_pool_lock);
	if (tmpl_pool_nr)
		chunk = tmpl_pool[--tmpl_pool_nr];
	if (chunk) {
		w->next_pfn = tmpl.next_pfn;
		w->zero_pfn = tmpl.zero_pfn;
		w->huge_zero_pfn = tmpl.huge_zero_pfn;
		memcpy(w->free_list, tmpl.free_list, sizeof(tmpl.free_list));
		memcpy(w->check_runs, tmpl.check_runs, sizeof(tmpl.check_runs));
		w->check_nr_runs = tmpl.check_nr_runs;
		w->memmap_gen = tmpl.memmap_gen;
		w->tmpl_low = PL_TMPL_PAGES;
	}
	pthread_mutex_unlock(&chunk_pool_lock);
	if (!chunk) {
		free(m);
		return false;
	}
	m[0] = chunk;
	w->memmap = m;
	w->nr_chunks = 1;
	w->cap_chunks = 16;	/* as memmap_grow() sizes it first */
	return true;
}

/*
 * Give a chunk back: zero what was written, keep it for the next world.
 * A world's chunk 0 (@first) gets the template back in its first groups,
 * for pl_memmap_template_load().  Of those, a world writes only the zero
 * pages and the pfns it was handed (@low: the lowest): the free blocks of
 * the gap go out from its top (free_alignment_gap() pushed them in
 * ascending order) and nothing writes a free block it has not handed out,
 * so below @low the chunk still holds the template.
 */
void pl_memmap_chunk_release(struct page *chunk, bool first, pl_pfn low)
{
	struct pl_chunk_hdr *hdr = chunk_hdr(chunk);
	unsigned nr = 0, g0 = 0;
	bool kept = false;

	for (unsigned i = 0; i < PL_GROUPS / 64; i++)
		nr += (unsigned)__builtin_popcountll(hdr->filled[i]);
	if (nr > PL_GROUPS / 8) {
		munmap(hdr, chunk_map_bytes());
		return;
	}
	pthread_mutex_lock(&chunk_pool_lock);
	if (first && tmpl.pages && tmpl_pool_nr < PL_CHUNK_POOL)
		g0 = PL_TMPL_GROUPS;
	pthread_mutex_unlock(&chunk_pool_lock);
	/* the written groups, by their bits: a world writes a few of the 512 */
	for (unsigned i = 0; i < PL_GROUPS / 64; i++) {
		uint64_t full = hdr->filled[i], head = hdr->head_only[i] & ~full;

		if (i == 0 && g0) {	/* the template's groups are copied back below */
			full &= ~((1ULL << g0) - 1);
			head &= ~((1ULL << g0) - 1);
		}
		for (; full; full &= full - 1)
			memset(chunk + (size_t)(i * 64 + (unsigned)__builtin_ctzll(full)) *
					       PL_PAGE_GROUP,
			       0, PL_PAGE_GROUP * sizeof(*chunk));
		for (; head; head &= head - 1)
			memset(chunk + (size_t)(i * 64 + (unsigned)__builtin_ctzll(head)) *
					       PL_PAGE_GROUP,
			       0, sizeof(*chunk));
	}
	memset(hdr, 0, sizeof(*hdr));
	if (g0) {
		/* tmpl.pages never changes once set */
		pl_pfn from = PL_MIN(low, tmpl.huge_zero_pfn);

		memcpy(&chunk[tmpl.zero_pfn], &tmpl.pages[tmpl.zero_pfn], sizeof(*chunk));
		memcpy(&chunk[from], &tmpl.pages[from], (PL_TMPL_PAGES - from) * sizeof(*chunk));
		for (unsigned g = 0; g < PL_TMPL_GROUPS; g++)
			group_mark(chunk, g);
	}
	pthread_mutex_lock(&chunk_pool_lock);
	if (g0 && tmpl_pool_nr < PL_CHUNK_POOL) {
		tmpl_pool[tmpl_pool_nr++] = chunk;
		kept = true;
	} else if (!g0 && chunk_pool_nr < PL_CHUNK_POOL) {
		chunk_pool[chunk_pool_nr++] = chunk;
		kept = true;
	}
	pthread_mutex_unlock(&chunk_pool_lock);
	if (!kept)
		munmap(hdr, chunk_map_bytes());
}

/*
 * pl_memmap_chunk_copy() - a chunk holding what @src holds, for a copy of
 * its world (world_copy.c): a clean chunk from the pool with @src's header
 * and the groups the header marks written (of a head_only group, its first
 * struct page).  Every other byte of a chunk is zero, in @src as in a clean
 * one, so the copy reads the same everywhere and goes back to the pool by
 * pl_memmap_chunk_release() as @src would.  NULL without the memory.
 */
struct page *pl_memmap_chunk_copy(const struct page *src)
{
	const struct pl_chunk_hdr *sh = chunk_hdr(src);
	struct page *c = pl_memmap_chunk_alloc();

	if (!c)
		return NULL;
	*chunk_hdr(c) = *sh;
	for (unsigned i = 0; i < PL_GROUPS / 64; i++) {
		uint64_t f = sh->filled[i], h = sh->head_only[i] & ~f;

		while (f) {
			unsigned g = i * 64 + (unsigned)__builtin_ctzll(f), n = 1;

			/* a run of written groups is one memcpy() */
			while (g + n < (i + 1) * 64 && ((f >> (g + n - i * 64)) & 1))
				n++;
			memcpy(c + (size_t)g * PL_PAGE_GROUP, src + (size_t)g * PL_PAGE_GROUP,
			       (size_t)n * PL_PAGE_GROUP * sizeof(*c));
			f &= ~(((n == 64 ? 0 : (1ULL << n)) - 1) << (g - i * 64));
		}
		while (h) {
			unsigned g = i * 64 + (unsigned)__builtin_ctzll(h);

			c[(size_t)g * PL_PAGE_GROUP] = src[(size_t)g * PL_PAGE_GROUP];
			h &= h - 1;
		}
	}
	return c;
}

/*
 * pl_memmap_chunk_copy_into() - make @dst, a chunk of another world, hold
 * what @src holds, writing only what may differ: the groups either marks
 * written (copied from @src, or zeroed where only @dst wrote), and the
 * first struct pages of head_only groups.  Below @same (group-wise, in a
 * chunk 0 whose first pfns both worlds hold as the template, see
 * pl_memmap_chunk_release()) both already hold the template and are left
 * alone, but for the zero page's struct page at @zero_pfn, which a world
 * writes; @same 0: no such pfns.
 */
void pl_memmap_chunk_copy_into(struct page *dst, const struct page *src, pl_pfn same,
			       pl_pfn zero_pfn)
{
	struct pl_chunk_hdr *dh = chunk_hdr(dst);
	const struct pl_chunk_hdr *sh = chunk_hdr(src);
	const size_t gb = PL_PAGE_GROUP * sizeof(*dst);

	for (unsigned i = 0; i < PL_GROUPS / 64; i++) {
		uint64_t any = sh->filled[i] | dh->filled[i] | sh->head_only[i] | dh->head_only[i];

		while (any) {
			unsigned g = i * 64 + (unsigned)__builtin_ctzll(any);
			uint64_t bit = 1ULL << (g % 64);
			size_t lo = (size_t)g * PL_PAGE_GROUP;

			any &= any - 1;
			if (sh->filled[i] & bit) {
				size_t from = PL_MAX(lo, (size_t)same);

				if (from < lo + PL_PAGE_GROUP)
					memcpy(dst + from, src + from,
					       (lo + PL_PAGE_GROUP - from) * sizeof(*dst));
				continue;
			}
			if (dh->filled[i] & bit)
				memset(dst + lo, 0, gb);
			else if (dh->head_only[i] & bit)
				memset(dst + lo, 0, sizeof(*dst));
			if (sh->head_only[i] & bit)
				dst[lo] = src[lo];
		}
	}
	if (same && zero_pfn < same)
		dst[zero_pfn] = src[zero_pfn];
	*dh = *sh;
}

size_t pl_memmap_chunk_bytes(void)
{
	return (size_t)PL_MEMMAP_CHUNK * sizeof(struct page);
}

/*
 * Memmap up to pfn @upto.  The memmap is where a runaway scenario's memory
 * goes, so its failure is not fatal here: false, with w->oom set, and the
 * allocation fails as an empty free list would (PL_PFN_NONE, -ENOMEM to the
 * modelled caller); the executor sees w->oom and ends the run with -ENOMEM.
 */
static bool memmap_grow(struct world *w, pl_pfn upto)
{
	while ((upto >> PL_MEMMAP_CHUNK_SHIFT) >= w->nr_chunks) {
		struct page *chunk;

		if (w->nr_chunks == w->cap_chunks) {
			uint32_t cap = w->cap_chunks ? 2 * w->cap_chunks : 16;
			struct page **m = realloc(w->memmap, cap * sizeof(*m));

			if (!m)
				goto oom;
			w->memmap = m;
			w->cap_chunks = cap;
		}
		chunk = pl_memmap_chunk_alloc();
		if (!chunk)
			goto oom;
		w->memmap[w->nr_chunks++] = chunk;
	}
	return true;
oom:
	w->oom = 1;
	return false;
}

/* Mark the groups of [pfn, pfn + nr) written (they are cleaned when the world is freed). */
static void memmap_mark(struct world *w, pl_pfn pfn, unsigned nr)
{
	const struct page *chunk = w->memmap[pfn >> PL_MEMMAP_CHUNK_SHIFT];
	unsigned off = pfn & (PL_MEMMAP_CHUNK - 1);

	for (unsigned g = off / PL_PAGE_GROUP; g <= (off + nr - 1) / PL_PAGE_GROUP; g++)
		group_mark(chunk, g);
}

/* Mark the first struct page of pfn's group written (a free block's head, pfn group-aligned). */
static void memmap_mark_head(struct world *w, pl_pfn pfn)
{
	const struct page *chunk = w->memmap[pfn >> PL_MEMMAP_CHUNK_SHIFT];
	unsigned g = (pfn & (PL_MEMMAP_CHUNK - 1)) / PL_PAGE_GROUP;

	chunk_hdr(chunk)->head_only[g / 64] |= 1ULL << (g % 64);
}

/*
 * free_alignment_gap(): the pfns [from, to) the bump frontier skips to align
 * a folio go to the free lists.  Gaps below a PMD-sized folio (all that
 * orders <= 9 ever leave) go page by page to the order-0 list; a 1 GiB folio
 * may skip almost 2^18 pfns, and those go as PMD-order blocks wherever one
 * fits, writing only each block's head, so the skipped memmap stays
 * untouched.  A free block's head carries PG_free and its order.
 *
 * A PMD-order block's head is the first struct page of its group, and only
 * that struct page is recorded as written (head_only): the chunk goes back
 * to the pool clean by zeroing 56 bytes per block, where marking the group
 * made the chunk (up to 511 groups) too dirty to keep, so every world that
 * allocated a 1 GiB folio faulted the skipped memmap in again.
 */
static void free_alignment_gap(struct world *w, pl_pfn from, pl_pfn to)
{
	unsigned blocks = 0;
	struct page *pg = NULL;

	for (pl_pfn p = from; p < to; blocks++) {
		unsigned order = 0;

		if (!(p & (HPAGE_PMD_NR - 1)) && (uint64_t)p + HPAGE_PMD_NR <= to)
			order = HPAGE_PMD_ORDER;
		/* a group of 512 struct pages is contiguous: look it up and mark it once */
		if (!pg || !(p & (PL_PAGE_GROUP - 1))) {
			pg = pfn_to_page(w, p);
			if (order)
				memmap_mark_head(w, p);
			else
				memmap_mark(w, p, 1);
		}
		pg->flags = PG_free;
		pg->head = p;
		pg->order = (uint8_t)order;
		pg->index = w->free_list[order];
		w->free_list[order] = p;
		p += 1u << order;
		pg += 1u << order;
	}
	/*
	 * A long gap (510 blocks below the huge zero page of every new world)
	 * is a run of free blocks the checker's memmap walk may jump over from
	 * its first scan on (check_folio.c), as if a scan had recorded it.
	 */
	if (blocks >= 16 && w->check_nr_runs < PL_ARRAY_SIZE(w->check_runs)) {
		w->check_runs[w->check_nr_runs][0] = from;
		w->check_runs[w->check_nr_runs][1] = to;
		w->check_nr_runs++;
	}
}

/* pl_alloc_pages() - 2^order naturally aligned free pfns, or PL_PFN_NONE. */
pl_pfn pl_alloc_pages(struct world *w, unsigned order)
{
	unsigned nr = 1u << order;
	pl_pfn pfn;

	PL_BUG_ON(order > HPAGE_PUD_ORDER);	/* a folio must fit in one memmap chunk */
	if (w->max_pages && w->nr_alloc_pages + nr > w->max_pages) {
		/*
		 * Not the modelled kernel running out of memory but the tool's
		 * limit: the caller fails as the kernel would (-ENOMEM, or a
		 * fallback to small pages), and the flag tells the executor that
		 * the run no longer models what the scenario asked for.
		 */
		w->max_pages_hit = true;
		return PL_PFN_NONE;
	}
	pfn = w->free_list[order];
	if (pfn != PL_PFN_NONE) {
		w->free_list[order] = pfn_to_page(w, pfn)->index;
	} else {
		uint64_t start = ((uint64_t)w->next_pfn + nr - 1) & ~(uint64_t)(nr - 1);

		if (start + nr >= (1ULL << 32))
			return PL_PFN_NONE;
		if (!memmap_grow(w, (pl_pfn)(start + nr - 1)))
			return PL_PFN_NONE;
		free_alignment_gap(w, w->next_pfn, (pl_pfn)start);
		pfn = (pl_pfn)start;
		w->next_pfn = (pl_pfn)(start + nr);
	}
	/*
	 * A 1 GiB folio's tails past the first group stay unwritten (default
	 * tails, see struct pl_chunk_hdr): free_folio() left them so.
	 */
	{
		struct page *pg = pfn_to_page(w, pfn);
		unsigned n = PL_MIN(nr, PL_PAGE_GROUP);

		memset(pg, 0, n * sizeof(*pg));
		for (unsigned i = 0; i < n; i++) {
			pg[i].head = pfn;
			pg[i].flags = i ? PG_tail : PG_head;
		}
		/* groups a look at the free block wrote (free tails): unwritten again */
		for (unsigned i = n; i < nr; i += PL_PAGE_GROUP) {
			if (!pl_folio_group_filled((struct folio *)pg, i))
				continue;
			memset(pg + i, 0, PL_PAGE_GROUP * sizeof(*pg));
			chunk_hdr(pg)->filled[i / PL_PAGE_GROUP / 64] &=
				~(1ULL << (i / PL_PAGE_GROUP % 64));
		}
		memmap_mark(w, pfn, n);
		pg->order = (uint8_t)order;
		/* for orders below 9 nr < 512: the loop above wrote every page */
		PL_BUG_ON(nr > PL_PAGE_GROUP && order != HPAGE_PUD_ORDER);
	}
	w->nr_alloc_pages += nr;
	w->memmap_gen++;
	if (pfn < w->tmpl_low)
		w->tmpl_low = pfn;
	/*
	 * Each of the checker's runs of free blocks (check_folio.c) that held
	 * this block, a whole block of it, is cut in two around it: what is
	 * left on either side is still free blocks only.  (Runs may overlap.)
	 */
	for (uint32_t r = 0; r < w->check_nr_runs; r++) {
		uint32_t *run = w->check_runs[r], end = run[1];

		if (pfn >= end || (uint64_t)pfn + nr <= run[0])
			continue;
		run[1] = pfn;
		if ((uint64_t)pfn + nr < end && w->check_nr_runs < PL_ARRAY_SIZE(w->check_runs)) {
			w->check_runs[w->check_nr_runs][0] = pfn + nr;
			w->check_runs[w->check_nr_runs][1] = end;
			w->check_nr_runs++;
		}
		if (run[1] <= run[0]) {
			/* empty: the last run takes its place and is looked at next */
			run[0] = w->check_runs[w->check_nr_runs - 1][0];
			run[1] = w->check_runs[w->check_nr_runs - 1][1];
			w->check_nr_runs--;
			r--;
		}
	}
	/* a walk saw a mapping of a free pfn: the pfn's new folio changes what it reads */
	if (w->chk_stale)
		pl_chk_folio_changed(w);
	pl_chk_mark_pfn(w, pfn);	/* a new folio: the memmap walk reads it whole */
	return pfn;
}

/* folio_alloc() - a fresh folio with one reference, zero-filled contents. */
struct folio *folio_alloc(struct world *w, unsigned order)
{
	pl_pfn pfn = pl_alloc_pages(w, order);
	struct folio *f;

	if (pfn == PL_PFN_NONE)
		return NULL;
	f = pfn_folio(w, pfn);
	f->page._refcount = 1;
	f->page.flags |= PG_lru;
	return f;
}

static void free_folio(struct world *w, struct folio *f)
{
	pl_pfn pfn = folio_pfn(f);
	unsigned order = f->page.order, nr = 1u << order;
	bool hugetlb = folio_test_hugetlb(f);

	PL_BUG_ON(folio_test_zero(f));
	PL_BUG_ON(folio_mapcount(f) != 0);
	PL_BUG_ON(folio_test_swapcache(f));
	PL_BUG_ON(f->page.gup_gets || f->page.gup_pins);
	for (unsigned i = 0; i < PL_MIN(nr, PL_PAGE_GROUP); i++) {
		struct page *pg = &f->page + i;

		memset(pg, 0, sizeof(*pg));
		pg->head = pfn;
		pg->flags = PG_free;
	}
	/* a 1 GiB folio: the groups written go back to unwritten, free tails */
	for (unsigned i = PL_PAGE_GROUP; i < nr; i += PL_PAGE_GROUP) {
		if (!pl_folio_group_filled(f, i))
			continue;
		memset(&f->page + i, 0, PL_PAGE_GROUP * sizeof(f->page));
		chunk_hdr(&f->page)->filled[i / PL_PAGE_GROUP / 64] &=
			~(1ULL << (i / PL_PAGE_GROUP % 64));
	}
	f->page.order = (uint8_t)order;
	f->page.index = w->free_list[order];
	w->free_list[order] = pfn;
	w->nr_alloc_pages -= nr;
	w->memmap_gen++;
	pl_chk_folio_changed_at(w, pfn);
	pl_chk_mark_pfn(w, pfn);
	/* free_huge_folio(): back to the pool of its own size */
	if (hugetlb && order == HPAGE_PUD_ORDER)
		w->hugetlb_1g_free++;
	else if (hugetlb)
		w->hugetlb_free++;
}

void folio_ref_add(struct world *w, struct folio *f, int n)
{
	PL_BUG_ON(f->page._refcount == 0 && !folio_test_zero(f));
	pl_atomic_add(w, &f->page._refcount, n);
	pl_chk_mark_folio(w, f);
}

void folio_get(struct world *w, struct folio *f)
{
	folio_ref_add(w, f, 1);
}

void folio_put_refs(struct world *w, struct folio *f, int n)
{
	PL_BUG_ON(f->page._refcount < (uint32_t)n);
	pl_atomic_add(w, &f->page._refcount, -n);
	pl_chk_mark_folio(w, f);
	if (f->page._refcount == 0)
		free_folio(w, f);
}

void folio_put(struct world *w, struct folio *f)
{
	folio_put_refs(w, f, 1);
}

/* folio_ref_try_add(): the lockless "try get" of GUP-fast: fails on a folio being freed. */
bool folio_ref_try_add(struct world *w, struct folio *f, int n)
{
	pl_sync(w, PL_SYNC_TRY_GET, &f->page._refcount);
	if (f->page._refcount == 0 || (f->page.flags & PG_free))
		return false;
	f->page._refcount += n;
	pl_chk_mark_folio(w, f);
	return true;
}

bool folio_try_get(struct world *w, struct folio *f)
{
	return folio_ref_try_add(w, f, 1);
}

void folio_mark_dirty(struct world *w, struct folio *f)
{
	pl_page_flags_set(w, &f->page, PG_dirty);
	pl_page_flags_clear(w, &f->page, PG_gup_written);
}

bool folio_trylock(struct world *w, struct folio *f)
{
	pl_sync(w, PL_SYNC_TRYLOCK, &f->page.flags);
	if (f->page.flags & PG_locked)
		return false;
	f->page.flags |= PG_locked;
	pl_chk_mark_folio(w, f);
	return true;
}

/*
 * folio_lock(): the sleeping lock.  The model is sequential, so in a plain
 * run the folio is never locked here; under the race explorer the hook
 * blocks this thread until the holder's folio_unlock().
 */
void folio_lock(struct world *w, struct folio *f)
{
	pl_sync(w, PL_SYNC_FOLIO_LOCK, &f->page.flags);
	PL_BUG_ON(f->page.flags & PG_locked);
	f->page.flags |= PG_locked;
	pl_chk_mark_folio(w, f);
}

void folio_unlock(struct world *w, struct folio *f)
{
	PL_BUG_ON(!(f->page.flags & PG_locked));
	f->page.flags &= ~PG_locked;
	pl_chk_mark_folio(w, f);
	pl_sync(w, PL_SYNC_UNLOCK, &f->page.flags);
}

/* PG_excl_head (core.h): every page gets the head's PG_anon_exclusive. */
void pl_folio_anon_exclusive_expand(struct folio *f)
{
	struct page *h = &f->page;
	bool set = PageAnonExclusive(h);
	bool changed = false;

	h->flags &= ~PG_excl_head;
	for (unsigned i = 1; i < folio_nr_pages(f); i++) {
		struct page *p = folio_page(f, i);
		uint32_t old = p->flags;

		p->flags = set ? old | PG_anon_exclusive : old & ~PG_anon_exclusive;
		changed |= p->flags != old;
	}
	if (changed)
		h->chk_dirty = 1;
}

/*
 * folio_maybe_dma_pinned(): large folios count pins exactly in _pincount;
 * small folios can only tell "refcount >= 1024", so many FOLL_GETs look like
 * a pin (false positives are allowed, false negatives never).
 */
bool folio_maybe_dma_pinned(const struct folio *f)
{
	if (folio_test_zero(f))
		return false;
	if (folio_has_pincount(f))
		return f->page._pincount > 0;
	return f->page._refcount >= GUP_PIN_COUNTING_BIAS;
}

/*
 * folio_is_longterm_pinnable(): not in a CMA (or isolated) pageblock and not
 * in ZONE_MOVABLE; the zero page always (include/linux/mm.h; device-coherent
 * memory is not modelled).
 */
bool folio_is_longterm_pinnable(const struct folio *f)
{
	return !(f->page.flags & (PG_movable | PG_cma));
}

void folio_copy_contents(struct folio *dst, struct folio *src)
{
	unsigned nr = PL_MIN(folio_nr_pages(dst), folio_nr_pages(src));

	for (unsigned g = 0; g < nr; g += PL_PAGE_GROUP) {
		unsigned end = PL_MIN(nr, g + PL_PAGE_GROUP);

		/* default tails on both sides: zero contents already */
		if (!folio_page_present(dst, g) &&
		    (folio_test_zero(src) || !folio_page_present(src, g)))
			continue;
		for (unsigned i = g; i < end; i++)
			folio_page(dst, i)->token = folio_test_zero(src) ? PL_TOKEN_ZERO
									  : folio_page(src, i)->token;
	}
}

/* ---------------------------------------------------------------------------
 * hugetlb pools, one per size as the kernel's hstates: order-9 (2 MiB) and
 * order-18 (1 GiB) folios, each counted against its own fixed pool.  The
 * pool is a count, not a list: a free huge page costs no model memory.
 */
static int hugetlb_pool(struct world *w, unsigned order, uint32_t **total, uint32_t **free_nr)
{
	if (order == HPAGE_PMD_ORDER) {
		*total = &w->hugetlb_total;
		*free_nr = &w->hugetlb_free;
	} else if (order == HPAGE_PUD_ORDER) {
		*total = &w->hugetlb_1g_total;
		*free_nr = &w->hugetlb_1g_free;
	} else {
		return -EINVAL;
	}
	return 0;
}

int pl_hugetlb_set_pool_order(struct world *w, unsigned order, uint32_t nr)
{
	uint32_t *total, *free_nr, used;

	if (hugetlb_pool(w, order, &total, &free_nr))
		return -EINVAL;
	used = *total - *free_nr;
	if (nr < used)
		return -EBUSY;
	*total = nr;
	*free_nr = nr - used;
	return 0;
}

int pl_hugetlb_set_pool(struct world *w, uint32_t nr)
{
	return pl_hugetlb_set_pool_order(w, HPAGE_PMD_ORDER, nr);
}

struct folio *pl_hugetlb_alloc(struct world *w, unsigned order)
{
	uint32_t *total, *free_nr;
	struct folio *f;

	if (hugetlb_pool(w, order, &total, &free_nr) || *free_nr == 0)
		return NULL;
	f = folio_alloc(w, order);
	if (!f)
		return NULL;
	(*free_nr)--;
	f->page.flags |= PG_hugetlb;	/* a new folio: marked by pl_alloc_pages() */
	f->page.flags &= ~PG_lru;
	return f;
}

/* ---------------------------------------------------------------------------
 * Ghost GUP ownership: who holds GET/PIN references (checker only).
 */
void pl_gup_ghost_add(struct world *w, struct folio *f, unsigned gup_flags, uint32_t mm_id, int n)
{
	pl_chk_mark_folio(w, f);
	if (gup_flags & FOLL_PIN)
		f->page.gup_pins = (uint16_t)(f->page.gup_pins + n);
	else
		f->page.gup_gets = (uint16_t)(f->page.gup_gets + n);
	if (f->page.gup_pins + f->page.gup_gets == n)
		f->page.gup_holder = (uint16_t)mm_id;
	else if (f->page.gup_holder != mm_id)
		f->page.gup_holder = PL_GUP_HOLDER_MANY;
}

void pl_gup_ghost_sub(struct world *w, struct folio *f, unsigned gup_flags, int n)
{
	pl_chk_mark_folio(w, f);
	if (gup_flags & FOLL_PIN) {
		PL_BUG_ON(f->page.gup_pins < n);
		f->page.gup_pins = (uint16_t)(f->page.gup_pins - n);
	} else {
		PL_BUG_ON(f->page.gup_gets < n);
		f->page.gup_gets = (uint16_t)(f->page.gup_gets - n);
	}
	if (f->page.gup_pins + f->page.gup_gets == 0)
		f->page.gup_holder = 0;
}
