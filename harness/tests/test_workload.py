# SPDX-License-Identifier: GPL-2.0
"""bench/workload.c's gradient layout: what stays is chosen by physical
frame number, by a plan that depends only on the seed and the pageblock,
so that every pageblock gets its planned share on every boot. The plan is
checked through "workload plan"; a small real gradient layout on this host
(root only: /proc/PID/pagemap shows pfns to root) must keep exactly the
pages the plan says, whatever pfns it got."""
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, '..', '..', 'bench', 'workload.c'))
BLOCK = 512		# pages per pageblock
PERIOD = 512		# pageblocks per plan period (1 GiB)


def pagemap_pfns(pid, base, pages):
	"""pfn of each present page of [base, base + pages pages) of pid."""
	with open(f'/proc/{pid}/pagemap', 'rb') as f:
		f.seek(base // 4096 * 8)
		ents = struct.unpack(f'<{pages}Q', f.read(pages * 8))
	return [e & ((1 << 55) - 1) for e in ents if e >> 63]


def pfns_visible():
	"""Does this process see pfns in its own pagemap (root)?"""
	buf = bytearray(4096)
	buf[0] = 1
	try:
		with open('/proc/self/pagemap', 'rb') as f:
			import ctypes
			addr = ctypes.addressof((ctypes.c_char * len(buf)).from_buffer(buf))
			f.seek(addr // 4096 * 8)
			ent = struct.unpack('<Q', f.read(8))[0]
	except OSError:
		return False
	return bool(ent >> 63) and bool(ent & ((1 << 55) - 1))


def memfree_kib():
	with open('/proc/meminfo', encoding='utf-8') as f:
		for line in f:
			if line.startswith('MemFree:'):
				return int(line.split()[1])
	return 0


class WorkloadTest(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		cls.bindir = tempfile.mkdtemp()
		cls.workload = os.path.join(cls.bindir, 'workload')
		p = subprocess.run(['gcc', '-O2', '-Wall', '-Wextra', '-Werror', '-o', cls.workload, SRC],
				   capture_output=True, text=True, check=False)
		if p.returncode:
			raise AssertionError('gcc failed:\n' + p.stderr)

	@classmethod
	def tearDownClass(cls):
		shutil.rmtree(cls.bindir)

	def plan(self, seed, pfns):
		p = subprocess.run([self.workload, 'plan', str(seed), *map(str, pfns)],
				   capture_output=True, text=True, check=True)
		return [int(v) for v in p.stdout.split()]

	def test_fastpath_prints_a_line_a_round(self):
		# 8 MiB, 3 rounds: 5 numbers a line; 4 KiB faults cost something,
		# 2 MiB faults (huge or not on this host) cost more than one 4 KiB
		p = subprocess.run([self.workload, 'fastpath', '8', '3'],
				   capture_output=True, text=True, check=True, timeout=60)
		lines = p.stdout.splitlines()
		self.assertEqual(len(lines), 3, p.stdout)
		for line in lines:
			tag, *vals = line.split()
			self.assertEqual(tag, 'FASTPATH')
			f4, u4, f2, u2, huge = map(int, vals)
			self.assertGreater(f4, 0)
			self.assertGreater(f2, f4)
			self.assertLessEqual(huge, 4)
		bad = subprocess.run([self.workload, 'fastpath', '0', '3'],
				     capture_output=True, text=True, check=False)
		self.assertEqual(bad.returncode, 2)

	def test_plan_spreads_every_share_once_per_period(self):
		# each aligned period of 512 pageblocks gets each share from 8 to
		# 504 pages once (8 + j * 496 / 511, j = 0..511), shuffled
		want = sorted(8 + j * 496 // 511 for j in range(PERIOD))
		for seed in (1, 2):
			for period in (0, 3):
				blocks = range(period * PERIOD, (period + 1) * PERIOD)
				got = self.plan(seed, [b * BLOCK for b in blocks])
				self.assertEqual(sorted(got), want)
		first = self.plan(1, [b * BLOCK for b in range(PERIOD)])
		self.assertNotEqual(first, sorted(first))
		self.assertNotEqual(first, self.plan(2, [b * BLOCK for b in range(PERIOD)]))

	def test_plan_is_per_physical_block(self):
		# every pfn of a block has the block's plan; the same seed gives the
		# same plan each time; the period repeats it
		blocks = [0, 1, 77, 511, 512, 100000]
		heads = self.plan(5, [b * BLOCK for b in blocks])
		self.assertEqual(self.plan(5, [b * BLOCK + 511 for b in blocks]), heads)
		self.assertEqual(self.plan(5, [b * BLOCK + 200 for b in blocks]), heads)
		self.assertEqual(self.plan(5, [(b + PERIOD) * BLOCK for b in blocks]), heads)
		self.assertEqual(heads[0], heads[4])	# block 512 is block 0 of the next period

	@unittest.skipUnless(pfns_visible(), 'needs pfns in /proc/PID/pagemap (root)')
	def test_gradient_keeps_by_physical_frame(self):
		if memfree_kib() // 100 > 1 << 20:
			self.skipTest('1% of MemFree is over 1 GiB here')
		ready = os.path.join(self.bindir, 'ready')
		p = subprocess.Popen([self.workload, 'gradient', '1', ready, '7'],
				     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
		try:
			deadline = time.time() + 120
			while not os.path.exists(ready):
				self.assertIsNone(p.poll(), p.stderr.read() if p.poll() is not None else '')
				self.assertLess(time.time(), deadline, 'workload never got ready')
				time.sleep(0.1)
			line = p.stdout.readline()
			m = re.search(r'base=(0x[0-9a-f]+) pages=(\d+)', line)
			self.assertIsNotNone(m, line)
			pfns = pagemap_pfns(p.pid, int(m.group(1), 16), int(m.group(2)))
			p.send_signal(signal.SIGUSR1)
			out, err = p.communicate(timeout=120)
		finally:
			if p.poll() is None:
				p.kill()
				p.wait()
		self.assertEqual(p.returncode, 0, out + err)
		m = re.search(r'kept=(\d+) bad=(\d+)', out)
		self.assertIsNotNone(m, out)
		self.assertEqual(int(m.group(2)), 0, out)
		blocks = sorted({pfn // BLOCK for pfn in pfns})
		plan = dict(zip(blocks, self.plan(7, [b * BLOCK for b in blocks])))
		# every page left is below its block's plan (a page the host's own
		# compaction moved meanwhile may not be: allow 1%)
		off_plan = [pfn for pfn in pfns if pfn % BLOCK >= plan[pfn // BLOCK]]
		self.assertGreater(len(pfns), 1000)
		self.assertLessEqual(len(off_plan), len(pfns) // 100,
				     f'{len(off_plan)} of {len(pfns)} pages kept off the plan')
		# and the pages it kept are the pages left
		self.assertLessEqual(abs(int(m.group(1)) - len(pfns)), len(pfns) // 100, out)


if __name__ == '__main__':
	unittest.main()
