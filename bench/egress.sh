#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/egress.sh - the relay's cost on an egress namespace: a client in a netnsp
# subject whose profile goes `url = direct` + `netns = E`, against the same client run
# inside E itself (routed straight to the server, no relay). Same path to S for both.
#
#   [N subject of H: iperf3 -c, connrate client]   (netnsp exec; no link)
#        ^ relay: the daemon in [H] (no link) opens the upstream socket inside E
#   [E egress] 203.0.113.1 ------ veth ------ [S] 203.0.113.10: iperf3 -s :5201, connrate :9000
#   ("routed": the same clients run in E itself)
#
# Every namespace is created here with a per-run prefix and deleted on exit.
# Knobs: BENCH_TIME (iperf3 s, 5), BENCH_REPEATS (3), BENCH_CONN_TIME (connrate s, 5),
# NETNSP (build/netnsp), BENCH_NO_RECORD=1 (don't append to bench/RESULTS.md).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_DIR/lib.sh"
SERVER=203.0.113.10
P=ne$(printf '%04x' $((RANDOM)))
NS_S=${P}s NS_E=${P}e NS_H=${P}h NS_N=${P}n
WORK=$(mktemp -d /tmp/netnsp-bench-egress.XXXXXX)
PIDS=()

nsp() { nsx "$NS_H" "$NETNSP" --config "$WORK/netnsp.conf" --state-dir "$WORK/state" \
	--run-dir "$WORK/run" "$@"; }
cleanup() {
	set +e
	nsp down >/dev/null 2>&1
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	for ns in "$NS_N" "$NS_H" "$NS_E" "$NS_S"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
[ -x "$NETNSP" ] || { echo "bench: no $NETNSP (build first)" >&2; exit 1; }
cc -O2 -Wall -Wextra -Werror -pthread -o "$WORK/connrate" "$BENCH_DIR/connrate.c"

for ns in "$NS_S" "$NS_E" "$NS_H"; do
	ip netns add "$ns"
	nsx "$ns" ip link set lo up
	nsx "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
done
ip link add name e0 netns "$NS_E" type veth peer name s0 netns "$NS_S"
nsx "$NS_E" ip addr add 203.0.113.1/24 dev e0 && nsx "$NS_E" ip link set e0 up
nsx "$NS_S" ip addr add "$SERVER/24" dev s0 && nsx "$NS_S" ip link set s0 up
nsx "$NS_S" iperf3 -s -B "$SERVER" -p 5201 >/dev/null 2>&1 & PIDS+=($!)
nsx "$NS_S" "$WORK/connrate" server "$SERVER" 9000 >/dev/null 2>&1 & PIDS+=($!)
mkdir -m 0700 "$WORK/state" "$WORK/run"
cat >"$WORK/netnsp.conf" <<EOF2
[proxy vpn]
url = direct
netns = $NS_E
[profile n]
via = vpn
netns = $NS_N
dns = off
EOF2
nsp daemon >"$WORK/daemon.log" 2>&1 & PIDS+=($!)
for _ in $(seq 50); do nsp status >/dev/null 2>&1 && [ -e "/run/netns/$NS_N" ] && break; sleep 0.2; done
sleep 1

gbps() { python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$1" 2>/dev/null || echo nan; }
crate() { awk '/^conns_per_sec/ { print $2; f = 1 } END { if (!f) print "nan" }' "$1"; }
run_in() { # run_in VARIANT CMD...
	local v=$1; shift
	if [ "$v" = routed ]; then nsx "$NS_E" "$@"; else nsp exec n -- "$@"; fi
}
: >"$WORK/results.txt"
for r in $(seq "$REPEATS"); do
	for v in routed relay; do
		run_in "$v" timeout $((T + 20)) iperf3 -c "$SERVER" -p 5201 -t "$T" -J >"$WORK/i.json" 2>/dev/null || true
		echo "$v tput $(gbps "$WORK/i.json")" >>"$WORK/results.txt"
		run_in "$v" timeout $((CT + 20)) "$WORK/connrate" client "$SERVER" 9000 "$CT" 1 >"$WORK/c.txt" 2>/dev/null || true
		echo "$v conn $(crate "$WORK/c.txt")" >>"$WORK/results.txt"
	done
done
summary=$(python3 - "$WORK/results.txt" <<'EOF2'
import statistics, sys
v = {}
for line in open(sys.argv[1]):
    var, m, x = line.split()
    if x != "nan":
        v.setdefault((var, m), []).append(float(x))
def med(k): return statistics.median(v[k]) if v.get(k) else float("nan")
def rng(k): return "%.4g–%.4g" % (min(v[k]), max(v[k])) if v.get(k) else "n/a"
rows = [("iperf3 1 stream up, Gbit/s", "tput"), ("connections/s (connect, 1-byte echo, close), 1 thread", "conn")]
print("| metric | routed in E (no relay) | netnsp direct + netns E | relay / routed |")
print("|---|---|---|---|")
for name, m in rows:
    a, b = med(("routed", m)), med(("relay", m))
    print("| %s | %.4g (%s) | %.4g (%s) | %.2f× |" % (name, a, rng(("routed", m)), b, rng(("relay", m)), b / a if a else float("nan")))
EOF2
)
echo "$summary"
if [ -z "${BENCH_NO_RECORD:-}" ]; then
	{
		echo
		echo "## $(date -u '+%Y-%m-%d %H:%M') UTC, commit $(git -C "$REPO" rev-parse --short HEAD), kernel $(uname -r), $(nproc) CPUs"
		echo
		echo "bench/egress.sh: \`url = direct\` + \`netns\` against the same client routed in the"
		echo "egress namespace, medians of $REPEATS runs (min–max). Shared machine: load average"
		echo "$(cut -d' ' -f1 /proc/loadavg) at the start, so only the ratio means much."
		echo
		echo "$summary"
	} >>"$BENCH_DIR/RESULTS.md"
fi
