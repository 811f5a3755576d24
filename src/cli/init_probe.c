// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * init_probe.c - what `netnsp init` learns about an upstream before it
 * proposes a profile: is it reachable, which SOCKS5 methods it accepts
 * (RFC 1928 §3), whether it takes names (socks5h, ATYP 3) and UDP
 * ASSOCIATE (RFC 1928 §7), whether an HTTP proxy answers CONNECT (RFC 7231
 * §4.3.6), and whether Tor's control port sits next to a Tor SOCKS port.
 *
 * A command-line tool talking to one server: blocking sockets with
 * timeouts.  The handshakes are src/proxy's, the same ones the relay uses;
 * only the method-selection probe (two bytes out, two back) is written here,
 * since the relay never offers a method it cannot use.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/init.h"
#include "proxy/proxy.h"
#include "proxy/socks5_proto.h"
#include "util/macro.h"
#include "util/monotime.h"

#define PROBE_TIMEOUT_MS 3000
/* RFC 6761 §6.4: never resolves, so no proxy can actually connect anywhere. */
#define PROBE_NAME "netnsp-probe.invalid"

static long now_ms(void)
{
	return (long)mono_msec();
}

/* connect() with a deadline, then blocking I/O with the same timeout. */
static int tcp_open(const char *host, uint16_t port, long *ms)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	struct timeval tv = {.tv_sec = PROBE_TIMEOUT_MS / 1000};
	char serv[8];
	long t0 = now_ms();
	int r, fd = -EHOSTUNREACH;

	snprintf(serv, sizeof(serv), "%u", port);
	r = getaddrinfo(host, serv, &hints, &res);
	if (r != 0)
		return r == EAI_SYSTEM ? neg_errno() : -EHOSTUNREACH;
	for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
		struct pollfd pfd = {.events = POLLOUT};
		int e = 0;
		socklen_t el = sizeof(e);

		pfd.fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (pfd.fd < 0)
			continue;
		if (connect(pfd.fd, a->ai_addr, a->ai_addrlen) < 0 && errno != EINPROGRESS)
			e = errno;
		else if (poll(&pfd, 1, PROBE_TIMEOUT_MS) == 0)
			e = ETIMEDOUT;
		else if (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		if (e) {
			close(pfd.fd);
			fd = -e;
			continue;
		}
		fd = pfd.fd;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fd;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (ms)
		*ms = now_ms() - t0;
	return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : neg_errno();
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Drive @hs to its end over @fd: 1 established, or proxy_hs_feed()'s negative errno. */
static int hs_run(int fd, struct proxy_hs *hs)
{
	uint8_t buf[1024];

	for (;;) {
		size_t len, used;
		const uint8_t *out = proxy_hs_output(hs, &len);
		ssize_t n;
		int r;

		if (len) {
			r = send_all(fd, out, len);
			if (r < 0)
				return r;
			proxy_hs_sent(hs, len);
		}
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : neg_errno();
		if (n == 0)
			return -ECONNRESET;
		r = proxy_hs_feed(hs, buf, (size_t)n, &used);
		if (r != 0)
			return r;
	}
}

/* One handshake on a fresh connection; *@why gets the proxy's answer in words. */
static int hs_once(const struct proxy_conf *p, struct proxy_hs *hs, char *why, size_t len)
{
	_cleanup_close_ int fd = tcp_open(p->host, p->port, NULL);
	int r;

	if (fd < 0) {
		snprintf(why, len, "connect: %s", strerror(-fd));
		return fd;
	}
	r = hs_run(fd, hs);
	snprintf(why, len, "%s", r == 1 ? "granted" : proxy_strerror(hs, r));
	return r;
}

/* RFC 1928 §3: offer one method; the server picks it or answers X'FF'. */
static int socks5_method(const struct proxy_conf *p, uint8_t method)
{
	_cleanup_close_ int fd = tcp_open(p->host, p->port, NULL);
	const uint8_t hello[3] = {SOCKS5_VER, 1, method};
	uint8_t reply[2];
	ssize_t n;
	int r;

	if (fd < 0)
		return fd;
	r = send_all(fd, hello, sizeof(hello));
	if (r < 0)
		return r;
	n = recv(fd, reply, sizeof(reply), MSG_WAITALL);
	if (n != 2 || reply[0] != SOCKS5_VER)
		return -EPROTO;
	return reply[1] == method ? 1 : 0;
}

/*
 * The request of @plain (answered @plain_r) again, pipelined as the daemon
 * would send it with `pipeline = yes`: with the URL's credentials, or else
 * with made-up ones standing for the isolation credentials a socks5 proxy
 * gets by default, so username/password only is offered.  The same answer
 * means the proxy reads each request exactly; one that drops what follows
 * the greeting leaves the probe waiting (its timeout).
 */
static void probe_pipeline(const struct proxy_conf *p, const struct proxy_target *t,
			   const struct proxy_hs *plain, int plain_r, struct init_probe *o)
{
	const char *user = p->user ? p->user : "netnsp-init", *pass = p->user ? p->pass : "probe";
	struct proxy_hs hs;
	int r;

	if (proxy_hs_init(&hs, PROXY_SOCKS5H, user, pass, t) < 0 || proxy_hs_pipeline(&hs) < 0)
		return;
	r = hs_once(p, &hs, o->pipeline_why, sizeof(o->pipeline_why));
	o->pipeline = r == plain_r && hs.reply_code == plain->reply_code;
	if (o->pipeline)
		snprintf(o->pipeline_why, sizeof(o->pipeline_why), "the same answer");
}

static void probe_socks5(const struct proxy_conf *p, struct init_probe *o)
{
	struct proxy_target t;
	struct proxy_hs hs;
	int r;

	o->method_none = socks5_method(p, SOCKS5_M_NONE);
	o->method_userpass = socks5_method(p, SOCKS5_M_USERPASS);
	if (o->method_none < 0 && o->method_userpass < 0) {
		snprintf(o->kind_why, sizeof(o->kind_why), "not a SOCKS5 server (%s)",
			 strerror(-o->method_none));
		return;
	}
	if (!p->user && o->method_none == 0) {
		o->auth = 0;
		snprintf(o->auth_why, sizeof(o->auth_why),
			 "the proxy wants a user name and password (RFC 1929)");
		return;
	}
	/* A name it cannot resolve: "host unreachable" means it took the name. */
	(void)proxy_target_set_name(&t, PROBE_NAME, 80);
	if (proxy_hs_init(&hs, PROXY_SOCKS5H, p->user, p->pass, &t) == 0) {
		r = hs_once(p, &hs, o->names_why, sizeof(o->names_why));
		o->auth = r == -EACCES ? 0 : 1;
		if (r == -EACCES)
			snprintf(o->auth_why, sizeof(o->auth_why), "%s", o->names_why);
		o->names = r == -EAFNOSUPPORT || r == -EOPNOTSUPP || r == -EACCES || r == -EPROTO
				   ? 0
				   : 1;
		/* Only against an answer to the request: a silent proxy tells nothing. */
		if (hs.reply_code >= 0)
			probe_pipeline(p, &t, &hs, r, o);
	}
	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	if (o->auth && proxy_hs_init_udp(&hs, p->kind, p->user, p->pass, &t) == 0) {
		r = hs_once(p, &hs, o->udp_why, sizeof(o->udp_why));
		o->udp = r == 1;
	}
}

static void probe_http(const struct proxy_conf *p, struct init_probe *o)
{
	struct proxy_target t;
	struct proxy_hs hs;
	int r;

	(void)proxy_target_set_name(&t, PROBE_NAME, 80);
	if (proxy_hs_init(&hs, PROXY_HTTP, p->user, p->pass, &t) < 0)
		return;
	r = hs_once(p, &hs, o->connect_why, sizeof(o->connect_why));
	/* Any status line is an HTTP proxy answering CONNECT; 407 wants credentials. */
	o->auth = r == -EACCES ? 0 : 1;
	if (r == -EACCES)
		snprintf(o->auth_why, sizeof(o->auth_why), "%s", o->connect_why);
	o->connect = r != -EPROTO && r != -ECONNRESET && r != -ETIMEDOUT && hs.reply_code > 0;
	o->names = o->connect; /* CONNECT host:port always carries the name (RFC 7230 §5.3.3) */
	if (!o->connect)
		snprintf(o->kind_why, sizeof(o->kind_why), "not an HTTP proxy (%.100s)",
			 o->connect_why);
}

/* Tor's control port (9051 next to SOCKS 9050, 9151 next to 9150): PROTOCOLINFO (control-spec
 * §3.21). */
static void probe_tor_control(const struct proxy_conf *p, struct init_probe *o)
{
	uint16_t port = p->port == 9050 ? 9051 : p->port == 9150 ? 9151 : 0;
	_cleanup_close_ int fd = -1;
	char buf[256];
	ssize_t n;

	if (!port)
		return;
	o->tor_port = port;
	fd = tcp_open(p->host, port, NULL);
	if (fd < 0 || send_all(fd, "PROTOCOLINFO 1\r\n", 16) < 0) {
		snprintf(o->tor_why, sizeof(o->tor_why), "no control port at %s:%u", p->host, port);
		return;
	}
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	o->tor_control = !strncmp(buf, "250-PROTOCOLINFO", 16);
	snprintf(o->tor_why, sizeof(o->tor_why), "%s at %s:%u",
		 o->tor_control ? "Tor control port" : "something else", p->host, port);
}

int init_probe_run(const struct proxy_conf *p, struct init_probe *o)
{
	int fd;

	memset(o, 0, sizeof(*o));
	o->names = o->auth = o->method_none = o->method_userpass = o->pipeline = -1;
	if (p->kind == PROXY_DIRECT) {
		o->reachable = true;
		return 0;
	}
	fd = tcp_open(p->host, p->port, &o->connect_ms);
	if (fd < 0) {
		snprintf(o->reach_why, sizeof(o->reach_why), "%s:%u: %s", p->host, p->port,
			 strerror(-fd));
		return fd;
	}
	close(fd);
	o->reachable = true;
	if (p->kind == PROXY_SOCKS5 || p->kind == PROXY_SOCKS5H)
		probe_socks5(p, o);
	else if (p->kind == PROXY_HTTP)
		probe_http(p, o);
	probe_tor_control(p, o);
	return 0;
}
