/*
 * kimage.c - finding kernel images and mapping their versions to presets.
 *
 * The release of an image comes from the image itself: an x86 bzImage has a
 * setup header ("HdrS" at 0x202) whose kernel_version field (0x20e) points,
 * relative to 0x200, at the version string "6.1.0-56-amd64 (debian-kernel@..."
 * whose first word is `uname -r`.  The file name is only a fallback.
 */
#include "guest/guest.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pinlab/core.h"

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static bool is_file(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode);
}

/* "6.12.117+deb12-amd64" -> {6, 12, 117}; missing parts are 0. */
static void parse_version(const char *s, int v[3])
{
	v[0] = v[1] = v[2] = 0;
	for (int i = 0; i < 3; i++) {
		char *end;
		long n = strtol(s, &end, 10);

		if (end == s)
			break;
		v[i] = (int)n;
		if (*end != '.')
			break;
		s = end + 1;
	}
}

static int cmp_version(const int a[3], const int b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/*
 * The release string in a bzImage header, or "" if it has none; @full gets
 * the whole version string ("6.1.0-27-amd64 (...) #1 SMP ... Debian
 * 6.1.192-3 ..."), which names a distribution kernel's stable release.
 */
static void image_release(const char *path, char *out, size_t len, char *full, size_t flen)
{
	unsigned char hdr[0x210];
	char buf[128];
	uint16_t off;
	size_t n;
	FILE *f = fopen(path, "rbe");

	out[0] = 0;
	full[0] = 0;
	if (!f)
		return;
	if (fread(hdr, 1, sizeof(hdr), f) == sizeof(hdr) && !memcmp(hdr + 0x202, "HdrS", 4)) {
		off = (uint16_t)(hdr[0x20e] | hdr[0x20f] << 8);
		if (off && !fseek(f, (long)off + 0x200, SEEK_SET)) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			buf[n] = 0;
			snprintf(full, flen, "%s", buf);
			buf[strcspn(buf, " ")] = 0;
			snprintf(out, len, "%s", buf);
		}
	}
	fclose(f);
}

/* Fill @k for the image at @path; false if it is not a bzImage with a release. */
static bool image_load(const char *path, struct pl_kimage *k)
{
	char dir[PL_KPATH], full[128], *slash;
	const char *base;

	memset(k, 0, sizeof(*k));
	if (!is_file(path))
		return false;
	snprintf(k->path, sizeof(k->path), "%s", path);
	image_release(path, k->release, sizeof(k->release), full, sizeof(full));
	if (!k->release[0]) {
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (strncmp(base, "vmlinuz-", 8))
			return false;
		snprintf(k->release, sizeof(k->release), "%s", base + 8);
	}
	parse_version(k->release, k->version);
	k->preset = pl_preset_for_kernel(full[0] ? full : k->release)->name;
	/* Modules: PKG/lib/modules/R beside PKG/boot/, else this machine's. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), ".");
	{
		static const char *const rel[] = { "../lib/modules", "../usr/lib/modules",
						   "/lib/modules", "/usr/lib/modules" };
		char m[PL_KPATH + 160];

		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			if (rel[i][0] == '/')
				snprintf(m, sizeof(m), "%s/%s", rel[i], k->release);
			else
				snprintf(m, sizeof(m), "%s/%s/%s", dir, rel[i], k->release);
			if (strlen(m) < sizeof(k->moddir) && is_dir(m)) {
				snprintf(k->moddir, sizeof(k->moddir), "%s", m);
				break;
			}
		}
	}
	return true;
}

struct klist {
	struct pl_kimage *v;
	int n, max;
};

static void scan_boot(struct klist *l, const char *boot)
{
	struct dirent **ents;
	int n = scandir(boot, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char path[PL_KPATH];

		if (!strncmp(ents[i]->d_name, "vmlinuz-", 8) && l->n < l->max &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", boot, ents[i]->d_name) <
			    sizeof(path) &&
		    image_load(path, &l->v[l->n]))
			l->n++;
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static int kimage_cmp(const void *a, const void *b)
{
	const struct pl_kimage *x = a, *y = b;
	int c = cmp_version(x->version, y->version);

	return c ? c : strcmp(x->path, y->path);
}

int pl_kimages_find(const char *const *dirs, int nr_dirs, struct pl_kimage *out, int max)
{
	struct klist l = { out, 0, max };

	scan_boot(&l, "/boot");
	for (int d = 0; d < nr_dirs; d++) {
		struct dirent **ents;
		int n = scandir(dirs[d], &ents, NULL, alphasort);

		for (int i = 0; i < n; i++) {
			char boot[PL_KPATH];

			if (ents[i]->d_name[0] != '.' &&
			    (size_t)snprintf(boot, sizeof(boot), "%s/%s/boot", dirs[d],
					     ents[i]->d_name) < sizeof(boot) && is_dir(boot))
				scan_boot(&l, boot);
			free(ents[i]);
		}
		if (n >= 0)
			free(ents);
	}
	qsort(out, (size_t)l.n, sizeof(*out), kimage_cmp);
	return l.n;
}

int pl_kimage_resolve(const char *k, const char *const *dirs, int nr_dirs,
		      struct pl_kimage *out, char *why, size_t whylen)
{
	struct pl_kimage *all;
	size_t kl = strlen(k), tl = strlen(PL_KIMAGE_GUPTEST_TAG);
	int n, best = -1;

	if (strchr(k, '/') || is_file(k)) {
		if (image_load(k, out))
			return 0;
		snprintf(why, whylen, "no kernel image at %s", k);
		return -ENOENT;
	}
	all = calloc(64, sizeof(*all));
	if (!all) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	n = pl_kimages_find(dirs, nr_dirs, all, 64);
	/*
	 * "6.12-guptest" selects the releases tagged -guptest (the GUP_TEST
	 * kernel, tools/gup-test-kernel.sh) whose version starts with 6.12; a
	 * plain "6.12" never selects a tagged one, so it keeps naming the
	 * distribution's kernel even when the tagged build is newer.
	 */
	bool want_tag = kl > tl && !strcmp(k + kl - tl, PL_KIMAGE_GUPTEST_TAG);

	if (want_tag)
		kl -= tl;
	/* Sorted oldest first: the last match is the newest. */
	for (int i = 0; i < n; i++) {
		size_t rl = strlen(all[i].release);
		bool tagged = rl > tl && !strcmp(all[i].release + rl - tl, PL_KIMAGE_GUPTEST_TAG);

		if (tagged == want_tag && !strncmp(all[i].release, k, kl) &&
		    !(all[i].release[kl] >= '0' && all[i].release[kl] <= '9'))
			best = i;
	}
	if (best >= 0)
		*out = all[best];
	else
		snprintf(why, whylen, "no kernel image matches '%s' (see 'pinlab kernels')", k);
	free(all);
	return best >= 0 ? 0 : -ENOENT;
}
