#!/usr/bin/env bash
# Description: build/pinlab-bench's model side (PINLAB_BENCH_MODEL_ONLY=1,
# nothing of the machine touched): every row of `make bench` prints
# "bench NAME model=<n> kernel=skip ratio=skip spread=..." with a number
# for the model and none fails, the bytes-per-page rows give a number,
# PINLAB_BENCH_ONLY keeps the rows it names, `pinlab-bench scale` prints its
# per-page CPU and bytes rows, bad settings are usage errors (exit 2), and
# bench/profile.sh draws a row's tree (where perf may sample).
# No figure is judged: no timing in tests.
# Usage: tests/cli/bench.sh BUILD_DIR
set -u
B=${1:?build dir}
X="$B/pinlab-bench"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bad() { echo "FAIL $*"; fail=1; }

[ -x "$X" ] || { echo "# SKIP $X not built (make $X)"; exit 77; }
export PINLAB_BENCH_MODEL_ONLY=1 PINLAB_BENCH_REPS=1 PINLAB_BENCH_MB=16
num='[0-9]+(\.[0-9])?'

"$X" >"$t/out" 2>"$t/err" || bad "pinlab-bench: exit $? ($(head -c 300 "$t/err"))"
for row in fork-16MiB fork-parent-16MiB pin-unpin-16MiB cow-fault-per-page reuse-per-page \
	vmsplice-16MiB fork-mthp64k-16MiB pin-unpin-mthp64k-16MiB cow-fault-mthp64k-per-page \
	fork-thp-16MiB fork-parent-thp-16MiB pin-unpin-thp-16MiB cow-fault-thp-per-page \
	reuse-thp-per-page huge-zero-read-thp-per-page fork-hugetlb-16MiB \
	fork-parent-hugetlb-16MiB pin-unpin-hugetlb-16MiB cow-fault-hugetlb-per-page \
	reuse-hugetlb-per-page; do
	grep -Eq "^bench $row model=$num kernel=skip ratio=skip spread=model:$num-$num,kernel:skip\$" \
		"$t/out" || bad "row $row missing or malformed"
done
for row in bytes-per-page bytes-per-page-after-fork bytes-per-page-thp \
	bytes-per-page-thp-after-fork; do
	grep -Eq "^bench $row model=[0-9]+\$" "$t/out" || bad "row $row missing or malformed"
done
grep -q "model=fail" "$t/out" && bad "a model measurement failed: $(grep model=fail "$t/out")"
n=$(grep -c '^bench ' "$t/out")
[ "$n" -eq 24 ] || bad "expected 24 rows, got $n"

# PINLAB_BENCH_ONLY: the PMD THP rows alone ("thp" would take the mthp64k ones too)
PINLAB_BENCH_ONLY=-thp "$X" >"$t/thp" 2>"$t/err" || bad "PINLAB_BENCH_ONLY=-thp: exit $?"
grep '^bench ' "$t/thp" | grep -qv -- '-thp' && bad "PINLAB_BENCH_ONLY=-thp printed other rows"
[ "$(grep -c '^bench ' "$t/thp")" -eq 8 ] || bad "PINLAB_BENCH_ONLY=-thp: not 8 rows"

# scale: one size, one row kind
PINLAB_BENCH_SCALE_GB=1 PINLAB_BENCH_ONLY=pin-unpin "$X" scale >"$t/scale" 2>"$t/err" ||
	bad "scale: exit $?"
for row in pin-unpin-per-page pin-unpin-thp-per-page; do
	grep -Eq "^bench-scale $row size=1GiB user=$num sys=$num spread=user:$num-$num,sys:$num-$num\$" \
		"$t/scale" || bad "scale row $row missing or malformed"
done
grep -Eq '^bench-scale bytes-per-page size=1GiB model=[0-9]+ after-fork=[0-9]+$' "$t/scale" ||
	bad "scale bytes-per-page row missing"

# usage errors
PINLAB_BENCH_MB=0 "$X" >/dev/null 2>&1
[ $? -eq 2 ] || bad "PINLAB_BENCH_MB=0 is not a usage error"
"$X" bogus >/dev/null 2>&1
[ $? -eq 2 ] || bad "an unknown argument is not a usage error"
PINLAB_BENCH_SCALE_GB=x "$X" scale >/dev/null 2>&1
[ $? -eq 1 ] || bad "PINLAB_BENCH_SCALE_GB=x does not fail"

PINLAB_BENCH_PERF=no-comma "$X" >/dev/null 2>&1
[ $? -eq 2 ] || bad "a malformed PINLAB_BENCH_PERF is not a usage error"

# bench/profile.sh (make bench-profile): one small row, its tree rooted at the
# bench's model function, the folded stacks written where it was told
PINLAB_BENCH_MB=64 PINLAB_PROFILE_REPS=20 PINLAB_PROFILE_OUT="$t/prof" \
	bash bench/profile.sh "$B" fork-64MiB >"$t/profile" 2>&1 || bad "profile.sh: exit $?"
if grep -q '^profile: skipped' "$t/profile"; then
	echo "# profile.sh not checked: $(head -1 "$t/profile")"
else
	grep -Eq '^profile fork-64MiB: [0-9]+ samples' "$t/profile" ||
		bad "profile.sh: no header line ($(head -c 300 "$t/profile"))"
	grep -Eq '^ +[0-9.]+%  model_fork_time$' "$t/profile" ||
		grep -q 'no samples' "$t/profile" || bad "profile.sh: no tree under model_fork_time"
	[ -s "$t/prof/fork-64MiB.folded" ] || grep -q 'no samples' "$t/profile" ||
		bad "profile.sh: no folded stacks"
fi

[ $fail -eq 0 ] && echo "pinlab-bench model rows, filters, scale, usage and profile.sh ok"
exit $fail
