// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * endpoint.c - the in-namespace proxy endpoints: a SOCKS5 server
 * (socks-port) and an HTTP proxy (http-port, absolute-form requests and
 * CONNECT) on 127.0.0.1 and ::1 inside a subject, for proxy-aware apps.
 *
 * They are ordinary listeners (not transparent): the app connects to them
 * on purpose.  The request is parsed by src/proxy/server.h; its target,
 * names included, goes unresolved to the profile's chain exactly like a
 * tproxied connection's original destination.  Once the chain reaches the
 * target the app gets its protocol's success reply (or, for an HTTP
 * absolute-form request, the rewritten request goes to the origin), and
 * the connection is spliced like any other.  A failure gets the protocol's
 * error reply (SOCKS5 REP code, HTTP 502/504/...) instead of a reset.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "conn.h"
#include "netns/netns.h"
#include "proxy/server.h"
#include "util/log.h"
#include "util/macro.h"

/* Endpoint handshakes that may be pending at once (an http_srv is ~40 KiB). */
#define EP_MAX_PENDING 256
/* Seconds a client may take to send its request: idle clients must not fill the slots. */
#define EP_REQUEST_TIMEOUT 5

void ep_free(struct relay *r, struct conn_hs *h)
{
	if (h->eps.srv)
		r->ep_pending--;
	free(TAKE_PTR(h->eps.srv));
	free(TAKE_PTR(h->eps.up_early));
}

int ep_flush_up(struct conn *c)
{
	struct ep_state *e = &c->hs->eps;

	while (e->up_early_off < e->up_early_len) {
		ssize_t n = send(c->up.fd, e->up_early + e->up_early_off,
				 e->up_early_len - e->up_early_off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		e->up_early_off += (size_t)n;
		relay_stat_add(&c->st->bytes_up, (uint64_t)n);
	}
	return 1;
}

static int ep_send_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : neg_errno();
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Keep what the app sent past its request: it goes upstream before relaying. */
static int ep_keep_extra(struct conn_hs *h, const uint8_t *head, size_t head_len,
			 const uint8_t *extra, size_t extra_len)
{
	if (head_len + extra_len == 0)
		return 0;
	h->eps.up_early = malloc(head_len + extra_len);
	if (!h->eps.up_early)
		return -ENOMEM;
	if (head_len)
		memcpy(h->eps.up_early, head, head_len);
	if (extra_len)
		memcpy(h->eps.up_early + head_len, extra, extra_len);
	h->eps.up_early_len = head_len + extra_len;
	return 0;
}

/* Feed one chunk; 1 when the request is complete and the chain is dialled. */
static int ep_feed(struct relay *r, struct conn *c, const uint8_t *buf, size_t n)
{
	struct conn_hs *h = c->hs;
	const uint8_t *out;
	size_t used = 0, len = 0;
	int ret;

	if (c->ep == EP_SOCKS) {
		struct socks5_srv *s = h->eps.srv;

		ret = socks5_srv_feed(s, buf, n, &used);
		out = socks5_srv_output(s, &len);
		if (len && ep_send_all(c->app.fd, out, len) == 0)
			socks5_srv_sent(s, len);
		if (ret == 1 && s->cmd != SOCKS5_CMD_CONNECT)
			ret = -EOPNOTSUPP; /* UDP ASSOCIATE: not carried by this endpoint yet */
		if (ret == 1)
			h->dst = s->target;
	} else {
		struct http_srv *hp = h->eps.srv;

		ret = http_srv_feed(hp, buf, n, &used);
		if (ret == 1) {
			h->dst = hp->target;
			out = hp->connect ? NULL : http_srv_request(hp, &len);
			if (ep_keep_extra(h, out, out ? len : 0, buf + used, n - used) < 0)
				return -ENOMEM;
		}
	}
	if (ret == 1 && c->ep == EP_SOCKS && ep_keep_extra(h, NULL, 0, buf + used, n - used) < 0)
		return -ENOMEM;
	if (ret != 1)
		return ret;
	/* The request is in: the chain gets the usual handshake time. */
	c->deadline += RELAY_HANDSHAKE_TIMEOUT - EP_REQUEST_TIMEOUT;
	ret = conn_connect(r, c);
	return ret < 0 ? ret : 1;
}

int ep_server_input(struct relay *r, struct conn *c)
{
	uint8_t buf[4096];

	for (;;) {
		ssize_t n = recv(c->app.fd, buf, sizeof(buf), 0);
		int ret;

		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		if (n == 0)
			return -ECONNRESET;
		ret = ep_feed(r, c, buf, (size_t)n);
		if (ret != 0)
			return ret < 0 ? ret : 0;
	}
}

int ep_tunnel_ready(struct conn *c)
{
	struct conn_hs *h = c->hs;
	int n = 0;

	if (c->ep == EP_SOCKS)
		n = socks5_srv_build_reply(h->early, sizeof(h->early), 0, NULL);
	else if (((struct http_srv *)h->eps.srv)->connect)
		n = http_srv_build_response(h->early, sizeof(h->early), 200);
	if (n < 0)
		return n;
	h->early_len = (size_t)n;
	return 0;
}

void ep_error_reply(struct conn *c, int err)
{
	uint8_t buf[256];
	int n;

	if (!c->hs || !c->hs->eps.srv)
		return;
	if (c->ep == EP_SOCKS) {
		struct socks5_srv *s = c->hs->eps.srv;
		size_t len;
		const uint8_t *out = socks5_srv_output(s, &len);

		/* A refusal the parser queued itself (no method, bad command) comes first. */
		if (len) {
			(void)ep_send_all(c->app.fd, out, len);
			return;
		}
		if (s->state != SOCKS5_SRV_DONE)
			return;
		n = socks5_srv_build_reply(buf, sizeof(buf), err, NULL);
	} else {
		n = http_srv_build_response(buf, sizeof(buf), http_srv_status_from_errno(err));
	}
	if (n > 0)
		(void)ep_send_all(c->app.fd, buf, (size_t)n);
}

static void *ep_parser_new(struct relay *r, enum conn_ep ep)
{
	void *p;

	if (r->ep_pending >= EP_MAX_PENDING)
		return NULL;
	p = malloc(ep == EP_SOCKS ? sizeof(struct socks5_srv) : sizeof(struct http_srv));
	if (!p)
		return NULL;
	if (ep == EP_SOCKS)
		socks5_srv_init(p, 0);
	else
		http_srv_init(p);
	r->ep_pending++;
	return p;
}

void relay_on_endpoint(struct relay *r, struct relay_subject *rs, struct ev *ev)
{
	enum conn_ep ep = (ev == &rs->ep[0] || ev == &rs->ep[1]) ? EP_SOCKS : EP_HTTP;

	for (int i = 0; i < 64 && ev->fd >= 0; i++) {
		int fd = relay_accept(r, rs, ev,
				      ep == EP_SOCKS ? "SOCKS5 endpoint" : "HTTP endpoint");
		struct conn *c;

		if (fd == -ECONNABORTED)
			continue;
		if (fd < 0)
			return;
		c = conn_accept(r, rs, fd);
		if (!c)
			continue;
		c->ep = ep;
		c->state = C_SERVER;
		c->deadline -= RELAY_HANDSHAKE_TIMEOUT - EP_REQUEST_TIMEOUT;
		c->hs->eps.srv = ep_parser_new(r, ep);
		if (!c->hs->eps.srv || loop_add(r->loop, &c->app, CONN_EVENTS) < 0) {
			conn_fail(r, c, -ENOMEM);
			continue;
		}
	}
}
