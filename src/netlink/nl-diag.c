// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nl-diag.c - the owner of one TCP socket via inet_diag (see nl-diag.h).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "netlink/nl-diag.h"
#include "util/macro.h"

_Static_assert(NLMSG_HDRLEN + sizeof(struct inet_diag_req_v2) == NL_DIAG_REQ_LEN, "request size");

static int diag_addr(const struct sockaddr_storage *ss, __be16 *port, __be32 addr[4])
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		*port = in->sin_port;
		memcpy(addr, &in->sin_addr, 4);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		*port = in6->sin6_port;
		memcpy(addr, &in6->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int nl_diag_build_req(uint8_t buf[NL_DIAG_REQ_LEN], const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote, uint32_t seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct inet_diag_req_v2 *req = (struct inet_diag_req_v2 *)(buf + NLMSG_HDRLEN);

	memset(buf, 0, NL_DIAG_REQ_LEN);
	if (local->ss_family != remote->ss_family)
		return -EAFNOSUPPORT;
	/* inet_diag_find_one_icsk(): id.src/sport are the socket's own side. */
	if (diag_addr(local, &req->id.idiag_sport, req->id.idiag_src) < 0 ||
	    diag_addr(remote, &req->id.idiag_dport, req->id.idiag_dst) < 0)
		return -EAFNOSUPPORT;
	nlh->nlmsg_len = NL_DIAG_REQ_LEN;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST; /* no NLM_F_DUMP: an exact lookup */
	nlh->nlmsg_seq = seq;
	req->sdiag_family = (__u8)local->ss_family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = ~0u;
	req->id.idiag_cookie[0] = req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	return NL_DIAG_REQ_LEN;
}

static int diag_parse_attrs(const uint8_t *p, size_t len, struct nl_diag_owner *out)
{
	while (len >= sizeof(struct nlattr)) {
		const struct nlattr *a = (const struct nlattr *)p;
		size_t alen = a->nla_len, step = NLA_ALIGN(alen);

		if (alen < sizeof(*a) || alen > len)
			return -EBADMSG;
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_CGROUP_ID &&
		    alen == NLA_HDRLEN + sizeof(uint64_t))
			memcpy(&out->cgroup, p + NLA_HDRLEN, sizeof(uint64_t));
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return 0;
}

int nl_diag_parse_owner(const uint8_t *buf, size_t len, struct nl_diag_owner *out)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct inet_diag_msg msg;
	size_t body = NLMSG_ALIGN(sizeof(msg));

	memset(out, 0, sizeof(*out));
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
		return -EBADMSG;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr e;

		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(e))
			return -EBADMSG;
		memcpy(&e, buf + NLMSG_HDRLEN, sizeof(e));
		return e.error < 0 ? e.error : -EBADMSG;
	}
	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(msg))
		return -EBADMSG;
	memcpy(&msg, buf + NLMSG_HDRLEN, sizeof(msg));
	out->uid = msg.idiag_uid;
	if (nlh->nlmsg_len <= NLMSG_HDRLEN + body)
		return 0;
	return diag_parse_attrs(buf + NLMSG_HDRLEN + body, nlh->nlmsg_len - NLMSG_HDRLEN - body,
				out);
}

int nl_diag_owner(int fd, const struct sockaddr_storage *local,
		  const struct sockaddr_storage *remote, struct nl_diag_owner *out)
{
	uint8_t req[NL_DIAG_REQ_LEN], ans[1024];
	int len = nl_diag_build_req(req, local, remote, 1);
	ssize_t n;

	if (len < 0)
		return len;
	if (send(fd, req, (size_t)len, 0) != len)
		return errno ? neg_errno() : -EIO;
	/* The kernel answers within send(): the reply is queued, recv() does not wait. */
	n = recv(fd, ans, sizeof(ans), MSG_DONTWAIT);
	if (n < 0)
		return neg_errno();
	return nl_diag_parse_owner(ans, (size_t)n, out);
}
