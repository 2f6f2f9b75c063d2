# SPDX-License-Identifier: GPL-2.0
"""Real boots of the test kernel that must fail, and fail for the right
reason: a panic, a WARN among passing tests, and a hang past the time limit.
The splats are real ones, fired by lkdtm (CONFIG_LKDTM) from the guest's
/init.  Needs the kernel and initramfs that 'make check' builds, named by
HARNESS_KERNEL and HARNESS_INITRD; without them these tests are skipped."""
import os
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
BOOT = os.path.join(HERE, '..', 'boot.sh')
KERNEL = os.environ.get('HARNESS_KERNEL')
INITRD = os.environ.get('HARNESS_INITRD')
OUT = os.environ.get('HARNESS_RESULTS', '/tmp')


@unittest.skipUnless(KERNEL and INITRD, 'needs HARNESS_KERNEL and HARNESS_INITRD (make check sets them)')
class RealBootTest(unittest.TestCase):
	def boot(self, name, mode, limit, extra=(), warn=True):
		log = os.path.join(OUT, f'selftest-{name}.log')
		cmd = ['bash', BOOT, '-k', KERNEL, '-i', INITRD, '-l', log, '-m', '512M',
		       '-c', '1', '-t', str(limit), '-M', mode, '-K']
		if warn:
			cmd.append('-W')
		cmd += ['--', *extra]
		p = subprocess.run(cmd, capture_output=True, text=True, check=False)
		with open(log, encoding='utf-8', errors='replace') as f:
			self.console = f.read()
		return p.returncode, p.stdout + p.stderr

	def test_panic_fails_the_run(self):
		rc, out = self.boot('panic', 'provoke', 300, ['harness.provoke=PANIC'])
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: kernel panic', out)
		self.assertNotIn('cut short', out)

	def test_warn_among_passing_tests_fails_the_run(self):
		# no panic_on_warn: the guest goes on, KUnit passed, and still the run fails
		rc, out = self.boot('warn', 'provoke', 300, ['harness.provoke=WARNING'], warn=False)
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: kernel WARN', out)
		self.assertIn('lkdtm', out)		# the excerpt shows the culprit
		self.assertRegex(out, r'passed [1-9]')	# KUnit did pass

	def test_hang_fails_the_run(self):
		rc, out = self.boot('hang', 'hang', 20)
		self.assertIn('harness: hanging on purpose', self.console)	# the guest got there
		self.assertNotEqual(rc, 0, out)
		self.assertIn('FAIL: hang: the guest was still running at the 20s time limit', out)


if __name__ == '__main__':
	unittest.main()
