#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_chain.sh - proxy chains (`via`): the subject's traffic reaches W only
# through P1 then P2; H cannot reach P2 itself, so an answer proves both hops.
#
#   [S two / mixed / p2only: curl via `netnsp exec`]     no link
#        ^ setns
#   [H: netnsp daemon] 198.51.100.1     (no route to P2 or W)
#        | veth
#   [P1: microsocks :1080, tinyproxy :8888] 198.51.100.2 / 198.51.100.65
#        | veth                                     \
#   [P2: microsocks :1080] 198.51.100.66             \ (P1-W link unused by chains)
#        | veth  203.0.113.65  2001:db8:4::1
#   [W: world.py 203.0.113.100:80 [2001:db8:100::1]:80 -> "client=ADDR"]
#
# W must report P2's address (203.0.113.65 / 2001:db8:4::1).
. "$(dirname "$0")/lib.sh"
lib_init microsocks tinyproxy

topo_p1_up
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy P1"
start_microsocks "$NS_P2" 1080 || bail "microsocks P2"

{
	conf_proxy first "socks5://$P1_H4:1080"
	conf_proxy second "socks5://$P2_P4:1080" "via = first"
	conf_proxy firsthttp "http://$P1_H4:8888"
	conf_proxy secondafterhttp "socks5://$P2_P4:1080" "via = firsthttp"
	conf_proxy unreachable "socks5://$P2_P4:1080"
	conf_profile two second
	conf_profile mixed secondafterhttp
	conf_profile p2only unreachable
} >"$CONF"

daemon_up
expect_client two "http://$W4/" "$P2_W4" "socks5 -> socks5 chain: IPv4, W sees P2"
expect_client two "http://[$W6]/" "$P2_W6" "socks5 -> socks5 chain: IPv6, W sees P2"
expect_client mixed "http://$W4/" "$P2_W4" "CONNECT -> socks5 chain: IPv4, W sees P2"
expect_client mixed "http://[$W6]/" "$P2_W6" "CONNECT -> socks5 chain: IPv6, W sees P2"
is "$(status_field two chain)" "[\"socks5://$P1_H4:1080\", \"socks5://$P2_P4:1080\"]" \
	"status: chain of 'two' lists both hops, first hop first"

# Control: P2 as a single hop is unreachable from H, so this must fail (fast).
t0=$(now_ms)
curl_world p2only "http://$W4/" >/dev/null 2>&1
rc=$?
ms=$(($(now_ms) - t0))
[ "$rc" -ne 0 ]
tap_ok $? "P2 alone (not reachable from H) fails: curl rc $rc after $ms ms"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
