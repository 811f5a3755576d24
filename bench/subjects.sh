#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/subjects.sh - netnsp daemon start-up with 100 profiles (fresh and warm),
# reload with one profile changed / unchanged / --dry-run, and daemon memory and fds per
# idle subject.  The throughput harness (run.sh) is separate and unchanged.
#
# Topology (every namespace is created here with a per-run prefix and deleted on exit;
# nothing runs in, or sends to, the real root namespace's network):
#
#   [S server] 203.0.113.10:8080 python3 http.server (the proof request)
#        | 203.0.113.0/24
#   [U upstream] microsocks 198.51.100.2:1080
#        | 198.51.100.0/30
#   [H netnsp host] 198.51.100.1, no route to 203.0.113.0/24: netnsp daemon (nsenter --net,
#        so /run/netns stays shared) and its subjects PREFIXp000 .. PREFIXp099, which the
#        daemon creates itself (no link anywhere; their traffic leaves only via the relay)
#
# H cannot reach S except through U's SOCKS5, so the proof request (curl in PREFIXp000 to
# S) succeeds only if the subject really proxies; a broken build cannot produce numbers.
#
# Knobs (environment): BENCH_REPEATS (5), BENCH_SUBJECTS (100), BENCH_MEM_COUNTS
# ("0 1 10 100"), NETNSP (binary, build/netnsp), BENCH_NO_RECORD=1 (don't append to
# bench/RESULTS.md), BENCH_LOGS=DIR (keep daemon logs, configs and raw results there),
# BENCH_PROFILE=1 (after measuring: timestamped -v log and strace -c -f of one start-up
# and one reload, saved under BENCH_LOGS or printed).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME=subjects
. "$BENCH_DIR/lib.sh"
REPEATS=${BENCH_REPEATS:-5}
NSUBJ=${BENCH_SUBJECTS:-100}
MEM_COUNTS=${BENCH_MEM_COUNTS:-0 1 10 $NSUBJ}

SERVER=203.0.113.10
UPADDR=198.51.100.2
P=ns$(printf '%04x' $((RANDOM)))$$
P=${P:0:8}
NS_H=${P}h NS_U=${P}u NS_S=${P}s
WORK=$(mktemp -d /tmp/netnsp-subjects.XXXXXX)

our_ns() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$P" || true; }

cleanup() {
	local rc=$? ns pid
	set +e
	trap - INT TERM HUP
	[ -f "$WORK/daemon.pid" ] && xargs kill <"$WORK/daemon.pid" 2>/dev/null
	# Every process left in a namespace of ours is one this run started.
	for ns in $(our_ns); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null; done
	done
	sleep 0.5
	if [ -f "$WORK/netnsp.conf" ] && [ -x "$NETNSP" ] && [ -e "/run/netns/$NS_H" ]; then
		timeout 30 nsenter --net="/run/netns/$NS_H" -- "$NETNSP" --config "$WORK/netnsp.conf" \
			--state-dir "$WORK/state" --run-dir "$WORK/run" down >/dev/null 2>&1
	fi
	for ns in $(our_ns); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	# netnsp writes /etc/netns/NAME at apply and removes it at down; be sure.
	rm -rf /etc/netns/"$P"?* 2>/dev/null
	if [ -n "${BENCH_LOGS:-}" ]; then
		mkdir -p "$BENCH_LOGS" && cp -r "$WORK"/. "$BENCH_LOGS"/ 2>/dev/null
	fi
	rm -rf "$WORK"
	[ -n "$(our_ns)" ] && echo "subjects: namespaces left behind: $(our_ns | xargs)" >&2
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

[ "$(id -u)" = 0 ] || die "needs root (namespaces, nft)"
for c in ip nsenter python3 microsocks curl; do
	command -v "$c" >/dev/null || die "missing '$c'"
done
[ -x "$NETNSP" ] || die "no $NETNSP: build it first (ninja -C build)"

# link NS1 IF1 ADDR1 NS2 IF2 ADDR2 PFX: a veth pair between two of our namespaces.
link() {
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4"
	ip -n "$1" addr add "$3/$7" dev "$2"
	ip -n "$4" addr add "$6/$7" dev "$5"
	ip -n "$1" link set "$2" up
	ip -n "$4" link set "$5" up
}

setup_topology() {
	local ns
	for ns in "$NS_H" "$NS_U" "$NS_S"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	link "$NS_H" eth0 198.51.100.1 "$NS_U" eth0 "$UPADDR" 30
	link "$NS_U" eth1 203.0.113.1 "$NS_S" eth0 "$SERVER" 24
	mkdir -p "$WORK/www" "$WORK/state" "$WORK/run"
	echo "netnsp-subjects-$P" >"$WORK/www/proof.txt"
	(cd "$WORK/www" && exec nsenter --net="/run/netns/$NS_S" -- \
		python3 -m http.server --bind "$SERVER" 8080 >"$WORK/http.log" 2>&1) &
	nsx "$NS_U" microsocks -i "$UPADDR" -p 1080 >"$WORK/microsocks.log" 2>&1 &
	wait_port "$NS_U" "$SERVER" 8080
	wait_port "$NS_H" "$UPADDR" 1080
	# The proof only proves something if H has no direct way to S.
	if nsx "$NS_H" timeout 2 bash -c "exec 3<>/dev/tcp/$SERVER/8080" 2>/dev/null; then
		die "H reaches the server directly; the proof request would prove nothing"
	fi
}

main() {
	local load0 hdr
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	setup_topology
	python3 "$BENCH_DIR/subjects.py" measure --netnsp "$NETNSP" --host "$NS_H" \
		--prefix "$P" --work "$WORK" --upstream "socks5://$UPADDR:1080" \
		--proof "http://$SERVER:8080/proof.txt" --proof-body "netnsp-subjects-$P" \
		--subjects "$NSUBJ" --mem-counts "$MEM_COUNTS" --repeats "$REPEATS" \
		--profile "${BENCH_PROFILE:-0}"
	hdr="$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	hdr+=", kernel $(uname -r), $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	hdr+=$'\n'"bench/subjects.sh: $NSUBJ profiles (via one microsocks upstream, dns = off), $REPEATS repeats (median, min–max), netnsp $(realpath --relative-to="$REPO" "$NETNSP")"
	hdr+=$'\n'"load average (1/5/15 min) at start $load0, at end $(cut -d' ' -f1-3 /proc/loadavg)"
	python3 "$BENCH_DIR/subjects.py" report --work "$WORK" --header "$hdr" \
		--no-record "${BENCH_NO_RECORD:-0}" --out "$BENCH_DIR/RESULTS.md"
}

main "$@"
