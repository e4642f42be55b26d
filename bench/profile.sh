#!/usr/bin/env bash
# bench/profile.sh BUILD_DIR [PATH...] - `make bench-profile`: where the
# model's time goes on each path, as a text flame graph.
#
# Each path is sampled with `perf record --call-graph dwarf` (2 kHz) and its
# stacks are folded into a tree, root first, children by share:
#
#   profile fork-1GiB: 305 samples
#     100.0%  model_fork_time
#      70.8%    pl_fork
#      70.8%      pl_walk_range_tab
#      ...
#      34.1%              (self)
#
# A line is a call path's share of the path's samples, its callees included
# (the width of its bar in a flame graph); "(self)" is the code of the line
# above it at that depth, outside its callees.  Paths under
# PINLAB_PROFILE_MIN percent (default 2) and deeper than PINLAB_PROFILE_DEPTH
# (default 6) are left out.  The paths:
#
#   fork-1GiB ... reuse-per-page, *-thp-*   one row of build/pinlab-bench, the
#              model side only (PINLAB_BENCH_MODEL_ONLY=1), sampled during
#              its timed part alone: perf starts disabled (-D -1) and the
#              bench switches it on and off around each measurement
#              (PINLAB_BENCH_PERF, bench.c); rooted at the bench's model_*
#              function, so the set-up that populates the range is not in it;
#              PINLAB_PROFILE_REPS measurements (default 40) after the warm-up,
#              the samples taken while perf is being switched left out
#   catalog    `pinlab run scenarios --all-presets --format json`, rooted at
#              run_one (one result: parse aside), two levels deeper
#   explore    `pinlab explore scenarios/races/6-ksm-exclusive.pin --preset
#              latest --bound 3`: a complete search of 2.5 M steps, rooted at
#              pl_explore(); the model threads run on stacks of their own
#              (coroutines), which perf cannot unwind past, so their samples
#              (the scheduler's decide(), push_node(), x_sync()) are under
#              "(outside)"
#
# After each tree, "top self" names the functions whose own code took the
# most samples (the flat profile).
#
# The folded stacks are kept in BUILD_DIR/profile/NAME.folded (or
# $PINLAB_PROFILE_OUT/NAME.folded; one
# "root;...;leaf COUNT" line per stack: flamegraph.pl reads them as they are).
# Needs perf with --control (5.10 or later) and a kernel that lets this user
# sample (perf_event_paranoid); without them, a skip line says why.
# No thresholds: this reports, it never fails on a figure.
set -u
B=${1:-build}
shift || true
P=$B/pinlab
BENCH=$B/pinlab-bench
OUT=${PINLAB_PROFILE_OUT:-$B/profile}
MIN=${PINLAB_PROFILE_MIN:-2}
REPS=${PINLAB_PROFILE_REPS:-40}
DEPTH=${PINLAB_PROFILE_DEPTH:-6}
DEFAULT_PATHS="fork-1GiB fork-parent-1GiB pin-unpin-1GiB cow-fault-per-page reuse-per-page
vmsplice-1GiB fork-thp-1GiB pin-unpin-thp-1GiB cow-fault-thp-per-page catalog explore"
PATHS=${*:-$DEFAULT_PATHS}

if ! command -v perf >/dev/null 2>&1; then
	echo "profile: skipped: perf is not installed"
	exit 0
fi
if ! perf record --help 2>/dev/null | grep -q -- '--control'; then
	echo "profile: skipped: this perf has no --control (perf 5.10 or later)"
	exit 0
fi
if ! perf record -q -o /dev/null true >/dev/null 2>&1; then
	echo "profile: skipped: perf may not sample here (see /proc/sys/kernel/perf_event_paranoid)"
	exit 0
fi
mkdir -p "$OUT"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pinlab-profile.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# fold ROOT_REGEX: perf script's stacks (leaf first, a blank line between
# samples) -> "root;...;leaf COUNT", starting at the outermost frame whose
# symbol matches ROOT_REGEX; a sample without one is "(outside);LEAF" (a
# stack perf could not unwind to the root, or a kernel-only one).
fold() {
	awk -v root="$1" '
	function flush(   i, s, start) {
		if (n == 0)
			return
		start = 0
		for (i = n; i >= 1; i--)
			if (f[i] ~ root) { start = i; break }
		if (start == 0)
			s = "(outside);" f[1]	# no frame of the root: its leaf alone
		else {
			s = f[start]
			for (i = start - 1; i >= 1; i--)
				s = s ";" f[i]
		}
		count[s]++
		n = 0
	}
	/^[^ \t]/ { flush(); next }
	/^[ \t]*$/ { flush(); next }
	{
		sym = $2
		sub(/\+0x[0-9a-f]+$/, "", sym)
		if (sym == "")
			sym = "[unknown]"
		f[++n] = sym
	}
	END { flush(); for (s in count) print s, count[s] }'
}

# tree TITLE: folded stacks on stdin -> the indented tree described above
tree() {
	awk -v title="$1" -v min="$MIN" -v depth="$DEPTH" '
	{
		c = $NF
		sub(/ [0-9]+$/, "")
		total += c
		if ($0 ~ /^\(outside\);/) { outside += c }
		m = split($0, fr, ";")
		selfc[fr[m]] += c
		key = ""
		for (i = 1; i <= m && i <= depth; i++) {
			parent = key
			key = (i == 1) ? fr[1] : key ";" fr[i]
			if (!(key in cnt)) {
				kids[parent] = kids[parent] SUBSEP key
				name[key] = fr[i]
				lvl[key] = i
			}
			cnt[key] += c
		}
	}
	function show(parent,   k, list, nk, i, j, t, best, sum) {
		nk = split(substr(kids[parent], 2), list, SUBSEP)
		for (i = 1; i <= nk; i++)
			sum += cnt[list[i]]
		# children by count, largest first (selection sort: a few dozen)
		for (i = 1; i <= nk; i++) {
			best = i
			for (j = i + 1; j <= nk; j++)
				if (cnt[list[j]] > cnt[list[best]] ||
				    (cnt[list[j]] == cnt[list[best]] && list[j] < list[best]))
					best = j
			t = list[i]; list[i] = list[best]; list[best] = t
			k = list[i]
			if (100 * cnt[k] / total < min)
				break
			printf "  %5.1f%%  %*s%s\n", 100 * cnt[k] / total, 2 * (lvl[k] - 1), "", name[k]
			show(k)
		}
		# the own code of the parent, where it has callees and depth does not cut it
		if (parent != "" && nk && lvl[parent] < depth &&
		    100 * (cnt[parent] - sum) / total >= min)
			printf "  %5.1f%%  %*s(self)\n", 100 * (cnt[parent] - sum) / total,
			       2 * lvl[parent], ""
	}
	END {
		if (!total) { printf "profile %s: no samples\n", title; exit }
		printf "profile %s: %d samples", title, total
		if (outside)
			printf ", %.1f%% outside the root", 100 * outside / total
		printf "\n"
		show("")
		n = 0
		for (k in selfc)
			order[++n] = k
		for (i = 1; i <= n && i <= 8; i++) {
			best = i
			for (j = i + 1; j <= n; j++)
				if (selfc[order[j]] > selfc[order[best]] ||
				    (selfc[order[j]] == selfc[order[best]] && order[j] < order[best]))
					best = j
			t = order[i]; order[i] = order[best]; order[best] = t
			line = line sprintf("%s %s %.1f%%", i > 1 ? "," : "", order[i],
					    100 * selfc[order[i]] / total)
		}
		printf "  top self:%s\n", line
	}'
}

# record NAME ROOT_REGEX CMD...: sample CMD (with perf's options in $PERF_OPTS),
# fold, print the tree
PERF_OPTS=
record() {
	local name=$1 root=$2
	shift 2
	# shellcheck disable=SC2086  # PERF_OPTS is words
	perf record -q -F 2000 --call-graph dwarf $PERF_OPTS -o "$tmp/$name.data" "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null || {
		echo "profile $name: skipped: perf record failed: $(tail -1 "$tmp/$name.err")"
		return 0
	}
	perf script -i "$tmp/$name.data" -F comm,tid,time,event,ip,sym 2>/dev/null |
		fold "$root" | grep -v ';perf_switch' | LC_ALL=C sort >"$OUT/$name.folded"
	tree "$name" <"$OUT/$name.folded"
}

for path in $PATHS; do
	case $path in
	catalog)
		DEPTH=$((DEPTH + 2)) record catalog '^run_one$' "$P" run scenarios --all-presets \
			--format json
		;;
	explore)
		record explore '^pl_explore$' "$P" explore scenarios/races/6-ksm-exclusive.pin \
			--preset latest --bound 3 --format json
		;;
	*)
		rm -f "$tmp/ctl" "$tmp/ack"
		mkfifo "$tmp/ctl" "$tmp/ack" || exit 1
		PERF_OPTS="-D -1 --control fifo:$tmp/ctl,$tmp/ack"
		record "$path" '^model_' env PINLAB_BENCH_MODEL_ONLY=1 PINLAB_BENCH_ONLY="$path" PINLAB_BENCH_REPS="$REPS" \
			PINLAB_BENCH_PERF="$tmp/ctl,$tmp/ack" "$BENCH"
		PERF_OPTS=
		;;
	esac
done
