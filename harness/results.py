#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""results.py - judge one guest run from its serial-console log.

A run fails on any of these, each counted as one failed test and printed
with the part of the log that shows it:

  * a kernel splat: WARN, BUG, oops, panic, KASAN, UBSAN, lockdep, a hung
    task or an RCU stall (SPLATS below);
  * a hang: QEMU still running at the host-side time limit (--status timeout);
  * a log cut short: no HARNESS_DONE line, which /init prints last;
  * missing results: no KUnit KTAP when --kunit, a --require-suite that
    did not run, no selftest block when --selftests;
  * any failed or crashed KUnit case or selftest.

KUnit's KTAP and the selftests' block (KTAP too, written by our /init) are
read by the kernel's own tools/testing/kunit/kunit_parser.py, found through
$KUNIT_DIR.  The counts go to --json for the caller to add up.
"""
import argparse
import json
import os
import re
import sys

DONE = 'HARNESS_DONE'
SELFTESTS_BEGIN = 'harness: selftests begin'
SELFTESTS_END = 'harness: selftests end'

# printk's time stamp: splats are looked for in kernel lines only, so that a
# test program that prints "WARNING:" or "BUG:" is not taken for the kernel.
PRINTK = re.compile(r'^\[\s*\d+\.\d+\]')

SPLATS = [
	('panic', re.compile(r'Kernel panic - not syncing')),
	('BUG', re.compile(r'\bBUG: |kernel BUG at ')),
	('oops', re.compile(r'\bOops: |general protection fault')),
	('KASAN', re.compile(r'KASAN: ')),
	('UBSAN', re.compile(r'UBSAN: ')),
	('lockdep', re.compile(r'WARNING: (possible (circular|recursive) locking|'
			       r'inconsistent lock state|bad unlock balance|'
			       r'suspicious RCU usage|held lock freed)|'
			       r'INFO: possible irq lock inversion|DEBUG_LOCKS_WARN_ON')),
	('WARN', re.compile(r'WARNING: CPU: \d+ PID: \d+ at |\[ cut here \]')),
	('hung task', re.compile(r'INFO: task .* blocked for more than')),
	('RCU stall', re.compile(r'rcu: INFO: .*detected stalls|self-detected stall')),
]
MAX_SPLATS_SHOWN = 3
EXCERPT_BEFORE, EXCERPT_AFTER = 3, 40


def load_kunit_parser():
	kdir = os.environ.get('KUNIT_DIR')
	if not kdir or not os.path.isfile(os.path.join(kdir, 'kunit_parser.py')):
		sys.exit('results: KUNIT_DIR must name the kernel tree\'s '
			 'tools/testing/kunit (got %r)' % kdir)
	sys.path.insert(0, kdir)
	import kunit_parser  # pylint: disable=import-outside-toplevel
	return kunit_parser


def find_splats(lines):
	"""Return [(index, kind)] of splat starts, one per report."""
	stamped = any(PRINTK.match(l) for l in lines)
	found = []
	last = -100
	for i, line in enumerate(lines):
		if stamped and not PRINTK.match(line):
			continue
		for kind, rx in SPLATS:
			if rx.search(line):
				# the lines of one report (cut here, WARNING, ...) belong together
				if i - last > 5:
					found.append((i, kind))
				last = i
				break
	return found


def excerpt(lines, i):
	end = min(len(lines), i + EXCERPT_AFTER)
	for j in range(i, end):
		if '---[ end ' in lines[j]:
			end = j + 1
			break
	return '\n'.join('    | ' + l for l in lines[max(0, i - EXCERPT_BEFORE):end])


def parse_ktap(kp, lines, what):
	"""Parse one KTAP document with kunit_parser; return its Test."""
	print(f'results: {what}:')
	sys.stdout.flush()
	test = kp.parse_run_tests(lines)
	sys.stdout.flush()
	return test


def judge(lines, status, limit, want_kunit, want_selftests, kp, suites=()):
	"""Return (counts dict, problems list).  @suites: KUnit suites that must have run."""
	counts = {'passed': 0, 'failed': 0, 'skipped': 0}
	problems = []

	def take(test, what):
		c = test.counts
		counts['passed'] += c.passed
		counts['skipped'] += c.skipped
		bad = c.failed + c.crashed + c.errors
		if bad:
			problems.append(f'{what}: {c.failed} failed, {c.crashed} crashed, '
					f'{c.errors} error(s) ({test.status.name})')
		elif test.status == kp.TestStatus.FAILURE_TO_PARSE_TESTS:
			bad = 1
			problems.append(f'{what}: the KTAP could not be parsed')
		# A parent that says "not ok" over children that all passed (a
		# selftest that printed ok and then crashed or exited non-zero):
		# kunit_parser counts only the children, we count the parent too.
		for sub in test.subtests:
			sc = sub.counts
			if (sub.status in (kp.TestStatus.FAILURE, kp.TestStatus.TEST_CRASHED)
			    and not sc.failed + sc.crashed + sc.errors):
				bad += 1
				problems.append(f'{what}: {sub.name} ended "not ok" although '
						'every case it reported passed')
		counts['failed'] += bad

	begin = next((i for i, l in enumerate(lines) if SELFTESTS_BEGIN in l), None)
	end = next((i for i, l in enumerate(lines) if SELFTESTS_END in l), None)

	if want_kunit:
		boot_part = lines[:begin] if begin is not None else lines
		if not any(kp.KTAP_START.search(l) or kp.TAP_START.search(l) for l in boot_part):
			counts['failed'] += 1
			problems.append('KUnit: no KTAP output in the log: did the kernel run its tests?')
		else:
			kunit = parse_ktap(kp, boot_part, 'KUnit')
			take(kunit, 'KUnit')
			ran = {t.name for t in kunit.subtests}
			for name in suites:
				if name not in ran:
					counts['failed'] += 1
					problems.append(f'KUnit: suite {name} did not run (is its '
							'config option still on?)')

	if want_selftests:
		if begin is None:
			counts['failed'] += 1
			problems.append('selftests: the guest never started them')
		else:
			part = lines[begin + 1:end] if end is not None else lines[begin + 1:]
			take(parse_ktap(kp, part, 'selftests'), 'selftests')
			if end is None and status == 'exited':
				counts['failed'] += 1
				problems.append('selftests: their block never ended')

	splats = find_splats(lines)
	for n, (i, kind) in enumerate(splats):
		counts['failed'] += 1
		head = f'kernel {kind} at log line {i + 1}'
		if n < MAX_SPLATS_SHOWN:
			problems.append(head + ':\n' + excerpt(lines, i))
		else:
			problems.append(head)

	done = any(DONE in l for l in lines)
	if status == 'timeout':
		counts['failed'] += 1
		tail = '\n'.join('    | ' + l for l in lines[-15:])
		problems.append(f'hang: the guest was still running at the {limit}s time limit; '
				f'the log ends:\n{tail}')
	elif status == 'qemu-error':
		counts['failed'] += 1
		problems.append('QEMU failed to run (see the .qemu file next to the log)')
	elif not done and not any(k == 'panic' for _, k in splats):
		counts['failed'] += 1
		tail = '\n'.join('    | ' + l for l in lines[-15:])
		problems.append(f'the log is cut short: it has no {DONE} line; it ends:\n{tail}')
	return counts, problems


def main():
	ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	ap.add_argument('--log', required=True)
	ap.add_argument('--status', default='exited', choices=['exited', 'timeout', 'qemu-error'])
	ap.add_argument('--limit', default='?')
	ap.add_argument('--kunit', action='store_true', help='KUnit KTAP must be present')
	ap.add_argument('--require-suite', action='append', default=[], metavar='NAME',
			help='with --kunit: this KUnit suite must be among those that ran')
	ap.add_argument('--selftests', action='store_true', help='the selftest block must be present')
	ap.add_argument('--json', help='write the counts and problems here')
	args = ap.parse_args()

	kp = load_kunit_parser()
	with open(args.log, encoding='utf-8', errors='replace') as f:
		lines = [l.rstrip('\r\n').replace('\r', '') for l in f]
	counts, problems = judge(lines, args.status, args.limit, args.kunit,
				 args.selftests, kp, args.require_suite)
	for p in problems:
		print('results: FAIL: ' + p)
	verdict = 'FAIL' if counts['failed'] else 'ok'
	print(f"results: {verdict}: {os.path.basename(args.log)}: passed {counts['passed']}, "
	      f"failed {counts['failed']}, skipped {counts['skipped']}")
	if args.json:
		with open(args.json, 'w', encoding='utf-8') as f:
			json.dump(dict(counts, log=args.log, problems=problems), f, indent=1)
	return 1 if counts['failed'] else 0


if __name__ == '__main__':
	sys.exit(main())
