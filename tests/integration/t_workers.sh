#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_workers.sh - `workers = N` ([daemon]): the transparent TCP connections of
# a subject are served by several event loops (status "workers" counters),
# every one through the proxy; reload and `netnsp down` with live connections
# on several loops reset them and leave the daemon serving; kill -9 with
# live connections on several loops leaves the subject refusing at once;
# `workers = 1` is the single loop of before.
#
#   [S wk: curl via `netnsp exec`]   no link; daemon's listeners inside
#   [H: netnsp daemon]  198.51.100.1      (no route to W)
#        | veth
#   [P1: microsocks :1080]  198.51.100.2 / 203.0.113.1
#        | veth
#   [W: world.py 203.0.113.100:80]  answers "client=<its peer's address>"
. "$(dirname "$0")/lib.sh"
lib_init microsocks curl

topo_p1_up
N_CONN=24

write_conf() { # write_conf WORKERS [PROFILE LINE...]
	local w=$1
	shift
	{
		printf '[daemon]\nworkers = %s\n' "$w"
		conf_proxy p1 "socks5://$P1_H4:1080"
		conf_profile wk p1 "$@"
	} >"$CONF"
}
workers_q() { status_json_q "$1"; } # workers_q PYEXPR over d = status --json
n_workers() { workers_q 'len(d["workers"])'; }
worker_totals() { workers_q '" ".join(str(w["connections_total"]) for w in d["workers"])'; }
busy_loops() { workers_q 'sum(1 for w in d["workers"] if w["connections"] > 0)'; }
live_is() { [ "$(status_field wk connections)" = "$1" ]; }
through_proxy() { # through_proxy N: N connections, each answered "client=$P1_W4"
	local i ok=0
	for ((i = 0; i < $1; i++)); do
		[ "$(curl_world wk "http://$W4/" 2>>"$T/curl.err")" = "client=$P1_W4" ] && ok=$((ok + 1))
	done
	echo "$ok"
}
# slow_downloads N: N downloads that last (1 MB at 20 kB/s), in the background.
slow_downloads() {
	local i
	SLOW_PIDS=()
	for ((i = 0; i < $1; i++)); do
		nexec wk curl -gsS --max-time 60 -o /dev/null \
			"http://$W4/slow?bytes=1000000&rate=20000" 2>>"$T/slow.err" &
		SLOW_PIDS+=($!)
	done
}
slow_all_failed() { # every slow download ended with an error (reset), none completed
	local p bad=0
	for p in "${SLOW_PIDS[@]}"; do
		wait "$p" && bad=$((bad + 1))
	done
	[ "$bad" = 0 ]
}
several_busy() { live_is 4 && [ "$(busy_loops)" -ge 2 ]; }

# --- workers = 2: connections spread, every one through the proxy
write_conf 2
daemon_up
is "$(n_workers)" 2 "status lists 2 event loops"
grep -q '2 event loops serve TCP connections' "$T/daemon.log"
tap_ok $? "the daemon logs its 2 event loops"
n0=$(status_field wk connections_total)
is "$(through_proxy "$N_CONN")" "$N_CONN" \
	"$N_CONN connections, each answered with the proxy's address ($P1_W4)"
read -r t0 t1 <<<"$(worker_totals)"
[ "${t0:-0}" -ge 1 ] && [ "${t1:-0}" -ge 1 ]
tap_ok $? "both loops served connections (main $t0, worker $t1)"
n1=$(status_field wk connections_total)
is "$((t0 + t1))" "$((n1 - n0))" "the loops' totals add up to the subject's ($((n1 - n0)))"
is "$(status_field wk connections_failed)" 0 "none failed"
txt=$(nsp status 2>&1)
grep -qx 'relay: 2 event loops' <<<"$txt" && grep -qx "  connections in all: $t0 / $t1" <<<"$txt"
tap_ok $? "status text: a relay block with each loop's total ($t0 / $t1)" || diag "$txt"

# --- reload with live connections on both loops: reset, then served again
slow_downloads 4
wait_until 15 several_busy
tap_ok $? "4 live downloads, on $(busy_loops) loops"
write_conf 2 "max-connections = 1000"
out=$(nsp reload 2>"$T/reload.err")
tap_ok $? "reload (profile changed) with live connections on several loops" ||
	diag_file "$T/reload.err"
slow_all_failed
tap_ok $? "reload: every live download was reset, none completed"
wait_until 5 live_is 0
tap_ok $? "reload: no connection left in status"
is "$(through_proxy 4)" 4 "after reload: served through the proxy again"

# --- a changed workers waits for the next start, and says so
write_conf 3 "max-connections = 1000"
out=$(nsp reload 2>"$T/reload.err")
grep -qx '! \[daemon\] workers: 3 event loops at the next start (2 now)' <<<"$out"
tap_ok $? "reload: a changed workers is said to wait for the next start" || diag "$out"
grep -q 'workers = 3 takes effect at the next start' "$T/daemon.log"
tap_ok $? "reload: the daemon logs it too"
is "$(n_workers)" 2 "reload: still 2 event loops"
write_conf 2 "max-connections = 1000"
out=$(nsp reload 2>"$T/reload.err")
is "$out" "no changes" "reload back to workers = 2: nothing left to say"

# --- netnsp down with live connections on both loops
slow_downloads 4
wait_until 15 several_busy
tap_ok $? "4 live downloads again, on $(busy_loops) loops"
nsp down wk >"$T/down.out" 2>&1
is "$?" 0 "netnsp down with live connections on several loops" || diag_file "$T/down.out"
slow_all_failed
tap_ok $? "down: every live download ended, none completed"
[ ! -e "/run/netns/$(subject_ns wk)" ]
tap_ok $? "down: the subject namespace is gone"
kill -0 "$DAEMON_PID" 2>/dev/null
tap_ok $? "down: the daemon still runs"
stop_daemon
is "$?" 0 "SIGTERM: the daemon (2 loops) exits 0"
sanitizer_clean

# --- kill -9 with live connections on both loops: refused at once
start_daemon
wait_ready 10
tap_ok $? "daemon started again (2 loops)"
slow_downloads 4
wait_until 15 several_busy
tap_ok $? "4 live downloads, on $(busy_loops) loops"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
slow_all_failed
tap_ok $? "kill -9: every live download ended, none completed"
refused_at_once "kill -9: a new connection is refused at once" \
	--net="/run/netns/$(subject_ns wk)"

# --- workers = 1: one loop, as before
write_conf 1
start_daemon
wait_ready 10
tap_ok $? "workers = 1: the daemon applies the subject"
is "$(n_workers)" 1 "workers = 1: status lists one loop"
is "$(through_proxy 4)" 4 "workers = 1: served through the proxy"
is "$(worker_totals)" 4 "workers = 1: the main loop served all 4"
stop_daemon
is "$?" 0 "workers = 1: SIGTERM exits 0"
sanitizer_clean
nsp down wk >/dev/null 2>&1
tap_done
