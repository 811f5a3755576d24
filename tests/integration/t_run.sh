#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_run.sh - `netnsp run` as an unprivileged throwaway user: no daemon, no
# setuid bit, no config.  Names are resolved by the proxy (P1's own hosts
# file), a static binary (busybox wget) goes through the chain too, raw UDP
# and ICMP leave nothing on H's side (nft counters on the user's packets in
# H), CMD's exit status is passed through, and nothing is left when CMD
# exits or is killed.  Also: the one-line message naming the sysctl when
# the kernel refuses user namespaces.
#
#   [S: user ns (U -> 0) + net ns made by `netnsp run`; CMD in a nested user ns as U]
#        ^ relay inside; upstream sockets from the broker in H
#   [H: setpriv --reuid=U netnsp run --via socks5://198.51.100.2:1080 -- CMD]
#        socat 127.0.0.1:1081 -> 198.51.100.2:1080 (a proxy on the caller's loopback)
#        | h0 198.51.100.1/26   nft: count U's packets other than to P1:1080 (or socat)
#        | p0 198.51.100.2/26
#   [P1: microsocks :1080; /etc/netns/P1/hosts: world.example = 203.0.113.100]
#        | w1 203.0.113.1/26   | p2 198.51.100.65/26 -- q0 198.51.100.66/26 [P2: microsocks :1080]
#        |                     (P2 reaches W by w2 203.0.113.65; used by the --via chain)
#   [W: world.py 203.0.113.100:80 (says who connected)]
. "$(dirname "$0")/lib.sh"
lib_init microsocks setpriv useradd userdel nft python3 socat

[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' && BB=/bin/busybox || BB=
RUSER=nspr$$
useradd --system --no-create-home --shell /usr/sbin/nologin "$RUSER" || bail "useradd $RUSER"
at_cleanup "pkill -KILL -u '$RUSER'; userdel '$RUSER'"
RUID=$(id -u "$RUSER")
RGID=$(id -g "$RUSER")

mkdir -p "/etc/netns/$NS_P1" && at_cleanup "rm -rf '/etc/netns/$NS_P1'"
printf '127.0.0.1 localhost\n%s world.example\n' "$W4" >"/etc/netns/$NS_P1/hosts"
topo_p1_up
start_microsocks "$NS_P2" 1080 || bail "microsocks in P2"

VIA=socks5://$P1_H4:1080
urun() { # urun CMD...: netnsp run as the throwaway user inside H
	nsx "$NS_H" setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- \
		"$NETNSP" run --via "$VIA" -- "$@"
}

# Every packet of the user's sockets that leaves H, other than to the proxy.
nsx "$NS_H" nft -f - <<NFT || bail "nft counters in H"
table inet nsprun {
	counter proxy {}
	counter other {}
	chain out {
		type filter hook output priority 0;
		meta skuid $RUID ip daddr $P1_H4 tcp dport 1080 counter name proxy accept
		meta skuid $RUID ip daddr 127.0.0.1 tcp dport 1081 counter name proxy accept
		meta skuid $RUID counter name other
	}
}
NFT
counter() { nsx "$NS_H" nft list counter inet nsprun "$1" | awk '/packets/ {print $2}'; }

# 1. By name, resolved by the proxy: H cannot resolve world.example itself.
nsx "$NS_H" getent hosts world.example >/dev/null && bail "H resolves world.example"
body=$(urun curl -sS --max-time 8 http://world.example/ 2>"$T/curl.err")
is "$body" "client=$P1_W4" "curl http://world.example/ by name: the world saw the proxy" ||
	diag_file "$T/curl.err"
ident=$(urun id -u)
is "$ident" "$RUID" "CMD runs with the caller's own uid"

# A chain of two (--via repeated): the last hop, P2, is the one the world sees.
body=$(nsx "$NS_H" setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- "$NETNSP" run \
	--via "$VIA" --via "socks5://$P2_P4:1080" -- curl -sS --max-time 8 "http://$W4/" 2>"$T/chain.err")
is "$body" "client=$P2_W4" "--via twice: a chain through P1 then P2" || diag_file "$T/chain.err"

# A proxy on the caller's loopback (like Tor on 127.0.0.1:9050): socat in H forwards
# 127.0.0.1:1081 to P1's microsocks; the relay's upstream sockets are the caller's.
bg nsx "$NS_H" socat TCP-LISTEN:1081,bind=127.0.0.1,reuseaddr,fork "TCP:$P1_H4:1080"
wait_port "$NS_H" 127.0.0.1 1081 || bail "socat in H"
body=$(nsx "$NS_H" setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- "$NETNSP" run \
	--via socks5h://127.0.0.1:1081 -- curl -sS --max-time 8 http://world.example/ 2>"$T/lo.err")
is "$body" "client=$P1_W4" "a proxy on the caller's 127.0.0.1 is reached from the relay" ||
	diag_file "$T/lo.err"

# --profile: a profile of a config the user can read.
mkdir -p "$T/conf" && chmod 0711 "$T" && chmod 0755 "$T/conf"
printf '[proxy p1]\nurl = %s\n[profile rp]\nvia = p1\n' "$VIA" >"$T/conf/run.conf"
chmod 0644 "$T/conf/run.conf"
body=$(nsx "$NS_H" setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- "$NETNSP" \
	--config "$T/conf/run.conf" run --profile rp -- curl -sS --max-time 8 http://world.example/ 2>"$T/prof.err")
is "$body" "client=$P1_W4" "--profile: the config's profile, by name through P1" || diag_file "$T/prof.err"

# 2. A static binary: no LD_PRELOAD could catch it.
if [ -n "$BB" ]; then
	# (not -T: busybox 1.x wget crashes with it, also outside netnsp)
	body=$(urun timeout 10 "$BB" wget -q -O - http://world.example/ 2>"$T/wget.err")
	is "$body" "client=$P1_W4" "static busybox wget by name goes through the proxy" ||
		diag_file "$T/wget.err"
else
	skip "no statically linked /bin/busybox (busybox-static)" "static busybox wget"
fi

# 3. Raw UDP and ICMP: nothing of the user's leaves H except to the proxy.
proxy_before=$(counter proxy)
urun python3 -c '
import socket
for a in ("203.0.113.100", "198.51.100.2", "8.8.8.8"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.sendto(b"leak?", (a, 9))
    except OSError as e:
        print("udp", a, e)
for a in ("203.0.113.100", "198.51.100.2"):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        s.sendto(b"\x08\x00\xf7\xff\x00\x00\x00\x00", (a, 0))
    except OSError as e:
        print("icmp", a, e)
' >"$T/udp.out" 2>&1
[ -n "$BB" ] && urun "$BB" ping -c 1 -W 1 "$W4" >>"$T/udp.out" 2>&1
urun curl -sS --max-time 8 -o /dev/null "http://$W4/" 2>>"$T/udp.out"
sleep 0.5
other=$(counter other)
proxy_after=$(counter proxy)
tap_ok "$([ "$proxy_after" -gt "$proxy_before" ] && echo 0 || echo 1)" \
	"the counter sees the user's relayed traffic to the proxy ($proxy_before -> $proxy_after)"
is "$other" "0" "raw UDP, ICMP and everything else of the user's: no packet leaves H" ||
	diag_file "$T/udp.out"

# 4. Exit status passed through, shell-style.
urun true
is "$?" 0 "exit 0 passed through"
urun sh -c 'exit 3'
is "$?" 3 "exit 3 passed through"
urun sh -c 'kill -9 $$'
is "$?" 137 "a command killed by SIGKILL gives 137"
urun /nonexistent/cmd 2>"$T/nx.err"
is "$?" 127 "a missing command gives 127" || diag_file "$T/nx.err"

# 5. Killing CMD leaves no process and no namespace behind.
touch "$T/mark"
bg urun sleep 60
RUN_PID=$LAST_PID
wait_until 10 pgrep -u "$RUID" -x sleep >/dev/null || bail "sleep did not start under run"
SPID=$(pgrep -u "$RUID" -x sleep)
NSINO=$(stat -L -c %i "/proc/$SPID/ns/net")
USERNS=$(stat -L -c %i "/proc/$SPID/ns/user")
kill -KILL "$SPID"
wait "$RUN_PID"
is "$?" 137 "netnsp run exits 137 when CMD is killed"
wait_until 5 sh -c "! pgrep -u $RUID >/dev/null"
left=$(pgrep -u "$RUID" -a)
is "$left" "" "no process of the user is left"
holders=$(find /proc/[0-9]*/ns/net /proc/[0-9]*/fd -maxdepth 1 -lname "net:\[$NSINO\]" 2>/dev/null)
is "$holders" "" "no process or fd holds the command's network namespace (inode $NSINO)"
holders=$(find /proc/[0-9]*/ns/user -lname "user:\[$USERNS\]" 2>/dev/null)
is "$holders" "" "no process is left in its user namespace"
# SIGTERM to netnsp run reaches the command (through the relay and the init).
bg urun sleep 62
RUN_PID=$LAST_PID
wait_until 10 pgrep -u "$RUID" -f 'sleep 62' >/dev/null || bail "sleep 62 did not start"
kill -TERM "$(pgrep -o -u "$RUID" -x netnsp)"
wait "$RUN_PID"
is "$?" 143 "SIGTERM to netnsp run is passed to the command: 143"

# A child the command left running in the background dies with it.
urun sh -c 'sleep 61 & exit 5'
is "$?" 5 "a command that leaves a background child: its status"
wait_until 5 sh -c "! pgrep -u $RUID -f 'sleep 61' >/dev/null"
left=$(pgrep -u "$RUID" -a -f 'sleep 61')
is "$left" "" "its background child did not outlive it (PID namespace)"
made=$(find /run/netns /etc/netns -newer "$T/mark" -user "$RUID" 2>/dev/null)
is "$made" "" "nothing of the user's under /run/netns or /etc/netns"

# 6. Where the kernel refuses user namespaces: one line naming the sysctl.
# The per-namespace limit is set to 0 inside a user namespace of our own, so
# nothing outside this test is affected.
# shellcheck disable=SC2016 # $0 and $1 are for the inner sh
msg=$(nsx "$NS_H" setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- unshare -U -r \
	sh -c 'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" run --via "$1" -- true' \
	"$NETNSP" "$VIA" 2>&1)
rc=$?
is "$rc:$msg" "1:netnsp: run: the kernel allows no user namespaces: sysctl user.max_user_namespaces=N (N > 0) allows them" \
	"user.max_user_namespaces=0: exit 1 and one line naming the sysctl"
if [ -w /proc/sys/kernel/unprivileged_userns_clone ]; then
	old=$(cat /proc/sys/kernel/unprivileged_userns_clone)
	at_cleanup "echo $old >/proc/sys/kernel/unprivileged_userns_clone"
	echo 0 >/proc/sys/kernel/unprivileged_userns_clone
	msg=$(urun true 2>&1)
	echo "$old" >/proc/sys/kernel/unprivileged_userns_clone
	is "$msg" "netnsp: run: the kernel refuses unprivileged user namespaces: sysctl kernel.unprivileged_userns_clone=1 allows them" \
		"kernel.unprivileged_userns_clone=0: one line naming the sysctl"
else
	# Not a skip: a kernel without Debian's patch has no such refusal, so there
	# is no message to check (a skip would fail under NETNSP_MUST_WORK=1).
	diag "no kernel.unprivileged_userns_clone here (a Debian patch): its message does not apply"
fi

# 7. A setuid-root install: run drops to the caller first and works as without the bit.
SUID_SRC=${NETNSP_SUID:-$SRC_ROOT/build/netnsp}
SUIDDIR=$(mktemp -d /var/lib/netnsp-test-suid.XXXXXX) || bail "mktemp suid dir"
at_cleanup "rm -rf '$SUIDDIR'"
chmod 0755 "$SUIDDIR"
if [ -x "$SUID_SRC" ] && install -o root -g root -m 4755 "$SUID_SRC" "$SUIDDIR/netnsp" &&
	! findmnt -no OPTIONS -T "$SUIDDIR" | grep -qw nosuid; then
	body=$(nsx "$NS_H" setpriv --reuid="$RUID" --regid="$RGID" --clear-groups -- \
		"$SUIDDIR/netnsp" run --via "$VIA" -- sh -c 'id -u; curl -sS --max-time 8 http://world.example/' 2>"$T/suid.err")
	is "$(echo $body)" "$RUID client=$P1_W4" "setuid copy: run as the caller, through the proxy" ||
		diag_file "$T/suid.err"
else
	skip "no setuid copy possible (no binary at $SUID_SRC, or nosuid)" "setuid copy: run"
fi

# 8. Usage errors exit 2 and run nothing.
"$NETNSP" run -- true 2>/dev/null
is "$?" 2 "run without --via or --profile: usage error 2"
"$NETNSP" run --via 'socks5://a#b:1' -- true 2>/dev/null
is "$?" 2 "a --via URL that would break the config text: usage error 2"
nsx "$NS_H" nft delete table inet nsprun
tap_done
