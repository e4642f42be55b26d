#!/usr/bin/env bash
# bench/explore.sh BUILD_DIR - the race explorer on scenarios/races/: for each
# race, the time to find it under its buggy preset, and the time to finish the
# bounded search under the fixed one; plus model scheduling steps per second.
# Lines in the `bench NAME ...` format.  No thresholds.
set -u
P="${1:-build}/pinlab"
run() {	# run NAME FILE PRESET [ARGS...]
	local name=$1 file=$2 preset=$3
	shift 3
	local t0 t1 out steps sched
	t0=$(date +%s%N)
	out=$("$P" explore "$file" --preset "$preset" --bound 2 --format json "$@" 2>/dev/null)
	t1=$(date +%s%N)
	steps=$(printf '%s\n' "$out" | sed -n 's/.*"steps": \([0-9]*\).*/\1/p' | head -1)
	sched=$(printf '%s\n' "$out" | sed -n 's/.*"schedules": \([0-9]*\).*/\1/p' | head -1)
	found=$(printf '%s\n' "$out" | sed -n 's/.*"found": "\([a-z-]*\)".*/\1/p' | head -1)
	awk -v n="$name" -v p="$preset" -v ns=$((t1 - t0)) -v st="${steps:-0}" -v sc="${sched:-0}" \
		-v f="${found:-none}" 'BEGIN { printf "bench explore-%s-%s model=%d schedules=%d steps=%d steps-per-sec=%.0f found=%s\n", n, p, ns, sc, st, (ns ? st / (ns / 1e9) : 0), f }'
}
R=scenarios/races
run dirty-cow $R/1-dirty-cow.pin v4.8
run dirty-cow $R/1-dirty-cow.pin v5.7
run gup-fast-fork $R/2-gup-fast-fork.pin v5.9
run gup-fast-fork $R/2-gup-fast-fork.pin v5.11
run gup-fast-zap $R/3-gup-fast-zap.pin latest --set gup_fast_recheck_pte=false
run gup-fast-zap $R/3-gup-fast-zap.pin latest
run pin-swapout $R/4-pin-swapout.pin v5.11
run pin-swapout $R/4-pin-swapout.pin v5.19
run uprobes-pin $R/5-uprobes-pin.pin v6.5
run uprobes-pin $R/5-uprobes-pin.pin latest
run ksm-exclusive $R/6-ksm-exclusive.pin v6.0
run ksm-exclusive $R/6-ksm-exclusive.pin v6.2
