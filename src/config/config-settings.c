/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-settings.c - parsed Settings: release, profile lookup, proxy chains and the
 * names of proxy kinds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-internal.h"

static void proxy_free(struct proxy_conf *p)
{
	free(p->name);
	free(p->host);
	free(p->user);
	free(p->pass);
	free(p->via);
	free(p->netns);
	free(p->tor_config);
	free(p->tor_control);
	free(p->tor_cookie);
}

static void profile_free(struct profile_conf *p)
{
	free(p->name);
	free(p->via);
	free(p->netns);
	free(p->dns_server);
	for (size_t i = 0; i < p->n_users; i++)
		free(p->users[i]);
	free(p->users);
	for (size_t i = 0; i < p->n_routes; i++) {
		free(p->routes[i].pattern);
		free(p->routes[i].proxy);
	}
	free(p->routes);
	free(p->route_default);
}

void settings_free(struct settings *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_proxies; i++)
		proxy_free(&s->proxies[i]);
	for (size_t i = 0; i < s->n_profiles; i++)
		profile_free(&s->profiles[i]);
	for (size_t i = 0; i < s->n_flatpaks; i++) {
		free(s->flatpaks[i].app_id);
		free(s->flatpaks[i].profile);
	}
	free(s->proxies);
	free(s->profiles);
	free(s->flatpaks);
	free(s->path);
	*s = (struct settings){0};
}

const struct profile_conf *settings_find_profile(const struct settings *s, const char *name)
{
	for (size_t i = 0; s && name && i < s->n_profiles; i++)
		if (strcmp(s->profiles[i].name, name) == 0)
			return &s->profiles[i];
	return NULL;
}

int settings_chain(const struct settings *s, int last, int *hops, size_t max)
{
	size_t n = 0;
	int cur;

	if (last < 0 || (size_t)last >= s->n_proxies)
		return -EINVAL;
	for (cur = last; cur >= 0; cur = s->proxies[cur].via_idx) {
		if ((size_t)cur >= s->n_proxies)
			return -EINVAL;
		if (n++ >= s->n_proxies)
			return -ELOOP; /* more hops than proxies: some proxy repeats */
	}
	if (n > max)
		return -E2BIG;
	cur = last;
	for (size_t i = n; i-- > 0; cur = s->proxies[cur].via_idx)
		hops[i] = cur;
	return (int)n;
}

const char *proxy_kind_name(enum proxy_kind k)
{
	static const char *const names[] = {
		[PROXY_SOCKS5] = "socks5", [PROXY_SOCKS5H] = "socks5h", [PROXY_SOCKS4A] = "socks4a",
		[PROXY_HTTP] = "http",	   [PROXY_DIRECT] = "direct",	[PROXY_TOR] = "tor",
		[PROXY_I2P] = "i2p",
	};

	if ((unsigned)k >= ARRAY_SIZE(names))
		return "unknown";
	return names[k];
}
