// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * config-route.c - `route = PATTERN TARGET` lines of a profile: parsing,
 * validation against the proxies, and the matcher the relay and the
 * resolver share (settings_route_match()).
 *
 * Rules (docs/DESIGN.md "Routes"): the first matching line wins; a name
 * pattern is "example.com" (that name) or "*.example.com" (any name below
 * it, not example.com itself); a range is ADDR/LEN or a bare address; names
 * never match ranges.  "route = default P" names the chain for the rest and
 * is the same as "via = P": writing both is an error, and so is a line
 * after it (it could never match).  A profile with routes and neither
 * refuses what no route matches.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config-internal.h"
#include "util/macro.h"
#include "util/parse.h"

static int route_parse_cidr(const char *pat, struct route_conf *rt, char *why, size_t n)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned max;
	int r;

	rt->type = ROUTE_CIDR;
	rt->family = strchr(pat, ':') ? AF_INET6 : AF_INET;
	max = rt->family == AF_INET ? 32 : 128;
	if (!strchr(pat, '/')) {
		snprintf(buf, sizeof(buf), "%.*s/%u", INET6_ADDRSTRLEN, pat, max);
		pat = buf;
	}
	r = conf_parse_cidr(rt->family, pat, rt->addr, &rt->prefix, why, n);
	if (r < 0)
		return r;
	if (rt->prefix > max)
		return conf_why(why, n, "prefix length %u is longer than %u", rt->prefix, max);
	for (unsigned bit = rt->prefix; bit < max; bit++)
		if (rt->addr[bit / 8] & (0x80u >> (bit % 8)))
			return conf_why(why, n, "'%s' has host bits set", pat);
	return 0;
}

static bool looks_like_address(const char *pat)
{
	/* A name label may be all digits, but no name has ':' or '/'. */
	if (strchr(pat, ':') || strchr(pat, '/'))
		return true;
	for (const char *c = pat; *c; c++)
		if (!isdigit((unsigned char)*c) && *c != '.')
			return false;
	return true;
}

static int route_parse_pattern(char *pat, struct route_conf *rt, char *why, size_t n)
{
	if (looks_like_address(pat))
		return route_parse_cidr(pat, rt, why, n);
	rt->type = ROUTE_NAME;
	if (strncmp(pat, "*.", 2) == 0)
		rt->type = ROUTE_SUFFIX;
	if (!conf_hostname_valid(pat + (rt->type == ROUTE_SUFFIX ? 2 : 0)))
		return conf_why(why, n,
				"bad pattern '%s' (want NAME, *.NAME, ADDRESS/LENGTH or default)",
				pat);
	for (char *c = pat; *c; c++) /* RFC 4343: names compare case-insensitively */
		*c = (char)tolower((unsigned char)*c);
	return 0;
}

int conf_add_route(const char *s, int line, struct profile_conf *p, char *why, size_t n)
{
	_cleanup_free_ char *pat = NULL;
	_cleanup_free_ char *target = NULL;
	struct route_conf rt = {.proxy_idx = -1, .line = line}, *grown;
	char extra;
	int r;

	/* %ms allocates; %c catches a third word. */
	if (sscanf(s, "%ms %ms %c", &pat, &target, &extra) != 2)
		return conf_why(why, n, "want 'PATTERN PROXY', e.g. '*.onion tor'");
	if (strcmp(target, "block") != 0 && !name_valid(target))
		return conf_why(why, n, "bad proxy name '%s'", target);
	if (p->route_default)
		return conf_why(why, n, "follows 'route = default' (line %d), so it never matches",
				p->route_default_line);
	if (strcmp(pat, "default") == 0) {
		p->route_default = TAKE_PTR(target);
		p->route_default_line = line;
		return 0;
	}
	r = route_parse_pattern(pat, &rt, why, n);
	if (r < 0)
		return r;
	grown = reallocarray(p->routes, p->n_routes + 1, sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	p->routes = grown;
	rt.pattern = TAKE_PTR(pat);
	rt.proxy = TAKE_PTR(target);
	grown[p->n_routes++] = rt;
	return 0;
}

static int proxy_lookup(const struct settings *s, const char *name)
{
	for (size_t i = 0; i < s->n_proxies; i++)
		if (strcmp(s->proxies[i].name, name) == 0)
			return (int)i;
	return -1;
}

int conf_check_routes(const struct settings *s, struct profile_conf *p, char *err, size_t errlen)
{
	for (size_t k = 0; k < p->n_routes; k++) {
		struct route_conf *rt = &p->routes[k];

		if (strcmp(rt->proxy, "block") == 0) {
			rt->proxy_idx = ROUTE_BLOCK;
			continue;
		}
		rt->proxy_idx = proxy_lookup(s, rt->proxy);
		if (rt->proxy_idx < 0)
			return conf_error(err, errlen, s->path, rt->line, "route",
					  "unknown proxy '%s'", rt->proxy);
	}
	if (!p->route_default)
		return 0;
	if (p->via)
		return conf_error(err, errlen, s->path, p->route_default_line, "route",
				  "'route = default' and 'via' (line %d) both name the chain for "
				  "the rest: keep one",
				  p->via_line);
	if (strcmp(p->route_default, "block") == 0)
		return 0; /* the same as no default: the rest is refused */
	if (proxy_lookup(s, p->route_default) < 0)
		return conf_error(err, errlen, s->path, p->route_default_line, "route",
				  "unknown proxy '%s'", p->route_default);
	p->via = strdup(p->route_default);
	if (!p->via)
		return -ENOMEM;
	p->via_line = p->route_default_line;
	return 0;
}

static bool cidr_match(const struct route_conf *rt, int family, const uint8_t *a)
{
	unsigned full = rt->prefix / 8, rest = rt->prefix % 8;

	if (rt->family != family || memcmp(rt->addr, a, full) != 0)
		return false;
	return !rest || ((rt->addr[full] ^ a[full]) & (0xff00u >> rest)) == 0;
}

/* Does @name (any case) end in ".SUFFIX", with at least one label before it? */
static bool name_below(const char *name, const char *suffix)
{
	size_t nl = strlen(name), sl = strlen(suffix);

	return nl > sl + 1 && name[nl - sl - 1] == '.' && strcasecmp(name + nl - sl, suffix) == 0;
}

int settings_route_match(const struct route_conf *routes, size_t n, int family, const void *addr,
			 const char *name)
{
	for (size_t k = 0; k < n; k++) {
		const struct route_conf *rt = &routes[k];

		switch (rt->type) {
		case ROUTE_CIDR:
			if (family && cidr_match(rt, family, addr))
				return (int)k;
			break;
		case ROUTE_NAME:
			if (!family && strcasecmp(name, rt->pattern) == 0)
				return (int)k;
			break;
		case ROUTE_SUFFIX:
			if (!family && name_below(name, rt->pattern + 2))
				return (int)k;
			break;
		}
	}
	return -1;
}

bool settings_name_special(const char *name)
{
	return name_below(name, "onion") || name_below(name, "i2p");
}
