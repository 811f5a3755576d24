#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/egress.sh - the relay's cost on an egress namespace: a client in a netnsp
# subject whose profile goes `url = direct` + `netns = E`, against the same client run
# inside E itself (routed straight to the server, no relay). Same path to S for both.
#
#   [N subject of H: iperf3 -c, connrate client]   (netnsp exec; no link)
#        ^ relay: the daemon in [H] (no link); its upstream sockets are made inside E
#   [E egress] 203.0.113.1 ------ veth ------ [S] 203.0.113.10: iperf3 -s :5201, connrate :9000
#   ("routed": the same clients run in E itself)
#
# Every namespace is created here with a per-run prefix and deleted on exit.
# Knobs: BENCH_TIME (iperf3 s, 5), BENCH_REPEATS (3), BENCH_CONN_TIME (connrate s, 5),
# BENCH_SHAPE (tc rate of E's link for the shaped row, 1gbit),
# NETNSP (build/netnsp), BENCH_NO_RECORD=1 (don't append to bench/RESULTS.md).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_DIR/lib.sh"
SHAPE=${BENCH_SHAPE:-1gbit}
SERVER=203.0.113.10
P=ne$(printf '%04x' $((RANDOM)))
NS_S=${P}s NS_E=${P}e NS_H=${P}h NS_N=${P}n
WORK=$(mktemp -d /tmp/netnsp-bench-egress.XXXXXX)
PIDS=()
DAEMON= # the daemon runs from PIDS

cleanup() { bench_daemon_teardown "$NS_N" "$NS_H" "$NS_E" "$NS_S"; }
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench: needs root" >&2; exit 1; }
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
[ -x "$NETNSP" ] || { echo "bench: no $NETNSP (build first)" >&2; exit 1; }
cc -O2 -Wall -Wextra -Werror -pthread -o "$WORK/connrate" "$BENCH_DIR/connrate.c"
# The socket micro-benchmark links the library of NETNSP's build (a build without
# egress_ns_socket(), before it existed, gets no such row).
CORE_LIB=$(dirname "$NETNSP")/libnetnsp-core.a
HAVE_MICRO=
if [ -f "$CORE_LIB" ] && cc -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$REPO/src" -I"$REPO" \
	-o "$WORK/egress_socket" "$BENCH_DIR/egress_socket.c" "$CORE_LIB" \
	$(pkg-config --libs libmnl libnftables json-c inih) -pthread 2>/dev/null; then
	HAVE_MICRO=1
fi

bench_ns_add "$NS_S" "$NS_E" "$NS_H" || die "namespaces"
ip link add name e0 netns "$NS_E" type veth peer name s0 netns "$NS_S"
nsx "$NS_E" ip addr add 203.0.113.1/24 dev e0 && nsx "$NS_E" ip link set e0 up
nsx "$NS_S" ip addr add "$SERVER/24" dev s0 && nsx "$NS_S" ip link set s0 up
bg_in "$NS_S" iperf3 -s -B "$SERVER" -p 5201 >/dev/null 2>&1
bg_in "$NS_S" "$WORK/connrate" server "$SERVER" 9000 >/dev/null 2>&1
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
bg_in "$NS_H" "$NETNSP" --config "$WORK/netnsp.conf" --state-dir "$WORK/state" \
	--run-dir "$WORK/run" daemon >"$WORK/daemon.log" 2>&1
for _ in $(seq 50); do nsp status >/dev/null 2>&1 && [ -e "/run/netns/$NS_N" ] && break; sleep 0.2; done
# The subject's client gets E's port range and TIME_WAIT reuse too: thousands of
# connections a second otherwise fill the default range and slow connect() down.
nsx "$NS_N" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
sleep 1

run_in() { # run_in VARIANT CMD...
	local v=$1; shift
	if [ "$v" = routed ]; then nsx "$NS_E" "$@"; else nsp exec n -- "$@"; fi
}
: >"$WORK/results.txt"
for r in $(seq "$REPEATS"); do
	for v in routed relay; do
		run_in "$v" timeout $((T + 20)) iperf3 -c "$SERVER" -p 5201 -t "$T" -J >"$WORK/i.json" 2>/dev/null || true
		echo "$v tput $(gbps "$WORK/i.json")" >>"$WORK/results.txt"
		run_in "$v" timeout $((T + 20)) iperf3 -c "$SERVER" -p 5201 -t "$T" -P 4 -J >"$WORK/i.json" 2>/dev/null || true
		echo "$v tput4 $(gbps "$WORK/i.json")" >>"$WORK/results.txt"
		run_in "$v" timeout $((CT + 20)) "$WORK/connrate" client "$SERVER" 9000 "$CT" 1 >"$WORK/c.txt" 2>/dev/null || true
		echo "$v conn $(crate "$WORK/c.txt")" >>"$WORK/results.txt"
		run_in "$v" timeout $((CT + 20)) "$WORK/connrate" client "$SERVER" 9000 "$CT" 4 >"$WORK/c.txt" 2>/dev/null || true
		echo "$v conn4 $(crate "$WORK/c.txt")" >>"$WORK/results.txt"
		# E's link shaped to SHAPE (a VPN's or an uplink's rate): the link is the limit, not the CPU.
		nsx "$NS_E" tc qdisc replace dev e0 root tbf rate "$SHAPE" burst 1mb latency 20ms
		run_in "$v" timeout $((T + 20)) iperf3 -c "$SERVER" -p 5201 -t "$T" -J >"$WORK/i.json" 2>/dev/null || true
		echo "$v shaped $(gbps "$WORK/i.json")" >>"$WORK/results.txt"
		nsx "$NS_E" tc qdisc del dev e0 root
	done
	if [ -n "$HAVE_MICRO" ]; then
		nsx "$NS_H" "$WORK/egress_socket" "$NS_E" 2000 >"$WORK/m.txt" 2>/dev/null || true
		awk '{ print "old sock " $2; print "new sock " $4 }' "$WORK/m.txt" >>"$WORK/results.txt"
	fi
done
summary=$(python3 - "$WORK/results.txt" "$SHAPE" <<'EOF2'
import statistics, sys
v = {}
for line in open(sys.argv[1]):
    var, m, x = line.split()
    if x != "nan":
        v.setdefault((var, m), []).append(float(x))
def med(k): return statistics.median(v[k]) if v.get(k) else float("nan")
def rng(k): return "%.4g–%.4g" % (min(v[k]), max(v[k])) if v.get(k) else "n/a"
rows = [("iperf3 1 stream up, Gbit/s", "tput"), ("iperf3 4 streams up, Gbit/s", "tput4"),
        ("iperf3 1 stream up, E's link shaped (tc tbf rate " + sys.argv[2] + "), Gbit/s", "shaped"), ("connections/s (connect, 1-byte echo, close), 1 thread", "conn"),
        ("connections/s, 4 threads", "conn4")]
print("| metric | routed in E (no relay) | netnsp direct + netns E | relay / routed |")
print("|---|---|---|---|")
for name, m in rows:
    a, b = med(("routed", m)), med(("relay", m))
    print("| %s | %.4g (%s) | %.4g (%s) | %.2f× |" % (name, a, rng(("routed", m)), b, rng(("relay", m)), b / a if a else float("nan")))
if v.get(("new", "sock")):
    a, b = med(("old", "sock")), med(("new", "sock"))
    print()
    print("| relay thread's cost of one upstream socket made in E, µs (bench/egress_socket.c) | open the name + helper thread | held namespace + pool | held / open |")
    print("|---|---|---|---|")
    print("| socket + close, 2000 back to back | %.4g (%s) | %.4g (%s) | %.2f× |" % (a, rng(("old", "sock")), b, rng(("new", "sock")), b / a if a else float("nan")))
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
		echo "$LOAD0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end, so only the ratio means much."
		echo
		echo "$summary"
	} >>"$BENCH_DIR/RESULTS.md"
fi
