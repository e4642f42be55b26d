#!/usr/bin/env bash
# tools/gup-test-kernel.sh [DIR] - build the CONFIG_GUP_TEST kernel for
# `pinlab probe/diff --kernel 6.12-guptest` and `make kselftest-compare`
# (docs/kernels.md, "The GUP_TEST kernel").
#
# Source: Debian's linux-source-6.12 (/usr/src/linux-source-6.12.tar.xz),
# installed with apt-get when it is missing and we are root.  Configuration:
# `make tinyconfig`, then every line of tools/gup-test-kernel.config applied
# with scripts/config, then `make olddefconfig`; every line of the fragment
# must have survived.  Then `make bzImage` (-j$JOBS, default 2, at nice 10).
#
# The image lands in DIR/guptest-<source version>-<fragment hash>/boot/
# vmlinuz-<release> (with config-<release> beside it), where pinlab's image
# search (DIR/*/boot/vmlinuz-*) finds it; an image already there for the same
# source version and fragment is reused, and a new build removes the older
# guptest-* images.  The source tree is unpacked into
# DIR/.guptest-work and removed after a successful build, unless
# GUPTEST_KEEP_TREE=1: then it stays, and the next build with the same source
# version reuses it (a changed fragment rebuilds only what it touches).
#
# A missing source package or toolchain is a skip: a line saying what is
# missing, exit 0, and no image (the tests that need it skip with a reason).
# A build that fails is an error (exit 1).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-build/kernels}
frag=$here/gup-test-kernel.config
pkg=linux-source-6.12
tarball=/usr/src/$pkg.tar.xz
jobs=${JOBS:-2}

skip() {
	echo "gup-test-kernel: SKIP: $*" >&2
	exit 0
}

die() {
	echo "gup-test-kernel: error: $*" >&2
	exit 1
}

if [ ! -r "$tarball" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "gup-test-kernel: installing $pkg"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" \
		>/dev/null 2>&1 || echo "gup-test-kernel: apt-get install $pkg failed" >&2
fi
[ -r "$tarball" ] || skip "$tarball not found (apt-get install $pkg)"

missing=
for tool in gcc ld make flex bison bc perl xz tar sha256sum; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
# objtool (x86-64's ORC unwinder) needs libelf's headers
[ -r /usr/include/gelf.h ] || missing="$missing libelf-dev"
[ -z "$missing" ] || skip "missing to build a kernel:$missing (apt-get install build-essential" \
	"flex bison bc libelf-dev)"

srcver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null) ||
	srcver=$(stat -c '%s-%Y' "$tarball")
srcver=$(printf '%s' "$srcver" | tr -c 'A-Za-z0-9.+-' '_')
hash=$(sha256sum "$frag" | cut -c1-12)
out=$dir/guptest-$srcver-$hash

if ls "$out"/boot/vmlinuz-* >/dev/null 2>&1; then
	echo "gup-test-kernel: $(ls "$out"/boot/vmlinuz-*): already built"
	exit 0
fi

mkdir -p "$dir" || die "cannot create $dir"
work=$dir/.guptest-work
start=$(date +%s)
rm -rf "$out.partial"
if [ "$(cat "$work/.srcver" 2>/dev/null)" = "$srcver" ]; then
	echo "gup-test-kernel: reusing the tree in $work ($pkg $srcver)"
else
	rm -rf "$work"
	mkdir -p "$work" || die "cannot create $work"
	echo "gup-test-kernel: unpacking $tarball ($pkg $srcver)"
	tar -xJf "$tarball" -C "$work" || die "cannot unpack $tarball"
	echo "$srcver" >"$work/.srcver"
fi
mkdir -p "$out.partial/boot" || die "cannot create $out.partial"
src=$(find "$work" -mindepth 2 -maxdepth 2 -name Makefile -printf '%h\n' | head -n1)
[ -n "$src" ] || die "no kernel tree in $tarball"

kmake() {
	nice -n 10 make -C "$src" ARCH=x86_64 "$@"
}

echo "gup-test-kernel: tinyconfig + $(basename "$frag")"
kmake -s tinyconfig >/dev/null || die "make tinyconfig failed"

# The fragment's lines: CONFIG_X=y, CONFIG_X="string", CONFIG_X=number and
# "# CONFIG_X is not set".  Everything else is a comment.
want=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=y)
		name=${line%%=*}; "$src/scripts/config" --file "$src/.config" --enable "${name#CONFIG_}" ;;
	CONFIG_*=\"*\")
		name=${line%%=*}; val=${line#*=}; val=${val#\"}; val=${val%\"}
		"$src/scripts/config" --file "$src/.config" --set-str "${name#CONFIG_}" "$val" ;;
	CONFIG_*=*)
		name=${line%%=*}
		"$src/scripts/config" --file "$src/.config" --set-val "${name#CONFIG_}" "${line#*=}" ;;
	"# CONFIG_"*" is not set")
		name=${line#\# }; name=${name%% *}
		"$src/scripts/config" --file "$src/.config" --disable "${name#CONFIG_}" ;;
	*)
		continue ;;
	esac || die "scripts/config failed on: $line"
	want+=("$line")
done < "$frag"
kmake -s olddefconfig >/dev/null || die "make olddefconfig failed"
lost=0
for line in "${want[@]}"; do
	case $line in
	"# CONFIG_"*)
		name=${line#\# }; name=${name%% *}
		grep -q "^$name=" "$src/.config" || continue ;;
	*)
		grep -qxF "$line" "$src/.config" && continue ;;
	esac
	echo "gup-test-kernel: olddefconfig did not keep: $line" >&2
	lost=1
done
[ "$lost" -eq 0 ] || die "the fragment does not apply to $pkg $srcver (see above)"

echo "gup-test-kernel: make -j$jobs bzImage (several minutes)"
kmake -s -j"$jobs" bzImage >"$work/build.log" 2>&1 || {
	tail -n 30 "$work/build.log" >&2
	die "make bzImage failed (log: $work/build.log)"
}
release=$(kmake -s kernelrelease) || die "make kernelrelease failed"
cp "$src/arch/x86/boot/bzImage" "$out.partial/boot/vmlinuz-$release" &&
	cp "$src/.config" "$out.partial/boot/config-$release" &&
	cp "$frag" "$out.partial/boot/gup-test-kernel.config" || die "cannot copy the image"
rm -rf "$out"
mv "$out.partial" "$out" || die "cannot move the image into $out"
# older builds (another source version or fragment) would match 6.12-guptest too
for old in "$dir"/guptest-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
[ "${GUPTEST_KEEP_TREE:-0}" = 1 ] || rm -rf "$work"
echo "gup-test-kernel: $out/boot/vmlinuz-$release built in $(( $(date +%s) - start )) s"
