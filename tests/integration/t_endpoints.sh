#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_endpoints.sh - the in-namespace proxy endpoints (socks-port, http-port):
# a SOCKS5 server (RFC 1928, CONNECT only) and an HTTP proxy (RFC 9110
# absolute-form requests and CONNECT, §9.3.6) on 127.0.0.1 and ::1 inside a
# subject.  Their targets, names included, go unresolved to the profile's
# chain; failures get the protocol's own error reply, never a hang.
#
#   [S ep / names / two: curl, s5probe.py via `netnsp exec`]   no link, no resolver
#        ^ setns: 127.0.0.1/::1 :1080 (SOCKS5) :8118 (HTTP) exist only in here
#   [H: netnsp daemon]  198.51.100.1  2001:db8:1::1    (no route to W)
#        | veth
#   [P1: microsocks :1080 (ep's proxy),
#        microsocks :1090 and tinyproxy :8890 in a private mount namespace whose
#        /etc/hosts says world.test = 203.0.113.100, world6.test = 2001:db8:100::1
#        (names' proxies; only they can resolve those names)]  198.51.100.2
#        | veth 198.51.100.65 ---- 198.51.100.66 [P2: microsocks :1080]
#        | veth 203.0.113.1 2001:db8:3::1          | veth 203.0.113.65 2001:db8:4::1
#   [W: world.py 203.0.113.100:80 [2001:db8:100::1]:80: "client=ADDR", POST /echo]
#
# W reports the last hop's address: P1 (203.0.113.1 / 2001:db8:3::1) for ep
# and names, P2 (203.0.113.65 / 2001:db8:4::1) for the chain P1 -> P2.  H has
# no route to W, so any answer at all came through the proxies.
. "$(dirname "$0")/lib.sh"
lib_init microsocks tinyproxy unshare ss sha256sum

SP=1080 # socks-port inside every subject
HP=8118 # http-port inside every subject

topo_p1_up
start_microsocks "$NS_P2" 1080 || bail "microsocks P2 :1080"

# The names only the proxy can resolve: its own /etc/hosts, and an nsswitch.conf
# that never asks DNS, bound in a private mount namespace (mount_namespaces(7):
# private propagation keeps the binds away from the host).
printf '%s world.test\n%s world6.test\n' "$W4" "$W6" >"$T/hosts"
printf 'hosts: files\n' >"$T/nsswitch.conf"
# IN_HOSTS_NS CMD...: exec CMD in P1 with the test's hosts file (every step execs
# in place, so bg's pid is CMD itself).
# shellcheck disable=SC2016 # $0/$1/$@ are for the inner sh
IN_HOSTS_NS=(nsenter --net="/run/netns/$NS_P1" unshare -m --propagation private sh -c
	'mount --bind "$0" /etc/hosts && mount --bind "$1" /etc/nsswitch.conf && shift &&
	exec "$@"' "$T/hosts" "$T/nsswitch.conf")
bg "${IN_HOSTS_NS[@]}" microsocks -i "$P1_H4" -p 1090 >>"$T/microsocks-names.log" 2>&1
wait_port "$NS_P1" "$P1_H4" 1090 || bail "microsocks P1 :1090 (hosts)"
{
	echo "Port 8890"
	echo "Listen $P1_H4"
	echo "Timeout 30"
	echo "DisableViaHeader Yes"
	echo "Allow 198.51.100.0/24"
} >"$T/tinyproxy-names.conf"
bg "${IN_HOSTS_NS[@]}" tinyproxy -d -c "$T/tinyproxy-names.conf" >>"$T/tinyproxy-names.log" 2>&1
wait_port "$NS_P1" "$P1_H4" 8890 || bail "tinyproxy P1 :8890 (hosts)"

proxies() {
	conf_proxy p1 "socks5://$P1_H4:1080"
	conf_proxy p1names "socks5://$P1_H4:1090"
	conf_proxy p1hnames "http://$P1_H4:8890"
	conf_proxy p2 "socks5://$P2_P4:1080" "via = p1"
}
profile() { conf_profile "$@"; } # profile NAME VIA [EXTRA LINE...]
ports() { printf 'socks-port = %s\nhttp-port = %s\n' "$SP" "$HP"; }
conf_full() {
	proxies
	profile ep p1 "$(ports)"
	profile names p1names "$(ports)"
	profile hnames p1hnames "$(ports)"
	profile two p2 "$(ports)"
}
conf_nosocks() { # ep without socks-port; everything else as conf_full
	proxies
	profile ep p1 "http-port = $HP"
	profile names p1names "$(ports)"
	profile hnames p1hnames "$(ports)"
	profile two p2 "$(ports)"
}

# s5probe.py MODE HOST PORT [ARGS]: a SOCKS5 / raw client that shows the
# server's bytes (RFC 1928 §3, §4, §6), run inside a subject.  Prints one line:
#   connect DHOST DPORT / udp: "rep=N" (the REP byte of the reply to CONNECT /
#                UDP ASSOCIATE)
#   junk BYTES [split]: sends BYTES (Python escapes) in one write, or one byte
#                per write 5 ms apart; "got=HEX" (all the server sent), and
#                "client=ADDR" when world.py's answer is among it
# then " closed=0|1 ms=N" (EOF or reset within 5 s; time from connect to the end).
cat >"$T/s5probe.py" <<-'PY'
	import ipaddress, socket, sys, time
	mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
	s = socket.create_connection((host, port), timeout=5)
	t0 = time.monotonic()
	def recv_all():
	    got = b""
	    try:
	        while True:
	            b = s.recv(4096)
	            if not b:
	                return got, 1
	            got += b
	    except ConnectionResetError:
	        return got, 1
	    except socket.timeout:
	        return got, 0
	def recv_n(n):
	    got = b""
	    while len(got) < n:
	        b = s.recv(n - len(got))
	        if not b:
	            break
	        got += b
	    return got
	if mode == "junk":
	    data = sys.argv[4].encode().decode("unicode_escape").encode("latin-1")
	    try:
	        if sys.argv[5:] == ["split"]:
	            for i in range(len(data)):
	                s.send(data[i:i + 1])
	                time.sleep(0.005)
	        else:
	            s.sendall(data)
	    except (BrokenPipeError, ConnectionResetError):
	        pass  # refused before it read everything: what it sent is still there
	    got, closed = recv_all()
	    i = got.find(b"client=")
	    client = " client=" + got[i + 7:].split(b"\n")[0].decode() if i >= 0 else ""
	    print("got=%s%s closed=%d ms=%d" % (got.hex(), client, closed,
	                                         (time.monotonic() - t0) * 1000))
	    sys.exit(0)
	s.sendall(b"\x05\x01\x00")
	if recv_n(2) != b"\x05\x00":
	    print("method refused"); sys.exit(1)
	cmd = 1 if mode == "connect" else 3
	dhost, dport = (sys.argv[4], int(sys.argv[5])) if mode == "connect" else ("0.0.0.0", 0)
	try:
	    ip = ipaddress.ip_address(dhost)
	    addr = bytes([1 if ip.version == 4 else 4]) + ip.packed
	except ValueError:
	    addr = bytes([3, len(dhost)]) + dhost.encode()
	s.sendall(bytes([5, cmd, 0]) + addr + dport.to_bytes(2, "big"))
	head = recv_n(2)
	rep = head[1] if len(head) == 2 else -1
	rest, closed = recv_all()
	print("rep=%d closed=%d ms=%d" % (rep, closed, (time.monotonic() - t0) * 1000))
PY
s5probe() { nexec "$1" "$PYTHON" "$T/s5probe.py" "${@:2}" 2>>"$T/probe.err"; }
# ep_client PROFILE URL WANT DESC CURL-ARGS...: through the endpoint the curl
# arguments name, W saw WANT as the client address (lib.sh's expect_client
# takes no curl arguments).
ep_client() {
	local body
	body=$(curl_world "$1" "$2" "${@:5}" 2>"$T/curl.err")
	is "$body" "client=$3" "$4" || diag_file "$T/curl.err"
}
field() { # field LINE KEY: the value of KEY=VALUE in a probe's output line
	printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

conf_full >"$CONF"
daemon_up

# ------------------------------------------------------------ where they listen
# Only inside the subject, only on loopback: ss(8) in each namespace.
lis=$(nsenter --net="/run/netns/$(subject_ns ep)" ss -Hltn | awk '{ print $4 }' | sort | tr '\n' ' ')
for a in "127.0.0.1:$SP" "[::1]:$SP" "127.0.0.1:$HP" "[::1]:$HP"; do
	case " $lis " in *" $a "*) true ;; *) false ;; esac
	tap_ok $? "ep's namespace listens on $a"
done
case " $lis " in *" 0.0.0.0:$SP "* | *" *:$SP "* | *" [::]:$SP "* | *" 0.0.0.0:$HP "* | *" [::]:$HP "*)
	false ;; *) true ;; esac
tap_ok $? "the endpoints are bound to loopback only (listeners: $lis)"
h_lis=$(nsx "$NS_H" ss -Hltn "( sport = :$SP or sport = :$HP )")
is "$h_lis" "" "H (the daemon's namespace) has no listener on :$SP or :$HP"
nsx "$NS_H" timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SP" 2>/dev/null
tap_ok $((!$?)) "from H, 127.0.0.1:$SP is not listening"
nsx "$NS_H" timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HP" 2>/dev/null
tap_ok $((!$?)) "from H, 127.0.0.1:$HP is not listening"

# ------------------------------------------------------------ SOCKS5 endpoint
tot0=$(status_field ep connections_total)
up0=$(status_field ep bytes_up)
down0=$(status_field ep bytes_down)

ep_client ep "http://$W4/" "$P1_W4" "socks-port, --socks5-hostname 127.0.0.1: IPv4 via P1" \
	--socks5-hostname "127.0.0.1:$SP"
ep_client ep "http://[$W6]/" "$P1_W6" "socks-port, --socks5-hostname 127.0.0.1: IPv6 via P1" \
	--socks5-hostname "127.0.0.1:$SP"
ep_client ep "http://$W4/" "$P1_W4" "socks-port, --socks5 [::1]: IPv4 via P1" \
	--socks5 "[::1]:$SP"
ep_client ep "http://[$W6]/" "$P1_W6" "socks-port, --socks5 [::1]: IPv6 via P1" \
	--socks5 "[::1]:$SP"

# ------------------------------------------------------------ HTTP endpoint
ep_client ep "http://$W4/" "$P1_W4" "http-port, absolute-form GET via 127.0.0.1: IPv4 via P1" \
	-x "http://127.0.0.1:$HP"
ep_client ep "http://[$W6]/" "$P1_W6" "http-port, absolute-form GET via 127.0.0.1: IPv6 via P1" \
	-x "http://127.0.0.1:$HP"
ep_client ep "http://$W4/" "$P1_W4" "http-port, CONNECT via [::1]: IPv4 via P1" \
	-p -x "http://[::1]:$HP"
ep_client ep "http://[$W6]/" "$P1_W6" "http-port, CONNECT via [::1]: IPv6 via P1" \
	-p -x "http://[::1]:$HP"

# An upload through each HTTP form comes back byte for byte (POST /echo).
head -c 200000 /dev/urandom >"$T/body.bin"
want_sum=$(sha256sum <"$T/body.bin" | cut -d' ' -f1)
for form in absolute CONNECT; do
	args=(-x "http://127.0.0.1:$HP")
	[ "$form" = CONNECT ] && args=(-p -x "http://[::1]:$HP")
	curl_world ep "http://$W4/echo" "${args[@]}" -H 'Expect:' \
		--data-binary "@$T/body.bin" -o "$T/echo.bin" 2>"$T/curl.err"
	rc=$?
	is "$rc:$(sha256sum <"$T/echo.bin" | cut -d' ' -f1)" "0:$want_sum" \
		"http-port, $form: a 200 kB POST body reaches W and comes back intact" ||
		diag_file "$T/curl.err"
done
curl_world ep "http://[$W6]/echo" --socks5-hostname "127.0.0.1:$SP" -H 'Expect:' \
	--data-binary "@$T/body.bin" -o "$T/echo.bin" 2>"$T/curl.err"
is "$?:$(sha256sum <"$T/echo.bin" | cut -d' ' -f1)" "0:$want_sum" \
	"socks-port: a 200 kB POST body over IPv6 comes back intact" || diag_file "$T/curl.err"

# 40 clients at once, half on each endpoint and family: every one is answered.
# shellcheck disable=SC2016 # the inner bash expands $i, $0, ${a[@]}
nexec ep bash -c '
	for i in $(seq 40); do
		case $((i % 4)) in
		0) a=(--socks5-hostname 127.0.0.1:'"$SP"') ;; 1) a=(--socks5 [::1]:'"$SP"') ;;
		2) a=(-x http://127.0.0.1:'"$HP"') ;; 3) a=(-p -x http://[::1]:'"$HP"') ;;
		esac
		curl -gsS --max-time 8 "${a[@]}" http://'"$W4"'/ >"$0/par.$i" 2>&1 &
	done
	wait' "$T"
n=$(cat "$T"/par.* | grep -c "^client=$P1_W4\$")
is "$n" 40 "40 concurrent clients on both endpoints, v4 and v6 loopback: all answered via P1"

# ------------------------------------------------------------ status counts them
tot1=$(status_field ep connections_total)
up1=$(status_field ep bytes_up)
down1=$(status_field ep bytes_down)
[ $((tot1 - tot0)) -ge 51 ] 2>/dev/null
tap_ok $? "status: ep's connections_total counts the 51 endpoint connections ($tot0 -> $tot1)"
[ $((up1 - up0)) -ge 600000 ] 2>/dev/null && [ $((down1 - down0)) -ge 600000 ] 2>/dev/null
tap_ok $? "status: bytes_up and bytes_down grew by the 3 x 200 kB echoed (up $up0 -> $up1, down $down0 -> $down1)"
no_live_conn() { [ "$(status_field ep connections)" = 0 ]; } # re-read on every try
wait_until 10 no_live_conn
tap_ok $? "status: no live connection is left on ep (got $(status_field ep connections))"

# ------------------------------------------------------------ names stay names
nexec names getent hosts world.test >"$T/getent.out" 2>&1
tap_ok $((!$?)) "inside the subject world.test does not resolve (getent fails)" ||
	diag_file "$T/getent.out"
grep -q world.test /etc/hosts
tap_ok $((!$?)) "the host's /etc/hosts does not name world.test either"
ep_client names "http://world.test/" "$P1_W4" \
	"socks-port: --socks5-hostname world.test is resolved by the proxy (IPv4)" \
	--socks5-hostname "127.0.0.1:$SP"
ep_client names "http://world6.test/" "$P1_W6" \
	"socks-port: --socks5-hostname world6.test is resolved by the proxy (IPv6)" \
	--socks5-hostname "[::1]:$SP"
ep_client names "http://world.test/" "$P1_W4" \
	"http-port: absolute-form GET http://world.test/ is resolved by the proxy" \
	-x "http://127.0.0.1:$HP"
ep_client names "http://world6.test/" "$P1_W6" \
	"http-port: CONNECT world6.test:80 is resolved by the proxy" -p -x "http://[::1]:$HP"
ep_client hnames "http://world.test/" "$P1_W4" \
	"socks-port -> HTTP CONNECT upstream: world.test resolved by tinyproxy" \
	--socks5-hostname "127.0.0.1:$SP"
ep_client hnames "http://world6.test/" "$P1_W6" \
	"http-port -> HTTP CONNECT upstream: world6.test resolved by tinyproxy" \
	-x "http://127.0.0.1:$HP"
grep -q 'world.test' "$T/tinyproxy-names.log"
tap_ok $? "tinyproxy saw the name world.test (it went unresolved)"
# Control: the same name without a proxy cannot work inside the subject.
curl_world names "http://world.test/" >/dev/null 2>"$T/curl.err"
tap_ok $((!$?)) "control: curl http://world.test/ without the endpoint fails inside the subject"

# ------------------------------------------------------------ two-hop chain
ep_client two "http://$W4/" "$P2_W4" "chain P1 -> P2, socks-port: IPv4, W sees P2" \
	--socks5-hostname "127.0.0.1:$SP"
ep_client two "http://[$W6]/" "$P2_W6" "chain P1 -> P2, socks-port [::1]: IPv6, W sees P2" \
	--socks5 "[::1]:$SP"
ep_client two "http://$W4/" "$P2_W4" "chain P1 -> P2, http-port absolute-form: W sees P2" \
	-x "http://127.0.0.1:$HP"
ep_client two "http://[$W6]/" "$P2_W6" "chain P1 -> P2, http-port CONNECT: IPv6, W sees P2" \
	-p -x "http://[::1]:$HP"

# ------------------------------------------------------------ errors
# A closed port at the destination: W answers RST, P1 reports it, the app
# gets REP 5 (RFC 1928 §6 "Connection refused") / HTTP 502, within 3 s.
out=$(s5probe ep connect 127.0.0.1 "$SP" "$W4" 81)
[ "$(field "$out" rep)" = 5 ] && [ "${out##*ms=}" -lt 3000 ] 2>/dev/null
tap_ok $? "socks-port: CONNECT to a closed port gets REP 5 within 3 s ($out)" ||
	diag_file "$T/probe.err"
out=$(s5probe two connect ::1 "$SP" "$W6" 81)
[ "$(field "$out" rep)" = 5 ] && [ "${out##*ms=}" -lt 3000 ] 2>/dev/null
tap_ok $? "socks-port through the chain: closed IPv6 port gets REP 5 within 3 s ($out)"
# No route from P1 at all (198.51.100.200 is in none of its prefixes): REP 3.
out=$(s5probe ep connect 127.0.0.1 "$SP" 198.51.100.200 80)
[ "$(field "$out" rep)" = 3 ] && [ "${out##*ms=}" -lt 3000 ] 2>/dev/null
tap_ok $? "socks-port: a destination P1 has no route to gets REP 3 within 3 s ($out)"
# A name the proxy cannot resolve: some error reply, at once.
out=$(s5probe names connect 127.0.0.1 "$SP" nowhere.test 80)
rep=$(field "$out" rep)
[ -n "$rep" ] && [ "$rep" -gt 0 ] && [ "${out##*ms=}" -lt 3000 ] 2>/dev/null
tap_ok $? "socks-port: a name the proxy cannot resolve gets an error REP within 3 s ($out)"

http_code() { # http_code PROFILE URL WRITEOUT CURL-ARGS...: code and time in ms
	local t0 code
	t0=$(now_ms)
	code=$(curl_world "$1" "$2" "${@:4}" -o /dev/null -w "$3" 2>/dev/null)
	echo "$code $(($(now_ms) - t0))"
}
read -r code ms < <(http_code ep "http://$W4:81/" '%{http_code}' -x "http://127.0.0.1:$HP")
[ "$code" = 502 ] && [ "$ms" -lt 3000 ]
tap_ok $? "http-port: GET to a closed port gets 502 within 3 s (got $code in $ms ms)"
read -r code ms < <(http_code ep "http://[$W6]:81/" '%{http_connect}' -p -x "http://[::1]:$HP")
[ "$code" = 502 ] && [ "$ms" -lt 3000 ]
tap_ok $? "http-port: CONNECT to a closed IPv6 port gets 502 within 3 s (got $code in $ms ms)"
read -r code ms < <(http_code two "http://$W4:81/" '%{http_code}' -x "http://127.0.0.1:$HP")
[ "$code" = 502 ] && [ "$ms" -lt 3000 ]
tap_ok $? "http-port through the chain: closed port gets 502 within 3 s (got $code in $ms ms)"
read -r code ms < <(http_code names "http://nowhere.test/" '%{http_code}' -x "http://127.0.0.1:$HP")
[ "$code" = 502 ] && [ "$ms" -lt 3000 ]
tap_ok $? "http-port: a name the proxy cannot resolve gets 502 within 3 s (got $code in $ms ms)"

# UDP ASSOCIATE is not carried by the endpoint: REP 7 "Command not supported".
out=$(s5probe ep udp 127.0.0.1 "$SP")
[ "$(field "$out" rep)" = 7 ] && [ "$(field "$out" closed)" = 1 ]
tap_ok $? "socks-port: UDP ASSOCIATE gets REP 7 and the connection closes ($out)"
out=$(s5probe ep udp ::1 "$SP")
is "$(field "$out" rep)" 7 "socks-port on ::1: UDP ASSOCIATE gets REP 7 ($out)"

# Requests split or pipelined any way: one byte per segment, or greeting,
# request and payload in one segment (the payload must reach W).
read -ra octets <<<"${W4//./ }"
W4HEX=$(printf '\\x%02x' "${octets[@]}")
out=$(s5probe ep junk 127.0.0.1 "$SP" \
	"\\x05\\x01\\x00\\x05\\x01\\x00\\x01$W4HEX\\x00\\x50GET / HTTP/1.0\\r\\n\\r\\n")
case $out in got=0500050000*" client=$P1_W4 closed=1 "*) true ;; *) false ;; esac
tap_ok $? "socks-port: greeting, CONNECT and GET in one segment: REP 0, then W's answer via P1 (${out#*client=})"
out=$(s5probe names junk 127.0.0.1 "$SP" \
	'\x05\x01\x00\x05\x01\x00\x03\x0aworld.test\x00\x50GET / HTTP/1.0\r\n\r\n' split)
case $out in got=0500050000*" client=$P1_W4 closed=1 "*) true ;; *) false ;; esac
tap_ok $? "socks-port: greeting, CONNECT world.test and GET one byte at a time: W answers via P1 (${out#*client=})"
out=$(s5probe ep junk ::1 "$HP" \
	"CONNECT [$W6]:80 HTTP/1.1\\r\\nHost: [$W6]:80\\r\\n\\r\\nGET / HTTP/1.0\\r\\n\\r\\n")
case $out in got="$(printf 'HTTP/1.1 200' | od -An -tx1 | tr -d ' \n')"*" client=$P1_W6 closed=1 "*) true ;; *) false ;; esac
tap_ok $? "http-port: CONNECT and GET in one segment: 200, then W's answer via P1 (${out#*client=})"
out=$(s5probe names junk 127.0.0.1 "$HP" \
	'GET http://world.test/ HTTP/1.1\r\nHost: world.test\r\n\r\n' split)
case $out in *" client=$P1_W4 closed=1 "*) true ;; *) false ;; esac
tap_ok $? "http-port: an absolute-form GET one byte at a time reaches W via P1 (${out#*client=})"
big=$("$PYTHON" -c 'print("a" * 100000)')
out=$(s5probe ep junk 127.0.0.1 "$HP" \
	"GET http://$W4/ HTTP/1.1\\r\\nHost: $W4\\r\\nX-Big: $big\\r\\n\\r\\n")
[ "$(field "$out" closed)" = 1 ] && [ "${out##*ms=}" -lt 2000 ] &&
	case $(field "$out" got) in "$(printf 'HTTP/1.1 4' | od -An -tx1 | tr -d ' \n')"*) true ;; *) false ;; esac
tap_ok $? "http-port: a 100 kB request head gets a 4xx and is closed quickly (${out#*closed=})"

# Garbage: closed quickly, with SOCKS5 05 FF / REP 1 or nothing, HTTP 400.
out=$(s5probe ep junk 127.0.0.1 "$SP" 'GET / HTTP/1.0\r\n\r\n')
got=$(field "$out" got)
[ "$(field "$out" closed)" = 1 ] && [ "${out##*ms=}" -lt 2000 ] &&
	case $got in '' | 05ff* | 0501*) true ;; *) false ;; esac
tap_ok $? "socks-port: an HTTP request sent to it is refused and closed quickly ($out)"
out=$(s5probe ep junk 127.0.0.1 "$SP" '\x05\x00')
[ "$(field "$out" closed)" = 1 ] && [ "${out##*ms=}" -lt 2000 ] &&
	case $(field "$out" got) in '' | 05ff*) true ;; *) false ;; esac
tap_ok $? "socks-port: a greeting with no methods is refused and closed quickly ($out)"
out=$(s5probe ep junk 127.0.0.1 "$SP" '\x05\x01\x00\x05\x01\x00\x09\x01\x02\x03\x04\x00\x50')
[ "$(field "$out" closed)" = 1 ] && [ "${out##*ms=}" -lt 2000 ] &&
	case $(field "$out" got) in 05000508*) true ;; *) false ;; esac
tap_ok $? "socks-port: a request with an unknown ATYP is refused and closed quickly ($out)"
out=$(s5probe ep junk 127.0.0.1 "$HP" '\x16\x03\x01\x00garbage\r\n\r\n')
got=$(field "$out" got)
[ "$(field "$out" closed)" = 1 ] && [ "${out##*ms=}" -lt 2000 ] &&
	case $got in "$(printf 'HTTP/1.1 400' | od -An -tx1 | tr -d ' \n')"*) true ;; *) false ;; esac
tap_ok $? "http-port: a garbage request gets 400 and is closed quickly ($(printf '%s' "$got" |
	head -c 40)... $out)"
out=$(s5probe ep junk ::1 "$HP" 'GET /relative HTTP/1.1\r\nHost: x\r\n\r\n')
got=$(field "$out" got)
[ "$(field "$out" closed)" = 1 ] && [ "${out##*ms=}" -lt 2000 ] &&
	case $got in "$(printf 'HTTP/1.1 4' | od -An -tx1 | tr -d ' \n')"*) true ;; *) false ;; esac
tap_ok $? "http-port: an origin-form (non-proxy) request gets a 4xx and is closed quickly"

nsp status >/dev/null 2>&1
tap_ok $? "status still works after the failures"
ep_client ep "http://$W4/" "$P1_W4" "socks-port still serves after the failures" \
	--socks5-hostname "127.0.0.1:$SP"
ep_client ep "http://$W4/" "$P1_W4" "http-port still serves after the failures" \
	-x "http://127.0.0.1:$HP"

# ------------------------------------------------------------ reload
can_connect() { # can_connect PROFILE HOST PORT: a TCP connect inside the subject succeeds
	nexec "$1" timeout 2 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}
can_connect ep 127.0.0.1 "$SP"
tap_ok $? "control: before the reload, a connect to 127.0.0.1:$SP inside ep succeeds"
conf_nosocks >"$CONF"
out=$(nsp reload 2>"$T/reload.err")
is "$?:$out" "0:~ profile ep: socks-port" "reload without ep's socks-port: plan names it" ||
	diag_file "$T/reload.err"
wait_ready 10
tap_ok $? "after the reload every subject is applied"
can_connect ep 127.0.0.1 "$SP"
tap_ok $((!$?)) "socks-port removed: connect to 127.0.0.1:$SP inside ep is refused"
can_connect ep ::1 "$SP"
tap_ok $((!$?)) "socks-port removed: connect to [::1]:$SP inside ep is refused"
ep_client ep "http://$W4/" "$P1_W4" "socks-port removed: http-port of ep still serves" \
	-x "http://127.0.0.1:$HP"
ep_client names "http://world.test/" "$P1_W4" "socks-port removed: other subjects keep theirs" \
	--socks5-hostname "127.0.0.1:$SP"
conf_full >"$CONF"
out=$(nsp reload 2>"$T/reload.err")
is "$?:$out" "0:~ profile ep: socks-port" "reload with ep's socks-port back: plan names it" ||
	diag_file "$T/reload.err"
wait_ready 10
tap_ok $? "after the second reload every subject is applied"
ep_client ep "http://$W4/" "$P1_W4" "socks-port back: 127.0.0.1:$SP serves again" \
	--socks5-hostname "127.0.0.1:$SP"
ep_client ep "http://[$W6]/" "$P1_W6" "socks-port back: [::1]:$SP serves again" \
	--socks5 "[::1]:$SP"

kill -0 "$DAEMON_PID"
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
