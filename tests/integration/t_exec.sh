#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_exec.sh - `netnsp exec` through a setuid-root copy, as a non-root user
# (docs/GUARANTEES.md 6): a listed user gets in with their own identity and no
# privilege; every refusal exits 1 with one "netnsp: exec: ..." line: user
# not listed, caller in another network namespace (P1, or another subject),
# Settings writable by others, a profile that is not applied.  Usage errors
# exit 2.
#
#   [S ex (users = 65534), ex2 (users = 65534)]   no link
#        ^ setns by the setuid copy, after its checks
#   [H: netnsp daemon; setpriv --reuid=65534 SUIDDIR/netnsp exec ... ($T on /mnt)]  198.51.100.1
#        | veth
#   [P1: microsocks :1080; also a caller from the wrong namespace]  198.51.100.2
#        | veth
#   [W: world.py 203.0.113.100:80]
#
# The setuid copy (lib.sh suid_setup: a build whose built-in paths are under
# /mnt, not the ASan build, since ASan/LSan do not run in setuid programs)
# reads $T through a bind mount on /mnt in a mount namespace of its own: a
# setuid start ignores --config and friends.
. "$(dirname "$0")/lib.sh"
lib_init microsocks setpriv unshare
suid_setup

topo_p1_up

NOBODY=65534
write_conf() { conf_exec "$CONF" "$NOBODY" ex ex2; }
write_conf
chmod 0755 "$T"
daemon_up

# as_user UID [--from NS] ARGS...: the setuid copy as UID, from H unless told.
as_user() { suid_run "$T" "$@"; }

# refused DESC WANT_RC CMD...: exit WANT_RC (a regex: "1|2") and exactly one "netnsp: ..." line.
refused() {
	local desc=$1 want=$2 rc lines
	shift 2
	"$@" >"$T/ref.out" 2>"$T/ref.err"
	rc=$?
	lines=$(grep -c '' "$T/ref.err")
	[[ $rc =~ ^($want)$ ]] && [ "$lines" -eq 1 ] && grep -q '^netnsp: ' "$T/ref.err" &&
		[ ! -s "$T/ref.out" ]
	tap_ok $? "$desc: exit $want, one line (rc $rc: $(head -c 160 "$T/ref.err"))"
}

out=$(as_user $NOBODY exec ex -- id -u 2>"$T/ex.err")
is "$out" "$NOBODY" "listed user: runs as itself (uid $NOBODY)" || diag_file "$T/ex.err"
out=$(as_user $NOBODY exec ex -- id -g 2>/dev/null)
is "$out" "$NOBODY" "listed user: keeps its gid"
out=$(as_user $NOBODY exec ex -- grep -E '^Cap(Eff|Prm|Amb):' /proc/self/status 2>/dev/null |
	awk '{print $2}' | sort -u)
is "$out" 0000000000000000 "listed user: no capabilities left (CapEff/CapPrm/CapAmb)"
out=$(as_user $NOBODY exec ex -- grep -E '^NoNewPrivs:' /proc/self/status 2>/dev/null |
	awk '{print $2}')
is "$out" 1 "listed user: no_new_privs set"
want_ino=$(stat -L -c %i "/run/netns/$(subject_ns ex)")
got_ino=$(as_user $NOBODY exec ex -- stat -L -c %i /proc/self/ns/net 2>/dev/null)
is "$got_ino" "$want_ino" "listed user: inside the subject's network namespace"
out=$(as_user $NOBODY exec ex -- curl -gsS --max-time 8 "http://$W4/" 2>"$T/curl.err")
is "$out" "client=$P1_W4" "listed user: TCP goes through the proxy" || diag_file "$T/curl.err"

refused "user not listed (uid 1)" 1 as_user 1 exec ex -- id -u
refused "caller in another namespace (P1)" 1 as_user $NOBODY --from "$NS_P1" exec ex -- id -u
refused "caller inside another subject (ex2 -> ex)" 1 \
	as_user $NOBODY --from "$(subject_ns ex2)" exec ex -- id -u
refused "unknown profile" 1 as_user $NOBODY exec nosuch -- id -u

chmod 0666 "$CONF"
refused "Settings writable by others" 1 as_user $NOBODY exec ex -- id -u
chmod 0644 "$CONF"
chown $NOBODY "$CONF"
refused "Settings owned by the caller, not root" 1 as_user $NOBODY exec ex -- id -u
chown root "$CONF"

# A profile added after the daemon applied: listed, but no namespace applied.
cat >>"$CONF" <<EOF2

[profile late]
via = p1
netns = $(subject_ns late)
dns = off
users = $NOBODY
EOF2
refused "profile not applied" 1 as_user $NOBODY exec late -- id -u
[ ! -e "/run/netns/$(subject_ns late)" ]
tap_ok $? "exec did not create the not-applied namespace"
write_conf

refused "usage: exec without a profile" 2 as_user $NOBODY exec
refused "setuid: commands other than exec refused" "1|2" as_user $NOBODY down
[ -e "/run/netns/$(subject_ns ex)" ]
tap_ok $? "the subject still exists after the refused 'down'"

# Root without setuid: exec works and keeps uid 0.
is "$(nexec ex id -u 2>/dev/null)" 0 "root: exec keeps uid 0"
kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
