#!/usr/bin/env bash
# Description: `pinlab diff --kernel` on Debian's 6.1 and 6.12 kernels, booted
# under qemu (docs/kernels.md).  Each is diffed over the host-runnable
# scenarios of cow/, gup_longterm/ and seeds/ against the preset its version
# maps to, and must show no disagreement (and at least one run that agrees).
# Also: `pinlab kernels` maps the versions to their presets; no qemu or no
# image is a skip with the reason, exit 3; probe's JSON names the guest's
# release; a guest kernel that panics or hangs before init skips every run
# with the reason (exit 3, never a disagreement), and so does a pinlab-static
# older than the pinlab beside it; a SIGINT during the boot exits 130; none
# leaves a qemu running or a temp file behind.
#
# Exit 77 (with the reason) without qemu or without the images (.ci/run
# installs qemu-system-x86 and runs `make kernels`), and in sanitizer
# builds: the boots take a minute or two under TCG, so they run once, in the
# plain build; tests/cli/guest-replay.sh covers the transcript code in all.
# Usage: tests/cli/kernels.sh BUILD_DIR
set -u
# whole lines to grep: text output wraps at 100 columns unless COLUMNS says otherwise
export COLUMNS=10000
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
export TMPDIR="$t/tmp"		# pinlab's temp files go here: it must stay empty
mkdir -p "$TMPDIR"
export PINLAB_TEST_OWNER="$t"	# inherited by pinlab and the qemu it starts
trap 'rm -rf "$t"' EXIT
A01=scenarios/cow/a01-basic-cow-after-fork.pin
A03=scenarios/cow/a03-vmsplice-unmap-in-child.pin

bad() { echo "FAIL $*"; fail=1; }

# The qemu processes this test started (through pinlab: they have our
# PINLAB_TEST_OWNER); another test's or another user's qemu does not count.
guests() {
	local p n=0
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in
		*/qemu-system-*) ;;
		*) continue ;;
		esac
		tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF "PINLAB_TEST_OWNER=$t" &&
			n=$((n + 1))
	done
	echo $n
}

clean() {
	local what=$1
	if [ -n "$(ls -A "$TMPDIR")" ]; then
		bad "$what: files left in TMPDIR: $(ls -A "$TMPDIR" | head -3)"
		rm -rf "${TMPDIR:?}"/*
	fi
	[ "$(guests)" -eq "$before" ] || bad "$what: a qemu is still running"
}
before=$(guests)

# --- without qemu or without an image: every run skipped with the reason,
# said once on stderr, exit 3 (nothing was tested)
# (the image is looked up first: without a 6.1 image that is the reason given)
why="qemu-system-x86_64 not found"
"$P" kernels 2>/dev/null | grep -q '^6\.1' || why="no kernel image matches '6.1'"
PATH=/nonexistent "$P" probe --kernel 6.1 "$A01" --backing base >"$t/out" 2>"$t/err"
st=$?
if [ $st -ne 3 ] || ! grep -q "skip .*$why" "$t/out" ||
   [ "$(grep -c "every run skipped: .*$why" "$t/err")" -ne 1 ]; then
	bad "no qemu: exit $st"; cat "$t/out" "$t/err" | head -5
fi
"$P" diff --kernel 9.99 "$A01" "$A03" --backing base >"$t/out" 2>"$t/err"
st=$?
if [ $st -ne 3 ] || ! grep -q "^2 runs: 0 agree, 0 disagree, 2 skipped on the host$" "$t/out" ||
   [ "$(grep -c "no kernel image matches '9.99'" "$t/err")" -ne 1 ]; then
	bad "no image: exit $st"; cat "$t/out" "$t/err" | head -5
fi
clean "skips"

case $(basename "$B") in
*asan* | *tsan*)
	echo "# SKIP qemu boots run in the plain build only (TCG is slow);" \
		"guest-replay.sh covers the transcript code here"
	exit $((fail ? 1 : 77)) ;;
esac
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
	echo "# SKIP qemu-system-x86_64 not installed (Debian: qemu-system-x86)"
	exit $((fail ? 1 : 77))
fi
if [ ! -x "$B/pinlab-static" ]; then
	echo "FAIL $B/pinlab-static missing (make builds it)"
	exit 1
fi

# --- pinlab kernels: the images and their presets
"$P" kernels >"$t/kernels" 2>&1 || bad "pinlab kernels: exit $?"
rel61=$(awk '$1 ~ /^6\.1[^0-9]/ { r = $1 } END { print r }' "$t/kernels")
# (the GUP_TEST build, 6.12.N-guptest, is tests/cli/guptest.sh's)
rel612=$(awk '$1 ~ /^6\.12[^0-9]/ && $1 !~ /-guptest$/ { r = $1 } END { print r }' "$t/kernels")
if [ -z "$rel61" ] && [ -z "$rel612" ]; then
	echo "# SKIP no 6.1 or 6.12 kernel image (make kernels unpacks Debian's into build/kernels)"
	exit $((fail ? 1 : 77))
fi
# 6.1: v6.1, or the preset of its stable release (6.1.192)
# (awk compares the release as a string: Debian's names hold '+', an ERE quantifier)
[ -z "$rel61" ] || awk -v r="$rel61" '$1 == r && $2 ~ /^(v6\.1|6\.1\.[0-9]+)$/ { f = 1 }
	END { exit !f }' "$t/kernels" ||
	bad "kernels: $rel61 is not v6.1 or a 6.1.y preset"
# 6.12: the preset whose range holds 6.12 (v6.9 .. v6.12 as presets were added), or its own
[ -z "$rel612" ] || awk -v r="$rel612" '$1 == r && $2 ~ /^(v6\.(9|1[0-2])|6\.12\.[0-9]+)$/ { f = 1 }
	END { exit !f }' "$t/kernels" ||
	bad "kernels: $rel612 is not a 6.12 preset"

# --- a pinlab-static older than the pinlab beside it (a `make build/pinlab`
# that did not relink it): the guest would run another build, whose parse
# errors diff once counted as disagreements.  Every run skipped with the
# reason, exit 3, before anything boots.
if [ -n "$rel612" ]; then
	mkdir "$t/stale"
	cp "$P" "$B/pinlab-static" "$t/stale/"
	touch -d '2000-01-01' "$t/stale/pinlab-static"
	"$t/stale/pinlab" diff --kernel 6.12 "$A01" --backing base >"$t/out" 2>"$t/err"
	st=$?
	if [ $st -ne 3 ] || ! grep -q "^1 run: 0 agree, 0 disagree, 1 skipped on the host$" "$t/out" ||
	   [ "$(grep -c 'pinlab-static is older than this pinlab' "$t/err")" -ne 1 ]; then
		bad "stale pinlab-static: exit $st"; cat "$t/out" "$t/err" | head -5
	fi
	rm -rf "$t/stale"
	clean "stale pinlab-static"
fi

# --- the acceptance: no disagreement on either kernel
for k in 6.1 6.12; do
	rel=$rel61
	[ $k = 6.12 ] && rel=$rel612
	if [ -z "$rel" ]; then
		echo "note: no $k image, not diffed"
		continue
	fi
	"$P" diff --kernel $k scenarios/cow scenarios/gup_longterm scenarios/seeds \
		>"$t/diff$k" 2>"$t/diff$k.err"
	st=$?
	last=$(tail -n1 "$t/diff$k")
	echo "diff --kernel $k ($rel): $last"
	if [ $st -ne 0 ] || ! [[ $last =~ ^[0-9]+\ runs:\ ([1-9][0-9]*)\ agree,\ 0\ disagree ]]; then
		bad "diff --kernel $k: exit $st"
		sed 's/^/    /' "$t/diff$k" "$t/diff$k.err" | head -30
	fi
	clean "diff --kernel $k"
done

# The cheaper kernel for the rest.
k=6.12 rel=$rel612
[ -n "$rel" ] || { k=6.1 rel=$rel61; }

# --- probe's JSON: the guest's release, the mapped preset, a real pass
"$P" probe --kernel $k "$A01" --backing base --format json >"$t/out" 2>"$t/err"
st=$?
preset=$(awk -v r="$rel" '$1 == r { print $2 }' "$t/kernels")	# as `pinlab kernels` said
grep -q "\"preset\": \"$preset\", \"backend\": \"host\", \"kernel\": \"$rel\", \"backing\": \"base\", \"outcome\": \"pass\"" "$t/out" ||
	{ bad "probe --kernel $k json (exit $st)"; cat "$t/out" "$t/err" | head -5; }
clean "probe --kernel $k"

# --- a guest kernel that panics before init (as 6.1 did at its timer check
# under TCG on a loaded machine, before no_timer_check): no run ran, so
# every one is a skip naming the reason, the console tail is shown, and the
# command exits 3 (nothing was tested); diff counts no disagreement
PINLAB_QEMU_APPEND="rdinit=/nonexistent" "$P" probe --kernel $k "$A01" "$A03" --backing base \
	>"$t/out" 2>"$t/err"
st=$?
if [ $st -ne 3 ] || ! grep -q "Kernel panic" "$t/err" ||
   ! grep -q "every run skipped: .*did not boot" "$t/err" ||
   ! grep -q "^skip .*a01.*" "$t/out" ||
   [ "$(grep -c "not run: the guest kernel did not boot (.*kernel panic" "$t/out")" -ne 2 ]; then
	bad "panic: exit $st"; cat "$t/out" "$t/err" | head -12
fi
clean "panic"
PINLAB_QEMU_APPEND="rdinit=/nonexistent" "$P" diff --kernel $k "$A01" --backing base \
	>"$t/out" 2>"$t/err"
st=$?
[ $st -eq 3 ] && grep -q "^1 run: 0 agree, 0 disagree, 1 skipped" "$t/out" ||
	{ bad "diff, guest panics: exit $st"; cat "$t/out" "$t/err" | head -12; }
clean "diff panic"

# --- a guest that hangs (panic=0 waits forever): killed at the time limit,
# its runs skipped with the reason
PINLAB_QEMU_APPEND="rdinit=/nonexistent panic=0" PINLAB_KERNEL_TIMEOUT=20 \
	"$P" probe --kernel $k "$A01" --backing base >"$t/out" 2>"$t/err"
st=$?
if [ $st -ne 3 ] || ! grep -q "did not reach its init within 20 s" "$t/err" ||
   ! grep -q "^skip .*a01.*" "$t/out" ||
   ! grep -q "not run: the guest kernel did not boot (.*within 20 s" "$t/out"; then
	bad "hang: exit $st"; cat "$t/out" "$t/err" | head -12
fi
clean "hang"

# --- SIGINT while the guest boots: exit 130, qemu gone
"$P" diff --kernel $k "$A01" --backing base >"$t/out" 2>"$t/err" &
pid=$!
for _ in $(seq 100); do
	[ "$(guests)" -gt "$before" ] && break
	sleep 0.1
done
sleep 1
kill -INT $pid
wait $pid
st=$?
[ $st -eq 130 ] || { bad "SIGINT: exit $st"; cat "$t/out" "$t/err" | head -5; }
clean "SIGINT"

exit $fail
