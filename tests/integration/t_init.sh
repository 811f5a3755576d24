#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_init.sh - `netnsp init`, the profile wizard: driven through a
# pseudo-terminal (python pexpect) and with --yes for scripts, against real
# upstreams: microsocks without and with user/password, tinyproxy (HTTP
# CONNECT), danted (UDP ASSOCIATE) and socks5_watch.py (reads each SOCKS5
# request exactly: pipelining is offered for it alone).  What it probes must be what the
# servers do; the file it writes must load (a daemon applies every profile
# in it and curl goes through them); it never overwrites a name that exists,
# and an answer "no" writes nothing.
#
#   [S ${PFX}ms, ${PFX}up, ${PFX}tp, ${PFX}dt: the written profiles' subjects]
#        ^ setns
#   [H: netnsp init (pty), netnsp daemon]  198.51.100.1
#        | veth
#   [P1: microsocks :1080 (noauth) :1081 (alice/s3cret), tinyproxy :8888,
#        danted :1090 (UDP ASSOCIATE), socks5_watch.py :1095]  198.51.100.2
#        | veth
#   [W: world.py :80]  203.0.113.100
. "$(dirname "$0")/lib.sh"
lib_init microsocks tinyproxy danted

"$PYTHON" -c 'import pexpect' 2>/dev/null || bail "python3-pexpect is missing"
topo_p1_up
start_microsocks "$NS_P1" 1081 alice s3cret || bail "microsocks :1081"
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy :8888"
start_danted "$NS_P1" "$P1_H4" 1090 udp || bail "danted :1090"
bg nsx "$NS_P1" "$PYTHON" "$LIB_DIR/socks5_watch.py" 0.0.0.0 1095 "$T/watch.log" \
	2>>"$T/watch.err"
wait_port "$NS_P1" 127.0.0.1 1095 || bail "socks5_watch.py :1095"

MS=${PFX}ms UP=${PFX}up TP=${PFX}tp DT=${PFX}dt PL=${PFX}pl

# drive SCRIPT: run `netnsp init` in a pty inside H; SCRIPT is a list of
# "expect REGEX" / "send TEXT" lines.  Transcript in $T/pty.log.
cat >"$T/drive.py" <<'PY'
import pexpect, sys
argv, script = sys.argv[1:-1], open(sys.argv[-1]).read().splitlines()
p = pexpect.spawn(argv[0], argv[1:], encoding="utf-8", timeout=20)
p.logfile_read = open(sys.argv[-1] + ".log", "w")
try:
    for line in script:
        verb, _, arg = line.partition(" ")
        if verb == "expect":
            p.expect(arg)
        elif verb == "send":
            p.sendline(arg)
    p.expect(pexpect.EOF)
except pexpect.ExceptionPexpect as e:
    print("script stopped at %r: %s" % (line, type(e).__name__), file=sys.stderr)
    sys.exit(98)
p.close()
sys.exit(p.exitstatus if p.exitstatus is not None else 99)
PY
drive() {
	cat >"$T/script"
	"$PYTHON" "$T/drive.py" nsenter --net="/run/netns/$NS_H" "$NETNSP" --config "$CONF" init \
		"$T/script"
	DRIVE_RC=$?
	cp "$T/script.log" "$T/pty.log"
	cat "$T/pty.log" >>"$T/all.log"
}
init_yes() { # init_yes ARGS...: the non-interactive form; output in $T/yes.out
	local rc
	nsenter --net="/run/netns/$NS_H" "$NETNSP" --config "$CONF" init --yes "$@" \
		>"$T/yes.out" 2>&1
	rc=$?
	cat "$T/yes.out" >>"$T/all.log"
	return "$rc"
}

# 1. A new file, interactively, microsocks without authentication.
drive <<EOF
expect Profile name
send $MS
expect Proxy URL
send socks5://$P1_H4:1080
expect UDP ASSOCIATE: no
expect Create it\?
send y
expect Wrote
EOF
is "$DRIVE_RC" 0 "pty: init against microsocks exits 0" || diag_file "$T/pty.log" 30
grep -q 'no authentication: yes; user/password: no' "$T/pty.log"
tap_ok $? "pty: microsocks :1080 offers no-auth only, and init says so" || diag_file "$T/pty.log"
grep -q "^+\[profile $MS\]" "$T/pty.log" && grep -q '^--- /dev/null' "$T/pty.log"
tap_ok $? "pty: the proposal is shown as a diff against an empty file" || diag_file "$T/pty.log"
grep -q "^\[profile $MS\]" "$CONF" && grep -q "^url = socks5://$P1_H4:1080" "$CONF"
tap_ok $? "pty: the file holds the new proxy and profile" || diag_file "$CONF"
is "$(stat -c %a "$CONF")" 600 "a new file is created 0600 (it may hold a password)"

# 2. Appending, with credentials asked for (microsocks :1081 wants user/password).
drive <<EOF
expect Profile name
send $UP
expect Proxy URL
send socks5://$P1_H4:1081
expect User name
send alice
expect Password
send s3cret
expect credentials: accepted
expect append these sections
send y
expect Write it\?
send y
expect Wrote
EOF
is "$DRIVE_RC" 0 "pty: init against microsocks with user/password exits 0" || diag_file "$T/pty.log" 30
grep -q 'no authentication: no; user/password: yes' "$T/pty.log"
tap_ok $? "pty: microsocks :1081 wants user/password, and init says so" || diag_file "$T/pty.log"
grep -q "^url = socks5://alice:s3cret@$P1_H4:1081" "$CONF" && grep -q "^\[profile $MS\]" "$CONF"
tap_ok $? "pty: the credentials are in the URL, the first profile is still there" || diag_file "$CONF"
! grep -q 's3cret' "$T/pty.log" && grep -q "^+url = socks5://alice:\*\*\*\*@$P1_H4:1081" "$T/pty.log"
tap_ok $? "pty: the password is neither echoed nor shown in the diff" || diag_file "$T/pty.log"

# 3. Scripts: tinyproxy (HTTP CONNECT) and danted (UDP ASSOCIATE).
init_yes --via "http://$P1_H4:8888" --name "$TP"
is "$?" 0 "--yes: init against tinyproxy exits 0" || diag_file "$T/yes.out"
grep -q 'HTTP CONNECT: yes' "$T/yes.out"
tap_ok $? "--yes: tinyproxy answers CONNECT" || diag_file "$T/yes.out"
init_yes --via "socks5://$P1_H4:1090" --name "$DT"
is "$?" 0 "--yes: init against danted exits 0" || diag_file "$T/yes.out"
grep -q 'UDP ASSOCIATE: yes' "$T/yes.out"
tap_ok $? "--yes: danted grants UDP ASSOCIATE" || diag_file "$T/yes.out"
grep -A3 "^\[profile $DT\]" "$CONF" | grep -q '^udp = on'
tap_ok $? "--yes: the danted profile gets udp = on" || diag_file "$CONF"
grep -A3 "^\[profile $MS\]" "$CONF" | grep -q '^udp = off'
tap_ok $? "... and the microsocks one udp = off (no UDP ASSOCIATE there)" || diag_file "$CONF"
init_yes --via "socks5://$P1_H4:1095" --name "$PL"
is "$?" 0 "--yes: init against socks5_watch.py exits 0" || diag_file "$T/yes.out"
grep -q 'requests pipelined: yes' "$T/yes.out"
tap_ok $? "--yes: socks5_watch.py answers pipelined requests the same" || diag_file "$T/yes.out"
grep -A2 "^\[proxy $PL\]" "$CONF" | grep -q '^pipeline = yes'
tap_ok $? "--yes: its proxy gets pipeline = yes" || diag_file "$CONF"
grep -q 'requests pipelined: no' "$T/pty.log" && ! grep -A2 "^\[proxy $MS\]" "$CONF" | grep -q pipeline
tap_ok $? "... microsocks (drops what follows the greeting) does not" || diag_file "$T/pty.log"
[ "$(grep -c '^pipeline' "$CONF")" = 1 ]
tap_ok $? "... nor danted (no username/password for the isolation credentials), nor tinyproxy" ||
	diag_file "$CONF"

# 4. Never overwrite: an existing name with --yes, and "no" at the prompt.
sum=$(md5sum <"$CONF")
init_yes --via "socks5://$P1_H4:1080" --name "$MS"
rc=$?
[ "$rc" -eq 2 ] && grep -q "'$MS' exists already" "$T/yes.out"
tap_ok $? "--yes with an existing profile name: exit 2, saying the name exists (rc $rc)" ||
	diag_file "$T/yes.out"
drive <<EOF
expect Profile name
send $MS
expect exists already
expect Profile name
send ${PFX}no
expect Proxy URL
send socks5://$P1_H4:1080
expect append these sections
send n
expect Nothing written
EOF
[ "$DRIVE_RC" -eq 1 ] && [ "$(md5sum <"$CONF")" = "$sum" ]
tap_ok $? "pty: a taken name is asked again, 'n' writes nothing (rc $DRIVE_RC), the file is unchanged" ||
	diag_file "$T/pty.log" 30
init_yes --via "socks5://$P1_H4:1999" --name "${PFX}dead"
rc=$?
[ "$rc" -eq 1 ] && grep -q 'cannot reach the proxy' "$T/yes.out" && [ "$(md5sum <"$CONF")" = "$sum" ]
tap_ok $? "--yes against a port nobody listens on: exit 1, saying so, file unchanged (rc $rc)" ||
	diag_file "$T/yes.out"

# 5. What init wrote loads: the daemon applies all four and traffic goes through them.
diag_file "$CONF" 40
daemon_up
expect_client "$MS" "http://$W4/" "$P1_W4" "the written profile '$MS' works (microsocks, no auth)"
expect_client "$UP" "http://$W4/" "$P1_W4" "the written profile '$UP' works (microsocks, user/password)"
expect_client "$TP" "http://$W4/" "$P1_W4" "the written profile '$TP' works (tinyproxy)"
is "$(status_field "$DT" udp)" '"associate"' "the written profile '$DT' relays UDP (danted)"
expect_client "$PL" "http://$W4/" "$P1_W4" "the written profile '$PL' works (pipelined)"
tail -n 1 "$T/watch.log" | grep -q '^methods=02 early=[1-9]'
tap_ok $? "... its connection came pipelined, with isolation credentials" || diag_file "$T/watch.log"
sanitizer_clean
! grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/all.log" 2>/dev/null
tap_ok $? "the netnsp commands run here printed no sanitizer report"
tap_done
