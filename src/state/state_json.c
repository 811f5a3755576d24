/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_json.c - the Derivative as JSON text (version 1) and back.
 *
 *   {"version":1,
 *    "root":{"dev":"N","ino":"N","cookie":"N"},      (absent until recorded)
 *    "next_id":N,
 *    "subjects":[{"name":S,"kind":"named","id":N,"netns":S,
 *                 "ns":{"dev":"N","ino":"N","cookie":"N"},
 *                 "uplink4":"100.64.0.5","uplink6":"fd6e:7370:0:1::1",
 *                 "profile":{...snapshot...},
 *                 "fake":{"v4":"198.18.0.0/15","v6":"fd6e:7370:fa40:1::/64",
 *                         "map":[["example.com","198.18.0.1","fd6e:7370:fa40:1::1",
 *                                 "1732540000"], ...]}},
 *                {"name":S,"kind":"pid","id":N,"pid":N,"pid_start":"N","ns":{...},
 *                 "uplink4":...,"uplink6":...,"profile":{...}}, ...]}
 *
 * "kind" is optional on load and means "named" when absent, so files written
 * before Pid subjects existed still load as version 1.  A named subject has
 * "netns" and no "pid"/"pid_start"; a Pid subject the reverse.  Names and
 * netns are unique among named subjects, pids among Pid subjects, ids among
 * all of them.
 *
 * "fake" is optional too (files from before fake-IP mappings: the default
 * pools, no mappings).  Its pools must be ones derive() could set; each
 * mapping is a lowercase host name and the two addresses of one slot of the
 * pools (state_fake.c), last_used a decimal string; names and addresses are
 * unique within the subject, at most STATE_FAKES_MAX of them.
 *
 * 64-bit identities are decimal strings: a JSON number above 2^53 loses
 * precision in many readers, and json-c silently clamps out-of-range
 * integers, which would let a corrupt value through.  Loading is strict:
 * unknown keys, wrong types, out-of-range values, duplicates and addresses
 * that do not follow from the id are refused with the JSON path at fault.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "util/macro.h"
#include "util/parse.h"

static struct json_object *ident_to_json(const struct ns_ident *id)
{
	struct json_object *o = json_object_new_object();
	const uint64_t v[3] = {id->dev, id->ino, id->cookie};
	static const char *const keys[3] = {"dev", "ino", "cookie"};

	for (size_t i = 0; o && i < 3; i++) {
		char buf[24];

		snprintf(buf, sizeof(buf), "%" PRIu64, v[i]);
		if (state_json_add(o, keys[i], json_object_new_string(buf), true) < 0) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

static int add_addr(struct json_object *o, const char *key, int af, const void *addr)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(af, addr, buf, sizeof(buf)))
		return -EINVAL;
	return state_json_add(o, key, json_object_new_string(buf), true);
}

int state_json_add_cidr(struct json_object *o, const char *key, int af, const void *addr,
			unsigned prefix)
{
	char a[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 16];

	if (!inet_ntop(af, addr, a, sizeof(a)))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s/%u", a, prefix);
	return state_json_add(o, key, json_object_new_string(buf), true);
}

/* ["name", "v4", "v6", "last_used"]: positional, a quarter of the size of an object. */
static int fake_map_to_json(const struct fake_map *m, struct json_object *a)
{
	char v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN], last[24];
	const char *item[4] = {m->name, v4, v6, last};
	struct json_object *o = json_object_new_array_ext(4);

	if (!o)
		return -ENOMEM;
	inet_ntop(AF_INET, &m->v4, v4, sizeof(v4));
	inet_ntop(AF_INET6, &m->v6, v6, sizeof(v6));
	snprintf(last, sizeof(last), "%" PRIu64, m->last_used);
	for (size_t i = 0; i < 4; i++) {
		struct json_object *x = json_object_new_string(item[i]);

		if (!x || json_object_array_add(o, x) < 0) {
			json_object_put(x);
			json_object_put(o);
			return -ENOMEM;
		}
	}
	if (json_object_array_add(a, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	return 0;
}

/* "fake": {"v4": CIDR, "v6": CIDR, "map": [...]}; refuses what the loader would. */
static int fake_to_json(const struct subject_state *e, struct json_object *o)
{
	struct json_object *f = json_object_new_object(), *a;
	char why[128];
	int r = f ? 0 : -ENOMEM;

	if (r >= 0 && state_fake_pools_check(e, why, sizeof(why)) < 0)
		r = -EINVAL;
	if (r >= 0)
		r = state_json_add_cidr(f, "v4", AF_INET, &e->fake4_base, e->fake4_prefix);
	if (r >= 0)
		r = state_json_add_cidr(f, "v6", AF_INET6, &e->fake6_base, e->fake6_prefix);
	a = r >= 0 ? json_object_new_array_ext(e->n_fakes) : NULL;
	if (r >= 0)
		r = state_json_add(f, "map", a, true);
	for (size_t i = 0; r >= 0 && i < e->n_fakes; i++)
		r = fake_map_to_json(&e->fakes[i], a);
	if (r < 0) {
		json_object_put(f);
		return r;
	}
	return state_json_add(o, "fake", f, true);
}

static const char *const kind_names[] = {"named", "pid"};

/* How the namespace is referred to: "netns" for named, "pid" and "pid_start" for Pid. */
static int subject_ref_to_json(const struct subject_state *e, struct json_object *o)
{
	char buf[24];
	int r;

	if (e->kind != SUBJ_PID)
		return e->netns ? state_json_add(o, "netns", json_object_new_string(e->netns), true)
				: -EINVAL;
	r = state_json_add(o, "pid", json_object_new_int64(e->pid), true);
	if (r < 0)
		return r;
	snprintf(buf, sizeof(buf), "%" PRIu64, e->pid_start);
	return state_json_add(o, "pid_start", json_object_new_string(buf), true);
}

static int subject_to_json(const struct subject_state *e, struct json_object **out)
{
	struct json_object *o = json_object_new_object(), *prof;
	int r;

	if (!o)
		return -ENOMEM;
	r = state_json_add(o, "name", json_object_new_string(e->name), true);
	if (r >= 0)
		r = state_json_add(o, "kind",
				   json_object_new_string(kind_names[e->kind == SUBJ_PID]), true);
	if (r >= 0)
		r = state_json_add(o, "id", json_object_new_int64(e->id), true);
	if (r >= 0)
		r = subject_ref_to_json(e, o);
	if (r >= 0)
		r = state_json_add(o, "ns", ident_to_json(&e->ns), true);
	if (r >= 0)
		r = add_addr(o, "uplink4", AF_INET, &e->uplink4);
	if (r >= 0)
		r = add_addr(o, "uplink6", AF_INET6, &e->uplink6);
	if (r >= 0) {
		prof = e->snapshot ? json_tokener_parse(e->snapshot) : NULL;
		if (!json_object_is_type(prof, json_type_object)) {
			json_object_put(prof);
			r = -EINVAL;
		} else {
			r = state_json_add(o, "profile", prof, true);
		}
	}
	if (r >= 0)
		r = fake_to_json(e, o);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*out = o;
	return 0;
}

static int subjects_to_json(const struct derivative *d, struct json_object *top)
{
	struct json_object *a = json_object_new_array_ext(d->n_subjects);
	int r = 0;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_subjects && r >= 0; i++) {
		struct json_object *o = NULL;

		r = subject_to_json(&d->subjects[i], &o);
		if (r >= 0 && json_object_array_add(a, o) < 0) {
			json_object_put(o);
			r = -ENOMEM;
		}
	}
	if (r < 0) {
		json_object_put(a);
		return r;
	}
	return state_json_add(top, "subjects", a, true);
}

/**
 * derivative_to_json() - serialise @d as the version-1 state file text.
 * @d: derivative, every snapshot valid JSON text.
 * @flags: json-c serialisation flags (STATE_JSON_PLAIN or pretty).
 * @out: receives malloc'd text.
 *
 * Return: 0, -ENOMEM, or -EINVAL if a snapshot is not a JSON object.
 */
int derivative_to_json(const struct derivative *d, int flags, char **out)
{
	struct json_object *top = json_object_new_object();
	int r;

	if (!top)
		return -ENOMEM;
	r = state_json_add(top, "version", json_object_new_int(d->version), true);
	if (r >= 0 && d->have_root)
		r = state_json_add(top, "root", ident_to_json(&d->root), true);
	if (r >= 0)
		r = state_json_add(top, "next_id", json_object_new_int64(d->next_id), true);
	if (r >= 0)
		r = subjects_to_json(d, top);
	if (r >= 0) {
		*out = strdup(json_object_to_json_string_ext(top, flags));
		if (!*out)
			r = -ENOMEM;
	}
	json_object_put(top);
	return r;
}

/* ---- loading ---- */

struct lctx {
	char *err;
	size_t errlen;
};

static int bad(struct lctx *c, const char *path, const char *fmt, ...) _printf_(3, 4);
static int bad(struct lctx *c, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (c->errlen) {
		n = snprintf(c->err, c->errlen, "%s: ", path);
		if (n >= 0 && (size_t)n < c->errlen) {
			va_start(ap, fmt);
			vsnprintf(c->err + n, c->errlen - n, fmt, ap);
			va_end(ap);
		}
	}
	return -EBADMSG;
}

/* Refuse keys other than @allowed (NULL-terminated) in object @o. */
static int check_keys(struct lctx *c, const char *path, struct json_object *o,
		      const char *const *allowed)
{
	json_object_object_foreach(o, key, val)
	{
		size_t i;

		(void)val;
		for (i = 0; allowed[i]; i++)
			if (strcmp(key, allowed[i]) == 0)
				break;
		if (!allowed[i])
			return bad(c, path, "unknown key '%.40s'", key);
	}
	return 0;
}

/* Member @key of @o with type @t; @path is the parent's path. */
static int get_member(struct lctx *c, const char *path, struct json_object *o, const char *key,
		      enum json_type t, struct json_object **out)
{
	if (!json_object_object_get_ex(o, key, out))
		return bad(c, path, "missing '%s'", key);
	if (!json_object_is_type(*out, t))
		return bad(c, path, "'%s' is not of type %s", key, json_type_to_name(t));
	return 0;
}

/* A JSON integer in [min, max]; json-c clamps huge ones, which fall outside. */
static int get_int(struct lctx *c, const char *path, struct json_object *o, const char *key,
		   int64_t min, int64_t max, int64_t *v)
{
	struct json_object *m;
	int r = get_member(c, path, o, key, json_type_int, &m);

	if (r < 0)
		return r;
	*v = json_object_get_int64(m);
	if (*v < min || *v > max)
		return bad(c, path, "'%s' out of range %" PRId64 "..%" PRId64, key, min, max);
	return 0;
}

static int get_string(struct lctx *c, const char *path, struct json_object *o, const char *key,
		      const char **s)
{
	struct json_object *m;
	int r = get_member(c, path, o, key, json_type_string, &m);

	if (r < 0)
		return r;
	*s = json_object_get_string(m);
	if ((size_t)json_object_get_string_len(m) != strlen(*s))
		return bad(c, path, "'%s' contains a NUL character", key);
	return 0;
}

/* Decimal without sign, leading zeros or overflow: "0".."18446744073709551615". */
static bool parse_u64(const char *s, uint64_t *v)
{
	return parse_uint_canon(s, UINT64_MAX, v) == 0;
}

static int load_ident(struct lctx *c, const char *path, struct json_object *o, struct ns_ident *id)
{
	static const char *const keys[] = {"dev", "ino", "cookie", NULL};
	uint64_t *v[3] = {&id->dev, &id->ino, &id->cookie};
	int r = check_keys(c, path, o, keys);

	for (size_t i = 0; r >= 0 && i < 3; i++) {
		const char *s;

		r = get_string(c, path, o, keys[i], &s);
		if (r >= 0 && !parse_u64(s, v[i]))
			r = bad(c, path, "'%s' is not a decimal 64-bit unsigned integer", keys[i]);
	}
	return r;
}

static int get_name(struct lctx *c, const char *path, struct json_object *o, const char *key,
		    char **out)
{
	const char *s;
	int r = get_string(c, path, o, key, &s);

	if (r < 0)
		return r;
	if (!name_valid(s))
		return bad(c, path, "'%s' is not a valid name", key);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int load_addrs(struct lctx *c, const char *path, struct json_object *o,
		      struct subject_state *e)
{
	struct in_addr want4 = state_uplink4(e->id);
	struct in6_addr want6 = state_uplink6(e->id);
	const char *s;
	int r;

	r = get_string(c, path, o, "uplink4", &s);
	if (r < 0)
		return r;
	if (inet_pton(AF_INET, s, &e->uplink4) != 1)
		return bad(c, path, "'uplink4' is not an IPv4 address");
	if (e->uplink4.s_addr != want4.s_addr)
		return bad(c, path, "'uplink4' does not match id %" PRIu32, e->id);
	r = get_string(c, path, o, "uplink6", &s);
	if (r < 0)
		return r;
	if (inet_pton(AF_INET6, s, &e->uplink6) != 1)
		return bad(c, path, "'uplink6' is not an IPv6 address");
	if (memcmp(&e->uplink6, &want6, sizeof(want6)) != 0)
		return bad(c, path, "'uplink6' does not match id %" PRIu32, e->id);
	return 0;
}

/* The snapshot must be an object naming the same profile and namespace. */
static int load_profile(struct lctx *c, const char *path, struct json_object *o,
			struct subject_state *e)
{
	struct json_object *p;
	const char *s;
	char sub[96];
	int r;

	r = get_member(c, path, o, "profile", json_type_object, &p);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.profile", path);
	r = get_string(c, sub, p, "name", &s);
	if (r >= 0 && strcmp(s, e->name) != 0)
		r = bad(c, sub, "'name' differs from the subject's name");
	/* A Pid subject's profile names the profile's own named namespace, not its. */
	if (r >= 0 && e->kind == SUBJ_NAMED)
		r = get_string(c, sub, p, "netns", &s);
	if (r >= 0 && e->kind == SUBJ_NAMED && strcmp(s, e->netns) != 0)
		r = bad(c, sub, "'netns' differs from the subject's netns");
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
	if (inet_pton(af, buf, addr) != 1 || !parse_u64(slash + 1, &len))
		return false;
	*prefix = (unsigned)len;
	return true;
}

/* One ["name", "v4", "v6", "last_used"] of a map. */
static int load_fake_map(struct lctx *c, const char *path, struct json_object *o,
			 struct fake_map *m)
{
	const char *item[4];

	if (!json_object_is_type(o, json_type_array) || json_object_array_length(o) != 4)
		return bad(c, path, "not an array [name, IPv4, IPv6, last_used]");
	for (size_t i = 0; i < 4; i++) {
		struct json_object *x = json_object_array_get_idx(o, i);

		if (!json_object_is_type(x, json_type_string))
			return bad(c, path, "item %zu is not a string", i);
		item[i] = json_object_get_string(x);
		if ((size_t)json_object_get_string_len(x) != strlen(item[i]))
			return bad(c, path, "item %zu contains a NUL character", i);
	}
	if (inet_pton(AF_INET, item[1], &m->v4) != 1)
		return bad(c, path, "'%.40s' is not an IPv4 address", item[1]);
	if (inet_pton(AF_INET6, item[2], &m->v6) != 1)
		return bad(c, path, "'%.60s' is not an IPv6 address", item[2]);
	if (!parse_u64(item[3], &m->last_used))
		return bad(c, path, "last_used is not a decimal 64-bit unsigned integer");
	m->name = strdup(item[0]);
	return m->name ? 0 : -ENOMEM;
}

/* "v4" and "v6" of a "fake" object: pools derive() could have set for this id. */
static int load_fake_pools(struct lctx *c, const char *path, struct json_object *f,
			   struct subject_state *e)
{
	const char *s4, *s6;
	char why[160];
	int r = get_string(c, path, f, "v4", &s4);

	if (r >= 0)
		r = get_string(c, path, f, "v6", &s6);
	if (r < 0)
		return r;
	if (!parse_cidr(AF_INET, s4, &e->fake4_base, &e->fake4_prefix))
		return bad(c, path, "'v4' is not IPv4-ADDRESS/LENGTH");
	if (!parse_cidr(AF_INET6, s6, &e->fake6_base, &e->fake6_prefix))
		return bad(c, path, "'v6' is not IPv6-ADDRESS/LENGTH");
	if (state_fake_pools_check(e, why, sizeof(why)) < 0)
		return bad(c, path, "bad pool: %s", why);
	return 0;
}

/* The mappings; each checked alone, then as a whole (duplicates), then sorted. */
static int load_fake_maps(struct lctx *c, const char *path, struct json_object *a,
			  struct subject_state *e)
{
	size_t n = json_object_array_length(a);
	struct state_fake_fault f;
	char sub[96];
	int r;

	if (n > STATE_FAKES_MAX)
		return bad(c, path, "'map' has more than %u entries", STATE_FAKES_MAX);
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
		return bad(c, sub, "%s map[%zu]", f.why, f.other);
	if (r < 0)
		return bad(c, sub, "%s", f.why);
	state_fakes_sort(e->fakes, n);
	return 0;
}

/* "fake" is optional (files from before fake-IP mappings): then the default pools, no map. */
static int load_fake(struct lctx *c, const char *path, struct json_object *o,
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
	r = get_member(c, path, o, "fake", json_type_object, &f);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.fake", path);
	r = check_keys(c, sub, f, keys);
	if (r >= 0)
		r = load_fake_pools(c, sub, f, e);
	if (r >= 0)
		r = get_member(c, sub, f, "map", json_type_array, &a);
	if (r >= 0)
		r = load_fake_maps(c, sub, a, e);
	return r;
}

/* "kind": absent or "named" is SUBJ_NAMED (files from before Pid subjects), "pid" SUBJ_PID. */
static int load_kind(struct lctx *c, const char *path, struct json_object *o,
		     struct subject_state *e)
{
	const char *s;
	int r;

	if (!json_object_object_get_ex(o, "kind", NULL)) {
		e->kind = SUBJ_NAMED;
		return 0;
	}
	r = get_string(c, path, o, "kind", &s);
	if (r < 0)
		return r;
	if (strcmp(s, "named") == 0)
		e->kind = SUBJ_NAMED;
	else if (strcmp(s, "pid") == 0)
		e->kind = SUBJ_PID;
	else
		return bad(c, path, "'kind' is neither \"named\" nor \"pid\"");
	return 0;
}

/* A Pid subject: "pid" 1..PID_MAX_LIMIT and "pid_start" > 0, no "netns". */
static int load_pid(struct lctx *c, const char *path, struct json_object *o,
		    struct subject_state *e)
{
	const char *s;
	int64_t pid;
	int r;

	if (json_object_object_get_ex(o, "netns", NULL))
		return bad(c, path, "a pid subject has no 'netns'");
	r = get_int(c, path, o, "pid", 1, STATE_PID_MAX, &pid);
	if (r < 0)
		return r;
	e->pid = (int32_t)pid;
	r = get_string(c, path, o, "pid_start", &s);
	if (r < 0)
		return r;
	if (!parse_u64(s, &e->pid_start))
		return bad(c, path, "'pid_start' is not a decimal 64-bit unsigned integer");
	if (e->pid_start == 0)
		return bad(c, path, "'pid_start' is 0");
	return 0;
}

/* How the namespace is referred to: "netns" for named, "pid" and "pid_start" for Pid. */
static int load_ref(struct lctx *c, const char *path, struct json_object *o,
		    struct subject_state *e)
{
	if (e->kind == SUBJ_PID)
		return load_pid(c, path, o, e);
	if (json_object_object_get_ex(o, "pid", NULL))
		return bad(c, path, "a named subject has no 'pid'");
	if (json_object_object_get_ex(o, "pid_start", NULL))
		return bad(c, path, "a named subject has no 'pid_start'");
	return get_name(c, path, o, "netns", &e->netns);
}

static int load_subject(struct lctx *c, const char *path, struct json_object *o, uint32_t next_id,
			struct subject_state *e)
{
	static const char *const keys[] = {"name",    "kind",	   "id",   "netns",
					   "pid",     "pid_start", "ns",   "uplink4",
					   "uplink6", "profile",   "fake", NULL};
	struct json_object *ns;
	char sub[64];
	int64_t id;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return bad(c, path, "not an object");
	r = check_keys(c, path, o, keys);
	if (r >= 0)
		r = get_name(c, path, o, "name", &e->name);
	if (r >= 0)
		r = load_kind(c, path, o, e);
	if (r >= 0)
		r = get_int(c, path, o, "id", 1, (int64_t)next_id - 1, &id);
	if (r < 0)
		return r;
	e->id = (uint32_t)id;
	r = load_ref(c, path, o, e);
	if (r >= 0)
		r = get_member(c, path, o, "ns", json_type_object, &ns);
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s.ns", path);
	r = load_ident(c, sub, ns, &e->ns);
	if (r >= 0)
		r = load_addrs(c, path, o, e);
	if (r >= 0)
		r = load_profile(c, path, o, e);
	if (r >= 0)
		r = load_fake(c, path, o, e);
	return r;
}

/* One key of a subject, with its index in the file, for duplicate checks. */
struct keyref {
	const char *s;
	uint32_t n;
	size_t idx;
};

/* Order by key, then by file position, so the first of two equal keys is named. */
static int keyref_key_cmp(const struct keyref *x, const struct keyref *y)
{
	int r = x->s && y->s ? strcmp(x->s, y->s) : 0;

	if (r)
		return r;
	return x->n < y->n ? -1 : x->n > y->n;
}

static int keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int r = keyref_key_cmp(x, y);

	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* What must be unique, and among which subjects (SUBJ_PID + 1: all of them). */
struct unique_rule {
	const char *what;
	int kind;
};

static const struct unique_rule unique_rules[] = {
	{"name", SUBJ_NAMED}, {"netns", SUBJ_NAMED}, {"id", SUBJ_PID + 1}, {"pid", SUBJ_PID}};

/* The keys of rule @w for the subjects it covers; returns how many. */
static size_t unique_keys(const struct derivative *d, size_t w, struct keyref *k)
{
	size_t m = 0;

	for (size_t i = 0; i < d->n_subjects; i++) {
		const struct subject_state *e = &d->subjects[i];

		if (unique_rules[w].kind <= SUBJ_PID && (int)e->kind != unique_rules[w].kind)
			continue;
		k[m++] = (struct keyref){w == 0	  ? e->name
					 : w == 1 ? e->netns
						  : NULL,
					 w == 2	  ? e->id
					 : w == 3 ? (uint32_t)e->pid
						  : 0,
					 i};
	}
	return m;
}

/* Refuse two named subjects sharing a name or netns, two Pid ones a pid, any two an id. */
static int check_unique(struct lctx *c, const struct derivative *d)
{
	_cleanup_free_ struct keyref *k = calloc(d->n_subjects ? d->n_subjects : 1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	for (size_t w = 0; w < ARRAY_SIZE(unique_rules); w++) {
		size_t m = unique_keys(d, w, k);

		qsort(k, m, sizeof(*k), keyref_cmp);
		for (size_t i = 1; i < m; i++) {
			char path[48];

			if (keyref_key_cmp(&k[i - 1], &k[i]) != 0)
				continue;
			snprintf(path, sizeof(path), "subjects[%zu].%s", k[i].idx,
				 unique_rules[w].what);
			return bad(c, path, "duplicate of subjects[%zu]", k[i - 1].idx);
		}
	}
	return 0;
}

static int load_subjects(struct lctx *c, struct json_object *top, struct derivative *d)
{
	struct json_object *a;
	size_t n;
	int r;

	r = get_member(c, "$", top, "subjects", json_type_array, &a);
	if (r < 0)
		return r;
	n = json_object_array_length(a);
	if (n > STATE_SUBJECTS_MAX)
		return bad(c, "subjects", "more than %u entries", STATE_SUBJECTS_MAX);
	if (n) {
		d->subjects = calloc(n, sizeof(*d->subjects));
		if (!d->subjects)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char path[40];

		d->n_subjects++;
		snprintf(path, sizeof(path), "subjects[%zu]", i);
		r = load_subject(c, path, json_object_array_get_idx(a, i), d->next_id,
				 &d->subjects[i]);
		if (r < 0)
			return r;
	}
	r = check_unique(c, d);
	if (r >= 0 && n > 1)
		qsort(d->subjects, n, sizeof(*d->subjects), state_subject_cmp);
	return r;
}

static int load_top(struct lctx *c, struct json_object *top, struct derivative *d)
{
	static const char *const keys[] = {"version", "root", "next_id", "subjects", NULL};
	struct json_object *root;
	int64_t v;
	int r;

	if (!json_object_is_type(top, json_type_object))
		return bad(c, "$", "not a JSON object but %s",
			   json_type_to_name(json_object_get_type(top)));
	r = get_int(c, "$", top, "version", INT32_MIN, INT32_MAX, &v);
	if (r < 0)
		return r;
	if (v != DERIVATIVE_VERSION)
		return bad(c, "version", "%" PRId64 " is not the supported version %d", v,
			   DERIVATIVE_VERSION);
	d->version = (int)v;
	r = check_keys(c, "$", top, keys);
	if (r >= 0 && json_object_object_get_ex(top, "root", &root)) {
		if (!json_object_is_type(root, json_type_object))
			return bad(c, "root", "not an object");
		d->have_root = true;
		r = load_ident(c, "root", root, &d->root);
	}
	if (r >= 0)
		r = get_int(c, "$", top, "next_id", 1, STATE_ID_MAX + 1, &v);
	if (r < 0)
		return r;
	d->next_id = (uint32_t)v;
	return load_subjects(c, top, d);
}

/* @buf is not NUL-terminated: no strspn(). */
static bool only_space(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n')
			return false;
	return true;
}

/* Parse all of @buf as one JSON value; @top is NULL (JSON null) or a value. */
static int parse_text(struct lctx *c, const char *buf, size_t len, struct json_object **top)
{
	struct json_tokener *tok = json_tokener_new_ex(STATE_JSON_DEPTH);
	enum json_tokener_error e;
	size_t end;
	int r = 0;

	if (!tok)
		return -ENOMEM;
	*top = json_tokener_parse_ex(tok, buf, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!*top && json_tokener_get_error(tok) == json_tokener_continue && end == len)
		/* A bare number at the end may go on; a NUL tells json-c the text ends. */
		*top = json_tokener_parse_ex(tok, "", 1);
	e = json_tokener_get_error(tok);
	if (!*top && (e == json_tokener_continue || e == json_tokener_error_parse_eof))
		r = bad(c, "$", "truncated JSON at offset %zu", end);
	else if (!*top && e != json_tokener_success)
		r = bad(c, "$", "not JSON: %s at offset %zu", json_tokener_error_desc(e), end);
	else if (!only_space(buf + end, len - end))
		r = bad(c, "$", "trailing data after the JSON value");
	json_tokener_free(tok);
	if (r < 0) {
		json_object_put(*top);
		*top = NULL;
	}
	return r;
}

/**
 * derivative_load_buffer() - parse and validate a Derivative from JSON text.
 * @buf: text (need not be NUL-terminated).
 * @len: its length, at most STATE_FILE_MAX (64 MiB).
 * @out: filled on success; release with derivative_free().
 * @err: one line saying what is wrong and where (JSON path).
 * @errlen: size of @err.
 *
 * Return: 0, -EBADMSG for any malformed, foreign or impossible content, or
 * -ENOMEM.
 */
int derivative_load_buffer(const char *buf, size_t len, struct derivative *out, char *err,
			   size_t errlen)
{
	struct lctx c = {err, errlen};
	struct derivative d = {0};
	struct json_object *top = NULL;
	int r;

	if (errlen)
		err[0] = '\0';
	if (len > STATE_FILE_MAX)
		return bad(&c, "$", "larger than %u bytes", STATE_FILE_MAX);
	r = parse_text(&c, buf, len, &top);
	if (r >= 0)
		r = load_top(&c, top, &d); /* JSON null: "not a JSON object but null" */
	json_object_put(top);
	if (r < 0) {
		derivative_free(&d);
		return r;
	}
	*out = d;
	return 0;
}
