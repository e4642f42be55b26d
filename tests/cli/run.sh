#!/usr/bin/env bash
# Description: `pinlab run`, `check`, `show`, `explain` and `help` from the
# outside: exit codes (0 matched, 1 mismatch, 2 bad input/usage), one bad
# file among good ones stops everything before any run, directories are
# searched recursively and sorted, output is deterministic.
# Usage: tests/cli/run.sh BUILD_DIR
set -u
B=${1:?build dir}
P="$(cd "$B" && pwd)/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

check() {	# check NAME EXPECTED_STATUS CMD...
	local name=$1 want=$2
	shift 2
	"$@" >"$t/out" 2>"$t/err" </dev/null
	local st=$?
	if [ "$st" != "$want" ]; then
		echo "FAIL $name: exit $st, expected $want"
		sed 's/^/    /' "$t/out" "$t/err" | head -20
		fail=1
	fi
}
expect_out() {	# expect_out NAME REGEX: stdout of the last check matches
	grep -qE "$2" "$t/out" || { echo "FAIL $1: stdout lacks /$2/"; head -5 "$t/out"; fail=1; }
}
expect_err() {
	grep -qE "$2" "$t/err" || { echo "FAIL $1: stderr lacks /$2/"; head -5 "$t/err"; fail=1; }
}

mkdir -p "$t/s/sub" "$t/bad"
cat >"$t/s/a.pin" <<'PIN'
scenario "fork then write"
backing base thp-pte-16k
process P
P: buf = mmap 1 page
P: write buf "x"
P: fork C
C: write buf "y"
P: check read buf == "x" as leak
PIN
cat >"$t/s/sub/b.pin" <<'PIN'
scenario "vmsplice leak"
expect leak on v5.7 and older
process P
P: buf = mmap 1 page
P: write buf "old"
P: fork C
C: vmsplice buf -> pipe1
C: munmap buf
P: write buf "new"
C: check read pipe1 == "old" as leak
PIN
cat >"$t/mismatch.pin" <<'PIN'
scenario "claims a leak that never happens"
expect leak
process P
P: buf = mmap 1 page
P: write buf "x"
PIN
cp "$t/s/a.pin" "$t/bad/1-good.pin"
cat >"$t/bad/2-bad.pin" <<'PIN'
scenario "bad"
process P
P: buf = mmap 1 pgs
P: write nosuch "x"
PIN
cp "$t/s/sub/b.pin" "$t/bad/3-good.pin"

# exit 0: every outcome as expected; directories recurse, sorted
# three scenarios, each under every checkpoint preset
np=$("$P" presets --format json | wc -l)
nr=$((3 * np))
check run-ok 0 "$P" run "$t/s" --all-presets
expect_out run-ok "^$nr results: $nr matched, 0 mismatched, 0 skipped$"
head -1 "$t/out" | grep -q "/s/a.pin v4.8" || { echo "FAIL run-ok: order"; fail=1; }
grep -q "sub/b.pin v5.7 .* leak .*expected leak" "$t/out" || { echo "FAIL run-ok: leak"; fail=1; }
"$P" run "$t/s" --all-presets --format json >"$t/j1"
"$P" run "$t/s" --all-presets --format json >"$t/j2"
cmp -s "$t/j1" "$t/j2" || { echo "FAIL run: output differs between runs"; fail=1; }
[ "$(grep -c '^{"scenario": .*"steps": [0-9]*}$' "$t/j1")" = "$nr" ] ||
	{ echo "FAIL run json: not $nr objects"; fail=1; }

# exit 1: a mismatch
check run-mismatch 1 "$P" run "$t/mismatch.pin"
expect_out run-mismatch "^FAIL .* pass +expected leak"
check run-mismatch-ktap 1 "$P" run "$t/mismatch.pin" --format ktap
expect_out run-mismatch-ktap "^not ok 1 mismatch \[latest base\]$"

# exit 2: one bad file among good ones -- every error printed, nothing run
check run-bad-file 2 "$P" run "$t/bad"
[ -s "$t/out" ] && { echo "FAIL run-bad-file: something ran"; cat "$t/out"; fail=1; }
expect_err run-bad-file "2-bad.pin:3:17: error: expected 'page' or 'pages', found 'pgs'"
check check-bad-file 2 "$P" check "$t/s" "$t/bad"
[ -s "$t/out" ] && { echo "FAIL check-bad-file: printed OK"; fail=1; }
check check-ok 0 "$P" check "$t/s" "$t/mismatch.pin"
expect_out check-ok "^3 scenarios OK$"

# exit 2: usage
check run-no-path 2 "$P" run
check run-missing 2 "$P" run "$t/nosuch.pin"
expect_err run-missing "nosuch.pin: No such file or directory"
check run-bad-preset 2 "$P" run "$t/s" --preset v9.9
expect_err run-bad-preset "unknown preset 'v9.9'"
check run-bad-backing 2 "$P" run "$t/s" --backing thp-pte
expect_err run-bad-backing "unknown backing 'thp-pte'"
check run-bad-format 2 "$P" run "$t/s" --format xml
check run-bad-set 2 "$P" run "$t/s" --set nosuch=1
check run-both-presets 2 "$P" run "$t/s" --preset v5.9 --all-presets
check run-bad-option 2 "$P" run "$t/s" --frobnicate
expect_err run-bad-option "^pinlab: run: unknown option '--frobnicate'$"
check check-no-path 2 "$P" check
mkdir -p "$t/empty"
check run-empty-dir 2 "$P" run "$t/empty"
expect_err run-empty-dir "empty: no .pin files in this directory$"

# --backing runs one backing; --set changes a rule: the v5.7 leak is closed
check run-backing 0 "$P" run "$t/s/a.pin" --backing thp-pte-16k --preset v5.9
expect_out run-backing "^1 results: 1 matched"
check run-set 1 "$P" run "$t/s/sub/b.pin" --preset v5.7 --set anon_reuse=refcount
expect_out run-set "pass +expected leak"

# show / explain
check show-at 0 "$P" show "$t/s/sub/b.pin" --at 3 --preset v5.7
expect_out show-at "^# after step 3 of 8"
check show-dot 0 "$P" show "$t/s/sub/b.pin" --format dot
expect_out show-dot "^digraph pinlab \{$"
check show-at-range 2 "$P" show "$t/s/sub/b.pin" --at 99
check show-bad-format 2 "$P" show "$t/s/sub/b.pin" --format svg
check show-bad-file 2 "$P" show "$t/bad/2-bad.pin"
check show-case 0 "$P" show cve-2020-29374 --preset v5.7
check explain 0 "$P" explain "$t/s/sub/b.pin" --preset v5.7
expect_out explain "anon_reuse = mapcount in v5.7"
check explain-two 2 "$P" explain "$t/s/a.pin" "$t/s/sub/b.pin"

# help for every command
for c in run check show explain explore replay demo history presets knobs invariants help; do
	check "help-$c" 0 "$P" help "$c"
	expect_out "help-$c" "^usage: pinlab $c"
done
exit $fail
