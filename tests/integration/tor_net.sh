# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# tor_net.sh - a private Tor network in throwaway namespaces (sourced after
# lib.sh, never run).  Everything is Debian's tor: three directory
# authorities made with tor-gencert, two middle relays, one exit, one onion
# service in front of the world server, and a client tor, all with
# TestingTorNetwork 1 and voting intervals of seconds, so the network is
# usable some 10-40 s after the start.
#
#                      [W ${PFX}w: world.py 203.0.113.10:80,8001..8004; dnsmasq :53]
#                          | 203.0.113.10/24
#                          | 203.0.113.1/24
#   [R ${PFX}r: bridge br0 198.51.100.1/24, forwards between br0 and W]
#     br0 | each namespace below has one veth into br0
#   a1 a2 a3 .11-.13   directory authorities (also relays, exit policy reject *)
#   r1 r2    .21-.22   middle relays
#   x1       .31       the exit (accept *:*)
#   hs       .41       onion service: port 80 -> 203.0.113.10:80
#   c        .51       client tor: SocksPort .51:9050, ControlPort 127.0.0.1:9051 and .51:9051
#   H        .60       netnsp's daemon (and the tor it manages); no default route
#   d        .70       danted :1080 (a proxy that is not Tor)
#
# Relays, authorities and the onion service route via R; c, H and d have
# only the 198.51.100.0/24 link, so W is reachable from them through Tor alone.
# Network rule: only 198.51.100.0/24 and 203.0.113.0/24, only in these namespaces.

TN_NODES="a1 a2 a3 r1 r2 x1 hs c"
declare -A TN_IP=([a1]=198.51.100.11 [a2]=198.51.100.12 [a3]=198.51.100.13
	[r1]=198.51.100.21 [r2]=198.51.100.22 [x1]=198.51.100.31 [hs]=198.51.100.41
	[c]=198.51.100.51 [h]=198.51.100.60 [d]=198.51.100.70)
TN_W4=203.0.113.10
TN_DIR=''      # keys, torrcs, data dirs, logs
TN_DIRAUTH=''  # file with the three DirAuthority lines
TN_COMMON=''   # file with the lines every tor of the network needs (the managed one too)

tn_ns() { echo "${PFX}$1"; }

tn_link() { # tn_link NODE: veth from NODE's namespace into br0
	local ns=$1 node=$2
	ip link add name "tv$node" netns "$(tn_ns r)" type veth peer name eth0 netns "$ns" || return 1
	nsx "$(tn_ns r)" ip link set "tv$node" master br0 up &&
		nsx "$ns" ip link set eth0 up &&
		nsx "$ns" ip addr add "${TN_IP[$node]}/24" dev eth0
}

tn_topology() {
	local n
	ns_add "$(tn_ns r)" && ns_add "$NS_W" && ns_add "$NS_H" || return 1
	nsx "$(tn_ns r)" ip link add br0 type bridge &&
		nsx "$(tn_ns r)" ip addr add 198.51.100.1/24 dev br0 &&
		nsx "$(tn_ns r)" ip link set br0 up &&
		nsx "$(tn_ns r)" sysctl -qw net.ipv4.ip_forward=1 || return 1
	veth "$(tn_ns r)" tw "$NS_W" eth0 &&
		addr "$(tn_ns r)" tw 203.0.113.1/24 &&
		addr "$NS_W" eth0 "$TN_W4/24" &&
		nsx "$NS_W" ip route add 198.51.100.0/24 via 203.0.113.1 || return 1
	for n in $TN_NODES d; do
		ns_add "$(tn_ns "$n")" && tn_link "$(tn_ns "$n")" "$n" || return 1
	done
	tn_link "$NS_H" h || return 1
	for n in a1 a2 a3 r1 r2 x1 hs; do
		nsx "$(tn_ns "$n")" ip route add default via 198.51.100.1 || return 1
	done
}

# Keys: an authority identity and signing key per authority (tor-gencert),
# relay identity keys for every relay (tor --list-fingerprint, whose stdout
# also carries log lines: the fingerprint is read from the file it writes).
tn_keys() {
	local n ip v3 fp
	: >"$TN_DIRAUTH"
	for n in a1 a2 a3; do
		ip=${TN_IP[$n]}
		mkdir -p "$TN_DIR/$n/keys" && chmod 700 "$TN_DIR/$n"
		(cd "$TN_DIR/$n/keys" && echo | tor-gencert --create-identity-key -m 12 \
			-a "$ip:7000" --passphrase-fd 0 >/dev/null 2>&1) || return 1
		v3=$(awk '/^fingerprint /{print $2}' "$TN_DIR/$n/keys/authority_certificate")
		tor --defaults-torrc /dev/null -f /dev/null --ignore-missing-torrc --list-fingerprint \
			--DataDirectory "$TN_DIR/$n" --ORPort 5000 --Nickname "$n" \
			--DirAuthority "x orport=5000 no-v2 v3ident=$v3 $ip:7000 0000000000000000000000000000000000000000" \
			>/dev/null 2>&1 || return 1
		fp=$(awk '{print $2}' "$TN_DIR/$n/fingerprint")
		[ -n "$v3" ] && [ -n "$fp" ] || return 1
		echo "DirAuthority $n orport=5000 no-v2 v3ident=$v3 $ip:7000 $fp" >>"$TN_DIRAUTH"
	done
}

tn_common() { # the lines every tor here needs, the managed one included
	cat "$TN_DIRAUTH"
	cat <<-EOF
		TestingTorNetwork 1
		AssumeReachable 1
		ShutdownWaitLength 0
		ContactInfo netnsp-test
		PathsNeededToBuildCircuits 0.25
		TestingDirAuthVoteExit *
		TestingDirAuthVoteGuard *
		TestingDirAuthVoteHSDir *
		TestingMinExitFlagThreshold 0
		V3AuthNIntervalsValid 2
	EOF
}

tn_torrc() { # tn_torrc NODE: its torrc on stdout
	local n=$1 ip=${TN_IP[$1]}
	echo "%include $TN_COMMON"
	echo "DataDirectory $TN_DIR/$n"
	echo "Nickname $n"
	echo "Log notice file $TN_DIR/$n.log"
	case $n in
	a*) cat <<-EOF ;;
		Address $ip
		ORPort $ip:5000
		DirPort $ip:7000
		SocksPort 0
		AuthoritativeDirectory 1
		V3AuthoritativeDirectory 1
		ExitPolicy reject *:*
		TestingV3AuthInitialVotingInterval 5
		TestingV3AuthInitialVoteDelay 2
		TestingV3AuthInitialDistDelay 2
		TestingV3AuthVotingStartOffset 0
		V3AuthVotingInterval 10
		V3AuthVoteDelay 2
		V3AuthDistDelay 2
	EOF
	r*) cat <<-EOF ;;
		Address $ip
		ORPort $ip:5000
		DirPort $ip:7000
		SocksPort 0
		ExitRelay 0
		ExitPolicy reject *:*
	EOF
	x*) cat <<-EOF ;;
		Address $ip
		ORPort $ip:5000
		DirPort $ip:7000
		SocksPort 0
		ExitRelay 1
		ExitPolicy accept *:*
	EOF
	hs) cat <<-EOF ;;
		SocksPort 0
		HiddenServiceDir $TN_DIR/hs/svc
		HiddenServicePort 80 $TN_W4:80
	EOF
	c) cat <<-EOF ;;
		SocksPort $ip:9050
		SocksPolicy accept 198.51.100.0/24
		ControlPort 127.0.0.1:9051
		ControlPort $ip:9051
		CookieAuthentication 1
		ConfluxEnabled 0
	EOF
	esac
}

tn_start() { # build everything and start the tors (direct children, killed at cleanup)
	local n
	TN_DIR=$T/tornet
	TN_DIRAUTH=$TN_DIR/dirauth
	TN_COMMON=$TN_DIR/common
	mkdir -m 0700 "$TN_DIR" || return 1
	tn_topology || return 1
	tn_keys || return 1
	tn_common >"$TN_COMMON"
	for n in $TN_NODES; do
		mkdir -p "$TN_DIR/$n" && chmod 700 "$TN_DIR/$n"
		tn_torrc "$n" >"$TN_DIR/$n.torrc"
		bg nsx "$(tn_ns "$n")" tor --defaults-torrc /dev/null -f "$TN_DIR/$n.torrc" \
			--RunAsDaemon 0 >/dev/null 2>>"$TN_DIR/$n.err"
	done
}

tn_onion() { cat "$TN_DIR/hs/svc/hostname" 2>/dev/null; } # the onion service's name

tn_ctl() { # tn_ctl COMMAND...: one exchange with the client tor's control port; reply on stdout
	nsx "$(tn_ns c)" "$PYTHON" - "$TN_DIR/c/control_auth_cookie" "$@" <<-'PY'
		import socket, sys
		cookie = open(sys.argv[1], "rb").read().hex()
		s = socket.create_connection(("127.0.0.1", 9051), timeout=5)
		f = s.makefile("rwb")
		def cmd(line):
		    f.write(line.encode() + b"\r\n"); f.flush()
		    out = []
		    while True:
		        l = f.readline().decode()
		        if not l:
		            break
		        out.append(l.rstrip("\r\n"))
		        if l[:3].isdigit() and l[3] == " ":
		            break
		    return out
		a = cmd("AUTHENTICATE " + cookie)
		if not a or not a[-1].startswith("250"):
		    sys.exit("auth: %s" % a)
		for c in sys.argv[2:]:
		    print("\n".join(cmd(c)))
		cmd("QUIT")
	PY
}

tn_client_bootstrapped() { tn_ctl "GETINFO status/bootstrap-phase" 2>/dev/null | grep -q 'PROGRESS=100'; }

# tn_wait SECONDS CMD...: retry CMD every 0.5 s until it succeeds or time is up.
tn_wait() {
	local end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.5
	done
	return 1
}
