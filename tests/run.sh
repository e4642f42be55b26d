#!/usr/bin/env bash
# tests/run.sh BUILD_DIR - run pinlab's test programs and scripts against one build.
#
# A test is
#   - a unit test program: BUILD_DIR/tests/unit/NAME, built from tests/unit/NAME.c
#   - a CLI test script:   tests/cli/NAME.sh, run as `bash tests/cli/NAME.sh BUILD_DIR`
# Exit status 0 = pass, 77 = skip, anything else (1, a signal, a timeout) = fail.
# Tests run from the repository root, in sorted order, one at a time, each
# under `timeout ${PINLAB_TEST_TIMEOUT:-300}`.  Output goes to
# BUILD_DIR/test-logs/KIND-NAME.log and is echoed (as "# " lines) on failure.
#
# Prints one line per test (ok - / not ok - / skip -), then
# "N passed, N failed[, N skipped]", and writes "PASSED FAILED SKIPPED" to
# BUILD_DIR/test-counts for `make test` to sum.  Exits 1 if anything failed.
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

timeout_s=${PINLAB_TEST_TIMEOUT:-300}
logs=$build/test-logs
mkdir -p "$logs" || exit 2
rm -f "$build/test-counts"

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

for src in tests/unit/*.c; do
	name=$(basename "$src" .c)
	prog=$build/tests/unit/$name
	log=$logs/unit-$name.log
	if [ ! -x "$prog" ]; then
		echo "not built: $prog (from $src)" >"$log"
		result "unit/$name" "$log" 127
		continue
	fi
	timeout "$timeout_s" "$prog" >"$log" 2>&1 </dev/null
	result "unit/$name" "$log" $?
done

for script in tests/cli/*.sh; do
	name=$(basename "$script" .sh)
	log=$logs/cli-$name.log
	timeout "$timeout_s" bash "$script" "$build" >"$log" 2>&1 </dev/null
	result "cli/$name" "$log" $?
done

echo "$passed $failed $skipped" >"$build/test-counts"
summary "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
