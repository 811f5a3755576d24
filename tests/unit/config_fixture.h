/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config_fixture.h - what the Settings unit tests share: a parse of a text as
 * "t.conf" with its error in err, and the smallest proxy (P) and profile (W).
 */
#ifndef NETNSP_TEST_CONFIG_FIXTURE_H
#define NETNSP_TEST_CONFIG_FIXTURE_H

#include <string.h>

#include "config/config.h"

static char err[CONF_ERR_MAX];

static inline int parse(const char *text, struct settings *s)
{
	memset(s, 0, sizeof(*s));
	return settings_parse_buffer(text, strlen(text), "t.conf", s, err, sizeof(err));
}

#define P "[proxy p]\nurl = socks5://127.0.0.1\n"
#define W "[profile w]\nvia = p\n"

#endif
