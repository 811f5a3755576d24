#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_egress.sh - egress namespaces: `url = direct` + `netns = E` connects to
# the destination from inside E (the user's VPN namespace), and a proxy with
# `netns = E` (a SOCKS5 proxy only reachable there) is dialled from E.  UDP
# (`udp = on`) through direct leaves from a socket made in E, one per flow.
# E's link down or E gone: connections fail at once and nothing leaves H
# (nor reaches W, for UDP); netnsp
# lets go of a deleted E (it ends), and uses E again once it is made afresh.
#
#   [S d / du / s / su / dn: curl, udp_client.py via `netnsp exec`]  no link
#        ^ setns
#   [H: netnsp daemon] 198.51.100.1  (no route to W; nft counts what H sends)
#        | veth
#   [P1] 198.51.100.2 ...  (topo_setup; unused here but for the counter sanity)
#
#   [E: "VPN" namespace: microsocks 127.0.0.1:1080, danted 127.0.0.1:1090 (UDP ASSOCIATE)]
#        | veth e0 203.0.113.129  2001:db8:5::1 (routes to W only)
#   [W: world.py 203.0.113.100:80 [2001:db8:100::1]:80 -> "client=ADDR",
#       UDP echo :7000 -> "from=ADDR|DATA"; nft counts the UDP that reaches it]
#
# W must report E's address for d, s and dr (dr's names are resolved by dnsmasq in W,
# asked through E).
. "$(dirname "$0")/lib.sh"
lib_init microsocks danted nft dnsmasq dig

NS_E=${PFX}e
E4=203.0.113.129
E6=2001:db8:5::1
topo_setup || bail "topology setup failed"
ns_add "$NS_E" || bail "namespace E"
veth "$NS_E" e0 "$NS_W" x5 &&
	addr "$NS_E" e0 "$E4/26" "$E6/64" &&
	addr "$NS_W" x5 203.0.113.130/26 2001:db8:5::2/64 &&
	nsx "$NS_E" ip route add "$W4/32" via 203.0.113.130 &&
	nsx "$NS_E" ip -6 route add "$W6/128" via 2001:db8:5::2 || bail "E's link to W"
start_world --udp-echo 7000 --udp-addr "$W4" --udp-addr "$W6" || bail "world server did not start"
nsx "$NS_W" nft -f - <<'EOF2' || bail "nft counter in W"
table inet wcount {
	chain in {
		type filter hook input priority 0;
		udp dport 7000 counter
	}
}
EOF2
w_udp() { nsx "$NS_W" nft list chain inet wcount in | grep -o 'packets [0-9]*' | awk '{ print $2 }'; }
start_microsocks "$NS_E" 1080 || bail "microsocks in E"
DANTED_EXT=e0 start_danted "$NS_E" 127.0.0.1 1090 udp || bail "danted in E"
# The resolver E's users would ask (a VPN's DNS): dnsmasq in W, reached from E only.
start_dnsmasq_w "$DNS4" --address=/world.test/"$W4" --address=/six.test/"$W6" \
	--address=/gone.test/ || bail "dnsmasq did not start"
nsx "$NS_E" ip route add "$DNS4/32" via 203.0.113.130 || bail "E's route to the resolver"

# What H itself sends out of any link but lo, less the kernel's own IPv6
# neighbour discovery and MLD on H's fresh links (router solicitations and
# listener reports go out for a few seconds after a link comes up, whatever
# netnsp does).
nsx "$NS_H" nft -f - <<'EOF2' || bail "nft counter in H"
table inet egresscount {
	chain out {
		type filter hook output priority 0;
		icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, mld-listener-report, mld2-listener-report } return
		oifname != "lo" counter
	}
}
EOF2
h_sent() { nsx "$NS_H" nft list chain inet egresscount out | grep -o 'packets [0-9]*' | awk '{ print $2 }'; }

# Two event loops: connections through E must all stay on the main loop,
# which alone holds E's socket pools and queue (docs/DESIGN.md "Workers").
cat >"$CONF" <<EOF2
[daemon]
workers = 2

[proxy vpn]
url = direct
netns = $NS_E
[proxy evd]
url = socks5://127.0.0.1:1090
netns = $NS_E
[proxy evs]
url = socks5://127.0.0.1:1080
netns = $NS_E

[profile d]
via = vpn
netns = $(subject_ns d)
dns = off

[profile su]
via = evd
netns = $(subject_ns su)
dns = off
udp = on

[profile s]
via = evs
netns = $(subject_ns s)
dns = off

[profile du]
via = vpn
netns = $(subject_ns du)
dns = off
udp = on

[profile dn]
via = vpn
netns = $(subject_ns dn)
udp = on

[profile dr]
via = vpn
netns = $(subject_ns dr)
dns-server = $DNS4
udp = on
EOF2
# One socket kept ready in E (not 16): a burst finds the pool empty and queues.
export NETNSP_EGRESS_POOL=1
daemon_up

egress_q() { # egress_q PROXY KEY: one value of the proxy's entry in status' "egress"
	status_json_q "[x.get('$2') for x in d.get('egress', []) if x['proxy'] == '$1']"
}
ino_e=$(stat -L -c %i "/run/netns/$NS_E")
is "$(egress_q vpn present)" "[true]" "status: vpn's netns is present"
is "$(egress_q vpn inode)" "[\"$ino_e\"]" "status: with the inode of E ($ino_e)"
is "$(egress_q evs netns)" "[\"$NS_E\"]" "status: evs's netns is listed too"
nsp status >"$T/st.txt" 2>&1
grep -q "^egress: vpn" "$T/st.txt" && grep -q "netns: $NS_E (present, inode $ino_e)" "$T/st.txt"
tap_ok $? "status text: an egress block says E is present, with its inode" || diag_file "$T/st.txt"

n0=$(h_sent)
expect_client d "http://$W4/" "$E4" "direct + netns: W sees E's address (IPv4)"
expect_client d "http://[$W6]/" "$E6" "direct + netns: W sees E's address (IPv6)"
expect_client s "http://$W4/" "$E4" "SOCKS5 proxy reachable only inside E: W sees E"
# danted's relay address is 127.0.0.1 in E: only a socket made in E reaches it.
wait_until 10 udp_is su associate && sleep 1.5 # a refused probe would show within a tick
is "$(status_field su udp)" '"associate"' "status: UDP ASSOCIATE from E was granted"
is "$(uc su echo "$W4" 7000 assoc-e)" "from=$E4|assoc-e" \
	"UDP via a SOCKS5 proxy reachable only inside E: associated and sent from E, W sees E"
is "$(status_field d chain)" "[\"direct (netns $NS_E)\"]" "status: the chain is direct from E"
is "$(status_field du udp)" '"direct"' "status: du's UDP is direct"
is "$(uc du echo "$W4" 7000 via-e)" "from=$E4|via-e" "UDP, direct + netns: W sees E's address (IPv4)"
is "$(uc du echo "$W6" 7000 via-e6)" "from=$E6|via-e6" "UDP, direct + netns: W sees E's address (IPv6)"
is "$(uc du from "$W4" 7000 src)" "$W4 7000" "UDP, direct: the reply comes from the original destination"
is "$(h_sent)" "$n0" "nothing left H while the subjects reached W"
nsx "$NS_H" ping -c1 -W1 "$P1_H4" >/dev/null 2>&1
[ "$(h_sent)" -gt "$n0" ]
tap_ok $? "the counter in H counts what H sends (sanity: one ping to P1)"

# A name through direct is resolved by the profile's dns-server, asked through E
# (DNS over TCP from E's address); then W is reached from E, and nothing left H.
n0=$(h_sent)
expect_client dr "http://world.test/" "$E4" "a name through direct: resolved, then W sees E"
grep -q "query\[A\] world.test from $E4" "$T/dnsmasq.log"
tap_ok $? "dnsmasq was asked for the name from E's address" || diag_file "$T/dnsmasq.log"
expect_client dr "http://six.test/" "$E6" "a name with only an IPv6 address: AAAA next, W sees E"
is "$(h_sent)" "$n0" "names through direct: nothing left H"
# refused_name PROFILE URL BUDGET_MS LOG_TEXT WHAT: the fetch fails within the
# budget and the log says why.
refused_name() {
	local ms rc
	log_mark
	ms=$(curl_ms "$T/$1.err" nexec "$1" curl -gsS --max-time 5 "$2")
	rc=$?
	[ "$rc" -ne 0 ] && [ "$ms" -lt "$3" ]
	tap_ok $? "$5: refused (rc $rc, $ms ms)" || diag_file "$T/$1.err"
	wait_log "$4" 10
	tap_ok $? "$5: the log says why"
}
refused_name dr http://gone.test/ 2000 "dns-server knows no address for the name" \
	"a name dns-server knows no address for"
# Without a dns-server no resolver is asked: refused at once, with the reason.
refused_name dn http://world.test/ 1000 "resolves names with the profile's dns-server, and it has none" \
	"a name through direct without dns-server"
# UDP to a name through direct: resolved the same way while the datagram waits.
n0=$(h_sent)
is "$(uc dr echo world.test 7000 name-e)" "from=$E4|name-e" "UDP to a name through direct: resolved, W sees E"
is "$(uc dr echo six.test 7000 name-e6)" "from=$E6|name-e6" \
	"UDP to a name with only an IPv6 address: AAAA next, sent from E's IPv6 address"
is "$(h_sent)" "$n0" "UDP to names through direct: nothing left H"
w0=$(w_udp)
out=$(uc dr refused gone.test 7000)
is "${out%% *}" timeout "UDP to a name dns-server knows no address for: not sent ($out)"
err=$(status_field dr last_error)
[[ $err == *"UDP to gone.test: 'direct': dns-server knows no address for the name"* ]]
tap_ok $? "UDP to a name without an address: status says why ($err)"
# Without a dns-server: the datagram goes nowhere, and status says why.
out=$(uc dn refused world.test 7000)
is "${out%% *}" timeout "UDP to a name through direct without dns-server: not sent ($out)"
err=$(status_field dn last_error)
[[ $err == *"UDP to world.test: 'direct' resolves names with the profile's dns-server, and it has none"* ]]
tap_ok $? "UDP to a name through direct without dns-server: status says why ($err)"
is "$(w_udp)" "$w0" "UDP to names that could not be resolved: nothing reached W"

# E's link down: fail closed, at once, and nothing leaves H.
nsx "$NS_E" ip link set e0 down
n1=$(h_sent)
for prof in d s; do
	ms=$(curl_ms "$T/down.err" nexec "$prof" curl -gsS --max-time 5 "http://$W4/")
	rc=$?
	[ "$rc" -ne 0 ] && [ "$ms" -lt 2000 ]
	tap_ok $? "$prof: E's link down: the connection fails (rc $rc, $ms ms)" || diag_file "$T/down.err"
done
w1=$(w_udp)
for dst in "$W4" "$W6"; do
	out=$(uc du refused "$dst" 7000)
	is "${out%% *}" timeout "du: E's link down: no UDP answer from $dst ($out)"
done
is "$(w_udp)" "$w1" "E's link down: not one datagram reached W"
err=$(status_field du last_error)
[[ $err == *"via direct (netns $NS_E): Network is unreachable"* ]]
tap_ok $? "E's link down: status says why ($err)"
is "$(h_sent)" "$n1" "E's link down: not one packet left H instead"
nsx "$NS_E" ip link set e0 up
nsx "$NS_E" ip route add "$W4/32" via 203.0.113.130 2>/dev/null
expect_client d "http://$W4/" "$E4" "E's link up again: through E again"
is "$(uc du echo "$W4" 7000 up-again)" "from=$E4|up-again" "E's link up again: UDP through E again"

# Many connections at once through E, far more than the daemon keeps ready
# there (a pool of one socket): they queue for sockets, all reach W from E,
# and the daemon answers `status` all the while (its loop never waits for E).
q0=$(egress_q vpn queued | tr -dc 0-9)
urls=()
for i in $(seq 100); do urls+=("http://$W4/?n=$i"); done
nexec d curl -gsS --max-time 20 --parallel --parallel-immediate --parallel-max 100 \
	"${urls[@]}" >"$T/burst.out" 2>"$T/burst.err" &
burst=$!
st_ok=0 st_bad=0
while kill -0 "$burst" 2>/dev/null; do
	if nsp status --json >/dev/null 2>&1; then st_ok=$((st_ok + 1)); else st_bad=$((st_bad + 1)); fi
done
wait "$burst"
is "$(grep -c "^client=$E4\$" "$T/burst.out")" 100 "100 connections at once: all from E" ||
	diag_file "$T/burst.err"
[ "$st_ok" -ge 1 ] && [ "$st_bad" -eq 0 ]
tap_ok $? "status answered during the burst ($st_ok answers, $st_bad failures)"
q1=$(egress_q vpn queued | tr -dc 0-9)
[ "$q1" -gt "$q0" ]
tap_ok $? "connections queued for a socket made in E and were served ($q0 -> $q1)"
is "$(egress_q vpn waiting)" "[0]" "none is left waiting"
loops=$(status_json_q '" ".join(str(w["connections_total"]) for w in d["workers"])')
[[ $loops =~ ^([0-9]+)\ 0$ ]] && [ "${BASH_REMATCH[1]}" -ge 100 ]
tap_ok $? "workers = 2: all went through the main loop, none through the worker ($loops)"

# UDP: 40 flows at once, far more than the pool of one socket; each gets its own
# echo, from E.
is "$(uc du many "$W4" 7000 40)" "40 from=$E4" "40 UDP flows at once: each answered, all from E"

# E gone: refused at once, status says why; E made afresh is used again.
# Nothing else may keep E alive, so that its end can be seen: microsocks goes first.
kill "$MICROSOCKS_PID" && wait "$MICROSOCKS_PID" 2>/dev/null
for p in $(ip netns pids "$NS_E"); do # danted and its children
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = danted ] && kill -TERM "$p" 2>/dev/null
done
wait_until 5 sh -c "[ -z \"\$(ip netns pids $NS_E)\" ]"
n=$(status_field du udp_flows)
[ "${n:-0}" -ge 1 ] 2>/dev/null
tap_ok $? "du holds live UDP flows through E before E goes (${n:-none})"
log_mark
ip netns del "$NS_E"
ms=$(curl_ms "$T/gone.err" nexec d curl -gsS --max-time 5 "http://$W4/")
rc=$?
[ "$rc" -ne 0 ] && [ "$ms" -lt 1000 ]
tap_ok $? "E gone: refused at once (rc $rc, $ms ms)"
err=$(status_field d last_error)
[[ $err == *"No such file"* ]]
tap_ok $? "status says why: $err"
is "$(h_sent)" "$n1" "E gone: still nothing left H"
is "$(egress_q vpn present)/$(egress_q vpn inode)" "[false]/[null]" "status: E is gone, no inode"
nsp status >"$T/st.txt" 2>&1
grep -q "netns: $NS_E (gone" "$T/st.txt"
tap_ok $? "status text says E is gone" || diag_file "$T/st.txt"
wait_log "egress netns '$NS_E': No such file or directory: connections through it are refused" 3
tap_ok $? "the log says once that E is gone"
# netnsp lets go of a deleted namespace: E ends, and its veth with it (the peer leaves W).
wait_until 10 sh -c "! ip -n $NS_W link show x5 >/dev/null 2>&1"
tap_ok $? "E gone: netnsp does not keep it alive (its link to W is gone)"
is "$(status_field du udp_flows)" 0 "E gone: du's UDP flows through it ended with it"
is "$(log_since | grep -c "egress netns '$NS_E'")" 1 "and only once"

# E made afresh under the same name, with its link to W: used again, and the log says so.
log_mark
ns_add "$NS_E" &&
	veth "$NS_E" e0 "$NS_W" x5 &&
	addr "$NS_E" e0 "$E4/26" "$E6/64" &&
	addr "$NS_W" x5 203.0.113.130/26 2001:db8:5::2/64 &&
	nsx "$NS_E" ip route add "$W4/32" via 203.0.113.130 || bail "E made afresh"
wait_log "egress netns '$NS_E': back" 5
tap_ok $? "the log says E is back"
expect_client d "http://$W4/" "$E4" "E made afresh: through E again"
is "$(uc du echo "$W4" 7000 afresh)" "from=$E4|afresh" "E made afresh: UDP through E again"
ino_e2=$(stat -L -c %i "/run/netns/$NS_E")
is "$(egress_q vpn inode)" "[\"$ino_e2\"]" "status: present again, with the new inode ($ino_e2)"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
