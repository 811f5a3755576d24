// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>

#include "loop.h"
#include "util/macro.h"

int loop_add(int epfd, struct ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(epfd, EPOLL_CTL_ADD, ev->fd, &e) < 0 ? neg_errno() : 0;
}

int loop_mod(int epfd, struct ev *ev, uint32_t events)
{
	struct epoll_event e = {.events = events, .data.ptr = ev};

	return epoll_ctl(epfd, EPOLL_CTL_MOD, ev->fd, &e) < 0 ? neg_errno() : 0;
}

void loop_del(int epfd, struct ev *ev)
{
	if (ev->fd >= 0)
		(void)epoll_ctl(epfd, EPOLL_CTL_DEL, ev->fd, NULL);
}
