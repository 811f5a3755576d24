// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon.c - lifecycle of the service (see daemon.h), signals and the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "ctl.h"
#include "daemon.h"
#include "relay/resolver.h"
#include "relay/worker.h"
#include "tor.h"
#include "transport.h"
#include "netns/netns.h"
#include "util/log.h"
#include "util/monotime.h"
#include "util/macro.h"
#include "util/notify.h"

/* mkdir -p for one level, root-owned, not writable by others (docs/GUARANTEES.md 9). */
static int daemon_mkdir(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return neg_errno();
	if (stat(path, &st) < 0)
		return neg_errno();
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != 0 || (st.st_mode & 0022))
		return -EPERM;
	return 0;
}

static int daemon_lock(const char *dir, const char *name, int *fdp)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return neg_errno();
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = neg_errno();

		close(fd);
		return r == -EWOULDBLOCK ? -EBUSY : r;
	}
	*fdp = fd;
	return 0;
}

static int daemon_setup_dirs(struct daemon *d)
{
	const struct cli_ctx *ctx = d->ctx;
	int r;

	r = daemon_mkdir(ctx->state_dir, 0700);
	if (r < 0) {
		log_err("state dir %s: %s", ctx->state_dir,
			r == -EPERM ? "must be root-owned and not writable by others"
				    : strerror(-r));
		return r;
	}
	r = daemon_mkdir(ctx->run_dir, 0755);
	if (r < 0) {
		log_err("run dir %s: %s", ctx->run_dir,
			r == -EPERM ? "must be root-owned and not writable by others"
				    : strerror(-r));
		return r;
	}
	r = daemon_lock(ctx->state_dir, "state.lock", &d->lock_fds[0]);
	if (r == 0)
		r = daemon_lock(ctx->run_dir, "daemon.lock", &d->lock_fds[1]);
	if (r == -EBUSY)
		log_err("another netnsp daemon uses %s or %s", ctx->state_dir, ctx->run_dir);
	else if (r < 0)
		log_err("lock: %s", strerror(-r));
	snprintf(d->state_path, sizeof(d->state_path), "%s/%s", ctx->state_dir, STATE_FILE_NAME);
	if (r < 0)
		return r;
	r = isolate_key_load(ctx->state_dir, &d->iso_key);
	if (r < 0)
		log_err("%s/%s: %s", ctx->state_dir, ISOLATE_KEY_FILE,
			r == -EPERM ? "must be a root-owned file only root can read"
			: r == -EBADMSG
				? "not a key this version wrote (remove it to make a new one)"
				: strerror(-r));
	return r;
}

/* Load the Derivative; a corrupt one is kept aside and derivation starts afresh. */
static int daemon_load_state(struct daemon *d, struct derivative *prev)
{
	char err[CONF_ERR_MAX] = "", aside[PATH_MAX];
	int r;

	r = derivative_load(d->state_path, prev, err, sizeof(err));
	if (r != -EBADMSG) {
		if (r < 0)
			log_err("%s: %s", d->state_path, err[0] ? err : strerror(-r));
		return r;
	}
	r = derivative_set_aside(d->state_path, "corrupt", aside, sizeof(aside));
	if (r < 0) {
		log_err("%s: corrupt (%s) and cannot be set aside: %s", d->state_path, err,
			strerror(-r));
		return r;
	}
	log_warn("%s: corrupt (%s); kept as %s, deriving anew", d->state_path, err, aside);
	memset(prev, 0, sizeof(*prev));
	return derivative_load(d->state_path, prev, err, sizeof(err));
}

/*
 * docs/GUARANTEES.md 7: a namespace file that now holds another namespace than
 * the one recorded is the user's intention: its entry is dropped (never
 * applied to the new namespace) and derived anew.
 */
static int daemon_drop_foreign(struct derivative *prev)
{
	for (size_t i = 0; i < prev->n_subjects;) {
		struct subject_state *st = &prev->subjects[i];
		struct ns_ident now;
		int fd;

		if (st->kind != SUBJ_NAMED || st->ns.ino == 0 ||
		    (fd = netns_open_named(st->netns)) < 0) {
			i++;
			continue;
		}
		if (netns_ident_fd(fd, &now) == 0 && !netns_ident_equal(&now, &st->ns)) {
			log_warn("profile '%s': /run/netns/%s holds another namespace than the "
				 "recorded one; deriving anew",
				 st->name, st->netns);
			close(fd);
			derivative_remove(prev, i);
			continue;
		}
		close(fd);
		i++;
	}
	return 0;
}

static int daemon_derive(struct daemon *d)
{
	_cleanup_(derivative_free) struct derivative prev = {0};
	char err[CONF_ERR_MAX + PATH_MAX];
	struct ns_ident self;
	int r;

	r = daemon_load_state(d, &prev);
	if (r < 0)
		return r;
	r = netns_ident_self(&self);
	if (r < 0) {
		log_err("cannot identify own network namespace: %s", strerror(-r));
		return r;
	}
	r = daemon_check_root(d->ctx, &prev, &self, err, sizeof(err));
	if (r < 0) {
		log_err("%s", err);
		return r;
	}
	d->self = self;
	daemon_drop_foreign(&prev);
	r = derive(&d->settings, &prev, &self, &d->deriv);
	if (r < 0)
		log_err("derive: %s", strerror(-r));
	return r;
}

/*
 * Every Named subject: its namespace exists before any apply (docs/DESIGN.md
 * "Settings → Derivative → Apply").
 */
static int daemon_build_subjects(struct daemon *d)
{
	for (size_t i = 0; i < d->deriv.n_subjects; i++) {
		const struct subject_state *st = &d->deriv.subjects[i];
		struct subject_rt *s;
		int r;

		if (st->kind != SUBJ_NAMED)
			continue;
		s = daemon_subject_new(d, st);
		if (!s)
			return -ENOMEM;
		r = subject_ns_open(s);
		if (r < 0)
			snprintf(s->error, sizeof(s->error), "namespace '%s': %s", s->netns,
				 strerror(-r));
	}
	return 0;
}

static void daemon_apply_all(struct daemon *d)
{
	size_t ok = 0;

	for (size_t i = 0; i < d->n_subj; i++) {
		struct subject_rt *s = d->subj[i];

		if (s->error[0] && s->nsfd < 0) {
			log_err("profile '%s': not applied: %s", s->name, s->error);
			continue;
		}
		if (daemon_subject_start(d, s) == 0)
			ok++;
	}
	log_info("ready: %zu of %zu subjects applied", ok, d->n_subj);
}

void daemon_notify(struct daemon *d, const char *state)
{
	char msg[512], failed[256] = "";
	size_t ok = 0, len = 0;
	int r;

	for (size_t i = 0; i < d->n_subj; i++) {
		if (d->subj[i]->applied) {
			ok++;
			continue;
		}
		if (len < sizeof(failed))
			len += (size_t)snprintf(failed + len, sizeof(failed) - len, "%s%s",
						len ? ", " : "; not applied: ", d->subj[i]->name);
	}
	snprintf(msg, sizeof(msg), "%s%sSTATUS=%zu of %zu subjects applied%s", state ? state : "",
		 state ? "\n" : "", ok, d->n_subj, failed);
	r = notify_send(msg);
	if (r < 0)
		log_debug("notify %s: %s", getenv("NOTIFY_SOCKET"), strerror(-r));
}

int daemon_setup_loop(struct daemon *d)
{
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	struct rlimit rl;
	sigset_t mask;
	int fd, r;

	/* A relayed connection holds up to 6 fds: daemon_caps() shares them. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	/* Freed at EMFILE to accept and reset one connection (relay_accept()). */
	d->relay.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return neg_errno();
	r = loop_init(&d->loop);
	if (r < 0)
		return r;
	d->relay.loop = &d->loop;
	r = egress_set_init(&d->egress, &d->loop);
	if (r < 0)
		return r;
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	d->sig = (struct ev){.tag = EV_SIGNAL, .fd = fd};
	r = loop_add(&d->loop, &d->sig, EPOLLIN);
	if (r < 0)
		return r;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	d->timer = (struct ev){.tag = EV_TIMER, .fd = fd};
	if (timerfd_settime(fd, 0, &its, NULL) < 0)
		return neg_errno();
	return loop_add(&d->loop, &d->timer, EPOLLIN);
}

/* After daemon_setup_loop(): the threads inherit its blocked signals (docs/DESIGN.md "Workers"). */
static int daemon_workers_start(struct daemon *d)
{
	unsigned n = d->settings.workers ? d->settings.workers : relay_workers_default();
	int r = relay_workers_start(&d->relay, n);

	if (r == 0 && n > 1)
		log_info("%u event loops serve TCP connections (workers = %s)", n,
			 d->settings.workers ? "N" : "auto");
	return r;
}

static void daemon_on_sighup(struct daemon *d)
{
	_cleanup_free_ char *plan = NULL;
	char err[CONF_ERR_MAX] = "";

	log_info("SIGHUP: reloading %s", d->ctx->config);
	if (daemon_reload(d, false, &plan, err, sizeof(err)) < 0) {
		log_err("reload refused, running config kept: %s", err);
		return;
	}
	for (char *line = plan, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		log_info("reload: %s", line);
	}
}

static void daemon_on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		if (d->oneshot) {
			run_on_signal(d, (int)si.ssi_signo);
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			daemon_on_sighup(d);
			continue;
		}
		log_info("%s: exiting; namespaces stay closed",
			 si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		d->quit = true;
	}
}

/* An egress namespace went away or came back: one line each time (egress_set_tick()). */
static void daemon_egress_note(const char *name, int err)
{
	if (err)
		log_warn("egress netns '%s': %s: connections through it are refused", name,
			 strerror(-err));
	else
		log_info("egress netns '%s': back, connections go through it again", name);
}

static void daemon_on_timer(struct daemon *d)
{
	uint64_t ticks, now;

	if (read(d->timer.fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	now = mono_now();
	relay_tick(&d->relay, now);
	transport_tick(d, now);
	tor_ctl_tick(d, now);
	egress_set_tick(&d->egress, daemon_egress_note);
	bool dirty = false;

	daemon_caps(d);
	for (size_t i = 0; i < d->n_subj; i++) {
		struct subject_rt *s = d->subj[i];

		dirty |= relay_subject_tick(&d->relay, &s->rs, s->applied ? s->nsfd : -1, now);
	}
	/* New fake mappings reach the Derivative within a few seconds, not per query. */
	d->fakes_dirty |= dirty && !d->oneshot;
	if (d->fakes_dirty && now >= d->next_fake_save) {
		d->fakes_dirty = false;
		d->next_fake_save = now + 5;
		(void)daemon_save(d);
	}
}

/* The one dispatch of the main loop: every tag of relay/loop.h. */
static void daemon_dispatch(struct daemon *d, struct ev *ev, uint32_t events)
{
	if (!loop_live(ev)) /* ended earlier in this batch (relay/loop.h rule 3) */
		return;
	switch (ev->tag) {
	case EV_LISTENER:
		relay_on_listener(&d->relay, ev->owner, ev);
		break;
	case EV_ENDPOINT:
		relay_on_endpoint(&d->relay, ev->owner, ev);
		break;
	case EV_APP:
	case EV_UP:
		relay_on_conn(&d->relay, ev, events);
		break;
	case EV_CTL_LISTEN:
	case EV_CTL_CLIENT:
		ctl_on_event(d, ev, events);
		break;
	case EV_SIGNAL:
		daemon_on_signal(d);
		break;
	case EV_TIMER:
		daemon_on_timer(d);
		break;
	case EV_DNS:
		relay_dns_on_event(&d->relay, ev, events);
		break;
	case EV_UDP:
		relay_udp_on_event(&d->relay, ev, events);
		break;
	case EV_PIDFD:
		daemon_collect(d, ev->owner);
		break;
	case EV_FLATPAK:
		daemon_flatpak_event(d);
		break;
	case EV_CHILD:
		run_on_child(d);
		break;
	case EV_TOR:
		transport_on_event(d, ev);
		break;
	case EV_TOR_CTL:
		tor_ctl_on_event(d, ev, events);
		break;
	case EV_EGRESS:
		egress_set_on_event(&d->egress, relay_on_egress, &d->relay);
		break;
	case EV_WORKER: /* only ever in a worker's own loop (relay/worker.c) */
		break;
	}
}

int daemon_loop(struct daemon *d)
{
	struct epoll_event evs[256];

	while (!d->quit) {
		int n = loop_wait(&d->loop, evs, ARRAY_SIZE(evs), -1);

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			daemon_dispatch(d, evs[i].data.ptr, evs[i].events);
		loop_reap(&d->loop);
	}
	return 0;
}

void daemon_free(struct daemon *d)
{
	ctl_close_all(d);
	daemon_flatpak_stop(d);
	tor_ctl_close_all(d);
	transport_stop_all(d);
	while (d->n_subj)
		daemon_subject_free(d, d->subj[d->n_subj - 1]);
	relay_workers_stop(&d->relay); /* no subject left for them to hold */
	egress_set_close(&d->egress, &d->loop);
	if (d->relay.spare_fd >= 0)
		close(d->relay.spare_fd);
	free(d->subj);
	if (d->sig.fd >= 0)
		close(d->sig.fd);
	if (d->timer.fd >= 0)
		close(d->timer.fd);
	loop_fini(&d->loop); /* after everything that may defer a free */
	for (int i = 0; i < 2; i++)
		if (d->lock_fds[i] >= 0)
			close(d->lock_fds[i]);
	derivative_free(&d->deriv);
	settings_free(&d->settings);
}

/* Parse and check Settings; any error is a config error (exit 2), nothing touched. */
static int daemon_settings(struct daemon *d)
{
	char err[CONF_ERR_MAX] = "";

	if (daemon_settings_load(d->ctx->config, &d->settings, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	return 0;
}

int daemon_run(const struct cli_ctx *ctx)
{
	struct daemon d = {.ctx = ctx, .loop.epfd = -1, .lock_fds = {-1, -1}, .relay.spare_fd = -1};
	int r, status = EXIT_RUNTIME;

	d.sig.fd = d.timer.fd = d.ctl.fd = d.flatpak.fd = -1;
	r = daemon_settings(&d);
	if (r) {
		daemon_free(&d);
		return r;
	}
	if (daemon_setup_dirs(&d) < 0 || daemon_derive(&d) < 0)
		goto out;
	r = daemon_setup_loop(&d);
	if (r < 0) {
		log_err("event loop setup: %s", strerror(-r));
		goto out;
	}
	r = daemon_workers_start(&d);
	if (r < 0) {
		log_err("worker threads: %s", strerror(-r));
		goto out;
	}
	/* Before the subjects: their chains point at the transports' sockets. */
	r = transport_start_all(&d);
	if (r < 0) {
		log_err("managed transports: %s", strerror(-r));
		goto out;
	}
	r = daemon_build_subjects(&d);
	if (r < 0) {
		log_err("subjects: %s", strerror(-r));
		goto out;
	}
	daemon_apply_all(&d);
	daemon_restore_pids(&d);
	if (daemon_save(&d) < 0)
		goto out;
	if (daemon_flatpak_start(&d) < 0)
		goto out;
	r = ctl_listen(&d);
	if (r < 0) {
		log_err("control socket in %s: %s", ctx->run_dir, strerror(-r));
		goto out;
	}
	/* systemd (Type=notify): up once every subject is applied and the socket serves. */
	daemon_notify(&d, "READY=1");
	r = daemon_loop(&d);
	daemon_notify(&d, "STOPPING=1");
	if (r < 0)
		log_err("event loop: %s", strerror(-r));
	else
		status = EXIT_OK;
	if (daemon_save(&d) < 0)
		status = EXIT_RUNTIME;
out:
	daemon_free(&d);
	return status;
}
