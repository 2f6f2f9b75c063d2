#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""report.py - turn bench.py's runs.jsonl into the comparison table.

usage: report.py DIR [--base stock] [--new test]

Writes DIR/report.md (the table, Markdown), DIR/figures.json (every figure
of every run) and, with gnuplot, DIR/map-<label>-<kernel>.png (the zone's
2 MiB blocks before and after compaction) and DIR/thp-latency.png (the THP
fault-latency CDF of both kernels); prints the table.

Per workload and kernel a figure is the mean over the runs that ended well,
with n, the number of runs, and its spread, (max - min) / mean (none for
one run); a '!' marks a spread over 10%.  Ratios are printed with 4
significant digits.  The ratio column is new / base.

The oracle's figures are bounds, and a run that beats one means the ruler
is wrong, not that the engine is good: report.py exits 1, after writing the
table, with a "report: FAIL:" line for each run that freed more blocks than
N_max in some zone, moved fewer pages than M_min(k) (less the oracle's own
pages, see bench/oracle.c), or has a wasted share above 1.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

SPREAD_FLAG = 0.10
# figures printed as ratios (4 significant digits) besides "a / b" ones
RATIOS = ('wasted share', 'THP success')


def total(rec, key):
	for z in rec.get(key, []):
		if z.get('zone') == 'total':
			return z
	return {}


def zones(rec, key):
	"""The oracle's zone lines, by (node, zone)."""
	return {(z['node'], z['zone']): z for z in rec.get(key, []) if z.get('zone') != 'total'}


def m_min_k(hist, k):
	"""The fewest moves that leave k blocks free: the k smallest used
	counts of the oracle's used_hist ([used, blocks] pairs); None if the
	zone has fewer than k candidate blocks."""
	moves = 0
	for used, blocks in sorted(hist):
		take = min(blocks, k)
		moves += take * used
		k -= take
		if not k:
			return moves
	return None if k else moves


def wasted_pages(rec):
	"""Pages migrated out of blocks that are not free after the run,
	approximated per block by its movable pages before less after (see
	README): None without the per-block counts."""
	before = {(u['node'], u['zone'], u['start_pfn']): u['used'] for u in rec.get('used_before', [])}
	maps = block_maps(rec, 'map_after')
	after = rec.get('used_after', [])
	if not before or not after:
		return None
	wasted = 0
	for u in after:
		key = (u['node'], u['zone'], u['start_pfn'])
		old, classes = before.get(key), maps.get(key)
		if old is None or classes is None or len(old) != len(u['used']):
			return None
		for b, (ub, ua) in enumerate(zip(old, u['used'])):
			if ub is not None and ua is not None and classes[b] != 'F' and ub > ua:
				wasted += ub - ua
	return wasted


def block_maps(rec, key):
	"""The oracle's --map lines of a run, by (node, zone, start_pfn)."""
	maps = {}
	for line in rec.get(key, []):
		node, zone, start, classes = line.split()
		maps[(int(node), zone, int(start))] = classes
	return maps


def m_min_k_shown(rec):
	"""M_min(k) over the blocks shown freeable, summed over the zones: the
	k smallest movable counts (before) among the blocks that were eligible
	before (F, M) or are free after, k the zone's free blocks after.  The
	oracle's used_hist also holds its "extra" blocks, whose pages it cannot
	tell from unmovable ones; where those are many and cheap (pipe pages
	in mixed-unmovable, a debug kernel's vmalloc'd pages) its M_min(k)
	counts blocks no run can free.  Every block a run frees is in this set,
	so the run moves at least this many pages (less what owners free
	meanwhile): still a lower bound, for that run.  None without the
	per-block files."""
	before = {(u['node'], u['zone'], u['start_pfn']): u['used'] for u in rec.get('used_before', [])}
	mb, ma = block_maps(rec, 'map_before'), block_maps(rec, 'map_after')
	za = zones(rec, 'oracle_after')
	if not before or not mb or not ma:
		return None
	total = 0
	for key, classes in ma.items():
		used, was, z = before.get(key), mb.get(key), za.get(key[:2])
		if used is None or was is None or z is None or \
		   not len(used) == len(was) == len(classes):
			return None
		counts = sorted(u for u, b, a in zip(used, was, classes)
				if u is not None and (b in 'FM' or a == 'F'))
		k = z['free_blocks']	# as for M_min(k)
		if k > len(counts):
			return None
		total += sum(counts[:k])
	return total


def held_to_blocks(rec):
	"""The free blocks a correct run can be held to, summed over the zones:
	min(eligible, by_free), N_max without the oracle's "extra" blocks.  Not
	a bound: a run may free some of those too (a ratio above 1 is fine).
	None if the oracle gave no eligible/by_free."""
	zb = zones(rec, 'oracle_before')
	if not zb or any('eligible' not in z or 'by_free' not in z for z in zb.values()):
		return None
	return sum(min(z['eligible'], z['by_free'], z['n_max']) for z in zb.values())


def evacuated_blocks(rec):
	"""Blocks that held movable pages before the run and are free after:
	the least a compactor must read to move what it moved is their pfns
	(the layout's floor of pfns scanned).  None without the per-block
	counts."""
	before = {(u['node'], u['zone'], u['start_pfn']): u['used'] for u in rec.get('used_before', [])}
	maps = block_maps(rec, 'map_after')
	if not before or not maps:
		return None
	n = 0
	for key, classes in maps.items():
		old = before.get(key)
		if old is None or len(old) != len(classes):
			return None
		n += sum(1 for b, ub in enumerate(old) if ub and classes[b] == 'F')
	return n


def unmovable_blocks(z):
	return z['unmovable_blocks'] + z['mixed_blocks']


def unmovable_pages(z):
	return z['used_unmovable'] + z['ambiguous']


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
		f['free blocks after'] = after.get('free_blocks')
		if before.get('n_max'):
			f['free blocks / N_max'] = after.get('free_blocks', 0) / before['n_max']
		zb, za = zones(rec, 'oracle_before'), zones(rec, 'oracle_after')
		if all('used_hist' in z for z in zb.values()) and set(zb) == set(za):
			ks = [m_min_k(zb[k]['used_hist'], za[k]['free_blocks']) for k in zb]
			if None not in ks:
				f['M_min(k)'] = sum(ks)
				if f['M_min(k)'] and migrated is not None:
					f['migrated / M_min(k)'] = migrated / f['M_min(k)']
		shown = m_min_k_shown(rec)
		if shown is not None:
			f['M_min(k) shown freeable'] = shown
			if shown and migrated is not None:
				f['migrated / M_min(k) shown freeable'] = migrated / shown
		held = held_to_blocks(rec)
		if held:
			f['free blocks / min(eligible, by_free)'] = after.get('free_blocks', 0) / held
	if migrated is not None:
		f['pages migrated'] = migrated
		wasted = wasted_pages(rec)
		if wasted is not None:
			f['wasted pages'] = wasted
			if migrated:
				f['wasted share'] = wasted / migrated
	if scanned is not None:
		f['pages scanned'] = scanned
		if migrated:
			f['scanned / migrated'] = scanned / migrated
			evacuated = evacuated_blocks(rec)
			if evacuated is not None:
				f['floor: evacuated pfns / migrated'] = evacuated * 512 / migrated
	late = total(rec, 'oracle_late')
	if before and late:
		f['unmovable blocks before'] = unmovable_blocks(before)
		f['unmovable blocks late'] = unmovable_blocks(late)
		f['unmovable blocks added late'] = unmovable_blocks(late) - unmovable_blocks(before)
		f['unmovable pages added late'] = unmovable_pages(late) - unmovable_pages(after or before)
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
		# A fault that gets no huge page falls back to a 4 KiB page in
		# ~0.1 ms: a kernel that gives up more often has the lower
		# percentiles above.  These compare the faults served huge only.
		huge = [ns / 1000 for ns, h in rec['faults'] if h]
		if huge:
			f['huge fault p50 us'] = pct(huge, 50)
			f['huge fault p99 us'] = pct(huge, 99)
		for c in ('compact_stall', 'compact_success', 'compact_fail'):
			f[c] = delta(rec, c)
	if rec.get('fastpath'):
		# the median round of the run: the first rounds warm up
		fp = rec['fastpath']
		f['4K fault ns'] = pct([r['fault4k'] for r in fp], 50)
		f['4K unmap ns/page'] = pct([r['unmap4k'] for r in fp], 50)
		f['2M fault us'] = pct([r['fault2m'] for r in fp], 50) / 1000
		f['2M unmap us'] = pct([r['unmap2m'] for r in fp], 50) / 1000
		f['2M faults huge'] = sum(r['huge'] for r in fp)
		for c in ('compact_stall', 'pgmigrate_success'):
			f[c] = delta(rec, c)
	if rec.get('scores'):
		f['score start'] = rec['scores'][0][1]
		f['score end'] = rec['scores'][-1][1]
		f['kcompactd CPU s'] = rec['scores'][-1][2] / 100
	return {k: v for k, v in f.items() if v is not None}


def violations(rec):
	"""Where one run beats a bound: one line each (empty: none)."""
	bad = []
	f = figures(rec)
	zb, za = zones(rec, 'oracle_before'), zones(rec, 'oracle_after')
	for key in sorted(set(zb) & set(za), key=str):
		if za[key]['free_blocks'] > zb[key]['n_max']:
			bad.append(f'{za[key]["free_blocks"]} free blocks > N_max {zb[key]["n_max"]} '
				   f'in node {key[0]} {key[1]}: N_max is not an upper bound')
	if f.get('free blocks / N_max', 0) > 1:
		bad.append(f'free blocks / N_max = {fmt(f["free blocks / N_max"], True)} > 1: '
			   'N_max is not an upper bound')
	own = total(rec, 'oracle_before').get('self', 0)
	if 'migrated / M_min(k)' in f and f['pages migrated'] + own < f['M_min(k)']:
		bad.append(f'migrated / M_min(k) = {fmt(f["migrated / M_min(k)"], True)} < 1 '
			   f'(by more than the oracle\'s own {own} pages): M_min(k) is not a lower bound')
	if 'M_min(k) shown freeable' in f and f['pages migrated'] + own < f['M_min(k) shown freeable']:
		bad.append(f'pages migrated {f["pages migrated"]} < M_min(k) shown freeable '
			   f'{f["M_min(k) shown freeable"]} (by more than the oracle\'s own {own} pages): '
			   'it is not a lower bound')
	if f.get('wasted share', 0) > 1:
		bad.append(f'wasted share = {fmt(f["wasted share"], True)} > 1')
	return bad


def summarize(vals):
	if not vals:
		return None, None
	if len(vals) == 1:
		return vals[0], None	# one run: no spread to speak of
	mean = sum(vals) / len(vals)
	spread = (max(vals) - min(vals)) / abs(mean) if mean else (0.0 if max(vals) == min(vals) else float('inf'))
	return mean, spread


def is_ratio(name):
	return ' / ' in name or name in RATIOS


def fmt(v, ratio=False):
	if v is None:
		return '-'
	if ratio:
		s = f'{v:#.4g}'
		return s.rstrip('.') if 'e' not in s else s
	if abs(v) >= 100 or v == int(v):
		return f'{v:.0f}'
	return f'{v:.3g}'


def cell(mean, spread, n, ratio=False):
	if mean is None:
		return '-'
	if spread is None:
		return f'{fmt(mean, ratio)} ±? (n={n})'
	flag = ' !' if spread > SPREAD_FLAG else ''
	return f'{fmt(mean, ratio)} ±{spread * 100:.0f}%{flag} (n={n})'


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
				row.append(cell(m, s, len(vals), is_ratio(n)))
			ratio = '-'
			if means[base] and means[new] is not None:
				ratio = fmt(means[new] / means[base], True)
			lines.append(f'| {label} | {n} | {row[0]} | {row[1]} | {ratio} |')
	lines.append('\n"±?": one run, no spread; "!": the runs differ by more than '
		     f'{SPREAD_FLAG * 100:.0f}% of the mean.')
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
	fails = [f'report: FAIL: {r["label"]} {r["kernel"]} run {r["run"]}: {why}'
		 for r in recs if r['ok'] for why in violations(r)]
	if fails:
		md += '\n\n' + '\n'.join(fails)
	with open(os.path.join(args.dir, 'report.md'), 'w', encoding='utf-8') as f:
		f.write(md + '\n')
	with open(os.path.join(args.dir, 'figures.json'), 'w', encoding='utf-8') as f:
		json.dump([dict(label=r['label'], kernel=r['kernel'], run=r['run'], ok=r['ok'],
				figures=figures(r) if r['ok'] else None,
				violations=violations(r) if r['ok'] else None) for r in recs], f, indent=1)
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
	for line in fails:
		print(line, file=sys.stderr)
	return 1 if fails else 0


if __name__ == '__main__':
	sys.exit(main())
