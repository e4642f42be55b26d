#!/usr/bin/env bash
# bench/explore.sh BUILD_DIR - the race explorer on scenarios/races/: the
# bounded search (--bound 2) of every race under its fixed preset, and the
# search for the bug under its buggy one.  One `bench explore-...` line each:
#
#   model=NS          CPU time of one whole `pinlab explore` process: exec,
#                     the dynamic loader and libc start-up (about 0.9 ms on
#                     this machine, as long as /bin/true), parsing, the
#                     search and the output; the median of 5 samples, each
#                     the mean of enough runs in a row to take 50 ms or more;
#                     spread = the samples' min and max.  Measured with
#                     `perf stat -e task-clock` (clock=perf: the process
#                     alone, from its exec), else bash's `time` of the loop
#                     (clock=rusage: also each fork of the shell, ms
#                     resolution)
#   steps             the JSON's "steps": scheduling steps of the search
#   steps-per-sec     steps / model, end to end
#   search=complete   the whole bounded search ran (nothing found under the
#                     fixed preset): its throughput is the explorer's
#   search=first-failure  the search stopped at the first failing schedule
#                     and minimised it (replays, not counted in steps): a
#                     few dozen to a few thousand steps, so start-up is most
#                     of model and steps-per-sec says little about the search
#
# No thresholds.
set -u
P="${1:-build}/pinlab"
R=scenarios/races
if perf stat -x, -e task-clock true >/dev/null 2>&1; then
	CLOCK=perf
else
	CLOCK=rusage
fi
# cpu_s N CMD...: CPU seconds of running CMD N times in a row
cpu_s() {
	local n=$1 TIMEFORMAT='%3U %3S' t
	shift
	if [ $CLOCK = perf ]; then
		# task-clock in ms, the mean of the n runs
		t=$(perf stat -x, -e task-clock -r "$n" "$@" 2>&1 >/dev/null | grep task-clock |
			tail -1 | cut -d, -f1)
		awk -v t="$t" -v n="$n" 'BEGIN { printf "%.6f\n", t / 1000 * n }'
		return
	fi
	t=$( { time { for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1; done; }; } 2>&1)
	awk -v t="$t" 'BEGIN { split(t, a, " "); printf "%.6f\n", a[1] + a[2] }'
}
row() {	# row NAME PRESET FILE [ARGS...]
	local name=$1 preset=$2 file=$3
	shift 3
	local cmd=("$P" explore "$file" --preset "$preset" --bound 2 --format json "$@")
	local out steps sched found search one reps s samples=()
	out=$("${cmd[@]}" 2>/dev/null)
	steps=$(printf '%s\n' "$out" | sed -n 's/.*"steps": \([0-9]*\).*/\1/p' | head -1)
	sched=$(printf '%s\n' "$out" | sed -n 's/.*"schedules": \([0-9]*\).*/\1/p' | head -1)
	found=$(printf '%s\n' "$out" | sed -n 's/.*"found": "\([a-z-]*\)".*/\1/p' | head -1)
	if printf '%s\n' "$out" | grep -q '"found": null'; then
		search=complete
	else
		search=first-failure
	fi
	one=$(cpu_s 1 "${cmd[@]}")
	reps=$(awk -v t="$one" 'BEGIN { r = t > 0 ? int(0.05 / t) + 1 : 50; print (r > 200 ? 200 : r) }')
	for s in 1 2 3 4 5; do
		samples+=("$(cpu_s "$reps" "${cmd[@]}")")
	done
	printf '%s\n' "${samples[@]}" | sort -n | awk -v n="explore-$name-$preset" -v reps="$reps" \
		-v st="${steps:-0}" -v sc="${sched:-0}" -v f="${found:-none}" -v se="$search" \
		-v clock="$CLOCK" '
		{ v[NR] = $1 / reps * 1e9 }
		END {
			med = v[3]
			printf "bench %s model=%.0f spread=model:%.0f-%.0f schedules=%d steps=%d " \
			       "steps-per-sec=%.0f search=%s found=%s clock=%s\n", n, med, v[1], v[5],
			       sc, st, (med ? st / (med / 1e9) : 0), se, f, clock
		}'
}
row dirty-cow v4.8 $R/1-dirty-cow.pin
row dirty-cow v5.7 $R/1-dirty-cow.pin
row gup-fast-fork v5.9 $R/2-gup-fast-fork.pin
row gup-fast-fork v5.11 $R/2-gup-fast-fork.pin
row gup-fast-zap-norecheck latest $R/3-gup-fast-zap.pin --set gup_fast_recheck_pte=false
row gup-fast-zap latest $R/3-gup-fast-zap.pin
row pin-swapout v5.11 $R/4-pin-swapout.pin
row pin-swapout v5.19 $R/4-pin-swapout.pin
row uprobes-pin v6.5 $R/5-uprobes-pin.pin
row uprobes-pin latest $R/5-uprobes-pin.pin
row ksm-exclusive v6.0 $R/6-ksm-exclusive.pin
row ksm-exclusive v6.2 $R/6-ksm-exclusive.pin
row dirty-cow-loop v4.8 $R/7-dirty-cow-loop.pin
row dirty-cow-loop latest $R/7-dirty-cow-loop.pin
row fault-vs-fork-vma-lock v6.4 $R/8-fault-vs-fork-vma-lock.pin
row fault-vs-fork-vma-lock latest $R/8-fault-vs-fork-vma-lock.pin
row gup-fast-collapse latest $R/9-gup-fast-collapse.pin
