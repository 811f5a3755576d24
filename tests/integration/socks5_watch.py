#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""socks5_watch.py - a SOCKS5 server (RFC 1928, RFC 1929) that writes down
how each client spoke to it, for t_pipeline.sh.

socks5_watch.py ADDR PORT LOG

For each connection it reads the greeting exactly, waits 0.3 s, and peeks at
how many bytes already follow it (a pipelining client sent its credentials
and request with the greeting; one that waits for the method reply sent
nothing more). Then it picks username/password if offered, else no
authentication, accepts any credentials, connects to the requested IPv4 or
IPv6 address (CONNECT only) and relays both ways. One line per connection:
  methods=HEX early=N user=NAME connect=ADDR:PORT
"""
import select
import socket
import sys
import threading
import time


def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("short read")
        b += c
    return b


def pump(a, b):
    try:
        while True:
            r, _, _ = select.select([a, b], [], [], 30)
            if not r:
                return
            for s in r:
                d = s.recv(65536)
                if not d:
                    return
                (b if s is a else a).sendall(d)
    except OSError:
        return


def serve(c, log):
    user = "-"
    try:
        ver, n = read_exact(c, 2)
        methods = read_exact(c, n)
        time.sleep(0.3)
        try:
            early = len(c.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except BlockingIOError:
            early = 0
        m = 2 if 2 in methods else 0
        c.sendall(bytes([5, m]))
        if m == 2:
            _, ulen = read_exact(c, 2)
            user = read_exact(c, ulen).decode("ascii", "replace")
            plen = read_exact(c, 1)[0]
            read_exact(c, plen)
            c.sendall(b"\x01\x00")
        _, cmd, _, atyp = read_exact(c, 4)
        if cmd != 1 or atyp not in (1, 4):
            c.sendall(b"\x05\x07\x00\x01" + bytes(6))
            return
        fam = socket.AF_INET if atyp == 1 else socket.AF_INET6
        addr = socket.inet_ntop(fam, read_exact(c, 4 if atyp == 1 else 16))
        port = int.from_bytes(read_exact(c, 2), "big")
        with open(log, "a") as f:
            f.write("methods=%s early=%d user=%s connect=%s:%d\n"
                    % (methods.hex(), early, user, addr, port))
        u = socket.create_connection((addr, port), timeout=5)
        c.sendall(b"\x05\x00\x00\x01" + bytes(6))
        pump(c, u)
        u.close()
    except (OSError, EOFError, ValueError):
        pass
    finally:
        c.close()


def main():
    host, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ls = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(64)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c, log), daemon=True).start()


if __name__ == "__main__":
    main()
