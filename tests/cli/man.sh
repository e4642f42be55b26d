#!/usr/bin/env bash
# Description: the man page.  `groff -ww -man` renders docs/pinlab.1 with no
# warning at all; it has NAME, SYNOPSIS, DESCRIPTION, COMMANDS, OPTIONS, EXIT
# STATUS, ENVIRONMENT, FILES, EXAMPLES and SEE ALSO; every command `pinlab
# help` lists is described (under COMMANDS) and in the SYNOPSIS; every
# environment variable the sources read is under ENVIRONMENT.
# Skips (77) without groff.
# Usage: tests/cli/man.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
M=docs/pinlab.1
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }

command -v groff >/dev/null 2>&1 || { echo "# SKIP no groff (apt-get install groff-base)"; exit 77; }

groff -ww -man -Tutf8 "$M" >"$t/out" 2>"$t/err"; st=$?
[ $st = 0 ] || bad "groff -ww -man: exit $st"
[ -s "$t/err" ] && bad "groff -ww -man warns: $(head -5 "$t/err")"
[ -s "$t/out" ] || bad "groff rendered nothing"

for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES \
	 "SEE ALSO"; do
	grep -q "^\.SH \"\?$s\"\?$" "$M" || bad "no section $s"
done

sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$M" >"$t/commands"
sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$M" >"$t/synopsis"
for c in $("$P" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | sort -u); do
	m=$(printf '%s' "$c" | sed 's/-/\\\\-/g')
	grep -qE "^\.B(R)? .*\b$m\b" "$t/commands" || bad "command $c is not described under COMMANDS"
	grep -qE "^\.B pinlab $m\b" "$t/synopsis" || bad "command $c is not in the SYNOPSIS"
done

sed -n '/^\.SH ENVIRONMENT/,/^\.SH /p' "$M" >"$t/env"
for v in $(grep -rhoE 'getenv\("[A-Z_]+"\)' src | sed -E 's/getenv\("([A-Z_]+)"\)/\1/' | sort -u); do
	case $v in PATH|HOME) continue ;; esac
	grep -q "$v" "$t/env" || bad "environment variable $v is not under ENVIRONMENT"
done
exit $fail
