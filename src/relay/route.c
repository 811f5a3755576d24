// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * route.c - which chain a destination takes: a profile's `route` lines,
 * matched against the name the app asked for (from the fake map or an
 * endpoint request) or the address it dialled (docs/DESIGN.md "Routes").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

void relay_routes_free(struct relay_subject *rs)
{
	for (size_t k = 0; k < rs->n_routes; k++) {
		free(rs->routes[k].pattern);
		relay_chain_free(&rs->route_chains[k]);
	}
	free(rs->routes);
	free(rs->route_chains);
	rs->routes = NULL;
	rs->route_chains = NULL;
	rs->n_routes = 0;
}

int relay_routes_build(const struct settings *s, const struct profile_conf *p,
		       struct relay_subject *rs, char *err, size_t errlen)
{
	int r;

	relay_routes_free(rs);
	if (p->n_routes == 0)
		return 0;
	rs->routes = calloc(p->n_routes, sizeof(*rs->routes));
	rs->route_chains = calloc(p->n_routes, sizeof(*rs->route_chains));
	if (!rs->routes || !rs->route_chains) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t k = 0; k < p->n_routes; k++) {
		rs->routes[k] = p->routes[k];
		rs->routes[k].proxy = NULL; /* only the pattern is kept */
		rs->routes[k].pattern = strdup(p->routes[k].pattern);
		rs->n_routes = k + 1;
		if (!rs->routes[k].pattern) {
			r = -ENOMEM;
			goto fail;
		}
		r = relay_chain_build(s, p->routes[k].proxy_idx, &rs->route_chains[k], err, errlen);
		if (r < 0)
			goto fail;
	}
	return 0;
fail:
	relay_routes_free(rs);
	return r;
}

/* The route line index for @t, or -1 (the default). */
static int route_index(const struct relay_subject *rs, const struct proxy_target *t)
{
	return settings_route_match(rs->routes, rs->n_routes, t->family, t->addr, t->name);
}

const struct relay_chain *relay_route(const struct relay_subject *rs, const struct proxy_target *t,
				      char *why, size_t len)
{
	int k = route_index(rs, t);

	if (k >= 0) {
		if (rs->route_chains[k].n_hops > 0)
			return &rs->route_chains[k];
		snprintf(why, len, "blocked (route '%s', line %d)", rs->routes[k].pattern,
			 rs->routes[k].line);
		return NULL;
	}
	if (!t->family && rs->n_routes > 0 && settings_name_special(t->name)) {
		snprintf(why, len, "no route names it (.onion and .i2p take only their own route)");
		return NULL;
	}
	if (rs->chain.n_hops == 0) {
		snprintf(why, len, "no route matches, and the profile has no default");
		return NULL;
	}
	return &rs->chain;
}

int relay_route_name(const struct relay_subject *rs, const char *name)
{
	struct proxy_target t = {0};
	char why[8];

	if (strlen(name) >= sizeof(t.name))
		return rs->n_routes > 0 ? -EACCES : 0;
	memcpy(t.name, name, strlen(name) + 1);
	if (!relay_route(rs, &t, why, sizeof(why)))
		return -EACCES;
	return route_index(rs, &t) >= 0 ? 1 : 0;
}

bool relay_subject_isolates_apps(const struct relay_subject *rs)
{
	if (relay_chain_isolates_apps(&rs->chain))
		return true;
	for (size_t k = 0; k < rs->n_routes; k++)
		if (relay_chain_isolates_apps(&rs->route_chains[k]))
			return true;
	return false;
}
