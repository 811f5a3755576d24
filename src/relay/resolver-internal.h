/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * resolver-internal.h - what the resolver's files share; private to src/relay/.
 *
 *   resolver.c      the subject's sockets, answering from the fake map,
 *                   DNS-over-TCP clients
 *   resolver_fwd.c  queries forwarded through the chain to dns-server, the
 *                   small answer cache of dns = proxy
 *   fake_map.c      the fake-IP pool: built from the Derivative, and the
 *                   relay's look-ups of fake destinations
 */
#ifndef NETNSP_RESOLVER_INTERNAL_H
#define NETNSP_RESOLVER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "resolver.h"

#define DNS_TCP_CLIENTS_MAX 256 /* per subject */
#define DNS_FWD_MAX 256		/* forwarded queries in flight per subject */
#define DNS_FWD_TIMEOUT 10	/* seconds for an answer through the chain */
#define DNS_CACHE_SLOTS 128	/* dns = proxy: answers kept ... */
#define DNS_CACHE_TTL 10	/* ... this many seconds (a small cache: never long) */
#define DNS_CACHE_MSG 1232	/* largest answer cached */
#define DNS_FORWARD (-2)	/* dns_answer(): forward this query */

enum dns_ev_kind { DNS_EV_UDP, DNS_EV_TCP_LISTEN, DNS_EV_TCP_CLIENT, DNS_EV_FWD };

struct dns_ev {
	struct ev ev; /* owner points back here */
	enum dns_ev_kind kind;
	struct relay_dns *dns;
};

/* One app's TCP connection to the resolver (RFC 7766): queries in, replies out. */
struct dns_client {
	struct dns_ev de; /* owned fd */
	struct dns_client *next;
	struct dns_tcp_reader rd;
	uint8_t in[DNS_QUERY_MAX];
	uint8_t *out; /* owned: pending replies, length-prefixed */
	size_t out_len, out_off;
	bool closing; /* EOF seen: close once @out is sent */
};

/* One query on its way through the chain to dns-server. */
struct dns_fwd {
	struct dns_ev de; /* owned fd: our end of the tunnel (relay_tunnel_open) */
	struct dns_fwd *next;
	struct dns_query q;	   /* the app's question */
	uint16_t id;		   /* the upstream query's fresh ID */
	struct dns_client *client; /* TCP: where the answer goes; NULL if it left */
	int udp_fd;		   /* UDP: the socket the query came on (not owned), else -1 */
	relay_lookup_fn *done;	   /* a lookup: told the address (relay_dns_lookup()), or NULL */
	void *done_arg;		   /* not owned: the connection or flow waiting */
	struct dns_fwd **slot;	   /* the waiter's pointer to this lookup, cleared when told */
	bool lookup;		   /* made by relay_dns_lookup(), even once cancelled */
	struct sockaddr_storage from, dst;
	socklen_t fromlen;
	struct dns_tcp_reader rd;
	uint8_t *in; /* owned: DNS_MSG_MAX */
	uint64_t deadline;
};

struct dns_cache_slot {
	uint64_t expires; /* CLOCK_MONOTONIC seconds; 0 = empty */
	uint16_t qtype;
	char name[DNS_NAME_TEXT_MAX];
	uint16_t len;
	uint8_t msg[DNS_CACHE_MSG];
};

struct relay_dns {
	struct relay_subject *rs;   /* not owned */
	struct relay *r;	    /* not owned */
	struct proxy_target server; /* dns-server; family 0 and no name: none */
	struct dns_fwd *fwds;	    /* owned */
	unsigned n_fwds;
	struct dns_cache_slot *cache; /* owned, DNS_CACHE_SLOTS, dns = proxy only */
	unsigned cache_next;
	enum dns_mode mode;
	bool ipv6;
	bool dirty; /* mappings changed since relay_dns_dirty() */
	struct dns_fake_config fake_conf;
	struct dns_fake pool;	    /* owned; under @mu: workers look fake destinations up */
	pthread_mutex_t mu;	    /* guards @pool (no other lock; never held across I/O) */
	struct dns_ev socks[4];	    /* owned fds: UDP v4, UDP v6, TCP v4, TCP v6 */
	struct dns_client *clients; /* owned */
	unsigned n_clients;
};

/* Whether the profile has a dns-server to forward to. */
static inline bool resolver_has_server(const struct relay_dns *dns)
{
	return dns->server.family || dns->server.name[0];
}

/**
 * resolver_udp_reply() - send @len bytes to @to from @from, as a transparent socket may
 * (resolver.c).
 * @fd: the resolver's UDP socket.
 * @to: the app.
 * @tolen: length of @to.
 * @from: the address the app asked.
 * @buf: the reply.
 * @len: its length.
 */
void resolver_udp_reply(int fd, const struct sockaddr_storage *to, socklen_t tolen,
			const struct sockaddr_storage *from, const uint8_t *buf, size_t len);

/**
 * resolver_client_queue() - append one length-prefixed reply to @c's output (resolver.c).
 * @c: client.
 * @msg: the reply.
 * @len: its length.
 *
 * Return: 0, -ENOBUFS (an app that never reads) or -ENOMEM.
 */
int resolver_client_queue(struct dns_client *c, const uint8_t *msg, size_t len);

/**
 * resolver_client_flush() - send @c's pending output until the socket would block (resolver.c).
 * @c: client.
 *
 * Return: 0 or a negative errno.
 */
int resolver_client_flush(struct dns_client *c);

/**
 * resolver_client_free() - end a DNS-over-TCP client (resolver.c, relay/loop.h rule 2).
 * @r: relay.
 * @dns: its resolver.
 * @c: client.
 */
void resolver_client_free(struct relay *r, struct relay_dns *dns, struct dns_client *c);

/**
 * resolver_client_waiting() - does a forwarded query still owe @c an answer? (resolver_fwd.c)
 * @dns: resolver.
 * @c: client.
 *
 * Return: true if so.
 */
bool resolver_client_waiting(const struct relay_dns *dns, const struct dns_client *c);

/**
 * resolver_cache_get() - dns = proxy: a recent answer to @q, with its ID and case (resolver_fwd.c).
 * @dns: resolver.
 * @q: the question.
 * @out: output.
 * @cap: size of @out.
 *
 * Return: the answer's length, or -1 for none.
 */
ssize_t resolver_cache_get(struct relay_dns *dns, const struct dns_query *q, uint8_t *out,
			   size_t cap);

/**
 * resolver_fwd_start() - send @q to dns-server through the chain (resolver_fwd.c).
 * @dns: resolver.
 * @q: the parsed question.
 * @udp_fd: the UDP socket it came on, or -1 (TCP).
 * @from: UDP: the app; NULL for TCP.
 * @fromlen: length of @from.
 * @dst: UDP: the address the app asked.
 * @client: TCP: the client the answer goes to; NULL for UDP.
 *
 * Without room the query is dropped: the app retries as after a lost datagram.
 */
void resolver_fwd_start(struct relay_dns *dns, const struct dns_query *q, int udp_fd,
			const struct sockaddr_storage *from, socklen_t fromlen,
			const struct sockaddr_storage *dst, struct dns_client *client);

/**
 * resolver_fwd_input() - read the answer on a forwarded query's tunnel (resolver_fwd.c).
 * @dns: resolver.
 * @f: the query.
 */
void resolver_fwd_input(struct relay_dns *dns, struct dns_fwd *f);

/**
 * resolver_fwd_free() - end a forwarded query without answering (resolver_fwd.c).
 * @dns: resolver.
 * @f: the query.
 */
void resolver_fwd_free(struct relay_dns *dns, struct dns_fwd *f);

/**
 * resolver_server_parse() - a profile's dns-server as a target (resolver_fwd.c).
 * @p: the profile; its dns-server was validated by the config parser, whose
 *     settings_dns_server_addr() reads it.
 * @t: output; zeroed when the profile has none.
 *
 * Return: 0 or -EINVAL.
 */
int resolver_server_parse(const struct profile_conf *p, struct proxy_target *t);

/**
 * fake_map_conf() - the subject's fake-IP pool as derived, with a fresh seed (fake_map.c).
 * @st: the subject's Derivative entry (its ranges).
 * @c: output.
 */
void fake_map_conf(const struct subject_state *st, struct dns_fake_config *c);

/**
 * fake_map_same() - do two pools have the same ranges and size? (fake_map.c)
 * @a: one.
 * @b: the other.
 *
 * Return: true if so (the seed does not count).
 */
bool fake_map_same(const struct dns_fake_config *a, const struct dns_fake_config *b);

/**
 * fake_map_import() - put the Derivative's mappings back into a new pool (fake_map.c).
 * @dns: resolver.
 * @st: the subject's Derivative entry.
 */
void fake_map_import(struct relay_dns *dns, const struct subject_state *st);

#endif
