#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mkpatches.sh - write our whole change as a git-am series, and prove it.
#
# usage: mkpatches.sh BASE TREE REPO OUTDIR
#
# The series is: one commit that adds our own files (message:
# REPO/patches/ours.msg), then every patch of REPO/patches/series in order
# (they are already in git format-patch form, with their commit messages).
# Ours come first because a new file that nothing builds yet cannot break
# the build, so each step of the series builds as long as each patch is
# whole.  It is made in a scratch git repository that holds BASE's version
# of every file the change touches, with 'git am' for the series, and
# written with 'git format-patch' to OUTDIR.
#
# The proof: a second scratch repository, again BASE's version of those
# files, takes OUTDIR/*.patch with 'git am', and every file must come out
# byte for byte as in TREE (the tree we build).  Set VERIFY_ONLY=1 to only run
# that proof on an existing OUTDIR.
set -euo pipefail

base=$1 tree=$2 repo=$3
mkdir -p "$4"
out=$(cd "$4" && pwd)
die() { echo "patches: $*" >&2; exit 1; }

git_id=(-c user.name="compaction harness" -c user.email="harness@localhost"
	-c commit.gpgsign=false -c core.autocrlf=false)
managed="$tree/.harness-managed"
# the author of the commit with our files; its Signed-off-by is in ours.msg
author_name=${PATCH_AUTHOR_NAME:-Compaction Team}
author_email=${PATCH_AUTHOR_EMAIL:-compaction@localhost}
[ -f "$managed" ] || die "$tree has no .harness-managed: run 'make tree' first"

seed() {	# seed DIR: a git repo with BASE's version of every managed file
	local d=$1 f
	git init -q "$d"
	while read -r f; do
		[ -n "$f" ] && [ -f "$base/$f" ] || continue
		mkdir -p "$d/$(dirname "$f")"
		cp -p "$base/$f" "$d/$f"
	done < "$managed"
	echo "base: $(cat "$base/.unpacked" 2>/dev/null)" > "$d/.base"
	git -C "$d" add -A
	git -C "$d" "${git_id[@]}" commit -q -m "base tree" --allow-empty
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -z "${VERIFY_ONLY:-}" ]; then
	seed "$work/make"
	if [ -s "$tree/.harness-ours" ]; then
		while read -r f; do
			mkdir -p "$work/make/$(dirname "$f")"
			cp "$repo/$f" "$work/make/$f"
		done < "$tree/.harness-ours"
		git -C "$work/make" add -A
		git -C "$work/make" "${git_id[@]}" -c user.name="$author_name" -c user.email="$author_email" \
			commit -q -F "$repo/patches/ours.msg"
	fi
	for p in $(sed -e 's/#.*//' "$repo/patches/series" 2>/dev/null | grep -v '^[[:space:]]*$' || true); do
		git -C "$work/make" "${git_id[@]}" am -q --keep-cr "$repo/patches/$p" ||
			die "patches/$p does not apply with git am"
	done
	rm -f "$out"/*.patch
	n=$(git -C "$work/make" rev-list --count HEAD)
	if [ "$n" -gt 1 ]; then
		git -C "$work/make" format-patch -q -o "$out" HEAD~$((n - 1))
	fi
fi

# --- the proof ------------------------------------------------------------------
seed "$work/check"
count=0
for p in "$out"/*.patch; do
	[ -e "$p" ] || continue
	git -C "$work/check" "${git_id[@]}" am -q --keep-cr "$p" || die "$(basename "$p") does not apply with git am"
	count=$((count + 1))
done
bad=0
while read -r f; do
	[ -n "$f" ] || continue
	if [ -f "$tree/$f" ]; then
		cmp -s "$tree/$f" "$work/check/$f" || { echo "patches: $f differs from the tree we build" >&2; bad=1; }
	elif [ -e "$work/check/$f" ]; then
		echo "patches: $f exists after git am but not in the tree we build" >&2; bad=1
	fi
done < "$managed"
[ $bad -eq 0 ] || die "the series does not reproduce our tree"
echo "patches: $count patch(es) in $out apply with git am to the base and reproduce our tree"
