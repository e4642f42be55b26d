#!/usr/bin/env bash
# Description: awkward paths.  A scenario under a name with a space, a
# non-UTF-8 byte or a newline runs; its name is quoted with C escapes in
# messages (one line stays one line) and escaped in JSON (valid UTF-8, no raw
# control character).  `-` reads the scenario from standard input, named
# <stdin> in diagnostics.  A directory where a file is needed and an
# unreadable file are clean errors (exit 2).
# Usage: tests/cli/paths.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'chmod -R u+rwx "$t"; rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }

ok_pin='scenario "ok"
expect pass
process P
P: buf = mmap 1 page rw private
P: write buf[0] "x"
P: check read buf[0] == "x"
'
bad_pin='scenario "bad"
expect pass
process P
P: buf = mmap 1 page rw privat
'
sp="$t/my scenario.pin"
nu="$t/bad"$'\xff'"name.pin"
nl="$t/new"$'\n'"line.pin"
printf '%s' "$bad_pin" >"$sp"
printf '%s' "$bad_pin" >"$nu"
printf '%s' "$bad_pin" >"$nl"

# messages: quoted, each on one line
"$P" check "$sp" 2>"$t/err"; st=$?
[ $st = 2 ] || bad "check (space): exit $st, want 2"
grep -q "^\"$t/my scenario.pin\":4:25: error: " "$t/err" || bad "space not quoted: $(cat "$t/err")"
"$P" check "$nu" 2>"$t/err"; st=$?
[ $st = 2 ] || bad "check (non-UTF-8): exit $st, want 2"
grep -qF "\"$t/bad\\xffname.pin\":4:25: error: " "$t/err" || bad "\\xff not escaped: $(cat "$t/err")"
"$P" check "$nl" 2>"$t/err"; st=$?
[ $st = 2 ] || bad "check (newline): exit $st, want 2"
[ "$(wc -l <"$t/err")" = 1 ] || bad "a newline in a path split the message: $(cat "$t/err")"
grep -qF "\"$t/new\\nline.pin\":4:25: error: " "$t/err" || bad "\\n not escaped: $(cat "$t/err")"

# the same files, good now: JSON escapes the path and stays valid UTF-8
for f in "$sp" "$nu" "$nl"; do printf '%s' "$ok_pin" >"$f"; done
"$P" run "$sp" "$nu" "$nl" --format json >"$t/json"; st=$?
[ $st = 0 ] || bad "run --format json: exit $st"
[ "$(wc -l <"$t/json")" = 3 ] || bad "JSON: want 3 lines, got $(wc -l <"$t/json")"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"):
    json.loads(line.decode("utf-8"))      # strict: must be UTF-8 and valid JSON
' "$t/json" || bad "JSON output does not parse"
fi
grep -q 'new\\nline' "$t/json" || bad "JSON: newline in path not escaped"
"$P" run "$sp" "$nu" "$nl" >"$t/table"; st=$?
[ $st = 0 ] || bad "run (table): exit $st"
[ "$(grep -c '^ok ' "$t/table")" = 3 ] || bad "table: a path broke a line: $(cat "$t/table")"

"$P" explore "$sp" >/dev/null 2>"$t/err"; st=$?
[ $st = 2 ] && grep -qF "\"$t/my scenario.pin\":1:1: error: nothing to explore" "$t/err" ||
	bad "explore (space): exit $st: $(cat "$t/err")"

# "-": standard input, named <stdin>
printf '%s' "$ok_pin" | "$P" run - >"$t/out" 2>&1; st=$?
[ $st = 0 ] || bad "run -: exit $st: $(cat "$t/out")"
printf '%s' "$ok_pin" | "$P" check - >"$t/out" 2>&1; st=$?
[ $st = 0 ] && grep -q '^1 scenario OK$' "$t/out" || bad "check -: exit $st: $(cat "$t/out")"
printf '%s' "$bad_pin" | "$P" check - 2>"$t/err"; st=$?
[ $st = 2 ] || bad "check - (bad): exit $st, want 2"
grep -q '^<stdin>:4:25: error: ' "$t/err" || bad "stdin not named <stdin>: $(cat "$t/err")"

# a directory where a file is needed; an unreadable file
mkdir "$t/dir.pin" "$t/empty"
"$P" show "$t/dir.pin" >/dev/null 2>"$t/err"; st=$?
[ $st = 2 ] || bad "show DIR: exit $st, want 2: $(cat "$t/err")"
"$P" run "$t/empty" >/dev/null 2>"$t/err"; st=$?
[ $st = 2 ] && grep -q 'no .pin files' "$t/err" || bad "run EMPTY-DIR: exit $st: $(cat "$t/err")"
printf '%s' "$ok_pin" >"$t/secret.pin"
chmod 000 "$t/secret.pin"
if [ -r "$t/secret.pin" ] && command -v setpriv >/dev/null 2>&1; then
	# root reads anything: read it as nobody (the directory and pinlab must be reachable)
	chmod 755 "$t"
	unreadable() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
elif [ -r "$t/secret.pin" ]; then
	unreadable() { return 77; }
else
	unreadable() { "$@"; }
fi
unreadable "$(cd "$(dirname "$P")" && pwd)/pinlab" run "$t/secret.pin" >/dev/null 2>"$t/err"; st=$?
if [ $st = 77 ]; then
	echo "(root without setpriv: the unreadable-file case is not tested)"
elif [ $st != 2 ] || ! grep -q 'secret.pin: Permission denied' "$t/err"; then
	bad "unreadable file: exit $st, want 2: $(cat "$t/err")"
fi
"$P" run "$t/missing file.pin" >/dev/null 2>"$t/err"; st=$?
[ $st = 2 ] && grep -qF "pinlab: \"$t/missing file.pin\": No such file" "$t/err" ||
	bad "missing file: exit $st: $(cat "$t/err")"

[ $fail = 0 ] && echo "paths: all checks passed"
exit $fail
