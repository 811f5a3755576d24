#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# check-layers.sh [BUILD_DIR] - fail when a module under src/ includes a
# header of a module on its own level or above it, or another module's
# *-internal.h (docs/DESIGN.md "Layout" gives the order and why).  Every
# spelling of an include counts: "mod/x.h", <mod/x.h>, "../mod/x.h", with
# any spacing around the '#'.  Prints TAP: one point per module, one for
# modules this script does not know (a new directory under src/ must be
# given a level here), and one that reads the object files of BUILD_DIR
# (default: the first of build, build-asan that holds them) with nm: no
# module may use a function or variable that a module on its level or above
# defines, which catches a call through a prototype written by hand, where
# no include shows it (skipped, with a reason, when there is no build).  A
# last point plants one inversion of each kind in a copy of src/ and fails if
# any of them goes unnoticed.  Exit status 0 only if every point passed.
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

# includes DIR: "FILE:PATH" for every #include in the C files under DIR.
includes() {
	grep -H -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][^">]*[">]' -r "$1" \
		--include='*.[ch]' |
		sed -E 's/^([^:]*):[[:space:]]*#[[:space:]]*include[[:space:]]*["<]([^">]*)[">].*/\1:\2/'
}

# symbol_check DIR: "OBJECT uses SYMBOL of T (level L from level K)" for each
# symbol an object of src/ takes from a module that is not below its own.
symbol_check() {
	local levels m
	levels=$(for m in "${!LEVEL[@]}"; do printf '%s=%s ' "$m" "${LEVEL[$m]}"; done)
	find "$1" -name 'src_*.o' -print0 | sort -z | xargs -0 -r nm -A -g |
		awk -v levels="$levels" '
		function mod(f) { sub(/.*\//, "", f); if (f !~ /^src_[a-z0-9]+_/) return ""
			sub(/^src_/, "", f); sub(/_.*/, "", f); return f }
		BEGIN { n = split(levels, kv, " ")
			for (i = 1; i <= n; i++) { split(kv[i], p, "="); lv[p[1]] = p[2] } }
		{ f = $1; sub(/:.*/, "", f) }
		$(NF - 1) ~ /^[TDBRC]$/ { owner[$NF] = mod(f); next }
		$(NF - 1) == "U" { use[++u] = f; sym[u] = $NF }
		END { for (i = 1; i <= u; i++) {
			m = mod(use[i]); t = owner[sym[i]]
			if (t == "" || t == m || !(m in lv) || !(t in lv) || lv[t] < lv[m]) continue
			o = use[i]; sub(/.*\//, "", o)
			printf "%s uses %s of %s (level %d from level %d)\n", o, sym[i], t, lv[t], lv[m] } }' |
		sort -u
}

# include_check SRC M: one line per include in SRC/M that breaks the order.
include_check() {
	local m=$2 lm=${LEVEL[$2]:-} file inc t
	while IFS=: read -r file inc; do
		[ -n "$inc" ] || continue
		case $inc in
		../*) inc=${inc#../} ;; # from src/M/: src/T/...
		*/*) ;;
		*) continue ;; # same directory
		esac
		t=${inc%%/*}
		[ "$t" = "$m" ] && continue
		[ -n "${LEVEL[$t]+x}" ] || continue # not a module: build-config.h, ...
		if [ -z "$lm" ] || [ "${LEVEL[$t]}" -ge "$lm" ]; then
			echo "$file: $inc (level ${LEVEL[$t]} from level ${lm:-?})"
		elif [[ $inc == *-internal.h ]]; then
			echo "$file: $inc (another module's internal header)"
		fi
	done < <(includes "$1/$m")
}

# self_test: plant one inversion of each kind in a copy of src/ (and, with a C
# compiler, in two objects) and say which of them the checks above missed.
self_test() {
	local tmp missed=()
	tmp=$(mktemp -d) || return 1
	cp -r src "$tmp/src"
	echo '#include "../netlink/nl.h"' >>"$tmp/src/netns/netns.c"  # a level above
	echo '  #  include <daemon/daemon.h>' >>"$tmp/src/config/config.c" # spacing, <>
	echo '#include "relay/relay.h"' >>"$tmp/src/exec/exec.c"        # the same level
	echo '#include "state/state-internal.h"' >>"$tmp/src/cli/main.c"  # internal header
	for m in netns config exec cli; do
		[ -n "$(include_check "$tmp/src" "$m")" ] || missed+=("an include planted in src/$m")
	done
	if command -v cc >/dev/null; then
		mkdir "$tmp/obj"
		echo 'int nl_planted(void) { return 0; }' | cc -x c -c - -o "$tmp/obj/src_netlink_a.c.o"
		printf 'int nl_planted(void);\nint f(void) { return nl_planted(); }\n' |
			cc -x c -c - -o "$tmp/obj/src_netns_b.c.o"
		[ -n "$(symbol_check "$tmp/obj")" ] || missed+=("a call from src/netns into src/netlink")
	fi
	rm -rf "$tmp"
	[ ${#missed[@]} -eq 0 ] || printf 'missed %s\n' "${missed[@]}"
}

mapfile -t MODULES < <(find src -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort)
echo "1..$((${#MODULES[@]} + 3))"

unknown=()
for m in "${MODULES[@]}"; do
	[ -n "${LEVEL[$m]+x}" ] || unknown+=("src/$m has no level in scripts/check-layers.sh")
done
point "$([ ${#unknown[@]} -eq 0 ] && echo 1 || echo 0)" "every module under src/ has a level" \
	"${unknown[@]}"

for m in "${MODULES[@]}"; do
	mapfile -t bad < <(include_check src "$m")
	point "$([ ${#bad[@]} -eq 0 ] && echo 1 || echo 0)" \
		"src/$m (level ${LEVEL[$m]:-?}) includes only lower modules' public headers" "${bad[@]}"
done
BUILD=${1:-}
if [ -z "$BUILD" ]; then
	for d in build build-asan; do
		[ -n "$(find "$d" -name 'src_*.o' -print -quit 2>/dev/null)" ] && BUILD=$d && break
	done
fi
if [ -z "$BUILD" ] || ! command -v nm >/dev/null; then
	n=$((n + 1))
	echo "ok $n - objects use only lower modules' symbols # SKIP no build directory or no nm"
else
	mapfile -t bad < <(symbol_check "$BUILD")
	point "$([ ${#bad[@]} -eq 0 ] && echo 1 || echo 0)" \
		"objects in $BUILD use only lower modules' symbols" "${bad[@]}"
fi
mapfile -t missed < <(self_test)
point "$([ ${#missed[@]} -eq 0 ] && echo 1 || echo 0)" \
	"the checks catch inversions planted in a copy of src/" "${missed[@]}"
[ "$failed" -eq 0 ]
