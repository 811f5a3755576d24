# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# bench/lib.sh - what the bench scripts share (sourced, never run; the script
# sets BENCH_DIR to its own folder and BENCH_NAME to its message prefix first):
# the repository and binary paths, the knobs every throughput script reads,
# one-line messages, running a command inside a namespace, waiting for a port.

REPO=$(cd "$BENCH_DIR/.." && pwd)
NETNSP=${NETNSP:-$REPO/build/netnsp}
T=${BENCH_TIME:-5}          # iperf3 seconds per run
REPEATS=${BENCH_REPEATS:-3} # runs per variant
CT=${BENCH_CONN_TIME:-5}    # connrate seconds per run
BENCH_NAME=${BENCH_NAME:-bench}

die() { echo "$BENCH_NAME: $*" >&2; exit 1; }
log() { echo "$BENCH_NAME: $*" >&2; }
nsx() { local ns=$1; shift; nsenter --net="/run/netns/$ns" -- "$@"; } # nsx NS CMD...

wait_port() { # wait_port NS ADDR PORT: until a TCP connect from NS succeeds (10 s), or die
	local _
	for _ in $(seq 100); do
		nsx "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
		sleep 0.1
	done
	die "nothing listens on $2:$3 in $1"
}
