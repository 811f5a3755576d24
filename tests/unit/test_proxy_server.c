/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_proxy_server.c - the server-side parsers (SOCKS5, HTTP proxy) and the
 * SOCKS5 UDP header against hand-written bytes.  Every request is fed
 * whole, one byte at a time, and in every 2-way and 3-way split (HTTP: every
 * 2-way split), with tunnel or body bytes after it that must be left alone;
 * every reply and rewritten head is compared byte for byte.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/server.h"
#include "bytes.h"
#include "tap.h"

#define NONE            \
	{               \
		NULL, 0 \
	}

/* "v4 198.51.100.7 443", "v6 2001:db8::1 80", "name example.com 8080" */
static const char *target_str(const struct proxy_target *t)
{
	static char buf[PROXY_NAME_MAX + 64];
	char a[INET6_ADDRSTRLEN];

	if (t->family == AF_INET || t->family == AF_INET6) {
		inet_ntop(t->family, t->addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%s %s %u", t->family == AF_INET ? "v4" : "v6", a,
			 t->port);
	} else {
		snprintf(buf, sizeof(buf), "name %s %u", t->name, t->port);
	}
	return buf;
}

static bool bytes_eq(const uint8_t *p, size_t n, struct bytes want)
{
	return n == want.n && (n == 0 || memcmp(p, want.p, n) == 0);
}

/* ---- SOCKS5 server ---- */

struct s5case {
	const char *name;
	unsigned flags;
	struct bytes in;    /* what the app sends, maybe with tunnel bytes after */
	int want;	    /* final socks5_srv_feed() result */
	size_t want_used;   /* bytes of @in consumed in total */
	struct bytes out;   /* every byte the server queued */
	uint8_t cmd;	    /* when want == 1 */
	const char *target; /* target_str(), when want == 1 */
	const char *user;   /* NULL: no credentials expected */
	const char *pass;
};

#define V4 0xc6, 0x33, 0x64, 0x07
#define V6 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define NAME 0x0b, 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'c', 'o', 'm'
#define ALICE 0x01, 0x05, 'a', 'l', 'i', 'c', 'e', 0x06, 's', 'e', 'c', 'r', 'e', 't'
#define REP0(rep) 0x05, rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0

static const struct s5case s5cases[] = {
	{"no auth, CONNECT IPv4, tunnel bytes after", 0,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, V4, 0x01, 0xbb, 'H', 'I'), 1, 13,
	 RAW(0x05, 0x00), SOCKS5_CMD_CONNECT, "v4 198.51.100.7 443", NULL, NULL},
	{"CONNECT name stays a name", 0,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90, 0x16, 0x03), 1, 21,
	 RAW(0x05, 0x00), SOCKS5_CMD_CONNECT, "name example.com 8080", NULL, NULL},
	{"an IP literal as ATYP 3 is still a name", 0,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, 12, '1', '9', '8', '.', '5', '1', '.', '1',
	     '0', '0', '.', '7', 0x00, 0x50),
	 1, 22, RAW(0x05, 0x00), SOCKS5_CMD_CONNECT, "name 198.51.100.7 80", NULL, NULL},
	{"UDP ASSOCIATE IPv6, RSV ignored", 0,
	 RAW(0x05, 0x02, 0x01, 0x00, 0x05, 0x03, 0x7f, 0x04, V6, 0x12, 0x34), 1, 26,
	 RAW(0x05, 0x00), SOCKS5_CMD_UDP_ASSOCIATE, "v6 2001:db8::1 4660", NULL, NULL},
	{"00 and 02 offered, no USERPASS flag: 00", 0,
	 RAW(0x05, 0x02, 0x00, 0x02, 0x05, 0x01, 0x00, 0x01, V4, 0x00, 0x50), 1, 14,
	 RAW(0x05, 0x00), SOCKS5_CMD_CONNECT, "v4 198.51.100.7 80", NULL, NULL},
	{"USERPASS: 02 chosen, credentials exposed, pipelined", SOCKS5_SRV_USERPASS,
	 RAW(0x05, 0x02, 0x00, 0x02, ALICE, 0x05, 0x01, 0x00, 0x03, NAME, 0x01, 0xbb, 'X'), 1, 36,
	 RAW(0x05, 0x02, 0x01, 0x00), SOCKS5_CMD_CONNECT, "name example.com 443", "alice",
	 "secret"},
	{"USERPASS: empty password", SOCKS5_SRV_USERPASS,
	 RAW(0x05, 0x01, 0x02, 0x01, 0x03, 'b', 'o', 'b', 0x00, 0x05, 0x01, 0x00, 0x01, V4, 0x00,
	     0x16),
	 1, 19, RAW(0x05, 0x02, 0x01, 0x00), SOCKS5_CMD_CONNECT, "v4 198.51.100.7 22", "bob", ""},
	{"USERPASS flag, app offers only 00", SOCKS5_SRV_USERPASS,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, V4, 0x00, 0x50), 1, 13, RAW(0x05, 0x00),
	 SOCKS5_CMD_CONNECT, "v4 198.51.100.7 80", NULL, NULL},
	{"only 02 offered, not accepted: 05 FF", 0, RAW(0x05, 0x01, 0x02, 0x01), -EOPNOTSUPP, 3,
	 RAW(0x05, 0xff), 0, NULL, NULL, NULL},
	{"only GSSAPI offered: 05 FF", SOCKS5_SRV_USERPASS, RAW(0x05, 0x01, 0x01), -EOPNOTSUPP, 3,
	 RAW(0x05, 0xff), 0, NULL, NULL, NULL},
	{"NMETHODS 0: 05 FF", 0, RAW(0x05, 0x00, 0x05), -EOPNOTSUPP, 2, RAW(0x05, 0xff), 0, NULL,
	 NULL, NULL},
	{"SOCKS4 request: no answer", 0, RAW(0x04, 0x01, 0x00, 0x50, V4, 0x00), -EPROTO, 2, NONE, 0,
	 NULL, NULL, NULL},
	{"TLS ClientHello: no answer", 0, RAW(0x16, 0x03, 0x01), -EPROTO, 2, NONE, 0, NULL, NULL,
	 NULL},
	{"BIND: REP 7", 0, RAW(0x05, 0x01, 0x00, 0x05, 0x02, 0x00, 0x01, V4, 0x00, 0x50, 'Z'),
	 -EOPNOTSUPP, 13, RAW(0x05, 0x00, REP0(0x07)), 0, NULL, NULL, NULL},
	{"unknown CMD 9: REP 7", 0, RAW(0x05, 0x01, 0x00, 0x05, 0x09, 0x00, 0x04, V6, 0x00, 0x50),
	 -EOPNOTSUPP, 25, RAW(0x05, 0x00, REP0(0x07)), 0, NULL, NULL, NULL},
	{"ATYP 2: REP 8", 0, RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x02, V4, 0x00, 0x50),
	 -EAFNOSUPPORT, 7, RAW(0x05, 0x00, REP0(0x08)), 0, NULL, NULL, NULL},
	{"request VER 4: REP 1", 0, RAW(0x05, 0x01, 0x00, 0x04, 0x01, 0x00, 0x01, V4, 0x00, 0x50),
	 -EPROTO, 7, RAW(0x05, 0x00, REP0(0x01)), 0, NULL, NULL, NULL},
	{"empty name: REP 1", 0, RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, 0x00, 0x00, 0x50),
	 -EPROTO, 10, RAW(0x05, 0x00, REP0(0x01)), 0, NULL, NULL, NULL},
	{"NUL in name: REP 1", 0,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, 0x03, 'a', 0x00, 'b', 0x00, 0x50), -EPROTO,
	 13, RAW(0x05, 0x00, REP0(0x01)), 0, NULL, NULL, NULL},
	{"auth VER 5: status 01", SOCKS5_SRV_USERPASS,
	 RAW(0x05, 0x01, 0x02, 0x05, 0x01, 0x00, 0x01), -EPROTO, 5, RAW(0x05, 0x02, 0x01, 0x01), 0,
	 NULL, NULL, NULL},
	{"truncated request waits", 0, RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, NAME, 0x01), 0,
	 20, RAW(0x05, 0x00), 0, NULL, NULL, NULL},
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_CUTS 4096

/*
 * Cut positions: whole (none), every byte, or the given one or two.  Fills
 * @cuts with ascending positions strictly inside (0, n) and returns how many.
 */
static size_t make_cuts(size_t *cuts, size_t n, int mode, size_t a, size_t b)
{
	size_t k = 0;

	if (mode == 1) {
		for (size_t i = 1; i < n && k < MAX_CUTS; i++)
			cuts[k++] = i;
		return k;
	}
	if (a > 0 && a < n)
		cuts[k++] = a;
	if (b > a && b < n)
		cuts[k++] = b;
	return k;
}

/* Feed @c->in in pieces ending at @cuts; check that 0 means all was taken. */
static int s5_run(const struct s5case *c, struct socks5_srv *s, const size_t *cuts, size_t ncuts,
		  size_t *used, uint8_t *out, size_t *out_len)
{
	const uint8_t *in = c->in.p, *o;
	size_t pos = 0, k = 0, u;
	int r = 0;

	*used = 0;
	*out_len = 0;
	socks5_srv_init(s, c->flags);
	while (pos < c->in.n) {
		size_t end = k < ncuts ? cuts[k++] : c->in.n;

		r = socks5_srv_feed(s, in + pos, end - pos, &u);
		*used += u;
		o = socks5_srv_output(s, &u);
		memcpy(out + *out_len, o, u);
		*out_len += u;
		socks5_srv_sent(s, u);
		if (r != 0)
			return r;
		if (*used != end)
			return -1000; /* 0 without taking everything */
		pos = end;
	}
	return r;
}

static bool s5_check(const struct s5case *c, int mode, size_t a, size_t b)
{
	static struct socks5_srv s;
	static size_t cuts[MAX_CUTS];
	uint8_t out[SOCKS5_SRV_OUT_MAX * 2];
	size_t ncuts = make_cuts(cuts, c->in.n, mode, a, b), used, out_len;
	int r = s5_run(c, &s, cuts, ncuts, &used, out, &out_len);

	if (r != c->want || used != c->want_used || !bytes_eq(out, out_len, c->out)) {
		printf("#   mode %d cuts %zu,%zu: got %d used %zu out %zu, want %d used %zu out "
		       "%zu\n",
		       mode, a, b, r, used, out_len, c->want, c->want_used, c->out.n);
		return false;
	}
	if (r != 1)
		return true;
	if (s.cmd != c->cmd || strcmp(target_str(&s.target), c->target) != 0) {
		printf("#   cmd %u target %s\n", s.cmd, target_str(&s.target));
		return false;
	}
	if (!c->user)
		return s.method == 0x00 && s.user_len == 0;
	return s.method == 0x02 && strcmp(s.user, c->user) == 0 && strcmp(s.pass, c->pass) == 0 &&
	       s.user_len == strlen(c->user) && s.pass_len == strlen(c->pass);
}

static void test_socks5_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(s5cases); i++) {
		const struct s5case *c = &s5cases[i];
		bool all2 = true, all3 = true;

		ok(s5_check(c, 0, 0, 0), "socks5 server: %s: whole", c->name);
		ok(s5_check(c, 1, 0, 0), "socks5 server: %s: byte by byte", c->name);
		for (size_t a = 1; a < c->in.n; a++)
			all2 = all2 && s5_check(c, 0, a, 0);
		ok(all2, "socks5 server: %s: every 2-way split", c->name);
		for (size_t a = 1; a < c->in.n; a++)
			for (size_t b = a + 1; b < c->in.n; b++)
				all3 = all3 && s5_check(c, 0, a, b);
		ok(all3, "socks5 server: %s: every 3-way split", c->name);
	}
}

static void test_socks5_after_end(void)
{
	static const uint8_t req[] = {0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, V4, 0x00, 0x50};
	static struct socks5_srv s;
	size_t used;

	socks5_srv_init(&s, 0);
	is_int(socks5_srv_reply(&s, 0, NULL), -EINVAL, "socks5 server: reply before the request");
	is_int(socks5_srv_feed(&s, req, sizeof(req), &used), 1, "socks5 server: request done");
	is_int(socks5_srv_feed(&s, req, sizeof(req), &used), 1, "socks5 server: done stays done");
	is_int(used, 0, "socks5 server: done consumes nothing more");
	socks5_srv_sent(&s, 2);
	is_int(socks5_srv_reply(&s, -ECONNREFUSED, NULL), 0, "socks5 server: reply queued");
	is_int(socks5_srv_reply(&s, 0, NULL), -EINVAL, "socks5 server: only one reply");

	socks5_srv_init(&s, 0);
	is_int(socks5_srv_feed(&s, (const uint8_t *)"\x04\x01", 2, &used), -EPROTO,
	       "socks5 server: not SOCKS5");
	is_int(socks5_srv_feed(&s, req, sizeof(req), &used), -EPROTO,
	       "socks5 server: a failure stays a failure");
	is_int(used, 0, "socks5 server: failure consumes nothing more");
}

static void test_socks5_reply_codes(void)
{
	static const struct {
		int err;
		uint8_t rep;
	} codes[] = {
		{0, 0},		 {-ECONNREFUSED, 5}, {-ENETUNREACH, 3},	 {-EHOSTUNREACH, 4},
		{-ETIMEDOUT, 6}, {-EACCES, 2},	     {-EAFNOSUPPORT, 8}, {-EOPNOTSUPP, 7},
		{-EIO, 1},	 {-ECONNRESET, 1},   {-EPROTO, 1},	 {-ENOMEM, 1},
	};
	uint8_t out[64];

	for (size_t i = 0; i < ARRAY_SIZE(codes); i++) {
		uint8_t want[] = {0x05, codes[i].rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
		int n = socks5_srv_build_reply(out, sizeof(out), codes[i].err, NULL);

		ok(n == (int)sizeof(want) && memcmp(out, want, sizeof(want)) == 0,
		   "socks5 reply: errno %d -> REP %u, BND 0.0.0.0:0", codes[i].err, codes[i].rep);
	}
}

static void test_socks5_reply_bnd(void)
{
	static const uint8_t v4[] = {0x05, 0x00, 0x00, 0x01, 203, 0, 113, 9, 0x04, 0x38};
	static const uint8_t v6[] = {0x05, 0x00, 0x00, 0x04, V6, 0xc3, 0x50};
	static const uint8_t nm[] = {0x05, 0x04, 0x00, 0x03, NAME, 0x00, 0x35};
	struct proxy_target t;
	uint8_t out[300];

	proxy_target_set_host(&t, "203.0.113.9", 1080);
	ok(socks5_srv_build_reply(out, sizeof(out), 0, &t) == (int)sizeof(v4) &&
		   memcmp(out, v4, sizeof(v4)) == 0,
	   "socks5 reply: success with IPv4 BND");
	is_int(socks5_srv_build_reply(out, sizeof(v4) - 1, 0, &t), -ENOBUFS,
	       "socks5 reply: one byte short is -ENOBUFS");
	proxy_target_set_host(&t, "2001:db8::1", 50000);
	ok(socks5_srv_build_reply(out, sizeof(out), 0, &t) == (int)sizeof(v6) &&
		   memcmp(out, v6, sizeof(v6)) == 0,
	   "socks5 reply: success with IPv6 BND");
	proxy_target_set_name(&t, "example.com", 53);
	ok(socks5_srv_build_reply(out, sizeof(out), -EHOSTUNREACH, &t) == (int)sizeof(nm) &&
		   memcmp(out, nm, sizeof(nm)) == 0,
	   "socks5 reply: REP 4 with a name BND");
	t.family = AF_UNIX;
	is_int(socks5_srv_build_reply(out, sizeof(out), 0, &t), -EINVAL,
	       "socks5 reply: bad BND family");
}

/* ---- HTTP proxy server ---- */

struct hcase {
	const char *name;
	struct bytes in;
	int want;
	size_t want_used;
	bool connect;
	const char *target;
	struct bytes out; /* rewritten head (NONE for CONNECT) */
};

#define BAD(nm, s)                                                  \
	{                                                           \
		nm, B(s), -EPROTO, sizeof(s) - 1, false, NULL, NONE \
	}

static const struct hcase hcases[] = {
	{"CONNECT name:port, tunnel bytes after",
	 B("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"
	   "User-Agent: curl/8\r\n\r\n\x16\x03\x01"),
	 1, 79, true, "name example.com 443", NONE},
	{"CONNECT [IPv6]:port, bare LF", B("CONNECT [2001:db8::1]:8443 HTTP/1.1\n\n"), 1, 37, true,
	 "v6 2001:db8::1 8443", NONE},
	{"CONNECT IPv4, leading empty lines",
	 B("\r\n\nCONNECT 198.51.100.7:22 HTTP/1.0\r\n\r\nSSH"), 1, 39, true, "v4 198.51.100.7 22",
	 NONE},
	{"GET rewritten, hop-by-hop and Proxy-* dropped, Host replaced",
	 B("GET http://example.com/index.html?q=1 HTTP/1.1\r\n"
	   "Host: evil.example\r\nUser-Agent: curl/8\r\nProxy-Connection: keep-alive\r\n"
	   "Proxy-Authorization: Basic Zm9vOmJhcg==\r\nConnection: keep-alive, X-Secret\r\n"
	   "X-Secret: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\nTrailer: X\r\nUpgrade: h2c\r\n"
	   "Accept: */*\r\n\r\n"),
	 1, 278, false, "name example.com 80",
	 B("GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\n"
	   "Accept: */*\r\nConnection: close\r\n\r\n")},
	{"HTTP/1.0, no path, upper-case scheme, bare LF",
	 B("HEAD HTTP://Example.COM HTTP/1.0\nAccept:  text/html \n\n"), 1, 54, false,
	 "name Example.COM 80",
	 B("HEAD / HTTP/1.0\r\nHost: Example.COM\r\nAccept:  text/html \r\n"
	   "Connection: close\r\n\r\n")},
	{"query without path gets /", B("GET http://example.com:8080?x=1 HTTP/1.1\r\n\r\n"), 1, 44,
	 false, "name example.com 8080",
	 B("GET /?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nConnection: close\r\n\r\n")},
	{"POST to [IPv6]:port, body left alone",
	 B("POST http://[2001:db8::1]:8080/p HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"), 1, 64,
	 false, "v6 2001:db8::1 8080",
	 B("POST /p HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\nContent-Length: 5\r\n"
	   "Connection: close\r\n\r\n")},
	{"IPv4 literal origin", B("DELETE http://198.51.100.7/x HTTP/1.1\r\nX: y\r\n\r\n"), 1, 47,
	 false, "v4 198.51.100.7 80",
	 B("DELETE /x HTTP/1.1\r\nHost: 198.51.100.7\r\nX: y\r\nConnection: close\r\n\r\n")},
	BAD("origin-form", "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n"),
	BAD("asterisk-form", "OPTIONS * HTTP/1.1\r\n\r\n"),
	BAD("https:// absolute-form", "GET https://example.com/ HTTP/1.1\r\n\r\n"),
	BAD("ftp scheme", "GET ftp://example.com/ HTTP/1.1\r\n\r\n"),
	BAD("userinfo", "GET http://user:pw@example.com/ HTTP/1.1\r\n\r\n"),
	BAD("userinfo in CONNECT", "CONNECT user@example.com:443 HTTP/1.1\r\n\r\n"),
	BAD("port 0", "GET http://example.com:0/ HTTP/1.1\r\n\r\n"),
	BAD("port 65536", "GET http://example.com:65536/ HTTP/1.1\r\n\r\n"),
	BAD("port not a number", "GET http://example.com:8o/ HTTP/1.1\r\n\r\n"),
	BAD("empty port", "GET http://example.com:/ HTTP/1.1\r\n\r\n"),
	BAD("CONNECT without port", "CONNECT example.com HTTP/1.1\r\n\r\n"),
	BAD("CONNECT with a URI", "CONNECT http://example.com:443/ HTTP/1.1\r\n\r\n"),
	BAD("lower-case connect is not CONNECT", "connect example.com:443 HTTP/1.1\r\n\r\n"),
	BAD("unclosed bracket", "CONNECT [2001:db8::1:443 HTTP/1.1\r\n\r\n"),
	BAD("IPv6 zone id", "CONNECT [fe80::1%25eth0]:443 HTTP/1.1\r\n\r\n"),
	BAD("IPv6 without brackets", "CONNECT 2001:db8::1:443 HTTP/1.1\r\n\r\n"),
	BAD("empty host", "GET http:///x HTTP/1.1\r\n\r\n"),
	BAD("percent in host", "GET http://exa%6dple.com/ HTTP/1.1\r\n\r\n"),
	BAD("fragment", "GET http://example.com/#top HTTP/1.1\r\n\r\n"),
	BAD("obs-fold", "GET http://example.com/ HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"),
	BAD("space before colon", "GET http://example.com/ HTTP/1.1\r\nHost : x\r\n\r\n"),
	BAD("bare CR in a value", "GET http://example.com/ HTTP/1.1\r\nX: a\rInjected: b\r\n\r\n"),
	BAD("NUL in a value", "GET http://example.com/ HTTP/1.1\r\nX: a\0b\r\n\r\n"),
	BAD("field without colon", "GET http://example.com/ HTTP/1.1\r\nNoColon\r\n\r\n"),
	BAD("Content-Length with Transfer-Encoding",
	    "POST http://example.com/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 3\r\n\r\n"),
	BAD("HTTP/2.0", "GET http://example.com/ HTTP/2.0\r\n\r\n"),
	BAD("http/1.1 lower case", "GET http://example.com/ http/1.1\r\n\r\n"),
	BAD("no version", "GET http://example.com/\r\n\r\n"),
	BAD("two spaces", "GET  http://example.com/ HTTP/1.1\r\n\r\n"),
	BAD("trailing space", "GET http://example.com/ HTTP/1.1 \r\n\r\n"),
	BAD("tab in request line", "GET\thttp://example.com/ HTTP/1.1\r\n\r\n"),
	BAD("method not a token", "G(T http://example.com/ HTTP/1.1\r\n\r\n"),
};

static int h_run(const struct hcase *c, struct http_srv *h, const size_t *cuts, size_t ncuts,
		 size_t *used)
{
	const uint8_t *in = c->in.p;
	size_t pos = 0, k = 0, u;
	int r = 0;

	*used = 0;
	http_srv_init(h);
	while (pos < c->in.n) {
		size_t end = k < ncuts ? cuts[k++] : c->in.n;

		r = http_srv_feed(h, in + pos, end - pos, &u);
		*used += u;
		if (r != 0)
			return r;
		if (*used != end)
			return -1000;
		pos = end;
	}
	return r;
}

static bool h_check(const struct hcase *c, int mode, size_t a)
{
	static struct http_srv h;
	static size_t cuts[MAX_CUTS];
	size_t ncuts = make_cuts(cuts, c->in.n, mode, a, 0), used, n;
	int r = h_run(c, &h, cuts, ncuts, &used);
	const uint8_t *out;

	if (r != c->want || used != c->want_used) {
		printf("#   mode %d cut %zu: got %d used %zu, want %d used %zu\n", mode, a, r, used,
		       c->want, c->want_used);
		return false;
	}
	if (r != 1)
		return true;
	out = http_srv_request(&h, &n);
	if (h.connect != c->connect || strcmp(target_str(&h.target), c->target) != 0 ||
	    !bytes_eq(out, n, c->out)) {
		printf("#   connect %d target %s out:\n# %.*s\n", h.connect, target_str(&h.target),
		       (int)n, (const char *)out);
		return false;
	}
	return true;
}

static void test_http_cases(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(hcases); i++) {
		const struct hcase *c = &hcases[i];
		bool all2 = true;

		ok(h_check(c, 0, 0), "http server: %s: whole", c->name);
		ok(h_check(c, 1, 0), "http server: %s: byte by byte", c->name);
		for (size_t a = 1; a < c->in.n; a++)
			all2 = all2 && h_check(c, 0, a);
		ok(all2, "http server: %s: every 2-way split", c->name);
	}
}

/* A head of exactly @size bytes: request line, X-Pad filler, CRLF CRLF. */
static size_t http_make_head(char *buf, size_t size)
{
	static const char line[] = "GET http://example.com/ HTTP/1.1\r\nX-Pad: ";
	size_t n = sizeof(line) - 1;

	memcpy(buf, line, n);
	memset(buf + n, 'a', size - n - 4);
	memcpy(buf + size - 4, "\r\n\r\n", 4);
	return size;
}

static void test_http_limit(void)
{
	static char buf[HTTP_SRV_HEAD_MAX + 16];
	static struct http_srv h;
	size_t used, n;

	http_make_head(buf, HTTP_SRV_HEAD_MAX);
	http_srv_init(&h);
	is_int(http_srv_feed(&h, (uint8_t *)buf, HTTP_SRV_HEAD_MAX, &used), 1,
	       "http server: a head of exactly 16 KiB is accepted");
	http_srv_request(&h, &n);
	is_int(n, HTTP_SRV_HEAD_MAX - 45 + 65, "http server: its rewrite has the size expected");

	http_make_head(buf, HTTP_SRV_HEAD_MAX + 1);
	http_srv_init(&h);
	is_int(http_srv_feed(&h, (uint8_t *)buf, HTTP_SRV_HEAD_MAX + 1, &used), -E2BIG,
	       "http server: one byte more is -E2BIG");
	is_int(used, HTTP_SRV_HEAD_MAX, "http server: ... after taking exactly the limit");
	is_int(http_srv_feed(&h, (uint8_t *)buf, 1, &used), -E2BIG,
	       "http server: a failure stays a failure");
	is_int(used, 0, "http server: ... consuming nothing");
}

static void test_http_responses(void)
{
	static const struct {
		int status;
		const char *text;
	} want[] = {
		{200, "HTTP/1.1 200 Connection established\r\n\r\n"},
		{400, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
		{403, "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
		{405, "HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\n"
		      "Content-Length: 0\r\n\r\n"},
		{502, "HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
		{504, "HTTP/1.1 504 Gateway Timeout\r\nConnection: close\r\n"
		      "Content-Length: 0\r\n\r\n"},
	};
	uint8_t out[256];
	int n;

	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		size_t len = strlen(want[i].text);

		n = http_srv_build_response(out, sizeof(out), want[i].status);
		ok(n == (int)len && memcmp(out, want[i].text, len) == 0, "http response %d",
		   want[i].status);
		is_int(http_srv_build_response(out, len, want[i].status), (int)len,
		       "http response %d fits exactly", want[i].status);
		is_int(http_srv_build_response(out, len - 1, want[i].status), -ENOBUFS,
		       "http response %d: one byte short", want[i].status);
	}
	is_int(http_srv_build_response(out, sizeof(out), 404), -EINVAL,
	       "http response 404: unknown");
}

static void test_http_status_map(void)
{
	static const int map[][2] = {
		{0, 200},
		{-EPROTO, 400},
		{-E2BIG, 400},
		{-EINVAL, 400},
		{-EACCES, 403},
		{-EOPNOTSUPP, 405},
		{-ECONNREFUSED, 502},
		{-ENETUNREACH, 502},
		{-EHOSTUNREACH, 502},
		{-ETIMEDOUT, 504},
		{-ECONNRESET, 502},
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		is_int(http_srv_status_from_errno(map[i][0]), map[i][1], "http status for errno %d",
		       map[i][0]);
}

/* ---- SOCKS5 UDP ---- */

static void test_udp_encode(void)
{
	static const uint8_t v4[] = {0, 0, 0, 0x01, V4, 0x00, 0x35, 'd', 'n', 's'};
	static const uint8_t v6[] = {0, 0, 0, 0x04, V6, 0x01, 0xbb, 'q'};
	static const uint8_t nm[] = {0, 0, 0, 0x03, NAME, 0x00, 0x7b};
	struct proxy_target t;
	uint8_t out[600];
	int n;

	proxy_target_set_host(&t, "198.51.100.7", 53);
	n = socks5_udp_encode(&t, (const uint8_t *)"dns", 3, out, sizeof(out));
	ok(n == (int)sizeof(v4) && memcmp(out, v4, sizeof(v4)) == 0, "udp encode: IPv4");
	is_int(socks5_udp_encode(&t, (const uint8_t *)"dns", 3, out, sizeof(v4)), (int)sizeof(v4),
	       "udp encode: fits exactly");
	is_int(socks5_udp_encode(&t, (const uint8_t *)"dns", 3, out, sizeof(v4) - 1), -EMSGSIZE,
	       "udp encode: one byte short");
	is_int(socks5_udp_encode(&t, out, 65536, out + 1, 1), -EMSGSIZE,
	       "udp encode: payload over 65535");
	proxy_target_set_host(&t, "2001:db8::1", 443);
	n = socks5_udp_encode(&t, (const uint8_t *)"q", 1, out, sizeof(out));
	ok(n == (int)sizeof(v6) && memcmp(out, v6, sizeof(v6)) == 0, "udp encode: IPv6 (QUIC)");
	proxy_target_set_name(&t, "example.com", 123);
	n = socks5_udp_encode(&t, NULL, 0, out, sizeof(out));
	ok(n == (int)sizeof(nm) && memcmp(out, nm, sizeof(nm)) == 0, "udp encode: name, no data");
	t.family = AF_UNIX;
	is_int(socks5_udp_encode(&t, NULL, 0, out, sizeof(out)), -EINVAL, "udp encode: bad family");
}

static void test_udp_decode_ok(void)
{
	static const uint8_t v4[] = {0, 0, 0, 0x01, V4, 0x00, 0x35, 'a', 'n', 's'};
	static const uint8_t v6[] = {0, 0, 0, 0x04, V6, 0x01, 0xbb};
	static const uint8_t nm[] = {0x12, 0x34, 0, 0x03, NAME, 0x00, 0x7b, 'x'};
	struct proxy_target t;
	const uint8_t *p;
	size_t n;

	is_int(socks5_udp_decode(v4, sizeof(v4), &t, &p, &n), 0, "udp decode: IPv4");
	is_str(target_str(&t), "v4 198.51.100.7 53", "udp decode: IPv4 source");
	ok(p == v4 + 10 && n == 3, "udp decode: IPv4 payload");
	is_int(socks5_udp_decode(v6, sizeof(v6), &t, &p, &n), 0, "udp decode: IPv6, empty data");
	is_str(target_str(&t), "v6 2001:db8::1 443", "udp decode: IPv6 source");
	ok(p == v6 + sizeof(v6) && n == 0, "udp decode: empty payload");
	is_int(socks5_udp_decode(nm, sizeof(nm), &t, &p, &n), 0, "udp decode: name, RSV ignored");
	is_str(target_str(&t), "name example.com 123", "udp decode: name source");
	ok(p == nm + 18 && n == 1 && p[0] == 'x', "udp decode: name payload");
}

static void test_udp_decode_bad(void)
{
	static const uint8_t frag[] = {0, 0, 1, 0x01, V4, 0x00, 0x35, 'a'};
	static const uint8_t atyp[] = {0, 0, 0, 0x02, V4, 0x00, 0x35, 'a'};
	static const uint8_t empty[] = {0, 0, 0, 0x03, 0x00, 0x00, 0x35};
	static const uint8_t nul[] = {0, 0, 0, 0x03, 0x02, 'a', 0, 0x00, 0x35};
	static const uint8_t full[] = {0, 0, 0, 0x03, NAME, 0x00, 0x7b};
	struct proxy_target t;
	const uint8_t *p;
	bool all = true;
	size_t n;

	is_int(socks5_udp_decode(frag, sizeof(frag), &t, &p, &n), -EOPNOTSUPP,
	       "udp decode: FRAG 1 dropped");
	is_int(socks5_udp_decode(atyp, sizeof(atyp), &t, &p, &n), -EAFNOSUPPORT,
	       "udp decode: ATYP 2");
	is_int(socks5_udp_decode(empty, sizeof(empty), &t, &p, &n), -EPROTO,
	       "udp decode: empty name");
	is_int(socks5_udp_decode(nul, sizeof(nul), &t, &p, &n), -EPROTO, "udp decode: NUL in name");
	for (size_t k = 0; k < sizeof(full); k++)
		all &= socks5_udp_decode(full, k, &t, &p, &n) == -EPROTO;
	ok(all, "udp decode: every truncation of the header is -EPROTO");
	is_int(socks5_udp_decode(full, sizeof(full), &t, &p, &n), 0,
	       "udp decode: ... not the whole");
}

int main(void)
{
	test_socks5_cases();
	test_socks5_after_end();
	test_socks5_reply_codes();
	test_socks5_reply_bnd();
	test_http_cases();
	test_http_limit();
	test_http_responses();
	test_http_status_map();
	test_udp_encode();
	test_udp_decode_ok();
	test_udp_decode_bad();
	return tap_done();
}
