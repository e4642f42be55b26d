#!/usr/bin/env bash
# Description: limits.  A scenario that maps 1 TiB runs (mappings are lazy:
# only touched pages cost anything); a size beyond 2^28 pages is refused with
# a located error (exit 2).  A runaway scenario (a write over 2^28 - 1 pages)
# stops at --max-pages, and at the default limit too, with "pinlab: limit:
# FILE [PRESET BACKING]: step N (line L): ..." and exit 3 -- never an OOM
# kill.  --max-steps counts set-up operations too; explore takes the same
# limits and --max-states; bad values are usage errors.
# Usage: tests/cli/limits.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }

# expect NAME STATUS PATTERN CMD... : exit STATUS and PATTERN (grep -E) on stderr
expect() {
	local name=$1 want=$2 pat=$3 st
	shift 3
	"$@" >"$t/out" 2>"$t/err"
	st=$?
	if [ "$st" != "$want" ] || ! grep -qE -- "$pat" "$t/err"; then
		bad "$name: exit $st (want $want), stderr: $(head -3 "$t/err")"
	fi
}

cat >"$t/tib.pin" <<'PIN'
scenario "1 TiB mapping, one page touched"
expect pass
process P
P: buf = mmap 1048576M rw private
P: write buf[0] "x"
P: check read buf[0] == "x"
PIN
"$P" run "$t/tib.pin" >"$t/out" 2>&1 || bad "1 TiB mapping: exit $?: $(cat "$t/out")"
grep -q '^ok ' "$t/out" || bad "1 TiB mapping did not pass: $(cat "$t/out")"

sed 's/1048576M/1048577M/' "$t/tib.pin" >"$t/toobig.pin"
expect "over 1 TiB" 2 "toobig.pin:4:15: error: size too large" "$P" check "$t/toobig.pin"

cat >"$t/runaway.pin" <<'PIN'
scenario "runaway: a write over 2^28 - 1 pages"
expect pass
process P
P: buf = mmap 268435455 pages rw private
P: write buf[0..] "x"
P: check read buf[0] == "x"
PIN
expect "runaway, --max-pages 1000" 3 \
	'^pinlab: limit: .*runaway.pin \[latest base\]: step 3 \(line 5\): more than 1000 pages of modelled memory \(--max-pages 1000\)$' \
	"$P" run "$t/runaway.pin" --max-pages 1000
[ -s "$t/out" ] && bad "runaway: a result was printed for a run that has none: $(cat "$t/out")"
# THP: a huge page is 512 pages at once (a 2^28-page THP mapping is refused by
# the modelled mmap itself, ENOMEM: address space, so 2^20 pages here)
sed 's/268435455 pages/1048576 pages/' "$t/runaway.pin" >"$t/runaway-thp.pin"
expect "runaway, thp" 3 'pinlab: limit: .*\[latest thp-2048k\]: step 3 .*--max-pages 5000' \
	"$P" run "$t/runaway-thp.pin" --max-pages 5000 --backing thp
expect "runaway, explain" 3 'pinlab: limit: .*--max-pages 100\)$' \
	"$P" explain "$t/runaway.pin" --max-pages 100
# the default limit (4194304 pages, ~330 MiB of model memory) in the plain build only:
# under ASan the same run needs several times that
case $B in
*asan*) echo "(default --max-pages not run under ASan: memory)" ;;
*)	expect "runaway, default limit" 3 'more than 4194304 pages .*\(--max-pages 4194304\)$' \
		"$P" run "$t/runaway.pin"
	# the limit lifted, and 600 MB of address space: the model's memmap cannot
	# grow, the run ends cleanly -- "pinlab: out of memory", exit 3, not a kill
	(ulimit -v 600000 && exec "$P" run "$t/runaway.pin" --max-pages 100000000) \
		>"$t/out" 2>"$t/err"
	st=$?
	[ $st = 3 ] && [ "$(cat "$t/err")" = "pinlab: out of memory" ] ||
		bad "runaway under ulimit -v: exit $st: $(head -3 "$t/err")" ;;
esac

# --max-steps: set-up operations count
expect "--max-steps 1" 3 'step [0-9]+ \(line [0-9]+\): more than 1 steps \(--max-steps 1\)$' \
	"$P" run "$t/tib.pin" --max-steps 1
"$P" run "$t/tib.pin" --max-steps 100 >/dev/null 2>&1 || bad "--max-steps 100: exit $?"
expect "--max-steps 0" 2 "--max-steps expects a number of at least 1, found '0'" \
	"$P" run "$t/tib.pin" --max-steps 0
expect "--max-pages x" 2 "--max-pages expects a number of at least 1, found 'x'" \
	"$P" run "$t/tib.pin" --max-pages x

# explore: the same limits per schedule, and --max-states
R=scenarios/races/2-gup-fast-fork.pin
expect "explore --max-steps" 3 'pinlab: limit: .*2-gup-fast-fork.pin \[v5.9 base\]: .*--max-steps 3\)$' \
	"$P" explore "$R" --preset v5.9 --max-steps 3
# with --jobs the limit is reached in a worker process: the search stops with it as the reason
expect "explore --jobs 2 --max-steps" 3 'could not run: step [0-9]+ \(line [0-9]+\): more than 3 steps' \
	"$P" explore "$R" --preset v5.9 --jobs 2 --max-steps 3
"$P" explore "$R" --preset v5.9 --max-states 1 >"$t/out" 2>&1
grep -q 'distinct states 1$' "$t/out" && grep -q 'incomplete' "$t/out" ||
	bad "explore --max-states 1: $(cat "$t/out")"
expect "explore --max-states 0" 2 "--max-states: expected a number of at least 1" \
	"$P" explore "$R" --max-states 0

[ $fail = 0 ] && echo "limits: all checks passed"
exit $fail
