/*
 * profile.c - the host profile (profile.h, docs/host.md "Host profile").
 *
 * The zero-page facts are probed by doing what a scenario does and looking
 * at the result in /proc/self/pagemap: map a private anonymous page, load
 * one byte, read its pagemap entry.  The shared zero page (and the huge zero
 * page) is present but has no exclusive mapper (PM_MMAP_EXCLUSIVE, bit 56:
 * set for a page mapped once; the zero pages are special or not anonymous,
 * so never); a freshly allocated anonymous page is present and exclusive.
 * That needs no privilege.  For the huge zero page the load must come from a
 * THP-eligible, PMD-aligned range (MADV_HUGEPAGE); the PMD mapping shows as
 * the next 4 KiB page being present too.  When THP is off the fact stays
 * unknown and upstream is assumed.  The other facts come from sysfs, from
 * /proc/swaps and from trying memfd_secret(2) and userfaultfd(2).
 */
#include "backend/host/profile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PF_PAGE		4096UL
#define PF_PMD		(2UL << 20)
#define PM_PRESENT	(1ULL << 63)
#define PM_EXCLUSIVE	(1ULL << 56)
#define PF_PFN_MASK	((1ULL << 55) - 1)
#define PF_KPF_KSM	21

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

/* The pagemap entry of @addr in this process; 0 (not present) when it cannot be read. */
static uint64_t pf_pagemap(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr / PF_PAGE * sizeof(e))) !=
	    (ssize_t)sizeof(e))
		e = 0;
	close(fd);
	return e;
}

/*
 * Load one byte of a fresh private anonymous range; @huge: from a 2 MiB
 * aligned MADV_HUGEPAGE range.  Return: 1 the load mapped a zero page, 0 a
 * fresh page, -1 cannot tell (no pagemap; @huge: no PMD mapping).
 */
static int pf_zero_probe(bool huge)
{
	size_t len = huge ? 2 * PF_PMD : PF_PAGE;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a = m;
	uint64_t e, next;
	int ret = -1;

	if (m == MAP_FAILED)
		return -1;
	if (huge) {
		a = (char *)(((uintptr_t)m + PF_PMD - 1) & ~(PF_PMD - 1));
		if (madvise(a, PF_PMD, MADV_HUGEPAGE))
			goto out;
	} else {
		madvise(a, PF_PAGE, MADV_NOHUGEPAGE);	/* no mTHP or THP: one PTE */
	}
	(void)*(volatile char *)a;
	e = pf_pagemap(a);
	if (!(e & PM_PRESENT))
		goto out;
	if (huge) {
		next = pf_pagemap(a + PF_PAGE);
		if (!(next & PM_PRESENT))
			goto out;	/* a PTE fault: THP did not apply */
	}
	ret = !(e & PM_EXCLUSIVE);
out:
	munmap(m, len);
	return ret;
}

/*
 * pf_probe_once() - run @probe once on a fresh private anonymous page,
 * written once so that it is present; its answer is kept in *@known (-1:
 * not asked yet), and false stands when the page cannot be mapped.
 */
static bool pf_probe_once(int *known, int (*probe)(const char *page))
{
	char *m;

	if (*known >= 0)
		return *known;
	*known = 0;
	m = mmap(NULL, PF_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return false;
	madvise(m, PF_PAGE, MADV_NOHUGEPAGE);
	*(volatile char *)m = 1;
	*known = probe(m);
	munmap(m, PF_PAGE);
	return *known;
}

/* KPF_KSM of the page's pfn in /proc/kpageflags (root only: pfns are hidden otherwise). */
static int kpf_ksm_probe(const char *page)
{
	uint64_t e = pf_pagemap(page), flags = 0;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	int ksm = 0;

	if (fd >= 0 && (e & PM_PRESENT) && (e & PF_PFN_MASK) &&
	    pread(fd, &flags, sizeof(flags), (off_t)((e & PF_PFN_MASK) * sizeof(flags))) ==
	    (ssize_t)sizeof(flags))
		ksm = (int)(flags >> PF_KPF_KSM & 1);
	if (fd >= 0)
		close(fd);
	return ksm;
}

bool pl_host_kpf_ksm_anon(void)
{
	static int known = -1;

	return pf_probe_once(&known, kpf_ksm_probe);
}

static int soft_dirty_probe(const char *page)
{
	return (int)(pf_pagemap(page) >> 55 & 1);
}

/*
 * Whether this kernel keeps soft-dirty bits: a page just written in a new
 * mapping has pagemap bit 55 (PM_SOFT_DIRTY) set where CONFIG_MEM_SOFT_DIRTY
 * is on (the new VMA is VM_SOFTDIRTY and the write fault dirties the PTE),
 * and never where it is off (the bit reads 0 whatever happens).
 */
bool pl_host_soft_dirty(void)
{
	static int known = -1;

	return pf_probe_once(&known, soft_dirty_probe);
}

/* The [selected] word of a sysfs mode file into @out; false if none. */
static bool pf_mode(const char *path, char *out, size_t len)
{
	char buf[256], *l, *r;
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok || !(l = strchr(buf, '[')) || !(r = strchr(l, ']')))
		return false;
	*r = 0;
	snprintf(out, len, "%s", l + 1);
	return true;
}

/*
 * bit n for each DIR/hugepages-<4 << n>kB that anonymous memory can use (it
 * has an `enabled` file; 6.18 also lists hugepages-8kB with shmem_enabled
 * alone, a page-cache order anon mTHP never takes); @on: those whose enabled
 * is not "never".
 */
static uint32_t pf_sizes(const char *dir, uint32_t *on)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	uint32_t sizes = 0;

	if (on)
		*on = 0;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		unsigned long kb;
		char path[512], mode[16];
		int n = 0;

		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1 || kb < 4)
			continue;
		while ((4UL << n) < kb && n < 31)
			n++;
		if ((4UL << n) != kb)
			continue;
		snprintf(path, sizeof(path), "%s/%s/enabled", dir, de->d_name);
		if (access(path, F_OK))
			continue;
		sizes |= 1u << n;
		if (on && pf_mode(path, mode, sizeof(mode)) && strcmp(mode, "never"))
			*on |= 1u << n;
	}
	closedir(d);
	return sizes;
}

bool pl_host_has_swap(void)
{
	FILE *f = fopen("/proc/swaps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n > 1;		/* the header, then one line per device */
}

static bool pf_secretmem(void)
{
#if defined(SYS_memfd_secret) || defined(__x86_64__)
#ifndef SYS_memfd_secret
#define SYS_memfd_secret 447
#endif
	long fd = syscall(SYS_memfd_secret, 0);

	if (fd >= 0) {
		close((int)fd);
		return true;
	}
#endif
	return false;
}

static bool pf_uffd(uint64_t *features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	bool ok;

	if (fd < 0 && errno == EINVAL)	/* before 5.11: no user-mode-only flag */
		fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	*features = 0;
	if (fd < 0)
		return false;
	ok = ioctl((int)fd, UFFDIO_API, &api) == 0;
	if (ok)
		*features = api.features;
	close((int)fd);
	return ok;
}

int pl_host_profile_probe(struct pl_host_profile *p, char *why, size_t whylen)
{
	const char *env = getenv(PL_PROFILE_ENV);

	memset(p, 0, sizeof(*p));
	p->zero_page = pf_zero_probe(false);
	if (!pf_mode("/sys/kernel/mm/transparent_hugepage/enabled", p->thp, sizeof(p->thp)))
		p->thp[0] = 0;
	p->huge_zero_page = p->thp[0] ? pf_zero_probe(true) : -1;
	p->mthp_sizes = pf_sizes("/sys/kernel/mm/transparent_hugepage", &p->mthp_on);
	p->hugetlb_sizes = pf_sizes("/sys/kernel/mm/hugepages", NULL);
	p->gup_test = access("/sys/kernel/debug/gup_test", F_OK) == 0;
	p->secretmem = pf_secretmem();
	p->uffd = pf_uffd(&p->uffd_features);
	p->ksm = access("/sys/kernel/mm/ksm/run", F_OK) == 0;
	p->kpf_ksm_anon = pl_host_kpf_ksm_anon();
	p->swap = pl_host_has_swap();
	if (env && *env)
		return pl_host_profile_override(p, env, why, whylen);
	return 0;
}

/* The facts an override may set, and where they live. */
static int *pf_fact(struct pl_host_profile *p, const char *name, size_t len)
{
	if (len == 9 && !strncmp(name, "zero_page", len))
		return &p->zero_page;
	if (len == 14 && !strncmp(name, "huge_zero_page", len))
		return &p->huge_zero_page;
	return NULL;
}

int pl_host_profile_override(struct pl_host_profile *p, const char *spec, char *why,
			     size_t whylen)
{
	const char *s = spec;

	while (*s) {
		size_t len = strcspn(s, ",");
		size_t nlen = strcspn(s, "=,");
		const char *v = s + nlen + 1;
		size_t vlen = len > nlen ? len - nlen - 1 : 0;
		int *fact = pf_fact(p, s, nlen);
		int val = -1;

		if (fact && s[nlen] == '=') {
			if ((vlen == 2 && !strncmp(v, "on", 2)) || (vlen == 4 && !strncmp(v, "true", 4)) ||
			    (vlen == 1 && *v == '1'))
				val = 1;
			else if ((vlen == 3 && !strncmp(v, "off", 3)) ||
				 (vlen == 5 && !strncmp(v, "false", 5)) || (vlen == 1 && *v == '0'))
				val = 0;
		}
		if (!fact || val < 0) {
			snprintf(why, whylen, "$%s: bad fact '%.*s' (expected zero_page=on|off or "
				 "huge_zero_page=on|off, comma-separated)", PL_PROFILE_ENV, (int)len, s);
			return -EINVAL;
		}
		*fact = val;
		s += len + (s[len] == ',');
	}
	snprintf(p->overridden, sizeof(p->overridden), "%s", spec);
	return 0;
}

int pl_host_profile_sets(const struct pl_host_profile *p, const char **out, int max)
{
	int n = 0;

	if (p->zero_page == 0 && n < max)
		out[n++] = "zero_page=false";
	if (p->huge_zero_page == 0 && n < max)
		out[n++] = "huge_zero_page=false";
	return n;
}

/* "16K" "2M" "1G" for size bit @n (4 KiB << n). */
static void pf_size(char *buf, size_t len, int n)
{
	unsigned long kb = 4UL << n;

	if (kb >= 1024UL * 1024)
		snprintf(buf, len, "%luG", kb / (1024 * 1024));
	else if (kb >= 1024)
		snprintf(buf, len, "%luM", kb / 1024);
	else
		snprintf(buf, len, "%luK", kb);
}

static size_t pf_add(char *buf, size_t len, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static size_t pf_add(char *buf, size_t len, size_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at >= len)
		return at;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
	return n < 0 ? at : at + (size_t)n;
}

/* " 16K 32K 2M": every size of @sizes */
static size_t pf_add_sizes(char *buf, size_t len, size_t at, uint32_t sizes)
{
	char sz[16];

	for (int n = 0; n < 32; n++) {
		if (!(sizes >> n & 1))
			continue;
		pf_size(sz, sizeof(sz), n);
		at = pf_add(buf, len, at, " %s", sz);
	}
	return at;
}

void pl_host_profile_line(const struct pl_host_profile *p, char *buf, size_t len)
{
	char feat[32];
	size_t at = 0;

	at = pf_add(buf, len, at, "host profile: %s", p->zero_page == 0 ? "no shared zero page" :
		    p->zero_page > 0 ? "shared zero page" : "shared zero page (not probed)");
	at = pf_add(buf, len, at, ", %s", p->huge_zero_page == 0 ? "no huge zero page" :
		    p->huge_zero_page > 0 ? "huge zero page" : "huge zero page (not probed)");
	if (p->thp[0]) {
		at = pf_add(buf, len, at, ", THP %s", p->thp);
		if (p->mthp_sizes) {
			at = pf_add(buf, len, at, " (sizes");
			at = pf_add_sizes(buf, len, at, p->mthp_sizes);
			if (p->mthp_on) {
				at = pf_add(buf, len, at, "; not never:");
				at = pf_add_sizes(buf, len, at, p->mthp_on);
			}
			at = pf_add(buf, len, at, ")");
		}
	} else {
		at = pf_add(buf, len, at, ", %s", "no THP");
	}
	if (p->hugetlb_sizes) {
		at = pf_add(buf, len, at, ", hugetlb");
		at = pf_add_sizes(buf, len, at, p->hugetlb_sizes);
	} else {
		at = pf_add(buf, len, at, ", %s", "no hugetlb");
	}
	at = pf_add(buf, len, at, ", %s", p->gup_test ? "gup_test" : "no gup_test");
	at = pf_add(buf, len, at, ", %s", p->secretmem ? "secretmem" : "no secretmem");
	snprintf(feat, sizeof(feat), "userfaultfd (features %#llx)",
		 (unsigned long long)p->uffd_features);
	at = pf_add(buf, len, at, ", %s", p->uffd ? feat : "no userfaultfd");
	at = pf_add(buf, len, at, ", %s", p->ksm ? "KSM" : "no KSM");
	if (p->kpf_ksm_anon)
		at = pf_add(buf, len, at, " (kpageflags marks every anon page KSM)");
	at = pf_add(buf, len, at, ", %s", p->swap ? "swap" : "no swap");
	if (p->overridden[0])
		pf_add(buf, len, at, " (set by $" PL_PROFILE_ENV ": %s)", p->overridden);
}

void pl_host_profile_format(const struct pl_host_profile *p, char *buf, size_t len)
{
	snprintf(buf, len, "zero_page=%d huge_zero_page=%d thp=%s mthp_sizes=%#x mthp_on=%#x "
		 "hugetlb=%#x gup_test=%d secretmem=%d uffd=%d uffd_features=%#llx ksm=%d swap=%d",
		 p->zero_page, p->huge_zero_page, p->thp[0] ? p->thp : "-", p->mthp_sizes,
		 p->mthp_on, p->hugetlb_sizes, p->gup_test, p->secretmem, p->uffd,
		 (unsigned long long)p->uffd_features, p->ksm + p->kpf_ksm_anon, p->swap);
}

int pl_host_profile_parse(struct pl_host_profile *p, const char *text)
{
	int gup, secret, uffd, ksm, swap;
	unsigned long long feat;
	char thp[8];

	memset(p, 0, sizeof(*p));
	if (sscanf(text, "zero_page=%d huge_zero_page=%d thp=%7s mthp_sizes=%x mthp_on=%x "
		   "hugetlb=%x gup_test=%d secretmem=%d uffd=%d uffd_features=%llx ksm=%d swap=%d",
		   &p->zero_page, &p->huge_zero_page, thp, &p->mthp_sizes, &p->mthp_on,
		   &p->hugetlb_sizes, &gup, &secret, &uffd, &feat, &ksm, &swap) != 12)
		return -EINVAL;
	snprintf(p->thp, sizeof(p->thp), "%s", strcmp(thp, "-") ? thp : "");
	p->gup_test = gup;
	p->secretmem = secret;
	p->uffd = uffd;
	p->uffd_features = feat;
	p->ksm = ksm > 0;
	p->kpf_ksm_anon = ksm > 1;	/* ksm=2: KSM, and the KPF_KSM bit is not to be trusted */
	p->swap = swap;
	return 0;
}

/*
 * The speed test: 64 fork + exit + wait, and 64 times map 64 pages, write
 * each, unmap -- the system calls and faults host runs consist of.  Best of
 * three, so a moment of contention does not count.
 */
long pl_host_speed_us(void)
{
	long best = -1;

	for (int round = 0; round < 3; round++) {
		struct timespec a, b;
		long us;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < 64; i++) {
			pid_t pid = fork();
			char *m;

			if (pid == 0)
				_exit(0);
			if (pid > 0)
				while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
					;
			m = mmap(NULL, 64 * PF_PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				continue;
			for (int j = 0; j < 64; j++)
				m[j * PF_PAGE] = (char)j;
			munmap(m, 64 * PF_PAGE);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		us = (long)(b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000;
		if (best < 0 || us < best)
			best = us;
	}
	return best > 0 ? best : 1;
}
