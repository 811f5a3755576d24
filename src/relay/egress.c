// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * egress.c - sockets made in another network namespace (egress.h): the
 * socket broker of `netnsp run`, and the daemon's egress namespaces.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "egress.h"
#include "netns/netns.h"
#include "util/macro.h"
#include "util/parse.h"

struct egress_req {
	int32_t family;
	int32_t type;
};

struct egress_rep {
	int32_t err; /* 0: the fd rides along; else a negative errno */
};

static int egress_recv_fd(int fd, struct egress_rep *rep)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = rep, .iov_len = sizeof(*rep)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t n;
	int got = -1;

	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return neg_errno();
	if (n != sizeof(*rep))
		return -EPROTO;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&got, CMSG_DATA(c), sizeof(int));
	if (rep->err < 0) {
		if (got >= 0)
			close(got);
		return rep->err;
	}
	return got >= 0 ? got : -EPROTO;
}

static int egress_ask(struct relay_egress *eg, int family, int type)
{
	struct egress_req req = {.family = family, .type = type};

	if (send(eg->fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return -EPIPE;
	return 0;
}

void egress_prime(struct relay_egress *eg, int family, int type)
{
	if (eg->pending || egress_ask(eg, family, type) < 0)
		return;
	eg->pending = true;
	eg->pend_family = family;
	eg->pend_type = type;
}

int egress_socket(struct relay_egress *eg, int family, int type)
{
	struct egress_rep rep = {0};
	int fd = -EAGAIN;

	if (!eg) {
		fd = socket(family, type | SOCK_CLOEXEC, 0);
		return fd < 0 ? neg_errno() : fd;
	}
	if (eg->pending) {
		eg->pending = false;
		fd = egress_recv_fd(eg->fd, &rep);
		if (fd >= 0 && (eg->pend_family != family || eg->pend_type != type)) {
			close(fd);
			fd = -EAGAIN;
		}
	}
	if (fd == -EAGAIN) {
		fd = egress_ask(eg, family, type);
		if (fd == 0)
			fd = egress_recv_fd(eg->fd, &rep);
	}
	if (fd >= 0)
		egress_prime(eg, family, type);
	return fd;
}

static int egress_reply(int fd, int err, int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct egress_rep rep = {.err = err};
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (sock >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sock, sizeof(int));
	}
	if (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		return errno == EPIPE || errno == ECONNRESET ? 0 : neg_errno(); /* the peer left */
	return 1;
}

int egress_serve_one(int fd)
{
	struct egress_req req;
	_cleanup_close_ int sock = -1;
	int type;
	ssize_t n;

	n = recv(fd, &req, sizeof(req), MSG_DONTWAIT);
	/* ECONNRESET: the peer closed with a reply of ours unread (one asked ahead). */
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : neg_errno();
	if (n != sizeof(req))
		return egress_reply(fd, -EPROTO, -1);
	type = req.type & ~SOCK_NONBLOCK;
	/* Only what the relay dials with: never raw, netlink or packet sockets. */
	if ((req.family != AF_INET && req.family != AF_INET6) ||
	    (type != SOCK_STREAM && type != SOCK_DGRAM))
		return egress_reply(fd, -EPERM, -1);
	sock = socket(req.family, req.type | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return egress_reply(fd, neg_errno(), -1);
	return egress_reply(fd, 0, sock);
}

/* ---- the daemon's egress namespaces ---- */

struct egress_ns {
	struct egress_ns *next;	  /* in set->head */
	struct egress_set *set;	  /* not owned */
	unsigned int refs;	  /* chains holding it */
	char name[40];		  /* as in /run/netns */
	char path[64];		  /* /run/netns/NAME */
	int nsfd;		  /* owned: the namespace held, -1 while the name is gone */
	dev_t dev;		  /* of @nsfd: the name still means it while stat(@path) */
	ino_t ino;		  /* says the same (a held namespace's inode is never reused) */
	bool reported_up;	  /* the state egress_set_tick() last reported */
	bool running;		  /* @thread was started and is not joined yet */
	pthread_t thread;	  /* the broker, inside @nsfd's namespace */
	pthread_mutex_t mu;	  /* guards what follows, shared with the broker */
	pthread_cond_t wake;	  /* broker: the pool wants sockets, or stop */
	pthread_cond_t ready;	  /* relay: a socket was pooled, or the broker failed or ended */
	bool stop;		  /* the broker is to end */
	bool alive;		  /* the broker is in the namespace, making sockets */
	int berr;		  /* the broker's last error (setns, socket), 0 = none */
	unsigned int want;	  /* 1u << egress_fam index: families kept stocked */
	int pool[2][EGRESS_POOL]; /* owned: ready sockets, AF_INET and AF_INET6 */
	unsigned int n[2];
};

static const int egress_fam[2] = {AF_INET, AF_INET6};
/* What the pool holds: the sockets relay_chain_connect() asks for. */
#define EGRESS_TYPE (SOCK_STREAM | SOCK_NONBLOCK)

static int egress_fam_index(int family)
{
	return family == AF_INET ? 0 : family == AF_INET6 ? 1 : -1;
}

/* Under @e->mu: a wanted family whose pool is not full, or -1. */
static int egress_needy(const struct egress_ns *e)
{
	for (int f = 0; f < 2; f++)
		if ((e->want & (1u << f)) && e->n[f] < EGRESS_POOL)
			return f;
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
		int f = egress_needy(e), fd;

		if (f < 0 || e->berr) {
			pthread_cond_wait(&e->wake, &e->mu);
			continue;
		}
		pthread_mutex_unlock(&e->mu);
		fd = socket(egress_fam[f], EGRESS_TYPE | SOCK_CLOEXEC, 0);
		err = fd < 0 ? neg_errno() : 0;
		pthread_mutex_lock(&e->mu);
		if (fd >= 0)
			e->pool[f][e->n[f]++] = fd; /* only the broker adds: there is room */
		else
			e->berr = err; /* e.g. EMFILE: wait until the relay asks again */
		pthread_cond_broadcast(&e->ready);
	}
	e->alive = false;
	pthread_cond_broadcast(&e->ready);
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* Stop and join the broker, close the pool and the namespace: nothing of it is held. */
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
	for (int f = 0; f < 2; f++)
		while (e->n[f] > 0)
			close(e->pool[f][--e->n[f]]);
	e->stop = false;
	e->alive = false;
	e->berr = 0;
	if (e->nsfd >= 0)
		close(e->nsfd);
	e->nsfd = -1;
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
	e->want = 1u << 0; /* IPv4 ready before the first connection; IPv6 once asked for */
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

int egress_ns_get(struct egress_set *set, const char *name, struct egress_ns **out)
{
	pthread_condattr_t ca;
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
	e->reported_up = true; /* so that a name missing from the start is reported once */
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->ready, &ca);
	pthread_condattr_destroy(&ca);
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
	pthread_cond_destroy(&e->ready);
	pthread_cond_destroy(&e->wake);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

/* Under @e->mu: wait up to a second for the broker to pool a socket of family @f. */
static void egress_ns_wait(struct egress_ns *e, int f)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += 1;
	pthread_cond_signal(&e->wake);
	while (e->n[f] == 0 && e->alive && !e->berr)
		if (pthread_cond_timedwait(&e->ready, &e->mu, &until) == ETIMEDOUT)
			break;
}

int egress_ns_socket(struct egress_ns *e, int family, int type)
{
	int f = egress_fam_index(family), fd = -1;
	int r = egress_ns_hold(e);

	if (r < 0)
		return r;
	if (f >= 0 && type == EGRESS_TYPE && e->running) {
		pthread_mutex_lock(&e->mu);
		e->want |= 1u << f;
		if (e->n[f] == 0)
			egress_ns_wait(e, f);
		if (e->n[f] > 0)
			fd = e->pool[f][--e->n[f]];
		/* Refill at half: one wakeup of the broker per EGRESS_POOL / 2 connections. */
		if (e->n[f] <= EGRESS_POOL / 2)
			pthread_cond_signal(&e->wake);
		e->berr = 0; /* told to this caller by the fallback below; the broker may retry */
		pthread_mutex_unlock(&e->mu);
	}
	if (fd < 0)
		fd = netns_socket(e->nsfd, family, type, 0);
	return fd;
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
