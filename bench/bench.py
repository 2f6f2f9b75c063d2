#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench.py - run the compaction workloads on each kernel and keep the raw data.

usage: bench.py --kernel NAME=BZIMAGE [--kernel ...] --initrd CPIO --out DIR
                [--workloads holes,gradient,...] [--runs N]

Every (workload, kernel, run) is one fresh boot of the guest in
harness.mode=bench (bench/guest-bench), with the same memory, CPUs and seed
on every kernel.  The console logs go to DIR/logs/, and one JSON record per
run to DIR/runs.jsonl, which must not exist yet (or be empty): a bench never
adds to the runs of another.  A run whose guest splatted, hung or failed
its data check is recorded with ok=false and its reason; report.py leaves
it out of the figures and says so.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BOOT = os.path.join(HERE, '..', 'harness', 'boot.sh')

# workload -> list of (label, guest memory); scale is holes at four sizes
WORKLOADS = {
	'holes': [('holes', '2G')],
	'gradient': [('gradient', '2G')],
	'quarter': [('quarter', '2G')],
	'mixed': [('mixed', '2G')],
	'mixed-unmovable': [('mixed-unmovable', '2G')],
	'thp': [('thp', '2G')],
	'scale': [('scale-1G', '1G'), ('scale-2G', '2G'), ('scale-4G', '4G'), ('scale-8G', '8G')],
	'proactive': [('proactive', '2G')],
	'proactive50': [('proactive50', '2G')],
	'fastpath': [('fastpath', '2G')],
}
GUEST_WORKLOAD = {'scale': 'holes'}
SEED = 1


def parse(log):
	"""Collect the BENCH lines of one console log into a record."""
	rec = {'oracle_before': [], 'oracle_after': [], 'oracle_late': [],
	       'map_before': [], 'map_after': [], 'map_late': [],
	       'used_before': [], 'used_after': [], 'used_late': [], 'workload_info': [],
	       'faults': [], 'scores': [], 'fastpath': [], 'status': None, 'parse_errors': []}
	with open(log, encoding='utf-8', errors='replace') as f:
		for line in f:
			line = line.rstrip('\r\n')
			if not line.startswith('BENCH '):
				continue
			tag, _, rest = line[6:].partition(' ')
			try:
				parse_line(rec, tag, rest)
			except ValueError as e:	# a garbled line fails the run, not the bench
				rec['parse_errors'].append(f'bad BENCH {tag} line ({e}): {rest[:80]!r}')
	return rec


def parse_line(rec, tag, rest):
	if tag in ('oracle-before', 'oracle-after', 'oracle-late'):
		rec[tag.replace('-', '_')].append(json.loads(rest))
	elif tag in ('map-before', 'map-after', 'map-late'):
		rec[tag.replace('-', '_')].append(rest)
	elif tag in ('used-before', 'used-after', 'used-late'):
		node, zone, start, *used = rest.split()
		rec[tag.replace('-', '_')].append(
			{'node': int(node), 'zone': zone, 'start_pfn': int(start),
			 'used': [None if u == '-' else int(u) for u in used]})
	elif tag == 'workload-info':
		rec['workload_info'].append(rest)
	elif tag in ('vmstat-before', 'vmstat-after', 'compact'):
		rec[tag.replace('-', '_')] = json.loads(rest)
	elif tag == 'fault':
		ns, huge = rest.split()
		rec['faults'].append((int(ns), int(huge)))
	elif tag == 'score':
		t, score, ticks = rest.split()
		rec['scores'].append((float(t), int(score), int(ticks)))
	elif tag == 'fastpath':
		f4, u4, f2, u2, huge = (int(v) for v in rest.split())
		rec['fastpath'].append({'fault4k': f4, 'unmap4k': u4, 'fault2m': f2,
					'unmap2m': u2, 'huge': huge})
	elif tag == 'workload':
		rec['workload_line'] = rest
	elif tag == 'status' and not (rec['status'] or '').startswith('fail'):
		rec['status'] = rest	# a failure, once said, stays


def run_one(args, kernel, bzimage, workload, label, mem, run):
	log = os.path.join(args.out, 'logs', f'{label}-{kernel}-{run}.log')
	guest = GUEST_WORKLOAD.get(workload, workload)
	# -mem-prealloc: QEMU backs all guest memory with host pages before the
	# guest starts.  The guest's touch step (workload.c) writes only down
	# to 6 MiB above the high watermarks, and a THP fault goes down to the
	# low ones: on thp, the last ~7 free blocks were never written, and
	# their faults took 7 ms against 2.5 ms for the ones before, on every
	# kernel, and made thp's p99 (2026-12-01).
	cmd = ['bash', BOOT, '-k', bzimage, '-i', args.initrd, '-l', log, '-m', mem,
	       '-c', str(args.cpus), '-t', str(args.timeout), '-M', 'bench',
	       '-X', '-mem-prealloc', '--',
	       f'harness.workload={guest}', f'harness.seed={SEED}',
	       # built-in KUnit suites (ours has three, one of them takes and
	       # gives back 16 pageblocks) would run before the workload on
	       # one kernel and not the other
	       'kunit.enable=0']
	t0 = time.time()
	p = subprocess.run(cmd, capture_output=True, text=True, check=False)
	rec = parse(log)
	rec.update(workload=workload, label=label, kernel=kernel, run=run, mem=mem,
		   host_seconds=round(time.time() - t0, 1))
	problems = [l for l in p.stdout.splitlines() if l.startswith('results: FAIL')]
	if p.returncode and not problems:	# e.g. results.py could not judge the log
		last = [l for l in (p.stdout + p.stderr).splitlines() if l.strip()][-1:]
		problems = [f'boot.sh exit {p.returncode}: ' + (last[0] if last else 'no output')]
	rec['ok'] = p.returncode == 0 and rec['status'] == 'ok' and not rec['parse_errors']
	if not rec['ok']:
		rec['why'] = '; '.join(problems + rec['parse_errors']) or (rec['status'] or 'no status line')
	return rec


def open_runs(out):
	"""DIR/runs.jsonl, new and empty: refuse to add to an earlier bench's runs."""
	os.makedirs(os.path.join(out, 'logs'), exist_ok=True)
	path = os.path.join(out, 'runs.jsonl')
	if os.path.exists(path) and os.path.getsize(path):
		sys.exit(f'bench: {path} already holds runs; give a new --out '
			 '(each bench starts with an empty runs.jsonl)')
	return open(path, 'w', encoding='utf-8')


def main():
	ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	ap.add_argument('--kernel', action='append', required=True, help='NAME=BZIMAGE')
	ap.add_argument('--initrd', required=True)
	ap.add_argument('--out', required=True)
	ap.add_argument('--workloads', default=','.join(WORKLOADS))
	ap.add_argument('--runs', type=int, default=2)
	ap.add_argument('--cpus', type=int, default=2)
	ap.add_argument('--timeout', type=int, default=1800)
	args = ap.parse_args()

	kernels = [k.split('=', 1) for k in args.kernel]
	wanted = [w for w in args.workloads.split(',') if w]
	bad = [w for w in wanted if w not in WORKLOADS]
	if bad:
		sys.exit(f'bench: unknown workload(s) {", ".join(bad)}; known: {", ".join(WORKLOADS)}')
	with open_runs(args.out) as out:
		for w in wanted:
			for label, mem in WORKLOADS[w]:
				# interleave the kernels run by run, so drift on the host hits both alike
				for run in range(1, args.runs + 1):
					for name, bz in kernels:
						rec = run_one(args, name, bz, w, label, mem, run)
						state = 'ok' if rec['ok'] else 'FAILED: ' + rec['why']
						print(f'bench: {label:10} {name:6} run {run}: {rec["host_seconds"]}s {state}',
						      flush=True)
						out.write(json.dumps(rec) + '\n')
						out.flush()
	return 0


if __name__ == '__main__':
	sys.exit(main())
