#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_failclosed.sh - docs/GUARANTEES.md 1: with the daemon killed (-9) or stopped
# (SIGTERM, exit 0), every new connection in the subject fails at once
# (< 1 s) and no packet leaves: tcpdump in H, P1 and W sees nothing during the
# attempts.  The subject stays (closed); a restarted daemon serves it again;
# `netnsp down` removes it.
#
#   [S fc: curl via nsenter (no daemon needed)]     no link anywhere
#        ^ setns
#   [H: netnsp daemon (killed); tcpdump]  198.51.100.1
#        | veth
#   [P1: microsocks :1080; tcpdump]  198.51.100.2
#        | veth
#   [W: world.py :80; tcpdump]  203.0.113.100  2001:db8:100::1
. "$(dirname "$0")/lib.sh"
lib_init microsocks tcpdump

topo_p1_up
S=$(subject_ns fc)

conf_p1 fc >"$CONF"

daemon_up
expect_client fc "http://$W4/" "$P1_W4" "works while the daemon runs"

in_subject() { nsenter --net="/run/netns/$S" "$@"; }

# attempts LABEL: connects that must all fail at once; tcpdump in H, P1, W.
attempts() {
	local label=$1 n rc ms url cnt caps=()
	for n in h p1 w; do
		local ns_var="NS_${n^^}"
		bg nsx "${!ns_var}" tcpdump -i any -n -U -w "$T/$label-$n.pcap" 2>"$T/$label-$n.err"
		caps+=("$LAST_PID")
	done
	for n in h p1 w; do
		for _ in $(seq 50); do grep -q listening "$T/$label-$n.err" && break; sleep 0.1; done
	done
	for url in "http://$W4/" "http://[$W6]/" "http://$P1_H4:1080/" "http://$H4:22/"; do
		ms=$(curl_ms "$T/curl.err" in_subject curl -gsS --max-time 5 "$url")
		rc=$?
		[ "$rc" -ne 0 ] && [ "$ms" -lt 1000 ]
		tap_ok $? "$label: connect to $url fails at once (rc $rc, $ms ms)" ||
			diag_file "$T/curl.err"
	done
	grep -q 'refused\|Couldn.t connect' "$T/curl.err"
	tap_ok $? "$label: the error is 'connection refused'" || diag_file "$T/curl.err"
	sleep 0.5
	kill -INT "${caps[@]}" 2>/dev/null
	wait "${caps[@]}" 2>/dev/null
	for n in h p1 w; do
		cnt=$(pcap_subject_packets "$T/$label-$n.pcap")
		is "$cnt" 0 "$label: no packet seen in ${n^^} during the attempts" ||
			tcpdump -r "$T/$label-$n.pcap" -n 2>/dev/null | head -5 | sed 's/^/#   /'
	done
}

kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
attempts "after kill -9"
[ -e "/run/netns/$S" ]
tap_ok $? "the subject namespace is still there (and closed)"

start_daemon
if wait_ready 10; then pass "daemon restarted, subject applied again"; else
	fail "daemon restarted, subject applied again"
	diag_file "$T/daemon.log"
fi
expect_client fc "http://$W4/" "$P1_W4" "the restarted daemon serves the subject"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
is "$?" 0 "SIGTERM: the daemon exits 0"
attempts "after SIGTERM"
[ -e "/run/netns/$S" ]
tap_ok $? "SIGTERM: the subject namespace stays"
sanitizer_clean

nsp down fc >"$T/down.out" 2>&1
is "$?" 0 "netnsp down (no daemon running) exits 0" || diag_file "$T/down.out"
[ ! -e "/run/netns/$S" ]
tap_ok $? "netnsp down removed the subject namespace"
tap_done
