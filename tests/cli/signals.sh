#!/usr/bin/env bash
# Description: SIGINT/SIGTERM in the middle of `run`, `probe`, `diff`,
# `fuzz-diff` and `explore` (docs/pinlab.1, "Signals"): what was gathered is
# printed and still parses (JSON lines with a last {"incomplete": true,
# "signal": ...}; KTAP ending in "Bail out!"), the exit status is 128 + the
# signal (130, 143), and after a host command every sysfs value is as before,
# and no temp file is left (fuzz-diff).  The
# signal is sent once the first result is out, to a run far from done.
# Lane: host (tests/run.sh runs one such script at a time on the machine)
# Usage: tests/cli/signals.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }

if command -v jq >/dev/null; then
	json_ok() { jq -e . "$1" >/dev/null 2>&1; }
	json_last() { tail -n 1 "$1" | jq -r "$2"; }
elif command -v python3 >/dev/null; then
	json_ok() { python3 -c 'import json,sys
for l in open(sys.argv[1]): json.loads(l)' "$1" 2>/dev/null; }
	json_last() { tail -n 1 "$1" | python3 -c 'import json,sys
d = json.loads(sys.stdin.read()); k = sys.argv[1].lstrip(".")
v = d.get(k); print("true" if v is True else "false" if v is False else v)' "$2"; }
else
	echo "# SKIP needs jq or python3 to parse JSON"
	exit 77
fi

# interrupt SIG LINES CMD...: start CMD (stdout in $t/out), send SIG once
# $t/out has LINES lines (cpu: once CMD has used 0.5 s of CPU; err: once CMD
# has written a line to stderr and then used 0.2 s of CPU), wait; sets st.
interrupt() {
	local sig=$1 lines=$2
	shift 2
	"$@" >"$t/out" 2>"$t/err" &
	pid=$!
	for i in $(seq 6000); do
		if [ "$lines" = cpu ]; then
			# no output until the end: half a second of its CPU time
			[ "$(awk '{ print $14 + $15 }' /proc/$pid/stat 2>/dev/null || echo 999)" -ge 50 ] &&
				break
		elif [ "$lines" = err ]; then
			[ -s "$t/err" ] &&
				[ "$(awk '{ print $14 + $15 }' /proc/$pid/stat 2>/dev/null || echo 999)" -ge 20 ] &&
				break
		else
			[ "$(wc -l <"$t/out")" -ge "$lines" ] && break
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -"$sig" "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	pid=
}

# run, JSON, SIGINT: the lines parse, the last says incomplete and counts them
interrupt INT 3 "$P" run scenarios/ --all-presets --format json
[ $st -eq 130 ] || { bad "run json SIGINT: exit $st (expected 130)"; tail -3 "$t/err"; }
json_ok "$t/out" || bad "run json SIGINT: output does not parse"
[ "$(json_last "$t/out" .incomplete)" = true ] || bad "run json SIGINT: not marked incomplete"
[ "$(json_last "$t/out" .signal)" = SIGINT ] || bad "run json SIGINT: no signal named"
n=$(($(wc -l <"$t/out") - 1))
[ "$(json_last "$t/out" .results)" = "$n" ] || bad "run json SIGINT: results != $n lines"

# run, KTAP, SIGTERM: 143 and a Bail out!
interrupt TERM 5 "$P" run scenarios/ --all-presets --format ktap
[ $st -eq 143 ] || bad "run ktap SIGTERM: exit $st (expected 143)"
grep -q "^Bail out! interrupted by SIGTERM after [0-9]* of [0-9]* results$" "$t/out" ||
	{ bad "run ktap SIGTERM: no Bail out! line"; tail -3 "$t/out"; }

# run, table: the summary, marked
interrupt INT 3 "$P" run scenarios/ --all-presets
[ $st -eq 130 ] && grep -q "^interrupted by SIGINT after" "$t/out" ||
	{ bad "run table SIGINT: exit $st"; tail -3 "$t/out"; }

# explore: the counts so far, marked incomplete
interrupt INT cpu "$P" explore scenarios/races/6-ksm-exclusive.pin --bound 8 --format json
[ $st -eq 130 ] || bad "explore SIGINT: exit $st (expected 130)"
json_ok "$t/out" && [ "$(json_last "$t/out" .incomplete)" = true ] ||
	{ bad "explore json SIGINT: not parsed or not marked"; cat "$t/out"; }

# explore --jobs: the signal goes to the parent alone (kill PID, not the
# process group, as a supervisor or `timeout` does).  Its workers must stop
# too: the parent forwards it, they write what they have, and the merged,
# incomplete counts come out.  Then SIGKILL of the parent alone: the workers
# die with it (PR_SET_PDEATHSIG) instead of searching on for nobody.
jobs_kids() {	# the worker PIDs of $pid, once both are running
	local k
	for i in $(seq 3000); do
		k=$(pgrep -P "$pid" | tr '\n' ' ')
		[ "$(echo $k | wc -w)" -ge 2 ] && { echo "$k"; return; }
		kill -0 "$pid" 2>/dev/null || return
		sleep 0.01
	done
}
gone() {	# gone TRIES PID...: true once none exists (or is a zombie), 10 ms a try
	local tries=$1
	shift
	local pids=$*
	for i in $(seq "$tries"); do
		local left=0
		for k in $pids; do
			[ -e /proc/$k ] && [ "$(awk '{ print $3 }' /proc/$k/stat 2>/dev/null)" != Z ] && left=1
		done
		[ $left -eq 0 ] && return 0
		sleep 0.01
	done
	return 1
}
for sig in INT TERM; do
	"$P" explore scenarios/races/6-ksm-exclusive.pin --bound 8 --jobs 2 --format json \
		>"$t/out" 2>"$t/err" &
	pid=$!
	kids=$(jobs_kids)
	kill -$sig "$pid"
	# a parent that waits for workers which never heard of the signal would
	# hang here: give up after a minute (a hang guard, not a time limit)
	gone 6000 "$pid" || { bad "explore --jobs SIG$sig: the parent did not stop"; kill -9 "$pid" $kids; }
	wait "$pid"
	st=$?
	pid=
	want=$([ $sig = INT ] && echo 130 || echo 143)
	[ $st -eq "$want" ] || { bad "explore --jobs SIG$sig to the parent: exit $st (expected $want)"; tail -3 "$t/err"; }
	json_ok "$t/out" && [ "$(json_last "$t/out" .incomplete)" = true ] &&
		[ "$(json_last "$t/out" .signal)" = SIG$sig ] ||
		{ bad "explore --jobs SIG$sig: not parsed or not marked"; cat "$t/out"; }
	[ -n "$kids" ] && gone 3000 $kids || bad "explore --jobs SIG$sig: workers ($kids) left running"
done
"$P" explore scenarios/races/6-ksm-exclusive.pin --bound 8 --jobs 2 --format json >/dev/null 2>&1 &
pid=$!
kids=$(jobs_kids)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=
[ -n "$kids" ] && gone 3000 $kids || { bad "explore --jobs, parent SIGKILLed: workers ($kids) left running"; kill -9 $kids 2>/dev/null; }

# host commands: the host is restored too (values compared holding the host
# lock, so that another pinlab's run in between is not taken for ours)
locked_snapshot() {
	python3 - <<'PY'
import fcntl, glob, os
os.makedirs("/run/pinlab", mode=0o700, exist_ok=True)
fd = os.open("/run/pinlab/lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
for f in sorted(["/sys/kernel/mm/transparent_hugepage/enabled"] +
		glob.glob("/sys/kernel/mm/transparent_hugepage/hugepages-*/enabled") +
		glob.glob("/sys/kernel/mm/hugepages/hugepages-*/nr_hugepages")):
	print(f, open(f).read().strip())
PY
}
if [ "$(id -u)" -eq 0 ] && [ -w /sys/kernel/mm/transparent_hugepage/enabled ] &&
   command -v python3 >/dev/null; then
	before=$(locked_snapshot)
	interrupt INT 3 "$P" probe scenarios/cow --format json
	[ $st -eq 130 ] || { bad "probe SIGINT: exit $st"; tail -3 "$t/err"; }
	json_ok "$t/out" && [ "$(json_last "$t/out" .incomplete)" = true ] ||
		{ bad "probe json SIGINT: not parsed or not marked"; tail -2 "$t/out"; }
	[ "$(locked_snapshot)" = "$before" ] || bad "probe SIGINT: sysfs not restored"
	interrupt TERM 2 "$P" diff scenarios/cow --list
	[ $st -eq 143 ] && grep -q "^interrupted by SIGTERM: .* (incomplete)$" "$t/out" ||
		{ bad "diff SIGTERM: exit $st"; tail -2 "$t/out"; }
	[ "$(locked_snapshot)" = "$before" ] || bad "diff SIGTERM: sysfs not restored"
	# fuzz-diff: SIGINT once the host profile is out (the scenarios have
	# begun) and far from the last of them: the summary object, marked
	# incomplete, parses; the temp files of its runs are gone
	mkdir -p "$t/tmp"
	TMPDIR="$t/tmp" interrupt INT err "$P" fuzz-diff --seed 3 --count 1000000 --format json
	[ $st -eq 130 ] || { bad "fuzz-diff SIGINT: exit $st (expected 130)"; tail -3 "$t/err"; }
	json_ok "$t/out" && [ "$(json_last "$t/out" .incomplete)" = true ] &&
		[ "$(json_last "$t/out" .signal)" = SIGINT ] ||
		{ bad "fuzz-diff json SIGINT: not parsed or not marked"; tail -2 "$t/out"; }
	[ "$(locked_snapshot)" = "$before" ] || bad "fuzz-diff SIGINT: sysfs not restored"
	[ -z "$(ls -A "$t/tmp")" ] || bad "fuzz-diff SIGINT: left $(ls -A "$t/tmp" | head -3)"
else
	echo "# not root: the host part not tried"
fi
exit $fail
