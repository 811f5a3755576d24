/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.h - the daemon's single epoll loop: every registered fd carries a
 * struct ev whose tag says what it is, and the daemon dispatches on the tag
 * (one switch, no callbacks hidden in data).
 */
#ifndef NETNSP_LOOP_H
#define NETNSP_LOOP_H

#include <stdint.h>
#include <sys/epoll.h>

enum ev_tag {
	EV_LISTENER,   /* transparent TCP listener inside a subject */
	EV_ENDPOINT,   /* SOCKS5 / HTTP proxy endpoint inside a subject (socks-port, http-port) */
	EV_APP,	       /* accepted app socket */
	EV_UP,	       /* upstream socket towards the first hop */
	EV_CTL_LISTEN, /* control socket */
	EV_CTL_CLIENT, /* one control connection */
	EV_SIGNAL,     /* signalfd */
	EV_TIMER,      /* timerfd: 1 s housekeeping tick */
	EV_PIDFD,      /* pidfd of a Pid subject's process: readable when it exits */
	EV_FLATPAK,    /* inotify fd of the Flatpak instance watcher */
	EV_DNS,	       /* the subject's resolver (dns.c): owner is a struct dns_ev */
	EV_UDP,	       /* the UDP relay (udp.c): owner is the UDP relay's own struct */
	EV_CHILD,      /* pidfd of `netnsp run`'s command: readable when it exits */
	EV_TOR,	       /* a managed tor's pidfd or log pipe: owner is its tor_rt */
	EV_TOR_CTL,    /* a control-port exchange (newnym): owner is its struct tor_ctl */
	EV_EGRESS,     /* eventfd of the egress namespaces (egress.h): owner is the set */
};

struct ev {
	enum ev_tag tag;
	int fd;	     /* not owned: the owner of the struct closes it */
	void *owner; /* not owned: what the fd belongs to (listener: its relay_subject;
		      * pidfd: its subject), NULL where the tag says it all */
};

/**
 * loop_add() - register @ev->fd with @events; epoll data points at @ev.
 * @epfd: epoll fd.
 * @ev: tagged fd; must stay valid while registered.
 * @events: EPOLLIN | EPOLLOUT | EPOLLET ...
 *
 * Return: 0 or a negative errno.
 */
int loop_add(int epfd, struct ev *ev, uint32_t events);

/**
 * loop_mod() - change the events of a registered @ev.
 * @epfd: epoll fd.
 * @ev: tagged fd.
 * @events: new events.
 *
 * Return: 0 or a negative errno.
 */
int loop_mod(int epfd, struct ev *ev, uint32_t events);

/**
 * loop_del() - unregister @ev (before closing its fd).
 * @epfd: epoll fd.
 * @ev: tagged fd.
 */
void loop_del(int epfd, struct ev *ev);

#endif
