// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check.c - the checks a daemon makes before it touches anything, shared
 * with the commands that make them without one (`netnsp reload --dry-run`
 * with no daemon running, like `nginx -t` or `sshd -t`): Settings that parse
 * and validate, and a Derivative recorded in this very network namespace.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "netns/netns.h"
#include "util/parse.h"

int daemon_settings_load(const char *path, struct settings *out, char *err, size_t errlen)
{
	int r = settings_parse_file(path, out, err, errlen);

	for (size_t i = 0; r == 0 && i < out->n_profiles; i++) {
		if (!name_valid(out->profiles[i].netns)) {
			snprintf(err, errlen, "%s:%d: netns: '%s' is not a valid namespace name",
				 path, out->profiles[i].line, out->profiles[i].netns);
			r = -EINVAL;
		}
	}
	if (r < 0 && !err[0])
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
	return r < 0 ? -EINVAL : 0;
}

/*
 * The recorded root namespace is what every identity in the Derivative is
 * relative to, and what `exec` checks its callers against; a daemon in
 * another namespace must not adopt it silently.  But the usual cause is
 * benign (the host namespace was made afresh: a container restart,
 * PrivateNetwork=, a new test bed), so the message names the way out.
 */
int daemon_check_root(const struct cli_ctx *ctx, const struct derivative *prev,
		      const struct ns_ident *self, char *err, size_t errlen)
{
	char gc[PATH_MAX + 64] = "netnsp gc --all";

	if (!prev->have_root || netns_ident_equal(&prev->root, self))
		return 0;
	if (ctx->state_dir_given)
		snprintf(gc, sizeof(gc), "netnsp --state-dir %s gc --all", ctx->state_dir);
	snprintf(err, errlen,
		 "%s/%s was recorded in another network namespace (inode %llu, cookie %llu) "
		 "than this one (inode %llu, cookie %llu); refusing to run on it. If this "
		 "namespace was made afresh (container restart, PrivateNetwork=, new test bed), "
		 "run `%s` with no daemon running: it keeps the old state as a file beside it "
		 "and the next start derives anew",
		 ctx->state_dir, STATE_FILE_NAME, (unsigned long long)prev->root.ino,
		 (unsigned long long)prev->root.cookie, (unsigned long long)self->ino,
		 (unsigned long long)self->cookie, gc);
	return -EXDEV;
}
