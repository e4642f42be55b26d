#!/usr/bin/env bash
# Description: allocation failure, in the manner of SQLite's OOM tests.
# BUILD_DIR/pinlab-failalloc is pinlab linked with tests/failalloc/shim.c,
# which fails allocation N and every later one when PINLAB_FAIL_ALLOC=N.
# For a few representative commands this walks N = 1, 2, ... over every
# allocation the command makes (a fixed stride for the big explorer search)
# and asserts, for each N: exit status 3, stderr exactly
# "pinlab: out of memory", no output file left behind (--out / --result),
# and -- on the ASan build -- no leak and no sanitizer report (either would
# change the exit status and stderr).  At N = total + 1 the command must
# succeed with exactly the output of an undisturbed run.  Then the same walk
# with a transient failure (PINLAB_FAIL_ALLOC_ONCE=1: only allocation N
# fails) over the small scenarios.  Prints the allocation points walked per
# command and in all.
# Usage: tests/cli/failalloc.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab-failalloc"
fail=0
total_walked=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

[ -x "$P" ] || { echo "# SKIP: $P not built (make builds it beside pinlab)"; exit 77; }

# oom_msg ERRFILE: stderr is exactly "pinlab: out of memory" -- or, with
# TAIL=1 (the explorer's --format json, which streams the failing schedule to
# stderr as it replays it), ends with that line after nothing but that stream.
TAIL=0
STDIN=/dev/null
oom_msg() {
	# ASan's one-line note about swapcontext (the explorer's threads) is not ours
	sed -i "/WARNING: ASan doesn't fully support makecontext/d" "$1"
	if [ "$TAIL" = 1 ]; then
		[ "$(tail -n 1 "$1")" = "pinlab: out of memory" ] &&
			[ "$(grep -c '^pinlab:\|ERROR\|runtime error' "$1")" = 1 ]
	else
		[ "$(cat "$1")" = "pinlab: out of memory" ]
	fi
}

# same A B: the same output, but for the explorer's wall time ("0.003 s").
same() {
	local re='s/[0-9]+\.[0-9]+ s$/T s/; s/^seconds [0-9.]+$/seconds T/; s/^==[0-9]+==/==PID==/'

	cmp -s <(sed -E "$re" "$1") <(sed -E "$re" "$2")
}

# walk NAME STRIDE OUTFILE CMD... : OUTFILE is a file the command writes ("" for none).
# STRIDE 1 walks every allocation; S > 1 walks 1..200, then every S-th, then the
# last 50 (the first and last allocations are where set-up and output happen).
walk() {
	local name=$1 stride=$2 out=$3 n total st walked=0 bad=0
	shift 3
	unset PINLAB_FAIL_ALLOC
	rm -f "$t/count" ${out:+"$out"}
	PINLAB_FAIL_ALLOC_COUNT=$t/count "$P" "$@" <"$STDIN" >"$t/ref.out" 2>"$t/ref.err"
	st=$?
	total=$(cat "$t/count" 2>/dev/null || echo 0)
	if [ "$total" -lt 1 ]; then
		echo "FAIL $name: no allocation counted (exit $st): $*"
		fail=1
		return
	fi
	[ -n "$out" ] && { cp "$out" "$t/ref.file" 2>/dev/null || : >"$t/ref.file"; }
	n=1
	while [ "$n" -le "$total" ]; do
		rm -f ${out:+"$out"}
		PINLAB_FAIL_ALLOC=$n "$P" "$@" <"$STDIN" >"$t/n.out" 2>"$t/n.err"
		local s=$?
		walked=$((walked + 1))
		if [ "$s" != 3 ] || ! oom_msg "$t/n.err"; then
			echo "FAIL $name: allocation $n of $total failed: exit $s, want 3 and" \
			     "'pinlab: out of memory'"
			sed 's/^/    /' "$t/n.err" | head -20
			bad=$((bad + 1))
		elif [ -n "$out" ] && [ -e "$out" ]; then
			echo "FAIL $name: allocation $n of $total failed: $out left behind"
			bad=$((bad + 1))
		fi
		[ "$bad" -ge 5 ] && { echo "FAIL $name: stopping after 5 failures"; break; }
		if [ "$stride" -gt 1 ] && [ "$n" -ge 200 ] && [ "$n" -lt $((total - 50)) ]; then
			n=$((n + stride))
			[ "$n" -gt $((total - 50)) ] && n=$((total - 50))
		else
			n=$((n + 1))
		fi
	done
	# one past the last allocation: nothing fails, the run is the reference run
	rm -f ${out:+"$out"}
	PINLAB_FAIL_ALLOC=$((total + 1)) "$P" "$@" <"$STDIN" >"$t/n.out" 2>"$t/n.err"
	s=$?
	if [ "$s" != "$st" ] || ! same "$t/n.out" "$t/ref.out" || ! same "$t/n.err" "$t/ref.err"
	then
		echo "FAIL $name: PINLAB_FAIL_ALLOC=$((total + 1)) (past the end) differs from" \
		     "the undisturbed run (exit $s, want $st)"
		bad=$((bad + 1))
	elif [ -n "$out" ] && ! same "$out" "$t/ref.file"; then
		echo "FAIL $name: PINLAB_FAIL_ALLOC=$((total + 1)): $out differs"
		bad=$((bad + 1))
	fi
	[ "$bad" -gt 0 ] && fail=1
	total_walked=$((total_walked + walked))
	echo "$name: $walked of $total allocation points walked$([ "$stride" -gt 1 ] &&
		echo " (stride $stride)"), exit $st when none fails"
}

# walk_once NAME CMD... : transient failures, every N; the command either
# fails cleanly (exit 3, "pinlab: out of memory") or recovers completely.
walk_once() {
	local name=$1 n total st walked=0 bad=0
	shift
	PINLAB_FAIL_ALLOC_COUNT=$t/count "$P" "$@" >"$t/ref.out" 2>"$t/ref.err"
	st=$?
	total=$(cat "$t/count")
	for ((n = 1; n <= total; n++)); do
		PINLAB_FAIL_ALLOC=$n PINLAB_FAIL_ALLOC_ONCE=1 "$P" "$@" >"$t/n.out" 2>"$t/n.err"
		local s=$?
		walked=$((walked + 1))
		if [ "$s" = 3 ] && [ "$(cat "$t/n.err")" = "pinlab: out of memory" ]; then
			continue
		fi
		if [ "$s" = "$st" ] && same "$t/n.out" "$t/ref.out" && same "$t/n.err" "$t/ref.err"
		then
			continue
		fi
		echo "FAIL $name: only allocation $n of $total failed: exit $s"
		sed 's/^/    /' "$t/n.err" | head -20
		bad=$((bad + 1))
		[ "$bad" -ge 5 ] && break
	done
	[ "$bad" -gt 0 ] && fail=1
	total_walked=$((total_walked + walked))
	echo "$name (transient): $walked of $total allocation points walked"
}

for f in scenarios/examples/*.pin; do
	walk "run $f" 1 "" run "$f"
done
walk "run scenarios/examples --format json" 1 "" run scenarios/examples --format json
walk "run cow/a01 --backing thp --trace" 1 "" \
	run scenarios/cow/a01-basic-cow-after-fork.pin --backing thp --trace
walk "run cow/c01 (THP collapse)" 1 "" run scenarios/cow/c01-collapse-before-fork.pin
walk "run gup_longterm/09 --format ktap" 1 "" \
	run scenarios/gup_longterm/09-iouring-shared.pin --format ktap
# every file backing: memfd, tmpfile (ext4), hugetlbfs 2 MiB and 1 GiB (one cache slot per huge page)
walk "run cow/n01 (file backings)" 1 "" run scenarios/cow/n01-basic-cow.pin
walk "check scenarios/gup_longterm" 1 "" check scenarios/gup_longterm
walk "show examples/iouring-fork --format dot" 1 "" \
	show scenarios/examples/iouring-fork.pin --format dot
walk "explain examples/vmsplice-unmap-child" 1 "" \
	explain scenarios/examples/vmsplice-unmap-child.pin
case $B in *asan*) stride=7 ;; *) stride=1 ;; esac
walk "report examples/vmsplice-unmap-child --presets v4.8..v5.8 -o F.html" $stride "$t/rep.html" \
	report scenarios/examples/vmsplice-unmap-child.pin --presets v4.8..v5.8 -o "$t/rep.html"
# the explorer's walks take a stride: every 11th allocation in the plain build,
# every 97th under ASan (each run is several times slower there)
case $B in *asan*) stride=97 ;; *) stride=11 ;; esac
TAIL=1 walk "explore races/2 --preset v5.9 --format json --out F.sched" $stride "$t/race.sched" \
	explore scenarios/races/2-gup-fast-fork.pin --preset v5.9 --format json \
	--out "$t/race.sched"
walk "explore races/2 --preset v5.9 --result R" $stride "$t/race.result" \
	explore scenarios/races/2-gup-fast-fork.pin --preset v5.9 --result "$t/race.result"
"$B/pinlab" explore scenarios/races/2-gup-fast-fork.pin --preset v5.9 --out "$t/r2.sched" \
	>/dev/null 2>&1 || { echo "FAIL: explore --out for the replay walk"; fail=1; }
walk "replay races/2 F.sched --preset v5.9" 1 "" \
	replay scenarios/races/2-gup-fast-fork.pin "$t/r2.sched" --preset v5.9
cp scenarios/examples/dirty-cow.pin "$t/stdin.pin"
STDIN=$t/stdin.pin walk "run - (examples/dirty-cow from stdin)" 1 "" run -

walk_once "run examples/dirty-cow" run scenarios/examples/dirty-cow.pin
walk_once "run examples/vmsplice-unmap-child" run scenarios/examples/vmsplice-unmap-child.pin
walk_once "run cow/n01 (file backings)" run scenarios/cow/n01-basic-cow.pin

echo "allocation points walked in all: $total_walked"
exit $fail
