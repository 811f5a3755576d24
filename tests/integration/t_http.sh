#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_http.sh - HTTP CONNECT upstreams (RFC 9110 §9.3.6), with and without
# Basic auth (RFC 7617): TCP from a subject to the world over IPv4 and IPv6.
#
#   [S hc / hca: curl via `netnsp exec`]     no link
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1           (no route to W)
#        | veth
#   [P1: tinyproxy :8888, tinyproxy :8889 (BasicAuth bob pa55)]  198.51.100.2
#        | veth  203.0.113.1  2001:db8:3::1
#   [W: world.py 203.0.113.100:80 [2001:db8:100::1]:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init tinyproxy

topo_world_up
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy :8888"
start_tinyproxy "$NS_P1" "$P1_H4" 8889 bob pa55 || bail "tinyproxy :8889"

{
	conf_proxy tp "http://$P1_H4:8888"
	conf_proxy tpauth "http://bob:pa55@$P1_H4:8889"
	conf_profile hc tp
	conf_profile hca tpauth
} >"$CONF"

daemon_up
expect_client hc "http://$W4/" "$P1_W4" "CONNECT: IPv4 destination via P1"
expect_client hc "http://[$W6]/" "$P1_W6" "CONNECT: IPv6 destination via P1"
expect_client hca "http://$W4/" "$P1_W4" "CONNECT + Basic auth: IPv4 destination via P1"
expect_client hca "http://[$W6]/" "$P1_W6" "CONNECT + Basic auth: IPv6 destination via P1"

# A bigger body both ways: 4 MB down through the tunnel, byte-exact.
n=$(curl_world hc "http://$W4/slow?bytes=4194304&rate=400000000" | wc -c)
is "$n" 4194304 "CONNECT: 4 MiB body arrives complete"

grep -q 'CONNECT' "$T/tinyproxy-8888.log"
tap_ok $? "tinyproxy logged CONNECT requests (the tunnel was used)"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
