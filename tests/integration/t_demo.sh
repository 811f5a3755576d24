#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_demo.sh - scripts/demo.sh, the README's first command, runs to the end
# without a terminal or questions and proves what it says: each of its
# checks prints PROVED (a FAILED line or a missing one fails here), it exits
# 0, prints no colour into a pipe, and leaves no namespace, /etc/netns entry
# or process behind.  The demo's own topology (its drawing is at its top):
#
#   [S demo, made by netnsp]  getent / curl / a UDP client by the name world.example
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1     no route to W
#        | veth
#   [P1: danted :1080, CONNECT + UDP ASSOCIATE; /etc/netns/P1/hosts: world.example]
#        | veth  203.0.113.1
#   [W: world.py HTTP :80 + UDP echo :7000 on 203.0.113.100]
. "$(dirname "$0")/lib.sh"
lib_init danted getent

DPFX=${PFX}d
NETNSP_TEST_PREFIX=$DPFX SKIP_DEPS=1 NETNSP=$NETNSP timeout 300 \
	bash "$SRC_ROOT/scripts/demo.sh" </dev/null >"$T/demo.out" 2>&1
rc=$?
is "$rc" 0 "demo.sh exits 0" || diag_file "$T/demo.out" 60

want=(
	"the subject resolves world.example, a name only the proxy knows, to fake addresses"
	"the world saw the proxy (203.0.113.1), not the subject"
	"curl only ever saw a fake address; the proxy resolved the name"
	"IPv4 and IPv6 leave through the proxy"
	"UDP went through the proxy's UDP ASSOCIATE (the echo saw 203.0.113.1)"
	"with the daemon killed, a connection fails at once"
)
for w in "${want[@]}"; do
	grep -qF "PROVED: $w" "$T/demo.out"
	tap_ok $? "demo proves: $w" || grep -F "$w" "$T/demo.out" | sed 's/^/# /'
done
! grep -q '^FAILED' "$T/demo.out"
tap_ok $? "no FAILED line" || grep '^FAILED' "$T/demo.out" | sed 's/^/# /'
grep -q '^demo done: everything shown worked$' "$T/demo.out"
tap_ok $? "demo ran to its end"
! grep -q $'\033' "$T/demo.out"
tap_ok $? "no colour codes into a pipe"
grep -q '^  state: applied$' "$T/demo.out" && grep -q '^  udp flows: ' "$T/demo.out"
tap_ok $? "the demo shows the status block"

left=$(compgen -G "/run/netns/$DPFX*"; compgen -G "/etc/netns/$DPFX*")
is "$left" "" "demo left no namespace and no /etc/netns entry"
pgrep -f "netnsp-it\..*/danted-1080.conf" >/dev/null
tap_ok $((! $?)) "demo left no proxy running"

tap_done
