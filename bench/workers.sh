#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/workers.sh - `workers = 1` against `workers = 2` ([daemon], docs/DESIGN.md
# "Workers"): the same client in a netnsp subject, the same SOCKS5 upstream, the daemon
# restarted between the variants; runs interleaved (1, 2, 1, 2, ...).
#
#   [N subject of H: iperf3 -c -P 4, connrate client 1 and 4 threads] (netnsp exec; no link)
#        ^ relay: the daemon in [H] 198.51.100.1
#        | veth
#   [U] 198.51.100.2: bench/socks5-splice :1080 ; 203.0.113.1
#        | veth
#   [S] 203.0.113.10: iperf3 -s :5201, connrate server :9000
#
# Every namespace is created here with a per-run prefix and deleted on exit.
# Knobs: BENCH_TIME (iperf3 s, 5), BENCH_REPEATS (3), BENCH_CONN_TIME (connrate s, 5),
# NETNSP (build/netnsp), BENCH_NO_RECORD=1 (don't append to bench/RESULTS.md).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=bench-workers
. "$BENCH_DIR/lib.sh"
SERVER=203.0.113.10
P=nw$(printf '%04x' $((RANDOM)))
NS_S=${P}s NS_U=${P}u NS_H=${P}h NS_N=${P}n
WORK=$(mktemp -d /tmp/netnsp-bench-workers.XXXXXX)
PIDS=()
DAEMON=

cleanup() { bench_daemon_teardown "$NS_N" "$NS_H" "$NS_U" "$NS_S"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] || die "needs root"
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
[ -x "$NETNSP" ] || die "no $NETNSP (build first)"
bench_hus_up
bg_in "$NS_S" iperf3 -s -B "$SERVER" -p 5201 >/dev/null 2>&1
mkdir -m 0700 "$WORK/state" "$WORK/run"

daemon_start() { # daemon_start WORKERS
	cat >"$WORK/netnsp.conf" <<EOF2
[daemon]
workers = $1
[proxy u]
url = socks5://198.51.100.2:1080
[profile n]
via = u
netns = $NS_N
dns = off
EOF2
	nsenter --net="/run/netns/$NS_H" -- "$NETNSP" --config "$WORK/netnsp.conf" \
		--state-dir "$WORK/state" --run-dir "$WORK/run" daemon >>"$WORK/daemon.log" 2>&1 &
	DAEMON=$!
	for _ in $(seq 50); do
		nsp status >/dev/null 2>&1 && [ -e "/run/netns/$NS_N" ] && break
		sleep 0.2
	done
	nsx "$NS_N" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
	sleep 1
}
daemon_stop() { kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; DAEMON=; }

: >"$WORK/results.txt"
for r in $(seq "$REPEATS"); do
	for w in 1 2; do
		log "round $r: workers = $w"
		daemon_start "$w"
		nsp exec n -- timeout $((T + 20)) iperf3 -c "$SERVER" -p 5201 -t "$T" -P 4 -J \
			>"$WORK/i.json" 2>/dev/null || true
		echo "$w tput4 $(gbps "$WORK/i.json")" >>"$WORK/results.txt"
		for th in 1 4; do
			nsp exec n -- timeout $((CT + 20)) "$WORK/connrate" client "$SERVER" 9000 "$CT" \
				"$th" >"$WORK/c.txt" 2>/dev/null || true
			echo "$w conn$th $(crate "$WORK/c.txt")" >>"$WORK/results.txt"
		done
		nsp status --json >"$WORK/status-$w.json" 2>/dev/null || true
		daemon_stop
	done
done
loops=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); print(" / ".join(str(w["connections_total"]) for w in d["workers"]))' "$WORK/status-2.json" 2>/dev/null || echo "n/a")
summary=$(python3 "$BENCH_DIR/pair_table.py" "$WORK/results.txt" 1 2 "workers = 1" "workers = 2" \
	"tput4=iperf3 4 streams up, Gbit/s" \
	"conn1=connections/s (connect, 1-byte echo, close), 1 thread" \
	"conn4=connections/s (connect, 1-byte echo, close), 4 threads")
echo "$summary"
echo "connections per loop in the last workers = 2 round (main / worker): $loops"
if [ -z "${BENCH_NO_RECORD:-}" ]; then
	{
		echo
		echo "## $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git -C "$REPO" rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs"
		echo
		echo "bench/workers.sh: \`workers = 1\` against \`workers = 2\`, the same client in a"
		echo "subject through bench/socks5-splice, medians of $REPEATS interleaved runs (min–max)."
		echo "Connections per loop in the last \`workers = 2\` round (main / worker): $loops."
		echo "Shared machine: load average $LOAD0 at the start, $(cut -d' ' -f1 /proc/loadavg) at"
		echo "the end, so only the ratio means much."
		echo
		echo "$summary"
	} >>"$BENCH_DIR/RESULTS.md"
fi
