#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t_ctl.sh - docs/GUARANTEES.md 9 and the control protocol: RUN_DIR/control.sock
# is 0600 root; every file in STATE_DIR and RUN_DIR is root-owned and not
# writable by group or others; a client running as nobody cannot connect
# (even with the run dir traversable); a request of another protocol version
# gets {"ok":false,"error":"unsupported protocol version ..."}; garbage gets
# an error; a request over 64 KiB is dropped; idle connections don't block
# others; through all of it the daemon stays up and serves status.
#
#   [S c: a subject, so the daemon has something to report]
#        ^ setns
#   [H: netnsp daemon]  198.51.100.1     control.sock in $T/run (a file path,
#        | veth                           so clients connect from anywhere)
#   [P1: microsocks :1080]  198.51.100.2
#        | veth  203.0.113.1
#   [W: world.py 203.0.113.100:80]
. "$(dirname "$0")/lib.sh"
lib_init microsocks setpriv

topo_p1_up
# Traversable run dir (like the default /run/netns-proxy): only the socket's
# own mode may keep others out.
chmod 0755 "$T/run"

conf_p1 c >"$CONF"
daemon_up
SOCK=$T/run/control.sock

is "$(stat -c '%F %a %U %G' "$SOCK" 2>&1)" "socket 600 root root" "control.sock is a socket, 0600, root:root"
bad=$(find "$T/state" "$T/run" -mindepth 1 \( ! -user root -o -perm /022 \) -printf '%p %m %u\n')
is "$bad" "" "every file in STATE_DIR and RUN_DIR is root-owned, not group/other-writable"
ls -la "$T/state" "$T/run" | sed 's/^/#   /'

# ctl BYTES-SPEC: send a request, print the reply (or "ERR <exception>").
# BYTES-SPEC is a Python expression for the bytes to send.
ctl() {
	"$PYTHON" - "$SOCK" "$1" <<-'PY'
		import socket, sys
		s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
		s.settimeout(10)
		try:
		    s.connect(sys.argv[1])
		    s.sendall(eval(sys.argv[2]))
		    s.shutdown(socket.SHUT_WR)
		    out = b""
		    while True:
		        b = s.recv(65536)
		        if not b:
		            break
		        out += b
		    print(out.decode(errors="replace").strip())
		except Exception as e:
		    print("ERR %s" % type(e).__name__)
	PY
}
alive() { kill -0 "$DAEMON_PID" 2>/dev/null && nsp status --json >/dev/null 2>&1; }

out=$(ctl 'b"{\"version\":1,\"command\":\"status\"}\n"')
case $out in *'"ok":true'* | *'"ok": true'*) true ;; *) false ;; esac
tap_ok $? "a version 1 status request as root is answered ok" || diag "reply: ${out:0:300}"

# ------------------------------------------------------------ not root
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
    print("connected")
except OSError as e:
    print("refused %s" % e.strerror)' "$SOCK")
is "$out" "refused Permission denied" "nobody cannot connect to control.sock (EACCES)"
setpriv --reuid=65534 --regid=65534 --clear-groups "$NETNSP" --config "$CONF" \
	--state-dir "$T/state" --run-dir "$T/run" status >"$T/st.out" 2>"$T/st.err"
rc=$?
[ "$rc" -ne 0 ] && [ ! -s "$T/st.out" ]
tap_ok $? "netnsp status as nobody fails (exit $rc, nothing on stdout)" || diag_file "$T/st.out"
# Second line of defence (ctl.h: the daemon checks SO_PEERCRED uid 0): with
# the socket's mode opened up by hand, a nobody client still gets nothing.
chmod 0666 "$SOCK"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
    s.sendall(b"{\"version\":1,\"command\":\"status\"}\n")
    print(s.recv(65536).decode(errors="replace"))
except OSError as e:
    print("ERR %s" % e.strerror)' "$SOCK")
chmod 0600 "$SOCK"
case $out in *'"ok":true'* | *'"ok": true'* | *subjects*) false ;; *) true ;; esac
tap_ok $? "socket opened to 0666 by hand: nobody still gets no status (peer uid check; reply: ${out:0:120})"
alive
tap_ok $? "daemon up after the non-root attempts"

# ------------------------------------------------------------ protocol
out=$(ctl 'b"{\"version\":2,\"command\":\"status\"}\n"')
case $out in *'"ok":false'*'unsupported protocol version'* | *'"ok": false'*'unsupported protocol version'*) true ;; *) false ;; esac
tap_ok $? "version 2 request: ok false, 'unsupported protocol version ...'" || diag "reply: ${out:0:300}"
out=$(ctl 'b"{\"command\":\"status\"}\n"')
case $out in *'"ok":false'* | *'"ok": false'*) true ;; *) false ;; esac
tap_ok $? "request without a version: ok false" || diag "reply: ${out:0:300}"
out=$(ctl 'b"\x00\xff{{{ not json\n"')
case $out in *'"ok":true'* | *'"ok": true'*) false ;; *) true ;; esac
tap_ok $? "garbage request: not answered ok (reply: ${out:0:120})"
out=$(ctl 'b"{\"version\":1,\"command\":\"status\",\"pad\":\"" + b"x" * 70000 + b"\"}\n"')
case $out in *'"ok":true'* | *'"ok": true'*) false ;; *) true ;; esac
tap_ok $? "request over 64 KiB is dropped, not answered (reply: ${out:0:120})"
out=$(ctl 'b"x" * (1 << 20)')
case $out in *'"ok":true'* | *'"ok": true'*) false ;; *) true ;; esac
tap_ok $? "a 1 MiB stream without a newline is dropped (reply: ${out:0:120})"
alive
tap_ok $? "daemon up and serving status after the bad requests"

# ------------------------------------------------------------ idle clients
"$PYTHON" - "$SOCK" <<-'PY' &
	import socket, sys, time
	conns = []
	for _ in range(30):
	    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	    s.connect(sys.argv[1])
	    s.send(b'{"version":1,')
	    conns.append(s)
	time.sleep(8)
PY
IDLE=$!
_PIDS+=("$IDLE")
sleep 0.5
t0=$(now_ms)
nsp status --json >/dev/null 2>"$T/st.err"
rc=$?
ms=$(($(now_ms) - t0))
[ "$rc" -eq 0 ] && [ "$ms" -lt 2000 ]
tap_ok $? "30 idle half-sent clients don't block status (rc $rc, $ms ms)" || diag_file "$T/st.err"
kill "$IDLE" 2>/dev/null
wait "$IDLE" 2>/dev/null
expect_client c "http://$W4/" "$P1_W4" "the subject still proxies"
alive
tap_ok $? "daemon still running"
sanitizer_clean
tap_done
