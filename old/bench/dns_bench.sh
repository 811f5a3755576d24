#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/dns_bench.sh - build and run bench/dns_fake_bench.c: fake-mode DNS queries per second
# on one core (parse + pool lookup + answer) and bytes per fake-IP mapping for 100,000 names.
# Pure computation: no root, no network, no namespaces.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
WORK=$(mktemp -d /tmp/netnsp-dnsbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cc -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -I"$REPO/src" -I"$REPO" -o "$WORK/dns_fake_bench" \
	"$BENCH_DIR/dns_fake_bench.c" "$REPO"/src/dns/dns_msg.c "$REPO"/src/dns/dns_name.c \
	"$REPO"/src/dns/dns_fake.c
if command -v taskset >/dev/null; then
	taskset -c 0 "$WORK/dns_fake_bench" # one core
else
	"$WORK/dns_fake_bench"
fi
