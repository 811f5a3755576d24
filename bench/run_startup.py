#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/run_startup.py - time from spawn to the first byte of a command's output.

Usage: run_startup.py N NAME=CMD... ; each CMD is a shell-free argv (split on
spaces).  The variants run interleaved, N rounds; prints one line per variant:
NAME median_ms min_ms max_ms.
"""
import statistics
import subprocess
import sys
import time


def once(argv):
    t0 = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    first = p.stdout.read(1)
    t1 = time.perf_counter()
    p.stdout.read()
    p.wait()
    if not first or p.returncode != 0:
        raise SystemExit("%s: no output (exit %s)" % (" ".join(argv), p.returncode))
    return (t1 - t0) * 1000.0


def main():
    n = int(sys.argv[1])
    variants = [a.split("=", 1) for a in sys.argv[2:]]
    times = {name: [] for name, _ in variants}
    for name, cmd in variants:  # warm-up: page cache, proxy
        once(cmd.split())
    for _ in range(n):
        for name, cmd in variants:
            times[name].append(once(cmd.split()))
    for name, _ in variants:
        t = times[name]
        print("%s %.1f %.1f %.1f" % (name, statistics.median(t), min(t), max(t)))


main()
