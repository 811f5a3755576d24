#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_status.sh - `netnsp status` reads like `wg show`: a block per subject,
# "profile: NAME" for a Named one and "pid: PID (COMM)" for a Pid one, each
# with its namespace (net:[INODE], as /proc/PID/ns/net says), state, chain,
# addresses, connections, transfer and last error; a subject that could not
# be applied says "NOT applied" and why.  Colour only on a
# terminal (script(1) gives it one) and never with NO_COLOR; in a pipe no
# escape code at all.  --json keeps every key it had, and writes "/" as is.
#
#   [A: unshare -n sleep (Pid subject, profile st)]   [S st (named)]
#                               [/run/netns/${PFX}bad: a symlink, so profile bad is NOT applied]
#        ^ setns (daemon)
#   [H: netnsp daemon, status]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 (nothing on :81)]
. "$(dirname "$0")/lib.sh"
lib_init microsocks unshare script

topo_p1_up

conf_p1 st bad >"$CONF"
ln -s /nonexistent "/run/netns/$(subject_ns bad)" && at_cleanup "rm -f /run/netns/$(subject_ns bad)"
# applied PYEXPR: every subject that PYEXPR selects (s) is applied, and there is one
applied() { [ "$(status_json_q "[x['applied'] for x in d['subjects'] if $1]" 2>/dev/null)" = "[true]" ]; }
start_daemon
wait_until 10 applied "x['profile'] == 'st' and x['kind'] == 'named'"
tap_ok $? "daemon started, st applied" || { diag_file "$T/daemon.log"; bail "daemon not ready"; }

# Traffic to count, and one failure to report.
expect_client st "http://$W4/" "$P1_W4" "curl through the subject works"
curl_world st "http://$W4/slow?bytes=3145728&rate=100000000" -o /dev/null
tap_ok $? "3 MiB down through the subject"
curl_world st "http://$W4:81/" >/dev/null 2>&1
[ $? -ne 0 ]
tap_ok $? "curl to a closed port fails (the relay notes the failure)"

bg unshare -n sleep 600
A=$LAST_PID
wait_until 5 own_netns "$A" || bail "unshare -n did not start"
nsp attach "$A" st >/dev/null 2>"$T/attach.err" || { diag_file "$T/attach.err"; bail "attach"; }
wait_until 10 applied "x['kind'] == 'pid'" || bail "Pid subject not applied"

# ------------------------------------------------------------ text, no TTY
nsp status >"$T/st.txt" 2>"$T/st.err"
is "$?" 0 "status exits 0"
diag_file "$T/st.txt" 40
! grep -q $'\033' "$T/st.txt"
tap_ok $? "status in a pipe has no escape code"

# block TITLE NAME: the lines of one block (its head line up to the next blank line)
block() { awk -v h="$1: $2" '$0 == h { on = 1 } on && $0 == "" { exit } on' "$T/st.txt"; }
row() { block "$1" "$2" | sed -n "s/^  $3: //p"; }

S_NS=$(subject_ns st)
S_INO=$(stat -L -c %i "/run/netns/$S_NS")
A_INO=$(readlink "/proc/$A/ns/net" | tr -dc 0-9)
ID=$(state_id st)
is "$(block profile st | head -n 1)" "profile: st" "named subject: block headed 'profile: st'"
is "$(row profile st namespace)" "$S_NS (net:[$S_INO])" "named subject: namespace name and net:[INODE]"
is "$(row profile st state)" "applied" "named subject: state applied"
is "$(row profile st chain)" "socks5://$P1_H4:1080" "named subject: chain"
row profile st addresses | grep -q "^$(id_uplink4 "$ID"), fd6e:7370:"
tap_ok $? "named subject: addresses are its uplink's ($(row profile st addresses))"
is "$(row profile st connections)" "0 live, 3 total, 1 failed" "named subject: connections 0 live, 3 total, 1 failed"
is "$(row profile st dns)" "off" "named subject: dns off"

js=$(nsp status --json)
want_transfer=$(printf '%s' "$js" | "$PYTHON" -c '
import json, sys
s = [x for x in json.load(sys.stdin)["subjects"] if x["profile"] == "st" and x["kind"] == "named"][0]
def h(v):
    if v < 1024: return "%d B" % v
    x, u = v / 1024, 0
    while x >= 1024 and u < 4: x, u = x / 1024, u + 1
    return "%.2f %s" % (x, ["KiB", "MiB", "GiB", "TiB", "PiB"][u])
print(h(s["bytes_up"]) + " up, " + h(s["bytes_down"]) + " down")')
is "$(row profile st transfer)" "$want_transfer" "named subject: transfer in wg's units"
row profile st transfer | grep -qE '^[0-9]+ B up, 3\.00 MiB down$'
tap_ok $? "named subject: the 3 MiB shows as 3.00 MiB down"
row profile st 'last error' | grep -qE "^[0-9]+s ago: $W4:81: via socks5://$P1_H4:1080: "
tap_ok $? "named subject: last error names the destination, the hop and why ($(row profile st 'last error'))"

is "$(block pid "$A (sleep)" | head -n 1)" "pid: $A (sleep)" "Pid subject: block headed 'pid: PID (sleep)'"
is "$(row pid "$A (sleep)" profile)" "st" "Pid subject: profile st"
is "$(row pid "$A (sleep)" namespace)" "net:[$A_INO]" "Pid subject: namespace is net:[INODE] of /proc/PID/ns/net"
[ "$A_INO" != "$S_INO" ]
tap_ok $? "Pid and named subjects show different namespaces"
is "$(row pid "$A (sleep)" state)" "applied" "Pid subject: state applied"
is "$(row pid "$A (sleep)" 'last error')" "" "Pid subject: no last error"

is "$(row profile bad state)" "NOT applied" "unapplied subject: state NOT applied"
is "$(row profile bad 'last error')" "namespace '$(subject_ns bad)': Too many levels of symbolic links" \
	"unapplied subject: last error says why"

# ------------------------------------------------------------ colour on a TTY
export NETNSP CONF T NS_H
script -qec "nsenter --net=/run/netns/$NS_H $NETNSP --config $CONF --state-dir $T/state --run-dir $T/run status" /dev/null >"$T/tty.txt" 2>&1
grep -q $'\033\[1;32mapplied\033\[0m' "$T/tty.txt" && grep -q $'\033\[1;32mprofile\033\[0m' "$T/tty.txt" &&
	grep -q $'\033\[1;31mNOT applied\033\[0m' "$T/tty.txt"
tap_ok $? "status on a terminal is coloured" || diag_file "$T/tty.txt"
sed -e 's/\x1b\[[0-9;]*m//g' -e 's/\r$//' "$T/tty.txt" | grep -v 'last error' >"$T/tty.plain"
grep -v 'last error' "$T/st.txt" | diff - "$T/tty.plain" >"$T/tty.diff"
tap_ok $? "the coloured text is the same text" || diag_file "$T/tty.diff"
NO_COLOR=1 script -qec "nsenter --net=/run/netns/$NS_H $NETNSP --config $CONF --state-dir $T/state --run-dir $T/run status" /dev/null >"$T/nc.txt" 2>&1
grep -q 'state: applied' "$T/nc.txt" && ! grep -q $'\033' "$T/nc.txt"
tap_ok $? "NO_COLOR=1 on a terminal: no escape code" || diag_file "$T/nc.txt"

# ------------------------------------------------------------ --json
printf '%s' "$js" >"$T/st.json"
! grep -qF '\/' "$T/st.json" && grep -qF "\"socks5://$P1_H4:1080\"" "$T/st.json"
tap_ok $? "--json writes / unescaped (socks5://...)" || diag_file "$T/st.json"
"$PYTHON" - "$T/st.json" <<-'PY'
	import json, sys
	d = json.load(open(sys.argv[1]))
	assert set(d) >= {"version", "pid", "subjects"}, sorted(d)
	# Every key (and its JSON type) status --json had before the text changed.
	old = {"profile": str, "kind": str, "chain": list, "applied": bool, "dns": str,
	       "udp": str, "connections": int, "connections_total": int,
	       "connections_failed": int, "bytes_up": int, "bytes_down": int, "udp_flows": int,
	       "udp_flows_total": int, "udp_flows_failed": int, "udp_dgrams_up": int,
	       "udp_dgrams_down": int}
	nullable = {"netns", "pid", "udp_why", "error"}
	for s in d["subjects"]:
	    for k, t in old.items():
	        assert isinstance(s.get(k), t), (k, s.get(k))
	    for k in nullable:
	        assert k in s, k
	    named = s["kind"] == "named"
	    assert (s["netns"] is not None) == named and (s["pid"] is not None) != named, s
	    assert (s["error"] is None) == s["applied"], s
PY
tap_ok $? "--json keeps every key, type and null it had"

sanitizer_clean
tap_done
