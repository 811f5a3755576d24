#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_tor.sh - Tor as an exit, offline, in a private Tor network (tor_net.sh):
# via an external tor (socks5h) and via a tor netnsp manages (url = tor);
# stream isolation (isolate = profile / none) read back from tor's control
# port; onion names by fake-IP DNS that never reach a DNS server or a proxy
# other than Tor; status shows the managed tor's bootstrap; newnym; `pipeline =
# yes` with isolation credentials (tor answers the pipelined credentials but
# drops its method reply).
#
#   [S iso1 iso2 shr1 shr2 onion chain: via the client tor c]   [S man: via the managed tor]
#        ^ setns                                                      ^ setns
#   [H ${PFX}h 198.51.100.60: netnsp daemon + managed tor (unix SocksPort)]  no default route
#        | br0 (in R) 198.51.100.0/24
#   +----+------+------+------+-----+------+------+----------+
#   a1 a2 a3    r1 r2   x1 (exit)   hs (onion)   c (client tor :9050)   d (danted :1080)
#   .11-.13     .21-22  .31         .41          .51                     .70
#        | R forwards 198.51.100.0/24 <-> 203.0.113.0/24
#   [W 203.0.113.10: world.py :80 and :8001..8004, dnsmasq :53 (logs queries)]
#
# H, c and d cannot reach W: an answer from W came out of the exit (world.py
# reports 198.51.100.31) or the onion service (198.51.100.41).
. "$(dirname "$0")/lib.sh"
. "$LIB_DIR/tor_net.sh"
lib_init tor tor-gencert dnsmasq danted dig

T0=$(date +%s)
tn_start || bail "private tor network setup failed"
diag "tor network started ($(($(date +%s) - T0)) s incl. keys)"
for port in 80 8001 8002 8003 8004 8005 8006 8007 8008; do
	bg nsx "$NS_W" "$PYTHON" "$LIB_DIR/world.py" --port "$port" 2>>"$T/world.log"
done
bg nsx "$NS_W" dnsmasq --no-daemon --log-queries --no-resolv --no-hosts --bind-interfaces \
	--listen-address="$TN_W4" --port=53 --address=/probe.test/203.0.113.99 \
	--log-facility="$T/dnsmasq.log" --pid-file= --user=root
cat >"$T/danted.conf" <<EOF2
logoutput: $T/danted.log
internal: ${TN_IP[d]} port = 1080
external: eth0
socksmethod: none
clientmethod: none
user.privileged: root
user.unprivileged: nobody
client pass {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	log: connect
}
socks pass {
	from: 0.0.0.0/0 to: 0.0.0.0/0
	protocol: tcp
	log: connect
}
EOF2
bg nsx "$(tn_ns d)" danted -f "$T/danted.conf" -p "$T/danted.pid" -N 1 2>>"$T/danted.err"
if ! wait_port "$NS_W" "$TN_W4" 80 || ! wait_port "$(tn_ns d)" "${TN_IP[d]}" 1080; then
	diag_file "$T/danted.err"
	diag_file "$T/world.log"
	bail "world server or danted did not start"
fi

# Extra torrc lines for the managed tor: the private network's authorities.
cp "$TN_COMMON" "$T/tor-extra"
C=${TN_IP[c]}
prof() { # prof NAME VIA [MORE LINES]
	printf '[profile %s]\nvia = %s\nnetns = %s\n' "$1" "$2" "$(subject_ns "$1")"
	shift 2
	printf '%s\n' "$@"
}
{
	cat <<-EOF2
		# t_tor.sh
		[proxy tc]
		url = socks5h://$C:9050
		tor-control = $C:9051
		tor-control-cookie = $TN_DIR/c/control_auth_cookie

		[proxy tcshare]
		url = socks5h://$C:9050
		isolate = none

		[proxy tcapp]
		url = socks5h://$C:9050
		isolate = app

		[proxy tcpipe]
		url = socks5h://$C:9050
		pipeline = yes

		[proxy dante]
		url = socks5://${TN_IP[d]}:1080

		[proxy tcviadante]
		url = socks5h://$C:9050
		via = dante

		[proxy tor]
		url = tor
		tor-config = $T/tor-extra

	EOF2
	prof iso1 tc "dns = off"
	prof iso2 tc "dns = off"
	prof shr1 tcshare "dns = off"
	prof shr2 tcshare "dns = off"
	prof app tcapp "dns = off"
	prof pipe tcpipe "dns = off"
	prof onion tc "dns = fake" "dns-server = $TN_W4"
	prof chain tcviadante "dns = fake"
	prof man tor "dns = fake"
} >"$CONF"

T_DAEMON=$(date +%s)
daemon_up

# ---------------------------------------------------------------- readiness
if tn_wait 90 tn_client_bootstrapped; then
	pass "client tor bootstrapped in the private network ($(($(date +%s) - T0)) s)"
else
	fail "client tor bootstrapped in the private network"
	diag_file "$TN_DIR/c.log" 30
	bail "private tor network not ready"
fi
world_via() { # world_via PROFILE URL: the body, after retries (100% is not yet "exit usable")
	local body
	body=$(curl_world "$1" "$2" 2>>"$T/curl.err") && [ -n "$body" ] && echo "$body"
}
ok_via_exit() { [ "$(world_via "$1" "http://$TN_W4/")" = "client=${TN_IP[x1]}" ]; }
tn_wait 60 ok_via_exit iso1
tap_ok $? "via an external tor: the world server sees the exit's address (${TN_IP[x1]})" ||
	diag_file "$T/curl.err"

# ---------------------------------------------------------------- isolation
# Hold one stream per profile open (a slow download) and read which circuit
# tor put each on (GETINFO stream-status: ID STATUS CIRCUIT TARGET).
hold() { # hold PROFILE PORT [UID]: a 15 s download in the background
	local as=()
	[ -n "${3:-}" ] && as=(setpriv --reuid="$3" --regid="$3" --clear-groups)
	bg nsp exec "$1" -- "${as[@]}" curl -s --max-time 20 -o /dev/null \
		"http://$TN_W4:$2/slow?bytes=150000&rate=10000"
}
circ_of() { # circ_of PORT: circuit id of the open stream to the world's PORT
	tn_ctl "GETINFO stream-status" | awk -v t="$TN_W4:$1" '$NF == t && $2 == "SUCCEEDED" { print $3; exit }'
}
user_of() { # user_of CIRC: the SOCKS_USERNAME tor recorded for that circuit
	tn_ctl "GETINFO circuit-status" | awk -v c="$1" '
		{ sub(/^250[-+ ]circuit-status=/, "") }
		$1 == c { for (i = 2; i <= NF; i++) if ($i ~ /^SOCKS_USERNAME=/) { sub(/^SOCKS_USERNAME=/, "", $i); gsub(/"/, "", $i); print $i } }'
}
hold iso1 8001
hold iso2 8002
hold shr1 8003
hold shr2 8004
streams_up() { [ -n "$(circ_of 8001)" ] && [ -n "$(circ_of 8002)" ] && [ -n "$(circ_of 8003)" ] && [ -n "$(circ_of 8004)" ]; }
tn_wait 20 streams_up
c1=$(circ_of 8001) c2=$(circ_of 8002) c3=$(circ_of 8003) c4=$(circ_of 8004)
diag "circuits: iso1=$c1 iso2=$c2 shr1=$c3 shr2=$c4"
[ -n "$c1" ] && [ -n "$c2" ] && [ "$c1" != "$c2" ]
tap_ok $? "isolate = profile: two profiles' streams are on different circuits ($c1, $c2)" ||
	tn_ctl "GETINFO stream-status" "GETINFO circuit-status" | sed 's/^/#   /'
u1=$(user_of "$c1") u2=$(user_of "$c2")
[[ $u1 =~ ^[0-9a-f]{32}$ ]] && [[ $u2 =~ ^[0-9a-f]{32}$ ]] && [ "$u1" != "$u2" ]
tap_ok $? "isolate = profile: tor saw distinct 32-hex SOCKS usernames ($u1 / $u2)"
[ "$(stat -c '%a %s %u' "$T/state/isolate.key")" = "600 32 0" ]
tap_ok $? "the per-install secret is a root-only 32-byte file in the state dir"
[ -n "$c3" ] && [ "$c3" = "$c4" ]
tap_ok $? "isolate = none: two profiles' streams share one circuit ($c3, $c4)"
[ -z "$(user_of "$c3")" ]
tap_ok $? "isolate = none: no SOCKS username sent"
# isolate = app: the owner of the app's socket (uid, cgroup) picks the circuit.
hold app 8005
hold app 8006 65534
hold app 8007
apps_up() { [ -n "$(circ_of 8005)" ] && [ -n "$(circ_of 8006)" ] && [ -n "$(circ_of 8007)" ]; }
tn_wait 20 apps_up
c5=$(circ_of 8005) c6=$(circ_of 8006) c7=$(circ_of 8007)
diag "circuits: app root=$c5 nobody=$c6 root again=$c7"
[ -n "$c5" ] && [ -n "$c6" ] && [ "$c5" != "$c6" ]
tap_ok $? "isolate = app: root's and nobody's streams in one profile are on different circuits ($c5, $c6)"
[ -n "$c7" ] && [ "$c5" = "$c7" ]
tap_ok $? "isolate = app: two streams of the same app (uid, cgroup) share one circuit ($c5, $c7)"

# pipeline = yes: greeting (username/password only), credentials and CONNECT in one write.
ok_via_exit pipe
tap_ok $? "pipeline = yes with credentials: through the external tor to the exit" ||
	diag_file "$T/curl.err"
hold pipe 8008
pipe_up() { [ -n "$(circ_of 8008)" ]; }
tn_wait 20 pipe_up
c8=$(circ_of 8008)
u8=$(user_of "$c8")
[[ $u8 =~ ^[0-9a-f]{32}$ ]] && [ "$u8" != "$u1" ] && [ "$u8" != "$u2" ]
tap_ok $? "pipeline = yes: tor saw the profile's own 32-hex SOCKS username ($u8)"
is "$(status_field pipe connections_failed)" 0 "pipeline = yes: no connection failed"

restart_id=$(state_id iso1)
stop_daemon
restart_ready "daemon restarted" || bail "daemon did not restart"
hold iso1 8001
stream1_up() { [ -n "$(circ_of 8001)" ]; }
tn_wait 20 stream1_up
c1b=$(circ_of 8001)
u1b=$(user_of "$c1b")
[ -n "$u1b" ] && [ "$u1b" = "$u1" ] && [ "$(state_id iso1)" = "$restart_id" ]
tap_ok $? "isolate = profile: the same username after a restart (stable derivation)" ||
	diag "before '$u1', after '$u1b' (circuit '$c1b')"

# ---------------------------------------------------------------- onion by name
tn_wait 10 test -s "$TN_DIR/hs/svc/hostname"
ONION=$(tn_onion)
[[ $ONION =~ ^[a-z2-7]{56}\.onion$ ]]
tap_ok $? "the onion service has a v3 name ($ONION)"
ans=$(nexec onion dig +short +time=2 +tries=1 A "$ONION" "@$TN_W4" 2>&1 | head -n1)
[[ $ans =~ ^198\.(18|19)\. ]]
tap_ok $? "the onion name resolves to a fake IP inside the subject ($ans)"
# An onion service is reachable only once its descriptor is on the HSDirs the
# client computes from its consensus; in a private network that took from
# 20 s to over 60 s after bootstrap.  Wait for it with tor alone (curl in d
# through the client tor, no netnsp), so the check below tests netnsp and not
# the network's age.
onion_direct() {
	nsx "$(tn_ns d)" curl -gsS --max-time 8 --socks5-hostname "${TN_IP[c]}:9050" \
		"http://$ONION/" 2>>"$T/direct.err" | grep -qx "client=${TN_IP[hs]}"
}
t0=$(date +%s)
if tn_wait 240 onion_direct; then
	diag "onion service reachable through the client tor alone after $(($(date +%s) - t0)) s"
else
	diag "the onion service never became reachable through the client tor alone (240 s)"
	diag_file "$T/direct.err"
	grep -i 'descriptor\|hsdir\|upload' "$TN_DIR/hs.log" 2>/dev/null | tail -n 5 | sed 's/^/#   hs: /'
fi
ok_onion() { [ "$(world_via "$1" "http://$ONION/")" = "client=${TN_IP[hs]}" ]; }
tn_wait 60 ok_onion onion
tap_ok $? "http://<onion>/ works by name through tor (the world sees the onion service)" ||
	diag_file "$T/curl.err"
# The DNS server is reachable and logs (a TXT query goes to it through the chain) ...
txt_ok() { nexec onion dig +tcp +time=5 +tries=1 TXT probe.test "@$TN_W4" >/dev/null 2>&1 && grep -q 'query\[TXT\] probe.test' "$T/dnsmasq.log"; }
tn_wait 30 txt_ok
tap_ok $? "dns-server (dnsmasq) logs queries forwarded through tor"
# ... but never saw the onion name.
! grep -qi 'onion' "$T/dnsmasq.log"
tap_ok $? "the onion name never reached the DNS server" || grep -i onion "$T/dnsmasq.log" | sed 's/^/#   /'

# Chain dante -> tor: dante carries the tunnel to tor, tor alone gets the name.
tn_wait 60 ok_onion chain
tap_ok $? "chain danted -> tor: http://<onion>/ works" || diag_file "$T/curl.err"
grep -q "${TN_IP[c]}\.9050" "$T/danted.log"
tap_ok $? "danted logged its connections (to the client tor ${TN_IP[c]}.9050)" || diag_file "$T/danted.log"
! grep -qi 'onion' "$T/danted.log"
tap_ok $? "the onion name never reached danted (a proxy other than Tor)"

# ---------------------------------------------------------------- managed tor
boot() { status_json_q '[t["bootstrap"] for t in d["transports"] if t["name"] == "tor"][0]'; }
booted() { [ "$(boot)" = 100 ]; }
tn_wait 90 booted
b=$(boot)
is "$b" 100 "managed tor: status --json shows bootstrap 100 ($(($(date +%s) - T_DAEMON)) s after the first daemon start)"
nsp status 2>/dev/null | grep -A2 '^transport: tor$' | grep -q '^  bootstrap: 100%$' &&
	nsp status 2>/dev/null | grep -A1 '^transport: tor$' | grep -q '^  state: running (tor)'
tap_ok $? "managed tor: status shows the transport, running once bootstrapped, and its bootstrap" ||
	nsp status | sed 's/^/#   /'
tn_wait 60 ok_via_exit man
tap_ok $? "url = tor: the world server sees the exit's address" || diag_file "$T/curl.err"
tn_wait 60 ok_onion man
tap_ok $? "url = tor: http://<onion>/ works by name" || diag_file "$T/curl.err"
tpid=$(status_json_q '[t["pid"] for t in d["transports"]][0]')
[ -S "$T/state/tor-tor/data/socks" ] && [ "$(ps -o user= -p "$tpid")" = debian-tor ] &&
	[ "$(stat -c '%a %U' "$T/state/tor-tor/data")" = "700 debian-tor" ] &&
	[ "$(stat -c '%a %U' "$T/state/tor-tor")" = "711 root" ] &&
	[ "$(stat -c '%a' "$T/state/tor-tor/torrc")" = 600 ]
tap_ok $? "managed tor: runs as debian-tor; SocksPort is a unix socket in its 0700 data dir under the state dir"
grep -q "tor 'tor': .*Bootstrapped 100%" "$T/daemon.log"
tap_ok $? "managed tor: its log is in the daemon's log, prefixed"
log_mark
nsp newnym man
tap_ok $? "netnsp newnym man: accepted"
wait_log "tor 'tor': control: 250 OK" 10 && [ "$(log_since | grep -c "tor 'tor': control: 250")" -ge 2 ]
tap_ok $? "newnym: tor answered AUTHENTICATE and SIGNAL NEWNYM with 250" || log_since | sed 's/^/#   /' | tail -5
log_mark
nsp newnym iso1
tap_ok $? "netnsp newnym iso1 (an external tor with tor-control): accepted"
wait_log "proxy 'tc': control: 250 OK" 10 && [ "$(log_since | grep -c "proxy 'tc': control: 250")" -ge 2 ]
tap_ok $? "newnym: the external tor answered AUTHENTICATE (cookie) and SIGNAL NEWNYM with 250" ||
	log_since | sed 's/^/#   /' | tail -5
! nsp newnym shr1 2>"$T/newnym.err" && grep -q 'goes through no managed tor and no proxy with tor-control' "$T/newnym.err"
tap_ok $? "newnym on a profile without a tor control port: refused with a reason" ||
	diag_file "$T/newnym.err"
tpid=$(status_json_q '[t["pid"] for t in d["transports"]][0]')
kill -KILL "$tpid" 2>/dev/null
restarted() { p=$(status_json_q '[t["pid"] for t in d["transports"]][0]'); [ "$p" != "$tpid" ] && [ "$p" != 0 ]; }
tn_wait 15 restarted
tap_ok $? "managed tor killed: restarted by the daemon (pid $tpid -> $(status_json_q '[t["pid"] for t in d["transports"]][0]'))"
tpid=$(status_json_q '[t["pid"] for t in d["transports"]][0]')
# tor-config's file unchanged: reload leaves tor alone; its content changed
# (same path): reload restarts tor, the new one after the old has ended.
nsp reload >"$T/reload-same.txt" 2>&1
is "$(status_json_q '[t["pid"] for t in d["transports"]][0]')" "$tpid" \
	"reload with tor-config unchanged: the same tor (pid $tpid)"
echo "SafeLogging 1" >>"$T/tor-extra"
log_mark
nsp reload >"$T/reload-chg.txt" 2>&1
tap_ok $? "reload after tor-config's content changed" || diag_file "$T/reload-chg.txt"
wait_log "tor 'tor': changed, restarted by reload" 5 && tn_wait 15 restarted &&
	wait_log "tor 'tor': stopped" 5
tap_ok $? "tor-config content changed: tor restarted (pid $tpid -> $(status_json_q '[t["pid"] for t in d["transports"]][0]'))" ||
	log_since | sed 's/^/#   /' | tail -8
! kill -0 "$tpid" 2>/dev/null
tap_ok $? "the old tor (pid $tpid) is gone"
tpid=$(status_json_q '[t["pid"] for t in d["transports"]][0]')
stop_daemon
sleep 0.5
! kill -0 "$tpid" 2>/dev/null
tap_ok $? "daemon stopped: the managed tor is gone too"

sanitizer_clean
diag "whole test: $(($(date +%s) - T0)) s"
tap_done
