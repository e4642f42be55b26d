/*
 * ast.c - vocabulary tables, AST storage and the canonical printer.
 *
 * The tables here are the language's vocabulary: each word the parser
 * accepts in a given position, the value it stands for and one line of
 * documentation.  docs/scenario-language.md lists the same words; keep the
 * two in step.
 *
 * Over 900 lines: the vocabulary tables and the canonical printer of every
 * statement form live together, so a new form touches one file.
 */
#include "lang/ast.h"

#include "pinlab/core.h"
#include "pinlab/result.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * Arena: strings and small arrays of one scenario, freed all at once.
 */
struct pl_arena {
	struct pl_arena *next;
	size_t used, size;
	max_align_t data[];
};

#define AST_ARENA_CHUNK 16384

void *pl_ast_alloc(struct pl_scenario *sc, size_t size)
{
	struct pl_arena *a = sc->arena;
	size_t need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t);

	if (!a || a->used + need > a->size) {
		size_t n = need > AST_ARENA_CHUNK ? need : AST_ARENA_CHUNK;

		a = malloc(sizeof(*a) + n * sizeof(max_align_t));
		if (!a) {
			sc->oom = true;
			return NULL;
		}
		a->next = sc->arena;
		a->used = 0;
		a->size = n;
		sc->arena = a;
	}
	a->used += need;
	return memset(&a->data[a->used - need], 0, need * sizeof(max_align_t));
}

const char *pl_ast_strndup(struct pl_scenario *sc, const char *s, size_t len)
{
	char *p = pl_ast_alloc(sc, len + 1);

	if (!p)
		return "";
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Grow *arr (of *cap elements of size sz) to hold one more; returns the new slot. */
static void *ast_grow(struct pl_scenario *sc, void **arr, int *nr, int *cap, size_t sz)
{
	if (*nr == *cap) {
		int ncap = *cap ? *cap * 2 : 8;
		void *p = realloc(*arr, (size_t)ncap * sz);

		if (!p) {
			sc->oom = true;
			return NULL;
		}
		*arr = p;
		*cap = ncap;
	}
	return memset((char *)*arr + (size_t)(*nr)++ * sz, 0, sz);
}

static void ast_init_ref(struct pl_ref *r)
{
	r->sym = -1;
}

struct pl_step *pl_ast_add_step(struct pl_scenario *sc)
{
	struct pl_step *s = ast_grow(sc, (void **)&sc->steps, &sc->nr_steps, &sc->cap_steps,
				     sizeof(*s));

	if (!s)
		return NULL;
	s->thread = -1;
	s->cls = PL_OUT_INVARIANT;
	ast_init_ref(&s->actor);
	ast_init_ref(&s->def);
	ast_init_ref(&s->a);
	ast_init_ref(&s->b);
	ast_init_ref(&s->target);
	ast_init_ref(&s->actor2);
	ast_init_ref(&s->target2);
	return s;
}

struct pl_expect *pl_ast_add_expect(struct pl_scenario *sc)
{
	return ast_grow(sc, (void **)&sc->expects, &sc->nr_expects, &sc->cap_expects,
			sizeof(struct pl_expect));
}

struct pl_name *pl_ast_add_backing(struct pl_scenario *sc)
{
	struct pl_name *b = ast_grow(sc, (void **)&sc->backings, &sc->nr_backings,
				     &sc->cap_backings, sizeof(*b));

	if (b)
		b->idx = -1;
	return b;
}

struct pl_thread *pl_ast_add_thread(struct pl_scenario *sc)
{
	struct pl_thread *t = ast_grow(sc, (void **)&sc->threads, &sc->nr_threads,
				       &sc->cap_threads, sizeof(*t));

	if (t)
		t->sym = -1;
	return t;
}

int pl_ast_add_sym(struct pl_scenario *sc, enum pl_sym_kind kind, const char *name,
		   struct pl_pos pos)
{
	struct pl_sym *y = ast_grow(sc, (void **)&sc->syms, &sc->nr_syms, &sc->cap_syms,
				    sizeof(*y));

	if (!y)
		return -1;
	y->kind = kind;
	y->name = name;
	y->pos = pos;
	y->def_step = -1;
	y->owner = -1;
	y->parent = -1;
	return sc->nr_syms - 1;
}

struct pl_scenario *pl_scenario_new(const char *path)
{
	struct pl_scenario *sc = calloc(1, sizeof(*sc));

	if (!sc)
		return NULL;
	sc->path = pl_ast_strndup(sc, path, strlen(path));
	sc->name = "";
	sc->description = "";
	return sc;
}

void pl_scenario_free(struct pl_scenario *sc)
{
	struct pl_arena *a, *next;

	if (!sc)
		return;
	for (a = sc->arena; a; a = next) {
		next = a->next;
		free(a);
	}
	free(sc->backings);
	free(sc->expects);
	free(sc->threads);
	free(sc->steps);
	free(sc->syms);
	free(sc);
}

/* ---------------------------------------------------------------------------
 * Names of enums.
 */

/* ORDER OUTCOME */
static const char *const ast_outcome_names[PL_OUT_NR] = {
	"pass", "leak", "stale-pin", "lost-write", "file-modified",
	"refused", "invariant", "count", "xfail", "skip",
};

const char *pl_outcome_name(enum pl_outcome o)
{
	return (unsigned int)o < PL_OUT_NR ? ast_outcome_names[o] : "?";
}

int pl_outcome_find(const char *s, size_t len)
{
	for (int i = 0; i < PL_OUT_NR; i++)
		if (strlen(ast_outcome_names[i]) == len && !memcmp(ast_outcome_names[i], s, len))
			return i;
	return -1;
}

/* The statement keyword of each op (checks print as "check"): pinlab/ops.def. */
static const char *const ast_op_names[PL_OP_NR] = {
#define PL_OP(id, keyword, ...) [PL_OP_##id] = keyword,
#include "pinlab/ops.def"
#undef PL_OP
};

/* The FORM and KIND columns of pinlab/ops.def. */
#define PL_SYM_NONE PL_SYM_NR
static const struct {
	enum pl_op_form form;
	enum pl_sym_kind kind;
} ast_op_forms[PL_OP_NR] = {
#define PL_OP(id, keyword, actor, def, decl, parse, form, kind) \
	[PL_OP_##id] = { PL_FORM_##form, PL_SYM_##kind },
#include "pinlab/ops.def"
#undef PL_OP
};
#undef PL_SYM_NONE

enum pl_op_form pl_op_form(enum pl_op op)
{
	return (unsigned int)op < PL_OP_NR ? ast_op_forms[op].form : PL_FORM_OWN;
}

enum pl_sym_kind pl_op_kind(enum pl_op op)
{
	return (unsigned int)op < PL_OP_NR ? ast_op_forms[op].kind : PL_SYM_NR;
}

const char *pl_op_name(enum pl_op op)
{
	return (unsigned int)op < PL_OP_NR ? ast_op_names[op] : "?";
}

/* ORDER SYM */
static const char *const ast_sym_kind_names[PL_SYM_NR] = {
	"process", "thread", "file", "mapping", "pipe",
	"io_uring buffer", "O_DIRECT request", "RDMA region", "pin", "GUP reference",
};

const char *pl_sym_kind_name(enum pl_sym_kind k)
{
	return (unsigned int)k < PL_SYM_NR ? ast_sym_kind_names[k] : "?";
}

static const char *const ast_src_names[PL_SRC_NR] = {
	"auto", "user", "pipe", "pin", "gup", "ring", "dma", "file", "disk", "proc-mem",
	"vm-readv",
};

const char *pl_src_name(enum pl_src s)
{
	return (unsigned int)s < PL_SRC_NR ? ast_src_names[s] : "?";
}

/* ---------------------------------------------------------------------------
 * Word tables.  Each ends with a NULL name.
 */

/*
 * ORDER BACKING.  The rows of tools/testing/selftests/mm/cow.c and
 * gup_longterm.c, in the order the kernel runs them, with the suffix each
 * prints ("Basic COW after fork() ... with PTE-mapped THP (64 kB)").  The
 * executor sets each up as the selftest does (src/lang/exec.c).
 */
#define AST_THP_ROWS(S)									\
	{ "thp-pte-" #S "k", "PTE-mapped THP (" #S " kB)", PL_BK_THP_PTE, S },		\
	{ "thp-pte-swapped-" #S "k", "swapped-out, PTE-mapped THP (" #S " kB)",		\
	  PL_BK_THP_PTE_SWAPPED, S },							\
	{ "thp-single-pte-" #S "k", "single PTE of THP (" #S " kB)",			\
	  PL_BK_THP_SINGLE_PTE, S },							\
	{ "thp-single-pte-swapped-" #S "k", "single PTE of swapped-out THP (" #S " kB)",	\
	  PL_BK_THP_SINGLE_PTE_SWAPPED, S },						\
	{ "thp-mremap-" #S "k", "partially mremap()'ed THP (" #S " kB)",		\
	  PL_BK_THP_MREMAP, S },							\
	{ "thp-partial-shared-" #S "k", "partially shared THP (" #S " kB)",		\
	  PL_BK_THP_PARTIAL_SHARED, S }

static const struct pl_backing ast_backings[] = {
	{ "base", "base page", PL_BK_BASE, 0 },
	{ "swapped", "swapped out base page", PL_BK_SWAPPED, 0 },
	AST_THP_ROWS(16),
	AST_THP_ROWS(32),
	AST_THP_ROWS(64),
	AST_THP_ROWS(128),
	AST_THP_ROWS(256),
	AST_THP_ROWS(512),
	AST_THP_ROWS(1024),
	{ "thp-2048k", "THP (2048 kB)", PL_BK_THP, 2048 },
	{ "thp-swapped-2048k", "swapped-out THP (2048 kB)", PL_BK_THP_SWAPPED, 2048 },
	AST_THP_ROWS(2048),
	{ "hugetlb-2048k", "hugetlb (2048 kB)", PL_BK_HUGETLB, 2048 },
	{ "hugetlb-1048576k", "hugetlb (1048576 kB)", PL_BK_HUGETLB, 1048576 },
	{ "zeropage", "shared zeropage", PL_BK_ZEROPAGE, 0 },
	{ "memfd", "memfd", PL_BK_MEMFD, 0 },
	{ "tmpfile", "tmpfile", PL_BK_TMPFILE, 0 },
	{ "huge-zeropage", "huge zeropage", PL_BK_HUGE_ZEROPAGE, 2048 },
	{ "local-tmpfile", "local tmpfile", PL_BK_LOCAL_TMPFILE, 0 },
	{ "memfd-hugetlb-2048k", "memfd hugetlb (2048 kB)", PL_BK_MEMFD_HUGETLB, 2048 },
	{ "memfd-hugetlb-1048576k", "memfd hugetlb (1048576 kB)", PL_BK_MEMFD_HUGETLB,
	  1048576 },
	{ "ksm", "KSM page", PL_BK_KSM, 0 },
	{ "shmem", "shmem", PL_BK_SHMEM, 0 },
};

#define AST_NR_BACKINGS ((int)(sizeof(ast_backings) / sizeof(ast_backings[0])))

/* Short names, each standing for exactly one row. */
static const struct {
	const char *alias, *name;
} ast_backing_aliases[] = {
	{ "anon", "base" },
	{ "thp", "thp-2048k" },			/* PMD THP exists in one size only */
	{ "hugetlb", "hugetlb-2048k" },		/* the default huge page size */
};

const struct pl_backing *pl_backings(int *n)
{
	if (n)
		*n = AST_NR_BACKINGS;
	return ast_backings;
}

const struct pl_backing *pl_backing_info(int idx)
{
	return idx >= 0 && idx < AST_NR_BACKINGS ? &ast_backings[idx] : NULL;
}

static int ast_backing_index(const char *s, size_t len)
{
	for (int i = 0; i < AST_NR_BACKINGS; i++)
		if (strlen(ast_backings[i].name) == len && !memcmp(ast_backings[i].name, s, len))
			return i;
	return -1;
}

int pl_backing_find(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(ast_backing_aliases) / sizeof(ast_backing_aliases[0]); i++) {
		const char *a = ast_backing_aliases[i].alias;

		if (strlen(a) == len && !memcmp(a, s, len))
			return ast_backing_index(ast_backing_aliases[i].name,
						 strlen(ast_backing_aliases[i].name));
	}
	return ast_backing_index(s, len);
}

const struct pl_word pl_prot_words[] = {
	{ "none", PL_PROT_NONE, "PROT_NONE" },
	{ "r", PL_PROT_READ, "PROT_READ" },
	{ "ro", PL_PROT_READ, "PROT_READ (same as r; reads better on pins)" },
	{ "rw", PL_PROT_READ | PL_PROT_WRITE, "PROT_READ|PROT_WRITE" },
	{ "rx", PL_PROT_READ | PL_PROT_EXEC, "PROT_READ|PROT_EXEC (program text)" },
	{ "rwx", PL_PROT_READ | PL_PROT_WRITE | PL_PROT_EXEC, "PROT_READ|PROT_WRITE|PROT_EXEC" },
	{ NULL, 0, NULL },
};

const struct pl_word pl_madv_words[] = {
	{ "dontneed", PL_MADV_DONTNEED, "MADV_DONTNEED: zap the pages" },
	{ "dontfork", PL_MADV_DONTFORK, "MADV_DONTFORK: VM_DONTCOPY" },
	{ "dofork", PL_MADV_DOFORK, "MADV_DOFORK: undo dontfork" },
	{ "wipeonfork", PL_MADV_WIPEONFORK, "MADV_WIPEONFORK: the child gets zeroes" },
	{ "keeponfork", PL_MADV_KEEPONFORK, "MADV_KEEPONFORK: undo wipeonfork" },
	{ "pageout", PL_MADV_PAGEOUT, "MADV_PAGEOUT: reclaim now" },
	{ "cold", PL_MADV_COLD, "MADV_COLD: deactivate" },
	{ "hugepage", PL_MADV_HUGEPAGE, "MADV_HUGEPAGE" },
	{ "nohugepage", PL_MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE" },
	{ "populate-read", PL_MADV_POPULATE_READ, "MADV_POPULATE_READ" },
	{ "populate-write", PL_MADV_POPULATE_WRITE, "MADV_POPULATE_WRITE" },
	{ "mergeable", PL_MADV_MERGEABLE, "MADV_MERGEABLE: offer to KSM" },
	{ "unmergeable", PL_MADV_UNMERGEABLE, "MADV_UNMERGEABLE: unmerge KSM pages" },
	{ "collapse", PL_MADV_COLLAPSE, "MADV_COLLAPSE: make a THP now" },
	{ NULL, 0, NULL },
};

const struct pl_word pl_fs_words[] = {
	{ "ext4", PL_FS_EXT4, "block filesystem with dirty tracking (or xfs, btrfs)" },
	{ "tmpfs", PL_FS_TMPFS, "shmem: memfd, /dev/shm, tmpfs" },
	{ "hugetlbfs", PL_FS_HUGETLBFS, "hugetlbfs, memfd MFD_HUGETLB" },
	{ "ext4-dax", PL_FS_EXT4_DAX, "ext4 on pmem mounted -o dax (fsdax): no long-term pins" },
	{ NULL, 0, NULL },
};

const struct pl_word pl_seal_words[] = {
	{ "shrink", PL_SEAL_SHRINK, "F_SEAL_SHRINK: the file may not shrink" },
	{ "grow", PL_SEAL_GROW, "F_SEAL_GROW: the file may not grow" },
	{ "write", PL_SEAL_WRITE, "F_SEAL_WRITE: no more writes" },
	{ "future-write", PL_SEAL_FUTURE_WRITE, "F_SEAL_FUTURE_WRITE: no new writers" },
	{ NULL, 0, NULL },
};

const struct pl_word pl_thp_words[] = {
	{ "never", THP_NEVER, "transparent_hugepage/enabled = never" },
	{ "madvise", THP_MADVISE, "only MADV_HUGEPAGE regions" },
	{ "always", THP_ALWAYS, "every suitable anonymous region" },
	{ NULL, 0, NULL },
};

const struct pl_word pl_errno_words[] = {
	{ "EPERM", EPERM, NULL },
	{ "ENOENT", ENOENT, NULL },
	{ "ESRCH", ESRCH, NULL },
	{ "EIO", EIO, NULL },
	{ "ENXIO", ENXIO, NULL },
	{ "EBADF", EBADF, NULL },
	{ "EAGAIN", EAGAIN, NULL },
	{ "ENOMEM", ENOMEM, NULL },
	{ "EACCES", EACCES, NULL },
	{ "EFAULT", EFAULT, NULL },
	{ "EBUSY", EBUSY, NULL },
	{ "EEXIST", EEXIST, NULL },
	{ "ENODEV", ENODEV, NULL },
	{ "EINVAL", EINVAL, NULL },
	{ "ENOSPC", ENOSPC, NULL },
	{ "EPIPE", EPIPE, NULL },
	{ "ERANGE", ERANGE, NULL },
	{ "EOPNOTSUPP", EOPNOTSUPP, NULL },
	{ "EMLINK", EMLINK, NULL },
	{ "ENOSYS", ENOSYS, NULL },	/* a system call the release does not have */
	/* the host backend's: a worker (or a --kernel guest) that died or hung */
	{ "ECHILD", ECHILD, NULL },
	{ "ETIMEDOUT", ETIMEDOUT, NULL },
	{ NULL, 0, NULL },
};

const struct pl_word pl_foll_words[] = {
	{ "FOLL_WRITE", FOLL_WRITE, "check for a writable PTE; break COW" },
	{ "FOLL_GET", FOLL_GET, "take a plain page reference" },
	{ "FOLL_PIN", FOLL_PIN, "take a pin (GUP_PIN_COUNTING_BIAS / _pincount)" },
	{ "FOLL_LONGTERM", FOLL_LONGTERM, "the pin is long-term (migrate out of movable first)" },
	{ "FOLL_FORCE", FOLL_FORCE, "ignore VMA permissions (ptrace, /proc/pid/mem)" },
	{ "FOLL_REMOTE", FOLL_REMOTE, "the mm is not current's" },
	{ "FOLL_NOFAULT", FOLL_NOFAULT, "fail instead of faulting" },
	{ "FOLL_FAST_ONLY", FOLL_FAST_ONLY, "lockless walk only; never fall back" },
	{ "FOLL_TOUCH", FOLL_TOUCH, "mark the page accessed" },
	{ "FOLL_SPLIT_PMD", FOLL_SPLIT_PMD, "split a PMD-mapped THP first" },
	{ NULL, 0, NULL },
};

/* ORDER PROP */
const struct pl_word pl_prop_words[] = {
	{ "present", PL_PROP_PRESENT, "a present PTE maps the page" },
	{ "swapped", PL_PROP_SWAPPED, "the PTE is a swap entry" },
	{ "writable", PL_PROP_WRITABLE, "the PTE is writable" },
	{ "dirty", PL_PROP_DIRTY, "the folio is dirty" },
	{ "soft-dirty", PL_PROP_SOFT_DIRTY, "the PTE is soft-dirty" },
	{ "exclusive", PL_PROP_EXCLUSIVE, "PG_anon_exclusive is set" },
	{ "pinned", PL_PROP_PINNED, "folio_maybe_dma_pinned()" },
	{ "shared", PL_PROP_SHARED, "more than one PTE maps the folio" },
	{ "zero", PL_PROP_ZERO, "the shared zero page or huge zero page" },
	{ "huge", PL_PROP_HUGE, "part of a large folio" },
	{ "ksm", PL_PROP_KSM, "a KSM page" },
	{ "swapcache", PL_PROP_SWAPCACHE, "in the swap cache" },
	{ "movable", PL_PROP_MOVABLE, "in ZONE_MOVABLE or CMA: a long-term pin must migrate it" },
	{ "same-page", PL_PROP_SAME_PAGE, "`same-page C M[j]`: the same physical page as C's M[j]" },
	{ "uffd-wp", PL_PROP_UFFD_WP, "the PTE (or swap entry) is userfaultfd write-protected" },
	{ NULL, 0, NULL },
};

/* ORDER COUNT */
const struct pl_word pl_count_words[] = {
	{ "refcount", PL_COUNT_REFCOUNT, "folio _refcount (pins count 1024 on small folios)" },
	{ "mapcount", PL_COUNT_MAPCOUNT, "the page's _mapcount (0 = unmapped)" },
	{ "pincount", PL_COUNT_PINCOUNT, "outstanding FOLL_PIN pins on the folio" },
	{ NULL, 0, NULL },
};

const struct pl_word *pl_word_find(const struct pl_word *table, const char *s, size_t len)
{
	for (; table->name; table++)
		if (strlen(table->name) == len && !memcmp(table->name, s, len))
			return table;
	return NULL;
}

const char *pl_word_name(const struct pl_word *table, int value)
{
	for (; table->name; table++)
		if (table->value == value)
			return table->name;
	return "?";
}

/* ---------------------------------------------------------------------------
 * Expectations.
 */
/*
 * The slot of @preset in the scenario's preset list; a release preset that
 * is no checkpoint ("6.1.192") takes its checkpoint's expectations.  -1 if
 * neither is listed.
 */
int pl_expect_preset_slot(const struct pl_scenario *sc, const char *preset)
{
	const struct pl_preset *pp;
	int p = -1;

	for (int i = 0; i < sc->nr_presets && i < 64; i++)
		if (!strcmp(sc->presets[i], preset))
			p = i;
	if (p < 0 && (pp = pl_preset_find(preset)) != NULL)
		for (int i = 0; i < sc->nr_presets && i < 64; i++)
			if (!strcmp(sc->presets[i], pp->base ? pp->base : pp->name))
				p = i;
	return p;
}

/*
 * A range end of an `on` list as a release number (6.4.2 -> 6004002), and
 * whether it names a stable release (three parts: "v6.4.2") rather than a
 * checkpoint or a series ("v6.4", "latest").  -1 if it is neither.
 */
static long long expect_endpoint(const char *s, bool *exact)
{
	unsigned long r;

	*exact = false;
	if (!strcmp(s, "latest"))
		return 1LL << 62;
	if (*s != 'v' || pl_release_parse(s + 1, &r))
		return -1;
	*exact = strchr(strchr(s, '.') + 1, '.') != NULL;
	return (long long)r;
}

/*
 * Does item @it of an `on` list take release preset @pp (a stable release
 * whose rules differ from its checkpoint's, pp->base)?  Its checkpoint
 * decides, as for any preset, except at a range end that names a stable
 * release ("v6.4.2"): there the release's own number is compared, so
 * `on v6.4..v6.4.2` covers v6.4 and 6.4.1 - 6.4.2 but not 6.4.3, which took
 * the fix (docs/presets.md "Expectations of a release").
 */
static bool expect_item_takes(const struct pl_preset_item *it, const struct pl_preset *pp)
{
	const char *lo = it->kind == PL_PI_OLDER ? NULL : it->lo;
	const char *hi = it->kind == PL_PI_RANGE ? it->hi :
			 it->kind == PL_PI_OLDER ? it->lo : NULL;
	unsigned long rel, base;
	long long v;
	bool exact;

	if (it->kind == PL_PI_ONE)
		return !strcmp(it->lo, pp->base);
	if (pl_release_parse(pp->name, &rel) || pl_release_parse(pp->base + 1, &base))
		return false;
	if (lo && ((v = expect_endpoint(lo, &exact)) < 0 ||
		   (long long)(exact ? rel : base) < v))
		return false;
	if (hi && ((v = expect_endpoint(hi, &exact)) < 0 ||
		   (long long)(exact ? rel : base) > v))
		return false;
	return true;
}

bool pl_expect_applies(const struct pl_scenario *sc, const struct pl_expect *e,
		       const char *preset)
{
	const struct pl_preset *pp;
	int p;

	if (!e->nr_on)
		return true;
	for (int i = 0; i < sc->nr_presets && i < 64; i++)
		if (!strcmp(sc->presets[i], preset))
			return e->preset_mask & (1ull << i);
	pp = pl_preset_find(preset);
	if (pp && pp->base && pp->base[0] == 'v') {
		for (int i = 0; i < e->nr_on; i++)
			if (expect_item_takes(&e->on[i], pp))
				return true;
		return false;
	}
	p = pl_expect_preset_slot(sc, preset);
	return p >= 0 && (e->preset_mask & (1ull << p));
}

const struct pl_expect *pl_expect_match(const struct pl_scenario *sc, const char *preset,
					int backing)
{
	/* later lines override earlier ones */
	for (int i = sc->nr_expects - 1; i >= 0; i--) {
		const struct pl_expect *e = &sc->expects[i];

		if (!pl_expect_applies(sc, e, preset))
			continue;
		if (backing < 0 || backing >= 64 || !(e->backing_mask & (1ull << backing)))
			continue;
		return e;
	}
	return NULL;
}

enum pl_outcome pl_expected_outcome(const struct pl_scenario *sc, const char *preset,
				    int backing)
{
	const struct pl_expect *e = pl_expect_match(sc, preset, backing);

	return e ? e->outcome : PL_OUT_PASS;
}

/* ---------------------------------------------------------------------------
 * Canonical printer: what the parser read, in the shortest spelling.
 */
/*
 * A string's bytes are whatever its escapes made them (`"\xccode"` is an
 * int3 opcode), but a .pin file must be UTF-8: a valid UTF-8 sequence is
 * printed as it is, any other byte from 0x80 up as \xNN, so the canonical
 * form always loads again (fuzz_front found "\xcc" printed raw).
 */
static void ast_print_str(FILE *out, const char *s)
{
	const unsigned char *end = (const unsigned char *)s + strlen(s);

	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int n = c >= 0x80 ? pl_utf8_len((const unsigned char *)s, end) : 0;

		if (n) {
			fwrite(s, 1, (size_t)n, out);
			s += n - 1;
		} else if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void ast_print_ref(FILE *out, const struct pl_ref *r)
{
	fputs(r->name, out);
	if (!r->indexed)
		return;
	if (r->open)
		fprintf(out, "[%u..]", r->lo);
	else if (r->lo == r->hi)
		fprintf(out, "[%u]", r->lo);
	else
		fprintf(out, "[%u..%u]", r->lo, r->hi);
	if (r->bytes)
		fprintf(out, "+%u", r->off);
	if (r->has_len)
		fprintf(out, " len %u", r->len);
}

static void ast_print_pages(FILE *out, uint64_t n)
{
	fprintf(out, "%llu %s", (unsigned long long)n, n == 1 ? "page" : "pages");
}

static void ast_print_value(FILE *out, const struct pl_step *s)
{
	if (s->flags & PL_STEP_ZERO)
		fputs("zero", out);
	else
		ast_print_str(out, s->str ? s->str : "");
}

static void ast_print_mmap(FILE *out, const struct pl_step *s)
{
	ast_print_pages(out, s->n);
	fprintf(out, " %s %s", pl_word_name(pl_prot_words, s->prot),
		s->mflags & PL_MAP_SHARED ? "shared" : "private");
	if (s->arg == PL_BACKING_FILE)
		fprintf(out, " file %s", s->a.name);
	else if (s->arg >= 0)
		fprintf(out, " %s", ast_backings[s->arg].name);
	if (s->mflags & PL_MAP_POPULATE)
		fputs(" populate", out);
	if (s->mflags & PL_MAP_LOCKED)
		fputs(" locked", out);
	if (s->mflags & PL_MAP_MOVABLE)
		fputs(" movable", out);
	if (s->mflags & PL_MAP_CMA)
		fputs(" cma", out);
	if (s->mflags & PL_MAP_SECRET)
		fputs(" secret", out);
	if (s->mflags & PL_MAP_PFNMAP)
		fputs(" pfnmap", out);
	if (s->mflags & PL_MAP_PUD_ALIGNED)
		fputs(" pud-aligned", out);
	if (s->b.name) {
		fputs(s->mflags & PL_MAP_FIXED ? " fixed " : " fixed-noreplace ", out);
		ast_print_ref(out, &s->b);
	}
}

static void ast_print_gup_flags(FILE *out, unsigned int flags)
{
	const char *sep = "";

	for (const struct pl_word *w = pl_foll_words; w->name; w++) {
		if (flags & (unsigned int)w->value) {
			fprintf(out, "%s%s", sep, w->name);
			sep = "|";
		}
	}
}

static void ast_print_source(FILE *out, enum pl_src src, const struct pl_ref *target,
			     const struct pl_ref *r)
{
	switch (src) {
	case PL_SRC_DMA:
		fputs("dma-read ", out);
		break;
	case PL_SRC_DISK:
		fputs("disk ", out);
		break;
	case PL_SRC_PROC_MEM:
		fprintf(out, "proc-mem-read %s ", target->name);
		break;
	case PL_SRC_VM_READV:
		fprintf(out, "process-vm-readv %s ", target->name);
		break;
	default:
		fputs("read ", out);
		break;
	}
	ast_print_ref(out, r);
}

static void ast_print_check(FILE *out, const struct pl_step *s)
{
	fputs("check ", out);
	switch (s->op) {
	case PL_OP_CHECK_INVARIANTS:
		fputs("invariants", out);
		return;
	case PL_OP_CHECK_COUNT:
		fprintf(out, "%s ", pl_word_name(pl_count_words, s->arg));
		ast_print_ref(out, &s->a);
		fprintf(out, " %s %llu", s->flags & PL_STEP_NE ? "!=" : "==",
			(unsigned long long)s->n);
		return;
	case PL_OP_CHECK_PROP:
		ast_print_ref(out, &s->a);
		fprintf(out, " is %s%s", s->flags & PL_STEP_NOT ? "not " : "",
			pl_word_name(pl_prop_words, s->arg));
		if (s->arg == PL_PROP_SAME_PAGE) {
			fprintf(out, " %s ", s->target.name);
			ast_print_ref(out, &s->b);
		}
		return;
	default:
		break;
	}
	ast_print_source(out, s->src, &s->target, &s->a);
	fprintf(out, " %s ", s->flags & PL_STEP_NE ? "!=" : "==");
	if (!(s->flags & PL_STEP_CMP)) {
		ast_print_value(out, s);
		return;
	}
	if (s->actor2.name)
		fprintf(out, "%s: ", s->actor2.name);
	ast_print_source(out, s->src2, &s->target2, &s->b);
}

static void ast_print_args(FILE *out, const struct pl_step *s)
{
	switch (s->op) {
	case PL_OP_PROCESS:
		fputs(s->def.name, out);
		break;
	case PL_OP_FILE:
		fprintf(out, "%s %s ", s->def.name, pl_word_name(pl_fs_words, s->arg));
		ast_print_pages(out, s->n);
		if (s->str) {
			fputc(' ', out);
			ast_print_str(out, s->str);
		}
		if (s->prot == PL_PROT_READ)
			fputs(" ro", out);
		break;
	case PL_OP_SWAPON:
	case PL_OP_HUGETLB_POOL:
		fprintf(out, "%llu", (unsigned long long)s->n);
		break;
	case PL_OP_MEMLOCK:
		ast_print_pages(out, s->n);
		break;
	case PL_OP_THP:
		fputs(pl_word_name(pl_thp_words, s->arg), out);
		break;
	case PL_OP_SEAL:
		ast_print_ref(out, &s->a);
		fputc(' ', out);
		fputs(pl_word_name(pl_seal_words, s->arg), out);
		break;
	case PL_OP_MMAP:
		ast_print_mmap(out, s);
		break;
	case PL_OP_MREMAP:
		ast_print_ref(out, &s->a);
		fputc(' ', out);
		ast_print_pages(out, s->n);
		if (s->flags & PL_STEP_MOVE)
			fputs(" move", out);
		if (s->b.name) {
			fputs(" to ", out);
			ast_print_ref(out, &s->b);
		}
		if (s->flags & PL_STEP_DONTUNMAP)
			fputs(" dontunmap", out);
		break;
	case PL_OP_MPROTECT:
	case PL_OP_RDMA_REG:
	case PL_OP_VFIO_MAP:
		ast_print_ref(out, &s->a);
		fprintf(out, " %s", pl_word_name(pl_prot_words, s->prot));
		if (s->flags & PL_STEP_ODP)
			fputs(" odp", out);
		break;
	case PL_OP_PIN:
		ast_print_ref(out, &s->a);
		fprintf(out, " %s%s", s->prot & PL_PROT_WRITE ? "rw" : "ro",
			s->flags & PL_STEP_FAST ? " fast" : "");
		break;
	case PL_OP_MADVISE:
		ast_print_ref(out, &s->a);
		fprintf(out, " %s", pl_word_name(pl_madv_words, s->arg));
		break;
	case PL_OP_UFFD_WRITEPROTECT:
		ast_print_ref(out, &s->a);
		fprintf(out, " %s%s", s->arg & 1 ? "on" : "off", s->arg & 2 ? " fork-event" : "");
		break;
	case PL_OP_FORK:
		fputs(s->def.name, out);
		break;
	case PL_OP_WRITE:
	case PL_OP_DMA_WRITE:
	case PL_OP_UPROBE_REGISTER:
		ast_print_ref(out, &s->a);
		if (s->flags & PL_STEP_LEN)
			fprintf(out, " len %llu", (unsigned long long)s->n);
		fputc(' ', out);
		ast_print_value(out, s);
		break;
	case PL_OP_READ:
		ast_print_ref(out, &s->a);
		if (s->flags & PL_STEP_LEN)
			fprintf(out, " len %llu", (unsigned long long)s->n);
		break;
	case PL_OP_SPLICE:
		ast_print_ref(out, &s->a);
		if (s->flags & PL_STEP_LEN)
			fprintf(out, " len %llu", (unsigned long long)s->n);
		fputs(" -> ", out);
		ast_print_ref(out, &s->b);
		break;
	case PL_OP_TRUNCATE:
		ast_print_ref(out, &s->a);
		fputc(' ', out);
		ast_print_pages(out, s->n);
		break;
	case PL_OP_VMSPLICE:
	case PL_OP_IOURING_WRITE_FIXED:
	case PL_OP_IOURING_READ_FIXED:
	case PL_OP_DIO_READ:
	case PL_OP_DIO_WRITE:
		ast_print_ref(out, &s->a);
		fputs(" -> ", out);
		ast_print_ref(out, &s->b);
		break;
	case PL_OP_GUP:
		ast_print_ref(out, &s->a);
		fputc(' ', out);
		ast_print_gup_flags(out, s->gup_flags);
		if (s->flags & PL_STEP_FAST)
			fputs(" fast", out);
		if (s->n > 1)
			fprintf(out, " times %llu", (unsigned long long)s->n);
		break;
	case PL_OP_PROC_MEM_WRITE:
	case PL_OP_PROCESS_VM_WRITEV:
	case PL_OP_PTRACE_POKE:
		fprintf(out, "%s ", s->target.name);
		ast_print_ref(out, &s->a);
		fputc(' ', out);
		ast_print_value(out, s);
		break;
	case PL_OP_EXIT:
	case PL_OP_CLEAR_REFS:
	case PL_OP_KSM_MERGE:
		break;
	case PL_OP_SHOW:
		if (s->a.name)
			fputs(s->a.name, out);
		break;
	default:
		if (s->a.name)
			ast_print_ref(out, &s->a);
		break;
	}
}

void pl_step_print(FILE *out, const struct pl_scenario *sc, const struct pl_step *s)
{
	(void)sc;
	if (s->flags & PL_STEP_REQUIRE)
		fputs("require ", out);
	if (s->actor.name)
		fprintf(out, "%s: ", s->actor.name);
	if (s->def.name && s->op != PL_OP_PROCESS && s->op != PL_OP_FILE && s->op != PL_OP_FORK)
		fprintf(out, "%s = ", s->def.name);
	if (s->op >= PL_OP_CHECK_VALUE && s->op <= PL_OP_CHECK_INVARIANTS) {
		ast_print_check(out, s);
	} else {
		fputs(pl_op_name(s->op), out);
		if (s->op != PL_OP_EXIT && s->op != PL_OP_CLEAR_REFS && s->op != PL_OP_KSM_MERGE &&
		    pl_op_form(s->op) != PL_FORM_CREATE && !(s->op == PL_OP_SHOW && !s->a.name))
			fputc(' ', out);
		ast_print_args(out, s);
	}
	if (s->flags & PL_STEP_FAILS) {
		fputs(" fails", out);
		if (s->err)
			fprintf(out, " %s", pl_word_name(pl_errno_words, s->err));
	}
	if (s->flags & PL_STEP_STOP)
		fputs(" expect refused", out);
	if (s->has_cls)
		fprintf(out, " as %s", pl_outcome_name(s->cls));
}

static void ast_print_expect(FILE *out, const struct pl_expect *e)
{
	fprintf(out, "expect %s", pl_outcome_name(e->outcome));
	for (int i = 0; i < e->nr_on; i++) {
		const struct pl_preset_item *it = &e->on[i];

		fputs(i ? " " : " on ", out);
		switch (it->kind) {
		case PL_PI_ONE:
			fputs(it->lo, out);
			break;
		case PL_PI_RANGE:
			fprintf(out, "%s..%s", it->lo, it->hi);
			break;
		case PL_PI_OLDER:
			fprintf(out, "%s and older", it->lo);
			break;
		case PL_PI_NEWER:
			fprintf(out, "%s and newer", it->lo);
			break;
		}
	}
	for (int i = 0; i < e->nr_with; i++)
		fprintf(out, "%s%s", i ? " " : " with ", e->with[i].name);
	if (e->because) {
		fputs(" because ", out);
		ast_print_str(out, e->because);
	}
	fputc('\n', out);
}

void pl_scenario_print(FILE *out, const struct pl_scenario *sc)
{
	const char *d = sc->description;
	int thread = -1;

	while (d && *d) {
		const char *nl = strchr(d, '\n');
		int len = nl ? (int)(nl - d) : (int)strlen(d);

		fprintf(out, "#%s%.*s\n", len ? " " : "", len, d);
		d = nl ? nl + 1 : d + len;
	}
	fputs("scenario ", out);
	ast_print_str(out, sc->name);
	fputc('\n', out);
	if (sc->backing_pos.line) {
		fputs("backing", out);
		for (int i = 0; i < sc->nr_backings; i++)
			fprintf(out, " %s", sc->backings[i].name);
		fputc('\n', out);
	}
	for (int i = 0; i < sc->nr_expects; i++)
		ast_print_expect(out, &sc->expects[i]);
	for (int i = 0; i < sc->nr_steps; i++) {
		const struct pl_step *s = &sc->steps[i];

		if (s->thread != thread) {
			if (thread >= 0)
				fputs("}\n", out);
			thread = s->thread;
			if (thread >= 0)
				fprintf(out, "thread %s {\n", sc->threads[thread].name);
		}
		if (thread >= 0)
			fputc('\t', out);
		pl_step_print(out, sc, s);
		fputc('\n', out);
	}
	if (thread >= 0)
		fputs("}\n", out);
}
