/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_http_server.c - libFuzzer target: the input is what an app sends to
 * the in-namespace HTTP proxy.  Byte 0: the chunk size (1..256).  The rest is
 * fed in chunks and again one byte at a time: outcome, bytes consumed and
 * rewritten head must not depend on the cut.  A rewritten head must be
 * well-formed: CRLF lines only, Host second, no Proxy-* field, and
 * "Connection: close" last.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "proxy/server.h"
#include "fuzz_check.h"

static int run_one(struct http_srv *h, const uint8_t *data, size_t size, size_t chunk, size_t *used)
{
	size_t pos = 0, n, c;
	int r = 0;

	http_srv_init(h);
	*used = 0;
	for (; r == 0 && pos < size; pos += n) {
		n = size - pos < chunk ? size - pos : chunk;
		r = http_srv_feed(h, data + pos, n, &c);
		FUZZ_CHECK(c <= n);
		FUZZ_CHECK(r != 0 || c == n);
		FUZZ_CHECK(h->in_len <= HTTP_SRV_HEAD_MAX);
		*used += c;
	}
	FUZZ_CHECK(r <= 1);
	return r;
}

/* Each line ends in CRLF and holds no other CR or LF; no field is a Proxy-* one. */
static void check_lines(const uint8_t *p, size_t n)
{
	size_t i = 0, start = 0, line = 0;

	for (; i < n; i++) {
		if (p[i] == '\r') {
			FUZZ_CHECK(i + 1 < n && p[i + 1] == '\n');
			/* Line 0 is the request line: a method may well be "proxy-x". */
			FUZZ_CHECK(line == 0 || i - start < 6 ||
				   strncasecmp((const char *)p + start, "proxy-", 6) != 0);
			FUZZ_CHECK(line != 1 || memcmp(p + start, "Host: ", 6) == 0);
			start = i + 2;
			line++;
			i++;
		} else {
			FUZZ_CHECK(p[i] != '\n');
		}
	}
}

static void check_rewrite(const struct http_srv *h)
{
	static const char tail[] = "\r\nConnection: close\r\n\r\n";
	size_t n, m = strlen(h->method);
	const uint8_t *p = http_srv_request(h, &n);

	if (h->connect) {
		FUZZ_CHECK(n == 0 && h->target.port != 0);
		return;
	}
	FUZZ_CHECK(n > sizeof(tail) && n <= HTTP_SRV_OUT_MAX);
	FUZZ_CHECK(memcmp(p + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1) == 0);
	FUZZ_CHECK(memcmp(p, h->method, m) == 0 && p[m] == ' ' && p[m + 1] == '/');
	check_lines(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_srv a, b;
	size_t ua, ub;
	int ra, rb;

	if (size < 1)
		return 0;
	ra = run_one(&a, data + 1, size - 1, (size_t)data[0] + 1, &ua);
	rb = run_one(&b, data + 1, size - 1, 1, &ub);
	FUZZ_CHECK(ra == rb && ua == ub);
	if (ra != 1)
		return 0;
	FUZZ_CHECK(a.connect == b.connect && a.out_len == b.out_len);
	FUZZ_CHECK(memcmp(a.out, b.out, a.out_len) == 0);
	check_rewrite(&a);
	return 0;
}
