// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctl_client.c - the client half of the control protocol (ctl.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "ctl.h"
#include "util/macro.h"

int ctl_socket_path(const char *run_dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", run_dir, CTL_SOCKET_NAME);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int ctl_wait(int fd, short events)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, 10000);

	if (r < 0)
		return neg_errno();
	return r == 0 ? -ETIMEDOUT : 0;
}

static int ctl_send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0)
			return neg_errno();
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int ctl_read_all(int fd, char **reply)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	int r;

	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > CTL_MAX_REPLY)
				return -EMSGSIZE;
			nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		r = ctl_wait(fd, POLLIN);
		if (r < 0)
			return r;
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*reply = TAKE_PTR(buf);
	return 0;
}

int ctl_call(const char *run_dir, const char *request, char **reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	int r;

	r = ctl_socket_path(run_dir, sa.sun_path, sizeof(sa.sun_path));
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return neg_errno();
	r = ctl_send_all(fd, request, strlen(request));
	if (r == 0)
		r = ctl_send_all(fd, "\n", 1);
	if (r < 0)
		return r;
	return ctl_read_all(fd, reply);
}
