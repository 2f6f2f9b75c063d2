#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - turn bench.py's runs.jsonl into the comparison table.

usage: report.py DIR [--base stock] [--new test]

Writes DIR/report.md (the table, Markdown), DIR/figures.json (every figure
of every run) and, with gnuplot, DIR/map-<label>-<kernel>.png (the zone's
2 MiB blocks before and after compaction) and DIR/thp-latency.png (the THP
fault-latency CDF of both kernels); prints the table.

Per workload and kernel a figure is the mean over the runs that ended well;
its spread is (max - min) / mean, and a '!' marks a spread over 10%.  The
ratio column is new / base.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

SPREAD_FLAG = 0.10


def total(rec, key):
	for z in rec.get(key, []):
		if z.get('zone') == 'total':
			return z
	return {}


def delta(rec, name):
	a, b = rec.get('vmstat_before', {}), rec.get('vmstat_after', {})
	if name in a and name in b:
		return b[name] - a[name]
	return None


def pct(values, p):
	if not values:
		return None
	s = sorted(values)
	return s[min(len(s) - 1, int(p / 100 * len(s)))]


def figures(rec):
	"""The figures of one run: name -> value (None when it does not apply)."""
	f = {}
	before, after = total(rec, 'oracle_before'), total(rec, 'oracle_after')
	migrated = delta(rec, 'pgmigrate_success')
	scanned = None
	if delta(rec, 'compact_migrate_scanned') is not None:
		scanned = delta(rec, 'compact_migrate_scanned') + delta(rec, 'compact_free_scanned')
	if before and after:
		f['N_max'] = before.get('n_max')
		f['M_min'] = before.get('m_min')
		f['free blocks after'] = after.get('free_blocks')
		if before.get('n_max'):
			f['free blocks / N_max'] = after.get('free_blocks', 0) / before['n_max']
		if before.get('m_min'):
			f['migrated / M_min'] = (migrated or 0) / before['m_min']
	if migrated is not None:
		f['pages migrated'] = migrated
	if scanned is not None:
		f['pages scanned'] = scanned
		if migrated:
			f['scanned / migrated'] = scanned / migrated
	if 'compact' in rec:
		f['compaction s'] = rec['compact']['seconds']
		gib = int(rec['mem'].rstrip('G'))
		if rec['label'].startswith('scale'):
			f['compaction s / GiB'] = rec['compact']['seconds'] / gib
			if scanned is not None:
				f['scanned / GiB'] = scanned / gib
	if rec.get('faults'):
		lat = [ns / 1000 for ns, _ in rec['faults']]
		f['THP success'] = sum(h for _, h in rec['faults']) / len(rec['faults'])
		f['fault p50 us'] = pct(lat, 50)
		f['fault p90 us'] = pct(lat, 90)
		f['fault p99 us'] = pct(lat, 99)
		for c in ('compact_stall', 'compact_success', 'compact_fail'):
			f[c] = delta(rec, c)
	if rec.get('scores'):
		f['score start'] = rec['scores'][0][1]
		f['score end'] = rec['scores'][-1][1]
		f['kcompactd CPU s'] = rec['scores'][-1][2] / 100
	return {k: v for k, v in f.items() if v is not None}


def summarize(vals):
	if not vals:
		return None, None
	mean = sum(vals) / len(vals)
	spread = (max(vals) - min(vals)) / abs(mean) if mean else (0.0 if max(vals) == min(vals) else float('inf'))
	return mean, spread


def fmt(v):
	if v is None:
		return '-'
	if abs(v) >= 100 or v == int(v):
		return f'{v:.0f}'
	return f'{v:.3g}'


def cell(mean, spread, n):
	if mean is None:
		return '-'
	flag = ' !' if spread is not None and spread > SPREAD_FLAG else ''
	return f'{fmt(mean)} ±{spread * 100:.0f}%{flag} (n={n})'


def table(recs, base, new):
	by = defaultdict(lambda: defaultdict(list))	# label -> kernel -> [figures]
	failed = []
	for r in recs:
		if r['ok']:
			by[r['label']][r['kernel']].append(figures(r))
		else:
			failed.append(r)
	lines = [f'| workload | figure | {base} | {new} | {new}/{base} |', '|---|---|---|---|---|']
	for label in by:
		names = []
		for k in (base, new):
			for fig in by[label][k]:
				names += [n for n in fig if n not in names]
		for n in names:
			row = []
			means = {}
			for k in (base, new):
				vals = [fig[n] for fig in by[label][k] if n in fig]
				m, s = summarize(vals)
				means[k] = m
				row.append(cell(m, s, len(vals)))
			ratio = '-'
			if means[base] and means[new] is not None:
				ratio = f'{means[new] / means[base]:.2f}'
			lines.append(f'| {label} | {n} | {row[0]} | {row[1]} | {ratio} |')
	for r in failed:
		lines.append(f'\nFailed run, left out: {r["label"]} {r["kernel"]} run {r["run"]}: {r.get("why")}')
	return '\n'.join(lines)


# --- pictures ---------------------------------------------------------------

CLASS_VALUE = {'F': 0, 'M': 1, 'X': 2, 'U': 3, 'H': 4}


def block_map(rec, path, width=64):
	"""PNG of the blocks before (left) and after (right), `width` blocks a row."""
	data = path + '.dat'
	maps = [''.join(line.split()[-1] for line in rec.get(key, []))
		for key in ('map_before', 'map_after')]
	rows = (max(len(m) for m in maps) + width - 1) // width
	with open(data, 'w', encoding='utf-8') as f:
		for r in range(rows):
			cells = []
			for m in maps:
				chunk = m[r * width:(r + 1) * width].ljust(width, '.')
				cells += [str(CLASS_VALUE.get(c, -1)) for c in chunk] + ['-1'] * 4
			f.write(' '.join(cells[:-4]) + '\n')
	script = f'''
set terminal pngcairo size 900,{120 + rows * 8}
set output "{path}"
set title "{rec['label']} on {rec['kernel']}: 2 MiB blocks before (left) and after (right) compaction"
unset xtics; unset ytics; unset colorbox; unset key
set yrange [*:*] reverse
set xrange [-0.5:{2 * width + 3.5}]
set palette defined (-1 "#f0f0f0", 0 "#ffffff", 1 "#4caf50", 2 "#ff9800", 3 "#d32f2f", 4 "#606060")
set cbrange [-1:4]
set xlabel "white free, green movable, orange mixed, red unmovable, dark grey hole; {width} blocks a row, low pfns first"
plot "{data}" matrix with image
'''
	return gnuplot(script)


def thp_cdf(recs, path):
	series = []
	for r in recs:
		if r['ok'] and r.get('faults') and r['run'] == 1:
			data = f'{path}.{r["kernel"]}.dat'
			lat = sorted(ns / 1000 for ns, _ in r['faults'])
			with open(data, 'w', encoding='utf-8') as f:
				for i, v in enumerate(lat):
					f.write(f'{v} {(i + 1) / len(lat)}\n')
			series.append(f'"{data}" using 1:2 with steps title "{r["kernel"]}"')
	if not series:
		return False
	script = f'''
set terminal pngcairo size 800,500
set output "{path}"
set title "THP fault latency (2 MiB faults after fragmenting), CDF"
set logscale x
set xlabel "fault latency, us (TCG guest: compare, do not read absolutely)"
set ylabel "fraction of faults"
set key bottom right
plot {", ".join(series)}
'''
	return gnuplot(script)


def gnuplot(script):
	if not shutil.which('gnuplot'):
		return False
	p = subprocess.run(['gnuplot'], input=script, text=True, capture_output=True, check=False)
	if p.returncode:
		print('report: gnuplot: ' + p.stderr.strip(), file=sys.stderr)
	return p.returncode == 0


def main():
	ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
	ap.add_argument('dir')
	ap.add_argument('--base', default='stock')
	ap.add_argument('--new', default='ours')
	args = ap.parse_args()
	with open(os.path.join(args.dir, 'runs.jsonl'), encoding='utf-8') as f:
		recs = [json.loads(l) for l in f if l.strip()]
	md = table(recs, args.base, args.new)
	with open(os.path.join(args.dir, 'report.md'), 'w', encoding='utf-8') as f:
		f.write(md + '\n')
	with open(os.path.join(args.dir, 'figures.json'), 'w', encoding='utf-8') as f:
		json.dump([dict(label=r['label'], kernel=r['kernel'], run=r['run'], ok=r['ok'],
				figures=figures(r) if r['ok'] else None) for r in recs], f, indent=1)
	pics = []
	for r in recs:
		if r['ok'] and r['run'] == 1 and r.get('map_before') and r.get('map_after'):
			p = os.path.join(args.dir, f'map-{r["label"]}-{r["kernel"]}.png')
			if block_map(r, p):
				pics.append(p)
	p = os.path.join(args.dir, 'thp-latency.png')
	if thp_cdf(recs, p):
		pics.append(p)
	print(md)
	for p in pics:
		print('report: picture ' + p)
	return 0


if __name__ == '__main__':
	sys.exit(main())
