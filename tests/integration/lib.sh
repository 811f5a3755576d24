# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# lib.sh - helpers for the integration tests (sourced, never run).
#
# Every test builds its own throwaway namespaces named ${PFX}* (PFX = "nt" +
# the test's pid + a random suffix), runs netnsp's daemon and every client
# inside the host namespace H (which has no default route), and tears all of
# it down from an EXIT/INT/TERM trap, so a failing or interrupted test leaves
# nothing behind: processes, namespaces (ours and the subjects the daemon made
# under /run/netns), temp dirs.
#
# The shared topology (topo_setup); the drawing is repeated in each test:
#
#   [S subject ns(s), made by netnsp]   no link anywhere; the daemon holds sockets inside
#        ^ (setns by the daemon)
#   [H ${PFX}h: netnsp daemon, netnsp exec, curl]     no default route
#        | h0 198.51.100.1/26  2001:db8:1::1/64
#        | p0 198.51.100.2/26  2001:db8:1::2/64
#   [P1 ${PFX}p1: microsocks :1080 (noauth) :1081 (u/p), tinyproxy :8888 (+auth :8889),
#                 danted :1082 (SOCKS4/5)]
#        | p2 198.51.100.65/26 2001:db8:2::1/64 ---- q0 198.51.100.66/26 2001:db8:2::2/64
#        |                                       [P2 ${PFX}p2: microsocks :1080]
#        | w1 203.0.113.1/26  2001:db8:3::1/64         | w2 203.0.113.65/26 2001:db8:4::1/64
#        | x1 203.0.113.2/26  2001:db8:3::2/64         | x2 203.0.113.66/26 2001:db8:4::2/64
#   [W ${PFX}w: world.py on 203.0.113.100:80 and [2001:db8:100::1]:80 (on lo)]
#
# Only P1 and P2 have routes to the world's service addresses; H has none, and
# H cannot reach P2 at all.  No namespace forwards: the proxies do the
# relaying, so the address world.py reports tells which proxy made the last hop
# (P1: 203.0.113.1 / 2001:db8:3::1, P2: 203.0.113.65 / 2001:db8:4::1).
#
# Network rule: only 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32, only
# inside namespaces created here.

set -u
set -o pipefail

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(cd "$LIB_DIR/../.." && pwd)
NETNSP=${NETNSP:-$SRC_ROOT/build/netnsp}
case $NETNSP in /*) ;; *) NETNSP=$SRC_ROOT/$NETNSP ;; esac
PYTHON=${PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)

PFX=${NETNSP_TEST_PREFIX:-nt$$$((RANDOM % 100))}
NS_H=${PFX}h
NS_P1=${PFX}p1
NS_P2=${PFX}p2
NS_W=${PFX}w

# Addresses (see the drawing above).
H4=198.51.100.1
P1_H4=198.51.100.2
P1_H6=2001:db8:1::2
P1_W4=203.0.113.1
P1_W6=2001:db8:3::1
P2_P4=198.51.100.66
P2_W4=203.0.113.65
P2_W6=2001:db8:4::1
W4=203.0.113.100
W6=2001:db8:100::1

T=''			# per-test temp dir
CONF=''			# Settings file of the test's daemon
DAEMON_PID=''
_PIDS=()		# background processes to kill at cleanup
_CLEANUPS=()		# extra cleanup commands (eval'd)
_TAP_N=0
_TAP_FAILED=0

# ---------------------------------------------------------------- TAP

tap_ok() { # tap_ok COND_RC DESCRIPTION...
	local rc=$1
	shift
	_TAP_N=$((_TAP_N + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $_TAP_N - $*"
	else
		echo "not ok $_TAP_N - $*"
		_TAP_FAILED=$((_TAP_FAILED + 1))
	fi
	return "$rc"
}
pass() { tap_ok 0 "$@"; }
fail() { tap_ok 1 "$@"; }
# skip REASON DESCRIPTION...: a point this machine cannot check, with the reason.
# With NETNSP_MUST_WORK=1 (CI sets it) every skip is a failure instead: where the
# test bed is complete, nothing may hide behind "could not check".
skip() {
	local why=$1
	shift
	if [ "${NETNSP_MUST_WORK:-}" = 1 ]; then
		tap_ok 1 "$* (NETNSP_MUST_WORK=1: would SKIP: $why)"
		return 1
	fi
	_TAP_N=$((_TAP_N + 1))
	echo "ok $_TAP_N - $* # SKIP $why"
}
diag() { printf '# %s\n' "$@"; }
diag_file() { [ -f "$1" ] && sed -e 's/^/#   /' "$1" | tail -n "${2:-20}"; }
is() { # is GOT WANT DESCRIPTION...
	local got=$1 want=$2
	shift 2
	if [ "$got" = "$want" ]; then
		pass "$@"
	else
		fail "$@"
		diag "got:  '$got'" "want: '$want'"
		return 1
	fi
}
tap_done() {
	echo "1..$_TAP_N"
	[ "$_TAP_FAILED" -eq 0 ]
}
bail() {
	echo "Bail out! $*"
	exit 1
}

# Root, namespaces and the binary are preconditions: without them the whole
# test cannot run, which is a failure (test.sh counts it), never a silent pass.
require_env() {
	[ "$(id -u)" -eq 0 ] || bail "must run as root (creates network namespaces)"
	[ -n "${NO_NETNSP:-}" ] || [ -x "$NETNSP" ] || bail "no netnsp binary at $NETNSP (build first or set NETNSP)"
	local c
	for c in ip nsenter curl "$PYTHON" "$@"; do
		command -v "$c" >/dev/null || bail "missing program: $c"
	done
}

# ---------------------------------------------------------------- time

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---------------------------------------------------------------- setup/cleanup

lib_init() { # lib_init: temp dir + trap; call first
	require_env "$@"
	T=$(mktemp -d "${TMPDIR:-/tmp}/netnsp-it.XXXXXX") || bail "mktemp"
	chmod 0755 "$T"
	mkdir -m 0700 "$T/state" "$T/run"
	CONF=$T/netnsp.conf
	trap lib_cleanup EXIT
	trap 'echo "# interrupted"; exit 130' INT TERM HUP
	diag "prefix $PFX, temp $T, netnsp $NETNSP"
}

bg() { # bg CMD...: run in background, remember the pid for cleanup
	# nsx is a function: expand it so $! is the program itself (ip netns exec
	# and nsenter exec it in place), which the tests signal directly.
	[ "$1" = nsx ] && { shift; set -- ip netns exec "$@"; }
	"$@" &
	_PIDS+=($!)
	LAST_PID=$!
}

at_cleanup() { _CLEANUPS+=("$*"); }

lib_cleanup() {
	local rc=$? p ns i
	trap - EXIT INT TERM HUP
	for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${_CLEANUPS[$i]}" >/dev/null 2>&1 || :
	done
	if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$DAEMON_PID" 2>/dev/null
	fi
	for p in "${_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.2
	for p in "${_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	# netnsp's own teardown first (removes its Derivative entries too) ...
	if [ -n "$CONF" ] && [ -f "$CONF" ] && [ -e "/run/netns/$NS_H" ]; then
		timeout 10 nsenter --net="/run/netns/$NS_H" "$NETNSP" --config "$CONF" \
			--state-dir "$T/state" --run-dir "$T/run" down >/dev/null 2>&1
	fi
	# ... then every namespace with our prefix, ours and the daemon's, after
	# killing whatever still runs in it (only processes this test started).
	for ns in /run/netns/"$PFX"*; do
		[ -e "$ns" ] || continue
		ns=${ns##*/}
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$T" ] && [ -d "$T" ] && [ -z "${KEEP_TMP:-}" ] && rm -rf "$T"
	exit "$rc"
}

# ---------------------------------------------------------------- namespaces

nsx() { # nsx NS CMD...: run inside a test namespace
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

veth() { # veth NS_A IF_A NS_B IF_B: a veth pair created straight into both namespaces
	ip link add name "$2" netns "$1" type veth peer name "$4" netns "$3" || return 1
	nsx "$1" ip link set "$2" up && nsx "$3" ip link set "$4" up
}

addr() { # addr NS IF CIDR...: v6 addresses without DAD so they work at once
	local ns=$1 ifc=$2 a
	shift 2
	for a in "$@"; do
		case $a in
		*:*) nsx "$ns" ip -6 addr add "$a" dev "$ifc" nodad || return 1 ;;
		*) nsx "$ns" ip addr add "$a" dev "$ifc" || return 1 ;;
		esac
	done
}

ns_add() { # ns_add NAME: a namespace with lo up
	ip netns add "$1" || return 1
	# No router solicitations: keeps captures free of link housekeeping.
	nsx "$1" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.router_solicitations=0 >/dev/null 2>&1
	nsx "$1" ip link set lo up
}

topo_link_h() { # the H-P1 link of the drawing (topo_setup; again after H is made afresh)
	veth "$NS_H" h0 "$NS_P1" p0 &&
		addr "$NS_H" h0 198.51.100.1/26 2001:db8:1::1/64 &&
		addr "$NS_P1" p0 198.51.100.2/26 2001:db8:1::2/64
}

topo_setup() { # the drawing at the top of this file
	local ns
	for ns in "$NS_H" "$NS_P1" "$NS_P2" "$NS_W"; do ns_add "$ns" || return 1; done
	topo_link_h || return 1
	veth "$NS_P1" p2 "$NS_P2" q0 &&
		addr "$NS_P1" p2 198.51.100.65/26 2001:db8:2::1/64 &&
		addr "$NS_P2" q0 198.51.100.66/26 2001:db8:2::2/64 || return 1
	veth "$NS_P1" w1 "$NS_W" x1 &&
		addr "$NS_P1" w1 203.0.113.1/26 2001:db8:3::1/64 &&
		addr "$NS_W" x1 203.0.113.2/26 2001:db8:3::2/64 || return 1
	veth "$NS_P2" w2 "$NS_W" x2 &&
		addr "$NS_P2" w2 203.0.113.65/26 2001:db8:4::1/64 &&
		addr "$NS_W" x2 203.0.113.66/26 2001:db8:4::2/64 || return 1
	w_service "$W4" "$NS_P1" "$NS_P2" && w_service "$W6" "$NS_P1" "$NS_P2"
}

# ---------------------------------------------------------------- waiting

wait_port() { # wait_port NS HOST PORT [SECONDS]: until a TCP connect succeeds
	local ns=$1 host=$2 port=$3 n=$((${4:-10} * 10))
	while [ "$n" -gt 0 ]; do
		nsx "$ns" timeout 1 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# ---------------------------------------------------------------- servers

start_world() { # start_world [WORLD.PY ARGS...]: world.py in W on :80, v4 and v6
	bg nsx "$NS_W" "$PYTHON" "$LIB_DIR/world.py" --port 80 "$@" 2>>"$T/world.log"
	WORLD_PID=$LAST_PID
	wait_port "$NS_W" "$W4" 80 && wait_port "$NS_W" "$W6" 80
}

start_microsocks() { # start_microsocks NS PORT [USER PASS]
	local ns=$1 port=$2
	shift 2
	local auth=()
	[ $# -ge 2 ] && auth=(-u "$1" -P "$2")
	bg nsx "$ns" microsocks -i 0.0.0.0 -p "$port" "${auth[@]}" >>"$T/microsocks.log" 2>&1
	MICROSOCKS_PID=$LAST_PID
	wait_port "$ns" 127.0.0.1 "$port"
}

start_tinyproxy() { # start_tinyproxy NS LISTEN PORT [USER PASS]
	local ns=$1 listen=$2 port=$3 cf="$T/tinyproxy-$3.conf"
	{
		echo "Port $port"
		echo "Listen $listen"
		echo "Timeout 30"
		echo "MaxClients 64"
		echo "LogLevel Info"
		echo "DisableViaHeader Yes"
		echo "Allow 198.51.100.0/24"
		echo "Allow 2001:db8::/32"
		# No ConnectPort line: CONNECT to any port (tinyproxy.conf(5)).
		[ $# -ge 5 ] && echo "BasicAuth $4 $5"
	} >"$cf"
	bg nsx "$ns" tinyproxy -d -c "$cf" >>"$T/tinyproxy-$port.log" 2>&1
	TINYPROXY_PID=$LAST_PID
	wait_port "$ns" "$listen" "$port"
}

# start_danted NS LISTEN PORT [udp]: SOCKS4 and SOCKS5, no auth, TCP to IPv4;
# with udp: TCP to IPv4 and IPv6 (0/0) and UDP ASSOCIATE too.  It goes out on
# w1 (P1's link to W), or on $DANTED_EXT (w2 in P2).
start_danted() {
	local ns=$1 listen=$2 port=$3 cf="$T/danted-$3.conf" udp=''
	[ "${4:-}" = udp ] && udp='socks pass { from: 0/0 to: 0/0 command: udpassociate udpreply }
		socks pass { from: 0/0 to: 0/0 protocol: tcp }'
	cat >"$cf" <<-EOF
		logoutput: stderr
		internal: $listen port = $port
		external: ${DANTED_EXT:-w1}
		socksmethod: none
		clientmethod: none
		user.privileged: root
		user.unprivileged: nobody
		client pass { from: 0.0.0.0/0 to: 0.0.0.0/0 }
		$udp
		socks pass { from: 0.0.0.0/0 to: 0.0.0.0/0 protocol: tcp }
	EOF
	bg nsx "$ns" danted -f "$cf" -p "$T/danted-$port.pid" -N 1 >>"$T/danted-$port.log" 2>&1
	DANTED_PID=$LAST_PID
	wait_port "$ns" "$listen" "$port"
}

# ---------------------------------------------------------------- netnsp

nsp() { # nsp ARGS...: netnsp from inside H with this test's config and dirs
	nsenter --net="/run/netns/$NS_H" "$NETNSP" --config "$CONF" --state-dir "$T/state" \
		--run-dir "$T/run" "$@"
}

nexec() { # nexec PROFILE CMD...: CMD inside the profile's subject via netnsp exec
	local prof=$1
	shift
	nsp exec "$prof" -- "$@"
}

uc() { # uc PROFILE ARGS...: udp_client.py ARGS inside the profile's subject
	local prof=$1
	shift
	nexec "$prof" "$PYTHON" "$LIB_DIR/udp_client.py" "$@" 2>>"$T/uclient.err"
}

start_daemon() { # start the daemon inside H; logs to $T/daemon.log
	# DAEMON_NOFILE=N: run it under RLIMIT_NOFILE N (soft and hard)
	local lim=()
	[ -n "${DAEMON_NOFILE:-}" ] && lim=(prlimit --nofile="$DAEMON_NOFILE:$DAEMON_NOFILE" --)
	bg "${lim[@]}" nsenter --net="/run/netns/$NS_H" "$NETNSP" -v --config "$CONF" --state-dir "$T/state" \
		--run-dir "$T/run" daemon 2>>"$T/daemon.log"
	DAEMON_PID=$LAST_PID
}

status_all_applied() { # status --json exits 0 and every subject is applied
	local js
	js=$(nsp status --json 2>/dev/null) || return 1
	printf '%s' "$js" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
s = d.get("subjects") or []
sys.exit(0 if s and all(x.get("applied") is True for x in s) else 1)'
}

wait_ready() { # wait_ready [SECONDS]: daemon up and every subject applied
	local n=$((${1:-10} * 10))
	while [ "$n" -gt 0 ]; do
		status_all_applied && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || return 1
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

daemon_up() { # start_daemon + wait_ready as one test point; bails if it can't
	start_daemon
	if wait_ready 10; then
		pass "daemon started and every subject applied"
	else
		fail "daemon started and every subject applied"
		diag "status: $(nsp status --json 2>&1)"
		diag_file "$T/daemon.log"
		bail "daemon not ready"
	fi
}

udp_is() { [ "$(status_field "$1" udp)" = "\"$2\"" ]; } # udp_is PROFILE MODE

status_field() { # status_field PROFILE KEY: one value from status --json
	nsp status --json 2>/dev/null | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
for s in d["subjects"]:
    if s["profile"] == sys.argv[1]:
        print(json.dumps(s.get(sys.argv[2])))' "$1" "$2"
}

subject_ns() { # subject_ns PROFILE: the netns name the test config gives it
	echo "${PFX}$1"
}

sanitizer_clean() { # one test point: no ASan/UBSan/LSan report in the daemon's log
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehavior' \
		"$T/daemon.log" 2>/dev/null; then
		fail "daemon log has no sanitizer report"
		diag_file "$T/daemon.log" 40
	else
		pass "daemon log has no sanitizer report"
	fi
}

# curl_world PROFILE URL [CURL ARGS...]: body on stdout, curl's status returned.
curl_world() {
	local prof=$1 url=$2
	shift 2
	nexec "$prof" curl -gsS --max-time 8 "$@" "$url"
}

# expect_client PROFILE URL WANT DESC: the world saw WANT as the client address.
expect_client() {
	local body
	body=$(curl_world "$1" "$2" 2>"$T/curl.err")
	is "$body" "client=$3" "$4" || diag_file "$T/curl.err"
}

# ---------------------------------------------------------------- Pid subject and setuid helpers
# (added for t_reconcile, t_dirty, t_reload, t_attach, t_flatpak, t_gc_id,
# t_ctl, t_corrupt, t_crash; the helpers above are unchanged)

stop_daemon() { # stop_daemon: SIGTERM, wait; returns the daemon's exit status
	local rc=0
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null || rc=$?
	DAEMON_PID=''
	return "$rc"
}

kill9_daemon() { # kill9_daemon: SIGKILL, wait
	[ -n "$DAEMON_PID" ] || return 0
	kill -KILL "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=''
}

restart_ready() { # restart_ready DESC: start_daemon + wait_ready as one test point
	start_daemon
	if wait_ready "${2:-10}"; then
		pass "$1"
	else
		fail "$1"
		diag "status: $(nsp status --json 2>&1 | head -c 2000)"
		diag_file "$T/daemon.log"
		return 1
	fi
}

state_q() { # state_q PYEXPR: evaluate PYEXPR with d = state.json (named entries by name in n)
	"$PYTHON" - "$T/state/state.json" "$1" <<-'PY'
		import json, sys
		d = json.load(open(sys.argv[1]))
		n = {s["name"]: s for s in d.get("subjects", []) if s.get("kind", "named") == "named"}
		p = [s for s in d.get("subjects", []) if s.get("kind") == "pid"]
		v = eval(sys.argv[2])
		print(v if isinstance(v, str) else json.dumps(v))
	PY
}

state_id() { state_q "n['$1']['id']" 2>/dev/null; } # state_id PROFILE

id_uplink4() { # id_uplink4 ID: 100.64.0.0 + 4*ID + 1 (the contract's uplink address)
	local v=$((100 * 16777216 + 64 * 65536 + 4 * $1 + 1))
	echo "$((v >> 24 & 255)).$((v >> 16 & 255)).$((v >> 8 & 255)).$((v & 255))"
}

ns_uplink4() { # ns_uplink4 NS: the IPv4 address(es) on nsp-up0 inside NS, without prefix
	ip -n "$1" -4 -o addr show dev nsp-up0 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4 }'
}

status_json_q() { # status_json_q PYEXPR: evaluate PYEXPR with d = status --json
	local js
	js=$(nsp status --json 2>/dev/null) || return 1
	printf '%s' "$js" | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1"
}

status_profiles() { # sorted "profile:kind" list of the running daemon's subjects
	status_json_q '" ".join(sorted(s["profile"] + ":" + str(s.get("kind")) for s in d["subjects"]))'
}

LOG_MARK=0
log_mark() { LOG_MARK=$(grep -c '' "$T/daemon.log" 2>/dev/null); } # later waits look after here
log_since() { tail -n +$((LOG_MARK + 1)) "$T/daemon.log" 2>/dev/null; } # log lines after the mark

wait_log() { # wait_log REGEX [SECONDS]: until the daemon log after the mark matches (grep -E)
	local n=$((${2:-10} * 10))
	while [ "$n" -gt 0 ]; do
		log_since | grep -qE -- "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

wait_until() { # wait_until SECONDS CMD...: until CMD succeeds
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# curl_ms ERRFILE CMD...: CMD is a curl command line behind whatever runs it
# (nexec PROFILE, nsenter ARGS, ...); prints the ms curl itself took for the
# transfer (-w time_total), returns curl's status; body dropped, messages in
# ERRFILE.  "At once" checks time this way: neither netnsp exec's start-up
# nor curl's own counts, which on a busy machine can exceed such a budget by
# themselves, while a refusal is still told from a timeout or a retransmitted
# SYN (the first one comes after 1 s).
curl_ms() {
	local err=$1 out rc
	shift
	out=$("$@" -o /dev/null -w '\n%{time_total}\n' 2>"$err")
	rc=$?
	awk 'NF { t = $1 } END { printf "%d", t * 1000 }' <<<"$out"
	return "$rc"
}

# refused_at_once DESC NSENTER-ARGS...: curl to the world from the namespace
# given by nsenter's args fails within 1 s (curl_ms) with "connection refused".
refused_at_once() {
	local desc=$1 rc ms
	shift
	ms=$(curl_ms "$T/refused.err" nsenter "$@" curl -gsS --max-time 5 "http://$W4/")
	rc=$?
	[ "$rc" -ne 0 ] && [ "$ms" -lt 1000 ] && grep -q 'refused\|Couldn.t connect' "$T/refused.err"
	tap_ok $? "$desc (rc $rc, $ms ms)" || diag_file "$T/refused.err"
}

# via_ns_client NSENTER-ARGS...: what the world reports for a curl from that namespace
via_ns_client() {
	nsenter "$@" curl -gsS --max-time 8 "http://$W4/" 2>>"$T/curl.err"
}

cpu_ticks() { # cpu_ticks PID: user + system clock ticks the process has used (proc(5))
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null
}

one_line() { # one_line FILE: true if FILE has exactly one line
	[ "$(grep -c '' "$1")" -eq 1 ]
}

# ---------------------------------------------------------------- setuid copy
# A setuid start ignores --config, --state-dir, --run-dir and NETNSP_* and
# reads the built-in paths only (docs/SECURITY.md).  The tests therefore
# install a copy built with these built-in paths (build-suid/, made here if
# NETNSP_SUID is not such a build) and run it in a mount namespace of its own
# where a test directory (normally $T) is bound on /mnt, which every Debian
# system has: nothing outside the test's namespaces changes, and tests can
# run side by side.  Never install build-suid's netnsp for real.
SUID_PATHS=(-Ddefault_config=/mnt/netnsp.conf -Ddefault_state_dir=/mnt/state
	-Ddefault_run_dir=/mnt/run)
SUIDDIR=''

suid_binary() { # print a netnsp whose built-in paths are under /mnt; build it if needed
	local b=${NETNSP_SUID:-} dir=$SRC_ROOT/build-suid
	[ -n "$b" ] && case $b in /*) ;; *) b=$SRC_ROOT/$b ;; esac
	[ -z "$b" ] || ! _suid_paths_ok "$b" || { echo "$b"; return 0; }
	if [ -f "$dir/build.ninja" ]; then
		_suid_paths_ok "$dir/netnsp" || meson configure "$dir" "${SUID_PATHS[@]}" >&2 || return 1
	else
		meson setup "$dir" "$SRC_ROOT" "${SUID_PATHS[@]}" >&2 || return 1
	fi
	ninja -C "$dir" netnsp >&2 && _suid_paths_ok "$dir/netnsp" || return 1
	echo "$dir/netnsp"
}
_suid_paths_ok() { "$1" --help 2>/dev/null | grep -qF 'Defaults: /mnt/netnsp.conf, /mnt/state, /mnt/run.'; }

suid_setup() { # suid_setup: install the setuid copy as $SUIDDIR/netnsp, or bail
	local src
	[ -d /mnt ] || bail "no /mnt to bind the test's directory on for the setuid copy"
	src=$(suid_binary) || bail "cannot build a netnsp with /mnt built-in paths (build-suid)"
	# A root-owned 0755 directory on a file system without nosuid.
	SUIDDIR=$T/bin
	if findmnt -no OPTIONS -T "$T" | grep -qw nosuid; then
		SUIDDIR=$(mktemp -d /var/lib/netnsp-test-suid.XXXXXX) || bail "mktemp suid dir"
		at_cleanup "rm -rf '$SUIDDIR'"
	fi
	mkdir -p "$SUIDDIR" && chmod 0755 "$SUIDDIR" && chown root:root "$SUIDDIR" &&
		install -o root -g root -m 4755 "$src" "$SUIDDIR/netnsp" ||
		bail "install setuid copy"
	diag "setuid copy of $src at $SUIDDIR/netnsp (built-in paths under /mnt)"
}

# suid_run DIR UID[:GID] [--from NS] [--env-only VAR=VALUE] ARGS...: the setuid
# copy as UID (group GID, default UID, no supplementary groups) from H (or
# NS), with DIR bound on /mnt; --env-only: with that one variable as its
# whole environment.
suid_run() {
	local dir=$1 uid=${2%%:*} gid=${2#*:} ns=$NS_H envp=()
	shift 2
	[ "${1:-}" = --from ] && { ns=$2; shift 2; }
	[ "${1:-}" = --env-only ] && { envp=(env -i "$2"); shift 2; }
	nsenter --net="/run/netns/$ns" unshare --mount --propagation private \
		sh -c 'mount --bind "$1" /mnt || exit 125; shift; exec "$@"' _ "$dir" \
		setpriv --reuid="$uid" --regid="$gid" --clear-groups "${envp[@]}" \
		"$SUIDDIR/netnsp" "$@"
}

# user_add: a throwaway system user ${PFX}u (and its group), removed at
# cleanup; sets TU (name), TU_UID and TU_GID.
user_add() {
	TU=${PFX}u
	useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$TU" ||
		bail "useradd $TU"
	at_cleanup "userdel '$TU'"
	TU_UID=$(id -u "$TU") && TU_GID=$(id -g "$TU") || bail "id $TU"
}

# pcap_subject_packets PCAP: how many packets in PCAP could be a subject's
# traffic (link housekeeping: ARP, link-local ND/MLD, multicast, is not).
pcap_subject_packets() {
	tcpdump -r "$1" -n 'tcp or udp or icmp or (icmp6 and not ip6 multicast and not src net fe80::/10)' \
		2>/dev/null | grep -c ''
}

# ---------------------------------------------------------------- fixtures
# Shared set-ups live in fx_*.sh beside this file, one theme a file (never
# named t_*.sh: the runner runs those): fx_topo.sh (topology + servers in one
# call, config writers, service addresses in W), fx_pid.sh (Pid subjects,
# Flatpak instances, routed root-made namespaces), fx_dns.sh (dnsmasq in W,
# dig inside a subject).
for _fx in "$LIB_DIR"/fx_*.sh; do
	# shellcheck source=/dev/null
	. "$_fx"
done
unset _fx
