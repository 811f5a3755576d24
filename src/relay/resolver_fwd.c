// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * resolver_fwd.c - queries the subject's resolver cannot answer itself, on
 * their way to dns-server: each a fresh message built from the parsed
 * question, over DNS-over-TCP (RFC 7766) inside a tunnel through the
 * profile's chain (relay_tunnel_open()); the answer goes back to the app
 * over UDP or its TCP connection, SERVFAIL when the chain fails or is too
 * slow.  With dns = proxy, answers are kept a few seconds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include "resolver-internal.h"
#include "util/macro.h"
#include "util/monotime.h"

int resolver_server_parse(const struct profile_conf *p, struct proxy_target *t)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int r = settings_dns_server_addr(p, &ss, &len);

	memset(t, 0, sizeof(*t));
	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : proxy_target_set_sa(t, &ss);
}

/* dns = proxy: a recent answer to the same question, with the app's ID and case. */
ssize_t resolver_cache_get(struct relay_dns *dns, const struct dns_query *q, uint8_t *out,
			   size_t cap)
{
	uint64_t now = mono_now();

	for (unsigned i = 0; dns->cache && i < DNS_CACHE_SLOTS; i++) {
		struct dns_cache_slot *c = &dns->cache[i];

		if (c->expires <= now || c->qtype != q->qtype || strcmp(c->name, q->name) != 0 ||
		    c->len > cap || c->len > q->max_reply || c->len < 12 + q->wire_len)
			continue;
		memcpy(out, c->msg, c->len);
		out[0] = (uint8_t)(q->id >> 8);
		out[1] = (uint8_t)q->id;
		memcpy(out + 12, q->wire, q->wire_len); /* the question as the app wrote it */
		return c->len;
	}
	return -1;
}

static void resolver_cache_put(struct relay_dns *dns, const struct dns_query *q, const uint8_t *msg,
			       size_t len)
{
	struct dns_cache_slot *c;

	if (!dns->cache || len > DNS_CACHE_MSG || len < 12 || (msg[3] & 0x0f) != DNS_RCODE_NOERROR)
		return;
	c = &dns->cache[dns->cache_next++ % DNS_CACHE_SLOTS];
	c->expires = mono_now() + DNS_CACHE_TTL;
	c->qtype = q->qtype;
	snprintf(c->name, sizeof(c->name), "%s", q->name);
	c->len = (uint16_t)len;
	memcpy(c->msg, msg, len);
}

bool resolver_client_waiting(const struct relay_dns *dns, const struct dns_client *c)
{
	for (const struct dns_fwd *f = dns->fwds; f; f = f->next)
		if (f->client == c)
			return true;
	return false;
}

static int lookup_start(struct relay_dns *dns, const struct dns_query *q, relay_lookup_fn *done,
			void *arg, struct dns_fwd **slot);

/* Tell whoever waits on lookup @f its outcome, once; its slot no longer names @f. */
static void lookup_tell(struct relay_dns *dns, struct dns_fwd *f, int family, const uint8_t *addr)
{
	relay_lookup_fn *done = TAKE_PTR(f->done);

	*f->slot = NULL;
	done(dns->r, f->done_arg, family, addr);
}

/*
 * Lookup @f has its answer (@family as dns_response_addr() says, or an
 * error): a name without an A record is asked again for AAAA, by a new
 * lookup in the same slot; anything else is told.
 */
static void lookup_answered(struct relay_dns *dns, struct dns_fwd *f, int family,
			    const uint8_t *addr)
{
	struct dns_query q = f->q;

	if (family == -ENOENT && q.qtype == DNS_TYPE_A) {
		q.qtype = DNS_TYPE_AAAA;
		family = lookup_start(dns, &q, f->done, f->done_arg, f->slot);
		if (family == 0) {
			f->done = NULL; /* the new lookup tells */
			return;
		}
	}
	lookup_tell(dns, f, family, addr);
}

void resolver_fwd_free(struct relay_dns *dns, struct dns_fwd *f)
{
	struct dns_fwd **pp;

	for (pp = &dns->fwds; *pp; pp = &(*pp)->next) {
		if (*pp == f) {
			*pp = f->next;
			break;
		}
	}
	loop_close(dns->r->loop, &f->de.ev);
	dns->n_fwds--;
	free(TAKE_PTR(f->in));
	if (f->done) /* a lookup that ends unanswered: whoever waits fails */
		lookup_tell(dns, f, -ECANCELED, NULL);
	loop_defer_free(dns->r->loop, f, NULL);
}

/* Give the app its answer (@msg) or, without one, SERVFAIL; then forget @f. */
static void resolver_fwd_done(struct relay_dns *dns, struct dns_fwd *f, const uint8_t *msg,
			      size_t len)
{
	uint8_t err[512], addr[16];
	size_t elen = 0;

	if (f->done)
		lookup_answered(dns, f,
				msg ? dns_response_addr(msg, len, &f->q, addr) : -EHOSTUNREACH,
				addr);
	if (!msg) {
		if (dns_build_error(&f->q, DNS_RCODE_SERVFAIL, err, sizeof(err), &elen) < 0)
			elen = 0;
		msg = err;
		len = elen;
	}
	if (len && f->udp_fd >= 0)
		resolver_udp_reply(f->udp_fd, &f->from, f->fromlen, &f->dst, msg, len);
	if (len && f->client) {
		struct dns_client *c = f->client;

		f->client = NULL;
		if (resolver_client_queue(c, msg, len) < 0 || resolver_client_flush(c) < 0 ||
		    (c->closing && !resolver_client_waiting(dns, c) && c->out_len == 0))
			resolver_client_free(dns->r, dns, c);
	}
	resolver_fwd_free(dns, f);
}

/* A forwarded query for @q, in @dns's list; nowhere to answer yet. */
static struct dns_fwd *fwd_new(struct relay_dns *dns, const struct dns_query *q)
{
	struct dns_fwd *f = dns->n_fwds < DNS_FWD_MAX ? calloc(1, sizeof(*f)) : NULL;

	if (!f || !(f->in = malloc(DNS_MSG_MAX))) {
		free(f);
		return NULL;
	}
	f->q = *q;
	f->udp_fd = -1;
	dns_tcp_reader_init(&f->rd, f->in, DNS_MSG_MAX);
	f->deadline = mono_now() + DNS_FWD_TIMEOUT;
	f->de = (struct dns_ev){.ev = {.tag = EV_DNS, .fd = -1}, .kind = DNS_EV_FWD, .dns = dns};
	f->de.ev.owner = &f->de;
	f->next = dns->fwds;
	dns->fwds = f;
	dns->n_fwds++;
	if (getrandom(&f->id, sizeof(f->id), GRND_NONBLOCK) != sizeof(f->id))
		f->id = (uint16_t)(q->id ^ 0x5a5a ^ dns->n_fwds);
	return f;
}

/* Send @f's question to dns-server through the chain; the answer comes back on the tunnel. */
static int fwd_send(struct relay_dns *dns, struct dns_fwd *f)
{
	uint8_t buf[2 + 512 + DNS_NAME_WIRE_MAX];
	size_t len = 0;
	int fd, r;

	/* A fresh message from the parsed question (never the app's bytes), RFC 7766 framing. */
	r = dns_build_query(&f->q, f->id, buf + 2, sizeof(buf) - 2, &len);
	if (r < 0)
		return r;
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	fd = relay_tunnel_open(dns->r, dns->rs, &dns->server);
	if (fd < 0)
		return fd;
	f->de.ev.fd = fd;
	r = loop_add(dns->r->loop, &f->de.ev, EPOLLIN | EPOLLRDHUP | EPOLLET);
	if (r == 0 && send(fd, buf, len + 2, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)(len + 2))
		r = -EIO;
	return r;
}

void resolver_fwd_start(struct relay_dns *dns, const struct dns_query *q, int udp_fd,
			const struct sockaddr_storage *from, socklen_t fromlen,
			const struct sockaddr_storage *dst, struct dns_client *client)
{
	struct dns_fwd *f = fwd_new(dns, q);

	if (!f)
		return; /* no room: the app retries, as after a lost datagram */
	f->udp_fd = udp_fd;
	f->client = client;
	if (from) {
		f->from = *from;
		f->fromlen = fromlen;
		f->dst = *dst;
	}
	if (fwd_send(dns, f) < 0)
		resolver_fwd_done(dns, f, NULL, 0);
}

bool relay_dns_has_server(const struct relay_subject *rs)
{
	return rs->dns && resolver_has_server(rs->dns);
}

static int lookup_start(struct relay_dns *dns, const struct dns_query *q, relay_lookup_fn *done,
			void *arg, struct dns_fwd **slot)
{
	struct dns_fwd *f = fwd_new(dns, q);
	int r;

	if (!f)
		return -ENOBUFS;
	r = fwd_send(dns, f);
	if (r < 0) {
		resolver_fwd_free(dns, f); /* no one to tell yet */
		return r;
	}
	f->lookup = true;
	f->done = done;
	f->done_arg = arg;
	f->slot = slot;
	*slot = f;
	return 0;
}

int relay_dns_lookup(struct relay_subject *rs, const char *name, relay_lookup_fn *done, void *arg,
		     struct dns_fwd **slot)
{
	struct dns_query q;
	int r;

	if (!relay_dns_has_server(rs))
		return -ENOENT;
	r = dns_query_for(&q, name, DNS_TYPE_A);
	return r < 0 ? r : lookup_start(rs->dns, &q, done, arg, slot);
}

const char *relay_dns_lookup_strerror(int err)
{
	return err == -ENOENT ? "'direct': dns-server knows no address for the name"
			      : "'direct': no answer from dns-server through the egress netns";
}

void relay_dns_lookup_cancel(struct dns_fwd *f)
{
	f->done = NULL; /* the answer, when it comes, goes nowhere */
	f->slot = NULL;
}

void resolver_fwd_input(struct relay_dns *dns, struct dns_fwd *f)
{
	uint8_t buf[4096];

	for (;;) {
		ssize_t n = recv(f->de.ev.fd, buf, sizeof(buf), MSG_DONTWAIT);
		size_t off = 0;

		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			resolver_fwd_done(dns, f, NULL, 0); /* the chain failed or closed early */
			return;
		}
		while (off < (size_t)n) {
			size_t used = 0, mlen = 0, olen = 0;
			int r = dns_tcp_reader_feed(&f->rd, buf + off, (size_t)n - off, &used,
						    &mlen);

			off += used;
			if (r < 0) {
				resolver_fwd_done(dns, f, NULL, 0);
				return;
			}
			if (r == 0)
				continue;
			if (dns_check_response(&f->q, f->id, f->in, mlen, &olen) < 0)
				continue; /* not our answer: wait for the right one or the timeout
					   */
			if (dns->mode == DNS_PROXY && !f->lookup) /* the daemon's own: not cached */
				resolver_cache_put(dns, &f->q, f->in, olen);
			resolver_fwd_done(dns, f, f->in, olen);
			return;
		}
	}
}

void relay_dns_tick(struct relay *r, struct relay_subject *rs, uint64_t now)
{
	struct dns_fwd *f, *next;

	if (!rs->dns)
		return;
	for (f = rs->dns->fwds; f; f = next) {
		next = f->next;
		if (now >= f->deadline)
			resolver_fwd_done(rs->dns, f, NULL, 0);
	}
}
