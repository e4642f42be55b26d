/*
 * guest.h - other kernels than the running one: boot a kernel image under
 * qemu and run the host backend inside it (`pinlab probe/diff --kernel K`).
 *
 *	pinlab (host)                              guest (qemu, TCG or KVM)
 *	-------------                              ------------------------
 *	find the image (kimage.c)                  /init = static pinlab, PID 1 (guest.c):
 *	initramfs: static pinlab, the scenario       mounts, finit_module() of ext4 & co,
 *	  files, the job, decompressed modules         /dev/vda (ext4) on /tmp, swapon /dev/vdb
 *	  (initramfs.c, cpio newc)                 runner: every (scenario, backing) of the
 *	disks: ext4 image (mkfs.ext4), swap          job through pl_exec_run() on the *host
 *	  image (our own header)                     backend*, wrapped by the recorder, which
 *	qemu, console -> file, ttyS1 -> file         writes each backend call and its result
 *	  (vm.c), time limits, console tail            to ttyS1 (the transcript)
 *	replay backend (transcript.c): the
 *	  executor runs again on the host and
 *	  gets the guest's answers, call by call
 *
 * So the output of `probe --kernel` is produced by the same executor and
 * report code as `probe`, from the same backend calls; only where the calls
 * were answered differs.  Every temporary file is unlinked as soon as it is
 * created (qemu reaches it through /proc/self/fd), so nothing stays on disk
 * even when pinlab is killed; qemu dies with pinlab (PR_SET_PDEATHSIG).
 * docs/kernels.md is the user's guide.
 */
#ifndef PINLAB_GUEST_H
#define PINLAB_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "backend/record/record.h"
#include "pinlab/backend.h"

#define PL_KPATH 512

/* ---------------------------------------------------------------------------
 * Kernel images (kimage.c).
 */
struct pl_kimage {
	char path[PL_KPATH];		/* the bzImage */
	char release[128];		/* its `uname -r`, from the image header */
	char moddir[PL_KPATH];		/* lib/modules/RELEASE beside it, "" = none */
	int version[3];			/* major, minor, patch */
	const char *preset;		/* the preset the version maps to */
};

/*
 * The images pinlab knows: /boot/vmlinuz-*, and DIR/PKG/boot/vmlinuz-* of every
 * DIR in @dirs (unpacked packages, see tools/fetch-kernels.sh), sorted by
 * version then path.  Return: how many (at most @max), or -ENOMEM.
 */
int pl_kimages_find(const char *const *dirs, int nr_dirs, struct pl_kimage *out, int max);

/* The local version of the GUP_TEST kernel (tools/gup-test-kernel.config). */
#define PL_KIMAGE_GUPTEST_TAG	"-guptest"

/*
 * Resolve K: a path to an image (contains '/' or names a file), or a version
 * prefix of a release ("6.1" matches 6.1.0-56-amd64, not 6.12.1); the newest
 * match wins.  A release ending in -guptest matches only a K ending in
 * -guptest ("6.12-guptest" matches 6.12.118-guptest), and such a K only
 * those.  Return: 0, or -ENOENT with why in @why.
 */
int pl_kimage_resolve(const char *k, const char *const *dirs, int nr_dirs,
		      struct pl_kimage *out, char *why, size_t whylen);

/* ---------------------------------------------------------------------------
 * The initramfs (initramfs.c).
 */
struct pl_cpio {
	FILE *out;
	unsigned int ino;
	int err;			/* first write error, as -errno */
};

void pl_cpio_begin(struct pl_cpio *c, FILE *out);
void pl_cpio_dir(struct pl_cpio *c, const char *name);
void pl_cpio_file(struct pl_cpio *c, const char *name, unsigned int mode, const void *data,
		  size_t len);
void pl_cpio_chardev(struct pl_cpio *c, const char *name, unsigned int major,
		     unsigned int minor);
/* The trailer; 0 or the first error. */
int pl_cpio_end(struct pl_cpio *c);

/*
 * The modules the guest needs from @moddir, in load order (dependencies
 * first, from each module's .modinfo "depends="), decompressed (.ko.xz,
 * .ko.zst, .ko.gz through xz, zstd, gzip), as /lib/modules/NAME.ko, and
 * their names in /pinlab/modules.  What cannot be had (no such module and
 * not built in, no decompressor) is a line in @notes; the guest then runs
 * without it (ext4 or disks missing: those runs skip).
 */
int pl_initramfs_modules(struct pl_cpio *c, const char *moddir, FILE *notes);

/* ---------------------------------------------------------------------------
 * Booting (vm.c).
 */
struct pl_vm_job {
	const struct pl_kimage *img;
	const char *init;		/* the static pinlab */
	const char *preset;
	int backing;			/* -1: each scenario's matrix */
	char *const *files;		/* scenario paths, in plan order */
	int nr_files;
	int first;			/* first plan index to run */
	long speed_ref_us;		/* pl_host_speed_us() on the host; 0 = unknown */
};

enum pl_vm_end {
	PL_VM_DONE,			/* the guest ran every run and said so */
	PL_VM_DIED,			/* the guest stopped early: panic, runner crash, reboot */
	PL_VM_HUNG,			/* no progress within the time limit: qemu killed */
	PL_VM_ERROR,			/* qemu could not be started or refused the set-up */
	PL_VM_INTR,			/* SIGINT/SIGTERM (pl_host_interrupted) */
};

struct pl_vm_result {
	enum pl_vm_end end;
	char why[256];			/* for DIED/HUNG/ERROR */
	char *console;			/* the console's last lines (malloc), or NULL */
	char *transcript;		/* what the guest wrote to ttyS1 (malloc), or NULL */
	size_t transcript_len;
	char *notes;			/* host-side set-up remarks, one per line (malloc) */
	double boot_s, run_s;		/* qemu start -> guest header -> end */
};

/* "qemu-system-x86_64" found in PATH, and whether KVM is real (not PVM). */
bool pl_vm_qemu(char *path, size_t len);
const char *pl_vm_accel(void);

/*
 * pl_vm_run() - boot @job's kernel once and collect the transcript (see
 * below).  Blocks until the guest powers off, dies, hangs (time limit) or a
 * signal arrives.  Return: 0 (see @res->end), or -errno when even the set-up
 * failed (res->why says why).  Free @res with pl_vm_result_free() either way.
 */
int pl_vm_run(const struct pl_vm_job *job, struct pl_vm_result *res);
void pl_vm_result_free(struct pl_vm_result *res);

/* ---------------------------------------------------------------------------
 * In the guest (guest.c): pinlab as PID 1.
 */
#define PL_GUEST_JOB		"/pinlab/job"
#define PL_GUEST_MODULES	"/pinlab/modules"
#define PL_GUEST_SCENARIOS	"/pinlab/s"
#define PL_GUEST_EXTRA		"/pinlab/x"	/* programs run before the job ($PINLAB_GUEST_RUN) */

/*
 * pl_guest_init() - mount /proc, /sys, /dev, debugfs, /tmp (the ext4 disk,
 * else tmpfs), load the modules, swapon the swap disk, open the transcript
 * port and write the header, run the programs in PL_GUEST_EXTRA (their
 * output on ttyS2).  Then fork: the child returns the transcript fd (and
 * runs the job); PID 1 reaps everything, records how the runner ended, and
 * reboots (qemu -no-reboot then exits).  Not PID 1: -EPERM.
 */
int pl_guest_init(void);

#endif /* PINLAB_GUEST_H */
