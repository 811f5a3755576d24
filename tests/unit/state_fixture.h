/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_fixture.h - what the Derivative unit tests share: settings made
 * from proxy and profile arrays, and a Derivative as plain JSON text.
 */
#ifndef NETNSP_TEST_STATE_FIXTURE_H
#define NETNSP_TEST_STATE_FIXTURE_H

#include <stddef.h>

#include "state/state.h"

static inline struct settings settings_of(struct proxy_conf *px, size_t n_px,
					  struct profile_conf *p, size_t n)
{
	return (struct settings){.path = "test.conf",
				 .proxies = px,
				 .n_proxies = n_px,
				 .profiles = p,
				 .n_profiles = n};
}

/* The Derivative as derivative_to_json() writes it (plain), or NULL; free() it. */
static inline char *to_json(const struct derivative *d)
{
	char *s = NULL;

	return derivative_to_json(d, STATE_JSON_PLAIN, &s) < 0 ? NULL : s;
}

#endif
