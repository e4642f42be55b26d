/*
 * dump.h - the text picture of a world (`pinlab show`, --trace's show steps).
 */
#ifndef PINLAB_DUMP_H
#define PINLAB_DUMP_H

#include "pinlab/view.h"

#include <stdio.h>

/* Print processes, VMAs, PTEs and folios of a world (pinlab show). */
void pl_dump_world(FILE *out, const struct world *w);
/* One object: a process (its VMAs and PTEs), a file (its page cache), a pinset. */
void pl_dump_process(FILE *out, const struct world *w, int pid);
void pl_dump_file(FILE *out, const struct world *w, int id);
void pl_dump_pinset(FILE *out, const struct world *w, int id);
/* Each PTE-mapped large anon folio page by page: who maps it, exclusivity, MM ids. */
void pl_dump_large_folios(FILE *out, const struct world *w);
/*
 * A VMA's mode as show writes it: "rw- private hugetlb dontfork" (with
 * @every also " wipeonfork" and " hugepage"); @len of 64 holds any.
 */
void pl_dump_vma_mode(char *buf, size_t len, const struct vm_area_struct *v, bool every);
/*
 * A large folio's two MM id slots and its "maybe mapped shared" bit, on the
 * current line: " slot 0 mm 1 (2 maps), slot 1 free, mapped by one mm".
 */
void pl_dump_mm_ids(FILE *out, const struct folio *f);
/* The ids of the mms mapping @pfn by a present PTE, at most @max; returns how many. */
int pl_dump_mms_mapping(const struct world *w, pl_pfn pfn, uint32_t *ids, int max);

#endif
