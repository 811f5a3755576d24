/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * egress.h - sockets of the caller's network namespace, handed out over a
 * unix socketpair (`netnsp run`).
 *
 * An unprivileged `netnsp run` relays from inside the user namespace that
 * owns the subject (only there may it create transparent listeners and
 * per-flow UDP sockets at any time), yet its upstream sockets must live in
 * the caller's namespace.  The parent process stays there and serves one
 * request type: "a socket of (family, type)", answered with the fd
 * (SCM_RIGHTS, unix(7)) or an errno.  Only AF_INET / AF_INET6 stream and
 * datagram sockets are made; the relay then connects them itself.
 */
#ifndef NETNSP_EGRESS_H
#define NETNSP_EGRESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "loop.h"

/*
 * The relay's handle on the broker; a chain without one makes its sockets in
 * place.  One request is kept ahead: after a socket is handed out, the next
 * one of the same kind is asked for at once, so the next connection finds
 * its socket already waiting instead of waking the broker and waiting for
 * it (each wakeup costs milliseconds on a loaded machine).
 */
struct relay_egress {
	int fd;		 /* not owned: our end of the SOCK_SEQPACKET socketpair */
	bool pending;	 /* a request is on its way; its reply is the next message */
	int pend_family; /* what it asked for */
	int pend_type;
};

/**
 * egress_prime() - ask for a socket now, to be taken by the next egress_socket().
 * @eg: broker handle.
 * @family: AF_INET or AF_INET6.
 * @type: as for egress_socket().
 */
void egress_prime(struct relay_egress *eg, int family, int type);

/**
 * egress_socket() - a socket made in the broker's namespace.
 * @eg: broker handle, or NULL for socket(2) here.
 * @family: AF_INET or AF_INET6.
 * @type: SOCK_STREAM or SOCK_DGRAM, optionally | SOCK_NONBLOCK (SOCK_CLOEXEC is implied).
 *
 * The socket asked for ahead (egress_prime(), or the previous call) if it
 * is of this kind, else one blocking round trip on the socketpair; then the
 * next one of this kind is asked for ahead.
 *
 * Return: the fd (close-on-exec) or a negative errno.
 */
int egress_socket(struct relay_egress *eg, int family, int type);

/**
 * egress_serve_one() - answer one request waiting on @fd.
 * @fd: the broker's end of the socketpair.
 *
 * Return: 1 (answered, also with an errno for a refused request), 0 when
 * the peer has closed its end, or a negative errno.
 */
int egress_serve_one(int fd);

/*
 * The daemon's egress namespaces (egress_ns.c): a proxy's `netns = NAME`
 * (url = direct, or a proxy only reachable there).  Each name is held once
 * per daemon, shared by every chain that dials from it: its namespace fd,
 * opened at apply, and one broker thread that entered it once (setns(2))
 * and keeps small pools of non-blocking sockets made there, one per address
 * family and type (TCP for connections, UDP for flows).  Threads share the
 * fd table, so a pooled socket is the relay's at once: taking one costs a
 * stat(2) of /run/netns/NAME (is the name still this namespace?) and a
 * mutex, where opening the name and a thread per connection cost a thread's
 * creation, setns and join.
 *
 * The event loop never waits for the broker: a connection that finds its
 * pool empty is queued (struct egress_waiter, first come first served) and
 * the broker, once it has pooled sockets, wakes the loop through the set's
 * eventfd (EV_EGRESS); egress_set_on_event() then hands them out in queue
 * order.
 *
 * Fail closed: a name that is gone, or that now names another namespace
 * (deleted and made afresh), releases the old one (fd, thread and pool, so a
 * deleted namespace is not kept alive by netnsp) before anything is dialled;
 * a gone name refuses with its errno (queued connections too), a new one is
 * opened and used.
 */
#define EGRESS_POOL 16 /* sockets kept ready per address family and type */

struct egress_ns;

/* The egress namespaces of one daemon (main thread only). */
struct egress_set {
	struct egress_ns *head; /* owned list: each entry lives while chains or waiters hold it */
	struct ev ready;	/* owned fd: eventfd the brokers write when waiters may be served */
	unsigned int pool;	/* sockets kept per pool, 1 .. EGRESS_POOL (0: EGRESS_POOL) */
};

/*
 * One socket asked for while its pool was empty; embedded in what waits (a
 * relay connection).  Queued, it holds a reference on its namespace.
 */
struct egress_waiter {
	struct egress_waiter *prev, *next; /* in the namespace's queue */
	struct egress_ns *ns;		   /* while queued: a reference; NULL otherwise */
	int family;
	int type;
};

/**
 * typedef egress_ready_fn - a queued waiter's socket is ready (or will not come).
 * @arg: as given to egress_set_on_event().
 * @w: the waiter, no longer queued.
 * @fd: the socket (owned by the callee from now on), or a negative errno
 *      (-ENOENT: the namespace is gone).
 */
typedef void egress_ready_fn(void *arg, struct egress_waiter *w, int fd);

/**
 * egress_set_init() - before the first egress_ns_get(): the set's eventfd, in @l.
 * @set: the daemon's set (zeroed).
 * @l: the main loop (never a worker's: relay_subject_spreads() keeps chains
 *     through an egress namespace there); EV_EGRESS events then go to
 *     egress_set_on_event().
 *
 * Pool size: EGRESS_POOL, or NETNSP_EGRESS_POOL (1 .. EGRESS_POOL) from the
 * environment (tests shrink it to make the pool run dry).  Without this call
 * a connection that finds the pool empty gets a socket made by a helper
 * thread (as netns_socket() does) instead of waiting.
 *
 * Return: 0 or a negative errno.
 */
int egress_set_init(struct egress_set *set, struct loop *l);

/**
 * egress_set_close() - close the set's eventfd (after every reference is dropped).
 * @set: the daemon's set.
 * @l: the loop given to egress_set_init().
 */
void egress_set_close(struct egress_set *set, struct loop *l);

/**
 * egress_ns_get() - a reference to the egress namespace @name, held from now on.
 * @set: the daemon's set.
 * @name: a name under /run/netns.
 * @out: receives the reference; release it with egress_ns_put().
 *
 * The first reference opens the namespace and starts its broker; a name
 * that does not exist yet is not an error (its connections are refused
 * until it does).
 *
 * Return: 0, -EINVAL (not a valid name) or -ENOMEM.
 */
int egress_ns_get(struct egress_set *set, const char *name, struct egress_ns **out);

/**
 * egress_ns_put() - drop a reference; the last one stops the broker and closes everything.
 * @e: reference, or NULL.
 */
void egress_ns_put(struct egress_ns *e);

/**
 * egress_ns_take() - a socket made inside the egress namespace, or a place in its queue.
 * @e: reference.
 * @family: AF_INET or AF_INET6.
 * @type: as for socket(2); SOCK_STREAM or SOCK_DGRAM | SOCK_NONBLOCK come from
 *        the pool, anything else is made by a helper thread as netns_socket() does.
 * @w: where to queue when the pool is empty (or others wait already), or
 *     NULL: then a helper thread makes the socket at once.
 *
 * Return: the fd (close-on-exec); -EINPROGRESS: @w is queued and will be
 * given its socket by egress_set_on_event(); or a negative errno: the
 * name's (-ENOENT when the namespace is gone), or socket(2)'s.
 */
int egress_ns_take(struct egress_ns *e, int family, int type, struct egress_waiter *w);

/**
 * egress_ns_socket() - egress_ns_take() without a queue.
 * @e: reference.
 * @family: AF_INET or AF_INET6.
 * @type: as for egress_ns_take().
 *
 * Return: the fd (close-on-exec) or a negative errno.
 */
int egress_ns_socket(struct egress_ns *e, int family, int type);

/**
 * egress_wait_cancel() - leave the queue (the connection ended first); no-op when not queued.
 * @w: the waiter.
 */
void egress_wait_cancel(struct egress_waiter *w);

/**
 * egress_set_on_event() - the set's eventfd is readable (EV_EGRESS): serve the queues.
 * @set: the daemon's set.
 * @fn: told of each waiter served, in queue order per namespace.
 * @arg: passed to @fn.
 *
 * A namespace that is gone (or whose broker failed) fails its waiters with
 * that error; otherwise each waiter whose pool has a socket gets it.
 */
void egress_set_on_event(struct egress_set *set, egress_ready_fn *fn, void *arg);

/**
 * typedef egress_note_fn - told when an egress namespace goes or comes back.
 * @name: its name.
 * @err: 0 (usable again), or why it is not (-ENOENT: gone).
 */
typedef void egress_note_fn(const char *name, int err);

/**
 * egress_set_tick() - check every egress namespace of @set (once a second).
 * @set: the daemon's set.
 * @note: told of each change since the last tick (gone, back), for the log.
 *
 * A vanished namespace is released at once, not at its next connection; a
 * name that is back is opened and its pool filled before it is used.
 */
void egress_set_tick(struct egress_set *set, egress_note_fn *note);

/* What `status` tells of one egress namespace (egress_set_each()). */
struct egress_info {
	const char *name;
	bool present;		     /* the name is held (its namespace exists) */
	unsigned long long dev, ino; /* of the namespace held, 0 when gone */
	unsigned int waiting;	     /* connections queued for a socket now */
	unsigned long long queued;   /* connections that ever had to queue */
};

/**
 * egress_set_each() - call @fn for each egress namespace of @set.
 * @set: the daemon's set.
 * @fn: told of each; @info is valid during the call only.
 * @arg: passed to @fn.
 */
void egress_set_each(struct egress_set *set, void (*fn)(void *arg, const struct egress_info *info),
		     void *arg);

#endif
