/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_egress.c - the socket broker of `netnsp run` (src/relay/egress.h).
 *
 *   this process (the relay's side)        forked broker: its own netns (root only)
 *   egress_socket(&eg, ...)  -- socketpair --> egress_serve_one() until EOF
 *
 * The broker runs in a fresh network namespace when the test may create one,
 * so the sockets it hands out are shown to live there (SO_NETNS_COOKIE).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "relay/egress.h"
#include "netns_cookie.h"
#include "tap.h"

static int sockopt(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, SOL_SOCKET, opt, &v, &len) < 0 ? -1 : v;
}

/* The broker: its own netns if allowed (tells the parent by its first byte), then serve. */
static void broker(int fd, int tell)
{
	char own = unshare(CLONE_NEWNET) == 0;
	int r;

	(void)!write(tell, &own, 1);
	close(tell);
	do {
		struct pollfd p = {.fd = fd, .events = POLLIN};

		r = poll(&p, 1, -1) < 0 ? -errno : egress_serve_one(fd);
	} while (r > 0);
	_exit(r == 0 ? 0 : 1);
}

static void check_socket(struct relay_egress *eg, int family, int type, const char *what,
			 uint64_t here, char own)
{
	int fd = egress_socket(eg, family, type | SOCK_NONBLOCK);

	if (!ok(fd >= 0, "%s: a socket comes back", what)) {
		printf("#   %s\n", strerror(-fd));
		return;
	}
	is_int(sockopt(fd, SO_DOMAIN), family, "%s: its family", what);
	is_int(sockopt(fd, SO_TYPE), type, "%s: its type", what);
	ok(fcntl(fd, F_GETFL) & O_NONBLOCK, "%s: non-blocking as asked", what);
	ok(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s: close-on-exec here", what);
	if (own)
		ok(cookie_of(fd) != here && cookie_of(fd) != 0,
		   "%s: made in the broker's namespace, not ours", what);
	close(fd);
}

int main(void)
{
	struct relay_egress eg = {0};
	int sv[2], tp[2], st = 0, fd;
	uint64_t here;
	char own = 0, junk[3] = {1, 2, 3};
	pid_t pid;

	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	here = cookie_of(fd);
	close(fd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe(tp) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		close(tp[0]);
		broker(sv[1], tp[1]);
	}
	close(sv[1]);
	close(tp[1]);
	(void)!read(tp[0], &own, 1);
	close(tp[0]);
	if (!own)
		printf("# no CLONE_NEWNET here: the broker shares our namespace\n");
	eg.fd = sv[0];

	/* Asked ahead: the reply is waiting before the socket is wanted. */
	egress_prime(&eg, AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	{
		struct pollfd p = {.fd = sv[0], .events = POLLIN};

		ok(poll(&p, 1, 5000) == 1 && eg.pending, "egress_prime: the reply waits for us");
	}
	check_socket(&eg, AF_INET, SOCK_STREAM, "AF_INET stream", here, own);
	ok(eg.pending && eg.pend_family == AF_INET, "the next one of that kind is asked ahead");
	/* Another kind than the one asked ahead: that one is dropped, this one made. */
	check_socket(&eg, AF_INET6, SOCK_DGRAM, "AF_INET6 datagram", here, own);
	is_int(egress_socket(&eg, AF_PACKET, SOCK_DGRAM), -EPERM, "AF_PACKET refused");
	is_int(egress_socket(&eg, AF_NETLINK, SOCK_DGRAM), -EPERM, "AF_NETLINK refused");
	is_int(egress_socket(&eg, AF_INET, SOCK_RAW), -EPERM, "raw sockets refused");
	is_int(egress_socket(&eg, AF_UNIX, SOCK_STREAM), -EPERM, "unix sockets refused");
	/* A request of the wrong size gets an error, and the broker goes on. */
	if (send(sv[0], junk, sizeof(junk), 0) == sizeof(junk)) {
		int32_t rep = 0;

		ok(recv(sv[0], &rep, sizeof(rep), 0) == sizeof(rep) && rep == -EPROTO,
		   "a short request: -EPROTO");
	}
	check_socket(&eg, AF_INET, SOCK_DGRAM, "after a bad request", here, own);

	fd = egress_socket(NULL, AF_INET, SOCK_STREAM);
	ok(fd >= 0 && cookie_of(fd) == here, "no broker: the socket is made here");
	if (fd >= 0)
		close(fd);

	close(sv[0]);
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the broker ends cleanly when our end closes");
	eg.fd = sv[0]; /* closed: the call fails instead of hanging */
	ok(egress_socket(&eg, AF_INET, SOCK_STREAM) < 0, "a closed broker: an error, no hang");
	return tap_done();
}
