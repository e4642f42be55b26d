/*
 * The explorer's view of a world: a hash of its observable end state, names
 * for the objects sync ops touch, names for ops and yield points.  Read
 * only, through the public core API.
 */
#include "explore/explore.h"
#include "pinlab/view.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char *pl_sync_op_name(int op)
{
	static const char *const names[] = {
		[PL_SYNC_LOCK] = "lock",
		[PL_SYNC_UNLOCK] = "unlock",
		[PL_SYNC_READ_LOCK] = "read_lock",
		[PL_SYNC_READ_UNLOCK] = "read_unlock",
		[PL_SYNC_READ_ONCE] = "READ_ONCE",
		[PL_SYNC_WRITE_ONCE] = "WRITE_ONCE",
		[PL_SYNC_ATOMIC] = "atomic",
		[PL_SYNC_TRY_GET] = "try_get",
		[PL_SYNC_SEQ_BEGIN] = "seq_begin",
		[PL_SYNC_SEQ_RETRY] = "seq_retry",
		[PL_SYNC_SEQ_WRITE_BEGIN] = "seq_write_begin",
		[PL_SYNC_SEQ_WRITE_END] = "seq_write_end",
		[PL_SYNC_IRQ_DISABLE] = "irq_disable",
		[PL_SYNC_IRQ_ENABLE] = "irq_enable",
		[PL_SYNC_YIELD] = "yield",
		[PL_SYNC_TRYLOCK] = "trylock",
		[PL_SYNC_FOLIO_LOCK] = "folio_lock",
	};

	if (op == PL_STEP_START)
		return "start";
	if (op < 0 || (size_t)op >= sizeof(names) / sizeof(names[0]) || !names[op])
		return "?";
	return names[op];
}

const char *pl_yield_point_name(enum pl_yield_point where)
{
	static const char *const names[] = {
		[YIELD_GUP_AFTER_FAULT] = "gup_after_fault",
		[YIELD_GUP_FAST_AFTER_READ] = "gup_fast_after_read",
		[YIELD_GUP_FAST_AFTER_GRAB] = "gup_fast_after_grab",
		[YIELD_FORK_AFTER_PIN_CHECK] = "fork_after_pin_check",
		[YIELD_WP_COPY] = "wp_copy",
		[YIELD_UNMAP_BEFORE_PIN_CHECK] = "unmap_before_pin_check",
		[YIELD_PAGEOUT] = "pageout",
		[YIELD_UPROBE_REPLACE] = "uprobe_replace",
		[YIELD_DIO_INFLIGHT] = "dio_inflight",
		[YIELD_MIGRATE] = "migrate",
		[YIELD_COLLAPSE_COPY] = "collapse_copy",
		[YIELD_FORK_VMA_COPIED] = "fork_vma_copied",
	};

	if ((unsigned)where >= sizeof(names) / sizeof(names[0]) || !names[where])
		return "?";
	return names[where];
}

/* ---------------------------------------------------------------------------
 * State hash.
 */
struct hst {
	const struct world *w;
	uint64_t h;
	/* folio head pfn -> canonical number, in the order met */
	pl_pfn *keys;
	uint32_t *vals;
	size_t cap, n;
};

static uint64_t fmix(uint64_t z)
{
	z ^= z >> 33;
	z *= 0xff51afd7ed558ccdULL;
	z ^= z >> 33;
	z *= 0xc4ceb9fe1a85ec53ULL;
	z ^= z >> 33;
	return z;
}

static void mix(struct hst *s, uint64_t v)
{
	s->h = fmix(s->h ^ fmix(v + 0x9e3779b97f4a7c15ULL)) + 0x632be59bd9b4e019ULL;
}

static uint64_t str_hash(const char *p)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	return h;
}

/* A page image's bytes (a string's token hashes as the string). */
static uint64_t tok_hash(const struct world *w, pl_token t)
{
	const char *p = pl_token_text(w, t);
	uint32_t n = pl_token_len(w, t);
	uint64_t h = 0xcbf29ce484222325ULL;

	if (t == PL_TOKEN_ZERO)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h;
}

static uint32_t canon(struct hst *s, pl_pfn pfn)
{
	size_t mask, j;

	if ((s->n + 1) * 2 > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		pl_pfn *nk = calloc(cap, sizeof(*nk));
		uint32_t *nv = calloc(cap, sizeof(*nv));

		if (!nk || !nv) {
			free(nk);
			free(nv);
			return pfn;	/* degrade: raw pfn */
		}
		for (size_t i = 0; i < s->cap; i++) {
			if (!s->keys[i])
				continue;
			for (j = fmix(s->keys[i]) & (cap - 1); nk[j]; j = (j + 1) & (cap - 1))
				;
			nk[j] = s->keys[i];
			nv[j] = s->vals[i];
		}
		free(s->keys);
		free(s->vals);
		s->keys = nk;
		s->vals = nv;
		s->cap = cap;
	}
	mask = s->cap - 1;
	for (j = fmix(pfn) & mask; s->keys[j]; j = (j + 1) & mask)
		if (s->keys[j] == pfn)
			return s->vals[j];
	s->keys[j] = pfn;
	s->vals[j] = (uint32_t)++s->n;
	return s->vals[j];
}

static void hash_page(struct hst *s, pl_pfn pfn)
{
	const struct world *w = s->w;
	struct page *p;
	struct folio *f;

	if (pfn == PL_PFN_NONE || pfn >= w->next_pfn) {
		mix(s, 0xdead);
		return;
	}
	p = pfn_to_page(w, pfn);
	f = page_folio(w, p);
	mix(s, canon(s, folio_pfn(f)));
	mix(s, pfn - folio_pfn(f));
	mix(s, folio_test_zero(f) ? 0 : tok_hash(w, p->token));
	/* the page's PG_anon_exclusive as the model keeps it (PG_excl_head: the head's) */
	mix(s, (p->flags & ~(uint32_t)(PG_head | PG_tail | PG_lru | PG_anon_exclusive |
				       PL_PG_MODEL_ONLY)) |
	       (pl_page_anon_exclusive_bit(w, p) ? PG_anon_exclusive : 0));
	mix(s, (uint64_t)(uint32_t)p->_mapcount);
	mix(s, f->page.flags & ~(uint32_t)(PG_head | PG_tail | PG_lru | PL_PG_MODEL_ONLY));
	mix(s, f->page._refcount);
	mix(s, (uint64_t)(uint32_t)f->page._entire_mapcount);
	mix(s, (uint64_t)(uint32_t)f->page._pincount);
	mix(s, f->page.order);
	mix(s, ((uint64_t)f->page.gup_pins << 16) | f->page.gup_gets);
}

static uint64_t slot_hash(const struct world *w, uint32_t slot)
{
	const struct swap_slot *sl;

	if (slot >= w->nr_swap)
		return 0xbad;
	sl = &w->swap[slot];
	return fmix(tok_hash(w, sl->token) ^ ((uint64_t)sl->count << 40) ^
		    ((uint64_t)sl->has_cache << 56) ^ ((uint64_t)sl->written << 57) ^
		    ((uint64_t)(sl->cache != PL_PFN_NONE) << 58));
}

static void hash_entry(struct hst *s, pl_addr a, uint64_t e, int level)
{
	mix(s, a);
	mix(s, (uint64_t)level);
	mix(s, e & ~_PAGE_PFN_MASK);
	if (is_swap_pte(e))
		mix(s, slot_hash(s->w, pte_swp_offset(e)));
	else if (pte_present(e))
		hash_page(s, pte_pfn(e));
}

static void hash_mm(struct hst *s, struct mm_struct *mm)
{
	mix(s, mm->flags);
	mix(s, (uint64_t)mm->nr_vmas);
	for (int i = 0; i < mm->nr_vmas; i++) {
		const struct vm_area_struct *v = &mm->vmas[i];
		struct pl_leaf_iter it;
		struct pl_leaf l;

		mix(s, v->vm_start);
		mix(s, v->vm_end);
		mix(s, v->vm_flags);
		mix(s, (uint64_t)(int64_t)v->file);
		mix(s, v->vm_pgoff);
		pl_for_each_leaf(it, l, mm, v)
			hash_entry(s, l.addr, l.entry, l.level);
	}
}

uint64_t pl_explore_state_hash(const struct world *w)
{
	struct hst s = { .w = w, .h = 0x70696e6c6162ULL };
	uint64_t multiset = 0;

	mix(&s, (uint64_t)w->nr_tasks);
	for (int i = 0; i < w->nr_tasks; i++) {
		const struct task_struct *t = w->tasks[i];

		mix(&s, (uint64_t)t->pid);
		mix(&s, (uint64_t)t->parent);
		mix(&s, t->exited);
		if (t->mm)
			hash_mm(&s, t->mm);
	}
	mix(&s, (uint64_t)w->nr_files);
	for (int i = 0; i < w->nr_files; i++) {
		const struct pl_file *f = w->files[i];

		mix(&s, (uint64_t)f->id);
		mix(&s, f->fs);
		mix(&s, f->nr_pages);
		mix(&s, f->unlinked);
		for (uint32_t idx = 0; idx < f->nr_pages && idx < f->cap; idx++) {
			if (pl_file_cache(f, idx) != PL_PFN_NONE)
				hash_page(&s, pl_file_cache(f, idx));
			else
				mix(&s, 0);
			mix(&s, tok_hash(w, pl_file_disk_at(f, idx)));
		}
	}
	/* swap slots and violations as multisets: their order is the schedule's */
	for (uint32_t slot = 0; slot < w->nr_swap; slot++)
		if (w->swap[slot].count || w->swap[slot].has_cache)
			multiset += slot_hash(w, slot);
	mix(&s, multiset);
	for (int i = 0; i < w->nr_pins; i++) {
		const struct pl_pinset *ps = w->pins[i];

		mix(&s, ps->kind);
		mix(&s, ps->active);
		mix(&s, ps->nr);
		mix(&s, (uint64_t)ps->pid);
		for (uint32_t j = 0; ps->active && ps->pages && j < ps->nr; j++)
			hash_page(&s, ps->pages[j]);
	}
	/*
	 * Every allocated folio, reachable or not (a pin taken by GUP alone is
	 * held by no table), as a multiset of its counts and contents.
	 */
	multiset = 0;
	for (pl_pfn pfn = 1; pfn < w->next_pfn;) {
		const struct page *p = pfn_to_page(w, pfn);
		unsigned nr = 1;

		if (p->flags & PG_free) {
			bool run = false;

			/*
			 * A run of free blocks the core knows of (the alignment
			 * gap below the huge zero page: 510 blocks in every new
			 * world) holds nothing to hash: jump over it whole.
			 */
			for (uint32_t r = 0; r < w->check_nr_runs; r++)
				if (w->check_runs[r][0] == pfn && w->check_runs[r][1] > pfn) {
					pfn = w->check_runs[r][1];
					run = true;
					break;
				}
			if (run)
				continue;
			nr = 1u << p->order;
		} else if (p->head == pfn) {
			nr = 1u << p->order;
			multiset += fmix(((uint64_t)p->_refcount << 32) ^
					 ((uint64_t)(uint32_t)p->_mapcount << 8) ^
					 ((uint64_t)(uint32_t)p->_pincount << 20) ^
					 ((uint64_t)(p->flags & ~(uint32_t)(PG_lru | PL_PG_MODEL_ONLY))
					  << 40) ^
					 ((uint64_t)p->gup_pins << 48) ^ p->order ^
					 (p->flags & PG_zero ? 0 : tok_hash(w, p->token)));
		}
		pfn += nr;
	}
	mix(&s, multiset);
	multiset = 0;
	for (int i = 0; i < w->nr_violations; i++) {
		const struct pl_violation *v = &w->violations[i];

		multiset += fmix(str_hash(v->inv ? v->inv->name : "?") ^ (uint64_t)v->pid);
	}
	mix(&s, multiset);
	free(s.keys);
	free(s.vals);
	return fmix(s.h);
}

/* ---------------------------------------------------------------------------
 * Object names.
 */
static const char *page_field(size_t off)
{
	static const struct {
		size_t off;
		const char *name;
	} fields[] = {
		{ offsetof(struct page, flags), "flags" },
		{ offsetof(struct page, _mapcount), "_mapcount" },
		{ offsetof(struct page, token), "contents" },
		{ offsetof(struct page, _refcount), "_refcount" },
		{ offsetof(struct page, _entire_mapcount), "_entire_mapcount" },
		{ offsetof(struct page, _pincount), "_pincount" },
		{ offsetof(struct page, mapping), "mapping" },
		{ offsetof(struct page, index), "index" },
		{ offsetof(struct page, swap), "swap" },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (fields[i].off == off)
			return fields[i].name;
	return "page";
}

static bool describe_mm(struct mm_struct *mm, const void *obj, char *buf, size_t len)
{
	if (obj == &mm->mmap_lock) {
		snprintf(buf, len, "mmap_lock(mm%u)", mm->id);
		return true;
	}
	if (obj == &mm->write_protect_seq) {
		snprintf(buf, len, "write_protect_seq(mm%u)", mm->id);
		return true;
	}
	for (int i = 0; i < mm->nr_vmas; i++) {
		const struct vm_area_struct *v = &mm->vmas[i];

		for (pl_addr a = v->vm_start; a < v->vm_end;) {
			pl_addr pmd_base = a & PMD_MASK;
			const struct pl_ptetab *tab;
			struct pl_tables t;

			pl_tables_at(mm, a, &t);
			tab = t.ptes;
			if ((const void *)t.pud == obj) {
				snprintf(buf, len, "pud(mm%u %#" PRIx64 ")", mm->id, a & PUD_MASK);
				return true;
			}
			if ((const void *)t.pmd == obj) {
				snprintf(buf, len, "pmd(mm%u %#" PRIx64 ")", mm->id, pmd_base);
				return true;
			}
			if (tab && obj == &tab->ptl) {
				snprintf(buf, len, "ptl(mm%u %#" PRIx64 ")", mm->id, pmd_base);
				return true;
			}
			if (tab && (const char *)obj >= (const char *)&tab->pte[0] &&
			    (const char *)obj < (const char *)&tab->pte[PTRS_PER_TABLE]) {
				size_t i2 = (size_t)((const pte_t *)obj - &tab->pte[0]);

				snprintf(buf, len, "pte(mm%u %#" PRIx64 ")", mm->id,
					 pmd_base + (pl_addr)i2 * PAGE_SIZE);
				return true;
			}
			a = pmd_base + PMD_SIZE;
		}
	}
	return false;
}

void pl_explore_describe(const struct world *w, const void *obj, char *buf, size_t len)
{
	const char *o = obj;

	if (!obj) {
		snprintf(buf, len, "-");
		return;
	}
	for (int i = 0; i < w->nr_tasks; i++)
		if (w->tasks[i]->mm && describe_mm(w->tasks[i]->mm, obj, buf, len))
			return;
	/* the memmap: chunks of HPAGE_PUD_NR pages (see core.h, struct world) */
	for (uint32_t c = 0; c < w->nr_chunks; c++) {
		const struct page *base = w->memmap[c];

		if (o >= (const char *)base && o < (const char *)(base + HPAGE_PUD_NR)) {
			size_t idx = (size_t)(o - (const char *)base) / sizeof(struct page);
			pl_pfn pfn = (pl_pfn)((uint64_t)c * HPAGE_PUD_NR + idx);
			size_t off = (size_t)(o - (const char *)&base[idx]);

			if (pfn != PL_PFN_NONE && pfn < w->next_pfn && pfn_to_page(w, pfn) == &base[idx])
				snprintf(buf, len, "%s(pfn %u)", page_field(off), pfn);
			else
				snprintf(buf, len, "page(?)");
			return;
		}
	}
	if (w->swap && o >= (const char *)w->swap && o < (const char *)(w->swap + w->nr_swap)) {
		size_t slot = (size_t)(o - (const char *)w->swap) / sizeof(*w->swap);

		snprintf(buf, len, "swap_slot(%zu)", slot);
		return;
	}
	for (int i = 0; i < w->nr_files; i++) {
		const struct pl_file *f = w->files[i];

		if (f->cache && o >= (const char *)f->cache &&
		    o < (const char *)(f->cache + pl_file_cache_slots(f))) {
			/* the slot's first index (hugetlbfs: one slot per huge page) */
			snprintf(buf, len, "page_cache(file%d[%zu])", f->id,
				 (size_t)((const pl_pfn *)obj - f->cache) << f->cache_shift);
			return;
		}
	}
	snprintf(buf, len, "?");
}
