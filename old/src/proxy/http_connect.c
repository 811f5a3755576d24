/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http_connect.c - client side of HTTP/1.1 CONNECT (RFC 7231 §4.3.6) with
 * Basic authentication (RFC 7617).
 *
 *   CONNECT host:port HTTP/1.1\r\n
 *   Host: host:port\r\n                          (RFC 7230 §5.4)
 *   Proxy-Authorization: Basic B64(user:pass)\r\n (only with a user)
 *   \r\n
 *
 * The reply is read up to and including the empty line that ends its header
 * block, one byte at a time so nothing after it is ever taken: after a 2xx
 * the connection is the tunnel (RFC 7230 §3.3.3 item 2: a 2xx answer to
 * CONNECT has no body, whatever its headers say).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy-internal.h"

/* "[" + INET6_ADDRSTRLEN + "]" + ":" + 5 digits, or a 255-byte name + port. */
#define HTTP_AUTHORITY_MAX (PROXY_NAME_MAX + 8)

/**
 * proxy_base64_encode() - base64 (RFC 4648 §4, with padding) of @src.
 * @dst: output buffer, NUL-terminated on success.
 * @dst_size: its size; needs 4 * ceil(@len / 3) + 1.
 * @src: bytes to encode.
 * @len: their number.
 *
 * Return: the length of the text, or 0 if @dst is too small (then @dst
 * holds an empty string when @dst_size > 0).
 */
size_t proxy_base64_encode(char *dst, size_t dst_size, const uint8_t *src, size_t len)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0, need = (len + 2) / 3 * 4;

	if (dst_size == 0)
		return 0;
	if (need + 1 > dst_size) {
		dst[0] = '\0';
		return 0;
	}
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];

		dst[o++] = tab[v >> 18 & 63];
		dst[o++] = tab[v >> 12 & 63];
		dst[o++] = tab[v >> 6 & 63];
		dst[o++] = tab[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)src[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)src[i + 1] << 8;
		dst[o++] = tab[v >> 18 & 63];
		dst[o++] = tab[v >> 12 & 63];
		dst[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}

/*
 * A name goes into the request line and the Host header verbatim, so it
 * must be an RFC 3986 §3.2.2 reg-name (unreserved / pct-encoded /
 * sub-delims): no space, CR, LF or ':' that would split the request.
 */
static bool http_name_valid(const char *name)
{
	static const char extra[] = "-._~%!$&'()*+,;=";

	for (const char *p = name; *p; p++) {
		char c = *p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr(extra, c))
			return false;
	}
	return true;
}

/* "host:port" with an IPv6 literal in brackets (RFC 3986 §3.2.2). */
static int http_format_authority(const struct proxy_target *t, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	int n;

	if (t->family == AF_INET || t->family == AF_INET6) {
		if (!inet_ntop(t->family, t->addr, host, sizeof(host)))
			return -EINVAL;
		n = snprintf(buf, size, t->family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
			     (unsigned)t->port);
	} else {
		if (!http_name_valid(t->name))
			return -EINVAL;
		n = snprintf(buf, size, "%s:%u", t->name, (unsigned)t->port);
	}
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

/* RFC 7617 §2: Basic credentials are base64(user-id ":" password). */
static int http_write_auth(struct proxy_wr *w, const char *user, const char *pass)
{
	uint8_t raw[255 + 1 + 255];
	char b64[(sizeof(raw) + 2) / 3 * 4 + 1];
	size_t ulen = strlen(user), plen = strlen(pass);

	/* RFC 7617 §2: a user-id containing a colon cannot be represented. */
	if (strchr(user, ':') || ulen > 255 || plen > 255)
		return -EINVAL;
	memcpy(raw, user, ulen);
	raw[ulen] = ':';
	memcpy(raw + ulen + 1, pass, plen);
	if (proxy_base64_encode(b64, sizeof(b64), raw, ulen + 1 + plen) == 0)
		return -EINVAL;
	proxy_wr_str(w, "Proxy-Authorization: Basic ");
	proxy_wr_str(w, b64);
	proxy_wr_str(w, "\r\n");
	return 0;
}

/**
 * http_hs_start() - build the CONNECT request.
 * @hs: handshake with kind, credentials and target set.
 *
 * Return: 0, or -EINVAL for a name that is not a valid reg-name, a user
 * name with a colon, or a request longer than PROXY_OUT_MAX.
 */
int http_hs_start(struct proxy_hs *hs)
{
	char auth[HTTP_AUTHORITY_MAX + 1];
	struct proxy_wr w;
	int r;

	r = http_format_authority(&hs->target, auth, sizeof(auth));
	if (r < 0)
		return r;
	proxy_wr_init(&w, hs);
	proxy_wr_str(&w, "CONNECT ");
	proxy_wr_str(&w, auth);
	proxy_wr_str(&w, " HTTP/1.1\r\nHost: ");
	proxy_wr_str(&w, auth);
	proxy_wr_str(&w, "\r\n");
	if (proxy_hs_has_user(hs)) {
		r = http_write_auth(&w, hs->user, hs->pass ? hs->pass : "");
		if (r < 0)
			return r;
	}
	proxy_wr_str(&w, "\r\n");
	hs->state = HS_HTTP_CONNECT;
	return proxy_wr_finish(&w, hs);
}

static bool http_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/*
 * RFC 7230 §3.1.2: status-line = HTTP-version SP status-code SP reason CRLF,
 * HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive, §2.6).  Only 1.x
 * is accepted; a missing reason phrase after the code is tolerated.
 */
static int http_parse_status(struct proxy_hs *hs, size_t line_len)
{
	const uint8_t *s = hs->in;

	if (line_len > 0 && s[line_len - 1] == '\r')
		line_len--;
	if (line_len < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !http_is_digit(s[7]) || s[8] != ' ')
		return -EPROTO;
	if (!http_is_digit(s[9]) || !http_is_digit(s[10]) || !http_is_digit(s[11]))
		return -EPROTO;
	if (line_len > 12 && s[12] != ' ')
		return -EPROTO;
	if (s[9] < '1' || s[9] > '5')
		return -EPROTO;
	hs->reply_code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	return 0;
}

static int http_status_errno(int code)
{
	if (code >= 200 && code <= 299)
		return 1;
	switch (code) {
	case 401:
	case 403:
	case 407:
		return -EACCES;
	case 404:
		return -EHOSTUNREACH;
	case 504:
		return -ETIMEDOUT;
	}
	return code >= 500 ? -ECONNREFUSED : -EPROTO;
}

/* The byte just appended is an LF: has the header block ended? */
static bool http_at_blank_line(const struct proxy_hs *hs)
{
	size_t n = hs->in_len;

	/* The line before this LF is empty, or holds a lone CR (RFC 7230 §3.5). */
	if (n >= 2 && hs->in[n - 2] == '\n')
		return true;
	return n >= 3 && hs->in[n - 2] == '\r' && hs->in[n - 3] == '\n';
}

static int http_on_byte(struct proxy_hs *hs)
{
	static const char prefix[] = "HTTP/1.";
	size_t n = hs->in_len;
	int r;

	/* Fail garbage at once instead of after PROXY_IN_MAX bytes. */
	if (n <= sizeof(prefix) - 1 && hs->in[n - 1] != (uint8_t)prefix[n - 1])
		return -EPROTO;
	if (hs->in[n - 1] != '\n')
		return 0;
	if (hs->reply_code < 0) {
		r = http_parse_status(hs, n - 1);
		return r < 0 ? r : 0;
	}
	return http_at_blank_line(hs) ? http_status_errno(hs->reply_code) : 0;
}

/**
 * http_hs_step() - consume bytes of the CONNECT reply's header block.
 * @hs: handshake in HS_HTTP_CONNECT.
 * @data: received bytes.
 * @len: their number.
 * @used: receives how many bytes were taken; never past the empty line.
 *
 * Return: 0 for more input, 1 on a 2xx, or a negative errno as described
 * at proxy_hs_feed(); -EPROTO for a header block over PROXY_IN_MAX.
 */
int http_hs_step(struct proxy_hs *hs, const uint8_t *data, size_t len, size_t *used)
{
	int r = 0;

	for (*used = 0; *used < len && r == 0; (*used)++) {
		if (hs->in_len >= sizeof(hs->in))
			return -EPROTO;
		hs->in[hs->in_len++] = data[*used];
		r = http_on_byte(hs);
	}
	return r;
}
