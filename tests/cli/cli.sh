#!/usr/bin/env bash
# Description: the pinlab CLI: exit codes, help, presets/invariants listings,
# deterministic output, JSON shape, and docs generated from the binary being
# current.  Usage: tests/cli/cli.sh BUILD_DIR
set -u
unset COLUMNS	# text output at its default width (100: not a terminal)
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

check() {	# check NAME EXPECTED_STATUS CMD...
	local name=$1 want=$2
	shift 2
	"$@" >"$t/out" 2>"$t/err"
	local st=$?
	if [ "$st" != "$want" ]; then
		echo "FAIL $name: exit $st, expected $want"
		sed 's/^/    /' "$t/out" "$t/err" | head -20
		fail=1
	fi
}

check no-args 2 "$P"
check help 0 "$P" --help
grep -q "^usage: pinlab COMMAND" "$t/out" || { echo "FAIL help text"; fail=1; }
check help-cmd 0 "$P" help history
check help-unknown 2 "$P" help nosuch
check unknown-cmd 2 "$P" frobnicate
grep -q "unknown command 'frobnicate'" "$t/err" || { echo "FAIL unknown-cmd message"; fail=1; }
check presets 0 "$P" presets
for p in v4.8 v5.7 v5.8 v5.9 v5.11 v5.18 v5.19 v6.0 v6.2 v6.5 latest; do
	grep -q "^$p " "$t/out" || { echo "FAIL presets: $p missing"; fail=1; }
done
check presets-json 0 "$P" presets --format json
[ "$(grep -c '^{"preset": ' "$t/out")" -ge 9 ] || { echo "FAIL presets json"; fail=1; }
check presets-badfmt 2 "$P" presets --format xml
check invariants 0 "$P" invariants --format json
n=$(grep -c '^{"invariant": ' "$t/out")
[ "$n" -ge 24 ] || { echo "FAIL invariants: only $n"; fail=1; }
check knobs 0 "$P" knobs
check unknown-preset 2 "$P" history --preset v9.9
grep -q "unknown preset 'v9.9'" "$t/err" || { echo "FAIL unknown preset message"; fail=1; }
check bad-set 2 "$P" history --set nosuch=1 cve-2020-29374
check unknown-case 2 "$P" history nosuchcase
check history-latest 0 "$P" history
check history-all 0 "$P" history --all-presets --format json
grep -q '"match": false' "$t/out" && { echo "FAIL history: a mismatch"; fail=1; }
[ "$(grep -c '"scenario": ' "$t/out")" -ge 150 ] || { echo "FAIL history json count"; fail=1; }
check trace 0 "$P" history --preset v5.7 --trace cve-2020-29374
# (text output is wrapped at 100 columns when not a terminal: join the lines)
tr '\n' ' ' <"$t/out" | tr -s ' ' | grep -q "reuse.*do_wp_page.*anon_reuse=mapcount" ||
	{ echo "FAIL trace: no mapcount reuse event"; fail=1; }
check show 0 "$P" show pinned-fork --preset v5.8
grep -q "^violation pin-coherence" "$t/out" || { echo "FAIL show: no violation line"; fail=1; }
# show marks what the step changed: fork adds process 2, write-protects the parent's PTEs
check show-marks 0 "$P" show tests/golden/show-text.pin --preset v6.5 --at 4
grep -q "^# '+' added or changed by step 4, '-' removed by it (since step 3)$" "$t/out" &&
	grep -q '^+ process 2$' "$t/out" && grep -q '^  process 1$' "$t/out" &&
	grep -q '^- .*pte 0x7f0000000000 x2 present write' "$t/out" &&
	grep -q '^+ .*pte 0x7f0000000000 x2 present ro' "$t/out" ||
	{ echo "FAIL show: what step 4 changed is not marked"; cat "$t/out"; fail=1; }
check show-marks-1 0 "$P" show tests/golden/show-text.pin --preset v6.5 --at 1
grep -q "since the set-up" "$t/out" || { echo "FAIL show --at 1: no mark header"; fail=1; }
# a knob override changes the outcome: v5.8 without its forced COW break leaks
"$P" history --preset v5.8 --set gup_cow_break_on_read=false cve-2020-29374 >"$t/out"
grep -q "leak" "$t/out" || { echo "FAIL --set did not reopen the leak"; fail=1; }

# demo: every scenario under ./scenarios x the landmark presets, byte-identical
# twice and with any number of worker processes; --all-presets: every preset
PA="$(cd "$B" && pwd)/pinlab"
mkdir -p "$t/demo/scenarios/golden" "$t/empty"
for g in explain json ktap show-text trace; do
	cp "tests/golden/$g.pin" "$t/demo/scenarios/golden/"
done
(cd "$t/demo" && "$PA" demo) >"$t/d1" 2>&1 || { echo "FAIL demo exit status"; fail=1; }
(cd "$t/demo" && "$PA" demo) >"$t/d2" 2>&1
cmp -s "$t/d1" "$t/d2" || { echo "FAIL demo output differs between runs"; fail=1; }
for j in 1 3; do
	(cd "$t/demo" && "$PA" demo -j $j) >"$t/d2" 2>&1
	cmp -s "$t/d1" "$t/d2" || { echo "FAIL demo -j $j differs from the default"; fail=1; }
done
grep -Eq "^60 results \(scenario x preset x backing\): [0-9]+ matched, 0 mismatched, [0-9]+ skipped$" "$t/d1" ||
	{ echo "FAIL demo summary (10 runs x 6 presets)"; tail -3 "$t/d1"; fail=1; }
grep -Eq "^scenario +v4.8 +v5.7 +v5.8 +v5.9 +v5.19 +latest$" "$t/d1" ||
	{ echo "FAIL demo: the landmark presets"; grep ^scenario "$t/d1"; fail=1; }
grep -Eq "^golden/json +LEAK:3 +LEAK:3 +pass +LEAK:2 +LEAK:1 +LEAK:1$" "$t/d1" ||
	{ echo "FAIL demo: json row"; grep json "$t/d1"; fail=1; }
np=$("$P" presets --format json | wc -l)
(cd "$t/demo" && "$PA" demo --all-presets -o "$t/all.html") >"$t/d4" 2>&1 ||
	{ echo "FAIL demo --all-presets exit status"; fail=1; }
grep -Eq "^$((10 * np)) results \(scenario x preset x backing\): [0-9]+ matched, 0 mismatched, [0-9]+ skipped$" "$t/d4" ||
	{ echo "FAIL demo --all-presets summary"; tail -3 "$t/d4"; fail=1; }
grep -q "^HTML report: $t/all.html$" "$t/d4" || { echo "FAIL demo -o: where is it?"; fail=1; }
# the wide matrix comes in blocks of presets, each with its header, none over 100 columns
[ "$(grep -c '^scenario ' "$t/d4")" -ge 2 ] || { echo "FAIL demo --all-presets: one block"; fail=1; }
[ "$(awk '{ if (length > m) m = length } END { print m + 0 }' "$t/d4")" -le 100 ] ||
	{ echo "FAIL demo --all-presets: a line over 100 columns"; fail=1; }
for p in $("$P" presets --format json | sed 's/^{"preset": "\([^"]*\)".*/\1/'); do
	grep -Eq "^scenario .* $p( |$)" "$t/d4" || { echo "FAIL demo --all-presets: no $p"; fail=1; }
done
# without ./scenarios: the history matrix
(cd "$t/empty" && "$PA" demo) >"$t/d3" 2>&1 || { echo "FAIL demo fallback exit"; fail=1; }
grep -q "^pinlab: no scenarios/ directory here" "$t/d3" || { echo "FAIL demo fallback"; fail=1; }
grep -q ", 0 mismatched" "$t/d3" || { echo "FAIL demo fallback mismatches"; fail=1; }

# generated docs are current
for d in presets invariants; do
	if [ "$d" = presets ]; then
		{ "$P" knobs; "$P" presets; } >"$t/$d.txt"
	else
		"$P" "$d" >"$t/$d.txt"
	fi
	if ! awk '/^```text$/{f=1;next} /^```$/{f=0} f' "docs/$d.md" | cmp -s - "$t/$d.txt"; then
		echo "FAIL docs/$d.md is stale: run 'make docs'"
		fail=1
	fi
done
exit $fail
