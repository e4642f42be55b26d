#!/bin/sh
# tools/slurm/explore-array.sh - one shard of a `pinlab explore` search, as a
# task of a Slurm array job (docs/explore.md, "Many machines").
#
#   sbatch --array=0-15 tools/slurm/explore-array.sh RESULTS-DIR \
#	pinlab explore FILE --preset P --bound K [--all] ...
#   pinlab explore --merge RESULTS-DIR/shard-*
#
# Task K of an array of N runs the search's shard K/N and writes its result to
# RESULTS-DIR/shard-K.  Every task must get the same file, preset, knobs and
# bound (the arguments are the same for the whole array).  A shard's exit 1
# only says that its part alone did not meet the expectation (a shard that saw
# no failing schedule of a buggy preset): the task then succeeds and the merged
# result is judged; 2 (bad input) and 3 (internal error) fail the task.
#SBATCH --job-name=pinlab-explore
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
set -u
[ $# -ge 2 ] || { echo "usage: explore-array.sh RESULTS-DIR pinlab explore FILE ..." >&2; exit 2; }
res=$1
shift
: "${SLURM_ARRAY_TASK_ID:?not a Slurm array task}"
: "${SLURM_ARRAY_TASK_COUNT:?not a Slurm array task}"
"$@" --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT" \
	--result "$res/shard-$SLURM_ARRAY_TASK_ID"
rc=$?
[ "$rc" -eq 1 ] && rc=0
exit "$rc"
