#!/usr/bin/env bash
# Description: limits bound processes and time, not only steps (docs/pinlab.1,
# --max-procs, --max-time): a scenario of 5000 forks stops at --max-procs
# with "more than N processes", a run past --max-time stops with "more than
# N ms", both exit 3 and name the step and line, at once, in run, show and
# probe alike; bad values are usage errors.
# Lane: host (tests/run.sh runs one such script at a time on the machine)
# Usage: tests/cli/runlimits.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }

{
	echo 'scenario "5000 forks"'
	echo 'process P'
	echo 'P: buf = mmap 1 pages rw private'
	echo 'P: write buf[0] "a"'
	for i in $(seq 5000); do echo "P: fork C$i"; done
} >"$t/forks.pin"

# expect STATUS PATTERN CMD...
expect() {
	local want=$1 pat=$2 st
	shift 2
	timeout 300 "$@" >"$t/out" 2>"$t/err"
	st=$?
	[ $st -eq "$want" ] || { bad "$*: exit $st (expected $want)"; sed 's/^/    /' "$t/err"; }
	grep -q -- "$pat" "$t/err" || { bad "$*: no '$pat' on stderr"; sed 's/^/    /' "$t/err"; }
}

expect 3 "forks.pin \[latest base\]: step 103 (line 104): more than 100 processes (--max-procs 100)" \
	"$P" run "$t/forks.pin" --max-procs 100
expect 3 "more than 100 processes" "$P" show "$t/forks.pin" --max-procs 100
expect 3 "more than 1 ms (--max-time 0.001)" "$P" run "$t/forks.pin" --max-time 0.001
expect 3 "more than 1 ms" "$P" explain "$t/forks.pin" --max-time 0.001
expect 2 "--max-time expects seconds" "$P" run "$t/forks.pin" --max-time soon
expect 2 "--max-procs expects a number" "$P" run "$t/forks.pin" --max-procs 0
if [ "$(uname -s)" = Linux ]; then
	# the host backend: real processes, the same limit before the fork
	expect 3 "more than 10 processes (--max-procs 10)" \
		"$P" probe "$t/forks.pin" --max-procs 10 --lock-timeout 900
fi
exit $fail
