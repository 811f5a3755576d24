#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_fastopen.sh - `fastopen = yes` on a proxy: the relay connects to it with
# TCP Fast Open (RFC 7413), so from the second connection on the SOCKS5
# greeting rides in the SYN; without the option no SYN carries data; an
# upstream that does not do TFO still works.
#
#   [S fo / plain: curl via `netnsp exec`]   no link; daemon's listeners inside
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1   net.ipv4.tcp_fastopen = 1 (client)
#        | veth h0 -- p0: tcpdump on p0 (SYNs to :1080, with and without data)
#   [P1: microsocks :1080, tinyproxy :8888]  198.51.100.2   net.ipv4.tcp_fastopen =
#        | veth      0x402 (server on every listener: neither has TFO code of its own)
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
#
# Proxies fo (fastopen = yes) and plain (no option) are the same microsocks; fh is
# tinyproxy with fastopen = yes (the HTTP CONNECT request rides in the SYN).
. "$(dirname "$0")/lib.sh"
lib_init microsocks tinyproxy tcpdump nstat

topo_setup || bail "topology setup failed"
# Before microsocks listens: the kernel sizes a listener's TFO queue at listen().
if ! nsx "$NS_P1" sysctl -qw net.ipv4.tcp_fastopen=1026 2>"$T/sysctl.err" ||
	! nsx "$NS_H" sysctl -qw net.ipv4.tcp_fastopen=1 2>>"$T/sysctl.err"; then
	skip "net.ipv4.tcp_fastopen not settable per namespace: $(head -n 1 "$T/sysctl.err")" \
		"TCP Fast Open towards the first hop"
	tap_done
	exit
fi
start_world || bail "world server did not start"
start_microsocks "$NS_P1" 1080 || bail "microsocks"
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy"
diag "microsocks and tinyproxy have no TFO code: P1's kernel does it for every listener (tcp_fastopen = 0x402)"

{
	echo "# t_fastopen.sh"
	conf_proxy fo "socks5://$P1_H4:1080" "fastopen = yes"
	conf_proxy plain "socks5://$P1_H4:1080"
	conf_proxy fh "http://$P1_H4:8888" "fastopen = yes"
	for p in fo plain fh; do conf_profile "$p" "$p"; done
} >"$CONF"

daemon_up

# capture NAME [PORT]: tcpdump on P1's end of the link, SYNs (no ACK) to PORT (1080) only.
capture() {
	bg nsx "$NS_P1" tcpdump -i p0 -n -U --immediate-mode -w "$T/$1.pcap" \
		"tcp dst port ${2:-1080} and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn" \
		2>"$T/$1.tcpdump.err"
	CAP_PID=$LAST_PID
	wait_until 5 grep -q listening "$T/$1.tcpdump.err"
}
stop_capture() {
	sleep 0.3
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
}
# syn_counts NAME: "SYNS SYNS_WITH_DATA" in the capture.
syn_counts() {
	local all data
	all=$(tcpdump -r "$T/$1.pcap" -n 2>/dev/null | grep -c '')
	data=$(tcpdump -r "$T/$1.pcap" -n \
		'(ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0' 2>/dev/null |
		grep -c '')
	echo "$all $data"
}
# fetches_via_p1 N PROFILE: how many of N fetches from PROFILE reached the world through P1.
fetches_via_p1() {
	local i ok=0 body
	for ((i = 0; i < $1; i++)); do
		body=$(curl_world "$2" "http://$W4/" 2>>"$T/curl.err")
		[ "$body" = "client=$P1_W4" ] && ok=$((ok + 1))
	done
	echo "$ok"
}
# tfo_active: H's count of SYNs whose data the server acknowledged (TcpExtTCPFastOpenActive).
tfo_active() {
	nsx "$NS_H" nstat -asz TcpExtTCPFastOpenActive 2>/dev/null |
		awk '$1 == "TcpExtTCPFastOpenActive" { print $2; found = 1 } END { if (!found) print 0 }'
}

# 1. fastopen = yes: the first connect fetches a cookie, the next ones carry data.
active0=$(tfo_active)
capture fo
ok=$(fetches_via_p1 4 fo)
stop_capture
is "$ok" 4 "fastopen = yes: 4 of 4 fetches through the proxy (world saw P1)" ||
	diag_file "$T/curl.err"
read -r syns data < <(syn_counts fo)
[ "${syns:-0}" -ge 4 ] && [ "${data:-0}" -ge 3 ]
tap_ok $? "fastopen = yes: SYNs to the proxy carry data after the first ($data of $syns)" ||
	tcpdump -r "$T/fo.pcap" -n -v 2>&1 | sed 's/^/# /' | head -n 20
active=$(($(tfo_active) - active0))
[ "$active" -ge 3 ]
tap_ok $? "fastopen = yes: the proxy's kernel accepted the data in the SYN ($active times)"

# 2. Without the option (same proxy, cookie cached in H): no SYN carries data.
capture plain
body=$(curl_world plain "http://$W4/" 2>>"$T/curl.err")
is "$body" "client=$P1_W4" "no fastopen: fetch through the proxy works"
stop_capture
read -r syns data < <(syn_counts plain)
[ "${syns:-0}" -ge 1 ] && [ "${data:-1}" -eq 0 ]
tap_ok $? "no fastopen: SYNs to the proxy carry no data ($data of $syns)"

# 3. An HTTP CONNECT proxy: the CONNECT request rides in the SYN.
capture fh 8888
ok=$(fetches_via_p1 2 fh)
stop_capture
is "$ok" 2 "http proxy, fastopen = yes: 2 of 2 fetches through tinyproxy"
read -r syns data < <(syn_counts fh)
[ "${syns:-0}" -ge 2 ] && [ "${data:-0}" -ge 1 ]
tap_ok $? "http proxy, fastopen = yes: the CONNECT request rode in a SYN ($data of $syns)"

# 4. An upstream that stops doing TFO: with the old cookie the SYN's data is ignored
# and sent again after the handshake; once the cookie is gone, plain SYNs.
nsx "$NS_P1" sysctl -qw net.ipv4.tcp_fastopen=0
body=$(curl_world fo "http://$W4/" 2>>"$T/curl.err")
is "$body" "client=$P1_W4" "upstream stopped TFO, stale cookie: fetch still works"
nsx "$NS_H" ip tcp_metrics flush all 2>/dev/null
capture off
ok=$(fetches_via_p1 2 fo)
stop_capture
is "$ok" 2 "upstream without TFO: fastopen = yes still fetches through the proxy"
read -r syns data < <(syn_counts off)
diag "upstream without TFO: $data of $syns SYNs carried data (no cookie is ever granted)"
[ "${syns:-0}" -ge 2 ] && [ "${data:-1}" -eq 0 ]
tap_ok $? "upstream without TFO: plain SYNs ($data of $syns with data)"

failed=$(status_field fo connections_failed)
is "$failed" 0 "status: no failed connection on profile fo"
sanitizer_clean
tap_done
