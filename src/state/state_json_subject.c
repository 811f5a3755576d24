/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_json_subject.c - one subject of a state file (the format: state_json_write.c):
 * its name, kind, namespace reference, addresses, profile snapshot and fake-IP
 * mappings, each checked as state_json_read.c checks the whole.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "util/parse.h"

static int get_name(struct state_lctx *c, const char *path, struct json_object *o, const char *key,
		    char **out)
{
	const char *s;
	int r = state_json_string(c, path, o, key, &s);

	if (r < 0)
		return r;
	if (!name_valid(s))
		return state_json_bad(c, path, "'%s' is not a valid name", key);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int load_addrs(struct state_lctx *c, const char *path, struct json_object *o,
		      struct subject_state *e)
{
	struct in_addr want4 = state_uplink4(e->id);
	struct in6_addr want6 = state_uplink6(e->id);
	const char *s;
	int r;

	r = state_json_string(c, path, o, "uplink4", &s);
	if (r < 0)
		return r;
	if (inet_pton(AF_INET, s, &e->uplink4) != 1)
		return state_json_bad(c, path, "'uplink4' is not an IPv4 address");
	if (e->uplink4.s_addr != want4.s_addr)
		return state_json_bad(c, path, "'uplink4' does not match id %" PRIu32, e->id);
	r = state_json_string(c, path, o, "uplink6", &s);
	if (r < 0)
		return r;
	if (inet_pton(AF_INET6, s, &e->uplink6) != 1)
		return state_json_bad(c, path, "'uplink6' is not an IPv6 address");
	if (memcmp(&e->uplink6, &want6, sizeof(want6)) != 0)
		return state_json_bad(c, path, "'uplink6' does not match id %" PRIu32, e->id);
	return 0;
}

/* The snapshot must be an object naming the same profile and namespace. */
static int load_profile(struct state_lctx *c, const char *path, struct json_object *o,
			struct subject_state *e)
{
	struct json_object *p;
	const char *s;
	char sub[96];
	int r;

	r = state_json_member(c, path, o, "profile", json_type_object, &p);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.profile", path);
	r = state_json_string(c, sub, p, "name", &s);
	if (r >= 0 && strcmp(s, e->name) != 0)
		r = state_json_bad(c, sub, "'name' differs from the subject's name");
	/* A Pid subject's profile names the profile's own named namespace, not its. */
	if (r >= 0 && e->kind == SUBJ_NAMED)
		r = state_json_string(c, sub, p, "netns", &s);
	if (r >= 0 && e->kind == SUBJ_NAMED && strcmp(s, e->netns) != 0)
		r = state_json_bad(c, sub, "'netns' differs from the subject's netns");
	if (r < 0)
		return r;
	e->snapshot = strdup(json_object_to_json_string_ext(p, STATE_JSON_PLAIN));
	return e->snapshot ? 0 : -ENOMEM;
}

/* "ADDR/LEN" exactly as state_json_add_cidr() writes it; the range rules are checked after. */
static bool parse_cidr(int af, const char *s, void *addr, unsigned *prefix)
{
	const char *slash = strchr(s, '/');
	char buf[INET6_ADDRSTRLEN];
	uint64_t len;

	if (!slash || (size_t)(slash - s) >= sizeof(buf) || strlen(slash + 1) > 3)
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (inet_pton(af, buf, addr) != 1 || !state_parse_u64(slash + 1, &len))
		return false;
	*prefix = (unsigned)len;
	return true;
}

/* One ["name", "v4", "v6", "last_used"] of a map. */
static int load_fake_map(struct state_lctx *c, const char *path, struct json_object *o,
			 struct fake_map *m)
{
	const char *item[4];

	if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) != 4)
		return state_json_bad(c, path, "not an array [name, IPv4, IPv6, last_used]");
	for (size_t i = 0; i < 4; i++) {
		struct json_object *x = json_object_array_get_idx(o, i);

		if (!json_object_is_type(x, json_type_string))
			return state_json_bad(c, path, "item %zu is not a string", i);
		item[i] = json_object_get_string(x);
		if ((size_t)json_object_get_string_len(x) != strlen(item[i]))
			return state_json_bad(c, path, "item %zu contains a NUL character", i);
	}
	if (inet_pton(AF_INET, item[1], &m->v4) != 1)
		return state_json_bad(c, path, "'%.40s' is not an IPv4 address", item[1]);
	if (inet_pton(AF_INET6, item[2], &m->v6) != 1)
		return state_json_bad(c, path, "'%.60s' is not an IPv6 address", item[2]);
	if (!state_parse_u64(item[3], &m->last_used))
		return state_json_bad(c, path,
				      "last_used is not a decimal 64-bit unsigned integer");
	m->name = strdup(item[0]);
	return m->name ? 0 : -ENOMEM;
}

/* "v4" and "v6" of a "fake" object: pools derive() could have set for this id. */
static int load_fake_pools(struct state_lctx *c, const char *path, struct json_object *f,
			   struct subject_state *e)
{
	const char *s4, *s6;
	char why[160];
	int r = state_json_string(c, path, f, "v4", &s4);

	if (r >= 0)
		r = state_json_string(c, path, f, "v6", &s6);
	if (r < 0)
		return r;
	if (!parse_cidr(AF_INET, s4, &e->fake4_base, &e->fake4_prefix))
		return state_json_bad(c, path, "'v4' is not IPv4-ADDRESS/LENGTH");
	if (!parse_cidr(AF_INET6, s6, &e->fake6_base, &e->fake6_prefix))
		return state_json_bad(c, path, "'v6' is not IPv6-ADDRESS/LENGTH");
	if (state_fake_pools_check(e, why, sizeof(why)) < 0)
		return state_json_bad(c, path, "bad pool: %s", why);
	return 0;
}

/* The mappings; each checked alone, then as a whole (duplicates), then sorted. */
static int load_fake_maps(struct state_lctx *c, const char *path, struct json_object *a,
			  struct subject_state *e)
{
	size_t n = json_object_array_length(a);
	struct state_fake_fault f;
	char sub[96];
	int r;

	if (n > STATE_FAKES_MAX)
		return state_json_bad(c, path, "'map' has more than %u entries", STATE_FAKES_MAX);
	e->fakes = n ? calloc(n, sizeof(*e->fakes)) : NULL;
	if (n && !e->fakes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s.map[%zu]", path, i);
		e->n_fakes++;
		r = load_fake_map(c, sub, json_object_array_get_idx(a, i), &e->fakes[i]);
		if (r < 0)
			return r;
	}
	r = state_fakes_check(e, e->fakes, n, &f);
	if (r == -ENOMEM)
		return r;
	snprintf(sub, sizeof(sub), "%s.map[%zu]", path, f.idx);
	if (r < 0 && f.idx != f.other)
		return state_json_bad(c, sub, "%s map[%zu]", f.why, f.other);
	if (r < 0)
		return state_json_bad(c, sub, "%s", f.why);
	state_fakes_sort(e->fakes, n);
	return 0;
}

/* "fake" is optional (files from before fake-IP mappings): then the default pools, no map. */
static int load_fake(struct state_lctx *c, const char *path, struct json_object *o,
		     struct subject_state *e)
{
	static const char *const keys[] = {"v4", "v6", "map", NULL};
	struct json_object *f, *a;
	char sub[64];
	int r;

	if (!json_object_object_get_ex(o, "fake", NULL)) {
		state_fake_pools(NULL, e->id, e);
		return 0;
	}
	r = state_json_member(c, path, o, "fake", json_type_object, &f);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.fake", path);
	r = state_json_keys(c, sub, f, keys);
	if (r >= 0)
		r = load_fake_pools(c, sub, f, e);
	if (r >= 0)
		r = state_json_member(c, sub, f, "map", json_type_array, &a);
	if (r >= 0)
		r = load_fake_maps(c, sub, a, e);
	return r;
}

/* "kind": absent or "named" is SUBJ_NAMED (files from before Pid subjects), "pid" SUBJ_PID. */
static int load_kind(struct state_lctx *c, const char *path, struct json_object *o,
		     struct subject_state *e)
{
	const char *s;
	int r;

	if (!json_object_object_get_ex(o, "kind", NULL)) {
		e->kind = SUBJ_NAMED;
		return 0;
	}
	r = state_json_string(c, path, o, "kind", &s);
	if (r < 0)
		return r;
	if (strcmp(s, "named") == 0)
		e->kind = SUBJ_NAMED;
	else if (strcmp(s, "pid") == 0)
		e->kind = SUBJ_PID;
	else
		return state_json_bad(c, path, "'kind' is neither \"named\" nor \"pid\"");
	return 0;
}

/* A Pid subject: "pid" 1..PID_MAX_LIMIT and "pid_start" > 0, no "netns". */
static int load_pid(struct state_lctx *c, const char *path, struct json_object *o,
		    struct subject_state *e)
{
	const char *s;
	int64_t pid;
	int r;

	if (json_object_object_get_ex(o, "netns", NULL))
		return state_json_bad(c, path, "a pid subject has no 'netns'");
	r = state_json_int(c, path, o, "pid", 1, STATE_PID_MAX, &pid);
	if (r < 0)
		return r;
	e->pid = (int32_t)pid;
	r = state_json_string(c, path, o, "pid_start", &s);
	if (r < 0)
		return r;
	if (!state_parse_u64(s, &e->pid_start))
		return state_json_bad(c, path,
				      "'pid_start' is not a decimal 64-bit unsigned integer");
	if (e->pid_start == 0)
		return state_json_bad(c, path, "'pid_start' is 0");
	return 0;
}

/* How the namespace is referred to: "netns" for named, "pid" and "pid_start" for Pid. */
static int load_ref(struct state_lctx *c, const char *path, struct json_object *o,
		    struct subject_state *e)
{
	if (e->kind == SUBJ_PID)
		return load_pid(c, path, o, e);
	if (json_object_object_get_ex(o, "pid", NULL))
		return state_json_bad(c, path, "a named subject has no 'pid'");
	if (json_object_object_get_ex(o, "pid_start", NULL))
		return state_json_bad(c, path, "a named subject has no 'pid_start'");
	return get_name(c, path, o, "netns", &e->netns);
}

int state_json_subject(struct state_lctx *c, const char *path, struct json_object *o,
		       uint32_t next_id, struct subject_state *e)
{
	static const char *const keys[] = {"name",    "kind",	   "id",   "netns",
					   "pid",     "pid_start", "ns",   "uplink4",
					   "uplink6", "profile",   "fake", NULL};
	struct json_object *ns;
	char sub[64];
	int64_t id;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return state_json_bad(c, path, "not an object");
	r = state_json_keys(c, path, o, keys);
	if (r >= 0)
		r = get_name(c, path, o, "name", &e->name);
	if (r >= 0)
		r = load_kind(c, path, o, e);
	if (r >= 0)
		r = state_json_int(c, path, o, "id", 1, (int64_t)next_id - 1, &id);
	if (r < 0)
		return r;
	e->id = (uint32_t)id;
	r = load_ref(c, path, o, e);
	if (r >= 0)
		r = state_json_member(c, path, o, "ns", json_type_object, &ns);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.ns", path);
	r = state_json_ident(c, sub, ns, &e->ns);
	if (r >= 0)
		r = load_addrs(c, path, o, e);
	if (r >= 0)
		r = load_profile(c, path, o, e);
	if (r >= 0)
		r = load_fake(c, path, o, e);
	return r;
}
