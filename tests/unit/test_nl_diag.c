// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_nl_diag.c - the inet_diag request for one socket, byte by byte, and
 * the owner read back from answers, well formed or not (src/netlink/nl-diag.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "netlink/nl-diag.h"
#include "tap.h"

static struct sockaddr_storage v4(const char *a, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	inet_pton(AF_INET, a, &in->sin_addr);
	return ss;
}

static void test_request(void)
{
	struct sockaddr_storage l = v4("198.51.100.7", 40000), r = v4("203.0.113.10", 80), l6 = {0};
	uint8_t buf[NL_DIAG_REQ_LEN];
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct inet_diag_req_v2 *req = (const void *)(buf + NLMSG_HDRLEN);

	is_int(nl_diag_build_req(buf, &l, &r, 7), NL_DIAG_REQ_LEN, "request: length");
	is_int(nlh->nlmsg_len, NL_DIAG_REQ_LEN, "request: nlmsg_len");
	is_int(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY, "request: SOCK_DIAG_BY_FAMILY");
	is_int(nlh->nlmsg_flags, NLM_F_REQUEST, "request: an exact lookup, not a dump");
	is_int(nlh->nlmsg_seq, 7, "request: sequence number");
	is_int(req->sdiag_family, AF_INET, "request: family");
	is_int(req->sdiag_protocol, IPPROTO_TCP, "request: TCP");
	is_int(ntohs(req->id.idiag_sport), 40000, "request: the socket's own port as sport");
	is_int(ntohs(req->id.idiag_dport), 80, "request: the peer's port as dport");
	ok(memcmp(req->id.idiag_src, "\xc6\x33\x64\x07", 4) == 0, "request: own address as src");
	ok(memcmp(req->id.idiag_dst, "\xcb\x00\x71\x0a", 4) == 0, "request: peer address as dst");
	ok(req->id.idiag_cookie[0] == INET_DIAG_NOCOOKIE &&
		   req->id.idiag_cookie[1] == INET_DIAG_NOCOOKIE,
	   "request: no cookie");
	l6.ss_family = AF_INET6;
	is_int(nl_diag_build_req(buf, &l6, &r, 1), -EAFNOSUPPORT,
	       "request: mixed families refused");
}

/* An answer: nlmsghdr + inet_diag_msg (uid) + optionally a CGROUP_ID attribute. */
static size_t answer(uint8_t *buf, uint32_t uid, bool cgroup, uint64_t cg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct inet_diag_msg *m = (struct inet_diag_msg *)(buf + NLMSG_HDRLEN);
	size_t len = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*m));

	memset(buf, 0, 256);
	m->idiag_family = AF_INET;
	m->idiag_uid = uid;
	if (cgroup) {
		struct nlattr *a = (struct nlattr *)(buf + len);

		a->nla_type = INET_DIAG_CGROUP_ID;
		a->nla_len = NLA_HDRLEN + 8;
		memcpy(buf + len + NLA_HDRLEN, &cg, 8);
		len += NLA_ALIGN(a->nla_len);
	}
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	return len;
}

static void test_parse(void)
{
	uint8_t buf[256];
	struct nl_diag_owner o;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	size_t len;

	len = answer(buf, 1000, true, 4242);
	ok(nl_diag_parse_owner(buf, len, &o) == 0 && o.uid == 1000 && o.cgroup == 4242,
	   "answer: uid and cgroup id");
	len = answer(buf, 65534, false, 0);
	ok(nl_diag_parse_owner(buf, len, &o) == 0 && o.uid == 65534 && o.cgroup == 0,
	   "answer without a cgroup attribute (kernel < 5.10): uid, cgroup 0");
	is_int(nl_diag_parse_owner(buf, len - 1, &o), -EBADMSG, "answer cut short: EBADMSG");
	is_int(nl_diag_parse_owner(buf, 3, &o), -EBADMSG, "shorter than a header: EBADMSG");
	len = answer(buf, 0, true, 1);
	((struct nlattr *)(buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct inet_diag_msg))))
		->nla_len = 200;
	is_int(nl_diag_parse_owner(buf, len, &o), -EBADMSG, "attribute past the end: EBADMSG");
	memset(buf, 0, sizeof(buf));
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
	((struct nlmsgerr *)(buf + NLMSG_HDRLEN))->error = -ENOENT;
	is_int(nl_diag_parse_owner(buf, nlh->nlmsg_len, &o), -ENOENT,
	       "NLMSG_ERROR: the kernel's errno (no such socket)");
}

int main(void)
{
	test_request();
	test_parse();
	return tap_done();
}
