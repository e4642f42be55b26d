#!/usr/bin/env bash
# Description: KTAP output joins the kernel's selftest output line by line.
# `pinlab run scenarios/cow --format ktap` (and scenarios/gup_longterm) names
# every test line as the kernel's cow.c (gup_longterm.c) names it, so each
# of the 778 (50) names in tests/data/kselftest-names.txt -- the names a
# 6.18 kernel printed -- is found exactly once, and every pinlab line carries
# one of them; the KTAP test numbers are the kernel's too (the catalog runs
# the rows in the kernel's order).  Scenarios outside the mirror keep
# pinlab's own name.
# Usage: tests/cli/ktap-names.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
NAMES=tests/data/kselftest-names.txt
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }

for d in cow gup_longterm; do
	"$P" run "scenarios/$d" --format ktap >"$t/$d.ktap"; st=$?
	[ $st = 0 ] || bad "run scenarios/$d --format ktap: exit $st"
	# "ok N NAME [PRESET BACKING] ID" -> "N<TAB>NAME"
	sed -nE 's/^(not )?ok ([0-9]+) (.*) \[[^]]*\] [^ ]+( # .*)?$/\2\t\3/p' "$t/$d.ktap" >"$t/$d.got"
	grep -E "^$d [0-9]+	" "$NAMES" | sed -E "s/^$d //" >"$t/$d.want"
	lines=$(grep -cE '^(not )?ok [0-9]+ ' "$t/$d.ktap")
	got=$(wc -l <"$t/$d.got")
	want=$(wc -l <"$t/$d.want")
	# join on the name: each kernel name once among pinlab's lines
	joined=$(join -t '	' -1 2 -2 2 <(sort -t '	' -k2 "$t/$d.got") \
		<(sort -t '	' -k2 "$t/$d.want") | wc -l)
	same_number=$(join -t '	' -1 2 -2 2 <(sort -t '	' -k2 "$t/$d.got") \
		<(sort -t '	' -k2 "$t/$d.want") | awk -F'\t' '$2 == $3' | wc -l)
	echo "$d: $joined/$want kernel names joined ($lines KTAP lines, $same_number with the" \
	     "kernel's test number)"
	[ "$lines" = "$got" ] || bad "$d: $lines test lines, $got named as the kernel names them"
	[ "$joined" = "$want" ] && [ "$joined" = "$got" ] ||
		bad "$d: $joined of $want kernel names joined with $got pinlab lines"
	[ "$same_number" = "$want" ] || bad "$d: $same_number of $want at the kernel's number"
	dups=$(cut -f2 "$t/$d.got" | sort | uniq -d | head -3)
	[ -z "$dups" ] || bad "$d: names twice: $dups"
done
case $(wc -l <"$t/cow.want")/$(wc -l <"$t/gup_longterm.want") in
778/50) ;;
*) bad "the name list is not 778 cow.c + 50 gup_longterm.c names" ;;
esac

# outside the mirror: pinlab's own name
"$P" run scenarios/examples/vmsplice-unmap-child.pin -p v5.7 --format ktap >"$t/ex.ktap"
grep -q '^ok 1 examples/vmsplice-unmap-child \[v5.7 base\]$' "$t/ex.ktap" ||
	bad "examples keep their name: $(sed -n 3p "$t/ex.ktap")"
exit $fail
