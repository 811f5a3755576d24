// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp_fast.c - an established tunnel in the sockmap fast path (fastpath.h).
 *
 * The kernel moves the bytes; the daemon only watches both sockets for EOF
 * and errors (EPOLLRDHUP, EPOLLERR, EPOLLHUP: no EPOLLIN/EPOLLOUT wakeups).
 * A FIN from one side becomes shutdown(SHUT_WR) on the other once every
 * byte received before it has entered the other socket's send queue: the
 * verdict queues redirected bytes for a kernel worker, so the FIN can be
 * seen before the last bytes are out.  Until then the connection waits on
 * r->draining and relay_fast_drain() looks again.  Byte counters come from
 * TCP_INFO and SIOCOUTQ at close (docs/DESIGN.md "Sockmap fast path").
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <linux/tcp.h> /* glibc's struct tcp_info lacks the byte counts */
#include <sys/ioctl.h>

#include "conn.h"
#include "fastpath.h"
#include "relay.h"
#include "util/macro.h"

#define FAST_EVENTS (EPOLLRDHUP | EPOLLET)

/* Bytes ever put into @fd's send queue (a FIN counts one). */
static int sock_written(int fd, uint64_t *out)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int outq = 0;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0)
		return neg_errno();
	*out = ti.tcpi_bytes_acked + (uint64_t)outq;
	return 0;
}

/* Bytes ever received on @fd (a FIN counts one); @unread: those still queued. */
static int sock_received(int fd, uint64_t *out, uint64_t *unread)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int inq = 0;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 || ioctl(fd, SIOCINQ, &inq) < 0)
		return neg_errno();
	*out = ti.tcpi_bytes_received;
	*unread = (uint64_t)inq;
	return 0;
}

int conn_fast_start(struct relay *r, struct conn *c)
{
	const int fds[2] = {c->app.fd, c->up.fd};
	int proto = 0, ret;
	socklen_t len = sizeof(proto);

	/* An in-daemon tunnel's "app" is a socketpair: only TCP pairs go in. */
	if (getsockopt(c->app.fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0 ||
	    proto != IPPROTO_TCP)
		return -EOPNOTSUPP;
	for (int i = 0; i < 2; i++) {
		uint64_t unread;

		ret = sock_written(fds[i], &c->wbase[i]);
		if (ret == 0)
			ret = sock_received(fds[i], &c->rbase[i], &unread);
		if (ret < 0)
			return ret;
		/* What is still queued goes through the verdict (fastpath_pair()). */
		c->rbase[i] -= unread;
	}
	ret = fastpath_pair(r->fp, c->app.fd, c->up.fd, c->cookies);
	if (ret < 0)
		return ret;
	c->fast = true;
	/* MOD reports an EOF or error that came before: the level is looked at again. */
	if (loop_mod(r->epfd, &c->app, FAST_EVENTS) < 0 ||
	    loop_mod(r->epfd, &c->up, FAST_EVENTS) < 0)
		return 0; /* the caller sees no more events: the next tick's drain looks */
	return 0;
}

void conn_fast_count(struct conn *c)
{
	uint64_t w;

	if (sock_written(c->up.fd, &w) == 0)
		c->rs->stats.bytes_up += w - c->wbase[1] - c->up_shut;
	if (sock_written(c->app.fd, &w) == 0)
		c->rs->stats.bytes_down += w - c->wbase[0] - c->app_shut;
}

/*
 * Everything @src received since pairing went into @dst's send queue.  Its
 * FIN is in bytes_received, so the received side is one more than the bytes
 * relayed.
 */
static bool fast_drained(struct conn *c, int src)
{
	const int fds[2] = {c->app.fd, c->up.fd};
	uint64_t in, unread, out;

	if (sock_received(fds[src], &in, &unread) < 0 || sock_written(fds[!src], &out) < 0)
		return true; /* a dead socket: the error path takes over */
	return out - c->wbase[!src] + 1 >= in - c->rbase[src];
}

static void draining_add(struct relay *r, struct conn *c)
{
	if (c->hs_prev || r->draining == c)
		return;
	c->hs_next = r->draining;
	if (r->draining)
		r->draining->hs_prev = c;
	r->draining = c;
}

static void draining_remove(struct relay *r, struct conn *c)
{
	if (c->hs_prev)
		c->hs_prev->hs_next = c->hs_next;
	else if (r->draining == c)
		r->draining = c->hs_next;
	if (c->hs_next)
		c->hs_next->hs_prev = c->hs_prev;
	c->hs_prev = c->hs_next = NULL;
}

/* Pass a FIN from side @src on; false while the bytes before it are still on their way. */
static bool fast_pass_fin(struct conn *c, int src)
{
	const int fds[2] = {c->app.fd, c->up.fd};
	bool *shut = src == 0 ? &c->up_shut : &c->app_shut;

	if (*shut)
		return true;
	if (!fast_drained(c, src))
		return false;
	(void)shutdown(fds[!src], SHUT_WR);
	*shut = true;
	return true;
}

void conn_fast_event(struct relay *r, struct conn *c)
{
	struct pollfd p[2] = {{.fd = c->app.fd, .events = POLLRDHUP},
			      {.fd = c->up.fd, .events = POLLRDHUP}};
	bool done = true;

	if (poll(p, 2, 0) < 0)
		return;
	for (int i = 0; i < 2; i++) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(p[i].revents & POLLERR))
			continue;
		(void)getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			/* An error on one side is a reset on the other, as with splice. */
			conn_free(r, c, true, true);
			return;
		}
	}
	if (p[0].revents & POLLRDHUP)
		c->app_eof = true;
	if (p[1].revents & POLLRDHUP)
		c->up_eof = true;
	if (c->app_eof && !fast_pass_fin(c, 0))
		done = false;
	if (c->up_eof && !fast_pass_fin(c, 1))
		done = false;
	if (done)
		draining_remove(r, c);
	else
		draining_add(r, c);
	if (c->app_shut && c->up_shut)
		conn_free(r, c, false, false);
}

void relay_fast_drain(struct relay *r)
{
	struct conn *c = r->draining, *next;

	for (; c; c = next) {
		next = c->hs_next;
		conn_fast_event(r, c);
	}
}

void relay_fastpath_setup(struct relay *r, bool want)
{
	int ret;

	if (!want) {
		snprintf(r->fp_why, sizeof(r->fp_why), "not asked for (NETNSP_FASTPATH=on asks)");
		return;
	}
	ret = fastpath_open(&r->fp);
	if (ret == -EOPNOTSUPP)
		snprintf(r->fp_why, sizeof(r->fp_why), "built without sockmap support");
	else if (ret < 0)
		snprintf(r->fp_why, sizeof(r->fp_why), "kernel refused the BPF sockmap: %s",
			 strerror(-ret));
	else
		r->fp_why[0] = '\0';
}

void relay_fastpath_free(struct relay *r)
{
	fastpath_close(TAKE_PTR(r->fp));
}
