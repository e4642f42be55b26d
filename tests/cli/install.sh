#!/usr/bin/env bash
# Description: `make install DESTDIR=D PREFIX=/usr` puts the binary (and
# pinlab-static), the man page, bash and zsh completion and the docs in
# their places under D, and the installed binary runs; `make uninstall`
# takes them away again.  `make -n clean` removes the build directories but
# not the downloaded kernels.  Runs once, from build/ (skips for the other
# build directories).
# Usage: tests/cli/install.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C
unset MAKEFLAGS MAKELEVEL MFLAGS	# not the jobserver of a `make test` around us

bad() { echo "FAIL: $*"; fail=1; }

[ "${B%/}" = build ] || { echo "# SKIP make install is tested once, from build/"; exit 77; }
command -v make >/dev/null 2>&1 || { echo "# SKIP no make"; exit 77; }

make -s install DESTDIR="$t/root" PREFIX=/usr >"$t/log" 2>&1 ||
	{ bad "make install: exit $?"; sed 's/^/    /' "$t/log" | head -20; }
for f in usr/bin/pinlab usr/bin/pinlab-static usr/share/man/man1/pinlab.1 \
	 usr/share/bash-completion/completions/pinlab usr/share/zsh/site-functions/_pinlab \
	 usr/share/doc/pinlab/README.md usr/share/doc/pinlab/report.md; do
	[ -s "$t/root/$f" ] || bad "make install did not install /$f"
done
[ -x "$t/root/usr/bin/pinlab" ] && "$t/root/usr/bin/pinlab" presets >/dev/null ||
	bad "the installed pinlab does not run"
grep -q "complete -F _pinlab pinlab" "$t/root/usr/share/bash-completion/completions/pinlab" ||
	bad "the installed bash completion is not the generated one"
make -s uninstall DESTDIR="$t/root" PREFIX=/usr >"$t/log" 2>&1 || bad "make uninstall: exit $?"
left=$(find "$t/root" -type f | head -3)
[ -z "$left" ] || bad "make uninstall left $left"

make -n clean >"$t/clean" 2>&1 || bad "make -n clean: exit $?"
grep -q 'rm -rf build-asan build-tsan build-cov build-fuzz' "$t/clean" ||
	bad "make clean does not remove the variant build directories: $(cat "$t/clean")"
grep -q '! -name kernels' "$t/clean" || bad "make clean would remove the downloaded kernels"
exit $fail
