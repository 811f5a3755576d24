#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_refuse.sh - with the daemon running, what a profile does not relay is
# refused at once inside a subject (docs/GUARANTEES.md 3-5): UDP (udp = off) is
# refused (EHOSTUNREACH, ECONNREFUSED or EPERM); ICMP echo never leaves; DNS
# to any server is answered inside the namespace, here REFUSED at once
# (dns = off).  Nothing reaches P1 or W.
#
#   [S rf: ping, python UDP probe, dig via `netnsp exec`]   no link
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1
#        | veth
#   [P1: microsocks :1080; tcpdump]  198.51.100.2
#        | veth
#   [W: world.py :80; tcpdump]  203.0.113.100  2001:db8:100::1
. "$(dirname "$0")/lib.sh"
lib_init microsocks ping dig tcpdump

topo_p1_up

conf_p1 rf >"$CONF"

daemon_up
expect_client rf "http://$W4/" "$P1_W4" "TCP works (the subject is up)"

# Watch P1 and W for anything but TCP to/from the proxy port.
start_capture() { # start_capture NS NAME
	bg nsx "$1" tcpdump -i any -n -U -w "$T/$2.pcap" 'not tcp' 2>"$T/$2.tcpdump"
	for _ in $(seq 50); do grep -q listening "$T/$2.tcpdump" && return 0; sleep 0.1; done
	return 1
}
start_capture "$NS_P1" p1 && start_capture "$NS_W" w || bail "tcpdump did not start"

# within_1s DESC CMD...: CMD, run inside the subject, fails within 1 s
# (timed inside the subject, so `netnsp exec`'s own start-up is not counted;
# a CMD that prints "probe_ms=N" timed itself, leaving out its own start-up
# too: a Python interpreter can take seconds to start on a busy machine).
within_1s() {
	local desc=$1 rc ms
	shift
	nexec rf bash -c 't0=$(date +%s%N); "$@"; rc=$?
		echo "elapsed_ms=$((($(date +%s%N) - t0) / 1000000))"; exit $rc' timed "$@" \
		>"$T/probe.out" 2>&1
	rc=$?
	ms=$(sed -n 's/^probe_ms=//p' "$T/probe.out")
	[ -n "$ms" ] || ms=$(sed -n 's/^elapsed_ms=//p' "$T/probe.out")
	[ "$rc" -ne 0 ] && [ -n "$ms" ] && [ "$ms" -lt 1000 ]
	tap_ok $? "$desc (rc $rc, ${ms:-?} ms)" || diag_file "$T/probe.out"
}

# The application must learn at once: EHOSTUNREACH (refused by policy
# routing, at connect()), ECONNREFUSED (ICMP port unreachable) or EPERM
# (rejected on output); a timeout or an answer is a failure.
UDP_PROBE='
import errno, socket, sys, time
t0 = time.monotonic()
def done(what, rc):
    print(what)
    print("probe_ms=%d" % ((time.monotonic() - t0) * 1000))
    sys.exit(rc)
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(3)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
    s.send(b"hello")
    s.recv(100)
    done("answered", 0)
except (ConnectionRefusedError, PermissionError) as e:
    done("refused: %s" % e, 1)
except socket.timeout:
    done("timeout", 0)
except OSError as e:
    if e.errno != errno.EHOSTUNREACH:
        raise
    done("refused: %s" % e, 1)
'
for dst in "$W4" "$W6"; do
	for port in 9999 443; do
		within_1s "UDP to $dst port $port refused at once" "$PYTHON" -c "$UDP_PROBE" "$dst" "$port"
		grep -q '^refused' "$T/probe.out"
		tap_ok $? "UDP to $dst port $port: the application saw the refusal ($(head -n1 "$T/probe.out"))"
	done
done
within_1s "ICMP echo to W (IPv4) fails at once" ping -n -c1 -i0.2 -W3 "$W4"
within_1s "ICMPv6 echo to W fails at once" ping -6 -n -c1 -i0.2 -W3 "$W6"
within_1s "ICMP echo to the proxy's own address fails at once" ping -n -c1 -i0.2 -W3 "$P1_H4"
# DNS is what users run: with dns = off it is answered REFUSED inside, at once,
# over UDP and TCP, whatever server address the program picks.
for srv in "$W4" "$W6"; do
	for tr in +notcp +tcp; do
		nexec rf dig +tries=1 +time=3 "$tr" @"$srv" example.org >"$T/dig.out" 2>&1
		ms=$(dig_query_ms <"$T/dig.out")
		grep -q 'status: REFUSED' "$T/dig.out" && [ -n "$ms" ] && [ "$ms" -lt 1000 ]
		tap_ok $? "dig $tr @$srv: REFUSED by the resolver inside at once (${ms:-?} ms)" ||
			diag_file "$T/dig.out"
	done
done

sleep 0.5
# Stop the two tcpdumps (the last two background jobs) so they flush.
kill -INT "${_PIDS[-1]}" "${_PIDS[-2]}" 2>/dev/null
wait "${_PIDS[-1]}" "${_PIDS[-2]}" 2>/dev/null
for n in p1 w; do
	cnt=$(tcpdump -r "$T/$n.pcap" -n 'icmp or udp or (icmp6 and not ip6 multicast and not src net fe80::/10)' 2>/dev/null |
		grep -c '')
	is "$cnt" 0 "no UDP/ICMP packet reached ${n^^} during the probes" ||
		tcpdump -r "$T/$n.pcap" -n 2>/dev/null | head -5 | sed 's/^/#   /'
done
kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
