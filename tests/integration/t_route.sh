#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_route.sh - `route` lines in a profile: the first match wins; names (from
# the fake map) and ranges (the address dialled) pick the chain; `block`
# refuses at once; with no default what matches nothing is refused; .onion
# and .i2p names reach only their own route's proxy and never a DNS server.
# i2pd (offline, no peers) is the `i2p` route's exit: its log shows the name.
#
#   [S r / nd / px: curl, dig via `netnsp exec`]                    no link
#        ^ setns
#   [H: netnsp daemon] 198.51.100.1                        (no route to W)
#        | veth
#   [P1: microsocks :1080 (a), tinyproxy 198.51.100.2:8888 (tp, logs names),
#        i2pd socks 198.51.100.2:4447 (i2p, no peers), /etc/hosts: *.test = W]
#        | veth 198.51.100.65                 \ veth 203.0.113.1
#   [P2: microsocks :1080 (b = a -> P2)]       \
#        | veth 203.0.113.65                    \
#   [W: world.py 203.0.113.100:80 [2001:db8:100::1]:80 -> "client=ADDR";
#       dnsmasq 203.0.113.53 --log-queries]
#
# W reports 203.0.113.1 for tp and a, 203.0.113.65 for b.
. "$(dirname "$0")/lib.sh"
lib_init microsocks tinyproxy i2pd dnsmasq dig

topo_world_up
start_dnsmasq_w "$DNS4" --mx-host=world.test,mail.world.test,10 || bail "dnsmasq did not start"
for ns in "$NS_P1" "$NS_P2"; do
	mkdir -p "/etc/netns/$ns" && at_cleanup "rm -rf /etc/netns/$ns"
	printf '127.0.0.1 localhost\n' >"/etc/netns/$ns/hosts"
	for n in world.test a.corp.test late.corp.test blocked.corp.test; do
		printf '%s %s\n' "$W4" "$n" >>"/etc/netns/$ns/hosts"
	done
done
start_microsocks "$NS_P1" 1080 || bail "microsocks P1"
start_microsocks "$NS_P2" 1080 || bail "microsocks P2"
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy P1"

# i2pd offline: reseed and address book point at a closed port in P1.
mkdir -p "$T/i2pd/data" "$T/i2pd/tun"
cat >"$T/i2pd/i2pd.conf" <<EOF2
log = file
logfile = $T/i2pd.log
loglevel = debug
ipv6 = false
[http]
enabled = false
[httpproxy]
enabled = false
[socksproxy]
enabled = true
address = $P1_H4
port = 4447
[sam]
enabled = false
[bob]
enabled = false
[i2cp]
enabled = false
[i2pcontrol]
enabled = false
[upnp]
enabled = false
[reseed]
urls = https://$P1_H4:1/
[addressbook]
defaulturl = http://$P1_H4:1/hosts.txt
subscriptions = http://$P1_H4:1/subs.txt
EOF2
: >"$T/i2pd/tunnels.conf"
bg nsx "$NS_P1" i2pd --conf="$T/i2pd/i2pd.conf" --datadir="$T/i2pd/data" \
	--tunconf="$T/i2pd/tunnels.conf" --tunnelsdir="$T/i2pd/tun" \
	--certsdir=/usr/share/i2pd/certificates --pidfile="$T/i2pd/pid" >>"$T/i2pd.out" 2>&1
wait_port "$NS_P1" "$P1_H4" 4447 20 || bail "i2pd socks proxy did not open"

{
	conf_proxy a "socks5://$P1_H4:1080"
	conf_proxy b "socks5://$P2_P4:1080" "via = a"
	conf_proxy tp "http://$P1_H4:8888"
	conf_proxy i2p "socks5h://$P1_H4:4447" "isolate = none"
	cat <<EOF2

[profile r]
netns = $(subject_ns r)
route = *.i2p i2p
route = blocked.corp.test block
route = *.corp.test b
route = late.corp.test block
route = 2001:db8:100::/48 b
route = 203.0.113.100 block
route = default tp

[profile nd]
netns = $(subject_ns nd)
dns = off
route = 203.0.113.0/24 b

[profile px]
netns = $(subject_ns px)
via = tp
dns = proxy
dns-server = $DNS4
route = *.i2p i2p
EOF2
} >"$CONF"
daemon_up

# refused_now PROFILE URL DESC: curl fails within 1 s (reset by the relay, or
# refused; curl's own time, curl_ms)
refused_now() {
	local rc ms
	ms=$(curl_ms "$T/rn.err" nexec "$1" curl -gsS --max-time 5 "$2")
	rc=$?
	[ "$rc" -ne 0 ] && [ "$ms" -lt 1000 ]
	tap_ok $? "$3 (curl rc $rc, $ms ms)" || diag_file "$T/rn.err"
}

expect_client r "http://world.test/" "$P1_W4" "unmatched name takes route = default (tp)"
expect_client r "http://a.corp.test/" "$P2_W4" "*.corp.test -> b (a chain): W sees P2"
expect_client r "http://late.corp.test/" "$P2_W4" \
	"first match wins: late.corp.test takes *.corp.test before its own block line"
refused_now r "http://blocked.corp.test/" "blocked.corp.test: its block line comes first"
expect_client r "http://[$W6]/" "$P2_W6" "IPv6 range 2001:db8:100::/48 -> b"
refused_now r "http://$W4/" "an address in a block range is refused at once"
line=$(grep -n '^route = 203.0.113.100 block$' "$CONF" | cut -d: -f1)
wait_log "blocked \\(route '203.0.113.100', line $line\\)" 10
tap_ok $? "the daemon says which route line blocked it"

expect_client nd "http://$W4/" "$P2_W4" "no default: a matching range works (b)"
refused_now nd "http://[$W6]/" "no default: what matches no route is refused at once"

# i2p: the name reaches i2pd (its log), and no other proxy
nexec r curl -gsS --max-time 10 http://example.i2p/ >/dev/null 2>"$T/i2p.err"
wait_until 5 grep -q 'SOCKS: Requested example.i2p:80' "$T/i2pd.log"
tap_ok $? "example.i2p reaches i2pd as a name" || diag_file "$T/i2pd.log" 5
refused_now r "http://hidden.onion/" ".onion with no route of its own is refused (r has routes)"
nexec px curl -gsS --max-time 10 http://other.i2p/ >/dev/null 2>&1
wait_until 5 grep -q 'SOCKS: Requested other.i2p:80' "$T/i2pd.log"
tap_ok $? "px (dns = proxy): other.i2p reaches i2pd as a name"
! grep -qE 'i2p|onion' "$T/tinyproxy-8888.log" "$T/microsocks.log"
tap_ok $? "neither tinyproxy nor microsocks ever saw an .i2p or .onion name"

# DNS: blocked names are REFUSED; .i2p / .onion never reach dns-server
st=$(nexec r dig +tries=1 +time=5 blocked.corp.test A 2>&1 | grep -o 'status: [A-Z]*')
is "$st" "status: REFUSED" "resolver: a blocked name is REFUSED"
mx=$(nexec px dig +tries=1 +time=5 +short world.test MX)
is "$mx" "10 mail.world.test." "dns = proxy forwards world.test MX to dnsmasq through tp"
a=$(nexec px dig +tries=1 +time=5 +short example.i2p A)
case "$a" in 198.1[89].*) pass "dns = proxy: example.i2p A is a fake address ($a)" ;;
*) fail "dns = proxy: example.i2p A is a fake address (got '$a')" ;; esac
st=$(nexec px dig +tries=1 +time=5 example.i2p TXT 2>&1 | grep -o 'status: [A-Z]*')
is "$st" "status: REFUSED" "dns = proxy: example.i2p TXT is refused locally"
st=$(nexec px dig +tries=1 +time=5 x.onion A 2>&1 | grep -o 'status: [A-Z]*')
is "$st" "status: REFUSED" "dns = proxy: x.onion (no route) is REFUSED"
nexec r dig +tries=1 +time=5 x.onion MX >/dev/null 2>&1
grep -q 'query.*world.test' "$T/dnsmasq.log"
tap_ok $? "dnsmasq saw the forwarded query (sanity)"
! grep -qE 'i2p|onion' "$T/dnsmasq.log"
tap_ok $? "dnsmasq never saw an .i2p or .onion name" || diag_file "$T/dnsmasq.log"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
