#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_crash.sh - kill -9 of the daemon in the middle of applying 20 profiles,
# several times at different moments (a few ms to a few hundred ms after
# start), then a restart that converges: every subject applied, exactly the
# 20 namespaces, unique ids, no state file set aside (the Derivative is
# written atomically), each subject proxies; with the daemon killed again a
# connect in every subject is refused at once (nothing leaks).
#
#   [S k01..k20: curl via `netnsp exec` / nsenter]   no link
#        ^ setns
#   [H: netnsp daemon (killed -9 repeatedly)]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks

topo_p1_up

N=20
PROFS=$(seq -f 'k%02g' 1 $N)
{
	printf '[proxy p1]\nurl = socks5://%s:1080\n' "$P1_H4"
	for p in $PROFS; do
		printf '\n[profile %s]\nvia = p1\nnetns = %s\ndns = off\n' "$p" "$(subject_ns "$p")"
	done
} >"$CONF"

for delay in 0.005 0.02 0.05 0.1 0.2 0.4 0.03 0.8; do
	start_daemon
	sleep "$delay"
	kill9_daemon
done
n_ns=$(ls /run/netns | grep -c "^${PFX}k")
diag "after the kills: $n_ns of $N namespaces exist, state: $(head -c 80 "$T/state/state.json" 2>&1 | tr '\n' ' ')"

restart_ready "restart after 8 kill -9 during apply: every subject applied" 30
is "$(status_json_q "len([s for s in d['subjects'] if s['applied']])")" "$N" "status: $N subjects applied"
is "$(ls /run/netns | grep -c "^${PFX}k")" "$N" "exactly $N subject namespaces exist"
is "$(state_q "len(set(s['id'] for s in d['subjects']))")" "$N" "state: $N entries with unique ids"
is "$(ls "$T/state" | grep -c corrupt)" 0 "no state file was set aside (atomic writes)"
ok_all=0
for p in $PROFS; do
	body=$(curl_world "$p" "http://$W4/" 2>>"$T/curl.err")
	[ "$body" = "client=$P1_W4" ] || { ok_all=1; diag "$p: got '$body'"; }
	up=$(ns_uplink4 "$(subject_ns "$p")")
	[ "$up" = "$(id_uplink4 "$(state_id "$p")")" ] || { ok_all=1; diag "$p: uplink '$up'"; }
done
tap_ok $ok_all "every subject proxies through P1 and has the uplink address of its id"

kill9_daemon
bad=0
for p in $PROFS; do
	t0=$(now_ms)
	nsenter --net="/run/netns/$(subject_ns "$p")" curl -gsS --max-time 5 "http://$W4/" \
		>/dev/null 2>"$T/r.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ "$rc" -eq 0 ] || [ "$ms" -ge 1000 ] || ! grep -q 'refused\|Couldn.t connect' "$T/r.err"; then
		bad=1
		diag "$p: rc $rc after $ms ms: $(cat "$T/r.err")"
	fi
done
tap_ok $bad "daemon killed: a connect in each of the $N subjects is refused at once"

restart_ready "restart after the last kill: every subject applied" 30
expect_client k07 "http://$W4/" "$P1_W4" "k07 proxies after the restart"
sanitizer_clean
tap_done
