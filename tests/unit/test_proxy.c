/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_proxy.c - the SOCKS5 and SOCKS4a handshakes against hand-written bytes
 * (proxy_scenario.h), with tunnel bytes after the reply that must be left
 * alone; errors at init, targets, output order, error texts, UDP ASSOCIATE.
 * HTTP CONNECT: test_proxy_http.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "proxy/proxy.h"
#include "proxy_scenario.h"

static const struct scenario socks5_ok[] = {
	{"socks5 no auth, ATYP 1",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_NOAUTH, RAW(0x05, 0x00)},
	  {CONNECT_V4, RAW(0x05, 0x00, 0x00, 0x01, 127, 0, 0, 1, 0x30, 0x39, 'H', 'I')}},
	 1,
	 10,
	 0},
	{"socks5h auth, ATYP 3, name reply",
	 PROXY_SOCKS5H,
	 "alice",
	 "secret",
	 "example.com",
	 8080,
	 {{GREET_AUTH, RAW(0x05, 0x02)},
	  {RAW(ALICE), RAW(0x01, 0x00)},
	  {RAW(0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90),
	   RAW(0x05, 0x00, 0x00, 0x03, 0x04, 'h', 'o', 's', 't', 0x12, 0x34, 'S', 'S', 'H')}},
	 1,
	 11,
	 0},
	{"socks5 names go as ATYP 3 too",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "example.com",
	 8080,
	 {{GREET_NOAUTH, RAW(0x05, 0x00)},
	  {RAW(0x05, 0x01, 0x00, 0x03, NAME, 0x1f, 0x90), REP_V4(0x00)}},
	 1,
	 10,
	 0},
	{"socks5 creds offered, server picks none, ATYP 4",
	 PROXY_SOCKS5,
	 "alice",
	 "secret",
	 "2001:db8::1",
	 80,
	 {{GREET_AUTH, RAW(0x05, 0x00)},
	  {RAW(0x05, 0x01, 0x00, 0x04, V6, 0x00, 0x50),
	   RAW(0x05, 0x00, 0x00, 0x04, V6, 0x00, 0x50, 0x00)}},
	 1,
	 22,
	 0},
	{"socks5 empty password",
	 PROXY_SOCKS5,
	 "u",
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_AUTH, RAW(0x05, 0x02)},
	  {RAW(0x01, 0x01, 'u', 0x00), RAW(0x01, 0x00)},
	  {CONNECT_V4, REP_V4(0x00)}},
	 1,
	 10,
	 0},
	{"socks5 bad method FF",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_NOAUTH, RAW(0x05, 0xff)}},
	 -EOPNOTSUPP,
	 0,
	 -1},
	{"socks5 method 02 not offered",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_NOAUTH, RAW(0x05, 0x02)}},
	 -EPROTO,
	 0,
	 -1},
	{"socks5 unknown method",
	 PROXY_SOCKS5,
	 "alice",
	 "secret",
	 "198.51.100.7",
	 443,
	 {{GREET_AUTH, RAW(0x05, 0x01)}},
	 -EPROTO,
	 0,
	 -1},
	{"socks5 greeting VER 4",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_NOAUTH, RAW(0x04, 0x00)}},
	 -EPROTO,
	 0,
	 -1},
	{"socks5 auth refused",
	 PROXY_SOCKS5,
	 "alice",
	 "secret",
	 "198.51.100.7",
	 443,
	 {{GREET_AUTH, RAW(0x05, 0x02)}, {RAW(ALICE), RAW(0x01, 0x01)}},
	 -EACCES,
	 0,
	 -1},
	{"socks5 auth reply bad VER",
	 PROXY_SOCKS5,
	 "alice",
	 "secret",
	 "198.51.100.7",
	 443,
	 {{GREET_AUTH, RAW(0x05, 0x02)}, {RAW(ALICE), RAW(0x05, 0x00)}},
	 -EPROTO,
	 0,
	 -1},
	{"socks5 connect reply VER 4",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_NOAUTH, RAW(0x05, 0x00)},
	  {CONNECT_V4, RAW(0x04, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0)}},
	 -EPROTO,
	 0,
	 -1},
	{"socks5 unknown ATYP",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_NOAUTH, RAW(0x05, 0x00)},
	  {CONNECT_V4, RAW(0x05, 0x00, 0x00, 0x05, 0, 0, 0, 0, 0, 0)}},
	 -EPROTO,
	 0,
	 0},
	{"socks5 truncated reply",
	 PROXY_SOCKS5,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{GREET_NOAUTH, RAW(0x05, 0x00)},
	  {CONNECT_V4, RAW(0x05, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0)}},
	 0,
	 0,
	 0},
};

/* RFC 1928 §6 REP -> errno; REP 1 is -ECONNREFUSED by choice (see socks5.c). */
static void test_socks5_rep_codes(void)
{
	static const int want[] = {
		1,	    -ECONNREFUSED, -EACCES,	 -ENETUNREACH, -EHOSTUNREACH, -ECONNREFUSED,
		-ETIMEDOUT, -EOPNOTSUPP,   -EAFNOSUPPORT};
	static const int extra[] = {9, 0x42, 0xff};

	for (int rep = 0; rep < 9 + 3; rep++) {
		int code = rep < 9 ? rep : extra[rep - 9];
		uint8_t r[] = {0x05, (uint8_t)code, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
		struct scenario sc = {
			"socks5 REP",
			PROXY_SOCKS5,
			NULL,
			NULL,
			"198.51.100.7",
			443,
			{{GREET_NOAUTH, RAW(0x05, 0x00)}, {CONNECT_V4, {r, sizeof(r)}}},
			rep < 9 ? want[rep] : -EPROTO,
			10,
			code,
		};
		char name[64];

		snprintf(name, sizeof(name), "socks5 REP %d", code);
		sc.name = name;
		check_scenario(&sc);
	}
}

static const struct scenario socks4_ok[] = {
	{"socks4a IP, no user",
	 PROXY_SOCKS4A,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{RAW(0x04, 0x01, 0x01, 0xbb, V4, 0x00), RAW(0x00, 90, 0, 0, 0, 0, 0, 0, 'x', 'y')}},
	 1,
	 8,
	 90},
	{"socks4a name, user, VN 4",
	 PROXY_SOCKS4A,
	 "bob",
	 "ignored",
	 "example.com",
	 8080,
	 {{RAW(0x04, 0x01, 0x1f, 0x90, 0, 0, 0, 1, 'b', 'o', 'b', 0, 'e', 'x', 'a', 'm', 'p', 'l',
	       'e', '.', 'c', 'o', 'm', 0),
	   RAW(0x04, 90, 0, 0, 0, 0, 0, 0)}},
	 1,
	 8,
	 90},
	{"socks4a 91",
	 PROXY_SOCKS4A,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{RAW(0x04, 0x01, 0x01, 0xbb, V4, 0x00), RAW(0x00, 91, 0, 0, 0, 0, 0, 0)}},
	 -ECONNREFUSED,
	 0,
	 91},
	{"socks4a 92",
	 PROXY_SOCKS4A,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{RAW(0x04, 0x01, 0x01, 0xbb, V4, 0x00), RAW(0x00, 92, 0, 0, 0, 0, 0, 0)}},
	 -EACCES,
	 0,
	 92},
	{"socks4a 93",
	 PROXY_SOCKS4A,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{RAW(0x04, 0x01, 0x01, 0xbb, V4, 0x00), RAW(0x00, 93, 0, 0, 0, 0, 0, 0)}},
	 -EACCES,
	 0,
	 93},
	{"socks4a unknown CD",
	 PROXY_SOCKS4A,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{RAW(0x04, 0x01, 0x01, 0xbb, V4, 0x00), RAW(0x00, 0x00, 0, 0, 0, 0, 0, 0)}},
	 -EPROTO,
	 0,
	 0},
	{"socks4a bad VN",
	 PROXY_SOCKS4A,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{RAW(0x04, 0x01, 0x01, 0xbb, V4, 0x00), RAW(0x05, 90, 0, 0, 0, 0, 0, 0)}},
	 -EPROTO,
	 0,
	 -1},
};

static void test_init_errors(void)
{
	char longs[300];
	struct proxy_target t, t6;
	struct proxy_hs hs;

	memset(longs, 'a', sizeof(longs));
	longs[256] = '\0';
	proxy_target_set_host(&t, "198.51.100.7", 443);
	proxy_target_set_host(&t6, "2001:db8::1", 443);
	is_int(proxy_hs_init(&hs, PROXY_DIRECT, NULL, NULL, &t), -EINVAL, "init: direct refused");
	is_int(proxy_hs_init(&hs, (enum proxy_kind)42, NULL, NULL, &t), -EINVAL,
	       "init: unknown kind refused");
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5, longs, "p", &t), -EINVAL, "init: 256-byte user");
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5, "u", longs, &t), -EINVAL, "init: 256-byte pass");
	longs[255] = '\0';
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5, longs, longs, &t), 0, "init: 255-byte creds ok");
	is_int(proxy_hs_init(&hs, PROXY_SOCKS4A, NULL, NULL, &t6), -EAFNOSUPPORT,
	       "init: socks4a IPv6 target");
	is_int(proxy_hs_init(&hs, PROXY_HTTP, "a:b", "c", &t), -EINVAL,
	       "init: http user with colon (RFC 7617)");
	proxy_target_set_name(&t, longs, 443);
	is_int(proxy_hs_init(&hs, PROXY_HTTP, longs, longs, &t), -EINVAL,
	       "init: http request over PROXY_OUT_MAX");
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5, longs, longs, &t), 0, "init: socks5 255-byte name");
	is_int(proxy_hs_init(&hs, PROXY_HTTP, NULL, NULL, &t), 0, "init: http 255-byte name");
	is_int(proxy_target_set_name(&t, "evil\r\nX-Injected: 1", 80), 0, "set_name: any bytes");
	is_int(proxy_hs_init(&hs, PROXY_HTTP, NULL, NULL, &t), -EINVAL,
	       "init: http refuses CR LF in a name");
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5H, NULL, NULL, &t), 0, "init: socks5 carries it");
	memset(&t, 0, sizeof(t));
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t), -EINVAL, "init: empty name");
	t.family = AF_UNIX;
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t), -EINVAL, "init: bad family");
	memset(t.name, 'a', sizeof(t.name));
	t.family = 0;
	is_int(proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t), -EINVAL,
	       "init: unterminated name");
}

static void test_target_from_sa(void)
{
	static const uint8_t v6[16] = {V6};
	static const uint8_t v4[4] = {V4};
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	struct proxy_target t;

	in->sin_family = AF_INET;
	in->sin_port = htons(5353);
	memcpy(&in->sin_addr, v4, 4);
	is_int(proxy_target_set_sa(&t, &ss), 0, "set_sa v4");
	ok(t.family == AF_INET && memcmp(t.addr, v4, 4) == 0 && t.port == 5353, "set_sa v4 value");
	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(53);
	memcpy(&in6->sin6_addr, v6, 16);
	is_int(proxy_target_set_sa(&t, &ss), 0, "set_sa v6");
	ok(t.family == AF_INET6 && memcmp(t.addr, v6, 16) == 0 && t.port == 53, "set_sa v6 value");
	ss.ss_family = AF_UNIX;
	is_int(proxy_target_set_sa(&t, &ss), -EAFNOSUPPORT, "set_sa AF_UNIX refused");
	ok(t.family == 0 && t.port == 0 && t.name[0] == '\0', "set_sa refused: target cleared");
}

static void test_targets(void)
{
	static const uint8_t v6[16] = {V6};
	static const uint8_t v4[4] = {V4};
	char longs[300];
	struct proxy_target t;

	is_int(proxy_target_set_host(&t, "198.51.100.7", 1), 0, "set_host v4");
	ok(t.family == AF_INET && memcmp(t.addr, v4, 4) == 0 && t.port == 1, "set_host v4 value");
	is_int(proxy_target_set_host(&t, "2001:db8::1", 2), 0, "set_host v6");
	ok(t.family == AF_INET6 && memcmp(t.addr, v6, 16) == 0 && t.port == 2, "set_host v6 value");
	is_int(proxy_target_set_host(&t, "example.com", 3), 0, "set_host name");
	ok(t.family == 0 && strcmp(t.name, "example.com") == 0 && t.port == 3,
	   "set_host name value");
	is_int(proxy_target_set_host(&t, "[2001:db8::1]", 3), 0, "set_host brackets: a name");
	is_int(t.family, 0, "set_host brackets: not an address");
	is_int(proxy_target_set_host(&t, "", 3), -EINVAL, "set_host empty");
	is_int(proxy_target_set_name(&t, "", 3), -EINVAL, "set_name empty");
	memset(longs, 'b', sizeof(longs));
	longs[256] = '\0';
	is_int(proxy_target_set_host(&t, longs, 3), -EINVAL, "set_host 256-byte name");
	longs[255] = '\0';
	is_int(proxy_target_set_name(&t, longs, 3), 0, "set_name 255-byte name");
	is_int((int)strlen(t.name), 255, "set_name keeps 255 bytes");
	test_target_from_sa();
}

static void test_output_and_order(void)
{
	static const uint8_t greet_rep_extra[] = {0x05, 0x00, 0x05, 0x00};
	static const uint8_t ok_rep[] = {0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0};
	struct proxy_target t;
	struct proxy_hs hs;
	const uint8_t *out;
	size_t n, c;

	proxy_target_set_host(&t, "198.51.100.7", 443);
	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	proxy_hs_sent(&hs, 1);
	out = proxy_hs_output(&hs, &n);
	ok(n == 2 && out[0] == 0x01 && out[1] == 0x00, "sent(1): the rest of the greeting remains");
	is_int(proxy_hs_feed(&hs, greet_rep_extra, 2, &c), -EPROTO,
	       "reply before the request was fully sent: -EPROTO");

	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	proxy_hs_sent(&hs, 100);
	proxy_hs_output(&hs, &n);
	is_int(n, 0, "sent() more than pending empties the output");
	is_int(proxy_hs_feed(&hs, greet_rep_extra, 0, &c), 0, "empty feed: need more");
	is_int(proxy_hs_feed(&hs, greet_rep_extra, sizeof(greet_rep_extra), &c), -EPROTO,
	       "bytes after the method reply, before CONNECT was sent: -EPROTO");
	is_int(c, 2, "the method reply itself was taken");

	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	proxy_hs_sent(&hs, 3);
	is_int(proxy_hs_feed(&hs, greet_rep_extra, 2, &c), 0, "method reply: need more");
	proxy_hs_output(&hs, &n);
	is_int(n, 10, "CONNECT request queued");
	proxy_hs_sent(&hs, n);
	is_int(proxy_hs_feed(&hs, ok_rep, sizeof(ok_rep), &c), 1, "connected");
	is_int(hs.state, HS_DONE, "state HS_DONE");
	is_int(proxy_hs_feed(&hs, ok_rep, sizeof(ok_rep), &c), 1, "feed after done: still 1");
	is_int(c, 0, "feed after done: nothing consumed");
}

static void test_strerror(void)
{
	struct proxy_target t;
	struct proxy_hs hs;

	proxy_target_set_host(&t, "198.51.100.7", 443);
	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	hs.reply_code = 5;
	is_str(proxy_strerror(&hs, -ECONNREFUSED), "SOCKS5 reply 5 (connection refused)",
	       "strerror SOCKS5 REP 5");
	hs.reply_code = -1;
	is_str(proxy_strerror(&hs, -EOPNOTSUPP),
	       "SOCKS5 proxy accepts none of our authentication methods", "strerror no method");
	is_str(proxy_strerror(&hs, -EPROTO), "malformed SOCKS5 reply", "strerror SOCKS5 EPROTO");
	proxy_hs_init(&hs, PROXY_HTTP, NULL, NULL, &t);
	hs.reply_code = 407;
	is_str(proxy_strerror(&hs, -EACCES),
	       "HTTP proxy status 407 (proxy authentication required)", "strerror HTTP 407");
	hs.reply_code = 599;
	is_str(proxy_strerror(&hs, -ECONNREFUSED), "HTTP proxy status 5xx (server error)",
	       "strerror HTTP 599");
	proxy_hs_init(&hs, PROXY_SOCKS4A, NULL, NULL, &t);
	hs.reply_code = 92;
	ok(strstr(proxy_strerror(&hs, -EACCES), "92") != NULL, "strerror SOCKS4 92");
	is_str(proxy_strerror(NULL, -ETIMEDOUT), "proxy: timed out", "strerror without hs");
	is_str(proxy_strerror(NULL, -EINVAL),
	       "invalid proxy request (bad target, credentials or kind)", "strerror EINVAL");
}

/*
 * Run a UDP ASSOCIATE handshake against @steps (same shape as a scenario),
 * feeding every reply whole; returns the last proxy_hs_feed() result.
 */
static int run_udp(struct proxy_hs *hs, const char *user, const char *pass, const char *from,
		   uint16_t port, const struct step *steps, size_t n_steps)
{
	struct proxy_target t;
	const uint8_t *out;
	size_t n, used;
	int r = -1;

	if (proxy_target_set_host(&t, from, port) < 0)
		return MISMATCH;
	r = proxy_hs_init_udp(hs, PROXY_SOCKS5, user, pass, &t);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n_steps; i++) {
		out = proxy_hs_output(hs, &n);
		if (n != steps[i].req.n || memcmp(out, steps[i].req.p, n) != 0)
			return MISMATCH;
		proxy_hs_sent(hs, n);
		r = proxy_hs_feed(hs, steps[i].rep.p, steps[i].rep.n, &used);
		if (r != 0)
			return r;
	}
	return r;
}

static void test_udp_associate(void)
{
	/* RFC 1928 §7: CMD 03; DST 0.0.0.0:0 means "not known yet". */
	const struct step v4[] = {
		{GREET_NOAUTH, RAW(0x05, 0x00)},
		{RAW(0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0, 0),
		 RAW(0x05, 0x00, 0x00, 0x01, V4, 0x9c, 0x41)},
	};
	const struct step auth6[] = {
		{GREET_AUTH, RAW(0x05, 0x02)},
		{RAW(ALICE), RAW(0x01, 0x00)},
		{RAW(0x05, 0x03, 0x00, 0x04, V6, 0xd4, 0x31),
		 RAW(0x05, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04,
		     0x38)},
	};
	const struct step name[] = {
		{GREET_NOAUTH, RAW(0x05, 0x00)},
		{RAW(0x05, 0x03, 0x00, 0x01, V4, 0x00, 0x35),
		 RAW(0x05, 0x00, 0x00, 0x03, 0x04, 'r', 'e', 'l', 'y', 0x00, 0x07)},
	};
	const struct step refused[] = {
		{GREET_NOAUTH, RAW(0x05, 0x00)},
		{RAW(0x05, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0, 0), REP_V4(0x07)},
	};
	const uint8_t bnd4[4] = {V4}, zero16[16] = {0};
	struct proxy_target b, t;
	struct proxy_hs hs;

	is_int(run_udp(&hs, NULL, NULL, "0.0.0.0", 0, v4, 2), 1, "udp associate: v4 request bytes");
	is_int(proxy_hs_bound(&hs, &b), 0, "udp associate: BND parsed");
	ok(b.family == AF_INET && !memcmp(b.addr, bnd4, 4) && b.port == 40001,
	   "udp associate: BND 198.51.100.7:40001");

	is_int(run_udp(&hs, "alice", "secret", "2001:db8::1", 54321, auth6, 3), 1,
	       "udp associate: auth then v6 request bytes");
	is_int(proxy_hs_bound(&hs, &b), 0, "udp associate: v6 BND parsed");
	ok(b.family == AF_INET6 && !memcmp(b.addr, zero16, 16) && b.port == 1080,
	   "udp associate: BND [::]:1080 (unspecified: use the proxy's address)");

	is_int(run_udp(&hs, NULL, NULL, "198.51.100.7", 53, name, 2), 1,
	       "udp associate: reply with a name BND");
	is_int(proxy_hs_bound(&hs, &b), 0, "udp associate: name BND parsed");
	ok(b.family == 0 && !strcmp(b.name, "rely") && b.port == 7, "udp associate: BND rely:7");

	is_int(run_udp(&hs, NULL, NULL, "0.0.0.0", 0, refused, 2), -EOPNOTSUPP,
	       "udp associate: REP 7 refused");
	is_int(proxy_hs_bound(&hs, &b), -EINVAL, "udp associate: no BND after a refusal");

	proxy_target_set_host(&t, "0.0.0.0", 0);
	is_int(proxy_hs_init_udp(&hs, PROXY_HTTP, NULL, NULL, &t), -EOPNOTSUPP,
	       "udp associate: HTTP kind refused");
	is_int(proxy_hs_init_udp(&hs, PROXY_SOCKS4A, NULL, NULL, &t), -EOPNOTSUPP,
	       "udp associate: SOCKS4a kind refused");

	/* The same hs reused for CONNECT must send CMD 01 again. */
	is_int(run_udp(&hs, NULL, NULL, "0.0.0.0", 0, v4, 2), 1, "udp associate: again");
	proxy_target_set_host(&t, "198.51.100.7", 443);
	proxy_hs_init(&hs, PROXY_SOCKS5, NULL, NULL, &t);
	{
		const uint8_t *out;
		size_t n, used;
		const uint8_t want[] = {0x05, 0x01, 0x00, 0x01, V4, 0x01, 0xbb};

		proxy_hs_sent(&hs, 3);
		proxy_hs_feed(&hs, (const uint8_t[]){0x05, 0x00}, 2, &used);
		out = proxy_hs_output(&hs, &n);
		ok(n == sizeof(want) && !memcmp(out, want, n),
		   "connect after udp on the same hs: CMD 01");
	}
	proxy_target_set_host(&t, "198.51.100.7", 443);
	proxy_hs_init(&hs, PROXY_HTTP, NULL, NULL, &t);
	is_int(proxy_hs_bound(&hs, &b), -EINVAL, "bound: not for HTTP");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(socks5_ok) / sizeof(socks5_ok[0]); i++)
		check_scenario(&socks5_ok[i]);
	test_socks5_rep_codes();
	for (size_t i = 0; i < sizeof(socks4_ok) / sizeof(socks4_ok[0]); i++)
		check_scenario(&socks4_ok[i]);
	test_init_errors();
	test_targets();
	test_output_and_order();
	test_strerror();
	test_udp_associate();
	return tap_done();
}
