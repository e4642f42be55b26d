#!/usr/bin/env bash
# Description: the host journal (docs/host.md): pinlab probe is SIGKILLed at
# each journal point in turn (PINLAB_CRASH_AT=N: after each record is on
# disk, after each change is made), and after each kill `pinlab host
# restore` (odd N) or the next probe (even N) must put the machine back
# byte for byte: every THP/mTHP/KSM/hugetlb value, the swap list, no file
# left in the run's TMPDIR, no worker left in the killed run's session.
# A process holding a memfd of a dead pinlab is killed by the replay.
# As root with sysfs; exit 77 otherwise.
# Usage: tests/cli/journal.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
helper=
cleanup() {
	[ -n "$helper" ] && kill "$helper" 2>/dev/null
	swapoff "$t"/pinlab-swap.* 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ] || [ ! -w /sys/kernel/mm/transparent_hugepage/enabled ]; then
	echo "# SKIP needs root and a writable /sys/kernel/mm/transparent_hugepage"
	exit 77
fi
if ! command -v python3 >/dev/null || ! command -v setsid >/dev/null; then
	echo "# SKIP needs python3 and setsid"
	exit 77
fi

bad() { echo "FAIL $*"; fail=1; }

# Run "$@" holding the host lock (and, for older pinlab binaries, the flock on
# /sys/kernel/mm), so no other pinlab changes the machine meanwhile.
locked() {
	python3 - "$@" <<'PY'
import fcntl, os, subprocess, sys
os.makedirs("/run/pinlab", mode=0o700, exist_ok=True)
fd = os.open("/run/pinlab/lock", os.O_RDWR | os.O_CREAT, 0o600)
fcntl.lockf(fd, fcntl.LOCK_EX)
old = os.open("/sys/kernel/mm", os.O_RDONLY)
fcntl.flock(old, fcntl.LOCK_EX)
sys.exit(subprocess.call(sys.argv[1:]))
PY
}

# Everything a host run may change: values, and our swapfiles (in $t only).
snapshot() {
	local f
	for f in /sys/kernel/mm/transparent_hugepage/enabled \
		 /sys/kernel/mm/transparent_hugepage/hugepages-*/enabled \
		 /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages \
		 /sys/kernel/mm/ksm/run /sys/kernel/mm/ksm/sleep_millisecs \
		 /sys/kernel/mm/ksm/pages_to_scan; do
		[ -r "$f" ] && echo "$f: $(cat "$f")"
	done
	grep -F "$t/" /proc/swaps
	ls -A "$t/tmp"
}
export -f snapshot
export t

mkdir "$t/tmp"
before=$(locked bash -c snapshot)
kills=0 swapfile_seen=0
for n in $(seq 1 60); do
	TMPDIR=$t/tmp PINLAB_CRASH_AT=$n setsid "$P" probe tests/journal --allow-swapfile \
		>"$t/out" 2>"$t/err" &
	pid=$!
	wait $pid 2>/dev/null
	st=$?
	if [ $st -ne 137 ]; then
		# no point N: the run went through, every point was tried
		[ $st -le 1 ] || { bad "run $n: exit $st"; sed 's/^/    /' "$t/err" | head; }
		break
	fi
	kills=$((kills + 1))
	ls "$t/tmp" | grep -q pinlab-swap && swapfile_seen=1
	# the killed run's workers die with it (PR_SET_PDEATHSIG)
	for i in $(seq 100); do
		pgrep -s "$pid" >/dev/null || break
		sleep 0.1
	done
	pgrep -s "$pid" >/dev/null && bad "point $n: workers of the killed run are left"
	if [ $((n % 2)) -eq 1 ]; then
		"$P" host restore >"$t/rout" 2>"$t/rerr" || { bad "point $n: host restore failed"; cat "$t/rerr"; }
	else
		TMPDIR=$t/tmp "$P" probe tests/journal/b-pool.pin >"$t/rout" 2>"$t/rerr"
		[ $? -le 1 ] || { bad "point $n: the next probe failed"; cat "$t/rerr"; }
	fi
	after=$(locked bash -c snapshot)
	if [ "$after" != "$before" ]; then
		bad "point $n: the machine is not as before"
		diff <(echo "$before") <(echo "$after") | sed 's/^/    /'
		sed 's/^/    restore: /' "$t/rerr"
	fi
done
echo "# $kills journal points killed (a swapfile made: $swapfile_seen)"
[ $kills -ge 4 ] || bad "only $kills journal points (expected one per record and change)"

# A leftover holding a memfd of a dead pinlab (here: a stand-in with the same
# name) is killed by the replay.
python3 -c '
import os, time
os.memfd_create("pinlab.%d.file" % os.getpid())
print(os.getpid(), flush=True)
time.sleep(600)' >"$t/pid" &
helper=$!
for i in $(seq 100); do [ -s "$t/pid" ] && break; sleep 0.05; done
locked python3 -c '
import os, sys
fd = os.open("/run/pinlab/journal", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
os.write(fd, ("owner\t%s\n" % sys.argv[1]).encode())' "$helper"
"$P" host restore 2>"$t/rerr" || bad "host restore after a fake leftover failed"
wait "$helper" 2>/dev/null
if kill -0 "$helper" 2>/dev/null; then
	bad "the process holding a dead pinlab's memfd was not killed"
else
	helper=
	grep -q "killed 1 leftover worker" "$t/rerr" || { bad "no message about the leftover"; cat "$t/rerr"; }
fi

# Nothing to restore: said so, exit 0.
"$P" host restore 2>"$t/rerr" || bad "host restore with an empty journal failed"
exit $fail
