// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * reload.c - converge the running daemon to new Settings (SIGHUP, `netnsp
 * reload`), and `netnsp gc`.
 *
 * A reload parses and checks the new Settings first: a config with errors
 * changes nothing.  The plan compares each profile's snapshot in the
 * Derivative with the new Settings (derive_plan()): added profiles are
 * created and applied, changed ones re-applied (keeping their id and
 * addresses; their connections are reset, since their chain changed),
 * removed ones torn down.  Unchanged subjects are not touched at all, so
 * their connections carry on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "transport.h"
#include "netns/netns.h"
#include "relay/worker.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/notify.h"

/* Tear down and forget every runtime subject of profile @name. */
static void reload_remove(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_subj;) {
		struct subject_rt *s = d->subj[i];

		if (strcmp(s->name, name) != 0) {
			i++;
			continue;
		}
		(void)subject_down(d, s);
		daemon_subject_free(d, s);
	}
}

/* Re-apply every runtime subject of a changed profile; a new netns name moves it. */
static void reload_change(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_subj; i++) {
		struct subject_rt *s = d->subj[i];
		const struct subject_state *st;

		if (strcmp(s->name, name) != 0)
			continue;
		relay_subject_stop(&d->relay, &s->rs);
		st = daemon_entry(d, s);
		if (s->kind == SUBJ_NAMED && st && strcmp(st->netns, s->netns) != 0) {
			(void)subject_down(d, s);
			snprintf(s->netns, sizeof(s->netns), "%s", st->netns);
		}
		if (subject_ns_open(s) == 0 || s->nsfd >= 0)
			(void)daemon_subject_start(d, s);
	}
}

static void reload_add(struct daemon *d, const char *name)
{
	const struct subject_state *st = derivative_find(&d->deriv, name);
	struct subject_rt *s;
	int r;

	if (!st || !(s = daemon_subject_new(d, st))) {
		log_err("profile '%s': cannot add: out of memory", name);
		return;
	}
	r = subject_ns_open(s);
	if (r < 0) {
		snprintf(s->error, sizeof(s->error), "namespace '%s': %s", s->netns, strerror(-r));
		log_err("profile '%s': not applied: %s", s->name, s->error);
		return;
	}
	(void)daemon_subject_start(d, s);
}

/*
 * [daemon] workers is read at start only (the loops and their threads live as
 * long as the daemon): a changed value is said in the plan and the log, and
 * nothing else happens to it until the next start.
 */
static int reload_workers_note(struct daemon *d, const struct settings *next, bool dry_run,
			       char **plan)
{
	unsigned want = next->workers ? next->workers : relay_workers_default();
	unsigned have = relay_workers_count(&d->relay);
	char *text;

	if (want == have)
		return 0;
	if (asprintf(&text, "%s! [daemon] workers: %u event loops at the next start (%u now)\n",
		     *plan, want, have) < 0)
		return -ENOMEM;
	free(*plan);
	*plan = text;
	if (!dry_run)
		log_warn("reload: [daemon] workers = %u takes effect at the next start; %u event "
			 "loops "
			 "keep serving",
			 want, have);
	return 0;
}

int daemon_reload(struct daemon *d, bool dry_run, char **plan, char *err, size_t errlen)
{
	_cleanup_(settings_free) struct settings next = {0};
	_cleanup_(derivative_free) struct derivative nd = {0};
	struct derive_change *c = NULL;
	size_t n = 0;
	int r;

	*plan = NULL;
	if (!dry_run) {
		/* systemd: RELOADING=1 now, READY=1 when done (sd_notify(3)). */
		char usec[48], msg[80];

		notify_monotonic_usec(usec, sizeof(usec));
		snprintf(msg, sizeof(msg), "RELOADING=1\n%s", usec);
		(void)notify_send(msg);
	}
	r = daemon_settings_load(d->ctx->config, &next, err, errlen);
	if (r < 0)
		goto out;
	r = derive_plan(&d->deriv, &next, &c, &n);
	if (r < 0)
		goto out;
	*plan = derive_plan_text(c, n);
	r = *plan ? reload_workers_note(d, &next, dry_run, plan) : -ENOMEM;
	/* A transport's own keys (tor-config) are in no profile's snapshot. */
	if (r < 0 || dry_run || (n == 0 && !transport_reload_needed(d, &next)))
		goto out;
	r = derive(&next, &d->deriv, &d->self, &nd);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (c[i].what == CHANGE_REMOVED)
			reload_remove(d, c[i].profile);
	/* Swap in the new Settings and Derivative before any apply reads them. */
	settings_free(&d->settings);
	d->settings = next;
	memset(&next, 0, sizeof(next));
	derivative_free(&d->deriv);
	d->deriv = nd;
	memset(&nd, 0, sizeof(nd));
	/* Before the subjects: their chains point at the transports' sockets. */
	d->reloading = true;
	r = transport_reload(d);
	d->reloading = false;
	if (r < 0)
		log_err("managed transports: %s", strerror(-r));
	for (size_t i = 0; i < n; i++) {
		if (c[i].what == CHANGE_CHANGED)
			reload_change(d, c[i].profile);
		else if (c[i].what == CHANGE_ADDED)
			reload_add(d, c[i].profile);
	}
	daemon_flatpak_stop(d);
	(void)daemon_flatpak_start(d);
	r = daemon_save(d);
out:
	derive_plan_free(c, n);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "reload: %s", strerror(-r));
	if (!dry_run)
		daemon_notify(d, "READY=1");
	return r;
}

int daemon_gc(struct daemon *d, const char *const *names, size_t n)
{
	_cleanup_(derivative_free) struct derivative nd = {0};
	int r;

	for (size_t i = 0; i < d->deriv.n_subjects;) {
		const struct subject_state *st = &d->deriv.subjects[i];
		bool want = names == NULL;

		for (size_t k = 0; k < n && !want; k++)
			want = strcmp(names[k], st->name) == 0;
		if (!want || st->kind != SUBJ_NAMED) {
			i++;
			continue;
		}
		derivative_remove(&d->deriv, i);
	}
	r = derive(&d->settings, &d->deriv, &d->self, &nd);
	if (r < 0)
		return r;
	derivative_free(&d->deriv);
	d->deriv = nd;
	memset(&nd, 0, sizeof(nd));
	for (size_t i = 0; i < d->n_subj; i++) {
		struct subject_rt *s = d->subj[i];
		bool want = names == NULL;

		for (size_t k = 0; k < n && !want; k++)
			want = strcmp(names[k], s->name) == 0;
		if (!want || s->kind != SUBJ_NAMED)
			continue;
		relay_subject_stop(&d->relay, &s->rs);
		(void)daemon_subject_start(d, s);
	}
	return daemon_save(d);
}
