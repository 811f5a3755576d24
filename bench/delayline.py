#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""delayline.py - a TCP forwarder that holds every byte for a fixed time in
each direction, as a long link would (this kernel has no netem qdisc).

delayline.py LISTEN_ADDR LISTEN_PORT TO_ADDR TO_PORT DELAY_MS

Each chunk read on one side is written to the other DELAY_MS later, in order;
chunks do not wait for each other, so the delay is the link's, not a queue's.
The TCP handshake with the forwarder itself is not delayed: what a client
sees is DELAY_MS x 2 per request/reply round trip through it, which is the
cost the SOCKS5 handshake's round trips are measured by.
"""
import asyncio
import sys


async def carry(reader, writer, delay):
    q = asyncio.Queue()
    loop = asyncio.get_running_loop()

    async def send():
        while True:
            due, data = await q.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except OSError:
            pass

    task = asyncio.create_task(send())
    try:
        while True:
            data = await reader.read(65536)
            q.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
    except OSError:
        q.put_nowait((loop.time(), None))
    try:
        await task
    except OSError:
        pass


async def main():
    la, lp, ta, tp, ms = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    delay = ms / 1000.0

    async def client(r1, w1):
        try:
            r2, w2 = await asyncio.open_connection(ta, tp)
        except OSError:
            w1.close()
            return
        await asyncio.gather(carry(r1, w2, delay), carry(r2, w1, delay))
        w1.close()
        w2.close()

    server = await asyncio.start_server(client, la, lp, backlog=256)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
