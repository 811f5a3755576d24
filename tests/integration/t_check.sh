#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_check.sh - `netnsp check PROFILE`: exit 0 on a healthy subject (and
# --json parses), non-zero naming the problem on each deliberately broken
# setup, restored in between: an extra veth from the subject to H with a
# default route by it, the nft table flushed, the daemon killed, and both
# of the first two at once.  tcpdump on H's end of the extra veth shows what
# really left (so a LEAK line is right, and an ok line is not hiding one).
#
#   [S ck: netnsp's subject]  nsp-up0/nsp-up1 (both ends inside)
#        |  xv0 198.51.100.194/26 2001:db8:9::2/64   (broken setups only)
#        |  xh0 198.51.100.193/26 2001:db8:9::1/64   tcpdump here
#   [H: netnsp daemon, netnsp check]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth
#   [W: world.py :80]  203.0.113.100  2001:db8:100::1
. "$(dirname "$0")/lib.sh"
lib_init microsocks tcpdump

topo_p1_up
S=$(subject_ns ck)

cat >"$CONF" <<EOF2
[proxy p1]
url = socks5://$P1_H4:1080

[profile ck]
via = p1
netns = $S
EOF2

daemon_up
expect_client ck "http://$W4/" "$P1_W4" "the subject works through P1"

check() { # check LABEL: runs netnsp check ck; output in $T/LABEL.out, status in CHECK_RC
	nsp check ck >"$T/$1.out" 2>"$T/$1.err"
	CHECK_RC=$?
}

reported() { grep -qE '^(ok|LEAK|broken) +(daemon|setup):' "$T/$1.out"; } # check printed its report

check_fails() { # check_fails LABEL DESC: check ran, reported, and exits 1
	check "$1"
	[ "$CHECK_RC" -eq 1 ] && reported "$1"
	tap_ok $? "$2: check reports and exits 1 (rc $CHECK_RC)" || diag_file "$T/$1.out" 60
}

# names LABEL REGEX DESC: the check of LABEL failed and a non-ok line matches REGEX
names() {
	grep -E '^(LEAK|broken)' "$T/$1.out" | grep -qE -- "$2"
	tap_ok $? "$3" || { diag_file "$T/$1.out" 60; diag_file "$T/$1.err"; }
}

check good
is "$CHECK_RC" 0 "healthy subject: check exits 0" || { diag_file "$T/good.out" 80; diag_file "$T/good.err"; }
grep -q '^ok *tcp4 203.0.113.9: taken by the relay' "$T/good.out"
tap_ok $? "healthy: TCP to an outside address is taken by the relay (identity checked)" ||
	diag_file "$T/good.out" 60
nsp check --json ck >"$T/good.json" 2>/dev/null
"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = [p for p in d["probes"] if p["result"] != "ok"]
print("\n".join("# %(result)s %(probe)s: %(reason)s" % p for p in bad))
assert d["ok"] is True and d["leaks"] == 0 and len(d["probes"]) > 10 and not bad' "$T/good.json"
tap_ok $? "healthy: --json is valid, ok, every probe ok"

# capture NAME: tcpdump on H's end of the extra veth; stop_capture prints the count of
# packets that came from the subject (IP traffic, not the link's own housekeeping).
capture() {
	bg nsx "$NS_H" tcpdump -i xh0 -n -U -w "$T/$1.pcap" 2>"$T/$1.tcpdump.err"
	CAP_PID=$LAST_PID
	for _ in $(seq 50); do grep -q listening "$T/$1.tcpdump.err" && break; sleep 0.1; done
}
stop_capture() {
	sleep 0.3
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	tcpdump -r "$T/$1.pcap" -n 'src host 198.51.100.194 or src host 2001:db8:9::2 or
		(ip6 and src net fe80::/10 and not icmp6)' 2>/dev/null | tee "$T/$1.pkts" | grep -c ''
}

extra_veth() { # a veth from S to H with addresses and a default route by it
	veth "$S" xv0 "$NS_H" xh0 &&
		addr "$NS_H" xh0 198.51.100.193/26 2001:db8:9::1/64 &&
		addr "$S" xv0 198.51.100.194/26 2001:db8:9::2/64 &&
		ip -n "$S" route replace default via 198.51.100.193 dev xv0 &&
		ip -n "$S" -6 route replace default via 2001:db8:9::1 dev xv0
}
at_cleanup "ip -n $NS_H link del xh0"

restore() { # restart the daemon: every apply converges the subject again
	ip -n "$S" link del xv0 2>/dev/null
	stop_daemon
	restart_ready "$1"
}

# 1. An extra veth to H and default routes by it.
extra_veth || bail "extra veth"
capture veth
check_fails veth "extra veth + default route"
n=$(stop_capture veth)
names veth "link 'xv0'.*way out" "extra veth: the foreign link is named as a LEAK"
names veth "route .*via a gateway dev xv0" "extra veth: the default route by a gateway is named"
diag "packets from S seen on H's end of the extra veth during check: $n" "what check said:"
grep -E '^(LEAK|broken)' "$T/veth.out" | sed 's/^/#   /'
diag_file "$T/veth.pkts" 10
if [ "$n" -gt 0 ]; then
	grep -qE '^LEAK .*(left by link .xv0.|connected, and the other end)' "$T/veth.out"
	tap_ok $? "extra veth: packets really left by xv0, and a probe says LEAK for them" ||
		diag_file "$T/veth.out" 60
else
	reported veth && ! grep -qE 'left by link' "$T/veth.out"
	tap_ok $? "extra veth: nothing left by xv0 (nft still seals), and no probe claims it did" ||
		diag_file "$T/veth.out" 60
fi
restore "restored after the extra veth"
check good2
is "$CHECK_RC" 0 "restored: check exits 0 again" || diag_file "$T/good2.out" 60

# 2. The nft table flushed inside the subject.
ip netns exec "$S" nft flush table inet netnsp
check_fails flush "nft table flushed"
names flush "^broken +nft table: line" "flushed: the nft table is named as differing"
# Into the uplink (counted there), or refused before a packet left because the
# uplink's neighbour entry failed earlier (EHOSTUNREACH): either way not relayed.
names flush "tcp4 203.0.113.9: .*(uplink|neither relayed|relay is not taking connections)" \
	"flushed: TCP is not relayed any more, and the probe says so"
restore "restored after the flush"

# 3. Flushed and an extra veth: a real leak, seen on H's side.
ip netns exec "$S" nft flush table inet netnsp
extra_veth || bail "extra veth"
capture both
check_fails both "flushed + extra veth"
n=$(stop_capture both)
[ "$n" -gt 0 ] && grep -q '203.0.113.9' "$T/both.pkts"
tap_ok $? "flushed + extra veth: tcpdump on H sees the subject's packets to 203.0.113.9 ($n packets)" ||
	diag_file "$T/both.pkts"
names both "tcp4 203.0.113.9: .*left by link 'xv0'" "flushed + extra veth: the TCP probe is a LEAK by xv0"
restore "restored after flush + extra veth"

# 4. The daemon killed: fails closed, but check must not pass.
kill9_daemon
check_fails dead "daemon killed"
names dead "^broken +daemon: not running" "daemon killed: named"
names dead "tcp4 203.0.113.9: refused at once" "daemon killed: TCP is refused at once (fails closed)"
reported dead && ! grep -q '^LEAK' "$T/dead.out"
tap_ok $? "daemon killed: no probe claims a leak" || diag_file "$T/dead.out" 60

nsp check nosuch >/dev/null 2>"$T/usage.err"
is "$?" 2 "an unknown profile is a usage error (exit 2)"
one_line "$T/usage.err" && grep -q "no profile 'nosuch'" "$T/usage.err"
tap_ok $? "... with one line of error naming it" || diag_file "$T/usage.err"

sanitizer_clean
! grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T"/*.err 2>/dev/null
tap_ok $? "the netnsp commands run here printed no sanitizer report"
tap_done
