#!/usr/bin/env bash
# fuzz/run.sh BUILD SECONDS NAME... - run each libFuzzer target BUILD/NAME for
# SECONDS (one after the other) and print one line per target:
#
#	fuzz NAME execs=<n> crashes=<n> corpus=<n>
#
# Corpus:    BUILD/corpus-NAME, seeded here (every run, new files only) from
#            scenarios/ and tests/ (.pin inputs) or tests/regress/NAME-*.
# Artifacts: BUILD/artifacts-NAME/ (crash-*, leak-*, timeout-*, oom-*): the
#            previous run's are moved to artifacts-NAME.old/ first, so the
#            count is this run's.  Minimise one with
#              BUILD/NAME -minimize_crash=1 -runs=10000 ARTIFACT
#            and keep it as tests/regress/NAME-SHORT.{pin,bin} (docs/testing.md).
# Log:       BUILD/fuzz-NAME.log.  Exit 1 if any target crashed.
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: fuzz/run.sh BUILD SECONDS NAME..." >&2; exit 2; }
build=${1%/} secs=$2
shift 2
cd "$(dirname "$0")/.." || exit 2
export LC_ALL=C
st=0

# seed NAME DIR: copy the seed inputs of one target into its corpus
seed() {
	local name=$1 dir=$2 f i=0
	mkdir -p "$dir"
	case $name in
	fuzz_front|fuzz_run)
		while IFS= read -r f; do
			i=$((i + 1))
			cp -n "$f" "$dir/seed-$i-$(basename "$f")"
		done < <(find scenarios tests -name '*.pin' | sort)
		;;
	esac
	for f in tests/regress/"$name"-*; do
		[ -f "$f" ] && cp -n "$f" "$dir/"
	done
}

for name in "$@"; do
	bin=$build/$name corpus=$build/corpus-$name art=$build/artifacts-$name
	log=$build/fuzz-$name.log
	# fuzz_front promises at most 1 s per input; the others run whole scenarios
	case $name in
	fuzz_front) timeout_s=1 maxlen=8192 ;;
	*) timeout_s=10 maxlen=4096 ;;
	esac
	seed "$name" "$corpus"
	if [ -d "$art" ]; then
		rm -rf "$art.old" && mv "$art" "$art.old"
	fi
	mkdir -p "$art"
	"$bin" -max_total_time="$secs" -timeout="$timeout_s" -max_len="$maxlen" \
		-rss_limit_mb=2048 -dict=fuzz/pin.dict -print_final_stats=1 \
		-artifact_prefix="$art/" "$corpus" >"$log" 2>&1 </dev/null
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ -z "$execs" ]; then	# a crash ends the run before the final stats
		execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	fi
	crashes=$(find "$art" -type f | wc -l)
	ncorpus=$(find "$corpus" -type f | wc -l)
	echo "fuzz $name execs=${execs:-0} crashes=$crashes corpus=$ncorpus"
	if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "# $name: exit $rc, see $log and $art/" >&2
		grep -m3 -E 'ERROR|fuzz property|internal error|SUMMARY' "$log" |
			sed 's/^/#   /' >&2
		st=1
	fi
done
exit $st
