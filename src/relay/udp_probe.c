// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp_probe.c - the apply-time probe of a subject's UDP (relay_udp_probe_start()).
 *
 * An upstream that answers UDP ASSOCIATE with a failure (microsocks: REP 7,
 * command not supported), or a chain whose inner hop cannot reach the last,
 * would make every flow wait for its own handshake to fail while the app's
 * datagrams vanish, and QUIC would wait for its timeout before falling back
 * to TCP.  So at each apply one association is asked for on the loop, with
 * the flows' own code (udp_assoc.c): through every hop, then the UDP socket
 * a flow would use, connect()ed to the relay address.  When any of it
 * fails, the subject switches to RELAY_UDP_REFUSED and the daemon re-applies
 * its routing refusal (EHOSTUNREACH at once).  A granted association is
 * closed at once: closing its control connection ends it (RFC 1928 §7).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "udp.h"
#include "util/macro.h"
#include "util/monotime.h"

static void probe_unlink(struct relay *r, struct udp_probe *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		r->udp_probes = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
}

void udp_probe_cancel(struct relay *r, struct udp_probe *p)
{
	struct udp_subject *us = p->rs->udp;

	probe_unlink(r, p);
	udp_assoc_close(r, &p->as);
	if (us && us->probe == p)
		us->probe = NULL;
	loop_defer_free(r->loop, p, NULL);
}

/* Why the probe failed, for status: which hop, and its reply code when it answered. */
static void probe_reason(const struct udp_probe *p, int err, char *buf, size_t len)
{
	char hop[PROXY_NAME_MAX + 32] = "";

	if (p->rs->chain.n_hops > 1)
		relay_chain_describe(&p->rs->chain, p->as.hop, hop, sizeof(hop));
	if (err == -ETIMEDOUT)
		snprintf(buf, len, "no answer within %d s", UDP_PROBE_TIMEOUT);
	else if (p->as.state == UA_UP && err == -EADDRNOTAVAIL)
		snprintf(buf, len, "its relay address (BND.ADDR) is unusable");
	else if (p->as.state == UA_UP)
		snprintf(buf, len, "its relay address: %s", strerror(-err));
	else if (p->as.state == UA_HANDSHAKE)
		snprintf(buf, len, "%s%s%s", hop, hop[0] ? ": " : "",
			 udp_assoc_strerror(&p->as, err));
	else
		snprintf(buf, len, "connect: %s", strerror(-err));
}

/* Tell the outcome; a refusal refuses the subject's UDP until its next apply. */
static void probe_finish(struct relay *r, struct udp_probe *p, int err)
{
	struct relay_subject *rs = p->rs;
	relay_udp_probe_fn *done = p->done;
	void *arg = p->done_arg;
	char why[sizeof(rs->udp_why) - 40];

	if (err < 0)
		probe_reason(p, err, why, sizeof(why));
	udp_probe_cancel(r, p);
	if (err < 0) {
		snprintf(rs->udp_why, sizeof(rs->udp_why), "the upstream refused UDP ASSOCIATE: %s",
			 why);
		rs->udp_mode = RELAY_UDP_REFUSED;
		relay_udp_close(r, rs); /* flows in progress would only fail the same way */
	}
	if (done)
		done(rs, err, arg);
}

void udp_probe_on_event(struct relay *r, struct udp_probe *p)
{
	/* One cancelled earlier in this batch never gets here: its ctl is closed (loop.h rule 3).
	 */
	int ret = udp_assoc_progress(r, &p->as);
	if (ret == 0)
		return; /* more to come */
	/* A grant is only good if a flow's socket can be connect()ed to its relay address. */
	if (ret == 1) {
		ret = udp_assoc_open_up(&p->as);
		if (ret >= 0)
			close(ret);
		ret = ret < 0 ? ret : 0;
	}
	probe_finish(r, p, ret);
}

static struct udp_probe *probe_due(struct relay *r, uint64_t now)
{
	for (struct udp_probe *p = r->udp_probes; p; p = p->next)
		if (p->err || now >= p->deadline)
			return p;
	return NULL;
}

void udp_probe_tick(struct relay *r, uint64_t now)
{
	struct udp_probe *p;

	/* One at a time: a refused probe closes its subject's flows (relay_udp_close()). */
	while ((p = probe_due(r, now)))
		probe_finish(r, p, p->err ? p->err : -ETIMEDOUT);
}

int relay_udp_probe_start(struct relay *r, struct relay_subject *rs, relay_udp_probe_fn *done,
			  void *arg)
{
	struct udp_subject *us = rs->udp;
	struct udp_probe *p;
	int ret;

	if (rs->udp_mode != RELAY_UDP_ASSOCIATE || !us)
		return 0;
	if (us->probe)
		udp_probe_cancel(r, us->probe); /* re-apply: ask again, with the current chain */
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (udp_assoc_init(&p->as, &rs->chain, NULL, p) < 0) {
		free(p);
		return -ENOMEM;
	}
	p->kind = UO_PROBE;
	p->rs = rs;
	p->done = done;
	p->done_arg = arg;
	p->deadline = mono_now() + UDP_PROBE_TIMEOUT;
	p->next = r->udp_probes;
	if (p->next)
		p->next->prev = p;
	r->udp_probes = p;
	us->probe = p;
	/* A connect that fails at once is told at the next tick, never inside the apply. */
	ret = udp_assoc_start(r, &p->as);
	if (ret < 0)
		p->err = ret;
	return 0;
}
