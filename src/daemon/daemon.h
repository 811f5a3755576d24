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

#include "daemon/ctx.h"
#include "config/config.h"
#include "nft/nft.h"
#include "proxy/isolate.h"
#include "relay/egress.h"
#include "relay/relay.h"
#include "state/state.h"

#define SUBJECT_ERR_MAX 256

/*
 * One subject at run time.  Allocated one by one (never moved): epoll and
 * every connection hold pointers into it; freed after the event batch
 * (relay/loop.h rule 2).  Its Derivative entry is found by
 * key (profile name for Named, pid for Pid), never by index.
 */
struct subject_rt {
	char name[CONF_NAME_MAX + 1];  /* profile name */
	char netns[CONF_NAME_MAX + 1]; /* Named: /run/netns name; Pid: "" */
	enum subject_kind kind;
	int32_t pid;	    /* Pid subjects */
	uint64_t pid_start; /* Pid subjects: start time, against pid reuse */
	struct ev pidfd;    /* owned fd (Pid subjects): readable when the process exits */
	int nsfd;	    /* owned: held so the namespace's inode cannot be reused */
	bool applied;
	char error[SUBJECT_ERR_MAX]; /* why not applied */
	struct nft_subject nft;
	struct nft_live *live;	 /* owned: its socket keeps UDP flowing (nft.h) */
	enum dns_mode dns_mode;	 /* as applied */
	struct relay_subject rs; /* listeners and connections (owned) */
};

struct ctl_client;
struct flatpak_watch;
struct transport;
struct tor_ctl;

/* A Pid subject taken down while its process ran, for `status` (newest last). */
#define DAEMON_DETACHED_MAX 16
struct pid_detached {
	char profile[CONF_NAME_MAX + 1];
	int32_t pid;
	char teardown[SUBJECT_ERR_MAX]; /* what was removed and what was restored */
};

struct daemon {
	const struct cli_ctx *ctx; /* not owned */
	struct settings settings;  /* owned */
	struct derivative deriv;   /* owned */
	struct ns_ident self;	   /* the daemon's own (root) namespace */
	char state_path[PATH_MAX];
	struct subject_rt **subj; /* owned array of owned subjects */
	size_t n_subj;
	struct loop loop; /* owned: the main loop (relay/loop.h) */
	struct relay relay;
	struct ev sig;		    /* owned fd: signalfd */
	struct ev timer;	    /* owned fd: timerfd */
	struct ev ctl;		    /* owned fd: control socket */
	struct ev flatpak;	    /* fd owned by @fw: inotify */
	struct flatpak_watch *fw;   /* owned, NULL without [flatpak] entries */
	struct ctl_client *clients; /* owned list */
	int lock_fds[2];	    /* owned: flocks on the state and run dirs */
	struct pid_detached detached[DAEMON_DETACHED_MAX];
	size_t n_detached;
	struct transport **transports; /* owned array of owned: managed tor and i2pd */
	size_t n_transports;
	bool reloading;		    /* inside daemon_reload(), for the log */
	struct tor_ctl *tor_ctls;   /* owned list: control-port exchanges (tor_ctl.c) */
	struct isolate_key iso_key; /* per-install secret for isolation credentials */
	struct egress_set egress;   /* the proxies' netns, held once each (relay/egress.h) */
	bool quit;
	bool oneshot;		 /* `netnsp run`: no files, no control socket, ends with @child */
	struct ev child;	 /* owned fd (oneshot): pidfd of the command */
	int child_status;	 /* oneshot: the command's exit status, shell-style */
	bool fakes_dirty;	 /* fake mappings not yet in the Derivative */
	uint64_t next_fake_save; /* CLOCK_MONOTONIC seconds */
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
 * subject_ns_open() - open (Named: create if missing) the namespace of @s into @s->nsfd.
 * @s: runtime subject.
 *
 * Return: 0 or a negative errno.
 */
int subject_ns_open(struct subject_rt *s);

/**
 * subject_down() - close the subject's relay, delete its namespace (only if
 * it is the one held), remove its runtime files.  A Pid subject's namespace
 * is handed back instead: netnsp's uplink, table, rules and routes are
 * removed, the default routes it replaced are put back, and what was done
 * is recorded in @d->detached.
 * @d: daemon.
 * @s: runtime subject.
 *
 * Return: 0 or a negative errno.
 */
int subject_down(struct daemon *d, struct subject_rt *s);

/**
 * subject_hand_back_ns() - give a process's namespace back: remove netnsp's
 * nft table, uplink, rules and routes; put back the default routes it saved.
 * @nsfd: the namespace.
 * @text: receives one line saying what was removed and restored.
 * @len: size of @text (SUBJECT_ERR_MAX is enough).
 *
 * Return: 0 or a negative errno (@text says so too).
 */
int subject_hand_back_ns(int nsfd, char *text, size_t len);

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
 * daemon_entry() - the Derivative entry of @s (by profile name or pid).
 * @d: daemon.
 * @s: runtime subject.
 *
 * Return: the entry or NULL.
 */
struct subject_state *daemon_entry(struct daemon *d, const struct subject_rt *s);

/**
 * daemon_subject_new() - allocate a runtime subject for entry @st and list it.
 * @d: daemon.
 * @st: its Derivative entry.
 *
 * Return: the subject, or NULL on allocation failure.
 */
struct subject_rt *daemon_subject_new(struct daemon *d, const struct subject_state *st);

/**
 * daemon_subject_start() - build the chain of @s from the current Settings and apply it.
 * @d: daemon.
 * @s: runtime subject.
 *
 * Logs the outcome once.
 *
 * Return: 0 or a negative errno (@s->error says why).
 */
int daemon_subject_start(struct daemon *d, struct subject_rt *s);

/**
 * daemon_subject_free() - close everything @s holds, unlist and free it.
 * @d: daemon.
 * @s: runtime subject.
 */
void daemon_subject_free(struct daemon *d, struct subject_rt *s);

/**
 * daemon_caps() - set the relay's connection caps from the fd limit and the subjects.
 * @d: daemon.
 *
 * Each subject gets its profile's max-connections, or an equal share of
 * what RLIMIT_NOFILE leaves after the daemon's reserve (relay_limits()).
 * Run at every tick and before a subject is applied, so a subject that
 * comes or goes moves the derived caps within a second.
 */
void daemon_caps(struct daemon *d);

/**
 * daemon_save() - store the Derivative and RUN_DIR/subjects.json; log failures.
 * @d: daemon.
 *
 * Return: 0 or a negative errno.
 */
int daemon_save(struct daemon *d);

/**
 * daemon_reload() - re-read Settings and converge to them (reload.c).
 * @d: daemon.
 * @dry_run: only compute the plan.
 * @plan: receives the plan lines ("+ profile a", ...), one per line, malloc'd.
 * @err: config error text ("FILE:LINE: key: reason") on failure.
 * @errlen: size of @err.
 *
 * Return: 0, -EINVAL for a config error (the running config stays), or a negative errno.
 */
int daemon_reload(struct daemon *d, bool dry_run, char **plan, char *err, size_t errlen);

/**
 * daemon_gc() - drop the Derivative entries of Named profiles and derive them anew.
 * @d: daemon.
 * @names: profile names, or NULL for all.
 * @n: number of @names.
 *
 * Return: 0 or a negative errno.
 */
int daemon_gc(struct daemon *d, const char *const *names, size_t n);

/**
 * daemon_attach() - make the namespace of process @pid a Pid subject of @profile (pidsub.c).
 * @d: daemon.
 * @pid: process.
 * @profile: profile name.
 * @owner: DAEMON_ATTACH_ROOT for root's `netnsp attach`; else the uid the
 *         process and its namespace must belong to (a Flatpak instance's
 *         owner), checked as docs/SECURITY.md "Pid subjects" says.
 * @err: why not.
 * @errlen: size of @err.
 *
 * Return: 0, -ENOENT (no profile), -ESRCH (no process), -EEXIST / -EPERM
 * (refused: the daemon's namespace, another subject's, not @owner's), or a
 * negative errno.
 */
int daemon_attach(struct daemon *d, int32_t pid, const char *profile, int64_t owner, char *err,
		  size_t errlen);

#define DAEMON_ATTACH_ROOT (-1)

/**
 * daemon_detach() - take Pid subject @s down (subject_down()), forget it and
 * its Derivative entry.
 * @d: daemon.
 * @s: runtime subject; freed.
 */
void daemon_detach(struct daemon *d, struct subject_rt *s);

/**
 * daemon_collect() - the process of Pid subject @s exited: forget the subject.
 * @d: daemon.
 * @s: runtime subject.
 */
void daemon_collect(struct daemon *d, struct subject_rt *s);

/**
 * daemon_restore_pids() - at start, re-attach Pid entries whose process still
 * runs (same start time) and collect the others.
 * @d: daemon.
 */
void daemon_restore_pids(struct daemon *d);

/**
 * daemon_flatpak_start() - watch Flatpak instances if Settings have [flatpak] entries.
 * @d: daemon.
 *
 * Return: 0 or a negative errno.
 */
int daemon_flatpak_start(struct daemon *d);

/**
 * daemon_flatpak_stop() - stop watching Flatpak instances; accepts a daemon without a watcher.
 * @d: daemon.
 */
void daemon_flatpak_stop(struct daemon *d);

/**
 * daemon_flatpak_event() - handle the watcher's inotify events.
 * @d: daemon.
 */
void daemon_flatpak_event(struct daemon *d);

/**
 * daemon_settings_load() - parse and validate Settings as the daemon uses them (check.c).
 * @path: the config file.
 * @out: filled on success; release with settings_free() (also after a failure).
 * @err: on failure, one line "FILE:LINE: key: reason" (or "FILE: why").
 * @errlen: size of @err.
 *
 * Parse, refuse keys of features that have not landed, check namespace names.
 *
 * Return: 0, or -EINVAL for any config error.
 */
int daemon_settings_load(const char *path, struct settings *out, char *err, size_t errlen);

/**
 * daemon_check_root() - refuse a Derivative recorded in another root namespace (check.c).
 * @ctx: global options (the state dir, for the message).
 * @prev: the loaded Derivative.
 * @self: the caller's network namespace.
 * @err: on refusal, one line naming both namespaces and the way out (`netnsp gc --all`).
 * @errlen: size of @err.
 *
 * Return: 0, or -EXDEV if @prev records another root namespace than @self.
 */
int daemon_check_root(const struct cli_ctx *ctx, const struct derivative *prev,
		      const struct ns_ident *self, char *err, size_t errlen);

/**
 * daemon_notify() - tell the service manager @state (READY=1, RELOADING=1 ...)
 * with a one-line STATUS= summary ("2 of 3 subjects applied; not applied: x").
 * @d: daemon.
 * @state: "KEY=VALUE" lines to send first, or NULL for the status only.
 *
 * A no-op without $NOTIFY_SOCKET (see util/notify.h); failures are logged at debug.
 */
void daemon_notify(struct daemon *d, const char *state);

/**
 * daemon_setup_loop() - epoll, the signalfd (SIGTERM, SIGINT, SIGHUP) and the 1 s timer.
 * @d: daemon.
 *
 * Return: 0 or a negative errno.
 */
int daemon_setup_loop(struct daemon *d);

/**
 * daemon_loop() - dispatch events until @d->quit.
 * @d: daemon.
 *
 * Return: 0 or a negative errno.
 */
int daemon_loop(struct daemon *d);

/**
 * daemon_free() - release everything @d holds (subjects, loop fds, Settings, Derivative).
 * @d: daemon; its fds are -1 where not open.
 */
void daemon_free(struct daemon *d);

/**
 * run_child() - `netnsp run` below the caller: namespaces, the subject, the
 * command, the relay until the command exits (run.c).
 * @ctx: global options.
 * @settings: validated Settings; owned from here on (freed also on failure).
 * @profile: the profile to apply.
 * @cmd: the command and its arguments (NULL-terminated).
 * @egress: this process's end of the socket broker (egress.h).
 *
 * Runs in the child that the caller's process forked, which then exits with
 * the status returned.
 *
 * Return: the exit status: the command's (128 + signal when it was killed),
 * 127 / 126 if it could not be started, EXIT_RUNTIME for a setup failure.
 */
int run_child(const struct cli_ctx *ctx, struct settings *settings, const char *profile, char **cmd,
	      int egress);

/**
 * run_on_signal() - `netnsp run`: pass SIGTERM / SIGHUP on to the command (run.c).
 * @d: the oneshot daemon.
 * @signo: the signal received.
 */
void run_on_signal(struct daemon *d, int signo);

/**
 * run_on_child() - `netnsp run`: the command exited; record its status and quit (run.c).
 * @d: the oneshot daemon.
 */
void run_on_child(struct daemon *d);

/**
 * daemon_write_subjects() - RUN_DIR/subjects.json (0644, no secrets) for `netnsp id`.
 * @d: daemon.
 *
 * Return: 0 or a negative errno.
 */
int daemon_write_subjects(struct daemon *d);

#endif
