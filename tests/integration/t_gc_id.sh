#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_gc_id.sh - `netnsp gc [PROFILE...]` and `netnsp id`.
#   gc with a daemon: the named subjects are derived anew at once (new id, new
#   uplink address), re-applied (a running download through it is reset) and
#   proxy again; the others are untouched.  gc without a daemon: the entries
#   leave the state file; the next start derives them anew.  Unknown profile:
#   exit 2.
#   id: `root` in the daemon's namespace, the profile's name inside a subject
#   (as root and as nobody: RUN_DIR/subjects.json, 0644, has no secrets),
#   `unknown` (exit 1) in a namespace that is neither.  Without a daemon, and
#   without subjects.json too (then from the Derivative, as root).
#
#   [S a / b: netnsp id, curl]   no link
#        ^ setns
#   [H: netnsp daemon; netnsp id -> root]  198.51.100.1     [X ${PFX}x: netnsp id -> unknown]
#        | veth
#   [P1: microsocks :1080, :1081 (alice / s3cret)]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks setpriv

topo_p1_up
start_microsocks "$NS_P1" 1081 alice s3cret || bail "microsocks :1081"
# The run dir must be traversable for `netnsp id` as a user (the default
# /run/netns-proxy is 0755); the files in it keep their own modes.
chmod 0755 "$T/run"

{
	conf_p1 a
	conf_proxy auth "socks5://alice:s3cret@$P1_H4:1081"
	conf_profile b auth
} >"$CONF"
daemon_up

# ------------------------------------------------------------ id
nid() { # nid NSENTER-ARGS... -- [USER-WRAPPER...]: netnsp id from there
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	nsenter "${args[@]}" "$@" "$NETNSP" --run-dir "$T/run" --state-dir "$T/state" \
		--config "$CONF" id
}
out=$(nid --net="/run/netns/$NS_H" -- 2>"$T/id.err")
is "$?:$out" "0:root" "id in the daemon's namespace: root" || diag_file "$T/id.err"
out=$(nid --net="/run/netns/$(subject_ns a)" -- 2>"$T/id.err")
is "$?:$out" "0:a" "id inside subject a: a" || diag_file "$T/id.err"
out=$(nid --net="/run/netns/$(subject_ns b)" -- 2>"$T/id.err")
is "$?:$out" "0:b" "id inside subject b: b" || diag_file "$T/id.err"
out=$(nid --net="/run/netns/$(subject_ns a)" -- setpriv --reuid=65534 --regid=65534 --clear-groups 2>"$T/id.err")
is "$?:$out" "0:a" "id inside subject a as nobody: a" || diag_file "$T/id.err"
out=$(nid --net="/run/netns/$NS_H" -- setpriv --reuid=65534 --regid=65534 --clear-groups 2>"$T/id.err")
is "$?:$out" "0:root" "id in the daemon's namespace as nobody: root" || diag_file "$T/id.err"
ns_add "${PFX}x" || bail "namespace ${PFX}x"
out=$(nid --net="/run/netns/${PFX}x" -- 2>"$T/id.err")
is "$?:$out" "1:unknown" "id in an unrelated namespace: unknown, exit 1" || diag_file "$T/id.err"
SJ=$T/run/subjects.json
[ -f "$SJ" ] && [ "$(stat -c '%a %U' "$SJ")" = "644 root" ]
tap_ok $? "RUN_DIR/subjects.json is 0644 root ($(stat -c '%a %U' "$SJ" 2>&1))"
! grep -q s3cret "$SJ" 2>/dev/null && [ -f "$SJ" ]
tap_ok $? "subjects.json holds no proxy password"

# ------------------------------------------------------------ gc with a daemon
ida=$(state_id a)
idb=$(state_id b)
inob=$(stat -L -c %i "/run/netns/$(subject_ns b)")
bg nexec a curl -gsS --max-time 60 -o "$T/dl.bin" "http://$W4/slow?bytes=5000000&rate=200000" 2>"$T/dl.err"
DL=$LAST_PID
wait_until 5 test -s "$T/dl.bin"
tap_ok $? "a download through a is running"
out=$(nsp gc a 2>"$T/gc.err")
is "$?" 0 "gc a (daemon running) exits 0" || diag_file "$T/gc.err"
wait_ready 10
tap_ok $? "after gc every subject is applied"
ida2=$(state_id a)
[ -n "$ida2" ] && [ "$ida2" != "$ida" ]
tap_ok $? "gc a: a derived anew (id $ida -> ${ida2:-none})"
is "$(ns_uplink4 "$(subject_ns a)")" "$(id_uplink4 "${ida2:-0}")" "gc a: a's uplink address follows the new id"
is "$(state_id b)" "$idb" "gc a: b keeps its id"
is "$(stat -L -c %i "/run/netns/$(subject_ns b)")" "$inob" "gc a: b keeps its namespace"
wait_until 10 eval '! kill -0 "$DL" 2>/dev/null'
wait "$DL"
rc=$?
[ "$rc" -ne 0 ]
tap_ok $? "gc a: the download through a was reset (curl exit $rc)"
expect_client a "http://$W4/" "$P1_W4" "gc a: a proxies again"
expect_client b "http://$W4/" "$P1_W4" "gc a: b still proxies"
out=$(nid --net="/run/netns/$(subject_ns a)" -- 2>"$T/id.err")
is "$out" a "gc a: id inside a still says a"

nsp gc nosuch >"$T/gc.out" 2>"$T/gc.err"
is "$?" 2 "gc of an unknown profile exits 2" || diag_file "$T/gc.err"
ida3=$(state_id a)
out=$(nsp gc 2>"$T/gc.err")
is "$?" 0 "gc (all, daemon running) exits 0" || diag_file "$T/gc.err"
wait_ready 10
tap_ok $? "after gc (all) every subject is applied"
[ "$(state_id a)" != "$ida3" ] && [ "$(state_id b)" != "$idb" ]
tap_ok $? "gc (all): both derived anew (a $ida3 -> $(state_id a), b $idb -> $(state_id b))"
expect_client a "http://$W4/" "$P1_W4" "gc (all): a proxies"
expect_client b "http://$W4/" "$P1_W4" "gc (all): b proxies"

# ------------------------------------------------------------ id without a daemon
stop_daemon
out=$(nid --net="/run/netns/$(subject_ns a)" -- 2>"$T/id.err")
is "$?:$out" "0:a" "no daemon: id inside a: a (from subjects.json)" || diag_file "$T/id.err"
# The run directory emptied while the namespaces stay (a tmpfs cleaned, a
# service manager removing its runtime directory): the Derivative answers.
mv "$SJ" "$T/subjects.json.aside"
out=$(nid --net="/run/netns/$(subject_ns a)" -- 2>"$T/id.err")
is "$?:$out" "0:a" "no daemon, no subjects.json: id inside a as root: a (from the state file)" ||
	diag_file "$T/id.err"
out=$(nid --net="/run/netns/$(subject_ns b)" -- 2>"$T/id.err")
is "$?:$out" "0:b" "no daemon, no subjects.json: id inside b: b" || diag_file "$T/id.err"
out=$(nid --net="/run/netns/$NS_H" -- 2>"$T/id.err")
is "$?:$out" "0:root" "no daemon, no subjects.json: id in the daemon's namespace: root" ||
	diag_file "$T/id.err"
out=$(nid --net="/run/netns/${PFX}x" -- 2>"$T/id.err")
is "$?:$out" "1:unknown" "no daemon, no subjects.json: id elsewhere: unknown, exit 1"
out=$(nid --net="/run/netns/$(subject_ns a)" -- setpriv --reuid=65534 --regid=65534 --clear-groups 2>"$T/id.err")
rc=$?
[ "$rc" -eq 1 ] && [ -z "$out" ] && one_line "$T/id.err" &&
	grep -q "^netnsp: id: cannot read .*subjects.json or .*state.json" "$T/id.err"
tap_ok $? "no subjects.json, state file root's only: nobody gets one line naming both (rc $rc: $(head -c 160 "$T/id.err"))"
mv "$T/subjects.json.aside" "$SJ"

# ------------------------------------------------------------ gc without a daemon
ida4=$(state_id a)
idb4=$(state_id b)
out=$(nsp gc b 2>"$T/gc.err")
is "$?" 0 "gc b (no daemon) exits 0" || diag_file "$T/gc.err"
is "$(state_q "sorted(n)")" '["a"]' "gc b (no daemon): b's entry is gone from the state file"
is "$(state_id a)" "$ida4" "gc b (no daemon): a's entry is kept"
nsp gc nosuch >"$T/gc.out" 2>"$T/gc.err"
is "$?" 2 "gc of an unknown profile (no daemon) exits 2"
restart_ready "restart after gc b: every subject applied"
idb5=$(state_id b)
[ -n "$idb5" ] && [ "$idb5" != "$idb4" ]
tap_ok $? "restart: b derived anew (id $idb4 -> ${idb5:-none})"
is "$(ns_uplink4 "$(subject_ns b)")" "$(id_uplink4 "${idb5:-0}")" "restart: b's uplink follows its id"
is "$(state_id a)" "$ida4" "restart: a keeps its id"
expect_client b "http://$W4/" "$P1_W4" "restart: b proxies"

sanitizer_clean
tap_done
