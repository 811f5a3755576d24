/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_config.c - libFuzzer target for the Settings parser: any bytes go
 * through settings_parse_buffer(), then, when they parse, through
 * settings_chain() for every proxy and settings_find_profile() for every
 * profile.  The same bytes also go through the check of an i2p-config
 * file's content (conf_i2p_extra_check(), config-transport.c), which the
 * parser applies to the file a config names.  Error texts must stay one
 * NUL-terminated line.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-internal.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* i2p-config content: a refusal names its line ("line N: ...") on one line. */
static void fuzz_i2p_extra(const uint8_t *data, size_t size)
{
	char why[CONF_ERR_MAX];

	memset(why, 'x', sizeof(why));
	if (conf_i2p_extra_check((const char *)data, size, why, sizeof(why)) == 0)
		return;
	if (memchr(why, '\0', sizeof(why)) == NULL || strchr(why, '\n') ||
	    strncmp(why, "line ", 5) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s = {0};
	char err[CONF_ERR_MAX];
	int hops[CONF_CHAIN_MAX];

	fuzz_i2p_extra(data, size);
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
