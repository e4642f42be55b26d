#!/usr/bin/env bash
# Description: host memory limits (docs/host.md, "Limits"): a scenario whose
# hugetlb pool, populated mappings or files would make the host hold more
# than --host-max-memory (default: half of MemAvailable) is refused before
# anything runs, with FILE:LINE:COL of the step that crosses it (exit 2), by
# probe and diff alike, and a --kernel guest may not get more than the limit.
# The hugetlb pools that the backing matrix sets up before step 1 count too.
# Lane: host (tests/run.sh runs one such script at a time on the machine)
# Usage: tests/cli/hostmem.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }

if [ ! -r /proc/meminfo ]; then
	echo "# SKIP no /proc/meminfo"
	exit 77
fi
printf 'scenario "a pool of 100000 huge pages"\nbacking hugetlb-2048k\nprocess P\nhugetlb-pool 100000\nP: buf = mmap 1 pages rw private\nP: write buf[0] "a"\n' >"$t/pool.pin"
printf 'scenario "16 GiB populated"\nprocess P\nP: a = mmap 1 pages rw private\nP: buf = mmap 4000000 pages rw private populate\nP: write buf[0] "a"\n' >"$t/pop.pin"
A01=scenarios/cow/a01-basic-cow-after-fork.pin

# expect STATUS PATTERN CMD...
expect() {
	local want=$1 pat=$2 st
	shift 2
	"$@" >"$t/out" 2>"$t/err"
	st=$?
	[ $st -eq "$want" ] || { bad "$*: exit $st (expected $want)"; sed 's/^/    /' "$t/err"; }
	grep -q -- "$pat" "$t/err" || { bad "$*: no '$pat' on stderr"; sed 's/^/    /' "$t/err"; }
	[ -s "$t/out" ] && { bad "$*: something ran"; head -3 "$t/out"; }
}

"$P" check "$t/pool.pin" "$t/pop.pin" >/dev/null || bad "the scenarios are not valid"
expect 2 "pool.pin:4:1: error: the host would hold 195.3 GiB .*over the limit of 1.0 GiB (--host-max-memory)" \
	"$P" probe "$t/pool.pin" --host-max-memory 1G --lock-timeout 900
expect 2 "pop.pin:4:1: error: the host would hold 15.3 GiB .*(--host-max-memory)" \
	"$P" diff "$t/pop.pin" --host-max-memory 1G --lock-timeout 900
# the default, if this machine has less than 390 GiB available
if [ "$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)" -lt 408944640 ]; then
	expect 2 "pool.pin:4:1: error: .*(half of MemAvailable" "$P" probe "$t/pool.pin" \
		--lock-timeout 900
fi
expect 2 "a guest needs 256 MiB at least" "$P" probe --kernel 6.1 "$A01" --host-max-memory 100M
expect 2 "--host-max-memory expects a size" "$P" probe "$A01" --host-max-memory lots
# the backing matrix's own pools count: a01 with 1 GiB hugetlb asks for three
# 1 GiB pages (two per mapping plus a spare) before step 1, its 2 MiB row for
# 2 * 1 + 4 = 6 pages (12 MiB); nothing of it may reach the machine
L=$(grep -n "^P: mem = mmap" "$A01" | head -1 | cut -d: -f1)
expect 2 "a01-basic-cow-after-fork.pin:$L:1: error: with backing hugetlb-1048576k the host would hold 3.0 GiB of hugetlb pool .*over the limit of 2.0 GiB (--host-max-memory)" \
	"$P" probe "$A01" --backing hugetlb-1048576k --host-max-memory 2G --lock-timeout 900
expect 2 "a01-basic-cow-after-fork.pin:$L:1: error: with backing hugetlb-2048k the host would hold 12.0 MiB of hugetlb pool" \
	"$P" diff "$A01" --backing hugetlb-2048k --host-max-memory 10M --lock-timeout 900
# the whole matrix of a01 (no --backing): refused at its 1 GiB row
expect 2 "with backing hugetlb-1048576k the host would hold 3.0 GiB" \
	"$P" probe "$A01" --host-max-memory 2G --lock-timeout 900
# within the limit: runs
"$P" probe "$A01" --backing base --host-max-memory 1G --lock-timeout 900 >"$t/out" 2>"$t/err" ||
	{ bad "a01 within 1G: exit $?"; cat "$t/err"; }
exit $fail
