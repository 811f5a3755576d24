#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/run_startup.sh - `netnsp run` start-up: the time from spawning
# `netnsp run --via socks5://P1:1080 -- curl URL` to the first byte of curl's
# output, against `proxychains4 curl URL` and a proxy-aware `curl -x
# socks5h://P1:1080 URL`, same microsocks, same world server.  Every
# command runs as an unprivileged user (setpriv 65534) inside H.  Medians of
# N interleaved runs; the table is appended to bench/RESULTS.md.
#
# The topology is the integration tests' (tests/integration/lib.sh):
#
#   [H: bench/run_startup.py; the three variants as uid 65534]   no default route
#        | h0 198.51.100.1/26 -- p0 198.51.100.2/26
#   [P1: microsocks :1080]
#        | w1 203.0.113.1/26 -- x1 203.0.113.2/26
#   [W: world.py 203.0.113.100:80]
#
# Root needed (namespaces).  No packet leaves the namespaces made here; the
# lib.sh trap removes them, and every process in them, also on failure.
. "$(dirname "$0")/../tests/integration/lib.sh"
lib_init microsocks proxychains4 setpriv curl

N=${BENCH_RUN_N:-30}
RESULTS=$SRC_ROOT/bench/RESULTS.md
topo_setup || bail "topology"
start_world || bail "world server"
start_microsocks "$NS_P1" 1080 || bail "microsocks"

cat >"$T/pc.conf" <<PC
strict_chain
proxy_dns
quiet_mode
tcp_read_time_out 15000
tcp_connect_time_out 8000
[ProxyList]
socks5 $P1_H4 1080
PC
chmod 0644 "$T/pc.conf"
chmod 0755 "$T"
U="setpriv --reuid=65534 --regid=65534 --clear-groups --"
URL=http://$W4/
out=$(nsx "$NS_H" "$PYTHON" "$SRC_ROOT/bench/run_startup.py" "$N" \
	"plain=$U curl -sS -x socks5h://$P1_H4:1080 $URL" \
	"proxychains4=$U proxychains4 -q -f $T/pc.conf curl -sS $URL" \
	"netnsp_run=$U $NETNSP run --via socks5://$P1_H4:1080 -- curl -sS $URL") ||
	bail "measurement failed"
echo "$out"
row() { awk -v n="$1" '$1 == n {printf "%s (%s–%s)", $2, $3, $4}' <<<"$out"; }
med() { awk -v n="$1" '$1 == n {print $2}' <<<"$out"; }
{
	printf '\n## run_startup.sh %s — %s — %s, %s CPUs (%s), load %s\n\n' \
		"$(date -u '+%Y-%m-%d %H:%M:%S UTC')" \
		"$(git -C "$SRC_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		"$(uname -r)" "$(nproc)" \
		"$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "Spawn to first byte of curl's output (GET of a 19-byte page through microsocks), ms,"
	echo "median of $N interleaved runs (min–max); every command as uid 65534."
	echo
	echo "| variant | spawn → first byte |"
	echo "| --- | --- |"
	echo "| curl -x socks5h:// (proxy-aware, no wrapper) | $(row plain) |"
	echo "| proxychains4 curl (LD_PRELOAD) | $(row proxychains4) |"
	echo "| netnsp run --via socks5:// -- curl (user + net namespace, relay) | $(row netnsp_run) |"
	echo
	echo "netnsp run adds $(awk -v a="$(med netnsp_run)" -v b="$(med plain)" 'BEGIN {printf "%.1f", a - b}') ms" \
		"to a plain curl, proxychains4 $(awk -v a="$(med proxychains4)" -v b="$(med plain)" 'BEGIN {printf "%.1f", a - b}') ms."
} >>"$RESULTS"
tail -n 12 "$RESULTS"
