# SPDX-License-Identifier: GPL-2.0
"""bench/report.py on hand-made runs: figures are worked out from the raw
counters, the mean and spread over runs are right, a spread over 10% is
flagged, the ratio is new/base, and a failed run is left out and named."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, '..', '..', 'bench', 'report.py')


def run(kernel, n, migrated, free_after, ok=True):
	"""One holes run: N_max 100, M_min 1000, scanned = 10 x migrated."""
	return {
		'label': 'holes', 'workload': 'holes', 'kernel': kernel, 'run': n, 'mem': '2G',
		'ok': ok, 'why': None if ok else 'results: FAIL: kernel WARN at log line 9',
		'oracle_before': [{'zone': 'total', 'n_max': 100, 'm_min': 1000, 'free_blocks': 10}],
		'oracle_after': [{'zone': 'total', 'n_max': 100, 'm_min': 0, 'free_blocks': free_after}],
		'vmstat_before': {'pgmigrate_success': 5, 'compact_migrate_scanned': 0,
				  'compact_free_scanned': 0},
		'vmstat_after': {'pgmigrate_success': 5 + migrated,
				 'compact_migrate_scanned': 6 * migrated,
				 'compact_free_scanned': 4 * migrated},
		'compact': {'seconds': 1.0},
		'faults': [], 'scores': [], 'map_before': [], 'map_after': [],
	}


class ReportTest(unittest.TestCase):
	def setUp(self):
		self.dir = tempfile.mkdtemp()
		runs = [run('stock', 1, 2000, 50), run('stock', 2, 2000, 50),
			# ours: 1000 and 1400 pages migrated: mean 1200, spread 400/1200 = 33%
			run('ours', 1, 1000, 90), run('ours', 2, 1400, 90),
			run('ours', 3, 1, 1, ok=False)]
		with open(os.path.join(self.dir, 'runs.jsonl'), 'w', encoding='utf-8') as f:
			for r in runs:
				f.write(json.dumps(r) + '\n')
		p = subprocess.run([sys.executable, REPORT, self.dir, '--base', 'stock', '--new', 'ours'],
				   capture_output=True, text=True, check=False)
		self.assertEqual(p.returncode, 0, p.stderr)
		self.out = p.stdout
		self.rows = {}
		for line in self.out.splitlines():
			cells = [c.strip() for c in line.strip('|').split('|')]
			if len(cells) == 5 and cells[0] == 'holes':
				self.rows[cells[1]] = cells[2:]

	def tearDown(self):
		shutil.rmtree(self.dir)

	def test_fraction_of_limit(self):
		# stock: 50 free blocks of N_max 100; ours: 90 of 100
		self.assertEqual(self.rows['free blocks / N_max'], ['0.5 ±0% (n=2)', '0.9 ±0% (n=2)', '1.80'])

	def test_mean_spread_and_flag(self):
		self.assertEqual(self.rows['pages migrated'], ['2000 ±0% (n=2)', '1200 ±33% ! (n=2)', '0.60'])

	def test_derived_ratios(self):
		# 1000 pages migrated against M_min 1000; 10 pages scanned per page migrated
		self.assertEqual(self.rows['migrated / M_min'][0], '2 ±0% (n=2)')
		self.assertEqual(self.rows['scanned / migrated'], ['10 ±0% (n=2)', '10 ±0% (n=2)', '1.00'])

	def test_failed_run_left_out_and_named(self):
		self.assertIn('Failed run, left out: holes ours run 3: results: FAIL: kernel WARN', self.out)
		with open(os.path.join(self.dir, 'report.md'), encoding='utf-8') as f:
			self.assertIn('| holes | pages migrated |', f.read())


if __name__ == '__main__':
	unittest.main()
