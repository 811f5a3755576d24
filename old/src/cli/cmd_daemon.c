// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cmd_daemon.c - `netnsp daemon`: the service, in the foreground.
 */
#include <stdio.h>

#include "cli.h"
#include "daemon/daemon.h"
#include "util/log.h"

int cmd_daemon(const struct cli_ctx *ctx, int argc, char **argv)
{
	if (argc > 1) {
		log_err("daemon: unexpected argument '%s' (usage: netnsp daemon)", argv[1]);
		return EXIT_USAGE;
	}
	if (geteuid() != 0) {
		log_err("daemon: must run as root");
		return EXIT_RUNTIME;
	}
	return daemon_run(ctx);
}
