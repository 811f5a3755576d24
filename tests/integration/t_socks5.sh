#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_socks5.sh - SOCKS5 upstreams (RFC 1928, RFC 1929 user/pass): no auth,
# user/password, socks5h; TCP to the world over IPv4 and IPv6 from inside a
# subject goes through the proxy with its original destination.
#
#   [S s5 / s5u / s5h: curl via `netnsp exec`]   no link; daemon's listeners inside
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1  2001:db8:1::1    (no route to W)
#        | veth
#   [P1: microsocks :1080 (noauth), :1081 (alice/s3cret)]  198.51.100.2
#        | veth  203.0.113.1  2001:db8:3::1
#   [W: world.py 203.0.113.100:80 [2001:db8:100::1]:80 -> "client=ADDR"]
#
# W must see P1's address (203.0.113.1 / 2001:db8:3::1): H has no route to W,
# so any answer at all came through the proxy.
. "$(dirname "$0")/lib.sh"
lib_init microsocks

topo_p1_up
start_microsocks "$NS_P1" 1081 alice s3cret || bail "microsocks :1081"

{
	echo "# t_socks5.sh"
	conf_proxy plain "socks5://$P1_H4:1080"
	conf_proxy auth "socks5://alice:s3cret@$P1_H4:1081"
	conf_proxy hostnames "socks5h://$P1_H4:1080"
	conf_profile s5 plain
	conf_profile s5u auth
	conf_profile s5h hostnames
} >"$CONF"

daemon_up
for p in s5 s5u s5h; do
	[ -e "/run/netns/$(subject_ns "$p")" ]
	tap_ok $? "subject namespace of $p exists under /run/netns"
done

expect_client s5 "http://$W4/" "$P1_W4" "socks5 noauth: IPv4 destination via P1"
expect_client s5 "http://[$W6]/" "$P1_W6" "socks5 noauth: IPv6 destination via P1"
expect_client s5u "http://$W4/" "$P1_W4" "socks5 user/pass: IPv4 destination via P1"
expect_client s5u "http://[$W6]/" "$P1_W6" "socks5 user/pass: IPv6 destination via P1"
expect_client s5h "http://$W4/" "$P1_W4" "socks5h: IPv4 destination via P1"
expect_client s5h "http://[$W6]/" "$P1_W6" "socks5h: IPv6 destination via P1"

# The original destination port travels too: a second world server on :8080.
bg nsx "$NS_W" "$PYTHON" "$LIB_DIR/world.py" --port 8080 2>>"$T/world.log"
wait_port "$NS_W" "$W4" 8080 || bail "world :8080"
expect_client s5 "http://$W4:8080/" "$P1_W4" "socks5: original destination port (8080) kept"

# status --json counts what went through.
total=$(status_field s5 connections_total)
[ "${total:-0}" -ge 3 ] 2>/dev/null
tap_ok $? "status: s5 connections_total >= 3 (got ${total:-none})"
up=$(status_field s5 bytes_up)
down=$(status_field s5 bytes_down)
[ "${up:-0}" -gt 0 ] 2>/dev/null && [ "${down:-0}" -gt "${up:-0}" ] 2>/dev/null
tap_ok $? "status: s5 bytes_up > 0 and bytes_down > bytes_up (got $up / $down)"
is "$(status_field s5 chain)" "[\"socks5://$P1_H4:1080\"]" "status: chain of s5 as in the contract"
chain=$(status_field s5u chain)
case $chain in *"$P1_H4:1081"*) [[ $chain != *s3cret* ]] ;; *) false ;; esac
tap_ok $? "status: chain of s5u names the proxy but not its password (got $chain)"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
