/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns_cookie.h - which network namespace a socket was made in, for the
 * unit tests: SO_NETNS_COOKIE (socket(7), Linux 5.14) is unique for the
 * life of the system, where an nsfs inode number may be reused.
 */
#ifndef NETNSP_NETNS_COOKIE_H
#define NETNSP_NETNS_COOKIE_H

#include <stdint.h>
#include <sys/socket.h>

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* The cookie of @fd's namespace, 0 if the kernel cannot tell. */
static inline uint64_t cookie_of(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &len) < 0)
		return 0;
	return c;
}

#endif
