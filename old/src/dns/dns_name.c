/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns_name.c - domain names: wire form <-> presentation form (RFC 1035
 * §3.1, §5.1), the host-name test for fake addresses, and reverse-mapping
 * names (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"

static bool is_host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static unsigned char to_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Append one label octet to @text, escaped as RFC 1035 §5.1 allows. */
static int put_text_octet(char *text, size_t cap, size_t *pos, unsigned char c)
{
	c = to_lower(c);
	if (is_host_char(c)) {
		if (*pos + 1 >= cap)
			return -ENOBUFS;
		text[(*pos)++] = (char)c;
	} else if (c == '.' || c == '\\') {
		if (*pos + 2 >= cap)
			return -ENOBUFS;
		text[(*pos)++] = '\\';
		text[(*pos)++] = (char)c;
	} else {
		if (*pos + 4 >= cap)
			return -ENOBUFS;
		text[(*pos)++] = '\\';
		text[(*pos)++] = (char)('0' + c / 100);
		text[(*pos)++] = (char)('0' + c / 10 % 10);
		text[(*pos)++] = (char)('0' + c % 10);
	}
	return 0;
}

int dns_name_to_text(const uint8_t *wire, size_t wire_len, char *text, size_t cap, size_t *used)
{
	size_t off = 0, pos = 0;
	int r;

	if (cap < 2)
		return -ENOBUFS;
	for (;;) {
		if (off >= wire_len)
			return -EBADMSG;
		uint8_t l = wire[off++];
		if (l == 0)
			break;
		/* 0xc0: compression pointer, 0x40 / 0x80: reserved (RFC 6891 §5). */
		if (l > DNS_LABEL_MAX || off + l > wire_len || off + l >= DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		if (pos > 0) {
			if (pos + 1 >= cap)
				return -ENOBUFS;
			text[pos++] = '.';
		}
		for (uint8_t i = 0; i < l; i++) {
			r = put_text_octet(text, cap, &pos, wire[off + i]);
			if (r < 0)
				return r;
		}
		off += l;
	}
	if (pos == 0)
		text[pos++] = '.';
	text[pos] = '\0';
	if (used)
		*used = off;
	return 0;
}

/* Decode one escape at @s ("\X" or "\DDD"); returns characters consumed or -EINVAL. */
static int parse_escape(const char *s, uint8_t *out)
{
	if (s[1] >= '0' && s[1] <= '9') {
		unsigned int v = 0;

		for (int i = 1; i <= 3; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
			v = v * 10 + (unsigned int)(s[i] - '0');
		}
		if (v > 255)
			return -EINVAL;
		*out = (uint8_t)v;
		return 4;
	}
	if (s[1] == '\0')
		return -EINVAL;
	*out = (uint8_t)s[1];
	return 2;
}

int dns_name_to_wire(const char *text, uint8_t *wire, size_t cap, size_t *len)
{
	size_t pos = 0, lab = 0; /* lab: where the current label's length octet goes */
	const char *s = text;

	if (strcmp(text, ".") == 0)
		s = "";
	if (cap < 1)
		return -ENOBUFS;
	while (*s) {
		uint8_t c;
		int n = 1;

		if (pos == lab) { /* start a label */
			if (++pos >= cap)
				return -ENOBUFS;
		}
		if (*s == '.') {
			if (pos - lab - 1 == 0)
				return -EINVAL; /* empty label */
			wire[lab] = (uint8_t)(pos - lab - 1);
			lab = pos;
			s++;
			continue;
		}
		c = (uint8_t)*s;
		if (*s == '\\' && (n = parse_escape(s, &c)) < 0)
			return n;
		if (pos - lab > DNS_LABEL_MAX || pos + 1 >= DNS_NAME_WIRE_MAX)
			return -EINVAL;
		if (pos + 1 >= cap)
			return -ENOBUFS;
		wire[pos++] = c;
		s += n;
	}
	if (pos > lab) /* close the last label (no final dot) */
		wire[lab] = (uint8_t)(pos - lab - 1);
	if (pos >= cap)
		return -ENOBUFS;
	wire[pos++] = 0;
	*len = pos;
	return 0;
}

bool dns_name_is_host(const char *name)
{
	size_t label = 0, total = 0;

	for (const char *p = name; *p; p++, total++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!is_host_char((unsigned char)*p) || ++label > DNS_LABEL_MAX)
			return false;
	}
	/* 253 characters: 255 wire octets less the first length and the root. */
	return label > 0 && total <= 253;
}

/* Strip @suffix from @name; returns the length left, or -1 if it does not end so. */
static int strip_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n <= s || strcmp(name + n - s, suffix) != 0)
		return -1;
	return (int)(n - s);
}

static int reverse_v4(const char *name, int n, uint8_t *addr)
{
	int octet = 3, i = 0;

	while (i < n) {
		unsigned int v = 0;
		int start = i;

		while (i < n && name[i] >= '0' && name[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned int)(name[i++] - '0');
		if (i == start || v > 255 || (name[start] == '0' && i - start > 1) || octet < 0)
			return -ENOENT;
		if (i < n && name[i++] != '.')
			return -ENOENT;
		addr[octet--] = (uint8_t)v;
	}
	return octet == -1 ? 0 : -ENOENT;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int reverse_v6(const char *name, int n, uint8_t *addr)
{
	/* 32 nibbles "x." each, least significant first (RFC 3596 §2.5). */
	if (n != 32 * 2)
		return -ENOENT;
	memset(addr, 0, 16);
	for (int i = 0; i < 32; i++) {
		int v = hex_value(name[2 * i]);

		if (v < 0 || name[2 * i + 1] != '.')
			return -ENOENT;
		int nib = 31 - i; /* nibble index from the most significant */
		addr[nib / 2] |= (uint8_t)(nib % 2 ? v : v << 4);
	}
	return 0;
}

int dns_reverse_to_addr(const char *name, int *family, void *addr)
{
	int n = strip_suffix(name, ".in-addr.arpa");

	if (n > 0) {
		*family = AF_INET;
		return reverse_v4(name, n, addr);
	}
	/* Keep the dot before "ip6.arpa" as the last nibble's separator. */
	n = strip_suffix(name, "ip6.arpa");
	if (n > 0) {
		*family = AF_INET6;
		return reverse_v6(name, n, addr);
	}
	return -ENOENT;
}
