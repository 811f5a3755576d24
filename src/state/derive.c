/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * derive.c - the pure half of the Derivative: profile snapshots and derive().
 *
 * Nothing here does I/O, reads a clock or draws random numbers: the same
 * Settings and previous Derivative always give the same result (docs/DESIGN.md
 * "Settings → Derivative → Apply").
 *
 * A snapshot holds every value of a profile and of each proxy of its chains,
 * passwords included, so that a changed password counts as a changed
 * profile.  The state file therefore holds credentials; it is written 0600
 * in a 0700 directory (state_file.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "util/macro.h"

struct in_addr state_uplink4(uint32_t id)
{
	/* 100.64.0.0 is 0x64400000; id <= STATE_ID_MAX keeps us inside the /10. */
	struct in_addr a = {.s_addr = htonl(UINT32_C(0x64400000) + id * 4 + 1)};

	return a;
}

struct in6_addr state_uplink6(uint32_t id)
{
	/* fd6e:7370::/32 is a ULA prefix (RFC 4193 §3.1, L=1); "ns"+"p" in hex. */
	struct in6_addr a = {{{0xfd, 0x6e, 0x73, 0x70, (uint8_t)(id >> 24), (uint8_t)(id >> 16),
			       (uint8_t)(id >> 8), (uint8_t)id}}};

	a.s6_addr[15] = 1;
	return a;
}

int state_json_add(struct json_object *obj, const char *key, struct json_object *val, bool want)
{
	if (want && !val)
		return -ENOMEM;
	if (json_object_object_add_ex(obj, key, val, JSON_C_OBJECT_KEY_IS_CONSTANT) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/* A string or JSON null; NULL with *oom set when allocation failed. */
static int add_str(struct json_object *obj, const char *key, const char *s)
{
	return state_json_add(obj, key, s ? json_object_new_string(s) : NULL, s != NULL);
}

static int add_int(struct json_object *obj, const char *key, int64_t v)
{
	return state_json_add(obj, key, json_object_new_int64(v), true);
}

static const char *const dns_names[] = {
	[DNS_FAKE] = "fake", [DNS_PROXY] = "proxy", [DNS_OFF] = "off"};
static const char *const isolate_names[] = {[ISOLATE_NONE] = "none",
					    [ISOLATE_PROFILE] = "profile",
					    [ISOLATE_APP] = "app",
					    [ISOLATE_DESTINATION] = "destination"};

static const char *enum_name(const char *const *names, size_t n, unsigned v)
{
	return v < n ? names[v] : "invalid";
}

static struct json_object *snapshot_hop(const struct proxy_conf *x)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (add_str(o, "name", x->name) < 0 || add_str(o, "kind", proxy_kind_name(x->kind)) < 0 ||
	    add_str(o, "host", x->host) < 0 || add_int(o, "port", x->port) < 0 ||
	    add_str(o, "user", x->user) < 0 || add_str(o, "password", x->pass) < 0 ||
	    add_str(o, "isolate", enum_name(isolate_names, ARRAY_SIZE(isolate_names), x->isolate)) <
		    0 ||
	    add_str(o, "netns", x->netns) < 0 || add_str(o, "via", x->via) < 0 ||
	    /* Only when set, so snapshots written before these keys existed stay equal. */
	    (x->fastopen && state_json_add(o, "fastopen", json_object_new_boolean(1), true) < 0) ||
	    (x->pipeline && state_json_add(o, "pipeline", json_object_new_boolean(1), true) < 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Every hop of the chain ending in proxy @last, first hop first. */
static int snapshot_chain(const struct settings *s, int last, struct json_object **out)
{
	int hops[CONF_CHAIN_MAX];
	struct json_object *a;
	int n;

	if (last == -1) {
		/* No chain: a block route, or a profile with routes and no default. */
		*out = json_object_new_array();
		return *out ? 0 : -ENOMEM;
	}
	if (last < 0 || (size_t)last >= s->n_proxies)
		return -EINVAL;
	n = settings_chain(s, last, hops, ARRAY_SIZE(hops));
	if (n < 0)
		return n;
	a = json_object_new_array_ext(n);
	if (!a)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct json_object *h;

		if (hops[i] < 0 || (size_t)hops[i] >= s->n_proxies)
			goto inval;
		h = snapshot_hop(&s->proxies[hops[i]]);
		if (!h || json_object_array_add(a, h) < 0) {
			json_object_put(h);
			json_object_put(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
inval:
	json_object_put(a);
	return -EINVAL;
}

static int snapshot_users(const struct profile_conf *p, struct json_object *o)
{
	struct json_object *a = json_object_new_array_ext(p->n_users);
	int r;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_users; i++) {
		struct json_object *u = json_object_new_string(p->users[i]);

		if (!u || json_object_array_add(a, u) < 0) {
			json_object_put(u);
			json_object_put(a);
			return -ENOMEM;
		}
	}
	r = state_json_add(o, "users", a, true);
	return r;
}

static int snapshot_route(const struct settings *s, const struct route_conf *rt,
			  struct json_object *routes)
{
	struct json_object *o = json_object_new_object(), *chain = NULL;
	int r;

	if (!o)
		return -ENOMEM;
	r = add_str(o, "pattern", rt->pattern);
	if (r >= 0)
		r = add_str(o, "proxy", rt->proxy);
	if (r >= 0)
		r = snapshot_chain(s, rt->proxy_idx, &chain);
	if (r >= 0)
		r = state_json_add(o, "chain", chain, true);
	if (r >= 0 && json_object_array_add(routes, o) < 0)
		r = -ENOMEM;
	if (r < 0)
		json_object_put(o);
	return r;
}

static int snapshot_routes(const struct settings *s, const struct profile_conf *p,
			   struct json_object *o)
{
	struct json_object *a = json_object_new_array_ext(p->n_routes);
	int r = 0;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_routes && r >= 0; i++)
		r = snapshot_route(s, &p->routes[i], a);
	if (r < 0) {
		json_object_put(a);
		return r;
	}
	return state_json_add(o, "routes", a, true);
}

/*
 * The fake pools, only where they differ from the defaults: snapshots of
 * profiles that set neither stay byte-identical to those of older versions,
 * so an upgrade is not a reload change; writing the default out is none either.
 */
static int snapshot_fake(const struct profile_conf *p, struct json_object *o)
{
	int r = 0;

	if (p->fake4_prefix && (p->fake4_prefix != CONF_FAKE4_DEFAULT_PREFIX ||
				p->fake4_base.s_addr != htonl(CONF_FAKE4_DEFAULT_BASE)))
		r = state_json_add_cidr(o, "fake-ipv4", AF_INET, &p->fake4_base, p->fake4_prefix);
	if (r >= 0 && p->fake6_prefix)
		r = state_json_add_cidr(o, "fake-ipv6", AF_INET6, &p->fake6_base, p->fake6_prefix);
	return r;
}

static int snapshot_fill(const struct settings *s, const struct profile_conf *p,
			 struct json_object *o)
{
	struct json_object *chain = NULL;
	int r;

	if (add_str(o, "name", p->name) < 0 || add_str(o, "netns", p->netns) < 0 ||
	    add_str(o, "dns", enum_name(dns_names, ARRAY_SIZE(dns_names), p->dns)) < 0 ||
	    add_str(o, "dns-server", p->dns_server) < 0 || snapshot_fake(p, o) < 0 ||
	    state_json_add(o, "ipv6", json_object_new_boolean(p->ipv6), true) < 0 ||
	    state_json_add(o, "udp", json_object_new_boolean(p->udp), true) < 0 ||
	    add_int(o, "socks-port", p->socks_port) < 0 ||
	    add_int(o, "http-port", p->http_port) < 0 || snapshot_users(p, o) < 0)
		return -ENOMEM;
	r = snapshot_routes(s, p, o);
	if (r < 0)
		return r;
	/* Only when set: snapshots of profiles without it stay as older versions wrote them. */
	if (p->max_conns && add_int(o, "max-connections", (int)p->max_conns) < 0)
		return -ENOMEM;
	if (add_str(o, "via", p->via) < 0)
		return -ENOMEM;
	r = snapshot_chain(s, p->via_idx, &chain);
	if (r < 0)
		return r;
	return state_json_add(o, "chain", chain, true);
}

int state_snapshot_build(const struct settings *s, const struct profile_conf *p, char **out)
{
	struct json_object *o;
	int r;

	if (!p->name || !p->netns)
		return -EINVAL;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	r = snapshot_fill(s, p, o);
	if (r >= 0) {
		*out = strdup(json_object_to_json_string_ext(o, STATE_JSON_PLAIN));
		if (!*out)
			r = -ENOMEM;
	}
	json_object_put(o);
	return r;
}

/**
 * profile_snapshot() - canonical JSON of a profile and every proxy it uses.
 * @s: validated settings.
 * @p: one of its profiles.
 *
 * Keys come in a fixed order (json-c keeps insertion order) and the text is
 * printed without whitespace, so equal inputs give byte-identical text.
 * Passwords are included: see the top of this file.
 *
 * Return: malloc'd string, or NULL on allocation failure (or on settings
 * that did not pass validation, e.g. a dangling via index).
 */
char *profile_snapshot(const struct settings *s, const struct profile_conf *p)
{
	char *text = NULL;

	return state_snapshot_build(s, p, &text) < 0 ? NULL : text;
}

void profile_users_free(char **users)
{
	if (!users)
		return;
	for (char **u = users; *u; u++)
		free(*u);
	free(users);
}

int profile_snapshot_users(const char *snapshot, char ***users, size_t *n)
{
	struct json_object *o = snapshot ? json_tokener_parse(snapshot) : NULL, *a = NULL;
	char **v = NULL;
	size_t len = 0;
	int r = 0;

	*users = NULL;
	*n = 0;
	if (!o || !json_object_is_type(o, json_type_object)) {
		r = -EBADMSG;
		goto out;
	}
	/* No "users" key: nobody but root, as a profile without `users`. */
	if (json_object_object_get_ex(o, "users", &a)) {
		if (!json_object_is_type(a, json_type_array)) {
			r = -EBADMSG;
			goto out;
		}
		len = json_object_array_length(a);
	}
	v = calloc(len + 1, sizeof(*v));
	if (!v) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		struct json_object *u = json_object_array_get_idx(a, i);

		if (!json_object_is_type(u, json_type_string)) {
			r = -EBADMSG;
			goto out;
		}
		v[i] = strdup(json_object_get_string(u));
		if (!v[i]) {
			r = -ENOMEM;
			goto out;
		}
	}
	*users = TAKE_PTR(v);
	*n = len;
out:
	profile_users_free(v);
	json_object_put(o);
	return r;
}

int state_subject_cmp(const void *a, const void *b)
{
	const struct subject_state *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	if (x->kind != y->kind)
		return x->kind == SUBJ_NAMED ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/**
 * derivative_find() - the named entry of profile @name.
 * @d: derivative, subjects sorted by state_subject_cmp().
 * @name: profile name.
 *
 * Return: the SUBJ_NAMED entry or NULL.
 */
struct subject_state *derivative_find(const struct derivative *d, const char *name)
{
	struct subject_state key = {.name = (char *)name, .kind = SUBJ_NAMED};

	if (!d->n_subjects)
		return NULL;
	return bsearch(&key, d->subjects, d->n_subjects, sizeof(key), state_subject_cmp);
}

void state_subject_free(struct subject_state *e)
{
	free(e->name);
	free(e->netns);
	free(e->snapshot);
	state_fakes_free(e->fakes, e->n_fakes);
}

/**
 * derivative_free() - release what @d owns; accepts a zeroed struct.
 * @d: derivative; left zeroed.
 */
void derivative_free(struct derivative *d)
{
	for (size_t i = 0; i < d->n_subjects; i++)
		state_subject_free(&d->subjects[i]);
	free(d->subjects);
	*d = (struct derivative){0};
}

/* Fill @e from profile @p: name, netns and snapshot; id stays 0 (new). */
static int subject_from_profile(const struct settings *s, const struct profile_conf *p,
				struct subject_state *e)
{
	int r;

	/* derivative_load_buffer() would refuse what we cannot store. */
	if (!p->name || !p->netns || !name_valid(p->name) || !name_valid(p->netns))
		return -EINVAL;
	r = state_snapshot_build(s, p, &e->snapshot);
	if (r < 0)
		return r;
	e->name = strdup(p->name);
	e->netns = strdup(p->netns);
	if (!e->name || !e->netns)
		return -ENOMEM;
	return 0;
}

/* Take over id, addresses and (if the namespace name is unchanged) identity. */
static void subject_inherit(struct subject_state *e, const struct subject_state *old)
{
	e->id = old->id;
	e->uplink4 = old->uplink4;
	e->uplink6 = old->uplink6;
	if (old->netns && strcmp(e->netns, old->netns) == 0)
		e->ns = old->ns;
}

static void subject_assign(struct subject_state *e, uint32_t id)
{
	e->id = id;
	e->uplink4 = state_uplink4(id);
	e->uplink6 = state_uplink6(id);
}

uint32_t state_next_id(const struct derivative *d)
{
	uint64_t next = d->next_id > 0 ? d->next_id : 1;

	for (size_t i = 0; i < d->n_subjects; i++)
		if ((uint64_t)d->subjects[i].id + 1 > next)
			next = (uint64_t)d->subjects[i].id + 1;
	return next > STATE_ID_MAX + 1 ? STATE_ID_MAX + 1 : (uint32_t)next;
}

/* A Pid entry of the previous Derivative, kept whole but for a refreshed snapshot. */
static int subject_carry_pid(const struct settings *s, const struct profile_conf *p,
			     const struct subject_state *old, struct subject_state *e)
{
	int r;

	if (old->pid <= 0 || old->id == 0 || old->id > STATE_ID_MAX)
		return -EINVAL; /* not an entry derivative_load_buffer() would hand out */
	*e = (struct subject_state){.id = old->id,
				    .kind = SUBJ_PID,
				    .pid = old->pid,
				    .pid_start = old->pid_start,
				    .ns = old->ns,
				    .uplink4 = old->uplink4,
				    .uplink6 = old->uplink6};
	r = state_snapshot_build(s, p, &e->snapshot);
	if (r < 0)
		return r;
	e->name = strdup(old->name);
	if (!e->name)
		return -ENOMEM;
	state_fake_pools(p, e->id, e);
	return state_fakes_carry(e, old);
}

/* How many Pid entries of @prev derive() keeps for @s. */
static size_t derive_count_pid(const struct settings *s, const struct derivative *prev)
{
	size_t n = 0;

	for (size_t i = 0; i < prev->n_subjects; i++)
		if (prev->subjects[i].kind == SUBJ_PID &&
		    settings_find_profile(s, prev->subjects[i].name))
			n++;
	return n;
}

/* Append the entries derive() makes: one per profile, then the surviving Pid entries. */
static int derive_fill(const struct settings *s, const struct derivative *prev,
		       struct derivative *d)
{
	int r = 0;

	for (size_t i = 0; i < s->n_profiles && r >= 0; i++, d->n_subjects++)
		r = subject_from_profile(s, &s->profiles[i], &d->subjects[d->n_subjects]);
	for (size_t i = 0; i < prev->n_subjects && r >= 0; i++) {
		const struct subject_state *old = &prev->subjects[i];
		const struct profile_conf *p;

		if (old->kind != SUBJ_PID || !(p = settings_find_profile(s, old->name)))
			continue;
		r = subject_carry_pid(s, p, old, &d->subjects[d->n_subjects++]);
	}
	return r;
}

/* Ids for the new named entries, in name order so the config's order does not matter;
 * then the pools that follow from profile and id, and the old mappings that fit them. */
static int derive_assign_ids(const struct settings *s, struct derivative *out,
			     const struct derivative *prev)
{
	for (size_t i = 0; i < out->n_subjects; i++) {
		struct subject_state *e = &out->subjects[i];
		const struct subject_state *old;

		if (e->kind == SUBJ_PID)
			continue; /* carried over with its id */
		if (i > 0 && out->subjects[i - 1].kind == SUBJ_NAMED &&
		    strcmp(out->subjects[i - 1].name, e->name) == 0)
			return -EINVAL; /* duplicate profile: settings were not validated */
		old = derivative_find(prev, e->name);
		if (old) {
			subject_inherit(e, old);
		} else if (out->next_id > STATE_ID_MAX) {
			return -ENOSPC;
		} else {
			subject_assign(e, out->next_id++);
		}
		state_fake_pools(settings_find_profile(s, e->name), e->id, e);
		if (old && state_fakes_carry(e, old) < 0)
			return -ENOMEM;
	}
	return 0;
}

/**
 * derive() - compute the Derivative for @s.
 * @s: validated settings.
 * @prev: the previous Derivative (may have no subjects; never NULL), sorted.
 * @root_now: identity of the namespace the daemon runs in (NULL: unknown).
 * @out: filled on success; release with derivative_free().
 *
 * An entry of @prev whose profile still exists keeps its id and addresses,
 * and its recorded ns identity unless the profile's netns name changed; its
 * snapshot and netns are refreshed.  Entries of removed profiles are
 * dropped.  New profiles get ids from next_id, in name order.  Pid entries
 * of @prev whose profile still exists are carried over whole (id,
 * addresses, ns identity, pid, pid_start) with a refreshed snapshot; those
 * of removed profiles are dropped; no Pid entry is ever invented here.
 * Every entry gets its profile's fake-IP pools (state_fake_pools()) and
 * keeps the mappings of its old entry that fit them; when a pool changed,
 * mappings outside it are dropped and their names get new addresses.
 *
 * Return: 0, -ENOMEM, -ENOSPC when ids are exhausted, -EINVAL for settings
 * that did not pass validation (duplicate profile, dangling reference).
 */
int derive(const struct settings *s, const struct derivative *prev, const struct ns_ident *root_now,
	   struct derivative *out)
{
	struct derivative d = {.version = DERIVATIVE_VERSION};
	size_t n = s->n_profiles + derive_count_pid(s, prev);
	int r;

	if (prev->have_root) {
		d.have_root = true;
		d.root = prev->root;
	} else if (root_now) {
		d.have_root = true;
		d.root = *root_now;
	}
	d.next_id = state_next_id(prev);
	if (n) {
		d.subjects = calloc(n, sizeof(*d.subjects));
		if (!d.subjects)
			return -ENOMEM;
	}
	r = derive_fill(s, prev, &d);
	if (r >= 0 && d.n_subjects > 1)
		qsort(d.subjects, d.n_subjects, sizeof(*d.subjects), state_subject_cmp);
	if (r >= 0)
		r = derive_assign_ids(s, &d, prev);
	if (r < 0) {
		derivative_free(&d);
		return r;
	}
	*out = d;
	return 0;
}
