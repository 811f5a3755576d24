/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-keys.c - the keys of [proxy] and [profile] sections: one setter each, and the
 * tables config.c looks a key up in (its name, whether it may repeat, where its line
 * is recorded, which PROF_SET_* bit it sets).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-internal.h"
#include "util/parse.h"

static int set_name(char **dst, const char *value, char *why, size_t n)
{
	char *copy;

	if (!name_valid(value))
		return conf_why(
			why, n,
			"bad name '%s' (1..%d of A-Z a-z 0-9 _ . -, not starting with - or .)",
			value, CONF_NAME_MAX);
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

static int set_enum(int *dst, const char *value, const char *const *names, size_t count,
		    const char *want, char *why, size_t n)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(value, names[i]) == 0) {
			*dst = (int)i;
			return 0;
		}
	}
	return conf_why(why, n, "bad value '%s' (want %s)", value, want);
}

static int proxy_url(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return conf_parse_url(v, obj, why, n);
}

static int proxy_via(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return set_name(&((struct proxy_conf *)obj)->via, v, why, n);
}

static int proxy_netns(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return set_name(&((struct proxy_conf *)obj)->netns, v, why, n);
}

static int proxy_isolate(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	static const char *const names[] = {"none", "profile", "app", "destination"};
	int mode = 0, r = set_enum(&mode, v, names, ARRAY_SIZE(names),
				   "none, profile, app or destination", why, n);

	if (r == 0)
		((struct proxy_conf *)obj)->isolate = (enum isolate_mode)mode;
	return r;
}

static int proxy_tor_config(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	struct proxy_conf *p = obj;

	if (v[0] != '/')
		return conf_why(why, n, "want an absolute path to a file of torrc lines");
	p->tor_config = strdup(v);
	return p->tor_config ? 0 : -ENOMEM;
}

static int proxy_tor_control(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	struct proxy_conf *p = obj;

	if (v[0] != '/' && conf_check_dns_server(v, why, n) < 0)
		return conf_why(why, n, "want /PATH of a unix socket, IP, IP:PORT or [IPv6]:PORT");
	p->tor_control = strdup(v);
	return p->tor_control ? 0 : -ENOMEM;
}

static int proxy_tor_cookie(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	struct proxy_conf *p = obj;

	if (v[0] != '/')
		return conf_why(why, n, "want an absolute path to tor's control_auth_cookie");
	p->tor_cookie = strdup(v);
	return p->tor_cookie ? 0 : -ENOMEM;
}

static int proxy_fastopen(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	if (conf_parse_bool(v, &((struct proxy_conf *)obj)->fastopen) < 0)
		return conf_why(why, n, "bad value '%s' (want yes or no)", v);
	return 0;
}

static int proxy_pipeline(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	if (conf_parse_bool(v, &((struct proxy_conf *)obj)->pipeline) < 0)
		return conf_why(why, n, "bad value '%s' (want yes or no)", v);
	return 0;
}

static int prof_via(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return set_name(&((struct profile_conf *)obj)->via, v, why, n);
}

static int prof_netns(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return set_name(&((struct profile_conf *)obj)->netns, v, why, n);
}

static int prof_dns(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	static const char *const names[] = {"fake", "proxy", "off"};
	int mode = 0,
	    r = set_enum(&mode, v, names, ARRAY_SIZE(names), "fake, proxy or off", why, n);

	if (r == 0)
		((struct profile_conf *)obj)->dns = (enum dns_mode)mode;
	return r;
}

static int prof_dns_server(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	struct profile_conf *p = obj;
	int r = conf_check_dns_server(v, why, n);

	if (r < 0)
		return r;
	p->dns_server = strdup(v);
	return p->dns_server ? 0 : -ENOMEM;
}

static int prof_bool(bool *dst, const char *v, char *why, size_t n)
{
	if (conf_parse_bool(v, dst) < 0)
		return conf_why(why, n, "bad value '%s' (want on or off)", v);
	return 0;
}

static int prof_ipv6(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return prof_bool(&((struct profile_conf *)obj)->ipv6, v, why, n);
}

static int prof_udp(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return prof_bool(&((struct profile_conf *)obj)->udp, v, why, n);
}

static int prof_port(uint16_t *dst, const char *v, char *why, size_t n)
{
	if (conf_parse_port(v, true, dst) < 0)
		return conf_why(why, n, "bad port '%s' (want 0..65535, 0 = none)", v);
	return 0;
}

static int prof_socks_port(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return prof_port(&((struct profile_conf *)obj)->socks_port, v, why, n);
}

static int prof_http_port(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return prof_port(&((struct profile_conf *)obj)->http_port, v, why, n);
}

static int prof_max_conns(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	unsigned long c;

	if (conf_parse_count(v, CONF_MAX_CONNS_MAX, &c) < 0)
		return conf_why(why, n, "bad count '%s' (want 1..%d)", v, CONF_MAX_CONNS_MAX);
	((struct profile_conf *)obj)->max_conns = (uint32_t)c;
	return 0;
}

static int prof_fake4(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	struct profile_conf *p = obj;

	return conf_parse_fake_pool(AF_INET, v, &p->fake4_base, &p->fake4_prefix, why, n);
}

static int prof_fake6(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	struct profile_conf *p = obj;

	return conf_parse_fake_pool(AF_INET6, v, &p->fake6_base, &p->fake6_prefix, why, n);
}

static int prof_users(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return conf_add_users(v, obj, why, n);
}

static int prof_route(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	return conf_add_route(v, ps->line, obj, why, n);
}

static int daemon_workers(struct parser *ps, void *obj, const char *v, char *why, size_t n)
{
	unsigned long c;

	if (strcmp(v, "auto") == 0) {
		((struct settings *)obj)->workers = 0;
		return 0;
	}
	if (conf_parse_count(v, CONF_WORKERS_MAX, &c) < 0)
		return conf_why(why, n, "bad count '%s' (want 1..%d or auto)", v, CONF_WORKERS_MAX);
	((struct settings *)obj)->workers = (unsigned)c;
	return 0;
}

#define PX_LINE(f) offsetof(struct proxy_conf, f)
#define PF_LINE(f) offsetof(struct profile_conf, f)

const struct key_def conf_proxy_keys[] = {
	{"url", false, proxy_url, PX_LINE(url_line), 0},
	{"via", false, proxy_via, PX_LINE(via_line), 0},
	{"isolate", false, proxy_isolate, PX_LINE(isolate_line), 0},
	{"netns", false, proxy_netns, PX_LINE(netns_line), 0},
	{"tor-config", false, proxy_tor_config, PX_LINE(tor_config_line), 0},
	{"i2p-config", false, conf_proxy_i2p_config, PX_LINE(i2p_config_line), 0},
	{"tor-control", false, proxy_tor_control, PX_LINE(tor_control_line), 0},
	{"tor-control-cookie", false, proxy_tor_cookie, PX_LINE(tor_cookie_line), 0},
	{"fastopen", false, proxy_fastopen, PX_LINE(fastopen_line), 0},
	{"pipeline", false, proxy_pipeline, PX_LINE(pipeline_line), 0},
	{NULL, false, NULL, -1, 0},
};

const struct key_def conf_profile_keys[] = {
	{"via", false, prof_via, PF_LINE(via_line), 0},
	{"netns", false, prof_netns, PF_LINE(netns_line), PROF_SET_NETNS},
	{"dns", false, prof_dns, PF_LINE(dns_line), PROF_SET_DNS},
	{"dns-server", false, prof_dns_server, PF_LINE(dns_server_line), PROF_SET_DNS_SERVER},
	{"ipv6", false, prof_ipv6, -1, PROF_SET_IPV6},
	{"udp", false, prof_udp, PF_LINE(udp_line), PROF_SET_UDP},
	{"socks-port", false, prof_socks_port, PF_LINE(socks_port_line), PROF_SET_SOCKS_PORT},
	{"http-port", false, prof_http_port, PF_LINE(http_port_line), PROF_SET_HTTP_PORT},
	{"fake-ipv4", false, prof_fake4, PF_LINE(fake4_line), PROF_SET_FAKE4},
	{"fake-ipv6", false, prof_fake6, PF_LINE(fake6_line), PROF_SET_FAKE6},
	{"users", true, prof_users, -1, PROF_SET_USERS},
	{"route", true, prof_route, -1, 0},
	{"max-connections", false, prof_max_conns, -1, 0},
	{NULL, false, NULL, -1, 0},
};

const struct key_def conf_daemon_keys[] = {
	{"workers", false, daemon_workers, -1, 0},
	{NULL, false, NULL, -1, 0},
};
