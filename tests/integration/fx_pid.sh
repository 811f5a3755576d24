# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# fx_pid.sh - Pid subject fixtures (sourced by lib.sh, never run): processes
# with a network namespace of their own, what status says of their subject,
# root-made routed namespaces, Flatpak instance files.

own_netns() { # own_netns PID: PID's network namespace is not the test's own
	[ "$(readlink "/proc/$1/ns/net")" != "$(readlink /proc/self/ns/net)" ]
}

pid_subject() { # pid_subject PID KEY: one field of the Pid subject of PID in status
	status_json_q "[s.get('$2') for s in d['subjects'] if s.get('pid') == $1][0]" 2>/dev/null
}

pid_applied() { [ "$(pid_subject "$1" applied)" = true ]; } # pid_applied PID

pid_kind() { # pid_kind PID: the status kind of PID's subject, "none" if it has none
	status_json_q "[s.get('kind') for s in d['subjects'] if s.get('pid') == $1] or ['none']" |
		tr -d '[]" '
}

# routed_ns NS PEER: root-managed namespaces as `ip netns add` makes them: NS
# has a veth v0 to PEER (r0) and default routes over it (v4 and v6).
#   [NS: v0 198.51.100.130/26 2001:db8:5::2/64, default via r0] -- [PEER: r0 .129, 2001:db8:5::1]
ROUTED_GW4=198.51.100.129
ROUTED_GW6=2001:db8:5::1
routed_ns() {
	ns_add "$1" && ns_add "$2" && veth "$1" v0 "$2" r0 &&
		addr "$1" v0 198.51.100.130/26 2001:db8:5::2/64 &&
		addr "$2" r0 "$ROUTED_GW4/26" "$ROUTED_GW6/64" &&
		nsx "$1" ip route add default via "$ROUTED_GW4" dev v0 &&
		nsx "$1" ip -6 route add default via "$ROUTED_GW6" dev v0
}

# ns_snapshot NS: links (names), rules, every route of every table, nft ruleset
ns_snapshot() {
	ip -n "$1" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort
	ip -n "$1" -4 rule show; ip -n "$1" -6 rule show
	ip -n "$1" -4 route show table all; ip -n "$1" -6 route show table all | grep -v '^local\|^multicast\|fe80::/64'
	nsx "$1" nft list ruleset
}

# fp_instance ROOT UID INSTANCE APP SHARED PID [OWNER]: a Flatpak instance dir
# ROOT/UID/.flatpak/INSTANCE, info then bwrapinfo.json (the order flatpak
# uses), owned by OWNER (default UID).
fp_instance() {
	local root=$1 uid=$2 inst=$3 app=$4 shared=$5 pid=$6 owner=${7:-$2}
	local d="$root/$uid/.flatpak/$inst"
	mkdir -p "$d"
	cat >"$d/info" <<-EOF2
		[Application]
		name=$app
		runtime=runtime/org.example.Platform/x86_64/1

		[Instance]
		instance-id=$inst
		app-path=/nonexistent

		[Context]
		shared=$shared
		sockets=wayland;
	EOF2
	chown -R "$owner:$owner" "$d"
	printf '{\n  "child-pid": %d\n}\n' "$pid" >"$d/bwrapinfo.json.tmp"
	chown "$owner:$owner" "$d/bwrapinfo.json.tmp"
	mv "$d/bwrapinfo.json.tmp" "$d/bwrapinfo.json"
}


# fp_conf APP-ID...: the config of the Flatpak tests: proxy p1, profile fp
# through it, and each APP-ID mapped to fp in [flatpak].
fp_conf() {
	local app
	conf_p1 fp
	printf '\n[flatpak]\n'
	for app in "$@"; do printf '%s = fp\n' "$app"; done
}

# fp_attach_ok LABEL ROOT UID INSTANCE APP PID: write the instance (shared
# "ipc;"), then two test points: the daemon logs that it attached PID to fp,
# and PID's Pid subject is applied.
fp_attach_ok() {
	local label=$1 inst=$4 app=$5 pid=$6
	log_mark
	fp_instance "$2" "$3" "$inst" "$app" "ipc;" "$pid"
	wait_log "flatpak: ${app//./\\.} instance $inst \(pid $pid\) attached to fp" 10
	tap_ok $? "$label: attached (logged)" || diag_file "$T/daemon.log" 5
	wait_until 10 pid_applied "$pid"
	tap_ok $? "$label: a Pid subject, applied"
}

# pid_collected_ok LABEL PID: kill -9 PID; one test point: the daemon logs
# that PID exited and collected its subject (the pidfd event, not a later
# sweep, which says "is gone"), and neither status nor the state file lists
# it any more, within 10 s (generous on a busy machine: the event itself is
# at once; the time taken is reported).
pid_collected_ok() {
	local label=$1 pid=$2 t0 rc ms
	log_mark
	kill -KILL "$pid"
	t0=$(now_ms)
	_pid_gone() {
		[ "$(status_json_q "len([s for s in d['subjects'] if s.get('pid') == $pid])")" = 0 ] &&
			[ "$(state_q "len([s for s in p if s['pid'] == $pid])")" = 0 ]
	}
	wait_log "pid $pid exited; subject collected" 10 && wait_until 10 _pid_gone
	rc=$?
	ms=$(($(now_ms) - t0))
	tap_ok "$rc" "$label: collected from status and state after the process exits ($ms ms)" ||
		diag_file "$T/daemon.log" 5
}
