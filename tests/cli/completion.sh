#!/usr/bin/env bash
# Description: shell completion generated from the command table.  The bash
# script parses, and completing in a real bash gives: the commands after
# `pinlab`, a command's options after `-` (from its usage text, short forms
# included), presets after -p/--preset, backings after --backing, knobs after
# --set, formats after --format, commands after `help`, and .pin files and
# directories for operands.  The zsh script parses when zsh is installed.
# Usage: tests/cli/completion.sh BUILD_DIR (from the repository root).
set -u
B=${1:?build dir}
P="$B/pinlab"
fail=0
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
export LC_ALL=C

bad() { echo "FAIL: $*"; fail=1; }

"$P" completion bash >"$t/pinlab.bash" || bad "completion bash: exit $?"
bash -n "$t/pinlab.bash" || bad "the bash script does not parse"
"$P" completion zsh >"$t/_pinlab" || bad "completion zsh: exit $?"
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$t/_pinlab" || bad "the zsh script does not parse"
fi
"$P" completion fish 2>/dev/null && bad "completion fish: exit 0"

mkdir -p "$t/sc/sub"
: >"$t/sc/a.pin"
: >"$t/sc/b.txt"

# complete WORDS...: what bash offers for the last word
complete_words() {
	bash -c '
		compopt() { :; }
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_pinlab
		printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$t/pinlab.bash" "$@"
}
want() {	# want DESCRIPTION EXPECTED WORDS...
	local what=$1 exp=$2 got
	shift 2
	got=$(complete_words "$@" | tr '\n' ' ' | sed 's/ $//')
	[ "$got" = "$exp" ] || bad "$what: got '$got', want '$exp'"
}
want "commands" "replay report run" pinlab r
want "help CMD" "explain explore" pinlab help ex
want "run options" "--preset --presets" pinlab report --pres
want "short -p" "-p" pinlab report -p
want "presets" "$("$P" presets --format json | sed -n 's/^{"preset": "\(v5\.[^"]*\)".*/\1/p' |
	sort | tr '\n' ' ' | sed 's/ $//')" pinlab run --preset v5.
want "-p presets" "latest" pinlab report -p la
want "backings" "hugetlb-1048576k hugetlb-2048k" pinlab run --backing hugetlb-
want "knobs" "anon_reuse=" pinlab run --set anon_re
want "formats" "json ktap table" pinlab run --format ""
want "pin files" "$t/sc/a.pin $t/sc/sub" pinlab run "$t/sc/"
# every command of `pinlab help` is offered
for c in $("$P" help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' | sort -u); do
	complete_words pinlab "$c" | grep -qx "$c" || bad "command $c is not completed"
done
exit $fail
