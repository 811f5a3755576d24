/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_egress_ns.c - the daemon's egress namespaces (src/relay/egress.h):
 * sockets come from the namespace the name means now, a name that is gone
 * refuses and releases what was held, one made afresh is used.  Root only
 * (it makes named namespaces).
 *
 *   this process: egress_ns_socket() --pool--> broker thread, setns'd into
 *   /run/netns/nsptest-PID-e (made, deleted and made again here)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/nl.h"
#include "netns/netns.h"
#include "relay/egress.h"
#include "netns_cookie.h"
#include "tap.h"

static char ns_e[40], ns_x[40];
static char noted[64];
static int n_noted, noted_err;

static void cleanup(void)
{
	(void)netns_delete_named(ns_e);
	(void)netns_delete_named(ns_x);
}

static void on_signal(int sig)
{
	(void)sig;
	exit(1); /* runs cleanup() */
}

/* The cookie of the namespace @nsfd (a socket made there by a helper thread). */
static uint64_t ns_cookie(int nsfd)
{
	int fd = netns_socket(nsfd, AF_UNIX, SOCK_DGRAM, 0);
	uint64_t c = fd >= 0 ? cookie_of(fd) : 0;

	if (fd >= 0)
		close(fd);
	return c;
}

static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void note(const char *name, int err)
{
	snprintf(noted, sizeof(noted), "%s", name);
	noted_err = err;
	n_noted++;
}

/* @n sockets of @family / @type from @e: all in the namespace of cookie @want. */
static void check_from(struct egress_ns *e, int family, int type, int n, uint64_t want,
		       const char *what)
{
	int good = 0, err = 0;

	for (int i = 0; i < n; i++) {
		int fd = egress_ns_socket(e, family, type);

		if (fd < 0) {
			err = fd;
			continue;
		}
		good += cookie_of(fd) == want && (fcntl(fd, F_GETFD) & FD_CLOEXEC) &&
			(!(type & SOCK_NONBLOCK) || (fcntl(fd, F_GETFL) & O_NONBLOCK));
		close(fd);
	}
	if (!ok(good == n, "%s: %d sockets made in the namespace, close-on-exec", what, n))
		printf("#   %d good; last error: %s\n", good, strerror(-err));
}

/* Waiters served by egress_set_on_event(): the order they came in, and what they got. */
static struct egress_waiter *served[8];
static int served_fd[8], n_served;

static void on_ready(void *arg, struct egress_waiter *w, int fd)
{
	(void)arg;
	if (n_served < 8) {
		served[n_served] = w;
		served_fd[n_served++] = fd;
	} else if (fd >= 0) {
		close(fd);
	}
}

/* Run the loop until @n waiters were served (or 5 s passed). */
static void serve_until(struct egress_set *set, struct loop *l, int n)
{
	struct epoll_event ev;

	for (int i = 0; i < 50 && n_served < n; i++)
		if (loop_wait(l, &ev, 1, 100) == 1 && ev.data.ptr == &set->ready)
			egress_set_on_event(set, on_ready, NULL);
}

static void served_close(void)
{
	for (int i = 0; i < n_served; i++)
		if (served_fd[i] >= 0)
			close(served_fd[i]);
	n_served = 0;
}

/*
 * A pool of one socket: a burst queues instead of waiting, in order, each
 * waiter served from the loop's eventfd; a waiter can leave; a namespace
 * that goes fails the queued with -ENOENT.
 */
static void test_queue(uint64_t want)
{
	struct egress_set set = {0};
	struct egress_waiter w[4] = {{0}};
	struct egress_ns *e = NULL;
	struct loop l;
	int fd, r[4];

	setenv("NETNSP_EGRESS_POOL", "1", 1);
	is_int(loop_init(&l), 0, "queue: loop_init");
	is_int(egress_set_init(&set, &l), 0, "queue: egress_set_init with a pool of 1");
	is_int(egress_ns_get(&set, ns_e, &e), 0, "queue: egress_ns_get");
	for (int i = 0; i < 4; i++)
		r[i] = egress_ns_take(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &w[i]);
	ok(r[1] == -EINPROGRESS && r[2] == -EINPROGRESS && r[3] == -EINPROGRESS,
	   "queue: beyond the pool, takes queue at once (%d %d %d)", r[1], r[2], r[3]);
	if (r[0] >= 0)
		close(r[0]);
	egress_wait_cancel(&w[2]);
	ok(w[2].ns == NULL, "queue: a waiter can leave the queue");
	serve_until(&set, &l, r[0] == -EINPROGRESS ? 3 : 2);
	ok(n_served >= 2 && served[n_served - 2] == &w[1] && served[n_served - 1] == &w[3],
	   "queue: served from the eventfd, in order, the one that left skipped (%d)", n_served);
	ok(n_served >= 2 && served_fd[n_served - 1] >= 0 &&
		   cookie_of(served_fd[n_served - 1]) == want,
	   "queue: with sockets made in the namespace");
	served_close();

	/* Queued while the namespace goes: refused with its error from the loop. */
	r[0] = egress_ns_take(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &w[0]);
	r[1] = egress_ns_take(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, &w[1]);
	fd = (r[0] == -EINPROGRESS) + (r[1] == -EINPROGRESS); /* queued */
	for (int i = 0; i < 2; i++)
		if (r[i] >= 0)
			close(r[i]);
	ok(fd >= 1, "queue: %d of 2 queued behind a pool of one", fd);
	ok(netns_delete_named(ns_e) == 0, "queue: namespace deleted with a waiter queued");
	egress_set_tick(&set, note);
	serve_until(&set, &l, fd);
	ok(n_served == fd && served_fd[0] == -ENOENT && served_fd[n_served - 1] == -ENOENT,
	   "queue: every waiter is refused with -ENOENT (%d served)", n_served);
	served_close();
	egress_ns_put(e);
	ok(set.head == NULL, "queue: nothing left in the set");
	egress_set_close(&set, &l);
	ok(set.ready.fd == -1, "queue: egress_set_close closes the eventfd");
	loop_fini(&l);
	unsetenv("NETNSP_EGRESS_POOL");
}

int main(void)
{
	struct egress_set set = {0};
	struct egress_ns *e = NULL, *e2 = NULL, *x = NULL;
	uint64_t a, b, c;
	int nsfd;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root\n");
		return 0;
	}
	snprintf(ns_e, sizeof(ns_e), "nsptest-%d-e", (int)getpid());
	snprintf(ns_x, sizeof(ns_x), "nsptest-%d-x", (int)getpid());
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGHUP, on_signal);

	nsfd = netns_create_named(ns_e, nl_lo_up);
	if (!ok(nsfd >= 0, "namespace %s made", ns_e))
		return tap_done();
	a = ns_cookie(nsfd);
	close(nsfd);
	ok(a != 0, "its cookie is known");

	is_int(egress_ns_get(&set, ns_e, &e), 0, "egress_ns_get");
	is_int(egress_ns_get(&set, ns_e, &e2), 0, "egress_ns_get again");
	ok(e && e == e2, "one entry per name, shared");
	egress_ns_put(e2);
	check_from(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 3 * EGRESS_POOL, a,
		   "AF_INET stream (pooled, beyond one pool)");
	check_from(e, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 3, a, "AF_INET6 stream (pooled)");
	check_from(e, AF_INET, SOCK_DGRAM, 2, a, "AF_INET datagram (not pooled)");
	is_int(threads(), 2, "one broker thread");
	egress_set_tick(&set, note);
	is_int(n_noted, 0, "tick: nothing to tell while it is there");

	/* Gone: refused, and nothing of it held (no thread, no fd, no pooled socket). */
	ok(netns_delete_named(ns_e) == 0, "namespace deleted");
	is_int(egress_ns_socket(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK), -ENOENT,
	       "gone: -ENOENT at once");
	is_int(threads(), 1, "gone: the broker has ended");
	egress_set_tick(&set, note);
	ok(n_noted == 1 && noted_err == -ENOENT && strcmp(noted, ns_e) == 0,
	   "tick: told once that it is gone (%d, %s)", n_noted, strerror(-noted_err));
	egress_set_tick(&set, note);
	is_int(n_noted, 1, "tick: not told again");

	/* Back: the tick opens it again and says so; sockets come from the new one. */
	nsfd = netns_create_named(ns_e, nl_lo_up);
	b = nsfd >= 0 ? ns_cookie(nsfd) : 0;
	if (nsfd >= 0)
		close(nsfd);
	ok(b != 0 && b != a, "namespace made afresh under the same name");
	egress_set_tick(&set, note);
	ok(n_noted == 2 && noted_err == 0, "tick: told that it is back");
	is_int(threads(), 2, "back: a broker again");
	check_from(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, EGRESS_POOL + 2, b,
		   "back: sockets from the new namespace");

	/* Replaced between two connections (no tick): the pool of the old one is dropped. */
	ok(netns_delete_named(ns_e) == 0, "deleted again");
	nsfd = netns_create_named(ns_e, nl_lo_up);
	c = nsfd >= 0 ? ns_cookie(nsfd) : 0;
	if (nsfd >= 0)
		close(nsfd);
	ok(c != 0 && c != b, "and made afresh at once");
	check_from(e, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 2, c,
		   "replaced: sockets from the newest namespace, none pooled from the old");
	is_int(threads(), 2, "replaced: still one broker");

	/* A name missing from the start: refused, told at the first tick. */
	is_int(egress_ns_get(&set, ns_x, &x), 0, "egress_ns_get of a missing name");
	is_int(egress_ns_socket(x, AF_INET, SOCK_STREAM | SOCK_NONBLOCK), -ENOENT,
	       "missing name: -ENOENT");
	n_noted = 0;
	egress_set_tick(&set, note);
	ok(n_noted == 1 && noted_err == -ENOENT && strcmp(noted, ns_x) == 0,
	   "tick: told once that the missing name is gone");
	is_int(egress_ns_get(&set, "../x", &e2), -EINVAL, "a bad name is refused");

	egress_ns_put(x);
	egress_ns_put(e);
	ok(set.head == NULL, "the last references dropped: the set is empty");
	is_int(threads(), 1, "and no broker is left");
	test_queue(c);
	return tap_done();
}
