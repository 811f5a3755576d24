/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - Settings: the parsed and validated config file (README.md "Config").
 *
 * The parser takes one line at a time (libinih, with a line-counting reader so
 * every error names FILE:LINE), builds typed values, then validates the whole:
 * references and chains (no loops).  A config with any error yields no
 * Settings at all.
 */
#ifndef NETNSP_CONFIG_H
#define NETNSP_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proxy/proxy.h"
#include "util/parse.h"

#define CONF_NAME_MAX NAME_LEN_MAX /* profile / proxy name: name_valid() */
#define CONF_CHAIN_MAX 8	   /* hops in one chain, via included */
#define CONF_ERR_MAX 512

/*
 * isolate: which streams a SOCKS5 proxy is told apart by derived RFC 1929
 * credentials (src/proxy/isolate.h).  Unset, it is ISOLATE_PROFILE for
 * socks5, socks5h and tor proxies whose url carries no credentials, else none.
 */
enum isolate_mode { ISOLATE_NONE = 0, ISOLATE_PROFILE, ISOLATE_APP, ISOLATE_DESTINATION };
enum dns_mode { DNS_FAKE = 0, DNS_PROXY, DNS_OFF };

/* Bits of profile_conf.set: which keys the user wrote explicitly. */
#define PROF_SET_DNS (1u << 0)
#define PROF_SET_DNS_SERVER (1u << 1)
#define PROF_SET_IPV6 (1u << 2)
#define PROF_SET_UDP (1u << 3)
#define PROF_SET_SOCKS_PORT (1u << 4)
#define PROF_SET_HTTP_PORT (1u << 5)
#define PROF_SET_USERS (1u << 6)
#define PROF_SET_NETNS (1u << 7)
#define PROF_SET_FAKE4 (1u << 8)
#define PROF_SET_FAKE6 (1u << 9)
#define CONF_MAX_CONNS_MAX 1048576 /* max-connections: no fd limit goes higher */
#define CONF_WORKERS_MAX 64	   /* [daemon] workers */

/*
 * Fake-IP pools (dns = fake).  IPv4 defaults to 198.18.0.0/15 (RFC 2544's
 * benchmarking block, never routed on the Internet) in every subject: the
 * namespaces are separate, so the same range in each does not clash.  IPv6
 * defaults to a ULA /64 derived from the subject's id (src/state).
 */
#define CONF_FAKE4_DEFAULT_BASE UINT32_C(0xc6120000) /* 198.18.0.0, host order */
#define CONF_FAKE4_DEFAULT_PREFIX 15
#define CONF_FAKE4_PREFIX_MIN 8
#define CONF_FAKE4_PREFIX_MAX 30
#define CONF_FAKE6_PREFIX_MIN 64
#define CONF_FAKE6_PREFIX_MAX 126

struct proxy_conf {
	char *name; /* owned */
	enum proxy_kind kind;
	char *host;    /* owned: IPv4/IPv6 literal (no brackets) or DNS name; NULL for direct */
	uint16_t port; /* 0 for direct */
	char *user;    /* owned, percent-decoded, NULL if none */
	char *pass;    /* owned, percent-decoded, NULL if none */
	char *via;     /* owned: name of the proxy this one is reached through, or NULL */
	int via_idx;   /* index of @via in settings.proxies, -1 if none (set by validation) */
	enum isolate_mode isolate;
	char *netns; /* owned: egress namespace name, or NULL */
	/* owned: tor-config = FILE, more torrc lines for a managed tor (%include), or NULL */
	char *tor_config;
	/*
	 * owned: tor-control = /PATH (unix socket) or IP[:PORT] (default 9051): the
	 * control port of the Tor behind a socks5/socks5h url, for `netnsp newnym`; or NULL
	 */
	char *tor_control;
	char *tor_cookie; /* owned: tor-control-cookie = FILE (cookie authentication), or NULL */
	/* owned: i2p-config = FILE, more i2pd.conf lines for a managed i2pd (checked), or NULL */
	char *i2p_config;
	int i2p_config_line;
	/* fastopen = yes: the relay connects to this (first) hop with TCP Fast Open */
	bool fastopen;
	/* pipeline = yes: the SOCKS5 greeting, credentials and request go out at once */
	bool pipeline;
	int line; /* line of the [proxy NAME] header */
	/* Lines of the keys (0 if unset), so later checks can name FILE:LINE: KEY. */
	int url_line, via_line, isolate_line, netns_line, tor_config_line, tor_control_line,
		tor_cookie_line, fastopen_line, pipeline_line;
};

/*
 * route = PATTERN TARGET in a profile: ordered, the first match wins
 * (settings_route_match()).  PATTERN is a name ("example.com": that name
 * only), a suffix ("*.onion": any name below onion, not "onion" itself), or
 * an address range ("10.0.0.0/8", "2001:db8::/32"; a bare address is /32 or
 * /128).  Names match names only, ranges addresses only.  TARGET is a proxy
 * or "block".  "route = default P" is not kept here: it sets the profile's
 * via (see profile_conf.via).
 */
enum route_type { ROUTE_NAME = 0, ROUTE_SUFFIX, ROUTE_CIDR };
#define ROUTE_BLOCK (-1) /* route_conf.proxy_idx of "block" */

struct route_conf {
	char *pattern; /* owned, lower case: "*.onion", "example.com", "10.0.0.0/8" */
	char *proxy;   /* owned: proxy name, or "block" */
	int proxy_idx; /* index into settings.proxies, or ROUTE_BLOCK (set by validation) */
	enum route_type type;
	int family;	  /* ROUTE_CIDR: AF_INET or AF_INET6 */
	uint8_t addr[16]; /* ROUTE_CIDR: network order, host bits zero */
	unsigned prefix;  /* ROUTE_CIDR */
	int line;
};

struct profile_conf {
	char *name; /* owned */
	/*
	 * owned: proxy name of the chain for what no route matches; "route =
	 * default P" sets it too (both at once is an error).  NULL (via_idx -1)
	 * only in a profile with routes: then what no route matches is refused.
	 */
	char *via;
	int via_idx;	   /* index into settings.proxies, or -1 (set by validation) */
	char *netns;	   /* owned: namespace name; defaults to a copy of @name */
	enum dns_mode dns; /* default DNS_FAKE */
	/*
	 * dns-server: owned: "IP", "IPv4:port", "[IPv6]" or "[IPv6]:port"; NULL if unset.
	 * The upstream resolver, reached through the profile's chain.  Required for
	 * dns = proxy.  With dns = fake and no dns-server, queries other than A and
	 * AAAA are answered REFUSED (RFC 1035 §4.1.1 RCODE 5).
	 */
	char *dns_server;
	bool ipv6;	     /* default true */
	bool udp;	     /* default false */
	uint16_t socks_port; /* default 0 */
	uint16_t http_port;  /* default 0 */
	uint32_t max_conns;  /* max-connections, 1..CONF_MAX_CONNS_MAX; 0 = derived */
	char **users;	     /* owned array of owned strings: "alice", "@wheel", "1000" */
	size_t n_users;
	struct route_conf *routes; /* owned array, in file order, without "default" */
	size_t n_routes;
	char *route_default;	/* owned: the P of "route = default P", or NULL */
	int route_default_line; /* its line, 0 if none */
	/* fake-ipv4 = CIDR: prefix 8..30, host bits zero; prefix 0 = unset (the default). */
	struct in_addr fake4_base;
	unsigned fake4_prefix;
	/* fake-ipv6 = CIDR: prefix 64..126, host bits zero; prefix 0 = unset (per subject). */
	struct in6_addr fake6_base;
	unsigned fake6_prefix;
	unsigned set; /* PROF_SET_* */
	int line;     /* line of the [profile NAME] header */
	/* Lines of the keys (0 if unset), so later checks can name FILE:LINE: KEY. */
	int via_line, netns_line, dns_line, dns_server_line, udp_line, socks_port_line,
		http_port_line, fake4_line, fake6_line;
};

struct flatpak_conf {
	char *app_id;  /* owned */
	char *profile; /* owned */
	int line;
};

struct settings {
	char *path;		    /* owned: file name used in messages */
	struct proxy_conf *proxies; /* owned array */
	size_t n_proxies;
	struct profile_conf *profiles; /* owned array */
	size_t n_profiles;
	struct flatpak_conf *flatpaks; /* owned array */
	size_t n_flatpaks;
	unsigned workers; /* [daemon] workers: event loops serving TCP; 0 = auto (online CPUs) */
};

/**
 * settings_parse_buffer() - parse and validate Settings from memory.
 * @buf: the text (need not be NUL-terminated).
 * @len: its length.
 * @name: file name used in error messages.
 * @out: filled on success; must be released with settings_free().
 * @err: receives one line "NAME:LINE: key: reason" on failure.
 * @errlen: size of @err.
 *
 * Return: 0, or -EINVAL for a config error (with @err set), -ENOMEM.
 */
int settings_parse_buffer(const char *buf, size_t len, const char *name, struct settings *out,
			  char *err, size_t errlen);

/**
 * settings_parse_file() - read @path and parse it with settings_parse_buffer().
 * @path: config file.
 * @out: filled on success.
 * @err: "PATH: reason" or "PATH:LINE: key: reason".
 * @errlen: size of @err.
 *
 * Return: 0, -EINVAL for a config error, or the negative errno of open/read.
 */
int settings_parse_file(const char *path, struct settings *out, char *err, size_t errlen);

/**
 * settings_free() - release everything @s owns; accepts a zeroed struct.
 * @s: settings.
 */
void settings_free(struct settings *s);

/**
 * settings_find_profile() - look a profile up by name.
 * @s: settings.
 * @name: profile name.
 *
 * Return: the profile, or NULL.
 */
const struct profile_conf *settings_find_profile(const struct settings *s, const char *name);

/**
 * settings_chain() - the hops of a proxy chain, first hop first.
 * @s: validated settings.
 * @last: index of the proxy a profile names in `via`.
 * @hops: receives proxy indexes; hops[0] is reached directly, hops[n-1] is @last.
 * @max: size of @hops.
 *
 * Return: the number of hops, or -ELOOP / -E2BIG.
 */
int settings_chain(const struct settings *s, int last, int *hops, size_t max);

/**
 * settings_route_match() - the first of a profile's routes that matches a destination.
 * @routes: a validated profile's routes (profile_conf.routes).
 * @n: their number.
 * @family: AF_INET or AF_INET6 for an address, 0 for a name.
 * @addr: the address (network order) when @family is set.
 * @name: the name (any case, no trailing dot) when @family is 0.
 *
 * Return: the index into @routes, or -1 when none matches.
 */
int settings_route_match(const struct route_conf *routes, size_t n, int family, const void *addr,
			 const char *name);

/**
 * settings_name_special() - is @name under a suffix that must never reach a DNS
 * server, or a proxy other than its own route's (.onion, .i2p)?
 * @name: a DNS name, any case, no trailing dot.
 *
 * Return: true for "x.onion", "a.b.i2p"; false for "onion" itself and other names.
 */
bool settings_name_special(const char *name);

/**
 * settings_check_fake_pool() - whether a range may serve as a fake-IP pool.
 * @family: AF_INET or AF_INET6.
 * @base: struct in_addr or struct in6_addr, network order.
 * @prefix: prefix length: 8..30 for IPv4, 64..126 for IPv6.
 * @why: receives the reason on failure.
 * @n: size of @why.
 *
 * Host bits must be zero, and the range must not overlap netnsp's uplink
 * ranges (100.64.0.0/10, fd6e:7370::/32), "this network", loopback,
 * link-local, multicast or reserved space (RFC 6890): answers in those would
 * be routed elsewhere or refused by the kernel.
 *
 * Return: 0, or -EINVAL with @why set.
 */
int settings_check_fake_pool(int family, const void *base, unsigned prefix, char *why, size_t n);

/**
 * settings_dns_server_addr() - the dns-server of a profile as a socket address.
 * @p: a validated profile with dns_server set.
 * @ss: receives an AF_INET or AF_INET6 address; the port defaults to 53.
 * @len: receives its length.
 *
 * Return: 0, -ENOENT when the profile has no dns-server, -EINVAL if it does
 * not parse (never for validated settings).
 */
int settings_dns_server_addr(const struct profile_conf *p, struct sockaddr_storage *ss,
			     socklen_t *len);

/**
 * settings_parse_sockaddr() - "IP", "IPv4:port", "[IPv6]" or "[IPv6]:port" as a socket address.
 * @s: text that conf_check_dns_server() accepted (dns-server, tor-control).
 * @port: the port when @s names none.
 * @ss: receives an AF_INET or AF_INET6 address.
 * @len: receives its length.
 *
 * Return: 0 or -EINVAL.
 */
int settings_parse_sockaddr(const char *s, uint16_t port, struct sockaddr_storage *ss,
			    socklen_t *len);

/**
 * proxy_kind_name() - the URL scheme of @k ("socks5", "http", "direct", ...).
 * @k: kind.
 *
 * Return: a static string.
 */
const char *proxy_kind_name(enum proxy_kind k);

/**
 * conf_file_sig() - a fingerprint of the content of @path (tor-config, i2p-config).
 * @path: the file, or NULL / "" for none.
 *
 * Return: 0 for no file, 1 when it cannot be read, else a hash of its bytes
 * (config-transport.c): equal for equal content.
 */
uint64_t conf_file_sig(const char *path);

/**
 * conf_i2p_extra_load() - read an i2p-config file and check every line.
 * @path: the file.
 * @text: receives its malloc'd content (NUL-terminated) when it passes.
 * @len: receives its length.
 * @why: "PATH: line N: reason" (or "PATH: strerror") on failure.
 * @n: size of @why.
 *
 * Refused: a section or dotted top-level key of a listener or outproxy
 * (http, httpproxy, socksproxy, sam, bob, i2cp, i2pcontrol, upnp), a
 * top-level key netnsp sets, a line that is not "key = value" or "[section]".
 *
 * Return: 0, -EINVAL (a line refused) or the negative errno of reading it.
 */
int conf_i2p_extra_load(const char *path, char **text, size_t *len, char *why, size_t n);

#endif
