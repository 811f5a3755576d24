#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""subjects.py measure|report: the measuring half of bench/subjects.sh.

subjects.sh builds the namespaces (H runs the daemon, U the SOCKS5 upstream, S the proof
server) and removes them; this file drives `netnsp` inside H and times it:

  measure  proof request through one subject, then N rounds each of: reload with one
           profile changed (--dry-run first, then for real), reload unchanged, status
           round trip; start-up fresh (no namespaces, no state) and warm (both exist);
           daemon VmRSS/VmHWM/fds with 0, 1, 10, 100 subjects.  Raw values go to
           WORK/results.txt as "metric repeat value" lines; daemon stderr, stamped with
           ms since the daemon's exec, to WORK/daemon-*.log.
  report   turns results.txt into a Markdown table with the targets, prints it
           and appends it to RESULTS.md.

Every daemon this starts has its pid in WORK/daemon.pid while it runs, so the shell's
cleanup trap can kill it even if this script dies.
"""
import argparse
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

START_TARGET_MS = 2000
RELOAD_TARGET_MS = 100


class BenchError(Exception):
    pass


def log(msg):
    print("subjects: " + msg, file=sys.stderr, flush=True)


class Bench:
    """One netnsp instance (config, state dir, run dir) living in the host namespace H."""

    def __init__(self, a):
        self.a = a
        self.work = a.work
        self.conf = os.path.join(a.work, "netnsp.conf")
        self.state = os.path.join(a.work, "state")
        self.run = os.path.join(a.work, "run")
        self.results = open(os.path.join(a.work, "results.txt"), "a")
        self.toggle = a.subjects // 2  # the profile whose ipv6 the reload test flips

    def record(self, metric, rep, value):
        self.results.write("%s %s %r\n" % (metric, rep, value))
        self.results.flush()

    def last(self, r, metrics):
        """The values of METRICS recorded in round r, for the progress log."""
        vals = {}
        with open(self.results.name) as f:
            for line in f:
                m, rr, v = line.split()
                if rr == str(r):
                    vals[m] = float(v)
        return [vals[m] for m in metrics]

    def ns_argv(self, ns):
        return ["nsenter", "--net=/run/netns/" + ns, "--"]

    def netnsp_argv(self, *args):
        return (self.ns_argv(self.a.host) + [self.a.netnsp, "--config", self.conf,
                "--state-dir", self.state, "--run-dir", self.run] + list(args))

    def cli(self, *args, check=True):
        p = subprocess.run(self.netnsp_argv(*args), capture_output=True, text=True)
        if check and p.returncode != 0:
            raise BenchError("netnsp %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                         p.stderr.strip()))
        return p

    def timed(self, *args):
        """Wall time in ms of one `netnsp ARGS` (nsenter + exec + control round trip)."""
        t0 = time.perf_counter()
        p = self.cli(*args)
        return (time.perf_counter() - t0) * 1000, p.stdout

    def name(self, i):
        return "p%03d" % i

    def write_conf(self, n, ipv6_off=False):
        text = "[proxy u]\nurl = %s\n" % self.a.upstream
        for i in range(n):
            text += "\n[profile %s]\nvia = u\nnetns = %s%s\ndns = off\n" % (
                self.name(i), self.a.prefix, self.name(i))
            if ipv6_off and i == self.toggle:
                text += "ipv6 = off\n"
        tmp = self.conf + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.conf)  # the daemon never reads a half-written config

    def status(self):
        p = self.cli("status", "--json", check=False)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)

    def all_applied(self, st, n):
        subs = st["subjects"]
        return len(subs) == n and all(s["applied"] for s in subs)

    def start(self, n, tag, wrap=()):
        """Exec the daemon (under WRAP, e.g. strace, if given); return (ms until status
        shows all n applied, Popen, daemon pid)."""
        logf = open(os.path.join(self.work, "daemon-%s.log" % tag), "w")
        argv = self.netnsp_argv("daemon")
        argv = argv[:3] + list(wrap) + argv[3:]  # nsenter --net=H -- [WRAP] netnsp ...
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        with open(os.path.join(self.work, "daemon.pid"), "w") as f:
            f.write("%d\n" % proc.pid)  # nsenter execs its command: this is its pid
        stamp = threading.Thread(target=stamp_lines, args=(proc.stderr, logf, t0),
                                 daemon=True)
        stamp.start()
        proc.stamp = stamp
        while True:
            if proc.poll() is not None:
                stamp.join(2)
                raise BenchError("daemon (%s) exited with %d; see daemon-%s.log: %s" %
                                 (tag, proc.returncode, tag, tail(logf.name)))
            st = self.status()
            if st is not None and self.all_applied(st, n):
                ms = (time.perf_counter() - t0) * 1000
                proc.daemon_pid = st["pid"]
                with open(os.path.join(self.work, "daemon.pid"), "a") as f:
                    f.write("%d\n" % st["pid"])
                return ms, proc, st["pid"]
            if st is not None:
                bad = [s for s in st["subjects"] if not s["applied"]]
                raise BenchError("daemon (%s) answers with %d of %d subjects, not applied: %s"
                                 % (tag, len(st["subjects"]), n,
                                    "; ".join("%s: %s" % (s["profile"], s["error"])
                                              for s in bad[:3])))
            if time.perf_counter() - t0 > 120:
                raise BenchError("daemon (%s) not ready in 120 s" % tag)
            time.sleep(0.005)

    def stop(self, proc):
        """SIGTERM to the daemon itself (not to a wrapper), wait for it to exit cleanly."""
        os.kill(proc.daemon_pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise BenchError("daemon did not exit within 60 s of SIGTERM")
        proc.stamp.join(2)
        os.unlink(os.path.join(self.work, "daemon.pid"))
        if proc.returncode != 0:
            raise BenchError("daemon exited with %d after SIGTERM" % proc.returncode)

    def ours(self):
        return sorted(n for n in os.listdir("/run/netns")
                      if n.startswith(self.a.prefix + "p"))

    def down(self):
        """No daemon running: remove every subject namespace and the Derivative."""
        self.cli("down")
        left = self.ours()
        if left:
            raise BenchError("netnsp down left %d namespaces (%s ...)" % (len(left), left[0]))
        for f in os.listdir(self.state):
            os.unlink(os.path.join(self.state, f))

    def proof(self, i):
        """One HTTP request from subject i to S: only the proxy chain can carry it."""
        ns = self.a.prefix + self.name(i)
        p = subprocess.run(self.ns_argv(ns) + ["curl", "-sS", "--max-time", "10",
                                               self.a.proof], capture_output=True, text=True)
        if p.returncode != 0 or p.stdout.strip() != self.a.proof_body:
            raise BenchError("proof request from %s failed (curl exit %d): %s" %
                             (ns, p.returncode, (p.stderr or p.stdout).strip()))
        st = self.status()
        sub = [s for s in st["subjects"] if s["profile"] == self.name(i)][0]
        if sub["connections_total"] < 1:
            raise BenchError("proof request succeeded but %s counted no connection" % ns)
        log("proof: %s fetched %s through the relay and microsocks" % (ns, self.a.proof))


def stamp_lines(stream, out, t0):
    """Copy the daemon's stderr, each line prefixed with ms since its exec."""
    for line in stream:
        out.write("%9.1f %s" % ((time.perf_counter() - t0) * 1000, line))
        out.flush()
    out.close()


def log_breakdown(path):
    """From a stamped start-up log: ms from exec to the first "applied" line (settings,
    state, namespaces), and the mean ms between consecutive "applied" lines (one apply)."""
    stamps = []
    with open(path) as f:
        for line in f:
            if "': applied in namespace '" in line:
                stamps.append(float(line.split()[0]))
    if len(stamps) < 2:
        return math.nan, math.nan
    return stamps[0], (stamps[-1] - stamps[0]) / (len(stamps) - 1)


def tail(path, n=3):
    try:
        with open(path) as f:
            return " | ".join(x.strip() for x in f.readlines()[-n:])
    except OSError:
        return "(no log)"


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    out["fds"] = len(os.listdir("/proc/%d/fd" % pid))
    return out


def measure_reload(b, reps):
    """Daemon up with all subjects: reload with the toggled profile changed, and not."""
    want = "~ profile %s" % b.name(b.toggle)
    off = False
    for r in range(1, reps + 1):
        off = not off
        b.write_conf(b.a.subjects, ipv6_off=off)
        ms, out = b.timed("reload", "--dry-run")
        if want not in out:
            raise BenchError("reload --dry-run: plan %r lacks %r" % (out, want))
        b.record("reload_dry", r, ms)
        ms, out = b.timed("reload")
        if want not in out or "\n+" in "\n" + out or "\n-" in "\n" + out:
            raise BenchError("reload: plan %r is not just %r" % (out, want))
        b.record("reload_one", r, ms)
        st = b.status()
        if not b.all_applied(st, b.a.subjects):
            raise BenchError("after reload not every subject is applied")
        ms, out = b.timed("reload")
        if out.strip() != "no changes":
            raise BenchError("unchanged reload: plan %r" % out)
        b.record("reload_none", r, ms)
        ms, _ = b.timed("status", "--json")
        b.record("status_rtt", r, ms)
        log("round %d reload: --dry-run %.1f ms, one changed %.1f ms, unchanged %.1f ms"
            % (r, *[v for v in b.last(r, ("reload_dry", "reload_one", "reload_none"))]))
    # The re-applied subject still proxies.
    b.proof(b.toggle)


def measure_start(b, reps):
    n = b.a.subjects
    b.write_conf(n)
    for r in range(1, reps + 1):
        b.down()
        for kind in ("fresh", "warm"):
            ms, proc, _ = b.start(n, "%s-%d" % (kind, r))
            b.stop(proc)
            b.record("start_" + kind, r, ms)
            first, per = log_breakdown(os.path.join(b.work, "daemon-%s-%d.log" % (kind, r)))
            b.record("first_" + kind, r, first)
            b.record("per_" + kind, r, per)
        log("round %d start-up with %d subjects: fresh %.0f ms, warm %.0f ms"
            % (r, n, *b.last(r, ("start_fresh", "start_warm"))))


def measure_memory(b, reps, counts):
    for r in range(1, reps + 1):
        for k in counts:
            b.down()
            b.write_conf(k)
            _, proc, pid = b.start(k, "mem%d" % k)
            time.sleep(1)  # let the loop settle: timers, Flatpak watcher, lazy pages
            m = proc_status(pid)
            b.stop(proc)
            b.record("rss%d" % k, r, m["VmRSS"])
            b.record("hwm%d" % k, r, m["VmHWM"])
            b.record("fds%d" % k, r, m["fds"])
            b.record("anon%d" % k, r, m["RssAnon"])
            b.record("file%d" % k, r, m["RssFile"])
        log("round %d memory: %s" % (r, ", ".join(
            "%d subj %d KiB/%d fds" % (k, *b.last(r, ("rss%d" % k, "fds%d" % k)))
            for k in counts)))


STRACE = ("strace", "-f", "--seccomp-bpf", "-T", "-e", "trace=socket,close,fsync", "-o")


def strace_costs(path):
    """From `strace -f -T -e trace=socket,close,fsync`: {what: [count, total ms]} for the
    fsyncs and the closes of each socket kind (fds replayed in trace order, so the kind
    of a closed fd is that of the socket() that last returned it)."""
    kind, out = {}, {}
    pend = {}
    for line in open(path):
        f = line.split(None, 1)
        if len(f) < 2:
            continue
        pid, rest = f
        if "<unfinished ...>" in rest:
            pend[pid] = rest.split("<unfinished")[0]
            continue
        if "resumed>" in rest:
            rest = pend.pop(pid, "") + rest.split("resumed>", 1)[1]
        m = re.match(r"(\w+)\((.*)\)\s+= (-?\d+).*<([\d.]+)>", rest)
        if not m:
            continue
        call, args, ret, secs = m.group(1), m.group(2), int(m.group(3)), float(m.group(4))
        if call == "socket" and ret >= 0:
            kind[ret] = args.split(",")[0] + ("/" + args.split(",")[-1].strip()
                                              if "NETLINK" in args else "")
            continue
        if call == "close":
            what = "close(%s)" % kind.pop(int(args.split(",")[0]), "other fd")
        elif call == "fsync":
            what = "fsync"
        else:
            continue
        c = out.setdefault(what, [0, 0.0])
        c[0] += 1
        c[1] += secs * 1000
    return out


def cost_lines(costs, n):
    rows = ["| syscall | calls | total ms | ms per subject |", "|---|---|---|---|"]
    for what, (cnt, ms) in sorted(costs.items(), key=lambda x: -x[1][1]):
        if ms >= 1:
            rows.append("| `%s` | %d | %.1f | %.2f |" % (what, cnt, ms, ms / n))
    return rows


def profile(b):
    """Where a fresh start-up and a one-profile reload spend their time: wall time inside
    close() per socket kind and fsync() (strace -T, syscalls filtered by seccomp-bpf so
    the rest runs untraced).  Writes WORK/profile.md for the report."""
    n = b.a.subjects
    b.down()
    b.write_conf(n)
    f = os.path.join(b.work, "strace-start.txt")
    ms, proc, pid = b.start(n, "strace-start", wrap=STRACE + (f,))
    b.stop(proc)
    first, per = log_breakdown(os.path.join(b.work, "daemon-strace-start.log"))
    out = ["Profile (BENCH_PROFILE=1): fresh start-up under strace (close/fsync/socket "
           "traced), %.0f ms; exec → first apply %.0f ms, then %.1f ms per subject:"
           % (ms, first, per), ""] + cost_lines(strace_costs(f), n)
    _, proc, pid = b.start(n, "strace-reload")
    t = os.path.join(b.work, "strace-reload.txt")
    tracer = subprocess.Popen(list(STRACE) + [t, "-p", str(pid)], stderr=subprocess.DEVNULL)
    time.sleep(1)  # strace has attached to every thread
    b.write_conf(n, ipv6_off=True)
    rms, _ = b.timed("reload")
    time.sleep(0.2)
    tracer.send_signal(signal.SIGINT)
    tracer.wait(10)
    b.stop(proc)
    out += ["", "One-profile reload with the daemon under strace: %.1f ms:" % rms, ""]
    out += cost_lines(strace_costs(t), 1)
    with open(os.path.join(b.work, "profile.md"), "w") as fh:
        fh.write("\n".join(out) + "\n")
    log("profile: see strace-start.txt, strace-reload.txt, profile.md")


def cmd_measure(a):
    b = Bench(a)
    counts = [int(x) for x in a.mem_counts.split()]
    os.makedirs(b.state, exist_ok=True)
    b.write_conf(a.subjects)
    b.down()
    _, proc, _ = b.start(a.subjects, "proof")
    b.proof(0)
    measure_reload(b, a.repeats)
    b.stop(proc)
    measure_start(b, a.repeats)
    measure_memory(b, a.repeats, counts)
    if a.profile != "0":
        profile(b)
    b.down()
    with open(os.path.join(a.work, "meta.json"), "w") as f:
        json.dump({"subjects": a.subjects, "counts": counts,
                   "toggle": b.name(b.toggle)}, f)


def load(work):
    data = {}
    with open(os.path.join(work, "results.txt")) as f:
        for line in f:
            m, _, v = line.split()
            data.setdefault(m, []).append(float(v))
    return data


def summary(vals, fmt):
    med = statistics.median(vals)
    text = fmt % med
    if len(vals) > 1:
        text += " (" + fmt % min(vals) + "–" + fmt % max(vals) + ")"
    return med, text


def slope(points):
    """Least-squares slope of (x, y) points; every repeat counts as one point."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return math.nan
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def cell(vals, fmt):
    if not vals:
        return "failed"
    med, text = summary(vals, fmt)
    return fmt % med if min(vals) == max(vals) else text


def time_table(data, meta):
    n = meta["subjects"]
    rows = ["| metric | median (min–max) | target |", "|---|---|---|"]

    def row(label, metric, fmt, bound=None):
        vals = [v for v in data.get(metric, []) if not math.isnan(v)]
        if not vals:
            rows.append("| %s | failed | |" % label)
            return
        med, text = summary(vals, fmt)
        verdict = ""
        if bound is not None:
            verdict = "< %d ms: %s" % (bound, "met" if med < bound else "MISSED")
        rows.append("| %s | %s | %s |" % (label, text, verdict))

    for kind, what in (("fresh", "fresh (no namespaces, no state)"),
                       ("warm", "warm restart (namespaces and state exist)")):
        row("start-up, %s, %d profiles, ms" % (what, n), "start_" + kind, "%.0f",
            START_TARGET_MS)
        row("&nbsp;&nbsp;of which exec → first subject applied, ms", "first_" + kind, "%.0f")
        row("&nbsp;&nbsp;of which one subject's apply (mean gap between applies), ms",
            "per_" + kind, "%.1f")
    row("reload, one profile changed (%s: ipv6 toggled), ms" % meta["toggle"], "reload_one",
        "%.1f", RELOAD_TARGET_MS)
    row("reload --dry-run, one profile changed, ms", "reload_dry", "%.1f", RELOAD_TARGET_MS)
    row("reload, nothing changed, ms", "reload_none", "%.1f", RELOAD_TARGET_MS)
    row("for scale: `status --json` (nsenter + exec + control socket round trip), ms",
        "status_rtt", "%.1f")
    return "\n".join(rows)


def mem_table(data, meta):
    """One column per subject count; "first" = 1 minus 0 subjects (one-time cost of the
    first apply: libraries paged in, nft/netlink contexts); "per subject" = least-squares
    slope over the counts >= 1, so the one-time cost does not inflate it."""
    counts = meta["counts"]
    big = [k for k in counts if k >= 1]
    rows = ["| daemon, idle | " + " | ".join("%d subjects" % k for k in counts) +
            " | first subject | per further subject |",
            "|---" * (len(counts) + 3) + "|"]
    for what, label, scale in (("rss", "VmRSS", 1024), ("anon", "RssAnon", 1024),
                               ("file", "RssFile", 1024), ("hwm", "VmHWM", 1024),
                               ("fds", "fds", 1)):
        cells = [cell(data.get("%s%d" % (what, k), []), "%.0f") for k in counts]
        med = {k: statistics.median(data["%s%d" % (what, k)]) * scale
               for k in counts if data.get("%s%d" % (what, k))}
        first = per = "–"
        if 0 in med and 1 in med:
            d = med[1] - med[0]
            first = "%+.0f KiB" % (d / 1024) if scale > 1 else "%+.0f" % d
        pts = [(k, v * scale) for k in big for v in data.get("%s%d" % (what, k), [])]
        if len({k for k, _ in pts}) >= 2:
            per = "%.0f B" % slope(pts) if scale > 1 else "%.2f" % slope(pts)
        rows.append("| %s%s | %s | %s | %s |" % (label, ", KiB" if scale > 1 else "",
                                                 " | ".join(cells), first, per))
    return "\n".join(rows)


def cmd_report(a):
    with open(os.path.join(a.work, "meta.json")) as f:
        meta = json.load(f)
    text = "## " + a.header.splitlines()[0] + "\n\n"
    text += "".join(line + "  \n" for line in a.header.splitlines()[1:]) + "\n"
    data = load(a.work)
    text += time_table(data, meta) + "\n\n" + mem_table(data, meta) + "\n"
    prof = os.path.join(a.work, "profile.md")
    if os.path.exists(prof):
        with open(prof) as f:
            text += "\n" + f.read()
    print(text)
    if a.no_record != "1":
        with open(a.out, "a") as f:
            f.write("\n" + text)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    for opt in ("netnsp", "host", "prefix", "work", "upstream", "proof", "proof-body",
                "mem-counts"):
        m.add_argument("--" + opt, required=True)
    m.add_argument("--subjects", type=int, default=100)
    m.add_argument("--repeats", type=int, default=5)
    m.add_argument("--profile", default="0")
    r = sub.add_parser("report")
    for opt in ("work", "header", "no-record", "out"):
        r.add_argument("--" + opt, required=True)
    a = ap.parse_args()
    try:
        (cmd_measure if a.cmd == "measure" else cmd_report)(a)
    except BenchError as e:
        log(str(e))
        sys.exit(1)


if __name__ == "__main__":
    main()
