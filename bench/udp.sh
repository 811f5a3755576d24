#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/udp.sh - UDP echo round-trip latency through the relay,
# against a proxy-aware SOCKS5 UDP client.  See bench/README.md.
#
#   [A direct: udp_rtt plain]                     [S: udp_rtt server 203.0.113.10:9000 (lo)]
#     a0 203.0.113.34/30 ------------------------ s0 203.0.113.33/30
#                                                 s1 203.0.113.1/30
#                                                   |
#   [U: danted 198.51.100.2:1080, UDP ASSOCIATE]  u1 203.0.113.2/30
#     u0 198.51.100.2/30
#       |
#     h0 198.51.100.1/30
#   [H: netnsp daemon (nsenter), udp_rtt socks5 (the proxy-aware client)]   no route to S
#        | setns
#   [N <prefix>n: subject made by the daemon, udp = on via danted: udp_rtt plain]
#
# (a) direct: A to S, routed.  (b) socks5: a client in H that does UDP
# ASSOCIATE itself with danted, then sends each datagram with its SOCKS5
# header to danted's relay port.  (c) netnsp: a plain UDP client in the
# subject; the daemon's relay does the UDP ASSOCIATE.  H has no route to S,
# so (b) and (c) reach S only through danted.  Same echo server, same danted.
#
# Root needed.  Namespaces are named nu<random><pid>...; no packet leaves
# them; an EXIT trap (also on failure or Ctrl-C) kills the daemon and every
# process in them, runs `netnsp down`, deletes them and the temp dir.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=udp.sh
. "$BENCH_DIR/lib.sh"
N=${BENCH_UDP_N:-2000}
WARM=${BENCH_UDP_WARM:-50}
SIZE=${BENCH_UDP_SIZE:-64}
CPUS=${BENCH_UDP_CPUS:-} # e.g. 0: every process of the run on CPU 0 (taskset)
PFX=nu$((RANDOM % 1000))$$
NS_A=${PFX}a NS_S=${PFX}s NS_U=${PFX}u NS_H=${PFX}h NS_N=${PFX}n
W=$(mktemp -d /tmp/netnsp-udp.XXXXXX)
chmod 0755 "$W"
DPID=''
S4=203.0.113.10
U4=198.51.100.2

cleanup() {
	set +e
	[ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	[ -e "/run/netns/$NS_H" ] && nsenter --net="/run/netns/$NS_H" "$NETNSP" \
		--config "$W/netnsp.conf" --state-dir "$W/state" --run-dir "$W/run" down >/dev/null 2>&1
	for ns in /run/netns/"$PFX"*; do
		[ -e "$ns" ] || continue
		for p in $(ip netns pids "${ns##*/}" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "${ns##*/}"
	done
	rm -rf "$W" "/etc/netns/$NS_N"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || die "must run as root"
[ -x "$NETNSP" ] || die "no $NETNSP (ninja -C build)"
for c in ip nsenter danted cc; do command -v "$c" >/dev/null || die "missing '$c'"; done
cc -O2 -Wall -Wextra -Werror -o "$W/udp_rtt" "$BENCH_DIR/udp_rtt.c"

# ---------------------------------------------------------------- topology

in_ns() {
	local ns=$1
	shift
	if [ -n "$CPUS" ]; then
		taskset -c "$CPUS" nsenter --net="/run/netns/$ns" "$@"
	else
		nsenter --net="/run/netns/$ns" "$@"
	fi
}
bg_ns() { # bg_ns NS CMD...: in the background, the command itself (its pid in $!)
	local ns=$1
	shift
	if [ -n "$CPUS" ]; then
		taskset -c "$CPUS" nsenter --net="/run/netns/$ns" "$@" &
	else
		nsenter --net="/run/netns/$ns" "$@" &
	fi
}
for ns in "$NS_A" "$NS_S" "$NS_U" "$NS_H"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add a0 netns "$NS_A" type veth peer s0 netns "$NS_S"
ip link add u1 netns "$NS_U" type veth peer s1 netns "$NS_S"
ip link add h0 netns "$NS_H" type veth peer u0 netns "$NS_U"
ip -n "$NS_S" addr add "$S4/32" dev lo
ip -n "$NS_A" addr add 203.0.113.34/30 dev a0
ip -n "$NS_S" addr add 203.0.113.33/30 dev s0
ip -n "$NS_S" addr add 203.0.113.1/30 dev s1
ip -n "$NS_U" addr add 203.0.113.2/30 dev u1
ip -n "$NS_U" addr add "$U4/30" dev u0
ip -n "$NS_H" addr add 198.51.100.1/30 dev h0
for pair in "$NS_A a0" "$NS_S s0" "$NS_S s1" "$NS_U u1" "$NS_U u0" "$NS_H h0"; do
	read -r ns dev <<<"$pair"
	ip -n "$ns" link set "$dev" up
done
ip -n "$NS_A" route add "$S4/32" via 203.0.113.33
ip -n "$NS_U" route add "$S4/32" via 203.0.113.1
! ip -n "$NS_H" route get "$S4" >/dev/null 2>&1 || die "H must have no route to S"

bg_ns "$NS_S" "$W/udp_rtt" server "$S4" 9000
disown # killed by the trap with everything in the namespaces

cat >"$W/danted.conf" <<EOF
logoutput: $W/danted.log
internal: $U4 port = 1080
external: u1
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass { from: 0/0 to: 0/0 }
socks pass { from: 0/0 to: 0/0 command: udpassociate udpreply }
EOF
bg_ns "$NS_U" danted -f "$W/danted.conf" -p "$W/danted.pid" -N 1
disown

mkdir -m 0700 "$W/state" "$W/run"
cat >"$W/netnsp.conf" <<EOF
[proxy dante]
url = socks5://$U4:1080

[profile bench]
via = dante
netns = $NS_N
dns = off
udp = on
EOF
nsp() { in_ns "$NS_H" "$NETNSP" --config "$W/netnsp.conf" --state-dir "$W/state" \
	--run-dir "$W/run" "$@"; }
sleep 0.5 # danted binds
bg_ns "$NS_H" "$NETNSP" --config "$W/netnsp.conf" --state-dir "$W/state" --run-dir "$W/run" \
	daemon 2>"$W/daemon.log"
DPID=$!
status_q() { nsp status --json 2>/dev/null | python3 -c "import json, sys
s = json.load(sys.stdin)['subjects'][0]
print(s.get('$1'))" 2>/dev/null; }
for _ in $(seq 100); do
	[ "$(status_q applied)" = True ] && break
	sleep 0.1
done
[ "$(status_q applied)" = True ] || { cat "$W/daemon.log"; die "subject not applied"; }

# ---------------------------------------------------------------- variants

run_direct() { in_ns "$NS_A" "$W/udp_rtt" plain "$S4" 9000 "$@"; }
run_socks5() { in_ns "$NS_H" "$W/udp_rtt" socks5 "$U4" 1080 "$S4" 9000 "$@"; }
run_netnsp() { in_ns "$NS_N" "$W/udp_rtt" plain "$S4" 9000 "$@"; }
VARIANTS=(direct socks5 netnsp)

# Each must carry one echo first (and the probe must have found danted willing).
for v in "${VARIANTS[@]}"; do
	out=$("run_$v" 1 0 "$SIZE") || die "$v: no echo ($out)"
done
[ "$(status_q udp)" = associate ] || die "netnsp: udp is $(status_q udp): $(status_q udp_why)"
dg0=$(status_q udp_dgrams_up)

declare -A MED P99 FIRST LOST
for i in $(seq "$REPEATS"); do
	for v in "${VARIANTS[@]}"; do
		out=$("run_$v" "$N" "$WARM" "$SIZE") || die "$v: $out"
		echo "round $i $v: $out"
		read -r _ _ _ lost _ first _ _ _ med _ p99 _ _ <<<"$out"
		MED[$v]+="$med " P99[$v]+="$p99 " FIRST[$v]+="$first " LOST[$v]=$((${LOST[$v]:-0} + lost))
	done
done
dg1=$(status_q udp_dgrams_up)
# Proof that (c) went through the relay: it counted every datagram of the rounds.
[ $((dg1 - dg0)) -ge $((REPEATS * (N + WARM) - ${LOST[netnsp]})) ] ||
	die "netnsp relayed $((dg1 - dg0)) datagrams, fewer than the client sent"
kill -0 "$DPID" || { cat "$W/daemon.log"; die "daemon died"; }

# median (min–max) of a list
mmm() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 }
	END { printf "%.1f (%.1f–%.1f)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }
med_of() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
report=$(
	echo
	echo "## udp.sh $(date -u '+%F %T UTC') — ${BENCH_COMMIT:-$(git -C "$REPO" rev-parse --short HEAD)} —" \
		"$(uname -r), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "UDP echo round trips, $SIZE-byte datagrams${CPUS:+, every process on CPU(s) $CPUS}, $N sequential echoes per round after $WARM warm-up ones, $REPEATS rounds interleaved; µs, median of the rounds (min–max). Upstream: danted."
	echo
	echo "| variant | median RTT | p99 RTT | first echo (flow setup) | lost |"
	echo "| --- | --- | --- | --- | --- |"
	for v in "${VARIANTS[@]}"; do
		case $v in
		direct) name="(a) direct, routed to the echo server" ;;
		socks5) name="(b) proxy-aware client, its own UDP ASSOCIATE to danted" ;;
		netnsp) name="(c) plain client in a netnsp subject (udp = on via danted)" ;;
		esac
		echo "| $name | $(mmm "${MED[$v]}") | $(mmm "${P99[$v]}") | $(mmm "${FIRST[$v]}") | ${LOST[$v]} |"
	done
	echo
	echo "netnsp / proxy-aware: median $(ratio "$(med_of "${MED[netnsp]}")" "$(med_of "${MED[socks5]}")"), p99 $(ratio "$(med_of "${P99[netnsp]}")" "$(med_of "${P99[socks5]}")"); the relay adds $(awk -v a="$(med_of "${MED[netnsp]}")" -v b="$(med_of "${MED[socks5]}")" 'BEGIN { printf "%.1f", a - b }') µs per round trip (median)."
)
echo "$report"
[ "${BENCH_NO_RECORD:-0}" = 1 ] || echo "$report" >>"$BENCH_DIR/RESULTS.md"
