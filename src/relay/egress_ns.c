// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * egress_ns.c - the daemon's egress namespaces (egress.h): one broker thread
 * per name keeps pools of sockets made inside it; connections that find a
 * pool empty queue and are served when the broker wakes the event loop.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "egress.h"
#include "netns/netns.h"
#include "util/macro.h"
#include "util/parse.h"

/* Pools: AF_INET and AF_INET6, each SOCK_STREAM and SOCK_DGRAM, all non-blocking. */
#define EGRESS_KINDS 4

struct egress_ns {
	struct egress_ns *next; /* in set->head */
	struct egress_set *set; /* not owned */
	unsigned int refs;	/* chains and queued waiters holding it */
	char name[40];		/* as in /run/netns */
	char path[64];		/* /run/netns/NAME */
	int nsfd;		/* owned: the namespace held, -1 while the name is gone */
	dev_t dev;		/* of @nsfd: the name still means it while stat(@path) */
	ino_t ino;		/* says the same (a held namespace's inode is never reused) */
	bool reported_up;	/* the state egress_set_tick() last reported */
	bool running;		/* @thread was started and is not joined yet */
	pthread_t thread;	/* the broker, inside @nsfd's namespace */
	struct egress_waiter *qhead, *qtail; /* main thread only: first come first served */
	unsigned int waiting;		     /* main thread only: queued waiters */
	unsigned long long queued;	     /* main thread only: waiters ever queued */
	int evfd;			     /* not owned: the set's eventfd, -1 without one */
	unsigned int cap;		     /* sockets kept per pool */
	pthread_mutex_t mu;		     /* guards what follows, shared with the broker */
	pthread_cond_t wake;		     /* broker: a pool wants sockets, or stop */
	bool stop;			     /* the broker is to end */
	bool alive;			     /* the broker is in the namespace, making sockets */
	bool ended;	   /* the broker has returned (setns failed): no socket will come from it */
	bool notify;	   /* waiters are queued: wake the loop for each socket pooled */
	int berr;	   /* the broker's last error (setns, socket), 0 = none */
	unsigned int want; /* 1u << kind: pools kept stocked */
	int pool[EGRESS_KINDS][EGRESS_POOL]; /* owned: ready sockets */
	unsigned int n[EGRESS_KINDS];
};

static const int egress_fam[2] = {AF_INET, AF_INET6};

/* The pool of (@family, @type), or -1 for what is not pooled. */
static int egress_kind(int family, int type)
{
	int f = family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;

	if (f < 0)
		return -1;
	if (type == (SOCK_STREAM | SOCK_NONBLOCK))
		return f * 2;
	if (type == (SOCK_DGRAM | SOCK_NONBLOCK))
		return f * 2 + 1;
	return -1;
}

static int egress_kind_socket(int k)
{
	return socket(egress_fam[k / 2],
		      ((k & 1) ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* Tell the loop (EV_EGRESS) that waiters may be served. */
static void egress_kick(const struct egress_ns *e)
{
	uint64_t one = 1;

	if (e->evfd >= 0)
		(void)!write(e->evfd, &one, sizeof(one));
}

/* Under @e->mu: a wanted pool that is not full, or -1. */
static int egress_needy(const struct egress_ns *e)
{
	for (int k = 0; k < EGRESS_KINDS; k++)
		if ((e->want & (1u << k)) && e->n[k] < e->cap)
			return k;
	return -1;
}

/* The broker thread: enter the namespace once, then keep the pools full. */
static void *egress_broker(void *arg)
{
	struct egress_ns *e = arg;
	/* @e->nsfd is set before the thread starts and closed only after it is joined. */
	int err = setns(e->nsfd, CLONE_NEWNET) < 0 ? neg_errno() : 0;

	pthread_mutex_lock(&e->mu);
	e->berr = err;
	e->alive = err == 0;
	while (e->alive && !e->stop) {
		int k = egress_needy(e), fd;

		if (k < 0 || e->berr) {
			pthread_cond_wait(&e->wake, &e->mu);
			continue;
		}
		pthread_mutex_unlock(&e->mu);
		fd = egress_kind_socket(k);
		err = fd < 0 ? neg_errno() : 0;
		pthread_mutex_lock(&e->mu);
		if (fd >= 0)
			e->pool[k][e->n[k]++] = fd; /* only the broker adds: there is room */
		else
			e->berr = err; /* e.g. EMFILE: the waiters are told; retried when asked */
		if (e->notify)
			egress_kick(e);
	}
	e->alive = false;
	e->ended = true;
	if (e->notify)
		egress_kick(e); /* setns failed: the waiters are told */
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* Stop and join the broker, close the pools and the namespace: nothing of it is held. */
static void egress_ns_release(struct egress_ns *e)
{
	if (e->running) {
		pthread_mutex_lock(&e->mu);
		e->stop = true;
		pthread_cond_signal(&e->wake);
		pthread_mutex_unlock(&e->mu);
		pthread_join(e->thread, NULL);
		e->running = false;
	}
	/* No other thread now: no lock needed. */
	for (int k = 0; k < EGRESS_KINDS; k++)
		while (e->n[k] > 0)
			close(e->pool[k][--e->n[k]]);
	e->stop = false;
	e->alive = false;
	e->ended = false;
	e->berr = 0;
	if (e->nsfd >= 0)
		close(e->nsfd);
	e->nsfd = -1;
	if (e->qhead)
		egress_kick(e); /* the queued are refused (or served by a namespace made afresh) */
}

/* Open the name and start its broker (without one, sockets are made as netns_socket() does). */
static int egress_ns_open(struct egress_ns *e)
{
	struct stat st;
	int fd = netns_open_named(e->name);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0) {
		int r = neg_errno();

		close(fd);
		return r;
	}
	e->nsfd = fd;
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	e->want |= 1u << 0; /* IPv4 TCP ready before the first connection; others once asked for */
	e->running = pthread_create(&e->thread, NULL, egress_broker, e) == 0;
	return 0;
}

/*
 * Make sure @e holds the namespace its name means now: released when the name
 * is gone or means another one (then opened afresh).  Return: 0 or -errno.
 */
static int egress_ns_hold(struct egress_ns *e)
{
	struct stat st;

	if (stat(e->path, &st) < 0) {
		int r = neg_errno();

		egress_ns_release(e);
		return r;
	}
	if (e->nsfd >= 0 && st.st_dev == e->dev && st.st_ino == e->ino)
		return 0;
	egress_ns_release(e);
	return egress_ns_open(e);
}

int egress_set_init(struct egress_set *set, struct loop *l)
{
	const char *env = getenv("NETNSP_EGRESS_POOL");
	int fd, r;

	set->pool = EGRESS_POOL;
	if (env && atoi(env) >= 1 && atoi(env) <= EGRESS_POOL)
		set->pool = (unsigned int)atoi(env);
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	set->ready = (struct ev){.tag = EV_EGRESS, .fd = fd, .owner = set};
	r = loop_add(l, &set->ready, EPOLLIN);
	if (r < 0) {
		close(fd);
		set->ready.fd = -1;
	}
	return r;
}

void egress_set_close(struct egress_set *set, struct loop *l)
{
	if (set->ready.tag == EV_EGRESS)
		loop_close(l, &set->ready);
}

int egress_ns_get(struct egress_set *set, const char *name, struct egress_ns **out)
{
	struct egress_ns *e;

	for (e = set->head; e; e = e->next)
		if (strcmp(e->name, name) == 0) {
			e->refs++;
			*out = e;
			return 0;
		}
	if (strlen(name) >= sizeof(e->name) || !name_valid(name))
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->path, sizeof(e->path), "%s/%s", NETNS_RUN_DIR, name);
	e->nsfd = -1;
	e->refs = 1;
	e->set = set;
	/* Zeroed and never initialised (unit tests): no eventfd, no queue. */
	e->evfd = set->ready.tag == EV_EGRESS ? set->ready.fd : -1;
	e->cap = set->pool ? set->pool : EGRESS_POOL;
	e->reported_up = true; /* so that a name missing from the start is reported once */
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->wake, NULL);
	(void)egress_ns_open(e); /* a missing name is tried again at each use */
	e->next = set->head;
	set->head = e;
	*out = e;
	return 0;
}

void egress_ns_put(struct egress_ns *e)
{
	struct egress_ns **pp;

	if (!e || --e->refs > 0)
		return;
	for (pp = &e->set->head; *pp; pp = &(*pp)->next)
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	egress_ns_release(e);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static void egress_enqueue(struct egress_ns *e, struct egress_waiter *w, int family, int type)
{
	w->ns = e;
	w->family = family;
	w->type = type;
	w->next = NULL;
	w->prev = e->qtail;
	if (e->qtail)
		e->qtail->next = w;
	else
		e->qhead = w;
	e->qtail = w;
	e->waiting++;
	e->queued++;
	e->refs++;
}

/* Take @w out of its queue; the caller drops the reference it held. */
static void egress_dequeue(struct egress_ns *e, struct egress_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		e->qhead = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		e->qtail = w->prev;
	w->prev = w->next = NULL;
	w->ns = NULL;
	e->waiting--;
}

void egress_wait_cancel(struct egress_waiter *w)
{
	struct egress_ns *e = w->ns;

	if (!e)
		return;
	egress_dequeue(e, w);
	if (!e->qhead) {
		pthread_mutex_lock(&e->mu);
		e->notify = false;
		pthread_mutex_unlock(&e->mu);
	}
	egress_ns_put(e);
}

/*
 * Under @e->mu: a pooled socket of kind @k for a new request, -EINPROGRESS
 * when it must queue (empty pool, or others queued before it), or the
 * broker's error (told once; the broker tries again when asked).  Without a
 * queue (@can_queue false) -EINPROGRESS means: make it with a helper thread.
 */
static int egress_pool_take(struct egress_ns *e, int k, bool can_queue)
{
	int fd = -EINPROGRESS;

	if (e->ended)
		return -ECHILD; /* no broker: made by a helper thread, which tells the error */
	e->want |= 1u << k;
	if (!e->qhead && e->n[k] > 0) {
		fd = e->pool[k][--e->n[k]];
	} else if (e->berr && !e->qhead) {
		fd = e->berr;
		e->berr = 0;
	} else if (e->berr) {
		egress_kick(e); /* queued behind others, who are told the error at once */
	}
	/* Refill at half: one wakeup of the broker per half a pool of connections. */
	if (e->n[k] <= e->cap / 2)
		pthread_cond_signal(&e->wake);
	if (fd == -EINPROGRESS && can_queue)
		e->notify = true;
	return fd;
}

int egress_ns_take(struct egress_ns *e, int family, int type, struct egress_waiter *w)
{
	int k = egress_kind(family, type), fd = -EINPROGRESS;
	int r = egress_ns_hold(e);
	bool can_queue = w && e->evfd >= 0;

	if (r < 0)
		return r;
	if (k >= 0 && e->running) {
		pthread_mutex_lock(&e->mu);
		fd = egress_pool_take(e, k, can_queue);
		pthread_mutex_unlock(&e->mu);
		if (fd == -EINPROGRESS && can_queue) {
			egress_enqueue(e, w, family, type);
			return fd;
		}
	}
	if (fd == -EINPROGRESS || fd == -ECHILD)
		fd = netns_socket(e->nsfd, family, type, 0);
	return fd;
}

int egress_ns_socket(struct egress_ns *e, int family, int type)
{
	return egress_ns_take(e, family, type, NULL);
}

/*
 * Under @e->mu: take from the queue, in order, every waiter that can be
 * answered now (with a socket, or with @err / the broker's error) onto
 * @done, each with its answer in ->type.  Stops at the first that must
 * wait on: no one overtakes.
 */
static void egress_collect(struct egress_ns *e, int err, struct egress_waiter **done)
{
	struct egress_waiter **tail = done;

	while (e->qhead) {
		struct egress_waiter *w = e->qhead;
		int k = egress_kind(w->family, w->type), res;

		if (err < 0)
			res = err;
		else if (k >= 0 && e->n[k] > 0)
			res = e->pool[k][--e->n[k]];
		else if (e->berr)
			res = e->berr;
		else if (!e->running || e->ended)
			res = netns_socket(e->nsfd, w->family, w->type, 0);
		else
			break;
		egress_dequeue(e, w);
		w->type = res;
		*tail = w;
		tail = &w->next;
	}
	*tail = NULL;
	e->berr = 0;
	e->notify = e->qhead != NULL;
	if (egress_needy(e) >= 0)
		pthread_cond_signal(&e->wake);
}

/* Serve @e's queue; @e is held by the caller. */
static void egress_ns_serve(struct egress_ns *e, egress_ready_fn *fn, void *arg)
{
	struct egress_waiter *done = NULL, *w;
	int r = egress_ns_hold(e);

	/* A broker just started (namespace made afresh) has not entered it yet: wait for it. */
	if (r == 0 && e->running) {
		pthread_mutex_lock(&e->mu);
		if (e->alive || e->ended || e->berr || !e->qhead)
			egress_collect(e, 0, &done);
		else
			e->notify = true;
		pthread_mutex_unlock(&e->mu);
	} else {
		egress_collect(e, r, &done); /* no broker: no other thread */
	}
	while ((w = done)) {
		int res = w->type;

		done = w->next;
		w->next = NULL;
		e->refs--; /* the waiter's; the caller's keeps @e */
		fn(arg, w, res);
	}
}

void egress_set_on_event(struct egress_set *set, egress_ready_fn *fn, void *arg)
{
	uint64_t v;
	struct egress_ns *e, *next;

	(void)!read(set->ready.fd, &v, sizeof(v));
	for (e = set->head; e; e = next) {
		if (!e->qhead) {
			next = e->next;
			continue;
		}
		e->refs++;
		egress_ns_serve(e, fn, arg);
		next = e->next;
		egress_ns_put(e);
	}
}

void egress_set_tick(struct egress_set *set, egress_note_fn *note)
{
	for (struct egress_ns *e = set->head; e; e = e->next) {
		int r = egress_ns_hold(e);

		if ((r == 0) != e->reported_up) {
			e->reported_up = r == 0;
			note(e->name, r);
		}
	}
}

void egress_set_each(struct egress_set *set, void (*fn)(void *arg, const struct egress_info *info),
		     void *arg)
{
	for (struct egress_ns *e = set->head; e; e = e->next) {
		bool up = egress_ns_hold(e) == 0;
		struct egress_info info = {
			.name = e->name,
			.present = up,
			.dev = up ? (unsigned long long)e->dev : 0,
			.ino = up ? (unsigned long long)e->ino : 0,
			.waiting = e->waiting,
			.queued = e->queued,
		};

		fn(arg, &info);
	}
}
