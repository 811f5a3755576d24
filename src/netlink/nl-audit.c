/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl-audit.c - read a subject's links, addresses, routes and rules and say
 * where they differ from what nl-subject.c makes (`netnsp check`).
 *
 * Read-only: runs in a thread that has joined the subject and only dumps.
 * The expected rules come from nl_rules_want(), the same function the
 * converge uses, so the two cannot drift apart.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink/nl-internal.h"
#include "netlink/nl.h"
#include "netns/netns.h"
#include "util/macro.h"

#define AUDIT_MAX_LINKS 64
#define AUDIT_MAX_ROUTES 256

struct audit {
	const struct subject_net *net;
	struct nl_audit *out;
	struct nl_sock s;
	struct nl_link links[AUDIT_MAX_LINKS];
	size_t n_links;
	struct nl_route routes[AUDIT_MAX_ROUTES];
	size_t n_routes;
	int lo, up, peer;
};

static void finding(struct audit *a, bool leak, bool rule, const char *fmt, ...) _printf_(4, 5);
static void finding(struct audit *a, bool leak, bool rule, const char *fmt, ...)
{
	struct nl_finding *f;
	va_list ap;

	if (a->out->n >= NL_AUDIT_MAX) {
		a->out->truncated = true;
		return;
	}
	f = &a->out->f[a->out->n++];
	f->leak = leak;
	f->rule = rule;
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof(f->text), fmt, ap);
	va_end(ap);
}

static const char *link_name(const struct audit *a, int index)
{
	for (size_t i = 0; i < a->n_links; i++)
		if (a->links[i].index == index)
			return a->links[i].name;
	return "?";
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct audit *a = data;

	if (a->n_links < AUDIT_MAX_LINKS && nl_link_msg(nlh, &a->links[a->n_links]) == 0)
		a->n_links++;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct audit *a = data;

	if (a->n_routes < AUDIT_MAX_ROUTES && nl_route_msg(nlh, &a->routes[a->n_routes]) == 0)
		a->n_routes++;
	return MNL_CB_OK;
}

static int dump(struct audit *a, uint16_t type, int family, mnl_cb_t cb)
{
	char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh = nl_msg_start(buf, type, NLM_F_DUMP);

	/* ifinfomsg and rtmsg both start with the family byte. */
	if (type == RTM_GETLINK)
		((struct ifinfomsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg)))
			->ifi_family = (uint8_t)family;
	else
		((struct rtmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct rtmsg)))
			->rtm_family = (uint8_t)family;
	return nl_talk(&a->s, nlh, cb, a);
}

static void audit_links(struct audit *a)
{
	for (size_t i = 0; i < a->n_links; i++) {
		const struct nl_link *l = &a->links[i];

		if (l->index == a->lo)
			continue;
		if (a->out->n_links < NL_AUDIT_LINKS) {
			a->out->links[a->out->n_links].index = l->index;
			snprintf(a->out->links[a->out->n_links].name, IFNAMSIZ, "%s", l->name);
			a->out->n_links++;
		}
		if ((l->index == a->up && l->link == a->peer && !l->link_netns) ||
		    (l->index == a->peer && l->link == a->up && !l->link_netns))
			continue;
		finding(a, true, false, "link '%s' (%s%s) is not netnsp's: a way out", l->name,
			l->kind[0] ? l->kind : "no kind",
			l->link_netns ? ", peer in another namespace" : "");
	}
	if (a->up <= 0 || a->peer <= 0)
		finding(a, false, false, "uplink " UPLINK_DEV "/" UPLINK_PEER " missing");
}

static bool addr_expected(const struct audit *a, const struct nl_addr *x)
{
	if (x->family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&x->a.v6))
		return true;
	if (x->index == a->lo)
		return x->family == AF_INET ? x->a.v4.s_addr == htonl(INADDR_LOOPBACK)
					    : IN6_IS_ADDR_LOOPBACK(&x->a.v6);
	if (x->index != a->up)
		return false;
	if (x->family == AF_INET)
		return x->prefixlen == 32 && x->a.v4.s_addr == a->net->v4.s_addr;
	return x->prefixlen == 128 && IN6_ARE_ADDR_EQUAL(&x->a.v6, &a->net->v6);
}

static int audit_addrs(struct audit *a)
{
	struct nl_addr have[NL_MAX_ADDRS];
	int idx[3] = {a->lo, a->up, a->peer};
	bool v4 = false, v6 = false;
	char text[INET6_ADDRSTRLEN];
	size_t n;
	int r;

	for (size_t k = 0; k < ARRAY_SIZE(idx); k++) {
		if (idx[k] <= 0)
			continue;
		r = nl_addr_dump(&a->s, idx[k], have, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			if (addr_expected(a, &have[i])) {
				v4 |= idx[k] == a->up && have[i].family == AF_INET;
				v6 |= idx[k] == a->up && have[i].family == AF_INET6 &&
				      !IN6_IS_ADDR_LINKLOCAL(&have[i].a.v6);
				continue;
			}
			inet_ntop(have[i].family, &have[i].a, text, sizeof(text));
			finding(a, false, false, "unexpected address %s/%u on %s", text,
				have[i].prefixlen, link_name(a, idx[k]));
		}
	}
	if (a->up > 0 && (!v4 || !v6))
		finding(a, false, false, "the uplink lacks its %s address from the state file",
			!v4 ? "IPv4" : "IPv6");
	return 0;
}

/* Whether @r is one of nl_subject_converge()'s routes in its own tables. */
static bool route_ours(const struct audit *a, const struct nl_route *r)
{
	if (r->dst_len != 0 || r->nexthop)
		return false;
	if (r->table == NETNSP_RT_TABLE)
		return r->type == RTN_LOCAL && r->oif == a->lo;
	return r->type == RTN_UNREACHABLE;
}

static void audit_routes(struct audit *a)
{
	unsigned int defaults = 0;

	for (size_t i = 0; i < a->n_routes; i++) {
		const struct nl_route *r = &a->routes[i];
		bool by_uplink = r->oif == a->up || r->oif == a->peer;
		const char *fam = r->family == AF_INET ? "IPv4" : "IPv6";
		char dst[INET6_ADDRSTRLEN];

		if (r->table == RT_TABLE_LOCAL)
			continue; /* the kernel's: one entry per own address */
		inet_ntop(r->family, &r->dst, dst, sizeof(dst));
		if (r->table == RT_TABLE_MAIN && r->type == RTN_UNICAST && !r->nexthop &&
		    by_uplink) {
			if (r->dst_len == 0 && r->oif == a->up)
				defaults |= r->family == AF_INET ? 1u : 2u;
			continue;
		}
		if (r->table == NETNSP_RT_TABLE || r->table == NETNSP_RT_TABLE_REFUSE) {
			if (!route_ours(a, r))
				finding(a, r->nexthop, false,
					"unexpected %s route %s/%u in table %u", fam, dst,
					r->dst_len, r->table);
			continue;
		}
		if (r->type != RTN_UNICAST && !r->nexthop)
			continue; /* unreachable, blackhole, prohibit: no way out */
		finding(a, r->nexthop || (r->oif && !by_uplink && r->oif != a->lo), false,
			"%s route %s/%u%s dev %s in table %u is not netnsp's", fam, dst, r->dst_len,
			r->nexthop ? " via a gateway" : "", link_name(a, r->oif), r->table);
	}
	if (a->up > 0 && defaults != 3)
		finding(a, false, false, "default route by " UPLINK_DEV " missing (%s)",
			defaults == 0	? "IPv4 and IPv6"
			: defaults & 1u ? "IPv6"
					: "IPv4");
}

static void rule_describe(const struct nl_rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s rule %u: fwmark 0x%x ipproto %u dport %u-%u table %u%s",
		 r->family == AF_INET ? "IPv4" : "IPv6", r->prio, r->fwmark, r->ip_proto,
		 r->dport_start, r->dport_end, r->table, r->other ? " (+ other selectors)" : "");
}

static int audit_rules(struct audit *a, int family)
{
	struct nl_rule have[NL_MAX_RULES], want[NL_RULES_MAX_WANT];
	bool found[NL_RULES_MAX_WANT] = {false};
	size_t n, nwant = nl_rules_want(family, a->net->allow, want), k;
	char text[128];
	int r;

	r = nl_rule_dump(&a->s, family, have, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (nl_rule_is_default(&have[i]))
			continue;
		for (k = 0; k < nwant && (found[k] || !nl_rule_equal(&have[i], &want[k])); k++)
			;
		if (k < nwant) {
			found[k] = true;
			continue;
		}
		rule_describe(&have[i], text, sizeof(text));
		finding(a, false, true, "unexpected %s", text);
	}
	for (k = 0; k < nwant; k++) {
		if (found[k])
			continue;
		rule_describe(&want[k], text, sizeof(text));
		finding(a, false, true, "missing %s", text);
	}
	return 0;
}

static int audit_in(void *arg)
{
	struct audit *a = arg;
	int r;

	r = nl_sock_open(&a->s);
	if (r < 0)
		return r;
	r = dump(a, RTM_GETLINK, AF_UNSPEC, link_cb);
	for (size_t i = 0; r == 0 && i < a->n_links; i++) {
		if (!strcmp(a->links[i].name, "lo"))
			a->lo = a->links[i].index;
		else if (!strcmp(a->links[i].name, UPLINK_DEV))
			a->up = a->links[i].index;
		else if (!strcmp(a->links[i].name, UPLINK_PEER))
			a->peer = a->links[i].index;
	}
	if (r == 0)
		r = dump(a, RTM_GETROUTE, AF_INET, route_cb);
	if (r == 0)
		r = dump(a, RTM_GETROUTE, AF_INET6, route_cb);
	if (r == 0) {
		audit_links(a);
		r = audit_addrs(a);
	}
	if (r == 0) {
		audit_routes(a);
		r = audit_rules(a, AF_INET);
	}
	if (r == 0)
		r = audit_rules(a, AF_INET6);
	nl_sock_close(&a->s);
	return r;
}

int nl_subject_audit(int nsfd, const struct subject_net *net, struct nl_audit *out)
{
	struct audit *a = calloc(1, sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	a->net = net;
	a->out = out;
	r = netns_run_in(nsfd, audit_in, a);
	free(a);
	return r;
}

int nl_audit_parse(const void *buf, size_t len)
{
	struct audit *a = calloc(1, sizeof(*a));
	struct subject_net net = {.allow = 0};
	struct nl_audit *out = calloc(1, sizeof(*out));
	struct nl_sock s = {0};
	int r = -ENOMEM;

	if (a && out) {
		a->net = &net;
		a->out = out;
		r = nl_reply_run(&s, buf, len, 0, link_cb, a);
		if (r >= 0)
			r = nl_reply_run(&s, buf, len, 0, route_cb, a);
		audit_links(a);
		audit_routes(a);
	}
	free(a);
	free(out);
	return r;
}
