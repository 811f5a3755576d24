#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-layers.sh - fail when a module under src/ includes a header of a
# module on its own level or above it, or another module's *-internal.h
# (docs/DESIGN.md "Layout" gives the order and why).  Prints TAP: one point
# per module, plus one for modules this script does not know (a new
# directory under src/ must be given a level here).  Exit status 0 only if
# every point passed.
set -u
cd "$(dirname "$0")/.." || exit 1

# Lower numbers are lower layers; a module may include only headers of
# modules with a smaller number (and its own).  Keep in step with DESIGN.md.
declare -A LEVEL=(
	[util]=0
	[dns]=1 [proxy]=1 [flatpak]=1 [netns]=1
	[netlink]=2 [nft]=2
	[config]=3
	[state]=4
	[relay]=5 [exec]=5
	[daemon]=6
	[cli]=7
)

n=0
failed=0
point() { # point OK DESCRIPTION [DETAIL...]
	local good=$1 desc=$2
	shift 2
	n=$((n + 1))
	if [ "$good" = 1 ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		failed=$((failed + 1))
		printf '#   %s\n' "$@"
	fi
}

mapfile -t MODULES < <(find src -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
echo "1..$((${#MODULES[@]} + 1))"

unknown=()
for m in "${MODULES[@]}"; do
	[ -n "${LEVEL[$m]+x}" ] || unknown+=("src/$m has no level in scripts/check-layers.sh")
done
point "$([ ${#unknown[@]} -eq 0 ] && echo 1 || echo 0)" "every module under src/ has a level" \
	"${unknown[@]}"

for m in "${MODULES[@]}"; do
	bad=()
	lm=${LEVEL[$m]:-}
	while IFS=: read -r file _ inc; do
		[ -n "$inc" ] || continue
		case $inc in */*) ;; *) continue ;; esac # same directory
		t=${inc%%/*}
		[ "$t" = "$m" ] && continue
		[ -n "${LEVEL[$t]+x}" ] || continue # not a module: build-config.h, ...
		if [ -z "$lm" ] || [ "${LEVEL[$t]}" -ge "$lm" ]; then
			bad+=("$file: $inc (level ${LEVEL[$t]} from level ${lm:-?})")
		elif [[ $inc == *-internal.h ]]; then
			bad+=("$file: $inc (another module's internal header)")
		fi
	done < <(grep -Hn -o '^#include "[^"]*"' -r "src/$m" --include='*.[ch]' |
		sed 's/:#include "\(.*\)"$/:\1/')
	point "$([ ${#bad[@]} -eq 0 ] && echo 1 || echo 0)" \
		"src/$m (level ${lm:-?}) includes only lower modules' public headers" "${bad[@]}"
done
[ "$failed" -eq 0 ]
