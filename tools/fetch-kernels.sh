#!/usr/bin/env bash
# tools/fetch-kernels.sh [DIR] - unpack Debian's 6.1 and 6.12 kernel images into DIR
# (default build/kernels) for `pinlab probe/diff --kernel` and tests/cli/kernels.sh.
#
# Nothing is installed: the packages are fetched with `apt-get download` and
# unpacked with `dpkg-deb -x` into DIR/PACKAGE/ (boot/vmlinuz-* and
# lib/modules/*), so the host's /boot and /lib/modules stay untouched.  The
# package names come from Debian's meta-packages (linux-image-amd64 for 6.1,
# linux-image-6.12-amd64 for 6.12), so they follow the archive's current ABI.
# A kernel that cannot be fetched is reported and left out (exit 0): the tests
# that want it skip with that reason.
set -uo pipefail

dir=${1:-build/kernels}
mkdir -p "$dir" || exit 1

for meta in linux-image-amd64 linux-image-6.12-amd64; do
	pkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$pkg" ]; then
		echo "fetch-kernels: $meta: no linux-image package found (apt-get update?); skipped" >&2
		continue
	fi
	if ls "$dir/$pkg"/boot/vmlinuz-* >/dev/null 2>&1; then
		echo "fetch-kernels: $pkg: already in $dir"
		continue
	fi
	tmp=$(mktemp -d) || exit 1
	if (cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) &&
	   dpkg-deb -x "$tmp"/"$pkg"_*.deb "$dir/$pkg.partial"; then
		rm -rf "$dir/$pkg"
		mv "$dir/$pkg.partial" "$dir/$pkg"
		echo "fetch-kernels: $pkg: unpacked into $dir/$pkg"
	else
		rm -rf "$dir/$pkg.partial"
		echo "fetch-kernels: $pkg: download or unpack failed; skipped" >&2
	fi
	rm -rf "$tmp"
done
exit 0
