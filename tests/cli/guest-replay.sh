#!/usr/bin/env bash
# Description: the transcript path of `probe/diff --kernel` without qemu.
# `--kernel running` runs the guest's runner on this machine: the host
# backend behind the recorder, its transcript parsed and replayed into the
# executor.  Its output must be byte for byte that of plain probe/diff
# (table, JSON, diff), which proves the recorder, the parser and the replay
# backend lose nothing.  Runs in every build (ASan included), in seconds.
# Scenario sets are chosen so that a swapfile another process turns on or
# off between the two runs cannot change their results (no swapped rows).
# Usage: tests/cli/guest-replay.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

bad() { echo "FAIL $*"; fail=1; }

if [ "$(uname -s)" != Linux ]; then
	echo "# SKIP not Linux"
	exit 77
fi

# same CMD... : plain and --kernel running print the same and exit the same
same() {
	local what=$1
	shift
	"$P" "$@" >"$t/plain" 2>"$t/plain.err"
	local s1=$?
	"$P" "$@" --kernel running >"$t/guest" 2>"$t/guest.err"
	local s2=$?
	if [ $s1 -ne $s2 ] || ! cmp -s "$t/plain" "$t/guest"; then
		bad "$what: plain exit $s1, --kernel running exit $s2"
		diff "$t/plain" "$t/guest" | head -10 | sed 's/^/    /'
		sed 's/^/    err: /' "$t/guest.err" | head -5
	fi
	[ -s "$t/guest" ] || bad "$what: no output"
}

same "probe gup_longterm" probe scenarios/gup_longterm
same "probe gup_longterm json" probe scenarios/gup_longterm --format json
same "probe cow base" probe scenarios/cow --backing base
same "probe seeds ktap" probe scenarios/seeds --format ktap
same "diff gup_longterm v6.0" diff scenarios/gup_longterm --preset v6.0
same "diff cow base" diff scenarios/cow --backing base

# the JSON names the backend and this kernel, as plain probe does
"$P" probe scenarios/cow/a01-basic-cow-after-fork.pin --backing base --format json \
	--kernel running >"$t/out" 2>&1
grep -q "\"backend\": \"host\", \"kernel\": \"$(uname -r)\"" "$t/out" ||
	{ bad "json: no backend/kernel"; head -3 "$t/out"; }

# something really ran (not everything skipped)
grep -q "^ok .* base  *pass " <("$P" probe scenarios/cow --backing base --kernel running) ||
	bad "no run passed on base"

exit $fail
