/*
 * guest.c - pinlab as PID 1 of a guest booted by vm.c.
 *
 * The initramfs holds this static binary as /init, the job, the scenario
 * files and the modules (initramfs.c).  PID 1 sets the machine up the way
 * the host backend expects a machine to be -- /proc and /sys mounted, an
 * ext4 /tmp (the first disk), swap (the second disk), THP in madvise mode
 * and hugetlb pages from the command line -- opens the transcript port,
 * and forks the runner, which returns from pl_guest_init() and runs the
 * job.  PID 1 itself must never exit (the kernel would panic), so it only
 * reaps children until the runner is gone, says how the runner ended, and
 * reboots; qemu runs with -no-reboot, so that ends qemu.
 */
#include "guest/guest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define GUEST_PORT	"/dev/ttyS1"
#define GUEST_XPORT	"/dev/ttyS2"	/* the extra programs' output */
#define GUEST_DISK_EXT4	"/dev/vda"
#define GUEST_DISK_SWAP	"/dev/vdb"

/* A line on the console (ttyS0, for the console tail) and maybe in the transcript. */
static void say(int out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(int out, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	fprintf(stderr, "pinlab-guest: %s\n", buf);
	if (out >= 0) {
		char line[600];
		int m = snprintf(line, sizeof(line), "@note %s\n", buf);

		if (m > 0 && write(out, line, (size_t)m) < 0)
			return;
	}
}

static void load_modules(int out)
{
	char line[128];
	FILE *f = fopen(PL_GUEST_MODULES, "re");

	while (f && fgets(line, sizeof(line), f)) {
		char path[192];
		int fd;

		line[strcspn(line, "\n")] = 0;
		if (!line[0])
			continue;
		snprintf(path, sizeof(path), "/lib/modules/%s.ko", line);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || (syscall(__NR_finit_module, fd, "", 0) && errno != EEXIST))
			say(out, "module %s: %s", line, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (f)
		fclose(f);
}

/* Block devices appear when their driver has probed; give them a few seconds. */
static bool wait_for(const char *dev)
{
	struct timespec tick = { 0, 50 * 1000 * 1000 };

	for (int i = 0; i < 100; i++) {
		if (!access(dev, F_OK))
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

static int open_port(const char *port)
{
	struct termios t;
	int fd = open(port, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	/* Raw: no "\n" -> "\r\n", no flow control; the bytes go out as written. */
	if (!tcgetattr(fd, &t)) {
		cfmakeraw(&t);
		cfsetospeed(&t, B115200);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

static void setup(int out)
{
	mkdir("/dev/shm", 01777);
	if (mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777"))
		say(out, "mount /dev/shm: %s", strerror(errno));
	load_modules(out);
	if (!wait_for(GUEST_DISK_EXT4) ||
	    mount(GUEST_DISK_EXT4, "/tmp", "ext4", 0, "")) {
		say(out, "no ext4 /tmp (%s: %s): /tmp is tmpfs", GUEST_DISK_EXT4, strerror(errno));
		mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777");
	} else {
		chmod("/tmp", 01777);
	}
	if (!wait_for(GUEST_DISK_SWAP) || swapon(GUEST_DISK_SWAP, 0))
		say(out, "no swap (%s: %s)", GUEST_DISK_SWAP, strerror(errno));
	{
		char buf[32] = "";
		FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "re");

		if (!f || !fgets(buf, sizeof(buf), f) || atoi(buf) == 0)
			say(out, "no 2 MiB hugetlb pages reserved at boot");
		if (f)
			fclose(f);
	}
}

static double uptime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The extra programs (PL_GUEST_EXTRA, from $PINLAB_GUEST_RUN; the kernel's
 * own selftests for `make kselftest-compare`): each in name order, in /tmp,
 * its stdout and stderr on ttyS2 between "=== BEGIN NAME" and
 * "=== END NAME rc=N seconds=S" lines, before the runner starts.
 */
static void run_extras(int out)
{
	struct dirent **ents;
	int n = scandir(PL_GUEST_EXTRA, &ents, NULL, alphasort);
	int port = n > 0 ? open_port(GUEST_XPORT) : -1;

	if (n > 0 && port < 0)
		say(out, "cannot open %s: %s", GUEST_XPORT, strerror(errno));
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		const char *shown = strchr(name, '-') ? strchr(name, '-') + 1 : name;
		char path[300];
		double t0 = uptime_s();
		pid_t pid, w;
		int st = 0;

		if (name[0] == '.' || port < 0) {
			free(ents[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", PL_GUEST_EXTRA, name);
		dprintf(port, "=== BEGIN %s\n", shown);
		pid = fork();
		if (pid == 0) {
			char *argv[] = { path, NULL };
			char *envp[] = { "PATH=/bin:/sbin", "HOME=/tmp", NULL };

			dup2(port, 1);
			dup2(port, 2);
			if (chdir("/tmp"))
				_exit(126);
			execve(path, argv, envp);
			_exit(127);
		}
		while (pid > 0 && (w = wait(&st)) != pid)	/* PID 1 reaps orphans too */
			if (w < 0 && errno != EINTR)
				break;
		dprintf(port, "=== END %s rc=%d seconds=%.1f\n", shown,
			pid < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st),
			uptime_s() - t0);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	if (port >= 0) {
		tcdrain(port);
		close(port);
	}
}

int pl_guest_init(void)
{
	struct utsname u;
	char hdr[256];
	pid_t runner;
	int out, st = 0, n;

	if (getpid() != 1)
		return -EPERM;
	mount("proc", "/proc", "proc", 0, "");
	mount("sysfs", "/sys", "sysfs", 0, "");
	mount("devtmpfs", "/dev", "devtmpfs", 0, "");
	/* debugfs for gup_test (CONFIG_GUP_TEST kernels); absent elsewhere, harmless */
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, "");
	out = open_port(GUEST_PORT);
	if (out < 0)
		say(-1, "cannot open %s: %s", GUEST_PORT, strerror(errno));
	setup(out);
	uname(&u);
	n = snprintf(hdr, sizeof(hdr), "@pinlab-guest 1 %s\n", u.release);
	if (out >= 0 && write(out, hdr, (size_t)n) != n)
		say(-1, "cannot write to %s", GUEST_PORT);
	run_extras(out);
	runner = fork();
	if (runner == 0)
		return out;
	if (runner < 0)
		say(out, "fork: %s", strerror(errno));
	/* PID 1: reap every process (orphans come here) until the runner is gone. */
	while (runner > 0) {
		pid_t w = wait(&st);

		if (w == runner)
			break;
		if (w < 0 && errno != EINTR)
			break;
	}
	if (runner > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		char line[96];

		n = WIFSIGNALED(st) ? snprintf(line, sizeof(line),
					       "@died the runner was killed by signal %d\n",
					       WTERMSIG(st)) :
				      snprintf(line, sizeof(line), "@died the runner exited with %d\n",
					       WEXITSTATUS(st));
		if (out >= 0 && write(out, line, (size_t)n) < 0)
			say(-1, "cannot write to %s", GUEST_PORT);
		fprintf(stderr, "pinlab-guest: %s", line + 7);
	}
	if (out >= 0)
		tcdrain(out);	/* every byte out of the UART before the reset */
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
