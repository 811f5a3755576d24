#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/tor_bootstrap.sh - time from `netnsp daemon` start to its managed tor
# (url = tor) being bootstrapped, and to the first fetch through it, in the
# private Tor network of tests/integration/tor_net.sh (its drawing applies).
# Each run starts from an empty tor data dir (cold: no cached consensus) and
# a second one keeps it (warm).  See bench/README.md.
#
#   [S man: curl via netns exec]      [S ext: via the client tor c]
#        ^ setns                           ^ setns
#   [H: netnsp daemon + managed tor] -- br0 -- a1 a2 a3 r1 r2 x1 hs c d -- R -- [W world.py]
#
# Root needed.  Reuses the integration tests' helpers (lib.sh: namespaces,
# cleanup trap; only 198.51.100.0/24 and 203.0.113.0/24 inside namespaces it
# makes).  BENCH_REPEATS (default 3) cold+warm pairs.
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
NETNSP=${NETNSP:-$BENCH_DIR/../build/netnsp}
. "$BENCH_DIR/../tests/integration/lib.sh"
. "$LIB_DIR/tor_net.sh"
lib_init tor tor-gencert
REPEATS=${BENCH_REPEATS:-3}

tn_start || bail "private tor network setup failed"
bg nsx "$NS_W" "$PYTHON" "$LIB_DIR/world.py" --port 80 2>>"$T/world.log"
cp "$TN_COMMON" "$T/tor-extra"
cat >"$CONF" <<EOF2
[proxy tc]
url = socks5h://${TN_IP[c]}:9050
[proxy tor]
url = tor
tor-config = $T/tor-extra
[profile ext]
via = tc
netns = $(subject_ns ext)
dns = off
[profile man]
via = tor
netns = $(subject_ns man)
dns = off
EOF2
fetch_ok() { [ "$(curl_world "$1" "http://$TN_W4/" 2>/dev/null)" = "client=${TN_IP[x1]}" ]; }
boot() { status_json_q '[t["bootstrap"] for t in d["transports"]][0]' 2>/dev/null; }
booted() { [ "$(boot)" = 100 ]; }

# The network first: a fetch through the client tor means it is fully usable.
start_daemon
wait_ready 10 || bail "daemon not ready"
tn_wait 120 fetch_ok ext || bail "private tor network not usable after 120 s"
stop_daemon

run() { # run LABEL: one daemon start; prints "LABEL boot_ms fetch_ms"
	local t0 tb tf
	t0=$(now_ms)
	start_daemon
	wait_ready 10 || bail "daemon not ready"
	tn_wait 120 booted || bail "managed tor did not bootstrap"
	tb=$(($(now_ms) - t0))
	tn_wait 120 fetch_ok man || bail "no fetch through the managed tor"
	tf=$(($(now_ms) - t0))
	stop_daemon
	echo "$1 $tb $tf"
}
results=()
for _ in $(seq "$REPEATS"); do
	rm -rf "$T/state/tor-tor"
	results+=("$(run cold)" "$(run warm)")
done
echo "# tor bootstrap in the private network: $(date -u +%F), $(nproc) CPUs, $(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null)"
printf '%s\n' "${results[@]}" | "$PYTHON" -c '
import sys, statistics
rows = [l.split() for l in sys.stdin if l.strip()]
for kind in ("cold", "warm"):
    b = [int(r[1]) for r in rows if r[0] == kind]
    f = [int(r[2]) for r in rows if r[0] == kind]
    print("%-4s  daemon start -> bootstrap 100%%: median %6.1f s (min %.1f, max %.1f);"
          "  -> first fetch via the exit: median %6.1f s  (n=%d)" % (kind,
          statistics.median(b) / 1000, min(b) / 1000, max(b) / 1000,
          statistics.median(f) / 1000, len(b)))'
