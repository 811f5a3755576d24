/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.h - the service: one explicit context, one epoll loop.
 *
 * Start: parse Settings (nothing is touched if they have errors), lock the
 * state and run dirs, load the Derivative (a corrupt one is set aside),
 * check the recorded root namespace, derive, make every namespace exist,
 * then apply each subject independently, store the Derivative, and serve.
 */
#ifndef NETNSP_DAEMON_H
#define NETNSP_DAEMON_H

#include <limits.h>
#include <stdbool.h>

#include "cli/cli.h"
#include "config/config.h"
#include "nft/nft.h"
#include "relay/relay.h"
#include "state/state.h"

#define SUBJECT_ERR_MAX 256

struct subject_rt {
	char name[CONF_NAME_MAX + 1];
	char netns[CONF_NAME_MAX + 1];
	int nsfd;			/* owned: held so the namespace's inode cannot be reused */
	bool applied;
	char error[SUBJECT_ERR_MAX];	/* why not applied */
	struct nft_subject nft;
	struct relay_subject rs;	/* listeners and connections (owned) */
};

struct ctl_client;

struct daemon {
	const struct cli_ctx *ctx;	/* not owned */
	struct settings settings;	/* owned */
	struct derivative deriv;	/* owned */
	char state_path[PATH_MAX];
	struct subject_rt *subj;	/* owned array, one per profile */
	size_t n_subj;
	int epfd;			/* owned */
	struct relay relay;
	struct ev sig;			/* owned fd: signalfd */
	struct ev timer;		/* owned fd: timerfd */
	struct ev ctl;			/* owned fd: control socket */
	struct ctl_client *clients;	/* owned list */
	int lock_fds[2];		/* owned: flocks on the state and run dirs */
	bool quit;
};

/**
 * daemon_run() - the `daemon` command.
 * @ctx: global options.
 *
 * Return: exit status.
 */
int daemon_run(const struct cli_ctx *ctx);

/**
 * subject_apply() - converge one subject: namespace, nft table, uplink,
 * listeners; records its namespace identity in @st.
 * @d: daemon.
 * @s: runtime subject.
 * @st: its Derivative entry.
 * @p: its profile.
 *
 * Return: 0, or a negative errno with @s->error set.
 */
int subject_apply(struct daemon *d, struct subject_rt *s, struct subject_state *st,
		  const struct profile_conf *p);

/**
 * subject_down() - close the subject's relay, delete its namespace (only if
 * it is the one held), remove its runtime files.
 * @d: daemon.
 * @s: runtime subject.
 *
 * Return: 0 or a negative errno.
 */
int subject_down(struct daemon *d, struct subject_rt *s);

/**
 * ctl_listen() - create RUN_DIR/control.sock (0600) and register it.
 * @d: daemon.
 *
 * Return: 0 or a negative errno.
 */
int ctl_listen(struct daemon *d);

/**
 * ctl_on_event() - serve the control socket or one of its clients.
 * @d: daemon.
 * @ev: d->ctl or a client's ev.
 * @events: epoll events.
 */
void ctl_on_event(struct daemon *d, struct ev *ev, uint32_t events);

/**
 * ctl_close_all() - close the control socket and every client; unlink the socket.
 * @d: daemon.
 */
void ctl_close_all(struct daemon *d);

/**
 * daemon_drop_entry() - remove profile @name's Derivative entry and store the file.
 * @d: daemon.
 * @name: profile name.
 *
 * Return: 0 or a negative errno.
 */
int daemon_drop_entry(struct daemon *d, const char *name);

/**
 * daemon_deriv_remove() - remove and free entry @i of @dv.
 * @dv: derivative.
 * @i: index.
 */
void daemon_deriv_remove(struct derivative *dv, size_t i);

#endif
