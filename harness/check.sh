#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - what 'make check' runs: build, then every test we have, then
# one closing line "N passed, N failed, N skipped" over all of them.
#
# Stages (each writes its counts as JSON into the run's results folder):
#   host     the harness's own tests on recorded logs and toy trees, and
#            real boots that must fail (a panic, a hang)
#   guest    our test kernel: built-in KUnit and the selftests, with
#            panic_on_warn=1; any kernel report, taint, leak, unexpected
#            skip, or a suite, case or selftest of ours that did not run
#            fails it (see results.py)
#   debug    the same on the debug kernel (KASAN, UBSAN, lockdep, DEBUG_VM,
#            page_owner=on ...), unless CHECK_DEBUG=0
#   patches  'make patches' and the proof that the series applies
#   mutants  each harness/mutants/*.patch breaks the engine; the test kernel
#            built with it must fail the guest run, by the test named in the
#            patch (harness/mutants.sh), unless CHECK_MUTANTS=0
set -uo pipefail
cd "$(dirname "$0")/.."

results=${RESULTS:-results}
run="$results/check-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$run"
ln -sfn "$(basename "$run")" "$results/latest"
t0=$(date +%s)

stamp() { echo "check: [$(( $(date +%s) - t0 ))s] $*"; }
die() { echo "check: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

debug=${CHECK_DEBUG:-1}
mutants=${CHECK_MUTANTS:-1}
# our KUnit suites and their cases, as mm/tests defines them; the
# selftests, as the initramfs lists them (Makefile SELFTESTS)
ours=(-O "$PWD/mm/tests")

stamp "building the test kernel and the guest"
make -s kernel FLAVOUR=test || die "the test kernel did not build"
if [ "$debug" = 1 ]; then
	stamp "building the debug kernel"
	make -s kernel FLAVOUR=debug || die "the debug kernel did not build"
fi
make -s initramfs || die "the initramfs did not build"
eval "$(make -s --no-print-directory vars FLAVOUR=test)"
export KUNIT_DIR=$kunit

stamp "host tests"
HARNESS_KERNEL=$kernel HARNESS_INITRD=$initrd HARNESS_RESULTS=$run \
	python3 harness/tests/run.py --json "$run/host.json"

stamp "guest: test kernel, KUnit + selftests"
harness/boot.sh -k "$kernel" -i "$initrd" -l "$run/guest-test.log" -j "$run/guest-test.json" \
	-m "${MEM:-1G}" -c "${CPUS:-2}" -n "${NUMA:-2}" -t "${TIMEOUT:-900}" -M check -K -W \
	"${ours[@]}" -E "$selftest_list"

if [ "$debug" = 1 ]; then
	stamp "guest: debug kernel, KUnit + selftests"
	dkernel=$(eval "$(make -s --no-print-directory vars FLAVOUR=debug)"; echo "$kernel")
	# page_owner is built in but off unless asked for; KASAN's quarantine
	# holds up to 1/32 of memory (32 MiB here) in freed objects, on top of
	# /init's 16 MiB leak tolerance
	harness/boot.sh -k "$dkernel" -i "$initrd" -l "$run/guest-debug.log" \
		-j "$run/guest-debug.json" -m "${MEM:-1G}" -c "${CPUS:-2}" -n "${NUMA:-2}" \
		-t "${TIMEOUT:-1800}" -M check -K -W "${ours[@]}" -E "$selftest_list" \
		-- page_owner=on harness.leak_kb=49152
fi

stamp "patches"
if make -s patches RESULTS="$results" > "$run/patches.log" 2>&1; then
	echo '{"passed": 1, "failed": 0, "skipped": 0}' > "$run/patches.json"
	tail -n 1 "$run/patches.log"
else
	cat "$run/patches.log"
	echo '{"passed": 0, "failed": 1, "skipped": 0}' > "$run/patches.json"
fi

if [ "$mutants" = 1 ]; then
	stamp "mutants: a broken engine must fail the guest run"
	harness/mutants.sh "$run"
fi

stamp "done; results in $run"
python3 - "$run" "$debug" "$mutants" <<'PY'
import glob, json, os, sys
tot = {'passed': 0, 'failed': 0, 'skipped': 0}
lost = []
expected = ['host', 'guest-test'] + (['guest-debug'] if sys.argv[2] == '1' else []) + ['patches']
expected += ['mutants'] if sys.argv[3] == '1' else []
for name in expected:
    path = os.path.join(sys.argv[1], name + '.json')
    try:
        with open(path) as f:
            c = json.load(f)
    except (OSError, ValueError):
        print(f'check: stage {name} left no results: counted as failed')
        c = {'passed': 0, 'failed': 1, 'skipped': 0}
    print(f"check: {name:12} passed {c['passed']:4}  failed {c['failed']:3}  skipped {c['skipped']:3}")
    for k in tot:
        tot[k] += c[k]
    lost += [(name, p) for p in c.get('problems', [])]
# a CI log may keep only its tail: repeat what failed, one line each
for name, p in lost[:20]:
    print(f'check: {name}: ' + p.split('\n')[0][:160])
print(f"{tot['passed']} passed, {tot['failed']} failed, {tot['skipped']} skipped")
sys.exit(1 if tot['failed'] else 0)
PY
