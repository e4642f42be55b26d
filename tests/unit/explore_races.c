/*
 * Description: the race explorer finds the GUP/COW races of issue 6 by
 * itself.  Each race is two C threads running the concurrent operations
 * (no yield hooks placed for the bug); under the buggy preset the search
 * must find a failing schedule, which must replay and round-trip through a
 * .sched file; under the fixed preset the search must complete within the
 * bound and find nothing.  Before that, the engine on toy programs: exact
 * schedule counts, sleep sets, deadlock, the .sched format, shards and
 * worker processes covering the same schedules as one search.
 *
 * The explorer comes from libpinlab-app.a, through explore.h.
 */
#include "testlib.h"

#include <errno.h>
#include <time.h>

#include "pinlab/core.h"

#include "explore/explore.h"

static double xt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Print a multi-line text as "# " notes. */
static void note_lines(char *text)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		T_NOTE("  %s", line);
}

/* ---------------------------------------------------------------------------
 * Toy programs: the sync hooks called directly, as the core's sync layer does.
 */
struct toy {
	uint32_t counter;
	struct pl_lock a, b;
	int order;	/* deadlock toy: thread 1 takes b first */
};

static void toy_sync(struct world *w, enum pl_sync_op op, const void *obj)
{
	if (w->hooks.sync)
		w->hooks.sync(w, op, obj, w->hooks.arg);
}

static void toy_lock(struct world *w, struct pl_lock *l)
{
	toy_sync(w, PL_SYNC_LOCK, l);
	l->owner = w->cur_thread + 1;
}

static void toy_unlock(struct world *w, struct pl_lock *l)
{
	l->owner = 0;
	toy_sync(w, PL_SYNC_UNLOCK, l);
}

static struct world *toy_setup(void *arg)
{
	struct toy *t = arg;

	t->counter = 0;
	memset(&t->a, 0, sizeof(t->a));
	memset(&t->b, 0, sizeof(t->b));
	return pl_world_new(&pl_preset_find("latest")->policy, "latest");
}

/* counter++ as READ_ONCE then WRITE_ONCE: the lost update */
static void toy_inc(struct world *w, void *arg)
{
	struct toy *t = arg;
	uint32_t v;

	toy_sync(w, PL_SYNC_READ_ONCE, &t->counter);
	v = t->counter;
	toy_sync(w, PL_SYNC_WRITE_ONCE, &t->counter);
	t->counter = v + 1;
}

static void toy_inc_locked(struct world *w, void *arg)
{
	struct toy *t = arg;

	toy_lock(w, &t->a);
	toy_inc(w, arg);
	toy_unlock(w, &t->a);
}

static bool toy_check(struct world *w, void *arg, char *why, size_t len)
{
	struct toy *t = arg;

	(void)w;
	if (t->counter != 2) {
		snprintf(why, len, "counter is %u", t->counter);
		return false;
	}
	return true;
}

static void toy_ab(struct world *w, void *arg)
{
	struct toy *t = arg;

	toy_lock(w, &t->a);
	toy_lock(w, &t->b);
	toy_unlock(w, &t->b);
	toy_unlock(w, &t->a);
}

static void toy_ba(struct world *w, void *arg)
{
	struct toy *t = arg;

	toy_lock(w, &t->b);
	toy_lock(w, &t->a);
	toy_unlock(w, &t->a);
	toy_unlock(w, &t->b);
}

static void test_toy_lost_update(void)
{
	struct toy t;
	struct pl_explore_spec spec = {
		.name = "lost-update", .setup = toy_setup, .nr_threads = 2,
		.thread = { toy_inc, toy_inc }, .check = toy_check, .arg = &t,
	};
	struct pl_explore_opts o = pl_explore_opts_default();
	struct pl_explore_result r;

	/* bound 0: only the two serial orders, both fine */
	o.bound = 0;
	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_EQ(r.schedules, 2);
	T_ASSERT(r.complete && !r.exhaustive && !r.fail);
	pl_explore_result_free(&r);

	/* unbounded, no reduction: every interleaving of 3 + 3 steps, C(6,3) */
	o.bound = -1;
	o.all = true;
	o.no_minimise = true;
	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_EQ(r.schedules, 20);
	T_ASSERT(r.complete && r.exhaustive);
	T_GT(r.failures, 0);
	pl_explore_result_free(&r);

	/* sleep sets: fewer schedules, the same failures found */
	o.por = true;
	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_LT(r.schedules, 20);
	T_GT(r.failures, 0);
	T_ASSERT(r.complete && r.exhaustive);
	T_NOTE("lost update, unbounded: 20 schedules plain, %llu with sleep sets (%llu redundant)",
	       (unsigned long long)r.schedules, (unsigned long long)r.redundant);
	pl_explore_result_free(&r);

	/* stop at the first failure: found with one preemption, minimised */
	o = pl_explore_opts_default();
	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_REQUIRE(r.fail != NULL);
	T_EQ(r.verdict, PL_VERDICT_FAIL);
	T_EQ(r.fail->preemptions, 1);
	T_EQ(r.bound, 1);
	T_ASSERT(!r.complete);
	T_STREQ(r.why, "counter is 1");
	T_EQ(pl_explore_replay(&spec, r.fail, NULL), PL_VERDICT_FAIL);
	pl_explore_result_free(&r);

	/* the same increments under a lock: no failure, even unbounded */
	spec.thread[0] = spec.thread[1] = toy_inc_locked;
	o.bound = -1;
	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_ASSERT(!r.fail && r.complete && r.exhaustive);
	T_GT(r.schedules, 2);
	pl_explore_result_free(&r);
}

static void test_toy_deadlock(void)
{
	struct toy t;
	struct pl_explore_spec spec = {
		.name = "abba", .setup = toy_setup, .nr_threads = 2,
		.thread = { toy_ab, toy_ba }, .arg = &t,
	};
	struct pl_explore_opts o = pl_explore_opts_default();
	struct pl_explore_result r;
	struct pl_replay rp;

	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_REQUIRE(r.fail != NULL);
	T_EQ(r.verdict, PL_VERDICT_DEADLOCK);
	T_EQ(r.fail->preemptions, 1);
	T_ASSERT(strstr(r.why, "deadlock: T0 waits in lock") != NULL);
	memset(&rp, 0, sizeof(rp));
	T_EQ(pl_explore_replay(&spec, r.fail, &rp), PL_VERDICT_DEADLOCK);
	T_EQ(rp.preemptions, 1);
	pl_explore_result_free(&r);
}

static void test_sched_file(void)
{
	struct pl_sched *s = pl_sched_new(), *back;
	char *buf = NULL, err[160];
	size_t len = 0;
	FILE *f;
	static const char *const bad[] = {
		"run 0 5\n",			/* no end */
		"run 9 1\nend\n",		/* no such thread */
		"run 0 0\nend\n",		/* empty run */
		"run 1 -3\nend\n",
		"walk 0 1\nend\n",
		"run 0 1 2\nend\n",
	};

	T_REQUIRE(s != NULL);
	snprintf(s->name, sizeof(s->name), "dirty-cow");
	s->nr_threads = 2;
	s->preemptions = 1;
	s->steps = 77;
	T_EQ(pl_sched_add(s, 0, 3), 0);
	T_EQ(pl_sched_add(s, 0, 2), 0);		/* merges */
	T_EQ(pl_sched_add(s, 1, 40), 0);
	T_EQ(pl_sched_add(s, 7, 1), -EINVAL);
	T_EQ(s->nr_runs, 2);
	T_EQ(pl_sched_explicit_steps(s), 45);
	f = open_memstream(&buf, &len);
	T_REQUIRE(f != NULL);
	T_EQ(pl_sched_write(f, s), 0);
	fclose(f);
	T_ASSERT(strstr(buf, "name dirty-cow\nthreads 2\npreemptions 1\nsteps 77\n"
			     "run 0 5\nrun 1 40\nend\n") != NULL);
	f = fmemopen(buf, len, "r");
	back = pl_sched_read(f, err, sizeof(err));
	fclose(f);
	T_REQUIRE(back != NULL);
	T_STREQ(back->name, "dirty-cow");
	T_EQ(back->nr_runs, 2);
	T_EQ(back->runs[1].thread, 1);
	T_EQ(back->runs[1].steps, 40);
	T_EQ(back->preemptions, 1);
	T_EQ(back->steps, 77);
	pl_sched_free(back);
	free(buf);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		f = fmemopen((void *)bad[i], strlen(bad[i]), "r");
		err[0] = 0;
		back = pl_sched_read(f, err, sizeof(err));
		fclose(f);
		T_ASSERT(back == NULL);
		T_ASSERT(!strncmp(err, "line ", 5));
		pl_sched_free(back);
	}
	pl_sched_free(s);
}

/* ---------------------------------------------------------------------------
 * The races.
 */
struct race {
	const char *preset;
	const char *knob;		/* "knob=value" on top of the preset, or NULL */
	/* per schedule, reset by setup */
	int pid, child, file, handle;
	pl_addr addr, addr2;
	pl_pfn pinned;
	long got;
	bool setup_failed;
	struct race *snap;		/* race_snapshot(): the fields after setup */
};

static struct world *race_world(struct race *c)
{
	const struct pl_preset *p = pl_preset_find(c->preset);
	struct pl_policy pol;
	char err[160];

	c->pid = c->child = c->file = c->handle = 0;
	c->addr = c->addr2 = 0;
	c->pinned = PL_PFN_NONE;
	c->got = 0;
	if (!p)
		return NULL;
	pol = p->policy;
	if (c->knob && pl_policy_set(&pol, c->knob, err, sizeof(err)))
		return NULL;
	return pl_world_new(&pol, c->preset);
}

static pl_token tok(struct world *w, const char *s)
{
	return pl_token_intern(w, s);
}

static const char *txt(struct world *w, pl_token t)
{
	return pl_token_text(w, t);
}

static pl_addr map_anon(struct world *w, int pid, unsigned long pages)
{
	return pl_mmap(w, pid, 0, pages * PAGE_SIZE, PL_PROT_READ | PL_PROT_WRITE,
		       PL_MAP_PRIVATE | PL_MAP_ANONYMOUS, -1, 0);
}

/* The owner writes "new"; the pinned page must show it. */
static bool pin_sees_owner_write(struct world *w, struct race *c, pl_addr a, char *why, size_t len)
{
	const char *got;

	if (pl_user_write(w, c->pid, a, tok(w, "new"))) {
		snprintf(why, len, "the owner's write faulted");
		return false;
	}
	got = txt(w, pfn_to_page(w, c->pinned)->token);
	if (strcmp(got, "new")) {
		snprintf(why, len, "stale pin: the owner wrote \"new\", the pinned page holds \"%s\"",
			 got);
		return false;
	}
	return true;
}

/* 1. Dirty COW: /proc/self/mem write loop vs MADV_DONTNEED, R/O private ext4 mapping. */
static struct world *dc_setup(void *arg)
{
	struct race *c = arg;
	struct world *w = race_world(c);
	pl_token t;

	if (!w)
		return NULL;
	c->file = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "root-owned"));
	c->pid = pl_task_create(w);
	c->addr = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ, PL_MAP_PRIVATE, c->file, 0);
	tok(w, "evil");
	pl_user_read(w, c->pid, c->addr, &t);
	return w;
}

static void dc_writer(struct world *w, void *arg)
{
	struct race *c = arg;

	for (int i = 0; i < 2; i++)
		pl_proc_mem_write(w, c->pid, c->pid, c->addr, tok(w, "evil"));
}

static void dc_zapper(struct world *w, void *arg)
{
	struct race *c = arg;

	for (int i = 0; i < 2; i++)
		pl_madvise(w, c->pid, c->addr, PAGE_SIZE, PL_MADV_DONTNEED);
}

static bool dc_check(struct world *w, void *arg, char *why, size_t len)
{
	struct race *c = arg;
	pl_token t = 0;

	pl_file_read(w, c->file, 0, &t);
	if (strcmp(txt(w, t), "root-owned")) {
		snprintf(why, len, "the read-only file now reads \"%s\"", txt(w, t));
		return false;
	}
	return true;
}

/* v4.8 drops FOLL_WRITE on every forced COW (the rule itself): judge by the file */
static const char *const dc_ignore[] = { "gup-write-downgraded", NULL };

/* 2. GUP-fast FOLL_PIN vs fork. */
static struct world *gf_setup(void *arg)
{
	struct race *c = arg;
	struct world *w = race_world(c);

	if (!w)
		return NULL;
	c->pid = pl_task_create(w);
	c->addr = map_anon(w, c->pid, 1);
	pl_user_write(w, c->pid, c->addr, tok(w, "old"));
	tok(w, "new");
	return w;
}

static void gf_pinner(struct world *w, void *arg)
{
	struct race *c = arg;
	struct mm_struct *mm = pl_task(w, c->pid)->mm;

	c->got = gup_fast_only(w, mm, c->addr, 1, FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM,
			       &c->pinned);
	if (c->got != 1)	/* pin_user_pages_fast(): the slow path after GUP-fast gave up */
		c->got = pin_user_pages(w, mm, c->addr, 1, FOLL_WRITE | FOLL_LONGTERM, &c->pinned);
}

static void gf_forker(struct world *w, void *arg)
{
	struct race *c = arg;

	c->child = pl_fork(w, c->pid);
}

static bool gf_check(struct world *w, void *arg, char *why, size_t len)
{
	struct race *c = arg;

	if (c->got != 1 || c->child <= 0) {
		snprintf(why, len, "pin %ld, fork %d", c->got, c->child);
		return false;
	}
	return pin_sees_owner_write(w, c, c->addr, why, len);
}

/* 3. GUP-fast vs MADV_DONTNEED and a new allocation (seed 001). */
static struct world *gz_setup(void *arg)
{
	struct race *c = arg;
	struct world *w = race_world(c);

	if (!w)
		return NULL;
	c->pid = pl_task_create(w);
	c->addr = map_anon(w, c->pid, 1);
	c->addr2 = map_anon(w, c->pid, 1);
	pl_user_write(w, c->pid, c->addr, tok(w, "old"));
	tok(w, "other");
	return w;
}

static void gz_pinner(struct world *w, void *arg)
{
	struct race *c = arg;

	c->got = gup_fast_only(w, pl_task(w, c->pid)->mm, c->addr, 1,
			       FOLL_PIN | FOLL_WRITE | FOLL_LONGTERM, &c->pinned);
}

static void gz_zapper(struct world *w, void *arg)
{
	struct race *c = arg;

	pl_madvise(w, c->pid, c->addr, PAGE_SIZE, PL_MADV_DONTNEED);
	pl_user_write(w, c->pid, c->addr2, tok(w, "other"));	/* may reuse the freed page */
}

static bool gz_check(struct world *w, void *arg, char *why, size_t len)
{
	struct race *c = arg;
	pte_t *ptep;

	if (c->got != 1)
		return true;	/* GUP-fast backed off: nothing pinned */
	ptep = pl_pte_lookup(pl_task(w, c->pid)->mm, c->addr2);
	if (ptep && pte_present(*ptep) && pte_pfn(*ptep) == c->pinned) {
		snprintf(why, len, "GUP-fast pinned pfn %u, which now backs another mapping (\"%s\")",
			 c->pinned, txt(w, pfn_to_page(w, c->pinned)->token));
		return false;
	}
	return true;
}

/* 4. pin_user_pages vs swapout of the same anon page (seed 003). */
static struct world *ps_setup(void *arg)
{
	struct race *c = arg;
	struct world *w = race_world(c);

	if (!w)
		return NULL;
	pl_swapon(w, 16);
	c->pid = pl_task_create(w);
	c->addr = map_anon(w, c->pid, 1);
	pl_user_write(w, c->pid, c->addr, tok(w, "old"));
	tok(w, "new");
	return w;
}

static void ps_pinner(struct world *w, void *arg)
{
	struct race *c = arg;

	c->got = pin_user_pages(w, pl_task(w, c->pid)->mm, c->addr, 1, FOLL_WRITE | FOLL_LONGTERM,
				&c->pinned);
}

static void ps_reclaimer(struct world *w, void *arg)
{
	struct race *c = arg;

	pl_reclaim(w, c->pid, c->addr);
}

static bool ps_check(struct world *w, void *arg, char *why, size_t len)
{
	struct race *c = arg;
	pl_token t;

	if (c->got != 1) {
		snprintf(why, len, "pin_user_pages returned %ld", c->got);
		return false;
	}
	/* the owner reads its buffer (a swap-in maps it), then writes it */
	pl_user_read(w, c->pid, c->addr, &t);
	return pin_sees_owner_write(w, c, c->addr, why, len);
}

/* 5. uprobes vs a long-term pin of the same file-backed text page (seed 000). */
static struct world *up_setup(void *arg)
{
	struct race *c = arg;
	struct world *w = race_world(c);
	pl_token t;

	if (!w)
		return NULL;
	c->file = pl_file_create(w, PL_FS_EXT4, 1, tok(w, "code"));
	c->pid = pl_task_create(w);
	c->addr = pl_mmap(w, c->pid, 0, PAGE_SIZE, PL_PROT_READ | PL_PROT_EXEC, PL_MAP_PRIVATE,
			  c->file, 0);
	pl_user_read(w, c->pid, c->addr, &t);
	tok(w, "int3");
	return w;
}

static void up_pinner(struct world *w, void *arg)
{
	struct race *c = arg;

	c->handle = pl_gup_test_pin(w, c->pid, c->addr, 1, false, false);
}

static void up_tracer(struct world *w, void *arg)
{
	struct race *c = arg;

	pl_uprobe_register(w, c->file, 0, tok(w, "int3"));
}

static bool up_check(struct world *w, void *arg, char *why, size_t len)
{
	struct race *c = arg;
	pl_token pinned = 0, runs = 0;

	if (c->handle < 0) {
		snprintf(why, len, "pin refused: %d", c->handle);
		return false;
	}
	pl_gup_test_read(w, c->handle, 0, &pinned);
	pl_user_read(w, c->pid, c->addr, &runs);
	if (pinned != runs) {
		snprintf(why, len, "stale pin: the pin holds \"%s\", the process executes \"%s\"",
			 txt(w, pinned), txt(w, runs));
		return false;
	}
	return true;
}

/* 6. PageAnonExclusive clearing (KSM) vs a R/O FOLL_PIN GUP-fast (088b8aa537c2). */
static struct world *ke_setup(void *arg)
{
	struct race *c = arg;
	struct world *w = race_world(c);

	if (!w)
		return NULL;
	c->pid = pl_task_create(w);
	c->addr = map_anon(w, c->pid, 2);
	c->addr2 = c->addr + PAGE_SIZE;
	pl_madvise(w, c->pid, c->addr, 2 * PAGE_SIZE, PL_MADV_MERGEABLE);
	pl_user_write(w, c->pid, c->addr, tok(w, "same"));	/* lower pfn: becomes the KSM page */
	pl_user_write(w, c->pid, c->addr2, tok(w, "same"));	/* merged into it */
	tok(w, "new");
	return w;
}

static void ke_pinner(struct world *w, void *arg)
{
	struct race *c = arg;

	c->got = gup_fast_only(w, pl_task(w, c->pid)->mm, c->addr2, 1, FOLL_PIN, &c->pinned);
}

static void ke_ksmd(struct world *w, void *arg)
{
	(void)arg;
	pl_ksm_merge(w);
}

static bool ke_check(struct world *w, void *arg, char *why, size_t len)
{
	struct race *c = arg;

	if (c->got != 1)
		return true;	/* GUP-fast declined: nothing pinned */
	return pin_sees_owner_write(w, c, c->addr2, why, len);
}

struct race_case {
	const char *name;
	struct world *(*setup)(void *arg);
	pl_thread_fn a, b;
	const char *a_name, *b_name;
	bool (*check)(struct world *w, void *arg, char *why, size_t len);
	const char *const *ignore;
	const char *buggy, *buggy_knob;
	const char *fixed, *fixed_knob;
	int bound;
	const char *also_buggy;		/* a later era the race still breaks, or NULL */
};

static const struct race_case races[] = {
	{ "dirty-cow", dc_setup, dc_writer, dc_zapper, "/proc/self/mem write x2",
	  "madvise(DONTNEED) x2", dc_check, dc_ignore, "v4.8", NULL, "v5.7", NULL, 2, NULL },
	{ "gup-fast-fork", gf_setup, gf_pinner, gf_forker, "pin_user_pages_fast(W|LT)", "fork()",
	  gf_check, NULL, "v5.9", NULL, "v5.11", NULL, 2, NULL },
	{ "gup-fast-zap", gz_setup, gz_pinner, gz_zapper, "gup_fast_only(PIN|W|LT)",
	  "madvise(DONTNEED); write other", gz_check, NULL, "latest", "gup_fast_recheck_pte=false",
	  "latest", NULL, 2, NULL },
	/*
	 * v5.9 breaks without a race (swapout takes the pinned page).  v5.11's
	 * feb889fb40fa checks for a pin before unmapping, but a pin taken
	 * between that check and try_to_unmap still ends swapped-out-and-COWed
	 * (one preemption); v5.19's __folio_try_share_anon_rmap() under the PTL
	 * (6c287605fd56) closes it.
	 */
	{ "pin-swapout", ps_setup, ps_pinner, ps_reclaimer, "pin_user_pages(W|LT)", "reclaim",
	  ps_check, NULL, "v5.9", NULL, "v5.19", NULL, 2, "v5.11" },
	{ "uprobes-pin", up_setup, up_pinner, up_tracer, "gup_test pin (R/O, LT)",
	  "uprobe_register", up_check, NULL, "v6.5", NULL, "latest", NULL, 2, NULL },
	{ "ksm-exclusive", ke_setup, ke_pinner, ke_ksmd, "gup_fast_only(PIN, R/O)", "ksm merge",
	  ke_check, NULL, "v6.0", NULL, "v6.2", NULL, 2, NULL },
};

static void race_spec(const struct race_case *rc, struct race *ctx, struct pl_explore_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->name = rc->name;
	spec->setup = rc->setup;
	spec->nr_threads = 2;
	spec->thread[0] = rc->a;
	spec->thread[1] = rc->b;
	spec->thread_name[0] = rc->a_name;
	spec->thread_name[1] = rc->b_name;
	spec->check = rc->check;
	spec->ignore_violations = rc->ignore;
	spec->arg = ctx;
}

static void note_result(const char *what, const struct pl_explore_result *r, double secs)
{
	T_NOTE("%s: %llu schedules (%llu runs, %llu revisited, %llu redundant), %llu steps, "
	       "%llu end states, bound %d%s, %.3f s",
	       what, (unsigned long long)r->schedules, (unsigned long long)r->runs,
	       (unsigned long long)r->revisited, (unsigned long long)r->redundant,
	       (unsigned long long)r->steps, (unsigned long long)r->distinct_states, r->bound,
	       r->exhaustive ? " (exhaustive)" : r->complete ? " (complete)" : "", secs);
}

/* Replay, print, write and read back the failing schedule. */
static void check_failure(const struct pl_explore_spec *spec, const struct pl_explore_result *r)
{
	struct pl_replay rp;
	struct pl_sched *back;
	char *buf = NULL, err[160];
	size_t len = 0;
	FILE *f;

	memset(&rp, 0, sizeof(rp));
	T_EQ(pl_explore_replay(spec, r->fail, &rp), r->verdict);
	T_EQ(rp.preemptions, r->fail->preemptions);
	T_EQ(rp.steps, r->fail->steps);
	f = open_memstream(&buf, &len);
	T_REQUIRE(f != NULL);
	T_EQ(pl_sched_write(f, r->fail), 0);
	fclose(f);
	f = fmemopen(buf, len, "r");
	back = pl_sched_read(f, err, sizeof(err));
	fclose(f);
	note_lines(buf);
	free(buf);
	T_REQUIRE(back != NULL);
	T_EQ(pl_explore_replay(spec, back, NULL), r->verdict);
	pl_sched_free(back);
	buf = NULL;
	f = open_memstream(&buf, &len);
	T_REQUIRE(f != NULL);
	T_EQ(pl_explore_print(f, spec, r->fail, 0), r->verdict);
	fclose(f);
	note_lines(buf);
	free(buf);
}

static void run_race(const struct race_case *rc)
{
	struct race ctx = { 0 };
	struct pl_explore_spec spec;
	struct pl_explore_opts o = pl_explore_opts_default();
	struct pl_explore_result r;
	double t0;

	race_spec(rc, &ctx, &spec);
	o.bound = rc->bound;

	/* buggy era: the explorer finds the interleaving */
	ctx.preset = rc->buggy;
	ctx.knob = rc->buggy_knob;
	t0 = xt_now();
	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_ASSERT(!r.error);
	note_result(rc->buggy_knob ? rc->buggy_knob : rc->buggy, &r, xt_now() - t0);
	T_ASSERT(r.fail != NULL);
	if (r.fail) {
		T_ASSERT(pl_verdict_failed(r.verdict));
		T_NOTE("%s %s: %s after %d preemption(s), %llu steps (%llu explicit), %s",
		       rc->name, rc->buggy, pl_verdict_name(r.verdict), r.fail->preemptions,
		       (unsigned long long)r.fail->steps,
		       (unsigned long long)pl_sched_explicit_steps(r.fail), r.why);
		check_failure(&spec, &r);
	}
	pl_explore_result_free(&r);

	if (rc->also_buggy) {
		ctx.preset = rc->also_buggy;
		t0 = xt_now();
		T_EQ(pl_explore(&spec, &o, &r), 0);
		note_result(rc->also_buggy, &r, xt_now() - t0);
		T_ASSERT(r.fail != NULL);
		if (r.fail) {
			T_NOTE("%s %s: %s after %d preemption(s), %llu steps, %s", rc->name,
			       rc->also_buggy, pl_verdict_name(r.verdict), r.fail->preemptions,
			       (unsigned long long)r.fail->steps, r.why);
			check_failure(&spec, &r);
		}
		pl_explore_result_free(&r);
		ctx.preset = rc->buggy;
	}

	/* the same with sleep sets */
	o.por = true;
	t0 = xt_now();
	T_EQ(pl_explore(&spec, &o, &r), 0);
	note_result("  with sleep sets", &r, xt_now() - t0);
	T_ASSERT(r.fail != NULL);
	pl_explore_result_free(&r);
	o.por = false;

	/* fixed era: nothing within the bound, search complete */
	ctx.preset = rc->fixed;
	ctx.knob = rc->fixed_knob;
	t0 = xt_now();
	T_EQ(pl_explore(&spec, &o, &r), 0);
	note_result(rc->fixed, &r, xt_now() - t0);
	T_ASSERT(!r.error);
	T_ASSERT(r.complete);
	T_ASSERT(r.fail == NULL);
	if (r.fail) {
		T_NOTE("unexpected: %s: %s", pl_verdict_name(r.verdict), r.why);
		check_failure(&spec, &r);
	}
	pl_explore_result_free(&r);

	o.por = true;
	t0 = xt_now();
	T_EQ(pl_explore(&spec, &o, &r), 0);
	note_result("  with sleep sets", &r, xt_now() - t0);
	T_ASSERT(r.complete && r.fail == NULL);
	pl_explore_result_free(&r);
}

/* Shards cover exactly what one search covers; so do worker processes. */
static void test_shards_and_jobs(void)
{
	struct race ctx = { .preset = "v5.11" };
	struct pl_explore_spec spec;
	struct pl_explore_opts o = pl_explore_opts_default();
	struct pl_explore_result whole, part, merged;

	race_spec(&races[1], &ctx, &spec);
	for (int por = 0; por <= 1; por++) {
		o = pl_explore_opts_default();
		o.por = por;
		T_EQ(pl_explore(&spec, &o, &whole), 0);
		T_ASSERT(whole.complete && !whole.fail);
		pl_explore_result_init(&merged);
		for (int k = 0; k < 3; k++) {
			o.shard_k = k;
			o.shard_n = 3;
			T_EQ(pl_explore(&spec, &o, &part), 0);
			T_ASSERT(part.complete);
			T_GT(part.foreign, 0);
			T_NOTE("%s shard %d/3: %llu schedules, %llu foreign runs", por ? "por" : "plain",
			       k, (unsigned long long)part.schedules,
			       (unsigned long long)part.foreign);
			T_EQ(pl_explore_merge(&merged, &part), 0);
			pl_explore_result_free(&part);
		}
		T_EQ(merged.schedules, whole.schedules);
		T_EQ(merged.distinct_states, whole.distinct_states);
		T_EQ(merged.failures, 0);
		T_EQ(merged.bound, 2);
		T_ASSERT(merged.complete);
		pl_explore_result_free(&merged);

		/* the same split over two worker processes */
		o.shard_k = o.shard_n = 0;
		o.jobs = 2;
		T_EQ(pl_explore(&spec, &o, &merged), 0);
		T_EQ(merged.schedules, whole.schedules);
		T_EQ(merged.distinct_states, whole.distinct_states);
		T_ASSERT(merged.complete && !merged.fail && !merged.error);
		pl_explore_result_free(&merged);
		pl_explore_result_free(&whole);
	}

	/* a buggy era over workers: the failure comes back through the pipe */
	ctx.preset = "v5.9";
	o = pl_explore_opts_default();
	o.jobs = 2;
	T_EQ(pl_explore(&spec, &o, &merged), 0);
	T_REQUIRE(merged.fail != NULL);
	T_EQ(merged.fail->preemptions, 1);
	T_EQ(pl_explore_replay(&spec, merged.fail, NULL), merged.verdict);
	pl_explore_result_free(&merged);
}

/* The same schedule prints the same bytes. */
static void test_print_deterministic(void)
{
	struct race ctx = { .preset = "v6.0" };
	struct pl_explore_spec spec;
	struct pl_explore_opts o = pl_explore_opts_default();
	struct pl_explore_result r;
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	FILE *f;

	race_spec(&races[5], &ctx, &spec);
	T_EQ(pl_explore(&spec, &o, &r), 0);
	T_REQUIRE(r.fail != NULL);
	f = open_memstream(&a, &la);
	pl_explore_print(f, &spec, r.fail, PL_PRINT_ALL_STEPS);
	fclose(f);
	f = open_memstream(&b, &lb);
	pl_explore_print(f, &spec, r.fail, PL_PRINT_ALL_STEPS);
	fclose(f);
	T_EQ(la, lb);
	T_ASSERT(la == lb && !memcmp(a, b, la));
	T_ASSERT(strstr(a, "---- T0 preempts T1 ----") || strstr(a, "---- T1 preempts T0 ----"));
	free(a);
	free(b);
	pl_explore_result_free(&r);
}

/*
 * spec->snapshot / spec->restore: setup() once per search, each schedule on
 * a copy of its world (pl_world_copy_into()), the per-run fields put back.
 */
static bool race_snapshot(void *arg)
{
	struct race *c = arg;

	if (!c->snap)
		return false;
	*c->snap = *c;
	return true;
}

static bool race_restore(void *arg, struct world *w)
{
	struct race *c = arg, *s = c->snap;

	(void)w;
	*c = *s;
	return true;
}

static char *sched_text(const struct pl_sched *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f) {
		if (s)
			pl_sched_write(f, s);
		fclose(f);
	}
	return buf;
}

/* The same search with setup() per schedule and with copies: the same result. */
static void search_both_ways(const struct race_case *rc, const char *preset, const char *knob,
			     struct pl_explore_opts o)
{
	struct race ctx = { 0 }, snap = { 0 };
	struct pl_explore_spec spec;
	struct pl_explore_result a, b;
	char *sa, *sb;

	race_spec(rc, &ctx, &spec);
	spec.snapshot = race_snapshot;
	spec.restore = race_restore;
	ctx.preset = preset;
	ctx.knob = knob;
	ctx.snap = &snap;
	o.fresh_worlds = true;
	T_EQ(pl_explore(&spec, &o, &a), 0);
	o.fresh_worlds = false;
	T_EQ(pl_explore(&spec, &o, &b), 0);
	T_EQ(a.schedules, b.schedules);
	T_EQ(a.runs, b.runs);
	T_EQ(a.redundant, b.redundant);
	T_EQ(a.revisited, b.revisited);
	T_EQ(a.steps, b.steps);
	T_EQ(a.distinct_states, b.distinct_states);
	T_EQ(a.failures, b.failures);
	T_EQ(a.bound, b.bound);
	T_EQ(a.complete, b.complete);
	T_EQ(a.exhaustive, b.exhaustive);
	T_ASSERT(!a.error && !b.error);
	T_EQ(a.verdict, b.verdict);
	T_STREQ(a.why, b.why);
	T_EQ(a.minimise_replays, b.minimise_replays);
	T_EQ(a.cap_states, b.cap_states);
	if (a.cap_states == b.cap_states && a.states && b.states)
		T_ASSERT(!memcmp(a.states, b.states, a.cap_states * sizeof(*a.states)));
	sa = sched_text(a.fail);
	sb = sched_text(b.fail);
	T_ASSERT(sa && sb && !strcmp(sa, sb));
	T_NOTE("%s %s%s%s: %llu schedules, %llu steps, %llu end states, %s", rc->name, preset,
	       knob ? " " : "", knob ? knob : "", (unsigned long long)b.schedules,
	       (unsigned long long)b.steps, (unsigned long long)b.distinct_states,
	       b.fail ? pl_verdict_name(b.verdict) : "nothing found");
	free(sa);
	free(sb);
	pl_explore_result_free(&a);
	pl_explore_result_free(&b);
}

static void test_copies_same_search(void)
{
	for (size_t i = 0; i < sizeof(races) / sizeof(races[0]); i++) {
		const struct race_case *rc = &races[i];
		struct pl_explore_opts o = pl_explore_opts_default();

		o.bound = rc->bound;
		search_both_ways(rc, rc->buggy, rc->buggy_knob, o);
		search_both_ways(rc, rc->fixed, rc->fixed_knob, o);
		o.all = true;
		o.por = true;
		search_both_ways(rc, rc->buggy, rc->buggy_knob, o);
		o.por = false;
		o.shard_n = 3;
		o.shard_k = 1;
		search_both_ways(rc, rc->fixed, rc->fixed_knob, o);
	}
}

static void test_race_dirty_cow(void) { run_race(&races[0]); }
static void test_race_gup_fast_fork(void) { run_race(&races[1]); }
static void test_race_gup_fast_zap(void) { run_race(&races[2]); }
static void test_race_pin_swapout(void) { run_race(&races[3]); }
static void test_race_uprobes_pin(void) { run_race(&races[4]); }
static void test_race_ksm_exclusive(void) { run_race(&races[5]); }

int main(void)
{
	T_RUN(test_toy_lost_update);
	T_RUN(test_toy_deadlock);
	T_RUN(test_sched_file);
	T_RUN(test_race_dirty_cow);
	T_RUN(test_race_gup_fast_fork);
	T_RUN(test_race_gup_fast_zap);
	T_RUN(test_race_pin_swapout);
	T_RUN(test_race_uprobes_pin);
	T_RUN(test_race_ksm_exclusive);
	T_RUN(test_shards_and_jobs);
	T_RUN(test_print_deterministic);
	T_RUN(test_copies_same_search);
	return T_DONE();
}
