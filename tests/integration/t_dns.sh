#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_dns.sh - the resolver inside every subject (docs/GUARANTEES.md 3):
# fake-mode A/AAAA over UDP and TCP to any server address, answered inside
# the namespace from the subject's pools (198.18.0.0/15 and a ULA /64 of its own),
# stable per name, PTR of a fake address, glibc (getent) and curl by name with
# the name resolved by the proxy, ipv6 = off, dns = off, malformed queries,
# and the mappings across reload and restart.  Forwarding of other types
# through the chain (dns-server, dns = proxy) is in t_dns_forward.sh.
#
#   [S fk / n6 / off: dig, getent, curl, python via `netnsp exec`]  no link
#        ^ setns                       (resolv.conf -> the uplink 100.64.0.4*ID+1)
#   [H: netnsp daemon]  198.51.100.1                 (no route to W)
#        | veth
#   [P1: microsocks :1080, /etc/hosts: world.test = 203.0.113.100 (ip netns exec
#        binds /etc/netns/P1/hosts); tcpdump port 53]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80; dnsmasq 203.0.113.53 / 2001:db8:100::53 with
#       --log-queries (world.test A/AAAA/MX/TXT); tcpdump port 53]
#
# dnsmasq is the resolver nobody in this test may ask: fake-mode lookups must
# never reach it (its log is counted) and no DNS packet may cross P1 or W.
. "$(dirname "$0")/lib.sh"
lib_init microsocks dig dnsmasq tcpdump getent

FAKE4_NET=198.18.0.0/15

topo_world_up
w_service "$DNS6" "$NS_P1" || bail "dnsmasq's IPv6 address"

# microsocks in P1 resolves world.test from its own /etc/hosts: ip netns exec
# bind-mounts /etc/netns/NS/hosts over /etc/hosts in a private mount namespace.
mkdir -p "/etc/netns/$NS_P1" && at_cleanup "rm -rf /etc/netns/$NS_P1"
# world.test has only an IPv4 address there, world6.test only IPv6: which one
# the world sees tells that the proxy, not the subject, chose the address.
printf '127.0.0.1 localhost\n%s world.test\n%s world6.test\n' "$W4" "$W6" \
	>"/etc/netns/$NS_P1/hosts"
start_microsocks "$NS_P1" 1080 || bail "microsocks"

# dnsmasq: answers world.test itself and logs every query it sees.
start_dnsmasq_w "$DNS4" --listen-address="$DNS6" \
	--address=/world.test/"$W4" --address=/world.test/"$W6" \
	--mx-host=world.test,mail.world.test,10 --txt-record=world.test,hello ||
	bail "dnsmasq did not start"
mx=$(nsx "$NS_W" dig +tries=1 +time=4 +short @"$DNS4" world.test MX)
is "$mx" "10 mail.world.test." "dnsmasq itself answers MX world.test (sanity)"
dnsmasq_queries() { # dnsmasq_queries [REGEX]: query lines in dnsmasq's log
	grep -E 'query\[' "$T/dnsmasq.log" | grep -cE -- "${1:-.}"
}
q0=$(dnsmasq_queries)
w0=$(dnsmasq_queries world.test)

cat >"$CONF" <<EOF2
# t_dns.sh: fk uses the default dns mode (fake)
[proxy p1]
url = socks5://$P1_H4:1080

[profile fk]
via = p1
netns = $(subject_ns fk)

[profile n6]
via = p1
netns = $(subject_ns n6)
ipv6 = off

[profile off]
via = p1
netns = $(subject_ns off)
dns = off
EOF2

daemon_up
ID_FK=$(state_id fk)
UP4=$(id_uplink4 "${ID_FK:-0}")
UP6=$(state_q "n['fk']['uplink6']" 2>/dev/null)
is "$(ns_uplink4 "$(subject_ns fk)")" "$UP4" "fk's uplink address is 100.64.0.0 + 4*id + 1 ($UP4)"
# The pools as derived and recorded in the Derivative (the v6 one is per subject).
FAKE6_NET=$(state_q "n['fk']['fake']['v6']" 2>/dev/null)
diag "fk: id $ID_FK, uplink $UP4 / $UP6, pools $FAKE4_NET $FAKE6_NET"

# Watch P1 and W for any DNS packet from here on (fake mode must send none).
start_capture() { # start_capture NS NAME
	bg nsx "$1" tcpdump -i any -n -U -w "$T/$2.pcap" 'port 53' 2>"$T/$2.tcpdump"
	eval "CAP_PID_$2=\$LAST_PID"
	for _ in $(seq 50); do grep -q listening "$T/$2.tcpdump" && return 0; sleep 0.1; done
	return 1
}
start_capture "$NS_P1" p1 && start_capture "$NS_W" w || bail "tcpdump did not start"

grep -q "nameserver $UP4" <(nexec fk cat /etc/resolv.conf)
tap_ok $? "exec: /etc/resolv.conf names the uplink address $UP4"

in_net() { # in_net ADDR NET: ADDR is an address inside NET
	"$PYTHON" -c 'import ipaddress, sys
sys.exit(0 if ipaddress.ip_address(sys.argv[1]) in ipaddress.ip_network(sys.argv[2]) else 1)' \
		"$1" "$2" 2>/dev/null
}

# 1. fake-mode A/AAAA, UDP and TCP, to several server addresses.
# fake_answer SRV TRANSPORT TYPE NET: world.test TYPE from fk is one address in NET,
# the same as the first answer of that TYPE (kept in A_REF / AAAA_REF).
fake_answer() {
	local srv=$1 tr=$2 type=$3 net=$4 got a ref=${3}_REF
	got=$(dig_in fk "$tr" @"$srv" world.test "$type")
	a=${got#NOERROR "$type"=}
	[ "$got" != "$a" ] && [ "$a" = "${a% *}" ] && in_net "$a" "$net"
	tap_ok $? "$type world.test @$srv ($tr): one address in $net (got '$got')"
	[ -z "${!ref}" ] && printf -v "$ref" %s "$a"
	is "$a" "${!ref}" "$type world.test @$srv ($tr): the same address as the first answer"
}
A_REF='' AAAA_REF=''
for srv in "$UP4" "$W4" 9.9.9.9 2001:db8::53 ${UP6:+"$UP6"}; do
	for tr in +notcp +tcp; do
		fake_answer "$srv" "$tr" A "$FAKE4_NET"
		fake_answer "$srv" "$tr" AAAA "$FAKE6_NET"
	done
done
other=$(dig_in fk @"$UP4" other.test A)
o=${other#NOERROR A=}
[ "$o" != "$A_REF" ] && in_net "$o" "$FAKE4_NET"
tap_ok $? "another name gets another address of the pool (got '$other', world.test $A_REF)"
got=$(dig_in fk @"$UP4" WORLD.Test A)
is "$got" "NOERROR A=$A_REF" "names are case-insensitive (RFC 4343): WORLD.Test = world.test"

# 2. PTR of a fake address returns the name, in both families.
rev4=$("$PYTHON" -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer)' "$A_REF")
rev6=$("$PYTHON" -c 'import ipaddress, sys; print(ipaddress.ip_address(sys.argv[1]).reverse_pointer)' "${AAAA_REF:-::}")
is "$(dig_in fk @"$UP4" "$rev4" PTR)" "NOERROR PTR=world.test." "PTR of $A_REF is world.test"
is "$(dig_in fk +tcp @9.9.9.9 "$rev6" PTR)" "NOERROR PTR=world.test." \
	"PTR of $AAAA_REF (TCP, @9.9.9.9) is world.test"
unused=$("$PYTHON" -c 'import ipaddress; print(ipaddress.ip_address("198.19.255.200").reverse_pointer)')
got=$(dig_in fk @"$UP4" "$unused" PTR)
is "${got%% *}" NXDOMAIN "PTR of an unassigned fake address: NXDOMAIN (got '$got')"
got=$(dig_in fk @"$UP4" world.test MX)
is "$got" REFUSED "MX without dns-server: REFUSED, not forwarded anywhere"

# 3. glibc and curl through the resolv.conf that exec gives.
hosts=$(nexec fk getent hosts world.test)
h=${hosts%% *}
{ in_net "$h" "$FAKE4_NET" || in_net "$h" "$FAKE6_NET"; } && [[ $hosts == *world.test* ]]
tap_ok $? "getent hosts world.test: a fake address (got '$hosts')"
ah=$(nexec fk getent ahosts world.test | awk '{ print $1 }' | sort -u | tr '\n' ' ')
[[ " $ah " == *" $A_REF "* ]] && [[ " $ah " == *" $AAAA_REF "* ]]
tap_ok $? "getent ahosts world.test: both fake addresses, the same as dig's (got '$ah')"
expect_client fk "http://world.test/" "$P1_W4" "curl http://world.test/: the world sees P1 (name resolved by the proxy)"
expect_client fk "http://world.test/" "$P1_W4" "curl -4 http://world.test/ (fake IPv4)" -4
expect_client fk "http://world.test/" "$P1_W4" \
	"curl -6 http://world.test/: fake IPv6, yet the proxy connects to the name's IPv4 address" -6
expect_client fk "http://world6.test/" "$P1_W6" "curl http://world6.test/: the proxy resolves it to IPv6"

# 4. ipv6 = off: AAAA NOERROR with no address, at once; IPv6 literals refused at once.
nexec n6 dig +tries=1 +time=4 @"$(id_uplink4 "$(state_id n6)")" world.test AAAA >"$T/n6.out" 2>&1
ms=$(dig_query_ms <"$T/n6.out")
grep -q 'status: NOERROR,' "$T/n6.out" && grep -q ' ANSWER: 0,' "$T/n6.out" && [ -n "$ms" ] && [ "$ms" -lt 1000 ]
tap_ok $? "ipv6 = off: AAAA world.test is NOERROR with no address, under 1 s (${ms:-?} ms by dig)" ||
	diag_file "$T/n6.out"
got=$(dig_in n6 +tcp @9.9.9.9 world.test AAAA)
is "$got" NOERROR "ipv6 = off: AAAA over TCP too"
got=$(dig_in n6 @9.9.9.9 world.test A)
a=${got#NOERROR A=}
in_net "$a" "$FAKE4_NET"
tap_ok $? "ipv6 = off: A still answered from the pool (got '$got')"
ms=$(curl_ms "$T/c6.err" nexec n6 curl -6 -gsS --max-time 5 "http://[$W6]/")
rc=$?
[ "$rc" -ne 0 ] && grep -qi 'refused\|couldn.t connect' "$T/c6.err" && [ "$ms" -lt 1000 ]
tap_ok $? "ipv6 = off: curl -6 http://[$W6]/ refused at once ($ms ms)" || diag_file "$T/c6.err"
expect_client n6 "http://world.test/" "$P1_W4" "ipv6 = off: curl http://world.test/ works over the fake IPv4"

# 5. dns = off: REFUSED at once, UDP and TCP (dig's own query time).
for tr in +notcp +tcp; do
	for srv in "$(id_uplink4 "$(state_id off)")" 9.9.9.9; do
		out=$(nexec off dig +tries=1 +time=3 "$tr" @"$srv" world.test A 2>&1)
		ms=$(dig_query_ms <<<"$out")
		grep -q 'status: REFUSED' <<<"$out" && [ -n "$ms" ] && [ "$ms" -lt 1000 ]
		tap_ok $? "dns = off: $tr @$srv answered REFUSED in ${ms:-?} ms (< 1 s)" ||
			diag "$(head -c 600 <<<"$out")"
	done
done

# 6. Malformed input: FORMERR or dropped, never an answer, never forwarded.
MALFORMED='
import socket, struct, sys, time
srv = sys.argv[1]
def q(qid, name=b"\x05world\x04test\x00", qd=1, flags=0x0100, extra=b""):
    return struct.pack(">HHHHHH", qid, flags, qd, 0, 0, 0) + name + b"\x00\x01\x00\x01" + extra
cases = {
    "truncated header": b"\x12\x34\x01",
    "truncated question": q(0x1001)[:17],
    "garbage": bytes((i * 37 + 11) % 256 for i in range(100)),
    "4097-byte query": q(0x1002, extra=b"\x00" * (4097 - len(q(0x1002)))),
    "QDCOUNT=2": q(0x1003, qd=2),
    "response (QR=1)": q(0x1004, flags=0x8180),
    "empty": b"",
}
for name, pkt in cases.items():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.connect((srv, 53))
    s.send(pkt)
    try:
        r = s.recv(65535)
        ok_id = len(pkt) < 2 or r[:2] == pkt[:2]
        print("udp %s: rcode=%d qr=%d idmatch=%d" % (name, r[3] & 15, r[2] >> 7, ok_id))
    except socket.timeout:
        print("udp %s: dropped" % name)
tcases = {
    "tcp garbage": struct.pack(">H", 100) + cases["garbage"],
    "tcp QDCOUNT=2": struct.pack(">H", len(cases["QDCOUNT=2"])) + cases["QDCOUNT=2"],
    "tcp response (QR=1)": struct.pack(">H", len(cases["response (QR=1)"])) + cases["response (QR=1)"],
    "tcp zero length": b"\x00\x00",
    "tcp 4097-byte query": struct.pack(">H", 4097) + cases["4097-byte query"],
    "tcp length 65535, 10 bytes then EOF": b"\xff\xff" + b"x" * 10,
}
for name, pkt in tcases.items():
    s = socket.create_connection((srv, 53), timeout=2)
    buf = b""
    try:
        s.sendall(pkt)
        s.shutdown(socket.SHUT_WR)
        while True:
            d = s.recv(65535)
            if not d:
                break
            buf += d
    except (socket.timeout, OSError):
        pass
    if len(buf) >= 6:
        print("%s: rcode=%d qr=%d idmatch=1" % (name, buf[5] & 15, buf[4] >> 7))
    else:
        print("%s: dropped" % name)
'
qm=$(dnsmasq_queries)
nexec fk "$PYTHON" -c "$MALFORMED" "$UP4" >"$T/malformed.out" 2>&1
tap_ok $? "malformed probes ran" || diag_file "$T/malformed.out"
while read -r line; do
	case $line in
	*": dropped" | *": rcode=1 qr=1 idmatch=1") pass "malformed: $line" ;;
	# The garbage has opcode 10: NOTIMP is the right answer (RFC 1035 §4.1.1).
	*"garbage: rcode=4 qr=1 idmatch=1") pass "malformed: $line (NOTIMP: opcode 10)" ;;
	*) fail "malformed: FORMERR or dropped: $line" ;;
	esac
done <"$T/malformed.out"
n=$(grep -c ': ' "$T/malformed.out")
is "$n" 13 "malformed: every probe reported"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon alive after malformed queries"
is "$(dig_in fk @"$UP4" world.test A)" "NOERROR A=$A_REF" "a valid query after them still answers the same address"
is "$(dnsmasq_queries)" "$qm" "malformed: dnsmasq's log unchanged (nothing forwarded)"

# Fake mode sent nothing anywhere: dnsmasq saw no query, no DNS packet crossed P1 or W.
is "$(dnsmasq_queries world.test)" "$w0" "dnsmasq's log has no (new) query for world.test"
is "$(dnsmasq_queries)" "$q0" "dnsmasq's log has no new query at all"
sleep 0.3
kill -INT "$CAP_PID_p1" "$CAP_PID_w" 2>/dev/null
wait "$CAP_PID_p1" "$CAP_PID_w" 2>/dev/null
for n in p1 w; do
	cnt=$(tcpdump -r "$T/$n.pcap" -n 2>/dev/null | grep -c '')
	is "$cnt" 0 "no DNS packet (port 53) crossed ${n^^} during the fake-mode tests" ||
		tcpdump -r "$T/$n.pcap" -n 2>/dev/null | head -5 | sed 's/^/#   /'
done

# 7. The mappings survive a reload of the unchanged profile ...
got=$(nsp reload 2>&1)
tap_ok $? "reload with unchanged settings (got '$(head -c 200 <<<"$got")')"
is "$(dig_in fk @"$UP4" world.test A)" "NOERROR A=$A_REF" "after reload: world.test keeps $A_REF"
is "$(dig_in fk @"$UP4" "$rev4" PTR)" "NOERROR PTR=world.test." "after reload: PTR of $A_REF still world.test"

# ... and a SIGTERM + restart (the Derivative keeps them, docs/GUARANTEES.md 7).
stop_daemon
tap_ok $? "daemon exits 0 on SIGTERM"
fm=$(state_q "[m for m in n['fk'].get('fake', {}).get('map', []) if m[0] == 'world.test']" 2>&1)
[[ $fm == *"\"$A_REF\""* ]] && [[ $fm == *"\"$AAAA_REF\""* ]]
tap_ok $? "the Derivative (state.json) holds world.test with both addresses (got '$fm')"
restart_ready "daemon restarted and every subject applied"
# other.test first: a fresh pool would hand it the first address ($A_REF).
is "$(dig_in fk @"$UP4" other.test A)" "NOERROR A=$o" "after restart: other.test (asked first) keeps $o"
is "$(dig_in fk @"$UP4" world.test A)" "NOERROR A=$A_REF" "after restart: world.test keeps $A_REF"
is "$(dig_in fk @"$UP4" "$rev4" PTR)" "NOERROR PTR=world.test." "after restart: PTR of $A_REF is world.test"
is "$(dig_in fk +tcp @9.9.9.9 world.test AAAA)" "NOERROR AAAA=$AAAA_REF" \
	"after restart: world.test keeps $AAAA_REF"
expect_client fk "http://world.test/" "$P1_W4" "after restart: curl http://world.test/ via P1"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
