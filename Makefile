# pinlab - GNU make build.
#
#   make            build/libpinlab-core.a, build/pinlab and build/pinlab-bench
#   make test       check-layers, then every test against build/ and against
#                   build-asan/ (ASan + UBSan); last line: "N passed, N failed"
#   make asan       the sanitizer build in build-asan/
#   make tsan       ThreadSanitizer build in build-tsan/, and the suite run on it
#   make coverage   gcov build in build-cov/, the suite run on it, then line and
#                   branch coverage of src/core/ and src/lang/ (tools/coverage.sh)
#   make demo       build/pinlab demo (the catalog under the landmark presets),
#                   build/demo/demo.html (the HTML report, with a column for
#                   this kernel when it runs scenarios) and build/demo/*.dot
#                   (*.svg with graphviz)
#   make bench      build and run build/pinlab-bench (model vs this kernel)
#   make bench-profile   where the model's time goes on each path: a text
#                   flame graph per bench row, the catalog and the explorer
#   make bench-scale   the model alone at 1-64 GiB: CPU and bytes per page
#   make bench-slurm   explore --shard as a Slurm array on a private one-node
#                   cluster: speedup of 1 vs 2 tasks, projection for N machines
#                   (bench/slurm.sh; needs root, slurm-wlm and munge)
#   make static     build/pinlab-static: pinlab linked -static, the guest's init
#                   for `probe/diff --kernel` (also built by `make`)
#   make kernels    unpack Debian's 6.1 and 6.12 images into build/kernels/
#   make gup-test-kernel   build the CONFIG_GUP_TEST 6.12 kernel into build/kernels/
#                   (tools/gup-test-kernel.sh; cached by source version + fragment)
#   make kselftest-compare   the kernel's cow.c and gup_longterm.c beside
#                   pinlab's catalog on that kernel (KSELFTEST_1G=1: 1 GiB cases too)
#   make check-layers   the layer table of docs/design.md (tools/check-layers)
#   make fuzz       libFuzzer targets in build-fuzz/ (clang), each run FUZZ_S seconds
#   make install    binary, man page, bash/zsh completion and docs under PREFIX
#                   (/usr/local), staged under DESTDIR; make uninstall
#   make clean      remove everything built (build*/ but the downloaded
#                   build/kernels/ and build/npm/); make distclean: those too
#
# Parallel by default (-j of the number of CPUs; -jN on the command line wins).
#
# Sources are found by wildcard, so adding a file needs no edit here:
#   src/core/*.c                               -> BUILD/libpinlab-core.a
#   every other src/DIR/*.c and src/DIR/SUB/*.c -> BUILD/pinlab, linked with the lib
#   all of them but src/cli/main.c              -> BUILD/libpinlab-app.a
#   tests/unit/NAME.c  (own main)              -> BUILD/tests/unit/NAME, linked with both libs
#   bench/*.c          (own main)              -> build/pinlab-bench
# Objects go to BUILD/obj/<source path>.o with -MMD -MP dependency files.
# V=1 shows the commands.

MAKEFLAGS += --no-builtin-rules
# Parallel by default, one job per CPU; `make -jN` on the command line wins.
# `make clean` with other goals runs serially, so nothing is built and removed at once.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif
.SUFFIXES:
.DELETE_ON_ERROR:
.SECONDARY:

ifeq ($(origin CC),default)
CC := gcc
endif
AR ?= ar

WARNINGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	    -Wmissing-prototypes -Wundef -Wformat=2
CFLAGS ?= -O2 -g
ALL_CPPFLAGS := -D_GNU_SOURCE -Iinclude -Isrc -Ibuild/gen $(CPPFLAGS)
ALL_CFLAGS := $(WARNINGS) $(CFLAGS) -pthread
ALL_LDFLAGS := -pthread $(LDFLAGS)
LDLIBS ?= -lm

ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
# -O0 after CFLAGS' -O2 wins, so every source line keeps its own counter.
COV_FLAGS := --coverage -O0

B := build
A := build-asan
T := build-tsan
C := build-cov

Q := $(if $(V),,@)

# Sorted, so link order and test order never depend on the directory.
CORE_SRCS := $(sort $(wildcard src/core/*.c))
APP_SRCS := $(sort $(filter-out src/core/%,$(wildcard src/*/*.c src/*/*/*.c)))
CLI_SRCS := $(wildcard src/cli/*.c)
# the app's sources but main(): libpinlab-app.a, linked into the unit tests and fuzz targets
LIB_SRCS := $(filter-out src/cli/main.c,$(APP_SRCS))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))

# objs BUILD, SOURCES
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))
# unit-progs BUILD
unit-progs = $(patsubst tests/unit/%.c,$(1)/tests/unit/%,$(UNIT_SRCS))
# The programs of a variant: the CLI only once src/cli has sources.
variant-targets = $(1)/libpinlab-core.a $(if $(CLI_SRCS),$(1)/pinlab $(1)/pinlab-failalloc)

# BUILD/pinlab-failalloc: the same objects as BUILD/pinlab, with every
# allocating libc call routed through tests/failalloc/shim.c, which fails the
# Nth one on request (PINLAB_FAIL_ALLOC=N; tests/cli/failalloc.sh).
FAILALLOC_WRAP := malloc calloc realloc strdup strndup fopen fdopen fmemopen open_memstream \
		  opendir mmap
FAILALLOC_LDFLAGS := $(foreach f,$(FAILALLOC_WRAP),-Wl,--wrap=$(f))

.PHONY: all asan tsan coverage test test-plain test-asan unit-tests demo bench bench-scale bench-slurm bench-profile clean \
	check-layers static kernels fuzz gup-test-kernel kselftest-compare

all: $(call variant-targets,$(B)) $(if $(CLI_SRCS),$(B)/pinlab-static) $(B)/pinlab-bench

# The guest's /init for `probe/diff --kernel` (docs/kernels.md): the same
# objects, linked statically so that the initramfs needs no libc.
static: $(B)/pinlab-static

# Linked after build/pinlab (order-only): `--kernel` refuses a pinlab-static
# older than the pinlab beside it, a guest that would run another build.
$(B)/pinlab-static: $(call objs,$(B),$(APP_SRCS)) $(B)/libpinlab-core.a | $(B)/pinlab
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -static -o $@ $(filter %.o,$^) \
		$(B)/libpinlab-core.a $(LDLIBS)

kernels:
	bash tools/fetch-kernels.sh $(B)/kernels

gup-test-kernel:
	bash tools/gup-test-kernel.sh $(B)/kernels

# exit 77 (something missing) is a skip, said on the output, not a failure
kselftest-compare: $(B)/pinlab $(B)/pinlab-static
	@bash tools/kselftest-compare.sh $(if $(filter 1,$(KSELFTEST_1G)),--1g) $(B) || \
		{ st=$$?; [ $$st -eq 77 ] || exit $$st; }

# ---------------------------------------------------------------------------
# `pinlab --version`: the release and the git revision of the tree it was built
# from ("-dirty" with uncommitted changes; "unknown" outside git), in a header
# rewritten only when it changes, so that a commit rebuilds main.o alone.
PINLAB_RELEASE := 0.1
VERSION_H := build/gen/pinlab_version.h

$(VERSION_H): FORCE
	@mkdir -p $(@D)
	@rev=$$(git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown); \
	printf '#define PINLAB_VERSION "%s"\n#define PINLAB_GIT "%s"\n' "$(PINLAB_RELEASE)" \
		"$$rev" >$@.tmp; \
	if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

.PHONY: FORCE
FORCE:

# ---------------------------------------------------------------------------
# One build variant: $(1) = build directory, $(2) = extra compile/link flags.
define variant
$(1)/obj/%.o: %.c
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  CC      $$@")
	$$(Q)$$(CC) $$(ALL_CPPFLAGS) $$(ALL_CFLAGS) $(2) -MMD -MP -c $$< -o $$@

# the report's page template is assembled in with .incbin (html_page.c)
$(1)/obj/src/report/html_page.o: src/report/page.html
# the history cases are assembled in with .incbin (src/history/history.c)
$(1)/obj/src/history/history.o: $(wildcard scenarios/history/*.pin)
$(1)/obj/src/cli/main.o: $(VERSION_H)

$(1)/libpinlab-core.a: $(call objs,$(1),$(CORE_SRCS))
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^

$(1)/pinlab: $(call objs,$(1),$(APP_SRCS)) $(1)/libpinlab-core.a
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_CFLAGS) $(2) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) \
		$(1)/libpinlab-core.a $$(LDLIBS)

$(1)/pinlab-failalloc: $(call objs,$(1),$(APP_SRCS) tests/failalloc/shim.c) \
		$(1)/libpinlab-core.a
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_CFLAGS) $(2) $$(ALL_LDFLAGS) $$(FAILALLOC_LDFLAGS) -o $$@ \
		$$(filter %.o,$$^) $(1)/libpinlab-core.a $$(LDLIBS)

# Everything of pinlab but main(), for the unit tests of the upper layers.
$(1)/libpinlab-app.a: $(call objs,$(1),$(LIB_SRCS))
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  AR      $$@")
	$$(Q)rm -f $$@ && $$(AR) rcs $$@ $$^

$(call unit-progs,$(1)): $(1)/tests/unit/%: $(1)/obj/tests/unit/%.o $(1)/libpinlab-app.a \
		$(1)/libpinlab-core.a
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_CFLAGS) $(2) $$(ALL_LDFLAGS) -o $$@ $$< $(1)/libpinlab-app.a \
		$(1)/libpinlab-core.a $$(LDLIBS)

-include $(patsubst %.o,%.d,$(call objs,$(1),$(CORE_SRCS) $(APP_SRCS) $(UNIT_SRCS) \
	tests/failalloc/shim.c))
endef

$(eval $(call variant,$(B),))
$(eval $(call variant,$(A),$(ASAN_FLAGS)))
$(eval $(call variant,$(T),$(TSAN_FLAGS)))
$(eval $(call variant,$(C),$(COV_FLAGS)))

# ---------------------------------------------------------------------------
# Fuzz targets (fuzz/fuzz_NAME.c, docs/testing.md "Fuzzing").  In build/ and
# build-asan/ each is linked with fuzz/replay.c into BUILD/fuzz/replay-fuzz_NAME,
# which tests/cli/regress.sh feeds tests/regress/fuzz_NAME-*; `make fuzz`
# builds them with clang and libFuzzer into build-fuzz/ and runs each.
F := build-fuzz
FUZZ_CC ?= clang
FUZZ_S ?= 60
FUZZ_NAMES := $(patsubst fuzz/%.c,%,$(sort $(wildcard fuzz/fuzz_*.c)))
FUZZ_LINK_SRCS := $(LIB_SRCS)
# clang warns about a few things gcc does not; those are gcc's -Werror business
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -Wno-error \
	      -fno-sanitize-recover=all -fsanitize-coverage-ignorelist=fuzz/cov-ignore.txt
# replay-progs BUILD
replay-progs = $(patsubst %,$(1)/fuzz/replay-%,$(FUZZ_NAMES))

define fuzz_replay
$(call replay-progs,$(1)): $(1)/fuzz/replay-%: $(1)/obj/fuzz/%.o $(1)/obj/fuzz/replay.o \
		$(call objs,$(1),$(FUZZ_LINK_SRCS)) $(1)/libpinlab-core.a
	@mkdir -p $$(@D)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_CFLAGS) $(2) $$(ALL_LDFLAGS) -o $$@ $$(filter %.o,$$^) \
		$(1)/libpinlab-core.a $$(LDLIBS)

-include $(patsubst %.o,%.d,$(call objs,$(1),$(wildcard fuzz/*.c)))
endef

$(eval $(call fuzz_replay,$(B),))
$(eval $(call fuzz_replay,$(A),$(ASAN_FLAGS)))
$(eval $(call variant,$(F),$(FUZZ_FLAGS)))
# The model's core keeps its edge counters but gets no trace-cmp callbacks:
# fuzz_core spends its time there, a quarter of it in those callbacks, and its
# inputs are operation bytes taken modulo small counts, with no magic values
# for comparison operands to find.  -fsanitize=fuzzer-no-link would add
# trace-cmp back whatever follows it, so the coverage is spelled out.
comma := ,
FUZZ_CORE_FLAGS := -fsanitize=address,undefined \
	-fsanitize-coverage=inline-8bit-counters,indirect-calls,pc-table,stack-depth \
	$(filter-out -fsanitize=fuzzer-no-link$(comma)address$(comma)undefined,$(FUZZ_FLAGS))
$(F)/obj/src/core/%.o: src/core/%.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(FUZZ_CORE_FLAGS) -MMD -MP -c $< -o $@
# which code gets no coverage callbacks (the checker): a change rebuilds it all
$(call objs,$(F),$(FUZZ_LINK_SRCS) $(CORE_SRCS) $(wildcard fuzz/*.c)): fuzz/cov-ignore.txt
$(F)/%: CC := $(FUZZ_CC)

# the targets' own objects depend on the headers they include, as everywhere
# (fuzz_replay includes these for build/ and build-asan/ only): without it a
# changed struct world left build-fuzz/obj/fuzz/fuzz_core.o on the old layout
-include $(patsubst %.o,%.d,$(call objs,$(F),$(wildcard fuzz/*.c)))

$(patsubst %,$(F)/%,$(FUZZ_NAMES)): $(F)/%: $(F)/obj/fuzz/%.o \
		$(call objs,$(F),$(FUZZ_LINK_SRCS)) $(F)/libpinlab-core.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined $(ALL_LDFLAGS) -o $@ \
		$(filter %.o,$^) $(F)/libpinlab-core.a $(LDLIBS)

# Without clang's libFuzzer runtime there is nothing to run: say so, succeed.
fuzz:
	@if ! bash fuzz/have-libfuzzer.sh $(FUZZ_CC); then \
		echo "make fuzz: skipped: $(FUZZ_CC) with -fsanitize=fuzzer is not available" \
		     "(apt-get install clang libclang-rt-dev)"; \
	else \
		$(MAKE) --no-print-directory $(patsubst %,$(F)/%,$(FUZZ_NAMES)) && \
		bash fuzz/run.sh $(F) $(FUZZ_S) $(FUZZ_NAMES); \
	fi

asan: $(call variant-targets,$(A)) $(call unit-progs,$(A)) $(call replay-progs,$(A))

unit-tests: $(call unit-progs,$(B))

# ---------------------------------------------------------------------------
# Tests.  tests/run.sh prints a line per test and leaves BUILD/test-counts
# ("passed failed skipped"); `tests/run.sh --total DIR...` sums them into the
# last line of the output (and fails if either run failed or did not finish).
# The plain and the ASan suites run at the same time, each running
# PINLAB_TEST_JOBS (default: the CPUs) tests at once: every test looks only
# at what it started, and host runs serialise on the host lock.
test: check-layers $(call variant-targets,$(B)) $(call unit-progs,$(B)) $(B)/pinlab-static \
		$(B)/pinlab-bench $(call variant-targets,$(A)) $(call unit-progs,$(A)) \
		$(call replay-progs,$(B)) $(call replay-progs,$(A))
	@rm -f $(B)/test-counts $(A)/test-counts
	@./tests/run.sh $(A) >$(A)/test-output 2>&1 & asan=$$!; \
	./tests/run.sh $(B); \
	wait $$asan; \
	echo; \
	cat $(A)/test-output; \
	echo; \
	echo "# total over $(B) and $(A):"; \
	./tests/run.sh --total $(B) $(A)

test-plain: check-layers $(call variant-targets,$(B)) $(call unit-progs,$(B)) $(B)/pinlab-static \
		$(B)/pinlab-bench $(call replay-progs,$(B))
	@./tests/run.sh $(B)

test-asan: check-layers $(call variant-targets,$(A)) $(call unit-progs,$(A)) \
		$(call replay-progs,$(A))
	@./tests/run.sh $(A)

tsan: $(call variant-targets,$(T)) $(call unit-progs,$(T))
	@./tests/run.sh $(T)

# Counters start from zero on every run, so the figures are those of one
# suite run; they are printed even when a test fails, and the failure is
# still the exit status.
coverage: $(call variant-targets,$(C)) $(call unit-progs,$(C))
	@find $(C) -name '*.gcda' -delete
	@st=0; \
	./tests/run.sh $(C) || st=1; \
	echo; \
	sh tools/coverage.sh $(C) src/core src/lang || st=1; \
	exit $$st

# ---------------------------------------------------------------------------
# Layering: tools/check-layers enforces the layer table of docs/design.md
# (which directory may include which; dependencies point down only).
check-layers:
	@sh tools/check-layers

# ---------------------------------------------------------------------------
# make demo: the scenario matrix and its HTML report (build/demo/demo.html), then
# the state pictures of a few scenarios as DOT (always) and SVG (when graphviz's
# `dot` is installed) in build/demo/.
DEMO_PICTURES := $(sort $(wildcard scenarios/examples/*.pin)) tests/golden/show-dot.pin

ifneq ($(CLI_SRCS),)
# A few catalog scenarios on the model (preset of this kernel) and on this
# machine's kernel (`pinlab diff --format json`, docs/host.md): the host
# column of demo.html and the table after the matrix.  Without waiting for
# the host lock: when another pinlab runs host scenarios, the demo says so
# and goes on without them.
DEMO_HOST := scenarios/cow/a01-basic-cow-after-fork.pin \
	scenarios/cow/a03-vmsplice-unmap-in-child.pin \
	scenarios/cow/a08-fork-with-iouring-fixed-buffer.pin \
	scenarios/gup_longterm/01-rw-pin-shared.pin \
	scenarios/gup_longterm/10-iouring-private.pin
DEMO_HOST_BACKINGS := base swapped thp-2048k thp-pte-64k hugetlb-2048k memfd

demo: $(B)/pinlab
	@st=0; mkdir -p $(B)/demo; rm -f $(B)/demo/host.json $(B)/demo/host.err; \
	sw=$$([ "$$(id -u)" = 0 ] && echo --allow-swapfile); \
	for b in $(DEMO_HOST_BACKINGS); do \
		./$(B)/pinlab diff --format json --lock-timeout 0 --backing $$b $(DEMO_HOST) $$sw \
			>>$(B)/demo/host.json 2>$(B)/demo/host.err || \
		{ [ $$? -le 1 ] || { rm -f $(B)/demo/host.json; break; }; }; \
	done; \
	if [ -s $(B)/demo/host.json ]; then \
		./$(B)/pinlab demo -o $(B)/demo/demo.html --diff $(B)/demo/host.json || st=$$?; \
	else \
		./$(B)/pinlab demo -o $(B)/demo/demo.html || st=$$?; \
		echo; echo "model vs this kernel: not run here ($$(tail -n 1 $(B)/demo/host.err))"; \
	fi; \
	mkdir -p $(B)/demo; \
	for f in $(DEMO_PICTURES); do \
		n=$$(basename $$f .pin); \
		./$(B)/pinlab show $$f --preset v5.7 --format dot >$(B)/demo/$$n.dot || st=1; \
	done; \
	if command -v dot >/dev/null 2>&1; then \
		for d in $(B)/demo/*.dot; do dot -Tsvg "$$d" -o "$${d%.dot}.svg" || st=1; done; \
		echo "make demo: state pictures in $(B)/demo/*.svg"; \
	else \
		echo "make demo: graphviz is not installed, skipped the SVGs" \
		     "(the DOT sources are in $(B)/demo/)"; \
	fi; \
	echo "make demo: the report with the matrix and step-by-step pictures:" \
	     "$(B)/demo/demo.html (open it in a browser)"; \
	exit $$st
else
demo:
	@echo "make demo: src/cli/ has no sources yet, so there is no build/pinlab" >&2; exit 1
endif

# the bench's 64 kB mTHP rows change sysfs through the host journal
$(B)/pinlab-bench: $(call objs,$(B),$(BENCH_SRCS) src/backend/host/journal.c) $(B)/libpinlab-core.a
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $(filter %.o,$^) $(B)/libpinlab-core.a $(LDLIBS)

-include $(patsubst %.o,%.d,$(call objs,$(B),$(BENCH_SRCS)))

bench: $(B)/pinlab-bench $(B)/pinlab
	./$(B)/pinlab-bench
	bash bench/catalog.sh $(B)
	bash bench/explore.sh $(B)
	bash bench/kernels.sh $(B)

# the model alone at 1, 4, 16 and 64 GiB: CPU per page and bytes per page
bench-scale: $(B)/pinlab-bench
	./$(B)/pinlab-bench scale

bench-slurm: $(B)/pinlab
	bash bench/slurm.sh $(B)

# where the time goes on each path, as text flame graphs (perf, dwarf stacks)
bench-profile: $(B)/pinlab-bench $(B)/pinlab
	bash bench/profile.sh $(B)

# Everything built: the build directories of every variant.  The kernel images
# `make kernels` fetched (build/kernels/) and .ci/run's npm packages (build/npm/)
# are downloads, not builds: they stay, and `make distclean` removes them too.
clean:
	@$(if $(Q),echo "  CLEAN   $(B) (but $(B)/kernels $(B)/npm) $(A) $(T) $(C) $(F)")
	$(Q)rm -rf $(A) $(T) $(C) $(F)
	$(Q)if [ -d $(B) ]; then \
		find $(B) -mindepth 1 -maxdepth 1 ! -name kernels ! -name npm -exec rm -rf {} +; \
		rmdir $(B) 2>/dev/null || :; \
	fi

distclean: clean
	rm -rf $(B)

# ---------------------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=]: the binary (and pinlab-static,
# the guest's init for --kernel, which pinlab looks for beside itself), the man
# page, bash and zsh completion (generated from the command table by `pinlab
# completion`), and the docs.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/pinlab
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
INSTALL ?= install

completion: $(B)/completion/pinlab.bash $(B)/completion/_pinlab

$(B)/completion/pinlab.bash: $(B)/pinlab
	@mkdir -p $(@D)
	$(Q)./$(B)/pinlab completion bash >$@

$(B)/completion/_pinlab: $(B)/pinlab
	@mkdir -p $(@D)
	$(Q)./$(B)/pinlab completion zsh >$@

install: $(B)/pinlab $(B)/pinlab-static completion
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(DOCDIR)" \
		"$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)"
	$(INSTALL) -m 755 $(B)/pinlab $(B)/pinlab-static "$(DESTDIR)$(BINDIR)/"
	$(INSTALL) -m 644 docs/pinlab.1 "$(DESTDIR)$(MANDIR)/man1/pinlab.1"
	$(INSTALL) -m 644 $(B)/completion/pinlab.bash "$(DESTDIR)$(BASHCOMPDIR)/pinlab"
	$(INSTALL) -m 644 $(B)/completion/_pinlab "$(DESTDIR)$(ZSHCOMPDIR)/_pinlab"
	$(INSTALL) -m 644 README.md docs/*.md docs/*.png "$(DESTDIR)$(DOCDIR)/"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/pinlab" "$(DESTDIR)$(BINDIR)/pinlab-static" \
		"$(DESTDIR)$(MANDIR)/man1/pinlab.1" "$(DESTDIR)$(BASHCOMPDIR)/pinlab" \
		"$(DESTDIR)$(ZSHCOMPDIR)/_pinlab"
	rm -rf "$(DESTDIR)$(DOCDIR)"

.PHONY: all asan tsan coverage test test-plain test-asan unit-tests demo bench bench-scale bench-slurm bench-profile clean \
	check-layers static kernels fuzz distclean completion install uninstall

# ---------------------------------------------------------------------------
# Reference pages generated from the binary (tests/cli/cli.sh checks they are current).
.PHONY: docs
docs: $(B)/pinlab
	$(Q){ cat docs/presets-intro.md; printf '\n```text\n'; $(B)/pinlab knobs; \
	  printf '```\n\n## The checkpoints\n\n```text\n'; $(B)/pinlab presets; \
	  printf '```\n'; } > docs/presets.md
	$(Q){ printf '# Invariants\n\nGenerated by `make docs` from `pinlab invariants`: every rule the checker\nenforces, its outcome class, and where the kernel enforces it.\n\n```text\n'; \
	  $(B)/pinlab invariants; printf '```\n'; } > docs/invariants.md
