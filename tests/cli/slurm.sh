#!/usr/bin/env bash
# Description: the Slurm recipe of docs/explore.md, run for real: a private
# one-node cluster (tools/slurm/cluster.sh: munged, slurmctld, slurmd, all in
# this test's own directory, on free ports), the documented array job
# (tools/slurm/explore-array.sh) for bounded race searches split into N
# shards, `pinlab explore --merge` of the shard results, and the merged
# result compared with the same search in one process: the same schedules,
# revisited, failures, distinct end states (the same set, state by state),
# completeness and reported failure.  Two searches: one that must find a
# failing schedule (2-gup-fast-fork on v5.9) and one that must not
# (6-ksm-exclusive on v6.2).  Only shard bookkeeping (runs, foreign, steps)
# may differ.  As root with Debian's slurm-wlm and munge; exit 77 otherwise.
# Usage: tests/cli/slurm.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$(cd "$B" && pwd)/pinlab"
fail=0
case "$B" in
*asan* | *tsan*)
	echo "# SKIP the sanitizer lane adds nothing here: the shards are the plain explorer's code"
	exit 77 ;;
esac
t=$(mktemp -d)
cluster="$t/cluster"
mkdir "$cluster"
cleanup() {
	tools/slurm/cluster.sh stop "$cluster" >/dev/null 2>&1
	rm -rf "$t"
}
trap cleanup EXIT
trap "exit 130" INT
trap "exit 143" TERM
bad() { echo "FAIL $*"; fail=1; }

tools/slurm/cluster.sh start "$cluster"
rc=$?
[ "$rc" -eq 77 ] && exit 77
[ "$rc" -eq 0 ] || { echo "FAIL the cluster did not start (exit $rc)"; exit 1; }
. "$cluster/env"

# fields FILE.json: the fields that must agree between a merged search and
# the single-process one, one per line.
fields() {
	tr -d '{}' <"$1" | sed 's/, "/\n"/g' |
		grep -E '^"(schedules|revisited|redundant|distinct_states|failures|bound|complete|exhaustive|failure)"'
}

# search NAME N FILE ARGS...: the search in one process, then as an N-task
# array job, merged; compare.
search() {
	local name=$1 n=$2 file=$3
	shift 3
	local d="$t/$name"
	mkdir -p "$d/res"
	"$P" explore "$file" "$@" --result "$d/single.res" >"$d/single.out" 2>&1
	local src=$?
	"$P" explore --merge "$d/single.res" --format json >"$d/single.json" 2>/dev/null ||
		bad "$name: merge of the single search's result"
	local job
	job=$(sbatch --parsable --wait --array=0-$((n - 1)) -o "$d/res/task-%a.log" \
		tools/slurm/explore-array.sh "$d/res" "$P" explore "$PWD/$file" "$@" 2>"$d/sbatch.err")
	local jrc=$?
	if [ "$jrc" -ne 0 ]; then
		bad "$name: array job ${job:-?} exit $jrc"
		cat "$d/sbatch.err" "$d"/res/task-*.log 2>/dev/null | sed 's/^/# /'
		return
	fi
	local got
	got=$(ls "$d/res" | grep -c '^shard-')
	[ "$got" -eq "$n" ] || bad "$name: $got of $n shard results written"
	"$P" explore --merge "$d"/res/shard-* --format json >"$d/merged.json"
	local mrc=$?
	[ "$mrc" -eq "$src" ] || bad "$name: merged exit $mrc, single-process exit $src"
	grep -q "\"merged\": $n," "$d/merged.json" || bad "$name: merged.json does not merge $n shards"
	if ! diff <(fields "$d/single.json") <(fields "$d/merged.json") >"$d/fields.diff"; then
		bad "$name: merged result differs from the single-process search"
		sed 's/^/# /' "$d/fields.diff"
	fi
	# the end states: the same set, hash by hash
	if ! diff <(grep '^state ' "$d/single.res" | sort -u) \
		<(cat "$d"/res/shard-* | grep '^state ' | sort -u) >/dev/null; then
		bad "$name: the shards' end states are not the single search's"
	fi
	echo "# $name: $n shards (job $job): $(fields "$d/merged.json" | tr '\n' ' ')"
}

search fork 4 scenarios/races/2-gup-fast-fork.pin --preset v5.9 --bound 2 --all
grep -q '"failures": 0,' "$t/fork/merged.json" && bad "fork: the buggy preset's failures were lost"
search ksm 3 scenarios/races/6-ksm-exclusive.pin --preset v6.2 --bound 2 --all
grep -q '"failures": 0,' "$t/ksm/merged.json" || bad "ksm: a failure on the fixed preset"

[ "$fail" -eq 0 ] && echo "ok slurm"
exit "$fail"
