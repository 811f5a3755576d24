/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_socks5_udp.c - libFuzzer target: the input is a datagram from a
 * SOCKS5 UDP relay.  What decodes must encode back to the same bytes (RSV
 * aside, which we ignore on input and send as zero).
 */
#include <stdint.h>
#include <string.h>

#include "proxy/server.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t enc[SOCKS5_UDP_HDR_MAX + 65536];
	struct proxy_target t;
	const uint8_t *payload;
	size_t plen;
	int n;

	if (size > 65535 + SOCKS5_UDP_HDR_MAX)
		return 0;
	if (socks5_udp_decode(data, size, &t, &payload, &plen) < 0)
		return 0;
	FUZZ_CHECK(payload >= data + 8 && payload + plen == data + size);
	FUZZ_CHECK(data[2] == 0);
	n = socks5_udp_encode(&t, payload, plen, enc, sizeof(enc));
	if (plen > 65535) {
		FUZZ_CHECK(n < 0);
		return 0;
	}
	FUZZ_CHECK(n >= 0 && (size_t)n == size);
	FUZZ_CHECK(enc[0] == 0 && enc[1] == 0);
	FUZZ_CHECK(memcmp(enc + 2, data + 2, size - 2) == 0);
	return 0;
}
