/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_dns_fake.c - the fake-IP pool: its ranges, mappings, LRU reuse, export and
 * import, and a pool filled to capacity.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"
#include "tap.h"

static void pool_config(struct dns_fake_config *c, uint32_t capacity)
{
	memset(c, 0, sizeof(*c));
	inet_pton(AF_INET, "198.18.0.0", &c->v4_base);
	c->v4_prefix = 15;
	inet_pton(AF_INET6, "fd6e:7370:1:2::", &c->v6_base);
	c->v6_prefix = 64;
	c->capacity = capacity;
	memcpy(c->seed, "0123456789abcdef", 16);
}

static const char *v4s(const struct in_addr *a)
{
	static char s[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, a, s, sizeof(s));
}

static const char *v6s(const struct in6_addr *a)
{
	static char s[INET6_ADDRSTRLEN];

	return inet_ntop(AF_INET6, a, s, sizeof(s));
}

static void test_pool_init(void)
{
	struct dns_fake_config c;
	struct dns_fake pool;

	pool_config(&c, 131070);
	is_int(dns_fake_init(&pool, &c), 0, "/15 with 131070 mappings");
	dns_fake_free(&pool);
	c.capacity = 131071;
	is_int(dns_fake_init(&pool, &c), -EINVAL, "capacity above the /15's usable addresses");
	pool_config(&c, 0);
	is_int(dns_fake_init(&pool, &c), -EINVAL, "capacity 0");
	pool_config(&c, 10);
	inet_pton(AF_INET, "198.18.0.1", &c.v4_base);
	is_int(dns_fake_init(&pool, &c), -EINVAL, "v4 host bits set");
	pool_config(&c, 10);
	c.v6_prefix = 48;
	is_int(dns_fake_init(&pool, &c), -EINVAL, "v6 prefix shorter than 64");
	pool_config(&c, 10);
	inet_pton(AF_INET6, "fd6e:7370:1:2::1", &c.v6_base);
	is_int(dns_fake_init(&pool, &c), -EINVAL, "v6 host bits set");
	pool_config(&c, 10);
	c.v4_prefix = 31;
	is_int(dns_fake_init(&pool, &c), -EINVAL, "v4 /31");
	pool_config(&c, 10);
	c.v4_prefix = 28;
	c.capacity = 14;
	c.v6_prefix = 124;
	is_int(dns_fake_init(&pool, &c), 0, "/28 and /124: 14 mappings");
	dns_fake_free(&pool);
}

static void test_pool_mapping(void)
{
	struct dns_fake_config c;
	struct dns_fake pool;
	struct in_addr a1, a2, a3;
	struct in6_addr b1, b2;
	int fam;
	uint8_t rev[16];

	pool_config(&c, 100);
	dns_fake_init(&pool, &c);
	is_int(dns_fake_lookup_name(&pool, "example.com", AF_INET, 1000, &a1), 0, "first name");
	is_str(v4s(&a1), "198.18.0.1", "first address");
	is_int(dns_fake_lookup_name(&pool, "example.org", AF_INET, 1000, &a2), 0, "second name");
	is_str(v4s(&a2), "198.18.0.2", "second address");
	is_int(dns_fake_lookup_name(&pool, "example.com", AF_INET, 1001, &a3), 0, "again");
	ok(a3.s_addr == a1.s_addr, "same name, same address");
	is_int(dns_fake_lookup_name(&pool, "example.com", AF_INET6, 1001, &b1), 0, "AAAA");
	is_str(v6s(&b1), "fd6e:7370:1:2::1", "v6 address of the same slot");
	dns_fake_lookup_name(&pool, "example.org", AF_INET6, 1001, &b2);
	is_str(v6s(&b2), "fd6e:7370:1:2::2", "second v6 address");
	is_int(dns_fake_count(&pool), 2, "two mappings");

	is_str(dns_fake_lookup_addr(&pool, AF_INET, &a2), "example.org", "v4 -> name");
	is_str(dns_fake_lookup_addr(&pool, AF_INET6, &b1), "example.com", "v6 -> name");
	inet_pton(AF_INET, "198.18.0.3", &a3);
	ok(dns_fake_lookup_addr(&pool, AF_INET, &a3) == NULL, "unmapped address: NULL");
	ok(dns_fake_contains(&pool, AF_INET, &a3), "but inside the range");
	inet_pton(AF_INET, "198.20.0.1", &a3);
	ok(!dns_fake_contains(&pool, AF_INET, &a3), "198.20.0.1 outside");
	ok(dns_fake_lookup_addr(&pool, AF_INET, &a3) == NULL, "outside: NULL");
	inet_pton(AF_INET, "198.18.0.0", &a3);
	ok(dns_fake_lookup_addr(&pool, AF_INET, &a3) == NULL, "network address never mapped");

	/* PTR path: reverse name -> address -> name. */
	is_int(dns_reverse_to_addr("2.0.18.198.in-addr.arpa", &fam, rev), 0, "reverse of .2");
	is_str(dns_fake_lookup_addr(&pool, fam, rev), "example.org", "PTR finds the name");
	is_int(dns_reverse_to_addr(
		       "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.0.0.0.1.0.0.0.0.7.3.7.e.6.d.f."
		       "ip6.arpa",
		       &fam, rev),
	       0, "ip6.arpa reverse of ::1");
	is_str(dns_fake_lookup_addr(&pool, fam, rev), "example.com", "v6 PTR finds the name");

	is_int(dns_fake_lookup_name(&pool, "Example.com", AF_INET, 1, &a3), -EINVAL,
	       "uppercase refused");
	is_int(dns_fake_lookup_name(&pool, "a\\000b", AF_INET, 1, &a3), -EINVAL,
	       "escaped name refused");
	is_int(dns_fake_lookup_name(&pool, "a.b", AF_UNIX, 1, &a3), -EAFNOSUPPORT, "AF_UNIX");
	dns_fake_free(&pool);

	c.v6_prefix = 0;
	dns_fake_init(&pool, &c);
	is_int(dns_fake_lookup_name(&pool, "a.b", AF_INET6, 1, &b1), -EAFNOSUPPORT,
	       "no v6 pool: AAAA refused");
	dns_fake_free(&pool);
}

static void test_pool_lru(void)
{
	struct dns_fake_config c;
	struct dns_fake pool;
	struct in_addr a, b, cc, d, e;

	pool_config(&c, 3);
	c.min_reuse_age = 10;
	dns_fake_init(&pool, &c);
	dns_fake_lookup_name(&pool, "a.test", AF_INET, 100, &a);
	dns_fake_lookup_name(&pool, "b.test", AF_INET, 101, &b);
	dns_fake_lookup_name(&pool, "c.test", AF_INET, 102, &cc);
	is_int(dns_fake_lookup_name(&pool, "d.test", AF_INET, 105, &d), -ENOSPC,
	       "full and all used within min_reuse_age: -ENOSPC");
	dns_fake_lookup_name(&pool, "a.test", AF_INET, 106, &e); /* touch a: b is now LRU */
	is_int(dns_fake_lookup_name(&pool, "d.test", AF_INET, 120, &d), 0, "d reuses a slot");
	ok(d.s_addr == b.s_addr, "the least recently used one (b's)");
	is_str(dns_fake_lookup_addr(&pool, AF_INET, &b), "d.test", "b's address now means d");
	is_int(dns_fake_count(&pool), 3, "still 3 mappings");

	/* Referenced addresses are never recycled. */
	is_int(dns_fake_ref(&pool, AF_INET, &cc), 0, "ref c (LRU now)");
	is_int(dns_fake_ref(&pool, AF_INET, &cc), 0, "ref c twice");
	is_int(dns_fake_lookup_name(&pool, "e.test", AF_INET, 200, &e), 0, "e reuses a slot");
	ok(e.s_addr == a.s_addr, "a's, not the held c's");
	is_int(dns_fake_ref(&pool, AF_INET, &d), 0, "ref d");
	is_int(dns_fake_ref(&pool, AF_INET, &e), 0, "ref e");
	is_int(dns_fake_lookup_name(&pool, "f.test", AF_INET, 300, &a), -ENOSPC,
	       "all held: -ENOSPC");
	is_str(dns_fake_lookup_addr(&pool, AF_INET, &cc), "c.test", "c kept");
	is_int(dns_fake_lookup_name(&pool, "c.test", AF_INET, 300, &a), 0,
	       "known name still answers when full");
	is_int(dns_fake_unref(&pool, AF_INET, &cc), 0, "unref c once");
	is_int(dns_fake_lookup_name(&pool, "f.test", AF_INET, 400, &a), -ENOSPC,
	       "c still held once");
	is_int(dns_fake_unref(&pool, AF_INET, &cc), 0, "unref c again");
	is_int(dns_fake_unref(&pool, AF_INET, &cc), -ENOENT, "unref below zero refused");
	is_int(dns_fake_lookup_name(&pool, "f.test", AF_INET, 400, &a), 0, "f gets c's slot");
	ok(a.s_addr == cc.s_addr, "c's address");
	is_int(dns_fake_ref(&pool, AF_INET, &b), 0, "b's old address (now d) takes a reference");
	inet_pton(AF_INET, "198.18.0.50", &a);
	is_int(dns_fake_ref(&pool, AF_INET, &a), -ENOENT, "unmapped address: -ENOENT");
	dns_fake_free(&pool);
}

struct export
{
	char names[64][32];
	struct in_addr v4[64];
	struct in6_addr v6[64];
	uint64_t used[64];
	int n;
};

static int collect(const char *name, const struct in_addr *v4, const struct in6_addr *v6,
		   uint64_t last_used, void *userdata)
{
	struct export *x = userdata;

	snprintf(x->names[x->n], sizeof(x->names[0]), "%s", name);
	x->v4[x->n] = *v4;
	x->v6[x->n] = v6 ? *v6 : in6addr_any;
	x->used[x->n++] = last_used;
	return 0;
}

static void test_pool_persist(void)
{
	struct dns_fake_config c;
	struct dns_fake pool, again;
	struct export x = {0}, y = {0};
	struct in_addr a, out;
	struct in6_addr b;
	char name[32];
	bool same = true;

	pool_config(&c, 40);
	dns_fake_init(&pool, &c);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "host%d.example", i);
		dns_fake_lookup_name(&pool, name, AF_INET, 1000 + (uint64_t)((i * 7) % 40), &a);
	}
	dns_fake_foreach(&pool, collect, &x);
	is_int(x.n, 40, "40 mappings exported");

	dns_fake_init(&again, &c);
	for (int i = x.n - 1; i >= 0; i--) /* reverse order on purpose */
		if (dns_fake_insert(&again, x.names[i], &x.v4[i], &x.v6[i], x.used[i]) != 0)
			same = false;
	ok(same, "all imported");
	dns_fake_foreach(&again, collect, &y);
	ok(y.n == 40 && memcmp(x.names, y.names, sizeof(x.names)) == 0 &&
		   memcmp(x.v4, y.v4, sizeof(x.v4)) == 0 &&
		   memcmp(x.used, y.used, sizeof(x.used)) == 0,
	   "export of the import is the same");
	for (int i = 0; i < 40; i++) {
		const char *n = dns_fake_lookup_addr(&again, AF_INET, &x.v4[i]);

		if (!n || strcmp(n, x.names[i]) != 0)
			same = false;
	}
	ok(same, "names keep their addresses");

	/* Recycling after import follows last use, not insertion order: host0 (1000) first. */
	dns_fake_lookup_name(&again, "new.example", AF_INET, 5000, &out);
	ok(out.s_addr == x.v4[0].s_addr, "oldest imported mapping (host0) recycled first");
	dns_fake_lookup_name(&again, "new2.example", AF_INET, 5000, &out);
	ok(out.s_addr == x.v4[23].s_addr, "then host23 (last used 1001)");

	inet_pton(AF_INET, "198.18.0.41", &a);
	is_int(dns_fake_insert(&again, "z.example", &a, NULL, 1), -EINVAL, "slot beyond capacity");
	inet_pton(AF_INET, "10.0.0.1", &a);
	is_int(dns_fake_insert(&again, "z.example", &a, NULL, 1), -EINVAL, "outside the range");
	is_int(dns_fake_insert(&again, "host5.example", &x.v4[5], NULL, 1), -EEXIST,
	       "duplicate name");
	is_int(dns_fake_insert(&again, "z.example", &x.v4[5], NULL, 1), -EEXIST, "slot taken");
	is_int(dns_fake_insert(&again, "Z..example", &x.v4[5], NULL, 1), -EINVAL, "bad name");
	dns_fake_free(&again);
	dns_fake_free(&pool);

	dns_fake_init(&pool, &c);
	inet_pton(AF_INET, "198.18.0.7", &a);
	inet_pton(AF_INET6, "fd6e:7370:1:2::8", &b);
	is_int(dns_fake_insert(&pool, "z.example", &a, &b, 1), -EINVAL, "v6 of another slot");
	inet_pton(AF_INET6, "fd6e:7370:1:2::7", &b);
	is_int(dns_fake_insert(&pool, "z.example", &a, &b, 1), 0, "matching v6 accepted");
	is_int(dns_fake_lookup_name(&pool, "y.example", AF_INET, 2, &out), 0, "then a new name");
	is_str(v4s(&out), "198.18.0.1", "gets a free slot below the imported one");
	dns_fake_free(&pool);
}

static void test_pool_many(void)
{
	struct dns_fake_config c;
	struct dns_fake pool;
	struct in_addr a;
	char name[64];
	bool good = true;

	pool_config(&c, 20000);
	dns_fake_init(&pool, &c);
	for (uint32_t i = 0; i < 20000 && good; i++) {
		snprintf(name, sizeof(name), "n%u.example.net", i);
		good = dns_fake_lookup_name(&pool, name, AF_INET, i, &a) == 0 &&
		       ntohl(a.s_addr) == 0xc6120001 + i;
	}
	ok(good, "20000 names get 20000 consecutive addresses");
	for (uint32_t i = 0; i < 20000 && good; i++) {
		snprintf(name, sizeof(name), "n%u.example.net", i);
		a.s_addr = htonl(0xc6120001 + i);
		good = dns_fake_lookup_addr(&pool, AF_INET, &a) &&
		       strcmp(dns_fake_lookup_addr(&pool, AF_INET, &a), name) == 0;
	}
	ok(good, "and each address finds its name");
	is_int(dns_fake_lookup_name(&pool, "more.example.net", AF_INET, 30000, &a), 0,
	       "full pool recycles");
	is_int(ntohl(a.s_addr), 0xc6120001, "the oldest (n0)");
	dns_fake_free(&pool);
}

int main(void)
{
	test_pool_init();
	test_pool_mapping();
	test_pool_lru();
	test_pool_persist();
	test_pool_many();
	return tap_done();
}
