#!/usr/bin/env bash
# Description: `pinlab fuzz-diff` (random model-vs-host differential testing):
# usage errors exit 2; generated scenarios all pass `pinlab check`, and
# --index regenerates one alone; the shrinker (ddmin plus the closure over
# names) finds the known minimum of synthetic predicates; the same seed gives
# byte-identical output and --keep files, every kept file still disagrees
# when replayed and is well formed, a symlink where a kept file goes is not
# written through; the JSON summary has its fields; and 200
# random scenarios show no disagreement between the model (preset of this
# kernel) and this kernel.  Exit 77 if the host backend cannot run here.
# Usage: tests/cli/fuzzdiff.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL $*"; fail=1; }

# expect STATUS NAME CMD...: run, keep stdout/stderr in $t/out, $t/err
expect() {
	local want=$1 name=$2 st
	shift 2
	"$@" >"$t/out" 2>"$t/err"
	st=$?
	if [ "$st" -ne "$want" ]; then
		bad "$name: exit $st, expected $want"
		sed 's/^/    /' "$t/out" "$t/err" | head -20
		return 1
	fi
	return 0
}

[ -x "$P" ] || { echo "SKIP: $P not built"; exit 77; }
if [ "$(uname -s)" != Linux ]; then
	echo "SKIP: not Linux: the host backend needs Linux system calls"
	exit 77
fi
if ! "$P" probe scenarios/cow/a01-basic-cow-after-fork.pin --backing base >"$t/out" 2>&1 ||
   ! grep -q "^ok .* base  *pass " "$t/out"; then
	echo "SKIP: the host backend cannot run a01 on base here (no fork, no workers?):"
	sed 's/^/    /' "$t/out" | head -5
	exit 77
fi

# 1. usage errors: exit 2, nothing run
expect 2 no-seed "$P" fuzz-diff --count 3
expect 2 no-count "$P" fuzz-diff --seed 1
expect 2 bad-seed "$P" fuzz-diff --seed x --count 3
expect 2 bad-count "$P" fuzz-diff --seed 1 --count -4
expect 2 bad-format "$P" fuzz-diff --seed 1 --count 3 --format ktap
expect 2 bad-preset "$P" fuzz-diff --seed 1 --count 3 --preset v9.9
expect 2 bad-option "$P" fuzz-diff --seed 1 --count 3 --frobnicate 1
expect 0 help "$P" help fuzz-diff && grep -q "^usage: pinlab fuzz-diff" "$t/out" ||
	bad "help fuzz-diff"

# 2. generated scenarios are well formed; one regenerates alone
expect 0 emit "$P" fuzz-diff --seed 11 --count 300 --emit "$t/gen" &&
	grep -q "^fuzz-diff seed 11: 300 scenarios written to " "$t/out" || bad "emit summary"
[ "$(ls "$t/gen" | wc -l)" -eq 300 ] || bad "emit: $(ls "$t/gen" | wc -l) files, expected 300"
expect 0 check-generated "$P" check "$t/gen"
expect 0 emit-one "$P" fuzz-diff --seed 11 --index 123 --emit "$t/one"
cmp -s "$t/gen/s11-123.pin" "$t/one/s11-123.pin" || bad "--index 123 differs from scenario 123"
cmp -s "$t/gen/s11-122.pin" "$t/gen/s11-123.pin" && bad "scenarios 122 and 123 are the same"

# 3. the shrinker on predicates with a known minimum
expect 0 test-shrink "$P" fuzz-diff --test-shrink
cat >"$t/want" <<'EOF'
ddmin 0..39 for {3 17 29}: 3 17 29 (109 tests)
ddmin 0..39 for {3}: 3 (6 tests)
shrunk a 14-step scenario to 5 steps (model outcome leak):
# Random scenario 0 of seed 0 (pinlab fuzz-diff --seed 0 --index 0).
scenario "fuzz-diff 0/0"

process P
P: m1 = mmap 2 pages rw private base
P: fork C1
C1: write m1[1] "v3"
C1: check read m1[1] != "v3" as leak
EOF
diff -u "$t/want" "$t/out" >/dev/null || { bad "test-shrink output"; diff -u "$t/want" "$t/out"; }

# 4. determinism, with disagreements to keep: an old preset against this kernel
#    (v5.7 predates the COW fixes, so some random scenarios must differ)
#    Scenarios depend on the host's capabilities too (printed in the summary:
#    "host: thp ext4 swap io_uring"); other tests on this machine switch swap
#    on and off, so compare two runs that saw the same capabilities.
caps() { sed -n 's/.*(preset .*, host: \(.*\))$/\1/p' "$1" | tail -1; }
for try in 1 2 3 4 5; do
	for run in 1 2; do
		rm -rf "$t/keep$run"
		# stdout only: stderr may say "waiting for another pinlab's host runs"
		"$P" fuzz-diff --seed 7 --count 40 --preset v5.7 --keep "$t/keep$run" >"$t/det$run" \
			2>"$t/det$run.err"
		echo "exit $?" >>"$t/det$run"
	done
	[ "$(caps "$t/det1")" = "$(caps "$t/det2")" ] && break
	echo "# host capabilities changed between runs ($(caps "$t/det1") / $(caps "$t/det2")), again"
done
sed -i "s|$t/keep2|$t/keep1|g" "$t/det2"
cmp -s "$t/det1" "$t/det2" || { bad "same seed, different output"; diff "$t/det1" "$t/det2" | head; }
diff -r "$t/keep1" "$t/keep2" >/dev/null || bad "same seed, different --keep files"
grep -q "^exit 1$" "$t/det1" || bad "v5.7 vs this kernel: expected disagreements (exit 1)"
nkeep=$(ls "$t/keep1" 2>/dev/null | wc -l)
ndis=$(sed -n 's/.* \([0-9]*\) disagreements\{0,1\}, .*/\1/p' "$t/det1" | tail -1)
[ "$nkeep" -ge 1 ] && [ "$nkeep" = "$ndis" ] || bad "kept $nkeep files for ${ndis:-?} disagreements"
if [ "$nkeep" -ge 1 ]; then
	expect 0 check-kept "$P" check "$t/keep1"
	expect 1 replay-kept "$P" fuzz-diff --replay "$t/keep1" --preset v5.7 &&
		grep -q "^$nkeep files\{0,1\}: 0 agree, $nkeep disagree, 0 skipped on the host$" "$t/out" ||
		{ bad "kept files do not all disagree on replay"; cat "$t/out"; }
	# shrunk: every kept scenario is smaller than the one it came from
	grep -h "shrunk from" "$t/det1" | awk '{ if ($(NF-2) + 0 >= $(NF-4) + 0) exit 1 }' ||
		bad "a kept scenario did not shrink"
	# --keep where the file to keep is a symlink (issue 21: written through it,
	# then closed twice, abort): refused with the reason, the target as it was
	first=$(ls "$t/keep1" | head -1)
	idx=${first#s7-}
	idx=${idx%.pin}
	mkdir "$t/keepl"
	echo victim >"$t/victim"
	ln -s "$t/victim" "$t/keepl/$first"
	"$P" fuzz-diff --seed 7 --count 40 --index "$idx" --preset v5.7 --keep "$t/keepl" \
		>/dev/null 2>"$t/err"
	st=$?
	[ $st -eq 2 ] || [ $st -eq 3 ] || { bad "--keep onto a symlink: exit $st"; cat "$t/err"; }
	grep -q "symbolic link" "$t/err" || { bad "--keep onto a symlink: no reason"; cat "$t/err"; }
	[ "$(cat "$t/victim")" = victim ] || bad "fuzz-diff --keep wrote through a symlink"
fi

# 5. JSON: one object per disagreement, then the summary object
"$P" fuzz-diff --seed 7 --count 40 --preset v5.7 --keep "$t/keepj" --format json >"$t/json" \
	2>"$t/json.err"
[ $? -eq 1 ] || bad "json: expected exit 1"
tail -n 1 "$t/json" | grep -Eq '^\{"seed": 7, "preset": "v5.7", "kernel": "[^"]*", "host": "[^"]*", "scenarios": 40, "steps": [0-9]+, "disagreements": [0-9]+, "skipped": [0-9]+\}$' ||
	{ bad "json summary"; tail -n 1 "$t/json"; }
njson=$(tail -n 1 "$t/json" | sed -n 's/.*"disagreements": \([0-9]*\).*/\1/p')
[ "$(grep -c '^{"seed": 7, "index": ' "$t/json")" = "$njson" ] && [ "${njson:-0}" -ge 1 ] ||
	bad "json: not one object per disagreement"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$t/json" ||
		bad "json: a line does not parse"
fi

# 6. this kernel and the model of its era agree on 200 random scenarios
expect 0 agree "$P" fuzz-diff --seed 1 --count 200 --keep "$t/k200" ||
	cat "$t/out" | head -40
tail -n 1 "$t/out" | grep -q "^fuzz-diff seed 1: 200 scenarios, [0-9]* steps, 0 disagreements, [0-9]* skipped (preset " ||
	{ bad "200 scenarios: summary"; tail -n 1 "$t/out"; }

# the options go through getopt_long, as everywhere: every spelling the same scenarios
# (--emit probes this kernel's capabilities, hence here, in the host lane)
usage() {	# usage WANT-IN-STDERR ARGS...
	local want=$1
	shift
	"$P" "$@" >/dev/null 2>"$t/err"
	local st=$?
	[ $st = 2 ] || bad "$*: exit $st, want 2"
	grep -qF -- "$want" "$t/err" || bad "$*: stderr lacks \"$want\": $(head -1 "$t/err")"
}
"$P" fuzz-diff --seed 5 --count 3 --preset v5.9 --emit "$t/fa" >"$t/fa.out" ||
	bad "fuzz-diff --seed 5 --count 3: exit $?"
"$P" fuzz-diff --seed=5 --count=3 -p 5.9 --emit="$t/fb" >"$t/fb.out" ||
	bad "fuzz-diff --seed=5 --count=3 -p 5.9: exit $?"
diff -r "$t/fa" "$t/fb" >/dev/null || bad "fuzz-diff: --opt=value and -p give other scenarios"
"$P" fuzz-diff --seed 5 --count 3 -pv5.9 --emit "$t/fc" -- >/dev/null ||
	bad "fuzz-diff ... -- : exit $?"
diff -r "$t/fa" "$t/fc" >/dev/null || bad "fuzz-diff: -pV and -- give other scenarios"
usage "did you mean '--seed'?" fuzz-diff --sed 1 --count 1
usage "did you mean '--count'?" fuzz-diff --seed 1 --cuont=1
usage "needs a value" fuzz-diff --seed 1 --count
usage "unexpected argument 'x'" fuzz-diff --seed 1 --count 1 x
usage "unexpected argument '--emit'" fuzz-diff --seed 1 --count 1 -- --emit
usage "did you mean 'v5.7'?" fuzz-diff --seed 1 --count 1 -p v5.77
"$P" help fuzz-diff >"$t/f1"
"$P" fuzz-diff --help >"$t/f2"
"$P" fuzz-diff --seed 1 -h >"$t/f3"
cmp -s "$t/f1" "$t/f2" && cmp -s "$t/f1" "$t/f3" || bad "help fuzz-diff, --help and -h differ"

exit $fail
