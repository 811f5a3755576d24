/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-validate.c - checks that need the whole file: required keys,
 * references between sections, proxy chains (no loops, at most
 * CONF_CHAIN_MAX hops, 'direct' only as the last hop), unique namespaces,
 * dns = proxy only with a dns-server.
 *
 * A reference error names the line of the key that refers, not the line of
 * the section it fails to find.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config-internal.h"

static int proxy_index(const struct settings *s, const char *name)
{
	for (size_t i = 0; i < s->n_proxies; i++)
		if (strcmp(s->proxies[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool speaks_socks5(enum proxy_kind k)
{
	return k == PROXY_SOCKS5 || k == PROXY_SOCKS5H || k == PROXY_TOR;
}

/*
 * isolate: only where the proxy speaks SOCKS5 (RFC 1929 carries the derived
 * credentials), and never over credentials the user wrote: the proxy would
 * refuse the derived ones.  Unset, it defaults to profile wherever it can
 * apply (see enum isolate_mode).
 */
static int check_isolate(struct settings *s, struct proxy_conf *p, char *err, size_t errlen)
{
	if (!p->isolate_line) {
		p->isolate = speaks_socks5(p->kind) && !p->user ? ISOLATE_PROFILE : ISOLATE_NONE;
		return 0;
	}
	if (p->isolate == ISOLATE_NONE)
		return 0;
	if (!speaks_socks5(p->kind))
		return conf_error(err, errlen, s->path, p->isolate_line, "isolate",
				  "only a socks5, socks5h or tor proxy can isolate streams");
	if (p->user)
		return conf_error(err, errlen, s->path, p->isolate_line, "isolate",
				  "the url has credentials, which isolation would replace "
				  "(remove them or set isolate = none)");
	return 0;
}

static int check_proxy(struct settings *s, struct proxy_conf *p, char *err, size_t errlen)
{
	char label[CONF_NAME_MAX + 16];
	int r;

	snprintf(label, sizeof(label), "[proxy %s]", p->name);
	if (!p->url_line)
		return conf_error(err, errlen, s->path, p->line, label,
				  "missing required key 'url'");
	r = check_isolate(s, p, err, errlen);
	if (r < 0)
		return r;
	if (p->tor_config && p->kind != PROXY_TOR)
		return conf_error(err, errlen, s->path, p->tor_config_line, "tor-config",
				  "only for url = tor");
	r = conf_check_transport_keys(s, p, err, errlen);
	if (r < 0)
		return r;
	if (p->tor_control && p->kind != PROXY_SOCKS5 && p->kind != PROXY_SOCKS5H)
		return conf_error(err, errlen, s->path, p->tor_control_line, "tor-control",
				  "only for a socks5 or socks5h url (a managed tor has its own)");
	if (p->fastopen &&
	    (p->kind == PROXY_DIRECT || p->kind == PROXY_TOR || p->kind == PROXY_I2P))
		return conf_error(err, errlen, s->path, p->fastopen_line, "fastopen",
				  "only for a proxy netnsp connects to over TCP (socks5, socks5h, "
				  "socks4a, http)");
	if (p->fastopen && p->via)
		return conf_error(err, errlen, s->path, p->fastopen_line, "fastopen",
				  "a proxy reached through 'via' is connected to by the proxy "
				  "before it; set 'fastopen' on the first hop");
	if (p->pipeline && p->kind != PROXY_SOCKS5 && p->kind != PROXY_SOCKS5H)
		return conf_error(err, errlen, s->path, p->pipeline_line, "pipeline",
				  "only for a socks5 or socks5h url (the other handshakes are "
				  "one request already)");
	if (p->tor_cookie && !p->tor_control)
		return conf_error(err, errlen, s->path, p->tor_cookie_line, "tor-control-cookie",
				  "needs 'tor-control'");
	if (p->kind == PROXY_DIRECT && !p->netns)
		return conf_error(
			err, errlen, s->path, p->url_line, "url",
			"'direct' needs 'netns' (the namespace to connect from): netnsp "
			"never sends a subject's traffic out of its own namespace unproxied");
	if (p->netns && p->via && p->kind != PROXY_DIRECT)
		return conf_error(err, errlen, s->path, p->netns_line, "netns",
				  "a proxy reached through 'via' is not dialled from a namespace; "
				  "set 'netns' on the first hop");
	if (p->netns && (p->kind == PROXY_TOR || p->kind == PROXY_I2P))
		return conf_error(err, errlen, s->path, p->netns_line, "netns",
				  "a managed %s runs beside the daemon and takes no 'netns'",
				  proxy_kind_name(p->kind));
	if (!p->via)
		return 0;
	if (p->kind == PROXY_DIRECT)
		return conf_error(err, errlen, s->path, p->via_line, "via",
				  "a 'direct' proxy connects straight out and takes no 'via'");
	if (p->kind == PROXY_TOR || p->kind == PROXY_I2P)
		return conf_error(err, errlen, s->path, p->via_line, "via",
				  "a managed %s runs beside the daemon and takes no 'via'",
				  proxy_kind_name(p->kind));
	p->via_idx = proxy_index(s, p->via);
	if (p->via_idx < 0)
		return conf_error(err, errlen, s->path, p->via_line, "via", "unknown proxy '%s'",
				  p->via);
	if (s->proxies[p->via_idx].kind == PROXY_DIRECT)
		return conf_error(err, errlen, s->path, p->via_line, "via",
				  "proxy '%s' is 'direct' and can only be the last hop of a chain",
				  p->via);
	return 0;
}

/* Is proxy @i on the cycle that its via links run into? */
static bool on_cycle(const struct settings *s, int i)
{
	int cur = i;

	for (size_t k = 0; k < s->n_proxies && cur >= 0; k++)
		cur = s->proxies[cur].via_idx;
	for (size_t k = 0; k < s->n_proxies && cur >= 0; k++) {
		if (cur == i)
			return true;
		cur = s->proxies[cur].via_idx;
	}
	return false;
}

static int report_loop(const struct settings *s, int i, char *err, size_t errlen)
{
	char path[CONF_ERR_MAX / 2];
	size_t off = 0;
	int cur = i;

	do {
		off += (size_t)snprintf(path + off, sizeof(path) - off, "%s -> ",
					s->proxies[cur].name);
		cur = s->proxies[cur].via_idx;
	} while (cur != i && off < sizeof(path));
	if (off < sizeof(path))
		snprintf(path + off, sizeof(path) - off, "%s", s->proxies[i].name);
	return conf_error(err, errlen, s->path, s->proxies[i].via_line, "via",
			  "proxy chain loops: %s", path);
}

static int check_chains(const struct settings *s, char *err, size_t errlen)
{
	int hops[CONF_CHAIN_MAX];

	for (size_t i = 0; i < s->n_proxies; i++) {
		int r = settings_chain(s, (int)i, hops, CONF_CHAIN_MAX);

		if (r == -ELOOP && on_cycle(s, (int)i))
			return report_loop(s, (int)i, err, errlen);
		if (r == -E2BIG)
			return conf_error(err, errlen, s->path, s->proxies[i].via_line, "via",
					  "chain to proxy '%s' is longer than %d hops",
					  s->proxies[i].name, CONF_CHAIN_MAX);
	}
	return 0;
}

static int check_netns_unique(const struct settings *s, size_t i, char *err, size_t errlen)
{
	const struct profile_conf *p = &s->profiles[i];

	for (size_t j = 0; j < i; j++) {
		if (strcmp(s->profiles[j].netns, p->netns) != 0)
			continue;
		if (p->netns_line)
			return conf_error(err, errlen, s->path, p->netns_line, "netns",
					  "namespace '%s' is already used by profile '%s'",
					  p->netns, s->profiles[j].name);
		return conf_error(err, errlen, s->path, p->line, "netns",
				  "namespace '%s' (default: the profile name) is already used by "
				  "profile '%s'",
				  p->netns, s->profiles[j].name);
	}
	return 0;
}

static int check_profile(struct settings *s, size_t i, char *err, size_t errlen)
{
	struct profile_conf *p = &s->profiles[i];
	int r = conf_check_routes(s, p, err, errlen);

	if (r < 0)
		return r;
	p->via_idx = -1;
	if (!p->via && p->n_routes == 0)
		return conf_error(err, errlen, s->path, p->line, NULL,
				  "[profile %s]: missing required key 'via' (or 'route')", p->name);
	if (p->via && (p->via_idx = proxy_index(s, p->via)) < 0)
		return conf_error(err, errlen, s->path, p->via_line, "via", "unknown proxy '%s'",
				  p->via);
	/* dns = proxy forwards every query: it has nowhere to send them without a server. */
	if (p->dns == DNS_PROXY && !p->dns_server)
		return conf_error(err, errlen, s->path, p->dns_line, "dns",
				  "'proxy' needs 'dns-server' (the resolver to ask through the "
				  "proxy)");
	return check_netns_unique(s, i, err, errlen);
}

int conf_validate(struct settings *s, char *err, size_t errlen)
{
	int r;

	for (size_t i = 0; i < s->n_proxies; i++) {
		r = check_proxy(s, &s->proxies[i], err, errlen);
		if (r < 0)
			return r;
	}
	r = check_chains(s, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < s->n_profiles; i++) {
		r = check_profile(s, i, err, errlen);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->n_flatpaks; i++) {
		const struct flatpak_conf *f = &s->flatpaks[i];

		if (!settings_find_profile(s, f->profile))
			return conf_error(err, errlen, s->path, f->line, f->app_id,
					  "unknown profile '%s'", f->profile);
	}
	return 0;
}
