#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# detectors.sh - each bug detector of our debug kernels, seen catching a
# bug planted on purpose, and the judge (results.py) failing the run for
# it.  A detector that is off, or a report the judge's scan misses, would
# let real bugs through every 'make check' and 'make stress' unseen.
#
# usage: detectors.sh RESULTSDIR [NAME...]      (make detectors [DETECTORS=...])
#
#   kasan    debug kernel, lkdtm's WRITE_AFTER_FREE (a slab object written
#            after kfree()): KASAN must report it (the judge files it as a
#            kernel BUG, its excerpt names KASAN)
#   lockdep  debug kernel with harness/detectors/lock-inversion.patch (a
#            KUnit case takes two locks in both orders): lockdep must report
#            a possible circular locking dependency
#   kcsan    KCSAN kernel with harness/detectors/data-race.patch (a KUnit
#            case and a kthread increment a plain variable at once, for a
#            second, with a compiler barrier in each loop so that every turn
#            really reads and writes it; without one, the case's loop kept
#            the variable in a register and KCSAN saw no race): KCSAN
#            must report the race, and results.py --kcsan-only (as make
#            stress FLAVOUR=kcsan runs it) must count it
#
# The data check of make stress is shown failing by stress.c's
# -DBREAK_FLIP_BYTE (README), the selftests' by their BREAK_ hooks.
#
# A patch is applied to a copy of this checkout laid over our tree, as
# mutants.sh does, and the kernel of its "Flavour:" line is rebuilt
# (incrementally); afterwards that kernel is rebuilt from the checkout.
# Each run must fail, and the judge's output match the "Caught-by:" regex.
# Writes RESULTSDIR/detector-NAME.{log,judge} and RESULTSDIR/detectors.json.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$1
shift
mkdir -p "$out"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(kasan lockdep kcsan)
caught=0 missed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
kcsan_only="compact|migrat|isolate_|page_alloc|alloc_pages|free_pages|free_one_page|rmqueue|_pcp|buddy|pageblock|freepages|cma_|alloc_contig|kcompactd"

for name in "${names[@]}"; do
	patch= flavour=debug mode=kunit extra=() want= results_args=
	case $name in
	kasan)
		mode=provoke extra=(harness.provoke=WRITE_AFTER_FREE)
		want='BUG: KASAN: slab-use-after-free' ;;
	lockdep|kcsan)
		patch=harness/detectors/$([ "$name" = kcsan ] && echo data-race || echo lock-inversion).patch
		flavour=$(sed -n 's/^Flavour: //p' "$patch" | head -n 1)
		want=$(sed -n 's/^Caught-by: //p' "$patch" | head -n 1)
		[ "$name" = kcsan ] && results_args="--kcsan-only $kcsan_only" ;;
	*)
		echo "detectors: $name: no such detector"; missed=$((missed + 1)); continue ;;
	esac
	src=.
	if [ -n "$patch" ]; then
		src=$scratch/$name
		mkdir -p "$src"
		rsync -a --exclude .git --exclude results ./ "$src/"
		patch -p1 -s -d "$src" < "$patch" || {
			echo "detectors: $name: the patch does not apply"; missed=$((missed + 1)); continue; }
	fi
	echo "detectors: $name: building the $flavour kernel"
	if ! make -s -C "$src" kernel FLAVOUR="$flavour" > "$out/detector-$name.build" 2>&1; then
		echo "detectors: $name: the kernel does not build (see $out/detector-$name.build)"
		missed=$((missed + 1))
		continue
	fi
	eval "$(make -s --no-print-directory vars FLAVOUR="$flavour")"
	if RESULTS_ARGS=$results_args harness/boot.sh -k "$kernel" -i "$initrd" \
		-l "$out/detector-$name.log" -m 1G -c 2 -n 2 -t 900 -M "$mode" -W -- \
		"${extra[@]}" > "$out/detector-$name.judge" 2>&1; then
		echo "detectors: $name: MISSED - the run passed"
		missed=$((missed + 1))
	elif grep -aEq -- "$want" "$out/detector-$name.judge"; then
		echo "detectors: $name: caught ($want)"
		caught=$((caught + 1))
	else
		echo "detectors: $name: the run failed, but not with \"$want\""
		grep -a '^results: FAIL' "$out/detector-$name.judge" | head -n 3 | cut -c1-200 | sed 's/^/    /'
		missed=$((missed + 1))
	fi
	if [ -n "$patch" ]; then
		echo "detectors: $name: rebuilding the $flavour kernel from the checkout"
		make -s kernel FLAVOUR="$flavour" > "$out/detector-$name.restore" 2>&1 || {
			echo "detectors: the $flavour kernel does not build again"; missed=$((missed + 1)); }
	fi
done

printf '{"passed": %d, "failed": %d, "skipped": 0}\n' "$caught" "$missed" > "$out/detectors.json"
echo "detectors: $caught caught, $missed missed"
[ "$missed" -eq 0 ]
