#!/usr/bin/env bash
# Description: the progress line of long runs.  On a terminal standard error
# (a pty from script(1)), `run` with its results going to a file, `report` and
# `demo` draw "WHAT: N/TOTAL, R/s, ETA M:SS" in place and end on "N/N"
# with the line erased; the results themselves carry none of it.  With
# standard error not a terminal, nothing at all is written there.
# Skips (77) without script(1).
# Usage: tests/cli/progress.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$(cd "$B" && pwd)/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }

# not a terminal: stderr stays empty
"$P" run scenarios/examples --all-presets >"$t/out" 2>"$t/err" || bad "run: exit $?"
[ -s "$t/err" ] && bad "run with stderr to a file wrote: $(head -c 200 "$t/err" | cat -v)"
"$P" report scenarios/examples -o "$t/r.html" 2>"$t/err2" || bad "report: exit $?"
[ -s "$t/err2" ] && bad "report with stderr to a file wrote: $(head -c 200 "$t/err2" | cat -v)"

command -v script >/dev/null 2>&1 || { echo "# SKIP no script(1) for a terminal"; exit 77; }
n=$(sed -n 's/^\([0-9]*\) results:.*/\1/p' "$t/out")
tty() {	# tty NAME COMMAND: run COMMAND on a pty, its terminal output in NAME.tty
	script -qec "$2" "$t/$1.tty" </dev/null >/dev/null 2>&1 || bad "$2 on a pty: exit $?"
}
tty run "\"$P\" run scenarios/examples --all-presets >\"$t/out2\""
grep -q "run: $n/$n, [0-9]*/s, ETA [0-9]*:[0-9][0-9]" "$t/run.tty" ||
	bad "run on a terminal: no progress line ending at $n/$n: $(tail -c 200 "$t/run.tty" | cat -v)"
grep -q $'\r\033\[K' "$t/run.tty" || bad "run on a terminal: the progress line is not erased"
cmp -s "$t/out" "$t/out2" || bad "the results differ with a terminal on stderr"
tty report "\"$P\" report scenarios/examples -o \"$t/r2.html\""
grep -q "report: [0-9]*/[0-9]*, " "$t/report.tty" || bad "report on a terminal: no progress line"
cmp -s "$t/r.html" "$t/r2.html" || bad "the page differs with a terminal on stderr"
mkdir -p "$t/d/scenarios" && cp scenarios/examples/*.pin "$t/d/scenarios/"
tty demo "cd \"$t/d\" && \"$P\" demo >\"$t/demo.out\""
grep -q "demo: [0-9]*/[0-9]*, " "$t/demo.tty" || bad "demo on a terminal: no progress line"
grep -q $'\r' "$t/demo.out" && bad "demo's matrix holds a progress line"
exit $fail
