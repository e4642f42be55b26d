#!/usr/bin/env bash
# Description: the HTML report in a real browser.  Headless Chromium, driven
# through the DevTools protocol by tests/browser/report.mjs (node), opens the
# report of scenarios/examples, fails on any console error or any request
# that leaves the file, filters the matrix, clicks into the vmsplice example
# and checks that the leak step is highlighted and that the pictures hold the
# expected processes and folios.  The screenshot goes to BUILD_DIR/report.png.
# Then the same report with a host column (`report --diff` of
# tests/data/report-diff.json, `pinlab diff -p v5.7 -f json` of the example on
# a 6.18 kernel, which does not leak): the column, the disagreement marked,
# model vs host per backing, and both sides at step 8 of the diffed timeline;
# its screenshot goes to BUILD_DIR/report-host.png.
# Skips (77) without chromium or node.  .ci/run installs Debian's chromium,
# nodejs and the npm package ws (for a node without its own WebSocket).
# Usage: tests/cli/report-browser.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

browser=${PINLAB_CHROMIUM:-}
for c in chromium chromium-browser google-chrome; do
	[ -n "$browser" ] && break
	browser=$(command -v "$c" 2>/dev/null)
done
[ -n "$browser" ] || { echo "# SKIP no chromium (apt-get install chromium)"; exit 77; }
command -v node >/dev/null 2>&1 || { echo "# SKIP no node (apt-get install nodejs)"; exit 77; }

"$P" report scenarios/examples -o "$t/report.html" || { echo "FAIL: report: exit $?"; exit 1; }
"$P" report scenarios/examples --diff tests/data/report-diff.json \
	-o "$t/report-host.html" >/dev/null; st=$?
[ $st -le 1 ] || { echo "FAIL: report --diff: exit $st"; exit 1; }
flags=()
node --experimental-websocket -e 0 2>/dev/null && flags=(--experimental-websocket --no-warnings)
# ws from .ci/run's npm install, for a node without WebSocket
export NODE_PATH="$PWD/build/npm/node_modules${NODE_PATH:+:$NODE_PATH}"
node "${flags[@]}" tests/browser/report.mjs "$browser" "$t/report.html" "$B/report.png" \
	"$t/report-host.html" "$B/report-host.png"
