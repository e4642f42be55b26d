/*
 * Description: the GUP users and the reclaim side -- vmsplice and pipe
 * reads, io_uring fixed buffers, swap-out and swap-in, ext4 writeback and
 * page_mkwrite, eviction (and the lost write when a GET-era user forgets to
 * dirty), KSM merging across processes, and uprobes in both styles (the
 * old __replace_page disconnecting a pin, seed 000, and the 2025 in-place
 * write keeping it).  Every sub-test asserts contents and counts.
 */
#include "testlib.h"

#include <errno.h>

#include "pinlab/core.h"

static struct world *new_world(const char *preset)
{
	const struct pl_preset *p = pl_preset_find(preset);

	return p ? pl_world_new(&p->policy, preset) : NULL;
}

static pte_t pte_at(struct world *w, int pid, pl_addr a)
{
	pte_t *ptep = pl_pte_lookup(pl_task(w, pid)->mm, a);

	return ptep ? *ptep : 0;
}

static struct folio *folio_at(struct world *w, int pid, pl_addr a)
{
	pte_t pte = pte_at(w, pid, a);

	if (!pte_present(pte))
		return NULL;
	return pfn_folio(w, pte_pfn(pte));
}

static const char *rd(struct world *w, int pid, pl_addr a)
{
	pl_token t = 0;

	if (pl_user_read(w, pid, a, &t))
		return "<fault>";
	return pl_token_text(w, t);
}

static int wr(struct world *w, int pid, pl_addr a, const char *text)
{
	return pl_user_write(w, pid, a, pl_token_intern(w, text));
}

static const char *file_rd(struct world *w, int file, uint32_t index)
{
	pl_token t = 0;

	if (pl_file_read(w, file, index, &t))
		return "<error>";
	return pl_token_text(w, t);
}

/* The file behind a handle (pl_file_get() is internal to the core). */
static struct pl_file *file_of(struct world *w, int id)
{
	return id >= 1 && id <= w->nr_files ? w->files[id - 1] : NULL;
}

static pl_addr anon(struct world *w, int pid, unsigned long pages)
{
	return pl_mmap(w, pid, 0, pages * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		       PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
}

static int nr_violations(struct world *w, const char *name)
{
	int n = 0;

	for (int i = 0; i < w->nr_violations; i++)
		n += strcmp(w->violations[i].inv->name, name) == 0;
	return n;
}

/* vmsplice takes R/O GETs; read(2) sees the page as it is now and drops the ref. */
static void test_vmsplice_pipe_read(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), pipe;
	pl_addr a = anon(w, p, 2);
	pl_token t;

	T_REQUIRE(!pl_err(a));
	T_EQ(wr(w, p, a, "A"), 0);
	T_EQ(wr(w, p, a + PAGE_SIZE, "B"), 0);
	pipe = pl_pipe_create(w);
	T_GT(pipe, 0);
	T_EQ(pl_vmsplice(w, p, pipe, a, 2), 2);
	T_EQ(folio_at(w, p, a)->page._refcount, 2);
	T_EQ(folio_at(w, p, a + PAGE_SIZE)->page._refcount, 2);
	/* an exclusive page is reused in place: the pipe buffer follows the write */
	T_EQ(wr(w, p, a, "A2"), 0);
	T_EQ(pl_pipe_read(w, pipe, &t), 0);
	T_STREQ(pl_token_text(w, t), "A2");
	T_EQ(folio_at(w, p, a)->page._refcount, 1);
	T_EQ(pl_check_world(w), 0);
	T_EQ(pl_pipe_read(w, pipe, &t), 0);
	T_STREQ(pl_token_text(w, t), "B");
	T_EQ(folio_at(w, p, a + PAGE_SIZE)->page._refcount, 1);
	T_EQ(pl_pipe_read(w, pipe, &t), -EAGAIN);
	T_EQ(pl_pipe_close(w, pipe), 0);
	T_EQ(pl_pipe_read(w, pipe, &t), -EBADF);
	T_EQ(pl_vmsplice(w, p, 99, a, 1), -EBADF);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* A full pipe takes no more; closing it drops what it still holds. */
static void test_pipe_full_and_close(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), pipe = pl_pipe_create(w);
	pl_addr a = anon(w, p, 20);

	for (int i = 0; i < 20; i++)
		T_EQ(wr(w, p, a + (pl_addr)i * PAGE_SIZE, "x"), 0);
	T_EQ(pl_vmsplice(w, p, pipe, a, 20), 16);
	T_EQ(pl_vmsplice(w, p, pipe, a, 1), -EAGAIN);
	T_EQ(folio_at(w, p, a)->page._refcount, 2);
	T_EQ(pl_pipe_close(w, pipe), 0);
	T_EQ(folio_at(w, p, a)->page._refcount, 1);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* io_uring: long-term writable pins; WRITE_FIXED reaches the file; unregister dirties. */
static void test_io_uring_fixed_buffers(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), buf;
	int file = pl_file_create(w, PL_FS_EXT4, 2, pl_token_intern(w, "disk"));
	pl_addr a = anon(w, p, 2);
	struct folio *f;

	T_GT(file, 0);
	T_EQ(wr(w, p, a, "X"), 0);
	T_EQ(wr(w, p, a + PAGE_SIZE, "Y"), 0);
	buf = io_uring_register_buffers(w, p, a, 2);
	T_REQUIRE(buf > 0);
	f = folio_at(w, p, a);
	T_EQ(f->page._refcount, 1 + GUP_PIN_COUNTING_BIAS);
	T_ASSERT(folio_maybe_dma_pinned(f));
	T_ASSERT(pl_pinset_get(w, buf)->coherent);
	T_EQ(io_uring_write_fixed(w, buf, file, 0), 0);
	T_STREQ(file_rd(w, file, 0), "X");
	T_STREQ(file_rd(w, file, 1), "Y");
	T_STREQ(pl_token_text(w, pl_file_disk(w, file, 0)), "disk");
	T_EQ(pl_writeback_file(w, file), 0);
	T_STREQ(pl_token_text(w, pl_file_disk(w, file, 0)), "X");
	/* READ_FIXED: the device writes memory; the process sees it */
	T_EQ(pl_file_write(w, file, 1, pl_token_intern(w, "Z")), 0);
	T_EQ(io_uring_read_fixed(w, buf, file, 0), 0);
	T_STREQ(rd(w, p, a + PAGE_SIZE), "Z");
	T_EQ(io_uring_write_fixed(w, buf, file, 1), -EINVAL);	/* past EOF */
	T_EQ(pl_check_world(w), 0);
	T_EQ(io_uring_unregister_buffers(w, buf), 0);
	T_EQ(f->page._refcount, 1);
	/* io_buffer_unmap() dirties nothing (Debian 6.1 and 6.12) */
	T_ASSERT(!folio_test_dirty(f));
	T_EQ(io_uring_unregister_buffers(w, buf), -EBADF);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* Reclaim to swap and fault back in: same contents, counts balanced. */
static void test_reclaim_swap_roundtrip(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	pl_addr a = anon(w, p, 1);
	uint32_t slot;
	pte_t pte;

	T_EQ(wr(w, p, a, "S"), 0);
	T_EQ(pl_reclaim(w, p, a), -ENOMEM);	/* no swap device */
	T_EQ(pl_swapon(w, 8), 0);
	T_EQ(pl_reclaim(w, p, a), 0);
	pte = pte_at(w, p, a);
	T_REQUIRE(is_swap_pte(pte));
	T_ASSERT(pte_swp_exclusive(pte));
	slot = pte_swp_offset(pte);
	T_GE(slot, 1);
	T_STREQ(pl_token_text(w, w->swap[slot].token), "S");
	T_EQ(w->swap[slot].count, 1);
	T_ASSERT(!w->swap[slot].has_cache);	/* clean and unreferenced: freed */
	T_EQ(w->nr_alloc_pages, 0);
	T_EQ(pl_check_world(w), 0);
	T_STREQ(rd(w, p, a), "S");
	T_ASSERT(pte_present(pte_at(w, p, a)));
	T_EQ(pl_check_world(w), 0);
	/* the fault path must have dropped the PTL, or the next lock would abort */
	T_REQUIRE(pl_ptetab_lookup(pl_task(w, p)->mm, a)->ptl.owner == 0);
	/* swapped in by a read: mapped writable (exclusive), still in the swap cache */
	T_ASSERT(pte_write(pte_at(w, p, a)));
	T_ASSERT(folio_test_swapcache(folio_at(w, p, a)));
	T_EQ(folio_at(w, p, a)->page._refcount, 2);
	T_EQ(wr(w, p, a, "S2"), 0);
	T_STREQ(rd(w, p, a), "S2");
	/* the second swap-out reuses the slot and writes the new contents */
	T_EQ(pl_reclaim(w, p, a), 0);
	T_STREQ(pl_token_text(w, w->swap[slot].token), "S2");
	T_EQ(w->nr_alloc_pages, 0);
	T_STREQ(rd(w, p, a), "S2");
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* feb889fb40fa: a pinned page stays out of swap. */
static void test_reclaim_skips_pinned(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), h;
	pl_addr a = anon(w, p, 1);

	T_EQ(pl_swapon(w, 8), 0);
	T_EQ(wr(w, p, a, "P"), 0);
	h = pl_gup_test_pin(w, p, a, 1, true, false);
	T_REQUIRE(h > 0);
	T_EQ(pl_reclaim(w, p, a), -EBUSY);
	T_ASSERT(pte_present(pte_at(w, p, a)));
	T_ASSERT(!folio_test_swapcache(folio_at(w, p, a)));
	T_EQ(pl_gup_test_unpin(w, h), 0);
	T_EQ(pl_reclaim(w, p, a), 0);
	T_STREQ(rd(w, p, a), "P");
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* ext4 MAP_SHARED: writeback cleans and write-protects, the next store goes through mkwrite. */
static void test_writeback_shared_ext4(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w);
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "init"));
	pl_addr a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED,
			    file, 0);
	struct folio *f;

	T_REQUIRE(!pl_err(a));
	T_EQ(wr(w, p, a, "new"), 0);
	f = folio_at(w, p, a);
	T_REQUIRE(f != NULL);
	T_ASSERT(folio_test_dirty(f));
	T_ASSERT(pte_write(pte_at(w, p, a)));
	T_STREQ(pl_token_text(w, pl_file_disk(w, file, 0)), "init");
	T_EQ(pl_writeback(w, file, 0), 0);
	T_STREQ(pl_token_text(w, pl_file_disk(w, file, 0)), "new");
	T_ASSERT(!folio_test_dirty(f));
	T_ASSERT(!pte_write(pte_at(w, p, a)));
	T_ASSERT(!pte_dirty(pte_at(w, p, a)));
	T_EQ(pl_writeback(w, file, 0), 0);	/* clean: nothing to do */
	T_EQ(wr(w, p, a, "newer"), 0);
	T_ASSERT(folio_test_dirty(f));
	T_ASSERT(pte_write(pte_at(w, p, a)));
	T_STREQ(file_rd(w, file, 0), "newer");
	T_EQ(pl_writeback(w, file, 0), 0);
	T_STREQ(pl_token_text(w, pl_file_disk(w, file, 0)), "newer");
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* Evict: only a clean, unmapped, unreferenced page goes; reading it later hits the disk. */
static void test_evict_clean_page(void)
{
	struct world *w = new_world("latest");
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "init"));
	int shm = pl_file_create(w, PL_FS_TMPFS, 1, pl_token_intern(w, "shm"));
	int p = pl_task_create(w);
	pl_addr a;

	T_EQ(pl_evict(w, file, 0), -ENOENT);
	T_EQ(pl_file_write(w, file, 0, pl_token_intern(w, "w")), 0);
	T_EQ(pl_evict(w, file, 0), -EBUSY);		/* dirty */
	T_EQ(pl_writeback(w, file, 0), 0);
	a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_SHARED, file, 0);
	T_STREQ(rd(w, p, a), "w");
	T_EQ(pl_evict(w, file, 0), -EBUSY);		/* mapped */
	T_EQ(pl_munmap(w, p, a, PAGE_SIZE), 0);
	T_EQ(pl_evict(w, file, 0), 0);
	T_EQ(file_of(w, file)->cache[0], PL_PFN_NONE);
	T_EQ(w->nr_alloc_pages, 0);
	T_STREQ(file_rd(w, file, 0), "w");
	T_EQ(nr_violations(w, "lost-write"), 0);
	/* tmpfs has no disk to fall back on */
	T_EQ(pl_file_write(w, shm, 0, pl_token_intern(w, "s2")), 0);
	T_EQ(pl_writeback(w, shm, 0), 0);
	T_EQ(pl_evict(w, shm, 0), -EBUSY);
	T_STREQ(file_rd(w, shm, 0), "s2");
	T_EQ(file_of(w, 99), NULL);
	T_EQ(pl_evict(w, 99, 0), -EBADF);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/*
 * Seed 003 in the GET era: a DMA write through an RDMA registration of a
 * MAP_SHARED ext4 page after writeback cleaned it.  4.8's ib_umem_release()
 * already called set_page_dirty_lock() before put_page(), so the page is
 * dirty after deregistration and eviction waits for writeback: no lost write.
 */
static void test_rdma_release_dirties_get_era(void)
{
	struct world *w = new_world("v4.8");
	int p = pl_task_create(w), mr;
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "init"));
	pl_addr a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED,
			    file, 0);

	T_REQUIRE(w && !pl_err(a));
	T_EQ(wr(w, p, a, "a"), 0);
	mr = pl_rdma_reg_mr(w, p, a, 1, true);
	T_REQUIRE(mr > 0);
	T_EQ(pl_writeback(w, file, 0), 0);		/* clean, write-protected, pin still held */
	T_EQ(pl_rdma_dma_write(w, mr, 0, pl_token_intern(w, "dma")), 0);
	T_EQ(pl_rdma_dereg_mr(w, mr), 0);		/* set_page_dirty_lock + put_page */
	T_ASSERT(folio_test_dirty(folio_at(w, p, a)));
	T_EQ(pl_munmap(w, p, a, PAGE_SIZE), 0);
	T_EQ(pl_evict(w, file, 0), -EBUSY);
	T_EQ(pl_writeback(w, file, 0), 0);
	T_EQ(pl_evict(w, file, 0), 0);
	T_EQ(nr_violations(w, "lost-write"), 0);
	T_STREQ(file_rd(w, file, 0), "dma");
	pl_world_free(w);
}

/* The same in the FOLL_PIN era: unpin_user_pages_dirty_lock keeps the write. */
static void test_no_lost_write_with_pin(void)
{
	struct world *w = new_world("v5.11");
	int p = pl_task_create(w), mr;
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "init"));
	pl_addr a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_SHARED,
			    file, 0);

	T_REQUIRE(w && !pl_err(a));
	T_EQ(wr(w, p, a, "a"), 0);
	mr = pl_rdma_reg_mr(w, p, a, 1, true);
	T_REQUIRE(mr > 0);
	T_EQ(pl_writeback(w, file, 0), 0);
	T_EQ(pl_rdma_dma_write(w, mr, 0, pl_token_intern(w, "dma")), 0);
	T_EQ(pl_rdma_dereg_mr(w, mr), 0);
	T_ASSERT(folio_test_dirty(folio_at(w, p, a)));
	T_EQ(pl_munmap(w, p, a, PAGE_SIZE), 0);
	T_EQ(pl_evict(w, file, 0), -EBUSY);
	T_EQ(pl_writeback(w, file, 0), 0);
	T_EQ(pl_evict(w, file, 0), 0);
	T_EQ(nr_violations(w, "lost-write"), 0);
	T_STREQ(file_rd(w, file, 0), "dma");
	pl_world_free(w);
}

/* Two processes, identical pages: one KSM page, both read it, a write COWs. */
static void test_ksm_merge_two_processes(void)
{
	struct world *w = new_world("latest");
	int p = pl_task_create(w), q = pl_task_create(w), r = pl_task_create(w), h;
	pl_addr a = anon(w, p, 1), b = anon(w, q, 1), c = anon(w, r, 1);
	struct folio *k;

	T_EQ(pl_madvise(w, p, a, PAGE_SIZE, PL_MADV_MERGEABLE), 0);
	T_EQ(pl_madvise(w, q, b, PAGE_SIZE, PL_MADV_MERGEABLE), 0);
	T_EQ(pl_madvise(w, r, c, PAGE_SIZE, PL_MADV_MERGEABLE), 0);
	T_EQ(wr(w, p, a, "same"), 0);
	T_EQ(wr(w, q, b, "same"), 0);
	T_EQ(wr(w, r, c, "same"), 0);
	/* r's page is pinned: merging it would detach the pin */
	h = pl_gup_test_pin(w, r, c, 1, true, false);
	T_REQUIRE(h > 0);
	T_EQ(w->nr_alloc_pages, 3);
	T_EQ(pl_ksm_merge(w), 1);
	T_EQ(w->nr_alloc_pages, 2);
	k = folio_at(w, p, a);
	T_REQUIRE(k != NULL);
	T_EQ(folio_pfn(k), folio_pfn(folio_at(w, q, b)));
	T_ASSERT(folio_test_ksm(k));
	T_ASSERT(!PageAnonExclusive(&k->page));
	T_EQ(k->page._refcount, 2);
	T_EQ(folio_mapcount(k), 2);
	T_ASSERT(!pte_write(pte_at(w, p, a)));
	T_NE(folio_pfn(folio_at(w, r, c)), folio_pfn(k));
	T_ASSERT(PageAnonExclusive(&folio_at(w, r, c)->page));
	T_STREQ(rd(w, p, a), "same");
	T_STREQ(rd(w, q, b), "same");
	T_EQ(pl_check_world(w), 0);
	/* a second pass finds nothing new; a write copies */
	T_EQ(pl_ksm_merge(w), 0);
	T_EQ(wr(w, q, b, "other"), 0);
	T_STREQ(rd(w, p, a), "same");
	T_STREQ(rd(w, q, b), "other");
	T_EQ(k->page._refcount, 1);
	T_EQ(pl_gup_test_unpin(w, h), 0);
	/* now unpinned, r's page joins the existing KSM page */
	T_EQ(pl_ksm_merge(w), 1);
	T_EQ(folio_pfn(folio_at(w, r, c)), folio_pfn(k));
	T_STREQ(rd(w, r, c), "same");
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/*
 * uprobes: a breakpoint in two processes' private text mappings; the file
 * never changes.  Unregistering maps the page cache again.
 */
static void uprobe_roundtrip(const char *preset)
{
	struct world *w = new_world(preset);
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "text"));
	int p = pl_task_create(w), q = pl_task_create(w);
	pl_pfn cache;
	pl_addr a, b;

	T_REQUIRE(w != NULL);
	a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_EXEC, PL_MAP_PRIVATE, file, 0);
	b = pl_mmap(w, q, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_EXEC, PL_MAP_PRIVATE, file, 0);
	T_REQUIRE(!pl_err(a) && !pl_err(b));
	T_STREQ(rd(w, p, a), "text");
	cache = file_of(w, file)->cache[0];
	T_EQ(pl_uprobe_register(w, file, 0, pl_token_intern(w, "int3")), 2);
	T_STREQ(rd(w, p, a), "int3");
	T_STREQ(rd(w, q, b), "int3");
	T_ASSERT(folio_test_anon(folio_at(w, p, a)));
	T_ASSERT(!pte_write(pte_at(w, p, a)));
	T_STREQ(file_rd(w, file, 0), "text");
	T_STREQ(pl_token_text(w, pl_file_disk(w, file, 0)), "text");
	T_EQ(pl_check_world(w), 0);
	T_EQ(pl_uprobe_unregister(w, file, 0), 2);
	T_STREQ(rd(w, p, a), "text");
	T_STREQ(rd(w, q, b), "text");
	T_EQ(pte_pfn(pte_at(w, p, a)), cache);
	T_EQ(pte_pfn(pte_at(w, q, b)), cache);
	T_EQ(pl_uprobe_register(w, 99, 0, 0), -EBADF);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

static void test_uprobe_replace_page(void)
{
	uprobe_roundtrip("v6.5");
}

static void test_uprobe_write_in_place(void)
{
	uprobe_roundtrip("latest");
}

/*
 * Seed 000: a pinned anon page in a private file mapping.  __replace_page
 * swaps it out from under the pin; the in-place write keeps the pin and the
 * process looking at the same page.
 */
static void uprobe_pinned(const char *preset, bool coherent)
{
	struct world *w = new_world(preset);
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "text"));
	int p = pl_task_create(w), h;
	pl_addr a;
	pl_token t;

	T_REQUIRE(w != NULL);
	a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE, PL_MAP_PRIVATE, file, 0);
	T_REQUIRE(!pl_err(a));
	T_EQ(wr(w, p, a, "mine"), 0);
	h = pl_gup_test_pin(w, p, a, 1, true, false);
	T_REQUIRE(h > 0);
	T_EQ(pl_uprobe_register(w, file, 0, pl_token_intern(w, "int3")), 1);
	T_STREQ(rd(w, p, a), "int3");
	T_EQ(pl_gup_test_read(w, h, 0, &t), 0);
	if (coherent) {
		T_STREQ(pl_token_text(w, t), "int3");
		T_EQ(pl_check_world(w), 0);
	} else {
		T_STREQ(pl_token_text(w, t), "mine");	/* the pin maps nothing any more */
		T_GT(pl_check_world(w), 0);
		T_GT(nr_violations(w, "pin-coherence"), 0);
	}
	T_EQ(pl_gup_test_unpin(w, h), 0);
	pl_world_free(w);
}

static void test_uprobe_replace_disconnects_pin(void)
{
	uprobe_pinned("v6.5", false);
}

static void test_uprobe_in_place_keeps_pin(void)
{
	uprobe_pinned("latest", true);
}

/* /proc/pid/mem writes a R/O private file mapping through a private copy, never the file. */
static void test_proc_mem_and_process_vm(void)
{
	struct world *w = new_world("latest");
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "text"));
	int p = pl_task_create(w), dbg = pl_task_create(w);
	pl_addr a = pl_mmap(w, p, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, file, 0);
	pl_addr d = anon(w, p, 1);
	pl_token t;

	T_REQUIRE(!pl_err(a) && !pl_err(d));
	T_EQ(pl_proc_mem_write(w, dbg, p, a, pl_token_intern(w, "poke")), 0);
	T_STREQ(rd(w, p, a), "poke");
	T_STREQ(file_rd(w, file, 0), "text");
	T_EQ(pl_proc_mem_read(w, dbg, p, a, &t), 0);
	T_STREQ(pl_token_text(w, t), "poke");
	/* no FOLL_FORCE: a read-only mapping refuses */
	T_EQ(pl_process_vm_writev(w, dbg, p, a, pl_token_intern(w, "x")), -EFAULT);
	T_EQ(pl_process_vm_writev(w, dbg, p, d, pl_token_intern(w, "vm")), 0);
	T_STREQ(rd(w, p, d), "vm");
	T_EQ(pl_process_vm_readv(w, dbg, p, d, &t), 0);
	T_STREQ(pl_token_text(w, t), "vm");
	T_EQ(folio_at(w, p, d)->page._refcount, 1);
	T_EQ(pl_proc_mem_write(w, dbg, 42, a, 0), -ESRCH);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

/* O_DIRECT read(2): the device writes memory after submit; the pages end up dirty. */
static void test_dio_read(void)
{
	struct world *w = new_world("latest");
	int file = pl_file_create(w, PL_FS_EXT4, 1, pl_token_intern(w, "blk"));
	int p = pl_task_create(w), req;
	pl_addr a = anon(w, p, 1);

	T_EQ(wr(w, p, a, "old"), 0);
	req = pl_dio_submit(w, p, file, 0, a, 1, false);
	T_REQUIRE(req > 0);
	T_ASSERT(folio_maybe_dma_pinned(folio_at(w, p, a)));
	T_EQ(pl_dio_complete(w, req), 0);
	T_EQ(pl_dio_complete(w, req), -EBADF);
	T_STREQ(rd(w, p, a), "blk");
	T_EQ(folio_at(w, p, a)->page._refcount, 1);
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

int main(void)
{
	T_RUN(test_vmsplice_pipe_read);
	T_RUN(test_pipe_full_and_close);
	T_RUN(test_io_uring_fixed_buffers);
	T_RUN(test_reclaim_swap_roundtrip);
	T_RUN(test_reclaim_skips_pinned);
	T_RUN(test_writeback_shared_ext4);
	T_RUN(test_evict_clean_page);
	T_RUN(test_rdma_release_dirties_get_era);
	T_RUN(test_no_lost_write_with_pin);
	T_RUN(test_ksm_merge_two_processes);
	T_RUN(test_uprobe_replace_page);
	T_RUN(test_uprobe_write_in_place);
	T_RUN(test_uprobe_replace_disconnects_pin);
	T_RUN(test_uprobe_in_place_keeps_pin);
	T_RUN(test_proc_mem_and_process_vm);
	T_RUN(test_dio_read);
	return T_DONE();
}
