/*
 * tests/unit/check_marks.c - the memmap walk of the incremental checker
 * (check_folio.c) visits the folios a step changed, so every writer of a
 * struct page field, swap slot or disk block that a folio rule reads marks
 * the folio (pl_chk_mark_pfn(), src/core/internal.h).
 *
 * Each sub-test builds a small healthy world scanned incrementally (no
 * --check=full, no debug path), asserts a clean scan, then breaks one rule
 * through one class of writer -- the refcount, the ghost GUP counts, a
 * page's _mapcount, the page flags, a page's contents, a file's disk block,
 * a new folio -- and asserts that the next scan reports it, and that the
 * scan after the repair is clean.  A write by hand that skips the mark is
 * not seen by the incremental walk (the first sub-test shows it), so a
 * writer without its mark would fail here.
 */
#include "testlib.h"

#include "pinlab/core.h"
#include "scan_names.h"
#include "core/internal.h"

static struct world *new_world(const char *preset)
{
	const struct pl_preset *p = pl_preset_find(preset);

	return p ? pl_world_new(&p->policy, preset) : NULL;
}

static pl_token tok(struct world *w, const char *s)
{
	return pl_token_intern(w, s);
}

static struct page *page_at(struct world *w, int pid, pl_addr a)
{
	pte_t *ptep = pl_pte_lookup(pl_task(w, pid)->mm, a);

	return ptep && pte_present(*ptep) ? pfn_to_page(w, pte_pfn(*ptep)) : NULL;
}

/* A world with one process and @pages written anon pages at *a, scanned once. */
static struct world *anon_world(unsigned long pages, pl_addr *a)
{
	struct world *w = new_world("latest");

	if (!w || pl_task_create(w) != 1)
		return NULL;
	*a = pl_mmap(w, 1, 0, pages * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		     PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	for (unsigned long i = 0; i < pages; i++)
		if (pl_user_write(w, 1, *a + i * PAGE_SIZE, tok(w, "data")))
			return NULL;
	return w;
}

/* A raw write is not seen until its folio is marked; the walk then reads it. */
static void test_unmarked_write_is_skipped(void)
{
	pl_addr a;
	struct world *w = anon_world(4, &a);
	struct page *p;

	T_REQUIRE(w);
	T_STREQ(scan(w), "");
	T_STREQ(scan(w), "");
	p = page_at(w, 1, a + PAGE_SIZE);
	T_REQUIRE(p);
	p->_refcount++;			/* past every writer: no mark */
	T_STREQ(scan(w), "");
	pl_chk_mark_page(w, p);
	T_STREQ(scan(w), "refcount-balance");
	/* unsound: visited every scan until mended, marked or not */
	T_STREQ(scan(w), "refcount-balance");
	p->_refcount--;
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_refcount_writers(void)
{
	pl_addr a;
	struct world *w = anon_world(4, &a);
	struct folio *f;

	T_REQUIRE(w);
	T_STREQ(scan(w), "");
	f = (struct folio *)page_at(w, 1, a + 2 * PAGE_SIZE);
	T_REQUIRE(f);
	folio_get(w, f);		/* a reference nobody accounts for */
	T_STREQ(scan(w), "refcount-balance");
	folio_put(w, f);
	T_STREQ(scan(w), "");
	/* a ghost GET recorded without its reference */
	pl_gup_ghost_add(w, f, FOLL_GET, 1, 1);
	T_STREQ(scan(w), "refcount-balance");
	pl_gup_ghost_sub(w, f, FOLL_GET, 1);
	T_STREQ(scan(w), "");
	/* a new folio nobody holds a mapping or reference to: leaked */
	f = folio_alloc(w, 0);
	T_REQUIRE(f);
	T_STREQ(scan(w), "refcount-balance");
	folio_put(w, f);
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

static void test_mapcount_and_flag_writers(void)
{
	pl_addr a;
	struct world *w = anon_world(2, &a);
	struct page *p;

	T_REQUIRE(w);
	T_STREQ(scan(w), "");
	p = page_at(w, 1, a);
	T_REQUIRE(p);
	pl_page_mapcount_add(w, p, 1);
	T_STREQ(scan(w), "mapcount-balance mapcount-le-refcount");
	pl_page_mapcount_add(w, p, -1);
	T_STREQ(scan(w), "");
	/* after fork both mms map the page: it must not be exclusive */
	T_REQUIRE(pl_fork(w, 1) == 2);
	T_STREQ(scan(w), "");
	p = page_at(w, 1, a + PAGE_SIZE);
	T_REQUIRE(p && p == page_at(w, 2, a + PAGE_SIZE));
	pl_page_flags_set(w, p, PG_anon_exclusive);
	T_STREQ(scan(w), "exclusive-single-map");
	pl_page_flags_clear(w, p, PG_anon_exclusive);
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

/*
 * A clean ext4 page-cache folio written through GUP after its references
 * went: its contents (pl_page_write()) or its disk block (file_disk_set())
 * changing breaks gup-write-undirtied.
 */
static void test_contents_and_disk_writers(void)
{
	struct world *w = new_world("latest");
	struct pl_file *f;
	struct page *p;
	pl_token t;
	int file;

	T_REQUIRE(w);
	file = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "disk"));
	T_REQUIRE(file >= 0);
	/* cached by a write, then clean again by writeback */
	T_EQ(pl_file_write(w, file, 0, tok(w, "disk")), 0);
	T_EQ(pl_writeback(w, file, 0), 0);
	T_EQ(pl_file_read(w, file, 0, &t), 0);
	f = w->files[file - 1];
	T_REQUIRE(f && pl_file_cache(f, 0) != PL_PFN_NONE);
	p = pfn_to_page(w, pl_file_cache(f, 0));
	T_STREQ(scan(w), "");
	/* a GUP write of what disk already holds: the folio equals its block */
	pl_page_write(w, p, tok(w, "disk"), true);
	T_STREQ(scan(w), "");
	pl_file_disk_set(w, f, 0, tok(w, "other"));
	T_STREQ(scan(w), "gup-write-undirtied");
	pl_file_disk_set(w, f, 0, tok(w, "disk"));
	T_STREQ(scan(w), "");
	pl_page_write(w, p, tok(w, "dma"), true);
	T_STREQ(scan(w), "gup-write-undirtied");
	folio_mark_dirty(w, (struct folio *)p);
	T_STREQ(scan(w), "");
	pl_world_free(w);
}

int main(void)
{
	T_RUN(test_unmarked_write_is_skipped);
	T_RUN(test_refcount_writers);
	T_RUN(test_mapcount_and_flag_writers);
	T_RUN(test_contents_and_disk_writers);
	return T_DONE();
}
