#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_dryrun.sh - `netnsp reload --dry-run` with no daemon running checks the
# config as the daemon would (like `nginx -t`): a good one prints the plan
# against the state file and exits 0, the same plan a running daemon prints
# for the same change; a bad one prints "netnsp: FILE:LINE: key: reason" and
# exits 2, nothing on stdout.  It changes nothing: no state written, no
# namespace made.  Without --dry-run, reload still needs a daemon (exit 1).
#
#   [S a, b, c, d (named, made by the daemon)]
#        ^ setns
#   [H: netnsp daemon (started and stopped), reload --dry-run]   no link needed
. "$(dirname "$0")/lib.sh"
lib_init sha256sum

ns_add "$NS_H" || bail "namespace H"

prof() { printf '\n[profile %s]\nvia = %s\nnetns = %s\ndns = off\n' "$1" "$2" "$(subject_ns "$1")"; }
conf_v1() {
	printf '[proxy p]\nurl = socks5://%s:1080\n\n[proxy q]\nurl = http://%s:8888\n' \
		"$P1_H4" "$P1_H4"
	prof a p
	prof b p
	prof c p
}
conf_v2() { # b changes its proxy, c goes, d comes
	printf '[proxy p]\nurl = socks5://%s:1080\n\n[proxy q]\nurl = http://%s:8888\n' \
		"$P1_H4" "$P1_H4"
	prof a p
	prof b q
	prof d p
}

# dry LABEL WANT_RC: run reload --dry-run (no daemon) into $T/dry.out / dry.err
dry() {
	nsp reload --dry-run >"$T/dry.out" 2>"$T/dry.err"
	is "$?" "$2" "$1: reload --dry-run without a daemon exits $2" || diag_file "$T/dry.err"
}

# ------------------------------------------------------------ no state yet
conf_v1 >"$CONF"
dry "fresh" 0
is "$(cat "$T/dry.out")" "$(printf '+ profile a\n+ profile b\n+ profile c')" \
	"fresh: every profile is added"
grep -qF "netnsp: $CONF: configuration OK; no daemon running: plan against $T/state/state.json" \
	"$T/dry.err"
tap_ok $? "fresh: stderr says the config is OK and what the plan is against" || diag_file "$T/dry.err"
[ ! -e "$T/state/state.json" ] && ! compgen -G "/run/netns/${PFX}[abcd]" >/dev/null
tap_ok $? "fresh: no state written, no namespace made"

# ------------------------------------------------------------ against a state file
daemon_up
stop_daemon
sum=$(sha256sum <"$T/state/state.json")
dry "unchanged" 0
is "$(cat "$T/dry.out")" "no changes" "unchanged: 'no changes'"

start_daemon
wait_ready 10 || bail "daemon not ready"
conf_v2 >"$CONF"
plan_daemon=$(nsp reload --dry-run 2>/dev/null)
stop_daemon
sum=$(sha256sum <"$T/state/state.json")
dry "changed" 0
is "$(cat "$T/dry.out")" "$(printf '~ profile b: via, chain\n- profile c\n+ profile d')" \
	"changed: the plan names what changes, sorted by profile"
is "$(cat "$T/dry.out")" "$plan_daemon" "changed: the same plan a running daemon prints"
[ "$(sha256sum <"$T/state/state.json")" = "$sum" ] && [ ! -e "/run/netns/${PFX}d" ]
tap_ok $? "changed: the state file is unchanged, d's namespace not made"

# ------------------------------------------------------------ bad configs
bad() { # bad LABEL LINE KEY TEXT
	printf '%s\n' "$4" >"$CONF"
	dry "$1" 2
	[ ! -s "$T/dry.out" ] && one_line "$T/dry.err" &&
		[[ $(cat "$T/dry.err") == "netnsp: $CONF:$2: $3: "* ]]
	tap_ok $? "$1: one line 'netnsp: FILE:$2: $3: ...', nothing on stdout" || diag_file "$T/dry.err"
}
bad "unknown key" 3 bogus "$(conf_v1 | sed '3i bogus = 1')"
bad "dangling via" 8 via "$(conf_v1 | sed 's/^via = p$/via = nowhere/')"
bad "bad netns name" 9 netns "$(conf_v1 | sed "0,/^netns = .*/s//netns = a\/b/")"
[ "$(sha256sum <"$T/state/state.json")" = "$sum" ]
tap_ok $? "bad configs: the state file is unchanged"

rm -f "$CONF"
dry "missing config" 2

# ------------------------------------------------------------ reload needs a daemon
conf_v1 >"$CONF"
nsp reload >/dev/null 2>"$T/r.err"
is "$?" 1 "reload (not dry) without a daemon exits 1" || diag_file "$T/r.err"
grep -q 'daemon not running' "$T/r.err"
tap_ok $? "reload without a daemon: 'daemon not running'"

sanitizer_clean
tap_done
