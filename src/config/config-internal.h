/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-internal.h - helpers shared by the files of src/config/ only.
 *
 * Value parsers take one value string and either fill a typed field or
 * return -EINVAL with a short reason in @why ("bad port '0'"); the caller
 * prefixes "FILE:LINE: key: ".
 */
#ifndef NETNSP_CONFIG_INTERNAL_H
#define NETNSP_CONFIG_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/macro.h"
#include "config/config.h"

#define CONF_LINE_MAX 4096 /* bytes in one line, newline excluded */
#define CONF_FILE_MAX (1u << 20)
#define CONF_HOST_MAX 253 /* RFC 1035 §2.3.4: 255 octets on the wire = 253 characters */
#define CONF_CRED_MAX 255 /* RFC 1929 §2: ULEN / PLEN are one octet */
#define CONF_APP_ID_MAX 255
#define CONF_USER_MAX 32
#define DEFAULT_PORT_SOCKS 1080
#define DEFAULT_PORT_HTTP 8080

/**
 * conf_error() - write "FILE:LINE: KEY: reason" (or without LINE when @line is 0).
 * @err: destination, may be NULL.
 * @errlen: size of @err.
 * @file: file name.
 * @line: line number, 0 for none.
 * @key: key or "[section name]", NULL for none.
 * @fmt: printf format of the reason.
 *
 * Return: -EINVAL, so callers can `return conf_error(...)`.
 */
int conf_error(char *err, size_t errlen, const char *file, int line, const char *key,
	       const char *fmt, ...) _printf_(6, 7);

/**
 * conf_why() - write a reason into @why; a tiny snprintf wrapper.
 * @why: destination.
 * @n: its size.
 * @fmt: printf format.
 *
 * Return: -EINVAL.
 */
int conf_why(char *why, size_t n, const char *fmt, ...) _printf_(3, 4);

/**
 * conf_hostname_valid() - is @s a syntactically valid DNS name?
 * @s: candidate.
 *
 * The resolver's host-name grammar (dns_name_is_host(): letters, digits, '-'
 * and '_', labels 1..63 characters, 253 in all), in either case, with labels
 * not starting or ending with '-' (RFC 1123 §2.1).
 *
 * Return: true if valid.
 */
bool conf_hostname_valid(const char *s);

/**
 * conf_parse_count() - strict decimal count, 1..@max.
 * @s: the digits.
 * @max: the largest value allowed.
 * @out: the count.
 *
 * Return: 0 or -EINVAL.
 */
int conf_parse_count(const char *s, unsigned long max, unsigned long *out);

/**
 * conf_parse_port() - strict decimal port number.
 * @s: the digits.
 * @allow_zero: whether "0" is allowed.
 * @out: the port.
 *
 * Return: 0 or -EINVAL.
 */
int conf_parse_port(const char *s, bool allow_zero, uint16_t *out);

/**
 * conf_parse_bool() - on/off, yes/no, true/false, 1/0 (case-insensitive).
 * @s: value.
 * @out: result.
 *
 * Return: 0 or -EINVAL.
 */
int conf_parse_bool(const char *s, bool *out);

/**
 * conf_parse_url() - parse a proxy URL or "direct" into @p.
 * @s: the url value.
 * @p: receives kind, host, port, user and pass (owned by @p).
 * @why: reason on failure.
 * @n: size of @why.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int conf_parse_url(const char *s, struct proxy_conf *p, char *why, size_t n);

/**
 * conf_check_dns_server() - validate "IP", "IPv4:port", "[IPv6]" or "[IPv6]:port".
 * @s: value.
 * @why: reason on failure.
 * @n: size of @why.
 *
 * Return: 0 or -EINVAL.
 */
int conf_check_dns_server(const char *s, char *why, size_t n);

/**
 * conf_parse_fake_pool() - parse and check a fake-ipv4 / fake-ipv6 value.
 * @family: AF_INET or AF_INET6.
 * @s: "198.18.0.0/15", "2001:db8:1::/64".
 * @addr: receives the network address (struct in_addr / struct in6_addr).
 * @prefix: receives the prefix length.
 * @why: reason on failure.
 * @n: size of @why.
 *
 * Return: 0 or -EINVAL.
 */
int conf_parse_fake_pool(int family, const char *s, void *addr, unsigned *prefix, char *why,
			 size_t n);

/**
 * conf_add_users() - append the space-separated words of @s to @p's users.
 * @s: "alice @wheel 1000".
 * @p: profile.
 * @why: reason on failure.
 * @n: size of @why.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int conf_add_users(const char *s, struct profile_conf *p, char *why, size_t n);

/**
 * conf_add_route() - append "PATTERN TARGET" to @p's routes, or record "default TARGET".
 * @s: value.
 * @line: line of the key.
 * @p: profile.
 * @why: reason on failure.
 * @n: size of @why.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int conf_add_route(const char *s, int line, struct profile_conf *p, char *why, size_t n);

/**
 * conf_check_routes() - resolve route targets and settle the profile's default.
 * @s: settings (for the file name and the proxies).
 * @p: profile whose routes conf_add_route() filled.
 * @err: "NAME:LINE: route: reason".
 * @errlen: size of @err.
 *
 * Return: 0, -EINVAL or -ENOMEM.
 */
int conf_check_routes(const struct settings *s, struct profile_conf *p, char *err, size_t errlen);

/**
 * conf_parse_cidr() - "ADDR/LEN" with a strict decimal LEN.
 * @family: AF_INET or AF_INET6.
 * @s: text.
 * @addr: receives the address, network order.
 * @prefix: receives LEN (not checked against the family).
 * @why: reason on failure.
 * @n: size of @why.
 *
 * Return: 0 or -EINVAL.
 */
int conf_parse_cidr(int family, const char *s, void *addr, unsigned *prefix, char *why, size_t n);

/**
 * conf_app_id_valid() - is @s a valid Flatpak application id?
 * @s: "org.mozilla.firefox".
 *
 * Return: true if valid.
 */
bool conf_app_id_valid(const char *s);

/**
 * conf_validate() - cross-checks after parsing: references, chains, namespaces.
 * @s: parsed settings; via_idx / proxy_idx are filled in.
 * @err: "FILE:LINE: key: reason" on failure.
 * @errlen: size of @err.
 *
 * Return: 0 or -EINVAL.
 */
int conf_validate(struct settings *s, char *err, size_t errlen);

/* ---- the parser (config.c) and its key tables (config-keys.c) ---- */

/* The section a line belongs to. */
enum sect_kind { SECT_NONE = 0, SECT_PROXY, SECT_PROFILE, SECT_FLATPAK, SECT_DAEMON };

#define KEYS_MAX 16 /* keys in the longest table, conf_profile_keys */

/* The state of one parse (config.c); a key setter reads @line. */
struct parser {
	const char *buf; /* the whole text, not NUL-terminated */
	size_t len, pos;
	const char *file;
	int line; /* line last served to inih */
	struct settings *s;
	enum sect_kind kind;
	size_t cur;		 /* index of the current proxy or profile */
	int seen_line[KEYS_MAX]; /* first line of each key in the current section */
	int flatpak_line;	 /* line of the [flatpak] header, 0 if none yet */
	int daemon_line;	 /* line of the [daemon] header, 0 if none yet */
	char *err;
	size_t errlen;
	int rc; /* first error: -EINVAL / -ENOMEM; 0 while all is well */
};

/* One key of a section: what sets it and what is recorded (config-keys.c). */
struct key_def {
	const char *name;
	bool repeatable;
	int (*set)(struct parser *ps, void *obj, const char *value, char *why, size_t n);
	ptrdiff_t line_off; /* offset of the int that records the key's line, or -1 */
	unsigned set_bit;   /* PROF_SET_* (profiles only) */
};

/* The keys of [proxy NAME], [profile NAME] and [daemon], each table ended by a NULL name. */
extern const struct key_def conf_proxy_keys[];
extern const struct key_def conf_profile_keys[];
extern const struct key_def conf_daemon_keys[];

#endif
