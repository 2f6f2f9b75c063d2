# SPDX-License-Identifier: GPL-2.0
"""results.py on recorded console logs of our test kernel (harness/tests/logs,
see README there for where each came from): it must pass a clean run, count
skips, and fail - with a message that says why - a failed KUnit case, a
panic, a splat among passing tests, a log cut short and a hang."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, '..', 'results.py')
LOGS = os.path.join(HERE, 'logs')


def judge(log, *args):
	"""Run results.py on a recorded log; return (exit code, output, counts)."""
	with tempfile.NamedTemporaryFile(suffix='.json') as j:
		p = subprocess.run([sys.executable, RESULTS, '--log', os.path.join(LOGS, log),
				    '--json', j.name, *args],
				   capture_output=True, text=True, check=False)
		with open(j.name, encoding='utf-8') as f:
			counts = json.load(f)
	return p.returncode, p.stdout + p.stderr, counts


@unittest.skipUnless(os.environ.get('KUNIT_DIR'), 'needs KUNIT_DIR (make check sets it)')
class RecordedLogTest(unittest.TestCase):
	def assertCounts(self, counts, passed, failed, skipped):
		self.assertEqual((counts['passed'], counts['failed'], counts['skipped']),
				 (passed, failed, skipped), counts)

	def test_all_pass(self):
		rc, out, c = judge('pass.log', '--kunit', '--selftests')
		self.assertEqual(rc, 0, out)
		self.assertCounts(c, *EXPECT_PASS)
		self.assertIn('results: ok', out)

	def test_failed_kunit_case(self):
		rc, out, c = judge('kunit-fail.log', '--kunit', '--selftests')
		self.assertNotEqual(rc, 0, out)
		self.assertEqual(c['failed'], 1, out)
		self.assertIn('FAIL: KUnit: 1 failed', out)
		self.assertIn('example_simple_test', out)

	def test_skipped_selftest(self):
		rc, out, c = judge('skip.log', '--kunit', '--selftests')
		self.assertEqual(rc, 0, out)
		self.assertEqual(c['failed'], 0, out)
		self.assertEqual(c['skipped'], EXPECT_PASS[2] + 1, out)

	def test_panic(self):
		rc, out, c = judge('panic.log', '--kunit', '--selftests')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: kernel panic', out)
		self.assertIn('Kernel panic - not syncing', out)	# the excerpt
		self.assertNotIn('cut short', out)

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


# pass.log: KUnit 9 passed + 4 skipped (the example suites), compaction_test 1 passed
EXPECT_PASS = (10, 0, 4)

if __name__ == '__main__':
	unittest.main()
