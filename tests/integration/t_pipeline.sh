#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_pipeline.sh - `pipeline = yes` on a SOCKS5 proxy: the relay sends the
# greeting, the credentials and the CONNECT request at once, so the proxy
# already holds the request when it reads the greeting; without the option it
# holds nothing more until it answered.  With credentials (isolate = profile)
# only username/password is offered.  Dante (Debian's danted) takes pipelined
# requests too.  Turning the option on is a chain change for reload.
#
#   [S np / pl / plc / pd: curl via `netnsp exec`]   no link; daemon's listeners inside
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1  2001:db8:1::1    (no route to W)
#        | veth
#   [P1: socks5_watch.py :1090, danted :1085]  198.51.100.2
#        | veth  203.0.113.1  2001:db8:3::1
#   [W: world.py 203.0.113.100:80 [2001:db8:100::1]:80 -> "client=ADDR"]
#
# socks5_watch.py writes one line per connection: the methods offered and how
# many bytes followed the greeting before it answered (it waits 0.3 s first).
. "$(dirname "$0")/lib.sh"
lib_init danted

topo_world_up
WATCH_LOG=$T/watch.log
: >"$WATCH_LOG"
bg nsx "$NS_P1" "$PYTHON" "$LIB_DIR/socks5_watch.py" 0.0.0.0 1090 "$WATCH_LOG" \
	2>>"$T/watch.err"
wait_port "$NS_P1" 127.0.0.1 1090 || bail "socks5_watch.py did not start"
start_danted "$NS_P1" "$P1_H4" 1085 || bail "danted"

conf_all() { # conf_all [LINE...]: the config, LINEs added to proxy np
	echo "# t_pipeline.sh"
	conf_proxy np "socks5://$P1_H4:1090" "isolate = none" "$@"
	conf_proxy pl "socks5://$P1_H4:1090" "isolate = none" "pipeline = yes"
	conf_proxy plc "socks5h://$P1_H4:1090" "pipeline = yes"
	conf_proxy pd "socks5://$P1_H4:1085" "isolate = none" "pipeline = yes"
	for p in np pl plc pd; do conf_profile "$p" "$p"; done
}
conf_all >"$CONF"

daemon_up

# watched FIELD: FIELD of the last connection socks5_watch.py logged.
watched() { tail -n 1 "$WATCH_LOG" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# One connection through PROFILE to the world; the watch line it left must be new.
through_watch() { # through_watch PROFILE URL WANT DESC
	local before
	before=$(grep -c '' "$WATCH_LOG")
	expect_client "$@"
	is "$(grep -c '' "$WATCH_LOG")" "$((before + 1))" "$1: socks5_watch.py logged that connection"
}

through_watch np "http://$W4/" "$P1_W4" "without pipeline: IPv4 destination via P1"
is "$(watched methods)" 00 "without pipeline: only 'no authentication' offered"
is "$(watched early)" 0 "without pipeline: nothing follows the greeting before the method reply"
is "$(watched connect)" "$W4:80" "without pipeline: the request names the destination"

through_watch pl "http://$W4/" "$P1_W4" "pipeline: IPv4 destination via P1"
is "$(watched early)" 10 "pipeline: the 10-byte IPv4 CONNECT came with the greeting"
is "$(watched methods)" 00 "pipeline without credentials: 'no authentication' offered"
is "$(watched connect)" "$W4:80" "pipeline: the request names the destination"

through_watch pl "http://[$W6]/" "$P1_W6" "pipeline: IPv6 destination via P1"
is "$(watched early)" 22 "pipeline: the 22-byte IPv6 CONNECT came with the greeting"

through_watch plc "http://$W4/" "$P1_W4" "pipeline with isolation credentials: via P1"
is "$(watched methods)" 02 "pipeline with credentials: only username/password offered"
user=$(watched user)
[ -n "$user" ] && [ "$user" != - ]
tap_ok $? "pipeline with credentials: the derived username arrived ($user)"
early=$(watched early)
# 01 ULEN USER PLEN PASS, then the 10-byte CONNECT: at least 13 + ULEN bytes.
[ "${early:-0}" -ge $((13 + ${#user})) ]
tap_ok $? "pipeline with credentials: credentials and request came with the greeting ($early bytes)"

expect_client pd "http://$W4/" "$P1_W4" "pipeline through danted: IPv4 destination via P1"
for i in 1 2 3 4 5; do
	body=$(curl_world pd "http://$W4/" 2>>"$T/curl.err")
	[ "$body" = "client=$P1_W4" ] || break
done
is "$body" "client=$P1_W4" "pipeline through danted: five more connections in a row"

conf_all "pipeline = yes" >"$CONF"
is "$(nsp reload 2>"$T/reload.err")" "~ profile np: chain" "reload: pipeline turned on is a chain change" ||
	diag_file "$T/reload.err"
wait_ready 10
through_watch np "http://$W4/" "$P1_W4" "after reload: np still reaches the world via P1"
is "$(watched early)" 10 "after reload: np now sends the CONNECT with the greeting"

is "$(status_field pl connections_failed)" 0 "pl: no connection failed"
is "$(status_field pd connections_failed)" 0 "pd: no connection failed"
sanitizer_clean
tap_done
