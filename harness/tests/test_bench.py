# SPDX-License-Identifier: GPL-2.0
"""bench/bench.py's reading of a guest's console: the BENCH lines become a
record, printk lines in between are ignored, and a garbled line fails the
run with the line named instead of stopping the whole benchmark."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench'))
import bench  # noqa: E402  pylint: disable=wrong-import-position

LOG = """[    1.000000] Run /init as init process
BENCH oracle-before {"zone":"total","n_max":5,"m_min":70}
BENCH map-before 0 DMA32 4096 FMMU
[    2.000000] some kernel line
BENCH vmstat-before {"pgmigrate_success": 1}
BENCH compact {"seconds": 0.250}
BENCH vmstat-after {"pgmigrate_success": 71}
BENCH fault 1500 1
BENCH fault 900000 0
BENCH score 5.3 42 7
BENCH workload kind=holes kept=10 bad=0
BENCH status ok
HARNESS_DONE
"""


def parse(text):
	with tempfile.NamedTemporaryFile('w', suffix='.log', delete=False) as f:
		f.write(text)
	try:
		return bench.parse(f.name)
	finally:
		os.unlink(f.name)


class BenchParseTest(unittest.TestCase):
	def test_record(self):
		r = parse(LOG)
		self.assertEqual(r['oracle_before'], [{'zone': 'total', 'n_max': 5, 'm_min': 70}])
		self.assertEqual(r['map_before'], ['0 DMA32 4096 FMMU'])
		self.assertEqual(r['vmstat_after']['pgmigrate_success'] - r['vmstat_before']['pgmigrate_success'], 70)
		self.assertEqual(r['compact'], {'seconds': 0.25})
		self.assertEqual(r['faults'], [(1500, 1), (900000, 0)])
		self.assertEqual(r['scores'], [(5.3, 42, 7)])
		self.assertEqual(r['status'], 'ok')
		self.assertEqual(r['parse_errors'], [])

	def test_garbled_line_fails_the_run(self):
		r = parse(LOG.replace('BENCH score 5.3 42 7', 'BENCH score 5.3  7'))
		self.assertEqual(len(r['parse_errors']), 1, r)
		self.assertTrue(r['parse_errors'][0].startswith('bad BENCH score line'), r['parse_errors'])
		self.assertEqual(r['scores'], [])


if __name__ == '__main__':
	unittest.main()
