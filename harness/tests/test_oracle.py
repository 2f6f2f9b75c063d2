# SPDX-License-Identifier: GPL-2.0
"""bench/oracle.c on hand-made page layouts under a fake root: per-pfn
kpageflags/kpagecount files, a zoneinfo in 6.12's format and the
compact_unevictable_allowed sysctl. Every expected figure is worked out by
hand from the diagrams below, never read back from the program."""
import json
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, '..', '..', 'bench', 'oracle.c'))

# include/uapi/linux/kernel-page-flags.h and include/linux/kernel-page-flags.h
REFERENCED, UPTODATE, DIRTY, LRU, ACTIVE, SLAB = 2, 3, 4, 5, 6, 7
BUDDY, MMAP, ANON, SWAPBACKED = 10, 11, 12, 14
HEAD, TAIL, HUGE, UNEVICTABLE, HWPOISON, NOPAGE = 15, 16, 17, 18, 19, 20
THP, OFFLINE, PGTABLE, RESERVED, MLOCKED = 22, 23, 26, 32, 33


def bits(*nrs):
	v = 0
	for n in nrs:
		v |= 1 << n
	return v


F_ANON = bits(LRU, ACTIVE, UPTODATE, DIRTY, MMAP, ANON, SWAPBACKED)
F_FILE = bits(LRU, UPTODATE, REFERENCED)
F_THP_HEAD = F_ANON | bits(HEAD, THP)
F_THP_TAIL = F_ANON | bits(TAIL, THP)
F_SLAB = bits(SLAB)
F_HUGE_HEAD = bits(HEAD, HUGE, UPTODATE, DIRTY)
F_HUGE_TAIL = bits(TAIL, HUGE, UPTODATE, DIRTY)
F_MLOCKED_ANON = F_ANON | bits(UNEVICTABLE, MLOCKED)
F_BUDDY = bits(BUDDY)
F_NOPAGE = bits(NOPAGE)


class Layout:
	"""kpageflags/kpagecount for pfns [0, size); every pfn of the zone
	must be set explicitly, so a forgotten page cannot pass for a free
	tail page."""

	def __init__(self, size, start, spanned):
		self.flags = [None] * size
		self.count = [0] * size
		self.start, self.spanned = start, spanned

	def put(self, pfn, flags, count=0, n=1):
		for p in range(pfn, pfn + n):
			self.flags[p] = flags
			self.count[p] = count

	def free_block(self, head, order, tails_marked=False):
		"""A free buddy block: BUDDY on the head; on the tails too when
		tails_marked (what 6.12 exports), else flags 0 and count 0."""
		assert head % (1 << order) == 0
		self.put(head, F_BUDDY)
		self.put(head + 1, F_BUDDY if tails_marked else 0, n=(1 << order) - 1)

	def free_range(self, lo, hi):
		"""Free [lo, hi) as the buddy allocator would hold it: greedy
		naturally aligned blocks, tails unmarked."""
		while lo < hi:
			order = 0
			while (order < 10 and lo % (2 << order) == 0 and
			       lo + (2 << order) <= hi):
				order += 1
			self.free_block(lo, order)
			lo += 1 << order

	def write(self, root):
		end = self.start + self.spanned
		missing = [p for p in range(self.start, end) if self.flags[p] is None]
		assert not missing, 'layout leaves pfns unset: %s' % missing[:4]
		flags = [0 if f is None else f for f in self.flags]
		with open(os.path.join(root, 'proc/kpageflags'), 'wb') as f:
			f.write(struct.pack('<%dQ' % len(flags), *flags))
		with open(os.path.join(root, 'proc/kpagecount'), 'wb') as f:
			f.write(struct.pack('<%dQ' % len(self.count), *self.count))


def zoneinfo(start, spanned, free, low, pcp_counts):
	"""/proc/zoneinfo as 6.12's zoneinfo_show_print() writes it (trimmed
	stat lists): populated DMA32 on node 0, then unpopulated Normal and
	Movable zones, which the oracle must skip."""
	out = ['Node 0, zone    DMA32',
	       '  per-node stats',
	       '      nr_inactive_anon 12',
	       '      nr_active_anon 345',
	       '      nr_free_cma  0',
	       '  pages free     %d' % free,
	       '        boost    0',
	       '        min      %d' % (low * 4 // 5),
	       '        low      %d' % low,
	       '        high     %d' % (low * 6 // 5),
	       '        promo    %d' % (low * 7 // 5),
	       '        spanned  %d' % spanned,
	       '        present  %d' % spanned,
	       '        managed  %d' % (spanned - 100),
	       '        cma      0',
	       '        protection: (0, 0, 0, 0, 0)',
	       '      nr_free_pages %d' % free,
	       '      nr_zone_inactive_anon 12',
	       '      nr_zone_active_anon 345',
	       '      numa_hit     1000',
	       '  pagesets']
	for cpu, count in enumerate(pcp_counts):
		out += ['    cpu: %d' % cpu,
			'              count: %d' % count,
			'              high:  %d' % (4 * low),
			'              batch: 63',
			'  vm stats threshold: 24']
	out += ['  node_unreclaimable:  0',
		'  start_pfn:           %d' % start]
	for name in ('Normal', 'Movable'):
		out += ['Node 0, zone %8s' % name,
			'  pages free     0',
			'        boost    0',
			'        min      0',
			'        low      0',
			'        high     0',
			'        promo    0',
			'        spanned  0',
			'        present  0',
			'        managed  0',
			'        cma      0',
			'        protection: (0, 0, 0, 0, 0)']
	return '\n'.join(out) + '\n'


# The main layout: one zone, DMA32, pfns 4096..8191 (spanned 4096), eight
# pageblocks B0..B7 of 512 pfns; offsets are within the block. Buddy
# heads carry BUDDY only, their tails flags 0 and count 0 (unmarked
# tails); free runs are cut into the greedy aligned blocks the buddy
# allocator would hold, so each inferred extent ends at a flagged page or
# at the next BUDDY head and matches the run exactly.
#
#  blk  pfns       offsets: contents                               free used
#  B0   4096-4607  0: order-9 head, 1-511 flagless tails          512    0
#                  (4096 is 1024-aligned, but order 10 would take
#                  B1's head at 4608, so the extent stops at 9)
#  B1   4608-5119  0-311 free | 312-461 anon LRU (150, mapcount 1)  312  200 mov
#                  | 462-511 file LRU, unmapped (50, mapcount 0)
#  B2   5120-5631  0-471 free | 472-479 anon (8) |                  472   40 mov
#                  480-511 one order-5 anon THP (head + 31 tails)
#  B3   5632-6143  0 slab | 1-503 free | 504-511 anon (8)          503  8 mov + 1 unmov
#  B4   6144-6655  one 2 MiB hugetlb page (HEAD|HUGE, 511 TAIL|HUGE)  0  512 unmov
#  B5   6656-7167  0-486 free | 487 anon LRU UNEVICTABLE+MLOCKED  487  24 mov + 1 unevictable
#                  | 488-511 anon (24)
#  B6   7168-7679  0 flagless, mapcount 0, not in a buddy extent  495  16 mov + 1 ambiguous
#                  (ambiguous) | 1-495 free | 496-511 anon (16)
#  B7   7680-8191  0-510 free | 511 NOPAGE (hole)                 511    0
#
# Free pages: 512+312+472+503+0+487+495+511 = 3292 (= "pages free").
# Default (compact_unevictable_allowed 0, ambiguous unmovable):
#   classes F M M X U X X H: B3 slab+anon, B5 unevictable+anon, B6
#   ambiguous+anon are mixed; B4 all unmovable; B7 has a hole.
#   eligible = B0, B1, B2 = 3, used 0, 200, 40.
#   used_movable = 200+40+8+24+16 = 288; used_unmovable = 1+512+1 = 514
#   (the ambiguous page is counted apart); ambiguous 1; hole_pages 1;
#   3292+288+514+1+1 = 4096 = spanned.
# compact_unevictable_allowed 1: B5 -> M with 24+1 = 25 used; used_movable
#   289, used_unmovable 513.
# --ambiguous-free: B6 -> M with 16 used (free_inferred stays 3292).
#
# n_max = min(eligible, max(0, (3292 - low - 1024) // 512)):
#   low  800 ("tight"):   (3292-800-1024)  = 1468 // 512 = 2
#   low  100 ("roomy"):   (3292-100-1024)  = 2168 // 512 = 4
#   low 3000 ("starved"): (3292-3000-1024) = -732 -> 0
START, SPANNED, FREE = 4096, 4096, 3292
TIGHT, ROOMY, STARVED = 800, 100, 3000
PCP = (3, 5)		# two CPUs: pcp = 3 + 5 = 8


def main_layout():
	lay = Layout(START + SPANNED, START, SPANNED)
	lay.put(0, F_NOPAGE, n=START)		# below the zone, never read
	b = [START + 512 * i for i in range(8)]
	lay.free_block(b[0], 9)
	lay.free_range(b[1], b[1] + 312)
	lay.put(b[1] + 312, F_ANON, 1, n=150)
	lay.put(b[1] + 462, F_FILE, 0, n=50)
	lay.free_range(b[2], b[2] + 472)
	lay.put(b[2] + 472, F_ANON, 1, n=8)
	lay.put(b[2] + 480, F_THP_HEAD, 1)
	lay.put(b[2] + 481, F_THP_TAIL, 1, n=31)
	lay.put(b[3], F_SLAB)
	lay.free_range(b[3] + 1, b[3] + 504)
	lay.put(b[3] + 504, F_ANON, 1, n=8)
	lay.put(b[4], F_HUGE_HEAD, 1)
	lay.put(b[4] + 1, F_HUGE_TAIL, 0, n=511)
	lay.free_range(b[5], b[5] + 487)
	lay.put(b[5] + 487, F_MLOCKED_ANON, 1)
	lay.put(b[5] + 488, F_ANON, 1, n=24)
	lay.put(b[6], 0, 0)			# ambiguous
	lay.free_range(b[6] + 1, b[6] + 496)
	lay.put(b[6] + 496, F_ANON, 1, n=16)
	lay.free_range(b[7], b[7] + 511)
	lay.put(b[7] + 511, F_NOPAGE)
	return lay


# The marked-tails layout (what 6.12 really exports: every page of a free
# block has BUDDY). Zone DMA32, start_pfn 1000, spanned 1124, so pfns
# 1000..2123; blocks from 512 (= 1000 & ~511) to 2560:
#
#  pfns        contents                                        class
#  512-999     outside the zone: BUDDY (must not be counted)
#  1000-1023   in the zone: slab (24)                          H (partial)
#  1024-1535   a free order-9 block, BUDDY on all 512 pages    F
#  1536-1537   a free order-1 block, BUDDY on both             X
#  1538-1539   flagless kernel pages, mapcount 0 (ambiguous)
#  1540        a free order-0 page (BUDDY)
#  1541        flagless kernel page, mapcount 0 (ambiguous)
#  1542-1543   a free order-1 block, BUDDY on both
#  1544-2047   anon LRU (504)
#  2048-2123   anon LRU (76)                                   H (partial)
#  2124-2559   outside the zone: BUDDY
#
# auto sees BUDDY on 1024 and 1025 (an even pfn and the next): tails
# marked, a page is free iff it has BUDDY: free_inferred = 512+2+1+2 =
# 517, ambiguous 3 (1538, 1539, 1541), used_movable 504+76 = 580,
# used_unmovable 24; 517+3+580+24 = 1124 = spanned. Map H F X H,
# eligible 1.
# Forced --buddy-tails unmarked, every BUDDY page is a head:
#   1024..1535: each head's order-1 window holds a BUDDY page: order 0
#     each, 512 free;
#   1536: order 1 would take 1537 (BUDDY): order 0, and 1537 order 0, so
#     1538-1539 stay ambiguous (without the "no other BUDDY" rule 1536
#     would grow to order 3 over 1536-1543: 520 free, 0 ambiguous);
#   1540: 1541 is flagless: order 1 (the documented over-count); order 2
#     would take 1542 (BUDDY);
#   1542, 1543: order 0 each.
#   free 512+2+2+2 = 518, ambiguous 2, map still H F X H, eligible 1.
M_START, M_SPANNED = 1000, 1124


def marked_layout():
	lay = Layout(2560, M_START, M_SPANNED)
	lay.put(0, F_NOPAGE, n=512)
	lay.put(512, F_BUDDY, n=488)
	lay.put(1000, F_SLAB, 1, n=24)
	lay.free_block(1024, 9, tails_marked=True)
	lay.free_block(1536, 1, tails_marked=True)
	lay.put(1538, 0, 0, n=2)
	lay.free_block(1540, 0, tails_marked=True)
	lay.put(1541, 0, 0)
	lay.free_block(1542, 1, tails_marked=True)
	lay.put(1544, F_ANON, 1, n=504)
	lay.put(2048, F_ANON, 1, n=76)
	lay.put(2124, F_BUDDY, n=436)
	return lay


# One probe page per block, to pin each clause of "movable": zone DMA32,
# start_pfn 2048, 13 blocks; block k holds probe k at offset 0 and free
# pages (offsets 1-511, tails unmarked) after it, so the block is M if the
# probe is movable and U if not. Run with --ambiguous-free, so that a probe
# taken for a flagless page would make its block F instead.
#   k  probe                                  sysctl 0  sysctl 1
#   0  anon LRU, mapcount 1                   M         M
#   1  file LRU, unmapped (mapcount 0)        M         M
#   2  THP tail: COMPOUND_TAIL|THP + anon LRU M         M
#   3  LRU + SLAB                             U         U
#   4  LRU + HUGE                             U         U
#   5  LRU + PGTABLE                          U         U
#   6  LRU + RESERVED                         U         U
#   7  LRU + OFFLINE                          U         U
#   8  LRU + HWPOISON                         U         U
#   9  LRU + UNEVICTABLE                      U         M
#  10  LRU + MLOCKED                          U         M
#  11  flags 0, mapcount 1 (used, not blank)  U         U
#  12  anon, mapped, not on the LRU           U         U
# (On 6.12 some rows cannot happen, e.g. slab or hugetlb folios never have
# PG_lru, and mapcount > 0 sets KPF_MMAP; they pin the definitions.)
P_START = 2048
PROBES = [
	F_ANON,
	F_FILE,
	F_THP_TAIL,
	F_ANON | bits(SLAB),
	F_ANON | bits(HUGE),
	F_ANON | bits(PGTABLE),
	F_ANON | bits(RESERVED),
	F_ANON | bits(OFFLINE),
	F_ANON | bits(HWPOISON),
	F_ANON | bits(UNEVICTABLE),
	F_ANON | bits(MLOCKED),
	0,
	F_ANON & ~bits(LRU),
]


def probe_layout():
	spanned = 512 * len(PROBES)
	lay = Layout(P_START + spanned, P_START, spanned)
	lay.put(0, F_NOPAGE, n=P_START)
	for k, flags in enumerate(PROBES):
		b = P_START + 512 * k
		lay.put(b, flags, 0 if flags == F_FILE else 1)
		lay.free_range(b + 1, b + 512)
	return lay


class OracleTest(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		cls.bindir = tempfile.mkdtemp()
		cls.oracle = os.path.join(cls.bindir, 'oracle')
		p = subprocess.run(['gcc', '-O2', '-Wall', '-Werror', '-o', cls.oracle, SRC],
				   capture_output=True, text=True, check=False)
		if p.returncode:
			raise AssertionError('gcc failed:\n' + p.stderr)

	@classmethod
	def tearDownClass(cls):
		shutil.rmtree(cls.bindir)

	def setUp(self):
		self.root = tempfile.mkdtemp()
		os.makedirs(os.path.join(self.root, 'proc/sys/vm'))

	def tearDown(self):
		shutil.rmtree(self.root)

	def fake(self, lay, free, low, unevictable=0, pcp=PCP):
		lay.write(self.root)
		with open(os.path.join(self.root, 'proc/zoneinfo'), 'w', encoding='utf-8') as f:
			f.write(zoneinfo(lay.start, lay.spanned, free, low, pcp))
		with open(os.path.join(self.root, 'proc/sys/vm/compact_unevictable_allowed'),
			  'w', encoding='utf-8') as f:
			f.write('%d\n' % unevictable)

	def run_oracle(self, *args, ok=True):
		mapfile = os.path.join(self.root, 'map')
		p = subprocess.run([self.oracle, '--root', self.root, '--map', mapfile, *args],
				   capture_output=True, text=True, check=False)
		if not ok:
			return p
		self.assertEqual(p.returncode, 0, p.stderr)
		lines = [json.loads(line) for line in p.stdout.splitlines()]
		self.assertEqual([z['zone'] for z in lines], ['DMA32', 'total'])
		with open(mapfile, encoding='utf-8') as f:
			maps = f.read().splitlines()
		self.assertEqual(len(maps), 1)
		node, zone, start, classes = maps[0].split()
		self.assertEqual((node, zone, int(start)), ('0', 'DMA32', lines[0]['start_pfn']))
		return lines[0], lines[1], classes

	def check(self, z, classes, want_classes, eligible, n_max, m_min):
		self.assertEqual(classes, want_classes)
		self.assertEqual(z['eligible'], eligible)
		self.assertEqual(z['n_max'], n_max)
		self.assertEqual(z['m_min'], m_min)

	def test_default_limited_by_eligible(self):
		# roomy: free allows 4 blocks, only B0, B1, B2 are eligible:
		# n_max 3, m_min = 0 + 40 + 200 = 240
		self.fake(main_layout(), FREE, ROOMY)
		z, tot, classes = self.run_oracle()
		self.check(z, classes, 'FMMXUXXH', 3, 3, 240)
		want = {'node': 0, 'start_pfn': 4096, 'end_pfn': 8192, 'blocks': 8,
			'free_blocks': 1, 'movable_blocks': 2, 'unmovable_blocks': 1,
			'mixed_blocks': 3, 'hole_blocks': 1, 'used_movable': 288,
			'used_unmovable': 514, 'free_inferred': 3292,
			'pages_free_before': 3292, 'pages_free_after': 3292,
			'low': ROOMY, 'gap': 1024, 'pcp': 8, 'ambiguous': 1,
			'hole_pages': 1, 'buddy_tails': 'unmarked'}
		self.assertEqual({k: z[k] for k in want}, want)
		# one zone: the totals are its figures
		self.assertIsNone(tot['node'])
		self.assertEqual({k: tot[k] for k in want if k != 'node'},
				 {k: want[k] for k in want if k != 'node'})
		self.assertEqual((tot['n_max'], tot['m_min'], tot['eligible']), (3, 240, 3))

	def test_default_limited_by_free_memory(self):
		# tight: free allows 2 of the 3 eligible blocks; the emptiest two
		# are B0 (0) and B2 (40): m_min 40 (fullest first: 200+40 = 240;
		# pfn order: B0+B1 = 200)
		self.fake(main_layout(), FREE, TIGHT)
		z, _, classes = self.run_oracle()
		self.check(z, classes, 'FMMXUXXH', 3, 2, 40)

	def test_no_room_above_watermark(self):
		# starved: 3292 - 3000 - 1024 < 0 -> n_max 0, m_min 0
		self.fake(main_layout(), FREE, STARVED)
		z, _, classes = self.run_oracle()
		self.check(z, classes, 'FMMXUXXH', 3, 0, 0)

	def test_unevictable_allowed(self):
		# sysctl 1: B5 (25 used) is eligible: 4 blocks, 0, 200, 40, 25;
		# tight n_max 2 -> B0 + B5 = 0 + 25 = 25
		self.fake(main_layout(), FREE, TIGHT, unevictable=1)
		z, _, classes = self.run_oracle()
		self.check(z, classes, 'FMMXUMXH', 4, 2, 25)
		self.assertEqual((z['used_movable'], z['used_unmovable']), (289, 513))
		# --unevictable 0 overrides the sysctl: back to the default figures
		z, _, classes = self.run_oracle('--unevictable', '0')
		self.check(z, classes, 'FMMXUXXH', 3, 2, 40)

	def test_unevictable_option_overrides_sysctl(self):
		self.fake(main_layout(), FREE, TIGHT, unevictable=0)
		z, _, classes = self.run_oracle('--unevictable', '1')
		self.check(z, classes, 'FMMXUMXH', 4, 2, 25)

	def test_ambiguous_free(self):
		# B6's flagless page counts as free: B6 (16 used) is eligible;
		# 4 blocks, 0, 200, 40, 16; tight n_max 2 -> 0 + 16 = 16
		self.fake(main_layout(), FREE, TIGHT)
		z, _, classes = self.run_oracle('--ambiguous-free')
		self.check(z, classes, 'FMMXUXMH', 4, 2, 16)
		self.assertEqual((z['free_inferred'], z['ambiguous'], z['pcp']), (3292, 1, 8))

	def test_both_optimistic_limited_by_free_memory(self):
		# sysctl 1 and --ambiguous-free: 5 eligible (0, 200, 40, 25, 16);
		# roomy n_max = min(5, 4) = 4 -> 0 + 16 + 25 + 40 = 81
		self.fake(main_layout(), FREE, ROOMY, unevictable=1)
		z, _, classes = self.run_oracle('--ambiguous-free')
		self.check(z, classes, 'FMMXUMMH', 5, 4, 81)

	def test_marked_tails_and_partial_blocks(self):
		# see the marked layout's diagram; pages free 517, low 0:
		# 517 - 0 - 1024 < 0 -> n_max 0
		self.fake(marked_layout(), 517, 0)
		z, _, classes = self.run_oracle()
		self.assertEqual(classes, 'HFXH')
		want = {'start_pfn': 1000, 'end_pfn': 2124, 'blocks': 4,
			'free_blocks': 1, 'eligible': 1, 'movable_blocks': 0,
			'mixed_blocks': 1, 'hole_blocks': 2, 'free_inferred': 517,
			'ambiguous': 3, 'used_movable': 580, 'used_unmovable': 24,
			'hole_pages': 0, 'n_max': 0, 'm_min': 0,
			'buddy_tails': 'marked'}
		self.assertEqual({k: z[k] for k in want}, want)
		# the head-only reading, forced: 1541 over-counted as free
		z, _, classes = self.run_oracle('--buddy-tails', 'unmarked')
		self.assertEqual(classes, 'HFXH')
		self.assertEqual((z['free_inferred'], z['ambiguous'], z['eligible'],
				  z['buddy_tails']), (518, 2, 1, 'unmarked'))

	def test_movable_definition(self):
		# see the probe layout's table
		for sysctl, want in ((0, 'MMMUUUUUUUUUU'), (1, 'MMMUUUUUUMMUU')):
			with self.subTest(compact_unevictable_allowed=sysctl):
				self.fake(probe_layout(), 13 * 511, 0, unevictable=sysctl)
				z, _, classes = self.run_oracle('--ambiguous-free')
				self.assertEqual(classes, want)
				movable = want.count('M')
				self.assertEqual((z['used_movable'], z['used_unmovable'], z['ambiguous']),
						 (movable, 13 - movable, 0))
				self.assertEqual(z['free_inferred'], 13 * 511)

	def test_missing_kpageflags(self):
		self.fake(main_layout(), FREE, TIGHT)
		os.unlink(os.path.join(self.root, 'proc/kpageflags'))
		p = self.run_oracle(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('kpageflags', p.stderr)
		self.assertIn('No such file', p.stderr)
		self.assertEqual(p.stdout, '')

	def test_bad_zoneinfo(self):
		self.fake(main_layout(), FREE, TIGHT)
		with open(os.path.join(self.root, 'proc/zoneinfo'), 'w', encoding='utf-8') as f:
			f.write(zoneinfo(START, SPANNED, FREE, TIGHT, PCP).replace('low      800', 'low      x'))
		p = self.run_oracle(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('zoneinfo', p.stderr)

	def test_missing_sysctl_needs_option(self):
		self.fake(main_layout(), FREE, TIGHT)
		os.unlink(os.path.join(self.root, 'proc/sys/vm/compact_unevictable_allowed'))
		p = self.run_oracle(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('compact_unevictable_allowed', p.stderr)
		z, _, _ = self.run_oracle('--unevictable', '0')
		self.assertEqual(z['n_max'], 2)


if __name__ == '__main__':
	unittest.main()
