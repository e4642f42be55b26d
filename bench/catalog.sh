#!/usr/bin/env bash
# bench/catalog.sh BUILD_DIR - the whole scenario catalog under every preset:
# wall time, (scenario, preset, backing) results, and model steps per second.
# One line in the `bench NAME ...` format of pinlab-bench.  No thresholds.
set -u
P="${1:-build}/pinlab"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
t0=$(date +%s%N)
"$P" run scenarios/ --all-presets --format json >"$out"
st=$?
t1=$(date +%s%N)
ns=$((t1 - t0))
results=$(grep -c '"scenario": ' "$out")
steps=$(sed -n 's/.*"steps": \([0-9]*\).*/\1/p' "$out" | awk '{s += $1} END {print s + 0}')
sps=$(awk -v s="$steps" -v n="$ns" 'BEGIN { printf "%.0f", n ? s / (n / 1e9) : 0 }')
echo "bench catalog-all-presets model=$ns results=$results steps=$steps steps-per-sec=$sps exit=$st"
