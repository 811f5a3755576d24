// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_udp.c - how the UDP relay's objects end on the event loop
 * (src/relay/loop.h rules 1-3, src/relay/udp.h): a flow, a probe and a
 * subject's UDP state close every fd they hold before their memory is
 * deferred, so an event of theirs later in the same batch is skipped by the
 * dispatcher; the memory goes at loop_reap() (ASan sees a leak or a double
 * free).  Loopback only: a UDP socket sends a datagram to itself, and the
 * probe connects to a listener on 127.0.0.1 that never accepts.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "relay/udp.h"

#include "tap.h"

static void bail_out(const char *what)
{
	printf("Bail out! %s\n", what);
	exit(1);
}

/* A UDP socket connect()ed to itself on 127.0.0.1, with one datagram waiting: readable. */
static int udp_self_ready(void)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || send(fd, "x", 1, 0) != 1)
		bail_out("udp socket to itself");
	return fd;
}

static void ev_open(struct relay *r, struct ev *ev, int fd)
{
	ev->fd = fd;
	if (loop_add(r->loop, ev, EPOLLIN) < 0)
		bail_out("loop_add");
}

static void subject_init(struct relay_subject *rs)
{
	memset(rs, 0, sizeof(*rs));
	snprintf(rs->name, sizeof(rs->name), "t");
	pthread_mutex_init(&rs->err_mu, NULL);
	for (int i = 0; i < 2; i++)
		rs->udp_lis[i] = (struct ev){.tag = EV_UDP, .fd = -1};
	rs->udp = calloc(1, sizeof(*rs->udp));
	if (!rs->udp)
		bail_out("calloc");
	rs->udp->kind = UO_SUBJECT;
	rs->udp->rs = rs;
	rs->udp->nsfd = dup(0);
	rs->udp_mode = RELAY_UDP_ASSOCIATE;
}

/* A flow as udp_flow.c leaves it once up: all three fds registered, the handshake kept. */
static struct udp_flow *flow_make(struct relay *r, struct relay_subject *rs)
{
	struct udp_flow *f = calloc(1, sizeof(*f));

	if (!f)
		bail_out("calloc");
	f->kind = UO_FLOW;
	f->state = UF_UP;
	f->rs = rs;
	f->as.ctl = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	f->as.hs = calloc(1, sizeof(*f->as.hs));
	f->up = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	f->reply = (struct ev){.tag = EV_UDP, .fd = -1, .owner = f};
	/* The control connection's stand-in: a socket with nothing to read. */
	ev_open(r, &f->as.ctl, socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	ev_open(r, &f->up, udp_self_ready());
	ev_open(r, &f->reply, udp_self_ready());
	f->next = r->udp_flows;
	if (f->next)
		f->next->prev = f;
	r->udp_flows = f;
	rs->udp->n_flows++;
	rs->stats.udp_live++;
	r->udp_live++;
	return f;
}

/* Was @ev in the batch @evs[0..n)? */
static bool in_batch(const struct epoll_event *evs, int n, const struct ev *ev)
{
	for (int i = 0; i < n; i++)
		if (evs[i].data.ptr == ev)
			return true;
	return false;
}

static void test_flow_free(void)
{
	struct relay_subject rs;
	struct epoll_event evs[8];
	struct loop l;
	struct relay r = {.loop = &l, .spare_fd = -1};
	struct udp_flow *f;
	int n;

	if (loop_init(&l) < 0)
		bail_out("loop_init");
	subject_init(&rs);
	f = flow_make(&r, &rs);
	n = loop_wait(&l, evs, 8, 1000);
	if (!ok(n == 2 && in_batch(evs, n, &f->up) && in_batch(evs, n, &f->reply),
		"a batch holds both of the flow's readable fds"))
		printf("#   %d events\n", n);
	/* The first event's handler ends the flow (an ICMP error, the app gone ...). */
	udp_flow_free(&r, f);
	ok(f->up.fd == -1 && f->reply.fd == -1 && f->as.ctl.fd == -1,
	   "udp_flow_free closes every fd of the flow (rule 1)");
	ok(!loop_live(&f->up) && !loop_live(&f->reply),
	   "so the dispatcher skips the flow's events later in the batch (rule 3)");
	ok(f->as.hs == NULL, "... and its handshake is freed now");
	ok(r.udp_flows == NULL && r.udp_live == 0 && rs.stats.udp_live == 0 && rs.udp->n_flows == 0,
	   "the flow is unlinked and uncounted");
	is_int((int)l.n_deferred, 1, "its memory is deferred, not freed (rule 2)");
	loop_reap(&l);
	is_int((int)l.n_deferred, 0, "loop_reap frees it after the batch");
	relay_udp_close(&r, &rs);
	loop_fini(&l);
	pthread_mutex_destroy(&rs.err_mu);
}

static void chain_loopback(struct relay_chain *ch, uint16_t port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&ch->first;

	memset(ch, 0, sizeof(*ch));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ch->first_len = sizeof(*in);
	ch->n_hops = 1;
	ch->hops[0].kind = PROXY_SOCKS5;
}

/* A listener on 127.0.0.1 that never accepts: a connect to it stays open. */
static int silent_listener(uint16_t *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
		bail_out("listener");
	*port = ntohs(sin.sin_port);
	return fd;
}

static int probed_calls;

static void probed(struct relay_subject *rs, int err, void *arg)
{
	(void)rs, (void)err, (void)arg;
	probed_calls++;
}

/* A subject closed while its probe and a flow run: all of it ends, nothing is told. */
static void test_subject_close(void)
{
	struct relay_subject rs;
	struct loop l;
	struct relay r = {.loop = &l, .spare_fd = -1};
	struct udp_probe *p;
	struct udp_flow *f;
	uint16_t port;
	int hold = silent_listener(&port);

	if (loop_init(&l) < 0)
		bail_out("loop_init");
	subject_init(&rs);
	chain_loopback(&rs.chain, port);
	is_int(relay_udp_probe_start(&r, &rs, probed, NULL), 0, "the probe starts");
	p = rs.udp->probe;
	ok(p && p == r.udp_probes && p->as.ctl.fd >= 0, "... with its control connection open");
	f = flow_make(&r, &rs);
	ev_open(&r, &rs.udp_lis[0], udp_self_ready());
	rs.udp_lis[0].owner = rs.udp;
	relay_udp_close(&r, &rs);
	ok(rs.udp_lis[0].fd == -1 && f->up.fd == -1 && f->reply.fd == -1 && p->as.ctl.fd == -1,
	   "relay_udp_close closes the listener, the flow's and the probe's fds");
	ok(rs.udp == NULL && r.udp_flows == NULL && r.udp_probes == NULL,
	   "the subject's UDP state, the flow and the probe are unlinked");
	is_int((int)l.n_deferred, 3, "flow, probe and UDP state are deferred, not freed");
	loop_reap(&l);
	is_int(probed_calls, 0, "a probe cancelled with its subject tells no outcome");
	relay_udp_close(&r, &rs);
	is_int((int)l.n_deferred, 0, "closing again is a no-op");
	loop_fini(&l);
	close(hold);
	pthread_mutex_destroy(&rs.err_mu);
}

int main(void)
{
	test_flow_free();
	test_subject_close();
	return tap_done();
}
