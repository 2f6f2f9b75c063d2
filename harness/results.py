#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""results.py - judge one guest run from its serial-console log.

A run fails on any of these, each counted as one failed test and printed
with the part of the log that shows it:

  * a kernel report: WARN, BUG, oops, panic, KASAN, UBSAN, lockdep, a hung
    task, an RCU stall (normal or expedited), the oom-killer (SPLATS below),
    also when it is glued to the end of a user-space line;
  * a taint other than TAINT_TEST, or lockdep's debug_locks at 0, as /init
    prints them before HARNESS_DONE ("harness: tainted N", "harness:
    debug_locks N"); in a check run (--selftests) the tainted line must be
    there;
  * a hang: QEMU still running at the host-side time limit (--status timeout);
  * a log cut short: no HARNESS_DONE line, which /init prints last;
  * missing results: no KUnit KTAP when --kunit, a --require-suite that
    did not run, a suite or case of --owned-kunit's sources that did not
    run, no selftest block when --selftests, a selftest of --selftest-list
    that did not run (or one that ran and is not in it);
  * any failed or crashed KUnit case or selftest (/init turns a selftest
    that leaked isolated pages or free memory into "not ok ... # LEAK");
  * any skipped KUnit case or selftest that harness/expected-skips does
    not name.

KUnit's KTAP and the selftests' block (KTAP too, written by our /init) are
read by the kernel's own tools/testing/kunit/kunit_parser.py, found through
$KUNIT_DIR.  The counts go to --json for the caller to add up.
"""
import argparse
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_SKIPS = os.path.join(HERE, 'expected-skips')

DONE = 'HARNESS_DONE'
SELFTESTS_BEGIN = 'harness: selftests begin'
SELFTESTS_END = 'harness: selftests end'
TAINTED = re.compile(r'harness: tainted (\d+)')
DEBUG_LOCKS = re.compile(r'harness: debug_locks (\d+)')

# printk's time stamp (and CONFIG_PRINTK_CALLER's "[  T12]" after it):
# reports are looked for in the text after a stamp only, so that a test
# program that prints "WARNING:" or "BUG:" is not taken for the kernel.  The
# stamp is looked for anywhere in a line: a kernel message that comes while
# a program has written half a line is glued to the end of that line.
PRINTK = re.compile(r'\[\s*\d+\.\d{6}\](\[\s*[CT]\d+\])? ?')

# The first line of each kernel report, as 6.12 prints it (kernel/panic.c,
# mm/kasan, lib/ubsan.c, kernel/locking/lockdep.c, kernel/hung_task.c,
# kernel/rcu/tree_stall.h and tree_exp.h, mm/oom_kill.c).  Lockdep's reports
# are not WARN()s: panic_on_warn does not stop the guest at them.
SPLATS = [
	('panic', re.compile(r'Kernel panic - not syncing')),
	('BUG', re.compile(r'\bBUG: |kernel BUG at ')),
	('oops', re.compile(r'\bOops: |general protection fault')),
	('KASAN', re.compile(r'KASAN: ')),
	('UBSAN', re.compile(r'UBSAN: ')),
	('lockdep', re.compile(r'WARNING: (possible (circular|recursive) locking|'
			       r'possible irq lock inversion|'
			       r'[A-Z-]+-safe -> [A-Z-]+-unsafe lock order|'
			       r'inconsistent lock state|bad unlock balance|'
			       r'suspicious RCU usage|held lock freed|'
			       r'lock held when returning to user space|'
			       r'.+ still has locks held|Nested lock was not taken|'
			       r'bad contention)|'
			       r'INFO: trying to register non-static key|DEBUG_LOCKS_WARN_ON')),
	('WARN', re.compile(r'WARNING: CPU: \d+ PID: \d+ at |\[ cut here \]')),
	('hung task', re.compile(r'INFO: task .* blocked for more than')),
	('RCU stall', re.compile(r'INFO: \S+ (detected (expedited )?stalls|self-detected stall)')),
	('oom-killer', re.compile(r'invoked oom-killer:|Out of memory: Killed process|'
				  r'Out of memory and no killable processes')),
]

# kernel/panic.c's taint_flags[], bit 0 first.  KUnit sets TAINT_TEST when
# it runs a suite (lib/kunit/test.c); in our guests (no modules) any other
# bit means a report (WARN, DIE, BAD_PAGE for KASAN and bad pages,
# SOFTLOCKUP), a CPU, machine-check or firmware complaint (CPU_OUT_OF_SPEC,
# MACHINE_CHECK, FIRMWARE_WORKAROUND, OVERRIDDEN_ACPI_TABLE) or something
# forced from user space (USER, a write to /proc/sys/kernel/tainted), and
# fails the run.
TAINTS = ['PROPRIETARY_MODULE', 'FORCED_MODULE', 'CPU_OUT_OF_SPEC', 'FORCED_RMMOD',
	  'MACHINE_CHECK', 'BAD_PAGE', 'USER', 'DIE', 'OVERRIDDEN_ACPI_TABLE', 'WARN',
	  'CRAP', 'FIRMWARE_WORKAROUND', 'OOT_MODULE', 'UNSIGNED_MODULE', 'SOFTLOCKUP',
	  'LIVEPATCH', 'AUX', 'RANDSTRUCT', 'TEST']
TAINT_TEST = TAINTS.index('TEST')
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


def kernel_text(line):
	"""The text of the kernel message in @line (after its stamp), or None."""
	m = PRINTK.search(line)
	return line[m.end():] if m else None


def find_splats(lines):
	"""Return [(index, kind)] of splat starts, one per report."""
	stamped = any(PRINTK.search(l) for l in lines)
	found = []
	last = -100
	for i, line in enumerate(lines):
		text = kernel_text(line) if stamped else line
		if text is None:
			continue
		for kind, rx in SPLATS:
			if rx.search(text):
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


def unglue(lines):
	"""@lines with each kernel message that came in the middle of a
	program's line ("1..1[    1.670843] clocksource: ...") split off onto a
	line of its own, so that the program's KTAP line reads whole."""
	out = []
	for line in lines:
		m = PRINTK.search(line)
		if m and line[:m.start()].strip():
			out += [line[:m.start()], line[m.start():]]
		else:
			out.append(line)
	return out


def parse_ktap(kp, lines, what):
	"""Parse one KTAP document with kunit_parser; return its Test."""
	print(f'results: {what}:')
	sys.stdout.flush()
	try:
		test = kp.parse_run_tests(unglue(lines))
	except Exception as e:  # pylint: disable=broad-except
		# kunit_parser gives up on some malformed documents (a program
		# that bails out mid-plan): that is a failed run, not a crash of
		# the judge
		print(f'results: {what}: kunit_parser gave up: {e}')
		test = kp.Test()
		test.status = kp.TestStatus.FAILURE_TO_PARSE_TESTS
	sys.stdout.flush()
	return test


def read_expected_skips(path):
	"""Return the set of ('kunit' | 'selftest', NAME) that may skip.

	One "kunit SUITE.CASE[.PARAM]" or "selftest NAME[.CASE]" a line; '#'
	starts a comment line."""
	want = set()
	with open(path, encoding='utf-8') as f:
		for n, line in enumerate(f, 1):
			line = line.strip()
			if not line or line.startswith('#'):
				continue
			kind, _, name = line.partition(' ')
			if kind not in ('kunit', 'selftest') or not name.strip():
				sys.exit(f'results: {path}:{n}: want "kunit NAME" or "selftest NAME"')
			want.add((kind, name.strip()))
	return want


def skipped(test, path=()):
	"""Yield (dotted name, Test) of each skipped test under @test; a skipped
	test's own subtests are not listed again."""
	for sub in test.subtests:
		name = path + (sub.name,)
		if sub.status.name == 'SKIPPED':
			yield '.'.join(name), sub
		else:
			yield from skipped(sub, name)


def owned_kunit(srcdir):
	"""Return {suite name: [case names]} of the KUnit suites defined in
	@srcdir/*-kunit.h: each kunit_suite's .name and the KUNIT_CASE*()
	entries of its .test_cases array."""
	suites = {}
	for path in sorted(glob.glob(os.path.join(srcdir, '*-kunit.h'))):
		with open(path, encoding='utf-8') as f:
			src = f.read()
		arrays = {m.group(1): re.findall(r'KUNIT_CASE\w*\(\s*(\w+)', m.group(2))
			  for m in re.finditer(r'struct kunit_case\s+(\w+)\s*\[\s*\]\s*=\s*\{(.*?)\};',
					       src, re.DOTALL)}
		for m in re.finditer(r'struct kunit_suite\s+\w+\s*=\s*\{(.*?)\};', src, re.DOTALL):
			name = re.search(r'\.name\s*=\s*"([^"]+)"', m.group(1))
			cases = re.search(r'\.test_cases\s*=\s*(\w+)', m.group(1))
			if name and cases:
				suites[name.group(1)] = arrays.get(cases.group(1), [])
	if not suites:
		sys.exit(f'results: no KUnit suite found in {srcdir}/*-kunit.h')
	return suites


def read_list(path):
	with open(path, encoding='utf-8') as f:
		return [l.strip() for l in f if l.strip() and not l.startswith('#')]


def taint_names(mask):
	return ', '.join(TAINTS[b] if b < len(TAINTS) else f'bit {b}'
			 for b in range(mask.bit_length()) if mask >> b & 1)


class Verdict:
	"""The counts and the problems of one run, added up as it is judged."""
	def __init__(self, kp, expected_skips):
		self.kp = kp
		self.expected_skips = expected_skips
		self.counts = {'passed': 0, 'failed': 0, 'skipped': 0}
		self.problems = []

	def fail(self, msg):
		self.counts['failed'] += 1
		self.problems.append(msg)

	def take(self, test, what, kind, part):
		"""Add up a parsed KTAP document; @kind: 'kunit' or 'selftest' in
		harness/expected-skips; @part: its lines, for the messages."""
		kp, c = self.kp, test.counts
		self.counts['passed'] += c.passed
		self.counts['skipped'] += c.skipped
		self.counts['failed'] += c.failed + c.crashed + c.errors
		if c.failed + c.crashed + c.errors:
			self.problems.append(f'{what}: {c.failed} failed, {c.crashed} crashed, '
					     f'{c.errors} error(s) ({test.status.name})')
		elif test.status == kp.TestStatus.FAILURE_TO_PARSE_TESTS:
			self.fail(f'{what}: the KTAP could not be parsed')
		# A parent that says "not ok" over children that all passed (a
		# selftest that printed ok and then crashed, exited non-zero or
		# leaked): kunit_parser counts only the children, we count the
		# parent too.
		for sub in test.subtests:
			sc = sub.counts
			if (sub.status in (kp.TestStatus.FAILURE, kp.TestStatus.TEST_CRASHED)
			    and not sc.failed + sc.crashed + sc.errors):
				self.fail(f'{what}: {sub.name} ended "not ok" although every case '
					  f'it reported passed: {result_line(part, sub.name)}')
		for name, sub in skipped(test):
			if (kind, name) not in self.expected_skips:
				self.counts['skipped'] -= sub.counts.skipped
				self.fail(f'{what}: {name} skipped, and harness/expected-skips does '
					  f'not expect it: {result_line(part, sub.name)}')


def result_line(part, name):
	"""The KTAP result line that named @name in @part, for its directive."""
	rx = re.compile(r'\bok \d+ ' + re.escape(name) + r'(\s|$)')
	return next((l.strip() for l in part if rx.search(l)), name)


def judge_kunit(v, part, suites, owned):
	"""KUnit's KTAP in @part; @suites must have run, and @owned's suites
	with all their cases."""
	kp = v.kp
	if not any(kp.KTAP_START.search(l) or kp.TAP_START.search(l) for l in part):
		v.fail('KUnit: no KTAP output in the log: did the kernel run its tests?')
		return
	kunit = parse_ktap(kp, part, 'KUnit')
	v.take(kunit, 'KUnit', 'kunit', part)
	ran = {t.name: t for t in kunit.subtests}
	for name in list(suites) + [s for s in owned if s not in suites]:
		if name not in ran:
			v.fail(f'KUnit: {"our " if name in owned else ""}suite {name} did not run '
			       '(is its config option still on?)')
	for name, cases in owned.items():
		got = {t.name for t in ran[name].subtests} if name in ran else set(cases)
		for case in cases:
			if case not in got:
				v.fail(f'KUnit: {name}.{case} did not run, though our sources '
				       'list it in the suite')


def judge_selftests(v, part, ended, selftest_list):
	"""/init's KTAP block of selftests, @part; @selftest_list, if given,
	names exactly those that must have run."""
	st = parse_ktap(v.kp, part, 'selftests')
	v.take(st, 'selftests', 'selftest', part)
	if not ended:
		v.fail('selftests: their block never ended')
	if selftest_list is None:
		return
	ran = [t.name for t in st.subtests]
	for name in selftest_list:
		if name not in ran:
			v.fail(f'selftests: {name} did not run, though the guest\'s list names it')
	for name in ran:
		if name not in selftest_list:
			v.fail(f'selftests: {name} ran, though the guest\'s list does not name it')


KCSAN = re.compile(r'BUG: KCSAN: ')
KCSAN_END = re.compile(r'^={20,}$')


def kcsan_report(lines, i):
	"""The text of the KCSAN report that starts at @lines[i]: its title and
	every line up to its closing row of '='."""
	out = []
	for line in lines[i:i + 80]:
		text = kernel_text(line)
		text = line if text is None else text
		if out and KCSAN_END.match(text.strip()):
			break
		out.append(text)
	return '\n'.join(out)


def filter_kcsan(splats, lines, keep):
	"""Drop the KCSAN reports of @splats that name no function matching
	@keep (a compiled regex) anywhere in their title or stacks; return
	(kept splats, [titles of those dropped])."""
	kept, dropped = [], []
	for i, kind in splats:
		text = kernel_text(lines[i])
		if kind == 'BUG' and text is not None and KCSAN.search(text):
			if not keep.search(kcsan_report(lines, i)):
				dropped.append(text.strip())
				continue
		kept.append((i, kind))
	return kept, dropped


def judge_kernel(v, lines, want_taint, kcsan_keep=None):
	"""The kernel's reports in the log, and the taint and debug_locks /init
	printed (the taint line must be there if @want_taint).  With
	@kcsan_keep, KCSAN reports that name none of its functions are listed
	but do not fail the run."""
	splats = find_splats(lines)
	if kcsan_keep is not None:
		splats, dropped = filter_kcsan(splats, lines, kcsan_keep)
		print(f'results: {len(dropped)} KCSAN report(s) outside compaction, migration '
		      'and the page allocator, not counted:')
		for title in sorted(set(dropped)):
			print(f'results:   {dropped.count(title)} x {title}')
	for n, (i, kind) in enumerate(splats):
		head = f'kernel {kind} at log line {i + 1}'
		v.fail(head + ':\n' + excerpt(lines, i) if n < MAX_SPLATS_SHOWN else head)
	tainted = next((int(m.group(1)) for m in map(TAINTED.search, lines) if m), None)
	debug_locks = next((int(m.group(1)) for m in map(DEBUG_LOCKS.search, lines) if m), None)
	if tainted is not None and tainted & ~(1 << TAINT_TEST):
		v.fail(f'the kernel is tainted: {tainted} ({taint_names(tainted)}); only '
		       'TEST (KUnit ran) is expected')
	elif tainted is None and want_taint:
		v.fail('no "harness: tainted" line before HARNESS_DONE: is the guest\'s '
		       '/init older than results.py?')
	if debug_locks == 0:
		v.fail('lockdep turned itself off (debug_locks 0): a lockdep report or a '
		       'lock-debugging failure came first; look for it in the log')
	return splats


def judge(lines, status, limit, want_kunit, want_selftests, kp, suites=(),
	  owned=None, selftest_list=None, expected_skips=frozenset(), kcsan_keep=None):
	"""Return (counts dict, problems list).

	@suites: KUnit suites that must have run; @owned: {suite: [cases]} that
	must all have run; @selftest_list: the selftests that must have run, in
	any order; @expected_skips: the ('kunit' | 'selftest', name) that may skip."""
	v = Verdict(kp, expected_skips)
	begin = next((i for i, l in enumerate(lines) if SELFTESTS_BEGIN in l), None)
	end = next((i for i, l in enumerate(lines) if SELFTESTS_END in l), None)
	done = any(DONE in l for l in lines)

	if want_kunit:
		judge_kunit(v, lines[:begin] if begin is not None else lines, suites, owned or {})
	if want_selftests and begin is None:
		v.fail('selftests: the guest never started them')
	elif want_selftests:
		judge_selftests(v, lines[begin + 1:end], end is not None or status != 'exited',
				selftest_list)
	splats = judge_kernel(v, lines, want_selftests and done, kcsan_keep)

	tail = '\n'.join('    | ' + l for l in lines[-15:])
	if status == 'timeout':
		v.fail(f'hang: the guest was still running at the {limit}s time limit; '
		       f'the log ends:\n{tail}')
	elif status == 'qemu-error':
		v.fail('QEMU failed to run (see the .qemu file next to the log)')
	elif not done and not any(k == 'panic' for _, k in splats):
		v.fail(f'the log is cut short: it has no {DONE} line; it ends:\n{tail}')
	return v.counts, v.problems


def main():
	ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	ap.add_argument('--log', required=True)
	ap.add_argument('--status', default='exited', choices=['exited', 'timeout', 'qemu-error'])
	ap.add_argument('--limit', default='?')
	ap.add_argument('--kunit', action='store_true', help='KUnit KTAP must be present')
	ap.add_argument('--require-suite', action='append', default=[], metavar='NAME',
			help='with --kunit: this KUnit suite must be among those that ran')
	ap.add_argument('--owned-kunit', metavar='DIR',
			help='with --kunit: every suite in DIR/*-kunit.h must have run '
			     'with every one of its KUNIT_CASE()s')
	ap.add_argument('--selftests', action='store_true', help='the selftest block must be present')
	ap.add_argument('--selftest-list', metavar='FILE',
			help='with --selftests: the selftests named here (one a line) must '
			     'be exactly those that ran')
	ap.add_argument('--expected-skips', default=EXPECTED_SKIPS, metavar='FILE',
			help='the skips that do not fail the run (default: %(default)s)')
	ap.add_argument('--json', help='write the counts and problems here')
	ap.add_argument('--kcsan-only', metavar='REGEX',
			help='count only the KCSAN reports whose title or stacks match '
			     'REGEX (make stress FLAVOUR=kcsan: compaction, migration, the '
			     'page allocator); list the others')
	args = ap.parse_args()

	kp = load_kunit_parser()
	with open(args.log, encoding='utf-8', errors='replace') as f:
		lines = [l.rstrip('\r\n').replace('\r', '') for l in f]
	owned = owned_kunit(args.owned_kunit) if args.owned_kunit else None
	selftest_list = read_list(args.selftest_list) if args.selftest_list else None
	counts, problems = judge(lines, args.status, args.limit, args.kunit,
				 args.selftests, kp, args.require_suite, owned, selftest_list,
				 read_expected_skips(args.expected_skips),
				 re.compile(args.kcsan_only) if args.kcsan_only else None)
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
