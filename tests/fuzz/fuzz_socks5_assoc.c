/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_socks5_assoc.c - libFuzzer target: the input is a SOCKS5 proxy's
 * answer to a UDP ASSOCIATE handshake (RFC 1928 §7), fed to the client in
 * chunks; when the association is granted, its BND.ADDR/BND.PORT are parsed.
 *
 * Byte 0: bits 0-5 the chunk size (1..64), bit 6 whether credentials are
 * given, bit 7 whether every request is sent at once (proxy_hs_pipeline()).
 * The rest is what the proxy "sends".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/proxy.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_assoc_check_bound(const struct proxy_hs *hs)
{
	struct proxy_target b;

	int r = proxy_hs_bound(hs, &b);

	/* The handshake takes any reply; an empty or NUL-holding name BND is refused here. */
	FUZZ_CHECK(r == 0 || (r == -EINVAL && hs->in[3] == 0x03));
	if (r < 0)
		return;
	FUZZ_CHECK(b.family == AF_INET || b.family == AF_INET6 || b.family == 0);
	if (b.family == 0)
		FUZZ_CHECK(b.name[0] != '\0' && strlen(b.name) <= PROXY_NAME_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool creds = size > 0 && (data[0] & 0x40);
	struct proxy_target from;
	struct proxy_hs hs;
	size_t chunk, n, c, pos = 1;
	int r = 0;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] & 0x3f) + 1;
	FUZZ_CHECK(proxy_target_set_host(&from, "0.0.0.0", 0) == 0);
	FUZZ_CHECK(proxy_hs_init_udp(&hs, PROXY_SOCKS5, creds ? "user" : NULL,
				     creds ? "pass" : NULL, &from) == 0);
	if (data[0] & 0x80)
		FUZZ_CHECK(proxy_hs_pipeline(&hs) == 0);
	for (; r == 0 && pos < size; pos += n) {
		proxy_hs_output(&hs, &n);
		proxy_hs_sent(&hs, n);
		n = size - pos < chunk ? size - pos : chunk;
		r = proxy_hs_feed(&hs, data + pos, n, &c);
		FUZZ_CHECK(c <= n);
	}
	if (r == 1)
		fuzz_assoc_check_bound(&hs);
	else
		FUZZ_CHECK(proxy_hs_bound(&hs, &(struct proxy_target){0}) == -EINVAL);
	return 0;
}
