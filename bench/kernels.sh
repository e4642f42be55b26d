#!/usr/bin/env bash
# bench/kernels.sh BUILD_DIR - `probe --kernel K` over cow/, gup_longterm/ and
# seeds/ for each 6.1 and 6.12 image `pinlab kernels` finds: the boot time
# (qemu start to the guest's first transcript line, host clock), the time of
# the runs in the guest (host clock), and per run the guest's own time
# (PINLAB_KERNEL_STATS, docs/kernels.md): mean, median and the slowest runs.
# Lines in the `bench NAME ...` format of pinlab-bench.  No thresholds.
# Skips (one line saying why) without qemu or without images.
set -u
B="${1:-build}"
P="$B/pinlab"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "bench kernels: skipped: qemu-system-x86_64 not installed"
	exit 0
fi
"$P" kernels >"$t/kernels" 2>&1
found=0
for k in 6.1 6.12; do
	rel=$(awk -v k="$k" 'index($1, k) == 1 && substr($1, length(k) + 1, 1) !~ /[0-9]/ \
		{ r = $1 } END { print r }' "$t/kernels")
	if [ -z "$rel" ]; then
		echo "bench kernel-$k: skipped: no image (make kernels)"
		continue
	fi
	found=1
	rm -f "$t/stats"
	t0=$(date +%s%N)
	PINLAB_KERNEL_STATS="$t/stats" "$P" probe --kernel "$k" scenarios/cow \
		scenarios/gup_longterm scenarios/seeds >"$t/out" 2>"$t/err"
	st=$?
	t1=$(date +%s%N)
	accel=$(awk '$1 == "boot" { print $4; exit }' "$t/stats")
	boot=$(awk '$1 == "boot" { s += $6 } END { printf "%.2f", s }' "$t/stats")
	runs=$(awk '$1 == "boot" { s += $8 } END { printf "%.2f", s }' "$t/stats")
	boots=$(grep -c '^boot ' "$t/stats")
	sort -k4,4n <(grep '^run ' "$t/stats") >"$t/runs"
	n=$(wc -l <"$t/runs")
	mean=$(awk '{ s += $4 } END { printf "%.0f", NR ? s / NR : 0 }' "$t/runs")
	median=$(awk '{ v[NR] = $4 } END { print NR ? v[int((NR + 1) / 2)] : 0 }' "$t/runs")
	ran=$(grep -vc '^skip \|results:' "$t/out")
	echo "bench kernel-$k release=$rel accel=$accel boots=$boots boot-s=$boot" \
		"guest-runs-s=$runs total-s=$(awk -v n=$((t1 - t0)) 'BEGIN { printf "%.2f", n / 1e9 }')" \
		"runs=$n run-not-skipped=$ran guest-run-us-mean=$mean guest-run-us-median=$median exit=$st"
	tail -n 3 "$t/runs" | while read -r _ id backing us; do
		echo "bench kernel-$k-slowest $id [$backing] guest-us=$us"
	done
done
[ $found = 1 ] || echo "bench kernels: skipped: no 6.1 or 6.12 image (make kernels)"
exit 0
