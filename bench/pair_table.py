#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pair_table.py RESULTS A B HEAD_A HEAD_B METRIC=LABEL...

Two variants side by side: RESULTS holds lines "variant metric value" (value "nan" for a
failed run); prints a Markdown table with, per METRIC, the median and min-max of A and
of B and the ratio B / A of the medians. HEAD_A and HEAD_B name the columns.
"""
import statistics
import sys


def main():
    path, a, b, head_a, head_b = sys.argv[1:6]
    v = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[2] != "nan":
                v.setdefault((parts[0], parts[1]), []).append(float(parts[2]))

    def med(k):
        return statistics.median(v[k]) if v.get(k) else float("nan")

    def rng(k):
        return "%.4g–%.4g" % (min(v[k]), max(v[k])) if v.get(k) else "n/a"

    print("| metric | %s | %s | %s / %s |" % (head_a, head_b, head_b, head_a))
    print("|---|---|---|---|")
    for spec in sys.argv[6:]:
        m, label = spec.split("=", 1)
        x, y = med((a, m)), med((b, m))
        ratio = y / x if x else float("nan")
        print("| %s | %.4g (%s) | %.4g (%s) | %.2f× |" % (label, x, rng((a, m)), y, rng((b, m)), ratio))


if __name__ == "__main__":
    main()
