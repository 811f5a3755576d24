#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_attach.sh - `netnsp attach PID PROFILE`: the namespace of a process (made
# with `unshare -n`, and one made with `ip netns add` + `ip netns exec`)
# becomes a Pid subject: status shows kind "pid", its pid, netns null; TCP
# from inside goes through the profile's proxy; when the process exits the
# subject is collected at the exit event (logged; gone from status and state).  Refusals
# (exit 1, one line): a pid in the daemon's own namespace, a pid in another
# subject's namespace (named, or already attached), no such process; an
# unknown profile is a usage error (exit 2).
#
#   [A1: unshare -n sleep]   [A2 ${PFX}scr: ip netns exec sleep]   [S at (named)]
#        ^ setns (daemon, via /proc/PID/ns/net)
#   [H: netnsp daemon; sleep (refused: daemon's own namespace)]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks unshare

topo_p1_up

conf_p1 at >"$CONF"
daemon_up

# attach_ok LABEL PID: attach, check status and traffic through it.
attach_ok() {
	local label=$1 pid=$2 out
	out=$(nsp attach "$pid" at 2>"$T/attach.err")
	is "$?" 0 "$label: attach exits 0" || diag_file "$T/attach.err"
	is "$out" "attached $pid to at" "$label: prints 'attached $pid to at'"
	wait_until 10 pid_applied "$pid"
	tap_ok $? "$label: the Pid subject is applied" || diag "status: $(nsp status --json 2>&1)"
	is "$(pid_subject "$pid" kind)" pid "$label: status kind is \"pid\""
	is "$(pid_subject "$pid" netns)" null "$label: status netns is null"
	is "$(pid_subject "$pid" profile)" at "$label: status profile is at"
	is "$(state_q "[s['id'] for s in p if s['pid'] == $pid] != []")" true \
		"$label: the state file has a Pid entry for $pid"
	is "$(via_ns_client -t "$pid" -n)" "client=$P1_W4" "$label: TCP from inside goes through P1"
}

# collected LABEL PID: kill the process, the daemon collects its subject at the exit event.
collected() {
	pid_collected_ok "$1" "$2"
	is "$(status_profiles)" "at:named" "$1: only the named subject is left"
}

# ------------------------------------------------------------ unshare -n
bg unshare -n sleep 600
A1=$LAST_PID
wait_until 5 own_netns "$A1" || bail "unshare -n did not start"
attach_ok "unshare -n" "$A1"

# Refusal: the namespace already is a subject (attach the same pid again,
# or another process in it).
nsp attach "$A1" at >"$T/r.out" 2>"$T/r.err"
is "$?" 1 "refused: pid already attached (exit 1)"
grep -q '^netnsp: ' "$T/r.err" && one_line "$T/r.err"
tap_ok $? "refused: one 'netnsp: ' line ($(head -c 200 "$T/r.err"))"
bg nsenter -t "$A1" -n sleep 600
A1b=$LAST_PID
wait_until 5 own_netns "$A1b" || bail "nsenter into $A1's namespace"
nsp attach "$A1b" at >"$T/r.out" 2>"$T/r.err"
is "$?" 1 "refused: another process in an attached namespace (exit 1)" || diag_file "$T/r.err"
kill -KILL "$A1b"
collected "unshare -n" "$A1"

# ------------------------------------------------------------ ip netns add + exec
SCR=${PFX}scr
ns_add "$SCR" || bail "namespace $SCR"
bg nsx "$SCR" sleep 600
A2=$LAST_PID
wait_until 5 own_netns "$A2" || bail "sleep in $SCR"
attach_ok "ip netns exec" "$A2"
collected "ip netns exec" "$A2"

# ------------------------------------------------------------ refusals
refusal() { # refusal WANT_RC DESC ARGS...
	local want=$1 desc=$2
	shift 2
	nsp attach "$@" >"$T/r.out" 2>"$T/r.err"
	is "$?" "$want" "$desc (exit $want)" || diag_file "$T/r.err"
	grep -q '^netnsp: ' "$T/r.err" && one_line "$T/r.err" && [ ! -s "$T/r.out" ]
	tap_ok $? "$desc: one 'netnsp: ' line on stderr ($(head -c 200 "$T/r.err"))"
}
bg nsx "$NS_H" sleep 600
refusal 1 "refused: a pid in the daemon's own namespace" "$LAST_PID" at
refusal 1 "refused: the daemon itself" "$DAEMON_PID" at
bg nsenter --net="/run/netns/$(subject_ns at)" sleep 600
refusal 1 "refused: a pid in a named subject's namespace" "$LAST_PID" at
sleep 600 &
gone_pid=$!
kill -KILL "$gone_pid"
wait "$gone_pid" 2>/dev/null
refusal 1 "refused: no such process" "$gone_pid" at
bg unshare -n sleep 600
A3=$LAST_PID
wait_until 5 own_netns "$A3" || bail "unshare -n"
refusal 2 "unknown profile" "$A3" nosuchprofile
refusal 2 "not a pid" abc at
is "$(status_profiles)" "at:named" "after the refusals only the named subject exists"

# The attached namespace fails closed like a named one.
attach_ok "fail-closed" "$A3"
kill9_daemon
refused_at_once "Pid subject, daemon killed: connect refused at once" -t "$A3" -n
restart_ready "restart: every subject applied (Pid subject kept while its process lives)"
is "$(pid_subject "$A3" kind)" pid "restart: the Pid subject is still there"
is "$(via_ns_client -t "$A3" -n)" "client=$P1_W4" "restart: the Pid subject proxies again"
collected "after restart" "$A3"

sanitizer_clean
tap_done
