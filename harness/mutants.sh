#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mutants.sh - show that the tests catch a broken engine.
#
# usage: mutants.sh RESULTSDIR [NAME...]
#
# Each harness/mutants/NAME.patch breaks the engine in one way a reviewer
# would worry about (no capture, no deferral, a wrong fragmentation-index
# judgement, a leaked isolated page, the free scanner visiting pages twice
# ...).  For each, in turn: a copy of this checkout with the patch applied
# is laid over our tree, the test kernel is rebuilt (incrementally), and the
# guest runs KUnit and the selftests as in 'make check'.  The mutant must
# FAIL that run; a mutant whose run passes is reported as "survived" and
# fails this script.  Afterwards the test kernel is rebuilt from the real
# checkout, so the cache holds what 'make check' built.
#
# A patch starts with a line "Caught-by: REGEX" (patch(1) skips text before
# the diff): the judge's output for the run must match it (egrep), so that a
# mutant is counted as caught only by the test meant to catch it, not by an
# unrelated failure.
#
# A line "Runs: kunit", "Runs: check NAME[,NAME...]" or "Runs: stress NAME"
# narrows the guest's run to what the Caught-by test needs: only the
# built-in KUnit suites, or only those selftests (/selftests/list), or only
# that program of /stress/list (with cma=64M and a 64 MiB RAM disk), with
# KUnit off (kunit.enable=0) and the rest of the list skipped (the guest's
# harness.only=).  Without it the whole 'make check' guest runs.  A narrow
# run takes 20-90 s instead of two minutes, and a mutant that leaks isolated
# pages no longer hangs a later selftest until the time limit.
#
# A mutant not caught is run once more (MUTANT_TRIES, default 2), the first
# run's files kept as mutant-NAME.try1.* (QEMU's output as
# mutant-NAME.try1.log.qemu): a guest under TCG on a busy
# machine can miss a catch that rests on timing, and a catch in either run
# shows that the tests see the break.  A mutant caught only on a later run
# is named on a line of its own ("caught only on a second run"): its test
# is the one to make stricter.
# The last line names every mutant lost: a CI log may keep only its tail.
#
# The initramfs must exist (make initramfs); mutants change only the kernel.
# A broken engine may hang a guest: each run is cut at MUTANT_TIMEOUT
# seconds (default 400; a good run takes under two minutes).
# Writes RESULTSDIR/mutant-NAME.log (console) and .json (the judge's counts),
# and RESULTSDIR/mutants.json: {"passed": caught, "failed": survived, ...}.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
out=$1
shift
mkdir -p "$out"

# harness/mutants runs in every make check; MUTANT_DIR=DIR runs the
# patches of another directory (e.g. one being written)
dir=${MUTANT_DIR:-harness/mutants}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for p in "$dir"/*.patch; do
		names+=("$(basename "$p" .patch)")
	done
fi

eval "$(make -s --no-print-directory vars FLAVOUR=test)"
export KUNIT_DIR=$kunit
kunit_ours=(-O "$top/mm/tests")
ours=("${kunit_ours[@]}" -E "$selftest_list")
caught=0 survived=0 broken=0
lost=()	# the names of mutants that survived or broke, for the last line
again=()	# caught only on a second run
tries=${MUTANT_TRIES:-2}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# One guest run of the mutant built last; prints the verdict.
try_mutant() {
	local name=$1 want=$2

	if harness/boot.sh -k "$kernel" -i "$initrd" -l "$out/mutant-$name.log" \
		-j "$out/mutant-$name.json" -m "${MEM:-1G}" -c "${CPUS:-2}" \
		-n "${NUMA:-2}" -t "${MUTANT_TIMEOUT:-400}" -W "${run[@]}" \
		> "$out/mutant-$name.judge" 2>&1; then
		echo "SURVIVED - every test passed on the broken engine"
	elif [ -n "$want" ] && grep -aEq -- "$want" "$out/mutant-$name.judge"; then
		echo "caught ($want)"
	else
		echo "failed, but not by the test meant to catch it (\"$want\")"
	fi
}

for name in "${names[@]}"; do
	patch=$dir/$name.patch
	copy=$scratch/$name
	mkdir -p "$copy"
	# the checkout as it is (not only what is committed), without results
	rsync -a --exclude .git --exclude results ./ "$copy/"
	if ! patch -p1 -s -d "$copy" < "$patch"; then
		echo "mutants: $name: the patch does not apply"
		broken=$((broken + 1)) lost+=("$name")
		continue
	fi
	if ! make -s -C "$copy" kernel FLAVOUR=test > "$out/mutant-$name.build" 2>&1; then
		echo "mutants: $name: does not build (see $out/mutant-$name.build)"
		broken=$((broken + 1)) lost+=("$name")
		continue
	fi
	# what the guest runs: all of make check's guest, or what Runs: names
	read -r runs_mode runs_names <<< "$(sed -n 's/^Runs: //p' "$patch" | head -n 1)"
	case ${runs_mode:-all} in
	all)	run=(-M check -K "${ours[@]}" --) ;;
	kunit)	run=(-M kunit -K "${kunit_ours[@]}" --) ;;
	check|stress)
		tr , '\n' <<< "$runs_names" > "$scratch/$name.list"
		run=(-M "$runs_mode" -E "$scratch/$name.list" -- kunit.enable=0
		     harness.only="$runs_names")
		[ "$runs_mode" = check ] || run+=(cma=64M brd.rd_size=65536) ;;
	*)	echo "mutants: $name: unknown Runs: $runs_mode"
		broken=$((broken + 1)) lost+=("$name")
		continue ;;
	esac
	want=$(sed -n 's/^Caught-by: //p' "$patch" | head -n 1)
	for try in $(seq 1 "$tries"); do
		verdict=$(try_mutant "$name" "$want")
		echo "mutants: $name: $verdict"
		grep -a '^results: FAIL: ' "$out/mutant-$name.judge" | head -n 3 |
			cut -c1-200 | sed 's/^/    /'
		case $verdict in caught*) break ;; esac
		[ "$try" -lt "$tries" ] || break
		# keep the run that was not caught beside the next one
		for x in log json judge log.qemu; do
			f=$out/mutant-$name.$x
			[ -e "$f" ] && mv "$f" "$out/mutant-$name.try$try.$x"
		done
	done
	case $verdict in
	caught*)
		caught=$((caught + 1))
		[ "$try" -gt 1 ] && again+=("$name") ;;
	*)	survived=$((survived + 1)) lost+=("$name") ;;
	esac
done

echo "mutants: rebuilding the test kernel from the checkout"
problems=()
for name in "${lost[@]}"; do
	problems+=("mutant $name was not caught")
done
if ! make -s kernel FLAVOUR=test > "$out/mutants-restore.build" 2>&1; then
	echo "mutants: the test kernel does not build again"
	broken=$((broken + 1)) problems+=("the test kernel did not build again")
fi

python3 -c 'import json, sys
json.dump({"passed": int(sys.argv[2]), "failed": int(sys.argv[3]), "skipped": 0,
	   "problems": sys.argv[4:]}, open(sys.argv[1], "w"))' \
	"$out/mutants.json" "$caught" $((survived + broken)) "${problems[@]}"
# a CI log may keep only its tail: the last line names what was lost
[ ${#again[@]} -gt 0 ] && echo "mutants: caught only on a second run: ${again[*]}"
echo "mutants: $caught caught, $survived survived, $broken broken${lost[*]:+ (${lost[*]})}"
[ $((survived + broken)) -eq 0 ]
