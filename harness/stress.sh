#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# stress.sh - what 'make stress' runs: build the debug kernel (or, with
# FLAVOUR=kcsan, the KCSAN one; with FLAVOUR=stock-debug, upstream 6.12
# with the same checkers, to tell our faults from upstream's under the
# same load) and the guest, then boot it once per CPU
# count in $STRESS_CPUS and run stress/stress.c for $STRESS_MINUTES while
# it is judged like 'make check' judges its guests (harness/results.py:
# any kernel report, taint, debug_locks 0, leak, or a failed check of the
# program fails the run).  Closes with "N passed, N failed, N skipped".
#
# The guest: $STRESS_MEM of RAM with numa=fake=2, a 256 MiB pc-dimm the
# program adds and onlines itself, a 64 MiB CMA area, a 64 MiB RAM disk;
# page_owner=on debug_pagealloc=on panic_on_warn=1 (not with KCSAN, below).
#
# Then the odd machines (STRESS_ODD_MACHINES, default all three; none with
# STRESS_ODD=0): only the stress program (its
# idle compaction first, then the workers that need no RAM disk, CMA area
# or dimm) for STRESS_ODD_SECONDS (default 60) each, from an initramfs
# without the selftests and bench programs (the guest keeps its unpacked
# archive in RAM: 13 MiB of them were a quarter of the tiny machine's):
#   tiny   64 MiB, on the test kernel: the debug kernel (KASAN) does not
#          boot in 64 MiB (no console output at all).  Its workers are
#          sized as if 40,000 kB were free (harness.stress_free_kb, -f),
#          not from MemFree: MemFree at the start differs by kernel (41.2-
#          41.8 MB on ours, mostly 39.3-40.4 MB on stock 6.12), and the
#          THP worker's tenth of it came to two 2 MiB chunks from 40,961
#          kB up, one below: the two kernels mostly ran different loads,
#          on a machine where 2 MiB is 4% of its memory
#   holes  1 GiB, 48 MiB of it reserved in two ranges inside the zones
#          (memmap=) and 256 MiB of ZONE_MOVABLE (movablecore=), entirely
#          free when the idle compaction runs; one node (numa=fake=2 over
#          these holes made one node anyway)
#   memoryless
#          1 GiB on node 0 with CPU 0, and node 1 with CPU 1 and no memory
#          (QEMU's -numa, read from ACPI's SRAT by the numa kernel: the test
#          kernel with X86_64_ACPI_NUMA, which needs PCI); node1/compact is
#          written like any node's, and the migrate worker moves pages
#          only to nodes with memory
# Our kernels run their built-in KUnit suites at boot in these guests too;
# a crash there fails the run (the first memoryless boot found one: the
# live suite asked __GFP_THISNODE for a zone of the CPU's node, which had
# none), but only make check judges KUnit's results (no -K here).
set -uo pipefail
cd "$(dirname "$0")/.."

flavour=${FLAVOUR:-debug}
minutes=${STRESS_MINUTES:-3}
seed=${STRESS_SEED:-1}
cpus_list=${STRESS_CPUS:-2 4}
mem=${STRESS_MEM:-2G}
results=${RESULTS:-results}
run="$results/stress-$flavour-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
ln -sfn "$(basename "$run")" "$results/stress-latest"
t0=$(date +%s)

stamp() { echo "stress: [$(( $(date +%s) - t0 ))s] $*"; }
die() { echo "stress: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

for m in $(echo ${STRESS_ODD_MACHINES-} | tr , " "); do
	case $m in
	tiny|holes|memoryless) ;;
	*) die "STRESS_ODD_MACHINES: no odd machine '$m' (tiny, holes, memoryless)" ;;
	esac
done

stamp "building the $flavour kernel and the guest"
make -s kernel FLAVOUR="$flavour" || die "the $flavour kernel did not build"
make -s initramfs || die "the initramfs did not build"
eval "$(make -s --no-print-directory vars FLAVOUR="$flavour")"
export KUNIT_DIR=$kunit
list=$(dirname "$selftest_list")/../stress/list

# KASAN's quarantine keeps up to 1/32 of memory in freed objects: on top of
# /init's usual 16 MiB, 64 MiB for the 2 GiB guest
leak_kb=$(( 16384 + $(numfmt --from=iec "$mem") / 32 / 1024 ))
seconds=$((minutes * 60))
# boot (~1 min), the run, the final sweeps and teardown, and a margin
limit=$((seconds + 900))
warn=-W
if [ "$flavour" = kcsan ]; then
	# KCSAN reports races all over the kernel; only those in compaction,
	# migration and the page allocator (their title or stacks) count.  No
	# panic_on_warn: KCSAN panics on any report with it (a do_timer /
	# mem_cgroup_flush_stats_ratelimited race ended a run at 165 s); a WARN
	# still fails the run, by its report in the log and by TAINT_WARN
	warn=
	export RESULTS_ARGS="--kcsan-only compact|migrat|isolate_|page_alloc|alloc_pages|free_pages|free_one_page|rmqueue|_pcp|buddy|pageblock|freepages|cma_|alloc_contig|kcompactd"
fi

runs=()
for cpus in $cpus_list; do
	runs+=("$cpus")
	stamp "guest: $flavour kernel, $cpus CPUs, $mem, $minutes min of stress"
	harness/boot.sh -k "$kernel" -i "$initrd" -l "$run/stress-$cpus.log" \
		-j "$run/stress-$cpus.json" -m "$mem" -c "$cpus" -n 2 -t "$limit" \
		-M stress $warn -E "$list" -D 256M -- \
		page_owner=on debug_pagealloc=on cma=64M brd.rd_size=65536 \
		harness.stress_seconds="$seconds" harness.stress_seed="$seed" \
		harness.leak_kb="$leak_kb"
	grep -a -E '^ +(not )?ok |# stress: |# harness: leak check' "$run/stress-$cpus.log" |
		sed 's/^ */    /'
done

odd_seconds=${STRESS_ODD_SECONDS:-60}
odd_workers=anon,mlock,shmem,thp,fork,migrate,pin,compact,kalloc,frag
echo stress > "$run/odd.list"
# STRESS_ODD_MACHINES: which of them to boot (.ci/run leaves tiny out;
# set and empty: none)
odd_machines=" $(echo ${STRESS_ODD_MACHINES-tiny holes memoryless} | tr ',' ' ') "
wanted() { [[ $odd_machines == *" $1 "* ]]; }
# odd NAME KERNEL MEM NODES [boot.sh options] -- [kernel command line]
odd() {
	local name=$1 okernel=$2 omem=$3 nodes=$4
	shift 4
	wanted "$name" || { stamp "guest: $name left out (STRESS_ODD_MACHINES)"; return; }
	runs+=("$name")
	stamp "guest: $name, $omem, $odd_seconds s of stress ($okernel)"
	harness/boot.sh -k "$okernel" -i "$stress_initrd" -l "$run/stress-$name.log" \
		-j "$run/stress-$name.json" -m "$omem" -c 2 -n "$nodes" \
		-t $((odd_seconds + 900)) -M stress -W -E "$run/odd.list" "$@" \
		page_owner=on debug_pagealloc=on harness.only=stress \
		harness.stress_workers=$odd_workers harness.stress_seconds="$odd_seconds" \
		harness.stress_seed="$seed" \
		harness.leak_kb=$(( 16384 + $(numfmt --from=iec "$omem") / 32 / 1024 ))
	grep -a -E '^ +(not )?ok |# stress: |# idle: |# harness: leak check' \
		"$run/stress-$name.log" | sed 's/^ */    /'
}
# the odd machines boot our test and numa kernels: not for stock
[ "$flavour" = stock-debug ] && STRESS_ODD=0
if [ "${STRESS_ODD:-1}" != 0 ]; then
	test_kernel= numa_kernel=
	if wanted tiny; then
		make -s kernel FLAVOUR=test || die "the test kernel did not build"
		test_kernel=$(make -s --no-print-directory vars FLAVOUR=test | sed -n 's/^kernel=\([^ ]*\).*/\1/p')
	fi
	odd tiny "$test_kernel" 64M 1 -- harness.stress_free_kb=40000
	odd holes "$kernel" 1G 1 -- 'memmap=32M$320M' 'memmap=16M$704M' movablecore=256M
	if wanted memoryless; then
		make -s kernel FLAVOUR=numa || die "the numa kernel did not build"
		numa_kernel=$(make -s --no-print-directory vars FLAVOUR=numa | sed -n 's/^kernel=\([^ ]*\).*/\1/p')
	fi
	# one CPU a socket: two cores of one socket (QEMU's default) on two
	# nodes share a cache across nodes, which the kernel WARNs about
	odd memoryless "$numa_kernel" 1G 1 -X "-smp 2,sockets=2,cores=1,threads=1 \
-object memory-backend-ram,id=m0,size=1G \
-numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1" --
fi

stamp "done; results in $run"
python3 - "$run" "${runs[@]}" <<'PY'
import json, os, sys
tot = {'passed': 0, 'failed': 0, 'skipped': 0}
for name in sys.argv[2:]:
    what = f'{name} CPUs' if name.isdigit() else name
    path = os.path.join(sys.argv[1], f'stress-{name}.json')
    try:
        with open(path) as f:
            c = json.load(f)
    except (OSError, ValueError):
        print(f'stress: the {what} run left no results: counted as failed')
        c = {'passed': 0, 'failed': 1, 'skipped': 0}
    print(f"stress: {what}: passed {c['passed']:4}  failed {c['failed']:3}  skipped {c['skipped']:3}")
    for k in tot:
        tot[k] += c[k]
print(f"{tot['passed']} passed, {tot['failed']} failed, {tot['skipped']} skipped")
sys.exit(1 if tot['failed'] else 0)
PY
