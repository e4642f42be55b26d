/*
 * vm.c - one boot of a kernel image under qemu for `probe/diff --kernel`.
 *
 * Files: the initramfs, the ext4 scratch disk, the swap disk, the console
 * log and the transcript are temp files unlinked at creation (O_TMPFILE, or
 * mkstemp + unlink); qemu inherits them as fds 3..9 and opens them as
 * /proc/self/fd/N.  So nothing is ever left on disk, whatever happens to
 * pinlab, and qemu itself dies with pinlab (PR_SET_PDEATHSIG).
 *
 * Output channels: the kernel console is ttyS0, the transcript ttyS1 and
 * the output of the extra programs ($PINLAB_GUEST_RUN) ttyS2, all qemu
 * "file" chardevs, which never read pinlab's stdin (a "stdio"
 * chardev whose stdin is at end of file can stall the guest's output).
 *
 * Time limits: the guest must reach its init within VM_BOOT_S, and after
 * that write something to the transcript or the console at least every
 * VM_IDLE_S; otherwise it is hung and qemu is killed.  The guest's own host
 * backend limits each run to 10 s of guest time, scaled by how much slower
 * than this machine the guest ran the speed test (pl_host_speed_us(), at
 * most CK_RUN_MAX_S = 150 s), so a healthy guest never stays silent that
 * long.  $PINLAB_KERNEL_TIMEOUT (seconds) replaces both,
 * for tests of the limit itself.
 */
#include "guest/guest.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend/host/backend_host.h"

#define VM_BOOT_S	300
#define VM_IDLE_S	180
#define VM_MEM_MB	2048		/* $PINLAB_QEMU_MEM (MiB) replaces it */
#define VM_CPUS		"2"
/*
 * 2 MiB pages reserved at boot.  No 1 GiB pages: under TCG a 1 GiB COW copy
 * takes longer than the host backend's 10 s per run (docs/kernels.md).
 */
#define VM_HUGEPAGES	64
#define VM_EXT4_MB	256
#define VM_SWAP_MB	256
#define VM_TAIL_LINES	25

enum { FD_INITRD = 3, FD_EXT4, FD_SWAP, FD_CONSOLE, FD_OUT, FD_XOUT, FD_LOG, FD_NR };

/* ---------------------------------------------------------------------------
 * Finding qemu and choosing the accelerator.
 */
static bool find_exe(const char *name, const char *extra, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dirs[4096];
	char *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:%s", path ? path : "/usr/bin:/bin", extra);
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		if ((size_t)snprintf(out, len, "%s/%s", d, name) < len && !access(out, X_OK))
			return true;
	}
	out[0] = 0;
	return false;
}

bool pl_vm_qemu(char *path, size_t len)
{
	return find_exe("qemu-system-x86_64", "", path, len);
}

/*
 * KVM only when it is real hardware virtualisation: /dev/kvm usable, the
 * CPU has vmx or svm, and the module is not kvm_pvm (a paravirtual KVM on
 * which a stock kernel runs ~1000x slower and dies on an emulation failure).
 */
const char *pl_vm_accel(void)
{
	char line[4096];
	bool hw = false;
	FILE *f;
	int fd;

	if (!access("/sys/module/kvm_pvm", F_OK))
		return "tcg";
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return "tcg";
	close(fd);
	f = fopen("/proc/cpuinfo", "re");
	while (f && !hw && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			hw = strstr(line, " vmx") || strstr(line, " svm");
	if (f)
		fclose(f);
	return hw ? "kvm" : "tcg";
}

/* ---------------------------------------------------------------------------
 * Temp files.
 */
static int tmp_fd(void)
{
	const char *dir = getenv("TMPDIR");
	char path[PL_KPATH];
	int fd;

	if (!dir || !dir[0])
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	snprintf(path, sizeof(path), "%s/pinlab-vm.XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static char *read_fd(int fd, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t got;
	size_t n = 0;

	*len = 0;
	if (fstat(fd, &st))
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	while (n < (size_t)st.st_size) {
		got = pread(fd, buf + n, (size_t)st.st_size - n, (off_t)n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static char *read_path(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf;

	if (fd < 0)
		return NULL;
	buf = read_fd(fd, len);
	close(fd);
	return buf;
}

static off_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_size;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run argv with @fd as its fd 3 and no output; its exit status, or -1. */
static int run_with_fd(char *const argv[], int fd)
{
	pid_t pid = fork();
	int st, null;

	if (pid < 0)
		return -1;
	if (!pid) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		dup2(fd, 3);
		syscall(__NR_close_range, 4, ~0u, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---------------------------------------------------------------------------
 * The guest's disks and initramfs.
 */
/*
 * $PINLAB_QEMU_DISK_MB (at least VM_EXT4_MB) sizes the ext4 disk: the
 * kernel's cow.c writes a whole hugetlb page through io_uring into a
 * tmpfile() in /tmp, 1 GiB for the 1 GiB cases (kselftest-compare --1g).
 */
static int make_ext4(int fd, FILE *notes)
{
	char mkfs[PL_KPATH];
	char *argv[] = { mkfs, "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0",
			 "/proc/self/fd/3", NULL };
	const char *env = getenv("PINLAB_QEMU_DISK_MB");
	long mb = env ? atol(env) : 0;

	if (mb < VM_EXT4_MB || mb > 65536)
		mb = VM_EXT4_MB;
	if (ftruncate(fd, (off_t)mb << 20))
		return -errno;
	if (!find_exe("mkfs.ext4", "/sbin:/usr/sbin", mkfs, sizeof(mkfs))) {
		fprintf(notes, "mkfs.ext4 not found (e2fsprogs): no ext4 disk in the guest\n");
		return 0;
	}
	if (run_with_fd(argv, fd))
		fprintf(notes, "mkfs.ext4 failed: no ext4 disk in the guest\n");
	return 0;
}

/* A swap area of version 1 ("SWAPSPACE2" at the end of the first page). */
static int make_swap(int fd)
{
	unsigned char page[4096];
	uint32_t pages = (uint32_t)(((off_t)VM_SWAP_MB << 20) / 4096), last = pages - 1;
	uint32_t version = 1;

	memset(page, 0, sizeof(page));
	memcpy(page + 1024, &version, 4);		/* swap_header.info.version */
	memcpy(page + 1028, &last, 4);			/* .last_page */
	for (int i = 0; i < 16; i++)			/* .sws_uuid: fixed, any will do */
		page[1036 + i] = (unsigned char)(0x5a ^ i);
	memcpy(page + 4096 - 10, "SWAPSPACE2", 10);
	if (ftruncate(fd, (off_t)pages * 4096) || pwrite(fd, page, sizeof(page), 0) != 4096)
		return -errno ? -errno : -EIO;
	return 0;
}

/*
 * $PINLAB_GUEST_RUN: colon-separated static programs that the guest's PID 1
 * runs before the job (first boot only), as PL_GUEST_EXTRA/NN-NAME.
 */
static int add_extras(struct pl_cpio *c, const struct pl_vm_job *job, char *why, size_t whylen)
{
	const char *env = getenv("PINLAB_GUEST_RUN");
	char list[4096], *save = NULL;
	int i = 0;

	if (!env || !env[0] || job->first)
		return 0;
	snprintf(list, sizeof(list), "%s", env);
	pl_cpio_dir(c, PL_GUEST_EXTRA + 1);
	for (char *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save), i++) {
		const char *base = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		char name[160];
		size_t len;
		char *data = read_path(p, &len);

		if (!data) {
			snprintf(why, whylen, "PINLAB_GUEST_RUN: cannot read %s", p);
			return -ENOENT;
		}
		snprintf(name, sizeof(name), "%s/%02d-%.100s", PL_GUEST_EXTRA + 1, i, base);
		pl_cpio_file(c, name, 0755, data, len);
		free(data);
	}
	return 0;
}

/* What the extra programs wrote (ttyS2), appended to $PINLAB_GUEST_RUN_OUT. */
static void copy_extras_out(int fd, FILE *notes)
{
	const char *path = getenv("PINLAB_GUEST_RUN_OUT");
	size_t len;
	char *text;
	FILE *f;

	if (!path || !path[0] || fd_size(fd) <= 0)
		return;
	text = read_fd(fd, &len);
	f = fopen(path, "ae");
	if (!text || !f || fwrite(text, 1, len, f) != len)
		fprintf(notes, "cannot write the extra programs' output to %s\n", path);
	if (f)
		fclose(f);
	free(text);
}

static int make_initramfs(const struct pl_vm_job *job, int fd, FILE *notes, char *why,
			  size_t whylen)
{
	FILE *out = fdopen(dup(fd), "we");
	struct pl_cpio c;
	char *init, *job_text = NULL;
	size_t len, jlen = 0;
	FILE *jf;
	int ret;

	if (!out)
		return -errno;
	init = read_path(job->init, &len);
	if (!init) {
		snprintf(why, whylen, "cannot read %s", job->init);
		fclose(out);
		return -ENOENT;
	}
	pl_cpio_begin(&c, out);
	static const char *const dirs[] = { "dev", "proc", "sys", "tmp", "run", "pinlab",
					    "pinlab/s" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		pl_cpio_dir(&c, dirs[i]);
	pl_cpio_chardev(&c, "dev/console", 5, 1);
	pl_cpio_file(&c, "init", 0755, init, len);
	free(init);
	jf = open_memstream(&job_text, &jlen);
	if (!jf) {
		fclose(out);
		return -ENOMEM;
	}
	fprintf(jf, "preset %s\nbacking %d\nfirst %d\nspeed_ref_us %ld\n", job->preset,
		job->backing, job->first, job->speed_ref_us);
	for (int i = 0; i < job->nr_files; i++) {
		char name[64];
		char *text = read_path(job->files[i], &len);

		if (!text) {
			snprintf(why, whylen, "cannot read %s", job->files[i]);
			fclose(jf);
			free(job_text);
			fclose(out);
			return -ENOENT;
		}
		snprintf(name, sizeof(name), "pinlab/s/%04d.pin", i);
		pl_cpio_file(&c, name, 0644, text, len);
		fprintf(jf, "file /%s\n", name);
		free(text);
	}
	fclose(jf);
	pl_cpio_file(&c, PL_GUEST_JOB + 1, 0644, job_text, jlen);
	free(job_text);
	ret = add_extras(&c, job, why, whylen);
	if (ret) {
		fclose(out);
		return ret;
	}
	ret = pl_initramfs_modules(&c, job->img->moddir, notes);
	if (!ret)
		ret = pl_cpio_end(&c);
	if (fclose(out) && !ret)
		ret = -EIO;
	if (ret)
		snprintf(why, whylen, "cannot write the initramfs: %s", strerror(-ret));
	return ret;
}

/* ---------------------------------------------------------------------------
 * qemu.
 */
static pid_t start_qemu(const char *qemu, const struct pl_vm_job *job, const int fds[FD_NR])
{
	char append[1024], mem[16], hp[64];
	const char *accel = pl_vm_accel();
	const char *extra = getenv("PINLAB_QEMU_APPEND");
	char first[16];
	pid_t parent = getpid(), pid;

	snprintf(hp, sizeof(hp), "hugepagesz=2M hugepages=%d", VM_HUGEPAGES);
	snprintf(first, sizeof(first), "%d", job->first);
	/*
	 * panic=-1: reboot at once on a panic, which -no-reboot turns into
	 * qemu's exit.  no_timer_check: at boot, check_timer() waits a bounded
	 * number of TSC cycles for timer ticks through the IO-APIC and panics
	 * ("IO-APIC + timer doesn't work!") when too few came; a TCG guest on a
	 * loaded host gets them too late (seen: 6.1.192 under two `make test`
	 * at once).  The parameter makes timer_irq_works() succeed at once
	 * (arch/x86/kernel/apic/io_apic.c, read in Debian's 6.1 and 6.12
	 * sources).  Everything after "--" is init's argv.
	 */
	snprintf(append, sizeof(append),
		 "console=ttyS0 rdinit=/init panic=-1 no_timer_check loglevel=4 %s"
		 " transparent_hugepage=madvise %s -- __guest %s", hp, extra ? extra : "", first);
	snprintf(mem, sizeof(mem), "%d",
		 getenv("PINLAB_QEMU_MEM") && atoi(getenv("PINLAB_QEMU_MEM")) >= 256 ?
			 atoi(getenv("PINLAB_QEMU_MEM")) : VM_MEM_MB);
	char *argv[] = {
		(char *)qemu, "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-accel", !strcmp(accel, "kvm") ? "kvm" : "tcg,thread=multi",
		"-cpu", !strcmp(accel, "kvm") ? "host" : "max", "-smp", VM_CPUS, "-m", mem,
		"-kernel", (char *)job->img->path, "-initrd", "/proc/self/fd/3",
		"-drive", "file=/proc/self/fd/4,format=raw,if=virtio,cache=unsafe",
		"-drive", "file=/proc/self/fd/5,format=raw,if=virtio,cache=unsafe",
		"-chardev", "file,id=con,path=/proc/self/fd/6", "-serial", "chardev:con",
		"-chardev", "file,id=out,path=/proc/self/fd/7", "-serial", "chardev:out",
		"-chardev", "file,id=xout,path=/proc/self/fd/8", "-serial", "chardev:xout",
		"-append", append, NULL,
	};

	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGINT, SIG_IGN);	/* pinlab decides when qemu goes */
	int null = open("/dev/null", O_RDONLY);

	dup2(null, 0);
	dup2(fds[FD_LOG], 1);
	dup2(fds[FD_LOG], 2);
	/* fds[] are all >= FD_NR (see pl_vm_run), so these dup2s do not collide. */
	for (int i = FD_INITRD; i < FD_LOG; i++)
		dup2(fds[i], i);
	syscall(__NR_close_range, FD_LOG, ~0u, 0);
	execv(qemu, argv);
	fprintf(stderr, "cannot run %s: %s\n", qemu, strerror(errno));
	_exit(127);
}

/* The last @n lines of @text, without '\r' and other control bytes. */
static char *tail_lines(const char *text, size_t len, int n)
{
	size_t start = len;
	int lines = 0;
	char *out, *o;

	while (start > 0) {
		if (text[start - 1] == '\n' && start != len && ++lines >= n)
			break;
		start--;
	}
	out = malloc(len - start + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = start; i < len; i++)
		if (text[i] == '\n' || text[i] == '\t' || (unsigned char)text[i] >= 0x20)
			*o++ = text[i];
	*o = 0;
	return out;
}

void pl_vm_result_free(struct pl_vm_result *res)
{
	free(res->console);
	free(res->transcript);
	free(res->notes);
	res->console = res->transcript = res->notes = NULL;
}

int pl_vm_run(const struct pl_vm_job *job, struct pl_vm_result *res)
{
	int fds[FD_NR], ret = 0, st = 0, boot_limit = VM_BOOT_S, idle_limit = VM_IDLE_S;
	char qemu[PL_KPATH];
	char *notes_text = NULL;
	size_t notes_len = 0, len;
	double t0, last, header_at = 0;
	off_t seen_out = 0, seen_con = 0;
	FILE *notes;
	pid_t pid;
	bool exited = false;

	memset(res, 0, sizeof(*res));
	for (int i = 0; i < FD_NR; i++)
		fds[i] = -1;
	if (!pl_vm_qemu(qemu, sizeof(qemu))) {
		snprintf(res->why, sizeof(res->why), "qemu-system-x86_64 not found");
		return -ENOENT;
	}
	notes = open_memstream(&notes_text, &notes_len);
	if (!notes)
		return -ENOMEM;
	/* fds >= FD_NR, so that start_qemu can place them at 3..8 in any order */
	for (int i = FD_INITRD; i < FD_NR; i++) {
		int fd = tmp_fd();

		if (fd >= 0 && fd < FD_NR) {
			int hi = fcntl(fd, F_DUPFD_CLOEXEC, FD_NR);

			close(fd);
			fd = hi;
		}
		if (fd < 0) {
			ret = -errno;
			snprintf(res->why, sizeof(res->why), "cannot create a temp file: %s",
				 strerror(errno));
			goto out;
		}
		fds[i] = fd;
	}
	ret = make_initramfs(job, fds[FD_INITRD], notes, res->why, sizeof(res->why));
	if (!ret)
		ret = make_ext4(fds[FD_EXT4], notes);
	if (!ret)
		ret = make_swap(fds[FD_SWAP]);
	if (ret) {
		if (!res->why[0])
			snprintf(res->why, sizeof(res->why), "cannot prepare the disks: %s",
				 strerror(-ret));
		goto out;
	}
	{
		const char *env = getenv("PINLAB_KERNEL_TIMEOUT");

		if (env && atoi(env) > 0)
			boot_limit = idle_limit = atoi(env);
	}
	t0 = last = now_s();
	pid = start_qemu(qemu, job, fds);
	if (pid < 0) {
		ret = -errno;
		snprintf(res->why, sizeof(res->why), "fork: %s", strerror(errno));
		goto out;
	}
	res->end = PL_VM_DONE;
	for (;;) {
		struct timespec tick = { 0, 20 * 1000 * 1000 };
		off_t o = fd_size(fds[FD_OUT]), c = fd_size(fds[FD_CONSOLE]) +
						     fd_size(fds[FD_XOUT]);
		double t = now_s();
		pid_t w = waitpid(pid, &st, WNOHANG);

		if (w == pid) {
			exited = true;
			break;
		}
		if (o != seen_out || c != seen_con) {
			seen_out = o;
			seen_con = c;
			last = t;
		}
		if (!header_at && o > 0)
			header_at = t;
		if (pl_host_interrupted()) {
			res->end = PL_VM_INTR;
			break;
		}
		if (!header_at && t - t0 > boot_limit) {
			res->end = PL_VM_HUNG;
			snprintf(res->why, sizeof(res->why),
				 "the guest did not reach its init within %d s", boot_limit);
			break;
		}
		if (header_at && t - last > idle_limit) {
			res->end = PL_VM_HUNG;
			snprintf(res->why, sizeof(res->why),
				 "the guest wrote nothing for %d s", idle_limit);
			break;
		}
		nanosleep(&tick, NULL);
	}
	if (!exited) {
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	res->boot_s = header_at ? header_at - t0 : now_s() - t0;
	res->run_s = header_at ? now_s() - header_at : 0;
	res->transcript = read_fd(fds[FD_OUT], &res->transcript_len);
	copy_extras_out(fds[FD_XOUT], notes);
	{
		char *con = read_fd(fds[FD_CONSOLE], &len);

		if (con)
			res->console = tail_lines(con, len, VM_TAIL_LINES);
		free(con);
	}
	if (res->end == PL_VM_DONE && !(res->transcript && strstr(res->transcript, "\n@done\n"))) {
		char *log = read_fd(fds[FD_LOG], &len);

		if (!header_at && WIFEXITED(st) && WEXITSTATUS(st)) {
			res->end = PL_VM_ERROR;
			snprintf(res->why, sizeof(res->why), "qemu failed (exit %d): %.180s",
				 WEXITSTATUS(st), log && log[0] ? log : "no message");
			res->why[strcspn(res->why, "\n")] = 0;
		} else {
			res->end = PL_VM_DIED;
			snprintf(res->why, sizeof(res->why), "the guest stopped before the end%s",
				 res->console && strstr(res->console, "Kernel panic") ?
					 " (kernel panic)" : "");
		}
		free(log);
	}
out:
	fclose(notes);
	res->notes = notes_text;
	for (int i = 0; i < FD_NR; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return ret;
}
