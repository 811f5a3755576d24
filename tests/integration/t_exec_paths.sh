#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_exec_paths.sh - which files a setuid `netnsp exec` trusts (docs/SECURITY.md).
#   A setuid start ignores --config, --state-dir, --run-dir and NETNSP_CONFIG /
#   NETNSP_STATE_DIR / NETNSP_RUN_DIR (one warning line) and reads the built-in
#   paths only: a stale root-owned copy of the config (netnsp.conf~) that still
#   lists a user does not let that user in, whether named by option or by
#   variable; once the real config lists the user, they get in.
#   The trust walk refuses a file on procfs even when root owns it: the
#   built-in config a symlink to /proc/self/environ, whose text the caller
#   chose, is refused as "on procfs" before it is parsed.
#
#   [S ex]   no link
#        ^ setns by the setuid copy, after its checks
#   [H: netnsp daemon (--config $T/netnsp.conf);
#       setpriv --reuid=TU SUIDDIR/netnsp exec ... in a mount ns with $T on /mnt]  198.51.100.1
#        | veth
#   [P1: microsocks :1080]  198.51.100.2
#        | veth
#   [W: world.py 203.0.113.100:80]
#
# TU is a throwaway system user made for this run (lib.sh user_add).
. "$(dirname "$0")/lib.sh"
lib_init microsocks setpriv unshare useradd userdel
suid_bed_up
write_conf() { conf_exec "$1" "$2" ex; } # write_conf FILE USERS
write_conf "$CONF" "$NOBODY"
daemon_up

# Works first: the built-in config (bound on /mnt) lets its listed user in.
out=$(suid_run "$T" $NOBODY exec ex -- id -u 2>"$T/e.err")
is "$out" "$NOBODY" "setuid exec: the listed user (nobody) gets in through the built-in config" ||
	diag_file "$T/e.err"
out=$(suid_run "$T" $NOBODY exec ex -- curl -gsS --max-time 8 "http://$W4/" 2>"$T/e.err")
is "$out" "client=$P1_W4" "setuid exec: nobody's TCP goes through the proxy" || diag_file "$T/e.err"
suid_run "$T" "$TU_UID:$TU_GID" exec ex -- id -u >"$T/e.out" 2>"$T/e.err"
rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$T/e.out" ] && grep -q "user '$TU' is not allowed" "$T/e.err"
tap_ok $? "setuid exec: $TU, not listed, is refused (rc $rc: $(head -c 120 "$T/e.err"))"

# A stale root-owned copy, as an editor or dpkg leaves it, still listing TU.
STALE=$T/netnsp.conf~
write_conf "$STALE" "$TU"
# refused_stale DESC WHAT CMD...: exit 1, nothing run, the warning naming WHAT, then the refusal.
refused_stale() {
	local desc=$1 what=$2 rc
	shift 2
	"$@" >"$T/s.out" 2>"$T/s.err"
	rc=$?
	[ "$rc" -eq 1 ] && [ ! -s "$T/s.out" ] && [ "$(grep -c '' "$T/s.err")" -eq 2 ] &&
		grep -q "^netnsp: warning: running setuid: ignoring $what; using the built-in paths" \
			"$T/s.err" &&
		grep -q "^netnsp: exec: user '$TU' is not allowed in profile 'ex'" "$T/s.err"
	tap_ok $? "$desc (rc $rc: $(tr '\n' '|' <"$T/s.err" | head -c 220))"
}
refused_stale "--config with a stale copy listing $TU: ignored, $TU refused" --config \
	suid_run "$T" "$TU_UID:$TU_GID" --config "$STALE" exec ex -- id -u
NETNSP_CONFIG=$STALE refused_stale "NETNSP_CONFIG with the stale copy: ignored, $TU refused" \
	NETNSP_CONFIG suid_run "$T" "$TU_UID:$TU_GID" exec ex -- id -u
mkdir -m 0755 "$T/other-state" "$T/other-run"
NETNSP_RUN_DIR=$T/other-run refused_stale \
	"--state-dir and NETNSP_RUN_DIR named too: all listed, $TU refused" \
	"--config, --state-dir, NETNSP_RUN_DIR" suid_run "$T" "$TU_UID:$TU_GID" --config "$STALE" \
	--state-dir "$T/other-state" exec ex -- id -u
# An ignored --state-dir does not keep a listed user out either.
out=$(suid_run "$T" $NOBODY --state-dir "$T/other-state" exec ex -- id -u 2>"$T/e.err")
is "$out" "$NOBODY" "--state-dir naming an empty dir is ignored: nobody still gets in" ||
	diag_file "$T/e.err"
grep -q "^netnsp: warning: running setuid: ignoring --state-dir" "$T/e.err"
tap_ok $? "... and the ignored --state-dir is named on stderr"

# The real config lists TU now: in, as itself.
write_conf "$CONF" "$TU"
out=$(suid_run "$T" "$TU_UID:$TU_GID" exec ex -- id -u 2>"$T/e.err")
is "$out" "$TU_UID" "the real config lists $TU: $TU gets in, as uid $TU_UID" ||
	diag_file "$T/e.err"
out=$(suid_run "$T" "$TU_UID:$TU_GID" exec ex -- stat -L -c %i /proc/self/ns/net 2>/dev/null)
is "$out" "$(stat -L -c %i "/run/netns/$(subject_ns ex)")" "... inside ex's namespace"

# ---------------------------------------------------------------- procfs
# The built-in config a (root's) symlink to /proc/self/environ: root-owned,
# 0400, below root-owned directories once the setuid start made netnsp
# non-dumpable, and its text is the environment TU passed.
P=$T/procdir
mkdir -m 0755 "$P" && ln -s /proc/self/environ "$P/netnsp.conf" && ln -s "$T/state" "$P/state" &&
	ln -s "$T/run" "$P/run"
tap_ok $? "setup: $P/netnsp.conf -> /proc/self/environ"
ENVCONF=$'#=\n'"$(cat "$CONF")"$'\n#'
suid_run "$P" "$TU_UID:$TU_GID" --env-only "$ENVCONF" exec ex -- id -u >"$T/p.out" 2>"$T/p.err"
rc=$?
[ "$rc" -eq 1 ] && [ ! -s "$T/p.out" ] && one_line "$T/p.err" &&
	grep -q "^netnsp: exec: /mnt/netnsp.conf: not trusted: on procfs" "$T/p.err"
tap_ok $? "config on procfs (/proc/self/environ): refused as such, one line (rc $rc: $(head -c 160 "$T/p.err"))"
# Same user and environment with the real file: the refusal above was the file system's.
cp "$CONF" "$T/real.conf" && chmod 0644 "$T/real.conf" && ln -sfn "$T/real.conf" "$P/netnsp.conf"
out=$(suid_run "$P" "$TU_UID:$TU_GID" --env-only "$ENVCONF" exec ex -- id -u 2>"$T/p.err")
is "$out" "$TU_UID" "the same call with the symlink pointing at a disk file: $TU gets in" ||
	diag_file "$T/p.err"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
