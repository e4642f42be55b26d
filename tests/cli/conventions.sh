#!/usr/bin/env bash
# Description: getopt_long conventions.  "--opt=value", "--opt value",
# "-p V", "-pV" spell the same option (same output); -f, -o, -q, -v, -j are
# the short forms of --format, --output, --quiet, --trace and --jobs; "--"
# ends the options; a flag given a value, a value option without one, and an
# unknown option are usage errors (exit 2); --version prints the release and
# the git revision; `pinlab help CMD`, `pinlab CMD --help` and `pinlab CMD
# ARGS... -h` print the same usage; presets by kernel release (-p 6.1,
# -p 5.10.102) and ranges (--presets 5.4..6.1); unknown commands, options,
# presets, backings and knobs get "did you mean ...?".
# Usage: tests/cli/conventions.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$(cd "$B" && pwd)/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }
F=scenarios/examples/vmsplice-unmap-child.pin

# same output for every spelling
"$P" run "$F" --preset v5.7 --format json >"$t/ref" || bad "run --preset v5.7: exit $?"
for spelling in "--preset=v5.7 --format=json" "-p v5.7 -f json" "-pv5.7 -fjson" \
		"-p 5.7 -f json" "--presets=v5.7 --format json"; do
	# shellcheck disable=SC2086
	"$P" run "$F" $spelling >"$t/out" 2>"$t/err" || bad "run $spelling: exit $?: $(cat "$t/err")"
	cmp -s "$t/ref" "$t/out" || bad "run $spelling differs from --preset v5.7 --format json"
done
"$P" run "$F" -p v5.7 -v >"$t/v" && grep -q '^step 1 (line' "$t/v" || bad "-v is not --trace"
"$P" run "$F" --all-presets -q >"$t/q" || bad "run -q: exit $?"
[ "$(wc -l <"$t/q")" = 1 ] && grep -q ' 0 mismatched' "$t/q" || bad "-q prints more than the summary: $(head -3 "$t/q")"
"$P" report "$F" -p v5.7 -o "$t/r.html" && [ -s "$t/r.html" ] || bad "report -o"
"$P" report "$F" -p v5.7 --output="$t/r2.html" && cmp -s "$t/r.html" "$t/r2.html" ||
	bad "--output=F differs from -o F"
"$P" explore scenarios/races/1-dirty-cow.pin -p v5.7 -j1 --bound=1 >"$t/x1" 2>/dev/null ||
	bad "explore -j1 --bound=1: exit $?"
"$P" explore scenarios/races/1-dirty-cow.pin --preset v5.7 --jobs 1 --bound 1 >"$t/x2" 2>/dev/null
cmp -s "$t/x1" "$t/x2" || bad "explore -j1 --bound=1 differs from --jobs 1 --bound 1"

# -- ends the options: a file named like an option
cp "$F" "$t/-p"
(cd "$t" && "$P" run -- -p) >"$t/dd" 2>&1 || bad "run -- -p: exit $?: $(head -2 "$t/dd")"

# releases and ranges
# (which preset a release maps to is the era table's business: any v5.x
# checkpoint, or the release itself when a stable update gave it rules of
# its own, as 5.10.53 did with 8f34f1eac382)
"$P" run "$F" -p 5.10.102 | grep -qE ' (v5\.[0-9]+|5\.10\.102) ' || bad "-p 5.10.102 is not a v5 preset"
"$P" run "$F" -p 6.1 >"$t/r61" || bad "-p 6.1: exit $?"
p61=$(awk '{ print $3; exit }' "$t/r61")
"$P" run "$F" -p "$p61" | cmp -s - "$t/r61" || bad "-p 6.1 differs from -p $p61"
np=$("$P" presets --format json | grep -c '^{"preset"')
n=$("$P" run "$F" --presets 4.8..latest | grep -c '^ok')
[ "$n" = $((3 * np)) ] || bad "--presets 4.8..latest: $n runs, want $np presets x 3 backings"
n=$("$P" run "$F" --presets v5.8,v5.9 | grep -c '^ok')
[ "$n" = 6 ] || bad "--presets v5.8,v5.9: $n runs, want 2 presets x 3 backings"

# usage errors, with suggestions
usage() {	# usage WANT-IN-STDERR ARGS...
	local want=$1
	shift
	"$P" "$@" >/dev/null 2>"$t/err"
	local st=$?
	[ $st = 2 ] || bad "$*: exit $st, want 2"
	grep -qF -- "$want" "$t/err" || bad "$*: stderr lacks \"$want\": $(head -1 "$t/err")"
}
usage "did you mean 'run'?" rn "$F"
usage "did you mean 'explain'?" help explian
usage "did you mean '--preset'?" run "$F" --prest v5.7
usage "did you mean '--format'?" run "$F" --fromat=json
usage "did you mean 'v5.7'?" run "$F" -p v5.77
usage "did you mean 'thp-2048k'?" run "$F" --backing thp2048k
usage "did you mean 'anon_reuse'?" run "$F" --set anon_reus=mapcount
usage "takes no value" run "$F" --trace=yes
usage "needs a value" run "$F" -p
usage "unknown option '-x'" run "$F" -x

# --version, help
"$P" --version >"$t/ver" || bad "--version: exit $?"
grep -qE '^pinlab [0-9][0-9.]* \(git ([0-9a-f]{7,}(-dirty)?|unknown)\)$' "$t/ver" ||
	bad "--version: $(cat "$t/ver")"
"$P" help explain >"$t/h1"
"$P" explain --help >"$t/h2"
"$P" explain "$F" -p v5.7 -h >"$t/h3"
cmp -s "$t/h1" "$t/h2" && cmp -s "$t/h1" "$t/h3" || bad "help explain, explain --help and -h differ"
grep -q '^usage: pinlab explain' "$t/h1" || bad "help explain: $(head -1 "$t/h1")"
exit $fail
