#!/usr/bin/env bash
# Description: a host run that reaches its time limit is a timeout -- a skip
# with its own reason, counted apart by diff ("N timed out") -- never an
# outcome and never a disagreement; on the host and through the guest
# runner's transcript (`--kernel running`), which is where a slow TCG guest
# hits it.  $PINLAB_HOST_TIMEOUT_MS=0 makes the time up at once, so every
# run times out at its first call, whatever the machine's speed.  Workers
# are reaped and temp files removed (only ours are looked at).
# Usage: tests/cli/timeout.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
# whole lines to grep: text output wraps at 100 columns unless COLUMNS says otherwise
export COLUMNS=10000
B=${1:?build dir}
P="$B/pinlab"
exe=$(readlink -f "$P")
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export TMPDIR="$t/tmp"
mkdir -p "$TMPDIR"
export PINLAB_TEST_OWNER="$t"
unset PINLAB_HOST_PROFILE
A01=scenarios/cow/a01-basic-cow-after-fork.pin
A03=scenarios/cow/a03-vmsplice-unmap-in-child.pin
REASON="timed out: the run did not finish within its time limit"

bad() { echo "FAIL $*"; fail=1; }

if [ "$(uname -s)" != Linux ]; then
	echo "# SKIP the host backend needs Linux"
	exit 77
fi

ours() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink -f "$p/exe" 2>/dev/null)" = "$exe" ] || continue
		tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "PINLAB_TEST_OWNER=$t" &&
			echo "${p#/proc/}"
	done
}

# the reason is listed
"$P" probe --explain-skips | grep -q "^$REASON" || bad "explain-skips: no timeout reason"

# (--kernel: a guest run where nothing could be compared exits 3, saying why)
for k in "" running; do
	what=host want=0
	opt=()
	[ -n "$k" ] && { what="--kernel $k"; opt=(--kernel "$k"); want=3; }
	PINLAB_HOST_TIMEOUT_MS=0 "$P" diff "$A01" "$A03" --backing base --list "${opt[@]}" \
		>"$t/out" 2>"$t/err"
	st=$?
	if [ $st -ne $want ] ||
	   ! grep -q "^2 runs: 0 agree, 0 disagree, 0 skipped on the host, 2 timed out$" "$t/out" ||
	   [ "$(grep -c "host skip  *skipped: $REASON" "$t/out")" -ne 2 ]; then
		bad "diff ($what): exit $st"; cat "$t/out" "$t/err"
	fi
	[ $want -eq 0 ] || grep -q "every run skipped: $REASON" "$t/err" ||
		{ bad "diff ($what): no reason on stderr"; cat "$t/err"; }
	PINLAB_HOST_TIMEOUT_MS=0 "$P" probe "$A01" --backing base "${opt[@]}" >"$t/out" 2>"$t/err"
	st=$?
	[ $st -eq $want ] && grep -q "^skip .* base  *skip  *expected pass  *$REASON" "$t/out" ||
		{ bad "probe ($what): exit $st"; cat "$t/out" "$t/err"; }
done

# without the override the same runs agree (the limit is not hit)
"$P" diff "$A01" "$A03" --backing base >"$t/out" 2>"$t/err"
tail -n 1 "$t/out" | grep -q "^2 runs: 2 agree, 0 disagree, 0 skipped on the host$" ||
	{ bad "diff without the override"; cat "$t/out" "$t/err"; }

[ -z "$(ours)" ] || bad "workers left behind: $(ours)"
[ -z "$(ls -A "$TMPDIR")" ] || bad "temp files left behind: $(ls -A "$TMPDIR")"
exit $fail
