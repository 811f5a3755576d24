/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config-fake.c - the DNS keys of a profile that take addresses: the fake-IP
 * pools (fake-ipv4, fake-ipv6) and the dns-server socket address.
 *
 * A fake pool's addresses are handed to applications as A / AAAA answers and
 * come back as connection destinations, which the subject's table must mark
 * and hand to the relay.  So a pool must be plain unicast space that the
 * kernel routes through the uplink's default route: not loopback (routed to
 * lo, never marked), not multicast or link-local (scoped, refused by
 * connect() or sent on-link), not netnsp's own uplink ranges (the addresses
 * on the uplink device are local and excluded from marking).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config-internal.h"

struct reserved {
	const char *cidr; /* for the message */
	uint8_t addr[16];
	unsigned prefix;
};

/* RFC 6890 special-purpose space a fake pool must not touch, and netnsp's uplinks. */
static const struct reserved reserved4[] = {
	{"0.0.0.0/8", {0}, 8},		    /* "this network", RFC 1122 §3.2.1.3 */
	{"100.64.0.0/10", {100, 64}, 10},   /* netnsp's uplink addresses (RFC 6598) */
	{"127.0.0.0/8", {127}, 8},	    /* loopback */
	{"169.254.0.0/16", {169, 254}, 16}, /* link-local, RFC 3927 */
	{"224.0.0.0/4", {224}, 4},	    /* multicast, RFC 5771 */
	{"240.0.0.0/4", {240}, 4},	    /* reserved and broadcast, RFC 1112 §4 */
};

static const struct reserved reserved6[] = {
	{"::/8", {0}, 8}, /* unspecified, loopback, v4-mapped (RFC 4291) */
	{"fd6e:7370::/32", {0xfd, 0x6e, 0x73, 0x70}, 32}, /* netnsp's uplinks and pools */
	{"fe80::/10", {0xfe, 0x80}, 10},		  /* link-local, RFC 4291 §2.5.6 */
	{"ff00::/8", {0xff}, 8},			  /* multicast, RFC 4291 §2.7 */
};

/* Do the first @bits bits of @a and @b agree? */
static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, whole) != 0)
		return false;
	return !rest || ((a[whole] ^ b[whole]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* Are all bits after the first @bits of the @len-octet @a zero? */
static bool host_bits_zero(const uint8_t *a, size_t len, unsigned bits)
{
	for (size_t i = bits / 8; i < len; i++) {
		unsigned keep = i == bits / 8 ? bits % 8 : 0;
		uint8_t mask = keep ? (uint8_t)(0xff >> keep) : 0xff;

		if (a[i] & mask)
			return false;
	}
	return true;
}

/**
 * settings_check_fake_pool() - whether a range may serve as a fake-IP pool.
 * @family: AF_INET or AF_INET6.
 * @base: struct in_addr or struct in6_addr, network order.
 * @prefix: prefix length: 8..30 for IPv4, 64..126 for IPv6.
 * @why: receives the reason on failure.
 * @n: size of @why.
 *
 * Two prefixes overlap exactly when they agree on the shorter one's bits.
 *
 * Return: 0, or -EINVAL with @why set.
 */
int settings_check_fake_pool(int family, const void *base, unsigned prefix, char *why, size_t n)
{
	bool v4 = family == AF_INET;
	const struct reserved *res = v4 ? reserved4 : reserved6;
	size_t nres = v4 ? ARRAY_SIZE(reserved4) : ARRAY_SIZE(reserved6), len = v4 ? 4 : 16;
	unsigned lo = v4 ? CONF_FAKE4_PREFIX_MIN : CONF_FAKE6_PREFIX_MIN;
	unsigned hi = v4 ? CONF_FAKE4_PREFIX_MAX : CONF_FAKE6_PREFIX_MAX;

	if (family != AF_INET && family != AF_INET6)
		return conf_why(why, n, "unknown address family %d", family);
	if (prefix < lo || prefix > hi)
		return conf_why(why, n, "prefix length /%u out of range (want /%u../%u)", prefix,
				lo, hi);
	if (!host_bits_zero(base, len, prefix))
		return conf_why(why, n, "host bits set (want the network address of the /%u)",
				prefix);
	for (size_t i = 0; i < nres; i++) {
		unsigned shorter = prefix < res[i].prefix ? prefix : res[i].prefix;

		if (prefix_equal(base, res[i].addr, shorter))
			return conf_why(why, n, "overlaps %s, which cannot hold fake addresses",
					res[i].cidr);
	}
	return 0;
}

int conf_parse_cidr(int family, const char *s, void *addr, unsigned *prefix, char *why, size_t n)
{
	const char *slash = strchr(s, '/');
	char buf[INET6_ADDRSTRLEN];
	unsigned v = 0;
	size_t alen;

	if (!slash)
		return conf_why(why, n, "'%s' has no prefix length (want ADDRESS/LENGTH)", s);
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(buf))
		return conf_why(why, n, "bad address in '%s'", s);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(family, buf, addr) != 1)
		return conf_why(why, n, "bad IPv%c address '%s'", family == AF_INET ? '4' : '6',
				buf);
	if (!slash[1] || strlen(slash + 1) > 3 || (slash[1] == '0' && slash[2]))
		return conf_why(why, n, "bad prefix length in '%s'", s);
	for (const char *c = slash + 1; *c; c++) {
		if (*c < '0' || *c > '9')
			return conf_why(why, n, "bad prefix length in '%s'", s);
		v = v * 10 + (unsigned)(*c - '0');
	}
	*prefix = v;
	return 0;
}

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
			 size_t n)
{
	struct in6_addr a = IN6ADDR_ANY_INIT;
	unsigned len = 0;
	int r = conf_parse_cidr(family, s, &a, &len, why, n);

	if (r < 0)
		return r;
	r = settings_check_fake_pool(family, &a, len, why, n);
	if (r < 0)
		return r;
	memcpy(addr, &a, family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr));
	*prefix = len;
	return 0;
}

/* @s is "[v6]" or "[v6]:port": fill @a and @port. */
static int split_bracketed(const char *s, struct in6_addr *a, uint16_t *port)
{
	const char *close = strchr(s, ']');
	char buf[INET6_ADDRSTRLEN];
	size_t alen = close ? (size_t)(close - s - 1) : 0;

	if (!close || alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s + 1, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return -EINVAL;
	if (!close[1])
		return 0;
	if (close[1] != ':')
		return -EINVAL;
	return conf_parse_port(close + 2, false, port);
}

/* "IPv4" or "IPv4:port". */
static int split_v4(const char *s, struct in_addr *a, uint16_t *port)
{
	const char *colon = strchr(s, ':');
	char buf[INET_ADDRSTRLEN];
	size_t alen = colon ? (size_t)(colon - s) : strlen(s);

	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, a) != 1)
		return -EINVAL;
	return colon ? conf_parse_port(colon + 1, false, port) : 0;
}

/**
 * settings_dns_server_addr() - the dns-server of a profile as a socket address.
 * @p: a validated profile with dns_server set.
 * @ss: receives an AF_INET or AF_INET6 address; the port defaults to 53.
 * @len: receives its length.
 *
 * A bare IPv6 literal ("2001:db8::53") has no port; "[2001:db8::53]:5353"
 * has one, as in URLs (RFC 3986 §3.2.2).
 *
 * Return: 0, -ENOENT when the profile has no dns-server, -EINVAL if it does
 * not parse (never for validated settings).
 */
int settings_dns_server_addr(const struct profile_conf *p, struct sockaddr_storage *ss,
			     socklen_t *len)
{
	if (!p->dns_server)
		return -ENOENT;
	return settings_parse_sockaddr(p->dns_server, 53, ss, len);
}

int settings_parse_sockaddr(const char *s, uint16_t port, struct sockaddr_storage *ss,
			    socklen_t *len)
{
	int r;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[' || (strchr(s, ':') && strchr(strchr(s, ':') + 1, ':'))) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		r = s[0] == '[' ? split_bracketed(s, &a->sin6_addr, &port)
				: (inet_pton(AF_INET6, s, &a->sin6_addr) == 1 ? 0 : -EINVAL);
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		r = split_v4(s, &a->sin_addr, &port);
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
	}
	return r < 0 ? -EINVAL : 0;
}
