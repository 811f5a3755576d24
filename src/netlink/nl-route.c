/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl-route.c - addresses, routes and policy rules over rtnetlink.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink/nl-internal.h"
#include "util/macro.h"

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static int addr_request(struct nl_sock *s, const struct nl_addr *a, uint16_t type, uint16_t flags)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, type, NLM_F_ACK | flags);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	if (a->family != AF_INET && a->family != AF_INET6)
		return -EAFNOSUPPORT;
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_index = (uint32_t)a->index;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	/* IPv4 wants IFA_LOCAL (own address) and IFA_ADDRESS (peer, = local here). */
	mnl_attr_put(nlh, IFA_LOCAL, addr_len(a->family), &a->a);
	mnl_attr_put(nlh, IFA_ADDRESS, addr_len(a->family), &a->a);
	if (a->family == AF_INET6 && type == RTM_NEWADDR) {
		/* nodad: usable at once, no 1 s of "tentative" (RFC 4862 §5.4). */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	}
	return nl_talk(s, nlh, NULL, NULL);
}

int nl_addr_add(struct nl_sock *s, const struct nl_addr *a)
{
	return addr_request(s, a, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE);
}

int nl_addr_del(struct nl_sock *s, const struct nl_addr *a)
{
	return addr_request(s, a, RTM_DELADDR, 0);
}

struct addr_dump {
	int index;
	struct nl_addr *out;
	size_t n;
	bool overflow;
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_dump *d = data;
	struct nlattr *tb[IFA_MAX + 1] = {0};
	const struct nlattr *attr;
	struct nl_addr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	if ((int)ifa->ifa_index != d->index ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return MNL_CB_OK;
	mnl_attr_for_each (attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) <= IFA_MAX)
			tb[mnl_attr_get_type(attr)] = (struct nlattr *)attr;
	}
	/* IFA_LOCAL is the own address on IPv4; IPv6 sends only IFA_ADDRESS. */
	attr = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!attr || mnl_attr_get_payload_len(attr) != addr_len(ifa->ifa_family))
		return MNL_CB_OK;
	if (d->n >= NL_MAX_ADDRS) {
		d->overflow = true;
		return MNL_CB_OK;
	}
	a = &d->out[d->n++];
	memset(a, 0, sizeof(*a));
	a->family = ifa->ifa_family;
	a->index = d->index;
	a->prefixlen = ifa->ifa_prefixlen;
	memcpy(&a->a, mnl_attr_get_payload(attr), addr_len(a->family));
	return MNL_CB_OK;
}

int nl_addr_dump(struct nl_sock *s, int index, struct nl_addr *out, size_t *n)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct addr_dump d = {.index = index, .out = out};
	int r;

	ifa->ifa_family = AF_UNSPEC;
	r = nl_talk(s, nlh, addr_cb, &d);
	*n = d.n;
	if (r < 0)
		return r;
	return d.overflow ? -E2BIG : 0;
}

int nl_addr_parse(const void *buf, size_t len, int index, struct nl_addr *out, size_t *n)
{
	struct nl_sock s = {0};
	struct addr_dump d = {.index = index, .out = out};
	int r = nl_reply_run(&s, buf, len, 0, addr_cb, &d);

	*n = d.n;
	return r;
}

static int route_request(struct nl_sock *s, const struct nl_route *r, uint16_t type, uint16_t flags)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, type, NLM_F_ACK | flags);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	if (r->family != AF_INET && r->family != AF_INET6)
		return -EAFNOSUPPORT;
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = 0; /* default route */
	/* Tables above 255 only fit in RTA_TABLE (rtnetlink(7)). */
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = r->protocol ? r->protocol : RTPROT_STATIC;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type;
	rtm->rtm_flags = r->flags & RTNH_F_ONLINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)r->oif);
	if (r->has_prio)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->priority);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, addr_len(r->family), &r->gw);
	if (r->has_src)
		mnl_attr_put(nlh, RTA_PREFSRC, addr_len(r->family), &r->src);
	return nl_talk(s, nlh, NULL, NULL);
}

int nl_route_add(struct nl_sock *s, const struct nl_route *r)
{
	return route_request(s, r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
}

int nl_route_del(struct nl_sock *s, const struct nl_route *r)
{
	return route_request(s, r, RTM_DELROUTE, 0);
}

int nl_route_add_excl(struct nl_sock *s, const struct nl_route *r, uint32_t table)
{
	struct nl_route copy = *r;

	copy.table = table;
	return route_request(s, &copy, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
}

struct route_dump {
	uint32_t table;
	struct nl_route *out;
	size_t n;
	bool overflow;
};

/* An address attribute of the route's family, or false. */
static bool route_ip(const struct nlattr *attr, int family, union nl_ip *ip)
{
	if (mnl_attr_get_payload_len(attr) != addr_len(family))
		return false;
	memcpy(ip, mnl_attr_get_payload(attr), addr_len(family));
	return true;
}

static int route_attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_route *r = data;

	switch (mnl_attr_get_type(attr)) {
	case RTA_DST:
		(void)route_ip(attr, r->family, &r->dst);
		r->other = true; /* not a default route: never copied */
		break;
	case RTA_TABLE:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			r->table = mnl_attr_get_u32(attr);
		break;
	case RTA_OIF:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			r->oif = (int)mnl_attr_get_u32(attr);
		break;
	case RTA_PRIORITY:
		r->has_prio = mnl_attr_validate(attr, MNL_TYPE_U32) >= 0;
		if (r->has_prio)
			r->priority = mnl_attr_get_u32(attr);
		break;
	case RTA_GATEWAY:
		r->has_gw = route_ip(attr, r->family, &r->gw);
		r->other |= !r->has_gw;
		r->nexthop = true;
		break;
	case RTA_MULTIPATH:
	case RTA_VIA:
		r->nexthop = true;
		r->other = true;
		break;
	case RTA_PREFSRC:
		r->has_src = route_ip(attr, r->family, &r->src);
		break;
	case RTA_SRC:
	case RTA_IIF:
	case RTA_ENCAP:
	case RTA_NH_ID:
		/* Not a plain default route: never copied. */
		r->other = true;
		break;
	}
	return MNL_CB_OK;
}

int nl_route_msg(const struct nlmsghdr *nlh, struct nl_route *out)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EINVAL;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EINVAL;
	out->family = rtm->rtm_family;
	out->table = rtm->rtm_table;
	out->type = rtm->rtm_type;
	out->scope = rtm->rtm_scope;
	out->protocol = rtm->rtm_protocol;
	out->flags = rtm->rtm_flags & RTNH_F_ONLINK;
	out->dst_len = rtm->rtm_dst_len;
	out->other = rtm->rtm_dst_len || rtm->rtm_src_len || rtm->rtm_tos ||
		     (rtm->rtm_flags & RTM_F_CLONED);
	mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, out);
	return 0;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_dump *d = data;
	struct nl_route r;

	if (nl_route_msg(nlh, &r) < 0 || r.other || r.table != d->table)
		return MNL_CB_OK;
	if (d->n >= NL_MAX_ROUTES)
		d->overflow = true;
	else
		d->out[d->n++] = r;
	return MNL_CB_OK;
}

int nl_route_dump(struct nl_sock *s, int family, uint32_t table, struct nl_route *out, size_t *n)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct route_dump d = {.table = table, .out = out};
	int r;

	rtm->rtm_family = (uint8_t)family;
	r = nl_talk(s, nlh, route_cb, &d);
	*n = d.n;
	if (r < 0)
		return r;
	return d.overflow ? -E2BIG : 0;
}

int nl_route_parse(const void *buf, size_t len, uint32_t table, struct nl_route *out, size_t *n)
{
	struct nl_sock s = {0};
	struct route_dump d = {.table = table, .out = out};
	int r = nl_reply_run(&s, buf, len, 0, route_cb, &d);

	*n = d.n;
	return r;
}

static int rule_request(struct nl_sock *s, const struct nl_rule *r, uint16_t type, uint16_t flags)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, type, NLM_F_ACK | flags);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	const struct fib_rule_port_range dport = {r->dport_start, r->dport_end};

	frh->family = (uint8_t)r->family;
	frh->action = r->action;
	frh->table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, r->prio);
	mnl_attr_put_u32(nlh, FRA_TABLE, r->table);
	/* Delete matches only the attributes given (fib_nl_delrule(), rule_find()). */
	if (r->fwmark || r->fwmask) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, r->fwmask);
	}
	/* FRA_IP_PROTO is a u8, FRA_DPORT_RANGE a struct fib_rule_port_range (Linux 4.17). */
	if (r->ip_proto)
		mnl_attr_put_u8(nlh, FRA_IP_PROTO, r->ip_proto);
	if (r->dport_start || r->dport_end)
		mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof(dport), &dport);
	return nl_talk(s, nlh, NULL, NULL);
}

int nl_rule_add(struct nl_sock *s, const struct nl_rule *r)
{
	return rule_request(s, r, RTM_NEWRULE, NLM_F_CREATE);
}

int nl_rule_del(struct nl_sock *s, const struct nl_rule *r)
{
	return rule_request(s, r, RTM_DELRULE, 0);
}

struct rule_dump {
	struct nl_rule *out;
	size_t n;
	bool overflow;
};

/* u32 attributes; a wrong size is ignored, as the kernel never sends one. */
static void rule_attr_u32(const struct nlattr *attr, struct nl_rule *r)
{
	uint32_t v;

	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return;
	v = mnl_attr_get_u32(attr);
	switch (mnl_attr_get_type(attr)) {
	case FRA_PRIORITY:
		r->prio = v;
		break;
	case FRA_FWMARK:
		r->fwmark = v;
		break;
	case FRA_FWMASK:
		r->fwmask = v;
		break;
	case FRA_TABLE:
		r->table = v;
		break;
	case FRA_SUPPRESS_PREFIXLEN:
	case FRA_SUPPRESS_IFGROUP:
		/* Always dumped as -1 (unset) by fib_nl_fill_rule(); any other value selects. */
		r->other |= v != UINT32_MAX;
		break;
	}
}

static int rule_attr_cb(const struct nlattr *attr, void *data)
{
	const struct fib_rule_port_range *pr;
	struct nl_rule *r = data;

	switch (mnl_attr_get_type(attr)) {
	case FRA_IP_PROTO:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) >= 0)
			r->ip_proto = mnl_attr_get_u8(attr);
		break;
	case FRA_DPORT_RANGE:
		if (mnl_attr_get_payload_len(attr) == sizeof(*pr)) {
			pr = mnl_attr_get_payload(attr);
			r->dport_start = pr->start;
			r->dport_end = pr->end;
		}
		break;
	case FRA_SRC:
	case FRA_DST:
	case FRA_IIFNAME:
	case FRA_OIFNAME:
	case FRA_SPORT_RANGE:
	case FRA_UID_RANGE:
	case FRA_TUN_ID:
	case FRA_GOTO:
		/* Selectors this module never sets: such a rule is not one of ours. */
		r->other = true;
		break;
	case FRA_L3MDEV:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) >= 0 && mnl_attr_get_u8(attr))
			r->other = true;
		break;
	default:
		rule_attr_u32(attr, r);
		break;
	}
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	struct rule_dump *d = data;
	struct nl_rule *r;

	if (nlh->nlmsg_type != RTM_NEWRULE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*frh)))
		return MNL_CB_OK;
	if (d->n >= NL_MAX_RULES) {
		d->overflow = true;
		return MNL_CB_OK;
	}
	r = &d->out[d->n++];
	memset(r, 0, sizeof(*r));
	r->family = frh->family;
	r->action = frh->action;
	r->table = frh->table;
	r->other = frh->src_len || frh->dst_len || frh->tos || (frh->flags & FIB_RULE_INVERT);
	mnl_attr_parse(nlh, sizeof(*frh), rule_attr_cb, r);
	return MNL_CB_OK;
}

int nl_rule_dump(struct nl_sock *s, int family, struct nl_rule *out, size_t *n)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, RTM_GETRULE, NLM_F_DUMP);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	struct rule_dump d = {.out = out};
	int r;

	frh->family = (uint8_t)family;
	r = nl_talk(s, nlh, rule_cb, &d);
	*n = d.n;
	if (r < 0)
		return r;
	return d.overflow ? -E2BIG : 0;
}

int nl_rule_parse(const void *buf, size_t len, struct nl_rule *out, size_t *n)
{
	struct nl_sock s = {0};
	struct rule_dump d = {.out = out};
	int r = nl_reply_run(&s, buf, len, 0, rule_cb, &d);

	*n = d.n;
	return r;
}
