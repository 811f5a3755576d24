/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_socks4.c - libFuzzer target: the input is a socks4 proxy's reply
 * stream, fed to the client handshake (see fuzz_proxy.h for the layout).
 */
#include "fuzz_proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_proxy_one(PROXY_SOCKS4A, data, size, 1);
}
