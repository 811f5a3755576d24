// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp.c - UDP of the apps in a subject (other than DNS): which chains carry
 * it (relay_udp_mode()), the subject's transparent listeners, and the
 * dispatch to its flows (udp_flow.c), their associations (udp_assoc.c) and
 * the apply-time probe (udp_probe.c).
 *
 * Datapath (DESIGN.md §1).  The subject's nft table tproxies marked UDP
 * (except DNS) to 127.0.0.1:RELAY_TPROXY_PORT and [::1]:RELAY_TPROXY_PORT,
 * where a transparent UDP listener (IP_RECVORIGDSTADDR) learns each
 * datagram's source and original destination: a flow is one pair of those.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "netns/netns.h"
#include "udp.h"
#include "util/macro.h"

socklen_t udp_sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

int udp_sock_error(int fd)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return neg_errno();
	return -err;
}

/* ---- which chains carry UDP ---- */

static enum relay_udp_mode kind_refused(enum proxy_kind kind, char *why, size_t len)
{
	if (kind == PROXY_HTTP)
		snprintf(why, len, "an HTTP proxy cannot carry UDP");
	else if (kind == PROXY_SOCKS4A)
		snprintf(why, len, "a SOCKS4a proxy cannot carry UDP");
	else
		snprintf(why, len, "this upstream cannot carry UDP");
	return RELAY_UDP_REFUSED;
}

/*
 * url = direct (always a chain of one, from its egress namespace): sent
 * from there.  Otherwise the last hop must speak SOCKS5: it is asked for UDP
 * ASSOCIATE through the hops before it, and the probe finds whether it
 * grants it and whether its relay address can be reached (udp_assoc.c).
 * The datagrams go to the last hop beside the hops before it, so it sees
 * where they come from: not behind a managed tor or i2pd, whose point is
 * that no hop after it does.
 */
enum relay_udp_mode relay_udp_mode(const struct relay_chain *chain, bool udp_on, char *why,
				   size_t len)
{
	const struct relay_hop *last;
	char hop[PROXY_NAME_MAX + 32];

	if (!udp_on) {
		snprintf(why, len, "udp = off");
		return RELAY_UDP_REFUSED;
	}
	if (chain->n_hops == 0) {
		snprintf(why, len, "the profile has no default chain (only routes)");
		return RELAY_UDP_REFUSED;
	}
	if (chain->direct) {
		snprintf(why, len, "direct from netns %s", chain->egress_ns);
		return RELAY_UDP_DIRECT;
	}
	last = &chain->hops[chain->n_hops - 1];
	if (last->kind != PROXY_SOCKS5 && last->kind != PROXY_SOCKS5H) {
		if (chain->n_hops == 1)
			return kind_refused(last->kind, why, len);
		kind_refused(last->kind, hop, sizeof(hop));
		snprintf(why, len, "the chain's last hop: %s", hop);
		return RELAY_UDP_REFUSED;
	}
	if (chain->n_hops > 1 && chain->hops[0].managed) {
		snprintf(why, len, "UDP would go to the last hop beside managed '%s'",
			 chain->hops[0].target.name);
		return RELAY_UDP_REFUSED;
	}
	relay_chain_describe(chain, chain->n_hops - 1, hop, sizeof(hop));
	snprintf(why, len, "SOCKS5 UDP ASSOCIATE via %s", hop);
	return RELAY_UDP_ASSOCIATE;
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
	    bind(fd, (struct sockaddr *)&ss, udp_sa_len(&ss)) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}

static int udp_subject_get(struct relay_subject *rs, int nsfd)
{
	struct udp_subject *us = rs->udp;
	int fd;

	fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (!us) {
		us = calloc(1, sizeof(*us));
		if (!us) {
			close(fd);
			return -ENOMEM;
		}
		us->kind = UO_SUBJECT;
		us->rs = rs;
		us->nsfd = -1;
		rs->udp = us;
	}
	/* The namespace may have been made anew since the last apply. */
	if (us->nsfd >= 0)
		close(us->nsfd);
	us->nsfd = fd;
	return 0;
}

int relay_udp_listen(struct relay *r, struct relay_subject *rs, int nsfd)
{
	static const int fams[2] = {AF_INET, AF_INET6};
	int ret, fd;

	if (rs->udp_mode == RELAY_UDP_REFUSED) {
		relay_udp_close(r, rs);
		return 0;
	}
	ret = udp_subject_get(rs, nsfd);
	if (ret < 0)
		return ret;
	for (int i = 0; i < 2; i++) {
		if (rs->udp_lis[i].fd >= 0)
			continue;
		fd = udp_listener_open(nsfd, fams[i]);
		if (fd < 0)
			return fd;
		rs->udp_lis[i] = (struct ev){.tag = EV_UDP, .fd = fd, .owner = rs->udp};
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
		loop_close(r->loop, &rs->udp_lis[i]);
	for (f = r->udp_flows; f; f = next) {
		next = f->next;
		if (f->rs == rs)
			udp_flow_free(r, f);
	}
	if (!rs->udp)
		return;
	if (rs->udp->probe)
		udp_probe_cancel(r, rs->udp->probe);
	if (rs->udp->nsfd >= 0)
		close(rs->udp->nsfd);
	/* Its listeners are closed: no later event of this batch reaches it (loop.h rule 3). */
	loop_defer_free(r->loop, TAKE_PTR(rs->udp), NULL);
}

/* ---- events ---- */

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
		udp_flow_datagram(r, rs, &app, &orig, buf, (size_t)n);
	}
}

void relay_udp_on_event(struct relay *r, struct ev *ev, uint32_t events)
{
	enum udp_owner *kind = ev->owner;

	switch (*kind) {
	case UO_SUBJECT:
		udp_on_listener(r, ((struct udp_subject *)ev->owner)->rs, ev->fd);
		break;
	case UO_FLOW:
		udp_flow_on_event(r, ev->owner, ev, events);
		break;
	case UO_PROBE:
		udp_probe_on_event(r, ev->owner);
		break;
	}
}

void relay_udp_tick(struct relay *r, uint64_t now)
{
	struct udp_flow *f, *next;

	udp_probe_tick(r, now);
	for (f = r->udp_flows; f; f = next) {
		next = f->next;
		udp_flow_tick(r, f, now);
	}
}
