#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_topology.sh - the test bed itself, without netnsp: proves the facts the
# other tests rely on, so a failure there points at netnsp, not at the bed.
#
#   [H: curl]  198.51.100.1  2001:db8:1::1        no default route
#      | veth
#   [P1: microsocks :1080 :1081(u/p), tinyproxy :8888 :8889(auth), danted :1082]
#      |  198.51.100.65 ------------------ 198.51.100.66 [P2: microsocks :1080]
#      |  203.0.113.1  2001:db8:3::1                     | 203.0.113.65  2001:db8:4::1
#   [W: world.py  203.0.113.100:80  [2001:db8:100::1]:80] -+
#
# Facts: H reaches neither W nor P2 directly; through each P1 proxy W sees
# P1's address; through P1 -> P2 (curl's own proxy to P2 is impossible from H)
# is what netnsp's chains will do.
NO_NETNSP=1
. "$(dirname "$0")/lib.sh"
lib_init microsocks tinyproxy danted

topo_p1_up
start_microsocks "$NS_P1" 1081 alice s3cret || bail "microsocks :1081"
start_microsocks "$NS_P2" 1080 || bail "microsocks P2 :1080"
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy :8888"
start_tinyproxy "$NS_P1" "$P1_H4" 8889 bob pa55 || bail "tinyproxy :8889"
start_danted "$NS_P1" "$P1_H4" 1082 || bail "danted :1082"

c() { nsx "$NS_H" curl -gsS --max-time 5 "$@" 2>>"$T/curl.err"; }

c "http://$W4/" >/dev/null
tap_ok $((! $?)) "H cannot reach W's IPv4 directly"
c "http://[$W6]/" >/dev/null
tap_ok $((! $?)) "H cannot reach W's IPv6 directly"
nsx "$NS_H" timeout 2 bash -c "exec 3<>/dev/tcp/$P2_P4/1080" 2>/dev/null
tap_ok $((! $?)) "H cannot reach P2"
is "$(c -x "socks5://$P1_H4:1080" "http://$W4/")" "client=$P1_W4" "socks5 noauth via P1, v4"
is "$(c -x "socks5://$P1_H4:1080" "http://[$W6]/")" "client=$P1_W6" "socks5 noauth via P1, v6"
is "$(c -x "socks5://alice:s3cret@$P1_H4:1081" "http://$W4/")" "client=$P1_W4" "socks5 u/p via P1"
c -x "socks5://alice:wrong@$P1_H4:1081" "http://$W4/" >/dev/null
tap_ok $((! $?)) "socks5 wrong password refused by microsocks"
is "$(c -x "socks4://$P1_H4:1082" "http://$W4/")" "client=$P1_W4" "socks4 via danted, v4"
is "$(c -p -x "http://$P1_H4:8888" "http://$W4/")" "client=$P1_W4" "CONNECT via tinyproxy, v4"
is "$(c -p -x "http://$P1_H4:8888" "http://[$W6]/")" "client=$P1_W6" "CONNECT via tinyproxy, v6"
is "$(c -p -x "http://bob:pa55@$P1_H4:8889" "http://$W4/")" "client=$P1_W4" \
	"CONNECT with Basic auth via tinyproxy"
c -p -x "http://bob:nope@$P1_H4:8889" "http://$W4/" >/dev/null
tap_ok $((! $?)) "CONNECT with a wrong password refused by tinyproxy"
is "$(nsx "$NS_P1" curl -gsS --max-time 5 -x "socks5://$P2_P4:1080" "http://$W4/")" \
	"client=$P2_W4" "from P1, P2's proxy reaches W and W sees P2"
diag_file "$T/curl.err"
tap_done
