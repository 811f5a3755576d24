// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * main.c - `netnsp [GLOBAL OPTIONS] COMMAND ...`: global options, then one
 * command from a table (exact names only, never prefixes).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "build-config.h"
#include "cli.h"
#include "util/log.h"
#include "util/macro.h"

struct command {
	const char *name;
	int (*fn)(const struct cli_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"daemon", cmd_daemon, "run the service in the foreground"},
	{"status", cmd_status, "show each subject (--json for JSON)"},
	{"exec", cmd_exec, "run a command in a profile's namespace"},
	{"run", cmd_run, "run a command in a namespace of its own, through --via URLs (no root)"},
	{"down", cmd_down, "remove namespaces and their state"},
	{"reload", cmd_reload, "re-read the config; --dry-run: check it, print the plan only"},
	{"attach", cmd_attach, "put the namespace of process PID under PROFILE"},
	{"gc", cmd_gc, "drop state entries so they are derived anew; --all: the whole state"},
	{"newnym", cmd_newnym, "ask the Tor of PROFILE for new circuits"},
	{"id", cmd_id, "print the profile whose namespace the caller is in"},
	{"check", cmd_check, "try every way out of a profile's namespace (--json)"},
	{"init", cmd_init, "wizard: probe an upstream proxy and write a profile for it"},
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: netnsp [--config FILE] [--state-dir DIR] [--run-dir DIR] [-v|-q] "
		   "COMMAND [ARGS...]\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\nEnvironment: NETNSP_CONFIG, NETNSP_STATE_DIR, NETNSP_RUN_DIR.\n"
		"Defaults: %s, %s, %s.\n",
		NETNSP_DEFAULT_CONFIG, NETNSP_DEFAULT_STATE_DIR, NETNSP_DEFAULT_RUN_DIR);
}

int cli_state_path(const struct cli_ctx *ctx, char *buf, unsigned long len)
{
	int n = snprintf(buf, len, "%s/state.json", ctx->state_dir);

	return n < 0 || (unsigned long)n >= len ? -ENAMETOOLONG : 0;
}

/* An option's value, else the environment's (if set and non-empty), else the default. */
static const char *pick(const char *opt, const char *env, const char *def, bool *given)
{
	const char *e = getenv(env);

	*given = opt || (e && *e);
	if (opt)
		return opt;
	return e && *e ? e : def;
}

/*
 * A setuid start uses the built-in paths only: a path the caller names, even
 * one only root could have written (a stale `netnsp.conf~`, a `.dpkg-old`
 * copy that still lists a removed user), is not the configuration root
 * applies.  What was ignored is said once, so nobody wonders why it had no
 * effect.
 */
static void setuid_builtin_paths(struct cli_ctx *ctx, const char *const opt[3])
{
	static const char *const opts[] = {"--config", "--state-dir", "--run-dir"};
	static const char *const envs[] = {"NETNSP_CONFIG", "NETNSP_STATE_DIR", "NETNSP_RUN_DIR"};
	char what[128] = "";
	size_t n = 0;

	for (size_t i = 0; i < 2 * ARRAY_SIZE(opts); i++) {
		const char *e = i % 2 ? getenv(envs[i / 2]) : opt[i / 2];
		const char *name = i % 2 ? envs[i / 2] : opts[i / 2];

		/* what[] holds all six names (90 bytes) with room to spare. */
		if (e && (*e || i % 2 == 0))
			n += (size_t)snprintf(what + n, sizeof(what) - n, "%s%s", n ? ", " : "",
					      name);
	}
	if (n)
		log_warn("warning: running setuid: ignoring %s; using the built-in paths", what);
	ctx->config = NETNSP_DEFAULT_CONFIG;
	ctx->state_dir = NETNSP_DEFAULT_STATE_DIR;
	ctx->run_dir = NETNSP_DEFAULT_RUN_DIR;
	ctx->config_given = ctx->state_dir_given = ctx->run_dir_given = false;
}

static int parse_globals(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"state-dir", required_argument, NULL, 's'},
					     {"run-dir", required_argument, NULL, 'r'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {"version", no_argument, NULL, 'V'},
					     {}};
	const char *config = NULL, *state = NULL, *run = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+c:s:r:vqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'r':
			run = optarg;
			break;
		case 'v':
			ctx->verbosity++;
			break;
		case 'q':
			ctx->verbosity = -1;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'V':
			printf("netnsp %s\n", NETNSP_VERSION);
			exit(EXIT_OK);
		default:
			return -EINVAL;
		}
	}
	ctx->config = pick(config, "NETNSP_CONFIG", NETNSP_DEFAULT_CONFIG, &ctx->config_given);
	ctx->state_dir =
		pick(state, "NETNSP_STATE_DIR", NETNSP_DEFAULT_STATE_DIR, &ctx->state_dir_given);
	ctx->run_dir = pick(run, "NETNSP_RUN_DIR", NETNSP_DEFAULT_RUN_DIR, &ctx->run_dir_given);
	if (ctx->setuid)
		setuid_builtin_paths(ctx, (const char *const[]){config, state, run});
	return 0;
}

int main(int argc, char **argv)
{
	/* AT_SECURE also covers a setgid or file-capability start (getauxval(3)). */
	struct cli_ctx ctx = {.setuid = getuid() != geteuid() || getgid() != getegid() ||
					getauxval(AT_SECURE)};
	const char *name;

	if (parse_globals(argc, argv, &ctx) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_set_level(ctx.verbosity < 0	  ? LOG_LVL_ERR
		      : ctx.verbosity > 0 ? LOG_LVL_DEBUG
					  : LOG_LVL_INFO);
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	int idx = optind;

	name = argv[idx];
	/*
	 * Setuid: only exec, which trusts nothing it has not checked (exec.c),
	 * and id and run, which need no privilege and drop it for good first.
	 */
	if (ctx.setuid && (strcmp(name, "id") == 0 || strcmp(name, "run") == 0)) {
		if (setresgid(getgid(), getgid(), getgid()) < 0 ||
		    setresuid(getuid(), getuid(), getuid()) < 0) {
			log_err("%s: cannot drop privileges: %s", name, strerror(errno));
			return EXIT_RUNTIME;
		}
		ctx.setuid = false;
	} else if (ctx.setuid && strcmp(name, "exec") != 0) {
		log_err("%s: only 'exec' may run setuid; run it as root", name);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) == 0) {
			optind = 0; /* commands parse their own options with argv[0] = name */
			return commands[i].fn(&ctx, argc - idx, argv + idx);
		}
	}
	log_err("unknown command '%s' (see 'netnsp --help')", name);
	return EXIT_USAGE;
}
