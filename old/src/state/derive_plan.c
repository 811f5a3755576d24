/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * derive_plan.c - what `netnsp reload [--dry-run]` would change, and why.
 *
 * A profile is compared through its snapshot (derive.c): the canonical text
 * of the profile and every proxy it uses, so two snapshots are equal exactly
 * when strcmp() says so.  For a changed profile the plan names the
 * snapshot's top-level keys whose values differ ("via", "chain", "ipv6",
 * "users", ...), which is what the user reads and what the daemon can use to
 * decide how much of a subject to re-apply.  Pure, like derive().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "util/macro.h"

/* The growing plan. */
struct plan {
	struct derive_change *c;
	size_t n, cap;
};

static int plan_push(struct plan *pl, const char *profile, enum derive_change_what what,
		     struct derive_change **out)
{
	struct derive_change *c;

	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 8;
		struct derive_change *grown = realloc(pl->c, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		pl->c = grown;
		pl->cap = cap;
	}
	c = &pl->c[pl->n];
	*c = (struct derive_change){.profile = strdup(profile), .what = what};
	if (!c->profile)
		return -ENOMEM;
	pl->n++;
	if (out)
		*out = c;
	return 0;
}

static int change_add_key(struct derive_change *c, const char *key)
{
	char **grown = realloc(c->keys, (c->n_keys + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	c->keys = grown;
	c->keys[c->n_keys] = strdup(key);
	if (!c->keys[c->n_keys])
		return -ENOMEM;
	c->n_keys++;
	return 0;
}

/* Whether member @key differs between objects @a and @b (absent in one counts). */
static bool member_differs(struct json_object *a, struct json_object *b, const char *key)
{
	struct json_object *va, *vb;
	bool ha = a && json_object_object_get_ex(a, key, &va);
	bool hb = b && json_object_object_get_ex(b, key, &vb);

	if (ha != hb)
		return true;
	/* Both present: compare canonical text, as snapshots themselves are compared. */
	return strcmp(json_object_to_json_string_ext(va, STATE_JSON_PLAIN),
		      json_object_to_json_string_ext(vb, STATE_JSON_PLAIN)) != 0;
}

/* Keys of @from whose values differ in @other and are not yet listed in @c. */
static int change_add_keys(struct derive_change *c, struct json_object *from,
			   struct json_object *other, bool skip_present)
{
	if (!json_object_is_type(from, json_type_object))
		return 0;
	if (!json_object_is_type(other, json_type_object))
		other = NULL;
	json_object_object_foreach(from, key, val)
	{
		struct json_object *ignored;
		int r;

		(void)val;
		if (skip_present && other && json_object_object_get_ex(other, key, &ignored))
			continue; /* listed, or not, by the pass over @other */
		if (!member_differs(from, other, key))
			continue;
		r = change_add_key(c, key);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The top-level keys that differ: those of the new snapshot first, in its
 * order, then keys only the old one has (a snapshot written by an older
 * netnsp).  Text that is not a JSON object counts as having no keys.
 */
static int change_fill_keys(struct derive_change *c, const char *old_text, const char *new_text)
{
	struct json_object *o = old_text ? json_tokener_parse(old_text) : NULL;
	struct json_object *n = new_text ? json_tokener_parse(new_text) : NULL;
	int r;

	r = change_add_keys(c, n, o, false);
	if (r >= 0)
		r = change_add_keys(c, o, n, true);
	json_object_put(o);
	json_object_put(n);
	return r;
}

/* Compare old entry @e (may be NULL) with new profile @p (may be NULL). */
static int plan_one(struct plan *pl, const struct settings *s, const struct subject_state *e,
		    const struct profile_conf *p)
{
	_cleanup_free_ char *snap = NULL;
	struct derive_change *c;
	int r;

	if (!p)
		return plan_push(pl, e->name, CHANGE_REMOVED, NULL);
	if (!e)
		return plan_push(pl, p->name, CHANGE_ADDED, NULL);
	r = state_snapshot_build(s, p, &snap);
	if (r < 0)
		return r;
	if (e->snapshot && strcmp(e->snapshot, snap) == 0)
		return 0;
	r = plan_push(pl, p->name, CHANGE_CHANGED, &c);
	if (r < 0)
		return r;
	return change_fill_keys(c, e->snapshot, snap);
}

static int profile_ptr_cmp(const void *a, const void *b)
{
	const struct profile_conf *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/* Profiles of @s by name; -EINVAL for a nameless or duplicate one. */
static int plan_sorted_profiles(const struct settings *s, const struct profile_conf ***out)
{
	const struct profile_conf **v = calloc(s->n_profiles ? s->n_profiles : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_profiles; i++) {
		v[i] = &s->profiles[i];
		if (!v[i]->name) {
			free(v);
			return -EINVAL;
		}
	}
	qsort(v, s->n_profiles, sizeof(*v), profile_ptr_cmp);
	for (size_t i = 1; i < s->n_profiles; i++) {
		if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
			free(v);
			return -EINVAL; /* duplicate profile: settings were not validated */
		}
	}
	*out = v;
	return 0;
}

/* Next named entry of @old at or after @i; @old->n_subjects if none. */
static size_t next_named(const struct derivative *old, size_t i)
{
	while (i < old->n_subjects && old->subjects[i].kind != SUBJ_NAMED)
		i++;
	return i;
}

/* Merge the named entries of @old (sorted) with the sorted profiles @v. */
static int plan_merge(struct plan *pl, const struct derivative *old, const struct settings *s,
		      const struct profile_conf **v)
{
	size_t i = next_named(old, 0), j = 0;
	int r = 0;

	while (r >= 0 && (i < old->n_subjects || j < s->n_profiles)) {
		const struct subject_state *e = i < old->n_subjects ? &old->subjects[i] : NULL;
		const struct profile_conf *p = j < s->n_profiles ? v[j] : NULL;
		int cmp = !e ? 1 : !p ? -1 : strcmp(e->name, p->name);

		r = plan_one(pl, s, cmp <= 0 ? e : NULL, cmp >= 0 ? p : NULL);
		if (cmp <= 0)
			i = next_named(old, i + 1);
		if (cmp >= 0)
			j++;
	}
	return r;
}

/**
 * derive_plan() - what a reload to @new_settings would change.
 * @old: the current Derivative, sorted (as loaded or derived).
 * @new_settings: validated settings.
 * @out: receives a malloc'd array sorted by profile name (NULL when empty);
 *       release with derive_plan_free().
 * @n: receives its length.
 *
 * Compares the named entries of @old with the profiles of @new_settings by
 * name.  Pid entries follow their profile and add no line of their own.
 *
 * Return: 0, -ENOMEM, or -EINVAL for settings that did not pass validation.
 */
int derive_plan(const struct derivative *old, const struct settings *new_settings,
		struct derive_change **out, size_t *n)
{
	_cleanup_free_ const struct profile_conf **v = NULL;
	struct plan pl = {0};
	int r;

	r = plan_sorted_profiles(new_settings, &v);
	if (r >= 0)
		r = plan_merge(&pl, old, new_settings, v);
	if (r < 0) {
		derive_plan_free(pl.c, pl.n);
		return r;
	}
	*out = pl.c;
	*n = pl.n;
	return 0;
}

/**
 * derive_plan_free() - release a plan from derive_plan(); accepts NULL.
 * @c: the array.
 * @n: its length.
 */
void derive_plan_free(struct derive_change *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		for (size_t k = 0; k < c[i].n_keys; k++)
			free(c[i].keys[k]);
		free(c[i].keys);
		free(c[i].profile);
	}
	free(c);
}
