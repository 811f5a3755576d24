/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_proxy.h - shared driver of the proxy handshake fuzzers: the fuzz
 * input is the proxy's side of the conversation.
 *
 * Byte 0 picks the options: bits 0-5 the chunk size (1..64) the reply
 * stream is cut into, bit 6 whether credentials are given, bit 7 together
 * with byte 1 the target (IPv4, IPv6 or a name); bit 7 of that selector
 * (byte 1 plus bit 7 of byte 0) makes a SOCKS5 handshake pipelined
 * (proxy_hs_pipeline()).  The rest is what the
 * proxy "sends".  Invariants are checked with __builtin_trap().
 */
#ifndef NETNSP_FUZZ_PROXY_H
#define NETNSP_FUZZ_PROXY_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proxy/proxy.h"
#include "fuzz_check.h"

static void fuzz_proxy_target(struct proxy_target *t, uint8_t sel)
{
	switch (sel % 3) {
	case 0:
		FUZZ_CHECK(proxy_target_set_host(t, "198.51.100.7", 443) == 0);
		break;
	case 1:
		FUZZ_CHECK(proxy_target_set_host(t, "2001:db8::1", 80) == 0);
		break;
	default:
		FUZZ_CHECK(proxy_target_set_host(t, "example.com", 8080) == 0);
		break;
	}
}

/*
 * Run one handshake over @data cut into @chunk-byte pieces, sending every
 * request as soon as it appears.  Returns the result; *total gets the bytes
 * consumed.
 */
static int fuzz_proxy_run(enum proxy_kind kind, uint8_t opts, uint8_t tsel, const uint8_t *data,
			  size_t size, size_t chunk, size_t *total)
{
	struct proxy_target t;
	struct proxy_hs hs;
	size_t n, c, pos = 0;
	int r;

	fuzz_proxy_target(&t, tsel);
	r = proxy_hs_init(&hs, kind, opts & 0x40 ? "user" : NULL, opts & 0x40 ? "pass" : NULL, &t);
	if (r < 0)
		return r;
	if ((tsel & 0x80) && (kind == PROXY_SOCKS5 || kind == PROXY_SOCKS5H))
		FUZZ_CHECK(proxy_hs_pipeline(&hs) == 0);
	*total = 0;
	for (r = 0; r == 0 && pos < size; pos += n) {
		proxy_hs_output(&hs, &n);
		FUZZ_CHECK(n <= PROXY_OUT_MAX);
		proxy_hs_sent(&hs, n);
		n = size - pos < chunk ? size - pos : chunk;
		r = proxy_hs_feed(&hs, data + pos, n, &c);
		FUZZ_CHECK(c <= n);
		FUZZ_CHECK(r != 0 || c == n);
		/* Pipelined, the replies never make a new request. */
		FUZZ_CHECK(!hs.pipelined || r != 0 || (proxy_hs_output(&hs, &n), n == 0));
		FUZZ_CHECK(hs.in_len <= PROXY_IN_MAX);
		*total += c;
	}
	FUZZ_CHECK(r <= 1);
	FUZZ_CHECK(r != 1 || hs.state == HS_DONE);
	FUZZ_CHECK(r >= 0 || hs.state == HS_FAILED);
	FUZZ_CHECK(proxy_strerror(&hs, r) != NULL);
	return r;
}

/*
 * One fuzz input: run it cut as byte 0 says, and for single-reply protocols
 * (@one_reply) check that the result and the bytes consumed do not depend
 * on how the stream was cut.
 */
static int fuzz_proxy_one(enum proxy_kind kind, const uint8_t *data, size_t size, int one_reply)
{
	size_t chunk, total = 0, total1 = 0;
	int r, r1;

	if (size < 2)
		return 0;
	chunk = (size_t)(data[0] & 0x3f) + 1;
	r = fuzz_proxy_run(kind, data[0], (uint8_t)(data[1] + (data[0] >> 7)), data + 2, size - 2,
			   chunk, &total);
	if (!one_reply)
		return 0;
	r1 = fuzz_proxy_run(kind, data[0], (uint8_t)(data[1] + (data[0] >> 7)), data + 2, size - 2,
			    1, &total1);
	FUZZ_CHECK(r == r1);
	FUZZ_CHECK(r != 1 || total == total1);
	return 0;
}

#endif
