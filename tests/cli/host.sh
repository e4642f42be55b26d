#!/usr/bin/env bash
# Description: the host backend (`pinlab probe`, `pinlab diff`) on the running
# kernel: cow a01 and a03 pass on base, the model agrees, an io_uring scenario
# passes or skips with a reason, and nothing is left behind (no worker
# processes, no temp dirs), also after SIGINT.  Exit 77 if nothing could run.
# Usage: tests/cli/host.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$B/pinlab"
exe=$(readlink -f "$P")
fail=0 ran=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

A01=scenarios/cow/a01-basic-cow-after-fork.pin
A03=scenarios/cow/a03-vmsplice-unmap-in-child.pin
A08=scenarios/cow/a08-fork-with-iouring-fixed-buffer.pin

bad() { echo "FAIL $*"; fail=1; }

# Processes running this build's binary (workers are forks of pinlab).
workers() {
	local p n=0
	for p in $(pgrep -x pinlab); do
		[ "$(readlink -f /proc/$p/exe 2>/dev/null)" = "$exe" ] && n=$((n + 1))
	done
	echo $n
}
tmpdirs() { ls -d /tmp/pinlab-host.* 2>/dev/null | sort; }
tmp_before=$(tmpdirs)

if [ "$(uname -s)" != Linux ]; then
	echo "SKIP: not Linux"
	exit 77
fi

# probe: a01 and a03 on base must pass on this kernel
for f in "$A01" "$A03"; do
	"$P" probe "$f" --backing base >"$t/out" 2>"$t/err"
	st=$?
	if [ $st -ne 0 ] || ! grep -q "^ok .* base  *pass " "$t/out"; then
		bad "probe $f: exit $st"; sed 's/^/    /' "$t/out" "$t/err" | head
	fi
	ran=1
done

# JSON names the backend and the kernel
"$P" probe "$A01" --backing base --format json >"$t/out" 2>"$t/err"
grep -q "\"backend\": \"host\", \"kernel\": \"$(uname -r)\"" "$t/out" ||
	{ bad "probe json: no backend/kernel"; cat "$t/out"; }

# diff: the model (latest) agrees on both
"$P" diff "$A01" "$A03" --backing base >"$t/out" 2>"$t/err"
st=$?
if [ $st -ne 0 ] || ! grep -q "^2 runs: 2 agree, 0 disagree, 0 skipped on the host$" "$t/out"; then
	bad "diff a01 a03: exit $st"; sed 's/^/    /' "$t/out" "$t/err" | head
fi

# io_uring: pass, or skip with a reason
"$P" probe "$A08" --backing base >"$t/out" 2>"$t/err"
st=$?
if grep -q "^ok .* base  *pass " "$t/out"; then
	:
elif grep -q "^skip .* base  *skip .*[a-z]" "$t/out"; then
	echo "io_uring skipped: $(grep '^skip' "$t/out" | sed 's/.*expected [a-z-]* *//')"
else
	bad "probe a08: exit $st"; sed 's/^/    /' "$t/out" "$t/err" | head
fi

# every skip has a reason, and --explain-skips lists it
"$P" probe --explain-skips >"$t/reasons" || bad "explain-skips"
[ "$(wc -l <"$t/reasons")" -ge 10 ] || bad "explain-skips: too few reasons"
"$P" probe scenarios/cow/a01-basic-cow-after-fork.pin scenarios/gup_longterm >"$t/out" 2>&1
grep '^skip' "$t/out" | sed 's/.*expected [a-z-]* *//' | sort -u >"$t/used"
while IFS= read -r why; do
	grep -qxF "$why" "$t/reasons" || bad "skip reason not in --explain-skips: '$why'"
done <"$t/used"

# deterministic output
"$P" probe "$A01" "$A03" >"$t/o1" 2>&1
"$P" probe "$A01" "$A03" >"$t/o2" 2>&1
cmp -s "$t/o1" "$t/o2" || bad "probe output differs between two runs"

# nothing left behind, also after SIGINT in the middle of a long run
set -- ; for i in $(seq 30); do set -- "$@" scenarios/cow; done
"$P" probe "$@" >/dev/null 2>"$t/err" &
pid=$!
sleep 0.3
kill -INT $pid 2>/dev/null
wait $pid
st=$?
[ $st -eq 130 ] || [ $st -eq 0 ] || bad "probe after SIGINT: exit $st"
sleep 0.2
[ "$(workers)" = 0 ] || { bad "pinlab workers left behind"; pgrep -a pinlab; }
[ "$(tmpdirs)" = "$tmp_before" ] || bad "temp dirs left behind: $(tmpdirs)"

[ $ran -eq 1 ] || exit 77
exit $fail
