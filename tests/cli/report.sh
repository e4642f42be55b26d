#!/usr/bin/env bash
# Description: `pinlab report` writes one self-contained HTML page: nothing
# fetched (no src/href to a URL, no <link>, no @import), its embedded JSON
# parses, the same input gives the same bytes, the matrix has every
# scenario x preset, the vmsplice example has a timeline whose leak is
# decided at step 8 with a state per step, runs of identical PTEs and of
# alike folios are folded; usage errors exit 2 and a mismatch exits 1 with
# the page written; `demo -o` writes the same kind of page.
# (The page in a real browser: tests/cli/report-browser.sh.)
# Usage: tests/cli/report.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }

"$P" report scenarios/examples -o "$t/r.html"; st=$?
[ $st = 0 ] || bad "report scenarios/examples: exit $st, want 0"
[ -s "$t/r.html" ] || bad "report wrote nothing"
"$P" report scenarios/examples -o - >"$t/r2.html" || bad "report -o -: exit $?"
cmp -s "$t/r.html" "$t/r2.html" || bad "two runs of the same report differ"

# self-contained: no reference to anything outside the file
if grep -Eiq '(src|href)[[:space:]]*=[[:space:]]*["'"'"']?(https?:|//)|<link|@import|url\((["'"'"'])?https?:' \
	"$t/r.html"; then
	bad "the page refers to something outside itself"
fi
grep -q '<svg\|createElementNS' "$t/r.html" || bad "no SVG drawing code in the page"

if command -v python3 >/dev/null 2>&1; then
	python3 - "$t/r.html" <<'PY' || bad "the page's data is not as expected"
import json, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'<script id="data" type="application/json">(.*?)</script>', s, re.S)
d = json.loads(m.group(1))
ok = True
def need(c, what):
    global ok
    if not c:
        print("FAIL:", what); ok = False
need(d["version"] == 1, "version 1")
need(len(d["presets"]) >= 10, "every preset by default")
ids = [x["id"] for x in d["scenarios"]]
need(ids == sorted(ids) and "examples/vmsplice-unmap-child" in ids, "scenarios: %s" % ids)
sc = [x for x in d["scenarios"] if x["id"] == "examples/vmsplice-unmap-child"][0]
need(len(sc["cells"]) == len(d["presets"]), "a cell per preset")
need(all(len(c) == 3 for c in sc["cells"]), "3 backings per cell")
tl = sc["timelines"][0]
need((tl["preset"], tl["backing"], tl["outcome"], tl["fail_step"]) == ("v4.8", "base", "leak", 8),
     "first timeline: %s" % [tl[k] for k in ("preset", "backing", "outcome", "fail_step")])
need(sc["timelines"][1]["outcome"] == "pass", "second timeline: the era that fixed it")
need([s["n"] for s in tl["steps"]] == list(range(1, 10)), "steps 1..9")
need(all(s["state"] for s in tl["steps"]), "a state after every step")
fork = tl["steps"][3]["state"]
need([p["name"] for p in fork["procs"]] == ["P", "C"], "processes named as the scenario does")
need([(f["pfn"], f["ref"], f["map"]) for f in fork["folios"]] == [(511, 2, 2)], "the fork's folio")
need(any(e["kind"] == "reuse" and "anon_reuse" in e["knob"] for e in tl["steps"][6]["events"]),
     "the reuse decision with its knob")
sys.exit(0 if ok else 1)
PY
fi

# folding: 512 PTEs mapping alike folios become one entry and one folio
cat >"$t/fold.pin" <<'PIN'
scenario "fold"
expect pass
process P
P: buf = mmap 512 pages rw private
P: write buf[0..511] "x"
P: fork C
P: check read buf[511] == "x"
PIN
"$P" report "$t/fold.pin" -p latest -o "$t/f.html" || bad "report fold.pin: exit $?"
if command -v python3 >/dev/null 2>&1; then
	python3 - "$t/f.html" <<'PY' || bad "runs are not folded"
import json, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
d = json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>', s, re.S).group(1))
st = d["scenarios"][0]["timelines"][0]["steps"][-1]["state"]
ents = [e for p in st["procs"] for v in p["vmas"] for e in v["entries"]]
fol = st["folios"]
# 2 x 512 PTEs; the model hands out pfns 511..2 then 1024.., so a few runs at most
ok = sum(e[2] for e in ents) == 1024 and len(ents) <= 6 and len(fol) <= 3 and \
    sum(f["n"] for f in fol) == 512
if not ok:
    print("FAIL: %d entries, %d folios: %s" % (len(ents), len(fol), str(ents)[:300]))
ev = [e for s in d["scenarios"][0]["timelines"][0]["steps"] for e in s["events"]
      if e["kind"] == "fork-share"]
if not ev or ev[0]["n"] != 512:
    print("FAIL: fork-share events not folded:", str(ev)[:300]); ok = False
sys.exit(0 if ok else 1)
PY
fi

# usage and exit status
"$P" report scenarios/examples 2>"$t/err"; st=$?
[ $st = 2 ] || bad "report without -o: exit $st, want 2"
grep -q -- "-o FILE" "$t/err" || bad "report without -o: $(cat "$t/err")"
"$P" report scenarios/examples -p v9.9 -o "$t/x.html" 2>/dev/null; st=$?
[ $st = 2 ] || bad "report -p v9.9: exit $st, want 2"
"$P" report scenarios/examples --presets v5.7..v5.9 -o "$t/p.html" >"$t/p.out" ||
	bad "--presets range: exit $?"
grep -qx "HTML report: $t/p.html (3 scenarios x 3 presets)" "$t/p.out" ||
	bad "report does not say where the page is: $(cat "$t/p.out")"
grep -q '"presets": \["v5.7", "v5.8", "v5.9"\]' "$t/p.html" || bad "--presets v5.7..v5.9 is not 3 presets"
"$P" report scenarios/examples -o "$t/nodir/x.html" 2>"$t/err"; st=$?
[ $st = 3 ] || bad "report -o into a missing directory: exit $st, want 3 (a write error)"
sed 's/^expect leak on v5.7 and older/expect pass/' scenarios/examples/vmsplice-unmap-child.pin \
	>"$t/mis.pin"
if ! cmp -s "$t/mis.pin" scenarios/examples/vmsplice-unmap-child.pin; then
	"$P" report "$t/mis.pin" -o "$t/m.html"; st=$?
	[ $st = 1 ] || bad "report with a mismatch: exit $st, want 1"
	[ -s "$t/m.html" ] || bad "report with a mismatch wrote no page"
fi
# --diff: host columns from `pinlab diff --format json`; the page holds the file's objects,
# the diffed run's timeline is added; a file that is not diff JSON is a located error
D=tests/data/report-diff.json
"$P" report scenarios/examples/vmsplice-unmap-child.pin -p v5.7 --diff "$D" -o "$t/h.html" ||
	bad "report --diff: exit $?"
"$P" report scenarios/examples/vmsplice-unmap-child.pin -p v5.7 -o "$t/h0.html"
python3 - "$t/h.html" "$t/h0.html" "$(wc -l <"$D")" <<'PY' || bad "report --diff: the page's data"
import json, re, sys
def data(f):
    return json.loads(re.search(r'<script id="data" type="application/json">(.*?)</script>',
                                open(f).read(), re.S).group(1))
h, h0, n = data(sys.argv[1]), data(sys.argv[2]), int(sys.argv[3])
ok = len(h["hosts"]) == 1 and len(h["hosts"][0]) == n and "hosts" not in h0
ok = ok and sum(1 for o in h["hosts"][0] if o.get("summary")) == 1
tl = h["scenarios"][0]["timelines"]
ok = ok and any(t["preset"] == "v5.7" and t["backing"] == "base" for t in tl)
sys.exit(0 if ok else 1)
PY
printf '%s\n' '{"command": "diff", "id": [1, 2,}' >"$t/bad.json"
"$P" report scenarios/examples -p v5.7 --diff "$t/bad.json" -o "$t/b.html" 2>"$t/err"; st=$?
[ $st = 2 ] && grep -q "bad.json:1:1: error: not a \`pinlab diff --format json\` object" "$t/err" ||
	bad "report --diff of a broken file: exit $st: $(cat "$t/err")"
[ -e "$t/b.html" ] && bad "report --diff of a broken file wrote a page"
"$P" report scenarios/examples -p v5.7 --diff "$t/missing.json" -o "$t/b.html" 2>/dev/null; st=$?
[ $st = 2 ] || bad "report --diff of a missing file: exit $st, want 2"
mkdir -p "$t/dm/scenarios" && cp scenarios/examples/*.pin "$t/dm/scenarios/"
PA="$(cd "$B" && pwd)/pinlab"
(cd "$t/dm" && "$PA" demo -p v5.7 --diff "$OLDPWD/$D") >/dev/null 2>"$t/err"; st=$?
[ $st = 2 ] || bad "demo --diff without -o: exit $st, want 2"
(cd "$t/dm" && "$PA" demo -p v5.7 --diff "$OLDPWD/$D" -o d.html) >"$t/dm.out" || bad "demo --diff: exit $?"
grep -Eq "^examples/vmsplice-unmap-child +base +model leak +host pass +disagree$" "$t/dm.out" &&
	grep -q "^3 runs: 1 agree, 2 disagree, 0 skipped on the host$" "$t/dm.out" ||
	bad "demo --diff: no model vs host table: $(tail -5 "$t/dm.out")"
if [ -d /dev/full ] || [ -w /dev/full ]; then
	"$P" report scenarios/examples -o /dev/full 2>/dev/null; st=$?
	[ $st != 0 ] || bad "report -o /dev/full: exit 0"
fi

exit $fail
