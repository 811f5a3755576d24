/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_nl.c - rtnetlink reply parsing on hand-built kernel replies (no root):
 * dumps, the ack, NLMSG_ERROR with extended ack (netlink(7)), forged lengths.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netlink/nl-internal.h"
#include "tap.h"

static char buf[8192] __attribute__((aligned(4)));
static size_t used;

static struct nlmsghdr *put(uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + used);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

static void done(struct nlmsghdr *nlh)
{
	used += MNL_ALIGN(nlh->nlmsg_len);
}

static void put_addr(int family, int index, uint8_t plen, const char *local, const char *peer)
{
	struct nlmsghdr *nlh = put(RTM_NEWADDR, NLM_F_MULTI);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	struct in6_addr a;
	size_t len = family == AF_INET ? 4 : 16;

	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_index = (uint32_t)index;
	ifa->ifa_prefixlen = plen;
	inet_pton(family, peer, &a);
	mnl_attr_put(nlh, IFA_ADDRESS, len, &a);
	if (local) {
		inet_pton(family, local, &a);
		mnl_attr_put(nlh, IFA_LOCAL, len, &a);
	}
	done(nlh);
}

static void put_error(int error, uint16_t flags, const char *msg, uint32_t orig_len)
{
	struct nlmsghdr *nlh = put(NLMSG_ERROR, flags);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = error;
	e->msg.nlmsg_len = orig_len;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	done(nlh);
}

static void test_addr_dump(void)
{
	struct nl_addr a[NL_MAX_ADDRS];
	struct nlmsghdr *nlh;
	char txt[INET6_ADDRSTRLEN];
	size_t n = 99;

	used = 0;
	put_addr(AF_INET6, 3, 128, NULL, "2001:db8::1");
	put_addr(AF_INET6, 4, 64, NULL, "2001:db8::2");
	put_addr(AF_INET, 3, 32, "198.51.100.1", "198.51.100.2");
	nlh = put(NLMSG_DONE, NLM_F_MULTI);
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	done(nlh);
	is_int(nl_addr_parse(buf, used, 3, a, &n), 0, "address dump ends at NLMSG_DONE");
	is_int(n, 2, "two addresses on ifindex 3, the other link's skipped");
	is_int(a[0].family, AF_INET6, "first is IPv6");
	is_int(a[0].prefixlen, 128, "/128");
	is_str(inet_ntop(AF_INET6, &a[0].a.v6, txt, sizeof(txt)), "2001:db8::1", "IPv6 address");
	is_int(a[1].prefixlen, 32, "/32");
	is_str(inet_ntop(AF_INET, &a[1].a.v4, txt, sizeof(txt)), "198.51.100.1",
	       "IPv4: IFA_LOCAL wins over IFA_ADDRESS (the peer)");
	is_int(nl_addr_parse(buf, used - 20, 3, a, &n), 1, "without NLMSG_DONE: more to come");
}

static void test_errors(void)
{
	struct nl_sock s = {0};
	struct nl_link l;

	used = 0;
	put_error(-EEXIST, NLM_F_CAPPED | NLM_F_ACK_TLVS, "veth: name taken", 16);
	is_int(nl_reply_run(&s, buf, used, 0, NULL, NULL), -EEXIST, "error carries the errno");
	is_str(s.ext, "veth: name taken", "capped error: extack text kept");

	/* Uncapped: the request (header + 4 bytes) is echoed before the TLVs. */
	used = 0;
	{
		struct nlmsghdr *nlh = put(NLMSG_ERROR, NLM_F_ACK_TLVS);
		struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

		e->error = -ENODEV;
		e->msg.nlmsg_len = sizeof(struct nlmsghdr) + 4;
		mnl_nlmsg_put_extra_header(nlh, 4);
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no such dev");
		done(nlh);
	}
	s.ext[0] = '\0';
	is_int(nl_reply_run(&s, buf, used, 0, NULL, NULL), -ENODEV, "uncapped error errno");
	is_str(s.ext, "no such dev", "uncapped error: extack text after the echoed request");

	used = 0;
	put_error(-EPERM, NLM_F_ACK_TLVS, "x", 3); /* echoed length shorter than a header */
	s.ext[0] = '\0';
	is_int(nl_reply_run(&s, buf, used, 0, NULL, NULL), -EPERM, "forged echo length: errno");
	is_str(s.ext, "", "forged echo length: no text read");

	used = 0;
	put_error(-EPERM, NLM_F_ACK_TLVS, "x", 0xfffffff0u);
	is_int(nl_reply_run(&s, buf, used, 0, NULL, NULL), -EPERM, "huge echo length: errno");

	used = 0;
	put_error(INT_MIN, 0, NULL, 16);
	is_int(nl_reply_run(&s, buf, used, 0, NULL, NULL), -EPROTO, "INT_MIN error: -EPROTO");
	used = 0;
	put_error(5, 0, NULL, 16);
	is_int(nl_reply_run(&s, buf, used, 0, NULL, NULL), -EPROTO, "positive error: -EPROTO");
	used = 0;
	put_error(0, 0, NULL, 16);
	is_int(nl_link_parse(buf, used, &l), 0, "ack ends the reply");
	used = 0;
	put_error(0, 0, NULL, 16);
	((struct nlmsghdr *)buf)->nlmsg_len = 0xffffffffu; /* libmnl reads it as -1 */
	is_int(nl_link_parse(buf, used, &l), -EBADMSG, "length 0xffffffff: -EBADMSG");
	((struct nlmsghdr *)buf)->nlmsg_len =
		(uint32_t)used - 1; /* padding would be past the end */
	is_int(nl_link_parse(buf, used - 1, &l), -EBADMSG, "unpadded last message: -EBADMSG");
	/* libmnl stops at a partial header (mnl_nlmsg_ok()): nothing read, nothing ended. */
	is_int(nl_link_parse(buf, 7, &l), 1, "truncated header: ignored");
	is_int(l.index, 0, "truncated header: no link");
}

static void test_link(void)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *info;
	struct nl_link l;

	used = 0;
	nlh = put(RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 7;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_LINK, 8);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "nsp-up0");
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, info);
	done(nlh);
	put_error(0, 0, NULL, 16);
	is_int(nl_link_parse(buf, used, &l), 0, "link reply then ack");
	is_int(l.index, 7, "ifindex");
	is_int(l.link, 8, "peer ifindex");
	ok(l.flags & IFF_UP, "IFF_UP");
	is_str(l.kind, "veth", "kind");
	is_str(l.name, "nsp-up0", "name");
	ok(!l.link_netns, "peer in the same namespace");
}

/* put_route FAMILY TABLE DST_LEN GW: one RTM_NEWROUTE of a route dump. */
static struct nlmsghdr *put_route(int family, uint32_t table, uint8_t dst_len, const char *gw)
{
	struct nlmsghdr *nlh = put(RTM_NEWROUTE, NLM_F_MULTI);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct in6_addr a;

	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rtm->rtm_dst_len = dst_len;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_protocol = RTPROT_BOOT;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	mnl_attr_put_u32(nlh, RTA_OIF, 3);
	if (gw) {
		inet_pton(family, gw, &a);
		mnl_attr_put(nlh, RTA_GATEWAY, family == AF_INET ? 4 : 16, &a);
	}
	return nlh;
}

/* Default routes of one table are kept with what re-adding them needs; others are not. */
static void test_route(void)
{
	struct nl_route r[NL_MAX_ROUTES];
	struct nlmsghdr *nlh;
	char text[INET6_ADDRSTRLEN];
	size_t n;

	used = 0;
	nlh = put_route(AF_INET, RT_TABLE_MAIN, 0, "198.51.100.129");
	mnl_attr_put_u32(nlh, RTA_PRIORITY, 100);
	done(nlh);
	done(put_route(AF_INET, RT_TABLE_MAIN, 24, NULL));  /* not a default route */
	done(put_route(AF_INET, 20053, 0, "198.51.100.1")); /* another table */
	nlh = put_route(AF_INET6, RT_TABLE_MAIN, 0, NULL);
	mnl_attr_put(nlh, RTA_MULTIPATH, 8, "\0\0\0\0\0\0\0\0"); /* multipath: not copied */
	done(nlh);
	nlh = put_route(AF_INET, RT_TABLE_MAIN, 0, NULL);
	mnl_attr_put(nlh, RTA_GATEWAY, 3, "abc"); /* wrongly sized gateway: not copied */
	done(nlh);
	is_int(nl_route_parse(buf, used, RT_TABLE_MAIN, r, &n), 1, "route dump continues");
	is_int(n, 1, "one default route of the main table");
	ok(r[0].family == AF_INET && r[0].oif == 3 && r[0].has_prio && r[0].priority == 100 &&
		   r[0].protocol == RTPROT_BOOT && r[0].type == RTN_UNICAST,
	   "family, device, metric, protocol, type");
	ok(r[0].has_gw && inet_ntop(AF_INET, &r[0].gw, text, sizeof(text)) &&
		   strcmp(text, "198.51.100.129") == 0,
	   "gateway 198.51.100.129");
	is_int(nl_route_parse(buf, used, 20053, r, &n), 1, "table 20053");
	ok(n == 1 && r[0].table == 20053, "its one default route (RTA_TABLE above 255)");
}

/* nl_route_msg(): what the audit reads of a route that nl_route_dump() skips. */
static void test_route_msg(void)
{
	struct nl_route r;
	struct nlmsghdr *nlh;
	struct in_addr dst;
	char text[INET6_ADDRSTRLEN];

	used = 0;
	nlh = put_route(AF_INET, RT_TABLE_MAIN, 24, NULL);
	inet_pton(AF_INET, "203.0.113.0", &dst);
	mnl_attr_put(nlh, RTA_DST, 4, &dst);
	mnl_attr_put(nlh, RTA_MULTIPATH, 8, "\0\0\0\0\0\0\0\0");
	done(nlh);
	is_int(nl_route_msg(nlh, &r), 0, "route message parsed");
	ok(r.other && r.nexthop && r.dst_len == 24 && r.oif == 3 && r.table == RT_TABLE_MAIN,
	   "a multipath prefix route: other, leads to a next hop, /24, device, table");
	ok(inet_ntop(AF_INET, &r.dst, text, sizeof(text)) && strcmp(text, "203.0.113.0") == 0,
	   "its destination 203.0.113.0");
	used = 0;
	nlh = put_route(AF_INET6, RT_TABLE_MAIN, 0, "2001:db8::1");
	done(nlh);
	is_int(nl_route_msg(nlh, &r), 0, "default route parsed");
	ok(!r.other && r.nexthop && r.has_gw && r.dst_len == 0, "a default route via a gateway");
	used = 0;
	nlh = put_route(AF_INET, RT_TABLE_MAIN, 0, NULL);
	((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_family = AF_BRIDGE;
	done(nlh);
	is_int(nl_route_msg(nlh, &r), -EINVAL, "a bridge route: -EINVAL");
}

static void test_rule(void)
{
	struct nl_rule r[NL_MAX_RULES];
	struct nlmsghdr *nlh = (used = 0, put(RTM_NEWRULE, NLM_F_MULTI));
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	size_t n;

	frh->family = AF_INET6;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 100);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0x4e53);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
	mnl_attr_put_u32(nlh, FRA_TABLE, 20051);
	mnl_attr_put_u16(nlh, FRA_SUPPRESS_PREFIXLEN, 1); /* wrong size for a u32: ignored */
	done(nlh);
	is_int(nl_rule_parse(buf, used, r, &n), 1, "rule dump continues");
	is_int(n, 1, "one rule");
	ok(r[0].family == AF_INET6 && r[0].action == FR_ACT_TO_TBL, "family and action");
	ok(r[0].prio == 100 && r[0].fwmark == 0x4e53 && r[0].fwmask == 0xffffffffu &&
		   r[0].table == 20051,
	   "prio, fwmark, mask and table");
}

/* A refusal rule: FRA_IP_PROTO (u8) and FRA_DPORT_RANGE, then a foreign one. */
static void test_rule_proto(void)
{
	const struct fib_rule_port_range pr = {54, 65535};
	struct nl_rule r[NL_MAX_RULES];
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;
	size_t n;

	used = 0;
	nlh = put(RTM_NEWRULE, NLM_F_MULTI);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 90);
	mnl_attr_put_u32(nlh, FRA_TABLE, 20052);
	mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0xffffffffu); /* the kernel's "unset" */
	mnl_attr_put_u8(nlh, FRA_IP_PROTO, IPPROTO_UDP);
	mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof(pr), &pr);
	done(nlh);
	nlh = put(RTM_NEWRULE, NLM_F_MULTI);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET;
	frh->action = FR_ACT_TO_TBL;
	frh->src_len = 8; /* `from 10.0.0.0/8` */
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 90);
	mnl_attr_put_u32(nlh, FRA_TABLE, 20052);
	mnl_attr_put_u32(nlh, FRA_IP_PROTO, IPPROTO_ICMP); /* u32: wrong size, ignored */
	mnl_attr_put(nlh, FRA_DPORT_RANGE, 2, &pr);	   /* short: ignored */
	done(nlh);
	nlh = put(RTM_NEWRULE, NLM_F_MULTI);
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_INET6;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, 90);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, "lo");
	mnl_attr_put_u8(nlh, FRA_IP_PROTO, IPPROTO_ICMPV6);
	done(nlh);
	nlh = put(NLMSG_DONE, NLM_F_MULTI);
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	done(nlh);
	is_int(nl_rule_parse(buf, used, r, &n), 0, "rule dump ends at NLMSG_DONE");
	is_int(n, 3, "three rules");
	ok(r[0].prio == 90 && r[0].table == 20052 && r[0].ip_proto == IPPROTO_UDP,
	   "FRA_IP_PROTO read as u8 (ipproto udp)");
	ok(r[0].dport_start == 54 && r[0].dport_end == 65535, "FRA_DPORT_RANGE 54-65535");
	ok(!r[0].other, "suppress_prefixlen -1 is not a selector");
	ok(r[1].ip_proto == 0 && r[1].dport_start == 0 && r[1].dport_end == 0,
	   "wrongly sized ip_proto and port range ignored");
	ok(r[1].other, "`from` prefix marks the rule as not ours");
	ok(r[2].other && r[2].ip_proto == IPPROTO_ICMPV6, "iif marks the rule as not ours");
}

int main(void)
{
	test_addr_dump();
	test_errors();
	test_link();
	test_rule();
	test_rule_proto();
	test_route();
	test_route_msg();
	return tap_done();
}
