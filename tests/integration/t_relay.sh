#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_relay.sh - the TCP relay's splice path for an established tunnel, where
# pipes that carry a bulk transfer grow past the kernel's default 64 KiB:
# half-close both ways, a reset mid-transfer both ways on the relay's own
# segments, 1 GiB each way whose sha256 must match on both ends, a slow
# reader (backpressure through a grown pipe), byte counters exact to the
# byte, and a failure of the relay's own (no descriptor left for a pipe):
# reset both ways, logged, in status, and the next tunnel works.
#
#   [S rm: relay_peer.py client via `netnsp exec`]   no link; daemon's listeners inside
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1                 (no route to W)
#        | veth
#   [P1: danted :1080]     198.51.100.2
#        | veth  203.0.113.1
#   [W: relay_peer.py server 203.0.113.100:9000]
#
# The server runs in W, which H cannot reach: every byte went through P1.
. "$(dirname "$0")/lib.sh"
lib_init danted ss prlimit

GIB=$((1 << 30))
PORT=9000
PEER="$LIB_DIR/relay_peer.py"

topo_setup || bail "topology setup failed"
start_danted "$NS_P1" "$P1_H4" 1080 || bail "danted :1080"
bg nsx "$NS_W" "$PYTHON" "$PEER" server "$PORT" "$T/peer.log" 2>>"$T/peer.err"
wait_port "$NS_W" "$W4" "$PORT" || bail "relay_peer server"
sleep 0.2
: >"$T/peer.log" # wait_port's bare connect

nsx "$NS_P1" nft -f - <<EOF2 || bail "nft counter in P1"
table inet ${PFX}rst {
	chain c {
		type filter hook input priority 0;
		iifname p0 tcp dport 1080 tcp flags & rst == rst counter
	}
}
EOF2

{
	echo "# t_relay.sh"
	conf_proxy plain "socks5://$P1_H4:1080"
	conf_profile rm plain
} >"$CONF"

peer() { nexec rm "$PYTHON" "$PEER" "$1" "$W4" "$PORT" "$2" 2>>"$T/client.err"; }
peer_log_wait() { # peer_log_wait REGEX: the server logged a matching line
	wait_until 20 grep -qE "$1" "$T/peer.log"
}
counters() { status_json_q 'str(d["subjects"][0]["bytes_up"]) + " " + str(d["subjects"][0]["bytes_down"])'; }
live_is() { [ "$(status_field rm connections)" = "$1" ]; }
# The download is flowing once danted holds a connection to the server: only the
# data flow makes one.
# up_ok OUT N: an `up` client's line says N bytes sent and the same sha256 and N received.
up_ok() {
	local n=$2
	set -- $1 ''
	[ "$1" = sent ] && [ "$2" = "${5:-}" ] && [ "$3" = "$n" ] && [ "${6:-}" = "$n" ]
}
danted_to_w() { nsx "$NS_P1" ss -Htn state established dst "$W4" dport = :"$PORT" | grep -q .; }
rst_above() { [ "$(rst_count)" -gt "$1" ]; }
rst_count() { # RSTs from H to danted, counted in P1
	nsx "$NS_P1" nft list chain inet "${PFX}rst" c | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

daemon_up
n0=$(status_field rm connections_total)

# Half-close, app side first: the server reads to EOF and answers after it.
out=$(peer up 65536)
up_ok "$out" 65536
tap_ok $? "app half-closes, the answer still comes back (got: $out)"

# Half-close, upstream side first, with exact counters on one connection.
read -r up0 down0 <<<"$(counters)"
out=$(peer down 3000000)
peer_log_wait "^down .* 3000000$"
want=$(grep -E '^down .* 3000000$' "$T/peer.log" | tail -n 1 | cut -d' ' -f2)
is "$out" "got $want 3000000" "3 MB down to the server's EOF, sha256 matches"
wait_until 5 live_is 0
read -r up1 down1 <<<"$(counters)"
is "$((up1 - up0)) $((down1 - down0))" "13 3000000" \
	"byte counters exact (request line up, payload down)"

# Resets mid-transfer, on the relay's own segments (danted itself turns a
# reset into a FIN, so the far ends cannot show them).  Upstream first: P1
# kills danted's socket towards H (ss -K sends a RST) during a slowly read
# download, whose pipe has grown; the app must see a reset, not an EOF.
nexec rm "$PYTHON" "$PEER" downslow "$W4" "$PORT" $((256 << 20)) >"$T/downrst.out" \
	2>>"$T/client.err" &
cpid=$!
wait_until 10 danted_to_w
sleep 0.3
nsx "$NS_P1" ss -K -t state established dst 198.51.100.1 >/dev/null 2>&1
wait "$cpid"
is "$(cat "$T/downrst.out")" reset "upstream reset mid-transfer, the app sees a reset"
# The app resets during an upload: danted must receive a RST from H.
rst0=$(rst_count)
peer uprst 8000000 >/dev/null
wait_until 5 rst_above "$rst0"
tap_ok $? "app resets mid-transfer, the relay resets upstream ($rst0 -> $(rst_count) RSTs)"

# 1 GiB each way, checksums on both ends.
out=$(peer up "$GIB")
up_ok "$out" "$GIB"
tap_ok $? "1 GiB up, sha256 matches on both ends"
out=$(peer down "$GIB")
peer_log_wait "^down .* $GIB$"
want=$(grep -E "^down .* $GIB$" "$T/peer.log" | tail -n 1 | cut -d' ' -f2)
is "$out" "got $want $GIB" "1 GiB down, sha256 matches on both ends"

n1=$(status_field rm connections_total)
is "$((n1 - n0))" 6 "status counts the 6 tunnels"
is "$(status_field rm connections_failed)" 0 "status: none failed"
# A failure of the relay's own: with no file descriptor left for the pipe a
# bulk upload needs, the tunnel is reset both ways, the daemon says why in its
# log and in status, and serves the next tunnel once descriptors are back.
# uplate holds its 1 MiB until $T/go exists, so the tunnel is established
# (and has no pipe yet) when the limit drops.  First with the limit untouched.
uplate() { nexec rm env RELAY_PEER_GO="$T/go" "$PYTHON" "$PEER" uplate "$W4" "$PORT" 1048576; }
lowest_free_fd() { local i=0; while [ -e "/proc/$DAEMON_PID/fd/$i" ]; do i=$((i + 1)); done; echo "$i"; }
touch "$T/go"
out=$(uplate 2>>"$T/client.err")
up_ok "$out" 1048576
tap_ok $? "an upload that starts on an idle tunnel arrives whole (got: $out)"
wait_until 5 live_is 0
rm -f "$T/go"
uplate >"$T/uplate.out" 2>>"$T/client.err" &
cpid=$!
wait_until 10 danted_to_w
sleep 0.3
read -r soft hard <<<"$(prlimit --pid "$DAEMON_PID" --nofile --output SOFT,HARD --noheadings)"
rst0=$(rst_count)
low=$(lowest_free_fd)
prlimit --pid "$DAEMON_PID" --nofile="$low:$hard"
touch "$T/go"
wait "$cpid"
prlimit --pid "$DAEMON_PID" --nofile="$soft:$hard"
is "$(cat "$T/uplate.out")" reset "no fd for the pipe (limit $low): the app sees a reset"
wait_until 5 rst_above "$rst0"
tap_ok $? "... and the relay resets upstream too ($rst0 -> $(rst_count) RSTs)"
grep -q "profile 'rm': relaying a connection: Too many open files; both ends reset" "$T/daemon.log"
tap_ok $? "the daemon logs why, with the profile"
is "$(status_field rm last_error)" '"relaying a connection: Too many open files; both ends reset"' \
	"status: last error says why"
is "$(status_field rm connections_failed)" 1 "status: counted as failed"
out=$(uplate 2>>"$T/client.err")
up_ok "$out" 1048576
tap_ok $? "descriptors back, the next upload arrives whole"

kill -0 "$DAEMON_PID" 2>/dev/null
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
