#!/usr/bin/env bash
# tools/kselftest-compare.sh [--1g] [BUILD_DIR] - the kernel's own cow.c and
# gup_longterm.c beside pinlab's catalog, on the GUP_TEST kernel, in one guest
# (docs/kernels.md, "The kernel's own suite beside ours").
#
#  1. builds cow and gup_longterm statically from Debian's linux-source-6.12
#     (the tarball in /usr/src; only tools/testing/selftests, tools/include
#     and mm/gup_test.h are unpacked into a temp dir, nothing is kept), with
#     liburing when check_config.sh finds it;
#  2. boots the GUP_TEST kernel (`make gup-test-kernel`) once with
#     `pinlab probe --kernel 6.12-guptest scenarios/cow scenarios/gup_longterm
#     scenarios/seeds`; the guest's init runs the two tests first
#     ($PINLAB_GUEST_RUN), then pinlab's runs;
#  3. joins the two KTAP streams test by test on the kernel's names (the
#     "# [RUN] NAME" lines; pinlab's JSON "kselftest" field) and prints one
#     table row per suite: agree, disagree, skipped by the kernel, by pinlab,
#     by both, plus every disagreement and skip with its reason.
#
# Each side gives its verdict on the same kernel against its own
# expectations: the kernel's test `ok` (pass), `not ok` (fail), `# XFAIL`
# (a known failure seen) or `# SKIP`; pinlab's run skip, or, when its outcome
# meets the expectation of the kernel's preset, pass (expected pass or
# refused), xfail (expected xfail) or fail (an expected kernel bug of that
# era), and fail when it does not meet it.  Agree means the same verdict.
#
# --1g (or KSELFTEST_1G=1): also the 1 GiB hugetlb cases (778 + 50 instead of
# 761 + 40): 10 GiB of guest memory, two 1 GiB pages at boot, and tens of
# minutes more under TCG.
#
# Exit: 0 no disagreement and pinlab's probe met every expectation; 1
# otherwise; 77 when something needed is missing (the line says what).
set -uo pipefail

onegig=${KSELFTEST_1G:-0}
if [ "${1:-}" = "--1g" ]; then
	onegig=1
	shift
fi
B=$(realpath -m -- "${1:-build}")
P=$B/pinlab
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1		# scenario paths in the output are relative to it
tarball=/usr/src/linux-source-6.12.tar.xz
export LC_ALL=C

skip() {
	echo "kselftest-compare: SKIP: $*"
	exit 77
}

# the join: join KERNEL_OUT PINLAB_JSON (the variables below set the header)
join() {
	awk -v names="$root/tests/data/kselftest-names.txt" -v kernel="$kernel" -v what="$what" \
    -v uring="$uring" -v built="$built" -v ran="$ran" -v probe_st="$probe_st" '
function jstr(line, key,    i, s, c, out) {	# the string value of "key" in a JSON line
	i = index(line, "\"" key "\": \"")
	if (!i)
		return ""
	s = substr(line, i + length(key) + 5)
	out = ""
	while (length(s)) {
		c = substr(s, 1, 1)
		if (c == "\\") {
			out = out substr(s, 2, 1)
			s = substr(s, 3)
			continue
		}
		if (c == "\"")
			break
		out = out c
		s = substr(s, 2)
	}
	return out
}
BEGIN {
	while ((getline line < names) > 0) {
		if (split(line, f, "\t") != 2 || f[1] !~ /^(cow|gup_longterm) [0-9]+$/)
			continue
		split(f[1], g, " ")
		key = g[1] "\t" f[2]
		order[++n] = key
		suite[key] = g[1]
	}
}
FILENAME ~ /kernel\.out$/ {
	sub(/\r$/, "")
	if ($0 ~ /^=== BEGIN /) {
		cur = $3
		run = ""
		next
	}
	if ($0 ~ /^=== END /) {
		rc[cur] = $4
		secs[cur] = $5
		cur = ""
		next
	}
	if (cur == "")
		next
	if ($0 ~ /^# \[RUN\] /) {
		run = substr($0, 9)
		next
	}
	if ($0 ~ /^(not )?ok [0-9]+/ && run != "") {
		key = cur "\t" run
		if ($0 ~ /^not ok/)
			k[key] = "fail"
		else if ($0 ~ / # SKIP/)
			k[key] = "skip"
		else if ($0 ~ / # XFAIL/)
			k[key] = "xfail"
		else
			k[key] = "pass"
		kline[key] = $0
		run = ""
	}
	next
}
{
	file = jstr($0, "file")
	if (file !~ /\/(cow|gup_longterm)\//)
		next
	s = file ~ /\/cow\// ? "cow" : "gup_longterm"
	key = s "\t" jstr($0, "kselftest")
	out = jstr($0, "outcome")
	ex = jstr($0, "expected")
	if (out == "skip")
		p[key] = "skip"
	else if ($0 !~ /"match": true/)
		p[key] = "fail"
	else if (ex == "xfail")
		p[key] = "xfail"
	else if (ex == "pass" || ex == "refused")
		p[key] = "pass"
	else
		p[key] = "fail"	# a kernel bug this era is expected to have
	pout[key] = out (out == ex ? "" : ", expected " ex)
	pwhere[key] = file " [" jstr($0, "backing") "]"
	why = jstr($0, "reason")
	if (out == "skip" && why != "")
		pwhere[key] = pwhere[key] ": " why
}
END {
	printf "kselftest-compare: %s, %s; the kernel'"'"'s tests with liburing: %s\n", kernel, what, uring
	printf "%-13s %6s %6s %9s %12s %12s %10s\n", "suite", "tests", "agree", "disagree",
	       "skip-kernel", "skip-pinlab", "skip-both"
	bad = 0
	for (i = 1; i <= n; i++) {
		key = order[i]
		s = suite[key]
		tests[s]++
		kk = (key in k) ? k[key] : "skip"
		pp = (key in p) ? p[key] : "missing"
		if (pp == "missing") {
			dis[s]++
			bad++
			msg[++nm] = sprintf("DISAGREE %s: %s: pinlab has no result", s, substr(key, length(s) + 2))
		} else if (kk == "skip" && pp == "skip") {
			both[s]++
		} else if (kk == "skip") {
			sk[s]++
			msg[++nm] = sprintf("skip (kernel) %s: %s: %s", s, substr(key, length(s) + 2),
					    (key in kline) ? kline[key] : "not in the kernel'"'"'s plan")
		} else if (pp == "skip") {
			sp[s]++
			msg[++nm] = sprintf("skip (pinlab) %s: %s: %s", s, substr(key, length(s) + 2), pwhere[key])
		} else if (kk == pp) {
			agree[s]++
		} else {
			dis[s]++
			bad++
			msg[++nm] = sprintf("DISAGREE %s: %s: kernel %s (%s), pinlab %s (%s)", s,
					    substr(key, length(s) + 2), kk, kline[key], pout[key], pwhere[key])
		}
	}
	split("cow gup_longterm", ss, " ")
	for (j = 1; j <= 2; j++) {
		s = ss[j]
		printf "%-13s %6d %6d %9d %12d %12d %10d\n", s, tests[s], agree[s], dis[s], sk[s],
		       sp[s], both[s]
	}
	for (j = 1; j <= 2; j++)
		printf "the kernel'"'"'s %s: exit %s, %s s in the guest\n", ss[j],
		       substr(rc[ss[j]], 4), substr(secs[ss[j]], 9)
	printf "build of the tests: %d s; the guest (boot, kernel tests, pinlab probe): %d s\n", built, ran
	for (i = 1; i <= nm; i++)
		print msg[i]
	if (probe_st != 0)
		print "pinlab probe: some outcomes did not match their expectations (see its JSON)"
	printf "kselftest-compare: %d disagreement%s\n", bad, bad == 1 ? "" : "s"
	exit bad || probe_st ? 1 : 0
}' "$1" "$2"
}

# --join KERNEL_OUT PINLAB_JSON: only the join, of outputs kept with KSELFTEST_KEEP
if [ "${1:-}" = "--join" ]; then
	kernel=given what=given uring=? built=0 ran=0 probe_st=0
	cd "$OLDPWD" && join "$2" "$3"
	exit
fi

[ -x "$P" ] || skip "$P not built (make)"
[ -x "$B/pinlab-static" ] || skip "$B/pinlab-static not built (make)"
command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "qemu-system-x86_64 not found"
command -v gcc >/dev/null 2>&1 || skip "no gcc"
[ -r "$tarball" ] || skip "$tarball not found (apt-get install linux-source-6.12)"
kernel=$(PINLAB_KERNELS="$B/kernels" "$P" kernels 2>/dev/null |
	awk '$1 ~ /-guptest$/ { r = $1 } END { print r }')
[ -n "$kernel" ] || skip "no GUP_TEST kernel in $B/kernels (make gup-test-kernel)"

t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# 1. the kernel's tests, from the same source package
start=$(date +%s)
tar -xJf "$tarball" -C "$t" --wildcards '*/tools/testing/selftests/mm/*' \
	'*/tools/testing/selftests/kselftest*' '*/mm/gup_test.h' '*/tools/include/*' \
	'*/tools/arch/x86/include/*' 2>/dev/null
mm=$(find "$t" -path '*/tools/testing/selftests/mm/cow.c' -printf '%h\n' | head -n1)
[ -n "$mm" ] || skip "no tools/testing/selftests/mm/cow.c in $tarball"
tree=$(cd "$mm/../../../.." && pwd)
(cd "$mm" && sh ./check_config.sh gcc >/dev/null 2>&1)
libs="-lrt -lpthread -lm"
uring=no
if grep -q 'LOCAL_CONFIG_HAVE_LIBURING 1' "$mm/local_config.h" 2>/dev/null; then
	libs="$libs -luring"
	uring=yes
fi
for prog in cow gup_longterm; do
	# thp_settings.c: 6.12's Makefile links it into every mm test
	# shellcheck disable=SC2086
	(cd "$mm" && gcc -static -O2 -w -I "$tree" -isystem "$tree/tools/include/uapi" \
		-U_FORTIFY_SOURCE $prog.c vm_util.c thp_settings.c -o "$t/$prog" $libs) \
		>"$t/$prog.cc" 2>&1 || {
		sed 's/^/    /' "$t/$prog.cc" | head -20
		skip "cannot build the kernel's $prog.c statically"
	}
done
built=$(( $(date +%s) - start ))

# 2. one guest: the kernel's tests, then pinlab's probe
if [ "$onegig" = 1 ]; then
	# The kernel's cow.c finds its two 1 GiB pages reserved at boot;
	# pinlab's rows grow the pool at run time (CONFIG_CMA: CONTIG_ALLOC) to
	# 3 pages (one mapping) or 5 (cow n01-n03: two mappings, 2 x 2 + 1,
	# src/lang/exec.c).  qemu's pc machine puts RAM at [0, 3 GiB) less its
	# top pages and above 4 GiB: with 8 GiB the guest found 4 free 1 GiB
	# ranges and n01-n03 skipped, with 10 GiB 6 (2026-12-07).  A run may
	# take minutes under TCG (the first 1 GiB row's fork self-test).
	export PINLAB_QEMU_MEM=10240
	# the kernel's cow.c writes each io_uring fixed buffer whole into a
	# tmpfile() in /tmp, the guest's ext4 disk: 1 GiB does not fit the
	# default 256 MiB (cow 378 and 432 "write_fixed failed", 2026-12-07)
	export PINLAB_QEMU_DISK_MB=1536
	export PINLAB_QEMU_APPEND="hugepagesz=1G hugepages=2 PINLAB_HOST_TIMEOUT_MS=600000"
	export PINLAB_KERNEL_TIMEOUT=${PINLAB_KERNEL_TIMEOUT:-3000}
	what="2 MiB and 1 GiB hugetlb"
else
	what="2 MiB hugetlb only"
fi
start=$(date +%s)
PINLAB_KERNELS="$B/kernels" PINLAB_GUEST_RUN="$t/cow:$t/gup_longterm" \
	PINLAB_GUEST_RUN_OUT="$t/kernel.out" \
	"$P" probe --kernel "6.12-guptest" --format json \
	scenarios/cow scenarios/gup_longterm scenarios/seeds \
	>"$t/pinlab.json" 2>"$t/pinlab.err"
probe_st=$?
ran=$(( $(date +%s) - start ))
if [ "$probe_st" -gt 1 ] || [ ! -s "$t/pinlab.json" ]; then
	sed 's/^/    /' "$t/pinlab.err" | tail -20
	echo "kselftest-compare: pinlab probe --kernel 6.12-guptest failed (exit $probe_st)"
	exit 1
fi
[ -s "$t/kernel.out" ] || {
	sed 's/^/    /' "$t/pinlab.err" | tail -20
	echo "kselftest-compare: the guest printed nothing for the kernel's tests"
	exit 1
}

if [ "$probe_st" = 1 ]; then
	echo "pinlab probe: runs whose outcome did not meet the expectation:"
	grep '"match": false' "$t/pinlab.json" | head -20 | sed 's/^/    /'
fi
join "$t/kernel.out" "$t/pinlab.json"
st=$?
if [ -n "${KSELFTEST_KEEP:-}" ]; then
	mkdir -p "$KSELFTEST_KEEP" && cp "$t/kernel.out" "$t/pinlab.json" "$t/pinlab.err" \
		"$KSELFTEST_KEEP"/
fi
exit $st
