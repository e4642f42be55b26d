#!/usr/bin/env bash
# Description: a systematic search for duplicate diagnostics (issue 21, item
# 10: one error per cause).  `pinlab check` runs over every input of
# tests/errors and tests/regress/fuzz_front-*, and over mutants of every
# catalog scenario made here (each `backing` line with every name twice and
# `base` and a made-up name three times; each mapping name undefined at every use; each
# step line written twice; each line cut in half); the test fails on any
# file with two errors for one cause: the same line:col twice, or the same
# message twice on one line.  The fuzz_front corpus of a `make fuzz` run can
# be searched the same way: tests/cli/diagdup.sh BUILD_DIR DIR...
# Usage: tests/cli/diagdup.sh BUILD_DIR [DIR...]
set -u
B=${1:?build dir}
shift
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }
export LC_ALL=C

mkdir -p "$t/in"
n=0
add() {	# add NAME < TEXT
	n=$((n + 1))
	cat >"$t/in/$n-$1"
}
for f in tests/errors/*.pin tests/regress/fuzz_front-*.pin; do
	[ -f "$f" ] && add "$(basename "$f")" <"$f"
done
for d in "$@"; do
	for f in "$d"/*; do
		[ -f "$f" ] && add "$(basename "$f").pin" <"$f"
	done
done
while IFS= read -r f; do
	b=$(basename "$f" .pin)
	# every backing name twice, and an unknown one three times
	add "$b-backing2.pin" < <(awk '/^backing / { l = $0; sub(/^backing /, "", l)
		$0 = "backing " l " " l " base base base nope-4k nope-4k nope-4k" } { print }' "$f")
	# the first mapping's name undefined wherever it is used
	m=$(sed -n 's/^[A-Za-z0-9_]*: *\([A-Za-z_][A-Za-z0-9_]*\) *= *mmap .*/\1/p' "$f" | head -1)
	if [ -n "$m" ]; then
		add "$b-undef.pin" < <(sed "s/^\([A-Za-z0-9_]*: *\)$m *= *mmap /\1zz_$m = mmap /" "$f")
	fi
	# every step twice (names defined twice, processes forked twice ...)
	add "$b-twice.pin" < <(awk '{ print } /^[A-Za-z0-9_]+: / { print }' "$f")
	# every line cut in half
	add "$b-half.pin" < <(awk '{ print substr($0, 1, int(length($0) / 2)) }' "$f")
done < <(find scenarios -name '*.pin' | sort)

# one check of every input; stderr lines FILE:LINE:COL: error: MESSAGE
"$P" check "$t/in" >/dev/null 2>"$t/err"
st=$?
[ $st -eq 2 ] || bad "check of $n inputs: exit $st (expected 2: they are wrong)"
errs=$(grep -c ": error: " "$t/err")
[ "$errs" -gt "$n" ] || bad "only $errs errors for $n inputs: the mutants did not break"
# same file:line:col twice, or same file:line and message twice
sed -n 's/^\(.*\):\([0-9]*\):\([0-9]*\): error: \(.*\)$/\1\t\2\t\3\t\4/p' "$t/err" >"$t/tab"
awk -F'\t' '{ if (loc[$1 FS $2 FS $3]++) print "same place: " $1 ":" $2 ":" $3 ": " $4
	      if (msg[$1 FS $2 FS $4]++) print "same message on one line: " $1 ":" $2 ":" $3 ": " $4 }' \
	"$t/tab" >"$t/dups"
if [ -s "$t/dups" ]; then
	bad "$(wc -l <"$t/dups") duplicate diagnostics:"
	sed 's|^|    |; s|'"$t"'/in/||' "$t/dups" | head -20
fi
echo "# $n inputs, $errs errors, $(wc -l <"$t/dups") duplicates"
exit $fail
