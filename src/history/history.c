/*
 * history.c - the built-in history cases (history.h): each
 * scenarios/history/NAME.pin assembled in byte for byte with .incbin (the
 * Makefile makes this object depend on those files), in the order the bugs
 * were found.  tests/unit/history.c checks that the list and the directory
 * hold the same files.
 */
#include "history/history.h"

#include <string.h>

/* One case: the symbol pl_hist_pin_NAME holds scenarios/history/FILE.pin. */
#define HIST_PIN(sym, file)							\
	extern const char sym[];						\
	__asm__(".section .rodata\n"						\
		".global " #sym "\n"						\
		".type " #sym ", @object\n"					\
		#sym ":\n"							\
		".incbin \"scenarios/history/" file ".pin\"\n"			\
		".byte 0\n"							\
		".size " #sym ", . - " #sym "\n"					\
		".previous\n")

HIST_PIN(pl_hist_pin_dirty_cow, "dirty-cow");
HIST_PIN(pl_hist_pin_cve_2020_29374, "cve-2020-29374");
HIST_PIN(pl_hist_pin_cve_2020_29374_thp, "cve-2020-29374-thp");
HIST_PIN(pl_hist_pin_cve_2020_29374_swap, "cve-2020-29374-swap");
HIST_PIN(pl_hist_pin_vmsplice_hugetlb, "vmsplice-hugetlb");
HIST_PIN(pl_hist_pin_pinned_fork, "pinned-fork");
HIST_PIN(pl_hist_pin_gup_fast_fork, "gup-fast-fork");
HIST_PIN(pl_hist_pin_ro_pin_exclusive, "ro-pin-exclusive");
HIST_PIN(pl_hist_pin_ro_pin_shared, "ro-pin-shared");
HIST_PIN(pl_hist_pin_ro_pin_zeropage, "ro-pin-zeropage");
HIST_PIN(pl_hist_pin_ro_pin_pagecache, "ro-pin-pagecache");
HIST_PIN(pl_hist_pin_cve_2022_2590, "cve-2022-2590");
HIST_PIN(pl_hist_pin_longterm_file_write, "longterm-file-write");
HIST_PIN(pl_hist_pin_swapout_pinned, "swapout-pinned");
HIST_PIN(pl_hist_pin_uprobes_pinned, "uprobes-pinned");

static const struct pl_hist_case cases[] = {
	{ "dirty-cow", "scenarios/history/dirty-cow.pin", pl_hist_pin_dirty_cow },
	{ "cve-2020-29374", "scenarios/history/cve-2020-29374.pin", pl_hist_pin_cve_2020_29374 },
	{ "cve-2020-29374-thp", "scenarios/history/cve-2020-29374-thp.pin", pl_hist_pin_cve_2020_29374_thp },
	{ "cve-2020-29374-swap", "scenarios/history/cve-2020-29374-swap.pin", pl_hist_pin_cve_2020_29374_swap },
	{ "vmsplice-hugetlb", "scenarios/history/vmsplice-hugetlb.pin", pl_hist_pin_vmsplice_hugetlb },
	{ "pinned-fork", "scenarios/history/pinned-fork.pin", pl_hist_pin_pinned_fork },
	{ "gup-fast-fork", "scenarios/history/gup-fast-fork.pin", pl_hist_pin_gup_fast_fork },
	{ "ro-pin-exclusive", "scenarios/history/ro-pin-exclusive.pin", pl_hist_pin_ro_pin_exclusive },
	{ "ro-pin-shared", "scenarios/history/ro-pin-shared.pin", pl_hist_pin_ro_pin_shared },
	{ "ro-pin-zeropage", "scenarios/history/ro-pin-zeropage.pin", pl_hist_pin_ro_pin_zeropage },
	{ "ro-pin-pagecache", "scenarios/history/ro-pin-pagecache.pin", pl_hist_pin_ro_pin_pagecache },
	{ "cve-2022-2590", "scenarios/history/cve-2022-2590.pin", pl_hist_pin_cve_2022_2590 },
	{ "longterm-file-write", "scenarios/history/longterm-file-write.pin", pl_hist_pin_longterm_file_write },
	{ "swapout-pinned", "scenarios/history/swapout-pinned.pin", pl_hist_pin_swapout_pinned },
	{ "uprobes-pinned", "scenarios/history/uprobes-pinned.pin", pl_hist_pin_uprobes_pinned },
};

const struct pl_hist_case *pl_hist_cases(int *n)
{
	*n = (int)(sizeof(cases) / sizeof(cases[0]));
	return cases;
}

const struct pl_hist_case *pl_hist_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}
