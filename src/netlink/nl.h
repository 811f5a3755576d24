/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl.h - rtnetlink through libmnl: the subject's links, addresses, routes
 * and policy rules.  Every function returns 0 or the kernel's negative
 * errno and, where an @err buffer is given, the extended-ack text.
 * Never `ip`, never SIOCSIF* ioctls.
 */
#ifndef NETNSP_NL_H
#define NETNSP_NL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The uplink: a veth pair with both ends inside the subject (no CONFIG_DUMMY here). */
#define UPLINK_DEV "nsp-up0"
#define UPLINK_PEER "nsp-up1"
/* Marked packets are routed by this rule/table to lo, where tproxy takes them. */
#define NETNSP_FWMARK 0x4e53u
#define NETNSP_RT_TABLE 20051u
#define NETNSP_RULE_PRIO 100u
/*
 * Refusal by routing: UDP and ICMP to non-local destinations look up this
 * table, which holds only `unreachable default`, so connect()/sendto() fail
 * at once with EHOSTUNREACH and no packet is ever built.  The rules sit
 * before the fwmark rule; the local table (priority 0) still wins for the
 * namespace's own addresses, so UDP to 127.0.0.1 / ::1 keeps working.
 */
#define NETNSP_RT_TABLE_REFUSE 20052u
#define NETNSP_RULE_PRIO_REFUSE 90u
/*
 * The namespace of a running process (a Pid subject) is handed back at
 * teardown: the default routes of its main table that netnsp replaces are
 * first copied here, inside the namespace itself, so they outlive a daemon
 * restart.  No rule looks this table up.
 */
#define NETNSP_RT_TABLE_SAVED 20053u

/*
 * Exceptions to the refusal, for struct subject_net.allow.  Zero (a zeroed
 * struct) refuses all UDP and ICMP.
 */
#define NL_ALLOW_UDP (1u << 0)	/* no UDP refusal at all (UDP is relayed) */
#define NL_ALLOW_DNS (1u << 1)	/* refuse UDP except to port 53 (DNS intercepted) */
#define NL_ALLOW_ICMP (1u << 2) /* no ICMP / ICMPv6 refusal */

struct subject_net {
	struct in_addr v4;  /* /32 on UPLINK_DEV */
	struct in6_addr v6; /* /128 on UPLINK_DEV, nodad */
	unsigned int allow; /* NL_ALLOW_*; 0 = refuse UDP and ICMP */
	bool save_routes;   /* copy foreign default routes to NETNSP_RT_TABLE_SAVED first */
};

/* What nl_subject_teardown() did with the routes it had saved. */
struct nl_teardown {
	unsigned int restored; /* saved default routes put back in the main table */
	unsigned int present;  /* saved ones the main table still had */
	unsigned int failed;   /* saved ones the kernel refused (their device is gone) */
};

/**
 * nl_subject_converge() - bring a subject's links, addresses, routes and rules
 * to the desired state, from whatever state they are in.
 * @nsfd: the subject's namespace.
 * @net: addresses of the uplink.
 * @err: receives "what: reason" on failure.
 * @errlen: size of @err.
 *
 * Desired state: lo up; UPLINK_DEV/UPLINK_PEER veth pair up, UPLINK_DEV with
 * exactly @net's addresses (stale ones removed); default routes (v4 and v6)
 * `dev UPLINK_DEV`; rule `fwmark NETNSP_FWMARK lookup NETNSP_RT_TABLE` at
 * NETNSP_RULE_PRIO in both families (exactly one each); in that table `local
 * default dev lo` for both families.
 *
 * Refusal by routing, in both families: table NETNSP_RT_TABLE_REFUSE holds
 * `unreachable default`, and at NETNSP_RULE_PRIO_REFUSE, unless @net->allow
 * makes an exception:
 *   `ipproto udp lookup NETNSP_RT_TABLE_REFUSE`           (no NL_ALLOW_UDP/DNS)
 *   `ipproto udp dport 1-52 lookup ...`, `dport 54-65534` (NL_ALLOW_DNS only;
 *                          the kernel refuses a range ending at 65535, so UDP
 *                          to port 65535 is left to the nft rules)
 *   `ipproto icmp lookup ...` (IPv4), `ipproto ipv6-icmp lookup ...` (IPv6)
 *                                                         (no NL_ALLOW_ICMP)
 * so UDP/ICMP to a non-local address fails with EHOSTUNREACH at connect() or
 * sendto(), before any packet exists.  Every rule but the kernel's three
 * defaults is removed (duplicates, stale exceptions, foreign rules).
 * With @net->save_routes, every plain unicast default route of the main
 * table that is not on UPLINK_DEV is first copied to NETNSP_RT_TABLE_SAVED
 * (nl_subject_teardown() puts them back).
 * Idempotent.
 *
 * Return: 0 or a negative errno.
 */
int nl_subject_converge(int nsfd, const struct subject_net *net, char *err, size_t errlen);

/**
 * nl_subject_teardown() - remove what nl_subject_converge() made (the veth
 * pair, the rules at both priorities, the routes in both tables) and put
 * back the default routes saved in NETNSP_RT_TABLE_SAVED, emptying it.
 * Missing pieces are not an error.
 * @nsfd: the subject's namespace.
 * @rep: receives what happened to the saved routes; may be NULL.
 *
 * Return: 0 or a negative errno.
 */
int nl_subject_teardown(int nsfd, struct nl_teardown *rep);

/**
 * nl_subject_foreign_link() - whether the namespace has a link netnsp did not make.
 * @nsfd: the namespace.
 * @own_uplink: UPLINK_DEV/UPLINK_PEER are netnsp's (a veth pair with both
 *              ends inside); otherwise only lo is expected.
 * @name: receives the first other link's name.
 * @len: size of @name.
 *
 * Return: 0 if there is none, -EBUSY (name in @name), or a negative errno.
 */
int nl_subject_foreign_link(int nsfd, bool own_uplink, char *name, size_t len);

/*
 * What nl_subject_audit() found wrong, one line each.  A leak is a way out
 * of the namespace (a link that is not netnsp's, a route by a gateway or by
 * another device); anything else differs from what nl_subject_converge()
 * makes but opens no way out by itself.
 */
#define NL_AUDIT_MAX 24
#define NL_AUDIT_LINKS 16

struct nl_finding {
	bool leak;
	bool rule; /* about a policy rule (the UDP exceptions depend on the probe) */
	char text[160];
};

struct nl_audit {
	struct nl_finding f[NL_AUDIT_MAX];
	size_t n;
	bool truncated; /* more than NL_AUDIT_MAX findings */
	/* Every link but lo, for the probes that bind to each device. */
	struct {
		int index;
		char name[16];
	} links[NL_AUDIT_LINKS];
	size_t n_links;
};

/**
 * nl_subject_audit() - compare a subject's links, addresses, routes and rules
 * with what nl_subject_converge(@net) makes, without changing anything.
 * @nsfd: the subject's namespace.
 * @net: the uplink's addresses and the NL_ALLOW_* exceptions expected.
 * @out: findings (zeroed here).
 *
 * Expected: links lo, UPLINK_DEV and UPLINK_PEER only (a veth pair whose
 * ends are each other's peer, both here); addresses 127.0.0.1/8 and ::1 on
 * lo, @net's /32 and /128 on UPLINK_DEV, only link-local ones elsewhere;
 * in the main table only routes without gateway by UPLINK_DEV / UPLINK_PEER,
 * the two defaults among them; our two tables exactly as made; no rule but
 * the kernel's defaults and nl_rules_want()'s.  The local table is the
 * kernel's and is not read.
 *
 * Return: 0 (findings in @out) or a negative errno if the dumps failed.
 */
int nl_subject_audit(int nsfd, const struct subject_net *net, struct nl_audit *out);

/**
 * nl_lo_up() - bring lo up in the calling thread's namespace.
 *
 * Return: 0 or a negative errno.
 */
int nl_lo_up(void);

#endif
