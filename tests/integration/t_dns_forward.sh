#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_dns_forward.sh - DNS queries that fake mode cannot answer (MX, TXT) and
# every query with dns = proxy go over DNS-over-TCP through the profile's
# chain to its dns-server (docs/GUARANTEES.md 3); the resolver sees the last proxy's address, never the
# subject's; dns = proxy answers the real records and caches them.
#
#   [S fw (dns = fake, dns-server) / px (dns = proxy, via P1 -> P2): dig]
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1                 (no route to W)
#        | veth
#   [P1: microsocks :1080]  198.51.100.2 / 198.51.100.65 ------ [P2: microsocks :1080]
#        | veth  203.0.113.1                                       | 203.0.113.65
#   [W: dnsmasq 203.0.113.53 --log-queries: world.test A 203.0.113.100, MX, TXT]
#
# Which address dnsmasq logs ("from 203.0.113.1" or "from 203.0.113.65")
# tells which proxy made the last hop.
. "$(dirname "$0")/lib.sh"
lib_init microsocks dig dnsmasq

topo_setup || bail "topology setup failed"
start_microsocks "$NS_P1" 1080 || bail "microsocks P1"
start_microsocks "$NS_P2" 1080 || bail "microsocks P2"

start_dnsmasq_w "$DNS4" --address=/world.test/"$W4" \
	--mx-host=world.test,mail.world.test,10 --txt-record=world.test,hello &&
	w_route "$DNS4" "$NS_P2" || bail "dnsmasq did not start"
# The records the subject must get, asked of dnsmasq directly (from W, before the count).
is "$(nsx "$NS_W" dig +tcp +tries=1 +time=4 +short @"$DNS4" world.test MX)" "10 mail.world.test." \
	"dnsmasq itself answers MX world.test over TCP (sanity)"
is "$(nsx "$NS_W" dig +tcp +tries=1 +time=4 +short @"$DNS4" world.test TXT)" '"hello"' \
	"dnsmasq itself answers TXT world.test over TCP (sanity)"
DLOG0=$(grep -c '' "$T/dnsmasq.log") # the start-up probe's lines are not counted below
dnsmasq_new() { tail -n +$((DLOG0 + 1)) "$T/dnsmasq.log"; }
dnsmasq_queries() { dnsmasq_new | grep -E 'query\[' | grep -cE -- "${1:-.}"; }
dnsmasq_from() { # dnsmasq_from REGEX: the sorted source addresses of matching queries
	dnsmasq_new | grep -E -- "$1 from" | awk '{ print $NF }' | sort -u | tr '\n' ' '
}

{
	echo "# t_dns_forward.sh"
	conf_proxy p1 "socks5://$P1_H4:1080"
	conf_proxy p2 "socks5://$P2_P4:1080" "via = p1"
	conf_profile fw p1 "dns = fake" "dns-server = $DNS4"
	conf_profile px p2 "dns = proxy" "dns-server = $DNS4"
} >"$CONF"

# The daemon refuses settings it cannot serve yet: then every point below is
# skipped with the daemon's own words, and the test says so.
start_daemon
if ! wait_ready 10; then
	why=$(grep -m1 'not supported yet' "$T/daemon.log")
	if [ -n "$why" ] && ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		for d in "fw: MX forwarded" "fw: TXT forwarded" "fw: via P1" "px: A real" \
			"px: via P2" "px: cache" "px: MX"; do
			skip "forwarding not built yet: $why" "$d"
		done
		tap_done
		exit
	fi
	fail "daemon started and every subject applied"
	diag_file "$T/daemon.log"
	bail "daemon not ready"
fi
pass "daemon started and every subject applied"

UP_FW=$(id_uplink4 "$(state_id fw)")
UP_PX=$(id_uplink4 "$(state_id px)")

# fake mode + dns-server: MX and TXT forwarded through P1; A stays fake.
n0=$(dnsmasq_queries)
is "$(dig_in fw @"$UP_FW" world.test MX)" "NOERROR MX=10_mail.world.test." \
	"fw: MX world.test (UDP) answered with dnsmasq's record"
is "$(dig_in fw +tcp @9.9.9.9 world.test TXT)" 'NOERROR TXT="hello"' \
	"fw: TXT world.test (TCP, @9.9.9.9) answered with dnsmasq's record"
is "$(dnsmasq_from 'query\[MX\] world.test')" "$P1_W4 " "fw: dnsmasq saw the MX query from P1 ($P1_W4) only, never the subject"
got=$(dig_in fw @"$UP_FW" world.test A)
[[ $got == "NOERROR A=198.1"[89].* ]]
tap_ok $? "fw: A world.test is still a fake address (got '$got')"
is "$(dnsmasq_queries 'query\[(A|AAAA)\] world.test')" 0 "fw: dnsmasq saw no A/AAAA query"
diag "dnsmasq queries during fw: $(($(dnsmasq_queries) - n0))"

# dns = proxy: real answers through the two-hop chain, cached.
got=$(dig_in px @"$UP_PX" world.test A)
is "$got" "NOERROR A=$W4" "px: A world.test is dnsmasq's real address"
is "$(dnsmasq_from 'query\[A\] world.test')" "$P2_W4 " \
	"px: dnsmasq saw the A query from P2 ($P2_W4) only, the chain's last hop" ||
	diag_file "$T/dnsmasq.log"
c1=$(dnsmasq_queries "query\[A\] world.test from $P2_W4")
got=$(dig_in px +tcp @9.9.9.9 world.test A)
is "$got" "NOERROR A=$W4" "px: the same query again (TCP, another server address)"
is "$(dnsmasq_queries "query\[A\] world.test from $P2_W4")" "$c1" \
	"px: the second query was served from the cache (dnsmasq logged it once)"
is "$(dig_in px @"$UP_PX" world.test MX)" "NOERROR MX=10_mail.world.test." \
	"px: MX world.test answered with dnsmasq's record"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
