/*
 * initramfs.c - the guest's initramfs: a cpio "newc" archive writer, and the
 * kernel modules the guest must load itself.
 *
 * newc: each entry is a 110-byte ASCII header ("070701" and 13 fields of 8
 * hex digits), the NUL-terminated name, padding to 4 bytes, the data,
 * padding to 4 bytes; "TRAILER!!!" ends the archive.  Times are 0 so the
 * archive only depends on its contents.
 *
 * Modules: a distribution kernel builds ext4 and the virtio disk driver as
 * modules.  There is no modprobe in the guest and an unpacked package has
 * no modules.dep (depmod writes it at install time), so the dependencies
 * are read from each module's ".modinfo" ELF section ("depends=jbd2,...").
 * A compressed module (.ko.xz, .ko.zst, .ko.gz) is decompressed here with
 * the matching tool, so the guest needs no decompressor.
 */
#include "guest/guest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---------------------------------------------------------------------------
 * cpio newc.
 */
static void cpio_put(struct pl_cpio *c, const void *p, size_t n)
{
	if (n && !c->err && fwrite(p, 1, n, c->out) != n)
		c->err = -EIO;
}

static void cpio_pad(struct pl_cpio *c, size_t n)
{
	static const char zero[4];

	cpio_put(c, zero, (4 - n % 4) % 4);
}

static void cpio_entry(struct pl_cpio *c, const char *name, unsigned int mode,
		       unsigned int rmajor, unsigned int rminor, const void *data, size_t len)
{
	char hdr[111];
	size_t nlen = strlen(name) + 1;

	if (len > 0xffffffffu) {
		c->err = -EFBIG;
		return;
	}
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0u, 0u, (mode & 0170000) == 0040000 ? 2u : 1u, 0u,
		 (unsigned int)len, 0u, 0u, rmajor, rminor, (unsigned int)nlen, 0u);
	cpio_put(c, hdr, 110);
	cpio_put(c, name, nlen);
	cpio_pad(c, 110 + nlen);
	cpio_put(c, data, len);
	cpio_pad(c, len);
}

void pl_cpio_begin(struct pl_cpio *c, FILE *out)
{
	memset(c, 0, sizeof(*c));
	c->out = out;
}

void pl_cpio_dir(struct pl_cpio *c, const char *name)
{
	cpio_entry(c, name, 0040755, 0, 0, NULL, 0);
}

void pl_cpio_file(struct pl_cpio *c, const char *name, unsigned int mode, const void *data,
		  size_t len)
{
	cpio_entry(c, name, 0100000 | (mode & 07777), 0, 0, data, len);
}

void pl_cpio_chardev(struct pl_cpio *c, const char *name, unsigned int major,
		     unsigned int minor)
{
	cpio_entry(c, name, 0020600, major, minor, NULL, 0);
}

int pl_cpio_end(struct pl_cpio *c)
{
	c->ino = 0;
	cpio_entry(c, "TRAILER!!!", 0, 0, 0, NULL, 0);
	if (!c->err && fflush(c->out))
		c->err = -EIO;
	return c->err;
}

/* ---------------------------------------------------------------------------
 * Modules.
 */
struct mod {
	char name[64];			/* normalized: '-' -> '_' */
	char *path;
	int state;			/* 0 new, 1 visiting, 2 placed */
};

struct modset {
	struct mod *v;
	int n, cap;
	char **builtin;			/* names built into the kernel */
	int nr_builtin;
	struct pl_cpio *c;
	FILE *notes;
	char order[8192];		/* /pinlab/modules */
	size_t olen;
};

/* "fs/ext4/ext4.ko.xz" -> "ext4"; '-' and '_' are the same in module names. */
static void mod_name(const char *path, char *out, size_t len)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strcspn(b, ".");
	if (n >= len)
		n = len - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = b[i] == '-' ? '_' : b[i];
	out[n] = 0;
}

static void mod_walk(struct modset *m, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d || depth > 8) {
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d))) {
		char path[PL_KPATH + 256];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    lstat(path, &st))
			continue;
		if (S_ISDIR(st.st_mode)) {
			mod_walk(m, path, depth + 1);
		} else if (S_ISREG(st.st_mode) && strstr(e->d_name, ".ko")) {
			struct mod *x;

			if (m->n == m->cap) {
				int cap = m->cap ? 2 * m->cap : 1024;
				struct mod *nv = realloc(m->v, (size_t)cap * sizeof(*nv));

				if (!nv)
					break;
				m->v = nv;
				m->cap = cap;
			}
			x = &m->v[m->n];
			memset(x, 0, sizeof(*x));

			mod_name(e->d_name, x->name, sizeof(x->name));
			x->path = strdup(path);
			if (x->path)
				m->n++;
		}
	}
	closedir(d);
}

static void mod_builtin(struct modset *m, const char *moddir)
{
	char path[PL_KPATH + 32], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/modules.builtin", moddir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char name[64], **nb;

		line[strcspn(line, "\n")] = 0;
		mod_name(line, name, sizeof(name));
		nb = realloc(m->builtin, (size_t)(m->nr_builtin + 1) * sizeof(*nb));
		if (!nb)
			break;
		m->builtin = nb;
		if (!(m->builtin[m->nr_builtin] = strdup(name)))
			break;
		m->nr_builtin++;
	}
	fclose(f);
}

static bool mod_is_builtin(const struct modset *m, const char *name)
{
	for (int i = 0; i < m->nr_builtin; i++)
		if (!strcmp(m->builtin[i], name))
			return true;
	return false;
}

static struct mod *mod_find(struct modset *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

/* The whole output of `tool -dc path` (malloc), or NULL. */
static char *mod_decompress(const char *tool, const char *path, size_t *len)
{
	int p[2], st;
	pid_t pid;
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (pipe2(p, O_CLOEXEC))
		return NULL;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return NULL;
	}
	if (!pid) {
		dup2(p[1], STDOUT_FILENO);
		execlp(tool, tool, "-dc", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t got;

		if (n == cap) {
			char *nb = realloc(buf, cap ? 2 * cap : 1 << 20);

			if (!nb)
				break;
			buf = nb;
			cap = cap ? 2 * cap : 1 << 20;
		}
		got = read(p[0], buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) || !n) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static char *mod_read(const struct mod *x, size_t *len, const char **why)
{
	static const struct {
		const char *ext, *tool;
	} z[] = { { ".ko.xz", "xz" }, { ".ko.zst", "zstd" }, { ".ko.gz", "gzip" } };
	size_t pl = strlen(x->path);
	FILE *f;
	char *buf;
	long n;

	for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++) {
		size_t el = strlen(z[i].ext);

		if (pl > el && !strcmp(x->path + pl - el, z[i].ext)) {
			buf = mod_decompress(z[i].tool, x->path, len);
			if (!buf)
				*why = z[i].tool;
			return buf;
		}
	}
	f = fopen(x->path, "rbe");
	if (!f)
		return NULL;
	buf = NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

static uint64_t rd(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* The value of "depends=" in the .modinfo section of a 64-bit ELF module; "" if none. */
static void mod_depends(const unsigned char *e, size_t len, char *out, size_t outlen)
{
	uint64_t shoff, stroff = 0, strsize = 0;
	unsigned int shentsize, shnum, shstrndx;

	out[0] = 0;
	if (len < 64 || memcmp(e, "\177ELF", 4) || e[4] != 2 || e[5] != 1)
		return;
	shoff = rd(e + 0x28, 8);
	shentsize = (unsigned int)rd(e + 0x3a, 2);
	shnum = (unsigned int)rd(e + 0x3c, 2);
	shstrndx = (unsigned int)rd(e + 0x3e, 2);
	if (shentsize < 64 || shoff > len || (uint64_t)shnum * shentsize > len - shoff ||
	    shstrndx >= shnum)
		return;
	stroff = rd(e + shoff + (uint64_t)shstrndx * shentsize + 24, 8);
	strsize = rd(e + shoff + (uint64_t)shstrndx * shentsize + 32, 8);
	if (stroff > len || strsize > len - stroff)
		return;
	for (unsigned int i = 0; i < shnum; i++) {
		const unsigned char *sh = e + shoff + (uint64_t)i * shentsize;
		uint64_t name = rd(sh, 4), off = rd(sh + 24, 8), size = rd(sh + 32, 8);

		if (name + 9 > strsize || memcmp(e + stroff + name, ".modinfo", 9) ||
		    off > len || size > len - off)
			continue;
		for (uint64_t p = off; p < off + size;) {
			const char *s = (const char *)e + p;
			size_t sl = strnlen(s, off + size - p);

			if (sl > 8 && !strncmp(s, "depends=", 8)) {
				snprintf(out, outlen, "%.*s", (int)(sl - 8), s + 8);
				return;
			}
			p += sl + 1;
		}
	}
}

static void mod_place(struct modset *m, const char *name, bool wanted)
{
	struct mod *x = mod_find(m, name);
	char deps[512], *save = NULL, cname[128];
	const char *why = NULL;
	size_t len = 0;
	char *data;

	if (!x) {
		if (!mod_is_builtin(m, name) && wanted)
			fprintf(m->notes, "module %s: not found in %s and not built in\n", name,
				"the kernel's modules");
		return;
	}
	if (x->state)
		return;		/* placed, or a cycle (cannot happen with depends=) */
	x->state = 1;
	data = mod_read(x, &len, &why);
	if (!data) {
		fprintf(m->notes, "module %s: %s%s\n", name,
			why ? "cannot decompress it, no working " : "cannot read ", why ? why : x->path);
		return;
	}
	mod_depends((const unsigned char *)data, len, deps, sizeof(deps));
	for (char *d = strtok_r(deps, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
		char dn[64];

		mod_name(d, dn, sizeof(dn));
		mod_place(m, dn, true);
	}
	snprintf(cname, sizeof(cname), "lib/modules/%s.ko", name);
	pl_cpio_file(m->c, cname, 0644, data, len);
	free(data);
	if (m->olen + strlen(name) + 2 < sizeof(m->order))
		m->olen += (size_t)snprintf(m->order + m->olen, sizeof(m->order) - m->olen, "%s\n",
					    name);
	x->state = 2;
}

int pl_initramfs_modules(struct pl_cpio *c, const char *moddir, FILE *notes)
{
	/*
	 * The disks are virtio-blk (virtio_pci brings the PCI transport);
	 * crc32c_generic first because ext4 and jbd2 ask the crypto API for
	 * "crc32c" at mount time, which in the guest cannot load modules.
	 */
	static const char *const wanted[] = { "virtio_pci", "virtio_blk", "crc32c_generic",
					      "ext4" };
	struct modset m;
	char kdir[PL_KPATH + 16];

	memset(&m, 0, sizeof(m));
	m.c = c;
	m.notes = notes;
	pl_cpio_dir(c, "lib");
	pl_cpio_dir(c, "lib/modules");
	if (!moddir || !moddir[0]) {
		fprintf(notes, "no modules directory for this kernel: ext4, virtio_blk and the"
			       " rest must be built in\n");
		pl_cpio_file(c, PL_GUEST_MODULES + 1, 0644, "", 0);
		return c->err;
	}
	snprintf(kdir, sizeof(kdir), "%s/kernel", moddir);
	mod_walk(&m, kdir, 0);
	mod_builtin(&m, moddir);
	for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
		mod_place(&m, wanted[i], strcmp(wanted[i], "crc32c_generic") != 0);
	pl_cpio_file(c, PL_GUEST_MODULES + 1, 0644, m.order, m.olen);
	for (int i = 0; i < m.n; i++)
		free(m.v[i].path);
	for (int i = 0; i < m.nr_builtin; i++)
		free(m.builtin[i]);
	free(m.builtin);
	free(m.v);
	return c->err;
}
