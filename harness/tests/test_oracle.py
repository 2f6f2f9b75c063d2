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
# Transient pages: B6's ambiguous page is the only one (B3's slab page and
# B5's unevictable LRU page are certainly unmovable). B6 is a "maybe" block
# (16 movable pages); budget = pcp 8 + 7 * 31 * 2 CPUs = 442 admits it:
# extra 1, used_hist 0, 16, 40, 200 (B0, B6, B2, B1).
# n_max = min(eligible + extra, (pages free + pcp + self) // 512), whatever
# the watermarks (neither low, min nor the gap bounds compact_memory):
#   pages free 3292 (the layout's): 3300 // 512 = 6 -> n_max 4, m_min 256
#   pages free 1016 ("tight"):      1024 // 512 = 2 -> n_max 2, m_min 16
#   pages free 1015:                1023 // 512 = 1 -> n_max 1, m_min 0
#   pages free 1015, self 1 page:   1024 // 512 = 2
START, SPANNED, FREE = 4096, 4096, 3292
TIGHT = 1016
LOW = 800
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


# The transient layout: zone DMA32, start_pfn 8192, nine blocks. "offlru"
# pages are anon and mapped but off the LRU (as in a per-CPU folio batch).
#   blk    contents                                  class  transient  mov
#   T0-T3  free (4 x 512)                            F      -          0
#   M      400 anon, 112 free                        M      -          400
#   T1     100 offlru, 300 anon, 112 free            X      100        300
#   T2     200 offlru, 50 anon, 262 free             X      200        50
#   T3     300 offlru, 10 anon, 202 free             X      300        10
#   S      1 slab, 5 offlru, 5 anon, 501 free        X      (certain)  5
# Free pages: 2048 + 112 + 112 + 262 + 202 + 501 = 3237.
# One CPU, pcp 0: budget 217 admits T1 (100; 100 + 200 > 217): extra 1,
#   and the histogram takes the maybe block with the fewest movable pages,
#   T3 (10), not T1: candidates 0 x4, 10, 400; by_free 3237 // 512 = 6:
#   n_max 6, m_min 410.
# Two CPUs, pcp 8: budget 442 admits T1 and T2 (300; + 300 > 442): extra 2,
#   histogram + T3 (10) + T2 (50); by_free 3245 // 512 = 6: n_max 6,
#   m_min 0 x4 + 10 + 50 = 60 (taking the admitted T1 and T2: 350).
T_START = 8192
F_OFFLRU = F_ANON & ~bits(LRU)


def transient_layout():
	lay = Layout(T_START + 9 * 512, T_START, 9 * 512)
	lay.put(0, F_NOPAGE, n=T_START)
	b = [T_START + 512 * i for i in range(9)]
	for i in range(4):
		lay.free_range(b[i], b[i] + 512)
	lay.put(b[4], F_ANON, 1, n=400)
	lay.free_range(b[4] + 400, b[4] + 512)
	for blk, (trans, mov) in zip(b[5:8], ((100, 300), (200, 50), (300, 10))):
		lay.put(blk, F_OFFLRU, 1, n=trans)
		lay.put(blk + trans, F_ANON, 1, n=mov)
		lay.free_range(blk + trans + mov, blk + 512)
	lay.put(b[8], F_SLAB)
	lay.put(b[8] + 1, F_OFFLRU, 1, n=5)
	lay.put(b[8] + 6, F_ANON, 1, n=5)
	lay.free_range(b[8] + 11, b[8] + 512)
	return lay


def status(rss_anon_kb, pte_kb):
	"""/proc/self/status, trimmed, as 6.12 writes it."""
	return ('Name:\toracle\nVmRSS:\t    %d kB\nRssAnon:\t    %d kB\n'
		'RssFile:\t     812 kB\nVmPTE:\t      %d kB\nThreads:\t1\n'
		% (rss_anon_kb + 812, rss_anon_kb, pte_kb))


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

	def fake(self, lay, free, low=LOW, unevictable=0, pcp=PCP, self_kb=(0, 0)):
		lay.write(self.root)
		with open(os.path.join(self.root, 'proc/zoneinfo'), 'w', encoding='utf-8') as f:
			f.write(zoneinfo(lay.start, lay.spanned, free, low, pcp))
		os.makedirs(os.path.join(self.root, 'proc/self'), exist_ok=True)
		with open(os.path.join(self.root, 'proc/self/status'), 'w', encoding='utf-8') as f:
			f.write(status(*self_kb))
		with open(os.path.join(self.root, 'proc/sys/vm/compact_unevictable_allowed'),
			  'w', encoding='utf-8') as f:
			f.write('%d\n' % unevictable)

	def run_oracle(self, *args, ok=True):
		mapfile = os.path.join(self.root, 'map')
		usedfile = os.path.join(self.root, 'used')
		p = subprocess.run([self.oracle, '--root', self.root, '--map', mapfile,
				    '--used', usedfile, *args],
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
		with open(usedfile, encoding='utf-8') as f:
			used = f.read().splitlines()
		self.assertEqual(len(used), 1)
		self.assertEqual(used[0].split()[:3], [node, zone, start])
		self.used = used[0].split()[3:]
		self.assertEqual(len(self.used), len(classes))
		return lines[0], lines[1], classes

	def check(self, z, classes, want_classes, eligible, n_max, m_min):
		self.assertEqual(classes, want_classes)
		self.assertEqual(z['eligible'], eligible)
		self.assertEqual(z['n_max'], n_max)
		self.assertEqual(z['m_min'], m_min)

	def test_default_layout(self):
		# pages free 3292: by_free 6; eligible B0, B1, B2 and the maybe
		# block B6: n_max 4, m_min = 0 + 16 + 40 + 200 = 256
		self.fake(main_layout(), FREE)
		z, tot, classes = self.run_oracle()
		self.check(z, classes, 'FMMXUXXH', 3, 4, 256)
		want = {'node': 0, 'start_pfn': 4096, 'end_pfn': 8192, 'blocks': 8,
			'free_blocks': 1, 'movable_blocks': 2, 'unmovable_blocks': 1,
			'mixed_blocks': 3, 'hole_blocks': 1, 'used_movable': 288,
			'used_unmovable': 514, 'free_inferred': 3292,
			'pages_free_before': 3292, 'pages_free_after': 3292,
			'min': LOW * 4 // 5, 'low': LOW, 'pcp': 8, 'ncpu': 2, 'ambiguous': 1,
			'offlru': 0, 'budget': 8 + 7 * 31 * 2, 'extra': 1, 'self': 0,
			'by_free': 6, 'hole_pages': 1, 'buddy_tails': 'unmarked',
			'used_hist': [[0, 1], [16, 1], [40, 1], [200, 1]]}
		self.assertEqual({k: z[k] for k in want}, want)
		self.assertNotIn('gap', z)
		# movable pages per block, '-' for the hole block
		self.assertEqual(self.used, ['0', '200', '40', '8', '0', '24', '16', '-'])
		# one zone: the totals are its figures
		self.assertIsNone(tot['node'])
		self.assertEqual({k: tot[k] for k in want if k != 'node'},
				 {k: want[k] for k in want if k != 'node'})
		self.assertEqual((tot['n_max'], tot['m_min'], tot['eligible']), (4, 256, 3))

	def test_limit_is_free_memory_not_watermarks(self):
		# (pages free, pcp, self kB (RssAnon, VmPTE), low) -> n_max, m_min;
		# the low (and min) watermark changes nothing
		cases = [((TIGHT, PCP, (0, 0), LOW), (2, 16)),
			 ((TIGHT, PCP, (0, 0), 0), (2, 16)),
			 ((TIGHT, PCP, (0, 0), 3000), (2, 16)),
			 ((FREE, PCP, (0, 0), 3000), (4, 256)),
			 ((TIGHT - 1, PCP, (0, 0), LOW), (1, 0)),
			 ((TIGHT - 1, PCP, (4, 0), LOW), (2, 16)),
			 ((TIGHT - 1, PCP, (0, 4), LOW), (2, 16)),
			 ((TIGHT, (0, 0), (0, 0), LOW), (1, 0))]
		for (free, pcp, self_kb, low), (n_max, m_min) in cases:
			with self.subTest(free=free, pcp=pcp, self_kb=self_kb, low=low):
				self.fake(main_layout(), free, low, pcp=pcp, self_kb=self_kb)
				z, _, classes = self.run_oracle()
				self.check(z, classes, 'FMMXUXXH', 3, n_max, m_min)
				self.assertEqual(z['by_free'], (free + sum(pcp) + sum(self_kb) // 4) // 512)

	def test_unevictable_allowed(self):
		# sysctl 1: B5 (25 used) is eligible: 0, 200, 40, 25 and B6's 16;
		# n_max 5 (by_free 6), m_min 281; tight: 2 -> 0 + 16
		self.fake(main_layout(), FREE, unevictable=1)
		z, _, classes = self.run_oracle()
		self.check(z, classes, 'FMMXUMXH', 4, 5, 281)
		self.assertEqual((z['used_movable'], z['used_unmovable']), (289, 513))
		self.assertEqual(self.used[5], '25')
		self.fake(main_layout(), TIGHT, unevictable=1)
		z, _, classes = self.run_oracle()
		self.check(z, classes, 'FMMXUMXH', 4, 2, 16)
		# --unevictable 0 overrides the sysctl: back to the default figures
		self.fake(main_layout(), FREE, unevictable=1)
		z, _, classes = self.run_oracle('--unevictable', '0')
		self.check(z, classes, 'FMMXUXXH', 3, 4, 256)

	def test_unevictable_option_overrides_sysctl(self):
		self.fake(main_layout(), FREE, unevictable=0)
		z, _, classes = self.run_oracle('--unevictable', '1')
		self.check(z, classes, 'FMMXUMXH', 4, 5, 281)

	def test_ambiguous_free(self):
		# B6's flagless page counts as free: B6 (16 used) is eligible, no
		# maybe block left: 0, 200, 40, 16
		self.fake(main_layout(), FREE)
		z, _, classes = self.run_oracle('--ambiguous-free')
		self.check(z, classes, 'FMMXUXMH', 4, 4, 256)
		self.assertEqual(z['extra'], 0)
		self.assertEqual((z['free_inferred'], z['ambiguous'], z['pcp']), (3292, 1, 8))
		self.fake(main_layout(), TIGHT)
		z, _, classes = self.run_oracle('--ambiguous-free')
		self.check(z, classes, 'FMMXUXMH', 4, 2, 16)

	def test_both_optimistic(self):
		# sysctl 1 and --ambiguous-free: 5 eligible (0, 200, 40, 25, 16)
		self.fake(main_layout(), FREE, unevictable=1)
		z, _, classes = self.run_oracle('--ambiguous-free')
		self.check(z, classes, 'FMMXUMMH', 5, 5, 281)

	def test_transient_budget(self):
		# see the transient layout's table
		for pcp, extra, hist, m_min in (((0,), 1, [[0, 4], [10, 1], [400, 1]], 410),
						(PCP, 2, [[0, 4], [10, 1], [50, 1], [400, 1]], 60)):
			with self.subTest(pcp=pcp):
				self.fake(transient_layout(), 3237, pcp=pcp)
				z, _, classes = self.run_oracle()
				self.check(z, classes, 'FFFFMXXXX', 5, 6, m_min)
				self.assertEqual((z['offlru'], z['budget'], z['extra'], z['used_hist']),
						 (605, sum(pcp) + 7 * 31 * len(pcp), extra, hist))
				self.assertEqual(self.used, ['0', '0', '0', '0', '400', '300', '50', '10', '5'])

	def test_marked_tails_and_partial_blocks(self):
		# see the marked layout's diagram; pages free 517, pcp 8: by_free
		# 1; the X block holds only ambiguous pages besides movable ones
		self.fake(marked_layout(), 517, 0)
		z, _, classes = self.run_oracle()
		self.assertEqual(classes, 'HFXH')
		want = {'start_pfn': 1000, 'end_pfn': 2124, 'blocks': 4,
			'free_blocks': 1, 'eligible': 1, 'movable_blocks': 0,
			'mixed_blocks': 1, 'hole_blocks': 2, 'free_inferred': 517,
			'ambiguous': 3, 'used_movable': 580, 'used_unmovable': 24,
			'hole_pages': 0, 'extra': 1, 'by_free': 1, 'n_max': 1, 'm_min': 0,
			'buddy_tails': 'marked', 'used_hist': [[0, 1], [504, 1]]}
		self.assertEqual({k: z[k] for k in want}, want)
		self.assertEqual(self.used, ['-', '0', '504', '-'])
		# the head-only reading, forced: 1541 over-counted as free
		z, _, classes = self.run_oracle('--buddy-tails', 'unmarked')
		self.assertEqual(classes, 'HFXH')
		self.assertEqual((z['free_inferred'], z['ambiguous'], z['eligible'],
				  z['buddy_tails']), (518, 2, 1, 'unmarked'))

	def test_movable_definition(self):
		# see the probe layout's table; probes 11 and 12 are offlru
		for sysctl, want in ((0, 'MMMUUUUUUUUUU'), (1, 'MMMUUUUUUMMUU')):
			with self.subTest(compact_unevictable_allowed=sysctl):
				self.fake(probe_layout(), 13 * 511, 0, unevictable=sysctl)
				z, _, classes = self.run_oracle('--ambiguous-free')
				self.assertEqual(classes, want)
				movable = want.count('M')
				self.assertEqual((z['used_movable'], z['used_unmovable'], z['ambiguous'],
						  z['offlru']), (movable, 13 - movable, 0, 2))
				self.assertEqual(z['free_inferred'], 13 * 511)

	def test_missing_kpageflags(self):
		self.fake(main_layout(), FREE, TIGHT)
		os.unlink(os.path.join(self.root, 'proc/kpageflags'))
		p = self.run_oracle(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('kpageflags', p.stderr)
		self.assertIn('No such file', p.stderr)
		self.assertEqual(p.stdout, '')

	def test_missing_self_status(self):
		self.fake(main_layout(), FREE)
		os.unlink(os.path.join(self.root, 'proc/self/status'))
		p = self.run_oracle(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('status', p.stderr)

	def test_bad_zoneinfo(self):
		self.fake(main_layout(), FREE, TIGHT)
		with open(os.path.join(self.root, 'proc/zoneinfo'), 'w', encoding='utf-8') as f:
			f.write(zoneinfo(START, SPANNED, FREE, TIGHT, PCP).replace('low      1016', 'low      x'))
		p = self.run_oracle(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('zoneinfo', p.stderr)

	def test_missing_sysctl_needs_option(self):
		self.fake(main_layout(), TIGHT)
		os.unlink(os.path.join(self.root, 'proc/sys/vm/compact_unevictable_allowed'))
		p = self.run_oracle(ok=False)
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('compact_unevictable_allowed', p.stderr)
		z, _, _ = self.run_oracle('--unevictable', '0')
		self.assertEqual(z['n_max'], 2)


if __name__ == '__main__':
	unittest.main()
