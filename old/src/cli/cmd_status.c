// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_status.c - `netnsp status [--json]`: ask the daemon, print each subject.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "cli.h"
#include "daemon/ctl.h"
#include "util/log.h"
#include "util/macro.h"

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "";
}

static unsigned long long jnum(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (unsigned long long)json_object_get_uint64(v)
						     : 0;
}

static void status_print_subject(json_object *s)
{
	json_object *chain = NULL, *applied = NULL;
	size_t n;

	json_object_object_get_ex(s, "chain", &chain);
	json_object_object_get_ex(s, "applied", &applied);
	if (json_object_get_boolean(applied))
		printf("%s: applied in namespace '%s'\n", jstr(s, "profile"), jstr(s, "netns"));
	else
		printf("%s: NOT applied (namespace '%s'): %s\n", jstr(s, "profile"),
		       jstr(s, "netns"), jstr(s, "error"));
	printf("  chain: ");
	n = chain ? json_object_array_length(chain) : 0;
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? " -> " : "",
		       json_object_get_string(json_object_array_get_idx(chain, i)));
	printf("%s\n", n ? "" : "(none)");
	printf("  connections: %llu live, %llu total, %llu failed\n", jnum(s, "connections"),
	       jnum(s, "connections_total"), jnum(s, "connections_failed"));
	printf("  bytes: %llu up, %llu down\n", jnum(s, "bytes_up"), jnum(s, "bytes_down"));
}

int cli_ctl(const struct cli_ctx *ctx, const char *cmd, const char *req, json_object **out,
	    bool quiet_absent)
{
	_cleanup_free_ char *reply = NULL;
	json_object *o, *ok;
	char path[128];
	int r;

	r = ctl_call(ctx->run_dir, req, &reply);
	if (r < 0) {
		bool absent = r == -ENOENT || r == -ECONNREFUSED;

		(void)ctl_socket_path(ctx->run_dir, path, sizeof(path));
		if (!absent || !quiet_absent)
			log_err("%s: %s (%s: %s)", cmd,
				absent ? "daemon not running" : "control socket failed", path,
				strerror(-r));
		return r;
	}
	o = json_tokener_parse(reply);
	if (!o || !json_object_object_get_ex(o, "ok", &ok)) {
		log_err("%s: malformed reply from the daemon", cmd);
		json_object_put(o);
		return -EPROTO;
	}
	if (!json_object_get_boolean(ok)) {
		json_object *ex;
		/* A config error's text already names FILE:LINE: print it as is. */
		bool usage =
			json_object_object_get_ex(o, "exit", &ex) && json_object_get_int(ex) == 2;

		if (usage)
			log_err("%s", jstr(o, "error"));
		else
			log_err("%s: %s", cmd, jstr(o, "error"));
		json_object_put(o);
		return usage ? -EINVAL : -EIO;
	}
	*out = o;
	return 0;
}

int cmd_status(const struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'}, {}};
	json_object *o = NULL, *subs = NULL;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "+j", opts, NULL)) != -1) {
		if (c != 'j')
			return EXIT_USAGE;
		json = true;
	}
	if (optind < argc) {
		log_err("status: unexpected argument '%s' (usage: netnsp status [--json])",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (cli_ctl(ctx, "status", "{\"version\":1,\"command\":\"status\"}", &o, false) < 0)
		return EXIT_RUNTIME;
	if (json) {
		json_object_object_del(o, "ok");
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
									 JSON_C_TO_STRING_SPACED));
	} else {
		json_object_object_get_ex(o, "subjects", &subs);
		for (size_t i = 0; subs && i < json_object_array_length(subs); i++)
			status_print_subject(json_object_array_get_idx(subs, i));
		if (!subs || json_object_array_length(subs) == 0)
			printf("no subjects\n");
	}
	json_object_put(o);
	return EXIT_OK;
}
