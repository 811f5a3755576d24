/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_dns.c - libFuzzer target for the DNS module.
 *
 * The first octet picks what the rest is:
 *   0: an application's query: parse it; what parses must yield replies
 *      that dns_check_response() accepts as answers to it, and a name that
 *      converts back to the wire form it came from; what fails with an
 *      RCODE must yield an error reply.
 *   1: a TCP byte stream: messages read in fuzzer-chosen splits must be the
 *      ones read in one go.
 *   2: persisted fake-pool records, then operations on the pool: exports
 *      must be consistent and import again.
 *   3: an upstream response to a fixed query, and the address our own
 *      lookup would read from it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void check_reply(const struct dns_query *q, uint8_t *out, size_t len)
{
	size_t out_len;

	if (len > q->max_reply || dns_check_response(q, q->id, out, len, &out_len) != 0 ||
	    out_len != len)
		abort();
}

static void fuzz_query(const uint8_t *data, size_t size)
{
	static const struct in6_addr six[3] = {IN6ADDR_LOOPBACK_INIT};
	struct in_addr four[3] = {{htonl(0xc6120001)}};
	uint8_t out[DNS_MSG_MAX], w[DNS_NAME_WIRE_MAX];
	struct dns_query q;
	size_t len, wlen;
	int r = dns_parse_query(data, size, &q), rc = dns_rcode_for_error(r);

	if (r != 0) {
		if (rc >= 0 && dns_build_error(&q, rc, out, sizeof(out), &len) != 0)
			abort();
		return;
	}
	if (dns_build_error(&q, DNS_RCODE_SERVFAIL, out, sizeof(out), &len) != 0)
		abort();
	check_reply(&q, out, len);
	if (q.qtype == DNS_TYPE_A || q.qtype == DNS_TYPE_AAAA) {
		int fam = q.qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
		const void *a = fam == AF_INET ? (const void *)four : (const void *)six;

		if (dns_build_addr_answer(&q, fam, a, 3, 10, out, sizeof(out), &len) != 0)
			abort();
		check_reply(&q, out, len);
	}
	if (q.qtype == DNS_TYPE_PTR) {
		if (dns_build_ptr_answer(&q, q.name, 10, out, sizeof(out), &len) != 0)
			abort();
		check_reply(&q, out, len);
	}
	if (dns_build_query(&q, 7, out, sizeof(out), &len) != 0)
		abort();
	/* The presentation form converts back to the lowercased wire name. */
	if (dns_name_to_wire(q.name, w, sizeof(w), &wlen) != 0 || wlen != q.wire_len)
		abort();
	for (size_t i = 0; i < wlen; i++)
		if (w[i] != lower(q.wire[i]))
			abort();
	if (dns_name_is_host(q.name) && (strchr(q.name, '\\') || strlen(q.name) > 253))
		abort();
}

/* Read every message of @s, @n octets, in pieces of the sizes @cuts gives (0 = all). */
static size_t read_stream(const uint8_t *s, size_t n, const uint8_t *cuts, size_t ncuts,
			  uint8_t *msgs, size_t *nmsgs, int *err)
{
	uint8_t buf[600];
	struct dns_tcp_reader r;
	size_t off = 0, k = 0, c = 0;

	dns_tcp_reader_init(&r, buf, sizeof(buf));
	*nmsgs = 0;
	*err = 0;
	while (off < n) {
		size_t piece = ncuts ? cuts[c++ % ncuts] % 7 + 1 : n - off, used, mlen;

		if (piece > n - off)
			piece = n - off;
		int rc = dns_tcp_reader_feed(&r, s + off, piece, &used, &mlen);
		if (rc < 0) {
			*err = rc;
			break;
		}
		if (used > piece || (rc == 0 && used != piece))
			abort();
		off += used;
		if (rc == 1) {
			memcpy(msgs + k, buf, mlen);
			k += mlen;
			(*nmsgs)++;
		}
	}
	return k;
}

static void fuzz_tcp(const uint8_t *data, size_t size)
{
	static uint8_t a[1 << 17], b[1 << 17];
	size_t ncuts = size ? data[0] % 16 : 0, na, nb, ka, kb;
	int ea, eb;

	if (size < 1 + ncuts || size - 1 - ncuts > sizeof(a))
		return;
	ka = read_stream(data + 1 + ncuts, size - 1 - ncuts, NULL, 0, a, &na, &ea);
	kb = read_stream(data + 1 + ncuts, size - 1 - ncuts, data + 1, ncuts, b, &nb, &eb);
	if (ka != kb || na != nb || ea != eb || memcmp(a, b, ka) != 0)
		abort();
}

struct pools {
	struct dns_fake *pool, *copy;
};

/* Every exported mapping is found by its addresses and imports into a fresh pool. */
static int collect(const char *name, const struct in_addr *v4, const struct in6_addr *v6,
		   uint64_t last_used, void *userdata)
{
	struct pools *p = userdata;
	const char *n4 = dns_fake_lookup_addr(p->pool, AF_INET, v4);
	const char *n6 = dns_fake_lookup_addr(p->pool, AF_INET6, v6);

	if (!n4 || !n6 || strcmp(n4, name) != 0 || n4 != n6 || !dns_name_is_host(name))
		abort();
	if (dns_fake_insert(p->copy, name, v4, v6, last_used) != 0)
		abort();
	return 0;
}

static void pool_op(struct dns_fake *pool, const uint8_t *p, uint64_t now)
{
	struct in6_addr a = {0};
	int fam = p[0] & 1 ? AF_INET6 : AF_INET;
	char name[16];

	/* Addresses near the start of either range. */
	if (fam == AF_INET) {
		((struct in_addr *)&a)->s_addr = htonl(0xc6120000 | p[1]);
	} else {
		inet_pton(AF_INET6, "fd6e:7370:1:2::", &a);
		a.s6_addr[15] = p[1];
	}
	switch (p[0] >> 1 & 3) {
	case 0:
		snprintf(name, sizeof(name), "h%u.test", p[1] % 40);
		dns_fake_lookup_name(pool, name, fam, now, &a);
		break;
	case 1:
		dns_fake_ref(pool, fam, &a);
		break;
	case 2:
		dns_fake_unref(pool, fam, &a);
		break;
	default:
		dns_fake_lookup_addr(pool, fam, &a);
		break;
	}
}

/*
 * Records: length octet, name, v4 host octet, v6 flag octet, last-used
 * octet; then two-octet pool operations.
 */
static void fuzz_pool(const uint8_t *data, size_t size)
{
	struct dns_fake_config c = {.v4_prefix = 24, .v6_prefix = 64, .capacity = 32};
	struct dns_fake pool, copy;
	size_t off = 0;
	uint64_t now = 0;

	inet_pton(AF_INET, "198.18.0.0", &c.v4_base);
	inet_pton(AF_INET6, "fd6e:7370:1:2::", &c.v6_base);
	c.min_reuse_age = 3;
	if (dns_fake_init(&pool, &c) != 0 || dns_fake_init(&copy, &c) != 0)
		abort();
	while (off < size && data[off] != 0xff) {
		size_t l = data[off++];
		char name[256];
		struct in_addr v4;
		struct in6_addr v6;

		if (size - off < l + 3)
			break;
		memcpy(name, data + off, l);
		name[l] = '\0';
		off += l;
		v4.s_addr = htonl(0xc6120000 | data[off]);
		inet_pton(AF_INET6, "fd6e:7370:1:2::", &v6);
		v6.s6_addr[15] = data[off];
		dns_fake_insert(&pool, name, &v4, data[off + 1] & 1 ? &v6 : NULL, data[off + 2]);
		off += 3;
	}
	for (off++; off + 2 <= size; off += 2)
		pool_op(&pool, data + off, now++ / 4);
	struct pools both = {&pool, &copy};

	if (dns_fake_foreach(&pool, collect, &both) != 0)
		abort();
	if (dns_fake_count(&copy) != dns_fake_count(&pool))
		abort();
	dns_fake_free(&pool);
	dns_fake_free(&copy);
}

static void fuzz_response(const uint8_t *data, size_t size)
{
	static const uint8_t query[] = {0x12, 0x34, 1,	 0,   0, 1,   0, 0, 0, 0, 0, 0,
					3,    'w',  'w', 'w', 1, 'x', 0, 0, 1, 0, 1};
	uint8_t resp[DNS_MSG_MAX], addr[16];
	struct dns_query q, own;
	size_t out_len;
	int r;

	if (size > sizeof(resp) || dns_parse_query(query, sizeof(query), &q) != 0)
		abort();
	memcpy(resp, data, size);
	/* Read as our own lookup's answer: any bytes, checked or not, stay in bounds. */
	if (dns_query_for(&own, "www.x", DNS_TYPE_A) != 0)
		abort();
	r = dns_response_addr(resp, size, &own, addr);
	if (r != AF_INET && r != -ENOENT && r != -EBADMSG)
		abort();
	if (dns_check_response(&q, 0xabcd, resp, size, &out_len) == 0 &&
	    (out_len > q.max_reply || resp[0] != 0x12 || resp[1] != 0x34))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_query(data + 1, size - 1);
		break;
	case 1:
		fuzz_tcp(data + 1, size - 1);
		break;
	case 2:
		fuzz_pool(data + 1, size - 1);
		break;
	default:
		fuzz_response(data + 1, size - 1);
		break;
	}
	return 0;
}
