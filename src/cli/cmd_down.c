// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_down.c - `netnsp down [PROFILE...]`: remove namespaces and their
 * Derivative entries; `netnsp gc [PROFILE...]`: drop entries so they are
 * derived anew; `netnsp gc --all`: set the whole state file aside.  With a
 * daemon running it does the work (it holds the namespaces); without one,
 * this command does it under the state lock.  A namespace file that holds
 * another namespace than the recorded one is left alone: it is not netnsp's.
 * A Pid subject's namespace is never deleted: it is handed back
 * (subject_hand_back_ns()) if it still is the recorded one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <json-c/json.h>

#include "cli.h"
#include "daemon/daemon.h"
#include "netns/etc_netns.h"
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

/* Whether any entry, Named or Pid, belongs to profile @name. */
static bool derivative_has(const struct derivative *dv, const char *name)
{
	for (size_t i = 0; i < dv->n_subjects; i++)
		if (strcmp(dv->subjects[i].name, name) == 0)
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
		r = etc_netns_remove(st->netns);
		if (r < 0 && r != -ENOENT)
			log_warn("down: profile '%s': /etc/netns/%s: %s", st->name, st->netns,
				 strerror(-r));
	} else {
		log_warn("down: profile '%s': /run/netns/%s is not the namespace netnsp made; "
			 "left in place",
			 st->name, st->netns);
	}
	close(fd);
}

/* Take the state lock unless it is missing; fails if a daemon holds it. */
static int offline_lock(const struct cli_ctx *ctx, const char *cmd, int *lfd)
{
	char lock[PATH_MAX];

	snprintf(lock, sizeof(lock), "%s/state.lock", ctx->state_dir);
	*lfd = open(lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (*lfd >= 0 && flock(*lfd, LOCK_EX | LOCK_NB) < 0) {
		log_err("%s: a daemon holds %s; try again", cmd, lock);
		return -EBUSY;
	}
	return 0;
}

/*
 * Hand back the namespace of Pid entry @st if it is still the one recorded
 * (its process, or another in it, keeps it alive).
 */
static void down_offline_pid(const struct subject_state *st)
{
	char path[64], text[SUBJECT_ERR_MAX];
	struct ns_ident now;
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", st->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (st->ns.ino && netns_ident_fd(fd, &now) == 0 && netns_ident_equal(&now, &st->ns)) {
		r = subject_hand_back_ns(fd, text, sizeof(text));
		printf("detached pid %d from %s: %s\n", st->pid, st->name, text);
		if (r < 0)
			log_warn("down: profile '%s': pid %d: %s", st->name, st->pid, strerror(-r));
	}
	close(fd);
}

/*
 * Edit the Derivative without a daemon, under its lock: drop the entries of
 * the named profiles (all if none); @delete_ns also removes their
 * namespaces (down), else they stay (gc).  A `down` that leaves no entry
 * also forgets the recorded root namespace: nothing is left that is
 * relative to it, and the next daemon may run in a namespace made afresh.
 */
static int offline_drop(const struct cli_ctx *ctx, const char *cmd, int argc, char **argv,
			bool delete_ns)
{
	_cleanup_(derivative_free) struct derivative dv = {0};
	char path[PATH_MAX], err[CONF_ERR_MAX] = "";
	_cleanup_close_ int lfd = -1;
	int r;

	if (offline_lock(ctx, cmd, &lfd) < 0)
		return EXIT_RUNTIME;
	if (cli_state_path(ctx, path, sizeof(path)) < 0)
		return EXIT_USAGE;
	r = derivative_load(path, &dv, err, sizeof(err));
	if (r < 0) {
		log_err("%s: %s: %s", cmd, path, err[0] ? err : strerror(-r));
		return EXIT_RUNTIME;
	}
	for (int i = 1; i < argc; i++) {
		if (!derivative_has(&dv, argv[i])) {
			log_err("%s: no profile '%s' in %s", cmd, argv[i], path);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < dv.n_subjects;) {
		if (!down_wanted(argc, argv, dv.subjects[i].name) ||
		    (!delete_ns && dv.subjects[i].kind != SUBJ_NAMED)) {
			i++;
			continue;
		}
		if (delete_ns && dv.subjects[i].kind == SUBJ_NAMED)
			down_offline_one(&dv.subjects[i]);
		else if (delete_ns)
			down_offline_pid(&dv.subjects[i]);
		printf("%s %s\n", delete_ns ? "removed" : "dropped", dv.subjects[i].name);
		derivative_remove(&dv, i);
	}
	if (delete_ns && dv.n_subjects == 0)
		dv.have_root = false;
	r = derivative_store(path, &dv);
	if (r < 0) {
		log_err("%s: %s: %s", cmd, path, strerror(-r));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/*
 * `gc --all`, only without a daemon: rename the whole state file to
 * state.json.old-STAMP (kept, never deleted), so the next start derives
 * everything anew and records the namespace it runs in.  The way out when
 * the host namespace was made afresh and the daemon refuses the old state.
 * Namespaces under /run/netns stay: the next daemon takes them over.
 */
static int offline_set_aside(const struct cli_ctx *ctx)
{
	char path[PATH_MAX], aside[PATH_MAX];
	_cleanup_close_ int lfd = -1;
	int r;

	if (offline_lock(ctx, "gc", &lfd) < 0)
		return EXIT_RUNTIME;
	if (cli_state_path(ctx, path, sizeof(path)) < 0)
		return EXIT_USAGE;
	r = derivative_set_aside(path, "old", aside, sizeof(aside));
	if (r == -ENOENT) {
		printf("no state in %s: nothing to set aside\n", ctx->state_dir);
		return EXIT_OK;
	}
	if (r < 0) {
		log_err("gc: set %s aside: %s", path, strerror(-r));
		return EXIT_RUNTIME;
	}
	printf("set aside %s as %s; the next daemon start derives anew\n", path, aside);
	return EXIT_OK;
}

/* Send {"command": CMD, "profiles": [argv[1..]]}; fall back to @offline without a daemon. */
static int names_request(const struct cli_ctx *ctx, const char *cmd, int argc, char **argv,
			 json_object **o)
{
	json_object *req = json_object_new_object(), *names = json_object_new_array();
	int r;

	for (int i = 1; i < argc; i++)
		json_object_array_add(names, json_object_new_string(argv[i]));
	json_object_object_add(req, "version", json_object_new_int(1));
	json_object_object_add(req, "command", json_object_new_string(cmd));
	json_object_object_add(req, "profiles", names);
	r = cli_ctl(ctx, cmd, json_object_to_json_string(req), o, true);
	json_object_put(req);
	return r;
}

static int names_usage(const char *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			log_err("%s: unknown option '%s' (usage: netnsp %s [PROFILE...]%s)", cmd,
				argv[i], cmd, strcmp(cmd, "gc") == 0 ? " | --all" : "");
			return -EINVAL;
		}
	}
	return 0;
}

int cmd_gc(const struct cli_ctx *ctx, int argc, char **argv)
{
	json_object *o = NULL;
	int r;

	if (argc == 2 && strcmp(argv[1], "--all") == 0) {
		/* A running daemon would write its state back: it must be stopped first. */
		r = cli_ctl(ctx, "gc", "{\"version\":1,\"command\":\"status\"}", &o, true);
		json_object_put(o);
		if (r == 0) {
			log_err("gc: --all: a daemon is running (%s); stop it first, or use "
				"'netnsp gc' to derive its profiles anew",
				ctx->run_dir);
			return EXIT_RUNTIME;
		}
		return offline_set_aside(ctx);
	}
	if (names_usage("gc", argc, argv) < 0)
		return EXIT_USAGE;
	r = names_request(ctx, "gc", argc, argv, &o);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return offline_drop(ctx, "gc", argc, argv, false);
	if (r < 0)
		return cli_exit_for(r);
	json_object_put(o);
	return EXIT_OK;
}

int cmd_down(const struct cli_ctx *ctx, int argc, char **argv)
{
	json_object *o = NULL, *removed = NULL, *det = NULL;
	int r;

	if (names_usage("down", argc, argv) < 0)
		return EXIT_USAGE;
	r = names_request(ctx, "down", argc, argv, &o);
	if (r == -ENOENT || r == -ECONNREFUSED)
		return offline_drop(ctx, "down", argc, argv, true);
	if (r < 0)
		return cli_exit_for(r);
	json_object_object_get_ex(o, "removed", &removed);
	for (size_t i = 0; removed && i < json_object_array_length(removed); i++)
		printf("removed %s\n",
		       json_object_get_string(json_object_array_get_idx(removed, i)));
	json_object_object_get_ex(o, "detached", &det);
	for (size_t i = 0; det && i < json_object_array_length(det); i++)
		cli_print_detached(json_object_array_get_idx(det, i));
	json_object_put(o);
	return EXIT_OK;
}
