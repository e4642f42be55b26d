#!/usr/bin/env bash
# fuzz/run.sh BUILD SECONDS NAME... - run each libFuzzer target BUILD/NAME for
# SECONDS (one after the other) and print one line per target:
#
#	fuzz NAME execs=<n> crashes=<n> corpus=<n>
#
# Corpus:    BUILD/corpus-NAME, seeded here (every run, new files only) from
#            scenarios/ and tests/ (.pin inputs) or tests/regress/NAME-*.
# Artifacts: BUILD/artifacts-NAME/ (crash-*, leak-*, timeout-*, oom-*; also
#            slow-unit-*, inputs over 10 s that are not counted): the
#            previous run's are moved to artifacts-NAME.old/ first, so the
#            count is this run's.  Minimise one with
#              BUILD/NAME -minimize_crash=1 -runs=10000 ARTIFACT
#            and keep it as tests/regress/NAME-SHORT.{pin,bin} (docs/testing.md).
# Timeouts:  one that does not happen again when its input runs alone was
#            the load of a shared machine: moved to artifacts-NAME.flaky/,
#            and the target fuzzes on for the time left.
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

# findings DIR: crashes, leaks, timeouts, OOMs (not libFuzzer's slow-unit-* notes)
findings() {
	find "$1" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o \
		-name 'oom-*' \) | wc -l
}

for name in "$@"; do
	bin=$build/$name corpus=$build/corpus-$name art=$build/artifacts-$name
	log=$build/fuzz-$name.log
	# fuzz_front promises at most 1 s per input; the others run whole scenarios.
	# fuzz_core: 256 bytes are 50-80 operations (3-5 bytes each), and every
	# finding so far needed 2-56 (tests/regress/fuzz_core-*); an operation's
	# check costs what the world holds, so an input's cost grows faster than
	# its length (docs/performance.md, fuzz_core).
	case $name in
	fuzz_front) timeout_s=1 maxlen=8192 ;;
	fuzz_core) timeout_s=10 maxlen=256 ;;
	*) timeout_s=60 maxlen=4096 ;;	# whole runs: a catalog file is 54 backings
	esac
	seed "$name" "$corpus"
	if [ -d "$art" ]; then
		rm -rf "$art.old" && mv "$art" "$art.old"
	fi
	mkdir -p "$art"
	: >"$log"
	# libFuzzer stops at its first finding.  A timeout that does not happen
	# again when the input is re-run alone was the machine's load (other jobs
	# share the CPUs): it goes to artifacts-NAME.flaky/ and fuzzing goes on
	# for the time left.  Anything else stops the target.
	start=$(date +%s) execs=0 rc=0 flaky=0
	while :; do
		left=$((secs - ($(date +%s) - start)))
		[ "$left" -gt 0 ] || break
		"$bin" -max_total_time="$left" -timeout="$timeout_s" -max_len="$maxlen" \
			-rss_limit_mb=2048 -dict=fuzz/pin.dict -print_final_stats=1 \
			-artifact_prefix="$art/" "$corpus" >"$log.part" 2>&1 </dev/null
		rc=$?
		cat "$log.part" >>"$log"
		n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log.part" | tail -n 1)
		if [ -z "$n" ]; then	# a crash ends the run before the final stats
			n=$(grep -oE '^#[0-9]+' "$log.part" | tail -n 1 | tr -d '#')
		fi
		execs=$((execs + ${n:-0}))
		[ "$rc" -ne 0 ] || break
		again=0
		for t in "$art"/timeout-*; do
			[ -f "$t" ] || continue
			if "$bin" -timeout="$timeout_s" -runs=1 "$t" >>"$log" 2>&1 </dev/null; then
				mkdir -p "$art.flaky" && mv "$t" "$art.flaky/"
				flaky=$((flaky + 1)) again=1
			fi
		done
		if [ "$again" -eq 0 ] || [ "$(findings "$art")" -gt 0 ]; then
			break
		fi
		rc=0
	done
	rm -f "$log.part"
	crashes=$(findings "$art")
	ncorpus=$(find "$corpus" -type f | wc -l)
	echo "fuzz $name execs=$execs crashes=$crashes corpus=$ncorpus"
	if [ "$flaky" -gt 0 ]; then
		echo "# $name: $flaky timeout(s) did not happen again alone (load): $art.flaky/" >&2
	fi
	if [ "$crashes" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "# $name: exit $rc, see $log and $art/" >&2
		grep -m3 -E 'ERROR|fuzz property|internal error|SUMMARY' "$log" |
			sed 's/^/#   /' >&2
		st=1
	fi
done
exit $st
