// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * dns.c - the resolver inside each subject (see dns.h).
 *
 * Sockets: per family a UDP socket and a TCP listener created inside the
 * subject, IP_TRANSPARENT and bound to the wildcard address on port 53, so
 * they get both queries to the subject's own resolver address (resolv.conf)
 * and queries to any other address that the nft table hands over with
 * tproxy.  A UDP reply must come from the address the app asked
 * (IP_RECVORIGDSTADDR tells it); it is sent with IP_PKTINFO / IPV6_PKTINFO
 * naming that source, which a transparent socket may use (it is not local).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/uio.h>

#include "dns.h"
#include "netns/netns.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

#define DNS_TCP_CLIENTS_MAX 256 /* per subject */
#define DNS_FWD_MAX 256		/* forwarded queries in flight per subject */
#define DNS_FWD_TIMEOUT 10	/* seconds for an answer through the chain */
#define DNS_CACHE_SLOTS 128	/* dns = proxy: answers kept ... */
#define DNS_CACHE_TTL 10	/* ... this many seconds (a small cache: never long) */
#define DNS_CACHE_MSG 1232	/* largest answer cached */
#define DNS_FORWARD (-2)	/* dns_answer(): forward this query */

enum dns_ev_kind { DNS_EV_UDP, DNS_EV_TCP_LISTEN, DNS_EV_TCP_CLIENT, DNS_EV_FWD };

struct dns_ev {
	struct ev ev; /* owner points back here */
	enum dns_ev_kind kind;
	struct relay_dns *dns;
};

/* One app's TCP connection to the resolver (RFC 7766): queries in, replies out. */
struct dns_client {
	struct dns_ev de; /* owned fd */
	struct dns_client *next;
	struct dns_tcp_reader rd;
	uint8_t in[DNS_QUERY_MAX];
	uint8_t *out; /* owned: pending replies, length-prefixed */
	size_t out_len, out_off;
	bool closing; /* EOF seen: close once @out is sent */
};

/* One query on its way through the chain to dns-server. */
struct dns_fwd {
	struct dns_ev de; /* owned fd: our end of the tunnel (relay_tunnel_open) */
	struct dns_fwd *next;
	struct dns_query q;	   /* the app's question */
	uint16_t id;		   /* the upstream query's fresh ID */
	struct dns_client *client; /* TCP: where the answer goes; NULL if it left */
	int udp_fd;		   /* UDP: the socket the query came on (not owned), else -1 */
	struct sockaddr_storage from, dst;
	socklen_t fromlen;
	struct dns_tcp_reader rd;
	uint8_t *in; /* owned: DNS_MSG_MAX */
	uint64_t deadline;
};

struct dns_cache_slot {
	uint64_t expires; /* CLOCK_MONOTONIC seconds; 0 = empty */
	uint16_t qtype;
	char name[DNS_NAME_TEXT_MAX];
	uint16_t len;
	uint8_t msg[DNS_CACHE_MSG];
};

struct relay_dns {
	struct relay_subject *rs;   /* not owned */
	struct relay *r;	    /* not owned */
	struct proxy_target server; /* dns-server; family 0 and no name: none */
	struct dns_fwd *fwds;	    /* owned */
	unsigned n_fwds;
	struct dns_cache_slot *cache; /* owned, DNS_CACHE_SLOTS, dns = proxy only */
	unsigned cache_next;
	enum dns_mode mode;
	bool ipv6;
	bool dirty; /* mappings changed since relay_dns_dirty() */
	struct dns_fake_config fake_conf;
	struct dns_fake pool;	    /* owned */
	struct dns_ev socks[4];	    /* owned fds: UDP v4, UDP v6, TCP v4, TCP v6 */
	struct dns_client *clients; /* owned */
	unsigned n_clients;
};

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
}

static bool dns_has_server(const struct relay_dns *dns)
{
	return dns->server.family || dns->server.name[0];
}

/* dns = proxy: a recent answer to the same question, with the app's ID and case. */
static ssize_t dns_cache_get(struct relay_dns *dns, const struct dns_query *q, uint8_t *out,
			     size_t cap)
{
	uint64_t now = mono_now();

	for (unsigned i = 0; dns->cache && i < DNS_CACHE_SLOTS; i++) {
		struct dns_cache_slot *c = &dns->cache[i];

		if (c->expires <= now || c->qtype != q->qtype || strcmp(c->name, q->name) != 0 ||
		    c->len > cap || c->len > q->max_reply || c->len < 12 + q->wire_len)
			continue;
		memcpy(out, c->msg, c->len);
		out[0] = (uint8_t)(q->id >> 8);
		out[1] = (uint8_t)q->id;
		memcpy(out + 12, q->wire, q->wire_len); /* the question as the app wrote it */
		return c->len;
	}
	return -1;
}

static void dns_cache_put(struct relay_dns *dns, const struct dns_query *q, const uint8_t *msg,
			  size_t len)
{
	struct dns_cache_slot *c;

	if (!dns->cache || len > DNS_CACHE_MSG || len < 12 || (msg[3] & 0x0f) != DNS_RCODE_NOERROR)
		return;
	c = &dns->cache[dns->cache_next++ % DNS_CACHE_SLOTS];
	c->expires = mono_now() + DNS_CACHE_TTL;
	c->qtype = q->qtype;
	snprintf(c->name, sizeof(c->name), "%s", q->name);
	c->len = (uint16_t)len;
	memcpy(c->msg, msg, len);
}

/*
 * Answer one query in @pkt into @out: the length, -1 to drop it, or
 * DNS_FORWARD with *@qp filled when it must go to dns-server.
 */
static ssize_t dns_answer(struct relay_dns *dns, const uint8_t *pkt, size_t len, bool tcp,
			  uint8_t *out, size_t cap, struct dns_query *qp)
{
	struct dns_query q;
	int rcode = DNS_RCODE_REFUSED, r, fam, route;
	bool local;
	ssize_t hit;
	union {
		struct in_addr a4;
		struct in6_addr a6;
	} a;
	size_t olen = 0;

	r = dns_parse_query(pkt, len, &q);
	if (r < 0) {
		rcode = dns_rcode_for_error(r);
		if (rcode < 0 || dns_build_error(&q, rcode, out, cap, &olen) < 0)
			return -1;
		return (ssize_t)olen;
	}
	if (tcp)
		dns_query_set_tcp(&q);
	*qp = q;
	if (dns->mode == DNS_OFF)
		goto error;
	/* Routes: refused names are REFUSED; names that stay local never go to dns-server. */
	route = relay_route_name(dns->rs, q.name);
	if (route < 0)
		goto error;
	local = settings_name_special(q.name) || (dns->mode == DNS_PROXY && route > 0);
	if (dns->mode == DNS_PROXY && !local) {
		hit = dns_cache_get(dns, &q, out, cap);
		if (hit > 0)
			return hit;
		goto forward;
	}
	if (q.qclass != DNS_CLASS_IN)
		goto forward;
	if (local && q.qtype != DNS_TYPE_A && q.qtype != DNS_TYPE_AAAA)
		goto error;
	if ((q.qtype == DNS_TYPE_A || q.qtype == DNS_TYPE_AAAA) && dns_name_is_host(q.name)) {
		fam = q.qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
		if (fam == AF_INET6 && !dns->ipv6)
			r = dns_build_addr_answer(&q, fam, NULL, 0, RELAY_DNS_TTL, out, cap, &olen);
		else if ((r = dns_fake_lookup_name(&dns->pool, q.name, fam, wall_now(), &a)) == 0) {
			dns->dirty = true;
			r = dns_build_addr_answer(&q, fam, &a, 1, RELAY_DNS_TTL, out, cap, &olen);
		} else if (r == -ENOSPC) {
			rcode = DNS_RCODE_SERVFAIL;
			goto error;
		}
		return r < 0 ? -1 : (ssize_t)olen;
	}
	if (q.qtype == DNS_TYPE_PTR && dns_reverse_to_addr(q.name, &fam, &a) == 0) {
		const char *name = dns_fake_lookup_addr(&dns->pool, fam, &a);

		if (name)
			return dns_build_ptr_answer(&q, name, RELAY_DNS_TTL, out, cap, &olen) < 0
				       ? -1
				       : (ssize_t)olen;
		if (dns_fake_contains(&dns->pool, fam, &a)) {
			rcode = DNS_RCODE_NXDOMAIN;
			goto error;
		}
	}
forward:
	/* Other types go to dns-server through the chain; without one, refused. */
	if (dns_has_server(dns) && !local)
		return DNS_FORWARD;
error:
	if (dns_build_error(&q, rcode, out, cap, &olen) < 0)
		return -1;
	return (ssize_t)olen;
}

/* Send @len bytes to @to from @from (the address the app asked), as a transparent socket may. */
static void dns_udp_reply(int fd, const struct sockaddr_storage *to, socklen_t tolen,
			  const struct sockaddr_storage *from, const uint8_t *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_name = (void *)to,
			    .msg_namelen = tolen,
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b};
	struct cmsghdr *cm;

	memset(&ctl, 0, sizeof(ctl));
	cm = (struct cmsghdr *)ctl.b;
	if (from->ss_family == AF_INET) {
		struct in_pktinfo pi = {.ipi_spec_dst =
						((const struct sockaddr_in *)from)->sin_addr};

		cm->cmsg_level = SOL_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = {.ipi6_addr =
						 ((const struct sockaddr_in6 *)from)->sin6_addr};

		cm->cmsg_level = SOL_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	(void)sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The original destination from IP_RECVORIGDSTADDR / IPV6_RECVORIGDSTADDR. */
static bool dns_orig_dst(struct msghdr *mh, struct sockaddr_storage *dst)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_ORIGDSTADDR &&
		     cm->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in))) ||
		    (cm->cmsg_level == SOL_IPV6 && cm->cmsg_type == IPV6_ORIGDSTADDR &&
		     cm->cmsg_len >= CMSG_LEN(sizeof(struct sockaddr_in6)))) {
			memset(dst, 0, sizeof(*dst));
			memcpy(dst, CMSG_DATA(cm), cm->cmsg_len - CMSG_LEN(0));
			return true;
		}
	}
	return false;
}

static void dns_fwd_start(struct relay_dns *dns, const struct dns_query *q, int udp_fd,
			  const struct sockaddr_storage *from, socklen_t fromlen,
			  const struct sockaddr_storage *dst, struct dns_client *client);

static void dns_on_udp(struct relay_dns *dns, int fd)
{
	/* Bounded per wakeup: a flood from inside cannot starve the loop. */
	for (int i = 0; i < 64; i++) {
		uint8_t pkt[DNS_QUERY_MAX + 1], out[4096];
		char ctl[256];
		struct sockaddr_storage from, dst;
		struct dns_query q;
		struct iovec iov = {.iov_base = pkt, .iov_len = sizeof(pkt)};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT), olen;

		if (n < 0)
			return;
		if ((size_t)n > DNS_QUERY_MAX || (mh.msg_flags & MSG_TRUNC) ||
		    !dns_orig_dst(&mh, &dst))
			continue; /* oversized or unaddressable: dropped, never forwarded */
		olen = dns_answer(dns, pkt, (size_t)n, false, out, sizeof(out), &q);
		if (olen == DNS_FORWARD)
			dns_fwd_start(dns, &q, fd, &from, mh.msg_namelen, &dst, NULL);
		else if (olen > 0)
			dns_udp_reply(fd, &from, mh.msg_namelen, &dst, out, (size_t)olen);
	}
}

static void dns_client_free(struct relay *r, struct relay_dns *dns, struct dns_client *c)
{
	struct dns_client **pp;

	for (pp = &dns->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (struct dns_fwd *f = dns->fwds; f; f = f->next)
		if (f->client == c)
			f->client = NULL; /* its answer has nowhere to go now */
	loop_del(r->loop, &c->de.ev);
	close(c->de.ev.fd);
	c->de.ev.fd = -1;
	dns->n_clients--;
	r->dns_clients--;
	free(TAKE_PTR(c->out));
	loop_defer_free(r->loop, c, NULL); /* a pending event of this batch may name it */
}

/* Append one length-prefixed reply (RFC 1035 §4.2.2) to the client's output. */
static int dns_client_queue(struct dns_client *c, const uint8_t *msg, size_t len)
{
	uint8_t *nb;

	if (c->out_len - c->out_off + len + 2 > 4 * DNS_MSG_MAX)
		return -ENOBUFS; /* an app that never reads: stop answering it */
	nb = realloc(c->out, c->out_len + len + 2);
	if (!nb)
		return -ENOMEM;
	c->out = nb;
	c->out[c->out_len] = (uint8_t)(len >> 8);
	c->out[c->out_len + 1] = (uint8_t)len;
	memcpy(c->out + c->out_len + 2, msg, len);
	c->out_len += len + 2;
	return 0;
}

static int dns_client_flush(struct dns_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->de.ev.fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	return 0;
}

static bool dns_client_waiting(const struct relay_dns *dns, const struct dns_client *c)
{
	for (const struct dns_fwd *f = dns->fwds; f; f = f->next)
		if (f->client == c)
			return true;
	return false;
}

static void dns_fwd_free(struct relay_dns *dns, struct dns_fwd *f)
{
	struct dns_fwd **pp;

	for (pp = &dns->fwds; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	if (f->de.ev.fd >= 0) {
		loop_del(dns->r->loop, &f->de.ev);
		close(f->de.ev.fd);
		f->de.ev.fd = -1;
	}
	dns->n_fwds--;
	free(TAKE_PTR(f->in));
	loop_defer_free(dns->r->loop, f, NULL);
}

/* Give the app its answer (@msg) or, without one, SERVFAIL; then forget @f. */
static void dns_fwd_done(struct relay_dns *dns, struct dns_fwd *f, const uint8_t *msg, size_t len)
{
	uint8_t err[512];
	size_t elen = 0;

	if (!msg) {
		if (dns_build_error(&f->q, DNS_RCODE_SERVFAIL, err, sizeof(err), &elen) < 0)
			elen = 0;
		msg = err;
		len = elen;
	}
	if (len && f->udp_fd >= 0)
		dns_udp_reply(f->udp_fd, &f->from, f->fromlen, &f->dst, msg, len);
	if (len && f->client) {
		struct dns_client *c = f->client;

		f->client = NULL;
		if (dns_client_queue(c, msg, len) < 0 || dns_client_flush(c) < 0 ||
		    (c->closing && !dns_client_waiting(dns, c) && c->out_len == 0))
			dns_client_free(dns->r, dns, c);
	}
	dns_fwd_free(dns, f);
}

/* Send @q to dns-server through the chain; the answer comes back on the tunnel. */
static void dns_fwd_start(struct relay_dns *dns, const struct dns_query *q, int udp_fd,
			  const struct sockaddr_storage *from, socklen_t fromlen,
			  const struct sockaddr_storage *dst, struct dns_client *client)
{
	struct dns_fwd *f = dns->n_fwds < DNS_FWD_MAX ? calloc(1, sizeof(*f)) : NULL;
	uint8_t buf[2 + 512 + DNS_NAME_WIRE_MAX];
	size_t len = 0;
	int fd;

	if (!f || !(f->in = malloc(DNS_MSG_MAX))) {
		free(f);
		return; /* no room: the app retries, as after a lost datagram */
	}
	f->q = *q;
	f->udp_fd = udp_fd;
	f->client = client;
	if (from) {
		f->from = *from;
		f->fromlen = fromlen;
		f->dst = *dst;
	}
	dns_tcp_reader_init(&f->rd, f->in, DNS_MSG_MAX);
	f->deadline = mono_now() + DNS_FWD_TIMEOUT;
	f->de = (struct dns_ev){.ev = {.tag = EV_DNS, .fd = -1}, .kind = DNS_EV_FWD, .dns = dns};
	f->de.ev.owner = &f->de;
	f->next = dns->fwds;
	dns->fwds = f;
	dns->n_fwds++;
	if (getrandom(&f->id, sizeof(f->id), GRND_NONBLOCK) != sizeof(f->id))
		f->id = (uint16_t)(q->id ^ 0x5a5a ^ dns->n_fwds);
	/* A fresh message from the parsed question (never the app's bytes), RFC 7766 framing. */
	if (dns_build_query(q, f->id, buf + 2, sizeof(buf) - 2, &len) < 0)
		goto fail;
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	fd = relay_tunnel_open(dns->r, dns->rs, &dns->server);
	if (fd < 0)
		goto fail;
	f->de.ev.fd = fd;
	if (loop_add(dns->r->loop, &f->de.ev, EPOLLIN | EPOLLRDHUP | EPOLLET) < 0 ||
	    send(fd, buf, len + 2, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(len + 2))
		goto fail;
	return;
fail:
	dns_fwd_done(dns, f, NULL, 0);
}

static void dns_fwd_input(struct relay_dns *dns, struct dns_fwd *f)
{
	uint8_t buf[4096];

	for (;;) {
		ssize_t n = recv(f->de.ev.fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t off = 0;

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			dns_fwd_done(dns, f, NULL, 0); /* the chain failed or closed early */
			return;
		}
		while (off < (size_t)n) {
			size_t used = 0, mlen = 0, olen = 0;
			int r = dns_tcp_reader_feed(&f->rd, buf + off, (size_t)n - off, &used,
						    &mlen);

			off += used;
			if (r < 0) {
				dns_fwd_done(dns, f, NULL, 0);
				return;
			}
			if (r == 0)
				continue;
			if (dns_check_response(&f->q, f->id, f->in, mlen, &olen) < 0)
				continue; /* not our answer: wait for the right one or the timeout
					   */
			if (dns->mode == DNS_PROXY)
				dns_cache_put(dns, &f->q, f->in, olen);
			dns_fwd_done(dns, f, f->in, olen);
			return;
		}
	}
}

void relay_dns_tick(struct relay *r, struct relay_subject *rs, uint64_t now)
{
	struct dns_fwd *f, *next;

	if (!rs->dns)
		return;
	for (f = rs->dns->fwds; f; f = next) {
		next = f->next;
		if (now >= f->deadline)
			dns_fwd_done(rs->dns, f, NULL, 0);
	}
}

/* Returns <0 when the client is to be closed now. */
static int dns_client_io(struct relay_dns *dns, struct dns_client *c)
{
	uint8_t buf[4096], out[DNS_MSG_MAX];
	struct dns_query q;
	ssize_t n;

	while (!c->closing) {
		size_t off = 0;

		n = recv(c->de.ev.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN)
			return neg_errno();
		if (n < 0)
			break;
		if (n == 0) {
			c->closing = true;
			break;
		}
		while (off < (size_t)n) {
			size_t used = 0, mlen = 0;
			int r = dns_tcp_reader_feed(&c->rd, buf + off, (size_t)n - off, &used,
						    &mlen);
			ssize_t olen;

			if (r < 0)
				return r;
			off += used;
			if (r == 0)
				continue;
			olen = dns_answer(dns, c->in, mlen, true, out, sizeof(out), &q);
			if (olen == DNS_FORWARD)
				dns_fwd_start(dns, &q, -1, NULL, 0, NULL, c);
			else if (olen > 0 && dns_client_queue(c, out, (size_t)olen) < 0)
				return -ENOBUFS;
		}
	}
	n = dns_client_flush(c);
	if (n < 0)
		return (int)n;
	/* After EOF, stay until forwarded answers are out, then close. */
	return c->closing && !dns_client_waiting(dns, c) && c->out_len == 0 ? -ECONNRESET : 0;
}

static void dns_on_accept(struct relay *r, struct relay_dns *dns, struct ev *lev)
{
	for (int i = 0; i < 64 && lev->fd >= 0; i++) {
		int fd = relay_accept(r, dns->rs, lev, "resolver TCP");
		struct dns_client *c;

		if (fd == -ECONNABORTED)
			continue;
		if (fd < 0)
			return;
		if (dns->n_clients >= DNS_TCP_CLIENTS_MAX || !relay_admit(r, dns->rs, false) ||
		    !(c = calloc(1, sizeof(*c)))) {
			relay_reset_close(fd);
			continue;
		}
		c->de = (struct dns_ev){
			.ev = {.tag = EV_DNS, .fd = fd}, .kind = DNS_EV_TCP_CLIENT, .dns = dns};
		c->de.ev.owner = &c->de;
		dns_tcp_reader_init(&c->rd, c->in, sizeof(c->in));
		if (loop_add(r->loop, &c->de.ev, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) < 0) {
			close(fd);
			free(c);
			continue;
		}
		c->next = dns->clients;
		dns->clients = c;
		dns->n_clients++;
		r->dns_clients++;
	}
}

void relay_dns_on_event(struct relay *r, struct ev *ev, uint32_t events)
{
	struct dns_ev *de = ev->owner;

	switch (de->kind) {
	case DNS_EV_UDP:
		dns_on_udp(de->dns, ev->fd);
		break;
	case DNS_EV_TCP_LISTEN:
		dns_on_accept(r, de->dns, ev);
		break;
	case DNS_EV_FWD:
		dns_fwd_input(de->dns, (struct dns_fwd *)de);
		break;
	case DNS_EV_TCP_CLIENT: {
		struct dns_client *c = (struct dns_client *)de;

		if (dns_client_io(de->dns, c) < 0)
			dns_client_free(r, de->dns, c);
		break;
	}
	}
}

struct dns_sock_args {
	int family;
	int type;
	int fd; /* out */
};

/* Runs inside the subject: a transparent wildcard socket on port 53. */
static int dns_sock_in_ns(void *arg)
{
	struct dns_sock_args *a = arg;
	_cleanup_close_ int fd = -1;
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1;
	bool v4 = a->family == AF_INET;

	fd = socket(a->family, a->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (v4) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(RELAY_DNS_PORT);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(RELAY_DNS_PORT);
		len = sizeof(*in6);
		if (setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			return neg_errno();
	}
	if (setsockopt(fd, v4 ? SOL_IP : SOL_IPV6, v4 ? IP_TRANSPARENT : IPV6_TRANSPARENT, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return neg_errno();
	if (a->type == SOCK_DGRAM &&
	    setsockopt(fd, v4 ? SOL_IP : SOL_IPV6, v4 ? IP_RECVORIGDSTADDR : IPV6_RECVORIGDSTADDR,
		       &one, sizeof(one)) < 0)
		return neg_errno();
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		return neg_errno();
	if (a->type == SOCK_STREAM && listen(fd, 256) < 0)
		return neg_errno();
	a->fd = TAKE_FD(fd);
	return 0;
}

static int dns_open_socks(struct relay *r, struct relay_dns *dns, int nsfd)
{
	static const int fams[2] = {AF_INET, AF_INET6};

	for (int k = 0; k < 4; k++) {
		struct dns_sock_args a = {
			.family = fams[k % 2], .type = k < 2 ? SOCK_DGRAM : SOCK_STREAM, .fd = -1};
		struct dns_ev *de = &dns->socks[k];
		int ret;

		if (de->ev.fd >= 0)
			continue;
		ret = netns_run_in(nsfd, dns_sock_in_ns, &a);
		if (ret < 0)
			return ret;
		de->ev.fd = a.fd;
		ret = loop_add(r->loop, &de->ev, EPOLLIN);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int relay_dns_reopen(struct relay *r, struct relay_subject *rs, int nsfd)
{
	return rs->dns ? dns_open_socks(r, rs->dns, nsfd) : 0;
}

unsigned relay_dns_clients(const struct relay_subject *rs)
{
	return rs->dns ? rs->dns->n_clients : 0;
}

static bool dns_pool_same(const struct dns_fake_config *a, const struct dns_fake_config *b)
{
	return a->v4_base.s_addr == b->v4_base.s_addr && a->v4_prefix == b->v4_prefix &&
	       memcmp(&a->v6_base, &b->v6_base, sizeof(a->v6_base)) == 0 &&
	       a->v6_prefix == b->v6_prefix && a->capacity == b->capacity;
}

int relay_dns_open(struct relay *r, struct relay_subject *rs, int nsfd,
		   const struct relay_dns_conf *conf)
{
	struct relay_dns *dns = rs->dns;
	int ret;

	if (dns && !dns_pool_same(&dns->fake_conf, &conf->fake))
		relay_dns_close(r, rs); /* new ranges: the old mappings cannot hold */
	if (!rs->dns) {
		dns = calloc(1, sizeof(*dns));
		if (!dns)
			return -ENOMEM;
		ret = dns_fake_init(&dns->pool, &conf->fake);
		if (ret < 0) {
			free(dns);
			return ret;
		}
		dns->rs = rs;
		dns->fake_conf = conf->fake;
		for (int k = 0; k < 4; k++) {
			dns->socks[k] =
				(struct dns_ev){.ev = {.tag = EV_DNS, .fd = -1},
						.kind = k < 2 ? DNS_EV_UDP : DNS_EV_TCP_LISTEN,
						.dns = dns};
			dns->socks[k].ev.owner = &dns->socks[k];
		}
		rs->dns = dns;
	}
	dns->r = r;
	dns->mode = conf->mode;
	dns->ipv6 = conf->ipv6;
	dns->server = conf->server;
	if (dns->mode == DNS_PROXY && !dns->cache) {
		dns->cache = calloc(DNS_CACHE_SLOTS, sizeof(*dns->cache));
		if (!dns->cache)
			return -ENOMEM;
	}
	return dns_open_socks(r, dns, nsfd);
}

void relay_dns_close(struct relay *r, struct relay_subject *rs)
{
	struct relay_dns *dns = rs->dns;

	if (!dns)
		return;
	while (dns->fwds)
		dns_fwd_free(dns, dns->fwds);
	while (dns->clients)
		dns_client_free(r, dns, dns->clients);
	free(TAKE_PTR(dns->cache));
	for (int k = 0; k < 4; k++) {
		if (dns->socks[k].ev.fd < 0)
			continue;
		loop_del(r->loop, &dns->socks[k].ev);
		close(dns->socks[k].ev.fd);
		dns->socks[k].ev.fd = -1;
	}
	dns_fake_free(&dns->pool);
	rs->dns = NULL;
	loop_defer_free(r->loop, dns, NULL);
}

int relay_fake_target(struct relay_subject *rs, struct proxy_target *t)
{
	const char *name;

	if (!rs->dns || !t->family || !dns_fake_contains(&rs->dns->pool, t->family, t->addr))
		return 0;
	name = dns_fake_lookup_addr(&rs->dns->pool, t->family, t->addr);
	if (!name || dns_fake_ref(&rs->dns->pool, t->family, t->addr) < 0)
		return -EHOSTUNREACH;
	/* The name, not an address, travels to the proxy (socks5h / CONNECT host:port). */
	return proxy_target_set_name(t, name, t->port) < 0 ? -EHOSTUNREACH : 1;
}

void relay_fake_put(struct relay_subject *rs, int family, const void *addr)
{
	if (rs->dns)
		(void)dns_fake_unref(&rs->dns->pool, family, addr);
}

int relay_dns_import(struct relay_subject *rs, const char *name, const struct in_addr *v4,
		     const struct in6_addr *v6, uint64_t last_used)
{
	if (!rs->dns)
		return -ENOENT;
	return dns_fake_insert(&rs->dns->pool, name, v4, v6, last_used);
}

int relay_dns_foreach(const struct relay_subject *rs,
		      int (*fn)(const char *name, const struct in_addr *v4,
				const struct in6_addr *v6, uint64_t last_used, void *userdata),
		      void *userdata)
{
	if (!rs->dns)
		return 0;
	return dns_fake_foreach(&rs->dns->pool, fn, userdata);
}

bool relay_dns_dirty(struct relay_subject *rs)
{
	bool d = rs->dns && rs->dns->dirty;

	if (d)
		rs->dns->dirty = false;
	return d;
}
