/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_fake.c - fake-IP pools and mappings in the Derivative (docs/GUARANTEES.md
 * 3: the mappings are kept in the Derivative across restarts).
 *
 * Each entry records the pools it was derived with and the mappings the
 * relay handed out.  The relay's pool (src/dns, struct dns_fake) puts slot i
 * at base + 1 + i in both families and refuses, on restore, a mapping whose
 * addresses are not one slot's (dns_fake_insert()).  So a mapping is only
 * kept where that holds: its IPv4 address is host 1..2^(32-p)-2 of the IPv4
 * pool (neither the network nor the broadcast address), and its IPv6 address
 * is the same host number of the IPv6 pool, not the pool's last address.
 * Addresses are then unique exactly when their slots are.
 *
 * Pure code: no I/O, no clock.  The loader (state_json_subject.c) and
 * derivative_set_fakes() apply the same rules, so what is stored loads.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns.h"
#include "state/state-internal.h"
#include "util/macro.h"

struct in6_addr state_fake6_default(uint32_t id)
{
	/*
	 * fd6e:7370:fa4H:LLLL::/64 for id 0xHLLLL (ids < 2^20): the uplink uses
	 * fd6e:7370:000H:LLLL::/64, so the third group keeps the two apart.
	 */
	struct in6_addr a = {{{0xfd, 0x6e, 0x73, 0x70, 0xfa, (uint8_t)(0x40 | ((id >> 16) & 0xf)),
			       (uint8_t)(id >> 8), (uint8_t)id}}};

	return a;
}

void state_fake_pools(const struct profile_conf *p, uint32_t id, struct subject_state *e)
{
	if (p && p->fake4_prefix) {
		e->fake4_base = p->fake4_base;
		e->fake4_prefix = p->fake4_prefix;
	} else {
		e->fake4_base.s_addr = htonl(CONF_FAKE4_DEFAULT_BASE);
		e->fake4_prefix = CONF_FAKE4_DEFAULT_PREFIX;
	}
	if (p && p->fake6_prefix) {
		e->fake6_base = p->fake6_base;
		e->fake6_prefix = p->fake6_prefix;
	} else {
		e->fake6_base = state_fake6_default(id);
		e->fake6_prefix = 64;
	}
}

int state_fake_pools_check(const struct subject_state *e, char *why, size_t n)
{
	struct in6_addr def = state_fake6_default(e->id);
	int r = settings_check_fake_pool(AF_INET, &e->fake4_base, e->fake4_prefix, why, n);

	if (r < 0)
		return r;
	/* The per-id default lies in fd6e:7370::/32, which a configured pool may not. */
	if (e->fake6_prefix == 64 && memcmp(&e->fake6_base, &def, sizeof(def)) == 0)
		return 0;
	return settings_check_fake_pool(AF_INET6, &e->fake6_base, e->fake6_prefix, why, n);
}

static uint64_t low64(const struct in6_addr *a)
{
	uint64_t v = 0;

	for (int i = 8; i < 16; i++)
		v = v << 8 | a->s6_addr[i];
	return v;
}

/* Host number of @a in the IPv6 pool, or UINT64_MAX if outside; the prefix is 64..126. */
static uint64_t host6(const struct subject_state *e, const struct in6_addr *a)
{
	uint64_t mask = UINT64_MAX >> (e->fake6_prefix - 64), la = low64(a);

	if (memcmp(a->s6_addr, e->fake6_base.s6_addr, 8) != 0 ||
	    (la & ~mask) != low64(&e->fake6_base))
		return UINT64_MAX;
	return la & mask;
}

/* The slot number + 1 of @v4 in the IPv4 pool (1..size-2), or 0 if it is not a slot's. */
static uint32_t slot4(const struct subject_state *e, struct in_addr v4)
{
	uint32_t size = UINT32_C(1) << (32 - e->fake4_prefix), a = ntohl(v4.s_addr);
	uint32_t base = ntohl(e->fake4_base.s_addr);

	if ((a & ~(size - 1)) != base)
		return 0;
	a -= base;
	return a >= 1 && a <= size - 2 ? a : 0;
}

const char *state_fake_misfit(const struct subject_state *e, const struct fake_map *m)
{
	uint32_t h4;
	uint64_t h6;

	if (e->fake4_prefix < CONF_FAKE4_PREFIX_MIN || e->fake4_prefix > CONF_FAKE4_PREFIX_MAX ||
	    e->fake6_prefix < CONF_FAKE6_PREFIX_MIN || e->fake6_prefix > CONF_FAKE6_PREFIX_MAX)
		return "the entry has no valid fake-IP pools";
	if (!m->name || !dns_name_is_host(m->name))
		return "not a lowercase host name";
	h4 = slot4(e, m->v4);
	if (!h4)
		return "IPv4 address not in the entry's fake-IPv4 pool";
	h6 = host6(e, &m->v6);
	if (h6 == UINT64_MAX)
		return "IPv6 address not in the entry's fake-IPv6 pool";
	if (h6 != h4 || h6 == (UINT64_MAX >> (e->fake6_prefix - 64)))
		return "IPv6 address is not the IPv4 address's slot";
	return NULL;
}

static int fake_v4_cmp(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct fake_map *)a)->v4.s_addr);
	uint32_t y = ntohl(((const struct fake_map *)b)->v4.s_addr);

	return x < y ? -1 : x > y;
}

/* Indexes ordered by a key, then by position, so the first of two equal keys is named. */
struct fake_ref {
	const struct fake_map *m;
	size_t idx;
};

static int ref_name_cmp(const void *a, const void *b)
{
	const struct fake_ref *x = a, *y = b;
	int r = strcmp(x->m->name, y->m->name);

	return r ? r : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

static int ref_v4_cmp(const void *a, const void *b)
{
	const struct fake_ref *x = a, *y = b;
	int r = fake_v4_cmp(x->m, y->m);

	return r ? r : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

/* Find two mappings equal under @cmp's key (its tie-break by idx aside). */
static int find_dup(struct fake_ref *refs, size_t n, int (*cmp)(const void *, const void *),
		    int (*key_cmp)(const struct fake_ref *, const struct fake_ref *),
		    struct state_fake_fault *f, const char *why)
{
	qsort(refs, n, sizeof(*refs), cmp);
	for (size_t i = 1; i < n; i++) {
		if (key_cmp(&refs[i - 1], &refs[i]) != 0)
			continue;
		*f = (struct state_fake_fault){refs[i].idx, refs[i - 1].idx, why};
		return -EINVAL;
	}
	return 0;
}

static int key_name(const struct fake_ref *x, const struct fake_ref *y)
{
	return strcmp(x->m->name, y->m->name);
}

static int key_v4(const struct fake_ref *x, const struct fake_ref *y)
{
	return fake_v4_cmp(x->m, y->m);
}

int state_fakes_check(const struct subject_state *e, const struct fake_map *maps, size_t n,
		      struct state_fake_fault *f)
{
	_cleanup_free_ struct fake_ref *refs = NULL;
	int r;

	if (n > STATE_FAKES_MAX) {
		*f = (struct state_fake_fault){n, n, "more mappings than the limit"};
		return -E2BIG;
	}
	for (size_t i = 0; i < n; i++) {
		const char *why = state_fake_misfit(e, &maps[i]);

		if (why) {
			*f = (struct state_fake_fault){i, i, why};
			return -EINVAL;
		}
	}
	if (n < 2)
		return 0;
	refs = malloc(n * sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct fake_ref){&maps[i], i};
	r = find_dup(refs, n, ref_name_cmp, key_name, f, "duplicate name of");
	if (r >= 0) /* one slot per address: v6 is unique when v4 is */
		r = find_dup(refs, n, ref_v4_cmp, key_v4, f, "duplicate address of");
	return r;
}

void state_fakes_sort(struct fake_map *maps, size_t n)
{
	if (n > 1)
		qsort(maps, n, sizeof(*maps), fake_v4_cmp);
}

void state_fakes_free(struct fake_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(maps[i].name);
	free(maps);
}

int state_fakes_carry(struct subject_state *e, const struct subject_state *old)
{
	size_t n = 0;

	if (!old->n_fakes)
		return 0;
	e->fakes = calloc(old->n_fakes, sizeof(*e->fakes));
	if (!e->fakes)
		return -ENOMEM;
	for (size_t i = 0; i < old->n_fakes; i++) {
		const struct fake_map *m = &old->fakes[i];

		if (state_fake_misfit(e, m))
			continue; /* the pool changed under it: the name gets a new address */
		e->fakes[n] = *m;
		e->fakes[n].name = strdup(m->name);
		if (!e->fakes[n].name)
			return -ENOMEM;
		e->n_fakes = ++n;
	}
	if (!n) {
		free(e->fakes);
		e->fakes = NULL;
	}
	return 0;
}

/* Fill an unspecified (::) v6 with the address of v4's slot. */
static void fill_v6(const struct subject_state *e, struct fake_map *m)
{
	uint32_t h4 = slot4(e, m->v4);

	if (!IN6_IS_ADDR_UNSPECIFIED(&m->v6) || !h4)
		return;
	m->v6 = e->fake6_base;
	for (int i = 15; i >= 12; i--, h4 >>= 8)
		m->v6.s6_addr[i] |= (uint8_t)h4;
}

/**
 * derivative_set_fakes() - replace the fake-IP mappings of one entry.
 * @st: an entry of a Derivative (its pools set by derive() or a load).
 * @maps: @n mappings; the array and its names pass to the callee, also on
 *        failure.  An unspecified v6 (::) means "the same slot as v4".
 * @n: their number, at most STATE_FAKES_MAX.
 *
 * Checked as derivative_load_buffer() checks them, so that what is stored
 * always loads again, then sorted by v4.  On failure @st keeps its mappings.
 *
 * Return: 0, -EINVAL for a mapping that breaks a rule, -E2BIG for too many,
 * or -ENOMEM.
 */
int derivative_set_fakes(struct subject_state *st, struct fake_map *maps, size_t n)
{
	struct state_fake_fault f;
	int r;

	for (size_t i = 0; i < n && n <= STATE_FAKES_MAX; i++)
		fill_v6(st, &maps[i]);
	r = state_fakes_check(st, maps, n, &f);
	if (r < 0) {
		state_fakes_free(maps, n);
		return r;
	}
	state_fakes_sort(maps, n);
	state_fakes_free(st->fakes, st->n_fakes);
	st->fakes = n ? maps : NULL;
	st->n_fakes = n;
	if (!n)
		free(maps);
	return 0;
}
