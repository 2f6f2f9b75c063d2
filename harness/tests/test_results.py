# SPDX-License-Identifier: GPL-2.0
"""results.py on recorded console logs of our test kernel (harness/tests/logs,
see README there for where each came from): it must pass a clean run, and
fail - with a message that says why - a failed KUnit case, a panic, a splat
among passing tests, a log cut short, a hang, a skip that
harness/expected-skips does not name, a selftest or a KUnit case of ours
that did not run, a taint, lockdep turned off, and each kind of kernel
report 6.12 prints (real reports spliced into a passing log, also glued to
the end of a user-space line), but not a test program's own "WARNING:"."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, '..', 'results.py')
LOGS = os.path.join(HERE, 'logs')
MM_TESTS = os.path.join(HERE, '..', '..', 'mm', 'tests')
TAINT_TEST = 1 << 18


def judge(log, *args):
	"""Run results.py on a log (a name in logs/ or a path); return (exit
	code, output, counts)."""
	with tempfile.NamedTemporaryFile(suffix='.json') as j:
		p = subprocess.run([sys.executable, RESULTS, '--log', os.path.join(LOGS, log),
				    '--json', j.name, *args],
				   capture_output=True, text=True, check=False)
		with open(j.name, encoding='utf-8') as f:
			counts = json.load(f)
	return p.returncode, p.stdout + p.stderr, counts


def read_log(name):
	with open(os.path.join(LOGS, name), encoding='utf-8', errors='replace') as f:
		return f.read().splitlines()


class Derived:
	"""Temporary files made from a recorded log and other texts; removed
	with the test."""
	def __init__(self, test):
		self.dir = tempfile.TemporaryDirectory()
		test.addCleanup(self.dir.cleanup)

	def file(self, name, text):
		path = os.path.join(self.dir.name, name)
		os.makedirs(os.path.dirname(path), exist_ok=True)
		with open(path, 'w', encoding='utf-8') as f:
			f.write(text)
		return path

	def log(self, base, after=None, lines=(), glue=False, sub=None):
		"""@base with @lines put after the first line containing @after (glued
		to its end, with no newline between, if @glue); @sub (old, new)
		replaces text everywhere."""
		out = read_log(base)
		if after is not None:
			i = next(n for n, l in enumerate(out) if after in l)
			lines = list(lines)
			if glue:
				out[i] += lines.pop(0)
			out[i + 1:i + 1] = lines
		text = '\n'.join(out) + '\n'
		if sub:
			text = text.replace(*sub)
		return self.file(base, text)


@unittest.skipUnless(os.environ.get('KUNIT_DIR'), 'needs KUNIT_DIR (make check sets it)')
class RecordedLogTest(unittest.TestCase):
	def assertCounts(self, counts, passed, failed, skipped):
		self.assertEqual((counts['passed'], counts['failed'], counts['skipped']),
				 (passed, failed, skipped), counts)

	def with_taint_line(self, base):
		"""A log that predates /init's taint line, with it: TEST only."""
		return Derived(self).log(base, 'harness: selftests end',
					 [f'harness: tainted {TAINT_TEST}'])

	def test_all_pass(self):
		rc, out, c = judge(self.with_taint_line('pass.log'), '--kunit', '--selftests')
		self.assertEqual(rc, 0, out)
		self.assertCounts(c, *EXPECT_PASS)
		self.assertIn('results: ok', out)

	def test_check_run_passes(self):
		# a real run of today's /init: leak checks, taint line, our suites
		rc, out, c = judge('check.log', '--kunit', '--selftests',
				   '--selftest-list', Derived(self).file('list', CHECK_LIST),
				   '--require-suite', 'compaction-live')
		self.assertEqual(rc, 0, out)
		self.assertCounts(c, *EXPECT_CHECK)

	def test_kernel_message_glued_to_a_ktap_line(self):
		# the kernel printed while /init had written half of its plan line
		# and of a result line: both still read whole (a 64 MiB stress
		# boot once lost its plan "1..1" so, and all 15 results with it)
		glued = [('1..6', '[    1.541463] tsc: Refined TSC clocksource calibration'),
			 ('ok 2 compaction_thp', '[    9.100000] clocksource: Switched to tsc')]
		text = '\n'.join(read_log('check.log')) + '\n'
		for line, msg in glued:
			self.assertIn('\n' + line + '\n', text)
			text = text.replace('\n' + line + '\n', '\n' + line + msg + '\n\n', 1)
		d = Derived(self)
		rc, out, c = judge(d.file('glued.log', text), '--kunit', '--selftests',
				   '--selftest-list', d.file('list', CHECK_LIST),
				   '--require-suite', 'compaction-live')
		self.assertEqual(rc, 0, out)
		self.assertCounts(c, *EXPECT_CHECK)

	def test_failed_kunit_case(self):
		rc, out, c = judge('kunit-fail.log', '--kunit')
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('FAIL: KUnit: 1 failed', out)
		self.assertIn('example_simple_test', out)

	def test_skipped_selftest(self):
		# compaction_test skips (exit 4): not in harness/expected-skips
		rc, out, c = judge(self.with_taint_line('skip.log'), '--kunit', '--selftests')
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('FAIL: selftests: compaction_test skipped, and harness/expected-skips '
			      'does not expect it: ok 1 compaction_test # SKIP', out)
		self.assertEqual(c['skipped'], EXPECT_PASS[2], out)

	def test_expected_skip(self):
		d = Derived(self)
		skips = d.file('skips', EXPECTED_SKIPS + '# a test of the test\nselftest compaction_test\n')
		rc, out, c = judge(self.with_taint_line('skip.log'), '--kunit', '--selftests',
				   '--expected-skips', skips)
		self.assertEqual(rc, 0, out)
		self.assertEqual(c['skipped'], EXPECT_PASS[2] + 1, out)

	def test_kunit_skips_not_expected(self):
		# the example suite's four skips, with an empty list of expected skips
		d = Derived(self)
		rc, out, c = judge('pass.log', '--kunit', '--expected-skips', d.file('skips', '# none\n'))
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 4, out)
		for name in ('example.example_skip_test', 'example.example_mark_skipped_test',
			     'example.example_params_test.example value 3',
			     'example.example_params_test.example value 0'):
			self.assertIn(f'FAIL: KUnit: {name} skipped', out)
		self.assertIn('# SKIP unsupported param value 3', out)

	def test_panic(self):
		rc, out, c = judge('panic.log', '--kunit', '--selftests')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: kernel panic', out)
		self.assertIn('Kernel panic - not syncing', out)	# the excerpt
		self.assertNotIn('cut short', out)
		self.assertNotIn('harness: tainted', out)	# no HARNESS_DONE, not asked

	def test_splat_among_passing_tests(self):
		rc, out, c = judge('warn.log', '--kunit')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: kernel WARN', out)
		self.assertGreater(c['passed'], 0)
		self.assertEqual(c['failed'], 1, out)

	def test_log_cut_short(self):
		rc, out, c = judge('cut.log', '--kunit', '--selftests')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('the log is cut short', out)

	def test_hang(self):
		rc, out, c = judge('hang.log', '--kunit', '--status', 'timeout', '--limit', '20')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: hang: the guest was still running at the 20s time limit', out)

	def test_required_suite_ran(self):
		rc, out, c = judge('pass.log', '--kunit', '--require-suite', 'example')
		self.assertEqual(rc, 0, out)

	def test_required_suite_missing(self):
		# pass.log predates our suite: it must not pass when the suite is required
		rc, out, c = judge('pass.log', '--kunit', '--require-suite', 'compaction-policy')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('KUnit: suite compaction-policy did not run', out)
		self.assertEqual(c['failed'], 1)

	def test_no_kunit_output(self):
		rc, out, c = judge('no-kunit.log', '--kunit')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('no KTAP output', out)


@unittest.skipUnless(os.environ.get('KUNIT_DIR'), 'needs KUNIT_DIR (make check sets it)')
class ExpectedTestsTest(unittest.TestCase):
	"""Every selftest of the guest's list, and every KUnit case our
	sources define, must have run."""
	def owned(self, *cases, suite='example'):
		"""A toy mm/tests with one suite and these cases."""
		d = Derived(self)
		d.file('tests/toy-kunit.h', TOY_SUITE % {
			'cases': ''.join(f'\tKUNIT_CASE({c}),\n' for c in cases), 'suite': suite})
		return os.path.join(d.dir.name, 'tests')

	def test_our_suite_complete(self):
		rc, out, c = judge('pass.log', '--kunit', '--owned-kunit',
				   self.owned('example_simple_test', 'example_params_test'))
		self.assertEqual(rc, 0, out)

	def test_our_case_missing(self):
		rc, out, c = judge('pass.log', '--kunit', '--owned-kunit',
				   self.owned('example_simple_test', 'example_gone_test'))
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('FAIL: KUnit: example.example_gone_test did not run, though our '
			      'sources list it', out)

	def test_our_suite_missing(self):
		rc, out, c = judge('pass.log', '--kunit', '--owned-kunit',
				   self.owned('a_case', suite='compaction-gone'))
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: KUnit: our suite compaction-gone did not run', out)

	def test_our_cases_in_the_check_run(self):
		# a case our sources have and the recorded run does not
		rc, out, c = judge('check.log', '--kunit', '--owned-kunit',
				   self.owned('compaction_live_contig_range', 'compaction_live_new_case',
					      suite='compaction-live'))
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('compaction-live.compaction_live_new_case did not run', out)

	def test_selftest_missing(self):
		lst = Derived(self).file('list', CHECK_LIST + 'compaction_gone\n')
		rc, out, c = judge('check.log', '--selftests', '--selftest-list', lst)
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn("FAIL: selftests: compaction_gone did not run, though the guest's "
			      'list names it', out)

	def test_selftest_not_listed(self):
		lst = Derived(self).file('list', CHECK_LIST.replace('compaction_knobs\n', ''))
		rc, out, c = judge('check.log', '--selftests', '--selftest-list', lst)
		self.assertNotEqual(rc, 0, out)
		self.assertIn("FAIL: selftests: compaction_knobs ran, though the guest's list "
			      'does not name it', out)

	def test_sources_parse(self):
		# results.py's reading of our real mm/tests finds both suites
		sys.path.insert(0, os.path.join(HERE, '..'))
		import results  # pylint: disable=import-outside-toplevel
		suites = results.owned_kunit(MM_TESTS)
		self.assertIn('compaction-policy', suites)
		self.assertIn('compaction-live', suites)
		self.assertTrue(all(suites.values()), suites)


@unittest.skipUnless(os.environ.get('KUNIT_DIR'), 'needs KUNIT_DIR (make check sets it)')
class GuestChecksTest(unittest.TestCase):
	"""What /init checks and prints before HARNESS_DONE: leaks, the taint
	mask, lockdep's debug_locks."""
	def check(self, **kw):
		return judge(Derived(self).log('check.log', **kw), '--selftests')

	def test_leak(self):
		# /init's verdict on a test that left pages isolated
		rc, out, c = self.check(sub=('ok 2 compaction_thp', 'not ok 2 compaction_thp # LEAK: '
					     'nr_isolated_anon 12, nr_isolated_file 0 after 10s'))
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('compaction_thp ended "not ok" although every case it reported '
			      'passed: not ok 2 compaction_thp # LEAK: nr_isolated_anon 12', out)

	def test_taint(self):
		warn = TAINT_TEST | 1 << 9
		rc, out, c = self.check(sub=(f'harness: tainted {TAINT_TEST}', f'harness: tainted {warn}'))
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn(f'FAIL: the kernel is tainted: {warn} (WARN, TEST)', out)

	def test_no_taint_line(self):
		rc, out, c = self.check(sub=(f'harness: tainted {TAINT_TEST}\n', ''))
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: no "harness: tainted" line before HARNESS_DONE', out)

	def test_debug_locks(self):
		rc, out, c = self.check(after='harness: tainted', lines=['harness: debug_locks 1'])
		self.assertEqual(rc, 0, out)
		rc, out, c = self.check(after='harness: tainted', lines=['harness: debug_locks 0'])
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('FAIL: lockdep turned itself off (debug_locks 0)', out)


# Real kernel reports, the first lines of each as a console printed them,
# from public reports (README in logs/ says where).  Each is spliced into
# pass.log, a passing run, after /init started.
REPORTS = {
	('lockdep', 'irq lock inversion'): '''\
[   29.439920] ========================================================
[   29.449225] WARNING: possible irq lock inversion dependency detected
[   29.453195] 5.9.0-rc7-next-20201002+ #5 Not tainted
[   29.456023] --------------------------------------------------------
[   29.459012] swapper/6/0 just changed the state of lock:''',
	('lockdep', 'HARDIRQ-safe -> HARDIRQ-unsafe'): '''\
kern  :warn  : [   92.812882] [    T125] WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected
kern  :warn  : [   92.812886] [    T125] 7.0.0-rc1-00048-g9aaf187d4b23 #1 Tainted: G S
kern  :warn  : [   92.812888] [    T125] -----------------------------------------------------''',
	('lockdep', 'SOFTIRQ-safe -> SOFTIRQ-unsafe'): '''\
[ 7247.054961] =====================================================
[ 7247.054971] WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected
[ 7247.054983] 5.6.0-rc3-next-20200226 #2 Tainted: G           O
[ 7247.054992] -----------------------------------------------------
[ 7247.055002] read_all/8513 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:''',
	('lockdep', 'lock held when returning to user space'): '''\
[   20.438106] ================================================
[   20.439696] WARNING: lock held when returning to user space!
[   20.441730] 6.12.0+ #11 Not tainted
[   20.442389] ------------------------------------------------
[   20.443663] gnome-shell/1853 is leaving the kernel with locks still held!''',
	('lockdep', 'non-static key'): '''\
[    1.582812][    T0] INFO: trying to register non-static key.
[    1.583305][    T0] The code is fine but needs lockdep annotation, or maybe
[    1.583887][    T0] you didn't initialize this object before use?
[    1.584409][    T0] turning off the locking correctness validator.''',
	('RCU stall', 'expedited'): '''\
[   14.320045] rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 7-.... } 6 jiffies s: 105 root: 0x80/.
[   14.320064] rcu: blocking rcu_node structures (internal RCU debug):''',
	('oom-killer', 'invoked'): '''\
[  244.953740][ T9068] syz-executor.0 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=1000
[  244.954411][ T9068] CPU: 0 PID: 9068 Comm: syz-executor.0 Not tainted 5.10.179 #5''',
	('oom-killer', 'killed'): '''\
[  804.310397] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=oom01,pid=3261,uid=0
[  804.322751] Out of memory: Killed process 3261 (oom01) total-vm:18905540kB, anon-rss:13397556kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:26308kB oom_score_adj:0''',
}


@unittest.skipUnless(os.environ.get('KUNIT_DIR'), 'needs KUNIT_DIR (make check sets it)')
class KernelReportTest(unittest.TestCase):
	def splice(self, report, after='Run /init as init process', glue=False):
		log = Derived(self).log('pass.log', after, report.splitlines(), glue)
		return judge(log, '--kunit')

	def test_each_report_fails_a_passing_run(self):
		for (kind, name), report in REPORTS.items():
			with self.subTest(name):
				rc, out, c = self.splice(report)
				self.assertNotEqual(rc, 0, out)
				self.assertEqual(c['failed'], 1, out)
				self.assertEqual(c['passed'], EXPECT_PASS[0] - 1, out)	# KUnit's 9
				self.assertIn(f'FAIL: kernel {kind} at log line', out)
				self.assertIn(report.splitlines()[1], out)	# the excerpt

	def test_report_glued_to_a_user_line(self):
		# a program's output without its newline, then the kernel's report
		# from its first line that names it
		for key, first in ((('lockdep', 'irq lock inversion'), 1),
				   (('oom-killer', 'killed'), 1), (('RCU stall', 'expedited'), 0)):
			with self.subTest(key[1]):
				report = REPORTS[key].splitlines()[first:]
				rc, out, c = self.splice('\n'.join(report),
							 after='# Number of huge pages allocated', glue=True)
				self.assertNotEqual(rc, 0, out)
				self.assertEqual(c['failed'], 1, out)
				self.assertIn(f'FAIL: kernel {key[0]} at log line', out)
				self.assertIn('# Number of huge pages allocated = 194' + report[0], out)

	def test_a_program_may_say_warning(self):
		# a test program's own words at column 0, with no printk stamp
		said = ['WARNING: possible circular locking dependency detected',
			'WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected',
			'BUG: this is the program speaking', 'INFO: trying to register non-static key.',
			'Out of memory: Killed process 1 (x)']
		rc, out, c = self.splice('\n'.join(said), after='# Number of huge pages allocated')
		self.assertEqual(rc, 0, out)
		self.assertEqual((c['passed'], c['failed']), (EXPECT_PASS[0] - 1, 0), out)


# pass.log: KUnit 9 passed + 4 skipped (the example suites), compaction_test 1 passed
EXPECT_PASS = (10, 0, 4)
# check.log: KUnit 29 passed + 4 skipped, 6 selftests with 103 cases
EXPECT_CHECK = (132, 0, 4)
CHECK_LIST = '''compaction_test
compaction_thp
compaction_fragment
compaction_integrity
compaction_knobs
compaction_proactive
'''
with open(os.path.join(HERE, '..', 'expected-skips'), encoding='utf-8') as _f:
	EXPECTED_SKIPS = _f.read()
TOY_SUITE = '''/* a toy of mm/tests/\\*-kunit.h for results.py's --owned-kunit */
static struct kunit_case toy_cases[] = {
%(cases)s	{}
};

static struct kunit_suite toy_suite = {
	.name = "%(suite)s",
	.test_cases = toy_cases,
};
'''

if __name__ == '__main__':
	unittest.main()


def kcsan_report(stamp, title, frames):
	"""A KCSAN report as 6.12 prints it (kernel/kcsan/report.c), made up:
	@title's two functions, each access with @frames' functions."""
	rule = f'[{stamp}] ' + '=' * 66
	out = [rule, f'[{stamp}] BUG: KCSAN: data-race in {title}', f'[{stamp}] ']
	for who, what in ((1, 'write'), (2, 'read')):
		out.append(f'[{stamp}] {what} to 0xffff888004a9c010 of 8 bytes by task 4{who} on cpu {who}:')
		out += [f'[{stamp}]  {f}+0x1c/0x200' for f in frames[who - 1]]
		out.append(f'[{stamp}] ')
	out += [f'[{stamp}] value changed: 0x0000000000000000 -> 0x0000000000000001', rule]
	return out


@unittest.skipUnless(os.environ.get('KUNIT_DIR'), 'needs KUNIT_DIR (make check sets it)')
class KcsanFilterTest(unittest.TestCase):
	"""--kcsan-only (make stress FLAVOUR=kcsan) counts the KCSAN reports that
	name a matching function in their title or stacks, and lists the
	others; every other kind of report still counts."""
	ours = kcsan_report('   30.100000', 'tick_nohz_idle_enter / tick_sched_timer',
			    [['tick_nohz_idle_enter', 'do_idle'],
			     ['tick_sched_timer', '__hrtimer_run_queues']])
	mm = kcsan_report('   31.200000', 'folio_mapping / lru_add',
			  [['lru_add', 'folio_batch_move_lru'],
			   ['folio_mapping', 'isolate_migratepages_block', 'compact_zone']])
	KEEP = 'compact|migrat|isolate_|page_alloc'

	def judge(self, *args):
		log = Derived(self).log('pass.log', 'Run /init as init process', self.ours + self.mm)
		return judge(log, '--kunit', *args)

	def test_every_kcsan_report_counts_without_the_filter(self):
		rc, out, c = self.judge()
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 2, out)

	def test_filter_keeps_the_one_in_compaction(self):
		rc, out, c = self.judge('--kcsan-only', self.KEEP)
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('BUG: KCSAN: data-race in folio_mapping / lru_add', out)
		self.assertIn('1 x BUG: KCSAN: data-race in tick_nohz_idle_enter / tick_sched_timer', out)

	def test_filter_does_not_hide_other_reports(self):
		log = Derived(self).log('pass.log', 'Run /init as init process',
					self.ours + REPORTS[('oom-killer', 'invoked')].splitlines())
		rc, out, c = judge(log, '--kunit', '--kcsan-only', self.KEEP)
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('FAIL: kernel oom-killer', out)
