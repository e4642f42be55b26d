/*
 * backend_model.c - the model backend: each resolved step is one call into
 * the core (include/pinlab/core.h).
 *
 * One world per run, created by begin() under the run's era preset and
 * freed by end().  The world runs in checked mode: the executor calls
 * check() after every step, which runs the whole invariant checker
 * (pl_check_world); violations stay in the world, and nr_violations() /
 * violation() list them.  The core reports each COW, reuse, unshare, fork
 * copy and GUP decision as a struct pl_event through world->on_event; they
 * are forwarded to whoever the executor named in on_event().
 *
 *	op			core call
 *	--------------------	-------------------------------------------------------
 *	process, fork, exit	pl_task_create, pl_fork, pl_exit
 *	mmap ... madvise	pl_mmap, pl_munmap, pl_mremap, pl_mprotect, pl_madvise
 *	mlock, munlock		pl_mlock, pl_munlock
 *	write, read		pl_user_write/read per page; pl_file_write/read; pl_pipe_read
 *	vmsplice, close		pl_vmsplice, pl_pipe_close
 *	write/read of a pipe	pl_pipe_write, pl_pipe_read_bytes
 *	splice			pl_splice_file
 *	iouring-*		io_uring_register_buffers, ..._write_fixed, ..._read_fixed
 *	dio-*, complete		pl_dio_submit, pl_dio_complete
 *	rdma-*, dma-write	pl_rdma_reg_mr, pl_rdma_dereg_mr, pl_rdma_dma_write
 *	pin, unpin		pl_gup_test_pin, pl_gup_test_unpin (PIN_LONGTERM_TEST_*)
 *	gup, put		get_user_pages[_fast], pin_user_pages[_fast], gup_fast_only;
 *				put_page or unpin_user_page per page
 *	proc-mem-*, process-vm-* pl_proc_mem_write/read, pl_process_vm_writev/readv
 *	uprobe-*		pl_uprobe_register/unregister
 *	reclaim ... split	pl_reclaim, pl_writeback[_file], pl_evict, pl_ksm_merge,
 *				pl_thp_collapse, pl_thp_split, pl_uffdio_continue
 *	checks			page-table lookups of the world (read only)
 *
 * Raw GUP references (`gup`) belong to no kernel user, so this file keeps
 * them: a handle is an index into m->gups, holding the pfns and the flags
 * they were taken with, so `put` releases exactly what was taken.
 *
 * Over 900 lines: one case per operation of ops.def, each the model's half
 * of a step beside the small helpers it shares; splitting the switch would
 * only scatter the table above.
 */
#include "pinlab/backend.h"
#include "pinlab/view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct model_gup {
	pl_pfn *pages;
	uint32_t nr;
	unsigned int flags;	/* FOLL_PIN or FOLL_GET as requested */
	bool active;
};

struct model {
	struct pl_backend be;
	struct world *w;
	struct model_gup *gups;
	int nr_gups, cap_gups;
	/* save(): the GUP references of the run whose world the explorer copies */
	struct model_gup *saved;
	int nr_saved;
	int has_1g;		/* -1: not probed yet */
	char text[PL_BYTES_SHOW_MAX];	/* a byte-range observation */
	void (*ev_fn)(void *arg, const struct pl_event *ev);
	void *ev_arg;
};

static struct model *model_of(struct pl_backend *be)
{
	return be->priv;
}

static void model_event(struct world *w, const struct pl_event *ev, void *arg)
{
	struct model *m = arg;

	(void)w;
	if (m->ev_fn)
		m->ev_fn(m->ev_arg, ev);
}

static void gups_free(struct model_gup *g, int nr)
{
	for (int i = 0; i < nr; i++)
		free(g[i].pages);
	free(g);
}

static void model_free_gups(struct model *m)
{
	gups_free(m->gups, m->nr_gups);
	m->gups = NULL;
	m->nr_gups = m->cap_gups = 0;
}

/* A copy of the nr references at g (their pfn lists too), or NULL. */
static struct model_gup *gups_dup(const struct model_gup *g, int nr)
{
	struct model_gup *c = calloc(nr ? (size_t)nr : 1, sizeof(*c));

	for (int i = 0; c && i < nr; i++) {
		c[i] = g[i];
		c[i].pages = malloc((g[i].nr ? g[i].nr : 1) * sizeof(*c[i].pages));
		if (!c[i].pages) {
			gups_free(c, i);
			return NULL;
		}
		if (g[i].nr)
			memcpy(c[i].pages, g[i].pages, g[i].nr * sizeof(*c[i].pages));
	}
	return c;
}

static int model_save(struct pl_backend *be)
{
	struct model *m = model_of(be);
	struct model_gup *c = gups_dup(m->gups, m->nr_gups);

	if (!c)
		return -ENOMEM;
	gups_free(m->saved, m->nr_saved);
	m->saved = c;
	m->nr_saved = m->nr_gups;
	return 0;
}

static int model_restore(struct pl_backend *be, struct world *w)
{
	struct model *m = model_of(be);
	struct model_gup *c = gups_dup(m->saved, m->nr_saved);

	if (!c)
		return -ENOMEM;
	model_free_gups(m);
	m->gups = c;
	m->nr_gups = m->cap_gups = m->nr_saved;
	m->w = w;
	return 0;
}

static void model_free_run(struct model *m)
{
	model_free_gups(m);
	pl_world_free(m->w);
	m->w = NULL;
}

/* The explorer owns (and has freed) the world: keep nothing of it. */
static void model_disown(struct pl_backend *be)
{
	struct model *m = model_of(be);

	model_free_gups(m);
	m->w = NULL;
}

static int model_begin(struct pl_backend *be, const char *preset, const char *const *sets,
		       int nr_sets, char *err, size_t errlen)
{
	struct model *m = model_of(be);
	const struct pl_preset *p = pl_preset_find(preset);
	struct pl_policy policy;

	model_free_run(m);
	if (!p) {
		snprintf(err, errlen, "unknown preset '%s'", preset);
		return -EINVAL;
	}
	policy = p->policy;
	for (int i = 0; i < nr_sets; i++)
		if (!pl_fact_is(sets[i]) && pl_policy_set(&policy, sets[i], err, errlen))
			return -EINVAL;
	m->w = pl_world_new(&policy, p->name);
	/* host facts (zero_page=off ...): the machine, set on the world */
	for (int i = 0; i < nr_sets; i++) {
		if (pl_fact_is(sets[i]) && pl_world_set_fact(m->w, sets[i], err, errlen)) {
			model_free_run(m);
			return -EINVAL;
		}
	}
	m->w->checked = true;
	/* on_event() names the listener after begin(); none, no event is formatted */
	m->w->on_event = m->ev_fn ? model_event : NULL;
	m->w->event_arg = m;
	return 0;
}

static void model_end(struct pl_backend *be)
{
	model_free_run(model_of(be));
}

static void model_destroy(struct pl_backend *be)
{
	struct model *m = model_of(be);

	model_free_run(m);
	gups_free(m->saved, m->nr_saved);
	free(m);
}

static void model_on_event(struct pl_backend *be, void (*fn)(void *, const struct pl_event *),
			   void *arg)
{
	struct model *m = model_of(be);

	m->ev_fn = fn;
	m->ev_arg = arg;
	if (m->w)
		m->w->on_event = fn ? model_event : NULL;
}

struct world *pl_model_backend_world(struct pl_backend *be)
{
	return model_of(be)->w;
}

/* ---------------------------------------------------------------------------
 * Features.
 */

/*
 * 1 GiB hugetlb is modelled once an anonymous MAP_HUGETLB|MAP_HUGE_1GB
 * mapping really gets PUD-level pages and a hugetlbfs file accepts order 18.
 * Probed once, in a scratch world.
 */
static bool model_probe_1g(void)
{
	const struct pl_preset *p = pl_preset_find("latest");
	struct world *w = pl_world_new(&p->policy, p->name);
	int pid = pl_task_create(w), file;
	bool ok = false;
	pl_addr a;

	if (pl_hugetlb_set_pool_order(w, HPAGE_PUD_ORDER, 1) == 0) {
		a = pl_mmap(w, pid, 0, PUD_SIZE, PL_PROT_READ | PL_PROT_WRITE,
			    PL_MAP_PRIVATE | PL_MAP_ANONYMOUS | PL_MAP_HUGETLB | PL_MAP_HUGE_1GB,
			    -1, 0);
		if (!pl_err(a)) {
			struct vm_area_struct *v = vma_lookup(pl_task(w, pid)->mm, a);

			ok = v && v->hugetlb_order == HPAGE_PUD_ORDER;
		}
	}
	file = pl_file_create(w, PL_FS_HUGETLBFS, 1, PL_TOKEN_ZERO);
	ok = ok && file > 0 && pl_file_set_huge_order(w, file, HPAGE_PUD_ORDER) == 0;
	pl_world_free(w);
	return ok;
}

static bool model_has(struct pl_backend *be, const char *feature)
{
	struct model *m = model_of(be);

	if (!strcmp(feature, "hugetlb-1g")) {
		if (m->has_1g < 0)
			m->has_1g = model_probe_1g();
		return m->has_1g;
	}
	return false;
}

/* ---------------------------------------------------------------------------
 * Helpers.
 */
static pl_token model_tok(struct model *m, const char *text)
{
	return text ? pl_token_intern(m->w, text) : PL_TOKEN_ZERO;
}

static struct mm_struct *model_mm(struct model *m, int pid)
{
	struct task_struct *t = pl_task(m->w, pid);

	return t && !t->exited ? t->mm : NULL;
}

/* What a device (or the pin's reader) sees in one page: the zero page reads as zeroes. */
static pl_token model_page_tok(struct model *m, pl_pfn pfn)
{
	struct page *p = pfn_to_page(m->w, pfn);

	if (folio_test_zero(page_folio(m->w, p)))
		return PL_TOKEN_ZERO;
	return p->token;
}

/*
 * An observation of a page holding @tok: its string, or with
 * PL_BSTEP_BYTES the string at boff, or blen bytes rendered.
 */
static const char *model_view(struct model *m, const struct pl_bstep *s, pl_token tok)
{
	char buf[PAGE_SIZE];
	uint32_t n;

	if (!(s->flags & PL_BSTEP_BYTES) || s->boff >= PAGE_SIZE)
		return pl_token_text(m->w, tok);
	if (s->blen) {
		n = s->blen > PAGE_SIZE - s->boff ? PAGE_SIZE - s->boff : s->blen;
		pl_token_bytes(m->w, tok, s->boff, buf, n);
		pl_bytes_show(buf, n, m->text, sizeof(m->text));
		return m->text;
	}
	/* the C string at boff, cut as the host's reply is */
	n = PAGE_SIZE - s->boff < PL_BYTES_SHOW_MAX - 1 ? PAGE_SIZE - s->boff
							  : PL_BYTES_SHOW_MAX - 1;
	pl_token_bytes(m->w, tok, s->boff, m->text, n);
	m->text[n] = 0;
	return m->text;
}

/* addr of page i of a range */
static pl_addr model_page(const struct pl_bstep *s, uint32_t i)
{
	return s->addr + (pl_addr)i * PAGE_SIZE;
}

/*
 * The entry mapping (mm, addr): a PTE, or a PMD or PUD leaf.  *page is the
 * 4 KiB page it maps there (NULL if not present).
 */
static pte_t model_lookup(struct model *m, struct mm_struct *mm, pl_addr addr,
			  struct page **page)
{
	struct pl_leaf l;

	*page = NULL;
	pl_leaf_at(mm, addr, &l);
	if (pte_present(l.entry))
		*page = pfn_to_page(m->w, pl_leaf_pfn(&l, addr));
	return l.entry;
}

/* ---------------------------------------------------------------------------
 * Raw GUP references.
 */
static long model_gup(struct model *m, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct mm_struct *mm = model_mm(m, s->pid);
	unsigned int flags = s->gup_flags;
	bool fast = s->flags & PL_BSTEP_FAST;
	uint64_t times = s->n ? s->n : 1, total = (uint64_t)s->nr * times;
	struct model_gup *g;
	pl_pfn *pages;
	long got = 0;

	if (!mm)
		return -ESRCH;
	if (total > UINT32_MAX / 2)
		return -ENOMEM;
	pages = calloc(total ? (size_t)total : 1, sizeof(*pages));
	if (!pages)
		return -ENOMEM;
	m->w->cur_pid = s->pid;
	/* `times N`: N calls one after another, each holding its references */
	for (uint64_t t = 0; t < times && got >= 0; t++) {
		pl_pfn *out = pages + t * s->nr;

		if (flags & FOLL_FAST_ONLY)
			got = gup_fast_only(m->w, mm, s->addr, s->nr, flags & ~FOLL_FAST_ONLY, out);
		else if (flags & FOLL_PIN)
			got = fast ? pin_user_pages_fast(m->w, mm, s->addr, s->nr, flags & ~FOLL_PIN,
							 out)
				   : pin_user_pages(m->w, mm, s->addr, s->nr, flags & ~FOLL_PIN, out);
		else
			got = fast ? get_user_pages_fast(m->w, mm, s->addr, s->nr, flags, out)
				   : get_user_pages(m->w, mm, s->addr, s->nr, flags, out);
		if (got >= 0 && (uint32_t)got != s->nr) {
			/* a short count is a failure for the scenario: give back what was taken */
			for (uint64_t i = 0; i < t * s->nr + (uint64_t)got; i++) {
				if (flags & FOLL_PIN)
					unpin_user_page(m->w, pages[i]);
				else
					put_page(m->w, pages[i]);
			}
			got = -EFAULT;
		} else if (got < 0) {
			for (uint64_t i = 0; i < t * s->nr; i++) {
				if (flags & FOLL_PIN)
					unpin_user_page(m->w, pages[i]);
				else
					put_page(m->w, pages[i]);
			}
		}
	}
	if (got < 0) {
		free(pages);
		return got;
	}
	if (m->nr_gups == m->cap_gups) {
		int cap = m->cap_gups ? 2 * m->cap_gups : 4;
		struct model_gup *n = realloc(m->gups, (size_t)cap * sizeof(*n));

		if (!n) {
			free(pages);
			return -ENOMEM;
		}
		m->gups = n;
		m->cap_gups = cap;
	}
	g = &m->gups[m->nr_gups++];
	g->pages = pages;
	g->nr = (uint32_t)total;
	g->flags = flags;
	g->active = true;
	r->id = m->nr_gups;
	return 0;
}

static struct model_gup *model_gup_get(struct model *m, int h)
{
	if (h < 1 || h > m->nr_gups || !m->gups[h - 1].active)
		return NULL;
	return &m->gups[h - 1];
}

static long model_put(struct model *m, int h)
{
	struct model_gup *g = model_gup_get(m, h);

	if (!g)
		return -EBADF;
	for (uint32_t i = 0; i < g->nr; i++) {
		if (g->flags & FOLL_PIN)
			unpin_user_page(m->w, g->pages[i]);
		else
			put_page(m->w, g->pages[i]);
	}
	g->active = false;
	return 0;
}

/* ---------------------------------------------------------------------------
 * Observations: checks read state, never change it (but reads may fault).
 */
static long model_check_value(struct model *m, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct world *w = m->w;
	struct pl_pinset *ps;
	struct model_gup *g;
	pl_token tok = PL_TOKEN_ZERO;
	long ret = 0;

	switch (s->src) {
	case PL_SRC_USER:
		ret = pl_user_read(w, s->pid, s->addr, &tok);
		break;
	case PL_SRC_PIPE:
		ret = pl_pipe_read(w, s->handle, &tok);
		break;
	case PL_SRC_PIN:
		ret = pl_gup_test_read(w, s->handle, s->page, &tok);
		break;
	case PL_SRC_GUP:
		g = model_gup_get(m, s->handle);
		if (!g || s->page >= g->nr)
			return -EBADF;
		tok = model_page_tok(m, g->pages[s->page]);
		break;
	case PL_SRC_RING:
		ps = pl_pinset_get(w, s->handle);
		if (!ps || !ps->active || s->page >= ps->nr)
			return -EBADF;
		tok = model_page_tok(m, ps->pages[s->page]);
		break;
	case PL_SRC_DMA:
		ret = pl_rdma_dma_read(w, s->handle, s->page, &tok);
		break;
	case PL_SRC_FILE:
		ret = pl_file_read(w, s->file, s->index, &tok);
		break;
	case PL_SRC_DISK:
		tok = pl_file_disk(w, s->file, s->index);
		break;
	case PL_SRC_PROC_MEM:
		ret = pl_proc_mem_read(w, s->pid, s->target, s->addr, &tok);
		break;
	case PL_SRC_VM_READV:
		ret = pl_process_vm_readv(w, s->pid, s->target, s->addr, &tok);
		break;
	default:
		return -EINVAL;
	}
	if (ret < 0)
		return ret;
	r->text = model_view(m, s, tok);
	return 0;
}

static long model_check_prop(struct model *m, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct mm_struct *mm = model_mm(m, s->pid);
	struct page *p;
	struct folio *f = NULL;
	struct vm_area_struct *v;
	pte_t e;

	if (!mm)
		return -ESRCH;
	e = model_lookup(m, mm, s->addr, &p);
	if (p)
		f = page_folio(m->w, p);
	switch (s->arg) {
	case PL_PROP_PRESENT:
		r->prop = p != NULL;
		break;
	case PL_PROP_SWAPPED:
		r->prop = is_swap_pte(e);
		break;
	case PL_PROP_WRITABLE:
		r->prop = p && pte_write(e);
		break;
	case PL_PROP_DIRTY:
		r->prop = p && (pte_dirty(e) || folio_test_dirty(f));
		break;
	case PL_PROP_SOFT_DIRTY:
		/*
		 * pagemap_hugetlb_range() reports a hugetlb page soft-dirty
		 * from its vma's VM_SOFTDIRTY alone, and clear_refs' walk has no
		 * hugetlb_entry, so it never touches hugetlb entries (Debian
		 * 6.12.118 fs/proc/task_mmu.c): set from mmap to clear_refs,
		 * then clear whatever is written.
		 */
		v = vma_lookup(mm, s->addr);
		if (v && (v->vm_flags & VM_HUGETLB))
			r->prop = v->vm_softdirty;
		else
			r->prop = (p || is_swap_pte(e)) && pte_soft_dirty(e);
		break;
	case PL_PROP_UFFD_WP:
		r->prop = (p || is_swap_pte(e)) && pte_uffd_wp(e);
		break;
	case PL_PROP_EXCLUSIVE:
		if (is_swap_pte(e))
			r->prop = pte_swp_exclusive(e);
		else	/* hugetlb keeps the bit on the head page only */
			r->prop = p && pl_page_anon_exclusive(m->w, p);
		break;
	case PL_PROP_PINNED:
		r->prop = f && folio_maybe_dma_pinned(f);
		break;
	case PL_PROP_SHARED:
		r->prop = p && p->_mapcount + f->page._entire_mapcount > 1;
		break;
	case PL_PROP_ZERO:
		r->prop = f && folio_test_zero(f);
		break;
	case PL_PROP_HUGE:
		r->prop = f && folio_test_large(f);
		break;
	case PL_PROP_KSM:
		r->prop = f && folio_test_ksm(f);
		break;
	case PL_PROP_MOVABLE:
		r->prop = f && !folio_is_longterm_pinnable(f);
		break;
	case PL_PROP_SAME_PAGE: {
		struct mm_struct *other = model_mm(m, s->target);
		struct page *q = NULL;

		if (!other)
			return -ESRCH;
		model_lookup(m, other, s->new_addr, &q);
		r->prop = p && p == q;
		break;
	}
	case PL_PROP_SWAPCACHE:
		if (is_swap_pte(e))
			r->prop = pte_swp_offset(e) < m->w->nr_swap &&
				  m->w->swap[pte_swp_offset(e)].cache != PL_PFN_NONE;
		else
			r->prop = f && folio_test_swapcache(f);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static long model_check_count(struct model *m, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct mm_struct *mm = model_mm(m, s->pid);
	struct page *p;
	struct folio *f;

	if (!mm)
		return -ESRCH;
	model_lookup(m, mm, s->addr, &p);
	if (!p)
		return -EFAULT;		/* nothing mapped there to count */
	f = page_folio(m->w, p);
	switch (s->arg) {
	case PL_COUNT_REFCOUNT:
		r->count = f->page._refcount;
		break;
	case PL_COUNT_MAPCOUNT:	/* page_mapcount(): PTE maps of the page + PMD/PUD maps */
		r->count = p->_mapcount + f->page._entire_mapcount;
		break;
	case PL_COUNT_PINCOUNT:	/* small folios have no _pincount: the ghost pin count */
		r->count = folio_has_pincount(f) ? f->page._pincount : f->page.gup_pins;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/* ---------------------------------------------------------------------------
 * Per-page loops.
 */
/* `write M[i]+OFF [len N] VALUE`: the bytes a sub-page store writes. */
static uint32_t model_store_bytes(const struct pl_bstep *s, char *buf)
{
	if (s->blen) {
		pl_bytes_fill(buf, s->blen, s->text);
		return s->blen;
	}
	if (!s->text) {
		buf[0] = 0;
		return 1;
	}
	memcpy(buf, s->text, strlen(s->text) + 1);
	return (uint32_t)strlen(s->text) + 1;
}

static long model_user_rw(struct model *m, const struct pl_bstep *s, bool write)
{
	pl_token tok = model_tok(m, s->text);

	if (write && (s->flags & PL_BSTEP_BYTES)) {
		char buf[PAGE_SIZE];
		uint32_t n = model_store_bytes(s, buf);

		if (s->nr != 1 || s->boff + (uint64_t)n > PAGE_SIZE)
			return -EINVAL;
		return pl_user_write_bytes(m->w, s->pid, s->addr, s->boff, buf, n);
	}

	for (uint32_t i = 0; i < s->nr; i++) {
		pl_token got;
		int ret = write ? pl_user_write(m->w, s->pid, model_page(s, i), tok)
				: pl_user_read(m->w, s->pid, model_page(s, i), &got);

		if (ret)
			return ret;
	}
	return 0;
}

static long model_file_rw(struct model *m, const struct pl_bstep *s, bool write)
{
	pl_token tok = model_tok(m, s->text);

	for (uint32_t i = 0; i < s->nr; i++) {
		pl_token got;
		int ret = write ? pl_file_write(m->w, s->file, s->index + i, tok)
				: pl_file_read(m->w, s->file, s->index + i, &got);

		if (ret)
			return ret;
	}
	return 0;
}

static long model_remote_write(struct model *m, const struct pl_bstep *s)
{
	pl_token tok = model_tok(m, s->text);

	for (uint32_t i = 0; i < s->nr; i++) {
		pl_addr a = model_page(s, i);
		int ret;

		/* PTRACE_POKETEXT: the value and its NUL, a word at a time, the rest kept */
		if (s->op == PL_OP_PTRACE_POKE)
			ret = pl_ptrace_poke(m->w, s->pid, s->target, a, s->text ? s->text : "",
					     (uint32_t)(s->text ? strlen(s->text) : 0) + 1);
		else if (s->op == PL_OP_PROCESS_VM_WRITEV)
			ret = pl_process_vm_writev(m->w, s->pid, s->target, a, tok);
		else
			ret = pl_proc_mem_write(m->w, s->pid, s->target, a, tok);

		if (ret)
			return ret;
	}
	return 0;
}

/* One call per page of the range (reclaim, uffd-continue) or per file page. */
static long model_per_page(struct model *m, const struct pl_bstep *s)
{
	for (uint32_t i = 0; i < s->nr; i++) {
		int ret;

		switch (s->op) {
		case PL_OP_RECLAIM:
			ret = pl_reclaim(m->w, s->pid, model_page(s, i));
			break;
		case PL_OP_UFFD_CONTINUE:
			ret = pl_uffdio_continue(m->w, s->pid, model_page(s, i));
			break;
		case PL_OP_WRITEBACK:
			ret = pl_writeback(m->w, s->file, s->index + i);
			break;
		case PL_OP_EVICT:
			ret = pl_evict(m->w, s->file, s->index + i);
			break;
		case PL_OP_UPROBE_REGISTER:
			ret = pl_uprobe_register(m->w, s->file, s->index + i,
						 model_tok(m, s->text));
			break;
		case PL_OP_UPROBE_UNREGISTER:
			ret = pl_uprobe_unregister(m->w, s->file, s->index + i);
			break;
		case PL_OP_DMA_WRITE:
			ret = pl_rdma_dma_write(m->w, s->handle, s->page + i,
						model_tok(m, s->text));
			break;
		default:
			return -EINVAL;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* collapse / split: once per PMD range the pages touch. */
static long model_per_pmd(struct model *m, const struct pl_bstep *s)
{
	pl_addr end = s->addr + (pl_addr)s->nr * PAGE_SIZE;

	for (pl_addr a = s->addr & PMD_MASK; a < end; a += PMD_SIZE) {
		pl_addr at = a < s->addr ? s->addr : a;
		int ret = s->op == PL_OP_COLLAPSE ? pl_thp_collapse(m->w, s->pid, at)
						  : pl_thp_split(m->w, s->pid, at);

		if (ret)
			return ret;
	}
	return 0;
}

static long model_addr_result(pl_addr a, struct pl_bresult *r)
{
	if (pl_err(a))
		return (long)(int64_t)a;
	r->addr = a;
	return 0;
}

static long model_id_result(long id, struct pl_bresult *r)
{
	if (id < 0)
		return id;
	r->id = (int)id;
	return 0;
}

/* ---------------------------------------------------------------------------
 * The step dispatcher.
 */
static long model_step(struct pl_backend *be, const struct pl_bstep *s, struct pl_bresult *r)
{
	struct model *m = model_of(be);
	struct world *w = m->w;
	uint64_t len = (uint64_t)s->nr * PAGE_SIZE;
	long ret;

	memset(r, 0, sizeof(*r));
	if (!w)
		return -EINVAL;
	w->step = (uint64_t)s->step;
	switch (s->op) {
	case PL_OP_PROCESS:
		return model_id_result(pl_task_create(w), r);
	case PL_OP_FILE:
		ret = pl_file_create(w, (enum pl_fs)s->arg, (uint32_t)s->n, model_tok(m, s->text));
		if (ret > 0 && s->prot == PL_PROT_READ)
			pl_file_set_rdonly(w, (int)ret);	/* `file F ... ro` */
		if (ret > 0 && s->huge_order) {
			int err = pl_file_set_huge_order(w, (int)ret, s->huge_order);

			if (err)
				return err;
		}
		return model_id_result(ret, r);
	case PL_OP_SWAPON:
		return pl_swapon(w, (uint32_t)s->n);
	case PL_OP_HUGETLB_POOL:
		return pl_hugetlb_set_pool(w, (uint32_t)s->n);
	case PL_OP_MEMLOCK:
		w->memlock_limited = true;
		w->memlock_pages = s->n;
		return 0;
	case PL_OP_THP:
		w->thp = (enum pl_thp_mode)s->arg;
		return 0;
	case PL_BOP_MTHP:
		w->mthp_always |= (uint16_t)(1u << s->arg);
		return 0;
	case PL_BOP_POOL:
		return pl_hugetlb_set_pool_order(w, (unsigned int)s->arg, (uint32_t)s->n);
	case PL_OP_PIPE:
		w->cur_pid = s->pid;
		return model_id_result(pl_pipe_create(w), r);
	case PL_OP_MMAP:
		/* s->addr: the address of MAP_FIXED / MAP_FIXED_NOREPLACE, else 0 */
		return model_addr_result(pl_mmap(w, s->pid, s->addr, s->n, s->prot, s->mflags,
						 s->file, 0), r);
	case PL_OP_MUNMAP:
		return pl_munmap(w, s->pid, s->addr, len);
	case PL_OP_MREMAP:
		return model_addr_result(pl_mremap2(w, s->pid, s->addr, len, s->n,
						    s->flags & PL_BSTEP_MOVE, s->new_addr,
						    s->flags & PL_BSTEP_DONTUNMAP), r);
	case PL_OP_MPROTECT:
		return pl_mprotect(w, s->pid, s->addr, len, s->prot);
	case PL_OP_MADVISE:
		return pl_madvise(w, s->pid, s->addr, len, (enum pl_madv)s->arg);
	case PL_OP_MLOCK:
		return pl_mlock(w, s->pid, s->addr, len);
	case PL_OP_MUNLOCK:
		return pl_munlock(w, s->pid, s->addr, len);
	case PL_OP_FORK:
		return model_id_result(pl_fork(w, s->pid), r);
	case PL_OP_EXIT:
		return pl_exit(w, s->pid);
	case PL_OP_UFFD_WRITEPROTECT:
		return pl_uffd_writeprotect(w, s->pid, s->addr, len, s->arg & 1, s->arg & 2);
	case PL_OP_CLEAR_REFS:
		return pl_clear_refs_soft_dirty(w, s->pid);
	case PL_OP_WRITE:
		if (s->handle) {
			ret = pl_pipe_write(w, s->handle, s->text, (uint32_t)s->n);
			return ret < 0 ? ret : 0;
		}
		return s->file >= 0 ? model_file_rw(m, s, true) : model_user_rw(m, s, true);
	case PL_OP_READ:
		if (s->handle) {
			pl_token tok;

			if (s->n == PAGE_SIZE)
				return pl_pipe_read(w, s->handle, &tok);
			return pl_pipe_read_bytes(w, s->handle, (uint32_t)s->n, &tok);
		}
		return s->file >= 0 ? model_file_rw(m, s, false) : model_user_rw(m, s, false);
	case PL_OP_TRUNCATE:
		return pl_file_truncate(w, s->file, (uint32_t)s->n);
	case PL_OP_SEAL:
		return pl_file_add_seals(w, s->file, (unsigned)s->arg);
	case PL_OP_VMSPLICE:
		if (s->flags & PL_BSTEP_BYTES)
			ret = pl_vmsplice_bytes(w, s->pid, s->handle, s->addr, s->boff, s->blen);
		else
			ret = pl_vmsplice(w, s->pid, s->handle, s->addr, s->nr);
		if (ret >= 0)
			r->count = ret;
		return ret < 0 ? ret : 0;
	case PL_OP_CLOSE:
		return pl_pipe_close(w, s->handle);
	case PL_OP_SPLICE:
		ret = pl_splice_file(w, s->file, s->index, (uint32_t)s->n, s->handle);
		return ret < 0 ? ret : 0;
	case PL_OP_IOURING_REGISTER:
		return model_id_result(io_uring_register_buffers(w, s->pid, s->addr, s->nr), r);
	case PL_OP_IOURING_UNREGISTER:
		return io_uring_unregister_buffers(w, s->handle);
	case PL_OP_IOURING_WRITE_FIXED:
		return io_uring_write_fixed(w, s->handle, s->file, s->index);
	case PL_OP_IOURING_READ_FIXED:
		return io_uring_read_fixed(w, s->handle, s->file, s->index);
	case PL_OP_DIO_READ:
	case PL_OP_DIO_WRITE:
		if (s->flags & PL_BSTEP_BYTES)
			return model_id_result(pl_dio_submit_bytes(w, s->pid, s->file, s->index,
								   s->addr,
								   s->op == PL_OP_DIO_WRITE,
								   s->boff, s->file_off, s->blen), r);
		return model_id_result(pl_dio_submit(w, s->pid, s->file, s->index, s->addr, s->nr,
						     s->op == PL_OP_DIO_WRITE), r);
	case PL_OP_COMPLETE:
		return pl_dio_complete(w, s->handle);
	case PL_OP_RDMA_REG:
		if (s->flags & PL_BSTEP_ODP)
			return model_id_result(pl_rdma_reg_mr_odp(w, s->pid, s->addr, s->nr,
								  s->prot & PL_PROT_WRITE), r);
		return model_id_result(pl_rdma_reg_mr(w, s->pid, s->addr, s->nr,
						      s->prot & PL_PROT_WRITE), r);
	case PL_OP_RDMA_DEREG:
	case PL_OP_UDMABUF_CLOSE:	/* these release a PL_PIN_RDMA handle */
	case PL_OP_VFIO_UNMAP:
		return pl_rdma_dereg_mr(w, s->handle);
	case PL_OP_VFIO_MAP:
		return model_id_result(pl_vfio_map_dma(w, s->pid, s->addr, s->nr,
						       s->prot & PL_PROT_WRITE), r);
	case PL_OP_UDMABUF_CREATE:
		return model_id_result(pl_udmabuf_create(w, s->file, s->index, s->nr), r);
	case PL_OP_PIN:
		return model_id_result(pl_gup_test_pin(w, s->pid, s->addr, s->nr,
						       s->prot & PL_PROT_WRITE,
						       s->flags & PL_BSTEP_FAST), r);
	case PL_OP_UNPIN:
		return pl_gup_test_unpin(w, s->handle);
	case PL_OP_GUP:
		return model_gup(m, s, r);
	case PL_OP_PUT:
		return model_put(m, s->handle);
	case PL_OP_PROC_MEM_WRITE:
	case PL_OP_PROCESS_VM_WRITEV:
	case PL_OP_PTRACE_POKE:
		return model_remote_write(m, s);
	case PL_OP_WRITEBACK:
		if (s->flags & PL_BSTEP_WHOLE_FILE)
			return pl_writeback_file(w, s->file);
		return model_per_page(m, s);
	case PL_OP_RECLAIM:
	case PL_OP_UFFD_CONTINUE:
	case PL_OP_EVICT:
	case PL_OP_UPROBE_REGISTER:
	case PL_OP_UPROBE_UNREGISTER:
	case PL_OP_DMA_WRITE:
		return model_per_page(m, s);
	case PL_OP_KSM_MERGE:
		ret = pl_ksm_merge(w);
		return ret < 0 ? ret : 0;
	case PL_OP_COLLAPSE:
	case PL_OP_SPLIT:
		return model_per_pmd(m, s);
	case PL_OP_CHECK_VALUE:
		return model_check_value(m, s, r);
	case PL_OP_CHECK_PROP:
		return model_check_prop(m, s, r);
	case PL_OP_CHECK_COUNT:
		return model_check_count(m, s, r);
	default:
		return -EINVAL;
	}
}

/* ---------------------------------------------------------------------------
 * Invariants and folios.
 */
static int model_check(struct pl_backend *be)
{
	struct model *m = model_of(be);

	int n;

	if (!m->w)
		return 0;
	n = pl_check_world(m->w);
	return m->w->oom ? -ENOMEM : n;
}

static int model_nr_violations(struct pl_backend *be)
{
	struct model *m = model_of(be);

	return m->w ? m->w->nr_violations : 0;
}

static void model_violation(struct pl_backend *be, int i, struct pl_bviolation *out)
{
	const struct pl_violation *v = &model_of(be)->w->violations[i];

	out->invariant = v->inv ? v->inv->name : "?";
	out->step = (int)v->step;
	out->pid = v->pid;
	out->addr = v->addr;
	out->pfn = v->pfn;
	out->detail = v->detail;
}

/* folios(): the live folios, as view.h's pl_folio_states() lists them. */
static int model_folios(struct pl_backend *be, struct pl_folio_state *out, int max)
{
	struct world *w = model_of(be)->w;

	return w ? pl_folio_states(w, out, max) : 0;
}

static const struct pl_backend model_backend_ops = {
	.name = "model",
	.begin = model_begin,
	.step = model_step,
	.has = model_has,
	.check = model_check,
	.nr_violations = model_nr_violations,
	.violation = model_violation,
	.folios = model_folios,
	.on_event = model_on_event,
	.end = model_end,
	.world = pl_model_backend_world,
	.disown = model_disown,
	.save = model_save,
	.restore = model_restore,
	.destroy = model_destroy,
};

struct pl_backend *pl_model_backend_new(void)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->has_1g = -1;
	m->be = model_backend_ops;
	m->be.priv = m;
	return &m->be;
}
