// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * parse.c - netnsp names and strict decimals (parse.h).
 */
#include <errno.h>
#include <string.h>

#include "util/parse.h"

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

bool name_valid(const char *s)
{
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	if (len == 0 || len > NAME_LEN_MAX || s[0] == '-' || s[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool over = false;

	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned int)(*s - '0');
		if (d > max || v > (max - d) / 10)
			over = true; /* keep reading: a later non-digit is still -EINVAL */
		else
			v = v * 10 + d;
	}
	if (over)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_uint_canon(const char *s, uint64_t max, uint64_t *out)
{
	if (s && s[0] == '0' && s[1])
		return -EINVAL;
	return parse_uint(s, max, out);
}
