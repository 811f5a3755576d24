// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_probe.c - `netnsp check`: try every way out of a subject, from inside.
 *
 * Theory.  In a healthy subject a TCP connect() to any address succeeds,
 * because tproxy hands it to the relay; so success proves nothing and the
 * probes judge by identity and by counting, never by outcome alone:
 *
 *  - Counting: before and after each probe the transmit counters of every
 *    link of the namespace are read (/proc/thread-self/net/dev, the probing
 *    thread's namespace).  lo carries what the relay takes; the uplink pair
 *    has both ends inside (a packet sent into it is dropped at the other
 *    end); any other link that transmitted during a probe let packets out:
 *    LEAK.  Packets sent into the uplink are not a leak but mean the rules
 *    did not catch them: broken.
 *  - Identity (TCP): after a connect() succeeds, the other end must be a
 *    socket in this namespace's own TCP table (/proc/thread-self/net/tcp*)
 *    held by the relay (the daemon's pid, from `status`, else a process
 *    named netnsp); a connection with no local peer reached something
 *    outside: LEAK.  tproxy makes the relay's socket carry the original
 *    destination as its local address, which is how it is found.
 *  - Refused at once (ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EPERM,
 *    EACCES) is failing closed: fine for what must not pass (UDP with
 *    udp = off, ICMP, raw IP, IPv6 with ipv6 = off); for TCP it means the
 *    relay is not listening (daemon dead): broken, not a leak.
 *  - DNS: a query to any server, UDP or TCP port 53, must be answered (by
 *    netnsp's resolver, from inside); with dns = fake an A answer must lie in
 *    the subject's fake pool.
 *
 * The destinations are documentation addresses (RFC 5737, RFC 3849) that
 * the chain cannot serve; whatever the relay does with them is the chain's
 * business, only where the packets went is judged here.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/check-internal.h"
#include "cli/check.h"
#include "dns/dns.h"
#include "netns/netns.h"
#include "relay/relay.h"
#include "util/macro.h"

#define PROBE_V4 "203.0.113.9"
#define PROBE_V6 "2001:db8::9"
#define PROBE_DNS4 "203.0.113.53"
#define PROBE_DNS6 "2001:db8::53"
#define PROBE_PORT 9	    /* discard */
#define PROBE_RAW_PROTO 253 /* RFC 3692: for experimentation */
#define CONNECT_MS 1000
#define DATAGRAM_MS 300
#define DNS_MS 1500

void check_add(struct check_report *r, const char *probe, enum check_verdict v, const char *fmt,
	       ...)
{
	struct check_item *it;
	va_list ap;

	if (r->n >= CHECK_MAX_ITEMS)
		return;
	it = &r->items[r->n++];
	snprintf(it->probe, sizeof(it->probe), "%s", probe);
	it->v = v;
	va_start(ap, fmt);
	vsnprintf(it->why, sizeof(it->why), fmt, ap);
	va_end(ap);
}

/* /proc/net/dev: "name: 8 receive fields, then tx bytes, tx packets, ...". */
void check_counters_read(struct counters *c)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/thread-self/net/dev", "re");
	char line[512];

	c->n = 0;
	while (f && fgets(line, sizeof(line), f) && c->n < MAX_LINKS) {
		unsigned long long v[10];
		char *colon = strchr(line, ':'), *name = line;

		if (!colon)
			continue;
		*colon = '\0';
		name += strspn(name, " ");
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]) != 10)
			continue;
		snprintf(c->name[c->n], IFNAMSIZ, "%s", name);
		c->tx[c->n++] = v[9];
	}
}

/*
 * What left during the probe: *@out = packets sent by links that are not
 * lo nor the uplink pair (named in @why), *@up = packets sent into the uplink.
 */
static void probe_sent(const struct probe *p, unsigned long long *out, unsigned long long *up,
		       char *why, size_t len)
{
	struct counters now;

	*out = *up = 0;
	why[0] = '\0';
	check_counters_read(&now);
	for (size_t i = 0; i < now.n; i++) {
		unsigned long long before = 0, d;

		for (size_t k = 0; k < p->before.n; k++)
			if (!strcmp(p->before.name[k], now.name[i]))
				before = p->before.tx[k];
		d = now.tx[i] - before;
		if (!d || !strcmp(now.name[i], "lo"))
			continue;
		if (!strcmp(now.name[i], UPLINK_DEV) || !strcmp(now.name[i], UPLINK_PEER)) {
			*up += d;
			continue;
		}
		*out += d;
		snprintf(why, len, "%llu packet(s) left by link '%s'", d, now.name[i]);
	}
}

/* Judge by the counters first: anything out is a leak, into the uplink is broken. */
bool check_judge_sent(struct probe *p, const char *name)
{
	unsigned long long out, up;
	char why[96];

	probe_sent(p, &out, &up, why, sizeof(why));
	if (out) {
		check_add(p->r, name, CHECK_LEAK, "%s", why);
		return true;
	}
	if (up && p->uplink_fine) {
		/* A socket bound to a device skips the fwmark rule (strict oif lookup). */
		check_add(p->r, name, CHECK_OK,
			  "%llu packet(s) into the uplink pair, dropped at its other end inside",
			  up);
		return true;
	}
	if (up) {
		check_add(p->r, name, CHECK_BROKEN,
			  "%llu packet(s) sent into the uplink (dropped there), not relayed", up);
		return true;
	}
	return false;
}

static bool refused_errno(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EPERM ||
	       e == EACCES || e == EADDRNOTAVAIL;
}

static int sock_open(int family, int type, int proto, const char *dev)
{
	int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);

	if (fd < 0)
		return neg_errno();
	if (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev)) < 0) {
		int r = neg_errno();

		close(fd);
		return r;
	}
	return fd;
}

/* connect() with a deadline: 0, -ETIMEDOUT, or the connect's negative errno. */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	int e = 0;
	socklen_t elen = sizeof(e);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return neg_errno();
	if (poll(&pfd, 1, ms) == 0)
		return -ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
		return neg_errno();
	return -e;
}

/* The /proc/net/tcp{,6} form of an address: the raw 32-bit words in %08X, ":%04X" port. */
static void proc_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		snprintf(buf, len, "%08X:%04X", s->sin_addr.s_addr, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const void *)ss;
		uint32_t w[4];

		memcpy(w, &s->sin6_addr, sizeof(w));
		snprintf(buf, len, "%08X%08X%08X%08X:%04X", w[0], w[1], w[2], w[3],
			 ntohs(s->sin6_port));
	}
}

/*
 * The inode of the first socket in this namespace's TCP table with local
 * address @local and (unless NULL) remote @remote or (unless NULL) state
 * @st ("0A" = LISTEN); -ENOENT if none.  0 is a socket no process holds
 * (not yet accepted, or closing).
 */
static long tcp_table_find(int family, const char *local, const char *remote, const char *st)
{
	_cleanup_fclose_ FILE *f = fopen(family == AF_INET ? "/proc/thread-self/net/tcp"
							   : "/proc/thread-self/net/tcp6",
					 "re");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		char l[64], r[64], s[8];
		unsigned long inode;

		if (sscanf(line, " %*s %63s %63s %7s %*s %*s %*s %*s %*s %lu", l, r, s, &inode) !=
		    4)
			continue;
		if (!strcmp(l, local) && (!remote || !strcmp(r, remote)) && (!st || !strcmp(s, st)))
			return (long)inode;
	}
	return -ENOENT;
}

/* The inode of the socket whose local end is @fd's peer, -ENOENT if none here. */
static long tcp_peer_inode(int fd, int family)
{
	struct sockaddr_storage me, peer;
	socklen_t l1 = sizeof(me), l2 = sizeof(peer);
	char want_local[64], want_remote[64];
	long ino;

	/* ENOTCONN: the other end already reset the connection. */
	if (getsockname(fd, (void *)&me, &l1) < 0 || getpeername(fd, (void *)&peer, &l2) < 0)
		return neg_errno();
	proc_addr(&peer, want_local, sizeof(want_local));
	proc_addr(&me, want_remote, sizeof(want_remote));
	ino = tcp_table_find(family, want_local, want_remote, NULL);
	if (ino >= 0)
		return ino;
	/* A reset that came while the table was read took the peer away with it. */
	l2 = sizeof(peer);
	if (getpeername(fd, (void *)&peer, &l2) < 0)
		return neg_errno();
	return -ENOENT;
}

/* Which process holds socket @inode: its pid and name, or 0. */
static pid_t socket_owner(unsigned long inode, char *comm, size_t len)
{
	char want[48], path[600], link[64];
	struct dirent *pe, *fe;
	DIR *proc = opendir("/proc");
	pid_t found = 0;

	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (proc && !found && (pe = readdir(proc))) {
		DIR *fds;

		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		fds = opendir(path);
		while (fds && !found && (fe = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pe->d_name, fe->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n > 0 && (link[n] = '\0', !strcmp(link, want)))
				found = (pid_t)strtol(pe->d_name, NULL, 10);
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	comm[0] = '\0';
	if (found) {
		_cleanup_fclose_ FILE *f = NULL;

		snprintf(path, sizeof(path), "/proc/%d/comm", found);
		f = fopen(path, "re");
		if (f && fgets(comm, (int)len, f))
			comm[strcspn(comm, "\n")] = '\0';
	}
	return found;
}

enum expect {
	EXPECT_RELAY,	/* the relay must take it */
	EXPECT_REFUSED, /* it must fail at once */
	EXPECT_EITHER,	/* either is contained */
};

/*
 * Who holds the transparent listener on 127.0.0.1 / [::1] port
 * RELAY_TPROXY_PORT, where the nft table hands TCP: a connection whose
 * other end is in this namespace but already gone from its process (not yet
 * accepted, or closed at once because the chain could not reach the
 * destination) was taken by this listener.
 */
static pid_t tproxy_listener(int family, char *comm, size_t len)
{
	char local[64];
	long ino;

	if (family == AF_INET)
		snprintf(local, sizeof(local), "%08X:%04X", htonl(INADDR_LOOPBACK),
			 RELAY_TPROXY_PORT);
	else
		snprintf(local, sizeof(local), "%08X%08X%08X%08X:%04X", 0u, 0u, 0u, htonl(1),
			 RELAY_TPROXY_PORT);
	ino = tcp_table_find(family, local, NULL, "0A");
	return ino > 0 ? socket_owner((unsigned long)ino, comm, len) : 0;
}

static bool is_relay(const struct probe *p, pid_t pid, const char *comm)
{
	return pid && (p->t->relay_pid ? pid == p->t->relay_pid : !strcmp(comm, "netnsp"));
}

static void judge_connected(struct probe *p, const char *name, int fd, int family, enum expect ex)
{
	long ino = tcp_peer_inode(fd, family);
	char comm[32];
	pid_t pid;

	if (check_judge_sent(p, name))
		return;
	if (ino == -ENOTCONN) {
		check_add(p->r, name, ex == EXPECT_REFUSED ? CHECK_BROKEN : CHECK_OK,
			  "taken, then reset, inside the namespace");
		return;
	}
	if (ino < 0) {
		check_add(p->r, name, CHECK_LEAK,
			  "connected, and the other end is not a socket of this namespace");
		return;
	}
	pid = ino > 0 ? socket_owner((unsigned long)ino, comm, sizeof(comm)) : 0;
	if (!pid)
		pid = tproxy_listener(family, comm, sizeof(comm));
	if (!pid) {
		check_add(p->r, name, CHECK_BROKEN,
			  "ended inside the namespace, but no process holds the relay's listener");
	} else if (is_relay(p, pid, comm)) {
		check_add(p->r, name, ex == EXPECT_REFUSED ? CHECK_BROKEN : CHECK_OK,
			  "taken by the relay (pid %d)%s", (int)pid,
			  ex == EXPECT_REFUSED ? ", but should be refused" : "");
	} else {
		check_add(p->r, name, CHECK_BROKEN, "taken by pid %d (%s), not by the relay",
			  (int)pid, comm);
	}
}

static void probe_tcp(struct probe *p, const char *name, const struct sockaddr *sa, socklen_t len,
		      const char *dev, enum expect ex)
{
	_cleanup_close_ int fd = -1;
	int r;

	check_counters_read(&p->before);
	fd = sock_open(sa->sa_family, SOCK_STREAM, 0, dev);
	if (fd < 0) {
		check_add(p->r, name, CHECK_BROKEN, "socket: %s", strerror(-fd));
		return;
	}
	r = connect_wait(fd, sa, len, CONNECT_MS);
	if (r == 0) {
		judge_connected(p, name, fd, sa->sa_family, ex);
		return;
	}
	if (check_judge_sent(p, name))
		return;
	/*
	 * A reset after the handshake, and nothing sent by any link: the relay
	 * took it and closed it at once (the chain could not reach the destination).
	 */
	if (r == -ECONNRESET)
		check_add(p->r, name, ex == EXPECT_REFUSED ? CHECK_BROKEN : CHECK_OK,
			  "taken, then reset, inside the namespace");
	else if (r == -ETIMEDOUT && ex == EXPECT_EITHER)
		check_add(p->r, name, CHECK_OK, "no answer, and nothing left the namespace");
	else if (!refused_errno(-r))
		check_add(p->r, name, CHECK_BROKEN, "%s: neither relayed nor refused at once",
			  strerror(-r));
	else if (ex == EXPECT_RELAY)
		check_add(p->r, name, CHECK_BROKEN,
			  "refused at once (%s): fails closed, but the relay is not taking "
			  "connections",
			  strerror(-r));
	else
		check_add(p->r, name, CHECK_OK, "refused at once (%s)", strerror(-r));
}

/* One datagram (UDP, ICMP echo, raw IP); contained if refused or nothing went out. */
static void probe_dgram(struct probe *p, const char *name, int type, int proto,
			const struct sockaddr *sa, socklen_t len, const char *dev, const void *msg,
			size_t n)
{
	_cleanup_close_ int fd = -1;
	int one = 1, r = 0;
	char buf[64];

	check_counters_read(&p->before);
	fd = sock_open(sa->sa_family, type, proto, dev);
	if (fd < 0) {
		check_add(p->r, name, CHECK_BROKEN, "socket: %s", strerror(-fd));
		return;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one));
	if (connect(fd, sa, len) < 0 || send(fd, msg, n, 0) < 0)
		r = neg_errno();
	if (r == 0) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};

		/* An ICMP error or a relayed answer shows up on the connected socket. */
		if (poll(&pfd, 1, DATAGRAM_MS) > 0 && recv(fd, buf, sizeof(buf), 0) < 0)
			r = neg_errno();
	}
	if (check_judge_sent(p, name))
		return;
	if (r < 0 && refused_errno(-r))
		check_add(p->r, name, CHECK_OK, "refused at once (%s)", strerror(-r));
	else if (r < 0)
		check_add(p->r, name, CHECK_OK, "not sent (%s)", strerror(-r));
	else
		check_add(p->r, name, CHECK_OK, "sent; nothing left the namespace");
}

static uint16_t inet_csum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		sum += (uint32_t)b[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void probe_icmp(struct probe *p, const char *name, const struct sockaddr *sa, socklen_t len,
		       const char *dev)
{
	uint8_t echo[16] = {0};
	uint16_t csum;

	/* Echo request: type 8 (RFC 792), 128 (RFC 4443, checksum filled by the kernel). */
	echo[0] = sa->sa_family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	echo[5] = 1;
	memcpy(echo + 8, "netnsp!", 7);
	if (sa->sa_family == AF_INET) {
		csum = inet_csum(echo, sizeof(echo));
		memcpy(echo + 2, &csum, 2);
	}
	probe_dgram(p, name, SOCK_RAW, sa->sa_family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, sa,
		    len, dev, echo, sizeof(echo));
}

static socklen_t sa_make(struct sockaddr_storage *ss, const char *host, uint16_t port, int scope)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return sizeof(*s4);
	}
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(port);
	s6->sin6_scope_id = (uint32_t)scope;
	(void)inet_pton(AF_INET6, host, &s6->sin6_addr);
	return sizeof(*s6);
}

static int dns_probe_query(struct dns_query *q, uint16_t id, uint8_t *buf, size_t cap, size_t *len)
{
	size_t wl;
	int r;

	memset(q, 0, sizeof(*q));
	q->qtype = 1; /* A */
	q->qclass = 1;
	q->max_reply = 512;
	q->has_question = true;
	snprintf(q->name, sizeof(q->name), "netnsp-check.example");
	r = dns_name_to_wire(q->name, q->wire, sizeof(q->wire), &wl);
	if (r < 0)
		return r;
	q->wire_len = (uint8_t)wl;
	return dns_build_query(q, id, buf, cap, len);
}

/* Read until @want bytes or the deadline; returns the bytes read or a negative errno. */
static ssize_t recv_until(int fd, uint8_t *buf, size_t want, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	size_t got = 0;

	while (got < want && poll(&pfd, 1, ms) > 0) {
		ssize_t n = recv(fd, buf + got, want - got, 0);

		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		got += (size_t)n;
		if (want == 0xffff) /* a datagram: one recv is the message */
			break;
	}
	return (ssize_t)got;
}

/* A query for netnsp-check.example to @sa over UDP or TCP (RFC 7766 length prefix). */
static void probe_dns(struct probe *p, const char *name, const struct sockaddr *sa, socklen_t len,
		      bool tcp)
{
	uint8_t out[600], in[1024];
	struct dns_query q;
	_cleanup_close_ int fd = -1;
	size_t qlen, rlen;
	ssize_t n;
	int r;

	if (dns_probe_query(&q, 0x6e73, out + 2, sizeof(out) - 2, &qlen) < 0)
		return;
	check_counters_read(&p->before);
	fd = sock_open(sa->sa_family, tcp ? SOCK_STREAM : SOCK_DGRAM, 0, NULL);
	if (fd < 0) {
		check_add(p->r, name, CHECK_BROKEN, "socket: %s", strerror(-fd));
		return;
	}
	out[0] = (uint8_t)(qlen >> 8);
	out[1] = (uint8_t)qlen;
	r = tcp ? connect_wait(fd, sa, len, CONNECT_MS)
		: (connect(fd, sa, len) < 0 ? neg_errno() : 0);
	if (r == 0 && send(fd, tcp ? out : out + 2, tcp ? qlen + 2 : qlen, MSG_NOSIGNAL) < 0)
		r = neg_errno();
	n = r < 0 ? r : recv_until(fd, in, tcp ? 2 : 0xffff, DNS_MS);
	if (tcp && n == 2) {
		rlen = (size_t)in[0] << 8 | in[1];
		n = rlen <= sizeof(in) ? recv_until(fd, in, rlen, DNS_MS) : -EMSGSIZE;
	}
	if (check_judge_sent(p, name))
		return;
	if (n > 0 && dns_check_response(&q, 0x6e73, in, (size_t)n, &rlen) == 0)
		check_add(p->r, name, CHECK_OK, "answered inside the namespace (rcode %u)",
			  in[3] & 0xfu);
	else if (n < 0)
		check_add(p->r, name, CHECK_BROKEN, "%s: the resolver inside does not answer",
			  strerror((int)-n));
	else
		check_add(p->r, name, CHECK_BROKEN, "no answer in %d ms", DNS_MS);
}

/* TCP bound to each link, IPv6 link-local and multicast on each link. */
static void probe_links(struct probe *p)
{
	const struct nl_audit *a = p->t->audit;
	struct sockaddr_storage ss;
	char name[48];
	socklen_t len;

	for (size_t i = 0; i < a->n_links; i++) {
		const char *dev = a->links[i].name;

		p->uplink_fine = !strcmp(dev, UPLINK_DEV) || !strcmp(dev, UPLINK_PEER);
		snprintf(name, sizeof(name), "tcp4 dev %s", dev);
		len = sa_make(&ss, PROBE_V4, PROBE_PORT, 0);
		probe_tcp(p, name, (void *)&ss, len, dev, EXPECT_EITHER);
		snprintf(name, sizeof(name), "tcp6 fe80::9%%%s", dev);
		len = sa_make(&ss, "fe80::9", PROBE_PORT, a->links[i].index);
		probe_tcp(p, name, (void *)&ss, len, NULL, EXPECT_EITHER);
		snprintf(name, sizeof(name), "udp6 ff02::1%%%s", dev);
		len = sa_make(&ss, "ff02::1", PROBE_PORT, a->links[i].index);
		probe_dgram(p, name, SOCK_DGRAM, 0, (void *)&ss, len, NULL, "x", 1);
		snprintf(name, sizeof(name), "icmp6 ff02::1%%%s", dev);
		probe_icmp(p, name, (void *)&ss, len, NULL);
	}
	p->uplink_fine = false;
}

/* The caller's own addresses (the host's uplink): relayed or refused, never reached. */
static void probe_outside(struct probe *p)
{
	char name[64], host[INET6_ADDRSTRLEN];

	for (size_t i = 0; i < p->t->n_outside; i++) {
		struct sockaddr_storage ss = p->t->outside[i];
		socklen_t len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
							: sizeof(struct sockaddr_in6);

		if (ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host,
				  sizeof(host));
		else
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host,
				  sizeof(host));
		snprintf(name, sizeof(name), "uplink %s", host);
		probe_tcp(p, name, (void *)&ss, len, NULL, EXPECT_EITHER);
	}
}

static int probes_in(void *arg)
{
	struct probe *p = arg;
	bool v6 = p->t->p->ipv6;
	struct sockaddr_storage ss;
	socklen_t len;

	len = sa_make(&ss, PROBE_V4, PROBE_PORT, 0);
	probe_tcp(p, "tcp4 " PROBE_V4, (void *)&ss, len, NULL, EXPECT_RELAY);
	probe_dgram(p, "udp4 " PROBE_V4, SOCK_DGRAM, 0, (void *)&ss, len, NULL, "x", 1);
	probe_icmp(p, "icmp4 " PROBE_V4, (void *)&ss, len, NULL);
	probe_dgram(p, "raw4 proto 253", SOCK_RAW, PROBE_RAW_PROTO, (void *)&ss, len, NULL, "x", 1);
	len = sa_make(&ss, PROBE_V6, PROBE_PORT, 0);
	probe_tcp(p, "tcp6 " PROBE_V6, (void *)&ss, len, NULL, v6 ? EXPECT_RELAY : EXPECT_REFUSED);
	probe_dgram(p, "udp6 " PROBE_V6, SOCK_DGRAM, 0, (void *)&ss, len, NULL, "x", 1);
	probe_icmp(p, "icmp6 " PROBE_V6, (void *)&ss, len, NULL);
	probe_dgram(p, "raw6 proto 253", SOCK_RAW, PROBE_RAW_PROTO, (void *)&ss, len, NULL, "x", 1);
	len = sa_make(&ss, "255.255.255.255", PROBE_PORT, 0);
	probe_dgram(p, "udp4 broadcast", SOCK_DGRAM, 0, (void *)&ss, len, NULL, "x", 1);
	len = sa_make(&ss, "224.0.0.251", 5353, 0);
	probe_dgram(p, "udp4 multicast 224.0.0.251", SOCK_DGRAM, 0, (void *)&ss, len, NULL, "x", 1);
	len = sa_make(&ss, PROBE_DNS4, 53, 0);
	probe_dns(p, "dns udp " PROBE_DNS4, (void *)&ss, len, false);
	probe_dns(p, "dns tcp " PROBE_DNS4, (void *)&ss, len, true);
	if (v6) {
		len = sa_make(&ss, PROBE_DNS6, 53, 0);
		probe_dns(p, "dns udp " PROBE_DNS6, (void *)&ss, len, false);
	}
	probe_outside(p);
	return 0;
}

static int links_in(void *arg)
{
	probe_links(arg);
	return 0;
}

static int probes_run(const struct check_target *t, struct check_report *r, int (*fn)(void *))
{
	struct probe *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->t = t;
	p->r = r;
	ret = netns_run_in(t->nsfd, fn, p);
	free(p);
	return ret;
}

int check_probes(const struct check_target *t, struct check_report *r)
{
	return probes_run(t, r, probes_in);
}

int check_probe_links(const struct check_target *t, struct check_report *r)
{
	return probes_run(t, r, links_in);
}
