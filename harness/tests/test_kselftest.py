# SPDX-License-Identifier: GPL-2.0
"""Our tests where kernel developers look for them: selftests/mm's own
Makefile and run_vmtests.sh (patches/0004), and mm/tests/.kunitconfig.

- The compaction_* programs that selftests/mm/Makefile builds are the ones
  'make check' runs (SELFTESTS in our Makefile); a program on one side only
  fails the check with its name.  Shown failing with a new compaction_*.c
  that SELFTESTS lacks, and with a SELFTESTS entry that nothing builds.
- harness/build-selftests.sh builds them through that Makefile: static
  programs, the guest's list in the order asked, nothing rebuilt when
  nothing changed, everything rebuilt for another CC, and a failure for a
  program that Makefile does not know.
- run_vmtests.sh -t compaction runs compaction_test, then every other
  compaction_* program (not the sources next to them), and reports one that
  fails or skips.  It runs on stand-in programs in a mount namespace of its
  own (its mounts private to it) whose /proc/sys and /proc/meminfo are fakes, because the script writes
  sysctls whatever category it is asked for; it needs root and unshare(1).
- kunit.py config with mm/tests/.kunitconfig gives a .config with every
  option the file asks for; shown failing on a copy that loses CMA.

All of it runs on a scratch copy of our tree that apply.sh makes from the
base tree 'make base' unpacks (HARNESS_BASE_TREE, else the Makefile's
BASE_TREE), and is skipped without it.  The copy is kept, one per checkout,
under the Makefile's BUILD/host-tests (or HARNESS_SCRATCH), because apply.sh
refreshes it in a second where making and deleting 80,000 hard links takes
ten; it must be on the base tree's filesystem.  The programs are built
against our tree's exported UAPI headers when 'make headers' has made them,
else the system's."""
import hashlib
import os
import shutil
import struct
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, '..', '..'))
APPLY = os.path.join(TOP, 'harness', 'apply.sh')
BUILD_SELFTESTS = os.path.join(TOP, 'harness', 'build-selftests.sh')
MM = 'tools/testing/selftests/mm'
# a make of the kernel's must not see the flags of the make that runs us
ENV = {k: v for k, v in os.environ.items() if k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}

scratch = None		# the kept folder: 'tree' (base + ours + series), KUnit build dirs
work = None		# this run's own folder in it
NEW_PROGRAM = 'compaction_harness_new'	# a test adds it, and removes it again


def make_var(name):
	"""A variable of our Makefile as make works it out, or None."""
	try:
		p = subprocess.run(['make', '-s', '--no-print-directory', '-C', TOP,
				    '--eval', f'harness-var: ; @echo $({name})', 'harness-var'],
				   capture_output=True, text=True, check=False, timeout=60)
	except (OSError, subprocess.TimeoutExpired):
		return None
	return p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None


def base_tree():
	path = os.environ.get('HARNESS_BASE_TREE') or make_var('BASE_TREE')
	return path if path and os.path.isfile(os.path.join(path, 'Makefile')) else None


def setUpModule():
	global scratch, work
	base = base_tree()
	root = os.environ.get('HARNESS_SCRATCH')
	if not root:
		build = make_var('BUILD')
		checkout = hashlib.sha1(TOP.encode()).hexdigest()[:8]
		root = build and os.path.join(build, 'host-tests', checkout)
	if not base or not root:
		return
	tree_dir = os.path.join(root, 'tree')
	# a run that died half-way may have left its new program behind
	path = os.path.join(tree_dir, MM, NEW_PROGRAM + '.c')
	if os.path.lexists(path):
		os.unlink(path)
	os.makedirs(root, exist_ok=True)
	p = subprocess.run(['bash', APPLY, base, tree_dir, TOP],
			   capture_output=True, text=True, check=False)
	if p.returncode != 0:
		raise RuntimeError(f'apply.sh failed:\n{p.stdout}{p.stderr}')
	scratch = root
	work = tempfile.mkdtemp(prefix='run-', dir=root)


def tearDownModule():
	if work:
		shutil.rmtree(work)


def tree():
	if not scratch:
		raise unittest.SkipTest('no base tree: run make base, or set HARNESS_BASE_TREE')
	return os.path.join(scratch, 'tree')


def scratch_path(name, kept=False):
	"""@name in this run's folder, or in the kept one."""
	tree()
	return os.path.join(scratch if kept else work, name)


def kselftest_programs(tree_dir):
	"""The compaction_* programs selftests/mm/Makefile builds, sorted."""
	p = subprocess.run(['make', '-s', '--no-print-directory', '-C', os.path.join(tree_dir, MM),
			    'OUTPUT=' + scratch_path('list-out'),
			    '--eval', 'harness-list: ; @echo $(notdir $(TEST_GEN_FILES))', 'harness-list'],
			   capture_output=True, text=True, check=True, env=ENV)
	return sorted(n for n in p.stdout.split() if n.startswith('compaction_'))


def differences(selftests, built):
	"""Why SELFTESTS (NAME or NAME:extra,...) and the programs built differ: one line each."""
	names = {s.split(':')[0] for s in selftests}
	return ([f'{n}: selftests/mm/Makefile builds it, SELFTESTS lacks it'
		 for n in sorted(set(built) - names)] +
		[f'{n}: in SELFTESTS, selftests/mm/Makefile does not build it'
		 for n in sorted(names - set(built))])


def is_static(path):
	"""True if the ELF file at @path has no PT_INTERP (no dynamic loader)."""
	with open(path, 'rb') as f:
		data = f.read()
	if data[:4] != b'\x7fELF' or data[4] != 2:
		return False
	phoff, = struct.unpack_from('<Q', data, 0x20)
	phentsize, phnum = struct.unpack_from('<HH', data, 0x36)
	return all(struct.unpack_from('<I', data, phoff + i * phentsize)[0] != 3
		   for i in range(phnum))


class ListsTest(unittest.TestCase):
	def test_selftests_are_what_kselftest_builds(self):
		selftests = (make_var('SELFTESTS') or '').split()
		built = kselftest_programs(tree())
		self.assertIn('compaction_test', built)
		self.assertGreater(len(built), 1, 'selftests/mm/Makefile builds none of ours')
		self.assertEqual(differences(selftests, built), [],
				 'keep SELFTESTS in the Makefile and tools/testing/selftests/mm/compaction_*.c in step')

	def test_new_program_is_built_and_must_be_listed(self):
		selftests = (make_var('SELFTESTS') or '').split()
		path = os.path.join(tree(), MM, NEW_PROGRAM + '.c')
		with open(path, 'w', encoding='utf-8') as f:
			f.write('int main(void) { return 0; }\n')
		try:
			built = kselftest_programs(tree())
		finally:
			os.unlink(path)
		self.assertIn(NEW_PROGRAM, built)
		self.assertIn(f'{NEW_PROGRAM}: selftests/mm/Makefile builds it, SELFTESTS lacks it',
			      differences(selftests, built))

	def test_listed_program_nothing_builds(self):
		self.assertEqual(differences(['compaction_test', 'compaction_gone:compaction_util.c'],
					     ['compaction_test']),
				 ['compaction_gone: in SELFTESTS, selftests/mm/Makefile does not build it'])


class BuildTest(unittest.TestCase):
	@classmethod
	def setUpClass(cls):
		build = make_var('BUILD')
		hdr = os.path.join(build, 'headers/usr/include') if build else ''
		cls.hdr = hdr if os.path.isdir(os.path.join(hdr, 'linux')) else '/usr/include'

	def build(self, *names, cc='gcc'):
		return subprocess.run(['bash', BUILD_SELFTESTS, tree(), self.hdr, self.out, *names],
				      capture_output=True, text=True, check=False,
				      env=dict(ENV, CC=cc))

	def setUp(self):
		self.out = scratch_path('selftests-out')

	def tearDown(self):
		shutil.rmtree(self.out, ignore_errors=True)

	def list(self):
		with open(os.path.join(self.out, 'list'), encoding='utf-8') as f:
			return f.read().split()

	def test_static_programs_list_and_rebuilds(self):
		p = self.build('compaction_knobs', 'compaction_test:compaction_util.c')
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		self.assertEqual(self.list(), ['compaction_knobs', 'compaction_test'])
		for name in self.list():
			self.assertTrue(is_static(os.path.join(self.out, name)), f'{name} is not static')
		self.assertRegex(p.stdout, r'CC +compaction_knobs')

		p = self.build('compaction_knobs', 'compaction_test')
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		self.assertNotIn('CC', p.stdout, 'rebuilt with nothing changed')

		p = self.build('compaction_knobs', cc='gcc -DHARNESS_OTHER_CC')
		self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
		self.assertRegex(p.stdout, r'CC +compaction_knobs', 'another CC did not rebuild')
		self.assertEqual(self.list(), ['compaction_knobs'])

	def test_unknown_program_fails(self):
		self.assertEqual(self.build('compaction_test').returncode, 0)
		p = self.build('compaction_test', 'compaction_no_such_test')
		self.assertNotEqual(p.returncode, 0)
		self.assertIn('compaction_no_such_test', p.stderr)
		self.assertEqual(self.list(), ['compaction_test'], 'the list changed on a failed build')


STAND_IN = '#!/bin/sh\necho "stand-in {name}"\nexit {rc}\n'
FAKE_MEMINFO = 'MemTotal: 1048576 kB\nHugePages_Free: 128\nHugepagesize: 2048 kB\n'
SANDBOX = """set -e
mount --make-rprivate /proc
mount -t tmpfs harness /proc/sys
mkdir /proc/sys/vm /proc/sys/kernel
for f in vm/nr_hugepages vm/overcommit_memory kernel/shmmax kernel/shmall; do
	echo 0 > /proc/sys/$f
done
mount --bind "$1" /proc/meminfo
set +e
bash ./run_vmtests.sh -t compaction
"""


def run_sandboxed(meminfo, cwd):
	"""SANDBOX in a new mount namespace, every mount private to it.

	unshare's --propagation private remounts "/" private, which fails with
	EINVAL where "/" is no mount point (a chroot); there the namespace keeps
	the propagation of "/", and SANDBOX has already made /proc, under which
	alone it mounts, private before it mounts anything.
	"""
	for propagation in ('private', 'unchanged'):
		p = subprocess.run(['unshare', '--mount', '--propagation', propagation,
				    'bash', '-c', SANDBOX, 'sandbox', meminfo],
				   capture_output=True, text=True, check=False, cwd=cwd, timeout=120)
		if 'cannot change root filesystem propagation' not in p.stderr:
			break
	return p


@unittest.skipUnless(os.geteuid() == 0 and shutil.which('unshare'), 'needs root and unshare(1)')
class RunVmtestsTest(unittest.TestCase):
	def test_compaction_category(self):
		d = scratch_path('run_vmtests')
		os.makedirs(d)
		try:
			shutil.copy(os.path.join(tree(), MM, 'run_vmtests.sh'), d)
			progs = {'compaction_test': 0, 'compaction_a': 0, 'compaction_b': 1,
				 'compaction_c': 4, 'map_fixed_noreplace': 0}
			for name, rc in progs.items():
				path = os.path.join(d, name)
				with open(path, 'w', encoding='utf-8') as f:
					f.write(STAND_IN.format(name=name, rc=rc))
				os.chmod(path, 0o755)
			for name in ('compaction_util.c', 'compaction_util.h'):	# sources: never run
				path = os.path.join(d, name)
				with open(path, 'w', encoding='utf-8') as f:
					f.write(STAND_IN.format(name=name, rc=0))
				os.chmod(path, 0o755)
			meminfo = os.path.join(d, 'meminfo')
			with open(meminfo, 'w', encoding='utf-8') as f:
				f.write(FAKE_MEMINFO)
			p = run_sandboxed(meminfo, d)
		finally:
			shutil.rmtree(d)
		out = p.stdout
		tap = [l for l in out.splitlines() if l.startswith(('ok ', 'not ok ', '1..'))]
		self.assertEqual(tap, ['ok 1 compaction_test', 'ok 2 compaction_a',
				       'not ok 3 compaction_b # exit=1', 'ok 4 compaction_c # SKIP',
				       '1..4'], out + p.stderr)
		self.assertNotIn('stand-in compaction_util', out)
		self.assertNotIn('stand-in map_fixed_noreplace', out)


class KunitconfigTest(unittest.TestCase):
	def config(self, kunitconfig, name):
		# kept, for its scripts/kconfig, but always configured afresh
		build = scratch_path('kunit-' + name, kept=True)
		for f in ('.config', '.kunitconfig', 'last_used_kunitconfig'):
			if os.path.exists(os.path.join(build, f)):
				os.unlink(os.path.join(build, f))
		p = subprocess.run(['python3', os.path.join(tree(), 'tools/testing/kunit/kunit.py'), 'config',
				    '--arch=x86_64', '--kunitconfig=' + kunitconfig, '--build_dir=' + build],
				   capture_output=True, text=True, check=False, env=ENV, timeout=600)
		config = ''
		if os.path.isfile(os.path.join(build, '.config')):
			with open(os.path.join(build, '.config'), encoding='utf-8') as f:
				config = f.read()
		return p.returncode, p.stdout + p.stderr, config

	def test_every_option_lands(self):
		rc, out, config = self.config('mm/tests', 'ours')
		self.assertEqual(rc, 0, out)
		for opt in ('CONFIG_COMPACTION_KUNIT_TEST=y', 'CONFIG_CONTIG_ALLOC=y'):
			self.assertIn(opt + '\n', config)

	def test_lost_option_fails(self):
		with open(os.path.join(tree(), 'mm/tests/.kunitconfig'), encoding='utf-8') as f:
			text = f.read()
		self.assertEqual(text.count('CONFIG_CMA=y\n'), 1)
		path = scratch_path('no-cma.kunitconfig')
		with open(path, 'w', encoding='utf-8') as f:
			f.write(text.replace('CONFIG_CMA=y\n', ''))
		rc, out, _ = self.config(path, 'no-cma')
		self.assertNotEqual(rc, 0, out)
		self.assertIn('CONFIG_CONTIG_ALLOC=y', out)


if __name__ == '__main__':
	unittest.main()
