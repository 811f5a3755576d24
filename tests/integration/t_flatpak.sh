#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_flatpak.sh - `[flatpak] APP-ID = PROFILE`: the daemon watches Flatpak
# instance dirs (NETNSP_FLATPAK_ROOT=DIR instead of /run/user; layout
# DIR/UID/.flatpak/INSTANCE/{info,bwrapinfo.json}).  Simulated instances:
#   - root's instance of a listed app, no network in [Context] shared=:
#     attached (log line), a Pid subject that proxies; collected when it exits;
#   - an instance with shared=network;: refused, the log names
#     `flatpak override --unshare=network APP-ID`;
#   - uid 65534's instance (its own dir, its own `unshare -rn` process):
#     attached;
#   - ownership mismatches (dir not owned by the UID; process not owned by the
#     UID): not attached;
#   - an app not listed: ignored.
#
#   [I1 root: unshare -n sleep]  [I3 uid 65534: unshare -rn sleep]  ...
#        ^ setns (daemon, via /proc/PID/ns/net)
#   [H: netnsp daemon, NETNSP_FLATPAK_ROOT=$T/fp]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks unshare setpriv

topo_p1_up

FP=$T/fp
U=65534
mkdir -p "$FP/0/.flatpak" "$FP/$U/.flatpak"
chmod 0700 "$FP/0"
chown -R "$U:$U" "$FP/$U"
export NETNSP_FLATPAK_ROOT=$FP

fp_conf org.example.App org.example.Shared org.example.User >"$CONF"
daemon_up

instance() { fp_instance "$FP" "$@"; } # instance UID INSTANCE APP SHARED PID [OWNER]

# ------------------------------------------------------------ root's instance
bg unshare -n sleep 600
I1=$LAST_PID
wait_until 5 own_netns "$I1" || bail "unshare -n"
fp_attach_ok "root instance" "$FP" 0 1111 org.example.App "$I1"
is "$(pid_kind "$I1")" pid "root instance: status kind pid"
is "$(status_json_q "[s['profile'] for s in d['subjects'] if s.get('pid') == $I1]")" '["fp"]' \
	"root instance: under profile fp"
is "$(via_ns_client -t "$I1" -n)" "client=$P1_W4" "root instance: TCP goes through P1"

# ------------------------------------------------------------ network shared
bg unshare -n sleep 600
I2=$LAST_PID
wait_until 5 own_netns "$I2" || bail "unshare -n"
log_mark
instance 0 2222 org.example.Shared "network;ipc;" "$I2"
wait_log "flatpak override (--user )?--unshare=network org\.example\.Shared" 10
tap_ok $? "shared=network: refused, the log names 'flatpak override --unshare=network org.example.Shared'" ||
	diag_file "$T/daemon.log" 5
is "$(pid_kind "$I2")" none "shared=network: no subject for its pid"

# ------------------------------------------------------------ a user's instance
bg setpriv --reuid=$U --regid=$U --clear-groups unshare -rn sleep 600
I3=$LAST_PID
wait_until 5 own_netns "$I3" || bail "unshare -rn as $U"
fp_attach_ok "uid $U instance" "$FP" "$U" 3333 org.example.User "$I3"
is "$(via_ns_client -t "$I3" -n)" "client=$P1_W4" "uid $U instance: TCP goes through P1"

# ------------------------------------------------------------ ownership mismatches, unlisted app
bg unshare -n sleep 600
I4=$LAST_PID
bg unshare -n sleep 600
I5=$LAST_PID
bg setpriv --reuid=$U --regid=$U --clear-groups unshare -rn sleep 600
I6=$LAST_PID
wait_until 5 own_netns "$I4" && wait_until 5 own_netns "$I5" && wait_until 5 own_netns "$I6" ||
	bail "unshare"
instance $U 4444 org.example.App "ipc;" "$I4" 0   # dir owned by root, not by $U
instance $U 5555 org.example.App "ipc;" "$I5"     # dir $U's, process root's
instance $U 6666 org.example.Other "ipc;" "$I6"   # not listed in [flatpak]
sleep 3
is "$(pid_kind "$I4")" none "instance dir not owned by its UID: not attached"
is "$(pid_kind "$I5")" none "child pid not owned by the instance's UID: not attached"
is "$(pid_kind "$I6")" none "an app not listed in [flatpak]: not attached"

# ------------------------------------------------------------ collection
pid_collected_ok "the root instance exits" "$I1"
is "$(pid_kind "$I3")" pid "the uid $U instance is still a subject"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
