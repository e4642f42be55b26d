/*
 * Files, the page cache and writeback: the model of mm/filemap.c,
 * mm/page-writeback.c and the bits of ext4/shmem/hugetlbfs that matter to
 * GUP.
 *
 * A file is i_size in pages, a page cache (index -> folio head pfn) and, for
 * ext4, the blocks on disk.  tmpfs and hugetlbfs have no disk: their data
 * lives only in page-cache folios.  The model still keeps disk[] for them,
 * holding the file's initial contents, so a cache folio can be created
 * lazily (on the first fault, read or write) with the right token.
 *
 *   ext4 page life cycle (one cached folio, order 0):
 *
 *     absent --filemap_get_folio(create)--> CLEAN, R/O in every shared PTE
 *        ^                                    |  write fault: page_mkwrite(),
 *        |  pl_evict()                        |  write(2), GUP unpin dirty_lock
 *        |  (unmapped, unreferenced,          v
 *        |   clean)                         DIRTY, PTEs may be writable
 *        |                                    |  pl_writeback(): folio_mkclean()
 *        +---- CLEAN <------------------------+  (write-protect, clean PTEs),
 *                                                PG_writeback, disk[] = tokens
 *
 * The hole in this cycle is the whole point of seed 003 and 8ac268436e6d:
 * a device writing through a GUP reference does not go through a PTE, so
 * after writeback cleaned the folio nothing tells the filesystem the page
 * changed.  If the reference is then dropped without set_page_dirty_lock()
 * (or unpin_user_pages_dirty_lock()), the folio looks clean, reclaim drops
 * it, and the write is lost.  pl_evict() reports that as "lost-write".
 *
 * Counting: the page cache holds folio_nr_pages() references on a cached
 * folio (one per page, one for a small folio), except hugetlb, whose cache
 * holds one reference on the head as __filemap_add_folio() does.  The
 * folio's ->mapping is file id + 1 and ->index the first page index it
 * covers.  filemap_get_folio() hands back the folio *without* a reference
 * for the caller: a model step runs to completion, and the cache reference
 * keeps the folio alive until the caller has taken its own (a mapping).
 */
#include "internal.h"

#include <sys/mman.h>

/*
 * hugetlbfs page cache entries are whole huge pages: 512 indexes share one
 * 2 MiB folio, or 262144 one 1 GiB folio (f->huge_order).
 */
static inline bool file_is_huge(const struct pl_file *f)
{
	return f->fs == PL_FS_HUGETLBFS;
}

static uint32_t file_round_size(const struct pl_file *f, uint32_t nr_pages)
{
	uint64_t nr = 1ULL << f->huge_order;

	if (file_is_huge(f))
		return (uint32_t)(((uint64_t)nr_pages + nr - 1) & ~(nr - 1));
	return nr_pages;
}

unsigned pl_filemap_cache_refs(const struct folio *f)
{
	return folio_test_hugetlb(f) ? 1 : folio_nr_pages(f);
}

/**
 * pl_file_get() - the file with handle @id.
 * Return: the file, or NULL if @id names none (ids are 1-based).
 */
struct pl_file *pl_file_get(const struct world *w, int id)
{
	if (id < 1 || id > w->nr_files)
		return NULL;
	return w->files[id - 1];
}

/*
 * A file's arrays (cache slots, disk tokens): an array of 64 KiB or more
 * comes from mmap(), whose pages the kernel hands out zeroed on first
 * touch, so a 1 GiB file's 1 MiB cache costs the pages a scenario fills;
 * calloc() of a block malloc() had used before cleared all of it, every
 * run.  Both helpers need PL_PFN_NONE and PL_TOKEN_ZERO to be zero bytes.
 */
#define FILE_ARRAY_MMAP_BYTES (64u << 10)
_Static_assert(PL_PFN_NONE == 0 && PL_TOKEN_ZERO == 0, "a zeroed array is empty");

/* A zeroed array of @nr entries of @size bytes, or NULL; *@mapped: it came from mmap(). */
static void *file_array_alloc(uint32_t nr, size_t size, bool *mapped)
{
	size_t bytes = (size_t)nr * size;
	void *p;

	*mapped = bytes >= FILE_ARRAY_MMAP_BYTES;
	if (!*mapped)
		return calloc(nr ? nr : 1, size);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void file_array_free(void *p, uint32_t nr, size_t size, bool mapped)
{
	if (p && mapped)
		munmap(p, (size_t)nr * size);
	else
		free(p);
}

/* pl_file_free() - a file and its arrays (the world goes). */
void pl_file_free(struct pl_file *f)
{
	file_array_free(f->cache, pl_file_cache_slots(f), sizeof(*f->cache), f->cache_mapped);
	file_array_free(f->disk, f->cap, sizeof(*f->disk), f->disk_mapped);
	free(f->prefilled);
	free(f);
}

/*
 * A copy of a file array for a copy of its world (world_copy.c): an array
 * from mmap() is copied a page at a time, skipping the pages that are all
 * zero, so that a big file's mostly empty cache costs what it holds.
 */
static void *file_array_copy(struct world *w, const void *src, uint32_t nr, size_t size,
			     bool src_mapped, bool *mapped)
{
	size_t bytes = (size_t)nr * size;
	char *p = file_array_alloc(nr, size, mapped);

	if (!p)
		pl_oom(w);
	if (!src_mapped || !*mapped) {
		memcpy(p, src, bytes);
		return p;
	}
	for (size_t off = 0; off < bytes; off += 4096) {
		size_t n = PL_MIN((size_t)4096, bytes - off);
		const uint64_t *q = (const uint64_t *)((const char *)src + off);
		size_t k = 0;

		while (k < n / 8 && !q[k])
			k++;
		if (k < n / 8 || n % 8)
			memcpy(p + off, (const char *)src + off, n);
	}
	return p;
}

/* pl_file_copy() - make @f, already in @w's file table, a copy of @src. */
void pl_file_copy(struct world *w, struct pl_file *f, const struct pl_file *src)
{
	*f = *src;
	f->cache = NULL;
	f->disk = NULL;
	f->prefilled = NULL;
	f->cache_mapped = f->disk_mapped = false;
	if (src->cache)
		f->cache = file_array_copy(w, src->cache, pl_file_cache_slots(src),
					   sizeof(*f->cache), src->cache_mapped, &f->cache_mapped);
	if (src->disk)
		f->disk = file_array_copy(w, src->disk, src->cap, sizeof(*f->disk),
					  src->disk_mapped, &f->disk_mapped);
	if (src->prefilled) {
		size_t words = ((size_t)src->prefilled_nr + 63) / 64;

		f->prefilled = malloc((words ? words : 1) * sizeof(*f->prefilled));
		if (!f->prefilled)
			pl_oom(w);
		memcpy(f->prefilled, src->prefilled, words * sizeof(*f->prefilled));
	}
}

/*
 * Make room for @nr_pages indexes in the cache and on disk.  The cache has
 * one slot per 1 << cache_shift indexes; disk[] stays NULL (all zero) until
 * a page of it holds something else (file_disk_set()), so a file costs the
 * pages a scenario writes, not the size it declares.  Out of memory, the
 * file is left as it was.
 */
static void file_reserve(struct world *w, struct pl_file *f, uint32_t nr_pages)
{
	uint32_t cap = f->cap, old_slots = f->cache ? pl_file_cache_slots(f) : 0, slots;
	pl_token *disk = NULL;
	pl_pfn *cache;
	bool dmapped = false, cmapped;

	if (nr_pages <= cap && f->cache)
		return;
	while (cap < nr_pages)
		cap = cap ? (cap > UINT32_MAX / 2 ? nr_pages : 2 * cap) : nr_pages;
	slots = (uint32_t)(((uint64_t)cap + (1u << f->cache_shift) - 1) >> f->cache_shift);
	cache = file_array_alloc(slots, sizeof(*cache), &cmapped);
	if (!cache)
		pl_oom(w);
	if (f->disk) {
		disk = file_array_alloc(cap, sizeof(*disk), &dmapped);
		if (!disk) {
			file_array_free(cache, slots, sizeof(*cache), cmapped);
			pl_oom(w);
		}
		memcpy(disk, f->disk, (size_t)f->cap * sizeof(*disk));
		file_array_free(f->disk, f->cap, sizeof(*disk), f->disk_mapped);
		f->disk = disk;
		f->disk_mapped = dmapped;
	}
	if (f->cache) {
		memcpy(cache, f->cache, (size_t)old_slots * sizeof(*cache));
		file_array_free(f->cache, old_slots, sizeof(*cache), f->cache_mapped);
	}
	f->cache = cache;
	f->cache_mapped = cmapped;
	f->cap = cap;
}

/* disk[idx] = @tok, allocating disk[] when the first non-zero token lands. */
static void file_disk_set(struct world *w, struct pl_file *f, uint32_t idx, pl_token tok)
{
	/* gup-write-undirtied compares a cached folio with its disk blocks */
	pl_chk_mark_pfn(w, pl_file_cache(f, idx));
	if (!f->disk) {
		if (tok == PL_TOKEN_ZERO)
			return;
		f->disk = file_array_alloc(f->cap, sizeof(*f->disk), &f->disk_mapped);
		if (!f->disk)
			pl_oom(w);
	}
	f->disk[idx] = tok;
}

/* pl_file_disk_set() - file_disk_set() for the other files of the core (pinners.c). */
void pl_file_disk_set(struct world *w, struct pl_file *f, uint32_t idx, pl_token tok)
{
	file_disk_set(w, f, idx, tok);
	/* an O_DIRECT write invalidates the cached copy it went around */
	pl_file_prefilled_clear(f, idx);
}

/*
 * Prefilled pages.  The model makes a file's folios lazily, on first use,
 * but a file filled when it is created (the host backend pwrite()s every
 * page) has every page in the real kernel's page cache at once, and
 * fault-around maps cached pages the scenario never touched.  A set bit is
 * such a page the model has not made yet: filemap_map_pages() makes and
 * maps it, and the bit goes when the folio is made (it is then in cache[])
 * or the page leaves the cache some other way (truncation, O_DIRECT).
 * hugetlbfs has no ->map_pages: its files need none.
 */
static void file_prefill(struct world *w, struct pl_file *f)
{
	uint32_t words = (f->nr_pages + 63) / 64;

	if (!words || f->fs == PL_FS_HUGETLBFS || f->dax)
		return;
	f->prefilled = malloc((size_t)words * sizeof(*f->prefilled));
	if (!f->prefilled)
		pl_oom(w);
	memset(f->prefilled, 0xff, (size_t)words * sizeof(*f->prefilled));
	f->prefilled_nr = f->nr_pages;
}

bool pl_file_prefilled(const struct pl_file *f, uint32_t idx)
{
	return idx < f->prefilled_nr && (f->prefilled[idx / 64] >> (idx % 64) & 1);
}

void pl_file_prefilled_clear(struct pl_file *f, uint32_t idx)
{
	if (idx < f->prefilled_nr)
		f->prefilled[idx / 64] &= ~(1ull << (idx % 64));
}

/* The model refuses files above 2^26 pages (256 GiB): a typo, not a test. */
#define PL_FILE_MAX_PAGES (1u << 26)

/**
 * pl_file_create() - a new file of @nr_pages pages, every page holding @initial.
 * @fs: ext4 (dirty-tracked, has a disk), tmpfs or hugetlbfs (no disk)
 *
 * hugetlbfs sizes are rounded up to whole huge pages: 2 MiB, unless
 * pl_file_set_huge_order() picks 1 GiB.
 * Return: the file id (>= 1) or -errno.
 */
int pl_file_create(struct world *w, enum pl_fs fs, uint32_t nr_pages, pl_token initial)
{
	bool dax = fs == PL_FS_EXT4_DAX;
	struct pl_file *f;

	if (dax)
		fs = PL_FS_EXT4;
	if (fs != PL_FS_EXT4 && fs != PL_FS_TMPFS && fs != PL_FS_HUGETLBFS)
		return -EINVAL;
	if (nr_pages > PL_FILE_MAX_PAGES)
		return -EFBIG;
	f = PL_TABLE_ADD(w, w->files, w->nr_files, w->cap_files, 4);
	f->id = w->nr_files;
	f->fs = fs;
	f->dax = dax;
	if (file_is_huge(f)) {
		f->huge_order = HPAGE_PMD_ORDER;	/* the default hstate: 2 MiB */
		f->cache_shift = f->huge_order;
	}
	f->nr_pages = file_round_size(f, nr_pages);
	file_reserve(w, f, f->nr_pages ? f->nr_pages : 1);
	for (uint32_t i = 0; initial != PL_TOKEN_ZERO && i < f->nr_pages; i++)
		file_disk_set(w, f, i, initial);
	if (initial != PL_TOKEN_ZERO)
		file_prefill(w, f);
	return f->id;
}

/* The cached page for @index, or NULL. */
static struct page *filemap_page(struct world *w, struct pl_file *file, uint32_t index)
{
	struct folio *folio = filemap_get_folio(w, file, index, false);

	return folio ? folio_page(folio, index - folio->page.index) : NULL;
}

/*
 * filemap_add_folio(): a fresh folio for @index, read from disk[] (ext4)
 * or holding the initial contents (tmpfs, hugetlbfs).  The allocation's
 * reference becomes the page cache's.
 */
static struct folio *filemap_add_folio(struct world *w, struct pl_file *file, uint32_t index)
{
	uint32_t base = index, nr = 1;
	struct folio *folio;

	if (file_is_huge(file)) {
		/* hugetlbfs: one folio from the pool of the file's size covers its indexes */
		nr = 1u << file->huge_order;
		base = index & ~(nr - 1);
		if ((uint64_t)base + nr > file->nr_pages)
			return NULL;
		folio = pl_hugetlb_alloc(w, file->huge_order);
	} else {
		folio = folio_alloc(w, 0);
	}
	if (!folio)
		return NULL;	/* pool empty or out of model memory */
	folio->page.flags |= pl_zone_pgflags(w->alloc_zone);	/* the faulting vma's placement */
	PL_BUG_ON(folio_nr_pages(folio) != nr);
	PL_BUG_ON(pl_filemap_cache_refs(folio) != 1);
	/* only indexes below prefilled_nr have a bit (none for hugetlbfs) */
	for (uint32_t i = 0; i < nr && base + i < file->prefilled_nr; i++)
		pl_file_prefilled_clear(file, base + i);
	if (file->cache_lo == file->cache_hi) {
		file->cache_lo = base;
		file->cache_hi = base + nr;
	} else {
		file->cache_lo = PL_MIN(file->cache_lo, base);
		file->cache_hi = PL_MAX(file->cache_hi, base + nr);
	}
	/*
	 * A fresh folio's pages hold zero contents (pl_alloc_pages() cleared
	 * every page it wrote, a 1 GiB folio's default tails are zero), so an
	 * all-zero disk (NULL) has nothing to copy.
	 */
	for (uint32_t i = 0; file->disk && i < nr; i++) {
		/* a default tail (1 GiB folio) already holds zero contents */
		if (file->disk[base + i] != PL_TOKEN_ZERO || folio_page_present(folio, i))
			folio_page(folio, i)->token = file->disk[base + i];
	}
	/* hugetlbfs: nr is one slot's indexes (cache_shift = huge_order) */
	for (uint32_t i = 0; i < nr; i += 1u << file->cache_shift)
		*pl_file_cache_slot(file, base + i) = folio_pfn(folio);
	pl_chk_folio_changed_at(w, folio_pfn(folio));
	folio->page.mapping = (uint32_t)file->id + 1;
	folio->page.index = base;
	return folio;
}

/**
 * filemap_get_folio() - the page-cache folio holding page @index of @file.
 * @create: allocate and insert one if absent (FGP_CREAT)
 *
 * No reference is taken for the caller (see the comment at the top).
 * Return: the folio head, or NULL if absent, beyond i_size, or if the
 * allocation failed (hugetlb pool empty: the fault then gives SIGBUS).
 */
struct folio *filemap_get_folio(struct world *w, struct pl_file *file, uint32_t index, bool create)
{
	pl_pfn pfn;

	if (!file || index >= file->nr_pages)
		return NULL;
	pl_sync(w, PL_SYNC_READ_ONCE, pl_file_cache_slot(file, index));
	pfn = *pl_file_cache_slot(file, index);
	if (pfn != PL_PFN_NONE)
		return pfn_folio(w, pfn);
	if (!create)
		return NULL;
	return filemap_add_folio(w, file, index);
}

/**
 * filemap_remove_folio() - take @folio out of @file's page cache.
 *
 * Drops the cache's references, so the folio is freed unless someone else
 * (a mapping, a GUP reference) still holds it.  Callers unmap it first.  A
 * dirty folio's data is discarded: this is truncation, or eviction of a
 * folio already known clean.
 */
void filemap_remove_folio(struct world *w, struct pl_file *file, struct folio *folio)
{
	pl_pfn pfn = folio_pfn(folio);
	unsigned nr = folio_nr_pages(folio);

	for (uint32_t i = 0; i < nr; i += 1u << file->cache_shift) {
		uint32_t idx = folio->page.index + i;

		if (idx < file->cap && *pl_file_cache_slot(file, idx) == pfn)
			*pl_file_cache_slot(file, idx) = PL_PFN_NONE;
	}
	pl_chk_folio_changed_at(w, pfn);
	folio->page.mapping = 0;
	pl_page_flags_clear(w, &folio->page, PG_dirty);
	folio_put_refs(w, folio, (int)pl_filemap_cache_refs(folio));
}

/* Validate (file, index) as a syscall on an open file would. */
static int file_check(const struct world *w, int file, uint32_t index, struct pl_file **out)
{
	struct pl_file *f = pl_file_get(w, file);

	if (!f)
		return -EBADF;
	if (index >= f->nr_pages)
		return -EINVAL;
	*out = f;
	return 0;
}

/**
 * pl_file_write() - write(2) of one page: the folio takes @tok and is dirty.
 * Return: 0, -EBADF, -EINVAL (beyond i_size), -ENOMEM (no folio).
 */
int pl_file_write(struct world *w, int file, uint32_t index, pl_token tok)
{
	struct pl_file *f;
	struct folio *folio;
	int ret = file_check(w, file, index, &f);

	if (ret)
		return ret;
	if (f->rdonly)
		return -EBADF;	/* vfs_write(): not FMODE_WRITE */
	folio = filemap_get_folio(w, f, index, true);
	if (!folio)
		return -ENOMEM;
	pl_page_write(w, folio_page(folio, index - folio->page.index), tok, false);
	/* generic_perform_write(): the write itself dirties the folio, no mkwrite */
	folio_mark_dirty(w, folio);
	return 0;
}

/** pl_file_set_rdonly() - the scenario's fd of @file is O_RDONLY (`file F ... ro`). */
int pl_file_set_rdonly(struct world *w, int file)
{
	struct pl_file *f = pl_file_get(w, file);

	if (!f)
		return -EBADF;
	f->rdonly = true;
	return 0;
}

/**
 * pl_file_read() - read(2) of one page: the cached copy if any, else the disk.
 * The model does not populate the cache on read: a read leaves no trace.
 */
int pl_file_read(struct world *w, int file, uint32_t index, pl_token *out)
{
	struct pl_file *f;
	struct page *p;
	int ret = file_check(w, file, index, &f);

	if (ret)
		return ret;
	p = filemap_page(w, f, index);
	*out = p ? pl_page_token(w, p) : pl_file_disk_at(f, index);
	return 0;
}

/* Is any vma of any live mm mapping @file? */
static bool file_mapped(const struct world *w, int file)
{
	struct mm_struct *mm;
	int pos = 0;

	while ((mm = pl_next_mm(w, &pos)))
		for (int i = 0; i < mm->nr_vmas; i++)
			if (mm->vmas[i].file == file)
				return true;
	return false;
}

/**
 * pl_file_set_huge_order() - choose a hugetlbfs file's huge page size.
 * @order: HPAGE_PMD_ORDER (2 MiB, the default) or HPAGE_PUD_ORDER (1 GiB)
 *
 * memfd_create(MFD_HUGETLB | MFD_HUGE_1GB) picks the hstate when the file
 * is born; the model creates the file first, so the size may change only
 * while no page is cached and no vma maps the file.  i_size rounds up to
 * whole huge pages; the new tail reads as zeroes (a hole).
 * Return: 0, -EBADF, -EINVAL (not hugetlbfs, or another order), -EBUSY.
 */
int pl_file_set_huge_order(struct world *w, int file, unsigned order)
{
	struct pl_file *f = pl_file_get(w, file);
	uint32_t old, nr_pages;

	if (!f)
		return -EBADF;
	if (!file_is_huge(f) || (order != HPAGE_PMD_ORDER && order != HPAGE_PUD_ORDER))
		return -EINVAL;
	for (uint32_t i = 0; i < pl_file_cache_slots(f); i++)
		if (f->cache[i] != PL_PFN_NONE)
			return -EBUSY;
	if (file_mapped(w, file))
		return -EBUSY;
	f->huge_order = (uint8_t)order;
	/* nothing is cached: the cache starts again with one slot per huge page */
	file_array_free(f->cache, pl_file_cache_slots(f), sizeof(*f->cache), f->cache_mapped);
	f->cache = NULL;
	f->cache_shift = f->huge_order;
	old = f->nr_pages;
	/* PL_FILE_MAX_PAGES is a whole number of 1 GiB pages: no overflow here */
	nr_pages = file_round_size(f, old);
	file_reserve(w, f, nr_pages ? nr_pages : 1);
	for (uint32_t i = old; f->disk && i < nr_pages; i++)
		file_disk_set(w, f, i, PL_TOKEN_ZERO);
	f->nr_pages = nr_pages;
	return 0;
}

/** pl_file_disk() - what is on disk (ext4) or the initial contents (tmpfs); 0 if invalid. */
pl_token pl_file_disk(const struct world *w, int file, uint32_t index)
{
	const struct pl_file *f = pl_file_get(w, file);

	if (!f || index >= f->nr_pages)
		return PL_TOKEN_ZERO;
	return pl_file_disk_at(f, index);
}

/**
 * pl_file_truncate() - ftruncate(2) to @nr_pages.
 *
 * Shrinking first unmaps everything beyond the new size, as
 * truncate_pagecache() does with unmap_mapping_range(..., even_cows = 1):
 * the page-cache pages and also the private COW copies made of them, so a
 * later access there is SIGBUS (found by fuzz-diff;
 * scenarios/seeds/005-truncate-zaps-private-copies.pin).  Then it drops the
 * cached pages.  A folio still held by a GUP reference leaves the cache and
 * lives on, orphaned, until released.  Growing adds zero-filled pages (a
 * hole).
 */
/*
 * pl_file_add_seals() - fcntl(F_ADD_SEALS) on a memfd (mm/memfd.c
 * memfd_add_seals(); the scenario's tmpfs and hugetlbfs files are memfds
 * made with MFD_ALLOW_SEALING).  Seals only add up.  F_SEAL_SHRINK and
 * F_SEAL_GROW make a truncate that shrinks or grows the file EPERM; udmabuf
 * wants F_SEAL_SHRINK and refuses F_SEAL_WRITE and F_SEAL_FUTURE_WRITE.
 * Not modelled: what F_SEAL_WRITE / F_SEAL_FUTURE_WRITE forbid themselves
 * (write(2), new writable shared mappings; EBUSY while one exists).
 */
int pl_file_add_seals(struct world *w, int file, unsigned seals)
{
	struct pl_file *f = pl_file_get(w, file);

	if (!f)
		return -EBADF;
	if (f->fs != PL_FS_TMPFS && f->fs != PL_FS_HUGETLBFS)
		return -EINVAL;		/* memfd_fcntl(): not a memfd */
	f->seals |= (uint8_t)seals;
	return 0;
}

int pl_file_truncate(struct world *w, int file, uint32_t nr_pages)
{
	struct pl_file *f = pl_file_get(w, file);
	struct mm_struct *mm;
	uint32_t old;
	int pos = 0;

	if (!f)
		return -EBADF;
	if (f->rdonly)
		return -EINVAL;		/* do_sys_ftruncate(): not open for writing */
	if (nr_pages > PL_FILE_MAX_PAGES)
		return -EFBIG;
	nr_pages = file_round_size(f, nr_pages);
	old = f->nr_pages;
	/* shmem_setattr(), hugetlbfs_setattr(): a sealed size change is EPERM */
	if ((nr_pages < old && (f->seals & PL_SEAL_SHRINK)) ||
	    (nr_pages > old && (f->seals & PL_SEAL_GROW)))
		return -EPERM;
	if (nr_pages >= old) {
		file_reserve(w, f, nr_pages ? nr_pages : 1);
		for (uint32_t i = old; f->disk && i < nr_pages; i++)
			file_disk_set(w, f, i, PL_TOKEN_ZERO);
		f->nr_pages = nr_pages;
		return 0;
	}
	while ((mm = pl_next_mm(w, &pos))) {
		for (int i = 0; i < mm->nr_vmas; i++) {
			struct vm_area_struct *v = &mm->vmas[i];
			uint64_t np = (v->vm_end - v->vm_start) >> PAGE_SHIFT;
			uint32_t from = PL_MAX(nr_pages, v->vm_pgoff);

			if (v->file != file || v->vm_pgoff + np <= nr_pages)
				continue;
			zap_page_range(w, mm, v,
				       v->vm_start + ((pl_addr)(from - v->vm_pgoff) << PAGE_SHIFT),
				       v->vm_end);
		}
	}
	for (uint32_t i = nr_pages; i < old; i++) {
		struct folio *folio = filemap_get_folio(w, f, i, false);

		if (folio)
			filemap_remove_folio(w, f, folio);
		file_disk_set(w, f, i, PL_TOKEN_ZERO);	/* the blocks are freed */
		pl_file_prefilled_clear(f, i);
	}
	f->nr_pages = nr_pages;
	return 0;
}

/**
 * page_mkwrite() - the filesystem hears that a shared mapping will write @folio.
 *
 * ext4 (ext4_page_mkwrite) reserves blocks and dirties the folio; that is
 * the notification 8ac268436e6d protects: a writable long-term pin would
 * write without ever coming through here.  tmpfs and hugetlbfs have no
 * ->page_mkwrite; callers only get here through vma_wants_writenotify().
 * Return: 0 (the model's filesystem never fails it).
 */
int page_mkwrite(struct world *w, struct vm_area_struct *vma, struct folio *folio)
{
	struct pl_file *f = pl_file_get(w, vma->file);
	pl_addr addr = 0;

	if (folio->page.index >= vma->vm_pgoff)
		addr = vma->vm_start + ((pl_addr)(folio->page.index - vma->vm_pgoff) << PAGE_SHIFT);
	if (f && f->fs == PL_FS_EXT4)
		pl_event_emit(w, PL_EV_MKWRITE, "ext4_page_mkwrite", "vma_wants_writenotify", addr,
			      folio_pfn(folio), folio_pfn(folio), "file %d page %u dirtied",
			      vma->file, folio->page.index);
	folio_mark_dirty(w, folio);
	return 0;
}

/* ---------------------------------------------------------------------------
 * Writeback.
 */
struct mkclean_arg {
	struct folio *folio;
	pl_pfn pfn;		/* the page of the folio being cleaned */
	bool dirty;		/* a PTE was dirty */
	int cleaned;		/* PTEs write-protected */
};

/*
 * page_mkclean_one(): under the PTL, move the PTE's dirty bit to the folio
 * and, where the filesystem wants to hear about the next write, make the
 * PTE read-only again so that write faults into page_mkwrite().
 */
static int page_mkclean_one(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			    pl_addr addr, void *arg)
{
	struct mkclean_arg *a = arg;
	struct page_vma_mapped_walk pvmw = { .pfn = a->pfn, .mm = mm, .address = addr };
	pte_t pte;

	if (!page_vma_mapped_walk(w, &pvmw))
		return 0;
	pte = pvmw.pteval;
	if (pte_dirty(pte))
		a->dirty = true;
	if ((vma->vm_flags & VM_SHARED) && vma_wants_writenotify(w, vma) &&
	    (pte_write(pte) || pte_dirty(pte))) {
		pl_set_pte(w, pvmw.pte, pte_mkclean(pte_wrprotect(pte)));
		a->cleaned++;
	} else if (pte_dirty(pte)) {
		pl_set_pte(w, pvmw.pte, pte_mkclean(pte));
	}
	page_vma_mapped_walk_done(w, &pvmw);
	return 0;
}

/**
 * pl_writeback() - write page @index of @file back to disk.
 *
 * folio_clear_dirty_for_io() + ->writepages for one ext4 folio: clean and
 * write-protect every shared PTE (folio_mkclean), clear PG_dirty, set
 * PG_writeback, store every page's token in disk[], end writeback.  A clean
 * folio is left alone.  tmpfs and hugetlbfs have nothing to write to: a
 * no-op, and so is a page that is not cached: sync_file_range(2) and
 * fsync(2) succeed with nothing to write (found by fuzz-diff;
 * scenarios/seeds/005-writeback-uncached.pin).
 * Return: 0, -EBADF or -EINVAL.
 */
int pl_writeback(struct world *w, int file, uint32_t index)
{
	struct mkclean_arg a = { 0 };
	struct folio *folio;
	struct pl_file *f;
	unsigned nr;
	int ret = file_check(w, file, index, &f);

	if (ret)
		return ret;
	if (f->fs != PL_FS_EXT4)
		return 0;
	folio = filemap_get_folio(w, f, index, false);
	if (!folio)
		return 0;
	if (folio->page.flags & PG_writeback)
		return 0;	/* already under I/O (cannot happen in a synchronous model) */
	a.folio = folio;
	a.pfn = folio_pfn(folio);
	if (folio_mapcount(folio) > 0)
		rmap_walk_file(w, file, folio->page.index, page_mkclean_one, &a);
	if (a.dirty)
		folio_mark_dirty(w, folio);
	if (!folio_test_dirty(folio))
		return 0;
	pl_page_flags_clear(w, &folio->page, PG_dirty);
	pl_page_flags_set(w, &folio->page, PG_writeback);
	nr = folio_nr_pages(folio);
	for (unsigned i = 0; i < nr; i++)
		file_disk_set(w, f, folio->page.index + i, pl_page_token(w, folio_page(folio, i)));
	/* what a GUP writer had written is on disk now */
	pl_page_flags_clear(w, &folio->page, PG_writeback | PG_gup_written);
	w->stats.writebacks++;
	pl_event_emit(w, PL_EV_WRITEBACK, "folio_clear_dirty_for_io", "vma_wants_writenotify", 0,
		      folio_pfn(folio), folio_pfn(folio),
		      "file %d page %u written, %d PTE(s) write-protected", file, index, a.cleaned);
	return 0;
}

/** pl_writeback_file() - pl_writeback() of every cached page (sync_file_range). */
int pl_writeback_file(struct world *w, int file)
{
	struct pl_file *f = pl_file_get(w, file);
	int ret = 0;

	if (!f)
		return -EBADF;
	for (uint32_t i = 0; i < f->nr_pages; i++) {
		int r;

		if (pl_file_cache(f, i) == PL_PFN_NONE)
			continue;
		r = pl_writeback(w, file, i);
		if (r && !ret)
			ret = r;
	}
	return ret;
}

static int evict_folio(struct world *w, struct pl_file *f, uint32_t index);

/**
 * pl_evict() - drop a clean, unmapped, unreferenced page-cache page.
 *
 * The kernel's __remove_mapping() freezes the refcount at "cache only", so a
 * mapped, GUP-referenced, dirty or under-writeback folio stays.  tmpfs and
 * hugetlbfs pages are the only copy of their data: never evicted here.
 *
 * lost-write: the folio is clean but differs from the disk.  Only a write
 * that bypassed every dirtying path -- a DMA write through a GUP reference
 * released without set_page_dirty_lock() -- gets there.  It is dropped as
 * the kernel would, and reported.
 * Return: 0, -EBADF, -EINVAL, -ENOENT (not cached), -EBUSY.
 */
int pl_evict(struct world *w, int file, uint32_t index)
{
	struct pl_file *f;
	int ret = file_check(w, file, index, &f);

	if (ret)
		return ret;
	if (f->fs != PL_FS_EXT4)
		return -EBUSY;
	return evict_folio(w, f, index);
}

/**
 * pl_shmem_swapout() - reclaim of one unmapped tmpfs page: shmem_writepage()
 * and __remove_mapping().
 *
 * The model keeps a tmpfs page's swap copy in disk[]: a dirty folio's
 * contents go there and the folio is cleaned; then, if only the page cache
 * holds it, it is dropped and the next access reads disk[] back (swap-in).
 * The kernel moves the folio from the page cache to the swap cache and
 * leaves a swap entry in its slot; a folio some GUP reference still holds
 * stays in the swap cache, where shmem's lookup finds it again, which is
 * what keeping it in the page cache models.  A clean folio that differs
 * from disk[] when dropped was written through a GUP reference released
 * without dirtying: "lost-write", as in pl_evict().
 * Return: 0, -EBADF, -EINVAL, -ENOENT (not cached), -EBUSY (still held).
 */
int pl_shmem_swapout(struct world *w, int file, uint32_t index)
{
	struct folio *folio;
	struct pl_file *f;
	int ret = file_check(w, file, index, &f);

	if (ret)
		return ret;
	if (f->fs != PL_FS_TMPFS || !w->swap_max)
		return -EBUSY;
	folio = filemap_get_folio(w, f, index, false);
	if (!folio)
		return -ENOENT;
	if (folio_mapcount(folio) > 0)
		return -EBUSY;
	if (folio_test_dirty(folio)) {
		pl_page_flags_clear(w, &folio->page, PG_dirty);
		for (unsigned i = 0; i < folio_nr_pages(folio); i++)
			file_disk_set(w, f, folio->page.index + i,
				      pl_page_token(w, folio_page(folio, i)));
		pl_page_flags_clear(w, &folio->page, PG_gup_written);
		w->stats.swapouts++;
		pl_event_emit(w, PL_EV_SWAPOUT, "shmem_writepage", NULL, 0, folio_pfn(folio),
			      folio_pfn(folio), "tmpfs file %d page %u written to swap", file, index);
	}
	return evict_folio(w, f, index);
}

/* __remove_mapping() of a cached folio, with the lost-write check (pl_evict()). */
static int evict_folio(struct world *w, struct pl_file *f, uint32_t index)
{
	struct folio *folio = filemap_get_folio(w, f, index, false);
	int file = f->id;
	pl_pfn pfn;

	if (!folio)
		return -ENOENT;
	if (folio_mapcount(folio) > 0 ||
	    folio_ref_count(w, folio) != pl_filemap_cache_refs(folio) ||
	    (folio->page.flags & (PG_dirty | PG_writeback | PG_locked)))
		return -EBUSY;
	pfn = folio_pfn(folio);
	for (unsigned i = 0; i < folio_nr_pages(folio); i++) {
		uint32_t idx = folio->page.index + i;
		pl_token tok = pl_page_token(w, folio_page(folio, i));

		if (tok != pl_file_disk_at(f, idx))
			pl_violation(w, "lost-write", w->cur_pid, 0, pfn + i,
				     "clean page-cache page of file %d page %u holds \"%s\" but the "
				     "disk has \"%s\": written through a GUP reference never "
				     "marked dirty",
				     file, idx, pl_token_text(w, tok),
				     pl_token_text(w, pl_file_disk_at(f, idx)));
	}
	filemap_remove_folio(w, f, folio);
	pl_event_emit(w, PL_EV_EVICT, "__remove_mapping", NULL, 0, pfn, 0,
		      "file %d page %u dropped from the page cache", file, index);
	return 0;
}
