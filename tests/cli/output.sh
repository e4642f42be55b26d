#!/usr/bin/env bash
# Description: output files and standard output (docs/pinlab.1, "Output"):
# a full disk (/dev/full) as standard output or as --out is exit 3 with the
# reason, and /dev/full is still there afterwards (a path pinlab did not
# create is never removed); --out and fuzz-diff's files are never written
# through a symbolic link (the link's target stays as it was, no abort on
# a failed close); a finished --out file is whole; a host command whose
# output pipe is closed exits 3, not by SIGPIPE.
# Usage: tests/cli/output.sh BUILD_DIR
# Lane: host (fuzz-diff --emit and a probe into a closed pipe take the host lock)
set -u
B=${1:?build dir}
P="$B/pinlab"
A01=scenarios/cow/a01-basic-cow-after-fork.pin
DC=scenarios/races/1-dirty-cow.pin
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }

# expect STATUS PATTERN CMD...: exit status and a stderr line
expect() {
	local want=$1 pat=$2 st
	shift 2
	"$@" 2>"$t/err"
	st=$?
	[ $st -eq "$want" ] || { bad "$*: exit $st (expected $want)"; sed 's/^/    /' "$t/err"; }
	grep -q -- "$pat" "$t/err" || { bad "$*: no '$pat' on stderr"; sed 's/^/    /' "$t/err"; }
}

if [ ! -c /dev/full ]; then
	echo "# SKIP no /dev/full"
	exit 77
fi

# standard output on a full disk
expect 3 "cannot write standard output" "$P" run "$A01" >/dev/full
expect 3 "cannot write standard output" "$P" run "$A01" --format json >/dev/full
expect 3 "cannot write standard output" "$P" presets >/dev/full

# explore --out /dev/full: the error, and /dev/full left alone
expect 3 "/dev/full: cannot write: No space left on device" \
	"$P" explore "$DC" --preset v4.8 --out /dev/full >/dev/null
[ -c /dev/full ] || bad "/dev/full is gone"

# --out through a symlink: refused, the target unchanged
echo victim >"$t/victim"
ln -s "$t/victim" "$t/link"
expect 2 "a symbolic link: not written through" \
	"$P" explore "$DC" --preset v4.8 --out "$t/link" >/dev/null
[ "$(cat "$t/victim")" = victim ] || bad "--out wrote through a symlink"

# --out over an existing file: replaced whole, and replay reads it
echo old >"$t/s.sched"
"$P" explore "$DC" --preset v4.8 --out "$t/s.sched" >/dev/null 2>&1 ||
	bad "explore --out to a regular file failed"
"$P" replay "$DC" "$t/s.sched" --preset v4.8 >/dev/null 2>&1
[ $? -le 1 ] || bad "replay of the written schedule: not a whole file"
ls "$t" | grep -q '~$' && bad "a temporary file was left: $(ls "$t")"

# fuzz-diff's files (--emit, like --keep): a symlink in the way is not
# written through, and a failed write is an error, not an abort
mkdir "$t/emit"
ln -s "$t/victim" "$t/emit/s1-0.pin"
ln -s /dev/full "$t/emit/s1-1.pin"
"$P" fuzz-diff --seed 1 --count 2 --emit "$t/emit" >/dev/null 2>"$t/err"
st=$?
[ $st -eq 2 ] || [ $st -eq 3 ] || { bad "fuzz-diff --emit into symlinks: exit $st"; cat "$t/err"; }
[ "$(cat "$t/victim")" = victim ] || bad "fuzz-diff wrote through a symlink"
rm "$t/emit/s1-0.pin" "$t/emit/s1-1.pin"
"$P" fuzz-diff --seed 1 --count 2 --emit "$t/emit" >/dev/null 2>"$t/err" ||
	{ bad "fuzz-diff --emit: exit $?"; cat "$t/err"; }
[ -s "$t/emit/s1-1.pin" ] || bad "fuzz-diff --emit wrote no s1-1.pin"

# a host command whose output pipe closes: exit 3 with the reason, not SIGPIPE
( "$P" probe "$A01" --backing base 2>"$t/err"; echo $? >"$t/st" ) | true
st=$(cat "$t/st")
[ "$st" -eq 3 ] || { bad "probe into a closed pipe: exit $st (expected 3)"; cat "$t/err"; }
exit $fail
