// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * worker.c - worker threads, each running an event loop of its own (see
 * worker.h and relay/loop.h rule 5).
 *
 * The main thread talks to a worker through one pipe of fixed-size
 * messages (each write is atomic: smaller than PIPE_BUF), so they arrive in
 * the order sent: hand-overs, then a stop or quit.  A stop or quit is
 * answered on the worker's eventfd once done; nothing else waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "conn.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"
#include "worker.h"

enum worker_cmd {
	WM_CONN, /* serve @fd, a connection of @rs the main loop accepted and admitted */
	WM_STOP, /* reset every connection of @rs, then answer */
	WM_QUIT, /* leave the loop, then answer */
};

struct worker_msg {
	enum worker_cmd cmd;
	int fd;
	struct relay_subject *rs;
};

struct relay_worker {
	struct relay r; /* its own: r.id is its index */
	struct loop loop;
	pthread_t thread;
	int cmd_w;	 /* owned: the main thread's end of the command pipe */
	struct ev cmd;	 /* owned fd: the worker's end (EV_WORKER) */
	struct ev timer; /* owned fd: 1 s handshake timeouts (EV_TIMER) */
	int ack;	 /* owned: eventfd, written when a stop or quit is done */
	bool quit;	 /* worker thread only */
	bool started;	 /* the thread runs */
};

struct relay_workers {
	unsigned n;    /* loops in all, the main one included */
	unsigned next; /* the loop the next connection goes to (0: the main loop) */
	struct relay_worker *w[CONF_WORKERS_MAX]; /* [1 .. n-1]; [0] unused */
};

unsigned relay_workers_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > CONF_WORKERS_MAX ? CONF_WORKERS_MAX : (unsigned)n;
}

static void worker_ack(struct relay_worker *w)
{
	uint64_t one = 1;

	(void)!write(w->ack, &one, sizeof(one));
}

static void worker_on_cmd(struct relay_worker *w)
{
	struct worker_msg m[64];
	ssize_t n;

	while ((n = read(w->cmd.fd, m, sizeof(m))) > 0) {
		for (size_t i = 0; i < (size_t)n / sizeof(m[0]); i++) {
			switch (m[i].cmd) {
			case WM_CONN:
				conn_take(&w->r, m[i].rs, m[i].fd);
				relay_stat_taken(&m[i].rs->wk[w->r.id].taken);
				relay_stat_taken(&w->r.taken);
				break;
			case WM_STOP:
				conn_close_all(&w->r, m[i].rs);
				worker_ack(w);
				break;
			case WM_QUIT:
				w->quit = true;
				break;
			}
		}
	}
}

static void worker_dispatch(struct relay_worker *w, struct ev *ev, uint32_t events)
{
	uint64_t ticks;

	if (!loop_live(ev)) /* relay/loop.h rule 3 */
		return;
	switch (ev->tag) {
	case EV_APP:
	case EV_UP:
		relay_on_conn(&w->r, ev, events);
		break;
	case EV_TIMER:
		(void)!read(ev->fd, &ticks, sizeof(ticks));
		conn_tick(&w->r, mono_now());
		break;
	case EV_WORKER:
		worker_on_cmd(w);
		break;
	default: /* no other kind is ever in a worker's loop */
		break;
	}
}

static void *worker_main(void *arg)
{
	struct relay_worker *w = arg;
	struct epoll_event evs[256];

	while (!w->quit) {
		int n = loop_wait(&w->loop, evs, ARRAY_SIZE(evs), -1);

		if (n < 0) {
			log_err("worker %u: event loop: %s", w->r.id, strerror(-n));
			break;
		}
		for (int i = 0; i < n; i++)
			worker_dispatch(w, evs[i].data.ptr, evs[i].events);
		loop_reap(&w->loop);
	}
	worker_ack(w);
	return NULL;
}

/* Send @m, waiting while the pipe is full (a worker never waits on the main thread). */
static int worker_send(struct relay_worker *w, const struct worker_msg *m, bool wait)
{
	for (;;) {
		struct pollfd p = {.fd = w->cmd_w, .events = POLLOUT};

		if (write(w->cmd_w, m, sizeof(*m)) == (ssize_t)sizeof(*m))
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return neg_errno();
		if (!wait)
			return -EAGAIN;
		(void)poll(&p, 1, -1);
	}
}

static void worker_wait_ack(struct relay_worker *w)
{
	uint64_t v;

	while (read(w->ack, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

static void worker_free(struct relay_worker *w)
{
	loop_close(&w->loop, &w->cmd);
	loop_close(&w->loop, &w->timer);
	loop_fini(&w->loop);
	if (w->cmd_w >= 0)
		close(w->cmd_w);
	if (w->ack >= 0)
		close(w->ack);
	free(w);
}

static int worker_fds(struct relay_worker *w)
{
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	int p[2], r;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return neg_errno();
	w->cmd = (struct ev){.tag = EV_WORKER, .fd = p[0], .owner = w};
	w->cmd_w = p[1];
	(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20); /* room for bursts of hand-overs */
	w->ack = eventfd(0, EFD_CLOEXEC);
	w->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->ack < 0 || w->timer.fd < 0 || timerfd_settime(w->timer.fd, 0, &its, NULL) < 0)
		return neg_errno();
	r = loop_add(&w->loop, &w->cmd, EPOLLIN);
	return r < 0 ? r : loop_add(&w->loop, &w->timer, EPOLLIN);
}

static struct relay_worker *worker_new(unsigned id)
{
	struct relay_worker *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return NULL;
	w->cmd = (struct ev){.tag = EV_WORKER, .fd = -1};
	w->timer = (struct ev){.tag = EV_TIMER, .fd = -1};
	w->cmd_w = w->ack = -1;
	r = loop_init(&w->loop);
	if (r == 0)
		r = worker_fds(w);
	w->r = (struct relay){.loop = &w->loop, .id = id, .spare_fd = -1};
	if (r == 0 && pthread_create(&w->thread, NULL, worker_main, w) == 0) {
		w->started = true;
		return w;
	}
	worker_free(w);
	return NULL;
}

int relay_workers_start(struct relay *r, unsigned n)
{
	struct relay_workers *ws;

	if (n <= 1)
		return 0;
	ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	r->workers = ws;
	ws->n = 1;
	for (unsigned i = 1; i < n; i++) {
		ws->w[i] = worker_new(i);
		if (!ws->w[i]) {
			relay_workers_stop(r);
			return -ENOMEM;
		}
		ws->n++;
	}
	return 0;
}

void relay_workers_stop(struct relay *r)
{
	struct relay_workers *ws = r->workers;
	const struct worker_msg quit = {.cmd = WM_QUIT, .fd = -1};

	if (!ws)
		return;
	for (unsigned i = 1; i < ws->n; i++) {
		struct relay_worker *w = ws->w[i];

		if (worker_send(w, &quit, true) == 0)
			worker_wait_ack(w);
		(void)pthread_join(w->thread, NULL);
		worker_free(w);
	}
	free(ws);
	r->workers = NULL;
}

bool relay_worker_hand(struct relay *r, struct relay_subject *rs, int fd)
{
	struct relay_workers *ws = r->workers;
	struct worker_msg m = {.cmd = WM_CONN, .fd = fd, .rs = rs};
	unsigned i;

	if (!ws)
		return false;
	i = ws->next;
	ws->next = (i + 1) % ws->n;
	if (i == 0)
		return false; /* the main loop's turn */
	if (worker_send(ws->w[i], &m, false) < 0) {
		/* A worker this far behind: refuse rather than wait (counted as failed). */
		rs->stats.failed++;
		relay_reset_close(fd);
		return true;
	}
	rs->handed++; /* main thread only; read by it alone */
	r->handed++;
	return true;
}

void relay_workers_forget(struct relay *r, struct relay_subject *rs)
{
	struct relay_workers *ws = r->workers;
	const struct worker_msg stop = {.cmd = WM_STOP, .fd = -1, .rs = rs};

	for (unsigned i = 1; ws && i < ws->n; i++) {
		if (worker_send(ws->w[i], &stop, true) < 0) {
			log_err("worker %u: cannot stop profile '%s': %s", i, rs->name,
				strerror(errno));
			abort(); /* freeing @rs under a running connection is worse */
		}
		worker_wait_ack(ws->w[i]);
	}
}

unsigned relay_workers_count(const struct relay *r)
{
	return r->workers ? r->workers->n : 1;
}

uint64_t relay_workers_live(const struct relay *r)
{
	uint64_t n = 0, taken = 0;

	for (unsigned i = 1; r->workers && i < r->workers->n; i++) {
		taken += relay_stat_get_taken(&r->workers->w[i]->r.taken);
		n += relay_stat_get(&r->workers->w[i]->r.live);
	}
	return n + (r->handed - taken); /* live, and handed over but not yet taken in */
}

void relay_worker_stats(const struct relay *r, unsigned id, struct relay_worker_stats *out)
{
	const struct relay *wr = id ? &r->workers->w[id]->r : r;

	out->live = relay_stat_get(&wr->live);
	out->total = relay_stat_get(&wr->total);
	out->events = relay_stat_get(&wr->loop->stats.events);
}
