// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tor_ctl.c - `netnsp newnym`: one exchange with a Tor control port (see
 * tor.h), the managed tor's (unix socket, cookie in its data dir) or the one
 * a socks5 proxy names with tor-control (unix socket or IP:PORT, cookie file
 * from tor-control-cookie, else AUTHENTICATE without a secret).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemon.h"
#include "tor.h"
#include "transport.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/monotime.h"

#define TOR_CTL_TIMEOUT 10 /* seconds for connect, AUTHENTICATE and NEWNYM */
#define TOR_COOKIE_LEN 32  /* control-spec.txt §5.1: the cookie file holds 32 bytes */

static int ctl_fail(char *err, size_t errlen, int r, const char *fmt, ...) _printf_(4, 5);
static int ctl_fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

/* The cookie as the hex string AUTHENTICATE takes (control-spec.txt §3.5). */
static int ctl_cookie_hex(const char *path, char hex[2 * TOR_COOKIE_LEN + 1])
{
	unsigned char c[TOR_COOKIE_LEN + 1];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return neg_errno();
	n = read(fd, c, sizeof(c));
	if (n < 0)
		return neg_errno();
	if (n != TOR_COOKIE_LEN)
		return -EBADMSG;
	for (size_t i = 0; i < TOR_COOKIE_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", c[i]);
	return 0;
}

static int ctl_unix_addr(const char *path, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	size_t n = strlen(path);

	if (n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* Connect without waiting and queue the request; the loop does the rest. */
static int ctl_start(struct daemon *d, const char *label, const struct sockaddr_storage *ss,
		     socklen_t len, const char *cookie, char *err, size_t errlen)
{
	char hex[2 * TOR_COOKIE_LEN + 1] = "";
	_cleanup_close_ int fd = -1;
	struct tor_ctl *c;
	int r;

	if (cookie) {
		r = ctl_cookie_hex(cookie, hex);
		if (r < 0)
			return ctl_fail(err, errlen, r, "%s: control cookie %s: %s", label, cookie,
					strerror(-r));
	}
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS)) {
		r = neg_errno();
		return ctl_fail(err, errlen, r, "%s: control port: %s", label, strerror(-r));
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return ctl_fail(err, errlen, -ENOMEM, "out of memory");
	snprintf(c->label, sizeof(c->label), "%s", label);
	c->out_len = (size_t)snprintf(c->out, sizeof(c->out),
				      "AUTHENTICATE%s%s\r\nSIGNAL NEWNYM\r\nQUIT\r\n",
				      hex[0] ? " " : "", hex);
	c->deadline = mono_now() + TOR_CTL_TIMEOUT;
	c->ev = (struct ev){.tag = EV_TOR_CTL, .fd = fd, .owner = c};
	r = loop_add(&d->loop, &c->ev, EPOLLIN | EPOLLOUT);
	if (r < 0) {
		free(c);
		return ctl_fail(err, errlen, r, "epoll: %s", strerror(-r));
	}
	TAKE_FD(fd);
	c->next = d->tor_ctls;
	d->tor_ctls = c;
	return 0;
}

/* End the exchange: unlisted now, its memory freed after the batch (relay/loop.h). */
static void ctl_close(struct daemon *d, struct tor_ctl *c)
{
	for (struct tor_ctl **pp = &d->tor_ctls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	loop_close(&d->loop, &c->ev);
	loop_defer_free(&d->loop, c, NULL);
}

/* Send what is left of the request; then only replies are awaited. */
static int ctl_send(struct daemon *d, struct tor_ctl *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n =
			send(c->ev.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : neg_errno();
		c->out_off += (size_t)n;
	}
	return loop_mod(&d->loop, &c->ev, EPOLLIN);
}

/* Log each reply line ("250 OK", "515 Authentication failed"); 1 at EOF. */
static int ctl_recv(struct tor_ctl *c)
{
	char buf[512];
	ssize_t n = recv(c->ev.fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return errno == EAGAIN ? 0 : neg_errno();
	if (n == 0)
		return 1;
	buf[n] = '\0';
	for (char *p = buf, *e; *p; p = e + strspn(e, "\r\n")) {
		e = p + strcspn(p, "\r\n");
		if (e > p)
			log_info("%s: control: %.*s", c->label, (int)(e - p), p);
	}
	return 0;
}

void tor_ctl_on_event(struct daemon *d, struct ev *ev, uint32_t events)
{
	struct tor_ctl *c = ev->owner;
	int r = 0;

	if (c->out_off < c->out_len && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		r = ctl_send(d, c);
	if (r == 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		r = ctl_recv(c);
	if (r < 0)
		log_warn("%s: control port: %s", c->label, strerror(-r));
	if (r != 0)
		ctl_close(d, c);
}

void tor_ctl_tick(struct daemon *d, uint64_t now)
{
	for (struct tor_ctl *c = d->tor_ctls, *next; c; c = next) {
		next = c->next;
		if (now >= c->deadline) {
			log_warn("%s: control port: no answer within %d s", c->label,
				 TOR_CTL_TIMEOUT);
			ctl_close(d, c);
		}
	}
}

void tor_ctl_close_all(struct daemon *d)
{
	while (d->tor_ctls)
		ctl_close(d, d->tor_ctls);
}

/* The proxy of @p's chain that is a Tor: a managed one, or one with tor-control. */
static const struct proxy_conf *ctl_tor_of(const struct settings *s, const struct profile_conf *p)
{
	int hops[CONF_CHAIN_MAX];
	int n = settings_chain(s, p->via_idx, hops, ARRAY_SIZE(hops));

	for (int i = 0; i < n; i++) {
		const struct proxy_conf *pc = &s->proxies[hops[i]];

		if (pc->kind == PROXY_TOR || pc->tor_control)
			return pc;
	}
	return NULL;
}

int tor_newnym(struct daemon *d, const char *profile, char *err, size_t errlen)
{
	const struct profile_conf *p = settings_find_profile(&d->settings, profile);
	const struct proxy_conf *pc;
	char label[96], path[PATH_MAX], cookie[PATH_MAX];
	struct sockaddr_storage ss;
	socklen_t len = 0;
	struct transport *t;
	int r;

	if (!p)
		return ctl_fail(err, errlen, -ENOENT, "no profile '%s'", profile);
	pc = ctl_tor_of(&d->settings, p);
	if (!pc)
		return ctl_fail(err, errlen, -EINVAL,
				"profile '%s' goes through no managed tor and no proxy with "
				"tor-control",
				profile);
	if (pc->kind != PROXY_TOR) {
		snprintf(label, sizeof(label), "proxy '%s'", pc->name);
		r = pc->tor_control[0] == '/'
			    ? ctl_unix_addr(pc->tor_control, &ss, &len)
			    : settings_parse_sockaddr(pc->tor_control, 9051, &ss, &len);
		if (r < 0)
			return ctl_fail(err, errlen, r, "%s: tor-control: %s", label, strerror(-r));
		r = ctl_start(d, label, &ss, len, pc->tor_cookie, err, errlen);
	} else {
		t = transport_find(d, pc->name);
		snprintf(label, sizeof(label), "tor '%s'", pc->name);
		if (!t || (t->state != TRANSPORT_STARTING && t->state != TRANSPORT_RUNNING))
			return ctl_fail(err, errlen, -EAGAIN, "%s is not running", label);
		snprintf(path, sizeof(path), "%.*s/data/control", PATH_MAX - 16, t->dir);
		snprintf(cookie, sizeof(cookie), "%.*s/data/control_auth_cookie", PATH_MAX - 32,
			 t->dir);
		r = ctl_unix_addr(path, &ss, &len);
		if (r < 0)
			return ctl_fail(err, errlen, r, "%s: control socket: %s", label,
					strerror(-r));
		r = ctl_start(d, label, &ss, len, cookie, err, errlen);
	}
	if (r == 0)
		log_info("profile '%s': NEWNYM sent to %s", profile, label);
	return r;
}
