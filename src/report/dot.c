/*
 * dot.c - a world as a Graphviz graph (`pinlab show FILE --format dot`).
 *
 *	process 1 -> vma 0x7f0000000000-0x7f0000200000 rw- private
 *	          -> ptes 0x7f0000000000.. (512 pages) present ro
 *	          -> folio 512 order 9: ref 1024 map 512 pin 0 ...
 *	pipe 1 - - - - - - - - - - - - - - - - - - - -> folio 512 (GET x1)
 *	file 1 (ext4) -- cache 0 --------------------> folio 7
 *
 * Runs of PTEs that map consecutive pages of one folio with the same bits
 * (or consecutive swap slots) are one node, so a PTE-mapped THP is one box,
 * not 512.  A PTE-mapped large anon folio (mTHP) also gets a table of its
 * pages beside it: which mms map each page (shared pages shaded), which are
 * PG_anon_exclusive, the MM-id slots, and what a write fault on a page that
 * is not exclusive does under the preset and why (copy that page or reuse the
 * folio) -- so a partially shared folio shows what the last COW copied.  Node ids come from model values only -- p<pid>, p<pid>v<vma>,
 * p<pid>v<vma>e<run>, f<pfn>, s<slot>, g<pinset>, file<id> -- so the output
 * is the same on every run.
 */
#include "report/dump.h"
#include "report/report.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>

struct dot {
	FILE *out;
	const struct world *w;
	pl_pfn *folios;		/* folio heads to draw */
	int nr, cap;
	bool oom;
};

/* A DOT string body: quotes and backslashes escaped, control characters dropped. */
static void dot_esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c >= 0x20 && c != 0x7f)
			fputc(c, out);
	}
}

static void dot_want_folio(struct dot *d, pl_pfn head)
{
	for (int i = 0; i < d->nr; i++)
		if (d->folios[i] == head)
			return;
	if (d->nr == d->cap) {
		int cap = d->cap ? 2 * d->cap : 32;
		pl_pfn *n = realloc(d->folios, (size_t)cap * sizeof(*n));

		if (!n) {
			d->oom = true;
			return;
		}
		d->folios = n;
		d->cap = cap;
	}
	d->folios[d->nr++] = head;
}

static int dot_cmp_pfn(const void *a, const void *b)
{
	pl_pfn x = *(const pl_pfn *)a, y = *(const pl_pfn *)b;

	return x < y ? -1 : x > y;
}

/* ---------------------------------------------------------------------------
 * Page-table entries, in runs.
 */
struct dot_run {
	pl_addr start;
	uint32_t pages;
	pte_t first;		/* the first entry of the run */
	const char *lvl;	/* "pte", "pmd", "pud" */
	pl_pfn head;		/* the folio the run maps (0 for swap entries) */
};

static bool dot_run_extends(const struct dot_run *r, pl_addr addr, pte_t e, pl_pfn head)
{
	pte_t mask = ~(pte_t)_PAGE_PFN_MASK & ~(pte_t)_PAGE_ACCESSED;

	if (!r->pages || strcmp(r->lvl, "pte") || r->start + (pl_addr)r->pages * PAGE_SIZE != addr)
		return false;
	if ((e & mask) != (r->first & mask) || head != r->head)
		return false;
	return pte_pfn(e) == pte_pfn(r->first) + r->pages;
}

static void dot_bits(FILE *out, pte_t e)
{
	if (is_swap_pte(e)) {
		fprintf(out, "swap%s", pte_swp_exclusive(e) ? " exclusive" : "");
		return;
	}
	fprintf(out, "%s%s%s%s", pte_protnone(e) ? "prot-none" : "present",
		pte_write(e) ? " write" : " ro", pte_dirty(e) ? " dirty" : "",
		pte_special(e) ? " special" : "");
}

static void dot_flush_run(struct dot *d, const char *vma_id, int *nr_runs, struct dot_run *r)
{
	FILE *out = d->out;
	pte_t e = r->first;
	int id;

	if (!r->pages)
		return;
	id = (*nr_runs)++;
	fprintf(out, "\t%se%d [label=\"%s 0x%llx", vma_id, id, r->lvl,
		(unsigned long long)r->start);
	if (r->pages > 1)
		fprintf(out, " (%u entries)", r->pages);
	fputs("\\n", out);
	dot_bits(out, e);
	fputs("\"];\n", out);
	fprintf(out, "\t%s -> %se%d;\n", vma_id, vma_id, id);
	if (is_swap_pte(e)) {
		fprintf(out, "\ts%u [shape=note, label=\"swap slot %u\"];\n", pte_swp_offset(e),
			pte_swp_offset(e));
		fprintf(out, "\t%se%d -> s%u;\n", vma_id, id, pte_swp_offset(e));
	} else {
		const struct page *p = pfn_to_page(d->w, pte_pfn(e));
		pl_pfn head = p->head;

		dot_want_folio(d, head);
		fprintf(out, "\t%se%d -> f%u", vma_id, id, head);
		if (pte_pfn(e) != head)
			fprintf(out, " [label=\"+%u\"]", pte_pfn(e) - head);
		fputs(";\n", out);
	}
	r->pages = 0;
}

static void dot_entry(struct dot *d, const char *vma_id, int *nr_runs, struct dot_run *r,
		      pl_addr addr, pte_t e, const char *lvl)
{
	pl_pfn head = is_swap_pte(e) ? 0 : pfn_to_page(d->w, pte_pfn(e))->head;

	if (dot_run_extends(r, addr, e, head)) {
		r->pages++;
		return;
	}
	dot_flush_run(d, vma_id, nr_runs, r);
	r->start = addr;
	r->pages = 1;
	r->first = e;
	r->lvl = lvl;
	r->head = head;
}

static void dot_vma(struct dot *d, struct mm_struct *mm, int pid, int i)
{
	const struct vm_area_struct *v = &mm->vmas[i];
	struct dot_run run = { 0 };
	struct pl_leaf_iter it;
	struct pl_leaf l;
	char id[32], mode[64];
	int nr_runs = 0;

	snprintf(id, sizeof(id), "p%dv%d", pid, i);
	pl_dump_vma_mode(mode, sizeof(mode), v, false);
	fprintf(d->out, "\t%s [label=\"vma 0x%llx-0x%llx\\n%s%s\"];\n", id,
		(unsigned long long)v->vm_start, (unsigned long long)v->vm_end, mode,
		v->file >= 0 ? " file" : "");
	fprintf(d->out, "\tp%d -> %s;\n", pid, id);
	if (v->file >= 0)
		fprintf(d->out, "\t%s -> file%d [style=dotted, label=\"pgoff %u\"];\n", id, v->file,
			v->vm_pgoff);
	pl_for_each_leaf(it, l, mm, v)
		dot_entry(d, id, &nr_runs, &run, l.addr, l.entry, pl_leaf_level_name(l.level));
	dot_flush_run(d, id, &nr_runs, &run);
}

/* ---------------------------------------------------------------------------
 * Folios, pinners, files.
 */
static void dot_large_folio_pages(struct dot *d, const struct folio *f);

static void dot_folio(struct dot *d, pl_pfn head)
{
	const struct world *w = d->w;
	struct folio *f = pfn_folio(w, head);
	const struct page *h = &f->page;
	unsigned int nr = folio_nr_pages(f), excl = 0;

	for (unsigned int i = 0; i < nr; i++)
		excl += pl_page_anon_exclusive_bit(w, folio_page(f, i));
	fprintf(d->out, "\tf%u [shape=ellipse, label=\"", head);
	if (folio_test_zero(f)) {
		fprintf(d->out, "%s\"];\n", h->order ? "huge zero page" : "zero page");
		return;
	}
	fprintf(d->out, "folio %u order %u\\nref %u map %d pin %d", head, h->order, h->_refcount,
		folio_mapcount(f), folio_has_pincount(f) ? h->_pincount : h->gup_pins);
	if (h->gup_gets || h->gup_pins)
		fprintf(d->out, "\\nGUP gets %u pins %u", h->gup_gets, h->gup_pins);
	fprintf(d->out, "\\n%s%s%s%s%s", folio_test_anon(f) ? "anon" : "file",
		folio_test_ksm(f) ? " ksm" : "", folio_test_hugetlb(f) ? " hugetlb" : "",
		folio_test_dirty(f) ? " dirty" : "", folio_test_swapcache(f) ? " swapcache" : "");
	if (excl)
		fprintf(d->out, " exclusive%s", nr > 1 && excl != nr ? "(some)" : "");
	fputs("\\n\\\"", d->out);
	dot_esc(d->out, pl_token_text(w, h->token));
	fputs("\\\"\"];\n", d->out);
	if (nr > 1 && folio_test_anon(f) && !folio_test_hugetlb(f) && !folio_test_ksm(f))
		dot_large_folio_pages(d, f);
}

/* Text inside an HTML-like label: &, <, >, " as entities, control characters dropped. */
static void dot_html_esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			fputs("&amp;", out);
		else if (c == '<')
			fputs("&lt;", out);
		else if (c == '>')
			fputs("&gt;", out);
		else if (c == '"')
			fputs("&quot;", out);
		else if (c >= 0x20 && c != 0x7f)
			fputc(c, out);
	}
}

#define DOT_MAX_MMS 8

/* What a row of the page table says about one page; equal rows merge. */
struct dot_page_state {
	int nr_mms;
	uint32_t mms[DOT_MAX_MMS];
	bool exclusive;
	pl_token token;
};

static void dot_page_state(const struct world *w, const struct folio *f, unsigned int i,
			   struct dot_page_state *st)
{
	const struct page *p = folio_page((struct folio *)f, i);

	memset(st, 0, sizeof(*st));
	st->nr_mms = pl_dump_mms_mapping(w, folio_pfn(f) + i, st->mms, DOT_MAX_MMS);
	st->exclusive = pl_page_anon_exclusive_bit(w, p);
	st->token = p->token;
}

static bool dot_page_state_eq(const struct dot_page_state *a, const struct dot_page_state *b)
{
	return a->nr_mms == b->nr_mms && a->exclusive == b->exclusive && a->token == b->token &&
	       !memcmp(a->mms, b->mms, sizeof(a->mms));
}

/*
 * The page table of a PTE-mapped large anon folio: node f<pfn>pages, one row
 * per run of pages in the same state (mapped by the same mms, exclusive or
 * not, same contents), shared rows shaded, then the MM-id slots and the
 * write-fault verdict of pl_wp_large_anon_would_reuse().
 */
static void dot_large_folio_pages(struct dot *d, const struct folio *f)
{
	FILE *out = d->out;
	unsigned int nr = folio_nr_pages(f);
	const char *why;
	bool reuse = pl_wp_large_anon_would_reuse(d->w, f, &why);

	fprintf(out, "	f%upages [shape=plaintext, label=<<table border=\"1\" cellborder=\"0\" "
		"cellspacing=\"0\">\n", folio_pfn(f));
	fprintf(out, "\t\t<tr><td colspan=\"3\"><b>folio %u: %u pages</b></td></tr>\n",
		folio_pfn(f), nr);
	for (unsigned int i = 0; i < nr;) {
		struct dot_page_state st, next;
		unsigned int k = i;

		dot_page_state(d->w, f, i, &st);
		while (k + 1 < nr) {
			dot_page_state(d->w, f, k + 1, &next);
			if (!dot_page_state_eq(&st, &next))
				break;
			k++;
		}
		fprintf(out, "\t\t<tr><td%s>page%s %u", st.nr_mms > 1 ? " bgcolor=\"lightpink\"" : "",
			k > i ? "s" : "", i);
		if (k > i)
			fprintf(out, "..%u", k);
		fprintf(out, "</td><td%s>", st.nr_mms > 1 ? " bgcolor=\"lightpink\"" : "");
		if (!st.nr_mms) {
			fputs("unmapped", out);
		} else {
			fputs(st.nr_mms > 1 ? "shared by mm" : "mm", out);
			for (int j = 0; j < st.nr_mms; j++)
				fprintf(out, "%s%u", j ? "," : " ", st.mms[j]);
		}
		fprintf(out, "</td><td%s>%s &quot;", st.nr_mms > 1 ? " bgcolor=\"lightpink\"" : "",
			st.exclusive ? "exclusive" : "not exclusive");
		dot_html_esc(out, pl_token_text(d->w, st.token));
		fputs("&quot;</td></tr>\n", out);
		i = k + 1;
	}
	fputs("\t\t<tr><td colspan=\"3\">mm ids:", out);
	pl_dump_mm_ids(out, f);
	fputs("</td></tr>\n", out);
	fprintf(out, "\t\t<tr><td colspan=\"3\">write fault on a page not exclusive: %s<br/>(",
		reuse ? "reuse the folio" : "copy that page");
	dot_html_esc(out, why);
	fputs(")</td></tr>\n\t</table>>];\n", out);
	fprintf(out, "\tf%u -> f%upages [style=dotted, arrowhead=none];\n", folio_pfn(f),
		folio_pfn(f));
}

static const char *dot_pin_kind(enum pl_pin_kind k)
{
	static const char *const kinds[] = {
		/* ORDER: enum pl_pin_kind */
		"pipe", "io_uring", "O_DIRECT", "rdma", "gup_test",
	};

	return (unsigned int)k < sizeof(kinds) / sizeof(kinds[0]) ? kinds[k] : "?";
}

static void dot_pinset(struct dot *d, const struct pl_pinset *ps)
{
	const char *how = (ps->gup_flags & FOLL_PIN) ? "PIN" : "GET";
	uint32_t first = ps->kind == PL_PIN_PIPE ? ps->consumed : 0;

	fprintf(d->out, "\tg%d [shape=hexagon, label=\"%s %d\\npid %d, %u page%s\"];\n", ps->id,
		dot_pin_kind(ps->kind), ps->id, ps->pid, ps->nr - first,
		ps->nr - first == 1 ? "" : "s");
	for (uint32_t j = first; j < ps->nr && ps->pages; j++) {
		pl_pfn head;
		uint32_t k = j;

		if (ps->pages[j] == PL_PFN_NONE)
			continue;	/* a pipe's own page (pipe_write()): no folio drawn */
		head = pfn_to_page(d->w, ps->pages[j])->head;
		/* one edge per folio run */
		while (k + 1 < ps->nr && ps->pages[k + 1] != PL_PFN_NONE &&
		       pfn_to_page(d->w, ps->pages[k + 1])->head == head)
			k++;
		dot_want_folio(d, head);
		fprintf(d->out, "\tg%d -> f%u [style=dashed, label=\"%s x%u\"];\n", ps->id, head,
			how, k - j + 1);
		j = k;
	}
}

static void dot_file(struct dot *d, const struct pl_file *f)
{
	static const char *const fs[] = { "ext4", "tmpfs", "hugetlbfs" };	/* enum pl_fs */

	fprintf(d->out, "\tfile%d [shape=folder, label=\"file %d %s\\n%u pages%s\"];\n", f->id,
		f->id, (unsigned int)f->fs < 3 ? fs[f->fs] : "?", f->nr_pages,
		f->unlinked ? " (unlinked)" : "");
	for (uint32_t i = 0; i < f->nr_pages && f->cache; i++) {
		pl_pfn head = pl_file_cache(f, i);
		uint32_t k = i;

		if (head == PL_PFN_NONE)
			continue;
		while (k + 1 < f->nr_pages && pl_file_cache(f, k + 1) == head)
			k++;
		dot_want_folio(d, head);
		if (k > i)
			fprintf(d->out, "\tfile%d -> f%u [label=\"cache %u..%u\"];\n", f->id,
				head, i, k);
		else
			fprintf(d->out, "\tfile%d -> f%u [label=\"cache %u\"];\n", f->id, head, i);
		i = k;
	}
}

int pl_dot_world(FILE *out, const struct world *w, const char *title)
{
	struct dot d = { .out = out, .w = w };

	fputs("digraph pinlab {\n\tgraph [rankdir=LR, labelloc=t, fontname=\"monospace\", label=\"",
	      out);
	dot_esc(out, title);
	fputs("\"];\n\tnode [shape=box, fontname=\"monospace\", fontsize=10];\n", out);
	fputs("\tedge [fontname=\"monospace\", fontsize=9];\n", out);
	for (int i = 0; i < w->nr_tasks; i++) {
		struct task_struct *t = w->tasks[i];

		fprintf(out, "\tp%d [shape=box3d, label=\"process %d%s\"];\n", t->pid, t->pid,
			t->exited ? " (exited)" : "");
		if (!t->mm)
			continue;
		for (int v = 0; v < t->mm->nr_vmas; v++)
			dot_vma(&d, t->mm, t->pid, v);
	}
	for (int i = 0; i < w->nr_pins; i++)
		if (w->pins[i]->active)
			dot_pinset(&d, w->pins[i]);
	for (int i = 0; i < w->nr_files; i++)
		dot_file(&d, w->files[i]);
	if (d.nr)
		qsort(d.folios, (size_t)d.nr, sizeof(*d.folios), dot_cmp_pfn);
	for (int i = 0; i < d.nr; i++)
		dot_folio(&d, d.folios[i]);
	fputs("}\n", out);
	free(d.folios);
	return d.oom ? -ENOMEM : 0;
}
