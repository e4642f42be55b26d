#!/usr/bin/env bash
# Description: no line of any command's text output is wider than the
# terminal -- 100 columns when standard output is not a terminal: the help of
# every command, run (its detail column below the line), check, show,
# explain, demo (its matrix in blocks of presets), history, presets, knobs,
# invariants, explore, replay, kernels, report, and diff where the host can
# run scenarios.  On an 80-column pty (script(1)) demo and run fit 80.  JSON
# and KTAP are never wrapped.
# Usage: tests/cli/widths.sh BUILD_DIR (from the repository root).
set -u
unset COLUMNS	# text output at its default width (100: not a terminal)
B=${1:?build dir}
P="$(cd "$B" && pwd)/pinlab"
fail=0 n=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }
# (a terminal's capture: CR LF line ends, and the progress line redrawn with CR on stderr)
widest() {
	awk '{ sub(/\r$/, ""); sub(/.*\r/, ""); gsub(/\033\[[0-9;]*[A-Za-z]/, "")
	       if (length > m) m = length } END { print m + 0 }' "$1"
}
# fits NAME WIDTH CMD...: CMD's standard output has no line over WIDTH columns
# (EMPTY=1: and may be empty)
fits() {
	local name=$1 w=$2
	shift 2
	n=$((n + 1))
	"$@" >"$t/out" 2>"$t/err" </dev/null
	local st=$? m
	m=$(widest "$t/out")
	if [ $st -gt 1 ]; then
		bad "$name: exit $st: $(head -3 "$t/err")"
	elif [ ! -s "$t/out" ] && [ "${EMPTY:-0}" != 1 ]; then
		bad "$name: no output"
	elif [ "$m" -gt "$w" ]; then
		bad "$name: a line of $m columns (limit $w):"
		awk -v w="$w" 'length > w' "$t/out" | head -2
	fi
}

S=scenarios/cow/a03-vmsplice-unmap-in-child.pin
R=scenarios/races/1-dirty-cow.pin
fits help 100 "$P" help
while read -r c; do
	fits "help $c" 100 "$P" help "$c"
done < <("$P" help | awk '/^commands:/ {f = 1; next} /^$/ {f = 0} f && /^  [a-z]/ {print $1}' | tr '|' '\n' |
	 sort -u)
fits run 100 "$P" run scenarios/cow -p 5.9
fits run-all-presets 100 "$P" run "$S" --all-presets
fits run-trace 100 "$P" run "$S" -p 5.9 --backing swapped --trace
fits check 100 "$P" check scenarios
fits show 100 "$P" show "$S" -p 5.9 --backing swapped
fits explain 100 "$P" explain "$S" -p 5.9 --backing swapped
fits history 100 "$P" history --all-presets
fits history-trace 100 "$P" history --preset v5.7 --trace cve-2020-29374
for c in presets knobs invariants kernels; do
	fits "$c" 100 "$P" "$c"
done
fits explore 100 "$P" explore "$R" --preset v4.8 --bound 2 --out "$t/s.sched"
[ -s "$t/s.sched" ] && fits replay 100 "$P" replay "$R" "$t/s.sched" --preset v4.8 --trace
EMPTY=1 fits report 100 "$P" report scenarios/cow/a03-vmsplice-unmap-in-child.pin -o "$t/r.html"
(cd "$t" && mkdir -p scenarios && cp -r "$OLDPWD/scenarios/cow" scenarios/ &&
 fits demo 100 "$P" demo && fits demo-all-presets 100 "$P" demo --all-presets) || fail=1
# diff needs a host that runs scenarios (root, a host backend); else its part skips
if "$P" diff "$S" --backing base >"$t/diff" 2>"$t/differr"; [ $? -le 1 ]; then
	fits diff 100 "$P" diff "$S" --backing base
else
	echo "# diff skipped here: $(head -1 "$t/differr")"
fi
# JSON and KTAP stay one record a line, however long
"$P" run "$S" -p 5.9 --format json >"$t/j"
[ "$(widest "$t/j")" -gt 100 ] || bad "run --format json was wrapped"
[ "$(wc -l <"$t/j")" = "$("$P" run "$S" -p 5.9 -q | tail -1 | cut -d' ' -f1)" ] ||
	bad "run --format json: not one line per result"
"$P" run "$S" -p 5.9 --format ktap >"$t/k"
awk 'length > 100 { f = 1 } END { exit !f }' "$t/k" || bad "KTAP has no long line: wrapped?"
# on an 80-column terminal (script(1) gives a pty), 80
if command -v script >/dev/null 2>&1; then
	for c in "run $S -p 5.9" "explain $S -p 5.9 --backing swapped"; do
		script -qec "stty cols 80 2>/dev/null; \"$P\" $c" "$t/tty" </dev/null >/dev/null 2>&1
		sed -i '1d; $d' "$t/tty"	# script's own first and last lines
		w=$(widest "$t/tty")
		[ "$w" -le 80 ] || bad "$c on an 80-column terminal: a line of $w columns"
		n=$((n + 1))
	done
	(cd "$t" && script -qec "stty cols 80 2>/dev/null; \"$P\" demo" "$t/tty" </dev/null \
		>/dev/null 2>&1)
	sed -i '1d; $d' "$t/tty"
	w=$(widest "$t/tty")
	[ "$w" -le 80 ] || bad "demo on an 80-column terminal: a line of $w columns"
	grep -q "^scenario " "$t/tty" || bad "demo on a terminal: no matrix"
else
	echo "# no script(1): the 80-column terminal part skipped"
fi
echo "# $n outputs checked"
exit $fail
