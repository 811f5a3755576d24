/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * state_json_read.c - a state file's JSON text back into a Derivative (the format:
 * state_json_write.c): the strict readers of one member, the top level and the
 * uniqueness rules across subjects; one subject is read by state_json_subject.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "state/state-internal.h"
#include "util/macro.h"
#include "util/parse.h"

int state_json_bad(struct state_lctx *c, const char *path, const char *fmt, ...)
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
int state_json_keys(struct state_lctx *c, const char *path, struct json_object *o,
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
			return state_json_bad(c, path, "unknown key '%.40s'", key);
	}
	return 0;
}

/* Member @key of @o with type @t; @path is the parent's path. */
int state_json_member(struct state_lctx *c, const char *path, struct json_object *o,
		      const char *key, enum json_type t, struct json_object **out)
{
	if (!json_object_object_get_ex(o, key, out))
		return state_json_bad(c, path, "missing '%s'", key);
	if (!json_object_is_type(*out, t))
		return state_json_bad(c, path, "'%s' is not of type %s", key, json_type_to_name(t));
	return 0;
}

/* A JSON integer in [min, max]; json-c clamps huge ones, which fall outside. */
int state_json_int(struct state_lctx *c, const char *path, struct json_object *o, const char *key,
		   int64_t min, int64_t max, int64_t *v)
{
	struct json_object *m;
	int r = state_json_member(c, path, o, key, json_type_int, &m);

	if (r < 0)
		return r;
	*v = json_object_get_int64(m);
	if (*v < min || *v > max)
		return state_json_bad(c, path, "'%s' out of range %" PRId64 "..%" PRId64, key, min,
				      max);
	return 0;
}

int state_json_string(struct state_lctx *c, const char *path, struct json_object *o,
		      const char *key, const char **s)
{
	struct json_object *m;
	int r = state_json_member(c, path, o, key, json_type_string, &m);

	if (r < 0)
		return r;
	*s = json_object_get_string(m);
	if ((size_t)json_object_get_string_len(m) != strlen(*s))
		return state_json_bad(c, path, "'%s' contains a NUL character", key);
	return 0;
}

/* Decimal without sign, leading zeros or overflow: "0".."18446744073709551615". */
bool state_parse_u64(const char *s, uint64_t *v)
{
	return parse_uint_canon(s, UINT64_MAX, v) == 0;
}

int state_json_ident(struct state_lctx *c, const char *path, struct json_object *o,
		     struct ns_ident *id)
{
	static const char *const keys[] = {"dev", "ino", "cookie", NULL};
	uint64_t *v[3] = {&id->dev, &id->ino, &id->cookie};
	int r = state_json_keys(c, path, o, keys);

	for (size_t i = 0; r >= 0 && i < 3; i++) {
		const char *s;

		r = state_json_string(c, path, o, keys[i], &s);
		if (r >= 0 && !state_parse_u64(s, v[i]))
			r = state_json_bad(c, path, "'%s' is not a decimal 64-bit unsigned integer",
					   keys[i]);
	}
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
static int check_unique(struct state_lctx *c, const struct derivative *d)
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
			return state_json_bad(c, path, "duplicate of subjects[%zu]", k[i - 1].idx);
		}
	}
	return 0;
}

static int load_subjects(struct state_lctx *c, struct json_object *top, struct derivative *d)
{
	struct json_object *a;
	size_t n;
	int r;

	r = state_json_member(c, "$", top, "subjects", json_type_array, &a);
	if (r < 0)
		return r;
	n = json_object_array_length(a);
	if (n > STATE_SUBJECTS_MAX)
		return state_json_bad(c, "subjects", "more than %u entries", STATE_SUBJECTS_MAX);
	if (n) {
		d->subjects = calloc(n, sizeof(*d->subjects));
		if (!d->subjects)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		char path[40];

		d->n_subjects++;
		snprintf(path, sizeof(path), "subjects[%zu]", i);
		r = state_json_subject(c, path, json_object_array_get_idx(a, i), d->next_id,
				       &d->subjects[i]);
		if (r < 0)
			return r;
	}
	r = check_unique(c, d);
	if (r >= 0 && n > 1)
		qsort(d->subjects, n, sizeof(*d->subjects), state_subject_cmp);
	return r;
}

static int load_top(struct state_lctx *c, struct json_object *top, struct derivative *d)
{
	static const char *const keys[] = {"version", "root", "next_id", "subjects", NULL};
	struct json_object *root;
	int64_t v;
	int r;

	if (!json_object_is_type(top, json_type_object))
		return state_json_bad(c, "$", "not a JSON object but %s",
				      json_type_to_name(json_object_get_type(top)));
	r = state_json_int(c, "$", top, "version", INT32_MIN, INT32_MAX, &v);
	if (r < 0)
		return r;
	if (v != DERIVATIVE_VERSION)
		return state_json_bad(c, "version", "%" PRId64 " is not the supported version %d",
				      v, DERIVATIVE_VERSION);
	d->version = (int)v;
	r = state_json_keys(c, "$", top, keys);
	if (r >= 0 && json_object_object_get_ex(top, "root", &root)) {
		if (!json_object_is_type(root, json_type_object))
			return state_json_bad(c, "root", "not an object");
		d->have_root = true;
		r = state_json_ident(c, "root", root, &d->root);
	}
	if (r >= 0)
		r = state_json_int(c, "$", top, "next_id", 1, STATE_ID_MAX + 1, &v);
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
static int parse_text(struct state_lctx *c, const char *buf, size_t len, struct json_object **top)
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
		r = state_json_bad(c, "$", "truncated JSON at offset %zu", end);
	else if (!*top && e != json_tokener_success)
		r = state_json_bad(c, "$", "not JSON: %s at offset %zu", json_tokener_error_desc(e),
				   end);
	else if (!only_space(buf + end, len - end))
		r = state_json_bad(c, "$", "trailing data after the JSON value");
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
	struct state_lctx c = {err, errlen};
	struct derivative d = {0};
	struct json_object *top = NULL;
	int r;

	if (errlen)
		err[0] = '\0';
	if (len > STATE_FILE_MAX)
		return state_json_bad(&c, "$", "larger than %u bytes", STATE_FILE_MAX);
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
