// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_id.c - `netnsp id`: which profile's namespace the caller is in.
 *
 * Needs no privilege: it compares the identity of its own network
 * namespace (nsfs dev/inode and netns cookie, never a name) with
 * RUN_DIR/subjects.json, which the daemon keeps world-readable and free of
 * secrets.  Without that file (no daemon ever wrote it, or the run
 * directory was emptied while the namespaces stayed) it answers from the
 * Derivative, STATE_DIR/state.json, which records the same identities but
 * is readable by root only.  No daemon is needed either way.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cli.h"
#include "netns/netns.h"
#include "state/state.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/parse.h"

static int ident_from_json(json_object *o, struct ns_ident *id)
{
	static const char *const keys[] = {"dev", "ino", "cookie"};
	uint64_t *vals[] = {&id->dev, &id->ino, &id->cookie};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_object *v;
		const char *s;

		if (!json_object_object_get_ex(o, keys[i], &v) ||
		    !json_object_is_type(v, json_type_string))
			return -EBADMSG;
		s = json_object_get_string(v);
		if (parse_uint(s, UINT64_MAX, vals[i]) < 0)
			return -EBADMSG;
	}
	return 0;
}

/* Print the answer; 0 when the caller's namespace is known. */
static int id_match(json_object *top, const struct ns_ident *self)
{
	json_object *root, *subs;
	struct ns_ident id;

	if (!json_object_object_get_ex(top, "root", &root) || ident_from_json(root, &id) < 0 ||
	    !json_object_object_get_ex(top, "subjects", &subs) ||
	    !json_object_is_type(subs, json_type_array))
		return -EBADMSG;
	if (netns_ident_equal(self, &id)) {
		printf("root\n");
		return 0;
	}
	for (size_t i = 0; i < json_object_array_length(subs); i++) {
		json_object *e = json_object_array_get_idx(subs, i), *p;

		if (ident_from_json(e, &id) < 0 || !json_object_object_get_ex(e, "profile", &p))
			return -EBADMSG;
		if (netns_ident_equal(self, &id)) {
			printf("%s\n", json_object_get_string(p));
			return 0;
		}
	}
	printf("unknown\n");
	return -ENOENT;
}

/* The same answer from the Derivative: the root namespace and each applied entry. */
static int id_match_state(const struct derivative *d, const struct ns_ident *self)
{
	if (d->have_root && netns_ident_equal(self, &d->root)) {
		printf("root\n");
		return 0;
	}
	for (size_t i = 0; i < d->n_subjects; i++) {
		const struct subject_state *st = &d->subjects[i];

		if ((st->ns.dev || st->ns.ino) && netns_ident_equal(self, &st->ns)) {
			printf("%s\n", st->name);
			return 0;
		}
	}
	printf("unknown\n");
	return -ENOENT;
}

static int id_from_state(const struct cli_ctx *ctx, const char *subjects,
			 const struct ns_ident *self)
{
	_cleanup_(derivative_free) struct derivative d = {0};
	char path[PATH_MAX], err[256];
	int r;

	r = cli_state_path(ctx, path, sizeof(path));
	if (r < 0) {
		log_err("id: state directory name too long");
		return EXIT_USAGE;
	}
	r = derivative_load(path, &d, err, sizeof(err));
	if (r == -ENOENT || r == -EACCES) {
		log_err("id: cannot read %s or %s: %s", subjects, path, strerror(-r));
		return EXIT_RUNTIME;
	}
	if (r < 0) {
		log_err("id: %s", err);
		return EXIT_RUNTIME;
	}
	return id_match_state(&d, self) < 0 ? EXIT_RUNTIME : EXIT_OK;
}

int cmd_id(const struct cli_ctx *ctx, int argc, char **argv)
{
	char path[PATH_MAX];
	struct ns_ident self;
	json_object *top;
	int r;

	if (argc > 1) {
		log_err("id: unexpected argument '%s' (usage: netnsp id)", argv[1]);
		return EXIT_USAGE;
	}
	r = netns_ident_self(&self);
	if (r < 0) {
		log_err("id: cannot identify this network namespace: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	snprintf(path, sizeof(path), "%s/subjects.json", ctx->run_dir);
	if (access(path, R_OK) < 0)
		return id_from_state(ctx, path, &self);
	top = json_object_from_file(path);
	if (!top) {
		log_err("id: %s: cannot read", path);
		return EXIT_RUNTIME;
	}
	r = id_match(top, &self);
	json_object_put(top);
	if (r == -EBADMSG)
		log_err("id: %s: malformed", path);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
