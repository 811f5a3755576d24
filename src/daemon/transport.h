/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * transport.h - managed transports: a `url = tor` or `url = i2p` proxy is a
 * Debian tor or i2pd that the daemon starts, supervises and stops itself.
 *
 * Each runs as a child of the daemon (fork + exec, no shell) in the daemon's
 * namespace, with a generated config in STATE_DIR/KIND-NAME/ (root's, 0711)
 * and its data in data/ below (0700, owned by the program's system user).
 * Its stdout and stderr go to the daemon's log, prefixed "KIND 'NAME': ";
 * readiness is read from its log lines or, for i2pd, from its listening
 * socket (no request on the loop).  If it dies it is started again after a
 * backoff of 1, 2, 4 ... 60 s.  What differs between programs (config, argv,
 * readiness, how it reaches its user) is a struct transport_ops: tor.c, i2p.c.
 */
#ifndef NETNSP_TRANSPORT_H
#define NETNSP_TRANSPORT_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config/config.h"
#include "relay/loop.h"

struct daemon;
struct transport;

#define TRANSPORT_LINE_MAX 1024
#define TRANSPORT_ARGV_MAX 8

enum transport_state {
	TRANSPORT_STOPPED = 0,
	TRANSPORT_STARTING, /* spawned, not ready yet (tor below 100%, i2pd's port not listening) */
	TRANSPORT_RUNNING,  /* ready: transport_set_ready() */
	TRANSPORT_BACKOFF,  /* shown as "restarting" */
	TRANSPORT_FAILED,   /* no binary: never retried */
};

/* The arguments of one start, formatted before fork() (the child only execs). */
struct transport_argv {
	const char *v[TRANSPORT_ARGV_MAX + 1]; /* NULL-terminated; point into @buf or constants */
	char buf[3][PATH_MAX + 32];
};

struct transport_ops {
	enum proxy_kind kind;
	const char *label;	 /* "tor", "i2pd": log prefix and status "kind" */
	const char *dir_prefix;	 /* STATE_DIR/PREFIX-NAME */
	const char *user;	 /* system user made by the Debian package */
	const char *package;	 /* Debian package, for the missing-binary error */
	const char *const *bins; /* NULL-terminated candidate paths, first executable wins */
	/*
	 * true: the program switches to @user by itself once its sockets are
	 * open (tor's User); false: the child switches before exec.
	 */
	bool self_drop;
	/* Before each start: write the config (and pick ports); 0 or -errno. */
	int (*prepare)(struct daemon *d, struct transport *t);
	/* Fill @a for exec of @bin. */
	void (*argv)(const struct transport *t, const char *bin, struct transport_argv *a);
	/* One log line without its prefix: track readiness. */
	void (*log_line)(struct transport *t, const char *msg);
	/* Once a second while starting: a cheap readiness check (may be NULL). */
	void (*tick)(struct transport *t);
	/* Kind-specific fields of `status --json` (may be NULL). */
	void (*status)(const struct transport *t, json_object *o);
};

struct transport {
	const struct transport_ops *ops; /* not owned: tor_ops or i2p_ops */
	char name[64];			 /* the proxy's name */
	char dir[PATH_MAX];		 /* STATE_DIR/PREFIX-NAME */
	char extra[PATH_MAX];		 /* tor-config or i2p-config file, "" if none */
	uint64_t extra_sig;		 /* conf_file_sig() of @extra at the last start */
	pid_t pid;			 /* 0 when not running */
	uid_t uid;			 /* the program's user after startup, 0 if there is none */
	gid_t gid;
	struct ev pidfd;	       /* owned fd: readable when it exits */
	struct ev out;		       /* owned fd: read end of its stdout + stderr */
	char line[TRANSPORT_LINE_MAX]; /* partial log line */
	size_t line_len;
	enum transport_state state;
	int bootstrap;	 /* tor: percent, -1 until the first "Bootstrapped" line */
	char phase[128]; /* tor: text of the last bootstrap line; i2pd: readiness */
	uint16_t port;	 /* i2pd: its SOCKS port on 127.0.0.1, kept across restarts */
	unsigned restarts;
	unsigned backoff; /* seconds before the next start */
	uint64_t restart_at;
	/* Stopping (removed or replaced by reload): SIGTERM sent, the pidfd tells the end. */
	bool stopping;
	bool killed;		     /* SIGKILL sent: the grace period passed */
	uint64_t kill_at;	     /* CLOCK_MONOTONIC seconds: SIGKILL then */
	struct transport *stop_next; /* on daemon.transports_stopping */
};

/* Seconds a stopping child has between SIGTERM and SIGKILL. */
#define TRANSPORT_STOP_GRACE 3

extern const struct transport_ops tor_ops;
extern const struct transport_ops i2p_ops;

/**
 * transport_start_all() - start one child per `url = tor` or `url = i2p` proxy.
 * @d: daemon, settings parsed and state dir set up.
 *
 * Return: 0 or a negative errno (a child that cannot be started now is retried).
 */
int transport_start_all(struct daemon *d);

/**
 * transport_stop_all() - stop every managed transport at daemon exit.
 * @d: daemon.
 *
 * SIGTERM to all at once (the stopping ones too), then waits for them on
 * their pidfds for TRANSPORT_STOP_GRACE seconds at most, then SIGKILL and
 * reap: no child is left behind.
 */
void transport_stop_all(struct daemon *d);

/**
 * transport_stop_begin() - stop @t without waiting (transport_stop.c).
 * @d: daemon.
 * @t: a transport already taken out of d->transports.
 *
 * SIGTERM now; @t goes on d->transports_stopping until its pidfd says the
 * child ended (transport_stopped()); transport_stop_tick() sends SIGKILL
 * after TRANSPORT_STOP_GRACE seconds.  Without a child it is closed and
 * handed to loop_defer_free() at once.
 */
void transport_stop_begin(struct daemon *d, struct transport *t);

/**
 * transport_stopped() - a stopping transport's pidfd is readable: reap, free
 * after the batch, start the transport of that name waiting for it.
 * @d: daemon.
 * @t: on d->transports_stopping.
 */
void transport_stopped(struct daemon *d, struct transport *t);

/**
 * transport_stop_tick() - SIGKILL the stopping children whose grace period has passed.
 * @d: daemon.
 * @now: CLOCK_MONOTONIC seconds.
 */
void transport_stop_tick(struct daemon *d, uint64_t now);

/**
 * transport_stopping_find() - the stopping transport of proxy @name.
 * @d: daemon.
 * @name: proxy name.
 *
 * Return: it, or NULL.
 */
struct transport *transport_stopping_find(struct daemon *d, const char *name);

/* Shared by transport.c and transport_stop.c. */
void transport_start(struct daemon *d, struct transport *t);
void transport_drain(struct daemon *d, struct transport *t);
void transport_close_ev(struct daemon *d, struct ev *ev);
int transport_reap(struct daemon *d, struct transport *t, int options, int *status);

/**
 * transport_reload() - converge the transports to d->settings after a reload:
 * stop (and remove the generated config of) those whose proxy is gone, restart
 * those whose kind, tor-config / i2p-config file or that file's content
 * changed, start the new ones; one log line each.  A restarted one starts
 * once the old child has ended (transport_stop_begin()).
 * @d: daemon, new Settings in place, before the subjects are re-applied.
 *
 * Return: 0 or a negative errno.
 */
int transport_reload(struct daemon *d);

/**
 * transport_reload_needed() - would transport_reload() to @next change anything?
 * @d: daemon.
 * @next: the new Settings.
 *
 * Return: true when a transport would be started, stopped or restarted.
 */
bool transport_reload_needed(struct daemon *d, const struct settings *next);

/**
 * transport_find() - the managed transport of proxy @name.
 * @d: daemon.
 * @name: proxy name.
 *
 * Return: it, or NULL.
 */
struct transport *transport_find(struct daemon *d, const char *name);

/**
 * transport_path() - STATE_DIR/PREFIX-NAME/@leaf.
 * @t: transport.
 * @leaf: file below its directory.
 * @buf: output.
 * @len: size of @buf.
 *
 * Return: 0 or -ENAMETOOLONG.
 */
int transport_path(const struct transport *t, const char *leaf, char *buf, size_t len);

/**
 * transport_write_file() - create STATE_DIR/PREFIX-NAME/@leaf (root's, @mode, no symlink).
 * @t: transport.
 * @leaf: file name.
 * @mode: its mode.
 *
 * Return: an open stream, or NULL with errno set.
 */
FILE *transport_write_file(const struct transport *t, const char *leaf, mode_t mode);

/**
 * transport_close_file() - flush and close a file from transport_write_file().
 * @f: the stream.
 *
 * Return: 0 or -EIO when any write failed.
 */
int transport_close_file(FILE *f);

/**
 * transport_set_ready() - a starting child is ready: state running, a fresh backoff.
 * @t: transport.
 */
void transport_set_ready(struct transport *t);

/**
 * transport_feed() - bytes from a child's stdout and stderr: log each whole line.
 * @t: transport; t->line holds a partial line between calls.
 * @buf: the bytes (anything: a child is not trusted to write text).
 * @n: their number.
 *
 * Each line goes to t->ops->log_line() without terminal escapes and with other
 * control bytes as '?'; a line longer than TRANSPORT_LINE_MAX - 1 goes in parts.
 */
void transport_feed(struct transport *t, const char *buf, size_t n);

/**
 * transport_on_event() - a transport's pidfd or log pipe is ready (EV_TOR).
 * @d: daemon.
 * @ev: the fd's ev; ev->owner is its struct transport.
 */
void transport_on_event(struct daemon *d, struct ev *ev);

/**
 * transport_tick() - restart children whose backoff has passed; readiness checks.
 * @d: daemon.
 * @now: CLOCK_MONOTONIC seconds.
 */
void transport_tick(struct daemon *d, uint64_t now);

/**
 * transport_status_json() - the "transports" array of `status --json`.
 * @d: daemon.
 *
 * Return: a new JSON array.
 */
json_object *transport_status_json(struct daemon *d);

/**
 * i2p_socks_addr() - the SOCKS address of managed i2pd @name (127.0.0.1:port).
 * @d: daemon.
 * @name: proxy name.
 * @ss: output.
 * @len: its length.
 *
 * Return: 0, -ENOENT when no managed i2pd has that name or it has no port.
 */
int i2p_socks_addr(struct daemon *d, const char *name, struct sockaddr_storage *ss, socklen_t *len);

#endif
