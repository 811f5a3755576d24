/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_state_fake.c - fake-IP pools and mappings in the Derivative: default
 * and configured pools, derivative_set_fakes(), derive() carrying mappings
 * and dropping those a changed pool no longer holds, the JSON round trip
 * through a file, and every way a stored mapping can be corrupt.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/state-internal.h"
#include "state/state.h"
#include "state_fixture.h"
#include "tap.h"
#include "util/macro.h"

static struct proxy_conf proxies[] = {
	{.name = "tor", .kind = PROXY_SOCKS5, .host = "127.0.0.1", .port = 9050, .via_idx = -1},
};

static struct profile_conf profile_make(char *name)
{
	return (struct profile_conf){
		.name = name, .via = "tor", .via_idx = 0, .netns = name, .ipv6 = true};
}

static struct settings settings_make(struct profile_conf *p, size_t n)
{
	return settings_of(proxies, ARRAY_SIZE(proxies), p, n);
}

/* "ADDR/LEN" of a pool, in a static buffer per family. */
static const char *pool_str(int af, const void *base, unsigned prefix)
{
	static char buf[2][INET6_ADDRSTRLEN + 8];
	char a[INET6_ADDRSTRLEN] = "?";
	char *out = buf[af == AF_INET6];

	inet_ntop(af, base, a, sizeof(a));
	snprintf(out, sizeof(buf[0]), "%s/%u", a, prefix);
	return out;
}

/* A mapping: @name at IPv4 @v4 (dotted) and IPv6 @v6 (NULL: "::", filled in by the callee). */
static struct fake_map map_make(const char *name, const char *v4, const char *v6, uint64_t last)
{
	struct fake_map m = {.name = name ? strdup(name) : NULL, .last_used = last};

	inet_pton(AF_INET, v4, &m.v4);
	if (v6)
		inet_pton(AF_INET6, v6, &m.v6);
	return m;
}

/* A malloc'd array of mappings, for derivative_set_fakes(). */
static struct fake_map *maps_make(size_t n, ...)
{
	struct fake_map *a = calloc(n ? n : 1, sizeof(*a));
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		a[i] = va_arg(ap, struct fake_map);
	va_end(ap);
	return a;
}

static const char *addr4(const struct in_addr *a)
{
	static char b[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, a, b, sizeof(b));
}

static const char *addr6(const struct in6_addr *a)
{
	static char b[INET6_ADDRSTRLEN];

	return inet_ntop(AF_INET6, a, b, sizeof(b));
}

static void test_default_pools(void)
{
	struct profile_conf p[] = {profile_make("a")};
	struct settings s = settings_make(p, 1);
	struct derivative prev = {.version = DERIVATIVE_VERSION, .next_id = 1}, d = {0};
	struct subject_state *e = NULL;
	struct in6_addr big = state_fake6_default(0x12345);

	if (derive(&s, &prev, NULL, &d) < 0 || d.n_subjects != 1)
		return (void)ok(0, "default pools: derive");
	e = &d.subjects[0];
	is_str(pool_str(AF_INET, &e->fake4_base, e->fake4_prefix), "198.18.0.0/15",
	       "default IPv4 pool");
	is_str(pool_str(AF_INET6, &e->fake6_base, e->fake6_prefix), "fd6e:7370:fa40:1::/64",
	       "default IPv6 pool of id 1");
	is_str(addr6(&big), "fd6e:7370:fa41:2345::", "default IPv6 pool of id 0x12345");
	ok(memcmp(&e->fake6_base, &e->uplink6, 8) != 0, "IPv6 pool is not the uplink's /64");
	ok(e->fakes == NULL && e->n_fakes == 0, "no mappings yet");
	is_int(derivative_add_pid(&d, &s, &p[0], 4242, 7, &e), 0, "pid subject added");
	if (e) {
		is_str(pool_str(AF_INET, &e->fake4_base, e->fake4_prefix), "198.18.0.0/15",
		       "pid subject: IPv4 pool");
		is_str(pool_str(AF_INET6, &e->fake6_base, e->fake6_prefix), "fd6e:7370:fa40:2::/64",
		       "pid subject: its own IPv6 pool (id 2)");
	}
	derivative_free(&d);

	inet_pton(AF_INET, "10.200.0.0", &p[0].fake4_base);
	p[0].fake4_prefix = 16;
	inet_pton(AF_INET6, "2001:db8:5::", &p[0].fake6_base);
	p[0].fake6_prefix = 96;
	if (derive(&s, &prev, NULL, &d) < 0 || d.n_subjects != 1)
		return (void)ok(0, "configured pools: derive");
	e = &d.subjects[0];
	is_str(pool_str(AF_INET, &e->fake4_base, e->fake4_prefix), "10.200.0.0/16",
	       "configured IPv4 pool");
	is_str(pool_str(AF_INET6, &e->fake6_base, e->fake6_prefix), "2001:db8:5::/96",
	       "configured IPv6 pool");
	derivative_free(&d);
}

/* One derived entry "a" (id 1) with the default pools. */
static int derive_one(struct profile_conf *p, struct derivative *d)
{
	struct settings s = settings_make(p, 1);
	struct derivative prev = {.version = DERIVATIVE_VERSION, .next_id = 1};

	return derive(&s, &prev, NULL, d) < 0 || d->n_subjects != 1 ? -1 : 0;
}

struct set_case {
	struct fake_map m[2];
	size_t n;
	int want;
	const char *what;
};

static void test_set_fakes(void)
{
	struct profile_conf p[] = {profile_make("a")};
	struct derivative d = {0};
	struct subject_state *e;
	struct fake_map *big;

	if (derive_one(p, &d) < 0)
		return (void)ok(0, "set fakes: derive");
	e = &d.subjects[0];
	is_int(derivative_set_fakes(e,
				    maps_make(3, map_make("z.example", "198.18.1.0", NULL, 9),
					      map_make("a.example", "198.18.0.1", NULL, 1),
					      map_make("m.example", "198.19.255.254",
						       "fd6e:7370:fa40:1::1:fffe", 5)),
				    3),
	       0, "set fakes: three mappings");
	if (e->n_fakes == 3) {
		is_str(e->fakes[0].name, "a.example", "set fakes: sorted by IPv4 (first)");
		is_str(e->fakes[1].name, "z.example", "set fakes: sorted by IPv4 (second)");
		is_str(addr6(&e->fakes[1].v6), "fd6e:7370:fa40:1::100",
		       "set fakes: :: filled with the slot's IPv6 address");
		is_str(addr4(&e->fakes[2].v4), "198.19.255.254", "set fakes: last usable slot");
	} else {
		ok(0, "set fakes: three mappings kept");
	}

	const struct set_case cases[] = {
		{{map_make("A.example", "198.18.0.1", NULL, 0)}, 1, -EINVAL, "uppercase name"},
		{{map_make("a..b", "198.18.0.1", NULL, 0)}, 1, -EINVAL, "empty label"},
		{{map_make("a.example.", "198.18.0.1", NULL, 0)}, 1, -EINVAL, "final dot"},
		{{map_make(NULL, "198.18.0.1", NULL, 0)}, 1, -EINVAL, "no name"},
		{{map_make("a", "198.18.0.0", NULL, 0)}, 1, -EINVAL, "the network address"},
		{{map_make("a", "198.19.255.255", NULL, 0)}, 1, -EINVAL, "the last address"},
		{{map_make("a", "198.20.0.1", NULL, 0)}, 1, -EINVAL, "IPv4 outside the pool"},
		{{map_make("a", "198.18.0.1", "fd6e:7370:fa40:2::1", 0)},
		 1,
		 -EINVAL,
		 "IPv6 outside the pool"},
		{{map_make("a", "198.18.0.1", "fd6e:7370:fa40:1::2", 0)},
		 1,
		 -EINVAL,
		 "IPv6 of another slot"},
		{{map_make("a", "198.18.0.1", NULL, 0), map_make("a", "198.18.0.2", NULL, 0)},
		 2,
		 -EINVAL,
		 "duplicate name"},
		{{map_make("a", "198.18.0.1", NULL, 0), map_make("b", "198.18.0.1", NULL, 0)},
		 2,
		 -EINVAL,
		 "duplicate address"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake_map *m = maps_make(0);

		m = realloc(m, cases[i].n * sizeof(*m));
		memcpy(m, cases[i].m, cases[i].n * sizeof(*m));
		is_int(derivative_set_fakes(e, m, cases[i].n), cases[i].want,
		       "set fakes: %s refused", cases[i].what);
		ok(e->n_fakes == 3 && strcmp(e->fakes[0].name, "a.example") == 0,
		   "set fakes: %s: old mappings kept", cases[i].what);
	}
	big = calloc(STATE_FAKES_MAX + 1, sizeof(*big));
	if (big)
		is_int(derivative_set_fakes(e, big, STATE_FAKES_MAX + 1), -E2BIG,
		       "set fakes: more than STATE_FAKES_MAX refused");
	is_int(derivative_set_fakes(e, NULL, 0), 0, "set fakes: none");
	ok(e->fakes == NULL && e->n_fakes == 0, "set fakes: cleared");
	derivative_free(&d);
}

/* Three mappings at slots 1, 2 and 0x1ff of profile p[0]'s entry. */
static void give_three(struct subject_state *e)
{
	int r = derivative_set_fakes(e,
				     maps_make(3, map_make("one.example", "10.200.0.1", NULL, 11),
					       map_make("two.example", "10.200.0.2", NULL, 22),
					       map_make("far.example", "10.200.1.255", NULL, 33)),
				     3);

	is_int(r, 0, "carry: three mappings set");
}

static const char *names_of(const struct subject_state *e)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; e && i < e->n_fakes; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
			 e->fakes[i].name);
	return buf;
}

/* Derive @d from @prev with profile @p's pools as now set; the entries by name and by pid. */
static void rederive(struct profile_conf *p, struct derivative *prev, const char *what,
		     const char *want_named, const char *want_pid)
{
	struct settings s = settings_make(p, 1);
	struct derivative d = {0};

	is_int(derive(&s, prev, NULL, &d), 0, "carry %s: derive", what);
	is_str(names_of(derivative_find(&d, "a")), want_named, "carry %s: named entry keeps %s",
	       what, want_named);
	is_str(names_of(derivative_find_pid(&d, 77)), want_pid, "carry %s: pid entry keeps %s",
	       what, want_pid);
	derivative_free(prev);
	*prev = d;
}

static void test_derive_carry(void)
{
	struct profile_conf p[] = {profile_make("a")};
	struct settings s = settings_make(p, 1);
	struct derivative d = {0};
	struct subject_state *e = NULL;

	inet_pton(AF_INET, "10.200.0.0", &p[0].fake4_base);
	p[0].fake4_prefix = 16;
	if (derive_one(p, &d) < 0)
		return (void)ok(0, "carry: derive");
	give_three(&d.subjects[0]);
	derivative_add_pid(&d, &s, &p[0], 77, 1, &e);
	if (e)
		give_three(e);
	rederive(p, &d, "same pools", "one.example,two.example,far.example",
		 "one.example,two.example,far.example");
	e = derivative_find(&d, "a");
	ok(e && e->n_fakes == 3 && e->fakes[2].last_used == 33 &&
		   strcmp(addr6(&e->fakes[2].v6), "fd6e:7370:fa40:1::1ff") == 0,
	   "carry: addresses and last use unchanged");

	p[0].fake4_prefix = 15; /* 10.200.0.0/15 still holds every slot */
	rederive(p, &d, "wider IPv4 pool", "one.example,two.example,far.example",
		 "one.example,two.example,far.example");
	inet_pton(AF_INET6, "2001:db8::", &p[0].fake6_base);
	p[0].fake6_prefix = 112; /* the old /64 is gone: every mapping with it */
	rederive(p, &d, "new IPv6 pool", "", "");
	give_three(derivative_find(&d, "a"));
	give_three(derivative_find_pid(&d, 77));
	p[0].fake6_prefix = 120; /* same base, smaller: slots above 254 fall out */
	rederive(p, &d, "smaller IPv6 pool", "one.example,two.example", "one.example,two.example");
	inet_pton(AF_INET, "10.200.1.0", &p[0].fake4_base);
	p[0].fake4_prefix = 24; /* another IPv4 base: slot numbers move */
	rederive(p, &d, "moved IPv4 pool", "", "");
	p[0].fake4_prefix = 0;
	rederive(p, &d, "default IPv4 pool", "", "");
	derivative_free(&d);
}

static char tmpdir[64];

static void test_round_trip(void)
{
	struct profile_conf p[] = {profile_make("a"), profile_make("b")};
	struct settings s = settings_make(p, 2);
	struct derivative prev = {.version = DERIVATIVE_VERSION, .next_id = 1}, d = {0}, back = {0};
	_cleanup_free_ char *path = xasprintf("%s/state.json", tmpdir), *j1 = NULL, *j2 = NULL;
	struct subject_state *e;
	char err[256] = "";

	inet_pton(AF_INET6, "2001:db8:7::", &p[1].fake6_base);
	p[1].fake6_prefix = 112;
	if (derive(&s, &prev, NULL, &d) < 0 || d.n_subjects != 2)
		return (void)ok(0, "round trip: derive");
	derivative_set_fakes(&d.subjects[0],
			     maps_make(2,
				       map_make("www.example.com", "198.18.0.1", NULL, 1732540000),
				       map_make("_srv-1.x", "198.19.0.7", NULL, UINT64_MAX)),
			     2);
	derivative_set_fakes(&d.subjects[1],
			     maps_make(1, map_make("b.example", "198.18.0.2", NULL, 0)), 1);
	is_int(derivative_store(path, &d), 0, "round trip: stored");
	is_int(derivative_load(path, &back, err, sizeof(err)), 0, "round trip: loads (%s)", err);
	j1 = to_json(&d);
	j2 = to_json(&back);
	is_str(j2, j1, "round trip: identical JSON");
	ok(j1 && strstr(j1, "\"fake\":{\"v4\":\"198.18.0.0/15\",\"v6\":\"fd6e:7370:fa40:1::/64\","
			    "\"map\":[[\"www.example.com\",\"198.18.0.1\","
			    "\"fd6e:7370:fa40:1::1\",\"1732540000\"],"
			    "[\"_srv-1.x\",\"198.19.0.7\",\"fd6e:7370:fa40:1::1:7\","
			    "\"18446744073709551615\"]]}"),
	   "round trip: JSON as documented");
	ok(j1 && strstr(j1, "\"v6\":\"2001:db8:7::/112\",\"map\":[[\"b.example\",\"198.18.0.2\","
			    "\"2001:db8:7::2\",\"0\"]]"),
	   "round trip: a configured IPv6 pool");
	e = derivative_find(&back, "a");
	ok(e && e->n_fakes == 2 && e->fakes[1].last_used == UINT64_MAX &&
		   strcmp(e->fakes[1].name, "_srv-1.x") == 0,
	   "round trip: names and 64-bit last use exact");
	ok(e && e->fake4_prefix == 15 && e->fake6_prefix == 64, "round trip: pools");
	derivative_free(&back);
	/* A restart: same Settings, the loaded Derivative: the same names, the same addresses. */
	if (derivative_load(path, &back, err, sizeof(err)) == 0) {
		derivative_free(&d);
		is_int(derive(&s, &back, NULL, &d), 0, "restart: derive from the loaded file");
		free(j2);
		j2 = to_json(&d);
		is_str(j2, j1, "restart: same Derivative, same mappings");
	}
	e = derivative_find(&d, "a");
	if (e)
		e->fake6_prefix = 0;
	is_int(derivative_store(path, &d), -EINVAL, "store: an entry without valid pools refused");
	unlink(path);
	derivative_free(&back);
	derivative_free(&d);
}

/* One subject "a", id 1, default pools, two mappings out of order. */
#define FAKE_DOC(fake)                                                                         \
	"{\"version\":1,\"next_id\":2,\"subjects\":[{\"name\":\"a\",\"id\":1,\"netns\":\"a\"," \
	"\"ns\":{\"dev\":\"0\",\"ino\":\"0\",\"cookie\":\"0\"},\"uplink4\":\"100.64.0.5\","    \
	"\"uplink6\":\"fd6e:7370:0:1::1\",\"profile\":{\"name\":\"a\",\"netns\":\"a\"}" fake "}]}"
static const char fake_base[] =
	FAKE_DOC(",\"fake\":{\"v4\":\"198.18.0.0/15\",\"v6\":\"fd6e:7370:fa40:1::/64\",\"map\":["
		 "[\"b.example.org\",\"198.18.1.0\",\"fd6e:7370:fa40:1::100\",\"5\"],"
		 "[\"example.com\",\"198.18.0.1\",\"fd6e:7370:fa40:1::1\",\"1732540000\"]]}");

static void test_load(void)
{
	struct derivative d = {0};
	char err[256] = "";
	int r = derivative_load_buffer(fake_base, strlen(fake_base), &d, err, sizeof(err));
	const struct subject_state *e = d.n_subjects ? &d.subjects[0] : NULL;

	is_int(r, 0, "load: the base with mappings loads (%s)", err);
	ok(e && e->n_fakes == 2, "load: two mappings");
	if (e && e->n_fakes == 2) {
		is_str(e->fakes[0].name, "example.com", "load: sorted by address");
		ok(e->fakes[0].last_used == 1732540000 && e->fakes[1].last_used == 5,
		   "load: last use");
	}
	derivative_free(&d);
	r = derivative_load_buffer(FAKE_DOC(""), strlen(FAKE_DOC("")), &d, err, sizeof(err));
	is_int(r, 0, "load: a file from before mappings loads (%s)", err);
	e = d.n_subjects ? &d.subjects[0] : NULL;
	ok(e && e->n_fakes == 0 && e->fake4_prefix == 15 && e->fake6_prefix == 64 &&
		   strcmp(addr6(&e->fake6_base), "fd6e:7370:fa40:1::") == 0,
	   "load: without 'fake', the default pools and no mappings");
	derivative_free(&d);
}

struct bad_case {
	const char *from, *to, *msg;
};

#define M1 "[\"example.com\",\"198.18.0.1\",\"fd6e:7370:fa40:1::1\",\"1732540000\"]"
#define FK "subjects[0].fake"

static const struct bad_case bad_cases[] = {
	{"\"example.com\"", "\"Example.com\"", FK ".map[1]: not a lowercase host name"},
	{"\"example.com\"", "\"\"", FK ".map[1]: not a lowercase host name"},
	{"\"example.com\"", "\"example.com.\"", FK ".map[1]: not a lowercase host name"},
	{"\"example.com\"", "\"exa mple.com\"", FK ".map[1]: not a lowercase host name"},
	{"\"example.com\"", "\"ex\\u0000ample.com\"", FK ".map[1]: item 0 contains a NUL"},
	{"\"example.com\"",
	 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\"",
	 FK ".map[1]: not a lowercase host name"},
	{"\"198.18.0.1\"", "\"198.18.0.0\"", FK ".map[1]: IPv4 address not in the entry's"},
	{"\"198.18.0.1\"", "\"198.20.0.1\"", FK ".map[1]: IPv4 address not in the entry's"},
	{"\"198.18.0.1\"", "\"198.18.0.256\"", FK ".map[1]: '198.18.0.256' is not an IPv4"},
	{"\"198.18.0.1\"", "\"::1\"", FK ".map[1]: '::1' is not an IPv4 address"},
	{"\"fd6e:7370:fa40:1::1\"", "\"fd6e:7370:fa40:2::1\"",
	 FK ".map[1]: IPv6 address not in the entry's fake-IPv6 pool"},
	{"\"fd6e:7370:fa40:1::1\"", "\"fd6e:7370:fa40:1::2\"",
	 FK ".map[1]: IPv6 address is not the IPv4 address's slot"},
	{"\"fd6e:7370:fa40:1::1\"", "\"zz::1\"", FK ".map[1]: 'zz::1' is not an IPv6 address"},
	{"\"1732540000\"", "\"-1\"", FK ".map[1]: last_used is not a decimal"},
	{"\"1732540000\"", "\"01\"", FK ".map[1]: last_used is not a decimal"},
	{"\"1732540000\"", "\"18446744073709551616\"", FK ".map[1]: last_used is not a decimal"},
	{"\"1732540000\"", "1732540000", FK ".map[1]: item 3 is not a string"},
	{",\"1732540000\"]", "]", FK ".map[1]: not an array [name, IPv4, IPv6, last_used]"},
	{",\"1732540000\"]", ",\"1\",\"2\"]", FK ".map[1]: not an array"},
	{M1, "{\"name\":\"example.com\"}", FK ".map[1]: not an array"},
	{"\"example.com\"", "\"b.example.org\"", FK ".map[1]: duplicate name of map[0]"},
	{"\"198.18.0.1\",\"fd6e:7370:fa40:1::1\"", "\"198.18.1.0\",\"fd6e:7370:fa40:1::100\"",
	 FK ".map[1]: duplicate address of map[0]"},
	{"\"v4\":\"198.18.0.0/15\"", "\"v4\":\"198.18.0.0/14\"", FK ": bad pool: host bits set"},
	{"\"v4\":\"198.18.0.0/15\"", "\"v4\":\"100.64.0.0/15\"",
	 FK ": bad pool: overlaps 100.64.0.0/10"},
	{"\"v4\":\"198.18.0.0/15\"", "\"v4\":\"198.18.0.0/31\"",
	 FK ": bad pool: prefix length /31 out of range"},
	{"\"v4\":\"198.18.0.0/15\"", "\"v4\":\"198.18.0.0\"",
	 FK ": 'v4' is not IPv4-ADDRESS/LENGTH"},
	{"\"v4\":\"198.18.0.0/15\"", "\"v4\":\"198.18.0.0/015\"",
	 FK ": 'v4' is not IPv4-ADDRESS/LENGTH"},
	{"\"v4\":\"198.18.0.0/15\"", "\"v4\":\"198.18.0.0/99999\"",
	 FK ": 'v4' is not IPv4-ADDRESS/LENGTH"},
	{"\"v4\":\"198.18.0.0/15\"", "\"v4\":15", FK ": 'v4' is not of type string"},
	{"\"v6\":\"fd6e:7370:fa40:1::/64\"", "\"v6\":\"fd6e:7370:fa40:2::/64\"",
	 FK ": bad pool: overlaps fd6e:7370::/32"},
	{"\"v6\":\"fd6e:7370:fa40:1::/64\"", "\"v6\":\"fd6e:7370:fa40:1::/65\"",
	 FK ": bad pool: overlaps fd6e:7370::/32"},
	{"\"v6\":\"fd6e:7370:fa40:1::/64\"", "\"v6\":\"2001:db8::/64\"",
	 FK ".map[0]: IPv6 address not in the entry's fake-IPv6 pool"},
	{"\"v6\":\"fd6e:7370:fa40:1::/64\"", "\"v6\":\"198.18.0.0/15\"",
	 FK ": 'v6' is not IPv6-ADDRESS/LENGTH"},
	{"\"v6\":\"fd6e:7370:fa40:1::/64\",", "", FK ": missing 'v6'"},
	{",\"map\":[", ",\"x\":1,\"map\":[", FK ": unknown key 'x'"},
	{"\"map\":[", "\"map\":{},\"m\":[", FK ": unknown key 'm'"},
	{",\"fake\":{", ",\"fake\":[],\"f\":{", "subjects[0]: unknown key 'f'"},
	{",\"fake\":{\"v4\":\"198.18.0.0/15\",\"v6\":\"fd6e:7370:fa40:1::/64\",\"map\":[",
	 ",\"fake\":{\"v4\":\"198.18.0.0/15\",\"v6\":\"fd6e:7370:fa40:1::/64\",\"map\":{},\"y\":[",
	 FK ": unknown key 'y'"},
};

static void test_load_corrupt(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		const char *at = strstr(fake_base, c->from);
		_cleanup_free_ char *text = at ? xasprintf("%.*s%s%s", (int)(at - fake_base),
							   fake_base, c->to, at + strlen(c->from))
					       : NULL;
		struct derivative d = {0};
		char err[256] = "unset";
		int r;

		if (!text) {
			ok(0, "fake corrupt %zu: edit '%s' applies", i, c->from);
			continue;
		}
		r = derivative_load_buffer(text, strlen(text), &d, err, sizeof(err));
		is_int(r, -EBADMSG, "fake corrupt %zu refused: %s", i, err);
		if (!ok(strstr(err, c->msg) != NULL, "fake corrupt %zu message has '%s'", i,
			c->msg))
			printf("#   got \"%s\"\n", err);
		ok(d.subjects == NULL && d.n_subjects == 0, "fake corrupt %zu: nothing handed out",
		   i);
		derivative_free(&d);
	}
}

static void test_snapshot_and_plan(void)
{
	struct profile_conf p[] = {profile_make("a")};
	struct settings s = settings_make(p, 1);
	struct derivative d = {0};
	struct derive_change *c = NULL;
	_cleanup_free_ char *plain = profile_snapshot(&s, &p[0]), *def = NULL, *set = NULL;
	size_t n = 0;

	ok(plain && !strstr(plain, "fake-ipv"), "snapshot: no fake keys without fake-ipv*");
	p[0].fake4_base.s_addr = htonl(CONF_FAKE4_DEFAULT_BASE);
	p[0].fake4_prefix = CONF_FAKE4_DEFAULT_PREFIX;
	def = profile_snapshot(&s, &p[0]);
	is_str(def, plain, "snapshot: the default IPv4 pool written out is no change");
	if (derive_one(p, &d) < 0)
		return (void)ok(0, "snapshot: derive");
	inet_pton(AF_INET, "10.200.0.0", &p[0].fake4_base);
	p[0].fake4_prefix = 16;
	inet_pton(AF_INET6, "2001:db8::", &p[0].fake6_base);
	p[0].fake6_prefix = 64;
	set = profile_snapshot(&s, &p[0]);
	ok(set && strstr(set, "\"dns-server\":null,\"fake-ipv4\":\"10.200.0.0/16\","
			      "\"fake-ipv6\":\"2001:db8::/64\","),
	   "snapshot: configured pools included");
	is_int(derive_plan(&d, &s, &c, &n), 0, "plan: pools changed");
	ok(n == 1 && c[0].what == CHANGE_CHANGED && c[0].n_keys == 2 &&
		   strcmp(c[0].keys[0], "fake-ipv4") == 0 && strcmp(c[0].keys[1], "fake-ipv6") == 0,
	   "plan: a changed pool is a reload change of fake-ipv4, fake-ipv6");
	derive_plan_free(c, n);
	derivative_free(&d);
}

int main(void)
{
	test_default_pools();
	test_set_fakes();
	test_derive_carry();
	strcpy(tmpdir, "/tmp/netnsp-test-fake-XXXXXX");
	if (!mkdtemp(tmpdir))
		return ok(0, "mkdtemp"), tap_done();
	test_round_trip();
	rmdir(tmpdir);
	test_load();
	test_load_corrupt();
	test_snapshot_and_plan();
	return tap_done();
}
