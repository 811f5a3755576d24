/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tor.h - managed transports: a `url = tor` proxy is a Debian tor that the
 * daemon starts, supervises and stops itself.
 *
 * Each runs as a child of the daemon (fork + exec, no shell) in the daemon's
 * namespace, with a generated torrc in STATE_DIR/tor-NAME/ (root's, 0711)
 * and its data in data/ below (0700, owned by debian-tor, the user tor
 * switches to once its sockets are open): SocksPort and ControlPort are unix
 * sockets there, so only root and tor reach them, and the control port
 * uses cookie authentication.
 * Its stdout and stderr go to the daemon's log, prefixed "tor 'NAME': ";
 * bootstrap progress is read from its "Bootstrapped N%" log lines (no
 * request on the loop).  If it dies it is started again after a backoff of
 * 1, 2, 4 ... 60 s; __OwningControllerProcess makes it exit if the daemon
 * dies without stopping it.
 */
#ifndef NETNSP_TOR_H
#define NETNSP_TOR_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "relay/loop.h"

struct daemon;

#define TOR_LINE_MAX 1024

enum tor_state { TOR_STOPPED = 0, TOR_RUNNING, TOR_BACKOFF, TOR_FAILED };

struct tor_rt {
	char name[64];	  /* the proxy's name */
	char dir[4096];	  /* STATE_DIR/tor-NAME */
	char extra[4096]; /* tor-config file, "" if none */
	pid_t pid;	  /* 0 when not running */
	uid_t uid;	  /* tor's user after startup (debian-tor), 0 if there is none */
	gid_t gid;
	struct ev pidfd;	 /* owned fd: readable when tor exits */
	struct ev out;		 /* owned fd: read end of its stdout + stderr */
	char line[TOR_LINE_MAX]; /* partial log line */
	size_t line_len;
	enum tor_state state;
	int bootstrap;	 /* percent, -1 until the first "Bootstrapped" line */
	char phase[128]; /* text of the last bootstrap line */
	unsigned restarts;
	unsigned backoff; /* seconds before the next start */
	uint64_t restart_at;
};

/**
 * tor_start_all() - start one tor per `url = tor` proxy.
 * @d: daemon, settings parsed and state dir set up.
 *
 * Return: 0 or a negative errno (a tor that cannot be started now is retried).
 */
int tor_start_all(struct daemon *d);

/**
 * tor_stop_all() - stop every managed tor (SIGTERM, then SIGKILL after 3 s) and reap it.
 * @d: daemon.
 */
void tor_stop_all(struct daemon *d);

/**
 * tor_socks_path() - the SocksPort unix socket of managed tor @name.
 * @d: daemon.
 * @name: proxy name.
 * @buf: output.
 * @len: size of @buf.
 *
 * Return: 0, -ENOENT when no managed tor has that name, -ENAMETOOLONG.
 */
int tor_socks_path(struct daemon *d, const char *name, char *buf, size_t len);

/**
 * tor_on_event() - an EV_TOR fd is ready (exit, log output, control reply).
 * @d: daemon.
 * @ev: the fd's ev; ev->owner is its struct tor_rt.
 */
void tor_on_event(struct daemon *d, struct ev *ev);

/**
 * tor_tick() - restart tors whose backoff has passed.
 * @d: daemon.
 * @now: CLOCK_MONOTONIC seconds.
 */
void tor_tick(struct daemon *d, uint64_t now);

/**
 * tor_status_json() - the "transports" array of `status --json`.
 * @d: daemon.
 *
 * Return: a new JSON array.
 */
json_object *tor_status_json(struct daemon *d);

/**
 * tor_find() - the managed tor of proxy @name.
 * @d: daemon.
 * @name: proxy name.
 *
 * Return: it, or NULL.
 */
struct tor_rt *tor_find(struct daemon *d, const char *name);

/*
 * One exchange with a control port (tor_ctl.c): AUTHENTICATE, SIGNAL NEWNYM,
 * QUIT, written once the non-blocking connect completes; tor's replies are
 * logged as they come.  Freed after the event batch (tor_ctl_reap()).
 */
struct tor_ctl {
	struct ev ev;	/* owned fd (-1 once closed); tag EV_TOR_CTL, owner this */
	char label[96]; /* "tor 'NAME'" or "proxy 'NAME'", for the log */
	char out[256];	/* the request */
	size_t out_len, out_off;
	uint64_t deadline;    /* CLOCK_MONOTONIC seconds */
	struct tor_ctl *next; /* daemon.tor_ctls */
};

/**
 * tor_ctl_on_event() - progress a control exchange (EV_TOR_CTL).
 * @d: daemon.
 * @ev: its ev.
 * @events: epoll events.
 */
void tor_ctl_on_event(struct daemon *d, struct ev *ev, uint32_t events);

/**
 * tor_ctl_tick() - close control exchanges that took longer than 10 s.
 * @d: daemon.
 * @now: CLOCK_MONOTONIC seconds.
 */
void tor_ctl_tick(struct daemon *d, uint64_t now);

/**
 * tor_ctl_reap() - free the closed control exchanges; with @all, close and free every one.
 * @d: daemon.
 * @all: at exit.
 */
void tor_ctl_reap(struct daemon *d, bool all);

/**
 * tor_newnym() - ask the Tor behind a profile's chain for new circuits.
 * @d: daemon.
 * @profile: profile name.
 * @err: reason on failure.
 * @errlen: size of @err.
 *
 * The Tor is the managed one at hop 0, or the first hop with tor-control
 * set.  A struct tor_ctl carries the exchange; nothing waits on the loop.
 *
 * Return: 0 (sent) or a negative errno with @err set.
 */
int tor_newnym(struct daemon *d, const char *profile, char *err, size_t errlen);

#endif
