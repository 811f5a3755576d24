/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctx.h - the global options, resolved, that main() (src/cli) hands every
 * command and the daemon reads, and the exit statuses.  Defined here, below
 * src/cli, so that the daemon does not include a header of the command line
 * (docs/DESIGN.md "Layout": no module includes a header of one above it).
 */
#ifndef NETNSP_DAEMON_CTX_H
#define NETNSP_DAEMON_CTX_H

#include <stdbool.h>

struct cli_ctx {
	const char *config;    /* Settings path (borrowed from argv/environ or a default) */
	const char *state_dir; /* Derivative directory */
	const char *run_dir;   /* control socket and runtime files */
	bool config_given;     /* from --config or NETNSP_CONFIG, not the default */
	bool state_dir_given;
	bool run_dir_given;
	bool setuid;   /* setuid start: real and effective ids differ, or AT_SECURE */
	int verbosity; /* -1 quiet, 0 normal, 1+ verbose */
};

/* Exit statuses (README.md "Commands", docs/netnsp.1 EXIT STATUS). */
#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

#endif
