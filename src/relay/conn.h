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
 * http-port): the app's own SOCKS5 / HTTP request is read first.
 */
enum conn_state { C_SERVER, C_CONNECTING, C_HANDSHAKE, C_FLUSH, C_RELAY, C_DEAD };

enum conn_ep { EP_NONE = 0, EP_SOCKS, EP_HTTP };

/* Only while the tunnel is being built; freed before the relay starts. */
struct conn_hs {
	struct proxy_hs hs;
	struct proxy_target dst;	     /* the app's original destination */
	size_t hop;			     /* hop whose handshake runs */
	char iso_user[ISOLATE_USER_LEN + 1]; /* hs.user for isolate = destination or app */
	char app[32];			     /* "UID:CGROUP" of the app (isolate = app), "" */
	char why[96];			     /* why relay_route() refused it */
	uint8_t early[PROXY_IN_MAX + 64];    /* to the app: endpoint reply + tunnel bytes
					      * that came with the last proxy reply */
	size_t early_len;
	size_t early_off;
	void *srv;	   /* owned: struct socks5_srv / http_srv (endpoints) */
	uint8_t *up_early; /* owned: to the upstream before relaying (HTTP GET head,
			    * app bytes read past an endpoint request) */
	size_t up_early_len;
	size_t up_early_off;
};

struct conn {
	struct ev app;		  /* owned fd: the app's socket, inside the subject */
	struct ev up;		  /* owned fd: towards hop 0, in the daemon's namespace */
	struct relay_subject *rs; /* not owned */
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
 * conn_fail() - the tunnel could not be built: log once, tell the app, free.
 * @r: relay.
 * @c: connection.
 * @err: negative errno.
 *
 * A tproxied app gets a reset; an endpoint client gets its protocol's error reply.
 */
void conn_fail(struct relay *r, struct conn *c, int err);

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
 * ep_free() - release the endpoint parser state in @h.
 * @h: handshake state.
 */
void ep_free(struct conn_hs *h);

#endif
