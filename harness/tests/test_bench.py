# SPDX-License-Identifier: GPL-2.0
"""bench/bench.py's reading of a guest's console: the BENCH lines become a
record, printk lines in between are ignored, and a garbled line fails the
run with the line named instead of stopping the whole benchmark; and its
runs.jsonl: every bench starts a new one, never adding to an old one."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BENCH_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'bench')
BENCH = os.path.join(BENCH_DIR, 'bench.py')
sys.path.insert(0, BENCH_DIR)
import bench  # noqa: E402  pylint: disable=wrong-import-position

LOG = """[    1.000000] Run /init as init process
BENCH oracle-before {"zone":"total","n_max":5,"m_min":70}
BENCH map-before 0 DMA32 4096 FMMU
BENCH used-before 0 DMA32 4096 0 12 511 -
BENCH workload-info WORKLOAD built huge=3 unmovable=40
[    2.000000] some kernel line
BENCH vmstat-before {"pgmigrate_success": 1}
BENCH compact {"seconds": 0.250}
BENCH vmstat-after {"pgmigrate_success": 71}
BENCH fault 1500 1
BENCH fault 900000 0
BENCH score 5.3 42 7
BENCH oracle-late {"zone":"total","mixed_blocks":9}
BENCH map-late 0 DMA32 4096 FXMU
BENCH used-late 0 DMA32 4096 0 5 511 -
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
		self.assertEqual(r['used_before'], [{'node': 0, 'zone': 'DMA32', 'start_pfn': 4096,
						     'used': [0, 12, 511, None]}])
		self.assertEqual(r['used_late'][0]['used'], [0, 5, 511, None])
		self.assertEqual(r['used_after'], [])
		self.assertEqual(r['oracle_late'], [{'zone': 'total', 'mixed_blocks': 9}])
		self.assertEqual(r['map_late'], ['0 DMA32 4096 FXMU'])
		self.assertEqual(r['workload_info'], ['WORKLOAD built huge=3 unmovable=40'])

	def test_garbled_used_line_fails_the_run(self):
		r = parse(LOG.replace('4096 0 12 511 -', '4096 0 x 511 -'))
		self.assertEqual(len(r['parse_errors']), 1, r)
		self.assertTrue(r['parse_errors'][0].startswith('bad BENCH used-before line'))

	def test_garbled_line_fails_the_run(self):
		r = parse(LOG.replace('BENCH score 5.3 42 7', 'BENCH score 5.3  7'))
		self.assertEqual(len(r['parse_errors']), 1, r)
		self.assertTrue(r['parse_errors'][0].startswith('bad BENCH score line'), r['parse_errors'])
		self.assertEqual(r['scores'], [])


class BenchFastpathTest(unittest.TestCase):
	def test_fastpath_rounds(self):
		r = parse(LOG + 'BENCH fastpath 2100 400 250000 6000 32\n'
			  'BENCH fastpath 1900 380 240000 5800 31\n')
		self.assertEqual(r['fastpath'], [
			{'fault4k': 2100, 'unmap4k': 400, 'fault2m': 250000, 'unmap2m': 6000, 'huge': 32},
			{'fault4k': 1900, 'unmap4k': 380, 'fault2m': 240000, 'unmap2m': 5800, 'huge': 31}])
		self.assertEqual(r['parse_errors'], [])

	def test_short_fastpath_line_fails_the_run(self):
		r = parse(LOG + 'BENCH fastpath 2100 400 250000 6000\n')
		self.assertEqual(r['fastpath'], [])
		self.assertTrue(r['parse_errors'][0].startswith('bad BENCH fastpath line'), r)

	def test_fastpath_is_a_workload(self):
		self.assertEqual(bench.WORKLOADS['fastpath'], [('fastpath', '2G')])


class BenchRunsFileTest(unittest.TestCase):
	def setUp(self):
		self.dir = tempfile.mkdtemp()

	def tearDown(self):
		shutil.rmtree(self.dir)

	def test_new_dir_gets_an_empty_runs_file(self):
		out = os.path.join(self.dir, 'new')
		with bench.open_runs(out) as f:
			f.write('{}\n')
		self.assertTrue(os.path.isdir(os.path.join(out, 'logs')))
		with open(os.path.join(out, 'runs.jsonl'), encoding='utf-8') as f:
			self.assertEqual(f.read(), '{}\n')

	def test_empty_runs_file_is_started_afresh(self):
		open(os.path.join(self.dir, 'runs.jsonl'), 'w', encoding='utf-8').close()
		with bench.open_runs(self.dir) as f:
			f.write('{"run": 1}\n')
		with open(os.path.join(self.dir, 'runs.jsonl'), encoding='utf-8') as f:
			self.assertEqual(f.read(), '{"run": 1}\n')

	def test_old_runs_are_never_added_to(self):
		path = os.path.join(self.dir, 'runs.jsonl')
		with open(path, 'w', encoding='utf-8') as f:
			f.write('{"run": "old"}\n')
		with self.assertRaises(SystemExit) as cm:
			bench.open_runs(self.dir)
		self.assertIn('already holds runs', str(cm.exception.code))
		with open(path, encoding='utf-8') as f:
			self.assertEqual(f.read(), '{"run": "old"}\n')

	def test_bench_refuses_an_old_out_dir_before_booting(self):
		path = os.path.join(self.dir, 'runs.jsonl')
		with open(path, 'w', encoding='utf-8') as f:
			f.write('{"run": "old"}\n')
		missing = os.path.join(self.dir, 'missing')
		p = subprocess.run([sys.executable, BENCH, '--kernel', f'stock={missing}',
				    '--initrd', missing, '--out', self.dir, '--runs', '1',
				    '--workloads', 'thp'],
				   capture_output=True, text=True, check=False, timeout=120)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('already holds runs', p.stderr)
		self.assertEqual(os.listdir(os.path.join(self.dir, 'logs')), [])
		with open(path, encoding='utf-8') as f:
			self.assertEqual(f.read(), '{"run": "old"}\n')

	def run_fake_boot(self, kernel, workload, before='', after=''):
		"""bench.run_one() with a boot.sh that runs @before, writes a guest
		log saying "status ok", then runs @after."""
		fake = os.path.join(self.dir, 'boot.sh')
		with open(fake, 'w', encoding='utf-8') as f:
			f.write(before + 'while [ "$1" != -l ]; do shift; done\n'
				'printf "BENCH status ok\\nHARNESS_DONE\\n" > "$2"\n' + after)
		args = argparse.Namespace(out=self.dir, initrd='initrd', cpus=2, timeout=60)
		os.makedirs(os.path.join(self.dir, 'logs'))
		saved, bench.BOOT = bench.BOOT, fake
		try:
			return bench.run_one(args, kernel, 'bzImage', workload, workload, '2G', 1)
		finally:
			bench.BOOT = saved

	def test_boot_failure_is_named(self):
		# the guest said "status ok", but boot.sh failed (here: results.py
		# could not judge the log): the run fails with boot.sh's reason
		rec = self.run_fake_boot('stock', 'holes', after=(
			'echo "results: KUNIT_DIR must name the kernel tree\'s tools/testing/kunit"\n'
			'exit 1\n'))
		self.assertEqual(rec['status'], 'ok')
		self.assertFalse(rec['ok'])
		self.assertEqual(rec['why'], "boot.sh exit 1: results: KUNIT_DIR must name the kernel tree's "
				 'tools/testing/kunit')

	def test_guest_memory_is_backed_before_it_boots(self):
		# every bench boot asks QEMU to back all guest memory at its start:
		# a THP fault on a block the guest never wrote cost QEMU's host
		# faults (7 ms against 2.5 ms), on every kernel, and made thp's p99
		seen = os.path.join(self.dir, 'args')
		rec = self.run_fake_boot('ours', 'thp', before=f'printf "%s\\n" "$@" > {seen}\n')
		self.assertTrue(rec['ok'])
		with open(seen, encoding='utf-8') as f:
			argv = f.read().split('\n')
		qemu = [argv[i + 1] for i, a in enumerate(argv[:argv.index('--')]) if a == '-X']
		self.assertIn('-mem-prealloc', ' '.join(qemu).split())

	def test_mixed_unmovable_is_a_workload(self):
		self.assertEqual(bench.WORKLOADS['mixed-unmovable'], [('mixed-unmovable', '2G')])


if __name__ == '__main__':
	unittest.main()
