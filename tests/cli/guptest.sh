#!/usr/bin/env bash
# Description: the CONFIG_GUP_TEST kernel (make gup-test-kernel,
# docs/kernels.md): `pinlab kernels` lists it with 6.12's preset,
# `--kernel 6.12-guptest` selects it (and plain `6.12` does not), and
# tools/kselftest-compare.sh runs the kernel's own cow.c and gup_longterm.c
# and pinlab's cow/, gup_longterm/ and seeds/ in one guest with 2 MiB hugetlb
# pages: every pinlab run meets its expectation (so `diff --kernel` would
# show no disagreement) and the two suites agree test by test.
#
# Exit 77 (with the reason) without the kernel image (.ci/run builds it),
# without qemu, the source package or a compiler, and in sanitizer builds
# (one boot of a few minutes under TCG; tests/cli/guest-replay.sh covers the
# transcript code everywhere).
# Usage: tests/cli/guptest.sh BUILD_DIR
set -u
# whole lines to grep: text output wraps at 100 columns unless COLUMNS says otherwise
export COLUMNS=10000
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
A01=scenarios/cow/a01-basic-cow-after-fork.pin

bad() { echo "FAIL $*"; fail=1; }

# --- a K with the tag but no such image: every run skipped, with the reason,
# and a --kernel run where everything skipped exits 3 (0f26679)
"$P" probe --kernel 9.9-guptest "$A01" --backing base >"$t/out" 2>"$t/err"
st=$?
if [ $st -ne 3 ] || ! grep -q "no kernel image matches '9.9-guptest'" "$t/err"; then
	bad "no image: exit $st"; cat "$t/out" "$t/err" | head -5
fi

case $(basename "$B") in
*asan* | *tsan*)
	echo "# SKIP the GUP_TEST guest runs in the plain build only (TCG is slow)"
	exit $((fail ? 1 : 77)) ;;
esac
export PINLAB_KERNELS="$B/kernels"
"$P" kernels >"$t/kernels" 2>&1 || bad "pinlab kernels: exit $?"
rel=$(awk '$1 ~ /^6\.12\.[0-9]+-guptest$/ { r = $1 } END { print r }' "$t/kernels")
if [ -z "$rel" ]; then
	echo "# SKIP no GUP_TEST kernel in $B/kernels (make gup-test-kernel builds it)"
	exit $((fail ? 1 : 77))
fi
# the preset of its release, as for Debian's 6.12 (v6.9 .. v6.12 as presets were added)
grep -qE "^$rel +(v6\.(9|1[0-2])|6\.12\.[0-9]+) " "$t/kernels" || bad "kernels: $rel: not a 6.12 preset"

# --- selection (JSON's "kernel" is the image's release even when nothing boots):
# the tag selects it, plain 6.12 never does
PATH=/nonexistent "$P" probe --kernel 6.12-guptest "$A01" --backing base --format json \
	>"$t/out" 2>"$t/err"
st=$?
if [ $st -ne 3 ] || ! grep -q "\"kernel\": \"$rel\".*\"outcome\": \"skip\"" "$t/out"; then
	bad "--kernel 6.12-guptest without qemu: exit $st"; cat "$t/out" "$t/err" | head -5
fi
PATH=/nonexistent "$P" probe --kernel 6.12 "$A01" --backing base --format json >"$t/out" 2>&1
if grep -q 'guptest' "$t/out"; then
	bad "--kernel 6.12 selected the GUP_TEST kernel"; head -3 "$t/out"
fi

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "# SKIP qemu-system-x86_64 not installed (Debian: qemu-system-x86)"
	exit $((fail ? 1 : 77))
fi

# --- the kernel's suites beside pinlab's, in one guest
bash tools/kselftest-compare.sh "$B" >"$t/cmp" 2>&1
st=$?
cat "$t/cmp"
if [ $st -eq 77 ]; then
	echo "# SKIP $(grep -m1 SKIP "$t/cmp")"
	exit $((fail ? 1 : 77))
fi
last=$(tail -n1 "$t/cmp")
[ $st -eq 0 ] && [ "$last" = "kselftest-compare: 0 disagreements" ] ||
	bad "kselftest-compare: exit $st: $last"
for s in cow gup_longterm; do
	# every kernel name has a row, and some of them agree
	grep -qE "^$s +[0-9]+ +[1-9][0-9]* +0 " "$t/cmp" || bad "kselftest-compare: no agreeing $s row"
done
exit $fail
