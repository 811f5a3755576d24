// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp_assoc.c - one SOCKS5 UDP ASSOCIATE (RFC 1928 §7) through the chain,
 * for a flow or for the probe (udp_probe.c).
 *
 * The control connection is a chain's TCP connection like any other
 * (relay_chain_connect()): hop 0 is asked to CONNECT to hop 1, and so on,
 * and the last hop, which must speak SOCKS5, is asked for UDP ASSOCIATE.
 * It stays open for the association's life: its end ends the association.
 *
 * The datagrams do not take the chain: they go from where hop 0 is dialled
 * (the daemon's namespace, or hop 0's egress namespace) straight to the
 * relay address the last hop gave (udp_relay_addr()).  A chain carries UDP
 * only where that address is reachable from there (docs/DESIGN.md "UDP").
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "udp.h"
#include "util/macro.h"

int udp_assoc_init(struct udp_assoc *as, const struct relay_chain *chain,
		   const struct proxy_target *dst, void *owner)
{
	memset(as, 0, sizeof(*as));
	as->ctl = (struct ev){.tag = EV_UDP, .fd = -1, .owner = owner};
	as->state = UA_CONNECTING;
	as->chain = chain;
	as->dst = dst;
	as->hs = calloc(1, sizeof(*as->hs));
	return as->hs ? 0 : -ENOMEM;
}

int udp_assoc_start(struct relay *r, struct udp_assoc *as)
{
	int fd = relay_chain_connect(as->chain, NULL);

	if (fd < 0)
		return fd;
	as->ctl.fd = fd;
	return loop_add(r->loop, &as->ctl, EPOLLOUT | EPOLLRDHUP);
}

void udp_assoc_close(struct relay *r, struct udp_assoc *as)
{
	loop_close(r->loop, &as->ctl);
	free(TAKE_PTR(as->hs));
}

/*
 * Ask hop as->hop to CONNECT to the next hop, or, the last, for an
 * association.  DST.ADDR and DST.PORT of the association are all zeros:
 * RFC 1928 §7 lets a client that does not know them yet say so, and behind
 * NAT (or a chain, whose control connection comes from the hop before) the
 * address we would give is wrong.
 */
static int assoc_start_hop(struct udp_assoc *as)
{
	const struct relay_chain *ch = as->chain;
	const struct relay_hop *hop = &ch->hops[as->hop];
	struct proxy_target from = {.family = AF_INET};
	const struct proxy_target *t;
	int fam;

	if (as->hop + 1 < ch->n_hops) {
		t = &ch->hops[as->hop + 1].target;
		return relay_hop_hs_pipeline(
			hop, as->hs,
			proxy_hs_init(as->hs, hop->kind,
				      relay_hop_user(ch, as->hop, t, NULL, as->iso_user), hop->pass,
				      t));
	}
	fam = ch->n_hops == 1 ? ch->first.ss_family : hop->target.family;
	if (fam == AF_INET6)
		from.family = AF_INET6;
	/* isolate = destination: the flow's; the probe has none, so the hop's own. */
	t = as->dst ? as->dst : &hop->target;
	return relay_hop_hs_pipeline(
		hop, as->hs,
		proxy_hs_init_udp(as->hs, hop->kind,
				  relay_hop_user(ch, as->hop, t, NULL, as->iso_user), hop->pass,
				  &from));
}

static int assoc_connected(struct relay *r, struct udp_assoc *as)
{
	socklen_t len = sizeof(int);
	int err = 0, ret;

	if (getsockopt(as->ctl.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return neg_errno();
	if (err == EINPROGRESS || err == EALREADY)
		return 0;
	if (err)
		return -err;
	ret = assoc_start_hop(as);
	if (ret < 0)
		return ret;
	as->state = UA_HANDSHAKE;
	ret = loop_mod(r->loop, &as->ctl, EPOLLIN | EPOLLRDHUP);
	return ret < 0 ? ret : relay_hs_send(as->hs, as->ctl.fd);
}

/*
 * Feed one received chunk: 1 once the last hop granted the association.
 * Bytes past an inner hop's reply are a protocol violation (no proxy speaks
 * before it is asked), and nothing follows the last one (RFC 1928 §7).
 */
static int assoc_input(struct udp_assoc *as, const uint8_t *buf, size_t n)
{
	size_t used;
	int ret;

	while (n > 0) {
		ret = proxy_hs_feed(as->hs, buf, n, &used);
		if (ret < 0)
			return ret;
		buf += used;
		n -= used;
		if (ret == 0)
			continue;
		if (as->hop + 1 == as->chain->n_hops)
			return 1;
		if (n > 0)
			return -EPROTO;
		as->hop++;
		ret = assoc_start_hop(as);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* recv() on the control connection: bytes, 0 when none are waiting, or a negative errno. */
static ssize_t ctl_recv(const struct udp_assoc *as, uint8_t *buf, size_t len)
{
	ssize_t n = recv(as->ctl.fd, buf, len, 0);

	if (n < 0)
		return errno == EAGAIN ? 0 : neg_errno();
	return n == 0 ? -ECONNRESET : n; /* its end ends the association */
}

static int assoc_recv(struct udp_assoc *as)
{
	uint8_t buf[512];
	ssize_t n;
	int ret;

	for (;;) {
		n = ctl_recv(as, buf, sizeof(buf));
		if (n <= 0)
			return (int)n;
		ret = assoc_input(as, buf, (size_t)n);
		if (ret == 1)
			as->state = UA_UP;
		if (ret != 0)
			return ret;
		/* The reply may have queued auth, the next hop's request or UDP ASSOCIATE. */
		ret = relay_hs_send(as->hs, as->ctl.fd);
		if (ret < 0)
			return ret;
	}
}

int udp_assoc_progress(struct relay *r, struct udp_assoc *as)
{
	int ret = 0;

	if (as->state == UA_CONNECTING)
		ret = assoc_connected(r, as);
	if (ret == 0 && as->state == UA_HANDSHAKE)
		ret = assoc_recv(as);
	return ret;
}

int udp_assoc_watch(struct udp_assoc *as)
{
	uint8_t buf[256];
	ssize_t n;

	do
		n = ctl_recv(as, buf, sizeof(buf));
	while (n > 0);
	return (int)n;
}

const char *udp_assoc_strerror(const struct udp_assoc *as, int err)
{
	if (as->state == UA_HANDSHAKE && as->hs)
		return proxy_strerror(as->hs, err);
	return strerror(-err);
}

void udp_sa_set(struct sockaddr_storage *ss, int family, const uint8_t *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, addr, 16);
	}
}

/* The last hop's own address, for an unspecified BND.ADDR. */
static int last_hop_addr(const struct relay_chain *ch, struct sockaddr_storage *ss, uint16_t port)
{
	const struct proxy_target *t = &ch->hops[ch->n_hops - 1].target;
	const struct sockaddr_in6 *in6 = (const void *)&ch->first;
	const struct sockaddr_in *in = (const void *)&ch->first;

	if (ch->n_hops > 1) {
		if (t->family != AF_INET && t->family != AF_INET6)
			return -EADDRNOTAVAIL; /* a name: hop 1 resolves it, we cannot */
		udp_sa_set(ss, t->family, t->addr, port);
	} else if (ch->first.ss_family == AF_INET) {
		udp_sa_set(ss, AF_INET, (const uint8_t *)&in->sin_addr, port);
	} else if (ch->first.ss_family == AF_INET6) {
		udp_sa_set(ss, AF_INET6, (const uint8_t *)&in6->sin6_addr, port);
		((struct sockaddr_in6 *)ss)->sin6_scope_id = in6->sin6_scope_id;
	} else {
		return -EADDRNOTAVAIL; /* a unix socket (a managed tor) */
	}
	return 0;
}

int udp_relay_addr(const struct relay_chain *chain, const struct proxy_target *bnd,
		   struct sockaddr_storage *ss)
{
	static const uint8_t zero[16];

	if (bnd->family != AF_INET && bnd->family != AF_INET6)
		return -EADDRNOTAVAIL; /* a name as the relay address: nobody does that */
	if (bnd->port == 0)
		return -EADDRNOTAVAIL;
	if (!memcmp(bnd->addr, zero, bnd->family == AF_INET ? 4 : 16))
		return last_hop_addr(chain, ss, bnd->port);
	udp_sa_set(ss, bnd->family, bnd->addr, bnd->port);
	return 0;
}

int udp_assoc_open_up(const struct udp_assoc *as)
{
	struct sockaddr_storage ss;
	_cleanup_close_ int fd = -1;
	struct proxy_target b;
	int ret;

	if (proxy_hs_bound(as->hs, &b) < 0)
		return -EPROTO;
	ret = udp_relay_addr(as->chain, &b, &ss);
	if (ret < 0)
		return ret;
	fd = relay_chain_socket(as->chain, ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK);
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)&ss, udp_sa_len(&ss)) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}
