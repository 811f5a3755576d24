#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo.sh - install deps, build, and show what netnsp is for, all offline, in
# throwaway namespaces that are removed at the end (even on Ctrl-C):
#
#   [S demo, made by netnsp]  no link anywhere; programs run here via `netnsp exec`;
#        ^ the daemon's listeners inside      names resolve to fake addresses only
#   [H: netnsp daemon]  198.51.100.1         no route to W, no resolver that knows W
#        | veth
#   [P1: danted :1080 (SOCKS5 CONNECT + UDP ASSOCIATE)]  198.51.100.2 / 203.0.113.1
#        |   /etc/hosts (ip netns exec binds /etc/netns/P1/hosts): world.example = W
#        | veth
#   [W: the "world": HTTP on 203.0.113.100:80 and UDP echo on :7000, both saying
#       who connected]
#
# What it proves, each checked and printed as PROVED or FAILED (exit 1 if any
# failed): a name that only the proxy can resolve works by name inside the
# subject, which only ever sees a fake address; TCP and UDP leave through the
# proxy (the world sees the proxy's address); and a killed daemon fails
# closed.  Needs root.  SKIP_DEPS=1 skips apt; NETNSP=path uses that binary
# (and skips the build).  tests/integration/t_demo.sh runs it in CI.
set -u
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (creates network namespaces)" >&2; exit 1; }
if [ -z "${SKIP_DEPS:-}" ]; then bash scripts/deps.sh || exit 1; fi
if [ -z "${NETNSP:-}" ]; then
	[ -f build/build.ninja ] || meson setup build || exit 1
	ninja -C build || exit 1
fi

NETNSP=${NETNSP:-$PWD/build/netnsp}
. tests/integration/lib.sh
lib_init danted getent

NAME=world.example
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then B=$'\033[1m' G=$'\033[1;32m' R=$'\033[1;31m' N=$'\033[0m'; else B='' G='' R='' N=''; fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
show() { printf '$ %s\n' "$*"; "$@"; }
FAILED=0
prove() { # prove DESC CMD...: run the check, say what it proved
	if "${@:2}"; then
		printf '%sPROVED%s: %s\n' "$G" "$N" "$1"
	else
		printf '%sFAILED%s: %s\n' "$R" "$N" "$1"
		FAILED=$((FAILED + 1))
	fi
}
# The default fake pools: 198.18.0.0/15 and fd6e:7370:fa4H:LLLL::/64 (docs/DESIGN.md).
in_fake_pool() { [[ $1 =~ ^198\.1[89]\.[0-9]+\.[0-9]+$ || $1 =~ ^fd6e:7370:fa4 ]]; }

step "test bed: namespaces $NS_H (host), $NS_P1 (proxy), $NS_W (world)"
topo_setup || bail "topology"
start_world --udp-echo 7000 --udp-addr "$W4" --udp-addr "$W6" || bail "world server"
# The proxy's namespace is the only place where the demo name resolves.
mkdir -p "/etc/netns/$NS_P1" && at_cleanup "rm -rf /etc/netns/$NS_P1"
echo "$W4 $NAME" >"/etc/netns/$NS_P1/hosts"
start_danted "$NS_P1" "$P1_H4" 1080 udp || bail "danted"
echo "only the proxy knows $NAME (/etc/netns/$NS_P1/hosts):"
sed 's/^/    /' "/etc/netns/$NS_P1/hosts"
echo "H has no route to the world:"
nsx "$NS_H" curl -sS --max-time 2 "http://$W4/" 2>&1 | sed 's/^/    /'

step "config ($CONF)"
cat >"$CONF" <<EOF2
[proxy p1]
url = socks5://$P1_H4:1080

[profile demo]
via = p1
netns = $(subject_ns demo)
dns = fake        # names get fake addresses; the proxy resolves the real ones
udp = on          # UDP through SOCKS5 UDP ASSOCIATE
EOF2
cat "$CONF"

step "netnsp daemon (inside H)"
start_daemon
wait_ready 10 || { diag_file "$T/daemon.log"; bail "daemon not ready"; }
sed 's/^/    /' "$T/daemon.log"

step "DNS inside the subject: $NAME gets a fake address"
show nsp exec demo -- getent ahosts "$NAME" | awk '$2 == "STREAM"' | tee "$T/getent.out"
fake4=$(awk '$1 ~ /^[0-9.]+$/ { print $1; exit }' "$T/getent.out")
fake6=$(awk '$1 ~ /:/ { print $1; exit }' "$T/getent.out")
both_fake() { in_fake_pool "$fake4" && in_fake_pool "$fake6"; }
prove "the subject resolves $NAME, a name only the proxy knows, to fake addresses ($fake4, $fake6)" \
	both_fake

step "TCP by name: curl http://$NAME/ from inside the subject"
show nsp exec demo -- curl -sS --max-time 5 -w 'curl connected to %{remote_ip}\n' \
	"http://$NAME/" | tee "$T/curl.out"
prove "the world saw the proxy ($P1_W4), not the subject" grep -qx "client=$P1_W4" "$T/curl.out"
saw_fake() { grep -qxE "curl connected to ($fake4|$fake6)" "$T/curl.out"; }
prove "curl only ever saw a fake address; the proxy resolved the name" saw_fake

step "TCP to literal addresses, IPv4 and IPv6"
show nsp exec demo -- curl -gsS --max-time 5 "http://$W4/" | tee "$T/v4.out"
show nsp exec demo -- curl -gsS --max-time 5 "http://[$W6]/" | tee "$T/v6.out"
both_proxied() { grep -qx "client=$P1_W4" "$T/v4.out" && grep -qx "client=$P1_W6" "$T/v6.out"; }
prove "IPv4 and IPv6 leave through the proxy" both_proxied

step "UDP by name: a datagram to $NAME:7000 and its echo"
cat >"$T/udp_hello.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect((sys.argv[1], int(sys.argv[2])))
s.send(sys.argv[3].encode())
print(s.recv(1000).decode())
PY
chmod 0644 "$T/udp_hello.py"
show nsp exec demo -- "$PYTHON" "$T/udp_hello.py" "$NAME" 7000 "hello over UDP" | tee "$T/udp.out"
prove "UDP went through the proxy's UDP ASSOCIATE (the echo saw $P1_W4)" \
	grep -qx "from=$P1_W4|hello over UDP" "$T/udp.out"

step "netnsp status"
show nsp status
show nsp status --json >"$T/status.json"
echo "    (JSON for scripts: nsp status --json; $(grep -c '' "$T/status.json") lines)"

step "kill -9 the daemon: the subject fails closed"
{ kill -KILL "$DAEMON_PID" && wait "$DAEMON_PID"; } 2>/dev/null # no "Killed" job notice
DAEMON_PID=''
show nsp exec demo -- curl -sS --max-time 5 -w 'curl gave up after %{time_total} s\n' \
	"http://$W4/" | tee "$T/closed.out"
rc=$?
secs=$(sed -n 's/^curl gave up after \([0-9.]*\) s$/\1/p' "$T/closed.out")
fails_fast() { [ "$rc" -ne 0 ] && [ -n "$secs" ] && awk -v s="$secs" 'BEGIN { exit !(s < 1) }'; }
prove "with the daemon killed, a connection fails at once (after ${secs:-?} s)" \
	fails_fast

step "cleanup: netnsp down, namespaces and processes removed"
show nsp down
if [ "$FAILED" -eq 0 ]; then
	echo "demo done: everything shown worked"
else
	echo "demo done: $FAILED check(s) FAILED"
	exit 1
fi
