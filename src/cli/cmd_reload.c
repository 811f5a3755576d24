// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_reload.c - `netnsp reload [--dry-run]` and `netnsp attach PID
 * PROFILE`: requests the daemon carries out.  With no daemon running,
 * `reload --dry-run` checks the config itself and prints the plan against
 * the state file, with the daemon's own checks (check.c) and plan
 * (derive_plan()), so a unit can run it before it starts the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "daemon/daemon.h"
#include "netns/netns.h"
#include "state/state.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/parse.h"

int cli_exit_for(int r)
{
	if (r == 0)
		return EXIT_OK;
	return r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

static int cli_request(const struct cli_ctx *ctx, const char *cmd, json_object *req,
		       json_object **out, bool quiet_absent)
{
	int r;

	json_object_object_add(req, "version", json_object_new_int(1));
	json_object_object_add(req, "command", json_object_new_string(cmd));
	r = cli_ctl(ctx, cmd, json_object_to_json_string(req), out, quiet_absent);
	json_object_put(req);
	return r;
}

/* The state file as the daemon would start from it: a corrupt one counts as empty. */
static int reload_offline_state(const char *path, struct derivative *dv)
{
	char err[CONF_ERR_MAX] = "";
	int r = derivative_load(path, dv, err, sizeof(err));

	if (r == -EBADMSG) {
		log_warn("reload: %s: corrupt (%s); the daemon will set it aside and derive "
			 "anew",
			 path, err);
		derivative_free(dv);
		*dv = (struct derivative){.version = DERIVATIVE_VERSION, .next_id = 1};
		return 0;
	}
	if (r < 0)
		log_err("reload: %s", err[0] ? err : strerror(-r));
	return r;
}

/*
 * `reload --dry-run` with no daemon: config errors exit 2 with FILE:LINE; a
 * state file the daemon would refuse (another root namespace) exits 1 with
 * the daemon's own message; else the plan against the state file, exit 0.
 */
static int reload_offline(const struct cli_ctx *ctx)
{
	_cleanup_(settings_free) struct settings next = {0};
	_cleanup_(derivative_free) struct derivative dv = {0};
	_cleanup_free_ char *text = NULL;
	char err[CONF_ERR_MAX + PATH_MAX] = "", path[PATH_MAX];
	struct derive_change *c = NULL;
	struct ns_ident self;
	size_t n = 0;
	int r;

	if (daemon_settings_load(ctx->config, &next, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	if (cli_state_path(ctx, path, sizeof(path)) < 0 || reload_offline_state(path, &dv) < 0)
		return EXIT_RUNTIME;
	r = netns_ident_self(&self);
	if (r == 0 && daemon_check_root(ctx, &dv, &self, err, sizeof(err)) < 0) {
		log_err("reload: %s", err);
		return EXIT_RUNTIME;
	}
	r = derive_plan(&dv, &next, &c, &n);
	if (r == 0 && !(text = derive_plan_text(c, n)))
		r = -ENOMEM;
	derive_plan_free(c, n);
	if (r < 0) {
		log_err("reload: plan: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	fputs(text, stdout);
	log_info("%s: configuration OK; no daemon running: plan against %s", ctx->config, path);
	return EXIT_OK;
}

int cmd_reload(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"dry-run", no_argument, NULL, 'n'}, {}};
	json_object *req, *o = NULL, *plan;
	bool dry = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "+n", opts, NULL)) != -1) {
		if (c != 'n')
			return EXIT_USAGE;
		dry = true;
	}
	if (optind < argc) {
		log_err("reload: unexpected argument '%s' (usage: netnsp reload [--dry-run])",
			argv[optind]);
		return EXIT_USAGE;
	}
	req = json_object_new_object();
	json_object_object_add(req, "dry_run", json_object_new_boolean(dry));
	r = cli_request(ctx, "reload", req, &o, dry);
	if (dry && (r == -ENOENT || r == -ECONNREFUSED))
		return reload_offline(ctx);
	if (r < 0)
		return cli_exit_for(r);
	if (json_object_object_get_ex(o, "plan", &plan))
		fputs(json_object_get_string(plan), stdout);
	json_object_put(o);
	return EXIT_OK;
}

/* Strict decimal pid: no sign, no spaces, no trailing bytes, within int32. */
static int parse_pid(const char *s, int32_t *out)
{
	uint64_t v;

	if (parse_uint(s, INT32_MAX, &v) < 0 || v == 0)
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
}

int cmd_newnym(const struct cli_ctx *ctx, int argc, char **argv)
{
	json_object *req, *o = NULL;
	int r;

	if (argc != 2) {
		log_err("newnym: usage: netnsp newnym PROFILE");
		return EXIT_USAGE;
	}
	req = json_object_new_object();
	json_object_object_add(req, "profile", json_object_new_string(argv[1]));
	r = cli_request(ctx, "newnym", req, &o, false);
	if (r < 0)
		return cli_exit_for(r);
	json_object_put(o);
	return EXIT_OK;
}

int cmd_attach(const struct cli_ctx *ctx, int argc, char **argv)
{
	json_object *req, *o = NULL;
	int32_t pid;
	int r;

	if (argc != 3 || parse_pid(argv[1], &pid) < 0) {
		log_err("attach: usage: netnsp attach PID PROFILE");
		return EXIT_USAGE;
	}
	req = json_object_new_object();
	json_object_object_add(req, "pid", json_object_new_int(pid));
	json_object_object_add(req, "profile", json_object_new_string(argv[2]));
	r = cli_request(ctx, "attach", req, &o, false);
	if (r < 0)
		return cli_exit_for(r);
	printf("attached %d to %s\n", pid, argv[2]);
	json_object_put(o);
	return EXIT_OK;
}
