/*
 * Era policy: the rules of GUP, pinning and COW that changed over time, as
 * named knobs, and the presets that bundle them per kernel era.
 *
 * The model never asks "which kernel is this?".  Each place where history
 * changed a decision reads one field of struct pl_policy, named for the rule
 * (anon_reuse, gup_unshare, fork_copy_pinned ...).  A preset is just a value
 * of that struct plus the kernel range and the commits it stands for, so
 * `--set knob=value` can move a single rule into another era and show what
 * that one rule buys.
 *
 * The presets form a chain, each one the previous era plus or minus the
 * commits that landed in between:
 *
 *   v4.8 --19be0eaffa3a, FOLL_PIN--> v5.7 --17839856fd58--> v5.8
 *        --09854ba94c6a, a308c71bf1e6, 70e806e4e645--> v5.9
 *        --57efa1fe5957, feb889fb40fa, 9348b73c2e1b, 4eae4efa2c29--> v5.11
 *        --COW fixes part 1--> v5.18 --PG_anon_exclusive, unshare--> v5.19
 *        --5535be309971--> v6.0 --088b8aa537c2, 84209e87c696--> v6.2
 *        --c8070b787519, 8ac268436e6d--> v6.5 --cd197c3a2040--> v6.9
 *        --1da190f4d0a6 (MM ids)--> v6.15 --uprobes rewrite--> latest
 *
 * The chain is written below as bit sets (K_V5_8 = K_V5_7 | ...), so the
 * table says literally what each era added or removed.
 */
#include "internal.h"

#include <ctype.h>
#include <strings.h>

/*
 * One bit per boolean knob, used only to spell the preset chain.  The two
 * reuse rules are enums and are given separately.
 */
enum {
	K_DIRTY_COW			= 1u << 0,
	K_FOLL_COW			= 1u << 1,
	K_GUP_COW_BREAK_ON_READ		= 1u << 2,
	K_FOLL_PIN			= 1u << 3,
	K_FORK_COPY_PINNED		= 1u << 4,
	K_FORK_COPY_PINNED_HUGETLB	= 1u << 5,
	K_WRITE_PROTECT_SEQ		= 1u << 6,
	K_SWAPOUT_SKIP_PINNED		= 1u << 7,
	K_CLEAR_REFS_SKIP_PINNED	= 1u << 8,
	K_ANON_EXCLUSIVE		= 1u << 9,
	K_GUP_UNSHARE			= 1u << 10,
	K_SWP_EXCLUSIVE			= 1u << 11,
	K_FOLL_FORCE_NEEDS_EXCLUSIVE	= 1u << 12,
	K_EXCLUSIVE_CLEAR_BARRIER	= 1u << 13,
	K_LONGTERM_UNSHARE_COW		= 1u << 14,
	K_ZERO_PAGE_NEVER_PINNED	= 1u << 15,
	K_LONGTERM_FILE_WRITE_REFUSED	= 1u << 16,
	K_UPROBES_WRITE_IN_PLACE	= 1u << 17,
	K_GUP_FAST_RECHECK_PTE		= 1u << 18,
	K_DIO_USES_PIN			= 1u << 19,
	K_LEGACY_PUT_WITHOUT_DIRTY	= 1u << 20,
	K_IOURING_FILE_BUFFERS		= 1u << 21,
	K_HUGE_ZERO_WP_THP		= 1u << 22,
};

#define K_ON(bits, k) (((bits) & (k)) != 0)

/* A struct pl_policy from the reuse rules and a knob bit set. */
#define PL_POLICY3(reuse, thp_reuse, large_reuse, bits)                                 \
	{                                                                               \
		.anon_reuse = (reuse),                                                  \
		.thp_swap_reuse = (thp_reuse),                                          \
		.large_anon_reuse = (large_reuse),                                      \
		.dirty_cow = K_ON(bits, K_DIRTY_COW),                                   \
		.foll_cow = K_ON(bits, K_FOLL_COW),                                     \
		.gup_cow_break_on_read = K_ON(bits, K_GUP_COW_BREAK_ON_READ),           \
		.foll_pin = K_ON(bits, K_FOLL_PIN),                                     \
		.fork_copy_pinned = K_ON(bits, K_FORK_COPY_PINNED),                     \
		.fork_copy_pinned_hugetlb = K_ON(bits, K_FORK_COPY_PINNED_HUGETLB),     \
		.write_protect_seq = K_ON(bits, K_WRITE_PROTECT_SEQ),                   \
		.swapout_skip_pinned = K_ON(bits, K_SWAPOUT_SKIP_PINNED),               \
		.clear_refs_skip_pinned = K_ON(bits, K_CLEAR_REFS_SKIP_PINNED),         \
		.anon_exclusive = K_ON(bits, K_ANON_EXCLUSIVE),                         \
		.gup_unshare = K_ON(bits, K_GUP_UNSHARE),                               \
		.swp_exclusive = K_ON(bits, K_SWP_EXCLUSIVE),                           \
		.foll_force_needs_exclusive = K_ON(bits, K_FOLL_FORCE_NEEDS_EXCLUSIVE), \
		.exclusive_clear_barrier = K_ON(bits, K_EXCLUSIVE_CLEAR_BARRIER),       \
		.longterm_unshare_cow = K_ON(bits, K_LONGTERM_UNSHARE_COW),             \
		.zero_page_never_pinned = K_ON(bits, K_ZERO_PAGE_NEVER_PINNED),         \
		.longterm_file_write_refused = K_ON(bits, K_LONGTERM_FILE_WRITE_REFUSED), \
		.uprobes_write_in_place = K_ON(bits, K_UPROBES_WRITE_IN_PLACE),         \
		.gup_fast_recheck_pte = K_ON(bits, K_GUP_FAST_RECHECK_PTE),             \
		.dio_uses_pin = K_ON(bits, K_DIO_USES_PIN),                             \
		.legacy_put_without_dirty = K_ON(bits, K_LEGACY_PUT_WITHOUT_DIRTY),     \
		.iouring_file_buffers = K_ON(bits, K_IOURING_FILE_BUFFERS),             \
		.huge_zero_wp_thp = K_ON(bits, K_HUGE_ZERO_WP_THP),                     \
	}

/* Before v6.9 a large folio took the small-folio refcount test. */
#define PL_POLICY(reuse, thp_reuse, bits) PL_POLICY3(reuse, thp_reuse, LARGE_REUSE_REFCOUNT, bits)

/*
 * The chain of eras.  GUP-fast re-checking the PTE after the grab is not a
 * historical change: every kernel does it, and only `--set
 * gup_fast_recheck_pte=false` turns it off to show why it is needed.
 */
#define K_V4_8	(K_DIRTY_COW | K_GUP_FAST_RECHECK_PTE | K_LEGACY_PUT_WITHOUT_DIRTY)
#define K_V5_7	((K_V4_8 & ~(K_DIRTY_COW | K_LEGACY_PUT_WITHOUT_DIRTY)) | K_FOLL_COW | K_FOLL_PIN)
#define K_V5_8	(K_V5_7 | K_GUP_COW_BREAK_ON_READ)
#define K_V5_9	((K_V5_8 & ~K_GUP_COW_BREAK_ON_READ) | K_FORK_COPY_PINNED)
#define K_V5_11 (K_V5_9 | K_WRITE_PROTECT_SEQ | K_SWAPOUT_SKIP_PINNED | \
		 K_CLEAR_REFS_SKIP_PINNED | K_FORK_COPY_PINNED_HUGETLB)
#define K_V5_18 K_V5_11
#define K_V5_19 (K_V5_18 | K_ANON_EXCLUSIVE | K_GUP_UNSHARE | K_SWP_EXCLUSIVE)
#define K_V6_0	((K_V5_19 & ~K_FOLL_COW) | K_FOLL_FORCE_NEEDS_EXCLUSIVE)
#define K_V6_2	(K_V6_0 | K_EXCLUSIVE_CLEAR_BARRIER | K_LONGTERM_UNSHARE_COW)
#define K_V6_5	(K_V6_2 | K_ZERO_PAGE_NEVER_PINNED | K_LONGTERM_FILE_WRITE_REFUSED | \
		 K_DIO_USES_PIN | K_IOURING_FILE_BUFFERS)
#define K_LATEST (K_V6_5 | K_UPROBES_WRITE_IN_PLACE | K_HUGE_ZERO_WP_THP)

/* Oldest first: pl_preset_index() order is era order. */
static const struct pl_preset presets[] = {
	{
		.name = "v4.8",
		.kernels = "<= 4.8.2",
		.summary =
			"Before the Dirty COW fix.  A write fault reuses an anonymous page in "
			"place when its mapcount plus swapcount is 1 (reuse_swap_page, "
			"c475a8ab625d).  When a forced GUP write has broken COW on a read-only "
			"private mapping, GUP clears FOLL_WRITE and looks the page up again as a "
			"read, so a racing MADV_DONTNEED lets the write reach the page cache "
			"(CVE-2016-5195).  fork() shares every anonymous page, referenced by GUP "
			"or not.  There is no FOLL_PIN: long-term users hold FOLL_GET references "
			"and drop them with put_page(), often without dirtying the page.",
		.policy = PL_POLICY(REUSE_MAPCOUNT, REUSE_MAPCOUNT, K_V4_8),
	},
	{
		.name = "v5.7",
		.kernels = "4.8.3 - 5.7",
		.summary =
			"19be0eaffa3a closes Dirty COW: GUP keeps FOLL_WRITE after the COW fault "
			"and sets the internal FOLL_COW, which accepts a read-only PTE only "
			"together with FOLL_FORCE and a dirty PTE.  FOLL_PIN and its accounting "
			"arrive (eddb1c228f79, 3faa52c03f44): a pin adds 1024 to a small folio's "
			"refcount and is counted exactly for large ones.  Reuse still trusts the "
			"mapcount, so a read-only GUP reference taken by a child on a COW-shared "
			"page (vmsplice) sees the parent's later writes once the child unmaps "
			"it (CVE-2020-29374).",
		.policy = PL_POLICY(REUSE_MAPCOUNT, REUSE_MAPCOUNT, K_V5_7),
	},
	{
		.name = "v5.8",
		.kernels = "5.8",
		.summary =
			"17839856fd58 (\"COW can break either way\"): FOLL_GET and FOLL_PIN on "
			"a COW mapping behave as writes and break COW before a page is returned, "
			"which closes CVE-2020-29374 for small pages; GUP-fast declines "
			"read-only PTEs.  The price: every read GUP on private memory is a COW "
			"fault (userfaultfd-wp breakage, needless copies of the zero page).",
		.policy = PL_POLICY(REUSE_MAPCOUNT, REUSE_MAPCOUNT, K_V5_8),
	},
	{
		.name = "v5.9",
		.kernels = "5.9 - 5.10",
		.summary =
			"09854ba94c6a: do_wp_page() reuses a small anonymous page only when its "
			"refcount is 1, so any extra reference forces a copy, and a308c71bf1e6 "
			"drops 5.8's forced write break.  That makes a pinned page COW away from "
			"its owner after fork (the RDMA regression), so 70e806e4e645 copies "
			"maybe-pinned anonymous pages for the child at fork time, only in mms "
			"that have pinned (008cfe4418b3).  GUP-fast can still pin a page while "
			"fork write-protects it, and THP and swap-in still reuse by mapcount.",
		.policy = PL_POLICY(REUSE_REFCOUNT, REUSE_MAPCOUNT, K_V5_9),
	},
	{
		.name = "v5.11",
		.kernels = "5.11 - 5.17",
		.summary =
			"57efa1fe5957: fork holds the mm->write_protect_seq seqcount while it "
			"write-protects a COW vma, and FOLL_PIN GUP-fast gives up if the count "
			"was odd or moved.  feb889fb40fa "
			"keeps maybe-pinned pages out of the swap cache, 9348b73c2e1b makes "
			"clear_refs leave them writable, and 4eae4efa2c29 (5.12) copies pinned "
			"hugetlb pages at fork.  FOLL_GET users such as O_DIRECT remain "
			"unprotected, and THP/swap-in reuse is still mapcount-based.",
		.policy = PL_POLICY(REUSE_REFCOUNT, REUSE_MAPCOUNT, K_V5_11),
	},
	{
		.name = "v5.18",
		.kernels = "5.18",
		.summary =
			"COW fixes part 1: the PMD THP write fault (3bff7e3f1f16) and swap-in "
			"(c145e0b47c77, 53a05ad9f21d) reuse a page only when its refcount is 1, "
			"closing the THP and swap variants of CVE-2020-29374.",
		.policy = PL_POLICY(REUSE_REFCOUNT, REUSE_REFCOUNT, K_V5_18),
	},
	{
		.name = "v5.19",
		.kernels = "5.19",
		.summary =
			"COW fixes part 2: PG_anon_exclusive records that an anonymous page "
			"belongs to one mm (6c287605fd56), and such a page is reused without "
			"looking at counts.  A read-only FOLL_PIN of a page that may be shared "
			"first unshares it with FAULT_FLAG_UNSHARE (c89357e27f20, a7f226604170); "
			"fork, KSM and swapout may clear the bit only on pages that are not "
			"maybe pinned.  The bit survives swapout in the swap PTE (1493a1913e34).  "
			"FOLL_COW still lets FOLL_FORCE follow a dirty read-only PTE.",
		.policy = PL_POLICY(REUSE_REFCOUNT, REUSE_REFCOUNT, K_V5_19),
	},
	{
		.name = "v6.0",
		.kernels = "6.0 - 6.1",
		.summary =
			"5535be309971 removes FOLL_COW: a forced write may follow a read-only "
			"PTE only onto an exclusive anonymous page.  This closes the shmem form "
			"of Dirty COW, where UFFDIO_CONTINUE left a read-only but dirty PTE "
			"that FOLL_FORCE wrote through into a read-only file (CVE-2022-2590).",
		.policy = PL_POLICY(REUSE_REFCOUNT, REUSE_REFCOUNT, K_V6_0),
	},
	{
		.name = "v6.2",
		.kernels = "6.2 - 6.4",
		.summary =
			"088b8aa537c2 pairs the clearing of PG_anon_exclusive with GUP-fast's pin "
			"through full barriers, so one of the two always backs off.  "
			"84209e87c696 with 8d6a0ac09a16: a read-only long-term pin in a private "
			"mapping first replaces a page-cache or zero page by an exclusive "
			"anonymous copy, so the pin follows later writes.",
		.policy = PL_POLICY(REUSE_REFCOUNT, REUSE_REFCOUNT, K_V6_2),
	},
	{
		.name = "v6.5",
		.kernels = "6.5 - 6.8",
		.summary =
			"c8070b787519: pinning the zero page takes no pin reference.  "
			"8ac268436e6d (slow path) and a6e79df92e4a (GUP-fast) refuse a writable "
			"FOLL_LONGTERM pin of a file mapping that needs dirty tracking, such as "
			"MAP_SHARED on ext4.  O_DIRECT holds FOLL_PIN instead of FOLL_GET (about "
			"this release; not re-checked in our notes).  io_uring stops refusing "
			"fixed buffers in file mappings other than shmem and hugetlbfs "
			"(EOPNOTSUPP before) and leaves the check to GUP; Debian's 6.1 refuses "
			"them, its 6.12 does not (`pinlab diff --kernel`).",
		.policy = PL_POLICY(REUSE_REFCOUNT, REUSE_REFCOUNT, K_V6_5),
	},
	{
		.name = "v6.9",
		.kernels = "6.9 - 6.14",
		.summary =
			"cd197c3a2040: a write fault on a page of a PTE-mapped large anonymous "
			"folio (mTHP, or a THP whose PMD was split) that is not PG_anon_exclusive "
			"never reuses the folio; it copies the faulting page into a new small "
			"page.  Before, the small-folio test (refcount 1) reused the folio when "
			"that page was its last mapped one.  Exclusive pages are reused as ever.",
		.policy = PL_POLICY3(REUSE_REFCOUNT, REUSE_REFCOUNT, LARGE_REUSE_NEVER, K_V6_5),
	},
	{
		.name = "v6.15",
		.kernels = "6.15",
		.summary =
			"1da190f4d0a6 with the MM owner tracking of large folios (6af8cb80d3a9): "
			"each large folio remembers up to two mms that map it and a \"maybe mapped "
			"shared\" bit, set when a second mm maps it and cleared when one mm holds "
			"every mapping again.  A write (or unshare) fault on a non-exclusive page "
			"of a PTE-mapped large anonymous folio reuses the whole folio when it is "
			"not maybe mapped shared, more than one page is mapped, and every "
			"reference is a mapping (large mapcount == refcount): only the faulting "
			"page becomes exclusive and writable, nothing is copied.  "
			"CONFIG_NO_PAGE_MAPCOUNT (749492229e3b, optional) stops per-page mapcounts "
			"of large folios; reuse does not depend on it.",
		.policy = PL_POLICY3(REUSE_REFCOUNT, REUSE_REFCOUNT, LARGE_REUSE_MM_ID, K_V6_5),
	},
	{
		.name = "latest",
		.kernels = "6.16 - 6.18",
		.summary =
			"The rules of v6.15 plus the 2025 uprobes rewrite: a breakpoint is written "
			"in place into an exclusive anonymous page obtained by a forced write "
			"fault, instead of swapping in a new page with __replace_page().  The "
			"release that first carries the rewrite is not verified in our notes.  "
			"A write fault on the huge zero page maps a new zeroed THP instead of "
			"splitting the PMD for one small page (found by fuzz-diff on 6.18; from "
			"about v6.13, not re-checked, so 6.13 - 6.15 already behave so).  "
			"This is the kernel of this machine.",
		.policy = PL_POLICY3(REUSE_REFCOUNT, REUSE_REFCOUNT, LARGE_REUSE_MM_ID, K_LATEST),
	},
};

/* The knobs, in struct pl_policy order. */
#define KNOB(field, is_enum_, commit_, doc_)                                          \
	{                                                                             \
		.name = #field, .commit = commit_, .doc = doc_,                       \
		.offset = offsetof(struct pl_policy, field), .is_enum = is_enum_,     \
	}

static const struct pl_knob knobs[] = {
	KNOB(anon_reuse, true, "09854ba94c6a",
	     "do_wp_page() on a small anon folio: reuse when mapcount is 1, or only "
	     "when refcount is 1"),
	KNOB(thp_swap_reuse, true, "3bff7e3f1f16 c145e0b47c77",
	     "the same test for PMD-mapped THP write faults and swap-in (+53a05ad9f21d)"),
	KNOB(dirty_cow, false, "19be0eaffa3a",
	     "true: after a COW fault GUP drops FOLL_WRITE and retries as a read (the bug "
	     "19be0eaffa3a fixed)"),
	KNOB(foll_cow, false, "19be0eaffa3a",
	     "FOLL_FORCE may follow a read-only PTE after a COW fault if the PTE is dirty"),
	KNOB(gup_cow_break_on_read, false, "17839856fd58",
	     "GET/PIN on a COW mapping breaks COW as if writing; GUP-fast skips R/O PTEs"),
	KNOB(foll_pin, false, "eddb1c228f79 3faa52c03f44",
	     "FOLL_PIN exists: a pin adds 1024 (small) or counts in _pincount (large)"),
	KNOB(fork_copy_pinned, false, "70e806e4e645 008cfe4418b3",
	     "fork copies maybe-pinned anon pages for the child in mms that have pinned"),
	KNOB(fork_copy_pinned_hugetlb, false, "4eae4efa2c29",
	     "fork copies maybe-pinned hugetlb pages for the child"),
	KNOB(write_protect_seq, false, "57efa1fe5957",
	     "FOLL_PIN GUP-fast backs off when fork write-protected the mm meanwhile"),
	KNOB(swapout_skip_pinned, false, "feb889fb40fa",
	     "reclaim never adds a maybe-pinned anon folio to the swap cache"),
	KNOB(clear_refs_skip_pinned, false, "9348b73c2e1b",
	     "clear_refs (soft-dirty) leaves maybe-pinned pages writable"),
	KNOB(anon_exclusive, false, "6c287605fd56",
	     "PG_anon_exclusive: an exclusive anon page is reused without count tests"),
	KNOB(gup_unshare, false, "c89357e27f20 a7f226604170",
	     "a R/O FOLL_PIN of a possibly shared anon page unshares it first"),
	KNOB(swp_exclusive, false, "1493a1913e34",
	     "a swap PTE remembers that the page it replaced was exclusive"),
	KNOB(foll_force_needs_exclusive, false, "5535be309971",
	     "FOLL_FORCE may write through a R/O PTE only to an exclusive anon page"),
	KNOB(exclusive_clear_barrier, false, "088b8aa537c2",
	     "clearing PG_anon_exclusive re-checks for a racing GUP-fast pin"),
	KNOB(longterm_unshare_cow, false, "84209e87c696 8d6a0ac09a16",
	     "a R/O long-term pin in a COW mapping unshares page-cache and zero pages"),
	KNOB(zero_page_never_pinned, false, "c8070b787519",
	     "pinning the zero page changes no reference counts"),
	KNOB(longterm_file_write_refused, false, "8ac268436e6d a6e79df92e4a",
	     "no writable FOLL_LONGTERM pin of a file mapping that needs dirty tracking"),
	KNOB(uprobes_write_in_place, false, "uprobes rewrite (2025)",
	     "uprobes writes the breakpoint into an exclusive anon page, no __replace_page"),
	KNOB(gup_fast_recheck_pte, false, "always",
	     "GUP-fast re-reads the PTE after taking its reference and backs off if it moved"),
	KNOB(dio_uses_pin, false, "~v6.5 (not re-checked)",
	     "O_DIRECT takes FOLL_PIN references instead of FOLL_GET"),
	KNOB(legacy_put_without_dirty, false, "before FOLL_PIN",
	     "long-term FOLL_GET users release with put_page() and may not dirty the page"),
	KNOB(iouring_file_buffers, false, "~v6.5 (not re-checked)",
	     "io_uring takes fixed buffers in any file mapping (before: shmem and hugetlbfs only)"),
	KNOB(huge_zero_wp_thp, false, "~v6.13 (not re-checked)",
	     "a write fault on the huge zero page maps a new zeroed THP, no PMD split"),
	KNOB(large_anon_reuse, true, "cd197c3a2040 1da190f4d0a6",
	     "do_wp_page() on a PTE-mapped large anon folio: refcount (the small test), "
	     "never (copy the page, v6.9), mm_id (reuse if all refs are this mm's maps, v6.15)"),
};

#undef KNOB

/* Every field of struct pl_policy is one byte and has exactly one knob. */
_Static_assert(sizeof(struct pl_policy) == PL_ARRAY_SIZE(knobs),
	       "struct pl_policy changed: update knobs[] and PL_POLICY()");

/**
 * pl_presets() - the era presets, oldest first.
 * @n: receives the number of presets (may be NULL)
 */
const struct pl_preset *pl_presets(int *n)
{
	if (n)
		*n = (int)PL_ARRAY_SIZE(presets);
	return presets;
}

/**
 * pl_preset_index() - position of a preset in era order.
 * @name: "v5.9", "5.9" or "latest"
 *
 * Return: 0 for the oldest preset, increasing with time; -1 if unknown.
 */
int pl_preset_index(const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < PL_ARRAY_SIZE(presets); i++) {
		const char *p = presets[i].name;

		if (strcasecmp(name, p) == 0)
			return (int)i;
		/* "5.9" for "v5.9": users type versions as uname prints them */
		if (p[0] == 'v' && isdigit((unsigned char)name[0]) && strcmp(name, p + 1) == 0)
			return (int)i;
	}
	return -1;
}

const struct pl_preset *pl_preset_find(const char *name)
{
	int i = pl_preset_index(name);

	return i < 0 ? NULL : &presets[i];
}

/* "6.18.44-fc" -> {6, 18, 44}; returns how many numbers were read (0..3). */
static int kernel_version(const char *s, unsigned long v[3])
{
	int n = 0;

	v[0] = v[1] = v[2] = 0;
	while (n < 3 && *s >= '0' && *s <= '9') {
		unsigned long x = 0;

		while (*s >= '0' && *s <= '9')
			x = x * 10 + (unsigned long)(*s++ - '0');
		v[n++] = x;
		if (*s != '.')
			break;
		s++;
	}
	return n;
}

/*
 * The era of a kernel release: the first preset whose range ends at or
 * after it.  A range's end is the last version in its `kernels` text
 * ("4.8.3 - 5.7" ends at 5.7, which takes every 5.7.x); releases after the
 * newest range are the newest preset's.
 */
const struct pl_preset *pl_preset_for_kernel(const char *release)
{
	unsigned long v[3], end[3];
	int n = (int)PL_ARRAY_SIZE(presets);

	if (kernel_version(release, v) < 2)
		return &presets[n - 1];
	for (int i = 0; i < n; i++) {
		const char *last = presets[i].kernels, *p;
		int m, j;

		for (p = last; *p; p++)
			if ((p == presets[i].kernels || p[-1] == ' ') && *p >= '0' && *p <= '9')
				last = p;
		m = kernel_version(last, end);
		for (j = 0; j < m && v[j] == end[j]; j++)
			;
		if (j == m || v[j] < end[j])
			return &presets[i];
	}
	return &presets[n - 1];
}

const struct pl_knob *pl_knobs(int *n)
{
	if (n)
		*n = (int)PL_ARRAY_SIZE(knobs);
	return knobs;
}

static const struct pl_knob *knob_find(const char *name)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(knobs); i++)
		if (strcmp(knobs[i].name, name) == 0)
			return &knobs[i];
	return NULL;
}

static const char *const large_reuse_names[] = {
	[LARGE_REUSE_REFCOUNT] = "refcount",
	[LARGE_REUSE_NEVER] = "never",
	[LARGE_REUSE_MM_ID] = "mm_id",
};

const char *pl_policy_knob_value(const struct pl_policy *p, const struct pl_knob *k)
{
	const unsigned char *field = (const unsigned char *)p + k->offset;

	if (k->is_enum)
		return k->offset == offsetof(struct pl_policy, large_anon_reuse)
			       ? large_reuse_names[*field < 3 ? *field : 0]
			       : *field == REUSE_REFCOUNT ? "refcount" : "mapcount";
	return *(const bool *)field ? "true" : "false";
}

/* Parse a boolean knob value; -1 if it is none of the accepted spellings. */
static int parse_bool(const char *s)
{
	static const char *const yes[] = { "true", "1", "on", "yes" };
	static const char *const no[] = { "false", "0", "off", "no" };

	for (size_t i = 0; i < PL_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

static int parse_large_reuse(const char *s)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(large_reuse_names); i++)
		if (strcasecmp(s, large_reuse_names[i]) == 0)
			return (int)i;
	return -1;
}

static int parse_reuse(const char *s)
{
	if (strcasecmp(s, "mapcount") == 0)
		return REUSE_MAPCOUNT;
	if (strcasecmp(s, "refcount") == 0)
		return REUSE_REFCOUNT;
	return -1;
}

/* Strip blanks at both ends of s, in place. */
static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/**
 * pl_policy_set() - apply one "knob=value" assignment (--set).
 * @p: the policy to change; left untouched on error
 * @assignment: "anon_reuse=mapcount", "gup_unshare=false" ...
 * @err: receives a one-line message on error (may be NULL)
 * @errlen: size of @err
 *
 * Return: 0, or -EINVAL for a malformed assignment, an unknown knob or a
 * value the knob does not take.
 */
int pl_policy_set(struct pl_policy *p, const char *assignment, char *err, size_t errlen)
{
	char buf[128];
	const struct pl_knob *k;
	char *eq, *name, *value;
	bool large;
	int v;

	if (!err)
		errlen = 0;
	if (!assignment || strlen(assignment) >= sizeof(buf)) {
		if (errlen)
			snprintf(err, errlen, "expected knob=value, found '%.60s'",
				 assignment ? assignment : "");
		return -EINVAL;
	}
	strcpy(buf, assignment);
	eq = strchr(buf, '=');
	if (!eq) {
		if (errlen)
			snprintf(err, errlen, "expected knob=value, found '%s'", buf);
		return -EINVAL;
	}
	*eq = '\0';
	name = trim(buf);
	value = trim(eq + 1);
	/* "gup-unshare" reads like the invariant names; accept it too */
	for (char *c = name; *c; c++)
		if (*c == '-')
			*c = '_';
	k = knob_find(name);
	if (!k) {
		if (errlen)
			snprintf(err, errlen, "unknown knob '%s'", name);
		return -EINVAL;
	}
	large = k->offset == offsetof(struct pl_policy, large_anon_reuse);
	v = large ? parse_large_reuse(value) : k->is_enum ? parse_reuse(value) : parse_bool(value);
	if (v < 0) {
		if (errlen)
			snprintf(err, errlen, "bad value '%s' for knob '%s' (expected %s)", value,
				 k->name, large ? "refcount, never or mm_id"
				 : k->is_enum ? "mapcount or refcount" : "true or false");
		return -EINVAL;
	}
	if (k->is_enum)
		*((uint8_t *)p + k->offset) = (uint8_t)v;
	else
		*(bool *)((unsigned char *)p + k->offset) = v != 0;
	return 0;
}

/**
 * pl_rule_reuse() - the reuse rule in force, as the "rule" of an event.
 * @w: the world
 * @thp_or_swap: the PMD THP / swap-in path (knob thp_swap_reuse) rather
 *	than the small-folio do_wp_page path (knob anon_reuse)
 */
const char *pl_rule_reuse(const struct world *w, bool thp_or_swap)
{
	static const char *const rules[2][2] = {
		{ "anon_reuse=mapcount", "anon_reuse=refcount" },
		{ "thp_swap_reuse=mapcount", "thp_swap_reuse=refcount" },
	};
	uint8_t r = thp_or_swap ? w->policy.thp_swap_reuse : w->policy.anon_reuse;

	return rules[thp_or_swap][r == REUSE_REFCOUNT];
}
