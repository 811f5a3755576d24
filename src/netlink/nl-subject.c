/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl-subject.c - converge a subject's links, addresses, routes and rules.
 *
 * Runs in a thread that has joined the subject (netns_run_in()); the netlink
 * socket is opened there, so it talks to the subject's kernel objects.
 * Each step reads what is there and changes only what differs, so a second
 * run is a no-op and any hand-made damage (deleted veth, extra addresses,
 * duplicate rules) is repaired.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "netlink/nl-internal.h"
#include "netlink/nl.h"
#include "netns/netns.h"
#include "util/macro.h"

struct converge {
	const struct subject_net *net;
	char *err;
	size_t errlen;
	struct nl_sock s;
	struct nl_teardown *rep; /* teardown: what became of the saved routes */
};

/* "what: strerror (extack)" into the caller's buffer; returns @r. */
static int fail(struct converge *c, int r, const char *what)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s%s%s%s", what, strerror(-r),
			 c->s.ext[0] ? " (" : "", c->s.ext, c->s.ext[0] ? ")" : "");
	return r;
}

/* The uplink must be a veth whose peer is UPLINK_PEER; anything else is rebuilt. */
static int uplink_ok(struct nl_sock *s, struct nl_link *up, struct nl_link *peer)
{
	int r = nl_link_get(s, UPLINK_DEV, up);

	if (r < 0)
		return r;
	r = nl_link_get(s, UPLINK_PEER, peer);
	if (r < 0)
		return r;
	if (strcmp(up->kind, "veth") != 0 || up->link != peer->index || peer->link != up->index)
		return -EINVAL;
	return 0;
}

static int uplink_converge(struct converge *c, int *index)
{
	struct nl_link up, peer;
	int r = uplink_ok(&c->s, &up, &peer);

	if (r < 0 && r != -ENODEV && r != -EINVAL)
		return fail(c, r, "get link " UPLINK_DEV);
	if (r < 0) {
		/* Remove whatever half or foreign thing holds the names, then recreate. */
		if (nl_link_get(&c->s, UPLINK_DEV, &up) == 0)
			(void)nl_link_del(&c->s, up.index);
		if (nl_link_get(&c->s, UPLINK_PEER, &peer) == 0)
			(void)nl_link_del(&c->s, peer.index);
		r = nl_link_add_veth(&c->s, UPLINK_DEV, UPLINK_PEER);
		if (r < 0)
			return fail(c, r, "add veth " UPLINK_DEV);
		r = uplink_ok(&c->s, &up, &peer);
		if (r < 0)
			return fail(c, r, "check veth " UPLINK_DEV);
	}
	if (!(up.flags & IFF_UP) && (r = nl_link_set_up(&c->s, up.index)) < 0)
		return fail(c, r, "set " UPLINK_DEV " up");
	if (!(peer.flags & IFF_UP) && (r = nl_link_set_up(&c->s, peer.index)) < 0)
		return fail(c, r, "set " UPLINK_PEER " up");
	*index = up.index;
	return 0;
}

static bool addr_wanted(const struct nl_addr *a, const struct subject_net *net)
{
	if (a->family == AF_INET)
		return a->prefixlen == 32 && a->a.v4.s_addr == net->v4.s_addr;
	/* The kernel's own link-local address stays (RFC 4291 §2.8: every interface has one). */
	if (IN6_IS_ADDR_LINKLOCAL(&a->a.v6))
		return true;
	return a->prefixlen == 128 && IN6_ARE_ADDR_EQUAL(&a->a.v6, &net->v6);
}

static int addrs_converge(struct converge *c, int index)
{
	struct nl_addr have[NL_MAX_ADDRS],
		want[2] = {
			{.family = AF_INET, .index = index, .prefixlen = 32, .a.v4 = c->net->v4},
			{.family = AF_INET6, .index = index, .prefixlen = 128, .a.v6 = c->net->v6},
		};
	size_t n, i;
	int r;

	r = nl_addr_dump(&c->s, index, have, &n);
	if (r < 0)
		return fail(c, r, "list addresses of " UPLINK_DEV);
	for (i = 0; i < n; i++) {
		if (addr_wanted(&have[i], c->net))
			continue;
		r = nl_addr_del(&c->s, &have[i]);
		if (r < 0 && r != -EADDRNOTAVAIL)
			return fail(c, r, "delete stale address on " UPLINK_DEV);
	}
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		r = nl_addr_add(&c->s, &want[i]);
		if (r < 0)
			return fail(c, r,
				    want[i].family == AF_INET ? "add IPv4 address"
							      : "add IPv6 address");
	}
	return 0;
}

/*
 * Copy the main table's default routes that are not netnsp's into
 * NETNSP_RT_TABLE_SAVED before routes_converge() replaces them.  A copy that
 * is there already (an earlier apply, another daemon) stays as it is.
 */
static int routes_save(struct converge *c, int uplink)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct nl_route have[NL_MAX_ROUTES];
	size_t n;
	int r;

	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		r = nl_route_dump(&c->s, families[f], RT_TABLE_MAIN, have, &n);
		if (r < 0)
			return fail(c, r, "list default routes");
		for (size_t i = 0; i < n; i++) {
			if (have[i].type != RTN_UNICAST || have[i].oif == uplink)
				continue;
			r = nl_route_add_excl(&c->s, &have[i], NETNSP_RT_TABLE_SAVED);
			if (r < 0 && r != -EEXIST)
				return fail(c, r, "save a default route");
		}
	}
	return 0;
}

/*
 * The SUBJECT_ROUTES routes a subject holds, written to @rt: the first
 * SUBJECT_ROUTES_MAIN in the main table (they go with the uplink), the rest
 * in netnsp's own tables (removed at teardown).
 */
#define SUBJECT_ROUTES 6
#define SUBJECT_ROUTES_MAIN 2
static void subject_routes(int uplink, int lo, struct nl_route rt[SUBJECT_ROUTES])
{
	const struct nl_route want[] = {
		/* `default dev UPLINK_DEV`: no gateway, so scope link for IPv4. */
		{AF_INET, RT_TABLE_MAIN, RTN_UNICAST, RT_SCOPE_LINK, uplink},
		{AF_INET6, RT_TABLE_MAIN, RTN_UNICAST, RT_SCOPE_UNIVERSE, uplink},
		/* `local default dev lo table T`: marked packets loop back to tproxy. */
		{AF_INET, NETNSP_RT_TABLE, RTN_LOCAL, RT_SCOPE_HOST, lo},
		{AF_INET6, NETNSP_RT_TABLE, RTN_LOCAL, RT_SCOPE_HOST, lo},
		/*
		 * `unreachable default table R`: a lookup that ends here fails with
		 * EHOSTUNREACH (fib_props[RTN_UNREACHABLE]; ip6_pkt_discard), so
		 * connect()/sendto() fail at once and no packet is built.
		 */
		{AF_INET, NETNSP_RT_TABLE_REFUSE, RTN_UNREACHABLE, RT_SCOPE_UNIVERSE, 0},
		{AF_INET6, NETNSP_RT_TABLE_REFUSE, RTN_UNREACHABLE, RT_SCOPE_UNIVERSE, 0},
	};

	_Static_assert(ARRAY_SIZE(want) == SUBJECT_ROUTES, "SUBJECT_ROUTES");
	memcpy(rt, want, sizeof(want));
}

static int routes_converge(struct converge *c, int uplink, int lo)
{
	struct nl_route want[SUBJECT_ROUTES];
	int r;

	subject_routes(uplink, lo, want);
	for (size_t i = 0; i < SUBJECT_ROUTES; i++) {
		r = nl_route_add(&c->s, &want[i]);
		if (r < 0)
			return fail(c, r,
				    want[i].type == RTN_UNREACHABLE ? "add unreachable route"
								    : "add default route");
	}
	return 0;
}

static struct nl_rule refuse_rule(int family, uint8_t proto, uint16_t from, uint16_t to)
{
	return (struct nl_rule){.family = family,
				.prio = NETNSP_RULE_PRIO_REFUSE,
				.table = NETNSP_RT_TABLE_REFUSE,
				.action = FR_ACT_TO_TBL,
				.ip_proto = proto,
				.dport_start = from,
				.dport_end = to};
}

size_t nl_rules_want(int family, unsigned int allow, struct nl_rule *w)
{
	size_t n = 0;

	w[n++] = (struct nl_rule){family,      NETNSP_RULE_PRIO, NETNSP_FWMARK,
				  0xffffffffu, NETNSP_RT_TABLE,	 FR_ACT_TO_TBL};
	if (!(allow & (NL_ALLOW_UDP | NL_ALLOW_DNS))) {
		w[n++] = refuse_rule(family, IPPROTO_UDP, 0, 0);
	} else if (!(allow & NL_ALLOW_UDP)) {
		/*
		 * Port 53 goes on to the fwmark rule, where DNS is intercepted.
		 * 65535 cannot be selected: fib_rule_port_range_valid() wants
		 * end < 0xffff ("Invalid dport range", measured on 6.18), so that
		 * one port is left to the nft rules.
		 */
		w[n++] = refuse_rule(family, IPPROTO_UDP, 1, 52);
		w[n++] = refuse_rule(family, IPPROTO_UDP, 54, 65534);
	}
	if (!(allow & NL_ALLOW_ICMP))
		w[n++] = refuse_rule(family, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, 0,
				     0);
	return n;
}

bool nl_rule_is_default(const struct nl_rule *r)
{
	if (r->action != FR_ACT_TO_TBL)
		return false;
	return (r->prio == 0 && r->table == RT_TABLE_LOCAL) ||
	       (r->prio == 32766 && r->table == RT_TABLE_MAIN) ||
	       (r->prio == 32767 && r->table == RT_TABLE_DEFAULT);
}

/*
 * A subject's namespace is netnsp's: every rule but the kernel's defaults is
 * ours to converge, so a foreign rule (say, one that sends marked packets
 * to the main table and around the relay) is removed, not just ignored.
 */
static bool rule_in_scope(const struct nl_rule *r)
{
	return !nl_rule_is_default(r);
}

bool nl_rule_equal(const struct nl_rule *a, const struct nl_rule *b)
{
	return !a->other && !b->other && a->action == b->action && a->prio == b->prio &&
	       a->table == b->table && a->fwmark == b->fwmark && a->fwmask == b->fwmask &&
	       a->ip_proto == b->ip_proto && a->dport_start == b->dport_start &&
	       a->dport_end == b->dport_end;
}

/*
 * One pass: keep the first copy of each wanted rule, delete every other rule
 * in scope, add what is missing.  *@changed says whether anything was done.
 * A delete matches on the attributes given (rule_find()), so deleting a
 * rule with fewer selectors can take a wanted one that comes first; adds go
 * after existing rules of the same priority, so the next pass gets it right.
 */
static int rules_pass(struct converge *c, int family, const struct nl_rule *want, size_t nwant,
		      bool *changed)
{
	struct nl_rule have[NL_MAX_RULES];
	bool found[NL_RULES_MAX_WANT] = {false};
	size_t n, i, k;
	int r;

	r = nl_rule_dump(&c->s, family, have, &n);
	if (r < 0)
		return fail(c, r, "list rules");
	for (i = 0; i < n; i++) {
		if (!rule_in_scope(&have[i]))
			continue;
		for (k = 0; k < nwant && (found[k] || !nl_rule_equal(&have[i], &want[k])); k++)
			;
		if (k < nwant) {
			found[k] = true;
			continue;
		}
		*changed = true;
		r = nl_rule_del(&c->s, &have[i]);
		if (r < 0 && r != -ENOENT)
			return fail(c, r, "delete rule");
	}
	for (k = 0; k < nwant; k++) {
		if (found[k])
			continue;
		*changed = true;
		r = nl_rule_add(&c->s, &want[k]);
		if (r < 0)
			return fail(c, r, "add rule");
	}
	return 0;
}

/* Until a pass finds nothing to change (two passes from any sane state). */
static int rules_converge_family(struct converge *c, int family, bool teardown)
{
	struct nl_rule want[NL_RULES_MAX_WANT];
	size_t nwant = teardown ? 0 : nl_rules_want(family, c->net->allow, want);
	bool changed = true;
	int r, pass;

	for (pass = 0; pass < 4 && changed; pass++) {
		changed = false;
		r = rules_pass(c, family, want, nwant, &changed);
		if (r < 0)
			return r;
	}
	return changed ? fail(c, -EAGAIN, "rules keep changing") : 0;
}

static int converge_in(void *arg)
{
	struct converge *c = arg;
	int r, lo, uplink = 0;

	r = nl_sock_open(&c->s);
	if (r < 0)
		return fail(c, r, "open rtnetlink socket");
	lo = nl_link_index(&c->s, "lo");
	if (lo < 0) {
		r = fail(c, lo, "get link lo");
		goto out;
	}
	r = nl_link_set_up(&c->s, lo);
	if (r < 0) {
		r = fail(c, r, "set lo up");
		goto out;
	}
	r = uplink_converge(c, &uplink);
	if (r == 0 && c->net->save_routes)
		r = routes_save(c, uplink);
	if (r == 0)
		r = addrs_converge(c, uplink);
	if (r == 0)
		r = routes_converge(c, uplink, lo);
	if (r == 0)
		r = rules_converge_family(c, AF_INET, false);
	if (r == 0)
		r = rules_converge_family(c, AF_INET6, false);
out:
	nl_sock_close(&c->s);
	return r;
}

int nl_subject_converge(int nsfd, const struct subject_net *net, char *err, size_t errlen)
{
	struct converge c = {.net = net, .err = err, .errlen = errlen};

	if (err && errlen)
		err[0] = '\0';
	return netns_run_in(nsfd, converge_in, &c);
}

static int routes_teardown(struct converge *c, int lo)
{
	struct nl_route rt[SUBJECT_ROUTES];
	int r;

	subject_routes(0, lo, rt);
	for (size_t i = SUBJECT_ROUTES_MAIN; i < SUBJECT_ROUTES; i++) {
		if (rt[i].type == RTN_LOCAL && lo <= 0)
			continue;
		r = nl_route_del(&c->s, &rt[i]);
		if (r < 0 && r != -ESRCH && r != -ENOENT)
			return r;
	}
	return 0;
}

/* Put the saved default routes back in the main table and empty the saved table. */
static int routes_restore(struct converge *c)
{
	static const int families[] = {AF_INET, AF_INET6};
	struct nl_route saved[NL_MAX_ROUTES];
	size_t n;
	int r;

	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		r = nl_route_dump(&c->s, families[f], NETNSP_RT_TABLE_SAVED, saved, &n);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n; i++) {
			r = nl_route_add_excl(&c->s, &saved[i], RT_TABLE_MAIN);
			if (r == 0)
				c->rep->restored++;
			else if (r == -EEXIST)
				c->rep->present++;
			else
				c->rep->failed++;
			r = nl_route_del(&c->s, &saved[i]);
			if (r < 0 && r != -ESRCH && r != -ENOENT)
				return r;
		}
	}
	return 0;
}

static int teardown_in(void *arg)
{
	struct converge *c = arg;
	struct nl_link l;
	int r, lo;

	r = nl_sock_open(&c->s);
	if (r < 0)
		return r;
	/* Deleting one veth end deletes the pair; its addresses and routes go with it. */
	if (nl_link_get(&c->s, UPLINK_DEV, &l) == 0 && (r = nl_link_del(&c->s, l.index)) < 0)
		goto out;
	if (nl_link_get(&c->s, UPLINK_PEER, &l) == 0 && (r = nl_link_del(&c->s, l.index)) < 0)
		goto out;
	r = routes_restore(c);
	if (r < 0)
		goto out;
	lo = nl_link_index(&c->s, "lo");
	r = routes_teardown(c, lo);
	if (r < 0)
		goto out;
	r = rules_converge_family(c, AF_INET, true);
	if (r == 0)
		r = rules_converge_family(c, AF_INET6, true);
out:
	nl_sock_close(&c->s);
	return r;
}

int nl_subject_teardown(int nsfd, struct nl_teardown *rep)
{
	struct nl_teardown ignored;
	struct converge c = {.rep = rep ? rep : &ignored};

	memset(c.rep, 0, sizeof(*c.rep));
	return netns_run_in(nsfd, teardown_in, &c);
}

struct links {
	bool own_uplink;
	char *name;
	size_t len;
	struct nl_sock s;
};

/* lo always; the uplink pair only where both ends are here and are each other's peer. */
static bool link_ours(const struct links *k, const struct nl_link *l, const struct nl_link *all,
		      size_t n)
{
	const char *peer;

	if (strcmp(l->name, "lo") == 0)
		return true;
	if (!k->own_uplink || strcmp(l->kind, "veth") != 0 || l->link_netns)
		return false;
	if (strcmp(l->name, UPLINK_DEV) == 0)
		peer = UPLINK_PEER;
	else if (strcmp(l->name, UPLINK_PEER) == 0)
		peer = UPLINK_DEV;
	else
		return false;
	for (size_t i = 0; i < n; i++)
		if (all[i].index == l->link)
			return strcmp(all[i].name, peer) == 0;
	return false;
}

static int links_in(void *arg)
{
	struct nl_link all[NL_MAX_LINKS];
	struct links *k = arg;
	size_t n = 0;
	int r;

	r = nl_sock_open(&k->s);
	if (r == 0)
		r = nl_link_dump(&k->s, all, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!link_ours(k, &all[i], all, n)) {
			snprintf(k->name, k->len, "%s", all[i].name);
			r = -EBUSY;
		}
	}
	if (r == -E2BIG)
		snprintf(k->name, k->len, "(more than %d links)", NL_MAX_LINKS);
	nl_sock_close(&k->s);
	return r == -E2BIG ? -EBUSY : r;
}

int nl_subject_foreign_link(int nsfd, bool own_uplink, char *name, size_t len)
{
	struct links k = {.own_uplink = own_uplink, .name = name, .len = len};

	if (len)
		name[0] = '\0';
	return netns_run_in(nsfd, links_in, &k);
}
