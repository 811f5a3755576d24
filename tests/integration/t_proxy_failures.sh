#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_proxy_failures.sh - upstream failures fail only that connection, fast:
# a proxy killed mid-transfer, a wrong password (SOCKS5 RFC 1929 status != 0,
# HTTP 407/401), a proxy that is not listening.  The daemon lives on and serves
# the next request once the proxy is back.
#
#   [S kill / badpw / badhttp / closed: curl via `netnsp exec`]   no link
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1
#        | veth
#   [P1: microsocks :1083 (killed and restarted), microsocks :1081 (alice/s3cret),
#        tinyproxy :8889 (BasicAuth bob pa55), nothing on :1099]   198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80, /slow streams 2 MB/s]
. "$(dirname "$0")/lib.sh"
lib_init microsocks tinyproxy

topo_world_up
start_microsocks "$NS_P1" 1083 || bail "microsocks :1083"
KILLME=$MICROSOCKS_PID
start_microsocks "$NS_P1" 1081 alice s3cret || bail "microsocks :1081"
start_tinyproxy "$NS_P1" "$P1_H4" 8889 bob pa55 || bail "tinyproxy :8889"

{
	conf_proxy victim "socks5://$P1_H4:1083"
	conf_proxy wrongpw "socks5://alice:WRONG@$P1_H4:1081"
	conf_proxy wronghttp "http://bob:WRONG@$P1_H4:8889"
	conf_proxy nothing "socks5://$P1_H4:1099"
	conf_profile kill victim
	conf_profile badpw wrongpw
	conf_profile badhttp wronghttp
	conf_profile closed nothing
} >"$CONF"

daemon_up
expect_client kill "http://$W4/" "$P1_W4" "victim proxy works before it is killed"

# fails_fast PROFILE MAX_MS DESC: curl to W fails within MAX_MS (curl's own time, curl_ms).
fails_fast() {
	local rc ms
	ms=$(curl_ms "$T/curl.err" nexec "$1" curl -gsS --max-time 8 "http://$W4/")
	rc=$?
	[ "$rc" -ne 0 ] && [ "$ms" -lt "$2" ]
	tap_ok $? "$3 (curl rc $rc, $ms ms)" || diag_file "$T/curl.err"
}

# --- proxy killed in the middle of a 20 s download
out=$T/slow.out
t_start=$(now_ms)
nexec kill curl -gsS --max-time 60 -o "$out" "http://$W4/slow?bytes=40000000&rate=2000000" \
	2>"$T/slow.err" &
CURL_PID=$!
_PIDS+=("$CURL_PID")
for _ in $(seq 100); do
	[ "$(stat -c %s "$out" 2>/dev/null || echo 0)" -gt 200000 ] && break
	sleep 0.1
done
got=$(stat -c %s "$out" 2>/dev/null || echo 0)
[ "$got" -gt 200000 ]
tap_ok $? "download is flowing through the victim proxy ($got bytes)"
kill -KILL "$KILLME"
t0=$(now_ms)
for _ in $(seq 100); do kill -0 "$CURL_PID" 2>/dev/null || break; sleep 0.05; done
wait "$CURL_PID"
rc=$?
ms=$(($(now_ms) - t0))
[ "$rc" -ne 0 ] && [ "$ms" -lt 5000 ]
tap_ok $? "proxy killed mid-transfer: curl fails in < 5 s (rc $rc, $ms ms)" ||
	diag_file "$T/slow.err"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon alive after the proxy died"
fails_fast kill 3000 "proxy down: a new connection fails in < 3 s"
start_microsocks "$NS_P1" 1083 || bail "microsocks :1083 restart"
expect_client kill "http://$W4/" "$P1_W4" "proxy restarted: the next request works"

# --- wrong credentials
fails_fast badpw 3000 "socks5 wrong password: fails in < 3 s"
fails_fast badhttp 3000 "CONNECT wrong password (407/401): fails in < 3 s"
fails_fast closed 3000 "proxy port closed: fails in < 3 s"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon alive after auth failures"
status_all_applied
tap_ok $? "status still answers and every subject is still applied"
expect_client kill "http://$W4/" "$P1_W4" "a healthy profile still works afterwards"
sanitizer_clean
tap_done
