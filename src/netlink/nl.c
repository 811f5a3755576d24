/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl.c - rtnetlink request/response plumbing and link helpers on libmnl.
 *
 * Every request carries NLM_F_ACK (or NLM_F_DUMP), so the kernel always
 * answers with NLMSG_ERROR (error 0 = ack) or NLMSG_DONE; the error message
 * is parsed here rather than by mnl_cb_run() so that the extended ack
 * (NLMSGERR_ATTR_MSG, netlink(7) "NETLINK_EXT_ACK") is kept.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "netlink/nl-internal.h"
#include "netlink/nl.h"
#include "util/macro.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int nl_sock_open(struct nl_sock *s)
{
	int one = 1, r;

	memset(s, 0, sizeof(*s));
	s->buf = malloc(NL_BUF_SIZE);
	if (!s->buf)
		return -ENOMEM;
	s->mnl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!s->mnl)
		goto fail;
	/* Both are best effort: old kernels simply give no extack text. */
	(void)mnl_socket_setsockopt(s->mnl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(s->mnl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(s->mnl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	s->portid = mnl_socket_get_portid(s->mnl);
	s->seq = (uint32_t)time(NULL);
	return 0;
fail:
	r = neg_errno();
	nl_sock_close(s);
	return r;
}

void nl_sock_close(struct nl_sock *s)
{
	if (s->mnl)
		mnl_socket_close(s->mnl);
	s->mnl = NULL;
	free(s->buf);
	s->buf = NULL;
}

/* Copy attribute @attr into @buf if it is a NUL-terminated string; else leave @buf. */
static void attr_str(const struct nlattr *attr, char *buf, size_t size)
{
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(buf, size, "%s", mnl_attr_get_str(attr));
}

static int ext_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_sock *s = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
		attr_str(attr, s->ext, sizeof(s->ext));
	return MNL_CB_OK;
}

/* NLMSG_ERROR: error 0 is the ack; otherwise keep the extack message. */
static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct nl_sock *s = data;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (e->error > 0 || e->error < -4095) {
		/* Not an errno (the kernel sends -MAX_ERRNO..-1): a forged reply. */
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* Without NLM_F_CAPPED the request's payload sits before the TLVs. */
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
				off = SIZE_MAX;
			else
				off += MNL_ALIGN(e->msg.nlmsg_len - sizeof(struct nlmsghdr));
		}
		/* Compare without adding to @off: a forged length must not wrap. */
		if (off <= nlh->nlmsg_len - MNL_NLMSG_HDRLEN)
			mnl_attr_parse(nlh, (unsigned int)off, ext_attr_cb, s);
	}
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	return MNL_CB_OK;
}

struct cb_pair {
	struct nl_sock *s;
	mnl_cb_t cb;
	void *data;
};

/* The error callback needs the socket, the data callback its own data. */
static int data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cb_pair *p = data;

	return p->cb ? p->cb(nlh, p->data) : MNL_CB_OK;
}

static int ctl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct cb_pair *p = data;

	return error_cb(nlh, p->s);
}

/*
 * libmnl 1.0.4's mnl_nlmsg_ok() compares (int)nlmsg_len, so a length with
 * the top bit set passes and mnl_nlmsg_next() jumps out of the buffer, and
 * its attribute walk trusts the padding after nlmsg_len: check every length,
 * unsigned and aligned, first.  The kernel only sends padded, exact replies.
 */
static bool reply_lengths_ok(const char *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	size_t step;

	while (len >= sizeof(*nlh)) {
		nlh = (const struct nlmsghdr *)buf;
		/* Attribute walks run to the aligned tail (mnl_nlmsg_get_payload_tail()). */
		step = MNL_ALIGN((size_t)nlh->nlmsg_len); /* size_t: no wrap at 4 GiB */
		if (nlh->nlmsg_len < sizeof(*nlh) || step > len)
			return false;
		buf += step;
		len -= step;
	}
	return true;
}

int nl_reply_run(struct nl_sock *s, const void *buf, size_t len, uint32_t seq,
		 int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {[NLMSG_NOOP] = noop_cb,
					[NLMSG_ERROR] = ctl_error_cb,
					[NLMSG_DONE] = done_cb,
					[NLMSG_OVERRUN] = noop_cb};
	struct cb_pair pair = {.s = s, .cb = cb, .data = data};
	int r;

	if (!reply_lengths_ok(buf, len))
		return -EBADMSG;
	errno = 0;
	r = mnl_cb_run2(buf, len, seq, s->portid, data_cb, &pair, ctl, ARRAY_SIZE(ctl));
	if (r == MNL_CB_ERROR)
		return neg_errno();
	return r == MNL_CB_STOP ? 0 : 1;
}

int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t seq = ++s->seq;
	ssize_t n;
	int r;

	s->ext[0] = '\0';
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(s->mnl, nlh, nlh->nlmsg_len) < 0)
		return neg_errno();
	do {
		n = mnl_socket_recvfrom(s->mnl, s->buf, NL_BUF_SIZE);
		if (n < 0)
			return neg_errno();
		r = nl_reply_run(s, s->buf, (size_t)n, seq, cb, data);
	} while (r > 0);
	return r;
}

struct nlmsghdr *nl_msg_start(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int link_info_cb(const struct nlattr *attr, void *data)
{
	struct nl_link *l = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND)
		attr_str(attr, l->kind, sizeof(l->kind));
	return MNL_CB_OK;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_link *l = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_LINK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			l->link = (int)mnl_attr_get_u32(attr);
		break;
	case IFLA_LINK_NETNSID:
		l->link_netns = true;
		break;
	case IFLA_IFNAME:
		attr_str(attr, l->name, sizeof(l->name));
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			mnl_attr_parse_nested(attr, link_info_cb, l);
		break;
	}
	return MNL_CB_OK;
}

int nl_link_msg(const struct nlmsghdr *nlh, struct nl_link *out)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->index = ifi->ifi_index;
	out->flags = ifi->ifi_flags;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr_cb, out);
	return 0;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link l;

	/* A unicast request is answered by one message, then the ack. */
	if (nl_link_msg(nlh, &l) == 0)
		*(struct nl_link *)data = l;
	return MNL_CB_OK;
}

int nl_link_get(struct nl_sock *s, const char *name, struct nl_link *out)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int r;

	if (strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	nlh = nl_msg_start(buf, RTM_GETLINK, NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	r = nl_talk(s, nlh, link_cb, out);
	if (r < 0)
		return r;
	return out->index > 0 ? 0 : -ENODEV;
}

int nl_link_parse(const void *buf, size_t len, struct nl_link *out)
{
	struct nl_sock s = {0};

	memset(out, 0, sizeof(*out));
	return nl_reply_run(&s, buf, len, 0, link_cb, out);
}

struct link_dump {
	struct nl_link *out;
	size_t n;
	bool overflow;
};

static int link_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_dump *d = data;
	struct nl_link l = {0};

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	link_cb(nlh, &l);
	if (l.index <= 0)
		return MNL_CB_OK;
	if (d->n >= NL_MAX_LINKS)
		d->overflow = true;
	else
		d->out[d->n++] = l;
	return MNL_CB_OK;
}

int nl_link_dump(struct nl_sock *s, struct nl_link *out, size_t *n)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	struct link_dump d = {.out = out};
	int r;

	ifi->ifi_family = AF_UNSPEC;
	r = nl_talk(s, nlh, link_dump_cb, &d);
	*n = d.n;
	if (r < 0)
		return r;
	return d.overflow ? -E2BIG : 0;
}

int nl_link_index(struct nl_sock *s, const char *name)
{
	struct nl_link l;
	int r = nl_link_get(s, name, &l);

	return r < 0 ? r : l.index;
}

int nl_link_add_veth(struct nl_sock *s, const char *name, const char *peer)
{
	char buf[NL_REQ_SIZE];
	struct nlattr *info, *data, *pn;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	if (strlen(name) >= IFNAMSIZ || strlen(peer) >= IFNAMSIZ)
		return -EINVAL;
	nlh = nl_msg_start(buf, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER holds a struct ifinfomsg followed by the peer's IFLA_* (veth.c). */
	pn = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, pn);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return nl_talk(s, nlh, NULL, NULL);
}

int nl_link_set_up(struct nl_sock *s, int index)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(s, nlh, NULL, NULL);
}

int nl_link_del(struct nl_sock *s, int index)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	return nl_talk(s, nlh, NULL, NULL);
}

int nl_lo_up(void)
{
	struct nl_sock s;
	int r;

	r = nl_sock_open(&s);
	if (r < 0)
		return r;
	r = nl_link_index(&s, "lo");
	if (r > 0)
		r = nl_link_set_up(&s, r);
	nl_sock_close(&s);
	return r;
}
