#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_pid_down.sh - taking down a Pid subject whose process still runs hands
# its namespace back: V, made with `ip netns add` (veth v0 to R, default
# routes over it), is attached by root with `netnsp attach`; netnsp replaces
# the default routes with its uplink.  While attached, V's own veth carries
# nothing to R (R's nft counter stays 0 through TCP, UDP and ping from V).
# Then
#   - `netnsp down PROFILE`: V still exists with its process; nsp-up0/nsp-up1,
#     table inet netnsp, netnsp's rules and routes are gone; both default
#     routes via r0 are back (V reaches R again); `down` and `status` say
#     what was removed and what was restored; no Pid entry is left;
#   - the same after the daemon was killed and restarted in between (what was
#     replaced is kept inside V, so a new daemon can still restore it);
#   - `netnsp down` with no daemon running does the same from the state file;
#   - a reload that removes the profile does the same.
#
#   [V ${PFX}v: sleep] -- v0 198.51.100.130 / r0 198.51.100.129 -- [R ${PFX}r]
#        ^ setns (daemon; netnsp attach PID at)
#   [H: netnsp daemon]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks nft

topo_p1_up

write_conf() { # write_conf PROFILE...: one profile per name, all via p1
	printf '[proxy p1]\nurl = socks5://%s:1080\n' "$P1_H4" >"$CONF"
	for p in "$@"; do
		printf '\n[profile %s]\nvia = p1\nnetns = %s\ndns = off\n' "$p" "$(subject_ns "$p")" >>"$CONF"
	done
}
write_conf at keep
daemon_up

V=${PFX}v
routed_ns "$V" "${PFX}r" || bail "namespace $V"
ns_snapshot "$V" >"$T/v.before"
bg nsx "$V" sleep 600
A=$LAST_PID
wait_until 5 own_netns "$A" || bail "sleep in $V"
default4() { ip -n "$V" -4 route show default | head -n 1; }
default6() { ip -n "$V" -6 route show default | head -n 1 | sed 's/ pref medium//'; }
DEF4=$(default4)
DEF6=$(default6)
diag "V's default routes: '$DEF4', '$DEF6'"

# attached LABEL PROFILE: attach A, show it proxies and that V's defaults were replaced.
attached() {
	local label=$1 prof=$2
	nsp attach "$A" "$prof" >"$T/attach.out" 2>&1
	is "$?" 0 "$label: netnsp attach $A $prof" || diag_file "$T/attach.out"
	wait_until 10 pid_applied "$A"
	tap_ok $? "$label: the Pid subject is applied"
	is "$(via_ns_client -t "$A" -n)" "client=$P1_W4" "$label: TCP from V goes through P1"
	default4 | grep -q 'dev nsp-up0'
	tap_ok $? "$label: V's IPv4 default route is netnsp's now ($(default4))"
}

# ns_handed_back LABEL: V is as it was before the attach, and alive.
ns_handed_back() {
	local label=$1
	[ -e "/run/netns/$V" ] && kill -0 "$A"
	tap_ok $? "$label: V and its process are still there"
	ns_snapshot "$V" >"$T/v.after"
	diff -u "$T/v.before" "$T/v.after" >"$T/v.diff"
	tap_ok $? "$label: V's links, rules, routes (all tables) and nft ruleset are as before" ||
		diag_file "$T/v.diff" 40
	is "$(default4)" "$DEF4" "$label: IPv4 default route restored"
	is "$(default6)" "$DEF6" "$label: IPv6 default route restored"
	nsx "$V" ping -c 1 -W 2 "$ROUTED_GW4" >/dev/null 2>&1
	tap_ok $? "$label: V reaches R again"
}

# handed_back LABEL: ns_handed_back, and the daemon forgot the subject and says what it did.
handed_back() {
	local label=$1
	ns_handed_back "$label"
	is "$(status_json_q "len([s for s in d['subjects'] if s.get('pid') == $A])")" 0 \
		"$label: no Pid subject in status"
	is "$(state_q "len([s for s in p if s['pid'] == $A])")" 0 "$label: no Pid entry in the state"
	status_json_q "[x['teardown'] for x in d.get('detached', []) if x['pid'] == $A][-1]" >"$T/td"
	grep -q 'restored 2 saved default routes' "$T/td"
	tap_ok $? "$label: status --json says what teardown did ($(head -c 300 "$T/td"))"
	nsp status >"$T/status.txt" 2>&1
	grep -q "^detached pid $A from .*: removed .*restored 2 saved default routes" "$T/status.txt"
	tap_ok $? "$label: status says it too" || diag_file "$T/status.txt"
}

# ------------------------------------------------------------ down
attached "down" at

# While attached, V's own veth carries nothing out: R counts every IP packet
# from V's addresses but neighbour discovery and MLD (link housekeeping).
nsx "${PFX}r" nft -f - <<-EOF2 || bail "counter in R"
	table inet ${PFX}cnt {
		counter from_v { }
		chain in {
			type filter hook prerouting priority -300; policy accept;
			icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, mld-listener-report, mld2-listener-report } accept
			ip saddr 198.51.100.130 counter name from_v
			ip6 saddr { 2001:db8:5::2, fe80::/10 } counter name from_v
		}
	}
EOF2
from_v() { nsx "${PFX}r" nft -j list counter inet "${PFX}cnt" from_v |
	"$PYTHON" -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'; }
is "$(from_v)" 0 "R's counter starts at 0"
nsenter -t "$A" -n curl -gsS --max-time 3 "http://$ROUTED_GW4/" >/dev/null 2>&1
nsenter -t "$A" -n curl -gsS --max-time 3 "http://[$ROUTED_GW6]/" >/dev/null 2>&1
nsenter -t "$A" -n ping -c 1 -W 1 "$ROUTED_GW4" >/dev/null 2>&1
nsenter -t "$A" -n sh -c "echo x >/dev/udp/$ROUTED_GW4/9" 2>/dev/null
is "$(from_v)" 0 "attached: TCP, ICMP and UDP from V to R over V's own veth: no packet reaches R"
nsp down at >"$T/down.out" 2>&1
is "$?" 0 "down at: exits 0" || diag_file "$T/down.out"
grep -q "detached pid $A from at" "$T/down.out"
tap_ok $? "down at: prints 'detached pid $A from at' ($(tr '\n' '|' <"$T/down.out"))"
handed_back "down"

[ "$(from_v)" -ge 1 ]
tap_ok $? "after down: R counts the ping that proved V reaches R again (the counter works)"
nsx "${PFX}r" nft delete table inet "${PFX}cnt"

# ------------------------------------------------------------ down after a daemon restart
attached "restart" keep
kill9_daemon
restart_ready "restart: every subject applied again"
wait_until 10 pid_applied "$A"
tap_ok $? "restart: the Pid subject is applied again"
nsp down keep >"$T/down.out" 2>&1
is "$?" 0 "down keep after the restart: exits 0" || diag_file "$T/down.out"
handed_back "down after restart"

# ------------------------------------------------------------ down without a daemon
attached "offline" keep
stop_daemon
nsp down keep >"$T/down.out" 2>&1
is "$?" 0 "down keep without a daemon: exits 0" || diag_file "$T/down.out"
grep -q "^detached pid $A from keep: removed .*restored 2 saved default routes" "$T/down.out"
tap_ok $? "down without a daemon: says what it did ($(tr '\n' '|' <"$T/down.out"))"
ns_handed_back "down without a daemon"
is "$(state_q "len([s for s in p if s['pid'] == $A])")" 0 "down without a daemon: no Pid entry"
restart_ready "restart after the offline down"

# ------------------------------------------------------------ reload removing the profile
write_conf at keep gone
nsp reload >/dev/null 2>&1 || fail "reload adding 'gone'"
attached "reload" gone
write_conf at keep
nsp reload >"$T/reload.out" 2>&1
is "$?" 0 "reload without 'gone': exits 0" || diag_file "$T/reload.out"
handed_back "reload"

sanitizer_clean
tap_done
