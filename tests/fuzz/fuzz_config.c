/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target for the Settings parser: any bytes go
 * through settings_parse_buffer(), then, when they parse, through
 * settings_chain() for every proxy and settings_find_profile() for every profile.
 * Error texts must stay one NUL-terminated line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s = {0};
	char err[CONF_ERR_MAX];
	int hops[CONF_CHAIN_MAX];

	if (settings_parse_buffer((const char *)data, size, "fuzz.conf", &s, err, sizeof(err)) <
	    0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || strchr(err, '\n'))
			abort();
		return 0;
	}
	for (size_t i = 0; i < s.n_proxies; i++)
		if (settings_chain(&s, (int)i, hops, CONF_CHAIN_MAX) < 1)
			abort(); /* validated settings have no loops and no long chains */
	for (size_t i = 0; i < s.n_profiles; i++)
		if (settings_find_profile(&s, s.profiles[i].name) == NULL)
			abort();
	settings_free(&s);
	return 0;
}
