#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The integration tests' "world": an HTTP server that tells who connected.

GET /            -> "client=ADDR\n", ADDR being the peer address it saw
                    (IPv4-mapped addresses shown as plain IPv4).
GET /slow?bytes=N&rate=R
                 -> N bytes of 'x', paced at about R bytes/s, for transfers
                    that are still running when a test kills a proxy.
GET /slow?bytes=N&rate=R&hold=PATH
                 -> the same, but after half the bytes it waits (up to 120 s)
                    until the file PATH exists: a transfer that stays open
                    exactly as long as the test needs, however slow the machine.
POST /echo       -> the request body, byte for byte (Content-Length bodies
                    only), for tests that check an upload arrives intact.
--udp-echo PORT --udp-addr A [--udp-addr B]
                 -> also a UDP echo on PORT of each address A, B: a datagram
                    is answered with "from=ADDR|DATA", ADDR the sender it saw,
                    from the address it was sent to (one socket per address:
                    a wildcard socket would answer from the route's source).

Listens on [::]:PORT with IPV6_V6ONLY off, so one socket serves v4 and v6.
"""
import argparse
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def peer(addr):
    return addr[7:] if addr.startswith("::ffff:") else addr


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/slow":
            self.slow(int(query.get("bytes", ["100000000"])[0]),
                      int(query.get("rate", ["1000000"])[0]),
                      query.get("hold", [None])[0])
            return
        body = ("client=%s\n" % peer(self.client_address[0])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if urllib.parse.urlparse(self.path).path != "/echo" or len(body) != length:
            self.send_error(404 if len(body) == length else 400)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def slow(self, total, rate, hold=None):
        chunk = b"x" * 16384
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        sent = 0
        try:
            while sent < total:
                if hold and sent >= total // 2:
                    self.wfile.flush()
                    deadline = time.monotonic() + 120
                    while not os.path.exists(hold) and time.monotonic() < deadline:
                        time.sleep(0.05)
                    hold = None
                n = min(len(chunk), total - sent)
                self.wfile.write(chunk[:n])
                sent += n
                time.sleep(n / rate)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, fmt, *args):
        sys.stderr.write("world: %s %s\n" % (peer(self.client_address[0]), fmt % args))


class Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # a burst of connections is not dropped at its backlog (5)

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def udp_echo(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, addr = s.recvfrom(65535)
        s.sendto(b"from=" + peer(addr[0]).encode() + b"|" + data, addr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=80)
    ap.add_argument("--bind", default="::")
    ap.add_argument("--udp-echo", type=int, default=0, metavar="PORT")
    ap.add_argument("--udp-addr", action="append", default=[], metavar="ADDR")
    args = ap.parse_args()
    for a in args.udp_addr if args.udp_echo else []:
        threading.Thread(target=udp_echo, args=(a, args.udp_echo), daemon=True).start()
    Server((args.bind, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
