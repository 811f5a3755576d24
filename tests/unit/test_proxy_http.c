/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_proxy_http.c - the HTTP CONNECT handshake (RFC 7230 §4.3.6) against
 * hand-written bytes (proxy_scenario.h), alone and behind SOCKS hops, and
 * headers larger than PROXY_IN_MAX.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy.h"
#include "proxy_scenario.h"

#define HTTP_REQ_NAME B("CONNECT example.com:8080 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n")
#define HTTP_REQ_V4 B("CONNECT 198.51.100.7:443 HTTP/1.1\r\nHost: 198.51.100.7:443\r\n\r\n")
#define HTTP_ERR(code, errno_, text)                                        \
	{                                                                   \
		"http " #code, PROXY_HTTP, NULL, NULL, "198.51.100.7", 443, \
			{{HTTP_REQ_V4, B(text)}}, errno_, 0, code           \
	}

static const struct scenario http_ok[] = {
	{"http 200, name",
	 PROXY_HTTP,
	 NULL,
	 NULL,
	 "example.com",
	 8080,
	 {{HTTP_REQ_NAME, B("HTTP/1.1 200 Connection established\r\n\r\nSSH-2.0-x\r\n")}},
	 1,
	 39,
	 200},
	{"http 200 with headers, Basic auth, IPv6",
	 PROXY_HTTP,
	 "Aladdin",
	 "open sesame",
	 "2001:db8::1",
	 80,
	 {{B("CONNECT [2001:db8::1]:80 HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n"
	     "Proxy-Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n\r\n"),
	   B("HTTP/1.0 200 OK\r\nProxy-Agent: test\r\nContent-Length: 5\r\n\r\n\r\n\r\n")}},
	 1,
	 57,
	 200},
	{"http bare LF, padding '='",
	 PROXY_HTTP,
	 "abc",
	 "d",
	 "198.51.100.7",
	 443,
	 {{B("CONNECT 198.51.100.7:443 HTTP/1.1\r\nHost: 198.51.100.7:443\r\n"
	     "Proxy-Authorization: Basic YWJjOmQ=\r\n\r\n"),
	   B("HTTP/1.1 204\nVia: x\n\n\n")}},
	 1,
	 21,
	 204},
	{"http padding '=='",
	 PROXY_HTTP,
	 "ab",
	 "c",
	 "198.51.100.7",
	 443,
	 {{B("CONNECT 198.51.100.7:443 HTTP/1.1\r\nHost: 198.51.100.7:443\r\n"
	     "Proxy-Authorization: Basic YWI6Yw==\r\n\r\n"),
	   B("HTTP/1.1 200 OK\r\n\r\n")}},
	 1,
	 19,
	 200},
	HTTP_ERR(407, -EACCES,
		 "HTTP/1.1 407 Proxy Authentication Required\r\n"
		 "Proxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 3\r\n\r\nabc"),
	HTTP_ERR(401, -EACCES, "HTTP/1.1 401 Unauthorized\r\n\r\n"),
	HTTP_ERR(403, -EACCES, "HTTP/1.1 403 Forbidden\r\n\r\n"),
	HTTP_ERR(404, -EHOSTUNREACH, "HTTP/1.1 404 Not Found\r\n\r\n"),
	HTTP_ERR(502, -ECONNREFUSED, "HTTP/1.1 502 Bad Gateway\r\nServer: t\r\n\r\n"),
	HTTP_ERR(503, -ECONNREFUSED, "HTTP/1.0 503 Service Unavailable\r\n\r\n"),
	HTTP_ERR(504, -ETIMEDOUT, "HTTP/1.1 504 Gateway Timeout\r\n\r\n"),
	HTTP_ERR(301, -EPROTO, "HTTP/1.1 301 Moved\r\n\r\n"),
	HTTP_ERR(100, -EPROTO, "HTTP/1.1 100 Continue\r\n\r\n"),
	{"http garbage",
	 PROXY_HTTP,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{HTTP_REQ_V4, B("SSH-2.0-OpenSSH_9.2\r\n\r\n")}},
	 -EPROTO,
	 0,
	 -1},
	{"http/2 status",
	 PROXY_HTTP,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{HTTP_REQ_V4, B("HTTP/2 200\r\n\r\n")}},
	 -EPROTO,
	 0,
	 -1},
	{"http 2-digit status",
	 PROXY_HTTP,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{HTTP_REQ_V4, B("HTTP/1.1 20 OK\r\n\r\n")}},
	 -EPROTO,
	 0,
	 -1},
	{"http status 600",
	 PROXY_HTTP,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{HTTP_REQ_V4, B("HTTP/1.1 600 Odd\r\n\r\n")}},
	 -EPROTO,
	 0,
	 -1},
	{"http no space after code",
	 PROXY_HTTP,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{HTTP_REQ_V4, B("HTTP/1.1 2000\r\n\r\n")}},
	 -EPROTO,
	 0,
	 -1},
	{"http incomplete headers",
	 PROXY_HTTP,
	 NULL,
	 NULL,
	 "198.51.100.7",
	 443,
	 {{HTTP_REQ_V4, B("HTTP/1.1 200 OK\r\nX: y\r\n")}},
	 0,
	 0,
	 200},
};

static void test_http_oversized(void)
{
	static uint8_t big[PROXY_IN_MAX + 100];
	struct proxy_target t;
	struct proxy_hs hs;
	size_t n, c, pos = 0;
	int r = 0;

	memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
	for (size_t i = 17; i + 2 < sizeof(big); i += 10)
		memcpy(big + i, "X-Pad: aa\n", i + 10 <= sizeof(big) ? 10 : sizeof(big) - i);
	proxy_target_set_host(&t, "198.51.100.7", 443);
	is_int(proxy_hs_init(&hs, PROXY_HTTP, NULL, NULL, &t), 0, "http oversized: init");
	proxy_hs_output(&hs, &n);
	proxy_hs_sent(&hs, n);
	r = proxy_hs_feed(&hs, big, sizeof(big), &c);
	is_int(r, -EPROTO, "http headers over PROXY_IN_MAX: -EPROTO at once");
	ok(c <= PROXY_IN_MAX, "http oversized: never took more than PROXY_IN_MAX (%zu)", c);

	proxy_hs_init(&hs, PROXY_HTTP, NULL, NULL, &t);
	proxy_hs_output(&hs, &n);
	proxy_hs_sent(&hs, n);
	for (r = 0; r == 0 && pos < sizeof(big); pos += 1000)
		r = proxy_hs_feed(&hs, big + pos,
				  sizeof(big) - pos < 1000 ? sizeof(big) - pos : 1000, &c);
	is_int(r, -EPROTO, "http oversized in 1000-byte pieces: -EPROTO");
	is_int(hs.state, HS_FAILED, "http oversized: state HS_FAILED");
}

int main(void)
{
	for (size_t i = 0; i < sizeof(http_ok) / sizeof(http_ok[0]); i++)
		check_scenario(&http_ok[i]);
	test_http_oversized();
	return tap_done();
}
