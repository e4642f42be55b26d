#!/usr/bin/env bash
# Description: the scenario catalog (scenarios/): (a) `pinlab check` accepts
# every file; (b) `pinlab run --all-presets` meets every expectation; (c) the
# kselftest names of the cow/ and gup_longterm/ results of one preset are
# exactly the 778 cow.c and 50 gup_longterm.c names the kernel prints
# (tests/data/kselftest-names.txt), each once.
# Usage: tests/cli/catalog.sh BUILD_DIR (from the repository root).
# Exit 0 pass, 1 fail, 77 skip (no `pinlab run` in this build yet).
set -u
B=${1:?build dir}
P="$B/pinlab"
NAMES=tests/data/kselftest-names.txt
PRESET=latest			# any preset: every one runs the whole matrix
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

[ -x "$P" ] || { echo "SKIP: $P not built"; exit 77; }
if ! "$P" help run >/dev/null 2>&1; then
	echo "SKIP: this pinlab has no 'run' command yet"
	exit 77
fi

# (a) every scenario file parses and checks
if ! "$P" check scenarios/ >"$t/check.out" 2>&1; then
	echo "FAIL check: pinlab check scenarios/ did not exit 0"
	sed 's/^/    /' "$t/check.out" | head -40
	fail=1
fi

# (b) every (scenario, preset, backing) run meets its expectation
"$P" run scenarios/ --all-presets --format json >"$t/run.json" 2>"$t/run.err"
st=$?
if [ "$st" != 0 ]; then
	echo "FAIL run: pinlab run scenarios/ --all-presets exited $st," \
	     "$(grep -c '"match": *false' "$t/run.json") of $(wc -l <"$t/run.json") runs mismatched"
	grep '"match": *false' "$t/run.json" |
		sed -E 's/.*"file": *"([^"]*)", *"preset": *"([^"]*)", *"backing": *"([^"]*)", *"outcome": *"([^"]*)", *"expected": *"([^"]*)".*/    \1 \2 \3: \4, expected \5/' |
		head -40
	sed 's/^/    /' "$t/run.err" | head -20
	fail=1
fi
if [ ! -s "$t/run.json" ]; then
	echo "FAIL run: no JSON results"
	exit 1
fi

# (c) the kselftest names of cow/ and gup_longterm/ under one preset
field() {	# field NAME: the string value of "NAME" on each line ("" if absent)
	sed -n "s/.*\"$1\": *\"\\(\\([^\"\\\\]\\|\\\\.\\)*\\)\".*/\\1/p" |
		sed 's/\\\//\//g; s/\\"/"/g; s/\\\\/\\/g'
}
grep -E "\"preset\": *\"$PRESET\"" "$t/run.json" |
	grep -E '"file": *"[^"]*/(cow|gup_longterm)/' >"$t/one.json"
field kselftest <"$t/one.json" | sort >"$t/got"
awk -F'\t' '/^(cow|gup_longterm) [0-9]+\t/ { print $2 }' "$NAMES" | sort >"$t/want"
nl=$(wc -l <"$t/one.json")
ng=$(wc -l <"$t/got")
nw=$(wc -l <"$t/want")
if [ "$nw" != 828 ]; then
	echo "FAIL names: $NAMES lists $nw cow/gup_longterm names, expected 778 + 50"
	fail=1
fi
if [ "$nl" != "$ng" ]; then
	echo "FAIL names: $nl cow/gup_longterm results under $PRESET, but $ng kselftest fields"
	fail=1
fi
comm -23 "$t/want" "$t/got" >"$t/missing"
comm -13 "$t/want" "$t/got" >"$t/extra"
if [ -s "$t/missing" ] || [ -s "$t/extra" ]; then
	echo "FAIL names: results under $PRESET differ from the kernel's names" \
	     "($ng results, $nw names)"
	sed 's/^/    missing: /' "$t/missing" | head -20
	sed 's/^/    extra:   /' "$t/extra" | head -20
	fail=1
fi
for d in cow gup_longterm; do
	w=$(grep -c "^$d [0-9]" "$NAMES")
	g=$(grep -cE "\"file\": *\"[^\"]*/$d/" "$t/one.json")
	[ "$w" = "$g" ] || { echo "FAIL names: $d: $g results under $PRESET, the kernel has $w"; fail=1; }
done

exit $fail
