#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_config.sh - bad Settings are refused before anything is applied
# (docs/GUARANTEES.md 8): exit 2, one line "netnsp: FILE:LINE: key: reason",
# and no namespace created.  Also the CLI's own contract without a daemon:
# status says "daemon not running" (exit 1), down works, usage errors exit 2.
#
#   [H: netnsp daemon/status/down]   no link needed; nothing else runs
. "$(dirname "$0")/lib.sh"
lib_init

ns_add "$NS_H" || bail "namespace H"

# bad NAME LINE KEY TEXT: write TEXT as the config, then `daemon` must refuse it.
bad() {
	local name=$1 line=$2 key=$3 rc first n
	printf '%s\n' "$4" >"$CONF"
	timeout 10 nsenter --net="/run/netns/$NS_H" "$NETNSP" --config "$CONF" \
		--state-dir "$T/state" --run-dir "$T/run" daemon >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	first=$(head -n1 "$T/bad.err")
	n=$(grep -c '' "$T/bad.err")
	is "$rc" 2 "$name: daemon exits 2" || diag_file "$T/bad.err"
	[[ $first == "netnsp: $CONF:$line: $key: "* ]] && [ "$n" -eq 1 ]
	tap_ok $? "$name: one line 'netnsp: FILE:$line: $key: ...' (got: $first)"
	ls /run/netns/ | grep -q "^${PFX}s"
	tap_ok $((! $?)) "$name: no subject namespace created"
}

GOOD_PROXY="[proxy p]
url = socks5://$P1_H4:1080"
prof() { printf '[profile %s]\nvia = p\nnetns = %s\ndns = off\n' "$1" "$(subject_ns "$1")"; }

bad "unknown key" 7 bogus "$GOOD_PROXY
$(prof s1)
bogus = 1"
bad "bad proxy scheme" 2 url "[proxy p]
url = gopher://$P1_H4:1080
$(prof s1)"
bad "port out of range" 2 url "[proxy p]
url = socks5://$P1_H4:70000
$(prof s1)"
bad "dangling via in a profile" 4 via "$GOOD_PROXY
[profile s1]
via = nosuch
netns = $(subject_ns s1)
dns = off"
bad "route to an unknown proxy" 8 route "$GOOD_PROXY
$(prof s1)
route = *.onion p
route = *.i2p nosuch"
bad "route with a bad pattern" 7 route "$GOOD_PROXY
$(prof s1)
route = *.*.onion p"
bad "route range with host bits set" 7 route "$GOOD_PROXY
$(prof s1)
route = 10.0.0.1/8 block"
bad "route = default beside via" 7 route "$GOOD_PROXY
$(prof s1)
route = default p"
bad "a route after route = default" 7 route "$GOOD_PROXY
[profile s1]
netns = $(subject_ns s1)
dns = off
route = default p
route = x.test block"
bad "isolate on an http proxy" 3 isolate "[proxy p]
url = http://198.51.100.2:8888
isolate = profile
$(prof s1)"
bad "bad value for ipv6" 7 ipv6 "$GOOD_PROXY
$(prof s1)
ipv6 = maybe"
printf 'bandwidth = L\n[limits]\ntransittunnels = 20\n[sam]\nenabled = true\n' >"$T/i2p-sam"
i2p_conf() { printf '%s\n[proxy i]\nurl = i2p\ni2p-config = %s\n%s\n' "$GOOD_PROXY" "$1" "$(prof s1)"; }
bad "i2p-config that turns SAM on" 5 i2p-config "$(i2p_conf "$T/i2p-sam")"
grep -q "i2p-config: $T/i2p-sam: line 4: \[sam\] opens a listener or an outproxy" "$T/bad.err"
tap_ok $? "i2p-config: the error names the file and its line ($(head -n1 "$T/bad.err"))"
printf 'httpproxy.enabled = true\n' >"$T/i2p-http"
bad "i2p-config with a dotted httpproxy key" 5 i2p-config "$(i2p_conf "$T/i2p-http")"
printf 'bandwidth = L\n' >"$T/i2p-good"
bad "i2p-config on a socks5 proxy" 3 i2p-config "$GOOD_PROXY
i2p-config = $T/i2p-good
$(prof s1)"
grep -q "i2p-config: only for url = i2p" "$T/bad.err"
tap_ok $? "i2p-config on a socks5 proxy: the error says it is for url = i2p only"
bad "a good profile does not save a config with one error" 11 bogus "$GOOD_PROXY
$(prof s1)
$(prof s2)
bogus = 1"

# Via loops: the line may be either proxy's; only the form and the exit are fixed.
printf '[proxy a]\nurl = socks5://%s:1080\nvia = b\n[proxy b]\nurl = socks5://%s:1081\nvia = a\n%s\n' \
	"$P1_H4" "$P1_H4" "$(prof s1 | sed 's/via = p/via = a/')" >"$CONF"
nsp daemon >/dev/null 2>"$T/loop.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "^netnsp: $CONF:[0-9]*: via: " "$T/loop.err"
tap_ok $? "via loop: exit 2 with FILE:LINE: via: (rc $rc: $(head -n1 "$T/loop.err"))"

# Missing config file: exit 2 (config error) and it names the file.
nsenter --net="/run/netns/$NS_H" "$NETNSP" --config "$T/nonexistent.conf" \
	--state-dir "$T/state" --run-dir "$T/run" daemon 2>"$T/miss.err"
rc=$?
[ "$rc" -ne 0 ] && grep -q "nonexistent.conf" "$T/miss.err"
tap_ok $? "missing config: refused, names the file (rc $rc: $(head -n1 "$T/miss.err"))"

# No daemon: status and down.
printf '%s\n%s\n' "$GOOD_PROXY" "$(prof s1)" >"$CONF"
nsp status >"$T/st.out" 2>"$T/st.err"
rc=$?
is "$rc" 1 "status without a daemon exits 1"
grep -qE "^netnsp: (status: )?daemon not running \($T/run/control.sock: " "$T/st.err"
tap_ok $? "status without a daemon: 'netnsp: daemon not running (RUN_DIR/control.sock: ...)'" ||
	diag_file "$T/st.err"
nsp status --json >/dev/null 2>&1
is "$?" 1 "status --json without a daemon exits 1"
nsp down >"$T/down.out" 2>&1
is "$?" 0 "down without a daemon and with nothing applied exits 0" || diag_file "$T/down.out"

# Usage errors.
nsp frobnicate >/dev/null 2>&1
is "$?" 2 "unknown command exits 2"
nsp >/dev/null 2>&1
is "$?" 2 "no command exits 2"
nsp status --bogus >/dev/null 2>&1
is "$?" 2 "unknown option exits 2"
ls /run/netns/ | grep -q "^${PFX}s"
tap_ok $((! $?)) "no subject namespace was created by any of the above"
tap_done
