#!/usr/bin/env bash
# tests/run.sh BUILD_DIR - run pinlab's test programs and scripts against one build.
#
# A test is
#   - a unit test program: BUILD_DIR/tests/unit/NAME, built from tests/unit/NAME.c
#   - a CLI test script:   tests/cli/NAME.sh, run as `bash tests/cli/NAME.sh BUILD_DIR`
# Exit status 0 = pass, 77 = skip, anything else (1, a signal, a timeout) = fail.
# Tests run from the repository root, ${PINLAB_TEST_JOBS:-number of CPUs} at
# a time (every test looks only at what it started, so they can), the
# longest first by the times of the previous run (BUILD_DIR/test-times),
# each under `timeout ${PINLAB_TEST_TIMEOUT:-1800}`.  A script with a line
# "# Lane: host ..." (it runs scenarios on this kernel, which serialise on the
# host lock anyway) first waits for an flock on $PINLAB_TEST_LANE
# (default /tmp/pinlab-tests-host.lock), shared by every suite on the
# machine, so that waiting for another one's host runs is not counted in
# its timeout.  Output goes to
# BUILD_DIR/test-logs/KIND-NAME.log and is echoed (as "# " lines) on failure.
#
# Prints one line per test (ok - / not ok - / skip -) in sorted order once
# all have ended, then "# N tests, J at a time: S s wall, S s summed", then
# "N passed, N failed[, N skipped]", and writes "PASSED FAILED SKIPPED" to
# BUILD_DIR/test-counts for `make test` to sum.  Exits 1 if anything failed.
#
# PINLAB_TEST_ONLY="KIND/NAME ..." (e.g. "cli/host unit/core_mm") runs only
# those tests; the others are not run and not counted (tests/cli/twosuites.sh
# runs two suites of the host tests at once that way).
#
# tests/run.sh --total BUILD_DIR... prints the same summary line summed over
# earlier runs' test-counts (a missing file counts as one failure) and exits
# 1 if anything failed.
set -uo pipefail

usage() {
	echo "usage: tests/run.sh BUILD_DIR | tests/run.sh --total BUILD_DIR..." >&2
	exit 2
}

# summary PASSED FAILED SKIPPED: the last line of every run.
summary() {
	local line="$1 passed, $2 failed"
	[ "$3" -gt 0 ] && line="$line, $3 skipped"
	echo "$line"
}

if [ "${1:-}" = --total ]; then
	shift
	[ $# -ge 1 ] || usage
	tp=0 tf=0 ts=0
	for dir in "$@"; do
		if read -r p f s <"${dir%/}/test-counts" 2>/dev/null; then
			tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
		else
			echo "# ${dir%/}/test-counts missing: tests/run.sh ${dir%/} did not finish"
			tf=$((tf + 1))
		fi
	done
	summary "$tp" "$tf" "$ts"
	[ "$tf" -eq 0 ]
	exit
fi

[ $# -eq 1 ] || usage
build=${1%/}
cd "$(dirname "$0")/.." || exit 2
export LC_ALL=C		# sorted means byte order, on every machine

timeout_s=${PINLAB_TEST_TIMEOUT:-1800}
lane=${PINLAB_TEST_LANE:-/tmp/pinlab-tests-host.lock}
jobs=${PINLAB_TEST_JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)}
[[ $jobs =~ ^[1-9][0-9]*$ ]] || jobs=1
logs=$build/test-logs
mkdir -p "$logs" || exit 2
rm -f "$build/test-counts" "$logs"/*.waiting

# Sanitizer builds: stop at the first error, with a stack, and say so in the log.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:exitcode=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0 failed=0 skipped=0

# result NAME LOG STATUS
result() {
	local name=$1 log=$2 st=$3
	case $st in
	0)
		echo "ok - $name"
		passed=$((passed + 1)) ;;
	77)
		local why
		why=$(grep -m1 -o '# SKIP.*' "$log" 2>/dev/null | sed 's/^# SKIP *//')
		echo "skip - $name${why:+ # $why}"
		skipped=$((skipped + 1)) ;;
	*)
		local what="exit $st"
		[ "$st" = 124 ] && what="timed out after ${timeout_s}s"
		[ "$st" -gt 128 ] && [ "$st" != 124 ] && what="killed by signal $((st - 128))"
		echo "not ok - $name # $what"
		sed 's/^/#   /' "$log" | tail -n 60
		failed=$((failed + 1)) ;;
	esac
}

shopt -s nullglob

echo "# tests/run.sh $build"

# The tests, in report order: "KIND NAME" (unit programs, then CLI scripts).
only=${PINLAB_TEST_ONLY:-}
# chosen KIND NAME: in PINLAB_TEST_ONLY, or no PINLAB_TEST_ONLY
chosen() {
	[ -z "$only" ] || [[ " $only " == *" $1/$2 "* ]]
}
tests=()
for src in tests/unit/*.c; do
	chosen unit "$(basename "$src" .c)" && tests+=("unit $(basename "$src" .c)")
done
for script in tests/cli/*.sh; do
	chosen cli "$(basename "$script" .sh)" && tests+=("cli $(basename "$script" .sh)")
done
if [ -n "$only" ]; then
	for want in $only; do
		[ -e "tests/${want%%/*}/${want#*/}.c" ] || [ -e "tests/${want%%/*}/${want#*/}.sh" ] ||
			{ echo "tests/run.sh: PINLAB_TEST_ONLY: no test $want" >&2; exit 2; }
	done
fi

# Start order: longest first by the last run's times (unknown ones first:
# new tests are not known to be short), then report order.
order=$(for i in "${!tests[@]}"; do
	key=${tests[$i]/ /-}
	sec=$(awk -v k="$key" '$1 == k { print $2 }' "$build/test-times" 2>/dev/null)
	echo "${sec:-999999} $i"
done | sort -k1,1nr -k2,2n | awk '{ print $2 }')

# run_one KIND NAME: the test, its status into LOG.rc and its seconds into LOG.sec
run_one() {
	local kind=$1 name=$2 log=$logs/$1-$2.log t0 st
	rm -f "$log.rc" "$log.sec"
	t0=$(date +%s)
	if [ "$kind" = unit ]; then
		local prog=$build/tests/unit/$name
		if [ ! -x "$prog" ]; then
			echo "not built: $prog (from tests/unit/$name.c)" >"$log"
			st=127
		else
			timeout "$timeout_s" "$prog" >"$log" 2>&1 </dev/null
			st=$?
		fi
	else
		if grep -q '^# Lane: host' "tests/cli/$name.sh" && command -v flock >/dev/null; then
			# the wait for the lane is not part of the test's time, and
			# takes no slot ($log.waiting exists while it waits)
			: >"$log.waiting"
			flock "$lane" sh -c 'rm -f "$1"; shift; exec "$@"' sh "$log.waiting" \
				timeout "$timeout_s" bash "tests/cli/$name.sh" "$build" \
				>"$log" 2>&1 </dev/null
			rm -f "$log.waiting"
		else
			timeout "$timeout_s" bash "tests/cli/$name.sh" "$build" >"$log" 2>&1 </dev/null
		fi
		st=$?
	fi
	echo $(($(date +%s) - t0)) >"$log.sec"
	echo "$st" >"$log.rc"
}

# A free slot: fewer than $jobs of the tests started are still alive and
# not waiting for the host lane (counted each second with kill -0: `wait -n`
# alone may return for a job that ended before it was called).
wall0=$(date +%s)
pids=()
for i in $order; do
	while :; do
		alive=0
		for p in "${pids[@]}"; do
			kill -0 "$p" 2>/dev/null && alive=$((alive + 1))
		done
		waiting=$(find "$logs" -maxdepth 1 -name '*.waiting' | wc -l)
		[ $((alive - waiting)) -lt "$jobs" ] && break
		sleep 1
	done
	run_one ${tests[$i]} &
	pids+=($!)
done
wait
wall=$(($(date +%s) - wall0))

sum=0
: >"$build/test-times.new"
for entry in "${tests[@]}"; do
	kind=${entry%% *} name=${entry#* }
	log=$logs/$kind-$name.log
	st=$(cat "$log.rc" 2>/dev/null || echo 125)
	sec=$(cat "$log.sec" 2>/dev/null || echo 0)
	sum=$((sum + sec))
	echo "$kind-$name $sec" >>"$build/test-times.new"
	result "$kind/$name" "$log" "$st"
	rm -f "$log.rc" "$log.sec"
done
# a partial run (PINLAB_TEST_ONLY) keeps the times of the tests it did not run
if [ -n "$only" ] && [ -f "$build/test-times" ]; then
	awk 'NR == FNR { seen[$1] = 1; print; next } !($1 in seen)' \
		"$build/test-times.new" "$build/test-times" >"$build/test-times.all" &&
		mv "$build/test-times.all" "$build/test-times.new"
fi
mv "$build/test-times.new" "$build/test-times"

echo "# ${#tests[@]} tests, $jobs at a time: ${wall} s wall, ${sum} s summed"
echo "$passed $failed $skipped" >"$build/test-counts"
summary "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
