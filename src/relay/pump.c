// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pump.c - the bytes of an established tunnel (C_RELAY), one direction at a time.
 *
 * A direction starts by copying: recv() into a small buffer, send() on at
 * once.  The first read that fills the buffer, or a write the peer cannot take
 * whole, gives the direction its pipe, and from then on bytes go
 * socket -> pipe -> socket with splice(2) and never enter user space.  A
 * pipe that one splice filled grows (F_SETPIPE_SZ).  Every byte is counted
 * when it reaches the other socket, so the counters say what was delivered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/socket.h>

#include "relay.h"
#include "util/macro.h"

#include "conn.h"

#define SPLICE_CHUNK (1u << 16)	  /* the kernel's default pipe: 16 pages */
#define RELAY_PIPE_BIG (1u << 18) /* what a pipe carrying a bulk transfer grows to */
#define COPY_CHUNK 4096		  /* a read this size or more makes the direction splice */

/* fs.pipe-max-size, capped at RELAY_PIPE_BIG; SPLICE_CHUNK (never grow) if unreadable. */
static uint32_t pipe_max_size(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/fs/pipe-max-size", "re");
	unsigned long v = 0;

	if (!f || fscanf(f, "%lu", &v) != 1)
		return SPLICE_CHUNK;
	return v < RELAY_PIPE_BIG ? (uint32_t)v : RELAY_PIPE_BIG;
}

/*
 * Each pipe starts at the kernel's default, 16 pages.  One that a single
 * splice filled carries a bulk transfer and grows to RELAY_PIPE_BIG (or
 * fs.pipe-max-size if lower), so each splice moves four times as much;
 * idle and interactive connections keep the small slot array.  Refused
 * (an unprivileged `netnsp run` over its pipe-user-pages quota), the pipe
 * stays as it is.  Returns the pipe's size from now on.
 */
static uint32_t pipe_grow(struct relay *r, int fd, uint32_t *cap)
{
	int got = -1;

	if (!r->pipe_max)
		r->pipe_max = pipe_max_size();
	if (r->pipe_max > SPLICE_CHUNK)
		got = fcntl(fd, F_SETPIPE_SZ, (int)r->pipe_max);
	*cap = got > 0 ? (uint32_t)got : SPLICE_CHUNK;
	return *cap;
}

/*
 * Before a direction has its pipe: one read of at most COPY_CHUNK, written on
 * at once.  A short read is the whole of a small exchange (a request, a
 * 1-byte echo), so such a connection never makes its two pipes (pipe2 and
 * two close() each).  A full read, or a write the peer could not take at
 * once, makes the pipe; the bytes not written wait in it.  Returns the
 * bytes read (0: EOF), -EAGAIN when none were there, or another negative errno.
 */
static ssize_t conn_copy(int src, int dst, int p[2], uint32_t *pend, uint64_t *bytes)
{
	uint8_t buf[COPY_CHUNK];
	ssize_t n, w;

	n = recv(src, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0)
		return n < 0 ? neg_errno() : 0;
	w = send(dst, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (w < 0 && errno != EAGAIN)
		return neg_errno();
	w = w < 0 ? 0 : w;
	relay_stat_add(bytes, (uint64_t)w);
	if (w == n && n < (ssize_t)sizeof(buf))
		return n;
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return neg_errno();
	/* An empty pipe holds 16 pages: the rest goes in whole. */
	if (w < n && write(p[1], buf + w, (size_t)(n - w)) != n - w)
		return -EIO;
	*pend = (uint32_t)(n - w);
	return n;
}

int conn_pump(struct relay *r, struct conn *c, bool up)
{
	int src = up ? c->app.fd : c->up.fd, dst = up ? c->up.fd : c->app.fd;
	int *p = up ? c->pipe_up : c->pipe_down;
	uint32_t *pend = up ? &c->pend_up : &c->pend_down, *cap = up ? &c->cap_up : &c->cap_down;
	bool *src_eof = up ? &c->app_eof : &c->up_eof, *dst_shut = up ? &c->up_shut : &c->app_shut;
	uint64_t *bytes = up ? &c->st->bytes_up : &c->st->bytes_down;
	uint32_t chunk = *cap ? *cap : SPLICE_CHUNK;
	ssize_t n;

	for (;;) {
		if (*pend > 0) {
			n = splice(p[0], NULL, dst, NULL, *pend, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0)
				return errno == EAGAIN ? 0 : neg_errno();
			*pend -= (uint32_t)n;
			relay_stat_add(bytes, (uint64_t)n);
			continue;
		}
		if (*src_eof) {
			if (!*dst_shut && shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
				return neg_errno();
			*dst_shut = true;
			return 0;
		}
		if (p[1] < 0) {
			n = conn_copy(src, dst, p, pend, bytes);
			if (n < 0)
				return n == -EAGAIN ? 0 : (int)n;
			if (n == 0)
				*src_eof = true;
			continue;
		}
		n = splice(src, NULL, p[1], NULL, chunk, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		if (n == 0)
			*src_eof = true;
		*pend += (uint32_t)n;
		if (n == SPLICE_CHUNK && !*cap)
			chunk = pipe_grow(r, p[1], cap);
	}
}
