#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_systemd_boot.sh - netnsp.service under a real systemd: PID 1 of a
# throwaway container (systemd-nspawn --volatile=yes: the host's /usr
# read-only, everything else a tmpfs; no first-boot presets, so only the
# unit under test is enabled), in the test's host namespace H.  Checks that
# the hardened unit really works: Type=notify start only after the apply,
# StatusText, `netnsp exec` and DNS through the subject, the daemon's
# capabilities / no_new_privs / seccomp as the unit says, journald
# priorities, `systemctl reload` (applied; a config error fails the reload
# and the daemon carries on), stop (namespaces stay) and start again.
#
#   [container: systemd (PID 1) -> netnsp.service -> /usr/local/sbin/netnsp daemon]
#   |  its own mount/pid namespaces, network namespace = H (no default route)
#   |  [S work: curl, dig via `netnsp exec`]  no link; /run/netns is the container's
#   |       ^ setns
#   [H: the container's network]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | 203.0.113.1
#   [W: world.py 203.0.113.100:80]
. "$(dirname "$0")/lib.sh"
lib_init microsocks meson dig

BUILD=${NETNSP_BUILD:-$SRC_ROOT/build}
[ -f "$BUILD/build.ninja" ] || bail "no meson build dir at $BUILD (meson setup build, or set NETNSP_BUILD)"
if ! command -v systemd-nspawn >/dev/null || ! [ -x /lib/systemd/systemd ]; then
	skip "systemd-nspawn or systemd missing (scripts/deps.sh: systemd-container)" \
		"netnsp.service under systemd in a container"
	tap_done
	exit
fi

meson install -C "$BUILD" --destdir "$T/dest" --no-rebuild >"$T/install.log" 2>&1 ||
	bail "meson install failed"
unit=$(find "$T/dest" -name netnsp.service | head -n 1)
local_bin=$(find "$T/dest" -path '*/sbin/netnsp' | head -n 1)
if [ -z "$unit" ] || [[ $local_bin != "$T/dest/usr/local/sbin/netnsp" ]]; then
	bail "expected a prefix=/usr/local install (got ${local_bin:-nothing})"
fi

topo_p1_up
mkdir -m 0755 "$T/etc-nsp"
conf_ok() {
	cat <<-EOF
		[proxy p1]
		url = socks5://$P1_H4:1080

		[profile work]
		via = p1
		netns = $(subject_ns work)
		dns = ${1:-fake}
	EOF
}
conf_ok >"$T/etc-nsp/netnsp.conf"
chmod 0600 "$T/etc-nsp/netnsp.conf"
# An initialised machine id: not a first boot, so no presets enable Debian's
# services; only systemd.wants= below pulls in a unit.
"$PYTHON" -c 'import uuid; print(uuid.uuid4().hex)' >"$T/machine-id"

MACHINE=${PFX}c
at_cleanup "rm -rf /run/systemd/nspawn/propagate/$MACHINE"
# CAP_NET_ADMIN: nspawn grants it only with --private-network, not when
# joining a namespace; the unit then narrows the set to its own five.
bg systemd-nspawn -D / --volatile=yes --network-namespace-path="/run/netns/$NS_H" \
	--register=no --keep-unit -M "$MACHINE" --console=passive --capability=CAP_NET_ADMIN \
	--bind-ro="$T/dest/usr/local:/usr/local" \
	--bind-ro="$unit:/etc/systemd/system/netnsp.service" \
	--bind="$T/etc-nsp:/etc/netns-proxy" --bind-ro="$T/machine-id:/etc/machine-id" \
	-b systemd.unit=multi-user.target systemd.wants=netnsp.service >"$T/boot.log" 2>&1
NSPAWN=$LAST_PID
hnet=$(ip netns exec "$NS_H" readlink /proc/self/ns/net)
LEADER=''
find_leader() {
	local p
	for p in $(pgrep -x systemd); do
		[ "$(readlink "/proc/$p/ns/net")" = "$hnet" ] && LEADER=$p && return 0
	done
	return 1
}
wait_until 20 find_leader || { diag_file "$T/boot.log"; bail "container did not start"; }
c() { nsenter -t "$LEADER" -m -u -i -n -p "$@"; }
at_cleanup "kill -TERM $NSPAWN; sleep 2; kill -KILL $LEADER"

wait_until 60 sh -c "nsenter -t $LEADER -m -u -i -n -p systemctl is-active -q netnsp" 2>/dev/null
tap_ok $? "systemd started netnsp.service (Type=notify): active" ||
	{ c systemctl status netnsp --no-pager >"$T/status" 2>&1; diag_file "$T/status"; diag_file "$T/boot.log"; }
is "$(c systemctl show -p StatusText --value netnsp)" "1 of 1 subjects applied" "StatusText from STATUS="
c journalctl -u netnsp -o cat --no-pager >"$T/journal"
a=$(grep -n 'ready: 1 of 1 subjects applied' "$T/journal" | cut -d: -f1)
b=$(grep -n '^Started netnsp.service' "$T/journal" | cut -d: -f1)
[ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]
tap_ok $? "systemd counted it started only after the apply (journal lines $a < $b)" || diag_file "$T/journal"

is "$(c /usr/local/sbin/netnsp exec work -- curl -gsS --max-time 8 "http://$W4/" 2>"$T/curl.err")" \
	"client=$P1_W4" "netnsp exec through the unit's daemon: through P1" || diag_file "$T/curl.err"
ans=$(c /usr/local/sbin/netnsp exec work -- dig +short +time=2 +tries=1 @203.0.113.53 host.example 2>&1)
[[ $ans == 198.1[89].* ]]
tap_ok $? "DNS answered inside the subject (port 53 bound under the unit): $ans"

pid=$(c systemctl show -p MainPID --value netnsp)
st=$(c cat "/proc/$pid/status")
eff=$(sed -n 's/^CapEff:\t*//p' <<<"$st")
want=$(printf '%016x' $(((1 << 2) | (1 << 10) | (1 << 12) | (1 << 19) | (1 << 21))))
is "$eff" "$want" "daemon's effective capabilities: DAC_READ_SEARCH NET_BIND_SERVICE NET_ADMIN SYS_PTRACE SYS_ADMIN"
is "$(sed -n 's/^NoNewPrivs:\t*//p;s/^Seccomp:\t*//p' <<<"$st" | tr '\n' ' ')" "1 2 " \
	"daemon runs with no_new_privs and a seccomp filter"

c journalctl -u netnsp -p err -o cat --no-pager >"$T/j-err-before"
conf_ok off >"$T/etc-nsp/netnsp.conf"
c systemctl reload netnsp >"$T/reload.out" 2>&1
tap_ok $? "systemctl reload (dns changed): succeeds" || diag_file "$T/reload.out"
wait_until 5 sh -c "nsenter -t $LEADER -m -u -i -n -p journalctl -u netnsp -o cat | grep -q '~ profile work: dns'"
tap_ok $? "the reload was applied (journal: ~ profile work: dns)"
printf 'bogus = 1\n' >>"$T/etc-nsp/netnsp.conf"
c systemctl reload netnsp >"$T/reload.out" 2>&1
rc=$?
[ "$rc" -ne 0 ] && [ "$(c systemctl is-active netnsp)" = active ] &&
	[ "$(c systemctl show -p StatusText --value netnsp)" = "1 of 1 subjects applied" ]
tap_ok $? "a config error fails systemctl reload (rc $rc); the daemon stays active, status kept"
c journalctl -u netnsp -p err -o cat --no-pager >"$T/j-err"
grep -q 'netnsp.conf:8: bogus: unknown key' "$T/j-err" && ! grep -q 'ready: ' "$T/j-err" &&
	! grep -q '^<' "$T/j-err"
tap_ok $? "journalctl -p err: the config error, not the info lines (priority prefixes parsed)" ||
	diag_file "$T/j-err"
# exec reads the config too (and refuses one with errors): put the good one back.
conf_ok off >"$T/etc-nsp/netnsp.conf"
is "$(c /usr/local/sbin/netnsp exec work -- curl -gsS --max-time 8 "http://$W4/" 2>"$T/curl.err")" \
	"client=$P1_W4" "after the refused reload: still through P1" || diag_file "$T/curl.err"

c systemctl stop netnsp
is "$(c systemctl show -p ActiveState --value netnsp) $(c systemctl show -p Result --value netnsp)" \
	"inactive success" "systemctl stop: inactive, result success (exit 0 on SIGTERM)"
c ip netns list >"$T/ns.after-stop"
grep -q "^$(subject_ns work)" "$T/ns.after-stop"
tap_ok $? "the namespace stays after the stop (pinned in /run/netns, visible to ip netns)"
c systemctl start netnsp
tap_ok $? "systemctl start again"
is "$(c /usr/local/sbin/netnsp exec work -- curl -gsS --max-time 8 "http://$W4/" 2>"$T/curl.err")" \
	"client=$P1_W4" "after the restart: through P1" || diag_file "$T/curl.err"
c systemctl poweroff >/dev/null 2>&1
wait_until 30 sh -c "! kill -0 $NSPAWN 2>/dev/null"
tap_ok $? "container powered off"
tap_done
