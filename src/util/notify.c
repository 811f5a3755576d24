// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * notify.c - sd_notify(3)'s wire protocol in one datagram (see notify.h).
 *
 * The address is a sockaddr_un: a path, or after '@' an abstract name whose
 * first byte is NUL and whose length is given exactly (unix(7)).  The
 * datagram carries no fds and no credentials beyond what the kernel adds;
 * systemd reads the sender's pid from SCM_CREDENTIALS itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "macro.h"
#include "notify.h"
#include "util/monotime.h"

static int notify_addr(const char *addr, struct sockaddr_un *sun, socklen_t *len)
{
	size_t n = strlen(addr);

	if ((addr[0] != '/' && addr[0] != '@') || n < 2 || n >= sizeof(sun->sun_path))
		return -EINVAL;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, addr, n);
	if (addr[0] == '@')
		sun->sun_path[0] = '\0';
	/* A path counts its NUL; an abstract name is exactly its bytes. */
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (addr[0] == '/'));
	return 0;
}

int notify_send_to(const char *addr, const char *msg)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_un sun;
	socklen_t len;
	int r;

	if (!addr || !*addr)
		return 0;
	r = notify_addr(addr, &sun, &len);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sun, len) < 0)
		return neg_errno();
	return 0;
}

int notify_send(const char *msg)
{
	return notify_send_to(getenv("NOTIFY_SOCKET"), msg);
}

void notify_monotonic_usec(char *buf, size_t len)
{
	snprintf(buf, len, "MONOTONIC_USEC=%llu", (unsigned long long)mono_usec());
}
