/*
 * Description: the executor (src/lang/exec.c) on the model backend --
 * outcome rules (first failed check, refused steps, `fails` promises,
 * invariants, xfail, skip, steps that cannot run; `require`, `expect refused`,
 * byte ranges, comparisons, `repeat`), the matrix semantics of
 * every kind of backing (the memory each transform leaves behind, looked at
 * in the model's world), shared backing files, kselftest names and
 * expectations of backings outside the matrix.
 *
 * The front end, the executor and the model backend come from
 * libpinlab-app.a, through their headers.
 */
#include "testlib.h"

#include "lang/exec.h"
#include "lang/front.h"

/* ---------------------------------------------------------------------------
 * Helpers.
 */
static struct pl_scenario *le_load(const char *text)
{
	struct pl_diag_list d;
	struct pl_scenario *sc;

	if (pl_lang_load("t.pin", text, strlen(text), &sc, &d)) {
		for (int i = 0; i < d.n; i++)
			T_NOTE("t.pin:%d:%d: %s", d.d[i].line, d.d[i].col, d.d[i].msg);
		return NULL;
	}
	return sc;
}

/* Run text under preset and backing; r receives the result; the world stays in be. */
static int le_run(struct pl_backend *be, const char *text, const char *preset,
		  const char *backing, struct pl_result *r, struct pl_scenario **scp)
{
	struct pl_scenario *sc = le_load(text);
	struct pl_exec_opts o = { .preset = preset };
	int bk = backing ? pl_backing_find(backing, strlen(backing)) : -1;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!sc)
		return -1;
	ret = pl_exec_run(sc, bk >= 0 ? bk : sc->backings[0].idx, be, &o, r);
	if (scp)
		*scp = sc;
	else
		pl_scenario_free(sc);
	return ret;
}

/* The outcome of text under preset (first backing of its matrix). */
static void le_expect(const char *text, const char *preset, const char *outcome, bool match)
{
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;

	T_EQ(le_run(be, text, preset, NULL, &r, NULL), 0);
	T_STREQ(r.outcome, outcome);
	T_EQ(r.match, match);
	if (strcmp(r.outcome, outcome) || r.match != match)
		T_NOTE("detail: %s", r.detail);
	pl_result_free(&r);
	be->destroy(be);
}

static const struct pl_file *le_file(struct pl_backend *be, int id)
{
	struct world *w = pl_model_backend_world(be);

	for (int i = 0; i < w->nr_files; i++)
		if (w->files[i]->id == id)
			return w->files[i];
	return NULL;
}

static struct mm_struct *le_mm(struct pl_backend *be, int pid)
{
	return pl_task(pl_model_backend_world(be), pid)->mm;
}

/* ---------------------------------------------------------------------------
 * Outcome rules.
 */
static void test_first_failed_check_decides(void)
{
	/* a refused step (write to a R/O mapping) comes first; the check still decides */
	le_expect("scenario \"s\"\nexpect leak\nprocess P\nP: m = mmap 1 page\n"
		  "P: write m \"x\"\nP: mprotect m r\nP: write m \"y\"\n"
		  "P: check read m == \"z\" as leak\nP: check read m == \"w\" as count\n",
		  "latest", "leak", true);
	/* without a failed check the refusal decides */
	le_expect("scenario \"s\"\nprocess P\nP: m = mmap 1 page\nP: mprotect m r\n"
		  "P: write m \"y\"\nP: check read m == \"\"\n", "latest", "refused", false);
	/* a check without `as` is an invariant failure */
	le_expect("scenario \"s\"\nexpect invariant\nprocess P\nP: m = mmap 1 page\n"
		  "P: check read m == \"nope\"\n", "latest", "invariant", true);
}

static void test_fails_promises(void)
{
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;

	/* the right errno: kept */
	le_expect("scenario \"s\"\nprocess P\nP: m = mmap 1 page r\n"
		  "P: write m \"y\" fails EFAULT\n", "latest", "pass", true);
	/* any errno */
	le_expect("scenario \"s\"\nprocess P\nP: m = mmap 1 page r\nP: write m \"y\" fails\n",
		  "latest", "pass", true);
	/* success instead of failure: refused by default, or the `as` class */
	le_expect("scenario \"s\"\nexpect refused\nprocess P\nP: m = mmap 1 page\n"
		  "P: write m \"y\" fails\n", "latest", "refused", true);
	le_expect("scenario \"s\"\nexpect count\nprocess P\nP: m = mmap 1 page\n"
		  "P: write m \"y\" fails as count\n", "latest", "count", true);
	/* another errno than promised */
	T_EQ(le_run(be, "scenario \"s\"\nprocess P\nP: m = mmap 1 page r\n"
		    "P: write m \"y\" fails EINVAL\n", "latest", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "refused");
	T_ASSERT(strstr(r.detail, "failed with EFAULT instead of EINVAL") != NULL);
	T_EQ(r.fail_step, 3);
	pl_result_free(&r);
	be->destroy(be);
}

static void test_invariant_outcome_and_violations(void)
{
	static const char cve[] =
		"scenario \"cve\"\nexpect invariant on v5.7\nprocess P\nP: b = mmap 1 page\n"
		"P: write b \"old\"\nP: fork C\nC: vmsplice b -> pipe1\nC: munmap b\n"
		"P: write b \"new\"\n";
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;

	/* no check at all: the checker's violation decides */
	T_EQ(le_run(be, cve, "v5.7", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "invariant");
	T_EQ(r.match, true);
	T_GE(r.nr_violations, 1);
	T_STREQ(r.violations[0].invariant, "missed-cow");
	T_EQ(r.violations[0].step, 7);
	T_EQ(r.steps, 7);
	pl_result_free(&r);
	T_EQ(le_run(be, cve, "v6.5", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "pass");
	T_EQ(r.nr_violations, 0);
	pl_result_free(&r);
	be->destroy(be);
}

static void test_xfail_and_skip(void)
{
	static const char leak[] =
		"scenario \"x\"\nexpect xfail because \"known\"\nprocess P\nP: b = mmap 1 page\n"
		"P: write b \"old\"\nP: fork C\nC: vmsplice b -> pipe1\nC: munmap b\n"
		"P: write b \"new\"\nC: check read pipe1 == \"old\" as leak\n";
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;

	T_EQ(le_run(be, leak, "v5.7", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "xfail");
	T_STREQ(r.failure, "leak");
	T_STREQ(r.reason, "known");
	T_EQ(r.match, true);
	pl_result_free(&r);
	T_EQ(le_run(be, leak, "v6.5", NULL, &r, NULL), 0);	/* fixed: a pass matches too */
	T_STREQ(r.outcome, "pass");
	T_EQ(r.match, true);
	pl_result_free(&r);
	T_EQ(le_run(be, "scenario \"s\"\nexpect skip on v4.8 because \"why\"\nprocess P\n",
		    "v4.8", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "skip");
	T_EQ(r.skipped, true);
	T_STREQ(r.reason, "why");
	T_EQ(r.steps, 0);
	T_ASSERT(pl_model_backend_world(be) == NULL);	/* nothing ran */
	pl_result_free(&r);
	be->destroy(be);
}

static void test_not_run_after_failed_creation(void)
{
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;

	/* a pin of PROT_NONE memory fails; the check reading through it does not run */
	T_EQ(le_run(be, "scenario \"s\"\nprocess P\nP: m = mmap 1 page none\n"
		    "P: p = pin m rw\ncheck p[0] == \"y\" as leak\n", "latest", NULL, &r, NULL),
	     0);
	T_STREQ(r.outcome, "refused");
	T_EQ(r.fail_step, 3);
	T_EQ(r.steps, 3);
	pl_result_free(&r);
	be->destroy(be);
}

/* ---------------------------------------------------------------------------
 * Backings: what each leaves behind, seen in the world.
 */
static const char layout[] =
	"scenario \"layout\"\nbacking base\nprocess P\nP: m = mmap 1 page rw private\n"
	"P: write m \"x\"\nP: check read m == \"x\"\n";

/* The entry mapping the pid's address: level 0 none, 1 pte, 2 pmd, 3 pud. */
static int le_level(struct pl_backend *be, int pid, pl_addr a, pte_t *e)
{
	struct mm_struct *mm = le_mm(be, pid);
	pud_t *pud = pl_pud_lookup(mm, a);
	pmd_t *pmd = pl_pmd_lookup(mm, a);
	pte_t *pte;

	if (pud && pud_leaf(*pud)) {
		*e = *pud;
		return 3;
	}
	if (pmd && pmd_leaf(*pmd)) {
		*e = *pmd;
		return 2;
	}
	pte = pl_pte_lookup(mm, a);
	*e = pte ? *pte : 0;
	return pte && !pte_none(*pte) ? 1 : 0;
}

static void le_layout(const char *backing, struct pl_backend *be, struct pl_result *r)
{
	T_EQ(le_run(be, layout, "latest", backing, r, NULL), 0);
	if (strcmp(r->outcome, "pass") && strcmp(backing, "zeropage") &&
	    strcmp(backing, "huge-zeropage"))
		T_NOTE("%s: %s: %s", backing, r->outcome, r->detail);
}

static void test_backing_thp_layouts(void)
{
	struct pl_backend *be = pl_model_backend_new();
	const pl_addr a = 0x7f0000000000ull;
	struct pl_result r;
	struct mm_struct *mm;
	pte_t e;

	le_layout("thp-2048k", be, &r);
	T_STREQ(r.outcome, "pass");
	T_EQ(le_level(be, 1, a, &e), 2);		/* PMD-mapped */
	pl_result_free(&r);
	le_layout("thp-pte-2048k", be, &r);
	T_EQ(le_level(be, 1, a, &e), 1);		/* the mprotect split the PMD */
	T_EQ(pfn_folio(pl_model_backend_world(be), pte_pfn(e))->page.order, 9);
	pl_result_free(&r);
	le_layout("thp-swapped-2048k", be, &r);
	T_EQ(le_level(be, 1, a + 5 * PAGE_SIZE, &e), 1);
	T_ASSERT(is_swap_pte(e));
	pl_result_free(&r);
	le_layout("thp-pte-64k", be, &r);		/* an mTHP of 16 pages */
	T_EQ(le_level(be, 1, a, &e), 1);
	T_EQ(pfn_folio(pl_model_backend_world(be), pte_pfn(e))->page.order, 4);
	pl_result_free(&r);
	le_layout("thp-single-pte-64k", be, &r);
	T_EQ(le_level(be, 1, a, &e), 1);
	T_EQ(le_level(be, 1, a + PAGE_SIZE, &e), 0);	/* zapped */
	T_EQ(le_level(be, 1, a + 15 * PAGE_SIZE, &e), 0);
	pl_result_free(&r);
	le_layout("thp-single-pte-swapped-64k", be, &r);
	T_EQ(le_level(be, 1, a, &e), 1);
	T_ASSERT(is_swap_pte(e) || pte_present(e));	/* read back in by the check */
	pl_result_free(&r);
	le_layout("thp-mremap-64k", be, &r);
	mm = le_mm(be, 1);
	T_EQ(mm->nr_vmas, 2);				/* the lower half, the moved upper half */
	T_EQ(mm->vmas[0].vm_end - mm->vmas[0].vm_start, 8 * PAGE_SIZE);
	T_EQ(le_level(be, 1, a + 8 * PAGE_SIZE, &e), 0);
	pl_result_free(&r);
	le_layout("thp-partial-shared-64k", be, &r);
	T_EQ(le_level(be, 1, a, &e), 1);
	T_ASSERT(!PageAnonExclusive(pfn_to_page(pl_model_backend_world(be), pte_pfn(e))));
	T_EQ(le_level(be, 1, a + PAGE_SIZE, &e), 1);
	T_ASSERT(PageAnonExclusive(pfn_to_page(pl_model_backend_world(be), pte_pfn(e))));
	T_EQ(pl_model_backend_world(be)->nr_tasks, 2);	/* the hidden child, exited */
	T_ASSERT(pl_task(pl_model_backend_world(be), 2)->exited);
	pl_result_free(&r);
	be->destroy(be);
}

static void test_backing_other_layouts(void)
{
	struct pl_backend *be = pl_model_backend_new();
	const pl_addr a = 0x7f0000000000ull;
	struct pl_result r;
	pte_t e;

	le_layout("base", be, &r);
	T_ASSERT(le_mm(be, 1)->vmas[0].vm_flags & VM_NOHUGEPAGE);
	pl_result_free(&r);
	le_layout("swapped", be, &r);
	T_STREQ(r.outcome, "pass");			/* swapped out, read back by the check */
	T_GE(pl_model_backend_world(be)->stats.swapouts, 1);
	pl_result_free(&r);
	le_layout("zeropage", be, &r);
	T_STREQ(r.outcome, "invariant");		/* the fill's write became a read */
	T_EQ(le_level(be, 1, a, &e), 1);
	T_EQ(pte_pfn(e), pl_model_backend_world(be)->zero_pfn);
	pl_result_free(&r);
	le_layout("huge-zeropage", be, &r);
	T_EQ(le_level(be, 1, a, &e), 2);
	T_EQ(pte_pfn(e), pl_model_backend_world(be)->huge_zero_pfn);
	pl_result_free(&r);
	le_layout("hugetlb-2048k", be, &r);
	T_EQ(le_level(be, 1, a, &e), 2);
	pl_result_free(&r);
	le_layout("hugetlb-1048576k", be, &r);
	T_STREQ(r.outcome, "pass");
	if (!r.skipped)
		T_EQ(le_level(be, 1, a, &e), 3);	/* a PUD leaf */
	pl_result_free(&r);
	le_layout("shmem", be, &r);
	T_ASSERT(le_mm(be, 1)->vmas[0].vm_flags & VM_SHARED);
	T_EQ(le_file(be, le_mm(be, 1)->vmas[0].file)->fs, PL_FS_TMPFS);
	pl_result_free(&r);
	le_layout("tmpfile", be, &r);
	T_ASSERT(!(le_mm(be, 1)->vmas[0].vm_flags & VM_SHARED));
	T_EQ(le_file(be, le_mm(be, 1)->vmas[0].file)->fs, PL_FS_EXT4);
	pl_result_free(&r);
	le_layout("memfd-hugetlb-2048k", be, &r);
	T_EQ(le_file(be, le_mm(be, 1)->vmas[0].file)->fs, PL_FS_HUGETLBFS);
	T_EQ(le_mm(be, 1)->vmas[0].vm_end - le_mm(be, 1)->vmas[0].vm_start, PMD_SIZE);
	pl_result_free(&r);
	be->destroy(be);
}

static void test_backing_file_shared_by_mappings(void)
{
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;
	struct mm_struct *mm;

	/* two matrix mappings of a file backing map one file; the shared one sees writes */
	T_EQ(le_run(be, "scenario \"f\"\nbacking memfd\nprocess P\n"
		    "P: a = mmap 1 page private\nP: b = mmap 2 pages shared\n"
		    "P: write b[0] \"via b\"\nP: check read a[0] == \"via b\"\n"
		    "P: write a[0] \"private\"\nP: check read b[0] == \"via b\" as file-modified\n",
		    "latest", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "pass");
	mm = le_mm(be, 1);
	T_EQ(mm->nr_vmas, 2);
	T_EQ(mm->vmas[0].file, mm->vmas[1].file);
	T_EQ(le_file(be, mm->vmas[0].file)->nr_pages, 2);
	pl_result_free(&r);
	be->destroy(be);
}

static void test_setup_defaults(void)
{
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;
	struct world *w;

	T_EQ(le_run(be, layout, "latest", "thp-pte-swapped-32k", &r, NULL), 0);
	w = pl_model_backend_world(be);
	T_EQ(w->mthp_always, 1u << 3);			/* 32 kB = order 3 */
	T_EQ(w->swap_max, 4096);			/* a swap device for swapped rows */
	pl_result_free(&r);
	T_EQ(le_run(be, layout, "latest", "hugetlb", &r, NULL), 0);
	w = pl_model_backend_world(be);
	T_EQ(w->hugetlb_total, 6);			/* two per mapping, four spare */
	T_EQ(w->swap_max, 0);
	pl_result_free(&r);
	/* the scenario's own pool and swap win */
	T_EQ(le_run(be, "scenario \"s\"\nbacking hugetlb swapped\nprocess P\nhugetlb-pool 3\n"
		    "swapon 7\nP: m = mmap 1 page\nP: write m \"x\"\n", "latest", "swapped", &r,
		    NULL), 0);
	w = pl_model_backend_world(be);
	T_EQ(w->hugetlb_total, 3);
	T_EQ(w->swap_max, 7);
	pl_result_free(&r);
	be->destroy(be);
}

/* ---------------------------------------------------------------------------
 * Names and expectations.
 */
static void test_names_and_offmatrix_expectations(void)
{
	static const char text[] =
		"scenario \"Basic COW after fork()\"\nbacking anon thp-pte-64k\n"
		"expect leak\nexpect pass with thp-pte-64k\nprocess P\nP: m = mmap 1 page\n";
	struct pl_backend *be = pl_model_backend_new();
	struct pl_scenario *sc;
	struct pl_result r;

	T_EQ(le_run(be, text, "latest", "thp-pte-64k", &r, &sc), 0);
	T_STREQ(r.kselftest, "Basic COW after fork() ... with PTE-mapped THP (64 kB)");
	T_STREQ(r.backing, "thp-pte-64k");
	T_STREQ(r.expected, "pass");
	pl_result_free(&r);
	T_EQ(pl_exec_run(sc, pl_backing_find("anon", 4), be,
			 &(struct pl_exec_opts){ .preset = "latest" }, &r), 0);
	T_STREQ(r.backing, "base");			/* the canonical name */
	T_STREQ(r.kselftest, "Basic COW after fork() ... with base page");
	T_STREQ(r.expected, "leak");
	pl_result_free(&r);
	/* outside the matrix only lines without `with` apply */
	T_ASSERT(pl_exec_expect(sc, "latest", pl_backing_find("shmem", 5)) == &sc->expects[0]);
	pl_scenario_free(sc);
	/* without a backing line: base, and the bare scenario name */
	T_EQ(le_run(be, "scenario \"collapse\"\nprocess P\n", "latest", NULL, &r, NULL), 0);
	T_STREQ(r.kselftest, "collapse");
	T_STREQ(r.backing, "base");
	pl_result_free(&r);
	be->destroy(be);
}


/* ---------------------------------------------------------------------------
 * Issue 15's forms: require, expect refused, byte ranges, comparisons, repeat.
 */
static void test_require_and_expect_refused(void)
{
	struct pl_backend *be = pl_model_backend_new();
	struct pl_result r;

	/* a required step that fails: skip, with the errno; nothing after it runs */
	T_EQ(le_run(be, "scenario \"t\"\nprocess P\nP: s = mmap 1 page rw shared secret\n"
		     "require P: ring = iouring-register s\nP: check s[0] == \"x\" as leak\n",
		     "latest", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "skip");
	T_ASSERT(r.match);
	T_ASSERT(strstr(r.reason, "EFAULT") != NULL);
	T_ASSERT(strstr(r.reason, "require P: ring = iouring-register s") != NULL);
	pl_result_free(&r);
	/* a required check that does not hold: skip with what it saw */
	T_EQ(le_run(be, "scenario \"t\"\nprocess P\nP: b = mmap 1 page\n"
		     "P: write b \"x\"\nrequire P: check b[0] is ksm\nP: check b[0] == \"y\"\n",
		     "latest", NULL, &r, NULL), 0);
	T_STREQ(r.outcome, "skip");
	T_ASSERT(strstr(r.reason, "is not ksm") || strstr(r.reason, "ksm"));
	pl_result_free(&r);
	be->destroy(be);
	/* expect refused: the failure ends the run, a later failing check cannot decide */
	le_expect("scenario \"t\"\nexpect refused\nprocess P\nP: s = mmap 1 page rw shared secret\n"
		  "P: write s \"k\"\nP: r = iouring-register s expect refused\n"
		  "P: check s[0] == \"other\" as leak\n", "latest", "refused", true);
	/* without it the later check decides */
	le_expect("scenario \"t\"\nexpect leak\nprocess P\nP: s = mmap 1 page rw shared secret\n"
		  "P: write s \"k\"\nP: r = iouring-register s\n"
		  "P: check s[0] == \"other\" as leak\n", "latest", "leak", true);
}

static void test_byte_ranges_and_comparisons(void)
{
	/* a sub-page store keeps the page's other bytes; COW copies them all */
	le_expect("scenario \"t\"\nprocess P\nP: b = mmap 1 page\nP: write b \"head\"\n"
		  "P: write b[0]+3000 len 100 \"x\"\nP: fork C\nC: write b[0]+3050 \"c\"\n"
		  "P: check b[0] == \"head\"\nP: check b[0]+3000 len 100 == \"x\"\n"
		  "C: check b[0]+3051 == zero\nC: check b[0]+3052 len 48 == \"x\"\n"
		  "C: check b[0]+0 len 3000 == P: b[0]+0 len 3000\n"
		  "C: check b[0]+3000 len 100 != P: b[0]+3000 len 100\n",
		  "latest", "pass", true);
	/* a failed comparison is a failed check with both observations */
	le_expect("scenario \"t\"\nexpect leak\nprocess P\nP: b = mmap 1 page\nP: write b \"a\"\n"
		  "P: fork C\nC: write b[0]+1 \"b\"\nC: check b[0] == P: b[0] as leak\n",
		  "latest", "leak", true);
	/* a whole-page write replaces every byte: the old tail is gone */
	le_expect("scenario \"t\"\nprocess P\nP: b = mmap 1 page\n"
		  "P: write b[0]+4000 len 96 \"t\"\nP: write b \"new\"\n"
		  "P: check b[0]+4000 len 96 == zero\n", "latest", "pass", true);
	/* O_DIRECT of a byte range: only those bytes move, the rest of the page stays */
	le_expect("scenario \"t\"\nprocess P\nfile F ext4 1 page \"disk\"\n"
		  "P: b = mmap 1 page\nP: write b[0]+3000 \"mine\"\n"
		  "P: r = dio-read F[0] -> b[0]+0 len 512\ncomplete r\n"
		  "P: check b[0] == \"disk\"\nP: check b[0]+3000 == \"mine\"\n"
		  "P: w = dio-write b[0]+3000 len 8 -> F[0]+100\ncomplete w\n"
		  "check F[0] == \"disk\"\ncheck F[0]+100 == \"mine\"\n", "latest", "pass", true);
}

static void test_repeat_unrolls(void)
{
	struct pl_scenario *sc = le_load("scenario \"t\"\nprocess P\nP: b = mmap 1 page\n"
					 "repeat 4 {\nP: p = pin b rw\nunpin p\n}\n"
					 "P: check refcount b[0] == 1\n");

	T_REQUIRE(sc != NULL);
	T_EQ(sc->nr_steps, 2 + 8 + 1);
	T_EQ(sc->steps[9].iter, 3u);
	T_EQ(sc->steps[9].op, PL_OP_UNPIN);
	pl_scenario_free(sc);
	le_expect("scenario \"t\"\nprocess P\nP: b = mmap 1 page\nP: write b \"x\"\n"
		  "repeat 3 {\nP: p = pin b rw\nunpin p\n}\n"
		  "P: check refcount b[0] == 1 as count\n", "latest", "pass", true);
}

/*
 * A hugetlb page is soft-dirty as its vma is (pagemap_hugetlb_range() reads
 * VM_SOFTDIRTY alone; clear_refs never walks hugetlb entries, Debian 6.12.118
 * fs/proc/task_mmu.c): from mmap until clear_refs, and not after, whatever
 * is written; an anonymous page's PTE is soft-dirty again at the next write.
 */
static void test_hugetlb_soft_dirty_is_the_vma(void)
{
	static const char text[] =
		"scenario \"t\"\nbacking hugetlb-2048k hugetlb-1048576k base\nprocess P\n"
		"P: b = mmap 1 page rw private\nP: write b \"x\"\n"
		"P: check b[0] is soft-dirty\nP: clear-refs\nP: write b \"y\"\n"
		"P: check b[0] is soft-dirty as lost-write\n";
	static const struct { const char *backing, *outcome; int fail_step; } rows[] = {
		{ "hugetlb-2048k", "lost-write", 7 },
		{ "hugetlb-1048576k", "lost-write", 7 },
		{ "base", "pass", 0 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pl_backend *be = pl_model_backend_new();
		struct pl_result r;

		T_EQ(le_run(be, text, "latest", rows[i].backing, &r, NULL), 0);
		T_STREQ(r.outcome, rows[i].outcome);
		T_EQ(r.fail_step, rows[i].fail_step);
		if (strcmp(r.outcome, rows[i].outcome))
			T_NOTE("%s: %s", rows[i].backing, r.detail);
		pl_result_free(&r);
		be->destroy(be);
	}
}

int main(void)
{
	T_RUN(test_first_failed_check_decides);
	T_RUN(test_fails_promises);
	T_RUN(test_invariant_outcome_and_violations);
	T_RUN(test_xfail_and_skip);
	T_RUN(test_not_run_after_failed_creation);
	T_RUN(test_backing_thp_layouts);
	T_RUN(test_backing_other_layouts);
	T_RUN(test_backing_file_shared_by_mappings);
	T_RUN(test_setup_defaults);
	T_RUN(test_names_and_offmatrix_expectations);
	T_RUN(test_require_and_expect_refused);
	T_RUN(test_byte_ranges_and_comparisons);
	T_RUN(test_repeat_unrolls);
	T_RUN(test_hugetlb_soft_dirty_is_the_vma);
	return T_DONE();
}
