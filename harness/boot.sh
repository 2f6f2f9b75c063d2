#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# boot.sh - boot a kernel under QEMU (TCG) with our initramfs, log the
# serial console, and judge the log.
#
# usage: boot.sh [options] -- [extra kernel command line]
#   -k KERNEL    bzImage                              (required)
#   -i INITRD    initramfs cpio                       (required)
#   -l LOG       console log file                     (required)
#   -m MEM       guest memory, QEMU syntax            (default 1G)
#   -c CPUS      guest CPUs                           (default 2)
#   -n NODES     fake NUMA nodes (numa=fake=N), 1=off (default 1)
#   -t SECONDS   host-side time limit                 (default 900)
#   -M MODE      harness.mode: check | stress | run | shell (default check)
#   -D BYTES     plug a QEMU pc-dimm of BYTES (MiB multiple) at 4 GiB, and
#                tell the guest: harness.dimm=0x100000000,BYTES (make stress
#                adds it through /sys/devices/system/memory/probe)
#   -K           the kernel runs KUnit: its KTAP must be in the log
#   -S SUITE     with -K: this KUnit suite must have run (repeatable)
#   -O DIR       with -K: every suite in DIR/*-kunit.h must have run with
#                every one of its cases (our mm/tests)
#   -E LIST      in check mode: the selftests that must have run, one a
#                line (the 'list' the initramfs was built with)
#   -W           add panic_on_warn=1 (test runs)
#   -X ARGS      more QEMU arguments, split at blanks (e.g. -numa options
#                for a node without memory; use -n 1 with them)
#   -j JSON      write the counts here (see results.py)
#
# Words after -- go to the kernel command line (page_owner=on ...).
# The guest always boots with panic=-1 oops=panic and QEMU with -no-reboot,
# so a panic ends QEMU at once; the time limit catches a hang.  In 'shell'
# mode the console is this terminal and nothing is judged.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernel= initrd= log= mem=1G cpus=2 nodes=1 limit=900 mode=check kunit= warn= json= dimm=
suites=() list=() qemu_extra=()
while getopts "k:i:l:m:c:n:t:M:KS:O:E:Wj:D:X:" o; do
	case $o in
	k) kernel=$OPTARG ;; i) initrd=$OPTARG ;; l) log=$OPTARG ;;
	m) mem=$OPTARG ;; c) cpus=$OPTARG ;; n) nodes=$OPTARG ;;
	t) limit=$OPTARG ;; M) mode=$OPTARG ;; K) kunit=--kunit ;;
	S) suites+=(--require-suite "$OPTARG") ;;
	O) suites+=(--owned-kunit "$OPTARG") ;;
	E) list=(--selftest-list "$OPTARG") ;;
	W) warn=panic_on_warn=1 ;; j) json=$OPTARG ;;
	D) dimm=$OPTARG ;;
	X) read -r -a more <<< "$OPTARG"; qemu_extra+=("${more[@]}") ;;
	*) sed -n '5,31p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
[ -n "$kernel" ] && [ -n "$initrd" ] || { echo "boot: -k and -i are required" >&2; exit 2; }
[ -f "$kernel" ] || { echo "boot: no kernel at $kernel" >&2; exit 2; }

cmdline="console=ttyS0 panic=-1 oops=panic $warn harness.mode=$mode"
[ "$nodes" -gt 1 ] && cmdline="$cmdline numa=fake=$nodes"
# check runs reserve a CMA area: compaction_contig allocates it whole
# (alloc_contig_range() over hugetlb pages); words after -- may override
[ "$mode" = check ] && cmdline="$cmdline cma=64M"
cmdline="$cmdline $*"

memarg=$mem
dimmarg=()
if [ -n "$dimm" ]; then
	# the device memory region of q35 starts at 4 GiB while all of the
	# guest's RAM fits below 2.75 GiB; the dimm's address is fixed there so
	# that the guest knows where to probe
	mib() { numfmt --from=iec "${1}" | awk '{ print int($1 / 1048576) }'; }
	[ "$(mib "$mem")" -le 2816 ] || { echo "boot: -D needs -m 2816M or less" >&2; exit 2; }
	memarg="$mem,slots=1,maxmem=$(( $(mib "$mem") + $(mib "$dimm") ))M"
	dimmarg=(-object "memory-backend-ram,id=dimm0,size=$dimm"
		 -device "pc-dimm,id=dimm0d,memdev=dimm0,addr=0x100000000")
	cmdline="$cmdline harness.dimm=0x100000000,$(numfmt --from=iec "$dimm")"
fi

# no PS/2 controller (i8042=off): the console is the serial port, and
# the kernel's probe of QEMU's keyboard and mouse ran on a worker while
# built-in KUnit counted the zone's free pages (the mouse's input device
# took a page in the middle of compaction_live_failed_page_goes_back)
qemu=(${QEMU:-qemu-system-x86_64} -nodefaults -no-reboot -nographic
      -machine q35,i8042=off -accel tcg -cpu max -smp "$cpus" -m "$memarg" "${dimmarg[@]}"
      "${qemu_extra[@]}"
      -kernel "$kernel" -initrd "$initrd" -append "$cmdline")

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi

[ -n "$log" ] || { echo "boot: -l is required" >&2; exit 2; }
mkdir -p "$(dirname "$log")"
echo "boot: $(basename "$kernel") mem=$mem cpus=$cpus numa=$nodes mode=$mode limit=${limit}s -> $log"
start=$(date +%s)
set +e
timeout -k 10 "$limit" "${qemu[@]}" -serial "file:$log" < /dev/null > "$log.qemu" 2>&1
rc=$?
set -e
echo "boot: QEMU ended after $(( $(date +%s) - start ))s (exit $rc)"
status=exited
case $rc in
0) ;;
124|137) status=timeout ;;
*) status=qemu-error ;;
esac
if [ $status = qemu-error ]; then
	echo "boot: QEMU failed:" >&2
	tail -n 20 "$log.qemu" >&2
fi
args=(--log "$log" --status "$status" --limit "$limit")
[ -n "$kunit" ] && args+=("$kunit" "${suites[@]}")
[ -n "$json" ] && args+=(--json "$json")
[ "$mode" = check ] || [ "$mode" = stress ] && args+=(--selftests "${list[@]}")
[ -n "${RESULTS_ARGS:-}" ] && args+=($RESULTS_ARGS)
# the judge is bounded too: kunit_parser can loop on TAP nested in a
# program's output (run_vmtests.sh run by hand in a guest)
exec timeout -k 5 300 python3 "$here/results.py" "${args[@]}"
