#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""trace_abi.py - do two trace-event headers give the same format files?

usage: trace_abi.py [--show] OURS_HEADER UPSTREAM_HEADER

What trace-cmd, perf and ftrace users read of a trace event is its format
file, /sys/kernel/tracing/events/<system>/<event>/format: the field types,
names and order, and the print fmt line.  BPF programs also see the event's
class (BTF names the record "struct trace_event_raw_<class>") and, for
raw_tp/tp_btf programs, its TP_PROTO.  This emulates all of that without a
kernel build: each header goes through the C preprocessor with the
TRACE_EVENT family redefined to emit Python literals and the includes
stubbed out.  Field types are stringified with #type and TP_printk's
arguments with __stringify(), as include/trace/trace_events.h does, so a
changed token in the print fmt shows even where the output would not.
Done once with and once without CONFIG_COMPACTION (a CMA-only build keeps
the scanner events), so a guard moved is a difference too.

Exit 0 when, for both configs, the system, the events (names, order,
class), their fields and print fmt are identical, and so are the
prototypes except for the events in ALLOWED_PROTO; 1 with a diff otherwise,
2 when a header cannot be read.  TP_fast_assign is not compared: it is not
ABI.

Macros of other headers (show_gfp_flags, COMPACTION_STATUS, ZONE_TYPE of
trace/events/mmflags.h) stay unexpanded: they are compared by name.
"""
import argparse
import ast
import difflib
import os
import subprocess
import sys
import tempfile

# Our prototypes differ from upstream's here by design: scalars instead of
# struct compact_control, so that the struct is ours to change.
ALLOWED_PROTO = ('mm_compaction_begin', 'mm_compaction_end')

CONFIGS = (('CONFIG_COMPACTION=y', ['-DCONFIG_COMPACTION']),
	   ('CONFIG_COMPACTION=n (CMA-only build)', []))

# The TRACE_EVENT family as Python tuples; each kind of field as the format
# file's 'field:' line shows it (include/trace/trace_events.h).
PRELUDE = r'''
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define __entry REC
#define TP_PROTO(a...) __stringify(a)
#define TP_ARGS(a...) __stringify(a)
#define TP_CONDITION(a...) __stringify(a)
#define TP_STRUCT__entry(a...) (a)
#define __field(t, n) (#t, #n),
#define __field_struct(t, n) (#t, #n),
#define __array(t, n, s) (#t, #n "[" #s "]"),
#define __dynamic_array(t, n, s) ("__data_loc " #t "[]", #n),
#define __string(n, s) ("__data_loc char[]", #n),
#define __bitmask(n, s) ("__data_loc unsigned long[]", #n),
#define TP_fast_assign(a...) __stringify(a)
#define TP_printk(fmt, args...) "\"" fmt "\", " __stringify(args)
#define DECLARE_EVENT_CLASS(c, p, a, t, f, pr) ("class", #c, p, a, t, pr),
#define TRACE_EVENT(n, p, a, t, f, pr) ("class", #n, p, a, t, pr), \
	("event", #n, #n, p, a, None),
#define TRACE_EVENT_CONDITION(n, p, a, c, t, f, pr) TRACE_EVENT(n, p, a, t, f, pr)
#define DEFINE_EVENT(c, n, p, a) ("event", #c, #n, p, a, None),
#define DEFINE_EVENT_CONDITION(c, n, p, a, cond) DEFINE_EVENT(c, n, p, a)
#define DEFINE_EVENT_PRINT(c, n, p, a, pr) ("event", #c, #n, p, a, pr),
#define TRACE_DEFINE_ENUM(e) ("enum", #e),
'''
STUBS = ('linux/types.h', 'linux/list.h', 'linux/tracepoint.h', 'trace/events/mmflags.h')
DEFINE_TRACE = '("system", __stringify(TRACE_SYSTEM)),\n'


class HeaderError(Exception):
	pass


def stub_dir(tmp):
	"""The prelude and the stub includes, in tmp."""
	with open(os.path.join(tmp, 'prelude.h'), 'w', encoding='utf-8') as f:
		f.write(PRELUDE)
	for s in STUBS:
		os.makedirs(os.path.dirname(os.path.join(tmp, s)), exist_ok=True)
		open(os.path.join(tmp, s), 'w', encoding='utf-8').close()
	os.makedirs(os.path.join(tmp, 'trace'), exist_ok=True)
	with open(os.path.join(tmp, 'trace', 'define_trace.h'), 'w', encoding='utf-8') as f:
		f.write(DEFINE_TRACE)


def drop_semicolons(text):
	"""The ';' after each invocation, outside string and char literals."""
	out, quote, i = [], None, 0
	while i < len(text):
		c = text[i]
		if quote:
			if c == '\\':
				out.append(text[i:i + 2])
				i += 2
				continue
			if c == quote:
				quote = None
		elif c in '"\'':
			quote = c
		elif c == ';':
			i += 1
			continue
		out.append(c)
		i += 1
	return ''.join(out)


def cpp(header, defines, tmp):
	"""Start cpp on header with the prelude, the stubs and defines."""
	cmd = ['cpp', '-P', '-undef', '-nostdinc', '-D__KERNEL__', '-I', tmp,
	       '-include', os.path.join(tmp, 'prelude.h')] + defines + [header]
	try:
		return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
					text=True)
	except OSError as e:
		raise HeaderError(f'cannot run cpp: {e}') from e


def parse(header, text):
	"""(system, [event dict], [enum]) from cpp's output on header."""
	try:
		items = ast.literal_eval('[' + drop_semicolons(text) + ']')
	except (SyntaxError, ValueError) as e:
		raise HeaderError(f'{header}: cannot read the preprocessed header (a trace '
				  f'macro trace_abi.py does not know?): {e}\n{text[:2000]}') from e
	classes, events, enums, system = {}, [], [], None
	for it in items:
		if it[0] == 'class':
			_, c, proto, args, fields, pr = it
			classes[c] = dict(fields=list(fields), printk=pr, proto=proto, args=args)
		elif it[0] == 'event':
			_, c, n, proto, args, pr = it
			events.append(dict(name=n, cls=c, proto=proto, args=args, printk=pr))
		elif it[0] == 'enum':
			enums.append(it[1])
		else:
			system = it[1]
	for e in events:
		c = classes.get(e['cls'])
		if c is None:
			raise HeaderError(f'{header}: event {e["name"]} of undeclared class {e["cls"]}')
		e['fields'] = c['fields']
		e['printk'] = e['printk'] or c['printk']
	return system, events, enums


_seen = {}


def read_headers(headers, tmp):
	"""{(header, config label): parsed}, every cpp run at once.  A header
	read before with the same contents is not run again (the includes are
	stubs: the contents are all cpp sees)."""
	runs, out = {}, {}
	for h in headers:
		try:
			with open(h, 'rb') as f:
				data = f.read()
		except OSError as e:
			raise HeaderError(f'cannot read {h}: {e.strerror}') from e
		for label, defs in CONFIGS:
			key = (os.path.realpath(h), data, label)
			if key in _seen:
				out[h, label] = _seen[key]
			elif (h, label) not in runs:
				runs[h, label] = key, cpp(h, defs, tmp)
	done = {hl: (key, p, *p.communicate()) for hl, (key, p) in runs.items()}
	for (h, label), (key, p, stdout, stderr) in done.items():
		if p.returncode:
			raise HeaderError(f'cpp failed on {h}:\n{stderr}')
		out[h, label] = _seen[key] = parse(h, stdout)
	return out


def format_lines(system, events, enums):
	"""The emulated format files, one self-explaining line per item."""
	out = [f'system: {system}']
	out += [f'TRACE_DEFINE_ENUM({e})' for e in enums]
	for e in events:
		p = f'{system}/{e["name"]}:'
		out.append(f'{p} class {e["cls"]}')
		out += [f'{p} field:{t} {n};' for t, n in e['fields']]
		out.append(f'{p} print fmt: {e["printk"]}')
	return out


def proto_lines(events, allowed):
	return [f'{e["name"]}: TP_PROTO({e["proto"]}) TP_ARGS({e["args"]})'
		for e in events if e['name'] not in allowed]


def compare(ours, upstream, allowed=ALLOWED_PROTO):
	"""(ok, report text)."""
	report, ok = [], True
	with tempfile.TemporaryDirectory() as tmp:
		stub_dir(tmp)
		parsed = read_headers([ours, upstream], tmp)
		for label, _ in CONFIGS:
			o, u = parsed[ours, label], parsed[upstream, label]
			d = list(difflib.unified_diff(format_lines(*u), format_lines(*o),
						      'upstream', 'ours', lineterm=''))
			# an event only one side has is in the format diff already
			names = {e['name'] for e in o[1]} & {e['name'] for e in u[1]}
			pu = proto_lines([e for e in u[1] if e['name'] in names], allowed)
			po = proto_lines([e for e in o[1] if e['name'] in names], allowed)
			dp = list(difflib.unified_diff(pu, po, 'upstream', 'ours', lineterm=''))
			if d:
				report.append(f'{label}: format files DIFFER')
				report += d
			else:
				report.append(f'{label}: format files identical ({len(o[1])} events)')
			if dp:
				report.append(f'{label}: prototypes DIFFER outside {", ".join(allowed)}')
				report += dp
			ok = ok and not d and not dp
			up = {e['name']: (e['proto'], e['args']) for e in u[1]}
			free = [e['name'] for e in o[1] if e['name'] in allowed and
				e['name'] in up and (e['proto'], e['args']) != up[e['name']]]
			if free and not d:
				report.append(f'{label}: prototypes differ, as allowed: {", ".join(free)}')
	return ok, '\n'.join(report)


def main(argv=None):
	ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
	ap.add_argument('--show', action='store_true',
			help="also print OURS_HEADER's emulated format files")
	ap.add_argument('ours', metavar='OURS_HEADER')
	ap.add_argument('upstream', metavar='UPSTREAM_HEADER')
	args = ap.parse_args(argv)
	try:
		if args.show:
			with tempfile.TemporaryDirectory() as tmp:
				stub_dir(tmp)
				parsed = read_headers([args.ours], tmp)
				for label, _ in CONFIGS:
					print(f'=== {label} ===')
					print('\n'.join(format_lines(*parsed[args.ours, label])))
		ok, report = compare(args.ours, args.upstream)
	except HeaderError as e:
		print(f'trace_abi: {e}', file=sys.stderr)
		return 2
	print(report)
	print('trace ABI:', 'same as upstream' if ok else 'DIFFERS from upstream')
	return 0 if ok else 1


if __name__ == '__main__':
	sys.exit(main())
