// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * socks5-splice - a minimal SOCKS5 CONNECT server for the benchmark only.
 *
 * Theory of operation: one detached thread per client.  The thread reads the
 * RFC 1928 method negotiation (§3, accepts "no authentication required" only),
 * the request (§4, CONNECT with ATYP IPv4 or IPv6; no domain names: the bench
 * uses IP literals), connects to the destination with a blocking connect(),
 * answers (§6, REP 0x00 or an error code), then spawns a second thread so that
 * each direction has its own thread moving bytes with splice(2) through a pipe:
 * socket -> pipe -> socket, never copying through user space.  When one
 * direction sees EOF it half-closes (shutdown(SHUT_WR)) the other socket, as a
 * TCP relay must, and the last thread of the pair closes both sockets.
 *
 * It exists so that the SOCKS5 upstream is not the bottleneck of the bench
 * (dante forks and copies); it is not hardened and must never face a network.
 *
 * Usage: socks5-splice ADDRESS PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIPE_SIZE (1 << 20)

struct pair {
	int a;		 /* owned: the client socket */
	int b;		 /* owned: the upstream socket */
	atomic_int refs; /* threads still using the pair */
};

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return 0;
}

static void pair_put(struct pair *p)
{
	if (atomic_fetch_sub(&p->refs, 1) == 1) {
		close(p->a);
		close(p->b);
		free(p);
	}
}

/* Move bytes from @in to @out until EOF or error, with splice(2) via a pipe. */
static void splice_loop(int in, int out)
{
	int pfd[2];
	ssize_t n;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return;
	fcntl(pfd[1], F_SETPIPE_SZ, PIPE_SIZE);
	for (;;) {
		n = splice(in, NULL, pfd[1], NULL, PIPE_SIZE, SPLICE_F_MOVE);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		while (n > 0) {
			ssize_t m = splice(pfd[0], NULL, out, NULL, (size_t)n, SPLICE_F_MOVE);
			if (m < 0 && errno == EINTR)
				continue;
			if (m <= 0)
				goto out;
			n -= m;
		}
	}
out:
	/* EOF on @in: pass the FIN on; an error: make the peer see it too. */
	shutdown(out, SHUT_WR);
	if (n < 0)
		shutdown(in, SHUT_RD);
	close(pfd[0]);
	close(pfd[1]);
}

static void *down_thread(void *arg)
{
	struct pair *p = arg;

	splice_loop(p->b, p->a);
	pair_put(p);
	return NULL;
}

/* RFC 1928 §4: VER CMD RSV ATYP DST.ADDR DST.PORT. Fills @ss; returns 0 or a §6 REP code. */
static int socks5_read_request(int fd, struct sockaddr_storage *ss, socklen_t *sslen)
{
	unsigned char h[4], a[18];

	if (read_full(fd, h, 4) < 0 || h[0] != 5)
		return 1;
	if (h[3] == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (read_full(fd, a, 6) < 0)
			return 1;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a, 4);
		memcpy(&sin->sin_port, a + 4, 2);
		*sslen = sizeof(*sin);
	} else if (h[3] == 4) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (read_full(fd, a, 18) < 0)
			return 1;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a, 16);
		memcpy(&sin6->sin6_port, a + 16, 2);
		*sslen = sizeof(*sin6);
	} else {
		return 8; /* address type not supported */
	}
	return h[1] == 1 ? 0 : 7; /* command not supported */
}

static int socks5_handshake(int fd, int *upstream)
{
	unsigned char buf[256 + 2], rep[10] = {5, 0, 0, 1};
	struct sockaddr_storage ss = {0};
	socklen_t sslen = 0;
	int code, up;

	/* §3: VER NMETHODS METHODS; we take 0x00 (no authentication) only. */
	if (read_full(fd, buf, 2) < 0 || buf[0] != 5 || read_full(fd, buf + 2, buf[1]) < 0)
		return -EPROTO;
	if (!memchr(buf + 2, 0, buf[1])) {
		write_full(fd, "\x05\xff", 2);
		return -EPROTO;
	}
	if (write_full(fd, "\x05\x00", 2) < 0)
		return -EPIPE;
	code = socks5_read_request(fd, &ss, &sslen);
	up = -1;
	if (code == 0) {
		up = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (up < 0 || connect(up, (struct sockaddr *)&ss, sslen) < 0)
			code = errno == ECONNREFUSED ? 5 : errno == ENETUNREACH ? 3 : 4;
	}
	rep[1] = (unsigned char)code;
	if (write_full(fd, rep, sizeof(rep)) < 0 || code != 0) {
		if (up >= 0)
			close(up);
		return -EPROTO;
	}
	*upstream = up;
	return 0;
}

static void *client_thread(void *arg)
{
	int fd = (int)(intptr_t)arg, up = -1, one = 1;
	struct pair *p;
	pthread_attr_t attr;
	pthread_t t;

	if (socks5_handshake(fd, &up) < 0) {
		close(fd);
		return NULL;
	}
	setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->a = fd;
	p->b = up;
	atomic_init(&p->refs, 2);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	if (pthread_create(&t, &attr, down_thread, p) != 0)
		pair_put(p);
	pthread_attr_destroy(&attr);
	splice_loop(fd, up);
	pair_put(p);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	pthread_attr_t attr;
	int lfd, one = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: %s ADDRESS PORT\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (inet_pton(AF_INET, argv[1], &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((unsigned short)atoi(argv[2]));
	} else if (inet_pton(AF_INET6, argv[1], &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((unsigned short)atoi(argv[2]));
	} else {
		fprintf(stderr, "socks5-splice: bad address '%s'\n", argv[1]);
		return 2;
	}
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&ss, sizeof(ss)) < 0 || listen(lfd, 4096) < 0) {
		perror("socks5-splice: listen");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t t;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				usleep(10000);
				continue;
			}
			perror("socks5-splice: accept");
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, &attr, client_thread, (void *)(intptr_t)fd) != 0)
			close(fd);
	}
}
