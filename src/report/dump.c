/*
 * Text dump of a world: every process, its VMAs, every non-empty PTE, PMD
 * or PUD leaf, and the folio behind it with its counts and flags.  Deterministic:
 * pfns and addresses are model values, never host pointers.
 */
#include "report/dump.h"
#include "report/report.h"

#include <stdio.h>
#include <string.h>

const char *pl_folio_flag_next(uint32_t flags, size_t *i)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ PG_anon, "anon" }, { PG_ksm, "ksm" }, { PG_hugetlb, "hugetlb" },
		{ PG_dirty, "dirty" }, { PG_writeback, "writeback" },
		{ PG_swapcache, "swapcache" }, { PG_zero, "zero" },
	};

	for (; *i < sizeof(names) / sizeof(names[0]); ++*i)
		if (flags & names[*i].bit)
			return names[(*i)++].name;
	return NULL;
}

/* " anon dirty exclusive": the folio's flags and the page's PG_anon_exclusive, appended to buf. */
static void dump_flags(const struct world *w, char *buf, size_t size, const struct folio *f,
		       const struct page *p)
{
	size_t len = strlen(buf), i = 0;
	const char *name;

	while (len < size && (name = pl_folio_flag_next(f->page.flags, &i)))
		len += (size_t)snprintf(buf + len, size - len, " %s", name);
	if (pl_page_anon_exclusive_bit(w, p) && len < size)
		snprintf(buf + len, size - len, " exclusive");
}

/*
 * One page-table entry as text, in parts, so that runs of alike entries
 * fold into one line: "pte 0x7f0000000000 x511 present ro pfn 2-512 -> folio
 * ..." -- the same level, bits and text after the pfn (the folio's counts,
 * the page's flags and contents), consecutive addresses, and pfns that go up
 * or down by one or stay the same (the zero page).  A run of one prints as
 * it always did.
 */
struct dump_ent {
	const char *lvl;		/* "pte", "pmd", "pud" (a 1 GiB hugetlb leaf) */
	pl_addr addr;
	unsigned long n;		/* entries in the run */
	long stride;			/* pfn step: 0, 1 or -1 */
	pl_pfn pfn;			/* first pfn, or swap slot */
	bool swap;
	char bits[48];			/* "present ro dirty" */
	pl_pfn folio;			/* the head pfn of the first entry's folio */
	bool own;			/* each entry maps a small folio of its own */
	char rest[320];			/* after the folio's pfn (or the swap slot) */
};

static void dump_entry_parts(const struct world *w, pl_addr addr, pte_t e, const char *lvl,
			     struct dump_ent *d)
{
	const struct page *p;
	const struct folio *f;
	size_t len;

	memset(d, 0, sizeof(*d));
	d->lvl = lvl;
	d->addr = addr;
	d->n = 1;
	if (is_swap_pte(e)) {
		d->swap = true;
		d->pfn = pte_swp_offset(e);
		snprintf(d->rest, sizeof(d->rest), "%s", pte_swp_exclusive(e) ? " exclusive" : "");
		return;
	}
	snprintf(d->bits, sizeof(d->bits), "%s%s%s%s", pte_protnone(e) ? "prot-none" : "present",
		 pte_write(e) ? " write" : " ro", pte_dirty(e) ? " dirty" : "",
		 pte_special(e) ? " special" : "");
	d->pfn = pte_pfn(e);
	p = pfn_to_page(w, d->pfn);
	f = page_folio(w, p);
	d->folio = folio_pfn(f);
	d->own = d->folio == d->pfn && !folio_test_large(f);
	len = (size_t)snprintf(d->rest, sizeof(d->rest), " order %u ref %u map %d", f->page.order,
			       f->page._refcount, folio_mapcount(f));
	if (folio_test_large(f) && len < sizeof(d->rest))
		len += (size_t)snprintf(d->rest + len, sizeof(d->rest) - len, " pincount %d",
					f->page._pincount);
	if ((f->page.gup_gets || f->page.gup_pins) && len < sizeof(d->rest))
		snprintf(d->rest + len, sizeof(d->rest) - len, " gup-gets %u gup-pins %u",
			 f->page.gup_gets, f->page.gup_pins);
	dump_flags(w, d->rest, sizeof(d->rest), f, p);
	len = strlen(d->rest);
	if (len < sizeof(d->rest))
		snprintf(d->rest + len, sizeof(d->rest) - len, " \"%s\"",
			 folio_test_zero(f) ? "" : pl_token_text(w, p->token));
}

static void dump_entry_put(FILE *out, const struct dump_ent *d)
{
	if (!d->n)
		return;
	fprintf(out, "      %s 0x%llx ", d->lvl, (unsigned long long)d->addr);
	if (d->n > 1)
		fprintf(out, "x%lu ", d->n);
	if (d->swap && d->n > 1)
		fprintf(out, "swap slot %u-%u%s\n", d->pfn, d->pfn + (pl_pfn)d->n - 1, d->rest);
	else if (d->swap)
		fprintf(out, "swap slot %u%s\n", d->pfn, d->rest);
	else if (d->n > 1 && d->stride && d->own)
		fprintf(out, "%s pfn %u-%u -> folios %u-%u%s\n", d->bits, d->pfn,
			(pl_pfn)((long)d->pfn + (long)(d->n - 1) * d->stride), d->pfn,
			(pl_pfn)((long)d->pfn + (long)(d->n - 1) * d->stride), d->rest);
	else if (d->n > 1 && d->stride)
		fprintf(out, "%s pfn %u-%u -> folio %u%s\n", d->bits, d->pfn,
			(pl_pfn)((long)d->pfn + (long)(d->n - 1) * d->stride), d->folio, d->rest);
	else
		fprintf(out, "%s pfn %u -> folio %u%s\n", d->bits, d->pfn, d->folio, d->rest);
}

/* Add e to the run in r, or print r and start a new one with e. */
static void dump_entry_add(FILE *out, struct dump_ent *r, const struct dump_ent *e)
{
	long d = (long)e->pfn - (long)r->pfn;

	if (r->n && !strcmp(r->lvl, "pte") && !strcmp(e->lvl, "pte") && r->swap == e->swap &&
	    !strcmp(r->bits, e->bits) && !strcmp(r->rest, e->rest) &&
	    e->addr == r->addr + r->n * PAGE_SIZE &&
	    (e->swap || (r->own && e->own) || (!r->own && !e->own && r->folio == e->folio))) {
		if (r->n == 1 && (d == 0 || d == 1 || (d == -1 && !e->swap)))
			r->stride = d;
		if (d == (long)r->n * r->stride && (!e->swap || r->stride == 1)) {
			r->n++;
			return;
		}
	}
	dump_entry_put(out, r);
	*r = *e;
}

void pl_dump_vma_mode(char *buf, size_t len, const struct vm_area_struct *v, bool every)
{
	snprintf(buf, len, "%c%c%c %s%s%s%s%s",
		 (v->vm_flags & VM_READ) ? 'r' : '-', (v->vm_flags & VM_WRITE) ? 'w' : '-',
		 (v->vm_flags & VM_EXEC) ? 'x' : '-',
		 (v->vm_flags & VM_SHARED) ? "shared" : "private",
		 (v->vm_flags & VM_HUGETLB) ? " hugetlb" : "",
		 (v->vm_flags & VM_DONTCOPY) ? " dontfork" : "",
		 every && (v->vm_flags & VM_WIPEONFORK) ? " wipeonfork" : "",
		 every && (v->vm_flags & VM_HUGEPAGE) ? " hugepage" : "");
}

static void dump_mm(FILE *out, const struct world *w, struct mm_struct *mm)
{
	fprintf(out, "  mm %u%s write_protect_seq %u\n", mm->id,
		(mm->flags & MMF_HAS_PINNED) ? " MMF_HAS_PINNED" : "", mm->write_protect_seq);
	for (int i = 0; i < mm->nr_vmas; i++) {
		struct vm_area_struct *v = &mm->vmas[i];
		struct dump_ent run = { .n = 0 }, e;
		struct pl_leaf_iter it;
		struct pl_leaf l;
		char mode[64];

		pl_dump_vma_mode(mode, sizeof(mode), v, true);
		fprintf(out, "    vma 0x%llx-0x%llx %s file %d pgoff %u\n",
			(unsigned long long)v->vm_start, (unsigned long long)v->vm_end, mode,
			v->file, v->vm_pgoff);
		pl_for_each_leaf(it, l, mm, v) {
			dump_entry_parts(w, l.addr, l.entry, pl_leaf_level_name(l.level), &e);
			dump_entry_add(out, &run, &e);
		}
		dump_entry_put(out, &run);
	}
}

static const char *dump_pin_kind(enum pl_pin_kind k)
{
	static const char *const kinds[] = {
		/* ORDER: enum pl_pin_kind */
		"pipe", "io_uring", "O_DIRECT", "rdma", "gup_test",
	};

	return (unsigned int)k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "?";
}

/* " 511 600-1111": pfns, consecutive ones as ranges */
static void dump_pfns(FILE *out, const pl_pfn *pfns, uint32_t n)
{
	for (uint32_t j = 0; j < n; j++) {
		uint32_t k = j;

		while (k + 1 < n && pfns[k + 1] == pfns[k] + 1 && pfns[j] != PL_PFN_NONE)
			k++;
		if (k > j)
			fprintf(out, " %u-%u", pfns[j], pfns[k]);
		else
			fprintf(out, " %u", pfns[j]);
		j = k;
	}
}

void pl_dump_pinset(FILE *out, const struct world *w, int id)
{
	const struct pl_pinset *ps = pl_pinset_get(w, id);
	uint32_t first;

	if (!ps || !ps->active)
		return;
	first = ps->kind == PL_PIN_PIPE ? ps->consumed : 0;
	fprintf(out, "pinset %d %s pid %d %s pages %u:", ps->id, dump_pin_kind(ps->kind), ps->pid,
		(ps->gup_flags & FOLL_PIN) ? "PIN" : "GET", ps->nr - first);
	if (ps->pages)
		dump_pfns(out, ps->pages + first, ps->nr - first);
	fprintf(out, "\n");
}

void pl_dump_file(FILE *out, const struct world *w, int id)
{
	static const char *const fs[] = { "ext4", "tmpfs", "hugetlbfs" };	/* enum pl_fs */

	for (int i = 0; i < w->nr_files; i++) {
		const struct pl_file *f = w->files[i];

		if (f->id != id)
			continue;
		fprintf(out, "file %d %s pages %u%s cache:", f->id,
			(unsigned int)f->fs < 3 ? fs[f->fs] : "?", f->nr_pages,
			f->unlinked ? " unlinked" : "");
		for (uint32_t j = 0; j < f->nr_pages && f->cache; j++) {
			uint32_t k = j;

			pl_pfn pfn = pl_file_cache(f, j);

			if (pfn == PL_PFN_NONE)
				continue;
			while (k + 1 < f->nr_pages && pl_file_cache(f, k + 1) == pfn)
				k++;
			if (k > j)
				fprintf(out, " %u-%u:folio %u", j, k, pfn);
			else
				fprintf(out, " %u:folio %u", j, pfn);
			j = k;
		}
		fprintf(out, "\n");
	}
}

void pl_dump_process(FILE *out, const struct world *w, int pid)
{
	struct task_struct *t = pl_task(w, pid);

	if (!t)
		return;
	fprintf(out, "process %d%s", t->pid, t->exited ? " (exited)\n" : "\n");
	if (t->mm)
		dump_mm(out, w, t->mm);
}

/*
 * Large anon folios mapped by PTEs, page by page: which mms map each page,
 * which pages are PG_anon_exclusive, the MM-id slots and the "maybe mapped
 * shared" bit, and what a write fault on a page that is not exclusive would
 * do under this preset -- why a COW copied one page or reused the folio.
 */
#define DUMP_MAX_MMS 8

/* A present PTE (not a huge leaf) mapping a normal page. */
static bool dump_pte_mapped(const struct pl_leaf *l)
{
	return l->level == PL_LEAF_PTE && pte_present(l->entry) && !pte_special(l->entry);
}

/* The mms (ids) mapping pfn by a present PTE; returns how many, up to max. */
int pl_dump_mms_mapping(const struct world *w, pl_pfn pfn, uint32_t *ids, int max)
{
	int n = 0;

	for (int t = 0; t < w->nr_tasks; t++) {
		struct mm_struct *mm = w->tasks[t]->mm;

		for (int i = 0; mm && i < mm->nr_vmas && n < max; i++) {
			const struct vm_area_struct *v = &mm->vmas[i];
			struct pl_leaf_iter it;
			struct pl_leaf l;

			pl_for_each_leaf(it, l, mm, v) {
				if (dump_pte_mapped(&l) && pte_pfn(l.entry) == pfn) {
					ids[n++] = mm->id;
					break;
				}
			}
		}
	}
	return n;
}

void pl_dump_mm_ids(FILE *out, const struct folio *f)
{
	const struct page *h = folio_mm_ids(f);

	for (int i = 0; i < 2; i++)
		if (h->_mm_id[i])
			fprintf(out, "%s slot %d mm %u (%d maps)", i ? "," : "", i, h->_mm_id[i],
				h->_mm_id_mapcount[i]);
		else
			fprintf(out, "%s slot %d free", i ? "," : "", i);
	fputs(folio_test_large_maybe_mapped_shared(f) ? ", maybe mapped shared"
						       : ", mapped by one mm", out);
}

static void dump_large_folio(FILE *out, const struct world *w, const struct folio *f)
{
	const struct page *h = &f->page;
	const char *why;
	bool reuse = pl_wp_large_anon_would_reuse(w, f, &why);

	fprintf(out, "large folio %u: order %u (%lu kB) anon, ref %u, mapcount %d, pincount %d\n",
		folio_pfn(f), h->order, (unsigned long)(folio_size(f) >> 10), h->_refcount,
		folio_mapcount(f), h->_pincount);
	fprintf(out, "  mm ids:");
	pl_dump_mm_ids(out, f);
	fputc('\n', out);
	for (unsigned i = 0; i < folio_nr_pages(f); i++) {
		const struct page *p = folio_page((struct folio *)f, i);
		uint32_t ids[DUMP_MAX_MMS];
		int n = pl_dump_mms_mapping(w, folio_pfn(f) + i, ids, DUMP_MAX_MMS);

		fprintf(out, "  page %u pfn %u: ", i, folio_pfn(f) + i);
		if (!n) {
			fprintf(out, "unmapped\n");
			continue;
		}
		fprintf(out, "%s mm", n > 1 ? "shared by" : "mapped by");
		for (int j = 0; j < n; j++)
			fprintf(out, "%s%u", j ? "," : " ", ids[j]);
		fprintf(out, ", %s \"%s\"\n", pl_page_anon_exclusive_bit(w, p) ? "exclusive (a write reuses it)"
									: "not exclusive",
			pl_token_text(w, p->token));
	}
	fprintf(out, "  write fault on a page not exclusive: %s (%s)\n",
		reuse ? "reuse the folio" : "copy that page", why);
}

void pl_dump_large_folios(FILE *out, const struct world *w)
{
	pl_pfn seen[64];
	int nseen = 0;

	for (int t = 0; t < w->nr_tasks; t++) {
		struct mm_struct *mm = w->tasks[t]->mm;

		for (int i = 0; mm && i < mm->nr_vmas; i++) {
			const struct vm_area_struct *v = &mm->vmas[i];
			struct pl_leaf_iter it;
			struct pl_leaf l;

			pl_for_each_leaf(it, l, mm, v) {
				const struct folio *f;
				bool dup = false;

				if (!dump_pte_mapped(&l))
					continue;
				f = pfn_folio(w, pte_pfn(l.entry));
				if (!folio_test_large(f) || !folio_test_anon(f) ||
				    folio_test_hugetlb(f))
					continue;
				for (int k = 0; k < nseen && !dup; k++)
					dup = seen[k] == folio_pfn(f);
				if (dup || nseen == (int)(sizeof(seen) / sizeof(seen[0])))
					continue;
				seen[nseen++] = folio_pfn(f);
				dump_large_folio(out, w, f);
			}
		}
	}
}

void pl_dump_world(FILE *out, const struct world *w)
{
	fprintf(out, "world: preset %s, step %llu\n", w->preset, (unsigned long long)w->step);
	for (int i = 0; i < w->nr_tasks; i++)
		pl_dump_process(out, w, w->tasks[i]->pid);
	pl_dump_large_folios(out, w);
	for (int i = 0; i < w->nr_files; i++)
		pl_dump_file(out, w, w->files[i]->id);
	for (int i = 0; i < w->nr_pins; i++)
		pl_dump_pinset(out, w, w->pins[i]->id);
	/* the checker reports a lasting condition after every step: show it once */
	for (int i = 0; i < w->nr_violations; i++) {
		const struct pl_violation *v = &w->violations[i];
		bool dup = false;

		for (int j = 0; j < i && !dup; j++) {
			const struct pl_violation *u = &w->violations[j];

			dup = u->inv == v->inv && u->pid == v->pid && u->addr == v->addr &&
			      u->pfn == v->pfn;
		}
		if (!dup)
			fprintf(out, "violation %s at step %llu: %s\n", v->inv ? v->inv->name : "?",
				(unsigned long long)v->step, v->detail);
	}
}
