// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp_rtt.c - UDP echo round trips for bench/udp.sh, and the echo server.
 *
 *   udp_rtt server ADDR PORT
 *   udp_rtt plain HOST PORT N WARM SIZE
 *   udp_rtt socks5 PHOST PPORT HOST PORT N WARM SIZE
 *
 * plain: one connect()ed UDP socket, N + WARM sequential echoes of SIZE
 * bytes, each carrying its sequence number; a reply counts only if it carries
 * the number of the datagram in flight (a late reply of a lost one is
 * skipped), 1 s per echo, then the echo is lost.  socks5: the same through a
 * proxy-aware SOCKS5 client: TCP to the proxy, greeting (no auth), UDP
 * ASSOCIATE with DST 0.0.0.0:0 (RFC 1928 §7: the client does not know its
 * address yet), then each datagram with the 10-byte IPv4 header to BND, each
 * reply's header checked and stripped.  The first WARM echoes are not in the
 * statistics; "first" is the time from the start (socket, and for socks5 the
 * TCP connect and UDP ASSOCIATE) to the first reply: a flow's setup cost.
 *
 * Output, one line (microseconds):
 *   n N lost L first F min A median M p99 P max X
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE 1400

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "udp_rtt: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in addr4(const char *host, const char *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port))};

	if (inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "udp_rtt: %s: not an IPv4 address\n", host);
		exit(2);
	}
	return a;
}

static _Noreturn void serve(const char *host, const char *port)
{
	struct sockaddr_in a = addr4(host, port), peer;
	socklen_t len;
	char buf[65536];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	for (;;) {
		len = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &len);
		if (n >= 0)
			(void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, len);
	}
}

/* Read exactly @len bytes of the SOCKS5 control connection (1 s). */
static void read_all(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	while (len > 0) {
		if (poll(&p, 1, 1000) != 1)
			die("socks5 reply (timeout)");
		n = read(fd, buf, len);
		if (n <= 0)
			die("socks5 reply");
		buf += n;
		len -= (size_t)n;
	}
}

/* UDP ASSOCIATE (RFC 1928 §4, §7); returns the control fd, fills @bnd. */
static int associate(struct sockaddr_in *proxy, struct sockaddr_in *bnd)
{
	static const uint8_t greet[3] = {5, 1, 0};
	static const uint8_t req[10] = {5, 3, 0, 1, 0, 0, 0, 0, 0, 0};
	uint8_t rep[10];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)proxy, sizeof(*proxy)) < 0)
		die("connect to the proxy");
	if (write(fd, greet, sizeof(greet)) != sizeof(greet))
		die("greeting");
	read_all(fd, rep, 2);
	if (rep[0] != 5 || rep[1] != 0) {
		fprintf(stderr, "udp_rtt: proxy wants method %u\n", rep[1]);
		exit(1);
	}
	if (write(fd, req, sizeof(req)) != sizeof(req))
		die("UDP ASSOCIATE");
	read_all(fd, rep, 4);
	if (rep[1] != 0 || rep[3] != 1) {
		fprintf(stderr, "udp_rtt: UDP ASSOCIATE: REP %u ATYP %u\n", rep[1], rep[3]);
		exit(1);
	}
	read_all(fd, rep + 4, 6);
	*bnd = (struct sockaddr_in){.sin_family = AF_INET};
	memcpy(&bnd->sin_addr, rep + 4, 4);
	memcpy(&bnd->sin_port, rep + 8, 2);
	if (bnd->sin_addr.s_addr == 0)
		bnd->sin_addr = proxy->sin_addr; /* "where you reached me" */
	return fd;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct run {
	int fd;
	size_t hdr; /* SOCKS5 UDP header length, 0 for plain */
	uint8_t h[10];
	size_t size;
};

/* One echo of sequence @seq: its RTT in µs, or -1 if lost (1 s). */
static double echo(const struct run *r, uint32_t seq)
{
	uint8_t out[10 + MAX_SIZE] = {0}, in[65536];
	struct pollfd p = {.fd = r->fd, .events = POLLIN};
	double t0 = now_us(), left;
	uint32_t got;
	ssize_t n;

	memcpy(out, r->h, r->hdr);
	memcpy(out + r->hdr, &seq, sizeof(seq));
	if (send(r->fd, out, r->hdr + r->size, 0) < 0)
		die("send");
	for (;;) {
		left = 1e6 - (now_us() - t0);
		if (left <= 0 || poll(&p, 1, (int)(left / 1000) + 1) != 1)
			return -1;
		n = recv(r->fd, in, sizeof(in), 0);
		if (n < (ssize_t)(r->hdr + sizeof(got)))
			continue;
		/* A reply header must be RSV 0, FRAG 0, ATYP 1 (RFC 1928 §7). */
		if (r->hdr && (in[0] | in[1] | in[2] || in[3] != 1))
			continue;
		memcpy(&got, in + r->hdr, sizeof(got));
		if (got == seq)
			return now_us() - t0;
	}
}

static void measure(struct run *r, long n, long warm, double t_start)
{
	double *s = calloc((size_t)n, sizeof(double)), first = -1, v;
	long k = 0, lost = 0;

	if (!s)
		die("calloc");
	for (long i = 0; i < warm + n; i++) {
		v = echo(r, (uint32_t)i + 1);
		if (i == 0 && v >= 0)
			first = now_us() - t_start;
		if (i < warm)
			continue;
		if (v < 0)
			lost++;
		else
			s[k++] = v;
	}
	if (k == 0) {
		printf("n 0 lost %ld first %.1f\n", lost, first);
		exit(1);
	}
	qsort(s, (size_t)k, sizeof(double), cmp);
	printf("n %ld lost %ld first %.1f min %.1f median %.1f p99 %.1f max %.1f\n", k, lost, first,
	       s[0], s[k / 2], s[(size_t)((k - 1) * 0.99)], s[k - 1]);
	free(s);
}

int main(int argc, char **argv)
{
	struct run r = {.fd = -1};
	struct sockaddr_in dst, proxy, bnd;
	double t0 = now_us();
	char **a = argv + 2;

	if (argc == 4 && !strcmp(argv[1], "server"))
		serve(argv[2], argv[3]);
	if (argc == 7 && !strcmp(argv[1], "plain")) {
		dst = addr4(a[0], a[1]);
	} else if (argc == 9 && !strcmp(argv[1], "socks5")) {
		proxy = addr4(a[0], a[1]);
		dst = addr4(a[2], a[3]);
		(void)associate(&proxy, &bnd); /* held open: its end ends the association */
		r.hdr = 10;
		r.h[3] = 1;
		memcpy(r.h + 4, &dst.sin_addr, 4);
		memcpy(r.h + 8, &dst.sin_port, 2);
		dst = bnd;
		a += 2;
	} else {
		fprintf(stderr, "usage: udp_rtt server ADDR PORT | plain HOST PORT N WARM SIZE |"
				" socks5 PHOST PPORT HOST PORT N WARM SIZE\n");
		return 2;
	}
	r.size = (size_t)atol(a[4]);
	if (r.size < 4 || r.size > MAX_SIZE)
		r.size = 64;
	r.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (r.fd < 0 || connect(r.fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		die("udp socket");
	measure(&r, atol(a[2]), atol(a[3]), t0);
	return 0;
}
