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
#include <stddef.h>
#include <stdint.h>

/* The uplink: a veth pair with both ends inside the subject (no CONFIG_DUMMY here). */
#define UPLINK_DEV "nsp-up0"
#define UPLINK_PEER "nsp-up1"
/* Marked packets are routed by this rule/table to lo, where tproxy takes them. */
#define NETNSP_FWMARK 0x4e53u
#define NETNSP_RT_TABLE 20051u
#define NETNSP_RULE_PRIO 100u

struct subject_net {
	struct in_addr v4;	/* /32 on UPLINK_DEV */
	struct in6_addr v6;	/* /128 on UPLINK_DEV, nodad */
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
 * default dev lo` for both families.  Idempotent.
 *
 * Return: 0 or a negative errno.
 */
int nl_subject_converge(int nsfd, const struct subject_net *net, char *err, size_t errlen);

/**
 * nl_subject_teardown() - remove what nl_subject_converge() made (the veth
 * pair, the rules, the table's routes).  Missing pieces are not an error.
 * @nsfd: the subject's namespace.
 *
 * Return: 0 or a negative errno.
 */
int nl_subject_teardown(int nsfd);

#endif
