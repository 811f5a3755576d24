#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""report.py RESULTS HEADER NO_RECORD RESULTS_MD

Turns bench/run.sh's raw lines ("variant metric repeat value") into a Markdown table:
median (min-max over repeats) per variant, the netnsp/redsocks and netnsp/proxychains
ratios of the medians (and of each round, which cancels load drift between rounds) and
whether the target is met. Variants netnsp-LABEL (other netnsp builds, NETNSP_ALT) get a
column each and a "netnsp / netnsp-LABEL" ratio column. Prints it, and appends it to
RESULTS_MD unless NO_RECORD is 1.
"""
import math
import statistics
import sys

VARIANTS = ["direct", "proxychains", "redsocks", "netnsp"]
# metric, label, format, target: (kind, bound) where kind is the variant netnsp is compared
# with (netnsp/variant >= bound), or "max" = netnsp value <= bound (unit in the label).
METRICS = [
    ("up", "iperf3 1 stream up, Gbit/s", "%.2f", ("redsocks", 1.25)),
    ("down", "iperf3 1 stream down (-R), Gbit/s", "%.2f", ("redsocks", 1.25)),
    ("p4", "iperf3 4 streams up (-P 4), Gbit/s", "%.2f", None),
    ("conn*", "connections/s (connect, 1-byte echo, close), %s client thread(s)", "%.0f",
     ("proxychains", 0.9)),
    ("cpugb", "relay CPU seconds per GB moved (iperf3 rows)", "%.2f", ("max", 0.5, "s/GB")),
    ("cpuconn", "relay CPU µs per connection (connections/s rows)", "%.0f", None),
    ("rss", "daemon RSS per idle connection, bytes", "%.0f", ("max", 1024, "B")),
    ("rss_base", "daemon RSS before, KiB", "%.0f", None),
    ("fds", "daemon fds per idle connection", "%.1f", None),
]


def load(path):
    """Return {(variant, metric): [values in round order]} and {(variant, metric, round): value}."""
    data, by_round = {}, {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                continue
            v, m, r, val = parts
            x = float(val)
            if m == "rss_base":
                x /= 1024
            data.setdefault((v, m), []).append(x)
            by_round[(v, m, r)] = x
    return data, by_round


def round_ratios(by_round, m, ref, num="netnsp"):
    """num/ref within each round: both ran minutes apart, so load drift cancels."""
    out = []
    for (v, mm, r), x in sorted(by_round.items()):
        if v != num or mm != m:
            continue
        y = by_round.get((ref, m, r))
        if y and not math.isnan(x) and not math.isnan(y):
            out.append(x / y)
    return out


def summary(values, fmt):
    good = [x for x in values if not math.isnan(x)]
    if not good:
        return None, "failed"
    med = statistics.median(good)
    text = fmt % med
    if len(good) > 1:
        text += " (" + fmt % min(good) + "–" + fmt % max(good) + ")"
    if len(good) < len(values):
        text += " [%d failed]" % (len(values) - len(good))
    return med, text


def verdict(target, ratios, value):
    if target is None:
        return ""
    kind, bound = target[:2]
    if kind != "max":
        ratio = ratios.get(kind)
        if ratio is None:
            return "≥ %g× %s: n/a" % (bound, kind)
        return "≥ %g× %s: %s" % (bound, kind, "met" if ratio >= bound else "MISSED")
    if value is None:
        return "≤ %g %s: n/a" % (bound, target[2])
    return "≤ %g %s: %s" % (bound, target[2], "met" if value <= bound else "MISSED")


def expand(data):
    """METRICS with "conn*" replaced by one row per thread count found (conn1, conn4...)."""
    out = []
    for m, label, fmt, target in METRICS:
        if not m.endswith("*"):
            out.append((m, label, fmt, target))
            continue
        ks = sorted({mm for (_, mm) in data if mm.startswith(m[:-1])},
                    key=lambda x: int(x[len(m) - 1:]))
        out += [(k, label % k[len(m) - 1:], fmt, target) for k in ks]
    return out


def ratio_text(meds, by_round, m, num, ref):
    """The ratio num/ref of the medians, its per-round values, and the ratio (or None)."""
    if meds.get(num) is None or not meds.get(ref):
        return "–", None
    ratio = meds[num] / meds[ref]
    text = "%.2f×" % ratio
    per_round = round_ratios(by_round, m, ref, num)
    if len(per_round) > 1:
        text += " (rounds: " + ", ".join("%.2f" % x for x in per_round) + ")"
    return text, ratio


def table(data, by_round):
    extra = sorted({v for (v, _) in data if v.startswith("netnsp-")})
    variants = VARIANTS + extra
    # (numerator, reference) of each ratio column
    pairs = [("netnsp", "redsocks"), ("netnsp", "proxychains")] + [("netnsp", v) for v in extra]
    rows = ["| metric | " + " | ".join(variants) + " | " +
            " | ".join("%s / %s" % p for p in pairs) + " | target |",
            "|---" * (len(variants) + len(pairs) + 2) + "|"]
    for m, label, fmt, target in expand(data):
        meds, cells = {}, []
        for v in variants:
            if (v, m) not in data:
                cells.append("–")
                continue
            meds[v], text = summary(data[(v, m)], fmt)
            cells.append(text)
        ratios, rcells = {}, []
        for num, ref in pairs:
            text, ratios[ref] = ratio_text(meds, by_round, m, num, ref)
            rcells.append(text)
        rows.append("| %s | %s | %s | %s |" % (label, " | ".join(cells), " | ".join(rcells),
                                                verdict(target, ratios, meds.get("netnsp"))))
    return "\n".join(rows)


def main():
    results, header, no_record, out = sys.argv[1:5]
    text = "## " + header.splitlines()[0] + "\n\n"
    text += "".join(line + "  \n" for line in header.splitlines()[1:]) + "\n"
    text += table(*load(results)) + "\n"
    print(text)
    if no_record != "1":
        with open(out, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
