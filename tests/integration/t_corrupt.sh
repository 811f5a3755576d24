#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_corrupt.sh - docs/GUARANTEES.md 8 for the Derivative: a corrupt state file
# (garbage; valid JSON of another version; a truncated file) is renamed
# STATE_DIR/state.json.corrupt-YYYYmmddTHHMMSS with its content intact, the
# daemon warns, derives afresh, runs, and its subject proxies; the new
# state.json is valid.
#
#   [S cr: curl via `netnsp exec`]   no link
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks

topo_p1_up

conf_p1 cr >"$CONF"
daemon_up
expect_client cr "http://$W4/" "$P1_W4" "cr proxies through P1"
head -c 300 "$T/state/state.json" >"$T/truncated"

# corrupt LABEL FILE: put FILE in place of state.json, restart, check.
corrupt() {
	local label=$1 src=$2 before after new
	stop_daemon
	sleep 1.1 # a new second: the set-aside name has second resolution
	cp "$src" "$T/state/state.json"
	before=$(ls "$T/state" | grep -c '^state\.json\.corrupt-')
	log_mark
	restart_ready "$label: daemon starts and applies every subject" || return
	after=$(ls "$T/state" | grep '^state\.json\.corrupt-')
	is "$(echo "$after" | grep -c .)" $((before + 1)) "$label: one more file set aside"
	new=$(ls -t "$T/state" | grep -m1 '^state\.json\.corrupt-')
	[[ $new =~ ^state\.json\.corrupt-[0-9]{8}T[0-9]{6}$ ]]
	tap_ok $? "$label: named state.json.corrupt-YYYYmmddTHHMMSS ($new)"
	cmp -s "$src" "$T/state/$new"
	tap_ok $? "$label: the set-aside file holds the corrupt content"
	[ "$(stat -c '%U %a' "$T/state/$new" 2>/dev/null)" = "root 600" ]
	tap_ok $? "$label: the set-aside file is root's and 0600 ($(stat -c '%U %a' "$T/state/$new" 2>&1))"
	log_since | grep -qiE 'warn|corrupt'
	tap_ok $? "$label: the daemon logs a warning" || diag_file "$T/daemon.log" 5
	log_since | grep -qF "$new"
	tap_ok $? "$label: the warning names the set-aside file" || diag_file "$T/daemon.log" 5
	is "$(state_q "[d['version'], sorted(n)]")" '[1, ["cr"]]' "$label: a valid new state.json"
	expect_client cr "http://$W4/" "$P1_W4" "$label: cr proxies through P1"
}

head -c 4096 /dev/urandom >"$T/garbage"
corrupt "garbage" "$T/garbage"
echo '{"version":99,"next_id":1,"subjects":[]}' >"$T/v99"
corrupt "valid JSON of version 99" "$T/v99"
corrupt "truncated file" "$T/truncated"
printf '' >"$T/empty"
corrupt "empty file" "$T/empty"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
