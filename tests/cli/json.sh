#!/usr/bin/env bash
# Description: machine-readable everything.  The --format json output of run,
# probe (when this kernel can run the scenario), check, show, explain, knobs,
# presets, invariants, history, explore, explore --merge and diff (where the
# host runs scenarios) is validated
# against docs/pinlab.schema.json by tests/tools/jsonschema.py (python3's
# standard library): every object carries "version": 1, no key the schema
# does not name, none it requires missing.  A failing result carries its
# detail (the step, the check, what was seen), fail_step and the invariants;
# explain's steps carry the knob and commit of each decision; show's state
# names processes as the scenario does.  The validator itself rejects a
# wrong object.  Skips (77) without python3.  In the host lane: its diff runs
# a03 under every backing on this kernel, which sets THP/mTHP modes and hugetlb
# pools for the time of each run (another suite's host test reading them
# then would see them changed).
# Usage: tests/cli/json.sh BUILD_DIR (from the repository root).
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
P="$B/pinlab"
S=docs/pinlab.schema.json
V=tests/tools/jsonschema.py
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }
command -v python3 >/dev/null 2>&1 || { echo "# SKIP no python3"; exit 77; }

F=scenarios/examples/vmsplice-unmap-child.pin
R=scenarios/races/1-dirty-cow.pin
j() {	# j NAME ARGS...: pinlab ARGS > NAME.json, exit 0 or 1 (an expectation) allowed
	local name=$1
	shift
	"$P" "$@" >"$t/$name.json" 2>"$t/$name.err"
	local st=$?
	[ $st = 0 ] || [ $st = 1 ] || bad "$*: exit $st: $(head -2 "$t/$name.err")"
	[ -s "$t/$name.json" ] || bad "$*: no output"
}
j run run scenarios/examples scenarios/gup_longterm/01-rw-pin-shared.pin --all-presets -f json
j check check scenarios/ -f json
j show show "$F" -p v5.7 --at 5 -f json
j show-end show scenarios/examples/iouring-fork.pin -f json
j explain explain "$F" -p v5.7 -f json
j explain-thp explain "$F" -p v5.9 --backing thp -f json
j knobs knobs -f json
j presets presets -f json
j invariants invariants -f json
j history history --all-presets -f json
j explore explore "$R" -p v4.8 -f json --result "$t/r0"
j merge explore --merge "$t/r0" -f json
# probe runs on this kernel: validated when it answers at all
if timeout 120 "$P" probe scenarios/cow/a01-basic-cow-after-fork.pin --backing base -f json \
	>"$t/probe.json" 2>"$t/probe.err" && [ -s "$t/probe.json" ]; then
	:
else
	echo "# probe: no host result here ($(head -1 "$t/probe.err")); its objects are run's"
	rm -f "$t/probe.json"
fi
# diff: model vs this kernel, validated when the host runs the scenario (else its run skips,
# and the skip object and the summary are still validated)
if timeout 300 "$P" diff scenarios/cow/a03-vmsplice-unmap-in-child.pin -p v5.9 -f json \
	>"$t/diff.json" 2>"$t/diff.err"; [ $? -le 1 ] && [ -s "$t/diff.json" ]; then
	python3 - "$t/diff.json" <<'PY' || bad "diff --format json contents"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
runs, summ = objs[:-1], objs[-1]
ok = summ.get("summary") is True and summ["runs"] == len(runs) and len(runs) > 1
ok = ok and summ["agree"] + summ["disagree"] + summ["skipped"] + summ["timed_out"] == len(runs)
ok = ok and all(r["preset"] == "v5.9" and r["id"] == "cow/a03-vmsplice-unmap-in-child" for r in runs)
# compared runs list the check step 8 with both values; skipped ones no step
ok = ok and all((r["verdict"] == "skip") == (not r["steps"]) or r["verdict"] == "timeout" for r in runs)
ok = ok and all(any(s["step"] == 8 for s in r["steps"]) for r in runs if r["verdict"] in ("agree", "disagree"))
ok = ok and all(all(s["agree"] for s in r["steps"]) for r in runs if r["verdict"] == "agree"
                and r["model"] == r["host"])
sys.exit(0 if ok else 1)
PY
else
	echo "# diff: no host here ($(head -1 "$t/diff.err"))"
	rm -f "$t/diff.json"
fi
python3 "$V" "$S" "$t"/*.json >"$t/v.out" 2>&1 || { bad "schema:"; sed 's/^/    /' "$t/v.out" | head -20; }
tail -1 "$t/v.out"

# what the objects say
python3 - "$t" <<'PY' || bad "contents"
import json, sys
t = sys.argv[1]
ok = True
def need(c, what):
    global ok
    if not c:
        print("FAIL:", what); ok = False
run = [json.loads(l) for l in open(t + "/run.json")]
leak = [r for r in run if r["file"].endswith("vmsplice-unmap-child.pin") and r["preset"] == "v5.7"
        and r["backing"] == "base"][0]
need(leak["outcome"] == "leak" and leak["fail_step"] == 8 and "pipe1" in leak["detail"],
     "a failing result carries its step and check: %s" % leak["detail"])
need(any(v["invariant"] == "missed-cow" for v in leak["violations"]), "and its invariants")
xf = [r for r in run if r["outcome"] == "xfail"]
need(xf and all(r["reason"] for r in xf), "an xfail carries its reason")
ex = json.loads(open(t + "/explain.json").read())
decisions = [e for s in ex["run"]["steps"] for e in s["events"] if e["knob"]]
need(any("09854ba94c6a" in e["knob"] for e in decisions), "explain names the knob's commit")
sh = json.loads(open(t + "/show.json").read())
need([p["name"] for p in sh["run"]["state"]["procs"]] == ["P", "C"], "show names P and C")
need(sh["at"] == 5, "show --at 5")
PY

# the validator is not a rubber stamp
echo '{"version": 2, "command": "check", "scenarios": 1, "files": [], "ok": true}' >"$t/bad1"
echo '{"version": 1, "command": "check", "scenarios": 1, "files": [], "ok": true, "x": 1}' >"$t/bad2"
head -1 "$t/run.json" | sed 's/"version": 1, //' >"$t/bad3"
for b in bad1 bad2 bad3; do
	python3 "$V" "$S" "$t/$b" >/dev/null 2>&1 && bad "the validator accepts $b: $(cat "$t/$b" | cut -c1-80)"
done
exit $fail
