#!/usr/bin/env bash
# tests/cli/regress.sh BUILD_DIR - replay tests/regress/ through the fuzz
# targets built without libFuzzer (BUILD_DIR/fuzz/replay-fuzz_NAME, from
# fuzz/fuzz_NAME.c + fuzz/replay.c; docs/testing.md "Fuzzing").
#
# tests/regress/fuzz_NAME-SHORT.{pin,bin} is an input of target fuzz_NAME:
# every crash the fuzzers found (minimised) and a few seeds per target.
# Each target checks its own properties and aborts on a violation; here each
# input must run to completion (exit 0), under the plain and the ASan build.
set -uo pipefail
build=${1:?usage: tests/cli/regress.sh BUILD_DIR}
cd "$(dirname "$0")/../.." || exit 2
export LC_ALL=C
shopt -s nullglob

fail=0 n=0
for prog in "$build"/fuzz/replay-fuzz_*; do
	name=${prog##*/replay-}
	inputs=(tests/regress/"$name"-*)
	if [ ${#inputs[@]} -eq 0 ]; then
		echo "not ok - $name: no inputs in tests/regress/"
		fail=1
		continue
	fi
	for f in "${inputs[@]}"; do
		n=$((n + 1))
		if out=$("$prog" "$f" 2>&1); then
			echo "ok - $name $f"
		else
			echo "not ok - $name $f"
			printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
			fail=1
		fi
	done
done
# every input belongs to a target that exists
for f in tests/regress/*; do
	base=${f##*/}
	name=${base%%-*}
	if [ ! -x "$build/fuzz/replay-$name" ]; then
		echo "not ok - $f: no target $name ($build/fuzz/replay-$name)"
		fail=1
	fi
done
[ "$n" -gt 0 ] || { echo "no replay programs in $build/fuzz/"; exit 1; }
echo "$n inputs replayed"
exit $fail
