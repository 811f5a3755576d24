# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# bench/lib.sh - what the bench scripts share (sourced, never run; the script
# sets BENCH_DIR to its own folder and BENCH_NAME to its message prefix first):
# the repository and binary paths, the knobs every throughput script reads,
# one-line messages, running a command inside a namespace (also in the background),
# waiting for a port, reading iperf3 and connrate results.

REPO=$(cd "$BENCH_DIR/.." && pwd)
NETNSP=${NETNSP:-$REPO/build/netnsp}
T=${BENCH_TIME:-5}          # iperf3 seconds per run
REPEATS=${BENCH_REPEATS:-3} # runs per variant
CT=${BENCH_CONN_TIME:-5}    # connrate seconds per run
BENCH_NAME=${BENCH_NAME:-bench}

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
log() { echo "$BENCH_NAME: $*" >&2; }
nsx() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; } # nsx NS CMD...

wait_port() { # wait_port NS ADDR PORT: until a TCP connect from NS succeeds (10 s), or die
	local _
	for _ in $(seq 100); do
		nsx "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.1
	done
	die "nothing listens on $2:$3 in $1"
}

# bg_in NS CMD...: CMD in the background inside NS, its own pid (nsenter execs it)
# appended to PIDS, so that cleanup kills the command and not a subshell.
bg_in() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@" & PIDS+=($!); }
# gbps FILE: receiver-side Gbit/s of an `iperf3 -J` report, or nan.
gbps() { python3 -c 'import json,sys; print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$1" 2>/dev/null || echo nan; }
# crate FILE: connections/s from a connrate client's output, or nan.
crate() { awk '/^conns_per_sec/ { print $2; f = 1 } END { if (!f) print "nan" }' "$1"; }
# bench_ns_add NS...: namespaces with lo up, the full port range and TIME_WAIT reuse
# (thousands of connections a second otherwise fill the default range).
bench_ns_add() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns" &&
			nsx "$ns" ip link set lo up &&
			nsx "$ns" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 ||
			return 1
	done
}
# bench_hus_up: the H - U - S line of workers.sh and pipeline.sh, each side's addresses
# (H 198.51.100.1, U 198.51.100.2 and 203.0.113.1, S $SERVER), connrate and socks5-splice
# built into $WORK, connrate's server on S :9000, socks5-splice on U :1080; dies on failure.
bench_hus_up() {
	local f
	for f in connrate socks5-splice; do
		cc -O2 -Wall -Wextra -Werror -pthread -o "$WORK/$f" "$BENCH_DIR/$f.c" || die "cc $f"
	done
	bench_ns_add "$NS_S" "$NS_U" "$NS_H" || die "namespaces"
	ip link add name h0 netns "$NS_H" type veth peer name u0 netns "$NS_U" &&
		ip link add name u1 netns "$NS_U" type veth peer name s0 netns "$NS_S" &&
		nsx "$NS_H" ip addr add 198.51.100.1/24 dev h0 && nsx "$NS_H" ip link set h0 up &&
		nsx "$NS_U" ip addr add 198.51.100.2/24 dev u0 && nsx "$NS_U" ip link set u0 up &&
		nsx "$NS_U" ip addr add 203.0.113.1/24 dev u1 && nsx "$NS_U" ip link set u1 up &&
		nsx "$NS_S" ip addr add "$SERVER/24" dev s0 && nsx "$NS_S" ip link set s0 up ||
		die "links"
	bg_in "$NS_S" "$WORK/connrate" server "$SERVER" 9000 >/dev/null 2>&1
	bg_in "$NS_U" "$WORK/socks5-splice" 198.51.100.2 1080 >/dev/null 2>&1
	wait_port "$NS_U" 198.51.100.2 1080
}
# nsp ARGS...: netnsp in $NS_H with $WORK/netnsp.conf, $WORK/state and $WORK/run.
nsp() { nsx "$NS_H" "$NETNSP" --config "$WORK/netnsp.conf" --state-dir "$WORK/state" \
	--run-dir "$WORK/run" "$@"; }
# bench_daemon_teardown NS...: an EXIT trap's work with a daemon: kill $DAEMON, `netnsp
# down`, then bench_teardown NS....
bench_daemon_teardown() {
	set +e
	[ -z "$DAEMON" ] || kill "$DAEMON" 2>/dev/null
	nsp down >/dev/null 2>&1
	bench_teardown "$@"
}
# bench_teardown NS...: an EXIT trap's work: kill PIDS, delete NS..., remove $WORK.
bench_teardown() {
	local pid ns
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$WORK"
}
