// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_pump.c - conn_pump() (src/relay/pump.c) on real TCP connections over
 * loopback: a short exchange is copied and makes no pipe, a full read moves
 * the direction to its pipe, a write the peer cannot take whole leaves the
 * rest in the pipe (nothing lost, nothing reordered), EOF becomes a
 * half-close, and the counters say what was delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "relay/conn.h"
#include "relay/relay.h"

#include "tap.h"

/* A connected TCP pair over 127.0.0.1: @fd[0] connects, @fd[1] is accepted. */
static int tcp_pair(int fd[2])
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int lis = socket(AF_INET, SOCK_STREAM, 0);

	if (lis < 0 || bind(lis, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lis, 1) < 0 ||
	    getsockname(lis, (struct sockaddr *)&a, &len) < 0)
		return -1;
	fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fd[0] < 0 || connect(fd[0], (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	fd[1] = accept(lis, NULL, NULL);
	close(lis);
	if (fd[1] < 0)
		return -1;
	(void)fcntl(fd[1], F_SETFL, O_NONBLOCK);
	return 0;
}

/*
 * The relay's view: @c->app.fd and @c->up.fd are the accepted ends; @app
 * and @up are the peers (the program, the proxy).
 */
struct rig {
	struct relay r;
	struct relay_stats st;
	struct conn c;
	int app, up;
};

static int rig_open(struct rig *g)
{
	int a[2], u[2];

	memset(g, 0, sizeof(*g));
	if (tcp_pair(a) < 0 || tcp_pair(u) < 0)
		return -1;
	g->app = a[0];
	g->up = u[0];
	g->c.app.fd = a[1];
	g->c.up.fd = u[1];
	g->c.st = &g->st;
	g->c.state = C_RELAY;
	g->c.pipe_up[0] = g->c.pipe_up[1] = g->c.pipe_down[0] = g->c.pipe_down[1] = -1;
	return 0;
}

static void rig_close(struct rig *g)
{
	int fds[] = {g->app,	      g->up,	       g->c.app.fd,	  g->c.up.fd,
		     g->c.pipe_up[0], g->c.pipe_up[1], g->c.pipe_down[0], g->c.pipe_down[1]};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Read exactly @n bytes from @fd (blocking, the test's peer). */
static int read_all(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = recv(fd, buf + got, n - got, 0);

		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

/* The loopback stack delivers synchronously, but leave it a moment. */
static void settle(void)
{
	usleep(20000);
}

static void test_short_exchange(void)
{
	struct rig g;
	char buf[16] = "";

	if (!ok(rig_open(&g) == 0, "loopback TCP pairs"))
		return;
	(void)send(g.app, "hello", 5, 0);
	settle();
	is_int(conn_pump(&g.r, &g.c, true), 0, "a short request: pumped");
	ok(read_all(g.up, (uint8_t *)buf, 5) == 0 && !memcmp(buf, "hello", 5),
	   "the proxy side got it whole");
	is_int(g.c.pipe_up[0], -1, "a short exchange makes no pipe");
	is_int((int)g.st.bytes_up, 5, "counted when delivered");
	(void)send(g.up, "ok", 2, 0);
	settle();
	is_int(conn_pump(&g.r, &g.c, false), 0, "the short answer: pumped");
	ok(read_all(g.app, (uint8_t *)buf, 2) == 0 && !memcmp(buf, "ok", 2),
	   "the program got the answer");
	is_int(g.c.pipe_down[0], -1, "no pipe the other way either");
	shutdown(g.app, SHUT_WR);
	settle();
	is_int(conn_pump(&g.r, &g.c, true), 0, "EOF from the program: pumped");
	ok(g.c.app_eof && g.c.up_shut, "EOF became a half-close upstream");
	ok(recv(g.up, buf, sizeof(buf), 0) == 0, "the proxy side reads EOF");
	rig_close(&g);
}

static void test_bulk(void)
{
	size_t n = 1u << 20, got = 0;
	uint8_t *out = malloc(n), *in = malloc(n);
	struct rig g;
	size_t sent = 0;

	if (!ok(out && in && rig_open(&g) == 0, "loopback TCP pairs"))
		goto out;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 13));
	(void)fcntl(g.up, F_SETFL, O_NONBLOCK);
	(void)fcntl(g.app, F_SETFL, O_NONBLOCK);
	/* The proxy sends 1 MiB; the relay pumps and the program reads, in turns. */
	for (int round = 0; round < 100000 && got < n; round++) {
		ssize_t k;

		if (sent < n) {
			k = send(g.up, out + sent, n - sent, MSG_NOSIGNAL);
			if (k > 0)
				sent += (size_t)k;
		}
		if (conn_pump(&g.r, &g.c, false) < 0)
			break;
		k = recv(g.app, in + got, n - got, 0);
		if (k > 0)
			got += (size_t)k;
	}
	is_int((int)got, (int)n, "1 MiB down, all of it");
	ok(!memcmp(out, in, n), "in order, unchanged");
	ok(g.c.pipe_down[0] >= 0, "a bulk direction has its pipe");
	is_int(g.c.pipe_up[0], -1, "the quiet direction has none");
	is_int((int)g.st.bytes_down, (int)n, "the counter says 1 MiB");
	rig_close(&g);
out:
	free(out);
	free(in);
}

/* The program does not read: the copy that cannot be written whole goes to the pipe. */
static void test_partial_write(void)
{
	int small = 4096, k = 0;
	uint8_t chunk[1000], in[1 << 16];
	size_t total = 0, got = 0;
	struct rig g;

	if (!ok(rig_open(&g) == 0, "loopback TCP pairs"))
		return;
	(void)setsockopt(g.app, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	(void)setsockopt(g.c.app.fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	/* Short reads (1000 bytes each) stay in copy mode until a send falls short. */
	for (k = 0; k < 200 && g.c.pipe_down[0] < 0; k++) {
		memset(chunk, 'a' + k % 26, sizeof(chunk));
		(void)send(g.up, chunk, sizeof(chunk), 0);
		total += sizeof(chunk);
		settle();
		if (conn_pump(&g.r, &g.c, false) < 0)
			break;
	}
	ok(g.c.pipe_down[0] >= 0, "a write the program could not take made the pipe (after %d)", k);
	ok(g.c.pend_down > 0, "the rest waits in the pipe (%u bytes)", g.c.pend_down);
	(void)fcntl(g.app, F_SETFL, O_NONBLOCK);
	for (int round = 0; round < 10000 && got < total; round++) {
		ssize_t n = recv(g.app, in + got, sizeof(in) - got, 0);

		if (n > 0)
			got += (size_t)n;
		if (conn_pump(&g.r, &g.c, false) < 0)
			break;
		if (n <= 0)
			usleep(1000);
	}
	is_int((int)got, (int)total, "every byte reached the program");
	k = 1;
	for (size_t i = 0; i < got; i++)
		if (in[i] != (uint8_t)('a' + (i / sizeof(chunk)) % 26))
			k = 0;
	ok(k, "in the order sent");
	is_int((int)g.st.bytes_down, (int)total, "the counter says what was delivered");
	rig_close(&g);
}

int main(void)
{
	test_short_exchange();
	test_bulk();
	test_partial_write();
	return tap_done();
}
