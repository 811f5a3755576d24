/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dns_fake.c - the fake-IP pool: names <-> addresses, bounded, LRU reuse.
 *
 * Slot i of the pool stands for address base + 1 + i in each family (the
 * first and last address of a range are never handed out), so address ->
 * name is arithmetic plus one array access.  Name -> slot is a chained hash
 * table keyed with SipHash-1-3 under the caller's random seed, so names
 * chosen by a program inside the subject cannot make the chains long.
 *
 * Unreferenced mappings sit on a doubly linked LRU list; a mapping held by
 * a live connection (dns_fake_ref()) is taken off it, so the tail is always
 * the one to reuse and reuse is O(1).  Free slots below n_slots sit on a
 * second list through the same links.
 *
 * Memory per mapping: sizeof(struct dns_fake_entry) (40 on LP64) + 4 to 8
 * octets of bucket + the name's own allocation (malloc rounds strlen + 1 up
 * to 24, 40, 56 ... octets); bench/dns_fake_bench.c measures it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns/dns.h"

#define NIL UINT32_MAX
#define CAPACITY_MAX (1u << 22)
#define SLOTS_MIN 64u

/* ---- SipHash-1-3 (Aumasson & Bernstein), 64-bit output folded to 32 ---- */

static uint64_t rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13) ^ v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17) ^ v[2];
	v[2] = rotl(v[2], 32);
}

static uint64_t load64_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint32_t name_hash(const uint8_t seed[16], const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;
	uint64_t k0 = load64_le(seed, 8), k1 = load64_le(seed + 8, 8), m;
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			 k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load64_le(p + i, 8);
		v[3] ^= m;
		sip_round(v);
		v[0] ^= m;
	}
	m = load64_le(p + i, len - i) | (uint64_t)len << 56;
	v[3] ^= m;
	sip_round(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (i = 0; i < 3; i++)
		sip_round(v);
	m = v[0] ^ v[1] ^ v[2] ^ v[3];
	return (uint32_t)(m ^ m >> 32);
}

/* ---- address arithmetic ---- */

/* Usable host addresses of a range with @host_bits (all but first and last). */
static uint64_t range_usable(unsigned int host_bits)
{
	return (host_bits >= 64 ? UINT64_MAX : (1ull << host_bits) - 1) - 1;
}

static uint64_t host_mask(unsigned int host_bits)
{
	return host_bits >= 64 ? UINT64_MAX : (1ull << host_bits) - 1;
}

static uint64_t v6_low(const struct in6_addr *a)
{
	uint64_t v = 0;

	for (int i = 8; i < 16; i++)
		v = v << 8 | a->s6_addr[i];
	return v;
}

/* Offset of @addr from the range base, or -1 outside the range. */
static int64_t addr_offset(const struct dns_fake *pool, int family, const void *addr)
{
	const struct dns_fake_config *c = &pool->cfg;

	if (family == AF_INET) {
		uint32_t a = ntohl(((const struct in_addr *)addr)->s_addr);
		uint32_t b = ntohl(c->v4_base.s_addr);
		uint32_t m = (uint32_t)host_mask(32 - c->v4_prefix);

		return (a & ~m) == b ? (int64_t)(a & m) : -1;
	}
	if (family == AF_INET6 && c->v6_prefix) {
		const struct in6_addr *a = addr;
		uint64_t m = host_mask(128 - c->v6_prefix), lo = v6_low(a);

		if (memcmp(a->s6_addr, c->v6_base.s6_addr, 8) != 0 ||
		    (lo & ~m) != v6_low(&c->v6_base))
			return -1;
		lo &= m;
		return lo > INT64_MAX ? INT64_MAX : (int64_t)lo;
	}
	return -1;
}

/* Slot index @addr stands for (mapped or not), or NIL. */
static uint32_t addr_slot(const struct dns_fake *pool, int family, const void *addr)
{
	int64_t off = addr_offset(pool, family, addr);

	if (off < 1 || (uint64_t)off > pool->cfg.capacity)
		return NIL;
	return (uint32_t)(off - 1);
}

static void slot_addr(const struct dns_fake *pool, uint32_t s, int family, void *addr)
{
	if (family == AF_INET) {
		struct in_addr *a = addr;

		a->s_addr = htonl(ntohl(pool->cfg.v4_base.s_addr) + 1 + s);
		return;
	}
	struct in6_addr *a = addr;
	uint64_t lo = v6_low(&pool->cfg.v6_base) + 1 + s;

	*a = pool->cfg.v6_base;
	for (int i = 15; i >= 8; i--, lo >>= 8)
		a->s6_addr[i] = (uint8_t)lo;
}

static int check_v4(const struct dns_fake_config *c, uint64_t *usable)
{
	if (c->v4_prefix < 8 || c->v4_prefix > 30)
		return -EINVAL;
	if (ntohl(c->v4_base.s_addr) & host_mask(32 - c->v4_prefix))
		return -EINVAL;
	*usable = range_usable(32 - c->v4_prefix);
	return 0;
}

static int check_v6(const struct dns_fake_config *c, uint64_t *usable)
{
	if (c->v6_prefix == 0)
		return 0;
	if (c->v6_prefix < 64 || c->v6_prefix > 126)
		return -EINVAL;
	if (v6_low(&c->v6_base) & host_mask(128 - c->v6_prefix))
		return -EINVAL;
	*usable = range_usable(128 - c->v6_prefix);
	return 0;
}

/* ---- lists ---- */

static void list_unlink(struct dns_fake *pool, uint32_t *head, uint32_t *tail, uint32_t s)
{
	struct dns_fake_entry *e = &pool->slots[s];

	if (e->prev != NIL)
		pool->slots[e->prev].next = e->next;
	else
		*head = e->next;
	if (e->next != NIL)
		pool->slots[e->next].prev = e->prev;
	else if (tail)
		*tail = e->prev;
	e->prev = e->next = NIL;
}

static void list_push(struct dns_fake *pool, uint32_t *head, uint32_t *tail, uint32_t s)
{
	struct dns_fake_entry *e = &pool->slots[s];

	e->prev = NIL;
	e->next = *head;
	if (*head != NIL)
		pool->slots[*head].prev = s;
	else if (tail)
		*tail = s;
	*head = s;
}

static void lru_unlink(struct dns_fake *pool, uint32_t s)
{
	list_unlink(pool, &pool->lru_head, &pool->lru_tail, s);
}

static void lru_push(struct dns_fake *pool, uint32_t s)
{
	list_push(pool, &pool->lru_head, &pool->lru_tail, s);
}

static int cmp_last_used(const void *a, const void *b, void *arg)
{
	const struct dns_fake_entry *slots = arg;
	uint64_t x = slots[*(const uint32_t *)a].last_used,
		 y = slots[*(const uint32_t *)b].last_used;

	if (x != y)
		return x > y ? -1 : 1; /* most recent first */
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

/* Relink the LRU list by last use after out-of-order dns_fake_insert() calls. */
static int lru_sort(struct dns_fake *pool)
{
	uint32_t n = 0, *order = malloc(sizeof(*order) * (pool->n_live ? pool->n_live : 1));

	if (!order)
		return -ENOMEM;
	for (uint32_t s = pool->lru_head; s != NIL; s = pool->slots[s].next)
		order[n++] = s;
	qsort_r(order, n, sizeof(*order), cmp_last_used, pool->slots);
	pool->lru_head = pool->lru_tail = NIL;
	for (uint32_t i = n; i-- > 0;)
		lru_push(pool, order[i]);
	free(order);
	pool->lru_dirty = false;
	return 0;
}

/* ---- hash table ---- */

static uint32_t hash_find(const struct dns_fake *pool, const char *name, uint32_t h)
{
	uint32_t s = pool->buckets[h & (pool->n_buckets - 1)];

	for (; s != NIL; s = pool->slots[s].hnext)
		if (pool->slots[s].hash == h && strcmp(pool->slots[s].name, name) == 0)
			return s;
	return NIL;
}

static void hash_link(struct dns_fake *pool, uint32_t s)
{
	uint32_t *b = &pool->buckets[pool->slots[s].hash & (pool->n_buckets - 1)];

	pool->slots[s].hnext = *b;
	*b = s;
}

static void hash_unlink(struct dns_fake *pool, uint32_t s)
{
	uint32_t *p = &pool->buckets[pool->slots[s].hash & (pool->n_buckets - 1)];

	while (*p != s)
		p = &pool->slots[*p].hnext;
	*p = pool->slots[s].hnext;
}

/* Keep the load factor at most 1; on -ENOMEM chains just get longer. */
static void hash_maybe_grow(struct dns_fake *pool)
{
	uint32_t n = pool->n_buckets * 2, *b;

	if (pool->n_live <= pool->n_buckets)
		return;
	b = malloc(sizeof(*b) * n);
	if (!b)
		return;
	free(pool->buckets);
	pool->buckets = b;
	pool->n_buckets = n;
	memset(b, 0xff, sizeof(*b) * n);
	for (uint32_t s = 0; s < pool->n_slots; s++)
		if (pool->slots[s].name)
			hash_link(pool, s);
}

/* ---- slots ---- */

static int slots_grow(struct dns_fake *pool, uint32_t min_n)
{
	uint32_t n = pool->n_slots * 2;
	struct dns_fake_entry *e;

	if (n < SLOTS_MIN)
		n = SLOTS_MIN;
	if (n < min_n)
		n = min_n;
	if (n > pool->cfg.capacity)
		n = pool->cfg.capacity;
	if (n <= pool->n_slots)
		return -ENOSPC;
	e = realloc(pool->slots, sizeof(*e) * n);
	if (!e)
		return -ENOMEM;
	pool->slots = e;
	for (uint32_t s = n; s-- > pool->n_slots;) {
		e[s] = (struct dns_fake_entry){.hnext = NIL};
		list_push(pool, &pool->free_head, NULL, s);
	}
	pool->n_slots = n;
	return 0;
}

/* Free the mapping in slot @s (unreferenced, on the LRU list). */
static void slot_release(struct dns_fake *pool, uint32_t s)
{
	hash_unlink(pool, s);
	lru_unlink(pool, s);
	free(pool->slots[s].name);
	pool->slots[s].name = NULL;
	pool->n_live--;
	list_push(pool, &pool->free_head, NULL, s);
}

/* A free slot for a new mapping: a never used one, else the LRU tail. */
static int slot_take(struct dns_fake *pool, uint64_t now, uint32_t *out)
{
	uint32_t t;
	int r;

	if (pool->free_head == NIL && pool->n_slots < pool->cfg.capacity) {
		r = slots_grow(pool, 0);
		if (r < 0)
			return r;
	}
	if (pool->free_head == NIL) {
		if (pool->lru_dirty && (r = lru_sort(pool)) < 0)
			return r;
		t = pool->lru_tail;
		if (t == NIL || pool->slots[t].last_used > now ||
		    now - pool->slots[t].last_used < pool->cfg.min_reuse_age)
			return -ENOSPC;
		slot_release(pool, t);
	}
	*out = pool->free_head;
	list_unlink(pool, &pool->free_head, NULL, *out);
	return 0;
}

/* Fill slot @s (taken off the free list) with @name. */
static int slot_fill(struct dns_fake *pool, uint32_t s, const char *name, uint32_t h,
		     uint64_t last_used)
{
	struct dns_fake_entry *e = &pool->slots[s];

	e->name = strdup(name);
	if (!e->name) {
		list_push(pool, &pool->free_head, NULL, s);
		return -ENOMEM;
	}
	e->hash = h;
	e->last_used = last_used;
	e->refs = 0;
	hash_link(pool, s);
	lru_push(pool, s);
	pool->n_live++;
	hash_maybe_grow(pool);
	return 0;
}

int dns_fake_init(struct dns_fake *pool, const struct dns_fake_config *cfg)
{
	uint64_t u4 = 0, u6 = UINT64_MAX;

	memset(pool, 0, sizeof(*pool));
	if (check_v4(cfg, &u4) < 0 || check_v6(cfg, &u6) < 0 || cfg->capacity == 0 ||
	    cfg->capacity > u4 || cfg->capacity > u6 || cfg->capacity > CAPACITY_MAX)
		return -EINVAL;
	pool->cfg = *cfg;
	pool->n_buckets = SLOTS_MIN;
	pool->buckets = malloc(sizeof(*pool->buckets) * pool->n_buckets);
	if (!pool->buckets)
		return -ENOMEM;
	memset(pool->buckets, 0xff, sizeof(*pool->buckets) * pool->n_buckets);
	pool->lru_head = pool->lru_tail = pool->free_head = NIL;
	return 0;
}

void dns_fake_free(struct dns_fake *pool)
{
	for (uint32_t s = 0; s < pool->n_slots; s++)
		free(pool->slots[s].name);
	free(pool->slots);
	free(pool->buckets);
	memset(pool, 0, sizeof(*pool));
}

static bool family_ok(const struct dns_fake *pool, int family)
{
	return family == AF_INET || (family == AF_INET6 && pool->cfg.v6_prefix);
}

int dns_fake_lookup_name(struct dns_fake *pool, const char *name, int family, uint64_t now,
			 void *addr)
{
	uint32_t h, s;
	int r;

	if (!family_ok(pool, family))
		return -EAFNOSUPPORT;
	if (!dns_name_is_host(name))
		return -EINVAL;
	h = name_hash(pool->cfg.seed, name, strlen(name));
	s = hash_find(pool, name, h);
	if (s != NIL) {
		pool->slots[s].last_used = now;
		if (pool->slots[s].refs == 0) {
			lru_unlink(pool, s);
			lru_push(pool, s);
		}
	} else {
		r = slot_take(pool, now, &s);
		if (r < 0)
			return r;
		r = slot_fill(pool, s, name, h, now);
		if (r < 0)
			return r;
	}
	slot_addr(pool, s, family, addr);
	return 0;
}

static uint32_t mapped_slot(const struct dns_fake *pool, int family, const void *addr)
{
	uint32_t s = addr_slot(pool, family, addr);

	return s < pool->n_slots && pool->slots[s].name ? s : NIL;
}

const char *dns_fake_lookup_addr(const struct dns_fake *pool, int family, const void *addr)
{
	uint32_t s = mapped_slot(pool, family, addr);

	return s == NIL ? NULL : pool->slots[s].name;
}

bool dns_fake_contains(const struct dns_fake *pool, int family, const void *addr)
{
	return addr_offset(pool, family, addr) >= 0;
}

int dns_fake_ref(struct dns_fake *pool, int family, const void *addr)
{
	uint32_t s = mapped_slot(pool, family, addr);

	if (s == NIL)
		return -ENOENT;
	if (pool->slots[s].refs == UINT32_MAX)
		return -EOVERFLOW;
	if (pool->slots[s].refs++ == 0)
		lru_unlink(pool, s); /* held: never the one to reuse */
	return 0;
}

int dns_fake_unref(struct dns_fake *pool, int family, const void *addr)
{
	uint32_t s = mapped_slot(pool, family, addr);

	if (s == NIL || pool->slots[s].refs == 0)
		return -ENOENT;
	if (--pool->slots[s].refs == 0)
		lru_push(pool, s);
	return 0;
}

uint32_t dns_fake_count(const struct dns_fake *pool)
{
	return pool->n_live;
}

int dns_fake_foreach(const struct dns_fake *pool,
		     int (*fn)(const char *name, const struct in_addr *v4,
			       const struct in6_addr *v6, uint64_t last_used, void *userdata),
		     void *userdata)
{
	for (uint32_t s = 0; s < pool->n_slots; s++) {
		const struct dns_fake_entry *e = &pool->slots[s];
		struct in_addr v4;
		struct in6_addr v6;
		int r;

		if (!e->name)
			continue;
		slot_addr(pool, s, AF_INET, &v4);
		if (pool->cfg.v6_prefix)
			slot_addr(pool, s, AF_INET6, &v6);
		r = fn(e->name, &v4, pool->cfg.v6_prefix ? &v6 : NULL, e->last_used, userdata);
		if (r)
			return r;
	}
	return 0;
}

int dns_fake_insert(struct dns_fake *pool, const char *name, const struct in_addr *v4,
		    const struct in6_addr *v6, uint64_t last_used)
{
	uint32_t s = addr_slot(pool, AF_INET, v4), h;
	int r;

	if (!dns_name_is_host(name) || s == NIL)
		return -EINVAL;
	if (v6 && addr_slot(pool, AF_INET6, v6) != s)
		return -EINVAL;
	h = name_hash(pool->cfg.seed, name, strlen(name));
	if (hash_find(pool, name, h) != NIL)
		return -EEXIST;
	if (s >= pool->n_slots && (r = slots_grow(pool, s + 1)) < 0)
		return r;
	if (pool->slots[s].name)
		return -EEXIST;
	list_unlink(pool, &pool->free_head, NULL, s);
	r = slot_fill(pool, s, name, h, last_used);
	if (r < 0)
		return r;
	pool->lru_dirty = true;
	return 0;
}
