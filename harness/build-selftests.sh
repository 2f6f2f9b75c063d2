#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh - build the selftests we run, static, against the tree's
# exported UAPI headers, and write their 'list' for the guest's /init.
#
# usage: build-selftests.sh TREE HDRDIR OUTDIR NAME[:extra.c,...]...
#
# NAME is a program under TREE/tools/testing/selftests/mm (NAME.c); extra
# sources from the same folder follow a colon.  We build each program by
# hand rather than through selftests' Makefile: in 6.12.117 not every
# program there compiles as shipped, and we need only these, statically.
set -euo pipefail

tree=$1 hdr=$2 out=$3
shift 3
dir="$tree/tools/testing/selftests/mm"
mkdir -p "$out"
: > "$out/list.tmp"
for spec in "$@"; do
	name=${spec%%:*}
	srcs=("$dir/$name.c")
	if [ "$spec" != "$name" ]; then
		IFS=, read -r -a extra <<< "${spec#*:}"
		for e in "${extra[@]}"; do srcs+=("$dir/$e"); done
	fi
	newest=$(ls -t "${srcs[@]}" "$dir/../kselftest.h" | head -n1)
	if [ ! -x "$out/$name" ] || [ "$newest" -nt "$out/$name" ]; then
		echo "selftests: building $name"
		${CC:-gcc} -static -O2 -Wall -D_GNU_SOURCE -isystem "$hdr" \
			-I "$dir" -I "$tree/tools/testing/selftests" -I "$tree/tools/include/uapi" \
			-o "$out/$name" "${srcs[@]}" -lm -lpthread
	fi
	echo "$name" >> "$out/list.tmp"
done
mv "$out/list.tmp" "$out/list"
