/*
 * The world: the one object that holds all model state.
 *
 * A world owns the memmap (struct page per pfn), every task and mm, the
 * files with their page caches, the swap device, the hugetlb pool, the
 * pinners' handles, the interned page-content tokens and the list of
 * invariant violations.  Nothing in src/core/ keeps state anywhere else, so
 * two worlds never interfere and a run is a pure function of its inputs.
 *
 * Page contents are tokens: small integers naming an interned string.  The
 * zero page holds token 0 ("" / all zeroes).  A 4 KiB page therefore costs a
 * few dozen bytes of model memory, not 4 KiB.
 */
#include "internal.h"

#include <stdarg.h>
#include <strings.h>
#include <sys/mman.h>

_Noreturn void pl_bug(const char *file, int line, const char *what)
{
	fprintf(stderr, "pinlab: internal error: %s:%d: %s\n", file, line, what);
	fflush(stderr);
	exit(3);
}

/*
 * The model cannot go on without the memory it asked for (a half-built mm or
 * folio cannot be unwound), so the command ends: "pinlab: out of memory",
 * exit 3, as the CLI ends it.  A caller running the model on a stack of its
 * own (the explorer's threads) leaves it first through hooks.oom.
 */
_Noreturn void pl_oom(struct world *w)
{
	if (w) {
		w->oom = 1;
		if (w->hooks.oom)
			w->hooks.oom(w, w->hooks.arg);
	}
	fputs("pinlab: out of memory\n", stderr);
	exit(3);
}

void *pl_zalloc(struct world *w, size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		pl_oom(w);
	return p;
}

void *pl_realloc_array(struct world *w, void *p, size_t nmemb, size_t size)
{
	void *q;

	if (size && nmemb > SIZE_MAX / size)
		pl_bug(__FILE__, __LINE__, "allocation size overflow");
	q = realloc(p, (nmemb && size) ? nmemb * size : 1);
	if (!q)
		pl_oom(w);
	return q;
}

/* @p itself while @nr < *@cap; else *@cap grows (to @first, then twice) and @p moves. */
void *pl_array_grow(struct world *w, void *p, int nr, int *cap, int first, size_t size)
{
	if (nr < *cap)
		return p;
	*cap = *cap ? 2 * *cap : first;
	return pl_realloc_array(w, p, (size_t)*cap, size);
}

static void pl_reserve_special_pages(struct world *w)
{
	struct folio *f;
	pl_pfn pfn;

	/* the same pages as every world before this one: see folio.c */
	if (pl_memmap_template_load(w))
		return;
	/* pfn 0 stays unused so that 0 can mean "no page". */
	w->next_pfn = 1;
	/* the shared zero page (ZERO_PAGE(0)) */
	pfn = pl_alloc_pages(w, 0);
	if (pfn == PL_PFN_NONE)
		pl_oom(w);	/* no world without its first memmap chunk */
	f = pfn_folio(w, pfn);
	f->page.flags = PG_zero | PG_reserved | PG_head;
	f->page._refcount = 1;
	w->zero_pfn = pfn;
	/* the huge zero page (mm/huge_memory.c: huge_zero_folio), order 9 */
	pfn = pl_alloc_pages(w, HPAGE_PMD_ORDER);
	if (pfn == PL_PFN_NONE)
		pl_oom(w);
	f = pfn_folio(w, pfn);
	f->page.flags |= PG_zero | PG_reserved;
	f->page._refcount = 1;
	w->huge_zero_pfn = pfn;
	w->nr_alloc_pages = 0;	/* reserved pages are not "model memory in use" */
	pl_memmap_template_save(w);
}

/* The start of every world, on a zeroed struct world (pl_world_new(), pl_world_reset()). */
static void world_init(struct world *w, const struct pl_policy *policy, const char *preset)
{
	w->policy = *policy;
	w->preset = preset ? preset : "custom";
	w->thp = THP_MADVISE;
	w->zero_page = true;
	w->huge_zero_page = true;
	w->cur_thread = 0;
	pl_token_intern(w, "");		/* token 0: zero-filled */
	pl_reserve_special_pages(w);
}

/**
 * pl_world_new() - create an empty world running under @policy.
 * @policy: the era knobs (copied)
 * @preset: name reported in output (may be NULL)
 */
struct world *pl_world_new(const struct pl_policy *policy, const char *preset)
{
	struct world *w = pl_zalloc(NULL, sizeof(*w));

	world_init(w, policy, preset);
	return w;
}

/*
 * Host facts.  Both hold on an upstream kernel of every era; a machine may
 * differ (a vendor boot option, a sysfs setting).  The host profile
 * (src/backend/host/profile.c) probes them; docs/host.md lists what it found where.
 */
static const struct pl_fact facts[] = {
	{ "zero_page",
	  "a read fault on anonymous memory maps the shared zero page (do_anonymous_page())",
	  "a read fault allocates a fresh anonymous page, as a write fault does (vendor "
	  "kernels booted with pvm_no_zero_page=1): plain loads, MADV_POPULATE_READ, "
	  "vmsplice and /proc/pid/mem reads" },
	{ "huge_zero_page",
	  "a read fault on a THP-eligible PMD maps the huge zero page "
	  "(transparent_hugepage/use_zero_page = 1)",
	  "a THP read fault allocates a THP (use_zero_page = 0)" },
};

const struct pl_fact *pl_facts(int *n)
{
	*n = (int)PL_ARRAY_SIZE(facts);
	return facts;
}

static bool *fact_field(struct world *w, const char *name, size_t len)
{
	if (len == 9 && !strncmp(name, "zero_page", len))
		return &w->zero_page;
	if (len == 14 && !strncmp(name, "huge_zero_page", len))
		return &w->huge_zero_page;
	return NULL;
}

bool pl_fact_is(const char *assignment)
{
	size_t len;

	if (!assignment)
		return false;
	len = strcspn(assignment, "= \t");
	for (size_t i = 0; i < PL_ARRAY_SIZE(facts); i++)
		if (strlen(facts[i].name) == len && !strncmp(facts[i].name, assignment, len))
			return true;
	return false;
}

int pl_world_set_fact(struct world *w, const char *assignment, char *err, size_t errlen)
{
	const char *eq = assignment ? strchr(assignment, '=') : NULL;
	const char *v;
	bool *field;

	if (!err)
		errlen = 0;
	if (!eq) {
		if (errlen)
			snprintf(err, errlen, "expected fact=value, found '%.60s'",
				 assignment ? assignment : "");
		return -EINVAL;
	}
	field = fact_field(w, assignment, strcspn(assignment, "= \t"));
	v = eq + 1 + strspn(eq + 1, " \t");
	if (!field) {
		if (errlen)
			snprintf(err, errlen, "unknown host fact '%.*s'", (int)(eq - assignment),
				 assignment);
		return -EINVAL;
	}
	if (!strcasecmp(v, "true") || !strcasecmp(v, "on") || !strcmp(v, "1") ||
	    !strcasecmp(v, "yes")) {
		*field = true;
	} else if (!strcasecmp(v, "false") || !strcasecmp(v, "off") || !strcmp(v, "0") ||
		   !strcasecmp(v, "no")) {
		*field = false;
	} else {
		if (errlen)
			snprintf(err, errlen, "bad value '%.40s' for host fact '%.*s' (expected true "
				 "or false)", v, (int)(eq - assignment), assignment);
		return -EINVAL;
	}
	return 0;
}

static void pl_free_tasks(struct world *w)
{
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task_struct *t = w->tasks[i];

		if (t->mm)
			pl_mm_free_gone(w, t->mm);
		free(t);
	}
	free(w->tasks);
}

/* Everything the world holds goes back (memmap chunks to their pools); @w itself stays. */
static void world_release(struct world *w)
{
	w->on_event = NULL;	/* teardown is not part of the run */
	w->hooks.yield = NULL;
	w->hooks.sync = NULL;
	w->chk_walked = false;	/* nothing to subtract from: the tally goes too */
	pl_free_tasks(w);
	for (int i = 0; i < w->nr_pins; i++) {
		free(w->pins[i]->pages);
		free(w->pins[i]->pipe);
		free(w->pins[i]);
	}
	free(w->pins);
	for (int i = 0; i < w->nr_files; i++)
		pl_file_free(w->files[i]);
	free(w->files);
	free(w->swap);
	for (uint32_t i = 0; i < w->nr_chunks; i++)
		pl_memmap_chunk_release(w->memmap[i], i == 0, w->tmpl_low);
	free(w->memmap);
	for (uint32_t i = 0; i < w->nr_tokens; i++)
		free(w->tokens[i]);
	free(w->tokens);
	free(w->token_len);
	for (uint32_t i = 0; i < w->nr_rcu_tables; i++)
		free(w->rcu_tables[i]);
	free(w->rcu_tables);
	free(w->violations);
	pl_check_tally_free(w);
	pl_chk_inc_free(w);
	free(w->check_list);
}

void pl_world_free(struct world *w)
{
	if (!w)
		return;
	world_release(w);
	free(w);
}

/**
 * pl_world_reset() - make @w the world pl_world_new() would return.
 * @policy: the era knobs (copied)
 * @preset: name reported in output (may be NULL)
 *
 * For a caller that runs many short worlds one after the other (fuzz/
 * fuzz_core.c): what the world held is released as pl_world_free() releases
 * it, every field starts from zero again, and the start is pl_world_new()'s,
 * template included, so nothing a run shows can tell a reset world from a
 * new one (tests/unit/core_edges.c: test_reset_world_starts_the_same).
 */
void pl_world_reset(struct world *w, const struct pl_policy *policy, const char *preset)
{
	world_release(w);
	memset(w, 0, sizeof(*w));
	world_init(w, policy, preset);
}

/*
 * pl_world_empty() - release what @w holds, as pl_world_free() does, and
 * leave @w all zero (not a usable world: pl_world_copy_into() fills it).
 */
void pl_world_empty(struct world *w)
{
	world_release(w);
	memset(w, 0, sizeof(*w));
}

/* ---------------------------------------------------------------------------
 * Tokens.  Linear interning is fine: scenarios use a handful of values.
 * A token is a page image: its bytes from offset 0 up to the last non-zero
 * one (a string's token is the string), zeroes after it.
 */
pl_token pl_token_intern_bytes(struct world *w, const void *bytes, uint32_t n)
{
	const char *b = bytes;

	while (n && !b[n - 1])
		n--;
	for (uint32_t i = 0; i < w->nr_tokens; i++)
		if (w->token_len[i] == n && !memcmp(w->tokens[i], b, n))
			return i;
	if (w->nr_tokens == w->cap_tokens) {
		w->cap_tokens = w->cap_tokens ? 2 * w->cap_tokens : 16;
		w->tokens = pl_realloc_array(w, w->tokens, w->cap_tokens, sizeof(char *));
		w->token_len = pl_realloc_array(w, w->token_len, w->cap_tokens, sizeof(uint32_t));
	}
	w->tokens[w->nr_tokens] = pl_zalloc(w, (size_t)n + 1);
	if (n)
		memcpy(w->tokens[w->nr_tokens], b, n);
	w->token_len[w->nr_tokens] = n;
	return w->nr_tokens++;
}

pl_token pl_token_intern(struct world *w, const char *text)
{
	size_t len = strlen(text);

	if (len > PAGE_SIZE)
		len = PAGE_SIZE;
	return pl_token_intern_bytes(w, text, (uint32_t)len);
}

uint32_t pl_token_len(const struct world *w, pl_token t)
{
	return t < w->nr_tokens ? w->token_len[t] : 0;
}

void pl_token_bytes(const struct world *w, pl_token t, uint32_t off, void *out, uint32_t n)
{
	uint32_t len = pl_token_len(w, t), have = off < len ? len - off : 0;

	if (have > n)
		have = n;
	if (have)
		memcpy(out, w->tokens[t] + off, have);
	memset((char *)out + have, 0, n - have);
}

pl_token pl_token_patch(struct world *w, pl_token t, uint32_t off, const void *bytes,
			uint32_t n)
{
	char page[PAGE_SIZE];

	PL_BUG_ON(off > PAGE_SIZE || n > PAGE_SIZE - off);
	pl_token_bytes(w, t, 0, page, PAGE_SIZE);
	memcpy(page + off, bytes, n);
	return pl_token_intern_bytes(w, page, PAGE_SIZE);
}

size_t pl_bytes_show(const void *bytes, uint32_t n, char *out, size_t cap)
{
	const unsigned char *b = bytes;
	size_t o = 0;
	uint32_t i = 0;

	while (i < n) {
		char one[24];
		uint32_t run = 1;
		int k;

		while (i + run < n && b[i + run] == b[i])
			run++;
		if (b[i] == '\\')
			k = snprintf(one, sizeof(one), "\\\\");
		else if (b[i] >= ' ' && b[i] < 0x7f && b[i] != '{')
			k = snprintf(one, sizeof(one), "%c", b[i]);
		else
			k = snprintf(one, sizeof(one), "\\x%02x", b[i]);
		if (run >= 4)
			k += snprintf(one + k, sizeof(one) - (size_t)k, "{%u}", run);
		else
			run = 1;
		if (o + (size_t)k + 4 > cap) {
			memcpy(out + o, "...", 4);
			return o + 3;
		}
		memcpy(out + o, one, (size_t)k + 1);
		o += (size_t)k;
		i += run;
	}
	if (cap)
		out[o] = 0;
	return o;
}

const char *pl_token_text(const struct world *w, pl_token t)
{
	if (t >= w->nr_tokens)
		return "?";
	return w->tokens[t];
}

/* ---------------------------------------------------------------------------
 * Tasks.
 */
struct task_struct *pl_task(const struct world *w, int pid)
{
	if (pid < 1 || pid > w->nr_tasks)
		return NULL;
	return w->tasks[pid - 1];
}

int pl_find_task_vma(const struct world *w, int pid, pl_addr addr, int novma,
		     struct mm_struct **mmp, struct vm_area_struct **vmap)
{
	*mmp = pl_mm_of(w, pid);
	if (!*mmp)
		return -ESRCH;
	*vmap = vma_lookup(*mmp, addr);
	return *vmap ? 0 : novma;
}

struct task_struct *pl_task_of_mm(const struct world *w, const struct mm_struct *mm)
{
	for (int i = 0; i < w->nr_tasks; i++)
		if (w->tasks[i]->mm == mm)
			return w->tasks[i];
	return NULL;
}

int pl_mm_pid(const struct world *w, const struct mm_struct *mm)
{
	struct task_struct *t = pl_task_of_mm(w, mm);

	return t ? t->pid : 0;
}

static struct mm_struct *pl_mm_new(struct world *w)
{
	struct mm_struct *mm = pl_zalloc(w, sizeof(*mm));

	mm->id = ++w->next_mm_id;
	mm->world = w;
	mm->pgd = pl_dir_alloc(w);
	mm->mmap_base = 0x7f0000000000ULL;
	mm->mmap_lock.id = ++w->next_lock_id;
	mm->nr_ptes = 1;
	pl_chk_mm_mark(mm);
	return mm;
}

static int pl_task_add(struct world *w, struct mm_struct *mm, int parent)
{
	struct task_struct *t;

	t = PL_TABLE_ADD(w, w->tasks, w->nr_tasks, w->cap_tasks, 8);
	t->pid = w->nr_tasks;
	t->parent = parent;
	t->mm = mm;
	if (mm && !mm->chk_pid)
		mm->chk_pid = t->pid;
	return t->pid;
}

/**
 * pl_task_create() - a new process with an empty address space.
 * Return: its pid.
 */
int pl_task_create(struct world *w)
{
	return pl_task_add(w, pl_mm_new(w), 0);
}

/* fork.c uses this to make the child. */
int pl_task_create_child(struct world *w, int parent, struct mm_struct **mm_out);
int pl_task_create_child(struct world *w, int parent, struct mm_struct **mm_out)
{
	struct mm_struct *mm = pl_mm_new(w);

	*mm_out = mm;
	return pl_task_add(w, mm, parent);
}

/* ---------------------------------------------------------------------------
 * Events.
 */
static const char *const event_names[] = {
	/* ORDER: enum pl_event_kind */
	"fault", "cow", "reuse", "unshare", "fork-copy", "fork-share", "gup-refuse",
	"gup-retry", "gup-fast-bail", "pin", "unpin", "swapout", "swapin", "writeback",
	"evict", "split", "collapse", "ksm-merge", "zap", "replace", "mkwrite", "note",
};

const char *pl_event_kind_name(enum pl_event_kind k)
{
	if ((unsigned)k >= PL_ARRAY_SIZE(event_names))
		return "?";
	return event_names[k];
}

void pl_event_emit(struct world *w, enum pl_event_kind kind, const char *func, const char *rule,
		   pl_addr addr, pl_pfn old_pfn, pl_pfn new_pfn, const char *fmt, ...)
{
	struct pl_event ev;
	va_list ap;

	if (!w->on_event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.func = func;
	ev.rule = rule;
	ev.pid = w->cur_pid;
	ev.addr = addr;
	ev.old_pfn = old_pfn;
	ev.new_pfn = new_pfn;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(ev.detail, sizeof(ev.detail), fmt, ap);
		va_end(ap);
	}
	w->on_event(w, &ev, w->event_arg);
}

/* ---------------------------------------------------------------------------
 * Model memory accounting for the benchmark: everything the world allocated
 * for pages, page tables and folio metadata, per populated page.
 */
uint64_t pl_world_bytes(const struct world *w)
{
	uint64_t bytes = (uint64_t)w->next_pfn * sizeof(struct page);

	for (int i = 0; i < w->nr_tasks; i++) {
		struct mm_struct *mm = w->tasks[i]->mm;

		if (!mm)
			continue;
		bytes += mm->nr_ptes * sizeof(struct pl_ptetab);
		bytes += (uint64_t)mm->cap_vmas * sizeof(struct vm_area_struct);
	}
	bytes += (uint64_t)w->cap_swap * sizeof(struct swap_slot);
	return bytes;
}
