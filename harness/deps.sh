#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install, from Debian's archive, whatever of PACKAGES is missing.
#
# usage: deps.sh PACKAGE...
set -euo pipefail

missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" > /tmp/deps-install.log 2>&1; then
	$sudo apt-get update > /tmp/deps-update.log 2>&1 || { cat /tmp/deps-update.log >&2; exit 1; }
	$sudo apt-get install -y --no-install-recommends "${missing[@]}" > /tmp/deps-install.log 2>&1 ||
		{ tail -n 30 /tmp/deps-install.log >&2; echo "deps: apt-get install failed" >&2; exit 1; }
fi
