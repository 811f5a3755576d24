/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conn.h - one relayed TCP connection; private to src/relay/.
 */
#ifndef NETNSP_CONN_H
#define NETNSP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "egress.h"
#include "relay.h"

/*
 * C_SERVER only for connections to an in-namespace endpoint (socks-port,
 * http-port): the app's own SOCKS5 / HTTP request is read first.  C_DEAD:
 * conn_free() ran; the memory stays until the end of the batch (loop.h
 * rule 2), so a callback of the same batch can still tell it ended.
 */
enum conn_state { C_SERVER, C_CONNECTING, C_HANDSHAKE, C_FLUSH, C_RELAY, C_DEAD };

enum conn_ep { EP_NONE = 0, EP_SOCKS, EP_HTTP };

/*
 * An endpoint client's state (endpoint.c): its request parser, and what goes
 * upstream before relaying.  Zero for a tproxied connection.
 */
struct ep_state {
	void *srv;	   /* owned: struct socks5_srv / http_srv */
	uint8_t *up_early; /* owned: to the upstream before relaying (HTTP GET head,
			    * app bytes read past an endpoint request) */
	size_t up_early_len;
	size_t up_early_off;
};

/* Only while the tunnel is being built; freed before the relay starts. */
struct conn_hs {
	struct proxy_hs hs;
	struct proxy_target dst;	     /* the app's original destination */
	size_t hop;			     /* hop whose handshake runs */
	char iso_user[ISOLATE_USER_LEN + 1]; /* hs.user for isolate = destination or app */
	char app[32];			     /* "UID:CGROUP" of the app (isolate = app), "" */
	char why[96];			  /* why relay_route() refused it, or the lookup failed */
	struct dns_fwd *lookup;		  /* url = direct: the name's lookup in flight, or NULL */
	uint8_t early[PROXY_IN_MAX + 64]; /* to the app: endpoint reply + tunnel bytes
					   * that came with the last proxy reply */
	size_t early_len;
	size_t early_off;
	struct ep_state eps; /* owned by endpoint.c */
};

struct conn {
	struct ev app;		  /* owned fd: the app's socket, inside the subject */
	struct ev up;		  /* owned fd: towards hop 0, in the daemon's namespace */
	struct relay_subject *rs; /* not owned */
	struct relay_stats *st;	  /* not owned: the counters of rs this loop writes */
	const struct relay_chain
		*chain;		  /* not owned: the route's (relay_route()); NULL until chosen */
	struct conn *prev, *next; /* rs->conns */
	struct conn *hs_prev, *hs_next; /* r->handshaking, until C_RELAY */
	struct conn_hs *hs;		/* owned, until C_RELAY */
	uint64_t deadline;		/* CLOCK_MONOTONIC seconds, for the handshake */
	enum conn_state state;
	enum conn_ep ep;	     /* which endpoint accepted it, EP_NONE for tproxy */
	int fake_family;	     /* AF_* when the destination was a fake address: its */
	uint8_t fake_addr[16];	     /* mapping is referenced until the connection ends */
	int pipe_up[2];		     /* owned: app -> upstream */
	int pipe_down[2];	     /* owned: upstream -> app */
	uint32_t pend_up, pend_down; /* bytes sitting in each pipe */
	uint32_t cap_up, cap_down;   /* each pipe's size once grown (or refused), 0 before */
	bool app_eof, up_eof;	     /* read side saw EOF */
	bool app_shut, up_shut;	     /* we sent FIN with shutdown(SHUT_WR) */
	struct egress_waiter egw;    /* queued for a socket of the egress namespace (egress.h) */
};

#define CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/* The counters and connection list of @rs that loop @r owns (relay.h struct relay_shard). */
static inline struct relay_stats *conn_stats_of(struct relay *r, struct relay_subject *rs)
{
	return r->id ? &rs->wk[r->id].stats : &rs->stats;
}

static inline struct conn **conn_list_of(struct relay *r, struct relay_subject *rs)
{
	return r->id ? &rs->wk[r->id].conns : &rs->conns;
}

/**
 * relay_chain_connect_wait() - relay_chain_connect() that may wait for its socket.
 * @ch: chain.
 * @dst: the destination (url = direct: where to connect).
 * @w: queued when @ch's egress namespace has no socket ready (egress.h).
 *
 * Main loop only: the egress queue and its eventfd are the main loop's.
 *
 * Return: as relay_chain_connect(), or -EINPROGRESS: @w is queued; its
 * socket comes to relay_on_egress(), which connects it with relay_chain_connect_fd().
 */
int relay_chain_connect_wait(const struct relay_chain *ch, const struct proxy_target *dst,
			     struct egress_waiter *w);

/**
 * relay_chain_connect_fd() - start the connect of relay_chain_connect() on socket @fd.
 * @ch: chain.
 * @dst: the destination.
 * @fd: a socket from @ch's namespace (owned from now on: closed on failure).
 *
 * Return: @fd (connect in progress or deferred) or a negative errno.
 */
int relay_chain_connect_fd(const struct relay_chain *ch, const struct proxy_target *dst, int fd);

/**
 * conn_new() - a connection for the accepted app socket @app_fd, with its handshake state.
 * @r: relay.
 * @rs: subject.
 * @app_fd: accepted socket (owned by the connection from now on).
 *
 * Return: the connection (state C_CONNECTING, no upstream yet) or NULL.
 */
struct conn *conn_new(struct relay *r, struct relay_subject *rs, int app_fd);

/**
 * conn_take() - start relaying an accepted transparent connection (tcp.c).
 * @r: relay (of the loop that serves it: the main loop or a worker).
 * @rs: subject.
 * @fd: accepted socket, already admitted (owned from now on: reset on failure).
 */
void conn_take(struct relay *r, struct relay_subject *rs, int fd);

/**
 * conn_accept() - conn_new() for a just-accepted socket, within the subject's cap.
 * @r: relay.
 * @rs: subject.
 * @fd: accepted socket (owned from now on: reset and closed when refused).
 *
 * Return: the connection, or NULL (refused at max-connections, or out of memory).
 */
struct conn *conn_accept(struct relay *r, struct relay_subject *rs, int fd);

/**
 * conn_connect() - open the upstream socket towards hop 0 and register both fds.
 * @r: relay.
 * @c: connection whose hs->dst is set.
 *
 * Return: 0 or a negative errno (the caller fails the connection).
 */
int conn_connect(struct relay *r, struct conn *c);

/**
 * conn_pump() - move bytes one way until the kernel says EAGAIN (pump.c).
 * @r: the connection's relay.
 * @c: a connection in C_RELAY.
 * @up: app -> upstream, else upstream -> app.
 *
 * Copied while the reads are small, then through the direction's pipe
 * (made then).  At the source's EOF, once nothing waits, the other side is
 * shut down for writing (half-close).
 *
 * Return: 0, or a negative errno when a side failed (the caller resets both).
 */
int conn_pump(struct relay *r, struct conn *c, bool up);

/**
 * conn_fail() - the tunnel could not be built: log once, tell the app, free.
 * @r: relay.
 * @c: connection.
 * @err: negative errno.
 *
 * A tproxied app gets a reset; an endpoint client gets its protocol's error reply.
 */
void conn_fail(struct relay *r, struct conn *c, int err);

/**
 * conn_close_all() - reset and free every connection of @rs (tcp.c).
 * @r: relay.
 * @rs: subject.
 */
void conn_close_all(struct relay *r, struct relay_subject *rs);

/**
 * conn_tick() - reset connections whose handshake took too long (tcp.c).
 * @r: relay.
 * @now: CLOCK_MONOTONIC seconds.
 */
void conn_tick(struct relay *r, uint64_t now);

/**
 * relay_listeners_close() - close @rs's listeners, endpoints and sock_diag socket (listen.c).
 * @r: relay.
 * @rs: subject.
 */
void relay_listeners_close(struct relay *r, struct relay_subject *rs);

/**
 * relay_worker_hand() - give an admitted connection to the next loop in turn (worker.c).
 * @r: the main loop's relay.
 * @rs: its subject.
 * @fd: the accepted socket.
 *
 * Return: true when @fd is dealt with (handed over, or reset because that
 * worker's queue is full); false when the main loop is to serve it.
 */
bool relay_worker_hand(struct relay *r, struct relay_subject *rs, int fd);

/**
 * relay_workers_forget() - have every worker reset its connections of @rs, and wait (worker.c).
 * @r: the main loop's relay.
 * @rs: subject whose chain is about to change, or that is going away.
 */
void relay_workers_forget(struct relay *r, struct relay_subject *rs);

/**
 * relay_workers_live() - connections the workers hold, all subjects (worker.c).
 * @r: the main loop's relay.
 *
 * Return: their number.
 */
uint64_t relay_workers_live(const struct relay *r);

/**
 * ep_server_input() - read and answer an endpoint client's request (endpoint.c).
 * @r: relay.
 * @c: connection in C_SERVER.
 *
 * Return: 0 (wait, or moved on to C_CONNECTING), or a negative errno.
 */
int ep_server_input(struct relay *r, struct conn *c);

/**
 * ep_tunnel_ready() - the chain reached the target: queue the endpoint's
 * success reply for the app (SOCKS5 reply, HTTP 200) or the request for the
 * origin (HTTP absolute-form).
 * @c: connection.
 *
 * Return: 0 or a negative errno.
 */
int ep_tunnel_ready(struct conn *c);

/**
 * ep_error_reply() - best-effort error reply to an endpoint client before closing.
 * @c: connection.
 * @err: negative errno.
 */
void ep_error_reply(struct conn *c, int err);

/**
 * ep_flush_up() - send the endpoint's early bytes upstream (endpoint.c).
 * @c: connection.
 *
 * Return: 1 when all are out (or there are none), 0 to wait for EPOLLOUT,
 * or a negative errno.
 */
int ep_flush_up(struct conn *c);

/**
 * ep_free() - release the endpoint state of @h.
 * @r: relay (its count of pending endpoint parsers).
 * @h: handshake state.
 */
void ep_free(struct relay *r, struct conn_hs *h);

#endif
