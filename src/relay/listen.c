// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * listen.c - a subject's TCP listeners, made inside its namespace: the
 * transparent ones on RELAY_TPROXY_PORT (127.0.0.1 and ::1, IP_TRANSPARENT,
 * where the nft table's tproxy hands every TCP connection) and the
 * endpoints (socks-port, http-port), plus the sock_diag socket that
 * isolate = app asks about an app's owner.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netlink.h>

#include "conn.h"
#include "netns/netns.h"
#include "util/macro.h"

struct listen_args {
	int family;
	uint16_t port;
	bool transparent;
	int fd; /* out */
};

/* Runs inside the subject's namespace (netns_run_in). */
static int listen_in_ns(void *arg)
{
	struct listen_args *a = arg;
	_cleanup_close_ int fd = -1;
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1;

	fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(a->port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
		if (a->transparent && setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) < 0)
			return neg_errno();
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(a->port);
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
		if (setsockopt(fd, SOL_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		    (a->transparent &&
		     setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof(one)) < 0))
			return neg_errno();
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 4096) < 0)
		return neg_errno();
	a->fd = TAKE_FD(fd);
	return 0;
}

/* Open @ev (if closed) as a listener on loopback:@port of @family inside @nsfd. */
static int relay_listen_one(struct relay *r, int nsfd, struct ev *ev, enum ev_tag tag, void *owner,
			    int family, uint16_t port, bool transparent)
{
	struct listen_args a = {
		.family = family, .port = port, .transparent = transparent, .fd = -1};
	int ret;

	if (ev->fd >= 0)
		return 0;
	ret = netns_run_in(nsfd, listen_in_ns, &a);
	if (ret < 0)
		return ret;
	*ev = (struct ev){.tag = tag, .fd = a.fd, .owner = owner};
	ret = loop_add(r->loop, ev, EPOLLIN);
	if (ret < 0) {
		close(a.fd);
		ev->fd = -1;
	}
	return ret;
}

int relay_subject_listen(struct relay *r, struct relay_subject *rs, int nsfd)
{
	static const int fams[2] = {AF_INET, AF_INET6};
	const uint16_t ports[2] = {rs->socks_port, rs->http_port};
	int ret;

	for (int i = 0; i < 2; i++) {
		ret = relay_listen_one(r, nsfd, &rs->lis[i], EV_LISTENER, rs, fams[i],
				       RELAY_TPROXY_PORT, true);
		if (ret < 0)
			return ret;
	}
	if (relay_subject_isolates_apps(rs) && rs->diag_fd < 0) {
		ret = netns_socket(nsfd, AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
		if (ret < 0)
			return ret;
		rs->diag_fd = ret;
	}
	/* Endpoints follow the profile: opened when set, closed when unset. */
	for (int k = 0; k < 4; k++) {
		uint16_t port = ports[k / 2];

		if (!port) {
			loop_close(r->loop, &rs->ep[k]);
			continue;
		}
		ret = relay_listen_one(r, nsfd, &rs->ep[k], EV_ENDPOINT, rs, fams[k % 2], port,
				       false);
		if (ret < 0)
			return ret;
	}
	return 0;
}

void relay_listeners_close(struct relay *r, struct relay_subject *rs)
{
	if (rs->diag_fd >= 0)
		close(rs->diag_fd);
	rs->diag_fd = -1;
	for (int i = 0; i < 2; i++)
		loop_close(r->loop, &rs->lis[i]);
	for (int k = 0; k < 4; k++)
		loop_close(r->loop, &rs->ep[k]);
}
