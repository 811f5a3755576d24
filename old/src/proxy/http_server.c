/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http_server.c - server side of an HTTP/1.1 forward proxy (RFC 7230,
 * RFC 7231), for the http-port endpoint inside a subject.
 *
 * Two kinds of request are served:
 *
 *   CONNECT host:port HTTP/1.1       authority-form (RFC 7230 §5.3.3): the
 *                                    caller opens a tunnel and answers 200
 *   GET http://host[:port]/p HTTP/1.1  absolute-form (RFC 7230 §5.3.2), any
 *                                    method: rewritten to origin-form for the
 *                                    origin server, relayed, then closed
 *
 * The head is collected up to its empty line (CRLF or bare LF, RFC 7230
 * §3.5) and no further: body or tunnel bytes stay the caller's.  The
 * rewrite keeps the client's HTTP version (we relay bytes and cannot
 * de-chunk for an HTTP/1.0 client, RFC 7230 §2.6), replaces Host with the
 * request-target's authority (RFC 7230 §5.4), drops hop-by-hop fields
 * (RFC 7230 §6.1: Connection and what it lists, Keep-Alive, TE, Trailer,
 * Upgrade) and every Proxy-* field, and sends "Connection: close" so that
 * one connection carries one request.
 *
 * Rejected with 400: origin-form and asterisk-form (we are a proxy), https://
 * and other schemes in absolute-form (clients must CONNECT for TLS),
 * userinfo in the authority, bad or missing ports, obs-fold and whitespace
 * before a colon (RFC 7230 §3.2.4), control characters including bare CR
 * (header injection), and Content-Length together with Transfer-Encoding
 * (RFC 7230 §3.3.3: a smuggling vector).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "proxy/proxy-internal.h"
#include "proxy/server.h"

#define HTTP_CONN_TOKENS_MAX 32 /* fields a Connection header may list */

struct http_span {
	const char *p;
	size_t n;
};

/* What the request line told, pointing into h->in. */
struct http_reqline {
	struct http_span method, target, version;
	struct http_span authority, path; /* absolute-form only */
};

void http_srv_init(struct http_srv *h)
{
	memset(h, 0, offsetof(struct http_srv, in));
	h->state = HTTP_SRV_HEAD;
}

const uint8_t *http_srv_request(const struct http_srv *h, size_t *len)
{
	*len = h->state == HTTP_SRV_DONE && !h->connect ? h->out_len : 0;
	return h->out;
}

static bool span_eq(struct http_span s, const char *lit)
{
	return s.n == strlen(lit) && strncasecmp(s.p, lit, s.n) == 0;
}

static bool span_prefix(struct http_span s, const char *lit)
{
	return s.n >= strlen(lit) && strncasecmp(s.p, lit, strlen(lit)) == 0;
}

/* RFC 7230 §3.2.6 tchar */
static bool http_is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool http_is_token(struct http_span s)
{
	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!http_is_tchar((unsigned char)s.p[i]))
			return false;
	return true;
}

/* Control characters other than HTAB, and DEL: CR among them (injection). */
static bool http_has_ctl(struct http_span s, bool allow_tab)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f)
			return true;
	}
	return false;
}

/* Next line of the head at *pos, without its CRLF or LF. */
static struct http_span http_next_line(const struct http_srv *h, size_t *pos)
{
	const char *start = (const char *)h->in + *pos;
	const char *nl = memchr(start, '\n', h->in_len - *pos);
	struct http_span l = {start, (size_t)(nl - start)};

	*pos += l.n + 1;
	if (l.n > 0 && l.p[l.n - 1] == '\r')
		l.n--;
	return l;
}

/* Split @s at the first @c: @a before, @b after; false if there is none. */
static bool span_cut(struct http_span s, char c, struct http_span *a, struct http_span *b)
{
	const char *x = memchr(s.p, c, s.n);

	if (!x)
		return false;
	*a = (struct http_span){s.p, (size_t)(x - s.p)};
	*b = (struct http_span){x + 1, s.n - (size_t)(x - s.p) - 1};
	return true;
}

/* RFC 3986 §3.2.3 port, 1..65535; 0 and empty are refused. */
static int http_parse_port(struct http_span s, uint16_t *port)
{
	unsigned v = 0;

	if (s.n == 0 || s.n > 5)
		return -EPROTO;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EPROTO;
		v = v * 10 + (unsigned)(s.p[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -EPROTO;
	*port = (uint16_t)v;
	return 0;
}

/* A host name or IPv4 literal: letters, digits, '-', '.', '_' (no %-escapes). */
static bool http_is_hostname(struct http_span s)
{
	if (s.n == 0 || s.n > PROXY_NAME_MAX)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

/* "[v6]" rest -> the literal in @buf, what follows ']' in @rest. */
static int http_parse_v6(struct http_span a, char *buf, size_t size, struct http_span *rest)
{
	struct http_span in, after;
	uint8_t addr[16];

	if (!span_cut((struct http_span){a.p + 1, a.n - 1}, ']', &in, &after))
		return -EPROTO;
	/* inet_pton refuses zone ids ("%25eth0") and IPvFuture: fine, so do we. */
	if (in.n == 0 || in.n >= size)
		return -EPROTO;
	memcpy(buf, in.p, in.n);
	buf[in.n] = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return -EPROTO;
	*rest = after;
	return 0;
}

/*
 * RFC 3986 §3.2 authority without userinfo: host [":" port].  An IPv6
 * literal is in brackets.  @need_port for CONNECT (RFC 7231 §4.3.6).
 */
static int http_parse_authority(struct http_span a, bool need_port, struct proxy_target *t)
{
	char host[PROXY_NAME_MAX + 1];
	struct http_span h = a, rest = {a.p + a.n, 0};
	uint16_t port = 80;
	int r;

	if (a.n == 0 || memchr(a.p, '@', a.n))
		return -EPROTO;
	if (a.p[0] == '[') {
		r = http_parse_v6(a, host, sizeof(host), &rest);
		if (r < 0)
			return r;
		if (rest.n > 0 && rest.p[0] != ':')
			return -EPROTO;
	} else {
		if (!span_cut(a, ':', &h, &rest))
			rest = (struct http_span){a.p + a.n, 0};
		else
			rest = (struct http_span){rest.p - 1, rest.n + 1};
		if (!http_is_hostname(h))
			return -EPROTO;
		memcpy(host, h.p, h.n);
		host[h.n] = '\0';
	}
	if (rest.n > 0) {
		r = http_parse_port((struct http_span){rest.p + 1, rest.n - 1}, &port);
		if (r < 0)
			return r;
	} else if (need_port) {
		return -EPROTO;
	}
	return proxy_target_set_host(t, host, port) < 0 ? -EPROTO : 0;
}

/* http://authority[/path][?query]: split it, RFC 7230 §2.7.1. */
static int http_parse_absolute(struct http_reqline *rl)
{
	struct http_span t = rl->target;
	size_t i;

	if (!span_prefix(t, "http://"))
		return -EPROTO; /* https://, ftp://, origin-form, '*' */
	t.p += 7;
	t.n -= 7;
	for (i = 0; i < t.n && t.p[i] != '/' && t.p[i] != '?'; i++)
		;
	rl->authority = (struct http_span){t.p, i};
	rl->path = (struct http_span){t.p + i, t.n - i};
	return 0;
}

/* RFC 7230 §3.1.1: method SP request-target SP HTTP-version, single spaces. */
static int http_parse_reqline(struct http_span l, struct http_reqline *rl)
{
	struct http_span rest;

	if (http_has_ctl(l, false))
		return -EPROTO;
	if (!span_cut(l, ' ', &rl->method, &rest) ||
	    !span_cut(rest, ' ', &rl->target, &rl->version))
		return -EPROTO;
	if (!http_is_token(rl->method) || rl->method.n > HTTP_SRV_METHOD_MAX)
		return -EPROTO;
	if (rl->target.n == 0 || memchr(rl->target.p, '#', rl->target.n))
		return -EPROTO;
	/* HTTP/1.0 and HTTP/1.1 only; "HTTP" is case-sensitive (§2.6). */
	if (rl->version.n != 8 || memcmp(rl->version.p, "HTTP/1.", 7) != 0 ||
	    rl->version.p[7] < '0' || rl->version.p[7] > '9')
		return -EPROTO;
	return 0;
}

/* The head's fields, checked, and what the rewrite needs to know. */
struct http_fields {
	struct http_span conn[HTTP_CONN_TOKENS_MAX]; /* fields listed by Connection */
	size_t nconn;
	bool has_cl, has_te;
};

static int http_collect_connection(struct http_span v, struct http_fields *f)
{
	size_t i = 0, j;

	while (i < v.n) {
		for (j = i; j < v.n && http_is_tchar((unsigned char)v.p[j]); j++)
			;
		if (j > i) {
			if (f->nconn == HTTP_CONN_TOKENS_MAX)
				return -EPROTO;
			f->conn[f->nconn++] = (struct http_span){v.p + i, j - i};
		}
		i = j + 1;
	}
	return 0;
}

/* RFC 7230 §3.2: field-name ":" OWS field-value OWS. */
static int http_check_field(struct http_span l, struct http_span *name, struct http_fields *f)
{
	struct http_span value;

	/* obs-fold (§3.2.4): a line starting with whitespace continues the last. */
	if (l.n > 0 && (l.p[0] == ' ' || l.p[0] == '\t'))
		return -EPROTO;
	if (!span_cut(l, ':', name, &value) || !http_is_token(*name))
		return -EPROTO;
	if (http_has_ctl(value, true))
		return -EPROTO;
	if (span_eq(*name, "content-length"))
		f->has_cl = true;
	if (span_eq(*name, "transfer-encoding"))
		f->has_te = true;
	if (span_eq(*name, "connection"))
		return http_collect_connection(value, f);
	return 0;
}

/* First pass over the fields: syntax, and what Connection lists. */
static int http_scan_fields(const struct http_srv *h, size_t pos, struct http_fields *f)
{
	struct http_span l, name;
	int r;

	for (;;) {
		l = http_next_line(h, &pos);
		if (l.n == 0)
			break;
		r = http_check_field(l, &name, f);
		if (r < 0)
			return r;
	}
	return f->has_cl && f->has_te ? -EPROTO : 0;
}

static bool http_is_hop_by_hop(struct http_span name, const struct http_fields *f)
{
	static const char *const drop[] = {"host", "connection", "keep-alive",
					   "te",   "trailer",	 "upgrade"};

	if (span_prefix(name, "proxy-"))
		return true;
	for (size_t i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		if (span_eq(name, drop[i]))
			return true;
	for (size_t i = 0; i < f->nconn; i++)
		if (name.n == f->conn[i].n && strncasecmp(name.p, f->conn[i].p, name.n) == 0)
			return true;
	return false;
}

static void http_wr_span(struct proxy_wr *w, struct http_span s)
{
	proxy_wr_mem(w, s.p, s.n);
}

/* Build the origin-form head in h->out; @pos is where the fields start. */
static int http_rewrite(struct http_srv *h, const struct http_reqline *rl, size_t pos,
			const struct http_fields *f)
{
	struct proxy_wr w = {.buf = h->out, .cap = sizeof(h->out)};
	struct http_span l, name, value;

	http_wr_span(&w, rl->method);
	proxy_wr_u8(&w, ' ');
	/* RFC 7230 §5.3.1: an empty path is sent as "/". */
	if (rl->path.n == 0 || rl->path.p[0] != '/')
		proxy_wr_u8(&w, '/');
	http_wr_span(&w, rl->path);
	proxy_wr_u8(&w, ' ');
	http_wr_span(&w, rl->version);
	proxy_wr_str(&w, "\r\nHost: ");
	http_wr_span(&w, rl->authority);
	proxy_wr_str(&w, "\r\n");
	for (;;) {
		l = http_next_line(h, &pos);
		if (l.n == 0)
			break;
		/* Every field has a colon: http_scan_fields() checked. */
		if (!span_cut(l, ':', &name, &value) || http_is_hop_by_hop(name, f))
			continue;
		http_wr_span(&w, l);
		proxy_wr_str(&w, "\r\n");
	}
	proxy_wr_str(&w, "Connection: close\r\n\r\n");
	if (w.bad)
		return -E2BIG;
	h->out_len = w.len;
	return 0;
}

/* The whole head is in h->in. */
static int http_srv_parse(struct http_srv *h)
{
	struct http_fields f = {.nconn = 0};
	struct http_reqline rl;
	size_t pos = 0;
	int r;

	r = http_parse_reqline(http_next_line(h, &pos), &rl);
	if (r < 0)
		return r;
	memcpy(h->method, rl.method.p, rl.method.n);
	h->method[rl.method.n] = '\0';
	r = http_scan_fields(h, pos, &f);
	if (r < 0)
		return r;
	/* RFC 7230 §3.1.1: the method token is case-sensitive. */
	h->connect = rl.method.n == 7 && memcmp(rl.method.p, "CONNECT", 7) == 0;
	if (h->connect)
		return http_parse_authority(rl.target, true, &h->target);
	r = http_parse_absolute(&rl);
	if (r < 0)
		return r;
	r = http_parse_authority(rl.authority, false, &h->target);
	if (r < 0)
		return r;
	return http_rewrite(h, &rl, pos, &f);
}

/* Does h->in end with the empty line that closes the head? */
static bool http_head_complete(const struct http_srv *h)
{
	const uint8_t *e = h->in + h->in_len;

	if (h->in_len >= 2 && e[-1] == '\n' && e[-2] == '\n')
		return true;
	return h->in_len >= 3 && e[-1] == '\n' && e[-2] == '\r' && e[-3] == '\n';
}

static int http_srv_take(struct http_srv *h, const uint8_t *data, size_t len, size_t *consumed)
{
	for (; *consumed < len; (*consumed)++) {
		uint8_t c = data[*consumed];

		/* RFC 7230 §3.5: ignore empty lines before the request-line. */
		if (h->in_len == 0 && (c == '\r' || c == '\n'))
			continue;
		if (h->in_len == sizeof(h->in))
			return -E2BIG;
		h->in[h->in_len++] = c;
		if (c == '\n' && http_head_complete(h)) {
			(*consumed)++;
			return 1;
		}
	}
	return 0;
}

int http_srv_feed(struct http_srv *h, const uint8_t *data, size_t len, size_t *consumed)
{
	int r;

	*consumed = 0;
	if (h->state == HTTP_SRV_DONE)
		return 1;
	if (h->state == HTTP_SRV_FAILED)
		return h->err;
	r = http_srv_take(h, data, len, consumed);
	if (r > 0) {
		r = http_srv_parse(h);
		if (r == 0)
			r = 1;
	}
	if (r < 0) {
		h->state = HTTP_SRV_FAILED;
		h->err = r;
	} else if (r > 0) {
		h->state = HTTP_SRV_DONE;
	}
	return r;
}

int http_srv_status_from_errno(int err)
{
	switch (err) {
	case 0:
		return 200;
	case -EPROTO:
	case -EINVAL:
	case -E2BIG:
		return 400;
	case -EACCES:
		return 403;
	case -EOPNOTSUPP:
		return 405;
	case -ETIMEDOUT:
		return 504;
	default:
		return 502; /* refused, unreachable, reset: the upstream failed us */
	}
}

static const char *http_reason(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 405:
		return "Method Not Allowed";
	case 502:
		return "Bad Gateway";
	case 504:
		return "Gateway Timeout";
	default:
		return NULL;
	}
}

int http_srv_build_response(uint8_t *out, size_t cap, int status)
{
	/*
	 * RFC 7231 §4.3.6: a 2xx answer to CONNECT must not carry
	 * Content-Length or Transfer-Encoding, and the connection becomes the
	 * tunnel, so 200 is the status line alone.
	 */
	static const char ok[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	const char *reason = http_reason(status);
	char buf[128];
	int n;

	if (!out)
		return -EINVAL;
	if (status == 200) {
		if (cap < sizeof(ok) - 1)
			return -ENOBUFS;
		memcpy(out, ok, sizeof(ok) - 1);
		return (int)sizeof(ok) - 1;
	}
	if (!reason)
		return -EINVAL;
	n = snprintf(buf, sizeof(buf),
		     "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", status,
		     reason);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	if ((size_t)n > cap)
		return -ENOBUFS;
	memcpy(out, buf, (size_t)n);
	return n;
}
