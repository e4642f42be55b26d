/*
 * tests/unit/policy_check.c - era presets, knobs, and the invariant checker.
 *
 * The presets are a chain (each era = the previous one +/- a few commits),
 * so most checks here walk the chain: every knob defined in every preset,
 * the handful of knobs whose history the design fixes, and "a rule, once
 * adopted, stays" except for the rules that history really took back.  The
 * checker half builds tiny worlds, checks that a healthy one is clean, then
 * corrupts one counter by hand and expects exactly that invariant.
 */
#include "testlib.h"

#include <ctype.h>
#include <errno.h>

#include "pinlab/core.h"

/* src/core/internal.h: the rule string events carry for reuse decisions */
const char *pl_rule_reuse(const struct world *w, bool thp_or_swap);

static const struct pl_preset *preset(const char *name)
{
	const struct pl_preset *p = pl_preset_find(name);

	if (!p)
		t_fail(__FILE__, __LINE__, "no preset '%s'", name);
	return p;
}

/* The value of knob `name` in preset `pname`, as pl_policy_knob_value() spells it. */
static const char *knob_in(const char *pname, const char *name)
{
	const struct pl_preset *p = preset(pname);
	const struct pl_knob *k;
	int n;

	k = pl_knobs(&n);
	for (int i = 0; p && i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return pl_policy_knob_value(&p->policy, &k[i]);
	t_fail(__FILE__, __LINE__, "no knob '%s'", name);
	return "?";
}

static void test_presets_defined(void)
{
	const struct pl_preset *p;
	const struct pl_knob *k;
	int np, nk;

	p = pl_presets(&np);
	k = pl_knobs(&nk);
	T_REQUIRE(p && k);
	/* one checkpoint per change of the rules between mainline releases */
	T_GE(np, 16);
	T_EQ(nk, (int)sizeof(struct pl_policy));
	T_STREQ(p[0].name, "v4.8");
	T_STREQ(p[np - 1].name, "latest");
	for (int i = 0; i < np; i++) {
		T_ASSERT(p[i].name && p[i].name[0]);
		T_ASSERT(p[i].kernels && p[i].kernels[0]);
		T_ASSERT(p[i].summary && strlen(p[i].summary) > 40);
		T_EQ(pl_preset_index(p[i].name), i);
		T_ASSERT(pl_preset_find(p[i].name) == &p[i]);
		for (int j = 0; j < nk; j++) {
			const unsigned char *byte = (const unsigned char *)&p[i].policy + k[j].offset;
			const char *v = pl_policy_knob_value(&p[i].policy, &k[j]);

			/* every knob holds a legal value: 0/1, or a reuse rule */
			if (!strcmp(k[j].name, "large_anon_reuse"))
				T_ASSERT(!strcmp(v, "refcount") || !strcmp(v, "never") ||
					 !strcmp(v, "mm_id"));
			else
				T_ASSERT(*byte <= 1);
			if (k[j].is_enum && strcmp(k[j].name, "large_anon_reuse"))
				T_ASSERT(!strcmp(v, "mapcount") || !strcmp(v, "refcount"));
			else if (!k[j].is_enum)
				T_ASSERT(!strcmp(v, "true") || !strcmp(v, "false"));
		}
		/* seed 001's bug exists only through --set */
		T_ASSERT(p[i].policy.gup_fast_recheck_pte);
	}
	T_ASSERT(pl_preset_find("5.9") == pl_preset_find("v5.9"));
	T_ASSERT(pl_preset_find("nope") == NULL);
	T_ASSERT(pl_preset_find(NULL) == NULL);
	T_EQ(pl_preset_index("v9.9"), -1);
	T_LT(pl_preset_index("v5.7"), pl_preset_index("v5.8"));
	T_LT(pl_preset_index("v6.5"), pl_preset_index("latest"));
}

/* Does @s contain @needle, ignoring case? */
static bool has(const char *s, const char *needle)
{
	for (; s && *s; s++)
		if (!strncasecmp(s, needle, strlen(needle)))
			return true;
	return false;
}

/*
 * Every release 4.8 - 6.18 maps to exactly the rules the knob table gives
 * it, and a named checkpoint gives the same result as any release inside it.
 */
static void test_release_presets(void)
{
	static const struct {
		const char *release, *preset, *base;
	} want[] = {
		{ "4.8", "v4.8", NULL },	{ "4.8.2", "v4.8", NULL },
		{ "4.8.3", "v4.9", NULL },	{ "5.6", "v5.4", NULL },
		{ "5.10", "v5.10", NULL },	{ "5.10.3", "v5.10", NULL },
		{ "5.10.4", "5.10.4", "v5.10" },	{ "5.10.9", "v5.11", NULL },
		{ "5.10.52", "v5.11", NULL },	{ "5.10.53", "5.10.53", "v5.10" },
		{ "5.10.102", "5.10.102", "v5.10" }, { "5.10.240", "5.10.240", "v5.10" },
		{ "5.11", "v5.11", NULL },	{ "5.12", "v5.12", NULL },
		{ "5.13.4", "v5.12", NULL },	{ "5.13.5", "5.13.5", "v5.12" },
		{ "5.16", "v5.16", NULL },	{ "5.16.10", "v5.16", NULL },
		{ "5.16.11", "v5.17", NULL },	{ "5.17", "v5.17", NULL },
		{ "5.19.5", "v5.19", NULL },	{ "5.19.6", "5.19.6", "v5.19" },
		{ "6.1", "v6.1", NULL },	{ "6.1.0-27-amd64", "v6.1", NULL },
		{ "6.1.27", "v6.1", NULL },	{ "6.1.28", "6.1.28", "v6.1" },
		{ "6.1.129", "6.1.129", "v6.1" },	{ "6.1.130", "6.1.130", "v6.1" },
		{ "6.1.192", "6.1.192", "v6.1" }, { "6.3", "v6.2", NULL },
		{ "5.10.148", "5.10.148", "v5.10" },	{ "5.15.73", "5.15.73", "v5.14" },
		{ "6.4.2", "v6.4", NULL },	{ "6.4.3", "6.4.3", "v6.4" },
		{ "6.12", "v6.12", NULL },	{ "6.12.118", "v6.12", NULL },
		{ "6.13", "v6.13", NULL },	{ "6.16", "v6.16", NULL },
		{ "6.17", "v6.16", NULL },	{ "6.18", "latest", NULL },
		{ "6.18.44-fc", "latest", NULL },
	};
	const struct pl_preset *p = pl_presets(NULL), *q;
	struct pl_policy pol;
	char buf[16];
	int np;

	pl_presets(&np);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		q = pl_preset_find(want[i].release);
		T_REQUIRE(q);
		T_STREQ(q->name, want[i].preset);
		if (want[i].base)
			T_STREQ(q->base, want[i].base);
		else
			T_ASSERT(q->base == NULL);
		T_EQ(pl_release_policy(want[i].release, &pol), 0);
		T_ASSERT(!memcmp(&pol, &q->policy, sizeof(pol)));
	}
	/* every mainline release and a few stable ones: the checkpoint it falls in */
	for (int major = 4; major <= 6; major++) {
		for (int minor = 0; minor <= 20; minor++) {
			for (int sub = 0; sub <= 250; sub += 50) {
				snprintf(buf, sizeof(buf), "%d.%d.%d", major, minor, sub);
				if (pl_release_policy(buf, &pol))
					continue;
				q = pl_preset_find(buf);
				T_REQUIRE(q);
				T_ASSERT(!memcmp(&pol, &q->policy, sizeof(pol)));
				if (sub == 0) {
					T_ASSERT(q->base == NULL);
					T_ASSERT(q >= p && q < p + np);
				}
			}
		}
	}
	/* consecutive checkpoints differ, and each has its own prose */
	for (int i = 0; i < np; i++) {
		T_ASSERT(strncmp(p[i].summary, "(no summary", 11) != 0);
		T_ASSERT(p[i].first && p[i].kernels);
		T_EQ(pl_release_policy(p[i].first, &pol), 0);
		T_ASSERT(!memcmp(&pol, &p[i].policy, sizeof(pol)));
		if (i)
			T_ASSERT(memcmp(&p[i - 1].policy, &p[i].policy, sizeof(pol)) != 0);
	}
	T_EQ(pl_release_policy("4.7", &pol), -ERANGE);
	T_EQ(pl_release_policy("6.19", &pol), -ERANGE);
	T_EQ(pl_release_policy("x", &pol), -EINVAL);
	T_ASSERT(pl_preset_find("6.19") == NULL);
	T_ASSERT(pl_preset_find("4.7.9") == NULL);
	T_STREQ(pl_preset_for_kernel("6.19.2")->name, "latest");
	T_STREQ(pl_preset_for_kernel("6.1.0-27-amd64 #1 SMP Debian 6.1.192-3")->name, "6.1.192");
	T_EQ(pl_preset_index("6.1.192"), pl_preset_index("v6.1"));
}

/* Every knob says when its rule arrived, verified; nothing is estimated. */
static void test_knob_releases(void)
{
	const struct pl_knob *k;
	char buf[16];
	int n;

	k = pl_knobs(&n);
	for (int i = 0; i < n; i++) {
		if (!strcmp(k[i].name, "anon_reuse")) {
			T_STREQ(pl_knob_next_change(&k[i], "5.8", buf, sizeof(buf)), "5.9");
			T_STREQ(pl_knob_change_commit(&k[i], false), "09854ba94c6a");
			T_ASSERT(pl_knob_next_change(&k[i], "5.9", buf, sizeof(buf)) == NULL);
		}
		if (!strcmp(k[i].name, "gup_cow_break_on_read")) {
			T_STREQ(pl_knob_next_change(&k[i], "5.7", buf, sizeof(buf)), "5.8");
			T_STREQ(pl_knob_next_change(&k[i], "5.8", buf, sizeof(buf)), "5.9");
			T_STREQ(pl_knob_change_commit(&k[i], true), "a308c71bf1e6");
		}
		if (!strcmp(k[i].name, "exclusive_clear_barrier"))
			T_STREQ(pl_knob_next_change(&k[i], "6.0", buf, sizeof(buf)), "6.1");
	}
	for (int i = 0; i < n; i++) {
		T_ASSERT(k[i].source && strlen(k[i].source) > 10);
		T_ASSERT(!has(k[i].commit, "~") && !has(k[i].source, "~"));
		T_ASSERT(!has(k[i].commit, "re-check") && !has(k[i].source, "not re-checked"));
		T_ASSERT(!has(k[i].commit, "always") && !has(k[i].commit, "before"));
		if (k[i].first)
			T_EQ(pl_release_parse(k[i].first, &(unsigned long){ 0 }), 0);
		if (k[i].last)
			T_EQ(pl_release_parse(k[i].last, &(unsigned long){ 0 }), 0);
	}
}

static void test_preset_history(void)
{
	static const struct {
		const char *preset, *knob, *value;
	} want[] = {
		{ "v4.8", "anon_reuse", "mapcount" },	{ "v4.8", "dirty_cow", "true" },
		{ "v4.8", "foll_cow", "false" },	{ "v4.8", "foll_pin", "false" },
		{ "v5.7", "dirty_cow", "false" },	{ "v5.7", "foll_cow", "true" },
		{ "v5.7", "foll_pin", "true" },
		{ "v5.7", "gup_cow_break_on_read", "false" },
		{ "v5.8", "gup_cow_break_on_read", "true" },
		{ "v5.8", "anon_reuse", "mapcount" },
		{ "v5.9", "anon_reuse", "refcount" },	{ "v5.9", "thp_swap_reuse", "mapcount" },
		{ "v5.9", "gup_cow_break_on_read", "false" },
		{ "v5.9", "fork_copy_pinned", "true" }, { "v5.9", "write_protect_seq", "false" },
		{ "v5.11", "write_protect_seq", "true" },
		{ "v5.11", "swapout_skip_pinned", "true" },
		{ "v6.2", "reclaim_skip_pinned", "false" },
		{ "v6.4", "reclaim_skip_pinned", "true" },
		{ "v5.19", "gup_fast_recheck_pmd", "false" },
		{ "v6.0", "gup_fast_recheck_pmd", "true" },
		{ "latest", "gup_fast_recheck_pmd", "true" },
		{ "v6.2", "per_vma_lock", "false" },
		{ "v6.4", "per_vma_lock", "true" },
		{ "v6.4", "fork_locks_vmas", "false" },
		{ "v6.5", "fork_locks_vmas", "true" },
		{ "6.4.3", "fork_locks_vmas", "true" },
		{ "v6.16", "collapse_needs_writable", "true" },
		{ "latest", "collapse_needs_writable", "false" },
		{ "v5.11", "clear_refs_skip_pinned", "true" },
		{ "v5.11", "fork_copy_pinned_hugetlb", "false" },
		{ "v5.12", "fork_copy_pinned_hugetlb", "true" },
		{ "v4.9", "dirty_cow", "false" },	{ "v4.9", "foll_cow", "true" },
		{ "v4.9", "foll_pin", "false" },
		{ "v6.1", "exclusive_clear_barrier", "true" },
		{ "v6.1", "longterm_unshare_cow", "false" },
		{ "v6.4", "dio_uses_pin", "false" },	{ "6.3", "dio_uses_pin", "false" },
		{ "5.10.147", "gup_fast_recheck_pmd", "false" },
		{ "5.10.148", "gup_fast_recheck_pmd", "true" },
		{ "5.15.72", "gup_fast_recheck_pmd", "false" },
		{ "5.15.73", "gup_fast_recheck_pmd", "true" },
		{ "5.19.13", "gup_fast_recheck_pmd", "false" },
		{ "5.19.14", "gup_fast_recheck_pmd", "true" },
		{ "v6.5", "huge_zero_wp_thp", "false" },
		{ "v6.13", "huge_zero_wp_thp", "true" },
		{ "v6.13", "uprobes_write_in_place", "false" },
		{ "v4.14", "madv_wipeonfork", "true" },	{ "v4.9", "madv_wipeonfork", "false" },
		{ "v5.1", "io_uring", "true" },		{ "v4.14", "io_uring", "false" },
		{ "v5.4", "madv_cold_pageout", "true" },
		{ "v5.14", "iouring_shmem_buffers", "true" },
		{ "v5.12", "iouring_shmem_buffers", "false" },
		{ "v5.14", "madv_populate", "true" },	{ "v5.16", "hugetlb_mremap", "true" },
		{ "v5.18", "hugetlb_madv_dontneed", "true" },
		{ "v6.9", "thp_split_zero_remap", "false" },
		{ "v6.12", "thp_split_zero_remap", "true" },
		{ "v5.19", "hugetlb_force_write_refused", "false" },
		{ "v6.0", "hugetlb_force_write_refused", "true" },
		{ "v6.13", "hugetlb_force_write_refused", "true" },
		{ "v6.14", "hugetlb_force_write_refused", "false" },
		{ "v6.1", "madv_collapse", "true" },	{ "v6.0", "madv_collapse", "false" },
		{ "v5.11", "thp_swap_reuse", "mapcount" },
		{ "v5.18", "thp_swap_reuse", "refcount" },
		{ "v5.18", "anon_exclusive", "false" },
		{ "v5.19", "anon_exclusive", "true" },	{ "v5.19", "gup_unshare", "true" },
		{ "v5.19", "swp_exclusive", "true" },	{ "v5.19", "foll_cow", "true" },
		{ "v5.19", "foll_force_needs_exclusive", "false" },
		{ "v5.19", "exclusive_clear_barrier", "false" },
		{ "v6.0", "foll_cow", "false" },
		{ "v6.0", "foll_force_needs_exclusive", "true" },
		{ "v6.0", "exclusive_clear_barrier", "false" },
		{ "v6.2", "exclusive_clear_barrier", "true" },
		{ "v6.2", "longterm_unshare_cow", "true" },
		{ "v6.2", "zero_page_never_pinned", "false" },
		{ "v6.5", "zero_page_never_pinned", "true" },
		{ "v6.5", "longterm_file_write_refused", "true" },
		{ "v6.5", "dio_uses_pin", "true" },	{ "v6.2", "iouring_file_buffers", "false" },
		{ "v6.5", "iouring_file_buffers", "true" },	{ "v6.5", "uprobes_write_in_place", "false" },
		{ "latest", "uprobes_write_in_place", "true" },
		{ "latest", "anon_reuse", "refcount" },
		{ "v6.5", "large_anon_reuse", "refcount" },
		{ "v6.9", "large_anon_reuse", "never" },
		{ "v6.15", "large_anon_reuse", "mm_id" },
		{ "latest", "large_anon_reuse", "mm_id" },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *got = knob_in(want[i].preset, want[i].knob);

		if (strcmp(got, want[i].value))
			t_fail(__FILE__, __LINE__, "%s: %s=%s, expected %s", want[i].preset,
			       want[i].knob, got, want[i].value);
	}
}

/* Once an era adopts a rule it keeps it, except the rules that history reverted. */
static void test_preset_monotonic(void)
{
	static const char *const reverted[] = {
		"dirty_cow", "foll_cow", "gup_cow_break_on_read",
		"hugetlb_force_write_refused", "collapse_needs_writable", "dirty_pipe",
	};
	const struct pl_preset *p;
	const struct pl_knob *k;
	int np, nk;

	p = pl_presets(&np);
	k = pl_knobs(&nk);
	for (int j = 0; j < nk; j++) {
		bool skip = false;

		for (size_t r = 0; r < sizeof(reverted) / sizeof(reverted[0]); r++)
			skip |= strcmp(k[j].name, reverted[r]) == 0;
		if (skip)
			continue;
		for (int i = 1; i < np; i++) {
			unsigned char a = *((const unsigned char *)&p[i - 1].policy + k[j].offset);
			unsigned char b = *((const unsigned char *)&p[i].policy + k[j].offset);

			if (b < a)
				t_fail(__FILE__, __LINE__, "%s goes back from %s to %s", k[j].name,
				       p[i - 1].name, p[i].name);
		}
	}
}

static void test_knob_table(void)
{
	const struct pl_knob *k;
	int n;

	k = pl_knobs(&n);
	for (int i = 0; i < n; i++) {
		T_ASSERT(k[i].name && k[i].name[0]);
		T_ASSERT(k[i].commit && k[i].commit[0]);
		T_ASSERT(k[i].doc && k[i].doc[0]);
		T_LT(k[i].offset, sizeof(struct pl_policy));
		for (int j = 0; j < i; j++) {
			T_ASSERT(strcmp(k[i].name, k[j].name) != 0);
			T_NE(k[i].offset, k[j].offset);
		}
	}
}

static void test_policy_set(void)
{
	struct pl_policy p = preset("latest")->policy, saved;
	char err[200];

	T_EQ(pl_policy_set(&p, "anon_reuse=mapcount", err, sizeof(err)), 0);
	T_EQ(p.anon_reuse, REUSE_MAPCOUNT);
	T_EQ(pl_policy_set(&p, "thp_swap_reuse=refcount", err, sizeof(err)), 0);
	T_EQ(p.thp_swap_reuse, REUSE_REFCOUNT);
	static const struct {
		const char *set;
		bool value;
	} bools[] = {
		{ "gup_unshare=false", false }, { "gup_unshare=1", true }, { "gup_unshare=off", false },
		{ "gup_unshare=yes", true },	{ "gup_unshare=no", false }, { "gup_unshare=on", true },
		{ "gup_unshare=0", false },	{ "gup_unshare = TRUE", true },
	};
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		T_EQ(pl_policy_set(&p, bools[i].set, err, sizeof(err)), 0);
		T_EQ(p.gup_unshare, bools[i].value);
	}
	T_EQ(pl_policy_set(&p, "gup_fast_recheck_pte=false", err, sizeof(err)), 0);
	T_ASSERT(!p.gup_fast_recheck_pte);

	saved = p;
	T_EQ(pl_policy_set(&p, "bogus=true", err, sizeof(err)), -EINVAL);
	T_STREQ(err, "unknown knob 'bogus'");
	T_EQ(pl_policy_set(&p, "anon_reuse=maybe", err, sizeof(err)), -EINVAL);
	T_STREQ(err, "bad value 'maybe' for knob 'anon_reuse' (expected mapcount or refcount)");
	T_EQ(pl_policy_set(&p, "foll_pin=2", err, sizeof(err)), -EINVAL);
	T_STREQ(err, "bad value '2' for knob 'foll_pin' (expected true or false)");
	T_EQ(pl_policy_set(&p, "foll_pin=", err, sizeof(err)), -EINVAL);
	T_EQ(pl_policy_set(&p, "foll_pin", err, sizeof(err)), -EINVAL);
	T_EQ(pl_policy_set(&p, "dirty_cow=true", NULL, 0), 0);
	T_ASSERT(p.dirty_cow);
	p.dirty_cow = saved.dirty_cow;
	T_ASSERT(memcmp(&p, &saved, sizeof(p)) == 0);
}

static void test_rule_reuse(void)
{
	struct world *w = pl_world_new(&preset("v5.9")->policy, "v5.9");

	T_REQUIRE(w);
	T_STREQ(pl_rule_reuse(w, false), "anon_reuse=refcount");
	T_STREQ(pl_rule_reuse(w, true), "thp_swap_reuse=mapcount");
	pl_world_free(w);
}

static bool kebab(const char *s)
{
	if (!s || !islower((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return s[-1] != '-';
}

static void test_invariant_table(void)
{
	static const char *const events[] = {
		"missed-cow", "private-file-write", "lost-write", "gup-write-downgraded",
		"unshare-made-writable", "pin-on-nonexclusive", "longterm-pin-unpinnable",
		"fork-shared-pinned", "gup-fast-stale", "swapout-pinned",
	};
	const struct pl_invariant *inv = pl_invariants(NULL);
	int n;

	pl_invariants(&n);
	T_GE(n, 24);
	for (int i = 0; i < n; i++) {
		T_ASSERT(kebab(inv[i].name));
		T_ASSERT(inv[i].rule && inv[i].rule[0]);
		T_ASSERT(inv[i].kernel && inv[i].kernel[0]);
		T_ASSERT(strcmp(pl_class_name(inv[i].cls), "?") != 0);
		T_ASSERT(pl_invariant_find(inv[i].name) == &inv[i]);
		for (int j = 0; j < i; j++)
			T_ASSERT(strcmp(inv[i].name, inv[j].name) != 0);
	}
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!pl_invariant_find(events[i]))
			t_fail(__FILE__, __LINE__, "event invariant '%s' missing", events[i]);
	T_ASSERT(pl_invariant_find("no-such-rule") == NULL);
	T_STREQ(pl_class_name(PL_CLASS_STALE_PIN), "stale-pin");
	T_STREQ(pl_class_name(PL_CLASS_LEAK), "leak");
}

static void test_violation_dedupe(void)
{
	struct world *w = pl_world_new(&preset("latest")->policy, "latest");

	T_REQUIRE(w);
	w->step = 3;
	pl_violation(w, "missed-cow", 1, 0x1000, 42, "first %d", 1);
	pl_violation(w, "missed-cow", 1, 0x1000, 42, "same fact again");
	T_EQ(w->nr_violations, 1);
	T_STREQ(w->violations[0].detail, "first 1");
	T_EQ(w->violations[0].step, 3);
	T_STREQ(w->violations[0].inv->name, "missed-cow");
	pl_violation(w, "missed-cow", 1, 0x1000, 43, "other page");
	pl_violation(w, "lost-write", 1, 0x1000, 42, "other rule");
	T_EQ(w->nr_violations, 3);
	w->step = 4;
	pl_violation(w, "missed-cow", 1, 0x1000, 42, "next step");
	T_EQ(w->nr_violations, 4);
	for (int i = 0; i < 5000; i++)
		pl_violation(w, "gup-fast-stale", 1, 0, (pl_pfn)i + 100, NULL);
	T_EQ(w->nr_violations, 1000);
	pl_world_free(w);
}

/* ---------------------------------------------------------------------------
 * The checker on real (tiny) worlds.
 */
static pl_pfn mapped_pfn(struct world *w, int pid, pl_addr addr)
{
	pte_t *ptep = pl_pte_lookup(pl_task(w, pid)->mm, addr);

	return ptep && pte_present(*ptep) ? pte_pfn(*ptep) : PL_PFN_NONE;
}

static int count_named(const struct world *w, const char *name)
{
	int n = 0;

	for (int i = 0; i < w->nr_violations; i++)
		n += strcmp(w->violations[i].inv->name, name) == 0;
	return n;
}

static void dump_violations(const struct world *w)
{
	for (int i = 0; i < w->nr_violations; i++)
		t_note("violation %s step %llu pid %d pfn %u: %s", w->violations[i].inv->name,
		       (unsigned long long)w->violations[i].step, w->violations[i].pid,
		       w->violations[i].pfn, w->violations[i].detail);
}

/* A world with one process and one anon page written at *addr. */
static struct world *one_page_world(const char *pname, pl_addr *addr)
{
	struct world *w = pl_world_new(&preset(pname)->policy, pname);
	int pid = pl_task_create(w);

	*addr = pl_mmap(w, pid, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
	if (pl_err(*addr) || pl_user_write(w, pid, *addr, pl_token_intern(w, "hello"))) {
		pl_world_free(w);
		return NULL;
	}
	return w;
}

static void test_clean_world(void)
{
	pl_addr addr;
	struct world *w = one_page_world("latest", &addr);
	pl_pfn pfn;
	int maps;

	T_REQUIRE(w);
	w->step = 1;
	T_EQ(pl_check_world(w), 0);
	T_EQ(w->nr_violations, 0);
	dump_violations(w);
	pfn = mapped_pfn(w, 1, addr);
	T_REQUIRE(pfn != PL_PFN_NONE);
	T_EQ(pl_expected_refcount(w, pfn, &maps), pfn_folio(w, pfn)->page._refcount);
	T_EQ(maps, 1);
	T_EQ(pl_expected_refcount(w, PL_PFN_NONE, &maps), 0);
	T_EQ(pl_expected_refcount(w, 0xfffffff0u, NULL), 0);
	pl_world_free(w);
}

static void test_corrupt_refcount(void)
{
	pl_addr addr;
	struct world *w = one_page_world("latest", &addr);
	struct folio *f;
	pl_pfn pfn;

	T_REQUIRE(w);
	pfn = mapped_pfn(w, 1, addr);
	T_REQUIRE(pfn != PL_PFN_NONE);
	f = pfn_folio(w, pfn);
	w->step = 7;
	f->page._refcount++;		/* a reference nobody owns */
	T_GE(pl_check_world(w), 1);
	T_EQ(count_named(w, "refcount-balance"), 1);
	T_EQ(w->violations[0].pfn, pfn);
	T_EQ(w->violations[0].step, 7);
	/* the same state in the same step is not reported twice */
	T_EQ(pl_check_world(w), 0);
	f->page._refcount--;
	w->step = 8;
	T_EQ(pl_check_world(w), 0);
	pl_world_free(w);
}

static void test_corrupt_mapcount_and_exclusive(void)
{
	pl_addr addr;
	struct world *w = one_page_world("latest", &addr);
	struct page *p;
	pl_pfn pfn;

	T_REQUIRE(w);
	/*
	 * The flag is cleared by hand, past the mark the model's own writes
	 * leave for the incremental checker (pl_page_flags_clear()): scan in
	 * full, as --check=full does.
	 */
	w->check_full = true;
	pfn = mapped_pfn(w, 1, addr);
	T_REQUIRE(pfn != PL_PFN_NONE);
	p = pfn_to_page(w, pfn);
	w->step = 1;
	p->_mapcount++;
	T_GE(pl_check_world(w), 1);
	T_EQ(count_named(w, "mapcount-balance"), 1);
	p->_mapcount--;
	/* a writable anon PTE on a page that lost PG_anon_exclusive */
	w->step = 2;
	p->flags &= ~PG_anon_exclusive;
	T_GE(pl_check_world(w), 1);
	T_EQ(count_named(w, "writable-anon-exclusive"), 1);
	p->flags |= PG_anon_exclusive;
	w->step = 3;
	if (pl_check_world(w) != 0) {
		t_fail(__FILE__, __LINE__, "violations left after the repairs");
		dump_violations(w);
	}
	pl_world_free(w);
}

/* write, fork, both write, child exits: clean in every era. */
static void test_fork_clean_all_presets(void)
{
	const struct pl_preset *p;
	int np;

	p = pl_presets(&np);
	for (int i = 0; i < np; i++) {
		pl_addr addr;
		struct world *w = one_page_world(p[i].name, &addr);
		int child;

		T_REQUIRE(w);
		w->step = 1;
		child = pl_fork(w, 1);
		T_GT(child, 1);
		T_EQ(pl_check_world(w), 0);
		w->step = 2;
		T_EQ(pl_user_write(w, child, addr, pl_token_intern(w, "child")), 0);
		T_EQ(pl_user_write(w, 1, addr, pl_token_intern(w, "parent")), 0);
		T_EQ(pl_check_world(w), 0);
		w->step = 3;
		T_EQ(pl_exit(w, child), 0);
		T_EQ(pl_check_world(w), 0);
		if (w->nr_violations)
			t_note("preset %s:", p[i].name);
		dump_violations(w);
		pl_world_free(w);
	}
}

int main(void)
{
	T_RUN(test_presets_defined);
	T_RUN(test_preset_history);
	T_RUN(test_preset_monotonic);
	T_RUN(test_release_presets);
	T_RUN(test_knob_releases);
	T_RUN(test_knob_table);
	T_RUN(test_policy_set);
	T_RUN(test_rule_reuse);
	T_RUN(test_invariant_table);
	T_RUN(test_violation_dedupe);
	T_RUN(test_clean_world);
	T_RUN(test_corrupt_refcount);
	T_RUN(test_corrupt_mapcount_and_exclusive);
	T_RUN(test_fork_clean_all_presets);
	return T_DONE();
}
