#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/pipeline.sh - what `pipeline = yes` saves when the proxy is far away: time per
# connection (connect, 1-byte echo, close; one client thread) through a SOCKS5 proxy
# behind a link that holds every byte BENCH_DELAY_MS each way, for netnsp without and
# with pipeline, and for proxychains4 (which waits for each reply, as SOCKS5 clients do).
#
#   [N1 plain / N2 pipe: connrate client]  subjects of H (no link)
#        ^ relay                                  [proxychains4 connrate client in H]
#   [H] 198.51.100.1: netnsp daemon; no route to S
#        | veth
#   [U] 198.51.100.2: delayline.py :1081 (BENCH_DELAY_MS each way) -> socks5-splice :1080
#        | veth  203.0.113.1
#   [S] 203.0.113.10: connrate server :9000
#
# Without pipeline a connection costs three round trips across the delay (greeting,
# CONNECT, the echo), with it two. Every namespace is created here with a per-run prefix
# and deleted on exit (also on failure). Knobs: BENCH_DELAY_MS (10), BENCH_REPEATS (3),
# BENCH_CONN_TIME (connrate s, 5), NETNSP (build/netnsp), BENCH_NO_RECORD=1.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=bench-pipeline
. "$BENCH_DIR/lib.sh"
SERVER=203.0.113.10
DELAY=${BENCH_DELAY_MS:-10}
P=np$(printf '%04x' $((RANDOM)))
NS_S=${P}s NS_U=${P}u NS_H=${P}h
WORK=$(mktemp -d /tmp/netnsp-bench-pipeline.XXXXXX)
PIDS=()
DAEMON=

cleanup() { bench_daemon_teardown "${P}n1" "${P}n2" "$NS_H" "$NS_U" "$NS_S"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] || die "needs root"
command -v proxychains4 >/dev/null || die "no proxychains4 (apt-get install proxychains4)"
[ -x "$NETNSP" ] || die "no $NETNSP (build first)"
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
bench_hus_up
bg_in "$NS_U" python3 "$BENCH_DIR/delayline.py" 198.51.100.2 1081 198.51.100.2 1080 "$DELAY" \
	>/dev/null 2>&1
wait_port "$NS_U" 198.51.100.2 1081
mkdir -m 0700 "$WORK/state" "$WORK/run"
cat >"$WORK/netnsp.conf" <<EOF
[proxy plain]
url = socks5://198.51.100.2:1081
isolate = none
[proxy pipe]
url = socks5://198.51.100.2:1081
isolate = none
pipeline = yes
[profile plain]
via = plain
netns = ${P}n1
dns = off
[profile pipe]
via = pipe
netns = ${P}n2
dns = off
EOF
printf 'strict_chain\nquiet_mode\n[ProxyList]\nsocks5 198.51.100.2 1081\n' >"$WORK/proxychains.conf"
nsenter --net="/run/netns/$NS_H" -- "$NETNSP" --config "$WORK/netnsp.conf" \
	--state-dir "$WORK/state" --run-dir "$WORK/run" daemon >>"$WORK/daemon.log" 2>&1 &
DAEMON=$!
for _ in $(seq 50); do
	nsp status >/dev/null 2>&1 && [ -e "/run/netns/${P}n1" ] && [ -e "/run/netns/${P}n2" ] && break
	sleep 0.2
done
[ -e "/run/netns/${P}n2" ] || die "daemon not ready: $(tail -n 3 "$WORK/daemon.log")"

# ms per connection: one thread, so 1000 / rate.
run_one() { # run_one VARIANT CMD...
	local v=$1 rate
	shift
	"$@" timeout $((CT + 20)) "$WORK/connrate" client "$SERVER" 9000 "$CT" 1 >"$WORK/c.txt" \
		2>/dev/null || true
	rate=$(crate "$WORK/c.txt")
	[ "$rate" = nan ] || echo "$v ms $(python3 -c "print(1000 / $rate)")" >>"$WORK/results.txt"
	log "$v: $rate conn/s"
}
: >"$WORK/results.txt"
for r in $(seq "$REPEATS"); do
	log "round $r"
	run_one proxychains nsx "$NS_H" proxychains4 -q -f "$WORK/proxychains.conf"
	run_one plain nsp exec plain --
	run_one pipe nsp exec pipe --
done
status=$(nsp status --json | python3 -c 'import json,sys; print(", ".join("%s: %s made, %s failed" % (s["profile"], s["connections_total"], s["connections_failed"]) for s in json.load(sys.stdin)["subjects"]))' || echo "status failed")
t1=$(python3 "$BENCH_DIR/pair_table.py" "$WORK/results.txt" plain pipe "netnsp" \
	"netnsp, pipeline = yes" "ms=ms per connection (connect, 1-byte echo, close), 1 thread")
t2=$(python3 "$BENCH_DIR/pair_table.py" "$WORK/results.txt" proxychains pipe "proxychains4" \
	"netnsp, pipeline = yes" "ms=ms per connection (connect, 1-byte echo, close), 1 thread")
echo "$t1"
echo
echo "$t2"
echo "daemon: $status"
if [ -z "${BENCH_NO_RECORD:-}" ]; then
	{
		echo
		echo "## $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git -C "$REPO" rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs"
		echo
		echo "bench/pipeline.sh: a SOCKS5 proxy (bench/socks5-splice) behind bench/delayline.py"
		echo "holding every byte $DELAY ms each way; medians of $REPEATS interleaved runs"
		echo "(min–max). Load average $LOAD0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end."
		echo "Daemon at the end: $status."
		echo
		echo "$t1"
		echo
		echo "$t2"
	} >>"$BENCH_DIR/RESULTS.md"
fi
