// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loop.c - the event loop (see loop.h for the ownership rule).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop.h"
#include "util/macro.h"

int loop_init(struct loop *l)
{
	*l = (struct loop){.epfd = epoll_create1(EPOLL_CLOEXEC)};
	return l->epfd < 0 ? neg_errno() : 0;
}

void loop_fini(struct loop *l)
{
	loop_reap(l);
	free(TAKE_PTR(l->deferred));
	l->cap_deferred = 0;
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_add(struct loop *l, struct ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, ev->fd, &e) < 0 ? neg_errno() : 0;
}

int loop_mod(struct loop *l, struct ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, ev->fd, &e) < 0 ? neg_errno() : 0;
}

void loop_del(struct loop *l, struct ev *ev)
{
	if (ev->fd >= 0)
		(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, ev->fd, NULL);
}

void loop_close(struct loop *l, struct ev *ev)
{
	if (ev->fd < 0)
		return;
	loop_del(l, ev);
	close(ev->fd);
	ev->fd = -1;
}

void loop_defer_free(struct loop *l, void *p, loop_free_fn *fn)
{
	if (!p)
		return;
	if (l->n_deferred == l->cap_deferred) {
		size_t cap = l->cap_deferred ? l->cap_deferred * 2 : 16;
		struct loop_deferred *d = realloc(l->deferred, cap * sizeof(*d));

		if (!d)
			return; /* leaking @p is the only safe choice */
		l->deferred = d;
		l->cap_deferred = cap;
	}
	l->deferred[l->n_deferred++] = (struct loop_deferred){.p = p, .fn = fn};
}

int loop_wait(struct loop *l, struct epoll_event *evs, int n, int timeout_ms)
{
	int got = epoll_wait(l->epfd, evs, n, timeout_ms);

	if (got < 0)
		return errno == EINTR ? 0 : neg_errno();
	if (got > 0) { /* read by the main thread for status: one writer, relaxed */
		__atomic_store_n(&l->stats.batches, l->stats.batches + 1, __ATOMIC_RELAXED);
		__atomic_store_n(&l->stats.events, l->stats.events + (uint64_t)got,
				 __ATOMIC_RELAXED);
	}
	return got;
}

void loop_reap(struct loop *l)
{
	/* A destructor may not defer more (loop.h rule 4), so the count is final. */
	for (size_t i = 0; i < l->n_deferred; i++) {
		struct loop_deferred *d = &l->deferred[i];

		if (d->fn)
			d->fn(d->p);
		else
			free(d->p);
	}
	l->n_deferred = 0;
}
