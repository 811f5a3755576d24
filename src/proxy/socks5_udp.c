/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * socks5_udp.c - the SOCKS5 address field and the UDP ASSOCIATE datagram
 * header (RFC 1928 §7):
 *
 *   +----+------+------+----------+----------+----------+
 *   |RSV | FRAG | ATYP | DST.ADDR | DST.PORT |   DATA   |
 *   | 2  |  1   |  1   | Variable |    2     | Variable |
 *   +----+------+------+----------+----------+----------+
 *
 * Fragmentation is optional in RFC 1928 §7 ("An implementation that does
 * not support fragmentation MUST drop any datagram whose FRAG field is
 * other than X'00'"), and nobody sends fragments, so we never reassemble.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "proxy/server-internal.h"
#include "proxy/server.h"

/**
 * socks5_addr_need() - length of the ATYP ADDR PORT field starting at @p.
 * @p: the field's first bytes.
 * @avail: how many of them are there (at least 1).
 *
 * Return: the field's full length, or the number of bytes needed to tell
 * it (2 for a name whose length byte has not arrived: the caller asks again
 * once it has them), -EAFNOSUPPORT for an unknown ATYP.
 */
int socks5_addr_need(const uint8_t *p, size_t avail)
{
	switch (p[0]) {
	case SOCKS5_ATYP_IPV4:
		return 1 + 4 + 2;
	case SOCKS5_ATYP_IPV6:
		return 1 + 16 + 2;
	case SOCKS5_ATYP_NAME:
		return avail < 2 ? 2 : 1 + 1 + p[1] + 2;
	default:
		return -EAFNOSUPPORT;
	}
}

static int socks5_addr_parse_name(const uint8_t *p, size_t n, struct proxy_target *t)
{
	char name[PROXY_NAME_MAX + 1];

	/* A name is 1..255 octets; a NUL inside cannot be passed on as a name. */
	if (n == 0 || memchr(p, '\0', n))
		return -EPROTO;
	memcpy(name, p, n);
	name[n] = '\0';
	return proxy_target_set_name(t, name, 0) < 0 ? -EPROTO : 0;
}

/**
 * socks5_addr_parse() - read ATYP DST.ADDR DST.PORT into @t.
 * @p: the field.
 * @len: bytes available at @p (may be more than the field).
 * @t: receives the target; a name stays a name.
 *
 * Return: the field's length, -EPROTO if truncated or a bad name,
 * -EAFNOSUPPORT for an unknown ATYP.
 */
int socks5_addr_parse(const uint8_t *p, size_t len, struct proxy_target *t)
{
	int need, r;

	if (len < 2)
		return len == 1 && socks5_addr_need(p, 1) < 0 ? -EAFNOSUPPORT : -EPROTO;
	need = socks5_addr_need(p, len);
	if (need < 0)
		return need;
	if (len < (size_t)need)
		return -EPROTO;
	memset(t, 0, sizeof(*t));
	if (p[0] == SOCKS5_ATYP_IPV4) {
		t->family = AF_INET;
		memcpy(t->addr, p + 1, 4);
	} else if (p[0] == SOCKS5_ATYP_IPV6) {
		t->family = AF_INET6;
		memcpy(t->addr, p + 1, 16);
	} else {
		r = socks5_addr_parse_name(p + 2, p[1], t);
		if (r < 0)
			return r;
	}
	t->port = (uint16_t)(p[need - 2] << 8 | p[need - 1]);
	return need;
}

/**
 * socks5_addr_put() - write ATYP ADDR PORT for @t.
 * @out: buffer.
 * @cap: its size.
 * @t: address or name target.
 *
 * Return: bytes written, -EINVAL for a bad target, -ENOBUFS if it does not
 * fit.
 */
int socks5_addr_put(uint8_t *out, size_t cap, const struct proxy_target *t)
{
	size_t alen, n = 0;

	if (t->family == AF_INET)
		alen = 4;
	else if (t->family == AF_INET6)
		alen = 16;
	else if (t->family == 0)
		alen = strnlen(t->name, sizeof(t->name));
	else
		return -EINVAL;
	if (t->family == 0 && (alen == 0 || alen > PROXY_NAME_MAX))
		return -EINVAL;
	if (cap < 1 + (t->family == 0) + alen + 2)
		return -ENOBUFS;
	if (t->family == AF_INET) {
		out[n++] = SOCKS5_ATYP_IPV4;
	} else if (t->family == AF_INET6) {
		out[n++] = SOCKS5_ATYP_IPV6;
	} else {
		out[n++] = SOCKS5_ATYP_NAME;
		out[n++] = (uint8_t)alen;
	}
	memcpy(out + n, t->family ? (const void *)t->addr : (const void *)t->name, alen);
	n += alen;
	out[n++] = (uint8_t)(t->port >> 8);
	out[n++] = (uint8_t)t->port;
	return (int)n;
}

int socks5_udp_encode(const struct proxy_target *dst, const uint8_t *payload, size_t len,
		      uint8_t *out, size_t cap)
{
	int n;

	if (!dst || !out || (len && !payload))
		return -EINVAL;
	if (len > 65535 || cap < SOCKS5_UDP_FIXED)
		return -EMSGSIZE;
	out[0] = SOCKS5_RSV;
	out[1] = SOCKS5_RSV;
	out[2] = 0; /* FRAG: a whole datagram */
	n = socks5_addr_put(out + SOCKS5_UDP_FIXED, cap - SOCKS5_UDP_FIXED, dst);
	if (n == -ENOBUFS)
		return -EMSGSIZE;
	if (n < 0)
		return n;
	n += SOCKS5_UDP_FIXED;
	if (len > cap - (size_t)n)
		return -EMSGSIZE;
	if (len)
		memcpy(out + n, payload, len);
	return n + (int)len;
}

int socks5_udp_decode(const uint8_t *pkt, size_t len, struct proxy_target *src,
		      const uint8_t **payload, size_t *plen)
{
	int n;

	if (!pkt || !src || !payload || !plen)
		return -EINVAL;
	/* RSV is ignored, as RFC 1928 reserves it without giving it a meaning. */
	if (len <= SOCKS5_UDP_FIXED)
		return -EPROTO;
	if (pkt[2] != 0)
		return -EOPNOTSUPP;
	n = socks5_addr_parse(pkt + SOCKS5_UDP_FIXED, len - SOCKS5_UDP_FIXED, src);
	if (n < 0)
		return n;
	n += SOCKS5_UDP_FIXED;
	*payload = pkt + n;
	*plen = len - (size_t)n;
	return 0;
}
