/*
 * Era policy: the rules of GUP, pinning and COW that changed over time, as
 * named knobs, and the presets that bundle them per kernel release.
 *
 * The model never asks "which kernel is this?".  Each place where history
 * changed a decision reads one field of struct pl_policy, named for the rule
 * (anon_reuse, gup_unshare, fork_copy_pinned ...), so `--set knob=value` can
 * move a single rule into another era and show what that one rule buys.
 *
 * The knob table below is the one source of history: every knob carries the
 * first mainline release that has its rule, the last one (when a later
 * commit took it back), the stable releases that took it earlier or dropped
 * it earlier, and where those releases were checked.  pl_release_policy()
 * turns any release of 4.8 - 6.18 into a struct pl_policy from that table
 * alone.  The named presets are derived from it too: walking the mainline
 * releases 4.8, 4.9 ... 6.18, a new checkpoint starts wherever the rules
 * change, named "v" + its first release ("latest" for the newest).  Only the
 * prose of each checkpoint (checkpoint_summaries[]) is written by hand, and
 * a unit test keeps it in step with the derived list.
 *
 * Over 900 lines: most of it is the knob table, one row per rule with its
 * releases and sources; the derivation that reads it stays beside it so
 * that the table remains the one source of history.
 */
#include "internal.h"

#include <ctype.h>
#include <pthread.h>
#include <strings.h>

/* The knobs, in struct pl_policy order. */
#define KNOB(field, is_enum_, commit_, doc_, first_, last_, stable_, source_)      \
	KNOBS(field, is_enum_, commit_, doc_, first_, last_, stable_, source_, NULL)
/* An enum knob with more than two values: one more step at each release of steps_. */
#define KNOBS(field, is_enum_, commit_, doc_, first_, last_, stable_, source_, steps_) \
	{                                                                          \
		.name = #field, .commit = commit_, .doc = doc_,                    \
		.offset = offsetof(struct pl_policy, field), .is_enum = is_enum_,  \
		.first = first_, .last = last_, .stable = stable_,                 \
		.source = source_, .steps = steps_,                                \
	}

/*
 * Sources named below: "Debian 6.1" and "Debian 6.12" are the trees of
 * linux-source-6.1 (6.1.192) and linux-source-6.12 (6.12.118), and their
 * changelog.Debian, whose "New upstream stable update" entries list every
 * patch of the stable releases Debian shipped (5.2.y - 6.1.y, 6.12.y).  A
 * rule that the 6.1 tree has but that no 6.0.y/5.19.y entry lists arrived in
 * mainline 6.1, and so on.  "Pull" is the merge-window pull request or the
 * maintainer's note that names the patch.
 */
static const struct pl_knob knobs[] = {
	KNOB(anon_reuse, true, "09854ba94c6a",
	     "do_wp_page() on a small anon folio: reuse when mapcount is 1, or only "
	     "when refcount is 1", "5.9", NULL, NULL,
	     "verified: Linus merged Peter Xu's series (merge b25d1dc9474e, 4 Sep 2020) \"after "
	     "-rc3\" of 5.9, with a308c71bf1e6; so 5.9-rc4. No 5.8.y entry in Debian's changelog"),
	KNOB(thp_swap_reuse, true, "3bff7e3f1f16 c145e0b47c77",
	     "the same test for PMD-mapped THP write faults and swap-in (+53a05ad9f21d)",
	     "5.18", NULL, NULL,
	     "verified: the three are in linux-next's next-20220328 push beside the 5.18 "
	     "merge-window pulls (5.17 was tagged 20 Mar 2022), so 5.18-rc1; no 5.17.y entry "
	     "in Debian's changelog"),
	KNOB(dirty_cow, false, "19be0eaffa3a",
	     "true: after a COW fault GUP drops FOLL_WRITE and retries as a read (the bug "
	     "19be0eaffa3a fixed)", NULL, "4.8", "4.8.3",
	     "CVE-2016-5195: 19be0eaffa3a (committed 13 Oct 2016, 4.9-rc1) fixed it; verified "
	     "4.8.3: the 4.8.y history in a stored vendor kernel changelog (an open-power "
	     "host-os kernel.spec, \"Merge tag v4.8.3\") lists the backport (89eeba1) as the "
	     "last patch under \"Linux 4.8.3\" (1888926), after \"Linux 4.8.2\" (cb5d016), "
	     "and linuxkit's \"Update Linux kernel to 4.8.3\" (PR 624, 21 Oct 2016) gives "
	     "\"Fix Dirty COW\" as its reason"),
	KNOB(foll_cow, false, "19be0eaffa3a",
	     "FOLL_FORCE may follow a read-only PTE after a COW fault if the PTE is dirty",
	     "4.9", "5.19", "4.8.3 5.19.6",
	     "added with the Dirty COW fix (4.9, 4.8.3); removed by 5535be309971 in 6.0 "
	     "and in 5.19.6 (Debian changelog, 5.19.6 entry)"),
	KNOB(gup_cow_break_on_read, false, "17839856fd58",
	     "GET/PIN on a COW mapping breaks COW as if writing; GUP-fast skips R/O PTEs",
	     "5.8", "5.8", NULL,
	     "verified: a bisection between \"Merge tag 'docs-5.8'\" and the 5.8 merge-window "
	     "head tests 17839856fd58 (lkml, Jun 2020), so it is not in 5.7: 5.8-rc1; "
	     "a308c71bf1e6 left with merge b25d1dc9474e (5.9-rc4); no 5.8.y entry"),
	KNOB(foll_pin, false, "3faa52c03f44",
	     "FOLL_PIN is counted: a pin adds 1024 (small) or counts in _pincount (large)",
	     "5.7", NULL, NULL,
	     "verified: Alex Williamson's vfio regression report of 24 Apr 2020 (the 5.7-rc "
	     "cycle; 5.6 was tagged 29 Mar) bisects to 3faa52c03f44 \"mm/gup: track FOLL_PIN "
	     "pages\", so 5.7-rc1; eddb1c228f79 (5.6) only added the flag, and 5.6's "
	     "pin_user_pages() took plain references"),
	KNOB(fork_copy_pinned, false, "70e806e4e645 008cfe4418b3",
	     "fork copies maybe-pinned anon pages for the child in mms that have pinned",
	     "5.9", NULL, NULL,
	     "verified: both reach mainline right after \"Merge tag 'timers-urgent-2020-09-27'\" "
	     "(kernel.org post-receive log), between 5.9-rc6 and 5.9-rc7; no 5.8.y entry"),
	KNOB(fork_copy_pinned_hugetlb, false, "4eae4efa2c29",
	     "fork copies maybe-pinned hugetlb pages for the child", "5.12", NULL, NULL,
	     "verified: v5 posted 17 Feb 2021, after 5.11 was tagged (14 Feb); kernel.org's "
	     "post-receive revlist of 31 Mar 2021 (tnguy/next-queue rebased on mainline) lists "
	     "4eae4efa2c29 in akpm's batch among the 5.12-rc3 merges (sound-5.12-rc3, "
	     "usb-5.12-rc3), so 5.12-rc3; no 5.11.y stable entry"),
	KNOB(write_protect_seq, false, "57efa1fe5957",
	     "FOLL_PIN GUP-fast backs off when fork write-protected the mm meanwhile",
	     "5.11", NULL, "5.10.4",
	     "5.11-rc1; Debian changelog: in stable 5.10.4"),
	KNOB(swapout_skip_pinned, false, "feb889fb40fa",
	     "reclaim never adds a maybe-pinned anon folio to the swap cache", "5.11", NULL,
	     "5.10.9", "5.11-rc5; Debian changelog: in stable 5.10.9"),
	KNOB(clear_refs_skip_pinned, false, "9348b73c2e1b",
	     "clear_refs (soft-dirty) leaves maybe-pinned pages writable", "5.11", NULL,
	     "5.10.9", "5.11-rc5; Debian changelog: in stable 5.10.9"),
	KNOB(anon_exclusive, false, "6c287605fd56",
	     "PG_anon_exclusive: an exclusive anon page is reused without count tests",
	     "5.19", NULL, NULL,
	     "verified: akpm's mm-stable took it on 10 May 2022 (kernel.org post-receive log, "
	     "with c89357e27f20, a7f226604170, 1493a1913e34), before 5.18 was tagged (22 May), "
	     "for the 5.19 merge window; no 5.18.y entry"),
	KNOB(gup_unshare, false, "c89357e27f20 a7f226604170",
	     "a R/O FOLL_PIN of a possibly shared anon page unshares it first", "5.19", NULL,
	     NULL, "verified: in the same mm-stable push as 6c287605fd56 (10 May 2022): 5.19-rc1"),
	KNOB(swp_exclusive, false, "1493a1913e34",
	     "a swap PTE remembers that the page it replaced was exclusive", "5.19", NULL,
	     NULL, "verified: in the same mm-stable push as 6c287605fd56 (10 May 2022): 5.19-rc1"),
	KNOB(foll_force_needs_exclusive, false, "5535be309971",
	     "FOLL_FORCE may write through a R/O PTE only to an exclusive anon page", "6.0",
	     NULL, "5.19.6", "6.0-rc3; Debian changelog: in stable 5.19.6"),
	KNOB(exclusive_clear_barrier, false, "088b8aa537c2",
	     "clearing PG_anon_exclusive re-checks for a racing GUP-fast pin", "6.1", NULL,
	     NULL,
	     "Debian 6.1's page_try_share_anon_rmap() has the smp_mb() pair; no 6.0.y or "
	     "5.19.y stable entry, so 6.1-rc1"),
	KNOB(longterm_unshare_cow, false, "84209e87c696 8d6a0ac09a16",
	     "a R/O long-term pin in a COW mapping unshares page-cache and zero pages", "6.2",
	     NULL, NULL,
	     "Debian 6.1's gup_must_unshare() has no vma argument yet, Debian 6.12's has; "
	     "no 6.1.y entry; 6.2-rc1"),
	KNOB(zero_page_never_pinned, false, "c8070b787519",
	     "pinning the zero page changes no reference counts", "6.5", NULL, "6.1.130",
	     "verified: merged with the direct-io.c pinning series (1101fb8f89e5, "
	     "1ccf164ec866) on for-6.5/block, and the regzbot report on its 6.1.y backport "
	     "(476c1dfefab8, Apr 2025) calls c8070b787519 \"from 6.5-rc1\"; Debian "
	     "changelog: in stable 6.1.130, and Debian 6.1's try_grab_folio() skips the zero "
	     "page"),
	KNOB(longterm_file_write_refused, false, "8ac268436e6d a6e79df92e4a",
	     "no writable FOLL_LONGTERM pin of a file mapping that needs dirty tracking",
	     "6.5", NULL, NULL,
	     "verified: kernel.org's post-receive log of 28 Jun 2023 (groeck/linux-staging "
	     "master following mainline, three days after 6.4 was tagged) lists both among "
	     "the 6.5 merge window's mm batch (with cachestat, 34ed8d0dcd69), so 6.5-rc1; "
	     "Debian 6.12 has writable_file_mapping_allowed(), Debian 6.1 not"),
	KNOB(uprobes_write_in_place, false, "6e3092d788be",
	     "uprobes writes the breakpoint into an exclusive anon page, no __replace_page",
	     "6.16", NULL, NULL,
	     "verified: 6e3092d788be (\"kernel/events/uprobes: uprobe_write_opcode() "
	     "rewrite\") is the mainline hash: kernel.org's post-receive logs of two trees "
	     "that pulled mainline after the 6.16 mm merge (sj/linux master, 1 Jun 2025; "
	     "tj/cgroup for-next, 3 Jun 2025) list it with the mm-stable batch, and David "
	     "Hildenbrand names the rework by that hash on lkml (11 Jul 2025).  It is in "
	     "akpm's \"[GIT PULL] MM updates for 6.16-rc1\" (mm-stable-2025-05-31-14-50), "
	     "after 6.15 (25 May 2025): 6.16-rc1; 84b0ec81e1a1 and b5cc37664980 were "
	     "mm-unstable hashes of it; Debian 6.12 still has __replace_page()"),
	KNOB(gup_fast_recheck_pte, false, "2667f50e8b81",
	     "GUP-fast re-reads the PTE after taking its reference and backs off if it moved",
	     NULL, NULL, NULL,
	     "in the generic GUP-fast since 3.19; x86 used its own IRQs-off walker without "
	     "the re-check until e585513b76f7 (4.13, named by a 4.13.y stable Fixes: tag). "
	     "Verified in a 4.8 tree (WindRiver-Labs/kernel-4.8.x): arch/x86/mm/gup.c "
	     "takes the reference with IRQs off and never re-reads the PTE, so the "
	     "TLB-flush IPI of the unmapper waits for it.  The model has no IPI; keeping the "
	     "re-check on in 4.8 - 4.12 gives the outcome the IPI gives on x86"),
	KNOB(dio_uses_pin, false, "a7e689dd1c06",
	     "O_DIRECT takes FOLL_PIN references instead of FOLL_GET", "6.5", NULL, NULL,
	     "verified: kernel.org's post-receive log of axboe/linux-block (24 May 2023) "
	     "lists a7e689dd1c06 as new on for-6.5/block (with fd363244e883, e51bab4e2058, "
	     "403b6fb8dac1), not on the 6.4-rc base, so 6.5-rc1.  The for-6.3/iov-extract "
	     "branch of Feb 2023 carried earlier versions under other hashes (920756a3306a) "
	     "that mainline never took; was 6.3 here before.  Debian 6.1 calls "
	     "iov_iter_get_pages2(), Debian 6.12 iov_iter_extract_pages(); fs/direct-io.c "
	     "followed in the same 6.5 series"),
	KNOB(iouring_file_buffers, false, "34ed8d0dcd69",
	     "io_uring takes fixed buffers in any file mapping (before: shmem and hugetlbfs only)",
	     "6.5", NULL, NULL,
	     "verified: with the GUP vmas-removal series in the 6.5 merge window (the same "
	     "28 Jun 2023 post-receive log as 8ac268436e6d, after 54d020692b34); Debian "
	     "6.1's io_pin_pages() refuses with EOPNOTSUPP, Debian 6.12's leaves it to GUP"),
	KNOB(huge_zero_wp_thp, false, "1ced09e0331f",
	     "a write fault on the huge zero page maps a new zeroed THP, no PMD split",
	     "6.13", NULL, NULL,
	     "verified: Dev Jain's \"mm: allocate THP on hugezeropage wp-fault\" is in akpm's "
	     "\"[GIT PULL] MM updates for 6.13-rc1\" (tag mm-stable-2024-11-18-19-27), which "
	     "the pr-tracker bot reports merged as 5c00ff742bf5 on 23 Nov 2024, after 6.12 "
	     "was tagged; Debian 6.12's do_huge_pmd_wp_page() still falls back to a split "
	     "for the huge zero PMD"),
	KNOBS(large_anon_reuse, true, "cd197c3a2040 1da190f4d0a6",
	      "do_wp_page() on a PTE-mapped large anon folio: refcount (the small test), "
	      "never (copy the page, v6.9), mm_id (reuse if all refs are this mm's maps, v6.15)",
	      "6.9", NULL, NULL,
	      "verified: cd197c3a2040 (\"mm: prohibit the last subpage from reusing the "
	      "entire large folio\") follows \"Merge tag 'thermal-6.9-rc1'\" in kernel.org's "
	      "post-receive logs of mainline, so 6.9-rc1; 1da190f4d0a6 (\"mm: Copy-on-Write "
	      "(COW) reuse support for PTE-mapped THP\", with 6af8cb80d3a9) was pushed to "
	      "akpm's mm-stable on 18 Mar 2025, before 6.14 was tagged (24 Mar), so 6.15-rc1. "
	      "Debian 6.1 has the small-folio test only; Debian 6.12's "
	      "wp_can_reuse_anon_folio() refuses every large folio", "6.9 6.15"),
	KNOB(io_uring, false, "2b188cc1bb85",
	     "io_uring exists (before: io_uring_setup() and _register() fail with ENOSYS)",
	     "5.1", NULL, NULL,
	     "verified: io_uring_register(2) (liburing 2.3) gives IORING_REGISTER_BUFFERS "
	     "\"Available since 5.1\"; the interface and its fixed buffers came together in "
	     "the 5.1 merge window"),
	KNOB(iouring_shmem_buffers, false, "40dad765c045",
	     "io_uring fixed buffers may lie in shmem/memfd (before: EOPNOTSUPP, hugetlbfs "
	     "only)", "5.14", NULL, NULL,
	     "\"io_uring: enable shmem/memfd memory registration\" is in Jens Axboe's pull "
	     "\"io_uring updates for 5.14-rc1\""),
	KNOB(madv_wipeonfork, false, "d2cd9ede6e19",
	     "MADV_WIPEONFORK and MADV_KEEPONFORK exist (before: EINVAL)", "4.14", NULL,
	     NULL, "verified: madvise(2) (man-pages 6.03) \"since Linux 4.14\"; committed "
	     "6 Sep 2017, after 4.13 was tagged (3 Sep), and the man-page patch says it "
	     "\"should be in the 4.14 kernel\""),
	KNOB(madv_cold_pageout, false, "9c276cc65a58 1a4e58cce84e",
	     "MADV_COLD and MADV_PAGEOUT exist (before: EINVAL)", "5.4", NULL, NULL,
	     "verified: madvise(2) (man-pages 6.03) gives both \"since Linux 5.4\"; Minchan "
	     "Kim's series went through akpm's tree in the 5.4 merge window"),
	KNOB(madv_populate, false, "4ca9b3859dac",
	     "MADV_POPULATE_READ and MADV_POPULATE_WRITE exist (before: EINVAL)", "5.14",
	     NULL, NULL,
	     "verified: madvise(2) (man-pages 6.03) gives both \"since Linux 5.14\", and a v5.13 "
	     "mm/madvise.c (kernel mirror at the v5.13 tag) has no MADV_POPULATE_*"),
	KNOB(hugetlb_mremap, false, "550a7d60bd5e",
	     "mremap() moves hugetlb mappings (before: EINVAL); growing one stays EINVAL", "5.16", NULL,
	     NULL, "verified: kernel.org's post-receive revlist of acme/linux perf/core (14 "
	     "Nov 2021, rebased on the 5.16 merge window) lists 550a7d60bd5e beside "
	     "8531fc6f52f5 (hugetlb demote, 5.16) and the for-5.16 merges; Mina Almasry's "
	     "patch (Link 13 Oct 2021, after 5.15-rc5) went "
	     "through akpm's tree, and 90e7e7f5ef3f (5.18) calls it \"recently added\"; the "
	     "5.16 merge window is the first after it; Debian 6.1 has move_hugetlb_page_tables()"),
	KNOB(hugetlb_madv_dontneed, false, "90e7e7f5ef3f",
	     "MADV_DONTNEED zaps hugetlb mappings (before: EINVAL, like VM_LOCKED)", "5.18",
	     NULL, NULL,
	     "verified: madvise(2) (man-pages 6.03): \"Support for Huge TLB pages was added in "
	     "Linux v5.18\"; its follow-up fix is in stable 6.0.7 (Debian changelog)"),
	KNOB(madv_collapse, false, "7d8faaf15545",
	     "MADV_COLLAPSE exists (before: EINVAL)", "6.1", NULL, NULL,
	     "verified: madvise(2) (man-pages 6.03) \"since Linux 6.1\"; committed to mm-stable "
	     "11 Sep 2022 as a feature, not a hotfix (6.0 was tagged 2 Oct); Debian's "
	     "6.1.8-6.1.13 entries fix it, no 6.0.y entry has it"),
	KNOB(thp_split_zero_remap, false, "b1f202060afe",
	     "splitting an anon THP maps its zero-filled subpages to the shared zero page",
	     "6.12", NULL, NULL,
	     "verified: \"mm: remap unused subpages to shared zeropage when splitting "
	     "isolated thp\" is part of Yu Zhao's and Usama Arif's \"mm: split underused "
	     "THPs\" (with dafff3f4c850; v5 posted 30 Aug 2024), which akpm's \"[GIT PULL] "
	     "MM updates for 6.12-rc1\" (20 Sep 2024) lists, so 6.12-rc1; Debian 6.12's "
	     "__split_huge_page() "
	     "remaps with RMP_USE_SHARED_ZEROPAGE and 6.12.54 fixes it, Debian 6.1 has "
	     "neither"),
	KNOB(hugetlb_force_write_refused, false, "1d8d14641fd9 f347454d0341",
	     "a FOLL_FORCE write into a R/O private hugetlb mapping (/proc/pid/mem, ptrace) "
	     "fails (EIO from mem_rw())", "6.0", "6.13", NULL,
	     "1d8d14641fd9's hugetlb_wp() sanity check (6.0) made such a fault fail, and "
	     "f347454d0341 (6.2, stable 6.1.2) refuses it in check_vma_flags(); Debian 6.1 "
	     "and 6.12 have that check; verified: 052ccfbcc6cd (\"mm/hugetlb: support "
	     "FOLL_FORCE|FOLL_WRITE\", Guillaume Morin, v4 Dec 2024) lifts it: kernel.org's "
	     "post-receive log of torvalds/linux master of 27 Jan 2025 (the 6.14 merge "
	     "window; 6.13 was tagged 19 Jan 2025) lists it in the mm-stable batch, after "
	     "\"mm: perform all memfd seal checks in a single place\", so 6.14-rc1"),
	KNOB(memfd_secret, false, "1507f51255c9",
	     "memfd_secret() exists (before: ENOSYS), and no GUP may reach its memory "
	     "(check_vma_flags() -> vma_is_secretmem(): EFAULT)", "5.14", NULL, NULL,
	     "\"mm: introduce memfd_secret system call to create secret memory areas\" in "
	     "the 5.14 mm pull; Debian 6.1 and 6.12 have vma_is_secretmem() in "
	     "check_vma_flags(); verified: memfd_secret(2) (man-pages 6.03): \"first appeared "
	     "in Linux 5.14\""),
	KNOB(reclaim_skip_pinned, false, "d824ec2a1546",
	     "reclaim neither pages out nor frees an unmapped maybe-pinned folio (anon, shmem, "
	     "file): it goes back to the active list", "6.4", NULL, "6.1.28 6.2.15",
	     "\"mm: do not reclaim private data from pinned page\" (Jan Kara) is listed before "
	     "\"Linux 6.4-rc1\" in mainline's log; Debian 6.1's changelog lists it under the "
	     "6.1.28 update, and it was queued as 6.2 stable patch 620/663 (6.2.15); Debian "
	     "6.1 and 6.12 shrink_folio_list() both have it. feb889fb40fa (5.11) had only "
	     "the anon check before add_to_swap()"),
	KNOB(uffd_wp, false, "63b2d4174c4a",
	     "userfaultfd write-protect mode exists (UFFDIO_REGISTER_MODE_WP, UFFDIO_WRITEPROTECT; "
	     "before: EINVAL); anonymous memory, PTE bit kept through swap", "5.7", NULL, NULL,
	     "\"userfaultfd: wp: add the writeprotect API to userfaultfd ioctl\" and the rest of "
	     "Peter Xu's uffd-wp series (swap and migration entries: f45ec5ff16a7), merged for "
	     "5.7-rc1; verified: ioctl_userfaultfd(2) and userfaultfd(2) (man-pages 6.03): "
	     "UFFDIO_WRITEPROTECT and UFFDIO_REGISTER_MODE_WP \"since Linux 5.7\""),
	KNOB(uffd_wp_fork_fixed, false, "8f34f1eac382",
	     "fork keeps uffd-wp only where the child's vma is armed (UFFD_FEATURE_EVENT_FORK), "
	     "on swap entries too, and on the copy of a maybe-pinned page (before: keyed on the "
	     "parent's vma, and the copy lost it)", "5.14", NULL, "5.10.53 5.13.5",
	     "\"mm/userfaultfd: fix uffd-wp special cases for fork()\" is in mainline between 5.13 "
	     "and 5.14-rc1 (its stable thread); a bisect in that thread finds its 5.10.y backport "
	     "between 5.10.52 and 5.10.53; verified 5.13.5: the stable-queue bot's queue/5.13 "
	     "(linux-stable-rc, 22 Jul 2021) and Greg's 5.13.5-rc1 review list it, and "
	     "kernel.org's post-receive log of linux-5.13.y (25 Jul 2021) lists ac1714556003 "
	     "before \"Linux 5.13.5\" (25423f4bd9a9); 5.12.y was end of life"),
	KNOB(gup_fast_recheck_pmd, false, "70cbc3cc78a9",
	     "GUP-fast re-reads the PMD after taking its reference and backs off if a THP "
	     "collapse cleared it (before: only the PTE, which collapse clears last)",
	     "6.0", NULL, "5.10.148 5.15.73 5.19.14",
	     "verified: Linus merged it with tag mm-hotfixes-stable-2022-09-26 beside "
	     "x86_urgent_for_v6.0-rc8 (kernel.org post-receive log, 27 Sep 2022), so 6.0, not "
	     "6.1; Debian 6.1's gup_pte_range() has the pmd test. Stable: Greg's \"5.10.148 "
	     "review\" (5.10.148-rc1, released 15 Oct 2022) lists Yang Shi's patch, and "
	     "kernel.org's post-receive log of linux-stable (15 Oct 2022, linux-rolling-lts) "
	     "lists 46c22e7b094f before \"Linux 5.15.73\"; verified: Greg's \"Linux 5.19.14\" "
	     "announcement (5 Oct 2022) lists Yang Shi's patch (mm/gup.c), so 5.19.14 "
	     "(the bot's queue/5.19 push of 7 Oct 2022 lists only what it added). The race needs "
	     "an architecture whose TLB flush sends no IPI (RCU GUP-fast, 2667f50e8b81); the "
	     "model does not model the IPI"),
	KNOB(collapse_needs_writable, false, "10359213d05a",
	     "khugepaged and MADV_COLLAPSE refuse a PMD range with no writable PTE "
	     "(SCAN_PAGE_RO; MADV_COLLAPSE: EINVAL)", NULL, "6.17", NULL,
	     "verified: the rule in this form (at least one writable PTE) is 10359213d05a "
	     "(\"mm: incorporate read-only pages into transparent huge pages\", committed 11 "
	     "Feb 2015), which an lkml bisection \"from v3.19 to v4.0\" names first bad: "
	     "4.0 (before, every PTE had to be writable); the result got the name "
	     "SCAN_PAGE_RO with the khugepaged tracepoints, 7d2eba0557c1 (committed 14 Jan "
	     "2016, 4.5).  Both predate 4.8, so the rule is on from 4.8.  Read in Debian 6.1 "
	     "and 6.12 (hpage_collapse_scan_pmd(), __collapse_huge_page_isolate(), not tied "
	     "to cc->is_khugepaged).  Removed by Dev Jain's 62b98015d988 (\"mm: enable "
	     "khugepaged anonymous collapse on non-writable regions\") and 473b73222f3d "
	     "(\"mm: drop all references of writable and SCAN_PAGE_RO\"): kernel.org's "
	     "post-receive log of torvalds/linux master of 3 Oct 2025 (6.17 was tagged 28 "
	     "Sep 2025) lists both, so 6.18-rc1 and 6.17 is the last release with the rule; "
	     "measured here: this machine's 6.18.44 collapses such a range into a new THP "
	     "(MADV_COLLAPSE returns 0, the pfn changes, the child keeps its data)"),
	KNOB(per_vma_lock, false, "0bff0aaea03e",
	     "a page fault takes only its vma's lock (lock_vma_under_rcu()), not mmap_lock; "
	     "vma changes vma_start_write() the vmas they touch", "6.4", NULL, NULL,
	     "verified: Suren Baghdasaryan's series (v4 posted 27 Feb 2023) was in the 6.4 "
	     "merge window, and the fork fix's Fixes: tag names 0bff0aaea03e (\"x86/mm: try "
	     "VMA lock-based page fault handling first\") with Cc: stable for 6.4.y; Debian "
	     "6.1's mm/memory.c has no lock_vma_under_rcu(), Debian 6.12's has it"),
	KNOB(fork_locks_vmas, false, "fb49c455323f",
	     "dup_mmap() vma_start_write()s each parent vma before copying it, so a fault "
	     "under the per-VMA lock cannot run during fork", "6.5", NULL, "6.4.3",
	     "verified: \"fork: lock VMAs of the parent process when forking\" (2b4f3b4987b5, "
	     "with \"mm: disable CONFIG_PER_VMA_LOCK until its fixed\") and \"..., again\" "
	     "(fb49c455323f) reached mainline in the 6.5 merge window (6.4 was tagged 25 Jun "
	     "2023); kernel.org's post-receive log of linux-6.4.y lists both before \"Linux "
	     "6.4.3-rc1\"; Debian 6.12's dup_mmap() calls vma_start_write()"),
	KNOB(dirty_pipe, false, "f6dd975583bd 9d2231c5d74e",
	     "a buffer splice() takes from the page cache keeps the flags its pipe ring slot "
	     "last held, so a stale PIPE_BUF_FLAG_CAN_MERGE lets write(2) append into the "
	     "cached page (CVE-2022-0847, Dirty Pipe)", "5.8", "5.16",
	     "5.10.102 5.15.25 5.16.11",
	     "f6dd975583bd (\"pipe: merge anon_pipe_buf*_ops\", 5.8) made mergeability a "
	     "buffer flag, which copy_page_to_iter_pipe() and push_pipe() never set "
	     "(uninitialised since 241699cd72a8, 4.9); 9d2231c5d74e (\"lib/iov_iter: "
	     "initialize flags in new pipe_buffer\", mainline shortlog of 5.17-rc6) fixed "
	     "it.  Debian's changelog lists it under the 5.16.11 update; verified: Greg's "
	     "\"Linux 5.10.102\" announcement lists Max Kellermann's patch (5.10.102-rc1 did "
	     "not have it yet), and kernel.org's post-receive log of linux-stable lists "
	     "114e9f141822 before \"Linux 5.15.25\"; "
	     "stable 4.9.303 and 4.14.268 took it too, where no flag decided merging yet"),
	KNOB(map_fixed_noreplace, false, "a4ff8e8620d3",
	     "MAP_FIXED_NOREPLACE maps at the address or fails EEXIST (before: an unknown flag, "
	     "ignored, so the address is a hint and the mapping may land elsewhere)", "4.17",
	     NULL, NULL,
	     "\"mm: introduce MAP_FIXED_NOREPLACE\" is in the mm merge shortlog for 4.17, and a "
	     "4.19-era fix (Jann Horn) names it in its Fixes: tag"),
	KNOB(mremap_dontunmap, false, "e346b3813067",
	     "MREMAP_DONTUNMAP moves the pages and leaves the old range mapped and empty "
	     "(before: EINVAL)", "5.7", NULL, NULL,
	     "\"mm/mremap: add MREMAP_DONTUNMAP to mremap()\" (Brian Geffon, v6 posted Feb "
	     "2020) is named by later Fixes: tags; the mm pull for 5.7-rc1.  5.7 - 5.12 took "
	     "only private anonymous vmas; the model allows any vma but hugetlb and PFN maps, "
	     "as 5.13 and later do (the 5.13 extension is not a knob)"),
	KNOB(udmabuf_pins, false, "c6a3194c05e7 89c1905d9c14",
	     "udmabuf takes FOLL_PIN|FOLL_LONGTERM pins on the memfd's folios "
	     "(memfd_pin_folios(): maybe-pinned, movable ones migrate first); before, plain "
	     "page references from shmem_read_mapping_page() (not maybe-pinned)", "6.11", NULL,
	     NULL,
	     "verified: udmabuf's switch is its own commit, c6a3194c05e7 (\"udmabuf: pin the "
	     "pages using memfd_pin_folios() API\"), which a syzbot bisection on the upstream "
	     "tree (started in the 6.14 merge window) names; 89c1905d9c14 (\"mm/gup: "
	     "introduce memfd_pin_folios() for pinning memfd folios\", named by later Fixes: "
	     "tags) only adds the helper.  A "
	     "kernel.org post-receive log of a tree that pulled mainline in the 6.11 merge "
	     "window (jic23/iio testing, 27 Jul 2024) lists both in that order, and the "
	     "series was in linux-next at 6.10-rc6: 6.11-rc1.  Debian 6.1's udmabuf.c uses "
	     "shmem_read_mapping_page() and put_page(), Debian 6.12's memfd_pin_folios() and "
	     "unpin_folio()"),
	KNOB(iouring_huge_acct, false, "de2939388be5",
	     "io_uring charges a registered buffer's compound pages whole, once per head "
	     "page across the ring's buffers (headpage_already_acct()); before, every 4 KiB "
	     "page it pins, against RLIMIT_MEMLOCK (user->locked_vm)", "5.10", NULL, NULL,
	     "verified: Jens Axboe's commit of 17 Sep 2020 is in his \"io_uring updates for "
	     "5.10\" pull (its shortlog lists \"io_uring: improve registered buffer accounting "
	     "for huge pages\"), and a Jan 2026 stable patch names it in Fixes:; Debian 6.1 "
	     "and 6.12 io_uring/rsrc.c have io_buffer_account_pin() and "
	     "headpage_already_acct()"),
	KNOB(hugetlb_pmd_share, false, "39dde65c9940",
	     "a MAP_SHARED 2 MiB hugetlb vma covering a whole 1 GiB-aligned range shares the "
	     "pmd table of another mm mapping the same file there (huge_pmd_share()); "
	     "munmap, mprotect, mremap and a vma split unshare it (huge_pmd_unshare()); off: "
	     "a kernel without CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING", NULL, NULL, NULL,
	     "verified: 39dde65c9940 \"[PATCH] shared page table for hugetlb page\" (Ken Chen, "
	     "6 Dec 2006, the 2.6.20 merge window) is the Fixes: target of 59d9094df3d7, "
	     "1013af4f585f and 081056dc00a2; on in every preset (x86-64 selects it); Debian "
	     "6.1 (CONFIG_ARCH_WANT_HUGE_PMD_SHARE) and 6.12 "
	     "(CONFIG_HUGETLB_PMD_PAGE_TABLE_SHARING) have huge_pmd_share(), want_pmd_share() "
	     "and hugetlb_split()"),
};

#undef KNOB
#undef KNOBS

/* Every field of struct pl_policy is one byte and has exactly one knob. */
_Static_assert(sizeof(struct pl_policy) == PL_ARRAY_SIZE(knobs),
	       "struct pl_policy changed: update knobs[]");

/*
 * Releases as numbers: 6.1.192 -> 6001192.  Accepts what uname -r prints
 * ("6.1.0-27-amd64", "6.18.44-fc") and a leading "v".
 */
int pl_release_parse(const char *s, unsigned long *out)
{
	unsigned long v[3] = { 0, 0, 0 };
	int n = 0;

	if (!s)
		return -EINVAL;
	if (*s == 'v' || *s == 'V')
		s++;
	while (n < 3 && isdigit((unsigned char)*s)) {
		unsigned long x = 0;

		while (isdigit((unsigned char)*s) && x < 1000)
			x = x * 10 + (unsigned long)(*s++ - '0');
		if (x >= 1000)
			return -EINVAL;
		v[n++] = x;
		if (*s != '.')
			break;
		s++;
	}
	if (n < 2)
		return -EINVAL;
	*out = v[0] * 1000000 + v[1] * 1000 + v[2];
	return 0;
}

static unsigned long rel(const char *s)
{
	unsigned long r = 0;

	pl_release_parse(s, &r);
	return r;
}

#define SERIES(r) ((r) / 1000)

/* The value of knob @k in release @r: true = the rule (refcount for the enums). */
static bool knob_on(const struct pl_knob *k, unsigned long r)
{
	unsigned long first = k->first ? rel(k->first) : 0, last = k->last ? rel(k->last) : 0;
	bool on = (!k->first || SERIES(r) >= SERIES(first)) && (!k->last || SERIES(r) <= SERIES(last));
	const char *s = k->stable;

	/* a stable release that took the rule early, or dropped it early */
	while (s && *s) {
		unsigned long b = rel(s);

		if (SERIES(b) == SERIES(r) && r >= b) {
			if (k->first && SERIES(b) < SERIES(first))
				on = true;
			else if (k->last && SERIES(b) <= SERIES(last))
				on = false;	/* a fix the series' stable releases took */
		}
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	return on;
}

static void release_policy(unsigned long r, struct pl_policy *p)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < PL_ARRAY_SIZE(knobs); i++) {
		unsigned char *field = (unsigned char *)p + knobs[i].offset;
		bool on = knob_on(&knobs[i], r);

		if (knobs[i].steps) {
			/* the number of steps the release has reached */
			const char *st = knobs[i].steps;

			*field = 0;
			while (st && *st) {
				if (SERIES(r) >= SERIES(rel(st)))
					(*field)++;
				st = strchr(st, ' ');
				if (st)
					st++;
			}
		} else if (knobs[i].is_enum) {
			*field = on ? REUSE_REFCOUNT : REUSE_MAPCOUNT;
		} else {
			*(bool *)field = on;
		}
	}
}

static bool release_in_range(unsigned long r)
{
	unsigned long major = r / 1000000, minor = SERIES(r) % 1000;

	/* there was no 4.21 or 5.20: Linus went on to 5.0 and 6.0 */
	if ((major == 4 && minor > 20) || (major == 5 && minor > 19))
		return false;
	return r >= rel(PL_RELEASE_OLDEST) && SERIES(r) <= SERIES(rel(PL_RELEASE_NEWEST));
}

/**
 * pl_release_policy() - the rules of one kernel release.
 * @release: "5.10", "6.1.192", "6.1.0-27-amd64"
 * @p: receives the policy
 *
 * Return: 0, -EINVAL if @release is not a version, -ERANGE outside 4.8 - 6.18.
 */
int pl_release_policy(const char *release, struct pl_policy *p)
{
	unsigned long r;

	if (pl_release_parse(release, &r))
		return -EINVAL;
	if (!release_in_range(r))
		return -ERANGE;
	release_policy(r, p);
	return 0;
}

/*
 * What each checkpoint stands for, keyed by its first release.  Which
 * checkpoints exist is not decided here but by the knob table
 * (build_presets()); tests/unit/policy_check.c fails when the two disagree.
 */
static const struct {
	const char *first, *summary;
} checkpoint_summaries[] = {
	{ "4.8",
	  "Before the Dirty COW fix.  A write fault reuses an anonymous page in place when "
	  "its mapcount plus swapcount is 1 (reuse_swap_page, c475a8ab625d).  When a forced "
	  "GUP write has broken COW on a read-only private mapping, GUP clears FOLL_WRITE "
	  "and looks the page up again as a read, so a racing MADV_DONTNEED lets the write "
	  "reach the page cache (CVE-2016-5195; fixed in 4.8.3, so 4.8.3 and later 4.8.y "
	  "releases take v4.9's rules).  fork() shares every anonymous page, referenced by "
	  "GUP or not.  There is no FOLL_PIN: long-term users hold FOLL_GET references and "
	  "drop them with put_page() (RDMA after set_page_dirty_lock() on a writable "
	  "region, as in every later release)." },
	{ "4.9",
	  "19be0eaffa3a closes Dirty COW: GUP keeps FOLL_WRITE after the COW fault and sets "
	  "the internal FOLL_COW, which accepts a read-only PTE only together with "
	  "FOLL_FORCE and a dirty PTE.  Reuse still trusts the mapcount, so a read-only GUP "
	  "reference taken by a child on a COW-shared page (vmsplice) sees the parent's "
	  "later writes once the child unmaps it (CVE-2020-29374).  pin_user_pages() "
	  "appears in 5.6 (eddb1c228f79) but takes plain references until 5.7." },
	{ "4.14",
	  "d2cd9ede6e19: MADV_WIPEONFORK gives a child an empty (zero-filled) copy of an "
	  "anonymous private range, MADV_KEEPONFORK undoes it; both are EINVAL before." },
	{ "4.17",
	  "a4ff8e8620d3: MAP_FIXED_NOREPLACE maps at the given address or fails with EEXIST "
	  "when something is mapped there.  Before, the flag was unknown and silently "
	  "ignored: the address was only a hint, and the mapping could land elsewhere." },
	{ "5.1",
	  "2b188cc1bb85: io_uring exists, with fixed buffers that stay pinned by FOLL_GET "
	  "(FOLL_LONGTERM) until unregistered; before, io_uring_setup() is ENOSYS.  "
	  "Fixed buffers may lie in anonymous or hugetlbfs memory, not in shmem." },
	{ "5.4",
	  "MADV_COLD (9c276cc65a58) and MADV_PAGEOUT (1a4e58cce84e) exist: deactivate or "
	  "reclaim a range now.  Before, both are EINVAL." },
	{ "5.7",
	  "3faa52c03f44 counts FOLL_PIN: a pin adds 1024 to a small folio's refcount and is "
	  "counted exactly for large ones, and long-term users release through "
	  "unpin_user_page*() (RDMA dirtying what it may have written, io_uring nothing).  "
	  "Reuse still trusts the mapcount.  63b2d4174c4a: "
	  "userfaultfd write-protects anonymous memory (a PTE bit, kept in swap entries); a "
	  "write to a protected page is delivered to the monitor.  e346b3813067: "
	  "MREMAP_DONTUNMAP moves a range's pages and leaves the range mapped and empty "
	  "(EINVAL before)." },
	{ "5.8",
	  "17839856fd58 (\"COW can break either way\"): FOLL_GET and FOLL_PIN on a COW "
	  "mapping behave as writes and break COW before a page is returned, which closes "
	  "CVE-2020-29374 for small pages; GUP-fast declines read-only PTEs.  The price: "
	  "every read GUP on private memory is a COW fault (userfaultfd-wp breakage, "
	  "needless copies of the zero page).  f6dd975583bd makes PIPE_BUF_FLAG_CAN_MERGE "
	  "the test for appending to a pipe buffer, and splice() from a file leaves the "
	  "flag its slot last had: Dirty Pipe (CVE-2022-0847), until 5.17." },
	{ "5.9",
	  "09854ba94c6a: do_wp_page() reuses a small anonymous page only when its refcount "
	  "is 1, so any extra reference forces a copy, and a308c71bf1e6 drops 5.8's forced "
	  "write break.  That makes a pinned page COW away from its owner after fork (the "
	  "RDMA regression), so 70e806e4e645 copies maybe-pinned anonymous pages for the "
	  "child at fork time, only in mms that have pinned (008cfe4418b3).  GUP-fast can "
	  "still pin a page while fork write-protects it, and THP and swap-in still reuse "
	  "by mapcount.  Stable 5.10.4 took 57efa1fe5957 and 5.10.9 the two v5.11 fixes "
	  "below (5.10.9 and later run v5.11's rules)." },
	{ "5.10",
	  "de2939388be5: io_uring charges a registered buffer's huge pages to RLIMIT_MEMLOCK "
	  "whole, once per head page across the ring's buffers, instead of one per 4 KiB "
	  "page.  The COW and pin rules are v5.9's." },
	{ "5.11",
	  "57efa1fe5957: fork holds the mm->write_protect_seq seqcount while it "
	  "write-protects a COW vma, and FOLL_PIN GUP-fast gives up if the count was odd or "
	  "moved.  feb889fb40fa keeps maybe-pinned pages out of the swap cache and "
	  "9348b73c2e1b makes clear_refs leave them writable.  FOLL_GET users such as "
	  "O_DIRECT remain unprotected, and THP/swap-in reuse is still mapcount-based." },
	{ "5.12",
	  "4eae4efa2c29: fork copies a maybe-pinned hugetlb page for the child instead of "
	  "sharing it, as 70e806e4e645 did for small pages." },
	{ "5.14",
	  "40dad765c045: io_uring takes fixed buffers in shmem and memfd mappings (before: "
	  "EOPNOTSUPP), and MADV_POPULATE_READ/WRITE (4ca9b3859dac) prefault a range "
	  "through GUP.  1507f51255c9: memfd_secret() maps memory removed from the "
	  "kernel's direct map; check_vma_flags() refuses every GUP of it (EFAULT).  "
	  "8f34f1eac382: fork keeps a uffd-wp bit only where the child's vma is armed "
	  "(UFFD_FEATURE_EVENT_FORK), swap entries included, and keeps it on the copy of "
	  "a maybe-pinned page, which lost it before (in stable 5.10.53)." },
	{ "5.16",
	  "550a7d60bd5e: mremap() moves and resizes hugetlb mappings (EINVAL before)." },
	{ "5.17",
	  "9d2231c5d74e initialises the flags of every pipe buffer splice() fills from the "
	  "page cache, closing Dirty Pipe (CVE-2022-0847): since f6dd975583bd (5.8) a "
	  "buffer left a stale PIPE_BUF_FLAG_CAN_MERGE in its ring slot, and a write(2) "
	  "after splice() appended into the file's cached page.  Stable 5.16.11, 5.15.25 "
	  "and 5.10.102 have the fix too (those and later releases of their series run "
	  "without the bug)." },
	{ "5.18",
	  "COW fixes part 1: the PMD THP write fault (3bff7e3f1f16) and swap-in "
	  "(c145e0b47c77, 53a05ad9f21d) reuse a page only when its refcount is 1, closing "
	  "the THP and swap variants of CVE-2020-29374.  90e7e7f5ef3f lets MADV_DONTNEED "
	  "zap hugetlb mappings (EINVAL before)." },
	{ "5.19",
	  "COW fixes part 2: PG_anon_exclusive records that an anonymous page belongs to "
	  "one mm (6c287605fd56), and such a page is reused without looking at counts.  A "
	  "read-only FOLL_PIN of a page that may be shared first unshares it with "
	  "FAULT_FLAG_UNSHARE (c89357e27f20, a7f226604170); fork, KSM and swapout may clear "
	  "the bit only on pages that are not maybe pinned.  The bit survives swapout in the "
	  "swap PTE (1493a1913e34).  FOLL_COW still lets FOLL_FORCE follow a dirty "
	  "read-only PTE (until 5.19.6, which runs v6.0's rules)." },
	{ "6.0",
	  "5535be309971 removes FOLL_COW: a forced write may follow a read-only PTE only "
	  "onto an exclusive anonymous page.  This closes the shmem form of Dirty COW, where "
	  "UFFDIO_CONTINUE left a read-only but dirty PTE that FOLL_FORCE wrote through into "
	  "a read-only file (CVE-2022-2590).  Stable 5.19.6 has it too.  1d8d14641fd9: a "
	  "forced write into a read-only private hugetlb mapping fails (EIO from "
	  "/proc/pid/mem), until 6.14." },
	{ "6.1",
	  "088b8aa537c2 pairs the clearing of PG_anon_exclusive (KSM, swapout, migration) "
	  "with GUP-fast's pin through full barriers, so one of the two always backs off.  "
	  "MADV_COLLAPSE (7d8faaf15545) collapses a range into THPs synchronously (EINVAL "
	  "before).  "
	  "Stable 6.1.130 adds c8070b787519 (the zero page is never pinned), so later 6.1.y "
	  "releases are a preset of their own (`--preset 6.1.192`)." },
	{ "6.2",
	  "84209e87c696 with 8d6a0ac09a16: a read-only long-term pin in a private mapping "
	  "first replaces a page-cache or zero page by an exclusive anonymous copy, so the "
	  "pin follows later writes." },
	{ "6.4",
	  "d824ec2a1546: once reclaim has unmapped a folio, a maybe-pinned one is put back "
	  "on the active list instead of being written out: a pinned shmem page is no "
	  "longer written to swap, a pinned file page no longer written back by reclaim "
	  "(stable 6.1.28 and 6.2.15 have it too).  Before, only anonymous pages were kept "
	  "out of the swap cache (feb889fb40fa)." },
	{ "6.5",
	  "c8070b787519: pinning the zero page takes no pin reference.  8ac268436e6d (slow "
	  "path) and a6e79df92e4a (GUP-fast) refuse a writable FOLL_LONGTERM pin of a file "
	  "mapping that needs dirty tracking, such as MAP_SHARED on ext4.  34ed8d0dcd69: "
	  "io_uring stops refusing fixed buffers in file mappings other than shmem and "
	  "hugetlbfs (EOPNOTSUPP before) and leaves the check to GUP.  a7e689dd1c06: "
	  "O_DIRECT through bio_iov_iter_get_pages() (iomap filesystems, block devices) "
	  "holds FOLL_PIN instead of FOLL_GET, so fork copies the pages it reads into and "
	  "reclaim leaves them alone." },
	{ "6.9",
	  "cd197c3a2040: a write fault on a page of a PTE-mapped large anonymous folio "
	  "(mTHP, or a THP whose PMD was split) that is not PG_anon_exclusive never reuses "
	  "the folio; it copies the faulting page into a new small page.  Before, the "
	  "small-folio test (refcount 1) reused the folio when that page was its last mapped "
	  "one.  Exclusive pages are reused as ever." },
	{ "6.11",
	  "89c1905d9c14: udmabuf (UDMABUF_CREATE) long-term pins the memfd's folios with "
	  "memfd_pin_folios() (FOLL_PIN, maybe-pinned; folios in ZONE_MOVABLE or CMA are "
	  "migrated first).  Before, it held plain page references from "
	  "shmem_read_mapping_page(), which no pin check sees." },
	{ "6.12",
	  "b1f202060afe: when an anonymous THP is split, subpages that hold only zeros are "
	  "not kept: their PTEs are pointed at the shared zero page (R/O, special) and the "
	  "pages freed.  A later write faults in a fresh page." },
	{ "6.13",
	  "1ced09e0331f: a write fault on the huge zero page maps a new zeroed THP instead "
	  "of splitting the PMD for one small page." },
	{ "6.14",
	  "\"mm/hugetlb: support FOLL_FORCE|FOLL_WRITE\" (Guillaume Morin): a forced write "
	  "into a read-only private hugetlb mapping works again, as 1d8d14641fd9 and "
	  "f347454d0341 had refused it since 6.0: the private copy stays mapped R/O and GUP "
	  "follows it as an exclusive anon page." },
	{ "6.15",
	  "1da190f4d0a6 with the MM owner tracking of large folios (6af8cb80d3a9): each "
	  "large folio remembers up to two mms that map it and a \"maybe mapped shared\" "
	  "bit, set when a second mm maps it and cleared when one mm holds every mapping "
	  "again.  A write (or unshare) fault on a non-exclusive page of a PTE-mapped large "
	  "anonymous folio reuses the whole folio when it is not maybe mapped shared, more "
	  "than one page is mapped, and every reference is a mapping (large mapcount == "
	  "refcount): only the faulting page becomes exclusive and writable, nothing is "
	  "copied.  CONFIG_NO_PAGE_MAPCOUNT (749492229e3b, optional) stops per-page "
	  "mapcounts of large folios; reuse does not depend on it." },
	{ "6.16",
	  "The 2025 uprobes rewrite (\"uprobe_write_opcode() rewrite\"): a breakpoint is "
	  "written in place into an exclusive anonymous page obtained by a forced write "
	  "fault, instead of swapping in a new page with __replace_page()." },
	{ "6.18",
	  "Dev Jain's \"mm: Enable khugepaged to operate on non-writable VMAs\": a PMD range "
	  "whose PTEs are all read-only (a PTE-mapped THP that fork() write-protected) is no "
	  "longer SCAN_PAGE_RO; MADV_COLLAPSE and khugepaged copy it into a new THP." },
};

#define MAX_PRESETS 32
#define MAX_RELEASE_PRESETS 64	/* distinct releases asked for in one run */

/*
 * presets[] is filled once, from the knob table; release presets (a stable
 * release whose rules no checkpoint has) are added on demand under a lock
 * and never freed, so pointers stay valid.
 */
static struct pl_preset presets[MAX_PRESETS];
static int nr_presets;
static char preset_names[MAX_PRESETS][16], preset_kernels[MAX_PRESETS][32];
static pthread_once_t presets_once = PTHREAD_ONCE_INIT;

static struct {
	struct pl_preset p;
	unsigned long r;
	char name[16], summary[1024];
} release_presets[MAX_RELEASE_PRESETS];
static int nr_release_presets;
static pthread_mutex_t release_lock = PTHREAD_MUTEX_INITIALIZER;

/* The mainline releases after @r: 4.20 -> 5.0, 5.19 -> 6.0, as Linus numbered them. */
static unsigned long next_mainline(unsigned long r)
{
	unsigned long major = r / 1000000, minor = SERIES(r) % 1000;

	if ((major == 4 && minor == 20) || (major == 5 && minor == 19))
		return (major + 1) * 1000000;
	return SERIES(r) * 1000 + 1000;
}

static unsigned long prev_mainline(unsigned long r)
{
	unsigned long major = r / 1000000, minor = SERIES(r) % 1000;

	if (minor)
		return r - 1000;
	return (major - 1) * 1000000 + (major == 5 ? 20 : 19) * 1000;
}

static void release_str(char *buf, size_t len, unsigned long r)
{
	unsigned a = (unsigned)(r / 1000000 % 1000), b = (unsigned)(SERIES(r) % 1000),
		 c = (unsigned)(r % 1000);

	/* at most "999.999.999" */
	if (c)
		snprintf(buf, len, "%u.%u.%u", a, b, c);
	else
		snprintf(buf, len, "%u.%u", a, b);
}

static const char *summary_of(const char *first)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(checkpoint_summaries); i++)
		if (!strcmp(checkpoint_summaries[i].first, first))
			return checkpoint_summaries[i].summary;
	return NULL;
}

static void build_presets(void)
{
	static char firsts[MAX_PRESETS][16];
	unsigned long newest = rel(PL_RELEASE_NEWEST), r;
	struct pl_policy p;

	for (r = rel(PL_RELEASE_OLDEST); r <= newest; r = next_mainline(r)) {
		struct pl_preset *cur = nr_presets ? &presets[nr_presets - 1] : NULL;

		release_policy(r, &p);
		if (cur && !memcmp(&cur->policy, &p, sizeof(p)))
			continue;
		if (nr_presets == MAX_PRESETS)
			break;	/* policy_check fails on a short list */
		cur = &presets[nr_presets];
		release_str(firsts[nr_presets], sizeof(firsts[0]), r);
		cur->first = firsts[nr_presets];
		cur->policy = p;
		cur->summary = summary_of(cur->first);
		if (!cur->summary)
			cur->summary = "(no summary: add one to checkpoint_summaries[])";
		nr_presets++;
	}
	for (int i = 0; i < nr_presets; i++) {
		char end[16];

		if (i + 1 < nr_presets)
			release_str(end, sizeof(end), prev_mainline(rel(presets[i + 1].first)));
		else
			snprintf(end, sizeof(end), "%s", PL_RELEASE_NEWEST);
		if (strcmp(presets[i].first, end))
			snprintf(preset_kernels[i], sizeof(preset_kernels[0]), "%s - %s",
				 presets[i].first, end);
		else
			snprintf(preset_kernels[i], sizeof(preset_kernels[0]), "%s",
				 presets[i].first);
		presets[i].kernels = preset_kernels[i];
		if (i + 1 == nr_presets)
			snprintf(preset_names[i], sizeof(preset_names[0]), "latest");
		else
			snprintf(preset_names[i], sizeof(preset_names[0]), "v%s", presets[i].first);
		presets[i].name = preset_names[i];
	}
}

static void presets_init(void)
{
	pthread_once(&presets_once, build_presets);
}

/**
 * pl_presets() - the checkpoint presets, oldest first.
 * @n: receives the number of presets (may be NULL)
 */
const struct pl_preset *pl_presets(int *n)
{
	presets_init();
	if (n)
		*n = nr_presets;
	return presets;
}

/* The checkpoint a release falls in: the last one starting at or before it. */
static int checkpoint_of(unsigned long r)
{
	int i;

	for (i = nr_presets - 1; i > 0; i--)
		if (rel(presets[i].first) <= r)
			break;
	return i;
}

/*
 * The preset of release @r: a checkpoint with the same rules (the one it
 * falls in, or the later one a stable series caught up with, as 5.10.9 with
 * v5.11), else a release preset of its own.
 */
static const struct pl_preset *release_preset(unsigned long r)
{
	int base = checkpoint_of(r), i;
	struct pl_policy p;
	const struct pl_preset *found = NULL;

	release_policy(r, &p);
	if (!memcmp(&presets[base].policy, &p, sizeof(p)))
		return &presets[base];
	for (i = base + 1; i < nr_presets && SERIES(rel(presets[i].first)) <= SERIES(r) + 1000;
	     i++)
		if (!memcmp(&presets[i].policy, &p, sizeof(p)))
			return &presets[i];
	pthread_mutex_lock(&release_lock);
	for (i = 0; i < nr_release_presets; i++)
		if (release_presets[i].r == r)
			found = &release_presets[i].p;
	if (!found && nr_release_presets < MAX_RELEASE_PRESETS) {
		struct pl_preset *np = &release_presets[nr_release_presets].p;
		char *sum = release_presets[nr_release_presets].summary;
		size_t len;
		int nk = (int)PL_ARRAY_SIZE(knobs);

		release_presets[nr_release_presets].r = r;
		release_str(release_presets[nr_release_presets].name,
			    sizeof(release_presets[0].name), r);
		np->name = np->kernels = np->first = release_presets[nr_release_presets].name;
		np->policy = p;
		np->base = presets[base].name;
		len = (size_t)snprintf(sum, sizeof(release_presets[0].summary),
				       "The rules of %s, with these differences taken by the "
				       "stable series:", presets[base].name);
		for (int k = 0; k < nk && len < sizeof(release_presets[0].summary); k++) {
			const struct pl_knob *kb = &knobs[k];

			if (!memcmp((const char *)&p + kb->offset,
				    (const char *)&presets[base].policy + kb->offset, 1))
				continue;
			len += (size_t)snprintf(sum + len, sizeof(release_presets[0].summary) - len,
						" %s=%s (%s)", kb->name,
						pl_policy_knob_value(&p, kb), kb->commit);
		}
		np->summary = sum;
		found = np;
		nr_release_presets++;
	}
	pthread_mutex_unlock(&release_lock);
	return found ? found : &presets[base];
}

/**
 * pl_preset_find() - a checkpoint by name, or the preset of a release.
 * @name: "v5.9", "latest", or a release "5.10", "6.1.192", "6.1.0-27-amd64"
 *
 * Return: the preset, or NULL for an unknown name or a release outside
 * 4.8 - 6.18.
 */
const struct pl_preset *pl_preset_find(const char *name)
{
	unsigned long r;

	presets_init();
	if (!name)
		return NULL;
	for (int i = 0; i < nr_presets; i++)
		if (!strcasecmp(name, presets[i].name))
			return &presets[i];
	if (!isdigit((unsigned char)name[0]) || pl_release_parse(name, &r) || !release_in_range(r))
		return NULL;
	return release_preset(r);
}

/**
 * pl_preset_index() - position of a preset in era order.
 * @name: "v5.9", "5.9", "6.1.192" or "latest"
 *
 * Return: 0 for the oldest checkpoint, increasing with time; a release
 * preset has its checkpoint's index; -1 if unknown.
 */
int pl_preset_index(const char *name)
{
	const struct pl_preset *p = pl_preset_find(name);

	if (!p)
		return -1;
	if (p->base)
		p = pl_preset_find(p->base);
	return (int)(p - presets);
}

/*
 * The preset of a running kernel.  uname -r of a distribution kernel names
 * its ABI, not the stable release ("6.1.0-27-amd64" is 6.1.192), so a
 * "Debian X.Y.Z" in the string (uname -v, /proc/version) wins.  Releases
 * after 6.18 take the newest preset; unparsable ones too.
 */
const struct pl_preset *pl_preset_for_kernel(const char *release)
{
	const char *deb = release ? strstr(release, "Debian ") : NULL;
	const struct pl_preset *p;
	unsigned long r;

	presets_init();
	if (deb && !pl_release_parse(deb + 7, &r))
		release = deb + 7;
	if (!release || pl_release_parse(release, &r) || SERIES(r) > SERIES(rel(PL_RELEASE_NEWEST)))
		return &presets[nr_presets - 1];
	if (r < rel(PL_RELEASE_OLDEST))
		return &presets[0];
	p = pl_preset_find(release);
	return p ? p : &presets[nr_presets - 1];
}

/**
 * pl_knob_next_change() - the first mainline release after @release whose
 * value of knob @k differs from @release's.
 * @buf: receives the release ("5.9")
 *
 * Return: @buf, or NULL if the value holds up to the newest release.
 */
const char *pl_knob_next_change(const struct pl_knob *k, const char *release, char *buf,
				size_t len)
{
	unsigned long r, newest = rel(PL_RELEASE_NEWEST);
	struct pl_policy a, b;

	if (pl_release_parse(release, &r) || !release_in_range(r))
		return NULL;
	release_policy(r, &a);
	for (unsigned long n = next_mainline(r - r % 1000); n <= newest; n = next_mainline(n)) {
		release_policy(n, &b);
		if (memcmp((const char *)&a + k->offset, (const char *)&b + k->offset, 1)) {
			release_str(buf, len, n);
			return buf;
		}
	}
	return NULL;
}

/*
 * The commits that took a rule back (the knobs with a last release): the
 * knob table's commit is the one that brought the rule.
 */
static const struct {
	const char *knob, *commit;
} knob_removals[] = {
	{ "dirty_cow", "19be0eaffa3a" },
	{ "foll_cow", "5535be309971" },
	{ "gup_cow_break_on_read", "a308c71bf1e6" },
	{ "hugetlb_force_write_refused", "052ccfbcc6cd" },
	{ "collapse_needs_writable", "62b98015d988 473b73222f3d" },
};

/** pl_knob_change_commit() - the commit behind a change of @k: its removal or its arrival. */
const char *pl_knob_change_commit(const struct pl_knob *k, bool removal)
{
	for (size_t i = 0; removal && i < PL_ARRAY_SIZE(knob_removals); i++)
		if (!strcmp(knob_removals[i].knob, k->name))
			return knob_removals[i].commit;
	return k->commit;
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
