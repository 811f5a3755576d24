/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns_probe.h - the datapath probes of test_netns.c: sockets made inside the
 * test namespace (netns_socket) and driven from the root one, each a TAP point
 * that shows what the kernel did with a TCP connect, a UDP datagram or an ICMP
 * echo (tproxied, refused at once, routed, or delivered locally).
 */
#ifndef NETNSP_TEST_NETNS_PROBE_H
#define NETNSP_TEST_NETNS_PROBE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netlink/nl.h"
#include "netns/netns.h"
#include "tap.h"

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static socklen_t sa_make(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	inet_pton(AF_INET6, ip, &s6->sin6_addr);
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	return sizeof(*s6);
}

static void sa_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s4->sin_port));
	} else {
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s6->sin6_port));
	}
}

/* Non-blocking connect from inside @nsfd; 0, -errno, or -ETIMEDOUT after @ms. */
static int ns_connect(int nsfd, const char *ip, uint16_t port, int ms, int *fd_out)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, ip, port);
	struct pollfd p;
	int fd, err = 0;
	socklen_t el = sizeof(err);

	fd = netns_socket(nsfd, ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	p = (struct pollfd){.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, ms) != 1) {
		err = ETIMEDOUT;
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
out:
	if (err == 0 && fd_out) {
		*fd_out = fd;
		return 0;
	}
	close(fd);
	return -err;
}

/* A transparent listener inside @nsfd on @ip:@port (port 0: any). */
static int ns_listen(int nsfd, const char *ip, uint16_t port, uint16_t *bound)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, ip, port);
	int fd, one = 1;

	fd = netns_socket(nsfd, ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return fd;
	/* IP_TRANSPARENT / IPV6_TRANSPARENT: accept connections for any address (tproxy). */
	if (ss.ss_family == AF_INET)
		setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one));
	else
		setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -errno;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound = ntohs(((struct sockaddr_in *)&ss)->sin_port); /* same offset in sin6 */
	return fd;
}

/* Connect to @ip:@port, accept on @lfd, compare getsockname() with @want. */
static void check_tproxied(int nsfd, int lfd, const char *ip, uint16_t port, const char *want)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char got[80] = "";
	int c = -1, a, r;
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	r = ns_connect(nsfd, ip, port, 1000, &c);
	is_int(r, 0, "connect %s port %u is taken by the transparent listener", ip, port);
	if (r < 0)
		return;
	a = poll(&p, 1, 1000) == 1 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC) : -1;
	ok(a >= 0, "listener accepted the connection to %s", ip);
	if (a >= 0 && getsockname(a, (struct sockaddr *)&ss, &len) == 0)
		sa_text(&ss, got, sizeof(got));
	is_str(got, want, "getsockname() on the accepted socket is the original destination");
	if (a >= 0)
		close(a);
	close(c);
}

static void check_refused(int nsfd, const char *ip, uint16_t port, const char *why)
{
	long t0 = now_ms();
	int r = ns_connect(nsfd, ip, port, 2000, NULL);
	long dt = now_ms() - t0;

	ok(r == -ECONNREFUSED && dt < 1000, "%s: connect %s fails with ECONNREFUSED in %ld ms (%s)",
	   why, ip, dt, strerror(-r));
}

/*
 * connect() and send one datagram from inside @nsfd: UDP to @ip:@port, or an
 * ICMP echo request (@proto IPPROTO_ICMP / IPPROTO_ICMPV6, @type SOCK_RAW or
 * SOCK_DGRAM for a ping socket).  0, or the -errno of the first step that
 * failed; *@ms: how long that took.
 */
static int ns_dgram(int nsfd, int type, int proto, const char *ip, uint16_t port, long *ms)
{
	/* Echo request header (RFC 792 type 8; RFC 4443 §4.1 type 128); checksum by the kernel
	 * for ICMPv6 and ping sockets, left 0 for raw IPv4 (it never gets that far). */
	unsigned char echo[8] = {8, 0, 0, 0, 0, 1, 0, 1};
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, ip, port);
	long t0 = now_ms();
	int fd, r = 0;

	if (proto == IPPROTO_ICMPV6)
		echo[0] = 128;
	fd = netns_socket(nsfd, ss.ss_family, type, proto);
	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 || send(fd, echo, sizeof(echo), 0) < 0)
		r = -errno;
	*ms = now_ms() - t0;
	close(fd);
	return r;
}

/* UDP to a non-local address fails at connect() with EHOSTUNREACH, at once. */
static void check_udp_refused(int nsfd, const char *ip, uint16_t port)
{
	long ms = 0;
	int r = ns_dgram(nsfd, SOCK_DGRAM, 0, ip, port, &ms);

	ok(r == -EHOSTUNREACH && ms < 50, "UDP to %s port %u: EHOSTUNREACH in %ld ms (%s)", ip,
	   port, ms, strerror(-r));
}

/* ICMP echo to a non-local address fails at once, raw socket and ping socket. */
static void check_icmp_refused(int nsfd, const char *ip)
{
	int proto = strchr(ip, ':') ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	long ms = 0;
	int r;

	r = ns_dgram(nsfd, SOCK_RAW, proto, ip, 0, &ms);
	ok(r == -EHOSTUNREACH && ms < 50, "raw ICMP echo to %s: EHOSTUNREACH in %ld ms (%s)", ip,
	   ms, strerror(-r));
	r = ns_dgram(nsfd, SOCK_DGRAM, proto, ip, 0, &ms);
	ok(r == -EHOSTUNREACH && ms < 50, "ping-socket echo to %s: EHOSTUNREACH in %ld ms (%s)", ip,
	   ms, strerror(-r));
}

/* UDP connect() to @ip:@port finds a route (it is not refused by routing). */
static void check_udp_routed(int nsfd, const char *ip, uint16_t port, const char *why)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, ip, port);
	int fd = netns_socket(nsfd, ss.ss_family, SOCK_DGRAM, 0);
	int r = fd < 0 ? fd : connect(fd, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;

	is_int(r, 0, "%s: UDP connect to %s port %u finds a route", why, ip, port);
	if (fd >= 0)
		close(fd);
}

/* Ping sockets for every group in the namespace (net.ipv4.ping_group_range, per netns). */
static int ping_group_in(void *arg)
{
	static const char range[] = "0 2147483647\n";
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, range, sizeof(range) - 1) != (ssize_t)sizeof(range) - 1)
		r = -errno;
	close(fd);
	return r;
}

/* UDP on loopback inside the namespace (where the DNS endpoint lives) still works. */
static void check_udp_local(int nsfd, const char *ip)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, ip, 0);
	int s = netns_socket(nsfd, ss.ss_family, SOCK_DGRAM, 0);
	int c = netns_socket(nsfd, ss.ss_family, SOCK_DGRAM, 0);
	struct pollfd p = {.fd = s, .events = POLLIN};
	char b[4];

	if (s >= 0 && bind(s, (struct sockaddr *)&ss, len) == 0) {
		len = sizeof(ss);
		getsockname(s, (struct sockaddr *)&ss, &len);
		(void)sendto(c, "dns", 3, 0, (struct sockaddr *)&ss, len);
	}
	ok(poll(&p, 1, 1000) == 1 && recv(s, b, sizeof(b), 0) == 3, "UDP on %s still delivered",
	   ip);
	close(s);
	close(c);
}

#endif
