/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * proxy.c - the protocol-independent half of the proxy handshakes: input
 * validation, the output queue, dispatch of received bytes to the protocol
 * state machines (socks5.c, socks4.c, http_connect.c) and error texts.
 *
 * Rule shared by all protocols: a reply can only answer a request the proxy
 * has fully received, so bytes that arrive while part of our current request
 * is still unsent are a protocol violation (-EPROTO).  The caller must call
 * proxy_hs_sent() before feeding what came back.
 *
 * Once finished, a handshake stays finished: feeding it again returns 1
 * (consuming nothing) after success and -EPROTO after a failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy-internal.h"
#include "util/macro.h"

/**
 * proxy_wr_finish() - hand a request built with a &struct proxy_wr to @hs.
 * @w: writer over hs->out.
 * @hs: handshake.
 *
 * Return: 0, or -EINVAL when the request did not fit PROXY_OUT_MAX.
 */
int proxy_wr_finish(struct proxy_wr *w, struct proxy_hs *hs)
{
	if (w->bad)
		return -EINVAL;
	hs->out_len = w->len;
	return 0;
}

/**
 * proxy_hs_take() - append input to hs->in until it holds @need bytes.
 * @hs: handshake.
 * @data: received bytes.
 * @len: their number.
 * @need: size of the reply (or reply part) being collected, <= PROXY_IN_MAX.
 *
 * Never takes more than the reply needs: what follows belongs to the next
 * stage or to the tunnel.
 *
 * Return: the number of bytes taken from @data.
 */
size_t proxy_hs_take(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t need)
{
	size_t n;

	if (need > sizeof(hs->in))
		need = sizeof(hs->in);
	if (hs->in_len >= need)
		return 0;
	n = need - hs->in_len;
	if (n > len)
		n = len;
	memcpy(hs->in + hs->in_len, data, n);
	hs->in_len += n;
	return n;
}

/**
 * proxy_hs_has_user() - whether the handshake carries credentials.
 * @hs: handshake.
 *
 * An empty user name counts as none: RFC 1929 §2 needs ULEN >= 1.
 *
 * Return: true if a non-empty user name was given.
 */
bool proxy_hs_has_user(const struct proxy_hs *hs)
{
	return hs->user && hs->user[0];
}

static int proxy_target_check(const struct proxy_target *t)
{
	size_t n;

	switch (t->family) {
	case AF_INET:
	case AF_INET6:
		return 0;
	case 0:
		n = strnlen(t->name, sizeof(t->name));
		return n == 0 || n > PROXY_NAME_MAX ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

static int proxy_creds_check(const char *user, const char *pass)
{
	/* RFC 1929 §2: ULEN and PLEN are one byte each. */
	if (user && strnlen(user, 256) > 255)
		return -EINVAL;
	if (pass && strnlen(pass, 256) > 255)
		return -EINVAL;
	return 0;
}

int proxy_hs_init(struct proxy_hs *hs, enum proxy_kind kind, const char *user, const char *pass,
		  const struct proxy_target *t)
{
	int r;

	if (!hs || !t)
		return -EINVAL;
	memset(hs, 0, offsetof(struct proxy_hs, out));
	hs->out_len = 0;
	hs->in_len = 0;
	hs->kind = kind;
	hs->state = HS_FAILED;
	hs->user = user;
	hs->pass = pass;
	hs->reply_code = -1;
	hs->udp = false;
	r = proxy_target_check(t);
	if (r < 0)
		return r;
	r = proxy_creds_check(user, pass);
	if (r < 0)
		return r;
	hs->target = *t;

	switch (kind) {
	case PROXY_SOCKS5:
	case PROXY_SOCKS5H:
		return socks5_hs_start(hs);
	case PROXY_SOCKS4A:
		return socks4_hs_start(hs);
	case PROXY_HTTP:
		return http_hs_start(hs);
	default:
		return -EINVAL;
	}
}

int proxy_hs_init_udp(struct proxy_hs *hs, enum proxy_kind kind, const char *user, const char *pass,
		      const struct proxy_target *from)
{
	int r;

	if (kind != PROXY_SOCKS5 && kind != PROXY_SOCKS5H)
		return -EOPNOTSUPP;
	/* Only the greeting is built here; the request that carries CMD comes later. */
	r = proxy_hs_init(hs, kind, user, pass, from);
	if (r == 0)
		hs->udp = true;
	return r;
}

int proxy_hs_pipeline(struct proxy_hs *hs)
{
	if (!hs || (hs->kind != PROXY_SOCKS5 && hs->kind != PROXY_SOCKS5H))
		return -EINVAL;
	return socks5_hs_pipeline(hs);
}

int proxy_hs_bound(const struct proxy_hs *hs, struct proxy_target *bnd)
{
	if (!hs || !bnd || (hs->kind != PROXY_SOCKS5 && hs->kind != PROXY_SOCKS5H))
		return -EINVAL;
	return socks5_hs_bound(hs, bnd);
}

const uint8_t *proxy_hs_output(const struct proxy_hs *hs, size_t *len)
{
	*len = hs->out_len;
	return hs->out;
}

void proxy_hs_sent(struct proxy_hs *hs, size_t n)
{
	if (n > hs->out_len)
		n = hs->out_len;
	memmove(hs->out, hs->out + n, hs->out_len - n);
	hs->out_len -= n;
}

static int proxy_hs_step(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used)
{
	switch (hs->state) {
	case HS_SOCKS5_GREETING:
	case HS_SOCKS5_AUTH:
	case HS_SOCKS5_CONNECT:
		return socks5_hs_step(hs, data, len, used);
	case HS_SOCKS4_CONNECT:
		return socks4_hs_step(hs, data, len, used);
	case HS_HTTP_CONNECT:
		return http_hs_step(hs, data, len, used);
	default:
		return -EPROTO;
	}
}

int proxy_hs_feed(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *consumed)
{
	int r = 0;

	*consumed = 0;
	if (hs->state == HS_DONE)
		return 1;
	if (hs->state == HS_FAILED)
		return -EPROTO;

	while (*consumed < len) {
		size_t used = 0;

		/*
		 * The proxy answered a request it cannot have fully received.
		 * Pipelined, it may answer the greeting before the rest arrived;
		 * the end of the handshake is checked below.
		 */
		if (hs->out_len > 0 && !hs->pipelined) {
			r = -EPROTO;
			break;
		}
		r = proxy_hs_step(hs, data + *consumed, len - *consumed, &used);
		*consumed += used;
		if (r != 0)
			break;
	}
	if (r > 0 && hs->out_len > 0)
		r = -EPROTO;
	if (r < 0)
		hs->state = HS_FAILED;
	else if (r > 0)
		hs->state = HS_DONE;
	return r;
}

int proxy_target_set_name(struct proxy_target *t, const char *name, uint16_t port)
{
	size_t n;

	if (!t || !name)
		return -EINVAL;
	n = strnlen(name, PROXY_NAME_MAX + 1);
	if (n == 0 || n > PROXY_NAME_MAX)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memcpy(t->name, name, n);
	t->port = port;
	return 0;
}

int proxy_target_set_host(struct proxy_target *t, const char *host, uint16_t port)
{
	uint8_t a[16];

	if (!t || !host)
		return -EINVAL;
	if (inet_pton(AF_INET, host, a) == 1) {
		memset(t, 0, sizeof(*t));
		t->family = AF_INET;
		memcpy(t->addr, a, 4);
		t->port = port;
		return 0;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		memset(t, 0, sizeof(*t));
		t->family = AF_INET6;
		memcpy(t->addr, a, 16);
		t->port = port;
		return 0;
	}
	return proxy_target_set_name(t, host, port);
}

int proxy_target_set_sa(struct proxy_target *t, const struct sockaddr_storage *sa)
{
	memset(t, 0, sizeof(*t));
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(t->addr, &in->sin_addr, 4);
		t->port = ntohs(in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(t->addr, &in6->sin6_addr, 16);
		t->port = ntohs(in6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	t->family = sa->ss_family;
	return 0;
}

/* RFC 1928 §6 reply field. */
static const char *const socks5_rep_text[] = {
	[0] = "SOCKS5 reply 0 (succeeded)",
	[1] = "SOCKS5 reply 1 (general SOCKS server failure)",
	[2] = "SOCKS5 reply 2 (connection not allowed by ruleset)",
	[3] = "SOCKS5 reply 3 (network unreachable)",
	[4] = "SOCKS5 reply 4 (host unreachable)",
	[5] = "SOCKS5 reply 5 (connection refused)",
	[6] = "SOCKS5 reply 6 (TTL expired)",
	[7] = "SOCKS5 reply 7 (command not supported)",
	[8] = "SOCKS5 reply 8 (address type not supported)",
};

static const char *proxy_strerror_socks5(const struct proxy_hs *hs, int err)
{
	if (err == -EPROTO)
		return "malformed SOCKS5 reply";
	if (hs->reply_code >= 0 && (size_t)hs->reply_code < ARRAY_SIZE(socks5_rep_text))
		return socks5_rep_text[hs->reply_code];
	if (err == -EOPNOTSUPP)
		return "SOCKS5 proxy accepts none of our authentication methods";
	if (err == -EACCES)
		return "SOCKS5 username/password authentication failed (RFC 1929)";
	return NULL;
}

static const char *proxy_strerror_socks4(const struct proxy_hs *hs, int err)
{
	if (err == -EAFNOSUPPORT)
		return "SOCKS4a cannot carry an IPv6 destination";
	switch (hs->reply_code) {
	case 91:
		return "SOCKS4 reply 91 (request rejected or failed)";
	case 92:
		return "SOCKS4 reply 92 (rejected: proxy cannot reach our identd)";
	case 93:
		return "SOCKS4 reply 93 (rejected: identd user id mismatch)";
	}
	return err == -EPROTO ? "malformed SOCKS4 reply" : NULL;
}

static const char *proxy_strerror_http(const struct proxy_hs *hs, int err)
{
	int c = hs->reply_code;

	if (c < 100)
		return err == -EPROTO ? "malformed or oversized HTTP CONNECT reply" : NULL;
	switch (c) {
	case 401:
		return "HTTP proxy status 401 (unauthorized)";
	case 403:
		return "HTTP proxy status 403 (forbidden)";
	case 404:
		return "HTTP proxy status 404 (not found)";
	case 407:
		return "HTTP proxy status 407 (proxy authentication required)";
	case 502:
		return "HTTP proxy status 502 (bad gateway)";
	case 503:
		return "HTTP proxy status 503 (service unavailable)";
	case 504:
		return "HTTP proxy status 504 (gateway timeout)";
	}
	if (c >= 500)
		return "HTTP proxy status 5xx (server error)";
	if (c >= 400)
		return "HTTP proxy status 4xx (client error)";
	return "HTTP proxy status other than 2xx";
}

static const char *proxy_strerror_generic(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EINVAL:
		return "invalid proxy request (bad target, credentials or kind)";
	case -EPROTO:
		return "proxy protocol error";
	case -ECONNREFUSED:
		return "proxy: connection refused";
	case -ENETUNREACH:
		return "proxy: network unreachable";
	case -EHOSTUNREACH:
		return "proxy: host unreachable";
	case -ETIMEDOUT:
		return "proxy: timed out";
	case -EACCES:
		return "proxy: access denied";
	case -EOPNOTSUPP:
		return "proxy: not supported";
	case -EAFNOSUPPORT:
		return "proxy: address family not supported";
	default:
		return "proxy handshake failed";
	}
}

const char *proxy_strerror(const struct proxy_hs *hs, int err)
{
	const char *s = NULL;

	if (hs && err != -EINVAL) {
		switch (hs->kind) {
		case PROXY_SOCKS5:
		case PROXY_SOCKS5H:
			s = proxy_strerror_socks5(hs, err);
			break;
		case PROXY_SOCKS4A:
			s = proxy_strerror_socks4(hs, err);
			break;
		case PROXY_HTTP:
			s = proxy_strerror_http(hs, err);
			break;
		default:
			break;
		}
	}
	return s ? s : proxy_strerror_generic(err);
}
