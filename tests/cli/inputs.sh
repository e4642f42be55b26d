#!/usr/bin/env bash
# Description: hostile inputs (docs/pinlab.1, "Input"): /dev/zero, a FIFO
# with no writer and a symlink to a device are refused as "not a regular
# file" at once (exit 2), standard input is capped (--max-input), a file of
# NUL bytes is reported as a NUL, not as a line too long; a directory with
# symlink loops is walked in linear time (links to directories skipped),
# and with --follow-symlinks each cycle is reported once.
# Usage: tests/cli/inputs.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$B/pinlab"
A01=scenarios/cow/a01-basic-cow-after-fork.pin
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }

# expect STATUS PATTERN CMD...: exit status and a stderr line (60 s at most:
# these used to read or walk forever)
expect() {
	local want=$1 pat=$2 st
	shift 2
	timeout 60 "$@" >"$t/out" 2>"$t/err" </dev/null
	st=$?
	[ $st -eq "$want" ] || { bad "$*: exit $st (expected $want)"; sed 's/^/    /' "$t/err"; }
	grep -q -- "$pat" "$t/err" || { bad "$*: no '$pat' on stderr"; sed 's/^/    /' "$t/err"; }
}

# non-regular files
expect 2 "/dev/zero: a character device, not a regular file" "$P" check /dev/zero
mkfifo "$t/fifo"
expect 2 "fifo: a FIFO, not a regular file" "$P" check "$t/fifo"
ln -s /dev/zero "$t/zero.pin"
expect 2 "zero.pin: a character device, not a regular file" "$P" run "$t/zero.pin"

# standard input: capped
timeout 60 "$P" check - </dev/zero >"$t/out" 2>"$t/err"
st=$?
[ $st -eq 2 ] && grep -q "<stdin>: larger than the input limit" "$t/err" ||
	{ bad "check - </dev/zero: exit $st"; cat "$t/err"; }
expect 2 "larger than the input limit" "$P" check "$A01" --max-input 100
"$P" check "$A01" --max-input 1M >/dev/null 2>&1 || bad "check --max-input 1M: exit $?"
expect 2 "--max-input expects a size" "$P" check "$A01" --max-input lots

# NUL bytes: one error, naming the NUL
head -c 100000 /dev/zero >"$t/nul.pin"
expect 2 "nul.pin:1:1: error: unexpected NUL byte" "$P" check "$t/nul.pin"
grep -q "line too long" "$t/err" && bad "a NUL file reported as a long line"
[ "$(wc -l <"$t/err")" -eq 1 ] || { bad "more than one error for one NUL line"; cat "$t/err"; }

# symlink loops: two links to . give 2^depth paths when followed blindly
mkdir "$t/d"
cp "$A01" "$t/d/a.pin"
ln -s . "$t/d/l1"
ln -s . "$t/d/l2"
ln -s "$t/d" "$t/d/up"
timeout 60 "$P" check "$t/d" >"$t/out" 2>"$t/err"
st=$?
[ $st -eq 0 ] && grep -q "^1 scenario OK" "$t/out" ||
	{ bad "check of a dir with symlink loops: exit $st"; cat "$t/out" "$t/err"; }
expect 2 "a symlink cycle" "$P" check "$t/d" --follow-symlinks
[ "$(grep -c "a symlink cycle" "$t/err")" -eq 3 ] ||
	{ bad "expected one report per cycle (3)"; cat "$t/err"; }
# a linked directory that is no cycle is walked once with --follow-symlinks
mkdir "$t/e" "$t/f"
cp "$A01" "$t/f/b.pin"
ln -s ../f "$t/e/g"
timeout 60 "$P" check "$t/e" --follow-symlinks >"$t/out" 2>"$t/err" ||
	{ bad "check --follow-symlinks of a linked dir: exit $?"; cat "$t/err"; }
expect 2 "no .pin files in this directory" "$P" check "$t/e"
exit $fail
