// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_reload.c - `netnsp reload [--dry-run]`, `netnsp attach PID PROFILE`
 * and `netnsp gc [PROFILE...]`: requests the daemon carries out.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "util/log.h"

int cli_exit_for(int r)
{
	if (r == 0)
		return EXIT_OK;
	return r == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

static int cli_request(const struct cli_ctx *ctx, const char *cmd, json_object *req,
		       json_object **out)
{
	int r;

	json_object_object_add(req, "version", json_object_new_int(1));
	json_object_object_add(req, "command", json_object_new_string(cmd));
	r = cli_ctl(ctx, cmd, json_object_to_json_string(req), out, false);
	json_object_put(req);
	return r;
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
	r = cli_request(ctx, "reload", req, &o);
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
	long long v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (*p - '0');
	}
	if (v <= 0 || v > 0x7fffffff)
		return -EINVAL;
	*out = (int32_t)v;
	return 0;
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
	r = cli_request(ctx, "attach", req, &o);
	if (r < 0)
		return cli_exit_for(r);
	printf("attached %d to %s\n", pid, argv[2]);
	json_object_put(o);
	return EXIT_OK;
}
