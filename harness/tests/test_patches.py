# SPDX-License-Identifier: GPL-2.0
"""mkpatches.sh on a toy tree: the series plus our files come out as
'git format-patch' mails that 'git am' applies to the base and that
reproduce the tree we build; a tree that drifted from the series fails the
proof and names the file."""
import os
import shutil
import subprocess
import tempfile
import unittest

from test_apply import read, toy_layout, write

HERE = os.path.dirname(os.path.abspath(__file__))
APPLY = os.path.join(HERE, '..', 'apply.sh')
MKPATCHES = os.path.join(HERE, '..', 'mkpatches.sh')


class PatchesTest(unittest.TestCase):
	def setUp(self):
		self.tmp = tempfile.mkdtemp()
		self.base, self.tree, self.repo = toy_layout(self.tmp)
		self.out = os.path.join(self.tmp, 'out')
		subprocess.run(['bash', APPLY, self.base, self.tree, self.repo],
			       capture_output=True, check=True)

	def tearDown(self):
		shutil.rmtree(self.tmp)

	def mkpatches(self, out=None, **env):
		# run from the scratch folder, so that a relative OUTDIR works as make passes it
		return subprocess.run(['bash', MKPATCHES, self.base, self.tree, self.repo, out or self.out],
				      capture_output=True, text=True, check=False, cwd=self.tmp,
				      env=dict(os.environ, **env))

	def test_ours_then_series_apply_and_reproduce(self):
		p = self.mkpatches()
		self.assertEqual(p.returncode, 0, p.stderr)
		names = sorted(os.listdir(self.out))
		# our files first: nothing builds them yet, so they cannot break a bisect
		self.assertEqual(names, ['0001-mm-compaction-ours.patch',
					 '0002-mm-page_alloc-say-hello.patch'])
		ours = read(os.path.join(self.out, names[0]))
		self.assertIn('Subject: [PATCH 1/2] mm/compaction: ours', ours)
		self.assertIn('From: Compaction Team <compaction@localhost>', ours)
		self.assertIn('2 patch(es)', p.stdout)

	def test_relative_outdir(self):
		p = self.mkpatches(out='rel/patches')
		self.assertEqual(p.returncode, 0, p.stderr)
		self.assertEqual(len(os.listdir(os.path.join(self.tmp, 'rel/patches'))), 2)

	def test_drifted_tree_fails_the_proof(self):
		self.assertEqual(self.mkpatches().returncode, 0)
		write(os.path.join(self.tree, 'mm/page_alloc.c'), 'edited by hand\n')
		p = self.mkpatches(VERIFY_ONLY='1')
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('mm/page_alloc.c differs from the tree we build', p.stderr)


if __name__ == '__main__':
	unittest.main()
