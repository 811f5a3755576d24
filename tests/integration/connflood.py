#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""connflood.py - many TCP connections, for the per-subject cap tests.

  hold  --port P                 accept every connection on [::]:P and keep it
                                 open, never sending a byte
  flood --to ADDR:PORT --count N --out FILE
                                 open N connections to ADDR:PORT, watch them
                                 for --settle seconds, write "open=X reset=Y
                                 other=Z" to FILE, then hold the open ones
                                 until killed

A connection counts as reset when connect() or a later recv() says
ECONNRESET / ECONNREFUSED: what a refusal at the cap looks like to an app.
"""
import argparse
import errno
import os
import resource
import selectors
import socket
import sys
import time


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, n + 64)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def hold(port):
    raise_nofile(16384)
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", port))
    srv.listen(4096)
    sel = selectors.DefaultSelector()
    sel.register(srv, selectors.EVENT_READ)
    held = {}
    while True:
        for key, _ in sel.select():
            if key.fileobj is srv:
                c, _ = srv.accept()
                held[c.fileno()] = c
                sel.register(c, selectors.EVENT_READ)
                continue
            c = key.fileobj
            try:
                data = c.recv(4096)
            except OSError:
                data = b""
            if not data:
                sel.unregister(c)
                held.pop(c.fileno(), None)
                c.close()


def flood(to, count, out, settle):
    host, port = to.rsplit(":", 1)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    raise_nofile(count)
    socks, reset, other = [], 0, 0
    for _ in range(count):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        rc = s.connect_ex((host.strip("[]"), int(port)))
        if rc in (0, errno.EINPROGRESS):
            socks.append(s)
        elif rc in (errno.ECONNRESET, errno.ECONNREFUSED):
            reset += 1
            s.close()
        else:
            other += 1
            s.close()
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    alive = set(socks)
    end = time.monotonic() + settle
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            sel.unregister(s)
            alive.discard(s)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if not err:
                try:
                    s.recv(1)
                except OSError as e:
                    err = e.errno
            if err in (errno.ECONNRESET, errno.ECONNREFUSED):
                reset += 1
            else:
                other += 1
            s.close()
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write("open=%d reset=%d other=%d\n" % (len(alive), reset, other))
    os.rename(tmp, out)
    while True:
        time.sleep(3600)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("hold", "flood"))
    ap.add_argument("--port", type=int, default=7000)
    ap.add_argument("--to")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--out")
    ap.add_argument("--settle", type=float, default=3.0)
    a = ap.parse_args()
    if a.mode == "hold":
        hold(a.port)
    else:
        flood(a.to, a.count, a.out, a.settle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
