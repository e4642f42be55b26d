#!/usr/bin/env bash
# Description: the progress line of long runs.  On a terminal standard error
# (a pty from script(1)), `run` with its results going to a file, `report` and
# `demo`, `fuzz-diff`, `diff` and `probe --kernel` (where this machine runs
# them) draw "WHAT: N/TOTAL, R/s, ETA M:SS" in place and end on "N/N" with
# the line erased; `explore`, whose size is not known ahead, "explore:
# schedules N, R/s"; the results themselves carry none of it.  With standard
# error not a terminal, nothing at all is written there.
# Skips (77) without script(1).
# Lane: host (tests/run.sh runs one such script at a time on the machine)
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
R=scenarios/races/6-ksm-exclusive.pin
"$P" explore "$R" --preset v6.2 --bound 2 >"$t/x.out" 2>"$t/x.err" || bad "explore: exit $?"
grep -q "explore: schedules" "$t/x.err" && bad "explore with stderr to a file: a progress line"
"$P" fuzz-diff --seed 7 --count 40 --emit "$t/fd" >/dev/null 2>"$t/fd.err" ||
	bad "fuzz-diff --emit: exit $?"
[ -s "$t/fd.err" ] && bad "fuzz-diff with stderr to a file wrote: $(head -c 200 "$t/fd.err")"

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
tty explore "\"$P\" explore $R --preset v6.2 --bound 2 >\"$t/x2.out\""
grep -q "explore: schedules: [0-9]*, [0-9]*/s" "$t/explore.tty" ||
	bad "explore on a terminal: no progress line: $(tail -c 200 "$t/explore.tty" | cat -v)"
cmp -s "$t/x.out" "$t/x2.out" || bad "explore's result differs with a terminal on stderr"
tty fuzz "\"$P\" fuzz-diff --seed 7 --count 40 --emit \"$t/fd2\" >/dev/null"
grep -q "fuzz-diff: 40/40, [0-9]*/s, ETA" "$t/fuzz.tty" ||
	bad "fuzz-diff on a terminal: no progress line ending at 40/40"
# model vs this kernel, and a --kernel guest: where this machine can run them
S=scenarios/cow/a01-basic-cow-after-fork.pin
if "$P" diff "$S" >/dev/null 2>&1; then
	tty diff "\"$P\" diff $S >\"$t/diff.out\""
	nb=$(grep -c . <<<"$("$P" run "$S" -p latest -f json)")
	grep -q "diff: $nb/$nb, " "$t/diff.tty" || bad "diff on a terminal: no progress line"
	grep -q $'\r' "$t/diff.out" && bad "diff's output holds a progress line"
else
	echo "# diff: this machine does not run scenarios; its progress line not checked"
fi
if "$P" kernels 2>/dev/null | grep -q '^6\.1[^0-9]'; then
	tty kernel "\"$P\" probe --kernel 6.1 $S --backing base >\"$t/k.out\""
	grep -q "probe --kernel: 1/1, " "$t/kernel.tty" || grep -q "skip" "$t/k.out" ||
		bad "probe --kernel on a terminal: no progress line: $(tail -c 300 "$t/kernel.tty" | cat -v)"
else
	echo "# no 6.1 kernel image (make kernels): probe --kernel's progress line not checked"
fi
exit $fail
