#!/usr/bin/env bash
# Description: the host backend (`pinlab probe`, `pinlab diff`) on the running
# kernel: cow a01 and a03 pass on base, the model agrees, an io_uring scenario
# passes or skips with a reason; the whole host-runnable catalog (cow/,
# gup_longterm/, seeds/) agrees with the model under the preset of this
# kernel, O_DIRECT requests held in flight among it; 1,000 FOLL_GET
# references in pipes and `memlock` (transient/, pinners/10); and nothing is left
# behind (no worker processes, no temp dirs, no swapfile, every THP/mTHP/
# hugetlb sysfs value as before), also after SIGINT.  The test looks only at
# what it started: pinlab's temp files go to a TMPDIR of its own (which must
# end up empty), and its processes carry PINLAB_TEST_OWNER in their
# environment, so another copy of this test (a second `make test`, the ASan
# build's run beside this one) is not counted.
# Exit 77 if nothing could run.
# Usage: tests/cli/host.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
P="$B/pinlab"
exe=$(readlink -f "$P")
fail=0 ran=0
t=$(mktemp -d)
# Stopped from outside (a signal to this script or to its process group),
# the pinlab we started may still be putting the host back (swapoff of its
# swapfile, which the kernel refuses to unlink while active): ask our own
# processes to stop, wait for them, and only then remove our directory.
cleanup() {
	local i p
	for i in $(seq 100); do
		p=$(ours)
		[ -n "$p" ] || break
		# shellcheck disable=SC2086
		[ "$i" -eq 1 ] && kill -TERM $p 2>/dev/null
		sleep 0.1
	done
	rm -rf "$t"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
export TMPDIR="$t/tmp"		# pinlab's temp dirs and swapfile: ours alone
mkdir -p "$TMPDIR"
export PINLAB_TEST_OWNER="$t"	# inherited by pinlab and its workers
# whole lines to grep: text output wraps at 100 columns unless COLUMNS says otherwise
export COLUMNS=10000

A01=scenarios/cow/a01-basic-cow-after-fork.pin
A03=scenarios/cow/a03-vmsplice-unmap-in-child.pin
A08=scenarios/cow/a08-fork-with-iouring-fixed-buffer.pin

bad() { echo "FAIL $*"; fail=1; }

# Our processes running this build's binary (workers are forks of pinlab):
# the ones whose environment has our PINLAB_TEST_OWNER.
ours() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink -f "$p/exe" 2>/dev/null)" = "$exe" ] || continue
		tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "PINLAB_TEST_OWNER=$t" &&
			echo "${p#/proc/}"
	done
}
workers() { ours | wc -l; }
tmpdirs() { ls -A "$TMPDIR"; }
tmp_before=$(tmpdirs)
# What the backend may change for a run and must put back.
sysstate() {
	local f
	for f in /sys/kernel/mm/transparent_hugepage/enabled \
		 /sys/kernel/mm/transparent_hugepage/hugepages-*/enabled \
		 /sys/kernel/mm/hugepages/hugepages-*/nr_hugepages; do
		[ -r "$f" ] && echo "$f: $(cat "$f")"
	done
	tail -n +2 /proc/swaps 2>/dev/null
}
# Hugetlb pages held by io_uring come back from a workqueue: wait a little.
settled() {
	local i
	for i in $(seq 40); do
		[ "$(sysstate)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
sys_before=$(sysstate)
swapopt=
[ "$(id -u)" -eq 0 ] && swapopt=--allow-swapfile

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

# The catalog: every host-runnable (scenario, backing) of cow/, gup_longterm/
# and seeds/ agrees with the model under this kernel's preset.  As root the
# backend switches mTHP sizes, fills hugetlb pools and adds a swapfile.
"$P" diff --list scenarios/cow scenarios/gup_longterm scenarios/seeds $swapopt >"$t/out" 2>"$t/err"
st=$?
summary=$(tail -n 1 "$t/out")
echo "catalog diff: $summary"
if [ $st -ne 0 ] || ! echo "$summary" | grep -q "^[0-9]* runs: [1-9][0-9]* agree, 0 disagree,"; then
	bad "diff catalog: exit $st"; grep -v ' agree$\| skipped: ' "$t/out" "$t/err" | head -40
fi
if [ "$(id -u)" -eq 0 ]; then
	# as root the swapped and mTHP rows run (with our swapfile if need be)
	for row in swapped thp-pte-64k thp-2048k hugetlb-2048k; do
		grep -q "^cow/a01-basic-cow-after-fork  *$row  *model pass  *host pass  *agree$" \
			"$t/out" || bad "diff as root: cow/a01 $row did not run and agree"
	done
fi
# O_DIRECT requests held in flight (backend_host.c, worker.c): on ext4 temp
# files they run and agree, unless this kernel has no userfaultfd to hold them
# or ext4 gave the block past the end of the file away from the file's extent
if [ "$(stat -f -c %t "$TMPDIR")" = ef53 ]; then
	for s in seeds/003-odirect-clear-refs seeds/003-odirect-swapout; do
		grep -q "^$s  *base  *model pass  *host pass  *agree$" "$t/out" ||
			grep -q "^$s  *base .*skipped: .*\(needs userfaultfd\|same ext4 extent\|no swap\)" \
				"$t/out" || bad "diff: $s (O_DIRECT held in flight) did not run and agree"
	done
fi
settled "$sys_before" || { bad "system settings not restored after diff"; sysstate; }
# transient/02 and 03: 1,022 and 1,021 read FOLL_GET references of one page,
# held in pipes (several: past pipe-max-size a pipe needs CAP_SYS_RESOURCE),
# then fork, which shares or copies the page by its refcount; transient/05:
# `reclaim` of such a page (MADV_PAGEOUT stands in for kswapd); pinners/07
# and 10: `memlock` workers without CAP_IPC_LOCK, io_uring's charge per user
# enforced, a huge page charged once across a process's buffers.
# As root they run and agree, unless this kernel has no io_uring.
if [ "$(id -u)" -eq 0 ]; then
	"$P" diff --list scenarios/transient/02-false-positive-shared-fork.pin \
		scenarios/transient/03-race-transient-reference-vs-fork.pin \
		scenarios/transient/05-false-positive-keeps-page-from-swap.pin \
		scenarios/pinners/07-iouring-memlock-huge-page.pin \
		scenarios/pinners/10-iouring-memlock-per-user.pin $swapopt >"$t/out" 2>"$t/err"
	st=$?
	echo "transient/memlock diff: $(tail -n 1 "$t/out")"
	[ $st -eq 0 ] || { bad "diff transient/memlock: exit $st"; sed 's/^/    /' "$t/out" "$t/err" | head; }
	for s in transient/02-false-positive-shared-fork \
		 transient/03-race-transient-reference-vs-fork \
		 transient/05-false-positive-keeps-page-from-swap \
		 pinners/07-iouring-memlock-huge-page pinners/10-iouring-memlock-per-user; do
		grep -q "^$s  *base  *model \([a-z-]*\)  *host \1  *agree$" "$t/out" ||
			grep -q "^$s  *base .*skipped: \(io_uring unavailable\|no swap\|could not set up a temporary swapfile\|the kernel could not allocate\|memlock: this kernel refuses a sparse\)" "$t/out" ||
			bad "diff: $s did not run and agree"
	done
	settled "$sys_before" || { bad "system settings not restored after transient/memlock"; sysstate; }
fi
# The page properties the backend reads from pagemap/kpageflags agree with
# the model (tests/host/*.pin); as root every run must really run.  The
# model alone passes them too.
"$P" run tests/host >"$t/out" 2>&1 || { bad "run tests/host"; grep -v '^ok' "$t/out"; }
"$P" diff tests/host $swapopt >"$t/out" 2>"$t/err"
st=$?
summary=$(tail -n 1 "$t/out")
echo "page properties diff: $summary"
[ $st -eq 0 ] || { bad "diff tests/host: exit $st"; sed 's/^/    /' "$t/out" "$t/err" | head -20; }
# (a run that timed out on a busy machine is counted apart, not a skip)
if [ "$(id -u)" -eq 0 ] && ! echo "$summary" | grep -qE " 0 skipped on the host(, [0-9]+ timed out)?$"; then
	bad "diff tests/host as root: runs skipped"; grep -v '^ok' "$t/out" | head
fi
settled "$sys_before" || { bad "system settings not restored after KSM/props"; sysstate; }
# probe: every host-runnable catalog run matches its expectation
"$P" probe scenarios/gup_longterm $swapopt >"$t/out" 2>"$t/err"
st=$?
echo "gup_longterm probe: $(tail -n 1 "$t/out")"
[ $st -eq 0 ] || { bad "probe gup_longterm: exit $st"; grep -v '^ok\|^skip' "$t/out" | head -20; }
settled "$sys_before" || { bad "system settings not restored after probe"; sysstate; }

# every skip has a reason, and --explain-skips lists it
"$P" probe --explain-skips >"$t/reasons" || bad "explain-skips"
[ "$(wc -l <"$t/reasons")" -ge 10 ] || bad "explain-skips: too few reasons"
"$P" probe scenarios/cow/a01-basic-cow-after-fork.pin scenarios/gup_longterm >"$t/out" 2>&1
grep '^skip' "$t/out" | sed 's/.*expected [a-z-]* *//' | sort -u >"$t/used"
while IFS= read -r why; do
	grep -qxF "$why" "$t/reasons" || bad "skip reason not in --explain-skips: '$why'"
done <"$t/used"

# deterministic output (base pages: what the machine can spare in hugetlb
# pools, say, may differ from one run to the next)
# (stdout: stderr may say the run waited for another pinlab's host runs)
"$P" probe "$A01" "$A03" --backing base >"$t/o1" 2>/dev/null
"$P" probe "$A01" "$A03" --backing base >"$t/o2" 2>/dev/null
cmp -s "$t/o1" "$t/o2" || bad "probe output differs between two runs"

# nothing left behind, also after SIGINT in the middle of a long run
set -- ; for i in $(seq 30); do set -- "$@" scenarios/cow; done
for delay in 0.3 1.5; do
	"$P" probe "$@" $swapopt >/dev/null 2>"$t/err" &
	pid=$!
	sleep $delay
	kill -INT $pid 2>/dev/null
	wait $pid
	st=$?
	[ $st -eq 130 ] || [ $st -eq 0 ] || bad "probe after SIGINT at ${delay}s: exit $st"
	sleep 0.2
	[ "$(workers)" = 0 ] || { bad "pinlab workers left behind: $(ours)"; }
	[ "$(tmpdirs)" = "$tmp_before" ] || bad "temp files left behind: $(tmpdirs)"
	settled "$sys_before" || { bad "system settings not restored after SIGINT"; sysstate; }
done

[ $ran -eq 1 ] || exit 77
exit $fail
