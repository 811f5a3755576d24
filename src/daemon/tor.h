/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tor.h - a managed tor (`url = tor`; its supervision is transport.h's).
 *
 * Its torrc is STATE_DIR/tor-NAME/torrc and its data in data/ below, owned
 * by debian-tor, the user tor switches to once its sockets are open:
 * SocksPort and ControlPort are unix sockets there, so only root and tor
 * reach them, and the control port uses cookie authentication.  Bootstrap
 * progress is read from its "Bootstrapped N%" log lines;
 * __OwningControllerProcess makes it exit if the daemon dies without
 * stopping it.
 */
#ifndef NETNSP_TOR_H
#define NETNSP_TOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/loop.h"

struct daemon;

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

/*
 * One exchange with a control port (tor_ctl.c): AUTHENTICATE, SIGNAL NEWNYM,
 * QUIT, written once the non-blocking connect completes; tor's replies are
 * logged as they come.  Ended by ctl_close(): freed after the event batch (relay/loop.h).
 */
struct tor_ctl {
	struct ev ev;	/* owned fd; tag EV_TOR_CTL, owner this */
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
 * tor_ctl_close_all() - end every control exchange (at exit).
 * @d: daemon.
 */
void tor_ctl_close_all(struct daemon *d);

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
