// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_down.c - `netnsp down [PROFILE...]`: remove namespaces and their
 * Derivative entries.  With a daemon running it does the work (it holds the
 * namespaces); without one, this command does it under the state lock.  A
 * namespace file that holds another namespace than the recorded one is
 * left alone: it is not netnsp's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <json-c/json.h>

#include "cli.h"
#include "daemon/daemon.h"
#include "netns/netns.h"
#include "state/state.h"
#include "util/log.h"
#include "util/macro.h"

static bool down_wanted(int argc, char **argv, const char *name)
{
	if (argc <= 1)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

/* Delete /run/netns/NAME only if it is the namespace recorded in @st. */
static void down_offline_one(const struct subject_state *st)
{
	struct ns_ident now;
	int fd = netns_open_named(st->netns);

	if (fd == -ENOENT)
		return;
	if (fd < 0) {
		log_warn("down: profile '%s': /run/netns/%s: %s", st->name, st->netns,
			 strerror(-fd));
		return;
	}
	if (netns_ident_fd(fd, &now) == 0 && st->ns.ino && netns_ident_equal(&now, &st->ns)) {
		int r = netns_delete_named(st->netns);

		if (r < 0)
			log_warn("down: profile '%s': delete /run/netns/%s: %s", st->name,
				 st->netns, strerror(-r));
	} else {
		log_warn("down: profile '%s': /run/netns/%s is not the namespace netnsp made; "
			 "left in place",
			 st->name, st->netns);
	}
	close(fd);
}

static int down_offline(const struct cli_ctx *ctx, int argc, char **argv)
{
	_cleanup_(derivative_free) struct derivative dv = { 0 };
	char path[PATH_MAX], lock[PATH_MAX], err[CONF_ERR_MAX] = "";
	_cleanup_close_ int lfd = -1;
	int r;

	snprintf(lock, sizeof(lock), "%s/state.lock", ctx->state_dir);
	lfd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (lfd >= 0 && flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		log_err("down: a daemon holds %s; try again", lock);
		return EXIT_RUNTIME;
	}
	if (cli_state_path(ctx, path, sizeof(path)) < 0)
		return EXIT_USAGE;
	r = derivative_load(path, &dv, err, sizeof(err));
	if (r < 0) {
		log_err("down: %s: %s", path, err[0] ? err : strerror(-r));
		return EXIT_RUNTIME;
	}
	for (int i = 1; i < argc; i++) {
		if (!derivative_find(&dv, argv[i])) {
			log_err("down: no profile '%s' in %s", argv[i], path);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < dv.n_subjects;) {
		if (!down_wanted(argc, argv, dv.subjects[i].name)) {
			i++;
			continue;
		}
		down_offline_one(&dv.subjects[i]);
		printf("removed %s\n", dv.subjects[i].name);
		daemon_deriv_remove(&dv, i);
	}
	r = derivative_store(path, &dv);
	if (r < 0) {
		log_err("down: %s: %s", path, strerror(-r));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_down(const struct cli_ctx *ctx, int argc, char **argv)
{
	json_object *req = json_object_new_object(), *names = json_object_new_array();
	json_object *o = NULL, *removed = NULL;
	int r;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			log_err("down: unknown option '%s' (usage: netnsp down [PROFILE...])",
				argv[i]);
			json_object_put(req);
			json_object_put(names);
			return EXIT_USAGE;
		}
		json_object_array_add(names, json_object_new_string(argv[i]));
	}
	json_object_object_add(req, "version", json_object_new_int(1));
	json_object_object_add(req, "command", json_object_new_string("down"));
	json_object_object_add(req, "profiles", names);
	r = cli_ctl(ctx, "down", json_object_to_json_string(req), &o, true);
	json_object_put(req);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return down_offline(ctx, argc, argv);
	if (r < 0)
		return EXIT_RUNTIME;
	json_object_object_get_ex(o, "removed", &removed);
	for (size_t i = 0; removed && i < json_object_array_length(removed); i++)
		printf("removed %s\n", json_object_get_string(json_object_array_get_idx(removed, i)));
	json_object_put(o);
	return EXIT_OK;
}
