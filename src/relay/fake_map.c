// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fake_map.c - the subject's fake-IP pool as the relay uses it: built from
 * the Derivative's ranges at open, its stored mappings put back, and the
 * look-up that turns a fake destination back into its name (the codec and
 * the pool itself are src/dns/; docs/GUARANTEES.md 3).
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "resolver-internal.h"
#include "util/log.h"

void fake_map_conf(const struct subject_state *st, struct dns_fake_config *c)
{
	uint64_t usable4;

	memset(c, 0, sizeof(*c));
	c->v4_base = st->fake4_base;
	c->v4_prefix = st->fake4_prefix;
	c->v6_base = st->fake6_base;
	c->v6_prefix = st->fake6_prefix;
	/* Slot i is host i + 1 of both ranges: the smaller one bounds the pool. */
	usable4 = (1ull << (32 - st->fake4_prefix)) - 2;
	c->capacity = usable4 < RELAY_DNS_CAPACITY ? (uint32_t)usable4 : RELAY_DNS_CAPACITY;
	c->min_reuse_age = 6 * RELAY_DNS_TTL;
	/* The hash seed only needs to be unpredictable to programs in the subject. */
	if (getrandom(c->seed, sizeof(c->seed), GRND_NONBLOCK) != sizeof(c->seed))
		memcpy(c->seed, &st->ns, sizeof(c->seed));
}

void fake_map_import(struct relay_dns *dns, const struct subject_state *st)
{
	/* The same name keeps its address across restarts and reloads (docs/GUARANTEES.md 3). */
	for (size_t i = 0; i < st->n_fakes; i++) {
		const struct fake_map *m = &st->fakes[i];

		if (dns_fake_insert(&dns->pool, m->name, &m->v4, &m->v6, m->last_used) < 0)
			log_warn("profile '%s': fake mapping '%s' dropped (pool changed)", st->name,
				 m->name);
	}
}

bool fake_map_same(const struct dns_fake_config *a, const struct dns_fake_config *b)
{
	return a->v4_base.s_addr == b->v4_base.s_addr && a->v4_prefix == b->v4_prefix &&
	       memcmp(&a->v6_base, &b->v6_base, sizeof(a->v6_base)) == 0 &&
	       a->v6_prefix == b->v6_prefix && a->capacity == b->capacity;
}

/* Called from any loop: the pool is under rs->dns->mu. */
static int fake_target_locked(struct relay_dns *dns, struct proxy_target *t)
{
	const char *name;

	if (!dns_fake_contains(&dns->pool, t->family, t->addr))
		return 0;
	name = dns_fake_lookup_addr(&dns->pool, t->family, t->addr);
	if (!name || dns_fake_ref(&dns->pool, t->family, t->addr) < 0)
		return -EHOSTUNREACH;
	/* The name, not an address, travels to the proxy (socks5h / CONNECT host:port). */
	if (proxy_target_set_name(t, name, t->port) < 0) {
		(void)dns_fake_unref(&dns->pool, t->family, t->addr);
		return -EHOSTUNREACH;
	}
	return 1;
}

int relay_fake_target(struct relay_subject *rs, struct proxy_target *t)
{
	struct relay_dns *dns = rs->dns;
	int r;

	if (!dns || !t->family)
		return 0;
	pthread_mutex_lock(&dns->mu);
	r = fake_target_locked(dns, t);
	pthread_mutex_unlock(&dns->mu);
	return r;
}

void relay_fake_put(struct relay_subject *rs, int family, const void *addr)
{
	struct relay_dns *dns = rs->dns;

	if (!dns)
		return;
	pthread_mutex_lock(&dns->mu);
	(void)dns_fake_unref(&dns->pool, family, addr);
	pthread_mutex_unlock(&dns->mu);
}

int relay_dns_foreach(const struct relay_subject *rs,
		      int (*fn)(const char *name, const struct in_addr *v4,
				const struct in6_addr *v6, uint64_t last_used, void *userdata),
		      void *userdata)
{
	int r;

	if (!rs->dns)
		return 0;
	pthread_mutex_lock(&rs->dns->mu);
	r = dns_fake_foreach(&rs->dns->pool, fn, userdata);
	pthread_mutex_unlock(&rs->dns->mu);
	return r;
}

bool relay_dns_dirty(struct relay_subject *rs)
{
	bool d = rs->dns && rs->dns->dirty;

	if (d)
		rs->dns->dirty = false;
	return d;
}
