/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_json_write.c - the Derivative as JSON text (version 1); state_json_read.c and
 * state_json_subject.c read it back.
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
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "util/macro.h"

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
