/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_socks5.c - libFuzzer target: the input is a socks5 proxy's reply
 * stream, fed to the client handshake (see fuzz_proxy.h for the layout).
 */
#include "fuzz_proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_proxy_one(PROXY_SOCKS5H, data, size, 0);
}
