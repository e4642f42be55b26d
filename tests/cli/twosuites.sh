#!/usr/bin/env bash
# Description: two suites at once (issue 21, item 9: `make test` must pass
# beside another `make test` on the same machine).  Starts two copies of
# tests/run.sh at the same moment, each on a build directory of its own
# (a mktemp -d of symlinks to BUILD_DIR's programs, so each has its own
# test-logs, test-times and test-counts, as two checkouts would) and a TMPDIR
# of its own, over the tests that change or read machine state: the host
# tests that journal sysfs changes, hold the host lock, signal runs and time
# them out, `--kernel running` (guest-replay), and the host diffs and probes
# of json and widths.  The two suites share one lane file, as two checkouts
# share /tmp/pinlab-tests-host.lock, so their host-lane tests take turns
# while the others run beside them.  Both suites must pass (or skip); no
# process started under either suite's TMPDIR may be left, both TMPDIRs must
# end up empty, and every THP/mTHP mode, hugetlb pool, KSM knob, swap area
# and the host journal must be as before (read under pinlab's host lock).
# Whenever neither suite is in the lane, the THP/mTHP modes, KSM and swap
# must read as before too: a test outside the lane must not change them
# (json.sh's diff did, under every backing, until it joined the lane).
# This script itself runs in the host lane, so no other suite's host tests
# change the machine between the two snapshots.  The plain build only: make
# test already runs the plain and the ASan suite at once, and doubling the
# ASan host tests would add minutes and nothing else.
# Usage: tests/cli/twosuites.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
fail=0
case $B in
*asan* | *tsan*)
	echo "# SKIP the sanitizer lane adds nothing here: make test runs plain and ASan at once"
	exit 77 ;;
esac
if [ "$(uname -s)" != Linux ] || ! command -v flock >/dev/null; then
	echo "# SKIP needs Linux and flock(1)"
	exit 77
fi
B=$(cd "$B" && pwd) || exit 2
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }

# The tests doubled: every one that changes or reads machine state and takes
# less than a minute or two (host.sh and journal.sh run the whole catalog or
# kill probe at each of its journal points: minutes each, already run beside
# the ASan suite's copies by every `make test`).
TESTS="cli/hostlock cli/hostmem cli/profile cli/runlimits cli/signals cli/timeout \
cli/guest-replay cli/json cli/widths"

# The machine state host runs change and must put back.
readstate() {
	local f
	for f in /sys/kernel/mm/transparent_hugepage/enabled \
		 /sys/kernel/mm/transparent_hugepage/defrag \
		 /sys/kernel/mm/transparent_hugepage/shmem_enabled \
		 /sys/kernel/mm/transparent_hugepage/hugepages-*/enabled \
		 /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages \
		 /sys/kernel/mm/ksm/run /sys/kernel/mm/ksm/sleep_millisecs \
		 /sys/kernel/mm/ksm/pages_to_scan; do
		[ -r "$f" ] && echo "$f: $(cat "$f")"
	done
	echo "swaps:"
	tail -n +2 /proc/swaps 2>/dev/null | awk '{ print $1, $2, $3 }'
	echo "journal: $(cat /run/pinlab/journal 2>/dev/null | wc -c) bytes"
}
# ... read holding pinlab's host lock (an fcntl lock on /run/pinlab/lock, as
# root) when python3 can take it, so that no host run is half-way through.
snapshot() {
	if [ "$(id -u)" -eq 0 ] && command -v python3 >/dev/null && [ -e /run/pinlab/lock ]; then
		python3 -c '
import fcntl, os, signal, subprocess, sys
signal.alarm(600)
fd = os.open("/run/pinlab/lock", os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
signal.alarm(0)
sys.exit(subprocess.run(sys.argv[1:]).returncode)' bash -c "$(declare -f readstate); readstate"
	else
		readstate
	fi
}

# Processes one of the suites started: their environment has a
# PINLAB_TEST_OWNER, or a TMPDIR, under $t (every host test puts its own
# mktemp -d, which is under the suite's TMPDIR, there).
left() {
	local p
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = $$ ] && continue
		tr '\0' '\n' 2>/dev/null <"$p/environ" |
			grep -qE "^(PINLAB_TEST_OWNER|TMPDIR)=$t/" && echo "${p#/proc/}"
	done
}

before=$(snapshot)

# Two "checkouts": the build's programs by symlink, named after it (tests
# pick their sanitizer settings from the build directory's name).
name=$(basename "$B")
for s in a b; do
	mkdir -p "$t/$s/$name" "$t/$s/tmp"
	for e in "$B"/* "$B"/.[!.]*; do
		[ -e "$e" ] || continue
		case $(basename "$e") in
		test-logs | test-times* | test-counts | test-output) continue ;;
		esac
		ln -s "$e" "$t/$s/$name/"
	done
	# the last run's times, so each suite starts the longest first
	[ -f "$B/test-times" ] && cp "$B/test-times" "$t/$s/$name/"
done

# Outside the lane nothing may change the machine: while neither suite holds
# it (flock -n gets it), the THP/mTHP modes, KSM's run and the swap areas
# must read as before, every tenth of a second.  (Hugetlb pools are left
# out: io_uring's buffer pages come back from a workqueue a little after
# a run, so a pool may still be shrinking when the lane is free.)
modes() { grep -v -e nr_hugepages -e '^journal:'; }
modes_before=$(modes <<<"$before")
watch() {
	local n=0 bad_n=0 now
	while [ ! -e "$t/stop" ]; do
		if now=$(flock -n "$t/lane" bash -c "$(declare -f readstate); readstate" 2>/dev/null)
		then
			n=$((n + 1))
			now=$(modes <<<"$now")
			if [ "$now" != "$modes_before" ]; then
				bad_n=$((bad_n + 1))
				[ -s "$t/outside" ] ||
					diff <(echo "$modes_before") <(echo "$now") >"$t/outside"
			fi
		fi
		sleep 0.1
	done
	echo "$n $bad_n" >"$t/watched"
}
watch &
watcher=$!

pids=()
for s in a b; do
	TMPDIR="$t/$s/tmp" PINLAB_TEST_LANE="$t/lane" PINLAB_TEST_ONLY="$TESTS" \
		PINLAB_TEST_JOBS=1 tests/run.sh "$t/$s/$name" >"$t/$s/out" 2>&1 </dev/null &
	pids+=($!)
done
st=()
for i in 0 1; do
	wait "${pids[$i]}"
	st+=($?)
done
: >"$t/stop"
wait "$watcher"
read -r samples changed <"$t/watched" || samples=0 changed=0
echo "# outside the lane: $samples readings, $changed not as before"
if [ "$changed" -gt 0 ]; then
	bad "the machine changed while no host-lane test ran (a test outside the lane changes it)"
	sed 's/^/    /' "$t/outside"
fi

total_pass=0
for i in 0 1; do
	s=$([ $i = 0 ] && echo a || echo b)
	read -r p f k <"$t/$s/$name/test-counts" 2>/dev/null || { p=0 f=1 k=0; }
	echo "# suite $s: exit ${st[$i]}, $p passed, $f failed, $k skipped;" \
		"$(grep -m1 -o '[0-9]* s wall' "$t/$s/out")"
	total_pass=$((total_pass + p))
	if [ "${st[$i]}" -ne 0 ] || [ "$f" -ne 0 ]; then
		bad "suite $s failed beside suite $([ $s = a ] && echo b || echo a)"
		sed 's/^/    /' "$t/$s/out" | tail -n 80
	else
		grep -E '^(ok|skip) - ' "$t/$s/out" | sed 's/^/#   /'
	fi
	# each test's seconds (run.sh's test-times), for the cost of this test
	for w in $TESTS; do
		awk -v k="${w/\//-}" '$1 == k { printf "%s %ss ", $1, $2 }' "$t/$s/$name/test-times"
	done 2>/dev/null | sed 's/^/#   times: /; s/ $//'
	echo
done

# nothing left of either
for s in a b; do
	[ -z "$(ls -A "$t/$s/tmp")" ] ||
		bad "suite $s left files in its TMPDIR: $(ls -A "$t/$s/tmp" | head -3 | tr '\n' ' ')"
done
l=$(left)
[ -z "$l" ] || bad "processes of the suites left: $l"

after=$(snapshot)
if [ "$after" != "$before" ]; then
	bad "the machine is not as before"
	diff <(echo "$before") <(echo "$after") | sed 's/^/    /'
fi

if [ $fail -eq 0 ] && [ $total_pass -eq 0 ]; then
	echo "# SKIP every test of both suites skipped here"
	exit 77
fi
exit $fail
