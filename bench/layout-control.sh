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
# 6.12 is built again once per PAD (bytes; default 2048 6144 16384) with a
# function nothing calls appended to its mm/compaction.c, PAD bytes of
# nops: no behaviour changes, only what follows moves.  Then stock, each
# padded stock and ours (the test kernel as built) boot RUNS times each
# (default 4), in turn, on bench's fastpath workload, and OUTDIR/layout.md
# holds report.py's fast-path rows for each against stock.  A padded stock's distance from stock is
# what layout does to a figure; ours within that distance is not shown to
# cost anything, ours beyond it is.
#
# The base tree's mm/compaction.c is changed in place (the stock build
# directory is incremental: ~25 s a kernel) and put back on exit, however
# it exits; the stock kernel is then rebuilt and checked to hold no pad.
# Run it alone (heavy: kernel builds, then QEMU boots that are timed).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
runs=${2:-4}
shift $(($# > 1 ? 2 : 1))
pads=("$@")
[ ${#pads[@]} -gt 0 ] || pads=(2048 6144 16384)

eval "$(make -s --no-print-directory vars FLAVOUR=stock)"
stock_bz=$kernel base_src=$base/mm/compaction.c
eval "$(make -s --no-print-directory vars FLAVOUR=test)"
export KUNIT_DIR=$kunit
vmlinux=$(dirname "$stock_bz")/../../../vmlinux
mkdir -p "$out/kernels"
saved=$out/kernels/compaction.c.orig
cp -p "$base_src" "$saved"

padded=0
restore() {
	cp "$saved" "$base_src"	# now-dated: newer than a padded object
}
rebuild_stock() {
	make -s kernel FLAVOUR=stock > "$out/kernels/build-$1.log" 2>&1 ||
		{ echo "layout-control: stock ($1) does not build" >&2; return 1; }
}
# (not grep -q: it would leave nm a broken pipe, an error under pipefail)
has_pad() { nm "$vmlinux" | grep layout_pad_fn > /dev/null; }
no_pad_left() {
	! has_pad ||
		{ echo "layout-control: the stock kernel holds a pad" >&2; return 1; }
}
finish() {
	local rc=$?
	if [ $padded = 1 ]; then
		restore
		rebuild_stock restore && no_pad_left || rc=1
	fi
	exit $rc
}
trap finish EXIT
trap 'exit 130' INT TERM

kernels=(--kernel "stock=$out/kernels/stock")
for pad in "${pads[@]}"; do
	padded=1
	restore
	printf '\n%s\nvoid layout_pad_fn(void);\nvoid __used noinline layout_pad_fn(void)\n{\n\tasm volatile(".skip %d, 0x90");\n}\n' \
		'/* layout-control.sh: never called, only moves what follows */' \
		"$pad" >> "$base_src"
	rebuild_stock "pad$pad"
	has_pad
	echo "layout-control: pad $pad: free_unref_folios at" \
		"$(nm "$vmlinux" | awk '$3 == "free_unref_folios" {print $1}')"
	cp "$stock_bz" "$out/kernels/pad$pad"
	kernels+=(--kernel "pad$pad=$out/kernels/pad$pad")
done
restore
rebuild_stock stock
no_pad_left
padded=0
cp "$stock_bz" "$out/kernels/stock"
cp "$kernel" "$out/kernels/ours"
kernels+=(--kernel "ours=$out/kernels/ours")

python3 bench/bench.py "${kernels[@]}" --initrd "$initrd" --out "$out" \
	--runs "$runs" --workloads fastpath
# one table per kernel against stock: the fast-path rows of report.py
for name in "${pads[@]/#/pad}" ours; do
	echo "## $name against stock"
	echo
	python3 bench/report.py "$out" --base stock --new "$name" |
		grep -E '^\|( workload|---| fastpath \| [24][KM] )'
	echo
done | tee "$out/layout.md"
