#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kconfig.sh - configure an out-of-tree kernel build from our fragments.
#
# usage: kconfig.sh SRCTREE OBJDIR FRAGMENT...
#
# tinyconfig is the base; the fragments are merged on it with the kernel's
# own scripts/kconfig/merge_config.sh, then olddefconfig resolves the rest.
# Kconfig silently drops what it cannot grant (an unmet dependency, a typo),
# so afterwards every line a fragment asks for is looked up in the final
# .config and the run fails with the list of those that did not survive.
# Configures only when the fragments' content changed since the .config was
# made, but checks every time; with VERIFY_ONLY=1 it only checks, which the
# Makefile does after each build too, since kbuild's syncconfig may drop an
# option whose dependencies a patch to a Kconfig file changed.
set -euo pipefail

src=$1 obj=$2
shift 2
frags=("$@")
stamp="$obj/.harness-config"

mkdir -p "$obj"
want=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ -n "${VERIFY_ONLY:-}" ]; then
	[ -f "$obj/.config" ] || { echo "kconfig: no $obj/.config to verify" >&2; exit 1; }
elif [ ! -f "$obj/.config" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	echo "kconfig: configuring $obj from ${frags[*]##*/}"
	log="$obj/.harness-config.log"
	{
		make -C "$src" O="$obj" ARCH=x86_64 CC="${KCC:-gcc}" tinyconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "${frags[@]}"
		make -C "$src" O="$obj" ARCH=x86_64 CC="${KCC:-gcc}" olddefconfig
	} > "$log" 2>&1 || { tail -n 30 "$log" >&2; echo "kconfig: failed, see $log" >&2; exit 1; }
fi

# What each symbol should end as: the last fragment that names it wins, as
# in merge_config.sh.  Fragments listed in $KCONFIG_LAX are merged but not
# checked (the build matrix turns a feature off and lets its dependents go).
declare -A want_line want_frag
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) sym=${line%%=*} ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *} ;;
		*) continue ;;
		esac
		want_line[$sym]=$line
		want_frag[$sym]=$f
	done < "$f"
done
missing=()
for sym in "${!want_line[@]}"; do
	line=${want_line[$sym]} f=${want_frag[$sym]}
	case " ${KCONFIG_LAX:-} " in *" $f "*) continue ;; esac
	case "$line" in
	CONFIG_*)
		grep -qxF -- "$line" "$obj/.config" ||
			missing+=("$line  (${f##*/}; got: $(grep -E "^(# )?$sym[= ]" "$obj/.config" || echo unset))")
		;;
	*)
		grep -qE "^$sym=" "$obj/.config" &&
			missing+=("$line  (${f##*/}; got: $(grep -E "^$sym=" "$obj/.config"))")
		;;
	esac
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "kconfig: these options asked for by the fragments are not in $obj/.config:" >&2
	printf '  %s\n' "${missing[@]}" | sort >&2
	rm -f "$stamp"
	exit 1
fi
echo "$want" > "$stamp"
