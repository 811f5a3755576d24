/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_socks5_server.c - libFuzzer target: the input is what an app sends to
 * the in-namespace SOCKS5 server.  Byte 0: bits 0-5 the chunk size (1..64),
 * bit 6 SOCKS5_SRV_USERPASS.  The rest is fed in chunks and again one byte at
 * a time; the outcome, the bytes consumed and the replies must not depend on
 * the cut, and an accepted request must be exactly what its target encodes.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "proxy/server.h"
#include "fuzz_check.h"

struct run {
	int r;
	size_t used;
	uint8_t out[4 * SOCKS5_SRV_OUT_MAX];
	size_t out_len;
};

static void run_one(struct socks5_srv *s, unsigned flags, const uint8_t *data, size_t size,
		    size_t chunk, struct run *res)
{
	size_t pos = 0, n, c, o;
	const uint8_t *out;

	socks5_srv_init(s, flags);
	res->r = 0;
	res->used = 0;
	res->out_len = 0;
	for (; res->r == 0 && pos < size; pos += n) {
		n = size - pos < chunk ? size - pos : chunk;
		res->r = socks5_srv_feed(s, data + pos, n, &c);
		FUZZ_CHECK(c <= n);
		FUZZ_CHECK(res->r != 0 || c == n);
		FUZZ_CHECK(s->in_len <= SOCKS5_SRV_IN_MAX);
		res->used += c;
		out = socks5_srv_output(s, &o);
		FUZZ_CHECK(o <= SOCKS5_SRV_OUT_MAX && res->out_len + o <= sizeof(res->out));
		memcpy(res->out + res->out_len, out, o);
		res->out_len += o;
		socks5_srv_sent(s, o);
	}
	FUZZ_CHECK(res->r <= 1);
}

/* The request is the last bytes consumed: 05 CMD RSV ATYP ADDR PORT. */
static void check_request(struct socks5_srv *s, const uint8_t *data, const struct run *res)
{
	uint8_t enc[SOCKS5_UDP_HDR_MAX + 8];
	int n;

	FUZZ_CHECK(s->cmd == SOCKS5_CMD_CONNECT || s->cmd == SOCKS5_CMD_UDP_ASSOCIATE);
	n = socks5_srv_build_reply(enc, sizeof(enc), 0, &s->target);
	FUZZ_CHECK(n > 3 && (size_t)n <= res->used);
	FUZZ_CHECK(memcmp(enc + 3, data + res->used - (size_t)n + 3, (size_t)n - 3) == 0);
	FUZZ_CHECK(data[res->used - (size_t)n] == 0x05);
	FUZZ_CHECK(socks5_srv_reply(s, -ECONNREFUSED, &s->target) == 0);
	FUZZ_CHECK(socks5_srv_reply(s, 0, NULL) == -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct socks5_srv s;
	static struct run a, b;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0] & 0x40 ? SOCKS5_SRV_USERPASS : 0;
	run_one(&s, flags, data + 1, size - 1, 1, &b);
	run_one(&s, flags, data + 1, size - 1, (size_t)(data[0] & 0x3f) + 1, &a);
	FUZZ_CHECK(a.r == b.r && a.used == b.used && a.out_len == b.out_len);
	FUZZ_CHECK(memcmp(a.out, b.out, a.out_len) == 0);
	if (a.r == 1)
		check_request(&s, data + 1, &a);
	return 0;
}
