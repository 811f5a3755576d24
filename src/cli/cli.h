/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cli.h - what main() hands every command: the global options, resolved.
 *
 * main() parses `netnsp [--config F] [--state-dir D] [--run-dir D] [-v|-q]
 * COMMAND ARGS...`, applies NETNSP_CONFIG / NETNSP_STATE_DIR /
 * NETNSP_RUN_DIR, and calls the command's function with argv[0] = the
 * command name.  Under a setuid-root install (getuid() != geteuid(), or
 * AT_SECURE) only `exec` and `id` are accepted, the options and variables
 * naming paths are ignored (the built-in paths are used, with one warning
 * line), and exec alone decides what it trusts.
 */
#ifndef NETNSP_CLI_H
#define NETNSP_CLI_H

#include <stdbool.h>

#include "daemon/ctx.h"

/*
 * Each command: returns an exit status; prints its own one-line errors
 * ("netnsp: ...") to stderr.
 */
int cmd_daemon(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_status(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_down(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_exec(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_reload(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_attach(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_gc(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_newnym(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_id(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_check(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_init(const struct cli_ctx *ctx, int argc, char **argv);
int cmd_run(const struct cli_ctx *ctx, int argc, char **argv);

struct json_object;

/**
 * cli_print_detached() - one line for a Pid subject handed back by `down`:
 * "detached pid N from PROFILE: what teardown did".
 * @x: {"profile", "pid", "teardown"} from the daemon.
 */
void cli_print_detached(struct json_object *x);

/**
 * cli_exit_for() - the exit status for a cli_ctl() result.
 * @r: what cli_ctl() returned.
 *
 * Return: EXIT_OK, EXIT_USAGE for -EINVAL, else EXIT_RUNTIME.
 */
int cli_exit_for(int r);

/**
 * cli_state_path() - PATH of the Derivative: STATE_DIR/state.json.
 * @ctx: context.
 * @buf: output.
 * @len: size of @buf.
 *
 * Return: 0 or -ENAMETOOLONG.
 */
int cli_state_path(const struct cli_ctx *ctx, char *buf, unsigned long len);

/**
 * cli_ctl() - one control request, with the one-line errors every command prints.
 * @ctx: context.
 * @cmd: command name for messages.
 * @req: request JSON.
 * @out: parsed reply, owned by the caller (json_object_put).
 * @quiet_absent: do not report a missing daemon (the caller has a fallback).
 *
 * Return: 0, -ENOENT / -ECONNREFUSED if no daemon runs, -EINVAL when the
 * daemon says it was a usage or config error (exit 2), or another negative
 * errno (already reported).
 */
int cli_ctl(const struct cli_ctx *ctx, const char *cmd, const char *req, struct json_object **out,
	    bool quiet_absent);

#endif
