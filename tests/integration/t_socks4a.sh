#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_socks4a.sh - a SOCKS4a upstream (Dante).  SOCKS4 carries only IPv4
# (an IPv4 destination travels as DSTIP; 4a's hostname form is for names),
# so only an IPv4 destination can succeed through a SOCKS4 server.
#
#   [S s4: curl via `netnsp exec`]     no link
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1           (no route to W)
#        | veth
#   [P1: danted :1082 (SOCKS4/SOCKS5, no auth)]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init danted

topo_world_up
start_danted "$NS_P1" "$P1_H4" 1082 || bail "danted :1082"

{
	conf_proxy d4 "socks4a://$P1_H4:1082"
	conf_profile s4 d4
} >"$CONF"

daemon_up
expect_client s4 "http://$W4/" "$P1_W4" "socks4a: IPv4 destination via P1"
expect_client s4 "http://$W4/" "$P1_W4" "socks4a: a second connection works too"

# IPv6 cannot be said in SOCKS4; whatever netnsp does, it must fail fast, not hang.
ms=$(curl_ms /dev/null nexec s4 curl -gsS --max-time 8 "http://[$W6]/")
rc=$?
[ "$rc" -ne 0 ] && [ "$ms" -lt 3000 ]
tap_ok $? "socks4a: IPv6 destination fails within 3 s (curl rc $rc, $ms ms)"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
