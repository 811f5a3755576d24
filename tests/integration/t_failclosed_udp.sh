#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_failclosed_udp.sh - fail closed for every protocol, not only TCP: with the
# daemon killed (-9) or stopped (SIGTERM), inside a subject with `udp = on`
# (fu) and one with `udp = off` and the resolver on (fn), each of these fails
# within 1 s: TCP connect over IPv4 and IPv6 (refused), UDP to an arbitrary
# address and port (a connected socket's send or recv gets an error), DNS over
# UDP and over TCP to a fixed server (dig @203.0.113.53), ICMP echo.  Each one is
# first shown to work (or, for ping, the tool to run) while the daemon is up.
# A UDP flow that was relayed before the daemon went gets an error on its
# next datagram.
# No packet leaves: tcpdump on the subject's own uplink (nsp-up0, the only
# non-loopback link it has) and in H, P1 and W sees nothing during the
# attempts.
#
#   [S fu (udp = on) / fn (udp = off): python3 UDP client, dig, curl, ping
#      via nsenter (no daemon needed); tcpdump -i nsp-up0]    no link anywhere
#        ^ setns (transparent TCP/UDP listeners, resolver on :53)
#   [H: netnsp daemon (killed, stopped); tcpdump]  198.51.100.1 (no route to W)
#        | veth
#   [P1: danted :1090 (UDP ASSOCIATE); tcpdump]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80, udp echo :7000; tcpdump]
#
# 203.0.113.53 and 2001:db8:100::53 answer nothing in this test: the subject's resolver answers
# every query to port 53 inside the namespace while the daemon runs.
. "$(dirname "$0")/lib.sh"
lib_init danted dig tcpdump ping

topo_world_up

cat >"$T/echo.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(b"from=" + peer[0].encode() + b"|" + data, peer)
PY
bg nsx "$NS_W" "$PYTHON" "$T/echo.py" "$W4" 7000 2>>"$T/echo.log"

start_danted "$NS_P1" "$P1_H4" 1090 udp || bail "danted :1090"

# The client.  udp HOST PORT: a connected socket sends one datagram and waits
# up to 3 s for a reply.  keep HOST PORT FILE: the same, then again on the same
# socket once FILE exists (a flow that outlives the daemon).  icmp HOST: a raw socket sends one echo request and
# waits up to 3 s.  Prints what it saw and when: "reply DATA MS", "send:ERRNO
# MS", "recv:ERRNO MS" or "timeout MS".
cat >"$T/uclient.py" <<'PY'
import errno, os, socket, sys, time
mode, host = sys.argv[1], sys.argv[2]
v6 = ":" in host
fam = socket.AF_INET6 if v6 else socket.AF_INET
if mode in ("udp", "keep"):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    port, msg = int(sys.argv[3]), b"probe"
else:
    s = socket.socket(fam, socket.SOCK_RAW,
                      socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    # Echo request, id 0x4e53, seq 1; the kernel fills in the ICMPv6 checksum.
    port, msg = 0, bytes([128 if v6 else 8, 0, 0, 0, 0x4E, 0x53, 0, 1]) + b"probe"
    if not v6:
        c = sum(msg[i] << 8 | msg[i + 1] for i in range(0, len(msg) - 1, 2)) + (msg[-1] << 8)
        c = (c >> 16) + (c & 0xFFFF)
        c = ~(c + (c >> 16)) & 0xFFFF
        msg = msg[:2] + bytes([c >> 8, c & 0xFF]) + msg[4:]
s.settimeout(3)
t0 = time.monotonic()
ms = lambda: int((time.monotonic() - t0) * 1000)
step = "send"
try:
    s.connect((host, port))
    if mode == "keep":
        s.send(msg)
        print("first", s.recv(65535).decode(errors="replace"), flush=True)
        while not os.path.exists(sys.argv[4]):
            time.sleep(0.05)
        t0 = time.monotonic()
    s.send(msg)
    step = "recv"
    data = s.recv(65535)
    print("reply", data.decode(errors="replace") if mode != "icmp" else "icmp", ms())
except socket.timeout:
    print("timeout", ms())
except OSError as e:
    print(step + ":" + errno.errorcode.get(e.errno, str(e.errno)), ms())
PY
chmod 0644 "$T/uclient.py"

{
	conf_proxy dante "socks5://$P1_H4:1090"
	conf_profile fu dante "dns = fake" "udp = on"
	conf_profile fn dante "dns = fake" "udp = off"
} >"$CONF"

in_subject() { # in_subject PROFILE CMD...: CMD in the subject's namespace (nsenter)
	local prof=$1
	shift
	nsenter --net="/run/netns/$(subject_ns "$prof")" "$@"
}

log_mark
daemon_up
wait_log "profile 'fu': UDP ASSOCIATE granted" 10
tap_ok $? "fu: the upstream grants UDP ASSOCIATE (the daemon's probe)"

# The liveness table lives as long as its netlink socket: a child the daemon
# execs (the managed tor) must not inherit it, or the table would outlive a
# killed daemon.  libnftables opens it without SOCK_CLOEXEC; netnsp sets it.
leaky=()
for f in /proc/"$DAEMON_PID"/fd/*; do
	n=${f##*/}
	[ "$n" -gt 2 ] || continue
	[[ $(readlink "$f") == socket:* ]] || continue # inherited files are not the daemon's
	fl=$(awk '/^flags:/ {print $2}' "/proc/$DAEMON_PID/fdinfo/$n" 2>/dev/null) || continue
	[ -n "$fl" ] || continue
	(((8#$fl & 8#2000000) == 0)) && leaky+=("$n:$(readlink "$f")")
done
nl=$(find /proc/"$DAEMON_PID"/fd -lname 'socket:*' 2>/dev/null | wc -l)
[ "$nl" -gt 0 ] && [ ${#leaky[@]} -eq 0 ]
tap_ok $? "every socket of the daemon is close-on-exec ($nl sockets; without: ${leaky[*]:-none})"

# ------------------------------------------------------------ with the daemon up

for prof in fu fn; do
	expect_client "$prof" "http://$W4/" "$P1_W4" "$prof: TCP through the proxy while the daemon runs"
	a=$(in_subject "$prof" dig +tries=1 +time=3 +short @"$DNS4" world.test A 2>&1)
	[[ $a =~ ^198\.1[89]\. ]]
	tap_ok $? "$prof: DNS over UDP to $DNS4 is answered inside (fake address '$a')"
	a=$(in_subject "$prof" dig +tcp +tries=1 +time=3 +short @"$DNS4" world.test A 2>&1)
	[[ $a =~ ^198\.1[89]\. ]]
	tap_ok $? "$prof: DNS over TCP to $DNS4 is answered inside (fake address '$a')"
	in_subject "$prof" ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1
	tap_ok $? "$prof: ping runs (127.0.0.1 answers inside the subject)"
	for dst in 127.0.0.1 ::1; do
		got=$(in_subject "$prof" "$PYTHON" "$T/uclient.py" icmp "$dst")
		[[ $got == "reply icmp "* ]]
		tap_ok $? "$prof: the ICMP probe hears back from $dst inside (got '$got')"
	done
done
got=$(in_subject fu "$PYTHON" "$T/uclient.py" udp "$W4" 7000)
[[ $got == "reply from=$P1_W4|probe "* ]]
tap_ok $? "fu: UDP to $W4:7000 is relayed while the daemon runs (got '$got')"

# ------------------------------------------------------------ with the daemon gone

# keep_start: a UDP flow in fu that is up before the daemon goes.
keep_start() {
	rm -f "$T/keep.go"
	bg nsenter --net="/run/netns/$(subject_ns fu)" "$PYTHON" "$T/uclient.py" keep "$W4" 7000 \
		"$T/keep.go" >"$T/keep.out" 2>&1
	KEEP_PID=$LAST_PID
	wait_until 5 grep -q '^first' "$T/keep.out"
	tap_ok $? "fu: a UDP flow is relayed before the daemon goes ($(head -1 "$T/keep.out"))"
}

# keep_check LABEL: its next datagram after the daemon went gets an error at once.
keep_check() {
	local got
	touch "$T/keep.go"
	wait "$KEEP_PID" 2>/dev/null
	got=$(sed -n 2p "$T/keep.out")
	[[ $got =~ ^(send|recv):E[A-Z]+\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[2]}" -lt 1000 ]
	tap_ok $? "$1: fu: the flow's next datagram gets an error at once (got '$got')"
}

# quick LABEL MS_LIMIT OUTPUT_FILE REGEX CMD...: CMD fails within MS_LIMIT ms
# (wall clock) and its output matches REGEX.
quick() {
	local label=$1 lim=$2 out=$3 re=$4 t0 rc ms
	shift 4
	t0=$(now_ms)
	"$@" >"$out" 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	[ "$rc" -ne 0 ] && [ "$ms" -lt "$lim" ] && grep -qE "$re" "$out"
	tap_ok $? "$label (rc $rc, $ms ms: $(grep -m1 . "$out" | cut -c1-80))" || diag_file "$out"
}

# probe LABEL PROFILE CLIENT-ARGS...: the client in PROFILE's subject sees an
# error within 1 s of its connect() (its own clock: interpreter start-up on
# a loaded machine is not the kernel's answer).
probe() {
	local label=$1 prof=$2 got
	shift 2
	got=$(in_subject "$prof" "$PYTHON" "$T/uclient.py" "$@" 2>&1)
	[[ $got =~ ^(send|recv):E[A-Z]+\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[2]}" -lt 1000 ]
	tap_ok $? "$label (got '$got')"
}

# attempts LABEL: every protocol from both subjects fails at once; nothing
# is seen on the subjects' uplinks, in H, P1 or W meanwhile.
attempts() {
	local label=$1 prof n cnt got caps=() where=()
	for n in h p1 w; do
		local ns_var="NS_${n^^}"
		bg nsx "${!ns_var}" tcpdump -i any -n -U -w "$T/$label-$n.pcap" 2>"$T/$label-$n.err"
		caps+=("$LAST_PID")
		where+=("$n")
	done
	for prof in fu fn; do
		bg nsenter --net="/run/netns/$(subject_ns "$prof")" tcpdump -i nsp-up0 -n -U -w "$T/$label-$prof.pcap" \
			2>"$T/$label-$prof.err"
		caps+=("$LAST_PID")
		where+=("$prof")
	done
	for n in "${where[@]}"; do
		for _ in $(seq 50); do grep -q listening "$T/$label-$n.err" && break; sleep 0.1; done
	done
	for prof in fu fn; do
		quick "$label: $prof: TCP to $W4:80 refused" 1000 "$T/o" 'refused|Couldn.t connect' \
			in_subject "$prof" curl -gsS --max-time 5 "http://$W4/"
		quick "$label: $prof: TCP to [$W6]:80 refused" 1000 "$T/o" 'refused|Couldn.t connect' \
			in_subject "$prof" curl -gsS --max-time 5 "http://[$W6]/"
		for dst in "$W4 7000" "198.51.100.77 4433" "2001:db8:77::1 443"; do
			probe "$label: $prof: UDP to ${dst/ /:} gets an error at once" "$prof" udp $dst
		done
		for srv in "$DNS4" "$DNS6"; do
			quick "$label: $prof: DNS over UDP to $srv fails" 1000 "$T/o" \
				'communications error|connection refused|unreachable' \
				in_subject "$prof" dig +tries=1 +time=3 @"$srv" world.test A
		done
		quick "$label: $prof: DNS over TCP to $DNS4 fails" 1000 "$T/o" \
			'communications error|connection refused|unreachable' \
			in_subject "$prof" dig +tcp +tries=1 +time=3 @"$DNS4" world.test A
		for dst in "$W4" "$W6"; do
			probe "$label: $prof: ICMP echo to $dst gets an error at once" "$prof" icmp "$dst"
		done
		# iputils ping ignores a send error (EHOSTUNREACH) and waits for its
		# deadline, so only its outcome is checked here, not its time.
		quick "$label: $prof: ping $W4 gets no reply" 5000 "$T/o" \
			'No route to host|[Uu]nreachable|1 packets transmitted, 0 received' \
			in_subject "$prof" ping -c 1 -W 1 "$W4"
	done
	sleep 0.5
	kill -INT "${caps[@]}" 2>/dev/null
	wait "${caps[@]}" 2>/dev/null
	for n in "${where[@]}"; do
		cnt=$(pcap_subject_packets "$T/$label-$n.pcap")
		is "$cnt" 0 "$label: no packet seen on $n's side during the attempts" ||
			tcpdump -r "$T/$label-$n.pcap" -n 2>/dev/null | head -5 | sed 's/^/#   /'
	done
}

keep_start
kill9_daemon
keep_check "after kill -9"
attempts "after kill -9"

log_mark
restart_ready "daemon restarted, both subjects applied again"
wait_log "profile 'fu': UDP ASSOCIATE granted" 10
got=$(in_subject fu "$PYTHON" "$T/uclient.py" udp "$W4" 7000)
[[ $got == "reply from=$P1_W4|probe "* ]]
tap_ok $? "fu: the restarted daemon relays UDP again (got '$got')"

keep_start
stop_daemon
is "$?" 0 "SIGTERM: the daemon exits 0"
keep_check "after SIGTERM"
attempts "after SIGTERM"
sanitizer_clean
tap_done
