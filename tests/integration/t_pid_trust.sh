#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_pid_trust.sh - a Flatpak instance written by an unprivileged user is
# attached only if its network namespace is that user's own: owned by a user
# namespace the user owns (what bwrap --unshare-user makes), with no path
# under /run/netns and no interface but lo.  A throwaway user U first gets
# its own `unshare -rn` sandbox attached (the feature works), then writes
# instance files naming
#   - a process of U inside V, a namespace root made with `ip netns add`
#     (veth v0 to R, default routes): refused, and V's links, rules, routes
#     and nft ruleset are exactly what they were;
#   - U's own namespace that root also bind-mounted under /run/netns: refused;
#   - U's own namespace holding a veth pair U made: refused.
#
#   [I1 U: unshare -rn sleep]  [V ${PFX}v: setpriv U sleep] -- v0/r0 -- [R ${PFX}r]
#        ^ setns (daemon)        ^ must NOT be touched         default via r0
#   [H: netnsp daemon, NETNSP_FLATPAK_ROOT=$T/fp]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"]
. "$(dirname "$0")/lib.sh"
lib_init microsocks unshare setpriv useradd userdel nft

topo_p1_up

user_add
USR=$TU U=$TU_UID G=$TU_GID
AS_U=(setpriv --reuid="$U" --regid="$G" --clear-groups) # exec chain: $! is the program
# userdel refuses a user with processes; cleanups run last-registered first.
U_PIDS=()
at_cleanup 'kill -KILL "${U_PIDS[@]}"; wait "${U_PIDS[@]}"'
ubg() { bg "$@"; U_PIDS+=("$LAST_PID"); } # ubg CMD...: bg for a process of U

FP=$T/fp
mkdir -p "$FP/$U/.flatpak"
chown -R "$U:$G" "$FP/$U"
chmod 0700 "$FP/$U"
export NETNSP_FLATPAK_ROOT=$FP

fp_conf org.example.App >"$CONF"
daemon_up

instance() { fp_instance "$FP" "$U" "$@"; } # instance INSTANCE APP SHARED PID

# refused LABEL INSTANCE PID: the daemon logs a refusal for the instance, no subject.
refused() {
	local label=$1 inst=$2 pid=$3
	log_mark
	instance "$inst" org.example.App "ipc;" "$pid"
	wait_log "flatpak: org.example.App instance $inst" 10
	log_since | grep -E "instance $inst: .*(refus|not)" >"$T/refusal.log"
	tap_ok $? "$label: refused with a log line ($(head -c 300 "$T/refusal.log"))" ||
		{ log_since >"$T/since.log"; diag_file "$T/since.log" 5; }
	sleep 0.5
	is "$(pid_kind "$pid")" none "$label: no subject for pid $pid"
}

# ------------------------------------------------------------ U's own sandbox: attached
ubg "${AS_U[@]}" unshare -rn sleep 600
I1=$LAST_PID
wait_until 5 own_netns "$I1" || bail "unshare -rn as $USR"
fp_attach_ok "U's own user+net namespace" "$FP" "$U" 1111 org.example.App "$I1"
is "$(via_ns_client -t "$I1" -n)" "client=$P1_W4" "U's own namespace: TCP goes through P1"

# ------------------------------------------------------------ a root-managed namespace
V=${PFX}v
routed_ns "$V" "${PFX}r" || bail "namespace $V"
ns_snapshot "$V" >"$T/v.before"
grep -q 'default via' "$T/v.before" || bail "no default route in $V"
ubg nsx "$V" "${AS_U[@]}" sleep 600
I2=$LAST_PID
wait_until 5 own_netns "$I2" || bail "sleep in $V"
is "$(stat -c %U "/proc/$I2")" "$USR" "the process in $V is U's"
refused "U's process in a root-made namespace" 2222 "$I2"
grep -q 'user namespace' "$T/refusal.log"
tap_ok $? "the refusal says the namespace is not owned by U's user namespace"
ns_snapshot "$V" >"$T/v.after"
diff -u "$T/v.before" "$T/v.after" >"$T/v.diff"
tap_ok $? "$V: links, rules, routes and nft ruleset untouched" || diag_file "$T/v.diff"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"

# ------------------------------------------------------------ U's namespace, but under /run/netns
ubg "${AS_U[@]}" unshare -rn sleep 600
I3=$LAST_PID
wait_until 5 own_netns "$I3" || bail "unshare -rn as $USR"
B=/run/netns/${PFX}b
touch "$B" && mount --bind "/proc/$I3/ns/net" "$B" || bail "bind mount $B"
refused "U's namespace with a path under /run/netns" 3333 "$I3"
grep -q "/run/netns" "$T/refusal.log"
tap_ok $? "the refusal names /run/netns"

# ------------------------------------------------------------ U's namespace holding a veth
ubg "${AS_U[@]}" unshare -rn sh -c 'ip link add fx0 type veth peer name fx1 && exec sleep 600'
I4=$LAST_PID
has_fx0() { ip -n "$1" link show fx0 >/dev/null 2>&1 || nsenter -t "$1" -n ip link show fx0 >/dev/null 2>&1; }
wait_until 5 has_fx0 "$I4" || bail "veth in U's namespace"
refused "U's namespace holding a veth it made" 4444 "$I4"
grep -q "fx[01]" "$T/refusal.log"
tap_ok $? "the refusal names the interface"

is "$(pid_kind "$I1")" pid "U's own sandbox is still a subject"
sanitizer_clean
tap_done
