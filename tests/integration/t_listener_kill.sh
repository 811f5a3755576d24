#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_listener_kill.sh - a subject destroys the daemon's listeners inside it
# (ss -K state listening: SOCK_DESTROY).  accept() on a destroyed listener
# fails with EINVAL for ever and epoll keeps reporting it ready, so a loop
# that only logs and returns spins at 100% of a core.  The daemon must take
# each dead listener out of the loop, recreate it in that subject (at the
# next 1 s tick), log it at most once a minute per subject and kind, and
# leave the other subject alone.
#
#   [S a: curl, dig +tcp, ss -K]   [S b: curl]   no link; the daemon's listeners:
#        127.0.0.1/::1 :1 (tproxy), :1080 (socks-port), *:53 TCP+UDP (resolver)
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1  2001:db8:1::1    (no route to W)
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth 203.0.113.1 2001:db8:3::1
#   [W: world.py 203.0.113.100:80: "client=ADDR"]
#
# W reports P1's address (203.0.113.1): any answer at all came through the proxy.
. "$(dirname "$0")/lib.sh"
lib_init microsocks ss dig curl

SP=1080
topo_p1_up

{
	conf_p1
	conf_profile a p1 "dns = fake" "socks-port = $SP"
	conf_profile b p1 "dns = fake"
} >"$CONF"

daemon_up

# works PROFILE: the tproxy path answers through P1.
works() { [ "$(curl_world "$1" "http://$W4/" 2>/dev/null)" = "client=$P1_W4" ]; }
# works_ep: the SOCKS5 endpoint of a answers through P1.
works_ep() {
	[ "$(curl_world a "http://$W4/" --socks5-hostname "127.0.0.1:$SP" 2>/dev/null)" = \
		"client=$P1_W4" ]
}
# works_dns_tcp: the resolver of a answers a query over TCP with a (fake) address;
# dig +short prints its errors (";; communications error ...") on stdout too.
works_dns_tcp() {
	nexec a dig +tcp +tries=1 +time=2 +short @"$W4" world.test A 2>/dev/null |
		grep -qE '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
}
# listeners: how many listening TCP sockets subject a has.
listeners() { nsx "$(subject_ns a)" ss -Htln | grep -c ''; }
# cpu_pct SECONDS: the daemon's CPU use over that many seconds, in % of one core.
cpu_pct() {
	local t0 t1 hz
	hz=$(getconf CLK_TCK)
	t0=$(cpu_ticks "$DAEMON_PID")
	sleep "$1"
	t1=$(cpu_ticks "$DAEMON_PID")
	echo $(((t1 - t0) * 100 / hz / $1))
}

# 1. Everything works before, so the checks below can fail for the right reason.
works a
tap_ok $? "a: TCP through the proxy (tproxy listener)"
works_ep
tap_ok $? "a: SOCKS5 endpoint through the proxy"
works_dns_tcp
tap_ok $? "a: resolver answers over TCP"
n_before=$(listeners)
tap_ok $((n_before >= 6 ? 0 : 1)) "a: the daemon listens in the subject ($n_before TCP listeners)"

# 2. Destroy every listener inside a.
log_mark
nsx "$(subject_ns a)" ss -K -t state listening >/dev/null 2>&1
n_gone=$(listeners)
diag "listeners in a right after ss -K: $n_gone"
cpu=$(cpu_pct 3)
tap_ok $((cpu < 25 ? 0 : 1)) "daemon CPU stays bounded after ss -K ($cpu% of a core over 3 s)"
lines=$(log_since | grep -c '')
tap_ok $((lines < 100 ? 0 : 1)) "daemon log stays bounded after ss -K ($lines lines in ~3 s)"
log_since | grep -q "listener: accept: Invalid argument: closed, recreating it"
tap_ok $? "the dead listener is logged" || { log_since | tail -n 5 | sed 's/^/# /'; }

# 3. Recreated in the subject: every path works again.
wait_until 5 works a
tap_ok $? "a: TCP through the proxy again (listener recreated)"
wait_until 5 works_ep
tap_ok $? "a: SOCKS5 endpoint again"
wait_until 5 works_dns_tcp
tap_ok $? "a: resolver over TCP again"
is "$(listeners)" "$n_before" "a: as many listeners as before"
works b
tap_ok $? "b: untouched, still works"

# 4. A subject that keeps killing them: still bounded, one line a minute per kind.
log_mark
for _ in $(seq 10); do
	nsx "$(subject_ns a)" ss -K -t state listening >/dev/null 2>&1
	sleep 0.3
done
cpu=$(cpu_pct 2)
tap_ok $((cpu < 25 ? 0 : 1)) "repeated ss -K: daemon CPU bounded ($cpu%)"
n=$(log_since | grep -c 'closed, recreating it')
is "$n" 0 "repeated ss -K within the minute: no further log line (suppressed and counted)"
wait_until 5 works a
tap_ok $? "a: works again after the repeated kills"
wait_until 5 works_ep
tap_ok $? "a: SOCKS5 endpoint works again after the repeated kills"
status_all_applied
tap_ok $? "status: every subject still applied"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
