#!/usr/bin/env bash
# Description: userfaultfd on the host backend (docs/host.md): fork with
# UFFD_FEATURE_EVENT_FORK (a monitor thread of the forking worker reads the
# fork event and hands the child its context) and UFFDIO_CONTINUE (a minor-
# mode registration around the call).  uffd/04, uffd/08 and
# history/cve-2022-2590 agree with the model or skip naming what this kernel
# lacks; a chain of twelve nested fork-event forks, forty forks in a row and
# uffd-continue's corner cases (EEXIST, EINVAL, shared, mremap after) and a
# registration of one page of a mapping (the vma split) agree too; and after SIGINT or SIGKILL of pinlab in the middle of
# fork-event forks no worker is left and the temp dir is empty.  The test
# looks only at its own processes (PINLAB_TEST_OWNER) and files (TMPDIR).
# Lane: host (tests/run.sh runs one such script at a time on the machine)
# Usage: tests/cli/hostuffd.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$B/pinlab"
exe=$(readlink -f "$P")
fail=0
t=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$t"' EXIT
export TMPDIR="$t/tmp"
mkdir -p "$TMPDIR"
export PINLAB_TEST_OWNER="$t"
export COLUMNS=10000
bad() { echo "FAIL $*"; fail=1; }

if [ "$(uname -s)" != Linux ]; then
	echo "# SKIP not Linux"
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
# none of ours left: 10 ms a try, up to a minute (a hang guard, not a time limit)
no_workers() {
	local i
	for i in $(seq 6000); do
		[ -z "$(ours)" ] && return 0
		sleep 0.01
	done
	return 1
}
swapopt=
[ "$(id -u)" -eq 0 ] && swapopt=--allow-swapfile

# The catalog's userfaultfd cases: agree, or skip for a facility of the
# kernel (never for one of the host backend's)
"$P" diff --list scenarios/uffd scenarios/history/cve-2022-2590.pin $swapopt >"$t/out" 2>"$t/err"
st=$?
echo "uffd diff: $(tail -n 1 "$t/out")"
[ $st -eq 0 ] || { bad "diff uffd: exit $st"; sed 's/^/    /' "$t/out" "$t/err" | head -20; }
for s in uffd/04-fork-event-pinned-copy-keeps-wp uffd/08-fork-event-keeps-wp \
	 history/cve-2022-2590; do
	if grep -q "^$s  *base  *model [a-z-]*  *host [a-z-]*  *agree$" "$t/out"; then
		:
	elif grep -q "^$s  *base .*skipped: .*\(this kernel\|no swap\|could not set up\)" "$t/out"; then
		echo "$s skipped: $(grep "^$s " "$t/out" | sed 's/.*skipped: //')"
	else
		bad "diff: $s neither agrees nor skips for the kernel"; grep "^$s " "$t/out"
	fi
done
grep -q "skipped: .*host backend has no\|not in the host backend" "$t/out" &&
	bad "a userfaultfd run skips for a limit of the host backend"

# Twelve nested forks: each child's context has EVENT_FORK too, so each
# forking worker needs its own monitor; the last child resolves its own fault.
{
	printf 'scenario "nested forks with EVENT_FORK"\nexpect pass\nprocess P\n'
	printf 'P: buf = mmap 2 pages rw private\nP: write buf "old"\n'
	printf 'P: uffd-writeprotect buf on fork-event\nP: fork C1\n'
	for i in $(seq 2 12); do echo "C$((i - 1)): fork C$i"; done
	printf 'C12: check buf[0] is uffd-wp as lost-write\n'
	printf 'C12: write buf[1] "x" fails EBUSY as lost-write\n'
	printf 'C12: uffd-writeprotect buf off\nC12: write buf "x"\n'
	printf 'C11: check buf[1] is uffd-wp as lost-write\n'
	printf 'P: check buf[0] == "old" as leak\ncheck invariants\n'
} >"$t/nested.pin"
# Forty forks in a row, each child gone before the next
{
	printf 'scenario "forty forks with EVENT_FORK"\nexpect pass\nprocess P\n'
	printf 'P: buf = mmap 1 page rw private\nP: write buf "old"\n'
	printf 'P: uffd-writeprotect buf on fork-event\n'
	for i in $(seq 40); do printf 'P: fork C%d\nC%d: write buf "c" fails EBUSY as lost-write\nC%d: exit\n' $i $i $i; done
	printf 'P: fork D\nD: check buf[0] is uffd-wp as lost-write\ncheck invariants\n'
} >"$t/many.pin"
# uffd-continue: a private and a shared tmpfs mapping, EEXIST on a mapped
# page, EINVAL on anonymous memory; then an mremap of the whole private
# mapping, which failed on 6.1 and 6.12 while the backend registered the
# page alone (the vma stayed split after the registration was dropped)
cat >"$t/continue.pin" <<'EOF'
scenario "uffd-continue: private and shared tmpfs, EEXIST, EINVAL, then mremap"
expect pass
process P
file F tmpfs 4 pages "init"
P: m = mmap 3 pages r private file F
P: s = mmap 2 pages rw shared file F
P: a = mmap 1 page rw private
P: uffd-continue m[1]
P: check m[1] == "init"
P: uffd-continue m[1] fails EEXIST
P: uffd-continue a[0] fails EINVAL
P: uffd-continue s[1]
P: write s[1] "shared"
P: check read F[1] == "shared"
P: check m[1] == "shared"
P: mremap m 4 pages move
P: check m[3] == "init"
check invariants
EOF
# uffd-wp of one page of two: UFFDIO_REGISTER splits the vma at the range's
# ends (the model armed the whole vma until this test; the kernel's mremap of
# all of buf failed with EFAULT), and arming the other page merges it back
cat >"$t/split.pin" <<'EOF'
scenario "uffd-wp of one page splits the mapping"
expect pass
process P
P: buf = mmap 2 pages rw private
P: write buf "old"
P: uffd-writeprotect buf[1] on
P: write buf[0] "new"
P: mremap buf 3 pages move fails EFAULT
P: check buf[0] == "new"
P: write buf[1] "x" fails EBUSY
P: uffd-writeprotect buf[0] off fails ENOENT
P: uffd-writeprotect buf[0] on
P: mremap buf 3 pages move
P: write buf[2] "grown"
P: check buf[1] == "old"
check invariants
EOF
gen="$t/nested.pin $t/many.pin $t/continue.pin $t/split.pin"
"$P" run $gen >"$t/out" 2>&1 || { bad "model: the generated cases"; cat "$t/out"; }
"$P" diff --list $gen >"$t/out" 2>"$t/err"
st=$?
if grep -q "skipped: .*this kernel" "$t/out"; then
	echo "# skipped here: $(grep skipped: "$t/out" | sed 's/.*skipped: //' | sort -u)"
	grep -q DISAGREE "$t/out" && { bad "diff generated: a disagreement"; cat "$t/out"; }
elif [ $st -ne 0 ] || ! grep -q "^4 runs: 4 agree, 0 disagree, 0 skipped on the host$" "$t/out"; then
	bad "diff generated: exit $st"; sed 's/^/    /' "$t/out" "$t/err" | head
fi
no_workers || bad "workers left after the runs: $(ours)"

# Interrupted in the middle of fork-event forks: SIGINT (pinlab kills and
# reaps its workers), then SIGKILL (the workers die with it: a child still
# waiting for its context from a parent that died reads EOF and exits)
set -- ; for i in $(seq 30); do set -- "$@" "$t/many.pin"; done
for sig in INT KILL; do
	"$P" probe "$@" >"$t/out" 2>"$t/err" &
	pid=$!
	for i in $(seq 6000); do	# once the first run is out
		[ -s "$t/out" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	kill -$sig "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null
	st=$?
	pid=
	want=$([ $sig = INT ] && echo 130 || echo 137)
	[ $st -eq "$want" ] || [ $st -eq 0 ] || { bad "probe SIG$sig: exit $st"; tail -3 "$t/err"; }
	no_workers || bad "SIG$sig: workers left behind: $(ours)"
	[ -z "$(ls -A "$TMPDIR")" ] || bad "SIG$sig: temp files left: $(ls -A "$TMPDIR" | head -3)"
done
# the next host run replays what the killed one journalled (docs/host.md)
"$P" probe "$t/nested.pin" >"$t/out" 2>"$t/err" || { bad "probe after SIGKILL"; cat "$t/out" "$t/err"; }
no_workers || bad "workers left at the end: $(ours)"
exit $fail
