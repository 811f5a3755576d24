// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * flatpak_glue.c - `[flatpak] APP-ID = PROFILE`: attach each new sandbox of
 * APP-ID to PROFILE as a Pid subject.
 *
 * The watcher (src/flatpak/) reports an instance once its `info` and
 * `bwrapinfo.json` are both written and trusted.  A sandbox that shares the
 * host's network (the app has the network permission) is refused with the
 * command that fixes it: netnsp never touches the host namespace.  The
 * instance's uid goes to daemon_attach(), which attaches only a namespace
 * that is that user's own (docs/SECURITY.md "Pid subjects").
 * NETNSP_FLATPAK_ROOT replaces /run/user (for tests).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "flatpak/flatpak.h"
#include "util/log.h"

static const char *flatpak_profile_of(const struct daemon *d, const char *app_id)
{
	for (size_t i = 0; i < d->settings.n_flatpaks; i++)
		if (strcmp(d->settings.flatpaks[i].app_id, app_id) == 0)
			return d->settings.flatpaks[i].profile;
	return NULL;
}

static void flatpak_handle(struct daemon *d, const struct flatpak_instance *in)
{
	const char *profile = flatpak_profile_of(d, in->app_id);
	char why[FLATPAK_ERR_MAX], err[SUBJECT_ERR_MAX] = "";
	int r;

	if (!profile)
		return;
	if (in->network_shared) {
		flatpak_explain_refusal(in, 0, why, sizeof(why));
		log_warn("flatpak: %s instance %s: %s", in->app_id, in->instance_id, why);
		return;
	}
	r = flatpak_pid_check(in);
	if (r < 0) {
		flatpak_explain_refusal(in, r, why, sizeof(why));
		log_warn("flatpak: %s instance %s: %s", in->app_id, in->instance_id, why);
		return;
	}
	r = daemon_attach(d, in->child_pid, profile, in->uid, err, sizeof(err));
	if (r < 0)
		log_warn("flatpak: %s instance %s: %s", in->app_id, in->instance_id, err);
	else
		log_info("flatpak: %s instance %s (pid %d) attached to %s", in->app_id,
			 in->instance_id, in->child_pid, profile);
}

/* Drain the watcher with @fn (scan or process) until it reports no more. */
static void flatpak_drain(struct daemon *d, int (*fn)(struct flatpak_watch *,
						      struct flatpak_instance *, size_t, size_t *))
{
	struct flatpak_instance batch[16];
	size_t n;

	do {
		n = 0;
		if (fn(d->fw, batch, 16, &n) < 0)
			return;
		for (size_t i = 0; i < n; i++)
			flatpak_handle(d, &batch[i]);
	} while (n == 16);
}

int daemon_flatpak_start(struct daemon *d)
{
	const char *root = getenv("NETNSP_FLATPAK_ROOT");
	int r;

	if (d->settings.n_flatpaks == 0 || d->fw)
		return 0;
	if (!root || !*root)
		root = FLATPAK_ROOT_DEFAULT;
	r = flatpak_watch_open(root, &d->fw);
	if (r < 0) {
		/* Not fatal: named subjects still work; say why Flatpak apps won't attach. */
		log_warn("flatpak: cannot watch %s: %s; [flatpak] entries are inactive", root,
			 strerror(-r));
		return 0;
	}
	d->flatpak = (struct ev){.tag = EV_FLATPAK, .fd = flatpak_watch_fd(d->fw)};
	r = loop_add(&d->loop, &d->flatpak, EPOLLIN);
	if (r < 0) {
		daemon_flatpak_stop(d);
		return r;
	}
	flatpak_drain(d, flatpak_watch_scan);
	return 0;
}

void daemon_flatpak_stop(struct daemon *d)
{
	if (!d->fw)
		return;
	loop_del(&d->loop, &d->flatpak);
	flatpak_watch_free(d->fw);
	d->fw = NULL;
	d->flatpak.fd = -1;
}

void daemon_flatpak_event(struct daemon *d)
{
	if (d->fw)
		flatpak_drain(d, flatpak_watch_process);
}
