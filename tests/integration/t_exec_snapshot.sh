#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_exec_snapshot.sh - a broken config on disk does not lock anyone out.
#   reload refuses a config with errors and the daemon keeps the applied
#   one; `netnsp exec` then authorizes against the profile as applied (its
#   snapshot in the Derivative), with one warning line that the file has
#   errors: root and the listed user (through the setuid copy) still get in,
#   an unlisted user still does not, not even one the broken file lists.  A
#   profile that was never applied still fails with the config error.
#
#   [S ex (users = 65534)]   no link
#        ^ setns by netnsp exec (root) or the setuid copy (nobody, TU)
#   [H: netnsp daemon; netnsp exec; setpriv ... SUIDDIR/netnsp exec ($T on /mnt)]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth
#   [W: world.py 203.0.113.100:80]
#
# TU is a throwaway system user made for this run (lib.sh user_add).
. "$(dirname "$0")/lib.sh"
lib_init microsocks setpriv unshare useradd userdel
suid_bed_up
write_conf() { conf_exec "$CONF" "$1" ex; } # write_conf USERS
write_conf "$NOBODY"
daemon_up

# ran DESC WANT CMD...: stdout is WANT, exit 0.
ran() {
	local desc=$1 want=$2 out rc
	shift 2
	out=$("$@" 2>"$T/r.err")
	rc=$?
	is "$rc:$out" "0:$want" "$desc" || diag_file "$T/r.err"
}
# refused_user DESC CMD...: exit 1, nothing run, stderr ends with the refusal of TU.
refused_user() {
	local desc=$1 rc
	shift
	"$@" >"$T/r.out" 2>"$T/r.err"
	rc=$?
	[ "$rc" -eq 1 ] && [ ! -s "$T/r.out" ] &&
		tail -n 1 "$T/r.err" | grep -q "^netnsp: exec: user '$TU' is not allowed in profile 'ex'"
	tap_ok $? "$desc (rc $rc: $(tr '\n' '|' <"$T/r.err" | head -c 200))"
}

# Works first, with a good config.
ran "good config: root gets in" 0 nexec ex id -u
ran "good config: nobody (listed) gets in through the setuid copy" $NOBODY \
	suid_run "$T" $NOBODY exec ex -- id -u
refused_user "good config: $TU (not listed) refused" suid_run "$T" "$TU_UID:$TU_GID" exec ex -- id -u

# Break the file: TU added to users, and a line that is not INI.
write_conf "$NOBODY $TU"
printf 'this is not a key = value line\n' >>"$CONF"
BAD_LINE=$(grep -c '' "$CONF")
nsp reload >"$T/rl.out" 2>"$T/rl.err"
rc=$?
[ "$rc" -eq 2 ] && grep -q "$CONF:$BAD_LINE:" "$T/rl.err"
tap_ok $? "reload refuses the broken config, exit 2, naming line $BAD_LINE (rc $rc: $(head -c 160 "$T/rl.err"))"
ran "the daemon still proxies for ex with the applied profile" "client=$P1_W4" \
	nexec ex curl -gsS --max-time 8 "http://$W4/"

nexec ex id -u >"$T/x.out" 2>"$T/x.err"
rc=$?
[ "$rc" -eq 0 ] && [ "$(cat "$T/x.out")" = 0 ] && one_line "$T/x.err" &&
	grep -q "^netnsp: warning: $CONF:$BAD_LINE: .*; using the applied profile$" "$T/x.err"
tap_ok $? "broken config: root gets in, one warning naming $CONF:$BAD_LINE (rc $rc: $(head -c 200 "$T/x.err"))"
out=$(suid_run "$T" $NOBODY exec ex -- id -u 2>"$T/x.err")
rc=$?
[ "$rc:$out" = "0:$NOBODY" ] && one_line "$T/x.err" &&
	grep -q "^netnsp: warning: /mnt/netnsp.conf: the config has errors (details are shown to root only); using the applied profile$" "$T/x.err"
tap_ok $? "broken config: nobody (listed when applied) gets in, warning without details (rc $rc: $(head -c 200 "$T/x.err"))"
out=$(suid_run "$T" $NOBODY exec ex -- curl -gsS --max-time 8 "http://$W4/" 2>"$T/x.err")
is "$out" "client=$P1_W4" "broken config: nobody's TCP goes through the proxy"
refused_user "broken config listing $TU: $TU still refused (the applied profile does not list it)" \
	suid_run "$T" "$TU_UID:$TU_GID" exec ex -- id -u

# A profile the daemon never applied: no snapshot, the config error stands.
nexec nosuch id -u >"$T/x.out" 2>"$T/x.err"
rc=$?
[ "$rc" -eq 2 ] && [ ! -s "$T/x.out" ] && one_line "$T/x.err" &&
	grep -q "^netnsp: exec: $CONF:$BAD_LINE:" "$T/x.err"
tap_ok $? "broken config, profile never applied: the config error, exit 2 (rc $rc: $(head -c 160 "$T/x.err"))"

# Fixed again: the file is what counts, no warning.
write_conf "$NOBODY $TU"
out=$(suid_run "$T" "$TU_UID:$TU_GID" exec ex -- id -u 2>"$T/x.err")
rc=$?
[ "$rc:$out" = "0:$TU_UID" ] && [ ! -s "$T/x.err" ]
tap_ok $? "config fixed and listing $TU: $TU gets in, no warning (rc $rc: $(head -c 160 "$T/x.err"))"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
