#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# apply.sh - make TREE equal to BASE + our files + the patch series.
#
# usage: apply.sh BASE TREE REPO
#
#   BASE  pristine kernel tree (never written)
#   TREE  the tree we build; made as a hard-link copy of BASE the first time
#   REPO  our checkout: files under its overlay folders (OVERLAY_DIRS, at
#         kernel-tree paths) replace or add to the tree, then
#         REPO/patches/series is applied in order
#
# Idempotent and minimal: the wanted content of every file we manage is
# built in a scratch folder first, then only files whose bytes differ are
# replaced in TREE (by rename, which also breaks the hard link to BASE), so
# kbuild rebuilds only what depends on a real change.  Files we managed on
# the last run but no longer do are put back to BASE's version.  The list of
# managed files is kept in TREE/.harness-managed, the list of ours among
# them in TREE/.harness-ours (for mkpatches.sh).
set -euo pipefail

base=$1 tree=$2 repo=$3
overlay_dirs=${OVERLAY_DIRS:-mm include Documentation tools lib kernel arch}
series="$repo/patches/series"
manifest="$tree/.harness-managed"

die() { echo "apply: $*" >&2; exit 1; }

[ -f "$base/Makefile" ] || die "$base is not a kernel tree"

if [ ! -f "$tree/.harness-tree" ]; then
	echo "apply: creating $tree (hard-link copy of the base tree)"
	rm -rf "$tree" "$tree.tmp"
	cp -al "$base" "$tree.tmp"
	rm -f "$tree.tmp/.unpacked"
	echo "$base" > "$tree.tmp/.harness-tree"
	mv "$tree.tmp" "$tree"
fi

# --- what we manage -------------------------------------------------------
overlay_files() {
	local d
	cd "$repo"
	for d in $overlay_dirs; do
		[ -d "$d" ] || continue
		if git rev-parse --git-dir >/dev/null 2>&1; then
			# tracked files deleted from the work tree are not ours any more
			git ls-files -co --exclude-standard -- "$d" |
				while read -r f; do [ ! -f "$f" ] || echo "$f"; done
		else
			find "$d" -type f
		fi
	done | sort -u
}

series_patches() {
	[ -f "$series" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$series" | grep -v '^$' || true
}

# Paths a patch reads or writes, from its ---/+++ lines (p1, /dev/null skipped).
patch_files() {
	awk '/^(---|\+\+\+) / { p = $2; sub(/\t.*/, "", p);
	       if (p != "/dev/null") { sub(/^[^\/]*\//, "", p); print p } }' "$1" | sort -u
}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

overlay_files > "$stage/.overlay"
: > "$stage/.patched"
for p in $(series_patches); do
	[ -f "$repo/patches/$p" ] || die "series names patches/$p, which does not exist"
	patch_files "$repo/patches/$p" >> "$stage/.patched"
done
sort -u -o "$stage/.patched" "$stage/.patched"

clash=$(comm -12 "$stage/.overlay" "$stage/.patched")
[ -z "$clash" ] || die "these files are both ours and patched by the series: $clash"

# --- build the wanted content in the stage --------------------------------
mkdir -p "$stage/t"
while read -r f; do
	[ -n "$f" ] || continue
	if [ -f "$base/$f" ]; then
		mkdir -p "$stage/t/$(dirname "$f")"
		cp -p "$base/$f" "$stage/t/$f"
	fi
done < "$stage/.patched"
while read -r f; do
	[ -n "$f" ] || continue
	mkdir -p "$stage/t/$(dirname "$f")"
	cp "$repo/$f" "$stage/t/$f"
	[ -x "$repo/$f" ] && chmod +x "$stage/t/$f"
done < "$stage/.overlay"
for p in $(series_patches); do
	if ! out=$(patch -p1 -d "$stage/t" -f -s --no-backup-if-mismatch < "$repo/patches/$p" 2>&1); then
		echo "$out" >&2
		die "patches/$p does not apply"
	fi
done

# --- sync the tree to the stage --------------------------------------------
replace() {	# replace TREE/$1 with the content of $2, by rename
	mkdir -p "$tree/$(dirname "$1")"
	cp "$2" "$tree/$1.harness-new"
	[ -x "$2" ] && chmod +x "$tree/$1.harness-new"
	mv -f "$tree/$1.harness-new" "$tree/$1"
}

changed=0
sort -u "$stage/.overlay" "$stage/.patched" > "$stage/.want"
while read -r f; do
	[ -n "$f" ] || continue
	if [ -f "$stage/t/$f" ]; then
		if ! cmp -s "$stage/t/$f" "$tree/$f"; then
			replace "$f" "$stage/t/$f"
			echo "apply: updated $f"
			changed=$((changed + 1))
		fi
	elif [ -e "$tree/$f" ]; then	# the series deletes it
		rm -f "$tree/$f"
		echo "apply: removed $f"
		changed=$((changed + 1))
	fi
done < "$stage/.want"

if [ -f "$manifest" ]; then
	comm -23 <(sort -u "$manifest") "$stage/.want" | while read -r f; do
		[ -n "$f" ] || continue
		if [ -f "$base/$f" ]; then
			cmp -s "$base/$f" "$tree/$f" || { replace "$f" "$base/$f"; echo "apply: restored $f"; }
		elif [ -e "$tree/$f" ]; then
			rm -f "$tree/$f"
			echo "apply: removed $f (no longer ours)"
		fi
	done
fi
cmp -s "$stage/.want" "$manifest" || cp "$stage/.want" "$manifest"
cmp -s "$stage/.overlay" "$tree/.harness-ours" || cp "$stage/.overlay" "$tree/.harness-ours"
echo "apply: $(wc -l < "$stage/.overlay") file(s) of ours, $(series_patches | wc -l) patch(es), $changed changed"
