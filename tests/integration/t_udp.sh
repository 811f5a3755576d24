#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_udp.sh - UDP through SOCKS5 UDP ASSOCIATE (RFC 1928 §7): with `udp = on`
# and a plain SOCKS5 upstream, an app's datagrams go through the proxy, one
# association per flow, and replies come from the original destination;
# otherwise (`udp = off`, an HTTP upstream) UDP is refused at once.  An
# upstream that refuses UDP ASSOCIATE (microsocks answers REP 7, one that
# never answers, one that is not listening) is found by the daemon's probe at
# apply: the subject's UDP is then refused at once too, and status says why.
# A subject at max-connections (ucap: 2) starts no further flow; the others go on.
# upipe: the same danted with `pipeline = yes` (UDP ASSOCIATE with the greeting).
#
#   [S u4 / ufk / uoff / uhttp / ucap: python3 UDP clients via `netnsp exec`]
#        ^ setns (transparent UDP listener, per-flow reply sockets)
#   [H: netnsp daemon]  198.51.100.1  2001:db8:1::1    (no route to W)
#        | veth          TCP control + UDP datagrams to danted
#   [P1: danted :1090 (UDP ASSOCIATE), tinyproxy :8888,   198.51.100.2
#        microsocks :1080 (REP 7 to UDP ASSOCIATE), silent.py :1099 (accepts,
#        never answers), nothing on :1098]
#        /etc/hosts: world.test = 203.0.113.100 (ip netns exec binds /etc/netns/P1/hosts)
#        | veth  203.0.113.1  2001:db8:3::1
#   [W: udp echo 203.0.113.100:7000 [2001:db8:100::1]:7000 -> "from=ADDR|DATA"]
#
# W answers with the address it saw: P1's (203.0.113.1 / 2001:db8:3::1).  H
# has no route to W, so any echo at all came through the proxy.
#
# Not covered: a SOCKS5 upstream with user/password.  Dante's `socksmethod:
# username` checks system accounts (passwd), and a test must not add users
# to the host; the RFC 1929 bytes of the handshake are unit-tested
# (test_proxy.c) and shared with CONNECT, which t_socks5.sh covers.
. "$(dirname "$0")/lib.sh"
lib_init danted tinyproxy

topo_setup || bail "topology setup failed"

# ------------------------------------------------------------ servers

cat >"$T/echo.py" <<'PY'
import socket, sys, threading
def serve(fam, addr, port):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(b"from=" + peer[0].encode() + b"|" + data, peer)
port = int(sys.argv[3])
for fam, a in ((socket.AF_INET, sys.argv[1]), (socket.AF_INET6, sys.argv[2])):
    threading.Thread(target=serve, args=(fam, a, port), daemon=True).start()
threading.Event().wait()
PY
bg nsx "$NS_W" "$PYTHON" "$T/echo.py" "$W4" "$W6" 7000 2>>"$T/echo.log"

# ufk (dns = fake) sends world.test as a name (ATYP 3); only danted resolves it.
mkdir -p "/etc/netns/$NS_P1" && at_cleanup "rm -rf /etc/netns/$NS_P1"
echo "$W4 world.test" >"/etc/netns/$NS_P1/hosts"

start_danted "$NS_P1" "$P1_H4" 1090 udp || bail "danted :1090"
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy :8888"
start_microsocks "$NS_P1" 1080 || bail "microsocks :1080"
# An upstream that takes the TCP connection and never says a word.
cat >"$T/silent.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
PY
bg nsx "$NS_P1" "$PYTHON" "$T/silent.py" "$P1_H4" 1099 2>>"$T/silent.log"
wait_port "$NS_P1" "$P1_H4" 1099 || bail "silent :1099"

cat >"$CONF" <<EOF2
# t_udp.sh
[proxy dante]
url = socks5://$P1_H4:1090

[proxy dantepipe]
url = socks5://$P1_H4:1090
isolate = none
pipeline = yes

[proxy web]
url = http://$P1_H4:8888

[proxy micro]
url = socks5://$P1_H4:1080

[proxy silent]
url = socks5://$P1_H4:1099

[proxy nobody]
url = socks5://$P1_H4:1098

[profile u4]
via = dante
netns = $(subject_ns u4)
dns = off
udp = on

[profile ufk]
via = dante
netns = $(subject_ns ufk)
udp = on

[profile upipe]
via = dantepipe
netns = $(subject_ns upipe)
dns = off
udp = on

[profile uoff]
via = dante
netns = $(subject_ns uoff)
dns = off
udp = off

[profile uhttp]
via = web
netns = $(subject_ns uhttp)
dns = off
udp = on

[profile umicro]
via = micro
netns = $(subject_ns umicro)
dns = off
udp = on

[profile usilent]
via = silent
netns = $(subject_ns usilent)
dns = off
udp = on

[profile unobody]
via = nobody
netns = $(subject_ns unobody)
dns = off
udp = on

[profile ucap]
via = dante
netns = $(subject_ns ucap)
dns = off
udp = on
max-connections = 2
EOF2

# Every daemon log line, stamped with the wall-clock ms it appeared at: the
# time a probe's refusal took is read from when the daemon logged it, not from
# when the test got round to looking (on a loaded machine the checks in
# between can take longer than the budget).
bg "$PYTHON" -u -c '
import os, sys, time
src, dst = sys.argv[1], sys.argv[2]
while not os.path.exists(src):
    time.sleep(0.01)
with open(src) as f, open(dst, "a") as out:
    buf = ""
    while True:
        part = f.readline()
        if not part:
            time.sleep(0.01)
            continue
        buf += part
        if buf.endswith("\n"):
            out.write("%d %s" % (time.time() * 1000, buf))
            out.flush()
            buf = ""
' "$T/daemon.log" "$T/daemon.ts"
# stamp_of REGEX [AFTER_MS]: the ms of the first stamped log line matching REGEX
# (grep -E) stamped at or after AFTER_MS; waits up to 15 s for it.
stamp_of() {
	local re=$1 after=${2:-0} i st
	for i in $(seq 150); do
		st=$(awk -v a="$after" '$1 >= a' "$T/daemon.ts" 2>/dev/null | grep -m1 -E "^[0-9]+ .*$re" |
			cut -d' ' -f1)
		[ -n "$st" ] && { echo "$st"; return 0; }
		sleep 0.1
	done
	return 1
}

daemon_up
# The apply's moment: the daemon's "ready" line comes right after every
# subject's apply (each started its probe there).
t_up=$(stamp_of 'ready: [0-9]+ of [0-9]+ subjects applied') || t_up=$(now_ms)
seen_after=0 # refused_probe looks at log lines stamped from here on

# ------------------------------------------------------------ relayed

is "$(uc u4 echo "$W4" 7000 ping-v4)" "from=$P1_W4|ping-v4" \
	"udp on: IPv4 datagram echoed, W saw P1's address"
is "$(uc u4 echo "$W6" 7000 ping-v6)" "from=$P1_W6|ping-v6" \
	"udp on: IPv6 datagram echoed, W saw P1's address"
is "$(uc u4 two "$W4" 7000)" "two-b one-a one-c" \
	"udp on: two flows at once stay separate, in order within a flow"
is "$(uc u4 from "$W4" 7000 src)" "$W4 7000" \
	"udp on: the reply comes from the original destination (recvfrom, unconnected)"
is "$(uc u4 from "$W6" 7000 src6)" "$W6 7000" \
	"udp on: IPv6 reply comes from the original destination"
is "$(uc upipe echo "$W4" 7000 piped)" "from=$P1_W4|piped" \
	"pipeline = yes: the UDP ASSOCIATE sent with the greeting, datagram echoed via P1"
# A datagram large enough to need more than the first-recv buffer of most clients.
big=$(head -c 3000 /dev/zero | tr '\0' 'x')
got=$(uc u4 echo "$W4" 7000 "$big")
is "${#got}" "$((${#big} + ${#P1_W4} + 6))" "udp on: a 3000-byte datagram arrives whole"

# Fake IP: the app resolves world.test inside the subject to a fake address;
# the datagrams carry the name to danted, which alone resolves it.
is "$(uc ufk echo world.test 7000 by-name)" "from=$P1_W4|by-name" \
	"fake IP: datagram to a fake address reaches the name's host through the proxy"
fake=$(nexec ufk getent ahostsv4 world.test | awk 'NR == 1 { print $1 }')
is "$(uc ufk from world.test 7000 src)" "$fake 7000" \
	"fake IP: the reply comes from the fake address the app sent to ($fake)"

is "$(status_field u4 udp)" '"associate"' "status: u4 udp is associate"
udp_total=$(status_field u4 udp_flows_total)
[ "${udp_total:-0}" -ge 6 ] 2>/dev/null
tap_ok $? "status: u4 counts its UDP flows (udp_flows_total ${udp_total:-none} >= 6)"
up=$(status_field u4 bytes_up)
[ "${up:-0}" -ge 3000 ] 2>/dev/null
tap_ok $? "status: u4 bytes_up counts the datagrams (${up:-none})"

# ------------------------------------------------------------ refused

out=$(uc uoff refused "$W4" 7000)
ms=${out##* }
case "$out" in EHOSTUNREACH* | ECONNREFUSED*) r=0 ;; *) r=1 ;; esac
[ "$r" -eq 0 ] && [ "${ms:-9999}" -lt 1000 ]
tap_ok $? "udp = off: refused at once ($out)"
is "$(status_field uoff udp_why)" '"udp = off"' "status: uoff says why"

out=$(uc uhttp refused "$W4" 7000)
ms=${out##* }
case "$out" in EHOSTUNREACH* | ECONNREFUSED*) r=0 ;; *) r=1 ;; esac
[ "$r" -eq 0 ] && [ "${ms:-9999}" -lt 1000 ]
tap_ok $? "http upstream with udp = on: refused at once ($out)"
is "$(status_field uhttp udp)" '"refused"' "status: uhttp udp is refused"
is "$(status_field uhttp udp_why)" '"an HTTP proxy cannot carry UDP"' "status: uhttp says why"

# TCP is untouched by any of this.
nexec u4 curl -gsS --max-time 5 "http://$W4:7000/" >/dev/null 2>&1
[ $? -ne 0 ]
tap_ok $? "udp on: TCP to a UDP-only port still fails (no listener on W)"

# ------------------------------------------------------------ an upstream that refuses UDP ASSOCIATE

live_table() { nsenter --net="/run/netns/$(subject_ns "$1")" nft list table inet netnsp 2>&1; }
refused_probe() { # refused_probe PROFILE WHY SECONDS DESC: refused within SECONDS of $t_up
	local el ms out nft st
	wait_until 10 udp_is "$1" refused
	# When the daemon logged the probe's refusal (subject_udp_probed(): one
	# line as the outcome arrives; the checks below show it was applied).
	st=$(stamp_of "profile '$1': .*UDP is refused" "$seen_after") || st=$(now_ms)
	el=$((st - t_up))
	[ "$(status_field "$1" udp)" = '"refused"' ] && [ "$el" -lt $(($3 * 1000)) ]
	tap_ok $? "$4: status says udp refused within $3 s of the apply (${el} ms after it)"
	is "$(status_field "$1" udp_why)" "\"the upstream refused UDP ASSOCIATE: $2\"" \
		"$4: status says why"
	# EHOSTUNREACH (not a reject from nft): the routing refusal was re-applied.
	out=$(uc "$1" refused "$W4" 7000)
	ms=${out##* }
	[ "${out%% *}" = EHOSTUNREACH ] && [ "${ms:-9999}" -lt 1000 ]
	tap_ok $? "$4: a UDP send from inside fails at once ($out)"
	nft=$T/run/$(subject_ns "$1").nft
	! grep -q 'l4proto udp meta nfproto ipv. tproxy' "$nft" &&
		grep -q 'l4proto udp udp dport != 53 reject' "$nft"
	tap_ok $? "$4: its ruleset file no longer hands UDP to the relay"
	# The loaded table is the one of udp = off (uoff: same dns, ipv6 and fwmark).
	is "$(live_table "$1")" "$(live_table uoff)" "$4: its loaded nft table is udp = off's"
}

# microsocks answers X'05 07' (command not supported) to CMD X'03' (checked
# by hand: greeting 05 01 00 -> 05 00; 05 03 00 01 0*6 -> 05 07 00 01 0*6, then close).
refused_probe umicro "SOCKS5 reply 7 (command not supported)" 5 "microsocks (REP 7)"
refused_probe unobody "connect: Connection refused" 5 "upstream not listening"
refused_probe usilent "no answer within 5 s" 7 "upstream that never answers"
wait_log_all() { grep -q "profile '$1': the upstream refused UDP ASSOCIATE: $2" "$T/daemon.log"; }
wait_log_all umicro "SOCKS5 reply 7"
tap_ok $? "daemon log: one line with the probe's outcome for umicro"
is "$(grep -c "profile 'umicro': .*UDP ASSOCIATE" "$T/daemon.log")" 1 \
	"daemon log: exactly one line about umicro's UDP"
grep -q "profile 'u4': UDP ASSOCIATE granted" "$T/daemon.log"
tap_ok $? "daemon log: danted's grant is logged for u4"
is "$(status_field u4 udp)" '"associate"' "danted: u4 stays associate after the probe"
is "$(uc u4 echo "$W4" 7000 after-probe)" "from=$P1_W4|after-probe" \
	"danted: UDP still relayed after the probes of the other subjects"

# Re-apply re-probes: umicro now via danted is granted and relays again.
sed -i '/^\[profile umicro\]/,/^$/ s/^via = micro$/via = dante/' "$CONF"
nsp reload >/dev/null 2>&1
wait_until 5 udp_is umicro associate
tap_ok $? "reload: umicro via danted is associate again"
sleep 1.5 # a refusal would come within a tick
is "$(status_field umicro udp)" '"associate"' "reload: the new probe is granted (still associate)"
is "$(uc umicro echo "$W4" 7000 re-probed)" "from=$P1_W4|re-probed" \
	"reload: umicro's UDP is relayed through danted"
# ... and back to microsocks: refused again by the new probe.
sed -i '/^\[profile umicro\]/,/^$/ s/^via = dante$/via = micro/' "$CONF"
t_up=$(now_ms) # before the reload is asked for: the apply comes after it
seen_after=$t_up # not the refusal logged before the round trip through danted
nsp reload >/dev/null 2>&1
refused_probe umicro "SOCKS5 reply 7 (command not supported)" 5 "reload back to microsocks"

# ------------------------------------------------------------ max-connections

# ucap may hold 2 (TCP connections and UDP flows together).  A flow lives until
# 60 s idle, so after two echoes from two sockets a third socket's datagram
# starts no flow: dropped and counted; u4 is not affected.
is "$(uc ucap echo "$W4" 7000 cap-1)" "from=$P1_W4|cap-1" "max-connections = 2: first flow echoed"
is "$(uc ucap echo "$W4" 7000 cap-2)" "from=$P1_W4|cap-2" "max-connections = 2: second flow echoed"
out=$(uc ucap refused "$W4" 7000)
is "${out%% *}" timeout "max-connections = 2: a third flow is not started (no answer)"
is "$(status_field ucap udp_flows)" 2 "status: ucap holds 2 flows"
n=$(status_field ucap udp_flows_refused)
[ "${n:-0}" -ge 1 ] 2>/dev/null
tap_ok $? "status: ucap's refused datagram is counted (udp_flows_refused ${n:-none})"
is "$(uc u4 echo "$W4" 7000 not-capped)" "from=$P1_W4|not-capped" \
	"u4 is not affected by ucap's cap"

# Make u4 use the relay again so the next section sees a live flow.
is "$(uc u4 echo "$W4" 7000 live-again)" "from=$P1_W4|live-again" "u4 relays after the reloads"

# ------------------------------------------------------------ the association's life

u4_flows_none() { [ "$(status_field u4 udp_flows)" = 0 ]; }

# While a flow lives, danted holds its control connection and relay socket.
live=$(status_field u4 udp_flows)
[ "${live:-0}" -ge 1 ] 2>/dev/null
tap_ok $? "status: live flows right after use (${live:-none})"

# The control connection's end ends the flow: restart danted.
# Dante's children hold the sessions: stop every danted of P1 (only this test's run there).
for p in $(ip netns pids "$NS_P1"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = danted ] && kill -TERM "$p" 2>/dev/null
done
wait_until 5 u4_flows_none
tap_ok $? "proxy gone: every flow ends with its control connection"
start_danted "$NS_P1" "$P1_H4" 1090 udp || bail "danted :1090 again"
is "$(uc u4 echo "$W4" 7000 again)" "from=$P1_W4|again" "proxy back: a new flow associates again"

# Idle expiry (60 s without a datagram): udp_flows falls to 0 again.
wait_until 75 u4_flows_none
tap_ok $? "an idle flow expires (within 75 s)"

sanitizer_clean
tap_done
