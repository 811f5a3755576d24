# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# fx_topo.sh - shared set-ups on lib.sh's topology (sourced by lib.sh, never
# run): the topology with its usual servers in one call, more service
# addresses in W, and the config sections most tests write.

topo_world_up() { # topo_world_up: topo_setup and world.py, or bail
	topo_setup || bail "topology setup failed"
	start_world || bail "world server did not start"
}

topo_p1_up() { # topo_p1_up: topo_world_up and microsocks :1080 in P1, or bail
	topo_world_up
	start_microsocks "$NS_P1" 1080 || bail "microsocks"
}

# w_service ADDR [FROM_NS...]: ADDR (v4 or v6) on W's lo, with a route to it
# from each FROM_NS (P1 or P2) over that namespace's link to W (w_route).
w_service() {
	addr "$NS_W" lo "$1/$(case $1 in *:*) echo 128 ;; *) echo 32 ;; esac)" && w_route "$@"
}

w_route() { # w_route ADDR FROM_NS...: the route to ADDR in W from each FROM_NS
	local a=$1 ns via
	shift
	for ns in "$@"; do
		case $ns:$a in
		"$NS_P1":*:*) via=2001:db8:3::2 ;;
		"$NS_P1":*) via=203.0.113.2 ;;
		"$NS_P2":*:*) via=2001:db8:4::2 ;;
		"$NS_P2":*) via=203.0.113.66 ;;
		*) return 1 ;;
		esac
		nsx "$ns" ip route add "$a" via "$via" || return 1
	done
}

# ---------------------------------------------------------------- config

# conf_proxy NAME URL [LINE...]: a [proxy] section (a blank line before it).
conf_proxy() {
	local name=$1 url=$2
	shift 2
	printf '\n[proxy %s]\nurl = %s\n' "$name" "$url"
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# conf_profile NAME VIA [LINE...]: a [profile] section through VIA in the
# subject namespace the test owns (subject_ns), `dns = off` unless a LINE sets
# dns; each LINE as it is (a blank line before the section).
conf_profile() {
	local name=$1 via=$2 dns='dns = off'
	shift 2
	printf '%s\n' "$@" | grep -q '^dns *=' && dns=''
	printf '\n[profile %s]\nvia = %s\nnetns = %s\n' "$name" "$via" "$(subject_ns "$name")"
	[ -z "$dns" ] || echo "$dns"
	[ $# -eq 0 ] || printf '%s\n' "$@"
}

# conf_p1 PROFILE...: print a config with proxy p1 (P1's microsocks on :1080)
# and each PROFILE through it, dns off: the setup many tests start from.
conf_p1() {
	local p
	conf_proxy p1 "socks5://$P1_H4:1080"
	for p in "$@"; do conf_profile "$p" p1; done
}

# conf_exec FILE USERS PROFILE...: a config with proxy p1 (P1's microsocks on
# :1080) and each PROFILE through it, dns off, `users = USERS`; mode 0644.
conf_exec() {
	local f=$1 users=$2 p
	shift 2
	{
		conf_proxy p1 "socks5://$P1_H4:1080"
		for p in "$@"; do conf_profile "$p" p1 "users = $users"; done
	} >"$f"
	chmod 0644 "$f"
}

# ---------------------------------------------------------------- setuid exec

NOBODY=65534 # the uid the setuid exec tests list in `users`

# suid_bed_up: what the setuid exec tests stand on: the setuid copy
# (suid_setup), a throwaway user TU (user_add) and topo_p1_up; bails if any fails.
suid_bed_up() {
	suid_setup
	user_add
	topo_p1_up
}
