/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl-internal.h - small rtnetlink helpers on a libmnl socket, used by
 * nl-subject.c and netns.c.  They act on the network namespace of the
 * calling thread (the socket's namespace is fixed when it is opened), return
 * 0 or the kernel's negative errno, and keep the kernel's extended-ack text
 * (NETLINK_EXT_ACK, NLMSGERR_ATTR_MSG) of the last failure in s->ext.
 */
#ifndef NETNSP_NL_INTERNAL_H
#define NETNSP_NL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

struct mnl_socket;
struct nlmsghdr;

struct nl_sock {
	struct mnl_socket *mnl; /* owned */
	char *buf;		/* owned: receive buffer of NL_BUF_SIZE bytes */
	uint32_t portid;
	uint32_t seq;
	char ext[160]; /* extack text of the last error, "" if none */
};

#define NL_BUF_SIZE 32768u
#define NL_REQ_SIZE 1024u /* requests are small: a few attributes */
#define NL_MAX_ADDRS 64
#define NL_MAX_RULES 128
#define NL_MAX_ROUTES 32 /* default routes of one table and family */
#define NL_MAX_LINKS 64

struct nl_link {
	int index;
	unsigned int flags; /* IFF_* */
	int link;	    /* IFLA_LINK: a veth's peer ifindex, 0 if none */
	bool link_netns;    /* IFLA_LINK_NETNSID: @link is in another namespace */
	char kind[16];	    /* IFLA_INFO_KIND, "" if none */
	char name[16];	    /* IFLA_IFNAME (IFNAMSIZ) */
};

struct nl_addr {
	int family;
	int index;
	uint8_t prefixlen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} a;
};

union nl_ip {
	struct in_addr v4;
	struct in6_addr v6;
};

/*
 * A default route (destination 0/0).  netnsp's own routes set only the first
 * five fields; a dumped route also carries what is needed to add it again.
 */
struct nl_route {
	int family;
	uint32_t table;
	uint8_t type;  /* RTN_UNICAST, RTN_LOCAL, RTN_UNREACHABLE (no oif) */
	uint8_t scope; /* RT_SCOPE_* */
	int oif;
	uint8_t protocol;  /* RTPROT_*; 0 = RTPROT_STATIC */
	uint32_t flags;	   /* rtm_flags: RTNH_F_ONLINK is kept */
	bool has_prio;	   /* RTA_PRIORITY (metric) */
	uint32_t priority; /* the kernel's default when !has_prio */
	bool has_gw;	   /* RTA_GATEWAY */
	union nl_ip gw;
	bool has_src; /* RTA_PREFSRC */
	union nl_ip src;
	/* Dump only (nl_route_msg()): */
	bool other;	 /* not a plain default route: a prefix, multipath, nexthop, encap... */
	bool nexthop;	 /* RTA_GATEWAY, RTA_VIA or RTA_MULTIPATH: it leads to another host */
	uint8_t dst_len; /* rtm_dst_len; 0 for a default route */
	union nl_ip dst; /* RTA_DST; all zero when absent */
};

struct nl_rule {
	int family;
	uint32_t prio;
	uint32_t fwmark;
	uint32_t fwmask;
	uint32_t table;
	uint8_t action;	      /* FR_ACT_* */
	uint8_t ip_proto;     /* FRA_IP_PROTO (IPPROTO_*), 0 = any */
	uint16_t dport_start; /* FRA_DPORT_RANGE, 0/0 = any port */
	uint16_t dport_end;
	bool other; /* dump only: selectors not modelled here (from, to, iif, oif, sport, ...) */
};

/**
 * nl_sock_open() - open and bind an rtnetlink socket with extended acks.
 * @s: socket to fill; release with nl_sock_close().
 *
 * Return: 0 or a negative errno.
 */
int nl_sock_open(struct nl_sock *s);

/**
 * nl_sock_close() - release @s; safe on a zeroed or closed socket.
 * @s: socket.
 */
void nl_sock_close(struct nl_sock *s);

/**
 * nl_talk() - send @nlh (NLM_F_ACK or NLM_F_DUMP set) and run @cb on every
 * reply until the ack or NLMSG_DONE.
 * @s: socket.
 * @nlh: request; its sequence number is set here.
 * @cb: libmnl data callback (mnl_cb_t), or NULL.
 * @data: its argument.
 *
 * Return: 0 or the kernel's negative errno (extack text in s->ext).
 */
int nl_talk(struct nl_sock *s, struct nlmsghdr *nlh,
	    int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);

/**
 * nl_reply_run() - run the messages of one recv() through @cb; NLMSG_ERROR
 * becomes the errno (extack text in s->ext), the ack or NLMSG_DONE ends.
 * @s: socket (only its portid and ext are used).
 * @buf: received bytes, untrusted.
 * @len: their length.
 * @seq: expected sequence number, 0 = any.
 * @cb: libmnl data callback, or NULL.
 * @data: its argument.
 *
 * Return: 1 if more messages are to come, 0 at the end, or a negative errno.
 */
int nl_reply_run(struct nl_sock *s, const void *buf, size_t len, uint32_t seq,
		 int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);

/**
 * nl_msg_start() - put a request header of @type in @buf.
 * @buf: NL_REQ_SIZE bytes.
 * @type: RTM_*.
 * @flags: NLM_F_* besides NLM_F_REQUEST.
 *
 * Return: the header.
 */
struct nlmsghdr *nl_msg_start(char *buf, uint16_t type, uint16_t flags);

/**
 * nl_link_get() - look up link @name.
 * @s: socket.
 * @name: interface name.
 * @out: index, flags, peer and kind.
 *
 * Return: 0, -ENODEV if there is no such link, or a negative errno.
 */
int nl_link_get(struct nl_sock *s, const char *name, struct nl_link *out);

/**
 * nl_link_parse() - parse a RTM_NEWLINK reply (for tests and fuzzing).
 * @buf: received bytes, untrusted.
 * @len: their length.
 * @out: what was found.
 *
 * Return: as nl_reply_run().
 */
int nl_link_parse(const void *buf, size_t len, struct nl_link *out);

/**
 * nl_link_dump() - every link of the namespace.
 * @s: socket.
 * @out: array of NL_MAX_LINKS entries.
 * @n: number filled.
 *
 * Return: 0, -E2BIG if there are more than NL_MAX_LINKS, or a negative errno.
 */
int nl_link_dump(struct nl_sock *s, struct nl_link *out, size_t *n);

/**
 * nl_link_msg() - parse one RTM_NEWLINK message into @out.
 * @nlh: the message (its length already checked by the caller's iterator).
 * @out: filled; zeroed first.
 *
 * Return: 0, or -EINVAL if it is not a RTM_NEWLINK with an ifinfomsg.
 */
int nl_link_msg(const struct nlmsghdr *nlh, struct nl_link *out);

/**
 * nl_link_index() - ifindex of link @name.
 * @s: socket.
 * @name: interface name.
 *
 * Return: the ifindex (> 0), -ENODEV, or a negative errno.
 */
int nl_link_index(struct nl_sock *s, const char *name);

/**
 * nl_link_add_veth() - create the veth pair @name / @peer in the current namespace.
 * @s: socket.
 * @name: first end.
 * @peer: second end.
 *
 * Return: 0, -EEXIST if a name is taken, or a negative errno.
 */
int nl_link_add_veth(struct nl_sock *s, const char *name, const char *peer);

/**
 * nl_link_set_up() - set IFF_UP on link @index.
 * @s: socket.
 * @index: ifindex.
 *
 * Return: 0 or a negative errno.
 */
int nl_link_set_up(struct nl_sock *s, int index);

/**
 * nl_link_del() - delete link @index (a veth takes its peer along).
 * @s: socket.
 * @index: ifindex.
 *
 * Return: 0 or a negative errno.
 */
int nl_link_del(struct nl_sock *s, int index);

/**
 * nl_addr_add() - add or replace an address (IPv6 ones nodad).
 * @s: socket.
 * @a: address, prefix length and ifindex.
 *
 * Return: 0 or a negative errno.
 */
int nl_addr_add(struct nl_sock *s, const struct nl_addr *a);

/**
 * nl_addr_del() - delete an address.
 * @s: socket.
 * @a: address, prefix length and ifindex.
 *
 * Return: 0 or a negative errno.
 */
int nl_addr_del(struct nl_sock *s, const struct nl_addr *a);

/**
 * nl_addr_dump() - the IPv4 and IPv6 addresses of link @index.
 * @s: socket.
 * @index: ifindex.
 * @out: array of NL_MAX_ADDRS entries.
 * @n: number filled.
 *
 * Return: 0, -E2BIG if there are more than NL_MAX_ADDRS, or a negative errno.
 */
int nl_addr_dump(struct nl_sock *s, int index, struct nl_addr *out, size_t *n);

/**
 * nl_addr_parse() - parse RTM_NEWADDR dump replies (for tests and fuzzing).
 * @buf: received bytes, untrusted.
 * @len: their length.
 * @index: keep only addresses of this ifindex.
 * @out: array of NL_MAX_ADDRS entries.
 * @n: number filled.
 *
 * Return: as nl_reply_run().
 */
int nl_addr_parse(const void *buf, size_t len, int index, struct nl_addr *out, size_t *n);

/**
 * nl_route_add() - add or replace the default route described by @r.
 * @s: socket.
 * @r: family, table, type, scope and output device; a dumped route's
 *     protocol, gateway, metric, source and onlink flag too.
 *
 * Return: 0 or a negative errno.
 */
int nl_route_add(struct nl_sock *s, const struct nl_route *r);

/**
 * nl_route_del() - delete the default route described by @r.
 * @s: socket.
 * @r: family, table, type, scope and output device (and, for a dumped
 *     route, its gateway, metric and source).
 *
 * Return: 0, -ESRCH / -ENOENT if absent, or a negative errno.
 */
int nl_route_del(struct nl_sock *s, const struct nl_route *r);

/**
 * nl_route_add_excl() - add @r to @table unless an equal route is there.
 * @s: socket.
 * @r: a route from nl_route_dump(); its table is ignored.
 * @table: where to add it.
 *
 * Return: 0, -EEXIST if the table has it already, or a negative errno.
 */
int nl_route_add_excl(struct nl_sock *s, const struct nl_route *r, uint32_t table);

/**
 * nl_route_dump() - the default routes of @table in @family.
 * @s: socket.
 * @family: AF_INET or AF_INET6.
 * @table: routing table.
 * @out: array of NL_MAX_ROUTES entries; routes marked @other are left out.
 * @n: number filled.
 *
 * Return: 0, -E2BIG if there are more than NL_MAX_ROUTES, or a negative errno.
 */
int nl_route_dump(struct nl_sock *s, int family, uint32_t table, struct nl_route *out, size_t *n);

/**
 * nl_route_msg() - parse one RTM_NEWROUTE message into @out: the one route
 * parser, for nl_route_dump() and the audit alike.
 * @nlh: the message (its length already checked by the caller's iterator).
 * @out: filled; zeroed first.
 *
 * Return: 0, or -EINVAL if it is not an IPv4 or IPv6 RTM_NEWROUTE with an rtmsg.
 */
int nl_route_msg(const struct nlmsghdr *nlh, struct nl_route *out);

/**
 * nl_route_parse() - parse RTM_NEWROUTE dump replies (for tests and fuzzing).
 * @buf: received bytes, untrusted.
 * @len: their length.
 * @table: keep only routes of this table.
 * @out: array of NL_MAX_ROUTES entries.
 * @n: number filled.
 *
 * Return: as nl_reply_run().
 */
int nl_route_parse(const void *buf, size_t len, uint32_t table, struct nl_route *out, size_t *n);

/**
 * nl_rule_add() - add a policy rule (duplicates are the caller's business:
 * the kernel adds an identical rule again unless NLM_F_EXCL is given).
 * @s: socket.
 * @r: the rule.
 *
 * Return: 0 or a negative errno.
 */
int nl_rule_add(struct nl_sock *s, const struct nl_rule *r);

/**
 * nl_rule_del() - delete the first rule that matches @r.
 * @s: socket.
 * @r: the rule.
 *
 * Return: 0, -ENOENT if none matches, or a negative errno.
 */
int nl_rule_del(struct nl_sock *s, const struct nl_rule *r);

/**
 * nl_rule_dump() - the policy rules of @family.
 * @s: socket.
 * @family: AF_INET or AF_INET6.
 * @out: array of NL_MAX_RULES entries.
 * @n: number filled.
 *
 * Return: 0, -E2BIG if there are more than NL_MAX_RULES, or a negative errno.
 */
int nl_rule_dump(struct nl_sock *s, int family, struct nl_rule *out, size_t *n);

/**
 * nl_rule_parse() - parse RTM_NEWRULE dump replies (for tests and fuzzing).
 * @buf: received bytes, untrusted.
 * @len: their length.
 * @out: array of NL_MAX_RULES entries.
 * @n: number filled.
 *
 * Return: as nl_reply_run().
 */
int nl_rule_parse(const void *buf, size_t len, struct nl_rule *out, size_t *n);

#define NL_RULES_MAX_WANT 4

/**
 * nl_rules_want() - the rules @family should have at netnsp's priorities
 * (nl_subject_converge()'s comment in nl.h says which).
 * @family: AF_INET or AF_INET6.
 * @allow: NL_ALLOW_* exceptions to the refusal.
 * @w: array of NL_RULES_MAX_WANT entries.
 *
 * Return: the number of rules filled.
 */
size_t nl_rules_want(int family, unsigned int allow, struct nl_rule *w);

/**
 * nl_rule_is_default() - whether @r is one of the kernel's own rules of a new
 * namespace: 0 local, 32766 main, 32767 default.
 * @r: a dumped rule.
 *
 * Return: true if it is.
 */
bool nl_rule_is_default(const struct nl_rule *r);

/**
 * nl_rule_equal() - whether @a and @b select and act alike (a rule with
 * selectors not modelled here equals nothing).
 * @a: rule.
 * @b: rule.
 *
 * Return: true if equal.
 */
bool nl_rule_equal(const struct nl_rule *a, const struct nl_rule *b);

/**
 * nl_audit_parse() - run nl_subject_audit()'s link and route dump parsers
 * and its judgement on @buf (for fuzzing).
 * @buf: received bytes, untrusted.
 * @len: their length.
 *
 * Return: as nl_reply_run().
 */
int nl_audit_parse(const void *buf, size_t len);

#endif
