#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_dirty.sh - applies converge from any state (docs/GUARANTEES.md 7): with the
# daemon stopped, break one piece of the subject's datapath by hand, restart,
# and the subject must look exactly as after a clean apply (links, addresses,
# policy rules, table 20051, main routes, nft table inet netnsp), proxy again,
# and still fail closed when the daemon is killed.  Pieces:
#   uplink nsp-up0 deleted; nft table deleted; an accept rule inserted in the
#   table (and a foreign chain added); the fwmark policy rule deleted; table
#   20051's routes deleted; an extra rule at the policy rule's priority; a rule
#   at a higher priority that diverts marked packets to the main table; all of
#   them at once.
#
#   [S dirty: curl via `netnsp exec`; broken by hand with ip/nft]
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks nft

topo_p1_up
S=$(subject_ns dirty)

conf_p1 dirty >"$CONF"

# snap: the subject's datapath as text (nothing that changes on its own:
# no ifindexes, no link-local addresses, no nft handles).
snap() {
	exec 4>&2 2>/dev/null
	echo "# links"
	ip -n "$S" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
	echo "# addr"
	ip -n "$S" -4 -o addr show dev nsp-up0 | awk '{ print $4 }'
	ip -n "$S" -6 -o addr show dev nsp-up0 scope global | awk '{ print $4 }'
	echo "# rules"
	ip -n "$S" -4 rule show
	ip -n "$S" -6 rule show
	echo "# table 20051"
	ip -n "$S" -4 route show table 20051
	ip -n "$S" -6 route show table 20051
	echo "# main"
	ip -n "$S" -4 route show
	ip -n "$S" -6 route show | grep -v '^fe80::/64'
	echo "# nft"
	ip netns exec "$S" nft list table inet netnsp 2>&1
	exec 2>&4 4>&-
}

daemon_up
expect_client dirty "http://$W4/" "$P1_W4" "clean apply: proxies through P1"
expect_client dirty "http://[$W6]/" "$P1_W6" "clean apply: IPv6 proxies through P1"
snap >"$T/ref.snap"
grep -q 'fwmark 0x4e53 lookup 20051' "$T/ref.snap" && grep -q 'table inet netnsp' "$T/ref.snap"
tap_ok $? "reference snapshot has the policy rule and the nft table" || diag_file "$T/ref.snap" 60

# case NAME CMDS: stop, break with CMDS (eval'd), check it broke, restart, check converged.
case_dirty() {
	local name=$1 cmds=$2
	stop_daemon
	if ! eval "$cmds" >"$T/break.out" 2>&1; then
		fail "$name: breaking it by hand worked"
		diag_file "$T/break.out"
		restart_ready "$name: restart" || bail "daemon did not restart"
		return
	fi
	snap >"$T/broken.snap"
	! cmp -s "$T/ref.snap" "$T/broken.snap"
	tap_ok $? "$name: broken by hand (datapath differs from the clean apply)"
	log_mark
	restart_ready "$name: restart: subject applied" || bail "daemon did not restart"
	snap >"$T/fixed.snap"
	if cmp -s "$T/ref.snap" "$T/fixed.snap"; then
		pass "$name: converged to exactly the clean apply's datapath"
	else
		fail "$name: converged to exactly the clean apply's datapath"
		diff "$T/ref.snap" "$T/fixed.snap" | sed 's/^/#   /' | head -30
	fi
	expect_client dirty "http://$W4/" "$P1_W4" "$name: proxies through P1 again"
}

in_s() { ip netns exec "$S" "$@"; }

case_dirty "uplink deleted" 'ip -n "$S" link del nsp-up0'
case_dirty "nft table deleted" 'in_s nft delete table inet netnsp'
case_dirty "nft table edited" "in_s nft insert rule inet netnsp out_mark ip daddr $W4 accept &&
	in_s nft add chain inet netnsp foreign '{ type filter hook output priority -300; policy accept; }' &&
	in_s nft add rule inet netnsp foreign ip daddr $W4 accept"
case_dirty "policy rule deleted" 'ip -n "$S" -4 rule del pref 100 fwmark 0x4e53 lookup 20051 &&
	ip -n "$S" -6 rule del pref 100 fwmark 0x4e53 lookup 20051'
case_dirty "table 20051 routes deleted" 'ip -n "$S" -4 route flush table 20051 &&
	ip -n "$S" -6 route flush table 20051'
case_dirty "all at once" 'in_s nft delete table inet netnsp &&
	ip -n "$S" -4 rule del pref 100 fwmark 0x4e53 lookup 20051 &&
	ip -n "$S" -6 route flush table 20051 &&
	ip -n "$S" link del nsp-up0'
expect_client dirty "http://[$W6]/" "$P1_W6" "after the repairs: IPv6 proxies through P1"

# closed_after_kill LABEL: kill -9, every connect (v4, v6) refused at once.
closed_after_kill() {
	local rc ms
	kill9_daemon
	refused_at_once "$1: kill -9: IPv4 connect refused at once" --net="/run/netns/$S"
	ms=$(curl_ms "$T/c6.err" nsenter --net="/run/netns/$S" curl -gsS --max-time 5 "http://[$W6]/")
	rc=$?
	[ "$rc" -ne 0 ] && [ "$ms" -lt 1000 ]
	tap_ok $? "$1: kill -9: IPv6 connect fails at once (rc $rc, $ms ms)" || diag_file "$T/c6.err"
}
closed_after_kill "after the repairs"
restart_ready "restart after kill -9" || bail "daemon did not restart"

# Extra policy rules.  Each case is undone by hand afterwards (by priority, so
# the deletion cannot hit netnsp's own rule) in case the daemon left it.
case_dirty "rule diverting marked packets (pref 50 fwmark -> main)" \
	'ip -n "$S" -4 rule add pref 50 fwmark 0x4e53 lookup main &&
	ip -n "$S" -6 rule add pref 50 fwmark 0x4e53 lookup main'
closed_after_kill "with a diverting rule repaired"
while ip -n "$S" -4 rule del pref 50 2>/dev/null; do :; done
while ip -n "$S" -6 rule del pref 50 2>/dev/null; do :; done
restart_ready "restart after kill -9" || bail "daemon did not restart"
case_dirty "extra rules at the policy priority (pref 100)" \
	'ip -n "$S" -4 rule add pref 100 lookup 20051 &&
	ip -n "$S" -6 rule add pref 100 to 2001:db8::/32 lookup main'
closed_after_kill "with extra rules at pref 100 repaired"
sanitizer_clean
tap_done
