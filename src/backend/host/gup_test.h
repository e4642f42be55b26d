/*
 * gup_test.h - the user interface of the kernel's gup_test debugfs file
 * (/sys/kernel/debug/gup_test, CONFIG_GUP_TEST), as far as the host backend
 * drives it: one long-term pin at a time, taken with pin_user_pages() or
 * pin_user_pages_fast() and FOLL_LONGTERM (plus FOLL_WRITE on request) in
 * the mm of the process that issues START, read back page by page, dropped
 * with STOP or when the last fd of the file is closed.
 *
 * Our own definitions of the kernel's ABI (mm/gup_test.h, 6.12): ioctl type
 * 'g', numbers 7 (START, writes struct pl_gupt_pin), 8 (STOP, no argument)
 * and 9 (READ, writes a __u64 user address that receives every pinned page
 * in order).  They arrived in v6.2 (c77369b437f9); an older gup_test knows
 * only its benchmark ioctls and answers these with -EINVAL.
 */
#ifndef PINLAB_BACKEND_HOST_GUP_TEST_H
#define PINLAB_BACKEND_HOST_GUP_TEST_H

#include <stdint.h>
#include <sys/ioctl.h>

#define PL_GUPT_PATH		"/sys/kernel/debug/gup_test"

/* START's argument: the range to pin, page aligned, and how. */
struct pl_gupt_pin {
	uint64_t addr;
	uint64_t size;		/* bytes */
	uint32_t flags;		/* PL_GUPT_* */
};

_Static_assert(sizeof(struct pl_gupt_pin) == 24, "gup_test's pin_longterm_test is 24 bytes");

#define PL_GUPT_WRITE		0x1	/* FOLL_WRITE */
#define PL_GUPT_FAST		0x2	/* pin_user_pages_fast() */

#define PL_GUPT_START		_IOW('g', 7, struct pl_gupt_pin)
#define PL_GUPT_STOP		_IO('g', 8)
#define PL_GUPT_READ		_IOW('g', 9, uint64_t)

#endif /* PINLAB_BACKEND_HOST_GUP_TEST_H */
