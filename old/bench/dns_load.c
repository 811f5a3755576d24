// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dns_load.c - a DNS load generator for bench/dns.sh, run inside a subject.
 *
 *   dns_load qps SERVER SECONDS WINDOW NAMES
 *	A queries for NAMES names (distinct.0.bench.test ...), round robin, over
 *	one connected UDP socket with WINDOW queries outstanding: a batch of
 *	WINDOW is sent with sendmmsg(2), then replies are read until all have
 *	come back or 200 ms passed (lost ones are counted, not resent).  Prints
 *	"answered N lost N seconds S qps Q" ("lost": no reply, or no answer).
 *   dns_load names SERVER COUNT WINDOW
 *	COUNT distinct names, once each (distinct.N.bench.test), the same way.
 *	Prints "noerror N servfail N other N lost N".
 *
 * A reply counts only if its ID matches an outstanding query, QR is set and
 * it carries at least one answer (RCODE 0) - so an echo or an error is not
 * an answer.  IPv4 server only; no EDNS.
 */
#define _GNU_SOURCE /* sendmmsg(2) */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WINDOW_MAX 1024

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RFC 1035 §4.1: header, one question (QTYPE A, QCLASS IN), RD set. */
static size_t build_query(uint8_t *b, uint16_t id, const char *name)
{
	size_t p = 12;
	const char *s = name;

	memset(b, 0, 12);
	b[0] = (uint8_t)(id >> 8);
	b[1] = (uint8_t)id;
	b[2] = 0x01; /* RD */
	b[5] = 1;    /* QDCOUNT */
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		b[p++] = (uint8_t)l;
		memcpy(b + p, s, l);
		p += l;
		s += l + (dot ? 1 : 0);
	}
	b[p++] = 0;
	memcpy(b + p, "\x00\x01\x00\x01", 4);
	return p + 4;
}

struct tally {
	unsigned long noerror, servfail, other, lost;
};

/* Send @n queries (names from @name_of), collect replies; returns 0 or -1. */
static int run_batch(int fd, unsigned n, uint16_t *next_id, unsigned long *seq,
		     void (*name_of)(unsigned long, char *, size_t), struct tally *t)
{
	static uint8_t q[WINDOW_MAX][300];
	static struct iovec iov[WINDOW_MAX];
	static struct mmsghdr mm[WINDOW_MAX];
	uint8_t seen[65536 / 8] = {0}, r[1500];
	uint16_t first = *next_id;
	unsigned got = 0;
	char name[256];
	double dl;

	for (unsigned i = 0; i < n; i++) {
		name_of((*seq)++, name, sizeof(name));
		iov[i].iov_base = q[i];
		iov[i].iov_len = build_query(q[i], (uint16_t)(first + i), name);
		memset(&mm[i], 0, sizeof(mm[i]));
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	*next_id = (uint16_t)(first + n);
	for (unsigned sent = 0; sent < n;) {
		int k = sendmmsg(fd, mm + sent, n - sent, 0);

		if (k < 0)
			return -1;
		sent += (unsigned)k;
	}
	dl = now_s() + 0.2;
	while (got < n) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ms = (int)((dl - now_s()) * 1000);
		ssize_t len;
		uint16_t id, off;

		if (ms <= 0 || poll(&pfd, 1, ms) <= 0)
			break;
		while ((len = recv(fd, r, sizeof(r), MSG_DONTWAIT)) >= 12) {
			id = (uint16_t)(r[0] << 8 | r[1]);
			off = (uint16_t)(id - first);
			if (off >= n || (seen[id / 8] & (1u << (id % 8))) || !(r[2] & 0x80))
				continue;
			seen[id / 8] |= (uint8_t)(1u << (id % 8));
			got++;
			if ((r[3] & 15) == 0 && (r[6] | r[7]))
				t->noerror++;
			else if ((r[3] & 15) == 2)
				t->servfail++;
			else
				t->other++;
		}
	}
	t->lost += n - got;
	return 0;
}

static unsigned long g_names = 1;

static void name_rr(unsigned long i, char *b, size_t n)
{
	snprintf(b, n, "distinct.%lu.bench.test", i % g_names);
}

static void name_distinct(unsigned long i, char *b, size_t n)
{
	snprintf(b, n, "distinct.%lu.bench.test", i);
}

static int open_udp(const char *server)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), sz = 4 << 20;

	if (fd < 0 || inet_pton(AF_INET, server, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

int main(int argc, char **argv)
{
	struct tally t = {0};
	unsigned long seq = 0;
	uint16_t id = 1;
	int fd;

	if (argc != 6 && !(argc == 5 && !strcmp(argv[1], "names"))) {
		fprintf(stderr, "usage: dns_load qps SERVER SECONDS WINDOW NAMES\n"
				"       dns_load names SERVER COUNT WINDOW\n");
		return 2;
	}
	fd = open_udp(argv[2]);
	if (fd < 0) {
		perror("dns_load: socket");
		return 1;
	}
	unsigned window = (unsigned)strtoul(argv[4], NULL, 10);

	if (window < 1 || window > WINDOW_MAX)
		window = 64;
	if (!strcmp(argv[1], "qps")) {
		double secs = strtod(argv[3], NULL), t0 = now_s(), el;

		g_names = strtoul(argv[5], NULL, 10) ?: 1;
		while ((el = now_s() - t0) < secs)
			if (run_batch(fd, window, &id, &seq, name_rr, &t) < 0)
				return perror("dns_load: send"), 1;
		el = now_s() - t0;
		printf("answered %lu lost %lu seconds %.3f qps %.0f\n", t.noerror,
		       t.lost + t.servfail + t.other, el, t.noerror / el);
		return 0;
	}
	unsigned long count = strtoul(argv[3], NULL, 10);

	while (seq < count) {
		unsigned n = count - seq < window ? (unsigned)(count - seq) : window;

		if (run_batch(fd, n, &id, &seq, name_distinct, &t) < 0)
			return perror("dns_load: send"), 1;
	}
	printf("noerror %lu servfail %lu other %lu lost %lu\n", t.noerror, t.servfail, t.other,
	       t.lost);
	return 0;
}
