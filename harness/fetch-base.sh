#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-base.sh - get Debian's linux-source package at the pinned version,
# check its sha256 and unpack the kernel tree once into the cache.
#
# usage: fetch-base.sh PKG VERSION SHA256 DEBDIR DEST
#
# DEST is the pristine base tree: the stock flavour builds from it as it is
# and the test tree is a copy of it with our files laid over.  It is made
# read-only in spirit: nothing of ours ever writes into it.
set -euo pipefail

pkg=$1 ver=$2 sha=$3 debdir=$4 dest=$5
deb="$debdir/${pkg}_${ver}_all.deb"

die() { echo "fetch-base: $*" >&2; exit 1; }

[ -f "$dest/.unpacked" ] && exit 0

mkdir -p "$debdir"
if [ ! -f "$deb" ]; then
	echo "fetch-base: downloading $pkg=$ver"
	tmp=$(mktemp -d "$debdir/dl.XXXXXX")
	chmod 755 "$tmp"	# apt's _apt user writes here
	get() { (cd "$tmp" && apt-get download "$pkg=$ver" >/dev/null 2>"$tmp/err"); }
	update() {
		local sudo=
		[ "$(id -u)" -eq 0 ] || sudo=sudo
		$sudo apt-get update > "$tmp/update" 2>&1 && return 0
		cat "$tmp/update" >&2
		die "apt-get update failed, so whether $pkg $ver is on offer is unknown"
	}
	# a fresh machine may have no or old package lists: update once, then retry
	if ! get && ! { update; get; }; then
		cat "$tmp/err" >&2
		echo >&2
		echo "fetch-base: cannot get $pkg at the pinned version $ver." >&2
		echo "fetch-base: versions the archive offers now:" >&2
		apt-cache madison "$pkg" 2>/dev/null | sed 's/^/    /' >&2 || true
		cat >&2 <<MSG
fetch-base: to build on another version, run 'apt-cache show $pkg=<version>',
fetch-base: take its SHA256 line and set both, e.g.
fetch-base:   make check BASE_VERSION=<version> BASE_SHA256=<sha256>
fetch-base: (or change them for good at the top of the Makefile).
MSG
		rm -rf "$tmp"
		exit 1
	fi
	mv "$tmp"/*.deb "$deb"
	rm -rf "$tmp"
fi

got=$(sha256sum "$deb" | cut -d' ' -f1)
if [ "$got" != "$sha" ]; then
	mv "$deb" "$deb.bad"
	die "sha256 mismatch for $deb: expected $sha, got $got (moved aside to .bad)"
fi

echo "fetch-base: unpacking $pkg $ver into $dest"
rm -rf "$dest" "$dest.tmp"
mkdir -p "$dest.tmp"
src=$(dpkg-deb -c "$deb" | awk '{print $NF}' | grep -E '^\./usr/src/linux-source-.*\.tar\.xz$' | head -n1)
[ -n "$src" ] || die "$deb holds no usr/src/linux-source-*.tar.xz"
dpkg-deb --fsys-tarfile "$deb" | tar -xO "$src" | tar -xJ -C "$dest.tmp" --strip-components=1
[ -f "$dest.tmp/Makefile" ] && [ -d "$dest.tmp/mm" ] || die "unpacked tree looks wrong"
echo "$pkg $ver $sha" > "$dest.tmp/.unpacked"
mv "$dest.tmp" "$dest"
