/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * resolver.h - the resolver inside each subject (docs/GUARANTEES.md 3).
 *
 * Every DNS query a program in the subject sends, over UDP or TCP to any
 * address on port 53, is handed by the subject's nft table (tproxy) to the
 * daemon's transparent sockets on port RELAY_DNS_PORT, and answered there:
 * A and AAAA from the subject's fake-IP pool, PTR of a fake address with
 * its name; every other query (and, with dns = proxy, every query) is sent
 * over DNS-over-TCP (RFC 7766) through the profile's chain to dns-server,
 * as a fresh message built from the parsed question, never the app's
 * bytes.  No query leaves the namespace except inside the chain.  A later
 * TCP or UDP flow to a fake address travels to the proxy as the name
 * (relay_fake_target()).
 */
#ifndef NETNSP_RELAY_DNS_H
#define NETNSP_RELAY_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "dns/dns.h"
#include "relay.h"
#include "state/state.h"

#define RELAY_DNS_TTL 10	 /* seconds; short, so a restart never outlives a client's cache */
#define RELAY_DNS_CAPACITY 65536 /* mappings per subject */

/**
 * relay_dns_open() - start (or reconfigure) the resolver of @rs in @nsfd.
 * @r: relay.
 * @rs: subject.
 * @nsfd: its namespace.
 * @p: its profile: dns, dns-server, ipv6.
 * @st: its Derivative entry: the fake ranges, and the mappings put back
 *      into a new pool.  The pool is created once and kept across
 *      re-applies unless its ranges change.
 *
 * Return: 0 or a negative errno.
 */
int relay_dns_open(struct relay *r, struct relay_subject *rs, int nsfd,
		   const struct profile_conf *p, const struct subject_state *st);

struct dns_fwd;

/**
 * typedef relay_lookup_fn - the outcome of a relay_dns_lookup(), told once.
 * @r: the main loop's relay.
 * @arg: what the caller passed.
 * @family: AF_INET or AF_INET6 with @addr; or a negative errno: -ENOENT (no
 *          A nor AAAA record), -EHOSTUNREACH (no answer), -ECANCELED (the
 *          resolver closed); relay_dns_lookup_strerror() says it for the log.
 * @addr: 4 or 16 octets.
 */
typedef void relay_lookup_fn(struct relay *r, void *arg, int family, const uint8_t *addr);

/**
 * relay_dns_has_server() - whether relay_dns_lookup() can ask anyone for @rs.
 * @rs: subject.
 *
 * Return: true when the subject has a resolver with a dns-server.
 */
bool relay_dns_has_server(const struct relay_subject *rs);

/**
 * relay_dns_lookup() - resolve @name through the chain to dns-server (main loop only).
 * @rs: subject; its resolver's dns-server is asked, over DNS-over-TCP through the
 *      subject's chain, as a forwarded query is (so through an egress namespace
 *      for url = direct).
 * @name: the name; A is asked, then AAAA when the name has no A record.
 * @done: told the outcome once, from the loop, unless relay_dns_lookup_cancel()
 *        came first.
 * @arg: passed to @done (a TCP connection, a UDP flow).
 * @slot: the waiter's pointer to the lookup in flight, for
 *        relay_dns_lookup_cancel(); the resolver keeps it current (the AAAA
 *        lookup replaces the A one) and sets it to NULL before @done.
 *
 * Return: 0 (sent), -ENOENT (no resolver or no dns-server), -ENOBUFS (too many
 * queries in flight) or another negative errno; @done is not called then.
 */
int relay_dns_lookup(struct relay_subject *rs, const char *name, relay_lookup_fn *done, void *arg,
		     struct dns_fwd **slot);

/**
 * relay_dns_lookup_strerror() - why a lookup failed, for the log and status.
 * @err: the negative errno @done was told.
 *
 * Return: a static string.
 */
const char *relay_dns_lookup_strerror(int err);

/**
 * relay_dns_lookup_cancel() - whoever waits for a lookup is gone: forget it.
 * @f: the lookup.
 */
void relay_dns_lookup_cancel(struct dns_fwd *f);

/**
 * relay_dns_reopen() - reopen the resolver's sockets that were closed (a dead listener).
 * @r: relay.
 * @rs: subject; nothing happens without a resolver.
 * @nsfd: its namespace.
 *
 * Return: 0 or a negative errno.
 */
int relay_dns_reopen(struct relay *r, struct relay_subject *rs, int nsfd);

/**
 * relay_dns_clients() - DNS-over-TCP clients @rs holds (they count against its cap).
 * @rs: subject.
 *
 * Return: their number.
 */
unsigned relay_dns_clients(const struct relay_subject *rs);

/**
 * relay_dns_close() - close the resolver's sockets and free its pool.
 * @r: relay.
 * @rs: subject.
 */
void relay_dns_close(struct relay *r, struct relay_subject *rs);

/**
 * relay_dns_on_event() - an EV_DNS fd is ready.
 * @r: relay.
 * @ev: its ev.
 * @events: epoll events.
 */
void relay_dns_on_event(struct relay *r, struct ev *ev, uint32_t events);

/**
 * relay_dns_tick() - fail forwarded queries that took too long (SERVFAIL).
 * @r: relay.
 * @rs: subject.
 * @now: CLOCK_MONOTONIC seconds.
 */
void relay_dns_tick(struct relay *r, struct relay_subject *rs, uint64_t now);

/**
 * relay_dns_foreach() - every mapping of @rs's pool, for the Derivative.
 * @rs: subject.
 * @fn: called per mapping; a non-zero return stops.
 * @userdata: passed to @fn.
 *
 * Return: 0, or what @fn returned.
 */
int relay_dns_foreach(const struct relay_subject *rs,
		      int (*fn)(const char *name, const struct in_addr *v4,
				const struct in6_addr *v6, uint64_t last_used, void *userdata),
		      void *userdata);

/**
 * relay_dns_dirty() - whether mappings changed since the last call (then clears the flag).
 * @rs: subject.
 *
 * Return: true if new mappings were made.
 */
bool relay_dns_dirty(struct relay_subject *rs);

#endif
