// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * connrate - connection-rate and idle-connection helper for bench/run.sh.
 *
 *   connrate server ADDR PORT
 *	epoll echo server: echoes whatever it reads, closes on EOF.  Serves both
 *	the connection-rate clients and the idle connections.
 *   connrate client ADDR PORT SECONDS THREADS
 *	THREADS threads each loop for SECONDS: socket, blocking connect, send 1
 *	byte, receive the 1-byte echo, close.  Prints "conns_per_sec N errors E".
 *	A connection counts only when its echo came back, so a relay that accepts
 *	but never reaches the server does not count.
 *   connrate idle ADDR PORT N
 *	Opens N connections, each proves itself with a 1-byte echo, prints
 *	"ready N" and then holds them until SIGTERM or SIGINT.
 *
 * Blocking connect() matters: proxychains (LD_PRELOAD) hooks connect() and
 * must see an ordinary call, as an application would make.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_storage dst;
static socklen_t dst_len;
static double deadline;
static atomic_long total_ok, total_err;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_addr(const char *a, const char *p)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&dst;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&dst;
	unsigned short port = (unsigned short)strtoul(p, NULL, 10);

	if (inet_pton(AF_INET, a, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		dst_len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, a, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		dst_len = sizeof(*sin6);
		return 0;
	}
	fprintf(stderr, "connrate: bad address '%s'\n", a);
	return -EINVAL;
}

/* One connect / 1-byte echo; returns the connected fd or -errno. */
static int echo_once(void)
{
	char c = 'x';
	int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&dst, dst_len) < 0 || write(fd, &c, 1) != 1 ||
	    read(fd, &c, 1) != 1) {
		int e = errno ? errno : EPIPE;

		close(fd);
		return -e;
	}
	return fd;
}

static void *client_thread(void *arg)
{
	long ok = 0, err = 0;

	(void)arg;
	while (now() < deadline) {
		int fd = echo_once();

		if (fd < 0) {
			err++;
			continue;
		}
		close(fd);
		ok++;
	}
	atomic_fetch_add(&total_ok, ok);
	atomic_fetch_add(&total_err, err);
	return NULL;
}

static int run_client(double seconds, int threads)
{
	pthread_t t[256];
	double start;
	int i;

	if (threads < 1 || threads > 256)
		return 2;
	start = now();
	deadline = start + seconds;
	for (i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, client_thread, NULL) != 0)
			return 1;
	for (i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("conns_per_sec %.1f errors %ld\n", (double)atomic_load(&total_ok) / (now() - start),
	       atomic_load(&total_err));
	return atomic_load(&total_ok) > 0 ? 0 : 1;
}

static void on_stop(int sig)
{
	(void)sig;
}

static int run_idle(long n)
{
	struct sigaction sa = {.sa_handler = on_stop};
	long i;

	for (i = 0; i < n; i++) {
		int fd = echo_once();

		if (fd < 0) {
			fprintf(stderr, "connrate: idle connection %ld: %s\n", i, strerror(-fd));
			return 1;
		}
		/* leaked on purpose: held until exit */
	}
	printf("ready %ld\n", n);
	fflush(stdout);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pause(); /* until SIGTERM/SIGINT; then exit closes every connection */
	return 0;
}

static void serve_event(int ep, int lfd, int fd)
{
	char buf[16384];
	ssize_t n;

	if (fd == lfd) {
		int c;

		while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			struct epoll_event ev = {.events = EPOLLIN, .data.fd = c};

			if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) < 0)
				close(c);
		}
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		/* Best effort: the clients send one byte and wait for it. */
		if (write(fd, buf, (size_t)n) == n)
			return;
	} else if (n < 0 && errno == EAGAIN) {
		return;
	}
	close(fd);
}

static int run_server(void)
{
	struct epoll_event ev = {.events = EPOLLIN}, evs[256];
	int one = 1, lfd, ep, i, n;

	lfd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&dst, dst_len) < 0 || listen(lfd, 4096) < 0) {
		perror("connrate: server");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = lfd;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		return 1;
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		if (n < 0 && errno != EINTR)
			return 1;
		for (i = 0; i < n; i++)
			serve_event(ep, lfd, evs[i].data.fd);
	}
}

int main(int argc, char **argv)
{
	struct rlimit rl = {65536, 65536};

	signal(SIGPIPE, SIG_IGN);
	setrlimit(RLIMIT_NOFILE, &rl);
	if (argc == 4 && !strcmp(argv[1], "server"))
		return parse_addr(argv[2], argv[3]) < 0 ? 2 : run_server();
	if (argc == 6 && !strcmp(argv[1], "client"))
		return parse_addr(argv[2], argv[3]) < 0 ? 2
							: run_client(atof(argv[4]), atoi(argv[5]));
	if (argc == 5 && !strcmp(argv[1], "idle"))
		return parse_addr(argv[2], argv[3]) < 0 ? 2 : run_idle(atol(argv[4]));
	fprintf(stderr, "usage: connrate server ADDR PORT | client ADDR PORT SECONDS THREADS |"
			" idle ADDR PORT N\n");
	return 2;
}
