#!/bin/sh
# tools/coverage.sh BUILD_DIR DIR... - line and branch coverage of the sources
# under each DIR (for example src/core src/lang), from a --coverage build.
#
# `make coverage` builds BUILD_DIR (build-cov/) with gcc --coverage -O0, runs
# the test suite against it and then calls this.  It needs only gcov (from the
# same gcc), sort and a POSIX awk: gcovr, lcov and python are not used.
#
# Every object under BUILD_DIR/obj/ is read, not only the objects of DIR: an
# inline function of a header under DIR may be compiled into any object, and
# some unit tests #include a source of src/lang/ to reach its static parts.  gcov -t writes its annotated listing of each source the
# object was built from to stdout; a line or a branch of a header that
# several objects contain counts once, as covered when any object ran it.
#
# Output, in byte order of the file names so two runs on the same counters
# print the same text:
#   one table per DIR: file, lines covered/total and %, branches taken at
#   least once/total and %, then the DIR's total line;
#   the functions under DIR that never ran, as file:line name.
# Exit 0, or 2 on bad usage or when BUILD_DIR has no coverage data.
set -eu

usage() {
	echo "usage: tools/coverage.sh BUILD_DIR DIR..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
build=${1%/}
shift
cd "$(dirname "$0")/.." || exit 2
export LC_ALL=C

if [ ! -d "$build/obj" ]; then
	echo "tools/coverage.sh: no $build/obj; build it first (make coverage)" >&2
	exit 2
fi
gcnos=$(find "$build/obj" -name '*.gcno' | sort)
if [ -z "$gcnos" ]; then
	echo "tools/coverage.sh: no .gcno files under $build/obj;" \
	     "$build was not built with --coverage" >&2
	exit 2
fi
if [ -z "$(find "$build/obj" -name '*.gcda' | head -n 1)" ]; then
	echo "tools/coverage.sh: no .gcda files under $build/obj; run the tests first" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinlab-cov.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# gcov writes nothing but stdout with -t.  An object whose program never ran
# has no .gcda: gcov then says so on stderr and lists every line as unrun,
# which is the truth, so that message is dropped.
for gcno in $gcnos; do
	gcov -b -c -t -o "$(dirname "$gcno")" "$gcno" 2>"$tmp/gcov.err" || {
		cat "$tmp/gcov.err" >&2
		echo "tools/coverage.sh: gcov failed on $gcno" >&2
		exit 2
	}
done >"$tmp/listing"

# Reduce the listings to records, one per line, tab separated:
#   L file line hit        an executable line (hit 0/1, any object)
#   B file line idx taken  a branch (taken 0/1, any object)
#   F file line name hit   a function (line of its first counted line)
awk -v OFS='\t' '
function flush_fn(line) {
	if (fn_name != "") {
		fkey = src SUBSEP fn_name
		if (!(fkey in fn_line))
			fn_line[fkey] = line
		if (fn_called > 0)
			fn_hit[fkey] = 1
		else if (!(fkey in fn_hit))
			fn_hit[fkey] = 0
		fn_name = ""
	}
}
/^ *-: *0:Source:/ {
	src = $0
	sub(/^ *-: *0:Source:/, "", src)
	fn_name = ""
	next
}
/^function / {
	fn_name = $2
	fn_called = $4 + 0
	next
}
/^branch / {
	bkey = src SUBSEP cur_line SUBSEP ($2 + 0)
	taken = ($3 == "taken" && $4 + 0 > 0) ? 1 : 0
	if (!(bkey in br) || taken)
		br[bkey] = taken
	next
}
/^ *[^ :]+: *[0-9]+:/ {
	count = $0
	sub(/^ */, "", count)
	rest = count
	sub(/:.*/, "", count)
	sub(/^[^:]*: */, "", rest)
	sub(/:.*/, "", rest)
	cur_line = rest + 0
	if (cur_line == 0)
		next
	flush_fn(cur_line)
	if (count == "-")
		next
	hit = (count == "#####" || count == "=====") ? 0 : ((count + 0) > 0 ? 1 : 0)
	lkey = src SUBSEP cur_line
	if (!(lkey in ln) || hit)
		ln[lkey] = hit
	next
}
END {
	for (k in ln) {
		split(k, p, SUBSEP)
		print "L", p[1], p[2], ln[k]
	}
	for (k in br) {
		split(k, p, SUBSEP)
		print "B", p[1], p[2], p[3], br[k]
	}
	for (k in fn_line) {
		split(k, p, SUBSEP)
		print "F", p[1], fn_line[k], p[2], fn_hit[k]
	}
}' "$tmp/listing" >"$tmp/records"

for dir in "$@"; do
	dir=${dir%/}
	# Records of this directory's own files (not of its subdirectories' or
	# of a sibling whose name merely starts the same), in byte order.
	awk -F '\t' -v d="$dir/" '
	index($2, d) == 1 && index(substr($2, length(d) + 1), "/") == 0' \
		"$tmp/records" | sort -t "$(printf '\t')" -k2,2 -k3,3n -k4,4 >"$tmp/dir"
	if [ ! -s "$tmp/dir" ]; then
		echo "$dir/: no coverage data (no object was built from it)"
		echo
		continue
	fi
	awk -F '\t' -v d="$dir/" '
	function pct(a, b) {
		return b ? sprintf("%5.1f%%", 100 * a / b) : "    - "
	}
	function row(name, lh, lt, bh, bt) {
		printf "%-28s %6d/%-6d %s   %6d/%-6d %s\n", name, lh, lt, pct(lh, lt), bh, bt, \
		       pct(bh, bt)
	}
	$1 == "L" || $1 == "B" {
		if (!($2 in seen)) {
			seen[$2] = 1
			files[++nfiles] = $2
		}
		hit = ($1 == "L") ? $4 : $5
		if ($1 == "L") {
			lt[$2]++; lh[$2] += hit; LT++; LH += hit
		} else {
			bt[$2]++; bh[$2] += hit; BT++; BH += hit
		}
	}
	$1 == "F" && $5 == 0 {
		unrun[++nunrun] = $2 ":" $3 ": " $4
	}
	END {
		printf "%-28s %-13s %6s   %-13s %6s\n", "file", "lines", "", "branches", ""
		for (i = 1; i <= nfiles; i++) {
			f = files[i]
			row(f, lh[f], lt[f], bh[f], bt[f])
		}
		row("total " d, LH, LT, BH, BT)
		if (nunrun) {
			printf "\nfunctions of %s never run (%d):\n", d, nunrun
			for (i = 1; i <= nunrun; i++)
				print "  " unrun[i]
		} else {
			printf "\nfunctions of %s never run: none\n", d
		}
		print ""
	}' "$tmp/dir"
done
