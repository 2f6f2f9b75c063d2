#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh - pack the guest: static BusyBox, our /init and demo, the
# benchmark's guest programs and the selftests, into a newc cpio archive.
#
# usage: mkinitramfs.sh OUT.cpio GUESTDIR SELFTESTDIR BENCHDIR [STRESSDIR]
#
#   GUESTDIR     harness/guest's init and demo
#   SELFTESTDIR  built selftest binaries and their 'list'
#   BENCHDIR     the benchmark's guest side: oracle, workload, guest-bench
#   STRESSDIR    make stress's programs and their 'list' (stress/), as /stress
#
# SELFTESTDIR or BENCHDIR "-" leaves those programs out: make stress's odd
# machines boot such an archive, since the guest keeps the unpacked archive
# in RAM (rootfs) and the selftests and bench programs, 13 MiB, were a
# quarter of the 64 MiB machine's memory.
set -euo pipefail

out=$1 guest=$2 st=$3 bench=$4 stress=${5:-}
bb=${BUSYBOX:-/bin/busybox}

die() { echo "mkinitramfs: $*" >&2; exit 1; }
[ -x "$bb" ] || die "no BusyBox at $bb (apt-get install busybox-static)"
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || \
	ldd "$bb" 2>&1 | grep -q 'not a dynamic' || die "$bb is not static"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# mktemp -d makes it 0700: the guest's / would be closed to every user but
# root (compaction_knobs runs as uid 65534)
chmod 755 "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,mnt,harness,selftests,bench,stress,etc,root}
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
install -m 755 "$guest/init" "$root/init"
install -m 755 "$guest/demo" "$root/harness/"
[ "$st" = - ] || cp -a "$st"/. "$root/selftests/"
[ "$bench" = - ] ||
	install -m 755 "$bench"/oracle "$bench"/workload "$bench"/guest-bench "$root/bench/"
[ -z "$stress" ] || cp -a "$stress"/. "$root/stress/"
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet) > "$out.tmp"
mv "$out.tmp" "$out"
