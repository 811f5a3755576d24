/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmd_exec.c - `netnsp exec PROFILE [-- CMD ARGS...]`.
 *
 * Only the command line is parsed here, minimally, since this may run
 * setuid root (see the theory of operation in src/exec/exec.c); everything
 * else is exec_run()'s.  Exit status: 2 usage or config error, 1 refusal or
 * runtime failure, 126 / 127 when the command cannot be executed (as a
 * shell does), else whatever the command returns, since it replaces us.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "exec/exec.h"
#include "util/log.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: netnsp exec PROFILE [-- CMD ARGS...]\n"
		   "Run CMD (default $SHELL, else /bin/sh) in PROFILE's namespace, keeping\n"
		   "user, groups, environment, working directory and terminal.\n");
}

static int exit_status(const struct exec_error *e)
{
	switch (e->fail) {
	case EXEC_FAIL_CONFIG:
		return EXIT_USAGE;
	case EXEC_FAIL_EXEC:
		/* POSIX shells: 127 command not found, 126 found but not executable. */
		return e->err == -ENOENT || e->err == -ENOTDIR ? 127 : 126;
	case EXEC_FAIL_REFUSED:
	case EXEC_FAIL_RUNTIME:
	default:
		return EXIT_RUNTIME;
	}
}

static void exec_warn(const char *msg)
{
	log_warn("warning: %s", msg);
}

/*
 * argv[1] is PROFILE; then either "--" and the command, or the command
 * directly (like `ip netns exec NAME CMD`).  No other option exists, so
 * nothing the caller writes can change what is trusted.
 */
static int parse_args(int argc, char **argv, const char **profile, char ***cmd)
{
	int i = 2;

	if (argc < 2 || argv[1][0] == '-')
		return -EINVAL;
	*profile = argv[1];
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	else if (i < argc && argv[i][0] == '-')
		return -EINVAL;
	*cmd = i < argc ? argv + i : NULL;
	return 0;
}

int cmd_exec(const struct cli_ctx *ctx, int argc, char **argv)
{
	char state_path[PATH_MAX];
	char *shell_argv[2] = {NULL, NULL};
	struct exec_error e;
	struct exec_opts o = {.config_path = ctx->config, .setuid = ctx->setuid, .warn = exec_warn};
	const char *shell;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return EXIT_OK;
	}
	if (parse_args(argc, argv, &o.profile, &o.argv) < 0) {
		/* One line, like every other error (docs/netnsp.1 EXIT STATUS). */
		log_err("exec: usage: netnsp exec PROFILE [-- CMD ARGS...]");
		return EXIT_USAGE;
	}
	if (!o.argv) {
		shell = getenv("SHELL");
		shell_argv[0] = (char *)(shell && *shell ? shell : "/bin/sh");
		o.argv = shell_argv;
	}
	if (cli_state_path(ctx, state_path, sizeof(state_path)) < 0) {
		log_err("exec: state directory name too long");
		return EXIT_USAGE;
	}
	o.state_path = state_path;
	exec_run(&o, &e);
	log_err("exec: %s", e.msg);
	return exit_status(&e);
}
