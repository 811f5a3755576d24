// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp.c - UDP of the apps in a subject through SOCKS5 UDP ASSOCIATE
 * (RFC 1928 §7), one association per flow.
 *
 * Datapath (DESIGN.md §1).  The subject's nft table tproxies marked UDP
 * (except DNS) to 127.0.0.1:RELAY_TPROXY_PORT and [::1]:RELAY_TPROXY_PORT,
 * where a transparent UDP listener (IP_RECVORIGDSTADDR) learns each
 * datagram's source and original destination.  A flow is one pair of those:
 *
 *   app 10.x:5000 -> 198.51.100.9:443        (inside the subject)
 *     listener / reply socket     recvmsg
 *     ctl:   TCP to hop 0, greeting (+ RFC 1929) + UDP ASSOCIATE; kept open,
 *            its end ends the association (RFC 1928 §7)
 *     up:    UDP connect()ed to BND.ADDR:BND.PORT, header + data both ways
 *     reply: UDP inside the subject, IP_TRANSPARENT, bound to 198.51.100.9:443
 *            and connect()ed to the app: replies come from the address the
 *            app sent to, and the kernel's tproxy lookup (established
 *            sockets first, nf_tproxy_get_sock_v4/v6) hands the app's later
 *            datagrams of the flow to this socket rather than the listener.
 *
 * Datagrams that arrive before the association is up wait in a short queue.
 * A flow ends when idle for UDP_IDLE_TIMEOUT, when its association is not up
 * within UDP_HS_TIMEOUT, when the control connection ends, or when either
 * side reports an ICMP error (ECONNREFUSED: the app's socket or the proxy's
 * relay port is gone).
 *
 * The probe (relay_udp_probe_start()).  An upstream that answers UDP
 * ASSOCIATE with a failure (microsocks: REP 7, command not supported) would
 * make every flow wait for its own handshake to fail while the app's
 * datagrams vanish, and QUIC would wait for its timeout before falling back
 * to TCP.  So at each apply one association is asked for on the loop, with a
 * flow's own control-connection code; when it is refused, the subject
 * switches to RELAY_UDP_REFUSED and the daemon re-applies its routing
 * refusal (EHOSTUNREACH at once).  A granted probe association is closed at
 * once: closing its control connection ends it (RFC 1928 §7).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "netns/netns.h"
#include "egress.h"
#include "proxy/server.h"
#include "relay.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

#define UDP_IDLE_TIMEOUT 60	   /* seconds without a datagram either way */
#define UDP_HS_TIMEOUT 10	   /* connect + greeting + auth + UDP ASSOCIATE */
#define UDP_MAX_FLOWS 4096	   /* per daemon */
#define UDP_MAX_FLOWS_SUBJECT 1024 /* per subject */
#define UDP_QUEUE_MAX 8		   /* datagrams waiting for the association ... */
#define UDP_QUEUE_BYTES 65536	   /* ... and their bytes */
#define UDP_BATCH 64		   /* datagrams per wakeup and fd, so no fd starves the loop */
#define UDP_BUF 65536		   /* the largest UDP payload fits */
#define UDP_PROBE_TIMEOUT 5	   /* seconds for the probe's connect + handshake */

enum uf_kind { UF_HEAD, UF_FLOW, UF_PROBE };
enum uf_state { UF_CONNECTING, UF_HANDSHAKE, UF_ASSOCIATED, UF_DEAD };

struct udp_dgram {
	struct udp_dgram *next;
	size_t len;
	uint8_t data[];
};

/*
 * rs->flows points to the subject's head (UF_HEAD): the owner of its
 * listeners' events, of a namespace fd for the per-flow reply sockets and
 * of the running probe.  Flows (UF_FLOW) and probes (UF_PROBE: only ctl and
 * hs are used) are in r->udp_flows, across subjects.
 */
struct udp_flow {
	enum uf_kind kind;
	enum uf_state state;
	struct relay_subject *rs;	   /* not owned */
	struct udp_flow *prev, *next;	   /* r->udp_flows */
	int nsfd;			   /* head: owned dup of the subject's namespace */
	uint32_t n_flows;		   /* head: live flows of the subject */
	struct ev ctl;			   /* owned fd: TCP to hop 0, the association's life */
	struct ev up;			   /* owned fd: UDP to the proxy's relay (BND) */
	struct ev reply;		   /* owned fd: inside the subject, see the top */
	struct sockaddr_storage app;	   /* the app's address */
	struct sockaddr_storage orig;	   /* the original destination */
	struct proxy_target dst;	   /* in every header: the address, or a fake one's name */
	bool fake;			   /* holds a fake-IP reference on orig */
	struct proxy_hs *hs;		   /* owned, until UF_ASSOCIATED */
	struct udp_dgram *q_head, *q_tail; /* owned: the queue before UF_ASSOCIATED */
	uint32_t q_n;
	size_t q_bytes;
	uint64_t deadline;	  /* CLOCK_MONOTONIC seconds: handshake, then idle */
	struct udp_flow *probe;	  /* head: the subject's running probe or NULL (in r->udp_flows) */
	relay_udp_probe_fn *done; /* probe: told the outcome, not if cancelled */
	void *done_arg;		  /* probe: not owned */
	int err;		  /* probe: a failure waiting for the next tick, or 0 */
};

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

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

static void target_from_sa(struct proxy_target *t, const struct sockaddr_storage *ss)
{
	memset(t, 0, sizeof(*t));
	t->family = ss->ss_family;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)ss;

		memcpy(t->addr, &in->sin_addr, 4);
		t->port = ntohs(in->sin_port);
	} else {
		const struct sockaddr_in6 *in6 = (const void *)ss;

		memcpy(t->addr, &in6->sin6_addr, 16);
		t->port = ntohs(in6->sin6_port);
	}
}

static const void *sa_addr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return &((const struct sockaddr_in *)ss)->sin_addr;
	return &((const struct sockaddr_in6 *)ss)->sin6_addr;
}

enum relay_udp_mode relay_udp_mode(const struct relay_chain *chain, bool udp_on, char *why,
				   size_t len)
{
	char hop[PROXY_NAME_MAX + 32];

	if (!udp_on) {
		snprintf(why, len, "udp = off");
		return RELAY_UDP_REFUSED;
	}
	if (chain->n_hops == 0) {
		snprintf(why, len, "the profile has no default chain (only routes)");
		return RELAY_UDP_REFUSED;
	}
	if (chain->egress_ns[0]) {
		snprintf(why, len, "UDP through an egress namespace is not supported yet");
		return RELAY_UDP_REFUSED;
	}
	if (chain->n_hops != 1) {
		snprintf(why, len, "UDP through a chain of proxies is not supported");
		return RELAY_UDP_REFUSED;
	}
	switch (chain->hops[0].kind) {
	case PROXY_SOCKS5:
	case PROXY_SOCKS5H:
		relay_chain_describe(chain, 0, hop, sizeof(hop));
		snprintf(why, len, "SOCKS5 UDP ASSOCIATE via %s", hop);
		return RELAY_UDP_ASSOCIATE;
	case PROXY_HTTP:
		snprintf(why, len, "an HTTP proxy cannot carry UDP");
		return RELAY_UDP_REFUSED;
	case PROXY_SOCKS4A:
		snprintf(why, len, "a SOCKS4a proxy cannot carry UDP");
		return RELAY_UDP_REFUSED;
	default:
		snprintf(why, len, "this upstream cannot carry UDP");
		return RELAY_UDP_REFUSED;
	}
}

/* ---- flow life ---- */

static void ev_close(struct relay *r, struct ev *ev)
{
	if (ev->fd < 0)
		return;
	loop_del(r->loop, ev);
	close(ev->fd);
	ev->fd = -1;
}

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

/* Cancel or end a probe: its association ends with its control connection. */
static void probe_free(struct relay *r, struct udp_flow *p)
{
	struct udp_flow *head = p->rs->flows;

	flow_unlink(r, p);
	ev_close(r, &p->ctl);
	free(TAKE_PTR(p->hs));
	if (head && head->probe == p)
		head->probe = NULL;
	p->state = UF_DEAD;
	loop_defer_free(r->loop, p, NULL);
}

/* Close every fd and unlink; the memory goes once the epoll batch is over. */
static void flow_free(struct relay *r, struct udp_flow *f)
{
	struct relay_subject *rs = f->rs;

	if (f->kind == UF_PROBE) {
		probe_free(r, f);
		return;
	}
	flow_unlink(r, f);
	ev_close(r, &f->ctl);
	ev_close(r, &f->up);
	ev_close(r, &f->reply);
	if (f->fake)
		relay_fake_put(rs, f->orig.ss_family, sa_addr(&f->orig));
	flow_queue_drop(f);
	free(TAKE_PTR(f->hs));
	if (rs->flows && rs->flows->n_flows)
		rs->flows->n_flows--;
	rs->stats.udp_live--;
	r->udp_live--;
	f->state = UF_DEAD;
	loop_defer_free(r->loop, f, NULL);
}

static void flow_describe(const struct udp_flow *f, char *buf, size_t len)
{
	const struct proxy_target *t = &f->dst;
	char a[INET6_ADDRSTRLEN];

	if (t->family)
		inet_ntop(t->family, t->addr, a, sizeof(a));
	snprintf(buf, len, "%s%s%s:%u", t->family == AF_INET6 ? "[" : "", t->family ? a : t->name,
		 t->family == AF_INET6 ? "]" : "", t->port);
}

/* The association failed or ended abnormally: log once and close. */
static void flow_fail(struct relay *r, struct udp_flow *f, int err)
{
	char dst[PROXY_NAME_MAX + 16], hop[PROXY_NAME_MAX + 32];
	const char *why;

	flow_describe(f, dst, sizeof(dst));
	relay_chain_describe(&f->rs->chain, 0, hop, sizeof(hop));
	why = f->state == UF_HANDSHAKE ? proxy_strerror(f->hs, err) : strerror(-err);
	log_info("profile '%s': %s", f->rs->name,
		 relay_note_error(f->rs, "udp %s: via %s: %s", dst, hop, why));
	if (f->state != UF_ASSOCIATED)
		f->rs->stats.udp_failed++;
	flow_free(r, f);
}

/* ---- sockets ---- */

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
	    bind(fd, (const struct sockaddr *)&f->orig, sa_len(&f->orig)) < 0 ||
	    connect(fd, (const struct sockaddr *)&f->app, sa_len(&f->app)) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}

/* ---- the association ---- */

static int flow_hs_send(struct udp_flow *f)
{
	return relay_hs_send(f->hs, f->ctl.fd);
}

/*
 * The TCP connection to hop 0 is up: ask for an association.  DST.ADDR and
 * DST.PORT are all zeros: RFC 1928 §7 lets a client that does not know
 * them yet say so, and behind NAT the address we would give is wrong.
 */
static int flow_connected(struct relay *r, struct udp_flow *f)
{
	const struct relay_hop *hop = &f->rs->chain.hops[0];
	struct proxy_target from = {.family = f->rs->chain.first.ss_family};
	socklen_t len = sizeof(int);
	int err = 0, ret;

	if (getsockopt(f->ctl.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return neg_errno();
	if (err == EINPROGRESS || err == EALREADY)
		return 0;
	if (err)
		return -err;
	ret = proxy_hs_init_udp(f->hs, hop->kind, hop->user, hop->pass, &from);
	if (ret < 0)
		return ret;
	f->state = UF_HANDSHAKE;
	ret = loop_mod(r->loop, &f->ctl, EPOLLIN | EPOLLRDHUP);
	return ret < 0 ? ret : flow_hs_send(f);
}

/* BND.ADDR 0.0.0.0 or :: means "where you reached me" (the proxy's address). */
static int flow_relay_addr(const struct udp_flow *f, struct sockaddr_storage *ss)
{
	const struct relay_chain *ch = &f->rs->chain;
	static const uint8_t zero[16];
	struct proxy_target b;
	int ret;

	ret = proxy_hs_bound(f->hs, &b);
	if (ret < 0)
		return -EPROTO;
	if (b.family == 0)
		return -EPROTO; /* a name as the relay address: nobody does that */
	if (!memcmp(b.addr, zero, b.family == AF_INET ? 4 : 16)) {
		memcpy(ss, &ch->first, ch->first_len);
	} else if (b.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		memset(ss, 0, sizeof(*ss));
		in->sin_family = AF_INET;
		memcpy(&in->sin_addr, b.addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		memset(ss, 0, sizeof(*ss));
		in6->sin6_family = AF_INET6;
		memcpy(&in6->sin6_addr, b.addr, 16);
	}
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(b.port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(b.port);
	return 0;
}

static int flow_send_up(struct udp_flow *f, const uint8_t *data, size_t len);

/* The proxy granted the association: open the UDP socket to BND, flush the queue. */
static int flow_associated(struct relay *r, struct udp_flow *f)
{
	struct sockaddr_storage bnd;
	_cleanup_close_ int fd = -1;
	int ret;

	ret = flow_relay_addr(f, &bnd);
	if (ret < 0)
		return ret;
	fd = egress_socket(f->rs->chain.egress, bnd.ss_family, SOCK_DGRAM | SOCK_NONBLOCK);
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)&bnd, sa_len(&bnd)) < 0)
		return neg_errno();
	f->up = (struct ev){.tag = EV_UDP, .fd = TAKE_FD(fd), .owner = f};
	ret = loop_add(r->loop, &f->up, EPOLLIN);
	if (ret < 0) {
		close(f->up.fd);
		f->up.fd = -1;
		return ret;
	}
	free(TAKE_PTR(f->hs));
	f->state = UF_ASSOCIATED;
	f->deadline = mono_now() + UDP_IDLE_TIMEOUT;
	while (f->q_head) {
		struct udp_dgram *d = f->q_head;

		f->q_head = d->next;
		(void)flow_send_up(f, d->data, d->len);
		free(d);
	}
	flow_queue_drop(f);
	return 0;
}

/* Read the proxy's replies: 1 once the association is granted, 0 for more, or an error. */
static int flow_hs_recv(struct udp_flow *f)
{
	uint8_t buf[512];
	size_t used;
	ssize_t n;
	int ret;

	for (;;) {
		n = recv(f->ctl.fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		if (n == 0)
			return -ECONNRESET;
		ret = proxy_hs_feed(f->hs, buf, (size_t)n, &used);
		if (ret != 0)
			return ret;    /* RFC 1928 §7: nothing follows the reply */
		ret = flow_hs_send(f); /* the reply may have queued auth or the request */
		if (ret < 0)
			return ret;
	}
}

static int flow_handshake(struct relay *r, struct udp_flow *f)
{
	int ret = flow_hs_recv(f);

	return ret == 1 ? flow_associated(r, f) : ret;
}

/* After the association: the control connection only ever ends it. */
static int flow_ctl_watch(struct udp_flow *f)
{
	uint8_t buf[256];
	ssize_t n;

	for (;;) {
		n = recv(f->ctl.fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		if (n == 0)
			return -ECONNRESET;
	}
}

/* ---- datagrams ---- */

static int flow_send_up(struct udp_flow *f, const uint8_t *data, size_t len)
{
	uint8_t hdr[SOCKS5_UDP_HDR_MAX];
	struct iovec iov[2];
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	int h;

	/* The header alone, then the payload from where it lies (RFC 1928 §7). */
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
	if (f->state != UF_ASSOCIATED) {
		flow_queue(f, data, len);
		return;
	}
	f->deadline = mono_now() + UDP_IDLE_TIMEOUT;
	(void)flow_send_up(f, data, len);
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

static int flow_on_up(struct udp_flow *f)
{
	uint8_t buf[UDP_BUF];
	struct proxy_target src;
	const uint8_t *payload;
	size_t plen;
	ssize_t n;

	for (int i = 0; i < UDP_BATCH; i++) {
		n = recv(f->up.fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : neg_errno();
		/* FRAG != 0: no reassembly, RFC 1928 §7 lets us drop it. */
		if (socks5_udp_decode(buf, (size_t)n, &src, &payload, &plen) < 0 ||
		    !flow_reply_ok(f, &src))
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

/* The fd's pending error (an ICMP error, ip(7) IP_RECVERR off): a negative errno or 0. */
static int sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return neg_errno();
	return -err;
}

static void probe_on_event(struct relay *r, struct udp_flow *p);

static void flow_on_event(struct relay *r, struct udp_flow *f, struct ev *ev, uint32_t events)
{
	int ret = 0;

	if (f->state == UF_DEAD)
		return;
	if (f->kind == UF_PROBE) {
		probe_on_event(r, f);
		return;
	}
	if (ev == &f->ctl) {
		if (f->state == UF_CONNECTING)
			ret = flow_connected(r, f);
		if (ret == 0 && f->state == UF_HANDSHAKE)
			ret = flow_handshake(r, f);
		else if (ret == 0 && f->state == UF_ASSOCIATED)
			ret = flow_ctl_watch(f);
	} else if (events & EPOLLERR) {
		ret = sock_error(ev->fd);
	} else if (ev == &f->up) {
		ret = flow_on_up(f);
	} else {
		ret = flow_on_reply(f);
	}
	if (ret < 0)
		flow_fail(r, f, ret);
}

/* ---- new flows from the listeners ---- */

static struct udp_flow *flow_find(struct relay *r, struct relay_subject *rs,
				  const struct sockaddr_storage *app,
				  const struct sockaddr_storage *orig)
{
	for (struct udp_flow *f = r->udp_flows; f; f = f->next)
		if (f->rs == rs && f->kind == UF_FLOW && sa_equal(&f->orig, orig) &&
		    sa_equal(&f->app, app))
			return f;
	return NULL;
}

static struct udp_flow *flow_alloc(struct relay *r, struct relay_subject *rs)
{
	struct udp_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->hs = calloc(1, sizeof(*f->hs));
	if (!f->hs) {
		free(f);
		return NULL;
	}
	f->kind = UF_FLOW;
	f->rs = rs;
	f->nsfd = -1;
	f->ctl = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	f->up = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	f->reply = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	flow_link(r, f);
	rs->flows->n_flows++;
	rs->stats.udp_live++;
	rs->stats.udp_total++;
	r->udp_live++;
	f->deadline = mono_now() + UDP_HS_TIMEOUT;
	return f;
}

static int flow_start(struct relay *r, struct udp_flow *f)
{
	int fd, ret;

	fd = flow_open_reply(f, f->rs->flows->nsfd);
	if (fd < 0)
		return fd;
	f->reply.fd = fd;
	ret = loop_add(r->loop, &f->reply, EPOLLIN);
	if (ret < 0)
		return ret;
	fd = relay_chain_connect(&f->rs->chain, NULL);
	if (fd < 0)
		return fd;
	f->ctl.fd = fd;
	f->state = UF_CONNECTING;
	return loop_add(r->loop, &f->ctl, EPOLLOUT | EPOLLRDHUP);
}

/*
 * UDP follows the routes too, but is carried only by the default chain (the
 * one relay_udp_mode() judged): a destination routed elsewhere, blocked, or
 * unrouted is refused, and status says why.
 */
static bool flow_routed(struct relay_subject *rs, const struct proxy_target *t)
{
	char why[96];
	const struct relay_chain *ch = relay_route(rs, t, why, sizeof(why));

	if (ch == &rs->chain)
		return true;
	if (ch)
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

	if (r->udp_live >= UDP_MAX_FLOWS || rs->flows->n_flows >= UDP_MAX_FLOWS_SUBJECT) {
		rs->stats.udp_failed++;
		return NULL;
	}
	if (!relay_admit(r, rs, true))
		return NULL;
	target_from_sa(&t, orig);
	ret = relay_fake_target(rs, &t);
	if (ret >= 0 && !flow_routed(rs, &t))
		ret = -EACCES;
	if (ret < 0 || !(f = flow_alloc(r, rs))) {
		if (ret == 1)
			relay_fake_put(rs, orig->ss_family, sa_addr(orig));
		rs->stats.udp_failed++;
		return NULL;
	}
	f->fake = ret == 1;
	f->dst = t;
	memcpy(&f->app, app, sa_len(app));
	memcpy(&f->orig, orig, sa_len(orig));
	ret = flow_start(r, f);
	if (ret < 0) {
		flow_fail(r, f, ret);
		return NULL;
	}
	return f;
}

/* IP_ORIGDSTADDR / IPV6_ORIGDSTADDR: where the app sent it (ip(7), ipv6(7)). */
static int msg_orig_dst(struct msghdr *mh, struct sockaddr_storage *orig)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_ORIGDSTADDR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_ORIGDSTADDR)) {
			size_t n = c->cmsg_len - CMSG_LEN(0);

			memset(orig, 0, sizeof(*orig));
			memcpy(orig, CMSG_DATA(c), n < sizeof(*orig) ? n : sizeof(*orig));
			return 0;
		}
	}
	return -ENOENT;
}

/* Loopback or v4-mapped: never relayed (nft does not tproxy them either). */
static bool dst_refused(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_V4MAPPED(a);
	}
	return true;
}

static void udp_on_listener(struct relay *r, struct relay_subject *rs, int fd)
{
	uint8_t buf[UDP_BUF], cbuf[CMSG_SPACE(sizeof(struct sockaddr_in6))];
	struct sockaddr_storage app, orig;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh;
	struct udp_flow *f;
	ssize_t n;

	for (int i = 0; i < UDP_BATCH; i++) {
		mh = (struct msghdr){.msg_name = &app,
				     .msg_namelen = sizeof(app),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf)};
		n = recvmsg(fd, &mh, 0);
		if (n < 0)
			return;
		if (msg_orig_dst(&mh, &orig) < 0 || dst_refused(&orig) ||
		    app.ss_family != orig.ss_family)
			continue;
		f = flow_find(r, rs, &app, &orig);
		if (!f)
			f = flow_new(r, rs, &app, &orig);
		if (f)
			flow_from_app(f, buf, (size_t)n);
	}
}

void relay_udp_on_event(struct relay *r, struct ev *ev, uint32_t events)
{
	struct udp_flow *f = ev->owner;

	if (f->kind == UF_HEAD)
		udp_on_listener(r, f->rs, ev->fd);
	else
		flow_on_event(r, f, ev, events);
}

/* ---- listeners ---- */

static int udp_listener_open(int nsfd, int fam)
{
	struct sockaddr_storage ss = {.ss_family = fam};
	_cleanup_close_ int fd = -1;
	int one = 1, ret;

	fd = netns_socket(nsfd, fam, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (fam == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(RELAY_TPROXY_PORT);
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ret = setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
		      setsockopt(fd, SOL_IP, IP_RECVORIGDSTADDR, &one, sizeof(one));
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(RELAY_TPROXY_PORT);
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
		ret = setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		      setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) ||
		      setsockopt(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, &one, sizeof(one));
	}
	if (ret || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sa_len(&ss)) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}

static int udp_head_get(struct relay_subject *rs, int nsfd)
{
	struct udp_flow *h = rs->flows;
	int fd;

	fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h) {
			close(fd);
			return -ENOMEM;
		}
		h->kind = UF_HEAD;
		h->rs = rs;
		h->nsfd = -1;
		h->ctl.fd = h->up.fd = h->reply.fd = -1;
		rs->flows = h;
	}
	/* The namespace may have been made anew since the last apply. */
	if (h->nsfd >= 0)
		close(h->nsfd);
	h->nsfd = fd;
	return 0;
}

int relay_udp_listen(struct relay *r, struct relay_subject *rs, int nsfd)
{
	static const int fams[2] = {AF_INET, AF_INET6};
	int ret, fd;

	if (rs->udp_mode != RELAY_UDP_ASSOCIATE) {
		relay_udp_close(r, rs);
		return 0;
	}
	ret = udp_head_get(rs, nsfd);
	if (ret < 0)
		return ret;
	for (int i = 0; i < 2; i++) {
		if (rs->udp_lis[i].fd >= 0)
			continue;
		fd = udp_listener_open(nsfd, fams[i]);
		if (fd < 0)
			return fd;
		rs->udp_lis[i] = (struct ev){.tag = EV_UDP, .fd = fd, .owner = rs->flows};
		ret = loop_add(r->loop, &rs->udp_lis[i], EPOLLIN);
		if (ret < 0) {
			close(fd);
			rs->udp_lis[i].fd = -1;
			return ret;
		}
	}
	return 0;
}

void relay_udp_close(struct relay *r, struct relay_subject *rs)
{
	struct udp_flow *f, *next;

	for (int i = 0; i < 2; i++)
		ev_close(r, &rs->udp_lis[i]);
	for (f = r->udp_flows; f; f = next) {
		next = f->next;
		if (f->rs == rs)
			flow_free(r, f);
	}
	if (rs->flows) {
		if (rs->flows->nsfd >= 0)
			close(rs->flows->nsfd);
		/* A listener event of this batch may still point at the head. */
		rs->flows->nsfd = -1;
		loop_defer_free(r->loop, TAKE_PTR(rs->flows), NULL);
	}
}

/* ---- the probe ---- */

/* Why the probe failed, for status: the reply code when the proxy answered. */
static void probe_reason(const struct udp_flow *p, int err, char *buf, size_t len)
{
	if (err == -ETIMEDOUT)
		snprintf(buf, len, "no answer within %d s", UDP_PROBE_TIMEOUT);
	else if (err == -EADDRNOTAVAIL)
		snprintf(buf, len, "its relay address (BND.ADDR) is unusable");
	else if (p->state == UF_HANDSHAKE)
		snprintf(buf, len, "%s", proxy_strerror(p->hs, err));
	else
		snprintf(buf, len, "connect: %s", strerror(-err));
}

/* Tell the outcome; a refusal refuses the subject's UDP until its next apply. */
static void probe_finish(struct relay *r, struct udp_flow *p, int err)
{
	struct relay_subject *rs = p->rs;
	relay_udp_probe_fn *done = p->done;
	void *arg = p->done_arg;
	char why[88];

	if (err < 0)
		probe_reason(p, err, why, sizeof(why));
	probe_free(r, p);
	if (err < 0) {
		snprintf(rs->udp_why, sizeof(rs->udp_why), "the upstream refused UDP ASSOCIATE: %s",
			 why);
		rs->udp_mode = RELAY_UDP_REFUSED;
		relay_udp_close(r, rs); /* flows in progress would only fail the same way */
	}
	if (done)
		done(rs, err, arg);
}

static void probe_on_event(struct relay *r, struct udp_flow *p)
{
	struct sockaddr_storage bnd;
	int ret = 0;

	if (p->state == UF_CONNECTING)
		ret = flow_connected(r, p);
	if (ret == 0 && p->state == UF_HANDSHAKE)
		ret = flow_hs_recv(p);
	if (ret == 0)
		return; /* more to come */
	/* A grant is only good if its BND is an address a flow could send to. */
	if (ret == 1)
		ret = flow_relay_addr(p, &bnd) < 0 ? -EADDRNOTAVAIL : 0;
	probe_finish(r, p, ret);
}

static struct udp_flow *probe_due(struct relay *r, uint64_t now)
{
	for (struct udp_flow *f = r->udp_flows; f; f = f->next)
		if (f->kind == UF_PROBE && (f->err || now >= f->deadline))
			return f;
	return NULL;
}

int relay_udp_probe_start(struct relay *r, struct relay_subject *rs, relay_udp_probe_fn *done,
			  void *arg)
{
	struct udp_flow *head = rs->flows, *p;
	int fd;

	if (rs->udp_mode != RELAY_UDP_ASSOCIATE || !head)
		return 0;
	if (head->probe)
		probe_free(r, head->probe); /* re-apply: ask again, with the current chain */
	p = calloc(1, sizeof(*p));
	if (!p || !(p->hs = calloc(1, sizeof(*p->hs)))) {
		free(p);
		return -ENOMEM;
	}
	p->kind = UF_PROBE;
	p->state = UF_CONNECTING;
	p->rs = rs;
	p->nsfd = -1;
	p->ctl = (struct ev){.tag = EV_UDP, .fd = -1, .owner = p};
	p->up = p->reply = (struct ev){.tag = EV_UDP, .fd = -1, .owner = p};
	p->done = done;
	p->done_arg = arg;
	p->deadline = mono_now() + UDP_PROBE_TIMEOUT;
	flow_link(r, p);
	head->probe = p;
	fd = relay_chain_connect(&rs->chain, NULL);
	if (fd >= 0) {
		p->ctl.fd = fd;
		fd = loop_add(r->loop, &p->ctl, EPOLLOUT | EPOLLRDHUP);
	}
	/* A connect that fails at once is told at the next tick, never inside the apply. */
	if (fd < 0)
		p->err = fd;
	return 0;
}

void relay_udp_tick(struct relay *r, uint64_t now)
{
	struct udp_flow *f, *next;

	/* One at a time: a refused probe closes its subject's flows (relay_udp_close()). */
	while ((f = probe_due(r, now)))
		probe_finish(r, f, f->err ? f->err : -ETIMEDOUT);
	for (f = r->udp_flows; f; f = next) {
		next = f->next;
		if (f->kind == UF_PROBE || now < f->deadline)
			continue;
		if (f->state == UF_ASSOCIATED)
			flow_free(r, f); /* idle: the normal end of a UDP flow */
		else
			flow_fail(r, f, -ETIMEDOUT);
	}
}
