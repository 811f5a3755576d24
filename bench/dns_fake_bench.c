/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns_fake_bench.c - micro-benchmark of the fake-mode DNS path on one core:
 * dns_parse_query() + dns_fake_lookup_name() + dns_build_addr_answer() per
 * query, and the memory one mapping costs.  Built and run by
 * bench/dns_bench.sh; not a test.  Targets (bench/README.md): 20,000 queries/s,
 * at most 200 bytes per mapping.
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "dns/dns.h"

#define NAMES 100000u
#define QUERIES 200000u

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void name_of(unsigned int i, char *out, size_t cap)
{
	/* Names shaped like a browser's: a host under a few thousand domains. */
	static const char *const host[] = {"www", "cdn", "api", "static", "img", "login"};

	snprintf(out, cap, "%s.site%u.example.com", host[i % 6], i / 6);
}

/* A wire query for @name, as a stub resolver sends it (RD, EDNS 1232). */
static size_t make_query(const char *name, uint16_t id, uint16_t type, uint8_t *out)
{
	size_t wlen;

	memset(out, 0, DNS_HDR_LEN);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	out[2] = 0x01;
	out[5] = 1;
	out[11] = 1;
	if (dns_name_to_wire(name, out + DNS_HDR_LEN, DNS_NAME_WIRE_MAX, &wlen) != 0)
		abort();
	uint8_t *p = out + DNS_HDR_LEN + wlen;
	p[0] = 0, p[1] = (uint8_t)type, p[2] = 0, p[3] = 1;
	memcpy(p + 4, "\0\0\51\4\320\0\0\0\0\0\0", 11);
	return DNS_HDR_LEN + wlen + 15;
}

static void config(struct dns_fake_config *c)
{
	memset(c, 0, sizeof(*c));
	inet_pton(AF_INET, "198.18.0.0", &c->v4_base);
	c->v4_prefix = 15;
	inet_pton(AF_INET6, "fd6e:7370:1:2::", &c->v6_base);
	c->v6_prefix = 64;
	c->capacity = 131070;
	for (int i = 0; i < 16; i++)
		c->seed[i] = (uint8_t)rand();
}

static int bench_queries(void)
{
	static uint8_t pkts[4096][300];
	static size_t lens[4096];
	struct dns_fake_config c;
	struct dns_fake pool;
	struct dns_query q;
	uint8_t out[1232], addr[16];
	char name[128];
	size_t len;
	double t0, t;

	config(&c);
	if (dns_fake_init(&pool, &c) != 0)
		return 1;
	for (unsigned int i = 0; i < 4096; i++) {
		name_of((i * 2654435761u) % NAMES, name, sizeof(name));
		lens[i] =
			make_query(name, (uint16_t)i, i % 2 ? DNS_TYPE_AAAA : DNS_TYPE_A, pkts[i]);
	}
	t0 = now_s();
	for (unsigned int i = 0; i < QUERIES; i++) {
		unsigned int k = i % 4096;
		int fam;

		if (dns_parse_query(pkts[k], lens[k], &q) != 0)
			return 1;
		fam = q.qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
		if (dns_fake_lookup_name(&pool, q.name, fam, i / 1000, addr) != 0 ||
		    dns_build_addr_answer(&q, fam, addr, 1, 10, out, sizeof(out), &len) != 0)
			return 1;
	}
	t = now_s() - t0;
	printf("fake-mode queries: %u in %.3f s = %.0f queries/s on one core (%.2f us each)\n",
	       QUERIES, t, QUERIES / t, t / QUERIES * 1e6);
	dns_fake_free(&pool);
	return 0;
}

static int bench_memory(void)
{
	struct dns_fake_config c;
	struct dns_fake pool;
	struct mallinfo2 before, after;
	size_t used;
	uint8_t addr[16];
	char name[128];
	size_t name_bytes = 0;
	double t0, t;

	config(&c);
	before = mallinfo2();
	if (dns_fake_init(&pool, &c) != 0)
		return 1;
	t0 = now_s();
	for (unsigned int i = 0; i < NAMES; i++) {
		name_of(i, name, sizeof(name));
		name_bytes += strlen(name);
		if (dns_fake_lookup_name(&pool, name, AF_INET, i, addr) != 0)
			return 1;
	}
	t = now_s() - t0;
	after = mallinfo2();
	/* Heap chunks in use plus mmap()ed ones (the slot array and buckets are large). */
	used = after.uordblks + after.hblkhd - before.uordblks - before.hblkhd;
	printf("mappings: %u new names in %.3f s (%.0f/s)\n", NAMES, t, NAMES / t);
	printf("memory: %.1f bytes per mapping (heap in use, %zu total); entry struct %zu bytes, "
	       "average name %.1f characters, %u slots, %u buckets\n",
	       (double)used / NAMES, used, sizeof(struct dns_fake_entry),
	       (double)name_bytes / NAMES, pool.n_slots, pool.n_buckets);
	dns_fake_free(&pool);
	return 0;
}

int main(void)
{
	srand((unsigned int)time(NULL));
	return bench_queries() || bench_memory();
}
