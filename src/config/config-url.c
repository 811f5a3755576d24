/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-url.c - proxy URLs: SCHEME://[USER[:PASS]@]HOST[:PORT] or "direct".
 *
 * The grammar is RFC 3986 §3.2 (authority): userinfo may only hold
 * unreserved, sub-delims, ':' and percent-escapes (§2.1), so a literal '@',
 * '/', '?' or '#' in a password must be written %40, %2F, %3F, %23.
 * An IPv6 host is written in brackets (§3.2.2).  Credentials are limited to
 * 255 bytes after decoding: SOCKS5 username/password auth (RFC 1929 §2)
 * carries their lengths in one octet.  A path, query or fragment is refused;
 * a lone trailing '/' (an empty path) is accepted.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-internal.h"

static const struct {
	const char *scheme;
	enum proxy_kind kind;
	uint16_t port;
} schemes[] = {
	{"socks5", PROXY_SOCKS5, DEFAULT_PORT_SOCKS},
	{"socks5h", PROXY_SOCKS5H, DEFAULT_PORT_SOCKS},
	{"socks4a", PROXY_SOCKS4A, DEFAULT_PORT_SOCKS},
	{"http", PROXY_HTTP, DEFAULT_PORT_HTTP},
};

/* RFC 3986 §3.2.1 userinfo = *( unreserved / pct-encoded / sub-delims / ":" ) */
static bool userinfo_char(char c)
{
	return isalnum((unsigned char)c) || strchr("-._~!$&'()*+,;=:%", c);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 3986 §2.1 percent-decoding of @len bytes at @s into a new string. */
static int percent_decode(const char *s, size_t len, const char *what, char **out, char *why,
			  size_t n)
{
	_cleanup_free_ char *d = malloc(len + 1);
	size_t o = 0;

	if (!d)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			d[o++] = s[i];
			continue;
		}
		hi = i + 2 < len ? hexval(s[i + 1]) : -1;
		lo = hi >= 0 ? hexval(s[i + 2]) : -1;
		if (hi < 0 || lo < 0)
			return conf_why(why, n, "bad percent-escape in %s (want %%XX)", what);
		if (hi == 0 && lo == 0)
			return conf_why(why, n, "%%00 is not allowed in %s", what);
		d[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	d[o] = '\0';
	if (o > CONF_CRED_MAX)
		return conf_why(why, n, "%s longer than %d bytes", what, CONF_CRED_MAX);
	*out = TAKE_PTR(d);
	return 0;
}

static int parse_userinfo(const char *s, size_t len, struct proxy_conf *p, char *why, size_t n)
{
	const char *colon = memchr(s, ':', len);
	size_t ulen = colon ? (size_t)(colon - s) : len;
	int r;

	for (size_t i = 0; i < len; i++)
		if (!userinfo_char(s[i]))
			return conf_why(why, n,
					"character '%c' in user or password must be "
					"percent-encoded (RFC 3986 §2.1)",
					s[i]);
	if (ulen == 0)
		return conf_why(why, n, "empty user name");
	if (p->kind == PROXY_SOCKS4A && colon)
		return conf_why(why, n, "socks4a carries a user id but no password");
	if (p->kind == PROXY_HTTP && !colon)
		return conf_why(why, n, "http credentials need USER:PASS (RFC 7617 Basic)");
	r = percent_decode(s, ulen, "user", &p->user, why, n);
	if (r < 0 || !colon)
		return r;
	return percent_decode(colon + 1, len - ulen - 1, "password", &p->pass, why, n);
}

static int parse_host(const char *s, size_t len, struct proxy_conf *p, char *why, size_t n)
{
	bool numeric = len > 0;

	if (len == 0)
		return conf_why(why, n, "missing host");
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.')
			numeric = false;
	p->host = strndup(s, len);
	if (!p->host)
		return -ENOMEM;
	if (numeric) {
		unsigned char a[4];

		if (inet_pton(AF_INET, p->host, a) != 1)
			return conf_why(why, n, "bad IPv4 address '%s'", p->host);
	} else if (!conf_hostname_valid(p->host)) {
		return conf_why(why, n, "bad host name '%s'", p->host);
	}
	return 0;
}

static int parse_ipv6_host(const char *s, size_t len, const char **rest, struct proxy_conf *p,
			   char *why, size_t n)
{
	const char *close = memchr(s, ']', len);
	unsigned char a[16];

	if (!close)
		return conf_why(why, n, "missing ']' after IPv6 address");
	p->host = strndup(s + 1, (size_t)(close - s - 1));
	if (!p->host)
		return -ENOMEM;
	if (inet_pton(AF_INET6, p->host, a) != 1)
		return conf_why(why, n, "bad IPv6 address '%s'", p->host);
	*rest = close + 1;
	return 0;
}

static int parse_hostport(const char *s, size_t len, struct proxy_conf *p, uint16_t defport,
			  char *why, size_t n)
{
	const char *end = s + len, *colon = NULL;
	char port[8];
	int r;

	if (len > 0 && s[0] == '[') {
		r = parse_ipv6_host(s, len, &colon, p, why, n);
		if (r < 0)
			return r;
		if (colon < end && *colon != ':')
			return conf_why(why, n, "unexpected text after ']'");
	} else {
		colon = memchr(s, ':', len);
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return conf_why(why, n, "an IPv6 address must be written in brackets");
		r = parse_host(s, colon ? (size_t)(colon - s) : len, p, why, n);
		if (r < 0)
			return r;
	}
	p->port = defport;
	if (!colon || colon >= end)
		return 0;
	len = (size_t)(end - colon - 1);
	if (len >= sizeof(port))
		return conf_why(why, n, "bad port (want 1..65535)");
	memcpy(port, colon + 1, len);
	port[len] = '\0';
	if (conf_parse_port(port, false, &p->port) < 0)
		return conf_why(why, n, "bad port '%s' (want 1..65535)", port);
	return 0;
}

static int parse_scheme(const char *s, size_t len, struct proxy_conf *p, uint16_t *defport,
			char *why, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
		/* RFC 3986 §3.1: schemes are case-insensitive. */
		if (strlen(schemes[i].scheme) == len &&
		    strncasecmp(s, schemes[i].scheme, len) == 0) {
			p->kind = schemes[i].kind;
			*defport = schemes[i].port;
			return 0;
		}
	}
	return conf_why(why, n,
			"unknown scheme '%.*s' (want socks5, socks5h, socks4a, http or direct)",
			(int)(len > 32 ? 32 : len), s);
}

int conf_parse_url(const char *s, struct proxy_conf *p, char *why, size_t n)
{
	const char *sep = strstr(s, "://"), *auth, *end, *at;
	uint16_t defport = 0;
	int r;

	if (strcmp(s, "direct") == 0) {
		p->kind = PROXY_DIRECT;
		return 0;
	}
	/* Managed transports: netnsp runs them itself, so there is no host to name. */
	if (strcmp(s, "tor") == 0 || strcmp(s, "i2p") == 0) {
		p->kind = s[0] == 't' ? PROXY_TOR : PROXY_I2P;
		return 0;
	}
	if (!sep)
		return conf_why(
			why, n,
			"want SCHEME://[USER[:PASS]@]HOST[:PORT], 'direct', 'tor' or 'i2p'");
	r = parse_scheme(s, (size_t)(sep - s), p, &defport, why, n);
	if (r < 0)
		return r;
	auth = sep + 3;
	/* RFC 3986 §3.2: the authority ends at the first '/', '?' or '#'. */
	end = auth + strcspn(auth, "/?#");
	if (*end && strcmp(end, "/") != 0)
		return conf_why(why, n, "a proxy URL takes no path, query or fragment");
	at = memrchr(auth, '@', (size_t)(end - auth));
	if (at) {
		if (memchr(auth, '@', (size_t)(at - auth)))
			return conf_why(why, n, "'@' in user or password must be written %%40");
		r = parse_userinfo(auth, (size_t)(at - auth), p, why, n);
		if (r < 0)
			return r;
		auth = at + 1;
	}
	return parse_hostport(auth, (size_t)(end - auth), p, defport, why, n);
}
