// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * transport_stop.c - stopping managed transports (transport.h) without
 * stalling the event loop: SIGTERM, then the child's pidfd in the loop says
 * when it ended; the 1 s tick sends SIGKILL once the grace period is over.
 * Only at daemon exit does the daemon wait for its children, and for a
 * bounded time.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "daemon.h"
#include "transport.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

/* Closed and unregistered; freed after the current batch (relay/loop.h rule 2). */
static void transport_bury(struct daemon *d, struct transport *t)
{
	transport_close_ev(d, &t->out);
	transport_close_ev(d, &t->pidfd);
	t->state = TRANSPORT_STOPPED;
	loop_defer_free(&d->loop, t, NULL);
}

void transport_stop_begin(struct daemon *d, struct transport *t)
{
	if (t->pid <= 0 || t->pidfd.fd < 0) {
		int status;

		/* No pidfd to tell its end (pidfd_open failed): wait, as before pidfds. */
		if (t->pid > 0 && kill(t->pid, SIGKILL) == 0)
			(void)transport_reap(d, t, 0, &status);
		transport_bury(d, t);
		return;
	}
	kill(t->pid, SIGTERM);
	t->stopping = true;
	t->state = TRANSPORT_STOPPED;
	t->kill_at = mono_now() + TRANSPORT_STOP_GRACE;
	t->stop_next = d->transports_stopping;
	d->transports_stopping = t;
}

struct transport *transport_stopping_find(struct daemon *d, const char *name)
{
	for (struct transport *t = d->transports_stopping; t; t = t->stop_next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static void transport_unstop(struct daemon *d, struct transport *t)
{
	for (struct transport **pp = &d->transports_stopping; *pp; pp = &(*pp)->stop_next)
		if (*pp == t) {
			*pp = t->stop_next;
			break;
		}
	t->stop_next = NULL;
	t->stopping = false;
}

void transport_stopped(struct daemon *d, struct transport *t)
{
	struct transport *next;
	int status = 0;

	if (!transport_reap(d, t, WNOHANG, &status))
		return;
	transport_drain(d, t);
	log_info("%s '%s': stopped%s", t->ops->label, t->name,
		 t->killed ? " (killed after the grace period)" : "");
	transport_unstop(d, t);
	transport_bury(d, t);
	/* Its successor (changed by reload) waited for the data dir and sockets. */
	next = transport_find(d, t->name);
	if (next && next->state == TRANSPORT_BACKOFF && next->restart_at == UINT64_MAX) {
		next->phase[0] = '\0';
		transport_start(d, next);
	}
}

void transport_stop_tick(struct daemon *d, uint64_t now)
{
	for (struct transport *t = d->transports_stopping; t; t = t->stop_next)
		if (!t->killed && now >= t->kill_at && t->pid > 0) {
			log_warn("%s '%s': still running %d s after SIGTERM: SIGKILL",
				 t->ops->label, t->name, TRANSPORT_STOP_GRACE);
			kill(t->pid, SIGKILL);
			t->killed = true;
		}
}

/* @fn for each child the daemon has: running transports and stopping ones. */
static void transport_each(struct daemon *d,
			   void (*fn)(struct daemon *d, struct transport *t, void *arg), void *arg)
{
	for (size_t i = 0; i < d->n_transports; i++)
		fn(d, d->transports[i], arg);
	for (struct transport *t = d->transports_stopping; t; t = t->stop_next)
		fn(d, t, arg);
}

static void transport_term(struct daemon *d, struct transport *t, void *arg)
{
	if (t->pid > 0 && !t->stopping)
		kill(t->pid, SIGTERM);
}

struct transport_polls {
	struct pollfd pfd[64];
	nfds_t n;
	bool left; /* a child has not ended yet */
};

/* Reap @t if it ended; else poll its pidfd. */
static void transport_poll_one(struct daemon *d, struct transport *t, void *arg)
{
	struct transport_polls *p = arg;
	int status;

	if (t->pid <= 0 || transport_reap(d, t, WNOHANG, &status))
		return;
	p->left = true;
	if (t->pidfd.fd >= 0 && p->n < ARRAY_SIZE(p->pfd))
		p->pfd[p->n++] = (struct pollfd){.fd = t->pidfd.fd, .events = POLLIN};
}

static void transport_kill_reap(struct daemon *d, struct transport *t, void *arg)
{
	int status;

	if (t->pid <= 0)
		return;
	kill(t->pid, SIGKILL);
	(void)transport_reap(d, t, 0, &status);
}

void transport_stop_all(struct daemon *d)
{
	uint64_t until = mono_msec() + TRANSPORT_STOP_GRACE * 1000u;

	transport_each(d, transport_term, NULL);
	for (;;) {
		struct transport_polls p = {.n = 0};
		uint64_t now = mono_msec();

		transport_each(d, transport_poll_one, &p);
		if (!p.left || now >= until)
			break;
		/* Without a pidfd to wait on, a short sleep between the checks. */
		(void)poll(p.pfd, p.n, (int)(until - now > 100 ? 100 : until - now));
	}
	transport_each(d, transport_kill_reap, NULL);
	for (size_t i = 0; i < d->n_transports; i++) {
		struct transport *t = d->transports[i];

		transport_drain(d, t);
		if (t->state != TRANSPORT_FAILED && t->state != TRANSPORT_BACKOFF)
			log_info("%s '%s': stopped", t->ops->label, t->name);
		transport_bury(d, t);
	}
	while (d->transports_stopping) {
		struct transport *t = d->transports_stopping;

		transport_drain(d, t);
		log_info("%s '%s': stopped", t->ops->label, t->name);
		transport_unstop(d, t);
		transport_bury(d, t);
	}
	free(d->transports);
	d->transports = NULL;
	d->n_transports = 0;
}
