#!/usr/bin/env bash
# Description: the host lock (docs/host.md): an unprivileged user holding a
# lock on /sys/kernel/mm (what pinlab locked before) does not stall a root
# probe; such a user cannot open /run/pinlab/lock at all; a root holder of
# the lock makes probe wait --lock-timeout seconds, then exit 3 naming the
# holder's PID.  As root, with setpriv and python3; exit 77 otherwise.
# Usage: tests/cli/hostlock.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
P="$B/pinlab"
A01=scenarios/cow/a01-basic-cow-after-fork.pin
fail=0
t=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$t"
}
trap cleanup EXIT
bad() { echo "FAIL $*"; fail=1; }

if [ "$(id -u)" -ne 0 ] || [ ! -d /sys/kernel/mm ]; then
	echo "# SKIP needs root and /sys/kernel/mm"
	exit 77
fi
for c in setpriv python3 flock; do
	command -v $c >/dev/null || { echo "# SKIP needs $c"; exit 77; }
done
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# a python3 that nobody can run (not one under root's home)
py=
for c in /usr/bin/python3 /usr/local/bin/python3; do
	nobody "$c" -c pass 2>/dev/null && { py=$c; break; }
done
[ -n "$py" ] || { echo "# SKIP no python3 that an unprivileged user can run"; exit 77; }

# An unprivileged user takes the lock older pinlabs waited for (one process,
# setpriv execs python3: $! is the holder, and killing it drops the lock).
setpriv --reuid=65534 --regid=65534 --clear-groups "$py" -c '
import fcntl, os, time
fd = os.open("/sys/kernel/mm", os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)' >"$t/nobody" &
nobody_pid=$!
pids="$pids $nobody_pid"
for i in $(seq 600); do [ -s "$t/nobody" ] && break; sleep 0.1; done
if [ -s "$t/nobody" ]; then
	timeout 120 "$P" probe "$A01" --backing base --lock-timeout 5 >"$t/out" 2>"$t/err"
	st=$?
	[ $st -eq 0 ] || { bad "probe with nobody's flock on /sys/kernel/mm: exit $st"; cat "$t/err"; }
	grep -q "pid $nobody_pid" "$t/err" && bad "probe waited for an unprivileged user's lock"
else
	# an older pinlab of someone else holds it all along: not ours to judge
	echo "# /sys/kernel/mm stayed flock()ed by another process: that part not tried"
fi
kill "$nobody_pid" 2>/dev/null

# ... and cannot take ours.
"$P" host restore 2>/dev/null	# makes /run/pinlab if it is not there
if nobody "$py" -c 'open("/run/pinlab/lock", "r+")' 2>/dev/null; then
	bad "an unprivileged user can open /run/pinlab/lock"
fi
if nobody touch /run/pinlab/other 2>/dev/null; then
	bad "an unprivileged user can create files in /run/pinlab"
fi
[ "$(stat -c %u:%a /run/pinlab)" = 0:700 ] || bad "/run/pinlab is $(stat -c %u:%a /run/pinlab)"

# A root holder: probe waits --lock-timeout, then names it.
python3 -c '
import fcntl, os, time
fd = os.open("/run/pinlab/lock", os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)' >"$t/holder" &
holder=$!
pids="$pids $holder"
for i in $(seq 600); do [ -s "$t/holder" ] && break; sleep 0.1; done
"$P" probe "$A01" --backing base --lock-timeout 1 >"$t/out" 2>"$t/err"
st=$?
[ $st -eq 3 ] || bad "probe with the lock held: exit $st (expected 3)"
grep -q "held by pid $holder " "$t/err" || { bad "the message does not name pid $holder"; cat "$t/err"; }
[ -s "$t/out" ] && { bad "probe ran something without the lock"; cat "$t/out"; }
"$P" host restore --lock-timeout 0 2>"$t/err"
[ $? -eq 3 ] && grep -q "held by pid $holder " "$t/err" ||
	{ bad "host restore --lock-timeout 0 with the lock held"; cat "$t/err"; }
kill "$holder"
wait "$holder" 2>/dev/null
"$P" probe "$A01" --backing base --lock-timeout 5 >"$t/out" 2>"$t/err" ||
	{ bad "probe after the holder went: exit $?"; cat "$t/err"; }

# Not root: nothing to lock (nothing system-wide changes), so nothing to wait for.
exe=$(readlink -f "$P")
if nobody test -x "$exe" 2>/dev/null && nobody test -r "$A01" 2>/dev/null; then
	nobody "$exe" probe "$A01" --backing base --lock-timeout 0 >"$t/out" 2>"$t/err" ||
		{ bad "probe as nobody: exit $?"; cat "$t/err"; }
fi
exit $fail
