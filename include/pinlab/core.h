/*
 * pinlab core: an executable model of Linux get_user_pages(), page pinning and
 * copy-on-write.
 *
 * This header is the whole public surface of src/core/.  Everything the model
 * knows lives in one `struct world`; there is no other mutable state, so a
 * world can be replayed or cloned by the race explorer.
 *
 * Names follow Linux mm wherever the model mirrors a kernel object or function
 * (struct folio, pte_t, struct vm_area_struct, struct mm_struct, FOLL_*,
 * do_wp_page(), copy_present_pte() ...).  Tool-level helpers use the pl_
 * prefix, so model and tool never blur.
 *
 * Model operations return 0 or -errno exactly where the kernel would (GUP: a
 * page count or -errno), so model and host outcomes can be compared directly.
 *
 * Over 900 lines: this is the core's one interface (docs/design.md), so
 * every object and operation another layer may use is declared here, in
 * sections that follow src/core/'s files.
 */
#ifndef PINLAB_CORE_H
#define PINLAB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Sizes.  4 KiB base pages, 512-entry tables, 2 MiB PMD leaves and 1 GiB PUD
 * leaves (x86-64; PUD leaves only for hugetlb, as hugepages-1048576kB).
 */
#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))
#define PTRS_PER_TABLE	512
#define HPAGE_PMD_ORDER 9
#define HPAGE_PMD_NR	(1U << HPAGE_PMD_ORDER)
#define PMD_SHIFT	(PAGE_SHIFT + 9)
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))
#define HPAGE_PUD_ORDER 18
#define HPAGE_PUD_NR	(1U << HPAGE_PUD_ORDER)
#define PUD_SHIFT	(PAGE_SHIFT + 18)
#define PUD_SIZE	(1UL << PUD_SHIFT)
#define PUD_MASK	(~(PUD_SIZE - 1))
#define PL_TASK_SIZE	(1UL << 47)

/* GUP_PIN_COUNTING_BIAS: one FOLL_PIN on a small folio adds this to _refcount. */
#define GUP_PIN_COUNTING_BIAS 1024

typedef uint64_t pl_addr;	/* user virtual address */
typedef uint32_t pl_pfn;	/* page frame number: index into the memmap */
typedef uint32_t pl_token;	/* compact page contents; 0 = all zeroes */
typedef uint64_t pte_t;		/* also used for pmd_t and pud_t leaves */
typedef uint64_t pmd_t;
typedef uint64_t pud_t;

#define PL_TOKEN_ZERO 0u
#define PL_PFN_NONE   0u	/* pfn 0 is never handed out; the zero page is pfn 1 */

struct world;
struct pl_chk_mm;

/* ---------------------------------------------------------------------------
 * Page-table entries.  One 64-bit layout for PTEs, PMD and PUD leaves:
 *
 *   63            44 43                    12 11 10  9  8  7  6  5  4  3  2  1  0
 *  +----------------+------------------------+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |     unused     |   pfn / swap offset    |  |SX|SW|PN|HG|SP|UW|SD|YG|DT|WR|PR|
 *  +----------------+------------------------+--+--+--+--+--+--+--+--+--+--+--+--+
 *   PR present  WR write  DT dirty  YG young  SD soft-dirty  UW uffd-wp
 *   SP special (no refcounted struct page: zero page)  HG huge (PMD/PUD leaf)
 *   PN protnone (mprotect(PROT_NONE) of a present page)
 *   SW swap entry (not present)  SX swp_exclusive (1493a1913e34)
 */
#define _PAGE_PRESENT	(1ULL << 0)
#define _PAGE_RW	(1ULL << 1)
#define _PAGE_DIRTY	(1ULL << 2)
#define _PAGE_ACCESSED	(1ULL << 3)
#define _PAGE_SOFT_DIRTY (1ULL << 4)
#define _PAGE_UFFD_WP	(1ULL << 5)
#define _PAGE_SPECIAL	(1ULL << 6)
#define _PAGE_PSE	(1ULL << 7)
#define _PAGE_PROTNONE	(1ULL << 8)
#define _PAGE_SWP	(1ULL << 9)
#define _PAGE_SWP_EXCLUSIVE (1ULL << 10)
#define _PAGE_MIGRATION	(1ULL << 11)	/* not present: a migration entry (RW = write entry,
					 * SX = read-exclusive), pfn = the page being moved */
#define _PAGE_PFN_SHIFT 12
#define _PAGE_PFN_MASK	(0xffffffffULL << _PAGE_PFN_SHIFT)

static inline bool pte_none(pte_t p) { return p == 0; }
static inline bool pte_present(pte_t p) { return (p & (_PAGE_PRESENT | _PAGE_PROTNONE)) != 0; }
static inline bool pte_protnone(pte_t p) { return (p & _PAGE_PROTNONE) != 0; }
static inline bool pte_write(pte_t p) { return (p & _PAGE_RW) != 0; }
static inline bool pte_dirty(pte_t p) { return (p & _PAGE_DIRTY) != 0; }
static inline bool pte_young(pte_t p) { return (p & _PAGE_ACCESSED) != 0; }
static inline bool pte_special(pte_t p) { return (p & _PAGE_SPECIAL) != 0; }
static inline bool pte_uffd_wp(pte_t p) { return (p & _PAGE_UFFD_WP) != 0; }
static inline bool pte_soft_dirty(pte_t p) { return (p & _PAGE_SOFT_DIRTY) != 0; }
static inline bool pmd_leaf(pmd_t p) { return (p & _PAGE_PSE) != 0; }
static inline bool pud_leaf(pud_t p) { return (p & _PAGE_PSE) != 0; }
static inline bool is_swap_pte(pte_t p) { return (p & _PAGE_SWP) != 0 && !pte_present(p); }
static inline bool pte_swp_exclusive(pte_t p) { return (p & _PAGE_SWP_EXCLUSIVE) != 0; }
static inline bool is_migration_entry(pte_t p)
{
	return (p & _PAGE_MIGRATION) != 0 && !pte_present(p);
}
static inline pl_pfn pte_pfn(pte_t p) { return (pl_pfn)((p & _PAGE_PFN_MASK) >> _PAGE_PFN_SHIFT); }
static inline uint32_t pte_swp_offset(pte_t p) { return pte_pfn(p); }
static inline pte_t pfn_pte(pl_pfn pfn, uint64_t bits) { return ((uint64_t)pfn << _PAGE_PFN_SHIFT) | bits; }
static inline pte_t swp_entry_to_pte(uint32_t off, bool excl)
{
	return ((uint64_t)off << _PAGE_PFN_SHIFT) | _PAGE_SWP | (excl ? _PAGE_SWP_EXCLUSIVE : 0);
}
static inline pte_t pte_wrprotect(pte_t p) { return p & ~_PAGE_RW; }
static inline pte_t pte_mkwrite(pte_t p) { return p | _PAGE_RW; }
static inline pte_t pte_mkdirty(pte_t p) { return p | _PAGE_DIRTY | _PAGE_SOFT_DIRTY; }
static inline pte_t pte_mkclean(pte_t p) { return p & ~_PAGE_DIRTY; }
static inline pte_t pte_mkyoung(pte_t p) { return p | _PAGE_ACCESSED; }
static inline pte_t pte_mkold(pte_t p) { return p & ~_PAGE_ACCESSED; }

/* ---------------------------------------------------------------------------
 * struct page / struct folio.
 *
 * The memmap is an array of struct page indexed by pfn.  A folio is the head
 * page of 2^order contiguous pages; the folio fields are valid in the head
 * only (the kernel overlays them the same way).  Tail pages carry their own
 * flags (PG_anon_exclusive is per page), _mapcount and contents.
 *
 *   small folio:  _refcount = mappings + cache refs + GETs + 1024 * pins
 *   large folio:  _refcount = mappings + cache refs*nr + GETs + pins,
 *                 _pincount = pins  (exact)
 *
 * gup_gets / gup_pins / gup_holder are ghost state: the kernel does not
 * have them.  The invariant checker uses them to recompute _refcount from
 * first principles and to name who holds a GUP reference.
 */
enum pageflags {
	PG_locked	= 1u << 0,
	PG_dirty	= 1u << 1,
	PG_writeback	= 1u << 2,
	PG_swapcache	= 1u << 3,
	PG_anon		= 1u << 4,	/* folio->mapping is an anon_vma (PAGE_MAPPING_ANON) */
	PG_ksm		= 1u << 5,
	PG_hugetlb	= 1u << 6,
	PG_lru		= 1u << 7,
	PG_anon_exclusive = 1u << 8,	/* per page (hugetlb: head only) */
	PG_zero		= 1u << 9,	/* the shared zero page / huge zero page */
	PG_reserved	= 1u << 10,
	PG_head		= 1u << 11,
	PG_tail		= 1u << 12,
	PG_free		= 1u << 13,	/* in the model's free lists */
	PG_movable	= 1u << 14,	/* placed in ZONE_MOVABLE: not long-term pinnable */
	PG_gup_written	= 1u << 15,	/* ghost: written through a GUP ref, not yet marked dirty */
	PG_mm_shared	= 1u << 16,	/* head: FOLIO_MM_IDS_SHARED_BIT, "maybe mapped shared" */
	PG_cma		= 1u << 17,	/* placed in a CMA area (MIGRATE_CMA): not long-term pinnable */
	/*
	 * Head of a PMD-size anon THP: the head's PG_anon_exclusive stands for
	 * every page of the folio, the tails' own bits are stale.  The kernel
	 * keeps the bit of a PMD-mapped THP on the head page only: the PMD-level
	 * rmap calls set, test and clear the head's (Debian 6.12:
	 * __folio_add_anon_rmap() and folio_add_new_anon_rmap() at
	 * RMAP_LEVEL_PMD, __folio_try_dup_anon_rmap(), do_huge_pmd_wp_page();
	 * 6.1: __page_set_anon_rmap() and page_try_dup_anon_rmap() on the
	 * compound head), and __split_huge_pmd_locked() hands the head's bit
	 * to every PTE it makes.  The model sets this bit where those PMD-level
	 * calls write the head (pl_folio_anon_exclusive_pmd()), and copies the
	 * head's bit out to every page before any one page's bit is written
	 * (pl_folio_anon_exclusive_expand()), so every page reads as before:
	 * read a page's bit with pl_page_anon_exclusive().  Not kernel state:
	 * views and hashes leave it out (PL_PG_MODEL_ONLY).
	 */
	PG_excl_head	= 1u << 18,
};

struct page {
	uint32_t flags;
	int32_t _mapcount;		/* PTE mappings of this page (0 = unmapped; not -1 biased) */
	pl_token token;			/* contents of this 4 KiB page */
	pl_pfn head;			/* pfn of the folio head (self for a head) */
	/* folio fields: head page only */
	union {
		uint32_t _refcount;	/* the head */
		/*
		 * page[1] of a large folio (a tail, whose own _refcount means
		 * nothing): every PTE and PMD/PUD mapping of the folio, kept as
		 * the rmap calls add and remove them, as the kernel keeps
		 * folio->_large_mapcount in the first tail page since
		 * 05c5323b2a34 (v6.11; Debian 6.12 mm_types.h).  Read it
		 * through folio_large_mapcount().
		 */
		int32_t _large_mapcount;
	};
	union {
		struct {		/* the head */
			int32_t _entire_mapcount; /* PMD/PUD mappings of a large folio */
			int32_t _pincount;	/* large folios: exact number of FOLL_PIN pins */
		};
		/*
		 * page[1] of a large non-hugetlb folio (a tail, whose own
		 * _entire_mapcount and _pincount mean nothing): the two owner
		 * slots of folio->_mm_ids (6af8cb80d3a9, v6.15), an mm id
		 * (0 = MM_ID_DUMMY, free) and how many mappings that mm has
		 * (not -1 biased).  The kernel keeps _mm_ids in the folio's
		 * first tail too.  PG_mm_shared in the head is the "maybe
		 * mapped shared" bit.  Kept in every era; only the
		 * large_anon_reuse=mm_id rule reads them.  Reach them with
		 * folio_mm_ids().
		 */
		struct {
			uint16_t _mm_id[2];
			int16_t _mm_id_mapcount[2];
		};
	};
	uint32_t mapping;		/* anon: anon_vma id; file: file id + 1; 0 = none */
	uint32_t index;			/* page offset in the file, or linear anon index */
	uint32_t swap;			/* swap slot when PG_swapcache */
	uint16_t gup_gets;		/* ghost: outstanding FOLL_GET refs */
	uint16_t gup_pins;		/* ghost: outstanding FOLL_PIN pins */
	uint16_t gup_holder;		/* ghost: mm id that took them (0xffff: several) */
	uint8_t order;
	/*
	 * Head only, the checker's bookkeeping, not kernel state: set when a
	 * page of the folio other than the head changes (_mapcount, flags),
	 * cleared by a scan that found the folio sound (check.c).  A folio
	 * fresh from pl_alloc_pages() has plain tails, which break no rule,
	 * so the checker skips unchanged tail pages from the start.
	 */
	uint8_t chk_dirty;
};

struct folio {
	struct page page;		/* the head page; tails follow in the memmap */
};

#define PL_GUP_HOLDER_MANY 0xffffu

/* ---------------------------------------------------------------------------
 * Page tables: pgd -> p4d -> pud -> pmd tables of struct pl_dir, leaf tables
 * of struct pl_ptetab.  A pmd entry is either a table (pl_dir.next[i] set,
 * e[i] == 0) or a PMD leaf (e[i] has _PAGE_PSE); a pud entry likewise is a
 * pmd table or a 1 GiB PUD leaf (hugetlb only).
 */
struct pl_lock {
	int owner;			/* 0 = free, else model thread id + 1 */
	int readers;			/* rwsem readers (mmap_lock) */
	uint32_t id;			/* stable identity for the explorer */
};

/*
 * used[]: one bit per slot whose address pgtable.c ever handed out (or
 * whose table it ever installed), so a slot with a clear bit has stayed
 * empty since the table was allocated.  The invariant checker walks only
 * the slots marked, so a scan of a small mm costs what it maps, not four
 * tables of 512 slots (--check=full walks every slot).
 */
struct pl_ptetab {
	pte_t pte[PTRS_PER_TABLE];
	struct pl_lock ptl;		/* split PTE lock */
	uint32_t nr_used;
	uint64_t used[PTRS_PER_TABLE / 64];
};

struct pl_dir {
	uint64_t e[PTRS_PER_TABLE];
	void *next[PTRS_PER_TABLE];
	struct pl_lock ptl;		/* pmd lock (pmd level), pud lock (pud level) */
	uint64_t used[PTRS_PER_TABLE / 64];
	/*
	 * pmd level only: how many mms besides the first map this table
	 * through their pud slot (hugetlb PMD sharing, pt_share_count), and
	 * the checker's scan that last walked it (a shared table is tallied once).
	 */
	uint32_t pt_share_count;
	uint64_t chk_scan;
};

static inline void pl_table_mark(uint64_t *used, unsigned i)
{
	used[i / 64] |= 1ULL << (i % 64);
}

/* ---------------------------------------------------------------------------
 * VMAs.
 */
enum {
	VM_READ		= 1u << 0,
	VM_WRITE	= 1u << 1,
	VM_EXEC		= 1u << 2,
	VM_SHARED	= 1u << 3,
	VM_MAYREAD	= 1u << 4,
	VM_MAYWRITE	= 1u << 5,
	VM_MAYEXEC	= 1u << 6,
	VM_MAYSHARE	= 1u << 7,
	VM_LOCKED	= 1u << 8,
	VM_IO		= 1u << 9,
	VM_PFNMAP	= 1u << 10,
	VM_DONTCOPY	= 1u << 11,
	VM_WIPEONFORK	= 1u << 12,
	VM_HUGEPAGE	= 1u << 13,
	VM_NOHUGEPAGE	= 1u << 14,
	VM_HUGETLB	= 1u << 15,
	VM_MERGEABLE	= 1u << 16,
	VM_SOFTDIRTY	= 1u << 17,
	VM_UFFD_WP	= 1u << 18,
	VM_SECRETMEM	= 1u << 19,	/* model: vma_is_secretmem(), a memfd_secret mapping */
	/* model: the vma's userfaultfd context has UFFD_FEATURE_EVENT_FORK */
	VM_UFFD_EVENT_FORK = 1u << 20,
};

struct vm_area_struct {
	pl_addr vm_start, vm_end;	/* [start, end), page aligned */
	uint32_t vm_flags;
	uint32_t vm_pgoff;		/* file offset in pages (anon: linear index of vm_start) */
	int file;			/* file id, or -1 for anonymous memory */
	uint32_t anon_vma;		/* anon_vma id shared with fork relatives; 0 = none yet */
	uint32_t id;			/* stable id, survives splits as "origin" */
	uint8_t hugetlb_order;		/* VM_HUGETLB: 9 (PMD leaves), 18 (PUD leaves); else 0 */
	/*
	 * The kernel's VM_SOFTDIRTY ("not a soft-dirty clean area"): set on a
	 * new mapping, cleared by clear_refs 4.  Only a hugetlb vma's pagemap
	 * reads it alone (its PTEs' soft-dirty bits are never reported), so
	 * the model keeps it apart from vm_flags, whose VM_SOFTDIRTY it never
	 * sets, and ignores it when merging, as is_mergeable_vma() does.
	 */
	bool vm_softdirty;
	uint32_t vm_mm_id;		/* vma->vm_mm->mm_id: the mm this vma belongs to */
	uint8_t vm_placement;		/* PL_ZONE_*: where faults of this vma allocate */
};

static inline bool is_cow_mapping(uint32_t flags)
{
	return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}

/* mm->flags */
enum { MMF_HAS_PINNED = 1u << 0 };

struct mm_struct {
	uint32_t id;			/* 1-based; also the GUP holder id */
	struct pl_dir *pgd;
	struct vm_area_struct *vmas;	/* sorted by vm_start, non-overlapping */
	int nr_vmas, cap_vmas;
	uint32_t flags;			/* MMF_* */
	uint32_t write_protect_seq;	/* seqcount: odd while fork write-protects */
	uint64_t pinned_vm;		/* pages pinned by RDMA MRs (ib_umem_get()) */
	uint64_t locked_vm;		/* pages vfio type1 pinned (vfio_lock_acct()); no mlock() here */
	struct pl_lock mmap_lock;
	/*
	 * The per-VMA locks (knob per_vma_lock, 6.4), one lock for all of this
	 * mm's vmas: a fault reads it instead of mmap_lock; whoever changes a
	 * vma writes it (vma_start_write()).  Its id is given on first use.
	 */
	struct pl_lock vma_lock;
	pl_addr mmap_base;		/* next address mmap hands out */
	uint64_t nr_ptes;		/* page-table pages, for memory accounting */
	uint64_t chk_scan;		/* the checker's scan that last walked it (check.c) */
	/*
	 * The incremental checker (check.c): every page-table and VMA access
	 * marks the mm (pl_chk_mm_mark(), internal.h); the next scan walks only
	 * the marked mms and keeps what the others added to its running totals.
	 */
	struct world *world;		/* the world it lives in */
	int chk_pid;			/* the task it belongs to */
	uint32_t chk_slot;		/* 1 + its index in world->chk_dirty; 0: not marked */
	struct pl_chk_mm *chk;		/* what its last walk added and reported */
};

struct task_struct {
	int pid;			/* 1-based index into world->tasks */
	int parent;			/* parent pid, 0 for none */
	struct mm_struct *mm;		/* NULL after exit */
	bool exited;
};

/* ---------------------------------------------------------------------------
 * Files and the page cache.
 */
enum pl_fs {
	PL_FS_EXT4,		/* block filesystem: needs dirty tracking, page_mkwrite */
	PL_FS_TMPFS,		/* shmem: memfd, /dev/shm, tmpfs tmpfile */
	PL_FS_HUGETLBFS,	/* memfd MFD_HUGETLB, hugetlbfs files */
	PL_FS_EXT4_DAX,		/* pl_file_create() only: ext4 mounted -o dax on pmem (fs EXT4, dax) */
};

/*
 * The page cache holds one slot per 1 << cache_shift indexes: 0 but for
 * hugetlbfs, whose folios always fill whole aligned huge pages (cache_shift
 * = huge_order), so a 1 GiB file's cache is one slot, not 262,144.  Read a
 * slot with pl_file_cache() / pl_file_cache_slot(), never cache[index].
 * disk is NULL while every page of it reads PL_TOKEN_ZERO (pl_file_disk_at()).
 */
struct pl_file {
	int id;
	enum pl_fs fs;
	uint32_t nr_pages;	/* i_size in pages */
	uint32_t cap;		/* indexes disk[] and the cache have room for */
	pl_pfn *cache;		/* page cache: slot -> folio head pfn (PL_PFN_NONE = absent) */
	pl_token *disk;		/* on-disk contents (ext4); tmpfs keeps none; NULL: all zero */
	uint8_t cache_shift;	/* indexes per cache slot: 1 << cache_shift */
	bool cache_mapped, disk_mapped;	/* the array came from mmap() (filemap.c) */
	/* every slot ever filled lies in [cache_lo, cache_hi) (for the checker) */
	uint32_t cache_lo, cache_hi;
	bool unlinked;
	bool secret;		/* a memfd_secret() inode: no GUP at all */
	bool dax;		/* fsdax (vma_is_fsdax()): no FOLL_LONGTERM */
	uint8_t seals;		/* PL_SEAL_*: memfd seals (F_ADD_SEALS) */
	bool rdonly;		/* the scenario's fd is O_RDONLY: no write(2), no shared write map */
	uint8_t huge_order;	/* hugetlbfs: page order of its folios, 9 or 18; else 0 */
	/*
	 * Indexes [0, prefilled_nr) with their bit set are in the real kernel's
	 * page cache (the file was filled when created) but the model has not
	 * made their folio yet: filemap_map_pages() (fault-around) maps them.
	 */
	uint64_t *prefilled;
	uint32_t prefilled_nr;
};

/* ---------------------------------------------------------------------------
 * Swap device: one slot per swapped page.
 */
struct swap_slot {
	pl_token token;		/* what pageout() wrote */
	uint16_t count;		/* swap_map: swap PTEs referencing the slot */
	bool has_cache;		/* SWAP_HAS_CACHE */
	bool written;
	pl_pfn cache;		/* swap-cache folio, PL_PFN_NONE if none */
};

/* ---------------------------------------------------------------------------
 * FOLL_* flags (include/linux/mm_types.h, mm/internal.h).  There is no
 * FOLL_UNSHARE: unsharing is -EMLINK from follow_page_mask().
 */
enum {
	FOLL_WRITE	= 1u << 0,
	FOLL_GET	= 1u << 1,
	FOLL_PIN	= 1u << 2,
	FOLL_LONGTERM	= 1u << 3,
	FOLL_FORCE	= 1u << 4,
	FOLL_REMOTE	= 1u << 5,
	FOLL_NOFAULT	= 1u << 6,
	FOLL_FAST_ONLY	= 1u << 7,
	FOLL_TOUCH	= 1u << 8,
	FOLL_SPLIT_PMD	= 1u << 9,
	FOLL_COW	= 1u << 10,	/* internal, 19be0eaffa3a .. 5535be309971 */
	FOLL_TRIED	= 1u << 11,
	FOLL_UNLOCKABLE	= 1u << 12,
};

/* FAULT_FLAG_* (include/linux/mm_types.h) */
enum {
	FAULT_FLAG_WRITE	= 1u << 0,
	FAULT_FLAG_UNSHARE	= 1u << 1,
	FAULT_FLAG_REMOTE	= 1u << 2,
	FAULT_FLAG_TRIED	= 1u << 3,
};

/* VM_FAULT_* results */
enum {
	VM_FAULT_OK	= 0,
	VM_FAULT_SIGSEGV = 1u << 0,
	VM_FAULT_SIGBUS	= 1u << 1,
	VM_FAULT_OOM	= 1u << 2,
	VM_FAULT_RETRY	= 1u << 3,
	VM_FAULT_WRITE	= 1u << 4,	/* the fault broke COW (copy or reuse) for a write */
};

/* ---------------------------------------------------------------------------
 * Era policy: every rule that changed in history is a knob.  A preset is a
 * named set of knobs (src/core/policy.c); --set knob=value overrides one.
 * Code reads rules through these fields, never through a version number.
 */
enum pl_reuse_rule {
	REUSE_MAPCOUNT,		/* reuse_swap_page(): mapcount (+ swapcount) == 1 */
	REUSE_REFCOUNT,		/* 09854ba94c6a: page_count == 1 */
};

/*
 * do_wp_page() on a non-exclusive page of a PTE-mapped large anon folio,
 * in the refcount eras (knob large_anon_reuse):
 */
enum pl_large_reuse_rule {
	LARGE_REUSE_REFCOUNT,	/* the small-folio test on the whole folio: refcount 1, so
				 * only the last mapped page, nothing else holding it */
	LARGE_REUSE_NEVER,	/* cd197c3a2040 (v6.9): never; copy the faulting page */
	LARGE_REUSE_MM_ID,	/* 1da190f4d0a6 (v6.15): reuse when all references are
				 * mappings of this mm (per-folio mm ids) */
};

struct pl_policy {
	uint8_t anon_reuse;		/* small anon folios in do_wp_page */
	uint8_t thp_swap_reuse;		/* PMD THP and swap-in; refcount since v5.18 */
	bool dirty_cow;			/* pre-19be0eaffa3a: drop FOLL_WRITE after a COW fault */
	bool foll_cow;			/* 19be0eaffa3a: FOLL_FORCE|FOLL_COW + pte_dirty follows R/O */
	bool gup_cow_break_on_read;	/* 17839856fd58 (v5.8): GET/PIN on COW mapping forces FOLL_WRITE */
	bool foll_pin;			/* eddb1c228f79/3faa52c03f44: FOLL_PIN with the 1024 bias */
	bool fork_copy_pinned;		/* 70e806e4e645: fork copies maybe-pinned anon pages */
	bool fork_copy_pinned_hugetlb;	/* 4eae4efa2c29 */
	bool write_protect_seq;		/* 57efa1fe5957: GUP-fast vs fork */
	bool swapout_skip_pinned;	/* feb889fb40fa: no maybe-pinned page in swap cache */
	bool clear_refs_skip_pinned;	/* 9348b73c2e1b */
	bool anon_exclusive;		/* 6c287605fd56: PG_anon_exclusive */
	bool gup_unshare;		/* c89357e27f20 + a7f226604170: R/O pins unshare */
	bool swp_exclusive;		/* 1493a1913e34 */
	bool foll_force_needs_exclusive; /* 5535be309971: FOLL_COW gone */
	bool exclusive_clear_barrier;	/* 088b8aa537c2: pin vs PageAnonExclusive clearing */
	bool longterm_unshare_cow;	/* 84209e87c696 + 8d6a0ac09a16: R/O longterm unshares */
	bool zero_page_never_pinned;	/* c8070b787519 */
	bool longterm_file_write_refused; /* 8ac268436e6d + a6e79df92e4a */
	bool uprobes_write_in_place;	/* 2025 uprobes rewrite: no __replace_page */
	bool gup_fast_recheck_pte;	/* always on in Linux; off models seed 001's bug */
	bool dio_uses_pin;		/* O_DIRECT takes FOLL_PIN instead of FOLL_GET */
	bool iouring_file_buffers;	/* v6.5: io_uring leaves file-backed buffers to GUP */
	bool huge_zero_wp_thp;		/* ~v6.13: write fault on the huge zero page maps a new THP */
	uint8_t large_anon_reuse;	/* enum pl_large_reuse_rule */
	/* what an era's kernel does not have yet: the call fails with its errno */
	bool io_uring;			/* 2b188cc1bb85 (5.1): else io_uring_setup() is ENOSYS */
	bool iouring_shmem_buffers;	/* 40dad765c045 (5.14): else shmem buffers EOPNOTSUPP */
	bool madv_wipeonfork;		/* d2cd9ede6e19 (4.14): MADV_WIPEONFORK/KEEPONFORK */
	bool madv_cold_pageout;		/* 9c276cc65a58, 1a4e58cce84e (5.4): MADV_COLD/PAGEOUT */
	bool madv_populate;		/* 4ca9b3859dac (5.14): MADV_POPULATE_READ/WRITE */
	bool hugetlb_mremap;		/* 550a7d60bd5e (5.16): mremap() of a hugetlb vma */
	bool hugetlb_madv_dontneed;	/* 90e7e7f5ef3f (5.18): MADV_DONTNEED on hugetlb */
	bool madv_collapse;		/* 7d8faaf15545 (6.1): MADV_COLLAPSE */
	bool thp_split_zero_remap;	/* b1f202060afe (6.12): zero subpages -> zero page at split */
	bool hugetlb_force_write_refused; /* 1d8d14641fd9/f347454d0341 (6.0 - 6.13) */
	bool memfd_secret;		/* 1507f51255c9 (v5.14): memfd_secret() exists */
	bool reclaim_skip_pinned;	/* d824ec2a1546 (6.4): no pageout of an unmapped pinned folio */
	bool uffd_wp;			/* 63b2d4174c4a (5.7): userfaultfd write-protect mode */
	bool uffd_wp_fork_fixed;	/* 8f34f1eac382 (5.14): fork keys uffd-wp on the child's vma */
	bool gup_fast_recheck_pmd;	/* 70cbc3cc78a9 (6.0): GUP-fast re-checks the PMD, too */
	bool collapse_needs_writable;	/* 10359213d05a, until 6.17: no collapse w/o a writable PTE */
	bool per_vma_lock;		/* 0bff0aaea03e (6.4): faults take the vma lock, not mmap_lock */
	bool fork_locks_vmas;		/* fb49c455323f (6.5, 6.4.3): dup_mmap() vma_start_write()s the parent */
	bool dirty_pipe;		/* f6dd975583bd - 9d2231c5d74e: spliced buffers keep stale flags */
	bool map_fixed_noreplace;	/* a4ff8e8620d3 (4.17): else the flag is ignored: a hint */
	bool mremap_dontunmap;		/* e346b3813067 (5.7): else MREMAP_DONTUNMAP is EINVAL */
	bool udmabuf_pins;		/* c6a3194c05e7 (6.11): udmabuf long-term pins by memfd_pin_folios() */
	bool iouring_huge_acct;		/* de2939388be5 (5.10): a huge page is charged whole, once */
	bool hugetlb_pmd_share;		/* 39dde65c9940 (2.6.20): shared hugetlb pmd tables */
};

struct pl_preset {
	const char *name;		/* "v5.9", or a release such as "5.10.9" */
	const char *kernels;		/* "5.9 - 5.10" */
	const char *summary;		/* the rules, with commit hashes */
	struct pl_policy policy;
	const char *first;		/* the first release of a checkpoint ("5.9") */
	const char *base;		/* a release's mainline checkpoint ("v5.9"); NULL for checkpoints */
};

/*
 * The named presets are checkpoints: each starts at the first release whose
 * rules (pl_release_policy()) differ from the previous one's, so every
 * release of 4.8 - 6.18 falls in one.  pl_preset_find() also takes a
 * release ("6.1", "5.10.9", "6.1.0-27-amd64"): that returns its checkpoint
 * when the rules agree, else a preset of its own whose base is the
 * checkpoint (a stable series that took a rule early).
 */
const struct pl_preset *pl_presets(int *n);
const struct pl_preset *pl_preset_find(const char *name);
int pl_preset_index(const char *name);
/* The preset of a running kernel (uname -r, or a banner with "Debian 6.1.192"); newest if later. */
const struct pl_preset *pl_preset_for_kernel(const char *release);
/* "6.1.192" -> 6001192; -EINVAL if it does not start with MAJOR.MINOR. */
int pl_release_parse(const char *s, unsigned long *out);
/* The rules of release @release, from the knob table; -ERANGE outside 4.8 - 6.18. */
int pl_release_policy(const char *release, struct pl_policy *p);
#define PL_RELEASE_OLDEST "4.8"
#define PL_RELEASE_NEWEST "6.18"

/* Knob table for --set, `pinlab knobs` and the derivation of every preset. */
struct pl_knob {
	const char *name;
	const char *commit;		/* the commit that introduced the rule */
	const char *doc;
	size_t offset;			/* into struct pl_policy */
	bool is_enum;			/* uint8_t reuse rule instead of bool */
	const char *first;		/* first mainline release with the rule; NULL: all since 4.8 */
	const char *last;		/* last mainline release with it; NULL: still in 6.18 */
	const char *stable;		/* stable releases that took it early or dropped it early */
	const char *source;		/* how first/last/stable were verified */
	const char *steps;		/* a many-valued enum: the value grows by one at each */
};
const struct pl_knob *pl_knobs(int *n);
/* The commit behind a change of @k: the one that took the rule back, or brought it. */
const char *pl_knob_change_commit(const struct pl_knob *k, bool removal);
/* The first mainline release after @release where knob @k changes (NULL: none). */
const char *pl_knob_next_change(const struct pl_knob *k, const char *release, char *buf,
				size_t len);
/* Apply "knob=value"; returns 0 or -EINVAL with a message in err. */
int pl_policy_set(struct pl_policy *p, const char *assignment, char *err, size_t errlen);
const char *pl_policy_knob_value(const struct pl_policy *p, const struct pl_knob *k);

/* ---------------------------------------------------------------------------
 * Sync layer (src/core/sync.c).  Every access to state a race can involve
 * goes through these; in a plain run the hook pointer is NULL and each is a
 * load, a store or an add.  The race explorer installs a hook and turns each
 * call into a scheduling point.  The hook runs before the access, except for
 * the unlocks, which report after the release.  PL_SYNC_LOCK and
 * PL_SYNC_READ_LOCK name a struct pl_lock that the caller then takes
 * (waiting while it is held); PL_SYNC_FOLIO_LOCK waits for PG_locked.
 */
enum pl_sync_op {
	PL_SYNC_LOCK, PL_SYNC_UNLOCK, PL_SYNC_READ_LOCK, PL_SYNC_READ_UNLOCK,
	PL_SYNC_READ_ONCE, PL_SYNC_WRITE_ONCE, PL_SYNC_ATOMIC,
	PL_SYNC_TRY_GET, PL_SYNC_SEQ_BEGIN, PL_SYNC_SEQ_RETRY, PL_SYNC_SEQ_WRITE_BEGIN,
	PL_SYNC_SEQ_WRITE_END, PL_SYNC_IRQ_DISABLE, PL_SYNC_IRQ_ENABLE, PL_SYNC_YIELD,
	PL_SYNC_TRYLOCK,	/* a lock attempt that fails instead of waiting (pl_trylock,
				 * folio_trylock); obj is not always a struct pl_lock */
	PL_SYNC_FOLIO_LOCK,	/* folio_lock(): obj = &folio->page.flags, waits while PG_locked */
};

/* Named yield points: places where the kernel may sleep or be preempted. */
enum pl_yield_point {
	YIELD_GUP_AFTER_FAULT,		/* __get_user_pages: between faultin_page and the retry */
	YIELD_GUP_FAST_AFTER_READ,	/* gup_fast_pte_range: after reading the PTE */
	YIELD_GUP_FAST_AFTER_GRAB,	/* gup_fast_pte_range: after the grab, before the re-check */
	YIELD_FORK_AFTER_PIN_CHECK,	/* copy_present_pte: after the maybe-pinned check */
	YIELD_WP_COPY,			/* wp_page_copy: copying without the PTL */
	YIELD_UNMAP_BEFORE_PIN_CHECK,	/* try_to_unmap_one: PTE cleared, pin not yet checked */
	YIELD_PAGEOUT,			/* shrink_folio_list: after pageout() wrote the slot */
	YIELD_UPROBE_REPLACE,		/* uprobes: between copy and __replace_page */
	YIELD_DIO_INFLIGHT,		/* O_DIRECT: request in flight */
	YIELD_MIGRATE,			/* migrate_pages: entries installed, not yet moved */
	YIELD_COLLAPSE_COPY,		/* collapse_huge_page: PMD cleared, pages isolated, not yet copied */
	YIELD_FORK_VMA_COPIED,		/* dup_mmap: the child's vma set up (anon_vma_fork), no PTE copied */
	YIELD_NR,
};

struct pl_sync_hooks {
	void (*yield)(struct world *w, enum pl_yield_point where, void *arg);
	void (*sync)(struct world *w, enum pl_sync_op op, const void *obj, void *arg);
	/* an allocation of the model failed: does not return (the explorer leaves
	 * its thread's stack first); NULL: the allocator says so and exits */
	void (*oom)(struct world *w, void *arg);
	void *arg;
};

/* ---------------------------------------------------------------------------
 * Events: each COW, reuse, unshare, fork copy, GUP refusal and retry is
 * reported with the kernel function it models and the rule that decided it.
 */
enum pl_event_kind {
	PL_EV_FAULT, PL_EV_COW, PL_EV_REUSE, PL_EV_UNSHARE, PL_EV_FORK_COPY, PL_EV_FORK_SHARE,
	PL_EV_GUP_REFUSE, PL_EV_GUP_RETRY, PL_EV_GUP_FAST_BAIL, PL_EV_PIN, PL_EV_UNPIN,
	PL_EV_SWAPOUT, PL_EV_SWAPIN, PL_EV_WRITEBACK, PL_EV_EVICT, PL_EV_SPLIT, PL_EV_COLLAPSE,
	PL_EV_KSM_MERGE, PL_EV_ZAP, PL_EV_REPLACE, PL_EV_MKWRITE, PL_EV_NOTE,
};

struct pl_event {
	enum pl_event_kind kind;
	const char *func;		/* kernel function modelled: "do_wp_page" */
	const char *rule;		/* knob or kernel rule that decided: "anon_reuse=refcount" */
	int pid;			/* 0 if none */
	pl_addr addr;
	pl_pfn old_pfn, new_pfn;
	char detail[128];
};

const char *pl_event_kind_name(enum pl_event_kind k);

/* ---------------------------------------------------------------------------
 * Invariant violations (src/core/check.c).  A violation is the *modelled
 * kernel* breaking a rule -- an outcome to report, never an abort.
 */
enum pl_outcome_class {
	PL_CLASS_COUNT,		/* refcount/mapcount/pincount bookkeeping */
	PL_CLASS_LEAK,		/* data visible across processes (missed COW) */
	PL_CLASS_STALE_PIN,	/* pin no longer coherent with the owner's mapping (wrong COW) */
	PL_CLASS_LOST_WRITE,	/* written data lost (clean page dropped, GUP write undirtied) */
	PL_CLASS_FILE_MODIFIED,	/* a private mapping or R/O file changed the file */
	PL_CLASS_STRUCT,	/* exclusivity / page-table structure */
};

struct pl_invariant {
	const char *name;
	enum pl_outcome_class cls;
	const char *rule;		/* one line */
	const char *kernel;		/* where the kernel enforces it */
};
const struct pl_invariant *pl_invariants(int *n);
const char *pl_class_name(enum pl_outcome_class c);

struct pl_violation {
	const struct pl_invariant *inv;
	uint64_t step;
	int pid;
	pl_addr addr;
	pl_pfn pfn;
	char detail[160];
};

/* ---------------------------------------------------------------------------
 * Pinners' state: pipes (vmsplice), io_uring fixed buffers, O_DIRECT
 * requests, RDMA/vfio registrations, gup_test-style long-term pins.
 */
enum pl_pin_kind {
	PL_PIN_PIPE,		/* vmsplice: FOLL_GET refs held by a pipe */
	PL_PIN_IOURING,		/* io_uring_register_buffers: FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE */
	PL_PIN_DIO,		/* O_DIRECT: short-term GET or PIN */
	PL_PIN_RDMA,		/* ibv_reg_mr / VFIO_IOMMU_MAP_DMA: long-term */
	PL_PIN_GUP_TEST,	/* PIN_LONGTERM_TEST_START */
};

/*
 * A pipe's ring (fs/pipe.c, include/linux/pipe_fs_i.h).  The buffers are the
 * pinset's pages[consumed, nr); buf[i] says which bytes of pages[i] they
 * are.  A buffer that pipe_write() filled owns its page: pages[i] is then
 * PL_PFN_NONE and buf[i].tok its contents (the model keeps no page for it).
 * flags[] is indexed by ring slot (head & 15), as pipe->bufs[] is: a slot
 * keeps the flags of its last buffer until something sets them again --
 * which is what CVE-2022-0847 was about.
 */
#define PL_PIPE_BUFFERS		16
#define PIPE_BUF_FLAG_CAN_MERGE	0x10	/* pipe_write() may append to the buffer's page */

struct pl_pipe_buf {
	uint16_t offset, len;		/* bytes [offset, offset + len) of the page */
	pl_token tok;			/* a pipe-owned page's contents */
};

struct pl_pipe {
	struct pl_pipe_buf buf[PL_PIPE_BUFFERS];	/* parallel to pages[] */
	uint8_t flags[PL_PIPE_BUFFERS];		/* by ring slot */
	uint32_t head;				/* buffers ever queued */
};

struct pl_pinset {
	int id;				/* 1-based handle */
	enum pl_pin_kind kind;
	bool active;
	int pid;			/* task that took the references */
	uint32_t mm_id;
	pl_addr addr;			/* user address of page 0 */
	uint32_t nr;
	unsigned int gup_flags;		/* FOLL_* used */
	bool coherent;			/* the era promises the pin tracks the mapping */
	bool odp;			/* RDMA on-demand paging: no pages held, pages == NULL */
	uint32_t acct_pages;		/* RDMA: charged to the owner's mm->pinned_vm */
	bool acct_locked_vm;		/* vfio: acct_pages went to mm->locked_vm instead */
	bool acct_user;			/* io_uring: acct_pages went to the user's locked_vm */
	bool written;			/* a DMA write went through it */
	pl_pfn *pages;			/* one pfn per page (per 4 KiB page) */
	/* O_DIRECT request */
	int file;
	uint32_t file_index;
	bool dio_write;			/* device reads memory (write(2)) */
	/* a byte-range request: len bytes at mem_off of the one page, file_off of the file page */
	uint32_t dio_mem_off, dio_file_off, dio_len;	/* dio_len 0: whole pages */
	/* pipe buffers: tokens consumed so far */
	uint32_t consumed;
	struct pl_pipe *pipe;		/* PL_PIN_PIPE: the buffers' extents and the ring's flags */
};

/* ---------------------------------------------------------------------------
 * The world.
 */
struct pl_stats {
	uint64_t faults, cows, reuses, unshares, fork_copies, gup_calls, gup_fast_bails,
		 swapouts, swapins, writebacks;
};

enum pl_thp_mode { THP_NEVER, THP_MADVISE, THP_ALWAYS };

struct world {
	struct pl_policy policy;
	const char *preset;		/* name of the preset the policy came from */
	/* memmap: chunks of 1 << PL_MEMMAP_CHUNK_SHIFT pages, never moved */
	struct page **memmap;
	uint32_t nr_chunks, cap_chunks;
	pl_pfn next_pfn;		/* bump frontier */
	pl_pfn free_list[HPAGE_PUD_ORDER + 1];
	uint64_t nr_free_pages, nr_alloc_pages;
	uint64_t max_pages;		/* modelled-memory limit; 0 = none */
	bool max_pages_hit;		/* an allocation was refused for max_pages */
	bool reclaim_direct;		/* pl_reclaim() for MADV_PAGEOUT: not kswapd */
	pl_pfn zero_pfn, huge_zero_pfn;
	pl_pfn tmpl_low;		/* lowest template pfn handed out; 0: any (folio.c) */
	/* processes */
	struct task_struct **tasks;
	int nr_tasks, cap_tasks;
	uint32_t next_mm_id, next_anon_vma, next_vma_id;
	/* files, swap, hugetlb */
	struct pl_file **files;
	int nr_files, cap_files;
	struct swap_slot *swap;
	uint32_t nr_swap, cap_swap, swap_free_hint;
	uint32_t swap_max;		/* 0 = no swap device */
	uint32_t hugetlb_total, hugetlb_free;		/* 2 MiB pool (hugepages-2048kB) */
	uint32_t hugetlb_1g_total, hugetlb_1g_free;	/* 1 GiB pool (hugepages-1048576kB) */
	enum pl_thp_mode thp;
	/*
	 * Host facts (pl_facts(), docs/host.md "Host profile"): how a machine
	 * behaves regardless of its era.  Upstream defaults; `pinlab diff`
	 * sets them from the probed host profile.
	 */
	bool zero_page;			/* a read fault maps the shared zero page */
	bool huge_zero_page;		/* transparent_hugepage/use_zero_page */
	bool zone_movable;		/* anon memory comes from ZONE_MOVABLE (movablecore=) */
	uint8_t alloc_zone;		/* PL_ZONE_* of the fault being handled (its vma's) */
	bool memalloc_pin;		/* memalloc_pin_save(): FOLL_LONGTERM allocates pinnable */
	/*
	 * mTHP (c0f79103322c era): anon orders 2..8 a write fault may allocate,
	 * as /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/enabled:
	 * "always" (any vma) or "madvise" (VM_HUGEPAGE vmas).  Bit n = order n.
	 */
	uint16_t mthp_always, mthp_madvise;
	/* `memlock`: RLIMIT_MEMLOCK in pages for every process, none with CAP_IPC_LOCK */
	bool memlock_limited;
	uint64_t memlock_pages;
	uint64_t user_locked_vm;	/* user->locked_vm of the scenario's one user (io_uring) */
	/* pinners */
	struct pl_pinset **pins;
	int nr_pins, cap_pins;
	/*
	 * The GUP-fast calls under way (gup.c, struct pl_gup_fast_call): each
	 * lives in its caller's frame from the first grab to the return, so
	 * this is empty between steps and only a model thread the explorer
	 * stopped inside GUP-fast leaves one here.  fork reads it.
	 */
	struct pl_gup_fast_call *gup_fast_calls;
	/*
	 * tokens: interned page images (bytes from offset 0, trailing zero
	 * bytes trimmed, NUL-terminated); token 0 is the zero page's contents
	 */
	char **tokens;
	uint32_t *token_len;
	uint32_t nr_tokens, cap_tokens;
	/*
	 * PTE tables a THP collapse took out of a pmd slot: a GUP-fast walker
	 * may still read them (the kernel frees them after an IPI or RCU grace
	 * period), so they are freed with the world.
	 */
	void **rcu_tables;
	uint32_t nr_rcu_tables, cap_rcu_tables;
	/* bookkeeping */
	uint64_t step;			/* scenario step number (set by the caller) */
	int cur_pid;			/* task running the current operation */
	int cur_thread;			/* model thread id, for locks */
	bool checked;			/* run the invariant checker after every step */
	struct pl_violation *violations;
	int nr_violations, cap_violations;
	struct pl_stats stats;
	struct pl_sync_hooks hooks;
	void (*on_event)(struct world *w, const struct pl_event *ev, void *arg);
	void *event_arg;
	uint32_t next_lock_id;
	int oom;			/* set when an allocation of the model failed */
	/* the checker's per-pfn scratch tally, kept between scans (check.c) */
	void *check_tally;
	size_t check_tally_cap;		/* entries */
	uint32_t *check_list;		/* pfns whose tally entry is in use, this scan or last */
	size_t check_nr, check_cap;
	bool check_list_lost;		/* an append failed: clear the whole tally next scan */
	bool check_full;		/* --check=full: every page of every folio, every scan */
	bool check_verify;		/* recount every scan's totals from scratch (check.c) */
	bool check_policy_valid;	/* check_policy holds the policy of the last scan */
	uint64_t check_scan;		/* scans so far: stamps the mms a scan walked */
	/*
	 * memmap_gen counts allocations and frees of pfns (folio.c).  A scan
	 * records the long runs of free blocks it walked; later scans jump
	 * over them until pl_alloc_pages() hands out a pfn inside (check.c).
	 */
	uint64_t memmap_gen;
	uint32_t check_runs[8][2];	/* [start, end) of a run of free blocks */
	uint32_t check_nr_runs;
	struct pl_policy check_policy;
	/*
	 * The incremental checker's state (check_inc.c): the mms marked since
	 * the last scan, the records of the mms freed since then (subtracted
	 * from the running totals next scan), the mms whose last walk found a
	 * violation (re-reported each scan, as a walk would), the swap-slot
	 * totals, and chk_folio_gen, bumped whenever a page's mapping-relevant
	 * state changes (flags, mapping, order, a free): then every mm is walked.
	 */
	struct mm_struct **chk_dirty;
	uint32_t chk_nr_dirty, chk_cap_dirty;
	struct mm_struct **chk_viol;
	uint32_t chk_nr_viol, chk_cap_viol;
	struct pl_chk_mm **chk_gone;
	size_t chk_nr_gone, chk_cap_gone;
	uint32_t *chk_swap;		/* 2 per slot: swap PTEs naming it, of them exclusive */
	uint32_t chk_swap_n;		/* slots chk_swap holds */
	uint64_t chk_folio_gen, chk_walk_gen;
	uint32_t chk_fchg[32];		/* heads of folios changed since the last scan */
	uint32_t chk_nr_fchg;
	bool chk_lost;			/* a list could not grow: walk every mm next scan */
	bool chk_walked;		/* the running totals hold every live mm */
	bool chk_stale;			/* a walk saw a mapping of a free page or pfn */
	/*
	 * hugetlb PMD sharing: pud slots that hang another mm's pmd table now,
	 * and whether that changed since the last scan from scratch.  A shared
	 * table's entries are tallied once, for whichever mm a scan walks
	 * first, so such scans always walk every mm (check_inc.c records
	 * what one mm's walk added, which sharing makes order-dependent).
	 */
	uint32_t nr_pmd_shares;
	bool pmd_share_changed;
	/*
	 * The memmap walk's marks (check_folio.c): pfns of the folios whose
	 * struct pages, swap slots or page-cache slots changed since the last
	 * scan (pl_chk_mark_pfn(), internal.h), with the pfns whose tally
	 * entry a scan changed; the heads every scan visits again (unsound at
	 * the last scan, hugetlb); the held/cached tally values of the last
	 * scan; and the debug path's copy of the memmap (check.c).
	 */
	uint32_t *chk_mark;
	uint32_t chk_nr_mark, chk_cap_mark;
	bool chk_mark_lost;		/* a mark could not be kept: walk every folio next scan */
	bool chk_memmap_valid;		/* a walk ran and chk_keep holds what it left */
	bool chk_memmap_insane;		/* the last walk found memmap-sane broken: walk all */
	uint32_t *chk_keep;
	uint32_t chk_nr_keep, chk_cap_keep;
	uint32_t (*chk_hf)[3];		/* pfn, held, flags of the last scan's entries */
	uint32_t chk_nr_hf, chk_cap_hf;
	uint32_t chk_memmap_nr_swap;	/* nr_swap at the last walk */
	struct page *chk_shadow;	/* verify: the memmap as the last scan saw it */
	size_t chk_shadow_n;
};

/* ---------------------------------------------------------------------------
 * World, tasks, tokens (world.c).
 */
struct world *pl_world_new(const struct pl_policy *policy, const char *preset);
/*
 * Host facts: world settings that describe a machine, not an era (the
 * shared zero page, the huge zero page).  Set with "fact=value" like a knob.
 */
struct pl_fact {
	const char *name;		/* "zero_page" */
	const char *doc;		/* what true means */
	const char *when_false;		/* what false means, where it is seen */
};
const struct pl_fact *pl_facts(int *n);
/* Is @assignment ("name=value" or "name") about a fact rather than a knob? */
bool pl_fact_is(const char *assignment);
/* Apply "fact=value" to @w; returns 0 or -EINVAL with a message in err. */
int pl_world_set_fact(struct world *w, const char *assignment, char *err, size_t errlen);
void pl_world_free(struct world *w);
/* Release what @w holds and start it again as pl_world_new() would (fuzz targets). */
void pl_world_reset(struct world *w, const struct pl_policy *policy, const char *preset);
/*
 * A deep copy of @src that runs exactly as @src would from here: the same
 * pfns, pids, ids, tokens, free lists and violations, and the same event
 * listener; no sync hooks, and the invariant checker's next scan walks
 * every mm (src/core/world_copy.c).  @src must have no model thread
 * running in it.  pl_world_copy_into() first releases what @dst holds (a
 * world, or one left by pl_world_empty()).
 */
struct world *pl_world_clone(const struct world *src);
void pl_world_copy_into(struct world *dst, const struct world *src);
/* Release what @w holds and leave it all zero: not a world until copied into. */
void pl_world_empty(struct world *w);
pl_token pl_token_intern(struct world *w, const char *text);
/* The C string at offset 0 of a page holding @t (what a full-page read sees). */
const char *pl_token_text(const struct world *w, pl_token t);
/*
 * Byte-level contents.  A token names a page's bytes: those of its image,
 * then zeroes to the end of the page.  A page written whole holds the
 * string's token (one compact token); a sub-page write makes the token of
 * the patched image (still one token, its image up to the last non-zero
 * byte).
 */
pl_token pl_token_intern_bytes(struct world *w, const void *bytes, uint32_t n);
/* The contents of @t with bytes [off, off + n) replaced (off + n <= PAGE_SIZE). */
pl_token pl_token_patch(struct world *w, pl_token t, uint32_t off, const void *bytes,
			uint32_t n);
/* Copy bytes [off, off + n) of a page holding @t into out (zeroes past its image). */
void pl_token_bytes(const struct world *w, pl_token t, uint32_t off, void *out, uint32_t n);
/* The length of @t's image: the page is zero from there on. */
uint32_t pl_token_len(const struct world *w, pl_token t);
/*
 * pl_bytes_show() - a byte range as one printable line, the same in every
 * backend, so that observations compare as text: printable ASCII as is,
 * '\\' and '{' escaped, other bytes as \xHH, a run of four or more equal
 * bytes as BYTE{COUNT} ("x{100}", "\x00{50}abc").  A rendering that does
 * not fit in cap bytes ends in "..." (cap >= 8).  Return: its length.
 */
size_t pl_bytes_show(const void *bytes, uint32_t n, char *out, size_t cap);
/*
 * hex_to_bin() - the value of one hex digit, or -1: how the readers of an
 * \xHH escape (the scenario lexer, the transcript) decode it.  Named after
 * lib/hexdump.c's function of the same job.
 */
static inline int hex_to_bin(unsigned char ch)
{
	unsigned char lc = ch | 0x20;	/* ASCII: 'A'..'F' -> 'a'..'f' */

	if (ch >= '0' && ch <= '9')
		return ch - '0';
	return lc >= 'a' && lc <= 'f' ? lc - 'a' + 10 : -1;
}
/* Every backend renders a byte range into this much (the host's reply text). */
#define PL_BYTES_SHOW_MAX 256
/* Fill n bytes with @pattern repeated (NULL or "": zeroes), as `write M[i]+OFF len N`. */
static inline void pl_bytes_fill(void *out, uint32_t n, const char *pattern)
{
	size_t k = pattern ? strlen(pattern) : 0;

	for (uint32_t i = 0; i < n; i++)
		((char *)out)[i] = k ? pattern[i % k] : 0;
}
struct task_struct *pl_task(const struct world *w, int pid);
int pl_task_create(struct world *w);		/* a new process with an empty mm; returns pid */
void pl_event_emit(struct world *w, enum pl_event_kind kind, const char *func, const char *rule,
		   pl_addr addr, pl_pfn old_pfn, pl_pfn new_pfn, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));

/* ---------------------------------------------------------------------------
 * Folios (folio.c).
 */
/*
 * pfn_to_page() and friends are inline (they run per PTE in fork, zap and
 * GUP); what is not a plain array index -- a bad pfn (PL_BUG), a page in a
 * 1 GiB folio's group not yet written -- goes to pl_pfn_to_page_slow().
 */
struct page *pl_pfn_to_page_slow(const struct world *w, pl_pfn pfn);
static inline struct page *pfn_to_page(const struct world *w, pl_pfn pfn);
static inline pl_pfn page_to_pfn(const struct world *w, const struct page *page);
static inline struct folio *page_folio(const struct world *w, const struct page *page);
static inline struct folio *pfn_folio(const struct world *w, pl_pfn pfn);
static inline pl_pfn folio_pfn(const struct folio *f) { return f->page.head; }
/* The page holding a large folio's MM owner slots (_mm_id[], _mm_id_mapcount[]): page[1]. */
static inline struct page *folio_mm_ids(const struct folio *f)
{
	return (struct page *)&f->page + 1;
}
/*
 * A 1 GiB folio's struct pages are written in groups of PL_PAGE_GROUP, the
 * first time one of the group's pages is asked for (folio.c, struct
 * pl_chunk_hdr); every access to a tail page goes through folio_page() or
 * pfn_to_page().  pl_folio_group_filled(): has page i's group been written
 * (a group not written holds only default tails: no mapcount, no flags but
 * PG_tail, zero contents)?
 */
#define PL_PAGE_GROUP	512u
#define PL_CHUNK_HDR	4096u
bool pl_folio_group_filled(const struct folio *f, unsigned i);
/* Cache slots of @f: pl_file_cache_slot(f, i) is valid for i < pl_file_cache_slots(f). */
static inline uint32_t pl_file_cache_slots(const struct pl_file *f)
{
	return (uint32_t)(((uint64_t)f->cap + (1u << f->cache_shift) - 1) >> f->cache_shift);
}
/* The cache slot holding index @idx (< f->cap) of @f; f->cache must be allocated. */
static inline pl_pfn *pl_file_cache_slot(const struct pl_file *f, uint32_t idx)
{
	return &f->cache[idx >> f->cache_shift];
}
/* The folio head pfn cached for index @idx of @f, PL_PFN_NONE if none or past the cache. */
static inline pl_pfn pl_file_cache(const struct pl_file *f, uint32_t idx)
{
	return f->cache && idx < f->cap ? f->cache[idx >> f->cache_shift] : PL_PFN_NONE;
}
/* The disk's (or initial) contents of index @idx (< f->cap) of @f. */
static inline pl_token pl_file_disk_at(const struct pl_file *f, uint32_t idx)
{
	return f->disk ? f->disk[idx] : PL_TOKEN_ZERO;
}

void pl_folio_group_fill(struct page *h, unsigned i);
static inline struct page *folio_page(struct folio *f, unsigned i)
{
	if (f->page.order == HPAGE_PUD_ORDER && i >= PL_PAGE_GROUP &&
	    !pl_folio_group_filled(f, i))
		pl_folio_group_fill(&f->page, i);
	return &f->page + i;
}
static inline struct page *pfn_to_page(const struct world *w, pl_pfn pfn)
{
	/* the memmap's chunks are 1 GiB (folio.c, PL_MEMMAP_CHUNK_SHIFT) */
	uint32_t c = pfn >> HPAGE_PUD_ORDER, off = pfn & (HPAGE_PUD_NR - 1);
	struct page *base;

	if (__builtin_expect(pfn == PL_PFN_NONE || c >= w->nr_chunks, 0))
		return pl_pfn_to_page_slow(w, pfn);
	base = w->memmap[c];
	if (off >= PL_PAGE_GROUP && base->order == HPAGE_PUD_ORDER)
		return pl_pfn_to_page_slow(w, pfn);
	return &base[off];
}
static inline pl_pfn page_to_pfn(const struct world *w, const struct page *page)
{
	/* Each page knows its head; tails are at a fixed distance from it. */
	const struct page *head = pfn_to_page(w, page->head);

	return page->head + (pl_pfn)(page - head);
}
static inline struct folio *page_folio(const struct world *w, const struct page *page)
{
	return (struct folio *)pfn_to_page(w, page->head);
}
static inline struct folio *pfn_folio(const struct world *w, pl_pfn pfn)
{
	struct page *p = pfn_to_page(w, pfn);

	/* a head (every small folio) is its own folio: no second lookup */
	return p->head == pfn ? (struct folio *)p : page_folio(w, p);
}
/* Does a loop over the pages of @f need page i, or is its group default tails? */
static inline bool folio_page_present(const struct folio *f, unsigned i)
{
	return f->page.order != HPAGE_PUD_ORDER || i < PL_PAGE_GROUP ||
	       pl_folio_group_filled(f, i);
}
static inline unsigned folio_nr_pages(const struct folio *f) { return 1u << f->page.order; }
static inline uint64_t folio_size(const struct folio *f) { return PAGE_SIZE << f->page.order; }
static inline bool folio_test_large(const struct folio *f) { return f->page.order > 0; }
static inline bool folio_test_anon(const struct folio *f) { return (f->page.flags & PG_anon) != 0; }
static inline bool folio_test_ksm(const struct folio *f) { return (f->page.flags & PG_ksm) != 0; }
static inline bool folio_test_hugetlb(const struct folio *f) { return (f->page.flags & PG_hugetlb) != 0; }
static inline bool folio_test_dirty(const struct folio *f) { return (f->page.flags & PG_dirty) != 0; }
static inline bool folio_test_swapcache(const struct folio *f) { return (f->page.flags & PG_swapcache) != 0; }
static inline bool folio_test_zero(const struct folio *f) { return (f->page.flags & PG_zero) != 0; }
/* The raw bit of this struct page; pl_page_anon_exclusive() is what the page has. */
static inline bool PageAnonExclusive(const struct page *p) { return (p->flags & PG_anon_exclusive) != 0; }
#define PL_PG_MODEL_ONLY PG_excl_head
/*
 * The struct page whose PG_anon_exclusive is page p's: the head for a
 * hugetlb folio (include/linux/page-flags.h PageAnonExclusive()) and for a
 * THP with PG_excl_head, else p itself.
 */
static inline const struct page *pl_anon_exclusive_page(const struct world *w,
							 const struct page *p)
{
	const struct page *h;

	if (!(p->flags & PG_tail))
		return p;
	h = pfn_to_page(w, p->head);
	return (h->flags & (PG_hugetlb | PG_excl_head)) ? h : p;
}
static inline bool pl_page_anon_exclusive(const struct world *w, const struct page *p)
{
	return PageAnonExclusive(pl_anon_exclusive_page(w, p));
}
/*
 * The bit the model keeps for page p, whatever the kernel's readers make of
 * it: the head's for a THP with PG_excl_head, else p's own (a hugetlb
 * tail's is never set).  What views, reports and the checker show per page.
 */
static inline bool pl_page_anon_exclusive_bit(const struct world *w, const struct page *p)
{
	const struct page *h;

	if (!(p->flags & PG_tail))
		return PageAnonExclusive(p);
	h = pfn_to_page(w, p->head);
	return PageAnonExclusive((h->flags & PG_excl_head) ? h : p);
}
static inline bool folio_has_pincount(const struct folio *f) { return folio_test_large(f); }
/* folio_maybe_mapped_shared() of a large non-hugetlb folio (6.15's MM-id tracking). */
static inline bool folio_test_large_maybe_mapped_shared(const struct folio *f)
{
	return (f->page.flags & PG_mm_shared) != 0;
}
/*
 * folio_large_mapcount(): the kept total of a large folio's mappings (a PMD
 * or PUD leaf counts once, a PTE once); O(1), where summing 512 _mapcounts
 * touched every struct page of a THP.  folio_entire_mapcount(): the PMD/PUD
 * leaves alone.
 */
static inline int folio_large_mapcount(const struct folio *f) { return (&f->page)[1]._large_mapcount; }
static inline int folio_entire_mapcount(const struct folio *f) { return f->page._entire_mapcount; }
/* total mappings (PMD maps count once per page range) */
static inline int folio_mapcount(const struct folio *f)
{
	return folio_test_large(f) ? folio_large_mapcount(f) : f->page._mapcount;
}
bool folio_maybe_dma_pinned(const struct folio *f);
bool folio_is_longterm_pinnable(const struct folio *f);

/* ---------------------------------------------------------------------------
 * Page tables (pgtable.c).
 */
pte_t *pl_pte_lookup(struct mm_struct *mm, pl_addr addr);	/* NULL if no table */
pmd_t *pl_pmd_lookup(struct mm_struct *mm, pl_addr addr);	/* NULL if no table */
pud_t *pl_pud_lookup(struct mm_struct *mm, pl_addr addr);	/* NULL if no table */
struct pl_ptetab *pl_ptetab_lookup(struct mm_struct *mm, pl_addr addr);
/* The PTE table that holds @ptep, the entry of @addr (pte[] is its first member). */
static inline struct pl_ptetab *pl_ptetab_of(pte_t *ptep, pl_addr addr)
{
	return (struct pl_ptetab *)(ptep - ((addr >> PAGE_SHIFT) & (PTRS_PER_TABLE - 1)));
}
struct vm_area_struct *vma_lookup(struct mm_struct *mm, pl_addr addr);

/* ---------------------------------------------------------------------------
 * mm operations (mmap.c, fork.c).  Addresses are page aligned; lengths in
 * bytes as for the syscalls.
 */
enum { PL_PROT_NONE = 0, PL_PROT_READ = 1, PL_PROT_WRITE = 2, PL_PROT_EXEC = 4 };
enum {
	PL_MAP_PRIVATE = 1u << 0, PL_MAP_SHARED = 1u << 1, PL_MAP_ANONYMOUS = 1u << 2,
	PL_MAP_POPULATE = 1u << 3, PL_MAP_HUGETLB = 1u << 4, PL_MAP_FIXED = 1u << 5,
	PL_MAP_LOCKED = 1u << 6, PL_MAP_PFNMAP = 1u << 7,	/* a driver's remap_pfn_range */
	PL_MAP_HUGE_1GB = 1u << 8,	/* MAP_HUGETLB | MAP_HUGE_1GB: anon 1 GiB hugetlb */
	PL_MAP_MOVABLE	= 1u << 9,	/* model only: faults allocate from ZONE_MOVABLE */
	PL_MAP_CMA	= 1u << 10,	/* model only: faults allocate from a CMA area */
	PL_MAP_SECRET	= 1u << 11,	/* MAP_SHARED of a memfd_secret() fd of the length */
	PL_MAP_FIXED_NOREPLACE = 1u << 12,	/* at the hint, or EEXIST (a4ff8e8620d3, 4.17) */
	PL_MAP_PUD_ALIGNED = 1u << 13,	/* placed on a 1 GiB boundary (userspace over-maps) */
};

/* A folio's placement: the zone (or CMA pageblock) its pages come from. */
enum pl_zone { PL_ZONE_NORMAL, PL_ZONE_MOVABLE, PL_ZONE_CMA };
enum pl_madv {
	PL_MADV_DONTNEED, PL_MADV_DONTFORK, PL_MADV_DOFORK, PL_MADV_WIPEONFORK,
	PL_MADV_KEEPONFORK, PL_MADV_PAGEOUT, PL_MADV_COLD, PL_MADV_HUGEPAGE,
	PL_MADV_NOHUGEPAGE, PL_MADV_POPULATE_READ, PL_MADV_POPULATE_WRITE, PL_MADV_MERGEABLE,
	PL_MADV_UNMERGEABLE, PL_MADV_COLLAPSE,
};
const char *pl_madv_name(enum pl_madv m);

/* Returns the address, or a negative errno cast to pl_addr (check with pl_err()). */
pl_addr pl_mmap(struct world *w, int pid, pl_addr hint, uint64_t len, int prot, unsigned flags,
		int file, uint32_t pgoff);
static inline bool pl_err(pl_addr a) { return (int64_t)a < 0 && (int64_t)a > -4096; }
int pl_munmap(struct world *w, int pid, pl_addr addr, uint64_t len);
/* MREMAP_DONTUNMAP: or into @maymove's bool as PL_MREMAP_DONTUNMAP (flags of pl_mremap2) */
pl_addr pl_mremap2(struct world *w, int pid, pl_addr old, uint64_t old_len, uint64_t new_len,
		   bool maymove, pl_addr new_addr, bool dontunmap);
pl_addr pl_mremap(struct world *w, int pid, pl_addr old, uint64_t old_len, uint64_t new_len,
		  bool maymove, pl_addr new_addr);
int pl_mprotect(struct world *w, int pid, pl_addr addr, uint64_t len, int prot);
int pl_madvise(struct world *w, int pid, pl_addr addr, uint64_t len, enum pl_madv advice);
/* mlock(2) / munlock(2) of [addr, addr + len) (src/core/mlock.c) */
int pl_mlock(struct world *w, int pid, pl_addr addr, uint64_t len);
int pl_munlock(struct world *w, int pid, pl_addr addr, uint64_t len);
int pl_fork(struct world *w, int pid);		/* returns the child pid or -errno */
int pl_exit(struct world *w, int pid);
/* /proc/pid/clear_refs "4": write-protect everything for soft-dirty tracking */
int pl_clear_refs_soft_dirty(struct world *w, int pid);
/* UFFDIO_REGISTER(MODE_WP) + UFFDIO_WRITEPROTECT of [addr, addr+len): protect or resolve. */
int pl_uffd_writeprotect(struct world *w, int pid, pl_addr addr, uint64_t len, bool protect,
			 bool event_fork);
/* UFFDIO_CONTINUE: map the page-cache page of a shmem-backed vma (R/O, dirty). */
int pl_uffdio_continue(struct world *w, int pid, pl_addr addr);

/* ---------------------------------------------------------------------------
 * Faults and user access (memory.c, huge_memory.c).
 */
unsigned handle_mm_fault(struct world *w, struct mm_struct *mm, struct vm_area_struct *vma,
			 pl_addr addr, unsigned fault_flags);
/*
 * What do_wp_page() would decide now for a write fault on a page of this
 * PTE-mapped large anon folio that is not PG_anon_exclusive, under w's
 * policy: true = reuse the folio in place, false = copy the page.  *why
 * names the rule and the fact that decided.  Reads only (pinlab show).
 */
bool pl_wp_large_anon_would_reuse(const struct world *w, const struct folio *f, const char **why);
/* A user load/store by task pid: faults as needed.  -EFAULT = SIGSEGV, -EBUSY = SIGBUS. */
int pl_user_read(struct world *w, int pid, pl_addr addr, pl_token *out);
int pl_user_write(struct world *w, int pid, pl_addr addr, pl_token tok);
/* A store of n bytes at byte off of the page at addr (memcpy into part of it). */
int pl_user_write_bytes(struct world *w, int pid, pl_addr addr, uint32_t off,
			const void *bytes, uint32_t n);

/* ---------------------------------------------------------------------------
 * GUP (gup.c).  pages[] receives one pfn per 4 KiB page.
 */
long get_user_pages(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		    unsigned gup_flags, pl_pfn *pages);
long get_user_pages_fast(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
			 unsigned gup_flags, pl_pfn *pages);
long pin_user_pages(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		    unsigned gup_flags, pl_pfn *pages);
long pin_user_pages_fast(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
			 unsigned gup_flags, pl_pfn *pages);
/* Only the lockless walk (FOLL_FAST_ONLY): returns how many it got. */
long gup_fast_only(struct world *w, struct mm_struct *mm, pl_addr start, unsigned long nr,
		   unsigned gup_flags, pl_pfn *pages);
void put_page(struct world *w, pl_pfn pfn);
void unpin_user_page(struct world *w, pl_pfn pfn);
void unpin_user_pages(struct world *w, const pl_pfn *pages, unsigned long n);
void unpin_user_pages_dirty_lock(struct world *w, const pl_pfn *pages, unsigned long n,
				 bool make_dirty);
void set_page_dirty_lock(struct world *w, pl_pfn pfn);

/* ---------------------------------------------------------------------------
 * Pinners (pinners.c).  Each returns a handle (>0) or -errno.
 */
int pl_pipe_create(struct world *w);
long pl_vmsplice(struct world *w, int pid, int pipe, pl_addr addr, unsigned long nr);
/* vmsplice(2) of one iovec of @len bytes at byte @off of the page at @addr: one buffer. */
long pl_vmsplice_bytes(struct world *w, int pid, int pipe, pl_addr addr, uint32_t off,
		       uint32_t len);
/* read(2) of a pipe: next buffer's contents; releases its reference. -EAGAIN if empty. */
int pl_pipe_read(struct world *w, int pipe, pl_token *out);
int pl_pipe_close(struct world *w, int pipe);
/* write(2) of @len bytes (@text, then zeroes) into a pipe: bytes written, or -errno. */
long pl_pipe_write(struct world *w, int pipe, const char *text, uint32_t len);
/* read(2) of @len bytes from a pipe: what they hold, as one value.  0 or -errno. */
int pl_pipe_read_bytes(struct world *w, int pipe, uint32_t len, pl_token *out);
/* splice(2) of @len bytes of file page @index into a pipe: bytes spliced, or -errno. */
long pl_splice_file(struct world *w, int file, uint32_t index, uint32_t len, int pipe);

int io_uring_register_buffers(struct world *w, int pid, pl_addr addr, unsigned long nr);
int io_uring_unregister_buffers(struct world *w, int buf);
/* IORING_OP_WRITE_FIXED: device reads the buffer, writes file pages [index..). */
int io_uring_write_fixed(struct world *w, int buf, int file, uint32_t index);
/* IORING_OP_READ_FIXED: device writes file contents into the buffer. */
int io_uring_read_fixed(struct world *w, int buf, int file, uint32_t index);

/* O_DIRECT: submit pins the user pages, complete does the transfer and releases. */
int pl_dio_submit(struct world *w, int pid, int file, uint32_t index, pl_addr addr,
		  unsigned long nr, bool write_to_file);
/* The same for len bytes: memory page bytes [mem_off, +len) <-> file page bytes [file_off, +len). */
int pl_dio_submit_bytes(struct world *w, int pid, int file, uint32_t index, pl_addr addr,
			bool write_to_file, uint32_t mem_off, uint32_t file_off, uint32_t len);
int pl_dio_complete(struct world *w, int req);

/* RDMA / vfio style long-term registration. */
int pl_rdma_reg_mr(struct world *w, int pid, pl_addr addr, unsigned long nr, bool writable);
/* ibv_reg_mr(IB_ACCESS_ON_DEMAND): no pin; each device access faults through the mm */
int pl_rdma_reg_mr_odp(struct world *w, int pid, pl_addr addr, unsigned long nr, bool writable);
int pl_rdma_dereg_mr(struct world *w, int mr);
/* UDMABUF_CREATE of pages [index, index + nr) of a shmem or hugetlbfs @file; a PL_PIN_RDMA handle */
/* VFIO_IOMMU_MAP_DMA (type1): a long-term pin charged to mm->locked_vm; a PL_PIN_RDMA handle */
int pl_vfio_map_dma(struct world *w, int pid, pl_addr addr, unsigned long nr, bool writable);
int pl_udmabuf_create(struct world *w, int file, uint32_t index, unsigned long nr);
int pl_rdma_dma_write(struct world *w, int mr, uint32_t page, pl_token tok);	/* device -> memory */
int pl_rdma_dma_read(struct world *w, int mr, uint32_t page, pl_token *out);	/* memory -> device */

/* gup_test PIN_LONGTERM_TEST_START / READ / STOP */
int pl_gup_test_pin(struct world *w, int pid, pl_addr addr, unsigned long nr, bool write, bool fast);
int pl_gup_test_read(struct world *w, int h, uint32_t page, pl_token *out);
int pl_gup_test_unpin(struct world *w, int h);

/* /proc/pid/mem and ptrace(POKEDATA): FOLL_FORCE (remote when pid != target). */
int pl_proc_mem_write(struct world *w, int pid, int target, pl_addr addr, pl_token tok);
int pl_proc_mem_read(struct world *w, int pid, int target, pl_addr addr, pl_token *out);
/* PTRACE_POKETEXT: the same forced write of only @len bytes at the page's start. */
int pl_ptrace_poke(struct world *w, int pid, int target, pl_addr addr, const void *bytes,
		   uint32_t len);
/* process_vm_writev / readv: remote GUP without FOLL_FORCE. */
int pl_process_vm_writev(struct world *w, int pid, int target, pl_addr addr, pl_token tok);
int pl_process_vm_readv(struct world *w, int pid, int target, pl_addr addr, pl_token *out);

/* uprobes: install a breakpoint (tok) at file page index in every mm mapping it privately. */
int pl_uprobe_register(struct world *w, int file, uint32_t index, pl_token tok);
int pl_uprobe_unregister(struct world *w, int file, uint32_t index);

struct pl_pinset *pl_pinset_get(const struct world *w, int id);

/* ---------------------------------------------------------------------------
 * Files, page cache, writeback (filemap.c); swap and reclaim (vmscan.c);
 * KSM (ksm.c); THP (huge_memory.c); hugetlb pool (folio.c).
 */
int pl_file_create(struct world *w, enum pl_fs fs, uint32_t nr_pages, pl_token initial);
int pl_file_write(struct world *w, int file, uint32_t index, pl_token tok);	/* write(2) */
int pl_file_read(struct world *w, int file, uint32_t index, pl_token *out);	/* read(2) */
/* From now on the file's fd is O_RDONLY: write(2) EBADF, ftruncate EINVAL, no shared writes. */
int pl_file_set_rdonly(struct world *w, int file);
pl_token pl_file_disk(const struct world *w, int file, uint32_t index);	/* on-disk contents */
int pl_file_truncate(struct world *w, int file, uint32_t nr_pages);
/* memfd seals (F_SEAL_*): what `seal F ...` adds */
enum { PL_SEAL_SHRINK = 1, PL_SEAL_GROW = 2, PL_SEAL_WRITE = 4, PL_SEAL_FUTURE_WRITE = 8 };
/* fcntl(F_ADD_SEALS) on a tmpfs or hugetlbfs file (a memfd); EINVAL for another */
int pl_file_add_seals(struct world *w, int file, unsigned seals);
/*
 * memfd_create(MFD_HUGETLB | MFD_HUGE_1GB): a hugetlbfs file's page order (9
 * or 18), before any page is cached or mapped; i_size rounds up to it.
 */
int pl_file_set_huge_order(struct world *w, int file, unsigned order);
/* Writeback of one file page: clean, write-protect every PTE, write to disk. */
int pl_writeback(struct world *w, int file, uint32_t index);
int pl_writeback_file(struct world *w, int file);
/* Drop a clean, unmapped, unreferenced page-cache page. */
int pl_evict(struct world *w, int file, uint32_t index);
int pl_shmem_swapout(struct world *w, int file, uint32_t index);

int pl_swapon(struct world *w, uint32_t nr_slots);
/* shrink_folio_list on the folio mapped at addr: add to swap cache, unmap, pageout, free. */
int pl_reclaim(struct world *w, int pid, pl_addr addr);
/* Try once more to free every clean, unreferenced swap-cache folio. */
int pl_reclaim_swapcache(struct world *w);
/* nr_hugepages of one size: order 9 (2 MiB) or 18 (1 GiB); -EBUSY below what is in use. */
int pl_hugetlb_set_pool_order(struct world *w, unsigned order, uint32_t nr);
int pl_hugetlb_set_pool(struct world *w, uint32_t nr);		/* the 2 MiB pool */
int pl_ksm_merge(struct world *w);			/* one full ksmd scan */
/* Does the release of @p know this advice?  (madvise_behavior_valid(); else EINVAL) */
bool pl_policy_madvise_known(const struct pl_policy *p, enum pl_madv advice);
int pl_thp_collapse(struct world *w, int pid, pl_addr addr);	/* the collapse step: khugepaged */
int pl_madvise_collapse(struct world *w, int pid, pl_addr addr); /* MADV_COLLAPSE of one PMD range */
int pl_thp_split(struct world *w, int pid, pl_addr addr);	/* split the PMD mapping at addr */

/* ---------------------------------------------------------------------------
 * Invariant checker (check.c).
 */
/* Check every invariant now; returns the number of new violations. */
int pl_check_world(struct world *w);
/* Record a violation detected at the moment it happens. */
void pl_violation(struct world *w, const char *invariant, int pid, pl_addr addr, pl_pfn pfn,
		  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
const struct pl_invariant *pl_invariant_find(const char *name);
/* The refcount the checker expects from first principles. */
uint64_t pl_expected_refcount(struct world *w, pl_pfn head, int *mapcount_out);

/* Bytes of model memory per populated page, for the benchmark. */
uint64_t pl_world_bytes(const struct world *w);

#endif /* PINLAB_CORE_H */
