#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo.sh - install deps, build, and show netnsp working, all offline, in
# throwaway namespaces that are removed at the end (even on Ctrl-C):
#
#   [S demo, made by netnsp]  no link anywhere; curl runs here via `netnsp exec`
#        ^ the daemon's listeners inside
#   [H: netnsp daemon]  198.51.100.1         no route to W
#        | veth
#   [P1: microsocks :1080]  198.51.100.2 / 203.0.113.1
#        | veth
#   [W: the "world": HTTP server on 203.0.113.100:80 saying who connected]
#
# Needs root.  SKIP_DEPS=1 skips apt; NETNSP=path uses another binary.
set -u
cd "$(dirname "$0")/.." || exit 1
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run as root (creates network namespaces)" >&2; exit 1; }
if [ -z "${SKIP_DEPS:-}" ]; then bash scripts/deps.sh || exit 1; fi
[ -f build/build.ninja ] || meson setup build || exit 1
ninja -C build || exit 1

NETNSP=${NETNSP:-$PWD/build/netnsp}
. tests/integration/lib.sh
lib_init microsocks

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "test bed: namespaces $NS_H (host), $NS_P1 (proxy), $NS_W (world)"
topo_setup || bail "topology"
start_world || bail "world server"
start_microsocks "$NS_P1" 1080 || bail "microsocks"
echo "H has no route to the world:"
nsx "$NS_H" curl -sS --max-time 2 "http://$W4/" 2>&1 | sed 's/^/    /'

step "config ($CONF)"
cat >"$CONF" <<EOF2
[proxy p1]
url = socks5://$P1_H4:1080

[profile demo]
via = p1
netns = $(subject_ns demo)
dns = off
EOF2
cat "$CONF"

step "netnsp daemon (inside H)"
start_daemon
wait_ready 10 || { diag_file "$T/daemon.log"; bail "daemon not ready"; }
sed 's/^/    /' "$T/daemon.log"

step "curl from inside the subject: the world sees the proxy's address ($P1_W4)"
show nsp exec demo -- curl -sS --max-time 5 "http://$W4/"
show nsp exec demo -- curl -gsS --max-time 5 "http://[$W6]/"

step "netnsp status"
show nsp status
show nsp status --json

step "kill -9 the daemon: the subject fails closed"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
t0=$(now_ms)
show nsp exec demo -- curl -sS --max-time 5 "http://$W4/"
echo "    (curl failed after $(($(now_ms) - t0)) ms; nothing left the namespace)"

step "cleanup: netnsp down, namespaces and processes removed"
show nsp down
echo "demo done"
