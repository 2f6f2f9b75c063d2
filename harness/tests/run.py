#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""run.py - run the harness's own tests (harness/tests/test_*.py) and write
their counts as JSON for check.sh."""
import argparse
import json
import os
import sys
import unittest


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument('--json')
	ap.add_argument('pattern', nargs='?', default='test_*.py')
	args = ap.parse_args()
	here = os.path.dirname(os.path.abspath(__file__))
	suite = unittest.defaultTestLoader.discover(here, pattern=args.pattern, top_level_dir=here)
	res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
	failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
	skipped = len(res.skipped)
	counts = {'passed': res.testsRun - failed - skipped, 'failed': failed, 'skipped': skipped}
	if args.json:
		with open(args.json, 'w', encoding='utf-8') as f:
			json.dump(counts, f)
	return 1 if failed else 0


if __name__ == '__main__':
	sys.exit(main())
