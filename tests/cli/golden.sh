#!/usr/bin/env bash
# Description: golden outputs.  Each tests/golden/NAME.args holds the
# arguments of one pinlab command (run from the top of the tree); its stdout
# and stderr, followed by a line "[exit N]", must equal NAME.expected byte
# for byte.  UPDATE=1 rewrites the .expected files instead of comparing.
# Usage: tests/cli/golden.sh BUILD_DIR
set -u
unset COLUMNS	# text output at its default width (100: not a terminal)
B=${1:?build dir}
P="$B/pinlab"
fail=0 n=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

for args in tests/golden/*.args; do
	name=${args%.args}
	n=$((n + 1))
	# shellcheck disable=SC2046 # the file holds words, no quoting
	"$P" $(cat "$args") >"$t/out" 2>&1 </dev/null
	echo "[exit $?]" >>"$t/out"
	if [ "${UPDATE:-0}" = 1 ]; then
		cp "$t/out" "$name.expected"
		echo "updated $name.expected"
	elif ! cmp -s "$t/out" "$name.expected"; then
		echo "FAIL $name: output differs from $name.expected (UPDATE=1 to accept):"
		diff -u "$name.expected" "$t/out" | head -40
		fail=1
	else
		echo "ok $name"
	fi
done
[ "$n" -ge 6 ] || { echo "FAIL only $n golden cases"; fail=1; }
exit $fail
