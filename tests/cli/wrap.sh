#!/usr/bin/env bash
# Description: tables fit.  The text of presets, knobs and invariants is
# wrapped at 100 columns when standard output is not a terminal
# and at the terminal's width on one (an 80-column pty from script(1)), the
# wrapped text indented under its column, no word lost; their JSON is never
# wrapped; a write that fails through the wrapper (/dev/full) exits 3.
# Usage: tests/cli/wrap.sh BUILD_DIR (from the repository root).
set -u
unset COLUMNS	# text output at its default width (100: not a terminal)
B=${1:?build dir}
P="$(cd "$B" && pwd)/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }
widest() { awk '{ sub(/\r$/, ""); if (length > m) m = length } END { print m + 0 }' "$1"; }

for c in presets knobs invariants; do
	"$P" $c >"$t/$c" || bad "$c: exit $?"
	w=$(widest "$t/$c")
	[ "$w" -le 100 ] || bad "$c: a line of $w columns (not a terminal: 100)"
	[ "$w" -ge 60 ] || bad "$c: its widest line is $w columns: nothing left?"
done
# no word lost: the words of the JSON summaries are all in the text
"$P" presets --format json >"$t/pj"
[ "$(widest "$t/pj")" -gt 100 ] || bad "presets --format json is wrapped"
python3 - "$t/pj" "$t/presets" <<'PY' 2>/dev/null || { [ $? = 1 ] && bad "presets: words lost in wrapping"; }
import json, sys
words = lambda s: s.split()
text = words(open(sys.argv[2]).read())
for line in open(sys.argv[1]):
    p = json.loads(line)
    w = words(p["summary"])
    joined = " ".join(text)
    if " ".join(w) not in joined:
        print("FAIL: summary of", p["preset"], "not found whole")
        sys.exit(1)
PY
"$P" presets >/dev/full 2>"$t/err"; st=$?
[ $st = 3 ] || bad "presets >/dev/full: exit $st, want 3"

if command -v script >/dev/null 2>&1; then
	script -qec "stty cols 80 2>/dev/null; \"$P\" knobs" "$t/tty" </dev/null >/dev/null 2>&1
	sed -i '1d; $d' "$t/tty"	# script's own first and last lines
	w=$(widest "$t/tty")
	[ "$w" -le 80 ] || bad "knobs on an 80-column terminal: a line of $w columns"
fi
exit $fail
