/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * udp.h - the UDP relay's parts; private to src/relay/.
 *
 *   udp.c        a subject's UDP relay: listeners, the mode, dispatch, expiry
 *   udp_flow.c   one flow (app, destination): its sockets and datagrams
 *   udp_assoc.c  one SOCKS5 UDP ASSOCIATE through the chain (a flow's or the probe's)
 *   udp_probe.c  the apply-time probe of the chain's UDP
 *
 * Every EV_UDP fd's owner starts with an enum udp_owner, so one dispatch
 * (relay_udp_on_event()) tells a subject's listener from a flow's or a
 * probe's fd.  All of it belongs to the main loop (loop.h rule 5: no worker
 * ever holds a UDP fd).  A flow, a probe or a subject's udp_subject ends by
 * loop_close() on each of its fds, then loop_defer_free(): an event later in
 * the same batch is skipped by the dispatcher (rule 3), so no handler keeps a
 * "dead" state of its own.
 */
#ifndef NETNSP_UDP_H
#define NETNSP_UDP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "relay.h"

#define UDP_IDLE_TIMEOUT 60	   /* seconds without a datagram either way */
#define UDP_HS_TIMEOUT 10	   /* connect + every hop's handshake + UDP ASSOCIATE */
#define UDP_PROBE_TIMEOUT 5	   /* seconds for the probe's connect + handshakes */
#define UDP_MAX_FLOWS 4096	   /* per daemon */
#define UDP_MAX_FLOWS_SUBJECT 1024 /* per subject */
#define UDP_BATCH 64		   /* datagrams per wakeup and fd, so no fd starves the loop */
#define UDP_BUF 65536		   /* the largest UDP payload fits */

enum udp_owner { UO_SUBJECT, UO_FLOW, UO_PROBE };

/* A subject's UDP relay (rs->udp): owner of its listeners' events. */
struct udp_subject {
	enum udp_owner kind;	  /* UO_SUBJECT */
	struct relay_subject *rs; /* not owned */
	int nsfd;		  /* owned dup of the subject's namespace, for reply sockets */
	uint32_t n_flows;	  /* live flows of the subject */
	struct udp_probe *probe;  /* the running probe or NULL (in r->udp_probes) */
};

enum udp_assoc_state { UA_CONNECTING, UA_HANDSHAKE, UA_UP };

/*
 * One SOCKS5 UDP association (RFC 1928 §7): a TCP control connection to hop
 * 0, CONNECT through hops 0 .. n-2 to the last hop, UDP ASSOCIATE with it.
 * The control connection stays open: its end ends the association.
 */
struct udp_assoc {
	enum udp_assoc_state state;
	const struct relay_chain *chain;     /* not owned: the subject's default chain */
	const struct proxy_target *dst;	     /* not owned: for isolate = destination, or NULL */
	struct ev ctl;			     /* owned fd; owner: the flow or probe */
	struct proxy_hs *hs;		     /* owned, until UA_UP */
	size_t hop;			     /* the hop whose handshake runs */
	char iso_user[ISOLATE_USER_LEN + 1]; /* a derived username (relay_hop_user()) */
};

struct udp_dgram;

enum udp_flow_state { UF_OPENING, UF_UP };

/*
 * One flow: an (app, original destination) pair.  RELAY_UDP_ASSOCIATE: its
 * own association, @up connect()ed to the relay address, every datagram
 * with a SOCKS5 UDP header.  RELAY_UDP_DIRECT: no association, @up made in
 * the egress namespace and connect()ed to the destination itself (a name
 * is first resolved through dns-server, as TCP's is).
 */
struct udp_flow {
	enum udp_owner kind; /* UO_FLOW */
	enum udp_flow_state state;
	struct relay_subject *rs;	   /* not owned */
	struct udp_flow *prev, *next;	   /* r->udp_flows */
	struct udp_assoc as;		   /* RELAY_UDP_ASSOCIATE only (as.ctl.fd -1 otherwise) */
	struct ev up;			   /* owned fd: UDP to the relay, or the destination */
	struct ev reply;		   /* owned fd: inside the subject (udp_flow.c) */
	struct sockaddr_storage app;	   /* the app's address */
	struct sockaddr_storage orig;	   /* the original destination */
	struct proxy_target dst;	   /* in every header: the address, or a fake one's name */
	struct dns_fwd *lookup;		   /* direct: dst's name being resolved, or NULL */
	bool fake;			   /* holds a fake-IP reference on orig */
	bool framed;			   /* datagrams carry the SOCKS5 UDP header */
	struct udp_dgram *q_head, *q_tail; /* owned: the queue before UF_UP */
	uint32_t q_n;
	size_t q_bytes;
	uint64_t deadline; /* CLOCK_MONOTONIC seconds: handshake, then idle */
	dev_t ns_dev;	   /* the egress namespace @up lives in (udp_flow_tick()), */
	ino_t ns_ino;	   /* ino 0: none */
};

/* The apply-time probe of a subject's UDP (udp_probe.c). */
struct udp_probe {
	enum udp_owner kind;	       /* UO_PROBE */
	struct relay_subject *rs;      /* not owned */
	struct udp_probe *prev, *next; /* r->udp_probes */
	struct udp_assoc as;
	uint64_t deadline;	  /* CLOCK_MONOTONIC seconds */
	relay_udp_probe_fn *done; /* told the outcome, not if cancelled */
	void *done_arg;		  /* not owned */
	int err;		  /* a failure waiting for the next tick, or 0 */
};

/* ---- udp.c: what relay.c calls (relay_subject_open/stop, relay_tick) ---- */

/**
 * relay_udp_listen() - open (RELAY_UDP_ASSOCIATE, _DIRECT) or close (otherwise) the
 * subject's transparent UDP listeners on RELAY_TPROXY_PORT (udp.c).
 * @r: relay.
 * @rs: subject.
 * @nsfd: its namespace.
 *
 * Return: 0 or a negative errno.
 */
int relay_udp_listen(struct relay *r, struct relay_subject *rs, int nsfd);

/**
 * relay_udp_probe_start() - ask the upstream for one UDP ASSOCIATE, on the loop (udp_probe.c).
 * @r: relay.
 * @rs: subject, after relay_udp_listen(); nothing happens unless RELAY_UDP_ASSOCIATE
 *      (url = direct asks no upstream: its flows fail on their own).
 * @done: told the outcome once, from the loop or relay_udp_tick() (never from
 *        inside this call); not told if the probe is cancelled by
 *        relay_udp_close() or by another relay_udp_probe_start() on @rs.
 * @arg: passed to @done.
 *
 * The probe takes the flows' path: the control connection through every hop
 * of the chain, UDP ASSOCIATE with the last, then a UDP socket where hop 0 is
 * dialled from, connect()ed to the relay address (udp_relay_addr(): a route
 * must exist).  A failure anywhere (a hop's refusal, a SOCKS5 REP other
 * than 0, no acceptable method, connection refused, no route to the relay
 * address, no answer within 5 s) would otherwise make every flow wait for
 * its own; UDP flows work as before meanwhile.  A granted association is
 * closed at once (its control connection ends it).
 *
 * Return: 0 or a negative errno (-ENOMEM).
 */
int relay_udp_probe_start(struct relay *r, struct relay_subject *rs, relay_udp_probe_fn *done,
			  void *arg);

/**
 * relay_udp_close() - close the UDP listeners and every flow of @rs (udp.c).
 * @r: relay.
 * @rs: subject.
 */
void relay_udp_close(struct relay *r, struct relay_subject *rs);

/**
 * relay_udp_tick() - expire idle UDP flows (udp.c).
 * @r: relay.
 * @now: CLOCK_MONOTONIC seconds.
 */
void relay_udp_tick(struct relay *r, uint64_t now);

/* ---- udp.c ---- */

socklen_t udp_sa_len(const struct sockaddr_storage *ss);

/* @ss := @family (AF_INET, AF_INET6) @addr (4 or 16 octets) and @port (host order). */
void udp_sa_set(struct sockaddr_storage *ss, int family, const uint8_t *addr, uint16_t port);

/**
 * udp_sock_error() - the fd's pending error (an ICMP error: ECONNREFUSED ...).
 * @fd: socket.
 *
 * Return: a negative errno or 0.
 */
int udp_sock_error(int fd);

/* ---- udp_assoc.c ---- */

/**
 * udp_assoc_init() - an association not yet started.
 * @as: to initialise; its ctl ev gets @owner.
 * @chain: the chain whose last hop is asked.
 * @dst: the flow's destination (isolate = destination), or NULL.
 * @owner: the struct udp_flow or udp_probe that holds @as.
 *
 * Return: 0 or -ENOMEM.
 */
int udp_assoc_init(struct udp_assoc *as, const struct relay_chain *chain,
		   const struct proxy_target *dst, void *owner);

/**
 * udp_assoc_start() - connect to hop 0 and register the control connection.
 * @r: relay.
 * @as: association from udp_assoc_init().
 *
 * Return: 0 or a negative errno.
 */
int udp_assoc_start(struct relay *r, struct udp_assoc *as);

/**
 * udp_assoc_progress() - the control connection is ready: connect, handshakes.
 * @r: relay.
 * @as: association.
 *
 * Return: 1 when the last hop granted the association (then
 * udp_relay_addr() may be asked; as->hs is still there), 0 for more to
 * come, or a negative errno.
 */
int udp_assoc_progress(struct relay *r, struct udp_assoc *as);

/**
 * udp_assoc_watch() - after the grant: the control connection only ever ends it.
 * @as: association in UA_UP.
 *
 * Return: 0, or a negative errno when it ended.
 */
int udp_assoc_watch(struct udp_assoc *as);

/**
 * udp_assoc_strerror() - why the association failed, for the log.
 * @as: association.
 * @err: negative errno.
 *
 * Return: static text, or @as's own buffer.
 */
const char *udp_assoc_strerror(const struct udp_assoc *as, int err);

/**
 * udp_assoc_close() - close the control connection and free the handshake.
 * @r: relay.
 * @as: association (any state).
 */
void udp_assoc_close(struct relay *r, struct udp_assoc *as);

/**
 * udp_relay_addr() - where the datagrams of a granted association go.
 * @chain: the chain.
 * @bnd: BND.ADDR and BND.PORT of the last hop's reply.
 * @ss: receives the address.
 *
 * BND.ADDR as given; unspecified (0.0.0.0 or ::) means the last hop's own
 * address (RFC 1928 practice): for a chain of one, the address its control
 * connection reached; for a longer one, the last hop's configured address,
 * which must then be an IP literal.
 *
 * Return: 0, or -EADDRNOTAVAIL (a name, or an unspecified address whose
 * hop is known only by name or as a unix socket).
 */
int udp_relay_addr(const struct relay_chain *chain, const struct proxy_target *bnd,
		   struct sockaddr_storage *ss);

/**
 * udp_assoc_open_up() - the UDP socket of a granted association.
 * @as: association for which udp_assoc_progress() returned 1.
 *
 * Made where hop 0 is dialled from (relay_chain_socket()) and connect()ed to
 * udp_relay_addr(): a relay address with no route fails here.
 *
 * Return: the non-blocking fd or a negative errno.
 */
int udp_assoc_open_up(const struct udp_assoc *as);

/* ---- udp_flow.c ---- */

/**
 * udp_flow_on_event() - an fd of @f is ready.
 * @r: relay.
 * @f: flow.
 * @ev: which of its fds.
 * @events: epoll events.
 */
void udp_flow_on_event(struct relay *r, struct udp_flow *f, struct ev *ev, uint32_t events);

/**
 * udp_flow_datagram() - one datagram of the app, sent on (app, orig)'s flow.
 * @r: relay.
 * @rs: subject.
 * @app: the app's address.
 * @orig: its original destination.
 * @data: payload.
 * @len: its length.
 *
 * A new flow is started when there is none; refused ones are counted.
 */
void udp_flow_datagram(struct relay *r, struct relay_subject *rs,
		       const struct sockaddr_storage *app, const struct sockaddr_storage *orig,
		       const uint8_t *data, size_t len);

/**
 * udp_flow_tick() - end @f when idle, not up in time, or its egress namespace is gone.
 * @r: relay.
 * @f: flow.
 * @now: CLOCK_MONOTONIC seconds.
 */
void udp_flow_tick(struct relay *r, struct udp_flow *f, uint64_t now);

/**
 * udp_flow_free() - close every fd and unlink; the memory goes after the batch.
 * @r: relay.
 * @f: flow.
 */
void udp_flow_free(struct relay *r, struct udp_flow *f);

/**
 * udp_flow_fail() - log why the flow failed and free it.
 * @r: relay.
 * @f: flow.
 * @err: negative errno.
 */
void udp_flow_fail(struct relay *r, struct udp_flow *f, int err);

/* ---- udp_probe.c ---- */

/**
 * udp_probe_on_event() - the probe's control connection is ready.
 * @r: relay.
 * @p: probe.
 */
void udp_probe_on_event(struct relay *r, struct udp_probe *p);

/**
 * udp_probe_cancel() - end @p without telling its outcome.
 * @r: relay.
 * @p: probe.
 */
void udp_probe_cancel(struct relay *r, struct udp_probe *p);

/**
 * udp_probe_tick() - finish every probe whose time is up or whose connect failed.
 * @r: relay.
 * @now: CLOCK_MONOTONIC seconds.
 */
void udp_probe_tick(struct relay *r, uint64_t now);

#endif
