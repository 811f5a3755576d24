/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * loop.h - one event loop: an epoll fd, the deferred-free list and the
 * loop's own counters, in a struct loop that every caller is handed (no
 * loop state in globals, so that each thread can run a loop of its own).
 *
 * Every registered fd carries a struct ev whose tag says what it is; the
 * owner of the loop dispatches on the tag (one switch, no callbacks hidden
 * in data; docs/DESIGN.md "The event loop").
 *
 * The ownership rule, inside and between batches of events:
 *
 *  1. An object that holds a struct ev owns the ev's fd.  To end it, its
 *     owner calls loop_del(), closes the fd and sets ev->fd to -1, in that
 *     order, and from then on never touches the fd again.
 *  2. The memory of such an object is never freed directly: it is handed
 *     to loop_defer_free() with its destructor.  epoll_wait() returns a
 *     batch of events; one that comes later in the batch may point into an
 *     object ended earlier in it.  loop_reap(), run by the loop's owner
 *     after the last event of each batch (and never by anything else),
 *     calls the destructors in the order they were deferred.
 *  3. The dispatcher skips an event whose ev->fd is -1 (the object ended
 *     earlier in the batch): no handler needs its own "dead" check.
 *  4. A destructor frees memory only: it closes no fd and touches no other
 *     object (everything else was released when the object ended, rule 1).
 *  5. An object belongs to exactly one loop, the one its fds are in.  Only
 *     the thread running that loop ends it, registers its fds or defers
 *     its memory; another thread asks it to (docs/DESIGN.md "Workers").
 */
#ifndef NETNSP_LOOP_H
#define NETNSP_LOOP_H

#include <stddef.h>
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
	EV_DNS,	       /* the subject's resolver (resolver.c): owner is a struct dns_ev */
	EV_UDP,	       /* the UDP relay (udp.c): owner is the UDP relay's own struct */
	EV_CHILD,      /* pidfd of `netnsp run`'s command: readable when it exits */
	EV_TOR,	       /* a managed tor's pidfd or log pipe: owner is its tor_rt */
	EV_TOR_CTL,    /* a control-port exchange (newnym): owner is its struct tor_ctl */
	EV_WORKER,     /* a worker thread's command pipe (worker.c): owner is the worker */
	EV_EGRESS,     /* eventfd of the egress namespaces (egress.h): owner is the set */
};

struct ev {
	enum ev_tag tag;
	int fd;	     /* not owned: the owner of the struct closes it; -1 once ended */
	void *owner; /* not owned: what the fd belongs to (listener: its relay_subject;
		      * pidfd: its subject), NULL where the tag says it all */
};

/* Frees one deferred object (rule 4: memory only). */
typedef void loop_free_fn(void *p);

struct loop_deferred {
	void *p;
	loop_free_fn *fn;
};

/* Counters of one loop, written by its thread only; read with relaxed atomics (status). */
struct loop_stats {
	uint64_t batches; /* epoll_wait() calls that returned events */
	uint64_t events;  /* events dispatched */
};

struct loop {
	int epfd;			/* owned */
	struct loop_deferred *deferred; /* owned array: freed by loop_reap() */
	size_t n_deferred, cap_deferred;
	struct loop_stats stats;
};

/**
 * loop_init() - create the epoll fd of @l; the rest starts empty.
 * @l: loop.
 *
 * Return: 0 or a negative errno (then @l->epfd is -1).
 */
int loop_init(struct loop *l);

/**
 * loop_fini() - run every deferred destructor, close the epoll fd.
 * @l: loop; accepts one never initialised beyond { .epfd = -1 }.
 */
void loop_fini(struct loop *l);

/**
 * loop_add() - register @ev->fd with @events; epoll data points at @ev.
 * @l: loop.
 * @ev: tagged fd; must stay valid while registered.
 * @events: EPOLLIN | EPOLLOUT | EPOLLET ...
 *
 * Return: 0 or a negative errno.
 */
int loop_add(struct loop *l, struct ev *ev, uint32_t events);

/**
 * loop_mod() - change the events of a registered @ev.
 * @l: loop.
 * @ev: tagged fd.
 * @events: new events.
 *
 * Return: 0 or a negative errno.
 */
int loop_mod(struct loop *l, struct ev *ev, uint32_t events);

/**
 * loop_del() - unregister @ev (before closing its fd); a no-op when @ev->fd is -1.
 * @l: loop.
 * @ev: tagged fd.
 */
void loop_del(struct loop *l, struct ev *ev);

/**
 * loop_close() - loop_del(), close and set @ev->fd to -1 (rule 1); a no-op when closed.
 * @l: loop.
 * @ev: tagged fd.
 */
void loop_close(struct loop *l, struct ev *ev);

/**
 * loop_defer_free() - free @p with @fn at the next loop_reap() (rule 2).
 * @l: loop.
 * @p: the object; NULL is ignored.
 * @fn: its destructor; NULL for free().
 *
 * Out of memory to remember it, @p is leaked: freeing it now could be a
 * use after free later in the batch.
 */
void loop_defer_free(struct loop *l, void *p, loop_free_fn *fn);

/**
 * loop_wait() - epoll_wait() on @l, counted in @l->stats.
 * @l: loop.
 * @evs: room for events.
 * @n: size of @evs.
 * @timeout_ms: as for epoll_wait().
 *
 * Return: the number of events (0 on EINTR or timeout) or a negative errno.
 */
int loop_wait(struct loop *l, struct epoll_event *evs, int n, int timeout_ms);

/**
 * loop_live() - should the event whose data is @ev be dispatched? (rule 3)
 * @ev: from epoll data.
 *
 * Return: false once @ev's object ended earlier in the batch.
 */
static inline int loop_live(const struct ev *ev)
{
	return ev->fd >= 0;
}

/**
 * loop_reap() - after a batch: run the destructors deferred during it, in order.
 * @l: loop.
 */
void loop_reap(struct loop *l);

#endif
