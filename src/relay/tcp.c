// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp.c - one TCP connection from an app in a subject to its destination
 * through the subject's proxy chain.
 *
 * Life of a connection:
 *   CONNECTING  non-blocking connect() to hop 0 from the daemon's namespace
 *   HANDSHAKE   hop i is asked to connect to hop i+1 (or the destination);
 *               proxy.h parses replies incrementally, never past their end
 *   RELAY       bytes moved both ways by conn_pump() (pump.c), edge-triggered;
 *               EOF on one side becomes shutdown(SHUT_WR) on the other
 *               (half-close), an error on one side resets the other.
 * Until RELAY, every failure resets the app's socket (SO_LINGER 0): a
 * refused or unreachable upstream is an immediate ECONNRESET for the app.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "netlink/nl-diag.h"
#include "netns/netns.h"
#include "relay.h"
#include "resolver.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

#include "conn.h"

#define CONN_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)

/* Make close() send RST instead of FIN: what a refused connection looks like. */
static void sock_set_reset(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++) {
		if (p[i] >= 0)
			close(p[i]);
		p[i] = -1;
	}
}

static void hs_list_remove(struct relay *r, struct conn *c)
{
	if (c->hs_prev)
		c->hs_prev->hs_next = c->hs_next;
	else if (r->handshaking == c)
		r->handshaking = c->hs_next;
	if (c->hs_next)
		c->hs_next->hs_prev = c->hs_prev;
	c->hs_prev = c->hs_next = NULL;
}

/* Close both sides; @reset_app / @reset_up turn the FIN into a RST. */
static void conn_free(struct relay *r, struct conn *c, bool reset_app, bool reset_up)
{
	struct relay_subject *rs = c->rs;

	hs_list_remove(r, c);
	egress_wait_cancel(&c->egw);
	if (c->prev)
		c->prev->next = c->next;
	else
		*conn_list_of(r, rs) = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (reset_app)
		sock_set_reset(c->app.fd);
	if (reset_up && c->up.fd >= 0)
		sock_set_reset(c->up.fd);
	loop_close(r->loop, &c->app);
	loop_close(r->loop, &c->up);
	close_pair(c->pipe_up);
	close_pair(c->pipe_down);
	if (c->fake_family)
		relay_fake_put(rs, c->fake_family, c->fake_addr);
	if (c->hs && c->hs->lookup)
		relay_dns_lookup_cancel(c->hs->lookup);
	if (c->hs)
		ep_free(r, c->hs);
	free(TAKE_PTR(c->hs));
	relay_stat_add(&c->st->live, (uint64_t)-1);
	relay_stat_add(&r->live, (uint64_t)-1);
	c->state = C_DEAD;
	loop_defer_free(r->loop, c, NULL); /* loop.h rule 2 */
}

void conn_fail(struct relay *r, struct conn *c, int err)
{
	char dst[PROXY_NAME_MAX + 16], hop[PROXY_NAME_MAX + 32];
	const char *why;

	relay_target_describe(&c->hs->dst, dst, sizeof(dst));
	if (c->chain)
		relay_chain_describe(c->chain, c->hs->hop, hop, sizeof(hop));
	else
		snprintf(hop, sizeof(hop), "(no chain)");
	if (c->hs->why[0])
		why = c->hs->why;
	else if (c->state == C_HANDSHAKE)
		why = proxy_strerror(&c->hs->hs, err);
	else
		why = strerror(-err);
	if (c->state == C_SERVER)
		log_info("profile '%s': %s", c->rs->name,
			 relay_note_error(c->rs, "endpoint client: %s", strerror(-err)));
	else
		log_info("profile '%s': %s", c->rs->name,
			 relay_note_error(c->rs, "%s: via %s: %s", dst, hop, why));
	relay_stat_add(&c->st->failed, 1);
	if (c->ep != EP_NONE) {
		/* A proxy client is owed its protocol's answer, not a bare reset. */
		ep_error_reply(c, err);
		conn_free(r, c, false, true);
		return;
	}
	conn_free(r, c, true, true);
}

/*
 * isolate = app: the owner (uid, cgroup id) of the app's end of @c, asked of
 * the kernel in the subject's namespace.  The app's socket is bound to our
 * peer's address and connected to our own; a failure (the app closed at
 * once, a kernel without sock_diag) falls back to "?", one identity shared
 * by every such connection of the subject.
 */
static void conn_app_identity(struct conn *c)
{
	struct sockaddr_storage self, peer;
	socklen_t sl = sizeof(self), pl = sizeof(peer);
	struct nl_diag_owner own;
	int r = -EBADF;

	if (c->rs->diag_fd >= 0 && getsockname(c->app.fd, (struct sockaddr *)&self, &sl) == 0 &&
	    getpeername(c->app.fd, (struct sockaddr *)&peer, &pl) == 0)
		r = nl_diag_owner(c->rs->diag_fd, &peer, &self, &own);
	if (r < 0) {
		log_debug("profile '%s': app of a connection unknown: %s", c->rs->name,
			  strerror(-r));
		snprintf(c->hs->app, sizeof(c->hs->app), "?");
		return;
	}
	snprintf(c->hs->app, sizeof(c->hs->app), "%u:%llu", own.uid,
		 (unsigned long long)own.cgroup);
}

/* Ask hop c->hs->hop to connect to the next hop, or to the destination. */
static int conn_start_hop(struct conn *c)
{
	const struct relay_chain *ch = c->chain;
	struct conn_hs *h = c->hs;
	const struct relay_hop *hop = &ch->hops[h->hop];
	const struct proxy_target *t;

	t = h->hop + 1 < ch->n_hops ? &ch->hops[h->hop + 1].target : &h->dst;
	c->state = C_HANDSHAKE;
	if (hop->isolate == ISOLATE_APP && !h->app[0])
		conn_app_identity(c);
	return relay_hop_hs_pipeline(
		hop, &h->hs,
		proxy_hs_init(&h->hs, hop->kind, relay_hop_user(ch, h->hop, t, h->app, h->iso_user),
			      hop->pass, t));
}

static int conn_hs_send(struct conn *c)
{
	return relay_hs_send(&c->hs->hs, c->up.fd);
}

static int conn_start_relay(struct relay *r, struct conn *c);

/*
 * Feed one received chunk to the running handshake.  Bytes past the last
 * hop's reply are the destination's (a server that speaks first) and go to
 * the app before the relay starts; past an inner hop's reply they are a
 * protocol violation (no proxy speaks before it is asked).
 */
static int conn_hs_input(struct conn *c, const uint8_t *buf, size_t n, bool *done)
{
	struct conn_hs *h = c->hs;
	size_t used;
	int r;

	while (n > 0) {
		r = proxy_hs_feed(&h->hs, buf, n, &used);
		if (r < 0)
			return r;
		buf += used;
		n -= used;
		if (r == 0)
			continue;
		if (++h->hop == c->chain->n_hops) {
			r = c->ep != EP_NONE ? ep_tunnel_ready(c) : 0;
			if (r < 0)
				return r;
			if (n > sizeof(h->early) - h->early_len)
				return -EMSGSIZE;
			memcpy(h->early + h->early_len, buf, n);
			h->early_len += n;
			*done = true;
			return 0;
		}
		if (n > 0)
			return -EPROTO;
		r = conn_start_hop(c);
		if (r < 0)
			return r;
		r = conn_hs_send(c);
		if (r < 0)
			return r;
	}
	return 0;
}

static int conn_handshake(struct relay *r, struct conn *c)
{
	uint8_t buf[PROXY_IN_MAX];
	bool done = false;
	ssize_t n;
	int ret;

	ret = conn_hs_send(c);
	if (ret < 0)
		return ret;
	while (!done) {
		n = recv(c->up.fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		if (n == 0)
			return -ECONNRESET;
		ret = conn_hs_input(c, buf, (size_t)n, &done);
		/* A reply may have queued the next request (SOCKS5 auth, CONNECT). */
		if (ret == 0 && !done)
			ret = conn_hs_send(c);
		if (ret < 0)
			return ret;
		/*
		 * A short read emptied the receive queue: what comes later is a new
		 * edge (EPOLLET), so don't ask again just to hear EAGAIN.
		 */
		if (!done && (size_t)n < sizeof(buf))
			return 0;
	}
	return conn_start_relay(r, c);
}

static int conn_connected(struct relay *r, struct conn *c)
{
	int err = 0;
	socklen_t len = sizeof(err);
	int ret;

	if (getsockopt(c->up.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return neg_errno();
	if (err == EINPROGRESS || err == EALREADY)
		return 0;
	if (err)
		return -err;
	if (c->chain->direct) {
		/* No proxy to ask: connected is the tunnel. */
		c->hs->hop = 1;
		ret = c->ep != EP_NONE ? ep_tunnel_ready(c) : 0;
		return ret < 0 ? ret : conn_start_relay(r, c);
	}
	ret = conn_start_hop(c);
	if (ret < 0)
		return ret;
	return conn_handshake(r, c);
}

/* Write the early bytes to both sides; 1 when all are out. */
static int conn_flush_early(struct conn *c)
{
	struct conn_hs *h = c->hs;
	ssize_t n;

	n = ep_flush_up(c);
	if (n <= 0)
		return (int)n;
	while (h->early_off < h->early_len) {
		n = send(c->app.fd, h->early + h->early_off, h->early_len - h->early_off,
			 MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		h->early_off += (size_t)n;
		relay_stat_add(&c->st->bytes_down, (uint64_t)n);
	}
	return 1;
}

static int conn_start_relay(struct relay *r, struct conn *c)
{
	int ret;

	c->state = C_FLUSH;
	ret = conn_flush_early(c);
	if (ret <= 0)
		return ret;
	hs_list_remove(r, c);
	ep_free(r, c->hs); /* else each endpoint client would keep a parser slot for good */
	free(TAKE_PTR(c->hs));
	c->state = C_RELAY;
	return 0;
}

/*
 * An error a peer causes (a reset, a broken pipe, a vanished route) ends a
 * tunnel as TCP would end it; any other (no file descriptor or memory left
 * for a pipe) is the daemon's own, and the program got a reset nothing on
 * the network sent, so that one is logged (rate-limited) and noted for status.
 */
static bool relay_err_own(int err)
{
	switch (-err) {
	case ECONNRESET:
	case EPIPE:
	case ETIMEDOUT:
	case ECONNREFUSED:
	case ECONNABORTED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENETDOWN:
	case ENOTCONN:
		return false;
	default:
		return err < 0;
	}
}

/* Returns true when the connection is finished and was freed. */
static bool conn_relay(struct relay *r, struct conn *c)
{
	int a = conn_pump(r, c, true), b = conn_pump(r, c, false);

	if (a < 0 || b < 0) {
		int own = relay_err_own(a) ? a : relay_err_own(b) ? b : 0;

		if (own) {
			/* Out of fds or memory, every tunnel may fail: a line a minute per loop. */
			ratelog_msg(&c->rs->wk[r->id].own_err, LOG_LVL_WARN, "profile '%s': %s",
				    c->rs->name,
				    relay_note_error(c->rs,
						     "relaying a connection: %s; both ends reset",
						     strerror(-own)));
			relay_stat_add(&c->st->failed, 1);
		}
		/* An error on one side is a reset on the other (RFC 793 §3.4 spirit). */
		conn_free(r, c, true, true);
		return true;
	}
	if (c->up_shut && c->app_shut) {
		conn_free(r, c, false, false);
		return true;
	}
	return false;
}

void relay_on_conn(struct relay *r, struct ev *ev, uint32_t events)
{
	struct conn *c;
	int ret = 0;

	if (ev->tag == EV_APP)
		c = (struct conn *)((char *)ev - offsetof(struct conn, app));
	else
		c = (struct conn *)((char *)ev - offsetof(struct conn, up));
	if (c->state == C_DEAD)
		return; /* freed earlier in this batch */
	if (c->state != C_RELAY && c->state != C_SERVER && ev->tag == EV_APP &&
	    (events & EPOLLERR)) {
		/* The app gave up (RST) while we were still building the tunnel. */
		conn_free(r, c, false, true);
		return;
	}
	if (c->state == C_SERVER && ev->tag == EV_APP)
		ret = ep_server_input(r, c);
	else if (c->state == C_CONNECTING && ev->tag == EV_UP)
		ret = conn_connected(r, c);
	else if (c->state == C_HANDSHAKE && ev->tag == EV_UP)
		ret = conn_handshake(r, c);
	else if (c->state == C_FLUSH)
		ret = conn_start_relay(r, c);
	if (ret < 0) {
		conn_fail(r, c, ret);
		return;
	}
	if (c->state == C_RELAY)
		conn_relay(r, c);
}

static int dst_from_sockaddr(struct proxy_target *t, const struct sockaddr_storage *ss)
{
	memset(t, 0, sizeof(*t));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;

		if ((ntohl(in->sin_addr.s_addr) >> 24) == 127)
			return -ELOOP;
		t->family = AF_INET;
		memcpy(t->addr, &in->sin_addr, 4);
		t->port = ntohs(in->sin_port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return -ELOOP;
		t->family = AF_INET6;
		memcpy(t->addr, &in6->sin6_addr, 16);
		t->port = ntohs(in6->sin6_port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

struct conn *conn_new(struct relay *r, struct relay_subject *rs, int app_fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct conn **head;

	if (!c)
		return NULL;
	c->hs = calloc(1, sizeof(*c->hs));
	if (!c->hs) {
		free(c);
		return NULL;
	}
	c->app = (struct ev){.tag = EV_APP, .fd = app_fd};
	c->up = (struct ev){.tag = EV_UP, .fd = -1};
	c->pipe_up[0] = c->pipe_up[1] = c->pipe_down[0] = c->pipe_down[1] = -1;
	c->rs = rs;
	head = conn_list_of(r, rs);
	c->st = conn_stats_of(r, rs);
	c->next = *head;
	if (*head)
		(*head)->prev = c;
	*head = c;
	c->hs_next = r->handshaking;
	if (r->handshaking)
		r->handshaking->hs_prev = c;
	r->handshaking = c;
	c->deadline = mono_now() + RELAY_HANDSHAKE_TIMEOUT;
	relay_stat_add(&c->st->live, 1);
	relay_stat_add(&c->st->total, 1);
	relay_stat_add(&r->live, 1);
	relay_stat_add(&r->total, 1);
	return c;
}

struct conn *conn_accept(struct relay *r, struct relay_subject *rs, int fd)
{
	struct conn *c = NULL;

	if (relay_admit(r, rs, false)) {
		c = conn_new(r, rs, fd);
		if (!c)
			rs->stats.failed++;
	}
	if (!c)
		relay_reset_close(fd);
	return c;
}

void conn_take(struct relay *r, struct relay_subject *rs, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct conn *c = conn_new(r, rs, fd);
	int ret;

	if (!c) {
		relay_stat_add(&conn_stats_of(r, rs)->failed, 1);
		relay_reset_close(fd);
		return;
	}
	/* TPROXY keeps the original destination as the local address. */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		ret = neg_errno();
	else
		ret = dst_from_sockaddr(&c->hs->dst, &ss);
	if (ret == 0)
		ret = loop_add(r->loop, &c->app, CONN_EVENTS);
	if (ret == 0)
		ret = conn_connect(r, c);
	if (ret < 0)
		conn_fail(r, c, ret);
}

int relay_tunnel_open(struct relay *r, struct relay_subject *rs, const struct proxy_target *dst)
{
	int sp[2], ret;
	struct conn *c;

	if (!relay_admit(r, rs, false))
		return -EAGAIN;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0)
		return neg_errno();
	c = conn_new(r, rs, sp[0]);
	if (!c) {
		close(sp[0]);
		close(sp[1]);
		return -ENOMEM;
	}
	c->hs->dst = *dst;
	ret = loop_add(r->loop, &c->app, CONN_EVENTS);
	if (ret == 0)
		ret = conn_connect(r, c);
	if (ret < 0)
		conn_fail(r, c, ret); /* our end then reads EOF: the caller sees the failure */
	return sp[1];
}

/* Open the upstream socket of @c towards hop 0 (or, for url = direct, the destination). */
static int conn_dial(struct relay *r, struct conn *c)
{
	int fd;

	/* Egress namespaces and their queue are the main loop's (egress.h). */
	if (r->id && (c->chain->ens || c->chain->egress))
		return -EXDEV; /* relay_subject_spreads() keeps such chains off the workers */
	fd = relay_chain_connect_wait(c->chain, &c->hs->dst, &c->egw);
	if (fd == -EINPROGRESS)
		return 0; /* queued: relay_on_egress() goes on */
	if (fd < 0)
		return fd;
	c->up.fd = fd;
	return loop_add(r->loop, &c->up, CONN_EVENTS);
}

/*
 * url = direct connects to addresses: a name (a fake address's, or an endpoint
 * client's) is first resolved by the profile's dns-server, asked through the
 * same egress namespace (docs/DESIGN.md "Egress namespaces").
 */
static relay_lookup_fn conn_resolved;

static int conn_lookup(struct conn *c)
{
	int ret = relay_dns_lookup(c->rs, c->hs->dst.name, conn_resolved, c, &c->hs->lookup);

	if (ret != -ENOENT)
		return ret;
	snprintf(c->hs->why, sizeof(c->hs->why),
		 "'direct' resolves names with the profile's dns-server, and it has none");
	return -EACCES;
}

int conn_connect(struct relay *r, struct conn *c)
{
	struct proxy_target *t = &c->hs->dst;
	int fam = t->family, fd;
	uint8_t addr[16];

	c->state =
		C_CONNECTING; /* from here a failure is the tunnel's, not the endpoint client's */
	memcpy(addr, t->addr, sizeof(addr));
	/* A fake address from the subject's resolver travels as its name. */
	fd = relay_fake_target(c->rs, t);
	if (fd < 0)
		return fd;
	if (fd == 1) {
		c->fake_family = fam;
		memcpy(c->fake_addr, addr, sizeof(addr));
	}
	c->chain = relay_route(c->rs, t, c->hs->why, sizeof(c->hs->why));
	if (!c->chain)
		return -EACCES;
	if (c->chain->direct && !t->family) /* never on a worker: relay_subject_spreads() */
		return r->id ? -EACCES : conn_lookup(c);
	return conn_dial(r, c);
}

/* The outcome of @arg's lookup: dial the address, or fail with the reason. */
static void conn_resolved(struct relay *r, void *arg, int family, const uint8_t *addr)
{
	struct conn *c = arg;
	struct proxy_target *t = &c->hs->dst;
	int ret;

	if (family < 0) {
		snprintf(c->hs->why, sizeof(c->hs->why), "%s", relay_dns_lookup_strerror(family));
		ret = family == -ENOENT ? -EHOSTUNREACH : family;
	} else {
		t->family = family;
		memcpy(t->addr, addr, family == AF_INET ? 4 : 16);
		ret = conn_dial(r, c);
	}
	if (ret < 0)
		conn_fail(r, c, ret);
}

void relay_on_listener(struct relay *r, struct relay_subject *rs, struct ev *ev)
{
	/* Bounded batch per wakeup so one busy subject cannot starve the loop. */
	for (int i = 0; i < 64 && ev->fd >= 0; i++) {
		int fd = relay_accept(r, rs, ev, "TCP relay");

		if (fd == -ECONNABORTED)
			continue;
		if (fd < 0)
			return;
		if (!relay_admit(r, rs, false))
			relay_reset_close(fd);
		else if (!rs->spread || !relay_worker_hand(r, rs, fd))
			conn_take(r, rs, fd); /* the main loop's turn, or no workers */
	}
}

void conn_close_all(struct relay *r, struct relay_subject *rs)
{
	struct conn **head = conn_list_of(r, rs);

	while (*head)
		conn_free(r, *head, true, true);
}

void conn_tick(struct relay *r, uint64_t now)
{
	struct conn *c = r->handshaking, *next;

	for (; c; c = next) {
		next = c->hs_next;
		if (now >= c->deadline)
			conn_fail(r, c, -ETIMEDOUT);
	}
}
