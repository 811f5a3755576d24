#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_reload.sh - `netnsp reload [--dry-run]` and SIGHUP: a reload that adds,
# changes and removes profiles while a download through an
# unchanged subject stays open (W holds it until after the reload,
# then it completes: right size and checksum);
# --dry-run prints the exact plan and changes nothing; "no changes"; SIGHUP;
# a config with an error is refused (exit 2, FILE:LINE) and the daemon keeps
# the old config.
#
#   [S keep / chg / rm / new: curl via `netnsp exec`]   no link
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2 ---- [P2: microsocks :1080] 198.51.100.66
#        | veth  203.0.113.1                        | veth 203.0.113.65
#   [W: world.py 203.0.113.100:80, /slow -> N bytes 'x']
#
# chg moves from p1 to the chain p1 -> p2, so W sees P2's address afterwards.
. "$(dirname "$0")/lib.sh"
lib_init microsocks sha256sum

topo_p1_up
start_microsocks "$NS_P2" 1080 || bail "microsocks P2"

proxies() { conf_proxy p1 "socks5://$P1_H4:1080"; conf_proxy p2 "socks5://$P2_P4:1080" "via = p1"; }
profile() { conf_profile "$@"; } # profile NAME VIA [EXTRA LINE...]
conf_v1() { proxies; profile chg p1; profile keep p1; profile rm p1; }
conf_v2() { proxies; profile chg p2 "ipv6 = off"; profile keep p1; profile new p1; }
conf_v3() { proxies; profile chg p1; profile keep p1; }
conf_bad() { proxies; profile chg p1; profile keep p1 "bogus = 1"; }

conf_v1 >"$CONF"
daemon_up
expect_client keep "http://$W4/" "$P1_W4" "v1: keep proxies through P1"
expect_client chg "http://$W4/" "$P1_W4" "v1: chg proxies through P1"
expect_client rm "http://$W4/" "$P1_W4" "v1: rm proxies through P1"
id_chg=$(state_id chg)
id_keep=$(state_id keep)
ino_keep=$(stat -L -c %i "/run/netns/$(subject_ns keep)")

# A long download through keep, held open across the reload: W sends half
# of it, then waits for $T/dl.go (world.py's hold=), so it is still running
# after the reload however long the steps in between take on a loaded
# machine; the second half, sent only after the reload, must arrive too.
SIZE=2500000
want_sum=$("$PYTHON" -c "import hashlib; print(hashlib.sha256(b'x' * $SIZE).hexdigest())")
bg nexec keep curl -gsS --max-time 240 -o "$T/dl.bin" \
	"http://$W4/slow?bytes=$SIZE&rate=10000000&hold=$T/dl.go"
DL_PID=$LAST_PID
half_in() { [ "$(stat -c %s "$T/dl.bin" 2>/dev/null || echo 0)" -ge $((SIZE / 2)) ]; }
wait_until 30 half_in
tap_ok $? "download through keep has started (half of it received)"
is "$(status_field keep connections)" 1 "status: keep has 1 live connection"

# ------------------------------------------------------------ dry run
conf_v2 >"$CONF"
plan=$(printf '%s\n' "~ profile chg: ipv6, via, chain" "+ profile new" "- profile rm")
sum_state=$(sha256sum <"$T/state/state.json")
before=$(status_profiles)
out=$(nsp reload --dry-run 2>"$T/reload.err")
is "$?" 0 "reload --dry-run exits 0" || diag_file "$T/reload.err"
is "$out" "$plan" "reload --dry-run prints the plan, one line each, sorted by profile"
is "$(status_profiles)" "$before" "--dry-run: the subjects are unchanged"
[ -e "/run/netns/$(subject_ns rm)" ] && [ ! -e "/run/netns/$(subject_ns new)" ]
tap_ok $? "--dry-run: rm's namespace still there, new's not created"
is "$(sha256sum <"$T/state/state.json")" "$sum_state" "--dry-run: the state file is unchanged"
is "$(status_field chg chain)" "[\"socks5://$P1_H4:1080\"]" "--dry-run: chg's chain unchanged"

# ------------------------------------------------------------ reload
out=$(nsp reload 2>"$T/reload.err")
is "$?" 0 "reload exits 0" || diag_file "$T/reload.err"
is "$out" "$plan" "reload prints the plan it applied"
wait_ready 10
tap_ok $? "after reload every subject is applied"
is "$(status_profiles)" "chg:named keep:named new:named" "status: chg, keep, new (rm gone)"
wait_until 10 test ! -e "/run/netns/$(subject_ns rm)"
tap_ok $? "rm's namespace is deleted"
[ -e "/run/netns/$(subject_ns new)" ]
tap_ok $? "new's namespace is created"
[ "$(state_q "'rm' in n")" = false ]
tap_ok $? "rm's Derivative entry is gone"
is "$(state_id chg)" "$id_chg" "chg keeps its id"
is "$(state_id keep)" "$id_keep" "keep keeps its id"
is "$(stat -L -c %i "/run/netns/$(subject_ns keep)")" "$ino_keep" "keep keeps its namespace"
is "$(status_field chg chain)" "[\"socks5://$P1_H4:1080\", \"socks5://$P2_P4:1080\"]" \
	"status: chg's chain is now p1, p2"
expect_client chg "http://$W4/" "$P2_W4" "chg now proxies through P1 then P2"
# curl's own time to the failure ("after N ms"): starting netnsp exec and curl
# on a loaded machine can take longer than the refusal's budget by itself.
curl_world chg "http://[$W6]/" -w '%{time_total}\n' >"$T/c6.out" 2>"$T/c6.err"
rc=$?
ms=$(awk '{ printf "%d", $1 * 1000 }' "$T/c6.out")
[ "$rc" -ne 0 ] && [ -n "$ms" ] && [ "$ms" -lt 1000 ]
tap_ok $? "chg: ipv6 = off now refuses IPv6 at once (rc $rc, ${ms:-?} ms by curl)" ||
	diag_file "$T/c6.err"
expect_client new "http://$W4/" "$P1_W4" "new proxies through P1"
expect_client keep "http://$W4/" "$P1_W4" "keep still serves new connections"

kill -0 "$DL_PID" 2>/dev/null
tap_ok $? "the download through keep is still running after the reload"
touch "$T/dl.go"
wait "$DL_PID"
is "$?" 0 "the download through keep completes (curl exit 0)"
is "$(stat -c %s "$T/dl.bin" 2>/dev/null)" "$SIZE" "the download has the right size"
is "$(sha256sum <"$T/dl.bin" | cut -d' ' -f1)" "$want_sum" "the download has the right checksum"

out=$(nsp reload 2>"$T/reload.err")
is "$?" 0 "reload of the same config exits 0" || diag_file "$T/reload.err"
is "$out" "no changes" "reload of the same config prints 'no changes'"

# ------------------------------------------------------------ SIGHUP
conf_v3 >"$CONF"
kill -HUP "$DAEMON_PID"
hup_done() {
	[ "$(status_profiles)" = "chg:named keep:named" ] &&
		[ "$(status_field chg chain)" = "[\"socks5://$P1_H4:1080\"]" ] &&
		[ ! -e "/run/netns/$(subject_ns new)" ]
}
wait_until 10 hup_done
tap_ok $? "SIGHUP: reloaded (new removed, chg back on p1)" ||
	diag "status: $(nsp status --json 2>&1)"
wait_ready 10
tap_ok $? "SIGHUP: every subject applied"
kill -0 "$DAEMON_PID"
tap_ok $? "SIGHUP: daemon still running"
expect_client chg "http://$W4/" "$P1_W4" "SIGHUP: chg proxies through P1 again"

# ------------------------------------------------------------ broken config
# The client starts before the broken config is written (netnsp exec reads
# the config); checks while it is in place enter the subject with nsenter.
bg nexec keep curl -gsS --max-time 60 -o "$T/dl2.bin" "http://$W4/slow?bytes=1000000&rate=200000"
DL_PID=$LAST_PID
wait_until 5 test -s "$T/dl2.bin"
tap_ok $? "a second download through keep has started"
conf_bad >"$CONF"
line=$(grep -n '^bogus = 1$' "$CONF" | cut -d: -f1)
before=$(status_profiles)
chain_before=$(status_field chg chain)
nsp reload >"$T/bad.out" 2>"$T/bad.err"
is "$?" 2 "reload of a config with an error exits 2"
grep -qE "^netnsp: $CONF:$line: bogus: " "$T/bad.err" && one_line "$T/bad.err"
tap_ok $? "reload error is one line 'netnsp: $CONF:$line: bogus: ...'" || diag_file "$T/bad.err"
nsp reload --dry-run >"$T/bad.out" 2>"$T/bad.err"
is "$?" 2 "reload --dry-run of that config exits 2 too"
kill -0 "$DAEMON_PID"
tap_ok $? "broken reload: daemon still running"
is "$(status_profiles)" "$before" "broken reload: subjects unchanged"
is "$(status_field chg chain)" "$chain_before" "broken reload: chg's chain unchanged"
is "$(via_ns_client --net="/run/netns/$(subject_ns keep)")" "client=$P1_W4" \
	"broken reload: keep still proxies (new connection)"
log_mark
kill -HUP "$DAEMON_PID"
wait_log "$CONF:$line" 5
tap_ok $? "SIGHUP with the broken config: the daemon logs FILE:LINE" || diag_file "$T/daemon.log"
sleep 0.5
kill -0 "$DAEMON_PID"
tap_ok $? "SIGHUP with the broken config: daemon still running"
is "$(status_profiles)" "$before" "SIGHUP with the broken config: subjects unchanged"
wait "$DL_PID"
is "$?" 0 "a download through keep across both broken reloads completes"
is "$(stat -c %s "$T/dl2.bin" 2>/dev/null)" 1000000 "... with the right size"

sanitizer_clean
tap_done
