#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""notify_sink.py PATH LOG: stand in for systemd's notification socket.

Binds a unix datagram socket at PATH (or, for "@name", that abstract name),
then appends each datagram received to LOG as one line, its "KEY=VALUE"
lines joined by '|', flushed at once, until killed.
"""
import socket
import sys

path, log = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + path[1:] if path.startswith("@") else path)
with open(log, "a", buffering=1) as out:
    out.write("# listening\n")
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        out.write(msg.replace("\n", "|") + "\n")
