// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * egress.c - sockets made in another network namespace (egress.h): the
 * socket broker of `netnsp run` (the daemon's egress namespaces: egress_ns.c).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "egress.h"
#include "util/macro.h"

struct egress_req {
	int32_t family;
	int32_t type;
};

struct egress_rep {
	int32_t err; /* 0: the fd rides along; else a negative errno */
};

static int egress_recv_fd(int fd, struct egress_rep *rep)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = rep, .iov_len = sizeof(*rep)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t n;
	int got = -1;

	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return neg_errno();
	if (n != sizeof(*rep))
		return -EPROTO;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(c), sizeof(int));
	if (rep->err < 0) {
		if (got >= 0)
			close(got);
		return rep->err;
	}
	return got >= 0 ? got : -EPROTO;
}

static int egress_ask(struct relay_egress *eg, int family, int type)
{
	struct egress_req req = {.family = family, .type = type};

	if (send(eg->fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return -EPIPE;
	return 0;
}

void egress_prime(struct relay_egress *eg, int family, int type)
{
	if (eg->pending || egress_ask(eg, family, type) < 0)
		return;
	eg->pending = true;
	eg->pend_family = family;
	eg->pend_type = type;
}

int egress_socket(struct relay_egress *eg, int family, int type)
{
	struct egress_rep rep = {0};
	int fd = -EAGAIN;

	if (!eg) {
		fd = socket(family, type | SOCK_CLOEXEC, 0);
		return fd < 0 ? neg_errno() : fd;
	}
	if (eg->pending) {
		eg->pending = false;
		fd = egress_recv_fd(eg->fd, &rep);
		if (fd >= 0 && (eg->pend_family != family || eg->pend_type != type)) {
			close(fd);
			fd = -EAGAIN;
		}
	}
	if (fd == -EAGAIN) {
		fd = egress_ask(eg, family, type);
		if (fd == 0)
			fd = egress_recv_fd(eg->fd, &rep);
	}
	if (fd >= 0)
		egress_prime(eg, family, type);
	return fd;
}

static int egress_reply(int fd, int err, int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct egress_rep rep = {.err = err};
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (sock >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sock, sizeof(int));
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return errno == EPIPE || errno == ECONNRESET ? 0 : neg_errno(); /* the peer left */
	return 1;
}

int egress_serve_one(int fd)
{
	struct egress_req req;
	_cleanup_close_ int sock = -1;
	int type;
	ssize_t n;

	n = recv(fd, &req, sizeof(req), MSG_DONTWAIT);
	/* ECONNRESET: the peer closed with a reply of ours unread (one asked ahead). */
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : neg_errno();
	if (n != sizeof(req))
		return egress_reply(fd, -EPROTO, -1);
	type = req.type & ~SOCK_NONBLOCK;
	/* Only what the relay dials with: never raw, netlink or packet sockets. */
	if ((req.family != AF_INET && req.family != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM))
		return egress_reply(fd, -EPERM, -1);
	sock = socket(req.family, req.type | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return egress_reply(fd, neg_errno(), -1);
	return egress_reply(fd, 0, sock);
}
