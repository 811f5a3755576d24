#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/dns.sh - fake-mode DNS answered end to end inside a subject,
# queries per second (daemon pinned to one core), and daemon RSS per stored
# fake-IP mapping after 100,000 distinct names.  See bench/README.md.
#
#   [N <prefix>n: subject made by the daemon; bench/dns_load (nsenter), CPU 1]
#        ^ setns: UDP port 53 -> tproxy -> the daemon's resolver socket
#   [H <prefix>h: netnsp daemon, CPU 0]   no link: DNS never needs the proxy
#
# Root needed.  No packet leaves the two namespaces made here; an EXIT trap
# kills the daemon, runs `netnsp down`, deletes the namespaces and temp dir.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=dns.sh
. "$BENCH_DIR/lib.sh"
SECS=${BENCH_DNS_TIME:-10}
WINDOW=${BENCH_DNS_WINDOW:-64}
NAMES=${BENCH_DNS_NAMES:-1000}
DISTINCT=${BENCH_DNS_DISTINCT:-100000}
PFX=nd$((RANDOM % 1000))$$
W=$(mktemp -d /tmp/netnsp-dns.XXXXXX)
chmod 0755 "$W"
DPID=''

cleanup() {
	set +e
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -e "/run/netns/${PFX}h" ] && nsenter --net="/run/netns/${PFX}h" "$NETNSP" \
		--config "$W/netnsp.conf" --state-dir "$W/state" --run-dir "$W/run" down >/dev/null 2>&1
	for ns in /run/netns/"$PFX"*; do [ -e "$ns" ] && ip netns del "${ns##*/}"; done
	rm -rf "$W" "/etc/netns/${PFX}n"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || { echo "dns.sh: must run as root" >&2; exit 1; }
[ -x "$NETNSP" ] || { echo "dns.sh: no $NETNSP (ninja -C build)" >&2; exit 1; }
cc -O2 -Wall -Wextra -Werror -o "$W/dns_load" "$BENCH_DIR/dns_load.c"

mkdir -m 0700 "$W/state" "$W/run"
ip netns add "${PFX}h"
ip -n "${PFX}h" link set lo up
cat >"$W/netnsp.conf" <<EOF
[proxy u]
url = socks5://198.51.100.2:1080

[profile bench]
via = u
netns = ${PFX}n
EOF
nsp() { nsenter --net="/run/netns/${PFX}h" "$NETNSP" --config "$W/netnsp.conf" \
	--state-dir "$W/state" --run-dir "$W/run" "$@"; }
# The daemon on CPU 0, the load generator on CPU 1: "one core" each.
taskset -c 0 nsenter --net="/run/netns/${PFX}h" "$NETNSP" --config "$W/netnsp.conf" \
	--state-dir "$W/state" --run-dir "$W/run" daemon 2>"$W/daemon.log" &
DPID=$!
for _ in $(seq 100); do
	nsp status --json 2>/dev/null | grep -q '"applied": *true' && break
	sleep 0.1
done
nsp status --json 2>/dev/null | grep -q '"applied": *true' || { cat "$W/daemon.log"; exit 1; }
UP4=$(ip -n "${PFX}n" -4 -o addr show dev nsp-up0 | awk '{ sub(/\/.*/, "", $4); print $4 }')
load() { taskset -c 1 nsenter --net="/run/netns/${PFX}n" "$W/dns_load" "$@"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }

# Sanity: one answer from the fake pool, else no numbers.
ans=$(load names "$UP4" 1 1)
[ "$ans" = "noerror 1 servfail 0 other 0 lost 0" ] || { echo "no answer: $ans" >&2; exit 1; }

# 1. RSS per mapping: first, on a fresh daemon, so nothing freed earlier hides the cost.
sleep 1
rss0=$(rss_kb)
dist=$(load names "$UP4" "$DISTINCT" "$WINDOW")
sleep 1
rss1=$(rss_kb)
stored=$(awk '{ print $2 }' <<<"$dist")

# 2. Queries per second: NAMES names round robin (already mapped after the first pass).
qps=()
for i in $(seq "$REPEATS"); do
	out=$(load qps "$UP4" "$SECS" "$WINDOW" "$NAMES")
	echo "run $i: $out"
	qps+=("$(awk '{ print $8 }' <<<"$out")")
done
med=$(printf '%s\n' "${qps[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
cpu=$(ps -o %cpu= -p "$DPID" | tr -d ' ')
kill -0 "$DPID" || { echo "daemon died" >&2; cat "$W/daemon.log"; exit 1; }

per=$(((rss1 - rss0) * 1024 / (stored > 0 ? stored : 1)))
report=$(
	echo
	echo "## dns.sh $(date -u '+%F %T UTC') — ${BENCH_COMMIT:-$(git -C "$REPO" rev-parse --short HEAD)} —" \
		"$(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "| fake-mode DNS | result | target |"
	echo "| --- | --- | --- |"
	echo "| A queries/s answered end to end, UDP, window $WINDOW, $NAMES names, median of $REPEATS × ${SECS} s | $med (runs: ${qps[*]}) | ≥ 20,000 |"
	echo "| distinct names queried / answered NOERROR (stored) | $DISTINCT: $dist | |"
	echo "| daemon VmRSS before → after | $rss0 → $rss1 KiB | |"
	echo "| daemon RSS growth per stored mapping | $per bytes | ≤ 200 |"
	echo
	echo "Daemon pinned to CPU 0, load generator to CPU 1; daemon's mean CPU over its life: ${cpu}%."
)
echo "$report"
[ "${BENCH_NO_RECORD:-0}" = 1 ] || echo "$report" >>"$BENCH_DIR/RESULTS.md"
