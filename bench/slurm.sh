#!/usr/bin/env bash
# bench/slurm.sh BUILD_DIR [RUNS] - `pinlab explore --shard` on a real Slurm
# cluster (a private one-node cluster, tools/slurm/cluster.sh): the speedup of
# one bounded race search run as an array of 1 and of 2 tasks on this
# machine's CPUs, and a projection for N machines.
#
# Time is the explorer's own search time per shard (the "seconds" line of
# each shard's --result file), so Slurm's submission and sbatch --wait's
# polling are left out; a whole array takes as long as its slowest task
# (makespan = max over tasks).  Each array runs RUNS times (default 3): the
# median and min-max are printed.
#
# Projection: the search split into 16 shards, each run here one after
# another on one CPU; N machines take the 16 shards round-robin, and the
# projected time is the largest per-machine sum.  That shows how evenly the
# shards split the schedules and what the replayed prefixes of other shards
# ("foreign" runs) cost, not network or start-up costs of a real cluster.
# `make bench-slurm` runs it; no thresholds anywhere.
set -u
B=${1:-build}
P="$(cd "$B" && pwd)/pinlab"
RUNS=${2:-3}
FILE=scenarios/races/6-ksm-exclusive.pin
ARGS=(--preset v6.2 --bound 3 --all)
t=$(mktemp -d)
cluster="$t/cluster"
mkdir "$cluster"
trap 'tools/slurm/cluster.sh stop "$cluster" >/dev/null 2>&1; rm -rf "$t"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tools/slurm/cluster.sh start "$cluster"
case $? in
0) ;;
77) echo "bench slurm skipped (no Slurm cluster here, see above)"; exit 0 ;;
*) exit 1 ;;
esac
. "$cluster/env"

secs() { sed -n 's/^seconds //p' "$1"; }
# stats V...: "median=M min=A max=B" of the values
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median=%.3f min=%.3f max=%.3f", m, v[1], v[NR] }'
}

echo "# $FILE ${ARGS[*]}, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A med
for n in 1 2; do
	spans=()
	for r in $(seq "$RUNS"); do
		d="$t/a$n-$r"
		mkdir -p "$d"
		sbatch --parsable --wait --array=0-$((n - 1)) -o "$d/task-%a.log" \
			tools/slurm/explore-array.sh "$d" "$P" explore "$PWD/$FILE" "${ARGS[@]}" \
			>/dev/null || { echo "bench slurm: array of $n failed"; cat "$d"/task-*.log; exit 1; }
		span=0
		for f in "$d"/shard-*; do
			span=$(awk -v a="$span" -v b="$(secs "$f")" 'BEGIN { print (b > a) ? b : a }')
		done
		spans+=("$span")
	done
	s=$(stats "${spans[@]}")
	med[$n]=${s#median=}
	med[$n]=${med[$n]%% *}
	echo "bench slurm-array-$n tasks=$n makespan_s: $s"
done
awk -v a="${med[1]}" -v b="${med[2]}" \
	'BEGIN { printf "bench slurm-speedup-2 ratio=%.2f (median 1-task makespan / median 2-task makespan)\n", a / b }'

# The projection: 16 shards, one after another.
K=16
tot=0
for k in $(seq 0 $((K - 1))); do
	"$P" explore "$FILE" "${ARGS[@]}" --shard "$k/$K" --result "$t/p-$k" >/dev/null 2>&1
	case $? in 0 | 1) ;; *) echo "bench slurm: shard $k/$K failed"; exit 1 ;; esac
done
single=${med[1]}
for m in 1 2 4 8 16; do
	worst=0
	for j in $(seq 0 $((m - 1))); do
		sum=0
		for k in $(seq "$j" "$m" $((K - 1))); do
			sum=$(awk -v a="$sum" -v b="$(secs "$t/p-$k")" 'BEGIN { print a + b }')
		done
		worst=$(awk -v a="$worst" -v b="$sum" 'BEGIN { print (b > a) ? b : a }')
	done
	awk -v m="$m" -v w="$worst" -v s="$single" \
		'BEGIN { printf "bench slurm-projection machines=%d shards=16 makespan_s=%.3f speedup=%.2f\n", m, w, s / w }'
done
runs=$(cat "$t"/p-* | awk '/^runs /{ r += $2 } /^foreign /{ f += $2 } END { printf "%d %d", r, f }')
echo "# the 16 shards ran ${runs% *} schedule runs, ${runs#* } of them foreign (prefixes of other shards' schedules)"
