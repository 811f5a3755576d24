/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-values.c - typed values of Settings: names, ports, booleans, users,
 * routes, DNS server addresses, Flatpak app ids.  Proxy URLs live in
 * config-url.c.  Every parser is strict: no atoi, no silent truncation.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-internal.h"
#include "dns/dns.h"

int conf_error(char *err, size_t errlen, const char *file, int line, const char *key,
	       const char *fmt, ...)
{
	va_list ap;
	int off;

	if (!err || errlen == 0)
		return -EINVAL;
	if (line > 0 && key)
		off = snprintf(err, errlen, "%s:%d: %s: ", file, line, key);
	else if (line > 0)
		off = snprintf(err, errlen, "%s:%d: ", file, line);
	else
		off = snprintf(err, errlen, "%s: ", file);
	if (off < 0 || (size_t)off >= errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + off, errlen - off, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int conf_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

bool conf_hostname_valid(const char *s)
{
	char low[CONF_HOST_MAX + 1];
	size_t len = strlen(s);

	if (len == 0 || len > CONF_HOST_MAX)
		return false;
	for (size_t i = 0; i <= len; i++)
		low[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
	/* The label grammar is the resolver's (dns_name_is_host())... */
	if (!dns_name_is_host(low))
		return false;
	/* ...plus RFC 1123 §2.1: a label written here neither starts nor ends with '-'. */
	for (size_t i = 0; i < len; i++)
		if (low[i] == '-' &&
		    (i == 0 || low[i - 1] == '.' || i + 1 == len || low[i + 1] == '.'))
			return false;
	return true;
}

int conf_parse_count(const char *s, unsigned long max, unsigned long *out)
{
	uint64_t v;

	if (parse_uint(s, max, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (unsigned long)v;
	return 0;
}

int conf_parse_port(const char *s, bool allow_zero, uint16_t *out)
{
	uint64_t v;

	if (parse_uint(s, 65535, &v) < 0 || (v == 0 && !allow_zero))
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"on", "yes", "true", "1"};
	static const char *const no[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* The @len bytes at @s are one address of family @af (inet_pton() syntax). */
static bool addr_valid(int af, const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN + 1];
	unsigned char addr[16];
	size_t max = af == AF_INET ? INET_ADDRSTRLEN : INET6_ADDRSTRLEN;

	if (len == 0 || len > max)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(af, buf, addr) == 1;
}

int conf_check_dns_server(const char *s, char *why, size_t n)
{
	const char *colon = strchr(s, ':');
	uint16_t port;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || !addr_valid(AF_INET6, s + 1, (size_t)(close - s - 1)))
			return conf_why(why, n, "bad IPv6 address in '%s'", s);
		if (close[1] == '\0')
			return 0;
		if (close[1] != ':' || conf_parse_port(close + 2, false, &port) < 0)
			return conf_why(why, n, "bad port in '%s' (want [IPv6]:1..65535)", s);
		return 0;
	}
	if (colon && strchr(colon + 1, ':')) {
		if (!addr_valid(AF_INET6, s, strlen(s)))
			return conf_why(why, n, "bad IPv6 address '%s'", s);
		return 0;
	}
	if (!addr_valid(AF_INET, s, colon ? (size_t)(colon - s) : strlen(s)))
		return conf_why(why, n, "bad address '%s' (want IP, IPv4:PORT or [IPv6]:PORT)", s);
	if (colon && conf_parse_port(colon + 1, false, &port) < 0)
		return conf_why(why, n, "bad port in '%s' (want 1..65535)", s);
	return 0;
}

/* A user or group name as useradd(8) accepts it, or a numeric id. */
static bool user_word_valid(const char *w)
{
	size_t len;
	uint64_t id;

	if (*w == '@')
		w++;
	len = strlen(w);
	if (len == 0 || len > CONF_USER_MAX)
		return false;
	if (isdigit((unsigned char)w[0]))
		return parse_uint(w, UINT32_MAX - 1, &id) == 0; /* (uid_t)-1 is never a user */
	if (!isalpha((unsigned char)w[0]) && w[0] != '_')
		return false;
	for (size_t i = 1; i < len; i++) {
		if (w[i] == '$' && i == len - 1)
			break;
		if (!isalnum((unsigned char)w[i]) && w[i] != '_' && w[i] != '.' && w[i] != '-')
			return false;
	}
	return true;
}

static int push_string(char ***arr, size_t *n, const char *s, size_t len)
{
	char **grown;
	char *copy = strndup(s, len);

	if (!copy)
		return -ENOMEM;
	grown = reallocarray(*arr, *n + 1, sizeof(**arr));
	if (!grown) {
		free(copy);
		return -ENOMEM;
	}
	grown[(*n)++] = copy;
	*arr = grown;
	return 0;
}

int conf_add_users(const char *s, struct profile_conf *p, char *why, size_t n)
{
	char word[CONF_USER_MAX + 3];

	while (*s) {
		size_t len = strcspn(s, " \t");

		if (len == 0) {
			s++;
			continue;
		}
		if (len >= sizeof(word))
			return conf_why(why, n, "user or group name too long (max %d)",
					CONF_USER_MAX);
		memcpy(word, s, len);
		word[len] = '\0';
		if (!user_word_valid(word))
			return conf_why(why, n, "bad user '%s' (want NAME, @GROUP or a number)",
					word);
		if (push_string(&p->users, &p->n_users, word, len) < 0)
			return -ENOMEM;
		s += len;
	}
	return 0;
}

bool conf_app_id_valid(const char *s)
{
	size_t len = strlen(s), elems = 1, start = 0;

	/* Flatpak: D-Bus name rules, at least three elements, 255 bytes at most. */
	if (len == 0 || len > CONF_APP_ID_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (i == start || isdigit((unsigned char)s[start]))
				return false;
			if (s[i] == '.')
				elems++;
			start = i + 1;
		} else if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-') {
			return false;
		}
	}
	return elems >= 3;
}
