#!/usr/bin/env bash
# Description: the host profile and the model's host facts (docs/host.md
# "Host profile").  Model side, everywhere: `--set zero_page=false` makes a
# read fault map a fresh page (tests/host/page-properties.pin then fails at
# `check z[0] is zero`), a bad fact is a usage error.  Host side (Linux):
# diff prints the probed profile first and agrees with the model under it;
# $PINLAB_HOST_PROFILE with the opposite zero-page fact makes the model
# disagree with this kernel exactly at that check -- so both paths run on
# any machine, whichever this one is -- and the same fact agrees; a bad
# $PINLAB_HOST_PROFILE is a usage error; probe prints the profile on stderr
# and fuzz-diff names the facts it applied.
# Usage: tests/cli/profile.sh BUILD_DIR
# Lane: host (tests/run.sh runs one such script at a time on the machine)
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export TMPDIR="$t"
# whole lines to grep: text output wraps at 100 columns unless COLUMNS says otherwise
export COLUMNS=10000
unset PINLAB_HOST_PROFILE
PROPS=tests/host/page-properties.pin

bad() { echo "FAIL $*"; fail=1; }

# --- the model's host facts
"$P" run "$PROPS" --backing base >"$t/out" 2>&1 || { bad "run: upstream facts"; cat "$t/out"; }
"$P" run "$PROPS" --backing base --set zero_page=false >"$t/out" 2>&1
st=$?
[ $st -eq 1 ] && grep -q "step 15 (line 23) P: check z\[0\] is zero: z\[0\] is not zero" "$t/out" ||
	{ bad "run --set zero_page=false: exit $st"; cat "$t/out"; }
"$P" run "$PROPS" --backing base --set zero_page=true --set huge_zero_page=on >"$t/out" 2>&1 ||
	{ bad "run --set zero_page=true"; cat "$t/out"; }
"$P" run "$PROPS" --set zero_page=maybe >"$t/out" 2>&1
st=$?
[ $st -eq 2 ] && grep -q "^pinlab: run: --set: bad value 'maybe' for host fact 'zero_page' (expected true or false)$" "$t/out" ||
	{ bad "run --set zero_page=maybe: exit $st"; cat "$t/out"; }

if [ "$(uname -s)" != Linux ]; then
	echo "# SKIP the host half needs Linux (the model half passed)"
	exit $((fail ? 1 : 77))
fi

# --- diff: the probed profile first, and agreement under it
"$P" diff "$PROPS" --backing base >"$t/out" 2>"$t/err"
st=$?
line=$(head -n 1 "$t/out")
case $line in
"host profile: shared zero page,"*) have=on other=off model_z=false host_z=true ;;
"host profile: no shared zero page,"*) have=off other=on model_z=true host_z=false ;;
*) bad "diff: no host profile line: '$line'"; have= ;;
esac
echo "probed: $line"
[ $st -eq 0 ] && grep -q "^1 run: 1 agree, 0 disagree, 0 skipped on the host$" "$t/out" ||
	{ bad "diff under the probed profile: exit $st"; cat "$t/out" "$t/err"; }

if [ -n "$have" ]; then
	# the other path: the model with the opposite fact disagrees exactly at the check
	PINLAB_HOST_PROFILE=zero_page=$other "$P" diff "$PROPS" --backing base >"$t/out" 2>"$t/err"
	st=$?
	head -n 1 "$t/out" | grep -q "(set by \$PINLAB_HOST_PROFILE: zero_page=$other)$" ||
		bad "override: the profile line does not say so: $(head -n 1 "$t/out")"
	grep -q "^page-properties \[base\]: step 15: model $model_z, host $host_z$" "$t/out" &&
		[ "$(grep -c '^page-properties \[base\]: step ' "$t/out")" -eq 1 ] &&
		grep -q "^1 run: 0 agree, 1 disagree, 0 skipped on the host$" "$t/out" && [ $st -eq 1 ] ||
		{ bad "diff with zero_page=$other: exit $st"; cat "$t/out" "$t/err"; }
	# the fact the kernel has: agreement, as without the override
	PINLAB_HOST_PROFILE=zero_page=$have,huge_zero_page=on "$P" diff "$PROPS" --backing base \
		>"$t/out" 2>"$t/err" || { bad "diff with zero_page=$have"; cat "$t/out" "$t/err"; }
	# fuzz-diff names what it applied (one scenario: cheap)
	PINLAB_HOST_PROFILE=zero_page=off "$P" fuzz-diff --seed 1 --count 1 >"$t/out" 2>"$t/err"
	tail -n 1 "$t/out" | grep -q "host: .*no-zero-page)$" ||
		{ bad "fuzz-diff summary does not name no-zero-page"; cat "$t/out"; }
	grep -q "^host profile: no shared zero page, " "$t/err" ||
		{ bad "fuzz-diff: no profile on stderr"; cat "$t/err"; }
fi

# a bad override: usage error, nothing run
PINLAB_HOST_PROFILE=zero_page=maybe "$P" diff "$PROPS" --backing base >"$t/out" 2>"$t/err"
st=$?
[ $st -eq 2 ] && grep -q "PINLAB_HOST_PROFILE: bad fact 'zero_page=maybe'" "$t/err" &&
	! grep -q "runs\{0,1\}:" "$t/out" || { bad "bad override: exit $st"; cat "$t/out" "$t/err"; }

# probe: the profile on stderr, stdout as before
"$P" probe "$PROPS" --backing base >"$t/out" 2>"$t/err"
grep -q "^host profile: " "$t/err" || { bad "probe: no profile on stderr"; cat "$t/err"; }
grep -q "^host profile" "$t/out" && bad "probe: the profile is on stdout"

[ -z "$(ls -A "$t" | grep -v '^\(out\|err\)$')" ] || bad "files left in TMPDIR: $(ls -A "$t")"
exit $fail
