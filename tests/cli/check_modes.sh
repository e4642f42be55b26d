#!/usr/bin/env bash
# Description: the incremental checker.  After each step the checker re-reads
# only what the step changed or what is mapped (--check=changed, the
# default); --check=full rescans every page of every folio and every
# page-cache slot.  The whole catalog must give byte-identical JSON both
# ways, including the runs whose eras break kernel rules (the comparison is
# not vacuous: some runs report violations).  Four eras (v4.8, v5.8, v6.1,
# latest) in a plain build, one under ASan: the full rescan is slow, and the
# test must fit its time limit on a loaded machine.  A bad --check value is
# a usage error (exit 2).
# Usage: tests/cli/check_modes.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

[ -x "$P" ] || { echo "# SKIP $P not built"; exit 77; }

case $B in
*asan*)	presets=(latest) ;;
*)	presets=(v4.8 v5.8 v6.1 latest) ;;
esac

st1=0 st2=0
for p in "${presets[@]}"; do
	"$P" run scenarios/ --preset "$p" --format json >>"$t/changed.json" 2>>"$t/changed.err" ||
		st1=$?
	"$P" run scenarios/ --preset "$p" --format json --check=full >>"$t/full.json" \
		2>>"$t/full.err" || st2=$?
done
if [ "$st1" != "$st2" ]; then
	echo "FAIL: exit $st1 with --check=changed, $st2 with --check=full"
	fail=1
fi
if ! cmp -s "$t/changed.json" "$t/full.json"; then
	echo "FAIL: --check=changed and --check=full differ:"
	diff "$t/changed.json" "$t/full.json" | head -20
	fail=1
fi
if ! grep -q '"violations": \[{' "$t/full.json"; then
	echo "FAIL: no run reported a violation: the comparison shows nothing"
	fail=1
fi
n=$(wc -l <"$t/full.json")
[ "$n" -gt 0 ] || { echo "FAIL: no results"; fail=1; }
echo "$n runs, $(grep -c '"violations": \[{' "$t/full.json") with violations, identical"

"$P" run scenarios/cow --check=sometimes >"$t/out" 2>"$t/err"
st=$?
if [ "$st" != 2 ] || ! grep -q -- "--check expects full or changed, found 'sometimes'" "$t/err"; then
	echo "FAIL: --check=sometimes: exit $st, $(head -2 "$t/err")"
	fail=1
fi
exit $fail
