/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_dns.c - DNS message parsing and building against hand-written packets
 * (byte for byte) and TCP framing in every split (the fake-IP pool: test_dns_fake.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "tap.h"

/* A packet assembled from hex words and raw strings. */
struct pkt {
	uint8_t b[8192];
	size_t n;
};

static void hex(struct pkt *p, const char *s)
{
	unsigned int v;
	int used;

	while (sscanf(s, " %2x%n", &v, &used) == 1) {
		p->b[p->n++] = (uint8_t)v;
		s += used;
	}
}

static void raw_n(struct pkt *p, const char *s, size_t n)
{
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

#define RAW(p, s) raw_n(p, s, sizeof(s) - 1)

static int same_bytes(const uint8_t *got, size_t glen, const struct pkt *want, const char *what)
{
	int good = glen == want->n && memcmp(got, want->b, glen) == 0;

	ok(good, "%s: bytes as expected", what);
	if (!good) {
		printf("#   got  (%zu):", glen);
		for (size_t i = 0; i < glen; i++)
			printf(" %02x", got[i]);
		printf("\n#   want (%zu):", want->n);
		for (size_t i = 0; i < want->n; i++)
			printf(" %02x", want->b[i]);
		printf("\n");
	}
	return good;
}

/* www.Example.com IN A, ID 0x1234, RD. */
static void make_a_query(struct pkt *p)
{
	p->n = 0;
	hex(p, "12 34 01 00 00 01 00 00 00 00 00 00");
	RAW(p, "\003www\007Example\003com\000");
	hex(p, "00 01 00 01");
}

static void test_a_query(void)
{
	struct pkt p, want = {0};
	struct dns_query q;
	struct in_addr a = {htonl(0xc6120001)}; /* 198.18.0.1 */
	uint8_t out[512];
	size_t len = 0;

	make_a_query(&p);
	is_int(dns_parse_query(p.b, p.n, &q), 0, "A query parses");
	is_int(q.id, 0x1234, "ID");
	is_int(q.qtype, DNS_TYPE_A, "QTYPE A");
	is_int(q.qclass, DNS_CLASS_IN, "QCLASS IN");
	is_str(q.name, "www.example.com", "name lowercased");
	ok(q.wire_len == 17 && memcmp(q.wire, "\003www\007Example", 12) == 0, "wire case kept");
	ok(!q.edns && q.max_reply == 512, "no EDNS: 512-octet limit");

	hex(&want, "12 34 81 80 00 01 00 01 00 00 00 00");
	RAW(&want, "\003www\007Example\003com\000");
	hex(&want, "00 01 00 01  c0 0c 00 01 00 01 00 00 00 0a 00 04 c6 12 00 01");
	is_int(dns_build_addr_answer(&q, AF_INET, &a, 1, 10, out, sizeof(out), &len), 0,
	       "A answer built");
	same_bytes(out, len, &want, "A answer");

	is_int(dns_build_addr_answer(&q, AF_INET6, &in6addr_loopback, 1, 10, out, sizeof(out),
				     &len),
	       -EINVAL, "AAAA records for an A query refused");
	is_int(dns_build_addr_answer(&q, AF_INET, &a, 1, 10, out, 40, &len), -ENOBUFS,
	       "small buffer: -ENOBUFS");

	/* Forwarded query: fresh ID, RD, question as received. */
	want.n = 0;
	hex(&want, "ab cd 01 00 00 01 00 00 00 00 00 00");
	RAW(&want, "\003www\007Example\003com\000");
	hex(&want, "00 01 00 01");
	is_int(dns_build_query(&q, 0xabcd, out, sizeof(out), &len), 0, "forward query built");
	same_bytes(out, len, &want, "forward query");
}

static void test_aaaa_edns(void)
{
	struct pkt p = {0}, want = {0};
	struct dns_query q;
	struct in6_addr a;
	uint8_t out[512];
	size_t len = 0;

	/* v6.test AAAA, RD + AD, OPT: size 4096, DO. */
	hex(&p, "be ef 01 20 00 01 00 00 00 00 00 01");
	RAW(&p, "\002v6\004test\000");
	hex(&p, "00 1c 00 01  00 00 29 10 00 00 00 80 00 00 00");
	is_int(dns_parse_query(p.b, p.n, &q), 0, "AAAA + EDNS parses");
	ok(q.edns && q.edns_do && q.udp_size == 4096 && q.max_reply == 4096, "EDNS size and DO");
	is_str(q.name, "v6.test", "name");

	inet_pton(AF_INET6, "fd6e:7370:1::5", &a);
	hex(&want, "be ef 81 80 00 01 00 01 00 00 00 01");
	RAW(&want, "\002v6\004test\000");
	hex(&want, "00 1c 00 01  c0 0c 00 1c 00 01 00 00 00 3c 00 10"
		   " fd 6e 73 70 00 01 00 00 00 00 00 00 00 00 00 05"
		   " 00 00 29 04 d0 00 00 00 00 00 00");
	is_int(dns_build_addr_answer(&q, AF_INET6, &a, 1, 60, out, sizeof(out), &len), 0,
	       "AAAA answer built");
	same_bytes(out, len, &want, "AAAA answer with OPT");

	/* ipv6 = off: NOERROR, no records. */
	want.n = 0;
	hex(&want, "be ef 81 80 00 01 00 00 00 00 00 01");
	RAW(&want, "\002v6\004test\000");
	hex(&want, "00 1c 00 01  00 00 29 04 d0 00 00 00 00 00 00");
	is_int(dns_build_addr_answer(&q, AF_INET6, NULL, 0, 60, out, sizeof(out), &len), 0,
	       "empty AAAA answer built");
	same_bytes(out, len, &want, "empty AAAA answer");

	/* OPT size below 512 counts as 512 (RFC 6891 §6.2.5). */
	p.b[p.n - 8] = 0x01;
	p.b[p.n - 7] = 0x00;
	is_int(dns_parse_query(p.b, p.n, &q), 0, "OPT size 256 parses");
	is_int(q.max_reply, 512, "limit raised to 512");
}

static void test_truncation(void)
{
	struct pkt p = {0}, want = {0};
	struct dns_query q;
	struct in6_addr many[40] = {{{{0}}}};
	uint8_t out[4096];
	size_t len = 0;

	hex(&p, "00 07 00 00 00 01 00 00 00 00 00 00");
	RAW(&p, "\001x\000");
	hex(&p, "00 1c 00 01");
	is_int(dns_parse_query(p.b, p.n, &q), 0, "x AAAA parses");
	/* 12 + 7 + 40 * 28 > 512: header and question only, TC set, RD clear as asked. */
	hex(&want, "00 07 82 80 00 01 00 00 00 00 00 00");
	RAW(&want, "\001x\000");
	hex(&want, "00 1c 00 01");
	is_int(dns_build_addr_answer(&q, AF_INET6, many, 40, 5, out, sizeof(out), &len), 0,
	       "oversized answer built");
	same_bytes(out, len, &want, "truncated answer");
	is_int(dns_build_addr_answer(&q, AF_INET6, many, 17, 5, out, sizeof(out), &len), 0,
	       "17 AAAA fit in 512");
	is_int(len, 12 + 7 + 17 * 28, "17 records: 495 octets, no TC");
	ok(!(out[2] & 0x02), "TC clear");
	dns_query_set_tcp(&q);
	is_int(dns_build_addr_answer(&q, AF_INET6, many, 40, 5, out, sizeof(out), &len), 0,
	       "TCP: 40 records built");
	ok(len == 12 + 7 + 40 * 28 && !(out[2] & 0x02), "TCP: no truncation");
}

static void test_ptr(void)
{
	struct pkt p = {0}, want = {0};
	struct dns_query q;
	uint8_t out[512], addr[16], a6[16];
	size_t len = 0;
	int family = 0;

	hex(&p, "00 01 01 00 00 01 00 00 00 00 00 00");
	RAW(&p, "\0012\0010\00218\003198\007in-addr\004arpa\000");
	hex(&p, "00 0c 00 01");
	is_int(dns_parse_query(p.b, p.n, &q), 0, "PTR query parses");
	is_str(q.name, "2.0.18.198.in-addr.arpa", "reverse name");
	is_int(dns_reverse_to_addr(q.name, &family, addr), 0, "reverse name parsed");
	ok(family == AF_INET && memcmp(addr, "\306\022\000\002", 4) == 0, "198.18.0.2");

	hex(&want, "00 01 81 80 00 01 00 01 00 00 00 00");
	RAW(&want, "\0012\0010\00218\003198\007in-addr\004arpa\000");
	hex(&want, "00 0c 00 01  c0 0c 00 0c 00 01 00 00 00 05 00 11");
	RAW(&want, "\003www\007example\003com\000");
	is_int(dns_build_ptr_answer(&q, "www.example.com", 5, out, sizeof(out), &len), 0,
	       "PTR answer built");
	same_bytes(out, len, &want, "PTR answer");
	is_int(dns_build_ptr_answer(&q, "a..b", 5, out, sizeof(out), &len), -EINVAL,
	       "PTR target with an empty label refused");

	inet_pton(AF_INET6, "2001:db8::567:89ab", a6);
	is_int(dns_reverse_to_addr(
		       "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2."
		       "ip6.arpa",
		       &family, addr),
	       0, "ip6.arpa name parsed");
	ok(family == AF_INET6 && memcmp(addr, a6, 16) == 0, "2001:db8::567:89ab");
	is_int(dns_reverse_to_addr("0.8.b.d.0.1.0.0.2.ip6.arpa", &family, addr), -ENOENT,
	       "partial ip6.arpa refused");
	is_int(dns_reverse_to_addr("18.198.in-addr.arpa", &family, addr), -ENOENT,
	       "partial in-addr.arpa refused");
	is_int(dns_reverse_to_addr("1.02.3.4.in-addr.arpa", &family, addr), -ENOENT,
	       "leading zero refused");
	is_int(dns_reverse_to_addr("1.256.3.4.in-addr.arpa", &family, addr), -ENOENT,
	       "octet 256 refused");
	is_int(dns_reverse_to_addr("1.2.3.4.5.in-addr.arpa", &family, addr), -ENOENT,
	       "five labels refused");
	is_int(dns_reverse_to_addr("example.com", &family, addr), -ENOENT, "not reverse");
}

static void test_errors(void)
{
	struct pkt p = {0}, want = {0};
	struct dns_query q;
	uint8_t out[512];
	size_t len = 0;

	/* NOTIFY (opcode 4): NOTIMP, opcode echoed, no question. */
	hex(&p, "55 66 20 00 00 01 00 00 00 00 00 00");
	RAW(&p, "\001a\000");
	hex(&p, "00 06 00 01");
	is_int(dns_parse_query(p.b, p.n, &q), -EOPNOTSUPP, "opcode NOTIFY: NOTIMP");
	is_int(dns_rcode_for_error(-EOPNOTSUPP), DNS_RCODE_NOTIMP, "maps to NOTIMP");
	hex(&want, "55 66 a0 84 00 00 00 00 00 00 00 00");
	is_int(dns_build_error(&q, DNS_RCODE_NOTIMP, out, sizeof(out), &len), 0, "NOTIMP built");
	same_bytes(out, len, &want, "NOTIMP reply");

	/* QDCOUNT 2: FORMERR without question. */
	p.n = 0;
	hex(&p, "55 67 01 00 00 02 00 00 00 00 00 00");
	RAW(&p, "\001a\000");
	hex(&p, "00 01 00 01");
	RAW(&p, "\001b\000");
	hex(&p, "00 01 00 01");
	is_int(dns_parse_query(p.b, p.n, &q), -EBADMSG, "QDCOUNT 2: FORMERR");
	want.n = 0;
	hex(&want, "55 67 81 81 00 00 00 00 00 00 00 00");
	is_int(dns_build_error(&q, dns_rcode_for_error(-EBADMSG), out, sizeof(out), &len), 0,
	       "FORMERR built");
	same_bytes(out, len, &want, "FORMERR reply");

	/* REFUSED (dns = off) echoes the question. */
	make_a_query(&p);
	dns_parse_query(p.b, p.n, &q);
	want.n = 0;
	hex(&want, "12 34 81 85 00 01 00 00 00 00 00 00");
	RAW(&want, "\003www\007Example\003com\000");
	hex(&want, "00 01 00 01");
	is_int(dns_build_error(&q, DNS_RCODE_REFUSED, out, sizeof(out), &len), 0, "REFUSED built");
	same_bytes(out, len, &want, "REFUSED reply");
	is_int(dns_build_error(&q, DNS_RCODE_BADVERS, out, sizeof(out), &len), -EINVAL,
	       "extended RCODE without EDNS refused");

	/* EDNS version 1: BADVERS, carried in the OPT (RFC 6891 §6.1.3). */
	p.n = 0;
	hex(&p, "00 09 00 00 00 01 00 00 00 00 00 01");
	RAW(&p, "\001a\000");
	hex(&p, "00 01 00 01  00 00 29 02 00 00 01 00 00 00 00");
	is_int(dns_parse_query(p.b, p.n, &q), -EPROTONOSUPPORT, "EDNS version 1: BADVERS");
	want.n = 0;
	hex(&want, "00 09 80 80 00 01 00 00 00 00 00 01");
	RAW(&want, "\001a\000");
	hex(&want, "00 01 00 01  00 00 29 04 d0 01 00 00 00 00 00");
	is_int(dns_build_error(&q, dns_rcode_for_error(-EPROTONOSUPPORT), out, sizeof(out), &len),
	       0, "BADVERS built");
	same_bytes(out, len, &want, "BADVERS reply");
	is_int(dns_rcode_for_error(-EINVAL), -1, "-EINVAL: drop");
}

/* Parse @p after applying a header word change; return the result. */
static int parse_with(const struct pkt *p, size_t off, uint16_t v)
{
	struct pkt c = *p;
	struct dns_query q;

	c.b[off] = (uint8_t)(v >> 8);
	c.b[off + 1] = (uint8_t)v;
	return dns_parse_query(c.b, c.n, &q);
}

static int parse_hex_name(const char *wire, size_t wlen, const char *tail_hex)
{
	struct pkt p = {0};
	struct dns_query q;

	hex(&p, "00 01 00 00 00 01 00 00 00 00 00 00");
	raw_n(&p, wire, wlen);
	hex(&p, tail_hex);
	return dns_parse_query(p.b, p.n, &q);
}

static void test_malformed(void)
{
	struct pkt p, c;
	struct dns_query q;
	bool all = true;
	char name[300];
	int n;

	make_a_query(&p);
	for (size_t i = 0; i < p.n; i++) {
		int r = dns_parse_query(p.b, i, &q);

		if (r != (i < 12 ? -EINVAL : -EBADMSG)) {
			all = false;
			printf("#   prefix %zu: %d\n", i, r);
		}
	}
	ok(all, "every truncation: -EINVAL below 12 octets, else -EBADMSG");
	c = p;
	c.b[c.n++] = 0;
	is_int(dns_parse_query(c.b, c.n, &q), -EBADMSG, "trailing octet: FORMERR");
	is_int(parse_with(&p, 2, 0x8100), -EINVAL, "QR = 1: dropped");
	is_int(parse_with(&p, 2, 0x0900), -EOPNOTSUPP, "opcode IQUERY: NOTIMP");
	is_int(parse_with(&p, 2, 0x2900), -EOPNOTSUPP, "opcode UPDATE: NOTIMP");
	is_int(parse_with(&p, 2, 0x0300), -EBADMSG, "TC in a query: FORMERR");
	is_int(parse_with(&p, 4, 0), -EBADMSG, "QDCOUNT 0: FORMERR");
	is_int(parse_with(&p, 4, 2), -EBADMSG, "QDCOUNT 2: FORMERR");
	is_int(parse_with(&p, 6, 1), -EBADMSG, "ANCOUNT 1: FORMERR");
	is_int(parse_with(&p, 8, 1), -EBADMSG, "NSCOUNT 1: FORMERR");
	is_int(parse_with(&p, 10, 1), -EBADMSG, "ARCOUNT 1 without a record: FORMERR");

	is_int(parse_hex_name("\300\014", 2, "00 01 00 01"), -EBADMSG, "pointer to header refused");
	is_int(parse_hex_name("\001a\300\014", 4, "00 01 00 01"), -EBADMSG,
	       "pointer back into the name (loop) refused");
	is_int(parse_hex_name("\001a\300\016", 4, "00 01 00 01"), -EBADMSG,
	       "pointer to itself refused");
	is_int(parse_hex_name("\100a\000", 3, "00 01 00 01"), -EBADMSG, "label type 01 refused");
	is_int(parse_hex_name("\200a\000", 3, "00 01 00 01"), -EBADMSG, "label type 10 refused");
	is_int(parse_hex_name("\000", 1, "00 02 00 01"), 0, "root name accepted");

	/* Labels of 63 accepted, 64 refused; names of 255 accepted, 256 refused. */
	memset(name, 'a', sizeof(name));
	name[0] = 63;
	name[64] = 0;
	is_int(parse_hex_name(name, 65, "00 01 00 01"), 0, "63-octet label accepted");
	name[0] = 64;
	name[64] = 'a';
	name[65] = 0;
	is_int(parse_hex_name(name, 66, "00 01 00 01"), -EBADMSG, "64-octet label refused");
	memset(name, 'a', sizeof(name));
	for (n = 0; n < 3; n++)
		name[n * 64] = 63;
	name[192] = 61; /* 3 * 64 + 62 = 254 octets, and the root */
	name[254] = 0;
	is_int(parse_hex_name(name, 255, "00 01 00 01"), 0, "255-octet name accepted");
	name[192] = 62;
	name[254] = 'a';
	name[255] = 0;
	is_int(parse_hex_name(name, 256, "00 01 00 01"), -EBADMSG, "256-octet name refused");

	is_int(parse_hex_name("\001a\000", 3,
			      "00 01 00 01 00 00 29 10 00 00 00 00 00 00 00"
			      " 00 00 29 10 00 00 00 00 00 00 00"),
	       -EBADMSG, "two OPT records refused");
	p.n = 0;
	hex(&p, "00 01 00 00 00 01 00 00 00 00 00 02");
	RAW(&p, "\001a\000");
	hex(&p, "00 01 00 01 00 00 29 10 00 00 00 00 00 00 00 00 00 29 10 00 00 00 00 00 00 00");
	is_int(dns_parse_query(p.b, p.n, &q), -EBADMSG, "ARCOUNT 2: FORMERR");
	is_int(parse_hex_name("\001a\000", 3, "00 01 00 01 00 00 01 00 01 00 00 00 00 00 00"),
	       -EBADMSG, "ARCOUNT 0 with a record: FORMERR");
	p.n = 0;
	hex(&p, "00 01 00 00 00 01 00 00 00 00 00 01");
	RAW(&p, "\001a\000");
	hex(&p, "00 01 00 01 00 00 01 00 01 00 00 00 00 00 00"); /* an A record, not OPT */
	is_int(dns_parse_query(p.b, p.n, &q), -EBADMSG, "non-OPT additional: FORMERR");
	p.n = 0;
	hex(&p, "00 01 00 00 00 01 00 00 00 00 00 01");
	RAW(&p, "\001a\000");
	hex(&p, "00 01 00 01 00 00 29 10 00 00 00 00 00 00 08 00 0a 00 05 01 02 03 04");
	is_int(dns_parse_query(p.b, p.n, &q), -EBADMSG, "OPT option overrunning RDATA: FORMERR");
	p.b[p.n - 5] = 4;
	is_int(dns_parse_query(p.b, p.n, &q), 0, "OPT with one cookie-like option accepted");
	c.n = DNS_QUERY_MAX + 1;
	memset(c.b, 0, c.n);
	c.b[5] = 1;
	is_int(dns_parse_query(c.b, c.n, &q), -EBADMSG, "oversized query: FORMERR");
}

static void test_names(void)
{
	struct pkt p = {0};
	struct dns_query q;
	uint8_t w[DNS_NAME_WIRE_MAX];
	char text[DNS_NAME_TEXT_MAX];
	size_t len = 0;

	hex(&p, "00 01 00 00 00 01 00 00 00 00 00 00");
	RAW(&p, "\003A.b\003x\000\\\002_Z\000");
	hex(&p, "00 10 00 01");
	is_int(dns_parse_query(p.b, p.n, &q), 0, "odd octets parse");
	is_str(q.name, "a\\.b.x\\000\\\\._z", "escaped presentation form");
	ok(!dns_name_is_host(q.name), "escaped name is not a host name");
	is_int(dns_name_to_wire(q.name, w, sizeof(w), &len), 0, "escaped name back to wire");
	ok(len == 12 && memcmp(w, "\003a.b\003x\000\\\002_z\000", 12) == 0, "round trip");
	is_int(dns_name_to_text(w, len, text, sizeof(text), NULL), 0, "and to text again");
	is_str(text, q.name, "same text");

	is_int(dns_name_to_wire("example.com.", w, sizeof(w), &len), 0, "final dot accepted");
	ok(len == 13 && memcmp(w, "\007example\003com\000", 13) == 0, "example.com wire");
	is_int(dns_name_to_wire(".", w, sizeof(w), &len), 0, "root");
	ok(len == 1 && w[0] == 0, "root wire");
	is_int(dns_name_to_wire("a..b", w, sizeof(w), &len), -EINVAL, "empty label");
	is_int(dns_name_to_wire(".a", w, sizeof(w), &len), -EINVAL, "leading dot");
	is_int(dns_name_to_wire("a\\256", w, sizeof(w), &len), -EINVAL, "\\256");
	is_int(dns_name_to_wire("a\\12", w, sizeof(w), &len), -EINVAL, "short \\DDD");
	is_int(dns_name_to_wire("a\\", w, sizeof(w), &len), -EINVAL, "trailing backslash");
	is_int(dns_name_to_wire("example.com", w, 5, &len), -ENOBUFS, "small buffer");
	is_int(dns_name_to_text((const uint8_t *)"\001a", 2, text, sizeof(text), NULL), -EBADMSG,
	       "unterminated wire name");

	ok(dns_name_is_host("www.example-1.co_m"), "host name");
	ok(!dns_name_is_host("www.example.com."), "final dot not a host name");
	ok(!dns_name_is_host("."), "root not a host name");
	ok(!dns_name_is_host(""), "empty not a host name");
	ok(!dns_name_is_host("a..b"), "empty label not a host name");
	ok(!dns_name_is_host("Www.example.com"), "uppercase not normalised");
	memset(text, 'a', 64);
	text[64] = '\0';
	ok(!dns_name_is_host(text), "64-character label not a host name");
}

/* An upstream response to the forwarded "www.Example.com A", ID 0xabcd. */
static void make_response(struct pkt *p, const char *qname, size_t qlen)
{
	p->n = 0;
	hex(p, "ab cd 81 80 00 01 00 02 00 00 00 00");
	raw_n(p, qname, qlen);
	hex(p, "00 01 00 01");
	/* CNAME to cdn.example.com (compressed: "cdn" + pointer to "example.com" at 16). */
	hex(p, "c0 0c 00 05 00 01 00 00 01 2c 00 06 03 63 64 6e c0 10");
	/* cdn.example.com A 203.0.113.7: owner is a pointer to the CNAME target at 45. */
	hex(p, "c0 2d 00 01 00 01 00 00 01 2c 00 04 cb 00 71 07");
}

static void test_response(void)
{
	struct pkt p, r;
	struct dns_query q;
	size_t len = 0;

	make_a_query(&p);
	dns_parse_query(p.b, p.n, &q);
	make_response(&r, "\003www\007Example\003com\000", 17);
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), 0, "good response accepted");
	ok(len == r.n && r.b[0] == 0x12 && r.b[1] == 0x34, "ID rewritten to the app's");
	make_response(&r, "\003WWW\007example\003COM\000", 17);
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), 0, "question case differs: ok");
	make_response(&r, "\003www\007Example\003com\000", 17);
	is_int(dns_check_response(&q, 0xabce, r.b, r.n, &len), -ESRCH, "wrong ID");
	make_response(&r, "\003www\007Example\003org\000", 17);
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -ESRCH, "other question");
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[30] = 0x1c;
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -ESRCH, "other QTYPE");
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[2] = 0x01;
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -EBADMSG, "QR = 0");
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[r.n - 15] = 0x3f; /* second owner pointer: forward, to offset 63 */
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -EBADMSG, "forward pointer");
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[r.n - 15] = 0x33; /* to itself (offset 51) */
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -EBADMSG, "pointer loop");
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[r.n - 5] = 0x05;
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -EBADMSG, "RDLENGTH overruns");
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[r.n++] = 0;
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -EBADMSG, "trailing octet");
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[7] = 3;
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), -EBADMSG, "ANCOUNT too high");
	is_int(dns_check_response(&q, 0xabcd, r.b, 11, &len), -EBADMSG, "shorter than a header");

	/* Larger than the app's 512: header and question with TC. */
	make_response(&r, "\003www\007Example\003com\000", 17);
	r.b[11] = 1;
	hex(&r, "00 00 10 00 01 00 00 00 00 01 f4"); /* . TXT, RDLENGTH 500 */
	memset(r.b + r.n, 'x', 500);
	r.n += 500;
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), 0, "oversized response accepted");
	ok(len == 12 + 17 + 4 && (r.b[2] & 0x02) && r.b[7] == 0 && r.b[11] == 0,
	   "cut to header + question with TC");
}

/* Our own lookups (url = direct): the query built for a name, the address read back. */
static void test_response_addr(void)
{
	static const uint8_t want4[4] = {203, 0, 113, 7};
	uint8_t buf[512], addr[16];
	struct dns_query q, q6;
	struct pkt p, r;
	size_t len = 0;

	is_int(dns_query_for(&q, "www.Example.com", DNS_TYPE_A), 0, "query for a name");
	ok(q.has_question && strcmp(q.name, "www.example.com") == 0 && q.wire_len == 17 &&
		   q.qclass == DNS_CLASS_IN && q.max_reply == DNS_MSG_MAX,
	   "its question, any reply size");
	is_int(dns_build_query(&q, 0xabcd, buf, sizeof(buf), &len), 0, "built");
	p.n = 0;
	hex(&p, "ab cd 01 00 00 01 00 00 00 00 00 00");
	RAW(&p, "\003www\007Example\003com\000");
	hex(&p, "00 01 00 01");
	same_bytes(buf, len, &p, "query for www.Example.com A, RD");
	is_int(dns_query_for(&q6, "a..b", DNS_TYPE_A), -EINVAL, "query for a bad name refused");

	make_response(&r, "\003www\007Example\003com\000", 17);
	is_int(dns_check_response(&q, 0xabcd, r.b, r.n, &len), 0, "the answer is accepted");
	is_int(dns_response_addr(r.b, r.n, &q, addr), AF_INET, "an IPv4 address, after the CNAME");
	ok(memcmp(addr, want4, 4) == 0, "the A record's address (203.0.113.7)");
	dns_query_for(&q6, "www.Example.com", DNS_TYPE_AAAA);
	is_int(dns_response_addr(r.b, r.n, &q6, addr), -ENOENT, "no AAAA record: -ENOENT");
	r.b[3] = 0x83; /* NXDOMAIN */
	is_int(dns_response_addr(r.b, r.n, &q, addr), -ENOENT, "NXDOMAIN: -ENOENT");
	r.b[3] = 0x80;
	is_int(dns_response_addr(r.b, r.n - 2, &q, addr), -EBADMSG, "cut short: -EBADMSG");
	r.b[7] = 0;
	is_int(dns_response_addr(r.b, r.n, &q, addr), -ENOENT, "no answers: -ENOENT");
	r.b[7] = 2;
	r.b[r.n - 13] = 0x10; /* the A record a TXT: no address */
	is_int(dns_response_addr(r.b, r.n, &q, addr), -ENOENT, "no record of the type: -ENOENT");
	r.b[7] = 3;
	is_int(dns_response_addr(r.b, r.n, &q, addr), -EBADMSG, "ANCOUNT too high: -EBADMSG");
	is_int(dns_response_addr(r.b, 20, &q, addr), -EBADMSG, "shorter than the question");
}

/* Two framed messages; feed them in three pieces split at @i and @j. */
static int feed_split(const uint8_t *s, size_t n, size_t i, size_t j, uint8_t *msgs, size_t *got)
{
	uint8_t buf[64];
	struct dns_tcp_reader r;
	size_t cut[4] = {0, i, j, n}, k = 0;

	dns_tcp_reader_init(&r, buf, sizeof(buf));
	*got = 0;
	for (int piece = 0; piece < 3; piece++) {
		size_t off = cut[piece];

		while (off < cut[piece + 1]) {
			size_t used = 0, mlen = 0;
			int rc = dns_tcp_reader_feed(&r, s + off, cut[piece + 1] - off, &used,
						     &mlen);

			if (rc < 0)
				return rc;
			off += used;
			if (rc == 1) {
				memcpy(msgs + k, buf, mlen);
				k += mlen;
				(*got)++;
			}
		}
	}
	return dns_tcp_reader_idle(&r) ? (int)k : -1;
}

static void test_tcp_reader(void)
{
	static const uint8_t stream[] = {0,   13,  'f', 'i', 'r', 's', 't', ' ', 'm', 'e',
					 's', 's', 'a', 'g', 'e', 0,   3,   't', 'w', 'o'};
	uint8_t msgs[64], buf[8];
	struct dns_tcp_reader r;
	size_t n = sizeof(stream), got, used, mlen;
	bool all = true;

	for (size_t i = 0; i <= n; i++) {
		for (size_t j = i; j <= n; j++) {
			int k = feed_split(stream, n, i, j, msgs, &got);

			if (k != 16 || got != 2 || memcmp(msgs, "first messagetwo", 16) != 0) {
				all = false;
				printf("#   split %zu/%zu: %d, %zu messages\n", i, j, k, got);
			}
		}
	}
	ok(all, "two messages come out whole for every split in three pieces");

	dns_tcp_reader_init(&r, buf, sizeof(buf));
	is_int(dns_tcp_reader_feed(&r, (const uint8_t *)"\000", 1, &used, &mlen), 0,
	       "half a prefix");
	ok(!dns_tcp_reader_idle(&r), "mid-prefix: not idle");
	is_int(dns_tcp_reader_feed(&r, (const uint8_t *)"\000", 1, &used, &mlen), -EMSGSIZE,
	       "length 0 refused");
	is_int(dns_tcp_reader_feed(&r, (const uint8_t *)"\000\001a", 3, &used, &mlen), -EMSGSIZE,
	       "and the stream stays failed");
	dns_tcp_reader_init(&r, buf, sizeof(buf));
	is_int(dns_tcp_reader_feed(&r, (const uint8_t *)"\000\011", 2, &used, &mlen), -EMSGSIZE,
	       "length above the buffer refused");
	dns_tcp_reader_init(&r, buf, sizeof(buf));
	is_int(dns_tcp_reader_feed(&r, (const uint8_t *)"\000\010abcdefgh\000", 11, &used, &mlen),
	       1, "length equal to the buffer accepted");
	ok(used == 10 && mlen == 8 && memcmp(buf, "abcdefgh", 8) == 0 && dns_tcp_reader_idle(&r),
	   "stops after the message");
}

int main(void)
{
	test_a_query();
	test_aaaa_edns();
	test_truncation();
	test_ptr();
	test_errors();
	test_malformed();
	test_names();
	test_response();
	test_response_addr();
	test_tcp_reader();
	return tap_done();
}
