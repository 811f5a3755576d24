// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * chain.c - a profile's proxy chain, prepared once for the relay.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/un.h>

#include "conn.h"
#include "egress.h"
#include "netns/netns.h"
#include "relay.h"
#include "util/macro.h"

static int chain_resolve_first(struct relay_chain *chain, const struct proxy_conf *pc, char *err,
			       size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	char port[8];
	int r;

	snprintf(port, sizeof(port), "%u", pc->port);
	r = getaddrinfo(pc->host, port, &hints, &res);
	if (r != 0) {
		snprintf(err, errlen, "proxy '%s': cannot resolve '%s': %s", pc->name, pc->host,
			 gai_strerror(r));
		return -EHOSTUNREACH;
	}
	memcpy(&chain->first, res->ai_addr, res->ai_addrlen);
	chain->first_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int chain_set_hop(struct relay_hop *hop, const struct proxy_conf *pc, char *err,
			 size_t errlen)
{
	hop->kind = pc->kind;
	hop->isolate = pc->isolate;
	hop->pipeline = pc->pipeline;
	if (pc->kind == PROXY_DIRECT)
		return 0; /* hop 0 always (it takes no via, and no proxy takes it as via) */
	if (pc->kind == PROXY_TOR || pc->kind == PROXY_I2P) {
		/* Hop 0 always (it takes no via): the daemon sets the address (unix for tor). */
		hop->kind = PROXY_SOCKS5H;
		hop->managed = true;
		return proxy_target_set_name(&hop->target, pc->name, 0);
	}
	if (proxy_target_set_host(&hop->target, pc->host, pc->port) < 0) {
		snprintf(err, errlen, "proxy '%s': bad host '%s'", pc->name, pc->host);
		return -EINVAL;
	}
	if (pc->user && !(hop->user = strdup(pc->user)))
		return -ENOMEM;
	if (pc->pass && !(hop->pass = strdup(pc->pass)))
		return -ENOMEM;
	return 0;
}

int relay_chain_build(const struct settings *s, int last, struct relay_chain *chain, char *err,
		      size_t errlen)
{
	int hops[CONF_CHAIN_MAX];
	int n, r;

	memset(chain, 0, sizeof(*chain));
	if (last < 0)
		return 0; /* no chain: what would take it is refused */
	n = settings_chain(s, last, hops, ARRAY_SIZE(hops));
	if (n <= 0) {
		snprintf(err, errlen, "proxy '%s': bad chain", s->proxies[last].name);
		return n < 0 ? n : -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		const struct proxy_conf *pc = &s->proxies[hops[i]];

		r = chain_set_hop(&chain->hops[i], pc, err, errlen);
		chain->n_hops = (size_t)i + 1;
		if (r < 0)
			goto fail;
	}
	if (s->proxies[hops[0]].netns)
		snprintf(chain->egress_ns, sizeof(chain->egress_ns), "%s",
			 s->proxies[hops[0]].netns);
	chain->direct = chain->hops[0].kind == PROXY_DIRECT;
	chain->fastopen = s->proxies[hops[0]].fastopen;
	if (chain->hops[0].managed || chain->direct)
		return 0;
	r = chain_resolve_first(chain, &s->proxies[hops[0]], err, errlen);
	if (r < 0)
		goto fail;
	return 0;
fail:
	relay_chain_free(chain);
	return r;
}

int relay_chain_isolate(struct relay_chain *chain, const struct isolate_key *key,
			uint32_t subject_id)
{
	char user[ISOLATE_USER_LEN + 1];

	chain->key = *key;
	chain->subject_id = subject_id;
	for (size_t i = 0; i < chain->n_hops; i++) {
		struct relay_hop *h = &chain->hops[i];

		if (h->isolate == ISOLATE_NONE)
			continue;
		free(h->pass);
		h->pass = strdup(ISOLATE_PASS);
		if (!h->pass)
			return -ENOMEM;
		if (h->isolate != ISOLATE_PROFILE)
			continue;
		isolate_user(key, "profile", subject_id, NULL, user);
		free(h->user);
		h->user = strdup(user);
		if (!h->user)
			return -ENOMEM;
	}
	return 0;
}

int relay_chain_set_unix(struct relay_chain *chain, const char *path)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&chain->first;
	size_t len = strlen(path);

	if (len >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memset(&chain->first, 0, sizeof(chain->first));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, len + 1);
	chain->first_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	return 0;
}

static void target_text(const struct proxy_target *t, char *buf, size_t len)
{
	if (t->family == AF_INET || t->family == AF_INET6)
		inet_ntop(t->family, t->addr, buf, (socklen_t)len);
	else
		snprintf(buf, len, "%s", t->name);
}

const char *relay_hop_user(const struct relay_chain *chain, size_t i, const struct proxy_target *t,
			   const char *app, char buf[ISOLATE_USER_LEN + 1])
{
	const struct relay_hop *h = &chain->hops[i];
	char dst[PROXY_NAME_MAX + 1];

	if (h->isolate == ISOLATE_APP) {
		isolate_user(&chain->key, "app", chain->subject_id, app ? app : "?", buf);
		return buf;
	}
	if (h->isolate != ISOLATE_DESTINATION)
		return h->user;
	/* The name (or address) without the port: one circuit per site, as Tor Browser does. */
	target_text(t, dst, sizeof(dst));
	isolate_user(&chain->key, "destination", chain->subject_id, dst, buf);
	return buf;
}

int relay_hop_hs_pipeline(const struct relay_hop *hop, struct proxy_hs *hs, int init)
{
	return init == 0 && hop->pipeline ? proxy_hs_pipeline(hs) : init;
}

bool relay_chain_isolates_apps(const struct relay_chain *chain)
{
	for (size_t i = 0; i < chain->n_hops; i++)
		if (chain->hops[i].isolate == ISOLATE_APP)
			return true;
	return false;
}

void relay_chain_free(struct relay_chain *chain)
{
	egress_ns_put(chain->ens);
	for (size_t i = 0; i < chain->n_hops; i++) {
		free(chain->hops[i].user);
		free(chain->hops[i].pass);
	}
	memset(chain, 0, sizeof(*chain));
}

void relay_chain_describe(const struct relay_chain *chain, size_t i, char *buf, size_t len)
{
	const struct relay_hop *h = &chain->hops[i];
	char host[PROXY_NAME_MAX + 3];

	if (h->managed) {
		snprintf(buf, len, "managed '%s'", h->target.name);
		return;
	}
	if (h->kind == PROXY_DIRECT) {
		snprintf(buf, len, "direct (netns %s)", chain->egress_ns);
		return;
	}
	if (h->target.family == AF_INET6) {
		host[0] = '[';
		inet_ntop(AF_INET6, h->target.addr, host + 1, sizeof(host) - 2);
		strcat(host, "]");
	} else if (h->target.family == AF_INET) {
		inet_ntop(AF_INET, h->target.addr, host, sizeof(host));
	} else {
		snprintf(host, sizeof(host), "%.*s", (int)sizeof(host) - 1, h->target.name);
	}
	/* Derived isolation credentials are no secret of the user's: not masked. */
	snprintf(buf, len, "%s://%s%s:%u%s%s%s", proxy_kind_name(h->kind),
		 h->user && h->isolate == ISOLATE_NONE ? "***@" : "", host, h->target.port,
		 i == 0 && chain->egress_ns[0] ? " (netns " : "", i == 0 ? chain->egress_ns : "",
		 i == 0 && chain->egress_ns[0] ? ")" : "");
}

void relay_target_describe(const struct proxy_target *t, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (t->name[0] || !t->family) { /* a name, also once url = direct resolved it */
		snprintf(buf, len, "%s:%u", t->name, t->port);
		return;
	}
	inet_ntop(t->family, t->addr, a, sizeof(a));
	snprintf(buf, len, "%s%s%s:%u", t->family == AF_INET6 ? "[" : "", a,
		 t->family == AF_INET6 ? "]" : "", t->port);
}

const char *relay_note_error(struct relay_subject *rs, const char *fmt, ...)
{
	static _Thread_local char text[sizeof(rs->last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Workers note failures too: the text is copied under the lock, returned per thread. */
	pthread_mutex_lock(&rs->err_mu);
	memcpy(rs->last_error, text, sizeof(text));
	rs->last_error_time = (int64_t)time(NULL);
	pthread_mutex_unlock(&rs->err_mu);
	return text;
}

/* The destination itself as a socket address (url = direct): addresses only. */
static int direct_addr(const struct proxy_target *dst, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (dst && dst->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(dst->port);
		memcpy(&in->sin_addr, dst->addr, 4);
		*len = sizeof(*in);
		return 0;
	}
	if (dst && dst->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(dst->port);
		memcpy(&in6->sin6_addr, dst->addr, 16);
		*len = sizeof(*in6);
		return 0;
	}
	return -EDESTADDRREQ;
}

int relay_chain_socket(const struct relay_chain *ch, int family, int type)
{
	_cleanup_close_ int nsfd = -1;

	/* The daemon's held namespace: a pooled socket (egress.h). */
	if (ch->ens)
		return egress_ns_socket(ch->ens, family, type);
	if (!ch->egress_ns[0])
		return egress_socket(ch->egress, family, type);
	/* By name each time: a namespace made afresh is used, a missing one refuses. */
	nsfd = netns_open_named(ch->egress_ns);
	if (nsfd < 0)
		return nsfd;
	return netns_socket(nsfd, family, type, 0);
}

/* Where hop 0 is: the chain's first address, or the destination itself (url = direct). */
static int chain_first(const struct relay_chain *ch, const struct proxy_target *dst,
		       struct sockaddr_storage *direct, const struct sockaddr_storage **to,
		       socklen_t *tolen)
{
	*to = &ch->first;
	*tolen = ch->first_len;
	if (!ch->direct)
		return 0;
	*to = direct;
	return direct_addr(dst, direct, tolen);
}

int relay_chain_connect_wait(const struct relay_chain *ch, const struct proxy_target *dst,
			     struct egress_waiter *w)
{
	struct sockaddr_storage direct;
	const struct sockaddr_storage *to;
	socklen_t tolen;
	int fd = chain_first(ch, dst, &direct, &to, &tolen);

	if (fd < 0)
		return fd;
	if (ch->ens) /* the daemon's held namespace: a pooled socket, or wait for one */
		fd = egress_ns_take(ch->ens, to->ss_family, SOCK_STREAM | SOCK_NONBLOCK, w);
	else
		fd = relay_chain_socket(ch, to->ss_family, SOCK_STREAM | SOCK_NONBLOCK);
	if (fd < 0)
		return fd;
	return relay_chain_connect_fd(ch, dst, fd);
}

int relay_chain_connect(const struct relay_chain *ch, const struct proxy_target *dst)
{
	return relay_chain_connect_wait(ch, dst, NULL);
}

int relay_chain_connect_fd(const struct relay_chain *ch, const struct proxy_target *dst, int sock)
{
	_cleanup_close_ int fd = sock;
	struct sockaddr_storage direct;
	const struct sockaddr_storage *to;
	socklen_t tolen;
	int one = 1, r = chain_first(ch, dst, &direct, &to, &tolen);

	if (r < 0)
		return r;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * TCP Fast Open (RFC 7413): with a cookie from an earlier connection the
	 * kernel defers the SYN, connect() returns 0, the socket polls writable,
	 * and the first request (SOCKS5 greeting, HTTP CONNECT) rides in the SYN.
	 * Without a cookie this is an ordinary connect that asks for one.  A
	 * kernel without it refuses the option: then also ordinary.
	 */
	if (ch->fastopen)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)to, tolen) < 0 && errno != EINPROGRESS)
		return neg_errno();
	return TAKE_FD(fd);
}

void relay_on_egress(void *arg, struct egress_waiter *w, int fd)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, egw));
	struct relay *r = arg;

	if (c->state != C_CONNECTING) { /* ended in this batch */
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd >= 0)
		fd = relay_chain_connect_fd(c->chain, &c->hs->dst, fd);
	if (fd >= 0) {
		c->up.fd = fd;
		fd = loop_add(r->loop, &c->up, CONN_EVENTS);
	}
	if (fd < 0)
		conn_fail(r, c, fd);
}

int relay_hs_send(struct proxy_hs *hs, int fd)
{
	const uint8_t *out;
	size_t len;
	ssize_t n;

	out = proxy_hs_output(hs, &len);
	while (len > 0) {
		n = send(fd, out, len, MSG_NOSIGNAL);
		/* EINPROGRESS: a Fast Open SYN left without the data; sent once connected. */
		if (n < 0)
			return errno == EAGAIN || errno == EINPROGRESS ? 0 : neg_errno();
		proxy_hs_sent(hs, (size_t)n);
		out = proxy_hs_output(hs, &len);
	}
	return 0;
}
