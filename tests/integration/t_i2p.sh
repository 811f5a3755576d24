#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_i2p.sh - a managed i2pd (`url = i2p`) as the `*.i2p` route's exit, offline
# (no peers): the daemon starts Debian's i2pd as the i2pd user with its data
# under the state dir and its SOCKS proxy on a privileged port of H's
# loopback; `status` shows it; an .i2p name reaches it as a name (i2pd's own
# log line, which netnsp's log carries) and no DNS server nor the default
# route's proxy; everything else follows `default`; a killed i2pd is started
# again; stopping the daemon stops it; without an i2pd binary the daemon says
# so in one line and the rest of the profile still works.
#
#   [S s: curl, dig via `netnsp exec`]                               no link
#        ^ setns
#   [H: netnsp daemon + managed i2pd (SOCKS 127.0.0.1:<1024, no peers)]
#        | veth 198.51.100.1 - 198.51.100.2                  (no route to W)
#   [P1: tinyproxy 198.51.100.2:8888 (a, logs names), /etc/hosts: world.test = W]
#        | veth 203.0.113.1
#   [W: world.py 203.0.113.100:80 -> "client=ADDR"; dnsmasq 203.0.113.53 --log-queries]
#
# W reports 203.0.113.1 for everything that went through tinyproxy.
. "$(dirname "$0")/lib.sh"
lib_init tinyproxy i2pd dnsmasq dig unshare

topo_world_up
start_dnsmasq_w "$DNS4" --mx-host=world.test,mail.world.test,10 || bail "dnsmasq did not start"
mkdir -p "/etc/netns/$NS_P1" && at_cleanup "rm -rf /etc/netns/$NS_P1"
printf '127.0.0.1 localhost\n%s world.test\n' "$W4" >"/etc/netns/$NS_P1/hosts"
start_tinyproxy "$NS_P1" "$P1_H4" 8888 || bail "tinyproxy P1"
getent passwd i2pd >/dev/null || bail "no i2pd user (Debian's i2pd package makes it)"

# i2p-config: lines that tune i2pd, copied into the generated i2pd.conf.
printf 'bandwidth = L\n[limits]\ntransittunnels = 20\n' >"$T/i2p-extra"
cat >"$CONF" <<EOF2
[proxy a]
url = http://$P1_H4:8888
[proxy i2p]
url = i2p
i2p-config = $T/i2p-extra

[profile s]
netns = $(subject_ns s)
dns-server = $DNS4
route = *.i2p i2p
route = default a
EOF2
daemon_up

tj() { status_json_q "[t for t in d['transports'] if t['name'] == 'i2p'][0]$1"; }
i2pd_ready() { [ "$(tj "['state']")/$(tj "['ready']")" = running/true ]; }
I2P_DIR=$T/state/i2p-i2p

# ---------------------------------------------------------------- the child
wait_until 20 i2pd_ready
tap_ok $? "status --json: running once its SOCKS port listens, owned by i2pd" ||
	diag "status: $(nsp status --json 2>&1 | head -c 1500)"
PID=$(tj "['pid']")
PORT=$(tj "['socks']" | sed 's/.*://')
is "$(tj "['kind']") $(tj "['state']")" "i2p running" "status --json: kind i2p, running"
is "$(ps -o user= -p "$PID" 2>/dev/null)" "i2pd" "i2pd (pid $PID) runs as the i2pd user"
tr '\0' ' ' <"/proc/$PID/cmdline" 2>/dev/null | grep -qF -- "--datadir=$I2P_DIR/data"
tap_ok $? "its data dir is under the state dir ($I2P_DIR/data)"
is "$(stat -c '%U %a' "$I2P_DIR/data" 2>/dev/null)" "i2pd 700" "the data dir is i2pd's, 0700"
[ -n "$(find "$I2P_DIR/data" -mindepth 1 -user i2pd -print -quit 2>/dev/null)" ]
tap_ok $? "i2pd wrote its own files there"
[ "${PORT:-0}" -gt 0 ] && [ "$PORT" -lt 1024 ]
tap_ok $? "its SOCKS port $PORT is privileged: no other user can take it while i2pd is down"
nsenter --net="/run/netns/$NS_H" ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -q "127.0.0.1:$PORT.*i2pd"
tap_ok $? "in H, only 127.0.0.1:$PORT listens for it, and it is i2pd's"
! nsenter --net="/run/netns/$NS_H" ss -Hltnp 2>/dev/null | grep -E ':(7070|4444|7656|2827|7654|7650) '
tap_ok $? "no web console, HTTP proxy, SAM, BOB, I2CP or I2PControl listens"
grep -q '^bandwidth = L$' "$I2P_DIR/i2pd.conf" && grep -q '^transittunnels = 20$' "$I2P_DIR/i2pd.conf" &&
	[ "$(sed -n '/^bandwidth = L/=' "$I2P_DIR/i2pd.conf")" -lt "$(sed -n '/^\[socksproxy\]/=' "$I2P_DIR/i2pd.conf")" ]
tap_ok $? "i2p-config: its lines are in i2pd.conf (top-level keys before the sections)" ||
	diag_file "$I2P_DIR/i2pd.conf"
nsp status >"$T/status.txt" 2>&1
grep -q "socks: 127.0.0.1:$PORT (listening)" "$T/status.txt" &&
	grep -q "state: running (i2p), pid $PID" "$T/status.txt"
tap_ok $? "status (text) shows the transport, its pid and its SOCKS port" ||
	diag_file "$T/status.txt"

# ---------------------------------------------------------------- routing
expect_client s "http://world.test/" "$P1_W4" "world.test takes route = default (tinyproxy)"
log_mark
nexec s curl -gsS --max-time 10 http://x.i2p/ >/dev/null 2>"$T/i2p.err"
rc=$?
diag "curl http://x.i2p/ failed as expected (rc $rc: i2pd has no peers offline): $(head -c 200 "$T/i2p.err")"
wait_log "i2pd 'i2p': .*x\.i2p" 10
tap_ok $? "x.i2p reached the managed i2pd's SOCKS proxy as a name (its log line in netnsp's)" ||
	diag_file "$T/daemon.log" 15
nexec s dig +tries=1 +time=2 world.test MX >"$T/dig-mx.txt" 2>&1
grep -q 'world\.test' "$T/dnsmasq.log"
tap_ok $? "a world.test MX query reaches dnsmasq (so its log can show names)" ||
	diag_file "$T/dig-mx.txt"
nexec s dig +tries=1 +time=2 x.i2p MX >/dev/null 2>&1
! grep -q 'i2p' "$T/dnsmasq.log"
tap_ok $? "dnsmasq never saw an .i2p name" || diag_file "$T/dnsmasq.log"
grep -q 'world\.test' "$T/tinyproxy-8888.log" && ! grep -q 'i2p' "$T/tinyproxy-8888.log"
tap_ok $? "tinyproxy (route default) saw world.test and never an .i2p name" ||
	diag_file "$T/tinyproxy-8888.log"

# ---------------------------------------------------------------- supervision
log_mark
kill -KILL "$PID"
wait_log "i2pd 'i2p': killed by signal 9; starting again in 1 s" 5
tap_ok $? "the daemon saw i2pd die and says when it starts it again"
wait_until 20 i2pd_ready
NEW=$(tj "['pid']")
[ -n "$NEW" ] && [ "$NEW" != 0 ] && [ "$NEW" != "$PID" ] && [ "$(tj "['restarts']")" = 1 ] &&
	[ "$(tj "['socks']")" = "127.0.0.1:$PORT" ]
tap_ok $? "i2pd started again (pid $PID -> $NEW, 1 restart, same port) and listens" ||
	diag "status: $(nsp status --json 2>&1 | head -c 1500)"
log_mark
nexec s curl -gsS --max-time 10 http://y.i2p/ >/dev/null 2>&1
wait_log "i2pd 'i2p': .*y\.i2p" 10
tap_ok $? "y.i2p reaches the restarted i2pd as a name"

# ---------------------------------------------------------------- reload
# An i2p-config line that would open a listener: reload refuses it (exit 2,
# file and line named) and the running i2pd is left alone.
cp "$T/i2p-extra" "$T/i2p-extra.good"
printf 'bandwidth = L\nhttpproxy.enabled = true\n' >"$T/i2p-extra"
nsp reload >"$T/reload0.txt" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "i2p-config: $T/i2p-extra: line 2: 'httpproxy.enabled' opens a listener" "$T/reload0.txt"
tap_ok $? "reload refuses an i2p-config that opens the HTTP proxy (exit $rc, the line named)" ||
	diag_file "$T/reload0.txt"
is "$(tj "['pid']")" "$NEW" "and the running i2pd (pid $NEW) is left alone"
! nsenter --net="/run/netns/$NS_H" ss -Hltn 2>/dev/null | grep -q ':4444 '
tap_ok $? "no HTTP proxy listens"

# The file's content changed (same path): reload restarts i2pd with it.
printf 'bandwidth = O\n[limits]\ntransittunnels = 20\n' >"$T/i2p-extra"
log_mark
nsp reload >"$T/reload-c.txt" 2>&1
tap_ok $? "reload after the i2p-config content changed" || diag_file "$T/reload-c.txt"
wait_log "i2pd 'i2p': changed, restarted by reload" 5
tap_ok $? "the log says it is restarted"
restarted() { p=$(tj "['pid']"); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$NEW" ]; }
wait_until 20 restarted && wait_until 20 i2pd_ready && grep -q '^bandwidth = O$' "$I2P_DIR/i2pd.conf"
tap_ok $? "a new i2pd (pid $NEW -> $(tj "['pid']")) runs with the new lines" ||
	diag "status: $(nsp status --json 2>&1 | head -c 1500)"
! kill -0 "$NEW" 2>/dev/null
tap_ok $? "the old one (pid $NEW) is gone"
NEW=$(tj "['pid']")

# Remove the i2p proxy (its route now blocks), then add it back: no daemon restart.
# i2pd is stopped (SIGSTOP) so that SIGTERM cannot end it: the daemon must not
# wait for it (reload and status answer at once) and kills it after 3 s.
cp "$T/i2p-extra.good" "$T/i2p-extra"
cp "$CONF" "$T/conf.i2p"
sed -e '/^\[proxy i2p\]/,/^i2p-config = /d' -e 's/^route = \*\.i2p i2p/route = *.i2p block/' \
	"$T/conf.i2p" >"$CONF"
DPID=$DAEMON_PID
kill -STOP "$NEW"
log_mark
t0=$(now_ms)
nsp reload >"$T/reload1.txt" 2>&1
rc=$? ms=$(($(now_ms) - t0))
tap_ok $rc "reload without the i2p proxy" || diag_file "$T/reload1.txt"
t1=$(now_ms)
nsp status --json >/dev/null 2>&1
rc=$? ms2=$(($(now_ms) - t1))
[ "$rc" -eq 0 ] && [ "$ms" -lt 2500 ] && [ "$ms2" -lt 1000 ] && kill -0 "$NEW" 2>/dev/null
tap_ok $? "reload ($ms ms) and status ($ms2 ms) do not wait for the i2pd that ignores SIGTERM"
wait_log "i2pd 'i2p': removed, stopped by reload" 5
tap_ok $? "the log says the reload stopped it (one line)"
wait_log "i2pd 'i2p': still running 3 s after SIGTERM: SIGKILL" 8 &&
	wait_log "i2pd 'i2p': stopped \(killed after the grace period\)" 3
tap_ok $? "after the grace period the daemon kills it, and says so" || diag_file "$T/daemon.log" 10
! kill -0 "$NEW" 2>/dev/null && [ ! -e "$I2P_DIR/i2pd.conf" ] && [ -d "$I2P_DIR/data" ]
tap_ok $? "i2pd (pid $NEW) is gone, its generated i2pd.conf removed, its data/ kept"
is "$(status_json_q "len(d['transports'])")" 0 "status --json lists no transport"
t0=$(now_ms)
nexec s curl -gsS --max-time 5 http://x.i2p/ >/dev/null 2>&1
rc=$? ms=$(($(now_ms) - t0))
[ "$rc" -ne 0 ] && [ "$ms" -lt 1000 ]
tap_ok $? "x.i2p is now refused at once (curl rc $rc, $ms ms)"
cp "$T/conf.i2p" "$CONF"
log_mark
nsp reload >"$T/reload2.txt" 2>&1
tap_ok $? "reload with the i2p proxy and its route again" || diag_file "$T/reload2.txt"
wait_log "i2pd 'i2p': added by reload" 5 && wait_log "i2pd 'i2p': started .* as pid" 5
tap_ok $? "the log says the reload added it and started i2pd"
wait_until 20 i2pd_ready
NEW2=$(tj "['pid']")
[ -n "$NEW2" ] && [ "$NEW2" != 0 ] && [ "$NEW2" != "$NEW" ] && kill -0 "$NEW2" &&
	[ "$(ps -o user= -p "$NEW2")" = i2pd ] && kill -0 "$DPID" && [ "$DAEMON_PID" = "$DPID" ]
tap_ok $? "i2pd runs again (pid $NEW2, user i2pd) under the same daemon (pid $DPID)" ||
	diag "status: $(nsp status --json 2>&1 | head -c 1500)"
log_mark
nexec s curl -gsS --max-time 10 http://z.i2p/ >/dev/null 2>&1
wait_log "i2pd 'i2p': .*z\.i2p" 10
tap_ok $? "z.i2p reaches the i2pd added by reload as a name" || diag_file "$T/daemon.log" 15
NEW=$NEW2
sanitizer_clean
stop_daemon
sleep 0.2
! kill -0 "$NEW" 2>/dev/null
tap_ok $? "stopping the daemon stopped i2pd (pid $NEW)"

# ---------------------------------------------------------------- no i2pd binary
# The daemon in a private mount namespace where no i2pd path it knows is executable.
: >"$T/noexec"
bg unshare -m --propagation private bash -c "for b in /usr/sbin/i2pd /usr/bin/i2pd; do
	[ ! -e \$b ] || mount --bind '$T/noexec' \$b || exit 1; done
	exec nsenter --net=/run/netns/$NS_H '$NETNSP' -v --config '$CONF' \
	--state-dir '$T/state' --run-dir '$T/run' daemon" 2>>"$T/daemon-nobin.log"
DAEMON_PID=$LAST_PID
wait_ready 10
tap_ok $? "without an i2pd binary the daemon still starts and applies the profile" ||
	diag_file "$T/daemon-nobin.log"
n=$(grep -c "no i2pd binary" "$T/daemon-nobin.log")
line=$(grep -m1 "no i2pd binary" "$T/daemon-nobin.log")
is "$n" 1 "one line says so: $line"
[[ $line == *"i2pd 'i2p': no i2pd binary (install Debian's i2pd package)"* ]]
tap_ok $? "it names the proxy and the package to install"
is "$(tj "['state']")" failed "status --json: state failed"
expect_client s "http://world.test/" "$P1_W4" "world.test still takes route = default"
t0=$(now_ms)
nexec s curl -gsS --max-time 5 http://x.i2p/ >/dev/null 2>&1
rc=$? ms=$(($(now_ms) - t0))
[ "$rc" -ne 0 ] && [ "$ms" -lt 1000 ]
tap_ok $? "x.i2p is refused at once, never sent elsewhere (curl rc $rc, $ms ms)"
! grep -q 'i2p' "$T/tinyproxy-8888.log" "$T/dnsmasq.log"
tap_ok $? "still no .i2p name at tinyproxy or dnsmasq"
stop_daemon
tap_done
