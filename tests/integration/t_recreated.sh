#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_recreated.sh - the daemon's own namespace made afresh (a container
# restart, PrivateNetwork=, a test bed rebuilt): the state dir records the
# old host namespace, so the daemon refuses to run on it, and its one-line
# message names the way out: `netnsp gc --all`.  That command works without
# a daemon, keeps the old state as a file beside it (never deletes it), and
# the next start derives anew and works; with a daemon running it refuses.
# `netnsp down` without a daemon (every subject) also forgets the recorded
# namespace, so a start after it works too.
#
#   [S rc (named, kept across the H rebuilds)]
#        ^ setns
#   [H1 = H: daemon, then deleted] -> [H2 = H made afresh] -> [H3 likewise]
#        | veth h0 198.51.100.1 (made again each time: topo_link_h)
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks sha256sum

topo_p1_up

conf_p1 rc >"$CONF"

# H made afresh: delete it (its veth goes with it), wait until the kernel has
# freed the peer in P1, make H and its link again.
rebuild_h() {
	ip netns del "$NS_H" || return 1
	wait_until 10 bash -c "! ip -n $NS_P1 link show p0 >/dev/null 2>&1" || return 1
	ns_add "$NS_H" && topo_link_h
}

# refused LABEL: a daemon started now exits at once, with one line naming `gc --all`.
refused() {
	local label=$1 rc
	log_mark
	start_daemon
	wait_until 10 bash -c "! kill -0 $DAEMON_PID 2>/dev/null"
	wait "$DAEMON_PID" 2>/dev/null
	rc=$?
	DAEMON_PID=''
	[ "$rc" -ne 0 ]
	tap_ok $? "$label: the daemon refuses to run (exit $rc)"
	log_since | grep -F "$T/state/state.json was recorded in another network namespace" |
		grep -qF "run \`netnsp --state-dir $T/state gc --all\` with no daemon running"
	tap_ok $? "$label: its message names the state file and \`netnsp --state-dir DIR gc --all\`" ||
		diag "$(log_since | tail -n 3)"
	[ "$(log_since | grep -c '^netnsp: ')" -eq 1 ]
	tap_ok $? "$label: one line"
}

# ------------------------------------------------------------ H1
daemon_up
expect_client rc "http://$W4/" "$P1_W4" "H1: traffic through the subject"
root1=$(state_q "d['root']")
stop_daemon
tap_ok $? "H1: the daemon stops cleanly"

# ------------------------------------------------------------ H2
rebuild_h || bail "rebuild H"
refused "H2"
nsp reload --dry-run >"$T/dry.out" 2>"$T/dry.err"
rc=$?
[ "$rc" -eq 1 ] && grep -qF 'gc --all' "$T/dry.err" && [ ! -s "$T/dry.out" ]
tap_ok $? "H2: reload --dry-run (no daemon) says the same, exit 1 (got $rc)" || diag_file "$T/dry.err"

sum_old=$(sha256sum <"$T/state/state.json")
out=$(nsp gc --all 2>"$T/gc.err")
is "$?" 0 "H2: gc --all without a daemon exits 0" || diag_file "$T/gc.err"
aside=$(printf '%s' "$out" | sed -n "s|^set aside $T/state/state.json as \([^;]*\); .*|\1|p")
[ -n "$aside" ] && [ ! -e "$T/state/state.json" ] &&
	[ "$(sha256sum <"$aside" 2>/dev/null)" = "$sum_old" ]
tap_ok $? "H2: the old state is kept, byte for byte, as ${aside##*/}" || diag "out: $out"
[[ ${aside##*/} == state.json.old-* ]]
tap_ok $? "H2: named state.json.old-STAMP"

restart_ready "H2: the next daemon start works"
expect_client rc "http://$W4/" "$P1_W4" "H2: traffic through the subject again"
root2=$(state_q "d['root']")
[ -n "$root2" ] && [ "$root2" != "$root1" ]
tap_ok $? "H2: the state records H2 now ($root2, was $root1)"

nsp gc --all >"$T/gc2.out" 2>"$T/gc2.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q 'a daemon is running' "$T/gc2.err" && [ -e "$T/state/state.json" ] &&
	[ "$(compgen -G "$T/state/state.json.old-*" | grep -c '')" -eq 1 ]
tap_ok $? "H2: gc --all with a daemon running is refused, nothing set aside (exit $rc)" ||
	diag_file "$T/gc2.err"
status_all_applied
tap_ok $? "H2: the daemon still runs its subject"
stop_daemon

# ------------------------------------------------------------ H3, down
rebuild_h || bail "rebuild H again"
refused "H3"
out=$(nsp down 2>"$T/down.err")
is "$?" 0 "H3: down without a daemon exits 0" || diag_file "$T/down.err"
is "$(state_q "[d.get('root'), len(d['subjects'])]")" "[null, 0]" \
	"H3: down left no subject and no recorded namespace"
restart_ready "H3: the daemon starts after down"
expect_client rc "http://$W4/" "$P1_W4" "H3: traffic through the subject"

sanitizer_clean
tap_done
