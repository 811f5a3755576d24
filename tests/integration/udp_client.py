#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A UDP client the tests run inside a subject (`netnsp exec`).

udp_client.py echo HOST PORT MSG     connected socket: send, print the reply
udp_client.py two HOST PORT          two sockets (two flows) interleaved: both replies
udp_client.py many HOST PORT N       N sockets (N flows) sent at once, "m0".."mN-1": print
                                     how many got their own echo, then the sources seen
udp_client.py from HOST PORT MSG     unconnected socket: print "ADDR PORT" of the
                                     reply's source
udp_client.py refused HOST PORT      print the errno name ("timeout" when nothing
                                     came) and the ms until the failure, or "answered"

Every wait is 4 s.
"""
import errno
import socket
import sys
import time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in host else socket.AF_INET


def sock():
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(4)
    return s


if mode == "echo":
    s = sock()
    s.connect((host, port))
    s.send(sys.argv[4].encode())
    print(s.recv(65535).decode())
elif mode == "two":
    a, b = sock(), sock()
    a.connect((host, port))
    b.connect((host, port))
    a.send(b"one-a")
    b.send(b"two-b")
    a.send(b"one-c")
    got = [b.recv(65535).decode(), a.recv(65535).decode(), a.recv(65535).decode()]
    print(" ".join(g.split("|")[1] for g in got))
elif mode == "many":
    socks = [sock() for _ in range(int(sys.argv[4]))]
    for i, s in enumerate(socks):
        s.connect((host, port))
        s.send(b"m%d" % i)
    good, srcs = 0, set()
    for i, s in enumerate(socks):
        try:
            src, _, data = s.recv(65535).decode().partition("|")
        except OSError:
            continue
        if data == "m%d" % i:
            good += 1
            srcs.add(src)
    print(good, *sorted(srcs))
elif mode == "from":
    s = sock()
    s.sendto(sys.argv[4].encode(), (host, port))
    data, peer = s.recvfrom(65535)
    print(peer[0], peer[1])
elif mode == "refused":
    s = sock()
    t0 = time.monotonic()
    try:
        s.connect((host, port))
        s.send(b"x")
        s.recv(100)
        print("answered")
    except OSError as e:
        name = errno.errorcode.get(e.errno, "timeout") if e.errno else "timeout"
        print(name, int((time.monotonic() - t0) * 1000))
