# SPDX-License-Identifier: GPL-2.0
"""trace_abi.py: our include/trace/events/compaction.h gives the format
files of upstream 6.12's, with and without CONFIG_COMPACTION; and the check
catches each kind of break, made on a copy of our header: a field's type or
name, an event gone, the print fmt, the CONFIG_COMPACTION guard, a class
name, another event's prototype.  A comment or spacing change, and a new
prototype for mm_compaction_begin/end, must pass.

The mutations are compared with our own header, so they need no base tree;
the comparison with upstream needs the base tree that 'make base' unpacks
(HARNESS_BASE_TREE, else the Makefile's BASE_TREE), and is skipped
without it.  Needs cpp and python3 only."""
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))
TOOL = os.path.join(TOP, 'harness', 'trace_abi.py')
HEADER = 'include/trace/events/compaction.h'
OURS = os.path.join(TOP, HEADER)

sys.path.insert(0, os.path.join(TOP, 'harness'))
import trace_abi as trace_abi_mod  # noqa: E402


def base_tree():
	"""The pristine base tree: HARNESS_BASE_TREE, else BASE_TREE as the
	Makefile works it out (CACHE and BASE_VERSION from the environment)."""
	path = os.environ.get('HARNESS_BASE_TREE')
	if path:
		return path
	try:
		p = subprocess.run(['make', '-s', '--no-print-directory', '-C', TOP,
				    '--eval', 'trace-abi-base: ; @echo $(BASE_TREE)', 'trace-abi-base'],
				   capture_output=True, text=True, check=False, timeout=60)
	except (OSError, subprocess.TimeoutExpired):
		return None
	return p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None


def trace_abi(ours, upstream):
	"""The command-line tool, in a process of its own."""
	p = subprocess.run([sys.executable, TOOL, ours, upstream],
			   capture_output=True, text=True, check=False)
	return p.returncode, p.stdout + p.stderr


def trace_abi_here(ours, upstream):
	"""The same in this process: a Python start costs more than the check."""
	out = io.StringIO()
	with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
		rc = trace_abi_mod.main([ours, upstream])
	return rc, out.getvalue()


class UpstreamTest(unittest.TestCase):
	def test_same_format_files_as_upstream(self):
		base = base_tree()
		if not base:
			self.skipTest('make cannot say where the base tree is: set HARNESS_BASE_TREE')
		upstream = os.path.join(base, HEADER)
		if not os.path.isfile(upstream):
			self.skipTest(f'no {upstream}: the base tree is not unpacked (make base)')
		rc, out = trace_abi(OURS, upstream)
		self.assertEqual(rc, 0, out)
		self.assertIn('CONFIG_COMPACTION=y: format files identical (15 events)', out)
		self.assertIn('CONFIG_COMPACTION=n (CMA-only build): format files identical (3 events)', out)
		self.assertIn('prototypes differ, as allowed: mm_compaction_begin, mm_compaction_end', out)


class MutationTest(unittest.TestCase):
	"""Each case edits a copy of our header and compares it with ours."""

	@classmethod
	def setUpClass(cls):
		with open(OURS, encoding='utf-8') as f:
			cls.text = f.read()

	def setUp(self):
		self.tmp = tempfile.mkdtemp()

	def tearDown(self):
		shutil.rmtree(self.tmp)

	def mutate(self, *edits):
		"""Apply (old, new, count) edits, each of which must match exactly
		count times (so that a change to the header cannot turn a case into
		a no-op), and run the check on the copy."""
		text = self.text
		for old, new, count in edits:
			self.assertEqual(text.count(old), count, f'{old!r} in {HEADER}')
			text = text.replace(old, new)
		path = os.path.join(self.tmp, 'compaction.h')
		with open(path, 'w', encoding='utf-8') as f:
			f.write(text)
		return trace_abi_here(path, OURS)

	def assertCaught(self, rc, out, *lines):
		self.assertEqual(rc, 1, out)
		self.assertIn('trace ABI: DIFFERS from upstream', out)
		for line in lines:
			self.assertIn(line, out)

	def test_unchanged_passes(self):
		# the CLI itself, once: exit status and report
		rc, out = trace_abi(OURS, OURS)
		self.assertEqual(rc, 0, out)
		self.assertIn('trace ABI: same as upstream', out)

	def test_comments_and_spacing_pass(self):
		rc, out = self.mutate(('__field(int,\t\tstatus)', '__field( int ,  status ) /* why */', 1),
				      ('\t\t__entry->zone_end,\n\t\t__entry->sync ? "sync" : "async",',
				       '__entry->zone_end, /* x */ __entry->sync  ?  "sync"  :  "async",', 1))
		self.assertEqual(rc, 0, out)

	def test_field_type(self):
		rc, out = self.mutate(('__field(int,\t\tstatus)', '__field(long,\t\tstatus)', 1))
		self.assertCaught(rc, out, '-compaction/mm_compaction_end: field:int status;',
				  '+compaction/mm_compaction_end: field:long status;')

	def test_field_renamed(self):
		rc, out = self.mutate(('__field(unsigned int,\tdefer_shift)', '__field(unsigned int,\tshift)', 1),
				      ('__entry->defer_shift', '__entry->shift', 2))
		self.assertCaught(rc, out, '+compaction/mm_compaction_deferred: field:unsigned int shift;',
				  '+compaction/mm_compaction_defer_reset: field:unsigned int shift;')

	def test_event_removed(self):
		m = re.search(r'DEFINE_EVENT\(mm_compaction_defer_template, mm_compaction_defer_reset,.*?\n\);\n',
			      self.text, re.S)
		self.assertTrue(m)
		rc, out = self.mutate((m.group(0), '', 1))
		self.assertCaught(rc, out, '-compaction/mm_compaction_defer_reset: class mm_compaction_defer_template')

	def test_print_fmt_string(self):
		# upstream's comma before "mode=" is ABI, however odd
		rc, out = self.mutate(('zone_end=0x%lx, mode=%s",', 'zone_end=0x%lx mode=%s",', 1))
		self.assertCaught(rc, out, '+compaction/mm_compaction_begin: print fmt: '
				  '"zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx mode=%s"')

	def test_print_fmt_argument(self):
		rc, out = self.mutate(('1UL << __entry->defer_shift', '1U << __entry->defer_shift', 1))
		self.assertCaught(rc, out, 'REC->considered, 1U << REC->defer_shift')

	def test_guard_removed(self):
		# a CMA-only build would get all 15 events instead of the scanners' 3
		rc, out = self.mutate(('#ifdef CONFIG_COMPACTION\n', '', 1),
				      ('#endif /* CONFIG_COMPACTION */\n', '', 1))
		self.assertCaught(rc, out, 'CONFIG_COMPACTION=y: format files identical (15 events)',
				  'CONFIG_COMPACTION=n (CMA-only build): format files DIFFER',
				  '+compaction/mm_compaction_migratepages: class mm_compaction_migratepages')

	def test_guard_moved_over_the_scanners(self):
		# alloc_contig_range() of a CMA-only build would lose its trace events
		rc, out = self.mutate(('#ifdef CONFIG_COMPACTION\n', '', 1),
				      ('DECLARE_EVENT_CLASS(mm_compaction_isolate_template,',
				       '#ifdef CONFIG_COMPACTION\nDECLARE_EVENT_CLASS(mm_compaction_isolate_template,', 1))
		self.assertCaught(rc, out, 'CONFIG_COMPACTION=n (CMA-only build): format files DIFFER',
				  '-compaction/mm_compaction_isolate_migratepages: class mm_compaction_isolate_template')

	def test_class_renamed(self):
		# BTF's struct trace_event_raw_<class>, which BPF programs name
		rc, out = self.mutate(('kcompactd_wake_template', 'kcompactd_wake_class', 3))
		self.assertCaught(rc, out, '+compaction/mm_compaction_kcompactd_wake: class kcompactd_wake_class')

	def test_prototype_of_another_event(self):
		# raw_tp/tp_btf programs see TP_PROTO; only begin/end may differ
		rc, out = self.mutate(('TP_PROTO(int nid),', 'TP_PROTO(unsigned int nid),', 1))
		self.assertCaught(rc, out, 'prototypes DIFFER outside mm_compaction_begin, mm_compaction_end',
				  '+mm_compaction_kcompactd_sleep: TP_PROTO(unsigned int nid) TP_ARGS(nid)')

	def test_prototype_of_begin_is_ours(self):
		rc, out = self.mutate(('TP_PROTO(unsigned long zone_start, unsigned long migrate_pfn,\n'
				       '\t\t unsigned long free_pfn, unsigned long zone_end, bool sync),',
				       'TP_PROTO(unsigned long zone_start, unsigned long migrate_pfn,\n'
				       '\t\t unsigned long free_pfn, unsigned long zone_end, int sync),', 1))
		self.assertEqual(rc, 0, out)
		self.assertIn('prototypes differ, as allowed: mm_compaction_begin', out)

	def test_unreadable_header(self):
		rc, out = trace_abi_here(os.path.join(self.tmp, 'missing.h'), OURS)
		self.assertEqual(rc, 2, out)
		self.assertIn('cannot read', out)


if __name__ == '__main__':
	unittest.main()
