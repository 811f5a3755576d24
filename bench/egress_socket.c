/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * egress_socket.c - micro-benchmark of what an upstream socket made inside an
 * egress namespace costs the relay's thread, both ways the code can make it:
 *
 *   open_thread: netns_open_named() + netns_socket() (a helper thread that
 *                setns()es, makes the socket and is joined) + close, as
 *                `netnsp run` does and the daemon did before it held the name;
 *   held_pool:   egress_ns_socket() of a held egress namespace (stat of the
 *                name, a socket from the broker's pool) + close, as the daemon does.
 *
 * Calls back to back, so the pool is drained faster than any client would and
 * the broker's refill is in the figure.  Usage: egress_socket NETNS [N] (root).
 * Prints "open_thread_us X held_pool_us Y" (microseconds per socket).  Built
 * and run by bench/egress.sh against the build's libnetnsp-core.a; not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netns/netns.h"
#include "relay/egress.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct egress_set set = {0};
	struct egress_ns *e = NULL;
	int n = argc > 2 ? atoi(argv[2]) : 2000;
	double t0, t1, t2;

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: egress_socket NETNS [N]\n");
		return 2;
	}
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		int ns = netns_open_named(argv[1]);
		int fd = ns < 0 ? ns : netns_socket(ns, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0) {
			fprintf(stderr, "egress_socket: open + thread: error %d\n", fd);
			return 1;
		}
		close(fd);
		close(ns);
	}
	t1 = now_s();
	if (egress_ns_get(&set, argv[1], &e) < 0)
		return 1;
	usleep(100000); /* the broker's first pool, as after a daemon's apply */
	t1 += 0.1;
	for (int i = 0; i < n; i++) {
		int fd = egress_ns_socket(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK);

		if (fd < 0) {
			fprintf(stderr, "egress_socket: held + pool: error %d\n", fd);
			return 1;
		}
		close(fd);
	}
	t2 = now_s();
	egress_ns_put(e);
	printf("open_thread_us %.1f held_pool_us %.1f\n", (t1 - t0) / n * 1e6, (t2 - t1) / n * 1e6);
	return 0;
}
