#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_conn_cap.sh - one subject cannot starve another of the daemon's file
# descriptors.  The daemon runs under RLIMIT_NOFILE 1024 (so the flood is a
# few hundred connections, not tens of thousands); subject a opens 600
# connections that the far end holds open.  Each relayed connection costs the
# daemon 6 fds, so without a per-subject cap the daemon reaches its limit
# (EMFILE), and b's next connection is not served.  With the cap
# (max-connections, derived from the fd limit and the number of subjects), a
# holds at most its share, the rest are reset at once and counted as
# refused in status, and b still gets through.
#
#   [S a: connflood.py flood x600]   [S b: curl]   no link
#        ^ setns: 127.0.0.1/::1 :1 (tproxy)
#   [H: netnsp daemon, RLIMIT_NOFILE 1024]  198.51.100.1  2001:db8:1::1  (no route to W)
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth 203.0.113.1 2001:db8:3::1
#   [W: world.py 203.0.113.100:80 "client=ADDR"; connflood.py hold :7000]
#
# W reports P1's address (203.0.113.1): any answer at all came through the proxy.
. "$(dirname "$0")/lib.sh"
lib_init microsocks curl prlimit

FLOOD=600
topo_p1_up
bg nsx "$NS_W" "$PYTHON" "$LIB_DIR/connflood.py" hold --port 7000 2>>"$T/hold.log"
wait_port "$NS_W" "$W4" 7000 || bail "connflood.py hold :7000"

conf() { # conf [EXTRA LINE FOR a]
	conf_proxy p1 "socks5://$P1_H4:1080"
	conf_profile a p1 "$@"
	conf_profile b p1
}
conf >"$CONF"
DAEMON_NOFILE=1024 daemon_up

works() { [ "$(curl_world "$1" "http://$W4/" 2>/dev/null)" = "client=$P1_W4" ]; }
# flood N OUT: N connections from a to the holder; waits for the result line in OUT.
flood() {
	rm -f "$2"
	bg nsenter --net="/run/netns/$(subject_ns a)" "$PYTHON" "$LIB_DIR/connflood.py" flood \
		--to "$W4:7000" --count "$1" --out "$2" 2>>"$T/flood.log"
	FLOOD_PID=$LAST_PID
	wait_until 30 test -s "$2"
}
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2"; } # field KEY FILE

# 1. Both subjects work, and the cap is what the fd limit allows.
works a
tap_ok $? "a: TCP through the proxy"
works b
tap_ok $? "b: TCP through the proxy"
cap=$(status_field a max_connections)
case $cap in '' | *[!0-9]*) cap=0 ;; esac # an old daemon reports none: the checks fail
diag "derived max-connections with RLIMIT_NOFILE 1024 and 2 subjects: $cap"
tap_ok $((cap > 0 && cap * 6 * 2 < 1024 ? 0 : 1)) \
	"a: derived max-connections ($cap) leaves room for both subjects in 1024 fds"

# 2. The flood: a gets its share, the rest is reset at once.
flood "$FLOOD" "$T/flood1" || { diag_file "$T/flood.log"; diag_file "$T/daemon.log"; }
diag "flood: $(cat "$T/flood1" 2>/dev/null)"
open=$(field open "$T/flood1")
reset=$(field reset "$T/flood1")
tap_ok $((${open:-0} > 0 && ${open:-0} <= cap ? 0 : 1)) \
	"a: at most max-connections held open (${open:-?} of $FLOOD, cap $cap)"
tap_ok $((${reset:-0} + ${open:-0} == FLOOD ? 0 : 1)) \
	"a: every connection beyond the cap was reset (${reset:-?})"
cpu0=$(cpu_ticks "$DAEMON_PID")
sleep 2
cpu=$((($(cpu_ticks "$DAEMON_PID") - cpu0) * 100 / $(getconf CLK_TCK) / 2))
tap_ok $((cpu < 25 ? 0 : 1)) "daemon CPU bounded while a is at its cap ($cpu% of a core)"

# 3. b is not affected by a being at its cap.
works b
tap_ok $? "b: TCP through the proxy while a holds its cap"
works b
tap_ok $? "b: and again"
refused=$(status_field a connections_refused)
case $refused in '' | *[!0-9]*) refused=0 ;; esac
tap_ok $((refused >= ${reset:-1} ? 0 : 1)) "status: a's refusals counted ($refused)"
is "$(status_field b connections_refused)" 0 "status: b refused nothing"
nsp status >"$T/status.txt" 2>&1
grep -qE "refused: $refused connections" "$T/status.txt"
tap_ok $? "status (text) shows a's refusals" || diag_file "$T/status.txt"
is "$(status_field a connections)" "${open:-x}" "status: a's live connections are the ones held"
lines=$(grep -c 'at max-connections' "$T/daemon.log")
is "$lines" 1 "the refusals are logged once (rate-limited)"

# 4. When a lets go, a works again.
kill "$FLOOD_PID"
wait_until 10 works a
tap_ok $? "a: works again once its connections are closed"

# 5. An explicit max-connections.
conf "max-connections = 25" >"$CONF"
nsp reload >"$T/reload.out" 2>&1
tap_ok $? "reload with max-connections = 25" || diag_file "$T/reload.out"
wait_ready 10
is "$(status_field a max_connections)" 25 "status: a's max-connections is 25"
flood 100 "$T/flood2" || diag_file "$T/flood.log"
diag "flood: $(cat "$T/flood2" 2>/dev/null)"
is "$(field open "$T/flood2")" 25 "a: exactly 25 held open"
works b
tap_ok $? "b: TCP through the proxy"
kill "$FLOOD_PID"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
