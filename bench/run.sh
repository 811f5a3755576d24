#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/run.sh - netnsp against direct routing, proxychains4 and redsocks, side by side.
#
# Topology (every namespace is created here with a per-run prefix and deleted on exit;
# nothing runs in, or sends to, the real root namespace's network):
#
#                      203.0.113.10 :5201 iperf3 -s, :9000 echo (connrate server)
#                        [S server]
#                            |
#   [A direct] ------- [X router] ---------- [U upstream] 198.51.100.2:1080 SOCKS5
#                      /   |    \              (bench/socks5-splice or danted)
#   [C proxychains4] -'    |     `- [H netnsp host] netnsp daemon; its subject [N] (made
#                          |          by the daemon, no link anywhere) holds the clients
#                   [R redsocks] redsocks 127.0.0.1:12345 + nft nat output REDIRECT
#
#   X-S 203.0.113.0/24  X-U 198.51.100.0/28  X-A .16/28  X-R .32/28  X-H .48/28  X-C .64/28
#   X forwards to S only from A and U, so a proxied variant that silently went direct
#   would fail instead of measuring the direct path.
#
# Knobs (environment): BENCH_TIME (iperf3 seconds, 5), BENCH_REPEATS (3), BENCH_CONN_TIME
# (connrate seconds, 5), BENCH_CONN_THREADS (parallel connect loops, one row each: "1 4"),
# BENCH_IDLE (idle
# connections for the RSS test, 1000), BENCH_UPSTREAM (auto | splice | dante),
# BENCH_VARIANTS ("direct proxychains redsocks netnsp"), NETNSP (binary, build/netnsp),
# NETNSP_ALT ("LABEL=BINARY ...": more netnsp builds, each its own daemon and subject, measured
# as variant netnsp-LABEL in the same rounds), BENCH_FASTOPEN (variants, e.g. "netnsp-tfo", whose
# proxy gets `fastopen = yes`; U's kernel then does TCP Fast Open), BENCH_PIPELINE (variants whose
# proxy gets `pipeline = yes` and `isolate = none`: the whole SOCKS5 handshake in one write, no
# credentials, as proxychains4 sends), BENCH_NO_RECORD=1 (don't append to bench/RESULTS.md),
# BENCH_LOGS=DIR (keep logs, configs and raw iperf3 JSON there).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_DIR/lib.sh"
CTHREADS=${BENCH_CONN_THREADS:-1 4}
NIDLE=${BENCH_IDLE:-1000}
UPSTREAM=${BENCH_UPSTREAM:-auto}
VARIANTS=${BENCH_VARIANTS:-direct proxychains redsocks netnsp}
NETNSP_ALT=${NETNSP_ALT:-}
FASTOPEN=${BENCH_FASTOPEN:-}
PIPELINE=${BENCH_PIPELINE:-}

SERVER=203.0.113.10
UPADDR=198.51.100.2
IPERF_PORT=5201
ECHO_PORT=9000
P=nb$(printf '%04x' $((RANDOM)))$$
P=${P:0:8}
NS_X=${P}x NS_S=${P}s NS_U=${P}u NS_A=${P}a NS_R=${P}r NS_H=${P}h NS_C=${P}c NS_N=${P}n
ALL_NS=("$NS_A" "$NS_C" "$NS_R" "$NS_H" "$NS_U" "$NS_S" "$NS_X")
PIDS=()
WORK=$(mktemp -d /tmp/netnsp-bench.XXXXXX)
NETNSP_WHY=""
# Per netnsp variant (netnsp, netnsp-LABEL): binary, subject namespace, daemon pid.
declare -A NSP_BIN=([netnsp]=$NETNSP) NSP_NS=([netnsp]=$NS_N) NSP_PID=()
NSP_ALL=(netnsp)
n_alt=0
for alt in $NETNSP_ALT; do
	n_alt=$((n_alt + 1))
	NSP_BIN[netnsp-${alt%%=*}]=${alt#*=}
	NSP_NS[netnsp-${alt%%=*}]=${NS_N}$n_alt
	NSP_ALL+=("netnsp-${alt%%=*}")
	VARIANTS+=" netnsp-${alt%%=*}"
done


cleanup() {
	local rc=$? ns pid v
	set +e
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	sleep 0.3
	for v in "${NSP_ALL[@]}"; do
		[ -f "$WORK/$v.conf" ] && [ -x "${NSP_BIN[$v]}" ] && nsp_cli "$v" down >/dev/null 2>&1
	done
	# Every process left in a namespace of ours is one this run started.
	for ns in "${NSP_NS[@]}" "${ALL_NS[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
	done
	sleep 0.3
	for ns in "${NSP_NS[@]}" "${ALL_NS[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "${BENCH_LOGS:-}" ]; then
		mkdir -p "$BENCH_LOGS" && cp -r "$WORK"/. "$BENCH_LOGS"/
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

[ "$(id -u)" = 0 ] || die "needs root (namespaces, nft)"
for c in ip nft nsenter iperf3 python3 cc proxychains4 redsocks danted; do
	command -v "$c" >/dev/null || die "missing '$c'"
done
ulimit -n "$(ulimit -Hn)" # 1,000 idle connections take 2-3 fds each in a relay
NOFILE=$(ulimit -n)

build_helpers() {
	local f
	for f in connrate socks5-splice; do
		cc -O2 -Wall -Wextra -Werror -pthread -o "$WORK/$f" "$BENCH_DIR/$f.c" ||
			die "cannot build bench/$f.c"
	done
}

# ns_tune NS: loopback up and the same TCP port/TIME_WAIT settings in every namespace, so
# the connection-rate test measures relays, not ephemeral-port exhaustion.  U's connections
# to S are shared by every proxied variant and the proxy closes them first, so without a
# TIME_WAIT cap (per netns since Linux 4.x) the variants measured later in a round find
# U's port range full of earlier variants' TIME_WAIT sockets and their connects crawl
# (seen: netnsp 225 conn/s last in the round vs 2,900 alone).
ns_tune() {
	nsx "$1" ip link set lo up
	nsx "$1" sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.tcp_max_tw_buckets=1024
}

# link_to_router NS XIF XADDR NSADDR/PFX: veth X:XIF <-> NS:eth0, default route via X.
link_to_router() {
	local ns=$1 xif=$2 xaddr=$3 addr=$4 pfx=$5
	ip -n "$NS_X" link add "$xif" type veth peer name eth0 netns "$ns"
	ip -n "$NS_X" addr add "$xaddr/$pfx" dev "$xif"
	ip -n "$NS_X" link set "$xif" up
	ip -n "$ns" addr add "$addr/$pfx" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" route add default via "$xaddr"
}

setup_topology() {
	local ns
	for ns in "${ALL_NS[@]}"; do
		ip netns add "$ns"
		ns_tune "$ns"
	done
	nsx "$NS_X" sysctl -qw net.ipv4.ip_forward=1
	# TFO server on every listener in U (set before the proxies listen); clients elsewhere
	# only use it when asked (netnsp's fastopen = yes): the other variants are unaffected.
	[ -z "$FASTOPEN" ] || nsx "$NS_U" sysctl -qw net.ipv4.tcp_fastopen=1026
	link_to_router "$NS_S" vs 203.0.113.1 "$SERVER" 24
	link_to_router "$NS_U" vu 198.51.100.1 "$UPADDR" 28
	link_to_router "$NS_A" va 198.51.100.17 198.51.100.18 28
	link_to_router "$NS_R" vr 198.51.100.33 198.51.100.34 28
	link_to_router "$NS_H" vh 198.51.100.49 198.51.100.50 28
	link_to_router "$NS_C" vc 198.51.100.65 198.51.100.66 28
	nsx "$NS_X" nft -f - <<-EOF
		table inet netnsp_bench {
			chain forward {
				type filter hook forward priority 0; policy accept;
				ip daddr 203.0.113.0/24 ip saddr != { 198.51.100.0/28, 198.51.100.16/28 } reject
			}
		}
	EOF
}

# bg NS LOGNAME CMD...: start CMD in NS in the background, remember its pid.
bg() {
	local ns=$1 name=$2
	shift 2
	nsenter --net="/run/netns/$ns" -- "$@" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!) # nsenter execs the command: this is its pid
}

start_servers() {
	bg "$NS_S" iperf3 iperf3 -s -B "$SERVER" -p "$IPERF_PORT"
	bg "$NS_S" echo "$WORK/connrate" server "$SERVER" "$ECHO_PORT"
	wait_port "$NS_X" "$SERVER" "$IPERF_PORT"
	wait_port "$NS_X" "$SERVER" "$ECHO_PORT"
}

start_dante() { # start_dante PORT
	cat >"$WORK/danted.conf" <<-EOF
		logoutput: $WORK/danted.log
		internal: $UPADDR port = $1
		external: eth0
		clientmethod: none
		socksmethod: none
		user.privileged: root
		user.unprivileged: nobody
		client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
		socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 command: connect }
	EOF
	bg "$NS_U" danted-stderr danted -f "$WORK/danted.conf" -p "$WORK/danted.pid"
	wait_port "$NS_X" "$UPADDR" "$1"
}

start_splice() { # start_splice PORT
	bg "$NS_U" splice "$WORK/socks5-splice" "$UPADDR" "$1"
	wait_port "$NS_X" "$UPADDR" "$1"
}

write_proxychains_conf() { # write_proxychains_conf FILE PORT
	cat >"$1" <<-EOF
		strict_chain
		quiet_mode
		tcp_read_time_out 15000
		tcp_connect_time_out 8000
		[ProxyList]
		socks5 $UPADDR $2
	EOF
}

# choose_upstream: quick proxychains runs against both candidates; keep the faster.
# Score = single-stream throughput ratio x connection-rate ratio (splice / dante), the rate
# with the last BENCH_CONN_THREADS entry (4): the 1-thread rate is too noisy to decide on.
choose_upstream() {
	local s_tp s_cr d_tp d_cr port
	start_splice 1080
	if [ "$UPSTREAM" = splice ]; then UPPORT=1080; UPNAME=socks5-splice; return; fi
	start_dante 1081
	if [ "$UPSTREAM" = dante ]; then UPPORT=1081; UPNAME=danted; return; fi
	for port in 1080 1081; do
		write_proxychains_conf "$WORK/pc$port.conf" "$port"
		nsx "$NS_C" timeout 30 proxychains4 -q -f "$WORK/pc$port.conf" \
			iperf3 -c "$SERVER" -p "$IPERF_PORT" -t 3 -J >"$WORK/pick$port.json" || true
		nsx "$NS_C" timeout 30 proxychains4 -q -f "$WORK/pc$port.conf" \
			"$WORK/connrate" client "$SERVER" "$ECHO_PORT" 3 "${CTHREADS##* }" \
			>"$WORK/pick$port.cr" 2>/dev/null || true
	done
	s_tp=$(iperf_gbps "$WORK/pick1080.json") d_tp=$(iperf_gbps "$WORK/pick1081.json")
	s_cr=$(connrate_value "$WORK/pick1080.cr") d_cr=$(connrate_value "$WORK/pick1081.cr")
	log "upstream: socks5-splice $s_tp Gbit/s $s_cr conn/s; danted $d_tp Gbit/s $d_cr conn/s"
	UPCHOICE="socks5-splice $s_tp Gbit/s, $s_cr conn/s; danted $d_tp Gbit/s, $d_cr conn/s"
	if python3 -c "import sys; a=[float(x) for x in sys.argv[1:]]; \
		sys.exit(0 if (a[0]/max(a[1],1e-9))*(a[2]/max(a[3],1e-9)) >= 1 else 1)" \
		"$s_tp" "$d_tp" "$s_cr" "$d_cr" 2>/dev/null; then
		UPPORT=1080 UPNAME=socks5-splice
	else
		UPPORT=1081 UPNAME=danted
	fi
}

iperf_gbps() { # iperf_gbps JSON: receiver-side Gbit/s, or nan
	python3 - "$1" <<-'EOF' 2>/dev/null || echo nan
		import json, sys
		d = json.load(open(sys.argv[1]))
		print("%.3f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))
	EOF
}

iperf_bytes() { # iperf_bytes JSON: receiver-side bytes, or 0
	python3 - "$1" <<-'EOF' 2>/dev/null || echo 0
		import json, sys
		print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))
	EOF
}

# relay_pid VARIANT: the process that relays the bytes (none for direct/proxychains).
relay_pid() {
	case $1 in
	redsocks) echo "${REDSOCKS_PID:-}" ;;
	netnsp*) echo "${NSP_PID[$1]:-}" ;;
	esac
}

# cpu_ticks PID: user + system clock ticks used so far (proc(5) stat fields 14, 15).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

connrate_value() { # connrate_value FILE: conns/s, or nan
	awk '/^conns_per_sec/ { print $2; found = 1 } END { if (!found) print "nan" }' "$1"
}

start_redsocks() {
	cat >"$WORK/redsocks.conf" <<-EOF
		base {
			log_debug = off; log_info = off; log = stderr;
			daemon = off; redirector = iptables;
			rlimit_nofile = $NOFILE; redsocks_conn_max = 20000;
		}
		redsocks {
			local_ip = 127.0.0.1; local_port = 12345; listenq = 4096;
			ip = $UPADDR; port = $UPPORT; type = socks5;
		}
	EOF
	# redsocks reads the original destination with SO_ORIGINAL_DST, which conntrack
	# answers for nft's nat REDIRECT as it does for iptables'.
	nsx "$NS_R" nft -f - <<-EOF
		table ip netnsp_bench {
			chain output {
				type nat hook output priority -100; policy accept;
				ip daddr $SERVER tcp dport { $IPERF_PORT, $ECHO_PORT } redirect to :12345
			}
		}
	EOF
	bg "$NS_R" redsocks redsocks -c "$WORK/redsocks.conf"
	REDSOCKS_PID=${PIDS[-1]}
	wait_port "$NS_R" 127.0.0.1 12345
}

# nsp_cli VARIANT ARGS...: the netnsp command line of VARIANT's daemon, run in H.
nsp_cli() {
	local v=$1
	shift
	nsx "$NS_H" "${NSP_BIN[$v]}" --config "$WORK/$v.conf" --state-dir "$WORK/$v-state" \
		--run-dir "$WORK/$v-run" "$@"
}

# start_netnsp VARIANT: its daemon in H (each variant its own config, state, run dir and
# subject); returns 1 with NETNSP_WHY set if it is not usable.
start_netnsp() {
	local v=$1 _ extra=""
	[[ " $FASTOPEN " == *" $v "* ]] && extra="fastopen = yes"
	[[ " $PIPELINE " == *" $v "* ]] && extra+=$'\n'"pipeline = yes"$'\n'"isolate = none"
	if [ ! -x "${NSP_BIN[$v]}" ]; then
		NETNSP_WHY="no binary at ${NSP_BIN[$v]} (ninja -C build)"
		return 1
	fi
	cat >"$WORK/$v.conf" <<-EOF
		[proxy u]
		url = socks5://$UPADDR:$UPPORT
		$extra

		[profile bench]
		via = u
		netns = ${NSP_NS[$v]}
		dns = off
	EOF
	mkdir -p "$WORK/$v-state" "$WORK/$v-run"
	bg "$NS_H" "$v" "${NSP_BIN[$v]}" --config "$WORK/$v.conf" --state-dir "$WORK/$v-state" \
		--run-dir "$WORK/$v-run" daemon
	for _ in $(seq 50); do
		if nsp_cli "$v" status --json >"$WORK/$v-status.json" 2>/dev/null &&
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
				sys.exit(0 if d["subjects"] and all(s["applied"] for s in d["subjects"]) else 1)' \
				"$WORK/$v-status.json" 2>/dev/null; then
			NSP_PID[$v]=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' \
				"$WORK/$v-status.json")
			ns_tune "${NSP_NS[$v]}"
			return 0
		fi
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.2
	done
	NETNSP_WHY="daemon not ready in 10 s: $(tail -n 3 "$WORK/$v.log" | tr '\n' ' ')"
	return 1
}

# netnsp_counters: the daemon's own view after the run (are connections failing?).
netnsp_counters() {
	nsp_cli "$1" status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)["subjects"][0]
print(", ".join("%s %s" % (k, s.get(k)) for k in
      ("connections_total", "connections_failed", "bytes_up", "bytes_down")))' 2>/dev/null ||
		echo "daemon not answering (crashed?)"
}

# client VARIANT CMD...: run a client command the way VARIANT's application would.
# client_argv VARIANT sets CLIENT_ARGV to the prefix, for background jobs whose $! must be
# the client itself (nsenter execs its command).
client_argv() {
	case $1 in
	direct) CLIENT_ARGV=(nsenter --net="/run/netns/$NS_A" --) ;;
	proxychains) CLIENT_ARGV=(nsenter --net="/run/netns/$NS_C" -- proxychains4 -q -f
		"$WORK/proxychains.conf") ;;
	redsocks) CLIENT_ARGV=(nsenter --net="/run/netns/$NS_R" --) ;;
	netnsp*) CLIENT_ARGV=(nsenter --net="/run/netns/${NSP_NS[$1]}" --) ;;
	esac
}

client() {
	client_argv "$1"
	shift
	"${CLIENT_ARGV[@]}" "$@"
}

restart_iperf_server() {
	local pid
	for pid in $(ip netns pids "$NS_S"); do
		[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = iperf3 ] && kill "$pid"
	done
	sleep 0.3
	bg "$NS_S" iperf3 iperf3 -s -B "$SERVER" -p "$IPERF_PORT"
	wait_port "$NS_X" "$SERVER" "$IPERF_PORT"
}

# measure VARIANT REPEAT: one round of every throughput and rate test for VARIANT.
measure() {
	local v=$1 r=$2 m args val f k pid t0 t1 bytes=0
	pid=$(relay_pid "$v")
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid")
	for m in up down p4; do
		case $m in up) args=() ;; down) args=(-R) ;; p4) args=(-P 4) ;; esac
		f="$WORK/$v-$m-$r.json"
		client "$v" timeout $((T + 20)) iperf3 -c "$SERVER" -p "$IPERF_PORT" -t "$T" \
			-J "${args[@]}" >"$f" 2>/dev/null || true
		val=$(iperf_gbps "$f")
		[ "$val" = nan ] && restart_iperf_server
		echo "$v $m $r $val" >>"$WORK/results.txt"
		bytes=$((bytes + $(iperf_bytes "$f")))
	done
	# Relay CPU per GB moved over the three iperf3 runs: /proc/PID/stat deltas.
	if [ -n "$pid" ] && [ "$bytes" -gt 0 ]; then
		t1=$(cpu_ticks "$pid")
		echo "$v cpugb $r $(python3 -c "print(($t1 - $t0) / $(getconf CLK_TCK) / ($bytes / 1e9))")" \
			>>"$WORK/results.txt"
	fi
	[ -n "$pid" ] && t0=$(cpu_ticks "$pid")
	local conns=0
	for k in $CTHREADS; do
		f="$WORK/$v-conn$k-$r.txt"
		client "$v" timeout $((CT + 20)) "$WORK/connrate" client "$SERVER" "$ECHO_PORT" \
			"$CT" "$k" >"$f" 2>/dev/null || true
		val=$(connrate_value "$f")
		echo "$v conn$k $r $val" >>"$WORK/results.txt"
		[ "$val" = nan ] || conns=$((conns + ${val%.*} * CT))
	done
	# Relay CPU per connection over the connection-rate runs (rate x seconds connections).
	if [ -n "$pid" ] && [ "$conns" -gt 0 ]; then
		t1=$(cpu_ticks "$pid")
		echo "$v cpuconn $r $(python3 -c "print(($t1 - $t0) / $(getconf CLK_TCK) / $conns * 1e6)")" \
			>>"$WORK/results.txt"
	fi
	log "round $r $v: $(grep "^$v .* $r " "$WORK/results.txt" | awk '{print $2 "=" $4}' | xargs)"
}

vm_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nfds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l; }

# rss_test VARIANT PID: daemon memory per idle connection, bytes.
rss_test() {
	local v=$1 pid=$2 before after fds0 fds1 idle
	if ! kill -0 "$pid" 2>/dev/null; then
		log "$v: process $pid is gone, no memory test"
		echo "$v rss 1 nan" >>"$WORK/results.txt"
		return 0
	fi
	before=$(vm_rss_kb "$pid") fds0=$(nfds "$pid")
	client_argv "$v"
	"${CLIENT_ARGV[@]}" "$WORK/connrate" idle "$SERVER" "$ECHO_PORT" "$NIDLE" \
		>"$WORK/idle-$v.txt" 2>&1 &
	idle=$!
	for _ in $(seq 600); do
		grep -q '^ready' "$WORK/idle-$v.txt" && break
		kill -0 "$idle" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^ready' "$WORK/idle-$v.txt"; then
		sleep 1
		after=$(vm_rss_kb "$pid" 2>/dev/null || echo 0) fds1=$(nfds "$pid" 2>/dev/null || echo 0)
		# fds show the kernel-side cost VmRSS leaves out (sockets, pipes).
		echo "$v fds 1 $(python3 -c "print(($fds1 - $fds0) / $NIDLE)")" >>"$WORK/results.txt"
		echo "$v rss 1 $(((after - before) * 1024 / NIDLE))" >>"$WORK/results.txt"
		echo "$v rss_base 1 $((before * 1024))" >>"$WORK/results.txt"
		log "$v: VmRSS $before kB -> $after kB with $NIDLE idle connections"
	else
		log "$v: idle test failed: $(tail -n 1 "$WORK/idle-$v.txt")"
		echo "$v rss 1 nan" >>"$WORK/results.txt"
	fi
	kill "$idle" 2>/dev/null
	wait "$idle" 2>/dev/null || true
	sleep 1
}

# smoke VARIANT: one echo through the variant's path, or the variant is dropped.
smoke() {
	client_argv "$1"
	"${CLIENT_ARGV[@]}" "$WORK/connrate" idle "$SERVER" "$ECHO_PORT" 1 \
		>"$WORK/smoke-$1.txt" 2>&1 &
	local pid=$!
	for _ in $(seq 100); do
		grep -q '^ready' "$WORK/smoke-$1.txt" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	grep -q '^ready' "$WORK/smoke-$1.txt"
}

report() {
	python3 "$BENCH_DIR/report.py" "$WORK/results.txt" "$1" "$2" "$3"
}

main() {
	local v r active=() skipped="" hdr load0
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	build_helpers
	setup_topology
	start_servers
	choose_upstream
	log "SOCKS5 upstream: $UPNAME on $UPADDR:$UPPORT"
	write_proxychains_conf "$WORK/proxychains.conf" "$UPPORT"
	start_redsocks
	for v in $VARIANTS; do
		if [[ $v == netnsp* ]] && ! start_netnsp "$v"; then
			skipped+="$v: $NETNSP_WHY. "
			log "$v skipped: $NETNSP_WHY"
			continue
		fi
		if ! smoke "$v"; then
			skipped+="$v: no echo through it ($(tail -n 1 "$WORK/smoke-$v.txt")). "
			log "$v skipped: $(cat "$WORK/smoke-$v.txt")"
			continue
		fi
		active+=("$v")
	done
	: >"$WORK/results.txt"
	for v in "${active[@]}"; do
		case $v in
		redsocks) rss_test redsocks "$REDSOCKS_PID" ;;
		netnsp*) rss_test "$v" "${NSP_PID[$v]}" ;;
		esac
	done
	for r in $(seq "$REPEATS"); do
		for v in "${active[@]}"; do measure "$v" "$r"; done
	done
	hdr="$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	hdr+=", kernel $(uname -r), $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	hdr+=$'\n'"iperf3 -t $T, connrate ${CT} s with $CTHREADS client thread(s), $REPEATS repeats (median), $NIDLE idle connections"
	hdr+=$'\n'"load average (1/5/15 min) at start $load0, at end $(cut -d' ' -f1-3 /proc/loadavg)"
	hdr+=$'\n'"SOCKS5 upstream: $UPNAME${UPCHOICE:+ (picked from: $UPCHOICE)}"
	[ -n "$skipped" ] && hdr+=$'\n'"Skipped: $skipped"
	hdr+=$'\n'"netnsp relay path: splice${FASTOPEN:+; fastopen = yes for: $FASTOPEN}"
	hdr+="${PIPELINE:+; pipeline = yes, isolate = none for: $PIPELINE}"
	for v in "${active[@]}"; do
		[[ $v == netnsp* ]] || continue
		[ "$v" = netnsp ] || hdr+=$'\n'"$v: ${NSP_BIN[$v]}"
		hdr+=$'\n'"$v status at the end: $(netnsp_counters "$v")"
	done
	report "$hdr" "${BENCH_NO_RECORD:-0}" "$BENCH_DIR/RESULTS.md"
}

main "$@"
