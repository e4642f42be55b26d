/*
 * profile.h - the host profile: the facts of a running kernel that change
 * what a scenario does there, whatever its release (docs/host.md "Host
 * profile").
 *
 * `pinlab probe`, `pinlab diff`, `pinlab fuzz-diff` and the guest of
 * `--kernel K` probe it at their start.  Two facts decide outcomes and are
 * applied to the model for a comparison (as "fact=value" settings, see
 * pl_facts()): whether a read fault maps the shared zero page (vendor
 * kernels booted with pvm_no_zero_page=1 do not), and whether a THP read
 * fault maps the huge zero page.  The rest say what the machine can run:
 * THP and mTHP sizes and modes, hugetlb sizes, gup_test, secretmem,
 * userfaultfd and its features, KSM, swap.
 *
 * $PINLAB_HOST_PROFILE ("zero_page=off,huge_zero_page=on") overrides probed
 * facts, for tests of the other path on a machine that has this one.
 */
#ifndef PINLAB_HOST_PROFILE_H
#define PINLAB_HOST_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PL_PROFILE_ENV "PINLAB_HOST_PROFILE"

struct pl_host_profile {
	int zero_page;		/* 1: a read fault maps the shared zero page; 0: a fresh page;
				 * -1: could not be told (then upstream is assumed) */
	int huge_zero_page;	/* the same for a THP read fault and the huge zero page */
	char thp[8];		/* transparent_hugepage/enabled: always, madvise, never; "" none */
	uint32_t mthp_sizes;	/* bit n: anon can use hugepages-<4 << n>kB (mTHP and PMD sizes) */
	uint32_t mthp_on;	/* bit n: that size is not "never" */
	uint32_t hugetlb_sizes;	/* bit n: /sys/kernel/mm/hugepages/hugepages-<4 << n>kB */
	bool gup_test;		/* /sys/kernel/debug/gup_test */
	bool secretmem;		/* memfd_secret(2) works */
	bool uffd;		/* userfaultfd(2) works (user-mode faults) */
	uint64_t uffd_features;	/* UFFDIO_API's features */
	bool ksm;		/* /sys/kernel/mm/ksm */
	bool kpf_ksm_anon;	/* /proc/kpageflags sets KPF_KSM on every anonymous page */
	bool swap;		/* an active swap device */
	char overridden[96];	/* the facts $PINLAB_HOST_PROFILE set, "" = none */
};

/* Probe the running kernel (and apply $PINLAB_HOST_PROFILE; a bad one: -EINVAL, why). */
int pl_host_profile_probe(struct pl_host_profile *p, char *why, size_t whylen);

/*
 * Apply "fact=value,fact=value" (the $PINLAB_HOST_PROFILE syntax) to @p.
 * Return: 0, or -EINVAL with why in @why.
 */
int pl_host_profile_override(struct pl_host_profile *p, const char *spec, char *why,
			     size_t whylen);

/*
 * The model settings the profile implies, "fact=value" strings in @out
 * (static storage), only those that differ from upstream.  Return: how many.
 */
int pl_host_profile_sets(const struct pl_host_profile *p, const char **out, int max);

/* One line for people: "host profile: shared zero page, huge zero page, THP madvise ..." */
void pl_host_profile_line(const struct pl_host_profile *p, char *buf, size_t len);

/* The facts as "key=value ..." (one line, no newline) and back, for the guest's transcript. */
void pl_host_profile_format(const struct pl_host_profile *p, char *buf, size_t len);
int pl_host_profile_parse(struct pl_host_profile *p, const char *text);

/*
 * Microseconds this machine takes for a fixed mix of fork, mmap, page
 * faults and munmap (best of three): the guest of `--kernel K` compares its
 * own figure with the host's and scales its per-run time limit by the ratio.
 */
long pl_host_speed_us(void);

/*
 * Whether /proc/kpageflags reports KPF_KSM for a fresh anonymous page that
 * KSM never saw: stable_page_flags() tested `mapping & PAGE_MAPPING_KSM`
 * from dee3d0bef2b0 (6.10), true for every anon page, until "fs/proc: fix
 * KPF_KSM reported for all anonymous pages" (2026, Cc stable).  Probed once
 * (root: PFNs); false when it cannot be told.
 */
bool pl_host_kpf_ksm_anon(void);
/* This kernel sets soft-dirty bits (CONFIG_MEM_SOFT_DIRTY); probed once. */
bool pl_host_soft_dirty(void);

/* An active swap device or file (a line in /proc/swaps after its header). */
bool pl_host_has_swap(void);

#endif /* PINLAB_HOST_PROFILE_H */
