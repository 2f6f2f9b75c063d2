# SPDX-License-Identifier: GPL-2.0
"""bench/report.py on hand-made runs: figures are worked out from the raw
counters, the mean and spread over runs are right (n shown, no spread for
one run), a spread over 10% is flagged, ratios have 4 significant digits,
the ratio column is new/base, a failed run is left out and named, and a run
that beats a bound of the oracle fails the report."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, '..', '..', 'bench', 'report.py')

# One zone, DMA32 at pfn 4096, seven blocks, movable pages per block:
#   b0 free (0) | b1 10 | b2 20 | b3 30 | b4 400 | b5 50 + a slab page | b6 hole
# The oracle's candidates (used_hist): 0, 10, 20, 30, 400 (b5 is X, b6 H).
# N_max 4; m_min = M_min(4) = 60. A run frees k blocks, emptiest first;
# M_min(k) = 0, 10, 30, 60 for k = 1..4. Pages moved go into b5.
BEFORE_USED = [0, 10, 20, 30, 400, 50, None]
HIST = [[0, 1], [10, 1], [20, 1], [30, 1], [400, 1]]


def zone(free_blocks, n_max=4, m_min=60, hist=None, unmov=(0, 1), unmov_pages=(1, 0), self_pages=0):
	z = {'node': 0, 'zone': 'DMA32', 'start_pfn': 4096, 'free_blocks': free_blocks,
	     'n_max': n_max, 'm_min': m_min, 'used_hist': hist if hist is not None else HIST,
	     'unmovable_blocks': unmov[0], 'mixed_blocks': unmov[1],
	     'used_unmovable': unmov_pages[0], 'ambiguous': unmov_pages[1], 'self': self_pages}
	t = dict(z, node=None, zone='total')
	return [z, t]


def classes(used):
	return ''.join('H' if u is None else 'F' if u == 0 else 'M' for u in used)


def run(kernel, n, k, out_of_b4=0, ok=True, label='holes', n_max=4, self_pages=0,
	migrated=None):
	"""A run that freed b0..b(k-1) and moved out_of_b4 pages out of b4."""
	moved = sum(BEFORE_USED[1:k]) + out_of_b4
	after = [0] * k + BEFORE_USED[k:]
	after[4] -= out_of_b4
	after[5] += moved
	if migrated is None:
		migrated = moved
	cls = classes(after)
	cls = cls[:5] + 'X' + cls[6:]
	return {
		'label': label, 'workload': label, 'kernel': kernel, 'run': n, 'mem': '2G',
		'ok': ok, 'why': None if ok else 'results: FAIL: kernel WARN at log line 9',
		'oracle_before': zone(1, n_max=n_max, self_pages=self_pages),
		'oracle_after': zone(k, n_max=n_max, self_pages=self_pages),
		'used_before': [{'node': 0, 'zone': 'DMA32', 'start_pfn': 4096, 'used': BEFORE_USED}],
		'used_after': [{'node': 0, 'zone': 'DMA32', 'start_pfn': 4096, 'used': after}],
		'map_before': ['0 DMA32 4096 FMMMMXH'],
		'map_after': [f'0 DMA32 4096 {cls}'],
		'vmstat_before': {'pgmigrate_success': 5, 'compact_migrate_scanned': 0,
				  'compact_free_scanned': 0},
		'vmstat_after': {'pgmigrate_success': 5 + migrated,
				 'compact_migrate_scanned': 6 * migrated,
				 'compact_free_scanned': 4 * migrated},
		'compact': {'seconds': 1.0},
		'faults': [], 'scores': [],
	}


def report(runs):
	d = tempfile.mkdtemp()
	with open(os.path.join(d, 'runs.jsonl'), 'w', encoding='utf-8') as f:
		for r in runs:
			f.write(json.dumps(r) + '\n')
	p = subprocess.run([sys.executable, REPORT, d, '--base', 'stock', '--new', 'ours'],
			   capture_output=True, text=True, check=False)
	with open(os.path.join(d, 'report.md'), encoding='utf-8') as f:
		md = f.read()
	shutil.rmtree(d)
	rows = {}
	for line in p.stdout.splitlines():
		cells = [c.strip() for c in line.strip('|').split('|')]
		if len(cells) == 5 and cells[0] not in ('workload', '---'):
			rows[(cells[0], cells[1])] = cells[2:]
	return p, rows, md


class ReportTest(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		# stock: twice k=3 with 15 pages moved out of b4 (which stays):
		# moved 10 + 20 + 15 = 45, wasted 15.
		# ours: k=4, nothing wasted (60 moved), then k=4 with 20 wasted
		# (80 moved); a third run failed.
		cls.p, rows, cls.md = report([
			run('stock', 1, 3, 15), run('stock', 2, 3, 15),
			run('ours', 1, 4, 0), run('ours', 2, 4, 20),
			run('ours', 3, 1, 0, ok=False)])
		cls.rows = {f: v for (w, f), v in rows.items() if w == 'holes'}

	def test_exit_and_report_file(self):
		self.assertEqual(self.p.returncode, 0, self.p.stderr)
		self.assertIn('| holes | pages migrated |', self.md)
		self.assertNotIn('report: FAIL', self.p.stdout + self.p.stderr)

	def test_fraction_of_limit(self):
		# stock: 3 free blocks of N_max 4; ours: 4 of 4; 4 significant digits
		self.assertEqual(self.rows['free blocks / N_max'],
				 ['0.7500 ±0% (n=2)', '1.000 ±0% (n=2)', '1.333'])

	def test_mean_spread_and_flag(self):
		# ours: 60 and 80 pages migrated: mean 70, spread 20/70 = 29%
		self.assertEqual(self.rows['pages migrated'], ['45 ±0% (n=2)', '70 ±29% ! (n=2)', '1.556'])

	def test_m_min_of_the_blocks_freed(self):
		# M_min(k): stock frees 3 blocks -> 0 + 10 + 20 = 30 (not m_min,
		# which is for N_max = 4 blocks: 60); ours 60
		self.assertEqual(self.rows['M_min(k)'][:2], ['30 ±0% (n=2)', '60 ±0% (n=2)'])
		# stock 45 / 30; ours 60 / 60 and 80 / 60: mean 1.167, spread 29%
		self.assertEqual(self.rows['migrated / M_min(k)'],
				 ['1.500 ±0% (n=2)', '1.167 ±29% ! (n=2)', '0.7778'])
		self.assertNotIn('migrated / M_min', [r for r in self.rows if r != 'migrated / M_min(k)'])

	def test_wasted(self):
		# stock: 15 of 45 moved out of b4, not free after; ours 0 of 60 and
		# 20 of 80 (b5 took pages in: not counted)
		self.assertEqual(self.rows['wasted pages'][:2], ['15 ±0% (n=2)', '10 ±200% ! (n=2)'])
		self.assertEqual(self.rows['wasted share'][:2], ['0.3333 ±0% (n=2)', '0.1250 ±200% ! (n=2)'])

	def test_derived_ratios(self):
		self.assertEqual(self.rows['scanned / migrated'], ['10.00 ±0% (n=2)', '10.00 ±0% (n=2)', '1.000'])

	def test_scan_floor(self):
		# blocks with movable pages before and free after, 512 pfns each,
		# per page migrated: stock b1, b2 (1024 / 45); ours b1-b3 twice
		# (1536 / 60 = 25.6 and 1536 / 80 = 19.2)
		self.assertEqual(self.rows['floor: evacuated pfns / migrated'],
				 ['22.76 ±0% (n=2)', '22.40 ±29% ! (n=2)', '0.9844'])

	def test_failed_run_left_out_and_named(self):
		self.assertIn('Failed run, left out: holes ours run 3: results: FAIL: kernel WARN', self.p.stdout)


class ReportOneRunTest(unittest.TestCase):
	def test_one_run_has_no_spread_and_four_digits(self):
		# N_max 2000, 1999 blocks freed: 0.9995, which 3 digits would round to 1
		r = run('stock', 1, 3, 0, n_max=2000)
		for key in ('oracle_before', 'oracle_after'):
			for z in r[key]:
				z['used_hist'] = [[0, 1999], [10, 1]]
				z['n_max'] = 2000
		r['oracle_after'][0]['free_blocks'] = r['oracle_after'][1]['free_blocks'] = 1999
		r['vmstat_after']['pgmigrate_success'] = 5 + 1	# 1 page moved, M_min(1999) 0
		p, rows, _ = report([r, run('ours', 1, 3, 0)])
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		self.assertEqual(rows[('holes', 'free blocks / N_max')][0], '0.9995 ±? (n=1)')
		self.assertEqual(rows[('holes', 'N_max')][0], '2000 ±? (n=1)')


class ReportBoundsTest(unittest.TestCase):
	def test_more_free_blocks_than_n_max_fails(self):
		# 4 blocks freed with N_max 3
		p, rows, md = report([run('stock', 1, 3), run('ours', 1, 4, n_max=3)])
		self.assertEqual(p.returncode, 1)
		line = ('report: FAIL: holes ours run 1: 4 free blocks > N_max 3 in node 0 DMA32: '
			'N_max is not an upper bound')
		self.assertIn(line, p.stdout)
		self.assertIn(line, p.stderr)
		self.assertIn('free blocks / N_max = 1.333 > 1', p.stdout)
		self.assertIn(line, md)		# the table is still written, with the verdict
		self.assertEqual(rows[('holes', 'free blocks / N_max')][1], '1.333 ±? (n=1)')

	def test_at_the_limit_passes(self):
		p, _, _ = report([run('stock', 1, 4), run('ours', 1, 4)])
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

	def test_fewer_moves_than_m_min_k_fails(self):
		# 4 blocks freed (M_min(4) = 60) with 40 pages migrated: the oracle's
		# own 10 pages do not explain it; its own 30 would
		p, _, _ = report([run('stock', 1, 3), run('ours', 1, 4, self_pages=10, migrated=40)])
		self.assertEqual(p.returncode, 1)
		self.assertIn('report: FAIL: holes ours run 1: migrated / M_min(k) = 0.6667 < 1', p.stdout)
		p, _, _ = report([run('stock', 1, 3), run('ours', 1, 4, self_pages=20, migrated=40)])
		self.assertEqual(p.returncode, 0, p.stdout)


def extra_run(kernel, migrated):
	"""Six blocks, movable pages before: b0 free, b1 10, b2 20, b3 5 and
	a pipe page (X; the oracle's "extra", never freeable), b4 40, b5 8 and
	a page in flight (X, extra, freed by the run).  The oracle's used_hist
	takes in both extras: M_min(4) = 0 + 5 + 8 + 10 = 23.  The run frees
	b0, b1, b2, b5 (38 pages into b4).  Shown freeable: F/M before or free
	after = b0, b1, b2, b4, b5: M_min(4) = 0 + 8 + 10 + 20 = 38.  Eligible
	4 (b0, b1, b2, b4), by_free 5, N_max 6."""
	r = run(kernel, 1, 3)
	for key, free in (('oracle_before', 1), ('oracle_after', 4)):
		for z in r[key]:
			z.update(free_blocks=free, n_max=6, m_min=83, eligible=4, by_free=5, extra=2,
				 used_hist=[[0, 1], [5, 1], [8, 1], [10, 1], [20, 1], [40, 1]])
	r['used_before'][0]['used'] = [0, 10, 20, 5, 40, 8]
	r['used_after'][0]['used'] = [0, 0, 0, 5, 78, 0]
	r['map_before'] = ['0 DMA32 4096 FMMXMX']
	r['map_after'] = ['0 DMA32 4096 FFFXMF']
	r['vmstat_after']['pgmigrate_success'] = 5 + migrated
	return r


class ReportShownFreeableTest(unittest.TestCase):
	def test_m_min_k_over_blocks_shown_freeable(self):
		p, rows, _ = report([extra_run('stock', 38), extra_run('ours', 38)])
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		self.assertEqual(rows[('holes', 'M_min(k)')][0], '23 ±? (n=1)')
		self.assertEqual(rows[('holes', 'migrated / M_min(k)')][0], '1.652 ±? (n=1)')
		self.assertEqual(rows[('holes', 'M_min(k) shown freeable')][0], '38 ±? (n=1)')
		self.assertEqual(rows[('holes', 'migrated / M_min(k) shown freeable')][0],
				 '1.000 ±? (n=1)')
		# 4 free blocks of the 4 eligible (by_free 5): 1; of N_max 6: 0.6667
		self.assertEqual(rows[('holes', 'free blocks / min(eligible, by_free)')][0],
				 '1.000 ±? (n=1)')
		self.assertEqual(rows[('holes', 'free blocks / N_max')][0], '0.6667 ±? (n=1)')

	def test_fewer_moves_than_shown_fails(self):
		# 30 pages cannot free b1, b2 and b5 (38): above the oracle's 23,
		# below the shown 38
		p, _, _ = report([extra_run('stock', 38), extra_run('ours', 30)])
		self.assertEqual(p.returncode, 1)
		self.assertIn('report: FAIL: holes ours run 1: pages migrated 30 < M_min(k) shown '
			      'freeable 38', p.stdout)
		self.assertNotIn('migrated / M_min(k) =', p.stdout)


class ReportFastpathTest(unittest.TestCase):
	def test_median_round_of_each_run(self):
		runs = []
		for kernel, base in (('stock', 1000), ('ours', 1100)):
			r = run(kernel, 1, 3, label='fastpath')
			r['fastpath'] = [{'fault4k': base + d, 'unmap4k': 300, 'fault2m': 200000 + d,
					  'unmap2m': 5000, 'huge': 32} for d in (900, 0, 20)]
			runs.append(r)
		p, rows, _ = report(runs)
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		# median of 1900, 1000, 1020: 1020 (the warm-up round is left out)
		self.assertEqual(rows[('fastpath', '4K fault ns')], ['1020 ±? (n=1)', '1120 ±? (n=1)', '1.098'])
		self.assertEqual(rows[('fastpath', '2M fault us')][0], '200 ±? (n=1)')
		self.assertEqual(rows[('fastpath', '2M faults huge')][0], '96 ±? (n=1)')


class ReportThpTest(unittest.TestCase):
	def test_huge_faults_alone(self):
		# stock gives up on 5 faults of 8 (a 4 KiB fallback: 0.1 ms), ours
		# on none: over every fault stock's median is the lower, over the
		# faults served huge ours' is
		runs = []
		for kernel, faults in (('stock', [(4000, 1)] * 3 + [(100, 0)] * 5),
				       ('ours', [(3000, 1)] * 8)):
			r = run(kernel, 1, 3, label='thp')
			r['faults'] = [[us * 1000, h] for us, h in faults]
			runs.append(r)
		p, rows, _ = report(runs)
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		self.assertEqual(rows[('thp', 'fault p50 us')], ['100 ±? (n=1)', '3000 ±? (n=1)', '30.00'])
		self.assertEqual(rows[('thp', 'huge fault p50 us')],
				 ['4000 ±? (n=1)', '3000 ±? (n=1)', '0.7500'])
		self.assertEqual(rows[('thp', 'huge fault p99 us')][0], '4000 ±? (n=1)')
		self.assertEqual(rows[('thp', 'THP success')][0], '0.3750 ±? (n=1)')


class ReportLateTest(unittest.TestCase):
	def test_unmovable_blocks_before_and_late(self):
		# before: 0 U + 1 X block, 1 unmovable page; late: 3 U + 2 X
		# blocks, 700 + 100 ambiguous unmovable pages
		runs = []
		for kernel in ('stock', 'ours'):
			r = run(kernel, 1, 3, label='mixed-unmovable')
			r['oracle_late'] = zone(3, unmov=(3, 2), unmov_pages=(700, 100))
			runs.append(r)
		p, rows, _ = report(runs)
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		self.assertEqual(rows[('mixed-unmovable', 'unmovable blocks before')][0], '1 ±? (n=1)')
		self.assertEqual(rows[('mixed-unmovable', 'unmovable blocks late')][0], '5 ±? (n=1)')
		self.assertEqual(rows[('mixed-unmovable', 'unmovable blocks added late')][0], '4 ±? (n=1)')
		self.assertEqual(rows[('mixed-unmovable', 'unmovable pages added late')][0], '799 ±? (n=1)')


if __name__ == '__main__':
	unittest.main()
