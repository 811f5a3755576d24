/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_proxy_pipeline.c - proxy_hs_pipeline(): every SOCKS5 request sent at
 * once.  The output is compared byte for byte; the proxy's replies arrive as
 * one stream, fed whole, one byte at a time and in every 2-way split, with
 * tunnel bytes after it that must be left alone; refusals, misuse, and a
 * proxy that answers before all of the requests went out.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy.h"
#include "proxy_scenario.h"

struct pipe_case {
	const char *name;
	enum proxy_kind kind;
	const char *user, *pass;
	const char *host;
	uint16_t port;
	bool udp;
	struct bytes out; /* everything the handshake must send at once */
	struct bytes rep; /* the proxy's replies, one stream */
	int want;
	size_t want_consumed; /* when want == 1 */
	int want_code;
};

#define CONNECT_NAME RAW(0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90)
#define OK_V4 0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x30, 0x39

static const struct pipe_case cases[] = {
	{"no credentials, IPv4", PROXY_SOCKS5, NULL, NULL, "198.51.100.7", 443, false,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, V4, 0x01, 0xbb),
	 RAW(0x05, 0x00, OK_V4, 'H', 'I'), 1, 12, 0},
	{"credentials, name: only username/password offered", PROXY_SOCKS5H, "alice", "secret",
	 "example.com", 8080, false,
	 RAW(0x05, 0x01, 0x02, ALICE, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90),
	 RAW(0x05, 0x02, 0x01, 0x00, 0x05, 0x00, 0x00, 0x03, 0x04, 'h', 'o', 's', 't', 0x12, 0x34,
	     'S'),
	 1, 15, 0},
	{"UDP ASSOCIATE", PROXY_SOCKS5, NULL, NULL, "0.0.0.0", 0, true,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0, 0),
	 RAW(0x05, 0x00, 0x05, 0x00, 0x00, 0x01, V4, 0x12, 0x34), 1, 12, 0},
	{"credentials: the method reply lost, as Tor sends it", PROXY_SOCKS5H, "alice", "secret",
	 "example.com", 8080, false,
	 RAW(0x05, 0x01, 0x02, ALICE, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90),
	 RAW(0x01, 0x00, OK_V4, 'T'), 1, 12, 0},
	{"credentials: the method reply lost and the credentials refused", PROXY_SOCKS5H, "alice",
	 "secret", "example.com", 8080, false,
	 RAW(0x05, 0x01, 0x02, ALICE, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90), RAW(0x01, 0x01),
	 -EACCES, 0, -1},
	{"no credentials: an RFC 1929 reply instead of the method reply", PROXY_SOCKS5, NULL, NULL,
	 "198.51.100.7", 443, false, RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, V4, 0x01, 0xbb),
	 RAW(0x01, 0x00, OK_V4), -EPROTO, 0, -1},
	{"credentials sent, proxy picks no authentication", PROXY_SOCKS5, "alice", "secret",
	 "example.com", 8080, false,
	 RAW(0x05, 0x01, 0x02, ALICE, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90),
	 RAW(0x05, 0x00, OK_V4), -EPROTO, 0, -1},
	{"no credentials, proxy picks username/password", PROXY_SOCKS5, NULL, NULL, "example.com",
	 8080, false, RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90),
	 RAW(0x05, 0x02, 0x01, 0x00), -EPROTO, 0, -1},
	{"no acceptable method", PROXY_SOCKS5, "alice", "secret", "example.com", 8080, false,
	 RAW(0x05, 0x01, 0x02, ALICE, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90), RAW(0x05, 0xff),
	 -EOPNOTSUPP, 0, -1},
	{"credentials refused", PROXY_SOCKS5, "alice", "secret", "example.com", 8080, false,
	 RAW(0x05, 0x01, 0x02, ALICE, 0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90),
	 RAW(0x05, 0x02, 0x01, 0x01, 0x05, 0x00), -EACCES, 0, -1},
	{"CONNECT refused", PROXY_SOCKS5, NULL, NULL, "198.51.100.7", 443, false,
	 RAW(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, V4, 0x01, 0xbb),
	 RAW(0x05, 0x00, 0x05, 0x05, 0x00, 0x01, 0, 0, 0, 0, 0, 0), -ECONNREFUSED, 0, 5},
};

static int pipe_init(const struct pipe_case *pc, struct proxy_hs *hs)
{
	struct proxy_target t;
	int r;

	if (proxy_target_set_host(&t, pc->host, pc->port) < 0)
		return MISMATCH;
	r = pc->udp ? proxy_hs_init_udp(hs, pc->kind, pc->user, pc->pass, &t)
		    : proxy_hs_init(hs, pc->kind, pc->user, pc->pass, &t);
	return r < 0 ? r : proxy_hs_pipeline(hs);
}

/* Feed pc->rep cut after @split (0: whole, BYTEWISE: one byte at a time). */
static int pipe_run(const struct pipe_case *pc, size_t split, size_t *consumed, int *code)
{
	struct proxy_hs hs;
	const uint8_t *out;
	size_t n, pos = 0, chunk, c;
	int r = pipe_init(pc, &hs);

	*consumed = 0;
	if (r < 0)
		return r;
	out = proxy_hs_output(&hs, &n);
	if (n != pc->out.n || memcmp(out, pc->out.p, n) != 0)
		return MISMATCH;
	proxy_hs_sent(&hs, n);
	for (r = 0; r == 0 && pos < pc->rep.n; pos += chunk) {
		if (split == 0)
			chunk = pc->rep.n - pos;
		else if (split == BYTEWISE)
			chunk = 1;
		else
			chunk = pos == 0 && split < pc->rep.n ? split : pc->rep.n - pos;
		r = proxy_hs_feed(&hs, (const uint8_t *)pc->rep.p + pos, chunk, &c);
		*consumed += c;
		proxy_hs_output(&hs, &n);
		if (n != 0)
			return MISMATCH; /* a reply made a new request: nothing may be left to send
					  */
		if (r == 0 && c != chunk)
			return SHORT_TAKE;
	}
	*code = hs.reply_code;
	return r;
}

static int pipe_one(const struct pipe_case *pc, size_t split)
{
	size_t consumed;
	int code = -1, r = pipe_run(pc, split, &consumed, &code);

	if (r != pc->want || code != pc->want_code || (r == 1 && consumed != pc->want_consumed)) {
		printf("#   %s split %zu: got %d code %d consumed %zu, want %d code %d consumed "
		       "%zu\n",
		       pc->name, split, r, code, consumed, pc->want, pc->want_code,
		       pc->want_consumed);
		return 0;
	}
	return 1;
}

static void check_case(const struct pipe_case *pc)
{
	int all = 1;

	ok(pipe_one(pc, 0), "%s: whole", pc->name);
	ok(pipe_one(pc, BYTEWISE), "%s: byte by byte", pc->name);
	for (size_t k = 1; k < pc->rep.n; k++)
		all &= pipe_one(pc, k);
	ok(all, "%s: every 2-way split", pc->name);
}

static void test_misuse(void)
{
	struct proxy_target t;
	struct proxy_hs hs;

	proxy_target_set_host(&t, "198.51.100.7", 443);
	is_int(proxy_hs_pipeline(NULL), -EINVAL, "NULL: -EINVAL");
	proxy_hs_init(&hs, PROXY_HTTP, NULL, NULL, &t);
	is_int(proxy_hs_pipeline(&hs), -EINVAL, "HTTP CONNECT: -EINVAL (one request anyway)");
	proxy_hs_init(&hs, PROXY_SOCKS4A, NULL, NULL, &t);
	is_int(proxy_hs_pipeline(&hs), -EINVAL, "SOCKS4a: -EINVAL");
	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	is_int(proxy_hs_pipeline(&hs), 0, "SOCKS5: 0");
	is_int(proxy_hs_pipeline(&hs), -EINVAL, "twice: -EINVAL");
	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	proxy_hs_sent(&hs, 1);
	is_int(proxy_hs_pipeline(&hs), -EINVAL, "part of the greeting already sent: -EINVAL");
}

/* The proxy may answer the greeting before the rest arrived, never the last request. */
static void test_partial_send(void)
{
	static const uint8_t method[] = {0x05, 0x00}, ok_rep[] = {OK_V4};
	struct proxy_target t;
	struct proxy_hs hs;
	size_t n, c;

	proxy_target_set_host(&t, "198.51.100.7", 443);
	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	proxy_hs_pipeline(&hs);
	proxy_hs_sent(&hs, 3);
	is_int(proxy_hs_feed(&hs, method, sizeof(method), &c), 0,
	       "method reply with CONNECT still unsent: need more");
	proxy_hs_output(&hs, &n);
	is_int((int)n, 10, "the CONNECT request is still there to send");
	proxy_hs_sent(&hs, n);
	is_int(proxy_hs_feed(&hs, ok_rep, sizeof(ok_rep), &c), 1, "then its reply: connected");

	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	proxy_hs_pipeline(&hs);
	proxy_hs_sent(&hs, 5);
	is_int(proxy_hs_feed(&hs, method, sizeof(method), &c), 0, "method reply: need more");
	is_int(proxy_hs_feed(&hs, ok_rep, sizeof(ok_rep), &c), -EPROTO,
	       "CONNECT reply before the request was fully sent: -EPROTO");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
	test_misuse();
	test_partial_send();
	return tap_done();
}
