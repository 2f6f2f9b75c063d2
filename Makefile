# SPDX-License-Identifier: GPL-2.0
#
# Our compaction subsystem, built into Debian's Linux 6.12 and tested in
# QEMU guests.  See README.md; 'make help' lists the targets.

# --- the base tree ----------------------------------------------------------
BASE_PKG     ?= linux-source-6.12
BASE_VERSION ?= 6.12.117-1~deb12u1
BASE_SHA256  ?= e849faf31ca3555757f3a8877cb01af92122f744f75d1f3102734651c4e14703

# --- where things go --------------------------------------------------------
# Everything big lives in a cache outside the checkout, so that rebuilds are
# incremental across clones: the downloaded package, the pristine tree, our
# tree (a hard-link copy of it with our files laid over), one build dir per
# flavour and ccache's store.
CACHE      ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/compaction
VTAG       := $(subst ~,_,$(BASE_VERSION))
BASE_TREE  := $(CACHE)/base-$(VTAG)
OUR_TREE   := $(CACHE)/ours-$(VTAG)
BUILD      := $(CACHE)/build-$(VTAG)
GUEST      := $(BUILD)/guest
RESULTS    ?= results
TOP        := $(CURDIR)

# --- kernels ----------------------------------------------------------------
# test: ours; stock: the same base and configs without any of our files or
# patches; debug: ours with the checkers on; kcsan: debug with KCSAN in place
# of KASAN (make stress FLAVOUR=kcsan); stock-debug: stock with the debug
# flavour's checkers (make stress FLAVOUR=stock-debug: upstream under the
# same load); numa: test with ACPI NUMA (make stress's guest with a node
# without memory).
FLAVOUR    ?= test
MATRIX     ?= $(sort $(basename $(notdir $(wildcard configs/matrix/*.config))))
FRAGS      := configs/boot.config configs/mm.config configs/test.config
FRAGS_test  = $(FRAGS) configs/ours.config
FRAGS_stock = $(FRAGS)
FRAGS_debug = $(FRAGS_test) configs/debug.config
FRAGS_stock-debug = $(FRAGS_stock) configs/debug.config
FRAGS_kcsan = $(FRAGS_debug) configs/kcsan.config
FRAGS_numa  = $(FRAGS_test) configs/numa.config
SRC_test    = $(OUR_TREE)
SRC_stock   = $(BASE_TREE)
SRC_debug   = $(OUR_TREE)
SRC_stock-debug = $(BASE_TREE)
SRC_kcsan   = $(OUR_TREE)
SRC_numa    = $(OUR_TREE)
# matrix-NAME: our tree with configs/matrix/NAME.config on top; its base
# fragments are merged but not checked, so dependents may go (make matrix)
ifneq ($(filter matrix-%,$(FLAVOUR)),)
FRAGS_$(FLAVOUR) = $(FRAGS_test) configs/matrix/$(FLAVOUR:matrix-%=%).config
SRC_$(FLAVOUR)   = $(OUR_TREE)
export KCONFIG_LAX := $(addprefix $(CURDIR)/,$(FRAGS_test))
endif
SRC        = $(SRC_$(FLAVOUR))
OBJ        = $(BUILD)/$(FLAVOUR)
BZIMAGE    = $(OBJ)/arch/x86/boot/bzImage
JOBS       ?= $(shell nproc)
KCC        ?= $(if $(shell command -v ccache),ccache gcc,gcc)
export CCACHE_DIR ?= $(CACHE)/ccache
export KUNIT_DIR  := $(OUR_TREE)/tools/testing/kunit

# --- guests -----------------------------------------------------------------
MEM        ?= 1G
CPUS       ?= 2
NUMA       ?= 1
TIMEOUT    ?= 900
# selftests run by 'make check', in this order: upstream's compaction_test and
# ours, tools/testing/selftests/mm/compaction_*.c, which that folder's Makefile
# builds (patches/0004); harness/tests/test_kselftest.py fails if the two differ
SELFTESTS  ?= compaction_test compaction_thp compaction_fragment compaction_integrity compaction_knobs compaction_proactive compaction_suitability compaction_events compaction_kinds compaction_contig compaction_isolated
INITRAMFS  := $(GUEST)/initramfs.cpio
# the same without the selftests and bench programs (make stress's odd machines)
INITRAMFS_STRESS := $(GUEST)/initramfs-stress.cpio

PACKAGES := build-essential flex bison bc libelf-dev libssl-dev cpio xz-utils file \
	    patch git python3 ccache qemu-system-x86 busybox-static rsync

ifeq ($(filter $(FLAVOUR),test stock debug stock-debug kcsan numa $(MATRIX:%=matrix-%)),)
$(error FLAVOUR must be test, stock, debug, stock-debug, kcsan, numa or matrix-NAME for a configs/matrix/NAME.config)
endif

.PHONY: help deps base tree kernel config headers selftests initramfs \
	run shell check stress mutants detectors bench bench-layout matrix patches vars clean distclean FORCE

help:
	@echo 'make run        build our kernel, boot it and show compaction at work'
	@echo 'make check      build, boot and run every test; prints "N passed, N failed"'
	@echo 'make stress     minutes of mixed load on the debug kernel (STRESS_MINUTES, FLAVOUR=kcsan|stock-debug)'
	@echo 'make shell      boot our kernel to an interactive BusyBox shell'
	@echo 'make bench      stock against ours on the compaction workloads (WORKLOAD=thp for one)'
	@echo 'make bench-layout  the fast paths of stock, stock with its code moved, and ours'
	@echo 'make mutants    each broken engine in harness/mutants must fail the tests'
	@echo 'make detectors  KASAN, lockdep and KCSAN each catch a bug planted on purpose'
	@echo 'make matrix     build our tree with each of configs/matrix/*.config (COMPACTION=n, ...)'
	@echo 'make kernel     build a kernel (FLAVOUR=test|stock|debug|stock-debug|kcsan|numa, default test)'
	@echo 'make patches    write our whole change as a git-am series to $(RESULTS)/patches'
	@echo 'make clean      drop build dirs, our tree and $(RESULTS); keep the download'
	@echo 'make distclean  drop the whole cache ($(CACHE))'
	@echo 'knobs: FLAVOUR MEM CPUS NUMA TIMEOUT JOBS BASE_VERSION BASE_SHA256 CACHE'
	@echo '       STRESS_MINUTES STRESS_SEED STRESS_CPUS STRESS_MEM STRESS_ODD STRESS_ODD_MACHINES'

deps:
	@harness/deps.sh $(PACKAGES)

base: deps
	@harness/fetch-base.sh $(BASE_PKG) $(BASE_VERSION) $(BASE_SHA256) $(CACHE)/deb $(BASE_TREE)

# Lay our files and the series over a hard-link copy of the base tree.
tree: base
	@harness/apply.sh $(BASE_TREE) $(OUR_TREE) $(TOP)

config: $(if $(filter stock stock-debug,$(FLAVOUR)),base,tree)
	@KCC="$(KCC)" harness/kconfig.sh $(SRC) $(OBJ) $(addprefix $(TOP)/,$(FRAGS_$(FLAVOUR)))

kernel: config
	@echo "kernel: building $(FLAVOUR) in $(OBJ)"
	@$(MAKE) -s -C $(SRC) O=$(OBJ) ARCH=x86_64 CC="$(KCC)" -j$(JOBS) bzImage
	@VERIFY_ONLY=1 harness/kconfig.sh $(SRC) $(OBJ) $(addprefix $(TOP)/,$(FRAGS_$(FLAVOUR)))
	@ls -l $(BZIMAGE) | awk '{print "kernel: " $$NF " (" $$5 " bytes)"}'

# UAPI headers for the static guest programs, from our tree.
headers: tree
	@$(MAKE) -s -C $(OUR_TREE) O=$(BUILD)/headers ARCH=x86_64 headers

selftests: headers
	@harness/build-selftests.sh $(OUR_TREE) $(BUILD)/headers/usr/include $(GUEST)/selftests $(SELFTESTS)

# static guest programs: ours, built against the host's libc headers, every
# time (a few seconds): the cache is shared by every checkout, and a source
# older than the binary another checkout built would not count as changed
$(GUEST)/bench/oracle: bench/oracle.c FORCE
$(GUEST)/bench/workload: bench/workload.c FORCE
$(GUEST)/stress/stress: stress/stress.c FORCE
$(GUEST)/bench/oracle $(GUEST)/bench/workload $(GUEST)/stress/stress:
	@mkdir -p $(dir $@)
	gcc -static -O2 -Wall -Wextra $(STRESS_CFLAGS) -o $@ $<

FORCE:

initramfs: deps selftests $(GUEST)/bench/oracle $(GUEST)/bench/workload $(GUEST)/stress/stress
	@cp harness/guest/init harness/guest/demo $(GUEST)/
	@cp bench/guest-bench $(GUEST)/bench/
	@cp stress/list stress/faults stress/kill stress/cma $(GUEST)/stress/
	@harness/mkinitramfs.sh $(INITRAMFS) $(GUEST) $(GUEST)/selftests $(GUEST)/bench $(GUEST)/stress
	@harness/mkinitramfs.sh $(INITRAMFS_STRESS) $(GUEST) - - $(GUEST)/stress

BOOT = harness/boot.sh -k $(BZIMAGE) -i $(INITRAMFS) -m $(MEM) -c $(CPUS) -n $(NUMA) -t $(TIMEOUT)

run: kernel initramfs
	@mkdir -p $(RESULTS)
	@$(BOOT) -M run -l $(RESULTS)/run-$(FLAVOUR).log; rc=$$?; \
	  sed -n '/=== fragmenting/,/HARNESS_DONE/p' $(RESULTS)/run-$(FLAVOUR).log | \
	  grep -avE '^\[ *[0-9]+\.[0-9]+\]|HARNESS_DONE'; \
	  grep -aq 'data check: workload exited 0' $(RESULTS)/run-$(FLAVOUR).log || \
	    { echo "run: the kept pages did not all survive compaction"; exit 1; }; exit $$rc

shell: kernel initramfs
	@$(BOOT) -M shell

check: deps
	@harness/check.sh

# minutes of mixed load on the debug kernel (FLAVOUR=kcsan: the KCSAN one;
# FLAVOUR=stock-debug: upstream's, to compare), once per STRESS_CPUS; see
# harness/stress.sh
STRESS_MINUTES ?= 3
STRESS_SEED    ?= 1
STRESS_CPUS    ?= 2 4
STRESS_MEM     ?= 2G
stress: deps
	@FLAVOUR=$(if $(filter kcsan stock-debug,$(FLAVOUR)),$(FLAVOUR),debug) STRESS_MINUTES=$(STRESS_MINUTES) \
	  STRESS_SEED=$(STRESS_SEED) STRESS_CPUS="$(STRESS_CPUS)" STRESS_MEM=$(STRESS_MEM) \
	  harness/stress.sh

# each harness/mutants/*.patch (or MUTANTS=NAME ...) must fail the guest run
# (MUTANT_DIR=DIR: another directory of them)
MUTANTS ?=
MUTANT_DIR ?= harness/mutants
mutants: kernel initramfs
	@MUTANT_DIR=$(MUTANT_DIR) harness/mutants.sh $(RESULTS)/mutants-$(BENCH_STAMP) $(MUTANTS)

# each detector of the debug kernels (KASAN, lockdep, KCSAN) must catch a bug
# planted on purpose (or DETECTORS=NAME ...)
DETECTORS ?=
detectors: deps initramfs
	@harness/detectors.sh $(RESULTS)/detectors-$(BENCH_STAMP) $(DETECTORS)

# --- build matrix: our tree with one feature off at a time (build only) -----------
matrix: tree
	@fail=; for m in $(MATRIX); do \
	  log=$(BUILD)/matrix-$$m.log; start=$$(date +%s); \
	  if $(MAKE) -s kernel FLAVOUR=matrix-$$m > $$log 2>&1; then \
	    echo "matrix: $$m: ok ($$(( $$(date +%s) - start ))s)"; \
	  else \
	    echo "matrix: $$m: FAILED, see $$log"; tail -n 20 $$log; fail="$$fail $$m"; \
	  fi; \
	done; \
	if [ -n "$$fail" ]; then echo "matrix: failed:$$fail"; exit 1; fi; echo "matrix: all of $(MATRIX) build"

# --- benchmark: stock against ours, each workload BENCH_RUNS times --------------
BENCH_RUNS ?= 2
WORKLOAD   ?=
BENCH_STAMP := $(shell date +%Y%m%d-%H%M%S)
BENCH_OUT  ?= $(RESULTS)/bench-$(BENCH_STAMP)

bench: deps
	@harness/deps.sh gnuplot-nox
	@$(MAKE) -s kernel FLAVOUR=stock
	@$(MAKE) -s kernel FLAVOUR=test
	@$(MAKE) -s initramfs
	python3 bench/bench.py --kernel stock=$(BUILD)/stock/arch/x86/boot/bzImage \
		--kernel ours=$(BUILD)/test/arch/x86/boot/bzImage --initrd $(INITRAMFS) \
		--out $(BENCH_OUT) --runs $(BENCH_RUNS) $(if $(WORKLOAD),--workloads $(WORKLOAD))
	@mkdir -p $(RESULTS) && ln -sfn $(abspath $(BENCH_OUT)) $(RESULTS)/bench-latest
	python3 bench/report.py $(BENCH_OUT) --base stock --new ours

# Code layout alone, on the fast paths: stock rebuilt with a never-called
# function of nops compiled into mm/compaction.o (nothing else changes; the
# base tree is not touched) beside stock and ours.
LAYOUT_RUNS ?= 4
bench-layout: deps
	@$(MAKE) -s kernel FLAVOUR=test
	@$(MAKE) -s initramfs
	bench/layout-control.sh $(RESULTS)/bench-layout-$(BENCH_STAMP) $(LAYOUT_RUNS)

patches: tree
	@harness/mkpatches.sh $(BASE_TREE) $(OUR_TREE) $(TOP) $(RESULTS)/patches

clean:
	rm -rf $(RESULTS) $(BUILD) $(OUR_TREE)

# for scripts: where the build of FLAVOUR puts things
vars:
	@echo kernel=$(BZIMAGE) initrd=$(INITRAMFS) kunit=$(KUNIT_DIR) selftest_list=$(GUEST)/selftests/list \
	  stress_initrd=$(INITRAMFS_STRESS)

distclean:
	rm -rf $(RESULTS) $(CACHE)
