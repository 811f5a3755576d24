/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_fixture.h - what the Derivative unit tests share: settings made
 * from proxy and profile arrays, and a Derivative as plain JSON text.
 */
#ifndef NETNSP_TEST_STATE_FIXTURE_H
#define NETNSP_TEST_STATE_FIXTURE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "state/state.h"
#include "util/macro.h"

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

static inline char *xasprintf(const char *fmt, ...) _printf_(1, 2);
static inline char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return s;
}

/* @base with the first @from replaced by @to. */
static inline char *subst(const char *base, const char *from, const char *to)
{
	const char *at = strstr(base, from);

	if (!at)
		return NULL;
	return xasprintf("%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
}

static inline int count_kind(const struct derivative *d, enum subject_kind k)
{
	int n = 0;

	for (size_t i = 0; i < d->n_subjects; i++)
		n += d->subjects[i].kind == k;
	return n;
}

/* Subjects in state_subject_cmp() order, and derivative_find() finding every named one. */
static inline bool sorted_ok(const struct derivative *d)
{
	for (size_t i = 1; i < d->n_subjects; i++)
		if (state_subject_cmp(&d->subjects[i - 1], &d->subjects[i]) >= 0)
			return false;
	for (size_t i = 0; i < d->n_subjects; i++)
		if (d->subjects[i].kind == SUBJ_NAMED &&
		    derivative_find(d, d->subjects[i].name) != &d->subjects[i])
			return false;
	return true;
}

#endif
