#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_udp_chain.sh - UDP through a chain whose last hop is SOCKS5 and grants UDP
# ASSOCIATE: the association's control connection goes through every hop
# (CONNECT through P1 to P2, UDP ASSOCIATE with P2), its datagrams go from H
# straight to the relay address P2 gave, which H can reach (P1 routes
# 198.51.100.64/26 for it).  A chain whose last hop refuses UDP ASSOCIATE,
# is an HTTP proxy, or whose relay address H cannot reach: UDP refused at
# once, while TCP goes through the same chain.  The daemon runs workers = 3:
# TCP is spread over worker threads, UDP stays on the main loop.
#
#   [S c2 / cmicro / chttp / chid: udp_client.py, dig, curl via `netnsp exec`]
#        ^ setns
#   [H: netnsp daemon] 198.51.100.1  2001:db8:1::1   (no route to W; to P2 v4 via P1)
#        | veth
#   [P1: microsocks :1080] 198.51.100.2 / 198.51.100.65   (forwards H <-> P2, IPv4 only)
#        | veth
#   [P2: danted 198.51.100.66:1090 (UDP ASSOCIATE), danted 198.51.100.130:1091
#        (UDP ASSOCIATE; that address is routed from P1, not from H), microsocks
#        :1080 (REP 7 to UDP ASSOCIATE), tinyproxy 198.51.100.66:8888]
#        | veth  203.0.113.65  2001:db8:4::1
#   [W: world.py :80 + UDP echo :7000 -> "from=ADDR|DATA", dnsmasq W4:5353]
#
# W answers with the address it saw: P2's (203.0.113.65), never P1's
# (203.0.113.1): the datagrams left through the chain's last hop.
. "$(dirname "$0")/lib.sh"
lib_init danted microsocks tinyproxy dnsmasq dig

topo_setup || bail "topology setup failed"
nsx "$NS_P1" sysctl -qw net.ipv4.ip_forward=1 &&
	nsx "$NS_H" ip route add 198.51.100.64/26 via "$P1_H4" &&
	nsx "$NS_P2" ip route add 198.51.100.0/26 via 198.51.100.65 || bail "H <-> P2 through P1"
P2_HIDDEN=198.51.100.130 # P2's, reachable from P1 only
addr "$NS_P2" lo "$P2_HIDDEN/32" && nsx "$NS_P1" ip route add "$P2_HIDDEN" via "$P2_P4" ||
	bail "P2's hidden address"
start_world --udp-echo 7000 --udp-addr "$W4" --udp-addr "$W6" || bail "world"
start_microsocks "$NS_P1" 1080 || bail "microsocks P1"
DANTED_EXT=w2 start_danted "$NS_P2" "$P2_P4" 1090 udp || bail "danted P2 :1090"
DANTED_EXT=w2 start_danted "$NS_P2" "$P2_HIDDEN" 1091 udp || bail "danted P2 :1091"
start_tinyproxy "$NS_P2" "$P2_P4" 8888 || bail "tinyproxy P2"
bg nsx "$NS_P2" microsocks -i "$P2_P4" -p 1080 >>"$T/microsocks-p2.log" 2>&1
wait_port "$NS_P2" "$P2_P4" 1080 || bail "microsocks P2"
# A DNS server in W on a port other than 53 (UDP to port 53 is the subject's
# own resolver's): it answers chain.test and logs who asked.
bg nsx "$NS_W" dnsmasq --keep-in-foreground --no-resolv --no-hosts --pid-file= \
	--user=root --group=root --log-queries --log-facility="$T/dnsq.log" \
	--listen-address="$W4" --bind-interfaces --port=5353 --address=/chain.test/198.51.100.77 \
	2>>"$T/dnsq.err"
wait_until 10 nsx "$NS_W" dig +tries=1 +time=1 +short -p 5353 @"$W4" localhost.test A \
	>/dev/null || bail "dnsmasq in W"

# Worker threads serve the transparent TCP; UDP (flows, associations, the
# probe) stays on the main loop (docs/DESIGN.md "Workers").
{
	printf '[daemon]\nworkers = 3\n'
	conf_proxy first "socks5://$P1_H4:1080"
	conf_proxy dante2 "socks5://$P2_P4:1090" "via = first"
	conf_proxy micro2 "socks5://$P2_P4:1080" "via = first"
	conf_proxy http2 "http://$P2_P4:8888" "via = first"
	conf_proxy dantehid "socks5://$P2_HIDDEN:1091" "via = first"
	for p in c2:dante2 cmicro:micro2 chttp:http2 chid:dantehid; do
		conf_profile "${p%%:*}" "${p#*:}" "udp = on"
	done
} >"$CONF"


daemon_up
is "$(status_json_q 'len(d["workers"])')" 3 "workers = 3: status lists 3 event loops"

# ------------------------------------------------------------ a chain that carries UDP

expect_client c2 "http://$W4/" "$P2_W4" "c2: TCP through P1 then P2 (W sees P2)"
wait_log "profile 'c2': UDP ASSOCIATE granted" 10
tap_ok $? "c2: the probe through the chain was granted (log)"
is "$(status_field c2 udp)" '"associate"' "status: c2 udp is associate"
is "$(uc c2 echo "$W4" 7000 chained)" "from=$P2_W4|chained" \
	"c2: UDP datagram echoed, W saw the last hop's address (P2)"
is "$(uc c2 two "$W4" 7000)" "two-b one-a one-c" "c2: two flows at once stay separate"
is "$(uc c2 from "$W4" 7000 src)" "$W4 7000" "c2: the reply comes from the original destination"
is "$(dig_in c2 +notcp -p 5353 @"$W4" chain.test A)" "NOERROR A=198.51.100.77" \
	"c2: dig over UDP to a DNS server in W answers through the chain"
grep -q "query\[A\] chain.test from $P2_W4" "$T/dnsq.log"
tap_ok $? "c2: the DNS server saw the query from P2" || diag_file "$T/dnsq.log"
! grep -qE "from ($P1_W4|$P1_H4|198.51.100.65)\$" "$T/dnsq.log"
tap_ok $? "c2: and never from P1"
# The live flows' control connections go through P1: danted has them from
# P1's address on its side (198.51.100.65), none from H.
peers=$(nsx "$NS_P2" ss -Htn state established "( sport = :1090 )" | awk '{ print $4 }' |
	sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
is "$peers" "198.51.100.65 " "c2: danted's control connections all come from P1"
n=$(status_field c2 udp_flows_total)
[ "${n:-0}" -ge 4 ] 2>/dev/null
tap_ok $? "status: c2 counts its UDP flows (${n:-none})"

# ------------------------------------------------------------ chains that cannot

refused_at_once() { # refused_at_once PROFILE DESC
	local out ms
	out=$(uc "$1" refused "$W4" 7000)
	ms=${out##* }
	[ "${out%% *}" = EHOSTUNREACH ] && [ "${ms:-9999}" -lt 1000 ]
	tap_ok $? "$2: UDP refused at once ($out)"
}

expect_client cmicro "http://$W4/" "$P2_W4" "cmicro: TCP through the same chain works"
wait_until 10 udp_is cmicro refused
tap_ok $? "cmicro: last hop microsocks (REP 7): status says refused"
is "$(status_field cmicro udp_why)" \
	"\"the upstream refused UDP ASSOCIATE: socks5://$P2_P4:1080: SOCKS5 reply 7 (command not supported)\"" \
	"cmicro: status says why"
refused_at_once cmicro "cmicro"

expect_client chttp "http://$W4/" "$P2_W4" "chttp: TCP through P1 then HTTP P2 works"
is "$(status_field chttp udp)" '"refused"' "chttp: last hop HTTP: status says refused"
is "$(status_field chttp udp_why)" '"the chain'"'"'s last hop: an HTTP proxy cannot carry UDP"' \
	"chttp: status says why"
refused_at_once chttp "chttp"

# danted on P2's hidden address grants the association through P1, but its
# relay address is not reachable from H: the probe's connect() finds no route.
expect_client chid "http://$W4/" "$P2_W4" "chid: TCP through P1 to the hidden danted works"
wait_until 10 udp_is chid refused
tap_ok $? "chid: relay address unreachable from H: status says refused"
is "$(status_field chid udp_why)" \
	'"the upstream refused UDP ASSOCIATE: its relay address: Network is unreachable"' \
	"chid: status says why"
refused_at_once chid "chid"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
is "$(status_field c2 udp)" '"associate"' "c2 is still associate after the others' refusals"
sanitizer_clean
tap_done
