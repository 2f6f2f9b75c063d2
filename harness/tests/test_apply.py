# SPDX-License-Identifier: GPL-2.0
"""apply.sh on toy trees: our files and the series are laid over the base,
a second run changes nothing, an edit touches only the edited file, a file
that stops being ours goes back to the base's version, and a patch that
does not apply stops the run with its name."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
APPLY = os.path.join(HERE, '..', 'apply.sh')

PATCH = """From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Test <test@localhost>
Subject: [PATCH] mm/page_alloc: say hello

Why: a test.
---
 mm/page_alloc.c | 2 +-
 1 file changed, 1 insertion(+), 1 deletion(-)

--- a/mm/page_alloc.c
+++ b/mm/page_alloc.c
@@ -1,3 +1,3 @@
 line 1
-line 2
+line 2 patched
 line 3
--
2.39.5
"""


def write(path, text):
	os.makedirs(os.path.dirname(path), exist_ok=True)
	with open(path, 'w', encoding='utf-8') as f:
		f.write(text)


def read(path):
	with open(path, encoding='utf-8') as f:
		return f.read()


def toy_layout(tmp):
	"""A base tree, and a repo with one file of ours and one patch; return (base, tree, repo)."""
	base, tree, repo = (os.path.join(tmp, d) for d in ('base', 'tree', 'repo'))
	write(os.path.join(base, 'Makefile'), 'all:\n')
	write(os.path.join(base, 'mm/compaction.c'), 'upstream engine\n')
	write(os.path.join(base, 'mm/page_alloc.c'), 'line 1\nline 2\nline 3\n')
	write(os.path.join(base, 'mm/vmscan.c'), 'untouched\n')
	write(os.path.join(repo, 'mm/compaction.c'), 'our engine\n')
	write(os.path.join(repo, 'patches/0001-hello.patch'), PATCH)
	write(os.path.join(repo, 'patches/series'), '# comment\n0001-hello.patch\n')
	write(os.path.join(repo, 'patches/ours.msg'), 'mm/compaction: ours\n\nBecause.\n')
	return base, tree, repo


class ApplyTest(unittest.TestCase):
	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.base, self.tree, self.repo = toy_layout(self.tmp)
		write(os.path.join(self.repo, 'include/linux/ours.h'), '/* new */\n')

	def tearDown(self):
		shutil.rmtree(self.tmp)

	def apply(self, ok=True):
		p = subprocess.run(['bash', APPLY, self.base, self.tree, self.repo],
				   capture_output=True, text=True, check=False)
		if ok:
			self.assertEqual(p.returncode, 0, p.stderr)
		return p

	def mtimes(self):
		out = {}
		for d, _, files in os.walk(self.tree):
			for f in files:
				out[os.path.relpath(os.path.join(d, f), self.tree)] = os.stat(os.path.join(d, f)).st_mtime_ns
		return out

	def test_lays_files_and_series_over_base(self):
		self.apply()
		self.assertEqual(read(f'{self.tree}/mm/compaction.c'), 'our engine\n')
		self.assertEqual(read(f'{self.tree}/include/linux/ours.h'), '/* new */\n')
		self.assertEqual(read(f'{self.tree}/mm/page_alloc.c'), 'line 1\nline 2 patched\nline 3\n')
		self.assertEqual(read(f'{self.tree}/mm/vmscan.c'), 'untouched\n')
		# the base is never written
		self.assertEqual(read(f'{self.base}/mm/compaction.c'), 'upstream engine\n')
		self.assertEqual(read(f'{self.base}/mm/page_alloc.c'), 'line 1\nline 2\nline 3\n')

	def test_second_run_touches_nothing(self):
		self.apply()
		before = self.mtimes()
		time.sleep(0.02)
		p = self.apply()
		self.assertIn('0 changed', p.stdout)
		self.assertEqual(before, self.mtimes())

	def test_edit_touches_only_that_file(self):
		self.apply()
		before = self.mtimes()
		time.sleep(0.02)
		write(os.path.join(self.repo, 'mm/compaction.c'), 'our engine v2\n')
		p = self.apply()
		self.assertIn('1 changed', p.stdout)
		after = self.mtimes()
		changed = {f for f in after if after[f] != before.get(f)}
		self.assertEqual(changed, {'mm/compaction.c'})
		self.assertEqual(read(f'{self.tree}/mm/compaction.c'), 'our engine v2\n')

	def test_dropped_file_goes_back_to_base(self):
		self.apply()
		os.remove(os.path.join(self.repo, 'mm/compaction.c'))
		os.remove(os.path.join(self.repo, 'include/linux/ours.h'))
		write(os.path.join(self.repo, 'patches/series'), '')
		self.apply()
		self.assertEqual(read(f'{self.tree}/mm/compaction.c'), 'upstream engine\n')
		self.assertEqual(read(f'{self.tree}/mm/page_alloc.c'), 'line 1\nline 2\nline 3\n')
		self.assertFalse(os.path.exists(f'{self.tree}/include/linux/ours.h'))

	def test_deleted_tracked_file_goes_back_to_base(self):
		# in a git checkout, a tracked file deleted from the work tree is no longer ours
		git = ['git', '-C', self.repo, '-c', 'user.name=t', '-c', 'user.email=t@t']
		subprocess.run(git + ['init', '-q'], check=True)
		subprocess.run(git + ['add', '-A'], check=True)
		subprocess.run(git + ['commit', '-qm', 'toy'], check=True)
		self.apply()
		os.remove(os.path.join(self.repo, 'mm/compaction.c'))
		self.apply()
		self.assertEqual(read(f'{self.tree}/mm/compaction.c'), 'upstream engine\n')

	def test_bad_patch_is_named(self):
		write(os.path.join(self.base, 'mm/page_alloc.c'), 'something else\n')
		p = self.apply(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('0001-hello.patch does not apply', p.stderr)

	def test_file_both_ours_and_patched_is_refused(self):
		write(os.path.join(self.repo, 'mm/page_alloc.c'), 'ours too\n')
		p = self.apply(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('both ours and patched', p.stderr)


if __name__ == '__main__':
	unittest.main()
