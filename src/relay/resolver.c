// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * resolver.c - the resolver inside each subject (see resolver.h): its
 * sockets, the answers it gives itself, its DNS-over-TCP clients.
 * Forwarding is resolver_fwd.c, the fake-IP pool fake_map.c.
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

#include "resolver-internal.h"
#include "netns/netns.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

static uint64_t wall_now(void)
{
	return (uint64_t)time(NULL);
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
		hit = resolver_cache_get(dns, &q, out, cap);
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
	if (resolver_has_server(dns) && !local)
		return DNS_FORWARD;
error:
	if (dns_build_error(&q, rcode, out, cap, &olen) < 0)
		return -1;
	return (ssize_t)olen;
}

/* Send @len bytes to @to from @from (the address the app asked), as a transparent socket may. */
void resolver_udp_reply(int fd, const struct sockaddr_storage *to, socklen_t tolen,
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
		pthread_mutex_lock(&dns->mu);
		olen = dns_answer(dns, pkt, (size_t)n, false, out, sizeof(out), &q);
		pthread_mutex_unlock(&dns->mu);
		if (olen == DNS_FORWARD)
			resolver_fwd_start(dns, &q, fd, &from, mh.msg_namelen, &dst, NULL);
		else if (olen > 0)
			resolver_udp_reply(fd, &from, mh.msg_namelen, &dst, out, (size_t)olen);
	}
}

void resolver_client_free(struct relay *r, struct relay_dns *dns, struct dns_client *c)
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
	loop_close(r->loop, &c->de.ev);
	dns->n_clients--;
	r->dns_clients--;
	free(TAKE_PTR(c->out));
	loop_defer_free(r->loop, c, NULL); /* a pending event of this batch may name it */
}

/* Append one length-prefixed reply (RFC 1035 §4.2.2) to the client's output. */
int resolver_client_queue(struct dns_client *c, const uint8_t *msg, size_t len)
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

int resolver_client_flush(struct dns_client *c)
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
			pthread_mutex_lock(&dns->mu);
			olen = dns_answer(dns, c->in, mlen, true, out, sizeof(out), &q);
			pthread_mutex_unlock(&dns->mu);
			if (olen == DNS_FORWARD)
				resolver_fwd_start(dns, &q, -1, NULL, 0, NULL, c);
			else if (olen > 0 && resolver_client_queue(c, out, (size_t)olen) < 0)
				return -ENOBUFS;
		}
	}
	n = resolver_client_flush(c);
	if (n < 0)
		return (int)n;
	/* After EOF, stay until forwarded answers are out, then close. */
	return c->closing && !resolver_client_waiting(dns, c) && c->out_len == 0 ? -ECONNRESET : 0;
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
		resolver_fwd_input(de->dns, (struct dns_fwd *)de);
		break;
	case DNS_EV_TCP_CLIENT: {
		struct dns_client *c = (struct dns_client *)de;

		if (dns_client_io(de->dns, c) < 0)
			resolver_client_free(r, de->dns, c);
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

/* A new resolver for @rs with the pool @fake; nothing registered yet. */
static struct relay_dns *dns_new(struct relay_subject *rs, const struct dns_fake_config *fake)
{
	struct relay_dns *dns = calloc(1, sizeof(*dns));

	if (!dns)
		return NULL;
	if (dns_fake_init(&dns->pool, fake) < 0) {
		free(dns);
		return NULL;
	}
	dns->rs = rs;
	dns->fake_conf = *fake;
	pthread_mutex_init(&dns->mu, NULL);
	for (int k = 0; k < 4; k++) {
		dns->socks[k] = (struct dns_ev){.ev = {.tag = EV_DNS, .fd = -1},
						.kind = k < 2 ? DNS_EV_UDP : DNS_EV_TCP_LISTEN,
						.dns = dns};
		dns->socks[k].ev.owner = &dns->socks[k];
	}
	return dns;
}

int relay_dns_open(struct relay *r, struct relay_subject *rs, int nsfd,
		   const struct profile_conf *p, const struct subject_state *st)
{
	struct dns_fake_config fake;
	struct proxy_target server;
	struct relay_dns *dns;
	int ret;

	ret = resolver_server_parse(p, &server);
	if (ret < 0)
		return ret;
	fake_map_conf(st, &fake);
	if (rs->dns && !fake_map_same(&rs->dns->fake_conf, &fake))
		relay_dns_close(r, rs); /* new ranges: the old mappings cannot hold */
	if (!rs->dns) {
		rs->dns = dns_new(rs, &fake);
		if (!rs->dns)
			return -ENOMEM;
		fake_map_import(rs->dns, st);
	}
	dns = rs->dns;
	dns->r = r;
	dns->mode = p->dns;
	dns->ipv6 = p->ipv6;
	dns->server = server;
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
		resolver_fwd_free(dns, dns->fwds);
	while (dns->clients)
		resolver_client_free(r, dns, dns->clients);
	free(TAKE_PTR(dns->cache));
	for (int k = 0; k < 4; k++)
		loop_close(r->loop, &dns->socks[k].ev);
	dns_fake_free(&dns->pool);
	rs->dns = NULL;
	loop_defer_free(r->loop, dns, NULL);
}
