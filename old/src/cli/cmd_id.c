// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_id.c - `netnsp id`: which profile's namespace the caller is in.
 *
 * Needs no privilege: it compares the identity of its own network
 * namespace (nsfs dev/inode and netns cookie, never a name) with
 * RUN_DIR/subjects.json, which the daemon keeps world-readable and free of
 * secrets.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "netns/netns.h"
#include "util/log.h"
#include "util/macro.h"

static int ident_from_json(json_object *o, struct ns_ident *id)
{
	static const char *const keys[] = {"dev", "ino", "cookie"};
	uint64_t *vals[] = {&id->dev, &id->ino, &id->cookie};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_object *v;
		const char *s;
		char *end;

		if (!json_object_object_get_ex(o, keys[i], &v) ||
		    !json_object_is_type(v, json_type_string))
			return -EBADMSG;
		s = json_object_get_string(v);
		errno = 0;
		*vals[i] = strtoull(s, &end, 10);
		if (errno || end == s || *end)
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
	top = json_object_from_file(path);
	if (!top) {
		log_err("id: %s: cannot read (is the daemon running?)", path);
		return EXIT_RUNTIME;
	}
	r = id_match(top, &self);
	json_object_put(top);
	if (r == -EBADMSG)
		log_err("id: %s: malformed", path);
	return r < 0 ? EXIT_RUNTIME : EXIT_OK;
}
