#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# layout-control.sh - how far code layout alone moves the fast-path figures.
#
# usage: layout-control.sh OUTDIR [RUNS [PAD...]]      (make bench-layout)
#
# Our series makes mm/compaction.o about twice as large, so everything the
# linker places after it (page_alloc.o's free path among it) sits at other
# addresses than in stock.  Under TCG that alone can change how long the
# same instructions take.  To tell that from a cost of our code, stock
# 6.12 is built again once per PAD (bytes) with a function nothing calls
# compiled into its mm/compaction.o, PAD bytes of nops: no behaviour
# changes, only what follows moves (by PAD + 1: the function's ret).  The
# default pads, 2072 6184 16391, move the code by different amounts modulo
# 64 bytes and modulo 4 KiB as well.  Then stock, each padded stock and
# ours (the test kernel as built) boot RUNS times each (default 4, at most
# 20), in turn, on bench's fastpath workload, and OUTDIR/layout.md holds
# report.py's fast-path rows for each against stock.  A padded stock's
# distance from stock is what layout does to a figure; ours within that
# distance shows no cost of its own, ours beyond it does.
#
# The pad goes in through the command line (CFLAGS_compaction.o=-include
# a header in OUTDIR), not into the base tree, which stays pristine: kbuild
# sees the changed command and rebuilds compaction.o, and rebuilds it again
# at the next plain stock build, so even a run killed midway leaves nothing
# wrong behind.  On exit the stock kernel is rebuilt plain anyway, so that
# the cache holds what make bench expects.  Run it alone (kernel builds,
# then timed QEMU boots).
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { echo "usage: $0 OUTDIR [RUNS [PAD...]]" >&2; exit 2; }
[ $# -ge 1 ] || usage
out=$(realpath -m "$1")
runs=${2:-4}
shift $(($# > 1 ? 2 : 1))
pads=("$@")
[ ${#pads[@]} -gt 0 ] || pads=(2072 6184 16391)
[[ $runs =~ ^[0-9]+$ ]] && [ "$runs" -ge 1 ] && [ "$runs" -le 20 ] ||
	{ echo "layout-control: RUNS must be 1-20, not '$runs'" >&2; usage; }
for pad in "${pads[@]}"; do
	[[ $pad =~ ^[0-9]+$ ]] && [ "$pad" -ge 1 ] && [ "$pad" -le 1048576 ] ||
		{ echo "layout-control: a PAD is 1-1048576 bytes, not '$pad'" >&2; usage; }
done

eval "$(make -s --no-print-directory vars FLAVOUR=stock)"
stock_bz=$kernel
eval "$(make -s --no-print-directory vars FLAVOUR=test)"
export KUNIT_DIR=$kunit
vmlinux_of() { echo "$(dirname "$1")/../../../vmlinux"; }
vmlinux=$(vmlinux_of "$stock_bz")
mkdir -p "$out/kernels"

# (not grep -q: it would leave nm a broken pipe, an error under pipefail)
has_pad() { nm "$vmlinux" | grep layout_pad_fn > /dev/null; }
# where the unmap path (free_unref_folios) landed in the kernel of bzImage $2
say_where() {
	echo "layout-control: $1: free_unref_folios at" \
		"$(nm "$(vmlinux_of "$2")" | awk '$3 == "free_unref_folios" {print $1}')"
}
build_stock() {	# NAME [MAKE-ARG...]
	local name=$1
	shift
	make -s kernel FLAVOUR=stock "$@" > "$out/kernels/build-$name.log" 2>&1 ||
		{ echo "layout-control: stock ($name) does not build" >&2; return 1; }
}
plain_stock() {
	build_stock plain && ! has_pad ||
		{ echo "layout-control: the stock kernel still holds a pad" >&2; return 1; }
}
padded=0
finish() {
	local rc=$?
	trap '' INT TERM HUP	# a second ^C must not cut the rebuild short
	if [ $padded = 1 ]; then
		plain_stock || rc=1
	fi
	exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM HUP

kernels=(--kernel "stock=$out/kernels/stock")
for pad in "${pads[@]}"; do
	h=$out/kernels/pad$pad.h
	printf '%s\nvoid layout_pad_fn(void);\nvoid __used noinline layout_pad_fn(void)\n{\n\tasm volatile(".skip %d, 0x90");\n}\n' \
		'/* layout-control.sh: never called, only moves what follows */' \
		"$pad" > "$h"
	padded=1
	build_stock "pad$pad" "CFLAGS_compaction.o=-include $h"
	has_pad || { echo "layout-control: pad $pad is not in the kernel" >&2; exit 1; }
	say_where "pad $pad" "$stock_bz"
	cp "$stock_bz" "$out/kernels/pad$pad"
	kernels+=(--kernel "pad$pad=$out/kernels/pad$pad")
done
plain_stock
padded=0
say_where stock "$stock_bz"
say_where ours "$kernel"
cp "$stock_bz" "$out/kernels/stock"
cp "$kernel" "$out/kernels/ours"
kernels+=(--kernel "ours=$out/kernels/ours")

python3 bench/bench.py "${kernels[@]}" --initrd "$initrd" --out "$out" \
	--runs "$runs" --workloads fastpath
# one table per kernel against stock: the fast-path rows of report.py
# (report.md and figures.json are left as the last of these wrote them)
for name in "${pads[@]/#/pad}" ours; do
	echo "## $name against stock"
	echo
	python3 bench/report.py "$out" --base stock --new "$name" |
		grep -E '^(\|( workload|---| fastpath \| [24][KM] )|Failed run)'
	echo
done | tee "$out/layout.md"
