// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp_flow.c - one UDP flow: an app's (source, original destination) pair.
 *
 *   app 10.x:5000 -> 198.51.100.9:443        (inside the subject)
 *     listener / reply socket     recvmsg (udp.c)
 *     as:    RELAY_UDP_ASSOCIATE only: the association through the chain
 *            (udp_assoc.c); its end ends the flow
 *     up:    UDP connect()ed to the relay address (a SOCKS5 UDP header on
 *            every datagram, RFC 1928 §7), or, url = direct, to the
 *            destination itself from the egress namespace (payload only)
 *     reply: UDP inside the subject, IP_TRANSPARENT, bound to 198.51.100.9:443
 *            and connect()ed to the app: replies come from the address the
 *            app sent to, and the kernel's tproxy lookup (established
 *            sockets first, nf_tproxy_get_sock_v4/v6) hands the app's later
 *            datagrams of the flow to this socket rather than the listener.
 *
 * Datagrams that arrive before the association is up wait in a short queue.
 * A flow ends when idle for UDP_IDLE_TIMEOUT, when its association is not up
 * within UDP_HS_TIMEOUT, when the control connection ends, or when either
 * side reports an ICMP error (ECONNREFUSED: the app's socket, the proxy's
 * relay port or, direct, the destination's port is gone).
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "netns/netns.h"
#include "proxy/server.h"
#include "resolver.h"
#include "udp.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

#define UDP_QUEUE_MAX 8	      /* datagrams waiting for the association ... */
#define UDP_QUEUE_BYTES 65536 /* ... and their bytes */

struct udp_dgram {
	struct udp_dgram *next;
	size_t len;
	uint8_t data[];
};

static bool sa_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

	return x->sin6_port == y->sin6_port && IN6_ARE_ADDR_EQUAL(&x->sin6_addr, &y->sin6_addr);
}

static const void *sa_addr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return &((const struct sockaddr_in *)ss)->sin_addr;
	return &((const struct sockaddr_in6 *)ss)->sin6_addr;
}

/* ---- life ---- */

static void flow_queue_drop(struct udp_flow *f)
{
	while (f->q_head) {
		struct udp_dgram *d = f->q_head;

		f->q_head = d->next;
		free(d);
	}
	f->q_tail = NULL;
	f->q_n = 0;
	f->q_bytes = 0;
}

static void flow_unlink(struct relay *r, struct udp_flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		r->udp_flows = f->next;
	if (f->next)
		f->next->prev = f->prev;
	f->prev = f->next = NULL;
}

static void flow_link(struct relay *r, struct udp_flow *f)
{
	f->prev = NULL;
	f->next = r->udp_flows;
	if (f->next)
		f->next->prev = f;
	r->udp_flows = f;
}

void udp_flow_free(struct relay *r, struct udp_flow *f)
{
	struct relay_subject *rs = f->rs;

	flow_unlink(r, f);
	if (f->lookup)
		relay_dns_lookup_cancel(f->lookup);
	udp_assoc_close(r, &f->as);
	loop_close(r->loop, &f->up);
	loop_close(r->loop, &f->reply);
	if (f->fake)
		relay_fake_put(rs, f->orig.ss_family, sa_addr(&f->orig));
	flow_queue_drop(f);
	if (rs->udp && rs->udp->n_flows)
		rs->udp->n_flows--;
	rs->stats.udp_live--;
	r->udp_live--;
	/* Every fd of it is closed: no later event of this batch reaches it (loop.h rule 3). */
	loop_defer_free(r->loop, f, NULL);
}

void udp_flow_fail(struct relay *r, struct udp_flow *f, int err)
{
	char dst[PROXY_NAME_MAX + 16], hop[PROXY_NAME_MAX + 32];

	relay_target_describe(&f->dst, dst, sizeof(dst));
	relay_chain_describe(&f->rs->chain, f->as.hop, hop, sizeof(hop));
	log_info("profile '%s': %s", f->rs->name,
		 relay_note_error(f->rs, "udp %s: via %s: %s", dst, hop,
				  udp_assoc_strerror(&f->as, err)));
	if (f->state != UF_UP)
		f->rs->stats.udp_failed++;
	udp_flow_free(r, f);
}

/* ---- datagrams ---- */

static int flow_send_up(struct udp_flow *f, const uint8_t *data, size_t len)
{
	uint8_t hdr[SOCKS5_UDP_HDR_MAX];
	struct iovec iov[2];
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	int h = 0;

	/* The header alone, then the payload from where it lies (RFC 1928 §7). */
	if (f->framed)
		h = socks5_udp_encode(&f->dst, data, 0, hdr, sizeof(hdr));
	if (h < 0)
		return h;
	iov[0] = (struct iovec){.iov_base = hdr, .iov_len = (size_t)h};
	iov[1] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
	if (sendmsg(f->up.fd, &mh, MSG_NOSIGNAL) < 0)
		return neg_errno(); /* EAGAIN: dropped, as UDP may */
	f->rs->stats.bytes_up += len;
	f->rs->stats.udp_dgrams_up++;
	return 0;
}

static void flow_queue(struct udp_flow *f, const uint8_t *data, size_t len)
{
	struct udp_dgram *d;

	if (f->q_n >= UDP_QUEUE_MAX || len > UDP_QUEUE_BYTES - f->q_bytes)
		return; /* beyond the bound: dropped, as a full socket buffer would */
	d = malloc(sizeof(*d) + len);
	if (!d)
		return;
	d->next = NULL;
	d->len = len;
	memcpy(d->data, data, len);
	if (f->q_tail)
		f->q_tail->next = d;
	else
		f->q_head = d;
	f->q_tail = d;
	f->q_n++;
	f->q_bytes += len;
}

/* One datagram from the app. */
static void flow_from_app(struct udp_flow *f, const uint8_t *data, size_t len)
{
	if (f->state != UF_UP) {
		flow_queue(f, data, len);
		return;
	}
	f->deadline = mono_now() + UDP_IDLE_TIMEOUT;
	(void)flow_send_up(f, data, len);
}

/*
 * Which namespace @fd lives in (SIOCGSKNS, sock_ioctl()), when the chain
 * leaves through an egress namespace: that namespace's end must end the
 * flow, as a socket keeps its namespace alive (egress.h: netnsp lets go).
 */
static void flow_note_netns(struct udp_flow *f, int fd)
{
	struct stat st;
	int ns;

	if (!f->rs->chain.egress_ns[0])
		return;
	ns = ioctl(fd, SIOCGSKNS);
	if (ns < 0)
		return;
	if (fstat(ns, &st) == 0) {
		f->ns_dev = st.st_dev;
		f->ns_ino = st.st_ino;
	}
	close(ns);
}

/* 0 while the flow's egress namespace is still the one its name means, else why not. */
static int flow_netns_check(const struct udp_flow *f)
{
	char path[sizeof(NETNS_RUN_DIR) + CONF_NAME_MAX + 1];
	struct stat st;

	if (!f->ns_ino)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, f->rs->chain.egress_ns);
	if (stat(path, &st) < 0)
		return neg_errno();
	return st.st_dev == f->ns_dev && st.st_ino == f->ns_ino ? 0 : -ESTALE;
}

void udp_flow_tick(struct relay *r, struct udp_flow *f, uint64_t now)
{
	int err = flow_netns_check(f);

	if (err < 0)
		udp_flow_fail(r, f, err);
	else if (now < f->deadline)
		return;
	else if (f->state == UF_UP)
		udp_flow_free(r, f); /* idle: the normal end of a UDP flow */
	else
		udp_flow_fail(r, f, -ETIMEDOUT);
}

/* @f->up is open: the flow is up, what waited goes out. */
static int flow_up(struct relay *r, struct udp_flow *f, int fd)
{
	int ret;

	flow_note_netns(f, fd);

	f->up = (struct ev){.tag = EV_UDP, .fd = fd, .owner = f};
	ret = loop_add(r->loop, &f->up, EPOLLIN);
	if (ret < 0) {
		close(f->up.fd);
		f->up.fd = -1;
		return ret;
	}
	free(TAKE_PTR(f->as.hs));
	f->state = UF_UP;
	f->deadline = mono_now() + UDP_IDLE_TIMEOUT;
	for (struct udp_dgram *d = f->q_head; d; d = d->next)
		(void)flow_send_up(f, d->data, d->len);
	flow_queue_drop(f);
	return 0;
}

/*
 * A reply's header names its source (RFC 1928 §7).  Accept only the flow's
 * destination: the app's socket is connected to it and the reply socket
 * speaks as it.  A name destination is resolved by the proxy, so its
 * replies carry an address we never saw: accept them by port.
 */
static bool flow_reply_ok(const struct udp_flow *f, const struct proxy_target *src)
{
	const struct proxy_target *d = &f->dst;

	if (src->port != d->port)
		return false;
	if (d->family == 0)
		return src->family != 0 || !strcasecmp(src->name, d->name);
	return src->family == d->family &&
	       !memcmp(src->addr, d->addr, d->family == AF_INET ? 4 : 16);
}

/* The payload of one datagram from @up: 0 to pass it on, -1 to drop it. */
static int flow_unframe(const struct udp_flow *f, const uint8_t *buf, size_t n,
			const uint8_t **payload, size_t *plen)
{
	struct proxy_target src;

	if (!f->framed) {
		*payload = buf; /* connected: the kernel let only the destination's through */
		*plen = n;
		return 0;
	}
	/* FRAG != 0: no reassembly, RFC 1928 §7 lets us drop it. */
	if (socks5_udp_decode(buf, n, &src, payload, plen) < 0 || !flow_reply_ok(f, &src))
		return -1;
	return 0;
}

static int flow_on_up(struct udp_flow *f)
{
	uint8_t buf[UDP_BUF];
	const uint8_t *payload;
	size_t plen;
	ssize_t n;

	for (int i = 0; i < UDP_BATCH; i++) {
		n = recv(f->up.fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : neg_errno();
		if (flow_unframe(f, buf, (size_t)n, &payload, &plen) < 0)
			continue;
		f->deadline = mono_now() + UDP_IDLE_TIMEOUT;
		if (send(f->reply.fd, payload, plen, MSG_NOSIGNAL) < 0) {
			if (errno == ECONNREFUSED)
				return -ECONNREFUSED; /* the app's socket is gone */
			continue;
		}
		f->rs->stats.bytes_down += plen;
		f->rs->stats.udp_dgrams_down++;
	}
	return 0;
}

static int flow_on_reply(struct udp_flow *f)
{
	uint8_t buf[UDP_BUF];
	ssize_t n;

	for (int i = 0; i < UDP_BATCH; i++) {
		n = recv(f->reply.fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : neg_errno();
		flow_from_app(f, buf, (size_t)n);
	}
	return 0;
}

/* The control connection's event: the association's progress, then its end. */
static int flow_on_ctl(struct relay *r, struct udp_flow *f)
{
	int ret;

	if (f->as.state == UA_UP)
		return udp_assoc_watch(&f->as);
	ret = udp_assoc_progress(r, &f->as);
	if (ret != 1)
		return ret;
	ret = udp_assoc_open_up(&f->as);
	return ret < 0 ? ret : flow_up(r, f, ret);
}

void udp_flow_on_event(struct relay *r, struct udp_flow *f, struct ev *ev, uint32_t events)
{
	int ret;

	if (ev == &f->as.ctl)
		ret = flow_on_ctl(r, f);
	else if (events & EPOLLERR)
		ret = udp_sock_error(ev->fd);
	else if (ev == &f->up)
		ret = flow_on_up(f);
	else
		ret = flow_on_reply(f);
	if (ret < 0)
		udp_flow_fail(r, f, ret);
}

/* ---- new flows ---- */

/* The per-flow reply socket, inside the subject: bound to @f->orig, connected to @f->app. */
static int flow_open_reply(struct udp_flow *f, int nsfd)
{
	int fam = f->orig.ss_family, one = 1;
	_cleanup_close_ int fd = -1;

	fd = netns_socket(nsfd, fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	/* IP_TRANSPARENT lets us bind a non-local address (ip(7), ipv6(7)). */
	if (fam == AF_INET && setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
		return neg_errno();
	if (fam == AF_INET6 && (setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) < 0 ||
				setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0))
		return neg_errno();
	/* Several apps may talk to the same destination: one bound socket each. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)&f->orig, udp_sa_len(&f->orig)) < 0 ||
	    connect(fd, (const struct sockaddr *)&f->app, udp_sa_len(&f->app)) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}

/* url = direct: a socket in the egress namespace, connect()ed to the destination's address. */
static int flow_open_direct(struct relay *r, struct udp_flow *f)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_storage to;

	udp_sa_set(&to, f->dst.family, f->dst.addr, f->dst.port);
	fd = relay_chain_socket(&f->rs->chain, to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK);
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)&to, udp_sa_len(&to)) < 0)
		return neg_errno();
	return flow_up(r, f, TAKE_FD(fd));
}

/* A flow refused for @why before anything was sent: status and the log say why. */
static void flow_refuse(struct relay *r, struct udp_flow *f, const char *why)
{
	log_info("profile '%s': %s", f->rs->name,
		 relay_note_error(f->rs, "UDP to %s: %s", f->dst.name, why));
	f->rs->stats.udp_failed++;
	udp_flow_free(r, f);
}

static relay_lookup_fn flow_resolved;

/*
 * url = direct sends to addresses: a fake address's name is first resolved by
 * the profile's dns-server through the egress namespace, as TCP's is, while
 * the app's datagrams wait in the queue (docs/DESIGN.md "Egress namespaces").
 */
static int flow_lookup(struct udp_flow *f)
{
	return relay_dns_lookup(f->rs, f->dst.name, flow_resolved, f, &f->lookup);
}

static void flow_resolved(struct relay *r, void *arg, int family, const uint8_t *addr)
{
	struct udp_flow *f = arg;
	int ret;

	if (family < 0) {
		flow_refuse(r, f, relay_dns_lookup_strerror(family));
		return;
	}
	f->dst.family = family;
	memcpy(f->dst.addr, addr, family == AF_INET ? 4 : 16);
	ret = flow_open_direct(r, f);
	if (ret < 0)
		udp_flow_fail(r, f, ret);
}

static int flow_start(struct relay *r, struct udp_flow *f)
{
	int fd, ret;

	fd = flow_open_reply(f, f->rs->udp->nsfd);
	if (fd < 0)
		return fd;
	f->reply.fd = fd;
	ret = loop_add(r->loop, &f->reply, EPOLLIN);
	if (ret < 0)
		return ret;
	if (!f->framed)
		return f->dst.family ? flow_open_direct(r, f) : flow_lookup(f);
	ret = udp_assoc_init(&f->as, &f->rs->chain, &f->dst, f);
	return ret < 0 ? ret : udp_assoc_start(r, &f->as);
}

static struct udp_flow *flow_find(struct relay *r, struct relay_subject *rs,
				  const struct sockaddr_storage *app,
				  const struct sockaddr_storage *orig)
{
	for (struct udp_flow *f = r->udp_flows; f; f = f->next)
		if (f->rs == rs && sa_equal(&f->orig, orig) && sa_equal(&f->app, app))
			return f;
	return NULL;
}

static struct udp_flow *flow_alloc(struct relay *r, struct relay_subject *rs)
{
	struct udp_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->kind = UO_FLOW;
	f->state = UF_OPENING;
	f->rs = rs;
	f->framed = rs->udp_mode == RELAY_UDP_ASSOCIATE;
	f->as.ctl = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	f->up = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	f->reply = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	flow_link(r, f);
	rs->udp->n_flows++;
	rs->stats.udp_live++;
	rs->stats.udp_total++;
	r->udp_live++;
	f->deadline = mono_now() + UDP_HS_TIMEOUT;
	return f;
}

/*
 * UDP follows the routes too, but is carried only by the default chain (the
 * one relay_udp_mode() judged): a destination routed elsewhere, blocked, or
 * unrouted is refused, and status says why.  So is a name through direct
 * when the profile has no dns-server to resolve it.
 */
static bool flow_routed(struct relay_subject *rs, const struct proxy_target *t)
{
	char why[96];
	const struct relay_chain *ch = relay_route(rs, t, why, sizeof(why));

	if (ch == &rs->chain && !(ch->direct && !t->family && !relay_dns_has_server(rs)))
		return true;
	if (ch == &rs->chain)
		snprintf(why, sizeof(why),
			 "'direct' resolves names with the profile's dns-server, and it has none");
	else if (ch)
		snprintf(why, sizeof(why),
			 "UDP goes only through the default chain, not a route's");
	relay_note_error(rs, "UDP to %s: %s", t->family ? "an address" : t->name, why);
	return false;
}

/* A new flow (app, orig); NULL when refused (limits, unmapped fake address, errors). */
static struct udp_flow *flow_new(struct relay *r, struct relay_subject *rs,
				 const struct sockaddr_storage *app,
				 const struct sockaddr_storage *orig)
{
	struct proxy_target t;
	struct udp_flow *f;
	int ret;

	if (r->udp_live >= UDP_MAX_FLOWS || rs->udp->n_flows >= UDP_MAX_FLOWS_SUBJECT) {
		rs->stats.udp_failed++;
		return NULL;
	}
	if (!relay_admit(r, rs, true))
		return NULL;
	(void)proxy_target_set_sa(&t, orig); /* AF_INET or AF_INET6: the listener's */
	ret = relay_fake_target(rs, &t);
	if (ret >= 0 && !flow_routed(rs, &t)) {
		if (ret == 1)
			relay_fake_put(rs, orig->ss_family, sa_addr(orig));
		ret = -EACCES;
	}
	if (ret < 0 || !(f = flow_alloc(r, rs))) {
		if (ret == 1)
			relay_fake_put(rs, orig->ss_family, sa_addr(orig));
		rs->stats.udp_failed++;
		return NULL;
	}
	f->fake = ret == 1;
	f->dst = t;
	memcpy(&f->app, app, udp_sa_len(app));
	memcpy(&f->orig, orig, udp_sa_len(orig));
	ret = flow_start(r, f);
	if (ret < 0) {
		udp_flow_fail(r, f, ret);
		return NULL;
	}
	return f;
}

void udp_flow_datagram(struct relay *r, struct relay_subject *rs,
		       const struct sockaddr_storage *app, const struct sockaddr_storage *orig,
		       const uint8_t *data, size_t len)
{
	struct udp_flow *f = flow_find(r, rs, app, orig);

	if (!f)
		f = flow_new(r, rs, app, orig);
	if (f)
		flow_from_app(f, data, len);
}
