#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh - build the selftests we run with the kernel's own
# selftests/mm Makefile, static, against the tree's exported UAPI headers,
# and write their 'list' for the guest's /init.
#
# usage: build-selftests.sh TREE HDRDIR OUTDIR NAME...
#
# NAME is a program that TREE/tools/testing/selftests/mm/Makefile builds:
# upstream's compaction_test, or one of ours (every other compaction_*.c
# there, linked with compaction_util.c: patches/0004).  The list names them
# in the order given.  We ask that Makefile for these programs only, by their
# full path under OUTPUT (the form it supports): in 6.12.117 not every
# program of selftests/mm compiles as shipped, the guest needs only ours,
# and it has no libc, hence -static.  A NAME:extra.c,... suffix, from when
# this script linked the extra sources itself, is ignored.
#
# make rebuilds a program when its sources or a header it lists change; a
# different CC (CC="gcc -DBREAK_FLIP_BYTE") or header folder rebuilds all of
# them: the last settings are kept in OUTDIR/.settings.
set -euo pipefail

tree=$1 hdr=$2
mkdir -p "$3"
out=$(cd "$3" && pwd)
shift 3
dir="$tree/tools/testing/selftests/mm"

names=() targets=()
for spec in "$@"; do
	names+=("${spec%%:*}")
	targets+=("$out/${spec%%:*}")
done

settings=(OUTPUT="$out" KHDR_INCLUDES="-isystem $hdr" CC="${CC:-gcc}" USERLDFLAGS=-static)
now=$(printf '%s\n' "${settings[@]}")
if [ ! -f "$out/.settings" ] || [ "$(cat "$out/.settings")" != "$now" ]; then
	rm -f "${targets[@]}" "$out/.settings"
fi

# Our caller's make flags (-j without its jobserver, command-line variables)
# are not for this make.
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	make -s --no-print-directory -C "$dir" "${settings[@]}" "${targets[@]}"
printf '%s\n' "$now" > "$out/.settings"

printf '%s\n' "${names[@]}" > "$out/list.tmp"
mv "$out/list.tmp" "$out/list"
